/* Unit tests for client-side Digest authentication (R-AUTH-4): the
 * RFC 7616 §3.9.1 vectors, algorithm choice and the downgrade and realm
 * policies, nonce-counts, and round trips through the server's check in
 * sip/auth.c. */
#include "sip/test_common.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sip/auth.h"
#include "sip/digest.h"
#include "sip/msg.h"
#include "sip/uac_auth.h"

/* RFC 7616 §3.9.1. */
#define V_USER "Mufasa"
#define V_REALM "http-auth@example.org"
#define V_PASS "Circle of Life"
#define V_URI "/dir/index.html"
#define V_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define V_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define V_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
#define V_CHAL(alg)                                                            \
	"Digest realm=\"" V_REALM "\", qop=\"auth, auth-int\", "               \
	"algorithm=" alg ", nonce=\"" V_NONCE "\", opaque=\"" V_OPAQUE "\""
#define V_MD5 "8ca523f5e9506fed4657c9700eebdbec"
#define V_SHA256                                                               \
	"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"

#define REALM "sip.operator.example"
#define USER "trunk17"
#define PASS "Xq9!vR2#mWp7tB4n"
#define RURI "sip:sip.operator.example"
#define T0 1700000000u

#define RESP_HEAD(status)                                                      \
	"SIP/2.0 " status "\r\n"                                               \
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKr1\r\n"                \
	"From: <sip:trunk17@sip.operator.example>;tag=f1\r\n"                  \
	"To: <sip:trunk17@sip.operator.example>;tag=t1\r\n"                    \
	"Call-ID: reg1@192.0.2.10\r\n"                                         \
	"CSeq: 1 REGISTER\r\n"

static const uint8_t server_key[SIP_AUTH_KEY_LEN] = {7, 7, 7, 7, 1, 2, 3, 4, 5,
    6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28};

static struct sip_digest
chal_of(const char *text)
{
	struct sip_digest d;

	assert_int_equal(sip_digest_parse(sv_cstr(text), &d), 0);
	return d;
}

static struct sip_uac_auth_cred
pass_cred(const char *user, const char *realm, const char *pass)
{
	struct sip_uac_auth_cred c = {
	    .username = sv_cstr(user),
	    .realm = realm != NULL ? sv_cstr(realm) : SV_NULL,
	    .password = sv_cstr(pass),
	    .min_alg = SIP_DIGEST_ALG_MD5,
	};

	return c;
}

