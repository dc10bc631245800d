/* The audit log: a keyed hash chain in the database. */
#include "store/audit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/settings.h"

#define AUDIT_DOMAIN "rempart.audit.v1"
#define AUDIT_ANCHOR_DOMAIN "rempart.audit.anchor.v1"
/* "SEQ:HEX": 19 digits, ':', 64 hex digits. */
#define AUDIT_TAIL_STRLEN (19 + 1 + 2 * AUDIT_HASH_LEN + 1)
/* The largest encoding: the fixed part plus every field at its cap. */
#define AUDIT_ENC_MAX                                                          \
	(64 + 7 * 4 + 3 * AUDIT_FIELD_MAX + AUDIT_FIELD_MAX +                  \
	    AUDIT_OBJECT_MAX + 2 * AUDIT_STATE_MAX)

const char *
audit_fault_text(enum audit_fault f)
{
	switch (f) {
	case AUDIT_FAULT_NONE:
		return "intact";
	case AUDIT_FAULT_HASH:
		return "hash mismatch (the entry was changed)";
	case AUDIT_FAULT_PREV:
		return "prev_hash mismatch (entries removed, inserted or "
		       "reordered before it)";
	case AUDIT_FAULT_MISSING:
		return "entry missing (seq gap)";
	case AUDIT_FAULT_ANCHOR:
		return "does not match the retention anchor";
	case AUDIT_FAULT_TAIL:
		return "does not match the tail record (entries removed at "
		       "the end)";
	case AUDIT_FAULT_ROW:
		return "malformed entry";
	}
	return "unknown fault";
}

/* Printable UTF-8: no C0 or C1 control character and no DEL. */
static int
audit_check_text(struct sv s, size_t max)
{
	uint32_t cp;
	size_t n;

	if (s.len > max)
		return -E2BIG;
	for (size_t i = 0; i < s.len; i += n) {
		n = sv_utf8_seq(s, i, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return -EINVAL;
	}
	return 0;
}

static int
audit_check(const struct audit_entry *e)
{
	const struct sv shorts[] = {e->actor, e->role, e->source, e->action};
	int err;

	for (size_t i = 0; i < RP_ARRAY_LEN(shorts); i++) {
		err = audit_check_text(shorts[i], AUDIT_FIELD_MAX);
		if (err != 0)
			return err;
	}
	err = audit_check_text(e->object, AUDIT_OBJECT_MAX);
	if (err == 0)
		err = audit_check_text(e->before, AUDIT_STATE_MAX);
	if (err == 0)
		err = audit_check_text(e->after, AUDIT_STATE_MAX);
	return err;
}

static struct sv
audit_text(struct sv v)
{
	return v.p != NULL ? v : SV("");
}

static void
audit_put_u64(struct buf *b, uint64_t v)
{
	uint8_t be[8];

	for (size_t i = 0; i < sizeof(be); i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	buf_append(b, be, sizeof(be));
}

/* Length-prefixed, so field boundaries are part of what is signed. */
static void
audit_put_text(struct buf *b, struct sv s)
{
	uint8_t be[4];
	uint32_t n = (uint32_t)s.len;

	for (size_t i = 0; i < sizeof(be); i++)
		be[i] = (uint8_t)(n >> (24 - 8 * i));
	buf_append(b, be, sizeof(be));
	if (s.len > 0)
		buf_append(b, s.p, s.len);
}

static int
audit_hmac(const uint8_t key[AUDIT_HASH_LEN], struct sv data,
    uint8_t out[AUDIT_HASH_LEN])
{
	size_t n = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, AUDIT_HASH_LEN,
	        (const unsigned char *)data.p, data.len, out, AUDIT_HASH_LEN,
	        &n) == NULL ||
	    n != AUDIT_HASH_LEN)
		return -EIO;
	return 0;
}

