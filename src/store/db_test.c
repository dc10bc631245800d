/* Unit tests for the database handle: migrations, file modes,
 * transactions and statements (R-OPS-3, R-CRYPTO-3). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
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

struct fixture {
	char dir[64];
	char path[128];
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

	if (f == NULL)
		return -1;
	memcpy(
	    f->dir, "/tmp/rempart-db-XXXXXX", sizeof("/tmp/rempart-db-XXXXXX"));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return rc;
}

/* Runs SQL on a separate raw connection, as an outside tool would. */
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

static unsigned
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static int
put_setting(struct db *db, const char *key, const char *value)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(
	    db, "INSERT INTO settings (key, value) VALUES (?1, ?2)", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, sv_cstr(key));
	db_bind_text(st, 2, value != NULL ? sv_cstr(value) : SV_NULL);
	rc = db_step(st);
	db_finish(st);
	return rc;
}

static int64_t
count_settings(struct db *db, const char *key)
{
	struct db_stmt *st;
	int64_t n;

	assert_int_equal(
	    db_prepare(db, "SELECT count(*) FROM settings WHERE key = ?1", &st),
	    0);
	db_bind_text(st, 1, sv_cstr(key));
	assert_int_equal(db_step(st), DB_ROW);
	n = db_col_int64(st, 0);
	db_finish(st);
	return n;
}

/* A fresh directory gets every migration; the tables exist. */
static void
test_migrate_fresh(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	int64_t v = -1;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(db_schema_version(db, &v), 0);
	assert_int_equal(v, DB_SCHEMA_VERSION);
	assert_int_equal(db_tx_depth(db), 0);
	db_close(db);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM sqlite_master WHERE type = "
	                     "'table' AND name IN ('users', 'bindings', "
	                     "'settings', 'schema_version')"),
	    4);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM pragma_journal_mode "
	                     "WHERE journal_mode = 'wal'"),
	    1);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM schema_version"), 1);
}

/* R-OPS-3: re-opening applies nothing twice and keeps the data. */
static void
test_reopen_idempotent(void **state)
{
	struct fixture *f = *state;
	struct db *db;
	int64_t v = -1;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(put_setting(db, "k", "v"), 0);
	db_close(db);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(db_open(&db, f->dir), 0);
		assert_int_equal(db_schema_version(db, &v), 0);
		assert_int_equal(v, DB_SCHEMA_VERSION);
		assert_int_equal(count_settings(db, "k"), 1);
		db_close(db);
	}
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM schema_version"), 1);
}

/* A database from a newer release is refused, untouched. */
static void
test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;
	char sql[96];

	assert_int_equal(db_open(&db, f->dir), 0);
	db_close(db);
	snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
	    DB_SCHEMA_VERSION + 1);
	raw_exec(f->path, sql);
	db = NULL;
	assert_int_equal(db_open(&db, f->dir), -EPROTO);
	assert_null(db);
	assert_int_equal(raw_int(f->path, "SELECT version FROM schema_version"),
	    DB_SCHEMA_VERSION + 1);
	raw_exec(f->path, "UPDATE schema_version SET version = -1");
	assert_int_equal(db_open(&db, f->dir), -EIO);
}

/* R-CRYPTO-3: the database and its WAL are readable by the owner only,
 * whatever the umask, and a wider mode left from before is tightened. */
