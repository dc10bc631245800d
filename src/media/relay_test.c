/* Unit tests for the RTP/SRTP relay (R-CRYPTO-2): real UDP sockets on
 * the loopback play both endpoints. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "core/mem.h"
#include "media/relay.h"

#define WAIT_MS 1000 /* for what must arrive */
#define QUIET_MS 100 /* for what must not */
#define PAYLOAD 160

struct ep {
	int fd;
	uint16_t port;
};

static struct media_relay *
relay(uint16_t port_min, uint16_t port_max)
{
	struct media_relay_config cfg = {
	    .addr = "127.0.0.1",
	    .port_min = port_min,
	    .port_max = port_max,
	    .workers = 2,
	};
	struct media_relay *r = NULL;

	assert_int_equal(media_relay_new(&r, &cfg), 0);
	return r;
}

static struct ep
ep_open(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	struct ep e;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	e.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(e.fd >= 0);
	assert_int_equal(bind(e.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(e.fd, (struct sockaddr *)&a, &len), 0);
	e.port = ntohs(a.sin_port);
	return e;
}

static struct sockaddr_storage
sa(uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = htons(port);
	return ss;
}

static void
ep_send(const struct ep *e, uint16_t port, const uint8_t *p, size_t len)
{
	struct sockaddr_storage to = sa(port);

	assert_int_equal(sendto(e->fd, p, len, 0, (struct sockaddr *)&to,
	                     sizeof(struct sockaddr_in)),
	    (ssize_t)len);
}

/* Returns the datagram's length, or -1 if nothing came in timeout_ms. */
static int
ep_recv(const struct ep *e, uint8_t *p, size_t cap, int timeout_ms,
    uint16_t *from_port)
{
	struct pollfd pfd = {.fd = e->fd, .events = POLLIN};
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return -1;
	n = recvfrom(e->fd, p, cap, 0, (struct sockaddr *)&from, &flen);
	assert_true(n >= 0);
	if (from_port != NULL)
		*from_port = ntohs(from.sin_port);
	return (int)n;
}

static size_t
rtp_make(uint8_t *p, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	size_t i;

	p[0] = 0x80;
	p[1] = pt;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(ts >> 24);
	p[5] = (uint8_t)(ts >> 16);
	p[6] = (uint8_t)(ts >> 8);
	p[7] = (uint8_t)ts;
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (i = 0; i < PAYLOAD; i++)
		p[12 + i] = (uint8_t)(seq + i);
	return 12 + PAYLOAD;
}

/* An empty receiver report (RFC 3550 §6.4.2). */
static size_t
rtcp_make(uint8_t *p, uint32_t ssrc)
{
	p[0] = 0x80;
	p[1] = 201;
	p[2] = 0;
	p[3] = 1;
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	return 8;
}

static struct media_stream_stats
stats(const struct media_stream *s, unsigned side)
{
	struct media_stream_stats st;

	media_stream_stats(s, side, &st);
	return st;
}

/* Waits until the uint64_t field at 'off' reaches 'min' (the worker
 * updates tx counters after the datagram is already on its way). */
static uint64_t
wait_stat(const struct media_stream *s, unsigned side, size_t off, uint64_t min)
{
	struct timespec ms = {0, 1000000};
	struct media_stream_stats st;
	uint64_t v = 0;
	int i;

	for (i = 0; i < WAIT_MS; i++) {
		st = stats(s, side);
		memcpy(&v, (const char *)&st + off, sizeof(v));
		if (v >= min)
			break;
		nanosleep(&ms, NULL);
	}
	return v;
}

#define WAIT_STAT(s, side, field, min)                                         \
	wait_stat(s, side, offsetof(struct media_stream_stats, field), min)

static void
peer(struct media_stream *s, unsigned side, uint16_t rtp, uint16_t rtcp,
    bool mux)
{
	struct sockaddr_storage a = sa(rtp), b = sa(rtcp);

	assert_int_equal(
	    media_stream_set_peer(s, side, &a, rtcp != 0 ? &b : NULL, mux), 0);
}

/* Sends from 'from' to relay port 'to' and expects the same bytes at
 * 'at', coming from relay port 'via'. */
static void
relay_ok(const struct ep *from, uint16_t to, const struct ep *at, uint16_t via,
    const uint8_t *p, size_t len)
{
	uint8_t got[2048];
	uint16_t src = 0;
	int n;

	ep_send(from, to, p, len);
	n = ep_recv(at, got, sizeof(got), WAIT_MS, &src);
	assert_int_equal(n, (int)len);
	assert_memory_equal(got, p, len);
	assert_int_equal(src, via);
}

static void
expect_nothing(const struct ep *at)
{
	uint8_t got[2048];

	assert_int_equal(ep_recv(at, got, sizeof(got), QUIET_MS, NULL), -1);
}

/* ---- Configuration ---- */

static void
test_config_invalid(void **state)
{
	struct media_relay_config cfg = {.addr = "127.0.0.1", .workers = 1};
	struct media_relay *r = NULL;

	(void)state;
	assert_int_equal(media_relay_new(NULL, &cfg), -EINVAL);
	cfg.port_min = 30001; /* odd */
	cfg.port_max = 30100;
	assert_int_equal(media_relay_new(&r, &cfg), -EINVAL);
	cfg.port_min = 30100; /* above max */
	cfg.port_max = 30000;
	assert_int_equal(media_relay_new(&r, &cfg), -EINVAL);
	cfg.port_min = 30000; /* three ports */
	cfg.port_max = 30002;
	assert_int_equal(media_relay_new(&r, &cfg), -EINVAL);
	cfg.port_max = 30003;
	cfg.addr = "localhost"; /* literals only */
	assert_int_equal(media_relay_new(&r, &cfg), -EINVAL);
	cfg.addr = "127.0.0.256";
	assert_int_equal(media_relay_new(&r, &cfg), -EINVAL);
	cfg.addr = "127.0.0.1";
	cfg.workers = MEDIA_WORKERS_MAX + 1;
	assert_int_equal(media_relay_new(&r, &cfg), -EINVAL);
	assert_null(r);

	cfg.workers = 0; /* one per CPU */
	assert_int_equal(media_relay_new(&r, &cfg), 0);
	assert_string_equal(media_relay_addr(r), "127.0.0.1");
	assert_int_equal(media_relay_streams(r), 0);
	media_relay_free(r);
	media_relay_free(NULL);
	media_stream_free(NULL);
}

static void
test_config_defaults(void **state)
{
	struct media_relay *r = NULL;
	struct media_stream *s = NULL;
	uint16_t p;

	(void)state;
	assert_int_equal(media_relay_new(&r, NULL), 0);
	assert_string_equal(media_relay_addr(r), "127.0.0.1");
	assert_int_equal(media_stream_new(r, &s), 0);
	p = media_stream_port(s, 0);
	assert_true(p >= MEDIA_PORT_MIN_DEFAULT && p < MEDIA_PORT_MAX_DEFAULT);
	assert_int_equal(p % 2, 0);
	assert_int_equal(media_stream_port(s, 2), 0);
	media_stream_free(s);
	media_relay_free(r);
}

static void
test_set_peer_invalid(void **state)
{
	struct media_relay *r = relay(30200, 30299);
	struct media_stream *s = NULL;
	struct sockaddr_storage a = sa(5000), z = sa(0), v6;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&v6;

	(void)state;
	memset(&v6, 0, sizeof(v6));
	a6->sin6_family = AF_INET6;
	a6->sin6_addr = in6addr_loopback;
	a6->sin6_port = htons(5000);
	assert_int_equal(media_stream_new(r, &s), 0);
	assert_int_equal(
	    media_stream_set_peer(NULL, 0, &a, NULL, false), -EINVAL);
	assert_int_equal(media_stream_set_peer(s, 2, &a, NULL, false), -EINVAL);
	assert_int_equal(
	    media_stream_set_peer(s, 0, NULL, NULL, false), -EINVAL);
	assert_int_equal(media_stream_set_peer(s, 0, &z, NULL, false), -EINVAL);
	assert_int_equal(media_stream_set_peer(s, 0, &a, &z, false), -EINVAL);
	assert_int_equal(
	    media_stream_set_peer(s, 0, &v6, NULL, false), -EINVAL);
	assert_int_equal(media_stream_set_peer(s, 0, &a, &v6, false), -EINVAL);
	a = sa(65535); /* no room for RTP port + 1 */
	assert_int_equal(media_stream_set_peer(s, 0, &a, NULL, false), -EINVAL);
	assert_int_equal(media_stream_set_peer(s, 0, &a, NULL, true), 0);
	media_stream_free(s);
	media_relay_free(r);
}

static void
test_srtp_keys(void **state)
{
	struct media_relay *r = relay(30300, 30399);
	struct media_stream *s = NULL;
	struct media_srtp_key k, k2;

	(void)state;
	assert_int_equal(
	    media_srtp_key_len(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80), 30);
	assert_int_equal(
	    media_srtp_key_len(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32), 30);
	assert_int_equal(media_srtp_key_len(MEDIA_SRTP_AEAD_AES_256_GCM), 44);
	assert_int_equal(media_srtp_key_len((enum media_srtp_suite)9), 0);
	assert_int_equal(
	    media_srtp_key_random((enum media_srtp_suite)9, &k), -EINVAL);
	assert_int_equal(
	    media_srtp_key_random(MEDIA_SRTP_AEAD_AES_256_GCM, &k), 0);
	assert_int_equal(k.key_len, 44);
	assert_int_equal(
	    media_srtp_key_random(MEDIA_SRTP_AEAD_AES_256_GCM, &k2), 0);
	assert_memory_not_equal(k.key, k2.key, 44);

	assert_int_equal(media_stream_new(r, &s), 0);
	assert_int_equal(media_stream_set_srtp(s, 2, &k, &k), -EINVAL);
	assert_int_equal(media_stream_set_srtp(NULL, 0, &k, &k), -EINVAL);
	k.key_len = 30; /* wrong for GCM */
	assert_int_equal(media_stream_set_srtp(s, 0, &k, NULL), -EINVAL);
	assert_int_equal(media_stream_set_srtp(s, 0, NULL, &k), -EINVAL);
	k.suite = (enum media_srtp_suite)9;
	assert_int_equal(media_stream_set_srtp(s, 0, &k, NULL), -EINVAL);
	/* Plain both ways, then keys again: sessions are replaced. */
	assert_int_equal(media_stream_set_srtp(s, 0, NULL, NULL), 0);
	assert_int_equal(media_stream_set_srtp(s, 0, &k2, &k2), 0);
	assert_int_equal(media_stream_set_srtp(s, 0, &k2, &k2), 0);
	media_stream_free(s);
	media_relay_free(r);
}

/* ---- Plain RTP and RTCP ---- */

static void
test_rtp_both_ways(void **state)
{
	struct media_relay *r = relay(30400, 30499);
	struct ep a = ep_open(), b = ep_open();
	struct media_stream *s = NULL;
	struct media_stream_stats st;
	uint8_t pkt[256];
	uint16_t p0, p1;
	size_t len;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	assert_int_equal(media_relay_streams(r), 1);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	assert_int_equal(p0 % 2, 0);
	assert_int_equal(p1 % 2, 0);
	assert_int_not_equal(p0, p1);
	assert_true(p0 >= 30400 && p0 + 1 <= 30499);

	/* Before any peer: nothing goes out, the packet is counted. */
	len = rtp_make(pkt, 0, 1, 160, 0x1111);
	ep_send(&a, p0, pkt, len);
	expect_nothing(&b);
	assert_int_equal(WAIT_STAT(s, 0, dropped, 1), 1);

	peer(s, 0, a.port, 0, false);
	peer(s, 1, b.port, 0, false);
	len = rtp_make(pkt, 0, 2, 320, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);
	len = rtp_make(pkt, 8, 100, 16000, 0x2222);
	relay_ok(&b, p1, &a, p0, pkt, len);
	len = rtp_make(pkt, 0, 3, 480, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);

	assert_int_equal(WAIT_STAT(s, 1, tx_packets, 2), 2);
	assert_int_equal(WAIT_STAT(s, 0, tx_packets, 1), 1);
	st = stats(s, 0);
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_bytes, 3 * len);
	assert_int_equal(st.tx_bytes, len);
	assert_int_equal(st.lost, 0);
	assert_true(st.latched);
	assert_true(st.last_rx_ms > 0);
	st = stats(s, 1);
	assert_int_equal(st.rx_packets, 1);
	assert_int_equal(st.tx_bytes, 2 * len);
	assert_int_equal(st.srtp_failures, 0);
	/* The worker that relayed has run. */
	assert_true(media_relay_worker_cpu_ns(r) > 0);

	media_stream_free(s);
	assert_int_equal(media_relay_streams(r), 0);
	media_relay_free(r);
	close(a.fd);
	close(b.fd);
}

