/* Unit tests for the anti-fraud engine. R-FRAUD-3 R-FRAUD-4 R-FRAUD-5 */
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

#include "core/mem.h"
#include "policy/fraud.h"

#define M(units) ((int64_t)(units)*RATING_MICRO)
/* Monday 2024-01-01 10:00 UTC. */
#define T0 (1704067200u + 10u * 3600u)
#define HOUR 3600u
#define DAY 86400u

/* One unit per minute, billed per second. */
static const struct rating_rate unit_min = {1000000, 0, 0, 1, "test"};

/* Defaults with every rule off and no ceilings. */
static void
quiet(struct fraud_config *c)
{
	fraud_config_defaults(c);
	c->call_rate.mode = FRAUD_OFF;
	c->concurrent_user.mode = FRAUD_OFF;
	c->concurrent_intl.mode = FRAUD_OFF;
	c->first_country_user.mode = FRAUD_OFF;
	c->first_country_system.mode = FRAUD_OFF;
	c->off_hours_intl.mode = FRAUD_OFF;
	c->sequential.mode = FRAUD_OFF;
	c->short_burst.mode = FRAUD_OFF;
	c->spend_spike.mode = FRAUD_OFF;
}

static struct fraud *
make(const struct fraud_config *c)
{
	struct fraud *f = NULL;

	assert_int_equal(fraud_new(&f, c), 0);
	return f;
}

static struct fraud_decision
call_full(struct fraud *f, enum fraud_dir dir, const char *user,
    const char *tenant, const char *e164, enum numplan_class cls, uint64_t now)
{
	struct fraud_call_info ci = {dir, sv_cstr(user), sv_cstr(tenant),
	    sv_cstr(e164), cls, &unit_min, FRAUD_ORIGIN_EXTENSION};
	struct fraud_decision d;

	fraud_call_start(f, &ci, now, &d);
	assert_non_null(d.text);
	if (d.allow && dir == FRAUD_OUTBOUND && cls != NUMPLAN_EMERGENCY &&
	    cls != NUMPLAN_INTERNAL)
		assert_true(d.call_id != 0);
	else
		assert_true(d.call_id == 0);
	return d;
}

static struct fraud_decision
call(struct fraud *f, const char *user, const char *e164,
    enum numplan_class cls, uint64_t now)
{
	return call_full(f, FRAUD_OUTBOUND, user, "", e164, cls, now);
}

/* A call answered at 'now' and ended after 'secs'. */
static int64_t
talk(struct fraud *f, const char *user, const char *e164,
    enum numplan_class cls, uint64_t now, uint64_t secs)
{
	struct fraud_decision d = call(f, user, e164, cls, now);
	int64_t cost = -1;

	assert_true(d.allow);
	assert_int_equal(fraud_call_answer(f, d.call_id, now), 0);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, secs, now + secs, &cost, NULL), 0);
	return cost;
}

static const struct fraud_alert *
find(const struct fraud_alerts *a, enum fraud_reason r)
{
	for (unsigned i = 0; i < a->n; i++) {
		if (a->a[i].reason == r)
			return &a->a[i];
	}
	return NULL;
}

static void
set_ceiling(struct fraud *f, enum fraud_scope s, const char *name, int64_t hour,
    int64_t day)
{
	struct fraud_ceiling c = {hour, day};

	assert_int_equal(fraud_set_ceiling(f, s, sv_cstr(name), &c), 0);
}

/* R-FRAUD-1: emergency always; inbound and internal never refused. */
static void
test_emergency_always(void **state)
{
	struct fraud_config c;
	struct fraud *f;
	struct fraud_decision d;

	(void)state;
	quiet(&c);
	f = make(&c);
	assert_int_equal(fraud_block(f, FRAUD_SCOPE_GLOBAL, SV_NULL, T0), 0);
	assert_int_equal(fraud_block(f, FRAUD_SCOPE_USER, SV("alice"), T0), 0);
	d = call(f, "alice", "15", NUMPLAN_EMERGENCY, T0);
	assert_true(d.allow);
	d = call(f, "alice", "112", NUMPLAN_EMERGENCY, T0);
	assert_true(d.allow);
	/* Even with no name at all. */
	d = call(f, "", "112", NUMPLAN_EMERGENCY, T0);
	assert_true(d.allow);
	d = call_full(
	    f, FRAUD_INBOUND, "alice", "", "33612345678", NUMPLAN_MOBILE, T0);
	assert_true(d.allow);
	d = call(f, "alice", "201", NUMPLAN_INTERNAL, T0);
	assert_true(d.allow);
	d = call(f, "alice", "33612345678", NUMPLAN_MOBILE, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_BLOCKED);
	assert_string_equal(d.text, fraud_reason_text(FRAUD_R_MANUAL));
	fraud_free(f);
}

/* R-FRAUD-3: a user's hourly ceiling, with the projection of a call in
 * progress; the running call is cut, new calls refused, inbound fine. */
