/* Unit tests for the SDP parser and builder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sip/sdp.h"

/* RFC 8866 §5, the example session description. */
static const char rfc8866_example[] =
    "v=0\r\n"
    "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1\r\n"
    "s=Call to John Smith\r\n"
    "i=SDP Offer #1\r\n"
    "u=http://www.jdoe.example.com/home.html\r\n"
    "e=Jane Doe <jane@jdoe.example.com>\r\n"
    "p=+1 617 555-6011\r\n"
    "c=IN IP4 198.51.100.1\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "m=audio 49180 RTP/AVP 0\r\n"
    "m=video 51372 RTP/AVP 99\r\n"
    "c=IN IP6 2001:db8::2\r\n"
    "a=rtpmap:99 h263-1998/90000\r\n";

/* RFC 4568 §8.1 and §9.2 offers, plus an RFC 7714 AEAD suite. */
static const char sdes_offer[] =
    "v=0\r\n"
    "o=sam 2890844526 2890842807 IN IP4 192.0.2.5\r\n"
    "s=SRTP Discussion\r\n"
    "i=A discussion about Secure RTP\r\n"
    "u=http://www.example.com/seminars/srtp.pdf\r\n"
    "e=marge@example.com (Marge Simpson)\r\n"
    "c=IN IP4 168.2.17.12\r\n"
    "t=2873397496 2873404696\r\n"
    "m=audio 49170 RTP/SAVP 0\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4 "
    "FEC_ORDER=FEC_SRTP\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_32 "
    "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32 "
    "KDR=1 UNENCRYPTED_SRTCP\r\n"
    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 "
    "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32;"
    "inline:ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB|1048576\r\n"
    "a=crypto:4 AEAD_AES_256_GCM "
    "inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis="
    "\r\n"
    "a=crypto:5 AES_CM_128_HMAC_SHA1_80 "
    "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n";

/* A browser-style offer: BUNDLE, ICE, DTLS-SRTP, rtcp-mux, data. */
static const char webrtc_offer[] =
    "v=0\r\n"
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "a=group:BUNDLE 0 1 2\r\n"
    "a=extmap-allow-mixed\r\n"
    "a=msid-semantic: WMS stream\r\n"
    "a=fingerprint:sha-256 "
    "7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:"
    "C2:43:F0:A1:58:D0:A1:2C:19:08\r\n"
    "a=setup:actpass\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0 8 126\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
    "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host "
    "generation 0\r\n"
    "a=candidate:1853887674 1 udp 1518280447 47.61.61.61 36768 typ srflx "
    "raddr 192.168.0.196 rport 36768 generation 0\r\n"
    "a=ice-ufrag:Oyef\r\n"
    "a=ice-pwd:3m7KqCuYd4n1W8X0dKJX/Gcq\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-1 "
    "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n"
    "a=setup:passive\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n"
    "a=msid:stream track0\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:63 red/48000/2\r\n"
    "a=fmtp:63 111/111\r\n"
    "a=rtpmap:126 telephone-event/8000\r\n"
    "a=ptime:20\r\n"
    "a=maxptime:120\r\n"
    "a=ssrc:1001 cname:4TOk42mSjXCkVIa6\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:Oyef\r\n"
    "a=ice-pwd:3m7KqCuYd4n1W8X0dKJX/Gcq\r\n"
    "a=mid:1\r\n"
    "a=recvonly\r\n"
    "a=rtcp-mux\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\n"
    "a=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "a=mid:2\r\n"
    "a=sctp-port:5000\r\n";

/* A desk phone's offer with a rejected video stream, LF line ends, and a
 * last line without terminator. */
static const char phone_offer_lf[] =
    "v=0\n"
    "o=user1 53655765 2353687637 IN IP4 pc33.atlanta.example.com\n"
    "s= \n"
    "c=IN IP4 192.0.2.101\n"
    "b=CT:384\n"
    "t=0 0\n"
    "a=sendonly\n"
    "m=audio 49170/2 RTP/AVP 0 8 9 101\n"
    "b=AS:64\n"
    "b=TIAS:64000\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-15\n"
    "a=ptime:20\n"
    "m=video 51372 RTP/AVP 31 34\n"
    "a=rtpmap:31 H261/90000\n"
    "a=inactive\n"
    "m=video 0 RTP/AVP 96\n"
    "a=rtpmap:96 H264/90000";

static int
parse(const char *text, struct sdp_session *s)
{
	return sdp_parse(sv_cstr(text), s);
}

/* Parses a text assembled in a buffer. */
static int
parse_buf(const struct buf *b, struct sdp_session *s)
{
	return sdp_parse(buf_view(b), s);
}

/* A session for the builder tests, parsed from a static text. */
static void
base_session(struct sdp_session *s)
{
	assert_int_equal(parse(phone_offer_lf, s), 0);
}

/* parse -> build -> parse gives equal fields, and building again gives
 * the same bytes. */
static void
check_round_trip(const char *text)
{
	struct sdp_session a, b;
	struct buf out, again;

	assert_int_equal(parse(text, &a), 0);
	buf_init(&out, 0);
	buf_init(&again, 0);
	assert_int_equal(sdp_build(&a, &out), 0);
	assert_int_equal(parse_buf(&out, &b), 0);
	assert_true(sdp_session_equal(&a, &b));
	assert_int_equal(sdp_build(&b, &again), 0);
	assert_int_equal(out.len, again.len);
	assert_memory_equal(out.data, again.data, out.len);
	buf_release(&out);
	buf_release(&again);
}

static void
test_rfc8866_example(void **state)
{
	struct sdp_session s;
	struct sdp_rtpmap r;
	const struct sdp_media *m;

	(void)state;
	/* R-CALL-1 */
	assert_int_equal(parse(rfc8866_example, &s), 0);
	assert_true(sv_eq(s.origin.username, SV("jdoe")));
	assert_true(sv_eq(s.origin.sess_id, SV("3724394400")));
	assert_true(sv_eq(s.origin.sess_version, SV("3724394405")));
	assert_true(sv_eq(s.origin.nettype, SV("IN")));
	assert_true(sv_eq(s.origin.addrtype, SV("IP4")));
	assert_true(sv_eq(s.origin.address, SV("198.51.100.1")));
	assert_true(sv_eq(s.name, SV("Call to John Smith")));
	assert_true(sv_eq(s.info, SV("SDP Offer #1")));
	assert_true(sv_eq(s.uri, SV("http://www.jdoe.example.com/home.html")));
	assert_int_equal(s.email_count, 1);
	assert_true(sv_eq(s.emails[0], SV("Jane Doe <jane@jdoe.example.com>")));
	assert_int_equal(s.phone_count, 1);
	assert_true(sv_eq(s.phones[0], SV("+1 617 555-6011")));
	assert_true(s.has_conn);
	assert_true(sv_eq(s.conn.address, SV("198.51.100.1")));
	assert_int_equal(s.conn.suffix.len, 0);
	assert_int_equal(s.time_count, 1);
	assert_int_equal(s.times[0].start, 0);
	assert_int_equal(s.times[0].stop, 0);
	assert_int_equal(s.media_count, 3);

	m = &s.media[0];
	assert_int_equal(sdp_media_kind(m), SDP_MEDIA_AUDIO);
	assert_int_equal(sdp_media_proto(m), SDP_PROTO_RTP_AVP);
	assert_int_equal(m->port, 49170);
	assert_int_equal(m->port_count, 0);
	assert_int_equal(m->format_count, 1);
	assert_true(sv_eq(m->formats[0], SV("0")));
	assert_false(m->has_conn);
	assert_int_equal(sdp_media_rtpmap(m, 0, &r), 0);
	assert_int_equal(sdp_rtpmap_static(0, &r), 1);
	assert_true(sv_eq(r.encoding, SV("PCMU")));
	assert_int_equal(r.clock_rate, 8000);
	assert_int_equal(s.media[1].port, 49180);

	m = &s.media[2];
	assert_int_equal(sdp_media_kind(m), SDP_MEDIA_VIDEO);
	assert_true(m->has_conn);
	assert_true(sv_eq(m->conn.addrtype, SV("IP6")));
	assert_true(sv_eq(m->conn.address, SV("2001:db8::2")));
	assert_int_equal(sdp_media_rtpmap(m, 99, &r), 1);
	assert_int_equal(r.pt, 99);
	assert_true(sv_eq(r.encoding, SV("h263-1998")));
	assert_int_equal(r.clock_rate, 90000);
	assert_int_equal(r.channels, 0);
	assert_int_equal(sdp_media_direction(&s, m), SDP_DIR_SENDRECV);
}