static void
test_rtcp_port(void **state)
{
	struct media_relay *r = relay(30500, 30599);
	struct ep a = ep_open(), ac = ep_open(), b = ep_open(), bc = ep_open();
	struct media_stream *s = NULL;
	uint8_t pkt[256];
	uint16_t p0, p1;
	size_t len;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	peer(s, 0, a.port, ac.port, false);
	peer(s, 1, b.port, bc.port, false);

	len = rtcp_make(pkt, 0x1111);
	relay_ok(&ac, (uint16_t)(p0 + 1), &bc, (uint16_t)(p1 + 1), pkt, len);
	len = rtcp_make(pkt, 0x2222);
	relay_ok(&bc, (uint16_t)(p1 + 1), &ac, (uint16_t)(p0 + 1), pkt, len);
	expect_nothing(&a);
	expect_nothing(&b);
	assert_int_equal(stats(s, 0).rtcp_packets, 1);
	assert_int_equal(stats(s, 1).rtcp_packets, 1);
	assert_int_equal(stats(s, 0).rx_packets, 0);
	assert_int_equal(stats(s, 1).tx_packets, 0);

	/* Not version 2, and too short: dropped. */
	pkt[0] = 0x40;
	ep_send(&ac, (uint16_t)(p0 + 1), pkt, len);
	ep_send(&ac, (uint16_t)(p0 + 1), pkt, 4);
	expect_nothing(&bc);
	assert_int_equal(WAIT_STAT(s, 0, dropped, 2), 2);

	media_stream_free(s);
	media_relay_free(r);
	close(a.fd);
	close(ac.fd);
	close(b.fd);
	close(bc.fd);
}

