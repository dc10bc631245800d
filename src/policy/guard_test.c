/* Unit tests for the perimeter guard. R-NET-1 R-NET-2 R-NET-3 R-NET-4 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/mem.h"
#include "policy/guard.h"

#define MIN_MS (60u * 1000u)
#define T0 1000000u

static struct cidr_addr
A(const char *s) {
	struct cidr_addr a;

	assert_int_equal(cidr_addr_parse(sv_cstr(s), &a), 0);
	return a;
}

static struct cidr_addr
v4(uint32_t x)
{
	struct cidr_addr a = {.family = AF_INET};

	a.bytes[0] = (uint8_t)(x >> 24);
	a.bytes[1] = (uint8_t)(x >> 16);
	a.bytes[2] = (uint8_t)(x >> 8);
	a.bytes[3] = (uint8_t)x;
	return a;
}

static void
config(struct guard_config *c)
{
	guard_config_defaults(c);
	c->hash_key[0] = 0x0123456789abcdefu;
	c->hash_key[1] = 0xfedcba9876543210u;
	c->max_sources = 1024;
}

static struct guard *
make(const struct guard_config *c)
{
	struct guard *g = NULL;

	assert_int_equal(guard_new(&g, c), 0);
	assert_non_null(g);
	return g;
}

static struct guard *
make_default(void)
{
	struct guard_config c;

	config(&c);
	return make(&c);
}

static const struct guard_event *
find_ev(const struct guard_events *ev, enum guard_event_kind kind)
{
	for (unsigned i = 0; i < ev->n; i++) {
		if (ev->ev[i].kind == kind)
			return &ev->ev[i];
	}
	return NULL;
}

static struct guard_request_info
req(enum guard_method m, const char *ua, const char *target)
{
	struct guard_request_info r = {m, sv_cstr(ua), sv_cstr(target)};

	return r;
}

/* Packet bucket: the burst passes, then the rate. R-NET-3 */
static void
test_packet_bucket(void **state)
{
	struct guard_config c;
	struct guard_events ev;
	struct guard *g;
	struct cidr_addr a = A("198.51.100.1"), b = A("198.51.100.2");
	uint64_t now = T0;

	(void)state;
	config(&c);
	c.pkt_rate = 10;
	c.pkt_burst = 20;
	c.throttle_ban_drops = 0;
	g = make(&c);
	for (int i = 0; i < 20; i++)
		assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_PASS);
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_DROP);
	assert_non_null(find_ev(&ev, GUARD_EV_THROTTLE));
	/* One THROTTLE event per episode, not per packet. */
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_DROP);
	assert_int_equal(ev.n, 0);
	/* Another source is not affected. R-NET-3 */
	assert_int_equal(guard_packet(g, &b, now, &ev), GUARD_PASS);
	/* 10 per second: one token every 100 ms. */
	now += 99;
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_DROP);
	now += 1;
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_PASS);
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_DROP);
	now += 1000;
	for (int i = 0; i < 10; i++)
		assert_int_equal(guard_packet(g, &a, now, NULL), GUARD_PASS);
	assert_int_equal(guard_packet(g, &a, now, NULL), GUARD_DROP);
	/* A long pause refills to the burst only. */
	now += 3600000;
	for (int i = 0; i < 20; i++)
		assert_int_equal(guard_packet(g, &a, now, NULL), GUARD_PASS);
	assert_int_equal(guard_packet(g, &a, now, NULL), GUARD_DROP);
	/* A clock that goes back refills nothing and breaks nothing. */
	assert_int_equal(guard_packet(g, &a, now - 5000, NULL), GUARD_DROP);
	assert_false(guard_is_banned(g, &a, now));
	guard_free(g);
}

/* Request bucket and throttle escalating to a ban. R-NET-3 */
static void
test_request_bucket_and_flood_ban(void **state)
{
	struct guard_config c;
	struct guard_events ev;
	struct guard *g;
	struct cidr_addr a = A("198.51.100.1");
	struct guard_request_info r = req(GUARD_M_OTHER, "Phone/1.0", "");
	uint64_t now = T0;
	const struct guard_event *e;

	(void)state;
	config(&c);
	c.req_rate = 5;
	c.req_burst = 10;
	c.throttle_ban_drops = 50;
	g = make(&c);
	for (int i = 0; i < 10; i++)
		assert_int_equal(
		    guard_request(g, &a, &r, now, &ev), GUARD_PASS);
	assert_int_equal(guard_request(g, &a, &r, now, &ev), GUARD_THROTTLE);
	e = find_ev(&ev, GUARD_EV_THROTTLE);
	assert_non_null(e);
	assert_string_equal(e->reason, "request rate");
	now += 200;
	assert_int_equal(guard_request(g, &a, &r, now, &ev), GUARD_PASS);
	for (int i = 0; i < 48; i++)
		assert_int_equal(
		    guard_request(g, &a, &r, now, &ev), GUARD_THROTTLE);
	assert_int_equal(guard_request(g, &a, &r, now, &ev), GUARD_BAN);
	e = find_ev(&ev, GUARD_EV_BAN);
	assert_non_null(e);
	assert_string_equal(e->reason, "flood");
	assert_int_equal(e->count, 50);
	assert_int_equal(e->until_ms, now + 15u * MIN_MS);
	assert_true(guard_is_banned(g, &a, now));
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_DROP);
	guard_free(g);
}

