/* The perimeter guard: bans, per-source rate limits, brute-force and
 * scanner detection, access lists (R-NET-1, R-NET-2, R-NET-3, R-NET-4).
 *
 * One engine per signalling thread, used from that thread only (no
 * locks). Time is always passed in as 'now_ms' (a monotonic clock in
 * milliseconds; wall-clock times for bans are the caller's business when
 * it persists them). Nothing here logs or allocates after guard_new():
 * each call fills a struct guard_events (may be NULL) with what happened,
 * for the caller to write the security log line, alert, or persist.
 *
 * Per source (one IPv4 or IPv6 address; IPv4-mapped IPv6 is the IPv4
 * address, see policy/cidr.h) the guard keeps:
 *   - a packet token bucket, checked by guard_packet() before any
 *     parsing, and a request bucket, checked by guard_request();
 *   - drops over either bucket: the source is throttled (requests
 *     dropped, one THROTTLE event when it starts); 'throttle_ban_drops'
 *     drops within 'throttle_window_ms' ban it;
 *   - authentication failures in a sliding window: 'auth_fail_threshold'
 *     failures within 'auth_window_ms' ban it (default 5 in 10 minutes);
 *     a success clears the count;
 *   - distinct target users of REGISTER/OPTIONS (and INVITEs to unknown
 *     numbers) within 'sweep_window_ms': 'sweep_threshold' of them is a
 *     sweep, banned at once; sources that authenticated successfully
 *     within the auth window are exempt (an office behind one NAT);
 *   - open stream connections, at most 'max_conns_per_src'.
 * A known scanner User-Agent (case-insensitive substring, list in
 * guard.c: friendly-scanner, sipvicious, sipcli, sip-scan, ...) is banned
 * on first sight.
 *
 * A ban lasts ban_base_ms, doubled on each repeat of the same source, up
 * to ban_max_ms. Banned sources get no answer (GUARD_DROP), or, with
 * 'reject_403', GUARD_REJECT (answer 403) while their packet bucket
 * allows, then GUARD_DROP. Sources in the trusted set are never banned,
 * throttled nor limited; those in the blocklist (guard_set_blocklist())
 * are always dropped.
 *
 * Per user, failures from all sources are counted in a fixed window of
 * auth_window_ms; 'user_fail_threshold' of them flag the account as
 * under attack (one USER_UNDER_ATTACK event per window). The account is
 * not locked: its own devices keep working, and only the sources that
 * fail are banned.
 *
 * Memory bound: fixed at guard_new(), nothing grows afterwards. The
 * source table holds 'max_sources' entries (rounded up to a power of two,
 * 244 bytes each on x86_64: 65,536 sources take 16 MB), in sets of 8
 * chosen by a keyed hash of the address (random key, so a peer cannot aim
 * at one set). A new source replaces the least recently seen entry of its
 * set that is neither banned nor holding connections (then one that is
 * not banned). Banned entries are never replaced by unbanned ones, so a
 * flood of spoofed sources cannot push bans out. Should all 8 entries of
 * a set be banned, a new source of that set is not tracked (it passes
 * unlimited) unless it is itself being banned, which replaces the ban of
 * that set that ends first. The user table holds 'max_users' entries in
 * sets of 4, stale entries replaced first. Ban counts (escalation) live
 * in the entry and are forgotten when an unbanned entry is replaced. */
#ifndef RP_POLICY_GUARD_H
#define RP_POLICY_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/cidr.h"

/* Most failures tracked per source, and most users per sweep. */
#define GUARD_AUTH_THRESHOLD_MAX 16u
#define GUARD_SWEEP_THRESHOLD_MAX 32u
/* Table sizes accepted by guard_new(). */
#define GUARD_SOURCES_MIN 64u
#define GUARD_SOURCES_MAX (1u << 22)
#define GUARD_USERS_MAX (1u << 20)
/* User-Agent bytes looked at for the scanner list. */
#define GUARD_UA_SCAN_MAX 256u
/* Events one call can report (e.g. SCANNER then BAN). */
#define GUARD_EVENTS_MAX 3u

enum guard_verdict {
	GUARD_PASS,     /* go on */
	GUARD_DROP,     /* discard without a word (banned, blocklisted,
	                   over a limit) */
	GUARD_REJECT,   /* banned, and 'reject_403' is set: answer 403 */
	GUARD_THROTTLE, /* over the request rate: discard this request */
	GUARD_BAN,      /* this request got the source banned: discard (or
	                   403 with 'reject_403') */
};

/* What a request is, as far as the guard cares. */
enum guard_method {
	GUARD_M_REGISTER,
	GUARD_M_INVITE,
	GUARD_M_OPTIONS,
	GUARD_M_OTHER,
};

