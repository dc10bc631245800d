/* SIP Digest authentication (RFC 3261 §22, RFC 7616, RFC 8760).
 *
 * Design notes beyond auth.h:
 * - Three keys are derived from the server key with HMAC-SHA-256 and
 *   distinct labels: the nonce key, the dummy-HA1 key and the opaque
 *   value. The server key itself is not kept.
 * - The opaque value is constant per server key (16 hex digits). It
 *   carries no state, since the nonce carries it all, and is not checked:
 *   a forged opaque gains nothing.
 * - The nonce-count table uses the first 8 bytes of the nonce tag as its
 *   key. The tag is an HMAC output, so it is already uniformly spread and
 *   indexes the table directly. Lookups and inserts probe NC_PROBES
 *   consecutive slots, bounding the work per request. */
#include "sip/auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/mem.h"

#define NONCE_TIME_LEN 8u
#define NONCE_RAND_LEN 12u
#define NONCE_TAG_LEN 16u
#define NONCE_HEAD_LEN (NONCE_TIME_LEN + NONCE_RAND_LEN)
#define NONCE_RAW_LEN (NONCE_HEAD_LEN + NONCE_TAG_LEN)
#define NONCE_LABEL "rempart nonce v1"
#define OPAQUE_HEX_LEN 16u
#define NC_PROBES 8u
/* Longest nonce accepted by sip_auth_challenge_value(). */
#define NONCE_ARG_MAX 128u

struct nc_slot {
	uint64_t tag; /* 0: never used */
	uint64_t issue_s;
	uint32_t nc;
};

struct sip_auth {
	uint8_t nonce_key[SIP_AUTH_KEY_LEN];
	uint8_t dummy_key[SIP_AUTH_KEY_LEN];
	char opaque[OPAQUE_HEX_LEN + 1];
	char realm[SIP_AUTH_REALM_MAX + 1];
	size_t realm_len;
	uint32_t lifetime_s;
	bool allow_no_qop;
	struct nc_slot *slots;
	uint32_t mask;
	/* A nonce issued before this time and missing from the table may
	 * have been evicted: its nc state is lost. */
	uint64_t floor_s;
};

/* A decoded nonce. */
struct nonce_info {
	uint64_t issue_s;
	uint8_t tag[NONCE_TAG_LEN];
};

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char hexdig[] = "0123456789abcdef";

static const char *const why_names[] = {
    [SIP_AUTH_WHY_NONE] = "none",
    [SIP_AUTH_WHY_MALFORMED] = "malformed",
    [SIP_AUTH_WHY_REALM] = "realm",
    [SIP_AUTH_WHY_ALGORITHM] = "algorithm",
    [SIP_AUTH_WHY_QOP] = "qop",
    [SIP_AUTH_WHY_NONCE] = "nonce",
    [SIP_AUTH_WHY_RESPONSE] = "response",
    [SIP_AUTH_WHY_EXPIRED] = "expired",
    [SIP_AUTH_WHY_NC_LOST] = "nc_lost",
    [SIP_AUTH_WHY_REPLAY] = "replay",
    [SIP_AUTH_WHY_INTERNAL] = "internal",
};

const char *
sip_auth_why_name(enum sip_auth_why why)
{
	if ((unsigned)why >= RP_ARRAY_LEN(why_names))
		return "unknown";
	return why_names[why];
}

/* ---- Hashing ---- */

/* The digest for an algorithm we support, with its length; NULL for
 * the others (the -sess variants and SHA-512-256 are not offered). */
static const EVP_MD *
alg_md(enum sip_digest_alg alg, size_t *len)
{
	switch (alg) {
	case SIP_DIGEST_ALG_ABSENT: /* RFC 3261 §22.4: MD5 by default */
	case SIP_DIGEST_ALG_MD5:
		*len = SIP_AUTH_MD5_LEN;
		return EVP_md5();
	case SIP_DIGEST_ALG_SHA256:
		*len = SIP_AUTH_SHA256_LEN;
		return EVP_sha256();
	default:
		break;
	}
	*len = 0;
	return NULL;
}

