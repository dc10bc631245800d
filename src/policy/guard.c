/* The perimeter guard. */
#include "policy/guard.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/mem.h"

/* Entries per set of the source table, and of the user table. */
#define WAYS 8u
#define USER_WAYS 4u
/* Distinct sources remembered per user, for the event. */
#define USER_SOURCES_MAX 16u
/* Token buckets count thousandths of a token, so that a rate in tokens
 * per second adds exactly 'rate' of them per millisecond. */
#define MILLI 1000u
#define RATE_MAX 10000000u
#define BURST_MAX 1000000u

enum {
	SRC_TRUSTED = 1u << 0,
	SRC_BLOCKED = 1u << 1,
};

/* Reasons: static text for the security log, also used to map a
 * persisted reason back (guard_restore_ban). */
static const char reason_auth[] = "authentication failures";
static const char reason_flood[] = "flood";
static const char reason_ua[] = "scanner user-agent";
static const char reason_sweep[] = "sweep across users";
static const char reason_wardial[] = "calls to unknown numbers";
static const char reason_manual[] = "manual";
static const char reason_acl[] = "source outside the allow list";
static const char reason_packets[] = "packet rate";
static const char reason_requests[] = "request rate";
static const char reason_user[] = "failures from many sources";
static const char reason_restored[] = "restored";
static const char reason_lifted[] = "lifted";

static const char *const known_reasons[] = {reason_auth, reason_flood,
    reason_ua, reason_sweep, reason_wardial, reason_manual, reason_acl,
    reason_restored};

/* Lower case; matched as substrings of the lower-cased User-Agent. */
static const char *const scanner_agents[] = {
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "sipscan",
    "vaxsipuseragent",
    "pplsip",
    "iwar",
    "sundayddr",
    "sipbomber",
    "siparmyknife",
    "voipsniff",
};

struct src {
	struct cidr_addr addr;
	uint8_t flags;
	uint8_t nfail;     /* failures in fail_s */
	uint8_t fail_head; /* oldest of them when full */
	uint8_t nsweep;    /* users in sweep */
	uint16_t conns;
	uint32_t blk_gen; /* blocklist generation SRC_BLOCKED was found for */
	uint32_t bans;
	uint32_t drops;   /* over a bucket, since drop_start_ms */
	uint32_t pkt_tok; /* thousandths of a token */
	uint32_t req_tok;
	uint64_t until_ms; /* banned until; 0: not banned */
	const char *reason;
	uint64_t seen_ms;
	uint64_t pkt_ms; /* last bucket refills */
	uint64_t req_ms;
	uint64_t drop_start_ms;
	uint64_t auth_ok_until_ms;
	uint64_t sweep_start_ms;
	uint32_t fail_s[GUARD_AUTH_THRESHOLD_MAX]; /* seconds */
	uint16_t sweep[GUARD_SWEEP_THRESHOLD_MAX]; /* user hashes */
};

struct user {
	uint64_t key; /* 0: empty */
	uint64_t start_ms;
	uint64_t flagged_until_ms;
	uint32_t fails;
	uint32_t nsrc;
	uint16_t srcs[USER_SOURCES_MAX];
};

struct guard {
	struct guard_config cfg;
	struct cidr_set *trusted;
	struct cidr_set *block;
	uint32_t blk_gen;
	uint64_t key[2];
	size_t set_mask;
	size_t cap;
	uint32_t *tags; /* 0: empty slot */
	struct src *srcs;
	struct user *users;
	size_t user_set_mask;
	size_t used;
	size_t cursor;
	uint64_t untracked;
	uint64_t evicted;
	uint32_t pkt_burst_milli;
	uint32_t req_burst_milli;
};

