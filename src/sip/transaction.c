/* SIP transactions (RFC 3261 §17).
 *
 * Each transaction is one allocation holding its state, two intrusive
 * loop timers and a copy of the request that created it; the keys it is
 * matched by are views into that copy. Live transactions sit in two
 * chained hash tables (server, client) sized once from the configured
 * limits. Bucket indexes come from SipHash-2-4 under a per-layer random
 * key, so a peer choosing branches cannot pile its requests into one
 * chain.
 *
 * A transaction is freed as soon as it reaches Terminated, from inside
 * the call or timer callback that ended it; it is never touched after
 * that. A server transaction is the TU's handle until the TU sends its
 * final response; a client transaction until its callback reports a
 * final outcome. Before those points nothing but the TU's own calls and
 * transport errors can end them, which keeps the handles safe. */
#include "sip/transaction.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/buf.h"
#include "core/mem.h"
#include "sip/build.h"
#include "sip/uri.h"
#include "sip/via.h"

enum txn_state {
	ST_TRYING,
	ST_CALLING,
	ST_PROCEEDING,
	ST_COMPLETED,
	ST_CONFIRMED,
};

/* Hash chain link; the first member of each transaction. */
struct node {
	struct node *next;
	uint64_t hash;
};

struct table {
	struct node **buckets;
	size_t mask;
	size_t count;
	size_t max;
};

/* What a server transaction is matched by (§17.2.3), as views into the
 * request's bytes. */
struct match_keys {
	enum sip_method method;
	struct sv method_name;
	bool rfc3261; /* the branch carries the magic cookie */
	struct sv branch;
	struct sv via_transport;
	struct sv via_host;
	uint16_t via_port; /* 0 when absent */
	struct sv via_params;
	struct sv ruri;
	struct sv call_id;
	struct sv from_tag;
	struct sv to_tag;
	uint32_t cseq;
	uint64_t hash;
};

struct sip_txn_layer {
	struct loop *loop;
	struct sip_txn_config cfg;
	sip_txn_send_cb send;
	void *send_ctx;
	struct sip_txn_tu tu;
	struct table srv;
	struct table cli;
	uint64_t key[2];
	/* Scratch space for the leaf operations that parse our own copies
	 * or build messages; never held across a callback. */
	struct sip_msg *scratch;
	struct buf out;
	struct sip_txn_stats stats;
};

struct sip_txn_server {
	struct node node;
	struct sip_txn_layer *layer;
	enum txn_state state;
	bool invite;
	struct match_keys k;
	struct sip_txn_peer peer;
	struct loop_timer retx;  /* G */
	struct loop_timer timer; /* automatic 100, H, I, J */
	uint64_t retx_ms;
	char *resp; /* the last response sent, NULL before any */
	size_t resp_len;
	uint16_t resp_status;
	struct sv resp_to_tag; /* RFC 2543 ACK matching; into resp */
	void *data;
	size_t raw_len;
	char raw[];
};

struct sip_txn_client {
	struct node node;
	struct sip_txn_layer *layer;
	enum txn_state state;
	bool invite;
	enum sip_method method;
	sip_txn_response_cb cb;
	void *arg;
	struct sip_txn_peer peer;
	struct loop_timer retx;  /* A, E */
	struct loop_timer timer; /* B, C, D, F, K */
	uint64_t retx_ms;
	char *ack; /* the ACK for a non-2xx final, once sent */
	size_t ack_len;
	struct sv branch; /* into data, after the request */
	size_t req_len;
	char req[];
};

/* SipHash-2-4, fed one byte at a time. */
struct hstate {
	uint64_t v0, v1, v2, v3;
	uint64_t m;
	unsigned n;
	uint64_t total;
};

static uint64_t
rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static void
sipround(struct hstate *h)
{
	h->v0 += h->v1;
	h->v1 = rotl(h->v1, 13);
	h->v1 ^= h->v0;
	h->v0 = rotl(h->v0, 32);
	h->v2 += h->v3;
	h->v3 = rotl(h->v3, 16);
	h->v3 ^= h->v2;
	h->v0 += h->v3;
	h->v3 = rotl(h->v3, 21);
	h->v3 ^= h->v0;
	h->v2 += h->v1;
	h->v1 = rotl(h->v1, 17);
	h->v1 ^= h->v2;
	h->v2 = rotl(h->v2, 32);
}

static void
hash_init(struct hstate *h, const uint64_t key[2])
{
	h->v0 = key[0] ^ 0x736f6d6570736575ull;
	h->v1 = key[1] ^ 0x646f72616e646f6dull;
	h->v2 = key[0] ^ 0x6c7967656e657261ull;
	h->v3 = key[1] ^ 0x7465646279746573ull;
	h->m = 0;
	h->n = 0;
	h->total = 0;
}

static void
hash_byte(struct hstate *h, unsigned char c)
{
	h->m |= (uint64_t)c << (8 * h->n);
	h->n++;
	h->total++;
	if (h->n == 8) {
		h->v3 ^= h->m;
		sipround(h);
		sipround(h);
		h->v0 ^= h->m;
		h->m = 0;
		h->n = 0;
	}
}

static uint64_t
hash_final(struct hstate *h)
{
	uint64_t b = (h->total << 56) | h->m;

	h->v3 ^= b;
	sipround(h);
	sipround(h);
	h->v0 ^= b;
	h->v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(h);
	return h->v0 ^ h->v1 ^ h->v2 ^ h->v3;
}

static void
hash_sv(struct hstate *h, struct sv s, bool lower)
{
	for (size_t i = 0; i < s.len; i++)
		hash_byte(
		    h, (unsigned char)(lower ? sv_lower_char(s.p[i]) : s.p[i]));
	hash_byte(h, 0); /* keeps field boundaries apart */
}

static void
hash_u32(struct hstate *h, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		hash_byte(h, (unsigned char)(v >> (8 * i)));
}