static void
test_rfc4568_crypto(void **state)
{
	struct sdp_session s;
	struct sdp_crypto c;
	const struct sdp_media *m;

	(void)state;
	/* R-CRYPTO-2 */
	assert_int_equal(parse(sdes_offer, &s), 0);
	m = &s.media[0];
	assert_int_equal(sdp_media_proto(m), SDP_PROTO_RTP_SAVP);

	assert_int_equal(sdp_media_crypto(m, 0, &c), 1);
	assert_int_equal(c.tag, 1);
	assert_true(sv_eq(c.suite, SV("AES_CM_128_HMAC_SHA1_80")));
	assert_int_equal(c.key_count, 1);
	assert_true(sv_eq(c.keys[0].key_salt,
	    SV("WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz")));
	assert_true(sv_eq(c.keys[0].lifetime, SV("2^20")));
	assert_int_equal(c.keys[0].mki, 1);
	assert_int_equal(c.keys[0].mki_len, 4);
	assert_true(sv_eq(c.session_params, SV("FEC_ORDER=FEC_SRTP")));

	assert_int_equal(sdp_media_crypto(m, 1, &c), 1);
	assert_int_equal(c.tag, 2);
	assert_true(sv_eq(c.suite, SV("AES_CM_128_HMAC_SHA1_32")));
	assert_true(sv_eq(c.keys[0].lifetime, SV("2^20")));
	assert_int_equal(c.keys[0].mki, 1);
	assert_int_equal(c.keys[0].mki_len, 32);
	assert_true(sv_eq(c.session_params, SV("KDR=1 UNENCRYPTED_SRTCP")));

	/* Two key-params separated by ';' (RFC 4568 §9.2). */
	assert_int_equal(sdp_media_crypto(m, 2, &c), 1);
	assert_int_equal(c.key_count, 2);
	assert_true(sv_eq(c.keys[1].key_salt,
	    SV("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB")));
	assert_true(sv_eq(c.keys[1].lifetime, SV("1048576")));
	assert_int_equal(c.keys[1].mki_len, 0);
	assert_int_equal(c.session_params.len, 0);

	assert_int_equal(sdp_media_crypto(m, 3, &c), 1);
	assert_true(sv_eq(c.suite, SV("AEAD_AES_256_GCM")));
	assert_int_equal(c.keys[0].key_salt.len, 60);
	assert_int_equal(c.keys[0].lifetime.len, 0);
	assert_int_equal(c.keys[0].mki_len, 0);

	assert_int_equal(sdp_media_crypto(m, 4, &c), 1);
	assert_int_equal(c.tag, 5);
	assert_true(sv_eq(c.key_params,
	    SV("inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")));
	assert_int_equal(sdp_media_crypto(m, 5, &c), 0);
	check_round_trip(sdes_offer);
}

static void
test_crypto_values(void **state)
{
	struct sdp_crypto c;
	static const char *const bad[] = {
	    "",
	    "1",
	    "1 AES_CM_128_HMAC_SHA1_80",
	    "x AES_CM_128_HMAC_SHA1_80 inline:YWJj",
	    "1234567890 AES_CM_128_HMAC_SHA1_80 inline:YWJj",
	    "1 AES-CM inline:YWJj",
	    "1 AES_CM_128_HMAC_SHA1_80 uri:YWJj",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YW*j",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj===",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|2^",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|2^65",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|x",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:0",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:129",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:0004",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|:4",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|1:4|2^20",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj|2^20|1:4|x",
	    "1 AES_CM_128_HMAC_SHA1_80 inline:YWJj;",
	};

	(void)state;
	/* R-CRYPTO-2 */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    sdp_crypto_parse(sv_cstr(bad[i]), &c), -EBADMSG);
	assert_int_equal(
	    sdp_crypto_parse(SV("999999999 X inline:YWJj"), &c), 0);
	assert_int_equal(c.tag, 999999999);
	assert_int_equal(
	    sdp_crypto_parse(
	        SV("0 X inline:YWJj==|2^48|18446744073709551615:128"), &c),
	    0);
	assert_int_equal(c.keys[0].mki, UINT64_MAX);
	assert_int_equal(c.keys[0].mki_len, 128);
	assert_int_equal(sdp_crypto_parse(SV("1 X inline:YQ|2^20|1:4;inline:YQ;"
	                                     "inline:YQ;inline:YQ"),
	                     &c),
	    0);
	assert_int_equal(c.key_count, 4);
	assert_int_equal(sdp_crypto_parse(SV("1 X inline:YQ;inline:YQ;"
	                                     "inline:YQ;inline:YQ;inline:YQ"),
	                     &c),
	    -E2BIG);
}