/* Packet flood alone also escalates to a ban. R-NET-3 */
static void
test_packet_flood_ban(void **state)
{
	struct guard_config c;
	struct guard_events ev;
	struct guard *g;
	struct cidr_addr a = A("203.0.113.9");
	bool banned = false;

	(void)state;
	config(&c);
	g = make(&c);
	for (unsigned i = 0; i < c.pkt_burst + c.throttle_ban_drops; i++) {
		assert_false(banned);
		if (guard_packet(g, &a, T0, &ev) == GUARD_DROP &&
		    find_ev(&ev, GUARD_EV_BAN) != NULL)
			banned = true;
	}
	assert_true(banned);
	assert_true(guard_is_banned(g, &a, T0));
	guard_free(g);
}

/* 5 failures within 10 minutes ban the source. R-NET-2 */
static void
test_auth_failures_ban(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr a = A("192.0.2.50");
	const struct guard_event *e;
	uint64_t now = T0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_false(guard_auth_failure(g, &a, SV("100"), now, &ev));
		assert_null(find_ev(&ev, GUARD_EV_BAN));
		now += 2 * MIN_MS;
	}
	now += MIN_MS + 59000; /* 9 min 59 s after the first */
	assert_true(guard_auth_failure(g, &a, SV("100"), now, &ev));
	e = find_ev(&ev, GUARD_EV_BAN);
	assert_non_null(e);
	assert_string_equal(e->reason, "authentication failures");
	assert_int_equal(e->count, 5);
	assert_int_equal(e->bans, 1);
	assert_true(sv_eq(e->user, SV("100")));
	assert_int_equal(e->until_ms, now + 15u * MIN_MS);
	assert_true(guard_is_banned(g, &a, now));
	assert_int_equal(guard_packet(g, &a, now, &ev), GUARD_DROP);
	assert_int_equal(ev.n, 0);
	guard_free(g);
}

/* 4 failures, then the window slides: no ban. A success clears. R-NET-2 */
static void
test_auth_window_slides(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr a = A("192.0.2.51"), b = A("192.0.2.52");
	uint64_t now = T0;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_false(guard_auth_failure(
		    g, &a, SV("100"), now + (uint64_t)i * 1000, &ev));
	/* The first failure leaves the window before the fifth. */
	now += 10 * MIN_MS;
	assert_false(guard_auth_failure(g, &a, SV("100"), now, &ev));
	assert_false(guard_is_banned(g, &a, now));
	/* Those at +1..+3 s and now are 4 in the window: one more bans. */
	assert_true(guard_auth_failure(g, &a, SV("100"), now, &ev));
	guard_free(g);

	/* A success in between starts the count again. */
	g = make_default();
	for (int i = 0; i < 4; i++)
		assert_false(guard_auth_failure(g, &b, SV("100"), T0, &ev));
	guard_auth_success(g, &b, SV("100"), T0);
	for (int i = 0; i < 4; i++)
		assert_false(guard_auth_failure(g, &b, SV("100"), T0, &ev));
	assert_true(guard_auth_failure(g, &b, SV("100"), T0, &ev));
	guard_free(g);
}

/* A ban ends on time, with an UNBAN event. R-NET-2 */
static void
test_ban_expiry(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr a = A("192.0.2.60");
	uint64_t until;

	(void)state;
	assert_int_equal(guard_ban(g, &a, 0, NULL, T0, &ev), 0);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.ev[0].kind, GUARD_EV_BAN);
	assert_string_equal(ev.ev[0].reason, "manual");
	until = ev.ev[0].until_ms;
	assert_int_equal(until, T0 + 15u * MIN_MS);
	assert_int_equal(guard_packet(g, &a, until - 1, &ev), GUARD_DROP);
	assert_int_equal(guard_packet(g, &a, until, &ev), GUARD_PASS);
	assert_non_null(find_ev(&ev, GUARD_EV_UNBAN));
	assert_false(guard_is_banned(g, &a, until));
	assert_int_equal(guard_packet(g, &a, until, &ev), GUARD_PASS);
	assert_int_equal(ev.n, 0);
	/* Lifting: only a running ban. */
	assert_int_equal(guard_unban(g, &a, until, &ev), -ENOENT);
	assert_int_equal(guard_ban(g, &a, 5000, "test", until, &ev), 0);
	assert_int_equal(ev.ev[0].until_ms, until + 5000);
	assert_int_equal(guard_unban(g, &a, until, &ev), 0);
	assert_int_equal(ev.ev[0].kind, GUARD_EV_UNBAN);
	assert_int_equal(guard_packet(g, &a, until, &ev), GUARD_PASS);
	guard_free(g);
}

