/* Unit tests for dialing rights. R-FRAUD-1 R-FRAUD-2 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/mem.h"
#include "policy/rights.h"

#define B(c) NUMPLAN_BIT(NUMPLAN_##c)
#define LOBBY (B(INTERNAL) | B(EMERGENCY))
#define STAFF (LOBBY | B(LOCAL) | B(NATIONAL) | B(MOBILE) | B(SPECIAL))

static const struct rights_time tue_10h = {1, 10 * 60};
static const struct rights_time tue_22h = {1, 22 * 60};
static const struct rights_time sat_10h = {5, 10 * 60};

static struct rights_list *
list(const char *a, const char *b)
{
	struct rights_list *l = NULL;

	assert_int_equal(rights_list_new(&l), 0);
	if (a != NULL)
		assert_int_equal(rights_list_add(l, sv_cstr(a)), 0);
	if (b != NULL)
		assert_int_equal(rights_list_add(l, sv_cstr(b)), 0);
	return l;
}

static void
expect(const struct rights_profile *p, const struct rights_system *sys,
    enum numplan_class cls, const char *e164, struct rights_time t, bool allow,
    enum rights_reason reason)
{
	struct rights_decision d =
	    rights_check(p, sys, cls, sv_cstr(e164), true, t);

	if (d.allow != allow || d.reason != reason)
		fprintf(stderr, "%s %s: got %d %s\n", numplan_class_name(cls),
		    e164, d.allow, d.text);
	assert_int_equal(d.allow, allow);
	assert_int_equal(d.reason, reason);
	assert_non_null(d.text);
}

/* R-FRAUD-1: common-area phones reach internal and emergency only. */
static void
test_classes(void **state)
{
	struct rights_profile lobby = {
	    "lobby", LOBBY, 0, {0, 0, 0}, NULL, NULL};
	struct rights_profile staff = {
	    "staff", STAFF, 0, {0, 0, 0}, NULL, NULL};

	(void)state;
	expect(&lobby, NULL, NUMPLAN_INTERNAL, "201", tue_10h, true, RIGHTS_OK);
	expect(&lobby, NULL, NUMPLAN_EMERGENCY, "15", tue_10h, true,
	    RIGHTS_EMERGENCY);
	expect(&lobby, NULL, NUMPLAN_NATIONAL, "33142345678", tue_10h, false,
	    RIGHTS_CLASS);
	expect(&lobby, NULL, NUMPLAN_MOBILE, "33612345678", tue_10h, false,
	    RIGHTS_CLASS);
	expect(&staff, NULL, NUMPLAN_MOBILE, "33612345678", tue_10h, true,
	    RIGHTS_OK);
	expect(&staff, NULL, NUMPLAN_INTERNATIONAL, "442079460000", tue_10h,
	    false, RIGHTS_CLASS);
	expect(NULL, NULL, NUMPLAN_INTERNAL, "201", tue_10h, false,
	    RIGHTS_NO_PROFILE);
	expect(NULL, NULL, NUMPLAN_EMERGENCY, "112", tue_10h, true,
	    RIGHTS_EMERGENCY);
	expect(&staff, NULL, NUMPLAN_CLASS_COUNT, "1", tue_10h, false,
	    RIGHTS_CLASS);
}

/* International only on business hours. */
static void
test_window(void **state)
{
	struct rights_profile p = {"intl-office", STAFF, B(INTERNATIONAL),
	    {RIGHTS_WEEKDAYS, 8 * 60, 19 * 60}, NULL, NULL};

	(void)state;
	expect(&p, NULL, NUMPLAN_INTERNATIONAL, "442079460000", tue_10h, true,
	    RIGHTS_OK);
	expect(&p, NULL, NUMPLAN_INTERNATIONAL, "442079460000", tue_22h, false,
	    RIGHTS_OUTSIDE_WINDOW);
	expect(&p, NULL, NUMPLAN_INTERNATIONAL, "442079460000", sat_10h, false,
	    RIGHTS_OUTSIDE_WINDOW);
	/* Classes always granted ignore the window. */
	expect(&p, NULL, NUMPLAN_NATIONAL, "33142345678", tue_22h, true,
	    RIGHTS_OK);
	p.classes |= B(INTERNATIONAL);
	expect(&p, NULL, NUMPLAN_INTERNATIONAL, "442079460000", sat_10h, true,
	    RIGHTS_OK);
}

