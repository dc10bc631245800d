/* Calls between extensions: the back-to-back user agent (R-CALL-2,
 * R-CALL-3, R-CRYPTO-2, R-CRYPTO-4, R-FRAUD-8).
 *
 * A call has two legs, each its own dialog: leg A between the caller
 * and rempart, leg B between rempart and the callee. Nothing of one leg
 * (Call-ID, tags, Via, Contact, Record-Route, SDP addresses) appears on
 * the other: rempart writes every request and response of a leg itself.
 * Media is anchored on the relay (media/relay.h), SDP rewritten by
 * pbx/offer.h.
 *
 * The server authenticates the INVITE, checks the caller's identity and
 * resolves the dialled number; then calls_invite() owns the INVITE's
 * server transaction. The callee's contacts come from the registrar;
 * with several, every one rings (forking) and the first 200 wins, the
 * others are cancelled. A number outside goes through the trunks of a
 * route instead, one trunk at a time (calls_invite_trunks()). In-dialog
 * requests, ACKs for 2xx and stray responses are given to
 * calls_request(), calls_ack() and calls_stray(); CANCEL to
 * calls_cancel().
 *
 * Dead calls end on their own: a session refresh (RFC 4028 style: rempart
 * is the refresher of both legs and sends an UPDATE or re-INVITE every
 * half interval) that fails, or media that stopped flowing for
 * rtp_timeout, hangs up both legs.
 *
 * Each call attempt ends in exactly one call record given to the
 * record callback (the server writes it through the store writer).
 *
 * Everything runs on the signalling loop's thread. */
#ifndef RP_PBX_CALL_H
#define RP_PBX_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/live.h"
#include "core/loop.h"
#include "core/sv.h"
#include "media/relay.h"
#include "pbx/offer.h"
#include "sip/msg.h"
#include "sip/registrar.h"
#include "sip/transaction.h"
#include "store/cdr.h"

#define CALLS_MAX_DEFAULT 4096u
#define CALL_RING_TIMEOUT_MS_DEFAULT 60000u
#define CALL_SESSION_EXPIRES_S_DEFAULT 1800u
#define CALL_RTP_TIMEOUT_MS_DEFAULT 60000u
/* Contacts rung at once for one callee. */
#define CALL_FORKS_MAX 8u

/* One of the two parties, as the server resolved it. Views are borrowed
 * for the call of calls_invite() only. */
struct call_party {
	struct sv ext; /* or the number of an outside caller */
	bool outside;  /* a caller from a trunk, not an extension */
	struct sv display_name;
	struct offer_policy policy;
};

/* One trunk an outbound call may go through (R-TRUNK-2), as the server
 * resolved it. Views borrowed for the call of calls_invite_trunks(). */
struct call_trunk {
	struct sv name;
	struct sip_txn_peer peer;
	struct sv host; /* the Request-URI host: IP literal, IPv6 in [] */
	uint16_t port;
	struct sv from_user;   /* the caller ID presented to the operator */
	struct sv from_domain; /* From host */
	uint32_t channels;     /* calls at once through it */
	/* Digest credentials for an operator that challenges the INVITE
	 * (401 / 407), answered once per attempt; password SV_NULL: none.
	 * realm SV_NULL: any realm. */
	struct sv auth_user;
	struct sv realm;
	struct sv password;
	/* Its codecs (SRTP never required of an operator). The offer all
	 * the trunks of a call get follows the first one's. */
	struct offer_policy policy;
};

/* Where a call goes when its callee cannot take it: not registered,
 * unreachable (every contact failed, busy aside), or no answer within
 * the ring timeout (R-TRUNK-4). Another extension, or a number through
 * trunks (tried as calls_invite_trunks() does). Views borrowed for the
 * call of calls_invite(). */
struct call_alternate {
	const struct call_party *callee; /* an extension; NULL: trunks */
	const struct call_trunk *trunks; /* 1 to CALL_FORKS_MAX */
	unsigned ntrunks;
	struct sv number; /* what the trunks get */
	/* Through trunks: the number as configured (E.164) and the user
	 * whose alternate it is, who is charged (calls_charge_cb). */
	struct sv dialled;
	struct sv owner;
};

/* Choices of one calls_invite(); NULL means the defaults. */
struct call_options {
	uint32_t ring_timeout_ms; /* the callee's; 0: the configured one */
	const struct call_alternate *alternate; /* NULL: none */
};

/* Our own address for a transport, as written in Via and Contact: the
 * server fills it for the peer a leg talks to. Returns the host text
 * (IPv6 in brackets) and port. */
typedef int (*calls_local_cb)(void *ctx, const struct sip_txn_peer *peer,
    char *host, size_t host_size, uint16_t *port);
/* A finished call attempt. 'r' is valid during the call only. */
typedef void (*calls_record_cb)(void *ctx, const struct cdr_record *r);

/* An alternate through trunks is about to be rung: the server decides
 * on it as a call of 'owner' to 'dialled' (R-FRAUD-6). true: go on,
 * *tag the charge (0: none); false: the caller gets 480 and the record
 * says *reason (static text). */
