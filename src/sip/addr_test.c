/* Unit tests for name-addr / addr-spec values. R-CALL-1 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/addr.h"
#include "sip/limits.h"

static bool
sv_is(struct sv v, const char *lit)
{
	return sv_present(v) && sv_eq(v, sv_cstr(lit));
}

static void
addr_ok(const char *s, struct sip_addr *a)
{
	int rc = sip_addr_parse(sv_cstr(s), a);

	if (rc != 0)
		fail_msg("'%s' gave %d", s, rc);
}

static void
contact_ok(const char *s, struct sip_addr *a)
{
	int rc = sip_contact_parse(sv_cstr(s), a);

	if (rc != 0)
		fail_msg("'%s' gave %d", s, rc);
}

static int
addr_rc(const char *s)
{
	struct sip_addr a;

	return sip_addr_parse(sv_cstr(s), &a);
}

static int
contact_rc(const char *s)
{
	struct sip_addr a;

	return sip_contact_parse(sv_cstr(s), &a);
}

/* R-CALL-1: quoted display name with escaped quotes (RFC 4475 §3.1.1.1). */
static void
test_quoted_display(void **state)
{
	struct sip_addr a;

	(void)state;
	addr_ok("\"J Rosenberg \\\\\\\"\" <sip:jdrosen@example.com>;"
	        "tag=98asjd8",
	    &a);
	assert_true(sv_is(a.display, "J Rosenberg \\\\\\\""));
	assert_true(a.display_quoted);
	assert_true(a.angle);
	assert_int_equal(a.uri.scheme, SIP_URI_SIP);
	assert_true(sv_is(a.uri.user, "jdrosen"));
	assert_true(sv_is(a.uri.host, "example.com"));
	assert_true(sv_is(a.params, ";tag=98asjd8"));
	assert_true(sv_is(a.tag, "98asjd8"));
	assert_false(a.star);
	assert_false(a.has_expires);
	assert_false(a.has_q);

	/* Quotes may hold what a token may not, and be empty. */
	addr_ok("\"Watson, Thomas <tw>\"<sip:t.watson@example.org>", &a);
	assert_true(sv_is(a.display, "Watson, Thomas <tw>"));
	addr_ok("\"\" <sip:h>", &a);
	assert_true(a.display_quoted);
	assert_true(sv_present(a.display));
	assert_int_equal(a.display.len, 0);
	addr_ok("\"%Z%45\" <sip:resources@example.com>", &a);
	assert_true(sv_is(a.display, "%Z%45"));
	addr_ok("\"caf\xc3\xa9\" <sip:h>", &a);

	assert_int_equal(
	    addr_rc("\"Mr. J. User <sip:j.user@example.com>"), -EBADMSG);
	assert_int_equal(addr_rc("\"A\" sip:a@h"), -EBADMSG);
	assert_int_equal(addr_rc("\"A\""), -EBADMSG);
	assert_int_equal(addr_rc("\"A\" B <sip:a@h>"), -EBADMSG);
	assert_int_equal(addr_rc("\"a\\\r\n b\" <sip:h>"), -EBADMSG);
	assert_int_equal(addr_rc("\"a\x01\" <sip:h>"), -EBADMSG);
}

static void
test_token_display(void **state)
{
	struct sip_addr a;

	(void)state;
	addr_ok("Bob Smith <sip:bob@biloxi.com>", &a);
	assert_true(sv_is(a.display, "Bob Smith"));
	assert_false(a.display_quoted);
	assert_true(a.angle);
	assert_true(sv_is(a.uri.host, "biloxi.com"));
	assert_false(sv_present(a.tag));
	assert_true(sv_present(a.params));
	assert_int_equal(a.params.len, 0);
	addr_ok("Bob<sip:b@h>", &a);
	assert_true(sv_is(a.display, "Bob"));
	addr_ok("  <sip:b@h>  ", &a);
	assert_false(sv_present(a.display));
	assert_false(a.display_quoted);
	addr_ok("A.b-c!%*_+`'~ <sip:h>", &a);
	assert_true(sv_is(a.display, "A.b-c!%*_+`'~"));

	/* RFC 4475 §3.1.2.17: a comma needs quotes. */
	assert_int_equal(
	    addr_rc("Bell, Alexander <sip:a.g.bell@bell-tel.com>;tag=43"),
	    -EBADMSG);
	assert_int_equal(addr_rc("Alice sip:a@h"), -EBADMSG);
	assert_int_equal(addr_rc("Alice (x) <sip:a@h>"), -EBADMSG);
	assert_int_equal(addr_rc("Alice"), -EBADMSG);
}