/* RFC 5761: RTCP on the RTP port; it reaches a muxing peer on its RTP
 * address and a non-muxing one on its RTCP address. */
static void
test_rtcp_mux(void **state)
{
	struct media_relay *r = relay(30600, 30699);
	struct ep a = ep_open(), b = ep_open(), bc = ep_open();
	struct media_stream *s = NULL;
	uint8_t pkt[256];
	uint16_t p0, p1;
	size_t len;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	peer(s, 0, a.port, 0, true);
	peer(s, 1, b.port, 0, true);

	len = rtcp_make(pkt, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);
	len = rtp_make(pkt, 96, 7, 700, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);
	len = rtcp_make(pkt, 0x2222);
	relay_ok(&b, p1, &a, p0, pkt, len);
	assert_int_equal(stats(s, 0).rtcp_packets, 1);
	assert_int_equal(stats(s, 0).rx_packets, 1);

	/* Side 1 without mux: A's muxed RTCP goes to B's RTCP port, from
	 * the relay's RTCP port. */
	peer(s, 1, b.port, bc.port, false);
	len = rtcp_make(pkt, 0x1111);
	relay_ok(&a, p0, &bc, (uint16_t)(p1 + 1), pkt, len);

	media_stream_free(s);
	media_relay_free(r);
	close(a.fd);
	close(b.fd);
	close(bc.fd);
}

