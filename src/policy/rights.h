/* Dialing rights: class-of-service profiles (R-FRAUD-1, R-FRAUD-2).
 *
 * A profile allows destination classes (struct numplan_result.cls), some
 * of them only inside a weekly time window, plus allow and deny prefix
 * lists. The system adds its own lists and classes it forbids for
 * everyone. Which profile applies to a user (its own, or its group's)
 * is the caller's business. rights_check() is a pure function: no I/O, no
 * allocation, any thread.
 *
 * Decision order (first that applies):
 *   1. emergency: allowed, always, for everyone, whatever else says;
 *   2. the number is under a system deny prefix: denied;
 *   3. its class is in the system's denied classes: denied;
 *   4. no profile: denied;
 *   5. the number is under a profile deny prefix: denied;
 *   6. the number is under a profile allow prefix: allowed;
 *   7. premium and high-risk: allowed only when a system allow prefix
 *      covers the number and the profile grants the class (a class bit
 *      alone is not enough: these are denied unless explicitly allowed);
 *   8. the class is in 'classes': allowed; in 'window_classes': allowed
 *      inside the window, denied outside; otherwise denied. */
#ifndef RP_POLICY_RIGHTS_H
#define RP_POLICY_RIGHTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/numplan.h"

/* Prefixes one list may hold. */
#define RIGHTS_LIST_MAX 4096u

/* A set of E.164 prefixes. */
struct rights_list;

/* Returns 0 or -ENOMEM. Free with rights_list_free(). */
int rights_list_new(struct rights_list **out) RP_MUST_CHECK;
void rights_list_free(struct rights_list *l);
/* Adds a prefix: '+' (optional) and 0..15 digits; "+" alone covers
 * every number. Returns 0, -EINVAL, -E2BIG (RIGHTS_LIST_MAX) or
 * -ENOMEM. */
int rights_list_add(struct rights_list *l, struct sv prefix) RP_MUST_CHECK;
/* True if a prefix of the list covers 'e164' (digits, no '+'). A NULL
 * list covers nothing. */
bool rights_list_covers(const struct rights_list *l, struct sv e164);

/* Days of struct rights_window.days. */
#define RIGHTS_MON (1u << 0)
#define RIGHTS_TUE (1u << 1)
#define RIGHTS_WED (1u << 2)
#define RIGHTS_THU (1u << 3)
#define RIGHTS_FRI (1u << 4)
#define RIGHTS_SAT (1u << 5)
#define RIGHTS_SUN (1u << 6)
#define RIGHTS_WEEKDAYS 0x1fu

/* A weekly window: the days it opens on, and [start_min, end_min) in
 * minutes since local midnight (0..1440). end_min < start_min runs past
 * midnight into the next day (which need not be in 'days');
 * start_min == end_min is the whole day. */
struct rights_window {
	uint8_t days;
	uint16_t start_min;
	uint16_t end_min;
};

/* A local time: day of week 0 (Monday) .. 6 and minute of the day. */
struct rights_time {
	uint8_t wday;
	uint16_t minute;
};

/* Local time of a Unix time (seconds, UTC) at a fixed offset from UTC
 * in minutes (+60 for Paris in winter; the caller follows DST). */
struct rights_time rights_local_time(int64_t unix_s, int32_t tz_offset_min);

/* True if 't' falls inside 'w'. */
bool rights_in_window(const struct rights_window *w, struct rights_time t);

struct rights_profile {
	const char *name; /* for logs; may be NULL */
	uint32_t classes; /* NUMPLAN_BIT() mask, always allowed */
	/* Allowed only inside 'window' (e.g. international on business
	 * hours). A class in both masks is always allowed. */
	uint32_t window_classes;
	struct rights_window window;
	const struct rights_list *allow; /* NULL: none */
	const struct rights_list *deny;  /* NULL: none */
};

struct rights_system {
	const struct rights_list *allow; /* lifts the premium/high-risk
	                                    default for the numbers it covers */
	const struct rights_list *deny;  /* wins over every profile */
	uint32_t denied_classes;         /* NUMPLAN_BIT() mask, for everyone */
};

enum rights_reason {
	RIGHTS_OK,
	RIGHTS_EMERGENCY,      /* allowed: emergency */
	RIGHTS_ALLOW_PREFIX,   /* allowed: profile allow prefix */
	RIGHTS_SYSTEM_PREFIX,  /* denied: system deny prefix */
	RIGHTS_SYSTEM_CLASS,   /* denied: class forbidden system-wide */
	RIGHTS_NO_PROFILE,     /* denied: the caller has no profile */
	RIGHTS_PROFILE_PREFIX, /* denied: profile deny prefix */
	RIGHTS_PREMIUM,        /* denied: premium not explicitly allowed */
	RIGHTS_HIGH_RISK,      /* denied: high-risk not explicitly allowed */
	RIGHTS_CLASS,          /* denied: class not in the profile */
	RIGHTS_OUTSIDE_WINDOW, /* denied: class allowed at other times */
};

struct rights_decision {
	bool allow;
	enum rights_reason reason;
	const char *text; /* static, for the 403 reason and the CDR */
};

/* Decides whether a profile may call a number of class 'cls'. 'e164' is
 * the normalised number (struct numplan_result.number; short numbers
 * are never under an E.164 prefix, only the class counts for them).
 * 'sys' may be NULL (no system lists), 'p' may be NULL (no profile:
 * emergency only). */
struct rights_decision rights_check(const struct rights_profile *p,
    const struct rights_system *sys, enum numplan_class cls, struct sv e164,
    bool is_e164, struct rights_time now);

/* Static text of a reason. */
const char *rights_reason_text(enum rights_reason r);

#endif
