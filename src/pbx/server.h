/* The SIP server: transports, transactions, digest authentication and
 * the registrar, on one signalling loop (DESIGN.md "Threads"). It owns
 * the store writer through which registrations are persisted. */
#ifndef RP_PBX_SERVER_H
#define RP_PBX_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/live.h"
#include "core/loop.h"

#define SERVER_LISTEN_MAX 8

struct server_listen {
	int transport; /* enum sip_txn_transport */
	const char *addr;
	uint16_t port;
};

struct server_config {
	const char *data_dir;
	/* Read-only data files (number plans). */
	const char *share_dir;
	struct server_listen listen[SERVER_LISTEN_MAX];
	unsigned nlisten;
	bool tls_allow_1_2;
	/* The anti-fraud engine (ceilings, rules, blocks) off: benchmarks
	 * only. Rights profiles are still checked. */
	bool fraud_off;
	/* Networks the perimeter guard never bans nor throttles, as
	 * "CIDR,CIDR,..." (NULL: none). */
	const char *trusted;
	/* Banned sources get 403 instead of silence (R-NET-2). */
	bool banned_reject_403;
	/* Digest algorithms offered and accepted. Both by default, SHA-256
	 * first (RFC 8760); MD5 only is for phones whose stack gives up on
	 * a challenge it cannot use, SHA-256 only refuses MD5 altogether. */
	enum server_digest {
		SERVER_DIGEST_BOTH,
		SERVER_DIGEST_MD5,
		SERVER_DIGEST_SHA256,
	} digest;
	/* Media relay address (NULL: 127.0.0.1) and port range (0: the
	 * relay's defaults). */
	const char *media_addr;
	uint16_t media_port_min;
	uint16_t media_port_max;
	/* Call timers in seconds (0: pbx/call.h defaults). */
	uint32_t ring_timeout_s;
	uint32_t session_expires_s;
	uint32_t rtp_timeout_s;
	/* CA certificates trusted for TLS trunks besides the system's
	 * (NULL: the system's only). */
	const char *trunk_ca_file;
	/* DNS servers for trunk host names, "ADDR[:PORT],..." (NULL: the
	 * system's). */
	const char *dns_servers;
	/* OPTIONS probes of IP trunks, in seconds (0: none). */
	uint32_t trunk_check_s;
	/* First retry of a failed trunk registration (0: 30 s). */
	uint32_t trunk_retry_s;
	/* Registration intervals (0: the registrar's defaults). */
	uint32_t min_expires_s;
	uint32_t max_expires_s;
	/* Live supervision (pbx/livepub.h): snapshots published there and
	 * hang-ups taken from it; borrowed, NULL: none. */
	struct live *live;
};

struct server;

/* Opens the data directory (master key, database, users, saved
 * registrations), binds every listener and arms the signal handlers
 * (SIGTERM/SIGINT stop the loop, SIGHUP reloads the users). Returns 0 or
 * a negative errno, having logged why. Thread: the loop's. */
int server_new(struct server **out, struct loop *l,
    const struct server_config *cfg) RP_MUST_CHECK;
/* Stops listening, flushes pending store writes and frees everything.
 * NULL is fine. */
void server_free(struct server *s);

#endif
