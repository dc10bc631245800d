/* The trunks, routes and DIDs repository. */
#include "store/trunks.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "core/log.h"

#define TRUNKS_AAD_SECRET "trunks.secret:"
#define TRUNKS_AAD_MAX (sizeof(TRUNKS_AAD_SECRET) + TRUNKS_NAME_MAX)
/* Digits 0-9 as bits 0-9, '+' as bit 10. */
#define PAT_DIGITS 0x3ffu
#define PAT_PLUS 0x400u
/* The weight of '.', above any one-character element. */
#define PAT_REST_WEIGHT 11

/* The columns of a trunk, in the order trunks_fill() reads them. */
#define TRUNKS_COLS                                                            \
	"name, kind, transport, host, port, username, auth_user, realm, "      \
	"from_domain, acl, channels, codecs, outbound_cid, expires, enabled, " \
	"created_at, updated_at, secret IS NOT NULL"
#define ROUTES_COLS                                                            \
	"name, pattern, priority, strip, prepend, trunks, enabled, "           \
	"created_at, updated_at"
#define DIDS_COLS                                                              \
	"number, ext, alternate, ring_timeout_s, enabled, created_at, "        \
	"updated_at"

static const char *const trunks_kinds[] = {"register", "ip"};
static const char *const trunks_transports[] = {"udp", "tcp", "tls"};

const char *
trunks_kind_name(enum trunk_kind kind)
{
	return (size_t)kind < RP_ARRAY_LEN(trunks_kinds) ? trunks_kinds[kind]
	                                                 : "?";
}

const char *
trunks_transport_name(enum trunk_transport transport)
{
	return (size_t)transport < RP_ARRAY_LEN(trunks_transports)
	           ? trunks_transports[transport]
	           : "?";
}

int
trunks_kind_parse(struct sv text, enum trunk_kind *out)
{
	int i = sv_name_index(text, trunks_kinds, RP_ARRAY_LEN(trunks_kinds));

	if (i < 0)
		return -EINVAL;
	*out = (enum trunk_kind)i;
	return 0;
}

int
trunks_transport_parse(struct sv text, enum trunk_transport *out)
{
	int i = sv_name_index(
	    text, trunks_transports, RP_ARRAY_LEN(trunks_transports));

	if (i < 0)
		return -EINVAL;
	*out = (enum trunk_transport)i;
	return 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool
trunks_name_valid(struct sv name)
{
	if (name.len == 0 || name.len > TRUNKS_NAME_MAX)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.p[i];

		if (!(is_digit(c) || (c >= 'a' && c <= 'z') || c == '_' ||
		        c == '-'))
			return false;
	}
	return true;
}

/* An IP literal, checked by the C library on a NUL-terminated copy. */
static bool
trunks_ip_valid(struct sv host)
{
	char text[INET6_ADDRSTRLEN];
	unsigned char bytes[16];

	if (host.len == 0 || host.len >= sizeof(text))
		return false;
	memcpy(text, host.p, host.len);
	text[host.len] = '\0';
	return inet_pton(AF_INET, text, bytes) == 1 ||
	       inet_pton(AF_INET6, text, bytes) == 1;
}

/* hostname = *( domainlabel "." ) toplabel (RFC 3261 §25.1): labels of
 * 1 to 63 alphanumerics and inner '-', the last starting with a letter,
 * so "192.0.2.300" is refused rather than looked up as a name. */
static bool
trunks_hostname_valid(struct sv host)
{
	size_t start = 0;

	if (host.len == 0 || host.len > TRUNKS_HOST_MAX)
		return false;
	for (size_t i = 0; i <= host.len; i++) {
		if (i < host.len && host.p[i] != '.') {
			if (!is_alnum(host.p[i]) && host.p[i] != '-')
				return false;
			continue;
		}
		if (i == start || i - start > 63 || host.p[start] == '-' ||
		    host.p[i - 1] == '-')
			return false;
		if (i == host.len && is_digit(host.p[start]))
			return false;
		start = i + 1;
	}
	return true;
}

bool
trunks_host_valid(struct sv host)
{
	return trunks_ip_valid(host) || trunks_hostname_valid(host);
}

bool
trunks_secret_valid(struct sv secret)
{
	if (secret.len == 0 || secret.len > TRUNKS_SECRET_MAX)
		return false;
	for (size_t i = 0; i < secret.len; i++)
		if (secret.p[i] < 0x21 || secret.p[i] > 0x7e)
			return false;
	return true;
}

bool
routes_number_valid(struct sv number)
{
	size_t i = number.len > 0 && number.p[0] == '+' ? 1 : 0;

	if (number.len <= i || number.len > ROUTES_NUMBER_MAX)
		return false;
	for (; i < number.len; i++)
		if (!is_digit(number.p[i]))
			return false;
	return true;
}