static void
test_ceiling_user(void **state)
{
	struct fraud_config c;
	struct fraud_alerts al = {0};
	struct fraud_totals tot;
	struct fraud_decision d;
	struct fraud *f;
	const struct fraud_alert *a;
	int64_t cost;

	(void)state;
	quiet(&c);
	f = make(&c);
	set_ceiling(f, FRAUD_SCOPE_USER, "alice", M(5), 0);
	assert_int_equal(
	    talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0, 240), M(4));
	assert_int_equal(
	    fraud_totals(f, FRAUD_SCOPE_USER, SV("alice"), T0 + 300, &tot), 0);
	assert_int_equal(tot.hour, M(4));
	assert_int_equal(tot.day, M(4));

	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + 300);
	assert_true(d.allow);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0 + 300), 0);
	/* Ringing and first seconds: the first increment is projected. */
	assert_int_equal(
	    fraud_totals(f, FRAUD_SCOPE_USER, SV("alice"), T0 + 301, &tot), 0);
	assert_int_equal(tot.hour, M(4) + 16667);
	assert_int_equal(tot.active_calls, 1);
	/* 40 s in, projected at 50 s (10 s lookahead): under 5. */
	assert_false(fraud_call_tick(f, d.call_id, T0 + 340, &al));
	assert_int_equal(al.n, 0);
	/* 50 s in, projected at 60 s: 4 + 1 reaches 5: cut, blocked. */
	assert_true(fraud_call_tick(f, d.call_id, T0 + 350, &al));
	a = find(&al, FRAUD_R_CEILING_HOUR);
	assert_non_null(a);
	assert_int_equal(a->mode, FRAUD_BLOCK);
	assert_int_equal(a->scope, FRAUD_SCOPE_USER);
	assert_int_equal(a->value, M(5));
	assert_int_equal(a->limit, M(5));
	assert_true(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0));

	/* New outbound calls refused with a clear reason. */
	d = call(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 360);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_BLOCKED);
	assert_int_equal(d.scope, FRAUD_SCOPE_USER);
	assert_string_equal(d.text, "hourly cost ceiling reached");
	/* Inbound and other users keep working. */
	assert_true(call_full(f, FRAUD_INBOUND, "alice", "", "33612345678",
	    NUMPLAN_MOBILE, T0 + 360)
	                .allow);
	assert_true(
	    call(f, "bob", "33612345678", NUMPLAN_MOBILE, T0 + 360).allow);

	assert_int_equal(
	    fraud_call_end(f, d.call_id, 55, T0 + 355, &cost, NULL),
	    -ENOENT); /* the refused call was never tracked */
	fraud_free(f);
}

/* The call that would cross is refused; the scope is not blocked while
 * its own spending stays under the ceiling. */
/* R-FRAUD-6, R-FRAUD-7: DISA and the outdials are refused until turned
 * on; emergency numbers pass from any origin; a forward is counted and
 * charged as the forwarding user's own call. */
static void
test_origins(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;
	struct fraud_call_info ci = {FRAUD_OUTBOUND, SV("alice"), SV_NULL,
	    SV("33144556677"), NUMPLAN_NATIONAL, &unit_min, FRAUD_ORIGIN_DISA};

	(void)state;
	fraud_config_defaults(&c);
	assert_false(c.disa_enabled);
	assert_false(c.outdial_enabled);
	assert_int_equal(fraud_new(&f, &c), 0);
	fraud_call_start(f, &ci, T0, &d);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_ORIGIN_OFF);
	ci.origin = FRAUD_ORIGIN_VM_CALLBACK;
	fraud_call_start(f, &ci, T0, &d);
	assert_int_equal(d.reason, FRAUD_R_ORIGIN_OFF);
	ci.origin = FRAUD_ORIGIN_IVR_OUTDIAL;
	fraud_call_start(f, &ci, T0, &d);
	assert_int_equal(d.reason, FRAUD_R_ORIGIN_OFF);
	ci.cls = NUMPLAN_EMERGENCY;
	ci.e164 = SV("112");
	fraud_call_start(f, &ci, T0, &d);
	assert_true(d.allow);
	ci.cls = NUMPLAN_NATIONAL;
	ci.e164 = SV("33144556677");
	ci.origin = FRAUD_ORIGIN_FORWARD;
	fraud_call_start(f, &ci, T0, &d);
	assert_true(d.allow);
	assert_int_not_equal(d.call_id, 0);
	ci.origin = (enum fraud_origin)99;
	fraud_call_start(f, &ci, T0, &d);
	assert_int_equal(d.reason, FRAUD_R_INVALID);
	fraud_free(f);
	c.disa_enabled = true;
	c.outdial_enabled = true;
	assert_int_equal(fraud_new(&f, &c), 0);
	ci.origin = FRAUD_ORIGIN_DISA;
	fraud_call_start(f, &ci, T0, &d);
	assert_true(d.allow);
	ci.origin = FRAUD_ORIGIN_IVR_OUTDIAL;
	fraud_call_start(f, &ci, T0 + 1, &d);
	assert_true(d.allow);
	fraud_free(f);
}