void
guard_config_defaults(struct guard_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_sources = 65536;
	cfg->max_users = 4096;
	cfg->pkt_rate = 200;
	cfg->pkt_burst = 400;
	cfg->req_rate = 50;
	cfg->req_burst = 100;
	cfg->throttle_ban_drops = 2000;
	cfg->throttle_window_ms = 60000;
	cfg->auth_fail_threshold = 5;
	cfg->auth_window_ms = 600000;
	cfg->ban_base_ms = 15u * 60u * 1000u;
	cfg->ban_max_ms = 7u * 24u * 3600u * 1000u;
	cfg->user_fail_threshold = 20;
	cfg->sweep_threshold = 20;
	cfg->sweep_window_ms = 60000;
	cfg->max_conns_per_src = 32;
	cfg->reject_403 = false;
	cfg->scanner_user_agents = true;
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93u;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93u;
	x ^= x >> 32;
	return x;
}

/* A keyed hash: the key is random, so a peer cannot choose addresses
 * that fall into one set. */
static uint64_t
addr_hash(const struct guard *g, const struct cidr_addr *a)
{
	uint64_t w0, w1;

	memcpy(&w0, a->bytes, 8);
	memcpy(&w1, a->bytes + 8, 8);
	return mix64(mix64(w0 ^ g->key[0]) ^ w1 ^ g->key[1] ^ a->family);
}

static uint64_t
name_hash(const struct guard *g, struct sv s)
{
	uint64_t h = g->key[1] ^ 0xcbf29ce484222325u;

	for (size_t i = 0; i < s.len; i++) {
		h ^= (uint8_t)s.p[i];
		h *= 0x100000001b3u;
	}
	return mix64(h ^ s.len);
}

static void
ev_clear(struct guard_events *ev)
{
	if (ev != NULL)
		ev->n = 0;
}

