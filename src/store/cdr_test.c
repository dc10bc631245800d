/* Unit tests for the call detail records repository and the cdrs table
 * of schema migration 3 (R-OPS-3). */
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
#include "store/cdr.h"
#include "store/db.h"

#define T0 1795000000000LL /* ms, November 2026 */
#define LIST_MAX 16

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
	memcpy(f->dir, "/tmp/rempart-cdr-XXXXXX",
	    sizeof("/tmp/rempart-cdr-XXXXXX"));
	if (mkdtemp(f->dir) == NULL || db_open(&f->db, f->dir) != 0) {
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

#define SET(field, text) snprintf(field, sizeof(field), "%s", text)

/* An answered call from 100 to 101 starting at T0 + start_s seconds. */
static struct cdr_record
answered(const char *call_id, const char *caller, const char *callee,
    int64_t start_s)
{
	struct cdr_record r;

	memset(&r, 0, sizeof(r));
	SET(r.call_id, call_id);
	SET(r.caller_ext, caller);
	SET(r.caller_number, caller);
	SET(r.dialed, callee);
	SET(r.callee, callee);
	SET(r.reason, "normal clearing");
	r.start_ms = T0 + start_s * 1000;
	r.answered = true;
	r.answer_ms = r.start_ms + 2500;
	r.end_ms = r.answer_ms + 60000;
	r.duration_ms = 60000;
	r.disposition = CDR_ANSWERED;
	r.sip_code = 200;
	r.transport = CDR_TRANSPORT_TLS;
	r.media_encrypted = true;
	r.rtp_packets = 6000;
	r.rtp_lost = 3;
	return r;
}

static struct cdr_record
unanswered(
    const char *call_id, enum cdr_disposition d, uint32_t code, int64_t start_s)
{
	struct cdr_record r = answered(call_id, "102", "", start_s);

	r.answered = false;
	r.answer_ms = 0;
	r.end_ms = r.start_ms + 1000;
	r.duration_ms = 0;
	r.disposition = d;
	r.sip_code = code;
	r.transport = CDR_TRANSPORT_UDP;
	r.media_encrypted = false;
	r.rtp_packets = 0;
	r.rtp_lost = 0;
	return r;
}

struct seen {
	struct cdr_record r[LIST_MAX];
	int n;
	int stop_after;
};

static int
collect(void *arg, const struct cdr_record *r)
{
	struct seen *s = arg;

	assert_true(s->n < LIST_MAX);
	s->r[s->n++] = *r;
	return s->n == s->stop_after ? 9 : 0;
}

static void
list(struct fixture *f, const struct cdr_query *q, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(cdr_list(f->db, q, collect, s), 0);
}

static void
test_names(void **state)
{
	enum cdr_disposition d;
	enum cdr_transport t;

	(void)state;
	assert_string_equal(cdr_disposition_name(CDR_ANSWERED), "answered");
	assert_string_equal(cdr_disposition_name(CDR_NO_ANSWER), "no_answer");
	assert_string_equal(cdr_disposition_name(CDR_DENIED), "denied");
	assert_null(cdr_disposition_name((enum cdr_disposition)6));
	assert_string_equal(cdr_transport_name(CDR_TRANSPORT_TLS), "tls");
	assert_null(cdr_transport_name((enum cdr_transport)3));
	assert_int_equal(cdr_disposition_parse(SV("cancelled"), &d), 0);
	assert_int_equal(d, CDR_CANCELLED);
	assert_int_equal(cdr_disposition_parse(SV("Busy"), &d), -EINVAL);
	assert_int_equal(cdr_disposition_parse(SV(""), &d), -EINVAL);
	assert_int_equal(cdr_transport_parse(SV("tcp"), &t), 0);
	assert_int_equal(t, CDR_TRANSPORT_TCP);
	assert_int_equal(cdr_transport_parse(SV("sctp"), &t), -EINVAL);
}

/* A record written is read back field by field. */
static void
test_roundtrip(void **state)
{
	struct fixture *f = *state;
	struct cdr_record in = answered("c-1", "100", "101", 0);
	struct cdr_record no = unanswered("c-2", CDR_BUSY, 486, 10);
	const struct cdr_record *out;
	struct seen s;

	SET(in.caller_number, "+33 1 23 45 67 89");
	SET(in.dialed, "0033123456789");
	SET(in.reason, "Zoë hung up, \"bye\"");
	assert_int_equal(cdr_insert(f->db, &in), 0);
	assert_int_equal(cdr_insert(f->db, &no), 0);
	list(f, NULL, &s);
	assert_int_equal(s.n, 2);
	out = &s.r[0];
	assert_true(out->id > 0);
	assert_string_equal(out->call_id, "c-1");
	assert_string_equal(out->caller_ext, "100");
	assert_string_equal(out->caller_number, "+33 1 23 45 67 89");
	assert_string_equal(out->dialed, "0033123456789");
	assert_string_equal(out->callee, "101");
	assert_int_equal(out->start_ms, in.start_ms);
	assert_true(out->answered);
	assert_int_equal(out->answer_ms, in.answer_ms);
	assert_int_equal(out->end_ms, in.end_ms);
	assert_int_equal(out->duration_ms, 60000);
	assert_int_equal(out->disposition, CDR_ANSWERED);
	assert_int_equal(out->sip_code, 200);
	assert_string_equal(out->reason, "Zoë hung up, \"bye\"");
	assert_int_equal(out->transport, CDR_TRANSPORT_TLS);
	assert_true(out->media_encrypted);
	assert_int_equal(out->rtp_packets, 6000);
	assert_int_equal(out->rtp_lost, 3);

	out = &s.r[1];
	assert_true(out->id > s.r[0].id);
	assert_string_equal(out->call_id, "c-2");
	assert_string_equal(out->callee, "");
	assert_false(out->answered);
	assert_int_equal(out->answer_ms, 0);
	assert_int_equal(out->duration_ms, 0);
	assert_int_equal(out->disposition, CDR_BUSY);
	assert_int_equal(out->sip_code, 486);
	assert_int_equal(out->transport, CDR_TRANSPORT_UDP);
	assert_false(out->media_encrypted);
}

/* Ordered by start time, then by insertion for equal starts; the id of
 * the input is ignored. */
static void
test_ordering(void **state)
{
	struct fixture *f = *state;
	struct cdr_record r;
	struct seen s;

	r = answered("late", "100", "101", 300);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = answered("early", "100", "101", 100);
	r.id = 999;
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = answered("tie-a", "100", "101", 200);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = answered("tie-b", "100", "101", 200);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	list(f, NULL, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.r[0].call_id, "early");
	assert_string_equal(s.r[1].call_id, "tie-a");
	assert_string_equal(s.r[2].call_id, "tie-b");
	assert_string_equal(s.r[3].call_id, "late");
	assert_true(s.r[0].id != 999);
}

static void
fill(struct fixture *f)
{
	struct cdr_record r;

	/* Starts at T0 + 0, 60, ..., 300 s. */
	r = answered("a", "100", "101", 0);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = answered("b", "101", "100", 60);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = unanswered("c", CDR_NO_ANSWER, 480, 120);
	SET(r.callee, "100");
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = unanswered("d", CDR_DENIED, 403, 180);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = answered("e", "103", "104", 240);
	assert_int_equal(cdr_insert(f->db, &r), 0);
	r = unanswered("f", CDR_CANCELLED, 487, 300);
	SET(r.caller_ext, "100");
	assert_int_equal(cdr_insert(f->db, &r), 0);
}

static void
test_filters(void **state)
{
	struct fixture *f = *state;
	struct cdr_query q = {0};
	struct seen s;
	uint64_t n = 0;

	fill(f);
	assert_int_equal(cdr_count(f->db, NULL, &n), 0);
	assert_int_equal(n, 6);
	/* since is inclusive, until exclusive. */
	q.since_ms = T0 + 60 * 1000;
	q.until_ms = T0 + 240 * 1000;
	list(f, &q, &s);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.r[0].call_id, "b");
	assert_string_equal(s.r[2].call_id, "d");
	assert_int_equal(cdr_count(f->db, &q, &n), 0);
	assert_int_equal(n, 3);
	/* The extension matches the caller or the callee. */
	q = (struct cdr_query){.ext = SV("100")};
	list(f, &q, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.r[0].call_id, "a");
	assert_string_equal(s.r[1].call_id, "b");
	assert_string_equal(s.r[2].call_id, "c");
	assert_string_equal(s.r[3].call_id, "f");
	q.since_ms = T0 + 1;
	list(f, &q, &s);
	assert_int_equal(s.n, 3);
	q = (struct cdr_query){.ext = SV("104")};
	list(f, &q, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].call_id, "e");
	q = (struct cdr_query){.ext = SV("999")};
	list(f, &q, &s);
	assert_int_equal(s.n, 0);
	assert_int_equal(cdr_count(f->db, &q, &n), 0);
	assert_int_equal(n, 0);
	/* An empty extension is a bad filter, not "the calls without one". */
	q = (struct cdr_query){.ext = SV("")};
	assert_int_equal(cdr_list(f->db, &q, collect, &s), -EINVAL);
	q = (struct cdr_query){.since_ms = T0 + 600 * 1000};
	list(f, &q, &s);
	assert_int_equal(s.n, 0);
}