/* RFC 3261 §25.1 user: unreserved / user-unreserved, no escapes. */
static bool
trunks_user_valid(struct sv user)
{
	if (user.len > TRUNKS_USER_MAX)
		return false;
	for (size_t i = 0; i < user.len; i++) {
		char c = user.p[i];

		if (!is_alnum(c) && strchr("-_.!~*'()&=+$,;?/", c) == NULL)
			return false;
	}
	return true;
}

static bool
trunks_realm_valid(struct sv realm)
{
	if (realm.len > TRUNKS_REALM_MAX)
		return false;
	for (size_t i = 0; i < realm.len; i++)
		if (realm.p[i] < 0x20 || realm.p[i] > 0x7e ||
		    realm.p[i] == '"' || realm.p[i] == '\\')
			return false;
	return true;
}

static int
trunks_bad(const char **field, const char *name, int err)
{
	if (field != NULL)
		*field = name;
	return err;
}

int
trunks_spec_check(const struct trunk_spec *s, const char **field)
{
	char acl[USERS_ACL_STRLEN], codecs[USERS_CODECS_STRLEN];
	int err;

	if (!trunks_name_valid(s->name))
		return trunks_bad(field, "name", -EINVAL);
	if ((size_t)s->kind >= RP_ARRAY_LEN(trunks_kinds))
		return trunks_bad(field, "kind", -EINVAL);
	if ((size_t)s->transport >= RP_ARRAY_LEN(trunks_transports))
		return trunks_bad(field, "transport", -EINVAL);
	if (!trunks_host_valid(s->host))
		return trunks_bad(field, "host", -EINVAL);
	if (s->port > TRUNKS_PORT_MAX)
		return trunks_bad(field, "port", -EINVAL);
	if (!trunks_user_valid(s->username) ||
	    (s->kind == TRUNK_KIND_REGISTER && s->username.len == 0))
		return trunks_bad(field, "username", -EINVAL);
	if (!trunks_user_valid(s->auth_user))
		return trunks_bad(field, "auth_user", -EINVAL);
	if (!trunks_realm_valid(s->realm))
		return trunks_bad(field, "realm", -EINVAL);
	if (s->from_domain.len > 0 && !trunks_host_valid(s->from_domain))
		return trunks_bad(field, "from_domain", -EINVAL);
	err = users_acl_normalise(s->acl, acl);
	if (err == 0 && s->kind == TRUNK_KIND_IP && acl[0] == '\0')
		err = -EINVAL;
	if (err != 0)
		return trunks_bad(field, "acl", err);
	if (s->channels < TRUNKS_CHANNELS_MIN ||
	    s->channels > TRUNKS_CHANNELS_MAX)
		return trunks_bad(field, "channels", -EINVAL);
	err = users_codecs_normalise(s->codecs, codecs);
	if (err != 0)
		return trunks_bad(field, "codecs", err);
	if (s->outbound_cid.len > 0 && !users_e164_valid(s->outbound_cid))
		return trunks_bad(field, "outbound_cid", -EINVAL);
	if (s->expires_s < TRUNKS_EXPIRES_MIN ||
	    s->expires_s > TRUNKS_EXPIRES_MAX)
		return trunks_bad(field, "expires", -EINVAL);
	return 0;
}

static struct sv
trunks_aad(char out[TRUNKS_AAD_MAX], struct sv name)
{
	size_t n = sizeof(TRUNKS_AAD_SECRET) - 1;

	memcpy(out, TRUNKS_AAD_SECRET, n);
	memcpy(out + n, name.p, name.len);
	return sv_make(out, n + name.len);
}

/* A text bound as "" when absent, for the NOT NULL columns. */
static struct sv
or_empty(struct sv v)
{
	return v.p != NULL ? v : SV("");
}

/* Runs a prepared write and closes the caller's transaction level:
 * commits when it changed a row (or need_row is false), rolls back
 * otherwise. Finishes 'st'. */
static int
trunks_write(struct db *db, struct db_stmt *st, bool need_row)
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

/* Binds the spec's columns as ?2 to ?15 (?1 is the name). */
static void
trunks_bind_spec(struct db_stmt *st, const struct trunk_spec *s,
    const char *acl, const char *codecs)
{
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, sv_cstr(trunks_kind_name(s->kind)));
	db_bind_text(st, 3, sv_cstr(trunks_transport_name(s->transport)));
	db_bind_text(st, 4, s->host);
	db_bind_int64(st, 5, s->port);
	db_bind_text(st, 6, or_empty(s->username));
	db_bind_text(st, 7, or_empty(s->auth_user));
	db_bind_text(st, 8, or_empty(s->realm));
	db_bind_text(st, 9, or_empty(s->from_domain));
	db_bind_text(st, 10, sv_cstr(acl));
	db_bind_int64(st, 11, s->channels);
	db_bind_text(st, 12, sv_cstr(codecs));
	db_bind_text(st, 13, or_empty(s->outbound_cid));
	db_bind_int64(st, 14, s->expires_s);
}

