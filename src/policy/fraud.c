/* The anti-fraud engine. */
#include "policy/fraud.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Country codes as bits: (length - 1) * 1000 + value, length 1..3. */
#define CC_BITS 3000u
#define NO_ENT UINT32_MAX

enum ent_kind {
	KIND_NONE,
	KIND_USER,
	KIND_TENANT,
	KIND_GLOBAL,
};

struct seq_nr {
	uint64_t t;
	uint8_t len;
	char d[NUMPLAN_DIGITS_MAX];
};

/* A user, a tenant or the system. The histories are used for users
 * only: one struct keeps the table simple. */
struct ent {
	uint8_t kind;
	uint8_t len;
	bool has_ceiling;
	bool blocked;
	bool ema_init;
	uint8_t block_reason;
	char name[FRAUD_NAME_MAX];
	struct fraud_ceiling ceiling;
	uint64_t hour_idx;
	uint64_t day_idx;
	int64_t hour_done;
	int64_t day_done;
	int64_t active_proj;
	uint32_t active_calls;
	uint32_t intl_calls;
	uint64_t block_since;
	uint64_t block_until;
	int64_t ema;
	uint8_t rate_head, rate_n;
	uint8_t seq_head, seq_n;
	uint8_t short_head, short_n;
	uint64_t rate_t[FRAUD_RATE_MAX];
	struct seq_nr seq[FRAUD_SEQ_MAX];
	uint64_t short_t[FRAUD_SHORT_MAX];
	uint8_t cc[CC_BITS / 8u];
};

struct call {
	uint32_t gen; /* 0: free */
	uint32_t user;
	uint32_t tenant;
	bool intl;
	bool has_rate;
	uint64_t answer_s; /* 0: not answered */
	int64_t proj;
	struct rating_rate rate;
};

struct fraud {
	struct fraud_config cfg;
	struct ent *ents; /* dense, n_users + n_tenants used */
	uint32_t *slots;  /* hash table of ents indices + 1; 0: empty */
	size_t mask;
	uint32_t n_users;
	uint32_t n_tenants;
	struct ent global;
	struct call *calls;
	uint32_t *free_calls;
	uint32_t n_free;
	uint32_t gen;
};

static const char *const reason_texts[FRAUD_R_COUNT] = {
    [FRAUD_R_NONE] = "allowed",
    [FRAUD_R_CEILING_HOUR] = "hourly cost ceiling reached",
    [FRAUD_R_CEILING_DAY] = "daily cost ceiling reached",
    [FRAUD_R_CALL_RATE] = "too many calls per minute",
    [FRAUD_R_CONCURRENT_USER] = "too many simultaneous calls",
    [FRAUD_R_CONCURRENT_INTL] = "too many simultaneous international calls",
    [FRAUD_R_FIRST_COUNTRY_USER] = "first call from this user to the country",
    [FRAUD_R_FIRST_COUNTRY_SYSTEM] = "first call from anyone to the country",
    [FRAUD_R_OFF_HOURS_INTL] = "international call outside business hours",
    [FRAUD_R_SEQUENTIAL] = "sequential dialing",
    [FRAUD_R_SHORT_BURST] = "burst of short calls",
    [FRAUD_R_SPEND_SPIKE] = "unusual hourly spend",
    [FRAUD_R_MANUAL] = "outbound calls blocked by an administrator",
    [FRAUD_R_BLOCKED] = "outbound calls blocked",
    [FRAUD_R_TABLE_FULL] = "fraud engine full",
    [FRAUD_R_INVALID] = "invalid call data",
    [FRAUD_R_UNBLOCKED] = "block lifted",
    [FRAUD_R_ORIGIN_OFF] = "DISA and outdial are turned off",
};

const char *
fraud_reason_text(enum fraud_reason r)
{
	if ((unsigned)r >= FRAUD_R_COUNT)
		return "?";
	return reason_texts[r];
}

void
fraud_config_defaults(struct fraud_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_users = 4096;
	cfg->max_tenants = 1024;
	cfg->max_calls = 4096;
	cfg->cut_running = true;
	cfg->ceiling_block_until_unblock = true;
	cfg->lookahead_s = 10;
	cfg->call_rate = (struct fraud_rule_cfg){FRAUD_DENY, 10, 60};
	cfg->concurrent_user = (struct fraud_rule_cfg){FRAUD_DENY, 4, 0};
	cfg->concurrent_intl = (struct fraud_rule_cfg){FRAUD_ALERT, 10, 0};
	cfg->first_country_user = (struct fraud_rule_cfg){FRAUD_ALERT, 0, 0};
	cfg->first_country_system = (struct fraud_rule_cfg){FRAUD_ALERT, 0, 0};
	cfg->off_hours_intl = (struct fraud_rule_cfg){FRAUD_ALERT, 0, 0};
	cfg->business_hours =
	    (struct rights_window){RIGHTS_WEEKDAYS, 8 * 60, 19 * 60};
	cfg->sequential = (struct fraud_rule_cfg){FRAUD_BLOCK, 5, 600};
	cfg->seq_tail_digits = 2;
	cfg->short_burst = (struct fraud_rule_cfg){FRAUD_ALERT, 10, 600};
	cfg->short_s = 10;
	cfg->spend_spike = (struct fraud_rule_cfg){FRAUD_ALERT, 0, 0};
	cfg->spike_factor_pct = 500;
	cfg->spike_alpha_pct = 10;
	cfg->spike_min_spend = 10LL * RATING_MICRO;
}