static void
test_window_edges(void **state)
{
	struct rights_window day = {RIGHTS_MON, 8 * 60, 19 * 60};
	struct rights_window night = {RIGHTS_FRI, 22 * 60, 6 * 60};
	struct rights_window all = {RIGHTS_SUN, 0, 0};

	(void)state;
	assert_false(rights_in_window(&day, (struct rights_time){0, 479}));
	assert_true(rights_in_window(&day, (struct rights_time){0, 480}));
	assert_true(rights_in_window(&day, (struct rights_time){0, 1139}));
	assert_false(rights_in_window(&day, (struct rights_time){0, 1140}));
	assert_false(rights_in_window(&day, (struct rights_time){1, 600}));
	/* Friday 22:00 to Saturday 06:00. */
	assert_true(rights_in_window(&night, (struct rights_time){4, 1320}));
	assert_true(rights_in_window(&night, (struct rights_time){5, 0}));
	assert_true(rights_in_window(&night, (struct rights_time){5, 359}));
	assert_false(rights_in_window(&night, (struct rights_time){5, 360}));
	assert_false(rights_in_window(&night, (struct rights_time){4, 300}));
	assert_false(rights_in_window(&night, (struct rights_time){5, 1320}));
	assert_true(rights_in_window(&all, (struct rights_time){6, 0}));
	assert_true(rights_in_window(&all, (struct rights_time){6, 1439}));
	assert_false(rights_in_window(&all, (struct rights_time){0, 0}));
	assert_false(rights_in_window(&all, (struct rights_time){7, 0}));
	assert_false(rights_in_window(&all, (struct rights_time){6, 1440}));
}

static void
test_local_time(void **state)
{
	struct rights_time t;

	(void)state;
	t = rights_local_time(0, 0); /* 1970-01-01 00:00, a Thursday */
	assert_int_equal(t.wday, 3);
	assert_int_equal(t.minute, 0);
	/* 2024-01-01 (a Monday) 23:30 UTC is Tuesday 00:30 in Paris. */
	t = rights_local_time(1704151800, 60);
	assert_int_equal(t.wday, 1);
	assert_int_equal(t.minute, 30);
	t = rights_local_time(1704151800, 0);
	assert_int_equal(t.wday, 0);
	assert_int_equal(t.minute, 23 * 60 + 30);
	/* Before the epoch, west of UTC. */
	t = rights_local_time(0, -60);
	assert_int_equal(t.wday, 2);
	assert_int_equal(t.minute, 23 * 60);
	t = rights_local_time(-1, 0);
	assert_int_equal(t.wday, 2);
	assert_int_equal(t.minute, 1439);
}

/* R-FRAUD-2: premium and high-risk need an explicit allow. */
static void
test_premium(void **state)
{
	struct rights_list *allow = list("+33899", NULL);
	struct rights_list *sys_allow = list("+33892", "881");
	struct rights_profile p = {"all", 0x1ffu, 0, {0, 0, 0}, NULL, NULL};
	struct rights_system sys = {sys_allow, NULL, 0};

	(void)state;
	/* Every class bit, still denied. */
	expect(&p, NULL, NUMPLAN_PREMIUM, "33899123456", tue_10h, false,
	    RIGHTS_PREMIUM);
	expect(&p, NULL, NUMPLAN_HIGH_RISK, "881612345678", tue_10h, false,
	    RIGHTS_HIGH_RISK);
	/* Profile allow prefix: allowed, even without the class. */
	p.allow = allow;
	p.classes = STAFF;
	expect(&p, NULL, NUMPLAN_PREMIUM, "33899123456", tue_10h, true,
	    RIGHTS_ALLOW_PREFIX);
	expect(&p, NULL, NUMPLAN_PREMIUM, "33897123456", tue_10h, false,
	    RIGHTS_PREMIUM);
	/* System allow prefix: needs the class as well. */
	expect(&p, &sys, NUMPLAN_PREMIUM, "33892123456", tue_10h, false,
	    RIGHTS_PREMIUM);
	p.classes |= B(PREMIUM) | B(HIGH_RISK);
	expect(
	    &p, &sys, NUMPLAN_PREMIUM, "33892123456", tue_10h, true, RIGHTS_OK);
	expect(&p, &sys, NUMPLAN_HIGH_RISK, "881612345678", tue_10h, true,
	    RIGHTS_OK);
	expect(&p, &sys, NUMPLAN_HIGH_RISK, "882612345678", tue_10h, false,
	    RIGHTS_HIGH_RISK);
	/* Short premium numbers are under no prefix. */
	{
		struct rights_decision d = rights_check(
		    &p, &sys, NUMPLAN_PREMIUM, SV("881"), false, tue_10h);

		assert_false(d.allow);
		assert_int_equal(d.reason, RIGHTS_PREMIUM);
	}
	rights_list_free(allow);
	rights_list_free(sys_allow);
}