/* Each repeat doubles the ban, up to the cap; unban forgets. R-NET-2 */
static void
test_escalation(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr a = A("192.0.2.70");
	uint64_t now = T0, d = 15u * MIN_MS, week = 7u * 24u * 60u * MIN_MS;

	(void)state;
	for (uint32_t n = 1; n <= 14; n++) {
		for (int i = 0; i < 5; i++)
			guard_auth_failure(g, &a, SV("x"), now, &ev);
		assert_true(guard_is_banned(g, &a, now));
		assert_int_equal(ev.ev[0].bans, n);
		assert_int_equal(ev.ev[0].until_ms - now, d < week ? d : week);
		now = ev.ev[0].until_ms;
		d *= 2;
	}
	/* 15 min << 10 > 1 week: the 11th to 14th bans were capped. */
	assert_true(d > week);
	assert_int_equal(guard_unban(g, &a, now - 1, &ev), 0);
	for (int i = 0; i < 5; i++)
		guard_auth_failure(g, &a, SV("x"), now, &ev);
	assert_int_equal(ev.ev[0].bans, 1);
	assert_int_equal(ev.ev[0].until_ms - now, 15u * MIN_MS);
	guard_free(g);
}

/* Trusted networks are never banned nor throttled. R-NET-2 R-NET-3 */
static void
test_trusted(void **state)
{
	struct guard_config c;
	struct guard_events ev;
	struct cidr_set *lan = NULL;
	struct cidr net;
	struct guard *g;
	struct cidr_addr a = A("10.1.2.3"), m = A("::ffff:10.1.2.4");
	struct guard_request_info scan =
	    req(GUARD_M_REGISTER, "friendly-scanner", "100");

	(void)state;
	assert_int_equal(cidr_set_new(&lan), 0);
	assert_int_equal(cidr_parse(SV("10.0.0.0/8"), &net), 0);
	assert_int_equal(cidr_set_add(lan, &net), 0);
	config(&c);
	c.trusted = lan;
	c.pkt_rate = 1;
	c.pkt_burst = 1;
	c.req_rate = 1;
	c.req_burst = 1;
	c.throttle_ban_drops = 3;
	g = make(&c);
	cidr_set_free(lan); /* copied by guard_new() */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(guard_packet(g, &a, T0, &ev), GUARD_PASS);
		assert_int_equal(guard_packet(g, &m, T0, &ev), GUARD_PASS);
		assert_false(guard_auth_failure(g, &a, SV("100"), T0, &ev));
		assert_null(find_ev(&ev, GUARD_EV_BAN));
		assert_int_equal(guard_request(g, &a,
		                     &(struct guard_request_info){
		                         GUARD_M_OTHER, SV(""), SV("")},
		                     T0, &ev),
		    GUARD_PASS);
		assert_int_equal(guard_conn_open(g, &a, T0), GUARD_PASS);
	}
	/* A scanner User-Agent is reported, not banned. */
	assert_int_equal(guard_request(g, &a, &scan, T0, &ev), GUARD_PASS);
	assert_non_null(find_ev(&ev, GUARD_EV_SCANNER));
	assert_null(find_ev(&ev, GUARD_EV_BAN));
	for (int i = 0; i < 40; i++) {
		char u[16];

		snprintf(u, sizeof(u), "%d", 100 + i);
		assert_int_equal(guard_request(g, &a,
		                     &(struct guard_request_info){
		                         GUARD_M_REGISTER, SV(""), sv_cstr(u)},
		                     T0, &ev),
		    GUARD_PASS);
	}
	assert_int_equal(guard_ban(g, &a, 0, NULL, T0, &ev), -EPERM);
	assert_int_equal(
	    guard_restore_ban(g, &m, T0 + 1000, 1, SV("manual"), T0), -EPERM);
	assert_false(guard_is_banned(g, &a, T0));
	assert_false(guard_is_banned(g, &m, T0));
	assert_int_equal(guard_conn_count(g, &a), 0);
	guard_free(g);
}

/* An account attacked from many sources is flagged; its own device and
 * the attackers' single tries are not banned. R-NET-2 */
