/* Unit tests for the registrations repository (R-OPS-3). */
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

#include <cmocka.h>
#include <sqlite3.h>

#include "store/bindings.h"
#include "store/db.h"

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
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-bind-XXXXXX",
	    sizeof("/tmp/rempart-bind-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	if (db_open(&f->db, f->dir) != 0)
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
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static int64_t
raw_count(const char *path)
{
	sqlite3_stmt *s;
	sqlite3 *h;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(
	                     h, "SELECT count(*) FROM bindings", -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static struct binding_record
rec(const char *aor, const char *contact, int64_t expires_at)
{
	return (struct binding_record){
	    .aor = sv_cstr(aor),
	    .contact = sv_cstr(contact),
	    .expires_at = expires_at,
	    .q = 1000,
	    .call_id = SV("a84b4c76e66710@pc33.example.com"),
	    .cseq = 314159,
	    .source = SV("tls:192.0.2.4:5061"),
	    .user_agent = SV("Phone/1.0"),
	    .updated_at = NOW,
	};
}

/* A copy of what the callback saw: its views die with the call. */
struct seen {
	char aor[64];
	char contact[64];
	char call_id[64];
	char source[64];
	char user_agent[64];
	int64_t expires_at;
	uint32_t q;
	uint32_t cseq;
	int64_t updated_at;
};

struct load_ctx {
	struct seen rows[8];
	int n;
	int stop_after;
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
collect(void *arg, const struct binding_record *b)
{
	struct load_ctx *c = arg;
	struct seen *s;

	assert_true(c->n < 8);
	s = &c->rows[c->n++];
	copy_sv(s->aor, sizeof(s->aor), b->aor);
	copy_sv(s->contact, sizeof(s->contact), b->contact);
	copy_sv(s->call_id, sizeof(s->call_id), b->call_id);
	copy_sv(s->source, sizeof(s->source), b->source);
	copy_sv(s->user_agent, sizeof(s->user_agent), b->user_agent);
	s->expires_at = b->expires_at;
	s->q = b->q;
	s->cseq = b->cseq;
	s->updated_at = b->updated_at;
	return c->n == c->stop_after ? 5 : 0;
}

static void
test_save_load(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {0};

	b = rec("sip:1001@example.com", "sip:1001@192.0.2.4:5061", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:1001@example.com", "sip:1001@198.51.100.7", NOW + 30);
	b.q = 500;
	b.user_agent = SV_NULL;
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:1000@example.com", "sip:1000@192.0.2.9", NOW + 3600);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.rows[0].aor, "sip:1000@example.com");
	assert_string_equal(c.rows[1].contact, "sip:1001@192.0.2.4:5061");
	assert_string_equal(c.rows[2].contact, "sip:1001@198.51.100.7");
	assert_int_equal(c.rows[1].expires_at, NOW + 60);
	assert_int_equal(c.rows[1].q, 1000);
	assert_int_equal(c.rows[2].q, 500);
	assert_int_equal(c.rows[1].cseq, 314159);
	assert_string_equal(
	    c.rows[1].call_id, "a84b4c76e66710@pc33.example.com");
	assert_string_equal(c.rows[1].source, "tls:192.0.2.4:5061");
	assert_string_equal(c.rows[1].user_agent, "Phone/1.0");
	assert_string_equal(c.rows[2].user_agent, "");
	assert_int_equal(c.rows[1].updated_at, NOW);
}

/* Saving the same (aor, contact) again replaces the row. */
static void
test_upsert(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {0};

	b = rec("sip:1001@example.com", "sip:1001@192.0.2.4", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b.expires_at = NOW + 600;
	b.cseq = 314160;
	b.q = 100;
	b.source = SV("udp:192.0.2.4:5060");
	b.updated_at = NOW + 5;
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(raw_count(f->path), 1);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.rows[0].expires_at, NOW + 600);
	assert_int_equal(c.rows[0].cseq, 314160);
	assert_int_equal(c.rows[0].q, 100);
	assert_string_equal(c.rows[0].source, "udp:192.0.2.4:5060");
	assert_int_equal(c.rows[0].updated_at, NOW + 5);
}

/* Expired rows (expires_at <= now) are skipped and deleted. */
static void
test_load_skips_expired(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {0};

	b = rec("sip:a@x", "sip:a@1", NOW - 100);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@2", NOW);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@3", NOW + 1);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(raw_count(f->path), 3);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.rows[0].contact, "sip:a@3");
	assert_int_equal(raw_count(f->path), 1);
}

static void
test_delete(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {0};

	b = rec("sip:a@x", "sip:a@1", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@2", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@3", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:b@x", "sip:b@1", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(
	    bindings_delete(f->db, SV("sip:a@x"), SV("sip:a@2")), 0);
	assert_int_equal(raw_count(f->path), 3);
	/* Removing twice, or what never was, is fine. */
	assert_int_equal(
	    bindings_delete(f->db, SV("sip:a@x"), SV("sip:a@2")), 0);
	assert_int_equal(bindings_delete_aor(f->db, SV("sip:none@x")), 0);
	assert_int_equal(bindings_delete_aor(f->db, SV("sip:a@x")), 0);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.rows[0].aor, "sip:b@x");
}

static void
test_purge(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	uint64_t n = 99;

	b = rec("sip:a@x", "sip:a@1", NOW - 1);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@2", NOW);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@3", NOW + 10);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(bindings_purge_expired(f->db, NOW, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(bindings_purge_expired(f->db, NOW, NULL), 0);
	assert_int_equal(bindings_purge_expired(f->db, NOW, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(bindings_purge_expired(f->db, NOW + 10, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(raw_count(f->path), 0);
}

/* The API's listing writes nothing: expired rows stay for the
 * registrar's purge, and are not listed. */
static void
test_list_read_only(void **state)
{
	struct fixture *f = *state;
	struct load_ctx c = {.stop_after = -1};
	struct binding_record b;

	b = rec("sip:b@x", "sip:b@1", NOW + 60);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@1", NOW - 1);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@2", NOW + 30);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(bindings_list(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.rows[0].contact, "sip:a@2");
	assert_int_equal(c.rows[0].expires_at, NOW + 30);
	assert_string_equal(c.rows[1].aor, "sip:b@x");
	assert_string_equal(c.rows[1].source, "tls:192.0.2.4:5061");
	assert_int_equal(raw_count(f->path), 3);
	/* The callback's value stops the listing. */
	c = (struct load_ctx){.stop_after = 1};
	assert_int_equal(bindings_list(f->db, NOW, collect, &c), 5);
	assert_int_equal(c.n, 1);
}

static void
test_invalid(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	char *big;

	big = malloc(BINDINGS_FIELD_MAX + 1);
	assert_non_null(big);
	memset(big, 'x', BINDINGS_FIELD_MAX + 1);
	b = rec("", "sip:a@1", NOW);
	assert_int_equal(bindings_save(f->db, &b), -EINVAL);
	b = rec("sip:a@x", "", NOW);
	assert_int_equal(bindings_save(f->db, &b), -EINVAL);
	b = rec("sip:a@x", "sip:a@1", NOW);
	b.aor = SV_NULL;
	assert_int_equal(bindings_save(f->db, &b), -EINVAL);
	b = rec("sip:a@x", "sip:a@1", NOW);
	b.q = BINDINGS_Q_MAX + 1;
	assert_int_equal(bindings_save(f->db, &b), -EINVAL);
	b = rec("sip:a@x", "sip:a@1", NOW);
	b.contact = sv_make(big, BINDINGS_FIELD_MAX + 1);
	assert_int_equal(bindings_save(f->db, &b), -E2BIG);
	b = rec("sip:a@x", "sip:a@1", NOW);
	b.user_agent = sv_make(big, BINDINGS_FIELD_MAX + 1);
	assert_int_equal(bindings_save(f->db, &b), -E2BIG);
	b.user_agent = sv_make(big, BINDINGS_FIELD_MAX);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(
	    bindings_delete(f->db, SV(""), SV("sip:a@1")), -EINVAL);
	assert_int_equal(
	    bindings_delete(f->db, SV("sip:a@x"), SV("")), -EINVAL);
	assert_int_equal(bindings_delete_aor(f->db, SV("")), -EINVAL);
	assert_int_equal(
	    bindings_delete_aor(f->db, sv_make(big, BINDINGS_FIELD_MAX + 1)),
	    -E2BIG);
	free(big);
}

static void
test_callback_stop(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {.stop_after = 1};

	b = rec("sip:a@x", "sip:a@1", NOW + 10);
	assert_int_equal(bindings_save(f->db, &b), 0);
	b = rec("sip:a@x", "sip:a@2", NOW + 10);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 5);
	assert_int_equal(c.n, 1);
}

/* Rows written behind our back that break the rules are skipped. */
static void
test_bad_rows_skipped(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {0};
	sqlite3 *h;
	char sql[512];

	b = rec("sip:a@x", "sip:a@1", NOW + 10);
	assert_int_equal(bindings_save(f->db, &b), 0);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	snprintf(sql, sizeof(sql),
	    "INSERT INTO bindings VALUES ('sip:a@x', 'sip:a@2', %d, 5000, "
	    "'c', 1, 's', 'u', 0);"
	    "INSERT INTO bindings VALUES ('sip:a@x', 'sip:a@3', %d, 0, "
	    "'c', -1, 's', 'u', 0);"
	    "INSERT INTO bindings VALUES ('', 'sip:a@4', %d, 0, "
	    "'c', 1, 's', 'u', 0);",
	    NOW + 10, NOW + 10, NOW + 10);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.rows[0].contact, "sip:a@1");
}

/* R-OPS-3: bindings survive closing and re-opening the database. */
static void
test_persist(void **state)
{
	struct fixture *f = *state;
	struct binding_record b;
	struct load_ctx c = {0};

	b = rec("sip:a@x", "sip:a@1", NOW + 10);
	assert_int_equal(bindings_save(f->db, &b), 0);
	db_close(f->db);
	assert_int_equal(db_open(&f->db, f->dir), 0);
	assert_int_equal(bindings_load_all(f->db, NOW, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.rows[0].contact, "sip:a@1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upsert, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_load_skips_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_list_read_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_callback_stop, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bad_rows_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_bindings", tests, NULL, NULL);
}