/* The limit keeps the latest records, listed oldest first. */
static void
test_limit(void **state)
{
	struct fixture *f = *state;
	struct cdr_query q = {.limit = 2};
	struct seen s;
	uint64_t n = 0;

	fill(f);
	list(f, &q, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].call_id, "e");
	assert_string_equal(s.r[1].call_id, "f");
	assert_int_equal(cdr_count(f->db, &q, &n), 0);
	assert_int_equal(n, 6);
	q = (struct cdr_query){
	    .limit = 2, .ext = SV("100"), .until_ms = T0 + 1};
	list(f, &q, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].call_id, "a");
	q = (struct cdr_query){.limit = 100};
	list(f, &q, &s);
	assert_int_equal(s.n, 6);
	/* The callback stops the listing. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	assert_int_equal(cdr_list(f->db, NULL, collect, &s), 9);
	assert_int_equal(s.n, 2);
}

static void
test_bad_query(void **state)
{
	struct fixture *f = *state;
	static const struct cdr_query bad[] = {
	    {.since_ms = -1},
	    {.until_ms = -5},
	    {.since_ms = 10, .until_ms = 10},
	    {.since_ms = 10, .until_ms = 5},
	    {.ext = {"a b", 3}},
	    {.ext = {"-rf", 3}},
	};
	struct seen s = {0};
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    cdr_list(f->db, &bad[i], collect, &s), -EINVAL);
		assert_int_equal(cdr_count(f->db, &bad[i], &n), -EINVAL);
	}
	assert_int_equal(s.n, 0);
}

static void
expect_invalid(struct fixture *f, const struct cdr_record *r)
{
	uint64_t n = 1;

	assert_int_equal(cdr_check(r), -EINVAL);
	assert_int_equal(cdr_insert(f->db, r), -EINVAL);
	assert_int_equal(cdr_count(f->db, NULL, &n), 0);
	assert_int_equal(n, 0);
}

static void
test_validation(void **state)
{
	struct fixture *f = *state;
	static const char *const bad_text[] = {"line\nbreak", "tab\t",
	    "del\x7f", "esc\x1b[2J", "c1\xc2\x9b", "cut\xc3", "bad\xff",
	    "overlong\xc0\xaf", "rlo\xe2\x80\xae", "zwsp\xe2\x80\x8b",
	    "bom\xef\xbb\xbf"};
	const struct cdr_record good = answered("c", "100", "101", 0);
	struct cdr_record r;

	assert_int_equal(cdr_check(&good), 0);
	for (size_t i = 0; i < sizeof(bad_text) / sizeof(bad_text[0]); i++) {
		r = good;
		SET(r.caller_number, bad_text[i]);
		expect_invalid(f, &r);
		r = good;
		SET(r.reason, bad_text[i]);
		expect_invalid(f, &r);
		r = good;
		SET(r.dialed, bad_text[i]);
		expect_invalid(f, &r);
		r = good;
		SET(r.call_id, bad_text[i]);
		expect_invalid(f, &r);
	}
	/* Fields without their NUL. */
	r = good;
	memset(r.call_id, 'x', sizeof(r.call_id));
	expect_invalid(f, &r);
	r = good;
	memset(r.caller_number, '1', sizeof(r.caller_number));
	expect_invalid(f, &r);
	r = good;
	memset(r.reason, 'r', sizeof(r.reason));
	expect_invalid(f, &r);
	r = good;
	memset(r.callee, '1', sizeof(r.callee));
	expect_invalid(f, &r);
	/* Text at its bound is fine. */
	r = good;
	memset(r.caller_number, '1', CDR_NUMBER_MAX);
	r.caller_number[CDR_NUMBER_MAX] = '\0';
	memset(r.call_id, 'x', CDR_CALL_ID_MAX);
	r.call_id[CDR_CALL_ID_MAX] = '\0';
	assert_int_equal(cdr_check(&r), 0);
	/* Identifiers. */
	r = good;
	SET(r.call_id, "");
	expect_invalid(f, &r);
	r = good;
	SET(r.caller_ext, "a b");
	expect_invalid(f, &r);
	r = good;
	SET(r.callee, "-x");
	expect_invalid(f, &r);
	/* Enums. */
	r = good;
	r.disposition = (enum cdr_disposition)6;
	expect_invalid(f, &r);
	r = good;
	r.transport = (enum cdr_transport)7;
	expect_invalid(f, &r);
	/* Times out of order, and an inconsistent answer. */
	r = good;
	r.start_ms = -1;
	expect_invalid(f, &r);
	r = good;
	r.answer_ms = r.start_ms - 1;
	r.duration_ms = r.end_ms - r.answer_ms;
	expect_invalid(f, &r);
	r = good;
	r.end_ms = r.answer_ms - 1;
	expect_invalid(f, &r);
	r = good;
	r.duration_ms = 59999;
	expect_invalid(f, &r);
	r = good;
	r.answered = false;
	expect_invalid(f, &r);
	r = unanswered("c", CDR_FAILED, 500, 0);
	assert_int_equal(cdr_check(&r), 0);
	r.end_ms = r.start_ms - 1;
	expect_invalid(f, &r);
	r = unanswered("c", CDR_FAILED, 500, 0);
	r.duration_ms = 5;
	expect_invalid(f, &r);
	r = unanswered("c", CDR_FAILED, 500, 0);
	r.disposition = CDR_ANSWERED;
	expect_invalid(f, &r);
	/* Status codes and counters. */
	r = unanswered("c", CDR_FAILED, 0, 0);
	assert_int_equal(cdr_check(&r), 0);
	r.sip_code = 99;
	expect_invalid(f, &r);
	r.sip_code = 700;
	expect_invalid(f, &r);
	r = good;
	r.rtp_packets = (uint64_t)INT64_MAX + 1;
	expect_invalid(f, &r);
	r = good;
	r.rtp_lost = UINT64_MAX;
	expect_invalid(f, &r);
}

