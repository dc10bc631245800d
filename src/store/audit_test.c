/* Unit tests for the audit log and schema migration 4 (R-ADMIN-4). */
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

#include "store/audit.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"

/* A fixed time base, in milliseconds. */
#define T0 1700000000000LL

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	struct keys *k;
};

static const char drop_triggers[] =
    "DROP TRIGGER audit_append_only; DROP TRIGGER audit_no_update;"
    "DROP TRIGGER audit_no_delete; DROP TRIGGER audit_anchor_insert;"
    "DROP TRIGGER audit_anchor_update; DROP TRIGGER audit_anchor_no_delete;";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
open_fixture(struct fixture *f)
{
	memcpy(f->dir, "/tmp/rempart-audit-XXXXXX",
	    sizeof("/tmp/rempart-audit-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	return 0;
}

static void
close_fixture(struct fixture *f)
{
	db_close(f->db);
	keys_free(f->k);
	f->db = NULL;
	f->k = NULL;
	(void)nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (open_fixture(f) != 0) {
		close_fixture(f);
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

	close_fixture(f);
	free(f);
	return 0;
}

/* A fresh database and key, for tests that break one chain per case. */
static void
reset(struct fixture *f)
{
	close_fixture(f);
	assert_int_equal(open_fixture(f), 0);
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

/* Runs one statement on our handle; returns db_step()'s result. */
static int
run(struct db *db, const char *sql)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(db, sql, &st);
	if (rc != 0)
		return rc;
	rc = db_step(st);
	db_finish(st);
	return rc;
}

static struct audit_entry
entry(int64_t at_ms, const char *action, const char *object)
{
	return (struct audit_entry){
	    .at_ms = at_ms,
	    .actor = SV("alice"),
	    .role = SV("admin"),
	    .source = SV("cli"),
	    .action = sv_cstr(action),
	    .object = sv_cstr(object),
	    .before = SV("{\"enabled\":true}"),
	    .after = SV("{\"enabled\":false}"),
	};
}

/* Appends n entries, one second apart from T0. */
static void
fill(struct fixture *f, int n)
{
	struct audit_entry e;
	char obj[16];
	int64_t seq;

	for (int i = 1; i <= n; i++) {
		snprintf(obj, sizeof(obj), "%d", 100 + i);
		e = entry(T0 + i * 1000, "user.disable", obj);
		assert_int_equal(audit_append(f->db, f->k, &e, &seq), 0);
		assert_int_equal(seq, i);
	}
}

static struct audit_verify_result
verify(struct fixture *f)
{
	struct audit_verify_result r;

	assert_int_equal(audit_verify(f->db, f->k, &r), 0);
	return r;
}

static void
assert_intact(struct fixture *f, uint64_t count, int64_t last)
{
	struct audit_verify_result r = verify(f);

	assert_true(r.ok);
	assert_int_equal(r.fault, AUDIT_FAULT_NONE);
	assert_int_equal(r.count, count);
	assert_int_equal(r.last_seq, last);
}

static void
assert_broken(struct fixture *f, int64_t seq, enum audit_fault fault)
{
	struct audit_verify_result r = verify(f);

	assert_false(r.ok);
	assert_int_equal(r.broken_seq, seq);
	assert_int_equal(r.fault, fault);
}

struct seen {
	unsigned n;
	int64_t seq[16];
	int stop_at;
};

static int
collect(void *arg, const struct audit_entry *e)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->seq[s->n] = e->seq;
	s->n++;
	assert_true(sv_eq(e->actor, SV("alice")));
	assert_true(sv_eq(e->role, SV("admin")));
	assert_true(sv_eq(e->after, SV("{\"enabled\":false}")));
	assert_int_equal(e->at_ms, T0 + e->seq * 1000);
	return s->stop_at != 0 && (int)s->n == s->stop_at ? 42 : 0;
}

/* Migration 4 made the tables and triggers. */
static void
test_schema(void **state)
{
	struct fixture *f = *state;
	int64_t v = 0;

	assert_int_equal(db_schema_version(f->db, &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master "
	                                  "WHERE name IN ('audit', "
	                                  "'audit_anchor')"),
	    2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master "
	                                  "WHERE type = 'trigger' AND "
	                                  "tbl_name LIKE 'audit%'"),
	    6);
	/* An empty log is intact. */
	assert_intact(f, 0, 0);
}

static void
test_append_verify_list(void **state)
{
	struct fixture *f = *state;
	struct audit_entry e = entry(0, "init", "");
	struct seen s = {0};
	char tail[128];
	int64_t seq;

	fill(f, 5);
	assert_intact(f, 5, 5);
	/* The tail record names the last entry. */
	assert_int_equal(
	    settings_get(f->db, AUDIT_SETTING_TAIL, tail, sizeof(tail)), 0);
	assert_int_equal(strncmp(tail, "5:", 2), 0);
	assert_int_equal(strlen(tail), 2 + 64);

	assert_int_equal(audit_list(f->db, 0, 0, collect, &s), 0);
	assert_int_equal(s.n, 5);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(s.seq[i], i + 1);
	/* since, then the latest N of those, oldest first. */
	s = (struct seen){0};
	assert_int_equal(audit_list(f->db, T0 + 3000, 0, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], 3);
	s = (struct seen){0};
	assert_int_equal(audit_list(f->db, 0, 2, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 4);
	assert_int_equal(s.seq[1], 5);
	s = (struct seen){.stop_at = 1};
	assert_int_equal(audit_list(f->db, 0, 0, collect, &s), 42);

	/* at_ms 0 means now; the entry goes inside a caller's transaction
	 * and goes away with it. */
	assert_int_equal(db_tx_begin(f->db), 0);
	assert_int_equal(audit_append(f->db, f->k, &e, &seq), 0);
	assert_int_equal(seq, 6);
	db_tx_rollback(f->db);
	assert_intact(f, 5, 5);
	assert_int_equal(audit_append(f->db, f->k, &e, &seq), 0);
	assert_int_equal(seq, 6);
	assert_true(
	    raw_int(f->path, "SELECT at_ms FROM audit WHERE seq = 6") > T0);
	assert_intact(f, 6, 6);
}

/* Pages: oldest first, after an offset, with the count of them all. */
static void
test_page(void **state)
{
	struct fixture *f = *state;
	struct seen s = {0};
	uint64_t total = 0;

	fill(f, 5);
	assert_int_equal(audit_page(f->db, 0, 1, 2, &total, collect, &s), 0);
	assert_int_equal(total, 5);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 2);
	assert_int_equal(s.seq[1], 3);
	s = (struct seen){0};
	assert_int_equal(
	    audit_page(f->db, T0 + 3000, 2, 10, &total, collect, &s), 0);
	assert_int_equal(total, 3);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.seq[0], 5);
	s = (struct seen){0};
	assert_int_equal(audit_page(f->db, 0, 9, 10, &total, collect, &s), 0);
	assert_int_equal(total, 5);
	assert_int_equal(s.n, 0);
	s = (struct seen){.stop_at = 1};
	assert_int_equal(audit_page(f->db, 0, 0, 10, &total, collect, &s), 42);
}

