/* Unit tests for the bans repository and schema migration 2 (R-NET-2,
 * R-OPS-3). */
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
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store/bans.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"
#include "store/users.h"

#define NOW 1700000000

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
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
make_dir(struct fixture *f)
{
	memcpy(f->dir, "/tmp/rempart-bans-XXXXXX",
	    sizeof("/tmp/rempart-bans-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || make_dir(f) != 0 || db_open(&f->db, f->dir) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

/* A directory only: the test makes the database itself. */
static int
setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || make_dir(f) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	db_close(f->db);
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void
raw_exec(const char *path, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3_stmt *s;
	sqlite3 *h;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static struct ban_record
ban(const char *addr, int64_t until, uint32_t count)
{
	return (struct ban_record){
	    .addr = sv_cstr(addr),
	    .until = until,
	    .count = count,
	    .reason = SV("auth_failures"),
	    .source = SV(BANS_SOURCE_AUTO),
	    .created_at = NOW,
	    .updated_at = NOW,
	};
}

/* What bans_list() handed out, copied. */
#define SEEN_MAX 8
struct seen {
	unsigned n;
	int stop_at; /* return 1 from this call on (1-based); 0: never */
	struct {
		char addr[BANS_ADDR_STRLEN];
		int64_t until;
		uint32_t count;
		char reason[BANS_REASON_MAX + 1];
		char source[8];
		int64_t created_at;
		int64_t updated_at;
	} b[SEEN_MAX];
};

static void
copy_sv(char *out, size_t size, struct sv v)
{
	assert_true(v.len < size);
	if (v.len > 0)
		memcpy(out, v.p, v.len);
	out[v.len] = '\0';
}

static int
collect(void *arg, const struct ban_record *b)
{
	struct seen *s = arg;

	assert_true(s->n < SEEN_MAX);
	copy_sv(s->b[s->n].addr, sizeof(s->b[0].addr), b->addr);
	copy_sv(s->b[s->n].reason, sizeof(s->b[0].reason), b->reason);
	copy_sv(s->b[s->n].source, sizeof(s->b[0].source), b->source);
	s->b[s->n].until = b->until;
	s->b[s->n].count = b->count;
	s->b[s->n].created_at = b->created_at;
	s->b[s->n].updated_at = b->updated_at;
	s->n++;
	return s->stop_at != 0 && (int)s->n >= s->stop_at ? 1 : 0;
}

static void
expect_norm(const char *in, const char *want)
{
	char out[BANS_ADDR_STRLEN];

	if (want == NULL) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(
		    bans_addr_normalise(sv_cstr(in), out), -EINVAL);
		return;
	}
	assert_int_equal(bans_addr_normalise(sv_cstr(in), out), 0);
	assert_string_equal(out, want);
}

/* R-NET-2: one ban per address whatever its spelling; nonsense refused. */
static void
test_normalise(void **state)
{
	(void)state;
	expect_norm("192.0.2.7", "192.0.2.7");
	expect_norm("192.0.2.7/32", "192.0.2.7");
	expect_norm("198.51.100.0/24", "198.51.100.0/24");
	expect_norm("0.0.0.0/0", "0.0.0.0/0");
	expect_norm("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
	expect_norm("2001:db8::/32", "2001:db8::/32");
	expect_norm("2001:db8::1/128", "2001:db8::1");
	expect_norm("::/0", "::/0");
	expect_norm("::ffff:192.0.2.9", "192.0.2.9");
	expect_norm("::ffff:192.0.2.0/120", "192.0.2.0/24");
	expect_norm("::ffff:0:0/96", "0.0.0.0/0");
	expect_norm("::/80", "::/80");
	expect_norm("0000:0000:0000:0000:0000:0000:0000:0001/128", "::1");
	/* Refused. */
	expect_norm("", NULL);
	expect_norm("192.0.2", NULL);
	expect_norm("192.0.2.256", NULL);
	expect_norm("192.0.2.01", NULL);
	expect_norm(" 192.0.2.1", NULL);
	expect_norm("192.0.2.1 ", NULL);
	expect_norm("192.0.2.7/24", NULL); /* host bits set */
	expect_norm("192.0.2.0/33", NULL);
	expect_norm("192.0.2.0/", NULL);
	expect_norm("/24", NULL);
	expect_norm("192.0.2.0/024", NULL);
	expect_norm("192.0.2.0/+8", NULL);
	expect_norm("192.0.2.0/24/24", NULL);
	expect_norm("2001:db8::1/129", NULL);
	expect_norm("2001:db8::1/64", NULL);
	expect_norm("fe80::1%eth0", NULL);
	expect_norm("[2001:db8::1]", NULL);
	expect_norm("192.0.2.1:5060", NULL);
	expect_norm("example.com", NULL);
	expect_norm(
	    "1111111111111111111111111111111111111111111111111111111111", NULL);
	expect_norm("::ffff:0:0/80", NULL); /* host bits set */
	expect_norm("0000:0000:0000:0000:0000:0000:0000:0001/0128", NULL);
	expect_norm("00000:0000:0000:0000:0000:0000:0000:0001/128", NULL);
	expect_norm("0000:0000:0000:0000:0000:0000:0000:0000:0001/128", NULL);
	/* A NUL inside the view is not the end of the text. */
	{
		char out[BANS_ADDR_STRLEN];

		assert_int_equal(
		    bans_addr_normalise(sv_make("10.0.0.1\0junk", 13), out),
		    -EINVAL);
	}
}

/* R-OPS-3: saved bans are listed back, in address order, with every
 * field; an upsert replaces all but created_at. */
static void
test_upsert_list(void **state)
{
	struct fixture *f = *state;
	struct ban_record b = ban("2001:DB8::1", NOW + 60, 1);
	struct seen s = {0};

	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.7", 0, 3);
	b.reason = SV("scanner");
	b.source = SV(BANS_SOURCE_ADMIN);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.b[0].addr, "192.0.2.7");
	assert_int_equal(s.b[0].until, 0);
	assert_int_equal(s.b[0].count, 3);
	assert_string_equal(s.b[0].reason, "scanner");
	assert_string_equal(s.b[0].source, "admin");
	assert_string_equal(s.b[1].addr, "2001:db8::1");
	assert_int_equal(s.b[1].until, NOW + 60);
	assert_string_equal(s.b[1].source, "auto");

	/* Another spelling of the same address replaces it. */
	b = ban("2001:db8:0::1", NOW + 600, 2);
	b.created_at = NOW + 5;
	b.updated_at = NOW + 5;
	assert_int_equal(bans_upsert(f->db, &b), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.b[1].until, NOW + 600);
	assert_int_equal(s.b[1].count, 2);
	assert_int_equal(s.b[1].created_at, NOW);
	assert_int_equal(s.b[1].updated_at, NOW + 5);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bans"), 2);
}

/* Bans survive closing and opening the database again (R-OPS-3). */
static void
test_persist(void **state)
{
	struct fixture *f = *state;
	struct ban_record b = ban("198.51.100.0/24", 0, 1);
	struct seen s = {0};

	assert_int_equal(bans_upsert(f->db, &b), 0);
	db_close(f->db);
	f->db = NULL;
	assert_int_equal(db_open(&f->db, f->dir), 0);
	assert_int_equal(bans_list(f->db, NOW + 86400 * 365, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.b[0].addr, "198.51.100.0/24");
}

/* Only active bans are listed: until == 0 or until > now. */
static void
test_list_active_only(void **state)
{
	struct fixture *f = *state;
	struct ban_record b;
	struct seen s = {0};

	b = ban("192.0.2.1", NOW - 1, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.2", NOW, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.3", NOW + 1, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.4", 0, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.b[0].addr, "192.0.2.3");
	assert_string_equal(s.b[1].addr, "192.0.2.4");
	/* Listing writes nothing. */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bans"), 4);
}

/* A non-zero callback result stops the listing and is returned. */
static void
test_list_stop(void **state)
{
	struct fixture *f = *state;
	struct ban_record b;
	struct seen s = {.stop_at = 1};

	b = ban("192.0.2.1", 0, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.2", 0, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 1);
	assert_int_equal(s.n, 1);
	/* The statement was given back: the handle is still usable. */
	assert_int_equal(bans_delete(f->db, SV("192.0.2.1")), 0);
}

/* Deleting: any spelling, -ENOENT when absent, -EINVAL when bad. */
static void
test_delete(void **state)
{
	struct fixture *f = *state;
	struct ban_record b = ban("2001:db8::/32", 0, 1);
	struct seen s = {0};

	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(bans_delete(f->db, SV("2001:db8::1")), -ENOENT);
	assert_int_equal(bans_delete(f->db, SV("2001:DB8:0::/32")), 0);
	assert_int_equal(bans_delete(f->db, SV("2001:db8::/32")), -ENOENT);
	assert_int_equal(bans_delete(f->db, SV("not-an-ip")), -EINVAL);
	assert_int_equal(bans_delete(f->db, SV("")), -EINVAL);
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(db_tx_depth(f->db), 0);
}

/* Purging removes the bans that are over, never the permanent ones. */
static void
test_purge(void **state)
{
	struct fixture *f = *state;
	struct ban_record b;
	uint64_t removed = 99;

	b = ban("192.0.2.1", NOW - 10, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.2", NOW, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.3", NOW + 10, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.4", 0, 1);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(bans_purge_expired(f->db, NOW, &removed), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(bans_purge_expired(f->db, NOW, NULL), 0);
	assert_int_equal(bans_purge_expired(f->db, NOW, &removed), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bans"), 2);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM bans WHERE addr IN "
	                     "('192.0.2.3', '192.0.2.4')"),
	    2);
}

/* Every field is checked before anything is written. */
static void
test_invalid(void **state)
{
	struct fixture *f = *state;
	char long_reason[BANS_REASON_MAX + 2];
	struct ban_record b;

	b = ban("192.0.2.300", 0, 1);
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b = ban("192.0.2.7/24", 0, 1);
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b = ban("192.0.2.1", -1, 1);
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b = ban("192.0.2.1", 0, 0);
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b = ban("192.0.2.1", 0, 1);
	b.source = SV("robot");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.source = SV_NULL;
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b = ban("192.0.2.1", 0, 1);
	b.reason = SV("line\nforged");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = SV("esc\x1b[2J");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = SV("del\x7f");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = SV("bad \xff utf-8");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = SV("overlong \xc0\xaf");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = SV("c1 \xc2\x9b");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = SV("cut \xe2\x82");
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	b.reason = sv_make("nul\0", 4);
	assert_int_equal(bans_upsert(f->db, &b), -EINVAL);
	memset(long_reason, 'r', sizeof(long_reason));
	b.reason = sv_make(long_reason, BANS_REASON_MAX + 1);
	assert_int_equal(bans_upsert(f->db, &b), -E2BIG);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bans"), 0);

	/* At the limits: accepted. */
	b.reason = sv_make(long_reason, BANS_REASON_MAX);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.2", 0, UINT32_MAX);
	b.reason = SV("accès refusé \xe2\x82\xac");
	assert_int_equal(bans_upsert(f->db, &b), 0);
	b = ban("192.0.2.3", 0, 1);
	b.reason = SV_NULL; /* stored as "" */
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bans"), 3);
	assert_int_equal(db_tx_depth(f->db), 0);
}

/* A row edited by hand into something this module would never write is
 * skipped, not handed to the daemon. */
static void
test_bad_rows_skipped(void **state)
{
	struct fixture *f = *state;
	struct ban_record b = ban("192.0.2.9", 0, 1);
	struct seen s = {0};

	assert_int_equal(bans_upsert(f->db, &b), 0);
	raw_exec(f->path,
	    "INSERT INTO bans VALUES ('2001:DB8::1', 0, 1, 'x', 'auto', 0, 0);"
	    "INSERT INTO bans VALUES ('junk', 0, 1, 'x', 'auto', 0, 0);"
	    "INSERT INTO bans VALUES ('192.0.2.10', 0, 1, 'a\nb', 'auto', 0,"
	    " 0);"
	    "INSERT INTO bans VALUES ('192.0.2.11', 0, 4294967296, 'x',"
	    " 'auto', 0, 0);");
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.b[0].addr, "192.0.2.9");
}

/* The schema refuses what the module refuses, for other writers. */
static void
test_schema_checks(void **state)
{
	struct fixture *f = *state;
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h,
	                         "INSERT INTO bans VALUES ('192.0.2.1', 0,"
	                         " 0, 'x', 'auto', 0, 0)",
	                         NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h,
	                         "INSERT INTO bans VALUES ('192.0.2.1', 0,"
	                         " 1, 'x', 'other', 0, 0)",
	                         NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(h,
	                         "INSERT INTO bans VALUES ('192.0.2.1', -5,"
	                         " 1, 'x', 'auto', 0, 0)",
	                         NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
}

/* Migration 1 as it shipped: a version-1 database, as an older rempart
 * left it. Shipped migrations never change, so this copy stays right. */
static const char v1_schema[] =
    "CREATE TABLE schema_version ("
    " id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),"
    " version INTEGER NOT NULL);"
    "INSERT INTO schema_version (id, version) VALUES (1, 1);"
    "CREATE TABLE users ("
    " ext TEXT PRIMARY KEY NOT NULL,"
    " display_name TEXT NOT NULL,"
    " ha1_md5 BLOB NOT NULL,"
    " ha1_sha256 BLOB NOT NULL,"
    " enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE bindings ("
    " aor TEXT NOT NULL,"
    " contact TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " q INTEGER NOT NULL,"
    " call_id TEXT NOT NULL,"
    " cseq INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " user_agent TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (aor, contact));"
    "CREATE INDEX bindings_expires_at ON bindings (expires_at);"
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT);"
    "INSERT INTO settings VALUES ('sip.realm', 'rempart.test');"
    "INSERT INTO users VALUES ('100', 'Alice', x'01', x'02', 1, 5, 6);"
    "INSERT INTO bindings VALUES ('sip:100@rempart.test',"
    " 'sip:100@192.0.2.1', 1900000000, 1000, 'cid', 1, 'udp:192.0.2.1:5060',"
    " 'ua', 7);";

/* R-OPS-3: opening a version-1 database migrates it to the current
 * version and keeps its data. */
static void
test_migrate_from_v1(void **state)
{
	struct fixture *f = *state;
	struct ban_record b = ban("192.0.2.5", 0, 1);
	struct seen s = {0};
	int64_t v = 0;
	FILE *fp;

	/* The file db_open() expects: created by us, mode 0600. */
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(chmod(f->path, 0600), 0);
	raw_exec(f->path, v1_schema);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE "
	                     "name = 'bans'"),
	    0);

	assert_int_equal(db_open(&f->db, f->dir), 0);
	assert_int_equal(db_schema_version(f->db, &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(bans_list(f->db, NOW, collect, &s), 0);
	assert_int_equal(s.n, 1);
	db_close(f->db);
	f->db = NULL;

	assert_int_equal(raw_int(f->path, "SELECT version FROM schema_version"),
	    DB_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users WHERE "
	                                  "ext = '100' AND display_name = "
	                                  "'Alice' AND created_at = 5"),
	    1);
	/* Migration 3: existing users get the permissive defaults. */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM users WHERE "
	                                  "srtp = 'optional' AND codecs = '' "
	                                  "AND acl = ''"),
	    1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bindings WHERE "
	                                  "aor = 'sip:100@rempart.test'"),
	    1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM settings "
	                                  "WHERE value = 'rempart.test'"),
	    1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master "
	                                  "WHERE name IN ('bans', "
	                                  "'bans_until')"),
	    2);
	/* Opening again applies nothing twice. */
	assert_int_equal(db_open(&f->db, f->dir), 0);
	assert_int_equal(db_schema_version(f->db, &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM bans"), 1);
}

/* What a reload reads: users_list() calls users_get() for each row. */
struct reader {
	struct db *db;
	const struct keys *k;
	unsigned n;
};

static int
read_user(void *arg, const struct user_info *u)
{
	struct reader *r = arg;
	struct user_record rec;

	assert_int_equal(users_get(r->db, r->k, sv_cstr(u->ext), &rec), 0);
	users_record_wipe(&rec);
	r->n++;
	return 0;
}

/* Runs the daemon's reload reads on 'db'; returns the number of active
 * bans and sets *users. */
static unsigned
reload_reads(struct db *db, const struct keys *k, unsigned *users)
{
	struct reader r = {db, k, 0};
	struct seen s = {0};
	char realm[SETTINGS_VALUE_MAX + 1];
	int64_t v;

	assert_int_equal(db_schema_version(db, &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(
	    settings_get(db, SETTINGS_SIP_REALM, realm, sizeof(realm)), 0);
	assert_int_equal(bans_list(db, NOW, collect, &s), 0);
	assert_int_equal(users_list(db, read_user, &r), 0);
	assert_int_equal(db_tx_depth(db), 0);
	*users = r.n;
	return s.n;
}

static const uint8_t cli_md5[USERS_HA1_MD5_LEN] = {1};
static const uint8_t cli_sha[USERS_HA1_SHA256_LEN] = {2};

/* The CLI's side of test_reader_sees_other_process: its own process
 * and connection ban ADDR and add user EXT, then exit. */
static int
cli_main(const char *dir, const char *addr, const char *ext)
{
	struct ban_record b = ban(addr, 0, 1);
	struct keys *k = NULL;
	struct db *db = NULL;
	int err;

	err = keys_load(dir, &k);
	if (err == 0)
		err = db_open(&db, dir);
	if (err == 0)
		err = bans_upsert(db, &b);
	if (err == 0)
		err = users_add(
		    db, k, sv_cstr(ext), SV("cli"), cli_md5, cli_sha, NOW);
	db_close(db);
	keys_free(k);
	return err == 0 ? 0 : 1;
}

/* Runs cli_main() in a new process, as 'rempart bans add' would. */
static void
run_cli(const char *dir, const char *addr, const char *ext)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "store_bans", "--cli", dir, addr, ext,
		    (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* R-OPS-3, R-NET-2: long-lived connections of one process (the daemon's
 * store writer and its reload reader) keep seeing what another process
 * (the CLI) commits. Opening the second connection must not drop the
 * first one's file locks: a process that finds no lock believes it is
 * alone, and on close it checkpoints and deletes the WAL and its index
 * under the daemon's feet, leaving the daemon on a stale snapshot. */
static void
test_reader_sees_other_process(void **state)
{
	struct fixture *f = *state;
	struct ban_record b = ban("192.0.2.1", 0, 1);
	struct keys *k;
	struct db *writer;
	unsigned users;

	assert_int_equal(keys_init(f->dir), 0);
	assert_int_equal(keys_load(f->dir, &k), 0);
	assert_int_equal(
	    settings_set(f->db, SETTINGS_SIP_REALM, SV("example.org")), 0);
	assert_int_equal(bans_upsert(f->db, &b), 0);
	assert_int_equal(
	    users_add(f->db, k, SV("100"), SV("A"), cli_md5, cli_sha, NOW), 0);
	assert_int_equal(reload_reads(f->db, k, &users), 1);
	assert_int_equal(users, 1);
	assert_int_equal(db_open(&writer, f->dir), 0);
	assert_int_equal(reload_reads(writer, k, &users), 1);

	run_cli(f->dir, "192.0.2.2", "101");
	assert_int_equal(reload_reads(f->db, k, &users), 2);
	assert_int_equal(users, 2);
	assert_int_equal(reload_reads(writer, k, &users), 2);

	run_cli(f->dir, "192.0.2.3", "102");
	assert_int_equal(reload_reads(f->db, k, &users), 3);
	assert_int_equal(users, 3);
	assert_int_equal(reload_reads(writer, k, &users), 3);
	db_close(writer);
	keys_free(k);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test_setup_teardown(test_upsert_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_list_active_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bad_rows_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_schema_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_migrate_from_v1, setup_empty, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reader_sees_other_process, setup, teardown),
	};

	if (argc == 5 && strcmp(argv[1], "--cli") == 0)
		return cli_main(argv[2], argv[3], argv[4]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