/* Checks the spec and the secret, normalises the lists and seals the
 * secret (when present and not empty) into 'sealed'. */
static int
trunks_prepare(const struct keys *k, const struct trunk_spec *s,
    struct sv secret, char acl[USERS_ACL_STRLEN],
    char codecs[USERS_CODECS_STRLEN], struct buf *sealed, const char **field)
{
	char aad[TRUNKS_AAD_MAX];
	int err;

	err = trunks_spec_check(s, field);
	if (err != 0)
		return err;
	if (secret.len > 0 && !trunks_secret_valid(secret))
		return trunks_bad(field, "secret", -EINVAL);
	if (users_acl_normalise(s->acl, acl) != 0 ||
	    users_codecs_normalise(s->codecs, codecs) != 0)
		return -EINVAL; /* checked above */
	if (secret.len == 0)
		return 0;
	return keys_seal(k, secret, trunks_aad(aad, s->name), sealed);
}

int
trunks_add(struct db *db, const struct keys *k, const struct trunk_spec *s,
    struct sv secret, int64_t now, const char **field)
{
	char acl[USERS_ACL_STRLEN], codecs[USERS_CODECS_STRLEN];
	struct db_stmt *st;
	struct buf sealed;
	int err;

	if (s->kind == TRUNK_KIND_REGISTER && secret.len == 0) {
		err = trunks_spec_check(s, field);
		return err != 0 ? err : trunks_bad(field, "secret", -EINVAL);
	}
	buf_init(&sealed, 0);
	err = trunks_prepare(k, s, secret, acl, codecs, &sealed, field);
	if (err != 0)
		goto out;
	err = db_tx_begin(db);
	if (err != 0)
		goto out;
	err = db_prepare(db,
	    "INSERT INTO trunks (name, kind, transport, host, port, username,"
	    " auth_user, realm, from_domain, acl, channels, codecs,"
	    " outbound_cid, expires, secret, enabled, created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	    " ?14, ?15, 1, ?16, ?16)",
	    &st);
	if (err != 0) {
		db_tx_rollback(db);
		goto out;
	}
	trunks_bind_spec(st, s, acl, codecs);
	db_bind_blob(st, 15, secret.len > 0 ? buf_view(&sealed) : SV_NULL);
	db_bind_int64(st, 16, now);
	err = trunks_write(db, st, false);
out:
	buf_release(&sealed);
	return err;
}

int
trunks_update(struct db *db, const struct keys *k, const struct trunk_spec *s,
    struct sv secret, int64_t now, const char **field)
{
	char acl[USERS_ACL_STRLEN], codecs[USERS_CODECS_STRLEN];
	struct trunk_info old;
	struct db_stmt *st;
	struct buf sealed;
	bool keep = !sv_present(secret);
	int err;

	buf_init(&sealed, 0);
	err = trunks_prepare(k, s, secret, acl, codecs, &sealed, field);
	if (err != 0)
		goto out;
	err = db_tx_begin(db);
	if (err != 0)
		goto out;
	err = trunks_get(db, s->name, &old);
	if (err == 0 && s->kind == TRUNK_KIND_REGISTER &&
	    !(keep ? old.has_secret : secret.len > 0))
		err = trunks_bad(field, "secret", -EINVAL);
	if (err == 0)
		err = db_prepare(db,
		    keep ? "UPDATE trunks SET kind = ?2, transport = ?3,"
		           " host = ?4, port = ?5, username = ?6,"
		           " auth_user = ?7, realm = ?8, from_domain = ?9,"
		           " acl = ?10, channels = ?11, codecs = ?12,"
		           " outbound_cid = ?13, expires = ?14,"
		           " updated_at = ?16 WHERE name = ?1"
		         : "UPDATE trunks SET kind = ?2, transport = ?3,"
		           " host = ?4, port = ?5, username = ?6,"
		           " auth_user = ?7, realm = ?8, from_domain = ?9,"
		           " acl = ?10, channels = ?11, codecs = ?12,"
		           " outbound_cid = ?13, expires = ?14, secret = ?15,"
		           " updated_at = ?16 WHERE name = ?1",
		    &st);
	if (err != 0) {
		db_tx_rollback(db);
		goto out;
	}
	trunks_bind_spec(st, s, acl, codecs);
	if (!keep)
		db_bind_blob(
		    st, 15, secret.len > 0 ? buf_view(&sealed) : SV_NULL);
	db_bind_int64(st, 16, now);
	err = trunks_write(db, st, true);
out:
	buf_release(&sealed);
	return err;
}

/* Copies a text column into out (of 'size' bytes); -EBADMSG when it
 * does not fit or 'valid' (may be NULL) refuses it. */
