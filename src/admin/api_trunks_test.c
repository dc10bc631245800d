/* Unit tests for the typed body members of the API (R-ADMIN-2): each
 * change of trunks, routes and DIDs reads its fields through them. The
 * endpoints are covered by tests/system/test_api_trunks.py against the
 * real daemon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin/api_int.h"

static json_t *
body(const char *text)
{
	json_error_t err;
	json_t *o = json_loads(text, 0, &err);

	assert_non_null(o);
	return o;
}

static void
test_member_sv(void **state)
{
	json_t *o = body("{\"a\": \"x\\u00e9\", \"b\": 1, \"c\": null, "
	                 "\"d\": [], \"e\": \"\"}");
	struct sv v = SV_NULL;

	(void)state;
	assert_int_equal(api_member_sv(o, "a", &v), 1);
	/* The length in bytes of the UTF-8 text. */
	assert_int_equal(v.len, 3);
	assert_memory_equal(v.p, "x\xc3\xa9", 3);
	assert_int_equal(api_member_sv(o, "e", &v), 1);
	assert_int_equal(v.len, 0);
	for (const char *n = "bcd"; *n != '\0'; n++) {
		char name[2] = {*n, '\0'};

		assert_int_equal(api_member_sv(o, name, &v), -EINVAL);
	}
	v = SV("kept");
	assert_int_equal(api_member_sv(o, "absent", &v), 0);
	assert_true(sv_eq(v, SV("kept")));
	json_decref(o);
}

static void
test_member_u32(void **state)
{
	json_t *o = body("{\"zero\": 0, \"one\": 1, \"max\": 65535, "
	                 "\"over\": 65536, \"neg\": -1, \"real\": 1.0, "
	                 "\"text\": \"5\", \"yes\": true, "
	                 "\"huge\": 9223372036854775807}");
	uint32_t v = 7;

	(void)state;
	assert_int_equal(api_member_u32(o, "absent", 0, 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(api_member_u32(o, "zero", 0, 10, &v), 1);
	assert_int_equal(v, 0);
	assert_int_equal(api_member_u32(o, "zero", 1, 10, &v), -EINVAL);
	assert_int_equal(api_member_u32(o, "one", 1, 1, &v), 1);
	assert_int_equal(v, 1);
	assert_int_equal(api_member_u32(o, "max", 0, 65535, &v), 1);
	assert_int_equal(v, 65535);
	assert_int_equal(api_member_u32(o, "over", 0, 65535, &v), -EINVAL);
	assert_int_equal(api_member_u32(o, "neg", 0, 65535, &v), -EINVAL);
	assert_int_equal(api_member_u32(o, "real", 0, 65535, &v), -EINVAL);
	assert_int_equal(api_member_u32(o, "text", 0, 65535, &v), -EINVAL);
	assert_int_equal(api_member_u32(o, "yes", 0, 65535, &v), -EINVAL);
	assert_int_equal(api_member_u32(o, "huge", 0, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(v, 65535);
	json_decref(o);
}

static void
test_member_bool(void **state)
{
	json_t *o = body("{\"t\": true, \"f\": false, \"n\": 1, \"s\": "
	                 "\"true\", \"z\": null}");
	bool v = true;

	(void)state;
	assert_int_equal(api_member_bool(o, "absent", &v), 0);
	assert_true(v);
	assert_int_equal(api_member_bool(o, "f", &v), 1);
	assert_false(v);
	assert_int_equal(api_member_bool(o, "t", &v), 1);
	assert_true(v);
	assert_int_equal(api_member_bool(o, "n", &v), -EINVAL);
	assert_int_equal(api_member_bool(o, "s", &v), -EINVAL);
	assert_int_equal(api_member_bool(o, "z", &v), -EINVAL);
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_member_sv),
	    cmocka_unit_test(test_member_u32),
	    cmocka_unit_test(test_member_bool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