static void
test_ceiling_refuse_only(void **state)
{
	struct rating_rate pricey = {1000000, M(2), 0, 1, ""};
	struct fraud_call_info ci = {FRAUD_OUTBOUND, SV("alice"), SV_NULL,
	    SV("33899123456"), NUMPLAN_PREMIUM, &pricey,
	    FRAUD_ORIGIN_EXTENSION};
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.ceiling[FRAUD_SCOPE_USER].hour = M(1);
	f = make(&c);
	fraud_call_start(f, &ci, T0, &d);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_CEILING_HOUR);
	assert_non_null(find(&d.alerts, FRAUD_R_CEILING_HOUR));
	assert_int_equal(
	    find(&d.alerts, FRAUD_R_CEILING_HOUR)->mode, FRAUD_DENY);
	assert_false(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0));
	assert_true(
	    call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0).allow);
	fraud_free(f);
}

/* Blocks that end when the window rolls over, and calendar windows. */
static void
test_ceiling_window_roll(void **state)
{
	struct fraud_config c;
	struct fraud_block b[4];
	struct fraud_totals tot;
	struct fraud *f;
	uint64_t day_end = T0 - 10u * HOUR + DAY;

	(void)state;
	quiet(&c);
	c.ceiling_block_until_unblock = false;
	c.ceiling[FRAUD_SCOPE_USER].day = M(3);
	c.ceiling[FRAUD_SCOPE_USER].hour = M(2);
	f = make(&c);
	/* Hour ceiling: 2 units within the hour; lifted at 11:00. */
	assert_int_equal(
	    talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0, 120), M(2));
	assert_true(
	    fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0 + 200));
	assert_int_equal(fraud_export_blocks(f, T0 + 200, b, 4), 1);
	assert_int_equal(b[0].reason, FRAUD_R_CEILING_HOUR);
	assert_int_equal(b[0].until_s, T0 + HOUR);
	assert_false(
	    fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0 + HOUR));
	assert_int_equal(
	    fraud_totals(f, FRAUD_SCOPE_USER, SV("alice"), T0 + HOUR, &tot), 0);
	assert_int_equal(tot.hour, 0);
	assert_int_equal(tot.day, M(2));
	/* Day ceiling: one more unit the same day; lifted at midnight. */
	assert_int_equal(
	    talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + HOUR, 60),
	    M(1));
	assert_int_equal(fraud_export_blocks(f, T0 + HOUR + 100, b, 4), 1);
	assert_int_equal(b[0].reason, FRAUD_R_CEILING_DAY);
	assert_int_equal(b[0].until_s, day_end);
	assert_false(
	    call(f, "alice", "33142345678", NUMPLAN_NATIONAL, day_end - 1)
	        .allow);
	assert_true(
	    call(f, "alice", "33142345678", NUMPLAN_NATIONAL, day_end).allow);
	fraud_free(f);
}

/* Tenant and global ceilings, and fraud_unblock(). */
static void
test_ceiling_tenant_global(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;
	int64_t cost;

	(void)state;
	quiet(&c);
	f = make(&c);
	set_ceiling(f, FRAUD_SCOPE_TENANT, "acme", M(3), 0);
	d = call_full(f, FRAUD_OUTBOUND, "alice", "acme", "33142345678",
	    NUMPLAN_NATIONAL, T0);
	assert_true(d.allow);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0), 0);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 180, T0 + 180, &cost, NULL), 0);
	assert_int_equal(cost, M(3));
	assert_true(fraud_is_blocked(f, FRAUD_SCOPE_TENANT, SV("acme"), T0));
	assert_false(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0));
	d = call_full(f, FRAUD_OUTBOUND, "bob", "acme", "33142345678",
	    NUMPLAN_NATIONAL, T0 + 200);
	assert_false(d.allow);
	assert_int_equal(d.scope, FRAUD_SCOPE_TENANT);
	d = call_full(f, FRAUD_OUTBOUND, "carol", "other", "33142345678",
	    NUMPLAN_NATIONAL, T0 + 200);
	assert_true(d.allow);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 0, T0 + 201, NULL, NULL), 0);
	assert_int_equal(
	    fraud_unblock(f, FRAUD_SCOPE_TENANT, SV("acme"), T0 + 300), 0);
	assert_int_equal(
	    fraud_unblock(f, FRAUD_SCOPE_TENANT, SV("acme"), T0 + 300),
	    -ENOENT);
	assert_int_equal(
	    fraud_unblock(f, FRAUD_SCOPE_USER, SV("nobody"), T0 + 300),
	    -ENOENT);

	/* Global: the system's daily ceiling counts every user (3 + 2). */
	set_ceiling(f, FRAUD_SCOPE_GLOBAL, NULL, 0, M(5));
	assert_int_equal(
	    talk(f, "dave", "33142345678", NUMPLAN_NATIONAL, T0 + 400, 120),
	    M(2));
	d = call(f, "erin", "33142345678", NUMPLAN_NATIONAL, T0 + 500);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_BLOCKED);
	assert_int_equal(d.scope, FRAUD_SCOPE_GLOBAL);
	assert_string_equal(d.text, "daily cost ceiling reached");
	assert_true(call(f, "erin", "17", NUMPLAN_EMERGENCY, T0 + 500).allow);
	fraud_free(f);
}

