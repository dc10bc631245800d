/* SIP users (extensions) and their digest credentials.
 *
 * A user holds two HA1 values for digest authentication (R-AUTH-4):
 * MD5(ext:realm:password) and SHA-256(ext:realm:password); the password
 * itself is never stored. Both HA1s are sealed under the master key
 * (store/keys.h, R-CRYPTO-3) with the associated data
 * "users.ha1_md5:" + ext and "users.ha1_sha256:" + ext, so a value moved
 * to another row or column does not open. There are no default users
 * and no default secrets (R-AUTH-1): every HA1 comes from the caller.
 *
 * Every write runs in a transaction (store/db.h): on any error nothing
 * is written. Thread rules: those of the db handle (store/db.h). */
#ifndef RP_STORE_USERS_H
#define RP_STORE_USERS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/keys.h"

/* An extension: 1 to 32 of [A-Za-z0-9._-], not starting with '.' or
 * '-' (it names files and appears on command lines). */
#define USERS_EXT_MAX 32
/* A display name: up to 64 characters of printable UTF-8 (empty is
 * allowed), stored in up to 4 bytes each. */
#define USERS_NAME_CHARS_MAX 64
#define USERS_NAME_BYTES_MAX (USERS_NAME_CHARS_MAX * 4)
#define USERS_HA1_MD5_LEN 16
#define USERS_HA1_SHA256_LEN 32
/* Allowed codecs: up to 16 encoding names (SDP rtpmap names such as
 * "opus", "PCMA"), each 1 to 32 of [A-Za-z0-9._-], no two equal ignoring
 * case. Stored comma-separated without spaces; empty means any codec.
 * The text form, with its NUL, fits in USERS_CODECS_STRLEN bytes. */
#define USERS_CODECS_MAX 16
#define USERS_CODEC_NAME_MAX 32
#define USERS_CODECS_STRLEN (USERS_CODECS_MAX * (USERS_CODEC_NAME_MAX + 1))
/* Access list: up to 32 addresses or networks the user's devices may
 * use, in the normalised form of store/bans.h (which parses with
 * policy/cidr.h), comma-separated without spaces; empty means anywhere.
 * Each entry's text is under USERS_ACL_ENTRY_STRLEN bytes. */
#define USERS_ACL_MAX 32
#define USERS_ACL_ENTRY_STRLEN 50
#define USERS_ACL_STRLEN (USERS_ACL_MAX * USERS_ACL_ENTRY_STRLEN)

/* A number in E.164 form: '+', then 2 to 15 digits, the first not 0
 * (ITU-T E.164 §6). With its NUL it fits in USERS_E164_STRLEN bytes. */
#define USERS_E164_DIGITS_MIN 2
#define USERS_E164_DIGITS_MAX 15
#define USERS_E164_STRLEN (USERS_E164_DIGITS_MAX + 2)
/* Where a call goes when the user cannot take it (service continuity):
 * another extension, an E.164 number reached through the trunks, or ""
 * for none. */
#define USERS_ALTERNATE_STRLEN (USERS_EXT_MAX + 1)
_Static_assert(USERS_ALTERNATE_STRLEN >= USERS_E164_STRLEN,
    "an alternate holds an E.164 number");
/* The name of a rights profile (store/fraudcfg.h): 1 to 32 of
 * [a-z0-9_-]. */
#define USERS_PROFILE_MAX 32
/* The name of a group (store/groups.h): the same rules. */
#define USERS_GROUP_MAX 32

/* What users_list() shows: everything but the secrets. */
struct user_info {
	char ext[USERS_EXT_MAX + 1];                 /* NUL-terminated */
	char display_name[USERS_NAME_BYTES_MAX + 1]; /* NUL-terminated */
	bool enabled;
	bool srtp_required;                      /* refuse calls without SRTP */
	char codecs[USERS_CODECS_STRLEN];        /* normalised list, "" = any */
	char acl[USERS_ACL_STRLEN];              /* normalised list, "" = any */
	char alternate[USERS_ALTERNATE_STRLEN];  /* ext, +E164 or "" */
	char outbound_number[USERS_E164_STRLEN]; /* caller ID, "" = trunk's */
	char profile[USERS_PROFILE_MAX + 1];     /* rights, "" = default */
	char group[USERS_GROUP_MAX + 1];         /* "" = in no group */
	int64_t created_at;                      /* seconds since the epoch */
	int64_t updated_at;
};

/* A user with its HA1s in clear: wipe it with users_record_wipe(). */
struct user_record {
	struct user_info info;
	uint8_t ha1_md5[USERS_HA1_MD5_LEN];
	uint8_t ha1_sha256[USERS_HA1_SHA256_LEN];
};

/* Called once per user; a non-zero return stops the listing and is
 * returned by users_list(). 'u' is valid during the call only. */
typedef int (*users_list_cb)(void *arg, const struct user_info *u);

/* True when 'ext' / 'name' follow the rules above. Any thread. */
bool users_ext_valid(struct sv ext);
bool users_name_valid(struct sv name);

/* True for an E.164 number as defined above. Any thread. */
bool users_e164_valid(struct sv number);
/* True for an alternate destination: "", a valid extension or an E.164
 * number (told apart by the '+', which no extension holds). Any
 * thread. */
bool users_alternate_valid(struct sv alternate);

/* Adds an enabled user. 'now' becomes created_at and updated_at.
 * Returns 0, -EINVAL (ext or display name breaks the rules above),
 * -EEXIST (the extension exists), -ENOMEM, or a store error. */
