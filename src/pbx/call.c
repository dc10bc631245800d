/* The B2BUA: calls, their two legs and their forks. See pbx/call.h. */
#include "pbx/call.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "pbx/callmedia.h"
#include "sip/build.h"
#include "sip/uac_auth.h"

#define TAG_LEN 16
#define CALL_ID_LEN 24
#define TEXT_MAX 512 /* a URI or a name-addr we keep */
#define HOST_MAX 64
#define TABLE_SIZE 16384u /* dialog hash buckets, a power of two */
/* RFC 3261 §13.3.1.4: 2xx retransmissions stop after 64*T1. */
#define OK_GIVE_UP_MS (64u * SIP_TXN_T1_MS)
#define MEDIA_CHECK_MS 5000u
#define NUMBER_MAX 64 /* a number sent to a trunk */
#define NAME_MAX 64   /* a trunk name */
#define CRED_MAX 128  /* a trunk's digest user, realm or secret */
#define ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO"

enum side {
	SIDE_A = 0,
	SIDE_B = 1
};

enum call_state {
	CALL_ROUTING,   /* ringing the callee's contacts */
	CALL_ANSWERED,  /* 200 sent to the caller, ACK awaited */
	CALL_CONFIRMED, /* both legs up */
	CALL_ENDED,     /* record written; waiting for callbacks to drain */
};

struct call;

/* One dialog: the caller's (A) or one candidate callee's (B). */
struct leg {
	struct call *call;
	enum side side;
	struct leg *hnext; /* dialog table chain */
	bool in_table;
	char call_id[TEXT_MAX];
	char local_tag[TAG_LEN + 1];
	char remote_tag[TEXT_MAX];
	char local_uri[TEXT_MAX];  /* name-addr without tag */
	char remote_uri[TEXT_MAX]; /* name-addr without tag */
	char target[TEXT_MAX];     /* the remote Contact URI */
	uint32_t local_cseq;
	uint32_t remote_cseq;
	struct sip_txn_peer peer; /* where requests to this leg go */
	char host[HOST_MAX];      /* ours, for Via and Contact */
	uint16_t port;
	bool confirmed; /* has a remote tag and a 2xx */
	/* Our last 2xx to an INVITE on this leg, resent until its ACK. */
	char *ok;
	size_t ok_len;
	uint32_t ok_cseq;
	uint32_t ok_interval_ms;
	uint64_t ok_started_ms;
	struct loop_timer ok_timer;
	/* Our ACK for the leg's last 2xx, resent for each retransmission. */
	char *ack;
	size_t ack_len;
	uint32_t ack_cseq;
};

/* One contact being rung. */
struct fork {
	struct call *call;
	struct sip_txn_client *t; /* NULL once a final outcome arrived */
	struct leg leg;
	char branch[SIP_TXN_BRANCH_SIZE];
	uint32_t invite_cseq;
	bool provisional;    /* a 1xx came: CANCEL may be sent */
	bool cancel_pending; /* cancel as soon as a 1xx comes */
	bool cancelled;
	bool stale; /* rung before the call went to its alternate */
};

/* An in-dialog request relayed from one leg to the other, or one of our
 * own (BYE, refresh) when 'from' is NULL. */
struct relay_req {
	struct call *call;
	enum side to;
	enum sip_method method;
	struct sip_txn_server *from; /* the request being relayed, or NULL */
	bool refresh;
	struct relay_req *next; /* the call's requests in flight */
};

/* A trunk of an outbound call, copied from struct call_trunk; wiped
 * before it is freed (it may hold the trunk's secret). */
struct trunk_slot {
	char name[NAME_MAX];
	struct sip_txn_peer peer;
	char host[HOST_MAX + 2];
	uint16_t port;
	char from_user[NUMBER_MAX];
	char from_domain[HOST_MAX * 4];
	uint32_t channels;
	char auth_user[CRED_MAX + 1];
	char realm[CRED_MAX + 1];
	char password[CRED_MAX + 1]; /* "" : no credentials */
	bool authed; /* this attempt answered a challenge already */
};

/* The alternate destination of a call (R-TRUNK-4), copied from struct
 * call_alternate: an extension, or trunks and a number. */
struct alt_target {
	char ext[CDR_EXT_MAX + 1]; /* "" : trunks */
	struct callmedia_policy policy;
	struct trunk_slot *trunks;
	unsigned ntrunks;
	char number[NUMBER_MAX];
	char dialled[NUMBER_MAX];
	char owner[CDR_EXT_MAX + 1];
};

struct call {
	struct calls *calls;
	enum call_state state;
	unsigned refs; /* 1 while alive + one per pending client callback */
	char id[CALL_ID_LEN + 1];
	struct leg a;
	struct leg *b; /* the winning fork's leg */
	/* The callee's contacts, then the alternate's. */
	struct fork *forks[2 * CALL_FORKS_MAX];
	unsigned nforks;
	unsigned forks_pending;
	uint16_t best_status;         /* best final status among failed forks */
	char callee[CDR_EXT_MAX + 1]; /* the extension being rung */
	struct alt_target *alt;       /* NULL: none */
	bool alt_used;
	uint64_t tag; /* the server's, 0: none (calls_tag_cb) */
	/* An outbound call: its trunks, tried one at a time. */
	struct trunk_slot *trunks;
	unsigned ntrunks, next_trunk;
	int cur_trunk;            /* the trunk tried last, or -1 */
	uint16_t failover_status; /* why the last trunk was passed over */
	uint32_t max_forwards;
	char number[NUMBER_MAX];
	char display[2 * USERS_NAME_BYTES_MAX + 1]; /* quoted-string text */
	char *offer_b; /* the SDP every trunk is offered */
	size_t offer_b_len;
	struct sip_txn_server *invite; /* A's INVITE, until answered */
	struct relay_req *pending;     /* relayed request in flight */
	struct relay_req *reqs;        /* every request of ours in flight */
	struct loop_timer ring_timer;
	struct loop_timer refresh_timer;
	struct loop_timer media_timer;
	/* Media. */
	struct media_stream *stream;
	struct callmedia media;
	/* What the relay was last told per side, so that an unchanged
	 * key is never installed again (a new SRTP context on the same
	 * key would restart its packet index and reuse keystream). */
	struct media_srtp_key applied_rx[2], applied_tx[2];
	bool applied_srtp[2];
	int64_t media_since_ms; /* monotonic: answer or last renegotiation */
	/* The record. */
	struct cdr_record rec;
	int64_t start_ms, answer_ms;
	struct call *next_all, *prev_all;
};

struct calls {
	struct calls_config cfg;
	struct leg *table[TABLE_SIZE];
	struct call *all;
	size_t count;
	struct sip_uac_auth *uac_auth; /* nonce counts of trunk challenges */
	struct buf out;                /* a message being built */
	struct buf body;               /* an SDP body being built */
	struct sip_msg scratch;
};

/* ---- small helpers ---- */

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
random_text(char *out, size_t len)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[64];

	if (len > sizeof(r))
		len = sizeof(r);
	if (getrandom(r, len, 0) != (ssize_t)len)
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[len] = '\0';
}

static void
copy_sv(char *dst, size_t size, struct sv v)
{
	size_t n = v.len < size - 1 ? v.len : size - 1;

	if (n > 0)
		memcpy(dst, v.p, n);
	dst[n] = '\0';
}

/* A display name as the inside of a quoted-string (RFC 3261 §25.1):
 * '"' and '\\' escaped. Names are checked printable UTF-8 without
 * CR or LF when stored, so nothing else needs care. */
static void
quote_display(char *dst, size_t size, struct sv name)
{
	size_t o = 0;

	for (size_t i = 0; i < name.len && o + 2 < size; i++) {
		if (name.p[i] == '"' || name.p[i] == '\\')
			dst[o++] = '\\';
		dst[o++] = name.p[i];
	}
	dst[o] = '\0';
}

static uint32_t
hash_key(struct sv call_id, struct sv tag)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < call_id.len; i++)
		h = (h ^ (uint8_t)call_id.p[i]) * 16777619u;
	for (size_t i = 0; i < tag.len; i++)
		h = (h ^ (uint8_t)tag.p[i]) * 16777619u;
	return h & (TABLE_SIZE - 1);
}

static void
table_add(struct calls *c, struct leg *l)
{
	uint32_t h = hash_key(sv_cstr(l->call_id), sv_cstr(l->local_tag));

	l->hnext = c->table[h];
	c->table[h] = l;
	l->in_table = true;
}

static void
table_del(struct calls *c, struct leg *l)
{
	uint32_t h;

	if (!l->in_table)
		return;
	h = hash_key(sv_cstr(l->call_id), sv_cstr(l->local_tag));
	for (struct leg **p = &c->table[h]; *p != NULL; p = &(*p)->hnext) {
		if (*p == l) {
			*p = l->hnext;
			break;
		}
	}
	l->in_table = false;
}

static struct leg *
table_find(struct calls *c, struct sv call_id, struct sv local_tag)
{
	uint32_t h = hash_key(call_id, local_tag);

	for (struct leg *l = c->table[h]; l != NULL; l = l->hnext) {
		if (sv_eq(sv_cstr(l->call_id), call_id) &&
		    sv_eq(sv_cstr(l->local_tag), local_tag))
			return l;
	}
	return NULL;
}

static const char *
via_transport(enum sip_txn_transport t)
{
	switch (t) {
	case SIP_TXN_TP_TCP:
		return "TCP";
	case SIP_TXN_TP_TLS:
		return "TLS";
	default:
		return "UDP";
	}
}

static const char *
contact_params(enum sip_txn_transport t)
{
	switch (t) {
	case SIP_TXN_TP_TCP:
		return ";transport=tcp";
	case SIP_TXN_TP_TLS:
		return ";transport=tls";
	default:
		return "";
	}
}

static struct leg *
other_leg(struct call *k, const struct leg *l)
{
	return l->side == SIDE_A ? k->b : &k->a;
}

static struct leg *
leg_of(struct call *k, enum side s)
{
	return s == SIDE_A ? &k->a : k->b;
}

static void
leg_init(struct leg *l, struct call *k, enum side side)
{
	memset(l, 0, sizeof(*l));
	l->call = k;
	l->side = side;
	loop_timer_init(&l->ok_timer, NULL, NULL);
}

static void
leg_release(struct calls *c, struct leg *l)
{
	table_del(c, l);
	if (l->ok_timer.cb != NULL)
		loop_timer_stop(c->cfg.loop, &l->ok_timer);
	free(l->ok);
	free(l->ack);
	l->ok = NULL;
	l->ack = NULL;
}

