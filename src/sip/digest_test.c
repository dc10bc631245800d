/* Unit tests for Digest credentials and challenges. R-AUTH-4 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/digest.h"
#include "sip/limits.h"

static int
parse(const char *s, struct sip_digest *d)
{
	return sip_digest_parse(sv_cstr(s), d);
}

/* Asserts that v is present and holds exactly 'want'. */
static void
check_sv(struct sv v, const char *want)
{
	size_t n = strlen(want);

	assert_non_null(v.p);
	assert_int_equal(v.len, n);
	if (n > 0)
		assert_memory_equal(v.p, want, n);
}

static void
check_absent(struct sv v)
{
	assert_null(v.p);
	assert_int_equal(v.len, 0);
}

/* RFC 3261 §20.44 and §20.27, with their line folds. R-AUTH-4 */
static void
test_rfc3261_challenges(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    parse("Digest realm=\"atlanta.com\",\r\n"
	          "  domain=\"sip:boxesbybob.com\", qop=\"auth\",\r\n"
	          "  nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n"
	          "  opaque=\"\", stale=FALSE, algorithm=MD5",
	        &d),
	    0);
	check_sv(d.scheme, "Digest");
	assert_true(d.is_digest);
	check_sv(d.realm, "atlanta.com");
	check_sv(d.domain, "sip:boxesbybob.com");
	check_sv(d.qop, "auth");
	assert_true(d.qop_auth);
	assert_false(d.qop_auth_int);
	check_sv(d.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
	check_sv(d.opaque, ""); /* present but empty */
	assert_false(d.stale);
	check_sv(d.algorithm, "MD5");
	assert_int_equal(d.alg, SIP_DIGEST_ALG_MD5);
	check_absent(d.username);
	check_absent(d.response);
	check_absent(d.nc);
	assert_false(d.has_nc);

	assert_int_equal(
	    parse("Digest realm=\"atlanta.com\",\r\n"
	          " domain=\"sip:ss1.carrier.com\", qop=\"auth\",\r\n"
	          " nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n"
	          " opaque=\"\", stale=FALSE, algorithm=MD5",
	        &d),
	    0);
	check_sv(d.domain, "sip:ss1.carrier.com");
	assert_true(d.qop_auth);
}

/* RFC 3261 §20.7 and §20.28 print responses of 35 and 27 hex digits; a
 * request-digest is 32LHEX (§25.1), so both are refused. With a 32-digit
 * response the same values parse. R-AUTH-4 */
static void
test_rfc3261_credentials(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    parse("Digest username=\"Alice\", realm=\"atlanta.com\",\r\n"
	          " nonce=\"84a4cc6f3082121f32b42a2187831a9e\",\r\n"
	          " response=\"7587245234b3434cc3412213e5f113a5432\"",
	        &d),
	    -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"Alice\", realm=\"atlanta.com\",\r\n"
	          " nonce=\"c60f3082ee1212b402a21831ae\",\r\n"
	          " response=\"245f23415f11432b3434341c022\"",
	        &d),
	    -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"Alice\", realm=\"atlanta.com\",\r\n"
	          " nonce=\"84a4cc6f3082121f32b42a2187831a9e\",\r\n"
	          " response=\"7587245234b3434cc3412213e5f113a5\"",
	        &d),
	    0);
	check_sv(d.username, "Alice");
	assert_false(d.username_escaped);
	check_sv(d.realm, "atlanta.com");
	check_sv(d.nonce, "84a4cc6f3082121f32b42a2187831a9e");
	check_sv(d.response, "7587245234b3434cc3412213e5f113a5");
	assert_int_equal(d.alg, SIP_DIGEST_ALG_ABSENT);
	check_absent(d.algorithm);
	check_absent(d.qop);
	assert_false(d.qop_auth);
	assert_false(d.has_nc);
}

/* RFC 7616 §3.9.1: a SHA-256 and an MD5 challenge (two header values),
 * and the Authorization for each. R-AUTH-4 */
