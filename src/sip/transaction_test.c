/* Unit tests for the transaction layer (R-CALL-1; RFC 3261 §17), on the
 * loop's manual clock. Every message the layer sends is captured and
 * parsed back to check what went on the wire. */
#include "sip/test_common.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/loop.h"
#include "core/mem.h"
#include "sip/build.h"
#include "sip/transaction.h"

#define SENT_MAX 64
#define EVENTS_MAX 32

struct sent {
	struct sip_txn_peer peer;
	char *bytes;
	size_t len;
	uint64_t at_ms;
};

struct env {
	struct loop *loop;
	struct sip_txn_layer *layer;
	struct sip_txn_peer udp, tcp;
	struct sent sent[SENT_MAX];
	size_t nsent;
	int send_rc; /* what the next sends return */
	/* Server side TU. */
	unsigned nreq;
	enum sip_method last_method;
	struct sip_txn_server *srv; /* the last one the TU keeps */
	uint16_t answer;            /* answer at once with this, if not 0 */
	int answer_rc;
	unsigned nack;
	unsigned nstray;
	unsigned nfail;
	enum sip_txn_failure fail_why;
	void *fail_data;
	/* Client side TU. */
	unsigned nresp;
	uint16_t status[EVENTS_MAX];
	bool had_msg[EVENTS_MAX];
	struct sip_msg in;  /* what we feed the layer */
	struct sip_msg out; /* what the layer sent, parsed back */
};

/* Requests to the server side. */
#define REQ(method, ruri, via_params, to, cseq)                                \
	method " " ruri " SIP/2.0\r\n"                                         \
	       "Via: SIP/2.0/UDP 192.0.2.1:5060" via_params "\r\n"             \
	       "Max-Forwards: 70\r\n"                                          \
	       "From: <sip:alice@example.com>;tag=a1\r\n"                      \
	       "To: " to "\r\n"                                                \
	       "Call-ID: c1@example.com\r\n"                                   \
	       "CSeq: " cseq "\r\n"                                            \
	       "Timestamp: 54\r\n"                                             \
	       "Content-Length: 0\r\n\r\n"
#define BOB "<sip:bob@example.com>"
#define BOB_TAGGED "<sip:bob@example.com>;tag=b1"
#define RURI "sip:bob@example.com"
#define BR1 ";branch=z9hG4bKinv1"
#define INVITE1 REQ("INVITE", RURI, BR1, BOB, "1 INVITE")
#define ACK1 REQ("ACK", RURI, BR1, BOB_TAGGED, "1 ACK")
#define CANCEL1 REQ("CANCEL", RURI, BR1, BOB, "1 CANCEL")
#define OPTIONS1 REQ("OPTIONS", RURI, ";branch=z9hG4bKopt1", BOB, "5 OPTIONS")

/* Requests the client side sends, and the responses it gets. */
#define CLI_INVITE                                                             \
	"INVITE sip:carol@example.net SIP/2.0\r\n"                             \
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKcli1\r\n"            \
	"Route: <sip:p1.example.net;lr>\r\n"                                   \
	"Route: <sip:p2.example.net;lr>\r\n"                                   \
	"Max-Forwards: 70\r\n"                                                 \
	"From: <sip:pbx@example.org>;tag=p1\r\n"                               \
	"To: <sip:carol@example.net>\r\n"                                      \
	"Call-ID: out1@example.org\r\n"                                        \
	"CSeq: 10 INVITE\r\n"                                                  \
	"Content-Length: 0\r\n\r\n"
#define CLI_OPTIONS                                                            \
	"OPTIONS sip:carol@example.net SIP/2.0\r\n"                            \
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=z9hG4bKcli2\r\n"            \
	"Max-Forwards: 70\r\n"                                                 \
	"From: <sip:pbx@example.org>;tag=p1\r\n"                               \
	"To: <sip:carol@example.net>\r\n"                                      \
	"Call-ID: out2@example.org\r\n"                                        \
	"CSeq: 11 OPTIONS\r\n"                                                 \
	"Content-Length: 0\r\n\r\n"
#define RESP(status, branch, to, cseq)                                         \
	"SIP/2.0 " status "\r\n"                                               \
	"Via: SIP/2.0/UDP 198.51.100.1:5060;branch=" branch "\r\n"             \
	"From: <sip:pbx@example.org>;tag=p1\r\n"                               \
	"To: " to "\r\n"                                                       \
	"Call-ID: out1@example.org\r\n"                                        \
	"CSeq: " cseq "\r\n"                                                   \
	"Content-Length: 0\r\n\r\n"
#define CAROL "<sip:carol@example.net>;tag=c9"

static int
test_send(void *ctx, const struct sip_txn_peer *peer, struct sv bytes)
{
	struct env *e = ctx;
	struct sent *s;

	assert_true(e->nsent < SENT_MAX);
	s = &e->sent[e->nsent++];
	s->bytes = malloc(bytes.len + 1);
	assert_non_null(s->bytes);
	memcpy(s->bytes, bytes.p, bytes.len);
	s->bytes[bytes.len] = '\0';
	s->len = bytes.len;
	s->peer = *peer;
	s->at_ms = loop_now_ms(e->loop);
	return e->send_rc;
}

static void
clear_sent(struct env *e)
{
	for (size_t i = 0; i < e->nsent; i++)
		free(e->sent[i].bytes);
	e->nsent = 0;
}

static void
tu_request(void *ctx, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from)
{
	struct env *e = ctx;

	(void)from;
	e->nreq++;
	e->last_method = req->method;
	e->srv = t;
	if (e->answer != 0) {
		e->answer_rc = sip_txn_respond_status(
		    t, e->answer, SV_NULL, NULL, 0, SV("b1"));
		e->srv = NULL;
	}
}

static void
tu_ack(void *ctx, struct sip_msg *ack, const struct sip_txn_peer *from)
{
	struct env *e = ctx;

	(void)from;
	assert_int_equal(ack->method, SIP_METHOD_ACK);
	e->nack++;
}

static void
tu_stray(void *ctx, struct sip_msg *resp, const struct sip_txn_peer *from)
{
	struct env *e = ctx;

	(void)from;
	assert_false(resp->is_request);
	e->nstray++;
}

static void
tu_failure(void *ctx, struct sip_txn_server *t, enum sip_txn_failure why)
{
	struct env *e = ctx;

	e->nfail++;
	e->fail_why = why;
	e->fail_data = sip_txn_server_data(t);
}

static void
tu_response(
    void *arg, struct sip_txn_client *t, uint16_t status, struct sip_msg *resp)
{
	struct env *e = arg;

	(void)t;
	assert_true(e->nresp < EVENTS_MAX);
	e->status[e->nresp] = status;
	e->had_msg[e->nresp] = resp != NULL;
	e->nresp++;
}

