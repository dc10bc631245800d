/* Unit tests for header parameters and quoted strings (R-CALL-1). */
#include "sip/test_common.h"

#include "sip/limits.h"
#include "sip/param.h"

static void
test_next(void **state)
{
	struct sv in = SV(" ;tag = 98asjd8 ;lr; received=[2001:db8::1]"
	                  ";q=\"a \\\"b\\\" c\"\r\n ;x=1");
	struct sip_param p;

	(void)state;
	assert_int_equal(sip_param_next(&in, &p), 1);
	assert_true(sv_eq(p.name, SV("tag")));
	assert_true(sv_eq(p.value, SV("98asjd8")));
	assert_true(p.has_value);
	assert_int_equal(sip_param_next(&in, &p), 1);
	assert_true(sv_eq(p.name, SV("lr")));
	assert_false(p.has_value);
	assert_int_equal(sip_param_next(&in, &p), 1);
	assert_true(sv_eq(p.value, SV("[2001:db8::1]")));
	assert_int_equal(sip_param_next(&in, &p), 1);
	assert_true(p.quoted);
	assert_true(sv_eq(p.value, SV("a \\\"b\\\" c")));
	assert_int_equal(sip_param_next(&in, &p), 1);
	assert_true(sv_eq(p.name, SV("x")));
	assert_int_equal(sip_param_next(&in, &p), 0);
}

static void
test_errors(void **state)
{
	static const char *const bad[] = {
	    "x",
	    ";",
	    "; =1",
	    ";a=",
	    ";a=\"open",
	    ";a=b c",
	    ";a b",
	    ";a=\"bad\\\r\"",
	    ";a=\"ctl\x01\"",
	    ";a=<b>",
	};
	struct sip_param p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sv in = sv_cstr(bad[i]);
		int rc;

		while ((rc = sip_param_next(&in, &p)) == 1)
			;
		if (rc != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
	}
}

static void
test_find_and_check(void **state)
{
	struct sip_param p;
	char many[SIP_PARAMS_MAX * 3 + 8];
	size_t n = 0;

	(void)state;
	assert_int_equal(sip_param_find(SV(";a=1;TAG=x"), SV("tag"), &p), 1);
	assert_true(sv_eq(p.value, SV("x")));
	assert_int_equal(sip_param_find(SV(";a=1"), SV("tag"), &p), 0);
	assert_int_equal(sip_param_find(SV(";a=1;;"), SV("tag"), &p), -EBADMSG);
	assert_int_equal(sip_param_check(SV("")), 0);
	assert_int_equal(sip_param_check(SV(";a;b=2")), 2);
	for (unsigned i = 0; i <= SIP_PARAMS_MAX; i++) {
		many[n++] = ';';
		many[n++] = 'p';
	}
	assert_int_equal(sip_param_check(sv_make(many, n)), -E2BIG);
	assert_int_equal(
	    sip_param_find(sv_make(many, n), SV("zz"), &p), -E2BIG);
}

static void
test_quoted_string(void **state)
{
	struct sv inner, rest;

	(void)state;
	assert_int_equal(
	    sip_quoted_string(SV("\"a\\\\\" rest"), &inner, &rest), 0);
	assert_true(sv_eq(inner, SV("a\\\\")));
	assert_true(sv_eq(rest, SV(" rest")));
	assert_int_equal(sip_quoted_string(SV("abc"), &inner, &rest), -EBADMSG);
	assert_int_equal(
	    sip_quoted_string(SV("\"abc\\"), &inner, &rest), -EBADMSG);
	assert_int_equal(
	    sip_quoted_string(SV("\"\x7f\""), &inner, &rest), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_next),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_find_and_check),
	    cmocka_unit_test(test_quoted_string),
	};

	return cmocka_run_group_tests_name("sip_param", tests, NULL, NULL);
}