/* out = H(parts[0] || ... || parts[n-1]). */
static int
hash_parts(const EVP_MD *md, const struct sv *parts, size_t n, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 0;
	int ok;

	if (ctx == NULL)
		return -EIO;
	ok = EVP_DigestInit_ex(ctx, md, NULL);
	for (size_t i = 0; ok && i < n; i++)
		if (parts[i].len > 0)
			ok = EVP_DigestUpdate(ctx, parts[i].p, parts[i].len);
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static int
hmac_sha256(const uint8_t key[SIP_AUTH_KEY_LEN], const void *data, size_t len,
    uint8_t out[SIP_AUTH_SHA256_LEN])
{
	unsigned int out_len = 0;
	/* HMAC() wants a non-NULL pointer even for zero bytes. */
	static const uint8_t empty[1];

	if (HMAC(EVP_sha256(), key, (int)SIP_AUTH_KEY_LEN,
	        len > 0 ? data : empty, len, out, &out_len) == NULL ||
	    out_len != SIP_AUTH_SHA256_LEN)
		return -EIO;
	return 0;
}

static void
hex_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 0x0f];
	}
	out[2 * len] = '\0';
}

int
sip_auth_ha1_compute(enum sip_digest_alg alg, struct sv user, struct sv realm,
    struct sv secret, uint8_t *out, size_t out_size, size_t *out_len)
{
	const struct sv parts[] = {user, SV(":"), realm, SV(":"), secret};
	size_t len;
	const EVP_MD *md = alg_md(alg, &len);

	if (md == NULL || out_size < len)
		return -EINVAL;
	if (hash_parts(md, parts, RP_ARRAY_LEN(parts), out) != 0) {
		OPENSSL_cleanse(out, len);
		return -EIO;
	}
	*out_len = len;
	return 0;
}

void
sip_auth_ha1_wipe(struct sip_auth_ha1 *h)
{
	OPENSSL_cleanse(h, sizeof(*h));
}

int
sip_auth_ha1_set(
    struct sip_auth_ha1 *h, struct sv user, struct sv realm, struct sv secret)
{
	size_t len;

	sip_auth_ha1_wipe(h);
	if (sip_auth_ha1_compute(SIP_DIGEST_ALG_MD5, user, realm, secret,
	        h->md5, sizeof(h->md5), &len) != 0 ||
	    sip_auth_ha1_compute(SIP_DIGEST_ALG_SHA256, user, realm, secret,
	        h->sha256, sizeof(h->sha256), &len) != 0) {
		sip_auth_ha1_wipe(h);
		return -EIO;
	}
	h->has_md5 = true;
	h->has_sha256 = true;
	return 0;
}

int
sip_auth_response(enum sip_digest_alg alg, const uint8_t *ha1, size_t ha1_len,
    struct sv nonce, struct sv nc, struct sv cnonce, struct sv qop,
    struct sv method, struct sv uri, char *out, size_t out_size)
{
	uint8_t h[SIP_AUTH_HASH_MAX];
	char ha1_hex[SIP_AUTH_RESPONSE_HEX_MAX];
	char ha2_hex[SIP_AUTH_RESPONSE_HEX_MAX];
	size_t len;
	const EVP_MD *md = alg_md(alg, &len);
	int rc;

	if (md == NULL || ha1 == NULL || ha1_len != len ||
	    out_size < 2 * len + 1)
		return -EINVAL;
	/* H(A2), A2 = Method ":" digest-uri (RFC 7616 §3.4.3, qop auth). */
	{
		const struct sv a2[] = {method, SV(":"), uri};

		rc = hash_parts(md, a2, RP_ARRAY_LEN(a2), h);
		if (rc != 0)
			goto out;
		hex_encode(h, len, ha2_hex);
	}
	hex_encode(ha1, len, ha1_hex);
	if (sv_present(qop)) {
		/* RFC 7616 §3.4.1. */
		const struct sv kd[] = {sv_make(ha1_hex, 2 * len), SV(":"),
		    nonce, SV(":"), nc, SV(":"), cnonce, SV(":"), qop, SV(":"),
		    sv_make(ha2_hex, 2 * len)};

		rc = hash_parts(md, kd, RP_ARRAY_LEN(kd), h);
	} else {
		/* RFC 2069 §2.1.2, kept by RFC 2617 §3.2.2.1. */
		const struct sv kd[] = {sv_make(ha1_hex, 2 * len), SV(":"),
		    nonce, SV(":"), sv_make(ha2_hex, 2 * len)};

		rc = hash_parts(md, kd, RP_ARRAY_LEN(kd), h);
	}
	if (rc == 0)
		hex_encode(h, len, out);
out:
	OPENSSL_cleanse(ha1_hex, sizeof(ha1_hex));
	OPENSSL_cleanse(h, sizeof(h));
	return rc;
}

