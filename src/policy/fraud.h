/* The anti-fraud engine: cost ceilings, blocks, velocity and anomaly
 * rules (R-FRAUD-3, R-FRAUD-4, R-FRAUD-5).
 *
 * In memory, one engine per signalling thread, used from that thread
 * only; no I/O, no locks, no allocation after fraud_new(). Time is Unix
 * seconds (UTC) passed in by the caller; hourly and daily windows are
 * calendar hours and days at the configured UTC offset. Rights (which
 * classes a user may call) are checked before, by policy/rights.h.
 *
 * Counting. Each user, each tenant and the whole system have an hourly
 * and a daily total: the cost of the calls that ended in the window
 * (rating_cost()) plus the projected cost of the calls in progress
 * (rating_projected(), refreshed by fraud_call_tick()). A call counts in
 * the window in which it ends.
 *
 * Ceilings. Per scope, hourly and daily (0: none); the defaults in the
 * config apply to every user and tenant unless fraud_set_ceiling() sets
 * one for it. A new outbound call is refused when a total plus the new
 * call's first projection (setup and first increment) reaches a
 * ceiling; once a total itself reaches one, the scope is blocked.
 * fraud_call_tick() reports a call to cut when its projection makes a
 * total cross a ceiling (or a scope of the call is blocked) and
 * 'cut_running' is set. A block lasts until fraud_unblock(), or, when
 * 'ceiling_block_until_unblock' is false, until the window of the ceiling
 * rolls over. Blocks survive restarts through fraud_export_blocks() and
 * fraud_import_block(); the caller stores them.
 *
 * Emergency calls are always allowed, never counted and never cut.
 * Internal calls and inbound calls are never refused by ceilings, blocks
 * or rules, and are not tracked (the caller need not report them).
 *
 * Rules, each FRAUD_OFF, FRAUD_ALERT (report, allow), FRAUD_DENY (refuse
 * this call) or FRAUD_BLOCK (refuse and block the user until
 * fraud_unblock()):
 *   CALL_RATE        > max call attempts by the user in 60 s;
 *   CONCURRENT_USER  > max outbound calls of the user at once;
 *   CONCURRENT_INTL  > max international (and high-risk) calls at once
 *                    across the system;
 *   FIRST_COUNTRY_USER / FIRST_COUNTRY_SYSTEM  the first international
 *                    call from this user (from anyone) to a country code;
 *                    the country is learnt when the call is allowed;
 *   OFF_HOURS_INTL   an international call outside business hours;
 *   SEQUENTIAL       war dialing: the new number and the user's previous
 *                    count - 1 attempts within window_s share all digits
 *                    but the last 'tail_digits' and rise strictly;
 *   SHORT_BURST      the user had >= count answered calls shorter than
 *                    short_s ending within window_s;
 *   SPEND_SPIKE      the user's hourly total would exceed factor_pct/100
 *                    times its usual hourly spend (an exponential moving
 *                    average of past hours, weight alpha_pct/100 per
 *                    hour) and min_spend.
 * Attempts count for CALL_RATE and SEQUENTIAL even when refused.
 *
 * Memory bound: fixed at fraud_new(): max_users and max_tenants entries
 * (1.4 KB each: the defaults take 7 MB) and max_calls calls (104 bytes
 * each). When a table is full, new
 * outbound calls of unknown users are refused (fail closed) with
 * FRAUD_R_TABLE_FULL. */
#ifndef RP_POLICY_FRAUD_H
#define RP_POLICY_FRAUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/numplan.h"
#include "policy/rating.h"
#include "policy/rights.h"

#define FRAUD_NAME_MAX 64u
#define FRAUD_USERS_MAX (1u << 20)
#define FRAUD_CALLS_MAX (1u << 20)
/* Largest thresholds the per-user history keeps room for. */
#define FRAUD_RATE_MAX 32u
#define FRAUD_SEQ_MAX 16u
#define FRAUD_SHORT_MAX 32u
/* Alerts one call can report. */
#define FRAUD_ALERTS_MAX 12u

