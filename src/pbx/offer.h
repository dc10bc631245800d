/* SDP offer/answer across the two legs of a call (RFC 3264, R-CALL-2,
 * R-CRYPTO-2).
 *
 * rempart relays one audio stream per call. One exchange is one offer
 * and its answer: the offerer's SDP is read (offer_parse_offer), an offer
 * for the other leg is built from it (offer_build_offer), the other
 * leg's answer is read (offer_parse_answer) and the answer for the
 * offerer is built (offer_build_answer). Leg 0 is the offerer, leg 1 the
 * answerer: for an initial INVITE that is leg A then leg B, for a
 * re-INVITE from the callee the other way round; the caller maps legs
 * to relay sides.
 *
 * What one leg sees never holds the other's addresses: every SDP built
 * here carries only our own o=, c= and port, the relayed stream's
 * codecs, rtpmap/fmtp/ptime lines and direction, and our own a=crypto
 * keys. ICE, DTLS, rtcp-mux, a=rtcp and unknown attributes are dropped,
 * other m= lines are kept with port 0 so that m= lines keep their order.
 *
 * SRTP: SDES only (RFC 4568) with AES_CM_128_HMAC_SHA1_80,
 * AES_CM_128_HMAC_SHA1_32 and AEAD_AES_256_GCM (RFC 7714); one key per
 * line, no MKI, lifetime absent or 2^31, no session parameters. An
 * RTP/AVP offer with a usable a=crypto is taken as SRTP-capable (best
 * effort SRTP, as some phones do) and answered with SRTP. DTLS-SRTP
 * (UDP/TLS/RTP/SAVP[F]) is not supported: such a stream is not
 * acceptable. The caller supplies every key rempart announces.
 *
 * Errors (every int function): 0; -EBADMSG the SDP does not parse;
 * -EPROTO not acceptable (no usable audio stream, no codec left, SRTP
 * required but not offered, an SDP limit of sip/sdp.h exceeded, an
 * answer that does not match our offer); -ENOMEM; -EINVAL a caller's
 * mistake (bad relay address, key of the wrong suite or length, steps
 * out of order). offer_status() maps them to a SIP status: malformed
 * SDP is answered 488 like unacceptable SDP, since it is the body, not
 * the request, that fails (RFC 3261 §21.4.26). An unusable answer from
 * the answerer fails the call: the offerer gets 488.
 *
 * Keys are secrets: they are never logged, and every copy held here is
 * wiped when the exchange is freed. Pure functions: no I/O, no clock, no
 * randomness; an exchange belongs to one thread at a time. */
#ifndef RP_PBX_OFFER_H
#define RP_PBX_OFFER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "media/relay.h"
#include "sip/sdp.h"

/* Payload types kept for the relayed stream. */
#define OFFER_CODECS_MAX SDP_FORMATS_MAX
/* a=crypto lines in an offer we build: one per supported suite. */
#define OFFER_SUITES_MAX 3u

/* What one user accepts. Views are borrowed for each call only. */
struct offer_policy {
	bool srtp_required;
	/* Encoding names ("PCMA", "opus"), compared case-insensitively;
	 * codec_count 0 allows any codec. telephone-event (RFC 4733) is
	 * kept whenever another codec is. */
	const struct sv *codecs;
	unsigned codec_count;
};

/* What rempart writes in an SDP for one leg. */
struct offer_local {
	struct sv addr; /* relay address: IPv4 or IPv6 literal (c=, o=) */
	uint16_t port;  /* relay RTP port facing this leg; RTCP is port + 1 */
	/* o= of this leg (RFC 3264 §5): the id stays for the dialog, the
	 * version grows with each new SDP. Digits, up to 20. */
	uint64_t sess_id;
	uint64_t sess_version;
};

/* Longest encoding name kept; longer ones count as unknown. */
#define OFFER_ENCODING_MAX 32u

/* One payload type of the relayed stream. */
struct offer_codec {
	uint8_t pt;
	/* "PCMU", NUL-terminated; empty when unknown (no a=rtpmap). */
	char encoding[OFFER_ENCODING_MAX];
	uint32_t clock_rate; /* 0 when unknown */
	uint32_t channels;   /* 0 when not given */
};

/* What rempart offers a leg (R-CRYPTO-2: SRTP offered, required by
 * policy). */
enum offer_srtp {
	OFFER_SRTP_OFF,      /* RTP/AVP, no a=crypto */
	OFFER_SRTP_OPTIONAL, /* RTP/AVP with a=crypto: plain or SRTP answers */
	OFFER_SRTP_REQUIRED, /* RTP/SAVP with a=crypto: SRTP answers only */
};

/* One endpoint of the relayed stream, as its SDP describes it: what the
 * relay side facing it needs. Plain data, safe to copy (it holds keys:
 * wipe copies). */