static int
leg_local_address(struct calls *c, struct leg *l)
{
	return c->cfg.local(
	    c->cfg.ctx, &l->peer, l->host, sizeof(l->host), &l->port);
}

/* A request of ours in flight holds a reference on its call. */
static void
rr_link(struct call *k, struct relay_req *rr)
{
	rr->next = k->reqs;
	k->reqs = rr;
	k->refs++;
}

static void
rr_unlink(struct call *k, struct relay_req *rr)
{
	for (struct relay_req **p = &k->reqs; *p != NULL; p = &(*p)->next) {
		if (*p == rr) {
			*p = rr->next;
			break;
		}
	}
}

/* ---- building requests ---- */

/* "METHOD target", Via, Max-Forwards, From, To, Call-ID, CSeq and
 * Contact of leg l; the caller adds headers and the body. */
static int
build_request(struct calls *c, struct leg *l, struct sv method, uint32_t cseq,
    struct sv cseq_method, const char *branch, uint32_t max_forwards)
{
	struct buf *b = &c->out;
	int rc;

	buf_reset(b);
	rc = sip_build_request_line(b, method, sv_cstr(l->target));
	if (rc != 0)
		return rc;
	buf_printf(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n",
	    via_transport(l->peer.transport), l->host, l->port, branch);
	buf_printf(b, "Max-Forwards: %u\r\n", max_forwards);
	buf_printf(b, "From: %s;tag=%s\r\n", l->local_uri, l->local_tag);
	if (l->remote_tag[0] != '\0')
		buf_printf(
		    b, "To: %s;tag=%s\r\n", l->remote_uri, l->remote_tag);
	else
		buf_printf(b, "To: %s\r\n", l->remote_uri);
	buf_printf(b, "Call-ID: %s\r\n", l->call_id);
	buf_printf(
	    b, "CSeq: %u %.*s\r\n", cseq, (int)cseq_method.len, cseq_method.p);
	return buf_error(b);
}

static void
add_contact(struct buf *b, const struct leg *l)
{
	buf_printf(b, "Contact: <sip:%s:%u%s>\r\n", l->host, l->port,
	    contact_params(l->peer.transport));
}

static void response_cb(
    void *arg, struct sip_txn_client *t, uint16_t status, struct sip_msg *resp);

/* Sends a request on leg l through a new client transaction whose
 * responses go to a relay_req. 'body' may be empty. */
static int
send_in_dialog(struct calls *c, struct leg *l, enum sip_method method,
    struct sv content_type, struct sv body, struct sv extra_hdrs,
    struct relay_req *rr)
{
	char branch[SIP_TXN_BRANCH_SIZE];
	struct sv mname = sv_cstr(sip_method_name(method));
	uint32_t cseq = ++l->local_cseq;
	int rc;

	rc = sip_txn_new_branch(branch);
	if (rc == 0)
		rc = build_request(c, l, mname, cseq, mname, branch, 70);
	if (rc != 0)
		return rc;
	add_contact(&c->out, l);
	buf_append_cstr(&c->out, "Allow: " ALLOW "\r\n");
	buf_append_sv(&c->out, extra_hdrs);
	rc = sip_build_body(&c->out, content_type, body);
	if (rc != 0)
		return rc;
	rc = sip_txn_client_start(c->cfg.txn, buf_view(&c->out),
	    sv_cstr(branch), method, &l->peer, response_cb, rr, NULL);
	if (rc == 0)
		rr_link(l->call, rr);
	return rc;
}

/* Sends a request we do not wait on beyond its transaction (BYE). */
static void
send_simple(struct calls *c, struct leg *l, enum sip_method method)
{
	struct relay_req *rr = mem_calloc(1, sizeof(*rr));
	int rc;

	if (rr == NULL)
		return;
	rr->call = l->call;
	rr->to = l->side;
	rr->method = method;
	rc = send_in_dialog(c, l, method, SV_NULL, SV_NULL, SV_NULL, rr);
	if (rc != 0) {
		log_warn("call",
		    "msg=\"request not sent\" call=%s method=%s "
		    "err=%d",
		    l->call->id, sip_method_name(method), rc);
		free(rr);
	}
}

/* ACK for a 2xx on leg l (RFC 3261 §13.2.2.4): a transaction of its
 * own, kept to answer retransmissions of that 2xx. */
static void
send_ack(struct calls *c, struct leg *l, uint32_t cseq)
{
	char branch[SIP_TXN_BRANCH_SIZE];
	int rc;

	rc = sip_txn_new_branch(branch);
	if (rc == 0)
		rc = build_request(
		    c, l, sv_cstr("ACK"), cseq, sv_cstr("ACK"), branch, 70);
	if (rc == 0)
		rc = sip_build_body(&c->out, SV_NULL, SV_NULL);
	if (rc != 0)
		return;
	free(l->ack);
	l->ack = mem_alloc(c->out.len);
	if (l->ack != NULL) {
		memcpy(l->ack, c->out.data, c->out.len);
		l->ack_len = c->out.len;
		l->ack_cseq = cseq;
	}
	if (sip_txn_layer_send(c->cfg.txn, &l->peer, buf_view(&c->out)) != 0)
		log_debug("call", "msg=\"ACK not sent\" call=%s", l->call->id);
}

/* ---- responses to a server transaction ---- */

static struct sip_msg *
reparse(struct calls *c, struct sip_txn_server *t)
{
	struct sip_error err;

	if (sip_msg_parse(&c->scratch, sip_txn_server_request(t), NULL, &err) !=
	    0)
		return NULL;
	return &c->scratch;
}

/* Starts a response from leg l to its request t; the caller adds lines
 * and ends it with sip_build_body(). */
static int
start_response(struct calls *c, struct leg *l, struct sip_txn_server *t,
    uint16_t status, struct sv reason)
{
	struct sip_msg *req = reparse(c, t);
	int rc;

	if (req == NULL)
		return -EBADMSG;
	buf_reset(&c->out);
	rc = sip_build_response(&c->out, req, status, reason,
	    l != NULL ? sv_cstr(l->local_tag) : SV_NULL);
	if (rc == 0 && l != NULL && status > 100 && status < 300)
		add_contact(&c->out, l);
	return rc;
}

/* Answers t with a status and no body. */
static void
respond_plain(struct calls *c, struct leg *l, struct sip_txn_server *t,
    uint16_t status, struct sv reason, struct sv extra)
{
	int rc = start_response(c, l, t, status, reason);

	if (rc == 0) {
		buf_append_sv(&c->out, extra);
		rc = sip_build_body(&c->out, SV_NULL, SV_NULL);
	}
	if (rc == 0)
		rc = sip_txn_respond(t, buf_view(&c->out));
	if (rc != 0)
		log_debug("call", "msg=\"response not sent\" status=%u err=%d",
		    status, rc);
}

static void ok_timer_fired(struct loop *lp, void *arg);

/* Sends a 2xx to an INVITE on leg l and keeps resending it until the
 * ACK (the transaction ends with the 2xx, §17.2.1). c->out holds it. */
static void
send_invite_ok(
    struct calls *c, struct leg *l, struct sip_txn_server *t, uint32_t cseq)
{
	int rc;

	free(l->ok);
	l->ok = mem_alloc(c->out.len);
	if (l->ok != NULL) {
		memcpy(l->ok, c->out.data, c->out.len);
		l->ok_len = c->out.len;
		l->ok_cseq = cseq;
		l->ok_interval_ms = SIP_TXN_T1_MS;
		l->ok_started_ms = loop_now_ms(c->cfg.loop);
		loop_timer_init(&l->ok_timer, ok_timer_fired, l);
		if (!l->peer.reliable &&
		    loop_timer_start(
		        c->cfg.loop, &l->ok_timer, l->ok_interval_ms) != 0)
			log_warn("call", "msg=\"no 2xx timer\" call=%s",
			    l->call->id);
	}
	rc = sip_txn_respond(t, buf_view(&c->out));
	if (rc != 0)
		log_debug("call", "msg=\"2xx not sent\" call=%s err=%d",
		    l->call->id, rc);
}

static void end_call(struct call *k, enum cdr_disposition d, uint16_t code,
    const char *reason, bool bye_a, bool bye_b);

static void
ok_timer_fired(struct loop *lp, void *arg)
{
	struct leg *l = arg;
	struct calls *c = l->call->calls;

	if (l->ok == NULL)
		return;
	if (loop_now_ms(lp) - l->ok_started_ms >= OK_GIVE_UP_MS) {
		/* No ACK: the session is not established (§13.3.1.4). */
		free(l->ok);
		l->ok = NULL;
		log_info("call", "msg=\"no ACK for 2xx\" call=%s", l->call->id);
		end_call(l->call, CDR_FAILED, 408, "no ACK", true, true);
		return;
	}
	if (sip_txn_layer_send(
	        c->cfg.txn, &l->peer, sv_make(l->ok, l->ok_len)) != 0)
		log_debug("call", "msg=\"2xx retransmission failed\"");
	l->ok_interval_ms *= 2;
	if (l->ok_interval_ms > SIP_TXN_T2_MS)
		l->ok_interval_ms = SIP_TXN_T2_MS;
	if (loop_timer_start(lp, &l->ok_timer, l->ok_interval_ms) != 0)
		log_warn("call", "msg=\"no 2xx timer\"");
}

/* ---- the call's life ---- */

static void
free_slots(struct trunk_slot *ts, unsigned n)
{
	if (ts != NULL)
		explicit_bzero(ts, n * sizeof(*ts));
	free(ts);
}

static void
call_unref(struct call *k)
{
	struct calls *c = k->calls;

	if (--k->refs > 0)
		return;
	if (k->prev_all != NULL)
		k->prev_all->next_all = k->next_all;
	else
		c->all = k->next_all;
	if (k->next_all != NULL)
		k->next_all->prev_all = k->prev_all;
	for (unsigned i = 0; i < k->nforks; i++) {
		leg_release(c, &k->forks[i]->leg);
		free(k->forks[i]);
	}
	callmedia_wipe(&k->media);
	free_slots(k->trunks, k->ntrunks);
	if (k->alt != NULL)
		free_slots(k->alt->trunks, k->alt->ntrunks);
	free(k->alt);
	free(k->offer_b);
	free(k);
}

static void
stop_timers(struct calls *c, struct call *k)
{
	loop_timer_stop(c->cfg.loop, &k->ring_timer);
	loop_timer_stop(c->cfg.loop, &k->refresh_timer);
	loop_timer_stop(c->cfg.loop, &k->media_timer);
}