static int
new_layer(struct env *e, const struct sip_txn_config *cfg)
{
	const struct sip_txn_tu tu = {
	    .request = tu_request,
	    .ack = tu_ack,
	    .stray = tu_stray,
	    .failure = tu_failure,
	    .ctx = e,
	};

	return sip_txn_layer_new(&e->layer, e->loop, cfg, test_send, e, &tu);
}

static void
relayer(struct env *e, const struct sip_txn_config *cfg)
{
	sip_txn_layer_free(e->layer);
	e->layer = NULL;
	assert_int_equal(new_layer(e, cfg), 0);
}

static int
setup(void **state)
{
	struct sockaddr_in *sin;
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL || loop_new(&e->loop, true) != 0)
		return -1;
	e->udp.transport = SIP_TXN_TP_UDP;
	e->udp.addr_len = sizeof(struct sockaddr_in);
	sin = (struct sockaddr_in *)&e->udp.addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	sin->sin_addr.s_addr = htonl(0xc0000201u);
	e->tcp = e->udp;
	e->tcp.transport = SIP_TXN_TP_TCP;
	e->tcp.reliable = true;
	e->tcp.conn_id = 7;
	if (new_layer(e, NULL) != 0)
		return -1;
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	sip_txn_layer_free(e->layer);
	loop_free(e->loop);
	clear_sent(e);
	free(e);
	return 0;
}

static int
feed(struct env *e, const char *text, const struct sip_txn_peer *from)
{
	struct sip_error err;
	struct sv raw = sv_cstr(text);

	assert_int_equal(sip_msg_parse(&e->in, raw, NULL, &err), 0);
	return sip_txn_receive_request(e->layer, &e->in, raw, from);
}

static int
feed_resp(struct env *e, const char *text)
{
	struct sip_error err;

	assert_int_equal(sip_msg_parse(&e->in, sv_cstr(text), NULL, &err), 0);
	return sip_txn_receive_response(e->layer, &e->in, &e->udp);
}

/* Parses what the layer sent i-th. */
static struct sip_msg *
sent_msg(struct env *e, size_t i)
{
	struct sip_error err;

	assert_true(i < e->nsent);
	assert_int_equal(
	    sip_msg_parse(
	        &e->out, sv_make(e->sent[i].bytes, e->sent[i].len), NULL, &err),
	    0);
	assert_int_equal(sip_msg_parse_all(&e->out, &err), 0);
	return &e->out;
}

static uint16_t
sent_status(struct env *e, size_t i)
{
	struct sip_msg *m = sent_msg(e, i);

	assert_false(m->is_request);
	return m->status;
}

static bool
sent_same(const struct env *e, size_t i, size_t j)
{
	return e->sent[i].len == e->sent[j].len &&
	       memcmp(e->sent[i].bytes, e->sent[j].bytes, e->sent[i].len) == 0;
}

static void
test_branch(void **state)
{
	char a[SIP_TXN_BRANCH_SIZE], b[SIP_TXN_BRANCH_SIZE];

	(void)state;
	assert_int_equal(sip_txn_new_branch(a), 0);
	assert_int_equal(sip_txn_new_branch(b), 0);
	assert_int_equal(strlen(a), 7 + SIP_TXN_BRANCH_RANDOM);
	assert_true(strncmp(a, "z9hG4bK", 7) == 0);
	assert_string_not_equal(a, b);
	for (size_t i = 7; a[i] != '\0'; i++)
		assert_non_null(
		    strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
		           "opqrstuvwxyz0123456789-.",
		        a[i]));
}

/* Creates a layer with cfg and frees it again; returns the result. */
static int
try_layer(struct env *e, const struct sip_txn_config *cfg)
{
	struct sip_txn_layer *saved = e->layer;
	int rc = new_layer(e, cfg);

	if (rc == 0)
		sip_txn_layer_free(e->layer);
	e->layer = saved;
	return rc;
}

static void
test_layer_new(void **state)
{
	struct env *e = *state;
	struct sip_txn_config cfg;
	struct sip_txn_tu tu = {.request = NULL};
	struct sip_txn_layer *l;
	int rc = -1;

	sip_txn_config_default(&cfg);
	assert_int_equal(cfg.t1_ms, 500);
	assert_int_equal(cfg.t2_ms, 4000);
	assert_int_equal(cfg.t4_ms, 5000);
	assert_int_equal(cfg.trying_ms, 200);
	assert_int_equal(
	    sip_txn_layer_new(&l, e->loop, NULL, test_send, e, &tu), -EINVAL);
	assert_int_equal(
	    sip_txn_layer_new(&l, e->loop, NULL, NULL, e, &tu), -EINVAL);
	cfg.t2_ms = 100;
	assert_int_equal(try_layer(e, &cfg), -EINVAL);
	sip_txn_config_default(&cfg);
	cfg.t1_ms = 0;
	assert_int_equal(try_layer(e, &cfg), -EINVAL);
	sip_txn_config_default(&cfg);
	cfg.t4_ms = 0;
	assert_int_equal(try_layer(e, &cfg), -EINVAL);
	sip_txn_config_default(&cfg);
	cfg.max_server = 0;
	assert_int_equal(try_layer(e, &cfg), -EINVAL);
	cfg.max_server = SIP_TXN_MAX_LIMIT + 1;
	assert_int_equal(try_layer(e, &cfg), -EINVAL);
	sip_txn_config_default(&cfg);
	cfg.max_client = 0;
	assert_int_equal(try_layer(e, &cfg), -EINVAL);
	assert_int_equal(try_layer(e, NULL), 0);
	sip_txn_layer_free(NULL);
	/* Each allocation of sip_txn_layer_new() can fail cleanly. */
	for (unsigned long n = 1; n < 20 && rc != 0; n++) {
		mem_fail_nth(n);
		rc = try_layer(e, NULL);
		mem_fail_nth(0);
		if (rc != 0)
			assert_int_equal(rc, -ENOMEM);
	}
	assert_int_equal(rc, 0);
}

/* INVITE server (§17.2.1): the TU sees the request once, a silent TU
 * gets an automatic 100 after 200 ms, retransmissions are absorbed and
 * answered with the last response. */
