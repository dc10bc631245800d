/* Unit tests for trunk registration (R-AUTH-4; RFC 3261 §10.2), on the
 * loop's manual clock: every REGISTER is captured, parsed back and
 * answered by hand, challenges come from our own registrar code. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "core/buf.h"
#include "core/loop.h"
#include "core/mem.h"
#include "pbx/trunkreg.h"
#include "sip/auth.h"
#include "sip/build.h"
#include "sip/digest.h"
#include "sip/msg.h"
#include "sip/transaction.h"

#define SENT_MAX 64
#define EV_MAX 64
#define REALM "sip.operator.example"
#define USER "trunk17"
#define AUTH_USER "acct-5521"
#define PASS "Xq9!vR2#mWp7tB4n"
#define DOMAIN "operator.example"
#define REGISTRAR "sip.operator.example"
#define LHOST "192.0.2.10"
#define LPORT 5080
#define OUR_CONTACT "<sip:" USER "@" LHOST ":5080;transport=tcp>"
#define T0 1700000000u

static const uint8_t server_key[SIP_AUTH_KEY_LEN] = {3, 1, 4, 1, 5, 9, 2, 6, 5,
    3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5};

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
	struct trunkreg *t;
	struct trunkreg_config cfg;
	struct sip_auth *server;
	struct sip_auth_ha1 stored; /* the registrar's copy */
	struct sip_auth_ha1 ha1;    /* ours */
	enum trunkreg_state states[EV_MAX];
	uint64_t state_at[EV_MAX];
	size_t nstates;
	bool free_on_failed;
	struct sip_msg out; /* a sent request, parsed back */
	struct sip_msg in;  /* the response fed to the layer */
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
on_state(void *arg, struct trunkreg *t, enum trunkreg_state s)
{
	struct env *e = arg;

	assert_ptr_equal(t, e->t);
	assert_int_equal(trunkreg_state(t), s);
	assert_true(e->nstates < EV_MAX);
	e->state_at[e->nstates] = loop_now_ms(e->loop);
	e->states[e->nstates++] = s;
	if (e->free_on_failed && s == TRUNKREG_FAILED) {
		trunkreg_free(t);
		e->t = NULL;
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
	e->peer.conn_id = 3;
	e->peer.addr_len = sizeof(struct sockaddr_in);
	sin = (struct sockaddr_in *)&e->peer.addr;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	sin->sin_addr.s_addr = htonl(0xc6336401u);
	if (sip_txn_layer_new(&e->layer, e->loop, NULL, test_send, e, &tu) != 0)
		return -1;
	if (sip_auth_new(&e->server, SV(REALM), server_key, NULL) != 0)
		return -1;
	if (sip_auth_ha1_set(&e->stored, SV(AUTH_USER), SV(REALM), SV(PASS)) !=
	        0 ||
	    sip_auth_ha1_set(&e->ha1, SV(AUTH_USER), SV(REALM), SV(PASS)) != 0)
		return -1;
	buf_init(&e->resp, 0);
	e->cfg = (struct trunkreg_config){
	    .loop = e->loop,
	    .txn = e->layer,
	    .peer = e->peer,
	    .name = SV("op1"),
	    .registrar = SV(REGISTRAR),
	    .domain = SV(DOMAIN),
	    .user = SV(USER),
	    .auth_user = SV(AUTH_USER),
	    .realm = SV(REALM),
	    .ha1 = &e->ha1,
	    .min_alg = SIP_DIGEST_ALG_MD5,
	    .local_host = SV(LHOST),
	    .local_port = LPORT,
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

	trunkreg_free(e->t);
	sip_txn_layer_free(e->layer);
	loop_free(e->loop);
	sip_auth_free(e->server);
	for (size_t i = 0; i < e->nsent; i++)
		free(e->sent[i].bytes);
	buf_release(&e->resp);
	free(e);
	return 0;
}

static void
make(struct env *e)
{
	assert_int_equal(trunkreg_new(&e->t, &e->cfg), 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_IDLE);
}

/* Parses what was sent i-th. */
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

static struct sv
hdr(struct sip_msg *m, enum sip_hdr_id id)
{
	struct sv v = SV_NULL;

	if (sip_msg_header(m, id, &v) != 0)
		return SV_NULL;
	return v;
}

static uint32_t
sent_expires(struct env *e, size_t i)
{
	uint32_t x = 99999;

	assert_int_equal(sip_msg_expires(sent_msg(e, i), &x, NULL), 0);
	return x;
}

/* Answers the i-th request with 'status', the extra header lines
 * 'extra' and, when 'challenge' is set, our registrar's 401 challenge
 * issued at now_s. */
static void
respond(struct env *e, size_t i, uint16_t status, const char *extra,
    bool challenge, uint64_t now_s)
{
	struct sip_error err;
	struct sip_msg *req = sent_msg(e, i);

	buf_reset(&e->resp);
	assert_int_equal(
	    sip_build_response(&e->resp, req, status, SV_NULL, SV("reg9")), 0);
	if (challenge)
		assert_int_equal(sip_auth_challenge(e->server, &e->resp,
		                     status == 407, false, SV_NULL, now_s),
		    0);
	if (extra != NULL)
		buf_append_cstr(&e->resp, extra);
	assert_int_equal(sip_build_body(&e->resp, SV_NULL, SV_NULL), 0);
	assert_int_equal(
	    sip_msg_parse(&e->in, buf_view(&e->resp), NULL, &err), 0);
	assert_int_equal(
	    sip_txn_receive_response(e->layer, &e->in, &e->peer), 0);
}

/* Checks the i-th request's credentials with our registrar. */
static enum sip_auth_result
check_auth(struct env *e, size_t i, enum sip_hdr_id id, uint64_t now_s,
    enum sip_digest_alg *alg)
{
	struct sip_msg *m = sent_msg(e, i);
	struct sip_digest cred;
	struct sip_auth_request req = {
	    .cred = &cred,
	    .method = SV("REGISTER"),
	    .ha1 = &e->stored,
	    .now_s = now_s,
	};
	struct sv v = hdr(m, id);

	assert_true(sv_present(v));
	assert_int_equal(sip_digest_parse(v, &cred), 0);
	assert_true(sv_eq(cred.username, SV(AUTH_USER)));
	assert_true(sv_eq(cred.uri, SV("sip:" REGISTRAR)));
	if (alg != NULL)
		*alg = cred.alg;
	return sip_auth_check(e->server, &req, NULL);
}

/* Advances one second at a time until something is sent; returns the
 * time waited in ms (fails after 'limit_s'). */
static uint64_t
wait_send(struct env *e, uint64_t limit_s)
{
	size_t before = e->nsent;
	uint64_t start = loop_now_ms(e->loop);

	for (uint64_t s = 0; s < limit_s && e->nsent == before; s++)
		loop_advance(e->loop, 1000);
	assert_true(e->nsent > before);
	return loop_now_ms(e->loop) - start;
}

/* REGISTER, 401 with our challenge, authenticated REGISTER, 200: the
 * granted expiry comes from our Contact and the refresh follows at
 * 90 %. */
static void
test_register_challenge_refresh(void **state)
{
	struct env *e = *state;
	struct sip_msg *m;
	const struct sip_cseq *cseq;
	const struct sip_addr *a;
	enum sip_digest_alg alg;
	struct sv call_id;
	char from_tag[64];

	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	assert_int_equal(trunkreg_start(e->t), -EALREADY);
	assert_int_equal(e->nstates, 1);
	assert_int_equal(e->states[0], TRUNKREG_REGISTERING);
	assert_int_equal(e->nsent, 1);
	m = sent_msg(e, 0);
	assert_true(m->is_request);
	assert_int_equal(m->method, SIP_METHOD_REGISTER);
	assert_true(sv_eq(m->ruri_text, SV("sip:" REGISTRAR)));
	assert_int_equal(sip_msg_from(m, &a, NULL), 0);
	assert_true(sv_eq(a->uri.raw, SV("sip:" USER "@" DOMAIN)));
	assert_true(sv_present(a->tag));
	snprintf(from_tag, sizeof(from_tag), "%.*s", SV_ARG(a->tag));
	assert_int_equal(sip_msg_to(m, &a, NULL), 0);
	assert_true(sv_eq(a->uri.raw, SV("sip:" USER "@" DOMAIN)));
	assert_false(sv_present(a->tag));
	assert_true(sv_eq(hdr(m, SIP_HDR_CONTACT), SV(OUR_CONTACT)));
	assert_true(sv_starts_with(
	    hdr(m, SIP_HDR_VIA), SV("SIP/2.0/TCP " LHOST ":5080;branch=")));
	assert_true(sv_eq(hdr(m, SIP_HDR_MAX_FORWARDS), SV("70")));
	assert_false(sv_present(hdr(m, SIP_HDR_AUTHORIZATION)));
	assert_int_equal(sent_expires(e, 0), TRUNKREG_EXPIRES_DEFAULT_S);
	m = sent_msg(e, 0);
	assert_int_equal(sip_msg_cseq(m, &cseq, NULL), 0);
	assert_int_equal(cseq->seq, 1);

	respond(e, 0, 401, NULL, true, T0);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERING);
	assert_int_equal(
	    check_auth(e, 1, SIP_HDR_AUTHORIZATION, T0, &alg), SIP_AUTH_OK);
	assert_int_equal(alg, SIP_DIGEST_ALG_SHA256);
	m = sent_msg(e, 1);
	assert_int_equal(sip_msg_cseq(m, &cseq, NULL), 0);
	assert_int_equal(cseq->seq, 2);
	assert_int_equal(sip_msg_call_id(m, &call_id, NULL), 0);
	assert_int_equal(sip_msg_from(m, &a, NULL), 0);
	assert_true(sv_eq(a->tag, sv_cstr(from_tag)));
	{
		struct sip_msg *first = sent_msg(e, 0);
		struct sv id0;

		assert_int_equal(sip_msg_call_id(first, &id0, NULL), 0);
		m = sent_msg(e, 1);
		assert_int_equal(sip_msg_call_id(m, &call_id, NULL), 0);
		assert_true(sv_eq(id0, call_id));
	}

	/* Another contact's expiry and the Expires header are not ours. */
	respond(e, 1, 200,
	    "Contact: <sip:other@198.51.100.7:5060>;expires=30\r\n"
	    "Contact: " OUR_CONTACT ";expires=600\r\n"
	    "Expires: 3600\r\n",
	    false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERED);
	assert_int_equal(trunkreg_granted_s(e->t), 600);
	assert_int_equal(trunkreg_last_status(e->t), 200);
	assert_int_equal(e->nstates, 2);
	assert_int_equal(e->states[1], TRUNKREG_REGISTERED);
	/* Refresh at 90 % of 600 s. */
	assert_int_equal(wait_send(e, 1000), 540000);
	assert_int_equal(e->nsent, 3);
	m = sent_msg(e, 2);
	assert_false(sv_present(hdr(m, SIP_HDR_AUTHORIZATION)));
	assert_int_equal(sip_msg_cseq(m, &cseq, NULL), 0);
	assert_int_equal(cseq->seq, 3);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERED);
	/* No Contact for us: the Expires header counts. */
	respond(e, 2, 200, "Expires: 100\r\n", false, 0);
	assert_int_equal(trunkreg_granted_s(e->t), 100);
	assert_int_equal(e->nstates, 2);
	assert_int_equal(wait_send(e, 1000), 90000);
	/* Neither: what we asked. Contact without expires, other port. */
	respond(e, 3, 200,
	    "Contact: <sip:" USER "@" LHOST ":5080;transport=tcp>\r\n"
	    "Contact: <sip:" USER "@" LHOST ":5081>;expires=5\r\n",
	    false, 0);
	assert_int_equal(trunkreg_granted_s(e->t), TRUNKREG_EXPIRES_DEFAULT_S);
	assert_int_equal(wait_send(e, 4000), 3240000);
	/* A short grant refreshes 5 s before its end; a tiny one at half. */
	respond(e, 4, 200, "Expires: 30\r\n", false, 0);
	assert_int_equal(wait_send(e, 100), 25000);
	respond(e, 5, 200, "Expires: 4\r\n", false, 0);
	assert_int_equal(wait_send(e, 100), 2000);
	respond(e, 6, 200, "Expires: 1\r\n", false, 0);
	assert_int_equal(wait_send(e, 100), 1000);
	/* A refresh whose binding is dropped (expires 0) is a failure. */
	respond(e, 7, 200, "Contact: " OUR_CONTACT ";expires=0\r\n", false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	assert_int_equal(trunkreg_granted_s(e->t), 0);
}

/* 403: FAILED, then a retry 30 s ± 20 % later in REGISTERING. */
static void
test_forbidden_retry(void **state)
{
	struct env *e = *state;
	uint64_t waited;

	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	assert_string_equal(trunkreg_last_failure(e->t), "");
	respond(e, 0, 403, NULL, false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	assert_int_equal(trunkreg_last_status(e->t), 403);
	assert_string_equal(trunkreg_last_failure(e->t), "rejected");
	assert_int_equal(trunkreg_failures(e->t), 1);
	assert_int_equal(e->nstates, 2);
	assert_int_equal(e->states[1], TRUNKREG_FAILED);
	waited = wait_send(e, 100);
	assert_true(waited >= 24000 && waited <= 37000);
	assert_int_equal(e->nstates, 3);
	assert_int_equal(e->states[2], TRUNKREG_REGISTERING);
	/* A new attempt starts without credentials. */
	assert_false(sv_present(hdr(sent_msg(e, 1), SIP_HDR_AUTHORIZATION)));
	/* Success resets the count. */
	respond(e, 1, 200, "Expires: 60\r\n", false, 0);
	assert_int_equal(trunkreg_failures(e->t), 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERED);
}

/* Timeouts back off: 30 s doubling to 30 min, each ±20 %. */
static void
test_timeout_backoff(void **state)
{
	struct env *e = *state;
	static const uint32_t base_s[] = {
	    30, 60, 120, 240, 480, 960, 1800, 1800, 1800};
	uint64_t failed_at, waited;

	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	for (size_t k = 0; k < RP_ARRAY_LEN(base_s); k++) {
		size_t before = e->nstates;

		/* Timer F: 64 * T1. */
		loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
		assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
		assert_int_equal(trunkreg_last_status(e->t), 408);
		assert_string_equal(trunkreg_last_failure(e->t), "no-answer");
		assert_int_equal(trunkreg_failures(e->t), k + 1);
		assert_int_equal(e->nstates, before + 1);
		failed_at = e->state_at[before];
		(void)wait_send(e, 3000);
		waited = loop_now_ms(e->loop) - failed_at;
		assert_true(waited >= base_s[k] * 800u);
		assert_true(waited <= base_s[k] * 1200u + 1000u);
		assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERING);
	}
	respond(e, e->nsent - 1, 200, "Expires: 60\r\n", false, 0);
	assert_int_equal(trunkreg_failures(e->t), 0);
	/* The refresh times out: the backoff starts again at 30 s. */
	wait_send(e, 100);
	loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	waited = wait_send(e, 100);
	assert_true(waited >= 24000 && waited <= 37000);
}

/* A transport error at once, and Retry-After on a 503. */
static void
test_send_error_retry_after(void **state)
{
	struct env *e = *state;
	uint64_t waited;

	make(e);
	e->send_rc = -ECONNREFUSED;
	assert_int_equal(trunkreg_start(e->t), 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	assert_int_equal(e->nstates, 2);
	e->send_rc = 0;
	waited = wait_send(e, 100);
	assert_true(waited >= 24000 && waited <= 37000);
	respond(e, 0, 503, "Retry-After: 300 (maintenance)\r\n", false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	waited = wait_send(e, 1000);
	assert_int_equal(waited, 300000);
	/* A Retry-After beyond the cap is cut to it. */
	respond(e, 1, 503, "Retry-After: 99999\r\n", false, 0);
	waited = wait_send(e, 4000);
	assert_int_equal(waited, 1800000);
}

/* 423: Min-Expires is taken and the REGISTER goes out again at once. */
static void
test_interval_too_brief(void **state)
{
	struct env *e = *state;

	e->cfg.expires_s = 60;
	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	assert_int_equal(sent_expires(e, 0), 60);
	respond(e, 0, 401, NULL, true, T0);
	assert_int_equal(e->nsent, 2);
	respond(e, 1, 423, "Min-Expires: 900\r\n", false, 0);
	assert_int_equal(e->nsent, 3);
	assert_int_equal(e->sent[2].at_ms, e->sent[1].at_ms);
	assert_int_equal(sent_expires(e, 2), 900);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERING);
	/* Challenged again: the new attempt answers anew. */
	respond(e, 2, 401, NULL, true, T0);
	assert_int_equal(e->nsent, 4);
	assert_int_equal(
	    check_auth(e, 3, SIP_HDR_AUTHORIZATION, T0, NULL), SIP_AUTH_OK);
	assert_int_equal(sent_expires(e, 3), 900);
	respond(e, 3, 200, "Expires: 900\r\n", false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERED);
	assert_int_equal(trunkreg_granted_s(e->t), 900);
	/* Refreshes keep the raised expiry. */
	wait_send(e, 1000);
	assert_int_equal(sent_expires(e, 4), 900);
	/* A Min-Expires not above what we ask, or none, fails. */
	respond(e, 4, 423, "Min-Expires: 900\r\n", false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	wait_send(e, 100);
	respond(e, 5, 423, NULL, false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	assert_int_equal(e->nsent, 6);
	/* At most TRUNKREG_423_MAX in one attempt. */
	wait_send(e, 100);
	respond(e, 6, 423, "Min-Expires: 1000\r\n", false, 0);
	respond(e, 7, 423, "Min-Expires: 2000\r\n", false, 0);
	assert_int_equal(e->nsent, 9);
	assert_int_equal(sent_expires(e, 8), 2000);
	respond(e, 8, 423, "Min-Expires: 3000\r\n", false, 0);
	assert_int_equal(e->nsent, 9);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
}

/* The same nonce challenged again: our credentials were refused. A
 * stale challenge with a new nonce is answered. */
static void
test_credentials_refused(void **state)
{
	struct env *e = *state;
	static const char chal[] =
	    "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"abc123\", "
	    "algorithm=SHA-256, qop=\"auth\"\r\n";
	static const char chal_stale[] =
	    "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"def456\", "
	    "algorithm=SHA-256, qop=\"auth\", stale=true\r\n";
	static const char chal_stale_same[] =
	    "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"def456\", "
	    "algorithm=SHA-256, qop=\"auth\", stale=true\r\n";

	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	respond(e, 0, 401, chal, false, 0);
	assert_int_equal(e->nsent, 2);
	respond(e, 1, 401, chal_stale, false, 0);
	assert_int_equal(e->nsent, 3);
	assert_non_null(strstr(e->sent[2].bytes, "nonce=\"def456\""));
	assert_non_null(strstr(e->sent[2].bytes, "nc=00000001"));
	/* Stale with the nonce answered: bounded by the challenge count. */
	respond(e, 2, 401, chal_stale_same, false, 0);
	assert_int_equal(e->nsent, 4);
	respond(e, 3, 401, chal, false, 0);
	assert_int_equal(e->nsent, 4);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	assert_int_equal(trunkreg_last_status(e->t), 401);
	/* Next attempt: the same nonce once more is answered once. */
	wait_send(e, 100);
	respond(e, 4, 401, chal, false, 0);
	assert_int_equal(e->nsent, 6);
	assert_non_null(strstr(e->sent[5].bytes, "nc=00000002"));
	respond(e, 5, 401, chal, false, 0);
	assert_int_equal(e->nsent, 6);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
}

/* Policy: another realm, or a downgrade to MD5, is not answered. */
static void
test_challenge_policy(void **state)
{
	struct env *e = *state;
	static const char other_realm[] =
	    "WWW-Authenticate: Digest realm=\"evil.example\", nonce=\"n1\", "
	    "algorithm=SHA-256, qop=\"auth\"\r\n";
	static const char md5_only[] =
	    "WWW-Authenticate: Digest realm=\"" REALM "\", nonce=\"n2\", "
	    "algorithm=MD5, qop=\"auth\"\r\n";

	e->cfg.min_alg = SIP_DIGEST_ALG_SHA256;
	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	respond(e, 0, 401, other_realm, false, 0);
	assert_int_equal(e->nsent, 1);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	wait_send(e, 100);
	respond(e, 1, 401, md5_only, false, 0);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	/* A 401 without any challenge. */
	wait_send(e, 100);
	respond(e, 2, 401, NULL, false, 0);
	assert_int_equal(e->nsent, 3);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
}

/* A proxy's 407 and then the registrar's 401: both lines are sent. */
static void
test_proxy_then_registrar(void **state)
{
	struct env *e = *state;
	struct sip_msg *m;

	e->cfg.ha1 = NULL;
	e->cfg.password = SV(PASS);
	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	respond(e, 0, 407, NULL, true, T0);
	assert_int_equal(e->nsent, 2);
	m = sent_msg(e, 1);
	assert_true(sv_present(hdr(m, SIP_HDR_PROXY_AUTHORIZATION)));
	assert_false(sv_present(hdr(m, SIP_HDR_AUTHORIZATION)));
	assert_int_equal(
	    check_auth(e, 1, SIP_HDR_PROXY_AUTHORIZATION, T0, NULL),
	    SIP_AUTH_OK);
	respond(e, 1, 401, NULL, true, T0 + 1);
	assert_int_equal(e->nsent, 3);
	assert_int_equal(
	    check_auth(e, 2, SIP_HDR_AUTHORIZATION, T0 + 1, NULL), SIP_AUTH_OK);
	m = sent_msg(e, 2);
	assert_true(sv_present(hdr(m, SIP_HDR_PROXY_AUTHORIZATION)));
	respond(e, 2, 200, NULL, false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERED);
}

/* Unregistering: Expires 0, a challenge answered, then IDLE and
 * silence. */
static void
test_unregister(void **state)
{
	struct env *e = *state;

	make(e);
	assert_int_equal(trunkreg_unregister(e->t), 0);
	assert_int_equal(e->nsent, 0);
	assert_int_equal(trunkreg_start(e->t), 0);
	respond(e, 0, 200, "Expires: 120\r\n", false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_REGISTERED);
	assert_int_equal(trunkreg_unregister(e->t), 0);
	assert_int_equal(trunkreg_unregister(e->t), 0);
	assert_int_equal(e->nsent, 2);
	assert_int_equal(sent_expires(e, 1), 0);
	assert_true(
	    sv_eq(hdr(sent_msg(e, 1), SIP_HDR_CONTACT), SV(OUR_CONTACT)));
	assert_int_equal(trunkreg_start(e->t), -EALREADY);
	respond(e, 1, 401, NULL, true, T0);
	assert_int_equal(e->nsent, 3);
	assert_int_equal(sent_expires(e, 2), 0);
	assert_int_equal(
	    check_auth(e, 2, SIP_HDR_AUTHORIZATION, T0, NULL), SIP_AUTH_OK);
	respond(e, 2, 200, NULL, false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_IDLE);
	assert_int_equal(e->states[e->nstates - 1], TRUNKREG_IDLE);
	assert_int_equal(trunkreg_granted_s(e->t), 0);
	/* No refresh, no retry. */
	loop_advance(e->loop, 7200000);
	assert_int_equal(e->nsent, 3);
	/* It can start again. */
	assert_int_equal(trunkreg_start(e->t), 0);
	assert_int_equal(e->nsent, 4);
	assert_int_equal(sent_expires(e, 3), TRUNKREG_EXPIRES_DEFAULT_S);
	/* Unregistering in the middle of an attempt forgets it; a failed
	 * unregistration ends in IDLE too. */
	assert_int_equal(trunkreg_unregister(e->t), 0);
	assert_int_equal(e->nsent, 5);
	loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_IDLE);
	loop_advance(e->loop, 7200000);
	assert_int_equal(e->nsent, 5);
	/* From FAILED, with the send refused. */
	assert_int_equal(trunkreg_start(e->t), 0);
	respond(e, 5, 500, NULL, false, 0);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_FAILED);
	e->send_rc = -ECONNRESET;
	assert_int_equal(trunkreg_unregister(e->t), -ECONNRESET);
	assert_int_equal(trunkreg_state(e->t), TRUNKREG_IDLE);
	e->send_rc = 0;
	loop_advance(e->loop, 7200000);
	assert_int_equal(e->nsent, 6);
}

/* Freeing the trunk from its FAILED callback, and with a REGISTER in
 * flight. */
static void
test_free_paths(void **state)
{
	struct env *e = *state;

	make(e);
	e->free_on_failed = true;
	assert_int_equal(trunkreg_start(e->t), 0);
	respond(e, 0, 404, NULL, false, 0);
	assert_null(e->t);
	loop_advance(e->loop, 7200000);
	assert_int_equal(e->nsent, 1);
	e->free_on_failed = false;
	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	trunkreg_free(e->t);
	e->t = NULL;
	loop_advance(e->loop, 64 * SIP_TXN_T1_MS);
	trunkreg_free(NULL);
}

/* IPv6 over UDP: brackets in Via and Contact; the contact in a 200 is
 * matched without them. */
static void
test_ipv6_udp(void **state)
{
	struct env *e = *state;
	struct sip_msg *m;

	e->cfg.peer.transport = SIP_TXN_TP_UDP;
	e->cfg.peer.reliable = false;
	e->cfg.peer.conn_id = 0;
	e->cfg.local_host = SV("2001:db8::10");
	e->cfg.registrar = SV_NULL;
	make(e);
	assert_int_equal(trunkreg_start(e->t), 0);
	m = sent_msg(e, 0);
	assert_true(sv_eq(m->ruri_text, SV("sip:" DOMAIN)));
	assert_true(sv_eq(
	    hdr(m, SIP_HDR_CONTACT), SV("<sip:" USER "@[2001:db8::10]:5080>")));
	assert_true(sv_starts_with(
	    hdr(m, SIP_HDR_VIA), SV("SIP/2.0/UDP [2001:db8::10]:5080;")));
	respond(e, 0, 200,
	    "Contact: <sip:" USER "@[2001:DB8::10]:5080>;expires=200\r\n",
	    false, 0);
	assert_int_equal(trunkreg_granted_s(e->t), 200);
}

static void
test_new_invalid(void **state)
{
	struct env *e = *state;
	struct trunkreg_config c;
	struct sip_auth_ha1 none = {0};
	struct trunkreg *t = NULL;
	int rc = -1;

#define BAD(stmt)                                                              \
	do {                                                                   \
		c = e->cfg;                                                    \
		stmt;                                                          \
		assert_int_equal(trunkreg_new(&t, &c), -EINVAL);               \
	} while (0)
	BAD(c.loop = NULL);
	BAD(c.txn = NULL);
	BAD(c.domain = SV_NULL);
	BAD(c.domain = SV("op erator"));
	BAD(c.user = SV("a@b"));
	BAD(c.user = SV("a;b"));
	BAD(c.user = SV_NULL);
	BAD(c.auth_user = SV("a\"b"));
	BAD(c.realm = SV("r\\"));
	BAD(c.realm = SV_NULL);
	BAD(c.ha1 = &none);
	BAD((c.ha1 = NULL, c.password = SV_NULL));
	BAD(c.local_host = SV_NULL);
	BAD(c.local_host = SV("[2001:db8::1"));
	BAD(c.local_port = 0);
	BAD(c.registrar = SV("reg;lr"));
	BAD(c.name = SV("a b"));
	BAD(c.min_alg = SIP_DIGEST_ALG_SHA256_SESS);
	BAD(c.expires_s = TRUNKREG_EXPIRES_MAX_S + 1);
	BAD((c.retry_min_s = 100, c.retry_max_s = 50));
	BAD(c.retry_max_s = 10);
	BAD(c.retry_max_s = TRUNKREG_EXPIRES_MAX_S + 1);
#undef BAD
	assert_string_equal(
	    trunkreg_state_name(TRUNKREG_REGISTERED), "registered");
	assert_string_equal(
	    trunkreg_state_name((enum trunkreg_state)9), "unknown");
	/* Every allocation can fail cleanly. */
	for (unsigned long n = 1; n < 10 && rc != 0; n++) {
		mem_fail_nth(n);
		rc = trunkreg_new(&t, &e->cfg);
		mem_fail_nth(0);
		if (rc != 0)
			assert_int_equal(rc, -ENOMEM);
	}
	assert_int_equal(rc, 0);
	trunkreg_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_register_challenge_refresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_forbidden_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_timeout_backoff, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_send_error_retry_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_interval_too_brief, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_credentials_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_challenge_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_proxy_then_registrar, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unregister, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_udp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_invalid, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
