/* UDP, TCP and TLS transports. */
#include "sip/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "sip/frame.h"

#define UDP_BATCH 8
#define LISTENERS_MAX 16
#define READ_CHUNK 16384
#define UDP_RCVBUF_BYTES (4 * 1024 * 1024)
/* Our connections reported lost in one loop turn. */
#define LOST_MAX 16

struct listener {
	struct sip_transport *tp;
	enum sip_txn_transport kind;
	int fd;
	int family;
	uint16_t port;
};

struct conn {
	struct sip_transport *tp;
	uint64_t id; /* generation << 32 | slot + 1 */
	int fd;
	enum sip_txn_transport kind;
	SSL *ssl;
	bool outbound;   /* we opened it */
	bool connecting; /* ours, until connect() completes */
	bool handshake_done;
	bool want_write; /* EPOLLOUT is being watched */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char *rbuf;
	size_t rlen;
	size_t rcap;
	struct buf wbuf;
	size_t woff;
	struct loop_timer idle;
};

/* The certificate name of a TLS peer we connect to. */
struct tls_name {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char name[256];
};

struct sip_transport {
	struct loop *loop;
	struct sip_transport_config cfg;
	SSL_CTX *tls;
	SSL_CTX *tls_client; /* connections we open; NULL until needed */
	struct tls_name tls_names[SIP_TRANSPORT_TLS_NAMES_MAX];
	unsigned ntls_names;
	struct listener listeners[LISTENERS_MAX];
	unsigned nlisteners;
	struct conn **conns; /* by slot */
	uint32_t *generations;
	unsigned nslots;
	unsigned nconns;
	/* Connections we opened that failed or closed, reported from the
	 * loop (never from inside a send). */
	struct sip_txn_peer lost[LOST_MAX];
	unsigned nlost;
	struct loop_timer lost_timer;
	/* Receive buffers for a UDP batch, allocated once. */
	char *udp_bufs;
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iovs[UDP_BATCH];
	struct sockaddr_storage addrs[UDP_BATCH];
};

static const struct sip_limits *
limits(const struct sip_transport *tp)
{
	return tp->cfg.limits != NULL ? tp->cfg.limits : &sip_limits_default;
}

static bool
is_stream(enum sip_txn_transport kind)
{
	return kind != SIP_TXN_TP_UDP;
}

static void
peer_of_conn(const struct conn *c, struct sip_txn_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->transport = c->kind;
	p->reliable = true;
	p->conn_id = c->id;
	p->addr_len = c->addr_len;
	memcpy(&p->addr, &c->addr, c->addr_len);
}

static bool
same_ip(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
	           &((const struct sockaddr_in6 *)b)->sin6_addr,
	           sizeof(struct in6_addr)) == 0;
}

/* ---- connections ---- */

static void
conn_close(struct conn *c)
{
	struct sip_transport *tp = c->tp;
	unsigned slot = (unsigned)(c->id & 0xffffffffu) - 1;

	loop_timer_stop(tp->loop, &c->idle);
	loop_del_fd(tp->loop, c->fd);
	if (!c->outbound && tp->cfg.closed != NULL)
		tp->cfg.closed(tp->cfg.ctx, &c->addr);
	if (c->outbound && tp->cfg.lost != NULL && tp->nlost < LOST_MAX) {
		struct sip_txn_peer *p = &tp->lost[tp->nlost++];

		peer_of_conn(c, p);
		p->conn_id = 0;
		if (loop_timer_start(tp->loop, &tp->lost_timer, 0) != 0)
			tp->nlost--;
	}
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
	}
	close(c->fd);
	free(c->rbuf);
	buf_release(&c->wbuf);
	tp->conns[slot] = NULL;
	tp->generations[slot]++;
	tp->nconns--;
	free(c);
}

static void
lost_fired(struct loop *l, void *arg)
{
	struct sip_transport *tp = arg;
	struct sip_txn_peer lost[LOST_MAX];
	unsigned n = tp->nlost;

	(void)l;
	memcpy(lost, tp->lost, n * sizeof(lost[0]));
	tp->nlost = 0;
	for (unsigned i = 0; i < n; i++)
		tp->cfg.lost(tp->cfg.ctx, &lost[i]);
}