enum fraud_mode {
	FRAUD_OFF,
	FRAUD_ALERT,
	FRAUD_DENY,
	FRAUD_BLOCK,
};

enum fraud_scope {
	FRAUD_SCOPE_USER,
	FRAUD_SCOPE_TENANT,
	FRAUD_SCOPE_GLOBAL,
	FRAUD_SCOPE_COUNT
};

enum fraud_reason {
	FRAUD_R_NONE,
	FRAUD_R_CEILING_HOUR,
	FRAUD_R_CEILING_DAY,
	FRAUD_R_CALL_RATE,
	FRAUD_R_CONCURRENT_USER,
	FRAUD_R_CONCURRENT_INTL,
	FRAUD_R_FIRST_COUNTRY_USER,
	FRAUD_R_FIRST_COUNTRY_SYSTEM,
	FRAUD_R_OFF_HOURS_INTL,
	FRAUD_R_SEQUENTIAL,
	FRAUD_R_SHORT_BURST,
	FRAUD_R_SPEND_SPIKE,
	FRAUD_R_MANUAL,     /* blocked by an admin */
	FRAUD_R_BLOCKED,    /* refused: a scope of the call is blocked */
	FRAUD_R_TABLE_FULL, /* refused: no room to track the caller */
	FRAUD_R_INVALID,    /* refused: bad arguments (name too long) */
	FRAUD_R_UNBLOCKED,  /* event: a block was lifted */
	FRAUD_R_ORIGIN_OFF, /* refused: DISA or outdial is turned off */
	FRAUD_R_COUNT
};

/* Static text of a reason, for the 403 reason phrase and the logs. */
const char *fraud_reason_text(enum fraud_reason r);

struct fraud_rule_cfg {
	enum fraud_mode mode;
	uint32_t count;    /* CALL_RATE, CONCURRENT_*: max; SEQUENTIAL,
	                      SHORT_BURST: calls that trigger */
	uint32_t window_s; /* SEQUENTIAL, SHORT_BURST */
};

struct fraud_ceiling {
	int64_t hour; /* micro-units; 0: none */
	int64_t day;
};

struct fraud_config {
	uint32_t max_users;
	uint32_t max_tenants;
	uint32_t max_calls;
	int32_t tz_offset_min; /* calendar windows and business hours */
	struct fraud_ceiling ceiling[FRAUD_SCOPE_COUNT];
	bool cut_running;
	bool ceiling_block_until_unblock;
	/* DISA, and the outdials (voicemail callback, IVR): off unless
	 * turned on (R-FRAUD-6). */
	bool disa_enabled;
	bool outdial_enabled;
	/* Added to a call's age when projecting, so that a call is cut
	 * before it crosses rather than after (one tick period). */
	uint32_t lookahead_s;
	struct fraud_rule_cfg call_rate;
	struct fraud_rule_cfg concurrent_user;
	struct fraud_rule_cfg concurrent_intl;
	struct fraud_rule_cfg first_country_user;
	struct fraud_rule_cfg first_country_system;
	struct fraud_rule_cfg off_hours_intl;
	struct rights_window business_hours;
	struct fraud_rule_cfg sequential;
	uint32_t seq_tail_digits; /* 1..4 */
	struct fraud_rule_cfg short_burst;
	uint32_t short_s;
	struct fraud_rule_cfg spend_spike;
	uint32_t spike_factor_pct; /* >= 100 */
	uint32_t spike_alpha_pct;  /* 1..100 */
	int64_t spike_min_spend;   /* below it, no spike */
};

