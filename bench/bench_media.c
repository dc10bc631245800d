/* Media relay benchmark: how many G.711 calls one and two workers relay
 * with less than 0.1 % loss, for plain RTP and for SRTP
 * (AES_CM_128_HMAC_SHA1_80 on both sides).
 *
 * Each call is one stream; both endpoints send a 172-byte RTP packet
 * (160 bytes of payload) every 20 ms, so a call is 100 packets/s into
 * the relay and 100 out. The calls are spread over 20 one-millisecond
 * slots. This thread generates and receives all the load in the same
 * process: the endpoints share a small pool of sockets per side (call
 * i uses socket (i / 20) % POOL), so a slot's packets leave in a few
 * sendmmsg() calls and the generator stays cheap next to the relay,
 * which still sees K distinct streams with four sockets each. On a
 * machine with few cores the generator competes with the workers for
 * CPU; its own CPU use is printed.
 *
 * Worker CPU comes from the worker threads' CPU clocks
 * (media_relay_worker_cpu_ns), divided by the packets relayed.
 *
 * SRTP packets are protected before the relay's streams exist, one
 * endpoint session at a time: the generator then costs no crypto while
 * measuring, and its sessions do not count against the relay.
 *
 * A step fails at 0.1 % loss or more, or when the generator falls more
 * than 5 % behind its schedule (the offered load was then not met).
 *
 *   bench_media [SECONDS_PER_STEP [MODE]]
 *
 * SECONDS_PER_STEP defaults to 3; MODE (rtp1, srtp1, rtp2, srtp2) runs
 * one mode only. */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "media/relay.h"
#include "media/srtp.h"

#define POOL 8                  /* endpoint sockets per side */
#define SLOTS 20                /* 20 ms of 1 ms slots */
#define PKT_LEN 172             /* RTP header + 160 bytes of G.711 */
#define BUF_LEN 256             /* room for the SRTP tag */
#define SRTP_LEN (PKT_LEN + 10) /* AES_CM_128_HMAC_SHA1_80 */
#define LAG_MAX 0.05
#define RX_BATCH 64
#define DRAIN_MS 300
#define LOSS_MAX 0.001
#define BUDGET_S 105.0 /* the whole run stays under two minutes */
#define PORT_MIN 20000
#define PORT_MAX 59999

struct call {
	struct media_stream *s;
	uint16_t port[2]; /* relay RTP port of side 0 and side 1 */
	uint16_t seq[2];  /* next sequence number sent to side 0, 1 */
	uint8_t *pre[2];  /* SRTP: the packets endpoint 0, 1 will send */
};

struct step {
	unsigned k;
	uint64_t sent, received, relayed, send_fail;
	double loss, lag, worker_us_pkt, worker_cpu, gen_cpu, secs;
};

struct bench {
	int ep[2][POOL]; /* endpoint sockets: side 0 (caller), side 1 */
	struct sockaddr_storage ep_addr[2][POOL];
	struct call *calls;
	unsigned k;
	bool srtp;
	unsigned npre; /* SRTP packets made per endpoint */
	uint64_t received;
};

static double
now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, int err)
{
	fprintf(stderr, "bench_media: %s: %s\n", what, strerror(err));
	exit(1);
}

static void
raise_nofile(unsigned calls)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)calls * 4 + 2 * POOL + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit", errno);
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need <= rl.rlim_max ? need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("setrlimit", errno);
}

static unsigned
max_calls(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	return (unsigned)((rl.rlim_max - 2 * POOL - 64) / 4);
}