/* cut_running off: running calls go on, new ones are refused. */
static void
test_no_cut(void **state)
{
	struct fraud_config c;
	struct fraud_decision d, d2;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.cut_running = false;
	c.lookahead_s = 0;
	c.ceiling[FRAUD_SCOPE_USER].hour = M(2);
	f = make(&c);
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0);
	d2 = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_true(d.allow && d2.allow);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0), 0);
	assert_int_equal(fraud_call_answer(f, d2.call_id, T0), 0);
	/* Two calls of one minute each: 2 units between them. */
	assert_false(fraud_call_tick(f, d.call_id, T0 + 60, NULL));
	assert_false(fraud_call_tick(f, d2.call_id, T0 + 60, NULL));
	assert_true(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0));
	assert_false(
	    call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + 61).allow);
	/* Unanswered calls cost nothing. */
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 0, T0 + 62, NULL, NULL), 0);
	assert_int_equal(
	    fraud_call_end(f, d2.call_id, 120, T0 + 120, NULL, NULL), 0);
	assert_false(fraud_call_tick(f, d2.call_id, T0 + 130, NULL));
	assert_int_equal(fraud_call_answer(f, d2.call_id, T0), -ENOENT);
	fraud_free(f);
}

static void
test_rule_call_rate(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.call_rate = (struct fraud_rule_cfg){FRAUD_DENY, 3, 0};
	f = make(&c);
	for (unsigned i = 0; i < 3; i++)
		talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + i, 0);
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + 10);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_CALL_RATE);
	assert_int_equal(find(&d.alerts, FRAUD_R_CALL_RATE)->value, 4);
	assert_false(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0));
	/* Another user is not affected; a minute later the user is not. */
	assert_true(call(f, "bob", "33142345678", NUMPLAN_NATIONAL, T0).allow);
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + 70);
	assert_true(d.allow);
	assert_null(find(&d.alerts, FRAUD_R_CALL_RATE));
	fraud_free(f);
}

static void
test_rule_concurrent(void **state)
{
	struct fraud_config c;
	struct fraud_decision d, a, b;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.concurrent_user = (struct fraud_rule_cfg){FRAUD_DENY, 2, 0};
	c.concurrent_intl = (struct fraud_rule_cfg){FRAUD_ALERT, 1, 0};
	f = make(&c);
	a = call(f, "alice", "442079460000", NUMPLAN_INTERNATIONAL, T0);
	assert_true(a.allow);
	assert_int_equal(a.alerts.n, 0);
	/* A second international call, by anyone: alert only. */
	b = call(f, "bob", "4930123456", NUMPLAN_INTERNATIONAL, T0);
	assert_true(b.allow);
	assert_non_null(find(&b.alerts, FRAUD_R_CONCURRENT_INTL));
	assert_int_equal(
	    find(&b.alerts, FRAUD_R_CONCURRENT_INTL)->mode, FRAUD_ALERT);
	/* National calls are not international. */
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_true(d.allow);
	assert_int_equal(d.alerts.n, 0);
	/* A third call of alice's at once. */
	d = call(f, "alice", "33142345679", NUMPLAN_NATIONAL, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_CONCURRENT_USER);
	assert_int_equal(
	    fraud_call_end(f, a.call_id, 0, T0 + 1, NULL, NULL), 0);
	d = call(f, "alice", "33142345679", NUMPLAN_NATIONAL, T0 + 2);
	assert_true(d.allow);
	/* Deny mode for international. */
	fraud_free(f);
	c.concurrent_intl.mode = FRAUD_DENY;
	f = make(&c);
	assert_true(
	    call(f, "alice", "442079460000", NUMPLAN_INTERNATIONAL, T0).allow);
	d = call(f, "bob", "881612345678", NUMPLAN_HIGH_RISK, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_CONCURRENT_INTL);
	assert_int_equal(d.scope, FRAUD_SCOPE_USER);
	fraud_free(f);
}

