/* Unit tests for trunks, routes and DIDs (schema migration 5): checks,
 * sealing of trunk secrets (R-CRYPTO-3), pattern matching and route
 * selection. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/mem.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/trunks.h"
#include "store/users.h"

#define SECRET "Op3rator-Trunk-Secret-XYZ"

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	struct keys *k;
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t md5[USERS_HA1_MD5_LEN] = {1}, sha[USERS_HA1_SHA256_LEN] = {2};

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-trunks-XXXXXX",
	    sizeof("/tmp/rempart-trunks-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	if (users_add(f->db, f->k, SV("100"), SV("A"), md5, sha, 1) != 0 ||
	    users_add(f->db, f->k, SV("101"), SV("B"), md5, sha, 1) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	db_close(f->db);
	keys_free(f->k);
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static int
raw_exec(const char *path, const char *sql)
{
	sqlite3 *h;
	int rc;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc;
}

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *h;
	int64_t n;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

/* True when 'needle' occurs anywhere in the file. */
static bool
file_contains(const char *path, const char *needle)
{
	size_t n = strlen(needle), len;
	bool found = false;
	char *data;
	FILE *fp;
	long size;

	fp = fopen(path, "rb");
	if (fp == NULL)
		return false;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size >= 0);
	rewind(fp);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	len = fread(data, 1, (size_t)size, fp);
	fclose(fp);
	for (size_t i = 0; !found && i + n <= len; i++)
		found = memcmp(data + i, needle, n) == 0;
	free(data);
	return found;
}

static struct trunk_spec
reg_spec(const char *name)
{
	return (struct trunk_spec){
	    .name = sv_cstr(name),
	    .kind = TRUNK_KIND_REGISTER,
	    .transport = TRUNK_TRANSPORT_TLS,
	    .host = SV("sip.operator.example"),
	    .username = SV("33123456789"),
	    .channels = 4,
	    .codecs = SV("PCMA, opus"),
	    .outbound_cid = SV("+33123456789"),
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};
}

static struct trunk_spec
ip_spec(const char *name)
{
	return (struct trunk_spec){
	    .name = sv_cstr(name),
	    .kind = TRUNK_KIND_IP,
	    .transport = TRUNK_TRANSPORT_UDP,
	    .host = SV("192.0.2.10"),
	    .port = 5060,
	    .acl = SV("192.0.2.0/24, 2001:DB8::/32"),
	    .channels = 30,
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};
}

static void
test_names_and_hosts(void **state)
{
	(void)state;
	assert_true(trunks_name_valid(SV("op-1_a")));
	assert_true(trunks_name_valid(SV("abcdefghijklmnopqrstuvwxyz012345")));
	assert_false(
	    trunks_name_valid(SV("abcdefghijklmnopqrstuvwxyz0123456")));
	assert_false(trunks_name_valid(SV("")));
	assert_false(trunks_name_valid(SV("Op")));
	assert_false(trunks_name_valid(SV("a b")));
	assert_false(trunks_name_valid(SV("a.b")));

	assert_true(trunks_host_valid(SV("sip.example.com")));
	assert_true(trunks_host_valid(SV("192.0.2.1")));
	assert_true(trunks_host_valid(SV("2001:db8::1")));
	assert_true(trunks_host_valid(SV("a-b.c")));
	assert_false(trunks_host_valid(SV("")));
	assert_false(trunks_host_valid(SV("192.0.2.300")));
	assert_false(trunks_host_valid(SV("[2001:db8::1]")));
	assert_false(trunks_host_valid(SV("fe80::1%eth0")));
	assert_false(trunks_host_valid(SV("-a.example")));
	assert_false(trunks_host_valid(SV("a-.example")));
	assert_false(trunks_host_valid(SV("a..example")));
	assert_false(trunks_host_valid(SV("example.")));
	assert_false(trunks_host_valid(SV("exa mple")));
	assert_false(trunks_host_valid(SV("host:5060")));

	assert_true(trunks_secret_valid(SV(SECRET)));
	assert_false(trunks_secret_valid(SV("")));
	assert_false(trunks_secret_valid(SV("with space")));
	assert_false(trunks_secret_valid(SV("tab\there")));

	assert_true(routes_number_valid(SV("+33123456789")));
	assert_true(routes_number_valid(SV("0123")));
	assert_false(routes_number_valid(SV("+")));
	assert_false(routes_number_valid(SV("")));
	assert_false(routes_number_valid(SV("12a")));
	assert_false(routes_number_valid(SV("1+2")));
	assert_false(
	    routes_number_valid(SV("123456789012345678901234567890123")));

	assert_true(users_e164_valid(SV("+33123456789")));
	assert_true(users_e164_valid(SV("+12")));
	assert_false(users_e164_valid(SV("+1")));
	assert_false(users_e164_valid(SV("+0123")));
	assert_false(users_e164_valid(SV("33123")));
	assert_false(users_e164_valid(SV("+1234567890123456")));
	assert_false(users_e164_valid(SV("+33 1")));
	assert_true(users_alternate_valid(SV("")));
	assert_true(users_alternate_valid(SV("101")));
	assert_true(users_alternate_valid(SV("+33123")));
	assert_false(users_alternate_valid(SV("+0")));
	assert_false(users_alternate_valid(SV("a b")));
}