static int
fill_text(char *out, size_t size, struct sv v, bool (*valid)(struct sv))
{
	out[0] = '\0';
	if (v.len >= size || (valid != NULL && !valid(v)))
		return -EBADMSG;
	if (v.len > 0)
		memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}

/* Copies a list column, accepting only its normalised form. */
static int
fill_list(char *out, size_t size, struct sv stored,
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
e164_or_empty(struct sv v)
{
	return v.len == 0 || users_e164_valid(v);
}

static bool
host_or_empty(struct sv v)
{
	return v.len == 0 || trunks_host_valid(v);
}

/* Reads an integer column within [min, max]. */
static int
fill_u32(uint32_t *out, struct db_stmt *st, int col, int64_t min, int64_t max)
{
	int64_t v = db_col_int64(st, col);

	if (v < min || v > max)
		return -EBADMSG;
	*out = (uint32_t)v;
	return 0;
}

/* Copies the columns (TRUNKS_COLS) of the current row, checking what
 * the database returned: the file is outside our control once
 * written. */
static int
trunks_fill(struct trunk_info *t, struct db_stmt *st)
{
	int err = 0;

	memset(t, 0, sizeof(*t));
	if (fill_text(t->name, sizeof(t->name), db_col_text(st, 0),
	        trunks_name_valid) != 0 ||
	    trunks_kind_parse(db_col_text(st, 1), &t->kind) != 0 ||
	    trunks_transport_parse(db_col_text(st, 2), &t->transport) != 0 ||
	    fill_text(t->host, sizeof(t->host), db_col_text(st, 3),
	        trunks_host_valid) != 0 ||
	    fill_u32(&t->port, st, 4, 0, TRUNKS_PORT_MAX) != 0 ||
	    fill_text(t->username, sizeof(t->username), db_col_text(st, 5),
	        trunks_user_valid) != 0 ||
	    fill_text(t->auth_user, sizeof(t->auth_user), db_col_text(st, 6),
	        trunks_user_valid) != 0 ||
	    fill_text(t->realm, sizeof(t->realm), db_col_text(st, 7),
	        trunks_realm_valid) != 0 ||
	    fill_text(t->from_domain, sizeof(t->from_domain),
	        db_col_text(st, 8), host_or_empty) != 0 ||
	    fill_list(t->acl, sizeof(t->acl), db_col_text(st, 9),
	        users_acl_normalise) != 0 ||
	    fill_u32(&t->channels, st, 10, TRUNKS_CHANNELS_MIN,
	        TRUNKS_CHANNELS_MAX) != 0 ||
	    fill_list(t->codecs, sizeof(t->codecs), db_col_text(st, 11),
	        users_codecs_normalise) != 0 ||
	    fill_text(t->outbound_cid, sizeof(t->outbound_cid),
	        db_col_text(st, 12), e164_or_empty) != 0 ||
	    fill_u32(&t->expires_s, st, 13, TRUNKS_EXPIRES_MIN,
	        TRUNKS_EXPIRES_MAX) != 0)
		err = -EBADMSG;
	if (err == 0 && t->kind == TRUNK_KIND_IP && t->acl[0] == '\0')
		err = -EBADMSG;
	t->enabled = db_col_int64(st, 14) != 0;
	t->created_at = db_col_int64(st, 15);
	t->updated_at = db_col_int64(st, 16);
	t->has_secret = db_col_int64(st, 17) != 0;
	return err;
}

int
trunks_get(struct db *db, struct sv name, struct trunk_info *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!trunks_name_valid(name))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT " TRUNKS_COLS " FROM trunks WHERE name = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = trunks_fill(out, st);
	db_finish(st);
	return err;
}

int
trunks_get_secret(
    struct db *db, const struct keys *k, struct sv name, struct buf *out)
{
	char aad[TRUNKS_AAD_MAX], esc[LOG_SV_BUF];
	struct db_stmt *st;
	struct sv sealed;
	int err;

	if (!trunks_name_valid(name))
		return -EINVAL;
	err = db_prepare(db, "SELECT secret FROM trunks WHERE name = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_DONE) {
		err = -ENOENT;
	} else if (err == DB_ROW) {
		sealed = db_col_blob(st, 0);
		if (!sv_present(sealed))
			err = -ENODATA;
		else if (sealed.len <= KEYS_SEAL_OVERHEAD ||
		         sealed.len > KEYS_SEAL_OVERHEAD + TRUNKS_SECRET_MAX)
			err = -EBADMSG;
		else
			err = keys_open(k, sealed, trunks_aad(aad, name), out);
	}
	db_finish(st);
	if (err == -EBADMSG)
		log_warn("store",
		    "msg=\"stored trunk secret does not open: wrong master "
		    "key, or the row was altered\" trunk=%s",
		    log_sv(name, esc));
	return err;
}

