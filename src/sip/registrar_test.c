/* Unit tests for the registrar and location service. R-CALL-1,
 * R-TRUNK-5. */
#include "sip/test_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/buf.h"
#include "core/loop.h"
#include "core/mem.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/registrar.h"

#define WALL_S 1700000000u /* Tue, 14 Nov 2023 22:13:20 GMT */
#define EVENTS_MAX 64

struct event {
	bool removed;
	enum registrar_removal why;
	char aor[REGISTRAR_AOR_MAX + 1];
	char contact[REGISTRAR_URI_MAX + 1];
	char call_id[REGISTRAR_CALL_ID_MAX + 1];
	char user_agent[REGISTRAR_USER_AGENT_MAX + 1];
	uint16_t q;
	uint32_t cseq;
	uint64_t expires_at_wall_s;
	uint32_t expires_in_s;
	uint16_t port;
};

/* A binding seen through registrar_lookup(). */
struct seen {
	char contact[REGISTRAR_URI_MAX + 1];
	uint16_t q;
	uint32_t expires_in_s;
	uint32_t cseq;
	uint16_t port;
	char user_agent[REGISTRAR_USER_AGENT_MAX + 1];
};

/* A Contact value of a response. */
struct rcontact {
	char uri[REGISTRAR_URI_MAX + 1];
	uint32_t expires;
	bool has_expires;
	uint16_t q;
	bool has_q;
};

struct fx {
	struct loop *loop;
	struct registrar *reg;
	struct event ev[EVENTS_MAX];
	size_t nev;
	struct buf text;
	struct buf hdrs;
	struct buf resp;
	struct sip_msg msg;
	struct sip_msg rmsg;
	struct sip_txn_peer peer;
	unsigned branch;
	struct registrar_reply reply;
};

static void
copy_sv(char *dst, size_t size, struct sv s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if (n > 0)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static uint16_t
peer_port(const struct sip_txn_peer *p)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)&p->addr;

	return ntohs(in->sin_port);
}

static void
record(struct fx *f, const struct registrar_binding *b, bool removed,
    enum registrar_removal why)
{
	struct event *e;

	assert_true(f->nev < EVENTS_MAX);
	e = &f->ev[f->nev++];
	e->removed = removed;
	e->why = why;
	copy_sv(e->aor, sizeof(e->aor), b->aor);
	copy_sv(e->contact, sizeof(e->contact), b->contact);
	copy_sv(e->call_id, sizeof(e->call_id), b->call_id);
	copy_sv(e->user_agent, sizeof(e->user_agent), b->user_agent);
	e->q = b->q;
	e->cseq = b->cseq;
	e->expires_at_wall_s = b->expires_at_wall_s;
	e->expires_in_s = b->expires_in_s;
	e->port = peer_port(&b->peer);
}

static void
on_saved(void *arg, const struct registrar_binding *b)
{
	record(arg, b, false, REGISTRAR_REMOVAL_ADMIN);
}

static void
on_removed(
    void *arg, const struct registrar_binding *b, enum registrar_removal why)
{
	record(arg, b, true, why);
}

static void
set_peer(struct fx *f, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&f->peer.addr;

	memset(&f->peer, 0, sizeof(f->peer));
	f->peer.transport = SIP_TXN_TP_UDP;
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.10", &in->sin_addr), 1);
	f->peer.addr_len = sizeof(*in);
}

static int
make_registrar(struct fx *f, const struct registrar_config *cfg)
{
	struct registrar_hooks hooks = {
	    .saved = on_saved,
	    .removed = on_removed,
	    .arg = f,
	};

	registrar_free(f->reg);
	f->reg = NULL;
	return registrar_new(&f->reg, f->loop, cfg, &hooks);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (loop_new(&f->loop, true) != 0 || make_registrar(f, NULL) != 0) {
		registrar_free(f->reg);
		loop_free(f->loop);
		free(f);
		return -1;
	}
	buf_init(&f->text, 0);
	buf_init(&f->hdrs, 0);
	buf_init(&f->resp, 0);
	set_peer(f, 5060);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	registrar_free(f->reg);
	loop_free(f->loop);
	buf_release(&f->text);
	buf_release(&f->hdrs);
	buf_release(&f->resp);
	free(f);
	return 0;
}

/* Builds and parses a REGISTER for user 'to_user'; 'extra' holds more
 * header lines, each ending in CRLF. */
static void
build_register(struct fx *f, const char *to_user, const char *call_id,
    uint32_t cseq, const char *extra)
{
	struct sip_error err;

	buf_reset(&f->text);
	buf_printf(&f->text,
	    "REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-%u\r\n"
	    "Max-Forwards: 70\r\n"
	    "From: <sip:%s@example.com>;tag=f1\r\n"
	    "To: <sip:%s@example.com>\r\n"
	    "Call-ID: %s\r\n"
	    "CSeq: %u REGISTER\r\n"
	    "User-Agent: TestPhone 1.0\r\n"
	    "%s"
	    "Content-Length: 0\r\n"
	    "\r\n",
	    f->branch++, to_user, to_user, call_id, cseq, extra);
	assert_int_equal(buf_error(&f->text), 0);
	assert_int_equal(
	    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
}

static uint16_t
handle_as(struct fx *f, const char *auth_user)
{
	assert_int_equal(registrar_handle(f->reg, &f->msg, &f->peer,
	                     sv_cstr(auth_user), WALL_S, &f->hdrs, &f->reply),
	    0);
	assert_non_null(f->reply.reason);
	return f->reply.status;
}

static uint16_t
reg_as(struct fx *f, const char *to_user, const char *auth_user,
    const char *call_id, uint32_t cseq, const char *extra)
{
	build_register(f, to_user, call_id, cseq, extra);
	return handle_as(f, auth_user);
}

static uint16_t
reg100(struct fx *f, const char *call_id, uint32_t cseq, const char *extra)
{
	return reg_as(f, "100", "100", call_id, cseq, extra);
}

/* Builds the response the daemon would send and parses it back. */
static void
parse_response(struct fx *f)
{
	struct sip_error err;

	buf_reset(&f->resp);
	assert_int_equal(sip_build_response(&f->resp, &f->msg, f->reply.status,
	                     sv_cstr(f->reply.reason), SV("t1")),
	    0);
	buf_append_sv(&f->resp, buf_view(&f->hdrs));
	assert_int_equal(sip_build_body(&f->resp, SV_NULL, SV_NULL), 0);
	assert_int_equal(
	    sip_msg_parse(&f->rmsg, buf_view(&f->resp), NULL, &err), 0);
	assert_false(f->rmsg.is_request);
	assert_int_equal(f->rmsg.status, f->reply.status);
}

static size_t
resp_contacts(struct fx *f, struct rcontact *out, size_t max)
{
	struct sip_hdr_iter it;
	struct sv v;
	size_t n = 0;
	int rc;

	parse_response(f);
	sip_hdr_iter_init(&it, &f->rmsg, SIP_HDR_CONTACT);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1) {
		struct sip_addr a;

		assert_true(n < max);
		assert_int_equal(sip_contact_parse(v, &a), 0);
		assert_true(a.angle);
		copy_sv(out[n].uri, sizeof(out[n].uri), a.uri.raw);
		out[n].expires = a.expires;
		out[n].has_expires = a.has_expires;
		out[n].q = a.q;
		out[n].has_q = a.has_q;
		n++;
	}
	assert_int_equal(rc, 0);
	return n;
}