static void
test_spec_check(void **state)
{
	struct trunk_spec s;
	const char *field;
	enum trunk_kind kind;
	enum trunk_transport tr;
	char acl[600];

	(void)state;
	s = reg_spec("op");
	assert_int_equal(trunks_spec_check(&s, &field), 0);
	s = ip_spec("op");
	assert_int_equal(trunks_spec_check(&s, &field), 0);

#define BAD(mutation, name)                                                    \
	do {                                                                   \
		s = reg_spec("op");                                            \
		mutation;                                                      \
		field = NULL;                                                  \
		assert_int_not_equal(trunks_spec_check(&s, &field), 0);        \
		assert_non_null(field);                                        \
		assert_string_equal(field, name);                              \
	} while (0)
	BAD(s.name = SV("Bad"), "name");
	BAD(s.kind = (enum trunk_kind)7, "kind");
	BAD(s.transport = (enum trunk_transport)7, "transport");
	BAD(s.host = SV("bad host"), "host");
	BAD(s.port = 65536, "port");
	BAD(s.username = SV(""), "username");
	BAD(s.username = SV("a@b"), "username");
	BAD(s.auth_user = SV("a b"), "auth_user");
	BAD(s.realm = SV("a\"b"), "realm");
	BAD(s.from_domain = SV("x..y"), "from_domain");
	BAD(s.acl = SV("192.0.2.1/24"), "acl");
	BAD(s.channels = 0, "channels");
	BAD(s.channels = TRUNKS_CHANNELS_MAX + 1, "channels");
	BAD(s.codecs = SV("opus,OPUS"), "codecs");
	BAD(s.outbound_cid = SV("0123"), "outbound_cid");
	BAD(s.expires_s = 59, "expires");
	BAD(s.expires_s = 3601, "expires");
	/* An IP trunk without allowed networks is refused. */
	BAD((s = ip_spec("op"), s.acl = SV("")), "acl");
	BAD((s = ip_spec("op"), s.acl = SV(" ")), "acl");
	/* Too many networks. */
	acl[0] = '\0';
	for (int i = 0; i < USERS_ACL_MAX + 1; i++)
		snprintf(acl + strlen(acl), sizeof(acl) - strlen(acl),
		    "%s10.0.%d.0/24", i > 0 ? "," : "", i);
	BAD(s.acl = sv_cstr(acl), "acl");
#undef BAD

	assert_int_equal(trunks_kind_parse(SV("ip"), &kind), 0);
	assert_int_equal(kind, TRUNK_KIND_IP);
	assert_int_equal(trunks_kind_parse(SV("IP"), &kind), -EINVAL);
	assert_int_equal(trunks_transport_parse(SV("tls"), &tr), 0);
	assert_int_equal(tr, TRUNK_TRANSPORT_TLS);
	assert_int_equal(trunks_transport_parse(SV("sctp"), &tr), -EINVAL);
	assert_string_equal(trunks_kind_name(TRUNK_KIND_REGISTER), "register");
	assert_string_equal(trunks_transport_name(TRUNK_TRANSPORT_TCP), "tcp");
}