/* One credentials value for a parsed challenge, as a C string. */
static int
value_of(struct sip_uac_auth *st, const struct sip_uac_auth_cred *cred,
    const char *chal, const char *method, const char *uri, const char *cnonce,
    char *out, size_t size, struct sip_uac_auth_info *info)
{
	struct sip_digest d = chal_of(chal);
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = sip_uac_auth_value(st, cred, &d, sv_cstr(method), sv_cstr(uri),
	    cnonce != NULL ? sv_cstr(cnonce) : SV_NULL, &b, info);
	if (rc == 0) {
		assert_true(b.len < size);
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	buf_release(&b);
	return rc;
}

static int
setup(void **state)
{
	struct sip_uac_auth *st;

	if (sip_uac_auth_new(&st) != 0)
		return -1;
	*state = st;
	return 0;
}

static int
teardown(void **state)
{
	sip_uac_auth_free(*state);
	return 0;
}

/* RFC 7616 §3.9.1, both algorithms, from the password and from HA1. */
static void
test_rfc7616_vectors(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(V_USER, V_REALM, V_PASS);
	struct sip_uac_auth_info info;
	struct sip_auth_ha1 ha1;
	struct sip_digest d;
	char out[1024];

	assert_int_equal(value_of(st, &cred, V_CHAL("SHA-256"), "GET", V_URI,
	                     V_CNONCE, out, sizeof(out), &info),
	    0);
	assert_string_equal(out,
	    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
	    "nonce=\"" V_NONCE "\", uri=\"/dir/index.html\", "
	    "response=\"" V_SHA256 "\", algorithm=SHA-256, "
	    "cnonce=\"" V_CNONCE "\", qop=auth, nc=00000001, "
	    "opaque=\"" V_OPAQUE "\"");
	assert_int_equal(info.alg, SIP_DIGEST_ALG_SHA256);
	assert_int_equal(info.nc, 1);
	assert_false(info.stale);
	/* What we send parses back as credentials. */
	assert_int_equal(sip_digest_parse(sv_cstr(out), &d), 0);
	assert_true(sv_eq(d.response, SV(V_SHA256)));
	assert_int_equal(d.nc_value, 1);

	sip_uac_auth_reset(st);
	assert_int_equal(value_of(st, &cred, V_CHAL("MD5"), "GET", V_URI,
	                     V_CNONCE, out, sizeof(out), &info),
	    0);
	assert_non_null(strstr(out, "response=\"" V_MD5 "\""));
	assert_non_null(strstr(out, "algorithm=MD5"));
	assert_int_equal(info.alg, SIP_DIGEST_ALG_MD5);

	/* The same from precomputed HA1s, without the password. */
	assert_int_equal(
	    sip_auth_ha1_set(&ha1, SV(V_USER), SV(V_REALM), SV(V_PASS)), 0);
	cred.password = SV_NULL;
	cred.ha1 = &ha1;
	sip_uac_auth_reset(st);
	assert_int_equal(value_of(st, &cred, V_CHAL("SHA-256"), "GET", V_URI,
	                     V_CNONCE, out, sizeof(out), NULL),
	    0);
	assert_non_null(strstr(out, "response=\"" V_SHA256 "\""));
	sip_uac_auth_reset(st);
	assert_int_equal(value_of(st, &cred, V_CHAL("MD5"), "GET", V_URI,
	                     V_CNONCE, out, sizeof(out), NULL),
	    0);
	assert_non_null(strstr(out, "response=\"" V_MD5 "\""));
	sip_auth_ha1_wipe(&ha1);
}

/* Without an algorithm parameter MD5 is used and none is echoed; a
 * random cnonce is 32 hex digits and fresh each time. */
static void
test_absent_alg_and_cnonce(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(V_USER, NULL, V_PASS);
	struct sip_digest d1, d2;
	char a[1024], b[1024];
	const char *chal =
	    "Digest realm=\"" V_REALM "\", nonce=\"" V_NONCE "\", qop=\"auth\"";

	assert_int_equal(value_of(st, &cred, chal, "REGISTER", RURI, NULL, a,
	                     sizeof(a), NULL),
	    0);
	assert_int_equal(value_of(st, &cred, chal, "REGISTER", RURI, NULL, b,
	                     sizeof(b), NULL),
	    0);
	assert_null(strstr(a, "algorithm"));
	assert_null(strstr(a, "opaque"));
	assert_int_equal(sip_digest_parse(sv_cstr(a), &d1), 0);
	assert_int_equal(sip_digest_parse(sv_cstr(b), &d2), 0);
	assert_int_equal(d1.cnonce.len, 2 * SIP_UAC_AUTH_CNONCE_BYTES);
	for (size_t i = 0; i < d1.cnonce.len; i++)
		assert_non_null(strchr("0123456789abcdef", d1.cnonce.p[i]));
	assert_false(sv_eq(d1.cnonce, d2.cnonce));
	assert_int_equal(d1.nc_value, 1);
	assert_int_equal(d2.nc_value, 2);
	assert_int_equal(d1.response.len, 32);
}

/* The strongest acceptable challenge wins, whatever the order. */
static void
test_pick(void **state)
{
	struct sip_uac_auth_cred cred = pass_cred(USER, REALM, PASS);
	struct sip_auth_ha1 ha1;
	struct sip_digest c[4];
	size_t i = 99;

	(void)state;
	c[0] = chal_of("Digest realm=\"" REALM "\", nonce=\"n1\", "
	               "algorithm=MD5, qop=\"auth\"");
	c[1] = chal_of("Digest realm=\"" REALM "\", nonce=\"n1\", "
	               "algorithm=SHA-256, qop=\"auth\"");
	c[2] = chal_of("Digest realm=\"" REALM "\", nonce=\"n1\", "
	               "algorithm=SHA-512-256, qop=\"auth\"");
	c[3] = chal_of("Digest realm=\"" REALM "\", nonce=\"n1\", "
	               "algorithm=SHA-256-sess, qop=\"auth\"");
	assert_int_equal(sip_uac_auth_pick(c, 4, &cred, &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(sip_uac_auth_pick(c, 1, &cred, &i), 0);
	assert_int_equal(i, 0);
	/* Unsupported algorithms only. */
	assert_int_equal(sip_uac_auth_pick(&c[2], 2, &cred, &i), -ENOTSUP);
	/* An HA1 store without SHA-256 falls back to MD5. */
	assert_int_equal(
	    sip_auth_ha1_set(&ha1, SV(USER), SV(REALM), SV(PASS)), 0);
	ha1.has_sha256 = false;
	cred.password = SV_NULL;
	cred.ha1 = &ha1;
	assert_int_equal(sip_uac_auth_pick(c, 4, &cred, &i), 0);
	assert_int_equal(i, 0);
	/* ... unless MD5 is below the minimum. */
	cred.min_alg = SIP_DIGEST_ALG_SHA256;
	assert_int_equal(sip_uac_auth_pick(c, 4, &cred, &i), -EACCES);
	ha1.has_sha256 = true;
	assert_int_equal(sip_uac_auth_pick(c, 4, &cred, &i), 0);
	assert_int_equal(i, 1);
	/* Downgrade: a response that offers only MD5 is refused. */
	assert_int_equal(sip_uac_auth_pick(c, 1, &cred, &i), -EACCES);
	sip_auth_ha1_wipe(&ha1);
}

/* Realm policy, qop rules, malformed fields and bad credentials. */
static void
test_refusals(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(USER, REALM, PASS);
	struct sip_auth_ha1 ha1;
	char out[1024];
	char long_nonce[SIP_UAC_AUTH_NONCE_MAX + 64];
	size_t i;

#define TRY(chal)                                                              \
	value_of(                                                              \
	    st, &cred, chal, "REGISTER", RURI, NULL, out, sizeof(out), NULL)
	assert_int_equal(TRY("Digest realm=\"" REALM "\", nonce=\"n\", "
	                     "qop=\"auth\""),
	    0);
	/* Another realm than configured. */
	assert_int_equal(TRY("Digest realm=\"evil.example\", nonce=\"n\", "
	                     "qop=\"auth\""),
	    -EACCES);
	/* Realm matching is exact (RFC 7616 §3.3: a quoted string). */
	assert_int_equal(TRY("Digest realm=\"SIP.operator.example\", "
	                     "nonce=\"n\", qop=\"auth\""),
	    -EACCES);
	/* auth-int only; missing realm or nonce; escapes; other scheme. */
	assert_int_equal(TRY("Digest realm=\"" REALM "\", nonce=\"n\", "
	                     "qop=\"auth-int\""),
	    -ENOTSUP);
	assert_int_equal(TRY("Digest nonce=\"n\", qop=\"auth\""), -ENOTSUP);
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", qop=\"auth\""), -ENOTSUP);
	assert_int_equal(TRY("Digest realm=\"" REALM "\", nonce=\"a\\\"b\", "
	                     "qop=\"auth\""),
	    -ENOTSUP);
	assert_int_equal(TRY("Digest realm=\"" REALM "\", nonce=\"n\", "
	                     "opaque=\"o\\\\\", qop=\"auth\""),
	    -ENOTSUP);
	assert_int_equal(TRY("Basic realm=\"" REALM "\""), -ENOTSUP);
	memset(long_nonce, 'a', sizeof(long_nonce));
	long_nonce[SIP_UAC_AUTH_NONCE_MAX + 1] = '\0';
	{
		char chal[1024];

		snprintf(chal, sizeof(chal),
		    "Digest realm=\"" REALM "\", nonce=\"%s\", qop=\"auth\"",
		    long_nonce);
		assert_int_equal(TRY(chal), -ENOTSUP);
		long_nonce[SIP_UAC_AUTH_NONCE_MAX] = '\0';
		snprintf(chal, sizeof(chal),
		    "Digest realm=\"" REALM "\", nonce=\"%s\", qop=\"auth\"",
		    long_nonce);
		assert_int_equal(TRY(chal), 0);
	}
	/* RFC 2069 challenges: answered without qop, unless refused. */
	assert_int_equal(TRY("Digest realm=\"" REALM "\", nonce=\"n2069\""), 0);
	assert_null(strstr(out, "qop"));
	assert_null(strstr(out, "cnonce"));
	cred.require_qop = true;
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", nonce=\"n2069\""), -EACCES);
	cred.require_qop = false;
	/* Bad method, URI or cnonce. */
	assert_int_equal(value_of(st, &cred,
	                     "Digest realm=\"" REALM "\", "
	                     "nonce=\"n\", qop=\"auth\"",
	                     "REG ISTER", RURI, NULL, out, sizeof(out), NULL),
	    -EINVAL);
	assert_int_equal(
	    value_of(st, &cred,
	        "Digest realm=\"" REALM "\", "
	        "nonce=\"n\", qop=\"auth\"",
	        "REGISTER", "sip:a\"b", NULL, out, sizeof(out), NULL),
	    -EINVAL);
	assert_int_equal(value_of(st, &cred,
	                     "Digest realm=\"" REALM "\", "
	                     "nonce=\"n\", qop=\"auth\"",
	                     "REGISTER", "", NULL, out, sizeof(out), NULL),
	    -EINVAL);
	assert_int_equal(value_of(st, &cred,
	                     "Digest realm=\"" REALM "\", "
	                     "nonce=\"n\", qop=\"auth\"",
	                     "REGISTER", RURI, "c\"n", out, sizeof(out), NULL),
	    -EINVAL);
	/* Bad credentials. */
	cred.username = SV("a\"b");
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", nonce=\"n\""), -EINVAL);
	cred.username = SV_NULL;
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", nonce=\"n\""), -EINVAL);
	cred.username = SV(USER);
	cred.password = SV_NULL;
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", nonce=\"n\""), -EINVAL);
	/* An HA1 is bound to a realm: one must be configured. */
	assert_int_equal(
	    sip_auth_ha1_set(&ha1, SV(USER), SV(REALM), SV(PASS)), 0);
	cred.ha1 = &ha1;
	cred.realm = SV_NULL;
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", nonce=\"n\""), -EINVAL);
	{
		struct sip_digest d = chal_of("Digest realm=\"" REALM "\", "
		                              "nonce=\"n\"");

		assert_int_equal(sip_uac_auth_pick(&d, 1, &cred, &i), -EINVAL);
	}
	cred.realm = SV(REALM);
	cred.min_alg = SIP_DIGEST_ALG_SHA512_256;
	assert_int_equal(
	    TRY("Digest realm=\"" REALM "\", nonce=\"n\""), -EINVAL);
	cred.min_alg = SIP_DIGEST_ALG_MD5;
	/* No HA1 for the one algorithm offered, and no password. */
	ha1.has_md5 = false;
	assert_int_equal(TRY("Digest realm=\"" REALM "\", nonce=\"n\", "
	                     "algorithm=MD5, qop=\"auth\""),
	    -ENOTSUP);
	sip_auth_ha1_wipe(&ha1);