static void
test_rule_first_country(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.first_country_user.mode = FRAUD_ALERT;
	c.first_country_system.mode = FRAUD_ALERT;
	f = make(&c);
	d = call(f, "alice", "442079460000", NUMPLAN_INTERNATIONAL, T0);
	assert_true(d.allow);
	assert_int_equal(d.alerts.n, 2);
	assert_int_equal(find(&d.alerts, FRAUD_R_FIRST_COUNTRY_USER)->scope,
	    FRAUD_SCOPE_USER);
	assert_int_equal(find(&d.alerts, FRAUD_R_FIRST_COUNTRY_SYSTEM)->scope,
	    FRAUD_SCOPE_GLOBAL);
	/* Known now, for alice and the system. */
	d = call(f, "alice", "441612345678", NUMPLAN_INTERNATIONAL, T0 + 1);
	assert_int_equal(d.alerts.n, 0);
	d = call(f, "bob", "441612345678", NUMPLAN_INTERNATIONAL, T0 + 2);
	assert_int_equal(d.alerts.n, 1);
	assert_non_null(find(&d.alerts, FRAUD_R_FIRST_COUNTRY_USER));
	/* +1 and +12 are the same country; national calls never alert. */
	d = call(f, "bob", "12125550100", NUMPLAN_INTERNATIONAL, T0 + 3);
	assert_int_equal(d.alerts.n, 2);
	d = call(f, "bob", "13125550100", NUMPLAN_INTERNATIONAL, T0 + 4);
	assert_int_equal(d.alerts.n, 0);
	d = call(f, "bob", "33142345678", NUMPLAN_NATIONAL, T0 + 5);
	assert_int_equal(d.alerts.n, 0);
	fraud_free(f);

	/* Block mode: refused and blocked; learnt countries pass. */
	c.first_country_system.mode = FRAUD_OFF;
	c.first_country_user.mode = FRAUD_BLOCK;
	f = make(&c);
	assert_int_equal(
	    fraud_learn_country(f, SV("alice"), SV("4930123456")), 0);
	assert_int_equal(fraud_learn_country(f, SV_NULL, SV("0")), -EINVAL);
	assert_int_equal(fraud_learn_country(f, SV_NULL, SV("4930")), 0);
	d = call(f, "alice", "4930123456", NUMPLAN_INTERNATIONAL, T0);
	assert_true(d.allow);
	d = call(f, "alice", "5511987654321", NUMPLAN_INTERNATIONAL, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_FIRST_COUNTRY_USER);
	assert_int_equal(
	    find(&d.alerts, FRAUD_R_FIRST_COUNTRY_USER)->mode, FRAUD_BLOCK);
	assert_true(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("alice"), T0));
	/* Refused calls teach nothing. */
	assert_int_equal(
	    fraud_unblock(f, FRAUD_SCOPE_USER, SV("alice"), T0), 0);
	d = call(f, "alice", "5511987654321", NUMPLAN_INTERNATIONAL, T0);
	assert_false(d.allow);
	fraud_free(f);
}

static void
test_rule_off_hours(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.off_hours_intl.mode = FRAUD_ALERT;
	c.tz_offset_min = 60; /* Paris, winter */
	f = make(&c);
	/* Monday 10:00 UTC is 11:00 in Paris. */
	d = call(f, "alice", "442079460000", NUMPLAN_INTERNATIONAL, T0);
	assert_int_equal(d.alerts.n, 0);
	/* 18:30 UTC is 19:30 in Paris: after hours. */
	d = call(f, "alice", "442079460000", NUMPLAN_INTERNATIONAL,
	    T0 + 8u * HOUR + 1800u);
	assert_true(d.allow);
	assert_non_null(find(&d.alerts, FRAUD_R_OFF_HOURS_INTL));
	/* 17:30 UTC is 18:30 in Paris: open. */
	d = call(f, "alice", "442079460000", NUMPLAN_INTERNATIONAL,
	    T0 + 7u * HOUR + 1800u);
	assert_int_equal(d.alerts.n, 0);
	/* National calls at night: nothing. */
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + 12u * HOUR);
	assert_int_equal(d.alerts.n, 0);
	/* Saturday. */
	d = call(
	    f, "alice", "442079460000", NUMPLAN_INTERNATIONAL, T0 + 5u * DAY);
	assert_non_null(find(&d.alerts, FRAUD_R_OFF_HOURS_INTL));
	fraud_free(f);
}

static void
test_rule_sequential(void **state)
{
	static const char *const run[] = {
	    "33142345601", "33142345602", "33142345605", "33142345610"};
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.sequential = (struct fraud_rule_cfg){FRAUD_BLOCK, 4, 600};
	c.seq_tail_digits = 2;
	f = make(&c);
	/* Not increasing, other prefix: no war dialing. */
	talk(f, "alice", "33142345601", NUMPLAN_NATIONAL, T0, 0);
	talk(f, "alice", "33142345603", NUMPLAN_NATIONAL, T0 + 1, 0);
	talk(f, "alice", "33142345602", NUMPLAN_NATIONAL, T0 + 2, 0);
	talk(f, "alice", "33142345604", NUMPLAN_NATIONAL, T0 + 3, 0);
	talk(f, "alice", "33142346605", NUMPLAN_NATIONAL, T0 + 4, 0);
	talk(f, "alice", "33142346606", NUMPLAN_NATIONAL, T0 + 5, 0);
	talk(f, "alice", "33142346607", NUMPLAN_NATIONAL, T0 + 6, 0);
	/* Too slow: outside the window. */
	talk(f, "bob", run[0], NUMPLAN_NATIONAL, T0, 0);
	talk(f, "bob", run[1], NUMPLAN_NATIONAL, T0 + 300, 0);
	talk(f, "bob", run[2], NUMPLAN_NATIONAL, T0 + 700, 0);
	d = call(f, "bob", run[3], NUMPLAN_NATIONAL, T0 + 1000);
	assert_true(d.allow);
	assert_int_equal(d.alerts.n, 0);
	/* A run of 4 within the window. */
	for (unsigned i = 0; i < 3; i++)
		talk(f, "carol", run[i], NUMPLAN_NATIONAL, T0 + i, 0);
	d = call(f, "carol", run[3], NUMPLAN_NATIONAL, T0 + 3);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_SEQUENTIAL);
	assert_int_equal(find(&d.alerts, FRAUD_R_SEQUENTIAL)->value, 4);
	assert_true(fraud_is_blocked(f, FRAUD_SCOPE_USER, SV("carol"), T0));
	fraud_free(f);
}