static void
test_add_get_list(void **state)
{
	struct fixture *f = *state;
	struct trunk_spec s = reg_spec("op1");
	struct trunk_info t;
	const char *field = NULL;

	assert_int_equal(
	    trunks_add(f->db, f->k, &s, SV(SECRET), 100, &field), 0);
	assert_int_equal(trunks_get(f->db, SV("op1"), &t), 0);
	assert_string_equal(t.name, "op1");
	assert_int_equal(t.kind, TRUNK_KIND_REGISTER);
	assert_int_equal(t.transport, TRUNK_TRANSPORT_TLS);
	assert_string_equal(t.host, "sip.operator.example");
	assert_int_equal(t.port, 0);
	assert_string_equal(t.username, "33123456789");
	assert_string_equal(t.codecs, "PCMA,opus");
	assert_string_equal(t.acl, "");
	assert_string_equal(t.outbound_cid, "+33123456789");
	assert_int_equal(t.channels, 4);
	assert_int_equal(t.expires_s, TRUNKS_EXPIRES_DEFAULT);
	assert_true(t.has_secret);
	assert_true(t.enabled);
	assert_int_equal(t.created_at, 100);

	s = ip_spec("op2");
	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, 110, NULL), 0);
	assert_int_equal(trunks_get(f->db, SV("op2"), &t), 0);
	assert_string_equal(t.acl, "192.0.2.0/24,2001:db8::/32");
	assert_false(t.has_secret);

	/* Duplicates, bad names and missing trunks. */
	assert_int_equal(
	    trunks_add(f->db, f->k, &s, SV_NULL, 120, NULL), -EEXIST);
	assert_int_equal(trunks_get(f->db, SV("nope"), &t), -ENOENT);
	assert_int_equal(trunks_get(f->db, SV("No"), &t), -EINVAL);

	/* A registration trunk needs a secret, and a valid one. */
	s = reg_spec("op3");
	field = NULL;
	assert_int_equal(
	    trunks_add(f->db, f->k, &s, SV_NULL, 130, &field), -EINVAL);
	assert_string_equal(field, "secret");
	field = NULL;
	assert_int_equal(
	    trunks_add(f->db, f->k, &s, SV("a b"), 130, &field), -EINVAL);
	assert_string_equal(field, "secret");
	assert_int_equal(trunks_get(f->db, SV("op3"), &t), -ENOENT);
}

struct names {
	char seen[8][TRUNKS_NAME_MAX + 1];
	int n;
};

static int
collect_trunk(void *arg, const struct trunk_info *t)
{
	struct names *c = arg;

	assert_true(c->n < 8);
	memcpy(c->seen[c->n++], t->name, sizeof(t->name));
	return 0;
}

static int
collect_route(void *arg, const struct route_info *r)
{
	struct names *c = arg;

	assert_true(c->n < 8);
	memcpy(c->seen[c->n++], r->name, sizeof(r->name));
	return 0;
}

static int
collect_did(void *arg, const struct did_info *d)
{
	struct names *c = arg;

	assert_true(c->n < 8);
	memcpy(c->seen[c->n], d->number, sizeof(d->number));
	c->n++;
	return 0;
}

static int
stop_at_first(void *arg, const struct trunk_info *t)
{
	(void)arg;
	(void)t;
	return 42;
}

static void
test_list_enable_remove(void **state)
{
	struct fixture *f = *state;
	struct trunk_spec s;
	struct names c = {0};
	struct trunk_info t;

	s = ip_spec("zeta");
	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, 1, NULL), 0);
	s = ip_spec("alpha");
	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, 1, NULL), 0);
	assert_int_equal(trunks_list(f->db, collect_trunk, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.seen[0], "alpha");
	assert_string_equal(c.seen[1], "zeta");
	assert_int_equal(trunks_list(f->db, stop_at_first, NULL), 42);

	assert_int_equal(trunks_set_enabled(f->db, SV("zeta"), false, 5), 0);
	assert_int_equal(trunks_get(f->db, SV("zeta"), &t), 0);
	assert_false(t.enabled);
	assert_int_equal(t.updated_at, 5);
	assert_int_equal(trunks_set_enabled(f->db, SV("zeta"), true, 6), 0);
	assert_int_equal(trunks_get(f->db, SV("zeta"), &t), 0);
	assert_true(t.enabled);
	assert_int_equal(
	    trunks_set_enabled(f->db, SV("none"), true, 6), -ENOENT);
	assert_int_equal(trunks_set_enabled(f->db, SV(""), true, 6), -EINVAL);

	assert_int_equal(trunks_remove(f->db, SV("zeta"), NULL), 0);
	assert_int_equal(trunks_get(f->db, SV("zeta"), &t), -ENOENT);
	assert_int_equal(trunks_remove(f->db, SV("zeta"), NULL), -ENOENT);
	assert_int_equal(trunks_remove(f->db, SV("Z"), NULL), -EINVAL);
	assert_int_equal(db_tx_depth(f->db), 0);
}