static void
cancel_fork(struct calls *c, struct fork *f)
{
	struct leg *l = &f->leg;
	int rc;

	if (f->t == NULL || f->cancelled)
		return;
	if (!f->provisional) {
		/* §9.1: no CANCEL before a provisional response. */
		f->cancel_pending = true;
		return;
	}
	f->cancelled = true;
	/* §9.1: same Request-URI, Call-ID, From, To, CSeq number and Via
	 * branch as the INVITE; a transaction of its own. */
	rc = build_request(c, l, sv_cstr("CANCEL"), f->invite_cseq,
	    sv_cstr("CANCEL"), f->branch, 70);
	if (rc == 0) {
		/* The To of the INVITE had no tag. */
		struct relay_req *rr = mem_calloc(1, sizeof(*rr));

		rc = sip_build_body(&c->out, SV_NULL, SV_NULL);
		if (rr == NULL)
			rc = -ENOMEM;
		if (rc == 0) {
			rr->call = f->call;
			rr->to = SIDE_B;
			rr->method = SIP_METHOD_CANCEL;
			rc = sip_txn_client_start(c->cfg.txn, buf_view(&c->out),
			    sv_cstr(f->branch), SIP_METHOD_CANCEL, &l->peer,
			    response_cb, rr, NULL);
			if (rc == 0)
				rr_link(f->call, rr);
			else
				free(rr);
		}
	}
	if (rc != 0)
		log_debug("call", "msg=\"CANCEL not sent\" call=%s err=%d",
		    f->call->id, rc);
}

static void
cancel_forks(struct calls *c, struct call *k, const struct fork *except)
{
	for (unsigned i = 0; i < k->nforks; i++) {
		if (k->forks[i] != except)
			cancel_fork(c, k->forks[i]);
	}
}

static void
fill_record(
    struct call *k, enum cdr_disposition d, uint16_t code, const char *reason)
{
	struct cdr_record *r = &k->rec;
	int64_t end = wall_ms();
	struct media_stream_stats st[2] = {0};

	if (d == CDR_ANSWERED && k->answer_ms == 0)
		d = CDR_FAILED;
	r->start_ms = k->start_ms;
	r->end_ms = end < k->start_ms ? k->start_ms : end;
	r->answered = d == CDR_ANSWERED;
	r->answer_ms = r->answered ? k->answer_ms : 0;
	if (r->answered && r->answer_ms < r->start_ms)
		r->answer_ms = r->start_ms;
	if (r->answered && r->end_ms < r->answer_ms)
		r->end_ms = r->answer_ms;
	r->duration_ms = r->answered ? r->end_ms - r->answer_ms : 0;
	r->disposition = d;
	r->sip_code = code;
	copy_sv(r->reason, sizeof(r->reason),
	    sv_cstr(reason[0] != '\0' ? reason : sip_reason_phrase(code)));
	if (k->cur_trunk >= 0) {
		size_t n = strlen(r->reason);

		/* Which operator carried (or last refused) the call. */
		snprintf(r->reason + n, sizeof(r->reason) - n, " via %s",
		    k->trunks[k->cur_trunk].name);
	}
	if (k->alt_used) {
		size_t n = strlen(r->reason);

		snprintf(r->reason + n, sizeof(r->reason) - n, " (alternate)");
	}
	if (k->stream != NULL) {
		media_stream_stats(k->stream, 0, &st[0]);
		media_stream_stats(k->stream, 1, &st[1]);
		r->rtp_packets = st[0].rx_packets + st[1].rx_packets;
		r->rtp_lost = st[0].lost + st[1].lost;
	}
}

/* Ends the call once: BYE to the confirmed legs asked for, fork
 * cancellation, media freed, record written. */
static void
end_call(struct call *k, enum cdr_disposition d, uint16_t code,
    const char *reason, bool bye_a, bool bye_b)
{
	struct calls *c = k->calls;

	if (k->state == CALL_ENDED)
		return;
	fill_record(k, d, code, reason);
	k->state = CALL_ENDED;
	stop_timers(c, k);
	cancel_forks(c, k, NULL);
	if (bye_a && k->a.confirmed)
		send_simple(c, &k->a, SIP_METHOD_BYE);
	if (bye_b && k->b != NULL && k->b->confirmed)
		send_simple(c, k->b, SIP_METHOD_BYE);
	if (k->stream != NULL) {
		media_stream_free(k->stream);
		k->stream = NULL;
	}
	if (c->cfg.record != NULL)
		c->cfg.record(c->cfg.ctx, &k->rec);
	if (k->tag != 0 && c->cfg.tagged != NULL)
		c->cfg.tagged(c->cfg.ctx, k->tag, true,
		    k->rec.answered
		        ? (uint64_t)(k->rec.duration_ms + 999) / 1000u
		        : 0);
	log_info("call",
	    "msg=\"call ended\" call=%s from=%s to=%s disposition=%s code=%u",
	    k->id, k->rec.caller_ext, k->rec.dialed, cdr_disposition_name(d),
	    code);
	c->count--;
	leg_release(c, &k->a);
	call_unref(k);
}

/* A final failure before any answer: the caller gets 'status'. */
static void
fail_call(
    struct call *k, uint16_t status, const char *reason, enum cdr_disposition d)
{
	struct calls *c = k->calls;

	if (k->invite != NULL) {
		respond_plain(
		    c, &k->a, k->invite, status, sv_cstr(reason), SV_NULL);
		k->invite = NULL;
	}
	end_call(k, d, status, reason, false, false);
}

static enum cdr_disposition
disposition_for(uint16_t status)
{
	switch (status) {
	case 486:
	case 600:
		return CDR_BUSY;
	case 408:
	case 480:
		return CDR_NO_ANSWER;
	case 487:
		return CDR_CANCELLED;
	default:
		return CDR_FAILED;
	}
}

/* ---- media ---- */

/* Configures the relay side facing leg 'side' from what that leg's
 * endpoint announced. */