static void
test_rfc7616_sha256(void **state)
{
	static const char *const algs[] = {"SHA-256", "MD5"};
	static const char *const responses[] = {
	    "753927fa0e85d155564e2e272a28d180"
	    "2ca10daf4496794697cf8db5856cb6c1",
	    "8ca523f5e9506fed4657c9700eebdbec",
	};
	static const enum sip_digest_alg want[] = {
	    SIP_DIGEST_ALG_SHA256, SIP_DIGEST_ALG_MD5};
	struct sip_digest d;
	char buf[1024];
	int n;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		n = snprintf(buf, sizeof(buf),
		    "Digest\r\n"
		    "    realm=\"http-auth@example.org\",\r\n"
		    "    qop=\"auth, auth-int\",\r\n"
		    "    algorithm=%s,\r\n"
		    "    "
		    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","
		    "\r\n"
		    "    "
		    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
		    algs[i]);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), 0);
		assert_true(d.is_digest);
		check_sv(d.realm, "http-auth@example.org");
		check_sv(d.qop, "auth, auth-int");
		assert_true(d.qop_auth);
		assert_true(d.qop_auth_int);
		check_sv(d.algorithm, algs[i]);
		assert_int_equal(d.alg, want[i]);
		check_sv(
		    d.nonce, "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
		check_sv(
		    d.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");

		n = snprintf(buf, sizeof(buf),
		    "Digest username=\"Mufasa\",\r\n"
		    "    realm=\"http-auth@example.org\",\r\n"
		    "    uri=\"/dir/index.html\",\r\n"
		    "    algorithm=%s,\r\n"
		    "    "
		    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","
		    "\r\n"
		    "    nc=00000001,\r\n"
		    "    "
		    "cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\","
		    "\r\n"
		    "    qop=auth,\r\n"
		    "    response=\"%s\",\r\n"
		    "    "
		    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
		    algs[i], responses[i]);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), 0);
		check_sv(d.username, "Mufasa");
		check_sv(d.uri, "/dir/index.html");
		assert_int_equal(d.alg, want[i]);
		check_sv(d.nc, "00000001");
		assert_true(d.has_nc);
		assert_int_equal(d.nc_value, 1);
		check_sv(
		    d.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
		check_sv(d.qop, "auth");
		assert_true(d.qop_auth);
		assert_false(d.qop_auth_int);
		check_sv(d.response, responses[i]);

		/* The response of the other algorithm has the wrong length. */
		n = snprintf(buf, sizeof(buf),
		    "Digest username=\"Mufasa\", "
		    "realm=\"http-auth@example.org\","
		    " uri=\"/dir/index.html\", algorithm=%s, nonce=\"n\","
		    " nc=00000001, cnonce=\"c\", qop=auth, response=\"%s\"",
		    algs[i], responses[1 - i]);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), -EBADMSG);
	}
}

/* RFC 7616 §3.9.2: SHA-512-256 with charset and userhash. R-AUTH-4 */
static void
test_rfc7616_sha512_userhash(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    parse("Digest\r\n"
	          "    realm=\"api@example.org\",\r\n"
	          "    qop=\"auth\",\r\n"
	          "    algorithm=SHA-512-256,\r\n"
	          "    "
	          "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\",\r\n"
	          "    "
	          "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\",\r\n"
	          "    charset=UTF-8,\r\n"
	          "    userhash=true",
	        &d),
	    0);
	check_sv(d.realm, "api@example.org");
	assert_true(d.qop_auth);
	assert_false(d.qop_auth_int);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_SHA512_256);
	check_sv(d.charset, "UTF-8");
	assert_true(d.userhash);

	assert_int_equal(
	    parse("Digest\r\n"
	          "    username=\"488869477bf257147b804c45308cd62a"
	          "c4e25eb717b12b298c79e62dcea254ec\",\r\n"
	          "    realm=\"api@example.org\",\r\n"
	          "    uri=\"/doe.json\",\r\n"
	          "    algorithm=SHA-512-256,\r\n"
	          "    "
	          "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\",\r\n"
	          "    nc=00000001,\r\n"
	          "    "
	          "cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\",\r\n"
	          "    qop=auth,\r\n"
	          "    response=\"ae66e67d6b427bd3f120414a82e4acff"
	          "38e8ecd9101d6c861229025f607a79dd\",\r\n"
	          "    "
	          "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\",\r\n"
	          "    userhash=true",
	        &d),
	    0);
	check_sv(d.username, "488869477bf257147b804c45308cd62a"
	                     "c4e25eb717b12b298c79e62dcea254ec");
	check_sv(d.uri, "/doe.json");
	assert_int_equal(d.alg, SIP_DIGEST_ALG_SHA512_256);
	check_sv(d.response, "ae66e67d6b427bd3f120414a82e4acff"
	                     "38e8ecd9101d6c861229025f607a79dd");
	assert_true(d.userhash);
	check_absent(d.charset);

	/* The §3.9.2 alternative with username* is not SIP. */
	assert_int_equal(
	    parse("Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, "
	          "realm=\"api@example.org\", uri=\"/doe.json\", "
	          "algorithm=SHA-512-256, nonce=\"n\", nc=00000001, "
	          "cnonce=\"c\", qop=auth, response=\"ae66e67d6b427bd3f120414a"
	          "82e4acff38e8ecd9101d6c861229025f607a79dd\", userhash=false",
	        &d),
	    -EBADMSG);
	assert_int_equal(
	    parse("Digest realm=\"r\", USERNAME*=x", &d), -EBADMSG);
}

