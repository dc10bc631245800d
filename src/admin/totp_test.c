/* Unit tests for TOTP codes and enrolment (R-AUTH-6). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin/totp.h"

/* RFC 6238 Appendix B: the SHA-1 seed, and the last 6 digits of its
 * 8-digit codes. */
static const uint8_t rfc_seed[] = "12345678901234567890";
#define SEED_LEN 20u

static void
test_rfc6238_vectors(void **state)
{
	static const struct {
		int64_t t;
		const char *code;
	} v[] = {
	    {59, "287082"},
	    {1111111109, "081804"},
	    {1111111111, "050471"},
	    {1234567890, "005924"},
	    {2000000000, "279037"},
	    {20000000000LL, "353130"},
	};
	char code[TOTP_CODE_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(
		    totp_code(rfc_seed, SEED_LEN, v[i].t, code), 0);
		assert_string_equal(code, v[i].code);
	}
	assert_int_equal(totp_code(rfc_seed, 0, 59, code), -EINVAL);
	assert_int_equal(totp_code(rfc_seed, SEED_LEN, -1, code), -EINVAL);
}

/* One step either side is accepted, two are not. */
static void
test_window(void **state)
{
	int64_t step = 0;

	(void)state;
	/* 1111111111 is step 37037037; 1111111109 is step 37037036. */
	assert_int_equal(
	    totp_verify(rfc_seed, SEED_LEN, 1111111111, SV("050471"), 0, &step),
	    0);
	assert_int_equal(step, 37037037);
	assert_int_equal(totp_verify(rfc_seed, SEED_LEN, 1111111109 + 30,
	                     SV("081804"), 0, &step),
	    0);
	assert_int_equal(step, 37037036);
	assert_int_equal(totp_verify(rfc_seed, SEED_LEN, 1111111109 - 30,
	                     SV("081804"), 0, &step),
	    0);
	assert_int_equal(totp_verify(rfc_seed, SEED_LEN, 1111111109 + 60,
	                     SV("081804"), 0, &step),
	    -EACCES);
	assert_int_equal(totp_verify(rfc_seed, SEED_LEN, 1111111109 - 60,
	                     SV("081804"), 0, &step),
	    -EACCES);
}

/* A code is never accepted twice; a later code still is. */
static void
test_replay_refused(void **state)
{
	char next[TOTP_CODE_STRLEN];
	int64_t step = 0, t = 1111111111;

	(void)state;
	assert_int_equal(
	    totp_verify(rfc_seed, SEED_LEN, t, SV("050471"), 0, &step), 0);
	assert_int_equal(
	    totp_verify(rfc_seed, SEED_LEN, t, SV("050471"), step, &step),
	    -EALREADY);
	/* An older code inside the window is a replay too. */
	assert_int_equal(
	    totp_verify(rfc_seed, SEED_LEN, t, SV("081804"), 37037037, &step),
	    -EALREADY);
	assert_int_equal(totp_code(rfc_seed, SEED_LEN, t + 30, next), 0);
	assert_int_equal(
	    totp_verify(rfc_seed, SEED_LEN, t, sv_cstr(next), 37037037, &step),
	    0);
	assert_int_equal(step, 37037038);
}

static void
test_malformed_codes(void **state)
{
	static const char *const bad[] = {
	    "", "05047", "0504711", "05047a", " 50471", "-50471", "12 456"};
	int64_t step = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(totp_verify(rfc_seed, SEED_LEN, 1111111111,
		                     sv_cstr(bad[i]), 0, &step),
		    -EACCES);
	assert_int_equal(
	    totp_verify(rfc_seed, SEED_LEN, 1111111111, SV("123456"), 0, &step),
	    -EACCES);
}

static void
test_enrolment_texts(void **state)
{
	char b32[TOTP_BASE32_STRLEN], uri[256], small[16];
	char *url = NULL;

	(void)state;
	assert_int_equal(totp_base32(rfc_seed, SEED_LEN, b32), 0);
	assert_string_equal(b32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_int_equal(totp_base32(rfc_seed, 0, b32), -EINVAL);
	assert_int_equal(
	    totp_uri("rempart", "alice", b32, uri, sizeof(uri)), 0);
	assert_string_equal(uri,
	    "otpauth://totp/rempart:alice?secret="
	    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=rempart&algorithm=SHA1"
	    "&digits=6&period=30");
	assert_int_equal(
	    totp_uri("rempart", "a b", b32, uri, sizeof(uri)), -EINVAL);
	assert_int_equal(
	    totp_uri("rempart", "alice", b32, small, sizeof(small)),
	    -ENAMETOOLONG);
	assert_int_equal(totp_qr_data_url(uri, &url), 0);
	assert_non_null(url);
	assert_memory_equal(url, "data:image/svg+xml;base64,", 26);
	assert_true(strlen(url) > 1000);
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc6238_vectors),
	    cmocka_unit_test(test_window),
	    cmocka_unit_test(test_replay_refused),
	    cmocka_unit_test(test_malformed_codes),
	    cmocka_unit_test(test_enrolment_texts),
	};

	if (totp_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