static bool
mode_ok(const struct fraud_rule_cfg *r, uint32_t min, uint32_t max)
{
	if ((unsigned)r->mode > FRAUD_BLOCK)
		return false;
	return r->mode == FRAUD_OFF || (r->count >= min && r->count <= max);
}

static bool
config_ok(const struct fraud_config *c)
{
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		if (c->ceiling[s].hour < 0 || c->ceiling[s].day < 0)
			return false;
	}
	return c->max_users >= 1 && c->max_users <= FRAUD_USERS_MAX &&
	       c->max_tenants <= FRAUD_USERS_MAX && c->max_calls >= 1 &&
	       c->max_calls <= FRAUD_CALLS_MAX &&
	       c->tz_offset_min >= -24 * 60 && c->tz_offset_min <= 24 * 60 &&
	       c->lookahead_s <= 3600 &&
	       mode_ok(&c->call_rate, 1, FRAUD_RATE_MAX - 1) &&
	       mode_ok(&c->concurrent_user, 1, FRAUD_CALLS_MAX) &&
	       mode_ok(&c->concurrent_intl, 1, FRAUD_CALLS_MAX) &&
	       mode_ok(&c->first_country_user, 0, 0) &&
	       mode_ok(&c->first_country_system, 0, 0) &&
	       mode_ok(&c->off_hours_intl, 0, 0) &&
	       mode_ok(&c->sequential, 2, FRAUD_SEQ_MAX) &&
	       (c->sequential.mode == FRAUD_OFF ||
	           (c->seq_tail_digits >= 1 && c->seq_tail_digits <= 4)) &&
	       mode_ok(&c->short_burst, 1, FRAUD_SHORT_MAX) &&
	       mode_ok(&c->spend_spike, 0, 0) &&
	       (c->spend_spike.mode == FRAUD_OFF ||
	           (c->spike_factor_pct >= 100 &&
	               c->spike_factor_pct <= 100000 &&
	               c->spike_alpha_pct >= 1 && c->spike_alpha_pct <= 100 &&
	               c->spike_min_spend >= 0));
}

int
fraud_new(struct fraud **out, const struct fraud_config *cfg)
{
	struct fraud *f;
	size_t want, cap = 16;

	if (!config_ok(cfg))
		return -EINVAL;
	f = mem_calloc(1, sizeof(*f));
	if (f == NULL)
		return -ENOMEM;
	f->cfg = *cfg;
	/* Load factor at most 1/2: probes stay short. */
	want = 2u * ((size_t)cfg->max_users + cfg->max_tenants);
	while (cap < want)
		cap *= 2u;
	f->mask = cap - 1u;
	f->slots = mem_calloc(cap, sizeof(*f->slots));
	f->ents = mem_calloc(
	    (size_t)cfg->max_users + cfg->max_tenants, sizeof(*f->ents));
	f->calls = mem_calloc(cfg->max_calls, sizeof(*f->calls));
	f->free_calls = mem_calloc(cfg->max_calls, sizeof(*f->free_calls));
	if (f->slots == NULL || f->ents == NULL || f->calls == NULL ||
	    f->free_calls == NULL) {
		fraud_free(f);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < cfg->max_calls; i++)
		f->free_calls[i] = cfg->max_calls - 1u - i;
	f->n_free = cfg->max_calls;
	f->global.kind = KIND_GLOBAL;
	*out = f;
	return 0;
}

void
fraud_free(struct fraud *f)
{
	if (f == NULL)
		return;
	free(f->slots);
	free(f->ents);
	free(f->calls);
	free(f->free_calls);
	free(f);
}

/* Entities. */

static uint64_t
name_hash(uint8_t kind, struct sv name)
{
	uint64_t h = 0xcbf29ce484222325u ^ kind;

	for (size_t i = 0; i < name.len; i++) {
		h ^= (unsigned char)name.p[i];
		h *= 0x100000001b3u;
	}
	return h ^ (h >> 29);
}

static bool
name_ok(struct sv name)
{
	return name.len >= 1 && name.len <= FRAUD_NAME_MAX;
}

/* The entry of (kind, name), created if 'create'; NO_ENT when absent or
 * when the table has no room. */