static void
test_webrtc_offer(void **state)
{
	struct sdp_session s;
	struct sdp_fingerprint fp;
	struct sdp_rtpmap r;
	struct sdp_fmtp f;
	struct sdp_rtcp rtcp;
	enum sdp_setup setup;
	struct sv mid;
	uint32_t ms;
	int i;
	const struct sdp_media *audio, *video, *data;

	(void)state;
	/* R-CALL-1 R-CRYPTO-2 */
	assert_int_equal(parse(webrtc_offer, &s), 0);
	assert_int_equal(s.media_count, 3);
	audio = &s.media[0];
	video = &s.media[1];
	data = &s.media[2];
	assert_int_equal(sdp_media_proto(audio), SDP_PROTO_UDP_TLS_RTP_SAVPF);
	assert_true(sdp_proto_is_rtp(audio->proto));
	assert_false(sdp_proto_is_rtp(data->proto));
	assert_int_equal(sdp_media_proto(data), SDP_PROTO_OTHER);
	assert_int_equal(sdp_media_kind(data), SDP_MEDIA_APPLICATION);
	assert_true(sv_eq(data->formats[0], SV("webrtc-datachannel")));

	/* ICE and unknown attributes stay verbatim, in order. */
	i = sdp_attrs_find(&audio->attrs, SV("candidate"), 0);
	assert_int_equal(i, 1);
	assert_true(sv_eq(audio->attrs.list[i].value,
	    SV("1467250027 1 udp 2122260223 192.168.0.196 46243 typ host "
	       "generation 0")));
	assert_int_equal(sdp_attrs_find(&audio->attrs, SV("candidate"), 2), 2);
	i = sdp_attrs_find(&audio->attrs, SV("ice-pwd"), 0);
	assert_true(
	    sv_eq(audio->attrs.list[i].value, SV("3m7KqCuYd4n1W8X0dKJX/Gcq")));
	i = sdp_attrs_find(&s.attrs, SV("msid-semantic"), 0);
	assert_true(sv_eq(s.attrs.list[i].value, SV(" WMS stream")));
	i = sdp_attrs_find(&s.attrs, SV("extmap-allow-mixed"), 0);
	assert_false(s.attrs.list[i].has_value);

	assert_true(sdp_media_rtcp_mux(audio));
	assert_false(sdp_media_rtcp_mux(data));
	assert_int_equal(sdp_media_rtcp(audio, &rtcp), 1);
	assert_int_equal(rtcp.port, 9);
	assert_true(sv_eq(rtcp.address, SV("0.0.0.0")));
	assert_int_equal(sdp_media_rtcp(video, &rtcp), 0);

	/* Media-level fingerprint and setup win over the session's. */
	assert_int_equal(sdp_media_fingerprint(&s, audio, 0, &fp), 1);
	assert_true(sv_eq(fp.hash, SV("sha-1")));
	assert_int_equal(fp.value.len, 59);
	assert_int_equal(sdp_media_fingerprint(&s, audio, 1, &fp), 0);
	assert_int_equal(sdp_media_fingerprint(&s, video, 0, &fp), 1);
	assert_true(sv_eq(fp.hash, SV("sha-256")));
	assert_int_equal(fp.value.len, 95);
	assert_int_equal(sdp_media_setup(&s, audio, &setup), 1);
	assert_int_equal(setup, SDP_SETUP_PASSIVE);
	assert_int_equal(sdp_media_setup(&s, video, &setup), 1);
	assert_int_equal(setup, SDP_SETUP_ACTPASS);

	assert_int_equal(sdp_media_mid(audio, &mid), 1);
	assert_true(sv_eq(mid, SV("0")));
	assert_int_equal(sdp_media_mid(data, &mid), 1);
	assert_true(sv_eq(mid, SV("2")));

	assert_int_equal(sdp_media_rtpmap(audio, 111, &r), 1);
	assert_true(sv_eq(r.encoding, SV("opus")));
	assert_int_equal(r.clock_rate, 48000);
	assert_int_equal(r.channels, 2);
	assert_int_equal(sdp_media_rtpmap(audio, 0, &r), 0);
	assert_int_equal(sdp_media_fmtp(audio, 111, &f), 1);
	assert_true(sv_eq(f.params, SV("minptime=10;useinbandfec=1")));
	assert_true(f.has_pt);
	assert_int_equal(sdp_media_fmtp(audio, 126, &f), 0);
	assert_int_equal(sdp_media_fmtp(video, 97, &f), 1);
	assert_true(sv_eq(f.params, SV("apt=96")));
	assert_int_equal(sdp_media_ptime(audio, &ms), 1);
	assert_int_equal(ms, 20);
	assert_int_equal(sdp_media_maxptime(audio, &ms), 1);
	assert_int_equal(ms, 120);
	assert_int_equal(sdp_media_ptime(video, &ms), 0);
	assert_int_equal(sdp_media_maxptime(video, &ms), 0);
	assert_int_equal(
	    sdp_media_crypto(audio, 0, &(struct sdp_crypto){0}), 0);

	assert_int_equal(sdp_media_direction(&s, audio), SDP_DIR_SENDRECV);
	assert_int_equal(sdp_media_direction(&s, video), SDP_DIR_RECVONLY);
	check_round_trip(webrtc_offer);
}

static void
test_lf_and_streams(void **state)
{
	struct sdp_session s;
	struct sdp_fmtp f;
	const struct sdp_media *m;

	(void)state;
	/* R-CALL-1 */
	assert_int_equal(parse(phone_offer_lf, &s), 0);
	assert_true(sv_eq(s.name, SV(" ")));
	assert_true(sv_eq(s.origin.address, SV("pc33.atlanta.example.com")));
	assert_int_equal(s.bw_count, 1);
	assert_true(sv_eq(s.bw[0].type, SV("CT")));
	assert_int_equal(s.bw[0].value, 384);
	assert_int_equal(s.media_count, 3);

	m = &s.media[0];
	assert_int_equal(m->port, 49170);
	assert_int_equal(m->port_count, 2);
	assert_int_equal(m->format_count, 4);
	assert_true(sv_eq(m->formats[3], SV("101")));
	assert_int_equal(m->bw_count, 2);
	assert_true(sv_eq(m->bw[1].type, SV("TIAS")));
	assert_int_equal(m->bw[1].value, 64000);
	assert_int_equal(sdp_media_fmtp(m, 101, &f), 1);
	assert_true(sv_eq(f.format, SV("101")));
	assert_true(sv_eq(f.params, SV("0-15")));

	/* The rejected stream is kept, with its port 0. */
	m = &s.media[2];
	assert_int_equal(m->port, 0);
	assert_true(sv_eq(m->formats[0], SV("96")));
	assert_true(sv_eq(m->attrs.list[0].value, SV("96 H264/90000")));

	/* CRLF and LF bodies give equal sessions. */
	check_round_trip(phone_offer_lf);
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 192.0.2.1\ns=-\r\n"
	                       "c=IN IP4 192.0.2.1\nt=0 0\r\n\r\n\n",
	                     &s),
	    0);
}

static void
test_direction_inheritance(void **state)
{
	struct sdp_session s;

	(void)state;
	/* R-CALL-1: hold (RFC 3264 §8.4) by session-level sendonly. */
	assert_int_equal(parse(phone_offer_lf, &s), 0);
	assert_int_equal(
	    sdp_media_direction(&s, &s.media[0]), SDP_DIR_SENDONLY);
	assert_int_equal(
	    sdp_media_direction(&s, &s.media[1]), SDP_DIR_INACTIVE);
	assert_int_equal(
	    sdp_media_direction(&s, &s.media[2]), SDP_DIR_SENDONLY);
	assert_int_equal(
	    sdp_media_set_direction(&s.media[1], SDP_DIR_RECVONLY), 0);
	assert_int_equal(
	    sdp_media_direction(&s, &s.media[1]), SDP_DIR_RECVONLY);
	assert_int_equal(
	    sdp_attrs_find(&s.media[1].attrs, SV("inactive"), 0), -ENOENT);
	assert_int_equal(sdp_attrs_remove(&s.attrs, SV("sendonly")), 1);
	assert_int_equal(
	    sdp_media_direction(&s, &s.media[0]), SDP_DIR_SENDRECV);
	assert_true(
	    sv_eq(sdp_direction_name(SDP_DIR_INACTIVE), SV("inactive")));
	assert_true(
	    sv_eq(sdp_direction_name((enum sdp_direction)9), SV("sendrecv")));
}

/* Valid heads for the error cases, with and without c=. */
#define HEAD_NOC "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
#define HEAD HEAD_NOC "c=IN IP4 192.0.2.1\r\n"