/* R-CRYPTO-3: the secret is sealed at rest, bound to its trunk, and
 * handed out only by trunks_get_secret(). */
static void
test_secret_sealed(void **state)
{
	struct fixture *f = *state;
	struct trunk_spec s = reg_spec("op1");
	struct buf b;

	assert_int_equal(trunks_add(f->db, f->k, &s, SV(SECRET), 1, NULL), 0);
	s = reg_spec("op2");
	assert_int_equal(
	    trunks_add(f->db, f->k, &s, SV("Other-Secret-42"), 1, NULL), 0);
	s = ip_spec("op3");
	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, 1, NULL), 0);

	buf_init(&b, 0);
	assert_int_equal(trunks_get_secret(f->db, f->k, SV("op1"), &b), 0);
	assert_true(sv_eq(buf_view(&b), SV(SECRET)));
	keys_wipe_buf(&b);
	buf_init(&b, 0);
	assert_int_equal(
	    trunks_get_secret(f->db, f->k, SV("op3"), &b), -ENODATA);
	assert_int_equal(
	    trunks_get_secret(f->db, f->k, SV("none"), &b), -ENOENT);
	assert_int_equal(trunks_get_secret(f->db, f->k, SV("A"), &b), -EINVAL);
	assert_int_equal(b.len, 0);

	/* Never in clear in the file, nor in its write-ahead log. */
	db_close(f->db);
	f->db = NULL;
	assert_false(file_contains(f->path, SECRET));
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM trunks WHERE secret IS NOT "
	                     "NULL AND length(secret) = " /* sealed size */
	                     "29 + length('" SECRET "')"),
	    1);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM trunks WHERE instr(secret, "
	                     "CAST('" SECRET "' AS BLOB)) > 0 OR instr("
	                     "CAST(secret AS TEXT), 'Other-Secret') > 0"),
	    0);
	assert_int_equal(db_open(&f->db, f->dir), 0);

	/* A sealed value moved to another row does not open. */
	assert_int_equal(
	    raw_exec(f->path, "UPDATE trunks SET secret = (SELECT secret FROM "
	                      "trunks WHERE name = 'op1') WHERE name = 'op2'"),
	    SQLITE_OK);
	assert_int_equal(
	    trunks_get_secret(f->db, f->k, SV("op2"), &b), -EBADMSG);
	/* Nor a truncated one. */
	assert_int_equal(raw_exec(f->path, "UPDATE trunks SET secret = "
	                                   "x'0102' WHERE name = 'op1'"),
	    SQLITE_OK);
	assert_int_equal(
	    trunks_get_secret(f->db, f->k, SV("op1"), &b), -EBADMSG);
	assert_int_equal(b.len, 0);
	buf_release(&b);
}

static void
test_update(void **state)
{
	struct fixture *f = *state;
	struct trunk_spec s = reg_spec("op1");
	const char *field = NULL;
	struct trunk_info t;
	struct buf b;

	assert_int_equal(trunks_add(f->db, f->k, &s, SV(SECRET), 1, NULL), 0);
	assert_int_equal(trunks_set_enabled(f->db, SV("op1"), false, 2), 0);
	s.channels = 8;
	s.transport = TRUNK_TRANSPORT_TCP;
	/* SV_NULL keeps the secret. */
	assert_int_equal(trunks_update(f->db, f->k, &s, SV_NULL, 3, NULL), 0);
	assert_int_equal(trunks_get(f->db, SV("op1"), &t), 0);
	assert_int_equal(t.channels, 8);
	assert_int_equal(t.transport, TRUNK_TRANSPORT_TCP);
	assert_false(t.enabled);
	assert_int_equal(t.created_at, 1);
	assert_int_equal(t.updated_at, 3);
	buf_init(&b, 0);
	assert_int_equal(trunks_get_secret(f->db, f->k, SV("op1"), &b), 0);
	assert_true(sv_eq(buf_view(&b), SV(SECRET)));
	keys_wipe_buf(&b);
	/* A new one replaces it. */
	assert_int_equal(
	    trunks_update(f->db, f->k, &s, SV("New-Secret-77"), 4, NULL), 0);
	buf_init(&b, 0);
	assert_int_equal(trunks_get_secret(f->db, f->k, SV("op1"), &b), 0);
	assert_true(sv_eq(buf_view(&b), SV("New-Secret-77")));
	keys_wipe_buf(&b);
	/* A registration trunk cannot lose it; an IP trunk can. */
	assert_int_equal(
	    trunks_update(f->db, f->k, &s, SV(""), 5, &field), -EINVAL);
	assert_string_equal(field, "secret");
	s = ip_spec("op1");
	assert_int_equal(trunks_update(f->db, f->k, &s, SV(""), 6, NULL), 0);
	assert_int_equal(trunks_get(f->db, SV("op1"), &t), 0);
	assert_false(t.has_secret);
	assert_int_equal(t.kind, TRUNK_KIND_IP);
	/* Back to a registration trunk needs a secret again. */
	s = reg_spec("op1");
	assert_int_equal(
	    trunks_update(f->db, f->k, &s, SV_NULL, 7, &field), -EINVAL);
	s = reg_spec("none");
	assert_int_equal(
	    trunks_update(f->db, f->k, &s, SV(SECRET), 7, NULL), -ENOENT);
	assert_int_equal(db_tx_depth(f->db), 0);
}