int
trunks_list(struct db *db, trunks_list_cb cb, void *arg)
{
	struct trunk_info t;
	struct db_stmt *st;
	int err;

	err = db_prepare(
	    db, "SELECT " TRUNKS_COLS " FROM trunks ORDER BY name", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = trunks_fill(&t, st);
		if (err == 0)
			err = cb(arg, &t);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

int
trunks_set_enabled(struct db *db, struct sv name, bool enabled, int64_t now)
{
	struct db_stmt *st;
	int err;

	if (!trunks_name_valid(name))
		return -EINVAL;
	err = db_write_begin(db,
	    "UPDATE trunks SET enabled = ?2, updated_at = ?3 WHERE name = ?1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	db_bind_int64(st, 2, enabled ? 1 : 0);
	db_bind_int64(st, 3, now);
	return trunks_write(db, st, true);
}

/* Splits a stored or given trunk list into names. Returns 0, -EINVAL
 * (an empty or bad name, a name twice) or -E2BIG (too many). */
static int
routes_split_trunks(struct sv list,
    char names[ROUTES_TRUNKS_MAX][TRUNKS_NAME_MAX + 1], unsigned *n)
{
	struct sv rest = list, item;
	bool done = false;

	*n = 0;
	if (list.len == 0)
		return -EINVAL;
	while (!done) {
		if (!sv_split(&rest, ',', &item)) {
			item = rest;
			done = true;
		}
		if (!trunks_name_valid(item))
			return -EINVAL;
		for (unsigned i = 0; i < *n; i++)
			if (sv_eq(sv_cstr(names[i]), item))
				return -EINVAL;
		if (*n == ROUTES_TRUNKS_MAX)
			return -E2BIG;
		memcpy(names[*n], item.p, item.len);
		names[(*n)++][item.len] = '\0';
	}
	return 0;
}

/* The first route naming trunk 'name', into 'route'. Returns 0,
 * -ENOENT or a store error. */
static int
routes_find_trunk(
    struct db *db, struct sv name, char route[ROUTES_NAME_MAX + 1])
{
	char names[ROUTES_TRUNKS_MAX][TRUNKS_NAME_MAX + 1];
	struct db_stmt *st;
	unsigned n;
	int err;

	err = db_prepare(
	    db, "SELECT name, trunks FROM routes ORDER BY name", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		if (routes_split_trunks(db_col_text(st, 1), names, &n) != 0)
			continue;
		for (unsigned i = 0; i < n; i++) {
			if (!sv_eq(sv_cstr(names[i]), name))
				continue;
			err = fill_text(route, ROUTES_NAME_MAX + 1,
			    db_col_text(st, 0), NULL);
			db_finish(st);
			return err;
		}
	}
	db_finish(st);
	return err == 0 ? -ENOENT : err;
}

int
trunks_remove(struct db *db, struct sv name, char route[ROUTES_NAME_MAX + 1])
{
	char found[ROUTES_NAME_MAX + 1];
	struct db_stmt *st;
	int err;

	if (!trunks_name_valid(name))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = routes_find_trunk(db, name, found);
	if (err == 0) {
		if (route != NULL)
			memcpy(route, found, sizeof(found));
		err = -EBUSY;
	} else if (err == -ENOENT) {
		err = db_prepare(db, "DELETE FROM trunks WHERE name = ?1", &st);
	}
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, name);
	return trunks_write(db, st, true);
}

/* One pattern element: the characters it admits (PAT_DIGITS, PAT_PLUS)
 * or, for '.', one or more further digits. */
struct pat_elem {
	uint16_t mask;
	bool rest;
};

static uint16_t
pat_range(char lo, char hi)
{
	uint16_t m = 0;

	for (char c = lo; c <= hi; c++)
		m |= (uint16_t)(1u << (c - '0'));
	return m;
}

/* A class "[...]" starting at p[*i] ('['): digits, ranges and commas. */
static int
pat_class(struct sv p, size_t *i, uint16_t *mask)
{
	size_t j = *i + 1;

	*mask = 0;
	while (j < p.len && p.p[j] != ']') {
		char c = p.p[j];

		if (c == ',') {
			j++;
			continue;
		}
		if (!is_digit(c))
			return -EINVAL;
		if (j + 2 < p.len && p.p[j + 1] == '-') {
			if (!is_digit(p.p[j + 2]) || p.p[j + 2] < c)
				return -EINVAL;
			*mask |= pat_range(c, p.p[j + 2]);
			j += 3;
		} else {
			*mask |= pat_range(c, c);
			j++;
		}
	}
	if (j >= p.len || *mask == 0)
		return -EINVAL;
	*i = j + 1;
	return 0;
}

/* Reads the element at p[*i]. Returns 1 with *e, 0 at the end, or
 * -EINVAL. */
static int
pat_next(struct sv p, size_t *i, struct pat_elem *e)
{
	char c;

	if (*i >= p.len)
		return 0;
	c = p.p[*i];
	e->rest = false;
	if (c == '[')
		return pat_class(p, i, &e->mask) == 0 ? 1 : -EINVAL;
	if (c == '+' && *i == 0)
		e->mask = PAT_PLUS;
	else if (is_digit(c))
		e->mask = pat_range(c, c);
	else if (c == 'X' || c == 'x')
		e->mask = PAT_DIGITS;
	else if (c == 'N' || c == 'n')
		e->mask = pat_range('2', '9');
	else if (c == 'Z' || c == 'z')
		e->mask = pat_range('1', '9');
	else if (c == '.' && *i + 1 == p.len) {
		e->rest = true;
		e->mask = PAT_DIGITS;
	} else
		return -EINVAL;
	(*i)++;
	return 1;
}

static bool
pat_valid(struct sv p)
{
	struct pat_elem e;
	size_t i = 0;
	int r;

	if (p.len == 0 || p.len > ROUTES_PATTERN_MAX)
		return false;
	while ((r = pat_next(p, &i, &e)) == 1)
		;
	return r == 0;
}

int
route_pattern_normalise(struct sv pattern, char out[ROUTES_PATTERN_MAX + 1])
{
	out[0] = '\0';
	if (!pat_valid(pattern))
		return -EINVAL;
	for (size_t i = 0; i < pattern.len; i++) {
		char c = pattern.p[i];

		out[i] =
		    (c == 'x' || c == 'n' || c == 'z') ? (char)(c - 32) : c;
	}
	out[pattern.len] = '\0';
	return 0;
}

bool
route_pattern_match(struct sv pattern, struct sv number)
{
	struct pat_elem e;
	size_t i = 0, j = 0;
	unsigned bit;
	int r;

	if (!pat_valid(pattern))
		return false;
	while ((r = pat_next(pattern, &i, &e)) == 1) {
		if (e.rest) {
			if (j >= number.len)
				return false;
			for (; j < number.len; j++)
				if (!is_digit(number.p[j]))
					return false;
			return true;
		}
		if (j >= number.len)
			return false;
		if (number.p[j] == '+')
			bit = 10;
		else if (is_digit(number.p[j]))
			bit = (unsigned)(number.p[j] - '0');
		else
			return false;
		if ((e.mask & (1u << bit)) == 0)
			return false;
		j++;
	}
	return r == 0 && j == number.len;
}

static int
pat_weight(const struct pat_elem *e)
{
	return e->rest ? PAT_REST_WEIGHT : __builtin_popcount(e->mask);
}

/* Negative when pattern a is more specific than b, positive when less,
 * 0 when alike (see the top of trunks.h). Both are valid. */
static int
pat_compare(struct sv a, struct sv b)
{
	struct pat_elem ea, eb;
	size_t i = 0, j = 0;
	int ra, rb;

	for (;;) {
		ra = pat_next(a, &i, &ea);
		rb = pat_next(b, &j, &eb);
		if (ra != 1 || rb != 1)
			return 0;
		if (pat_weight(&ea) != pat_weight(&eb))
			return pat_weight(&ea) - pat_weight(&eb);
	}
}

int
routes_spec_check(const struct route_spec *s, const char **field)
{
	char names[ROUTES_TRUNKS_MAX][TRUNKS_NAME_MAX + 1];
	unsigned n;
	int err;

	if (!trunks_name_valid(s->name))
		return trunks_bad(field, "name", -EINVAL);
	if (!pat_valid(s->pattern))
		return trunks_bad(field, "pattern", -EINVAL);
	if (s->priority > ROUTES_PRIORITY_MAX)
		return trunks_bad(field, "priority", -EINVAL);
	if (s->strip > ROUTES_STRIP_MAX)
		return trunks_bad(field, "strip", -EINVAL);
	if (s->prepend.len > ROUTES_PREPEND_MAX)
		return trunks_bad(field, "prepend", -EINVAL);
	for (size_t i = 0; i < s->prepend.len; i++)
		if (!is_digit(s->prepend.p[i]) && s->prepend.p[i] != '+')
			return trunks_bad(field, "prepend", -EINVAL);
	err = routes_split_trunks(s->trunks, names, &n);
	if (err != 0)
		return trunks_bad(field, "trunks", err);
	return 0;
}

int
routes_add(struct db *db, const struct route_spec *s, int64_t now,
    const char **field, char missing[TRUNKS_NAME_MAX + 1])
{
	char names[ROUTES_TRUNKS_MAX][TRUNKS_NAME_MAX + 1];
	char pattern[ROUTES_PATTERN_MAX + 1];
	struct trunk_info t;
	struct db_stmt *st;
	unsigned n;
	int err;

	err = routes_spec_check(s, field);
	if (err != 0)
		return err;
	if (route_pattern_normalise(s->pattern, pattern) != 0 ||
	    routes_split_trunks(s->trunks, names, &n) != 0)
		return -EINVAL; /* checked above */
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	for (unsigned i = 0; err == 0 && i < n; i++) {
		err = trunks_get(db, sv_cstr(names[i]), &t);
		if (err == -ENOENT && missing != NULL)
			memcpy(missing, names[i], sizeof(names[i]));
	}
	if (err == 0)
		err = db_prepare(db,
		    "INSERT INTO routes (name, pattern, priority, strip,"
		    " prepend, trunks, enabled, created_at, updated_at)"
		    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)",
		    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, s->name);
	db_bind_text(st, 2, sv_cstr(pattern));
	db_bind_int64(st, 3, s->priority);
	db_bind_int64(st, 4, s->strip);
	db_bind_text(st, 5, or_empty(s->prepend));
	db_bind_text(st, 6, s->trunks);
	db_bind_int64(st, 7, now);
	return trunks_write(db, st, false);
}

static bool
prepend_valid(struct sv v)
{
	for (size_t i = 0; i < v.len; i++)
		if (!is_digit(v.p[i]) && v.p[i] != '+')
			return false;
	return true;
}

static bool
pattern_stored_valid(struct sv v)
{
	char norm[ROUTES_PATTERN_MAX + 1];

	return route_pattern_normalise(v, norm) == 0 && sv_eq(v, sv_cstr(norm));
}

static int
routes_fill(struct route_info *r, struct db_stmt *st)
{
	memset(r, 0, sizeof(*r));
	if (fill_text(r->name, sizeof(r->name), db_col_text(st, 0),
	        trunks_name_valid) != 0 ||
	    fill_text(r->pattern, sizeof(r->pattern), db_col_text(st, 1),
	        pattern_stored_valid) != 0 ||
	    fill_u32(&r->priority, st, 2, 0, ROUTES_PRIORITY_MAX) != 0 ||
	    fill_u32(&r->strip, st, 3, 0, ROUTES_STRIP_MAX) != 0 ||
	    fill_text(r->prepend, sizeof(r->prepend), db_col_text(st, 4),
	        prepend_valid) != 0 ||
	    routes_split_trunks(db_col_text(st, 5), r->trunks, &r->n_trunks) !=
	        0)
		return -EBADMSG;
	r->enabled = db_col_int64(st, 6) != 0;
	r->created_at = db_col_int64(st, 7);
	r->updated_at = db_col_int64(st, 8);
	return 0;
}

int
routes_get(struct db *db, struct sv name, struct route_info *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!trunks_name_valid(name))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT " ROUTES_COLS " FROM routes WHERE name = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = routes_fill(out, st);
	db_finish(st);
	return err;
}