#undef TRY
}

/* Counts grow per nonce; a new nonce starts at 1; the least recently
 * used nonce is forgotten when the table is full. */
static void
test_nonce_count(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(USER, REALM, PASS);
	struct sip_uac_auth_info info;
	char chal[256], out[1024];

#define ANSWER(nonce)                                                          \
	do {                                                                   \
		snprintf(chal, sizeof(chal),                                   \
		    "Digest realm=\"" REALM "\", nonce=\"%s\", qop=\"auth\"",  \
		    nonce);                                                    \
		assert_int_equal(value_of(st, &cred, chal, "REGISTER", RURI,   \
		                     NULL, out, sizeof(out), &info),           \
		    0);                                                        \
	} while (0)
	ANSWER("n1");
	assert_int_equal(info.nc, 1);
	assert_non_null(strstr(out, "nc=00000001"));
	ANSWER("n1");
	assert_int_equal(info.nc, 2);
	assert_non_null(strstr(out, "nc=00000002"));
	ANSWER("n2");
	assert_int_equal(info.nc, 1);
	ANSWER("n1");
	assert_int_equal(info.nc, 3);
	/* Fill the table: n2 is the least recently used and goes. */
	ANSWER("n3");
	ANSWER("n4");
	ANSWER("n1");
	assert_int_equal(info.nc, 4);
	ANSWER("n5");
	ANSWER("n2");
	assert_int_equal(info.nc, 1);
	ANSWER("n1");
	assert_int_equal(info.nc, 5);
	/* The same nonce in another realm counts apart. */
	cred.realm = SV_NULL;
	snprintf(chal, sizeof(chal),
	    "Digest realm=\"other\", nonce=\"n1\", qop=\"auth\"");
	assert_int_equal(value_of(st, &cred, chal, "REGISTER", RURI, NULL, out,
	                     sizeof(out), &info),
	    0);
	assert_int_equal(info.nc, 1);
	assert_true(sv_eq(info.realm, SV("other")));
	assert_true(sv_eq(info.nonce, SV("n1")));
	/* The counts are hexadecimal. */
	sip_uac_auth_reset(st);
	for (int k = 0; k < 26; k++)
		ANSWER("nx");
	assert_non_null(strstr(out, "nc=0000001a"));
#undef ANSWER
}

