/* Unit tests for string views. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/mem.h"
#include "core/sv.h"

static void
test_split(void **state)
{
	struct sv in = SV("a;b;c"), head;

	(void)state;
	assert_true(sv_split(&in, ';', &head));
	assert_true(sv_eq(head, SV("a")));
	assert_true(sv_eq(in, SV("b;c")));
	assert_true(sv_split(&in, ';', &head));
	assert_false(sv_split(&in, ';', &head));
	assert_true(sv_eq(in, SV("c")));
	in = SV_NULL;
	assert_false(sv_split(&in, ';', &head));
}

static void
test_compare(void **state)
{
	(void)state;
	assert_true(sv_ieq(SV("Via"), SV("vIA")));
	assert_false(sv_ieq(SV("Via"), SV("Vie")));
	assert_false(sv_ieq(SV("Via"), SV("Vi")));
	assert_true(sv_istarts_with(SV("SIP/2.0"), SV("sip/")));
	assert_false(sv_starts_with(SV("SIP"), SV("SIP/")));
	assert_int_equal(sv_find_char(SV("abc"), 'c'), 2);
	assert_int_equal(sv_find_char(SV_NULL, 'c'), -1);
}

static void
test_trim(void **state)
{
	(void)state;
	assert_true(sv_eq(sv_trim(SV(" \t\r\n x y \r\n")), SV("x y")));
	assert_true(sv_eq(sv_trim(SV("   ")), SV("")));
}

static void
test_to_u32(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_int_equal(sv_to_u32(SV("0068"), 255, &v), 0);
	assert_int_equal(v, 68);
	assert_int_equal(sv_to_u32(SV("4294967295"), UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(sv_to_u32(SV("4294967296"), UINT32_MAX, &v), -ERANGE);
	assert_int_equal(sv_to_u32(SV("256"), 255, &v), -ERANGE);
	assert_int_equal(sv_to_u32(SV("9"), 5, &v), -ERANGE);
	assert_int_equal(sv_to_u32(SV(""), 5, &v), -EINVAL);
	assert_int_equal(sv_to_u32(SV("-1"), 5, &v), -EINVAL);
	assert_int_equal(sv_to_u32(SV("1 "), 5, &v), -EINVAL);
	assert_int_equal(
	    sv_to_u32(SV("99999999999999999999999"), UINT32_MAX, &v), -ERANGE);
}

static void
test_utf8(void **state)
{
	uint32_t cp = 0;

	(void)state;
	assert_int_equal(sv_utf8_seq(SV("a"), 0, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(sv_utf8_seq(SV("\xc3\xa9"), 0, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(sv_utf8_seq(SV("\xe2\x82\xac"), 0, &cp), 3);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(sv_utf8_seq(SV("\xf0\x9f\x93\x9e"), 0, &cp), 4);
	assert_int_equal(cp, 0x1f4de);
	assert_int_equal(sv_utf8_seq(SV("\xc0\x80"), 0, &cp), 0); /* overlong */
	assert_int_equal(sv_utf8_seq(SV("\xe0\x80\x80"), 0, &cp), 0);
	assert_int_equal(sv_utf8_seq(SV("\xed\xa0\x80"), 0, &cp), 0);
	assert_int_equal(sv_utf8_seq(SV("\xf4\x90\x80\x80"), 0, &cp), 0);
	assert_int_equal(sv_utf8_seq(SV("\xe2\x82"), 0, &cp), 0); /* cut */
	assert_int_equal(sv_utf8_seq(SV("\x80"), 0, &cp), 0);
	assert_int_equal(sv_utf8_seq(SV("x\xc3\xa9"), 1, &cp), 2);
}

static void
test_strdup(void **state)
{
	char *s;

	(void)state;
	s = sv_strdup(SV("abc"));
	assert_non_null(s);
	assert_string_equal(s, "abc");
	free(s);
	mem_fail_nth(1);
	assert_null(sv_strdup(SV("abc")));
	mem_fail_nth(0);
}

static void
test_name_index(void **state)
{
	static const char *const names[] = {"udp", NULL, "tls"};

	(void)state;
	assert_int_equal(sv_name_index(SV("udp"), names, 3), 0);
	assert_int_equal(sv_name_index(SV("tls"), names, 3), 2);
	assert_int_equal(sv_name_index(SV("UDP"), names, 3), -1);
	assert_int_equal(sv_name_index(SV("ud"), names, 3), -1);
	assert_int_equal(sv_name_index(SV_NULL, names, 3), -1);
}

static void
test_duration(void **state)
{
	static const char *const bad[] = {"", "s", "1", "0s", "-1s", "1x",
	    "1 h", " 1h", "1hh", "1.5h", "4294967296s", "11w"};
	int64_t v = 0;

	(void)state;
	assert_int_equal(sv_to_duration_s(SV("30s"), 3600, &v), 0);
	assert_int_equal(v, 30);
	assert_int_equal(sv_to_duration_s(SV("15m"), 3600, &v), 0);
	assert_int_equal(v, 900);
	assert_int_equal(sv_to_duration_s(SV("1h"), 3600, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(sv_to_duration_s(SV("2h"), 3600, &v), -EINVAL);
	assert_int_equal(sv_to_duration_s(SV("7d"), 86400 * 70, &v), 0);
	assert_int_equal(v, 7 * 86400);
	assert_int_equal(sv_to_duration_s(SV("10w"), 86400 * 70, &v), 0);
	assert_int_equal(v, 70 * 86400);
	assert_int_equal(sv_to_duration_s(SV("1s"), 0, &v), -EINVAL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    sv_to_duration_s(sv_cstr(bad[i]), 86400 * 70, &v), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_trim),
	    cmocka_unit_test(test_to_u32),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_strdup),
	    cmocka_unit_test(test_name_index),
	    cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests_name("core_sv", tests, NULL, NULL);
}
