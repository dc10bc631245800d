/* Unit tests for trunk OPTIONS health checks, on the loop's manual
 * clock: every OPTIONS is captured and answered (or not) by hand. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "core/buf.h"
#include "core/loop.h"
#include "core/mem.h"
#include "pbx/trunkhealth.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/transaction.h"

#define SENT_MAX 128
#define EV_MAX 32
#define INTERVAL_S 10u

struct sent {
	char *bytes;
	size_t len;
	uint64_t at_ms;
};

struct env {
	struct loop *loop;
	struct sip_txn_layer *layer;
	struct sip_txn_peer peer;
	struct sent sent[SENT_MAX];
	size_t nsent;
	int send_rc;
	struct trunkhealth *h;
	struct trunkhealth_config cfg;
	enum trunkhealth_state states[EV_MAX];
	size_t nstates;
	bool free_on_down;
	struct sip_msg out;
	struct sip_msg in;
	struct buf resp;
};

static int
test_send(void *ctx, const struct sip_txn_peer *peer, struct sv bytes)
{
	struct env *e = ctx;
	struct sent *s;

	(void)peer;
	if (e->send_rc != 0)
		return e->send_rc;
	assert_true(e->nsent < SENT_MAX);
	s = &e->sent[e->nsent++];
	s->bytes = malloc(bytes.len + 1);
	assert_non_null(s->bytes);
	memcpy(s->bytes, bytes.p, bytes.len);
	s->bytes[bytes.len] = '\0';
	s->len = bytes.len;
	s->at_ms = loop_now_ms(e->loop);
	return 0;
}

static void
tu_request(void *ctx, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from)
{
	(void)ctx;
	(void)t;
	(void)req;
	(void)from;
	fail_msg("no request expected");
}

static void
on_state(void *arg, struct trunkhealth *h, enum trunkhealth_state s)
{
	struct env *e = arg;

	assert_ptr_equal(h, e->h);
	assert_int_equal(trunkhealth_state(h), s);
	assert_true(e->nstates < EV_MAX);
	e->states[e->nstates++] = s;
	if (e->free_on_down && s == TRUNKHEALTH_DOWN) {
		trunkhealth_free(h);
		e->h = NULL;
	}
}

static int
setup(void **state)
{
	const struct sip_txn_tu tu = {.request = tu_request};
	struct sockaddr_in *sin;
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL || loop_new(&e->loop, true) != 0)
		return -1;
	e->peer.transport = SIP_TXN_TP_TCP;
	e->peer.reliable = true;
	e->peer.conn_id = 9;
	e->peer.addr_len = sizeof(struct sockaddr_in);
	sin = (struct sockaddr_in *)&e->peer.addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	sin->sin_addr.s_addr = htonl(0xcb007101u);
	if (sip_txn_layer_new(&e->layer, e->loop, NULL, test_send, e, &tu) != 0)
		return -1;
	buf_init(&e->resp, 0);
	e->cfg = (struct trunkhealth_config){
	    .loop = e->loop,
	    .txn = e->layer,
	    .peer = e->peer,
	    .name = SV("carrier-b"),
	    .target = SV("203.0.113.1:5060"),
	    .local_host = SV("192.0.2.10"),
	    .local_port = 5080,
	    .interval_s = INTERVAL_S,
	    .up_after = 2,
	    .down_after = 3,
	    .on_state = on_state,
	    .arg = e,
	};
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	struct env *e = *state;

	trunkhealth_free(e->h);
	sip_txn_layer_free(e->layer);
	loop_free(e->loop);
	for (size_t i = 0; i < e->nsent; i++)
		free(e->sent[i].bytes);
	buf_release(&e->resp);
	free(e);
	return 0;
}

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

static void
respond(struct env *e, size_t i, uint16_t status)
{
	struct sip_error err;
	struct sip_msg *req = sent_msg(e, i);

	buf_reset(&e->resp);
	assert_int_equal(
	    sip_build_response(&e->resp, req, status, SV_NULL, SV("p1")), 0);
	assert_int_equal(sip_build_body(&e->resp, SV_NULL, SV_NULL), 0);
	assert_int_equal(
	    sip_msg_parse(&e->in, buf_view(&e->resp), NULL, &err), 0);
	assert_int_equal(
	    sip_txn_receive_response(e->layer, &e->in, &e->peer), 0);
}

/* Lets the probe in flight time out (Timer F) and waits for the next. */
static void
time_out(struct env *e)
{
	size_t before = e->nsent;

	loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
	loop_advance(e->loop, INTERVAL_S * 1000u);
	assert_int_equal(e->nsent, before + 1);
}

