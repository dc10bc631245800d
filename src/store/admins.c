/* Administrator accounts and sessions. */
#include "store/admins.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "core/buf.h"

#define ADMINS_AAD_TOTP "admins.totp:"
#define ADMINS_AAD_MAX (sizeof(ADMINS_AAD_TOTP) + ADMINS_NAME_MAX)

_Static_assert(ADMINS_HASH_STRLEN == crypto_pwhash_STRBYTES,
    "the hash buffer fits crypto_pwhash_str()");
_Static_assert(crypto_hash_sha256_BYTES == 32, "session id hashes");

/* The columns admins_row() reads, in order. */
#define ADMINS_COLUMNS                                                         \
	"name, role, ext, pw_hash, password_changed_at, totp_secret IS NOT "   \
	"NULL, totp_enrolled, totp_last_step, failed_count, failed_since, "    \
	"locked_until, lock_count, last_login, disabled, created_at, "         \
	"updated_at"

static const char *const admins_roles[] = {
    "admin", "auditor", "helpdesk", "user"};

bool
admins_name_valid(struct sv name)
{
	if (name.len == 0 || name.len > ADMINS_NAME_MAX)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

bool
admins_role_valid(struct sv role)
{
	return sv_name_index(role, admins_roles, RP_ARRAY_LEN(admins_roles)) >=
	       0;
}

bool
admins_role_needs_totp(const char *role)
{
	return strcmp(role, "admin") == 0 || strcmp(role, "auditor") == 0;
}

int
admins_hash_password(struct sv password, char out[ADMINS_HASH_STRLEN])
{
	if (password.len == 0 || password.len > ADMINPW_MAX_LEN)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	if (crypto_pwhash_str(out, password.p, password.len,
	        crypto_pwhash_OPSLIMIT_MODERATE,
	        crypto_pwhash_MEMLIMIT_MODERATE) != 0)
		return -ENOMEM;
	return 0;
}

bool
admins_password_matches(const char *hash, struct sv password)
{
	if (password.len == 0 || password.len > ADMINPW_MAX_LEN ||
	    sodium_init() < 0)
		return false;
	return crypto_pwhash_str_verify(hash, password.p, password.len) == 0;
}

/* A hash string as crypto_pwhash_str() writes it. */
static bool
admins_hash_valid(struct sv h)
{
	return h.len > 0 && h.len < ADMINS_HASH_STRLEN &&
	       sv_starts_with(h, SV("$argon2id$")) &&
	       memchr(h.p, '\0', h.len) == NULL;
}

static void
admins_copy(char *out, struct sv v)
{
	if (v.len != 0)
		memcpy(out, v.p, v.len);
	out[v.len] = '\0';
}

/* Fills *out from a row of ADMINS_COLUMNS. Returns 0 or -EBADMSG. */
static int
admins_row(struct db_stmt *st, struct admins_account *out)
{
	struct sv name = db_col_text(st, 0), role = db_col_text(st, 1),
	          ext = db_col_text(st, 2), hash = db_col_text(st, 3);
	int64_t failed = db_col_int64(st, 8), locks = db_col_int64(st, 11);

	memset(out, 0, sizeof(*out));
	if (!admins_name_valid(name) || !admins_role_valid(role) ||
	    (ext.len != 0 && !users_ext_valid(ext)) ||
	    !admins_hash_valid(hash) || failed < 0 || failed > UINT32_MAX ||
	    locks < 0 || locks > UINT32_MAX)
		return -EBADMSG;
	admins_copy(out->name, name);
	admins_copy(out->role, role);
	admins_copy(out->ext, ext);
	admins_copy(out->pw_hash, hash);
	out->password_changed_at = db_col_int64(st, 4);
	out->totp_set = db_col_int64(st, 5) != 0;
	out->totp_enrolled = db_col_int64(st, 6) != 0;
	out->totp_last_step = db_col_int64(st, 7);
	out->lock.failures = (uint32_t)failed;
	out->lock.window_start = db_col_int64(st, 9);
	out->lock.locked_until = db_col_int64(st, 10);
	out->lock.locks = (uint32_t)locks;
	out->last_login = db_col_int64(st, 12);
	out->disabled = db_col_int64(st, 13) != 0;
	out->created_at = db_col_int64(st, 14);
	out->updated_at = db_col_int64(st, 15);
	return 0;
}

int
admins_add(struct db *db, struct sv name, struct sv role, struct sv ext,
    const char *hash, int64_t now)
{
	struct db_stmt *st;
	int rc;

	if (!admins_name_valid(name) || !admins_role_valid(role) ||
	    hash == NULL || !admins_hash_valid(sv_cstr(hash)))
		return -EINVAL;
	if (sv_eq(role, SV("user")) ? !users_ext_valid(ext) : ext.len != 0)
		return -EINVAL;
	rc = db_write_begin(db,
	    "INSERT INTO admins (name, role, ext, pw_hash,"
	    " password_changed_at, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, role);
	db_bind_text(st, 3, ext.len != 0 ? ext : SV(""));
	db_bind_text(st, 4, sv_cstr(hash));
	db_bind_int64(st, 5, now);
	return db_write_end(db, st, NULL);
}

int
admins_get(struct db *db, struct sv name, struct admins_account *out)
{
	struct db_stmt *st;
	int rc;

	if (!admins_name_valid(name))
		return -ENOENT;
	rc = db_prepare(
	    db, "SELECT " ADMINS_COLUMNS " FROM admins WHERE name = ?1", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = admins_row(st, out);
	else if (rc == DB_DONE)
		rc = -ENOENT;
	db_finish(st);
	return rc;
}

int
admins_list(struct db *db, admins_list_cb cb, void *arg)
{
	struct admins_account a;
	struct db_stmt *st;
	int rc;

	rc = db_prepare(
	    db, "SELECT " ADMINS_COLUMNS " FROM admins ORDER BY name", &st);
	if (rc != 0)
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		rc = admins_row(st, &a);
		if (rc == 0)
			rc = cb(arg, &a);
		if (rc != 0)
			break;
	}
	db_finish(st);
	return rc;
}

/* Runs one UPDATE or DELETE on the account 'name' with ?1 the name and
 * the first 'nargs' of ?2, ?3 the given integers. -ENOENT when no row
 * changed. */
static int
admins_write(struct db *db, const char *sql, struct sv name, int nargs,
    int64_t a, int64_t b)
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int rc;

	if (!admins_name_valid(name))
		return -ENOENT;
	rc = db_write_begin(db, sql, &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, name);
	if (nargs >= 1)
		db_bind_int64(st, 2, a);
	if (nargs >= 2)
		db_bind_int64(st, 3, b);
	rc = db_write_end(db, st, &changed);
	if (rc == 0 && changed == 0)
		rc = -ENOENT;
	return rc;
}

int
admins_remove(struct db *db, struct sv name)
{
	int rc = db_tx_begin(db);

	if (rc != 0)
		return rc;
	rc = admins_sessions_end_all(db, name, NULL);
	if (rc == 0)
		rc = admins_write(
		    db, "DELETE FROM admins WHERE name = ?1", name, 0, 0, 0);
	if (rc != 0) {
		db_tx_rollback(db);
		return rc;
	}
	return db_tx_commit(db);
}

int
admins_set_password(struct db *db, struct sv name, const char *hash,
    int64_t now, uint64_t *ended)
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int rc;

	if (hash == NULL || !admins_hash_valid(sv_cstr(hash)))
		return -EINVAL;
	if (!admins_name_valid(name))
		return -ENOENT;
	rc = db_tx_begin(db);
	if (rc != 0)
		return rc;
	rc = db_write_begin(db,
	    "UPDATE admins SET pw_hash = ?2, password_changed_at = ?3,"
	    " updated_at = ?3 WHERE name = ?1",
	    &st);
	if (rc == 0) {
		db_bind_text(st, 1, name);
		db_bind_text(st, 2, sv_cstr(hash));
		db_bind_int64(st, 3, now);
		rc = db_write_end(db, st, &changed);
	}
	if (rc == 0 && changed == 0)
		rc = -ENOENT;
	if (rc == 0)
		rc = admins_sessions_end_all(db, name, ended);
	if (rc != 0) {
		db_tx_rollback(db);
		return rc;
	}
	return db_tx_commit(db);
}

