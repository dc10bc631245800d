/* Unit tests for SRTP/SRTCP on OpenSSL (R-CRYPTO-2): RFC 3711 Appendix B
 * vectors, and libsrtp2 as the reference implementation in both
 * directions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "core/mem.h"
#include "media/srtp.h"

#define BUF 2048
#define SSRC 0x11223344u

static const enum rp_srtp_suite suites[] = {
    RP_SRTP_AES_CM_128_HMAC_SHA1_80,
    RP_SRTP_AES_CM_128_HMAC_SHA1_32,
    RP_SRTP_AEAD_AES_256_GCM,
};

static unsigned
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	if (c >= 'A' && c <= 'F')
		return (unsigned)(c - 'A' + 10);
	fail_msg("bad hex digit %c", c);
	return 0;
}

static size_t
hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s[0] != '\0' && s[1] != '\0') {
		assert_true(n < cap);
		out[n++] = (uint8_t)(nibble(s[0]) << 4 | nibble(s[1]));
		s += 2;
	}
	return n;
}

static size_t
tag_len(enum rp_srtp_suite suite)
{
	switch (suite) {
	case RP_SRTP_AES_CM_128_HMAC_SHA1_80:
		return 10;
	case RP_SRTP_AES_CM_128_HMAC_SHA1_32:
		return 4;
	case RP_SRTP_AEAD_AES_256_GCM:
		return 16;
	}
	return 0;
}

static size_t
rtcp_trailer(enum rp_srtp_suite suite)
{
	return suite == RP_SRTP_AEAD_AES_256_GCM ? 20 : 14;
}

static void
key_make(enum rp_srtp_suite suite, uint8_t *key, uint8_t seed)
{
	size_t i;

	for (i = 0; i < rp_srtp_key_len(suite); i++)
		key[i] = (uint8_t)(seed + 7 * i);
}

static struct rp_srtp *
ours(enum rp_srtp_suite suite, const uint8_t *key, enum rp_srtp_dir dir)
{
	struct rp_srtp *s = NULL;

	assert_int_equal(
	    rp_srtp_new(&s, suite, key, rp_srtp_key_len(suite), dir), 0);
	return s;
}

/* A libsrtp2 session with the same 128-packet window. */
static srtp_t
lib(enum rp_srtp_suite suite, const uint8_t *key, bool inbound)
{
	uint8_t k[RP_SRTP_KEY_MAX];
	srtp_policy_t p;
	srtp_t ctx = NULL;

	memset(&p, 0, sizeof(p));
	switch (suite) {
	case RP_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		break;
	case RP_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
		break;
	case RP_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
		break;
	}
	memcpy(k, key, rp_srtp_key_len(suite));
	p.key = k;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = RP_SRTP_WINDOW;
	assert_int_equal(srtp_create(&ctx, &p), srtp_err_status_ok);
	return ctx;
}

/* An RTP packet with 'cc' CSRCs, an extension of 'ext' words (none if
 * negative) and 'payload' bytes. */
static size_t
rtp_make(uint8_t *p, uint16_t seq, uint32_t ssrc, unsigned cc, int ext,
    size_t payload)
{
	size_t n = 12, i;

	memset(p, 0, 12);
	p[0] = (uint8_t)(0x80 | (ext >= 0 ? 0x10 : 0) | cc);
	p[1] = 0x08;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
	p[4] = (uint8_t)(seq * 160u >> 8);
	p[8] = (uint8_t)(ssrc >> 24);
	p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8);
	p[11] = (uint8_t)ssrc;
	for (i = 0; i < 4 * (size_t)cc; i++)
		p[n++] = (uint8_t)(0xc0 + i);
	if (ext >= 0) {
		p[n++] = 0xbe;
		p[n++] = 0xde;
		p[n++] = 0;
		p[n++] = (uint8_t)ext;
		for (i = 0; i < 4 * (size_t)ext; i++)
			p[n++] = (uint8_t)(0xe0 + i);
	}
	for (i = 0; i < payload; i++)
		p[n++] = (uint8_t)(seq + 3 * i);
	return n;
}

/* A sender report with one report block and 'extra' bytes more. */
static size_t
rtcp_make(uint8_t *p, uint32_t ssrc, uint8_t fill, size_t extra)
{
	size_t n = 8 + 20 + 24 + extra, i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(fill + i);
	p[0] = 0x81;
	p[1] = 200;
	p[2] = (uint8_t)((n / 4 - 1) >> 8);
	p[3] = (uint8_t)(n / 4 - 1);
	p[4] = (uint8_t)(ssrc >> 24);
	p[5] = (uint8_t)(ssrc >> 16);
	p[6] = (uint8_t)(ssrc >> 8);
	p[7] = (uint8_t)ssrc;
	return n;
}

