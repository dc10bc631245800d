/* The audit log (R-ADMIN-4): append-only, hash-chained, key-bound.
 *
 * Every administrative action (who, in which role, from where, what, on
 * which object, the state before and after) and every security event
 * is one entry in the table 'audit' (migration 4, store/db.c). Entries
 * never hold a secret: callers put only non-secret fields in 'before'
 * and 'after' ("credentials replaced", never a password or an HA1);
 * this module cannot tell a secret from other text.
 *
 * The chain. Entry N carries prev_hash = hash of entry N-1 (32 zero
 * bytes for entry 1) and
 *
 *   hash = HMAC-SHA-256(K, "rempart.audit.v1" || prev_hash || seq ||
 *                          at_ms || actor || role || source || action ||
 *                          object || before || after)
 *
 * with seq and at_ms as 8 bytes big-endian and each text as a 4-byte
 * big-endian length then its bytes, so no two different entries encode
 * alike. K is derived from the master key (keys_derive(), label
 * AUDIT_KEY_LABEL): someone who can write the database file but has not
 * read the master key cannot compute a valid hash, so cannot rewrite
 * the chain after a change.
 *
 * What audit_verify() detects, walking the chain from the anchor:
 *   - a changed field of any entry, its hash or prev_hash included
 *     (AUDIT_FAULT_HASH or AUDIT_FAULT_PREV at that entry);
 *   - a deleted entry in the middle (AUDIT_FAULT_MISSING, naming the
 *     first missing seq);
 *   - an inserted entry, forged or replayed from elsewhere, and entries
 *     put in another order (the seq and prev_hash are under the MAC);
 *   - deleted oldest entries: the first entry must follow the anchor,
 *     itself a MAC over (seq, at_ms, hash) that only audit_prune()
 *     writes (AUDIT_FAULT_ANCHOR);
 *   - deleted newest entries (truncation of the tail), but only as far
 *     as the tail record can be trusted: each append also stores the
 *     latest seq and hash in the settings table (AUDIT_SETTING_TAIL), a
 *     cheap check that catches a careless truncation. Someone with
 *     write access to the file can truncate the log AND rewrite that
 *     record to match a surviving entry; only a copy kept elsewhere (the
 *     security log, a remote log server, a printed "last #S" from
 *     'rempart audit verify') proves the tail.
 * Not detected: someone who holds the master key can recompute the
 * whole chain; rolling the whole database back to an older copy (a
 * backup) leaves a valid chain, again caught only by a tail kept
 * elsewhere. A master key rotation must re-anchor the chain.
 *
 * Triggers (store/db.c) also make the engine refuse UPDATE and DELETE
 * on 'audit', except deletion of the entries up to the anchor, which
 * only moves forward onto an existing entry. They stop mistakes, not an
 * attacker with the file; the MACs stop the attacker.
 *
 * Thread rules: those of the db handle (store/db.h). Writes take the
 * write lock, so the daemon and the CLI can append to one chain. */
#ifndef RP_STORE_AUDIT_H
#define RP_STORE_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/keys.h"

#define AUDIT_HASH_LEN 32
/* The keys_derive() label of the chain's MAC key. */
#define AUDIT_KEY_LABEL "rempart audit hmac v1"
/* Settings (table 'settings'): the tail record "SEQ:HEXHASH", and the
 * retention in days, AUDIT_RETENTION_DEFAULT_DAYS when unset. */
#define AUDIT_SETTING_TAIL "audit.tail"
#define AUDIT_SETTING_RETENTION "audit.retention_days"
/* Over a year, so a year of history is always there (R-ADMIN-4). */
#define AUDIT_RETENTION_DEFAULT_DAYS 400u
#define AUDIT_RETENTION_MAX_DAYS 36500u
/* Caps in bytes: the short fields, the object, and before/after. */
#define AUDIT_FIELD_MAX 128u
#define AUDIT_OBJECT_MAX 256u
#define AUDIT_STATE_MAX 8192u

/* Views are borrowed: audit_append() reads them during the call, and
 * audit_list() hands out views valid during its callback only. Each
 * text is valid UTF-8 without control characters (it is shown on
 * terminals); an absent view (SV_NULL) is stored as "". */