/* RFC 8760: every SIP algorithm, credentials of a REGISTER. R-AUTH-4 */
static void
test_rfc8760_algorithms(void **state)
{
	static const struct {
		const char *name;
		enum sip_digest_alg alg;
		size_t hex;
	} cases[] = {
	    {"MD5", SIP_DIGEST_ALG_MD5, 32},
	    {"MD5-sess", SIP_DIGEST_ALG_MD5_SESS, 32},
	    {"SHA-256", SIP_DIGEST_ALG_SHA256, 64},
	    {"SHA-256-sess", SIP_DIGEST_ALG_SHA256_SESS, 64},
	    {"SHA-512-256", SIP_DIGEST_ALG_SHA512_256, 64},
	    {"SHA-512-256-sess", SIP_DIGEST_ALG_SHA512_256_SESS, 64},
	    {"sha-512-256-SESS", SIP_DIGEST_ALG_SHA512_256_SESS, 64},
	    {"md5", SIP_DIGEST_ALG_MD5, 32},
	};
	static const char hex[] = "0123456789abcdef0123456789abcdef"
	                          "fedcba9876543210fedcba9876543210";
	struct sip_digest d;
	char buf[512];
	int n;

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(cases); i++) {
		n = snprintf(buf, sizeof(buf),
		    "Digest username=\"bob\", realm=\"biloxi.example.com\", "
		    "nonce=\"dc3a5ab2530aa93112cf5904ba7d88fa\", "
		    "uri=\"sip:biloxi.example.com\", response=\"%.*s\", "
		    "algorithm=%s, qop=auth-int, nc=0000000a, "
		    "cnonce=\"0a4f113b\"",
		    (int)cases[i].hex, hex, cases[i].name);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), 0);
		assert_int_equal(d.alg, cases[i].alg);
		check_sv(d.algorithm, cases[i].name);
		assert_int_equal(d.response.len, cases[i].hex);
		assert_true(d.qop_auth_int);
		assert_false(d.qop_auth);
		assert_int_equal(d.nc_value, 10);
		check_sv(d.uri, "sip:biloxi.example.com");

		/* Off by one digit either way. */
		n = snprintf(buf, sizeof(buf),
		    "Digest username=\"bob\", response=\"%.*s\", algorithm=%s",
		    (int)cases[i].hex - 1, hex, cases[i].name);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), -EBADMSG);
		n = snprintf(buf, sizeof(buf),
		    "Digest username=\"bob\", response=\"%.*s0\", algorithm=%s",
		    (int)cases[i].hex, hex, cases[i].name);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), -EBADMSG);
	}
}