enum guard_event_kind {
	GUARD_EV_NONE,
	GUARD_EV_BAN,               /* addr banned until until_ms */
	GUARD_EV_UNBAN,             /* addr's ban ended or was lifted */
	GUARD_EV_THROTTLE,          /* addr started being throttled */
	GUARD_EV_SCANNER,           /* addr looks like a scanner */
	GUARD_EV_USER_UNDER_ATTACK, /* 'user' failed from many sources */
	GUARD_EV_ACL_REFUSED,       /* addr is outside 'user''s allow list */
};

struct guard_event {
	enum guard_event_kind kind;
	const char *reason; /* static text, never peer input */
	struct cidr_addr addr;
	struct sv user;    /* borrowed from the call's arguments, or empty */
	uint32_t count;    /* failures, drops or distinct users behind it */
	uint32_t bans;     /* BAN/UNBAN: times this source was banned */
	uint32_t sources;  /* USER_UNDER_ATTACK: distinct sources (capped) */
	uint64_t until_ms; /* BAN: end of the ban */
};

struct guard_events {
	unsigned n;
	struct guard_event ev[GUARD_EVENTS_MAX];
};

/* Settings. Fill with guard_config_defaults(), then change fields. */
struct guard_config {
	uint32_t max_sources; /* source table entries (memory bound) */
	uint32_t max_users;   /* user table entries (0: no user tracking) */
	uint32_t pkt_rate;    /* packets per second; 0: no packet limit */
	uint32_t pkt_burst;   /* bucket size, >= 1 */
	uint32_t req_rate;    /* requests per second; 0: no limit */
	uint32_t req_burst;
	uint32_t throttle_ban_drops; /* 0: floods are never banned */
	uint32_t throttle_window_ms;
	uint32_t auth_fail_threshold; /* 1..GUARD_AUTH_THRESHOLD_MAX */
	uint32_t auth_window_ms;
	uint64_t ban_base_ms;         /* first ban; doubled per repeat */
	uint64_t ban_max_ms;          /* cap */
	uint32_t user_fail_threshold; /* 0: no account-under-attack flag */
	uint32_t sweep_threshold;     /* 0: off; <= GUARD_SWEEP_THRESHOLD_MAX */
	uint32_t sweep_window_ms;
	uint32_t max_conns_per_src; /* 0: no limit */
	bool reject_403;            /* banned sources get 403, not silence */
	bool scanner_user_agents;   /* ban known scanner User-Agents */
	/* Never banned, throttled nor limited. Copied by guard_new();
	 * NULL: none. */
	const struct cidr_set *trusted;
	/* Key of the source hash; both 0: random (getrandom). Tests set it
	 * for reproducible runs. */
	uint64_t hash_key[2];
};

/* Information on one ban, for persistence. */
struct guard_ban_info {
	struct cidr_addr addr;
	uint64_t until_ms;
	uint32_t count; /* times banned, for the escalation */
	const char *reason;
};

typedef void (*guard_ban_cb)(void *ctx, const struct guard_ban_info *ban);

struct guard;

/* Defaults: 65,536 sources, 4,096 users; packets 200/s burst 400;
 * requests 50/s burst 100; 2,000 drops in 60 s ban; 5 failures in 600 s
 * ban; bans from 15 minutes doubling up to 7 days; 20 failures on one
 * user in 600 s flag it; 20 distinct users in 60 s is a sweep; 32
 * connections per source; silent drop; scanner User-Agents banned. */
void guard_config_defaults(struct guard_config *cfg);

/* A new engine. Returns 0, -EINVAL (a field out of range) or -ENOMEM.
 * Free it with guard_free(). Start-up, any thread; then one thread. */
int guard_new(struct guard **out, const struct guard_config *cfg) RP_MUST_CHECK;
/* Frees an engine and its blocklist. Accepts NULL. */
void guard_free(struct guard *g);

/* Replaces the blocklist (takes ownership of 'list'; NULL: none) and
 * frees the previous one. Sources in it are dropped from the next packet
 * on, trusted ones excepted. */
void guard_set_blocklist(struct guard *g, struct cidr_set *list);

/* The hot path: called for each datagram, and each message on a stream,
 * before any parsing. O(1), no allocation. Returns GUARD_PASS,
 * GUARD_DROP (banned, blocklisted or over the packet bucket) or
 * GUARD_REJECT. Events: THROTTLE (first drop over the bucket), BAN
 * (flood), UNBAN (a ban found over). */
enum guard_verdict guard_packet(struct guard *g, const struct cidr_addr *addr,
    uint64_t now_ms, struct guard_events *ev);

/* A parsed request. */
struct guard_request_info {
	enum guard_method method;
	struct sv user_agent; /* empty when absent */
	/* REGISTER/OPTIONS: the user the request is for (To user part);
	 * INVITE: the called number, only when it matches no extension, DID
	 * nor route (the caller looks it up first); else empty. */
	struct sv target;
};