static struct conn *
conn_find(const struct sip_transport *tp, uint64_t id)
{
	uint64_t slot = (id & 0xffffffffu);
	struct conn *c;

	if (slot == 0 || slot > tp->nslots)
		return NULL;
	c = tp->conns[slot - 1];
	return (c != NULL && c->id == id) ? c : NULL;
}

static void
idle_expired(struct loop *l, void *arg)
{
	struct conn *c = arg;

	(void)l;
	conn_close(c);
}

static void
touch(struct conn *c)
{
	uint32_t ms =
	    c->handshake_done ? c->tp->cfg.idle_ms : SIP_TRANSPORT_HANDSHAKE_MS;

	/* Out of memory for the timer heap: the connection then lives
	 * until the peer closes it, which the connection limits bound. */
	if (loop_timer_start(c->tp->loop, &c->idle, ms) != 0)
		log_warn("sip", "msg=\"idle timer not armed\" conn=%llu",
		    (unsigned long long)c->id);
}

/* Reads or writes through TLS or the socket. Returns bytes, 0 for "try
 * later", or -1 when the connection is finished. */
static ssize_t
conn_io_read(struct conn *c, char *dst, size_t len)
{
	ssize_t n;

	if (c->ssl == NULL) {
		n = read(c->fd, dst, len);
		if (n > 0)
			return n;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;
	}
	n = SSL_read(c->ssl, dst, (int)(len > INT32_MAX ? INT32_MAX : len));
	if (n > 0)
		return n;
	switch (SSL_get_error(c->ssl, (int)n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

static void
watch_output(struct conn *c, bool on)
{
	if (c->want_write == on)
		return;
	c->want_write = on;
	if (loop_mod_fd(c->tp->loop, c->fd,
	        EPOLLIN | (on ? (uint32_t)EPOLLOUT : 0u)) != 0)
		log_warn("sip", "msg=\"epoll mod failed\" conn=%llu",
		    (unsigned long long)c->id);
}

/* Writes what is queued. Returns 0, or -1 when the connection failed. */
static int
conn_flush(struct conn *c)
{
	while (c->woff < c->wbuf.len) {
		const char *p = c->wbuf.data + c->woff;
		size_t len = c->wbuf.len - c->woff;
		ssize_t n;

		if (c->ssl != NULL) {
			n = SSL_write(c->ssl, p,
			    (int)(len > INT32_MAX ? INT32_MAX : len));
			if (n <= 0) {
				int e = SSL_get_error(c->ssl, (int)n);

				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ)
					break;
				ERR_clear_error();
				return -1;
			}
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				return -1;
			}
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wbuf.len) {
		buf_reset(&c->wbuf);
		c->woff = 0;
		watch_output(c, false);
	} else {
		watch_output(c, true);
	}
	return 0;
}

static int
conn_queue(struct conn *c, struct sv bytes)
{
	if (c->wbuf.len - c->woff + bytes.len > SIP_TRANSPORT_WBUF_MAX)
		return -ENOBUFS;
	buf_append_sv(&c->wbuf, bytes);
	if (buf_error(&c->wbuf) != 0) {
		buf_reset(&c->wbuf);
		return -ENOMEM;
	}
	if (!c->handshake_done)
		return 0; /* sent once the handshake completes */
	return conn_flush(c) == 0 ? 0 : -EPIPE;
}

/* Frames and delivers every complete message in the read buffer.
 * Returns 0, or -1 when the stream broke its framing. */
static int
conn_deliver(struct conn *c)
{
	struct sip_transport *tp = c->tp;
	size_t off = 0;
	int rc = 0;

	while (off < c->rlen) {
		struct sip_frame f;
		struct sip_error err;
		struct sip_txn_peer peer;
		uint64_t id = c->id;

		rc = sip_frame_stream(sv_make(c->rbuf + off, c->rlen - off),
		    limits(tp), &f, &err);
		if (rc == -ENODATA) {
			rc = 0;
			break;
		}
		if (rc != 0) {
			peer_of_conn(c, &peer);
			if (tp->cfg.on_error != NULL)
				tp->cfg.on_error(
				    tp->cfg.ctx, &peer, err.status, err.reason);
			return -1;
		}
		if (f.kind == SIP_FRAME_PING) {
			if (conn_queue(c, SV("\r\n")) != 0)
				return -1;
		} else if (f.kind == SIP_FRAME_MESSAGE) {
			peer_of_conn(c, &peer);
			tp->cfg.on_message(
			    tp->cfg.ctx, sv_make(c->rbuf + off, f.len), &peer);
			/* The callback may not close this connection, but
			 * a send error inside it may have. */
			if (conn_find(tp, id) == NULL)
				return -2;
		}
		off += f.len;
	}
	if (off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
	return rc;
}

static int
conn_handshake(struct conn *c)
{
	/* Accepting or connecting, as SSL_set_*_state() said. */
	int n = SSL_do_handshake(c->ssl);

	if (n == 1) {
		c->handshake_done = true;
		touch(c);
		return conn_flush(c);
	}
	switch (SSL_get_error(c->ssl, n)) {
	case SSL_ERROR_WANT_READ:
		return 0;
	case SSL_ERROR_WANT_WRITE:
		watch_output(c, true);
		return 0;
	default:
		/* Wrong version, bad record: the peer learns nothing more
		 * than the TLS alert OpenSSL already sent. */
		ERR_clear_error();
		return -1;
	}
}

static void
conn_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	size_t max = limits(c->tp)->msg_max;

	(void)l;
	(void)fd;
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0)
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 ||
		    err != 0) {
			conn_close(c);
			return;
		}
		c->connecting = false;
		c->handshake_done = true;
		touch(c);
	}
	if (c->ssl != NULL && !c->handshake_done) {
		if (conn_handshake(c) != 0) {
			conn_close(c);
			return;
		}
		if (!c->handshake_done)
			return;
	}
	if ((events & EPOLLOUT) != 0 && conn_flush(c) != 0) {
		conn_close(c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0)
		return;
	for (;;) {
		ssize_t n;
		int rc;

		if (c->rcap - c->rlen < READ_CHUNK / 4) {
			size_t cap = c->rcap * 2;
			char *p;

			/* A message may not exceed msg_max, so neither may
			 * the unframed bytes of one connection. */
			if (c->rcap >= max + READ_CHUNK) {
				conn_close(c);
				return;
			}
			p = mem_realloc(c->rbuf, cap);
			if (p == NULL) {
				conn_close(c);
				return;
			}
			c->rbuf = p;
			c->rcap = cap;
		}
		n = conn_io_read(c, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n < 0) {
			conn_close(c);
			return;
		}
		if (n == 0)
			break;
		c->rlen += (size_t)n;
		touch(c);
		rc = conn_deliver(c);
		if (rc == -2)
			return; /* closed under us */
		if (rc != 0) {
			conn_close(c);
			return;
		}
	}
}