struct seen_list {
	struct seen s[REGISTRAR_CONTACTS_LIMIT];
	size_t n;
	size_t stop_after;
};

static bool
on_binding(void *arg, const struct registrar_binding *b)
{
	struct seen_list *l = arg;
	struct seen *s;

	assert_true(l->n < REGISTRAR_CONTACTS_LIMIT);
	s = &l->s[l->n++];
	copy_sv(s->contact, sizeof(s->contact), b->contact);
	copy_sv(s->user_agent, sizeof(s->user_agent), b->user_agent);
	s->q = b->q;
	s->expires_in_s = b->expires_in_s;
	s->cseq = b->cseq;
	s->port = peer_port(&b->peer);
	return l->stop_after == 0 || l->n < l->stop_after;
}

static size_t
lookup(struct fx *f, const char *aor, struct seen_list *l)
{
	int n;

	memset(l, 0, sizeof(*l));
	n = registrar_lookup(f->reg, sv_cstr(aor), on_binding, l);
	assert_int_equal((size_t)n, l->n);
	return l->n;
}

/* R-CALL-1: register, check the hook and the 200, then query. */
static void
test_register_and_query(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[4];
	struct seen_list l;
	struct sv date;

	assert_int_equal(
	    reg100(f, "c1@phone", 1, "Contact: <sip:100@192.0.2.10:5060>\r\n"),
	    200);
	assert_string_equal(f->reply.reason, "");
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 1);
	assert_false(f->ev[0].removed);
	assert_string_equal(f->ev[0].aor, "100");
	assert_string_equal(f->ev[0].contact, "sip:100@192.0.2.10:5060");
	assert_string_equal(f->ev[0].call_id, "c1@phone");
	assert_string_equal(f->ev[0].user_agent, "TestPhone 1.0");
	assert_int_equal(f->ev[0].q, 1000);
	assert_int_equal(f->ev[0].cseq, 1);
	assert_int_equal(f->ev[0].expires_in_s, 3600);
	assert_int_equal(f->ev[0].expires_at_wall_s, WALL_S + 3600);
	assert_int_equal(f->ev[0].port, 5060);

	assert_int_equal(resp_contacts(f, rc, 4), 1);
	assert_string_equal(rc[0].uri, "sip:100@192.0.2.10:5060");
	assert_true(rc[0].has_expires);
	assert_int_equal(rc[0].expires, 3600);
	assert_false(rc[0].has_q);
	assert_int_equal(sip_msg_header(&f->rmsg, SIP_HDR_DATE, &date), 0);
	assert_true(sv_eq(date, SV("Tue, 14 Nov 2023 22:13:20 GMT")));

	/* A REGISTER without Contact is a query: no change, no hook. */
	loop_advance(f->loop, 1000 * 1000);
	assert_int_equal(reg100(f, "c1@phone", 2, ""), 200);
	assert_int_equal(f->nev, 1);
	assert_int_equal(resp_contacts(f, rc, 4), 1);
	assert_int_equal(rc[0].expires, 2600);

	/* The same answer for an AOR with no bindings: no Contact. */
	assert_int_equal(reg_as(f, "101", "101", "q@x", 1, ""), 200);
	assert_int_equal(resp_contacts(f, rc, 4), 0);
	assert_int_equal(sip_msg_header(&f->rmsg, SIP_HDR_DATE, &date), 0);

	assert_int_equal(lookup(f, "100", &l), 1);
	assert_string_equal(l.s[0].contact, "sip:100@192.0.2.10:5060");
	assert_int_equal(l.s[0].expires_in_s, 2600);
	assert_int_equal(lookup(f, "101", &l), 0);
	assert_int_equal(lookup(f, "10", &l), 0);
}