int
admins_set_disabled(struct db *db, struct sv name, bool disabled, int64_t now)
{
	int rc = db_tx_begin(db);

	if (rc != 0)
		return rc;
	rc = admins_write(db,
	    "UPDATE admins SET disabled = ?2, updated_at = ?3"
	    " WHERE name = ?1",
	    name, 2, disabled ? 1 : 0, now);
	if (rc == 0 && disabled)
		rc = admins_sessions_end_all(db, name, NULL);
	if (rc != 0) {
		db_tx_rollback(db);
		return rc;
	}
	return db_tx_commit(db);
}

int
admins_set_lock(struct db *db, struct sv name, const struct adminpw_lock *l)
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int rc;

	if (!admins_name_valid(name))
		return -ENOENT;
	rc = db_write_begin(db,
	    "UPDATE admins SET failed_count = ?2, failed_since = ?3,"
	    " locked_until = ?4, lock_count = ?5 WHERE name = ?1",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, name);
	db_bind_int64(st, 2, l->failures);
	db_bind_int64(st, 3, l->window_start);
	db_bind_int64(st, 4, l->locked_until);
	db_bind_int64(st, 5, l->locks);
	rc = db_write_end(db, st, &changed);
	return rc == 0 && changed == 0 ? -ENOENT : rc;
}