/* Answers the last probe and waits for the next. */
static void
answer(struct env *e, uint16_t status)
{
	size_t before = e->nsent;

	respond(e, e->nsent - 1, status);
	loop_advance(e->loop, INTERVAL_S * 1000u);
	assert_int_equal(e->nsent, before + 1);
}

static void
test_probe_form(void **state)
{
	struct env *e = *state;
	const struct sip_cseq *cseq;
	struct sip_msg *m;
	struct sv v;

	assert_int_equal(trunkhealth_new(&e->h, &e->cfg), 0);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_UNKNOWN);
	assert_int_equal(e->nsent, 0);
	assert_int_equal(trunkhealth_start(e->h), 0);
	assert_int_equal(trunkhealth_start(e->h), -EALREADY);
	assert_int_equal(e->nsent, 1);
	m = sent_msg(e, 0);
	assert_int_equal(m->method, SIP_METHOD_OPTIONS);
	assert_true(sv_eq(m->ruri_text, SV("sip:203.0.113.1:5060")));
	assert_int_equal(sip_msg_header(m, SIP_HDR_VIA, &v), 0);
	assert_true(sv_starts_with(v, SV("SIP/2.0/TCP 192.0.2.10:5080;")));
	assert_int_equal(sip_msg_header(m, SIP_HDR_TO, &v), 0);
	assert_true(sv_eq(v, SV("<sip:203.0.113.1:5060>")));
	assert_int_equal(sip_msg_cseq(m, &cseq, NULL), 0);
	assert_int_equal(cseq->seq, 1);
	answer(e, 200);
	m = sent_msg(e, 1);
	assert_int_equal(sip_msg_cseq(m, &cseq, NULL), 0);
	assert_int_equal(cseq->seq, 2);
	/* The interval runs from the outcome. */
	assert_int_equal(
	    e->sent[1].at_ms - e->sent[0].at_ms, INTERVAL_S * 1000u);
	assert_int_equal(trunkhealth_last_status(e->h), 200);
}

/* UP after two responses (any status), DOWN after three timeouts, UP
 * again only after two responses in a row. */
static void
test_up_down(void **state)
{
	struct env *e = *state;

	assert_int_equal(trunkhealth_new(&e->h, &e->cfg), 0);
	assert_int_equal(trunkhealth_start(e->h), 0);
	answer(e, 200);
	assert_int_equal(e->nstates, 0);
	answer(e, 404);
	assert_int_equal(e->nstates, 1);
	assert_int_equal(e->states[0], TRUNKHEALTH_UP);
	/* A 503 from the peer is a sign of life as well. */
	answer(e, 503);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_UP);
	time_out(e);
	time_out(e);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_UP);
	/* A response breaks the run of failures. */
	answer(e, 200);
	time_out(e);
	time_out(e);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_UP);
	time_out(e);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_DOWN);
	assert_int_equal(trunkhealth_last_status(e->h), 0);
	assert_int_equal(e->nstates, 2);
	answer(e, 200);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_DOWN);
	answer(e, 486);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_UP);
	assert_int_equal(e->nstates, 3);
	assert_string_equal(trunkhealth_state_name(TRUNKHEALTH_DOWN), "down");
}