static void
test_errors(void **state)
{
	struct sdp_session s;
	struct buf b;
	static const char *const bad[] = {
	    "",
	    "\r\n",
	    "o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1 x\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP7 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 ATM IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.256\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP6 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 ::1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 a..b\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1/3\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=\t 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n",
	    "v =0\r\n",
	    "v= 0\r\n",
	    "V=0\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=a\rb\r\nt=0 0\r\n",
	    HEAD "x=unknown\r\n",
	    HEAD "v=0\r\n",
	    HEAD "s=again\r\n",
	    HEAD "i=a\r\ni=b\r\n",
	    HEAD "u=a\r\nu=b\r\n",
	    HEAD "z=a\r\n",
	    HEAD "z=0 -1h\r\nz=0 -1h\r\n",
	    HEAD "k=prompt\r\nk=prompt\r\n",
	    HEAD "c=IN IP4 192.0.2.2\r\n",
	    HEAD "b=AS\r\n",
	    HEAD "b=AS:x\r\n",
	    HEAD "b=AS:4294967296\r\n",
	    HEAD "b=A S:1\r\n",
	    HEAD "t=0\r\n",
	    HEAD "t=0 x\r\n",
	    HEAD "r=7d 1h 0 x\r\n",
	    "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nr=1 1 1\r\n",
	    HEAD "a=\r\n",
	    HEAD "a=:x\r\n",
	    HEAD "a=x:\r\n",
	    HEAD "a=x y\r\n",
	    HEAD "a= x\r\n",
	    HEAD "m=audio 1 RTP/AVP 0\r\nt=0 0\r\n",
	    HEAD "m=audio 1 RTP/AVP 0\r\ne=x@example.com\r\n",
	    HEAD "m=audio 1 RTP/AVP 0\r\ni=a\r\ni=b\r\n",
	    HEAD "m=audio 1 RTP/AVP 0\r\nk=a\r\nk=b\r\n",
	    HEAD "m=audio 1 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
	         "c=IN IP4 192.0.2.1\r\n",
	    HEAD "m=audio\r\n",
	    HEAD "m=audio 1 RTP/AVP\r\n",
	    HEAD "m=audio 65536 RTP/AVP 0\r\n",
	    HEAD "m=audio -1 RTP/AVP 0\r\n",
	    HEAD "m=audio x RTP/AVP 0\r\n",
	    HEAD "m=audio 1/0 RTP/AVP 0\r\n",
	    HEAD "m=audio 1/ RTP/AVP 0\r\n",
	    HEAD "m=audio 1/65536 RTP/AVP 0\r\n",
	    HEAD "m=audio 1 RTP/AVP 128\r\n",
	    HEAD "m=audio 1 RTP/AVP x\r\n",
	    HEAD "m=audio 1 RTP//AVP 0\r\n",
	    HEAD "m=aud:io 1 RTP/AVP 0\r\n",
	    HEAD "m=image 1 udptl t38/x\r\n",
	    HEAD "a=rtpmap:0\r\n",
	    HEAD "a=rtpmap:0 PCMU\r\n",
	    HEAD "a=rtpmap:0 PCMU/\r\n",
	    HEAD "a=rtpmap:0 PCMU/0\r\n",
	    HEAD "a=rtpmap:0 PCMU/8000/0\r\n",
	    HEAD "a=rtpmap:0 PCMU/8000/256\r\n",
	    HEAD "a=rtpmap:0 PCMU/8000/1/1\r\n",
	    HEAD "a=rtpmap:128 PCMU/8000\r\n",
	    HEAD "a=rtpmap:x PCMU/8000\r\n",
	    HEAD "a=rtpmap:0 PCMU/8000 x\r\n",
	    HEAD "a=rtpmap:0 PC(MU/8000\r\n",
	    HEAD "a=rtpmap\r\n",
	    HEAD "a=rtpmap:0 PCMU/8000\r\na=rtpmap:00 PCMA/8000\r\n",
	    HEAD "a=fmtp:101\r\n",
	    HEAD "a=fmtp:101 0-15\r\na=fmtp:0101 0-16\r\n",
	    HEAD "a=sendonly\r\na=recvonly\r\n",
	    HEAD "a=sendrecv\r\na=sendrecv\r\n",
	    HEAD "m=audio 1 RTP/AVP 0\r\na=inactive\r\na=sendonly\r\n",
	    HEAD "a=sendrecv:x\r\n",
	    HEAD "a=rtcp-mux:1\r\n",
	    HEAD "a=ptime:0\r\n",
	    HEAD "a=ptime:0.0\r\n",
	    HEAD "a=ptime:20.\r\n",
	    HEAD "a=ptime:x\r\n",
	    HEAD "a=ptime:60001\r\n",
	    HEAD "a=ptime:60000.5\r\n",
	    HEAD "a=ptime:20\r\na=ptime:30\r\n",
	    HEAD "a=maxptime\r\n",
	    HEAD "a=rtcp:65536\r\n",
	    HEAD "a=rtcp:53020 IN IP4\r\n",
	    HEAD "a=rtcp:53020 IN IP4 999.1.1.1\r\n",
	    HEAD "a=rtcp:1\r\na=rtcp:2\r\n",
	    HEAD "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:YWJj\r\n"
	         "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:YWJj\r\n",
	    HEAD "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:YW$j\r\n",
	    HEAD "a=fingerprint:sha-256\r\n",
	    HEAD "a=fingerprint:sha-256 4A:A\r\n",
	    HEAD "a=fingerprint:sha-256 4A-AD\r\n",
	    HEAD "a=fingerprint:sha-256 4A:AG\r\n",
	    HEAD "a=fingerprint:sha-256 4A:AD x\r\n",
	    HEAD "a=setup:maybe\r\n",
	    HEAD "a=setup:active\r\na=setup:passive\r\n",
	    HEAD "a=mid\r\n",
	    HEAD "a=mid:a/b\r\n",
	    HEAD "a=mid:0\r\na=mid:1\r\n",
	    HEAD "\r\na=x\r\n",
	    HEAD_NOC "m=audio 1 RTP/AVP 0\r\n",
	    HEAD_NOC "c=IN IP4 192.0.2.1/\r\n",
	    HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP4 233.252.0.1/127/3/1\r\n",
	    HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP4 233.252.0.1/x\r\n",
	    HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP4\r\n",
	    HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP6 2001:db8::1::2\r\n",
	    HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP4 exa_mple.com\r\n",
	};

	(void)state;
	/* R-CALL-1: each malformed form gets -EBADMSG. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse(bad[i], &s);

		if (err != -EBADMSG)
			fail_msg("case %zu: %d for \"%s\"", i, err, bad[i]);
	}
	/* Addresses too long for their kind. */
	buf_init(&b, 0);
	buf_append_cstr(&b, HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP6 ");
	for (unsigned i = 0; i < 12; i++)
		buf_append_cstr(&b, "0:0:");
	buf_append_cstr(&b, "0\r\n");
	assert_int_equal(parse_buf(&b, &s), -EBADMSG);
	buf_reset(&b);
	buf_append_cstr(&b, HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP4 ");
	for (unsigned i = 0; i < 64; i++)
		buf_append_cstr(&b, "a");
	buf_append_cstr(&b, ".example\r\n");
	assert_int_equal(parse_buf(&b, &s), -EBADMSG);
	buf_reset(&b);
	buf_append_cstr(&b, HEAD_NOC "m=audio 1 RTP/AVP 0\r\nc=IN IP4 ");
	for (unsigned i = 0; i < 64; i++)
		buf_append_cstr(&b, "abc.");
	buf_append_cstr(&b, "example\r\n");
	assert_int_equal(parse_buf(&b, &s), -EBADMSG);
	buf_release(&b);
	/* A NUL inside the body. */
	assert_int_equal(
	    sdp_parse(
	        sv_make(HEAD "a=x\0y\r\n", sizeof(HEAD "a=x\0y\r\n") - 1), &s),
	    -EBADMSG);
	assert_int_equal(sdp_parse(SV_NULL, &s), -EBADMSG);
}

static void
test_accepted_forms(void **state)
{
	struct sdp_session s;
	struct sdp_rtcp rtcp;
	uint32_t ms;

	(void)state;
	/* R-CALL-1: forms the parser must take. */
	assert_int_equal(parse(HEAD "m=audio 5004 RTP/AVP 0 8   \r\n"
	                            "a=ptime:20.5\r\n"
	                            "a=maxptime:0.25\r\n"
	                            "a=rtcp:53020 IN IP6 2001:db8::1\r\n"
	                            "a=rtpmap:0 PCMU/8000 \t\r\n"
	                            "a=X-custom:anything: goes  here\r\n"
	                            "a=fmtp:t38 x\r\n",
	                     &s),
	    0);
	assert_int_equal(s.media[0].format_count, 2);
	assert_int_equal(sdp_media_ptime(&s.media[0], &ms), 1);
	assert_int_equal(ms, 21);
	assert_int_equal(sdp_media_maxptime(&s.media[0], &ms), 1);
	assert_int_equal(ms, 1);
	assert_int_equal(sdp_media_rtcp(&s.media[0], &rtcp), 1);
	assert_int_equal(rtcp.port, 53020);
	assert_true(sv_eq(rtcp.addrtype, SV("IP6")));
	assert_true(sv_eq(s.media[0].attrs.list[3].value, SV("0 PCMU/8000")));
	assert_true(
	    sv_eq(s.media[0].attrs.list[4].value, SV("anything: goes  here")));

	/* Multicast suffixes, domain names, repeat and zone lines. */
	assert_int_equal(parse("v=0\r\no=- 1 1 IN IP4 host.example.com\r\n"
	                       "s=Seminar\r\n"
	                       "c=IN IP4 233.252.0.1/127/3\r\n"
	                       "t=3034423619 3042462419\r\n"
	                       "r=7d 1h 0 25h\r\n"
	                       "r=604800 3600 0 90000\r\n"
	                       "t=0 0\r\n"
	                       "z=2882844526 -1h 2898848070 0\r\n"
	                       "k=prompt\r\n"
	                       "m=image 1 udptl t38\r\n"
	                       "c=IN IP6 ff15::101/3\r\n"
	                       "m=text 2 RTP/AVP 98\r\n"
	                       "c=IN IP6 media.example.net\r\n"
	                       "k=clear:secret\r\n",
	                     &s),
	    0);
	assert_true(sv_eq(s.conn.address, SV("233.252.0.1")));
	assert_true(sv_eq(s.conn.suffix, SV("127/3")));
	assert_int_equal(s.time_count, 2);
	assert_int_equal(s.times[0].start, 3034423619u);
	assert_int_equal(s.times[0].repeat_count, 2);
	assert_true(sv_eq(s.times[0].repeats[1], SV("604800 3600 0 90000")));
	assert_true(sv_eq(s.zone, SV("2882844526 -1h 2898848070 0")));
	assert_int_equal(sdp_media_kind(&s.media[0]), SDP_MEDIA_IMAGE);
	assert_int_equal(sdp_media_proto(&s.media[0]), SDP_PROTO_UDPTL);
	assert_true(sv_eq(s.media[0].conn.suffix, SV("3")));
	assert_int_equal(sdp_media_kind(&s.media[1]), SDP_MEDIA_TEXT);
	assert_true(sv_eq(s.media[1].key, SV("clear:secret")));
	assert_int_equal(sdp_media_kind(&s.media[2]), SDP_MEDIA_OTHER);
	assert_int_equal(sdp_media_proto(&s.media[2]), SDP_PROTO_OTHER);
	assert_false(sdp_proto_is_rtp(s.media[2].proto));
}

/* Appends 'n' copies of 'line' after HEAD. */
static void
repeat_lines(struct buf *b, const char *head, const char *line, unsigned n)
{
	buf_reset(b);
	buf_append_cstr(b, head);
	for (unsigned i = 0; i < n; i++)
		buf_append_cstr(b, line);
	assert_int_equal(buf_error(b), 0);
}

/* 'line' repeated up to the limit parses; once more gives -E2BIG. */
static void
check_limit(const char *head, const char *line, unsigned max)
{
	struct sdp_session s;
	struct buf b;

	buf_init(&b, 0);
	repeat_lines(&b, head, line, max);
	assert_int_equal(parse_buf(&b, &s), 0);
	repeat_lines(&b, head, line, max + 1);
	assert_int_equal(parse_buf(&b, &s), -E2BIG);
	buf_release(&b);
}

static void
test_limits(void **state)
{
	struct sdp_session s;
	struct buf b;

	(void)state;
	/* R-CALL-1: every limit gives -E2BIG. */
	check_limit(HEAD, "m=audio 1 RTP/AVP 0\r\n", SDP_MEDIA_MAX);
	check_limit(HEAD, "a=x\r\n", SDP_ATTRS_MAX);
	check_limit(HEAD "m=audio 1 RTP/AVP 0\r\n", "a=x\r\n", SDP_ATTRS_MAX);
	check_limit(HEAD, "b=AS:1\r\n", SDP_BANDWIDTHS_MAX);
	check_limit(
	    HEAD "m=audio 1 RTP/AVP 0\r\n", "b=AS:1\r\n", SDP_BANDWIDTHS_MAX);
	check_limit(HEAD, "e=a@example.com\r\n", SDP_CONTACTS_MAX);
	check_limit(HEAD, "p=+1 555 0100\r\n", SDP_CONTACTS_MAX);
	check_limit("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
	            "c=IN IP4 192.0.2.1\r\n",
	    "t=0 0\r\n", SDP_TIMES_MAX);
	check_limit(HEAD, "r=1d 1h 0\r\n", SDP_REPEATS_MAX);

	buf_init(&b, 0);
	/* Formats on one m= line. */
	buf_append_cstr(&b, HEAD "m=audio 1 RTP/AVP");
	for (unsigned i = 0; i < SDP_FORMATS_MAX; i++)
		buf_printf(&b, " %u", i);
	assert_int_equal(parse_buf(&b, &s), 0);
	assert_int_equal(s.media[0].format_count, SDP_FORMATS_MAX);
	buf_append_cstr(&b, " 99");
	assert_int_equal(parse_buf(&b, &s), -E2BIG);

	/* One line: SDP_LINE_MAX bytes, "a=" included. */
	buf_reset(&b);
	buf_append_cstr(&b, HEAD "a=");
	for (unsigned i = 2; i < SDP_LINE_MAX; i++)
		buf_append_char(&b, 'x');
	assert_int_equal(parse_buf(&b, &s), 0);
	buf_append_char(&b, 'x');
	assert_int_equal(parse_buf(&b, &s), -E2BIG);

	/* Lines in the body (blank ones at the end count too). */
	repeat_lines(&b, HEAD, "\r\n", SDP_LINES_MAX - 5);
	assert_int_equal(parse_buf(&b, &s), 0);
	buf_append_cstr(&b, "\n");
	assert_int_equal(parse_buf(&b, &s), -E2BIG);

	/* The whole body. */
	buf_reset(&b);
	buf_append_cstr(&b, HEAD);
	while (b.len < SDP_BODY_MAX) {
		size_t room = SDP_BODY_MAX - b.len;
		size_t n = room > 1000 ? 994 : room - 4;

		buf_append_cstr(&b, "a=");
		for (size_t i = 0; i < n; i++)
			buf_append_char(&b, 'x');
		buf_append_cstr(&b, "\r\n");
	}
	assert_int_equal(b.len, SDP_BODY_MAX);
	assert_int_equal(parse_buf(&b, &s), 0);
	buf_append_char(&b, '\n');
	assert_int_equal(parse_buf(&b, &s), -E2BIG);
	/* Crypto key-params. */
	buf_reset(&b);
	buf_append_cstr(&b, HEAD "a=crypto:1 X inline:YQ");
	for (unsigned i = 1; i < SDP_CRYPTO_KEYS_MAX; i++)
		buf_append_cstr(&b, ";inline:YQ");
	assert_int_equal(parse_buf(&b, &s), 0);
	buf_append_cstr(&b, ";inline:YQ");
	assert_int_equal(parse_buf(&b, &s), -E2BIG);
	buf_release(&b);
}

static void
test_round_trips(void **state)
{
	struct sdp_session s;
	struct buf out;
	static const char expect[] =
	    "v=0\r\n"
	    "o=user1 53655765 2353687637 IN IP4 pc33.atlanta.example.com\r\n"
	    "s= \r\n"
	    "c=IN IP4 192.0.2.101\r\n"
	    "b=CT:384\r\n"
	    "t=0 0\r\n"
	    "a=sendonly\r\n"
	    "m=audio 49170/2 RTP/AVP 0 8 9 101\r\n"
	    "b=AS:64\r\n"
	    "b=TIAS:64000\r\n"
	    "a=rtpmap:101 telephone-event/8000\r\n"
	    "a=fmtp:101 0-15\r\n"
	    "a=ptime:20\r\n"
	    "m=video 51372 RTP/AVP 31 34\r\n"
	    "a=rtpmap:31 H261/90000\r\n"
	    "a=inactive\r\n"
	    "m=video 0 RTP/AVP 96\r\n"
	    "a=rtpmap:96 H264/90000\r\n";

	(void)state;
	/* R-CALL-1 */
	check_round_trip(rfc8866_example);
	check_round_trip(sdes_offer);
	check_round_trip(webrtc_offer);
	check_round_trip(phone_offer_lf);
	check_round_trip(HEAD "m=audio 01 RTP/AVP 008   0\r\nb=AS:0064\r\n"
	                      "i=trailing  \r\na=a:b  \r\n");
	check_round_trip("v=0\r\no=- 1 1 IN IP4 host.example.com\r\n"
	                 "s=Seminar\r\nc=IN IP4 233.252.0.1/127/3\r\n"
	                 "t=3034423619 3042462419\r\nr=7d 1h 0 25h\r\n"
	                 "t=0 0\r\nz=2882844526 -1h 2898848070 0\r\n"
	                 "k=prompt\r\nm=image 1 udptl t38\r\n"
	                 "c=IN IP6 ff15::101/3\r\n");

	/* Canonical output: CRLF everywhere, nothing else changed. */
	assert_int_equal(parse(phone_offer_lf, &s), 0);
	buf_init(&out, 0);
	buf_append_cstr(&out, "prefix");
	assert_int_equal(sdp_build(&s, &out), 0);
	assert_int_equal(out.len, 6 + strlen(expect));
	assert_memory_equal(out.data + 6, expect, strlen(expect));
	buf_release(&out);
}

/* R-CALL-2: the B2BUA anchors media and rewrites the offer. */
static void
test_b2bua_edit(void **state)
{
	struct sdp_session s, again;
	char text[4096];
	struct sdp_crypto c;
	struct sdp_rtpmap r;
	struct sdp_fmtp f;
	struct buf out;
	struct sdp_media *m;

	(void)state;
	/* R-CRYPTO-2: a new SDES key for our leg. */
	memcpy(text, sdes_offer, sizeof(sdes_offer));
	assert_int_equal(parse(text, &s), 0);
	m = &s.media[0];
	m->conn.nettype = SV("IN");
	m->conn.addrtype = SV("IP4");
	m->conn.address = SV("203.0.113.7");
	m->has_conn = true;
	m->port = 40000;
	s.has_conn = false;
	s.origin.sess_version = SV("2890842808");
	s.info = SV_NULL;
	s.uri = SV_NULL;
	s.email_count = 0;
	assert_int_equal(sdp_attrs_remove(&m->attrs, SV("crypto")), 5);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("crypto"),
	        SV("1 AES_CM_128_HMAC_SHA1_80 "
	           "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"),
	        true),
	    0);
	assert_int_equal(sdp_media_set_direction(m, SDP_DIR_SENDONLY), 0);
	assert_int_equal(sdp_media_add_format(m, SV("8")), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("rtpmap"), SV("8 PCMA/8000"), true), 0);
	buf_init(&out, 0);
	assert_int_equal(sdp_build(&s, &out), 0);
	memset(text, 'Z', sizeof(text)); /* the old views now see junk */
	assert_int_equal(parse_buf(&out, &again), 0);
	m = &again.media[0];
	assert_false(again.has_conn);
	assert_int_equal(again.info.len, 0);
	assert_int_equal(again.email_count, 0);
	assert_true(sv_eq(again.origin.sess_version, SV("2890842808")));
	assert_true(sv_eq(m->conn.address, SV("203.0.113.7")));
	assert_int_equal(m->port, 40000);
	assert_int_equal(m->format_count, 2);
	assert_int_equal(sdp_media_crypto(m, 0, &c), 1);
	assert_true(sv_eq(c.keys[0].key_salt,
	    SV("PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")));
	assert_int_equal(sdp_media_crypto(m, 1, &c), 0);
	assert_int_equal(sdp_media_direction(&again, m), SDP_DIR_SENDONLY);
	buf_release(&out);

	/* Removing a codec drops its rtpmap, fmtp and rtcp-fb lines. */
	assert_int_equal(parse(webrtc_offer, &s), 0);
	m = &s.media[0];
	assert_int_equal(sdp_media_remove_format(m, SV("111")), 1);
	assert_int_equal(sdp_media_remove_format(m, SV("111")), 0);
	assert_int_equal(sdp_media_remove_format(m, SV("0063")), 1);
	assert_int_equal(m->format_count, 3);
	assert_int_equal(sdp_media_rtpmap(m, 111, &r), 0);
	assert_int_equal(sdp_media_fmtp(m, 111, &f), 0);
	assert_int_equal(sdp_media_rtpmap(m, 63, &r), 0);
	assert_int_equal(sdp_attrs_find(&m->attrs, SV("rtcp-fb"), 0), -ENOENT);
	assert_int_equal(sdp_media_rtpmap(m, 126, &r), 1);
	assert_int_equal(sdp_attrs_remove(&m->attrs, SV("candidate")), 2);
	assert_int_equal(sdp_attrs_remove(&m->attrs, SV("candidate")), 0);
	sdp_attrs_remove_at(&m->attrs, 0);
	sdp_attrs_remove_at(&m->attrs, 999);
	assert_int_equal(sdp_attrs_find(&m->attrs, SV("rtcp"), 0), -ENOENT);
	/* Rejecting a stream keeps one format. */
	s.media[1].port = 0;
	assert_int_equal(sdp_media_remove_format(&s.media[1], SV("97")), 1);
	buf_init(&out, 0);
	assert_int_equal(sdp_build(&s, &out), 0);
	assert_int_equal(parse_buf(&out, &again), 0);
	assert_true(sdp_session_equal(&s, &again));
	assert_int_equal(again.media[1].port, 0);
	assert_int_equal(again.media[1].format_count, 1);
	buf_release(&out);
}