/* Rows edited by hand into a form the repository would not write are
 * refused; the schema refuses an IP trunk without networks. */
static void
test_bad_rows(void **state)
{
	struct fixture *f = *state;
	static const char *const edits[] = {
	    "UPDATE trunks SET host = 'bad host'",
	    "UPDATE trunks SET codecs = 'opus, PCMA'",
	    "UPDATE trunks SET acl = '192.0.2.7/24'",
	    "UPDATE trunks SET outbound_cid = '0123'",
	    "UPDATE trunks SET username = 'a b'",
	};
	struct trunk_spec s = ip_spec("op1");
	struct names c = {0};
	struct trunk_info t;

	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, 1, NULL), 0);
	for (size_t i = 0; i < RP_ARRAY_LEN(edits); i++) {
		assert_int_equal(raw_exec(f->path, edits[i]), SQLITE_OK);
		assert_int_equal(trunks_get(f->db, SV("op1"), &t), -EBADMSG);
		assert_int_equal(
		    trunks_list(f->db, collect_trunk, &c), -EBADMSG);
		assert_int_equal(trunks_remove(f->db, SV("op1"), NULL), 0);
		assert_int_equal(
		    trunks_add(f->db, f->k, &s, SV_NULL, 1, NULL), 0);
	}
	assert_int_equal(
	    raw_exec(f->path, "UPDATE trunks SET acl = ''"), SQLITE_CONSTRAINT);
	assert_int_equal(raw_exec(f->path, "UPDATE trunks SET channels = 0"),
	    SQLITE_CONSTRAINT);
	assert_int_equal(raw_exec(f->path, "UPDATE trunks SET kind = 'peer'"),
	    SQLITE_CONSTRAINT);
}

static void
test_oom(void **state)
{
	struct fixture *f = *state;
	struct trunk_spec s = reg_spec("op1");
	struct trunk_info t;
	int rc, failures = 0;

	for (unsigned long n = 1; n < 50; n++) {
		mem_fail_nth(n);
		rc = trunks_add(f->db, f->k, &s, SV(SECRET), 1, NULL);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		failures++;
		assert_int_equal(trunks_get(f->db, SV("op1"), &t), -ENOENT);
		assert_int_equal(db_tx_depth(f->db), 0);
	}
	assert_true(failures > 0);
	assert_int_equal(trunks_get(f->db, SV("op1"), &t), 0);
}

