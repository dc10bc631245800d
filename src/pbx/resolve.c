/* RFC 3263 server location with c-ares. See pbx/resolve.h. */
#include "pbx/resolve.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/mem.h"

#define PORT_SIP 5060u
#define PORT_SIPS 5061u
/* Sockets c-ares keeps open at once (one per server and protocol). */
#define SOCKS_MAX 16u

struct query;

/* One address lookup of a query: the host's, or one SRV target's. */
struct lookup {
	struct query *q;
	unsigned slot; /* where its addresses go in the order */
};

struct query {
	struct resolver *r;
	struct query *next;
	struct loop_timer start; /* the first step runs from the loop */
	char host[RESOLVE_HOST_MAX + 1];
	uint16_t port;
	enum sip_txn_transport tp;
	resolve_cb cb;
	void *arg;
	bool cancelled;
	unsigned pending; /* c-ares calls not answered yet */
	int status;       /* the first hard error, if nothing is found */
	size_t nsrv;
	struct resolve_srv srv[RESOLVE_TARGETS_MAX];
	struct lookup look[RESOLVE_TARGETS_MAX];
	/* Addresses per slot, flattened in slot order at the end. */
	struct sip_txn_peer found[RESOLVE_TARGETS_MAX][RESOLVE_TARGETS_MAX];
	size_t nfound[RESOLVE_TARGETS_MAX];
};

struct resolver {
	struct loop *loop;
	ares_channel ch;
	bool channel_ok;
	struct loop_timer timer;
	int socks[SOCKS_MAX];
	size_t nsocks;
	struct query *queries;
	bool freeing;
};

static const char *const naptr_service[] = {
    [SIP_TXN_TP_UDP] = "SIP+D2U",
    [SIP_TXN_TP_TCP] = "SIP+D2T",
    [SIP_TXN_TP_TLS] = "SIPS+D2T",
};

static const char *const srv_prefix[] = {
    [SIP_TXN_TP_UDP] = "_sip._udp.",
    [SIP_TXN_TP_TCP] = "_sip._tcp.",
    [SIP_TXN_TP_TLS] = "_sips._tcp.",
};

static int
errno_of(int ares_status)
{
	switch (ares_status) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
	case ARES_ENONAME:
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* ---- the channel on the loop ---- */

static void rearm(struct resolver *r);

static void
on_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct resolver *r = arg;

	(void)l;
	ares_process_fd(r->ch,
	    (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0 ? fd
	                                                    : ARES_SOCKET_BAD,
	    (events & EPOLLOUT) != 0 ? fd : ARES_SOCKET_BAD);
	rearm(r);
}

static void
on_timer(struct loop *l, void *arg)
{
	struct resolver *r = arg;

	(void)l;
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	rearm(r);
}

/* c-ares' own clock for retries and timeouts, on a loop timer. */
static void
rearm(struct resolver *r)
{
	struct timeval tv, *t;

	loop_timer_stop(r->loop, &r->timer);
	if (r->freeing || r->queries == NULL)
		return;
	t = ares_timeout(r->ch, NULL, &tv);
	if (t == NULL)
		return;
	if (loop_timer_start(r->loop, &r->timer,
	        (uint64_t)t->tv_sec * 1000u + (uint64_t)t->tv_usec / 1000u +
	            1u) != 0)
		log_warn("dns", "msg=\"resolver timer not started\"");
}

static void
sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	uint32_t ev = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
	size_t i;

	for (i = 0; i < r->nsocks && r->socks[i] != fd; i++)
		;
	if (ev == 0) {
		if (i < r->nsocks) {
			loop_del_fd(r->loop, fd);
			r->socks[i] = r->socks[--r->nsocks];
		}
		return;
	}
	if (i < r->nsocks) {
		if (loop_mod_fd(r->loop, fd, ev) != 0)
			log_warn("dns", "msg=\"resolver socket not watched\"");
		return;
	}
	if (r->nsocks == SOCKS_MAX ||
	    loop_add_fd(r->loop, fd, ev, on_fd, r) != 0) {
		log_warn("dns", "msg=\"resolver socket not watched\"");
		return;
	}
	r->socks[r->nsocks++] = fd;
}

int
resolver_new(struct resolver **out, struct loop *l, const char *servers)
{
	struct ares_options opt = {0};
	struct resolver *r;
	int rc;

	r = mem_calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->loop = l;
	loop_timer_init(&r->timer, on_timer, r);
	opt.sock_state_cb = sock_state;
	opt.sock_state_cb_data = r;
	opt.timeout = 2000; /* ms per try */
	opt.tries = 2;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc == ARES_SUCCESS)
		rc = ares_init_options(&r->ch, &opt,
		    ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS |
		        ARES_OPT_TRIES);
	if (rc == ARES_SUCCESS) {
		r->channel_ok = true;
		if (servers != NULL)
			rc = ares_set_servers_ports_csv(r->ch, servers);
	}
	if (rc != ARES_SUCCESS) {
		log_error("dns", "msg=\"resolver not started\" error=\"%s\"",
		    ares_strerror(rc));
		resolver_free(r);
		return servers != NULL && rc == ARES_EBADSTR ? -EINVAL : -EIO;
	}
	*out = r;
	return 0;
}

