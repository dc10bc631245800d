/* SIP transactions (RFC 3261 §17): the four state machines, their
 * timers, and the matching of retransmissions, ACKs and responses.
 *
 * One layer per signalling loop; every function here runs on that loop's
 * thread. The layer sends through a callback (the transport picks the
 * socket or connection from the peer) and hands new requests, ACKs for
 * 2xx responses and stray responses to the transaction user (TU: the
 * dialog and call layers) through callbacks.
 *
 * Server transactions (§17.2) are created by sip_txn_receive_request()
 * and answered with sip_txn_respond(). Client transactions (§17.1) are
 * started with sip_txn_client_start() and fed by
 * sip_txn_receive_response().
 *
 * What the TU does itself, as RFC 3261 says:
 * - A 2xx to an INVITE ends the server transaction at once (§17.2.1):
 *   the TU retransmits that 2xx (T1 doubling up to T2, until the ACK or
 *   64*T1, §13.3.1.4) with sip_txn_layer_send(). INVITE retransmissions
 *   that arrive afterwards reach the TU as new requests (with the same
 *   branch); RFC 6026's Accepted state, which would absorb them, is not
 *   implemented.
 * - The ACK for a 2xx is a request of its own (§13.2.2.4): the layer
 *   passes incoming ones to the ACK callback, and the TU sends its own
 *   with sip_txn_layer_send(). Retransmitted 2xx responses reach the
 *   stray-response callback; the TU acknowledges them again.
 * - CANCEL is a transaction of its own (§9.2): the TU gets it as a new
 *   request, finds the INVITE with sip_txn_server_find_invite(), answers
 *   the CANCEL and sends 487 on the INVITE.
 *
 * Resource bounds: at most max_server server and max_client client
 * transactions live at once. A new request over the limit (or over
 * SIP_TXN_SAME_KEY_MAX, or one that cannot get memory) is answered
 * statelessly with 503 by the layer; a client start over it fails with
 * -EBUSY. Every transaction is freed when it reaches Terminated. */
#ifndef RP_SIP_TRANSACTION_H
#define RP_SIP_TRANSACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "sip/msg.h"

/* RFC 3261 §17.1.1.1 and Table 4. */
#define SIP_TXN_T1_MS 500u
#define SIP_TXN_T2_MS 4000u
#define SIP_TXN_T4_MS 5000u
/* §17.2.1: a 100 Trying goes out if the TU is silent this long. */
#define SIP_TXN_TRYING_MS 200u
/* Timer D: "at least 32 seconds" on unreliable transports. */
#define SIP_TXN_TIMER_D_MS 32000u
/* A client INVITE in Proceeding waits this long for a final response
 * after its last provisional one (like a proxy's Timer C, §16.6). */
#define SIP_TXN_TIMER_C_MS 180000u
/* Default and greatest transaction counts per kind (server, client). */
#define SIP_TXN_MAX_DEFAULT 65536u
#define SIP_TXN_MAX_LIMIT (1u << 22)
/* Server transactions that may share every hashed key (branch and
 * sent-by; for RFC 2543: Call-ID, CSeq, From tag, top Via) while
 * differing in the method or, for RFC 2543, the Request-URI or To tag.
 * An INVITE and its CANCEL make two; a new request past this gets 503,
 * so that a peer cannot lengthen one hash chain at will. */
#define SIP_TXN_SAME_KEY_MAX 8u

/* "z9hG4bK" + random characters + NUL. */
#define SIP_TXN_BRANCH_COOKIE "z9hG4bK"
#define SIP_TXN_BRANCH_RANDOM 24u
#define SIP_TXN_BRANCH_SIZE                                                    \
	(sizeof(SIP_TXN_BRANCH_COOKIE) + SIP_TXN_BRANCH_RANDOM)

/* Results of the receive functions besides 0 (passed to a transaction
 * and its TU) and negative errnos. */
#define SIP_TXN_ABSORBED 1  /* retransmission or ACK, handled here */
#define SIP_TXN_UNMATCHED 2 /* no transaction: given to ack or stray */

