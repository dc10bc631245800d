/* The media relay: rempart anchors every call's RTP and RTCP (R-CRYPTO-2,
 * DESIGN.md "Threads").
 *
 * A stream relays one media line (m=) of a call between two sides: side
 * 0 faces the caller's leg, side 1 the callee's. Each side owns an RTP
 * socket on an even port and an RTCP socket on the next (odd) port of
 * the relay address, taken from the configured range. What arrives on
 * one side's sockets is sent from the other side's sockets to that
 * side's peer, so each endpoint only ever sees the relay.
 *
 * SRTP (RFC 3711, SDES keys from RFC 4568): each side has its own
 * receive key (the one its endpoint announced, to authenticate and
 * decrypt what it sends) and its own transmit key (the one rempart
 * announced to it, to encrypt what it receives). Keys are never shared
 * between sides, so an SRTP side may be bridged to a plain RTP side.
 * Packets that fail SRTP authentication are dropped and counted.
 *
 * Latching (symmetric RTP, NAT): a side sends to the peer address given
 * by signalling until a packet arrives on its RTP socket; the source of
 * the first valid packet (for SRTP: the first that authenticates)
 * becomes the peer, and packets from other sources are then dropped.
 * RTCP latches the same way on its own socket. A side latches only once
 * signalling gave it a peer, so a port scan before the answer cannot
 * capture the media.
 *
 * RTP and RTCP share the RTP socket when RTCP arrives there (RFC 5761
 * §4: payload types 64-95 are RTCP); it goes to the other side's RTCP
 * destination (its RTP address when that side uses rtcp-mux).
 *
 * Threads: the relay runs 'workers' threads, each with its own epoll; a
 * stream's sockets all live on one worker, chosen at creation. The
 * functions below are called from one control thread (the signalling
 * loop); they open and bind sockets there (so errors are synchronous)
 * and pass commands to the worker through a queue (core/queue.h). The
 * counters are written by the worker and read with atomic loads. */
#ifndef RP_MEDIA_RELAY_H
#define RP_MEDIA_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/compiler.h"

#define MEDIA_PORT_MIN_DEFAULT 20000u
#define MEDIA_PORT_MAX_DEFAULT 29999u
/* SRTP master key + master salt: 16 + 14 bytes for AES-CM-128, 32 + 12
 * for AEAD-AES-256-GCM. */
#define MEDIA_SRTP_KEY_MAX 46u
#define MEDIA_WORKERS_MAX 256u

enum media_srtp_suite {
	MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, /* RFC 4568 */
	MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32,
	MEDIA_SRTP_AEAD_AES_256_GCM, /* RFC 7714 */
};

struct media_srtp_key {
	enum media_srtp_suite suite;
	uint8_t key[MEDIA_SRTP_KEY_MAX]; /* master key || master salt */
	size_t key_len;                  /* must be media_srtp_key_len(suite) */
};

struct media_relay_config {
	/* The address the relay binds (IPv4 or IPv6 literal) and announces
	 * in SDP. NULL: "127.0.0.1". */
	const char *addr;
	uint16_t port_min; /* even; 0: MEDIA_PORT_MIN_DEFAULT */
	uint16_t port_max; /* 0: MEDIA_PORT_MAX_DEFAULT */
	unsigned workers;  /* 0: one per online CPU */
};

struct media_stream_stats {
	uint64_t rx_packets; /* valid RTP packets received on this side */
	uint64_t rx_bytes;
	uint64_t tx_packets; /* RTP packets sent to this side's peer */
	uint64_t tx_bytes;
	uint64_t rtcp_packets;  /* RTCP received on this side */
	uint64_t dropped;       /* wrong source, malformed, nowhere to send yet,
	                         * send failed: received but not relayed */
	uint64_t srtp_failures; /* failed authentication or replay */
	uint64_t lost;          /* sequence gaps (RFC 3550 A.3) */
	/* RFC 3550 A.8, in timestamp units. The relay does not know the
	 * codec, so arrival times are counted at 8000 Hz (G.711, G.722):
	 * for other clock rates the value is scaled by 8000 / rate. */
	uint32_t jitter_ts;
	int64_t last_rx_ms; /* CLOCK_MONOTONIC ms of the last valid
	                     * packet, 0 if none yet */
	bool latched;
};