static void
test_pattern_match(void **state)
{
	static const struct {
		const char *pattern, *number;
		bool match;
	} cases[] = {
	    {"0033.", "0033123456789", true},
	    {"0033.", "0033", false},
	    {"0033.", "0034123", false},
	    {"0XXXXXXXXX", "0123456789", true},
	    {"0XXXXXXXXX", "012345678", false},
	    {"0XXXXXXXXX", "01234567890", false},
	    {"0[67]XXXXXXXX", "0612345678", true},
	    {"0[67]XXXXXXXX", "0512345678", false},
	    {"0[1-5]XXXXXXXX", "0312345678", true},
	    {"0[1-5]XXXXXXXX", "0612345678", false},
	    {"[1-3,7]", "7", true},
	    {"[1-3,7]", "5", false},
	    {"NXX", "212", true},
	    {"NXX", "112", false},
	    {"ZX", "10", true},
	    {"ZX", "01", false},
	    {"+33.", "+33612345678", true},
	    {"+33.", "0033612345678", false},
	    {"+.", "+1", true},
	    {".", "+1", false},
	    {".", "1", true},
	    {"x.", "12", true},
	    {"112", "112", true},
	    {"112", "1120", false},
	    {"112", "", false},
	    {"1.", "1+", false},
	};
	static const char *const bad[] = {
	    "",
	    "A",
	    "1.2",
	    "..",
	    "1+",
	    "[",
	    "[]",
	    "[1-",
	    "[5-1]",
	    "[a]",
	    "[1-]",
	    "1 2",
	    "#",
	    "*1",
	    "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
	};
	char out[ROUTES_PATTERN_MAX + 1];

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(cases); i++) {
		if (route_pattern_match(sv_cstr(cases[i].pattern),
		        sv_cstr(cases[i].number)) != cases[i].match)
			fail_msg("pattern %s number %s", cases[i].pattern,
			    cases[i].number);
	}
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		if (route_pattern_normalise(sv_cstr(bad[i]), out) != -EINVAL)
			fail_msg("pattern %s accepted", bad[i]);
		assert_false(route_pattern_match(sv_cstr(bad[i]), SV("1")));
	}
	assert_int_equal(route_pattern_normalise(SV("0nxz[1-3]x."), out), 0);
	assert_string_equal(out, "0NXZ[1-3]X.");
}

static struct route_info
route(const char *name, const char *pattern, uint32_t priority, uint32_t strip,
    const char *prepend, const char *trunk)
{
	struct route_info r = {.priority = priority, .strip = strip};

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.pattern, sizeof(r.pattern), "%s", pattern);
	snprintf(r.prepend, sizeof(r.prepend), "%s", prepend);
	snprintf(r.trunks[0], sizeof(r.trunks[0]), "%s", trunk);
	r.n_trunks = 1;
	r.enabled = true;
	return r;
}

static void
test_routes_pick(void **state)
{
	struct route_info routes[6];
	struct route_choice c;

	(void)state;
	routes[0] = route("any", ".", 100, 0, "", "t0");
	routes[1] = route("national", "0XXXXXXXXX", 100, 1, "+33", "t1");
	routes[2] = route("mobile", "0[67]XXXXXXXX", 100, 1, "+33", "t2");
	routes[3] = route("intl", "00.", 100, 2, "+", "t3");
	routes[4] = route("intl-cheap", "00.", 50, 2, "+", "t4");
	routes[5] = route("fr-off", "0033.", 1, 0, "", "t5");
	routes[5].enabled = false;

	/* The most specific pattern wins over priority. */
	assert_int_equal(routes_pick(routes, 6, SV("0612345678"), &c), 0);
	assert_string_equal(c.route, "mobile");
	assert_string_equal(c.number, "+33612345678");
	assert_int_equal(c.n_trunks, 1);
	assert_string_equal(c.trunks[0], "t2");
	assert_int_equal(routes_pick(routes, 6, SV("0123456789"), &c), 0);
	assert_string_equal(c.route, "national");
	/* Equal patterns: the lower priority. Disabled routes are skipped. */
	assert_int_equal(routes_pick(routes, 6, SV("0033123456789"), &c), 0);
	assert_string_equal(c.route, "intl-cheap");
	assert_string_equal(c.number, "+33123456789");
	assert_int_equal(routes_pick(routes, 6, SV("1234"), &c), 0);
	assert_string_equal(c.route, "any");
	assert_string_equal(c.number, "1234");
	assert_int_equal(routes_pick(routes, 6, SV("+4412"), &c), -ENOENT);
	assert_int_equal(routes_pick(routes, 6, SV("12a"), &c), -EINVAL);
	assert_int_equal(routes_pick(routes, 0, SV("12"), &c), -ENOENT);
	/* A strip that would leave nothing passes the route over. */
	routes[0] = route("short", "XX", 1, 2, "9", "t0");
	assert_int_equal(routes_pick(routes, 1, SV("12"), &c), -ENOENT);
}

static struct route_spec
rspec(const char *name, const char *pattern, const char *trunks)
{
	return (struct route_spec){
	    .name = sv_cstr(name),
	    .pattern = sv_cstr(pattern),
	    .priority = ROUTES_PRIORITY_DEFAULT,
	    .trunks = sv_cstr(trunks),
	};
}