static uint32_t
ent_find(struct fraud *f, uint8_t kind, struct sv name, bool create)
{
	size_t i = (size_t)name_hash(kind, name) & f->mask;
	uint32_t n;
	struct ent *e;

	for (;; i = (i + 1u) & f->mask) {
		if (f->slots[i] == 0)
			break;
		e = &f->ents[f->slots[i] - 1u];
		if (e->kind == kind && e->len == name.len &&
		    memcmp(e->name, name.p, name.len) == 0)
			return f->slots[i] - 1u;
	}
	if (!create)
		return NO_ENT;
	if (kind == KIND_USER && f->n_users >= f->cfg.max_users)
		return NO_ENT;
	if (kind == KIND_TENANT && f->n_tenants >= f->cfg.max_tenants)
		return NO_ENT;
	if (kind == KIND_USER)
		f->n_users++;
	else
		f->n_tenants++;
	n = f->n_users + f->n_tenants - 1u;
	e = &f->ents[n];
	e->kind = kind;
	e->len = (uint8_t)name.len;
	memcpy(e->name, name.p, name.len);
	f->slots[i] = n + 1u;
	return n;
}

static struct ent *
scope_ent(struct fraud *f, enum fraud_scope scope, struct sv name, bool create,
    int *err)
{
	uint32_t i;

	*err = 0;
	if (scope == FRAUD_SCOPE_GLOBAL)
		return &f->global;
	if ((unsigned)scope >= FRAUD_SCOPE_COUNT || !name_ok(name)) {
		*err = -EINVAL;
		return NULL;
	}
	i = ent_find(f, scope == FRAUD_SCOPE_USER ? KIND_USER : KIND_TENANT,
	    name, create);
	if (i == NO_ENT) {
		*err = create ? -ENOSPC : -ENOENT;
		return NULL;
	}
	return &f->ents[i];
}

static uint64_t
local_s(const struct fraud *f, uint64_t now_s)
{
	int64_t off = (int64_t)f->cfg.tz_offset_min * 60;

	if (off < 0 && now_s < (uint64_t)-off)
		return 0;
	return off < 0 ? now_s - (uint64_t)-off : now_s + (uint64_t)off;
}

/* UTC time at which local second 'l' falls. */
static uint64_t
utc_s(const struct fraud *f, uint64_t l)
{
	int64_t off = (int64_t)f->cfg.tz_offset_min * 60;

	if (off > 0 && l < (uint64_t)off)
		return 0;
	return off > 0 ? l - (uint64_t)off : l + (uint64_t)-off;
}

/* The usual hourly spend: a moving average over the hours in which the
 * user spent anything, so that nights and week-ends do not make any
 * daytime call look unusual. */
static void
ema_add(struct fraud *f, struct ent *e, int64_t spent)
{
	if (spent <= 0)
		return;
	if (!e->ema_init) {
		e->ema = spent;
		e->ema_init = true;
		return;
	}
	e->ema += (spent - e->ema) * (int64_t)f->cfg.spike_alpha_pct / 100;
}

/* Moves the windows of 'e' to 'now_s' and ends a block that is over. */
static void
roll(struct fraud *f, struct ent *e, uint64_t now_s)
{
	uint64_t l = local_s(f, now_s);
	uint64_t h = l / 3600u, d = l / 86400u;

	if (h != e->hour_idx) {
		if (e->kind == KIND_USER && e->hour_idx != 0)
			ema_add(f, e, e->hour_done);
		e->hour_idx = h;
		e->hour_done = 0;
	}
	if (d != e->day_idx) {
		e->day_idx = d;
		e->day_done = 0;
	}
	if (e->blocked && e->block_until != 0 && now_s >= e->block_until)
		e->blocked = false;
}

static const struct fraud_ceiling *
ceiling_of(const struct fraud *f, const struct ent *e, enum fraud_scope s)
{
	return e->has_ceiling ? &e->ceiling : &f->cfg.ceiling[s];
}

static void
add_alert(struct fraud_alerts *al, enum fraud_reason r, enum fraud_mode m,
    enum fraud_scope s, int64_t value, int64_t limit)
{
	struct fraud_alert *a;

	if (al == NULL || al->n >= FRAUD_ALERTS_MAX)
		return;
	a = &al->a[al->n++];
	a->reason = r;
	a->mode = m;
	a->scope = s;
	a->text = fraud_reason_text(r);
	a->value = value;
	a->limit = limit;
}

static void
set_block(struct ent *e, enum fraud_reason r, uint64_t since, uint64_t until)
{
	if (e->blocked)
		return; /* the first reason stays */
	e->blocked = true;
	e->block_reason = (uint8_t)r;
	e->block_since = since;
	e->block_until = until;
}

/* Checks the ceilings of 'e' with 'extra' more spent; on a hit blocks
 * the scope, reports it and returns the reason. */
