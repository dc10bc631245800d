/* The RTP/SRTP relay: control side (sockets, ports, commands) and the
 * worker threads that move packets.
 *
 * Ownership: the control thread creates a stream, opens its sockets and
 * pushes an ADD command holding the stream; from then on only the worker
 * touches the relay state of the stream (peers, latches, SRTP sessions,
 * sequence state) and writes its counters. The control thread keeps the
 * pointer to read the immutable ports and the atomic counters, until it
 * pushes the FREE command; the worker then closes the sockets and frees
 * the memory. Queue commands are FIFO, so every command for a stream is
 * handled before its FREE.
 *
 * The worker runs the commands of an epoll batch before its socket
 * events, so a peer or key set before a packet arrived applies to that
 * packet. A FREE clears the batch's pending events of that stream and
 * removes its fds from epoll before closing them, so no event can point
 * at freed memory. */
#include "media/relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/queue.h"
#include "media/srtp.h"

#define MEDIA_QUEUE_CAP 4096u
#define MEDIA_BATCH 32u    /* datagrams per recvmmsg */
#define MEDIA_EVENTS 64    /* epoll events per wait */
#define MEDIA_PKT_MAX 1500 /* larger datagrams are dropped */
/* Room for rp_srtp_protect(_rtcp) to append its trailer (tag and SRTCP
 * index), rounded so each slot stays 16-byte aligned. */
#define MEDIA_BUF_LEN ((MEDIA_PKT_MAX + RP_SRTP_TRAILER_MAX + 15u) & ~15u)
#define MEDIA_SOCK_BUF 131072 /* bytes; absorbs a worker stall */
#define MEDIA_TOS_EF 0xb8     /* DSCP EF (RFC 3246) */
#define MEDIA_CLOCK_HZ 8000u  /* arrival clock for jitter; see relay.h */
/* RFC 3550 A.1 */
#define MEDIA_MAX_DROPOUT 3000u
#define MEDIA_MAX_MISORDER 100u
#define MEDIA_SEQ_MOD 65536u

enum media_kind {
	MEDIA_RTP,
	MEDIA_RTCP,
};

enum media_cmd_type {
	MEDIA_CMD_ADD,
	MEDIA_CMD_PEER,
	MEDIA_CMD_SRTP,
	MEDIA_CMD_FREE,
};

struct media_dest {
	struct sockaddr_storage addr;
	socklen_t len; /* 0: none */
};

/* Counters: written by the worker only, read by the control thread. */
struct media_counters {
	_Atomic uint64_t rx_packets;
	_Atomic uint64_t rx_bytes;
	_Atomic uint64_t tx_packets;
	_Atomic uint64_t tx_bytes;
	_Atomic uint64_t rtcp_packets;
	_Atomic uint64_t dropped;
	_Atomic uint64_t srtp_failures;
	_Atomic uint64_t lost;
	_Atomic uint32_t jitter_ts;
	_Atomic int64_t last_rx_ms;
	atomic_bool latched;
};

/* RFC 3550 A.1 (sequence), A.3 (loss), A.8 (jitter) for one source. */
struct media_seq {
	bool init;
	bool transit_init;
	uint16_t max_seq;
	uint32_t ssrc;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t transit;
	uint32_t jitter_q4; /* jitter * 16, as in A.8 */
	uint64_t received;
	uint64_t lost_before; /* from earlier SSRCs of this side */
};

struct media_stream;

/* What an epoll event points at. */
struct media_sock {
	struct media_stream *s;
	int fd;
	uint8_t side;
	uint8_t kind;
};

struct media_side {
	struct media_sock sock[2]; /* MEDIA_RTP, MEDIA_RTCP */
	uint16_t port;
	unsigned pair; /* index in the relay's port pairs */
	/* Worker-owned once the stream is added. */
	struct media_dest peer[2];  /* from signalling */
	struct media_dest latch[2]; /* learnt from the first valid packet */
	bool mux;
	/* SRTP required in a direction, and its session. A session that
	 * could not be created leaves the flag set and the session NULL:
	 * that direction drops everything rather than fall back to
	 * plain RTP. */
	bool rx_on, tx_on;
	struct rp_srtp *rx, *tx;
	struct media_seq seq;
	struct media_counters c;
};

struct media_cmd {
	enum media_cmd_type type;
	struct media_stream *s;
	unsigned side;
	struct media_dest rtp, rtcp;
	bool mux;
	bool rx_on, tx_on;
	struct media_srtp_key rx, tx; /* wiped once the sessions exist */
};

struct media_worker;

struct media_relay;

