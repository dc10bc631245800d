/* SIP transports (RFC 3261 §18): UDP, TCP and TLS listeners and the
 * stream connections they accept, on the signalling loop.
 *
 * Datagrams arrive in batches (recvmmsg). Streams are framed with
 * sip_frame_stream(); CRLF keep-alive pings are answered with a pong
 * (RFC 5626 §4.4.1). Each complete message goes to one callback with the
 * peer it came from, which is also where its responses go: the source
 * address for datagrams (as with rport, RFC 3581, whatever the Via says,
 * so answers cross NATs), the same connection for streams (§18.2.2).
 *
 * TLS is TLS 1.3 only unless TLS 1.2 is allowed explicitly (R-CRYPTO-1).
 * Every function runs on the loop's thread. */
#ifndef RP_SIP_TRANSPORT_H
#define RP_SIP_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "sip/limits.h"
#include "sip/transaction.h"

/* Stream connections idle this long are closed (keep-alives count). */
#define SIP_TRANSPORT_IDLE_MS_DEFAULT 180000u
#define SIP_TRANSPORT_CONNS_DEFAULT 4096u
#define SIP_TRANSPORT_CONNS_PER_IP_DEFAULT 64u
/* A TLS handshake must finish within this time. */
#define SIP_TRANSPORT_HANDSHAKE_MS 10000u
/* Output queued on one connection before it is deemed stuck and closed. */
#define SIP_TRANSPORT_WBUF_MAX (1024u * 1024u)

struct sip_transport;

/* One complete message ('bytes' valid for the call only). */
typedef void (*sip_transport_msg_cb)(
    void *ctx, struct sv bytes, const struct sip_txn_peer *from);
/* A message that broke stream framing, just before its connection is
 * closed: 'status' and 'reason' say what to log (no answer is sent on a
 * stream that lost its framing). May be NULL. */
typedef void (*sip_transport_error_cb)(void *ctx,
    const struct sip_txn_peer *from, uint16_t status, const char *reason);

/* Called before anything else is done with a datagram, or with a stream
 * connection just accepted: false drops the datagram or closes the
 * connection without a word (the perimeter guard, R-NET-2, R-NET-3).
 * May be NULL. */
typedef bool (*sip_transport_admit_cb)(void *ctx,
    const struct sockaddr_storage *addr, enum sip_txn_transport kind);
/* A stream connection that was admitted has closed. May be NULL. */
typedef void (*sip_transport_closed_cb)(
    void *ctx, const struct sockaddr_storage *addr);
/* A connection we opened (to an operator) failed or closed. May be
 * NULL. */
typedef void (*sip_transport_lost_cb)(
    void *ctx, const struct sip_txn_peer *peer);

struct sip_transport_config {
	uint32_t idle_ms;                /* 0: SIP_TRANSPORT_IDLE_MS_DEFAULT */
	uint32_t max_conns;              /* 0: SIP_TRANSPORT_CONNS_DEFAULT */
	uint32_t max_conns_per_ip;       /* 0: ..._PER_IP_DEFAULT */
	const struct sip_limits *limits; /* NULL: sip_limits_default */
	const char *tls_cert_file; /* PEM chain; needed for TLS listeners */
	const char *tls_key_file;
	bool tls_allow_1_2; /* TLS 1.2 too; never older */
	/* Certificates trusted for TLS connections we open (operators),
	 * besides the system's store; NULL: the system's only. */
	const char *tls_peer_ca_file;
	sip_transport_msg_cb on_message;
	sip_transport_error_cb on_error;
	sip_transport_admit_cb admit;
	sip_transport_closed_cb closed;
	sip_transport_lost_cb lost;
	void *ctx;
};

/* A new transport set on loop l. Returns 0, -ENOMEM, or -EINVAL when
 * TLS files are given but cannot be loaded. */
int sip_transport_new(struct sip_transport **out, struct loop *l,
    const struct sip_transport_config *cfg) RP_MUST_CHECK;
/* Closes every listener and connection. NULL is fine. */
void sip_transport_free(struct sip_transport *tp);

/* Listens on addr (IPv4 or IPv6 literal) and port (0: any free port,
 * see sip_transport_port). TLS needs the certificate from the config.
 * Returns 0, -EINVAL, -EADDRINUSE or another negative errno. */
int sip_transport_listen(struct sip_transport *tp, enum sip_txn_transport kind,
    const char *addr, uint16_t port) RP_MUST_CHECK;
/* The port of the first listener of a kind and address family
 * (AF_INET or AF_INET6), or 0. */
uint16_t sip_transport_port(
    const struct sip_transport *tp, enum sip_txn_transport kind, int family);

/* Sends bytes to peer: a datagram from the listener of the peer's
 * family, or onto the peer's stream connection (queued if the socket is
 * full). Matches sip_txn_send_cb, with tp as ctx. Returns 0, -ENOTCONN
 * (the connection is gone), -ENOBUFS (its output queue is full) or
 * another negative errno. */
int sip_transport_send(
    void *tp, const struct sip_txn_peer *peer, struct sv bytes);

/* Live stream connections (for limits and supervision). */
unsigned sip_transport_conn_count(const struct sip_transport *tp);

/* The name a TLS connection we open to 'addr' (address and port) must
 * present in its certificate: a DNS name, or an IP literal. Operators'
 * trunks set it before their first request; without one, no TLS
 * connection is opened to that address. Returns 0, -EINVAL or -ENOSPC
 * (SIP_TRANSPORT_TLS_NAMES_MAX names already). */
#define SIP_TRANSPORT_TLS_NAMES_MAX 64u
int sip_transport_set_tls_name(struct sip_transport *tp,
    const struct sockaddr_storage *addr, socklen_t addr_len,
    const char *name) RP_MUST_CHECK;

#endif
