/* Digest authentication header values: RFC 3261 §25.1 (credentials,
 * challenge, digest-response, digest-cln), RFC 7616 and RFC 8760.
 *
 *   value      = auth-scheme LWS auth-param *( COMMA auth-param )
 *   auth-param = token EQUAL ( token / quoted-string )
 *
 * LWS (folded lines included) may surround ',' and '='. Leading and
 * trailing LWS around the whole value is tolerated; anything else out of
 * place is -EBADMSG.
 *
 * Choices where the specifications leave room:
 * - The caller does not say which header the value came from, so the
 *   parameters decide. A value carrying username, uri, response, cnonce or
 *   nc (which exist only in credentials) is read as credentials; any other
 *   value is read as a challenge. A value mixing those with a
 *   challenge-only parameter (domain, stale, charset) is -EBADMSG.
 * - Credentials: nc is exactly 8 hex digits; response is lower-case hex of
 *   the length the algorithm gives (32 for MD5, 64 for SHA-256 and
 *   SHA-512-256, any length for an unknown algorithm); qop is auth or
 *   auth-int; qop, cnonce and nc come together or not at all (RFC 2617
 *   §3.2.2, which RFC 3261 §22.4 keeps).
 * - Challenges: qop is a comma list; unknown values in it are ignored.
 * - A value may be a token or a quoted-string whatever the parameter: some
 *   clients quote qop or nc, others leave algorithm bare. The checks above
 *   apply to the value with its quotes removed.
 * - username* (RFC 7616 §3.4, an RFC 8187 ext-value) has no place in
 *   SIP's grammar and would hide the identity from the username checks, so
 *   it is -EBADMSG.
 * - Whether the parameters a use needs are all present (realm and nonce in
 *   a challenge; username, realm, nonce, uri and response in credentials)
 *   is left to the auth module, as is the value of charset.
 * - Another scheme (Basic, Bearer, ...) gets its scheme and a syntax check
 *   of its auth-params, nothing more; its token68 form is -EBADMSG. */
#include "sip/digest.h"

#include <errno.h>
#include <string.h>

#include "sip/chars.h"
#include "sip/limits.h"
#include "sip/param.h"

/* Known parameters; each is one bit of the 'seen' mask. */
enum param {
	P_USERNAME,
	P_REALM,
	P_NONCE,
	P_URI,
	P_RESPONSE,
	P_CNONCE,
	P_OPAQUE,
	P_DOMAIN,
	P_CHARSET,
	P_ALGORITHM,
	P_QOP,
	P_NC,
	P_STALE,
	P_USERHASH,
	P_COUNT,
};

/* param_index() results that are not an enum param. */
#define P_OTHER (-1)
#define P_USERNAME_EXT (-2)

#define BIT(p) (1u << (p))
#define CRED_ONLY                                                              \
	(BIT(P_USERNAME) | BIT(P_URI) | BIT(P_RESPONSE) | BIT(P_CNONCE) |      \
	    BIT(P_NC))
#define CHAL_ONLY (BIT(P_DOMAIN) | BIT(P_STALE) | BIT(P_CHARSET))

#define NAME(lit)                                                              \
	{                                                                      \
		(lit), sizeof(lit) - 1                                         \
	}

static const struct sv param_names[P_COUNT] = {
    [P_USERNAME] = NAME("username"),
    [P_REALM] = NAME("realm"),
    [P_NONCE] = NAME("nonce"),
    [P_URI] = NAME("uri"),
    [P_RESPONSE] = NAME("response"),
    [P_CNONCE] = NAME("cnonce"),
    [P_OPAQUE] = NAME("opaque"),
    [P_DOMAIN] = NAME("domain"),
    [P_CHARSET] = NAME("charset"),
    [P_ALGORITHM] = NAME("algorithm"),
    [P_QOP] = NAME("qop"),
    [P_NC] = NAME("nc"),
    [P_STALE] = NAME("stale"),
    [P_USERHASH] = NAME("userhash"),
};

/* RFC 7616 §3.3 and RFC 8760 algorithm names, indexed by the enum. */
static const char *const alg_names[] = {
    [SIP_DIGEST_ALG_ABSENT] = NULL,
    [SIP_DIGEST_ALG_MD5] = "MD5",
    [SIP_DIGEST_ALG_MD5_SESS] = "MD5-sess",
    [SIP_DIGEST_ALG_SHA256] = "SHA-256",
    [SIP_DIGEST_ALG_SHA256_SESS] = "SHA-256-sess",
    [SIP_DIGEST_ALG_SHA512_256] = "SHA-512-256",
    [SIP_DIGEST_ALG_SHA512_256_SESS] = "SHA-512-256-sess",
    [SIP_DIGEST_ALG_UNKNOWN] = NULL,
};