static void
test_invite_server_auto_100(void **state)
{
	struct env *e = *state;
	struct sip_msg *m;
	const struct sip_addr *to;
	struct sv ts;

	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	assert_int_equal(e->nreq, 1);
	assert_int_equal(e->last_method, SIP_METHOD_INVITE);
	assert_non_null(e->srv);
	assert_int_equal(sip_txn_server_method(e->srv), SIP_METHOD_INVITE);
	assert_true(sv_eq(sip_txn_server_request(e->srv), SV(INVITE1)));
	assert_int_equal(
	    sip_txn_server_peer(e->srv)->transport, SIP_TXN_TP_UDP);
	assert_int_equal(sip_txn_layer_servers(e->layer), 1);
	/* A retransmission before any response: absorbed, nothing sent. */
	assert_int_equal(feed(e, INVITE1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(e->nreq, 1);
	assert_int_equal(e->nsent, 0);
	loop_advance(e->loop, 199);
	assert_int_equal(e->nsent, 0);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(e->sent[0].at_ms, 200);
	m = sent_msg(e, 0);
	assert_int_equal(m->status, 100);
	assert_int_equal(sip_msg_to(m, &to, NULL), 0);
	assert_false(sv_present(to->tag));
	assert_int_equal(sip_msg_header(m, SIP_HDR_TIMESTAMP, &ts), 0);
	assert_true(sv_eq(ts, SV("54")));
	assert_int_equal(e->sent[0].peer.transport, SIP_TXN_TP_UDP);
	/* Now a retransmission gets the 100 again. */
	assert_int_equal(feed(e, INVITE1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(e->nsent, 2);
	assert_true(sent_same(e, 0, 1));
	assert_int_equal(e->nreq, 1);
	/* Then the TU's 180 replaces it. */
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 180, SV_NULL, NULL, 0, SV("b1")), 0);
	assert_int_equal(sent_status(e, 2), 180);
	assert_int_equal(feed(e, INVITE1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(sent_status(e, 3), 180);
	assert_int_equal(sip_txn_layer_stats(e->layer)->absorbed, 3);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 200, SV_NULL, NULL, 0, SV("b1")), 0);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
}

/* A TU that answers within 200 ms suppresses the automatic 100. */
static void
test_invite_server_no_auto_100(void **state)
{
	struct env *e = *state;

	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	loop_advance(e->loop, 150);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 180, SV_NULL, NULL, 0, SV("b1")), 0);
	loop_advance(e->loop, 1000);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(sent_status(e, 0), 180);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 486, SV_NULL, NULL, 0, SV("b1")), 0);
	assert_int_equal(sent_status(e, 1), 486);
}

/* Timer G backs off 500, 1000, 2000, 4000, 4000... capped at T2; Timer H
 * ends the transaction at 64*T1 without an ACK and tells the TU. */
static void
test_invite_server_timer_g_h(void **state)
{
	struct env *e = *state;
	const struct sip_addr *to;
	const uint64_t gaps[] = {
	    500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000};
	int marker;

	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	sip_txn_server_set_data(e->srv, &marker);
	assert_ptr_equal(sip_txn_server_data(e->srv), &marker);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 486, SV_NULL, NULL, 0, SV("b1")), 0);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(sip_msg_to(sent_msg(e, 0), &to, NULL), 0);
	assert_true(sv_eq(to->tag, SV("b1")));
	loop_advance(e->loop, 31999);
	assert_int_equal(e->nsent, 1 + RP_ARRAY_LEN(gaps));
	for (size_t i = 1; i < e->nsent; i++) {
		assert_int_equal(
		    e->sent[i].at_ms - e->sent[i - 1].at_ms, gaps[i - 1]);
		assert_true(sent_same(e, 0, i));
	}
	assert_int_equal(e->nfail, 0);
	assert_int_equal(sip_txn_layer_servers(e->layer), 1);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nfail, 1);
	assert_int_equal(e->fail_why, SIP_TXN_FAIL_TIMEOUT);
	assert_ptr_equal(e->fail_data, &marker);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	assert_int_equal(sip_txn_layer_stats(e->layer)->timeouts, 1);
	assert_int_equal(sip_txn_layer_stats(e->layer)->retransmits, 10);
	/* A late ACK matches nothing now and goes to the TU. */
	assert_int_equal(feed(e, ACK1, &e->udp), SIP_TXN_UNMATCHED);
	assert_int_equal(e->nack, 1);
	assert_int_equal(loop_timer_count(e->loop), 0);
}

/* T1 and T2 are per layer. */
static void
test_invite_server_custom_timers(void **state)
{
	struct env *e = *state;
	struct sip_txn_config cfg;
	const uint64_t gaps[] = {100, 200, 400, 400, 400};

	sip_txn_config_default(&cfg);
	cfg.t1_ms = 100;
	cfg.t2_ms = 400;
	relayer(e, &cfg);
	e->answer = 603;
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	assert_int_equal(e->answer_rc, 0);
	loop_advance(e->loop, 1500);
	assert_int_equal(e->nsent, 1 + RP_ARRAY_LEN(gaps));
	for (size_t i = 1; i < e->nsent; i++)
		assert_int_equal(
		    e->sent[i].at_ms - e->sent[i - 1].at_ms, gaps[i - 1]);
	loop_advance(e->loop, 64 * 100 - 1500 - 1);
	assert_int_equal(e->nfail, 0);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nfail, 1);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
}

/* On TCP there is no Timer G; Timer H still runs; Timer I is zero. */
static void
test_invite_server_tcp(void **state)
{
	struct env *e = *state;

	e->answer = 486;
	assert_int_equal(feed(e, INVITE1, &e->tcp), 0);
	assert_int_equal(e->answer_rc, 0);
	assert_int_equal(e->nsent, 1);
	assert_true(e->sent[0].peer.reliable);
	assert_int_equal(e->sent[0].peer.conn_id, 7);
	loop_advance(e->loop, 31999);
	assert_int_equal(e->nsent, 1);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nfail, 1);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	/* With the ACK: Confirmed, and over at once. */
	assert_int_equal(feed(e, INVITE1, &e->tcp), 0);
	assert_int_equal(feed(e, ACK1, &e->tcp), SIP_TXN_ABSORBED);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	assert_int_equal(e->nack, 0);
	assert_int_equal(e->nreq, 2);
}

/* The ACK for a non-2xx final is absorbed: Confirmed stops Timer G and
 * Timer I (T4) absorbs further ACKs before the end. */