/* Checks a request after parsing, before authentication: ban state,
 * scanner User-Agent, request bucket, sweeps. Returns GUARD_PASS,
 * GUARD_DROP/GUARD_REJECT (banned), GUARD_THROTTLE or GUARD_BAN. A
 * trusted source always passes (a scanner User-Agent still gives a
 * SCANNER event, without a ban). */
enum guard_verdict guard_request(struct guard *g, const struct cidr_addr *addr,
    const struct guard_request_info *req, uint64_t now_ms,
    struct guard_events *ev);

/* Records a failed authentication of 'user' (may be empty) from 'addr'
 * (wrong password or unknown user alike, R-AUTH-5). Returns true when
 * the source got banned. Events: BAN, USER_UNDER_ATTACK. */
bool guard_auth_failure(struct guard *g, const struct cidr_addr *addr,
    struct sv user, uint64_t now_ms, struct guard_events *ev);

/* Records a successful authentication: clears the source's failures
 * and exempts it from sweep detection for auth_window_ms. */
void guard_auth_success(struct guard *g, const struct cidr_addr *addr,
    struct sv user, uint64_t now_ms);

/* True while 'user' is flagged as under attack. */
bool guard_user_under_attack(
    const struct guard *g, struct sv user, uint64_t now_ms);

/* Access list check for a user, a trunk (its name as 'user') or any
 * other account: 'allow' NULL means no restriction, otherwise only its
 * networks (an empty set allows nobody). A refusal gives an
 * ACL_REFUSED event and counts as an authentication failure (so it may
 * ban); the caller answers exactly as for a failed authentication
 * (R-AUTH-5). Returns true when allowed. */
bool guard_acl_check(struct guard *g, const struct cidr_set *allow,
    const struct cidr_addr *addr, struct sv user, uint64_t now_ms,
    struct guard_events *ev);

/* A stream connection was accepted: GUARD_PASS, or GUARD_DROP (banned,
 * blocklisted, or at max_conns_per_src): close it. Each GUARD_PASS must
 * be matched by one guard_conn_close(). */
enum guard_verdict guard_conn_open(
    struct guard *g, const struct cidr_addr *addr, uint64_t now_ms);
void guard_conn_close(struct guard *g, const struct cidr_addr *addr);
/* Open connections counted for a source. */
uint32_t guard_conn_count(const struct guard *g, const struct cidr_addr *addr);

/* Bans 'addr' for duration_ms (0: the escalating duration), 'reason'
 * static text (NULL: "manual"). Returns 0 (BAN event), -EPERM (trusted).
 * Any later ban of the same source counts as a repeat. */
int guard_ban(struct guard *g, const struct cidr_addr *addr,
    uint64_t duration_ms, const char *reason, uint64_t now_ms,
    struct guard_events *ev) RP_MUST_CHECK;

/* Lifts a ban and forgets the source's repeat count (UNBAN event).
 * Returns 0 or -ENOENT (not banned). */
int guard_unban(struct guard *g, const struct cidr_addr *addr, uint64_t now_ms,
    struct guard_events *ev) RP_MUST_CHECK;

/* True while 'addr' is banned. */
bool guard_is_banned(
    const struct guard *g, const struct cidr_addr *addr, uint64_t now_ms);

/* Restores a persisted ban at start: until_ms in this engine's clock,
 * 'count' the repeat count, 'reason' the persisted text (mapped back to
 * the guard's static reasons, "restored" if unknown). Returns 0,
 * -EPERM (trusted: ignored), -ETIME (already over: the caller may delete
 * it) or -EINVAL (count 0). No event. */
int guard_restore_ban(struct guard *g, const struct cidr_addr *addr,
    uint64_t until_ms, uint32_t count, struct sv reason,
    uint64_t now_ms) RP_MUST_CHECK;

/* Calls cb for each ban still running at now_ms, in no order. */
void guard_foreach_ban(
    const struct guard *g, uint64_t now_ms, guard_ban_cb cb, void *ctx);

/* Ends the bans that are over among the next 'budget' table entries
 * (a cursor goes round the table), calling cb with each (UNBAN) so the
 * caller can delete them from the store. Call it from a timer, e.g.
 * every second with budget 4096: no pass costs more than that. Returns
 * the number of bans ended. */
unsigned guard_expire(struct guard *g, uint64_t now_ms, uint32_t budget,
    guard_ban_cb cb, void *ctx);

/* Counters for supervision. */
struct guard_stats {
	uint32_t sources; /* entries in use */
	uint32_t capacity;
	uint32_t banned;
	uint64_t untracked; /* new sources not tracked: their set was all
	                       bans */
	uint64_t evicted;
};
void guard_stats(
    const struct guard *g, uint64_t now_ms, struct guard_stats *st);

/* True if the User-Agent matches the built-in scanner list. */
bool guard_scanner_user_agent(struct sv user_agent);

#endif