/* Defaults: 4,096 users, 1,024 tenants, 4,096 calls, UTC; no ceilings
 * (the admin sets them from the rate table's currency); running calls
 * cut; ceiling blocks last until an admin lifts them; 10 s lookahead.
 * Rules: 10 calls/min (deny), 4 concurrent per user (deny), 10
 * international at once (alert), first country per user (alert) and
 * system (alert), international outside Mon-Fri 08:00-19:00 (alert), 5
 * sequential numbers differing in the last 2 digits within 600 s
 * (block), 10 calls under 10 s within 600 s (alert), spend above 5x the
 * usual and above 10 units in an hour (alert, weight 10 %). */
void fraud_config_defaults(struct fraud_config *cfg);

struct fraud_alert {
	enum fraud_reason reason;
	enum fraud_mode mode;   /* what was done: ALERT, DENY or BLOCK */
	enum fraud_scope scope; /* who: the user, tenant or system */
	const char *text;       /* static */
	int64_t value;          /* count or micro-units that triggered */
	int64_t limit;
};

struct fraud_alerts {
	unsigned n;
	struct fraud_alert a[FRAUD_ALERTS_MAX];
};

enum fraud_dir {
	FRAUD_OUTBOUND,
	FRAUD_INBOUND,
};

/* Who places an outbound call (R-FRAUD-6, R-FRAUD-7). Every origin is
 * decided, counted and charged to 'user' like the user's own calls: a
 * forward or alternate to an outside number is charged to the user who
 * forwards. DISA and the outdials (voicemail callback, IVR) are refused
 * unless the config turns them on. */
enum fraud_origin {
	FRAUD_ORIGIN_EXTENSION, /* the user dials */
	FRAUD_ORIGIN_FORWARD,   /* a forward or alternate of the user */
	FRAUD_ORIGIN_DISA,      /* direct inward system access */
	FRAUD_ORIGIN_VM_CALLBACK,
	FRAUD_ORIGIN_IVR_OUTDIAL,
};

struct fraud_call_info {
	enum fraud_dir dir;
	struct sv user;   /* authenticated user; at most FRAUD_NAME_MAX */
	struct sv tenant; /* empty: no tenant scope */
	struct sv e164;   /* numplan_result.number */
	enum numplan_class cls;
	const struct rating_rate *rate; /* copied; NULL: free */
	enum fraud_origin origin;       /* 0: the user's own call */
};

struct fraud_decision {
	bool allow;
	enum fraud_reason reason;
	enum fraud_scope scope;     /* of the ceiling or block that refused */
	const char *text;           /* static: for the 403 reason phrase */
	uint64_t call_id;           /* 0: not tracked (refused, inbound,
	                               internal, emergency) */
	struct fraud_alerts alerts; /* every rule hit, block and ceiling */
};

struct fraud;

/* Returns 0, -EINVAL (a field out of range) or -ENOMEM. Free with
 * fraud_free(). */
int fraud_new(struct fraud **out, const struct fraud_config *cfg) RP_MUST_CHECK;
void fraud_free(struct fraud *f);

/* Decides on a new call and, if it is allowed and outbound, starts
 * tracking it: the caller reports its end with fraud_call_end(). */
void fraud_call_start(struct fraud *f, const struct fraud_call_info *call,
    uint64_t now_s, struct fraud_decision *out);
/* The call was answered at 'now_s': its cost runs from there. Calls
 * never answered cost nothing. Returns 0 or -ENOENT. */
int fraud_call_answer(struct fraud *f, uint64_t call_id, uint64_t now_s);
/* Refreshes a running call's projection. Returns true when the call
 * must be cut: 'cut_running' and a ceiling of its user, tenant or the
 * system is reached (blocking it), or one of them is blocked. 'alerts'
 * (may be NULL) gets the ceilings crossed. Unknown ids: false. */
bool fraud_call_tick(struct fraud *f, uint64_t call_id, uint64_t now_s,
    struct fraud_alerts *alerts);