static int
lib_protect(srtp_t c, uint8_t *p, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st =
	    rtcp ? srtp_protect_rtcp(c, p, &n) : srtp_protect(c, p, &n);

	*len = (size_t)n;
	return st == srtp_err_status_ok ? 0 : -1;
}

static int
lib_unprotect(srtp_t c, uint8_t *p, size_t *len, bool rtcp)
{
	int n = (int)*len;
	srtp_err_status_t st =
	    rtcp ? srtp_unprotect_rtcp(c, p, &n) : srtp_unprotect(c, p, &n);

	*len = (size_t)n;
	return st == srtp_err_status_ok ? 0 : -1;
}

static int
our_protect(struct rp_srtp *s, uint8_t *p, size_t *len, bool rtcp)
{
	return rtcp ? rp_srtp_protect_rtcp(s, p, len, BUF)
	            : rp_srtp_protect(s, p, len, BUF);
}

static int
our_unprotect(struct rp_srtp *s, uint8_t *p, size_t *len, bool rtcp)
{
	return rtcp ? rp_srtp_unprotect_rtcp(s, p, len)
	            : rp_srtp_unprotect(s, p, len);
}

/* RFC 3711 B.2: the AES-CM keystream for SSRC 0, ROC 0, SEQ 0; blocks
 * 0-2 and 0xfeff-0xff01. */
static void
test_vector_b2(void **state)
{
	uint8_t key[16], salt[14], iv[16], ks[48], want[48];

	(void)state;
	hex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof(salt));
	rp_srtp_cm_iv(salt, 0, 0, iv);
	hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000", want, sizeof(want));
	assert_memory_equal(iv, want, 16);
	memset(ks, 0, sizeof(ks));
	assert_int_equal(rp_srtp_aes_cm(key, 16, iv, ks, sizeof(ks)), 0);
	hex("E03EAD0935C95E80E166B16DD92B4EB4"
	    "D23513162B02D0F72A43A2FE4A5F97AB"
	    "41E95B3BB0A2E8DD477901E4FCA894C0",
	    want, sizeof(want));
	assert_memory_equal(ks, want, 48);
	iv[14] = 0xfe;
	iv[15] = 0xff;
	memset(ks, 0, sizeof(ks));
	assert_int_equal(rp_srtp_aes_cm(key, 16, iv, ks, sizeof(ks)), 0);
	hex("EC8CDF7398607CB0F2D21675EA9EA1E4"
	    "362B7C3C6773516318A077D7FC5073AE"
	    "6A2CC3787889374FBEB4C81B17BA6C44",
	    want, sizeof(want));
	assert_memory_equal(ks, want, 48);
	/* SSRC and index land in bytes 4-7 and 8-13. */
	rp_srtp_cm_iv(salt, 0x01020304u, 0x0a0b0c0d0e0full, iv);
	hex("F0F1F2F3F5F7F5F3F2F2F6F6F2F20000", want, sizeof(want));
	assert_memory_equal(iv, want, 16);
	assert_int_equal(rp_srtp_aes_cm(key, 24, iv, ks, 16), -EINVAL);
}

/* RFC 3711 B.3: session keys from a master key, key derivation rate 0. */
static void
test_vector_b3(void **state)
{
	uint8_t mkey[16], msalt[14], got[94], want[94];

	(void)state;
	hex("E1F97A0D3E018BE0D64FA32C06DE4139", mkey, sizeof(mkey));
	hex("0EC675AD498AFEEBB6960B3AABE6", msalt, sizeof(msalt));
	assert_int_equal(rp_srtp_kdf(mkey, 16, msalt, 0, got, 16), 0);
	hex("C61E7A93744F39EE10734AFE3FF7A087", want, sizeof(want));
	assert_memory_equal(got, want, 16);
	assert_int_equal(rp_srtp_kdf(mkey, 16, msalt, 2, got, 14), 0);
	hex("30CBBC08863D8C85D49DB34A9AE1", want, sizeof(want));
	assert_memory_equal(got, want, 14);
	assert_int_equal(rp_srtp_kdf(mkey, 16, msalt, 1, got, 94), 0);
	hex("CEBE321F6FF7716B6FD4AB49AF256A15"
	    "6D38BAA48F0A0ACF3C34E2359E6CDBCE"
	    "E049646C43D9327AD175578EF7227098"
	    "6371C10C9A369AC2F94A8C5FBCDDDC25"
	    "6D6E919A48B610EF17C2041E47403576"
	    "6B68642C59BBFC2F34DB60DBDFB2",
	    want, sizeof(want));
	assert_memory_equal(got, want, 94);
	assert_int_equal(rp_srtp_kdf(mkey, 16, msalt, 6, got, 16), -EINVAL);
}

