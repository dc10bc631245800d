/* Unit tests for SIP, SIPS, tel and other URIs. R-CALL-1 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/limits.h"
#include "sip/uri.h"

static int
parse(const char *s, struct sip_uri *u)
{
	return sip_uri_parse(sv_cstr(s), u);
}

static int
rc_of(const char *s)
{
	struct sip_uri u;

	return parse(s, &u);
}

static void
parse_ok(const char *s, struct sip_uri *u)
{
	int rc = parse(s, u);

	if (rc != 0)
		fail_msg("'%s' gave %d", s, rc);
}

static bool
sv_is(struct sv v, const char *lit)
{
	return sv_present(v) && sv_eq(v, sv_cstr(lit));
}

/* Parses both, checks that equality is symmetric, and returns it. */
static bool
uri_eq(const char *a, const char *b)
{
	struct sip_uri x, y;

	parse_ok(a, &x);
	parse_ok(b, &y);
	assert_true(sip_uri_equal(&x, &x));
	assert_true(sip_uri_equal(&y, &y));
	assert_int_equal(sip_uri_equal(&x, &y), sip_uri_equal(&y, &x));
	return sip_uri_equal(&x, &y);
}

/* R-CALL-1: every field of a full SIPS URI. */
static void
test_sip_full(void **state)
{
	struct sip_uri u;
	const char *s = "sips:alice:secret@Example.COM:5061;transport=tls;"
	                "user=phone;method=INVITE;maddr=192.0.2.1;ttl=16;lr;"
	                "foo=bar?subject=hi&priority=urgent";

	(void)state;
	parse_ok(s, &u);
	assert_int_equal(u.scheme, SIP_URI_SIPS);
	assert_true(sv_is(u.raw, s));
	assert_true(sv_is(u.scheme_name, "sips"));
	assert_true(sv_is(u.user, "alice"));
	assert_true(sv_is(u.password, "secret"));
	assert_true(sv_is(u.host, "Example.COM"));
	assert_int_equal(u.host_type, SIP_HOST_NAME);
	assert_true(u.has_port);
	assert_int_equal(u.port, 5061);
	assert_true(sv_is(u.params, ";transport=tls;user=phone;method=INVITE;"
	                            "maddr=192.0.2.1;ttl=16;lr;foo=bar"));
	assert_true(sv_is(u.headers, "subject=hi&priority=urgent"));
	assert_false(sv_present(u.opaque));
	assert_true(sv_is(u.transport, "tls"));
	assert_true(sv_is(u.user_param, "phone"));
	assert_true(sv_is(u.method, "INVITE"));
	assert_true(sv_is(u.maddr, "192.0.2.1"));
	assert_true(u.has_ttl);
	assert_int_equal(u.ttl, 16);
	assert_true(u.lr);
}

static void
test_sip_minimal(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("SIP:example.com", &u);
	assert_int_equal(u.scheme, SIP_URI_SIP);
	assert_true(sv_is(u.scheme_name, "SIP"));
	assert_false(sv_present(u.user));
	assert_false(sv_present(u.password));
	assert_true(sv_is(u.host, "example.com"));
	assert_false(u.has_port);
	assert_int_equal(u.port, 0);
	assert_false(sv_present(u.params));
	assert_false(sv_present(u.headers));
	assert_false(sv_present(u.transport));
	assert_false(sv_present(u.user_param));
	assert_false(sv_present(u.method));
	assert_false(sv_present(u.maddr));
	assert_false(u.has_ttl);
	assert_false(u.lr);

	/* An empty password is present, unlike an absent one. */
	parse_ok("sip:alice:@h", &u);
	assert_true(sv_is(u.user, "alice"));
	assert_true(sv_present(u.password));
	assert_int_equal(u.password.len, 0);
	parse_ok("sIpS:h", &u);
	assert_int_equal(u.scheme, SIP_URI_SIPS);
}