/* ---- Context ---- */

/* Printable ASCII without '"' and '\': the realm goes inside a
 * quoted-string as is (RFC 3261 §25.1). */
static bool
realm_ok(struct sv realm)
{
	if (realm.len == 0 || realm.len > SIP_AUTH_REALM_MAX)
		return false;
	for (size_t i = 0; i < realm.len; i++) {
		unsigned char c = (unsigned char)realm.p[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static int
derive(const uint8_t key[SIP_AUTH_KEY_LEN], const char *label,
    uint8_t out[SIP_AUTH_SHA256_LEN])
{
	return hmac_sha256(key, label, strlen(label), out);
}

static int
set_keys(struct sip_auth *a, const uint8_t key[SIP_AUTH_KEY_LEN])
{
	uint8_t k[SIP_AUTH_KEY_LEN];
	uint8_t op[SIP_AUTH_SHA256_LEN];
	int rc = 0;

	if (key == NULL) {
		if (RAND_bytes(k, (int)sizeof(k)) != 1) {
			rc = -EIO;
			goto out;
		}
	} else {
		memcpy(k, key, sizeof(k));
	}
	if (derive(k, "rempart nonce key v1", a->nonce_key) != 0 ||
	    derive(k, "rempart dummy ha1 v1", a->dummy_key) != 0 ||
	    derive(k, "rempart opaque v1", op) != 0) {
		rc = -EIO;
		goto out;
	}
	hex_encode(op, OPAQUE_HEX_LEN / 2, a->opaque);
out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(op, sizeof(op));
	return rc;
}

int
sip_auth_new(struct sip_auth **out, struct sv realm,
    const uint8_t key[SIP_AUTH_KEY_LEN], const struct sip_auth_config *cfg)
{
	struct sip_auth_config c = {0};
	struct sip_auth *a;
	int rc;

	if (cfg != NULL)
		c = *cfg;
	if (c.nonce_lifetime_s == 0)
		c.nonce_lifetime_s = SIP_AUTH_NONCE_LIFETIME_DEFAULT_S;
	if (c.nc_slots == 0)
		c.nc_slots = SIP_AUTH_NC_SLOTS_DEFAULT;
	if (!realm_ok(realm) ||
	    c.nonce_lifetime_s > SIP_AUTH_NONCE_LIFETIME_MAX_S ||
	    c.nc_slots < SIP_AUTH_NC_SLOTS_MIN ||
	    c.nc_slots > SIP_AUTH_NC_SLOTS_MAX ||
	    (c.nc_slots & (c.nc_slots - 1)) != 0)
		return -EINVAL;
	a = mem_calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->slots = mem_calloc(c.nc_slots, sizeof(*a->slots));
	if (a->slots == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	a->mask = c.nc_slots - 1;
	a->lifetime_s = c.nonce_lifetime_s;
	a->allow_no_qop = c.allow_no_qop;
	memcpy(a->realm, realm.p, realm.len);
	a->realm_len = realm.len;
	rc = set_keys(a, key);
	if (rc != 0)
		goto fail;
	*out = a;
	return 0;
fail:
	sip_auth_free(a);
	return rc;
}

void
sip_auth_free(struct sip_auth *a)
{
	if (a == NULL)
		return;
	free(a->slots);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

struct sv
sip_auth_realm(const struct sip_auth *a)
{
	return sv_make(a->realm, a->realm_len);
}

/* ---- Nonces ---- */

/* base64url without padding of 'len' bytes, len a multiple of 3. */
static void
b64url_encode(const uint8_t *in, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		             in[i + 2];

		out[o++] = b64url[(v >> 18) & 0x3f];
		out[o++] = b64url[(v >> 12) & 0x3f];
		out[o++] = b64url[(v >> 6) & 0x3f];
		out[o++] = b64url[v & 0x3f];
	}
	out[o] = '\0';
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes exactly NONCE_RAW_LEN bytes from SIP_AUTH_NONCE_LEN
 * characters. */
static int
b64url_decode_nonce(struct sv in, uint8_t out[NONCE_RAW_LEN])
{
	size_t o = 0;

	if (in.len != SIP_AUTH_NONCE_LEN)
		return -EINVAL;
	for (size_t i = 0; i < in.len; i += 4) {
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d = b64url_value(in.p[i + j]);

			if (d < 0)
				return -EINVAL;
			v = v << 6 | (uint32_t)d;
		}
		out[o++] = (uint8_t)(v >> 16);
		out[o++] = (uint8_t)(v >> 8);
		out[o++] = (uint8_t)v;
	}
	return 0;
}

/* tag = HMAC(nonce_key, label || time || random || realm || client). */
static int
nonce_tag(const struct sip_auth *a, const uint8_t head[NONCE_HEAD_LEN],
    struct sv client, uint8_t tag[NONCE_TAG_LEN])
{
	uint8_t in[sizeof(NONCE_LABEL) - 1 + NONCE_HEAD_LEN + 2 +
	           SIP_AUTH_REALM_MAX + 1 + SIP_AUTH_CLIENT_MAX];
	uint8_t mac[SIP_AUTH_SHA256_LEN];
	size_t n = 0;
	int rc;

	if (client.len > SIP_AUTH_CLIENT_MAX)
		return -EINVAL;
	memcpy(in, NONCE_LABEL, sizeof(NONCE_LABEL) - 1);
	n += sizeof(NONCE_LABEL) - 1;
	memcpy(in + n, head, NONCE_HEAD_LEN);
	n += NONCE_HEAD_LEN;
	in[n++] = (uint8_t)(a->realm_len >> 8);
	in[n++] = (uint8_t)a->realm_len;
	memcpy(in + n, a->realm, a->realm_len);
	n += a->realm_len;
	in[n++] = (uint8_t)client.len;
	if (client.len > 0)
		memcpy(in + n, client.p, client.len);
	n += client.len;
	rc = hmac_sha256(a->nonce_key, in, n, mac);
	if (rc == 0)
		memcpy(tag, mac, NONCE_TAG_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int
sip_auth_nonce(struct sip_auth *a, struct sv client, uint64_t now_s, char *out,
    size_t out_size)
{
	uint8_t raw[NONCE_RAW_LEN];
	int rc;

	if (out_size < SIP_AUTH_NONCE_LEN + 1 ||
	    client.len > SIP_AUTH_CLIENT_MAX)
		return -EINVAL;
	for (size_t i = 0; i < NONCE_TIME_LEN; i++)
		raw[i] = (uint8_t)(now_s >> (8 * (NONCE_TIME_LEN - 1 - i)));
	if (RAND_bytes(raw + NONCE_TIME_LEN, (int)NONCE_RAND_LEN) != 1)
		return -EIO;
	rc = nonce_tag(a, raw, client, raw + NONCE_HEAD_LEN);
	if (rc != 0)
		return rc;
	b64url_encode(raw, sizeof(raw), out);
	return 0;
}

/* Decodes a nonce and checks its tag in constant time. */
static int
nonce_verify(const struct sip_auth *a, struct sv nonce, struct sv client,
    struct nonce_info *ni)
{
	uint8_t raw[NONCE_RAW_LEN];
	uint8_t tag[NONCE_TAG_LEN];
	int rc;

	if (b64url_decode_nonce(nonce, raw) != 0)
		return -EINVAL;
	rc = nonce_tag(a, raw, client, tag);
	if (rc != 0)
		return rc;
	if (CRYPTO_memcmp(tag, raw + NONCE_HEAD_LEN, NONCE_TAG_LEN) != 0)
		return -EINVAL;
	ni->issue_s = 0;
	for (size_t i = 0; i < NONCE_TIME_LEN; i++)
		ni->issue_s = ni->issue_s << 8 | raw[i];
	memcpy(ni->tag, tag, NONCE_TAG_LEN);
	return 0;
}

static bool
nonce_expired(const struct sip_auth *a, uint64_t issue_s, uint64_t now_s)
{
	if (issue_s > now_s)
		return issue_s - now_s > SIP_AUTH_CLOCK_SKEW_S;
	return now_s - issue_s > a->lifetime_s;
}

/* ---- Challenges ---- */

static bool
nonce_arg_ok(struct sv nonce)
{
	if (nonce.len == 0 || nonce.len > NONCE_ARG_MAX)
		return false;
	for (size_t i = 0; i < nonce.len; i++)
		if (b64url_value(nonce.p[i]) < 0)
			return false;
	return true;
}

int
sip_auth_challenge_value(struct sip_auth *a, struct buf *b,
    enum sip_digest_alg alg, struct sv nonce, bool stale)
{
	const char *name;

	if (alg != SIP_DIGEST_ALG_MD5 && alg != SIP_DIGEST_ALG_SHA256)
		return -EINVAL;
	if (!nonce_arg_ok(nonce))
		return -EINVAL;
	name = sip_digest_alg_name(alg);
	buf_append_cstr(b, "Digest realm=\"");
	buf_append(b, a->realm, a->realm_len);
	buf_append_cstr(b, "\", nonce=\"");
	buf_append_sv(b, nonce);
	buf_append_cstr(b, "\", opaque=\"");
	buf_append_cstr(b, a->opaque);
	buf_append_cstr(b, "\", algorithm=");
	buf_append_cstr(b, name);
	buf_append_cstr(b, ", qop=\"auth\"");
	if (stale)
		buf_append_cstr(b, ", stale=true");
	return buf_error(b);
}

int
sip_auth_challenge(struct sip_auth *a, struct buf *b, bool proxy, bool stale,
    struct sv client, uint64_t now_s)
{
	/* RFC 8760 §2.4: the preferred algorithm first. */
	static const enum sip_digest_alg order[] = {
	    SIP_DIGEST_ALG_SHA256, SIP_DIGEST_ALG_MD5};
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	const char *hdr = proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ";
	int rc;

	rc = sip_auth_nonce(a, client, now_s, nonce, sizeof(nonce));
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < RP_ARRAY_LEN(order); i++) {
		buf_append_cstr(b, hdr);
		rc = sip_auth_challenge_value(
		    a, b, order[i], sv_make(nonce, SIP_AUTH_NONCE_LEN), stale);
		if (rc != 0)
			return rc;
		buf_append_cstr(b, "\r\n");
	}
	return buf_error(b);
}

/* ---- Nonce-count table ---- */

static uint64_t
slot_key(const uint8_t tag[NONCE_TAG_LEN])
{
	uint64_t k = 0;

	for (size_t i = 0; i < 8; i++)
		k = k << 8 | tag[i];
	return k != 0 ? k : 1; /* 0 marks an unused slot */
}

static bool
slot_live(const struct sip_auth *a, const struct nc_slot *s, uint64_t now_s)
{
	return s->tag != 0 && !nonce_expired(a, s->issue_s, now_s);
}

/* Records nc for a nonce whose response was right. RFC 7616 §3.4: nc
 * counts up for each request with the same nonce. */
static enum sip_auth_result
nc_accept(struct sip_auth *a, const struct nonce_info *ni, uint32_t nc,
    bool no_qop, uint64_t now_s, enum sip_auth_why *why)
{
	uint64_t key = slot_key(ni->tag);
	struct nc_slot *victim = NULL;

	for (uint32_t p = 0; p < NC_PROBES; p++) {
		struct nc_slot *s = &a->slots[(key + p) & a->mask];

		if (s->tag == key) {
			if (nc <= s->nc) {
				/* Without qop a reuse is a client's normal
				 * behaviour: ask for a fresh nonce. */
				*why = no_qop ? SIP_AUTH_WHY_NC_LOST
				              : SIP_AUTH_WHY_REPLAY;
				return no_qop ? SIP_AUTH_STALE : SIP_AUTH_FAIL;
			}
			s->nc = nc;
			return SIP_AUTH_OK;
		}
	}
	if (ni->issue_s < a->floor_s) {
		*why = SIP_AUTH_WHY_NC_LOST;
		return SIP_AUTH_STALE;
	}
	/* A free or expired slot, else the live one with the oldest nonce. */
	for (uint32_t p = 0; p < NC_PROBES; p++) {
		struct nc_slot *s = &a->slots[(key + p) & a->mask];

		if (!slot_live(a, s, now_s)) {
			victim = s;
			break;
		}
		if (victim == NULL || s->issue_s < victim->issue_s)
			victim = s;
	}
	if (slot_live(a, victim, now_s) && victim->issue_s >= a->floor_s)
		a->floor_s = victim->issue_s + 1;
	victim->tag = key;
	victim->issue_s = ni->issue_s;
	victim->nc = nc;
	return SIP_AUTH_OK;
}

/* ---- Checking ---- */

static enum sip_auth_result
fail(enum sip_auth_why *why, enum sip_auth_why w)
{
	*why = w;
	return SIP_AUTH_FAIL;
}

/* The HA1 to use: the user's when known, else a dummy one derived from
 * the server key and the username. Both are always computed and the
 * choice is a mask, so that known and unknown users cost the same. */
static int
select_ha1(const struct sip_auth *a, const struct sip_auth_request *req,
    enum sip_digest_alg alg, size_t len, uint8_t out[SIP_AUTH_HASH_MAX],
    bool *known)
{
	static const uint8_t zeros[SIP_AUTH_HASH_MAX];
	uint8_t dummy[SIP_AUTH_SHA256_LEN];
	const struct sip_auth_ha1 *h = req->ha1;
	const uint8_t *real = zeros;
	uint8_t mask;
	bool have = false;
	int rc;

	if (h != NULL) {
		if (alg == SIP_DIGEST_ALG_SHA256) {
			have = h->has_sha256;
			real = h->sha256;
		} else {
			have = h->has_md5;
			real = h->md5;
		}
	}
	rc = hmac_sha256(a->dummy_key, req->cred->username.p,
	    req->cred->username.len, dummy);
	mask = (uint8_t)(0u - (unsigned)have);
	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)((real[i] & mask) | (dummy[i] & ~mask));
	OPENSSL_cleanse(dummy, sizeof(dummy));
	*known = have;
	return rc;
}

/* Credential checks that do not depend on the user. */
static enum sip_auth_result
check_form(const struct sip_auth *a, const struct sip_auth_request *req,
    enum sip_auth_why *why)
{
	const struct sip_digest *d = req->cred;
	size_t len;

	if (!d->is_digest || d->username.len == 0 || d->nonce.len == 0 ||
	    d->uri.len == 0 || d->response.len == 0 || req->method.len == 0)
		return fail(why, SIP_AUTH_WHY_MALFORMED);
	if (!sv_eq(d->realm, sip_auth_realm(a)))
		return fail(why, SIP_AUTH_WHY_REALM);
	/* userhash (RFC 7616 §3.4.4) is never offered. */
	if (alg_md(d->alg, &len) == NULL || d->userhash)
		return fail(why, SIP_AUTH_WHY_ALGORITHM);
	if (d->response.len != 2 * len)
		return fail(why, SIP_AUTH_WHY_MALFORMED);
	if (sv_present(d->qop)) {
		if (!d->qop_auth)
			return fail(why, SIP_AUTH_WHY_QOP);
		if (d->cnonce.len == 0 || !d->has_nc || d->nc_value == 0)
			return fail(why, SIP_AUTH_WHY_MALFORMED);
	} else if (!a->allow_no_qop) {
		return fail(why, SIP_AUTH_WHY_QOP);
	}
	return SIP_AUTH_OK;
}

enum sip_auth_result
sip_auth_check(struct sip_auth *a, const struct sip_auth_request *req,
    enum sip_auth_why *why)
{
	const struct sip_digest *d = req->cred;
	enum sip_auth_why w_local;
	enum sip_auth_result res;
	struct nonce_info ni;
	uint8_t ha1[SIP_AUTH_HASH_MAX];
	char want[SIP_AUTH_RESPONSE_HEX_MAX];
	size_t len;
	bool known = false, match;
	bool no_qop = !sv_present(d->qop);
	int rc;

	if (why == NULL)
		why = &w_local;
	*why = SIP_AUTH_WHY_NONE;
	res = check_form(a, req, why);
	if (res != SIP_AUTH_OK)
		return res;
	(void)alg_md(d->alg, &len);
	rc = nonce_verify(a, d->nonce, req->client, &ni);
	if (rc != 0)
		return fail(why,
		    rc == -EIO ? SIP_AUTH_WHY_INTERNAL : SIP_AUTH_WHY_NONCE);
	rc = select_ha1(a, req, d->alg, len, ha1, &known);
	if (rc == 0)
		rc = sip_auth_response(d->alg, ha1, len, d->nonce, d->nc,
		    d->cnonce, d->qop, req->method, d->uri, want, sizeof(want));
	OPENSSL_cleanse(ha1, sizeof(ha1));
	if (rc != 0) {
		OPENSSL_cleanse(want, sizeof(want));
		return fail(why, SIP_AUTH_WHY_INTERNAL);
	}
	/* The length was checked in check_form(). */
	match = CRYPTO_memcmp(want, d->response.p, 2 * len) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!(match & known))
		return fail(why, SIP_AUTH_WHY_RESPONSE);
	if (nonce_expired(a, ni.issue_s, req->now_s)) {
		*why = SIP_AUTH_WHY_EXPIRED;
		return SIP_AUTH_STALE;
	}
	return nc_accept(
	    a, &ni, no_qop ? 1u : d->nc_value, no_qop, req->now_s, why);
}