int users_add(struct db *db, const struct keys *k, struct sv ext,
    struct sv display_name, const uint8_t ha1_md5[USERS_HA1_MD5_LEN],
    const uint8_t ha1_sha256[USERS_HA1_SHA256_LEN], int64_t now) RP_MUST_CHECK;

/* Reads a user and opens its HA1s into *out. Returns 0, -EINVAL (bad
 * ext), -ENOENT (no such user), -EBADMSG (an HA1 does not open: wrong
 * key, tampered or moved value; logged), -ENOMEM or a store error. On
 * error *out holds no secret. */
int users_get(struct db *db, const struct keys *k, struct sv ext,
    struct user_record *out) RP_MUST_CHECK;

/* Calls cb for every user, in extension order, without opening any
 * secret. Returns 0, the callback's non-zero value, -EBADMSG (a row
 * that breaks the rules) or a store error. The callback may read the
 * same db handle. */
int users_list(struct db *db, users_list_cb cb, void *arg) RP_MUST_CHECK;

/* Normalise a codec list or an access list given as comma-separated
 * entries (white space around each entry is ignored) into the
 * stored form described above, NUL-terminated. An empty or blank text
 * gives "" (any). Access list entries are normalised one by one (IPv6
 * lower case and compressed, mapped IPv4 as IPv4, full-length prefixes
 * dropped) and an entry repeated after normalisation is kept once.
 * Return 0, -EINVAL (an empty entry, a bad name or network, a repeated
 * codec) or -E2BIG (too many entries, or text past the sizes above).
 * Any thread. */
int users_codecs_normalise(
    struct sv text, char out[USERS_CODECS_STRLEN]) RP_MUST_CHECK;
int users_acl_normalise(
    struct sv text, char out[USERS_ACL_STRLEN]) RP_MUST_CHECK;

/* Reads the public fields of a user, opening no secret. Returns 0,
 * -EINVAL (bad ext), -ENOENT, -EBADMSG (a row that breaks the rules) or
 * a store error. */
int users_get_info(
    struct db *db, struct sv ext, struct user_info *out) RP_MUST_CHECK;

/* Sets whether the user's calls must use SRTP and which codecs they may
 * use (normalised with users_codecs_normalise(); empty: any). Returns
 * 0, -EINVAL (bad ext or list), -E2BIG, -ENOENT or a store error. */
int users_set_media(struct db *db, struct sv ext, bool srtp_required,
    struct sv codecs, int64_t now) RP_MUST_CHECK;

/* Sets the networks the user's devices may register and call from
 * (normalised with users_acl_normalise(); empty: anywhere). Returns 0,
 * -EINVAL, -E2BIG, -ENOENT or a store error. */
int users_set_acl(
    struct db *db, struct sv ext, struct sv acl, int64_t now) RP_MUST_CHECK;

/* Sets where the user's calls go when the user cannot take them
 * ('alternate', see users_alternate_valid(); an extension must exist
 * and not be the user itself) and the number presented on calls out
 * through a trunk ('outbound_number', E.164 or "" for the trunk's).
 * Either may be SV_NULL to keep its value. Returns 0, -EINVAL (bad ext
 * or value, the user as its own alternate), -ENOENT (no such user),
 * -ENXIO (the alternate extension does not exist) or a store error. */
int users_set_continuity(struct db *db, struct sv ext, struct sv alternate,
    struct sv outbound_number, int64_t now) RP_MUST_CHECK;

/* True for a rights profile name as defined above. Any thread. */
bool users_profile_valid(struct sv name);

/* Gives the user the rights profile 'profile' (which must exist), or
 * the system default when 'profile' is empty (R-FRAUD-1). Returns 0,
 * -EINVAL (bad ext or name), -ENOENT (no such user), -ENXIO (no such
 * profile) or a store error. */
int users_set_profile(
    struct db *db, struct sv ext, struct sv profile, int64_t now) RP_MUST_CHECK;

/* Puts the user in the group 'group' (which must exist), or in no
 * group when 'group' is empty. Returns 0, -EINVAL (bad ext or name),
 * -ENOENT (no such user), -ENXIO (no such group) or a store error. */
int users_set_group(
    struct db *db, struct sv ext, struct sv group, int64_t now) RP_MUST_CHECK;

/* Enables or disables a user. Returns 0, -EINVAL, -ENOENT or a store
 * error. */
int users_set_enabled(
    struct db *db, struct sv ext, bool enabled, int64_t now) RP_MUST_CHECK;

/* Sets the display name. Returns 0, -EINVAL (bad ext or name),
 * -ENOENT or a store error. */
int users_set_name(
    struct db *db, struct sv ext, struct sv name, int64_t now) RP_MUST_CHECK;

/* Removes a user and its HA1s. Returns 0, -EINVAL (bad ext), -ENOENT,
 * -EBUSY (a DID or another user's alternate still names it) or a store
 * error. */
int users_remove(struct db *db, struct sv ext) RP_MUST_CHECK;

/* Replaces both HA1s (a password change). Returns 0, -EINVAL, -ENOENT,
 * -ENOMEM or a store error. */
int users_set_ha1(struct db *db, const struct keys *k, struct sv ext,
    const uint8_t ha1_md5[USERS_HA1_MD5_LEN],
    const uint8_t ha1_sha256[USERS_HA1_SHA256_LEN], int64_t now) RP_MUST_CHECK;

/* The number of users. */
int users_count(struct db *db, uint64_t *out) RP_MUST_CHECK;

/* Wipes the HA1s of a record. */
void users_record_wipe(struct user_record *r);

#endif