static enum fraud_reason
check_ceiling(struct fraud *f, struct ent *e, enum fraud_scope s, int64_t extra,
    uint64_t now_s, struct fraud_alerts *al)
{
	const struct fraud_ceiling *c = ceiling_of(f, e, s);
	int64_t hour = e->hour_done + e->active_proj + extra;
	int64_t day = e->day_done + e->active_proj + extra;
	enum fraud_reason r;
	uint64_t until = 0;
	int64_t value, limit;

	if (c->hour > 0 && hour >= c->hour) {
		r = FRAUD_R_CEILING_HOUR;
		value = hour;
		limit = c->hour;
		if (!f->cfg.ceiling_block_until_unblock)
			until = utc_s(f, (e->hour_idx + 1u) * 3600u);
	} else if (c->day > 0 && day >= c->day) {
		r = FRAUD_R_CEILING_DAY;
		value = day;
		limit = c->day;
		if (!f->cfg.ceiling_block_until_unblock)
			until = utc_s(f, (e->day_idx + 1u) * 86400u);
	} else {
		return FRAUD_R_NONE;
	}
	/* A call that would cross is refused; the scope is blocked only
	 * once its spending has reached the ceiling by itself. */
	if (value - extra < limit) {
		add_alert(al, r, FRAUD_DENY, s, value, limit);
		return r;
	}
	if (!e->blocked)
		add_alert(al, r, FRAUD_BLOCK, s, value, limit);
	set_block(e, r, now_s, until);
	return r;
}

/* Per-user histories. */

static uint32_t
count_since(const uint64_t *ring, uint8_t n, uint64_t since)
{
	uint32_t c = 0;

	for (uint8_t i = 0; i < n; i++) {
		if (ring[i] >= since)
			c++;
	}
	return c;
}

static void
ring_push(uint64_t *ring, uint8_t *head, uint8_t *n, uint8_t cap, uint64_t t)
{
	ring[*head] = t;
	*head = (uint8_t)((*head + 1u) % cap);
	if (*n < cap)
		(*n)++;
}

static uint64_t
since(uint64_t now_s, uint32_t window_s)
{
	return now_s >= window_s ? now_s - window_s + 1u : 0;
}

/* War dialing: the new number ends a strictly rising run of attempts
 * that differ only in their last digits. */
static uint32_t
seq_run(
    const struct fraud *f, const struct ent *u, struct sv num, uint64_t now_s)
{
	size_t k = f->cfg.seq_tail_digits;
	const char *prev = num.p;
	uint32_t run = 1;

	if (num.len <= k || num.len > NUMPLAN_DIGITS_MAX)
		return 0;
	for (uint8_t i = 0; i < u->seq_n; i++) {
		unsigned idx =
		    (u->seq_head + FRAUD_SEQ_MAX - 1u - i) % FRAUD_SEQ_MAX;
		const struct seq_nr *s = &u->seq[idx];
		size_t fixed = num.len - k;

		if (s->t < since(now_s, f->cfg.sequential.window_s) ||
		    s->len != num.len || memcmp(s->d, num.p, fixed) != 0 ||
		    memcmp(s->d + fixed, prev + fixed, k) >= 0)
			break;
		prev = s->d;
		run++;
	}
	return run;
}

static void
seq_push(struct ent *u, struct sv num, uint64_t now_s)
{
	struct seq_nr *s = &u->seq[u->seq_head];

	if (num.len > NUMPLAN_DIGITS_MAX)
		return;
	s->t = now_s;
	s->len = (uint8_t)num.len;
	memcpy(s->d, num.p, num.len);
	u->seq_head = (uint8_t)((u->seq_head + 1u) % FRAUD_SEQ_MAX);
	if (u->seq_n < FRAUD_SEQ_MAX)
		u->seq_n++;
}

static int
cc_index(struct sv e164)
{
	size_t len = numplan_country_code_len(e164);
	unsigned v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		v = v * 10u + (unsigned)(e164.p[i] - '0');
	return (int)((len - 1u) * 1000u + v);
}

static bool
cc_known(const struct ent *e, int idx)
{
	return (e->cc[(unsigned)idx / 8u] >> ((unsigned)idx % 8u)) & 1u;
}

static void
cc_learn(struct ent *e, int idx)
{
	e->cc[(unsigned)idx / 8u] |= (uint8_t)(1u << ((unsigned)idx % 8u));
}

/* Rules. */

struct verdict {
	enum fraud_reason refuse; /* first DENY or BLOCK rule */
	enum fraud_reason block;  /* first BLOCK rule */
};

static void
hit(struct verdict *v, struct fraud_alerts *al, const struct fraud_rule_cfg *r,
    enum fraud_reason why, enum fraud_scope s, int64_t value, int64_t limit)
{
	add_alert(al, why, r->mode, s, value, limit);
	if (r->mode >= FRAUD_DENY && v->refuse == FRAUD_R_NONE)
		v->refuse = why;
	if (r->mode == FRAUD_BLOCK && v->block == FRAUD_R_NONE)
		v->block = why;
}

static bool
is_intl(enum numplan_class c)
{
	return c == NUMPLAN_INTERNATIONAL || c == NUMPLAN_HIGH_RISK;
}