int
admins_login_ok(struct db *db, struct sv name, int64_t now)
{
	return admins_write(db,
	    "UPDATE admins SET failed_count = 0, failed_since = 0,"
	    " locked_until = 0, lock_count = 0, last_login = ?2"
	    " WHERE name = ?1",
	    name, 1, now, 0);
}

static struct sv
admins_aad(char out[ADMINS_AAD_MAX], struct sv name)
{
	memcpy(out, ADMINS_AAD_TOTP, sizeof(ADMINS_AAD_TOTP) - 1);
	memcpy(out + sizeof(ADMINS_AAD_TOTP) - 1, name.p, name.len);
	return sv_make(out, sizeof(ADMINS_AAD_TOTP) - 1 + name.len);
}

int
admins_totp_set(struct db *db, const struct keys *k, struct sv name,
    const uint8_t secret[ADMINS_TOTP_BYTES])
{
	char aad[ADMINS_AAD_MAX];
	struct db_stmt *st;
	struct buf sealed;
	uint64_t changed = 0;
	int rc;

	if (!admins_name_valid(name))
		return -ENOENT;
	buf_init(&sealed, 0);
	rc = keys_seal(k, sv_make((const char *)secret, ADMINS_TOTP_BYTES),
	    admins_aad(aad, name), &sealed);
	if (rc == 0)
		rc = db_write_begin(db,
		    "UPDATE admins SET totp_secret = ?2, totp_enrolled = 0,"
		    " totp_last_step = 0 WHERE name = ?1",
		    &st);
	if (rc == 0) {
		db_bind_text(st, 1, name);
		db_bind_blob(st, 2, buf_view(&sealed));
		rc = db_write_end(db, st, &changed);
	}
	buf_release(&sealed);
	return rc == 0 && changed == 0 ? -ENOENT : rc;
}

int
admins_totp_get(struct db *db, const struct keys *k, struct sv name,
    uint8_t out[ADMINS_TOTP_BYTES])
{
	char aad[ADMINS_AAD_MAX];
	struct db_stmt *st;
	struct buf b;
	int rc;

	if (!admins_name_valid(name))
		return -ENOENT;
	rc = db_prepare(
	    db, "SELECT totp_secret FROM admins WHERE name = ?1", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, name);
	rc = db_step(st);
	if (rc == DB_DONE || (rc == DB_ROW && db_col_is_null(st, 0))) {
		db_finish(st);
		return -ENOENT;
	}
	if (rc < 0) {
		db_finish(st);
		return rc;
	}
	buf_init(&b, ADMINS_TOTP_BYTES + 1);
	rc = keys_open(k, db_col_blob(st, 0), admins_aad(aad, name), &b);
	db_finish(st);
	if (rc == 0 && b.len == ADMINS_TOTP_BYTES)
		memcpy(out, b.data, ADMINS_TOTP_BYTES);
	else if (rc == 0 || rc == -E2BIG)
		rc = -EBADMSG;
	keys_wipe_buf(&b);
	return rc;
}

int
admins_totp_use(struct db *db, struct sv name, int64_t step, bool enrol)
{
	struct admins_account a;
	int rc;

	if (step <= 0)
		return -EINVAL;
	rc = admins_write(db,
	    enrol ? "UPDATE admins SET totp_last_step = ?2, totp_enrolled = 1"
	            " WHERE name = ?1 AND totp_secret IS NOT NULL"
	            " AND totp_last_step < ?2"
	          : "UPDATE admins SET totp_last_step = ?2"
	            " WHERE name = ?1 AND totp_secret IS NOT NULL"
	            " AND totp_last_step < ?2",
	    name, 1, step, 0);
	if (rc != -ENOENT)
		return rc;
	/* Nothing changed: a replay, or no such account or secret. */
	rc = admins_get(db, name, &a);
	if (rc == 0)
		rc = a.totp_set ? -EALREADY : -ENOENT;
	return rc;
}

int
admins_totp_reset(struct db *db, struct sv name, int64_t now)
{
	int rc = db_tx_begin(db);

	if (rc != 0)
		return rc;
	rc = admins_write(db,
	    "UPDATE admins SET totp_secret = NULL, totp_enrolled = 0,"
	    " totp_last_step = 0, updated_at = ?2 WHERE name = ?1",
	    name, 1, now, 0);
	if (rc == 0)
		rc = admins_sessions_end_all(db, name, NULL);
	if (rc != 0) {
		db_tx_rollback(db);
		return rc;
	}
	return db_tx_commit(db);
}

