/* The users repository. */
#include "store/users.h"

#include <errno.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/bans.h"

#define USERS_AAD_MD5 "users.ha1_md5:"
#define USERS_AAD_SHA256 "users.ha1_sha256:"
#define USERS_AAD_MAX (sizeof(USERS_AAD_SHA256) + USERS_EXT_MAX)
#define USERS_SRTP_REQUIRED "required"
#define USERS_SRTP_OPTIONAL "optional"

/* Access list entries are stored in the bans' normalised form. */
_Static_assert(USERS_ACL_ENTRY_STRLEN == BANS_ADDR_STRLEN,
    "an ACL entry is a normalised address");

/* The public columns, in the order users_fill_info() reads them. */
#define USERS_INFO_COLS                                                        \
	"ext, display_name, enabled, created_at, updated_at, srtp, codecs, "   \
	"acl, alternate, outbound_number, COALESCE(profile, ''), "             \
	"COALESCE(grp, '')"
#define USERS_INFO_NCOLS 12

bool
users_ext_valid(struct sv ext)
{
	if (ext.len == 0 || ext.len > USERS_EXT_MAX)
		return false;
	if (ext.p[0] == '.' || ext.p[0] == '-')
		return false;
	for (size_t i = 0; i < ext.len; i++) {
		char c = ext.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		        (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
		        c == '-'))
			return false;
	}
	return true;
}

bool
users_e164_valid(struct sv number)
{
	size_t digits = number.len > 0 ? number.len - 1 : 0;

	if (digits < USERS_E164_DIGITS_MIN || digits > USERS_E164_DIGITS_MAX ||
	    number.p[0] != '+' || number.p[1] == '0')
		return false;
	for (size_t i = 1; i < number.len; i++)
		if (number.p[i] < '0' || number.p[i] > '9')
			return false;
	return true;
}

bool
users_alternate_valid(struct sv alternate)
{
	if (alternate.len == 0)
		return true;
	if (alternate.p[0] == '+')
		return users_e164_valid(alternate);
	return users_ext_valid(alternate);
}

/* Control characters (C0, DEL, C1), line and paragraph separators, and
 * the invisible bidirectional and format marks that would let a name
 * display as something else in a log, a console or a phone screen. */
static bool
users_char_allowed(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return false;
	if (cp == 0x061c || cp == 0x200e || cp == 0x200f)
		return false;
	if (cp >= 0x2028 && cp <= 0x202e)
		return false;
	if (cp >= 0x2066 && cp <= 0x2069)
		return false;
	if (cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xfffe ||
	    cp == 0xffff)
		return false;
	return true;
}

bool
users_name_valid(struct sv name)
{
	size_t i = 0, chars = 0, n;
	uint32_t cp;

	if (name.len > USERS_NAME_BYTES_MAX)
		return false;
	while (i < name.len) {
		n = sv_utf8_seq(name, i, &cp);
		if (n == 0 || !users_char_allowed(cp))
			return false;
		if (++chars > USERS_NAME_CHARS_MAX)
			return false;
		i += n;
	}
	return true;
}

static bool
users_codec_valid(struct sv name)
{
	if (name.len == 0 || name.len > USERS_CODEC_NAME_MAX)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		        (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
		        c == '-'))
			return false;
	}
	return true;
}

/* Takes the next comma-separated entry of *rest into *item, trimmed.
 * Returns false when there is none left. */
static bool
users_next_entry(struct sv *rest, bool *done, struct sv *item)
{
	if (*done)
		return false;
	if (!sv_split(rest, ',', item)) {
		*item = *rest;
		*done = true;
	}
	*item = sv_trim(*item);
	return true;
}

/* Appends 'item' to the NUL-terminated list in out (of 'size' bytes),
 * after a comma unless it is the first. */
static int
users_append(char *out, size_t size, size_t *len, struct sv item)
{
	size_t need = item.len + (*len > 0 ? 1 : 0);

	if (need >= size - *len)
		return -E2BIG;
	if (*len > 0)
		out[(*len)++] = ',';
	memcpy(out + *len, item.p, item.len);
	*len += item.len;
	out[*len] = '\0';
	return 0;
}

