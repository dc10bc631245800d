/* SRTP and SRTCP (RFC 3711) on OpenSSL's EVP interface, for the media
 * relay (R-CRYPTO-2).
 *
 * Suites: AES_CM_128_HMAC_SHA1_80 and _32 (RFC 4568; SRTCP keeps the
 * 80-bit tag for both, as RFC 4568 §6.2.2 and RFC 5764 specify) and
 * AEAD_AES_256_GCM (RFC 7714, 16-byte tag). Key derivation (RFC 3711
 * §4.3, key derivation rate 0) runs once, in rp_srtp_new(); a packet
 * then rekeys nothing and shares no state or lock with other contexts,
 * so its cost does not grow with the number of sessions.
 *
 * A context works in one direction: RP_SRTP_TX protects what the relay
 * sends, RP_SRTP_RX authenticates and decrypts what it receives. It
 * keeps state for up to RP_SRTP_SSRC_MAX sources (SSRCs): the
 * rollover counter (ROC) and a 128-packet replay window for SRTP, the
 * SRTCP index and its window for SRTCP. A receiver learns a new source
 * only from a packet that authenticates, so forged packets cannot fill
 * the table (a full table refuses new sources before any crypto work); sources
 * beyond the limit are refused, never evicted (eviction would reopen the replay
 * window, and on the transmit side reuse a keystream). A transmitter likewise
 * refuses to protect an index twice (a repeated or too old sequence number):
 * with AES-GCM a reused nonce would give away the authentication key.
 *
 * Packets come from the network: every length is checked, tags are
 * compared in constant time, and a packet that fails changes no state.
 *
 * Threads: a context belongs to one thread at a time (the relay worker
 * that owns the stream); contexts are independent of each other. */
#ifndef RP_MEDIA_SRTP_H
#define RP_MEDIA_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"

#define RP_SRTP_KEY_MAX 46u /* master key + master salt */
#define RP_SRTP_SSRC_MAX 8u /* sources per context */
#define RP_SRTP_WINDOW 128u /* replay window, packets */
/* The most rp_srtp_protect() and rp_srtp_protect_rtcp() add to a packet:
 * a 16-byte GCM tag plus the 4-byte SRTCP index. */
#define RP_SRTP_TRAILER_MAX 20u

enum rp_srtp_suite {
	RP_SRTP_AES_CM_128_HMAC_SHA1_80,
	RP_SRTP_AES_CM_128_HMAC_SHA1_32,
	RP_SRTP_AEAD_AES_256_GCM,
};

enum rp_srtp_dir {
	RP_SRTP_TX, /* protect */
	RP_SRTP_RX, /* unprotect */
};

struct rp_srtp;

/* Bytes of master key + master salt 'suite' takes (30 or 44), 0 for an
 * unknown suite. */
size_t rp_srtp_key_len(enum rp_srtp_suite suite);

/* On success *out is a new context; free it with rp_srtp_free(). 'key'
 * is master key || master salt, key_len bytes (rp_srtp_key_len(suite));
 * it is only read, and the derived session keys are wiped when the
 * context is freed. Returns 0, -EINVAL (unknown suite or direction,
 * wrong key length), -ENOMEM, or -EIO (OpenSSL refused). Any thread. */
int rp_srtp_new(struct rp_srtp **out, enum rp_srtp_suite suite,
    const uint8_t *key, size_t key_len, enum rp_srtp_dir dir) RP_MUST_CHECK;

/* Wipes the keys and frees the context. NULL is fine. */
void rp_srtp_free(struct rp_srtp *s);

/* Protects the RTP packet in buf[0..*len) in place and appends its tag;
 * 'cap' is the room in buf. On success *len grows by the tag length (4,
 * 10 or 16). Returns 0, -EINVAL (an RX context), -EBADMSG (not an RTP
 * packet: too short, not version 2, header past the end), -E2BIG (no
 * room for the tag), -EALREADY (this sequence number was already
 * protected, or is older than the window), -ENOSPC (a new source past
 * RP_SRTP_SSRC_MAX), -EOVERFLOW (the 2^48 packet index is spent: rekey)
 * or -EIO (OpenSSL failed: drop the packet). On any other failure buf
 * and *len are unchanged. */
int rp_srtp_protect(
    struct rp_srtp *s, uint8_t *buf, size_t *len, size_t cap) RP_MUST_CHECK;

/* Authenticates, checks for replay and decrypts the SRTP packet in
 * buf[0..*len) in place; on success *len loses the tag. Returns 0,
 * -EINVAL (a TX context), -EBADMSG (malformed, or the tag does not
 * match), -EALREADY (replayed or older than the window), -ENOSPC (a
 * new source past RP_SRTP_SSRC_MAX) or -EIO.
 * On failure *len is unchanged and no state moves; the payload bytes
 * may have been overwritten (with AES-GCM, which decrypts while it
 * verifies, they are zeroed) and must be dropped. */
int rp_srtp_unprotect(
    struct rp_srtp *s, uint8_t *buf, size_t *len) RP_MUST_CHECK;

/* The same for RTCP (RFC 3711 §3.4): encrypts all but the first 8
 * bytes, appends the E flag and 31-bit SRTCP index and the tag (80 bits
 * for the AES-CM suites, 16 bytes for GCM). Needs *len >= 8 and adds
 * 14 or 20 bytes. Same errors; -EOVERFLOW when the 2^31 SRTCP indexes
 * of a source are spent. */
int rp_srtp_protect_rtcp(
    struct rp_srtp *s, uint8_t *buf, size_t *len, size_t cap) RP_MUST_CHECK;

/* Authenticates, checks for replay and decrypts an SRTCP packet in
 * place; on success *len loses the index and tag. Packets without the
 * E flag (unencrypted SRTCP, never negotiated here) are refused with
 * -EBADMSG. Same errors and failure guarantees as rp_srtp_unprotect(). */
int rp_srtp_unprotect_rtcp(
    struct rp_srtp *s, uint8_t *buf, size_t *len) RP_MUST_CHECK;

/* Building blocks, public so that the RFC 3711 Appendix B test vectors
 * can check them. */

/* The AES-CM counter block of RFC 3711 §4.1.1: (salt * 2^16) XOR
 * (SSRC * 2^64) XOR (index * 2^16); 'salt' is 14 bytes. */
void rp_srtp_cm_iv(
    const uint8_t *salt, uint32_t ssrc, uint64_t index, uint8_t iv[16]);

/* XORs buf[0..len) with the AES-CTR keystream of 'key' (16 or 32 bytes)
 * from counter block 'iv'. Returns 0, -EINVAL or -EIO. */
int rp_srtp_aes_cm(const uint8_t *key, size_t key_len, const uint8_t iv[16],
    uint8_t *buf, size_t len) RP_MUST_CHECK;

/* RFC 3711 §4.3 with key derivation rate 0: out_len bytes of session
 * key 'label' (0-5) from the master key (16 or 32 bytes) and the
 * 14-byte master salt. Returns 0, -EINVAL or -EIO. */
int rp_srtp_kdf(const uint8_t *mkey, size_t mkey_len, const uint8_t *msalt,
    uint8_t label, uint8_t *out, size_t out_len) RP_MUST_CHECK;

#endif