static void
test_mutators(void **state)
{
	struct sdp_session s;
	struct sdp_media *m;

	(void)state;
	/* R-CALL-1 */
	base_session(&s);
	m = &s.media[0];
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("bad name"), SV_NULL, false), -EINVAL);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV(""), SV_NULL, false), -EINVAL);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("x"), SV(""), true), -EINVAL);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("x"), SV("a\r\nb"), true), -EINVAL);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("x"), SV("a "), true), -EINVAL);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("x"), SV("a\0b"), true), -EINVAL);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("x"), SV("junk"), false), 0);
	assert_false(m->attrs.list[m->attrs.count - 1].has_value);
	while (m->attrs.count < SDP_ATTRS_MAX)
		assert_int_equal(
		    sdp_attrs_add(&m->attrs, SV("y"), SV_NULL, false), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("y"), SV_NULL, false), -E2BIG);
	/* No room for the new direction once the old one is gone. */
	assert_int_equal(sdp_media_set_direction(m, SDP_DIR_INACTIVE), -E2BIG);

	assert_int_equal(sdp_media_add_format(m, SV("128")), -EINVAL);
	assert_int_equal(sdp_media_add_format(m, SV("x")), -EINVAL);
	while (m->format_count < SDP_FORMATS_MAX)
		assert_int_equal(sdp_media_add_format(m, SV("0")), 0);
	assert_int_equal(sdp_media_add_format(m, SV("0")), -E2BIG);
	m->proto = SV("udptl");
	m->format_count = 0;
	assert_int_equal(sdp_media_add_format(m, SV("t38")), 0);
	assert_int_equal(sdp_media_add_format(m, SV("t 38")), -EINVAL);
}