int
users_codecs_normalise(struct sv text, char out[USERS_CODECS_STRLEN])
{
	struct sv names[USERS_CODECS_MAX], rest = text, item;
	size_t n = 0, len = 0;
	bool done = false;
	int err;

	out[0] = '\0';
	if (sv_trim(text).len == 0)
		return 0;
	while (users_next_entry(&rest, &done, &item)) {
		if (!users_codec_valid(item))
			return -EINVAL;
		if (n == USERS_CODECS_MAX)
			return -E2BIG;
		/* SDP encoding names are case-insensitive (RFC 4566 §6). */
		for (size_t i = 0; i < n; i++)
			if (sv_ieq(names[i], item))
				return -EINVAL;
		names[n++] = item;
	}
	for (size_t i = 0; i < n; i++) {
		err = users_append(out, USERS_CODECS_STRLEN, &len, names[i]);
		if (err != 0) {
			out[0] = '\0';
			return err;
		}
	}
	return 0;
}

int
users_acl_normalise(struct sv text, char out[USERS_ACL_STRLEN])
{
	char nets[USERS_ACL_MAX][USERS_ACL_ENTRY_STRLEN];
	char one[BANS_ADDR_STRLEN];
	struct sv rest = text, item;
	size_t n = 0, len = 0;
	bool done = false, seen;
	int err;

	out[0] = '\0';
	if (sv_trim(text).len == 0)
		return 0;
	while (users_next_entry(&rest, &done, &item)) {
		if (bans_addr_normalise(item, one) != 0)
			return -EINVAL;
		seen = false;
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(nets[i], one) == 0;
		if (seen)
			continue;
		if (n == USERS_ACL_MAX)
			return -E2BIG;
		memcpy(nets[n++], one, sizeof(one));
	}
	for (size_t i = 0; i < n; i++) {
		err =
		    users_append(out, USERS_ACL_STRLEN, &len, sv_cstr(nets[i]));
		if (err != 0) {
			out[0] = '\0';
			return err;
		}
	}
	return 0;
}

/* Builds the associated data binding an HA1 to its column and row. */
static struct sv
users_aad(char out[USERS_AAD_MAX], const char *prefix, struct sv ext)
{
	size_t n = strlen(prefix);

	memcpy(out, prefix, n);
	memcpy(out + n, ext.p, ext.len);
	return sv_make(out, n + ext.len);
}

static int
users_seal_pair(const struct keys *k, struct sv ext,
    const uint8_t ha1_md5[USERS_HA1_MD5_LEN],
    const uint8_t ha1_sha256[USERS_HA1_SHA256_LEN], struct buf *md5,
    struct buf *sha256)
{
	char aad[USERS_AAD_MAX];
	int err;

	err = keys_seal(k, sv_make((const char *)ha1_md5, USERS_HA1_MD5_LEN),
	    users_aad(aad, USERS_AAD_MD5, ext), md5);
	if (err != 0)
		return err;
	return keys_seal(k,
	    sv_make((const char *)ha1_sha256, USERS_HA1_SHA256_LEN),
	    users_aad(aad, USERS_AAD_SHA256, ext), sha256);
}

/* Opens one sealed HA1 of exactly 'len' bytes into 'out'. */
static int
users_open_ha1(const struct keys *k, struct sv sealed, const char *prefix,
    struct sv ext, uint8_t *out, size_t len)
{
	char aad[USERS_AAD_MAX], esc[LOG_SV_BUF];
	struct buf b;
	int err;

	buf_init(&b, len + 1);
	if (sealed.len != len + KEYS_SEAL_OVERHEAD)
		err = -EBADMSG;
	else
		err = keys_open(k, sealed, users_aad(aad, prefix, ext), &b);
	if (err == 0 && b.len == len)
		memcpy(out, b.data, len);
	else if (err == 0)
		err = -EBADMSG;
	keys_wipe_buf(&b);
	if (err == -EBADMSG)
		log_warn("store",
		    "msg=\"stored HA1 does not open: wrong master "
		    "key, or the row was altered\" ext=%s column=%.*s",
		    log_sv(ext, esc), (int)(strlen(prefix) - 1), prefix);
	return err;
}

/* Copies a list column, accepting only its normalised form: the file is
 * outside our control once written. */
static int
users_fill_list(char *out, size_t size, struct sv stored,
    int (*normalise)(struct sv, char *))
{
	if (stored.len >= size || normalise(stored, out) != 0 ||
	    !sv_eq(stored, sv_cstr(out))) {
		out[0] = '\0';
		return -EBADMSG;
	}
	return 0;
}

static bool
users_outbound_valid(struct sv number)
{
	return number.len == 0 || users_e164_valid(number);
}

