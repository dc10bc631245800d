/* The media state of one call. See pbx/callmedia.h. */
#include "pbx/callmedia.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

static const enum media_srtp_suite suites[OFFER_SUITES_MAX] = {
    MEDIA_SRTP_AEAD_AES_256_GCM,
    MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
    MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32,
};

void
callmedia_policy_copy(
    struct callmedia_policy *dst, const struct offer_policy *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src == NULL)
		return;
	dst->srtp_required = src->srtp_required;
	for (unsigned i = 0; i < src->codec_count && i < USERS_CODECS_MAX;
	     i++) {
		size_t n = src->codecs[i].len;

		if (n > USERS_CODEC_NAME_MAX)
			n = USERS_CODEC_NAME_MAX;
		memcpy(dst->codecs[i], src->codecs[i].p, n);
		dst->codecs[i][n] = '\0';
		dst->views[i] = sv_make(dst->codecs[i], n);
		dst->codec_count++;
	}
}

struct offer_policy
callmedia_policy_view(const struct callmedia_policy *p)
{
	return (struct offer_policy){
	    .srtp_required = p->srtp_required,
	    .codecs = p->views,
	    .codec_count = p->codec_count,
	};
}

int
callmedia_init(struct callmedia *m, const char *relay_addr, uint16_t port_a,
    uint16_t port_b, const struct offer_policy *pa,
    const struct offer_policy *pb)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->addr, sizeof(m->addr), "%s", relay_addr);
	m->port[0] = port_a;
	m->port[1] = port_b;
	callmedia_policy_copy(&m->policy[0], pa);
	callmedia_policy_copy(&m->policy[1], pb);
	buf_init(&m->local[0], SDP_BODY_MAX);
	buf_init(&m->local[1], SDP_BODY_MAX);
	/* o= session ids: random, below 2^62 so they print as digits
	 * that fit any parser's 64-bit integer. */
	if (getrandom(m->sess_id, sizeof(m->sess_id), 0) !=
	    (ssize_t)sizeof(m->sess_id))
		return -errno;
	m->sess_id[0] >>= 2;
	m->sess_id[1] >>= 2;
	return 0;
}

void
callmedia_retarget(struct callmedia *m, const struct offer_policy *pb)
{
	callmedia_abandon(m);
	callmedia_policy_copy(&m->policy[1], pb);
	/* A new callee never gets the key of the previous one. */
	OPENSSL_cleanse(m->keys[1], sizeof(m->keys[1]));
	m->have_keys[1] = false;
	m->oline[1][0] = '\0';
}

void
callmedia_wipe(struct callmedia *m)
{
	offer_exchange_free(m->cur);
	offer_exchange_free(m->next);
	m->cur = NULL;
	m->next = NULL;
	OPENSSL_cleanse(m->keys, sizeof(m->keys));
	buf_release(&m->local[0]);
	buf_release(&m->local[1]);
}

static int
ensure_keys(struct callmedia *m, unsigned side)
{
	if (m->have_keys[side])
		return 0;
	for (unsigned i = 0; i < OFFER_SUITES_MAX; i++) {
		int rc = media_srtp_key_random(suites[i], &m->keys[side][i]);

		if (rc != 0)
			return rc;
	}
	m->have_keys[side] = true;
	return 0;
}

/* The o= line of an SDP body, without its line end. */
static struct sv
origin_line(struct sv body)
{
	for (size_t i = 0; i + 1 < body.len; i++) {
		if ((i == 0 || body.p[i - 1] == '\n') && body.p[i] == 'o' &&
		    body.p[i + 1] == '=') {
			size_t j = i;

			while (j < body.len && body.p[j] != '\r' &&
			       body.p[j] != '\n')
				j++;
			return sv_make(body.p + i, j - i);
		}
	}
	return SV_NULL;
}

static void
remember_origin(struct callmedia *m, unsigned side, struct sv body)
{
	struct sv o = origin_line(body);
	size_t n =
	    o.len < CALLMEDIA_OLINE_MAX - 1 ? o.len : CALLMEDIA_OLINE_MAX - 1;

	if (n > 0)
		memcpy(m->oline[side], o.p, n);
	m->oline[side][n] = '\0';
}

/* Keeps a copy of what 'side' was just sent (out from 'from' on). */
static void
remember_local(
    struct callmedia *m, unsigned side, const struct buf *out, size_t from)
{
	buf_reset(&m->local[side]);
	buf_append(&m->local[side], out->data + from, out->len - from);
}

int
callmedia_offer(
    struct callmedia *m, unsigned side, struct sv body, struct buf *out)
{
	unsigned other = 1u - side;
	struct offer_policy pol = callmedia_policy_view(&m->policy[side]);
	struct offer_policy opol = callmedia_policy_view(&m->policy[other]);
	struct offer_exchange *x = NULL;
	const struct offer_endpoint *ep;
	struct offer_local local;
	size_t start = out->len;
	enum offer_srtp srtp;
	int rc;