/* R-CALL-1: a refresh updates the expiry, the CSeq and the flow. */
static void
test_refresh(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[4];
	struct seen_list l;

	assert_int_equal(
	    reg100(f, "c1@phone", 1, "Contact: <sip:100@192.0.2.10:5060>\r\n"),
	    200);
	loop_advance(f->loop, 500 * 1000);
	set_peer(f, 40000); /* the NAT binding changed */
	assert_int_equal(reg100(f, "c1@phone", 2,
	                     "Contact: <sip:100@192.0.2.10:5060>\r\n"
	                     "Expires: 1800\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 2);
	assert_false(f->ev[1].removed);
	assert_int_equal(f->ev[1].cseq, 2);
	assert_int_equal(f->ev[1].expires_in_s, 1800);
	assert_int_equal(f->ev[1].expires_at_wall_s, WALL_S + 1800);
	assert_int_equal(f->ev[1].port, 40000);
	assert_int_equal(resp_contacts(f, rc, 4), 1);
	assert_int_equal(rc[0].expires, 1800);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_int_equal(l.s[0].port, 40000);
	assert_int_equal(l.s[0].cseq, 2);

	/* The old timer is gone: nothing fires at the first expiry. */
	loop_advance(f->loop, 1799 * 1000);
	assert_int_equal(registrar_count(f->reg), 1);
	loop_advance(f->loop, 1000);
	assert_int_equal(registrar_count(f->reg), 0);
	assert_int_equal(f->nev, 3);
	assert_true(f->ev[2].removed);
	assert_int_equal(f->ev[2].why, REGISTRAR_REMOVAL_EXPIRED);
	assert_int_equal(loop_timer_count(f->loop), 0);
}

/* R-TRUNK-5: two contacts, then one removed with expires=0. */
static void
test_remove_one(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[4];
	struct seen_list l;

	assert_int_equal(reg100(f, "c1", 1,
	                     "Contact: <sip:100@192.0.2.10:5060>, "
	                     "<sip:100@198.51.100.7:5062;transport=tcp>\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 2);
	assert_int_equal(resp_contacts(f, rc, 4), 2);
	f->nev = 0;
	assert_int_equal(
	    reg100(
	        f, "c1", 2, "Contact: <sip:100@192.0.2.10:5060>;expires=0\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 1);
	assert_true(f->ev[0].removed);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_UNREGISTERED);
	assert_string_equal(f->ev[0].contact, "sip:100@192.0.2.10:5060");
	assert_int_equal(resp_contacts(f, rc, 4), 1);
	assert_string_equal(
	    rc[0].uri, "sip:100@198.51.100.7:5062;transport=tcp");
	assert_int_equal(lookup(f, "100", &l), 1);

	/* Removing a contact that is not bound changes nothing. */
	f->nev = 0;
	assert_int_equal(reg100(f, "c1", 3,
	                     "Contact: <sip:100@203.0.113.1>\r\n"
	                     "Expires: 0\r\n"),
	    200);
	assert_int_equal(f->nev, 0);
	assert_int_equal(registrar_count(f->reg), 1);

	/* The last one goes: the AOR is empty and the 200 lists nothing. */
	assert_int_equal(
	    reg100(f, "c1", 4,
	        "Contact: <sip:100@198.51.100.7:5062;transport=tcp>\r\n"
	        "Expires: 0\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 0);
	assert_int_equal(resp_contacts(f, rc, 4), 0);
	assert_int_equal(lookup(f, "100", &l), 0);
	assert_int_equal(loop_timer_count(f->loop), 0);
}

/* RFC 3261 §10.3 step 6: "Contact: *" with "Expires: 0" removes all. */
static void
test_remove_all(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[4];

	assert_int_equal(reg100(f, "c1", 1,
	                     "Contact: <sip:100@192.0.2.10:5060>\r\n"
	                     "Contact: <sip:100@192.0.2.11:5060>\r\n"),
	    200);
	assert_int_equal(
	    reg100(f, "other", 1, "Contact: <sip:100@192.0.2.12:5060>\r\n"),
	    200);
	assert_int_equal(reg_as(f, "101", "101", "c9", 1,
	                     "Contact: <sip:101@192.0.2.20>\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 4);
	f->nev = 0;
	assert_int_equal(
	    reg100(f, "c1", 2, "Contact: *\r\nExpires: 0\r\n"), 200);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_true(f->ev[i].removed);
		assert_int_equal(f->ev[i].why, REGISTRAR_REMOVAL_UNREGISTERED);
		assert_string_equal(f->ev[i].aor, "100");
	}
	assert_int_equal(resp_contacts(f, rc, 4), 0);
	/* Again, with nothing left: still 200. */
	assert_int_equal(
	    reg100(f, "c1", 3, "Contact: *\r\nExpires: 0\r\n"), 200);
}

/* RFC 3261 §10.3 step 6: the malformed uses of "*" get 400. */
static void
test_star_invalid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    reg100(f, "c1", 1, "Contact: <sip:100@192.0.2.10:5060>\r\n"), 200);
	f->nev = 0;
	assert_int_equal(
	    reg100(f, "c1", 2, "Contact: *\r\nExpires: 10\r\n"), 400);
	assert_int_equal(reg100(f, "c1", 3, "Contact: *\r\n"), 400);
	assert_int_equal(reg100(f, "c1", 4,
	                     "Contact: *\r\n"
	                     "Contact: <sip:100@192.0.2.10:5060>\r\n"
	                     "Expires: 0\r\n"),
	    400);
	assert_int_equal(reg100(f, "c1", 5,
	                     "Contact: <sip:100@192.0.2.10:5060>, *\r\n"
	                     "Expires: 0\r\n"),
	    400);
	assert_string_equal(f->reply.reason, "Invalid Wildcard Contact");
	assert_int_equal(f->hdrs.len, 0);
	assert_int_equal(f->nev, 0);
	assert_int_equal(registrar_count(f->reg), 1);
}

/* RFC 3261 §10.3 step 7: 423 with Min-Expires below the minimum. */
static void
test_interval_too_brief(void **state)
{
	struct fx *f = *state;
	uint32_t min;
	struct sv v;

	assert_int_equal(reg100(f, "c1", 1,
	                     "Contact: <sip:100@192.0.2.10:5060>\r\n"
	                     "Expires: 30\r\n"),
	    423);
	parse_response(f);
	assert_int_equal(sip_msg_header(&f->rmsg, SIP_HDR_MIN_EXPIRES, &v), 0);
	assert_int_equal(sv_to_u32(v, UINT32_MAX, &min), 0);
	assert_int_equal(min, 60);
	assert_int_equal(registrar_count(f->reg), 0);

	/* The contact parameter counts before the header. */
	assert_int_equal(reg100(f, "c1", 2,
	                     "Contact: <sip:100@192.0.2.10:5060>;expires=59\r\n"
	                     "Expires: 3600\r\n"),
	    423);
	assert_int_equal(reg100(f, "c1", 3,
	                     "Contact: <sip:100@192.0.2.10:5060>;expires=60\r\n"
	                     "Expires: 1\r\n"),
	    200);
	assert_int_equal(f->ev[0].expires_in_s, 60);
	/* One brief contact fails the whole request. */
	assert_int_equal(reg100(f, "c1", 4,
	                     "Contact: <sip:100@192.0.2.11>, "
	                     "<sip:100@192.0.2.12>;expires=5\r\n"),
	    423);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 1);
}

/* RFC 3261 §10.3 step 7: a long expiry is shortened to the maximum. */
static void
test_clamp_max(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[2];

	assert_int_equal(reg100(f, "c1", 1,
	                     "Contact: <sip:100@192.0.2.10:5060>\r\n"
	                     "Expires: 100000\r\n"),
	    200);
	assert_int_equal(resp_contacts(f, rc, 2), 1);
	assert_int_equal(rc[0].expires, 7200);
	assert_int_equal(f->ev[0].expires_at_wall_s, WALL_S + 7200);
	assert_int_equal(reg100(f, "c1", 2,
	                     "Contact: <sip:100@192.0.2.10:5060>"
	                     ";expires=4294967295\r\n"),
	    200);
	assert_int_equal(resp_contacts(f, rc, 2), 1);
	assert_int_equal(rc[0].expires, 7200);
}

/* R-CALL-1: a binding disappears when its time is up. */
static void
test_expiry_timer(void **state)
{
	struct fx *f = *state;
	struct seen_list l;

	assert_int_equal(reg100(f, "c1", 1,
	                     "Contact: <sip:100@192.0.2.10:5060>\r\n"
	                     "Contact: <sip:100@192.0.2.11>;expires=120\r\n"
	                     "Expires: 60\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 2);
	f->nev = 0;
	loop_advance(f->loop, 59999);
	assert_int_equal(registrar_count(f->reg), 2);
	assert_int_equal(lookup(f, "100", &l), 2);
	assert_int_equal(l.s[0].expires_in_s, 61);
	assert_int_equal(l.s[1].expires_in_s, 1);
	loop_advance(f->loop, 1);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 1);
	assert_true(f->ev[0].removed);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_EXPIRED);
	assert_string_equal(f->ev[0].contact, "sip:100@192.0.2.10:5060");
	assert_string_equal(f->ev[0].aor, "100");
	assert_int_equal(f->ev[0].expires_in_s, 0);
	assert_int_equal(f->ev[0].expires_at_wall_s, WALL_S + 60);
	loop_advance(f->loop, 60 * 1000);
	assert_int_equal(registrar_count(f->reg), 0);
	assert_int_equal(f->nev, 2);
	assert_int_equal(lookup(f, "100", &l), 0);
	/* The AOR entry went with its last binding: a new one works. */
	assert_int_equal(
	    reg100(f, "c2", 1, "Contact: <sip:100@192.0.2.10:5060>\r\n"), 200);
	assert_int_equal(lookup(f, "100", &l), 1);
}

/* R-TRUNK-5: several contacts, tried by q descending. */
static void
test_q_order(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[4];
	struct seen_list l;

	assert_int_equal(reg100(f, "c1", 1,
	                     "Contact: <sip:100@192.0.2.10>;q=0.5, "
	                     "<sip:100@192.0.2.11>;q=0.9\r\n"
	                     "Contact: <sip:100@192.0.2.12>\r\n"
	                     "Contact: <sip:100@192.0.2.13>;q=0.25\r\n"),
	    200);
	assert_int_equal(lookup(f, "100", &l), 4);
	assert_string_equal(l.s[0].contact, "sip:100@192.0.2.12");
	assert_int_equal(l.s[0].q, 1000);
	assert_string_equal(l.s[1].contact, "sip:100@192.0.2.11");
	assert_int_equal(l.s[1].q, 900);
	assert_string_equal(l.s[2].contact, "sip:100@192.0.2.10");
	assert_int_equal(l.s[2].q, 500);
	assert_string_equal(l.s[3].contact, "sip:100@192.0.2.13");
	assert_int_equal(l.s[3].q, 250);

	/* The 200 lists them in the same order, with their q. */
	assert_int_equal(resp_contacts(f, rc, 4), 4);
	assert_string_equal(rc[0].uri, "sip:100@192.0.2.12");
	assert_false(rc[0].has_q);
	assert_true(rc[1].has_q);
	assert_int_equal(rc[1].q, 900);
	assert_int_equal(rc[2].q, 500);
	assert_int_equal(rc[3].q, 250);

	/* A refresh that changes q moves the binding. */
	assert_int_equal(
	    reg100(f, "c1", 2, "Contact: <sip:100@192.0.2.13>;q=1.0\r\n"), 200);
	assert_int_equal(lookup(f, "100", &l), 4);
	assert_string_equal(l.s[0].contact, "sip:100@192.0.2.13");
	assert_string_equal(l.s[1].contact, "sip:100@192.0.2.12");

	/* The callback can stop the walk. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(
	    registrar_lookup(f->reg, SV("100"), on_binding, &l), 2);
}

/* RFC 3261 §10.3 step 7: same Call-ID needs a higher CSeq; otherwise
 * the whole request fails and changes nothing. */
static void
test_cseq_order(void **state)
{
	struct fx *f = *state;
	struct seen_list l;

	assert_int_equal(
	    reg100(f, "c1", 10, "Contact: <sip:100@192.0.2.10>\r\n"), 200);
	f->nev = 0;
	assert_int_equal(reg100(f, "c1", 10,
	                     "Contact: <sip:100@192.0.2.10>\r\n"
	                     "Expires: 100\r\n"),
	    500);
	assert_int_equal(reg100(f, "c1", 9,
	                     "Contact: <sip:100@192.0.2.10>\r\n"
	                     "Expires: 0\r\n"),
	    500);
	assert_string_equal(f->reply.reason, "CSeq Out of Order");
	/* A new contact alongside a stale one is not added either. */
	assert_int_equal(reg100(f, "c1", 5,
	                     "Contact: <sip:100@192.0.2.11>, "
	                     "<sip:100@192.0.2.10>\r\n"),
	    500);
	assert_int_equal(
	    reg100(f, "c1", 5, "Contact: *\r\nExpires: 0\r\n"), 500);
	assert_int_equal(f->nev, 0);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_int_equal(l.s[0].cseq, 10);
	assert_int_equal(l.s[0].expires_in_s, 3600);

	/* Another Call-ID (the phone restarted) may use any CSeq. */
	assert_int_equal(reg100(f, "c2", 1,
	                     "Contact: <sip:100@192.0.2.10>\r\n"
	                     "Expires: 100\r\n"),
	    200);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_int_equal(l.s[0].cseq, 1);
	assert_int_equal(l.s[0].expires_in_s, 100);
	assert_int_equal(reg100(f, "c2", 2,
	                     "Contact: <sip:100@192.0.2.10>\r\n"
	                     "Expires: 200\r\n"),
	    200);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_int_equal(l.s[0].expires_in_s, 200);
}

/* RFC 3261 §10.3 step 4: only one's own AOR. */
static void
test_forbidden(void **state)
{
	struct fx *f = *state;

	assert_int_equal(reg_as(f, "101", "100", "c1", 1,
	                     "Contact: <sip:101@192.0.2.10>\r\n"),
	    403);
	assert_int_equal(f->hdrs.len, 0);
	/* The user part is case-sensitive (RFC 3261 §19.1.4). */
	assert_int_equal(reg_as(f, "Alice", "alice", "c1", 1,
	                     "Contact: <sip:alice@192.0.2.10>\r\n"),
	    403);
	assert_int_equal(reg_as(f, "1000", "100", "c1", 1,
	                     "Contact: <sip:100@192.0.2.10>\r\n"),
	    403);
	assert_int_equal(registrar_count(f->reg), 0);
	assert_int_equal(f->nev, 0);
	/* Escapes are decoded before the comparison (§10.3 step 5). */
	assert_int_equal(reg_as(f, "%31%300", "100", "c1", 1,
	                     "Contact: <sip:100@192.0.2.10>\r\n"),
	    200);
	assert_string_equal(f->ev[0].aor, "100");
	assert_int_equal(reg_as(f, "10%zz", "100", "c1", 2, ""), 400);
}

static void
test_forbidden_forms(void **state)
{
	struct fx *f = *state;
	struct sip_error err;

	/* A tel: To or one without a user part is no AOR of ours. */
	buf_reset(&f->text);
	buf_append_cstr(&f->text,
	    "REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-t1\r\n"
	    "From: <sip:100@example.com>;tag=f1\r\n"
	    "To: <tel:+33100>\r\n"
	    "Call-ID: c1\r\n"
	    "CSeq: 1 REGISTER\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(
	    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
	assert_int_equal(handle_as(f, "100"), 403);
	buf_reset(&f->text);
	buf_append_cstr(&f->text,
	    "REGISTER sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-t2\r\n"
	    "From: <sip:100@example.com>;tag=f1\r\n"
	    "To: <sip:example.com>\r\n"
	    "Call-ID: c1\r\n"
	    "CSeq: 1 REGISTER\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(
	    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
	assert_int_equal(handle_as(f, "100"), 403);
	/* Not a REGISTER, or no authenticated user: a caller's mistake. */
	buf_reset(&f->text);
	buf_append_cstr(&f->text,
	    "OPTIONS sip:example.com SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-t3\r\n"
	    "From: <sip:100@example.com>;tag=f1\r\n"
	    "To: <sip:100@example.com>\r\n"
	    "Call-ID: c1\r\n"
	    "CSeq: 1 OPTIONS\r\n"
	    "Content-Length: 0\r\n\r\n");
	assert_int_equal(
	    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
	f->reply.status = 0;
	assert_int_equal(registrar_handle(f->reg, &f->msg, &f->peer, SV("100"),
	                     WALL_S, &f->hdrs, &f->reply),
	    -EINVAL);
	assert_int_equal(f->reply.status, 0);
	build_register(f, "100", "c1", 1, "");
	assert_int_equal(registrar_handle(f->reg, &f->msg, &f->peer, SV_NULL,
	                     WALL_S, &f->hdrs, &f->reply),
	    -EINVAL);
	assert_int_equal(registrar_count(f->reg), 0);
}

/* Each malformed part of a REGISTER gets 400 and changes nothing. */
static void
test_bad_requests(void **state)
{
	struct fx *f = *state;
	char extra[REGISTRAR_URI_MAX + 64];
	char call_id[REGISTRAR_CALL_ID_MAX + 2];
	size_t n;

	assert_int_equal(
	    reg100(f, "c1", 1, "Contact: <sip:100@192.0.2.10>\r\n"), 200);
	f->nev = 0;
	assert_int_equal(reg100(f, "c1", 2,
	                     "Contact: <sip:100@192.0.2.11>\r\n"
	                     "Expires: soon\r\n"),
	    400);
	assert_string_equal(f->reply.reason, "Bad Expires");
	assert_int_equal(
	    reg100(f, "c1", 3, "Contact: <sip:100@192.0.2.11\r\n"), 400);
	assert_string_equal(f->reply.reason, "Bad Contact");
	assert_int_equal(
	    reg100(f, "c1", 4, "Contact: <sip:100@192.0.2.11>;q=2\r\n"), 400);
	assert_int_equal(reg100(f, "c1", 5,
	                     "Contact: <sip:100@192.0.2.11>;expires=1;"
	                     "expires=2\r\n"),
	    400);
	assert_int_equal(reg100(f, "c1", 6, "Contact: <tel:+33100>\r\n"), 400);
	assert_string_equal(f->reply.reason, "Unsupported Contact Scheme");
	assert_int_equal(
	    reg100(f, "c1", 7, "Contact: <mailto:a@example.com>\r\n"), 400);

	/* A contact URI over REGISTRAR_URI_MAX. */
	memcpy(extra, "Contact: <sip:", 14);
	n = 14;
	while (n < 14 + REGISTRAR_URI_MAX)
		extra[n++] = 'a';
	memcpy(extra + n, "@192.0.2.11>\r\n", 15);
	assert_int_equal(reg100(f, "c1", 8, extra), 400);
	assert_string_equal(f->reply.reason, "Contact Too Long");

	/* A Call-ID over REGISTRAR_CALL_ID_MAX. */
	memset(call_id, 'x', sizeof(call_id) - 1);
	call_id[sizeof(call_id) - 1] = '\0';
	assert_int_equal(
	    reg100(f, call_id, 9, "Contact: <sip:100@192.0.2.11>\r\n"), 400);
	assert_string_equal(f->reply.reason, "Call-ID Too Long");

	/* More values than SIP_LIST_MAX. */
	{
		struct buf many;

		buf_init(&many, 0);
		for (unsigned i = 0; i <= SIP_LIST_MAX; i++)
			buf_printf(
			    &many, "Contact: <sip:100@192.0.2.%u>\r\n", i + 1);
		assert_int_equal(buf_error(&many), 0);
		buf_append_char(&many, '\0');
		assert_int_equal(reg100(f, "c1", 10, many.data), 400);
		assert_string_equal(f->reply.reason, "Too Many Contacts");
		buf_release(&many);
	}
	assert_int_equal(f->nev, 0);
	assert_int_equal(registrar_count(f->reg), 1);
}

/* R-TRUNK-5: the per-AOR bound replaces the binding closest to expiry;
 * one request cannot ask for more than the bound. */
static void
test_bound_per_aor(void **state)
{
	struct fx *f = *state;
	struct registrar_config cfg;
	struct seen_list l;

	registrar_config_default(&cfg);
	cfg.contacts_max = 2;
	assert_int_equal(make_registrar(f, &cfg), 0);
	assert_int_equal(reg100(f, "a", 1,
	                     "Contact: <sip:100@192.0.2.10>\r\n"
	                     "Expires: 600\r\n"),
	    200);
	assert_int_equal(reg100(f, "b", 1,
	                     "Contact: <sip:100@192.0.2.11>\r\n"
	                     "Expires: 300\r\n"),
	    200);
	f->nev = 0;
	assert_int_equal(
	    reg100(f, "c", 1, "Contact: <sip:100@192.0.2.12>\r\n"), 200);
	assert_int_equal(registrar_count(f->reg), 2);
	assert_int_equal(f->nev, 2);
	assert_true(f->ev[0].removed);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_EVICTED);
	assert_string_equal(f->ev[0].contact, "sip:100@192.0.2.11");
	assert_false(f->ev[1].removed);
	assert_string_equal(f->ev[1].contact, "sip:100@192.0.2.12");
	assert_int_equal(lookup(f, "100", &l), 2);

	/* A refresh of a bound contact evicts nothing. */
	f->nev = 0;
	assert_int_equal(
	    reg100(f, "a", 2, "Contact: <sip:100@192.0.2.10>\r\n"), 200);
	assert_int_equal(f->nev, 1);
	assert_false(f->ev[0].removed);

	/* Three live contacts in one request: 403, nothing changes. */
	f->nev = 0;
	assert_int_equal(reg100(f, "d", 1,
	                     "Contact: <sip:100@192.0.2.20>, "
	                     "<sip:100@192.0.2.21>, <sip:100@192.0.2.22>\r\n"),
	    403);
	assert_string_equal(f->reply.reason, "Too Many Contacts");
	assert_int_equal(f->nev, 0);
	/* Two new ones replace both old ones, plus a removal is fine. */
	assert_int_equal(reg100(f, "d", 2,
	                     "Contact: <sip:100@192.0.2.20>, "
	                     "<sip:100@192.0.2.21>, "
	                     "<sip:100@192.0.2.22>;expires=0\r\n"),
	    200);
	assert_int_equal(f->nev, 4);
	assert_int_equal(lookup(f, "100", &l), 2);
	assert_string_equal(l.s[0].contact, "sip:100@192.0.2.21");
	assert_string_equal(l.s[1].contact, "sip:100@192.0.2.20");
}

/* The total bound: 503 and no change, never an eviction elsewhere. */
static void
test_bound_total(void **state)
{
	struct fx *f = *state;
	struct registrar_config cfg;

	registrar_config_default(&cfg);
	cfg.bindings_max = 2;
	assert_int_equal(make_registrar(f, &cfg), 0);
	assert_int_equal(reg100(f, "a", 1,
	                     "Contact: <sip:100@192.0.2.10>, "
	                     "<sip:100@192.0.2.11>\r\n"),
	    200);
	f->nev = 0;
	assert_int_equal(reg_as(f, "101", "101", "b", 1,
	                     "Contact: <sip:101@192.0.2.20>\r\n"),
	    503);
	assert_string_equal(f->reply.reason, "Too Many Registrations");
	assert_int_equal(registrar_count(f->reg), 2);
	assert_int_equal(f->nev, 0);
	/* Replacing one's own binding in the same request fits. */
	assert_int_equal(reg100(f, "a", 2,
	                     "Contact: <sip:100@192.0.2.10>;expires=0, "
	                     "<sip:100@192.0.2.12>\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 2);
	assert_int_equal(f->nev, 2);
	/* After a removal another user fits. */
	assert_int_equal(
	    reg100(f, "a", 3, "Contact: *\r\nExpires: 0\r\n"), 200);
	assert_int_equal(reg_as(f, "101", "101", "b", 1,
	                     "Contact: <sip:101@192.0.2.20>\r\n"),
	    200);
}

/* A refresh with an equal URI written differently renames the row. */
static void
test_rewritten(void **state)
{
	struct fx *f = *state;
	struct seen_list l;

	assert_int_equal(
	    reg100(f, "a", 1, "Contact: <sip:100@Phone.Example.com>\r\n"), 200);
	f->nev = 0;
	assert_int_equal(
	    reg100(f, "a", 2, "Contact: <sip:100@phone.example.com>\r\n"), 200);
	assert_int_equal(f->nev, 2);
	assert_true(f->ev[0].removed);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_REWRITTEN);
	assert_string_equal(f->ev[0].contact, "sip:100@Phone.Example.com");
	assert_false(f->ev[1].removed);
	assert_string_equal(f->ev[1].contact, "sip:100@phone.example.com");
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_string_equal(l.s[0].contact, "sip:100@phone.example.com");
	assert_int_equal(registrar_count(f->reg), 1);
}

/* Equal contacts in one request: the last one wins. */
static void
test_duplicate_in_request(void **state)
{
	struct fx *f = *state;
	struct rcontact rc[4];

	assert_int_equal(reg100(f, "a", 1,
	                     "Contact: <sip:100@192.0.2.10>;expires=100, "
	                     "<sip:100@192.0.2.10>;expires=200\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 1);
	assert_int_equal(resp_contacts(f, rc, 4), 1);
	assert_int_equal(rc[0].expires, 200);
	assert_int_equal(reg100(f, "a", 2,
	                     "Contact: <sip:100@192.0.2.10>;expires=100, "
	                     "<sip:100@192.0.2.10>;expires=0\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 0);
}

/* Two contacts that differ but both equal one binding (a parameter in
 * only one URI is ignored): the first refreshes it, the other is new. */
static void
test_intransitive_match(void **state)
{
	struct fx *f = *state;
	struct seen_list l;

	assert_int_equal(
	    reg100(f, "a", 1, "Contact: <sip:100@192.0.2.10>\r\n"), 200);
	f->nev = 0;
	assert_int_equal(reg100(f, "a", 2,
	                     "Contact: <sip:100@192.0.2.10;foo=1>, "
	                     "<sip:100@192.0.2.10;foo=2>\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 2);
	assert_int_equal(f->nev, 3);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_REWRITTEN);
	assert_string_equal(f->ev[0].contact, "sip:100@192.0.2.10");
	assert_int_equal(lookup(f, "100", &l), 2);
	assert_int_equal(
	    reg100(f, "a", 3, "Contact: <sip:100@192.0.2.10>;expires=0\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 1);
}

/* User-Agent: control bytes become spaces, long values are cut. */
static void
test_user_agent(void **state)
{
	struct fx *f = *state;
	struct buf ua;
	struct seen_list l;

	buf_init(&ua, 0);
	buf_append_cstr(&ua, "Contact: <sip:100@192.0.2.10>\r\nUser-Agent: ");
	for (unsigned i = 0; i < 300; i++)
		buf_append_char(&ua, (char)('a' + i % 26));
	buf_append_cstr(&ua, "\r\n");
	buf_append_char(&ua, '\0');
	assert_int_equal(buf_error(&ua), 0);
	/* The first User-Agent field is the one kept. */
	assert_int_equal(reg100(f, "a", 1, ua.data), 200);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_string_equal(l.s[0].user_agent, "TestPhone 1.0");
	buf_release(&ua);

	{
		struct sip_error err;

		buf_reset(&f->text);
		buf_append_cstr(&f->text,
		    "REGISTER sip:example.com SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-u1\r\n"
		    "From: <sip:100@example.com>;tag=f1\r\n"
		    "To: <sip:100@example.com>\r\n"
		    "Call-ID: a\r\n"
		    "CSeq: 2 REGISTER\r\n"
		    "User-Agent: Phone\tX\r\n"
		    "Contact: <sip:100@192.0.2.10>\r\n"
		    "Content-Length: 0\r\n\r\n");
		assert_int_equal(
		    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
		assert_int_equal(handle_as(f, "100"), 200);
		assert_int_equal(lookup(f, "100", &l), 1);
		assert_string_equal(l.s[0].user_agent, "Phone X");
	}
	{
		struct sip_error err;

		buf_reset(&f->text);
		buf_append_cstr(&f->text,
		    "REGISTER sip:example.com SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-u2\r\n"
		    "From: <sip:100@example.com>;tag=f1\r\n"
		    "To: <sip:100@example.com>\r\n"
		    "Call-ID: a\r\n"
		    "CSeq: 3 REGISTER\r\n"
		    "Contact: <sip:100@192.0.2.10>\r\n"
		    "User-Agent: ");
		for (unsigned i = 0; i < 300; i++)
			buf_append_char(&f->text, 'u');
		buf_append_cstr(&f->text, "\r\nContent-Length: 0\r\n\r\n");
		assert_int_equal(
		    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
		assert_int_equal(handle_as(f, "100"), 200);
		assert_int_equal(lookup(f, "100", &l), 1);
		assert_int_equal(
		    strlen(l.s[0].user_agent), REGISTRAR_USER_AGENT_MAX);
	}
}

static void
parse_text(struct fx *f, const char *text)
{
	struct sip_error err;

	buf_reset(&f->text);
	buf_append_cstr(&f->text, text);
	assert_int_equal(buf_error(&f->text), 0);
	assert_int_equal(
	    sip_msg_parse(&f->msg, buf_view(&f->text), NULL, &err), 0);
}

/* Call-ID, CSeq, User-Agent and AOR length. */
static void
test_request_fields(void **state)
{
	struct fx *f = *state;
	struct seen_list l;
	struct buf t;
	char user[REGISTRAR_AOR_MAX + 2];

	parse_text(f, "REGISTER sip:example.com SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-r1\r\n"
	              "From: <sip:100@example.com>;tag=f1\r\n"
	              "To: <sip:100@example.com>\r\n"
	              "Call-ID: a b\r\n"
	              "CSeq: 1 REGISTER\r\n"
	              "Contact: <sip:100@192.0.2.10>\r\n"
	              "Content-Length: 0\r\n\r\n");
	assert_int_equal(handle_as(f, "100"), 400);
	assert_string_equal(f->reply.reason, "Bad Call-ID");
	parse_text(f, "REGISTER sip:example.com SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-r2\r\n"
	              "From: <sip:100@example.com>;tag=f1\r\n"
	              "To: <sip:100@example.com>\r\n"
	              "Call-ID: c1\r\n"
	              "CSeq: 1 INVITE\r\n"
	              "Contact: <sip:100@192.0.2.10>\r\n"
	              "Content-Length: 0\r\n\r\n");
	assert_int_equal(handle_as(f, "100"), 400);
	assert_string_equal(f->reply.reason, "Bad CSeq");
	assert_int_equal(registrar_count(f->reg), 0);

	/* No User-Agent: an empty one. */
	parse_text(f, "REGISTER sip:example.com SIP/2.0\r\n"
	              "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-r3\r\n"
	              "From: <sip:100@example.com>;tag=f1\r\n"
	              "To: <sip:100@example.com>\r\n"
	              "Call-ID: c1\r\n"
	              "CSeq: 1 REGISTER\r\n"
	              "Contact: <sip:100@192.0.2.10>\r\n"
	              "Content-Length: 0\r\n\r\n");
	assert_int_equal(handle_as(f, "100"), 200);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_string_equal(l.s[0].user_agent, "");

	/* A cut never splits a UTF-8 sequence. */
	buf_init(&t, 0);
	buf_append_cstr(&t, "REGISTER sip:example.com SIP/2.0\r\n"
	                    "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-r4\r\n"
	                    "From: <sip:100@example.com>;tag=f1\r\n"
	                    "To: <sip:100@example.com>\r\n"
	                    "Call-ID: c1\r\n"
	                    "CSeq: 2 REGISTER\r\n"
	                    "Contact: <sip:100@192.0.2.10>\r\n"
	                    "User-Agent: ");
	for (unsigned i = 0; i < REGISTRAR_USER_AGENT_MAX - 1; i++)
		buf_append_char(&t, 'u');
	buf_append_cstr(&t, "\xc3\xa9xyz\r\nContent-Length: 0\r\n\r\n");
	buf_append_char(&t, '\0');
	assert_int_equal(buf_error(&t), 0);
	parse_text(f, t.data);
	buf_release(&t);
	assert_int_equal(handle_as(f, "100"), 200);
	assert_int_equal(lookup(f, "100", &l), 1);
	assert_int_equal(
	    strlen(l.s[0].user_agent), REGISTRAR_USER_AGENT_MAX - 1);

	/* An AOR longer than REGISTRAR_AOR_MAX cannot be registered. */
	memset(user, 'a', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	assert_int_equal(
	    reg_as(f, user, user, "c1", 1, "Contact: <sip:a@192.0.2.10>\r\n"),
	    403);
	user[sizeof(user) - 2] = '\0';
	assert_int_equal(
	    reg_as(f, user, user, "c1", 1, "Contact: <sip:a@192.0.2.10>\r\n"),
	    200);
	assert_int_equal(registrar_count(f->reg), 2);
}

static struct registrar_binding
saved_row(const char *aor, const char *contact, uint64_t expires_at)
{
	struct registrar_binding b;

	memset(&b, 0, sizeof(b));
	b.aor = sv_cstr(aor);
	b.contact = sv_cstr(contact);
	b.q = 1000;
	b.cseq = 7;
	b.call_id = SV("saved@phone");
	b.user_agent = SV("Saved UA");
	b.expires_at_wall_s = expires_at;
	return b;
}

/* Bindings saved before a restart come back; expired ones do not. */
static void
test_restore(void **state)
{
	struct fx *f = *state;
	struct registrar_binding b;
	struct registrar_config cfg;
	struct seen_list l;
	struct rcontact rc[4];

	b = saved_row("100", "sip:100@192.0.2.10", WALL_S + 600);
	b.peer = f->peer;
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), 0);
	b = saved_row("100", "sip:100@192.0.2.11", WALL_S);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -ETIMEDOUT);
	b = saved_row("100", "sip:100@192.0.2.11", WALL_S - 10);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -ETIMEDOUT);
	/* A clock stepped back: at most max_expires_s. */
	b = saved_row("100", "sip:100@192.0.2.12", WALL_S + 100000);
	b.q = 500;
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), 0);
	b = saved_row("100", "sip:100@192.0.2.10", WALL_S + 60);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -EEXIST);
	b = saved_row("", "sip:100@192.0.2.13", WALL_S + 60);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -EINVAL);
	b = saved_row("100", "tel:+33100", WALL_S + 60);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -EINVAL);
	b = saved_row("100", "sip:100@", WALL_S + 60);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -EINVAL);
	b = saved_row("100", "sip:100@192.0.2.13", WALL_S + 60);
	b.q = 1001;
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -EINVAL);
	b = saved_row("100", "sip:100@192.0.2.13", WALL_S + 60);
	b.call_id = SV_NULL;
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -EINVAL);
	assert_int_equal(f->nev, 0);
	assert_int_equal(registrar_count(f->reg), 2);

	assert_int_equal(lookup(f, "100", &l), 2);
	assert_string_equal(l.s[0].contact, "sip:100@192.0.2.10");
	assert_int_equal(l.s[0].expires_in_s, 600);
	assert_int_equal(l.s[0].cseq, 7);
	assert_int_equal(l.s[0].port, 5060);
	assert_string_equal(l.s[0].user_agent, "Saved UA");
	assert_int_equal(l.s[1].expires_in_s, 7200);

	/* The restored Call-ID and CSeq still order updates. */
	assert_int_equal(
	    reg100(f, "saved@phone", 7, "Contact: <sip:100@192.0.2.10>\r\n"),
	    500);
	assert_int_equal(reg100(f, "saved@phone", 8, ""), 200);
	assert_int_equal(resp_contacts(f, rc, 4), 2);

	/* Restored bindings expire like the others. */
	loop_advance(f->loop, 600 * 1000);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_EXPIRED);
	assert_int_equal(f->ev[0].expires_at_wall_s, WALL_S + 600);

	/* Bounds. */
	registrar_config_default(&cfg);
	cfg.contacts_max = 1;
	cfg.bindings_max = 2;
	assert_int_equal(make_registrar(f, &cfg), 0);
	b = saved_row("100", "sip:100@192.0.2.10", WALL_S + 600);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), 0);
	b = saved_row("100", "sip:100@192.0.2.11", WALL_S + 600);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -ENOSPC);
	b = saved_row("101", "sip:101@192.0.2.11", WALL_S + 600);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), 0);
	b = saved_row("102", "sip:102@192.0.2.11", WALL_S + 600);
	assert_int_equal(registrar_restore(f->reg, &b, WALL_S), -ENOSPC);
	assert_int_equal(registrar_count(f->reg), 2);

	/* Out of memory: nothing half made. */
	for (unsigned long n = 1; n < 3; n++) {
		b = saved_row("103", "sip:103@192.0.2.11", WALL_S + 600);
		assert_int_equal(make_registrar(f, NULL), 0);
		mem_fail_nth(n);
		assert_int_equal(
		    registrar_restore(f->reg, &b, WALL_S), -ENOMEM);
		mem_fail_nth(0);
		assert_int_equal(registrar_count(f->reg), 0);
		assert_int_equal(lookup(f, "103", &l), 0);
		assert_int_equal(registrar_restore(f->reg, &b, WALL_S), 0);
	}
}

/* Decommissioning removes every binding of the AOR. */
static void
test_remove_aor(void **state)
{
	struct fx *f = *state;

	assert_int_equal(reg100(f, "a", 1,
	                     "Contact: <sip:100@192.0.2.10>, "
	                     "<sip:100@192.0.2.11>\r\n"),
	    200);
	assert_int_equal(reg_as(f, "101", "101", "b", 1,
	                     "Contact: <sip:101@192.0.2.20>\r\n"),
	    200);
	f->nev = 0;
	assert_int_equal(registrar_remove_aor(f->reg, SV("100")), 2);
	assert_int_equal(registrar_remove_aor(f->reg, SV("100")), 0);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0].why, REGISTRAR_REMOVAL_ADMIN);
	assert_int_equal(f->ev[1].why, REGISTRAR_REMOVAL_ADMIN);
	assert_int_equal(registrar_count(f->reg), 1);
	assert_int_equal(loop_timer_count(f->loop), 1);
}