static void
test_user_under_attack(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr phone = A("192.0.2.10");
	const struct guard_event *e = NULL;
	int flagged_at = -1;

	(void)state;
	guard_auth_success(g, &phone, SV("alice"), T0);
	for (int i = 0; i < 30; i++) {
		struct cidr_addr bot = v4(0xcb007100u + (uint32_t)i);

		assert_false(guard_auth_failure(
		    g, &bot, SV("alice"), T0 + (uint64_t)i * 1000, &ev));
		if (find_ev(&ev, GUARD_EV_USER_UNDER_ATTACK) != NULL) {
			assert_int_equal(flagged_at, -1);
			flagged_at = i;
			e = find_ev(&ev, GUARD_EV_USER_UNDER_ATTACK);
			assert_true(sv_eq(e->user, SV("alice")));
			assert_int_equal(e->count, 20);
			assert_int_equal(e->sources, 16);
			assert_string_equal(
			    e->reason, "failures from many sources");
		}
		assert_false(guard_is_banned(g, &bot, T0));
	}
	assert_int_equal(flagged_at, 19);
	assert_true(guard_user_under_attack(g, SV("alice"), T0 + 30000));
	assert_false(guard_user_under_attack(g, SV("bob"), T0));
	/* Not locked: the device still passes and authenticates. */
	assert_int_equal(guard_packet(g, &phone, T0 + 31000, &ev), GUARD_PASS);
	assert_int_equal(guard_request(g, &phone,
	                     &(struct guard_request_info){
	                         GUARD_M_REGISTER, SV("Yealink"), SV("alice")},
	                     T0 + 31000, &ev),
	    GUARD_PASS);
	assert_false(guard_is_banned(g, &phone, T0 + 31000));
	/* The flag ends with its window. */
	assert_false(guard_user_under_attack(g, SV("alice"), T0 + 40 * MIN_MS));
	guard_free(g);
}

/* Known scanner User-Agents: banned on first sight. R-NET-4 */
static void
test_scanner_user_agent(void **state)
{
	static const char *const bad[] = {"friendly-scanner",
	    "SIPVicious 0.3.4", "sipcli/v1.8", "sip-scan",
	    "VaxSIPUserAgent/3.1", "PPLSIP", "iWar", "sundayddr", "SIPBomber",
	    "x Friendly-Scanner y"};
	static const char *const good[] = {"Yealink SIP-T46S 66.86.0.15",
	    "Linphone/5.2", "", "Grandstream GXP2170", "friendly-scan"};
	struct guard *g = make_default();
	struct guard_events ev;
	const struct guard_event *e;

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(bad); i++) {
		struct cidr_addr a = v4(0xc6336400u + (uint32_t)i);
		struct guard_request_info r = req(GUARD_M_OPTIONS, bad[i], "");

		assert_true(guard_scanner_user_agent(sv_cstr(bad[i])));
		assert_int_equal(guard_request(g, &a, &r, T0, &ev), GUARD_BAN);
		assert_non_null(find_ev(&ev, GUARD_EV_SCANNER));
		e = find_ev(&ev, GUARD_EV_BAN);
		assert_non_null(e);
		assert_string_equal(e->reason, "scanner user-agent");
		assert_true(guard_is_banned(g, &a, T0));
		assert_int_equal(guard_packet(g, &a, T0 + 1, &ev), GUARD_DROP);
		assert_int_equal(
		    guard_request(g, &a, &r, T0 + 2, &ev), GUARD_DROP);
	}
	for (size_t i = 0; i < RP_ARRAY_LEN(good); i++)
		assert_false(guard_scanner_user_agent(sv_cstr(good[i])));
	guard_free(g);
}

