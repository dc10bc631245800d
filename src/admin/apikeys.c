/* API keys: creation, verification, rotation, revocation. */
#include "admin/apikeys.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define APIKEYS_HASH_CONTEXT "rempart.apikey.v1"

/* The table is created by migration 6 (store/db.c). */
#define APIKEYS_COLUMNS                                                        \
	"id, role, ext, created_at, expires_at, last_used_at, revoked"

static int
apikeys_ensure(struct db *db)
{
	(void)db;
	return sodium_init() < 0 ? -EIO : 0;
}

/* True for a view of exactly 'len' base64url characters. */
static bool
b64url_text(struct sv s, size_t len)
{
	if (s.len != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Decodes exactly 'n' bytes from canonical unpadded base64url. */
static int
b64url_decode(struct sv s, uint8_t *out, size_t n)
{
	size_t got = 0;

	if (s.len == 0 ||
	    sodium_base642bin(out, n, s.p, s.len, NULL, &got, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    got != n)
		return -EINVAL;
	return 0;
}

static void
apikeys_hash(struct sv id, const uint8_t secret[APIKEYS_SECRET_BYTES],
    uint8_t out[APIKEYS_HASH_BYTES])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, APIKEYS_HASH_BYTES);
	crypto_generichash_update(&h, (const uint8_t *)APIKEYS_HASH_CONTEXT,
	    sizeof(APIKEYS_HASH_CONTEXT) - 1);
	crypto_generichash_update(&h, (const uint8_t *)id.p, id.len);
	crypto_generichash_update(&h, secret, APIKEYS_SECRET_BYTES);
	crypto_generichash_final(&h, out, APIKEYS_HASH_BYTES);
	sodium_memzero(&h, sizeof(h));
}

/* A new secret for 'id': the key text in 'key', its hash in 'hash'. */
static void
apikeys_new_secret(struct sv id, char key[APIKEYS_KEY_STRLEN],
    uint8_t hash[APIKEYS_HASH_BYTES])
{
	uint8_t secret[APIKEYS_SECRET_BYTES];
	char text[APIKEYS_SECRET_LEN + 1];

	randombytes_buf(secret, sizeof(secret));
	sodium_bin2base64(text, sizeof(text), secret, sizeof(secret),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	apikeys_hash(id, secret, hash);
	memcpy(key, APIKEYS_PREFIX, 4);
	memcpy(key + 4, id.p, APIKEYS_ID_LEN);
	key[4 + APIKEYS_ID_LEN] = '_';
	memcpy(key + 5 + APIKEYS_ID_LEN, text, APIKEYS_SECRET_LEN);
	key[APIKEYS_KEY_LEN] = '\0';
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(text, sizeof(text));
}

static bool
apikeys_id_valid(struct sv id)
{
	uint8_t raw[APIKEYS_ID_BYTES];

	return b64url_text(id, APIKEYS_ID_LEN) &&
	       b64url_decode(id, raw, sizeof(raw)) == 0;
}

int
apikeys_create(struct db *db, enum rbac_role role, struct sv ext, int64_t now,
    int64_t expires_at, char key[APIKEYS_KEY_STRLEN], struct apikey_info *info)
{
	uint8_t raw_id[APIKEYS_ID_BYTES], hash[APIKEYS_HASH_BYTES];
	char id[APIKEYS_ID_STRLEN];
	struct db_stmt *st;
	int rc;

	if (rbac_role_name(role) == NULL || now < 0 || expires_at <= now ||
	    expires_at - now > APIKEYS_LIFETIME_MAX_S)
		return -EINVAL;
	if (role == RBAC_ROLE_USER ? !users_ext_valid(ext) : ext.len != 0)
		return -EINVAL;
	rc = apikeys_ensure(db);
	if (rc != 0)
		return rc;
	randombytes_buf(raw_id, sizeof(raw_id));
	sodium_bin2base64(id, sizeof(id), raw_id, sizeof(raw_id),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	apikeys_new_secret(sv_make(id, APIKEYS_ID_LEN), key, hash);
	rc = db_write_begin(db,
	    "INSERT INTO api_keys (id, role, ext, hash, created_at,"
	    " expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	    &st);
	if (rc == 0) {
		db_bind_text(st, 1, sv_make(id, APIKEYS_ID_LEN));
		db_bind_text(st, 2, sv_cstr(rbac_role_name(role)));
		db_bind_text(st, 3, ext.len != 0 ? ext : SV(""));
		db_bind_blob(st, 4, sv_make((const char *)hash, sizeof(hash)));
		db_bind_int64(st, 5, now);
		db_bind_int64(st, 6, expires_at);
		rc = db_write_end(db, st, NULL);
	}
	if (rc != 0) {
		sodium_memzero(key, APIKEYS_KEY_STRLEN);
		return rc;
	}
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		memcpy(info->id, id, sizeof(id));
		info->role = role;
		memcpy(info->ext, ext.p != NULL ? ext.p : "", ext.len);
		info->ext[ext.len] = '\0';
		info->created_at = now;
		info->expires_at = expires_at;
	}
	return 0;
}

/* Fills *out from a row of APIKEYS_COLUMNS. Returns 0 or -EBADMSG. */
static int
apikeys_row(struct db_stmt *st, struct apikey_info *out)
{
	struct sv id = db_col_text(st, 0), ext = db_col_text(st, 2);

	memset(out, 0, sizeof(*out));
	if (!apikeys_id_valid(id) ||
	    rbac_role_parse(db_col_text(st, 1), &out->role) != 0 ||
	    (ext.len != 0 && !users_ext_valid(ext)))
		return -EBADMSG;
	memcpy(out->id, id.p, id.len);
	if (ext.len != 0)
		memcpy(out->ext, ext.p, ext.len);
	out->created_at = db_col_int64(st, 3);
	out->expires_at = db_col_int64(st, 4);
	out->last_used_at = db_col_int64(st, 5);
	out->revoked = db_col_int64(st, 6) != 0;
	return 0;
}

int
apikeys_verify(
    struct db *db, struct sv key, int64_t now, struct apikey_info *out)
{
	uint8_t secret[APIKEYS_SECRET_BYTES], want[APIKEYS_HASH_BYTES] = {0},
	                                      got[APIKEYS_HASH_BYTES];
	struct sv id, text;
	struct db_stmt *st;
	struct apikey_info info;
	bool match;
	int rc;

	if (key.len != APIKEYS_KEY_LEN ||
	    !sv_starts_with(key, SV(APIKEYS_PREFIX)) ||
	    key.p[4 + APIKEYS_ID_LEN] != '_')
		return -EACCES;
	id = sv_make(key.p + 4, APIKEYS_ID_LEN);
	text = sv_make(key.p + 5 + APIKEYS_ID_LEN, APIKEYS_SECRET_LEN);
	if (!apikeys_id_valid(id) || !b64url_text(text, APIKEYS_SECRET_LEN) ||
	    b64url_decode(text, secret, sizeof(secret)) != 0)
		return -EACCES;
	rc = apikeys_ensure(db);
	if (rc == 0)
		rc = db_prepare(db,
		    "SELECT " APIKEYS_COLUMNS ", hash FROM api_keys"
		    " WHERE id = ?1",
		    &st);
	if (rc != 0) {
		sodium_memzero(secret, sizeof(secret));
		return rc;
	}
	db_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		struct sv h = db_col_blob(st, 7);

		if (h.len == sizeof(want) && apikeys_row(st, &info) == 0)
			memcpy(want, h.p, sizeof(want));
		else
			rc = -EACCES; /* a damaged row opens nothing */
	} else if (rc == DB_DONE) {
		rc = -EACCES;
	}
	db_finish(st);
	/* The hash is computed whether or not the id was found, so the
	 * time taken says little about which check failed. */
	apikeys_hash(id, secret, got);
	sodium_memzero(secret, sizeof(secret));
	if (rc != DB_ROW)
		return rc;
	match = sodium_memcmp(want, got, sizeof(want)) == 0;
	if (!match || info.revoked || now >= info.expires_at)
		return -EACCES;
	*out = info;
	return 0;
}

int
apikeys_touch(struct db *db, struct sv id, int64_t now)
{
	struct db_stmt *st;
	uint64_t n = 0;
	int rc;

	rc = apikeys_ensure(db);
	if (rc == 0)
		rc = db_write_begin(db,
		    "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, id);
	db_bind_int64(st, 2, now);
	rc = db_write_end(db, st, &n);
	return rc == 0 && n == 0 ? -ENOENT : rc;
}

int
apikeys_revoke(struct db *db, struct sv id)
{
	struct db_stmt *st;
	uint64_t n = 0;
	int rc;

	rc = apikeys_ensure(db);
	if (rc == 0)
		rc = db_write_begin(db,
		    "UPDATE api_keys SET revoked = 1"
		    " WHERE id = ?1 AND revoked = 0",
		    &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, id);
	rc = db_write_end(db, st, &n);
	return rc == 0 && n == 0 ? -ENOENT : rc;
}

int
apikeys_rotate(struct db *db, struct sv id, char key[APIKEYS_KEY_STRLEN])
{
	uint8_t hash[APIKEYS_HASH_BYTES];
	struct db_stmt *st;
	uint64_t n = 0;
	int rc;

	if (!apikeys_id_valid(id))
		return -ENOENT;
	rc = apikeys_ensure(db);
	if (rc == 0)
		rc = db_write_begin(db,
		    "UPDATE api_keys SET hash = ?2"
		    " WHERE id = ?1 AND revoked = 0",
		    &st);
	if (rc != 0)
		return rc;
	apikeys_new_secret(id, key, hash);
	db_bind_text(st, 1, id);
	db_bind_blob(st, 2, sv_make((const char *)hash, sizeof(hash)));
	rc = db_write_end(db, st, &n);
	if (rc == 0 && n == 0)
		rc = -ENOENT;
	if (rc != 0)
		sodium_memzero(key, APIKEYS_KEY_STRLEN);
	return rc;
}

int
apikeys_get(struct db *db, struct sv id, struct apikey_info *out)
{
	struct db_stmt *st;
	int rc;

	rc = apikeys_ensure(db);
	if (rc == 0)
		rc = db_prepare(db,
		    "SELECT " APIKEYS_COLUMNS " FROM api_keys WHERE id = ?1",
		    &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		rc = apikeys_row(st, out);
	else if (rc == DB_DONE)
		rc = -ENOENT;
	db_finish(st);
	return rc;
}

int
apikeys_list(struct db *db, apikeys_list_cb cb, void *arg)
{
	struct apikey_info info;
	struct db_stmt *st;
	int rc;

	rc = apikeys_ensure(db);
	if (rc == 0)
		rc = db_prepare(db,
		    "SELECT " APIKEYS_COLUMNS " FROM api_keys"
		    " ORDER BY created_at, id",
		    &st);
	if (rc != 0)
		return rc;
	while ((rc = db_step(st)) == DB_ROW) {
		rc = apikeys_row(st, &info);
		if (rc == 0)
			rc = cb(arg, &info);
		if (rc != 0)
			break;
	}
	db_finish(st);
	return rc;
}