enum sip_txn_transport {
	SIP_TXN_TP_UDP,
	SIP_TXN_TP_TCP,
	SIP_TXN_TP_TLS,
	SIP_TXN_TP_WS,
	SIP_TXN_TP_WSS,
};

/* Where a message came from, or where it goes. For a server transaction
 * this is where its responses are sent: the transport fills it per
 * RFC 3261 §18.2.2 and RFC 3581 (received address and rport for
 * datagrams, the same connection for streams). */
struct sip_txn_peer {
	enum sip_txn_transport transport;
	/* Reliable transports get no retransmissions: Timers A, E and G
	 * are not started, and D, I, J and K are zero (§17). */
	bool reliable;
	uint64_t conn_id; /* the stream connection; 0 for datagrams */
	socklen_t addr_len;
	struct sockaddr_storage addr;
};

/* Sends 'bytes' to 'peer' now (the bytes are borrowed for the call).
 * Returns 0, or a negative errno. On an unreliable peer, -EAGAIN
 * (-EWOULDBLOCK on Linux) and -ENOBUFS count as a lost packet (the
 * timers retransmit). Any other error, and any error at all on a
 * reliable peer (nothing is retransmitted there), is a transport error
 * (§17.1.4, §17.2.4) and ends the transaction. */
typedef int (*sip_txn_send_cb)(
    void *ctx, const struct sip_txn_peer *peer, struct sv bytes);

struct sip_txn_layer;
struct sip_txn_server;
struct sip_txn_client;

/* A new request and its server transaction. 'req' and 'from' are valid
 * for the call only (sip_txn_server_request() keeps a copy of the
 * bytes). The TU must answer through t, now or later. */
typedef void (*sip_txn_request_cb)(void *ctx, struct sip_txn_server *t,
    struct sip_msg *req, const struct sip_txn_peer *from);
/* An ACK that matched no transaction: the ACK for a 2xx (§17.2.3). */
typedef void (*sip_txn_ack_cb)(
    void *ctx, struct sip_msg *ack, const struct sip_txn_peer *from);
/* A response that matched no client transaction: a retransmitted 2xx
 * to an INVITE, a 2xx from another fork, or junk (§17.1.3, §18.1.2). */
typedef void (*sip_txn_stray_cb)(
    void *ctx, struct sip_msg *resp, const struct sip_txn_peer *from);

enum sip_txn_failure {
	SIP_TXN_FAIL_TIMEOUT,   /* Timer H: no ACK for a final response */
	SIP_TXN_FAIL_TRANSPORT, /* a retransmission could not be sent */
};
/* A server transaction failed after the TU had sent its final response
 * (§17.2.1, §17.2.4). 't' is valid during the call only: it may be read
 * (sip_txn_server_data()) but not answered. */
typedef void (*sip_txn_failure_cb)(
    void *ctx, struct sip_txn_server *t, enum sip_txn_failure why);

/* Each response to a client transaction, in order. 'resp' is valid
 * during the call only; it is NULL when the layer made the outcome up:
 * status 408 when Timer B, F or C fired, 503 on a transport error
 * (§8.1.3.1). A status >= 200 is the final outcome: t must not be used
 * after that call returns. */
typedef void (*sip_txn_response_cb)(
    void *arg, struct sip_txn_client *t, uint16_t status, struct sip_msg *resp);

struct sip_txn_tu {
	sip_txn_request_cb request; /* required */
	sip_txn_ack_cb ack;         /* NULL: such ACKs are dropped */
	sip_txn_stray_cb stray;     /* NULL: dropped */
	sip_txn_failure_cb failure; /* NULL: not told */
	void *ctx;                  /* first argument of each */
};

struct sip_txn_config {
	uint32_t t1_ms;      /* RTT estimate, default 500 */
	uint32_t t2_ms;      /* retransmission cap, default 4000 */
	uint32_t t4_ms;      /* network lifetime, default 5000 */
	uint32_t trying_ms;  /* automatic 100 delay, default 200 */
	uint32_t timer_d_ms; /* default 32000 */
	uint32_t timer_c_ms; /* default 180000; 0 waits forever */
	uint32_t max_server; /* live server transactions, 1..LIMIT */
	uint32_t max_client; /* live client transactions, 1..LIMIT */
};