/* Bad fields are refused and nothing is written. */
static void
test_append_refuses(void **state)
{
	struct fixture *f = *state;
	char big[AUDIT_STATE_MAX + 2];
	struct audit_entry e;

	e = entry(T0, "user.add", "100");
	e.actor = SV("ali\nce");
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), -EINVAL);
	e = entry(T0, "user.add", "100");
	e.after = SV("\xc3\x28");
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), -EINVAL);
	e = entry(T0, "user.add", "100");
	e.object = SV("\xc2\x85"); /* C1 NEL */
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), -EINVAL);
	memset(big, 'a', sizeof(big));
	e = entry(T0, "user.add", "100");
	e.before = sv_make(big, AUDIT_STATE_MAX + 1);
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), -E2BIG);
	e.before = sv_make(big, AUDIT_STATE_MAX);
	e.action = sv_make(big, AUDIT_FIELD_MAX + 1);
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), -E2BIG);
	e.action = SV("user.add");
	e.object = sv_make(big, AUDIT_OBJECT_MAX + 1);
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), -E2BIG);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit"), 0);
	/* At the caps, and with absent views, it goes in. */
	e.object = sv_make(big, AUDIT_OBJECT_MAX);
	e.role = SV_NULL;
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), 0);
	assert_intact(f, 1, 1);
}

