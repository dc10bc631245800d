/* Unit tests for the API's listening address parser and the local
 * socket's address (R-ADMIN-1). The endpoints are covered by
 * tests/system/test_api*.py and test_cli_api.py against the real
 * daemon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

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

static void
test_socket_addr(void **state)
{
	struct sockaddr_un sun;
	char path[300], want[64];
	int dirfd;

	(void)state;
	assert_int_equal(
	    api_socket_addr("/run/x/rempart.sock", &sun, &dirfd), 0);
	assert_string_equal(sun.sun_path, "/run/x/rempart.sock");
	assert_int_equal(dirfd, -1);
	assert_int_equal(api_socket_addr("", &sun, &dirfd), -EINVAL);
	/* Too long for sun_path: reached through the directory. */
	memset(path, 0, sizeof(path));
	memcpy(path, "/tmp/", 5);
	for (size_t i = 5; i < 200; i++)
		path[i] = i % 20 == 0 ? '/' : 'a';
	path[199] = '/';
	assert_int_equal(api_socket_addr(path, &sun, &dirfd), -ENOENT);
	assert_int_equal(dirfd, -1);
	/* A long name for an existing directory: /tmp/../tmp/... */
	memcpy(path, "/tmp", 5);
	for (int i = 0; i < 20; i++)
		memcpy(path + strlen(path), "/../tmp", 8);
	memcpy(path + strlen(path), "/s.sock", 8);
	assert_int_equal(api_socket_addr(path, &sun, &dirfd), 0);
	assert_true(dirfd >= 0);
	snprintf(want, sizeof(want), "/proc/self/fd/%d/", dirfd);
	assert_memory_equal(sun.sun_path, want, strlen(want));
	assert_true(strlen(sun.sun_path) < sizeof(sun.sun_path));
	close(dirfd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_socket_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