bool
users_profile_valid(struct sv name)
{
	if (name.len == 0 || name.len > USERS_PROFILE_MAX)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		        c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool
users_profile_or_default(struct sv name)
{
	return name.len == 0 || users_profile_valid(name);
}

/* Copies a checked text column, "" allowed. */
static int
users_fill_text(
    char *out, size_t size, struct sv stored, bool (*valid)(struct sv))
{
	out[0] = '\0';
	if (stored.len >= size || !valid(stored))
		return -EBADMSG;
	if (stored.len > 0)
		memcpy(out, stored.p, stored.len);
	out[stored.len] = '\0';
	return 0;
}

/* Copies the public columns (USERS_INFO_COLS) of the current row,
 * checking what the database returned. */
static int
users_fill_info(struct user_info *u, struct db_stmt *st)
{
	struct sv ext = db_col_text(st, 0), name = db_col_text(st, 1);
	struct sv srtp = db_col_text(st, 5);

	if (ext.len == 0 || ext.len > USERS_EXT_MAX ||
	    name.len > USERS_NAME_BYTES_MAX)
		return -EBADMSG;
	memcpy(u->ext, ext.p, ext.len);
	u->ext[ext.len] = '\0';
	if (name.len > 0)
		memcpy(u->display_name, name.p, name.len);
	u->display_name[name.len] = '\0';
	u->enabled = db_col_int64(st, 2) != 0;
	u->created_at = db_col_int64(st, 3);
	u->updated_at = db_col_int64(st, 4);
	if (sv_eq(srtp, SV(USERS_SRTP_REQUIRED)))
		u->srtp_required = true;
	else if (sv_eq(srtp, SV(USERS_SRTP_OPTIONAL)))
		u->srtp_required = false;
	else
		return -EBADMSG;
	if (users_fill_list(u->codecs, sizeof(u->codecs), db_col_text(st, 6),
	        users_codecs_normalise) != 0 ||
	    users_fill_list(u->acl, sizeof(u->acl), db_col_text(st, 7),
	        users_acl_normalise) != 0)
		return -EBADMSG;
	if (users_fill_text(u->alternate, sizeof(u->alternate),
	        db_col_text(st, 8), users_alternate_valid) != 0 ||
	    users_fill_text(u->outbound_number, sizeof(u->outbound_number),
	        db_col_text(st, 9), users_outbound_valid) != 0 ||
	    users_fill_text(u->profile, sizeof(u->profile), db_col_text(st, 10),
	        users_profile_or_default) != 0 ||
	    users_fill_text(u->group, sizeof(u->group), db_col_text(st, 11),
	        users_profile_or_default) != 0)
		return -EBADMSG;
	return 0;
}

/* Runs one prepared write inside its own transaction level and checks
 * it changed a row. Finishes 'st'. */
static int
users_write(struct db *db, struct db_stmt *st, bool need_row)
{
	int err;

	err = db_step(st);
	if (err == 0 && need_row && db_changes(db) == 0)
		err = -ENOENT;
	db_finish(st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}

int
users_add(struct db *db, const struct keys *k, struct sv ext,
    struct sv display_name, const uint8_t ha1_md5[USERS_HA1_MD5_LEN],
    const uint8_t ha1_sha256[USERS_HA1_SHA256_LEN], int64_t now)
{
	struct buf md5, sha256;
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext) || !users_name_valid(display_name))
		return -EINVAL;
	buf_init(&md5, 0);
	buf_init(&sha256, 0);
	/* Seal first: a failure here leaves the database untouched. */
	err = users_seal_pair(k, ext, ha1_md5, ha1_sha256, &md5, &sha256);
	if (err != 0)
		goto out;
	err = db_tx_begin(db);
	if (err != 0)
		goto out;
	err = db_prepare(db,
	    "INSERT INTO users (ext, display_name, ha1_md5, ha1_sha256,"
	    " enabled, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
	    &st);
	if (err != 0) {
		db_tx_rollback(db);
		goto out;
	}
	db_bind_text(st, 1, ext);
	db_bind_text(st, 2, display_name.p != NULL ? display_name : SV(""));
	db_bind_blob(st, 3, buf_view(&md5));
	db_bind_blob(st, 4, buf_view(&sha256));
	db_bind_int64(st, 5, now);
	err = users_write(db, st, false);
out:
	buf_release(&md5);
	buf_release(&sha256);
	return err;
}