static void
endpoints_open(struct bench *b)
{
	struct sockaddr_in a;
	socklen_t len;
	int side, i, big = 4 << 20;

	for (side = 0; side < 2; side++) {
		for (i = 0; i < POOL; i++) {
			int fd = socket(AF_INET,
			    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

			if (fd < 0)
				die("socket", errno);
			(void)setsockopt(
			    fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
			(void)setsockopt(
			    fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
			memset(&a, 0, sizeof(a));
			a.sin_family = AF_INET;
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
				die("bind", errno);
			len = sizeof(a);
			getsockname(fd, (struct sockaddr *)&a, &len);
			memset(&b->ep_addr[side][i], 0,
			    sizeof(b->ep_addr[side][i]));
			memcpy(&b->ep_addr[side][i], &a, sizeof(a));
			b->ep[side][i] = fd;
		}
	}
}

static struct rp_srtp *
endpoint_srtp(const struct media_srtp_key *k)
{
	struct rp_srtp *ctx = NULL;

	if (rp_srtp_new(&ctx, RP_SRTP_AES_CM_128_HMAC_SHA1_80, k->key,
	        k->key_len, RP_SRTP_TX) != 0)
		die("rp_srtp_new", EINVAL);
	return ctx;
}

static void
calls_close(struct bench *b)
{
	unsigned i, side;

	for (i = 0; i < b->k; i++) {
		media_stream_free(b->calls[i].s);
		for (side = 0; side < 2; side++)
			free(b->calls[i].pre[side]);
	}
	free(b->calls);
	b->calls = NULL;
}

static void
rtp_make(uint8_t *p, uint16_t seq, uint32_t ssrc)
{
	uint32_t ts = (uint32_t)seq * 160u;

	memset(p, 0xd5, PKT_LEN); /* G.711 A-law silence */
	p[0] = 0x80;
	p[1] = 8;
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
}

/* SRTP: makes every packet each endpoint will send, and the keys the
 * relay needs, before any relay session exists. */
static void
packets_make(struct bench *b, struct media_srtp_key (*keys)[2][2])
{
	struct call *c;
	unsigned i, side, j;
	struct rp_srtp *out;
	size_t len;

	for (i = 0; i < b->k; i++) {
		c = &b->calls[i];
		for (side = 0; side < 2; side++) {
			if (media_srtp_key_random(
			        MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
			        &keys[i][side][0]) != 0 ||
			    media_srtp_key_random(
			        MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
			        &keys[i][side][1]) != 0)
				die("media_srtp_key_random", EIO);
			c->pre[side] = malloc((size_t)b->npre * BUF_LEN);
			if (c->pre[side] == NULL)
				die("malloc", ENOMEM);
			out = endpoint_srtp(&keys[i][side][0]);
			for (j = 0; j < b->npre; j++) {
				uint8_t *p = c->pre[side] + (size_t)j * BUF_LEN;

				rtp_make(p, (uint16_t)j, i * 2 + side);
				len = PKT_LEN;
				if (rp_srtp_protect(out, p, &len, BUF_LEN) !=
				        0 ||
				    len != SRTP_LEN)
					die("rp_srtp_protect", EINVAL);
			}
			rp_srtp_free(out);
		}
	}
}

static void
calls_open(struct bench *b, struct media_relay *r)
{
	struct media_srtp_key(*keys)[2][2] = NULL;
	struct call *c;
	unsigned i, side, pool;
	int err;

	b->calls = calloc(b->k, sizeof(*b->calls));
	if (b->calls == NULL)
		die("calloc", ENOMEM);
	if (b->srtp) {
		keys = calloc(b->k, sizeof(*keys));
		if (keys == NULL)
			die("calloc", ENOMEM);
		packets_make(b, keys);
	}
	for (i = 0; i < b->k; i++) {
		c = &b->calls[i];
		/* -EAGAIN: the worker's command queue is full (it is still
		 * deriving keys); the API says to try again. */
		while ((err = media_stream_new(r, &c->s)) == -EAGAIN)
			usleep(1000);
		if (err != 0)
			die("media_stream_new", -err);
		pool = (i / SLOTS) % POOL;
		for (side = 0; side < 2; side++) {
			c->port[side] = media_stream_port(c->s, side);
			while ((err = media_stream_set_peer(c->s, side,
			            &b->ep_addr[side][pool], NULL, true)) ==
			       -EAGAIN)
				usleep(1000);
			if (err != 0)
				die("media_stream_set_peer", -err);
			if (!b->srtp)
				continue;
			while ((err = media_stream_set_srtp(c->s, side,
			            &keys[i][side][0], &keys[i][side][1])) ==
			       -EAGAIN)
				usleep(1000);
			if (err != 0)
				die("media_stream_set_srtp", -err);
		}
	}
	free(keys);
}

/* Waits until the workers have taken their commands (SRTP key
 * derivation can take a while): their CPU clock stops moving. */
static void
settle(const struct media_relay *r)
{
	uint64_t before, after = media_relay_worker_cpu_ns(r);

	do {
		before = after;
		usleep(50000);
		after = media_relay_worker_cpu_ns(r);
	} while (after - before > 2000000);
}

/* Sends one packet from each endpoint of every call in 'slot'; returns
 * the number sent, adding failures to *fail. */
static uint64_t
send_slot(struct bench *b, unsigned slot, uint8_t (*buf)[BUF_LEN],
    struct mmsghdr *msg, struct iovec *iov, struct sockaddr_in *to,
    uint64_t *fail)
{
	unsigned side, pool, i, n, j;
	uint64_t sent = 0;
	struct call *c;
	uint8_t *p;
	size_t len;
	int rc;

	for (side = 0; side < 2; side++) {
		for (pool = 0; pool < POOL; pool++) {
			n = 0;
			for (i = slot + pool * SLOTS; i < b->k;
			     i += SLOTS * POOL) {
				c = &b->calls[i];
				if (c->pre[side] != NULL) {
					p = c->pre[side] +
					    (size_t)(c->seq[side]++ % b->npre) *
					        BUF_LEN;
					len = SRTP_LEN;
				} else {
					p = buf[n];
					rtp_make(
					    p, c->seq[side]++, i * 2 + side);
					len = PKT_LEN;
				}
				memset(&to[n], 0, sizeof(to[n]));
				to[n].sin_family = AF_INET;
				to[n].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
				to[n].sin_port = htons(c->port[side]);
				iov[n].iov_base = p;
				iov[n].iov_len = len;
				memset(&msg[n], 0, sizeof(msg[n]));
				msg[n].msg_hdr.msg_name = &to[n];
				msg[n].msg_hdr.msg_namelen = sizeof(to[n]);
				msg[n].msg_hdr.msg_iov = &iov[n];
				msg[n].msg_hdr.msg_iovlen = 1;
				n++;
			}
			for (j = 0; j < n;) {
				rc = sendmmsg(
				    b->ep[side][pool], msg + j, n - j, 0);
				if (rc <= 0) {
					*fail += n - j;
					break;
				}
				j += (unsigned)rc;
				sent += (unsigned)rc;
			}
		}
	}
	return sent;
}

static void
drain(struct bench *b)
{
	static uint8_t rbuf[RX_BATCH][BUF_LEN];
	struct mmsghdr msg[RX_BATCH];
	struct iovec iov[RX_BATCH];
	int side, pool, i, n;

	for (i = 0; i < RX_BATCH; i++) {
		iov[i].iov_base = rbuf[i];
		iov[i].iov_len = BUF_LEN;
		memset(&msg[i], 0, sizeof(msg[i]));
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	for (side = 0; side < 2; side++)
		for (pool = 0; pool < POOL; pool++)
			do {
				n = recvmmsg(b->ep[side][pool], msg, RX_BATCH,
				    MSG_DONTWAIT, NULL);
				if (n > 0)
					b->received += (unsigned)n;
			} while (n == RX_BATCH);
}

static void
sleep_until(const struct timespec *t)
{
	while (
	    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
		;
}

static void
ts_add_ms(struct timespec *t, long ms)
{
	t->tv_nsec += ms * 1000000L;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

static struct step
run_step(struct bench *b, unsigned workers, unsigned k, double secs)
{
	static uint8_t buf[4096][BUF_LEN];
	static struct mmsghdr msg[4096];
	static struct iovec iov[4096];
	static struct sockaddr_in to[4096];
	struct media_relay_config cfg = {
	    .addr = "127.0.0.1",
	    .port_min = PORT_MIN,
	    .port_max = PORT_MAX,
	    .workers = workers,
	};
	struct media_stream_stats st;
	struct media_relay *r = NULL;
	struct step out = {.k = k};
	struct timespec next, end;
	uint64_t cpu0, cpu1;
	double t0, t1, g0, g1, tsend;
	unsigned slot = 0, i;
	int err;

	err = media_relay_new(&r, &cfg);
	if (err != 0)
		die("media_relay_new", -err);
	b->k = k;
	b->received = 0;
	b->npre = (unsigned)(secs * 1000 / SLOTS) + 2;
	calls_open(b, r);
	settle(r);

	cpu0 = media_relay_worker_cpu_ns(r);
	g0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	t0 = now_s(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_MONOTONIC, &next);
	end = next;
	ts_add_ms(&end, (long)(secs * 1000));
	while (next.tv_sec < end.tv_sec ||
	       (next.tv_sec == end.tv_sec && next.tv_nsec < end.tv_nsec)) {
		out.sent +=
		    send_slot(b, slot, buf, msg, iov, to, &out.send_fail);
		slot = (slot + 1) % SLOTS;
		drain(b);
		ts_add_ms(&next, 1);
		sleep_until(&next);
	}
	tsend = now_s(CLOCK_MONOTONIC) - t0;
	for (i = 0; i < DRAIN_MS; i++) {
		drain(b);
		usleep(1000);
	}
	t1 = now_s(CLOCK_MONOTONIC);
	g1 = now_s(CLOCK_THREAD_CPUTIME_ID);
	cpu1 = media_relay_worker_cpu_ns(r);

	for (i = 0; i < k; i++) {
		media_stream_stats(b->calls[i].s, 0, &st);
		out.relayed += st.tx_packets;
		media_stream_stats(b->calls[i].s, 1, &st);
		out.relayed += st.tx_packets;
	}
	out.received = b->received;
	out.secs = t1 - t0;
	out.lag = tsend / secs - 1;
	out.loss = out.sent + out.send_fail == 0
	               ? 0
	               : 1.0 - (double)out.received /
	                           (double)(out.sent + out.send_fail);
	if (out.loss < 0)
		out.loss = 0;
	out.worker_us_pkt = out.relayed == 0 ? 0
	                                     : (double)(cpu1 - cpu0) / 1e3 /
	                                           (double)out.relayed;
	out.worker_cpu = (double)(cpu1 - cpu0) / 1e9 / out.secs;
	out.gen_cpu = (g1 - g0) / out.secs;
	calls_close(b);
	media_relay_free(r);
	return out;
}

int
main(int argc, char **argv)
{
	static const unsigned ks[] = {
	    100, 250, 500, 1000, 1500, 2000, 2500, 3000, 4000};
	static const struct {
		const char *name;
		bool srtp;
		unsigned workers;
	} modes[] = {{"rtp1", false, 1}, {"srtp1", true, 1}, {"rtp2", false, 2},
	    {"srtp2", true, 2}};
	const char *only = argc > 2 ? argv[2] : NULL;
	unsigned best[4] = {0}, limit, m, i;
	bool gen_limited[4] = {false};
	double secs = 3.0, start, step_cost;
	bool stopped_by_budget = false;
	struct bench b;
	struct step s;

	if (argc > 1)
		secs = atof(argv[1]);
	if (secs <= 0 || secs > 30) {
		fprintf(stderr, "usage: bench_media [SECONDS_PER_STEP]\n");
		return 2;
	}
	memset(&b, 0, sizeof(b));
	limit = max_calls();
	raise_nofile(limit < ks[RP_ARRAY_LEN(ks) - 1]
	                 ? limit
	                 : ks[RP_ARRAY_LEN(ks) - 1]);
	endpoints_open(&b);
	printf("media relay: G.711 calls (172-byte RTP, 50 pps each way), "
	       "%.1f s per step, %ld CPUs online, load generated in-process\n",
	    secs, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-5s %2s %5s %10s %10s %8s %6s %8s %9s %9s\n", "mode", "w", "K",
	    "sent", "relayed", "loss%", "lag%", "us/pkt", "wrk-cpu", "gen-cpu");
	start = now_s(CLOCK_MONOTONIC);
	step_cost = secs + 1.0;
	for (m = 0; m < RP_ARRAY_LEN(modes); m++) {
		if (only != NULL && strcmp(only, modes[m].name) != 0)
			continue;
		b.srtp = modes[m].srtp;
		for (i = 0; i < RP_ARRAY_LEN(ks); i++) {
			if (ks[i] > limit)
				break;
			/* Leave time for the steps of the other modes. */
			if (now_s(CLOCK_MONOTONIC) - start + step_cost >
			    BUDGET_S * (m + 1) / RP_ARRAY_LEN(modes)) {
				stopped_by_budget = true;
				break;
			}
			s = run_step(&b, modes[m].workers, ks[i], secs);
			printf("%-5s %2u %5u %10llu %10llu %8.3f %6.1f %8.2f "
			       "%8.0f%% %8.0f%%\n",
			    modes[m].srtp ? "SRTP" : "RTP", modes[m].workers,
			    s.k, (unsigned long long)s.sent,
			    (unsigned long long)s.relayed, s.loss * 100,
			    s.lag * 100, s.worker_us_pkt, s.worker_cpu * 100,
			    s.gen_cpu * 100);
			fflush(stdout);
			if (s.lag > LAG_MAX) {
				gen_limited[m] = true;
				break;
			}
			if (s.loss >= LOSS_MAX)
				break;
			best[m] = s.k;
		}
	}
	printf("\nsummary: highest K with < %.1f %% loss (K steps up to "
	       "%u)\n",
	    LOSS_MAX * 100, ks[RP_ARRAY_LEN(ks) - 1]);
	for (m = 0; m < RP_ARRAY_LEN(modes); m++)
		if (only == NULL || strcmp(only, modes[m].name) == 0)
			printf("  %-4s %u worker%s: %u calls (%u relayed pkt/s)"
			       "%s\n",
			    modes[m].srtp ? "SRTP" : "RTP", modes[m].workers,
			    modes[m].workers > 1 ? "s" : " ", best[m],
			    best[m] * 100,
			    gen_limited[m] ? ", then the generator fell behind"
			                   : "");
	if (stopped_by_budget)
		printf("  (some steps skipped to stay within the time "
		       "budget)\n");
	printf("  note: the generator runs on the same CPUs as the "
	       "workers (see gen-cpu)\n");
	printf("  total %.0f s\n", now_s(CLOCK_MONOTONIC) - start);
	for (m = 0; m < 2; m++)
		for (i = 0; i < POOL; i++)
			close(b.ep[m][i]);
	return 0;
}