static struct guard_event *
ev_push(struct guard_events *ev, enum guard_event_kind kind, const char *reason,
    const struct cidr_addr *addr)
{
	struct guard_event *e;

	if (ev == NULL || ev->n >= GUARD_EVENTS_MAX)
		return NULL;
	e = &ev->ev[ev->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->reason = reason;
	if (addr != NULL)
		e->addr = *addr;
	e->user = sv_make("", 0);
	return e;
}

static struct src *
src_find(const struct guard *g, const struct cidr_addr *a, uint64_t h)
{
	size_t base = (size_t)(h & g->set_mask) * WAYS;
	uint32_t tag = (uint32_t)(h >> 32) | 1u;

	for (size_t i = base; i < base + WAYS; i++) {
		if (g->tags[i] == tag && cidr_addr_eq(&g->srcs[i].addr, a))
			return &g->srcs[i];
	}
	return NULL;
}

static bool
is_banned(const struct src *s, uint64_t now_ms)
{
	return s->until_ms != 0 && now_ms < s->until_ms;
}

/* Picks the slot for a new source in its set: an empty one; else the
 * least recently seen entry that is not banned, preferring those without
 * connections; else, when 'force', the ban that ends first. */
static size_t
pick_slot(const struct guard *g, size_t base, uint64_t now_ms, bool force)
{
	size_t best = SIZE_MAX, best_conn = SIZE_MAX, best_ban = SIZE_MAX;

	for (size_t i = base; i < base + WAYS; i++) {
		const struct src *s = &g->srcs[i];

		if (g->tags[i] == 0)
			return i;
		if (is_banned(s, now_ms)) {
			if (best_ban == SIZE_MAX ||
			    s->until_ms < g->srcs[best_ban].until_ms)
				best_ban = i;
		} else if (s->conns == 0) {
			if (best == SIZE_MAX ||
			    s->seen_ms < g->srcs[best].seen_ms)
				best = i;
		} else if (best_conn == SIZE_MAX ||
		           s->seen_ms < g->srcs[best_conn].seen_ms) {
			best_conn = i;
		}
	}
	if (best != SIZE_MAX)
		return best;
	if (best_conn != SIZE_MAX)
		return best_conn;
	return force ? best_ban : SIZE_MAX;
}

static struct src *
src_add(struct guard *g, const struct cidr_addr *a, uint64_t h, uint64_t now_ms,
    bool force)
{
	size_t base = (size_t)(h & g->set_mask) * WAYS, i;
	struct src *s;

	i = pick_slot(g, base, now_ms, force);
	if (i == SIZE_MAX) {
		g->untracked++;
		return NULL;
	}
	if (g->tags[i] == 0)
		g->used++;
	else
		g->evicted++;
	g->tags[i] = (uint32_t)(h >> 32) | 1u;
	s = &g->srcs[i];
	memset(s, 0, sizeof(*s));
	s->addr = *a;
	if (cidr_set_contains(g->trusted, a))
		s->flags |= SRC_TRUSTED;
	if (cidr_set_contains(g->block, a))
		s->flags |= SRC_BLOCKED;
	s->blk_gen = g->blk_gen;
	s->pkt_tok = g->pkt_burst_milli;
	s->req_tok = g->req_burst_milli;
	s->pkt_ms = s->req_ms = s->seen_ms = now_ms;
	return s;
}

static struct src *
src_get(struct guard *g, const struct cidr_addr *a, uint64_t now_ms, bool force)
{
	uint64_t h = addr_hash(g, a);
	struct src *s = src_find(g, a, h);

	return s != NULL ? s : src_add(g, a, h, now_ms, force);
}

static bool
bucket_take(uint32_t *tok, uint64_t *last_ms, uint32_t rate,
    uint32_t burst_milli, uint64_t now_ms)
{
	if (now_ms > *last_ms) {
		uint64_t elapsed = now_ms - *last_ms;
		uint64_t t = burst_milli;

		/* rate >= 1: past burst_milli ms the bucket is full anyway,
		 * and the product cannot overflow below that. */
		if (elapsed < burst_milli) {
			t = *tok + elapsed * rate;
			if (t > burst_milli)
				t = burst_milli;
		}
		*tok = (uint32_t)t;
		*last_ms = now_ms;
	}
	if (*tok < MILLI)
		return false;
	*tok -= MILLI;
	return true;
}

static uint64_t
ban_duration(const struct guard *g, uint32_t bans)
{
	uint64_t d = g->cfg.ban_base_ms;

	for (uint32_t i = 1; i < bans && d < g->cfg.ban_max_ms; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	return d < g->cfg.ban_max_ms ? d : g->cfg.ban_max_ms;
}

static void
src_ban(struct guard *g, struct src *s, uint64_t duration_ms,
    const char *reason, uint32_t count, uint64_t now_ms,
    struct guard_events *ev)
{
	struct guard_event *e;

	if (s->bans < UINT32_MAX)
		s->bans++;
	if (duration_ms == 0)
		duration_ms = ban_duration(g, s->bans);
	s->until_ms = duration_ms > UINT64_MAX - now_ms ? UINT64_MAX
	                                                : now_ms + duration_ms;
	s->reason = reason;
	s->nfail = s->fail_head = 0;
	s->nsweep = 0;
	s->drops = 0;
	e = ev_push(ev, GUARD_EV_BAN, reason, &s->addr);
	if (e != NULL) {
		e->count = count;
		e->bans = s->bans;
		e->until_ms = s->until_ms;
	}
}

/* A ban found over: the entry is a plain source again (it keeps its
 * repeat count). */
static void
ban_over(struct src *s, struct guard_events *ev)
{
	struct guard_event *e =
	    ev_push(ev, GUARD_EV_UNBAN, s->reason, &s->addr);

	if (e != NULL)
		e->bans = s->bans;
	s->until_ms = 0;
}

static enum guard_verdict
banned_verdict(struct guard *g, struct src *s, uint64_t now_ms)
{
	if (!g->cfg.reject_403)
		return GUARD_DROP;
	/* 403s are answers: the packet bucket bounds them, so a banned
	 * flood is not reflected. */
	if (g->cfg.pkt_rate != 0 &&
	    !bucket_take(&s->pkt_tok, &s->pkt_ms, g->cfg.pkt_rate,
	        g->pkt_burst_milli, now_ms))
		return GUARD_DROP;
	return GUARD_REJECT;
}

static bool
src_blocked(const struct guard *g, struct src *s)
{
	if (s->blk_gen != g->blk_gen) {
		s->blk_gen = g->blk_gen;
		if (cidr_set_contains(g->block, &s->addr))
			s->flags |= SRC_BLOCKED;
		else
			s->flags &= (uint8_t)~SRC_BLOCKED;
	}
	return (s->flags & SRC_BLOCKED) != 0;
}

/* A packet or request over its bucket. Returns true if that banned the
 * source. */
static bool
over_limit(struct guard *g, struct src *s, const char *reason, uint64_t now_ms,
    struct guard_events *ev)
{
	if (s->drops == 0 || now_ms < s->drop_start_ms ||
	    now_ms - s->drop_start_ms >= g->cfg.throttle_window_ms) {
		s->drops = 0;
		s->drop_start_ms = now_ms;
	}
	if (s->drops < UINT32_MAX)
		s->drops++;
	if (s->drops == 1) {
		struct guard_event *e =
		    ev_push(ev, GUARD_EV_THROTTLE, reason, &s->addr);

		if (e != NULL)
			e->count = 1;
	}
	if (g->cfg.throttle_ban_drops != 0 &&
	    s->drops >= g->cfg.throttle_ban_drops) {
		src_ban(g, s, 0, reason_flood, s->drops, now_ms, ev);
		return true;
	}
	return false;
}

/* The entry of a source for a check, after the ban state: NULL with
 * *verdict set when the caller must stop. */
static struct src *
src_enter(struct guard *g, const struct cidr_addr *a, uint64_t now_ms,
    struct guard_events *ev, enum guard_verdict *verdict)
{
	uint64_t h = addr_hash(g, a);
	struct src *s = src_find(g, a, h);

	*verdict = GUARD_PASS;
	if (s == NULL)
		return src_add(g, a, h, now_ms, false);
	if (s->until_ms != 0) {
		if (now_ms < s->until_ms) {
			*verdict = banned_verdict(g, s, now_ms);
			return NULL;
		}
		ban_over(s, ev);
	}
	return s;
}

enum guard_verdict
guard_packet(struct guard *g, const struct cidr_addr *addr, uint64_t now_ms,
    struct guard_events *ev)
{
	enum guard_verdict v;
	struct src *s;

	ev_clear(ev);
	s = src_enter(g, addr, now_ms, ev, &v);
	if (s == NULL)
		return v;
	s->seen_ms = now_ms;
	if ((s->flags & SRC_TRUSTED) != 0)
		return GUARD_PASS;
	if (src_blocked(g, s))
		return GUARD_DROP;
	if (g->cfg.pkt_rate == 0 ||
	    bucket_take(&s->pkt_tok, &s->pkt_ms, g->cfg.pkt_rate,
	        g->pkt_burst_milli, now_ms))
		return GUARD_PASS;
	over_limit(g, s, reason_packets, now_ms, ev);
	return GUARD_DROP;
}

bool
guard_scanner_user_agent(struct sv user_agent)
{
	char low[GUARD_UA_SCAN_MAX];
	size_t n = user_agent.len < sizeof(low) ? user_agent.len : sizeof(low);

	for (size_t i = 0; i < n; i++)
		low[i] = sv_lower_char(user_agent.p[i]);
	for (size_t i = 0; i < RP_ARRAY_LEN(scanner_agents); i++) {
		size_t plen = strlen(scanner_agents[i]);

		if (plen <= n &&
		    memmem(low, n, scanner_agents[i], plen) != NULL)
			return true;
	}
	return false;
}

/* Adds a target user to the source's sweep; true when that makes a
 * sweep. */
static bool
sweep_add(struct guard *g, struct src *s, struct sv target, uint64_t now_ms)
{
	uint16_t h = (uint16_t)name_hash(g, target);

	if (s->nsweep == 0 || now_ms < s->sweep_start_ms ||
	    now_ms - s->sweep_start_ms >= g->cfg.sweep_window_ms) {
		s->nsweep = 0;
		s->sweep_start_ms = now_ms;
	}
	for (unsigned i = 0; i < s->nsweep; i++) {
		if (s->sweep[i] == h)
			return false;
	}
	s->sweep[s->nsweep++] = h;
	return s->nsweep >= g->cfg.sweep_threshold;
}

enum guard_verdict
guard_request(struct guard *g, const struct cidr_addr *addr,
    const struct guard_request_info *req, uint64_t now_ms,
    struct guard_events *ev)
{
	bool scanner = g->cfg.scanner_user_agents &&
	               guard_scanner_user_agent(req->user_agent);
	const char *why;
	enum guard_verdict v;
	struct src *s;

	ev_clear(ev);
	s = src_enter(g, addr, now_ms, ev, &v);
	if (s == NULL && v != GUARD_PASS)
		return v;
	if (s == NULL) {
		/* Untracked (its set is all bans): only a scanner earns an
		 * entry, by replacing the ban that ends first. */
		if (!scanner || cidr_set_contains(g->trusted, addr))
			return GUARD_PASS;
		s = src_get(g, addr, now_ms, true);
	}
	s->seen_ms = now_ms;
	if (scanner) {
		ev_push(ev, GUARD_EV_SCANNER, reason_ua, addr);
		if ((s->flags & SRC_TRUSTED) != 0)
			return GUARD_PASS;
		src_ban(g, s, 0, reason_ua, 1, now_ms, ev);
		return GUARD_BAN;
	}
	if ((s->flags & SRC_TRUSTED) != 0)
		return GUARD_PASS;
	if (src_blocked(g, s))
		return GUARD_DROP;
	if (g->cfg.req_rate != 0 &&
	    !bucket_take(&s->req_tok, &s->req_ms, g->cfg.req_rate,
	        g->req_burst_milli, now_ms))
		return over_limit(g, s, reason_requests, now_ms, ev)
		           ? GUARD_BAN
		           : GUARD_THROTTLE;
	if (g->cfg.sweep_threshold == 0 || req->target.len == 0 ||
	    req->method == GUARD_M_OTHER || now_ms < s->auth_ok_until_ms)
		return GUARD_PASS;
	if (!sweep_add(g, s, req->target, now_ms))
		return GUARD_PASS;
	why = req->method == GUARD_M_INVITE ? reason_wardial : reason_sweep;
	{
		struct guard_event *e =
		    ev_push(ev, GUARD_EV_SCANNER, why, addr);

		if (e != NULL)
			e->count = s->nsweep;
	}
	src_ban(g, s, 0, why, s->nsweep, now_ms, ev);
	return GUARD_BAN;
}

/* True if 'a' should be replaced before 'b'. */
static bool
user_before(const struct user *a, const struct user *b, uint64_t now_ms)
{
	bool fa = now_ms < a->flagged_until_ms,
	     fb = now_ms < b->flagged_until_ms;

	if (fa != fb)
		return !fa;
	return a->start_ms < b->start_ms;
}

static struct user *
user_slot(const struct guard *g, uint64_t key, uint64_t now_ms, bool create)
{
	size_t base;
	struct user *best = NULL;

	if (g->users == NULL)
		return NULL;
	base = (size_t)(key & g->user_set_mask) * USER_WAYS;
	for (size_t i = base; i < base + USER_WAYS; i++) {
		if (g->users[i].key == key)
			return &g->users[i];
	}
	if (!create)
		return NULL;
	/* Empty first, then the oldest not flagged, then the oldest. */
	for (size_t i = base; i < base + USER_WAYS; i++) {
		struct user *u = &g->users[i];

		if (u->key == 0)
			return u;
		if (best == NULL || user_before(u, best, now_ms))
			best = u;
	}
	return best;
}

static void
user_failure(struct guard *g, const struct cidr_addr *addr, struct sv user,
    uint64_t now_ms, struct guard_events *ev)
{
	uint64_t key;
	uint16_t sh;
	struct user *u;

	if (g->users == NULL || user.len == 0)
		return;
	key = name_hash(g, user) | 1u;
	u = user_slot(g, key, now_ms, true);
	if (u->key != key) {
		memset(u, 0, sizeof(*u));
		u->key = key;
		u->start_ms = now_ms;
	}
	if (now_ms < u->start_ms ||
	    now_ms - u->start_ms >= g->cfg.auth_window_ms) {
		u->fails = 0;
		u->nsrc = 0;
		u->start_ms = now_ms;
	}
	if (u->fails < UINT32_MAX)
		u->fails++;
	sh = (uint16_t)addr_hash(g, addr);
	{
		unsigned i;

		for (i = 0; i < u->nsrc && u->srcs[i] != sh; i++)
			;
		if (i == u->nsrc && u->nsrc < USER_SOURCES_MAX)
			u->srcs[u->nsrc++] = sh;
	}
	if (g->cfg.user_fail_threshold != 0 &&
	    u->fails >= g->cfg.user_fail_threshold &&
	    now_ms >= u->flagged_until_ms) {
		struct guard_event *e =
		    ev_push(ev, GUARD_EV_USER_UNDER_ATTACK, reason_user, NULL);

		u->flagged_until_ms = now_ms + g->cfg.auth_window_ms;
		if (e != NULL) {
			e->user = user;
			e->count = u->fails;
			e->sources = u->nsrc;
		}
	}
}

static bool
auth_failure(struct guard *g, const struct cidr_addr *addr, struct sv user,
    uint64_t now_ms, struct guard_events *ev)
{
	uint32_t thr = g->cfg.auth_fail_threshold;
	uint32_t now_s = (uint32_t)(now_ms / 1000u);
	uint32_t window_s = g->cfg.auth_window_ms / 1000u;
	bool banned = false;
	struct src *s;

	s = src_get(g, addr, now_ms, false);
	if (s != NULL && (s->flags & SRC_TRUSTED) == 0 &&
	    !is_banned(s, now_ms)) {
		s->seen_ms = now_ms;
		if (s->nfail < thr) {
			s->fail_s[(s->fail_head + s->nfail) % thr] = now_s;
			s->nfail++;
		} else {
			s->fail_s[s->fail_head] = now_s;
			s->fail_head = (uint8_t)((s->fail_head + 1u) % thr);
		}
		/* Sliding window: the oldest of the last 'thr' failures is
		 * recent enough. */
		if (s->nfail == thr &&
		    now_s - s->fail_s[s->fail_head] < window_s) {
			src_ban(g, s, 0, reason_auth, thr, now_ms, ev);
			if (ev != NULL && ev->n > 0)
				ev->ev[ev->n - 1].user = user;
			banned = true;
		}
	}
	user_failure(g, addr, user, now_ms, ev);
	return banned;
}

bool
guard_auth_failure(struct guard *g, const struct cidr_addr *addr,
    struct sv user, uint64_t now_ms, struct guard_events *ev)
{
	ev_clear(ev);
	return auth_failure(g, addr, user, now_ms, ev);
}

void
guard_auth_success(struct guard *g, const struct cidr_addr *addr,
    struct sv user, uint64_t now_ms)
{
	struct src *s = src_get(g, addr, now_ms, false);

	(void)user;
	if (s == NULL)
		return;
	s->nfail = s->fail_head = 0;
	s->nsweep = 0;
	s->auth_ok_until_ms = now_ms + g->cfg.auth_window_ms;
}

bool
guard_user_under_attack(const struct guard *g, struct sv user, uint64_t now_ms)
{
	const struct user *u;

	if (g->users == NULL || user.len == 0)
		return false;
	u = user_slot(g, name_hash(g, user) | 1u, now_ms, false);
	return u != NULL && now_ms < u->flagged_until_ms;
}

bool
guard_acl_check(struct guard *g, const struct cidr_set *allow,
    const struct cidr_addr *addr, struct sv user, uint64_t now_ms,
    struct guard_events *ev)
{
	struct guard_event *e;

	ev_clear(ev);
	if (allow == NULL || cidr_set_contains(allow, addr))
		return true;
	e = ev_push(ev, GUARD_EV_ACL_REFUSED, reason_acl, addr);
	if (e != NULL)
		e->user = user;
	auth_failure(g, addr, user, now_ms, ev);
	return false;
}

enum guard_verdict
guard_conn_open(struct guard *g, const struct cidr_addr *addr, uint64_t now_ms)
{
	enum guard_verdict v;
	struct src *s = src_enter(g, addr, now_ms, NULL, &v);

	if (s == NULL)
		return v;
	s->seen_ms = now_ms;
	if ((s->flags & SRC_TRUSTED) != 0)
		return GUARD_PASS;
	if (src_blocked(g, s))
		return GUARD_DROP;
	if (g->cfg.max_conns_per_src != 0 &&
	    s->conns >= g->cfg.max_conns_per_src)
		return GUARD_DROP;
	if (s->conns < UINT16_MAX)
		s->conns++;
	return GUARD_PASS;
}

void
guard_conn_close(struct guard *g, const struct cidr_addr *addr)
{
	struct src *s = src_find(g, addr, addr_hash(g, addr));

	/* The entry may have been replaced since (then its count is
	 * lost, which only errs towards allowing). */
	if (s != NULL && s->conns > 0)
		s->conns--;
}

uint32_t
guard_conn_count(const struct guard *g, const struct cidr_addr *addr)
{
	const struct src *s = src_find(g, addr, addr_hash(g, addr));

	return s != NULL ? s->conns : 0;
}

int
guard_ban(struct guard *g, const struct cidr_addr *addr, uint64_t duration_ms,
    const char *reason, uint64_t now_ms, struct guard_events *ev)
{
	struct src *s;

	ev_clear(ev);
	if (cidr_set_contains(g->trusted, addr))
		return -EPERM;
	s = src_get(g, addr, now_ms, true);
	src_ban(g, s, duration_ms, reason != NULL ? reason : reason_manual, 0,
	    now_ms, ev);
	return 0;
}

int
guard_unban(struct guard *g, const struct cidr_addr *addr, uint64_t now_ms,
    struct guard_events *ev)
{
	struct src *s = src_find(g, addr, addr_hash(g, addr));

	ev_clear(ev);
	if (s == NULL || !is_banned(s, now_ms))
		return -ENOENT;
	s->until_ms = 0;
	s->bans = 0;
	ev_push(ev, GUARD_EV_UNBAN, reason_lifted, addr);
	return 0;
}

bool
guard_is_banned(
    const struct guard *g, const struct cidr_addr *addr, uint64_t now_ms)
{
	const struct src *s = src_find(g, addr, addr_hash(g, addr));

	return s != NULL && is_banned(s, now_ms);
}

int
guard_restore_ban(struct guard *g, const struct cidr_addr *addr,
    uint64_t until_ms, uint32_t count, struct sv reason, uint64_t now_ms)
{
	const char *why = reason_restored;
	struct src *s;

	if (count == 0)
		return -EINVAL;
	if (cidr_set_contains(g->trusted, addr))
		return -EPERM;
	if (until_ms <= now_ms)
		return -ETIME;
	for (size_t i = 0; i < RP_ARRAY_LEN(known_reasons); i++) {
		if (sv_eq(reason, sv_cstr(known_reasons[i])))
			why = known_reasons[i];
	}
	s = src_get(g, addr, now_ms, true);
	if (is_banned(s, now_ms) && s->until_ms > until_ms)
		until_ms = s->until_ms;
	s->until_ms = until_ms;
	if (count > s->bans)
		s->bans = count;
	s->reason = why;
	return 0;
}

static void
ban_info(const struct src *s, struct guard_ban_info *info)
{
	info->addr = s->addr;
	info->until_ms = s->until_ms;
	info->count = s->bans;
	info->reason = s->reason != NULL ? s->reason : reason_manual;
}

void
guard_foreach_ban(
    const struct guard *g, uint64_t now_ms, guard_ban_cb cb, void *ctx)
{
	struct guard_ban_info info;

	for (size_t i = 0; i < g->cap; i++) {
		if (g->tags[i] != 0 && is_banned(&g->srcs[i], now_ms)) {
			ban_info(&g->srcs[i], &info);
			cb(ctx, &info);
		}
	}
}

unsigned
guard_expire(struct guard *g, uint64_t now_ms, uint32_t budget, guard_ban_cb cb,
    void *ctx)
{
	struct guard_ban_info info;
	unsigned ended = 0;

	if (budget > g->cap)
		budget = (uint32_t)g->cap;
	for (uint32_t n = 0; n < budget; n++) {
		struct src *s = &g->srcs[g->cursor];

		if (g->tags[g->cursor] != 0 && s->until_ms != 0 &&
		    now_ms >= s->until_ms) {
			ban_info(s, &info);
			s->until_ms = 0;
			ended++;
			if (cb != NULL)
				cb(ctx, &info);
		}
		g->cursor = (g->cursor + 1) & (g->cap - 1);
	}
	return ended;
}

void
guard_stats(const struct guard *g, uint64_t now_ms, struct guard_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->sources = (uint32_t)g->used;
	st->capacity = (uint32_t)g->cap;
	st->untracked = g->untracked;
	st->evicted = g->evicted;
	for (size_t i = 0; i < g->cap; i++) {
		if (g->tags[i] != 0 && is_banned(&g->srcs[i], now_ms))
			st->banned++;
	}
}

void
guard_set_blocklist(struct guard *g, struct cidr_set *list)
{
	cidr_set_free(g->block);
	g->block = list;
	g->blk_gen++;
	if (g->blk_gen == 0)
		g->blk_gen = 1;
}

static size_t
round_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

static bool
bucket_ok(uint32_t rate, uint32_t burst)
{
	return rate == 0 ||
	       (rate <= RATE_MAX && burst >= 1 && burst <= BURST_MAX);
}

static bool
config_ok(const struct guard_config *c)
{
	return c->max_sources >= GUARD_SOURCES_MIN &&
	       c->max_sources <= GUARD_SOURCES_MAX &&
	       c->max_users <= GUARD_USERS_MAX &&
	       bucket_ok(c->pkt_rate, c->pkt_burst) &&
	       bucket_ok(c->req_rate, c->req_burst) &&
	       (c->throttle_ban_drops == 0 || c->throttle_window_ms > 0) &&
	       c->auth_fail_threshold >= 1 &&
	       c->auth_fail_threshold <= GUARD_AUTH_THRESHOLD_MAX &&
	       c->auth_window_ms >= 1000 && c->ban_base_ms >= 1 &&
	       c->ban_max_ms >= c->ban_base_ms &&
	       c->sweep_threshold <= GUARD_SWEEP_THRESHOLD_MAX &&
	       (c->sweep_threshold == 0 || c->sweep_window_ms > 0) &&
	       c->max_conns_per_src <= UINT16_MAX;
}

int
guard_new(struct guard **out, const struct guard_config *cfg)
{
	struct guard *g;
	int err = -ENOMEM;

	if (!config_ok(cfg))
		return -EINVAL;
	g = mem_calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->cfg = *cfg;
	g->cfg.trusted = NULL;
	g->blk_gen = 1;
	g->pkt_burst_milli = cfg->pkt_burst * MILLI;
	g->req_burst_milli = cfg->req_burst * MILLI;
	g->cap = round_pow2(cfg->max_sources);
	g->set_mask = g->cap / WAYS - 1;
	g->tags = mem_calloc(g->cap, sizeof(*g->tags));
	g->srcs = mem_calloc(g->cap, sizeof(*g->srcs));
	if (g->tags == NULL || g->srcs == NULL)
		goto fail;
	if (cfg->max_users > 0) {
		size_t n = round_pow2(cfg->max_users);

		if (n < USER_WAYS)
			n = USER_WAYS;
		g->users = mem_calloc(n, sizeof(*g->users));
		if (g->users == NULL)
			goto fail;
		g->user_set_mask = n / USER_WAYS - 1;
	}
	if (cfg->trusted != NULL &&
	    cidr_set_dup(cfg->trusted, &g->trusted) != 0)
		goto fail;
	g->key[0] = cfg->hash_key[0];
	g->key[1] = cfg->hash_key[1];
	if (g->key[0] == 0 && g->key[1] == 0 &&
	    getrandom(g->key, sizeof(g->key), 0) != (ssize_t)sizeof(g->key)) {
		err = -EIO;
		goto fail;
	}
	*out = g;
	return 0;
fail:
	guard_free(g);
	return err;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	cidr_set_free(g->trusted);
	cidr_set_free(g->block);
	free(g->users);
	free(g->srcs);
	free(g->tags);
	free(g);
}