/* ---- Latching ---- */

static void
test_latching(void **state)
{
	struct media_relay *r = relay(30700, 30799);
	struct ep a = ep_open(), b = ep_open(), c = ep_open(),
	          wrong = ep_open();
	struct media_stream *s = NULL;
	struct media_stream_stats st;
	uint8_t pkt[256];
	uint16_t p0, p1;
	size_t len;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	/* Signalling says 'wrong' (a NAT rewrote A's port). */
	peer(s, 0, wrong.port, 0, false);
	peer(s, 1, b.port, 0, false);
	assert_false(stats(s, 0).latched);

	len = rtp_make(pkt, 0, 1, 160, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);
	assert_true(stats(s, 0).latched);
	len = rtp_make(pkt, 0, 50, 8000, 0x2222);
	relay_ok(&b, p1, &a, p0, pkt, len);
	expect_nothing(&wrong);

	/* A third party cannot inject once latched. */
	len = rtp_make(pkt, 0, 2, 320, 0x3333);
	ep_send(&c, p0, pkt, len);
	expect_nothing(&b);
	st = stats(s, 0);
	assert_int_equal(st.dropped, 1);
	assert_int_equal(st.rx_packets, 1);

	/* The same peer again keeps the latch; a new one clears it. */
	peer(s, 0, wrong.port, 0, false);
	len = rtp_make(pkt, 0, 51, 8160, 0x2222);
	relay_ok(&b, p1, &a, p0, pkt, len);
	peer(s, 0, c.port, 0, false);
	len = rtp_make(pkt, 0, 52, 8320, 0x2222);
	relay_ok(&b, p1, &c, p0, pkt, len);
	assert_false(stats(s, 0).latched);
	len = rtp_make(pkt, 0, 3, 480, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);
	assert_true(stats(s, 0).latched);

	media_stream_free(s);
	media_relay_free(r);
	close(a.fd);
	close(b.fd);
	close(c.fd);
	close(wrong.fd);
}

/* ---- SRTP ---- */

static srtp_t
endpoint_srtp(const struct media_srtp_key *k, bool inbound)
{
	uint8_t key[MEDIA_SRTP_KEY_MAX];
	srtp_policy_t p;
	srtp_t ctx = NULL;

	memset(&p, 0, sizeof(p));
	switch (k->suite) {
	case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		break;
	case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		break;
	case MEDIA_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
		break;
	}
	memcpy(key, k->key, k->key_len);
	p.key = key;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = 1024;
	assert_int_equal(srtp_create(&ctx, &p), srtp_err_status_ok);
	return ctx;
}

struct srtp_ep {
	struct ep e;
	srtp_t out; /* protects with the endpoint's own key */
	srtp_t in;  /* unprotects with the key the relay announced */
};

static struct media_srtp_key
key_new(enum media_srtp_suite suite)
{
	struct media_srtp_key k;

	assert_int_equal(media_srtp_key_random(suite, &k), 0);
	return k;
}

/* Gives side 'side' fresh keys and returns the matching endpoint. */
static struct srtp_ep
srtp_side(struct media_stream *s, unsigned side, enum media_srtp_suite suite)
{
	struct media_srtp_key rx = key_new(suite), tx = key_new(suite);
	struct srtp_ep e;

	e.e = ep_open();
	assert_int_equal(media_stream_set_srtp(s, side, &rx, &tx), 0);
	e.out = endpoint_srtp(&rx, false);
	e.in = endpoint_srtp(&tx, true);
	return e;
}

