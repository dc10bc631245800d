/* Unit tests for the API's listening address parser (R-ADMIN-1). The
 * HTTPS endpoints are covered by tests/system/test_api.py against the
 * real daemon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin/api.h"

static void
test_addr_parse(void **state)
{
	struct api_config c = {0};
	static const char *const bad[] = {"", ":", "127.0.0.1",
	    "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1",
	    "127.0.0.1: 80", "::1:8443", "[::1]", "[]:8443",
	    "host.example:8443", "1.2.3.4.5:80", "[::1:8443"};

	(void)state;
	assert_int_equal(api_addr_parse("127.0.0.1:8443", &c), 0);
	assert_string_equal(c.addr, "127.0.0.1");
	assert_int_equal(c.port, 8443);
	assert_int_equal(api_addr_parse("[::1]:443", &c), 0);
	assert_string_equal(c.addr, "::1");
	assert_int_equal(c.port, 443);
	assert_int_equal(api_addr_parse("0.0.0.0:65535", &c), 0);
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++)
		assert_int_equal(api_addr_parse(bad[i], &c), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