struct media_stream {
	struct media_relay *r;
	struct media_worker *w;
	struct media_side side[2];
	struct media_stream *prev, *next; /* worker's list */
	struct media_stream *deferred;    /* control: FREE waiting for room */
	/* Preallocated, so adding and freeing never allocate. */
	struct media_cmd add_cmd, free_cmd;
};

struct media_worker {
	pthread_t thread;
	bool started;
	int epfd;
	struct queue *q;
	atomic_bool stop;
	struct media_stream *streams; /* worker-owned list */
	struct epoll_event *batch;    /* events being handled, or NULL */
	int batch_n;
	uint8_t *buf; /* MEDIA_BATCH slots of MEDIA_BUF_LEN */
	struct mmsghdr in[MEDIA_BATCH];
	struct iovec in_iov[MEDIA_BATCH];
	struct sockaddr_storage src[MEDIA_BATCH];
	struct mmsghdr out[2][MEDIA_BATCH];
	struct iovec out_iov[2][MEDIA_BATCH];
};

struct media_relay {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char addr_text[INET6_ADDRSTRLEN];
	uint16_t port_min;
	unsigned pairs;
	unsigned cursor;
	bool *pair_used;
	unsigned nworkers;
	unsigned next_worker;
	struct media_worker *workers;
	size_t streams;
	struct media_stream *deferred_head, *deferred_tail;
};

static int srtp_session(
    struct rp_srtp **out, const struct media_srtp_key *k, bool rx);

/* Single writer: a plain load and store, no locked read-modify-write. */
static inline void
ctr_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
	    atomic_load_explicit(c, memory_order_relaxed) + n,
	    memory_order_relaxed);
}

