/* Unit tests for the store writer thread (R-OPS-3). */
#include <errno.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/mem.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/users.h"
#include "store/writer.h"

#define MANY_JOBS 10000

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
	memcpy(f->dir, "/tmp/rempart-writer-XXXXXX",
	    sizeof("/tmp/rempart-writer-XXXXXX"));
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

/* Counts settings rows with 'key' (all rows the test wrote when key is
 * NULL: the schema seeds 'fraud.' keys) through a separate connection:
 * it sees committed data only. */
static int64_t
raw_count(const char *path, const char *key)
{
	sqlite3_stmt *s;
	sqlite3 *h;
	int64_t v;

	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h,
	        key != NULL ? "SELECT count(*) FROM settings WHERE key = ?1"
	                    : "SELECT count(*) FROM settings"
	                      " WHERE key NOT LIKE 'fraud.%'",
	        -1, &s, NULL) != SQLITE_OK) {
		sqlite3_close(h);
		return -1;
	}
	if (key != NULL)
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

static int
put_setting(struct db *db, const char *key)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(
	    db, "INSERT INTO settings (key, value) VALUES (?1, ?1)", &st);
	if (rc != 0)
		return rc;
	db_bind_text(st, 1, sv_cstr(key));
	rc = db_step(st);
	db_finish(st);
	return rc;
}

/* Waits on the completion fd, as the loop would, until *count reaches
 * 'want'. */
static void
wait_done(struct writer *w, const unsigned *count, unsigned want)
{
	struct pollfd p = {.fd = writer_completion_fd(w), .events = POLLIN};

	while (*count < want) {
		assert_true(poll(&p, 1, 20000) > 0);
		writer_run_completions(w);
	}
}

struct order_ctx {
	unsigned next_run;  /* writer thread only */
	unsigned next_done; /* test thread only */
	unsigned run_errors;
	unsigned done_errors;
};

struct order_job {
	struct order_ctx *ctx;
	unsigned idx;
	char key[16];
};

static int
order_run(struct db *db, void *arg)
{
	struct order_job *j = arg;

	if (j->idx != j->ctx->next_run)
		j->ctx->run_errors++;
	j->ctx->next_run = j->idx + 1;
	return put_setting(db, j->key);
}

static void
order_done(void *arg, int rc)
{
	struct order_job *j = arg;

	if (j->idx != j->ctx->next_done || rc != 0)
		j->ctx->done_errors++;
	j->ctx->next_done = j->idx + 1;
}

/* 10,000 jobs run in the order posted, and every completion comes back
 * in that order, through the eventfd. */
static void
test_order_10000(void **state)
{
	struct fixture *f = *state;
	struct order_ctx ctx = {0};
	struct order_job *jobs;
	struct writer *w;

	jobs = calloc(MANY_JOBS, sizeof(*jobs));
	assert_non_null(jobs);
	assert_int_equal(writer_new(&w, f->db), 0);
	for (unsigned i = 0; i < MANY_JOBS; i++) {
		jobs[i].ctx = &ctx;
		jobs[i].idx = i;
		snprintf(jobs[i].key, sizeof(jobs[i].key), "k%u", i);
		assert_int_equal(
		    writer_post(w, order_run, &jobs[i], order_done, &jobs[i]),
		    0);
	}
	wait_done(w, &ctx.next_done, MANY_JOBS);
	assert_int_equal(ctx.next_done, MANY_JOBS);
	assert_int_equal(ctx.done_errors, 0);
	writer_free(w);
	assert_int_equal(ctx.next_run, MANY_JOBS);
	assert_int_equal(ctx.run_errors, 0);
	assert_int_equal(raw_count(f->path, NULL), MANY_JOBS);
	free(jobs);
}

/* Holds the writer thread until the test opens it, so that the jobs
 * posted meanwhile are pending together and form one batch. */
struct gate {
	pthread_mutex_t m;
	pthread_cond_t c;
	bool entered;
	bool open;
};

static int
gate_run(struct db *db, void *arg)
{
	struct gate *g = arg;

	(void)db;
	pthread_mutex_lock(&g->m);
	g->entered = true;
	pthread_cond_broadcast(&g->c);
	while (!g->open)
		pthread_cond_wait(&g->c, &g->m);
	pthread_mutex_unlock(&g->m);
	return 0;
}

