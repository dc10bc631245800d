/* Administrator accounts and their login sessions (R-ADMIN-1, R-AUTH-2,
 * R-AUTH-6). Tables 'admins' and 'admin_sessions' (migration 8,
 * store/db.c).
 *
 * An account has a name, a role ("admin", "auditor", "helpdesk", or
 * "user" with its extension), an argon2id password hash
 * (crypto_pwhash_str, moderate limits: the hash string carries its own
 * salt and parameters), the time its password was set, a TOTP secret
 * sealed under the master key (store/keys.h, AAD "admins.totp:" +
 * name) with whether it is enrolled and the last time step accepted
 * (a code is never accepted twice), the lockout state
 * (policy/adminpw.h), the last login and a disabled flag.
 *
 * A session is known by a 256-bit random token, given to the browser
 * once (as a cookie); the store keeps only its SHA-256. It also holds a
 * random CSRF token, the account, creation and last-use times and the
 * source address. A session ends after ADMINS_IDLE_DEFAULT_S without
 * use (configurable), ADMINS_SESSION_MAX_S after its creation, on
 * logout, and with every other session of its account when the
 * password changes, the account is disabled or its TOTP is reset.
 *
 * Thread rules: those of the db handle (store/db.h). Hashing is slow
 * (about a second): hash outside write transactions. */
#ifndef RP_STORE_ADMINS_H
#define RP_STORE_ADMINS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/adminpw.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/users.h"

#define ADMINS_NAME_MAX 32u
#define ADMINS_ROLE_MAX 8u
/* crypto_pwhash_STRBYTES, checked in admins.c. */
#define ADMINS_HASH_STRLEN 128u
#define ADMINS_TOTP_BYTES 20u
/* Session and CSRF tokens: 32 random bytes in unpadded base64url. */
#define ADMINS_TOKEN_BYTES 32u
#define ADMINS_TOKEN_LEN 43u
#define ADMINS_TOKEN_STRLEN (ADMINS_TOKEN_LEN + 1u)
#define ADMINS_SOURCE_MAX 64u
#define ADMINS_IDLE_DEFAULT_S (15LL * 60)
#define ADMINS_SESSION_MAX_S (12LL * 3600)

struct admins_account {
	char name[ADMINS_NAME_MAX + 1];
	char role[ADMINS_ROLE_MAX + 1];
	char ext[USERS_EXT_MAX + 1]; /* the 'user' role's extension, or "" */
	char pw_hash[ADMINS_HASH_STRLEN];
	int64_t password_changed_at; /* seconds since the epoch */
	bool totp_set;               /* a secret is stored */
	bool totp_enrolled;          /* and was confirmed with a code */
	int64_t totp_last_step;      /* last accepted step, 0: none */
	struct adminpw_lock lock;
	int64_t last_login; /* 0: never */
	bool disabled;
	int64_t created_at;
	int64_t updated_at;
};

struct admins_session {
	char account[ADMINS_NAME_MAX + 1];
	char csrf[ADMINS_TOKEN_STRLEN];
	char source[ADMINS_SOURCE_MAX + 1];
	uint8_t id_hash[32]; /* SHA-256 of the token */
	int64_t created_at;
	int64_t last_seen;
};

/* Called once per account; a non-zero return stops the listing and is
 * returned by admins_list(). */
typedef int (*admins_list_cb)(void *arg, const struct admins_account *a);

/* 1 to ADMINS_NAME_MAX of a-z, 0-9, '.', '_', '-', starting with a
 * letter or digit. */
bool admins_name_valid(struct sv name);
/* "admin", "auditor", "helpdesk" or "user". */
bool admins_role_valid(struct sv role);
/* True for roles that must use TOTP: admin and auditor (R-AUTH-6). */
bool admins_role_needs_totp(const char *role);

/* Hashes 'password' with argon2id (moderate limits) into 'out'.
 * Returns 0, -EINVAL (empty or over ADMINPW_MAX_LEN) or -ENOMEM. */
int admins_hash_password(
    struct sv password, char out[ADMINS_HASH_STRLEN]) RP_MUST_CHECK;
/* True if 'password' matches 'hash' (constant time inside libsodium). */
bool admins_password_matches(const char *hash, struct sv password);

/* Adds an account with the hash from admins_hash_password(), its
 * password set at 'now'. The 'user' role needs a valid extension, the
 * others none. Returns 0, -EINVAL, -EEXIST or a store error. */