static void
test_routes_store(void **state)
{
	struct fixture *f = *state;
	char missing[TRUNKS_NAME_MAX + 1] = "", used[ROUTES_NAME_MAX + 1] = "";
	struct trunk_spec ts;
	struct route_spec rs;
	struct route_info r;
	struct route_choice c;
	struct names n = {0};
	const char *field;

	ts = ip_spec("a");
	assert_int_equal(trunks_add(f->db, f->k, &ts, SV_NULL, 1, NULL), 0);
	ts = ip_spec("b");
	assert_int_equal(trunks_add(f->db, f->k, &ts, SV_NULL, 1, NULL), 0);

	rs = rspec("fr", "0[1-9]xxxxxxxx", "b,a");
	rs.strip = 1;
	rs.prepend = SV("+33");
	assert_int_equal(routes_add(f->db, &rs, 10, NULL, NULL), 0);
	assert_int_equal(routes_get(f->db, SV("fr"), &r), 0);
	assert_string_equal(r.pattern, "0[1-9]XXXXXXXX");
	assert_int_equal(r.n_trunks, 2);
	assert_string_equal(r.trunks[0], "b");
	assert_string_equal(r.trunks[1], "a");
	assert_int_equal(r.strip, 1);
	assert_string_equal(r.prepend, "+33");
	assert_true(r.enabled);
	assert_int_equal(routes_add(f->db, &rs, 10, NULL, NULL), -EEXIST);

	/* Each referenced trunk must exist. */
	rs = rspec("x", "1.", "a,ghost");
	assert_int_equal(routes_add(f->db, &rs, 10, NULL, missing), -ENOENT);
	assert_string_equal(missing, "ghost");
	assert_int_equal(routes_get(f->db, SV("x"), &r), -ENOENT);

#define BADR(mutation, name)                                                   \
	do {                                                                   \
		rs = rspec("x", "1.", "a");                                    \
		mutation;                                                      \
		field = NULL;                                                  \
		assert_int_not_equal(                                          \
		    routes_add(f->db, &rs, 10, &field, NULL), 0);              \
		assert_string_equal(field, name);                              \
	} while (0)
	BADR(rs.name = SV("X"), "name");
	BADR(rs.pattern = SV("1.2"), "pattern");
	BADR(rs.priority = ROUTES_PRIORITY_MAX + 1, "priority");
	BADR(rs.strip = 21, "strip");
	BADR(rs.prepend = SV("12a"), "prepend");
	BADR(rs.prepend = SV("123456789012345678901"), "prepend");
	BADR(rs.trunks = SV(""), "trunks");
	BADR(rs.trunks = SV("a,a"), "trunks");
	BADR(rs.trunks = SV("a,"), "trunks");
	BADR(rs.trunks = SV("a,b,c,d,e,f,g,h,i"), "trunks");
#undef BADR

	rs = rspec("all", ".", "a");
	rs.priority = 5;
	assert_int_equal(routes_add(f->db, &rs, 10, NULL, NULL), 0);
	assert_int_equal(routes_list(f->db, collect_route, &n), 0);
	assert_int_equal(n.n, 2);
	assert_string_equal(n.seen[0], "all");
	assert_string_equal(n.seen[1], "fr");

	/* Selection over the store leaves out disabled trunks. */
	assert_int_equal(routes_select(f->db, SV("0123456789"), &c), 0);
	assert_string_equal(c.route, "fr");
	assert_string_equal(c.number, "+33123456789");
	assert_int_equal(c.n_trunks, 2);
	assert_int_equal(trunks_set_enabled(f->db, SV("b"), false, 11), 0);
	assert_int_equal(routes_select(f->db, SV("0123456789"), &c), 0);
	assert_int_equal(c.n_trunks, 1);
	assert_string_equal(c.trunks[0], "a");
	assert_string_equal(c.trunks[1], "");
	assert_int_equal(c.n_skipped, 1);
	assert_int_equal(routes_select(f->db, SV("55"), &c), 0);
	assert_string_equal(c.route, "all");
	assert_int_equal(routes_select(f->db, SV("+4455"), &c), -ENOENT);
	assert_int_equal(routes_select(f->db, SV("x"), &c), -EINVAL);

	/* A trunk in use cannot be removed. */
	assert_int_equal(trunks_remove(f->db, SV("a"), used), -EBUSY);
	assert_string_equal(used, "all");
	assert_int_equal(routes_remove(f->db, SV("all")), 0);
	assert_int_equal(routes_remove(f->db, SV("all")), -ENOENT);
	assert_int_equal(routes_remove(f->db, SV("")), -EINVAL);
	assert_int_equal(trunks_remove(f->db, SV("a"), used), -EBUSY);
	assert_string_equal(used, "fr");
	assert_int_equal(routes_remove(f->db, SV("fr")), 0);
	assert_int_equal(trunks_remove(f->db, SV("a"), used), 0);
	assert_int_equal(db_tx_depth(f->db), 0);

	/* Hand-edited rows. */
	rs = rspec("r", "1.", "b");
	assert_int_equal(routes_add(f->db, &rs, 10, NULL, NULL), 0);
	assert_int_equal(
	    raw_exec(f->path, "UPDATE routes SET pattern = '1x.'"), SQLITE_OK);
	assert_int_equal(routes_get(f->db, SV("r"), &r), -EBADMSG);
	assert_int_equal(raw_exec(f->path, "UPDATE routes SET strip = 21"),
	    SQLITE_CONSTRAINT);
}

