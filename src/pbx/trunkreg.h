/* Registration of one SIP trunk with its operator (RFC 3261 §10.2).
 *
 * A trunk sends REGISTER to the operator's registrar:
 *
 *   REGISTER sip:<registrar> SIP/2.0
 *   From / To: <sip:<user>@<domain>>
 *   Contact: <sip:<user>@<local_host>:<local_port>>
 *   Expires: <expires_s>
 *
 * answers a 401 / 407 with Digest credentials (sip/uac_auth.h) once per
 * nonce, and on a 2xx reads the expiry granted to our Contact (its
 * expires parameter, else the Expires header, else what we asked) and
 * refreshes at 90 % of it, at least TRUNKREG_REFRESH_MARGIN_S before it
 * runs out. A 423 raises the asked expiry to Min-Expires and retries at
 * once. Any other failure (timeout, transport error, 3xx-6xx, a
 * challenge answered in vain, a challenge refused by policy) backs off:
 * retry_min_s doubling up to retry_max_s, each delay shifted by up to
 * ±20 % at random so that many trunks do not retry in step, and never
 * earlier than a Retry-After the operator gave.
 *
 * States: IDLE (not started, or unregistered), REGISTERING (first
 * attempt, or a retry after a failure), REGISTERED (a refresh keeps this
 * state until its outcome), FAILED (waiting to retry). The state
 * callback runs on each change.
 *
 * Pure on a loop and a transaction layer: the caller resolves the
 * registrar's address (struct sip_txn_peer) and routes responses to the
 * layer. Everything runs on the loop's thread. Secrets (HA1s, password)
 * are copied, never logged, and wiped on free. */
#ifndef RP_PBX_TRUNKREG_H
#define RP_PBX_TRUNKREG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "sip/auth.h"
#include "sip/digest.h"
#include "sip/transaction.h"

#define TRUNKREG_EXPIRES_DEFAULT_S 3600u
/* The largest expiry we ask for or accept from Min-Expires (a week). */
#define TRUNKREG_EXPIRES_MAX_S 604800u
#define TRUNKREG_RETRY_MIN_DEFAULT_S 30u
#define TRUNKREG_RETRY_MAX_DEFAULT_S 1800u
/* A refresh goes out at least this long before the binding expires. */
#define TRUNKREG_REFRESH_MARGIN_S 5u
/* Challenges answered within one attempt, and 423s followed. */
#define TRUNKREG_CHALLENGES_MAX 3u
#define TRUNKREG_423_MAX 2u
/* Bounds of the configured text fields. */
#define TRUNKREG_HOST_MAX 255u
#define TRUNKREG_USER_MAX 128u

enum trunkreg_state {
	TRUNKREG_IDLE,
	TRUNKREG_REGISTERING,
	TRUNKREG_REGISTERED,
	TRUNKREG_FAILED,
};

struct trunkreg;

/* The state changed to 'state'. t may be freed from this callback only
 * when state is IDLE or FAILED. */
typedef void (*trunkreg_state_cb)(
    void *arg, struct trunkreg *t, enum trunkreg_state state);

/* Everything is copied by trunkreg_new() except loop and txn (borrowed:
 * they must outlive the trunk). */
struct trunkreg_config {
	struct loop *loop;
	struct sip_txn_layer *txn;
	struct sip_txn_peer peer; /* the registrar, already resolved */
	struct sv name;           /* for logs; may be SV_NULL */
	/* Request-URI "sip:<registrar>" (host or host:port); SV_NULL: the
	 * domain. */
	struct sv registrar;
	struct sv domain;    /* host part of From and To */
	struct sv user;      /* user part of From, To and Contact */
	struct sv auth_user; /* Digest username; SV_NULL: user */
	/* The realm we expect. Required with ha1; with a password only,
	 * SV_NULL answers any realm. */
	struct sv realm;
	const struct sip_auth_ha1 *ha1; /* HA1s for realm, or NULL */
	struct sv password;             /* SV_NULL when ha1 is given */
	/* Weakest Digest algorithm accepted: SIP_DIGEST_ALG_MD5 (ABSENT
	 * means the same) or SIP_DIGEST_ALG_SHA256. */
	enum sip_digest_alg min_alg;
	struct sv local_host; /* ours, for Via and Contact */
	uint16_t local_port;
	uint32_t expires_s;         /* asked; 0: TRUNKREG_EXPIRES_DEFAULT_S */
	uint32_t retry_min_s;       /* 0: TRUNKREG_RETRY_MIN_DEFAULT_S */
	uint32_t retry_max_s;       /* 0: TRUNKREG_RETRY_MAX_DEFAULT_S */
	trunkreg_state_cb on_state; /* may be NULL */
	void *arg;
};

/* A new trunk in IDLE. Returns 0, -EINVAL (missing loop, txn, domain,
 * user or local host; a field too long or with characters a SIP URI
 * cannot carry unescaped; no secret; ha1 without realm; expires or retry
 * bounds out of range) or -ENOMEM. */
int trunkreg_new(
    struct trunkreg **out, const struct trunkreg_config *cfg) RP_MUST_CHECK;
/* Stops everything without calling back (no unregistration: see
 * trunkreg_unregister()), wipes the secrets and frees (NULL is fine).
 * Not from the trunk's own callback unless its state is IDLE or FAILED. */
void trunkreg_free(struct trunkreg *t);

/* Starts registering: IDLE -> REGISTERING and the first REGISTER goes
 * out now. Returns 0 or -EALREADY (not IDLE). A send error is a
 * failure like any other (FAILED, then a retry). */
int trunkreg_start(struct trunkreg *t) RP_MUST_CHECK;

/* Removes our binding (REGISTER with Expires: 0, answering one challenge
 * per nonce) and stops refreshing and retrying. The state becomes IDLE
 * when the registrar answers or the attempt fails. Returns 0 (sent, or
 * nothing to do in IDLE), or the error of the send (the trunk is then
 * IDLE at once). */
int trunkreg_unregister(struct trunkreg *t) RP_MUST_CHECK;

enum trunkreg_state trunkreg_state(const struct trunkreg *t);
/* Static name of a state ("registered", ...). */
const char *trunkreg_state_name(enum trunkreg_state state);
/* Expiry granted by the last 2xx (seconds), 0 if none. */
uint32_t trunkreg_granted_s(const struct trunkreg *t);
/* Status of the last final response (408 / 503 when made up by the
 * transaction layer), 0 if none. */
uint16_t trunkreg_last_status(const struct trunkreg *t);
/* Why the last attempt failed: "no-answer" (nothing came back: a
 * timeout or a transport error), "rejected", "credentials-refused",
 * "send"...; "" before any failure. */
const char *trunkreg_last_failure(const struct trunkreg *t);
/* Failures in a row since the last success. */
uint32_t trunkreg_failures(const struct trunkreg *t);

#endif