static void
test_config(void **state)
{
	struct fx *f = *state;
	struct registrar_config cfg, bad;
	struct registrar *r = NULL;

	registrar_config_default(&cfg);
	assert_int_equal(cfg.default_expires_s, 3600);
	assert_int_equal(cfg.min_expires_s, 60);
	assert_int_equal(cfg.max_expires_s, 7200);
	assert_int_equal(cfg.contacts_max, REGISTRAR_CONTACTS_MAX);
	bad = cfg;
	bad.min_expires_s = 0;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.min_expires_s = 3601;
	bad.default_expires_s = 3700;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.default_expires_s = 8000;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.max_expires_s = REGISTRAR_EXPIRES_LIMIT + 1;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.contacts_max = 0;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad.contacts_max = REGISTRAR_CONTACTS_LIMIT + 1;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad = cfg;
	bad.bindings_max = 0;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	bad.bindings_max = REGISTRAR_BINDINGS_LIMIT + 1;
	assert_int_equal(registrar_new(&r, f->loop, &bad, NULL), -EINVAL);
	assert_int_equal(registrar_new(&r, NULL, NULL, NULL), -EINVAL);
	assert_null(r);
	/* No hooks at all is fine. */
	assert_int_equal(registrar_new(&r, f->loop, NULL, NULL), 0);
	registrar_free(r);
	registrar_free(NULL);
}