static void
check_rules(struct fraud *f, struct ent *u, const struct fraud_call_info *ci,
    int64_t first, uint64_t now_s, struct verdict *v, struct fraud_alerts *al)
{
	const struct fraud_config *c = &f->cfg;
	bool intl = is_intl(ci->cls);
	uint32_t n;
	int cc;

	if (c->call_rate.mode != FRAUD_OFF) {
		n = count_since(u->rate_t, u->rate_n, since(now_s, 60)) + 1u;
		if (n > c->call_rate.count)
			hit(v, al, &c->call_rate, FRAUD_R_CALL_RATE,
			    FRAUD_SCOPE_USER, n, c->call_rate.count);
	}
	if (c->concurrent_user.mode != FRAUD_OFF &&
	    u->active_calls + 1u > c->concurrent_user.count)
		hit(v, al, &c->concurrent_user, FRAUD_R_CONCURRENT_USER,
		    FRAUD_SCOPE_USER, u->active_calls + 1u,
		    c->concurrent_user.count);
	if (intl && c->concurrent_intl.mode != FRAUD_OFF &&
	    f->global.intl_calls + 1u > c->concurrent_intl.count)
		hit(v, al, &c->concurrent_intl, FRAUD_R_CONCURRENT_INTL,
		    FRAUD_SCOPE_GLOBAL, f->global.intl_calls + 1u,
		    c->concurrent_intl.count);
	cc = intl ? cc_index(ci->e164) : -1;
	if (cc >= 0 && c->first_country_user.mode != FRAUD_OFF &&
	    !cc_known(u, cc))
		hit(v, al, &c->first_country_user, FRAUD_R_FIRST_COUNTRY_USER,
		    FRAUD_SCOPE_USER, cc, 0);
	if (cc >= 0 && c->first_country_system.mode != FRAUD_OFF &&
	    !cc_known(&f->global, cc))
		hit(v, al, &c->first_country_system,
		    FRAUD_R_FIRST_COUNTRY_SYSTEM, FRAUD_SCOPE_GLOBAL, cc, 0);
	if (intl && c->off_hours_intl.mode != FRAUD_OFF &&
	    !rights_in_window(&c->business_hours,
	        rights_local_time((int64_t)now_s, c->tz_offset_min)))
		hit(v, al, &c->off_hours_intl, FRAUD_R_OFF_HOURS_INTL,
		    FRAUD_SCOPE_USER, 0, 0);
	if (c->sequential.mode != FRAUD_OFF) {
		n = seq_run(f, u, ci->e164, now_s);
		if (n >= c->sequential.count)
			hit(v, al, &c->sequential, FRAUD_R_SEQUENTIAL,
			    FRAUD_SCOPE_USER, n, c->sequential.count);
	}
	if (c->short_burst.mode != FRAUD_OFF) {
		n = count_since(u->short_t, u->short_n,
		    since(now_s, c->short_burst.window_s));
		if (n >= c->short_burst.count)
			hit(v, al, &c->short_burst, FRAUD_R_SHORT_BURST,
			    FRAUD_SCOPE_USER, n, c->short_burst.count);
	}
	if (c->spend_spike.mode != FRAUD_OFF) {
		int64_t spent = u->hour_done + u->active_proj + first;
		int64_t usual =
		    u->ema_init ? u->ema / 100 * (int64_t)c->spike_factor_pct
		                : 0;
		int64_t limit =
		    usual > c->spike_min_spend ? usual : c->spike_min_spend;

		if (spent > limit)
			hit(v, al, &c->spend_spike, FRAUD_R_SPEND_SPIKE,
			    FRAUD_SCOPE_USER, spent, limit);
	}
}

static void
refuse(struct fraud_decision *out, enum fraud_reason r, enum fraud_scope s,
    const char *text)
{
	out->allow = false;
	out->reason = r;
	out->scope = s;
	out->text = text != NULL ? text : fraud_reason_text(r);
	out->call_id = 0;
}

static struct call *
call_get(struct fraud *f, uint64_t id)
{
	uint32_t idx = (uint32_t)(id & 0xffffffffu);
	uint32_t gen = (uint32_t)(id >> 32);
	struct call *c;

	if (idx == 0 || idx > f->cfg.max_calls || gen == 0)
		return NULL;
	c = &f->calls[idx - 1u];
	return c->gen == gen ? c : NULL;
}

/* Adds 'delta' to the projections of a call's scopes. */
static void
add_proj(struct fraud *f, const struct call *c, int64_t delta)
{
	f->ents[c->user].active_proj += delta;
	if (c->tenant != NO_ENT)
		f->ents[c->tenant].active_proj += delta;
	f->global.active_proj += delta;
}