/* The call ended after 'duration_s' seconds of conversation (0: never
 * answered). Adds its cost to the totals and blocks the scopes whose
 * ceilings it reaches. *cost (may be NULL) gets its cost. Returns 0 or
 * -ENOENT. */
int fraud_call_end(struct fraud *f, uint64_t call_id, uint64_t duration_s,
    uint64_t now_s, int64_t *cost, struct fraud_alerts *alerts);

/* Sets the ceilings of one user or tenant (FRAUD_SCOPE_GLOBAL: name
 * ignored, the system's). Returns 0, -EINVAL or -ENOSPC (table full). */
int fraud_set_ceiling(struct fraud *f, enum fraud_scope scope, struct sv name,
    const struct fraud_ceiling *c) RP_MUST_CHECK;

/* Turns DISA and the outdials on or off in place (R-FRAUD-6,
 * R-FRAUD-7): they are switches, not rules, so a change keeps the
 * counters. */
void fraud_set_origins(struct fraud *f, bool disa, bool outdial);

/* Spent totals of a scope in the current windows, projections included. */
struct fraud_totals {
	int64_t hour;
	int64_t day;
	uint32_t active_calls;
};
int fraud_totals(struct fraud *f, enum fraud_scope scope, struct sv name,
    uint64_t now_s, struct fraud_totals *out) RP_MUST_CHECK;

/* One scope's spend for supervision: its totals, the ceilings in
 * force (its own or the default) and whether it is blocked. */
struct fraud_spend {
	enum fraud_scope scope;
	char name[FRAUD_NAME_MAX + 1]; /* "" for the system */
	struct fraud_totals t;
	struct fraud_ceiling ceiling;
	bool blocked;
};
/* Copies the system's spend, then that of each user and tenant the
 * engine knows, into 'out' (up to 'max'); returns how many there are. */
size_t fraud_export_spend(
    struct fraud *f, uint64_t now_s, struct fraud_spend *out, size_t max);
/* The projected cost of a tracked call (micro-units). Returns 0 or
 * -ENOENT. */
int fraud_call_projection(
    struct fraud *f, uint64_t call_id, int64_t *out) RP_MUST_CHECK;

/* A block, as exported for persistence. */
struct fraud_block {
	enum fraud_scope scope;
	char name[FRAUD_NAME_MAX + 1]; /* "" for the system */
	enum fraud_reason reason;
	uint64_t since_s;
	uint64_t until_s; /* 0: until fraud_unblock() */
};

/* Blocks a scope by hand (reason FRAUD_R_MANUAL, until unblocked).
 * Returns 0, -EINVAL or -ENOSPC. */
int fraud_block(struct fraud *f, enum fraud_scope scope, struct sv name,
    uint64_t now_s) RP_MUST_CHECK;
/* Lifts a block. Returns 0 or -ENOENT (not blocked). */
int fraud_unblock(struct fraud *f, enum fraud_scope scope, struct sv name,
    uint64_t now_s) RP_MUST_CHECK;
bool fraud_is_blocked(
    struct fraud *f, enum fraud_scope scope, struct sv name, uint64_t now_s);
/* Copies up to 'max' running blocks into 'out' (in no order); returns
 * how many there are, so a call with max 0 sizes the array. */
size_t fraud_export_blocks(
    struct fraud *f, uint64_t now_s, struct fraud_block *out, size_t max);
/* Restores a persisted block. Returns 0, -ETIME (over already: the
 * caller may delete it), -EINVAL or -ENOSPC. */
int fraud_import_block(
    struct fraud *f, const struct fraud_block *b, uint64_t now_s) RP_MUST_CHECK;

/* Marks a country code (the leading digits of 'e164') as known for a
 * user (name non-empty) or the system (name empty), e.g. from CDRs at
 * start. Returns 0, -EINVAL or -ENOSPC. */
int fraud_learn_country(
    struct fraud *f, struct sv user, struct sv e164) RP_MUST_CHECK;

#endif
