/* OPTIONS health checks of a trunk; see trunkhealth.h. */
#include "pbx/trunkhealth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "sip/build.h"
#include "sip/msg.h"

#define NAME_MAX_LEN 64u
#define RANDOM_LEN 24u

struct trunkhealth {
	struct loop *loop;
	struct sip_txn_layer *txn;
	struct sip_txn_peer peer;
	char name[NAME_MAX_LEN + 1];
	char ruri[TRUNKHEALTH_HOST_MAX + 5]; /* "sip:" target */
	char via_host[TRUNKHEALTH_HOST_MAX + 3];
	uint16_t local_port;
	uint32_t interval_s;
	uint32_t timeout_ms;
	uint32_t up_after;
	uint32_t down_after;
	trunkhealth_state_cb on_state;
	void *arg;

	enum trunkhealth_state state;
	bool running;
	struct sip_txn_client *cur; /* the probe in flight, or NULL */
	struct loop_timer tick;     /* the next probe */
	struct loop_timer deadline; /* timeout_ms of the probe in flight */
	uint32_t ok_run;            /* successes in a row */
	uint32_t fail_run;          /* failures in a row */
	uint32_t cseq;
	uint16_t last_status;
	char tag[RANDOM_LEN + 1];
	struct buf out;
};

static const char *const state_names[] = {
    [TRUNKHEALTH_UNKNOWN] = "unknown",
    [TRUNKHEALTH_UP] = "up",
    [TRUNKHEALTH_DOWN] = "down",
};

const char *
trunkhealth_state_name(enum trunkhealth_state state)
{
	if ((size_t)state >= RP_ARRAY_LEN(state_names))
		return "invalid";
	return state_names[state];
}

static bool
chars_ok(struct sv s, const char *extra, size_t max)
{
	if (s.len == 0 || s.len > max)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9')) &&
		    strchr(extra, c) == NULL)
			return false;
	}
	return true;
}

static void
random_text(char *out, size_t len)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[RANDOM_LEN];

	if (len > sizeof(r))
		len = sizeof(r);
	if (getrandom(r, len, 0) != (ssize_t)len)
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[len] = '\0';
}

static void on_tick(struct loop *l, void *arg);
static void on_deadline(struct loop *l, void *arg);

int
trunkhealth_new(struct trunkhealth **out, const struct trunkhealth_config *c)
{
	struct trunkhealth *h;
	struct sv host = c->local_host;

	if (c->loop == NULL || c->txn == NULL ||
	    !chars_ok(c->target, ".-:[]", TRUNKHEALTH_HOST_MAX) ||
	    !chars_ok(host, ".-:[]", TRUNKHEALTH_HOST_MAX) ||
	    c->local_port == 0 ||
	    (sv_present(c->name) && !chars_ok(c->name, "-_.", NAME_MAX_LEN)) ||
	    c->interval_s > TRUNKHEALTH_INTERVAL_MAX_S ||
	    c->up_after > TRUNKHEALTH_COUNT_MAX ||
	    c->down_after > TRUNKHEALTH_COUNT_MAX ||
	    c->timeout_ms > TRUNKHEALTH_INTERVAL_MAX_S * 1000u)
		return -EINVAL;
	h = mem_calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->loop = c->loop;
	h->txn = c->txn;
	h->peer = c->peer;
	snprintf(h->name, sizeof(h->name), "%.*s",
	    SV_ARG(sv_present(c->name) ? c->name : SV("trunk")));
	snprintf(h->ruri, sizeof(h->ruri), "sip:%.*s", SV_ARG(c->target));
	if (host.p[0] != '[' && memchr(host.p, ':', host.len) != NULL)
		snprintf(
		    h->via_host, sizeof(h->via_host), "[%.*s]", SV_ARG(host));
	else
		snprintf(
		    h->via_host, sizeof(h->via_host), "%.*s", SV_ARG(host));
	h->local_port = c->local_port;
	h->interval_s =
	    c->interval_s != 0 ? c->interval_s : TRUNKHEALTH_INTERVAL_DEFAULT_S;
	h->timeout_ms = c->timeout_ms;
	h->up_after =
	    c->up_after != 0 ? c->up_after : TRUNKHEALTH_UP_AFTER_DEFAULT;
	h->down_after =
	    c->down_after != 0 ? c->down_after : TRUNKHEALTH_DOWN_AFTER_DEFAULT;
	h->on_state = c->on_state;
	h->arg = c->arg;
	h->state = TRUNKHEALTH_UNKNOWN;
	loop_timer_init(&h->tick, on_tick, h);
	loop_timer_init(&h->deadline, on_deadline, h);
	buf_init(&h->out, 0);
	random_text(h->tag, RANDOM_LEN);
	*out = h;
	return 0;
}

void
trunkhealth_stop(struct trunkhealth *h)
{
	h->running = false;
	loop_timer_stop(h->loop, &h->tick);
	loop_timer_stop(h->loop, &h->deadline);
	if (h->cur != NULL) {
		sip_txn_client_detach(h->cur);
		h->cur = NULL;
	}
}