/* A REGISTER sweep over 20 users from one source: ban. R-NET-4 */
static void
test_sweep(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr a = A("198.51.100.20"), b = A("198.51.100.21"),
	                 c = A("198.51.100.22"), d = A("198.51.100.23");
	const struct guard_event *e;
	char u[16];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(u, sizeof(u), "%d", 1000 + i);
		struct guard_request_info r = req(GUARD_M_REGISTER, "x", u);
		enum guard_verdict v =
		    guard_request(g, &a, &r, T0 + (uint64_t)i, &ev);

		assert_int_equal(v, i < 19 ? GUARD_PASS : GUARD_BAN);
		/* The same user again does not count. */
		if (i < 19)
			assert_int_equal(
			    guard_request(g, &a, &r, T0 + (uint64_t)i, &ev),
			    GUARD_PASS);
	}
	e = find_ev(&ev, GUARD_EV_SCANNER);
	assert_non_null(e);
	assert_string_equal(e->reason, "sweep across users");
	assert_int_equal(e->count, 20);
	assert_true(guard_is_banned(g, &a, T0 + 20));

	/* Spread over more than the window: no sweep. */
	for (int i = 0; i < 40; i++) {
		snprintf(u, sizeof(u), "%d", 1000 + i);
		struct guard_request_info r = req(GUARD_M_OPTIONS, "x", u);

		assert_int_equal(
		    guard_request(g, &b, &r, T0 + (uint64_t)i * 4000, &ev),
		    GUARD_PASS);
	}
	/* A site that authenticates (many phones behind one NAT): exempt. */
	guard_auth_success(g, &c, SV("1000"), T0);
	for (int i = 0; i < 40; i++) {
		snprintf(u, sizeof(u), "%d", 1000 + i);
		struct guard_request_info r = req(GUARD_M_REGISTER, "x", u);

		assert_int_equal(
		    guard_request(g, &c, &r, T0 + 1, &ev), GUARD_PASS);
	}
	/* INVITEs to unknown numbers: war dialling. */
	for (int i = 0; i < 20; i++) {
		snprintf(u, sizeof(u), "0033%d", 600000 + i);
		struct guard_request_info r = req(GUARD_M_INVITE, "x", u);

		assert_int_equal(guard_request(g, &d, &r, T0, &ev),
		    i < 19 ? GUARD_PASS : GUARD_BAN);
	}
	assert_string_equal(
	    find_ev(&ev, GUARD_EV_SCANNER)->reason, "calls to unknown numbers");
	guard_free(g);
}

struct saved {
	size_t n;
	struct guard_ban_info bans[16];
};

static void
save_ban(void *ctx, const struct guard_ban_info *b)
{
	struct saved *s = ctx;

	assert_true(s->n < 16);
	s->bans[s->n++] = *b;
}

/* Bans are listed for the store and restored at start. R-NET-2 */
static void
test_persist_restore(void **state)
{
	struct guard *g = make_default(), *g2;
	struct guard_events ev;
	struct cidr_addr a = A("192.0.2.80"), b = A("2001:db8::80"),
	                 c = A("192.0.2.81");
	struct saved s = {0};
	struct guard_request_info scan = req(GUARD_M_OPTIONS, "sipvicious", "");

	(void)state;
	for (int i = 0; i < 5; i++)
		guard_auth_failure(g, &a, SV("100"), T0, &ev);
	assert_int_equal(guard_request(g, &b, &scan, T0, &ev), GUARD_BAN);
	assert_int_equal(guard_ban(g, &c, 1000, NULL, T0, &ev), 0);
	guard_foreach_ban(g, T0 + 2000, save_ban, &s);
	assert_int_equal(s.n, 2);
	guard_free(g);

	g2 = make_default();
	for (size_t i = 0; i < s.n; i++) {
		assert_int_equal(
		    guard_restore_ban(g2, &s.bans[i].addr, s.bans[i].until_ms,
		        s.bans[i].count, sv_cstr(s.bans[i].reason), T0 + 5000),
		    0);
	}
	assert_true(guard_is_banned(g2, &a, T0 + 5000));
	assert_true(guard_is_banned(g2, &b, T0 + 5000));
	assert_false(guard_is_banned(g2, &c, T0 + 5000));
	assert_int_equal(guard_packet(g2, &a, T0 + 5000, &ev), GUARD_DROP);
	memset(&s, 0, sizeof(s));
	guard_foreach_ban(g2, T0 + 5000, save_ban, &s);
	assert_int_equal(s.n, 2);
	for (size_t i = 0; i < s.n; i++) {
		if (cidr_addr_eq(&s.bans[i].addr, &a))
			assert_string_equal(
			    s.bans[i].reason, "authentication failures");
		else
			assert_string_equal(
			    s.bans[i].reason, "scanner user-agent");
		assert_int_equal(s.bans[i].until_ms, T0 + 15u * MIN_MS);
	}
	/* The repeat count survives: the next ban is twice as long. */
	assert_int_equal(guard_unban(g2, &a, T0 + 5000, &ev), 0);
	assert_int_equal(guard_restore_ban(g2, &a, T0 + 10000, 3,
	                     SV("text from an old version"), T0 + 5000),
	    0);
	memset(&s, 0, sizeof(s));
	guard_foreach_ban(g2, T0 + 5000, save_ban, &s);
	assert_int_equal(s.n, 2);
	for (int i = 0; i < 5; i++)
		guard_auth_failure(g2, &a, SV("100"), T0 + 20000, &ev);
	assert_int_equal(find_ev(&ev, GUARD_EV_BAN)->bans, 4);
	assert_int_equal(
	    find_ev(&ev, GUARD_EV_BAN)->until_ms, T0 + 20000 + 120u * MIN_MS);
	/* Over, or bad count: refused. */
	assert_int_equal(
	    guard_restore_ban(g2, &c, T0, 1, SV("manual"), T0 + 1), -ETIME);
	assert_int_equal(
	    guard_restore_ban(g2, &c, T0 + 9000, 0, SV("manual"), T0), -EINVAL);
	assert_false(guard_is_banned(g2, &c, T0));
	guard_free(g2);
}

