/* Unit tests for addresses, networks and network sets. R-NET-1, R-NET-2 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mem.h"
#include "policy/cidr.h"

static struct cidr_addr
A(const char *s) {
	struct cidr_addr a;

	assert_int_equal(cidr_addr_parse(sv_cstr(s), &a), 0);
	return a;
}

static struct cidr
N(const char *s) {
	struct cidr n;

	assert_int_equal(cidr_parse(sv_cstr(s), &n), 0);
	return n;
}

static void
expect_bad(const char *s)
{
	struct cidr n;

	assert_int_equal(cidr_parse(sv_cstr(s), &n), -EINVAL);
}

static struct cidr_set *
set_of(const char *const *nets, size_t n)
{
	struct cidr_set *s = NULL;

	assert_int_equal(cidr_set_new(&s), 0);
	for (size_t i = 0; i < n; i++) {
		struct cidr c = N(nets[i]);

		assert_int_equal(cidr_set_add(s, &c), 0);
	}
	return s;
}

static bool
has(const struct cidr_set *s, const char *addr)
{
	struct cidr_addr a = A(addr);

	return cidr_set_contains(s, &a);
}

/* Parsing of networks and the choice to refuse host bits. R-NET-1 */
static void
test_parse(void **state)
{
	struct cidr n;
	char buf[CIDR_ADDR_STRLEN];

	(void)state;
	n = N("192.0.2.0/24");
	assert_int_equal(n.net.family, AF_INET);
	assert_int_equal(n.prefix_len, 24);
	n = N("192.0.2.7");
	assert_int_equal(n.prefix_len, 32);
	n = N("0.0.0.0/0");
	assert_int_equal(n.prefix_len, 0);
	n = N("2001:db8::/32");
	assert_int_equal(n.net.family, AF_INET6);
	assert_int_equal(n.prefix_len, 32);
	n = N("2001:db8::1");
	assert_int_equal(n.prefix_len, 128);
	n = N("::/0");
	assert_int_equal(n.prefix_len, 0);
	n = N("2001:db8::1/128");
	assert_int_equal(n.prefix_len, 128);
	/* Mapped IPv4 becomes IPv4, its prefix shifted by 96. */
	n = N("::ffff:10.0.0.0/104");
	assert_int_equal(n.net.family, AF_INET);
	assert_int_equal(n.prefix_len, 8);
	n = N("::ffff:192.0.2.1");
	assert_int_equal(n.net.family, AF_INET);
	assert_int_equal(n.prefix_len, 32);
	assert_int_equal(cidr_addr_format(&n.net, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "192.0.2.1");
	assert_int_equal(cidr_addr_format(&n.net, buf, 4), -ENOSPC);

	/* Host bits set: refused, not widened. */
	expect_bad("192.0.2.7/24");
	expect_bad("10.0.0.1/0");
	expect_bad("2001:db8::1/32");
	/* Prefix too long, empty, signed, spaced, not decimal. */
	expect_bad("192.0.2.0/33");
	expect_bad("2001:db8::/129");
	expect_bad("::ffff:10.0.0.0/95");
	expect_bad("192.0.2.0/");
	expect_bad("192.0.2.0/-1");
	expect_bad("192.0.2.0/ 24");
	expect_bad("192.0.2.0/2a");
	expect_bad("192.0.2.0/0024");
	expect_bad("192.0.2.0/24/24");
	/* Bad addresses. */
	expect_bad("");
	expect_bad("/24");
	expect_bad("192.0.2");
	expect_bad("192.0.2.256");
	expect_bad("010.0.0.1");
	expect_bad("0x7f.0.0.1");
	expect_bad("192.0.2.1 ");
	expect_bad("fe80::1%eth0");
	expect_bad("[2001:db8::1]");
	expect_bad("2001:db8:::1");
	expect_bad("example.com");
	expect_bad("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa/128");
	{
		const char nul[] = "10.0.0.1\0/8";

		assert_int_equal(
		    cidr_parse(sv_make(nul, sizeof(nul) - 1), &n), -EINVAL);
	}
}

/* Addresses from sockets and bytes; mapped IPv6 is the IPv4 peer. */
static void
test_addr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct cidr_addr a, b;
	const uint8_t v4[4] = {192, 0, 2, 1};

	(void)state;
	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	assert_int_equal(
	    inet_pton(AF_INET6, "::ffff:192.0.2.1", &in6->sin6_addr), 1);
	assert_int_equal(cidr_addr_from_sockaddr(&ss, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(cidr_addr_from_bytes(AF_INET, v4, &b), 0);
	assert_true(cidr_addr_eq(&a, &b));
	cidr_addr_to_sockaddr(&b, &ss);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(cidr_addr_from_sockaddr(&ss, &a), 0);
	assert_true(cidr_addr_eq(&a, &b));
	b = A("2001:db8::5");
	cidr_addr_to_sockaddr(&b, &ss);
	assert_int_equal(cidr_addr_from_sockaddr(&ss, &a), 0);
	assert_true(cidr_addr_eq(&a, &b));
	ss.ss_family = AF_UNIX;
	assert_int_equal(cidr_addr_from_sockaddr(&ss, &a), -EAFNOSUPPORT);
	assert_int_equal(cidr_addr_from_bytes(AF_UNIX, v4, &a), -EAFNOSUPPORT);
	assert_int_equal(cidr_addr_parse(SV("10.0.0.0/8"), &a), -EINVAL);
}

/* Edges of /0, /32, /128 and merged ranges. R-NET-1 */
static void
test_set_lookup(void **state)
{
	static const char *const nets[] = {"192.0.2.0/24", "198.51.100.7",
	    "10.0.0.0/8", "10.1.0.0/16", "2001:db8::/32", "2001:db8::/48",
	    "2001:db8:ffff::1/128", "192.0.3.0/24"};
	static const char *const all[] = {"0.0.0.0/0", "::/0"};
	static const char *const top[] = {"255.255.255.255/32",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", "::/128"};
	struct cidr_set *s = set_of(nets, RP_ARRAY_LEN(nets)), *d = NULL;
	struct cidr n = N("192.0.2.0/24");

	(void)state;
	/* 192.0.2.0/24 and 192.0.3.0/24 merge; 10.1/16 is inside 10/8,
	 * and the /48 and /128 inside 2001:db8::/32. */
	assert_int_equal(cidr_set_count(s), 4);
	assert_true(has(s, "192.0.2.0"));
	assert_true(has(s, "192.0.2.255"));
	assert_true(has(s, "192.0.3.255"));
	assert_false(has(s, "192.0.1.255"));
	assert_false(has(s, "192.0.4.0"));
	assert_true(has(s, "198.51.100.7"));
	assert_false(has(s, "198.51.100.6"));
	assert_false(has(s, "198.51.100.8"));
	assert_true(has(s, "10.255.255.255"));
	assert_false(has(s, "11.0.0.0"));
	assert_false(has(s, "0.0.0.0"));
	assert_true(has(s, "2001:db8::"));
	assert_true(has(s, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(has(s, "2001:db9::"));
	assert_false(has(s, "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_false(has(s, "::"));
	/* Families do not mix: mapped IPv4 is IPv4. */
	assert_true(has(s, "::ffff:10.2.3.4"));
	assert_false(has(s, "::a02:304"));
	assert_true(
	    cidr_contains(&n, &(struct cidr_addr){AF_INET, {192, 0, 2, 9}}));
	assert_false(
	    cidr_contains(&n, &(struct cidr_addr){AF_INET6, {192, 0, 2, 9}}));
	assert_int_equal(cidr_set_dup(s, &d), 0);
	assert_true(has(d, "10.9.9.9"));
	assert_int_equal(cidr_set_count(d), 4);
	cidr_set_free(d);
	cidr_set_free(s);

	s = set_of(all, 2);
	assert_true(has(s, "0.0.0.0"));
	assert_true(has(s, "255.255.255.255"));
	assert_true(has(s, "::"));
	assert_true(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	cidr_set_free(s);

	s = set_of(top, 3);
	assert_true(has(s, "255.255.255.255"));
	assert_false(has(s, "255.255.255.254"));
	assert_true(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	assert_true(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
	assert_false(has(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd"));
	assert_true(has(s, "::"));
	assert_false(has(s, "::1"));
	cidr_set_free(s);

	/* Empty and NULL sets hold nothing. */
	assert_int_equal(cidr_set_new(&s), 0);
	assert_false(has(s, "10.0.0.1"));
	assert_false(has(NULL, "10.0.0.1"));
	assert_int_equal(cidr_set_count(NULL), 0);
	assert_int_equal(cidr_set_dup(NULL, &d), 0);
	assert_int_equal(cidr_set_count(d), 0);
	cidr_set_free(d);
	cidr_set_free(s);
	cidr_set_free(NULL);
}

/* Many single addresses, checked against a linear scan. */
static void
test_set_many(void **state)
{
	struct cidr_set *s = NULL;
	uint32_t x = 12345;

	(void)state;
	assert_int_equal(cidr_set_new(&s), 0);
	for (int i = 0; i < 2000; i++) {
		struct cidr c = {.prefix_len = 32};

		c.net.family = AF_INET;
		c.net.bytes[0] = 10;
		c.net.bytes[1] = 0;
		c.net.bytes[2] = (uint8_t)(i / 128);
		c.net.bytes[3] = (uint8_t)((i % 128) * 2);
		assert_int_equal(cidr_set_add(s, &c), 0);
	}
	assert_int_equal(cidr_set_count(s), 2000);
	for (int i = 0; i < 5000; i++) {
		struct cidr_addr a = {.family = AF_INET};

		x = x * 1103515245u + 12345u;
		a.bytes[0] = 10;
		a.bytes[2] = (uint8_t)((x >> 8) % 20);
		a.bytes[3] = (uint8_t)(x >> 20);
		assert_int_equal(cidr_set_contains(s, &a),
		    a.bytes[2] < 15 || (a.bytes[2] == 15 && a.bytes[3] < 160)
		        ? (a.bytes[3] % 2 == 0)
		        : false);
	}
	cidr_set_free(s);
}

struct bad_lines {
	unsigned n;
	unsigned lines[8];
};

static void
on_bad(void *ctx, unsigned line, const char *reason)
{
	struct bad_lines *b = ctx;

	assert_non_null(reason);
	if (b->n < 8)
		b->lines[b->n] = line;
	b->n++;
}

static void
temp_file(char *path, size_t size, const char *content, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, size, "%s/rp_cidr_XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Blocklist files: comments, blanks, CRLF, trailing spaces, bad lines
 * reported by number. R-NET-2 */
static void
test_load(void **state)
{
	static const char text[] = "# public SIP blocklist\n"
	                           "\n"
	                           "192.0.2.1\n"
	                           "198.51.100.0/24   \r\n"
	                           "; another comment style\n"
	                           "  203.0.113.5 # trailing comment\n"
	                           "not-an-address\n"
	                           "2001:db8:bad::/48\t\n"
	                           "192.0.2.9/24\n"
	                           "10.0.0.300\n"
	                           "2001:db8::1/129";
	char path[4096], big[CIDR_LINE_MAX + 20];
	struct bad_lines b = {0};
	struct cidr_set *s = NULL;
	unsigned good = 0, nbad = 0;

	(void)state;
	temp_file(path, sizeof(path), text, sizeof(text) - 1);
	assert_int_equal(cidr_set_load(path, &s, on_bad, &b), 0);
	unlink(path);
	assert_int_equal(b.n, 4);
	assert_int_equal(b.lines[0], 7);
	assert_int_equal(b.lines[1], 9);
	assert_int_equal(b.lines[2], 10);
	assert_int_equal(b.lines[3], 11);
	assert_true(has(s, "192.0.2.1"));
	assert_false(has(s, "192.0.2.2"));
	assert_true(has(s, "198.51.100.200"));
	assert_true(has(s, "203.0.113.5"));
	assert_true(has(s, "2001:db8:bad:ffff::1"));
	assert_false(has(s, "2001:db8::1"));
	cidr_set_free(s);
	s = NULL;

	/* All bad: an error; comments only: an empty set. */
	memset(&b, 0, sizeof(b));
	temp_file(path, sizeof(path), "x\n# c\ny\n", 8);
	assert_int_equal(cidr_set_load(path, &s, on_bad, &b), -EINVAL);
	unlink(path);
	assert_null(s);
	assert_int_equal(b.n, 2);
	assert_int_equal(b.lines[1], 3);
	temp_file(path, sizeof(path), "# only\n\n", 8);
	assert_int_equal(cidr_set_load(path, &s, NULL, NULL), 0);
	unlink(path);
	assert_int_equal(cidr_set_count(s), 0);

	/* A line too long, from a text in memory; bad lines leave the set
	 * unchanged when every entry is bad. */
	memset(big, ' ', sizeof(big));
	memcpy(big, "10.0.0.1", 8);
	big[sizeof(big) - 1] = '\n';
	assert_int_equal(cidr_set_add_lines(s, sv_make(big, sizeof(big)), NULL,
	                     NULL, &good, &nbad),
	    -EINVAL);
	assert_int_equal(good, 0);
	assert_int_equal(nbad, 1);
	assert_int_equal(cidr_set_count(s), 0);
	assert_int_equal(cidr_set_add_lines(s, SV("10.0.0.1\r\n::1"), NULL,
	                     NULL, &good, &nbad),
	    0);
	assert_int_equal(good, 2);
	assert_int_equal(nbad, 0);
	assert_true(has(s, "::1"));
	cidr_set_free(s);

	assert_int_equal(
	    cidr_set_load("/nonexistent/rp", &s, NULL, NULL), -ENOENT);
}

/* Every allocation failure is reported and leaks nothing. */
static void
test_oom(void **state)
{
	struct cidr_set *s = NULL, *d = NULL;
	struct cidr c = N("10.0.0.0/8"), c6 = N("2001:db8::/32");
	char path[4096];
	int rc;

	(void)state;
	mem_fail_nth(1);
	assert_int_equal(cidr_set_new(&s), -ENOMEM);
	assert_int_equal(cidr_set_new(&s), 0);
	mem_fail_nth(1);
	assert_int_equal(cidr_set_add(s, &c), -ENOMEM);
	assert_int_equal(cidr_set_count(s), 0);
	assert_int_equal(cidr_set_add(s, &c), 0);
	assert_int_equal(cidr_set_add(s, &c6), 0);
	for (unsigned long n = 1; n <= 3; n++) {
		mem_fail_nth(n);
		assert_int_equal(cidr_set_dup(s, &d), -ENOMEM);
	}
	mem_fail_nth(0);
	assert_int_equal(cidr_set_count(s), 2);
	cidr_set_free(s);
	/* The second entry's allocation fails: nothing is added. */
	assert_int_equal(cidr_set_new(&s), 0);
	mem_fail_nth(2);
	assert_int_equal(
	    cidr_set_add_lines(s, SV("::1\n1.2.3.4\n"), NULL, NULL, NULL, NULL),
	    -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(cidr_set_count(s), 0);
	assert_false(has(s, "::1"));
	cidr_set_free(s);

	temp_file(path, sizeof(path), "10.0.0.1\n", 9);
	for (unsigned long n = 1;; n++) {
		s = NULL;
		mem_fail_nth(n);
		rc = cidr_set_load(path, &s, NULL, NULL);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_null(s);
	}
	unlink(path);
	assert_true(has(s, "10.0.0.1"));
	cidr_set_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_set_lookup),
	    cmocka_unit_test(test_set_many),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