/* Protects the same packet with libsrtp2 and with ours: the bytes must
 * match, and each side's receiver must take the other's output. */
static void
interop_one(srtp_t ltx, struct rp_srtp *otx, srtp_t lrx, struct rp_srtp *orx,
    const uint8_t *plain, size_t len, size_t hl, size_t trailer, bool rtcp)
{
	uint8_t a[BUF], b[BUF];
	size_t la = len, lb = len;

	memcpy(a, plain, len);
	memcpy(b, plain, len);
	assert_int_equal(lib_protect(ltx, a, &la, rtcp), 0);
	assert_int_equal(our_protect(otx, b, &lb, rtcp), 0);
	assert_int_equal(la, len + trailer);
	assert_int_equal(lb, la);
	assert_memory_equal(a, b, la);
	assert_memory_equal(a, plain, hl); /* the header stays clear */
	if (len > hl)
		assert_memory_not_equal(a + hl, plain + hl, len - hl);
	/* libsrtp2 → ours, ours → libsrtp2. */
	assert_int_equal(our_unprotect(orx, a, &la, rtcp), 0);
	assert_int_equal(la, len);
	assert_memory_equal(a, plain, len);
	assert_int_equal(lib_unprotect(lrx, b, &lb, rtcp), 0);
	assert_int_equal(lb, len);
	assert_memory_equal(b, plain, len);
}

static void
interop(enum rp_srtp_suite suite)
{
	static const struct {
		unsigned cc;
		int ext;
		size_t payload;
	} shapes[] = {
	    {0, -1, 160}, {2, 3, 20}, {0, 0, 1}, {15, -1, 0}, {1, 200, 1000}};
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF];
	struct rp_srtp *otx, *orx;
	srtp_t ltx, lrx;
	size_t i, len;
	uint16_t seq = 4000;

	key_make(suite, key, 0x42);
	ltx = lib(suite, key, false);
	lrx = lib(suite, key, true);
	otx = ours(suite, key, RP_SRTP_TX);
	orx = ours(suite, key, RP_SRTP_RX);
	for (i = 0; i < 3 * RP_ARRAY_LEN(shapes); i++) {
		len = rtp_make(p, seq++, SSRC, shapes[i % 5].cc,
		    shapes[i % 5].ext, shapes[i % 5].payload);
		interop_one(ltx, otx, lrx, orx, p, len,
		    len - shapes[i % 5].payload, tag_len(suite), false);
	}
	for (i = 0; i < 5; i++) {
		len = rtcp_make(p, SSRC, (uint8_t)i, 4 * i);
		interop_one(
		    ltx, otx, lrx, orx, p, len, 8, rtcp_trailer(suite), true);
	}
	/* A second source in the same sessions. */
	len = rtp_make(p, 7, SSRC + 1, 0, -1, 160);
	interop_one(ltx, otx, lrx, orx, p, len, 12, tag_len(suite), false);
	len = rtcp_make(p, SSRC + 1, 9, 0);
	interop_one(ltx, otx, lrx, orx, p, len, 8, rtcp_trailer(suite), true);
	srtp_dealloc(ltx);
	srtp_dealloc(lrx);
	rp_srtp_free(otx);
	rp_srtp_free(orx);
}

static void
test_interop_sha1_80(void **state)
{
	(void)state;
	interop(RP_SRTP_AES_CM_128_HMAC_SHA1_80);
}

static void
test_interop_sha1_32(void **state)
{
	(void)state;
	interop(RP_SRTP_AES_CM_128_HMAC_SHA1_32);
}

static void
test_interop_gcm(void **state)
{
	(void)state;
	interop(RP_SRTP_AEAD_AES_256_GCM);
}

/* A packet with no payload still carries a tag (and, for GCM, the
 * header as AAD). */
static void
test_header_only(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX], a[BUF], b[BUF];
	struct rp_srtp *otx, *orx;
	srtp_t ltx, lrx;
	size_t i, la, lb;

	(void)state;
	for (i = 0; i < RP_ARRAY_LEN(suites); i++) {
		key_make(suites[i], key, 3);
		ltx = lib(suites[i], key, false);
		lrx = lib(suites[i], key, true);
		otx = ours(suites[i], key, RP_SRTP_TX);
		orx = ours(suites[i], key, RP_SRTP_RX);
		la = lb = rtp_make(a, 1, SSRC, 0, -1, 0);
		memcpy(b, a, la);
		assert_int_equal(lib_protect(ltx, a, &la, false), 0);
		assert_int_equal(our_protect(otx, b, &lb, false), 0);
		assert_int_equal(la, 12 + tag_len(suites[i]));
		assert_int_equal(lb, la);
		assert_memory_equal(a, b, la);
		assert_int_equal(our_unprotect(orx, a, &la, false), 0);
		assert_int_equal(la, 12);
		assert_int_equal(lib_unprotect(lrx, b, &lb, false), 0);
		srtp_dealloc(ltx);
		srtp_dealloc(lrx);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
	}
}