static void
apply_side(struct call *k, unsigned side)
{
	const struct offer_endpoint *ep = callmedia_endpoint(&k->media, side);
	int rc = 0;

	if (k->stream == NULL || ep == NULL)
		return;
	if (!ep->held)
		rc = media_stream_set_peer(
		    k->stream, side, &ep->rtp, &ep->rtcp, ep->rtcp_mux);
	if (rc == 0 &&
	    (ep->srtp != k->applied_srtp[side] ||
	        (ep->srtp && (memcmp(&ep->rx_key, &k->applied_rx[side],
	                          sizeof(ep->rx_key)) != 0 ||
	                         memcmp(&ep->tx_key, &k->applied_tx[side],
	                             sizeof(ep->tx_key)) != 0)))) {
		rc = media_stream_set_srtp(k->stream, side,
		    ep->srtp ? &ep->rx_key : NULL,
		    ep->srtp ? &ep->tx_key : NULL);
		if (rc == 0) {
			k->applied_srtp[side] = ep->srtp;
			k->applied_rx[side] = ep->rx_key;
			k->applied_tx[side] = ep->tx_key;
		}
	}
	if (rc != 0)
		log_warn("call", "msg=\"relay not configured\" call=%s err=%d",
		    k->id, rc);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After an answer: both sides may have changed. */
static void
apply_media(struct call *k)
{
	k->media_since_ms = mono_ms();
	apply_side(k, 0);
	apply_side(k, 1);
	k->rec.media_encrypted = callmedia_encrypted(&k->media);
}

/* ---- forks (leg B candidates) ---- */

static void trunk_failed(struct calls *c, struct call *k, uint16_t status);
static bool start_alternate(struct calls *c, struct call *k, const char *why);
static void record_attempt(struct calls *c, struct call *k,
    const struct trunk_slot *ts, uint16_t status, const char *why);
static int trunk_auth_retry(
    struct calls *c, struct call *k, struct fork *f, struct sip_msg *resp);

static void
fork_failed(struct calls *c, struct call *k, uint16_t status)
{
	if (k->ntrunks > 0) {
		trunk_failed(c, k, status);
		return;
	}
	if (k->best_status == 0 || status == 486 || status == 600 ||
	    (k->best_status >= 500 && status < 500))
		k->best_status = status;
	if (k->forks_pending > 0 || k->state != CALL_ROUTING)
		return;
	/* Busy and media refusals are the callee's answer; anything else
	 * means it cannot take the call. */
	if (k->best_status != 486 && k->best_status != 600 &&
	    k->best_status != 488 && k->best_status != 606 &&
	    start_alternate(c, k, "callee failed"))
		return;
	switch (k->best_status) {
	case 486:
	case 600:
		fail_call(k, 486, "", CDR_BUSY);
		break;
	case 408:
	case 480:
		fail_call(k, 480, "", CDR_NO_ANSWER);
		break;
	case 488:
	case 606:
		fail_call(k, 488, "", CDR_FAILED);
		break;
	default:
		fail_call(k,
		    k->best_status >= 400 && k->best_status < 700 &&
		            k->best_status != 487
		        ? k->best_status
		        : 480,
		    "", disposition_for(k->best_status));
		break;
	}
	(void)c;
}

/* Relays a 1xx from a fork to the caller (with early media SDP). */
static void
fork_provisional(
    struct calls *c, struct fork *f, uint16_t status, struct sip_msg *resp)
{
	struct call *k = f->call;
	bool with_sdp = false;
	int rc;

	f->provisional = true;
	if (f->cancel_pending) {
		f->cancel_pending = false;
		cancel_fork(c, f);
		return;
	}
	if (status == 100 || k->invite == NULL || k->state != CALL_ROUTING ||
	    f->stale)
		return;
	buf_reset(&c->body);
	if (resp->body.len > 0 &&
	    callmedia_answer(&k->media, resp->body, &c->body) == 0) {
		with_sdp = true;
		apply_media(k);
	}
	rc = start_response(c, &k->a, k->invite, status, resp->reason);
	if (rc == 0)
		rc = sip_build_body(&c->out,
		    with_sdp ? sv_cstr("application/sdp") : SV_NULL,
		    with_sdp ? buf_view(&c->body) : SV_NULL);
	if (rc == 0)
		rc = sip_txn_respond(k->invite, buf_view(&c->out));
	if (rc != 0) {
		log_debug("call", "msg=\"1xx not relayed\" call=%s err=%d",
		    k->id, rc);
		if (rc != -EINVAL && rc != -E2BIG)
			k->invite = NULL;
	}
}

static void refresh_timer_fired(struct loop *lp, void *arg);
static void media_timer_fired(struct loop *lp, void *arg);

/* How often media activity is checked: a third of the timeout, within
 * 0.5 and 5 s. */
static uint64_t
media_check_ms(const struct calls *c)
{
	uint64_t ms = c->cfg.rtp_timeout_ms / 3u;

	return ms < 500u ? 500u : ms > MEDIA_CHECK_MS ? MEDIA_CHECK_MS : ms;
}

/* Remembers the remote tag and target of leg l from a 2xx (or a
 * request) it sent. */
static void
learn_dialog(struct leg *l, struct sip_msg *m, bool remote_is_to)
{
	const struct sip_addr *a;
	struct sv contact;
	struct sip_addr ct;

	if ((remote_is_to ? sip_msg_to(m, &a, NULL)
	                  : sip_msg_from(m, &a, NULL)) == 0 &&
	    a->tag.len > 0)
		copy_sv(l->remote_tag, sizeof(l->remote_tag), a->tag);
	if (sip_msg_header(m, SIP_HDR_CONTACT, &contact) == 0 &&
	    sip_contact_parse(contact, &ct) == 0 && !ct.star)
		copy_sv(l->target, sizeof(l->target), ct.uri.raw);
}

/* A 2xx from a fork: the callee answered. */
static void
fork_answered(struct calls *c, struct fork *f, struct sip_msg *resp)
{
	struct call *k = f->call;
	struct leg *l = &f->leg;
	const struct sip_cseq *cs;
	uint32_t cseq = f->invite_cseq;
	int rc;

	if (sip_msg_cseq(resp, &cs, NULL) == 0)
		cseq = cs->seq;
	learn_dialog(l, resp, true);
	l->confirmed = true;
	send_ack(c, l, cseq);
	if (k->state != CALL_ROUTING || k->invite == NULL || f->stale) {
		/* Another fork won, the caller gave up, or the call went to
		 * its alternate: hang this one up (§13.2.2.4: ACK, BYE). */
		send_simple(c, l, SIP_METHOD_BYE);
		return;
	}
	buf_reset(&c->body);
	rc = resp->body.len > 0
	         ? callmedia_answer(&k->media, resp->body, &c->body)
	         : -EPROTO;
	if (rc != 0) {
		log_info("call",
		    "msg=\"callee answer not usable\" call=%s "
		    "err=%d",
		    k->id, rc);
		send_simple(c, l, SIP_METHOD_BYE);
		cancel_forks(c, k, f);
		fail_call(k, 488, "", CDR_FAILED);
		return;
	}
	k->b = l;
	k->answer_ms = wall_ms();
	callmedia_commit(&k->media);
	apply_media(k);
	cancel_forks(c, k, f);
	loop_timer_stop(c->cfg.loop, &k->ring_timer);
	if (k->ntrunks == 0)
		copy_sv(
		    k->rec.callee, sizeof(k->rec.callee), sv_cstr(k->callee));
	rc = start_response(c, &k->a, k->invite, 200, SV_NULL);
	if (rc == 0) {
		buf_append_cstr(&c->out, "Allow: " ALLOW "\r\n");
		buf_printf(&c->out, "Session-Expires: %u;refresher=uas\r\n",
		    c->cfg.session_expires_s);
		rc = sip_build_body(
		    &c->out, sv_cstr("application/sdp"), buf_view(&c->body));
	}
	if (rc != 0) {
		fail_call(k, 500, "", CDR_FAILED);
		return;
	}
	k->state = CALL_ANSWERED;
	k->a.confirmed = true;
	send_invite_ok(c, &k->a, k->invite, k->a.remote_cseq);
	k->invite = NULL;
	loop_timer_init(&k->refresh_timer, refresh_timer_fired, k);
	loop_timer_init(&k->media_timer, media_timer_fired, k);
	if (loop_timer_start(c->cfg.loop, &k->refresh_timer,
	        (uint64_t)c->cfg.session_expires_s * 500u) != 0 ||
	    loop_timer_start(c->cfg.loop, &k->media_timer, media_check_ms(c)) !=
	        0)
		log_warn(
		    "call", "msg=\"call timers not started\" call=%s", k->id);
	log_info("call", "msg=\"call answered\" call=%s", k->id);
	if (k->tag != 0 && c->cfg.tagged != NULL)
		c->cfg.tagged(c->cfg.ctx, k->tag, false, 0);
}

static void
fork_response(
    struct calls *c, struct fork *f, uint16_t status, struct sip_msg *resp)
{
	struct call *k = f->call;

	if (status < 200) {
		if (resp != NULL)
			fork_provisional(c, f, status, resp);
		return;
	}
	f->t = NULL;
	if (k->forks_pending > 0 && !f->stale)
		k->forks_pending--;
	if (status < 300 && resp != NULL) {
		fork_answered(c, f, resp);
		return;
	}
	if ((status == 401 || status == 407) && resp != NULL &&
	    k->state == CALL_ROUTING && !f->stale && k->ntrunks > 0 &&
	    trunk_auth_retry(c, k, f, resp) == 0)
		return;
	if (k->state == CALL_ROUTING && !f->stale)
		fork_failed(c, k, status);
}

/* ---- client transaction outcomes ---- */

static void relay_response(struct calls *c, struct relay_req *rr,
    uint16_t status, struct sip_msg *resp);

static void
response_cb(
    void *arg, struct sip_txn_client *t, uint16_t status, struct sip_msg *resp)
{
	struct relay_req *rr = arg;
	struct call *k = rr->call;
	struct calls *c = k->calls;

	(void)t;
	if (status < 200)
		return;
	rr_unlink(k, rr);
	relay_response(c, rr, status, resp);
	free(rr);
	call_unref(k);
}

static void
fork_cb(
    void *arg, struct sip_txn_client *t, uint16_t status, struct sip_msg *resp)
{
	struct fork *f = arg;
	struct call *k = f->call;

	(void)t;
	fork_response(k->calls, f, status, resp);
	if (status >= 200)
		call_unref(k);
}

/* ---- ringing ---- */

struct fork_build {
	struct calls *c;
	struct call *k;
	struct sv sdp;
	unsigned started;
};

/* Sends the INVITE of fork f, whose leg is set up, and keeps the fork.
 * Frees f on failure. */
static int
start_fork(struct calls *c, struct call *k, struct fork *f,
    uint32_t max_forwards, struct sv sdp, uint32_t cseq, struct sv extra)
{
	struct leg *l = &f->leg;
	int rc;

	l->local_cseq = cseq;
	f->invite_cseq = cseq;
	rc = leg_local_address(c, l);
	if (rc == 0)
		rc = sip_txn_new_branch(f->branch);
	if (rc == 0)
		rc = build_request(c, l, sv_cstr("INVITE"), cseq,
		    sv_cstr("INVITE"), f->branch, max_forwards);
	if (rc == 0) {
		buf_append_sv(&c->out, extra);
		add_contact(&c->out, l);
		buf_append_cstr(&c->out, "Allow: " ALLOW "\r\n"
		                         "Supported: timer\r\n");
		buf_printf(&c->out, "Session-Expires: %u;refresher=uac\r\n",
		    c->cfg.session_expires_s);
		rc = sip_build_body(&c->out, sv_cstr("application/sdp"), sdp);
	}
	if (rc == 0)
		rc = sip_txn_client_start(c->cfg.txn, buf_view(&c->out),
		    sv_cstr(f->branch), SIP_METHOD_INVITE, &l->peer, fork_cb, f,
		    &f->t);
	if (rc != 0) {
		free(f);
		return rc;
	}
	k->forks[k->nforks++] = f;
	k->forks_pending++;
	k->refs++;
	table_add(c, l);
	return 0;
}

static bool
ring_contact(void *arg, const struct registrar_binding *bnd)
{
	struct fork_build *fb = arg;
	struct calls *c = fb->c;
	struct call *k = fb->k;
	struct fork *f;
	struct leg *l;
	int rc;

	if (fb->started >= CALL_FORKS_MAX ||
	    k->nforks >= RP_ARRAY_LEN(k->forks))
		return false;
	f = mem_calloc(1, sizeof(*f));
	if (f == NULL)
		return false;
	f->call = k;
	l = &f->leg;
	leg_init(l, k, SIDE_B);
	l->peer = bnd->peer;
	random_text(l->call_id, CALL_ID_LEN);
	random_text(l->local_tag, TAG_LEN);
	copy_sv(l->target, sizeof(l->target), bnd->contact);
	if (snprintf(l->local_uri, sizeof(l->local_uri), "\"%s\" <sip:%s@%.*s>",
	        k->display, k->rec.caller_number, (int)c->cfg.domain.len,
	        c->cfg.domain.p) >= (int)sizeof(l->local_uri)) {
		/* A long name with many quotes: the extension alone. */
		snprintf(l->local_uri, sizeof(l->local_uri), "<sip:%s@%.*s>",
		    k->rec.caller_number, (int)c->cfg.domain.len,
		    c->cfg.domain.p);
	}
	snprintf(l->remote_uri, sizeof(l->remote_uri), "<sip:%s@%.*s>",
	    k->callee, (int)c->cfg.domain.len, c->cfg.domain.p);
	rc = start_fork(c, k, f, k->max_forwards, fb->sdp, 1, SV_NULL);
	if (rc != 0) {
		log_warn("call", "msg=\"contact not rung\" call=%s err=%d",
		    k->id, rc);
		return true;
	}
	fb->started++;
	return true;
}

/* ---- trunks (outbound calls, sequential) ---- */

/* Calls going through a trunk now, ringing or up. */
static uint32_t
trunk_active(const struct calls *c, const char *name)
{
	uint32_t n = 0;

	for (const struct call *k = c->all; k != NULL; k = k->next_all) {
		if (k->state != CALL_ENDED && k->cur_trunk >= 0 &&
		    strcmp(k->trunks[k->cur_trunk].name, name) == 0)
			n++;
	}
	return n;
}

/* RFC 3261 §21: the failures another operator may not share: a
 * timeout, a server failure, a trunk that wants credentials we do not
 * hold, a redirect we do not follow. */
static bool
trunk_failover(uint16_t status)
{
	return status == 408 || status == 401 || status == 407 ||
	       (status >= 300 && status < 400) ||
	       (status >= 500 && status < 600);
}

static int
ring_trunk(struct calls *c, struct call *k, const struct trunk_slot *ts)
{
	struct fork *f;
	struct leg *l;

	if (k->nforks >= CALL_FORKS_MAX)
		return -E2BIG;
	f = mem_calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->call = k;
	l = &f->leg;
	leg_init(l, k, SIDE_B);
	l->peer = ts->peer;
	random_text(l->call_id, CALL_ID_LEN);
	random_text(l->local_tag, TAG_LEN);
	/* Each fits: the parts are bounded well below TEXT_MAX. */
	if (snprintf(l->target, sizeof(l->target), "sip:%s@%s:%u%s", k->number,
	        ts->host, ts->port,
	        contact_params(ts->peer.transport)) >= (int)sizeof(l->target) ||
	    snprintf(l->local_uri, sizeof(l->local_uri), "\"%s\" <sip:%s@%s>",
	        k->display, ts->from_user,
	        ts->from_domain) >= (int)sizeof(l->local_uri) ||
	    snprintf(l->remote_uri, sizeof(l->remote_uri), "<sip:%s@%s:%u>",
	        k->number, ts->host, ts->port) >= (int)sizeof(l->remote_uri)) {
		free(f);
		return -E2BIG;
	}
	return start_fork(c, k, f, k->max_forwards,
	    sv_make(k->offer_b, k->offer_b_len), 1, SV_NULL);
}

/* A trunk that wants credentials (401 / 407) gets the INVITE again
 * with them, once per attempt (RFC 3261 §22.2): the same dialog, CSeq
 * + 1, a new branch; the challenged fork is done. Returns 0 when sent;
 * otherwise the caller fails over as for any refusal. */
static int
trunk_auth_retry(
    struct calls *c, struct call *k, struct fork *f, struct sip_msg *resp)
{
	struct trunk_slot *ts;
	struct sip_uac_auth_cred cred;
	struct fork *nf;
	struct buf hdr;
	int rc;

	if (k->cur_trunk < 0 || k->nforks >= RP_ARRAY_LEN(k->forks))
		return -EINVAL;
	ts = &k->trunks[k->cur_trunk];
	if (ts->password[0] == '\0' || ts->authed)
		return -EPERM;
	ts->authed = true;
	cred = (struct sip_uac_auth_cred){
	    .username = sv_cstr(ts->auth_user),
	    .realm = ts->realm[0] != '\0' ? sv_cstr(ts->realm) : SV_NULL,
	    .password = sv_cstr(ts->password),
	    .min_alg = SIP_DIGEST_ALG_MD5,
	};
	buf_init(&hdr, 0);
	rc = sip_uac_auth_answer(c->uac_auth, &cred, resp, sv_cstr("INVITE"),
	    sv_cstr(f->leg.target), &hdr, NULL);
	nf = rc == 0 ? mem_calloc(1, sizeof(*nf)) : NULL;
	if (rc == 0 && nf == NULL)
		rc = -ENOMEM;
	if (rc == 0) {
		nf->call = k;
		leg_init(&nf->leg, k, SIDE_B);
		nf->leg.peer = f->leg.peer;
		memcpy(
		    nf->leg.call_id, f->leg.call_id, sizeof(nf->leg.call_id));
		memcpy(nf->leg.local_tag, f->leg.local_tag,
		    sizeof(nf->leg.local_tag));
		memcpy(nf->leg.target, f->leg.target, sizeof(nf->leg.target));
		memcpy(nf->leg.local_uri, f->leg.local_uri,
		    sizeof(nf->leg.local_uri));
		memcpy(nf->leg.remote_uri, f->leg.remote_uri,
		    sizeof(nf->leg.remote_uri));
		/* The dialog key moves to the new fork. */
		table_del(c, &f->leg);
		f->stale = true;
		rc = start_fork(c, k, nf, k->max_forwards,
		    sv_make(k->offer_b, k->offer_b_len), f->invite_cseq + 1,
		    buf_view(&hdr));
	}
	if (hdr.data != NULL)
		explicit_bzero(hdr.data, hdr.cap);
	buf_release(&hdr);
	log_info("call", "msg=\"trunk challenge %s\" call=%s trunk=%s rc=%d",
	    rc == 0 ? "answered" : "not answered", k->id, ts->name, rc);
	return rc;
}

/* Rings the next trunk that takes the call; when none is left, the
 * caller gets 503, or 480 when the last trunk timed out. */
static void
ring_next_trunk(struct calls *c, struct call *k)
{
	while (k->next_trunk < k->ntrunks) {
		unsigned i = k->next_trunk++;
		struct trunk_slot *ts = &k->trunks[i];
		int rc;

		if (trunk_active(c, ts->name) >= ts->channels) {
			log_info("call",
			    "msg=\"trunk full\" call=%s trunk=%s "
			    "channels=%u",
			    k->id, ts->name, ts->channels);
			k->failover_status = 503;
			record_attempt(c, k, ts, 503, "channel limit reached");
			continue;
		}
		k->cur_trunk = (int)i;
		copy_sv(k->rec.caller_number, sizeof(k->rec.caller_number),
		    sv_cstr(ts->from_user));
		rc = ring_trunk(c, k, ts);
		if (rc == 0) {
			log_info("call",
			    "msg=\"trying trunk\" call=%s trunk=%s", k->id,
			    ts->name);
			return;
		}
		log_warn("call",
		    "msg=\"trunk not rung\" call=%s trunk=%s "
		    "err=%d",
		    k->id, ts->name, rc);
		k->failover_status = 503;
	}
	if (k->failover_status == 408)
		fail_call(k, 480, "", CDR_NO_ANSWER);
	else
		fail_call(k, 503, "", CDR_FAILED);
}

/* A trunk passed over leaves a record of its own, under the call's id,
 * so that the records keep every attempt (R-TRUNK-2); the call's own
 * record follows when it ends. */
static void
record_attempt(struct calls *c, struct call *k, const struct trunk_slot *ts,
    uint16_t status, const char *why)
{
	struct cdr_record r = k->rec;
	int64_t now = wall_ms();

	if (c->cfg.record == NULL)
		return;
	/* The call's start: its records sort together, attempts first. */
	r.start_ms = k->start_ms;
	r.end_ms = now < r.start_ms ? r.start_ms : now;
	r.answered = false;
	r.answer_ms = 0;
	r.duration_ms = 0;
	r.rtp_packets = 0;
	r.rtp_lost = 0;
	r.disposition = status == 408 ? CDR_NO_ANSWER : CDR_FAILED;
	r.sip_code = status;
	snprintf(r.reason, sizeof(r.reason), "%s via %s, failed over", why,
	    ts->name);
	c->cfg.record(c->cfg.ctx, &r);
}

static void
trunk_failed(struct calls *c, struct call *k, uint16_t status)
{
	if (k->state != CALL_ROUTING || k->forks_pending > 0)
		return;
	if (trunk_failover(status)) {
		log_info("call",
		    "msg=\"trunk failed\" call=%s trunk=%s "
		    "status=%u",
		    k->id,
		    k->cur_trunk >= 0 ? k->trunks[k->cur_trunk].name : "-",
		    status);
		k->failover_status = status;
		if (k->cur_trunk >= 0)
			record_attempt(c, k, &k->trunks[k->cur_trunk], status,
			    sip_reason_phrase(status));
		ring_next_trunk(c, k);
		return;
	}
	fail_call(k, status == 487 ? 480 : status, "", disposition_for(status));
}

static void
ring_timeout(struct loop *lp, void *arg)
{
	struct call *k = arg;

	(void)lp;
	if (k->state != CALL_ROUTING)
		return;
	log_info("call", "msg=\"no answer\" call=%s", k->id);
	cancel_forks(k->calls, k, NULL);
	if (!start_alternate(k->calls, k, "no answer"))
		fail_call(k, 480, "No Answer", CDR_NO_ANSWER);
}

/* ---- entry points ---- */

static bool
any_binding(void *arg, const struct registrar_binding *b)
{
	(void)arg;
	(void)b;
	return false;
}

static struct call *
call_new(struct calls *c)
{
	struct call *k = mem_calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	k->calls = c;
	k->refs = 1;
	k->cur_trunk = -1;
	random_text(k->id, CALL_ID_LEN);
	leg_init(&k->a, k, SIDE_A);
	loop_timer_init(&k->ring_timer, ring_timeout, k);
	loop_timer_init(&k->refresh_timer, refresh_timer_fired, k);
	loop_timer_init(&k->media_timer, media_timer_fired, k);
	k->start_ms = wall_ms();
	k->next_all = c->all;
	if (c->all != NULL)
		c->all->prev_all = k;
	c->all = k;
	c->count++;
	return k;
}

static void
record_transport(struct cdr_record *r, enum sip_txn_transport t)
{
	r->transport = t == SIP_TXN_TP_TLS   ? CDR_TRANSPORT_TLS
	               : t == SIP_TXN_TP_TCP ? CDR_TRANSPORT_TCP
	                                     : CDR_TRANSPORT_UDP;
}

/* The part of a new INVITE common to every call: the record, leg A,
 * Max-Forwards. Returns the call, or NULL once t is answered. */
static struct call *
invite_begin(struct calls *c, struct sip_txn_server *t, struct sip_msg *req,
    const struct call_party *caller, struct sv dialled)
{
	const struct sip_addr *from;
	const struct sip_cseq *cs;
	struct sv contact, call_id;
	struct sip_addr ct;
	uint32_t mf = 70;
	struct call *k;

	if (c->count >= c->cfg.max_calls) {
		respond_plain(
		    c, NULL, t, 503, SV_NULL, sv_cstr("Retry-After: 5\r\n"));
		return NULL;
	}
	k = call_new(c);
	if (k == NULL) {
		respond_plain(c, NULL, t, 503, SV_NULL, SV_NULL);
		return NULL;
	}
	k->invite = t;
	sip_txn_server_set_data(t, k);
	/* The record, from the first moment: denied attempts count too. */
	copy_sv(k->rec.call_id, sizeof(k->rec.call_id), sv_cstr(k->id));
	if (!caller->outside)
		copy_sv(
		    k->rec.caller_ext, sizeof(k->rec.caller_ext), caller->ext);
	copy_sv(
	    k->rec.caller_number, sizeof(k->rec.caller_number), caller->ext);
	copy_sv(k->rec.dialed, sizeof(k->rec.dialed), dialled);
	quote_display(k->display, sizeof(k->display), caller->display_name);
	record_transport(&k->rec, sip_txn_server_peer(t)->transport);
	/* Leg A: the caller's dialog, as the INVITE set it up. */
	k->a.peer = *sip_txn_server_peer(t);
	random_text(k->a.local_tag, TAG_LEN);
	if (sip_msg_call_id(req, &call_id, NULL) != 0 ||
	    sip_msg_from(req, &from, NULL) != 0 ||
	    sip_msg_cseq(req, &cs, NULL) != 0 ||
	    sip_msg_header(req, SIP_HDR_CONTACT, &contact) != 0 ||
	    sip_contact_parse(contact, &ct) != 0 || ct.star ||
	    leg_local_address(c, &k->a) != 0) {
		fail_call(k, 400, "Missing or Bad Contact", CDR_FAILED);
		return NULL;
	}
	copy_sv(k->a.call_id, sizeof(k->a.call_id), call_id);
	copy_sv(k->a.remote_tag, sizeof(k->a.remote_tag), from->tag);
	copy_sv(k->a.target, sizeof(k->a.target), ct.uri.raw);
	snprintf(k->a.remote_uri, sizeof(k->a.remote_uri), "<%.*s>",
	    (int)from->uri.raw.len, from->uri.raw.p);
	snprintf(k->a.local_uri, sizeof(k->a.local_uri), "<sip:%.*s@%.*s>",
	    (int)dialled.len, dialled.p, (int)c->cfg.domain.len,
	    c->cfg.domain.p);
	k->a.remote_cseq = cs->seq;
	k->a.local_cseq = 1;
	table_add(c, &k->a);
	/* Loop detection (§16.3 step 3, §8.2): Max-Forwards goes down by
	 * one across the B2BUA. */
	if (sip_msg_max_forwards(req, &mf, NULL) == 0 && mf == 0) {
		fail_call(k, 483, "", CDR_FAILED);
		return NULL;
	}
	k->max_forwards = mf > 70 ? 69 : mf - 1;
	return k;
}

/* Media: the caller's offer checked against both parties' policy, a
 * relay stream, and the offer leg B gets, in c->body. Returns 0, or
 * -1 once the call failed. */
static int
invite_media(struct calls *c, struct call *k, struct sip_msg *req,
    const struct offer_policy *caller, const struct offer_policy *callee)
{
	int rc;

	buf_reset(&c->body);
	rc = media_stream_new(c->cfg.relay, &k->stream);
	if (rc == 0)
		rc = callmedia_init(&k->media, media_relay_addr(c->cfg.relay),
		    media_stream_port(k->stream, 0),
		    media_stream_port(k->stream, 1), caller, callee);
	if (rc == 0)
		rc = callmedia_offer(&k->media, SIDE_A, req->body, &c->body);
	if (rc == 0)
		return 0;
	log_info("call", "msg=\"offer refused\" call=%s err=%d", k->id, rc);
	if (rc == -EPROTO || rc == -EBADMSG || rc == -E2BIG)
		fail_call(k, 488, "", CDR_DENIED);
	else
		fail_call(k, 503, "", CDR_FAILED);
	return -1;
}

static void
copy_trunk(struct trunk_slot *ts, const struct call_trunk *t)
{
	copy_sv(ts->name, sizeof(ts->name), t->name);
	ts->peer = t->peer;
	copy_sv(ts->host, sizeof(ts->host), t->host);
	ts->port = t->port;
	copy_sv(ts->from_user, sizeof(ts->from_user), t->from_user);
	copy_sv(ts->from_domain, sizeof(ts->from_domain), t->from_domain);
	ts->channels = t->channels;
	if (t->password.len <= CRED_MAX && t->auth_user.len <= CRED_MAX &&
	    t->realm.len <= CRED_MAX) {
		copy_sv(ts->auth_user, sizeof(ts->auth_user), t->auth_user);
		copy_sv(ts->realm, sizeof(ts->realm), t->realm);
		copy_sv(ts->password, sizeof(ts->password), t->password);
	}
}

/* Rings every contact of k->callee with the offer 'sdp'. Returns how
 * many were rung. */
static unsigned
ring_extension(struct calls *c, struct call *k, struct sv sdp)
{
	struct fork_build fb = {.c = c, .k = k, .sdp = sdp};

	(void)registrar_lookup(
	    c->cfg.reg, sv_cstr(k->callee), ring_contact, &fb);
	return fb.started;
}

static void
ring_timer_start(struct calls *c, struct call *k, uint32_t ms)
{
	if (loop_timer_start(c->cfg.loop, &k->ring_timer,
	        ms != 0 ? ms : c->cfg.ring_timeout_ms) != 0)
		log_warn(
		    "call", "msg=\"ring timer not started\" call=%s", k->id);
}

/* The callee cannot take the call: it goes to the alternate, once
 * (R-TRUNK-4). The forks rung so far become stale: their answers are
 * hung up. Returns false when there is no alternate to try; true when
 * the call was passed on (or ended, the alternate failing at once). */
static bool
start_alternate(struct calls *c, struct call *k, const char *why)
{
	struct alt_target *alt = k->alt;
	struct offer_policy pol = {0};
	struct sip_msg *req;

	if (alt == NULL || k->alt_used || k->state != CALL_ROUTING ||
	    k->invite == NULL)
		return false;
	k->alt_used = true;
	for (unsigned i = 0; i < k->nforks; i++)
		k->forks[i]->stale = true;
	k->forks_pending = 0;
	k->best_status = 0;
	loop_timer_stop(c->cfg.loop, &k->ring_timer);
	log_info("call",
	    "msg=\"to the alternate\" call=%s from=%s to=%s "
	    "why=\"%s\"",
	    k->id, k->callee, alt->ext[0] != '\0' ? alt->ext : alt->number,
	    why);
	if (alt->ext[0] != '\0')
		pol = callmedia_policy_view(&alt->policy);
	callmedia_retarget(&k->media, &pol);
	buf_reset(&c->body);
	req = reparse(c, k->invite);
	if (req == NULL ||
	    callmedia_offer(&k->media, SIDE_A, req->body, &c->body) != 0) {
		fail_call(k, 488, "", CDR_FAILED);
		return true;
	}
	if (alt->ext[0] != '\0') {
		snprintf(k->callee, sizeof(k->callee), "%s", alt->ext);
		if (ring_extension(c, k, buf_view(&c->body)) == 0) {
			fail_call(k, 480, "Unreachable", CDR_NO_ANSWER);
			return true;
		}
		ring_timer_start(c, k, 0);
		return true;
	}
	if (c->cfg.charge != NULL) {
		const char *refused = "";
		char reason[CDR_REASON_MAX + 1];

		if (!c->cfg.charge(c->cfg.ctx, sv_cstr(alt->owner),
		        sv_cstr(alt->dialled), &k->tag, &refused)) {
			snprintf(reason, sizeof(reason), "fraud: %s", refused);
			fail_call(k, 480, reason, CDR_DENIED);
			return true;
		}
	}
	k->offer_b = mem_alloc(c->body.len);
	if (k->offer_b == NULL) {
		fail_call(k, 503, "", CDR_FAILED);
		return true;
	}
	memcpy(k->offer_b, c->body.data, c->body.len);
	k->offer_b_len = c->body.len;
	k->trunks = alt->trunks;
	k->ntrunks = alt->ntrunks;
	alt->trunks = NULL;
	snprintf(k->number, sizeof(k->number), "%s", alt->number);
	k->callee[0] = '\0';
	ring_timer_start(c, k, 0);
	ring_next_trunk(c, k);
	return true;
}

/* Copies the alternate of calls_invite() into the call. Returns 0 or
 * -EINVAL / -ENOMEM. */
static int
alt_copy(struct call *k, const struct call_alternate *a)
{
	struct alt_target *alt;

	if (a->callee == NULL &&
	    (a->ntrunks == 0 || a->ntrunks > CALL_FORKS_MAX ||
	        a->number.len == 0 || a->number.len >= NUMBER_MAX))
		return -EINVAL;
	if (a->callee != NULL &&
	    (a->callee->ext.len == 0 || a->callee->ext.len > CDR_EXT_MAX))
		return -EINVAL;
	alt = mem_calloc(1, sizeof(*alt));
	if (alt == NULL)
		return -ENOMEM;
	if (a->callee != NULL) {
		copy_sv(alt->ext, sizeof(alt->ext), a->callee->ext);
		callmedia_policy_copy(&alt->policy, &a->callee->policy);
	} else {
		alt->trunks = mem_calloc(a->ntrunks, sizeof(*alt->trunks));
		if (alt->trunks == NULL) {
			free(alt);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < a->ntrunks; i++)
			copy_trunk(&alt->trunks[i], &a->trunks[i]);
		alt->ntrunks = a->ntrunks;
		copy_sv(alt->number, sizeof(alt->number), a->number);
		copy_sv(alt->dialled, sizeof(alt->dialled), a->dialled);
		copy_sv(alt->owner, sizeof(alt->owner), a->owner);
	}
	k->alt = alt;
	return 0;
}

void
calls_invite(struct calls *c, struct sip_txn_server *t, struct sip_msg *req,
    const struct call_party *caller, const struct call_party *callee,
    struct sv dialled, const struct call_options *opt)
{
	uint32_t ring_ms = opt != NULL ? opt->ring_timeout_ms : 0;
	unsigned started;
	struct call *k;

	k = invite_begin(c, t, req, caller, dialled);
	if (k == NULL)
		return;
	if (callee == NULL || callee->ext.len == 0 ||
	    callee->ext.len > CDR_EXT_MAX) {
		fail_call(k, 404, "", CDR_FAILED);
		return;
	}
	if (opt != NULL && opt->alternate != NULL &&
	    alt_copy(k, opt->alternate) != 0) {
		fail_call(k, 500, "", CDR_FAILED);
		return;
	}
	copy_sv(k->callee, sizeof(k->callee), callee->ext);
	if (registrar_lookup(c->cfg.reg, callee->ext, any_binding, NULL) == 0) {
		if (k->alt == NULL) {
			fail_call(k, 480, "Not Registered", CDR_NO_ANSWER);
			return;
		}
	}
	if (invite_media(c, k, req, &caller->policy, &callee->policy) != 0)
		return;
	respond_plain(c, NULL, t, 100, SV_NULL, SV_NULL);
	started = ring_extension(c, k, buf_view(&c->body));
	if (started == 0) {
		if (!start_alternate(c, k, "not registered or unreachable"))
			fail_call(k, 480, "Unreachable", CDR_FAILED);
		return;
	}
	ring_timer_start(c, k, ring_ms);
	log_info("call",
	    "msg=\"call routed\" call=%s from=%.*s to=%.*s "
	    "contacts=%u",
	    k->id, (int)caller->ext.len, caller->ext.p, (int)dialled.len,
	    dialled.p, started);
}

void
calls_invite_trunks(struct calls *c, struct sip_txn_server *t,
    struct sip_msg *req, const struct call_party *caller,
    const struct call_trunk *trunks, unsigned n, struct sv number,
    struct sv dialled, uint64_t tag)
{
	struct call *k;

	k = invite_begin(c, t, req, caller, dialled);
	if (k == NULL) {
		/* Answered already: the charge ends unanswered. */
		if (tag != 0 && c->cfg.tagged != NULL)
			c->cfg.tagged(c->cfg.ctx, tag, true, 0);
		return;
	}
	k->tag = tag;
	if (n == 0 || n > CALL_FORKS_MAX || number.len == 0 ||
	    number.len >= sizeof(k->number)) {
		fail_call(k, n == 0 ? 503 : 500, "", CDR_FAILED);
		return;
	}
	k->trunks = mem_calloc(n, sizeof(*k->trunks));
	if (k->trunks == NULL) {
		fail_call(k, 503, "", CDR_FAILED);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		copy_trunk(&k->trunks[i], &trunks[i]);
	k->ntrunks = n;
	copy_sv(k->number, sizeof(k->number), number);
	/* The first trunk's codecs, SRTP as the caller offers: one offer
	 * goes to every trunk tried. */
	if (invite_media(c, k, req, &caller->policy, &trunks[0].policy) != 0)
		return;
	k->offer_b = mem_alloc(c->body.len);
	if (k->offer_b == NULL) {
		fail_call(k, 503, "", CDR_FAILED);
		return;
	}
	memcpy(k->offer_b, c->body.data, c->body.len);
	k->offer_b_len = c->body.len;
	respond_plain(c, NULL, t, 100, SV_NULL, SV_NULL);
	if (loop_timer_start(
	        c->cfg.loop, &k->ring_timer, c->cfg.ring_timeout_ms) != 0)
		log_warn(
		    "call", "msg=\"ring timer not started\" call=%s", k->id);
	log_info("call",
	    "msg=\"call to trunks\" call=%s from=%.*s to=%.*s "
	    "trunks=%u",
	    k->id, (int)caller->ext.len, caller->ext.p, (int)dialled.len,
	    dialled.p, n);
	ring_next_trunk(c, k);
}

void
calls_cancel(struct calls *c, struct sip_txn_server *invite)
{
	struct call *k = sip_txn_server_data(invite);

	if (k == NULL || k->invite != invite || k->state != CALL_ROUTING)
		return;
	cancel_forks(c, k, NULL);
	fail_call(k, 487, "", CDR_CANCELLED);
}

/* ---- in-dialog requests ---- */

/* The response to a relayed (or our own) in-dialog request. */
static void
relay_response(struct calls *c, struct relay_req *rr, uint16_t status,
    struct sip_msg *resp)
{
	struct call *k = rr->call;
	struct leg *to = leg_of(k, rr->to);
	struct leg *back;
	bool with_sdp = false;
	int rc;

	if (k->pending == rr)
		k->pending = NULL;
	if (rr->refresh) {
		/* §10 of RFC 4028: a refresh that times out or finds no
		 * dialog ends the session. */
		if (status == 408 || status == 481 || status == 503)
			end_call(k, CDR_ANSWERED, status, "session expired",
			    true, true);
		else if (status >= 200 && status < 300 &&
		         rr->method == SIP_METHOD_INVITE && resp != NULL &&
		         to != NULL) {
			const struct sip_cseq *cs;

			if (sip_msg_cseq(resp, &cs, NULL) == 0)
				send_ack(c, to, cs->seq);
		}
		return;
	}
	if (rr->from == NULL)
		return; /* our own BYE or CANCEL */
	back = other_leg(k, to);
	if (resp != NULL && rr->method == SIP_METHOD_INVITE && status < 300) {
		const struct sip_cseq *cs;

		if (sip_msg_cseq(resp, &cs, NULL) == 0)
			send_ack(c, to, cs->seq);
	}
	if (k->state == CALL_ENDED || back == NULL) {
		respond_plain(c, back, rr->from, 481, SV_NULL, SV_NULL);
		return;
	}
	buf_reset(&c->body);
	if (resp != NULL && status < 300 && resp->body.len > 0 &&
	    (rr->method == SIP_METHOD_INVITE ||
	        rr->method == SIP_METHOD_UPDATE)) {
		rc = callmedia_answer(&k->media, resp->body, &c->body);
		if (rc != 0) {
			callmedia_abandon(&k->media);
			respond_plain(c, back, rr->from, 488, SV_NULL, SV_NULL);
			return;
		}
		with_sdp = true;
		callmedia_commit(&k->media);
		apply_media(k);
	} else if (status >= 300 || resp == NULL) {
		/* The offer was refused: the old session stays. */
		callmedia_abandon(&k->media);
	}
	rc = start_response(
	    c, back, rr->from, status, resp != NULL ? resp->reason : SV_NULL);
	if (rc == 0 && rr->method == SIP_METHOD_INVITE)
		buf_append_cstr(&c->out, "Allow: " ALLOW "\r\n");
	if (rc == 0)
		rc = sip_build_body(&c->out,
		    with_sdp ? sv_cstr("application/sdp") : SV_NULL,
		    with_sdp ? buf_view(&c->body) : SV_NULL);
	if (rc != 0) {
		respond_plain(c, back, rr->from, 500, SV_NULL, SV_NULL);
		return;
	}
	if (rr->method == SIP_METHOD_INVITE && status >= 200 && status < 300) {
		send_invite_ok(c, back, rr->from, back->remote_cseq);
		return;
	}
	if (sip_txn_respond(rr->from, buf_view(&c->out)) != 0)
		log_debug(
		    "call", "msg=\"response not relayed\" call=%s", k->id);
}

/* A re-INVITE or UPDATE that is only a session refresh (no SDP, or the
 * SDP version of the leg's last offer) is answered here, with the SDP
 * we last gave that leg, not relayed. */
static bool
answer_refresh(struct calls *c, struct leg *l, struct sip_txn_server *t,
    struct sip_msg *req)
{
	struct call *k = l->call;
	struct sv last;
	int rc;

	if (req->body.len > 0 &&
	    !callmedia_unchanged(&k->media, (unsigned)l->side, req->body))
		return false;
	if (req->body.len == 0 && req->method == SIP_METHOD_INVITE)
		return false; /* an offer-less re-INVITE: relay it */
	last = callmedia_local(&k->media, (unsigned)l->side);
	rc = start_response(c, l, t, 200, SV_NULL);
	if (rc == 0) {
		buf_printf(&c->out, "Session-Expires: %u;refresher=uas\r\n",
		    c->cfg.session_expires_s);
		rc = sip_build_body(&c->out,
		    req->body.len > 0 ? sv_cstr("application/sdp") : SV_NULL,
		    req->body.len > 0 ? last : SV_NULL);
	}
	if (rc != 0)
		return false;
	if (req->method == SIP_METHOD_INVITE)
		send_invite_ok(c, l, t, l->remote_cseq);
	else if (sip_txn_respond(t, buf_view(&c->out)) != 0)
		log_debug("call", "msg=\"refresh answer not sent\"");
	return true;
}

/* Relays a request from leg l to the other leg. */
static void
relay_request(struct calls *c, struct leg *l, struct sip_txn_server *t,
    struct sip_msg *req)
{
	struct call *k = l->call;
	struct leg *to = other_leg(k, l);
	struct relay_req *rr;
	struct sv ctype = SV_NULL, body = SV_NULL;
	int rc;

	if (to == NULL || !to->confirmed || k->state == CALL_ENDED) {
		respond_plain(c, l, t, 481, SV_NULL, SV_NULL);
		return;
	}
	if (k->pending != NULL) {
		/* RFC 3261 §14.2: one offer at a time. */
		respond_plain(c, l, t,
		    req->method == SIP_METHOD_INVITE ||
		            req->method == SIP_METHOD_UPDATE
		        ? 491
		        : 500,
		    SV_NULL, sv_cstr("Retry-After: 1\r\n"));
		return;
	}
	buf_reset(&c->body);
	if (req->body.len > 0) {
		if (req->method == SIP_METHOD_INVITE ||
		    req->method == SIP_METHOD_UPDATE) {
			rc = callmedia_offer(
			    &k->media, (unsigned)l->side, req->body, &c->body);
			if (rc != 0) {
				respond_plain(c, l, t, rc == -EBUSY ? 491 : 488,
				    SV_NULL, SV_NULL);
				return;
			}
			body = buf_view(&c->body);
			ctype = sv_cstr("application/sdp");
		} else {
			/* INFO (DTMF), MESSAGE: the body as it came. */
			if (sip_msg_header(req, SIP_HDR_CONTENT_TYPE, &ctype) !=
			    0)
				ctype = sv_cstr("application/octet-stream");
			buf_append_sv(&c->body, req->body);
			body = buf_view(&c->body);
		}
	}
	rr = mem_calloc(1, sizeof(*rr));
	if (rr == NULL) {
		respond_plain(c, l, t, 503, SV_NULL, SV_NULL);
		return;
	}
	rr->call = k;
	rr->to = to->side;
	rr->method = req->method;
	rr->from = t;
	rc = send_in_dialog(c, to, req->method, ctype, body, SV_NULL, rr);
	if (rc != 0) {
		free(rr);
		respond_plain(c, l, t, 500, SV_NULL, SV_NULL);
		return;
	}
	k->pending = rr;
}

bool
calls_request(struct calls *c, struct sip_txn_server *t, struct sip_msg *req)
{
	const struct sip_addr *to;
	const struct sip_cseq *cs;
	struct sv call_id;
	struct leg *l;
	struct call *k;

	if (sip_msg_call_id(req, &call_id, NULL) != 0 ||
	    sip_msg_to(req, &to, NULL) != 0 ||
	    sip_msg_cseq(req, &cs, NULL) != 0)
		return false;
	l = table_find(c, call_id, to->tag);
	if (l == NULL || !l->confirmed)
		return false;
	k = l->call;
	if (k->state == CALL_ENDED)
		return false;
	if (l->side == SIDE_B && l != k->b) {
		/* A fork that answered too late and was hung up: its own
		 * dialog only, never the call. */
		respond_plain(c, l, t,
		    req->method == SIP_METHOD_BYE ? 200 : 481, SV_NULL,
		    SV_NULL);
		return true;
	}
	/* §12.2.2: a CSeq lower than the last one is out of order. */
	if (l->remote_cseq != 0 && cs->seq <= l->remote_cseq) {
		respond_plain(
		    c, l, t, 500, sv_cstr("CSeq Out of Order"), SV_NULL);
		return true;
	}
	l->remote_cseq = cs->seq;
	switch (req->method) {
	case SIP_METHOD_BYE:
		respond_plain(c, l, t, 200, SV_NULL, SV_NULL);
		l->confirmed = false;
		end_call(k, k->answer_ms > 0 ? CDR_ANSWERED : CDR_FAILED, 200,
		    l->side == SIDE_A ? "caller hung up" : "callee hung up",
		    l->side != SIDE_A, l->side == SIDE_A);
		return true;
	case SIP_METHOD_INVITE:
	case SIP_METHOD_UPDATE:
		learn_dialog(l, req, false);
		if (answer_refresh(c, l, t, req))
			return true;
		relay_request(c, l, t, req);
		return true;
	case SIP_METHOD_INFO:
	case SIP_METHOD_MESSAGE:
		relay_request(c, l, t, req);
		return true;
	case SIP_METHOD_OPTIONS:
		respond_plain(
		    c, l, t, 200, SV_NULL, sv_cstr("Allow: " ALLOW "\r\n"));
		return true;
	default:
		respond_plain(
		    c, l, t, 405, SV_NULL, sv_cstr("Allow: " ALLOW "\r\n"));
		return true;
	}
}

void
calls_ack(struct calls *c, struct sip_msg *ack)
{
	const struct sip_addr *to;
	const struct sip_cseq *cs;
	struct sv call_id;
	struct leg *l;
	struct call *k;

	if (sip_msg_call_id(ack, &call_id, NULL) != 0 ||
	    sip_msg_to(ack, &to, NULL) != 0 ||
	    sip_msg_cseq(ack, &cs, NULL) != 0)
		return;
	l = table_find(c, call_id, to->tag);
	if (l == NULL || l->ok == NULL || cs->seq != l->ok_cseq)
		return;
	loop_timer_stop(c->cfg.loop, &l->ok_timer);
	free(l->ok);
	l->ok = NULL;
	k = l->call;
	if (k->state == CALL_ANSWERED && l->side == SIDE_A)
		k->state = CALL_CONFIRMED;
}

void
calls_stray(
    struct calls *c, struct sip_msg *resp, const struct sip_txn_peer *from)
{
	const struct sip_addr *fr;
	const struct sip_cseq *cs;
	struct sv call_id;
	struct leg *l;

	(void)from;
	if (resp->status < 200 || resp->status >= 300 ||
	    sip_msg_call_id(resp, &call_id, NULL) != 0 ||
	    sip_msg_from(resp, &fr, NULL) != 0 ||
	    sip_msg_cseq(resp, &cs, NULL) != 0 ||
	    cs->method != SIP_METHOD_INVITE)
		return;
	l = table_find(c, call_id, fr->tag);
	/* A retransmitted 2xx: our ACK was lost (§13.2.2.4). */
	if (l != NULL && l->ack != NULL && l->ack_cseq == cs->seq &&
	    sip_txn_layer_send(
	        c->cfg.txn, &l->peer, sv_make(l->ack, l->ack_len)) != 0)
		log_debug("call", "msg=\"ACK retransmission failed\"");
}

/* ---- keeping calls honest ---- */

/* Every half session interval, a refresh on both legs: a peer that no
 * longer answers ends the call (RFC 4028 §10). */
static void
refresh_leg(struct calls *c, struct leg *l)
{
	struct relay_req *rr;
	struct sv sdp;
	int rc;

	if (l == NULL || !l->confirmed)
		return;
	rr = mem_calloc(1, sizeof(*rr));
	if (rr == NULL)
		return;
	rr->call = l->call;
	rr->to = l->side;
	rr->method = SIP_METHOD_INVITE;
	rr->refresh = true;
	buf_reset(&c->body);
	sdp = callmedia_local(&l->call->media, (unsigned)l->side);
	buf_append_sv(&c->body, sdp);
	buf_reset(&c->out);
	{
		char se[64];

		snprintf(se, sizeof(se),
		    "Session-Expires: %u;refresher=uac\r\n",
		    c->cfg.session_expires_s);
		rc = send_in_dialog(c, l, SIP_METHOD_INVITE,
		    sv_cstr("application/sdp"), buf_view(&c->body), sv_cstr(se),
		    rr);
	}
	if (rc != 0)
		free(rr);
}

static void
refresh_timer_fired(struct loop *lp, void *arg)
{
	struct call *k = arg;
	struct calls *c = k->calls;

	if (k->state == CALL_ENDED)
		return;
	refresh_leg(c, &k->a);
	refresh_leg(c, k->b);
	if (loop_timer_start(lp, &k->refresh_timer,
	        (uint64_t)c->cfg.session_expires_s * 500u) != 0)
		log_warn("call", "msg=\"refresh timer not restarted\"");
}

/* A side that should be sending (not on hold) and sent nothing for
 * rtp_timeout, since the answer or the last renegotiation, is a dead
 * endpoint: both legs are hung up. */
static void
media_timer_fired(struct loop *lp, void *arg)
{
	struct call *k = arg;
	struct calls *c = k->calls;
	int64_t now = mono_ms();

	if (k->state == CALL_ENDED || k->stream == NULL)
		return;
	for (unsigned side = 0; side < 2; side++) {
		struct media_stream_stats st;
		int64_t last;

		media_stream_stats(k->stream, side, &st);
		last = st.last_rx_ms > k->media_since_ms ? st.last_rx_ms
		                                         : k->media_since_ms;
		if (callmedia_sending(&k->media, side) &&
		    now - last > (int64_t)c->cfg.rtp_timeout_ms) {
			log_info("call", "msg=\"no media\" call=%s side=%u",
			    k->id, side);
			end_call(
			    k, CDR_ANSWERED, 200, "media timeout", true, true);
			return;
		}
	}
	if (loop_timer_start(lp, &k->media_timer, media_check_ms(c)) != 0)
		log_warn("call", "msg=\"media timer not restarted\"");
}

/* ---- the set ---- */

int
calls_new(struct calls **out, const struct calls_config *cfg)
{
	struct calls *c;

	if (cfg->loop == NULL || cfg->txn == NULL || cfg->reg == NULL ||
	    cfg->relay == NULL || cfg->local == NULL)
		return -EINVAL;
	c = mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->cfg = *cfg;
	if (c->cfg.max_calls == 0)
		c->cfg.max_calls = CALLS_MAX_DEFAULT;
	if (c->cfg.ring_timeout_ms == 0)
		c->cfg.ring_timeout_ms = CALL_RING_TIMEOUT_MS_DEFAULT;
	if (c->cfg.session_expires_s == 0)
		c->cfg.session_expires_s = CALL_SESSION_EXPIRES_S_DEFAULT;
	if (c->cfg.rtp_timeout_ms == 0)
		c->cfg.rtp_timeout_ms = CALL_RTP_TIMEOUT_MS_DEFAULT;
	buf_init(&c->out, SIP_MSG_MAX);
	buf_init(&c->body, SDP_BODY_MAX);
	if (sip_uac_auth_new(&c->uac_auth) != 0) {
		calls_free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

size_t
calls_count(const struct calls *c)
{
	return c->count;
}

void
calls_free(struct calls *c)
{
	if (c == NULL)
		return;
	while (c->all != NULL) {
		struct call *k = c->all;

		c->all = k->next_all;
		stop_timers(c, k);
		if (k->stream != NULL)
			media_stream_free(k->stream);
		leg_release(c, &k->a);
		for (unsigned i = 0; i < k->nforks; i++) {
			leg_release(c, &k->forks[i]->leg);
			free(k->forks[i]);
		}
		while (k->reqs != NULL) {
			struct relay_req *rr = k->reqs;

			k->reqs = rr->next;
			free(rr);
		}
		callmedia_wipe(&k->media);
		free_slots(k->trunks, k->ntrunks);
		if (k->alt != NULL)
			free_slots(k->alt->trunks, k->alt->ntrunks);
		free(k->alt);
		free(k->offer_b);
		free(k);
	}
	sip_uac_auth_free(c->uac_auth);
	buf_release(&c->out);
	buf_release(&c->body);
	free(c);
}

size_t
calls_tags(const struct calls *c, uint64_t *out, size_t max)
{
	size_t n = 0;

	for (const struct call *k = c->all; k != NULL; k = k->next_all) {
		if (k->tag == 0 || k->state == CALL_ENDED)
			continue;
		if (n < max)
			out[n] = k->tag;
		n++;
	}
	return n;
}

int
calls_hangup_tag(
    struct calls *c, uint64_t tag, uint16_t status, const char *reason)
{
	struct call *k = c->all;

	while (k != NULL && (k->tag != tag || k->state == CALL_ENDED))
		k = k->next_all;
	if (k == NULL || tag == 0)
		return -ENOENT;
	log_info(
	    "call", "msg=\"call cut\" call=%s reason=\"%s\"", k->id, reason);
	if (k->state == CALL_ROUTING) {
		cancel_forks(c, k, NULL);
		fail_call(k, status, reason, CDR_DENIED);
	} else {
		end_call(k, CDR_ANSWERED, 200, reason, true, true);
	}
	return 0;
}

size_t
calls_live(
    const struct calls *c, struct live_call *out, uint64_t *tags, size_t max)
{
	size_t n = 0;

	for (const struct call *k = c->all; k != NULL; k = k->next_all) {
		struct live_call *o;

		if (k->state == CALL_ENDED)
			continue;
		if (n >= max) {
			n++;
			continue;
		}
		o = &out[n];
		memset(o, 0, sizeof(*o));
		snprintf(o->id, sizeof(o->id), "%s", k->id);
		snprintf(o->caller_ext, sizeof(o->caller_ext), "%s",
		    k->rec.caller_ext);
		snprintf(o->caller_number, sizeof(o->caller_number), "%s",
		    k->rec.caller_number);
		snprintf(o->dialled, sizeof(o->dialled), "%s", k->rec.dialed);
		snprintf(o->callee, sizeof(o->callee), "%s",
		    k->rec.callee[0] != '\0' ? k->rec.callee : k->callee);
		o->answered = k->answer_ms != 0;
		o->start_ms = k->start_ms;
		o->answer_ms = k->answer_ms;
		o->outside = k->rec.caller_ext[0] == '\0';
		if (k->cur_trunk >= 0)
			snprintf(o->trunk, sizeof(o->trunk), "%s",
			    k->trunks[k->cur_trunk].name);
		snprintf(o->transport, sizeof(o->transport), "%s",
		    cdr_transport_name(k->rec.transport));
		o->media_encrypted = o->answered && k->rec.media_encrypted;
		if (tags != NULL)
			tags[n] = k->tag;
		n++;
	}
	return n;
}

int
calls_hangup_id(struct calls *c, struct sv id, const char *reason)
{
	struct call *k = c->all;

	while (
	    k != NULL && (k->state == CALL_ENDED || !sv_eq(sv_cstr(k->id), id)))
		k = k->next_all;
	if (k == NULL)
		return -ENOENT;
	log_info(
	    "call", "msg=\"call ended by an administrator\" call=%s", k->id);
	if (k->state == CALL_ROUTING) {
		cancel_forks(c, k, NULL);
		fail_call(k, 480, reason, CDR_CANCELLED);
	} else {
		end_call(k, CDR_ANSWERED, 200, reason, true, true);
	}
	return 0;
}