static void
test_ipv4(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("sip:bob@192.0.2.4:5060", &u);
	assert_int_equal(u.host_type, SIP_HOST_IPV4);
	assert_true(sv_is(u.host, "192.0.2.4"));
	assert_int_equal(u.port, 5060);
	parse_ok("sip:0.0.0.0", &u);
	assert_int_equal(u.host_type, SIP_HOST_IPV4);
	parse_ok("sip:255.255.255.255", &u);
	assert_int_equal(u.host_type, SIP_HOST_IPV4);
	/* RFC 3261 allows 1*3DIGIT, so leading zeros too. */
	parse_ok("sip:010.002.3.4", &u);
	assert_int_equal(u.host_type, SIP_HOST_IPV4);
	assert_int_equal(rc_of("sip:256.1.1.1"), -EBADMSG);
	assert_int_equal(rc_of("sip:1.2.3.999"), -EBADMSG);
	assert_int_equal(rc_of("sip:1.2.3"), -EBADMSG);
	assert_int_equal(rc_of("sip:1.2.3.4.5"), -EBADMSG);
	assert_int_equal(rc_of("sip:1.2.3.0004"), -EBADMSG);
	assert_int_equal(rc_of("sip:1..2.3"), -EBADMSG);
	assert_int_equal(rc_of("sip:1.2.3.4."), -EBADMSG);
}

/* R-CALL-1: RFC 5118 IPv6 forms. */
static void
test_ipv6(void **state)
{
	struct sip_uri u;
	static const char *const good[] = {
	    "sip:[::1]",
	    "sip:[::]",
	    "sip:[1:2:3:4:5:6:7:8]",
	    "sip:[1:2:3:4:5:6:7::]",
	    "sip:[::2:3:4:5:6:7:8]",
	    "sip:[1::8]",
	    "sip:[1:2:3:4:5:6:1.2.3.4]",
	    "sip:[::192.0.2.30]",
	    "sip:[2001:db8::192.0.2.1]",
	    "sip:[fe80::ABCD:ef01]",
	    /* RFC 5118 §4.10: tolerated, though not in the grammar. */
	    "sip:[2001:db8:::192.0.2.1]",
	};
	static const char *const bad[] = {
	    "sip:user@2001:db8::10",      /* RFC 5118 §4.1: no brackets */
	    "sip:[1:2:3:4:5:6:7:8:9]",
	    "sip:[1:2:3:4:5:6:7]",
	    "sip:[1:2:3:4:5:6:7:8::]",
	    "sip:[1::2::3]",
	    "sip:[12345::]",
	    "sip:[::ffff:192.0.2.01]",
	    "sip:[::ffff:192.0.2]",
	    "sip:[::ffff:192.0.2.256]",
	    "sip:[1:2:3:4:5:6:7:1.2.3.4]",
	    "sip:[::1.2.3.4:5]",
	    "sip:[2001:db8::10",
	    "sip:[]",
	    "sip:[:]",
	    "sip:[:1]",
	    "sip:[1:]",
	    "sip:[1::2:]",
	    "sip:[:::]",
	    "sip:[g::1]",
	    "sip:[1.2.3.4]",
	    "sip:[2001:db8::10]x",
	    "sip:[2001:db8::10]:",
	    "sip:[2001:db8::10]]",
	    "sip:[[::1]]",
	    "sip:[::1%25eth0]",
	};

	(void)state;
	parse_ok("sip:[2001:db8::10]:5070", &u);
	assert_int_equal(u.host_type, SIP_HOST_IPV6);
	assert_true(sv_is(u.host, "2001:db8::10"));
	assert_true(u.has_port);
	assert_int_equal(u.port, 5070);
	/* RFC 5118 §4.2: the last piece is part of the address. */
	parse_ok("sip:[2001:db8::10:5070]", &u);
	assert_true(sv_is(u.host, "2001:db8::10:5070"));
	assert_false(u.has_port);
	parse_ok("sip:[2001:db8::9:1];maddr=[2001:db8::9:255]", &u);
	assert_true(sv_is(u.host, "2001:db8::9:1"));
	assert_true(sv_is(u.maddr, "[2001:db8::9:255]"));
	parse_ok("sip:user@[::ffff:192.0.2.1]", &u);
	assert_int_equal(u.host_type, SIP_HOST_IPV6);
	assert_true(sv_is(u.host, "::ffff:192.0.2.1"));
	parse_ok("sips:[2001:db8::10]:5061;lr;transport=tls", &u);
	assert_true(u.lr);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parse_ok(good[i], &u);
		assert_int_equal(u.host_type, SIP_HOST_IPV6);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (rc_of(bad[i]) != -EBADMSG)
			fail_msg("'%s' accepted", bad[i]);
}