static void
test_new_oom(void **state)
{
	struct fx *f = *state;
	struct registrar *r = NULL;
	unsigned long n;
	int rc = -ENOMEM;

	for (n = 1; rc != 0; n++) {
		mem_fail_nth(n);
		rc = registrar_new(&r, f->loop, NULL, NULL);
		mem_fail_nth(0);
		if (rc != 0) {
			assert_int_equal(rc, -ENOMEM);
			assert_null(r);
		}
	}
	assert_int_equal(n, 4); /* two allocations, both failed once */
	registrar_free(r);
}

/* Out of memory while adding or refreshing: 503, and the registrar and
 * the hooks see nothing. */
static void
test_handle_oom(void **state)
{
	struct fx *f = *state;
	struct seen_list l;
	unsigned long n;
	unsigned failures = 0;

	assert_int_equal(
	    reg100(f, "a", 1, "Contact: <sip:100@192.0.2.10>;expires=100\r\n"),
	    200);
	f->nev = 0;
	for (n = 1;; n++) {
		/* Fresh buffers, so their growth is tried too. */
		buf_release(&f->hdrs);
		buf_init(&f->hdrs, 0);
		build_register(f, "100", "a", (uint32_t)(n + 1),
		    "Contact: <sip:100@192.0.2.10>;expires=300, "
		    "<sip:100@192.0.2.11>, <sip:100@192.0.2.12>\r\n");
		mem_fail_nth(n);
		(void)handle_as(f, "100");
		mem_fail_nth(0);
		if (f->reply.status == 200)
			break;
		failures++;
		assert_int_equal(f->reply.status, 503);
		assert_int_equal(f->hdrs.len, 0);
		assert_int_equal(f->nev, 0);
		assert_int_equal(registrar_count(f->reg), 1);
		assert_int_equal(lookup(f, "100", &l), 1);
		assert_int_equal(l.s[0].expires_in_s, 100);
		assert_int_equal(loop_timer_count(f->loop), 1);
	}
	assert_true(failures >= 4);
	assert_int_equal(registrar_count(f->reg), 3);
	assert_int_equal(f->nev, 3);
	assert_int_equal(loop_timer_count(f->loop), 3);

	/* A new AOR: its entry is an allocation too. */
	failures = 0;
	for (n = 1;; n++) {
		build_register(f, "101", "b", (uint32_t)n,
		    "Contact: <sip:101@192.0.2.20>\r\n");
		mem_fail_nth(n);
		(void)handle_as(f, "101");
		mem_fail_nth(0);
		if (f->reply.status == 200)
			break;
		failures++;
		assert_int_equal(f->reply.status, 503);
		assert_int_equal(lookup(f, "101", &l), 0);
		assert_int_equal(registrar_count(f->reg), 3);
	}
	assert_true(failures >= 1);
	assert_int_equal(registrar_count(f->reg), 4);
}