/* guard_expire() ends bans round the table within its budget. */
static void
test_expire(void **state)
{
	struct guard *g = make_default();
	struct saved s = {0};
	struct guard_stats st;
	unsigned ended = 0;

	(void)state;
	for (uint32_t i = 0; i < 10; i++) {
		struct cidr_addr a = v4(0xc0000200u + i);

		assert_int_equal(
		    guard_ban(g, &a, 1000 + i * 1000, NULL, T0, NULL), 0);
	}
	guard_stats(g, T0, &st);
	assert_int_equal(st.banned, 10);
	assert_int_equal(st.capacity, 1024);
	assert_int_equal(guard_expire(g, T0 + 5000, 1024, save_ban, &s), 5);
	assert_int_equal(s.n, 5);
	for (int i = 0; i < 4; i++)
		ended += guard_expire(g, T0 + 20000, 256, save_ban, &s);
	assert_int_equal(ended, 5);
	guard_stats(g, T0, &st);
	assert_int_equal(st.banned, 0);
	assert_int_equal(st.sources, 10);
	guard_free(g);
}

/* 1,000,000 spoofed sources: the table stays at its size and keeps the
 * bans. R-NET-3 */
static void
test_table_bound(void **state)
{
	struct guard_config c;
	struct guard_events ev;
	struct guard_stats st;
	struct guard *g;
	struct cidr_addr banned[100];

	(void)state;
	config(&c);
	c.max_sources = 4096;
	g = make(&c);
	for (uint32_t i = 0; i < 100; i++) {
		banned[i] = v4(0xcb000000u + i * 7919u);
		assert_int_equal(guard_ban(g, &banned[i], 0, NULL, T0, &ev), 0);
	}
	for (uint32_t i = 0; i < 1000000; i++) {
		struct cidr_addr a = v4(0x0a000000u ^ (i * 2654435761u));

		if (i % 2 == 1) {
			a.family = AF_INET6;
			a.bytes[0] = 0x20;
			a.bytes[15] = (uint8_t)i;
		}
		assert_int_equal(
		    guard_packet(g, &a, T0 + i / 1000, NULL), GUARD_PASS);
	}
	guard_stats(g, T0 + 1000, &st);
	assert_int_equal(st.capacity, 4096);
	assert_true(st.sources <= 4096);
	assert_int_equal(st.banned, 100);
	assert_true(st.evicted >= 1000000 - 4096 - 1000);
	assert_int_equal(st.untracked, 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(
		    guard_packet(g, &banned[i], T0 + 1000, &ev), GUARD_DROP);
	guard_free(g);
}

/* Sets full of bans: new sources pass untracked; explicit bans still
 * take a slot (the ban that ends first gives way). */
static void
test_table_full_of_bans(void **state)
{
	struct guard_config c;
	struct guard_stats st;
	struct guard *g;
	struct guard_events ev;
	struct guard_request_info scan = req(GUARD_M_OPTIONS, "sipcli", "");

	(void)state;
	config(&c);
	c.max_sources = 64;
	g = make(&c);
	for (uint32_t i = 0; i < 1000; i++) {
		struct cidr_addr a = v4(0xcb000000u + i);

		assert_int_equal(
		    guard_ban(g, &a, 60000 + i, NULL, T0, NULL), 0);
	}
	guard_stats(g, T0, &st);
	assert_int_equal(st.banned, 64);
	assert_int_equal(st.sources, 64);
	for (uint32_t i = 0; i < 100; i++) {
		struct cidr_addr a = v4(0x0a000000u + i);

		assert_int_equal(guard_packet(g, &a, T0, NULL), GUARD_PASS);
	}
	guard_stats(g, T0, &st);
	assert_int_equal(st.untracked, 100);
	{
		struct cidr_addr a = v4(0x0b000001u);

		assert_int_equal(
		    guard_request(g, &a, &scan, T0, &ev), GUARD_BAN);
		assert_true(guard_is_banned(g, &a, T0));
	}
	guard_free(g);
}

/* Connections per source are limited and counted back. R-NET-3 */
static void
test_connections(void **state)
{
	struct guard_config c;
	struct guard *g;
	struct cidr_addr a = A("198.51.100.30"), b = A("2001:db8::30");

	(void)state;
	config(&c);
	c.max_conns_per_src = 3;
	g = make(&c);
	for (int i = 0; i < 3; i++)
		assert_int_equal(guard_conn_open(g, &a, T0), GUARD_PASS);
	assert_int_equal(guard_conn_open(g, &a, T0), GUARD_DROP);
	assert_int_equal(guard_conn_open(g, &b, T0), GUARD_PASS);
	assert_int_equal(guard_conn_count(g, &a), 3);
	guard_conn_close(g, &a);
	assert_int_equal(guard_conn_open(g, &a, T0), GUARD_PASS);
	for (int i = 0; i < 10; i++)
		guard_conn_close(g, &a);
	assert_int_equal(guard_conn_count(g, &a), 0);
	guard_conn_close(g, &(struct cidr_addr){AF_INET, {1, 2, 3, 4}});
	/* A banned source cannot connect. */
	assert_int_equal(guard_ban(g, &a, 0, NULL, T0, NULL), 0);
	assert_int_equal(guard_conn_open(g, &a, T0), GUARD_DROP);
	guard_free(g);
}

/* IPv6 sources, and IPv4-mapped IPv6 as the IPv4 address. R-NET-2 */
static void
test_ipv6(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_addr v6 = A("2001:db8::1"), v6b = A("2001:db8::2"),
	                 v4a = A("192.0.2.99"), mapped;
	struct sockaddr_storage ss;

	(void)state;
	for (int i = 0; i < 5; i++)
		guard_auth_failure(g, &v6, SV("100"), T0, &ev);
	assert_true(guard_is_banned(g, &v6, T0));
	assert_false(guard_is_banned(g, &v6b, T0));
	assert_int_equal(guard_packet(g, &v6, T0, &ev), GUARD_DROP);
	assert_int_equal(guard_packet(g, &v6b, T0, &ev), GUARD_PASS);
	/* Failures through both socket families add up. */
	for (int i = 0; i < 2; i++)
		guard_auth_failure(g, &v4a, SV("100"), T0, &ev);
	{
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		uint8_t b[16] = {
		    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 99};

		memset(&ss, 0, sizeof(ss));
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, b, 16);
	}
	assert_int_equal(cidr_addr_from_sockaddr(&ss, &mapped), 0);
	for (int i = 0; i < 3; i++)
		guard_auth_failure(g, &mapped, SV("100"), T0, &ev);
	assert_true(guard_is_banned(g, &v4a, T0));
	assert_int_equal(guard_packet(g, &v4a, T0, &ev), GUARD_DROP);
	guard_free(g);
}