int
users_get(
    struct db *db, const struct keys *k, struct sv ext, struct user_record *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!users_ext_valid(ext))
		return -EINVAL;
	err = db_prepare(db,
	    "SELECT " USERS_INFO_COLS ", ha1_md5, ha1_sha256"
	    " FROM users WHERE ext = ?1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, ext);
	err = db_step(st);
	if (err == DB_DONE) {
		err = -ENOENT;
	} else if (err == DB_ROW) {
		err = users_fill_info(&out->info, st);
		if (err == 0)
			err = users_open_ha1(k,
			    db_col_blob(st, USERS_INFO_NCOLS), USERS_AAD_MD5,
			    ext, out->ha1_md5, USERS_HA1_MD5_LEN);
		if (err == 0)
			err = users_open_ha1(k,
			    db_col_blob(st, USERS_INFO_NCOLS + 1),
			    USERS_AAD_SHA256, ext, out->ha1_sha256,
			    USERS_HA1_SHA256_LEN);
	}
	db_finish(st);
	if (err != 0)
		users_record_wipe(out);
	return err;
}

int
users_get_info(struct db *db, struct sv ext, struct user_info *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!users_ext_valid(ext))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT " USERS_INFO_COLS " FROM users WHERE ext = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, ext);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = users_fill_info(out, st);
	db_finish(st);
	return err;
}

int
users_list(struct db *db, users_list_cb cb, void *arg)
{
	struct user_info u;
	struct db_stmt *st;
	int err;

	err = db_prepare(
	    db, "SELECT " USERS_INFO_COLS " FROM users ORDER BY ext", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = users_fill_info(&u, st);
		if (err == 0)
			err = cb(arg, &u);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

int
users_set_media(struct db *db, struct sv ext, bool srtp_required,
    struct sv codecs, int64_t now)
{
	char list[USERS_CODECS_STRLEN];
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext))
		return -EINVAL;
	err = users_codecs_normalise(codecs, list);
	if (err != 0)
		return err;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "UPDATE users SET srtp = ?2, codecs = ?3, updated_at = ?4"
	    " WHERE ext = ?1",
	    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	db_bind_text(st, 2,
	    srtp_required ? SV(USERS_SRTP_REQUIRED) : SV(USERS_SRTP_OPTIONAL));
	db_bind_text(st, 3, sv_cstr(list));
	db_bind_int64(st, 4, now);
	return users_write(db, st, true);
}

int
users_set_acl(struct db *db, struct sv ext, struct sv acl, int64_t now)
{
	char list[USERS_ACL_STRLEN];
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext))
		return -EINVAL;
	err = users_acl_normalise(acl, list);
	if (err != 0)
		return err;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "UPDATE users SET acl = ?2, updated_at = ?3 WHERE ext = ?1", &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	db_bind_text(st, 2, sv_cstr(list));
	db_bind_int64(st, 3, now);
	return users_write(db, st, true);
}

/* -ENXIO unless 'alt' is "" or a number, or names an existing user
 * other than 'ext'. */
static int
users_check_alternate(struct db *db, struct sv ext, struct sv alt)
{
	struct user_info other;
	int err;

	if (alt.len == 0 || alt.p[0] == '+')
		return 0;
	if (sv_eq(alt, ext))
		return -EINVAL;
	err = users_get_info(db, alt, &other);
	return err == -ENOENT ? -ENXIO : err;
}

int
users_set_continuity(struct db *db, struct sv ext, struct sv alternate,
    struct sv outbound_number, int64_t now)
{
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext) ||
	    (sv_present(alternate) && !users_alternate_valid(alternate)) ||
	    (sv_present(outbound_number) &&
	        !users_outbound_valid(outbound_number)))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	if (sv_present(alternate))
		err = users_check_alternate(db, ext, alternate);
	if (err == 0)
		err = db_prepare(db,
		    "UPDATE users SET alternate = COALESCE(?2, alternate),"
		    " outbound_number = COALESCE(?3, outbound_number),"
		    " updated_at = ?4 WHERE ext = ?1",
		    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	db_bind_text(st, 2, alternate);
	db_bind_text(st, 3, outbound_number);
	db_bind_int64(st, 4, now);
	return users_write(db, st, true);
}

/* Sets a nullable column naming a row of another table ('exists', a
 * count query): the user's profile or group. */
static int
users_set_ref(struct db *db, struct sv ext, struct sv ref, const char *exists,
    const char *update, int64_t now)
{
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext) || !users_profile_or_default(ref))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	if (ref.len > 0) {
		err = db_prepare(db, exists, &st);
		if (err == 0) {
			db_bind_text(st, 1, ref);
			err = db_step(st);
			if (err == DB_ROW)
				err = db_col_int64(st, 0) > 0 ? 0 : -ENXIO;
			else if (err == DB_DONE)
				err = -EIO;
			db_finish(st);
		}
	}
	if (err == 0)
		err = db_prepare(db, update, &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	db_bind_text(st, 2, ref.len > 0 ? ref : SV_NULL);
	db_bind_int64(st, 3, now);
	return users_write(db, st, true);
}