int
routes_remove(struct db *db, struct sv name)
{
	struct db_stmt *st;
	int err;

	if (!trunks_name_valid(name))
		return -EINVAL;
	err = db_write_begin(db, "DELETE FROM routes WHERE name = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	return trunks_write(db, st, true);
}

int
routes_list(struct db *db, routes_list_cb cb, void *arg)
{
	struct route_info r;
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT " ROUTES_COLS " FROM routes ORDER BY priority, name", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = routes_fill(&r, st);
		if (err == 0)
			err = cb(arg, &r);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

/* The best route so far, while routes are offered one by one. */
struct routes_best {
	struct sv number;
	bool found;
	struct route_info r;
};

/* True when 'r' beats best->r for the number. */
static bool
routes_better(const struct route_info *r, const struct routes_best *best)
{
	int cmp;

	if (!best->found)
		return true;
	cmp = pat_compare(sv_cstr(r->pattern), sv_cstr(best->r.pattern));
	if (cmp != 0)
		return cmp < 0;
	if (r->priority != best->r.priority)
		return r->priority < best->r.priority;
	return strcmp(r->name, best->r.name) < 0;
}

static void
routes_consider(struct routes_best *best, const struct route_info *r)
{
	if (!r->enabled || r->strip >= best->number.len ||
	    !route_pattern_match(sv_cstr(r->pattern), best->number) ||
	    !routes_better(r, best))
		return;
	best->r = *r;
	best->found = true;
}

static int
routes_consider_cb(void *arg, const struct route_info *r)
{
	routes_consider(arg, r);
	return 0;
}

/* Fills *out from the chosen route: all its trunks, and the number
 * stripped then prefixed. */
static void
routes_choose(const struct routes_best *best, struct route_choice *out)
{
	const struct route_info *r = &best->r;
	size_t plen = strlen(r->prepend), rest = best->number.len - r->strip;

	memset(out, 0, sizeof(*out));
	memcpy(out->route, r->name, sizeof(out->route));
	memcpy(out->number, r->prepend, plen);
	memcpy(out->number + plen, best->number.p + r->strip, rest);
	out->number[plen + rest] = '\0';
	out->n_trunks = r->n_trunks;
	memcpy(out->trunks, r->trunks, sizeof(out->trunks));
}

int
routes_pick(const struct route_info *routes, size_t n, struct sv number,
    struct route_choice *out)
{
	struct routes_best best = {.number = number};

	memset(out, 0, sizeof(*out));
	if (!routes_number_valid(number))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		routes_consider(&best, &routes[i]);
	if (!best.found)
		return -ENOENT;
	routes_choose(&best, out);
	return 0;
}

int
routes_select(struct db *db, struct sv number, struct route_choice *out)
{
	struct routes_best best = {.number = number};
	struct trunk_info t;
	unsigned kept = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!routes_number_valid(number))
		return -EINVAL;
	err = db_read_begin(db);
	if (err != 0)
		return err;
	err = routes_list(db, routes_consider_cb, &best);
	if (err == 0 && !best.found)
		err = -ENOENT;
	if (err == 0)
		routes_choose(&best, out);
	for (unsigned i = 0; err == 0 && i < out->n_trunks; i++) {
		err = trunks_get(db, sv_cstr(out->trunks[i]), &t);
		/* A trunk removed under a route (by hand) is skipped. */
		if (err == -ENOENT || (err == 0 && !t.enabled)) {
			out->n_skipped++;
			err = 0;
			continue;
		}
		if (err == 0 && kept != i)
			memcpy(out->trunks[kept], out->trunks[i],
			    sizeof(out->trunks[i]));
		kept++;
	}
	db_read_end(db);
	if (err != 0) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	for (unsigned i = kept; i < out->n_trunks; i++)
		out->trunks[i][0] = '\0';
	out->n_trunks = kept;
	return 0;
}

int
dids_add(struct db *db, struct sv number, struct sv ext, struct sv alternate,
    uint32_t ring_timeout_s, int64_t now, const char **field)
{
	struct user_info u;
	struct db_stmt *st;
	int err;

	if (!users_e164_valid(number))
		return trunks_bad(field, "number", -EINVAL);
	if (!users_ext_valid(ext))
		return trunks_bad(field, "ext", -EINVAL);
	if (!users_alternate_valid(alternate) || sv_eq(alternate, ext))
		return trunks_bad(field, "alternate", -EINVAL);
	if (ring_timeout_s < DIDS_RING_TIMEOUT_MIN ||
	    ring_timeout_s > DIDS_RING_TIMEOUT_MAX)
		return trunks_bad(field, "ring_timeout", -EINVAL);
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = users_get_info(db, ext, &u);
	if (err == 0 && alternate.len > 0 && alternate.p[0] != '+') {
		err = users_get_info(db, alternate, &u);
		if (err == -ENOENT)
			err = -ENXIO;
	}
	if (err == 0)
		err = db_prepare(db,
		    "INSERT INTO dids (number, ext, alternate, ring_timeout_s,"
		    " enabled, created_at, updated_at)"
		    " VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)",
		    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, number);
	db_bind_text(st, 2, ext);
	db_bind_text(st, 3, or_empty(alternate));
	db_bind_int64(st, 4, ring_timeout_s);
	db_bind_int64(st, 5, now);
	return trunks_write(db, st, false);
}

static int
dids_fill(struct did_info *d, struct db_stmt *st)
{
	memset(d, 0, sizeof(*d));
	if (fill_text(d->number, sizeof(d->number), db_col_text(st, 0),
	        users_e164_valid) != 0 ||
	    fill_text(d->ext, sizeof(d->ext), db_col_text(st, 1),
	        users_ext_valid) != 0 ||
	    fill_text(d->alternate, sizeof(d->alternate), db_col_text(st, 2),
	        users_alternate_valid) != 0 ||
	    fill_u32(&d->ring_timeout_s, st, 3, DIDS_RING_TIMEOUT_MIN,
	        DIDS_RING_TIMEOUT_MAX) != 0)
		return -EBADMSG;
	d->enabled = db_col_int64(st, 4) != 0;
	d->created_at = db_col_int64(st, 5);
	d->updated_at = db_col_int64(st, 6);
	return 0;
}

int
dids_get(struct db *db, struct sv number, struct did_info *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!users_e164_valid(number))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT " DIDS_COLS " FROM dids WHERE number = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, number);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = dids_fill(out, st);
	db_finish(st);
	return err;
}

int
dids_remove(struct db *db, struct sv number)
{
	struct db_stmt *st;
	int err;

	if (!users_e164_valid(number))
		return -EINVAL;
	err = db_write_begin(db, "DELETE FROM dids WHERE number = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, number);
	return trunks_write(db, st, true);
}

int
dids_list(struct db *db, dids_list_cb cb, void *arg)
{
	struct did_info d;
	struct db_stmt *st;
	int err;

	err = db_prepare(
	    db, "SELECT " DIDS_COLS " FROM dids ORDER BY number", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = dids_fill(&d, st);
		if (err == 0)
			err = cb(arg, &d);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}