void
trunkhealth_free(struct trunkhealth *h)
{
	if (h == NULL)
		return;
	trunkhealth_stop(h);
	buf_release(&h->out);
	free(h);
}

enum trunkhealth_state
trunkhealth_state(const struct trunkhealth *h)
{
	return h->state;
}

uint16_t
trunkhealth_last_status(const struct trunkhealth *h)
{
	return h->last_status;
}

static const char *
via_transport(enum sip_txn_transport tp)
{
	switch (tp) {
	case SIP_TXN_TP_TCP:
		return "TCP";
	case SIP_TXN_TP_TLS:
		return "TLS";
	case SIP_TXN_TP_WS:
		return "WS";
	case SIP_TXN_TP_WSS:
		return "WSS";
	case SIP_TXN_TP_UDP:
	default:
		return "UDP";
	}
}

/* Counts one outcome, schedules the next probe, then reports a change
 * (the callback comes last: it may free h). */
static void
outcome(struct trunkhealth *h, bool alive, uint16_t status)
{
	enum trunkhealth_state next = h->state;

	h->cur = NULL;
	h->last_status = status;
	loop_timer_stop(h->loop, &h->deadline);
	if (alive) {
		h->fail_run = 0;
		if (h->ok_run < UINT32_MAX)
			h->ok_run++;
		if (h->ok_run >= h->up_after)
			next = TRUNKHEALTH_UP;
	} else {
		h->ok_run = 0;
		if (h->fail_run < UINT32_MAX)
			h->fail_run++;
		if (h->fail_run >= h->down_after)
			next = TRUNKHEALTH_DOWN;
	}
	if (h->running && loop_timer_start(h->loop, &h->tick,
	                      (uint64_t)h->interval_s * 1000u) != 0)
		log_error("trunk", "msg=\"no probe timer\" trunk=%s", h->name);
	if (next == h->state)
		return;
	log_info("trunk", "msg=\"health\" trunk=%s state=%s status=%u", h->name,
	    trunkhealth_state_name(next), status);
	h->state = next;
	if (h->on_state != NULL)
		h->on_state(h->arg, h, next);
}

static void
on_response(
    void *arg, struct sip_txn_client *c, uint16_t status, struct sip_msg *resp)
{
	(void)c;
	if (status < 200)
		return;
	/* A response the layer made up (timeout, transport error) has no
	 * message: the peer said nothing. */
	outcome(arg, resp != NULL, resp != NULL ? status : 0);
}

static int
send_probe(struct trunkhealth *h)
{
	char branch[SIP_TXN_BRANCH_SIZE];
	char call_id[RANDOM_LEN + 1];
	struct buf *b = &h->out;
	int rc;

	rc = sip_txn_new_branch(branch);
	if (rc != 0)
		return rc;
	random_text(call_id, RANDOM_LEN);
	buf_reset(b);
	rc = sip_build_request_line(b, SV("OPTIONS"), sv_cstr(h->ruri));
	if (rc != 0)
		return rc;
	h->cseq++;
	buf_printf(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n",
	    via_transport(h->peer.transport), h->via_host, h->local_port,
	    branch);
	buf_append_cstr(b, "Max-Forwards: 70\r\n");
	buf_printf(b, "From: <sip:%s:%u>;tag=%s\r\n", h->via_host,
	    h->local_port, h->tag);
	buf_printf(b, "To: <%s>\r\n", h->ruri);
	buf_printf(b, "Call-ID: %s\r\n", call_id);
	buf_printf(b, "CSeq: %u OPTIONS\r\n", h->cseq);
	buf_append_cstr(b, "Accept: application/sdp\r\n");
	rc = sip_build_body(b, SV_NULL, SV_NULL);
	if (rc != 0)
		return rc;
	return sip_txn_client_start(h->txn, buf_view(b), sv_cstr(branch),
	    SIP_METHOD_OPTIONS, &h->peer, on_response, h, &h->cur);
}

static void
probe(struct trunkhealth *h)
{
	int rc = send_probe(h);

	if (rc != 0) {
		log_debug("trunk", "msg=\"probe not sent\" trunk=%s err=%d",
		    h->name, rc);
		outcome(h, false, 0);
		return;
	}
	if (h->timeout_ms != 0 &&
	    loop_timer_start(h->loop, &h->deadline, h->timeout_ms) != 0)
		log_error(
		    "trunk", "msg=\"no probe deadline\" trunk=%s", h->name);
}

static void
on_tick(struct loop *l, void *arg)
{
	(void)l;
	probe(arg);
}

static void
on_deadline(struct loop *l, void *arg)
{
	struct trunkhealth *h = arg;

	(void)l;
	if (h->cur == NULL)
		return;
	/* The transaction keeps its timers but reports to nobody now. */
	sip_txn_client_detach(h->cur);
	outcome(h, false, 0);
}

int
trunkhealth_start(struct trunkhealth *h)
{
	if (h->running)
		return -EALREADY;
	h->running = true;
	probe(h);
	return 0;
}