/* Client transactions: our own branch. Branches compare
 * case-insensitively (RFC 3261 §7.3.1), so they hash lowered. */
static uint64_t
hash_branch(const struct sip_txn_layer *layer, struct sv branch)
{
	struct hstate h;

	hash_init(&h, layer->key);
	hash_byte(&h, 'C');
	hash_sv(&h, branch, true);
	return hash_final(&h);
}

/* Server transactions: every field that a retransmission, its ACK and
 * its CANCEL share, so that entries with equal hashes differ only in
 * what the matching rules leave out of the hash (the method; for RFC
 * 2543 also the Request-URI and To tag). sip_txn_receive_request()
 * bounds how many such entries may pile up. */
static uint64_t
hash_server(const struct sip_txn_layer *layer, const struct match_keys *k)
{
	struct hstate h;

	hash_init(&h, layer->key);
	if (k->rfc3261) {
		hash_byte(&h, 'S');
		hash_sv(&h, k->branch, true);
	} else {
		hash_byte(&h, 'L');
		hash_sv(&h, k->call_id, false);
		hash_u32(&h, k->cseq);
		hash_sv(&h, k->from_tag, false);
		hash_sv(&h, k->via_transport, true);
		hash_sv(&h, k->via_params, true);
	}
	hash_sv(&h, k->via_host, true);
	hash_u32(&h, k->via_port);
	return hash_final(&h);
}

static int
table_init(struct table *tb, uint32_t max)
{
	size_t n = 16;

	while (n < max)
		n <<= 1;
	tb->buckets = mem_calloc(n, sizeof(*tb->buckets));
	if (tb->buckets == NULL)
		return -ENOMEM;
	tb->mask = n - 1;
	tb->count = 0;
	tb->max = max;
	return 0;
}

static struct node **
table_bucket(const struct table *tb, uint64_t hash)
{
	return &tb->buckets[(size_t)(hash & tb->mask)];
}

static void
table_insert(struct table *tb, struct node *n)
{
	struct node **b = table_bucket(tb, n->hash);

	n->next = *b;
	*b = n;
	tb->count++;
}

static void
table_remove(struct table *tb, struct node *n)
{
	struct node **pp = table_bucket(tb, n->hash);

	while (*pp != NULL && *pp != n)
		pp = &(*pp)->next;
	if (*pp == NULL)
		return;
	*pp = n->next;
	n->next = NULL;
	tb->count--;
}

static int
random_bytes(void *out, size_t n)
{
	unsigned char *p = out;
	size_t have = 0;

	while (have < n) {
		ssize_t got = getrandom(p + have, n - have, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		have += (size_t)got;
	}
	return 0;
}

/* n characters of token text (6 random bits each). */
static int
random_token(char *out, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz"
	                               "0123456789-.";
	unsigned char rnd[64];
	int rc;

	if (n > sizeof(rnd))
		return -EINVAL;
	rc = random_bytes(rnd, n);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rnd[i] & 63u];
	return 0;
}

int
sip_txn_new_branch(char out[SIP_TXN_BRANCH_SIZE])
{
	size_t cookie = sizeof(SIP_TXN_BRANCH_COOKIE) - 1;
	int rc;

	memcpy(out, SIP_TXN_BRANCH_COOKIE, cookie);
	rc = random_token(out + cookie, SIP_TXN_BRANCH_RANDOM);
	if (rc != 0)
		return rc;
	out[cookie + SIP_TXN_BRANCH_RANDOM] = '\0';
	return 0;
}

void
sip_txn_config_default(struct sip_txn_config *cfg)
{
	cfg->t1_ms = SIP_TXN_T1_MS;
	cfg->t2_ms = SIP_TXN_T2_MS;
	cfg->t4_ms = SIP_TXN_T4_MS;
	cfg->trying_ms = SIP_TXN_TRYING_MS;
	cfg->timer_d_ms = SIP_TXN_TIMER_D_MS;
	cfg->timer_c_ms = SIP_TXN_TIMER_C_MS;
	cfg->max_server = SIP_TXN_MAX_DEFAULT;
	cfg->max_client = SIP_TXN_MAX_DEFAULT;
}

/* Timers B, F, H and J: 64*T1. */
static uint64_t
t64(const struct sip_txn_layer *layer)
{
	return 64u * (uint64_t)layer->cfg.t1_ms;
}

static uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* (Re)starts a timer whose failure the caller can live with, because
 * another timer still bounds the transaction. loop_timer_start() fails
 * only for an idle timer, which then stays idle. */
static void
timer_try(struct loop *l, struct loop_timer *t, uint64_t ms)
{
	if (loop_timer_start(l, t, ms) != 0)
		loop_timer_stop(l, t);
}

static int
layer_send(struct sip_txn_layer *layer, const struct sip_txn_peer *peer,
    struct sv bytes)
{
	int rc = layer->send(layer->send_ctx, peer, bytes);

	/* On a datagram transport a full socket buffer is a lost packet
	 * that the timers cover; on a stream nothing would resend it. */
	if (rc >= 0 || (!peer->reliable && (rc == -EAGAIN || rc == -ENOBUFS)))
		return 0;
	layer->stats.transport_errors++;
	return rc;
}

int
sip_txn_layer_send(struct sip_txn_layer *layer, const struct sip_txn_peer *peer,
    struct sv bytes)
{
	if (layer == NULL || peer == NULL || bytes.len == 0)
		return -EINVAL;
	return layer_send(layer, peer, bytes);
}

/* Header values copied from parsed messages may be folded; line breaks
 * become spaces, which LWS allows (RFC 3261 §7.3.1). */
static int
put_unfolded(struct buf *b, struct sv name, struct sv value)
{
	char *copy;
	int rc;

	if (value.len == 0 || (memchr(value.p, '\r', value.len) == NULL &&
	                          memchr(value.p, '\n', value.len) == NULL))
		return sip_build_header(b, name, value);
	copy = mem_alloc(value.len);
	if (copy == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < value.len; i++) {
		char c = value.p[i];

		copy[i] = (c == '\r' || c == '\n') ? ' ' : c;
	}
	rc = sip_build_header(b, name, sv_make(copy, value.len));
	free(copy);
	return rc;
}