/* 423's Min-Expires header cannot be written: 503 instead. */
static void
test_reply_oom(void **state)
{
	struct fx *f = *state;

	buf_release(&f->hdrs);
	buf_init(&f->hdrs, 0);
	build_register(
	    f, "100", "a", 1, "Contact: <sip:100@192.0.2.10>;expires=1\r\n");
	mem_fail_nth(1);
	assert_int_equal(handle_as(f, "100"), 503);
	mem_fail_nth(0);
	assert_int_equal(f->hdrs.len, 0);
	/* A buffer too small for the 200: 503, no change. */
	buf_release(&f->hdrs);
	buf_init(&f->hdrs, 40);
	build_register(f, "100", "a", 2, "Contact: <sip:100@192.0.2.10>\r\n");
	assert_int_equal(handle_as(f, "100"), 503);
	assert_int_equal(registrar_count(f->reg), 0);
	assert_int_equal(f->nev, 0);
	buf_release(&f->hdrs);
	buf_init(&f->hdrs, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_register_and_query, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_all, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_star_invalid, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_interval_too_brief, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clamp_max, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_q_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cseq_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forbidden, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_forbidden_forms, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bound_per_aor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bound_total, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rewritten, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_duplicate_in_request, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_intransitive_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_user_agent, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_request_fields, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_aor, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_new_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_handle_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_oom, setup, teardown),
	};

	return cmocka_run_group_tests_name("sip_registrar", tests, NULL, NULL);
}