/* Sequence numbers run 65000 → 65535 → 0 → 1000: both transmitters
 * agree on the ROC (identical bytes) and our receiver follows. */
static void
test_roc_wrap(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF], a[BUF], b[BUF];
	struct rp_srtp *otx, *orx;
	srtp_t ltx, lrx;
	size_t i, k, len, la, lb;
	uint16_t seq;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		key_make(suites[k], key, (uint8_t)(0x90 + k));
		ltx = lib(suites[k], key, false);
		lrx = lib(suites[k], key, true);
		otx = ours(suites[k], key, RP_SRTP_TX);
		orx = ours(suites[k], key, RP_SRTP_RX);
		for (i = 0; i < 1536; i++) {
			seq = (uint16_t)(65000 + i);
			len = rtp_make(p, seq, SSRC, 0, -1, 40);
			la = lb = len;
			memcpy(a, p, len);
			memcpy(b, p, len);
			assert_int_equal(lib_protect(ltx, a, &la, false), 0);
			assert_int_equal(our_protect(otx, b, &lb, false), 0);
			assert_int_equal(lb, la);
			assert_memory_equal(a, b, la);
			if (i % 2 == 0) {
				assert_int_equal(
				    our_unprotect(orx, a, &la, false), 0);
				assert_memory_equal(a, p, len);
			} else {
				assert_int_equal(
				    lib_unprotect(lrx, b, &lb, false), 0);
			}
		}
		srtp_dealloc(ltx);
		srtp_dealloc(lrx);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
	}
}

/* Out of order around the wrap: 65535 after 0 belongs to ROC 0, 1 after
 * 65534 to ROC 1; a replay across the wrap is still caught. */
static void
test_roc_reorder(void **state)
{
	static const uint16_t order[] = {65530, 65533, 0, 65535, 2, 65534, 1,
	    65532, 3, 65531, 600, 65535, 0, 65400, 601};
	static const int want[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -EALREADY,
	    -EALREADY, -EALREADY, 0};
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF];
	static uint8_t wire[3000][64];
	static size_t wlen[3000];
	struct rp_srtp *orx;
	srtp_t ltx, lrx;
	size_t i, k, len;
	unsigned slot;
	int rc;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		key_make(suites[k], key, (uint8_t)(0x20 + k));
		ltx = lib(suites[k], key, false);
		lrx = lib(suites[k], key, true);
		orx = ours(suites[k], key, RP_SRTP_RX);
		/* The sender's packets 65000..65535, 0..1000 in order. */
		for (slot = 0; slot < 1536; slot++) {
			len = rtp_make(
			    p, (uint16_t)(65000 + slot), SSRC, 0, -1, 20);
			assert_int_equal(lib_protect(ltx, p, &len, false), 0);
			memcpy(wire[slot], p, len);
			wlen[slot] = len;
		}
		for (i = 0; i < RP_ARRAY_LEN(order); i++) {
			slot = (uint16_t)(order[i] - 65000);
			len = wlen[slot];
			memcpy(p, wire[slot], len);
			rc = our_unprotect(orx, p, &len, false);
			assert_int_equal(rc, want[i]);
			if (rc == 0)
				assert_int_equal(p[2] << 8 | p[3], order[i]);
			len = wlen[slot];
			memcpy(p, wire[slot], len);
			assert_int_equal(
			    lib_unprotect(lrx, p, &len, false) == 0,
			    want[i] == 0);
		}
		srtp_dealloc(ltx);
		srtp_dealloc(lrx);
		rp_srtp_free(orx);
	}
}

/* Jumps of more than 2^15 early in a stream: while the highest index is
 * below 2^15 the ROC stays 0 (there is no ROC -1), later a jump back
 * means the next ROC. Both transmitters agree, both receivers accept. */
static void
test_seq_jump(void **state)
{
	static const uint16_t seqs[] = {100, 40000, 40001, 5, 6, 7};
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF], a[BUF], b[BUF];
	struct rp_srtp *otx, *orx;
	srtp_t ltx, lrx;
	size_t i, k, len, la, lb;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		key_make(suites[k], key, (uint8_t)(0x50 + k));
		ltx = lib(suites[k], key, false);
		lrx = lib(suites[k], key, true);
		otx = ours(suites[k], key, RP_SRTP_TX);
		orx = ours(suites[k], key, RP_SRTP_RX);
		for (i = 0; i < RP_ARRAY_LEN(seqs); i++) {
			len = rtp_make(p, seqs[i], SSRC, 0, -1, 30);
			la = lb = len;
			memcpy(a, p, len);
			memcpy(b, p, len);
			assert_int_equal(lib_protect(ltx, a, &la, false), 0);
			assert_int_equal(our_protect(otx, b, &lb, false), 0);
			assert_memory_equal(a, b, la);
			assert_int_equal(our_unprotect(orx, a, &la, false), 0);
			assert_int_equal(lib_unprotect(lrx, b, &lb, false), 0);
		}
		srtp_dealloc(ltx);
		srtp_dealloc(lrx);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
	}
}