static void
test_alg_names(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_null(sip_digest_alg_name(SIP_DIGEST_ALG_ABSENT));
	assert_null(sip_digest_alg_name(SIP_DIGEST_ALG_UNKNOWN));
	assert_string_equal(sip_digest_alg_name(SIP_DIGEST_ALG_MD5), "MD5");
	assert_string_equal(
	    sip_digest_alg_name(SIP_DIGEST_ALG_MD5_SESS), "MD5-sess");
	assert_string_equal(
	    sip_digest_alg_name(SIP_DIGEST_ALG_SHA256), "SHA-256");
	assert_string_equal(
	    sip_digest_alg_name(SIP_DIGEST_ALG_SHA256_SESS), "SHA-256-sess");
	assert_string_equal(
	    sip_digest_alg_name(SIP_DIGEST_ALG_SHA512_256), "SHA-512-256");
	assert_string_equal(sip_digest_alg_name(SIP_DIGEST_ALG_SHA512_256_SESS),
	    "SHA-512-256-sess");

	/* Unrecognised names are UNKNOWN, not an error. */
	assert_int_equal(
	    parse("Digest realm=\"r\", algorithm=AKAv1-MD5", &d), 0);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_UNKNOWN);
	check_sv(d.algorithm, "AKAv1-MD5");
	assert_int_equal(parse("Digest realm=\"r\", algorithm=\"\"", &d), 0);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_UNKNOWN);
	assert_int_equal(
	    parse("Digest realm=\"r\", algorithm=SHA-2566", &d), 0);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_UNKNOWN);
	/* Quoted is tolerated. */
	assert_int_equal(
	    parse("Digest realm=\"r\", algorithm=\"SHA-256\"", &d), 0);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_SHA256);
	/* With an unknown algorithm any hex length goes. */
	assert_int_equal(parse("Digest username=\"u\", response=\"abc\", "
	                       "algorithm=AKAv2-SHA-256",
	                     &d),
	    0);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_UNKNOWN);
	assert_int_equal(parse("Digest username=\"u\", response=\"ABC\", "
	                       "algorithm=AKAv2-SHA-256",
	                     &d),
	    -EBADMSG);
}

/* Every field of a credentials value, in one go. R-AUTH-4 */
static void
test_every_field(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    parse("Digest username=\"al\\\"ice\", realm=\"a.example\", "
	          "nonce=\"n1\", uri=\"sip:a.example;transport=tls\", "
	          "response=\"0123456789abcdef0123456789abcdef\", "
	          "cnonce=\"c1\", opaque=\"o1\", algorithm=MD5-sess, "
	          "qop=auth, nc=DEADBEEF, userhash=FALSE, x-ext=\"z\"",
	        &d),
	    0);
	check_sv(d.scheme, "Digest");
	assert_true(d.is_digest);
	check_sv(d.username, "al\\\"ice");
	assert_true(d.username_escaped);
	check_sv(d.realm, "a.example");
	check_sv(d.nonce, "n1");
	check_sv(d.uri, "sip:a.example;transport=tls");
	check_sv(d.response, "0123456789abcdef0123456789abcdef");
	check_sv(d.cnonce, "c1");
	check_sv(d.opaque, "o1");
	check_absent(d.domain);
	check_absent(d.charset);
	check_sv(d.algorithm, "MD5-sess");
	assert_int_equal(d.alg, SIP_DIGEST_ALG_MD5_SESS);
	check_sv(d.qop, "auth");
	assert_true(d.qop_auth);
	assert_false(d.qop_auth_int);
	check_sv(d.nc, "DEADBEEF");
	assert_true(d.has_nc);
	assert_int_equal(d.nc_value, 0xdeadbeefu);
	assert_false(d.stale);
	assert_false(d.userhash);

	/* And of a challenge. */
	assert_int_equal(
	    parse("Digest realm=\"b\", domain=\"sip:b sip:c\", nonce=\"n\", "
	          "opaque=\"o\", stale=true, algorithm=SHA-256-sess, "
	          "qop=\"auth-int\", charset=UTF-8, userhash=TRUE",
	        &d),
	    0);
	check_sv(d.domain, "sip:b sip:c");
	assert_true(d.stale);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_SHA256_SESS);
	assert_false(d.qop_auth);
	assert_true(d.qop_auth_int);
	check_sv(d.charset, "UTF-8");
	assert_true(d.userhash);
	check_absent(d.username);
	assert_false(d.has_nc);
}

/* LWS, folded lines included, around ',' and '=' and inside quotes. */
static void
test_folding(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    parse("Digest\r\n\trealm\r\n =\r\n \"a\r\n b\"\r\n ,"
	          "\tnonce = \"n\" , qop\t=\t\"auth ,\r\n auth-int\""
	          "\r\n ",
	        &d),
	    0);
	check_sv(d.realm, "a\r\n b");
	check_sv(d.nonce, "n");
	assert_true(d.qop_auth);
	assert_true(d.qop_auth_int);
	/* Leading LWS before the scheme is tolerated. */
	assert_int_equal(parse(" \tDigest realm=r", &d), 0);
	check_sv(d.realm, "r");
}

