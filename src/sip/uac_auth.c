/* The client side of SIP Digest authentication; see uac_auth.h. */
#include "sip/uac_auth.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/mem.h"
#include "sip/chars.h"

/* A response may carry many challenges; more than this are ignored. */
#define CHAL_MAX 16u
/* Longest username and digest-uri we send. */
#define FIELD_MAX 512u

struct slot {
	char realm[SIP_UAC_AUTH_NONCE_MAX];
	char nonce[SIP_UAC_AUTH_NONCE_MAX];
	size_t realm_len;
	size_t nonce_len;
	uint32_t nc;   /* last count sent; 0 marks a free slot */
	uint64_t used; /* st->clock at the last use */
};

struct sip_uac_auth {
	struct slot slots[SIP_UAC_AUTH_SLOTS];
	uint64_t clock;
};

static const char hexdig[] = "0123456789abcdef";

int
sip_uac_auth_new(struct sip_uac_auth **out)
{
	struct sip_uac_auth *st = mem_calloc(1, sizeof(*st));

	if (st == NULL)
		return -ENOMEM;
	*out = st;
	return 0;
}

void
sip_uac_auth_free(struct sip_uac_auth *st)
{
	free(st);
}

void
sip_uac_auth_reset(struct sip_uac_auth *st)
{
	memset(st, 0, sizeof(*st));
}

/* Printable ASCII that can sit inside a quoted-string unescaped. */
static bool
quotable(struct sv s, size_t max)
{
	if (s.len == 0 || s.len > max)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* The strength of an algorithm we support, 0 for the others. */
static int
strength(enum sip_digest_alg alg)
{
	switch (alg) {
	case SIP_DIGEST_ALG_ABSENT:
	case SIP_DIGEST_ALG_MD5:
		return 1;
	case SIP_DIGEST_ALG_SHA256:
		return 2;
	default:
		return 0;
	}
}

static bool
cred_ok(const struct sip_uac_auth_cred *cred)
{
	if (!quotable(cred->username, FIELD_MAX))
		return false;
	if (sv_present(cred->realm) &&
	    !quotable(cred->realm, SIP_UAC_AUTH_NONCE_MAX))
		return false;
	/* An HA1 embeds its realm, so it needs one to be checked against. */
	if (cred->ha1 != NULL && !sv_present(cred->realm))
		return false;
	if (cred->ha1 == NULL && !sv_present(cred->password))
		return false;
	return strength(cred->min_alg) != 0;
}

/* Whether we hold a secret for 'alg'. */
static bool
have_secret(const struct sip_uac_auth_cred *cred, enum sip_digest_alg alg)
{
	if (sv_present(cred->password))
		return true;
	if (cred->ha1 == NULL)
		return false;
	return alg == SIP_DIGEST_ALG_SHA256 ? cred->ha1->has_sha256
	                                    : cred->ha1->has_md5;
}

/* 0 if we would answer c, -EACCES if policy refuses it, -ENOTSUP if we
 * cannot. */
static int
judge(const struct sip_digest *c, const struct sip_uac_auth_cred *cred)
{
	if (!c->is_digest || !quotable(c->realm, SIP_UAC_AUTH_NONCE_MAX) ||
	    !quotable(c->nonce, SIP_UAC_AUTH_NONCE_MAX) ||
	    (sv_present(c->opaque) &&
	        !quotable(c->opaque, SIP_UAC_AUTH_NONCE_MAX)))
		return -ENOTSUP;
	if (strength(c->alg) == 0)
		return -ENOTSUP;
	if (sv_present(cred->realm) && !sv_eq(c->realm, cred->realm))
		return -EACCES;
	if (strength(c->alg) < strength(cred->min_alg))
		return -EACCES;
	if (sv_present(c->qop) ? !c->qop_auth : cred->require_qop)
		return sv_present(c->qop) ? -ENOTSUP : -EACCES;
	if (!have_secret(cred, c->alg))
		return -ENOTSUP;
	return 0;
}

int
sip_uac_auth_pick(const struct sip_digest *chal, size_t n,
    const struct sip_uac_auth_cred *cred, size_t *index)
{
	int best = 0, policy = 0;

	if (!cred_ok(cred))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int rc = judge(&chal[i], cred);

		if (rc == -EACCES)
			policy = rc;
		if (rc == 0 && strength(chal[i].alg) > best) {
			best = strength(chal[i].alg);
			*index = i;
		}
	}
	if (best > 0)
		return 0;
	return policy != 0 ? policy : -ENOTSUP;
}