/* Each field changed by hand, triggers dropped: verify names entry 3. */
static void
test_tamper_fields(void **state)
{
	static const struct {
		const char *sql;
		enum audit_fault fault;
	} cases[] = {
	    {"UPDATE audit SET at_ms = at_ms + 1 WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    {"UPDATE audit SET actor = 'mallory' WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    {"UPDATE audit SET role = 'user' WHERE seq = 3", AUDIT_FAULT_HASH},
	    {"UPDATE audit SET source = '192.0.2.1' WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    {"UPDATE audit SET action = 'user.enable' WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    {"UPDATE audit SET object = '999' WHERE seq = 3", AUDIT_FAULT_HASH},
	    {"UPDATE audit SET before = '' WHERE seq = 3", AUDIT_FAULT_HASH},
	    {"UPDATE audit SET after = after || ' ' WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    /* Moving a byte between two fields: lengths are signed too. */
	    {"UPDATE audit SET actor = 'alic', role = 'eadmin' WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    {"UPDATE audit SET hash = zeroblob(32) WHERE seq = 3",
	        AUDIT_FAULT_HASH},
	    {"UPDATE audit SET prev_hash = zeroblob(32) WHERE seq = 3",
	        AUDIT_FAULT_PREV},
	    {"UPDATE audit SET hash = x'00' WHERE seq = 3", AUDIT_FAULT_ROW},
	    {"UPDATE audit SET actor = 'a' || char(10) WHERE seq = 3",
	        AUDIT_FAULT_ROW},
	};
	struct fixture *f = *state;
	char sql[1024];

	for (size_t i = 0; i < RP_ARRAY_LEN(cases); i++) {
		reset(f);
		fill(f, 5);
		/* The CHECK constraints would refuse a short hash. */
		snprintf(sql, sizeof(sql),
		    "PRAGMA ignore_check_constraints = 1;%s%s", drop_triggers,
		    cases[i].sql);
		raw_exec(f->path, sql);
		print_message("case %zu: %s\n", i, cases[i].sql);
		assert_broken(f, 3, cases[i].fault);
		/* A broken chain is never pruned away. */
		assert_int_equal(
		    audit_prune(f->db, f->k, T0 + 10000, NULL), -EBADMSG);
		assert_int_equal(
		    raw_int(f->path, "SELECT count(*) FROM audit"), 5);
	}
}

static void
test_delete_middle(void **state)
{
	struct fixture *f = *state;
	struct audit_verify_result r;

	fill(f, 5);
	raw_exec(f->path, drop_triggers);
	raw_exec(f->path, "DELETE FROM audit WHERE seq = 3");
	r = verify(f);
	assert_false(r.ok);
	assert_int_equal(r.fault, AUDIT_FAULT_MISSING);
	assert_int_equal(r.broken_seq, 3);
	assert_int_equal(r.found_seq, 4);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.last_seq, 2);
}

/* Renumbering entries to hide the gap still breaks the chain. */
static void
test_delete_renumber(void **state)
{
	struct fixture *f = *state;

	fill(f, 5);
	raw_exec(f->path, drop_triggers);
	raw_exec(f->path, "DELETE FROM audit WHERE seq = 3;"
	                  "UPDATE audit SET seq = seq - 1 WHERE seq > 3");
	assert_broken(f, 3, AUDIT_FAULT_PREV);
}

static void
test_reorder(void **state)
{
	struct fixture *f = *state;

	fill(f, 5);
	raw_exec(f->path, drop_triggers);
	raw_exec(f->path, "UPDATE audit SET seq = 100 WHERE seq = 2;"
	                  "UPDATE audit SET seq = 2 WHERE seq = 3;"
	                  "UPDATE audit SET seq = 3 WHERE seq = 100;");
	assert_broken(f, 2, AUDIT_FAULT_PREV);
}

/* A forged entry at the end: without the key its hash is wrong. */
static void
test_insert_forged(void **state)
{
	struct fixture *f = *state;

	fill(f, 3);
	raw_exec(f->path, "INSERT INTO audit SELECT 4, at_ms, actor, role,"
	                  " source, action, object, before, after, hash,"
	                  " randomblob(32) FROM audit WHERE seq = 3");
	assert_broken(f, 4, AUDIT_FAULT_HASH);
}

/* The same chain rebuilt under another key (someone without ours
 * recomputing every hash) fails at its first entry. */
static void
test_other_key(void **state)
{
	struct fixture *f = *state;
	struct keys *mine = f->k, *other = NULL;
	char dir[64];

	memcpy(dir, "/tmp/rempart-audit-XXXXXX",
	    sizeof("/tmp/rempart-audit-XXXXXX"));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(keys_init(dir), 0);
	assert_int_equal(keys_load(dir, &other), 0);
	f->k = other;
	fill(f, 3);
	f->k = mine;
	assert_broken(f, 1, AUDIT_FAULT_HASH);
	keys_free(other);
	(void)nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Truncation of the tail is caught by the tail record, unless that is
 * rewritten too: the documented limit (audit.h). */
static void
test_truncate_tail(void **state)
{
	struct fixture *f = *state;

	fill(f, 5);
	raw_exec(f->path, drop_triggers);
	raw_exec(f->path, "DELETE FROM audit WHERE seq >= 4");
	assert_broken(f, 4, AUDIT_FAULT_TAIL);
	raw_exec(f->path, "UPDATE settings SET value = '3:' || "
	                  "lower(hex((SELECT hash FROM audit WHERE seq = 3)))"
	                  " WHERE key = 'audit.tail'");
	assert_intact(f, 3, 3);
	/* A wrong hash, or no tail record at all, is caught. */
	raw_exec(f->path, "UPDATE settings SET value = '3:' || "
	                  "lower(hex((SELECT hash FROM audit WHERE seq = 2)))"
	                  " WHERE key = 'audit.tail'");
	assert_broken(f, 3, AUDIT_FAULT_TAIL);
	raw_exec(f->path, "UPDATE settings SET value = '3:zz' "
	                  "WHERE key = 'audit.tail'");
	assert_broken(f, 4, AUDIT_FAULT_TAIL);
	raw_exec(f->path, "DELETE FROM settings WHERE key = 'audit.tail'");
	assert_broken(f, 4, AUDIT_FAULT_TAIL);
}

/* The triggers refuse changes and deletions, on any connection. */
static void
test_triggers(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 0;

	fill(f, 3);
	assert_int_equal(
	    run(f->db, "UPDATE audit SET actor = 'x' WHERE seq = 2"), -EINVAL);
	assert_int_equal(
	    run(f->db, "DELETE FROM audit WHERE seq = 1"), -EINVAL);
	assert_int_equal(run(f->db, "DELETE FROM audit"), -EINVAL);
	/* Out of sequence: a gap, or a seq already used. */
	assert_int_equal(run(f->db, "INSERT INTO audit SELECT 5, at_ms, actor,"
	                            " role, source, action, object, before,"
	                            " after, prev_hash, hash FROM audit"
	                            " WHERE seq = 3"),
	    -EINVAL);
	assert_int_equal(run(f->db, "INSERT INTO audit (at_ms, actor, role,"
	                            " source, action, object, before, after,"
	                            " prev_hash, hash) SELECT at_ms, actor,"
	                            " role, source, action, object, before,"
	                            " after, prev_hash, hash FROM audit"
	                            " WHERE seq = 3"),
	    -EINVAL);
	/* The anchor must name an entry, and never moves back. */
	assert_int_equal(run(f->db, "INSERT INTO audit_anchor VALUES (1, 2, 0,"
	                            " zeroblob(32), zeroblob(32))"),
	    -EINVAL);
	assert_int_equal(audit_prune(f->db, f->k, T0 + 2500, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(
	    run(f->db, "UPDATE audit_anchor SET seq = 1"), -EINVAL);
	assert_int_equal(run(f->db, "DELETE FROM audit_anchor"), -EINVAL);
	assert_int_equal(
	    run(f->db, "DELETE FROM audit WHERE seq = 3"), -EINVAL);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit"), 1);
	assert_intact(f, 1, 3);
	/* A raw connection meets the same triggers. */
	{
		sqlite3 *h;

		assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_exec(h, "UPDATE audit SET actor = 'x'",
		                     NULL, NULL, NULL),
		    SQLITE_CONSTRAINT);
		assert_int_equal(
		    sqlite3_exec(h, "DELETE FROM audit", NULL, NULL, NULL),
		    SQLITE_CONSTRAINT);
		sqlite3_close(h);
	}
	assert_intact(f, 1, 3);
}

static void
test_prune(void **state)
{
	struct fixture *f = *state;
	struct audit_entry e = entry(T0 + 9000, "user.enable", "109");
	struct seen s = {0};
	uint64_t n = 99;
	int64_t seq;

	fill(f, 5);
	/* Nothing old enough: nothing removed. */
	assert_int_equal(audit_prune(f->db, f->k, T0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(audit_prune(f->db, f->k, T0 + 2500, &n), 0);
	assert_int_equal(n, 2);
	assert_intact(f, 3, 5);
	assert_int_equal(
	    raw_int(f->path, "SELECT seq FROM audit_anchor WHERE id = 1"), 2);
	assert_int_equal(audit_list(f->db, 0, 0, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.seq[0], 3);
	/* Pruning again at the same point moves nothing. */
	assert_int_equal(audit_prune(f->db, f->k, T0 + 2500, &n), 0);
	assert_int_equal(n, 0);
	/* Everything: the chain continues from the anchor. */
	assert_int_equal(audit_prune(f->db, f->k, T0 + 60000, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM audit"), 0);
	assert_intact(f, 0, 5);
	assert_int_equal(audit_append(f->db, f->k, &e, &seq), 0);
	assert_int_equal(seq, 6);
	assert_intact(f, 1, 6);
}

/* A clock stepped back never makes retention take a newer entry. */
static void
test_prune_clock_back(void **state)
{
	struct fixture *f = *state;
	struct audit_entry e;
	uint64_t n = 0;

	e = entry(T0 + 1000, "a", "1");
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), 0);
	e = entry(T0 + 5000, "a", "2");
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), 0);
	e = entry(T0 + 2000, "a", "3");
	assert_int_equal(audit_append(f->db, f->k, &e, NULL), 0);
	assert_int_equal(audit_prune(f->db, f->k, T0 + 3000, &n), 0);
	assert_int_equal(n, 1);
	assert_intact(f, 2, 3);
}

/* Head deletions need an anchor only audit_prune() can make. */
static void
test_anchor_tamper(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 0;

	fill(f, 5);
	assert_int_equal(audit_prune(f->db, f->k, T0 + 2500, &n), 0);
	raw_exec(f->path, drop_triggers);
	/* Removing the oldest entry left. */
	raw_exec(f->path, "DELETE FROM audit WHERE seq = 3");
	assert_broken(f, 3, AUDIT_FAULT_MISSING);
	/* ... and moving the anchor onto it, copying its hash. */
	reset(f);
	fill(f, 5);
	assert_int_equal(audit_prune(f->db, f->k, T0 + 2500, &n), 0);
	raw_exec(f->path, drop_triggers);
	raw_exec(f->path, "UPDATE audit_anchor SET seq = 3, hash = (SELECT hash"
	                  " FROM audit WHERE seq = 3);"
	                  "DELETE FROM audit WHERE seq = 3");
	assert_broken(f, 3, AUDIT_FAULT_ANCHOR);
	/* An entry put back before the anchor. */
	reset(f);
	fill(f, 5);
	assert_int_equal(audit_prune(f->db, f->k, T0 + 2500, &n), 0);
	raw_exec(f->path, drop_triggers);
	raw_exec(f->path, "INSERT INTO audit SELECT 2, at_ms, actor, role,"
	                  " source, action, object, before, after, prev_hash,"
	                  " hash FROM audit WHERE seq = 3");
	assert_broken(f, 2, AUDIT_FAULT_ANCHOR);
}

static void
test_retention_days(void **state)
{
	struct fixture *f = *state;
	uint32_t d = 0;

	assert_int_equal(audit_retention_days(f->db, &d), 0);
	assert_int_equal(d, AUDIT_RETENTION_DEFAULT_DAYS);
	assert_true(d >= 365);
	assert_int_equal(
	    settings_set(f->db, AUDIT_SETTING_RETENTION, SV("730")), 0);
	assert_int_equal(audit_retention_days(f->db, &d), 0);
	assert_int_equal(d, 730);
	assert_int_equal(
	    settings_set(f->db, AUDIT_SETTING_RETENTION, SV("0")), 0);
	assert_int_equal(audit_retention_days(f->db, &d), -EINVAL);
	assert_int_equal(
	    settings_set(f->db, AUDIT_SETTING_RETENTION, SV("36501")), 0);
	assert_int_equal(audit_retention_days(f->db, &d), -EINVAL);
	assert_int_equal(
	    settings_set(f->db, AUDIT_SETTING_RETENTION, SV("1y")), 0);
	assert_int_equal(audit_retention_days(f->db, &d), -EINVAL);
	assert_int_equal(settings_set(f->db, AUDIT_SETTING_RETENTION,
	                     SV("123456789012345678")),
	    0);
	assert_int_equal(audit_retention_days(f->db, &d), -EINVAL);
}

static void
test_fault_text(void **state)
{
	(void)state;
	for (int i = AUDIT_FAULT_NONE; i <= AUDIT_FAULT_ROW; i++)
		assert_non_null(audit_fault_text((enum audit_fault)i));
	assert_string_equal(audit_fault_text(AUDIT_FAULT_NONE), "intact");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_append_verify_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_append_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_tamper_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_middle, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_renumber, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_insert_forged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_truncate_tail, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_page, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_prune_clock_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_anchor_tamper, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_retention_days, setup, teardown),
	    cmocka_unit_test(test_fault_text),
	};

	return cmocka_run_group_tests_name("store_audit", tests, NULL, NULL);
}