/* Scheme, parameter names and algorithm are case-insensitive. */
static void
test_case_insensitive(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(parse("dIgEsT ReAlM=\"x\", NONCE=\"y\", "
	                       "Algorithm=sha-256, QOP=\"AUTH\", Stale=True",
	                     &d),
	    0);
	assert_true(d.is_digest);
	check_sv(d.scheme, "dIgEsT");
	check_sv(d.realm, "x");
	check_sv(d.nonce, "y");
	assert_int_equal(d.alg, SIP_DIGEST_ALG_SHA256);
	assert_true(d.qop_auth);
	assert_true(d.stale);
	assert_int_equal(parse("DIGEST UserName=\"u\", Response=\"0123456789"
	                       "abcdef0123456789abcdef\", QoP=Auth-Int, "
	                       "NC=00000002, CNonce=\"c\"",
	                     &d),
	    0);
	check_sv(d.username, "u");
	assert_true(d.qop_auth_int);
	assert_int_equal(d.nc_value, 2);
	/* Names differing only in case are duplicates. */
	assert_int_equal(
	    parse("Digest realm=\"a\", REALM=\"a\"", &d), -EBADMSG);
}

static void
test_duplicates(void **state)
{
	static const char *const dups[] = {
	    "Digest realm=\"a\", realm=\"a\"",
	    "Digest nonce=a, nonce=b",
	    "Digest username=\"a\", username=\"b\"",
	    "Digest uri=\"a\", uri=\"a\"",
	    "Digest algorithm=MD5, algorithm=MD5",
	    "Digest qop=\"auth\", qop=\"auth\"",
	    "Digest opaque=\"\", opaque=\"\"",
	    "Digest domain=\"a\", domain=\"a\"",
	    "Digest charset=UTF-8, charset=UTF-8",
	    "Digest stale=true, stale=true",
	    "Digest userhash=true, userhash=true",
	    "Digest cnonce=\"a\", cnonce=\"a\", nc=00000001, qop=auth",
	    "Digest nc=00000001, nc=00000001, cnonce=\"a\", qop=auth",
	    ("Digest response=\"0123456789abcdef0123456789abcdef\", "
	     "response=\"0123456789abcdef0123456789abcdef\""),
	};
	struct sip_digest d;

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(dups); i++)
		assert_int_equal(parse(dups[i], &d), -EBADMSG);
	/* Unknown parameters may repeat; they are skipped. */
	assert_int_equal(parse("Digest realm=\"a\", x=1, x=\"2\", X=3", &d), 0);
	check_sv(d.realm, "a");
}

static void
test_nc(void **state)
{
	static const char *const bad[] = {
	    "0000001",
	    "000000001",
	    "0000000g",
	    "",
	    "0000 001",
	    "-0000001",
	    "0x000001",
	};
	struct sip_digest d;
	char buf[256];
	int n;

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		n = snprintf(buf, sizeof(buf),
		    "Digest username=\"u\", qop=auth, cnonce=\"c\", nc=\"%s\"",
		    bad[i]);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		assert_int_equal(parse(buf, &d), -EBADMSG);
	}
	assert_int_equal(parse("Digest username=\"u\", qop=auth, cnonce=\"c\", "
	                       "nc=ffffffff",
	                     &d),
	    0);
	assert_int_equal(d.nc_value, UINT32_MAX);
	assert_int_equal(parse("Digest username=\"u\", qop=auth, cnonce=\"c\", "
	                       "nc=00000000",
	                     &d),
	    0);
	assert_int_equal(d.nc_value, 0);
	assert_true(d.has_nc);
	/* RFC 2617 §3.2.2: qop, cnonce and nc travel together. */
	assert_int_equal(
	    parse("Digest username=\"u\", nc=00000001", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"u\", cnonce=\"c\"", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"u\", qop=auth", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"u\", qop=auth, nc=00000001", &d),
	    -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"u\", qop=auth, cnonce=\"c\"", &d),
	    -EBADMSG);
	/* nc alone marks a value as credentials. */
	assert_int_equal(parse("Digest nc=1", &d), -EBADMSG);
}