/* The entry's hash; see the top of audit.h for the encoding. */
static int
audit_entry_hash(const uint8_t key[AUDIT_HASH_LEN],
    const uint8_t prev[AUDIT_HASH_LEN], const struct audit_entry *e,
    uint8_t out[AUDIT_HASH_LEN])
{
	struct buf b;
	int err;

	buf_init(&b, AUDIT_ENC_MAX);
	buf_append_cstr(&b, AUDIT_DOMAIN);
	buf_append(&b, prev, AUDIT_HASH_LEN);
	audit_put_u64(&b, (uint64_t)e->seq);
	audit_put_u64(&b, (uint64_t)e->at_ms);
	audit_put_text(&b, audit_text(e->actor));
	audit_put_text(&b, audit_text(e->role));
	audit_put_text(&b, audit_text(e->source));
	audit_put_text(&b, audit_text(e->action));
	audit_put_text(&b, audit_text(e->object));
	audit_put_text(&b, audit_text(e->before));
	audit_put_text(&b, audit_text(e->after));
	err = buf_error(&b);
	if (err == 0)
		err = audit_hmac(key, buf_view(&b), out);
	buf_release(&b);
	return err;
}

static int
audit_anchor_mac(const uint8_t key[AUDIT_HASH_LEN], int64_t seq, int64_t at_ms,
    const uint8_t hash[AUDIT_HASH_LEN], uint8_t out[AUDIT_HASH_LEN])
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	buf_append_cstr(&b, AUDIT_ANCHOR_DOMAIN);
	audit_put_u64(&b, (uint64_t)seq);
	audit_put_u64(&b, (uint64_t)at_ms);
	buf_append(&b, hash, AUDIT_HASH_LEN);
	err = buf_error(&b);
	if (err == 0)
		err = audit_hmac(key, buf_view(&b), out);
	buf_release(&b);
	return err;
}

static int
audit_key(const struct keys *k, uint8_t key[AUDIT_HASH_LEN])
{
	return keys_derive(k, AUDIT_KEY_LABEL, key, AUDIT_HASH_LEN);
}

/* Copies a 32-byte blob column; false if it has another size. */
static bool
audit_col_hash(struct db_stmt *st, int col, uint8_t out[AUDIT_HASH_LEN])
{
	struct sv v = db_col_blob(st, col);

	if (v.len != AUDIT_HASH_LEN)
		return false;
	memcpy(out, v.p, AUDIT_HASH_LEN);
	return true;
}

/* Reads one (seq, hash) row of 'sql'. Returns 0 (found), -ENOENT, -EIO
 * (a hash of the wrong size) or a store error. */
static int
audit_read_link(
    struct db *db, const char *sql, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	struct db_stmt *st;
	int err;

	err = db_prepare(db, sql, &st);
	if (err != 0)
		return err;
	err = db_step(st);
	if (err == DB_ROW) {
		*seq = db_col_int64(st, 0);
		err = audit_col_hash(st, 1, hash) ? 0 : -EIO;
	} else if (err == DB_DONE) {
		err = -ENOENT;
	}
	db_finish(st);
	return err;
}

/* The link the next entry chains to: the last entry, else the anchor,
 * else seq 0 and a zero hash. */
static int
audit_last_link(struct db *db, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	int err;

	err = audit_read_link(db,
	    "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", seq, hash);
	if (err == -ENOENT)
		err = audit_read_link(db,
		    "SELECT seq, hash FROM audit_anchor WHERE id = 1", seq,
		    hash);
	if (err == -ENOENT) {
		*seq = 0;
		memset(hash, 0, AUDIT_HASH_LEN);
		err = 0;
	}
	return err;
}