static int
conn_slot(struct sip_transport *tp, unsigned *slot)
{
	for (unsigned i = 0; i < tp->nslots; i++) {
		if (tp->conns[i] == NULL) {
			*slot = i;
			return 0;
		}
	}
	{
		unsigned n = tp->nslots != 0 ? tp->nslots * 2 : 64;
		struct conn **conns;
		uint32_t *gens;

		conns = mem_realloc(tp->conns, n * sizeof(*conns));
		if (conns == NULL)
			return -ENOMEM;
		tp->conns = conns;
		gens = mem_realloc(tp->generations, n * sizeof(*gens));
		if (gens == NULL)
			return -ENOMEM;
		tp->generations = gens;
		for (unsigned i = tp->nslots; i < n; i++) {
			tp->conns[i] = NULL;
			tp->generations[i] = 1;
		}
		*slot = tp->nslots;
		tp->nslots = n;
	}
	return 0;
}

static unsigned
conns_from(const struct sip_transport *tp, const struct sockaddr_storage *a)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tp->nslots; i++)
		if (tp->conns[i] != NULL && same_ip(&tp->conns[i]->addr, a))
			n++;
	return n;
}

/* The name set for a TLS peer, or NULL. */
static const char *
tls_name_of(const struct sip_transport *tp, const struct sockaddr_storage *addr,
    socklen_t addr_len)
{
	for (unsigned i = 0; i < tp->ntls_names; i++) {
		const struct tls_name *n = &tp->tls_names[i];

		if (n->addr_len == addr_len &&
		    memcmp(&n->addr, addr, addr_len) == 0)
			return n->name;
	}
	return NULL;
}