/* The blocklist drops its sources, is replaced on reload, and never
 * hits trusted ones. R-NET-2 */
static void
test_blocklist(void **state)
{
	struct guard_config c;
	struct cidr_set *list = NULL, *lan = NULL;
	struct guard *g;
	struct cidr_addr a = A("203.0.113.7"), b = A("203.0.114.1"),
	                 l = A("10.0.0.7");

	(void)state;
	assert_int_equal(cidr_set_new(&lan), 0);
	assert_int_equal(
	    cidr_set_add_lines(lan, SV("10.0.0.0/8"), NULL, NULL, NULL, NULL),
	    0);
	config(&c);
	c.trusted = lan;
	g = make(&c);
	assert_int_equal(guard_packet(g, &a, T0, NULL), GUARD_PASS);
	assert_int_equal(cidr_set_new(&list), 0);
	assert_int_equal(
	    cidr_set_add_lines(list, SV("203.0.113.0/24\n10.0.0.0/8\n"), NULL,
	        NULL, NULL, NULL),
	    0);
	guard_set_blocklist(g, list);
	assert_int_equal(guard_packet(g, &a, T0, NULL), GUARD_DROP);
	assert_int_equal(guard_conn_open(g, &a, T0), GUARD_DROP);
	assert_int_equal(guard_packet(g, &b, T0, NULL), GUARD_PASS);
	assert_int_equal(guard_packet(g, &l, T0, NULL), GUARD_PASS);
	/* Reload with another list. */
	assert_int_equal(cidr_set_new(&list), 0);
	assert_int_equal(cidr_set_add_lines(list, SV("203.0.114.0/24"), NULL,
	                     NULL, NULL, NULL),
	    0);
	guard_set_blocklist(g, list);
	assert_int_equal(guard_packet(g, &a, T0, NULL), GUARD_PASS);
	assert_int_equal(guard_packet(g, &b, T0, NULL), GUARD_DROP);
	guard_set_blocklist(g, NULL);
	assert_int_equal(guard_packet(g, &b, T0, NULL), GUARD_PASS);
	guard_free(g);
	cidr_set_free(lan);
}