void
fraud_call_start(struct fraud *f, const struct fraud_call_info *ci,
    uint64_t now_s, struct fraud_decision *out)
{
	struct ent *scopes[FRAUD_SCOPE_COUNT];
	struct verdict v = {FRAUD_R_NONE, FRAUD_R_NONE};
	uint32_t ui, ti = NO_ENT, idx;
	struct call *c;
	int64_t first;
	struct ent *u;
	int cc;

	memset(out, 0, sizeof(*out));
	out->allow = true;
	out->text = fraud_reason_text(FRAUD_R_NONE);
	/* Emergency calls go through whatever the state (R-FRAUD-1);
	 * inbound and internal calls cost nothing here. */
	if (ci->cls == NUMPLAN_EMERGENCY || ci->dir != FRAUD_OUTBOUND ||
	    ci->cls == NUMPLAN_INTERNAL)
		return;
	if (!name_ok(ci->user) || ci->tenant.len > FRAUD_NAME_MAX ||
	    ci->e164.len > NUMPLAN_DIAL_MAX ||
	    (unsigned)ci->origin > FRAUD_ORIGIN_IVR_OUTDIAL) {
		refuse(out, FRAUD_R_INVALID, FRAUD_SCOPE_USER, NULL);
		return;
	}
	if ((ci->origin == FRAUD_ORIGIN_DISA && !f->cfg.disa_enabled) ||
	    ((ci->origin == FRAUD_ORIGIN_VM_CALLBACK ||
	         ci->origin == FRAUD_ORIGIN_IVR_OUTDIAL) &&
	        !f->cfg.outdial_enabled)) {
		refuse(out, FRAUD_R_ORIGIN_OFF, FRAUD_SCOPE_GLOBAL, NULL);
		return;
	}
	ui = ent_find(f, KIND_USER, ci->user, true);
	if (ci->tenant.len > 0)
		ti = ent_find(f, KIND_TENANT, ci->tenant, true);
	if (ui == NO_ENT || (ci->tenant.len > 0 && ti == NO_ENT)) {
		add_alert(&out->alerts, FRAUD_R_TABLE_FULL, FRAUD_DENY,
		    ui == NO_ENT ? FRAUD_SCOPE_USER : FRAUD_SCOPE_TENANT, 0, 0);
		refuse(out, FRAUD_R_TABLE_FULL, FRAUD_SCOPE_USER, NULL);
		return;
	}
	u = &f->ents[ui];
	scopes[FRAUD_SCOPE_USER] = u;
	scopes[FRAUD_SCOPE_TENANT] = ti != NO_ENT ? &f->ents[ti] : NULL;
	scopes[FRAUD_SCOPE_GLOBAL] = &f->global;
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		if (scopes[s] != NULL)
			roll(f, scopes[s], now_s);
	}
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		if (scopes[s] != NULL && scopes[s]->blocked) {
			refuse(out, FRAUD_R_BLOCKED, (enum fraud_scope)s,
			    fraud_reason_text(
			        (enum fraud_reason)scopes[s]->block_reason));
			return;
		}
	}
	first = rating_projected(ci->rate, 1);
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		enum fraud_reason r;

		if (scopes[s] == NULL)
			continue;
		r = check_ceiling(f, scopes[s], (enum fraud_scope)s, first,
		    now_s, &out->alerts);
		if (r != FRAUD_R_NONE) {
			refuse(out, r, (enum fraud_scope)s, NULL);
			return;
		}
	}
	check_rules(f, u, ci, first, now_s, &v, &out->alerts);
	ring_push(u->rate_t, &u->rate_head, &u->rate_n, FRAUD_RATE_MAX, now_s);
	seq_push(u, ci->e164, now_s);
	if (v.refuse != FRAUD_R_NONE) {
		if (v.block != FRAUD_R_NONE)
			set_block(u, v.block, now_s, 0);
		refuse(out, v.refuse, FRAUD_SCOPE_USER, NULL);
		return;
	}
	if (f->n_free == 0) {
		add_alert(&out->alerts, FRAUD_R_TABLE_FULL, FRAUD_DENY,
		    FRAUD_SCOPE_GLOBAL, f->cfg.max_calls, f->cfg.max_calls);
		refuse(out, FRAUD_R_TABLE_FULL, FRAUD_SCOPE_GLOBAL, NULL);
		return;
	}
	idx = f->free_calls[--f->n_free];
	c = &f->calls[idx];
	memset(c, 0, sizeof(*c));
	if (++f->gen == 0)
		f->gen = 1;
	c->gen = f->gen;
	c->user = ui;
	c->tenant = ti;
	c->intl = is_intl(ci->cls);
	if (ci->rate != NULL) {
		c->has_rate = true;
		c->rate = *ci->rate;
	}
	c->proj = first;
	add_proj(f, c, first);
	u->active_calls++;
	if (ti != NO_ENT)
		f->ents[ti].active_calls++;
	f->global.active_calls++;
	if (c->intl)
		f->global.intl_calls++;
	cc = c->intl ? cc_index(ci->e164) : -1;
	if (cc >= 0) {
		cc_learn(u, cc);
		cc_learn(&f->global, cc);
	}
	out->call_id = ((uint64_t)c->gen << 32) | (idx + 1u);
}