/* R-CALL-1: RFC 3261 §20: in addr-spec form every ';' starts a header
 * parameter; in name-addr form the URI keeps its own. */
static void
test_addr_spec(void **state)
{
	struct sip_addr a;

	(void)state;
	addr_ok("sip:alice@atlanta.com;tag=1928301774", &a);
	assert_false(a.angle);
	assert_false(sv_present(a.display));
	assert_true(sv_is(a.uri.raw, "sip:alice@atlanta.com"));
	assert_false(sv_present(a.uri.params));
	assert_true(sv_is(a.params, ";tag=1928301774"));
	assert_true(sv_is(a.tag, "1928301774"));

	addr_ok("sip:alice@atlanta.com;transport=tcp", &a);
	assert_false(sv_present(a.uri.transport));
	assert_true(sv_is(a.params, ";transport=tcp"));

	addr_ok("<sip:alice@atlanta.com;transport=tcp>;tag=x", &a);
	assert_true(a.angle);
	assert_true(sv_is(a.uri.transport, "tcp"));
	assert_true(sv_is(a.uri.params, ";transport=tcp"));
	assert_true(sv_is(a.params, ";tag=x"));
	assert_true(sv_is(a.tag, "x"));

	addr_ok("  sip:a@h \t;tag=x ; foo = \"bar\" ", &a);
	assert_true(sv_is(a.uri.raw, "sip:a@h"));
	assert_true(sv_is(a.params, ";tag=x ; foo = \"bar\""));
	assert_true(sv_is(a.tag, "x"));
	addr_ok("sip:[2001:db8::10]:5070;tag=1", &a);
	assert_int_equal(a.uri.host_type, SIP_HOST_IPV6);
	assert_int_equal(a.uri.port, 5070);
	addr_ok("tel:+1-201-555-0123;tag=9", &a);
	assert_int_equal(a.uri.scheme, SIP_URI_TEL);
	assert_true(sv_is(a.tag, "9"));
	addr_ok("isbn:2983792873", &a);
	assert_int_equal(a.uri.scheme, SIP_URI_OTHER);
	addr_ok("<urn:service:sos>", &a);
	assert_true(sv_is(a.uri.opaque, "service:sos"));

	/* RFC 4475 §3.1.2.9: '?' (and ',') need the angle brackets. */
	assert_int_equal(
	    addr_rc("sip:user@example.com?Route=%3Csip:sip.example.com%3E"),
	    -EBADMSG);
	addr_ok("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>", &a);
	assert_true(sv_is(a.uri.headers, "Route=%3Csip:sip.example.com%3E"));
	assert_int_equal(addr_rc("sip:a,b@h"), -EBADMSG);
	addr_ok("<sip:a,b@h>", &a);
	assert_int_equal(addr_rc("sip:a@h x"), -EBADMSG);
	assert_int_equal(addr_rc("sip:a;x@h"), -EBADMSG);
	assert_int_equal(addr_rc("sip:"), -EBADMSG);
	assert_int_equal(addr_rc("sip:a@h;"), -EBADMSG);
	assert_int_equal(addr_rc("sip:h:65536"), -ERANGE);
}