static void
test_file_modes(void **state)
{
	struct fixture *f = *state;
	char sub[128], wal[160];
	mode_t old;
	struct db *db;
	int fd;

	old = umask(0);
	snprintf(sub, sizeof(sub), "%s/data", f->dir);
	assert_int_equal(db_open(&db, sub), 0);
	assert_int_equal(file_mode(sub), 0700);
	snprintf(wal, sizeof(wal), "%s/%s", sub, DB_FILE_NAME);
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(put_setting(db, "k", "v"), 0);
	snprintf(wal, sizeof(wal), "%s/%s-wal", sub, DB_FILE_NAME);
	assert_int_equal(file_mode(wal), 0600);
	snprintf(wal, sizeof(wal), "%s/%s-shm", sub, DB_FILE_NAME);
	assert_int_equal(file_mode(wal), 0600);
	db_close(db);
	umask(old);

	fd = open(f->path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(file_mode(f->path), 0600);
	db_close(db);
}

static void
test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	char target[128];
	struct db *db;

	snprintf(target, sizeof(target), "%s/elsewhere.db", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(db_open(&db, f->dir), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);
}

static void
test_bad_paths(void **state)
{
	struct fixture *f = *state;
	char *longdir;
	struct db *db;

	(void)f;
	longdir = malloc(PATH_MAX + 16);
	assert_non_null(longdir);
	memset(longdir, 'a', PATH_MAX + 15);
	longdir[0] = '/';
	longdir[PATH_MAX + 15] = '\0';
	assert_int_equal(db_open(&db, longdir), -ENAMETOOLONG);
	free(longdir);
	assert_int_equal(db_open(&db, "/nonexistent-rempart/x/y"), -ENOENT);
	/* The database name taken by a directory. */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_not_equal(db_open(&db, f->dir), 0);
	assert_int_equal(rmdir(f->path), 0);
}

/* Nested levels: an inner rollback undoes only its own work. */
static void
test_tx_nesting(void **state)
{
	struct fixture *f = *state;
	struct db *db;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(put_setting(db, "a", "1"), 0);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(db_tx_depth(db), 2);
	assert_int_equal(put_setting(db, "b", "2"), 0);
	db_tx_rollback(db);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(put_setting(db, "c", "3"), 0);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(put_setting(db, "d", "4"), 0);
	assert_int_equal(db_tx_commit(db), 0);
	assert_int_equal(db_tx_commit(db), 0);
	assert_int_equal(db_tx_commit(db), 0);
	assert_int_equal(db_tx_depth(db), 0);
	assert_int_equal(count_settings(db, "a"), 1);
	assert_int_equal(count_settings(db, "b"), 0);
	assert_int_equal(count_settings(db, "c"), 1);
	assert_int_equal(count_settings(db, "d"), 1);

	/* An outer rollback undoes committed inner levels too. */
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(put_setting(db, "e", "5"), 0);
	assert_int_equal(db_tx_commit(db), 0);
	db_tx_rollback(db);
	assert_int_equal(count_settings(db, "e"), 0);

	/* Closing with a level open rolls it back. */
	assert_int_equal(db_tx_begin(db), 0);
	assert_int_equal(put_setting(db, "f", "6"), 0);
	db_close(db);
	assert_int_equal(
	    raw_int(f->path, "SELECT count(*) FROM settings WHERE key = 'f'"),
	    0);
}

static void
test_constraint_errors(void **state)
{
	struct fixture *f = *state;
	struct db_stmt *st;
	struct db *db;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(put_setting(db, "a", "1"), 0);
	assert_int_equal(put_setting(db, "a", "2"), -EEXIST);
	assert_int_equal(db_prepare(db,
	                     "INSERT INTO users (ext, display_name, ha1_md5,"
	                     " ha1_sha256, created_at, updated_at)"
	                     " VALUES ('1', NULL, x'00', x'00', 0, 0)",
	                     &st),
	    0);
	assert_int_equal(db_step(st), -EINVAL);
	db_finish(st);
	/* A binding error is reported by the step. */
	assert_int_equal(db_prepare(db, "SELECT ?1", &st), 0);
	db_bind_int64(st, 5, 1);
	assert_int_equal(db_step(st), -EINVAL);
	db_finish(st);
	db_close(db);
}

static void
test_bad_sql(void **state)
{
	struct fixture *f = *state;
	struct db_stmt *st;
	struct db *db;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(db_prepare(db, "SELECT 1; SELECT 2", &st), -EINVAL);
	assert_int_equal(db_prepare(db, "NOT SQL", &st), -EINVAL);
	assert_int_equal(db_prepare(db, "", &st), -EINVAL);
	assert_int_equal(db_prepare(db, "SELECT * FROM missing", &st), -EINVAL);
	assert_int_equal(db_prepare(db, "SELECT 1 \n", &st), 0);
	db_finish(st);
	db_close(db);
}

/* The statement cache: the same text in use twice at once, and more
 * distinct texts than the cache holds. */
static void
test_stmt_cache(void **state)
{
	struct fixture *f = *state;
	struct db_stmt *a, *b, *many[48];
	char sql[48][32];
	struct db *db;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(put_setting(db, "a", "1"), 0);
	assert_int_equal(put_setting(db, "b", "2"), 0);
	assert_int_equal(db_prepare(db,
	                     "SELECT key FROM settings WHERE key IN ('a', 'b') "
	                     "ORDER BY key",
	                     &a),
	    0);
	assert_int_equal(db_step(a), DB_ROW);
	assert_int_equal(db_prepare(db,
	                     "SELECT key FROM settings WHERE key IN ('a', 'b') "
	                     "ORDER BY key",
	                     &b),
	    0);
	assert_ptr_not_equal(a, b);
	assert_int_equal(db_step(b), DB_ROW);
	assert_true(sv_eq(db_col_text(b, 0), SV("a")));
	assert_int_equal(db_step(a), DB_ROW);
	assert_true(sv_eq(db_col_text(a, 0), SV("b")));
	assert_int_equal(db_step(a), DB_DONE);
	db_finish(a);
	db_finish(b);

	for (int i = 0; i < 48; i++) {
		snprintf(sql[i], sizeof(sql[i]), "SELECT %d", i);
		assert_int_equal(db_prepare(db, sql[i], &many[i]), 0);
	}
	for (int i = 0; i < 48; i++) {
		assert_int_equal(db_step(many[i]), DB_ROW);
		assert_int_equal(db_col_int64(many[i], 0), i);
		db_finish(many[i]);
	}
	/* Out of memory on an uncached statement. */
	for (int i = 0; i < 40; i++)
		assert_int_equal(db_prepare(db, sql[i], &many[i]), 0);
	mem_fail_nth(1);
	assert_int_equal(db_prepare(db, sql[40], &many[40]), -ENOMEM);
	mem_fail_nth(0);
	for (int i = 0; i < 40; i++)
		db_finish(many[i]);
	db_finish(NULL);
	db_close(db);
}

/* Empty versus absent values. */
static void
test_values(void **state)
{
	struct fixture *f = *state;
	struct db_stmt *st;
	struct db *db;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(db_prepare(db, "SELECT ?1, ?2, ?3, ?4, ?5", &st), 0);
	db_bind_blob(st, 1, sv_make("", 0));
	db_bind_blob(st, 2, SV_NULL);
	db_bind_text(st, 3, SV(""));
	db_bind_text(st, 4, SV_NULL);
	db_bind_blob(st, 5, SV("\0x"));
	assert_int_equal(db_step(st), DB_ROW);
	assert_true(sv_present(db_col_blob(st, 0)));
	assert_int_equal(db_col_blob(st, 0).len, 0);
	assert_false(db_col_is_null(st, 0));
	assert_false(sv_present(db_col_blob(st, 1)));
	assert_true(db_col_is_null(st, 1));
	assert_true(sv_present(db_col_text(st, 2)));
	assert_false(sv_present(db_col_text(st, 3)));
	assert_true(sv_eq(db_col_blob(st, 4), SV("\0x")));
	db_finish(st);
	db_close(db);
}

static void
test_changes(void **state)
{
	struct fixture *f = *state;
	struct db_stmt *st;
	struct db *db;

	assert_int_equal(db_open(&db, f->dir), 0);
	assert_int_equal(put_setting(db, "a", "1"), 0);
	assert_int_equal(put_setting(db, "b", "1"), 0);
	assert_int_equal(
	    db_prepare(db, "DELETE FROM settings WHERE key IN ('a', 'b')", &st),
	    0);
	assert_int_equal(db_step(st), DB_DONE);
	db_finish(st);
	assert_int_equal(db_changes(db), 2);
	db_close(db);
}

static void
test_open_oom(void **state)
{
	struct fixture *f = *state;
	struct db *db = NULL;

	mem_fail_nth(1);
	assert_int_equal(db_open(&db, f->dir), -ENOMEM);
	mem_fail_nth(0);
	assert_null(db);
	assert_int_equal(db_open(&db, f->dir), 0);
	db_close(db);
	db_close(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_migrate_fresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_reopen_idempotent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_newer_schema_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tx_nesting, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_constraint_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_sql, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stmt_cache, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_oom, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_db", tests, NULL, NULL);
}