/* Access lists: refusal is an event and counts as a failure. R-NET-1 */
static void
test_acl(void **state)
{
	struct guard *g = make_default();
	struct guard_events ev;
	struct cidr_set *allow = NULL;
	struct cidr_addr lan = A("192.168.1.20"), wan = A("198.51.100.40");
	const struct guard_event *e;

	(void)state;
	assert_int_equal(cidr_set_new(&allow), 0);
	assert_int_equal(cidr_set_add_lines(allow, SV("192.168.1.0/24"), NULL,
	                     NULL, NULL, NULL),
	    0);
	assert_true(guard_acl_check(g, NULL, &wan, SV("100"), T0, &ev));
	assert_true(guard_acl_check(g, allow, &lan, SV("100"), T0, &ev));
	assert_int_equal(ev.n, 0);
	for (int i = 0; i < 4; i++) {
		assert_false(
		    guard_acl_check(g, allow, &wan, SV("100"), T0, &ev));
		e = find_ev(&ev, GUARD_EV_ACL_REFUSED);
		assert_non_null(e);
		assert_true(sv_eq(e->user, SV("100")));
		assert_true(cidr_addr_eq(&e->addr, &wan));
	}
	assert_false(guard_acl_check(g, allow, &wan, SV("100"), T0, &ev));
	assert_non_null(find_ev(&ev, GUARD_EV_BAN));
	assert_true(guard_is_banned(g, &wan, T0));
	cidr_set_free(allow);
	/* An empty list allows nobody. */
	assert_int_equal(cidr_set_new(&allow), 0);
	assert_false(guard_acl_check(g, allow, &lan, SV("trunk1"), T0, &ev));
	cidr_set_free(allow);
	guard_free(g);
}

/* With reject_403, banned sources get 403s, bounded by their bucket. */
static void
test_reject_403(void **state)
{
	struct guard_config c;
	struct guard *g;
	struct cidr_addr a = A("198.51.100.50");
	int rejects = 0;

	(void)state;
	config(&c);
	c.reject_403 = true;
	c.pkt_rate = 5;
	c.pkt_burst = 5;
	g = make(&c);
	assert_int_equal(guard_ban(g, &a, 0, NULL, T0, NULL), 0);
	for (int i = 0; i < 100; i++) {
		enum guard_verdict v = guard_packet(g, &a, T0, NULL);

		assert_true(v == GUARD_REJECT || v == GUARD_DROP);
		rejects += v == GUARD_REJECT;
	}
	assert_int_equal(rejects, 5);
	guard_free(g);
}

/* Bad settings and allocation failures. */
static void
test_new_errors(void **state)
{
	struct guard_config c;
	struct cidr_set *lan = NULL;
	struct guard *g = NULL;
	int rc;

	(void)state;
	config(&c);
	c.auth_fail_threshold = 0;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	config(&c);
	c.auth_fail_threshold = GUARD_AUTH_THRESHOLD_MAX + 1;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	config(&c);
	c.sweep_threshold = GUARD_SWEEP_THRESHOLD_MAX + 1;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	config(&c);
	c.max_sources = 10;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	config(&c);
	c.pkt_burst = 0;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	config(&c);
	c.ban_max_ms = c.ban_base_ms - 1;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	config(&c);
	c.auth_window_ms = 999;
	assert_int_equal(guard_new(&g, &c), -EINVAL);
	assert_null(g);

	/* Random hash key when none is given. */
	guard_config_defaults(&c);
	c.max_sources = 64;
	assert_int_equal(guard_new(&g, &c), 0);
	guard_free(g);
	guard_free(NULL);

	assert_int_equal(cidr_set_new(&lan), 0);
	assert_int_equal(cidr_set_add_lines(lan, SV("10.0.0.0/8\n::1"), NULL,
	                     NULL, NULL, NULL),
	    0);
	config(&c);
	c.trusted = lan;
	for (unsigned long n = 1;; n++) {
		g = NULL;
		mem_fail_nth(n);
		rc = guard_new(&g, &c);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_null(g);
	}
	assert_true(g != NULL);
	guard_free(g);
	cidr_set_free(lan);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packet_bucket),
	    cmocka_unit_test(test_request_bucket_and_flood_ban),
	    cmocka_unit_test(test_packet_flood_ban),
	    cmocka_unit_test(test_auth_failures_ban),
	    cmocka_unit_test(test_auth_window_slides),
	    cmocka_unit_test(test_ban_expiry),
	    cmocka_unit_test(test_escalation),
	    cmocka_unit_test(test_trusted),
	    cmocka_unit_test(test_user_under_attack),
	    cmocka_unit_test(test_scanner_user_agent),
	    cmocka_unit_test(test_sweep),
	    cmocka_unit_test(test_persist_restore),
	    cmocka_unit_test(test_expire),
	    cmocka_unit_test(test_table_bound),
	    cmocka_unit_test(test_table_full_of_bans),
	    cmocka_unit_test(test_connections),
	    cmocka_unit_test(test_ipv6),
	    cmocka_unit_test(test_blocklist),
	    cmocka_unit_test(test_acl),
	    cmocka_unit_test(test_reject_403),
	    cmocka_unit_test(test_new_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