int
sip_transport_set_tls_name(struct sip_transport *tp,
    const struct sockaddr_storage *addr, socklen_t addr_len, const char *name)
{
	size_t len = strlen(name);
	struct tls_name *n = NULL;

	if (len == 0 || len >= sizeof(n->name) ||
	    addr_len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	for (unsigned i = 0; i < tp->ntls_names && n == NULL; i++) {
		if (tp->tls_names[i].addr_len == addr_len &&
		    memcmp(&tp->tls_names[i].addr, addr, addr_len) == 0)
			n = &tp->tls_names[i];
	}
	if (n == NULL) {
		if (tp->ntls_names == SIP_TRANSPORT_TLS_NAMES_MAX)
			return -ENOSPC;
		n = &tp->tls_names[tp->ntls_names++];
	}
	memset(n, 0, sizeof(*n));
	memcpy(&n->addr, addr, addr_len);
	n->addr_len = addr_len;
	memcpy(n->name, name, len + 1);
	return 0;
}

/* The client context: the system's trust store and the configured CA
 * file, the peer's certificate always checked (R-CRYPTO-1). */
static SSL_CTX *
tls_client_context(const struct sip_transport_config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_set_min_proto_version(ctx,
	        cfg->tls_allow_1_2 ? TLS1_2_VERSION : TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_default_verify_paths(ctx) != 1 ||
	    (cfg->tls_peer_ca_file != NULL &&
	        SSL_CTX_load_verify_locations(
	            ctx, cfg->tls_peer_ca_file, NULL) != 1)) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
	return ctx;
}

/* A client TLS session to 'addr', whose certificate must name the
 * peer's set name (sent as SNI too, for a DNS name). NULL: no name set,
 * or out of memory. */
static SSL *
tls_client_ssl(struct sip_transport *tp, int fd,
    const struct sockaddr_storage *addr, socklen_t addr_len)
{
	const char *name = tls_name_of(tp, addr, addr_len);
	struct in6_addr ip;
	bool literal;
	int ok;
	SSL *ssl;

	if (name == NULL)
		return NULL;
	if (tp->tls_client == NULL)
		tp->tls_client = tls_client_context(&tp->cfg);
	if (tp->tls_client == NULL)
		return NULL;
	ssl = SSL_new(tp->tls_client);
	if (ssl == NULL)
		return NULL;
	literal = inet_pton(AF_INET, name, &ip) == 1 ||
	          inet_pton(AF_INET6, name, &ip) == 1;
	ok = SSL_set_fd(ssl, fd) == 1;
	if (ok && literal)
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) ==
		     1;
	else if (ok) {
		/* The SNI macro takes a non-const pointer. */
		char host[sizeof(tp->tls_names[0].name)];

		memcpy(host, name, strlen(name) + 1);
		ok = SSL_set_tlsext_host_name(ssl, host) == 1 &&
		     SSL_set1_host(ssl, host) == 1;
	}
	if (!ok) {
		ERR_clear_error();
		SSL_free(ssl);
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}

/* A connection on fd, accepted (ls not NULL) or ours, connecting to a
 * peer (ls NULL). *out (may be NULL) gets it. */
static int
conn_make(struct sip_transport *tp, struct listener *ls,
    enum sip_txn_transport kind, int fd, const struct sockaddr_storage *addr,
    socklen_t addr_len, struct conn **out)
{
	struct conn *c;
	unsigned slot;
	int one = 1;

	if (tp->nconns >= tp->cfg.max_conns ||
	    conns_from(tp, addr) >= tp->cfg.max_conns_per_ip)
		return -EMFILE;
	if (conn_slot(tp, &slot) != 0)
		return -ENOMEM;
	c = mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->tp = tp;
	c->fd = fd;
	c->kind = kind;
	c->addr_len = addr_len;
	memcpy(&c->addr, addr, addr_len);
	c->rcap = READ_CHUNK;
	c->rbuf = mem_alloc(c->rcap);
	buf_init(&c->wbuf, SIP_TRANSPORT_WBUF_MAX);
	loop_timer_init(&c->idle, idle_expired, c);
	c->outbound = ls == NULL;
	c->connecting = ls == NULL;
	c->handshake_done = kind != SIP_TXN_TP_TLS && !c->connecting;
	if (c->rbuf == NULL)
		goto fail;
	if (kind == SIP_TXN_TP_TLS && ls != NULL) {
		c->ssl = SSL_new(tp->tls);
		if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1)
			goto fail;
		SSL_set_accept_state(c->ssl);
	} else if (kind == SIP_TXN_TP_TLS) {
		c->ssl = tls_client_ssl(tp, fd, addr, addr_len);
		if (c->ssl == NULL)
			goto fail;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (loop_add_fd(tp->loop, fd,
	        EPOLLIN | (c->connecting ? (uint32_t)EPOLLOUT : 0u), conn_event,
	        c) != 0)
		goto fail;
	c->want_write = c->connecting;
	c->id = (uint64_t)tp->generations[slot] << 32 | (slot + 1);
	tp->conns[slot] = c;
	tp->nconns++;
	touch(c);
	if (out != NULL)
		*out = c;
	return 0;
fail:
	if (c->ssl != NULL)
		SSL_free(c->ssl);
	free(c->rbuf);
	free(c);
	return -ENOMEM;
}

static void
accept_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct listener *ls = arg;

	(void)l;
	(void)events;
	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof(addr);
		int cfd = accept4(fd, (struct sockaddr *)&addr, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0)
			return; /* EAGAIN, or out of descriptors */
		if (ls->tp->cfg.admit != NULL &&
		    !ls->tp->cfg.admit(ls->tp->cfg.ctx, &addr, ls->kind)) {
			close(cfd);
			continue;
		}
		if (conn_make(ls->tp, ls, ls->kind, cfd, &addr, len, NULL) !=
		    0) {
			close(cfd);
			if (ls->tp->cfg.closed != NULL)
				ls->tp->cfg.closed(ls->tp->cfg.ctx, &addr);
		}
	}
}