static void
test_prefix_lists(void **state)
{
	struct rights_list *p_allow = list("+4420", "+33612");
	struct rights_list *p_deny = list("+3361234", NULL);
	struct rights_list *s_deny = list("+44207946", NULL);
	struct rights_profile p = {
	    "staff", STAFF, 0, {0, 0, 0}, p_allow, p_deny};
	struct rights_system sys = {NULL, s_deny, 0};

	(void)state;
	/* Profile allow grants a class the profile lacks. */
	expect(&p, NULL, NUMPLAN_INTERNATIONAL, "442012345678", tue_10h, true,
	    RIGHTS_ALLOW_PREFIX);
	expect(&p, NULL, NUMPLAN_INTERNATIONAL, "441612345678", tue_10h, false,
	    RIGHTS_CLASS);
	/* Profile deny beats profile allow. */
	expect(&p, NULL, NUMPLAN_MOBILE, "33612345678", tue_10h, false,
	    RIGHTS_PROFILE_PREFIX);
	expect(&p, NULL, NUMPLAN_MOBILE, "33612999999", tue_10h, true,
	    RIGHTS_ALLOW_PREFIX);
	/* System deny beats profile allow... */
	expect(&p, &sys, NUMPLAN_INTERNATIONAL, "442079460000", tue_10h, false,
	    RIGHTS_SYSTEM_PREFIX);
	/* ...but never emergency. */
	assert_int_equal(rights_list_add(s_deny, SV("+")), 0);
	expect(&p, &sys, NUMPLAN_EMERGENCY, "112", tue_10h, true,
	    RIGHTS_EMERGENCY);
	expect(&p, &sys, NUMPLAN_NATIONAL, "33142345678", tue_10h, false,
	    RIGHTS_SYSTEM_PREFIX);
	rights_list_free(p_allow);
	rights_list_free(p_deny);
	rights_list_free(s_deny);
}

/* R-FRAUD-2: international blocked for the whole system. */
static void
test_system_classes(void **state)
{
	struct rights_list *p_allow = list("+44", NULL);
	struct rights_profile p = {
	    "intl", STAFF | B(INTERNATIONAL), 0, {0, 0, 0}, p_allow, NULL};
	struct rights_system sys = {NULL, NULL, B(INTERNATIONAL)};

	(void)state;
	expect(&p, &sys, NUMPLAN_INTERNATIONAL, "4912345678", tue_10h, false,
	    RIGHTS_SYSTEM_CLASS);
	expect(&p, &sys, NUMPLAN_INTERNATIONAL, "442079460000", tue_10h, false,
	    RIGHTS_SYSTEM_CLASS);
	expect(&p, &sys, NUMPLAN_NATIONAL, "33142345678", tue_10h, true,
	    RIGHTS_OK);
	sys.denied_classes = 0x1ffu;
	expect(
	    &p, &sys, NUMPLAN_EMERGENCY, "17", tue_10h, true, RIGHTS_EMERGENCY);
	rights_list_free(p_allow);
}

static void
test_lists(void **state)
{
	struct rights_list *l = NULL;

	(void)state;
	assert_false(rights_list_covers(NULL, SV("33")));
	assert_int_equal(rights_list_new(&l), 0);
	assert_false(rights_list_covers(l, SV("33")));
	assert_int_equal(rights_list_add(l, SV("+33a")), -EINVAL);
	assert_int_equal(rights_list_add(l, SV("+1234567890123456")), -EINVAL);
	assert_int_equal(rights_list_add(l, SV("33")), 0);
	assert_true(rights_list_covers(l, SV("3312")));
	assert_false(rights_list_covers(l, SV("3")));
	for (unsigned i = 1; i < RIGHTS_LIST_MAX; i++) {
		char p[16];

		snprintf(p, sizeof(p), "+9%u", i);
		assert_int_equal(rights_list_add(l, sv_cstr(p)), 0);
	}
	assert_int_equal(rights_list_add(l, SV("+1")), -E2BIG);
	rights_list_free(l);
	rights_list_free(NULL);
	for (unsigned long n = 1;; n++) {
		int rc;

		l = NULL;
		mem_fail_nth(n);
		rc = rights_list_new(&l);
		if (rc == 0)
			rc = rights_list_add(l, SV("+123456789"));
		mem_fail_nth(0);
		rights_list_free(l);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
	}
	assert_string_equal(rights_reason_text(RIGHTS_PREMIUM),
	    "premium-rate numbers are not allowed");
	assert_string_equal(rights_reason_text((enum rights_reason)99), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classes),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_window_edges),
	    cmocka_unit_test(test_local_time),
	    cmocka_unit_test(test_premium),
	    cmocka_unit_test(test_prefix_lists),
	    cmocka_unit_test(test_system_classes),
	    cmocka_unit_test(test_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