static void
gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	while (!g->entered)
		pthread_cond_wait(&g->c, &g->m);
	pthread_mutex_unlock(&g->m);
}

static void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->m);
	g->open = true;
	pthread_cond_broadcast(&g->c);
	pthread_mutex_unlock(&g->m);
}

struct batch_job {
	const char *key;
	int fail_with;    /* returned after a successful insert */
	bool leave_open;  /* breaks the contract: opens a level */
	const char *path; /* when set, peek from another connection */
	int64_t peeked;   /* what that connection saw of key "a" */
	unsigned *done_count;
	int rc;
};

static int
batch_run(struct db *db, void *arg)
{
	struct batch_job *j = arg;
	int rc;

	if (j->path != NULL)
		j->peeked = raw_count(j->path, "a");
	if (j->leave_open && db_tx_begin(db) != 0)
		return -EIO;
	rc = put_setting(db, j->key);
	if (rc != 0)
		return rc;
	return j->fail_with;
}

static void
batch_done(void *arg, int rc)
{
	struct batch_job *j = arg;

	j->rc = rc;
	(*j->done_count)++;
}

/* A failing job is rolled back alone; the other jobs of its batch, run
 * in the same transaction, commit. */
static void
test_failing_job_alone(void **state)
{
	struct fixture *f = *state;
	struct gate g = {
	    PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false};
	unsigned done = 0;
	struct batch_job jobs[] = {
	    {.key = "a"},
	    {.key = "b", .fail_with = -EINVAL},
	    {.key = "c", .path = f->path, .peeked = -2},
	    {.key = "a"}, /* duplicate of the first: -EEXIST */
	    {.key = "e", .leave_open = true},
	    {.key = "f"},
	};
	struct writer *w;

	assert_int_equal(writer_new(&w, f->db), 0);
	assert_int_equal(writer_post(w, gate_run, &g, NULL, NULL), 0);
	gate_wait_entered(&g);
	for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		jobs[i].done_count = &done;
		jobs[i].rc = 1;
		assert_int_equal(
		    writer_post(w, batch_run, &jobs[i], batch_done, &jobs[i]),
		    0);
	}
	gate_open(&g);
	wait_done(w, &done, sizeof(jobs) / sizeof(jobs[0]));
	assert_int_equal(jobs[0].rc, 0);
	assert_int_equal(jobs[1].rc, -EINVAL);
	assert_int_equal(jobs[2].rc, 0);
	assert_int_equal(jobs[3].rc, -EEXIST);
	assert_int_equal(jobs[4].rc, -EINVAL);
	assert_int_equal(jobs[5].rc, 0);
	/* "a" was written but not committed when job "c" ran: one batch. */
	assert_int_equal(jobs[2].peeked, 0);
	assert_int_equal(raw_count(f->path, "a"), 1);
	assert_int_equal(raw_count(f->path, "b"), 0);
	assert_int_equal(raw_count(f->path, "c"), 1);
	assert_int_equal(raw_count(f->path, "e"), 0);
	assert_int_equal(raw_count(f->path, "f"), 1);
	writer_free(w);
	assert_int_equal(db_tx_depth(f->db), 0);
}

struct drain_ctx {
	struct writer *w;
	unsigned done;
	int late_post;
};

static int
drain_run(struct db *db, void *arg)
{
	char key[16];

	snprintf(key, sizeof(key), "d%u", *(unsigned *)arg);
	return put_setting(db, key);
}

static void
drain_done(void *arg, int rc)
{
	struct drain_ctx *c = arg;

	assert_int_equal(rc, 0);
	c->done++;
	/* Completions delivered by writer_free() cannot post. */
	c->late_post = writer_post(c->w, drain_run, &c->done, NULL, NULL);
}

/* writer_free() runs what was posted, commits, and delivers every
 * completion; the data survives closing and re-opening (R-OPS-3). */
