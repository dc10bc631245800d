/* Unit tests for SDP offer/answer across the two legs of a call
 * (R-CALL-2, R-CALL-3, R-CALL-16, R-CRYPTO-2). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "pbx/offer.h"
#include "sip/sdp.h"

/* Keys in the offers below: bytes start, start + 1, ... */
#define A80 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e" /* 0x01, 30 */
#define A32 "MTIzNDU2Nzg5Ojs8PT4/QEFCQ0RFRkdISUpLTE1O" /* 0x31, 30 */
#define AGCM                                                                   \
	"YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4w=" /* 0x61 \
	                                                                */
#define B32 "kZKTlJWWl5iZmpucnZ6foKGio6SlpqeoqaqrrK2u" /* 0x91, 30 */
#define B80 "wcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e" /* 0xc1, 30 */
/* 28 bytes: one of the right base64 form but the wrong length. */
#define SHORT "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA=="

/* baresip: SAVP, two suites, opus, PCMU, PCMA, telephone-event. */
static const char baresip[] =
    "v=0\r\n"
    "o=- 1430287226 3513513718 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 10000 RTP/SAVP 96 0 8 101\r\n"
    "b=AS:128\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n"
    "a=ssrc:1234567 cname:alice@192.0.2.10\r\n"
    "a=rtcp-rsize\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" A80 "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" A32 "\r\n"
    "a=ptime:20\r\n";

/* SIPp uac: plain PCMU, LF line ends. */
static const char sipp[] = "v=0\n"
                           "o=user1 53655765 2353687637 IN IP4 198.51.100.7\n"
                           "s=-\n"
                           "c=IN IP4 198.51.100.7\n"
                           "t=0 0\n"
                           "m=audio 6000 RTP/AVP 0\n"
                           "a=rtpmap:0 PCMU/8000\n";

/* Linphone: an unsupported suite first, then three of ours, rtcp-mux,
 * a=rtcp with its own address, ICE. */
static const char linphone[] =
    "v=0\r\n"
    "o=alice 3307 2186 IN IP4 203.0.113.20\r\n"
    "s=Talk\r\n"
    "c=IN IP4 203.0.113.20\r\n"
    "t=0 0\r\n"
    "a=ice-pwd:31ec21eb38b2ec6d36e8dc7b\r\n"
    "a=ice-ufrag:e366e4a5\r\n"
    "m=audio 7078 RTP/SAVP 96 97 98 0 8 18 101 99 100\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 useinbandfec=1\r\n"
    "a=rtpmap:97 speex/16000\r\n"
    "a=fmtp:97 vbr=on\r\n"
    "a=rtpmap:98 speex/8000\r\n"
    "a=fmtp:98 vbr=on\r\n"
    "a=fmtp:18 annexb=yes\r\n"
    "a=rtpmap:101 telephone-event/48000\r\n"
    "a=rtpmap:99 telephone-event/16000\r\n"
    "a=rtpmap:100 telephone-event/8000\r\n"
    "a=rtcp:7079 IN IP4 203.0.113.21\r\n"
    "a=rtcp-mux\r\n"
    "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" AGCM "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" A80 "|2^31\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:" A32 "\r\n"
    "a=crypto:4 AEAD_AES_256_GCM inline:" AGCM "\r\n"
    "a=candidate:1 1 UDP 2130706431 203.0.113.20 7078 typ host\r\n"
    "a=candidate:2 1 UDP 1694498815 198.18.0.1 7078 typ srflx raddr "
    "203.0.113.20 rport 7078\r\n"
    "a=rtcp-fb:* trr-int 1000\r\n";

/* Video first, then audio: the relayed stream is the second m= line. */
static const char video_audio[] = "v=0\r\n"
                                  "o=- 1 1 IN IP4 192.0.2.30\r\n"
                                  "s=-\r\n"
                                  "c=IN IP4 192.0.2.30\r\n"
                                  "t=0 0\r\n"
                                  "m=video 9000 RTP/AVP 96 97\r\n"
                                  "a=rtpmap:96 H264/90000\r\n"
                                  "a=rtpmap:97 VP8/90000\r\n"
                                  "m=audio 9002 RTP/AVP 8 0 13\r\n"
                                  "a=rtpmap:13 CN/8000\r\n";

/* RFC 2543 hold. */
static const char hold_zero[] = "v=0\r\n"
                                "o=- 2 3 IN IP4 192.0.2.40\r\n"
                                "s=-\r\n"
                                "c=IN IP4 0.0.0.0\r\n"
                                "t=0 0\r\n"
                                "m=audio 4000 RTP/AVP 0\r\n";

static const char hold_sendonly[] = "v=0\r\n"
                                    "o=- 2 4 IN IP4 192.0.2.40\r\n"
                                    "s=-\r\n"
                                    "c=IN IP4 192.0.2.40\r\n"
                                    "t=0 0\r\n"
                                    "a=sendonly\r\n"
                                    "m=audio 4000 RTP/AVP 0 101\r\n"
                                    "a=rtpmap:101 telephone-event/8000\r\n";