static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Thousands of packets across a wrap, delivered with reordering, loss,
 * duplicates and stale replays: our receiver takes exactly what
 * libsrtp2 (same 128-packet window) takes, with the same plaintext. */
static void
test_window_differential(void **state)
{
	enum {
		N = 4000
	};
	static uint8_t wire[N][64], plain[N][64];
	static size_t wlen[N], plen[N];
	uint8_t key[RP_SRTP_KEY_MAX], a[BUF], b[BUF];
	struct rp_srtp *orx;
	srtp_t ltx, lrx;
	uint32_t x = 2463534242u;
	size_t i, k, la, lb;
	unsigned slot, accepted = 0, refused = 0;
	int ro, rl, r;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		key_make(suites[k], key, (uint8_t)(0x60 + k));
		ltx = lib(suites[k], key, false);
		lrx = lib(suites[k], key, true);
		orx = ours(suites[k], key, RP_SRTP_RX);
		for (slot = 0; slot < N; slot++) {
			plen[slot] = rtp_make(plain[slot],
			    (uint16_t)(63000 + slot), SSRC, 0, -1, 16);
			memcpy(wire[slot], plain[slot], plen[slot]);
			wlen[slot] = plen[slot];
			assert_int_equal(
			    lib_protect(ltx, wire[slot], &wlen[slot], false),
			    0);
		}
		for (i = 0; i < 3 * N; i++) {
			r = (int)(i / 3) + (int)(rnd(&x) % 48) - 24;
			if (rnd(&x) % 16 == 0)
				r -= (int)(rnd(&x) % 400); /* stale */
			if (r < 0 || r >= N || rnd(&x) % 8 == 0)
				continue; /* lost */
			slot = (unsigned)r;
			la = lb = wlen[slot];
			memcpy(a, wire[slot], la);
			memcpy(b, wire[slot], lb);
			ro = our_unprotect(orx, a, &la, false);
			rl = lib_unprotect(lrx, b, &lb, false);
			assert_int_equal(ro == 0, rl == 0);
			if (ro == 0) {
				assert_int_equal(la, plen[slot]);
				assert_memory_equal(a, plain[slot], la);
				accepted++;
			} else {
				assert_int_equal(ro, -EALREADY);
				refused++;
			}
		}
		srtp_dealloc(ltx);
		srtp_dealloc(lrx);
		rp_srtp_free(orx);
	}
	assert_true(accepted > 3 * N / 2);
	assert_true(refused > 1000);
}

static void
test_replay(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF];
	static uint8_t wire[300][256];
	static size_t wlen[300];
	struct rp_srtp *otx, *orx;
	size_t k, len;
	unsigned i;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		key_make(suites[k], key, 1);
		otx = ours(suites[k], key, RP_SRTP_TX);
		orx = ours(suites[k], key, RP_SRTP_RX);
		for (i = 0; i < 300; i++) {
			len = rtp_make(p, (uint16_t)(10 + i), SSRC, 0, -1, 100);
			assert_int_equal(our_protect(otx, p, &len, false), 0);
			memcpy(wire[i], p, len);
			wlen[i] = len;
		}
		/* Everything up to 250 but 150 and 200. */
		for (i = 0; i <= 250; i++) {
			if (i == 150 || i == 200)
				continue;
			len = wlen[i];
			memcpy(p, wire[i], len);
			assert_int_equal(our_unprotect(orx, p, &len, false), 0);
		}
		len = wlen[250];
		memcpy(p, wire[250], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), -EALREADY);
		assert_int_equal(len, wlen[250]);
		/* 200 is 50 behind: in the window, once. */
		len = wlen[200];
		memcpy(p, wire[200], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), 0);
		len = wlen[200];
		memcpy(p, wire[200], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), -EALREADY);
		/* 150 is 100 behind: in; 122 is 128 behind: out. */
		len = wlen[150];
		memcpy(p, wire[150], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), 0);
		len = wlen[123];
		memcpy(p, wire[123], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), -EALREADY);
		len = wlen[122];
		memcpy(p, wire[122], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), -EALREADY);
		/* A jump far ahead clears the window. */
		len = wlen[299];
		memcpy(p, wire[299], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), 0);
		len = wlen[251];
		memcpy(p, wire[251], len);
		assert_int_equal(our_unprotect(orx, p, &len, false), 0);
		/* The sender never protects an index twice. */
		len = rtp_make(p, 10, SSRC, 0, -1, 100);
		assert_int_equal(our_protect(otx, p, &len, false), -EALREADY);
		len = rtp_make(p, 200, SSRC, 0, -1, 100);
		assert_int_equal(our_protect(otx, p, &len, false), -EALREADY);
		len = rtp_make(p, 310, SSRC, 0, -1, 100);
		assert_int_equal(our_protect(otx, p, &len, false), 0);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
	}
}