static void
test_rule_short_burst(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.short_burst = (struct fraud_rule_cfg){FRAUD_DENY, 3, 600};
	c.short_s = 10;
	f = make(&c);
	/* Unanswered and long calls are not short calls. */
	talk(f, "alice", "33612345678", NUMPLAN_MOBILE, T0, 0);
	talk(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 10, 10);
	talk(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 30, 5);
	talk(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 40, 9);
	d = call(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 60);
	assert_true(d.allow);
	assert_int_equal(d.alerts.n, 0);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0 + 60), 0);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 3, T0 + 63, NULL, NULL), 0);
	d = call(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 70);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_SHORT_BURST);
	assert_int_equal(find(&d.alerts, FRAUD_R_SHORT_BURST)->value, 3);
	/* Once the window has passed. */
	d = call(f, "alice", "33612345678", NUMPLAN_MOBILE, T0 + 700);
	assert_true(d.allow);
	fraud_free(f);
}

static void
test_rule_spend_spike(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.spend_spike = (struct fraud_rule_cfg){FRAUD_ALERT, 0, 0};
	c.spike_factor_pct = 300;
	c.spike_alpha_pct = 50;
	c.spike_min_spend = M(1);
	f = make(&c);
	/* No history: the floor applies. */
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_int_equal(d.alerts.n, 0);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0), 0);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 120, T0 + 120, NULL, NULL), 0);
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + 200);
	assert_non_null(find(&d.alerts, FRAUD_R_SPEND_SPIKE));
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 0, T0 + 201, NULL, NULL), 0);
	/* Next hour: usual is 2, the limit 6. */
	talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + HOUR, 300);
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + HOUR + 400);
	assert_int_equal(d.alerts.n, 0);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0 + HOUR + 400), 0);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 60, T0 + HOUR + 460, NULL, NULL), 0);
	d = call(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0 + HOUR + 500);
	assert_true(d.allow);
	assert_non_null(find(&d.alerts, FRAUD_R_SPEND_SPIKE));
	assert_int_equal(find(&d.alerts, FRAUD_R_SPEND_SPIKE)->limit, M(6));
	fraud_free(f);
}

/* Blocks survive a restart through export and import. */
static void
test_persistence(void **state)
{
	struct fraud_config c;
	struct fraud_block b[8], old;
	struct fraud *f, *g;
	size_t n;

	(void)state;
	quiet(&c);
	c.ceiling[FRAUD_SCOPE_USER].hour = M(1);
	f = make(&c);
	talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0, 60);
	assert_int_equal(fraud_block(f, FRAUD_SCOPE_TENANT, SV("acme"), T0), 0);
	assert_int_equal(
	    fraud_block(f, FRAUD_SCOPE_GLOBAL, SV_NULL, T0 + 5), 0);
	assert_int_equal(fraud_block(f, FRAUD_SCOPE_USER, SV(""), T0), -EINVAL);
	n = fraud_export_blocks(f, T0 + 100, NULL, 0);
	assert_int_equal(n, 3);
	assert_int_equal(fraud_export_blocks(f, T0 + 100, b, 1), 3);
	assert_int_equal(fraud_export_blocks(f, T0 + 100, b, 8), 3);
	fraud_free(f);

	g = make(&c);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fraud_import_block(g, &b[i], T0 + 200), 0);
	assert_true(
	    fraud_is_blocked(g, FRAUD_SCOPE_USER, SV("alice"), T0 + 200));
	assert_true(fraud_is_blocked(g, FRAUD_SCOPE_TENANT, SV("acme"), T0));
	assert_true(fraud_is_blocked(g, FRAUD_SCOPE_GLOBAL, SV_NULL, T0));
	assert_false(fraud_is_blocked(g, FRAUD_SCOPE_USER, SV("bob"), T0));
	for (size_t i = 0; i < n; i++) {
		if (b[i].scope == FRAUD_SCOPE_USER) {
			assert_string_equal(b[i].name, "alice");
			assert_int_equal(b[i].reason, FRAUD_R_CEILING_HOUR);
			assert_int_equal(b[i].since_s, T0 + 60);
			assert_int_equal(b[i].until_s, 0);
		} else if (b[i].scope == FRAUD_SCOPE_GLOBAL) {
			assert_string_equal(b[i].name, "");
			assert_int_equal(b[i].reason, FRAUD_R_MANUAL);
			assert_int_equal(b[i].since_s, T0 + 5);
		}
	}
	/* Emergency still passes. */
	assert_true(call(g, "alice", "112", NUMPLAN_EMERGENCY, T0).allow);
	assert_false(
	    call(g, "bob", "33142345678", NUMPLAN_NATIONAL, T0 + 300).allow);

	/* Bad and stale records. */
	memset(&old, 0, sizeof(old));
	old.scope = FRAUD_SCOPE_USER;
	memcpy(old.name, "zed", 4);
	old.reason = FRAUD_R_CEILING_DAY;
	old.until_s = T0;
	assert_int_equal(fraud_import_block(g, &old, T0), -ETIME);
	old.until_s = 0;
	old.reason = FRAUD_R_NONE;
	assert_int_equal(fraud_import_block(g, &old, T0), -EINVAL);
	old.reason = FRAUD_R_COUNT;
	assert_int_equal(fraud_import_block(g, &old, T0), -EINVAL);
	old.reason = FRAUD_R_MANUAL;
	memset(old.name, 'a', sizeof(old.name));
	assert_int_equal(fraud_import_block(g, &old, T0), -EINVAL);
	old.name[0] = '\0';
	assert_int_equal(fraud_import_block(g, &old, T0), -EINVAL);
	old.scope = (enum fraud_scope)7;
	memcpy(old.name, "zed", 4);
	assert_int_equal(fraud_import_block(g, &old, T0), -EINVAL);
	fraud_free(g);
}