static inline uint64_t
ctr_get(const _Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

size_t
media_srtp_key_len(enum media_srtp_suite suite)
{
	switch (suite) {
	case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80:
	case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32:
		return 30;
	case MEDIA_SRTP_AEAD_AES_256_GCM:
		return 44;
	}
	return 0;
}

int
media_srtp_key_random(enum media_srtp_suite suite, struct media_srtp_key *key)
{
	size_t len = media_srtp_key_len(suite), got = 0;
	ssize_t n;

	if (key == NULL || len == 0)
		return -EINVAL;
	while (got < len) {
		n = getrandom(key->key + got, len - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	key->suite = suite;
	key->key_len = len;
	return 0;
}

static bool
dest_equal(const struct media_dest *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4, *b4;
	const struct sockaddr_in6 *a6, *b6;

	if (a->addr.ss_family != b->ss_family)
		return false;
	if (b->ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->addr;
		b4 = (const struct sockaddr_in *)b;
		return a4->sin_port == b4->sin_port &&
		       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const struct sockaddr_in6 *)&a->addr;
	b6 = (const struct sockaddr_in6 *)b;
	return a6->sin6_port == b6->sin6_port &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(b6->sin6_addr)) ==
	           0 &&
	       a6->sin6_scope_id == b6->sin6_scope_id;
}

static uint16_t
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- Worker: packet path ---- */

static uint64_t
seq_lost(const struct media_seq *q)
{
	uint64_t expected;

	if (!q->init)
		return q->lost_before;
	expected = (uint64_t)q->cycles + q->max_seq - q->base_seq + 1;
	if (expected <= q->received)
		return q->lost_before;
	return q->lost_before + expected - q->received;
}

static void
seq_restart(struct media_seq *q, uint32_t ssrc, uint16_t seq)
{
	q->lost_before = seq_lost(q);
	q->init = true;
	q->transit_init = false;
	q->ssrc = ssrc;
	q->base_seq = seq;
	q->max_seq = seq;
	q->cycles = 0;
	q->bad_seq = MEDIA_SEQ_MOD + 1;
	q->received = 0;
}

/* RFC 3550 A.1 without the probation period. Returns false for a packet
 * that looks like a jump and is not counted until confirmed. */
static bool
seq_update(struct media_seq *q, uint32_t ssrc, uint16_t seq)
{
	uint16_t udelta;

	if (!q->init || ssrc != q->ssrc) {
		seq_restart(q, ssrc, seq);
	} else {
		udelta = (uint16_t)(seq - q->max_seq);
		if (udelta < MEDIA_MAX_DROPOUT) {
			if (seq < q->max_seq)
				q->cycles += MEDIA_SEQ_MOD;
			q->max_seq = seq;
		} else if (udelta <= MEDIA_SEQ_MOD - MEDIA_MAX_MISORDER) {
			/* A large jump: the source restarted if the next
			 * packet follows it. */
			if (seq != q->bad_seq) {
				q->bad_seq = (seq + 1u) & (MEDIA_SEQ_MOD - 1);
				return false;
			}
			seq_restart(q, ssrc, seq);
		}
		/* else: duplicate or reordered, counted as received. */
	}
	q->received++;
	return true;
}

/* RFC 3550 A.8, the arrival clock at MEDIA_CLOCK_HZ. */
static void
jitter_update(struct media_seq *q, uint32_t rtp_ts, int64_t arrival_ns)
{
	uint32_t arrival, transit;
	int64_t d;

	arrival =
	    (uint32_t)((uint64_t)arrival_ns / (1000000000u / MEDIA_CLOCK_HZ));
	transit = arrival - rtp_ts;
	if (q->transit_init) {
		d = (int32_t)(transit - q->transit);
		if (d < 0)
			d = -d;
		/* A timestamp jump is not jitter worth overflowing for. */
		if (d > (int64_t)(UINT32_MAX >> 5))
			d = (int64_t)(UINT32_MAX >> 5);
		q->jitter_q4 = (uint32_t)((int64_t)q->jitter_q4 + d -
		                          (int64_t)((q->jitter_q4 + 8u) >> 4));
	}
	q->transit = transit;
	q->transit_init = true;
}

static struct media_dest *
side_dest(struct media_side *y, unsigned kind)
{
	if (kind == MEDIA_RTCP && y->mux)
		kind = MEDIA_RTP;
	if (y->latch[kind].len != 0)
		return &y->latch[kind];
	if (y->peer[kind].len != 0)
		return &y->peer[kind];
	return NULL;
}

/* RFC 5761 §4: on a shared port, payload types 64-95 are RTCP. */
static bool
is_rtcp(const uint8_t *p)
{
	uint8_t pt = p[1] & 0x7f;

	return pt >= 64 && pt <= 95;
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Checks, decrypts, accounts and re-encrypts one datagram in place.
 * Returns the output kind (MEDIA_RTP or MEDIA_RTCP), or -1 to drop it. */
static int
packet_in(struct media_side *x, struct media_side *y, unsigned kind, uint8_t *p,
    int *len, const struct sockaddr_storage *src, int64_t now)
{
	size_t n = (size_t)*len;
	bool rtcp;
	uint16_t seq;
	unsigned out;
	int err;

	if (*len < 8 || (p[0] >> 6) != 2)
		goto drop;
	rtcp = kind == MEDIA_RTCP || is_rtcp(p);
	if (!rtcp && *len < 12)
		goto drop;
	if (x->latch[kind].len != 0 && !dest_equal(&x->latch[kind], src))
		goto drop;
	if (x->rx_on) {
		err = x->rx == NULL ? -ENOKEY
		      : rtcp        ? rp_srtp_unprotect_rtcp(x->rx, p, &n)
		                    : rp_srtp_unprotect(x->rx, p, &n);
		if (err != 0) {
			ctr_add(&x->c.srtp_failures, 1);
			return -1;
		}
		*len = (int)n;
	}
	if (x->latch[kind].len == 0 && x->peer[MEDIA_RTP].len != 0) {
		memcpy(&x->latch[kind].addr, src, sizeof(*src));
		x->latch[kind].len = x->peer[MEDIA_RTP].len;
		if (kind == MEDIA_RTP)
			atomic_store_explicit(
			    &x->c.latched, true, memory_order_relaxed);
	}
	atomic_store_explicit(
	    &x->c.last_rx_ms, now / 1000000, memory_order_relaxed);
	if (rtcp) {
		ctr_add(&x->c.rtcp_packets, 1);
		out = MEDIA_RTCP;
	} else {
		ctr_add(&x->c.rx_packets, 1);
		ctr_add(&x->c.rx_bytes, (uint64_t)*len);
		seq = (uint16_t)(p[2] << 8 | p[3]);
		if (seq_update(&x->seq, rd32(p + 8), seq))
			jitter_update(&x->seq, rd32(p + 4), now);
		/* A late packet can lower the loss (RFC 3550 A.3). */
		atomic_store_explicit(
		    &x->c.lost, seq_lost(&x->seq), memory_order_relaxed);
		atomic_store_explicit(&x->c.jitter_ts, x->seq.jitter_q4 >> 4,
		    memory_order_relaxed);
		out = MEDIA_RTP;
	}
	if (side_dest(y, out) == NULL)
		goto drop;
	if (y->tx_on) {
		err = y->tx == NULL ? -ENOKEY
		      : rtcp ? rp_srtp_protect_rtcp(y->tx, p, &n, MEDIA_BUF_LEN)
		             : rp_srtp_protect(y->tx, p, &n, MEDIA_BUF_LEN);
		if (err != 0)
			goto drop;
		*len = (int)n;
	}
	return (int)out;
drop:
	ctr_add(&x->c.dropped, 1);
	return -1;
}

/* Sends n queued datagrams from fd to dst; what cannot be sent is
 * dropped and counted on the receiving side x. */
static void
flush_out(struct media_worker *w, unsigned k, unsigned n, int fd,
    struct media_dest *dst, struct media_side *x, struct media_side *y)
{
	unsigned sent = 0, i;
	uint64_t bytes = 0;
	int rc;

	for (i = 0; i < n; i++) {
		w->out[k][i].msg_hdr.msg_name = &dst->addr;
		w->out[k][i].msg_hdr.msg_namelen = dst->len;
	}
	while (sent < n) {
		rc = sendmmsg(fd, &w->out[k][sent], n - sent, MSG_DONTWAIT);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		for (i = sent; i < sent + (unsigned)rc; i++)
			bytes += w->out_iov[k][i].iov_len;
		sent += (unsigned)rc;
	}
	if (k == MEDIA_RTP) {
		ctr_add(&y->c.tx_packets, sent);
		ctr_add(&y->c.tx_bytes, bytes);
	}
	if (sent < n)
		ctr_add(&x->c.dropped, n - sent);
}

static void
on_readable(struct media_worker *w, struct media_sock *ms)
{
	struct media_stream *s = ms->s;
	struct media_side *x = &s->side[ms->side];
	struct media_side *y = &s->side[ms->side ^ 1u];
	unsigned nout[2] = {0, 0}, i, k;
	struct media_dest *dst;
	int n, len, kind;
	uint8_t *p;
	int64_t now;

	for (i = 0; i < MEDIA_BATCH; i++) {
		w->in_iov[i].iov_len = MEDIA_PKT_MAX;
		w->in[i].msg_hdr.msg_namelen = sizeof(w->src[i]);
		w->in[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(ms->fd, w->in, MEDIA_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	/* One arrival time per batch: a batch holds at most one packet
	 * of a well-behaved source, unless the worker fell behind. */
	now = now_ns();
	for (i = 0; i < (unsigned)n; i++) {
		p = w->buf + (size_t)i * MEDIA_BUF_LEN;
		len = (int)w->in[i].msg_len;
		if ((w->in[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
			ctr_add(&x->c.dropped, 1);
			continue;
		}
		kind = packet_in(x, y, ms->kind, p, &len, &w->src[i], now);
		if (kind < 0)
			continue;
		k = (unsigned)kind;
		w->out_iov[k][nout[k]].iov_base = p;
		w->out_iov[k][nout[k]].iov_len = (size_t)len;
		nout[k]++;
	}
	if (nout[MEDIA_RTP] > 0) {
		dst = side_dest(y, MEDIA_RTP);
		flush_out(w, MEDIA_RTP, nout[MEDIA_RTP], y->sock[MEDIA_RTP].fd,
		    dst, x, y);
	}
	if (nout[MEDIA_RTCP] > 0) {
		dst = side_dest(y, MEDIA_RTCP);
		flush_out(w, MEDIA_RTCP, nout[MEDIA_RTCP],
		    y->sock[y->mux ? MEDIA_RTP : MEDIA_RTCP].fd, dst, x, y);
	}
}

/* ---- Worker: commands ---- */

static void
stream_destroy(struct media_worker *w, struct media_stream *s)
{
	const struct media_sock *ms;
	struct media_side *d;
	unsigned i, k;
	int j;

	if (s->prev != NULL)
		s->prev->next = s->next;
	else if (w->streams == s)
		w->streams = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	for (j = 0; j < w->batch_n; j++) {
		ms = w->batch[j].data.ptr;
		if (ms != NULL && ms->s == s)
			w->batch[j].data.ptr = NULL;
	}
	for (i = 0; i < 2; i++) {
		d = &s->side[i];
		for (k = 0; k < 2; k++) {
			if (d->sock[k].fd < 0)
				continue;
			(void)epoll_ctl(
			    w->epfd, EPOLL_CTL_DEL, d->sock[k].fd, NULL);
			close(d->sock[k].fd);
		}
		rp_srtp_free(d->rx);
		rp_srtp_free(d->tx);
	}
	free(s);
}

static void
stream_add(struct media_worker *w, struct media_stream *s)
{
	struct epoll_event ev;
	unsigned i, k;

	s->prev = NULL;
	s->next = w->streams;
	if (w->streams != NULL)
		w->streams->prev = s;
	w->streams = s;
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++) {
			memset(&ev, 0, sizeof(ev));
			ev.events = EPOLLIN;
			ev.data.ptr = &s->side[i].sock[k];
			if (epoll_ctl(w->epfd, EPOLL_CTL_ADD,
			        s->side[i].sock[k].fd, &ev) != 0)
				log_error("media",
				    "msg=\"cannot watch a media socket\" "
				    "port=%u errno=%d",
				    (unsigned)s->side[i].port + k, errno);
		}
	}
}

static void
side_set_peer(struct media_side *d, const struct media_cmd *c)
{
	bool changed = d->mux != c->mux ||
	               d->peer[MEDIA_RTP].len != c->rtp.len ||
	               !dest_equal(&d->peer[MEDIA_RTP], &c->rtp.addr);

	d->peer[MEDIA_RTP] = c->rtp;
	d->peer[MEDIA_RTCP] = c->rtcp;
	d->mux = c->mux;
	/* The same address again (a re-INVITE) keeps what NAT taught. */
	if (changed) {
		memset(d->latch, 0, sizeof(d->latch));
		atomic_store_explicit(
		    &d->c.latched, false, memory_order_relaxed);
	}
}

/* Key derivation runs here, off the signalling thread: it allocates
 * and keys several OpenSSL contexts. */
static void
side_set_srtp(struct media_side *d, const struct media_cmd *c)
{
	int err = 0;

	rp_srtp_free(d->rx);
	rp_srtp_free(d->tx);
	d->rx = NULL;
	d->tx = NULL;
	d->rx_on = c->rx_on;
	d->tx_on = c->tx_on;
	if (c->rx_on)
		err = srtp_session(&d->rx, &c->rx, true);
	if (c->tx_on && err == 0)
		err = srtp_session(&d->tx, &c->tx, false);
	if (err != 0)
		log_error("media",
		    "msg=\"cannot create an SRTP session, side drops "
		    "media\" port=%u errno=%d",
		    (unsigned)d->port, -err);
}

/* Runs one command; the command belongs to the worker. */
static void
run_cmd(struct media_worker *w, struct media_cmd *c)
{
	struct media_side *d;

	switch (c->type) {
	case MEDIA_CMD_ADD:
		stream_add(w, c->s);
		return;
	case MEDIA_CMD_FREE:
		stream_destroy(w, c->s);
		return;
	case MEDIA_CMD_PEER:
		side_set_peer(&c->s->side[c->side], c);
		break;
	case MEDIA_CMD_SRTP:
		d = &c->s->side[c->side];
		side_set_srtp(d, c);
		break;
	}
	explicit_bzero(c, sizeof(*c));
	free(c);
}

static void
run_cmds(struct media_worker *w)
{
	void *msg;

	queue_drain_fd(w->q);
	while ((msg = queue_pop(w->q)) != NULL)
		run_cmd(w, msg);
}

static void *
worker_main(void *arg)
{
	struct media_worker *w = arg;
	struct epoll_event ev[MEDIA_EVENTS];
	bool cmds;
	int n, i;

	while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
		n = epoll_wait(w->epfd, ev, MEDIA_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_error("media", "msg=\"epoll_wait failed\" errno=%d",
			    errno);
			break;
		}
		cmds = false;
		for (i = 0; i < n; i++)
			if (ev[i].data.ptr == NULL)
				cmds = true;
		if (cmds) {
			w->batch = ev;
			w->batch_n = n;
			run_cmds(w);
			w->batch_n = 0;
		}
		for (i = 0; i < n; i++)
			if (ev[i].data.ptr != NULL)
				on_readable(w, ev[i].data.ptr);
	}
	return NULL;
}

/* ---- Control thread ---- */

static int
worker_init(struct media_worker *w)
{
	struct epoll_event ev;
	unsigned i, k;

	w->epfd = -1;
	atomic_init(&w->stop, false);
	w->buf = mem_alloc((size_t)MEDIA_BATCH * MEDIA_BUF_LEN);
	if (w->buf == NULL)
		return -ENOMEM;
	for (i = 0; i < MEDIA_BATCH; i++) {
		w->in_iov[i].iov_base = w->buf + (size_t)i * MEDIA_BUF_LEN;
		w->in[i].msg_hdr.msg_iov = &w->in_iov[i];
		w->in[i].msg_hdr.msg_iovlen = 1;
		w->in[i].msg_hdr.msg_name = &w->src[i];
		for (k = 0; k < 2; k++) {
			w->out[k][i].msg_hdr.msg_iov = &w->out_iov[k][i];
			w->out[k][i].msg_hdr.msg_iovlen = 1;
		}
	}
	if (queue_new(&w->q, MEDIA_QUEUE_CAP) != 0)
		return -ENOMEM;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL; /* the command queue */
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, queue_fd(w->q), &ev) != 0)
		return -errno;
	return 0;
}

static int
worker_start(struct media_worker *w, unsigned index)
{
	sigset_t all, old;
	char name[16];
	int err;

	/* Signals belong to the signalling loop's signalfd. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
		return -err;
	w->started = true;
	snprintf(name, sizeof(name), "rp-media-%u", index);
	pthread_setname_np(w->thread, name);
	return 0;
}

static int
parse_addr(struct media_relay *r, const char *text)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&r->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&r->addr;

	memset(&r->addr, 0, sizeof(r->addr));
	if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		r->addr_len = sizeof(*a4);
		inet_ntop(
		    AF_INET, &a4->sin_addr, r->addr_text, sizeof(r->addr_text));
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		r->addr_len = sizeof(*a6);
		inet_ntop(AF_INET6, &a6->sin6_addr, r->addr_text,
		    sizeof(r->addr_text));
		return 0;
	}
	return -EINVAL;
}

int
media_relay_new(struct media_relay **out, const struct media_relay_config *cfg)
{
	static const struct media_relay_config defaults;
	struct media_relay *r;
	unsigned port_min, port_max, nworkers, i;
	long cpus;
	int err;

	if (out == NULL)
		return -EINVAL;
	if (cfg == NULL)
		cfg = &defaults;
	port_min = cfg->port_min != 0 ? cfg->port_min : MEDIA_PORT_MIN_DEFAULT;
	port_max = cfg->port_max != 0 ? cfg->port_max : MEDIA_PORT_MAX_DEFAULT;
	if (port_min % 2 != 0 || port_max < port_min ||
	    port_max - port_min + 1 < 4 || cfg->workers > MEDIA_WORKERS_MAX)
		return -EINVAL;
	nworkers = cfg->workers;
	if (nworkers == 0) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nworkers = cpus < 1                         ? 1
		           : cpus > (long)MEDIA_WORKERS_MAX ? MEDIA_WORKERS_MAX
		                                            : (unsigned)cpus;
	}
	r = mem_calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	err = parse_addr(r, cfg->addr != NULL ? cfg->addr : "127.0.0.1");
	if (err != 0)
		goto fail;
	r->port_min = (uint16_t)port_min;
	r->pairs = (port_max - port_min + 1) / 2;
	r->pair_used = mem_calloc(r->pairs, sizeof(*r->pair_used));
	r->workers = mem_calloc(nworkers, sizeof(*r->workers));
	if (r->pair_used == NULL || r->workers == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	r->nworkers = nworkers;
	for (i = 0; i < nworkers; i++) {
		err = worker_init(&r->workers[i]);
		if (err != 0)
			goto fail;
	}
	for (i = 0; i < nworkers; i++) {
		err = worker_start(&r->workers[i], i);
		if (err != 0)
			goto fail;
	}
	*out = r;
	return 0;
fail:
	media_relay_free(r);
	return err;
}

/* Pushes FREE commands that found the queue full earlier, in order. */
static void
flush_deferred(struct media_relay *r)
{
	struct media_stream *s;

	while ((s = r->deferred_head) != NULL) {
		if (queue_push(s->w->q, &s->free_cmd) != 0)
			return;
		r->deferred_head = s->deferred;
		if (r->deferred_head == NULL)
			r->deferred_tail = NULL;
	}
}

void
media_relay_free(struct media_relay *r)
{
	struct media_worker *w;
	struct media_stream *s;
	uint64_t one = 1;
	unsigned i;
	void *msg;

	if (r == NULL)
		return;
	for (i = 0; i < r->nworkers; i++) {
		w = &r->workers[i];
		if (!w->started)
			continue;
		atomic_store_explicit(&w->stop, true, memory_order_release);
		(void)!write(queue_fd(w->q), &one, sizeof(one));
	}
	for (i = 0; i < r->nworkers; i++)
		if (r->workers[i].started)
			pthread_join(r->workers[i].thread, NULL);
	/* The workers are gone: this thread finishes their queues. */
	for (i = 0; i < r->nworkers; i++) {
		w = &r->workers[i];
		if (w->q == NULL)
			continue;
		while ((msg = queue_pop(w->q)) != NULL)
			run_cmd(w, msg);
	}
	while ((s = r->deferred_head) != NULL) {
		r->deferred_head = s->deferred;
		run_cmd(s->w, &s->free_cmd);
	}
	for (i = 0; i < r->nworkers; i++) {
		w = &r->workers[i];
		while (w->streams != NULL)
			stream_destroy(w, w->streams);
		if (w->epfd >= 0)
			close(w->epfd);
		queue_free(w->q);
		free(w->buf);
	}
	free(r->workers);
	free(r->pair_used);
	free(r);
}

const char *
media_relay_addr(const struct media_relay *r)
{
	return r->addr_text;
}

size_t
media_relay_streams(const struct media_relay *r)
{
	return r->streams;
}

uint64_t
media_relay_worker_cpu_ns(const struct media_relay *r)
{
	struct timespec ts;
	clockid_t cid;
	uint64_t total = 0;
	unsigned i;

	for (i = 0; i < r->nworkers; i++) {
		if (!r->workers[i].started ||
		    pthread_getcpuclockid(r->workers[i].thread, &cid) != 0 ||
		    clock_gettime(cid, &ts) != 0)
			return 0;
		total +=
		    (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	return total;
}

static int
open_socket(const struct media_relay *r, uint16_t port, int *out)
{
	struct sockaddr_storage a = r->addr;
	int fd, buf = MEDIA_SOCK_BUF, tos = MEDIA_TOS_EF, on = 1, err;

	fd = socket(a.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Best effort: sizes and marking are tuning, not correctness. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (a.ss_family == AF_INET) {
		(void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	} else {
		(void)setsockopt(
		    fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
		(void)setsockopt(
		    fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	}
	addr_set_port(&a, port);
	if (bind(fd, (const struct sockaddr *)&a, r->addr_len) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	*out = fd;
	return 0;
}

/* Binds the next free even/odd pair for side d. */
static int
open_pair(struct media_relay *r, struct media_side *d)
{
	unsigned tries, idx;
	uint16_t port;
	int err, rtp, rtcp;

	for (tries = 0; tries < r->pairs; tries++) {
		idx = r->cursor;
		r->cursor = (r->cursor + 1) % r->pairs;
		if (r->pair_used[idx])
			continue;
		port = (uint16_t)(r->port_min + 2 * idx);
		err = open_socket(r, port, &rtp);
		if (err == -EADDRINUSE)
			continue;
		if (err != 0)
			return err;
		err = open_socket(r, (uint16_t)(port + 1), &rtcp);
		if (err != 0) {
			close(rtp);
			if (err == -EADDRINUSE)
				continue;
			return err;
		}
		r->pair_used[idx] = true;
		d->pair = idx;
		d->port = port;
		d->sock[MEDIA_RTP].fd = rtp;
		d->sock[MEDIA_RTCP].fd = rtcp;
		return 0;
	}
	return -EADDRINUSE;
}

static void
stream_close_unposted(struct media_relay *r, struct media_stream *s)
{
	unsigned i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++)
			if (s->side[i].sock[k].fd >= 0)
				close(s->side[i].sock[k].fd);
		if (s->side[i].sock[0].fd >= 0)
			r->pair_used[s->side[i].pair] = false;
	}
	free(s);
}

int
media_stream_new(struct media_relay *r, struct media_stream **out)
{
	struct media_stream *s;
	struct media_worker *w;
	unsigned i, k;
	int err;

	if (r == NULL || out == NULL)
		return -EINVAL;
	s = mem_calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++) {
			s->side[i].sock[k].s = s;
			s->side[i].sock[k].fd = -1;
			s->side[i].sock[k].side = (uint8_t)i;
			s->side[i].sock[k].kind = (uint8_t)k;
		}
	}
	for (i = 0; i < 2; i++) {
		err = open_pair(r, &s->side[i]);
		if (err != 0)
			goto fail;
	}
	w = &r->workers[r->next_worker];
	s->r = r;
	s->w = w;
	s->add_cmd.type = MEDIA_CMD_ADD;
	s->add_cmd.s = s;
	s->free_cmd.type = MEDIA_CMD_FREE;
	s->free_cmd.s = s;
	flush_deferred(r);
	err = queue_push(w->q, &s->add_cmd);
	if (err != 0)
		goto fail;
	r->next_worker = (r->next_worker + 1) % r->nworkers;
	r->streams++;
	*out = s;
	return 0;
fail:
	stream_close_unposted(r, s);
	return err;
}

uint16_t
media_stream_port(const struct media_stream *s, unsigned side)
{
	if (s == NULL || side > 1)
		return 0;
	return s->side[side].port;
}

static int
dest_from(
    struct media_dest *d, const struct sockaddr_storage *a, sa_family_t family)
{
	if (a->ss_family != family || addr_port(a) == 0)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	if (family == AF_INET) {
		memcpy(&d->addr, a, sizeof(struct sockaddr_in));
		d->len = sizeof(struct sockaddr_in);
	} else {
		memcpy(&d->addr, a, sizeof(struct sockaddr_in6));
		d->len = sizeof(struct sockaddr_in6);
	}
	return 0;
}

int
media_stream_set_peer(struct media_stream *s, unsigned side,
    const struct sockaddr_storage *rtp, const struct sockaddr_storage *rtcp,
    bool rtcp_mux)
{
	struct media_cmd *c;
	sa_family_t family;
	uint16_t port;
	int err;

	if (s == NULL || side > 1 || rtp == NULL)
		return -EINVAL;
	family = s->r->addr.ss_family;
	c = mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->type = MEDIA_CMD_PEER;
	c->s = s;
	c->side = side;
	c->mux = rtcp_mux;
	err = dest_from(&c->rtp, rtp, family);
	if (err == 0 && rtcp != NULL)
		err = dest_from(&c->rtcp, rtcp, family);
	if (err != 0)
		goto fail;
	if (rtcp == NULL) {
		c->rtcp = c->rtp;
		port = addr_port(rtp);
		if (!rtcp_mux) {
			if (port == UINT16_MAX) {
				err = -EINVAL;
				goto fail;
			}
			addr_set_port(&c->rtcp.addr, (uint16_t)(port + 1));
		}
	}
	flush_deferred(s->r);
	err = queue_push(s->w->q, c);
	if (err != 0)
		goto fail;
	return 0;
fail:
	free(c);
	return err;
}

static int
srtp_session(struct rp_srtp **out, const struct media_srtp_key *k, bool rx)
{
	enum rp_srtp_suite suite;

	switch (k->suite) {
	case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80:
		suite = RP_SRTP_AES_CM_128_HMAC_SHA1_80;
		break;
	case MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32:
		suite = RP_SRTP_AES_CM_128_HMAC_SHA1_32;
		break;
	case MEDIA_SRTP_AEAD_AES_256_GCM:
		suite = RP_SRTP_AEAD_AES_256_GCM;
		break;
	default:
		return -EINVAL;
	}
	if (k->key_len > sizeof(k->key))
		return -EINVAL;
	return rp_srtp_new(
	    out, suite, k->key, k->key_len, rx ? RP_SRTP_RX : RP_SRTP_TX);
}

static int
key_check(const struct media_srtp_key *k)
{
	size_t len = media_srtp_key_len(k->suite);

	if (len == 0 || k->key_len != len)
		return -EINVAL;
	return 0;
}

int
media_stream_set_srtp(struct media_stream *s, unsigned side,
    const struct media_srtp_key *rx, const struct media_srtp_key *tx)
{
	struct media_cmd *c;
	int err = 0;

	if (s == NULL || side > 1)
		return -EINVAL;
	c = mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->type = MEDIA_CMD_SRTP;
	c->s = s;
	c->side = side;
	if (rx != NULL) {
		err = key_check(rx);
		c->rx_on = true;
		c->rx = *rx;
	}
	if (err == 0 && tx != NULL) {
		err = key_check(tx);
		c->tx_on = true;
		c->tx = *tx;
	}
	if (err != 0)
		goto fail;
	flush_deferred(s->r);
	err = queue_push(s->w->q, c);
	if (err != 0)
		goto fail;
	return 0;
fail:
	explicit_bzero(c, sizeof(*c));
	free(c);
	return err;
}

void
media_stream_stats(
    const struct media_stream *s, unsigned side, struct media_stream_stats *out)
{
	const struct media_counters *c;

	memset(out, 0, sizeof(*out));
	if (s == NULL || side > 1)
		return;
	c = &s->side[side].c;
	out->rx_packets = ctr_get(&c->rx_packets);
	out->rx_bytes = ctr_get(&c->rx_bytes);
	out->tx_packets = ctr_get(&c->tx_packets);
	out->tx_bytes = ctr_get(&c->tx_bytes);
	out->rtcp_packets = ctr_get(&c->rtcp_packets);
	out->dropped = ctr_get(&c->dropped);
	out->srtp_failures = ctr_get(&c->srtp_failures);
	out->lost = ctr_get(&c->lost);
	out->jitter_ts =
	    atomic_load_explicit(&c->jitter_ts, memory_order_relaxed);
	out->last_rx_ms =
	    atomic_load_explicit(&c->last_rx_ms, memory_order_relaxed);
	out->latched = atomic_load_explicit(&c->latched, memory_order_relaxed);
}

void
media_stream_free(struct media_stream *s)
{
	struct media_relay *r;
	unsigned i;

	if (s == NULL)
		return;
	r = s->r;
	for (i = 0; i < 2; i++)
		r->pair_used[s->side[i].pair] = false;
	r->streams--;
	flush_deferred(r);
	if (r->deferred_head == NULL && queue_push(s->w->q, &s->free_cmd) == 0)
		return;
	/* No room: keep the order behind earlier deferred releases. */
	s->deferred = NULL;
	if (r->deferred_tail != NULL)
		r->deferred_tail->deferred = s;
	else
		r->deferred_head = s;
	r->deferred_tail = s;
}