static void
test_dids(void **state)
{
	struct fixture *f = *state;
	struct did_info d;
	struct names n = {0};
	const char *field;

	assert_int_equal(dids_add(f->db, SV("+33123456789"), SV("100"),
	                     SV("101"), 20, 5, NULL),
	    0);
	assert_int_equal(dids_get(f->db, SV("+33123456789"), &d), 0);
	assert_string_equal(d.number, "+33123456789");
	assert_string_equal(d.ext, "100");
	assert_string_equal(d.alternate, "101");
	assert_int_equal(d.ring_timeout_s, 20);
	assert_true(d.enabled);
	assert_int_equal(d.created_at, 5);
	assert_int_equal(dids_add(f->db, SV("+33123456788"), SV("101"),
	                     SV("+33600000000"), 30, 5, NULL),
	    0);
	assert_int_equal(dids_add(f->db, SV("+33123456787"), SV("101"), SV_NULL,
	                     30, 5, NULL),
	    0);
	assert_int_equal(dids_get(f->db, SV("+33123456787"), &d), 0);
	assert_string_equal(d.alternate, "");
	assert_int_equal(
	    dids_add(f->db, SV("+33123456789"), SV("101"), SV(""), 30, 5, NULL),
	    -EEXIST);

	/* Missing extensions. */
	assert_int_equal(
	    dids_add(f->db, SV("+33100000000"), SV("999"), SV(""), 30, 5, NULL),
	    -ENOENT);
	assert_int_equal(dids_add(f->db, SV("+33100000000"), SV("100"),
	                     SV("999"), 30, 5, NULL),
	    -ENXIO);
	assert_int_equal(dids_get(f->db, SV("+33100000000"), &d), -ENOENT);

#define BADD(num, ext, alt, timeout, name)                                     \
	do {                                                                   \
		field = NULL;                                                  \
		assert_int_equal(dids_add(f->db, SV(num), SV(ext), SV(alt),    \
		                     timeout, 5, &field),                      \
		    -EINVAL);                                                  \
		assert_string_equal(field, name);                              \
	} while (0)
	BADD("33100", "100", "", 30, "number");
	BADD("+0331", "100", "", 30, "number");
	BADD("+33100", "a b", "", 30, "ext");
	BADD("+33100", "100", "+0", 30, "alternate");
	BADD("+33100", "100", "100", 30, "alternate");
	BADD("+33100", "100", "", 4, "ring_timeout");
	BADD("+33100", "100", "", 301, "ring_timeout");
#undef BADD

	assert_int_equal(dids_list(f->db, collect_did, &n), 0);
	assert_int_equal(n.n, 3);
	assert_string_equal(n.seen[0], "+33123456787");
	assert_int_equal(dids_remove(f->db, SV("+33123456787")), 0);
	assert_int_equal(dids_remove(f->db, SV("+33123456787")), -ENOENT);
	assert_int_equal(dids_remove(f->db, SV("123")), -EINVAL);
	/* The schema ties a DID to an existing user. */
	assert_int_equal(
	    raw_exec(f->path, "PRAGMA foreign_keys = ON; UPDATE dids SET "
	                      "ext = 'ghost'"),
	    SQLITE_CONSTRAINT);
	assert_int_equal(db_tx_depth(f->db), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_and_hosts),
	    cmocka_unit_test(test_spec_check),
	    cmocka_unit_test_setup_teardown(test_add_get_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_list_enable_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_secret_sealed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	    cmocka_unit_test(test_pattern_match),
	    cmocka_unit_test(test_routes_pick),
	    cmocka_unit_test_setup_teardown(test_routes_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dids, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_trunks", tests, NULL, NULL);
}