const char *
sip_digest_alg_name(enum sip_digest_alg alg)
{
	if ((unsigned)alg >= RP_ARRAY_LEN(alg_names))
		return NULL;
	return alg_names[alg];
}

static enum sip_digest_alg
alg_from_name(struct sv name)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(alg_names); i++)
		if (alg_names[i] != NULL && sv_ieq(name, sv_cstr(alg_names[i])))
			return (enum sip_digest_alg)i;
	return SIP_DIGEST_ALG_UNKNOWN;
}

/* Hex digits in a response: RFC 3261 request-digest, RFC 8760 §2. */
static size_t
response_len(enum sip_digest_alg alg)
{
	switch (alg) {
	case SIP_DIGEST_ALG_ABSENT:
	case SIP_DIGEST_ALG_MD5:
	case SIP_DIGEST_ALG_MD5_SESS:
		return 32;
	case SIP_DIGEST_ALG_SHA256:
	case SIP_DIGEST_ALG_SHA256_SESS:
	case SIP_DIGEST_ALG_SHA512_256:
	case SIP_DIGEST_ALG_SHA512_256_SESS:
		return 64;
	case SIP_DIGEST_ALG_UNKNOWN:
		break;
	}
	return 0;
}

static size_t
token_len(struct sv s)
{
	size_t n = 0;

	while (n < s.len && sip_chars_token[(unsigned char)s.p[n]])
		n++;
	return n;
}