static void
test_response(void **state)
{
	struct sip_digest d;

	(void)state;
	/* Upper-case hex is not LHEX. */
	assert_int_equal(parse("Digest username=\"u\", "
	                       "response=\"0123456789ABCDEF0123456789abcdef\"",
	                     &d),
	    -EBADMSG);
	assert_int_equal(parse("Digest username=\"u\", "
	                       "response=\"0123456789abcdeg0123456789abcdef\"",
	                     &d),
	    -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"u\", response=\"\"", &d), -EBADMSG);
	/* Absent algorithm means MD5: 64 digits are wrong. */
	assert_int_equal(parse("Digest username=\"u\", response=\""
	                       "0123456789abcdef0123456789abcdef"
	                       "0123456789abcdef0123456789abcdef\"",
	                     &d),
	    -EBADMSG);
	/* The algorithm may follow the response. */
	assert_int_equal(parse("Digest username=\"u\", response=\""
	                       "0123456789abcdef0123456789abcdef"
	                       "0123456789abcdef0123456789abcdef\", "
	                       "algorithm=SHA-256",
	                     &d),
	    0);
	/* A bare token response is accepted when it is hex. */
	assert_int_equal(parse("Digest username=\"u\", "
	                       "response=0123456789abcdef0123456789abcdef",
	                     &d),
	    0);
	check_sv(d.response, "0123456789abcdef0123456789abcdef");
}

static void
test_qop(void **state)
{
	struct sip_digest d;

	(void)state;
	/* Credentials: one value, auth or auth-int. */
	assert_int_equal(parse("Digest username=\"u\", qop=\"auth-int\", "
	                       "nc=00000001, cnonce=\"c\"",
	                     &d),
	    0);
	assert_true(d.qop_auth_int);
	assert_false(d.qop_auth);
	assert_int_equal(parse("Digest username=\"u\", qop=auth-conf, "
	                       "nc=00000001, cnonce=\"c\"",
	                     &d),
	    -EBADMSG);
	assert_int_equal(parse("Digest username=\"u\", qop=\"auth,auth-int\", "
	                       "nc=00000001, cnonce=\"c\"",
	                     &d),
	    -EBADMSG);
	assert_int_equal(parse("Digest username=\"u\", qop=\"\", "
	                       "nc=00000001, cnonce=\"c\"",
	                     &d),
	    -EBADMSG);
	/* Challenges: a list; unknown values are ignored. */
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\"auth-conf, auth\"", &d), 0);
	assert_true(d.qop_auth);
	assert_false(d.qop_auth_int);
	assert_int_equal(parse("Digest realm=\"r\", qop=\"x,y\"", &d), 0);
	assert_false(d.qop_auth);
	assert_false(d.qop_auth_int);
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\" auth-int \"", &d), 0);
	assert_true(d.qop_auth_int);
	assert_int_equal(parse("Digest realm=\"r\", qop=auth", &d), 0);
	assert_true(d.qop_auth);
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\"auth,,auth-int\"", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\"auth,\"", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\",auth\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"r\", qop=\"\"", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\"auth int\"", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest realm=\"r\", qop=\"a\\,b\"", &d), -EBADMSG);
}

static void
test_booleans(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(parse("Digest realm=\"r\", stale=TRUE", &d), 0);
	assert_true(d.stale);
	assert_int_equal(parse("Digest realm=\"r\", stale=\"false\"", &d), 0);
	assert_false(d.stale);
	assert_int_equal(parse("Digest realm=\"r\", stale=yes", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"r\", stale=\"\"", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest realm=\"r\", stale=truex", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"r\", userhash=True", &d), 0);
	assert_true(d.userhash);
	assert_int_equal(parse("Digest realm=\"r\", userhash=1", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest username=\"u\", userhash=maybe", &d), -EBADMSG);
}

/* Challenge-only parameters in credentials. */
static void
test_mixed(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    parse("Digest username=\"u\", stale=false", &d), -EBADMSG);
	assert_int_equal(
	    parse("Digest uri=\"sip:a\", domain=\"sip:a\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest response=\"0123456789abcdef0123456789"
	                       "abcdef\", charset=UTF-8",
	                     &d),
	    -EBADMSG);
}

