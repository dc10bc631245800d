/* libFuzzer target for SDP offer/answer across two legs (pbx/offer.h).
 *
 * The input is a caller's offer. When it is accepted: the callee's offer
 * is built (SRTP off, optional or required, by input size), must parse,
 * must carry our address and no other, and keeps the m= line count; a
 * synthetic answer made from it must be accepted; the caller's answer
 * must parse and keep the m= line count too. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "pbx/offer.h"
#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert(), active whatever NDEBUG says. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

#define RELAY "203.0.113.1"
#define PEER "192.0.2.77"
/* 30 bytes, base64. */
#define PEER_KEY "wcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e"

static const struct offer_local local_b = {
    {RELAY, sizeof(RELAY) - 1}, 30002, 1, 1};
static const struct offer_local local_a = {
    {RELAY, sizeof(RELAY) - 1}, 30000, 2, 1};

static void
key_fill(struct media_srtp_key *k, enum media_srtp_suite suite, size_t len,
    uint8_t start)
{
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->key_len = len;
	for (size_t i = 0; i < len; i++)
		k->key[i] = (uint8_t)(start + i);
}

static bool
conn_is_relay(const struct sdp_connection *c)
{
	return sv_eq(c->address, SV(RELAY));
}

/* Our SDP: our address everywhere, only the attributes we write. */
static void
check_ours(const struct sdp_session *s, unsigned media_count)
{
	const struct sv allowed[] = {SV("rtpmap"), SV("fmtp"), SV("ptime"),
	    SV("maxptime"), SV("crypto"), SV("sendrecv"), SV("sendonly"),
	    SV("recvonly"), SV("inactive")};

	CHECK(s->media_count == media_count);
	CHECK(s->has_conn && conn_is_relay(&s->conn));
	CHECK(sv_eq(s->origin.address, SV(RELAY)));
	CHECK(s->attrs.count == 0);
	for (unsigned i = 0; i < s->media_count; i++) {
		const struct sdp_media *m = &s->media[i];

		CHECK(!m->has_conn);
		for (unsigned j = 0; j < m->attrs.count; j++) {
			bool ok = false;

			for (size_t k = 0;
			     k < sizeof(allowed) / sizeof(allowed[0]); k++)
				ok = ok ||
				     sv_eq(m->attrs.list[j].name, allowed[k]);
			CHECK(ok);
		}
	}
}

/* The callee's answer to 'offer': its own address, the relayed stream
 * with every format, and one a=crypto on tag 1 unless SRTP is off. */
static int
make_answer(const struct sdp_session *offer, enum offer_srtp mode,
    struct sdp_session *ans, struct buf *out)
{
	*ans = *offer;
	ans->origin.address = SV(PEER);
	ans->conn.address = SV(PEER);
	for (unsigned i = 0; i < ans->media_count; i++) {
		struct sdp_media *m = &ans->media[i];

		if (m->port == 0)
			continue;
		m->port = 40000;
		(void)sdp_attrs_remove(&m->attrs, SV("crypto"));
		if (mode != OFFER_SRTP_OFF &&
		    sdp_attrs_add(&m->attrs, SV("crypto"),
		        SV("1 AES_CM_128_HMAC_SHA1_80 inline:" PEER_KEY),
		        true) != 0)
			return -E2BIG;
	}
	return sdp_build(ans, out);
}

static void
exchange(
    size_t size, struct sv in, struct sdp_session *s1, struct sdp_session *s2)
{
	struct media_srtp_key keys[3], ka;
	enum offer_srtp mode = (enum offer_srtp)(size % 3);
	const struct offer_endpoint *a;
	struct offer_exchange *x = NULL;
	struct buf boffer, banswer, aanswer;
	int err;

	key_fill(&keys[0], MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 30, 0x11);
	key_fill(&keys[1], MEDIA_SRTP_AEAD_AES_256_GCM, 44, 0x41);
	key_fill(&keys[2], MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 30, 0x71);
	buf_init(&boffer, 0);
	buf_init(&banswer, 0);
	buf_init(&aanswer, 0);
	err = offer_parse_offer(&x, in, NULL);
	CHECK(err == 0 || err == -EBADMSG || err == -EPROTO);
	if (err != 0)
		goto out;
	a = offer_endpoint(x, 0);
	CHECK(a != NULL && a->codec_count > 0);
	CHECK(!a->srtp || a->rx_key.key_len == 30 || a->rx_key.key_len == 44);
	CHECK(sdp_parse(in, s1) == 0);

	err = offer_build_offer(x, NULL, &local_b, mode, keys, 3, &boffer);
	/* -EPROTO only when the attribute list of the stream is full. */
	CHECK(err == 0 || err == -E2BIG || err == -EPROTO);
	if (err != 0)
		goto out;
	CHECK(sdp_parse(buf_view(&boffer), s2) == 0);
	check_ours(s2, s1->media_count);

	if (make_answer(s2, mode, s1, &banswer) != 0)
		goto out;
	err = offer_parse_answer(x, buf_view(&banswer));
	CHECK(err == 0);
	CHECK(offer_endpoint(x, 1) != NULL);
	CHECK(offer_endpoint(x, 1)->srtp == (mode != OFFER_SRTP_OFF));

	a = offer_endpoint(x, 0);
	key_fill(&ka, a->rx_key.suite, a->rx_key.key_len, 0xa1);
	err = offer_build_answer(x, &local_a, &ka, &aanswer);
	CHECK(err == 0 || err == -E2BIG || err == -EPROTO);
	if (err != 0)
		goto out;
	CHECK(sdp_parse(buf_view(&aanswer), s2) == 0);
	CHECK(sdp_parse(in, s1) == 0);
	check_ours(s2, s1->media_count);
out:
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_session *s1, *s2;
	char *copy;

	/* An exact-size copy: ASan catches a read one byte past the end. */
	copy = malloc(size != 0 ? size : 1);
	if (copy == NULL)
		return 0;
	if (size != 0)
		memcpy(copy, data, size);
	/* Sessions hold fixed arrays (about 110 KB): keep them off the stack.
	 */
	s1 = malloc(sizeof(*s1));
	s2 = malloc(sizeof(*s2));
	if (s1 != NULL && s2 != NULL)
		exchange(size, sv_make(copy, size), s1, s2);
	free(s2);
	free(s1);
	free(copy);
	return 0;
}