/* The schema refuses what the repository would: rows written behind
 * its back cannot hold bad enum values. */
static void
test_schema_checks(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    "INSERT INTO cdrs (call_id, caller_ext, caller_number, dialed,"
	    " callee, start_ms, end_ms, duration_ms, disposition, sip_code,"
	    " reason, transport, media_encrypted) VALUES ('x', '', '', '',"
	    " '', 1, 1, 0, 'lost', 0, '', 'udp', 0)",
	    "INSERT INTO cdrs (call_id, caller_ext, caller_number, dialed,"
	    " callee, start_ms, end_ms, duration_ms, disposition, sip_code,"
	    " reason, transport, media_encrypted) VALUES ('x', '', '', '',"
	    " '', 1, 1, 0, 'busy', 0, '', 'sctp', 0)",
	    "INSERT INTO cdrs (call_id, caller_ext, caller_number, dialed,"
	    " callee, start_ms, end_ms, duration_ms, disposition, sip_code,"
	    " reason, transport, media_encrypted) VALUES ('x', '', '', '',"
	    " '', 1, 1, 0, 'busy', 0, '', 'udp', 2)",
	    "INSERT INTO cdrs (call_id, caller_ext, caller_number, dialed,"
	    " callee, start_ms, end_ms, duration_ms, disposition, sip_code,"
	    " reason, transport, media_encrypted) VALUES (NULL, '', '', '',"
	    " '', 1, 1, 0, 'busy', 0, '', 'udp', 0)",
	};
	sqlite3 *h;

	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    sqlite3_exec(h, bad[i], NULL, NULL, NULL) & 0xff,
		    SQLITE_CONSTRAINT);
	sqlite3_close(h);
}