int admins_add(struct db *db, struct sv name, struct sv role, struct sv ext,
    const char *hash, int64_t now) RP_MUST_CHECK;

/* Reads an account. Returns 0, -ENOENT, -EBADMSG (a row that breaks the
 * rules) or a store error. */
int admins_get(
    struct db *db, struct sv name, struct admins_account *out) RP_MUST_CHECK;

/* Calls cb for every account by name. Returns 0, the callback's value,
 * -EBADMSG or a store error. */
int admins_list(struct db *db, admins_list_cb cb, void *arg) RP_MUST_CHECK;

/* Removes an account and its sessions. Returns 0, -ENOENT or a store
 * error. */
int admins_remove(struct db *db, struct sv name) RP_MUST_CHECK;

/* Replaces the password hash, set at 'now', and ends every session of
 * the account; *ended (may be NULL) gets how many. Returns 0, -ENOENT,
 * -EINVAL or a store error. */
int admins_set_password(struct db *db, struct sv name, const char *hash,
    int64_t now, uint64_t *ended) RP_MUST_CHECK;

/* Disables (ending its sessions) or enables an account. Returns 0,
 * -ENOENT or a store error. */
int admins_set_disabled(
    struct db *db, struct sv name, bool disabled, int64_t now) RP_MUST_CHECK;

/* Writes the lockout state. Returns 0, -ENOENT or a store error. */
int admins_set_lock(
    struct db *db, struct sv name, const struct adminpw_lock *l) RP_MUST_CHECK;

/* A successful login at 'now': clears the lockout state and records the
 * time. Returns 0, -ENOENT or a store error. */
int admins_login_ok(struct db *db, struct sv name, int64_t now) RP_MUST_CHECK;

/* Stores a new TOTP secret (ADMINS_TOTP_BYTES), sealed, not enrolled
 * yet; the last step is cleared. Returns 0, -ENOENT or a store or
 * sealing error. */
int admins_totp_set(struct db *db, const struct keys *k, struct sv name,
    const uint8_t secret[ADMINS_TOTP_BYTES]) RP_MUST_CHECK;

/* Opens the account's TOTP secret into 'out' (wipe it after use).
 * Returns 0, -ENOENT (no account or no secret), -EBADMSG (the sealed
 * value does not open) or a store error. */
int admins_totp_get(struct db *db, const struct keys *k, struct sv name,
    uint8_t out[ADMINS_TOTP_BYTES]) RP_MUST_CHECK;

/* Records that the code of time step 'step' was used, and marks the
 * TOTP enrolled when 'enrol'. A step not after the last one is a
 * replay: -EALREADY, nothing changed. Returns 0, -EALREADY, -ENOENT or
 * a store error. */
int admins_totp_use(
    struct db *db, struct sv name, int64_t step, bool enrol) RP_MUST_CHECK;

/* Forgets the TOTP secret (the account enrols again) and ends the
 * account's sessions. Returns 0, -ENOENT or a store error. */
int admins_totp_reset(struct db *db, struct sv name, int64_t now) RP_MUST_CHECK;

/* Starts a session of 'name' from 'source' at 'now': the token goes to
 * 'token' (give it to the client once, then wipe it) and the CSRF
 * token to 'csrf'. Returns 0, -EINVAL, -ENOENT or a store error. */
int admins_session_new(struct db *db, struct sv name, struct sv source,
    int64_t now, char token[ADMINS_TOKEN_STRLEN],
    char csrf[ADMINS_TOKEN_STRLEN]) RP_MUST_CHECK;

/* Checks a session token at 'now' and records its use: well-formed,
 * known, used within 'idle_s', younger than ADMINS_SESSION_MAX_S. An
 * expired session is removed. On success *out gets the session.
 * Every way of failing gives -EACCES; other errors are the store's. */
int admins_session_check(struct db *db, struct sv token, int64_t now,
    int64_t idle_s, struct admins_session *out) RP_MUST_CHECK;

/* Ends the session with id hash 'id_hash'. Returns 0, -ENOENT or a
 * store error. */
int admins_session_end(struct db *db, const uint8_t id_hash[32]) RP_MUST_CHECK;

/* Ends every session of 'name'; *ended (may be NULL) gets how many.
 * Returns 0 or a store error. */
int admins_sessions_end_all(
    struct db *db, struct sv name, uint64_t *ended) RP_MUST_CHECK;

#endif
