/* Unit tests for the rate table. R-FRAUD-3 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"
#include "policy/rating.h"

#define M(units) ((int64_t)(units)*RATING_MICRO)

static int64_t
money(const char *s)
{
	int64_t v = -1;

	assert_int_equal(rating_money_parse(sv_cstr(s), &v), 0);
	return v;
}

static void
test_money(void **state)
{
	int64_t v;
	char buf[32];

	(void)state;
	assert_int_equal(money("0"), 0);
	assert_int_equal(money("12"), M(12));
	assert_int_equal(money("0.5"), 500000);
	assert_int_equal(money("0.015"), 15000);
	assert_int_equal(money("0.000001"), 1);
	assert_int_equal(money("1000"), RATING_MONEY_MAX);
	assert_int_equal(money("1000.000000"), RATING_MONEY_MAX);
	assert_int_equal(rating_money_parse(SV("1000.000001"), &v), -ERANGE);
	assert_int_equal(rating_money_parse(SV("1001"), &v), -ERANGE);
	assert_int_equal(
	    rating_money_parse(SV("99999999999999999999"), &v), -ERANGE);
	assert_int_equal(rating_money_parse(SV(""), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV(".5"), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV("1."), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV("0.0000001"), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV("-1"), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV("1,5"), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV("1.5e3"), &v), -EINVAL);
	assert_int_equal(rating_money_parse(SV("1.2.3"), &v), -EINVAL);

	assert_int_equal(rating_money_format(1234567, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "1.234567");
	assert_int_equal(rating_money_format(0, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "0.000000");
	assert_int_equal(rating_money_format(-15000, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "-0.015000");
	assert_true(rating_money_format(INT64_MIN, buf, 24) > 0);
	assert_string_equal(buf, "-9223372036854.775808");
	assert_int_equal(rating_money_format(M(12), buf, 9), -E2BIG);
	assert_int_equal(rating_money_format(M(12), buf, 10), 9);
}

/* Billing increments and the one upward rounding. */
static void
test_cost(void **state)
{
	/* 0.10 per minute, 0.05 setup, 60 s then 60 s. */
	struct rating_rate r60 = {100000, 50000, 60, 60, ""};
	/* 0.10 per minute, no setup, 30 s then per second. */
	struct rating_rate r30 = {100000, 0, 30, 1, ""};
	/* 0.07 per minute, per second from the start (first 0). */
	struct rating_rate r1 = {70000, 0, 0, 1, ""};

	(void)state;
	assert_int_equal(rating_cost(&r60, 0), 0); /* never answered */
	assert_int_equal(rating_billed_seconds(&r60, 1), 60);
	assert_int_equal(rating_cost(&r60, 1), 150000);
	assert_int_equal(rating_cost(&r60, 60), 150000);
	assert_int_equal(rating_billed_seconds(&r60, 61), 120);
	assert_int_equal(rating_cost(&r60, 61), 250000);
	assert_int_equal(rating_cost(&r60, 3600), 50000 + 6000000);

	assert_int_equal(rating_billed_seconds(&r30, 10), 30);
	assert_int_equal(rating_cost(&r30, 10), 50000);
	assert_int_equal(rating_billed_seconds(&r30, 31), 31);
	/* 0.10 * 31 / 60 = 0.0516666..: rounded up to 0.051667. */
	assert_int_equal(rating_cost(&r30, 31), 51667);

	assert_int_equal(rating_billed_seconds(&r1, 1), 1);
	/* 70000 / 60 = 1166.67 -> 1167. */
	assert_int_equal(rating_cost(&r1, 1), 1167);
	assert_int_equal(rating_cost(&r1, 60), 70000);
	assert_int_equal(rating_cost(&r1, 6), 7000);

	/* Projection: at least the setup and the first increment. */
	assert_int_equal(rating_projected(&r60, 0), 150000);
	assert_int_equal(rating_projected(&r60, 59), 150000);
	assert_int_equal(rating_projected(&r60, 61), 250000);
	assert_int_equal(rating_projected(&r1, 0), 1167);

	/* No rate: free. */
	assert_int_equal(rating_cost(NULL, 100), 0);
	assert_int_equal(rating_billed_seconds(NULL, 100), 0);
}

/* The largest amounts and durations do not overflow. */
static void
test_cost_bounds(void **state)
{
	struct rating_rate big = {RATING_MONEY_MAX, RATING_MONEY_MAX,
	    RATING_INCR_MAX, RATING_INCR_MAX, ""};
	int64_t a = rating_cost(&big, RATING_SECONDS_MAX);

	(void)state;
	assert_true(a > 0);
	assert_int_equal(rating_cost(&big, UINT64_MAX), a);
	assert_int_equal(rating_billed_seconds(&big, UINT64_MAX),
	    rating_billed_seconds(&big, RATING_SECONDS_MAX));
}

static struct rating_table *
parsed(const char *text)
{
	struct rating_table *t = NULL;
	struct numplan_error err = {0, NULL};

	assert_int_equal(rating_table_new(&t), 0);
	assert_int_equal(rating_table_parse(t, sv_cstr(text), &err), 0);
	assert_int_equal(err.line, 0);
	return t;
}