struct audit_entry {
	int64_t seq;      /* set by the store */
	int64_t at_ms;    /* ms since the epoch; 0: now (CLOCK_REALTIME) */
	struct sv actor;  /* who: a Unix user, a SIP user, "rempartd" */
	struct sv role;   /* "admin", "system", ... */
	struct sv source; /* where from: "cli", an address */
	struct sv action; /* what: "user.add", "bans.remove", ... */
	struct sv object; /* on what: an extension, an address */
	struct sv before; /* non-secret state before, JSON text or "" */
	struct sv after;  /* non-secret state after, JSON text or "" */
};

enum audit_fault {
	AUDIT_FAULT_NONE,
	AUDIT_FAULT_HASH,    /* the entry's hash does not match its fields */
	AUDIT_FAULT_PREV,    /* prev_hash is not the previous entry's hash */
	AUDIT_FAULT_MISSING, /* entries missing before this seq */
	AUDIT_FAULT_ANCHOR,  /* the anchor's MAC is wrong */
	AUDIT_FAULT_TAIL,    /* the log ends before the tail record */
	AUDIT_FAULT_ROW,     /* a field of the wrong type or size */
};

struct audit_verify_result {
	bool ok;
	uint64_t count;     /* entries checked and found good */
	int64_t last_seq;   /* the last good entry (or the anchor), 0 */
	int64_t broken_seq; /* when !ok: the first bad or missing seq */
	int64_t found_seq;  /* AUDIT_FAULT_MISSING: the seq found there */
	enum audit_fault fault;
};

/* Called once per entry; a non-zero return stops the listing and is
 * returned by audit_list(). */
typedef int (*audit_list_cb)(void *arg, const struct audit_entry *e);

/* A short English text for a fault ("hash mismatch", ...). */
const char *audit_fault_text(enum audit_fault f);

/* Appends 'e' (its seq is ignored) as the next entry, in one
 * transaction that reads the last hash under the write lock, inserts
 * the entry and updates the tail record; inside a caller's transaction
 * it is part of that one, so a change and its entry commit together.
 * *seq (may be NULL) gets the new entry's seq. Returns 0, -EINVAL (a
 * field with control characters or invalid UTF-8), -E2BIG (a field over
 * its cap), -EIO (the MAC failed) or a store error. */
int audit_append(struct db *db, const struct keys *k,
    const struct audit_entry *e, int64_t *seq) RP_MUST_CHECK;

/* Walks the chain from the anchor (or entry 1) to the end and fills
 * *out: ok with the count and last seq, or the first broken entry and
 * why. A broken chain is a result, not an error: returns 0, or -EIO
 * (the MAC failed) or a store error. Reads only. */
int audit_verify(struct db *db, const struct keys *k,
    struct audit_verify_result *out) RP_MUST_CHECK;

/* Calls cb for the entries with at_ms >= since_ms, oldest first; with
 * 'limit' > 0 only the latest 'limit' of them. Returns 0, the
 * callback's non-zero value or a store error. */
int audit_list(struct db *db, int64_t since_ms, uint32_t limit,
    audit_list_cb cb, void *arg) RP_MUST_CHECK;

/* A page of the same entries, oldest first: at most 'limit' after the
 * first 'offset', and in *total how many there are in all (a listing
 * walked page by page). Returns 0, the callback's non-zero value or a
 * store error. */
int audit_page(struct db *db, int64_t since_ms, uint64_t offset, uint32_t limit,
    uint64_t *total, audit_list_cb cb, void *arg) RP_MUST_CHECK;

/* Retention: removes the oldest entries, up to the last one before the
 * first entry with at_ms >= older_than_ms (a clock stepped back never
 * makes it remove a newer entry). The chain is verified first, and
 * nothing is removed when it is broken (-EBADMSG), so retention never
 * erases the evidence of tampering. The anchor moves onto the last
 * removed entry in the same transaction. *removed (may be NULL) gets
 * how many. Returns 0, -EBADMSG, -EIO or a store error. */
int audit_prune(struct db *db, const struct keys *k, int64_t older_than_ms,
    uint64_t *removed) RP_MUST_CHECK;

/* The retention in days: the AUDIT_SETTING_RETENTION setting, or
 * AUDIT_RETENTION_DEFAULT_DAYS when unset. Returns 0, -EINVAL (a value
 * that is not 1 to AUDIT_RETENTION_MAX_DAYS) or a store error. */
int audit_retention_days(struct db *db, uint32_t *days) RP_MUST_CHECK;

#endif