static void
test_hostname(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("sip:a-b.example.com.", &u);
	assert_int_equal(u.host_type, SIP_HOST_NAME);
	assert_true(sv_is(u.host, "a-b.example.com."));
	parse_ok("sip:x", &u);
	parse_ok("sip:123.example9.com", &u);
	parse_ok("sip:host129.example.com:1", &u);
	assert_int_equal(rc_of("sip:"), -EBADMSG);
	assert_int_equal(rc_of("sip:alice@"), -EBADMSG);
	assert_int_equal(rc_of("sip:alice@:5060"), -EBADMSG);
	assert_int_equal(rc_of("sip:;lr"), -EBADMSG);
	assert_int_equal(rc_of("sip:?a=b"), -EBADMSG);
	assert_int_equal(rc_of("sip:-a.com"), -EBADMSG);
	assert_int_equal(rc_of("sip:a-.com"), -EBADMSG);
	assert_int_equal(rc_of("sip:a..com"), -EBADMSG);
	assert_int_equal(rc_of("sip:a.1com"), -EBADMSG);
	assert_int_equal(rc_of("sip:a_b.com"), -EBADMSG);
	assert_int_equal(rc_of("sip:."), -EBADMSG);
	assert_int_equal(rc_of("sip:a.com.."), -EBADMSG);
	assert_int_equal(rc_of("sip:exa mple.com"), -EBADMSG);
	assert_int_equal(rc_of("sip:example.com "), -EBADMSG);
	assert_int_equal(rc_of(" sip:example.com"), -EBADMSG);
	assert_int_equal(rc_of("sip://example.com"), -EBADMSG);
	assert_int_equal(rc_of("sip:<example.com>"), -EBADMSG);
	assert_int_equal(rc_of("<sip:example.com>"), -EBADMSG);
	assert_int_equal(rc_of("sip:ex\xc3\xa4mple.com"), -EBADMSG);
}

static void
test_port(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("sip:h:0", &u);
	assert_true(u.has_port);
	assert_int_equal(u.port, 0);
	parse_ok("sip:h:65535", &u);
	assert_int_equal(u.port, 65535);
	parse_ok("sip:h:005060", &u);
	assert_int_equal(u.port, 5060);
	assert_int_equal(rc_of("sip:h:65536"), -ERANGE);
	assert_int_equal(rc_of("sip:user@example.com:70000"), -ERANGE);
	assert_int_equal(rc_of("sip:h:99999999999999999999999"), -ERANGE);
	assert_int_equal(rc_of("sip:h:"), -EBADMSG);
	assert_int_equal(rc_of("sip:h:5x"), -EBADMSG);
	assert_int_equal(rc_of("sip:h:99999999999999999999x"), -EBADMSG);
	assert_int_equal(rc_of("sip:h:-1"), -EBADMSG);
	assert_int_equal(rc_of("sip:h:+1"), -EBADMSG);
	assert_int_equal(rc_of("sip:h:1:2"), -EBADMSG);
	assert_int_equal(rc_of("sip:h: 1"), -EBADMSG);
}

static void
test_userinfo(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("sip:%61lice@atlanta.com", &u);
	assert_true(sv_is(u.user, "%61lice"));
	/* RFC 4475 §3.1.1.10: ';' and escaped '@' in the user part. */
	parse_ok("sip:user;par=u%40example.net@example.com", &u);
	assert_true(sv_is(u.user, "user;par=u%40example.net"));
	assert_true(sv_is(u.host, "example.com"));
	assert_false(sv_present(u.params));
	/* RFC 4475 §3.1.1.7 and §3.1.1.8. */
	parse_ok("sip:sips%3Auser%40example.com@example.net", &u);
	assert_true(sv_is(u.user, "sips%3Auser%40example.com"));
	parse_ok("sip:null-%00-null@example.com", &u);
	parse_ok("sip:+1-212-555-1212:1234@gateway.com;user=phone", &u);
	assert_true(sv_is(u.user, "+1-212-555-1212"));
	assert_true(sv_is(u.password, "1234"));
	assert_true(sv_is(u.user_param, "phone"));
	parse_ok("sip:a&=+$,;?/-_.!~*'()b:p&=+$,-_.!~*'()%41@h", &u);
	assert_true(sv_is(u.user, "a&=+$,;?/-_.!~*'()b"));
	assert_true(sv_is(u.password, "p&=+$,-_.!~*'()%41"));

	assert_int_equal(rc_of("sip:a%G1@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a%4@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a%@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:@h"), -EBADMSG);
	assert_int_equal(rc_of("sip::p@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a:b:c@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a b@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a@b@c"), -EBADMSG);
	assert_int_equal(rc_of("sip:a#b@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a:b;c@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a:b?c@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a:p%2@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a:p%zz@h"), -EBADMSG);
	assert_int_equal(rc_of("sip:a\"b@h"), -EBADMSG);
}