/* A 401 or 407 built by our own server, answered and checked by it. */
struct server {
	struct sip_auth *auth;
	struct sip_auth_ha1 stored;
	struct buf resp;
	struct sip_msg msg;
};

static void
server_init(struct server *s, const struct sip_auth_config *cfg)
{
	assert_int_equal(sip_auth_new(&s->auth, SV(REALM), server_key, cfg), 0);
	assert_int_equal(
	    sip_auth_ha1_set(&s->stored, SV(USER), SV(REALM), SV(PASS)), 0);
	buf_init(&s->resp, 0);
}

static void
server_fini(struct server *s)
{
	sip_auth_free(s->auth);
	sip_auth_ha1_wipe(&s->stored);
	buf_release(&s->resp);
}

/* A parsed 401 (or 407) carrying the server's two challenges. */
static struct sip_msg *
server_challenge(struct server *s, bool proxy, bool stale, uint64_t now_s)
{
	struct sip_error err;

	buf_reset(&s->resp);
	buf_append_cstr(&s->resp, proxy ? RESP_HEAD("407 Proxy Authentication "
	                                            "Required")
	                                : RESP_HEAD("401 Unauthorized"));
	assert_int_equal(
	    sip_auth_challenge(s->auth, &s->resp, proxy, stale, SV_NULL, now_s),
	    0);
	buf_append_cstr(&s->resp, "Content-Length: 0\r\n\r\n");
	assert_int_equal(buf_error(&s->resp), 0);
	assert_int_equal(
	    sip_msg_parse(&s->msg, buf_view(&s->resp), NULL, &err), 0);
	return &s->msg;
}

