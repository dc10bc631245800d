/* SIP registrar and location service (RFC 3261 §10.3). R-CALL-1,
 * R-TRUNK-5.
 *
 * registrar_handle() processes a REGISTER that the caller has already
 * authenticated (RFC 3261 §10.3 steps 1 to 3: domain, Require and digest
 * authentication are the caller's), then steps 4 to 8: the authenticated
 * user may only change its own bindings (403 otherwise), the Contact
 * values are checked, the bindings updated and the answer decided. The
 * registrar sends nothing: it returns a status and the extra header lines
 * (Contact list, Date, Min-Expires); the caller builds the response
 * around them and sends it through its server transaction.
 *
 * Location service: an address-of-record maps to at most contacts_max
 * bindings (several per device: R-TRUNK-5), at most bindings_max in all.
 *
 * AOR key (§10.3 step 5): the user part of the To URI, with its escapes
 * decoded and every URI parameter dropped, compared byte for byte (the
 * userinfo of a SIP URI is case-sensitive, §19.1.4). The host part is not
 * part of the key: the server serves one domain, and the caller refuses a
 * Request-URI for another one (404, step 1) before calling. The key is
 * also the authenticated user name.
 *
 * Contacts are compared with sip_uri_equal() (§10.3 step 7, §19.1.4). A
 * binding keeps the contact URI text, its q (absent q counts as 1.0), its
 * expiry, the Call-ID and CSeq of the request that last set it, the
 * peer it came from (transport, address, connection: requests to that
 * contact go back through the same flow and NAT binding, in the spirit of
 * RFC 5626) and the User-Agent text. A timer on the loop removes it when
 * it expires.
 *
 * Choices where RFC 3261 leaves room:
 * - Expiry: contact "expires" parameter, else the Expires header, else
 *   default_expires_s. A non-zero value below min_expires_s is refused
 *   with 423 and Min-Expires (min_expires_s is at most 3600, so only
 *   intervals under one hour are refused, §10.3 step 7); a value above
 *   max_expires_s is shortened to it.
 * - Same Call-ID with a CSeq not above the binding's: §10.3 steps 6 and 7
 *   say the update is aborted and the request fails; step 7 makes every
 *   update of a request all or nothing and names 500 for a failure. So
 *   the whole request changes nothing and gets 500.
 * - Per-AOR bound: a phone that reboots registers a new contact (new
 *   Call-ID, often a new port) while its old binding lives on until it
 *   expires. Refusing the new one would lock the phone out, so the
 *   binding closest to expiry that this request does not touch is
 *   replaced (the removed hook says REGISTRAR_REMOVAL_EVICTED). A single
 *   request that asks for more than contacts_max live contacts gets 403
 *   "Too Many Contacts": retrying cannot help it.
 * - Total bound: a request that would go over bindings_max gets 503 and
 *   changes nothing; no binding of another user is ever evicted for it.
 * - Every failure (bad request, 423, 500, out of memory: 503) leaves the
 *   location service as it was: no binding changed, no hook called.
 *
 * Hooks (persistence): 'saved' is called after a binding is added or
 * refreshed, 'removed' after one is removed (unregistered, expired,
 * evicted, or its contact text rewritten by a refresh with an equal URI
 * written differently: removed for the old text, then saved for the new).
 * A row is thus keyed by (aor, contact text). Hooks run on the loop
 * thread, must not block (post the change to the store writer) and must
 * not call any registrar function. registrar_restore() puts saved rows
 * back at start without calling the hooks.
 *
 * A registrar belongs to the loop thread: every function here runs on
 * it. Views given to callbacks are valid during the call only. */
#ifndef RP_SIP_REGISTRAR_H
#define RP_SIP_REGISTRAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "sip/msg.h"
#include "sip/transaction.h"

/* Defaults of struct registrar_config. */
#define REGISTRAR_DEFAULT_EXPIRES_S 3600u
#define REGISTRAR_MIN_EXPIRES_S 60u
#define REGISTRAR_MAX_EXPIRES_S 7200u
#define REGISTRAR_CONTACTS_MAX 10u    /* per AOR */
#define REGISTRAR_BINDINGS_MAX 10000u /* in all */
/* Greatest allowed settings. A 200 lists every binding of the AOR: 32
 * contacts of REGISTRAR_URI_MAX bytes stay well within SIP_MSG_MAX. */
#define REGISTRAR_CONTACTS_LIMIT 32u
#define REGISTRAR_BINDINGS_LIMIT (1u << 20)
#define REGISTRAR_EXPIRES_LIMIT 86400u
/* §10.3 step 7: 423 is allowed only for intervals under one hour. */
#define REGISTRAR_MIN_EXPIRES_LIMIT 3600u
/* Stored field limits. An AOR over REGISTRAR_AOR_MAX bytes gets 403; a
 * contact URI over REGISTRAR_URI_MAX bytes or a Call-ID over
 * REGISTRAR_CALL_ID_MAX gets 400; a longer User-Agent is cut. */
#define REGISTRAR_AOR_MAX 128u
#define REGISTRAR_URI_MAX 512u
#define REGISTRAR_CALL_ID_MAX 256u
#define REGISTRAR_USER_AGENT_MAX 128u

struct registrar;

struct registrar_config {
	uint32_t default_expires_s; /* min..max; default 3600 */
	uint32_t min_expires_s;     /* 1..3600; default 60 */
	uint32_t max_expires_s;     /* ..REGISTRAR_EXPIRES_LIMIT; 7200 */
	uint32_t contacts_max;      /* per AOR, 1..CONTACTS_LIMIT; 10 */
	uint32_t bindings_max;      /* in all, 1..BINDINGS_LIMIT; 10000 */
};