/* Changes one byte of a valid packet: refused, and nothing changed, so
 * the genuine packet still goes through afterwards. */
static void
tamper(enum rp_srtp_suite suite, bool rtcp)
{
	uint8_t key[RP_SRTP_KEY_MAX], wire[BUF], p[BUF];
	struct rp_srtp *otx, *orx;
	size_t wl, len, pos;
	size_t plain_len;
	int rc;

	key_make(suite, key, 0x77);
	otx = ours(suite, key, RP_SRTP_TX);
	orx = ours(suite, key, RP_SRTP_RX);
	plain_len = rtcp ? rtcp_make(wire, SSRC, 5, 8)
	                 : rtp_make(wire, 1234, SSRC, 1, 1, 64);
	wl = plain_len;
	assert_int_equal(our_protect(otx, wire, &wl, rtcp), 0);
	for (pos = 0; pos < wl; pos++) {
		memcpy(p, wire, wl);
		p[pos] ^= 0x01;
		len = wl;
		rc = our_unprotect(orx, p, &len, rtcp);
		/* The version bits and the RTP header lengths fail the
		 * parse, an SSRC change makes a new source: all refused. */
		assert_int_equal(rc, -EBADMSG);
		assert_int_equal(len, wl);
		if (suite == RP_SRTP_AEAD_AES_256_GCM && pos >= 40 &&
		    pos < plain_len)
			assert_int_equal(p[pos], 0); /* never released */
	}
	/* Cut short by one byte, or to nothing but a tag. */
	memcpy(p, wire, wl);
	len = wl - 1;
	assert_int_equal(our_unprotect(orx, p, &len, rtcp), -EBADMSG);
	len = rtcp ? 8 + rtcp_trailer(suite) - 1 : 12 + tag_len(suite) - 1;
	assert_int_equal(our_unprotect(orx, p, &len, rtcp), -EBADMSG);
	len = 0;
	assert_int_equal(our_unprotect(orx, p, &len, rtcp), -EBADMSG);
	memcpy(p, wire, wl);
	len = wl;
	assert_int_equal(our_unprotect(orx, p, &len, rtcp), 0);
	assert_int_equal(len, plain_len);
	len = wl;
	memcpy(p, wire, wl);
	assert_int_equal(our_unprotect(orx, p, &len, rtcp), -EALREADY);
	rp_srtp_free(otx);
	rp_srtp_free(orx);
}

static void
test_tamper(void **state)
{
	size_t k;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		tamper(suites[k], false);
		tamper(suites[k], true);
	}
}

/* SRTCP: indexes, replay, the E flag, room for the trailer. */
static void
test_rtcp(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF], wire[3][BUF], keep[BUF];
	struct rp_srtp *otx, *orx;
	size_t k, len, wl[3], i, trailer;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		trailer = rtcp_trailer(suites[k]);
		key_make(suites[k], key, 0x33);
		otx = ours(suites[k], key, RP_SRTP_TX);
		orx = ours(suites[k], key, RP_SRTP_RX);
		for (i = 0; i < 3; i++) {
			wl[i] = rtcp_make(wire[i], SSRC, (uint8_t)i, 0);
			assert_int_equal(
			    our_protect(otx, wire[i], &wl[i], true), 0);
		}
		/* Index 1, 2, 3 with E set, just before the GCM tag or
		 * after the HMAC input. */
		for (i = 0; i < 3; i++) {
			size_t at = suites[k] == RP_SRTP_AEAD_AES_256_GCM
			                ? wl[i] - 4
			                : wl[i] - trailer;

			assert_int_equal(wire[i][at], 0x80);
			assert_int_equal(wire[i][at + 3], i + 1);
		}
		len = wl[2];
		memcpy(p, wire[2], len);
		assert_int_equal(our_unprotect(orx, p, &len, true), 0);
		len = wl[0];
		memcpy(p, wire[0], len);
		assert_int_equal(our_unprotect(orx, p, &len, true), 0);
		len = wl[0];
		memcpy(p, wire[0], len);
		assert_int_equal(our_unprotect(orx, p, &len, true), -EALREADY);
		/* E cleared: never accepted. */
		len = wl[1];
		memcpy(p, wire[1], len);
		p[suites[k] == RP_SRTP_AEAD_AES_256_GCM ? len - 4
		                                        : len - trailer] = 0;
		assert_int_equal(our_unprotect(orx, p, &len, true), -EBADMSG);
		len = wl[1];
		memcpy(p, wire[1], len);
		assert_int_equal(our_unprotect(orx, p, &len, true), 0);
		/* Too short to protect, or no room for the trailer. */
		memcpy(p, wire[0], 7);
		len = 7;
		assert_int_equal(
		    rp_srtp_protect_rtcp(otx, p, &len, BUF), -EBADMSG);
		len = rtcp_make(p, SSRC, 1, 0);
		memcpy(keep, p, len);
		assert_int_equal(
		    rp_srtp_protect_rtcp(otx, p, &len, len + trailer - 1),
		    -E2BIG);
		assert_memory_equal(p, keep, len);
		assert_int_equal(
		    rp_srtp_protect_rtcp(otx, p, &len, len + trailer), 0);
		/* Contexts work one way. */
		len = wl[0];
		assert_int_equal(rp_srtp_unprotect_rtcp(otx, p, &len), -EINVAL);
		assert_int_equal(
		    rp_srtp_protect_rtcp(orx, p, &len, BUF), -EINVAL);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
	}
}