static void
test_invite_server_ack(void **state)
{
	struct env *e = *state;

	e->answer = 486;
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	loop_advance(e->loop, 600);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(feed(e, ACK1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(e->nack, 0);
	assert_int_equal(e->nreq, 1);
	/* Confirmed: no more retransmissions, INVITE and ACK absorbed. */
	assert_int_equal(feed(e, INVITE1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(feed(e, ACK1, &e->udp), SIP_TXN_ABSORBED);
	loop_advance(e->loop, 4999);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(sip_txn_layer_servers(e->layer), 1);
	loop_advance(e->loop, 1);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	assert_int_equal(e->nfail, 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
}

/* A 2xx ends the INVITE server transaction (§17.2.1): the ACK for it
 * and later retransmissions go to the TU, which owns the 2xx. */
static void
test_invite_server_2xx(void **state)
{
	struct env *e = *state;

	e->answer = 200;
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	assert_int_equal(e->answer_rc, 0);
	assert_int_equal(sent_status(e, 0), 200);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
	assert_int_equal(
	    feed(e,
	        REQ("ACK", RURI, ";branch=z9hG4bKack2", BOB_TAGGED, "1 ACK"),
	        &e->udp),
	    SIP_TXN_UNMATCHED);
	assert_int_equal(e->nack, 1);
	loop_advance(e->loop, 10000);
	assert_int_equal(e->nsent, 1);
	/* The TU resends its 2xx outside the transaction. */
	assert_int_equal(sip_txn_layer_send(e->layer, &e->udp,
	                     sv_make(e->sent[0].bytes, e->sent[0].len)),
	    0);
	assert_int_equal(e->nsent, 2);
}

/* Non-INVITE server (§17.2.2): Trying absorbs silently, Proceeding and
 * Completed resend the last response, Timer J is 64*T1 on UDP. */
static void
test_non_invite_server(void **state)
{
	struct env *e = *state;

	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	assert_int_equal(e->last_method, SIP_METHOD_OPTIONS);
	assert_int_equal(feed(e, OPTIONS1, &e->udp), SIP_TXN_ABSORBED);
	loop_advance(e->loop, 1000); /* no automatic 100 for non-INVITE */
	assert_int_equal(e->nsent, 0);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 100, SV_NULL, NULL, 0, SV_NULL), 0);
	assert_int_equal(feed(e, OPTIONS1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(sent_status(e, 1), 100);
	{
		const struct sip_txn_header hdrs[] = {
		    {SV("Allow"), SV("INVITE, ACK, BYE")},
		    {SV("Accept"), SV("application/sdp")},
		};
		struct sv v;

		assert_int_equal(sip_txn_respond_status(e->srv, 200, SV("Fine"),
		                     hdrs, 2, SV("b1")),
		    0);
		assert_true(sv_eq(sent_msg(e, 2)->reason, SV("Fine")));
		assert_int_equal(
		    sip_msg_header(sent_msg(e, 2), SIP_HDR_ALLOW, &v), 0);
		assert_true(sv_eq(v, SV("INVITE, ACK, BYE")));
	}
	assert_int_equal(feed(e, OPTIONS1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(e->nsent, 4);
	assert_true(sent_same(e, 2, 3));
	assert_int_equal(e->nreq, 1);
	loop_advance(e->loop, 31999);
	assert_int_equal(sip_txn_layer_servers(e->layer), 1);
	assert_int_equal(e->nsent, 4); /* no Timer G for non-INVITE */
	loop_advance(e->loop, 1);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	/* Then the same request is new again. */
	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	assert_int_equal(e->nreq, 2);
}

/* Timer J is zero on TCP. */
static void
test_non_invite_server_tcp(void **state)
{
	struct env *e = *state;

	e->answer = 200;
	assert_int_equal(feed(e, OPTIONS1, &e->tcp), 0);
	assert_int_equal(e->answer_rc, 0);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
}

/* Loss: the first response is lost; the retransmitted request gets it,
 * and a send that would block counts as a loss, not an error. */
static void
test_server_loss(void **state)
{
	struct env *e = *state;

	e->answer = 200;
	e->send_rc = -EAGAIN;
	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	assert_int_equal(e->answer_rc, 0);
	e->send_rc = 0;
	assert_int_equal(feed(e, OPTIONS1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(e->nsent, 2);
	assert_true(sent_same(e, 0, 1));
	assert_int_equal(e->nreq, 1);
	/* The same for an INVITE's 486. */
	e->answer = 486;
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	assert_int_equal(feed(e, INVITE1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(sent_status(e, 3), 486);
	assert_true(sent_same(e, 2, 3));
	assert_int_equal(e->nreq, 2);
	assert_int_equal(sip_txn_layer_stats(e->layer)->transport_errors, 0);
}

/* Transport errors end the server transaction (§17.2.4). */
static void
test_server_transport_error(void **state)
{
	struct env *e = *state;

	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	e->send_rc = -ECONNRESET;
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 200, SV_NULL, NULL, 0, SV("b1")),
	    -ECONNRESET);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	/* A failed Timer G retransmission tells the TU. */
	e->send_rc = 0;
	e->answer = 486;
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	e->send_rc = -EPIPE;
	loop_advance(e->loop, 500);
	assert_int_equal(e->nfail, 1);
	assert_int_equal(e->fail_why, SIP_TXN_FAIL_TRANSPORT);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	/* A provisional that cannot be sent ends it too. */
	e->send_rc = 0;
	e->answer = 0;
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	e->send_rc = -ENOTCONN;
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 180, SV_NULL, NULL, 0, SV("b1")),
	    -ENOTCONN);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	/* A full queue is a loss on UDP but an error on a stream. */
	e->send_rc = 0;
	assert_int_equal(feed(e, OPTIONS1, &e->tcp), 0);
	e->send_rc = -ENOBUFS;
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 200, SV_NULL, NULL, 0, SV("b1")),
	    -ENOBUFS);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
	assert_int_equal(sip_txn_layer_stats(e->layer)->transport_errors, 4);
	assert_int_equal(loop_timer_count(e->loop), 0);
}

/* RFC 2543 matching (§17.2.3) for branches without the cookie. */
static void
test_rfc2543_matching(void **state)
{
	struct env *e = *state;
	struct sip_txn_server *t;

	assert_int_equal(
	    feed(e, REQ("INVITE", RURI, "", BOB, "1 INVITE"), &e->udp), 0);
	t = e->srv;
	/* Retransmission: same fields (the host of the Request-URI in
	 * another case is the same URI). */
	assert_int_equal(
	    feed(e, REQ("INVITE", "sip:bob@EXAMPLE.com", "", BOB, "1 INVITE"),
	        &e->udp),
	    SIP_TXN_ABSORBED);
	assert_int_equal(e->nreq, 1);
	/* Another CSeq, Request-URI, From tag or Via is a new request. */
	assert_int_equal(
	    feed(e, REQ("INVITE", RURI, "", BOB, "2 INVITE"), &e->udp), 0);
	assert_int_equal(
	    feed(e, REQ("INVITE", "sip:carl@example.com", "", BOB, "1 INVITE"),
	        &e->udp),
	    0);
	assert_int_equal(
	    feed(e, REQ("INVITE", RURI, ";branch=old1", BOB, "1 INVITE"),
	        &e->udp),
	    0);
	assert_int_equal(e->nreq, 4);
	assert_int_equal(sip_txn_layer_servers(e->layer), 4);
	assert_int_equal(
	    sip_txn_respond_status(t, 486, SV_NULL, NULL, 0, SV("b1")), 0);
	/* The ACK with the To tag of our 486 matches... */
	assert_int_equal(
	    feed(e, REQ("ACK", RURI, "", BOB_TAGGED, "1 ACK"), &e->udp),
	    SIP_TXN_ABSORBED);
	/* ...one with another tag is not ours (a 2xx ACK). */
	assert_int_equal(
	    feed(e,
	        REQ("ACK", RURI, "", "<sip:bob@example.com>;tag=zz", "1 ACK"),
	        &e->udp),
	    SIP_TXN_UNMATCHED);
	assert_int_equal(e->nack, 1);
	/* The ACK stopped Timer G; the three others get their 100. */
	loop_advance(e->loop, 10000);
	assert_int_equal(e->nsent, 4);
	assert_int_equal(sent_status(e, 0), 486);
	for (size_t i = 1; i < 4; i++)
		assert_int_equal(sent_status(e, i), 100);
	assert_int_equal(e->nfail, 0);
	assert_int_equal(sip_txn_layer_servers(e->layer), 3);
}

/* CANCEL is a transaction of its own that finds its INVITE (§9.2). */
static void
test_cancel(void **state)
{
	struct env *e = *state;
	struct sip_txn_server *inv, *can, *found = NULL;
	struct sip_error err;

	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	inv = e->srv;
	assert_int_equal(feed(e, CANCEL1, &e->udp), 0);
	can = e->srv;
	assert_ptr_not_equal(inv, can);
	assert_int_equal(e->nreq, 2);
	assert_int_equal(e->last_method, SIP_METHOD_CANCEL);
	assert_int_equal(sip_txn_layer_servers(e->layer), 2);
	assert_int_equal(
	    sip_txn_server_find_invite(e->layer, &e->in, &found), 0);
	assert_ptr_equal(found, inv);
	/* A retransmitted CANCEL matches the CANCEL, not the INVITE. */
	assert_int_equal(feed(e, CANCEL1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(
	    sip_txn_respond_status(can, 200, SV_NULL, NULL, 0, SV("b1")), 0);
	assert_int_equal(
	    sip_txn_respond_status(inv, 487, SV_NULL, NULL, 0, SV("b1")), 0);
	assert_int_equal(feed(e, CANCEL1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(sent_status(e, 2), 200);
	assert_int_equal(sip_msg_parse(&e->in, SV(CANCEL1), NULL, &err), 0);
	assert_int_equal(
	    sip_txn_server_find_invite(e->layer, &e->in, &found), -EALREADY);
	assert_null(found);
	assert_int_equal(feed(e, ACK1, &e->udp), SIP_TXN_ABSORBED);
	/* A CANCEL for nothing. */
	assert_int_equal(
	    sip_msg_parse(&e->in,
	        SV(REQ("CANCEL", RURI, ";branch=z9hG4bKnone", BOB, "1 CANCEL")),
	        NULL, &err),
	    0);
	assert_int_equal(
	    sip_txn_server_find_invite(e->layer, &e->in, &found), -ENOENT);
	assert_int_equal(sip_msg_parse(&e->in, SV(INVITE1), NULL, &err), 0);
	assert_int_equal(
	    sip_txn_server_find_invite(e->layer, &e->in, &found), -EINVAL);
	loop_advance(e->loop, 40000);
	assert_int_equal(sip_txn_layer_servers(e->layer), 0);
}

/* Over max_server, new requests get a stateless 503; ACKs still pass. */
static void
test_server_limit(void **state)
{
	struct env *e = *state;
	struct sip_txn_config cfg;
	const struct sip_addr *to;

	sip_txn_config_default(&cfg);
	cfg.max_server = 2;
	relayer(e, &cfg);
	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	assert_int_equal(
	    feed(e,
	        REQ("BYE", RURI, ";branch=z9hG4bKbye1", BOB_TAGGED, "2 BYE"),
	        &e->udp),
	    -EBUSY);
	assert_int_equal(e->nreq, 2);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(sent_status(e, 0), 503);
	assert_int_equal(sip_msg_to(sent_msg(e, 0), &to, NULL), 0);
	assert_true(sv_present(to->tag));
	assert_int_equal(sip_txn_layer_stats(e->layer)->refused, 1);
	/* Retransmissions of live ones are still absorbed. */
	assert_int_equal(feed(e, OPTIONS1, &e->udp), SIP_TXN_ABSORBED);
	assert_int_equal(
	    feed(e,
	        REQ("ACK", RURI, ";branch=z9hG4bKack9", BOB_TAGGED, "1 ACK"),
	        &e->udp),
	    SIP_TXN_UNMATCHED);
	/* Room again once one ends. */
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 200, SV_NULL, NULL, 0, SV("b1")), 0);
	loop_advance(e->loop, 32000);
	assert_int_equal(
	    feed(e,
	        REQ("BYE", RURI, ";branch=z9hG4bKbye1", BOB_TAGGED, "2 BYE"),
	        &e->udp),
	    0);
	assert_int_equal(e->nreq, 3);
}

/* A peer cannot grow one hash chain: requests that share every hashed
 * key but differ in the rest (method, RFC 2543 Request-URI) are capped. */
static void
test_same_key_limit(void **state)
{
	struct env *e = *state;
	char text[1024];
	int n;

	for (unsigned i = 0; i <= SIP_TXN_SAME_KEY_MAX; i++) {
		n = snprintf(text, sizeof(text),
		    REQ("X%u", RURI, BR1, BOB, "1 X%u"), i, i);
		assert_true(n > 0 && (size_t)n < sizeof(text));
		assert_int_equal(feed(e, text, &e->udp),
		    i < SIP_TXN_SAME_KEY_MAX ? 0 : -EBUSY);
	}
	assert_int_equal(e->nsent, 1);
	assert_int_equal(sent_status(e, 0), 503);
	/* Each of them still matches its own retransmissions. */
	n = snprintf(
	    text, sizeof(text), REQ("X%u", RURI, BR1, BOB, "1 X%u"), 3u, 3u);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	assert_int_equal(feed(e, text, &e->udp), SIP_TXN_ABSORBED);
	for (unsigned i = 0; i <= SIP_TXN_SAME_KEY_MAX; i++) {
		n = snprintf(text, sizeof(text),
		    REQ("INVITE", "sip:u%u@example.com", "", BOB, "7 INVITE"),
		    i);
		assert_true(n > 0 && (size_t)n < sizeof(text));
		assert_int_equal(feed(e, text, &e->udp),
		    i < SIP_TXN_SAME_KEY_MAX ? 0 : -EBUSY);
	}
	assert_int_equal(e->nsent, 2);
	assert_int_equal(sent_status(e, 1), 503);
	assert_int_equal(e->nreq, 2 * SIP_TXN_SAME_KEY_MAX);
	assert_int_equal(sip_txn_layer_stats(e->layer)->refused, 2);
}

/* Requests the layer cannot route. */
static void
test_server_bad_input(void **state)
{
	struct env *e = *state;
	struct sip_error err;
	char copy[sizeof(INVITE1)];

	assert_int_equal(
	    feed(e, REQ("INVITE", RURI, BR1, BOB, "1 BYE"), &e->udp), -EBADMSG);
	/* The parser requires Via; a malformed one shows on first use. */
	assert_int_equal(
	    feed(
	        e, REQ("OPTIONS", RURI, " bogus;x", BOB, "1 OPTIONS"), &e->udp),
	    -EBADMSG);
	/* 'raw' must hold the message. */
	memcpy(copy, INVITE1, sizeof(copy));
	assert_int_equal(sip_msg_parse(&e->in, SV(INVITE1), NULL, &err), 0);
	assert_int_equal(sip_txn_receive_request(e->layer, &e->in,
	                     sv_make(copy, sizeof(copy) - 1), &e->udp),
	    -EINVAL);
	assert_int_equal(
	    sip_txn_receive_request(e->layer, &e->in, SV(INVITE1), NULL),
	    -EINVAL);
	assert_int_equal(e->nreq, 0);
	assert_int_equal(e->nsent, 0);
	/* Bad responses from the TU leave t alone. */
	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	assert_int_equal(
	    sip_txn_respond(e->srv, SV("SIP/2.0 99 Low\r\n")), -EINVAL);
	assert_int_equal(
	    sip_txn_respond(e->srv, SV("SIP/2.0 700 High\r\n")), -EINVAL);
	assert_int_equal(
	    sip_txn_respond(e->srv, SV("OPTIONS sip:a SIP/2.0")), -EINVAL);
	assert_int_equal(sip_txn_respond(e->srv, SV_NULL), -EINVAL);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 999, SV_NULL, NULL, 0, SV("b1")),
	    -EINVAL);
	assert_int_equal(sip_txn_respond_status(
	                     e->srv, 200, SV("x\r\ny"), NULL, 0, SV("b1")),
	    -EINVAL);
	assert_int_equal(
	    sip_txn_respond_status(e->srv, 200, SV_NULL, NULL, 1, SV("b1")),
	    -EINVAL);
	assert_int_equal(e->nsent, 0);
	assert_int_equal(sip_txn_layer_servers(e->layer), 1);
	/* A raw response of the TU's own. */
	assert_int_equal(
	    sip_txn_respond(e->srv, SV("SIP/2.0 200 OK\r\nContent-Length: 0"
	                               "\r\n\r\n")),
	    0);
	assert_int_equal(e->nsent, 1);
}

/* Out of memory while creating a server transaction: 503 or nothing,
 * never a leak; and a final that cannot be kept is sent once. */
static void
test_server_oom(void **state)
{
	struct env *e = *state;
	struct sip_error err;
	int rc = -1;

	for (unsigned long n = 1; n < 20 && rc != 0; n++) {
		assert_int_equal(
		    sip_msg_parse(&e->in, SV(INVITE1), NULL, &err), 0);
		mem_fail_nth(n);
		rc = sip_txn_receive_request(
		    e->layer, &e->in, SV(INVITE1), &e->udp);
		mem_fail_nth(0);
		if (rc != 0) {
			assert_int_equal(rc, -ENOMEM);
			assert_int_equal(sip_txn_layer_servers(e->layer), 0);
		}
	}
	assert_int_equal(rc, 0);
	assert_int_equal(e->nreq, 1);
	/* The response copy fails: sent once, then the transaction ends;
	 * an earlier failure (building) leaves it to the TU. */
	rc = -1;
	for (unsigned long n = 1; n < 20 && rc != 0; n++) {
		size_t before = e->nsent;

		mem_fail_nth(n);
		rc = sip_txn_respond_status(
		    e->srv, 486, SV_NULL, NULL, 0, SV("b1"));
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		if (sip_txn_layer_servers(e->layer) == 0) {
			assert_int_equal(e->nsent, before + 1);
			assert_int_equal(sent_status(e, before), 486);
			assert_int_equal(feed(e, INVITE1, &e->udp), 0);
		}
	}
	assert_int_equal(rc, 0);
}

/* INVITE client (§17.1.1): Timer A doubles from T1 without a cap, and
 * Timer B gives the TU a 408 at 64*T1. */
static void
test_invite_client_timer_a_b(void **state)
{
	struct env *e = *state;
	const uint64_t at[] = {0, 500, 1500, 3500, 7500, 15500, 31500};
	struct sip_txn_client *t = NULL;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, &t),
	    0);
	assert_non_null(t);
	assert_int_equal(sip_txn_layer_clients(e->layer), 1);
	loop_advance(e->loop, 31999);
	assert_int_equal(e->nsent, RP_ARRAY_LEN(at));
	for (size_t i = 0; i < e->nsent; i++) {
		assert_int_equal(e->sent[i].at_ms, at[i]);
		assert_true(sent_same(e, 0, i));
	}
	assert_int_equal(e->nresp, 0);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nresp, 1);
	assert_int_equal(e->status[0], 408);
	assert_false(e->had_msg[0]);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
	/* A late response is a stray. */
	assert_int_equal(feed_resp(e, RESP("486 Busy Here", "z9hG4bKcli1",
	                                  CAROL, "10 INVITE")),
	    SIP_TXN_UNMATCHED);
	assert_int_equal(e->nstray, 1);
}

/* A stream to the peer failed: the INVITE over it ends with 503 at once
 * (§17.1.4), not at Timer B; one to another peer is untouched. */
static void
test_client_peer_lost(void **state)
{
	struct env *e = *state;
	struct sip_txn_peer other = e->tcp;

	((struct sockaddr_in *)&other.addr)->sin_port = htons(5099);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->tcp, tu_response, e, NULL),
	    0);
	assert_int_equal(sip_txn_layer_clients(e->layer), 1);
	sip_txn_layer_peer_lost(e->layer, &other);
	assert_int_equal(e->nresp, 0);
	sip_txn_layer_peer_lost(e->layer, &e->tcp);
	assert_int_equal(e->nresp, 1);
	assert_int_equal(e->status[0], 503);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
}