struct sip_txn_stats {
	uint64_t absorbed;         /* retransmissions and ACKs absorbed */
	uint64_t refused;          /* requests answered 503 by the layer */
	uint64_t retransmits;      /* messages resent on a timer */
	uint64_t timeouts;         /* Timers B, C, F, H */
	uint64_t transport_errors; /* sends that failed */
};

/* A header for sip_txn_respond_status(). */
struct sip_txn_header {
	struct sv name;
	struct sv value;
};

/* Fills *cfg with the defaults above. */
void sip_txn_config_default(struct sip_txn_config *cfg);

/* A new layer on loop 'l' (borrowed: it must outlive the layer). 'cfg'
 * may be NULL for the defaults; it and 'tu' are copied. Returns 0,
 * -EINVAL (missing callback, T1 = 0, T2 < T1, T4 = 0, a limit out of
 * range), -ENOMEM, or the errno of getrandom(). */
int sip_txn_layer_new(struct sip_txn_layer **out, struct loop *l,
    const struct sip_txn_config *cfg, sip_txn_send_cb send, void *send_ctx,
    const struct sip_txn_tu *tu) RP_MUST_CHECK;
/* Frees the layer and every transaction still alive, without calling
 * back (NULL is fine). Not from a layer callback; before loop_free(). */
void sip_txn_layer_free(struct sip_txn_layer *layer);
/* Live server / client transactions. */
size_t sip_txn_layer_servers(const struct sip_txn_layer *layer);
size_t sip_txn_layer_clients(const struct sip_txn_layer *layer);
const struct sip_txn_stats *sip_txn_layer_stats(
    const struct sip_txn_layer *layer);
/* Sends bytes outside any transaction (2xx retransmissions, ACK for a
 * 2xx, stateless answers). Returns 0, -EINVAL (nothing to send) or the
 * transport error. */
int sip_txn_layer_send(struct sip_txn_layer *layer,
    const struct sip_txn_peer *peer, struct sv bytes) RP_MUST_CHECK;

/* Routes a parsed request (§17.2.3). 'raw' holds the bytes 'req' was
 * parsed from (all its views point into it); a new transaction copies
 * them. Matching uses the top Via branch with its sent-by and the method
 * (ACK matching INVITE, CANCEL apart) when the branch carries the
 * z9hG4bK cookie, and the RFC 2543 fields otherwise (Request-URI, tags,
 * Call-ID, CSeq, top Via; for an ACK, the To tag of our response).
 * Returns 0 (a new transaction went to the request callback),
 * SIP_TXN_ABSORBED (a retransmission, whose last response is sent
 * again, or an ACK for a non-2xx final), SIP_TXN_UNMATCHED (an ACK
 * given to the ACK callback), -EBUSY (over max_server or
 * SIP_TXN_SAME_KEY_MAX: 503 sent),
 * -ENOMEM (503 sent when possible), -EBADMSG (Via, From, To, Call-ID or
 * CSeq missing or malformed, or a CSeq method that differs from the
 * request's: the caller answers 400 if it can) or -EINVAL. */
int sip_txn_receive_request(struct sip_txn_layer *layer, struct sip_msg *req,
    struct sv raw, const struct sip_txn_peer *from) RP_MUST_CHECK;

/* Routes a parsed response by top Via branch and CSeq method (§17.1.3).
 * Returns 0 (given to its transaction's TU callback), SIP_TXN_ABSORBED
 * (a retransmission, or a response after the final one),
 * SIP_TXN_UNMATCHED (given to the stray callback) or -EBADMSG (no
 * usable Via or CSeq). */
int sip_txn_receive_response(struct sip_txn_layer *layer, struct sip_msg *resp,
    const struct sip_txn_peer *from) RP_MUST_CHECK;