/* The next nonce-count for (realm, nonce): 1 for a nonce not seen, else
 * one more than last time. Returns 0 or -ERANGE (count exhausted). */
static int
next_nc(struct sip_uac_auth *st, struct sv realm, struct sv nonce, uint32_t *nc)
{
	struct slot *s, *victim = &st->slots[0];

	st->clock++;
	for (size_t i = 0; i < SIP_UAC_AUTH_SLOTS; i++) {
		s = &st->slots[i];
		if (s->nc != 0 &&
		    sv_eq(sv_make(s->realm, s->realm_len), realm) &&
		    sv_eq(sv_make(s->nonce, s->nonce_len), nonce)) {
			if (s->nc == UINT32_MAX)
				return -ERANGE;
			s->nc++;
			s->used = st->clock;
			*nc = s->nc;
			return 0;
		}
		if (s->used < victim->used)
			victim = s;
	}
	/* judge() bounded both lengths by the slot sizes. */
	memcpy(victim->realm, realm.p, realm.len);
	victim->realm_len = realm.len;
	memcpy(victim->nonce, nonce.p, nonce.len);
	victim->nonce_len = nonce.len;
	victim->nc = 1;
	victim->used = st->clock;
	*nc = 1;
	return 0;
}

/* The raw HA1 for the chosen algorithm into out; wiped by the caller. */
static int
get_ha1(const struct sip_uac_auth_cred *cred, const struct sip_digest *c,
    uint8_t out[SIP_AUTH_HASH_MAX], size_t *len)
{
	const struct sip_auth_ha1 *h = cred->ha1;

	if (h != NULL && c->alg == SIP_DIGEST_ALG_SHA256 && h->has_sha256) {
		memcpy(out, h->sha256, SIP_AUTH_SHA256_LEN);
		*len = SIP_AUTH_SHA256_LEN;
		return 0;
	}
	if (h != NULL && c->alg != SIP_DIGEST_ALG_SHA256 && h->has_md5) {
		memcpy(out, h->md5, SIP_AUTH_MD5_LEN);
		*len = SIP_AUTH_MD5_LEN;
		return 0;
	}
	if (!sv_present(cred->password))
		return -EINVAL;
	/* RFC 7616 §3.4.2: A1 = username ":" realm ":" passwd, with the
	 * realm of the challenge (equal to cred->realm when that is set). */
	return sip_auth_ha1_compute(c->alg, cred->username, c->realm,
	    cred->password, out, SIP_AUTH_HASH_MAX, len);
}