int
fraud_call_answer(struct fraud *f, uint64_t call_id, uint64_t now_s)
{
	struct call *c = call_get(f, call_id);

	if (c == NULL)
		return -ENOENT;
	if (c->answer_s == 0)
		c->answer_s = now_s != 0 ? now_s : 1u;
	return 0;
}

bool
fraud_call_tick(struct fraud *f, uint64_t call_id, uint64_t now_s,
    struct fraud_alerts *alerts)
{
	struct call *c = call_get(f, call_id);
	struct ent *scopes[FRAUD_SCOPE_COUNT];
	bool cut = false;
	int64_t proj;

	if (c == NULL)
		return false;
	if (c->answer_s != 0 && c->has_rate) {
		uint64_t age = now_s > c->answer_s ? now_s - c->answer_s : 0;

		proj = rating_projected(&c->rate, age + f->cfg.lookahead_s);
		if (proj > c->proj) {
			add_proj(f, c, proj - c->proj);
			c->proj = proj;
		}
	}
	scopes[FRAUD_SCOPE_USER] = &f->ents[c->user];
	scopes[FRAUD_SCOPE_TENANT] =
	    c->tenant != NO_ENT ? &f->ents[c->tenant] : NULL;
	scopes[FRAUD_SCOPE_GLOBAL] = &f->global;
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		if (scopes[s] == NULL)
			continue;
		roll(f, scopes[s], now_s);
		(void)check_ceiling(
		    f, scopes[s], (enum fraud_scope)s, 0, now_s, alerts);
		if (scopes[s]->blocked)
			cut = true;
	}
	return cut && f->cfg.cut_running;
}

int
fraud_call_end(struct fraud *f, uint64_t call_id, uint64_t duration_s,
    uint64_t now_s, int64_t *cost, struct fraud_alerts *alerts)
{
	struct call *c = call_get(f, call_id);
	struct ent *scopes[FRAUD_SCOPE_COUNT];
	struct ent *u;
	int64_t k;
	uint32_t idx;

	if (c == NULL)
		return -ENOENT;
	k = c->has_rate ? rating_cost(&c->rate, duration_s) : 0;
	add_proj(f, c, -c->proj);
	u = &f->ents[c->user];
	scopes[FRAUD_SCOPE_USER] = u;
	scopes[FRAUD_SCOPE_TENANT] =
	    c->tenant != NO_ENT ? &f->ents[c->tenant] : NULL;
	scopes[FRAUD_SCOPE_GLOBAL] = &f->global;
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		if (scopes[s] == NULL)
			continue;
		roll(f, scopes[s], now_s);
		scopes[s]->hour_done += k;
		scopes[s]->day_done += k;
		scopes[s]->active_calls--;
	}
	if (c->intl)
		f->global.intl_calls--;
	if (duration_s > 0 && duration_s < f->cfg.short_s)
		ring_push(u->short_t, &u->short_head, &u->short_n,
		    FRAUD_SHORT_MAX, now_s);
	for (unsigned s = 0; s < FRAUD_SCOPE_COUNT; s++) {
		if (scopes[s] != NULL)
			(void)check_ceiling(f, scopes[s], (enum fraud_scope)s,
			    0, now_s, alerts);
	}
	idx = (uint32_t)(call_id & 0xffffffffu) - 1u;
	c->gen = 0;
	f->free_calls[f->n_free++] = idx;
	if (cost != NULL)
		*cost = k;
	return 0;
}

void
fraud_set_origins(struct fraud *f, bool disa, bool outdial)
{
	f->cfg.disa_enabled = disa;
	f->cfg.outdial_enabled = outdial;
}

int
fraud_set_ceiling(struct fraud *f, enum fraud_scope scope, struct sv name,
    const struct fraud_ceiling *c)
{
	struct ent *e;
	int err;

	if (c->hour < 0 || c->day < 0)
		return -EINVAL;
	if (scope == FRAUD_SCOPE_GLOBAL) {
		f->cfg.ceiling[FRAUD_SCOPE_GLOBAL] = *c;
		return 0;
	}
	e = scope_ent(f, scope, name, true, &err);
	if (e == NULL)
		return err;
	e->ceiling = *c;
	e->has_ceiling = true;
	return 0;
}

int
fraud_totals(struct fraud *f, enum fraud_scope scope, struct sv name,
    uint64_t now_s, struct fraud_totals *out)
{
	struct ent *e;
	int err;

	memset(out, 0, sizeof(*out));
	e = scope_ent(f, scope, name, false, &err);
	if (e == NULL)
		return err == -ENOENT ? 0 : err;
	roll(f, e, now_s);
	out->hour = e->hour_done + e->active_proj;
	out->day = e->day_done + e->active_proj;
	out->active_calls = e->active_calls;
	return 0;
}

