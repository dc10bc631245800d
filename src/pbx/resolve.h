/* Locating an operator's SIP servers (RFC 3263), asynchronously with
 * c-ares on the signalling loop.
 *
 * For a host name and the trunk's transport: with a port, the host's
 * addresses (A and AAAA) on that port. Without one, NAPTR first: a
 * record for the transport ("SIP+D2U" for UDP, "SIP+D2T" for TCP,
 * "SIPS+D2T" for TLS) names the SRV domain; without NAPTR the SRV domain
 * is "_sip._udp.", "_sip._tcp." or "_sips._tcp." and the host. The SRV
 * records, by priority then weight (the heavier first: deterministic),
 * give targets and ports, each resolved to its addresses; without SRV
 * records, the host's addresses on 5060 (5061 for TLS). The result is
 * the ordered list of peers to try.
 *
 * An IP literal is answered at once, without DNS. Thread: the loop's. */
#ifndef RP_PBX_RESOLVE_H
#define RP_PBX_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "sip/transaction.h"

#define RESOLVE_TARGETS_MAX 8u
#define RESOLVE_HOST_MAX 253u

/* The outcome of one resolution: status 0 and 1 to n peers in order of
 * preference, or a negative errno (-ENOENT: no such host or no address,
 * -ETIMEDOUT, -EIO) and n 0. 'peers' is valid during the call only. */
typedef void (*resolve_cb)(
    void *arg, int status, const struct sip_txn_peer *peers, size_t n);

struct resolver;

/* 'servers': "ADDR[:PORT],..." to ask those servers (tests), or NULL
 * for the system's (/etc/resolv.conf). Returns 0, -EINVAL or -EIO. */
int resolver_new(
    struct resolver **out, struct loop *l, const char *servers) RP_MUST_CHECK;
/* Cancels every query without calling back and frees (NULL is fine). */
void resolver_free(struct resolver *r);

/* Starts locating 'host' (a name or an IP literal, no brackets) for
 * 'transport'; port 0 means "as DNS says". cb runs once, later (never
 * from this call). Returns 0, -EINVAL (bad host) or -ENOMEM. */
int resolver_sip(struct resolver *r, const char *host, uint16_t port,
    enum sip_txn_transport transport, resolve_cb cb, void *arg) RP_MUST_CHECK;

/* The peer of an IP literal (no brackets) at 'port' (0: 5060, or 5061
 * for TLS) for 'transport', at once: true. False for a name (*p has its
 * transport set, no address). */
bool resolve_literal(const char *host, uint16_t port,
    enum sip_txn_transport transport, struct sip_txn_peer *p);

/* Forgets the queries started with 'arg': their callbacks will not run
 * (for an owner that goes away first). */
void resolver_cancel(struct resolver *r, void *arg);

/* SRV records sorted as resolver_sip() tries them: priority ascending,
 * then weight descending, then as given. Exposed for tests. */
struct resolve_srv {
	char target[RESOLVE_HOST_MAX + 1];
	uint16_t port;
	uint16_t priority;
	uint16_t weight;
};
void resolve_srv_sort(struct resolve_srv *srv, size_t n);

#endif