/* A 486 gets the ACK from the transaction (§17.1.1.3), again for each
 * retransmitted 486, and the TU hears of it once; Timer D ends it. */
static void
test_invite_client_486_ack(void **state)
{
	struct env *e = *state;
	const struct sip_cseq *cseq;
	const struct sip_via *via;
	const struct sip_addr *to;
	struct sip_msg *ack;
	struct sv v;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    0);
	assert_int_equal(feed_resp(e, RESP("180 Ringing", "z9hG4bKcli1", CAROL,
	                                  "10 INVITE")),
	    0);
	assert_int_equal(e->nresp, 1);
	assert_int_equal(e->status[0], 180);
	assert_true(e->had_msg[0]);
	/* Proceeding: Timer A has stopped. */
	loop_advance(e->loop, 10000);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(feed_resp(e, RESP("486 Busy Here", "z9hG4bKcli1",
	                                  CAROL, "10 INVITE")),
	    0);
	assert_int_equal(e->nresp, 2);
	assert_int_equal(e->status[1], 486);
	assert_int_equal(e->nsent, 2);
	ack = sent_msg(e, 1);
	assert_true(ack->is_request);
	assert_int_equal(ack->method, SIP_METHOD_ACK);
	assert_true(sv_eq(ack->ruri_text, SV("sip:carol@example.net")));
	assert_int_equal(sip_msg_header_count(ack, SIP_HDR_VIA), 1);
	assert_int_equal(sip_msg_via(ack, &via, NULL), 0);
	assert_true(sv_eq(via->branch, SV("z9hG4bKcli1")));
	assert_int_equal(sip_msg_cseq(ack, &cseq, NULL), 0);
	assert_int_equal(cseq->seq, 10);
	assert_int_equal(cseq->method, SIP_METHOD_ACK);
	assert_int_equal(sip_msg_to(ack, &to, NULL), 0);
	assert_true(sv_eq(to->tag, SV("c9")));
	assert_int_equal(sip_msg_header_count(ack, SIP_HDR_ROUTE), 2);
	assert_int_equal(sip_msg_call_id(ack, &v, NULL), 0);
	assert_true(sv_eq(v, SV("out1@example.org")));
	assert_int_equal(sip_msg_header(ack, SIP_HDR_FROM, &v), 0);
	assert_true(sv_eq(v, SV("<sip:pbx@example.org>;tag=p1")));
	/* The retransmitted 486: ACK again, TU not told twice. */
	assert_int_equal(feed_resp(e, RESP("486 Busy Here", "z9hG4bKcli1",
	                                  CAROL, "10 INVITE")),
	    SIP_TXN_ABSORBED);
	assert_int_equal(e->nsent, 3);
	assert_true(sent_same(e, 1, 2));
	assert_int_equal(e->nresp, 2);
	loop_advance(e->loop, 31999);
	assert_int_equal(sip_txn_layer_clients(e->layer), 1);
	loop_advance(e->loop, 1);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(e->nresp, 2);
}