	if (side > 1)
		return -EINVAL;
	if (m->next != NULL)
		return -EBUSY;
	rc = offer_parse_offer(&x, body, &pol);
	if (rc != 0)
		return rc;
	ep = offer_endpoint(x, 0);
	/* SRTP is always offered to the other leg (R-CRYPTO-2). It is
	 * required (RTP/SAVP) when its user requires it, and when the
	 * offerer uses SRTP: an encrypted call is never downgraded on the
	 * other leg behind the caller's back. Otherwise it is best effort
	 * (RTP/AVP with a=crypto), so a plain phone can still answer. */
	srtp = (ep != NULL && ep->srtp) || m->policy[other].srtp_required
	           ? OFFER_SRTP_REQUIRED
	           : OFFER_SRTP_OPTIONAL;
	rc = ensure_keys(m, other);
	local = (struct offer_local){
	    .addr = sv_cstr(m->addr),
	    .port = m->port[other],
	    .sess_id = m->sess_id[other],
	    .sess_version = m->sess_version[other] + 1,
	};
	if (rc == 0)
		rc = offer_build_offer(x, &opol, &local, srtp, m->keys[other],
		    OFFER_SUITES_MAX, out);
	if (rc != 0) {
		offer_exchange_free(x);
		return rc;
	}
	m->sess_version[other]++;
	remember_origin(m, side, body);
	remember_local(m, other, out, start);
	m->next = x;
	m->next_offerer = side;
	m->next_answered = false;
	return 0;
}

int
callmedia_answer(struct callmedia *m, struct sv body, struct buf *out)
{
	struct offer_exchange *x = m->next;
	unsigned offerer = m->next_offerer;
	const struct offer_endpoint *ep;
	const struct media_srtp_key *key = NULL;
	struct offer_local local;
	size_t start = out->len;
	int rc;

	if (x == NULL)
		return -EINVAL;
	rc = offer_parse_answer(x, body);
	if (rc != 0)
		return rc;
	ep = offer_endpoint(x, 0);
	if (ep != NULL && ep->srtp) {
		rc = ensure_keys(m, offerer);
		if (rc != 0)
			return rc;
		for (unsigned i = 0; i < OFFER_SUITES_MAX; i++) {
			if (m->keys[offerer][i].suite == ep->rx_key.suite)
				key = &m->keys[offerer][i];
		}
		if (key == NULL)
			return -EPROTO;
	}
	local = (struct offer_local){
	    .addr = sv_cstr(m->addr),
	    .port = m->port[offerer],
	    .sess_id = m->sess_id[offerer],
	    .sess_version = m->sess_version[offerer] + 1,
	};
	rc = offer_build_answer(x, &local, key, out);
	if (rc != 0)
		return rc;
	/* Early media then the final answer of one exchange: one SDP
	 * version, as the offerer sees a single answer (RFC 3264 §8). */
	if (!m->next_answered)
		m->sess_version[offerer]++;
	m->next_answered = true;
	remember_origin(m, 1u - offerer, body);
	remember_local(m, offerer, out, start);
	return 0;
}

void
callmedia_commit(struct callmedia *m)
{
	if (m->next == NULL)
		return;
	offer_exchange_free(m->cur);
	m->cur = m->next;
	m->cur_offerer = m->next_offerer;
	m->next = NULL;
}

void
callmedia_abandon(struct callmedia *m)
{
	offer_exchange_free(m->next);
	m->next = NULL;
}

const struct offer_endpoint *
callmedia_endpoint(const struct callmedia *m, unsigned side)
{
	const struct offer_endpoint *ep = NULL;

	if (m->next != NULL)
		ep = offer_endpoint(m->next, side == m->next_offerer ? 0 : 1);
	if (ep == NULL && m->cur != NULL)
		ep = offer_endpoint(m->cur, side == m->cur_offerer ? 0 : 1);
	return ep;
}

bool
callmedia_unchanged(const struct callmedia *m, unsigned side, struct sv body)
{
	struct sv o = origin_line(body);

	return side <= 1 && o.len > 0 && sv_eq(o, sv_cstr(m->oline[side]));
}

struct sv
callmedia_local(const struct callmedia *m, unsigned side)
{
	return buf_view(&m->local[side]);
}

bool
callmedia_encrypted(const struct callmedia *m)
{
	const struct offer_endpoint *a = callmedia_endpoint(m, 0);
	const struct offer_endpoint *b = callmedia_endpoint(m, 1);

	return a != NULL && b != NULL && a->srtp && b->srtp;
}

bool
callmedia_sending(const struct callmedia *m, unsigned side)
{
	const struct offer_endpoint *ep = callmedia_endpoint(m, side);

	return ep != NULL && !ep->held &&
	       (ep->dir == SDP_DIR_SENDRECV || ep->dir == SDP_DIR_SENDONLY);
}