void
resolver_free(struct resolver *r)
{
	if (r == NULL)
		return;
	r->freeing = true;
	for (struct query *q = r->queries; q != NULL; q = q->next)
		q->cancelled = true;
	loop_timer_stop(r->loop, &r->timer);
	if (r->channel_ok)
		ares_destroy(
		    r->ch); /* answers every query: ARES_EDESTRUCTION */
	while (r->nsocks > 0)
		loop_del_fd(r->loop, r->socks[--r->nsocks]);
	while (r->queries != NULL) {
		struct query *q = r->queries;

		r->queries = q->next;
		loop_timer_stop(r->loop, &q->start);
		free(q);
	}
	ares_library_cleanup();
	free(r);
}

void
resolver_cancel(struct resolver *r, void *arg)
{
	for (struct query *q = r != NULL ? r->queries : NULL; q != NULL;
	     q = q->next) {
		if (q->arg == arg)
			q->cancelled = true;
	}
}

/* ---- one query ---- */

static void
query_unlink(struct query *q)
{
	struct query **p = &q->r->queries;

	while (*p != NULL && *p != q)
		p = &(*p)->next;
	if (*p == q)
		*p = q->next;
}

/* The last c-ares call of q answered: the peers in order, to the
 * owner, then q goes. */
static void
query_done(struct query *q)
{
	struct sip_txn_peer out[RESOLVE_TARGETS_MAX];
	size_t n = 0;

	if (q->pending > 0 || q->r->freeing)
		return;
	for (size_t s = 0; s < RESOLVE_TARGETS_MAX; s++) {
		for (size_t i = 0; i < q->nfound[s] && n < RESOLVE_TARGETS_MAX;
		     i++)
			out[n++] = q->found[s][i];
	}
	query_unlink(q);
	if (!q->cancelled)
		q->cb(q->arg,
		    n > 0            ? 0
		    : q->status != 0 ? q->status
		                     : -ENOENT,
		    out, n);
	free(q);
}

static void
on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct lookup *lk = arg;
	struct query *q = lk->q;
	uint16_t port = q->nsrv > 0 ? q->srv[lk->slot].port
	                : q->port != 0
	                    ? q->port
	                    : (q->tp == SIP_TXN_TP_TLS ? PORT_SIPS : PORT_SIP);

	(void)timeouts;
	q->pending--;
	if (status == ARES_SUCCESS && res != NULL) {
		for (struct ares_addrinfo_node *a = res->nodes;
		     a != NULL && q->nfound[lk->slot] < RESOLVE_TARGETS_MAX;
		     a = a->ai_next) {
			struct sip_txn_peer *p =
			    &q->found[lk->slot][q->nfound[lk->slot]];

			if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
				continue;
			memset(p, 0, sizeof(*p));
			memcpy(&p->addr, a->ai_addr, a->ai_addrlen);
			p->addr_len = a->ai_addrlen;
			if (a->ai_family == AF_INET)
				((struct sockaddr_in *)&p->addr)->sin_port =
				    htons(port);
			else
				((struct sockaddr_in6 *)&p->addr)->sin6_port =
				    htons(port);
			p->transport = q->tp;
			p->reliable = q->tp != SIP_TXN_TP_UDP;
			q->nfound[lk->slot]++;
		}
	} else if (q->status == 0 && status != ARES_EDESTRUCTION) {
		q->status = errno_of(status);
	}
	if (res != NULL)
		ares_freeaddrinfo(res);
	query_done(q);
}

static void
lookup_addresses(struct query *q, const char *name, unsigned slot)
{
	struct ares_addrinfo_hints hints = {.ai_family = AF_UNSPEC};

	q->look[slot] = (struct lookup){.q = q, .slot = slot};
	q->pending++;
	ares_getaddrinfo(
	    q->r->ch, name, NULL, &hints, on_addrinfo, &q->look[slot]);
}

void
resolve_srv_sort(struct resolve_srv *srv, size_t n)
{
	/* Insertion sort: stable, and n is at most a few. */
	for (size_t i = 1; i < n; i++) {
		struct resolve_srv x = srv[i];
		size_t j = i;

		while (j > 0 && (srv[j - 1].priority > x.priority ||
		                    (srv[j - 1].priority == x.priority &&
		                        srv[j - 1].weight < x.weight))) {
			srv[j] = srv[j - 1];
			j--;
		}
		srv[j] = x;
	}
}