static void
srtp_ep_close(struct srtp_ep *e)
{
	close(e->e.fd);
	srtp_dealloc(e->out);
	srtp_dealloc(e->in);
}

/* Sends a protected packet (or plain if from->out is NULL) and checks
 * that 'at' gets the plaintext back (unprotecting if at->in is set),
 * and that what was on the wire differed from the plaintext. */
static void
srtp_relay_ok(const struct srtp_ep *from, uint16_t to, const struct srtp_ep *at,
    uint16_t via, bool rtcp, uint16_t seq)
{
	uint8_t plain[256], wire[512], got[512];
	size_t len;
	uint16_t src = 0;
	int wlen, n;

	len = rtcp ? rtcp_make(plain, 0x1000u + seq)
	           : rtp_make(plain, 0, seq, seq * 160u, 0xabcd);
	if (rtcp) {
		/* Room for a body that encryption must hide. */
		memset(plain + 8, 0x5a, 24);
		plain[3] = 7;
		len = 32;
	}
	memcpy(wire, plain, len);
	wlen = (int)len;
	if (from->out != NULL) {
		if (rtcp)
			assert_int_equal(
			    srtp_protect_rtcp(from->out, wire, &wlen),
			    srtp_err_status_ok);
		else
			assert_int_equal(srtp_protect(from->out, wire, &wlen),
			    srtp_err_status_ok);
	}
	ep_send(&from->e, to, wire, (size_t)wlen);
	n = ep_recv(&at->e, got, sizeof(got), WAIT_MS, &src);
	assert_true(n > 0);
	assert_int_equal(src, via);
	if (at->in != NULL) {
		assert_true(n > (int)len);
		/* Encrypted payload on the wire. */
		assert_memory_not_equal(
		    got + 12, plain + 12, len - 12 > 16 ? 16 : len - 12);
		if (rtcp)
			assert_int_equal(srtp_unprotect_rtcp(at->in, got, &n),
			    srtp_err_status_ok);
		else
			assert_int_equal(srtp_unprotect(at->in, got, &n),
			    srtp_err_status_ok);
	}
	assert_int_equal(n, (int)len);
	assert_memory_equal(got, plain, len);
}

static void
srtp_both(enum media_srtp_suite suite, uint16_t port_min)
{
	struct media_relay *r = relay(port_min, (uint16_t)(port_min + 99));
	struct media_stream *s = NULL;
	struct srtp_ep a, b;
	uint16_t p0, p1, seq;
	struct ep ac, bc;

	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	a = srtp_side(s, 0, suite);
	b = srtp_side(s, 1, suite);
	ac = ep_open();
	bc = ep_open();
	peer(s, 0, a.e.port, ac.port, false);
	peer(s, 1, b.e.port, bc.port, false);
	for (seq = 1; seq <= 3; seq++) {
		srtp_relay_ok(&a, p0, &b, p1, false, seq);
		srtp_relay_ok(&b, p1, &a, p0, false, (uint16_t)(seq + 100));
	}
	/* SRTCP over the RTCP ports. */
	{
		struct srtp_ep acs = a, bcs = b;

		acs.e = ac;
		bcs.e = bc;
		srtp_relay_ok(&acs, (uint16_t)(p0 + 1), &bcs,
		    (uint16_t)(p1 + 1), true, 1);
		srtp_relay_ok(&bcs, (uint16_t)(p1 + 1), &acs,
		    (uint16_t)(p0 + 1), true, 2);
	}
	assert_int_equal(WAIT_STAT(s, 1, tx_packets, 3), 3);
	assert_int_equal(stats(s, 0).rx_packets, 3);
	assert_int_equal(stats(s, 0).rtcp_packets, 1);
	assert_int_equal(stats(s, 0).srtp_failures, 0);
	assert_int_equal(stats(s, 1).srtp_failures, 0);
	media_stream_free(s);
	media_relay_free(r);
	srtp_ep_close(&a);
	srtp_ep_close(&b);
	close(ac.fd);
	close(bc.fd);
}

static void
test_srtp_both_sides(void **state)
{
	(void)state;
	srtp_both(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 30800);
}

static void
test_srtp_32(void **state)
{
	(void)state;
	srtp_both(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 30900);
}

/* RFC 7714 (AEAD_AES_256_GCM). */
static void
test_srtp_gcm(void **state)
{
	(void)state;
	srtp_both(MEDIA_SRTP_AEAD_AES_256_GCM, 31000);
}