static void
test_quoting(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(parse("Digest realm=\"abc", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"abc\\\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"a\\\rb\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"a\\\nb\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest username=\"a\\\r\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"a\x01\"", &d), -EBADMSG);
	assert_int_equal(parse("Digest realm=\"a\x7f\"", &d), -EBADMSG);
	/* Escapes are kept; only username reports them. */
	assert_int_equal(parse("Digest realm=\"a\\\\b\\\"c\"", &d), 0);
	check_sv(d.realm, "a\\\\b\\\"c");
	assert_false(d.username_escaped);
	assert_int_equal(parse("Digest username=\"\\a\"", &d), 0);
	check_sv(d.username, "\\a");
	assert_true(d.username_escaped);
	assert_int_equal(parse("Digest username=bob", &d), 0);
	check_sv(d.username, "bob");
	assert_false(d.username_escaped);
	/* UTF-8 inside quotes. */
	assert_int_equal(parse("Digest realm=\"J\xc3\xa4s\xc3\xb8n\"", &d), 0);
	check_sv(d.realm, "J\xc3\xa4s\xc3\xb8n");
}

static void
test_syntax(void **state)
{
	static const char *const bad[] = {
	    "",
	    "   ",
	    "\r\n ",
	    "Digest",
	    "Digest ",
	    "Digest \r\n ",
	    "Digest realm",
	    "Digest realm=",
	    "Digest realm= ",
	    "Digest =\"x\"",
	    "Digest realm=\"x\",",
	    "Digest realm=\"x\", ",
	    "Digest realm=\"x\",,nonce=\"y\"",
	    "Digest , realm=\"x\"",
	    "Digest realm=\"x\" nonce=\"y\"",
	    "Digest realm=\"x\";nonce=\"y\"",
	    "Digest realm=\"x\"garbage",
	    "Digest realm=\"x\" \"y\"",
	    "Digest realm=x=y",
	    "Digest realm=sip:x",
	    "Digest realm==x",
	    "Digest,realm=\"x\"",
	    "Digest=realm",
	    "\"Digest\" realm=\"x\"",
	    "Digest\x01realm=\"x\"",
	    ", Digest realm=\"x\"",
	    "realm=\"x\"",
	};
	struct sip_digest d;

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++)
		assert_int_equal(parse(bad[i], &d), -EBADMSG);
	assert_int_equal(sip_digest_parse(SV_NULL, &d), -EBADMSG);
	/* An embedded NUL is a byte like any other, not an end. */
	assert_int_equal(
	    sip_digest_parse(SV("Digest realm=\"x\"\0, nonce=\"y\""), &d),
	    -EBADMSG);
	assert_int_equal(
	    sip_digest_parse(SV("Digest realm=\"x\0\""), &d), -EBADMSG);
}

/* Only 'len' bytes are read: the same text, cut short, fails. */
static void
test_bounds(void **state)
{
	static const char text[] = "Digest realm=\"x\", nonce=\"y\"";
	struct sip_digest d;

	(void)state;
	assert_int_equal(
	    sip_digest_parse(sv_make(text, sizeof(text) - 1), &d), 0);
	for (size_t n = 0; n < sizeof(text) - 1; n++) {
		int rc = sip_digest_parse(sv_make(text, n), &d);

		/* Cutting right after the realm value is still valid. */
		if (n == 16)
			assert_int_equal(rc, 0);
		else
			assert_int_equal(rc, -EBADMSG);
	}
}

/* The views point into the input and nothing past it; an error leaves
 * *out zeroed. */