int
fraud_block(
    struct fraud *f, enum fraud_scope scope, struct sv name, uint64_t now_s)
{
	struct ent *e;
	int err;

	e = scope_ent(f, scope, name, true, &err);
	if (e == NULL)
		return err;
	roll(f, e, now_s);
	set_block(e, FRAUD_R_MANUAL, now_s, 0);
	return 0;
}

int
fraud_unblock(
    struct fraud *f, enum fraud_scope scope, struct sv name, uint64_t now_s)
{
	struct ent *e;
	int err;

	e = scope_ent(f, scope, name, false, &err);
	if (e == NULL)
		return err == -ENOENT ? -ENOENT : err;
	roll(f, e, now_s);
	if (!e->blocked)
		return -ENOENT;
	e->blocked = false;
	return 0;
}

bool
fraud_is_blocked(
    struct fraud *f, enum fraud_scope scope, struct sv name, uint64_t now_s)
{
	struct ent *e;
	int err;

	e = scope_ent(f, scope, name, false, &err);
	if (e == NULL)
		return false;
	roll(f, e, now_s);
	return e->blocked;
}

static void
export_one(const struct ent *e, struct fraud_block *b)
{
	memset(b, 0, sizeof(*b));
	b->scope = e->kind == KIND_USER     ? FRAUD_SCOPE_USER
	           : e->kind == KIND_TENANT ? FRAUD_SCOPE_TENANT
	                                    : FRAUD_SCOPE_GLOBAL;
	memcpy(b->name, e->name, e->len);
	b->reason = (enum fraud_reason)e->block_reason;
	b->since_s = e->block_since;
	b->until_s = e->block_until;
}

size_t
fraud_export_blocks(
    struct fraud *f, uint64_t now_s, struct fraud_block *out, size_t max)
{
	size_t n = 0;

	roll(f, &f->global, now_s);
	if (f->global.blocked) {
		if (n < max)
			export_one(&f->global, &out[n]);
		n++;
	}
	for (uint32_t i = 0; i < f->n_users + f->n_tenants; i++) {
		struct ent *e = &f->ents[i];

		roll(f, e, now_s);
		if (!e->blocked)
			continue;
		if (n < max)
			export_one(e, &out[n]);
		n++;
	}
	return n;
}

int
fraud_import_block(struct fraud *f, const struct fraud_block *b, uint64_t now_s)
{
	const char *end = memchr(b->name, '\0', sizeof(b->name));
	struct ent *e;
	int err;

	if (end == NULL || (unsigned)b->reason >= FRAUD_R_COUNT ||
	    b->reason == FRAUD_R_NONE)
		return -EINVAL;
	if (b->until_s != 0 && now_s >= b->until_s)
		return -ETIME;
	e = scope_ent(
	    f, b->scope, sv_make(b->name, (size_t)(end - b->name)), true, &err);
	if (e == NULL)
		return err;
	roll(f, e, now_s);
	e->blocked = false;
	set_block(e, b->reason, b->since_s, b->until_s);
	return 0;
}

int
fraud_learn_country(struct fraud *f, struct sv user, struct sv e164)
{
	int cc = cc_index(e164);
	struct ent *e;
	int err;

	if (cc < 0)
		return -EINVAL;
	if (user.len == 0) {
		cc_learn(&f->global, cc);
		return 0;
	}
	e = scope_ent(f, FRAUD_SCOPE_USER, user, true, &err);
	if (e == NULL)
		return err;
	cc_learn(e, cc);
	return 0;
}

static void
spend_one(struct fraud *f, struct ent *e, enum fraud_scope scope,
    uint64_t now_s, struct fraud_spend *o)
{
	memset(o, 0, sizeof(*o));
	roll(f, e, now_s);
	o->scope = scope;
	memcpy(o->name, e->name, e->len);
	o->t.hour = e->hour_done + e->active_proj;
	o->t.day = e->day_done + e->active_proj;
	o->t.active_calls = e->active_calls;
	o->ceiling = *ceiling_of(f, e, scope);
	o->blocked = e->blocked;
}

size_t
fraud_export_spend(
    struct fraud *f, uint64_t now_s, struct fraud_spend *out, size_t max)
{
	size_t n = 0;

	if (max > 0)
		spend_one(f, &f->global, FRAUD_SCOPE_GLOBAL, now_s, &out[0]);
	n++;
	for (uint32_t i = 0; i < f->n_users + f->n_tenants; i++) {
		struct ent *e = &f->ents[i];

		if (n < max)
			spend_one(f, e,
			    e->kind == KIND_USER ? FRAUD_SCOPE_USER
			                         : FRAUD_SCOPE_TENANT,
			    now_s, &out[n]);
		n++;
	}
	return n;
}

int
fraud_call_projection(struct fraud *f, uint64_t call_id, int64_t *out)
{
	const struct call *c = call_get(f, call_id);

	if (c == NULL)
		return -ENOENT;
	*out = c->proj;
	return 0;
}