static void
test_table(void **state)
{
	struct rating_table *t =
	    parsed("# prefix per_minute setup first incr label\n"
	           "+      1.00    0       60  60  Default\n"
	           "+33    0.01    0       60  1   France fixed\n"
	           "+336   0.05    0.02    30  1   France mobile\r\n"
	           "+3389  0.80    0.50    0   1   Premium\n"
	           "+44    0.02    0       1   1\n"
	           "+44    0.03    0       1   1   UK again\n");
	const struct rating_rate *r;

	(void)state;
	assert_int_equal(rating_table_count(t), 5);
	r = rating_lookup(t, SV("33612345678"));
	assert_non_null(r);
	assert_int_equal(r->per_min, 50000);
	assert_int_equal(r->setup, 20000);
	assert_int_equal(r->first_s, 30);
	assert_int_equal(r->incr_s, 1);
	assert_string_equal(r->label, "France mobile");
	r = rating_lookup(t, SV("33142345678"));
	assert_int_equal(r->per_min, 10000);
	r = rating_lookup(t, SV("33899123456"));
	assert_int_equal(r->setup, 500000);
	assert_int_equal(rating_cost(r, 90), 500000 + 1200000);
	r = rating_lookup(t, SV("442079460000"));
	assert_int_equal(r->per_min, 30000);
	assert_string_equal(r->label, "UK again");
	r = rating_lookup(t, SV("81312345678"));
	assert_string_equal(r->label, "Default");
	assert_null(rating_lookup(NULL, SV("33")));
	rating_table_free(t);
	rating_table_free(NULL);

	t = parsed("+33 0.01 0 60 1\n");
	assert_null(rating_lookup(t, SV("44")));
	rating_table_free(t);
}

static void
parse_err(const char *text, int rc, unsigned line)
{
	struct rating_table *t = NULL;
	struct numplan_error err = {0, NULL};

	assert_int_equal(rating_table_new(&t), 0);
	assert_int_equal(rating_table_parse(t, sv_cstr(text), &err), rc);
	assert_int_equal(err.line, line);
	assert_non_null(err.reason);
	rating_table_free(t);
}

static void
test_parse_errors(void **state)
{
	char big[400];

	(void)state;
	parse_err("33 0.01 0 60 1\n", -EBADMSG, 1);
	parse_err("+33a 0.01 0 60 1\n", -EBADMSG, 1);
	parse_err("+1234567890123456 0.01 0 60 1\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 60 1\n+34\n", -EBADMSG, 2);
	parse_err("+33 x 0 60 1\n", -EBADMSG, 1);
	parse_err("+33 0.01\n", -EBADMSG, 1);
	parse_err("+33 0.01 y 60 1\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 60\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 3601 1\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 60 0\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 60 3601\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 -1 1\n", -EBADMSG, 1);
	parse_err("+33 2000 0 60 1\n", -EBADMSG, 1);
	parse_err("+33 0.01 0 60 1 "
	          "012345678901234567890123456789012345678901234567\n",
	    -EBADMSG, 1);
	parse_err("+33 0.01 0 60 1 a\x1b[2J\n", -EBADMSG, 1);
	memset(big, ' ', sizeof(big));
	memcpy(big, "+33 0.01 0 60 1", 15);
	big[sizeof(big) - 1] = '\0';
	parse_err(big, -E2BIG, 1);
}

static void
test_add(void **state)
{
	struct rating_table *t = NULL;
	struct rating_rate r = {1000, 0, 0, 1, "x"};
	struct rating_rate bad = r;

	(void)state;
	assert_int_equal(rating_table_new(&t), 0);
	bad.incr_s = 0;
	assert_int_equal(rating_table_add(t, SV("+33"), &bad), -EINVAL);
	bad = r;
	bad.per_min = -1;
	assert_int_equal(rating_table_add(t, SV("+33"), &bad), -EINVAL);
	bad = r;
	bad.setup = RATING_MONEY_MAX + 1;
	assert_int_equal(rating_table_add(t, SV("+33"), &bad), -EINVAL);
	bad = r;
	memset(bad.label, 'a', sizeof(bad.label));
	assert_int_equal(rating_table_add(t, SV("+33"), &bad), -EINVAL);
	assert_int_equal(rating_table_add(t, SV("+3x"), &r), -EINVAL);
	assert_int_equal(rating_table_add(t, SV("33"), &r), 0);
	assert_int_equal(rating_table_count(t), 1);
	rating_table_free(t);
}

static void
test_limits_oom(void **state)
{
	struct rating_table *t = NULL;
	struct rating_rate r = {1000, 0, 0, 1, ""};
	char p[24];
	int rc;

	(void)state;
	assert_int_equal(rating_table_new(&t), 0);
	for (unsigned i = 0; i < RATING_ENTRIES_MAX; i++) {
		snprintf(p, sizeof(p), "+%u", 1000000 + i);
		assert_int_equal(rating_table_add(t, sv_cstr(p), &r), 0);
	}
	assert_int_equal(rating_table_add(t, SV("+9"), &r), -E2BIG);
	/* Replacing an existing prefix still works when full. */
	assert_int_equal(rating_table_add(t, SV("+1000000"), &r), 0);
	rating_table_free(t);

	for (unsigned long n = 1;; n++) {
		struct numplan_error err;

		t = NULL;
		mem_fail_nth(n);
		rc = rating_table_new(&t);
		if (rc == 0)
			rc = rating_table_parse(
			    t, SV("+33 0.01 0 60 1\n+336 0.02 0 60 1\n"), &err);
		mem_fail_nth(0);
		rating_table_free(t);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
	}
	assert_int_equal(rating_table_new(&t), 0);
	{
		struct numplan_error err;

		assert_int_equal(
		    rating_table_load_file(t, "/nonexistent/rates", &err),
		    -ENOENT);
		assert_int_equal(err.line, 0);
	}
	rating_table_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_money),
	    cmocka_unit_test(test_cost),
	    cmocka_unit_test(test_cost_bounds),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_limits_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