struct media_relay;
struct media_stream;

/* Bytes of master key + salt a suite needs (30 or 44). */
size_t media_srtp_key_len(enum media_srtp_suite suite);

/* Starts the workers. 'cfg' NULL means all defaults. Returns 0, -EINVAL
 * (bad address or range: port_min odd or above port_max, fewer than 4
 * ports, more than MEDIA_WORKERS_MAX workers), -ENOMEM, or the errno of
 * a thread or epoll initialisation. */
int media_relay_new(struct media_relay **out,
    const struct media_relay_config *cfg) RP_MUST_CHECK;
/* Stops the workers and closes every stream's sockets (streams not yet
 * freed are freed). NULL is fine. */
void media_relay_free(struct media_relay *r);
/* The address the relay announces, as text (no brackets). */
const char *media_relay_addr(const struct media_relay *r);
/* Live streams. */
size_t media_relay_streams(const struct media_relay *r);

/* Opens the four sockets of a new stream (two even/odd port pairs from
 * the range, round-robin over free ports; ports another process holds
 * are skipped) and gives it to a worker. Nothing is relayed until a side
 * has a peer. Returns 0, -EADDRINUSE (no free port pair left), -EAGAIN
 * (the worker's queue is full; the sockets are closed), -ENOMEM or
 * another negative errno. */
int media_stream_new(
    struct media_relay *r, struct media_stream **out) RP_MUST_CHECK;
/* The RTP port of side 0 or 1 (its RTCP port is this + 1). */
uint16_t media_stream_port(const struct media_stream *s, unsigned side);

/* Sets where side 'side' sends, from signalling (the endpoint's SDP):
 * 'rtp' and 'rtcp' (NULL: RTP port + 1, or the RTP address itself when
 * rtcp_mux). A new peer address clears the latch. Returns 0, -EINVAL or
 * -EAGAIN (the worker's queue is full; try again later). */
int media_stream_set_peer(struct media_stream *s, unsigned side,
    const struct sockaddr_storage *rtp, const struct sockaddr_storage *rtcp,
    bool rtcp_mux) RP_MUST_CHECK;

/* Sets the SRTP keys of side 'side': 'rx' decrypts what its endpoint
 * sends, 'tx' encrypts what is sent to it. NULL for either means plain
 * RTP in that direction. Keys are copied into the command; the worker
 * creates the SRTP sessions (key derivation is too slow for the
 * signalling thread) and wipes the copies. Should that fail (out of
 * memory), the direction drops all media and an error is logged: it
 * never falls back to plain RTP. Returns 0, -EINVAL (unknown suite, or
 * key length does not match it), -ENOMEM or -EAGAIN. */
int media_stream_set_srtp(struct media_stream *s, unsigned side,
    const struct media_srtp_key *rx,
    const struct media_srtp_key *tx) RP_MUST_CHECK;

/* Counters of one side, read without locking (each field atomically). */
void media_stream_stats(const struct media_stream *s, unsigned side,
    struct media_stream_stats *out);

/* Closes the stream's sockets and frees it (on its worker). 's' must
 * not be used after this. NULL is fine. Its ports go back to the range
 * at once; until the worker has closed them, media_stream_new() skips
 * them. If the worker's queue is full, the release waits for room and is
 * retried by the next call on this relay (or media_relay_free()). */
void media_stream_free(struct media_stream *s);

/* Fills 'key' with random bytes for 'suite' (getrandom). Returns 0 or a
 * negative errno. Any thread. */
int media_srtp_key_random(
    enum media_srtp_suite suite, struct media_srtp_key *key) RP_MUST_CHECK;

/* For benchmarks: CPU time used so far by all the relay's worker threads,
 * in ns (0 if the clocks cannot be read). Control thread. */
uint64_t media_relay_worker_cpu_ns(const struct media_relay *r);

#endif
