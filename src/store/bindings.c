/* The registrations repository. */
#include "store/bindings.h"

#include <errno.h>
#include <stdbool.h>

#include "core/log.h"

static int
bindings_check_key(struct sv aor, struct sv contact, bool need_contact)
{
	if (aor.len == 0 || (need_contact && contact.len == 0))
		return -EINVAL;
	if (aor.len > BINDINGS_FIELD_MAX || contact.len > BINDINGS_FIELD_MAX)
		return -E2BIG;
	return 0;
}

static int
bindings_check(const struct binding_record *b)
{
	int err = bindings_check_key(b->aor, b->contact, true);

	if (err != 0)
		return err;
	if (b->q > BINDINGS_Q_MAX)
		return -EINVAL;
	if (b->call_id.len > BINDINGS_FIELD_MAX ||
	    b->source.len > BINDINGS_FIELD_MAX ||
	    b->user_agent.len > BINDINGS_FIELD_MAX)
		return -E2BIG;
	return 0;
}

/* An absent optional field is stored as an empty one. */
static struct sv
bindings_text(struct sv v)
{
	return v.p != NULL ? v : SV("");
}

int
bindings_save(struct db *db, const struct binding_record *b)
{
	struct db_stmt *st;
	int err;

	err = bindings_check(b);
	if (err != 0)
		return err;
	err = db_write_begin(db,
	    "INSERT INTO bindings (aor, contact, expires_at, q, call_id, cseq,"
	    " source, user_agent, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT (aor, contact) DO UPDATE SET"
	    " expires_at = excluded.expires_at, q = excluded.q,"
	    " call_id = excluded.call_id, cseq = excluded.cseq,"
	    " source = excluded.source, user_agent = excluded.user_agent,"
	    " updated_at = excluded.updated_at",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, b->aor);
	db_bind_text(st, 2, b->contact);
	db_bind_int64(st, 3, b->expires_at);
	db_bind_int64(st, 4, b->q);
	db_bind_text(st, 5, bindings_text(b->call_id));
	db_bind_int64(st, 6, b->cseq);
	db_bind_text(st, 7, bindings_text(b->source));
	db_bind_text(st, 8, bindings_text(b->user_agent));
	db_bind_int64(st, 9, b->updated_at);
	return db_write_end(db, st, NULL);
}

int
bindings_delete(struct db *db, struct sv aor, struct sv contact)
{
	struct db_stmt *st;
	int err;

	err = bindings_check_key(aor, contact, true);
	if (err != 0)
		return err;
	err = db_write_begin(
	    db, "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, aor);
	db_bind_text(st, 2, contact);
	return db_write_end(db, st, NULL);
}

int
bindings_delete_aor(struct db *db, struct sv aor)
{
	struct db_stmt *st;
	int err;

	err = bindings_check_key(aor, SV_NULL, false);
	if (err != 0)
		return err;
	err = db_write_begin(db, "DELETE FROM bindings WHERE aor = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, aor);
	return db_write_end(db, st, NULL);
}

int
bindings_purge_expired(struct db *db, int64_t now, uint64_t *removed)
{
	struct db_stmt *st;
	uint64_t n = 0;
	int err;

	err = db_write_begin(
	    db, "DELETE FROM bindings WHERE expires_at <= ?1", &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, now);
	err = db_write_end(db, st, &n);
	if (removed != NULL)
		*removed = err == 0 ? n : 0;
	return err;
}

/* Reads the current row into *b; false if it breaks the rules. */
static bool
bindings_read_row(struct db_stmt *st, struct binding_record *b)
{
	int64_t q = db_col_int64(st, 3), cseq = db_col_int64(st, 5);

	*b = (struct binding_record){
	    .aor = db_col_text(st, 0),
	    .contact = db_col_text(st, 1),
	    .expires_at = db_col_int64(st, 2),
	    .call_id = bindings_text(db_col_text(st, 4)),
	    .source = bindings_text(db_col_text(st, 6)),
	    .user_agent = bindings_text(db_col_text(st, 7)),
	    .updated_at = db_col_int64(st, 8),
	};
	if (q < 0 || q > BINDINGS_Q_MAX || cseq < 0 || cseq > UINT32_MAX)
		return false;
	b->q = (uint32_t)q;
	b->cseq = (uint32_t)cseq;
	return bindings_check(b) == 0;
}

/* Calls cb for each binding live at 'now', without writing. */
static int
bindings_each(struct db *db, int64_t now, bindings_load_cb cb, void *arg)
{
	struct binding_record b;
	struct db_stmt *st;
	char esc[LOG_SV_BUF];
	int err;

	err = db_prepare(db,
	    "SELECT aor, contact, expires_at, q, call_id, cseq, source,"
	    " user_agent, updated_at FROM bindings WHERE expires_at > ?1"
	    " ORDER BY aor, contact",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, now);
	while ((err = db_step(st)) == DB_ROW) {
		if (!bindings_read_row(st, &b)) {
			log_warn("store",
			    "msg=\"invalid binding row skipped\" "
			    "aor=%s",
			    log_sv(b.aor, esc));
			continue;
		}
		err = cb(arg, &b);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

int
bindings_load_all(struct db *db, int64_t now, bindings_load_cb cb, void *arg)
{
	uint64_t purged = 0;
	int err;

	err = bindings_purge_expired(db, now, &purged);
	if (err != 0)
		return err;
	if (purged > 0)
		log_info("store", "msg=\"expired bindings removed\" count=%llu",
		    (unsigned long long)purged);
	/* The filter repeats the purge for a row that expires meanwhile. */
	return bindings_each(db, now, cb, arg);
}

int
bindings_list(struct db *db, int64_t now, bindings_load_cb cb, void *arg)
{
	return bindings_each(db, now, cb, arg);
}
