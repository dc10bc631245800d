/* Unit tests for the API access table (R-ADMIN-2). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin/rbac.h"

#define A RBAC_ALLOW
#define D RBAC_DENY
#define S RBAC_SELF

/* The policy of the issue, written out again so a change to the table
 * must be made twice, on purpose. */
static const struct {
	enum rbac_class cls;
	enum rbac_access
	    want[RBAC_ROLE_COUNT]; /* admin auditor helpdesk user */
} expected[] = {
    {RBAC_USERS_READ, {A, A, A, S}},
    {RBAC_USERS_WRITE, {A, D, A, D}},
    {RBAC_PIN_RESET, {A, D, A, S}},
    {RBAC_CDRS_READ, {A, A, D, S}},
    {RBAC_BANS_READ, {A, A, D, D}},
    {RBAC_BANS_WRITE, {A, D, D, D}},
    {RBAC_AUDIT_READ, {A, A, D, D}},
    {RBAC_TRUNKS_READ, {A, A, D, D}},
    {RBAC_TRUNKS_WRITE, {A, D, D, D}},
    {RBAC_ROUTES_READ, {A, A, D, D}},
    {RBAC_ROUTES_WRITE, {A, D, D, D}},
    {RBAC_RIGHTS_READ, {A, A, D, D}},
    {RBAC_RIGHTS_WRITE, {A, D, D, D}},
    {RBAC_APIKEYS_MANAGE, {A, D, D, D}},
    {RBAC_ASSESSMENT_READ, {A, A, D, D}},
    {RBAC_ASSESSMENT_ATTEST, {A, D, D, D}},
    {RBAC_REGISTRATIONS_READ, {A, A, A, S}},
    {RBAC_FRAUD_READ, {A, A, D, D}},
    {RBAC_FRAUD_WRITE, {A, D, D, D}},
    {RBAC_CALLS_READ, {A, A, D, S}},
    {RBAC_CALLS_HANGUP, {A, D, D, D}},
    {RBAC_STATUS_READ, {A, A, D, D}},
    {RBAC_SECURITY_READ, {A, A, D, D}},
    {RBAC_SETTINGS_READ, {A, A, D, D}},
    {RBAC_SETTINGS_WRITE, {A, D, D, D}},
    {RBAC_ADMINS_MANAGE, {A, D, D, D}},
};

/* R-ADMIN-2: every class against every role. */
static void
test_table(void **state)
{
	(void)state;
	assert_int_equal(RP_ARRAY_LEN(expected), RBAC_CLASS_COUNT);
	for (size_t i = 0; i < RP_ARRAY_LEN(expected); i++)
		for (int r = 0; r < RBAC_ROLE_COUNT; r++)
			assert_int_equal(
			    rbac_check((enum rbac_role)r, expected[i].cls),
			    expected[i].want[r]);
}

/* The auditor writes nothing; helpdesk never reaches trunks, routes,
 * rights or keys; a user never gets a blanket allow. */
static void
test_invariants(void **state)
{
	(void)state;
	for (int c = 0; c < RBAC_CLASS_COUNT; c++) {
		assert_int_not_equal(
		    rbac_check(RBAC_ROLE_USER, (enum rbac_class)c), A);
		assert_int_not_equal(
		    rbac_check(RBAC_ROLE_AUDITOR, (enum rbac_class)c), S);
	}
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_TRUNKS_READ), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_ROUTES_WRITE), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_RIGHTS_WRITE), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_AUDIT_READ), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_BANS_WRITE), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_FRAUD_WRITE), D);
	/* Only an administrator ends a call (R-OPS-1). */
	assert_int_equal(rbac_check(RBAC_ROLE_AUDITOR, RBAC_CALLS_HANGUP), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_CALLS_READ), D);
	assert_int_equal(rbac_check(RBAC_ROLE_USER, RBAC_CALLS_HANGUP), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_RIGHTS_READ), D);
	assert_int_equal(rbac_check(RBAC_ROLE_HELPDESK, RBAC_SETTINGS_READ), D);
	assert_int_equal(rbac_check(RBAC_ROLE_AUDITOR, RBAC_SETTINGS_WRITE), D);
}

static void
test_out_of_range(void **state)
{
	(void)state;
	assert_int_equal(rbac_check(RBAC_ROLE_COUNT, RBAC_USERS_READ), D);
	assert_int_equal(rbac_check((enum rbac_role) - 1, RBAC_USERS_READ), D);
	assert_int_equal(rbac_check(RBAC_ROLE_ADMIN, RBAC_CLASS_COUNT), D);
	assert_null(rbac_role_name(RBAC_ROLE_COUNT));
}

static void
test_role_names(void **state)
{
	enum rbac_role r;

	(void)state;
	for (int i = 0; i < RBAC_ROLE_COUNT; i++) {
		assert_int_equal(
		    rbac_role_parse(
		        sv_cstr(rbac_role_name((enum rbac_role)i)), &r),
		    0);
		assert_int_equal(r, i);
	}
	assert_int_equal(rbac_role_parse(SV("Admin"), &r), -EINVAL);
	assert_int_equal(rbac_role_parse(SV("admin "), &r), -EINVAL);
	assert_int_equal(rbac_role_parse(SV(""), &r), -EINVAL);
	assert_int_equal(rbac_role_parse(SV_NULL, &r), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_invariants),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_role_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
