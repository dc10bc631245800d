/* Registrations (RFC 3261 §10) kept across restarts.
 *
 * The registrar keeps its location service in memory on the signalling
 * thread; this module persists it so bindings survive a restart
 * (R-OPS-3): each change is saved (usually as a store writer job), and
 * at start-up bindings_load_all() hands back the live ones.
 *
 * Every write runs in a transaction (store/db.h). Thread rules: those of
 * the db handle (store/db.h). */
#ifndef RP_STORE_BINDINGS_H
#define RP_STORE_BINDINGS_H

#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"

/* Cap on each text field, in bytes: above the SIP layer's own limits. */
#define BINDINGS_FIELD_MAX 4096u
/* q-values are stored in thousandths: q=0.5 is 500. */
#define BINDINGS_Q_MAX 1000u

/* Views are borrowed: bindings_save() reads them during the call, and
 * bindings_load_all() hands out views valid during its callback only. */
struct binding_record {
	struct sv aor;      /* address of record, non-empty */
	struct sv contact;  /* contact URI, non-empty */
	int64_t expires_at; /* seconds since the epoch */
	uint32_t q;         /* 0 .. BINDINGS_Q_MAX */
	struct sv call_id;
	uint32_t cseq;
	struct sv source;     /* "transport:ip:port" the REGISTER came from */
	struct sv user_agent; /* may be empty */
	int64_t updated_at;
};

/* Called once per live binding; a non-zero return stops the load and is
 * returned by bindings_load_all(). */
typedef int (*bindings_load_cb)(void *arg, const struct binding_record *b);

/* Inserts a binding, or replaces the one with the same (aor, contact).
 * Returns 0, -EINVAL (empty aor or contact, q above BINDINGS_Q_MAX),
 * -E2BIG (a field over BINDINGS_FIELD_MAX) or a store error. */
int bindings_save(struct db *db, const struct binding_record *b) RP_MUST_CHECK;

/* Removes one binding / every binding of an AOR. Removing what is not
 * there is not an error (a registrar may remove twice). Returns 0,
 * -EINVAL, -E2BIG or a store error. */
int bindings_delete(
    struct db *db, struct sv aor, struct sv contact) RP_MUST_CHECK;
int bindings_delete_aor(struct db *db, struct sv aor) RP_MUST_CHECK;

/* Deletes the bindings expired at 'now' (expires_at <= now), then calls
 * cb for each remaining one, ordered by aor then contact. A row that
 * breaks the rules above is skipped with a warning. Returns 0, the
 * callback's non-zero value, or a store error. */
int bindings_load_all(
    struct db *db, int64_t now, bindings_load_cb cb, void *arg) RP_MUST_CHECK;

/* Calls cb for each binding live at 'now' (expires_at > now), ordered
 * by aor then contact, writing nothing: for readers beside the
 * registrar, such as the administration API. Rows that break the rules
 * are skipped with a warning. Returns 0, the callback's non-zero value
 * or a store error. */
int bindings_list(
    struct db *db, int64_t now, bindings_load_cb cb, void *arg) RP_MUST_CHECK;

/* Deletes the bindings expired at 'now'; *removed (may be NULL) gets how
 * many. Returns 0 or a store error. */
int bindings_purge_expired(
    struct db *db, int64_t now, uint64_t *removed) RP_MUST_CHECK;

#endif