/* R-CALL-1: RFC 4475 §3.1.2.12 and bracket balance. */
static void
test_brackets(void **state)
{
	(void)state;
	assert_int_equal(
	    addr_rc("\"Watson, Thomas\" < sip:t.watson@example.org >"),
	    -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h >"), -EBADMSG);
	assert_int_equal(addr_rc("< sip:a@h>"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h\r\n >"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h"), -EBADMSG);
	assert_int_equal(addr_rc("sip:a@h>"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>>"), -EBADMSG);
	assert_int_equal(addr_rc("<<sip:a@h>>"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>x"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h> <sip:b@h>"), -EBADMSG);
	assert_int_equal(addr_rc("<>"), -EBADMSG);
	assert_int_equal(addr_rc("<"), -EBADMSG);
	assert_int_equal(addr_rc(">"), -EBADMSG);
	assert_int_equal(addr_rc(""), -EBADMSG);
	assert_int_equal(addr_rc(" \r\n\t"), -EBADMSG);
	assert_int_equal(
	    sip_addr_parse(SV_NULL, &(struct sip_addr){0}), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;=x"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;a=\"x"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;a=b c"), -EBADMSG);
}

/* R-CALL-1: folded lines are LWS between the parts. */
static void
test_folded(void **state)
{
	struct sip_addr a;

	(void)state;
	addr_ok("\"Alice\"\r\n <sip:alice@h>\r\n ;tag=1", &a);
	assert_true(sv_is(a.display, "Alice"));
	assert_true(sv_is(a.tag, "1"));
	addr_ok("Alice\r\n\tSmith\r\n <sip:a@h>;\r\n tag=2", &a);
	assert_true(sv_is(a.display, "Alice\r\n\tSmith"));
	assert_true(sv_is(a.tag, "2"));
	addr_ok("\r\n sip:a@h\r\n ;tag=3\r\n", &a);
	assert_true(sv_is(a.uri.raw, "sip:a@h"));
	assert_true(sv_is(a.tag, "3"));
	assert_true(sv_is(a.params, ";tag=3"));
	assert_int_equal(addr_rc("<sip:a@\r\n h>"), -EBADMSG);
}

static void
test_tag(void **state)
{
	struct sip_addr a;

	(void)state;
	addr_ok("<sip:a@h>;TAG=abc;x=1", &a);
	assert_true(sv_is(a.tag, "abc"));
	addr_ok("<sip:a@h;tag=x>", &a);
	assert_false(sv_present(a.tag));
	addr_ok("<sip:a@h>;x=1", &a);
	assert_false(sv_present(a.tag));
	/* From may carry q and expires as generic parameters. */
	addr_ok("<sip:a@h>;q=abc;expires=x", &a);
	assert_false(a.has_q);
	assert_false(a.has_expires);

	assert_int_equal(addr_rc("<sip:a@h>;tag=1;tag=2"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;tag"), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;tag="), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;tag=\"x\""), -EBADMSG);
	assert_int_equal(addr_rc("<sip:a@h>;tag=[::1]"), -EBADMSG);
}

/* R-CALL-1: Contact: *, expires and q. */
static void
test_contact(void **state)
{
	struct sip_addr a;

	(void)state;
	contact_ok("*", &a);
	assert_true(a.star);
	contact_ok(" \t*\r\n ", &a);
	assert_true(a.star);
	assert_int_equal(addr_rc("*"), -EBADMSG);
	assert_int_equal(contact_rc("*;expires=0"), -EBADMSG);
	assert_int_equal(contact_rc("**"), -EBADMSG);
	assert_int_equal(contact_rc(""), -EBADMSG);
	contact_ok("* <sip:a@h>", &a);
	assert_false(a.star);
	assert_true(sv_is(a.display, "*"));

	contact_ok("<sip:a@h>;expires=0;q=0", &a);
	assert_false(a.star);
	assert_true(a.has_expires);
	assert_int_equal(a.expires, 0);
	assert_true(a.has_q);
	assert_int_equal(a.q, 0);
	contact_ok("<sip:a@h>;Expires=4294967295", &a);
	assert_int_equal(a.expires, UINT32_MAX);
	contact_ok("sip:a@h;expires=3600;q=0.7", &a);
	assert_false(a.angle);
	assert_int_equal(a.expires, 3600);
	assert_int_equal(a.q, 700);

	static const struct {
		const char *q;
		uint16_t v;
	} good[] = {
	    {"0", 0},
	    {"0.", 0},
	    {"0.5", 500},
	    {"0.05", 50},
	    {"0.123", 123},
	    {"0.999", 999},
	    {"1", 1000},
	    {"1.", 1000},
	    {"1.0", 1000},
	    {"1.00", 1000},
	    {"1.000", 1000},
	};
	static const char *const bad[] = {
	    "1.001",
	    "0.1234",
	    "2",
	    "1.5",
	    ".5",
	    "",
	    "0.a",
	    "01",
	    "00.5",
	    "-0",
	    "0,5",
	    "\"0.5\"",
	    "1.0000",
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(buf, sizeof(buf), "<sip:a@h>;q=%s", good[i].q);
		contact_ok(buf, &a);
		assert_true(a.has_q);
		assert_int_equal(a.q, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "<sip:a@h>;q=%s", bad[i]);
		if (contact_rc(buf) != -EBADMSG)
			fail_msg("'%s' accepted", buf);
	}
	assert_int_equal(contact_rc("<sip:a@h>;q"), -EBADMSG);
	assert_int_equal(contact_rc("<sip:a@h>;q=1;q=0"), -EBADMSG);

	assert_int_equal(contact_rc("<sip:a@h>;expires=4294967296"), -ERANGE);
	/* RFC 4475 §3.1.2.4. */
	assert_int_equal(contact_rc("<sip:user@host129.example.com:1>;"
	                            "expires=280297596632815"),
	    -ERANGE);
	assert_int_equal(contact_rc("<sip:a@h>;expires=abc"), -EBADMSG);
	assert_int_equal(contact_rc("<sip:a@h>;expires=-1"), -EBADMSG);
	assert_int_equal(contact_rc("<sip:a@h>;expires"), -EBADMSG);
	assert_int_equal(contact_rc("<sip:a@h>;expires=\"1\""), -EBADMSG);
	assert_int_equal(contact_rc("<sip:a@h>;expires=1;expires=2"), -EBADMSG);
	assert_int_equal(contact_rc("<sip:a@h>;tag=1;tag=2"), -EBADMSG);
}

/* R-CALL-1: limits on the URI, the parameters and the whole value. */
static void
test_limits(void **state)
{
	char *buf;
	size_t n;
	struct sip_addr a;

	(void)state;
	buf = malloc(SIP_HEADER_LEN_MAX + 1);
	assert_non_null(buf);

	/* "<sip:" + a's + ">": a URI of SIP_URI_MAX bytes, then one more. */
	memcpy(buf, "<sip:", 5);
	memset(buf + 5, 'a', SIP_URI_MAX);
	buf[SIP_URI_MAX + 1] = '>';
	assert_int_equal(sip_addr_parse(sv_make(buf, SIP_URI_MAX + 2), &a), 0);
	assert_int_equal(a.uri.raw.len, SIP_URI_MAX);
	buf[SIP_URI_MAX + 1] = 'a';
	buf[SIP_URI_MAX + 2] = '>';
	assert_int_equal(
	    sip_addr_parse(sv_make(buf, SIP_URI_MAX + 3), &a), -E2BIG);

	memcpy(buf, "<sip:h>", 7);
	n = 7;
	for (unsigned i = 0; i < SIP_PARAMS_MAX; i++) {
		memcpy(buf + n, ";p", 2);
		n += 2;
	}
	assert_int_equal(sip_addr_parse(sv_make(buf, n), &a), 0);
	memcpy(buf + n, ";p", 2);
	assert_int_equal(sip_addr_parse(sv_make(buf, n + 2), &a), -E2BIG);
	assert_int_equal(sip_contact_parse(sv_make(buf, n + 2), &a), -E2BIG);

	memset(buf, ' ', SIP_HEADER_LEN_MAX + 1);
	memcpy(buf, "<sip:h>", 7);
	assert_int_equal(
	    sip_addr_parse(sv_make(buf, SIP_HEADER_LEN_MAX), &a), 0);
	assert_int_equal(
	    sip_addr_parse(sv_make(buf, SIP_HEADER_LEN_MAX + 1), &a), -E2BIG);
	free(buf);

	/* Nothing past the view is looked at. */
	assert_int_equal(sip_addr_parse(sv_make("<sip:h>", 6), &a), -EBADMSG);
	assert_int_equal(
	    sip_addr_parse(sv_make("\"a\" <sip:h>", 2), &a), -EBADMSG);
	assert_int_equal(
	    sip_addr_parse(sv_make("sip:h;tag=1", 9), &a), -EBADMSG);
	assert_int_equal(
	    sip_addr_parse(sv_make("sip:h;tag=1", 10), &a), -EBADMSG);
	assert_int_equal(sip_addr_parse(sv_make("sip:h;tag=12", 11), &a), 0);
	assert_true(sv_is(a.tag, "1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quoted_display),
	    cmocka_unit_test(test_token_display),
	    cmocka_unit_test(test_addr_spec),
	    cmocka_unit_test(test_brackets),
	    cmocka_unit_test(test_folded),
	    cmocka_unit_test(test_tag),
	    cmocka_unit_test(test_contact),
	    cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests_name("sip_addr", tests, NULL, NULL);
}