/* A shorter deadline than Timer F, and transport errors. */
static void
test_deadline_and_send_error(void **state)
{
	struct env *e = *state;

	e->cfg.timeout_ms = 2000;
	e->cfg.down_after = 2;
	assert_int_equal(trunkhealth_new(&e->h, &e->cfg), 0);
	assert_int_equal(trunkhealth_start(e->h), 0);
	loop_advance(e->loop, 1999);
	assert_int_equal(e->nstates, 0);
	loop_advance(e->loop, 1);
	loop_advance(e->loop, INTERVAL_S * 1000u);
	assert_int_equal(e->nsent, 2);
	/* The second deadline: DOWN. Then refused sends count at once. */
	e->send_rc = -ECONNREFUSED;
	loop_advance(e->loop, 2000);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_DOWN);
	loop_advance(e->loop, INTERVAL_S * 1000u);
	assert_int_equal(trunkhealth_state(e->h), TRUNKHEALTH_DOWN);
	assert_int_equal(e->nsent, 2);
	/* The first probe's transaction ends later without a word. */
	loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
	assert_int_equal(e->nstates, 1);
	e->send_rc = 0;
	/* A response in time stops the deadline. */
	while (e->nsent == 2)
		loop_advance(e->loop, 1000);
	respond(e, e->nsent - 1, 200);
	loop_advance(e->loop, 5000);
	assert_int_equal(trunkhealth_last_status(e->h), 200);
	assert_int_equal(e->nstates, 1);
}

/* Stop forgets the probe in flight; free from the DOWN callback. */
static void
test_stop_and_free(void **state)
{
	struct env *e = *state;
	size_t n;

	e->cfg.down_after = 1;
	assert_int_equal(trunkhealth_new(&e->h, &e->cfg), 0);
	assert_int_equal(trunkhealth_start(e->h), 0);
	trunkhealth_stop(e->h);
	n = e->nsent;
	loop_advance(e->loop, 600000);
	assert_int_equal(e->nsent, n);
	assert_int_equal(e->nstates, 0);
	assert_int_equal(trunkhealth_start(e->h), 0);
	e->free_on_down = true;
	loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
	assert_null(e->h);
	loop_advance(e->loop, 600000);
	assert_int_equal(e->nsent, n + 1);
}

static void
test_new_invalid(void **state)
{
	struct env *e = *state;
	struct trunkhealth_config c;
	struct trunkhealth *h = NULL;

#define BAD(stmt)                                                              \
	do {                                                                   \
		c = e->cfg;                                                    \
		stmt;                                                          \
		assert_int_equal(trunkhealth_new(&h, &c), -EINVAL);            \
	} while (0)
	BAD(c.loop = NULL);
	BAD(c.txn = NULL);
	BAD(c.target = SV_NULL);
	BAD(c.target = SV("a b"));
	BAD(c.local_host = SV("x;y"));
	BAD(c.local_port = 0);
	BAD(c.name = SV("a b"));
	BAD(c.interval_s = TRUNKHEALTH_INTERVAL_MAX_S + 1);
	BAD(c.up_after = TRUNKHEALTH_COUNT_MAX + 1);
	BAD(c.down_after = TRUNKHEALTH_COUNT_MAX + 1);
#undef BAD
	mem_fail_nth(1);
	assert_int_equal(trunkhealth_new(&h, &e->cfg), -ENOMEM);
	mem_fail_nth(0);
	/* Defaults, and an IPv6 local address in brackets in Via. */
	c = e->cfg;
	c.interval_s = 0;
	c.up_after = 0;
	c.down_after = 0;
	c.local_host = SV("2001:db8::5");
	assert_int_equal(trunkhealth_new(&h, &c), 0);
	assert_int_equal(trunkhealth_start(h), 0);
	assert_non_null(strstr(e->sent[0].bytes, "TCP [2001:db8::5]:5080;"));
	respond(e, 0, 200);
	loop_advance(e->loop, TRUNKHEALTH_INTERVAL_DEFAULT_S * 1000u - 1);
	assert_int_equal(e->nsent, 1);
	loop_advance(e->loop, 1);
	assert_int_equal(e->nsent, 2);
	trunkhealth_free(h);
	trunkhealth_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_probe_form, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_up_down, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_deadline_and_send_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stop_and_free, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_invalid, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