static void
test_lookup_errors(void **state)
{
	struct sdp_session s;
	struct sdp_media *m;
	struct sdp_rtpmap r;
	struct sdp_fmtp f;
	struct sdp_rtcp rtcp;
	struct sdp_crypto c;
	struct sdp_fingerprint fp;
	enum sdp_setup setup;
	struct sv mid;
	uint32_t ms;

	(void)state;
	/* Values set by a caller are decoded, not trusted. */
	base_session(&s);
	m = &s.media[0];
	m->attrs.count = 0;
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("rtpmap"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("fmtp"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("ptime"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("maxptime"), SV_NULL, false), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("rtcp"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("crypto"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("fingerprint"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("setup"), SV("x"), true), 0);
	assert_int_equal(
	    sdp_attrs_add(&m->attrs, SV("mid"), SV("a/b"), true), 0);
	assert_int_equal(sdp_media_rtpmap(m, 0, &r), -EBADMSG);
	assert_int_equal(sdp_media_fmtp(m, 0, &f), -EBADMSG);
	assert_int_equal(sdp_media_ptime(m, &ms), -EBADMSG);
	assert_int_equal(sdp_media_maxptime(m, &ms), -EBADMSG);
	assert_int_equal(sdp_media_rtcp(m, &rtcp), -EBADMSG);
	assert_int_equal(sdp_media_crypto(m, 0, &c), -EBADMSG);
	assert_int_equal(sdp_media_fingerprint(&s, m, 0, &fp), -EBADMSG);
	assert_int_equal(sdp_media_setup(&s, m, &setup), -EBADMSG);
	assert_int_equal(sdp_media_mid(m, &mid), -EBADMSG);
	assert_int_equal(sdp_media_setup(&s, &s.media[1], &setup), 0);
	assert_int_equal(sdp_media_fingerprint(&s, &s.media[1], 0, &fp), 0);
	assert_int_equal(sdp_media_mid(&s.media[1], &mid), 0);
	assert_int_equal(sdp_rtpmap_static(2, &r), 0);
	assert_int_equal(sdp_rtpmap_static(34, &r), 1);
	assert_true(sv_eq(r.encoding, SV("H263")));
}

/* Expects sdp_build() to give 'err'; on a refusal 'out' is unchanged. */
static void
expect_build(const struct sdp_session *s, int err)
{
	struct buf out;

	buf_init(&out, 0);
	buf_append_cstr(&out, "keep");
	assert_int_equal(sdp_build(s, &out), err);
	if (err == 0) {
		assert_true(out.len > 4);
	} else {
		assert_int_equal(out.len, 4);
		assert_string_equal(out.data, "keep");
	}
	buf_release(&out);
}

/* 16 media sections of SDP_ATTRS_MAX attributes each: more lines than
 * SDP_LINES_MAX. */
static void
too_many_lines(struct sdp_session *s)
{
	for (unsigned i = 0; i < SDP_MEDIA_MAX; i++) {
		s->media[i] = s->media[2];
		s->media[i].attrs.count = SDP_ATTRS_MAX;
		for (unsigned j = 0; j < SDP_ATTRS_MAX; j++)
			s->media[i].attrs.list[j] =
			    (struct sdp_attr){.name = SV("x")};
	}
	s->media_count = SDP_MEDIA_MAX;
}

/* 16 media sections with a line of SDP_LINE_MAX bytes each: more than
 * SDP_BODY_MAX. */
static void
too_many_bytes(struct sdp_session *s, const char *big)
{
	for (unsigned i = 0; i < SDP_MEDIA_MAX; i++) {
		s->media[i] = s->media[2];
		s->media[i].attrs.count = 2;
		s->media[i].attrs.list[1] = (struct sdp_attr){.name = SV("x"),
		    .value = sv_make(big, SDP_LINE_MAX - 4),
		    .has_value = true};
	}
	s->media_count = SDP_MEDIA_MAX;
}

static void
test_builder_refusals(void **state)
{
	struct sdp_session s;
	char big[SDP_LINE_MAX];
	struct sdp_media *m;
	struct buf out;

	(void)state;
	/* R-CALL-1: the builder never writes invalid SDP. */
#define REFUSE(stmt, err)                                                      \
	do {                                                                   \
		base_session(&s);                                              \
		m = &s.media[0];                                               \
		stmt;                                                          \
		expect_build(&s, err);                                         \
	} while (0)
	REFUSE(s.name = SV_NULL, -EINVAL);
	REFUSE(s.name = SV("a\r\nm=x"), -EINVAL);
	REFUSE(s.name = SV("a\nb"), -EINVAL);
	REFUSE(s.name = SV("a\0b"), -EINVAL);
	REFUSE(s.info = SV("\r"), -EINVAL);
	REFUSE(s.uri = SV("a\nb"), -EINVAL);
	REFUSE(s.key = SV("a\nb"), -EINVAL);
	REFUSE(m->info = SV("a\nb"), -EINVAL);
	REFUSE(m->key = SV("a\nb"), -EINVAL);
	REFUSE((s.email_count = 1, s.emails[0] = SV("")), -EINVAL);
	REFUSE((s.phone_count = 1, s.phones[0] = SV("\n")), -EINVAL);
	REFUSE(s.email_count = SDP_CONTACTS_MAX + 1, -EINVAL);
	REFUSE(s.phone_count = SDP_CONTACTS_MAX + 1, -EINVAL);
	REFUSE(s.origin.username = SV("a b"), -EINVAL);
	REFUSE(s.origin.username = SV(""), -EINVAL);
	REFUSE(s.origin.sess_id = SV("12a"), -EINVAL);
	REFUSE(s.origin.sess_version = SV(""), -EINVAL);
	REFUSE(s.origin.nettype = SV("ATM"), -EINVAL);
	REFUSE(s.origin.addrtype = SV("IP5"), -EINVAL);
	REFUSE(s.origin.address = SV("192.0.2.1\0"), -EINVAL);
	REFUSE(s.origin.address = SV("192.0.2.1 x"), -EINVAL);
	REFUSE(s.conn.address = SV("300.0.0.1"), -EINVAL);
	REFUSE(s.conn.address = SV("2001:db8::1"), -EINVAL);
	REFUSE(s.conn.addrtype = SV("IP6"), -EINVAL);
	REFUSE(s.conn.suffix = SV("x"), -EINVAL);
	REFUSE(s.conn.suffix = SV("1/2/3"), -EINVAL);
	REFUSE(s.has_conn = false, -EINVAL);
	REFUSE((m->has_conn = true, m->conn.address = SV("a..b")), -EINVAL);
	REFUSE(s.bw[0].type = SV("A:S"), -EINVAL);
	REFUSE(s.bw_count = SDP_BANDWIDTHS_MAX + 1, -EINVAL);
	REFUSE(m->bw_count = SDP_BANDWIDTHS_MAX + 1, -EINVAL);
	REFUSE(m->bw[0].type = SV(""), -EINVAL);
	REFUSE(s.time_count = 0, -EINVAL);
	REFUSE(s.time_count = SDP_TIMES_MAX + 1, -EINVAL);
	REFUSE(s.times[0].repeat_count = SDP_REPEATS_MAX + 1, -EINVAL);
	REFUSE((s.times[0].repeat_count = 1, s.times[0].repeats[0] = SV("1 ")),
	    -EINVAL);
	REFUSE((s.times[0].repeat_count = 1, s.times[0].repeats[0] = SV("")),
	    -EINVAL);
	REFUSE(s.zone = SV("0 -1h\r\n"), -EINVAL);
	REFUSE(s.media_count = SDP_MEDIA_MAX + 1, -EINVAL);
	REFUSE(m->media = SV("au dio"), -EINVAL);
	REFUSE(m->media = SV(""), -EINVAL);
	REFUSE(m->proto = SV("RTP/"), -EINVAL);
	REFUSE(m->proto = SV("RTP/A\nVP"), -EINVAL);
	REFUSE(m->format_count = 0, -EINVAL);
	REFUSE(m->format_count = SDP_FORMATS_MAX + 1, -EINVAL);
	REFUSE(m->formats[0] = SV("128"), -EINVAL);
	REFUSE(m->formats[0] = SV("0 1"), -EINVAL);
	REFUSE((m->proto = SV("udptl"), m->formats[0] = SV("t/38")), -EINVAL);
	REFUSE(m->attrs.count = SDP_ATTRS_MAX + 1, -EINVAL);
	REFUSE(s.attrs.count = SDP_ATTRS_MAX + 1, -EINVAL);
	REFUSE(m->attrs.list[0].name = SV("rtp map"), -EINVAL);
	REFUSE(
	    m->attrs.list[0].value = SV("101 telephone-event/8000 "), -EINVAL);
	REFUSE(m->attrs.list[0].value = SV("101 telephone-event"), -EINVAL);
	REFUSE(m->attrs.list[0].value = SV("101 x/8000\r\na=y"), -EINVAL);
	REFUSE(m->attrs.list[0].value = SV(""), -EINVAL);
	REFUSE(m->attrs.list[0].has_value = false, -EINVAL);
	REFUSE(m->attrs.list[1].value = SV("101"), -EINVAL);
	REFUSE(m->attrs.list[2].value = SV("0"), -EINVAL);
	REFUSE(s.attrs.list[0].name = SV("recvonly"), 0);
	REFUSE(s.attrs.list[0].has_value = true, -EINVAL);
	REFUSE(assert_int_equal(
	           sdp_attrs_add(&m->attrs, SV("sendrecv"), SV_NULL, false), 0),
	    0);
	REFUSE(assert_int_equal(
	           sdp_attrs_add(&m->attrs, SV("sendrecv"), SV_NULL, false) +
	               sdp_attrs_add(&m->attrs, SV("inactive"), SV_NULL, false),
	           0),
	    -EINVAL);
	REFUSE(assert_int_equal(sdp_attrs_add(&m->attrs, SV("crypto"),
	                            SV("1 X inline:!"), true),
	           0),
	    -EINVAL);
	REFUSE(assert_int_equal(sdp_attrs_add(&m->attrs, SV("fingerprint"),
	                            SV("sha-1 0"), true),
	           0),
	    -EINVAL);
	REFUSE(assert_int_equal(
	           sdp_attrs_add(&m->attrs, SV("setup"), SV("x"), true), 0),
	    -EINVAL);
	REFUSE(assert_int_equal(
	           sdp_attrs_add(&m->attrs, SV("rtcp"), SV("70000"), true), 0),
	    -EINVAL);
	REFUSE(assert_int_equal(
	           sdp_attrs_add(&m->attrs, SV("mid"), SV("a,b"), true), 0),
	    -EINVAL);

	/* Size limits: a line, the line count, the body, the buffer cap. */
	memset(big, 'x', sizeof(big));
	REFUSE(m->info = sv_make(big, SDP_LINE_MAX - 2), 0);
	REFUSE(m->info = sv_make(big, SDP_LINE_MAX - 1), -E2BIG);
	REFUSE(too_many_lines(&s), -E2BIG);
	REFUSE(too_many_bytes(&s, big), -E2BIG);
#undef REFUSE

	base_session(&s);
	buf_init(&out, 64);
	assert_int_equal(sdp_build(&s, &out), -E2BIG);
	/* The buffer's error is sticky. */
	assert_int_equal(sdp_build(&s, &out), -E2BIG);
	buf_release(&out);
}

static void
test_oom(void **state)
{
	struct sdp_session s;
	struct buf out;
	int err;

	(void)state;
	/* R-CALL-1: out of memory at each growth of the buffer. */
	base_session(&s);
	for (unsigned long n = 1;; n++) {
		buf_init(&out, 0);
		mem_fail_nth(n);
		err = sdp_build(&s, &out);
		mem_fail_nth(0);
		buf_release(&out);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
		assert_true(n < 16);
	}
}

static void
test_session_helpers(void **state)
{
	struct sdp_session a, b;
	struct buf out;

	(void)state;
	/* R-CALL-1: a session built from scratch. */
	sdp_session_init(&a);
	buf_init(&out, 0);
	assert_int_equal(sdp_build(&a, &out), -EINVAL);
	a.origin = (struct sdp_origin){SV("rempart"), SV("1"), SV("1"),
	    SV("IN"), SV("IP6"), SV("2001:db8::7")};
	a.name = SV("-");
	a.time_count = 1;
	a.has_conn = true;
	a.conn = (struct sdp_connection){
	    SV("IN"), SV("IP6"), SV("2001:db8::7"), SV_NULL};
	a.media_count = 1;
	a.media[0].media = SV("audio");
	a.media[0].port = 30000;
	a.media[0].proto = SV("RTP/AVP");
	assert_int_equal(sdp_media_add_format(&a.media[0], SV("9")), 0);
	assert_int_equal(sdp_build(&a, &out), 0);
	assert_string_equal(out.data, "v=0\r\n"
	                              "o=rempart 1 1 IN IP6 2001:db8::7\r\n"
	                              "s=-\r\n"
	                              "c=IN IP6 2001:db8::7\r\n"
	                              "t=0 0\r\n"
	                              "m=audio 30000 RTP/AVP 9\r\n");
	assert_int_equal(parse_buf(&out, &b), 0);
	assert_true(sdp_session_equal(&a, &b));
	b.media[0].port = 1;
	assert_false(sdp_session_equal(&a, &b));
	b.media[0].port = 30000;
	b.times[0].stop = 1;
	assert_false(sdp_session_equal(&a, &b));
	b.times[0].stop = 0;
	b.origin.address = SV("2001:db8::8");
	assert_false(sdp_session_equal(&a, &b));
	b.origin.address = a.origin.address;
	b.bw_count = 1;
	assert_false(sdp_session_equal(&a, &b));
	a.bw_count = 1;
	a.bw[0] = (struct sdp_bandwidth){SV("AS"), 1};
	b.bw[0] = (struct sdp_bandwidth){SV("AS"), 2};
	assert_false(sdp_session_equal(&a, &b));
	b.bw[0].value = 1;
	assert_true(sdp_session_equal(&a, &b));
	b.time_count = 2;
	assert_false(sdp_session_equal(&a, &b));
	b.time_count = 1;
	b.email_count = 1;
	b.emails[0] = SV("x@example.com");
	assert_false(sdp_session_equal(&a, &b));
	a.email_count = 1;
	a.emails[0] = SV("y@example.com");
	assert_false(sdp_session_equal(&a, &b));
	a.emails[0] = b.emails[0];
	assert_int_equal(sdp_attrs_add(&a.attrs, SV("x"), SV("1"), true), 0);
	assert_false(sdp_session_equal(&a, &b));
	assert_int_equal(sdp_attrs_add(&b.attrs, SV("x"), SV("2"), true), 0);
	assert_false(sdp_session_equal(&a, &b));
	b.attrs.list[0].value = SV("1");
	assert_true(sdp_session_equal(&a, &b));
	b.media_count = 0;
	assert_false(sdp_session_equal(&a, &b));
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc8866_example),
	    cmocka_unit_test(test_rfc4568_crypto),
	    cmocka_unit_test(test_crypto_values),
	    cmocka_unit_test(test_webrtc_offer),
	    cmocka_unit_test(test_lf_and_streams),
	    cmocka_unit_test(test_direction_inheritance),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_accepted_forms),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_round_trips),
	    cmocka_unit_test(test_b2bua_edit),
	    cmocka_unit_test(test_mutators),
	    cmocka_unit_test(test_lookup_errors),
	    cmocka_unit_test(test_builder_refusals),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_session_helpers),
	};

	return cmocka_run_group_tests_name("sip_sdp", tests, NULL, NULL);
}