/* An SRTP caller bridged to a plain RTP callee. */
static void
test_srtp_bridge(void **state)
{
	struct media_relay *r = relay(31100, 31199);
	struct media_stream *s = NULL;
	struct srtp_ep a, b = {0};
	uint16_t p0, p1;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	a = srtp_side(s, 0, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	b.e = ep_open();
	peer(s, 0, a.e.port, 0, true);
	peer(s, 1, b.e.port, 0, true);
	srtp_relay_ok(&a, p0, &b, p1, false, 1);
	srtp_relay_ok(&b, p1, &a, p0, false, 2);
	srtp_relay_ok(&a, p0, &b, p1, true, 3);
	srtp_relay_ok(&b, p1, &a, p0, true, 4);
	media_stream_free(s);
	media_relay_free(r);
	srtp_ep_close(&a);
	close(b.e.fd);
}

/* Forged or corrupted SRTP is counted, never relayed, never latched. */
static void
test_srtp_bad_auth(void **state)
{
	struct media_relay *r = relay(31200, 31299);
	struct media_srtp_key other =
	    key_new(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	struct media_stream *s = NULL;
	struct srtp_ep a, b, c = {0};
	uint8_t wire[512];
	uint16_t p0, p1;
	struct ep wrong = ep_open();
	int wlen;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	a = srtp_side(s, 0, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	b = srtp_side(s, 1, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	peer(s, 0, wrong.port, 0, false);
	peer(s, 1, b.e.port, 0, false);

	/* Another key, from another socket: fails, does not latch. */
	c.e = ep_open();
	c.out = endpoint_srtp(&other, false);
	wlen = (int)rtp_make(wire, 0, 1, 160, 0xabcd);
	assert_int_equal(srtp_protect(c.out, wire, &wlen), srtp_err_status_ok);
	ep_send(&c.e, p0, wire, (size_t)wlen);
	expect_nothing(&b.e);
	assert_int_equal(WAIT_STAT(s, 0, srtp_failures, 1), 1);
	assert_false(stats(s, 0).latched);

	/* A's packet with a flipped payload bit fails too. */
	wlen = (int)rtp_make(wire, 0, 2, 320, 0xabcd);
	assert_int_equal(srtp_protect(a.out, wire, &wlen), srtp_err_status_ok);
	wire[20] ^= 1;
	ep_send(&a.e, p0, wire, (size_t)wlen);
	expect_nothing(&b.e);
	assert_int_equal(WAIT_STAT(s, 0, srtp_failures, 2), 2);
	/* Plain RTP to an SRTP side fails as well. */
	wlen = (int)rtp_make(wire, 0, 3, 480, 0xabcd);
	ep_send(&a.e, p0, wire, (size_t)wlen);
	expect_nothing(&b.e);
	assert_int_equal(WAIT_STAT(s, 0, srtp_failures, 3), 3);

	/* The genuine endpoint still gets through and latches. */
	srtp_relay_ok(&a, p0, &b, p1, false, 4);
	assert_true(stats(s, 0).latched);
	srtp_relay_ok(&b, p1, &a, p0, false, 5);
	/* A replay of an accepted packet is refused. */
	wlen = (int)rtp_make(wire, 0, 6, 960, 0xabcd);
	assert_int_equal(srtp_protect(a.out, wire, &wlen), srtp_err_status_ok);
	ep_send(&a.e, p0, wire, (size_t)wlen);
	assert_true(ep_recv(&b.e, wire + 256, 256, WAIT_MS, NULL) > 0);
	ep_send(&a.e, p0, wire, (size_t)wlen);
	expect_nothing(&b.e);
	assert_int_equal(WAIT_STAT(s, 0, srtp_failures, 4), 4);
	assert_int_equal(stats(s, 0).rx_packets, 2);

	media_stream_free(s);
	media_relay_free(r);
	srtp_ep_close(&a);
	srtp_ep_close(&b);
	close(c.e.fd);
	srtp_dealloc(c.out);
	close(wrong.fd);
}

/* ---- Counters ---- */

static void
test_loss_and_counters(void **state)
{
	struct media_relay *r = relay(31300, 31399);
	struct ep a = ep_open(), b = ep_open();
	struct media_stream *s = NULL;
	struct media_stream_stats st;
	uint8_t pkt[256], got[256];
	uint16_t p0, p1, seq;
	size_t len;
	int n = 0;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	p0 = media_stream_port(s, 0);
	p1 = media_stream_port(s, 1);
	peer(s, 0, a.port, 0, false);
	peer(s, 1, b.port, 0, false);
	/* 65530..65535, 0..9 across the wrap, without 65533, 2 and 3. */
	for (seq = 65530; seq != 10; seq++) {
		if (seq == 65533 || seq == 2 || seq == 3)
			continue;
		len = rtp_make(pkt, 0, seq, (uint32_t)seq * 160u, 0x1111);
		ep_send(&a, p0, pkt, len);
		n++;
	}
	while (n-- > 0)
		assert_int_equal(
		    ep_recv(&b, got, sizeof(got), WAIT_MS, NULL), (int)len);
	assert_int_equal(WAIT_STAT(s, 1, tx_packets, 13), 13);
	st = stats(s, 0);
	assert_int_equal(st.rx_packets, 13);
	assert_int_equal(st.rx_bytes, 13 * len);
	assert_int_equal(st.lost, 3);
	/* Sent in a burst, 20 ms of timestamp apart: that is jitter. */
	assert_true(st.jitter_ts > 0);
	st = stats(s, 1);
	assert_int_equal(st.tx_bytes, 13 * len);
	assert_int_equal(st.rx_packets, 0);
	assert_int_equal(st.lost, 0);

	/* A late packet is not a loss undone twice, a duplicate not a
	 * gain: loss stays at expected - received. */
	len = rtp_make(pkt, 0, 2, 320, 0x1111);
	relay_ok(&a, p0, &b, p1, pkt, len);
	assert_int_equal(stats(s, 0).lost, 2);

	/* A new SSRC starts its own sequence. */
	len = rtp_make(pkt, 0, 40000, 1, 0x2222);
	relay_ok(&a, p0, &b, p1, pkt, len);
	len = rtp_make(pkt, 0, 40002, 1, 0x2222);
	relay_ok(&a, p0, &b, p1, pkt, len);
	assert_int_equal(stats(s, 0).lost, 3);

	/* Malformed: too short for RTP, wrong version. */
	ep_send(&a, p0, pkt, 11);
	pkt[0] = 0x00;
	ep_send(&a, p0, pkt, len);
	expect_nothing(&b);
	assert_int_equal(WAIT_STAT(s, 0, dropped, 2), 2);
	assert_int_equal(stats(s, 0).rx_packets, 16);

	media_stream_free(s);
	media_relay_free(r);
	close(a.fd);
	close(b.fd);
}

/* ---- Ports and lifetimes ---- */

static struct media_stream *
new_retry(struct media_relay *r)
{
	struct timespec ms = {0, 1000000};
	struct media_stream *s = NULL;
	int err = 0, i;

	/* Freed ports come back once the worker has closed them. */
	for (i = 0; i < WAIT_MS; i++) {
		err = media_stream_new(r, &s);
		if (err != -EADDRINUSE)
			break;
		nanosleep(&ms, NULL);
	}
	assert_int_equal(err, 0);
	return s;
}

static void
test_port_exhaustion(void **state)
{
	struct media_relay *r = relay(31400, 31403);
	struct media_stream *s = NULL, *t = NULL;
	struct sockaddr_storage hold;
	int fd;

	(void)state;
	assert_int_equal(media_stream_new(r, &s), 0);
	assert_int_equal(
	    media_stream_port(s, 0) + media_stream_port(s, 1), 31400 + 31402);
	assert_int_equal(media_stream_new(r, &t), -EADDRINUSE);
	assert_int_equal(media_relay_streams(r), 1);
	media_stream_free(s);
	s = new_retry(r);
	media_stream_free(s);
	media_relay_free(r);

	/* A pair whose RTCP port another process holds is skipped. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	hold = sa(31503);
	assert_int_equal(
	    bind(fd, (struct sockaddr *)&hold, sizeof(struct sockaddr_in)), 0);
	r = relay(31500, 31507);
	assert_int_equal(media_stream_new(r, &s), 0);
	assert_int_equal(media_stream_port(s, 0), 31500);
	assert_int_equal(media_stream_port(s, 1), 31504);
	/* One pair left: not enough, and it is not kept. */
	assert_int_equal(media_stream_new(r, &t), -EADDRINUSE);
	media_stream_free(s);
	s = new_retry(r);
	assert_int_not_equal(media_stream_port(s, 0), 31502);
	assert_int_not_equal(media_stream_port(s, 1), 31502);
	media_stream_free(s);
	media_relay_free(r);
	close(fd);
}

/* Create/free churn with keys and peers set: ASan reports any leak. */
static void
test_many_cycles(void **state)
{
	struct media_relay *r = relay(31600, 31999);
	struct media_srtp_key k = key_new(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	struct media_stream *s[40];
	struct ep a = ep_open();
	uint8_t pkt[256];
	size_t len = rtp_make(pkt, 0, 1, 160, 0x1111);
	unsigned round, i;

	(void)state;
	for (round = 0; round < 50; round++) {
		for (i = 0; i < RP_ARRAY_LEN(s); i++) {
			s[i] = new_retry(r);
			if (i % 2 == 0)
				assert_int_equal(
				    media_stream_set_srtp(s[i], 0, &k, &k), 0);
			peer(s[i], 0, a.port, 0, false);
			peer(s[i], 1, a.port, 0, false);
			/* In flight while the stream goes away. */
			ep_send(&a, media_stream_port(s[i], 1), pkt, len);
		}
		assert_int_equal(media_relay_streams(r), RP_ARRAY_LEN(s));
		for (i = 0; i < RP_ARRAY_LEN(s); i++)
			media_stream_free(s[i]);
		assert_int_equal(media_relay_streams(r), 0);
	}
	/* Streams left to media_relay_free(). */
	for (i = 0; i < RP_ARRAY_LEN(s); i++) {
		s[i] = new_retry(r);
		assert_int_equal(media_stream_set_srtp(s[i], 1, &k, NULL), 0);
	}
	media_relay_free(r);
	close(a.fd);
}

static void
test_ipv6(void **state)
{
	struct media_relay_config cfg = {
	    .addr = "::1", .port_min = 32000, .port_max = 32099, .workers = 1};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6}, b6;
	struct sockaddr_storage pa, pb, to;
	struct media_relay *r = NULL;
	struct media_stream *s = NULL;
	socklen_t len = sizeof(a6);
	uint8_t pkt[256], got[256];
	int a, b, err;
	size_t n;

	(void)state;
	a6.sin6_addr = in6addr_loopback;
	a = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (a < 0 || bind(a, (struct sockaddr *)&a6, sizeof(a6)) != 0) {
		if (a >= 0)
			close(a);
		skip(); /* no IPv6 loopback here */
	}
	b = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(b, (struct sockaddr *)&a6, sizeof(a6)), 0);
	assert_int_equal(getsockname(a, (struct sockaddr *)&a6, &len), 0);
	len = sizeof(b6);
	assert_int_equal(getsockname(b, (struct sockaddr *)&b6, &len), 0);
	memset(&pa, 0, sizeof(pa));
	memset(&pb, 0, sizeof(pb));
	memcpy(&pa, &a6, sizeof(a6));
	memcpy(&pb, &b6, sizeof(b6));

	err = media_relay_new(&r, &cfg);
	assert_int_equal(err, 0);
	assert_string_equal(media_relay_addr(r), "::1");
	assert_int_equal(media_stream_new(r, &s), 0);
	assert_int_equal(media_stream_set_peer(s, 0, &pa, NULL, true), 0);
	assert_int_equal(media_stream_set_peer(s, 1, &pb, NULL, true), 0);
	to = pa;
	((struct sockaddr_in6 *)&to)->sin6_port =
	    htons(media_stream_port(s, 0));
	n = rtp_make(pkt, 0, 1, 160, 0x6666);
	assert_int_equal(sendto(a, pkt, n, 0, (struct sockaddr *)&to,
	                     sizeof(struct sockaddr_in6)),
	    (ssize_t)n);
	{
		struct pollfd pfd = {.fd = b, .events = POLLIN};

		assert_int_equal(poll(&pfd, 1, WAIT_MS), 1);
	}
	assert_int_equal(recv(b, got, sizeof(got), 0), (ssize_t)n);
	assert_memory_equal(got, pkt, n);
	media_stream_free(s);
	media_relay_free(r);
	close(a);
	close(b);
}

/* Every allocation failure of media_relay_new and media_stream_new is
 * reported, with nothing leaked. */
static void
test_oom(void **state)
{
	struct media_relay_config cfg = {
	    .port_min = 32100, .port_max = 32199, .workers = 2};
	struct media_relay *r = NULL;
	struct media_stream *s = NULL;
	unsigned long n;
	int err;

	(void)state;
	for (n = 1;; n++) {
		mem_fail_nth(n);
		err = media_relay_new(&r, &cfg);
		mem_fail_nth(0);
		if (err == 0)
			break;
		assert_int_equal(err, -ENOMEM);
	}
	assert_true(n > 1);
	mem_fail_nth(1);
	assert_int_equal(media_stream_new(r, &s), -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(media_relay_streams(r), 0);
	assert_int_equal(media_stream_new(r, &s), 0);
	{
		struct sockaddr_storage a = sa(5000);
		struct media_srtp_key k =
		    key_new(MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);

		mem_fail_nth(1);
		assert_int_equal(
		    media_stream_set_peer(s, 0, &a, NULL, false), -ENOMEM);
		mem_fail_nth(1);
		assert_int_equal(media_stream_set_srtp(s, 0, &k, &k), -ENOMEM);
		mem_fail_nth(0);
	}
	media_stream_free(s);
	media_relay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_invalid),
	    cmocka_unit_test(test_config_defaults),
	    cmocka_unit_test(test_set_peer_invalid),
	    cmocka_unit_test(test_srtp_keys),
	    cmocka_unit_test(test_rtp_both_ways),
	    cmocka_unit_test(test_rtcp_port),
	    cmocka_unit_test(test_rtcp_mux),
	    cmocka_unit_test(test_latching),
	    cmocka_unit_test(test_srtp_both_sides),
	    cmocka_unit_test(test_srtp_32),
	    cmocka_unit_test(test_srtp_gcm),
	    cmocka_unit_test(test_srtp_bridge),
	    cmocka_unit_test(test_srtp_bad_auth),
	    cmocka_unit_test(test_loss_and_counters),
	    cmocka_unit_test(test_port_exhaustion),
	    cmocka_unit_test(test_many_cycles),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_oom),
	};

	/* libsrtp2 plays the endpoints; the relay has its own SRTP. */
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