/* Decimal text of v into out (room for 10 digits); returns the length. */
static size_t
u32_text(uint32_t v, char out[10])
{
	char tmp[10];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* "SIP/2.0 NNN ..." from a response the TU built. */
static int
response_status(struct sv bytes, uint16_t *status)
{
	static const struct sv prefix = {"SIP/2.0 ", 8};
	uint32_t v;

	if (bytes.len < prefix.len + 4 || !sv_starts_with(bytes, prefix) ||
	    bytes.p[prefix.len + 3] != ' ')
		return -EINVAL;
	if (sv_to_u32(sv_make(bytes.p + prefix.len, 3), 699, &v) != 0 ||
	    v < 100)
		return -EINVAL;
	*status = (uint16_t)v;
	return 0;
}

/* Server transactions (§17.2). */

/* Points v, a view into 'from', at the same bytes of the copy 'to'.
 * Empty views from elsewhere stay present but empty. */
static bool
rebase(struct sv *v, struct sv from, const char *to)
{
	uintptr_t p = (uintptr_t)v->p, base = (uintptr_t)from.p;

	if (v->p == NULL)
		return true;
	if (p < base || p - base > from.len || v->len > from.len - (p - base)) {
		if (v->len != 0)
			return false;
		v->p = to;
		return true;
	}
	v->p = to + (p - base);
	return true;
}

static bool
match_keys_rebase(struct match_keys *k, struct sv from, const char *to)
{
	struct sv *views[] = {&k->method_name, &k->branch, &k->via_transport,
	    &k->via_host, &k->via_params, &k->ruri, &k->call_id, &k->from_tag,
	    &k->to_tag};

	for (size_t i = 0; i < RP_ARRAY_LEN(views); i++)
		if (!rebase(views[i], from, to))
			return false;
	return true;
}

static int
match_keys_get(
    const struct sip_txn_layer *layer, struct sip_msg *m, struct match_keys *k)
{
	const struct sip_via *via;
	const struct sip_addr *from, *to;
	const struct sip_cseq *cseq;

	if (sip_msg_via(m, &via, NULL) != 0 ||
	    sip_msg_from(m, &from, NULL) != 0 ||
	    sip_msg_to(m, &to, NULL) != 0 ||
	    sip_msg_call_id(m, &k->call_id, NULL) != 0 ||
	    sip_msg_cseq(m, &cseq, NULL) != 0)
		return -EBADMSG;
	if (cseq->method != m->method ||
	    (m->method == SIP_METHOD_OTHER &&
	        !sv_eq(cseq->method_name, m->method_name)))
		return -EBADMSG;
	k->method = m->method;
	k->method_name = m->method_name;
	k->rfc3261 = sip_via_branch_is_rfc3261(via);
	k->branch = via->branch;
	k->via_transport = via->transport;
	k->via_host = via->host;
	k->via_port = via->has_port ? via->port : 0;
	k->via_params = via->params;
	k->ruri = m->ruri_text;
	k->from_tag = from->tag;
	k->to_tag = to->tag;
	k->cseq = cseq->seq;
	k->hash = hash_server(layer, k);
	return 0;
}

static bool
method_is(const struct match_keys *t, enum sip_method want, struct sv want_name)
{
	if (t->method != want)
		return false;
	return want != SIP_METHOD_OTHER || sv_eq(t->method_name, want_name);
}

/* Tags: an absent tag equals only an absent one. */
static bool
tag_eq(struct sv a, struct sv b)
{
	return sv_present(a) == sv_present(b) && sv_eq(a, b);
}

static bool
uri_same(struct sv a, struct sv b)
{
	struct sip_uri ua, ub;

	if (sv_eq(a, b))
		return true;
	if (sip_uri_parse(a, &ua) != 0 || sip_uri_parse(b, &ub) != 0)
		return false;
	return sip_uri_equal(&ua, &ub);
}

/* §17.2.3, first rule set: branch, sent-by and method. */
static bool
match_rfc3261(const struct match_keys *t, const struct match_keys *k,
    enum sip_method want, struct sv want_name)
{
	return t->rfc3261 && sv_ieq(t->branch, k->branch) &&
	       sv_ieq(t->via_host, k->via_host) && t->via_port == k->via_port &&
	       method_is(t, want, want_name);
}

/* §17.2.3, RFC 2543 rules: Request-URI, tags, Call-ID, CSeq and top Via;
 * an ACK's To tag is compared with the one of our response. */
static bool
match_legacy(const struct sip_txn_server *srv, const struct match_keys *k,
    enum sip_method want, struct sv want_name)
{
	const struct match_keys *t = &srv->k;
	struct sv to_tag =
	    k->method == SIP_METHOD_ACK ? srv->resp_to_tag : t->to_tag;

	return !t->rfc3261 && t->cseq == k->cseq &&
	       sv_eq(t->call_id, k->call_id) &&
	       tag_eq(t->from_tag, k->from_tag) && tag_eq(to_tag, k->to_tag) &&
	       sv_ieq(t->via_transport, k->via_transport) &&
	       sv_ieq(t->via_host, k->via_host) && t->via_port == k->via_port &&
	       sv_ieq(t->via_params, k->via_params) &&
	       method_is(t, want, want_name) && uri_same(t->ruri, k->ruri);
}

/* *same (when not NULL) counts the entries with k's exact hash. */
static struct sip_txn_server *
srv_find(const struct sip_txn_layer *layer, const struct match_keys *k,
    enum sip_method want, struct sv want_name, size_t *same)
{
	if (same != NULL)
		*same = 0;
	for (struct node *n = *table_bucket(&layer->srv, k->hash); n != NULL;
	     n = n->next) {
		struct sip_txn_server *t = (struct sip_txn_server *)n;

		if (n->hash != k->hash)
			continue;
		if (same != NULL)
			(*same)++;
		if (k->rfc3261 ? match_rfc3261(&t->k, k, want, want_name)
		               : match_legacy(t, k, want, want_name))
			return t;
	}
	return NULL;
}

static void
srv_free(struct sip_txn_server *t)
{
	struct sip_txn_layer *layer = t->layer;

	table_remove(&layer->srv, &t->node);
	loop_timer_stop(layer->loop, &t->retx);
	loop_timer_stop(layer->loop, &t->timer);
	free(t->resp);
	free(t);
}

/* The TU already has its final answer out: tell it, then terminate. */
static void
srv_fail(struct sip_txn_server *t, enum sip_txn_failure why)
{
	struct sip_txn_layer *layer = t->layer;

	if (layer->tu.failure != NULL)
		layer->tu.failure(layer->tu.ctx, t, why);
	srv_free(t);
}

/* Keeps a copy of a response for retransmission. */
static bool
srv_store(struct sip_txn_server *t, struct sv bytes, uint16_t status)
{
	char *copy = mem_alloc(bytes.len);

	if (copy == NULL)
		return false;
	memcpy(copy, bytes.p, bytes.len);
	free(t->resp);
	t->resp = copy;
	t->resp_len = bytes.len;
	t->resp_status = status;
	t->resp_to_tag = SV_NULL;
	return true;
}

/* Builds a response to t's request into layer->out. Parses the stored
 * copy again: keeping a parsed message per transaction would cost
 * kilobytes each, and this path runs once per transaction at most
 * (simple answers and the automatic 100). */
static int
srv_build(struct sip_txn_server *t, uint16_t status, struct sv reason,
    const struct sip_txn_header *hdrs, size_t n, struct sv to_tag)
{
	struct sip_txn_layer *layer = t->layer;
	struct sip_msg *req = layer->scratch;
	struct buf *b = &layer->out;
	struct sip_error err;
	struct sv ts;
	int rc;

	if (sip_msg_parse(req, sv_make(t->raw, t->raw_len), NULL, &err) != 0)
		return -EINVAL;
	buf_reset(b);
	rc = sip_build_response(b, req, status, reason, to_tag);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = sip_build_header(b, hdrs[i].name, hdrs[i].value);
	/* §8.2.6.1: a 100 copies the request's Timestamp. A value the
	 * builder refuses is left out (nothing was written then). */
	if (rc == 0 && status == 100 &&
	    sip_msg_header(req, SIP_HDR_TIMESTAMP, &ts) == 0) {
		int ts_rc = sip_build_header(b, SV("Timestamp"), ts);

		if (ts_rc != -EINVAL)
			rc = ts_rc;
	}
	if (rc == 0)
		rc = sip_build_body(b, SV_NULL, SV_NULL);
	return rc;
}

/* §17.2.1: the TU was silent for trying_ms; send 100 Trying. Errors are
 * only counted: the TU still holds t and meets them when it answers. */
static void
srv_auto_trying(struct sip_txn_server *t)
{
	struct sip_txn_layer *layer = t->layer;

	if (srv_build(t, 100, SV_NULL, NULL, 0, SV_NULL) != 0)
		return;
	(void)srv_store(t, buf_view(&layer->out), 100);
	(void)layer_send(layer, &t->peer, buf_view(&layer->out));
}

static void
srv_on_retx(struct loop *l, void *arg)
{
	struct sip_txn_server *t = arg;
	struct sip_txn_layer *layer = t->layer;

	(void)l;
	if (t->state != ST_COMPLETED || t->resp == NULL)
		return;
	/* Timer G (§17.2.1): resend, then back off, capped at T2. */
	layer->stats.retransmits++;
	if (layer_send(layer, &t->peer, sv_make(t->resp, t->resp_len)) != 0) {
		srv_fail(t, SIP_TXN_FAIL_TRANSPORT);
		return;
	}
	t->retx_ms = min_u64(2 * t->retx_ms, layer->cfg.t2_ms);
	/* Should the heap not grow, Timer H still ends the transaction. */
	timer_try(layer->loop, &t->retx, t->retx_ms);
}

static void
srv_on_timer(struct loop *l, void *arg)
{
	struct sip_txn_server *t = arg;

	(void)l;
	switch (t->state) {
	case ST_PROCEEDING:
		if (t->invite && t->resp == NULL)
			srv_auto_trying(t);
		break;
	case ST_COMPLETED:
		if (t->invite) {
			/* Timer H: the ACK never came. */
			t->layer->stats.timeouts++;
			srv_fail(t, SIP_TXN_FAIL_TIMEOUT);
		} else {
			srv_free(t); /* Timer J */
		}
		break;
	case ST_CONFIRMED:
		srv_free(t); /* Timer I */
		break;
	case ST_TRYING:
	case ST_CALLING:
		break;
	}
}

/* A request that matched t: absorb it (§17.2.1, §17.2.2). */
static int
srv_absorb(struct sip_txn_server *t, const struct match_keys *k)
{
	struct sip_txn_layer *layer = t->layer;

	layer->stats.absorbed++;
	if (k->method == SIP_METHOD_ACK) {
		if (t->state != ST_COMPLETED)
			return SIP_TXN_ABSORBED;
		/* Completed -> Confirmed; Timer I absorbs further ACKs. */
		loop_timer_stop(layer->loop, &t->retx);
		t->state = ST_CONFIRMED;
		if (t->peer.reliable || loop_timer_start(layer->loop, &t->timer,
		                            layer->cfg.t4_ms) != 0)
			srv_free(t);
		return SIP_TXN_ABSORBED;
	}
	if (t->resp == NULL || t->state == ST_CONFIRMED)
		return SIP_TXN_ABSORBED;
	if (layer_send(layer, &t->peer, sv_make(t->resp, t->resp_len)) != 0 &&
	    t->state == ST_COMPLETED)
		srv_fail(t, SIP_TXN_FAIL_TRANSPORT);
	return SIP_TXN_ABSORBED;
}

/* Answers statelessly with 503 (over the limit, out of memory). */
static void
refuse(struct sip_txn_layer *layer, struct sip_msg *req,
    const struct sip_txn_peer *to)
{
	struct buf *b = &layer->out;
	char tag[16];

	layer->stats.refused++;
	if (random_token(tag, sizeof(tag)) != 0)
		return;
	buf_reset(b);
	if (sip_build_response(
	        b, req, 503, SV_NULL, sv_make(tag, sizeof(tag))) == 0 &&
	    sip_build_body(b, SV_NULL, SV_NULL) == 0)
		(void)layer_send(layer, to, buf_view(b));
}

static int
srv_new(struct sip_txn_layer *layer, struct sip_msg *req,
    const struct match_keys *k, const struct sip_txn_peer *from,
    struct sip_txn_server **out)
{
	struct sip_txn_server *t;

	if (req->raw.len > SIP_MSG_MAX)
		return -E2BIG;
	t = mem_calloc(1, sizeof(*t) + req->raw.len);
	if (t == NULL)
		return -ENOMEM;
	memcpy(t->raw, req->raw.p, req->raw.len);
	t->raw_len = req->raw.len;
	t->k = *k;
	if (!match_keys_rebase(&t->k, req->raw, t->raw)) {
		free(t);
		return -EINVAL;
	}
	t->layer = layer;
	t->node.hash = k->hash;
	t->invite = k->method == SIP_METHOD_INVITE;
	t->state = t->invite ? ST_PROCEEDING : ST_TRYING;
	t->peer = *from;
	loop_timer_init(&t->retx, srv_on_retx, t);
	loop_timer_init(&t->timer, srv_on_timer, t);
	if (t->invite && loop_timer_start(layer->loop, &t->timer,
	                     layer->cfg.trying_ms) != 0) {
		free(t);
		return -ENOMEM;
	}
	table_insert(&layer->srv, &t->node);
	*out = t;
	return 0;
}

static bool
view_inside(struct sv inner, struct sv outer)
{
	uintptr_t p = (uintptr_t)inner.p, base = (uintptr_t)outer.p;

	return inner.p != NULL && outer.p != NULL && p >= base &&
	       p - base <= outer.len && inner.len <= outer.len - (p - base);
}

int
sip_txn_receive_request(struct sip_txn_layer *layer, struct sip_msg *req,
    struct sv raw, const struct sip_txn_peer *from)
{
	struct sip_txn_server *t;
	enum sip_method want;
	struct match_keys k;
	size_t same;
	int rc;

	if (layer == NULL || req == NULL || from == NULL || !req->is_request ||
	    !view_inside(req->raw, raw))
		return -EINVAL;
	rc = match_keys_get(layer, req, &k);
	if (rc != 0)
		return rc;
	want = k.method == SIP_METHOD_ACK ? SIP_METHOD_INVITE : k.method;
	t = srv_find(layer, &k, want, k.method_name, &same);
	if (t != NULL)
		return srv_absorb(t, &k);
	if (k.method == SIP_METHOD_ACK) {
		/* The ACK for a 2xx, or for nothing we know (§17.2.3). */
		if (layer->tu.ack != NULL)
			layer->tu.ack(layer->tu.ctx, req, from);
		return SIP_TXN_UNMATCHED;
	}
	/* Equal hashes under a secret key mean equal hashed fields: only a
	 * peer varying the rest on purpose (methods, or the RFC 2543
	 * Request-URI) gets here, and it must not grow one long chain. */
	if (layer->srv.count >= layer->srv.max ||
	    same >= SIP_TXN_SAME_KEY_MAX) {
		refuse(layer, req, from);
		return -EBUSY;
	}
	rc = srv_new(layer, req, &k, from, &t);
	if (rc != 0) {
		if (rc == -ENOMEM)
			refuse(layer, req, from);
		return rc;
	}
	/* The TU may answer, and so end t, inside this call. */
	layer->tu.request(layer->tu.ctx, t, req, from);
	return 0;
}

/* RFC 2543 peers match the ACK by the To tag of our final response. */
static void
srv_keep_to_tag(struct sip_txn_server *t)
{
	const struct sip_addr *to;
	struct sip_error err;
	struct sip_msg *m = t->layer->scratch;

	if (sip_msg_parse(m, sv_make(t->resp, t->resp_len), NULL, &err) == 0 &&
	    sip_msg_to(m, &to, NULL) == 0)
		t->resp_to_tag = to->tag;
}

static int
srv_respond(struct sip_txn_server *t, struct sv bytes, uint16_t status)
{
	struct sip_txn_layer *layer = t->layer;
	bool final = status >= 200;
	bool ok_2xx = t->invite && status >= 200 && status < 300;
	bool kept = false;
	int rc;

	loop_timer_stop(layer->loop, &t->timer); /* the automatic 100 */
	/* A 2xx to an INVITE is never resent by the transaction. Losing a
	 * provisional copy to memory pressure only means a retransmitted
	 * request gets the older one. */
	if (!ok_2xx)
		kept = srv_store(t, bytes, status);
	rc = layer_send(layer, &t->peer, bytes);
	if (rc != 0) {
		srv_free(t); /* §17.2.4 */
		return rc;
	}
	if (!final) {
		t->state = ST_PROCEEDING;
		return 0;
	}
	if (ok_2xx) {
		/* §17.2.1: the 2xx ends the transaction; its retransmission
		 * and the ACK belong to the TU. */
		srv_free(t);
		return 0;
	}
	if (!kept) {
		srv_free(t);
		return -ENOMEM;
	}
	t->state = ST_COMPLETED;
	if (!t->invite) {
		/* Timer J: 64*T1, zero on reliable transports. */
		if (t->peer.reliable) {
			srv_free(t);
			return 0;
		}
		if (loop_timer_start(layer->loop, &t->timer, t64(layer)) != 0) {
			srv_free(t);
			return -ENOMEM;
		}
		return 0;
	}
	if (!t->k.rfc3261)
		srv_keep_to_tag(t);
	rc = loop_timer_start(layer->loop, &t->timer, t64(layer)); /* H */
	if (rc == 0 && !t->peer.reliable) {
		t->retx_ms = layer->cfg.t1_ms; /* G */
		rc = loop_timer_start(layer->loop, &t->retx, t->retx_ms);
	}
	if (rc != 0) {
		srv_free(t);
		return rc;
	}
	return 0;
}

int
sip_txn_respond(struct sip_txn_server *t, struct sv response)
{
	uint16_t status;

	if (t == NULL || response_status(response, &status) != 0 ||
	    (t->state != ST_TRYING && t->state != ST_PROCEEDING))
		return -EINVAL;
	if (response.len > SIP_MSG_MAX)
		return -E2BIG;
	return srv_respond(t, response, status);
}

int
sip_txn_respond_status(struct sip_txn_server *t, uint16_t status,
    struct sv reason, const struct sip_txn_header *hdrs, size_t n,
    struct sv to_tag)
{
	int rc;

	if (t == NULL || (n > 0 && hdrs == NULL) ||
	    (t->state != ST_TRYING && t->state != ST_PROCEEDING))
		return -EINVAL;
	rc = srv_build(t, status, reason, hdrs, n, to_tag);
	if (rc != 0)
		return rc;
	return sip_txn_respond(t, buf_view(&t->layer->out));
}

int
sip_txn_server_find_invite(struct sip_txn_layer *layer, struct sip_msg *cancel,
    struct sip_txn_server **out)
{
	struct sip_txn_server *t;
	struct match_keys k;
	int rc;

	if (layer == NULL || cancel == NULL || out == NULL ||
	    !cancel->is_request || cancel->method != SIP_METHOD_CANCEL)
		return -EINVAL;
	*out = NULL;
	rc = match_keys_get(layer, cancel, &k);
	if (rc != 0)
		return rc;
	t = srv_find(layer, &k, SIP_METHOD_INVITE, SV_NULL, NULL);
	if (t == NULL)
		return -ENOENT;
	if (t->state != ST_PROCEEDING)
		return -EALREADY;
	*out = t;
	return 0;
}

void
sip_txn_server_set_data(struct sip_txn_server *t, void *data)
{
	t->data = data;
}

void *
sip_txn_server_data(const struct sip_txn_server *t)
{
	return t->data;
}

enum sip_method
sip_txn_server_method(const struct sip_txn_server *t)
{
	return t->k.method;
}

const struct sip_txn_peer *
sip_txn_server_peer(const struct sip_txn_server *t)
{
	return &t->peer;
}

struct sv
sip_txn_server_request(const struct sip_txn_server *t)
{
	return sv_make(t->raw, t->raw_len);
}

/* Client transactions (§17.1). */

static void
cli_free(struct sip_txn_client *t)
{
	struct sip_txn_layer *layer = t->layer;

	table_remove(&layer->cli, &t->node);
	loop_timer_stop(layer->loop, &t->retx);
	loop_timer_stop(layer->loop, &t->timer);
	free(t->ack);
	free(t);
}

/* Calls the TU, at most once with a final outcome. */
static void
cli_notify(struct sip_txn_client *t, uint16_t status, struct sip_msg *resp)
{
	sip_txn_response_cb cb = t->cb;

	if (status >= 200)
		t->cb = NULL;
	if (cb != NULL)
		cb(t->arg, t, status, resp);
}

/* Ends t with an outcome the layer makes up: 408 or 503. */
static void
cli_end(struct sip_txn_client *t, uint16_t status)
{
	loop_timer_stop(t->layer->loop, &t->retx);
	loop_timer_stop(t->layer->loop, &t->timer);
	cli_notify(t, status, NULL);
	cli_free(t);
}

/* A client transaction waiting on a stream to 'peer' (same transport,
 * address and port), or NULL. */
static struct sip_txn_client *
cli_waiting_on(struct sip_txn_layer *layer, const struct sip_txn_peer *peer)
{
	for (size_t b = 0; b <= layer->cli.mask; b++) {
		for (struct node *n = layer->cli.buckets[b]; n != NULL;
		     n = n->next) {
			struct sip_txn_client *t = (struct sip_txn_client *)n;

			if (t->state != ST_COMPLETED &&
			    t->peer.transport == peer->transport &&
			    t->peer.addr_len == peer->addr_len &&
			    memcmp(&t->peer.addr, &peer->addr,
			        peer->addr_len) == 0)
				return t;
		}
	}
	return NULL;
}

void
sip_txn_layer_peer_lost(
    struct sip_txn_layer *layer, const struct sip_txn_peer *peer)
{
	struct sip_txn_client *t;

	/* One at a time: a callback may end or start others. */
	while (peer->reliable && (t = cli_waiting_on(layer, peer)) != NULL) {
		layer->stats.transport_errors++;
		cli_end(t, 503); /* §17.1.4 */
	}
}

static void
cli_on_retx(struct loop *l, void *arg)
{
	struct sip_txn_client *t = arg;
	struct sip_txn_layer *layer = t->layer;

	(void)l;
	layer->stats.retransmits++;
	if (layer_send(layer, &t->peer, sv_make(t->req, t->req_len)) != 0) {
		cli_end(t, 503); /* §17.1.4 */
		return;
	}
	if (t->invite)
		t->retx_ms *= 2; /* Timer A doubles; Timer B bounds it */
	else if (t->state == ST_PROCEEDING)
		t->retx_ms = layer->cfg.t2_ms; /* Timer E in Proceeding */
	else
		t->retx_ms = min_u64(2 * t->retx_ms, layer->cfg.t2_ms);
	/* Should the heap not grow, Timer B or F still ends t. */
	timer_try(layer->loop, &t->retx, t->retx_ms);
}

static void
cli_on_timer(struct loop *l, void *arg)
{
	struct sip_txn_client *t = arg;

	(void)l;
	if (t->state == ST_COMPLETED) {
		cli_free(t); /* Timer D or K */
		return;
	}
	/* Timer B (Calling), C (Proceeding) or F: 408 to the TU. */
	t->layer->stats.timeouts++;
	cli_end(t, 408);
}

/* §17.1.1.3: the ACK for a non-2xx final, built from the request and
 * the response's To, kept for the retransmitted finals. */
static int
cli_build_ack(struct sip_txn_client *t, struct sip_msg *resp)
{
	struct sip_txn_layer *layer = t->layer;
	struct sip_msg *req = layer->scratch;
	struct buf *b = &layer->out;
	const struct sip_cseq *cseq;
	struct sv via, from, to, call_id, route;
	struct sip_hdr_iter it;
	struct sip_error err;
	char cs[16];
	size_t cs_len;
	int pos = -1, rc;

	if (sip_msg_parse(req, sv_make(t->req, t->req_len), NULL, &err) != 0 ||
	    !req->is_request)
		return -EINVAL;
	sip_hdr_iter_init(&it, req, SIP_HDR_VIA);
	if (sip_hdr_iter_next(&it, &via) != 1 ||
	    sip_msg_header(req, SIP_HDR_FROM, &from) != 0 ||
	    sip_msg_call_id(req, &call_id, NULL) != 0 ||
	    sip_msg_cseq(req, &cseq, NULL) != 0 ||
	    sip_msg_header(resp, SIP_HDR_TO, &to) != 0)
		return -EINVAL;
	cs_len = u32_text(cseq->seq, cs);
	memcpy(cs + cs_len, " ACK", 4);
	cs_len += 4;
	buf_reset(b);
	rc = sip_build_request_line(b, SV("ACK"), req->ruri_text);
	/* One Via: the top one of the request. Route as in the request. */
	if (rc == 0)
		rc = put_unfolded(b, SV("Via"), via);
	while (rc == 0 &&
	       sip_msg_next_field(req, SIP_HDR_ROUTE, &pos, &route) == 1)
		rc = put_unfolded(b, SV("Route"), route);
	if (rc == 0)
		rc = sip_build_header_u32(b, SV("Max-Forwards"), 70);
	if (rc == 0)
		rc = put_unfolded(b, SV("From"), from);
	if (rc == 0)
		rc = put_unfolded(b, SV("To"), to);
	if (rc == 0)
		rc = sip_build_header(b, SV("Call-ID"), call_id);
	if (rc == 0)
		rc = sip_build_header(b, SV("CSeq"), sv_make(cs, cs_len));
	if (rc == 0)
		rc = sip_build_body(b, SV_NULL, SV_NULL);
	if (rc != 0)
		return rc;
	t->ack = mem_alloc(b->len);
	if (t->ack == NULL)
		return -ENOMEM;
	memcpy(t->ack, b->data, b->len);
	t->ack_len = b->len;
	return 0;
}

static int
cli_provisional(struct sip_txn_client *t, uint16_t status, struct sip_msg *resp)
{
	struct sip_txn_layer *layer = t->layer;

	if (t->invite) {
		loop_timer_stop(layer->loop, &t->retx); /* A */
		/* Timer B only runs in Calling; Timer C guards Proceeding
		 * and restarts on each provisional. The timer is already
		 * queued (B or C), so restarting it cannot fail. */
		if (layer->cfg.timer_c_ms > 0)
			timer_try(
			    layer->loop, &t->timer, layer->cfg.timer_c_ms);
		else
			loop_timer_stop(layer->loop, &t->timer);
	}
	t->state = ST_PROCEEDING;
	cli_notify(t, status, resp);
	return 0;
}

static int
cli_final(struct sip_txn_client *t, uint16_t status, struct sip_msg *resp)
{
	struct sip_txn_layer *layer = t->layer;
	bool done = t->peer.reliable; /* Timers D and K are zero then */

	loop_timer_stop(layer->loop, &t->retx);
	loop_timer_stop(layer->loop, &t->timer);
	if (t->invite && status < 300) {
		/* §17.1.1.2: the 2xx goes up, the TU sends the ACK. */
		cli_notify(t, status, resp);
		cli_free(t);
		return 0;
	}
	t->state = ST_COMPLETED;
	if (t->invite) {
		if (cli_build_ack(t, resp) != 0 ||
		    layer_send(layer, &t->peer, sv_make(t->ack, t->ack_len)) !=
		        0)
			done = true;
		if (!done && loop_timer_start(layer->loop, &t->timer,
		                 layer->cfg.timer_d_ms) != 0)
			done = true;
	} else if (!done && loop_timer_start(layer->loop, &t->timer,
	                        layer->cfg.t4_ms) != 0) {
		done = true;
	}
	cli_notify(t, status, resp);
	if (done)
		cli_free(t);
	return 0;
}

static struct sip_txn_client *
cli_find(
    const struct sip_txn_layer *layer, struct sv branch, enum sip_method method)
{
	uint64_t hash = hash_branch(layer, branch);

	for (struct node *n = *table_bucket(&layer->cli, hash); n != NULL;
	     n = n->next) {
		struct sip_txn_client *t = (struct sip_txn_client *)n;

		if (n->hash == hash && t->method == method &&
		    sv_ieq(t->branch, branch))
			return t;
	}
	return NULL;
}

int
sip_txn_receive_response(struct sip_txn_layer *layer, struct sip_msg *resp,
    const struct sip_txn_peer *from)
{
	const struct sip_cseq *cseq;
	const struct sip_via *via;
	struct sip_txn_client *t = NULL;
	uint16_t status;

	if (layer == NULL || resp == NULL || from == NULL || resp->is_request)
		return -EINVAL;
	if (sip_msg_via(resp, &via, NULL) != 0 ||
	    sip_msg_cseq(resp, &cseq, NULL) != 0 || resp->status < 100 ||
	    resp->status > 699)
		return -EBADMSG;
	status = resp->status;
	if (via->branch.len > 0)
		t = cli_find(layer, via->branch, cseq->method);
	if (t == NULL) {
		if (layer->tu.stray != NULL)
			layer->tu.stray(layer->tu.ctx, resp, from);
		return SIP_TXN_UNMATCHED;
	}
	if (t->state == ST_COMPLETED) {
		/* §17.1.1.2: a retransmitted final gets the ACK again. */
		layer->stats.absorbed++;
		if (t->invite && status >= 300 && t->ack != NULL &&
		    layer_send(layer, &t->peer, sv_make(t->ack, t->ack_len)) !=
		        0)
			cli_free(t);
		return SIP_TXN_ABSORBED;
	}
	if (status < 200)
		return cli_provisional(t, status, resp);
	return cli_final(t, status, resp);
}

int
sip_txn_client_start(struct sip_txn_layer *layer, struct sv request,
    struct sv branch, enum sip_method method, const struct sip_txn_peer *peer,
    sip_txn_response_cb cb, void *arg, struct sip_txn_client **out)
{
	struct sip_txn_client *t;
	int rc = 0;

	if (layer == NULL || peer == NULL || request.len == 0 ||
	    branch.len == 0 || method == SIP_METHOD_ACK)
		return -EINVAL;
	if (request.len > SIP_MSG_MAX || branch.len > SIP_HEADER_LEN_MAX)
		return -E2BIG;
	if (layer->cli.count >= layer->cli.max)
		return -EBUSY;
	t = mem_calloc(1, sizeof(*t) + request.len + branch.len);
	if (t == NULL)
		return -ENOMEM;
	memcpy(t->req, request.p, request.len);
	t->req_len = request.len;
	memcpy(t->req + request.len, branch.p, branch.len);
	t->branch = sv_make(t->req + request.len, branch.len);
	t->layer = layer;
	t->node.hash = hash_branch(layer, t->branch);
	t->method = method;
	t->invite = method == SIP_METHOD_INVITE;
	t->state = t->invite ? ST_CALLING : ST_TRYING;
	t->cb = cb;
	t->arg = arg;
	t->peer = *peer;
	loop_timer_init(&t->retx, cli_on_retx, t);
	loop_timer_init(&t->timer, cli_on_timer, t);
	/* Timer B or F: 64*T1; Timer A or E: T1, unreliable only. */
	rc = loop_timer_start(layer->loop, &t->timer, t64(layer));
	if (rc == 0 && !peer->reliable) {
		t->retx_ms = layer->cfg.t1_ms;
		rc = loop_timer_start(layer->loop, &t->retx, t->retx_ms);
	}
	if (rc == 0) {
		table_insert(&layer->cli, &t->node);
		rc = layer_send(layer, peer, request);
	}
	if (rc != 0) {
		cli_free(t);
		return rc;
	}
	if (out != NULL)
		*out = t;
	return 0;
}

void
sip_txn_client_detach(struct sip_txn_client *t)
{
	if (t != NULL)
		t->cb = NULL;
}

/* The layer. */

int
sip_txn_layer_new(struct sip_txn_layer **out, struct loop *l,
    const struct sip_txn_config *cfg, sip_txn_send_cb send, void *send_ctx,
    const struct sip_txn_tu *tu)
{
	struct sip_txn_config def;
	struct sip_txn_layer *layer;
	int rc;

	if (out == NULL || l == NULL || send == NULL || tu == NULL ||
	    tu->request == NULL)
		return -EINVAL;
	if (cfg == NULL) {
		sip_txn_config_default(&def);
		cfg = &def;
	}
	if (cfg->t1_ms == 0 || cfg->t2_ms < cfg->t1_ms || cfg->t4_ms == 0 ||
	    cfg->max_server == 0 || cfg->max_server > SIP_TXN_MAX_LIMIT ||
	    cfg->max_client == 0 || cfg->max_client > SIP_TXN_MAX_LIMIT)
		return -EINVAL;
	layer = mem_calloc(1, sizeof(*layer));
	if (layer == NULL)
		return -ENOMEM;
	layer->loop = l;
	layer->cfg = *cfg;
	layer->send = send;
	layer->send_ctx = send_ctx;
	layer->tu = *tu;
	buf_init(&layer->out, SIP_MSG_MAX);
	rc = random_bytes(layer->key, sizeof(layer->key));
	if (rc != 0)
		goto fail;
	rc = table_init(&layer->srv, cfg->max_server);
	if (rc == 0)
		rc = table_init(&layer->cli, cfg->max_client);
	if (rc != 0)
		goto fail;
	layer->scratch = mem_alloc(sizeof(*layer->scratch));
	if (layer->scratch == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = layer;
	return 0;
fail:
	sip_txn_layer_free(layer);
	return rc;
}

void
sip_txn_layer_free(struct sip_txn_layer *layer)
{
	if (layer == NULL)
		return;
	for (size_t i = 0; layer->srv.buckets != NULL && i <= layer->srv.mask;
	     i++)
		while (layer->srv.buckets[i] != NULL)
			srv_free(
			    (struct sip_txn_server *)layer->srv.buckets[i]);
	for (size_t i = 0; layer->cli.buckets != NULL && i <= layer->cli.mask;
	     i++)
		while (layer->cli.buckets[i] != NULL)
			cli_free(
			    (struct sip_txn_client *)layer->cli.buckets[i]);
	free(layer->srv.buckets);
	free(layer->cli.buckets);
	free(layer->scratch);
	buf_release(&layer->out);
	free(layer);
}

size_t
sip_txn_layer_servers(const struct sip_txn_layer *layer)
{
	return layer->srv.count;
}

size_t
sip_txn_layer_clients(const struct sip_txn_layer *layer)
{
	return layer->cli.count;
}

const struct sip_txn_stats *
sip_txn_layer_stats(const struct sip_txn_layer *layer)
{
	return &layer->stats;
}