static const char ipv6[] = "v=0\r\n"
                           "o=- 5 5 IN IP6 2001:db8::5\r\n"
                           "s=-\r\n"
                           "c=IN IP6 2001:db8::5\r\n"
                           "t=0 0\r\n"
                           "m=audio 5004 RTP/AVP 9 0\r\n"
                           "a=rtcp:5009\r\n";

static const char webrtc[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"
    "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
    "a=setup:actpass\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n"
    "c=IN IP4 192.0.2.99\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-mux\r\n";

static const struct offer_policy any = {false, NULL, 0};

static const struct offer_local local_b = {{"10.0.0.1", 8}, 30002, 1000, 1};
static const struct offer_local local_a = {{"10.0.0.1", 8}, 30000, 2000, 1};

static void
key_fill(struct media_srtp_key *k, enum media_srtp_suite suite, uint8_t start)
{
	memset(k, 0, sizeof(*k));
	k->suite = suite;
	k->key_len = suite == MEDIA_SRTP_AEAD_AES_256_GCM ? 44 : 30;
	for (size_t i = 0; i < k->key_len; i++)
		k->key[i] = (uint8_t)(start + i);
}

static bool
key_is(
    const struct media_srtp_key *k, enum media_srtp_suite suite, uint8_t start)
{
	struct media_srtp_key want;

	key_fill(&want, suite, start);
	return k->suite == want.suite && k->key_len == want.key_len &&
	       memcmp(k->key, want.key, want.key_len) == 0;
}

/* Our keys for leg B: one per suite. */
static void
our_keys(struct media_srtp_key keys[3])
{
	key_fill(&keys[0], MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 0x11);
	key_fill(&keys[1], MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 0x41);
	key_fill(&keys[2], MEDIA_SRTP_AEAD_AES_256_GCM, 0x71);
}

static int
parse_offer(
    struct offer_exchange **x, const char *sdp, const struct offer_policy *pol)
{
	*x = NULL;
	return offer_parse_offer(x, sv_cstr(sdp), pol);
}

/* What we build must parse again (the builder promises it). */
static void
assert_parses(const struct buf *b)
{
	struct sdp_session *s = malloc(sizeof(*s));

	assert_non_null(s);
	assert_int_equal(sdp_parse(buf_view(b), s), 0);
	free(s);
}

/* A NUL-terminated copy of the buffer, for strstr(). */
static char *
text(const struct buf *b)
{
	char *t = malloc(b->len + 1);

	assert_non_null(t);
	memcpy(t, b->data, b->len);
	t[b->len] = '\0';
	return t;
}

static void
assert_contains(const struct buf *b, const char *what)
{
	char *t = text(b);

	if (strstr(t, what) == NULL)
		fail_msg("missing \"%s\" in:\n%s", what, t);
	free(t);
}

static void
assert_lacks(const struct buf *b, const char *what)
{
	char *t = text(b);

	if (strstr(t, what) != NULL)
		fail_msg("unexpected \"%s\" in:\n%s", what, t);
	free(t);
}

static uint16_t
port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
assert_addr(const struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
	char got[INET6_ADDRSTRLEN];
	const void *a =
	    ss->ss_family == AF_INET
	        ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
	        : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	assert_non_null(inet_ntop(ss->ss_family, a, got, sizeof(got)));
	assert_string_equal(got, addr);
	assert_int_equal(port_of(ss), port);
}

/* An answer from leg B to the offer 'offer' we sent it: same m= lines,
 * the relayed one (index 'idx') with 'mline' and 'attrs'. */
static void
make_answer(struct buf *out, const struct buf *offer, unsigned idx,
    const char *mline, const char *attrs)
{
	struct sdp_session *s = malloc(sizeof(*s));

	assert_non_null(s);
	assert_int_equal(sdp_parse(buf_view(offer), s), 0);
	buf_init(out, 0);
	buf_append_cstr(out, "v=0\r\n"
	                     "o=bob 77 77 IN IP4 198.51.100.50\r\n"
	                     "s=-\r\n"
	                     "c=IN IP4 198.51.100.50\r\n"
	                     "t=0 0\r\n");
	for (unsigned i = 0; i < s->media_count; i++) {
		if (i == idx) {
			buf_printf(out, "%s\r\n%s", mline, attrs);
			continue;
		}
		buf_printf(out, "m=%.*s 0 %.*s %.*s\r\n",
		    SV_ARG(s->media[i].media), SV_ARG(s->media[i].proto),
		    SV_ARG(s->media[i].formats[0]));
	}
	assert_int_equal(buf_error(out), 0);
	free(s);
}

/* ---- reading offers ---- */

static void
test_baresip(void **state)
{
	struct offer_exchange *x;
	const struct offer_endpoint *ep;

	(void)state;
	assert_int_equal(parse_offer(&x, baresip, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_non_null(ep);
	assert_null(offer_endpoint(x, 1));
	assert_addr(&ep->rtp, "192.0.2.10", 10000);
	assert_addr(&ep->rtcp, "192.0.2.10", 10001);
	assert_false(ep->rtcp_mux);
	assert_false(ep->held);
	assert_int_equal(ep->dir, SDP_DIR_SENDRECV);
	assert_true(ep->srtp);
	assert_int_equal(ep->crypto_tag, 1);
	assert_true(key_is(&ep->rx_key, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 1));
	assert_int_equal(ep->codec_count, 4);
	assert_int_equal(ep->codecs[0].pt, 96);
	assert_string_equal(ep->codecs[0].encoding, "opus");
	assert_int_equal(ep->codecs[0].clock_rate, 48000);
	assert_int_equal(ep->codecs[0].channels, 2);
	/* Static types without a=rtpmap get their RFC 3551 names. */
	assert_string_equal(ep->codecs[1].encoding, "PCMU");
	assert_string_equal(ep->codecs[2].encoding, "PCMA");
	assert_int_equal(ep->codecs[2].clock_rate, 8000);
	assert_string_equal(ep->codecs[3].encoding, "telephone-event");
	assert_null(offer_endpoint(x, 2));
	offer_exchange_free(x);
	offer_exchange_free(NULL);
}

static void
test_sipp_plain(void **state)
{
	struct offer_exchange *x;
	const struct offer_endpoint *ep;

	(void)state;
	assert_int_equal(parse_offer(&x, sipp, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_addr(&ep->rtp, "198.51.100.7", 6000);
	assert_addr(&ep->rtcp, "198.51.100.7", 6001);
	assert_false(ep->srtp);
	assert_int_equal(ep->codec_count, 1);
	assert_string_equal(ep->codecs[0].encoding, "PCMU");
	offer_exchange_free(x);
}

static void
test_linphone(void **state)
{
	struct offer_exchange *x;
	const struct offer_endpoint *ep;

	(void)state;
	assert_int_equal(parse_offer(&x, linphone, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_addr(&ep->rtp, "203.0.113.20", 7078);
	/* a=rtcp with its own address; rtcp-mux is not agreed. */
	assert_addr(&ep->rtcp, "203.0.113.21", 7079);
	assert_false(ep->rtcp_mux);
	/* The first supported suite in its order: tag 2, lifetime 2^31. */
	assert_true(ep->srtp);
	assert_int_equal(ep->crypto_tag, 2);
	assert_true(key_is(&ep->rx_key, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 1));
	assert_int_equal(ep->codec_count, 9);
	assert_string_equal(ep->codecs[5].encoding, "G729");
	offer_exchange_free(x);
}

static void
test_video_audio(void **state)
{
	struct offer_exchange *x;
	const struct offer_endpoint *ep;

	(void)state;
	assert_int_equal(parse_offer(&x, video_audio, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_addr(&ep->rtp, "192.0.2.30", 9002);
	assert_int_equal(ep->codec_count, 3);
	assert_int_equal(ep->codecs[0].pt, 8);
	offer_exchange_free(x);
}

static void
test_hold_offers(void **state)
{
	struct offer_exchange *x;
	const struct offer_endpoint *ep;

	(void)state;
	/* R-CALL-3: c=0.0.0.0 means send it nothing (RFC 3264 §8.4). */
	assert_int_equal(parse_offer(&x, hold_zero, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_true(ep->held);
	assert_int_equal(ep->dir, SDP_DIR_SENDONLY);
	offer_exchange_free(x);
	/* Session-level a=sendonly applies to the stream. */
	assert_int_equal(parse_offer(&x, hold_sendonly, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_false(ep->held);
	assert_int_equal(ep->dir, SDP_DIR_SENDONLY);
	offer_exchange_free(x);
}

static void
test_ipv6(void **state)
{
	struct offer_exchange *x;
	const struct offer_endpoint *ep;

	(void)state;
	assert_int_equal(parse_offer(&x, ipv6, &any), 0);
	ep = offer_endpoint(x, 0);
	assert_int_equal(ep->rtp.ss_family, AF_INET6);
	assert_addr(&ep->rtp, "2001:db8::5", 5004);
	assert_addr(&ep->rtcp, "2001:db8::5", 5009);
	assert_string_equal(ep->codecs[0].encoding, "G722");
	offer_exchange_free(x);
}

static void
test_refusals(void **state)
{
	static const char *const bad[] = {
	    /* DTLS-SRTP is not supported yet. */
	    webrtc,
	    /* No audio. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=video 5000 RTP/AVP 96\r\n",
	    /* Audio rejected by its offerer. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 0 RTP/AVP 0\r\n",
	    /* Not RTP. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 udptl t38\r\n",
	    /* A hostname. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
	    "c=IN IP4 media.example.com\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
	    /* Multicast. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
	    "c=IN IP4 233.252.0.1/127\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
	    "v=0\r\no=- 1 1 IN IP6 ::1\r\ns=-\r\nc=IN IP6 ff0e::1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n",
	    /* Only telephone-event. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/AVP 101\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n",
	    /* RTP/SAVP without any crypto, or only unusable ones: wrong
	     * length, MKI, lifetime, session parameters, our suite with a
	     * GCM-sized key. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" SHORT "\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" A80 "|2^31|1:4\r\n"
	    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" A80 "|2^20\r\n"
	    "a=crypto:4 AES_CM_128_HMAC_SHA1_80 inline:" A80
	    " UNENCRYPTED_SRTP\r\n"
	    "a=crypto:5 AES_CM_128_HMAC_SHA1_32 inline:" AGCM "\r\n"
	    "a=crypto:6 AEAD_AES_256_GCM inline:" A80 "\r\n"
	    "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:" A80 ";inline:" A32
	    "\r\n",
	    /* Base64 not padded, padded where it must not be, or with bits
	     * set past the end. */
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/SAVP 0\r\n"
	    "a=crypto:1 AEAD_AES_256_GCM inline:"
	    "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4w\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" A80 "==\r\n"
	    "a=crypto:3 AEAD_AES_256_GCM inline:"
	    "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4x=\r\n",
	};
	struct offer_exchange *x;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		x = NULL;
		if (offer_parse_offer(&x, sv_cstr(bad[i]), &any) != -EPROTO)
			fail_msg("offer %zu not refused", i);
		assert_null(x);
	}
	assert_int_equal(offer_status(-EPROTO), 488);
}

static void
test_best_effort_srtp(void **state)
{
	/* RTP/AVP with a=crypto: SRTP-capable. A bad key there leaves a
	 * plain RTP offer, which is fine. */
	static const char avp_crypto[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"
	    "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" A32 "\r\n";
	static const char avp_bad_crypto[] =
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\n"
	    "t=0 0\r\nm=audio 5000 RTP/AVP 0\r\n"
	    "a=crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" SHORT "\r\n";
	struct offer_exchange *x;

	(void)state;
	assert_int_equal(parse_offer(&x, avp_crypto, &any), 0);
	assert_true(offer_endpoint(x, 0)->srtp);
	assert_int_equal(offer_endpoint(x, 0)->crypto_tag, 7);
	assert_true(key_is(&offer_endpoint(x, 0)->rx_key,
	    MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 0x31));
	offer_exchange_free(x);
	assert_int_equal(parse_offer(&x, avp_bad_crypto, &any), 0);
	assert_false(offer_endpoint(x, 0)->srtp);
	offer_exchange_free(x);
}

static void
test_malformed(void **state)
{
	struct offer_exchange *x = NULL;
	char big[SDP_BODY_MAX + 2];

	(void)state;
	assert_int_equal(
	    offer_parse_offer(&x, SV("v=0\r\nnot sdp\r\n"), &any), -EBADMSG);
	assert_int_equal(offer_parse_offer(&x, SV(""), &any), -EBADMSG);
	assert_null(x);
	assert_int_equal(offer_status(-EBADMSG), 488);
	/* Over the SDP limits: not acceptable. */
	memset(big, 'a', sizeof(big));
	assert_int_equal(
	    offer_parse_offer(&x, sv_make(big, sizeof(big)), &any), -EPROTO);
	assert_int_equal(offer_status(-ENOMEM), 503);
	assert_int_equal(offer_status(-EINVAL), 500);
	assert_int_equal(offer_status(0), 200);
}

/* R-CRYPTO-2, R-CALL-16: each user's policy. */
static void
test_policies(void **state)
{
	const struct sv pcma[] = {SV("pcma")};
	const struct sv g722[] = {SV("G722")};
	const struct sv events[] = {SV("telephone-event")};
	const struct offer_policy srtp_only = {true, NULL, 0};
	const struct offer_policy only_pcma = {false, pcma, 1};
	const struct offer_policy only_g722 = {false, g722, 1};
	const struct offer_policy only_events = {false, events, 1};
	struct media_srtp_key keys[3];
	struct offer_exchange *x;
	const struct offer_endpoint *ep;
	struct buf out;

	(void)state;
	our_keys(keys);
	buf_init(&out, 0);
	assert_int_equal(parse_offer(&x, sipp, &srtp_only), -EPROTO);
	assert_int_equal(parse_offer(&x, sipp, &only_g722), -EPROTO);
	assert_int_equal(parse_offer(&x, hold_sendonly, &only_events), -EPROTO);
	assert_int_equal(parse_offer(&x, baresip, &srtp_only), 0);
	offer_exchange_free(x);
	/* Case-insensitive; telephone-event rides along. */
	assert_int_equal(parse_offer(&x, baresip, &only_pcma), 0);
	ep = offer_endpoint(x, 0);
	assert_int_equal(ep->codec_count, 2);
	assert_int_equal(ep->codecs[0].pt, 8);
	assert_int_equal(ep->codecs[1].pt, 101);
	offer_exchange_free(x);

	/* The callee's policy on the offer it gets. */
	assert_int_equal(parse_offer(&x, baresip, &any), 0);
	assert_int_equal(offer_build_offer(x, &only_g722, &local_b,
	                     OFFER_SRTP_OPTIONAL, keys, 3, &out),
	    -EPROTO);
	assert_int_equal(offer_build_offer(x, &srtp_only, &local_b,
	                     OFFER_SRTP_OPTIONAL, keys, 3, &out),
	    -EPROTO);
	assert_int_equal(offer_build_offer(x, &only_pcma, &local_b,
	                     OFFER_SRTP_REQUIRED, keys, 3, &out),
	    0);
	assert_contains(&out, "m=audio 30002 RTP/SAVP 8 101\r\n");
	assert_lacks(&out, "opus");
	offer_exchange_free(x);
	buf_release(&out);
}

/* ---- the whole exchange ---- */

/* R-CALL-2, R-CRYPTO-2: A's SRTP offer, B's offer, B's answer choosing
 * our second suite, A's answer. */
static void
test_round_trip_srtp(void **state)
{
	static const char *const a_addrs[] = {"192.0.2.10", "alice", "1234567",
	    "1430287226", "AQIDBAUG", "MTIzNDU2"};
	static const char *const b_addrs[] = {"198.51.100.50", "bob", "kZKT"};
	struct media_srtp_key keys[3], ka;
	struct offer_exchange *x, *check;
	const struct offer_endpoint *a, *b;
	struct buf boffer, banswer, aanswer;
	char *t;

	(void)state;
	our_keys(keys);
	key_fill(&ka, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 0xa1);
	buf_init(&boffer, 0);
	buf_init(&aanswer, 0);
	assert_int_equal(parse_offer(&x, baresip, &any), 0);
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     OFFER_SRTP_REQUIRED, keys, 3, &boffer),
	    0);
	assert_parses(&boffer);
	t = text(&boffer);
	assert_string_equal(t,
	    "v=0\r\n"
	    "o=- 1000 1 IN IP4 10.0.0.1\r\n"
	    "s=-\r\n"
	    "c=IN IP4 10.0.0.1\r\n"
	    "t=0 0\r\n"
	    "m=audio 30002 RTP/SAVP 96 0 8 101\r\n"
	    "a=rtpmap:96 opus/48000/2\r\n"
	    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-15\r\n"
	    "a=ptime:20\r\n"
	    "a=sendrecv\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:ERITFBUWFxgZGhscHR4fICEiIyQlJicoKSorLC0u\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
	    "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpbXF1e\r\n"
	    "a=crypto:3 AEAD_AES_256_GCM "
	    "inline:cXJzdHV2d3h5ent8fX5/"
	    "gIGCg4SFhoeIiYqLjI2Oj5CRkpOUlZaXmJmam5w=\r\n");
	free(t);
	for (size_t i = 0; i < sizeof(a_addrs) / sizeof(a_addrs[0]); i++)
		assert_lacks(&boffer, a_addrs[i]);
	/* Our keys, read back with our own parser. */
	assert_int_equal(offer_parse_offer(&check, buf_view(&boffer), &any), 0);
	assert_true(key_is(&offer_endpoint(check, 0)->rx_key,
	    MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 0x11));
	offer_exchange_free(check);

	make_answer(&banswer, &boffer, 0, "m=audio 40000 RTP/SAVP 0 101",
	    "a=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\n"
	    "a=ptime:30\r\n"
	    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" B32 "\r\n");
	assert_int_equal(offer_parse_answer(x, buf_view(&banswer)), 0);
	b = offer_endpoint(x, 1);
	assert_non_null(b);
	assert_addr(&b->rtp, "198.51.100.50", 40000);
	assert_addr(&b->rtcp, "198.51.100.50", 40001);
	assert_true(b->srtp);
	assert_int_equal(b->crypto_tag, 2);
	assert_true(
	    key_is(&b->rx_key, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 0x91));
	assert_true(
	    key_is(&b->tx_key, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 0x41));
	assert_int_equal(b->codec_count, 2);

	/* The key for A must be of the suite A's chosen line has. */
	assert_int_equal(
	    offer_build_answer(x, &local_a, &keys[1], &aanswer), -EINVAL);
	assert_int_equal(
	    offer_build_answer(x, &local_a, NULL, &aanswer), -EINVAL);
	assert_int_equal(aanswer.len, 0);
	assert_int_equal(offer_build_answer(x, &local_a, &ka, &aanswer), 0);
	assert_parses(&aanswer);
	t = text(&aanswer);
	assert_string_equal(t,
	    "v=0\r\n"
	    "o=- 2000 1 IN IP4 10.0.0.1\r\n"
	    "s=-\r\n"
	    "c=IN IP4 10.0.0.1\r\n"
	    "t=0 0\r\n"
	    "m=audio 30000 RTP/SAVP 0 101\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-16\r\n"
	    "a=ptime:30\r\n"
	    "a=sendrecv\r\n"
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:oaKjpKWmp6ipqqusra6vsLGys7S1tre4ubq7vL2+\r\n");
	free(t);
	for (size_t i = 0; i < sizeof(b_addrs) / sizeof(b_addrs[0]); i++)
		assert_lacks(&aanswer, b_addrs[i]);
	a = offer_endpoint(x, 0);
	assert_true(key_is(&a->rx_key, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 1));
	assert_true(
	    key_is(&a->tx_key, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 0xa1));
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

/* Linphone's SRTP toward a plain SIPp-like callee, through a best-effort
 * offer: the relay bridges SRTP and RTP. */
static void
test_round_trip_bridge(void **state)
{
	static const char *const a_addrs[] = {"203.0.113.2", "198.18.0.1",
	    "candidate", "ice-", "rtcp-mux", "rtcp:", "Talk", "alice",
	    "rtcp-fb"};
	struct media_srtp_key keys[3], ka;
	struct offer_exchange *x;
	struct buf boffer, banswer, aanswer;

	(void)state;
	our_keys(keys);
	key_fill(&ka, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 0xa1);
	buf_init(&boffer, 0);
	buf_init(&aanswer, 0);
	assert_int_equal(parse_offer(&x, linphone, &any), 0);
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     OFFER_SRTP_OPTIONAL, keys, 2, &boffer),
	    0);
	assert_parses(&boffer);
	assert_contains(&boffer, "m=audio 30002 RTP/AVP 96 97 98 0 8 18 101 99 "
	                         "100\r\n");
	assert_contains(&boffer, "a=fmtp:18 annexb=yes\r\n");
	assert_contains(&boffer, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 ");
	assert_lacks(&boffer, "a=crypto:3");
	for (size_t i = 0; i < sizeof(a_addrs) / sizeof(a_addrs[0]); i++)
		assert_lacks(&boffer, a_addrs[i]);

	make_answer(&banswer, &boffer, 0, "m=audio 6000 RTP/AVP 0", "");
	assert_int_equal(offer_parse_answer(x, buf_view(&banswer)), 0);
	assert_false(offer_endpoint(x, 1)->srtp);
	assert_int_equal(offer_endpoint(x, 1)->tx_key.key_len, 0);
	assert_int_equal(offer_build_answer(x, &local_a, &ka, &aanswer), 0);
	assert_parses(&aanswer);
	/* Proto mirrors A's offer; one crypto answering its tag 2. */
	assert_contains(&aanswer, "m=audio 30000 RTP/SAVP 0\r\n");
	assert_contains(&aanswer, "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:");
	assert_lacks(&aanswer, "a=crypto:1");
	assert_lacks(&aanswer, "198.51.100.50");
	assert_lacks(&aanswer, "rtcp-mux");
	assert_true(offer_endpoint(x, 0)->srtp);
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

/* Other m= lines stay, rejected, in their place. */
static void
test_round_trip_video(void **state)
{
	struct offer_exchange *x;
	struct buf boffer, banswer, aanswer;

	(void)state;
	buf_init(&boffer, 0);
	buf_init(&aanswer, 0);
	assert_int_equal(parse_offer(&x, video_audio, &any), 0);
	assert_int_equal(offer_build_offer(x, &any, &local_b, OFFER_SRTP_OFF,
	                     NULL, 0, &boffer),
	    0);
	assert_parses(&boffer);
	assert_contains(&boffer, "t=0 0\r\n"
	                         "m=video 0 RTP/AVP 96 97\r\n"
	                         "m=audio 30002 RTP/AVP 8 0 13\r\n"
	                         "a=rtpmap:13 CN/8000\r\n"
	                         "a=sendrecv\r\n");
	assert_lacks(&boffer, "crypto");
	assert_lacks(&boffer, "H264");

	make_answer(&banswer, &boffer, 1, "m=audio 6000 RTP/AVP 8", "");
	assert_int_equal(offer_parse_answer(x, buf_view(&banswer)), 0);
	assert_int_equal(offer_build_answer(x, &local_a, NULL, &aanswer), 0);
	assert_parses(&aanswer);
	assert_contains(&aanswer, "m=video 0 RTP/AVP 96 97\r\n"
	                          "m=audio 30000 RTP/AVP 8\r\n"
	                          "a=sendrecv\r\n");
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

/* R-CALL-3: hold passes through both ways. */
static void
test_round_trip_hold(void **state)
{
	struct offer_exchange *x;
	struct buf boffer, banswer, aanswer;

	(void)state;
	buf_init(&boffer, 0);
	buf_init(&aanswer, 0);
	assert_int_equal(parse_offer(&x, hold_zero, &any), 0);
	assert_int_equal(offer_build_offer(x, &any, &local_b, OFFER_SRTP_OFF,
	                     NULL, 0, &boffer),
	    0);
	assert_contains(&boffer, "a=sendonly\r\n");
	assert_lacks(&boffer, "0.0.0.0");
	/* B answers sendrecv anyway: what it sends is limited to what our
	 * offer receives. */
	make_answer(&banswer, &boffer, 0, "m=audio 6000 RTP/AVP 0", "");
	assert_int_equal(offer_parse_answer(x, buf_view(&banswer)), 0);
	assert_int_equal(offer_endpoint(x, 1)->dir, SDP_DIR_RECVONLY);
	assert_int_equal(offer_build_answer(x, &local_a, NULL, &aanswer), 0);
	assert_contains(&aanswer, "a=recvonly\r\n");
	offer_exchange_free(x);
	buf_release(&banswer);
	buf_reset(&boffer);
	buf_reset(&aanswer);

	assert_int_equal(parse_offer(&x, hold_sendonly, &any), 0);
	assert_int_equal(offer_build_offer(x, &any, &local_b, OFFER_SRTP_OFF,
	                     NULL, 0, &boffer),
	    0);
	assert_contains(&boffer, "a=sendonly\r\n");
	make_answer(&banswer, &boffer, 0, "m=audio 6000 RTP/AVP 0 101",
	    "a=rtpmap:101 telephone-event/8000\r\na=inactive\r\n");
	assert_int_equal(offer_parse_answer(x, buf_view(&banswer)), 0);
	assert_int_equal(offer_build_answer(x, &local_a, NULL, &aanswer), 0);
	assert_contains(&aanswer, "m=audio 30000 RTP/AVP 0 101\r\n");
	assert_contains(&aanswer, "a=inactive\r\n");
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

static void
test_round_trip_ipv6(void **state)
{
	const struct offer_local local6 = {{"2001:db8::1", 11}, 30002, 7, 9};
	struct offer_exchange *x;
	struct buf boffer, banswer, aanswer;

	(void)state;
	buf_init(&boffer, 0);
	buf_init(&aanswer, 0);
	assert_int_equal(parse_offer(&x, ipv6, &any), 0);
	assert_int_equal(offer_build_offer(x, &any, &local6, OFFER_SRTP_OFF,
	                     NULL, 0, &boffer),
	    0);
	assert_parses(&boffer);
	assert_contains(&boffer, "o=- 7 9 IN IP6 2001:db8::1\r\n"
	                         "s=-\r\n"
	                         "c=IN IP6 2001:db8::1\r\n");
	assert_lacks(&boffer, "5009");
	assert_lacks(&boffer, "db8::5");
	make_answer(&banswer, &boffer, 0, "m=audio 6000 RTP/AVP 9", "");
	assert_int_equal(offer_parse_answer(x, buf_view(&banswer)), 0);
	/* IPv6 toward A, IPv4 toward B: the relay does both. */
	assert_int_equal(offer_build_answer(x, &local_a, NULL, &aanswer), 0);
	assert_contains(&aanswer, "c=IN IP4 10.0.0.1\r\n");
	assert_int_equal(offer_endpoint(x, 1)->rtp.ss_family, AF_INET);
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

/* Answers that do not match what we offered. */
static void
test_bad_answers(void **state)
{
	static const struct {
		enum offer_srtp mode;
		const char *mline;
		const char *attrs;
	} bad[] = {
	    /* SRTP offered, plain answered, and the reverse. */
	    {OFFER_SRTP_REQUIRED, "m=audio 6000 RTP/AVP 0", ""},
	    {OFFER_SRTP_REQUIRED, "m=audio 6000 RTP/SAVP 0", ""},
	    {OFFER_SRTP_OFF, "m=audio 6000 RTP/SAVP 0",
	        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" B80 "\r\n"},
	    {OFFER_SRTP_OFF, "m=audio 6000 RTP/AVP 0",
	        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" B80 "\r\n"},
	    {OFFER_SRTP_OPTIONAL, "m=audio 6000 RTP/SAVP 0",
	        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" B80 "\r\n"},
	    /* A tag we did not offer, a suite not of that tag, a bad key. */
	    {OFFER_SRTP_REQUIRED, "m=audio 6000 RTP/SAVP 0",
	        "a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:" B80 "\r\n"},
	    {OFFER_SRTP_REQUIRED, "m=audio 6000 RTP/SAVP 0",
	        "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:" B32 "\r\n"},
	    {OFFER_SRTP_REQUIRED, "m=audio 6000 RTP/SAVP 0",
	        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" SHORT "\r\n"},
	    {OFFER_SRTP_OPTIONAL, "m=audio 6000 RTP/AVP 0",
	        "a=crypto:0 AES_CM_128_HMAC_SHA1_80 inline:" B80 "\r\n"},
	    /* Rejected, a codec we did not offer, only events. */
	    {OFFER_SRTP_OFF, "m=audio 0 RTP/AVP 0", ""},
	    {OFFER_SRTP_OFF, "m=audio 6000 RTP/AVP 18", ""},
	    {OFFER_SRTP_OFF, "m=audio 6000 RTP/AVP 101",
	        "a=rtpmap:101 telephone-event/8000\r\n"},
	    {OFFER_SRTP_OFF, "m=video 6000 RTP/AVP 0", ""},
	    {OFFER_SRTP_OFF, "m=audio 6000 RTP/AVP 0",
	        "c=IN IP4 peer.example.com\r\n"},
	};
	struct media_srtp_key keys[3];
	struct offer_exchange *x;
	struct buf boffer, banswer, aanswer;

	(void)state;
	our_keys(keys);
	buf_init(&boffer, 0);
	buf_init(&aanswer, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse_offer(&x, baresip, &any), 0);
		buf_reset(&boffer);
		assert_int_equal(offer_build_offer(x, &any, &local_b,
		                     bad[i].mode, keys, 3, &boffer),
		    0);
		make_answer(&banswer, &boffer, 0, bad[i].mline, bad[i].attrs);
		if (offer_parse_answer(x, buf_view(&banswer)) != -EPROTO)
			fail_msg("answer %zu not refused", i);
		assert_null(offer_endpoint(x, 1));
		assert_int_equal(
		    offer_build_answer(x, &local_a, &keys[0], &aanswer),
		    -EINVAL);
		buf_release(&banswer);
		offer_exchange_free(x);
	}
	/* Fewer m= lines than offered; malformed; no offer yet. */
	assert_int_equal(parse_offer(&x, video_audio, &any), 0);
	assert_int_equal(offer_parse_answer(x, SV("v=0\r\n")), -EINVAL);
	assert_int_equal(offer_build_offer(x, &any, &local_b, OFFER_SRTP_OFF,
	                     NULL, 0, &boffer),
	    0);
	assert_int_equal(offer_parse_answer(x, sv_cstr(sipp)), -EPROTO);
	assert_int_equal(offer_parse_answer(x, SV("v=0\r\n")), -EBADMSG);
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&aanswer);
}

/* Caller mistakes. */
static void
test_invalid_calls(void **state)
{
	const struct offer_local hostname = {{"relay.example", 13}, 1, 1, 1};
	struct media_srtp_key keys[3];
	struct offer_exchange *x;
	struct buf out;

	(void)state;
	our_keys(keys);
	buf_init(&out, 0);
	assert_int_equal(parse_offer(&x, baresip, &any), 0);
	assert_int_equal(offer_build_offer(
	                     x, &any, &hostname, OFFER_SRTP_OFF, NULL, 0, &out),
	    -EINVAL);
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     OFFER_SRTP_REQUIRED, NULL, 0, &out),
	    -EINVAL);
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     OFFER_SRTP_REQUIRED, keys, 4, &out),
	    -EINVAL);
	keys[1].suite = keys[0].suite;
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     OFFER_SRTP_REQUIRED, keys, 2, &out),
	    -EINVAL);
	keys[0].key_len = 29;
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     OFFER_SRTP_REQUIRED, keys, 1, &out),
	    -EINVAL);
	assert_int_equal(offer_build_offer(x, &any, &local_b,
	                     (enum offer_srtp)7, keys, 1, &out),
	    -EINVAL);
	assert_int_equal(out.len, 0);
	assert_int_equal(
	    offer_build_answer(x, &local_a, &keys[0], &out), -EINVAL);
	offer_exchange_free(x);
	buf_release(&out);
}

/* The output buffer's cap: nothing half written. */
static void
test_buffer_cap(void **state)
{
	struct offer_exchange *x;
	struct buf out;

	(void)state;
	buf_init(&out, 64);
	assert_int_equal(parse_offer(&x, sipp, &any), 0);
	assert_int_equal(
	    offer_build_offer(x, &any, &local_b, OFFER_SRTP_OFF, NULL, 0, &out),
	    -E2BIG);
	assert_int_equal(out.len, 0);
	offer_exchange_free(x);
	buf_release(&out);
}

static void
test_oom(void **state)
{
	struct media_srtp_key keys[3], ka;
	struct offer_exchange *x;
	struct buf boffer, banswer, aanswer;
	int err;

	(void)state;
	our_keys(keys);
	key_fill(&ka, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 0xa1);
	for (unsigned long n = 1;; n++) {
		x = NULL;
		mem_fail_nth(n);
		err = offer_parse_offer(&x, sv_cstr(baresip), &any);
		mem_fail_nth(0);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_null(x);
		assert_true(n < 8);
	}
	buf_init(&boffer, 0);
	for (unsigned long n = 1;; n++) {
		mem_fail_nth(n);
		err = offer_build_offer(
		    x, &any, &local_b, OFFER_SRTP_REQUIRED, keys, 3, &boffer);
		mem_fail_nth(0);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		buf_release(&boffer);
		buf_init(&boffer, 0);
		assert_true(n < 8);
	}
	make_answer(&banswer, &boffer, 0, "m=audio 6000 RTP/SAVP 0",
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" B80 "\r\n");
	for (unsigned long n = 1;; n++) {
		mem_fail_nth(n);
		err = offer_parse_answer(x, buf_view(&banswer));
		mem_fail_nth(0);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_true(n < 8);
	}
	buf_init(&aanswer, 0);
	for (unsigned long n = 1;; n++) {
		mem_fail_nth(n);
		err = offer_build_answer(x, &local_a, &ka, &aanswer);
		mem_fail_nth(0);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		buf_release(&aanswer);
		buf_init(&aanswer, 0);
		assert_true(n < 8);
	}
	assert_parses(&aanswer);
	offer_exchange_free(x);
	buf_release(&boffer);
	buf_release(&banswer);
	buf_release(&aanswer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_baresip),
	    cmocka_unit_test(test_sipp_plain),
	    cmocka_unit_test(test_linphone),
	    cmocka_unit_test(test_video_audio),
	    cmocka_unit_test(test_hold_offers),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_best_effort_srtp),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_policies),
	    cmocka_unit_test(test_round_trip_srtp),
	    cmocka_unit_test(test_round_trip_bridge),
	    cmocka_unit_test(test_round_trip_video),
	    cmocka_unit_test(test_round_trip_hold),
	    cmocka_unit_test(test_round_trip_ipv6),
	    cmocka_unit_test(test_bad_answers),
	    cmocka_unit_test(test_invalid_calls),
	    cmocka_unit_test(test_buffer_cap),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