/* A 2xx ends the INVITE client transaction without an ACK: that is the
 * TU's; retransmitted 2xx responses reach the stray callback. */
static void
test_invite_client_2xx(void **state)
{
	struct env *e = *state;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    0);
	assert_int_equal(
	    feed_resp(e, RESP("200 OK", "z9hG4bKcli1", CAROL, "10 INVITE")), 0);
	assert_int_equal(e->nresp, 1);
	assert_int_equal(e->status[0], 200);
	assert_int_equal(e->nsent, 1); /* no ACK */
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
	assert_int_equal(
	    feed_resp(e, RESP("200 OK", "z9hG4bKcli1", CAROL, "10 INVITE")),
	    SIP_TXN_UNMATCHED);
	assert_int_equal(e->nstray, 1);
	assert_int_equal(e->nresp, 1);
}

/* Timer C guards Proceeding: restarted by each provisional. */
static void
test_invite_client_timer_c(void **state)
{
	struct env *e = *state;
	struct sip_txn_config cfg;

	sip_txn_config_default(&cfg);
	cfg.timer_c_ms = 60000;
	relayer(e, &cfg);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    0);
	assert_int_equal(feed_resp(e, RESP("180 Ringing", "z9hG4bKcli1", CAROL,
	                                  "10 INVITE")),
	    0);
	loop_advance(e->loop, 50000); /* past Timer B: B is gone */
	assert_int_equal(feed_resp(e, RESP("183 Session Progress",
	                                  "z9hG4bKcli1", CAROL, "10 INVITE")),
	    0);
	loop_advance(e->loop, 59999);
	assert_int_equal(e->nresp, 2);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nresp, 3);
	assert_int_equal(e->status[2], 408);
	assert_false(e->had_msg[2]);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
}