/* Checks one "Name: value\r\n" line as the server would. */
static enum sip_auth_result
server_check(struct server *s, struct sv line, const char *name,
    const char *method, uint64_t now_s, enum sip_auth_why *why)
{
	struct sip_digest cred;
	struct sip_auth_request req = {
	    .cred = &cred,
	    .method = sv_cstr(method),
	    .ha1 = &s->stored,
	    .client = SV_NULL,
	    .now_s = now_s,
	};
	size_t n = strlen(name);

	assert_true(line.len > n + 2);
	assert_memory_equal(line.p, name, n);
	assert_memory_equal(line.p + line.len - 2, "\r\n", 2);
	assert_int_equal(
	    sip_digest_parse(sv_make(line.p + n, line.len - n - 2), &cred), 0);
	return sip_auth_check(s->auth, &req, why);
}

static void
test_round_trip(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(USER, REALM, PASS);
	struct sip_uac_auth_info info;
	struct sip_auth_ha1 ha1;
	struct server s;
	struct sip_msg *m;
	enum sip_auth_why why;
	struct buf out;
	char first[1024];

	server_init(&s, NULL);
	buf_init(&out, 0);
	m = server_challenge(&s, false, false, T0);
	assert_int_equal(sip_uac_auth_answer(st, &cred, m, SV("REGISTER"),
	                     SV(RURI), &out, &info),
	    0);
	assert_int_equal(info.alg, SIP_DIGEST_ALG_SHA256);
	assert_int_equal(info.nc, 1);
	assert_int_equal(server_check(&s, buf_view(&out),
	                     "Authorization: ", "REGISTER", T0 + 1, &why),
	    SIP_AUTH_OK);
	memcpy(first, out.data, out.len);
	first[out.len] = '\0';
	/* The next request on the same nonce: nc 2, accepted. */
	buf_reset(&out);
	assert_int_equal(sip_uac_auth_answer(st, &cred, m, SV("REGISTER"),
	                     SV(RURI), &out, &info),
	    0);
	assert_int_equal(info.nc, 2);
	assert_int_equal(server_check(&s, buf_view(&out),
	                     "Authorization: ", "REGISTER", T0 + 2, &why),
	    SIP_AUTH_OK);
	/* Our first answer replayed is refused by the server. */
	assert_int_equal(server_check(&s, sv_cstr(first),
	                     "Authorization: ", "REGISTER", T0 + 3, &why),
	    SIP_AUTH_FAIL);
	assert_int_equal(why, SIP_AUTH_WHY_REPLAY);

	/* A 407 with HA1s only, MD5 only: Proxy-Authorization, MD5. */
	assert_int_equal(
	    sip_auth_ha1_set(&ha1, SV(USER), SV(REALM), SV(PASS)), 0);
	ha1.has_sha256 = false;
	cred.password = SV_NULL;
	cred.ha1 = &ha1;
	m = server_challenge(&s, true, true, T0 + 10);
	buf_reset(&out);
	assert_int_equal(sip_uac_auth_answer(st, &cred, m, SV("INVITE"),
	                     SV("sip:+15551234567@" REALM), &out, &info),
	    0);
	assert_int_equal(info.alg, SIP_DIGEST_ALG_MD5);
	assert_true(info.stale);
	assert_int_equal(info.nc, 1);
	assert_int_equal(server_check(&s, buf_view(&out),
	                     "Proxy-Authorization: ", "INVITE", T0 + 10, &why),
	    SIP_AUTH_OK);
	/* Wrong password: the server says so. */
	cred.ha1 = NULL;
	cred.password = SV("wrong");
	m = server_challenge(&s, false, false, T0 + 20);
	buf_reset(&out);
	assert_int_equal(sip_uac_auth_answer(st, &cred, m, SV("REGISTER"),
	                     SV(RURI), &out, NULL),
	    0);
	assert_int_equal(server_check(&s, buf_view(&out),
	                     "Authorization: ", "REGISTER", T0 + 20, &why),
	    SIP_AUTH_FAIL);
	assert_int_equal(why, SIP_AUTH_WHY_RESPONSE);
	/* A configured minimum of SHA-256 still answers our server. */
	cred.password = SV(PASS);
	cred.min_alg = SIP_DIGEST_ALG_SHA256;
	buf_reset(&out);
	assert_int_equal(sip_uac_auth_answer(st, &cred, m, SV("REGISTER"),
	                     SV(RURI), &out, &info),
	    0);
	assert_int_equal(info.alg, SIP_DIGEST_ALG_SHA256);
	assert_int_equal(server_check(&s, buf_view(&out),
	                     "Authorization: ", "REGISTER", T0 + 20, &why),
	    SIP_AUTH_OK);
	sip_auth_ha1_wipe(&ha1);
	buf_release(&out);
	server_fini(&s);
}

