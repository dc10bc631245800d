/* Unit tests for the administrator password policy and lockout
 * (R-AUTH-2, R-AUTH-6). */
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

#include "policy/adminpw.h"

static void
expect(const char *pw, const char *name, const struct secret_list *l,
    const char *reason)
{
	const char *why = "unset";
	int rc = adminpw_check(sv_cstr(pw), sv_cstr(name), l, &why);

	if (reason == NULL) {
		assert_int_equal(rc, 0);
		assert_null(why);
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, reason);
	}
}

static struct secret_list *
load_shipped(void)
{
	const char *root = getenv("RP_SOURCE_ROOT");
	char path[4096];
	struct secret_list *l = NULL;

	snprintf(path, sizeof(path), "%s/data/common-secrets.txt",
	    root ? root : ".");
	assert_int_equal(secret_list_load(path, &l), 0);
	assert_non_null(l);
	return l;
}

/* R-AUTH-2: length, characters, classes, name, common list. */
static void
test_policy(void **state)
{
	struct secret_list *l = load_shipped();
	char long_pw[ADMINPW_MAX_LEN + 2];

	(void)state;
	expect("Tr0ub4dor&3x", "alice", l, NULL);
	expect("correct horse Battery", "alice", l, NULL);
	expect("Tr0ub4dor&3", "alice", l, "is shorter than 12 characters");
	expect("", "alice", l, "is shorter than 12 characters");
	memset(long_pw, 'a', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	long_pw[0] = 'A';
	long_pw[1] = '1';
	expect(long_pw, "alice", l, "is longer than 128 characters");
	long_pw[ADMINPW_MAX_LEN] = '\0';
	expect(long_pw, "alice", l, NULL);
	expect("Tr0ub4dor&3\tx", "alice", l, "holds a control character");
	expect("Xy9-ALICE-secret", "alice", l, "contains the account name");
	expect("Xy9-bob-secret", "bob", l, "contains the account name");
	/* Names shorter than 3 characters are not looked for. */
	expect("Xy9-al-secret", "al", l, NULL);
	expect(
	    "Password1234", "alice", l, "is or is based on a common password");
	expect("P@ssw0rd2024!!", "alice", l,
	    "is or is based on a common password");
	expect("alllowercase1", "alice", l,
	    "needs 3 of: lower case, upper case, digits, other characters");
	expect("ALLUPPERCASE-", "alice", l,
	    "needs 3 of: lower case, upper case, digits, other characters");
	/* Without a list rule 4 is skipped. */
	expect("Password1234", "alice", NULL, NULL);
	assert_int_equal(
	    adminpw_check(SV("short"), SV("x"), NULL, NULL), -EINVAL);
	secret_list_free(l);
}

/* R-AUTH-2: periodic change after 365 days. */
static void
test_expiry(void **state)
{
	(void)state;
	assert_false(adminpw_expired(1000, 1000));
	assert_false(adminpw_expired(1000, 1000 + ADMINPW_MAX_AGE_S - 1));
	assert_true(adminpw_expired(1000, 1000 + ADMINPW_MAX_AGE_S));
	assert_true(adminpw_expired(0, 2000000000));
}

/* R-AUTH-6: 5 failures in 15 minutes lock for 15 minutes. */
static void
test_lockout(void **state)
{
	struct adminpw_lock l = {0};
	int64_t t = 1000000;

	(void)state;
	for (unsigned i = 0; i < ADMINPW_FAIL_MAX - 1; i++) {
		assert_false(adminpw_fail(&l, t + i * 60));
		assert_false(adminpw_locked(&l, t + i * 60));
	}
	assert_int_equal(l.failures, 4);
	assert_true(adminpw_fail(&l, t + 300));
	assert_int_equal(l.locks, 1);
	assert_int_equal(l.locked_until, t + 300 + 15 * 60);
	assert_true(adminpw_locked(&l, t + 300));
	assert_true(adminpw_locked(&l, t + 300 + 15 * 60 - 1));
	assert_false(adminpw_locked(&l, t + 300 + 15 * 60));
	/* A second lock lasts twice as long, a third four times. */
	t += 300 + 15 * 60;
	for (unsigned i = 0; i < ADMINPW_FAIL_MAX - 1; i++)
		assert_false(adminpw_fail(&l, t));
	assert_true(adminpw_fail(&l, t));
	assert_int_equal(l.locks, 2);
	assert_int_equal(l.locked_until, t + 30 * 60);
	t += 30 * 60;
	for (unsigned i = 0; i < ADMINPW_FAIL_MAX; i++)
		(void)adminpw_fail(&l, t);
	assert_int_equal(l.locked_until, t + 60 * 60);
	/* Success forgets the history: the next lock is 15 minutes again. */
	adminpw_success(&l);
	assert_int_equal(l.locks, 0);
	assert_int_equal(l.failures, 0);
	assert_false(adminpw_locked(&l, t));
	for (unsigned i = 0; i < ADMINPW_FAIL_MAX; i++)
		(void)adminpw_fail(&l, t);
	assert_int_equal(l.locked_until, t + 15 * 60);
}

/* Failures spread over more than 15 minutes never lock. */
static void
test_window(void **state)
{
	struct adminpw_lock l = {0};
	int64_t t = 5000000;

	(void)state;
	for (unsigned i = 0; i < 20; i++)
		assert_false(adminpw_fail(&l, t + i * 4 * 60));
	assert_int_equal(l.locks, 0);
	/* 4 failures then the window ends: the count starts again. */
	l = (struct adminpw_lock){0};
	for (unsigned i = 0; i < 4; i++)
		assert_false(adminpw_fail(&l, t));
	assert_false(adminpw_fail(&l, t + ADMINPW_FAIL_WINDOW_S));
	assert_int_equal(l.failures, 1);
	/* A clock stepped back starts a new window too. */
	assert_false(adminpw_fail(&l, t - 100));
	assert_int_equal(l.failures, 1);
}

static void
test_lock_duration(void **state)
{
	(void)state;
	assert_int_equal(adminpw_lock_duration(0), 15 * 60);
	assert_int_equal(adminpw_lock_duration(1), 15 * 60);
	assert_int_equal(adminpw_lock_duration(2), 30 * 60);
	assert_int_equal(adminpw_lock_duration(4), 120 * 60);
	assert_int_equal(adminpw_lock_duration(7), 16 * 3600);
	assert_int_equal(adminpw_lock_duration(8), ADMINPW_LOCK_MAX_S);
	assert_int_equal(adminpw_lock_duration(UINT32_MAX), ADMINPW_LOCK_MAX_S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_policy),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_lockout),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_lock_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