static void
on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct ares_srv_reply *rep = NULL;

	(void)timeouts;
	/* q->pending still counts this answer: the lookups started below
	 * may answer at once without freeing q under our feet. */
	if (status == ARES_SUCCESS &&
	    ares_parse_srv_reply(abuf, alen, &rep) == ARES_SUCCESS) {
		for (struct ares_srv_reply *s = rep;
		     s != NULL && q->nsrv < RESOLVE_TARGETS_MAX; s = s->next) {
			struct resolve_srv *d = &q->srv[q->nsrv];

			if (strlen(s->host) > RESOLVE_HOST_MAX ||
			    strcmp(s->host, ".") == 0)
				continue;
			snprintf(d->target, sizeof(d->target), "%s", s->host);
			d->port = s->port;
			d->priority = s->priority;
			d->weight = s->weight;
			q->nsrv++;
		}
		ares_free_data(rep);
	}
	if (q->r->freeing || status == ARES_EDESTRUCTION) {
		q->pending--;
		query_done(q);
		return;
	}
	if (q->nsrv == 0) {
		/* No SRV: the host itself on the default port. */
		lookup_addresses(q, q->host, 0);
	} else {
		resolve_srv_sort(q->srv, q->nsrv);
		for (unsigned i = 0; i < q->nsrv; i++)
			lookup_addresses(q, q->srv[i].target, i);
	}
	q->pending--;
	query_done(q);
}

static void
lookup_srv(struct query *q, const char *name)
{
	q->pending++;
	ares_query(q->r->ch, name, ns_c_in, ns_t_srv, on_srv, q);
}

static void
on_naptr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct query *q = arg;
	struct ares_naptr_reply *rep = NULL, *best = NULL;
	char name[RESOLVE_HOST_MAX + 16];

	(void)timeouts;
	if (status == ARES_SUCCESS &&
	    ares_parse_naptr_reply(abuf, alen, &rep) == ARES_SUCCESS) {
		for (struct ares_naptr_reply *n = rep; n != NULL; n = n->next) {
			if (strcasecmp((const char *)n->service,
			        naptr_service[q->tp]) != 0 ||
			    strcasecmp((const char *)n->flags, "s") != 0)
				continue;
			if (best == NULL || n->order < best->order ||
			    (n->order == best->order &&
			        n->preference < best->preference))
				best = n;
		}
	}
	if (best != NULL && strlen(best->replacement) <= RESOLVE_HOST_MAX)
		snprintf(name, sizeof(name), "%s", best->replacement);
	else
		snprintf(
		    name, sizeof(name), "%s%s", srv_prefix[q->tp], q->host);
	if (rep != NULL)
		ares_free_data(rep);
	if (q->r->freeing || status == ARES_EDESTRUCTION) {
		q->pending--;
		query_done(q);
		return;
	}
	lookup_srv(q, name);
	q->pending--;
	query_done(q);
}

bool
resolve_literal(const char *host, uint16_t port, enum sip_txn_transport tp,
    struct sip_txn_peer *p)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&p->addr;
	uint16_t pt = port != 0              ? port
	              : tp == SIP_TXN_TP_TLS ? PORT_SIPS
	                                     : PORT_SIP;

	memset(p, 0, sizeof(*p));
	p->transport = tp;
	p->reliable = tp != SIP_TXN_TP_UDP;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(pt);
		p->addr_len = sizeof(*a4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(pt);
		p->addr_len = sizeof(*a6);
		return true;
	}
	return false;
}

/* The first step of a query, from the loop: an IP literal is the
 * answer; a port means addresses only; else NAPTR, SRV, addresses. */
static void
query_start(struct loop *l, void *arg)
{
	struct query *q = arg;

	(void)l;
	if (q->cancelled) {
		query_done(q);
		return;
	}
	if (resolve_literal(q->host, q->port, q->tp, &q->found[0][0])) {
		q->nfound[0] = 1;
		query_done(q);
		return;
	}
	q->pending++; /* held while the first calls start */
	if (q->port != 0) {
		lookup_addresses(q, q->host, 0);
	} else {
		q->pending++;
		ares_query(q->r->ch, q->host, ns_c_in, ns_t_naptr, on_naptr, q);
	}
	rearm(q->r);
	q->pending--;
	query_done(q);
}

int
resolver_sip(struct resolver *r, const char *host, uint16_t port,
    enum sip_txn_transport transport, resolve_cb cb, void *arg)
{
	size_t len = strlen(host);
	struct query *q;

	if (len == 0 || len > RESOLVE_HOST_MAX || cb == NULL ||
	    (unsigned)transport > SIP_TXN_TP_TLS)
		return -EINVAL;
	q = mem_calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->r = r;
	memcpy(q->host, host, len + 1);
	q->port = port;
	q->tp = transport;
	q->cb = cb;
	q->arg = arg;
	q->next = r->queries;
	r->queries = q;
	loop_timer_init(&q->start, query_start, q);
	if (loop_timer_start(r->loop, &q->start, 0) != 0) {
		query_unlink(q);
		free(q);
		return -ENOMEM;
	}
	return 0;
}