/* The source table holds RP_SRTP_SSRC_MAX sources; forged packets from
 * unknown sources take no slot. */
static void
test_many_ssrcs(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX], other[RP_SRTP_KEY_MAX], p[BUF];
	struct rp_srtp *otx, *orx, *forger;
	srtp_t ltx;
	size_t k, len;
	uint32_t i;

	(void)state;
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		key_make(suites[k], key, 0x10);
		key_make(suites[k], other, 0x11);
		otx = ours(suites[k], key, RP_SRTP_TX);
		orx = ours(suites[k], key, RP_SRTP_RX);
		forger = ours(suites[k], other, RP_SRTP_TX);
		ltx = lib(suites[k], key, false);
		for (i = 0; i < 3 * RP_SRTP_SSRC_MAX; i++) {
			len = rtp_make(p, 1, 0x5000 + i, 0, -1, 32);
			assert_int_equal(our_protect(forger, p, &len, false),
			    i < RP_SRTP_SSRC_MAX ? 0 : -ENOSPC);
			if (i >= RP_SRTP_SSRC_MAX)
				continue;
			assert_int_equal(
			    our_unprotect(orx, p, &len, false), -EBADMSG);
		}
		for (i = 0; i <= RP_SRTP_SSRC_MAX; i++) {
			len = rtp_make(p, 1, 0x100 + i, 0, -1, 32);
			assert_int_equal(our_protect(otx, p, &len, false),
			    i < RP_SRTP_SSRC_MAX ? 0 : -ENOSPC);
			len = rtp_make(p, 1, 0x100 + i, 0, -1, 32);
			assert_int_equal(lib_protect(ltx, p, &len, false), 0);
			assert_int_equal(our_unprotect(orx, p, &len, false),
			    i < RP_SRTP_SSRC_MAX ? 0 : -ENOSPC);
			len = rtcp_make(p, 0x100 + i, 0, 0);
			assert_int_equal(our_protect(otx, p, &len, true),
			    i < RP_SRTP_SSRC_MAX ? 0 : -ENOSPC);
		}
		/* Known sources keep working, RTP and RTCP. */
		len = rtp_make(p, 2, 0x100, 0, -1, 32);
		assert_int_equal(our_protect(otx, p, &len, false), 0);
		assert_int_equal(our_unprotect(orx, p, &len, false), 0);
		len = rtcp_make(p, 0x101, 0, 0);
		assert_int_equal(our_protect(otx, p, &len, true), 0);
		assert_int_equal(our_unprotect(orx, p, &len, true), 0);
		srtp_dealloc(ltx);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
		rp_srtp_free(forger);
	}
}