static void
test_exact_buffer(void **state)
{
	static const char *const inputs[] = {
	    "Digest realm=\"x\", nonce=\"y\"",
	    "Digest realm=x",
	    "Digest realm=\"x",
	    "Digest realm=\"x\\",
	    "Digest username=\"u\", qop=auth, cnonce=\"c\", nc=00000001",
	    "Digest nc=0000000",
	    "Basic realm=x",
	    "Digest ",
	};
	struct sip_digest d, zero;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	for (size_t i = 0; i < RP_ARRAY_LEN(inputs); i++) {
		size_t n = strlen(inputs[i]);
		char *buf = malloc(n);
		int rc;

		assert_non_null(buf);
		memcpy(buf, inputs[i], n);
		rc = sip_digest_parse(sv_make(buf, n), &d);
		if (rc == 0) {
			assert_true(d.scheme.p >= buf);
			assert_true(d.scheme.p + d.scheme.len <= buf + n);
			if (d.realm.p != NULL) {
				assert_true(d.realm.p >= buf);
				assert_true(d.realm.p + d.realm.len <= buf + n);
			}
		} else {
			assert_memory_equal(&d, &zero, sizeof(d));
		}
		free(buf);
	}
}

static size_t
append(char *buf, size_t at, size_t cap, const char *s)
{
	size_t n = strlen(s);

	assert_true(at + n < cap);
	memcpy(buf + at, s, n);
	buf[at + n] = '\0';
	return at + n;
}

/* SIP_PARAMS_MAX parameters pass; one more is -E2BIG. */
static void
test_too_many(void **state)
{
	char buf[2048];
	size_t len;
	struct sip_digest d;

	(void)state;
	for (int scheme = 0; scheme < 2; scheme++) {
		len = append(buf, 0, sizeof(buf),
		    scheme == 0 ? "Digest realm=\"r\"" : "Basic realm=\"r\"");
		for (unsigned i = 1; i < SIP_PARAMS_MAX; i++)
			len = append(buf, len, sizeof(buf), ", x=1");
		assert_int_equal(sip_digest_parse(sv_make(buf, len), &d), 0);
		len = append(buf, len, sizeof(buf), ", x=1");
		assert_int_equal(
		    sip_digest_parse(sv_make(buf, len), &d), -E2BIG);
	}
	/* The limit is hit before the rest is looked at. */
	len = append(buf, 0, sizeof(buf), "Digest realm=\"r\"");
	for (unsigned i = 1; i <= SIP_PARAMS_MAX; i++)
		len = append(buf, len, sizeof(buf), ", x=1");
	len = append(buf, len, sizeof(buf), ", realm=\"unterminated");
	assert_int_equal(sip_digest_parse(sv_make(buf, len), &d), -E2BIG);
}

/* Other schemes: the scheme and a syntax check only. */
static void
test_other_scheme(void **state)
{
	struct sip_digest d;

	(void)state;
	assert_int_equal(parse("Basic realm=\"x\", realm=\"y\", "
	                       "username*=UTF-8''a, nc=zz, stale=maybe",
	                     &d),
	    0);
	check_sv(d.scheme, "Basic");
	assert_false(d.is_digest);
	check_absent(d.realm);
	check_absent(d.nc);
	assert_false(d.stale);
	assert_int_equal(d.alg, SIP_DIGEST_ALG_ABSENT);
	assert_int_equal(parse("Digestive realm=\"x\"", &d), 0);
	assert_false(d.is_digest);
	assert_int_equal(parse("Basic", &d), -EBADMSG);
	assert_int_equal(parse("Basic realm=\"x", &d), -EBADMSG);
	assert_int_equal(parse("Basic realm=\"x\",", &d), -EBADMSG);
	assert_int_equal(
	    parse("Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc/def+", &d), -EBADMSG);
	assert_int_equal(parse("Basic dXNlcjpwYXNz==", &d), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc3261_challenges),
	    cmocka_unit_test(test_rfc3261_credentials),
	    cmocka_unit_test(test_rfc7616_sha256),
	    cmocka_unit_test(test_rfc7616_sha512_userhash),
	    cmocka_unit_test(test_rfc8760_algorithms),
	    cmocka_unit_test(test_alg_names),
	    cmocka_unit_test(test_every_field),
	    cmocka_unit_test(test_folding),
	    cmocka_unit_test(test_case_insensitive),
	    cmocka_unit_test(test_duplicates),
	    cmocka_unit_test(test_nc),
	    cmocka_unit_test(test_response),
	    cmocka_unit_test(test_qop),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_mixed),
	    cmocka_unit_test(test_quoting),
	    cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_exact_buffer),
	    cmocka_unit_test(test_too_many),
	    cmocka_unit_test(test_other_scheme),
	};

	return cmocka_run_group_tests_name("sip_digest", tests, NULL, NULL);
}