/* RFC 2069 against a server that allows it. */
static void
test_round_trip_no_qop(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(USER, REALM, PASS);
	struct sip_auth_config cfg = {.allow_no_qop = true};
	struct sip_digest chal;
	struct server s;
	enum sip_auth_why why;
	struct buf out;
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	char text[256];

	server_init(&s, &cfg);
	buf_init(&out, 0);
	assert_int_equal(
	    sip_auth_nonce(s.auth, SV_NULL, T0, nonce, sizeof(nonce)), 0);
	snprintf(text, sizeof(text),
	    "Digest realm=\"" REALM "\", nonce=\"%s\", algorithm=SHA-256",
	    nonce);
	chal = chal_of(text);
	buf_append_cstr(&out, "Authorization: ");
	assert_int_equal(sip_uac_auth_value(st, &cred, &chal, SV("REGISTER"),
	                     SV(RURI), SV_NULL, &out, NULL),
	    0);
	buf_append_cstr(&out, "\r\n");
	assert_int_equal(server_check(&s, buf_view(&out),
	                     "Authorization: ", "REGISTER", T0, &why),
	    SIP_AUTH_OK);
	buf_release(&out);
	server_fini(&s);
}

static void
test_answer_errors(void **state)
{
	struct sip_uac_auth *st = *state;
	struct sip_uac_auth_cred cred = pass_cred(USER, REALM, PASS);
	struct sip_msg m;
	struct sip_error err;
	struct buf out;
	static const char no_chal[] =
	    RESP_HEAD("401 Unauthorized") "Content-Length: 0\r\n\r\n";
	static const char bad_chal[] = RESP_HEAD(
	    "401 Unauthorized") "WWW-Authenticate: Digest realm=\"" REALM
	                        "\", nonce=\"n\", ,\r\n"
	                        "WWW-Authenticate: Digest realm=\"other\", "
	                        "nonce=\"n\"\r\n"
	                        "Content-Length: 0\r\n\r\n";
	static const char mixed[] = RESP_HEAD(
	    "401 Unauthorized") "WWW-Authenticate: Digest realm=\"" REALM
	                        "\", nonce=\"n\", ,\r\n"
	                        "WWW-Authenticate: Digest realm=\"" REALM
	                        "\", nonce=\"n\", "
	                        "qop=\"auth\"\r\n"
	                        "Content-Length: 0\r\n\r\n";
	static const char wrong_hdr[] =
	    RESP_HEAD("407 Proxy Authentication "
	              "Required") "WWW-Authenticate: Digest realm=\"" REALM
	                          "\", nonce=\"n\"\r\n"
	                          "Content-Length: 0\r\n\r\n";
	static const char ok[] =
	    RESP_HEAD("200 OK") "Content-Length: 0\r\n\r\n";

	buf_init(&out, 0);
	assert_int_equal(sip_msg_parse(&m, SV(ok), NULL, &err), 0);
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REGISTER"),
	                     SV(RURI), &out, NULL),
	    -EINVAL);
	assert_int_equal(sip_msg_parse(&m, SV(no_chal), NULL, &err), 0);
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REGISTER"),
	                     SV(RURI), &out, NULL),
	    -ENOENT);
	/* A 407 is answered from Proxy-Authenticate only. */
	assert_int_equal(sip_msg_parse(&m, SV(wrong_hdr), NULL, &err), 0);
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REGISTER"),
	                     SV(RURI), &out, NULL),
	    -ENOENT);
	/* A malformed challenge is skipped; the other is another realm's. */
	assert_int_equal(sip_msg_parse(&m, SV(bad_chal), NULL, &err), 0);
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REGISTER"),
	                     SV(RURI), &out, NULL),
	    -EACCES);
	assert_int_equal(out.len, 0);
	/* A failing answer leaves no half line in the buffer. */
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REG ISTER"),
	                     SV(RURI), &out, NULL),
	    -EACCES);
	assert_int_equal(sip_msg_parse(&m, SV(mixed), NULL, &err), 0);
	buf_append_cstr(&out, "X: 1\r\n");
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REG ISTER"),
	                     SV(RURI), &out, NULL),
	    -EINVAL);
	assert_int_equal(out.len, 6);
	assert_int_equal(sip_uac_auth_answer(st, &cred, &m, SV("REGISTER"),
	                     SV(RURI), &out, NULL),
	    0);
	assert_true(sv_starts_with(
	    sv_skip(buf_view(&out), 6), SV("Authorization: Digest ")));
	buf_release(&out);
}

static void
test_new_oom(void **state)
{
	struct sip_uac_auth *st = NULL;

	(void)state;
	mem_fail_nth(1);
	assert_int_equal(sip_uac_auth_new(&st), -ENOMEM);
	mem_fail_nth(0);
	assert_null(st);
	sip_uac_auth_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_rfc7616_vectors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_absent_alg_and_cnonce, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pick, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nonce_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_round_trip_no_qop, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_answer_errors, setup, teardown),
	    cmocka_unit_test(test_new_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
