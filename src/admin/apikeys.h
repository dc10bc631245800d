/* API keys of the administration API (R-ADMIN-2).
 *
 * A key reads "rpk_<id>_<secret>": a 16-byte random id and a 32-byte
 * random secret, each in unpadded base64url, so a key always has
 * APIKEYS_KEY_LEN characters and splits by position (base64url itself
 * uses '_'). The key is shown once, by apikeys_create() or
 * apikeys_rotate(); the store keeps only
 *
 *   hash = BLAKE2b-256("rempart.apikey.v1" || id || secret)
 *
 * (crypto_generichash): the secret has 256 bits of entropy, so a fast
 * hash is enough, and the id in the input means a hash copied to
 * another row does not verify. A key has a role (admin/rbac.h), an
 * extension for the 'user' role, an expiry, and can be revoked or
 * rotated (new secret, same id and role).
 *
 * The table 'api_keys' is created by this module on first use (CREATE
 * TABLE IF NOT EXISTS); it moves into a numbered migration in
 * store/db.c when the admin subsystem is merged, keeping the same
 * definition.
 *
 * Thread rules: those of the db handle (store/db.h). */
#ifndef RP_ADMIN_APIKEYS_H
#define RP_ADMIN_APIKEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "admin/rbac.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/users.h"

#define APIKEYS_ID_BYTES 16
#define APIKEYS_SECRET_BYTES 32
#define APIKEYS_HASH_BYTES 32
/* Unpadded base64url lengths: ceil(n * 4 / 3). */
#define APIKEYS_ID_LEN 22
#define APIKEYS_SECRET_LEN 43
#define APIKEYS_PREFIX "rpk_"
#define APIKEYS_KEY_LEN (4 + APIKEYS_ID_LEN + 1 + APIKEYS_SECRET_LEN)
/* Text buffers with their NUL. */
#define APIKEYS_ID_STRLEN (APIKEYS_ID_LEN + 1)
#define APIKEYS_KEY_STRLEN (APIKEYS_KEY_LEN + 1)
/* Longest lifetime: ten years. */
#define APIKEYS_LIFETIME_MAX_S (3650LL * 86400)

struct apikey_info {
	char id[APIKEYS_ID_STRLEN];
	enum rbac_role role;
	char ext[USERS_EXT_MAX + 1]; /* the 'user' role's extension, or "" */
	int64_t created_at;          /* seconds since the epoch */
	int64_t expires_at;
	int64_t last_used_at; /* 0: never used */
	bool revoked;
};

/* Called once per key; a non-zero return stops the listing and is
 * returned by apikeys_list(). */
typedef int (*apikeys_list_cb)(void *arg, const struct apikey_info *k);

/* Creates a key. The 'user' role needs a valid extension (it need not
 * exist yet: a key for a removed user simply finds nothing); other
 * roles take none (SV_NULL or empty). 'expires_at' must be after 'now'
 * and at most APIKEYS_LIFETIME_MAX_S later. The key text goes to
 * 'key' (NUL-terminated; the caller shows it once and wipes it) and
 * the stored fields to *info (may be NULL). Returns 0, -EINVAL or a
 * store error. */
int apikeys_create(struct db *db, enum rbac_role role, struct sv ext,
    int64_t now, int64_t expires_at, char key[APIKEYS_KEY_STRLEN],
    struct apikey_info *info) RP_MUST_CHECK;

/* Checks a key presented at 'now': well-formed, known, secret matching
 * (compared in constant time), not revoked, not expired. On success
 * *out gets the key's fields. Every way of failing gives the same
 * -EACCES, so a caller cannot leak which one it was; other errors are
 * the store's. */
int apikeys_verify(struct db *db, struct sv key, int64_t now,
    struct apikey_info *out) RP_MUST_CHECK;

/* Records that key 'id' was used at 'now'. Returns 0, -ENOENT or a
 * store error. */
int apikeys_touch(struct db *db, struct sv id, int64_t now) RP_MUST_CHECK;

/* Revokes key 'id' for good. Returns 0, -ENOENT (no such key, or
 * already revoked) or a store error. */
int apikeys_revoke(struct db *db, struct sv id) RP_MUST_CHECK;

/* Gives key 'id' a new secret, written to 'key' as for
 * apikeys_create(); the old secret stops working at once. Role,
 * extension and expiry are kept. Returns 0, -ENOENT (no such key, or
 * revoked) or a store error. */
int apikeys_rotate(
    struct db *db, struct sv id, char key[APIKEYS_KEY_STRLEN]) RP_MUST_CHECK;

/* Reads key 'id'. Returns 0, -ENOENT, -EBADMSG (a row that breaks the
 * rules) or a store error. */
int apikeys_get(
    struct db *db, struct sv id, struct apikey_info *out) RP_MUST_CHECK;

/* Calls cb for every key, revoked and expired ones included, by
 * creation time then id. Returns 0, the callback's value, -EBADMSG or
 * a store error. */
int apikeys_list(struct db *db, apikeys_list_cb cb, void *arg) RP_MUST_CHECK;

#endif