typedef bool (*calls_charge_cb)(void *ctx, struct sv owner, struct sv dialled,
    uint64_t *tag, const char **reason);

/* A tagged call (calls_invite_trunks() with a tag: the server's charge
 * of an outbound call) was answered ('ended' false), or ended after
 * 'talk_s' seconds of conversation, rounded up (0: never answered). */
typedef void (*calls_tag_cb)(
    void *ctx, uint64_t tag, bool ended, uint64_t talk_s);

struct calls_config {
	struct loop *loop;
	struct sip_txn_layer *txn;
	const struct registrar *reg;
	struct media_relay *relay;
	struct sv domain;         /* the realm: host part of From/To we write */
	uint32_t max_calls;       /* 0: CALLS_MAX_DEFAULT */
	uint32_t ring_timeout_ms; /* 0: CALL_RING_TIMEOUT_MS_DEFAULT */
	uint32_t session_expires_s; /* 0: ..._DEFAULT */
	uint32_t rtp_timeout_ms;    /* 0: ..._DEFAULT */
	calls_local_cb local;
	calls_record_cb record;
	calls_tag_cb tagged;    /* may be NULL */
	calls_charge_cb charge; /* may be NULL: alternates not charged */
	void *ctx;              /* first argument of the callbacks */
};

struct calls;

int calls_new(struct calls **out, const struct calls_config *cfg) RP_MUST_CHECK;
/* Hangs up nothing: frees every call without a word (shutdown). NULL is
 * fine. Before the transaction layer is freed. */
void calls_free(struct calls *c);
size_t calls_count(const struct calls *c);

/* A new INVITE (no To tag) from an authenticated caller, or from a
 * trunk. 'callee' is NULL when the number is unknown (404).
 * calls_invite() always answers t, at once or later. 'dialled' is the
 * number called. 'opt' may be NULL. The alternate, when the callee
 * cannot take the call, is rung once with the configured ring timeout;
 * the record names who took the call. */
void calls_invite(struct calls *c, struct sip_txn_server *t,
    struct sip_msg *req, const struct call_party *caller,
    const struct call_party *callee, struct sv dialled,
    const struct call_options *opt);

/* A new INVITE from an authenticated caller to a number outside: the
 * trunks (1 to CALL_FORKS_MAX, copied) are tried one at a time, in
 * order, with INVITE sip:NUMBER@HOST:PORT. A trunk with credentials
 * that challenges the INVITE gets it once more with them. A 408, 5xx,
 * 401, 407 (again), a timeout or a transport error, and a trunk at its
 * channel limit, pass the call to the next trunk; any other final failure ends
 * it with that status. When every trunk failed the caller gets 503, or 480 when
 * the last one timed out. 'number' is what the trunks get, 'dialled' the
 * Request-URI user. calls_invite_trunks() always answers t. */
void calls_invite_trunks(struct calls *c, struct sip_txn_server *t,
    struct sip_msg *req, const struct call_party *caller,
    const struct call_trunk *trunks, unsigned n, struct sv number,
    struct sv dialled, uint64_t tag);

/* Copies the tags of the calls alive into 'out' (up to 'max'); returns
 * how many there are. Tag 0 (untagged) is never listed. */
size_t calls_tags(const struct calls *c, uint64_t *out, size_t max);

/* Ends the call tagged 'tag' now: BYE to both legs once answered, else
 * the caller's INVITE answered 'status'; its record says 'reason'.
 * Returns 0 or -ENOENT. */
int calls_hangup_tag(
    struct calls *c, uint64_t tag, uint16_t status, const char *reason);

/* Copies the calls alive into 'out' (up to 'max'), for supervision
 * (core/live.h), and their tags into 'tags' (may be NULL; 0:
 * untagged); returns how many there are. The cost fields are left 0. */
size_t calls_live(
    const struct calls *c, struct live_call *out, uint64_t *tags, size_t max);

/* Ends the call 'id' as an administrator asked: BYE to both legs once
 * answered (its record stays "answered"), else the caller's INVITE
 * answered 480 and the forks cancelled ("cancelled"); the record says
 * 'reason'. Returns 0 or -ENOENT. */
int calls_hangup_id(struct calls *c, struct sv id, const char *reason);

/* An in-dialog request (To tag present) other than ACK and CANCEL.
 * Returns false when it matches no dialog (the server answers 481). */
bool calls_request(
    struct calls *c, struct sip_txn_server *t, struct sip_msg *req);
/* An ACK that matched no transaction: the ACK for one of our 2xx. */
void calls_ack(struct calls *c, struct sip_msg *ack);
/* A response no client transaction took: a retransmitted 2xx. */
void calls_stray(
    struct calls *c, struct sip_msg *resp, const struct sip_txn_peer *from);
/* A CANCEL whose INVITE transaction 'invite' is still pending. The
 * server answers the CANCEL itself. */
void calls_cancel(struct calls *c, struct sip_txn_server *invite);

#endif