static void
test_tables_full(void **state)
{
	struct fraud_config c;
	struct fraud_decision d;
	struct fraud *f;

	(void)state;
	quiet(&c);
	c.max_users = 2;
	c.max_tenants = 0;
	c.max_calls = 2;
	f = make(&c);
	assert_true(call(f, "a", "33142345678", NUMPLAN_NATIONAL, T0).allow);
	assert_true(call(f, "b", "33142345678", NUMPLAN_NATIONAL, T0).allow);
	d = call(f, "c", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_TABLE_FULL);
	assert_non_null(find(&d.alerts, FRAUD_R_TABLE_FULL));
	/* Emergency needs no room. */
	assert_true(call(f, "c", "112", NUMPLAN_EMERGENCY, T0).allow);
	d = call(f, "a", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_TABLE_FULL);
	d = call_full(f, FRAUD_OUTBOUND, "a", "acme", "33142345678",
	    NUMPLAN_NATIONAL, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_TABLE_FULL);
	assert_int_equal(
	    fraud_block(f, FRAUD_SCOPE_USER, SV("z"), T0), -ENOSPC);
	fraud_free(f);
}

static void
test_ids_and_args(void **state)
{
	struct fraud_config c;
	struct fraud_decision d, e;
	struct fraud_totals tot;
	struct fraud *f;
	char big[FRAUD_NAME_MAX + 2];

	(void)state;
	quiet(&c);
	c.max_calls = 1;
	f = make(&c);
	d = call(f, "", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_false(d.allow);
	assert_int_equal(d.reason, FRAUD_R_INVALID);
	memset(big, 'u', sizeof(big));
	big[FRAUD_NAME_MAX + 1] = '\0';
	d = call(f, big, "33142345678", NUMPLAN_NATIONAL, T0);
	assert_int_equal(d.reason, FRAUD_R_INVALID);
	big[FRAUD_NAME_MAX] = '\0';
	d = call(f, big, "33142345678", NUMPLAN_NATIONAL, T0);
	assert_true(d.allow);
	assert_int_equal(fraud_call_end(f, d.call_id, 0, T0, NULL, NULL), 0);
	/* The slot is reused under a new id; the old one is dead. */
	e = call(f, "bob", "33142345678", NUMPLAN_NATIONAL, T0);
	assert_true(e.allow);
	assert_true(e.call_id != d.call_id);
	assert_int_equal(
	    fraud_call_end(f, d.call_id, 0, T0, NULL, NULL), -ENOENT);
	assert_false(fraud_call_tick(f, d.call_id, T0, NULL));
	assert_int_equal(fraud_call_answer(f, 0, T0), -ENOENT);
	assert_int_equal(fraud_call_answer(f, 5, T0), -ENOENT);
	assert_int_equal(fraud_call_answer(f, UINT64_MAX, T0), -ENOENT);
	assert_int_equal(
	    fraud_totals(f, FRAUD_SCOPE_USER, SV("nobody"), T0, &tot), 0);
	assert_int_equal(tot.hour, 0);
	assert_int_equal(
	    fraud_totals(f, FRAUD_SCOPE_GLOBAL, SV_NULL, T0, &tot), 0);
	assert_int_equal(tot.active_calls, 1);
	assert_int_equal(
	    fraud_totals(f, FRAUD_SCOPE_USER, SV_NULL, T0, &tot), -EINVAL);
	{
		struct fraud_ceiling neg = {-1, 0};

		assert_int_equal(
		    fraud_set_ceiling(f, FRAUD_SCOPE_USER, SV("bob"), &neg),
		    -EINVAL);
	}
	assert_string_equal(fraud_reason_text(FRAUD_R_COUNT), "?");
	for (unsigned r = 0; r < FRAUD_R_COUNT; r++)
		assert_non_null(fraud_reason_text((enum fraud_reason)r));
	fraud_free(f);
	fraud_free(NULL);
}

static void
test_config(void **state)
{
	struct fraud_config c;
	struct fraud *f = NULL;
	int rc;

	(void)state;
	fraud_config_defaults(&c);
	f = make(&c);
	fraud_free(f);
#define BAD(stmt)                                                              \
	do {                                                                   \
		fraud_config_defaults(&c);                                     \
		stmt;                                                          \
		assert_int_equal(fraud_new(&f, &c), -EINVAL);                  \
	} while (0)
	BAD(c.max_users = 0);
	BAD(c.max_calls = 0);
	BAD(c.max_calls = FRAUD_CALLS_MAX + 1);
	BAD(c.call_rate.count = FRAUD_RATE_MAX);
	BAD(c.call_rate.count = 0);
	BAD(c.sequential.count = 1);
	BAD(c.sequential.count = FRAUD_SEQ_MAX + 1);
	BAD(c.seq_tail_digits = 5);
	BAD(c.short_burst.count = FRAUD_SHORT_MAX + 1);
	BAD(c.spike_factor_pct = 99);
	BAD(c.spike_alpha_pct = 0);
	BAD(c.tz_offset_min = 25 * 60);
	BAD(c.ceiling[FRAUD_SCOPE_TENANT].day = -1);
	BAD(c.call_rate.mode = (enum fraud_mode)9);
#undef BAD
	fraud_config_defaults(&c);
	for (unsigned long n = 1;; n++) {
		f = NULL;
		mem_fail_nth(n);
		rc = fraud_new(&f, &c);
		mem_fail_nth(0);
		fraud_free(f);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
	}
}

/* R-OPS-1: what supervision reads: the system first, then each user,
 * with the ceilings in force, blocks and a call's projection. */
static void
test_export_spend(void **state)
{
	struct fraud_spend sp[4];
	struct fraud_decision d;
	struct fraud_config c;
	struct fraud *f;
	int64_t proj = -1;
	size_t n;

	(void)state;
	quiet(&c);
	c.ceiling[FRAUD_SCOPE_USER].day = M(50);
	f = make(&c);
	assert_int_equal(fraud_export_spend(f, T0, NULL, 0), 1);
	set_ceiling(f, FRAUD_SCOPE_USER, "alice", M(5), M(20));
	assert_int_equal(
	    talk(f, "alice", "33142345678", NUMPLAN_NATIONAL, T0, 240), M(4));
	d = call(f, "bob", "33142345678", NUMPLAN_NATIONAL, T0 + 10);
	assert_true(d.allow);
	assert_int_equal(fraud_call_answer(f, d.call_id, T0 + 10), 0);
	assert_int_equal(fraud_call_projection(f, d.call_id, &proj), 0);
	assert_true(proj > 0);
	assert_int_equal(fraud_call_projection(f, 12345, &proj), -ENOENT);
	assert_int_equal(fraud_block(f, FRAUD_SCOPE_USER, SV("bob"), T0), 0);
	n = fraud_export_spend(f, T0 + 11, sp, 4);
	assert_int_equal(n, 3);
	assert_int_equal(sp[0].scope, FRAUD_SCOPE_GLOBAL);
	assert_string_equal(sp[0].name, "");
	assert_int_equal(sp[0].t.day, M(4) + proj);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(sp[i].scope, FRAUD_SCOPE_USER);
		if (strcmp(sp[i].name, "alice") == 0) {
			assert_int_equal(sp[i].t.day, M(4));
			assert_int_equal(sp[i].ceiling.hour, M(5));
			assert_int_equal(sp[i].ceiling.day, M(20));
			assert_false(sp[i].blocked);
		} else {
			assert_string_equal(sp[i].name, "bob");
			assert_int_equal(sp[i].t.active_calls, 1);
			/* No ceiling of its own: the default. */
			assert_int_equal(sp[i].ceiling.day, M(50));
			assert_true(sp[i].blocked);
		}
	}
	/* A short array still gives the count. */
	assert_int_equal(fraud_export_spend(f, T0 + 11, sp, 1), 3);
	fraud_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_emergency_always),
	    cmocka_unit_test(test_ceiling_user),
	    cmocka_unit_test(test_ceiling_refuse_only),

	    cmocka_unit_test(test_origins),
	    cmocka_unit_test(test_ceiling_window_roll),
	    cmocka_unit_test(test_ceiling_tenant_global),
	    cmocka_unit_test(test_no_cut),
	    cmocka_unit_test(test_rule_call_rate),
	    cmocka_unit_test(test_rule_concurrent),
	    cmocka_unit_test(test_rule_first_country),
	    cmocka_unit_test(test_rule_off_hours),
	    cmocka_unit_test(test_rule_sequential),
	    cmocka_unit_test(test_rule_short_burst),
	    cmocka_unit_test(test_rule_spend_spike),
	    cmocka_unit_test(test_persistence),
	    cmocka_unit_test(test_tables_full),
	    cmocka_unit_test(test_ids_and_args),
	    cmocka_unit_test(test_config),
	    cmocka_unit_test(test_export_spend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