/* LHEX = DIGIT / %x61-66 (RFC 3261 §25.1). */
static bool
is_lhex(struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* Index of a known parameter, P_USERNAME_EXT or P_OTHER. Names are
 * case-insensitive (RFC 7616 §3.3). */
static int
param_index(struct sv name)
{
	for (int i = 0; i < P_COUNT; i++)
		if (sv_ieq(name, param_names[i]))
			return i;
	if (sv_ieq(name, SV("username*")))
		return P_USERNAME_EXT;
	return P_OTHER;
}

/* Reads auth-param = token LWS? "=" LWS? ( token / quoted-string ) at the
 * start of *s and advances *s past it. */
static int
auth_param(struct sv *s, struct sv *name, struct sv *value)
{
	struct sv t = *s;
	size_t n = token_len(t);

	if (n == 0)
		return -EBADMSG;
	*name = sv_head(t, n);
	t = sv_ltrim(sv_skip(t, n));
	if (t.len == 0 || t.p[0] != '=')
		return -EBADMSG;
	t = sv_ltrim(sv_skip(t, 1));
	if (t.len > 0 && t.p[0] == '"') {
		if (sip_quoted_string(t, value, &t) != 0)
			return -EBADMSG;
	} else {
		n = token_len(t);
		if (n == 0)
			return -EBADMSG;
		*value = sv_head(t, n);
		t = sv_skip(t, n);
	}
	*s = t;
	return 0;
}

/* Walks the comma-separated auth-params in s (which starts at the first
 * one). For Digest, stores each known parameter's value in vals[] and
 * marks it in *seen. */
static int
param_list(struct sv s, bool digest, struct sv vals[P_COUNT], unsigned *seen)
{
	unsigned count = 0;

	for (;;) {
		struct sv name, value;
		int idx;

		if (++count > SIP_PARAMS_MAX)
			return -E2BIG;
		if (auth_param(&s, &name, &value) != 0)
			return -EBADMSG;
		if (digest) {
			idx = param_index(name);
			if (idx == P_USERNAME_EXT)
				return -EBADMSG;
			if (idx >= 0) {
				if ((*seen & BIT(idx)) != 0)
					return -EBADMSG;
				*seen |= BIT(idx);
				vals[idx] = value;
			}
		}
		s = sv_ltrim(s);
		if (s.len == 0)
			return 0;
		if (s.p[0] != ',')
			return -EBADMSG;
		/* A trailing or doubled comma fails in auth_param(). */
		s = sv_ltrim(sv_skip(s, 1));
	}
}

static int
parse_bool(struct sv v, bool *out)
{
	if (sv_ieq(v, SV("true")))
		*out = true;
	else if (sv_ieq(v, SV("false")))
		*out = false;
	else
		return -EBADMSG;
	return 0;
}

/* nc-value = 8LHEX (RFC 3261 §25.1); upper case is accepted too, since the
 * response is computed over the digits as sent. */
static int
parse_nc(struct sv v, uint32_t *out)
{
	uint32_t n = 0;

	if (v.len != 8)
		return -EBADMSG;
	for (size_t i = 0; i < v.len; i++) {
		int h = sv_hex_value(v.p[i]);

		if (h < 0)
			return -EBADMSG;
		n = (n << 4) | (uint32_t)h;
	}
	*out = n;
	return 0;
}

/* Sets the flag for one qop-value; returns false for an unknown one. */
static bool
qop_flag(struct sv v, struct sip_digest *d)
{
	if (sv_ieq(v, SV("auth")))
		d->qop_auth = true;
	else if (sv_ieq(v, SV("auth-int")))
		d->qop_auth_int = true;
	else
		return false;
	return true;
}

/* qop-options = "qop" EQUAL LDQUOT qop-value *("," qop-value) RDQUOT:
 * each item is a token, with LWS tolerated around the commas. */
static int
qop_list(struct sv list, struct sip_digest *d)
{
	struct sv item;
	bool last = false;

	while (!last) {
		if (!sv_split(&list, ',', &item)) {
			item = list;
			last = true;
		}
		item = sv_trim(item);
		if (!sip_is_token(item))
			return -EBADMSG;
		(void)qop_flag(item, d);
	}
	return 0;
}

static int
check_credentials(struct sip_digest *d, unsigned seen)
{
	size_t want;

	if ((seen & CHAL_ONLY) != 0)
		return -EBADMSG;
	if (sv_present(d->qop) && !qop_flag(d->qop, d))
		return -EBADMSG;
	/* RFC 2617 §3.2.2: cnonce and nc are sent if and only if qop is. */
	if (sv_present(d->qop) != sv_present(d->cnonce) ||
	    sv_present(d->qop) != sv_present(d->nc))
		return -EBADMSG;
	if (sv_present(d->nc)) {
		if (parse_nc(d->nc, &d->nc_value) != 0)
			return -EBADMSG;
		d->has_nc = true;
	}
	if (sv_present(d->response)) {
		want = response_len(d->alg);
		if (!is_lhex(d->response))
			return -EBADMSG;
		if (want != 0 && d->response.len != want)
			return -EBADMSG;
	}
	return 0;
}

/* Copies the collected values into *d and applies the per-parameter
 * rules. */
static int
fill(struct sip_digest *d, const struct sv vals[P_COUNT], unsigned seen)
{
	d->username = vals[P_USERNAME];
	d->username_escaped =
	    d->username.len > 0 &&
	    memchr(d->username.p, '\\', d->username.len) != NULL;
	d->realm = vals[P_REALM];
	d->nonce = vals[P_NONCE];
	d->uri = vals[P_URI];
	d->response = vals[P_RESPONSE];
	d->cnonce = vals[P_CNONCE];
	d->opaque = vals[P_OPAQUE];
	d->domain = vals[P_DOMAIN];
	d->charset = vals[P_CHARSET];
	d->algorithm = vals[P_ALGORITHM];
	d->qop = vals[P_QOP];
	d->nc = vals[P_NC];
	d->alg = sv_present(d->algorithm) ? alg_from_name(d->algorithm)
	                                  : SIP_DIGEST_ALG_ABSENT;
	if (sv_present(vals[P_STALE]) && parse_bool(vals[P_STALE], &d->stale))
		return -EBADMSG;
	if (sv_present(vals[P_USERHASH]) &&
	    parse_bool(vals[P_USERHASH], &d->userhash))
		return -EBADMSG;
	if ((seen & CRED_ONLY) != 0)
		return check_credentials(d, seen);
	if (sv_present(d->qop))
		return qop_list(d->qop, d);
	return 0;
}

int
sip_digest_parse(struct sv value, struct sip_digest *out)
{
	struct sv vals[P_COUNT];
	struct sv s = sv_trim(value);
	unsigned seen = 0;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < P_COUNT; i++)
		vals[i] = SV_NULL;
	n = token_len(s);
	/* auth-scheme LWS: at least one LWS byte, then a parameter. */
	if (n == 0 || n >= s.len || !sv_is_lws_char(s.p[n]))
		return -EBADMSG;
	out->scheme = sv_head(s, n);
	out->is_digest = sv_ieq(out->scheme, SV("Digest"));
	rc = param_list(sv_ltrim(sv_skip(s, n)), out->is_digest, vals, &seen);
	if (rc == 0 && out->is_digest)
		rc = fill(out, vals, seen);
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
