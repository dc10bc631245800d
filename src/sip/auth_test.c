/* Unit tests for Digest authentication. R-AUTH-4, R-AUTH-5 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sip/auth.h"
#include "sip/digest.h"

#define REALM "pbx.example.com"
#define USER "1001"
#define PASSWORD "Kq7vRz3mWp9xTb2nHc4s"
#define URI "sip:pbx.example.com"
#define CNONCE "0a4f113b"
#define T0 1700000000u

static const uint8_t test_key[SIP_AUTH_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9,
    10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29, 30, 31, 32};

/* One client attempt: what the phone believes and sends. */
struct attempt {
	const char *user;
	const char *password;
	const char *realm;
	const char *nonce;
	const char *method;
	enum sip_digest_alg alg; /* ABSENT: no algorithm parameter */
	const char *qop;         /* NULL: RFC 2069 form */
	uint32_t nc;
};

struct result {
	enum sip_auth_result res;
	enum sip_auth_why why;
};

static struct attempt
attempt_default(const char *nonce, enum sip_digest_alg alg, uint32_t nc)
{
	struct attempt t = {
	    USER, PASSWORD, REALM, nonce, "REGISTER", alg, "auth", nc};

	return t;
}

static void
hex_of(const uint8_t *in, size_t len, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

/* Builds the Authorization value a phone would send, parses it with the
 * real parser and checks it against the stored HA1s. */
static struct result
run(struct sip_auth *a, const struct attempt *t,
    const struct sip_auth_ha1 *stored, uint64_t now_s, struct sv client)
{
	uint8_t ha1[SIP_AUTH_HASH_MAX];
	size_t ha1_len;
	char resp[SIP_AUTH_RESPONSE_HEX_MAX];
	char nc[9];
	char alg[64] = "";
	char qop[64] = "";
	char value[1024];
	enum sip_digest_alg calg =
	    t->alg == SIP_DIGEST_ALG_ABSENT ? SIP_DIGEST_ALG_MD5 : t->alg;
	struct sip_digest d;
	struct sip_auth_request req;
	struct result r;

	snprintf(nc, sizeof(nc), "%08x", t->nc);
	assert_int_equal(
	    sip_auth_ha1_compute(calg, sv_cstr(t->user), sv_cstr(t->realm),
	        sv_cstr(t->password), ha1, sizeof(ha1), &ha1_len),
	    0);
	assert_int_equal(
	    sip_auth_response(calg, ha1, ha1_len, sv_cstr(t->nonce),
	        t->qop ? sv_cstr(nc) : SV_NULL, t->qop ? SV(CNONCE) : SV_NULL,
	        t->qop ? sv_cstr(t->qop) : SV_NULL, sv_cstr(t->method), SV(URI),
	        resp, sizeof(resp)),
	    0);
	if (t->alg != SIP_DIGEST_ALG_ABSENT)
		snprintf(alg, sizeof(alg), ", algorithm=%s",
		    sip_digest_alg_name(t->alg));
	if (t->qop != NULL)
		snprintf(qop, sizeof(qop), ", qop=%s, nc=%s, cnonce=\"%s\"",
		    t->qop, nc, CNONCE);
	snprintf(value, sizeof(value),
	    "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", "
	    "uri=\"%s\", response=\"%s\"%s%s, opaque=\"x\"",
	    t->user, t->realm, t->nonce, URI, resp, alg, qop);
	assert_int_equal(sip_digest_parse(sv_cstr(value), &d), 0);
	req.cred = &d;
	req.method = sv_cstr(t->method);
	req.ha1 = stored;
	req.client = client;
	req.now_s = now_s;
	r.why = SIP_AUTH_WHY_INTERNAL;
	r.res = sip_auth_check(a, &req, &r.why);
	return r;
}

/* Copies 'tmpl' into out with its "%s" replaced by the nonce. */
static void
with_nonce(char *out, size_t size, const char *tmpl, const char *nonce)
{
	const char *at = strstr(tmpl, "%s");

	assert_non_null(at);
	snprintf(out, size, "%.*s%s%s", (int)(at - tmpl), tmpl, nonce, at + 2);
}

static void
expect(struct result r, enum sip_auth_result res, enum sip_auth_why why)
{
	assert_int_equal(r.res, res);
	assert_int_equal(r.why, why);
}

static struct sip_auth *
new_ctx(const struct sip_auth_config *cfg)
{
	struct sip_auth *a = NULL;

	assert_int_equal(sip_auth_new(&a, SV(REALM), test_key, cfg), 0);
	assert_non_null(a);
	return a;
}

static void
stored_ha1(struct sip_auth_ha1 *h)
{
	assert_int_equal(
	    sip_auth_ha1_set(h, SV(USER), SV(REALM), SV(PASSWORD)), 0);
}

static void
nonce_at(struct sip_auth *a, uint64_t now_s, struct sv client, char *out)
{
	assert_int_equal(
	    sip_auth_nonce(a, client, now_s, out, SIP_AUTH_NONCE_LEN + 1), 0);
	assert_int_equal(strlen(out), SIP_AUTH_NONCE_LEN);
}

/* RFC 7616 §3.9.1, SHA-256 and MD5 examples. R-AUTH-4 */
static void
test_rfc7616_examples(void **state)
{
	static const char nonce[] =
	    "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
	static const char cnonce[] =
	    "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
	uint8_t ha1[SIP_AUTH_HASH_MAX];
	char hex[SIP_AUTH_RESPONSE_HEX_MAX];
	size_t len = 0;

	(void)state;
	assert_int_equal(sip_auth_ha1_compute(SIP_DIGEST_ALG_SHA256,
	                     SV("Mufasa"), SV("http-auth@example.org"),
	                     SV("Circle of Life"), ha1, sizeof(ha1), &len),
	    0);
	assert_int_equal(len, SIP_AUTH_SHA256_LEN);
	hex_of(ha1, len, hex);
	assert_string_equal(hex, "7987c64c30e25f1b74be53f966b49b90"
	                         "f2808aa92faf9a00262392d7b4794232");
	assert_int_equal(
	    sip_auth_response(SIP_DIGEST_ALG_SHA256, ha1, len, SV(nonce),
	        SV("00000001"), SV(cnonce), SV("auth"), SV("GET"),
	        SV("/dir/index.html"), hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, "753927fa0e85d155564e2e272a28d180"
	                         "2ca10daf4496794697cf8db5856cb6c1");

	assert_int_equal(sip_auth_ha1_compute(SIP_DIGEST_ALG_MD5, SV("Mufasa"),
	                     SV("http-auth@example.org"), SV("Circle of Life"),
	                     ha1, sizeof(ha1), &len),
	    0);
	assert_int_equal(len, SIP_AUTH_MD5_LEN);
	hex_of(ha1, len, hex);
	assert_string_equal(hex, "3d78807defe7de2157e2b0b6573a855f");
	assert_int_equal(
	    sip_auth_response(SIP_DIGEST_ALG_MD5, ha1, len, SV(nonce),
	        SV("00000001"), SV(cnonce), SV("auth"), SV("GET"),
	        SV("/dir/index.html"), hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, "8ca523f5e9506fed4657c9700eebdbec");
	/* No algorithm parameter means MD5 (RFC 3261 §22.4). */
	assert_int_equal(
	    sip_auth_response(SIP_DIGEST_ALG_ABSENT, ha1, len, SV(nonce),
	        SV("00000001"), SV(cnonce), SV("auth"), SV("GET"),
	        SV("/dir/index.html"), hex, sizeof(hex)),
	    0);
	assert_string_equal(hex, "8ca523f5e9506fed4657c9700eebdbec");
}

/* Argument checks of the pure helpers. */
static void
test_helpers_errors(void **state)
{
	uint8_t ha1[SIP_AUTH_HASH_MAX] = {0};
	char hex[SIP_AUTH_RESPONSE_HEX_MAX];
	struct sip_auth_ha1 h;
	size_t len;

	(void)state;
	assert_int_equal(sip_auth_ha1_compute(SIP_DIGEST_ALG_SHA512_256,
	                     SV("u"), SV("r"), SV("s"), ha1, sizeof(ha1), &len),
	    -EINVAL);
	assert_int_equal(sip_auth_ha1_compute(SIP_DIGEST_ALG_MD5_SESS, SV("u"),
	                     SV("r"), SV("s"), ha1, sizeof(ha1), &len),
	    -EINVAL);
	assert_int_equal(sip_auth_ha1_compute(SIP_DIGEST_ALG_SHA256, SV("u"),
	                     SV("r"), SV("s"), ha1, 16, &len),
	    -EINVAL);
	assert_int_equal(sip_auth_response(SIP_DIGEST_ALG_SHA256, ha1, 16,
	                     SV("n"), SV("00000001"), SV("c"), SV("auth"),
	                     SV("GET"), SV("/"), hex, sizeof(hex)),
	    -EINVAL);
	assert_int_equal(sip_auth_response(SIP_DIGEST_ALG_MD5, ha1, 16, SV("n"),
	                     SV("00000001"), SV("c"), SV("auth"), SV("GET"),
	                     SV("/"), hex, 32),
	    -EINVAL);
	assert_int_equal(sip_auth_response(SIP_DIGEST_ALG_UNKNOWN, ha1, 16,
	                     SV("n"), SV("00000001"), SV("c"), SV("auth"),
	                     SV("GET"), SV("/"), hex, sizeof(hex)),
	    -EINVAL);
	assert_int_equal(sip_auth_response(SIP_DIGEST_ALG_MD5, NULL, 16,
	                     SV("n"), SV("00000001"), SV("c"), SV("auth"),
	                     SV("GET"), SV("/"), hex, sizeof(hex)),
	    -EINVAL);
	assert_int_equal(sip_auth_ha1_set(&h, SV("u"), SV("r"), SV("s")), 0);
	assert_true(h.has_md5 && h.has_sha256);
	sip_auth_ha1_wipe(&h);
	assert_false(h.has_md5 || h.has_sha256);
	for (size_t i = 0; i < sizeof(h.sha256); i++)
		assert_int_equal(h.sha256[i], 0);
	assert_string_equal(sip_auth_why_name(SIP_AUTH_WHY_REPLAY), "replay");
	assert_string_equal(sip_auth_why_name(SIP_AUTH_WHY_NONE), "none");
	assert_string_equal(
	    sip_auth_why_name((enum sip_auth_why)99), "unknown");
}

/* Splits "Name: value\r\n" lines; returns the value of line 'n'. */
static struct sv
line_value(struct sv all, unsigned n, struct sv name)
{
	struct sv line = SV_NULL;

	for (unsigned i = 0; i <= n; i++) {
		const char *crlf = memchr(all.p, '\r', all.len);

		assert_non_null(crlf);
		line = sv_make(all.p, (size_t)(crlf - all.p));
		assert_true((size_t)(crlf - all.p) + 2 <= all.len);
		assert_int_equal(crlf[1], '\n');
		all = sv_skip(all, line.len + 2);
	}
	assert_true(sv_starts_with(line, name));
	return sv_skip(line, name.len);
}

/* Challenge text, parsed back with the real parser. R-AUTH-4 */
static void
test_challenge_text(void **state)
{
	struct sip_auth *a = new_ctx(NULL);
	struct sip_digest d1, d2;
	struct buf b;
	struct sv v;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(
	    sip_auth_challenge(a, &b, false, false, SV_NULL, T0), 0);
	v = line_value(buf_view(&b), 0, SV("WWW-Authenticate: "));
	assert_int_equal(sip_digest_parse(v, &d1), 0);
	v = line_value(buf_view(&b), 1, SV("WWW-Authenticate: "));
	assert_int_equal(sip_digest_parse(v, &d2), 0);
	assert_true(d1.is_digest && d2.is_digest);
	/* RFC 8760 §2.4: SHA-256 first. */
	assert_int_equal(d1.alg, SIP_DIGEST_ALG_SHA256);
	assert_int_equal(d2.alg, SIP_DIGEST_ALG_MD5);
	assert_true(sv_eq(d1.realm, SV(REALM)));
	assert_true(sv_eq(d2.realm, SV(REALM)));
	assert_int_equal(d1.nonce.len, SIP_AUTH_NONCE_LEN);
	assert_true(sv_eq(d1.nonce, d2.nonce));
	assert_true(d1.opaque.len == 16 && sv_eq(d1.opaque, d2.opaque));
	assert_true(d1.qop_auth && d2.qop_auth);
	assert_false(d1.qop_auth_int);
	assert_false(d1.stale || d2.stale);
	assert_int_equal(b.len, (size_t)(v.p + v.len - b.data) + 2);

	buf_reset(&b);
	assert_int_equal(sip_auth_challenge(a, &b, true, true, SV_NULL, T0), 0);
	v = line_value(buf_view(&b), 0, SV("Proxy-Authenticate: "));
	assert_int_equal(sip_digest_parse(v, &d1), 0);
	assert_true(d1.stale);
	assert_int_equal(d1.alg, SIP_DIGEST_ALG_SHA256);
	v = line_value(buf_view(&b), 1, SV("Proxy-Authenticate: "));
	assert_int_equal(sip_digest_parse(v, &d2), 0);
	assert_true(d2.stale);
	assert_int_equal(d2.alg, SIP_DIGEST_ALG_MD5);

	/* One value, and its argument checks. */
	buf_reset(&b);
	assert_int_equal(sip_auth_challenge_value(
	                     a, &b, SIP_DIGEST_ALG_MD5, SV("abc-_9"), false),
	    0);
	assert_true(sv_starts_with(buf_view(&b),
	    SV("Digest realm=\"" REALM "\", nonce=\"abc-_9\", opaque=\"")));
	assert_true(buf_view(&b).len > 20);
	assert_int_equal(sip_auth_challenge_value(a, &b,
	                     SIP_DIGEST_ALG_SHA512_256, SV("abc"), false),
	    -EINVAL);
	assert_int_equal(sip_auth_challenge_value(
	                     a, &b, SIP_DIGEST_ALG_MD5, SV("a\"b"), false),
	    -EINVAL);
	assert_int_equal(
	    sip_auth_challenge_value(a, &b, SIP_DIGEST_ALG_MD5, SV(""), false),
	    -EINVAL);

	/* The buf's size cap is reported. */
	buf_release(&b);
	buf_init(&b, 64);
	assert_int_equal(
	    sip_auth_challenge(a, &b, false, false, SV_NULL, T0), -E2BIG);
	buf_release(&b);
	sip_auth_free(a);
}

/* A full round trip, then nonce-count replay. R-AUTH-4 */
static void
test_verify_and_replay(void **state)
{
	struct sip_auth *a = new_ctx(NULL);
	struct sip_auth_ha1 h;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	struct attempt t;

	(void)state;
	stored_ha1(&h);
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	expect(run(a, &t, &h, T0 + 1, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	/* The same nc again: a replay. */
	expect(run(a, &t, &h, T0 + 1, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_REPLAY);
	t.nc = 2;
	expect(run(a, &t, &h, T0 + 2, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	t.nc = 7; /* gaps are fine: requests may be lost */
	expect(run(a, &t, &h, T0 + 3, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	t.nc = 5;
	expect(run(a, &t, &h, T0 + 3, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_REPLAY);
	t.nc = 7;
	expect(run(a, &t, &h, T0 + 3, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_REPLAY);
	t.nc = 8;
	t.method = "INVITE";
	expect(run(a, &t, &h, T0 + 4, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);

	/* MD5, and MD5 by default, on another nonce. */
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_MD5, 1);
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	t = attempt_default(nonce, SIP_DIGEST_ALG_ABSENT, 2);
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	/* A failed check does not move nc: a wrong password at nc 3 leaves
	 * nc 3 usable. */
	t.nc = 3;
	t.password = "wrong-password-xyz";
	expect(
	    run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_RESPONSE);
	t.password = PASSWORD;
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);

	/* NULL 'why' is allowed. */
	{
		struct sip_digest d;
		struct sip_auth_request req = {
		    &d, SV("REGISTER"), &h, SV_NULL, T0};

		assert_int_equal(
		    sip_digest_parse(SV("Digest username=\"a\", "
		                        "realm=\"x\", nonce=\"n\", "
		                        "uri=\"sip:x\", response=\""
		                        "0123456789abcdef0123456789abcdef\""),
		        &d),
		    0);
		assert_int_equal(sip_auth_check(a, &req, NULL), SIP_AUTH_FAIL);
	}
	sip_auth_free(a);
}

/* Expiry gives STALE only with a right response. R-AUTH-4 */
static void
test_expiry_and_stale(void **state)
{
	struct sip_auth_config cfg = {.nonce_lifetime_s = 60};
	struct sip_auth *a = new_ctx(NULL);
	struct sip_auth *b = new_ctx(&cfg);
	struct sip_auth_ha1 h;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	struct attempt t;

	(void)state;
	stored_ha1(&h);
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	/* Default lifetime: 300 s, the last second included. */
	expect(
	    run(a, &t, &h, T0 + 300, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	t.nc = 2;
	expect(run(a, &t, &h, T0 + 301, SV_NULL), SIP_AUTH_STALE,
	    SIP_AUTH_WHY_EXPIRED);
	/* Expired and wrong: plain failure, no hint. */
	t.password = "not-the-password-1";
	expect(run(a, &t, &h, T0 + 301, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_RESPONSE);
	/* Expired, right, unknown user: failure too. */
	t.password = PASSWORD;
	expect(run(a, &t, NULL, T0 + 301, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_RESPONSE);

	/* A nonce from the future beyond the allowed skew. */
	nonce_at(a, T0 + 1000, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	expect(run(a, &t, &h, T0 + 1000 - SIP_AUTH_CLOCK_SKEW_S - 1, SV_NULL),
	    SIP_AUTH_STALE, SIP_AUTH_WHY_EXPIRED);
	expect(run(a, &t, &h, T0 + 1000 - SIP_AUTH_CLOCK_SKEW_S, SV_NULL),
	    SIP_AUTH_OK, SIP_AUTH_WHY_NONE);

	/* A configured lifetime; the same key accepts the other context's
	 * nonces (a cluster sharing its key). */
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_MD5, 1);
	expect(
	    run(b, &t, &h, T0 + 60, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	t.nc = 2;
	expect(run(b, &t, &h, T0 + 61, SV_NULL), SIP_AUTH_STALE,
	    SIP_AUTH_WHY_EXPIRED);
	sip_auth_free(a);
	sip_auth_free(b);
}

/* Forged, altered or foreign nonces. R-AUTH-4 */
static void
test_nonce_tamper(void **state)
{
	struct sip_auth *a = new_ctx(NULL);
	struct sip_auth *other = NULL;
	struct sip_auth *realm2 = NULL;
	struct sip_auth_ha1 h;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	char bad[SIP_AUTH_NONCE_LEN + 2];
	struct attempt t;

	(void)state;
	stored_ha1(&h);
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(bad, SIP_DIGEST_ALG_SHA256, 1);
	/* Every position matters: time, random and tag. */
	for (size_t i = 0; i < SIP_AUTH_NONCE_LEN; i += 5) {
		memcpy(bad, nonce, sizeof(nonce));
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL,
		    SIP_AUTH_WHY_NONCE);
	}
	/* Wrong length, wrong alphabet. */
	memcpy(bad, nonce, sizeof(nonce));
	bad[SIP_AUTH_NONCE_LEN - 1] = '\0';
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_NONCE);
	memcpy(bad, nonce, sizeof(nonce));
	bad[SIP_AUTH_NONCE_LEN] = 'A';
	bad[SIP_AUTH_NONCE_LEN + 1] = '\0';
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_NONCE);
	memcpy(bad, nonce, sizeof(nonce));
	bad[3] = '+';
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_NONCE);
	/* A nonce from a server with another key. */
	assert_int_equal(sip_auth_new(&other, SV(REALM), NULL, NULL), 0);
	nonce_at(other, T0, SV_NULL, bad);
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_NONCE);
	/* Same key, another realm: the realm is inside the tag. */
	assert_int_equal(
	    sip_auth_new(&realm2, SV("other.example.com"), test_key, NULL), 0);
	nonce_at(realm2, T0, SV_NULL, bad);
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_NONCE);

	/* A nonce bound to a client address. */
	nonce_at(a, T0, SV("192.0.2.10:5060"), bad);
	expect(run(a, &t, &h, T0, SV("192.0.2.11:5060")), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_NONCE);
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_NONCE);
	expect(run(a, &t, &h, T0, SV("192.0.2.10:5060")), SIP_AUTH_OK,
	    SIP_AUTH_WHY_NONE);
	/* Binding too long, output too small. */
	assert_int_equal(sip_auth_nonce(a,
	                     SV("0123456789012345678901234567890123456789"
	                        "0123456789012345678901234"),
	                     T0, bad, sizeof(bad)),
	    -EINVAL);
	assert_int_equal(
	    sip_auth_nonce(a, SV_NULL, T0, bad, SIP_AUTH_NONCE_LEN), -EINVAL);
	/* Two nonces in the same second differ. */
	nonce_at(a, T0, SV_NULL, nonce);
	nonce_at(a, T0, SV_NULL, bad);
	assert_string_not_equal(nonce, bad);
	sip_auth_free(a);
	sip_auth_free(other);
	sip_auth_free(realm2);
}

/* Unknown users and wrong passwords fail alike. R-AUTH-5 */
static void
test_unknown_user(void **state)
{
	struct sip_auth *a = new_ctx(NULL);
	struct sip_auth_ha1 h, md5_only;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	struct attempt t;

	(void)state;
	stored_ha1(&h);
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	t.user = "9999";
	expect(run(a, &t, NULL, T0, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_RESPONSE);
	t.user = USER;
	t.password = "wrong-password-123";
	expect(
	    run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_RESPONSE);
	/* A user whose HA1 for the chosen algorithm is not stored fails like
	 * an unknown one, even if the bytes happen to be right. */
	t.password = PASSWORD;
	md5_only = h;
	md5_only.has_sha256 = false;
	expect(run(a, &t, &md5_only, T0, SV_NULL), SIP_AUTH_FAIL,
	    SIP_AUTH_WHY_RESPONSE);
	t.alg = SIP_DIGEST_ALG_MD5;
	expect(
	    run(a, &t, &md5_only, T0, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	sip_auth_ha1_wipe(&md5_only);
	sip_auth_free(a);
}

/* Realm, algorithm, qop and form checks. R-AUTH-4 */
static void
test_refusals(void **state)
{
	struct sip_auth *a = new_ctx(NULL);
	struct sip_auth_ha1 h;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	struct attempt t;

	(void)state;
	stored_ha1(&h);
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	t.realm = "other.example.com";
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_REALM);
	t.realm = "PBX.example.com"; /* realms compare exactly */
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_REALM);
	t.realm = REALM;
	t.alg = SIP_DIGEST_ALG_SHA512_256;
	/* The test client cannot compute SHA-512-256; send raw values. */
	{
		static const char *const values[] = {
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", algorithm=SHA-512-256, "
		    "response=\"0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef\", qop=auth, "
		    "nc=00000001, cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", algorithm=MD5-sess, "
		    "response=\"0123456789abcdef0123456789abcdef\", qop=auth, "
		    "nc=00000001, cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", algorithm=SHA-256, "
		    "userhash=true, response=\"0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef\", qop=auth, "
		    "nc=00000001, cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", algorithm=FOO, "
		    "response=\"0123\", qop=auth, nc=00000001, cnonce=\"c\"",
		};
		static const enum sip_auth_why whys[] = {SIP_AUTH_WHY_ALGORITHM,
		    SIP_AUTH_WHY_ALGORITHM, SIP_AUTH_WHY_ALGORITHM,
		    SIP_AUTH_WHY_ALGORITHM};

		for (size_t i = 0; i < RP_ARRAY_LEN(values); i++) {
			char v[512];
			struct sip_digest d;
			struct sip_auth_request req = {
			    &d, SV("REGISTER"), &h, SV_NULL, T0};
			enum sip_auth_why why;

			with_nonce(v, sizeof(v), values[i], nonce);
			assert_int_equal(sip_digest_parse(sv_cstr(v), &d), 0);
			assert_int_equal(
			    sip_auth_check(a, &req, &why), SIP_AUTH_FAIL);
			assert_int_equal(why, whys[i]);
		}
	}
	/* qop=auth-int is never offered. */
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	t.qop = "auth-int";
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_QOP);
	/* RFC 2069 form (no qop) is refused by default. */
	t.qop = NULL;
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_QOP);
	/* Empty method, nc zero, empty username, other scheme. */
	{
		static const char *const values[] = {
		    "Digest username=\"\", realm=\"" REALM "\", nonce=\"%s\", "
		    "uri=\"" URI "\", response=\"0123456789abcdef0123456789abcd"
		    "ef\", qop=auth, nc=00000001, cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", response=\"0123456789abcdef"
		    "0123456789abcdef\", qop=auth, nc=00000000, cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", response=\"0123456789abcdef"
		    "0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", response=\"0123456789abcdef"
		    "0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "nonce=\"%s\", uri=\"" URI "\", qop=auth, nc=00000001, "
		    "cnonce=\"c\"",
		    "Digest username=\"1001\", realm=\"" REALM "\", "
		    "uri=\"" URI "\", response=\"0123456789abcdef"
		    "0123456789abcdef\", qop=auth, nc=00000001, cnonce=\"c%s\"",
		    "Basic realm=\"%s\"",
		};

		for (size_t i = 0; i < RP_ARRAY_LEN(values); i++) {
			char v[512];
			struct sip_digest d;
			struct sip_auth_request req = {
			    &d, SV("REGISTER"), &h, SV_NULL, T0};
			enum sip_auth_why why;

			with_nonce(v, sizeof(v), values[i], nonce);
			assert_int_equal(sip_digest_parse(sv_cstr(v), &d), 0);
			assert_int_equal(
			    sip_auth_check(a, &req, &why), SIP_AUTH_FAIL);
			assert_int_equal(why, SIP_AUTH_WHY_MALFORMED);
		}
		/* Missing realm. */
		{
			char v[512];
			struct sip_digest d;
			struct sip_auth_request req = {
			    &d, SV("REGISTER"), &h, SV_NULL, T0};
			enum sip_auth_why why;

			snprintf(v, sizeof(v),
			    "Digest username=\"1001\", nonce=\"%s\", "
			    "uri=\"" URI "\", response=\"0123456789abcdef"
			    "0123456789abcdef\", qop=auth, nc=00000001, "
			    "cnonce=\"c\"",
			    nonce);
			assert_int_equal(sip_digest_parse(sv_cstr(v), &d), 0);
			assert_int_equal(
			    sip_auth_check(a, &req, &why), SIP_AUTH_FAIL);
			assert_int_equal(why, SIP_AUTH_WHY_REALM);
			req.method = SV_NULL;
			assert_int_equal(
			    sip_auth_check(a, &req, &why), SIP_AUTH_FAIL);
			assert_int_equal(why, SIP_AUTH_WHY_MALFORMED);
		}
	}
	sip_auth_free(a);
}

/* RFC 2069 credentials when allowed: each nonce once. R-AUTH-4 */
static void
test_no_qop_allowed(void **state)
{
	struct sip_auth_config cfg = {.allow_no_qop = true};
	struct sip_auth *a = new_ctx(&cfg);
	struct sip_auth_ha1 h;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	struct attempt t;

	(void)state;
	stored_ha1(&h);
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_MD5, 0);
	t.qop = NULL;
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	expect(
	    run(a, &t, &h, T0, SV_NULL), SIP_AUTH_STALE, SIP_AUTH_WHY_NC_LOST);
	t.password = "wrong-password-123";
	expect(
	    run(a, &t, &h, T0, SV_NULL), SIP_AUTH_FAIL, SIP_AUTH_WHY_RESPONSE);
	/* qop=auth still works alongside. */
	nonce_at(a, T0, SV_NULL, nonce);
	t = attempt_default(nonce, SIP_DIGEST_ALG_SHA256, 1);
	expect(run(a, &t, &h, T0, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	sip_auth_free(a);
}

/* A small table under pressure: eviction never lets a replay through.
 * R-AUTH-4 */
static void
test_nc_eviction(void **state)
{
	enum {
		N = 200
	};
	struct sip_auth_config cfg = {.nc_slots = 16};
	struct sip_auth *a = new_ctx(&cfg);
	struct sip_auth_ha1 h;
	char nonces[N][SIP_AUTH_NONCE_LEN + 1];
	char fresh[SIP_AUTH_NONCE_LEN + 1];
	struct attempt t;
	unsigned ok = 0, stale = 0;

	(void)state;
	stored_ha1(&h);
	/* One nonce per second, each used once right away: all accepted. */
	for (unsigned i = 0; i < N; i++) {
		nonce_at(a, T0 + i, SV_NULL, nonces[i]);
		t = attempt_default(nonces[i], SIP_DIGEST_ALG_MD5, 1);
		expect(run(a, &t, &h, T0 + i, SV_NULL), SIP_AUTH_OK,
		    SIP_AUTH_WHY_NONE);
	}
	/* Replaying any of them never succeeds: either the entry is still
	 * there (replay) or it was evicted (stale). */
	for (unsigned i = 0; i < N; i++) {
		struct result r;

		t = attempt_default(nonces[i], SIP_DIGEST_ALG_MD5, 1);
		r = run(a, &t, &h, T0 + N, SV_NULL);
		assert_int_not_equal(r.res, SIP_AUTH_OK);
		if (r.res == SIP_AUTH_STALE) {
			assert_int_equal(r.why, SIP_AUTH_WHY_NC_LOST);
			stale++;
		} else {
			assert_int_equal(r.why, SIP_AUTH_WHY_REPLAY);
		}
	}
	assert_true(stale >= N - 16);
	/* The most recent nonce is still tracked: a higher nc passes. */
	t = attempt_default(nonces[N - 1], SIP_DIGEST_ALG_MD5, 2);
	expect(run(a, &t, &h, T0 + N, SV_NULL), SIP_AUTH_OK, SIP_AUTH_WHY_NONE);
	/* A fresh nonce issued later works. */
	nonce_at(a, T0 + N + 1, SV_NULL, fresh);
	t = attempt_default(fresh, SIP_DIGEST_ALG_MD5, 1);
	expect(run(a, &t, &h, T0 + N + 1, SV_NULL), SIP_AUTH_OK,
	    SIP_AUTH_WHY_NONE);
	/* Once every entry has expired, expired slots are reused first, and
	 * later evictions only touch nonces older than the new ones: fresh
	 * nonces are all accepted. */
	for (unsigned i = 0; i < 64; i++) {
		uint64_t now = T0 + 10000 + i;

		nonce_at(a, now, SV_NULL, fresh);
		t = attempt_default(fresh, SIP_DIGEST_ALG_SHA256, 1);
		if (run(a, &t, &h, now, SV_NULL).res == SIP_AUTH_OK)
			ok++;
	}
	assert_int_equal(ok, 64);
	sip_auth_free(a);
}

/* Context creation: bad arguments and every allocation failing. */
static void
test_new_errors(void **state)
{
	struct sip_auth *a = NULL;
	struct sip_auth_config cfg = {0};

	(void)state;
	assert_int_equal(sip_auth_new(&a, SV(""), NULL, NULL), -EINVAL);
	assert_int_equal(sip_auth_new(&a, SV("a\"b"), NULL, NULL), -EINVAL);
	assert_int_equal(sip_auth_new(&a, SV("a\\b"), NULL, NULL), -EINVAL);
	assert_int_equal(sip_auth_new(&a, SV("a\r\nb"), NULL, NULL), -EINVAL);
	assert_int_equal(
	    sip_auth_new(&a, SV("caf\xc3\xa9"), NULL, NULL), -EINVAL);
	{
		char big[SIP_AUTH_REALM_MAX + 1];

		memset(big, 'r', sizeof(big));
		assert_int_equal(
		    sip_auth_new(&a, sv_make(big, sizeof(big)), NULL, NULL),
		    -EINVAL);
		assert_int_equal(
		    sip_auth_new(
		        &a, sv_make(big, SIP_AUTH_REALM_MAX), NULL, NULL),
		    0);
		sip_auth_free(a);
		a = NULL;
	}
	cfg.nc_slots = 1000;
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, &cfg), -EINVAL);
	cfg.nc_slots = 8;
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, &cfg), -EINVAL);
	cfg.nc_slots = SIP_AUTH_NC_SLOTS_MAX * 2;
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, &cfg), -EINVAL);
	cfg.nc_slots = 0;
	cfg.nonce_lifetime_s = SIP_AUTH_NONCE_LIFETIME_MAX_S + 1;
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, &cfg), -EINVAL);
	assert_null(a);

	mem_fail_nth(1);
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, NULL), -ENOMEM);
	mem_fail_nth(2);
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, NULL), -ENOMEM);
	mem_fail_nth(0);
	assert_null(a);
	mem_fail_nth(3);
	assert_int_equal(sip_auth_new(&a, SV(REALM), NULL, NULL), 0);
	mem_fail_nth(0);
	assert_true(sv_eq(sip_auth_realm(a), SV(REALM)));
	sip_auth_free(a);
	sip_auth_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc7616_examples),
	    cmocka_unit_test(test_helpers_errors),
	    cmocka_unit_test(test_challenge_text),
	    cmocka_unit_test(test_verify_and_replay),
	    cmocka_unit_test(test_expiry_and_stale),
	    cmocka_unit_test(test_nonce_tamper),
	    cmocka_unit_test(test_unknown_user),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_no_qop_allowed),
	    cmocka_unit_test(test_nc_eviction),
	    cmocka_unit_test(test_new_errors),
	};

	return cmocka_run_group_tests_name("sip_auth", tests, NULL, NULL);
}