static int
make_cnonce(char out[2 * SIP_UAC_AUTH_CNONCE_BYTES + 1])
{
	uint8_t r[SIP_UAC_AUTH_CNONCE_BYTES];

	if (RAND_bytes(r, (int)sizeof(r)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(r); i++) {
		out[2 * i] = hexdig[r[i] >> 4];
		out[2 * i + 1] = hexdig[r[i] & 0x0f];
	}
	out[2 * sizeof(r)] = '\0';
	return 0;
}

static void
quoted(struct buf *b, const char *name, struct sv v)
{
	buf_append_cstr(b, name);
	buf_append_cstr(b, "=\"");
	buf_append_sv(b, v);
	buf_append_char(b, '"');
}

int
sip_uac_auth_value(struct sip_uac_auth *st,
    const struct sip_uac_auth_cred *cred, const struct sip_digest *chal,
    struct sv method, struct sv uri, struct sv cnonce_in, struct buf *out,
    struct sip_uac_auth_info *info)
{
	char cnonce_buf[2 * SIP_UAC_AUTH_CNONCE_BYTES + 1];
	char nc_text[9];
	char resp[SIP_AUTH_RESPONSE_HEX_MAX];
	uint8_t ha1[SIP_AUTH_HASH_MAX];
	struct sv cnonce = cnonce_in;
	bool qop = sv_present(chal->qop);
	uint32_t nc = 0;
	size_t ha1_len = 0;
	int rc;

	if (!cred_ok(cred) || !sip_is_token(method) ||
	    !quotable(uri, FIELD_MAX) || memchr(uri.p, ' ', uri.len) != NULL)
		return -EINVAL;
	if (sv_present(cnonce) && !quotable(cnonce, SIP_UAC_AUTH_NONCE_MAX))
		return -EINVAL;
	rc = judge(chal, cred);
	if (rc != 0)
		return rc;
	if (qop) {
		if (!sv_present(cnonce)) {
			rc = make_cnonce(cnonce_buf);
			if (rc != 0)
				return rc;
			cnonce =
			    sv_make(cnonce_buf, 2 * SIP_UAC_AUTH_CNONCE_BYTES);
		}
		rc = next_nc(st, chal->realm, chal->nonce, &nc);
		if (rc != 0)
			return rc;
		for (int i = 7; i >= 0; i--)
			nc_text[7 - i] = hexdig[(nc >> (4 * i)) & 0x0f];
		nc_text[8] = '\0';
	}
	rc = get_ha1(cred, chal, ha1, &ha1_len);
	if (rc == 0)
		rc = sip_auth_response(chal->alg, ha1, ha1_len, chal->nonce,
		    qop ? sv_make(nc_text, 8) : SV_NULL, qop ? cnonce : SV_NULL,
		    qop ? SV("auth") : SV_NULL, method, uri, resp,
		    sizeof(resp));
	OPENSSL_cleanse(ha1, sizeof(ha1));
	if (rc != 0)
		return rc == -EINVAL ? -EINVAL : -EIO;
	buf_append_cstr(out, "Digest ");
	quoted(out, "username", cred->username);
	quoted(out, ", realm", chal->realm);
	quoted(out, ", nonce", chal->nonce);
	quoted(out, ", uri", uri);
	quoted(out, ", response", sv_cstr(resp));
	/* RFC 7616 §3.4: algorithm echoes the challenge's. */
	if (chal->alg != SIP_DIGEST_ALG_ABSENT) {
		buf_append_cstr(out, ", algorithm=");
		buf_append_cstr(out, sip_digest_alg_name(chal->alg));
	}
	if (qop) {
		quoted(out, ", cnonce", cnonce);
		buf_append_cstr(out, ", qop=auth, nc=");
		buf_append_cstr(out, nc_text);
	}
	if (sv_present(chal->opaque))
		quoted(out, ", opaque", chal->opaque);
	if (info != NULL) {
		info->alg = chal->alg;
		info->nc = nc;
		info->stale = chal->stale;
		info->nonce = chal->nonce;
		info->realm = chal->realm;
	}
	return buf_error(out);
}

int
sip_uac_auth_answer(struct sip_uac_auth *st,
    const struct sip_uac_auth_cred *cred, const struct sip_msg *resp,
    struct sv method, struct sv uri, struct buf *out,
    struct sip_uac_auth_info *info)
{
	struct sip_digest chal[CHAL_MAX];
	enum sip_hdr_id id;
	struct sv value;
	const char *name;
	size_t n = 0, pick = 0, mark;
	int pos = -1, rc;

	if (resp->is_request || (resp->status != 401 && resp->status != 407))
		return -EINVAL;
	if (resp->status == 401) {
		id = SIP_HDR_WWW_AUTHENTICATE;
		name = "Authorization: ";
	} else {
		id = SIP_HDR_PROXY_AUTHENTICATE;
		name = "Proxy-Authorization: ";
	}
	while (n < CHAL_MAX && sip_msg_next_field(resp, id, &pos, &value) == 1)
		if (sip_digest_parse(value, &chal[n]) == 0)
			n++;
	if (n == 0)
		return -ENOENT;
	rc = sip_uac_auth_pick(chal, n, cred, &pick);
	if (rc != 0)
		return rc;
	mark = out->len;
	buf_append_cstr(out, name);
	rc = sip_uac_auth_value(
	    st, cred, &chal[pick], method, uri, SV_NULL, out, info);
	if (rc == 0) {
		buf_append_cstr(out, "\r\n");
		rc = buf_error(out);
	}
	/* No half header line is left behind (buf errors are sticky). */
	if (rc != 0 && buf_error(out) == 0)
		out->len = mark;
	return rc;
}