/* Non-INVITE client (§17.1.2): Timer E doubles up to T2 (and is T2 in
 * Proceeding); Timer F gives the TU a 408. */
static void
test_non_invite_client_timer_e_f(void **state)
{
	struct env *e = *state;
	const uint64_t gaps[] = {
	    500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000};

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->udp, tu_response, e, NULL),
	    0);
	loop_advance(e->loop, 31999);
	assert_int_equal(e->nsent, 1 + RP_ARRAY_LEN(gaps));
	for (size_t i = 1; i < e->nsent; i++)
		assert_int_equal(
		    e->sent[i].at_ms - e->sent[i - 1].at_ms, gaps[i - 1]);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nresp, 1);
	assert_int_equal(e->status[0], 408);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(sip_txn_layer_stats(e->layer)->timeouts, 1);
}

static void
test_non_invite_client_proceeding(void **state)
{
	struct env *e = *state;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->udp, tu_response, e, NULL),
	    0);
	loop_advance(e->loop, 600); /* sent at 0 and 500 */
	assert_int_equal(feed_resp(e, RESP("100 Trying", "z9hG4bKcli2", CAROL,
	                                  "11 OPTIONS")),
	    0);
	assert_int_equal(e->status[0], 100);
	loop_advance(e->loop, 10000 - 600); /* E at 1500, 5500, 9500 */
	assert_int_equal(e->nsent, 5);
	assert_int_equal(e->sent[2].at_ms, 1500);
	assert_int_equal(e->sent[3].at_ms, 5500);
	assert_int_equal(e->sent[4].at_ms, 9500);
	/* A response with the right branch but the wrong method is not
	 * ours (§17.1.3). */
	assert_int_equal(
	    feed_resp(e, RESP("200 OK", "z9hG4bKcli2", CAROL, "11 INVITE")),
	    SIP_TXN_UNMATCHED);
	assert_int_equal(
	    feed_resp(e, RESP("200 OK", "z9hG4bKcli2", CAROL, "11 OPTIONS")),
	    0);
	assert_int_equal(e->nresp, 2);
	assert_int_equal(e->status[1], 200);
}

/* Completed absorbs retransmitted finals for T4 (Timer K). */
static void
test_non_invite_client_timer_k(void **state)
{
	struct env *e = *state;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->udp, tu_response, e, NULL),
	    0);
	assert_int_equal(feed_resp(e, RESP("404 Not Found", "z9hG4bKcli2",
	                                  CAROL, "11 OPTIONS")),
	    0);
	assert_int_equal(feed_resp(e, RESP("404 Not Found", "z9hG4bKcli2",
	                                  CAROL, "11 OPTIONS")),
	    SIP_TXN_ABSORBED);
	assert_int_equal(e->nresp, 1);
	assert_int_equal(e->nsent, 1); /* no ACK for non-INVITE */
	loop_advance(e->loop, 4999);
	assert_int_equal(sip_txn_layer_clients(e->layer), 1);
	assert_int_equal(e->nsent, 1); /* Timer E stopped */
	loop_advance(e->loop, 1);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
}

