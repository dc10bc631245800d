/* libFuzzer target for the SDP parser and builder.
 *
 * Invariants checked on every input that parses: no typed lookup fails
 * (the parser checked every attribute it knows), the builder accepts the
 * session (or finds it too large once CRLF replaces LF), and what it
 * builds parses back to equal fields. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert(), active whatever NDEBUG says. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static void
use_sv(struct sv s)
{
	/* Touch every byte so that ASan sees a view past its buffer. */
	volatile unsigned char sink = 0;

	for (size_t i = 0; i < s.len; i++)
		sink ^= (unsigned char)s.p[i];
	(void)sink;
}

static void
check_media(const struct sdp_session *s, const struct sdp_media *m)
{
	struct sdp_rtpmap rtpmap;
	struct sdp_fmtp fmtp;
	struct sdp_rtcp rtcp;
	struct sdp_crypto crypto;
	struct sdp_fingerprint fp;
	enum sdp_setup setup;
	enum sdp_direction dir;
	struct sv mid;
	uint32_t ms;
	int r;

	(void)sdp_media_kind(m);
	(void)sdp_media_proto(m);
	(void)sdp_proto_is_rtp(m->proto);
	(void)sdp_media_rtcp_mux(m);
	dir = sdp_media_direction(s, m);
	CHECK(dir == SDP_DIR_SENDRECV || dir == SDP_DIR_SENDONLY ||
	      dir == SDP_DIR_RECVONLY || dir == SDP_DIR_INACTIVE);
	use_sv(sdp_direction_name(dir));
	for (unsigned pt = 0; pt < 128; pt++) {
		r = sdp_media_rtpmap(m, (uint8_t)pt, &rtpmap);
		CHECK(r >= 0);
		if (r == 1)
			use_sv(rtpmap.encoding);
		r = sdp_media_fmtp(m, (uint8_t)pt, &fmtp);
		CHECK(r >= 0);
		if (r == 1)
			use_sv(fmtp.params);
		(void)sdp_rtpmap_static((uint8_t)pt, &rtpmap);
	}
	CHECK(sdp_media_ptime(m, &ms) >= 0);
	CHECK(sdp_media_maxptime(m, &ms) >= 0);
	r = sdp_media_rtcp(m, &rtcp);
	CHECK(r >= 0);
	if (r == 1)
		use_sv(rtcp.address);
	for (unsigned i = 0;; i++) {
		r = sdp_media_crypto(m, i, &crypto);
		CHECK(r >= 0);
		if (r == 0)
			break;
		use_sv(crypto.suite);
		use_sv(crypto.session_params);
		for (unsigned k = 0; k < crypto.key_count; k++) {
			use_sv(crypto.keys[k].key_salt);
			use_sv(crypto.keys[k].lifetime);
		}
	}
	for (unsigned i = 0;; i++) {
		r = sdp_media_fingerprint(s, m, i, &fp);
		CHECK(r >= 0);
		if (r == 0)
			break;
		use_sv(fp.value);
	}
	CHECK(sdp_media_setup(s, m, &setup) >= 0);
	r = sdp_media_mid(m, &mid);
	CHECK(r >= 0);
	if (r == 1)
		use_sv(mid);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_session *a, *b;
	struct buf out;
	char *copy;
	int err;

	/* An exact-size copy: ASan catches a read one byte past the end. */
	copy = malloc(size != 0 ? size : 1);
	if (copy == NULL)
		return 0;
	if (size != 0)
		memcpy(copy, data, size);
	/* Sessions hold fixed arrays (about 110 KB): keep them off the stack.
	 */
	a = malloc(sizeof(*a));
	b = malloc(sizeof(*b));
	if (a == NULL || b == NULL)
		goto out;
	if (sdp_parse(sv_make(copy, size), a) != 0)
		goto out;
	for (unsigned i = 0; i < a->media_count; i++)
		check_media(a, &a->media[i]);

	buf_init(&out, 0);
	err = sdp_build(a, &out);
	CHECK(err == 0 || err == -E2BIG);
	if (err == 0) {
		err = sdp_parse(buf_view(&out), b);
		CHECK(err == 0);
		CHECK(sdp_session_equal(a, b));
	}
	buf_release(&out);
out:
	free(b);
	free(a);
	free(copy);
	return 0;
}