/* Sends a response built by the TU (status line first) through t, which
 * keeps a copy to answer retransmissions. A 1xx stops the automatic 100;
 * a 2xx to an INVITE ends t (§17.2.1); other finals move t to Completed,
 * where the layer owns it.
 * Returns 0, -EINVAL (not a response, status outside 100-699, or t is
 * past Proceeding), -E2BIG (over SIP_MSG_MAX), -ENOMEM (a final could
 * not be kept: it was sent once and t ended), or a transport error
 * (t ended, §17.2.4). t stays the TU's only after a 1xx that returned 0,
 * or after -EINVAL or -E2BIG; in every other case it must not be used
 * again. */
int sip_txn_respond(struct sip_txn_server *t, struct sv response) RP_MUST_CHECK;

/* Builds a response to t's request with sip_build_response() (status,
 * reason or the standard phrase when empty, To tag added unless the
 * request has one or status is 100), adds 'hdrs' (n of them, may be
 * NULL when n is 0), no body, and sends it with sip_txn_respond().
 * Returns what sip_txn_respond() does or, leaving t unchanged, -EINVAL
 * (bad status, reason, tag or header) or -ENOMEM / -E2BIG (the response
 * could not be built). */
int sip_txn_respond_status(struct sip_txn_server *t, uint16_t status,
    struct sv reason, const struct sip_txn_header *hdrs, size_t n,
    struct sv to_tag) RP_MUST_CHECK;

/* For a CANCEL request: finds the INVITE server transaction it targets
 * (§9.2: the §17.2.3 rules with the method taken as INVITE). Returns 0
 * with *out when that INVITE is still in Proceeding (the TU answers
 * 487 through it), -EALREADY when it already got its final response (the
 * TU answers 200 to the CANCEL, nothing to cancel), -ENOENT (answer 481)
 * or -EBADMSG. */
int sip_txn_server_find_invite(struct sip_txn_layer *layer,
    struct sip_msg *cancel, struct sip_txn_server **out) RP_MUST_CHECK;

/* One pointer of TU data per server transaction (NULL at first). */
void sip_txn_server_set_data(struct sip_txn_server *t, void *data);
void *sip_txn_server_data(const struct sip_txn_server *t);
/* The request's method, the peer answers go to, and the copy of the
 * request bytes (valid while t lives). */
enum sip_method sip_txn_server_method(const struct sip_txn_server *t);
const struct sip_txn_peer *sip_txn_server_peer(const struct sip_txn_server *t);
struct sv sip_txn_server_request(const struct sip_txn_server *t);

/* Starts a client transaction: sends 'request' (copied; it must carry
 * 'branch' in its top Via and 'method' in its CSeq) to 'peer' (copied)
 * and retransmits it until a response comes. Every response, and the
 * timeout or transport error, goes to cb(arg, ...). For a non-2xx final
 * to an INVITE the transaction sends the ACK itself (§17.1.1.3); for a
 * 2xx the TU does. *out (when out is not NULL) is valid until cb reports
 * a final outcome. No callback runs during this call.
 * Returns 0, -EINVAL (ACK, empty request or branch), -E2BIG, -EBUSY
 * (over max_client), -ENOMEM, or the transport error of the first
 * send (no transaction is left then). */
int sip_txn_client_start(struct sip_txn_layer *layer, struct sv request,
    struct sv branch, enum sip_method method, const struct sip_txn_peer *peer,
    sip_txn_response_cb cb, void *arg,
    struct sip_txn_client **out) RP_MUST_CHECK;
/* The TU loses interest: t keeps running its timers (retransmissions,
 * the ACK) but calls back no more. t must not be used after this. */
void sip_txn_client_detach(struct sip_txn_client *t);

/* Writes a new branch: "z9hG4bK" + SIP_TXN_BRANCH_RANDOM characters from
 * getrandom() (144 bits), NUL-ended. Returns 0 or a negative errno. Any
 * thread. */
int sip_txn_new_branch(char out[SIP_TXN_BRANCH_SIZE]) RP_MUST_CHECK;

/* The stream connection to 'peer' (transport, address and port) failed
 * or closed: every client transaction still waiting on it ends with 503
 * (RFC 3261 §17.1.4) instead of waiting for Timer B or F. */
void sip_txn_layer_peer_lost(
    struct sip_txn_layer *layer, const struct sip_txn_peer *peer);

#endif