/* On TCP: no Timer A or E, Timers D and K are zero, B and F still run. */
static void
test_client_tcp(void **state)
{
	struct env *e = *state;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->tcp, tu_response, e, NULL),
	    0);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->tcp, tu_response, e, NULL),
	    0);
	loop_advance(e->loop, 31999);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(
	    feed_resp(e, RESP("200 OK", "z9hG4bKcli2", CAROL, "11 OPTIONS")),
	    0);
	assert_int_equal(feed_resp(e, RESP("603 Decline", "z9hG4bKcli1", CAROL,
	                                  "10 INVITE")),
	    0);
	assert_int_equal(e->nsent, 3); /* the ACK */
	assert_int_equal(sent_msg(e, 2)->method, SIP_METHOD_ACK);
	assert_true(e->sent[2].peer.reliable);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(loop_timer_count(e->loop), 0);
	/* Timer F alone on TCP. */
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->tcp, tu_response, e, NULL),
	    0);
	loop_advance(e->loop, 32000);
	assert_int_equal(e->nsent, 4);
	assert_int_equal(e->status[e->nresp - 1], 408);
}

/* Loss: the request is lost, Timer E resends it, the response ends the
 * transaction; a transport error gives the TU a 503 (§17.1.4). */
static void
test_client_loss_and_errors(void **state)
{
	struct env *e = *state;
	struct sip_txn_client *t = NULL;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->udp, tu_response, e, NULL),
	    0);
	loop_advance(e->loop, 500);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(
	    feed_resp(e, RESP("200 OK", "z9hG4bKcli2", CAROL, "11 OPTIONS")),
	    0);
	assert_int_equal(e->nresp, 1);
	loop_advance(e->loop, 5000);
	/* The first send fails: no transaction, no callback. */
	e->send_rc = -ENETUNREACH;
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->udp, tu_response, e, &t),
	    -ENETUNREACH);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	assert_int_equal(e->nresp, 1);
	/* A retransmission fails: 503 to the TU. */
	e->send_rc = 0;
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, &t),
	    0);
	e->send_rc = -ECONNREFUSED;
	loop_advance(e->loop, 500);
	assert_int_equal(e->nresp, 2);
	assert_int_equal(e->status[1], 503);
	assert_false(e->had_msg[1]);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
	/* A detached transaction runs on but calls back no more. */
	e->send_rc = 0;
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, &t),
	    0);
	sip_txn_client_detach(t);
	assert_int_equal(feed_resp(e, RESP("486 Busy Here", "z9hG4bKcli1",
	                                  CAROL, "10 INVITE")),
	    0);
	assert_int_equal(e->nresp, 2);
	assert_int_equal(sent_msg(e, e->nsent - 1)->method, SIP_METHOD_ACK);
	loop_advance(e->loop, 40000);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
}

/* Arguments, the client limit and out-of-memory paths. */
static void
test_client_limits(void **state)
{
	struct env *e = *state;
	struct sip_txn_config cfg;
	int rc = -1;

	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_ACK, &e->udp, tu_response, e, NULL),
	    -EINVAL);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV_NULL, SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    -EINVAL);
	assert_int_equal(sip_txn_client_start(e->layer, SV(CLI_INVITE), SV_NULL,
	                     SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    -EINVAL);
	assert_int_equal(feed_resp(e, "SIP/2.0 200 OK\r\n"
	                              "Via: SIP/2.0/UDP\r\n"
	                              "From: <sip:pbx@example.org>;tag=p1\r\n"
	                              "To: <sip:carol@example.net>\r\n"
	                              "Call-ID: x\r\n"
	                              "CSeq: 1 OPTIONS\r\n"
	                              "Content-Length: 0\r\n\r\n"),
	    -EBADMSG);
	assert_int_equal(e->nstray, 0);
	sip_txn_config_default(&cfg);
	cfg.max_client = 1;
	relayer(e, &cfg);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    0);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_OPTIONS), SV("z9hG4bKcli2"),
	        SIP_METHOD_OPTIONS, &e->udp, tu_response, e, NULL),
	    -EBUSY);
	assert_int_equal(e->nsent, 1);
	relayer(e, NULL);
	for (unsigned long n = 1; n < 20 && rc != 0; n++) {
		mem_fail_nth(n);
		rc = sip_txn_client_start(e->layer, SV(CLI_INVITE),
		    SV("z9hG4bKcli1"), SIP_METHOD_INVITE, &e->udp, tu_response,
		    e, NULL);
		mem_fail_nth(0);
		if (rc != 0) {
			assert_int_equal(rc, -ENOMEM);
			assert_int_equal(sip_txn_layer_clients(e->layer), 0);
		}
	}
	assert_int_equal(rc, 0);
	/* No memory for the ACK: the TU still gets its 486. */
	mem_fail_nth(1);
	assert_int_equal(feed_resp(e, RESP("486 Busy Here", "z9hG4bKcli1",
	                                  CAROL, "10 INVITE")),
	    0);
	mem_fail_nth(0);
	assert_int_equal(e->status[e->nresp - 1], 486);
	assert_int_equal(sip_txn_layer_clients(e->layer), 0);
}

/* Freeing the layer frees whatever is still alive. */
static void
test_free_live(void **state)
{
	struct env *e = *state;

	assert_int_equal(feed(e, INVITE1, &e->udp), 0);
	assert_int_equal(feed(e, OPTIONS1, &e->udp), 0);
	assert_int_equal(
	    sip_txn_client_start(e->layer, SV(CLI_INVITE), SV("z9hG4bKcli1"),
	        SIP_METHOD_INVITE, &e->udp, tu_response, e, NULL),
	    0);
	sip_txn_layer_free(e->layer);
	e->layer = NULL;
	assert_int_equal(loop_timer_count(e->loop), 0);
	assert_int_equal(new_layer(e, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_branch),
	    cmocka_unit_test_setup_teardown(test_layer_new, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_auto_100, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_no_auto_100, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_timer_g_h, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_custom_timers, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_server_2xx, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_non_invite_server, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_non_invite_server_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_loss, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_server_transport_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rfc2543_matching, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_same_key_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_server_bad_input, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_client_timer_a_b, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_client_486_ack, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_client_2xx, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_invite_client_timer_c, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_non_invite_client_timer_e_f, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_non_invite_client_proceeding, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_non_invite_client_timer_k, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_tcp, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_client_loss_and_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_client_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_live, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_client_peer_lost, setup, teardown),
	};

	return cmocka_run_group_tests_name(
	    "sip_transaction", tests, NULL, NULL);
}