/* A row edited by hand that breaks the rules stops the listing. */
static void
test_bad_row(void **state)
{
	struct fixture *f = *state;
	struct seen s = {0};
	static const char *const edits[] = {
	    "UPDATE cdrs SET duration_ms = 1",
	    "UPDATE cdrs SET caller_number = 'a' || char(10) || 'b'",
	    "UPDATE cdrs SET sip_code = 1000",
	    "UPDATE cdrs SET rtp_lost = -1",
	    "UPDATE cdrs SET callee = 'x y'",
	    "UPDATE cdrs SET reason = hex(zeroblob(100))",
	    "UPDATE cdrs SET answer_ms = NULL",
	};
	struct cdr_record r = answered("c", "100", "101", 0);

	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		raw_exec(f->path, "DELETE FROM cdrs");
		assert_int_equal(cdr_insert(f->db, &r), 0);
		raw_exec(f->path, edits[i]);
		s.n = 0;
		assert_int_equal(cdr_list(f->db, NULL, collect, &s), -EBADMSG);
		assert_int_equal(s.n, 0);
	}
}

/* R-OPS-3: records survive closing and re-opening the database. */
static void
test_persist(void **state)
{
	struct fixture *f = *state;
	struct cdr_record r = answered("kept", "100", "101", 0);
	struct seen s;

	assert_int_equal(cdr_insert(f->db, &r), 0);
	db_close(f->db);
	assert_int_equal(db_open(&f->db, f->dir), 0);
	list(f, NULL, &s);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].call_id, "kept");
}

/* Out of memory during an insert: it either succeeds or writes
 * nothing. */
static void
test_oom(void **state)
{
	struct fixture *f = *state;
	struct cdr_record r = answered("c", "100", "101", 0);
	uint64_t n = 0;
	int rc;

	for (unsigned long i = 1; i < 50; i++) {
		mem_fail_nth(i);
		rc = cdr_insert(f->db, &r);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_int_equal(cdr_count(f->db, NULL, &n), 0);
		assert_int_equal(n, 0);
	}
	assert_int_equal(cdr_count(f->db, NULL, &n), 0);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ordering, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_validation, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_schema_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_cdr", tests, NULL, NULL);
}