struct offer_endpoint {
	struct sockaddr_storage rtp;  /* address and port, from c= and m= */
	struct sockaddr_storage rtcp; /* a=rtcp, else RTP port + 1 */
	/* RTCP on the RTP port (RFC 5761). Always false: rempart neither
	 * offers nor answers a=rtcp-mux, so the endpoint sends RTCP apart. */
	bool rtcp_mux;
	/* c=0.0.0.0 (or ::): send it nothing (RFC 3264 §8.4); 'rtp' and
	 * 'rtcp' are unspecified addresses and must not be used as a peer. */
	bool held;
	/* Its direction (sendonly: it only sends), with 'held' applied;
	 * for the answerer, limited to what our offer allowed. */
	enum sdp_direction dir;
	bool srtp;
	uint32_t crypto_tag;          /* the a=crypto line in use */
	struct media_srtp_key rx_key; /* its key: decrypts what it sends */
	/* Our key toward it: encrypts what it receives. Set by
	 * offer_build_answer() for the offerer and by offer_parse_answer()
	 * for the answerer. */
	struct media_srtp_key tx_key;
	struct offer_codec codecs[OFFER_CODECS_MAX]; /* its m= order */
	unsigned codec_count;
};

struct offer_exchange;

/* Reads the offerer's SDP 'body' against its user's policy. The stream
 * relayed is the first m=audio with an RTP profile, a non-zero port, a
 * literal unicast address and something acceptable to 'pol'. 'body' is
 * copied. On success *out is new: free it with offer_exchange_free().
 * Returns 0, -EBADMSG, -EPROTO or -ENOMEM. */
int offer_parse_offer(struct offer_exchange **out, struct sv body,
    const struct offer_policy *pol) RP_MUST_CHECK;

/* Wipes every key and SDP copy, then frees. NULL is fine. */
void offer_exchange_free(struct offer_exchange *x);

/* Leg 0 (offerer) or 1 (answerer), or NULL while unknown (leg 1 before
 * offer_parse_answer()). Valid until the next call on 'x'. */
const struct offer_endpoint *offer_endpoint(
    const struct offer_exchange *x, unsigned leg);

/* Appends to 'out' the offer for the answerer's leg: the offerer's codecs
 * that 'pol' (the answerer's policy) also allows, in the offerer's order,
 * its direction, our 'local' address, port and o=. Unless 'srtp' is
 * OFFER_SRTP_OFF, one a=crypto per key (tags 1..key_count, in the order
 * given; 1 to OFFER_SUITES_MAX keys of distinct suites, rempart's own for
 * this leg); 'keys' is ignored otherwise. May be called again (forks):
 * the last call is what offer_parse_answer() checks against. Returns 0,
 * -EPROTO (no codec left, or 'pol' requires SRTP and 'srtp' is not
 * OFFER_SRTP_REQUIRED), -EINVAL, -ENOMEM or -E2BIG (out's cap); out->len
 * is then restored. */
int offer_build_offer(struct offer_exchange *x, const struct offer_policy *pol,
    const struct offer_local *local, enum offer_srtp srtp,
    const struct media_srtp_key *keys, unsigned key_count,
    struct buf *out) RP_MUST_CHECK;

/* Reads the answerer's SDP against the offer last built: same m= lines,
 * the relayed stream accepted with codecs we offered, and SRTP as
 * offered: with OFFER_SRTP_REQUIRED, RTP/SAVP and an a=crypto answering
 * one of our tags with its suite (our key of that tag becomes leg 1's
 * tx_key); with OFFER_SRTP_OPTIONAL, the same or RTP/AVP without
 * a=crypto; with OFFER_SRTP_OFF, RTP/AVP without a=crypto. 'body' is
 * copied. May be called again (183 then 200): the last answer wins.
 * Returns 0, -EBADMSG, -EPROTO, -EINVAL (no offer built yet) or
 * -ENOMEM. */
int offer_parse_answer(struct offer_exchange *x, struct sv body) RP_MUST_CHECK;

/* Appends to 'out' the answer for the offerer: its m= lines (the others
 * with port 0), its proto, the codecs the answerer accepted in the
 * offerer's order, the answerer's direction, our 'local' address, port
 * and o=. When the offerer uses SRTP, one a=crypto answering its tag and
 * suite with 'key' (rempart's own for this leg), which must be of the
 * suite of leg 0's rx_key; it becomes leg 0's tx_key. 'key' is ignored
 * for plain RTP. Returns 0, -EINVAL (no answer read yet, bad key or
 * address), -ENOMEM or -E2BIG; out->len is then restored. */
int offer_build_answer(struct offer_exchange *x,
    const struct offer_local *local, const struct media_srtp_key *key,
    struct buf *out) RP_MUST_CHECK;

/* The SIP status for an error of this module: 488 for -EBADMSG, -EPROTO
 * and -E2BIG, 503 for -ENOMEM, 500 otherwise. */
int offer_status(int err);

#endif