int
users_set_profile(struct db *db, struct sv ext, struct sv profile, int64_t now)
{
	return users_set_ref(db, ext, profile,
	    "SELECT count(*) FROM rights_profiles WHERE name = ?1",
	    "UPDATE users SET profile = ?2, updated_at = ?3 WHERE ext = ?1",
	    now);
}

int
users_set_group(struct db *db, struct sv ext, struct sv group, int64_t now)
{
	return users_set_ref(db, ext, group,
	    "SELECT count(*) FROM groups WHERE name = ?1",
	    "UPDATE users SET grp = ?2, updated_at = ?3 WHERE ext = ?1", now);
}

int
users_set_enabled(struct db *db, struct sv ext, bool enabled, int64_t now)
{
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "UPDATE users SET enabled = ?2, updated_at = ?3 WHERE ext = ?1",
	    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	db_bind_int64(st, 2, enabled ? 1 : 0);
	db_bind_int64(st, 3, now);
	return users_write(db, st, true);
}

int
users_set_name(struct db *db, struct sv ext, struct sv name, int64_t now)
{
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext) || !users_name_valid(name))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "UPDATE users SET display_name = ?2, updated_at = ?3 "
	    "WHERE ext = ?1",
	    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	db_bind_text(st, 2, sv_present(name) ? name : SV(""));
	db_bind_int64(st, 3, now);
	return users_write(db, st, true);
}

/* True when a DID or another user's alternate names 'ext'. */
static int
users_referenced(struct db *db, struct sv ext)
{
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT 1 FROM dids WHERE ext = ?1 OR alternate = ?1 "
	    "UNION ALL SELECT 1 FROM users WHERE alternate = ?1 "
	    "AND ext <> ?1 LIMIT 1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, ext);
	err = db_step(st);
	db_finish(st);
	return err == DB_ROW ? -EBUSY : err;
}

int
users_remove(struct db *db, struct sv ext)
{
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = users_referenced(db, ext);
	if (err == 0)
		err = db_prepare(db, "DELETE FROM users WHERE ext = ?1", &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, ext);
	return users_write(db, st, true);
}

int
users_set_ha1(struct db *db, const struct keys *k, struct sv ext,
    const uint8_t ha1_md5[USERS_HA1_MD5_LEN],
    const uint8_t ha1_sha256[USERS_HA1_SHA256_LEN], int64_t now)
{
	struct buf md5, sha256;
	struct db_stmt *st;
	int err;

	if (!users_ext_valid(ext))
		return -EINVAL;
	buf_init(&md5, 0);
	buf_init(&sha256, 0);
	err = users_seal_pair(k, ext, ha1_md5, ha1_sha256, &md5, &sha256);
	if (err != 0)
		goto out;
	err = db_tx_begin(db);
	if (err != 0)
		goto out;
	err = db_prepare(db,
	    "UPDATE users SET ha1_md5 = ?2, ha1_sha256 = ?3, updated_at = ?4"
	    " WHERE ext = ?1",
	    &st);
	if (err != 0) {
		db_tx_rollback(db);
		goto out;
	}
	db_bind_text(st, 1, ext);
	db_bind_blob(st, 2, buf_view(&md5));
	db_bind_blob(st, 3, buf_view(&sha256));
	db_bind_int64(st, 4, now);
	err = users_write(db, st, true);
out:
	buf_release(&md5);
	buf_release(&sha256);
	return err;
}

int
users_count(struct db *db, uint64_t *out)
{
	struct db_stmt *st;
	int64_t n;
	int err;

	err = db_prepare(db, "SELECT count(*) FROM users", &st);
	if (err != 0)
		return err;
	err = db_step(st);
	if (err == DB_ROW) {
		n = db_col_int64(st, 0);
		*out = n > 0 ? (uint64_t)n : 0;
		err = 0;
	} else if (err == DB_DONE) {
		err = -EIO;
	}
	db_finish(st);
	return err;
}

void
users_record_wipe(struct user_record *r)
{
	keys_wipe(r->ha1_md5, sizeof(r->ha1_md5));
	keys_wipe(r->ha1_sha256, sizeof(r->ha1_sha256));
}