/* Malformed RTP and API misuse. */
static void
test_errors(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX], p[BUF], keep[BUF];
	struct rp_srtp *otx, *orx, *s = NULL;
	size_t k, len;

	(void)state;
	key_make(RP_SRTP_AEAD_AES_256_GCM, key, 9);
	assert_int_equal(rp_srtp_key_len((enum rp_srtp_suite)7), 0);
	assert_int_equal(
	    rp_srtp_new(&s, (enum rp_srtp_suite)7, key, 30, RP_SRTP_TX),
	    -EINVAL);
	assert_int_equal(rp_srtp_new(&s, RP_SRTP_AES_CM_128_HMAC_SHA1_80, key,
	                     44, RP_SRTP_TX),
	    -EINVAL);
	assert_int_equal(
	    rp_srtp_new(&s, RP_SRTP_AEAD_AES_256_GCM, key, 30, RP_SRTP_TX),
	    -EINVAL);
	assert_int_equal(rp_srtp_new(&s, RP_SRTP_AES_CM_128_HMAC_SHA1_80, key,
	                     30, (enum rp_srtp_dir)5),
	    -EINVAL);
	assert_int_equal(rp_srtp_new(NULL, RP_SRTP_AES_CM_128_HMAC_SHA1_80, key,
	                     30, RP_SRTP_TX),
	    -EINVAL);
	assert_int_equal(rp_srtp_new(&s, RP_SRTP_AES_CM_128_HMAC_SHA1_80, NULL,
	                     30, RP_SRTP_TX),
	    -EINVAL);
	assert_null(s);
	rp_srtp_free(NULL);
	for (k = 0; k < RP_ARRAY_LEN(suites); k++) {
		otx = ours(suites[k], key, RP_SRTP_TX);
		orx = ours(suites[k], key, RP_SRTP_RX);
		len = rtp_make(p, 1, SSRC, 0, -1, 10);
		assert_int_equal(rp_srtp_protect(orx, p, &len, BUF), -EINVAL);
		assert_int_equal(rp_srtp_unprotect(otx, p, &len), -EINVAL);
		assert_int_equal(
		    rp_srtp_protect(otx, p, &len, len - 1), -EINVAL);
		assert_int_equal(rp_srtp_protect(NULL, p, &len, BUF), -EINVAL);
		assert_int_equal(
		    rp_srtp_protect(otx, NULL, &len, BUF), -EINVAL);
		assert_int_equal(rp_srtp_unprotect(orx, p, NULL), -EINVAL);
		/* No room for the tag: untouched. */
		memcpy(keep, p, len);
		assert_int_equal(
		    rp_srtp_protect(otx, p, &len, len + tag_len(suites[k]) - 1),
		    -E2BIG);
		assert_int_equal(len, 22);
		assert_memory_equal(p, keep, len);
		/* Not version 2; short; CSRCs or extension past the end. */
		p[0] = 0x40;
		assert_int_equal(rp_srtp_protect(otx, p, &len, BUF), -EBADMSG);
		len = 11;
		p[0] = 0x80;
		assert_int_equal(rp_srtp_protect(otx, p, &len, BUF), -EBADMSG);
		len = rtp_make(p, 1, SSRC, 3, -1, 0) - 1;
		assert_int_equal(rp_srtp_protect(otx, p, &len, BUF), -EBADMSG);
		len = rtp_make(p, 1, SSRC, 0, 2, 0) - 1;
		assert_int_equal(rp_srtp_protect(otx, p, &len, BUF), -EBADMSG);
		len = 14;
		p[0] = 0x90;
		assert_int_equal(rp_srtp_protect(otx, p, &len, BUF), -EBADMSG);
		len = 70000;
		assert_int_equal(
		    rp_srtp_protect(otx, p, &len, 80000), -EBADMSG);
		assert_int_equal(rp_srtp_unprotect(orx, p, &len), -EBADMSG);
		/* The header must leave room for the tag on receipt. */
		len = rtp_make(p, 1, SSRC, 2, -1, 0) + tag_len(suites[k]) - 4;
		assert_int_equal(rp_srtp_unprotect(orx, p, &len), -EBADMSG);
		rp_srtp_free(otx);
		rp_srtp_free(orx);
	}
}

static void
test_oom(void **state)
{
	uint8_t key[RP_SRTP_KEY_MAX];
	struct rp_srtp *s = NULL;

	(void)state;
	key_make(RP_SRTP_AES_CM_128_HMAC_SHA1_80, key, 1);
	mem_fail_nth(1);
	assert_int_equal(rp_srtp_new(&s, RP_SRTP_AES_CM_128_HMAC_SHA1_80, key,
	                     30, RP_SRTP_RX),
	    -ENOMEM);
	mem_fail_nth(0);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector_b2),
	    cmocka_unit_test(test_vector_b3),
	    cmocka_unit_test(test_interop_sha1_80),
	    cmocka_unit_test(test_interop_sha1_32),
	    cmocka_unit_test(test_interop_gcm),
	    cmocka_unit_test(test_header_only),
	    cmocka_unit_test(test_roc_wrap),
	    cmocka_unit_test(test_roc_reorder),
	    cmocka_unit_test(test_seq_jump),
	    cmocka_unit_test(test_window_differential),
	    cmocka_unit_test(test_replay),
	    cmocka_unit_test(test_tamper),
	    cmocka_unit_test(test_rtcp),
	    cmocka_unit_test(test_many_ssrcs),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_oom),
	};

	if (srtp_init() != srtp_err_status_ok)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