/* One binding, as a view (valid during the callback only). */
struct registrar_binding {
	struct sv aor;     /* the key: unescaped user part */
	struct sv contact; /* contact URI text, without <> or parameters */
	uint16_t q;        /* q-value times 1000: 0..1000 */
	uint32_t cseq;
	struct sv call_id;
	struct sv user_agent;       /* empty when the phone sent none */
	uint64_t expires_at_wall_s; /* UNIX time of expiry */
	/* Seconds left on the loop clock, rounded up; 0 in an expiry. */
	uint32_t expires_in_s;
	struct sip_txn_peer peer; /* where the REGISTER came from */
};

enum registrar_removal {
	REGISTRAR_REMOVAL_UNREGISTERED, /* expires 0, or Contact: * */
	REGISTRAR_REMOVAL_EXPIRED,      /* its timer fired */
	REGISTRAR_REMOVAL_EVICTED,      /* replaced: the AOR was full */
	REGISTRAR_REMOVAL_REWRITTEN,    /* refreshed with new URI text */
	REGISTRAR_REMOVAL_ADMIN,        /* registrar_remove_aor() */
};

typedef void (*registrar_saved_cb)(
    void *arg, const struct registrar_binding *b);
typedef void (*registrar_removed_cb)(
    void *arg, const struct registrar_binding *b, enum registrar_removal why);
/* Returns true to go on, false to stop. */
typedef bool (*registrar_binding_cb)(
    void *arg, const struct registrar_binding *b);

struct registrar_hooks {
	registrar_saved_cb saved;     /* NULL: not told */
	registrar_removed_cb removed; /* NULL: not told */
	void *arg;                    /* first argument of each */
};

/* What to answer. 'reason' is static text, or "" for the standard
 * phrase of 'status'. */
struct registrar_reply {
	uint16_t status;
	const char *reason;
};

/* Fills *cfg with the defaults above. */
void registrar_config_default(struct registrar_config *cfg);

/* A new, empty registrar on loop 'l' (borrowed: it must outlive the
 * registrar). 'cfg' may be NULL for the defaults, 'hooks' NULL for none;
 * both are copied. Returns 0, -EINVAL (a setting out of range, or
 * min > default > max) or -ENOMEM. */
int registrar_new(struct registrar **out, struct loop *l,
    const struct registrar_config *cfg,
    const struct registrar_hooks *hooks) RP_MUST_CHECK;
/* Frees the registrar and its bindings, stopping their timers, without
 * calling the hooks (NULL is fine). Before loop_free(). */
void registrar_free(struct registrar *reg);

/* Processes an authenticated REGISTER (RFC 3261 §10.3 steps 4-8).
 * 'auth_user' is the user the digest check authenticated; 'from' is
 * where the request came from (sip_txn_server_peer(), copied into the
 * bindings); 'now_wall_s' is the UNIX time, for Date and for the
 * persisted expiry. 'hdrs' is emptied, then receives the header lines
 * to add to the response, each ending in CRLF: for a 200, Date and one
 * "Contact: <uri>;expires=N[;q=0.x]" per current binding of the AOR
 * (none after the last one is removed; a request without Contact is a
 * query); for a 423, Min-Expires. *reply gets the status: 200, 400 (a
 * malformed To, Call-ID, CSeq, Expires or Contact; a "*" not alone or
 * without "Expires: 0"; a contact that is not sip/sips or is too long),
 * 403 (To user is not auth_user, or too many contacts in one request),
 * 423, 500 (same Call-ID, CSeq not higher) or 503 (out of memory, or
 * bindings_max reached). Only a 200 changes anything; the hooks are
 * called before this returns. The caller answers with
 * sip_build_response(), the text of hdrs, sip_build_body() and
 * sip_txn_respond(). Returns 0, or -EINVAL when req is not a REGISTER
 * request or auth_user is empty (nothing is set then). */
int registrar_handle(struct registrar *reg, struct sip_msg *req,
    const struct sip_txn_peer *from, struct sv auth_user, uint64_t now_wall_s,
    struct buf *hdrs, struct registrar_reply *reply) RP_MUST_CHECK;

/* Puts back a binding saved by the 'saved' hook before a restart, with
 * its remaining life (b->expires_at_wall_s - now_wall_s, at most
 * max_expires_s) on the loop clock; b->expires_in_s is ignored. The peer
 * is kept as given: a stream connection does not survive a restart, so
 * the caller should clear conn_id for one. No hook is called.
 * Returns 0, -ETIMEDOUT (already expired: skipped, the caller deletes
 * the row), -EINVAL (a field empty, too long or malformed, or a contact
 * that is not sip/sips), -EEXIST (an equal contact is bound to the AOR),
 * -ENOSPC (the AOR or the registrar is full) or -ENOMEM. */
int registrar_restore(struct registrar *reg, const struct registrar_binding *b,
    uint64_t now_wall_s) RP_MUST_CHECK;

/* Calls cb for each binding of 'aor', by q descending, the most recently
 * refreshed first among equal q: the order to try them in. cb must not
 * change the registrar. Returns the number of bindings given to cb (0
 * when the AOR has none). */
int registrar_lookup(const struct registrar *reg, struct sv aor,
    registrar_binding_cb cb, void *arg);

/* Removes every binding of 'aor' (decommissioning a device or user,
 * R-PROV-6), calling the removed hook with REGISTRAR_REMOVAL_ADMIN for
 * each. Returns how many were removed. */
size_t registrar_remove_aor(struct registrar *reg, struct sv aor);

/* Bindings in all. */
size_t registrar_count(const struct registrar *reg);

#endif