static void
test_params(void **state)
{
	struct sip_uri u;
	struct sv v;

	(void)state;
	parse_ok("sip:h;lr", &u);
	assert_true(u.lr);
	assert_true(sv_is(u.params, ";lr"));
	parse_ok("sip:h;lr=on", &u);
	assert_true(u.lr);
	parse_ok("sip:h;ttl=0", &u);
	assert_true(u.has_ttl);
	assert_int_equal(u.ttl, 0);
	parse_ok("sip:h;ttl=255", &u);
	assert_int_equal(u.ttl, 255);
	parse_ok("sip:h;maddr=[::1]", &u);
	assert_true(sv_is(u.maddr, "[::1]"));
	parse_ok("sip:h;MADDR=Example.net.", &u);
	assert_true(sv_is(u.maddr, "Example.net."));
	/* Names are case-insensitive and may be escaped. */
	parse_ok("sip:h;TRANSPORT=TCP", &u);
	assert_true(sv_is(u.transport, "TCP"));
	parse_ok("sip:h;%74ransport=udp", &u);
	assert_true(sv_is(u.transport, "udp"));
	parse_ok("sip:h;x-Custom=[a]/b:c&d+e$f%20;novalue", &u);
	assert_false(sv_present(u.transport));

	assert_int_equal(sip_uri_param(&u, SV("X-CUSTOM"), &v), 1);
	assert_true(sv_is(v, "[a]/b:c&d+e$f%20"));
	assert_int_equal(sip_uri_param(&u, SV("novalue"), &v), 1);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_uri_param(&u, SV("absent"), &v), 0);
	assert_int_equal(sip_uri_param(&u, SV("x"), &v), 0);
	parse_ok("sip:h;%6Cr", &u);
	assert_true(u.lr);
	assert_int_equal(sip_uri_param(&u, SV("lr"), &v), 1);
	parse_ok("sip:h", &u);
	assert_int_equal(sip_uri_param(&u, SV("lr"), &v), 0);

	/* Each well-known parameter at most once. */
	assert_int_equal(rc_of("sip:h;transport=udp;transport=tcp"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;lr;LR"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;ttl=1;ttl=2"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;maddr=a;MADDR=b"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;user=ip;user=phone"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;method=INVITE;method=BYE"), -EBADMSG);
	/* Values of the well-known parameters. */
	assert_int_equal(rc_of("sip:h;ttl=256"), -ERANGE);
	assert_int_equal(rc_of("sip:h;ttl=99999999999"), -ERANGE);
	assert_int_equal(rc_of("sip:h;ttl=0001"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;ttl="), -EBADMSG);
	assert_int_equal(rc_of("sip:h;ttl"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;ttl=x"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;ttl=-1"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;transport"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;transport=a/b"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;user="), -EBADMSG);
	assert_int_equal(rc_of("sip:h;method=[x]"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;maddr"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;maddr=a..b"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;maddr=[::g]"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;maddr=1.2.3.256"), -EBADMSG);
	/* Generic parameter syntax. */
	assert_int_equal(rc_of("sip:h;"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;;lr"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a="), -EBADMSG);
	assert_int_equal(rc_of("sip:h;=a"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a=b=c"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a=%zz"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a%4=b"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a=<"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a=b c"), -EBADMSG);
	assert_int_equal(rc_of("sip:h;a=\"b\""), -EBADMSG);
	assert_int_equal(rc_of("sip:u@h;a@b"), -EBADMSG);
}

static void
test_param_limit(void **state)
{
	char buf[SIP_URI_MAX];
	size_t n = 0;
	struct sip_uri u;

	(void)state;
	memcpy(buf, "sip:h", 5);
	n = 5;
	for (unsigned i = 0; i < SIP_PARAMS_MAX; i++) {
		memcpy(buf + n, ";p", 2);
		n += 2;
	}
	assert_int_equal(sip_uri_parse(sv_make(buf, n), &u), 0);
	memcpy(buf + n, ";p", 2);
	assert_int_equal(sip_uri_parse(sv_make(buf, n + 2), &u), -E2BIG);

	memcpy(buf, "sip:h?a=", 8);
	n = 8;
	for (unsigned i = 1; i < SIP_PARAMS_MAX; i++) {
		memcpy(buf + n, "&a=", 3);
		n += 3;
	}
	assert_int_equal(sip_uri_parse(sv_make(buf, n), &u), 0);
	memcpy(buf + n, "&a=", 3);
	assert_int_equal(sip_uri_parse(sv_make(buf, n + 3), &u), -E2BIG);

	memcpy(buf, "tel:+1", 6);
	n = 6;
	for (unsigned i = 0; i < SIP_PARAMS_MAX; i++) {
		memcpy(buf + n, ";p", 2);
		n += 2;
	}
	assert_int_equal(sip_uri_parse(sv_make(buf, n), &u), 0);
	memcpy(buf + n, ";p", 2);
	assert_int_equal(sip_uri_parse(sv_make(buf, n + 2), &u), -E2BIG);
}

static void
test_headers(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("sip:h?a=b&c=", &u);
	assert_true(sv_is(u.headers, "a=b&c="));
	assert_false(sv_present(u.params));
	parse_ok("sip:h;lr?a=b", &u);
	assert_true(sv_is(u.params, ";lr"));
	assert_true(sv_is(u.headers, "a=b"));
	parse_ok("sip:biloxi.com;method=REGISTER?to=sip:bob%40biloxi.com", &u);
	assert_true(sv_is(u.headers, "to=sip:bob%40biloxi.com"));
	parse_ok("sip:h?x=[]/?:+$-_.!~*'()%20", &u);

	assert_int_equal(rc_of("sip:h?"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?=b"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a=b&"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a=b&&c=d"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a=%4"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a=b;c"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a=b=c"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a=<b>"), -EBADMSG);
	assert_int_equal(rc_of("sip:h?a b=c"), -EBADMSG);
}

/* R-CALL-1: RFC 3966 tel URIs. */
static void
test_tel(void **state)
{
	struct sip_uri u;
	struct sv v;

	(void)state;
	parse_ok("tel:+1-201-555-0123", &u);
	assert_int_equal(u.scheme, SIP_URI_TEL);
	assert_true(sv_is(u.scheme_name, "tel"));
	assert_true(sv_is(u.user, "+1-201-555-0123"));
	assert_int_equal(u.host_type, SIP_HOST_NONE);
	assert_false(sv_present(u.host));
	assert_false(sv_present(u.params));
	assert_false(sv_present(u.headers));
	assert_false(sv_present(u.password));

	parse_ok("tel:+1-201-555-0123;phone-context=example.com", &u);
	assert_true(sv_is(u.user, "+1-201-555-0123"));
	assert_true(sv_is(u.params, ";phone-context=example.com"));
	assert_int_equal(sip_uri_param(&u, SV("Phone-Context"), &v), 1);
	assert_true(sv_is(v, "example.com"));

	parse_ok("tel:7042;phone-context=example.com", &u);
	assert_true(sv_is(u.user, "7042"));
	parse_ok("TEL:863-1234;phone-context=+1-914-555", &u);
	assert_true(sv_is(u.user, "863-1234"));
	parse_ok("tel:*86#;phone-context=+1", &u);
	parse_ok("tel:+1(800)555.0000;ext=22;isub=a%20b:/?@&=+$,;x-foo", &u);
	assert_int_equal(sip_uri_param(&u, SV("ext"), &v), 1);
	assert_true(sv_is(v, "22"));
	assert_int_equal(sip_uri_param(&u, SV("x-foo"), &v), 1);
	assert_int_equal(v.len, 0);

	assert_int_equal(rc_of("tel:"), -EBADMSG);
	assert_int_equal(rc_of("tel:+"), -EBADMSG);
	assert_int_equal(rc_of("tel:+-()"), -EBADMSG);
	assert_int_equal(rc_of("tel:--;phone-context=+1"), -EBADMSG);
	assert_int_equal(rc_of("tel:7042"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1 234"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1a"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1?x=y"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;ext=x"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;ext"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;ext=1;ext=2"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;isub=a;isub=b"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;isub=%4"), -EBADMSG);
	assert_int_equal(rc_of("tel:1;phone-context=a..b"), -EBADMSG);
	assert_int_equal(rc_of("tel:1;phone-context=+"), -EBADMSG);
	assert_int_equal(rc_of("tel:1;phone-context"), -EBADMSG);
	assert_int_equal(
	    rc_of("tel:1;phone-context=+1;phone-context=+2"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;a_b=c"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;foo="), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;foo=a b"), -EBADMSG);
	assert_int_equal(rc_of("tel:+1;=x"), -EBADMSG);
}

/* R-CALL-1: other schemes are kept opaque (416 is the caller's call). */
static void
test_other(void **state)
{
	struct sip_uri u;

	(void)state;
	parse_ok("mailto:joe@example.com", &u);
	assert_int_equal(u.scheme, SIP_URI_OTHER);
	assert_true(sv_is(u.scheme_name, "mailto"));
	assert_true(sv_is(u.opaque, "joe@example.com"));
	assert_int_equal(u.host_type, SIP_HOST_NONE);
	assert_false(sv_present(u.user));
	assert_false(sv_present(u.params));
	parse_ok("nobodyknowsthisscheme:totallyopaque", &u);
	assert_true(sv_is(u.opaque, "totallyopaque"));
	parse_ok("soap.beep://192.0.2.103:3002", &u);
	assert_true(sv_is(u.scheme_name, "soap.beep"));
	parse_ok("urn:service:sos", &u);
	parse_ok("a+b-c.9:x", &u);
	parse_ok("SIPX:x", &u);
	assert_int_equal(u.scheme, SIP_URI_OTHER);

	assert_int_equal(rc_of("x:"), -EBADMSG);
	assert_int_equal(rc_of("x:a b"), -EBADMSG);
	assert_int_equal(rc_of("x:a\tb"), -EBADMSG);
	assert_int_equal(rc_of("x:a\x01"), -EBADMSG);
	assert_int_equal(rc_of("x:a\x7f"), -EBADMSG);
	assert_int_equal(rc_of("x:a\xc3\xa4"), -EBADMSG);
	assert_int_equal(rc_of("x:a>b"), -EBADMSG);
	assert_int_equal(rc_of("x:a<b"), -EBADMSG);
	assert_int_equal(rc_of("x:a\"b"), -EBADMSG);
	assert_int_equal(rc_of("1x:a"), -EBADMSG);
	assert_int_equal(rc_of("+x:a"), -EBADMSG);
	assert_int_equal(rc_of(":a"), -EBADMSG);
	assert_int_equal(rc_of("x_y:a"), -EBADMSG);
	assert_int_equal(rc_of("x y:a"), -EBADMSG);
	assert_int_equal(rc_of("noscheme"), -EBADMSG);
	assert_int_equal(rc_of(""), -EBADMSG);
}

/* R-CALL-1: SIP_URI_MAX, and reads bounded by the view. */
static void
test_limits(void **state)
{
	char *big;
	struct sip_uri u;
	static const char exact[5] = {'s', 'i', 'p', ':', 'h'};

	(void)state;
	big = malloc(SIP_URI_MAX + 1);
	assert_non_null(big);
	memcpy(big, "sip:", 4);
	memset(big + 4, 'a', SIP_URI_MAX - 3);
	assert_int_equal(sip_uri_parse(sv_make(big, SIP_URI_MAX), &u), 0);
	assert_int_equal(u.host.len, SIP_URI_MAX - 4);
	assert_int_equal(
	    sip_uri_parse(sv_make(big, SIP_URI_MAX + 1), &u), -E2BIG);
	memcpy(big, "x:", 2);
	assert_int_equal(
	    sip_uri_parse(sv_make(big, SIP_URI_MAX + 1), &u), -E2BIG);
	free(big);

	assert_int_equal(sip_uri_parse(SV_NULL, &u), -EBADMSG);
	assert_int_equal(sip_uri_parse(sv_make(exact, sizeof(exact)), &u), 0);
	assert_true(sv_is(u.host, "h"));
	/* A prefix of a longer string: nothing past len is looked at. */
	assert_int_equal(sip_uri_parse(sv_make("sip:host:5060", 10), &u), 0);
	assert_int_equal(u.port, 5);
	assert_int_equal(sip_uri_parse(sv_make("sip:h;lr", 6), &u), -EBADMSG);
	assert_int_equal(sip_uri_parse(sv_make("sip:a%41@h", 7), &u), -EBADMSG);
	assert_int_equal(sip_uri_parse(sv_make("sip:[::1]", 8), &u), -EBADMSG);
}

/* R-CALL-1: RFC 3261 §19.1.4 examples. */
static void
test_equal_rfc3261(void **state)
{
	(void)state;
	assert_true(uri_eq("sip:%61lice@atlanta.com;transport=TCP",
	    "sip:alice@AtLanTa.CoM;Transport=tcp"));
	assert_true(uri_eq(
	    "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"));
	assert_true(uri_eq(
	    "sip:carol@chicago.com", "sip:carol@chicago.com;security=on"));
	assert_true(uri_eq("sip:carol@chicago.com;newparam=5",
	    "sip:carol@chicago.com;security=on"));
	assert_true(uri_eq("sip:biloxi.com;transport=tcp;method=REGISTER?"
	                   "to=sip:bob%40biloxi.com",
	    "sip:biloxi.com;method=REGISTER;transport=tcp?"
	    "to=sip:bob%40biloxi.com"));
	assert_true(
	    uri_eq("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	        "sip:alice@atlanta.com?priority=urgent&subject=project%20x"));

	assert_false(uri_eq("SIP:ALICE@AtLanTa.CoM;Transport=udp",
	    "sip:alice@AtLanTa.CoM;Transport=UDP"));
	assert_false(uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
	assert_false(
	    uri_eq("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"));
	assert_false(uri_eq(
	    "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"));
	assert_false(uri_eq("sip:carol@chicago.com",
	    "sip:carol@chicago.com?Subject=next%20meeting"));
	assert_false(
	    uri_eq("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"));
}

static void
test_equal_more(void **state)
{
	(void)state;
	assert_true(uri_eq("sip:h", "SIP:H"));
	assert_false(uri_eq("sip:h", "sips:h"));
	assert_false(uri_eq("sip:a@h", "sip:h"));
	assert_false(uri_eq("sip:a:p@h", "sip:a@h"));
	assert_false(uri_eq("sip:a:p@h", "sip:a:P@h"));
	assert_false(uri_eq("sip:a:@h", "sip:a@h"));
	assert_true(uri_eq("sip:a:%70@h", "sip:a:p@h"));
	/* An escaped reserved character is not the literal one. */
	assert_false(uri_eq("sip:a%3Bb@h", "sip:a;b@h"));
	assert_true(uri_eq("sip:a%3Bb@h", "sip:a%3bb@h"));
	assert_false(uri_eq("sip:h:5060", "sip:h:5061"));
	/* IPv6 addresses compare as addresses. */
	assert_true(
	    uri_eq("sip:[2001:db8::10]", "sip:[2001:DB8:0:0:0:0:0:10]"));
	assert_true(uri_eq("sip:[::ffff:192.0.2.1]", "sip:[::ffff:c000:0201]"));
	assert_false(uri_eq("sip:[2001:db8::10]", "sip:[2001:db8::11]"));
	assert_false(uri_eq("sip:[::1]", "sip:0.0.0.1"));
	/* Sticky parameters, and the ones ignored when in one only. */
	assert_false(uri_eq("sip:h", "sip:h;maddr=h"));
	assert_false(uri_eq("sip:h", "sip:h;ttl=1"));
	assert_false(uri_eq("sip:h", "sip:h;user=phone"));
	assert_false(uri_eq("sip:h", "sip:h;method=INVITE"));
	assert_false(uri_eq("sip:h;ttl=1", "sip:h;ttl=2"));
	assert_true(uri_eq("sip:h", "sip:h;lr"));
	assert_true(uri_eq("sip:h;USER=Phone", "sip:h;user=phone"));
	assert_false(uri_eq("sip:h;lr", "sip:h;lr=on"));
	assert_false(uri_eq("sip:h;a=1", "sip:h;a=2"));
	assert_true(uri_eq("sip:h;a=1;a=2", "sip:h;a=1;a=2"));
	assert_true(uri_eq("sip:h;a=%31", "sip:h;A=1"));
	/* Headers: a multiset, never ignored. */
	assert_false(uri_eq("sip:h?a=1", "sip:h?a=1&a=1"));
	assert_false(uri_eq("sip:h?a=1&a=1&b=2", "sip:h?a=1&b=2&b=2"));
	assert_true(uri_eq("sip:h?a=1&b=2&a=1", "sip:h?A=1&a=1&b=2"));
	assert_false(uri_eq("sip:h?a=1", "sip:h?a=2"));
	/* tel: visual separators do not count; every parameter does. */
	assert_true(uri_eq("tel:+1-201-555-0123", "tel:+1.201.555(0123)"));
	assert_false(uri_eq("tel:+12015550123", "tel:12015550123;"
	                                        "phone-context=+1"));
	assert_false(uri_eq("tel:+1", "tel:+2"));
	assert_false(uri_eq("tel:+1;ext=1", "tel:+1"));
	assert_true(uri_eq("tel:+1;ext=1-2", "tel:+1;EXT=12"));
	assert_true(uri_eq("tel:7042;phone-context=Example.COM",
	    "tel:7042;phone-context=example.com"));
	assert_true(uri_eq(
	    "tel:7042;phone-context=+1-914", "tel:7042;phone-context=+1914"));
	assert_false(uri_eq("tel:7042;phone-context=ex.ample",
	    "tel:7042;phone-context=exa.mple"));
	assert_true(
	    uri_eq("tel:abc;phone-context=+1", "tel:ABC;phone-context=+1"));
	/* Other schemes: scheme name case-insensitive, the rest exact. */
	assert_true(uri_eq("mailto:a@b", "MAILTO:a@b"));
	assert_false(uri_eq("mailto:a@b", "mailto:A@b"));
	assert_false(uri_eq("mailto:a@b", "mail:a@b"));
	assert_false(uri_eq("tel:+1", "sip:+1@h"));
}

static void
test_unescape(void **state)
{
	char out[16];
	size_t n = 99;

	(void)state;
	assert_int_equal(
	    sip_uri_unescape(SV("%61lice"), out, sizeof(out), &n), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(out, "alice", 5);
	assert_int_equal(sip_uri_unescape(SV("%00%fF%3a"), out, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\0\xff:", 3);
	assert_int_equal(sip_uri_unescape(SV(""), out, 0, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sip_uri_unescape(SV("abc"), out, 3, &n), 0);
	assert_int_equal(sip_uri_unescape(SV("abcd"), out, 3, &n), -E2BIG);
	assert_int_equal(sip_uri_unescape(SV("%41"), out, 0, &n), -E2BIG);
	assert_int_equal(
	    sip_uri_unescape(SV("%G1"), out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(
	    sip_uri_unescape(SV("%1G"), out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(
	    sip_uri_unescape(SV("a%4"), out, sizeof(out), &n), -EBADMSG);
	assert_int_equal(
	    sip_uri_unescape(SV("a%"), out, sizeof(out), &n), -EBADMSG);
	/* A bad escape wins over a small buffer. */
	assert_int_equal(sip_uri_unescape(SV("abcdef%"), out, 2, &n), -EBADMSG);
	/* Truncated escape at the end of the view, not of the string. */
	assert_int_equal(
	    sip_uri_unescape(sv_make("a%41", 3), out, sizeof(out), &n),
	    -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sip_full),
	    cmocka_unit_test(test_sip_minimal),
	    cmocka_unit_test(test_ipv4),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_hostname),
	    cmocka_unit_test(test_port),
	    cmocka_unit_test(test_userinfo),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_param_limit),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_tel),
	    cmocka_unit_test(test_other),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_equal_rfc3261),
	    cmocka_unit_test(test_equal_more),
	    cmocka_unit_test(test_unescape),
	};

	return cmocka_run_group_tests_name("sip_uri", tests, NULL, NULL);
}