static void
audit_hex(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
audit_set_tail(struct db *db, int64_t seq, const uint8_t hash[AUDIT_HASH_LEN])
{
	char hex[2 * AUDIT_HASH_LEN + 1], text[AUDIT_TAIL_STRLEN];
	int n;

	audit_hex(hash, AUDIT_HASH_LEN, hex);
	n = snprintf(text, sizeof(text), "%" PRId64 ":%s", seq, hex);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -EIO;
	return settings_set(db, AUDIT_SETTING_TAIL, sv_make(text, (size_t)n));
}

/* Parses the tail record. Returns 0, -ENOENT (none) or -EBADMSG. */
static int
audit_get_tail(struct db *db, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	char text[AUDIT_TAIL_STRLEN + 1];
	struct sv rest, head;
	uint64_t n;
	int err, hi, lo;

	err = settings_get(db, AUDIT_SETTING_TAIL, text, sizeof(text));
	if (err == -E2BIG)
		return -EBADMSG;
	if (err != 0)
		return err;
	rest = sv_cstr(text);
	if (!sv_split(&rest, ':', &head) ||
	    sv_to_u64(head, INT64_MAX, &n) != 0 ||
	    rest.len != 2 * AUDIT_HASH_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++) {
		hi = sv_hex_value(rest.p[2 * i]);
		lo = sv_hex_value(rest.p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EBADMSG;
		hash[i] = (uint8_t)(hi << 4 | lo);
	}
	*seq = (int64_t)n;
	return 0;
}

static int64_t
audit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The append itself, inside the caller's transaction level. */
static int
audit_insert(struct db *db, const uint8_t key[AUDIT_HASH_LEN],
    const struct audit_entry *in, int64_t *seq)
{
	uint8_t prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	struct audit_entry e = *in;
	struct db_stmt *st;
	int64_t last;
	int err;

	err = audit_last_link(db, &last, prev);
	if (err != 0)
		return err;
	e.seq = last + 1;
	if (e.at_ms == 0)
		e.at_ms = audit_now_ms();
	err = audit_entry_hash(key, prev, &e, hash);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "INSERT INTO audit (seq, at_ms, actor, role, source, action,"
	    " object, before, after, prev_hash, hash)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, e.seq);
	db_bind_int64(st, 2, e.at_ms);
	db_bind_text(st, 3, audit_text(e.actor));
	db_bind_text(st, 4, audit_text(e.role));
	db_bind_text(st, 5, audit_text(e.source));
	db_bind_text(st, 6, audit_text(e.action));
	db_bind_text(st, 7, audit_text(e.object));
	db_bind_text(st, 8, audit_text(e.before));
	db_bind_text(st, 9, audit_text(e.after));
	db_bind_blob(st, 10, sv_make((const char *)prev, AUDIT_HASH_LEN));
	db_bind_blob(st, 11, sv_make((const char *)hash, AUDIT_HASH_LEN));
	err = db_step(st);
	db_finish(st);
	if (err == 0)
		err = audit_set_tail(db, e.seq, hash);
	if (err == 0 && seq != NULL)
		*seq = e.seq;
	return err;
}

int
audit_append(struct db *db, const struct keys *k, const struct audit_entry *e,
    int64_t *seq)
{
	uint8_t key[AUDIT_HASH_LEN];
	int err;

	err = audit_check(e);
	if (err != 0)
		return err;
	err = audit_key(k, key);
	if (err != 0)
		return err;
	/* The write lock is held from the read of the last hash to the
	 * commit, so two writers never chain to the same entry. */
	err = db_tx_begin(db);
	if (err != 0)
		goto out;
	err = audit_insert(db, key, e, seq);
	if (err != 0) {
		db_tx_rollback(db);
		goto out;
	}
	err = db_tx_commit(db);
out:
	keys_wipe(key, sizeof(key));
	return err;
}

static void
audit_read_entry(struct db_stmt *st, struct audit_entry *e)
{
	*e = (struct audit_entry){
	    .seq = db_col_int64(st, 0),
	    .at_ms = db_col_int64(st, 1),
	    .actor = audit_text(db_col_text(st, 2)),
	    .role = audit_text(db_col_text(st, 3)),
	    .source = audit_text(db_col_text(st, 4)),
	    .action = audit_text(db_col_text(st, 5)),
	    .object = audit_text(db_col_text(st, 6)),
	    .before = audit_text(db_col_text(st, 7)),
	    .after = audit_text(db_col_text(st, 8)),
	};
}

static void
audit_broken(struct audit_verify_result *out, int64_t seq, enum audit_fault f)
{
	out->ok = false;
	out->broken_seq = seq;
	out->fault = f;
}

/* Starts the walk at the anchor, checking its MAC. Returns 0 (with
 * out->ok cleared if the anchor is bad) or an error. */
static int
audit_verify_anchor(struct db *db, const uint8_t key[AUDIT_HASH_LEN],
    struct audit_verify_result *out, uint8_t prev[AUDIT_HASH_LEN])
{
	uint8_t hash[AUDIT_HASH_LEN], mac[AUDIT_HASH_LEN], want[AUDIT_HASH_LEN];
	struct db_stmt *st;
	int64_t seq, at_ms;
	bool sized;
	int err;

	memset(prev, 0, AUDIT_HASH_LEN);
	err = db_prepare(db,
	    "SELECT seq, at_ms, hash, mac FROM audit_anchor WHERE id = 1", &st);
	if (err != 0)
		return err;
	err = db_step(st);
	if (err != DB_ROW) {
		db_finish(st);
		return err; /* DB_DONE (0): no anchor, start at entry 1 */
	}
	seq = db_col_int64(st, 0);
	at_ms = db_col_int64(st, 1);
	sized = audit_col_hash(st, 2, hash) && audit_col_hash(st, 3, mac);
	db_finish(st);
	if (!sized) {
		audit_broken(out, seq, AUDIT_FAULT_ANCHOR);
		return 0;
	}
	err = audit_anchor_mac(key, seq, at_ms, hash, want);
	if (err != 0)
		return err;
	if (CRYPTO_memcmp(mac, want, AUDIT_HASH_LEN) != 0) {
		audit_broken(out, seq, AUDIT_FAULT_ANCHOR);
		return 0;
	}
	memcpy(prev, hash, AUDIT_HASH_LEN);
	out->last_seq = seq;
	return 0;
}

/* Checks the current row against the chain so far; on success it
 * becomes the last link. */
static int
audit_verify_row(struct db_stmt *st, const uint8_t key[AUDIT_HASH_LEN],
    struct audit_verify_result *out, uint8_t prev[AUDIT_HASH_LEN])
{
	uint8_t row_prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
	uint8_t want[AUDIT_HASH_LEN];
	struct audit_entry e;
	int64_t expect = out->last_seq + 1;
	int err;

	audit_read_entry(st, &e);
	if (e.seq < expect) {
		/* At or before the anchor: retention removed it, yet here
		 * it is. */
		audit_broken(out, e.seq, AUDIT_FAULT_ANCHOR);
		return 0;
	}
	if (e.seq > expect) {
		audit_broken(out, expect, AUDIT_FAULT_MISSING);
		out->found_seq = e.seq;
		return 0;
	}
	if (!audit_col_hash(st, 9, row_prev) || !audit_col_hash(st, 10, hash) ||
	    audit_check(&e) != 0) {
		audit_broken(out, e.seq, AUDIT_FAULT_ROW);
		return 0;
	}
	if (memcmp(row_prev, prev, AUDIT_HASH_LEN) != 0) {
		audit_broken(out, e.seq, AUDIT_FAULT_PREV);
		return 0;
	}
	err = audit_entry_hash(key, prev, &e, want);
	if (err != 0)
		return err;
	if (CRYPTO_memcmp(hash, want, AUDIT_HASH_LEN) != 0) {
		audit_broken(out, e.seq, AUDIT_FAULT_HASH);
		return 0;
	}
	memcpy(prev, hash, AUDIT_HASH_LEN);
	out->last_seq = e.seq;
	out->count++;
	return 0;
}

/* The tail record must name the last entry (or the anchor). */
static int
audit_verify_tail(struct db *db, struct audit_verify_result *out,
    const uint8_t last[AUDIT_HASH_LEN])
{
	uint8_t hash[AUDIT_HASH_LEN];
	int64_t seq;
	int err;

	err = audit_get_tail(db, &seq, hash);
	if (err == -ENOENT) {
		/* None yet is fine only for a log never written. */
		if (out->last_seq != 0)
			audit_broken(out, out->last_seq + 1, AUDIT_FAULT_TAIL);
		return 0;
	}
	if (err == -EBADMSG) {
		audit_broken(out, out->last_seq + 1, AUDIT_FAULT_TAIL);
		return 0;
	}
	if (err != 0)
		return err;
	if (seq > out->last_seq)
		audit_broken(out, out->last_seq + 1, AUDIT_FAULT_TAIL);
	else if (seq < out->last_seq)
		audit_broken(out, seq + 1, AUDIT_FAULT_TAIL);
	else if (memcmp(hash, last, AUDIT_HASH_LEN) != 0)
		audit_broken(out, seq, AUDIT_FAULT_TAIL);
	return 0;
}

static int
audit_walk(struct db *db, const uint8_t key[AUDIT_HASH_LEN],
    struct audit_verify_result *out)
{
	uint8_t prev[AUDIT_HASH_LEN];
	struct db_stmt *st;
	int err;

	err = audit_verify_anchor(db, key, out, prev);
	if (err != 0 || !out->ok)
		return err;
	err = db_prepare(db,
	    "SELECT seq, at_ms, actor, role, source, action, object, before,"
	    " after, prev_hash, hash FROM audit ORDER BY seq",
	    &st);
	if (err != 0)
		return err;
	while (out->ok && (err = db_step(st)) == DB_ROW) {
		err = audit_verify_row(st, key, out, prev);
		if (err != 0)
			break;
	}
	db_finish(st);
	if (err != 0 || !out->ok)
		return err;
	return audit_verify_tail(db, out, prev);
}

int
audit_verify(
    struct db *db, const struct keys *k, struct audit_verify_result *out)
{
	uint8_t key[AUDIT_HASH_LEN];
	int err;

	*out = (struct audit_verify_result){.ok = true};
	err = audit_key(k, key);
	if (err != 0)
		return err;
	/* One snapshot: an append running meanwhile cannot make the tail
	 * record and the entries disagree. */
	err = db_read_begin(db);
	if (err == 0) {
		err = audit_walk(db, key, out);
		db_read_end(db);
	}
	keys_wipe(key, sizeof(key));
	if (err != 0)
		*out = (struct audit_verify_result){0};
	return err;
}

int
audit_list(struct db *db, int64_t since_ms, uint32_t limit, audit_list_cb cb,
    void *arg)
{
	struct audit_entry e;
	struct db_stmt *st;
	int err;

	/* The latest 'limit', shown oldest first. */
	err = db_prepare(db,
	    "SELECT * FROM (SELECT seq, at_ms, actor, role, source, action,"
	    " object, before, after FROM audit WHERE at_ms >= ?1"
	    " ORDER BY seq DESC LIMIT ?2) ORDER BY seq",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, since_ms);
	db_bind_int64(st, 2, limit > 0 ? (int64_t)limit : INT64_MAX);
	while ((err = db_step(st)) == DB_ROW) {
		audit_read_entry(st, &e);
		err = cb(arg, &e);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

static int
audit_page_read(struct db *db, int64_t since_ms, uint64_t offset,
    uint32_t limit, uint64_t *total, audit_list_cb cb, void *arg)
{
	struct audit_entry e;
	struct db_stmt *st;
	int err;

	err =
	    db_prepare(db, "SELECT COUNT(*) FROM audit WHERE at_ms >= ?1", &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, since_ms);
	err = db_step(st);
	if (err == DB_ROW) {
		*total = (uint64_t)db_col_int64(st, 0);
		err = 0;
	} else if (err == DB_DONE) {
		err = -EIO;
	}
	db_finish(st);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "SELECT seq, at_ms, actor, role, source, action, object, before,"
	    " after FROM audit WHERE at_ms >= ?1 ORDER BY seq LIMIT ?2"
	    " OFFSET ?3",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, since_ms);
	db_bind_int64(st, 2, (int64_t)limit);
	db_bind_int64(st, 3, offset > INT64_MAX ? INT64_MAX : (int64_t)offset);
	while ((err = db_step(st)) == DB_ROW) {
		audit_read_entry(st, &e);
		err = cb(arg, &e);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

int
audit_page(struct db *db, int64_t since_ms, uint64_t offset, uint32_t limit,
    uint64_t *total, audit_list_cb cb, void *arg)
{
	int err;

	/* One snapshot: the count and the page agree. */
	err = db_read_begin(db);
	if (err != 0)
		return err;
	err = audit_page_read(db, since_ms, offset, limit, total, cb, arg);
	db_read_end(db);
	return err;
}

/* The last entry retention may remove: the one before the first entry
 * recent enough to keep, or the last entry if none is. 0: none. */
static int
audit_prune_point(struct db *db, int64_t older_than_ms, int64_t *seq)
{
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT COALESCE((SELECT MIN(seq) FROM audit WHERE at_ms >= ?1) - "
	    "1,"
	    " (SELECT MAX(seq) FROM audit), 0)",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, older_than_ms);
	err = db_step(st);
	if (err == DB_ROW) {
		*seq = db_col_int64(st, 0);
		err = 0;
	} else if (err == DB_DONE) {
		err = -EIO;
	}
	db_finish(st);
	return err;
}

/* Moves the anchor onto entry 'seq', then removes it and all before. */
static int
audit_cut(struct db *db, const uint8_t key[AUDIT_HASH_LEN], int64_t seq,
    uint64_t *removed)
{
	uint8_t hash[AUDIT_HASH_LEN], mac[AUDIT_HASH_LEN];
	struct db_stmt *st;
	int64_t at_ms = 0;
	bool found = false;
	int err;

	err =
	    db_prepare(db, "SELECT at_ms, hash FROM audit WHERE seq = ?1", &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, seq);
	err = db_step(st);
	if (err == DB_ROW) {
		at_ms = db_col_int64(st, 0);
		found = audit_col_hash(st, 1, hash);
		err = 0;
	}
	db_finish(st);
	if (err != 0)
		return err;
	if (!found)
		return -EIO; /* verified just before: cannot happen */
	err = audit_anchor_mac(key, seq, at_ms, hash, mac);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "INSERT INTO audit_anchor (id, seq, at_ms, hash, mac)"
	    " VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET"
	    " seq = excluded.seq, at_ms = excluded.at_ms,"
	    " hash = excluded.hash, mac = excluded.mac",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, seq);
	db_bind_int64(st, 2, at_ms);
	db_bind_blob(st, 3, sv_make((const char *)hash, AUDIT_HASH_LEN));
	db_bind_blob(st, 4, sv_make((const char *)mac, AUDIT_HASH_LEN));
	err = db_step(st);
	db_finish(st);
	if (err != 0)
		return err;
	err = db_prepare(db, "DELETE FROM audit WHERE seq <= ?1", &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, seq);
	err = db_step(st);
	if (err == 0)
		*removed = db_changes(db);
	db_finish(st);
	return err;
}

int
audit_prune(struct db *db, const struct keys *k, int64_t older_than_ms,
    uint64_t *removed)
{
	struct audit_verify_result res;
	uint8_t key[AUDIT_HASH_LEN];
	uint64_t n = 0;
	int64_t seq = 0;
	int err;

	err = audit_key(k, key);
	if (err != 0)
		return err;
	err = db_tx_begin(db);
	if (err != 0)
		goto out;
	err = audit_verify(db, k, &res);
	if (err == 0 && !res.ok) {
		log_error("store",
		    "msg=\"audit chain broken, retention suspended\" "
		    "seq=%" PRId64 " fault=\"%s\"",
		    res.broken_seq, audit_fault_text(res.fault));
		err = -EBADMSG;
	}
	if (err == 0)
		err = audit_prune_point(db, older_than_ms, &seq);
	/* The anchor never moves back, and entry 'seq' must exist. */
	if (err == 0 && seq > res.last_seq - (int64_t)res.count)
		err = audit_cut(db, key, seq, &n);
	if (err != 0) {
		db_tx_rollback(db);
		goto out;
	}
	err = db_tx_commit(db);
out:
	keys_wipe(key, sizeof(key));
	if (removed != NULL)
		*removed = err == 0 ? n : 0;
	return err;
}

int
audit_retention_days(struct db *db, uint32_t *days)
{
	char text[16];
	int err;

	err = settings_get(db, AUDIT_SETTING_RETENTION, text, sizeof(text));
	if (err == -ENOENT) {
		*days = AUDIT_RETENTION_DEFAULT_DAYS;
		return 0;
	}
	if (err == -E2BIG)
		return -EINVAL;
	if (err != 0)
		return err;
	if (sv_to_u32(sv_cstr(text), AUDIT_RETENTION_MAX_DAYS, days) != 0 ||
	    *days == 0)
		return -EINVAL;
	return 0;
}