/* ---- datagrams ---- */

static void
udp_event(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct listener *ls = arg;
	struct sip_transport *tp = ls->tp;
	size_t size = limits(tp)->msg_max;

	(void)l;
	(void)events;
	for (int round = 0; round < 8; round++) {
		int n;

		for (int i = 0; i < UDP_BATCH; i++) {
			tp->iovs[i].iov_base = tp->udp_bufs + (size_t)i * size;
			tp->iovs[i].iov_len = size;
			memset(&tp->msgs[i].msg_hdr, 0,
			    sizeof(tp->msgs[i].msg_hdr));
			tp->msgs[i].msg_hdr.msg_iov = &tp->iovs[i];
			tp->msgs[i].msg_hdr.msg_iovlen = 1;
			tp->msgs[i].msg_hdr.msg_name = &tp->addrs[i];
			tp->msgs[i].msg_hdr.msg_namelen = sizeof(tp->addrs[i]);
		}
		n = recvmmsg(fd, tp->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			struct sip_txn_peer peer;
			struct sv bytes =
			    sv_make(tp->iovs[i].iov_base, tp->msgs[i].msg_len);

			/* The guard first, before a single byte is read;
			 * then truncated datagrams and keep-alives, which
			 * carry no message. */
			if (tp->cfg.admit != NULL &&
			    !tp->cfg.admit(
			        tp->cfg.ctx, &tp->addrs[i], SIP_TXN_TP_UDP))
				continue;
			if ((tp->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
			    sip_frame_datagram(bytes) != SIP_FRAME_MESSAGE)
				continue;
			memset(&peer, 0, sizeof(peer));
			peer.transport = SIP_TXN_TP_UDP;
			peer.addr_len = tp->msgs[i].msg_hdr.msg_namelen;
			memcpy(&peer.addr, &tp->addrs[i], peer.addr_len);
			tp->cfg.on_message(tp->cfg.ctx, bytes, &peer);
		}
		if (n < UDP_BATCH)
			return;
	}
}

static int
udp_send(
    struct sip_transport *tp, const struct sip_txn_peer *peer, struct sv bytes)
{
	for (unsigned i = 0; i < tp->nlisteners; i++) {
		const struct listener *ls = &tp->listeners[i];

		if (ls->kind != SIP_TXN_TP_UDP ||
		    ls->family != peer->addr.ss_family)
			continue;
		if (sendto(ls->fd, bytes.p, bytes.len, MSG_DONTWAIT,
		        (const struct sockaddr *)&peer->addr,
		        peer->addr_len) < 0)
			return -errno;
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* An open connection of the peer's transport to its address and port
 * (a request with no connection named), or NULL. */
static struct conn *
conn_to(struct sip_transport *tp, const struct sip_txn_peer *peer)
{
	for (unsigned i = 0; i < tp->nslots; i++) {
		struct conn *c = tp->conns[i];

		if (c != NULL && c->kind == peer->transport &&
		    c->addr_len == peer->addr_len &&
		    memcmp(&c->addr, &peer->addr, peer->addr_len) == 0)
			return c;
	}
	return NULL;
}

/* Opens a TCP or TLS connection to the peer (operators' trunks): the
 * bytes queued wait for connect() and the handshake to complete. */
static int
conn_connect(struct sip_transport *tp, const struct sip_txn_peer *peer,
    struct conn **out)
{
	int fd = socket(peer->addr.ss_family,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&peer->addr, peer->addr_len) !=
	        0 &&
	    errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = conn_make(
	    tp, NULL, peer->transport, fd, &peer->addr, peer->addr_len, out);
	if (rc != 0)
		close(fd);
	return rc;
}

int
sip_transport_send(void *arg, const struct sip_txn_peer *peer, struct sv bytes)
{
	struct sip_transport *tp = arg;
	struct conn *c;

	if (!is_stream(peer->transport))
		return udp_send(tp, peer, bytes);
	c = conn_find(tp, peer->conn_id);
	if (c == NULL)
		c = conn_to(tp, peer);
	if (c == NULL) {
		int rc = conn_connect(tp, peer, &c);

		if (rc != 0)
			return rc;
	}
	if (c == NULL)
		return -ENOTCONN;
	{
		int rc = conn_queue(c, bytes);

		if (rc == -EPIPE) {
			conn_close(c);
			return -EPIPE;
		}
		return rc;
	}
}

/* ---- set-up ---- */

static SSL_CTX *
tls_context(const struct sip_transport_config *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	/* R-CRYPTO-1: TLS 1.3 only unless 1.2 is allowed by setting. */
	if (SSL_CTX_set_min_proto_version(ctx,
	        cfg->tls_allow_1_2 ? TLS1_2_VERSION : TLS1_3_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(
	        ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_options(
	    ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	return ctx;
}

int
sip_transport_new(struct sip_transport **out, struct loop *l,
    const struct sip_transport_config *cfg)
{
	struct sip_transport *tp;

	if (cfg->on_message == NULL)
		return -EINVAL;
	tp = mem_calloc(1, sizeof(*tp));
	if (tp == NULL)
		return -ENOMEM;
	tp->loop = l;
	tp->cfg = *cfg;
	loop_timer_init(&tp->lost_timer, lost_fired, tp);
	if (tp->cfg.idle_ms == 0)
		tp->cfg.idle_ms = SIP_TRANSPORT_IDLE_MS_DEFAULT;
	if (tp->cfg.max_conns == 0)
		tp->cfg.max_conns = SIP_TRANSPORT_CONNS_DEFAULT;
	if (tp->cfg.max_conns_per_ip == 0)
		tp->cfg.max_conns_per_ip = SIP_TRANSPORT_CONNS_PER_IP_DEFAULT;
	tp->udp_bufs = mem_alloc((size_t)UDP_BATCH * limits(tp)->msg_max);
	if (tp->udp_bufs == NULL) {
		free(tp);
		return -ENOMEM;
	}
	if (cfg->tls_cert_file != NULL) {
		tp->tls = tls_context(cfg);
		if (tp->tls == NULL) {
			free(tp->udp_bufs);
			free(tp);
			return -EINVAL;
		}
	}
	*out = tp;
	return 0;
}

void
sip_transport_free(struct sip_transport *tp)
{
	if (tp == NULL)
		return;
	for (unsigned i = 0; i < tp->nslots; i++)
		if (tp->conns[i] != NULL)
			conn_close(tp->conns[i]);
	loop_timer_stop(tp->loop, &tp->lost_timer);
	for (unsigned i = 0; i < tp->nlisteners; i++) {
		loop_del_fd(tp->loop, tp->listeners[i].fd);
		close(tp->listeners[i].fd);
	}
	SSL_CTX_free(tp->tls);
	SSL_CTX_free(tp->tls_client);
	free(tp->conns);
	free(tp->generations);
	free(tp->udp_bufs);
	free(tp);
}

static int
make_addr(const char *text, uint16_t port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*len = sizeof(*v4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		*len = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

int
sip_transport_listen(struct sip_transport *tp, enum sip_txn_transport kind,
    const char *addr, uint16_t port)
{
	struct listener *ls;
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;
	int fd, rc;

	if (tp->nlisteners >= LISTENERS_MAX ||
	    make_addr(addr, port, &ss, &len) != 0 ||
	    (kind == SIP_TXN_TP_TLS && tp->tls == NULL) ||
	    kind == SIP_TXN_TP_WS || kind == SIP_TXN_TP_WSS)
		return -EINVAL;
	fd = socket(ss.ss_family,
	    (kind == SIP_TXN_TP_UDP ? SOCK_DGRAM : SOCK_STREAM) |
	        SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -errno;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (kind == SIP_TXN_TP_UDP) {
		/* A flood fills the kernel's queue before the guard sees a
		 * packet: a deep queue keeps room for everyone else's.
		 * SO_RCVBUFFORCE goes past rmem_max when we may (root). */
		int size = UDP_RCVBUF_BYTES;

		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
		        sizeof(size)) != 0)
			(void)setsockopt(
			    fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	}
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(
		    fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    (kind != SIP_TXN_TP_UDP && listen(fd, 512) != 0)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	ls = &tp->listeners[tp->nlisteners];
	ls->tp = tp;
	ls->kind = kind;
	ls->fd = fd;
	ls->family = ss.ss_family;
	ls->port = ntohs(ss.ss_family == AF_INET
	                     ? ((struct sockaddr_in *)&ss)->sin_port
	                     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	rc = loop_add_fd(tp->loop, fd, EPOLLIN,
	    kind == SIP_TXN_TP_UDP ? udp_event : accept_event, ls);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	tp->nlisteners++;
	return 0;
}

uint16_t
sip_transport_port(
    const struct sip_transport *tp, enum sip_txn_transport kind, int family)
{
	for (unsigned i = 0; i < tp->nlisteners; i++)
		if (tp->listeners[i].kind == kind &&
		    tp->listeners[i].family == family)
			return tp->listeners[i].port;
	return 0;
}

unsigned
sip_transport_conn_count(const struct sip_transport *tp)
{
	return tp->nconns;
}