static void
test_free_drains_and_persists(void **state)
{
	struct fixture *f = *state;
	struct drain_ctx c = {0};
	unsigned idx[100];

	assert_int_equal(writer_new(&c.w, f->db), 0);
	for (unsigned i = 0; i < 100; i++) {
		idx[i] = i;
		assert_int_equal(
		    writer_post(c.w, drain_run, &idx[i], drain_done, &c), 0);
	}
	writer_free(c.w);
	assert_int_equal(c.done, 100);
	assert_int_equal(c.late_post, -ESHUTDOWN);
	db_close(f->db);
	assert_int_equal(db_open(&f->db, f->dir), 0);
	assert_int_equal(raw_count(f->path, NULL), 100);
	assert_int_equal(raw_count(f->path, "d99"), 1);
}

struct chain_ctx {
	struct writer *w;
	unsigned done;
	int second_post;
};

static int
chain_run(struct db *db, void *arg)
{
	return put_setting(db, arg);
}

static void
chain_done(void *arg, int rc)
{
	struct chain_ctx *c = arg;

	assert_int_equal(rc, 0);
	if (c->done++ == 0)
		c->second_post =
		    writer_post(c->w, chain_run, "second", chain_done, c);
}

/* A completion may post the next job. */
static void
test_done_posts(void **state)
{
	struct fixture *f = *state;
	struct chain_ctx c = {0};

	assert_int_equal(writer_new(&c.w, f->db), 0);
	assert_int_equal(
	    writer_post(c.w, chain_run, "first", chain_done, &c), 0);
	wait_done(c.w, &c.done, 2);
	assert_int_equal(c.second_post, 0);
	writer_free(c.w);
	assert_int_equal(raw_count(f->path, "second"), 1);
}

struct users_job {
	struct keys *k;
	const char *ext;
	uint8_t md5[USERS_HA1_MD5_LEN];
	uint8_t sha[USERS_HA1_SHA256_LEN];
	int rc;
	unsigned *done;
};

static int
users_run(struct db *db, void *arg)
{
	struct users_job *j = arg;

	return users_add(
	    db, j->k, sv_cstr(j->ext), SV("Name"), j->md5, j->sha, 1);
}

static void
users_done(void *arg, int rc)
{
	struct users_job *j = arg;

	j->rc = rc;
	(*j->done)++;
}

/* Repository calls nest inside the writer's savepoints. */
static void
test_repository_jobs(void **state)
{
	struct fixture *f = *state;
	struct users_job a = {0}, b = {0};
	struct user_record r;
	struct keys *k = NULL;
	struct writer *w;
	unsigned done = 0;

	assert_int_equal(keys_init(f->dir), 0);
	assert_int_equal(keys_load(f->dir, &k), 0);
	a = (struct users_job){.k = k, .ext = "1001", .done = &done, .rc = 1};
	b = (struct users_job){.k = k, .ext = "1001", .done = &done, .rc = 1};
	memset(a.md5, 1, sizeof(a.md5));
	memset(b.md5, 2, sizeof(b.md5));
	assert_int_equal(writer_new(&w, f->db), 0);
	assert_int_equal(writer_post(w, users_run, &a, users_done, &a), 0);
	assert_int_equal(writer_post(w, users_run, &b, users_done, &b), 0);
	wait_done(w, &done, 2);
	writer_free(w);
	assert_int_equal(a.rc, 0);
	assert_int_equal(b.rc, -EEXIST);
	assert_int_equal(users_get(f->db, k, SV("1001"), &r), 0);
	assert_memory_equal(r.ha1_md5, a.md5, sizeof(a.md5));
	users_record_wipe(&r);
	keys_free(k);
}

static void
test_oom(void **state)
{
	struct fixture *f = *state;
	struct writer *w = NULL;
	unsigned never = 0;

	mem_fail_nth(1);
	assert_int_equal(writer_new(&w, f->db), -ENOMEM);
	mem_fail_nth(0);
	assert_null(w);
	assert_int_equal(writer_new(&w, f->db), 0);
	mem_fail_nth(1);
	assert_int_equal(
	    writer_post(w, drain_run, &never, NULL, NULL), -ENOMEM);
	mem_fail_nth(0);
	writer_free(w);
	writer_free(NULL);
	assert_int_equal(raw_count(f->path, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_order_10000, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_failing_job_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_free_drains_and_persists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_done_posts, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_repository_jobs, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_writer", tests, NULL, NULL);
}