/* 32 random bytes in unpadded base64url. */
static void
admins_token(char out[ADMINS_TOKEN_STRLEN])
{
	uint8_t raw[ADMINS_TOKEN_BYTES];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, ADMINS_TOKEN_STRLEN, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

static bool
admins_token_valid(struct sv t)
{
	if (t.len != ADMINS_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		char c = t.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

static void
admins_token_hash(struct sv token, uint8_t out[32])
{
	crypto_hash_sha256(out, (const uint8_t *)token.p, token.len);
}

static bool
admins_source_valid(struct sv s)
{
	if (s.len == 0 || s.len > ADMINS_SOURCE_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] <= 0x20 ||
		    (unsigned char)s.p[i] >= 0x7f)
			return false;
	return true;
}

int
admins_session_new(struct db *db, struct sv name, struct sv source, int64_t now,
    char token[ADMINS_TOKEN_STRLEN], char csrf[ADMINS_TOKEN_STRLEN])
{
	uint8_t h[32];
	struct db_stmt *st;
	int rc;

	if (!admins_name_valid(name) || !admins_source_valid(source))
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;
	admins_token(token);
	admins_token(csrf);
	admins_token_hash(sv_make(token, ADMINS_TOKEN_LEN), h);
	rc = db_write_begin(db,
	    "INSERT INTO admin_sessions (id_hash, account, created_at,"
	    " last_seen, source, csrf) VALUES (?1, ?2, ?3, ?3, ?4, ?5)",
	    &st);
	if (rc == 0) {
		db_bind_blob(st, 1, sv_make((const char *)h, sizeof(h)));
		db_bind_text(st, 2, name);
		db_bind_int64(st, 3, now);
		db_bind_text(st, 4, source);
		db_bind_text(st, 5, sv_make(csrf, ADMINS_TOKEN_LEN));
		rc = db_write_end(db, st, NULL);
	}
	if (rc == -EINVAL)
		rc = -ENOENT; /* the foreign key: no such account */
	if (rc != 0) {
		sodium_memzero(token, ADMINS_TOKEN_STRLEN);
		sodium_memzero(csrf, ADMINS_TOKEN_STRLEN);
	}
	return rc;
}

int
admins_session_check(struct db *db, struct sv token, int64_t now,
    int64_t idle_s, struct admins_session *out)
{
	struct db_stmt *st;
	struct sv account, csrf, source;
	bool expired;
	int rc;

	if (!admins_token_valid(token))
		return -EACCES;
	memset(out, 0, sizeof(*out));
	admins_token_hash(token, out->id_hash);
	rc = db_prepare(db,
	    "SELECT account, csrf, source, created_at, last_seen"
	    " FROM admin_sessions WHERE id_hash = ?1",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_blob(st, 1, sv_make((const char *)out->id_hash, 32));
	rc = db_step(st);
	if (rc != DB_ROW) {
		db_finish(st);
		return rc == DB_DONE ? -EACCES : rc;
	}
	account = db_col_text(st, 0);
	csrf = db_col_text(st, 1);
	source = db_col_text(st, 2);
	if (!admins_name_valid(account) || !admins_token_valid(csrf) ||
	    source.len > ADMINS_SOURCE_MAX) {
		db_finish(st);
		return -EACCES;
	}
	admins_copy(out->account, account);
	admins_copy(out->csrf, csrf);
	admins_copy(out->source, source);
	out->created_at = db_col_int64(st, 3);
	out->last_seen = db_col_int64(st, 4);
	db_finish(st);
	expired = now - out->last_seen >= idle_s ||
	          now - out->created_at >= ADMINS_SESSION_MAX_S ||
	          now < out->created_at;
	if (expired) {
		rc = admins_session_end(db, out->id_hash);
		return rc == 0 || rc == -ENOENT ? -EACCES : rc;
	}
	rc = db_write_begin(db,
	    "UPDATE admin_sessions SET last_seen = ?2 WHERE id_hash = ?1", &st);
	if (rc != 0)
		return rc;
	db_bind_blob(st, 1, sv_make((const char *)out->id_hash, 32));
	db_bind_int64(st, 2, now);
	rc = db_write_end(db, st, NULL);
	if (rc == 0)
		out->last_seen = now;
	return rc;
}

int
admins_session_end(struct db *db, const uint8_t id_hash[32])
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int rc;

	rc = db_write_begin(
	    db, "DELETE FROM admin_sessions WHERE id_hash = ?1", &st);
	if (rc != 0)
		return rc;
	db_bind_blob(st, 1, sv_make((const char *)id_hash, 32));
	rc = db_write_end(db, st, &changed);
	return rc == 0 && changed == 0 ? -ENOENT : rc;
}

int
admins_sessions_end_all(struct db *db, struct sv name, uint64_t *ended)
{
	struct db_stmt *st;
	uint64_t changed = 0;
	int rc;

	rc = db_write_begin(
	    db, "DELETE FROM admin_sessions WHERE account = ?1", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, name);
	rc = db_write_end(db, st, &changed);
	if (rc == 0 && ended != NULL)
		*ended = changed;
	return rc;
}
