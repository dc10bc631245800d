/* Live supervision between the signalling loop and the administration
 * API (R-OPS-1, R-ADMIN-3): what the loop publishes for others to read,
 * and the hang-up requests others post to it.
 *
 * Snapshot. The loop owns the calls, the trunks and the anti-fraud
 * counters, and no other thread may touch them. Instead, about once a
 * second, it fills a new struct live_snapshot (plain data, fixed-size
 * NUL-terminated text) and hands it over with live_publish(). A reader
 * takes the latest one with live_snapshot_get() and gives it back with
 * live_snapshot_put(): snapshots are reference counted, so the mutex is
 * held only to swap or count a pointer, never while a snapshot is
 * filled or read. The loop therefore never waits on a reader, and a
 * reader sees a consistent picture at most one publication old.
 *
 * Hang-ups. A reader asks for a call to end with live_hangup_post(): the
 * request goes into a small ring under the mutex and an eventfd
 * (live_hangup_fd()) wakes the loop, which takes requests with
 * live_hangup_next() and reports each outcome with live_hangup_done().
 * The poster may wait for that outcome with live_hangup_wait(), for a
 * bounded time only; a request whose poster gave up is still carried
 * out, its outcome simply not read. A full ring refuses new requests
 * (-EAGAIN) rather than waiting.
 *
 * Thread rules: live_new() and live_free() run while no other thread
 * uses the handle. live_publish(), live_hangup_next() and
 * live_hangup_done() belong to the loop; live_snapshot_get(),
 * live_snapshot_put(), live_hangup_post() and live_hangup_wait() may
 * be called from any thread, concurrently. */
#ifndef RP_CORE_LIVE_H
#define RP_CORE_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

/* Text bounds, in bytes without the NUL. */
#define LIVE_ID_MAX 32u   /* a call's identifier */
#define LIVE_NAME_MAX 64u /* an extension, a number, a trunk */
#define LIVE_TEXT_MAX 128u
/* Hang-up requests waiting for the loop at once. */
#define LIVE_HANGUPS_MAX 16u
/* Outcomes kept for posters that wait. */
#define LIVE_RESULTS_MAX 16u
/* The longest live_hangup_wait() accepted. */
#define LIVE_WAIT_MAX_MS 5000u

/* A call in progress. */
struct live_call {
	char id[LIVE_ID_MAX + 1];
	char caller_ext[LIVE_NAME_MAX + 1]; /* "" for an outside caller */
	char caller_number[LIVE_NAME_MAX + 1];
	char dialled[LIVE_TEXT_MAX + 1];
	char callee[LIVE_NAME_MAX + 1]; /* the extension rung or reached */
	bool answered;
	int64_t start_ms;              /* ms since the epoch */
	int64_t answer_ms;             /* 0 until answered */
	bool outside;                  /* the caller came in through a trunk */
	char trunk[LIVE_NAME_MAX + 1]; /* the outbound trunk used, or "" */
	char transport[8];             /* the caller's: "udp", "tcp", "tls" */
	bool media_encrypted;
	bool rated;   /* tracked by the anti-fraud engine */
	int64_t cost; /* its projected cost, micro-units */
};

/* A trunk's state as the loop sees it. */
struct live_trunk {
	char name[LIVE_NAME_MAX + 1];
	char state[16];   /* "registered", "registering", "failed", "up", ... */
	int64_t since_ms; /* when the loop first saw this state */
	char last_error[64];   /* its last failure, "" for none */
	int64_t last_error_ms; /* when, 0 for none */
};

/* One scope's spend in the current hour and day (micro-units), with the
 * ceilings in force (0: none). */
struct live_spend {
	bool global; /* the whole system; else a user */
	char name[LIVE_NAME_MAX + 1];
	int64_t hour, day;
	int64_t ceiling_hour, ceiling_day;
	uint32_t active_calls;
	bool blocked;
};

struct live_snapshot {
	int64_t taken_ms; /* ms since the epoch */
	uint32_t registrations;
	size_t ncalls, ntrunks, nspend;
	struct live_call *calls; /* arrays inside the snapshot's block */
	struct live_trunk *trunks;
	struct live_spend *spend;
	unsigned refs; /* the handle's business */
};

/* A hang-up request as the loop receives it. */
struct live_hangup {
	uint64_t seq;
	char id[LIVE_ID_MAX + 1];
};

struct live;

/* On success *out is a new handle with no snapshot yet; free it with
 * live_free(). Returns 0, -ENOMEM or a negative errno of eventfd. */
int live_new(struct live **out) RP_MUST_CHECK;
/* Frees the handle, its snapshot and its eventfd (NULL is fine).
 * Snapshots still held by readers must have been put back. */
void live_free(struct live *l);

/* On success *out is a new zeroed snapshot with room for the counts
 * given (its arrays set, the counts 0), for live_publish(); free it
 * with live_snapshot_put() when it is not published. Returns 0 or
 * -ENOMEM. Any thread. */
int live_snapshot_new(struct live_snapshot **out, size_t calls, size_t trunks,
    size_t spend) RP_MUST_CHECK;

/* Publishes 's' (takes ownership) in place of the previous snapshot,
 * which is freed once its last reader puts it back. Loop thread. */
void live_publish(struct live *l, struct live_snapshot *s);

/* The latest snapshot, or NULL when none was published; give it back
 * with live_snapshot_put(). Any thread. */
const struct live_snapshot *live_snapshot_get(struct live *l);
/* Gives back a snapshot (NULL is fine). 'l' may be NULL for one never
 * published. Any thread. */
void live_snapshot_put(struct live *l, const struct live_snapshot *s);

/* Asks the loop to hang up call 'id' (1 to LIVE_ID_MAX bytes). *seq
 * gets the request's number for live_hangup_wait(). Returns 0, -EINVAL
 * (a bad id) or -EAGAIN (too many requests pending). Any thread. */
int live_hangup_post(struct live *l, struct sv id, uint64_t *seq) RP_MUST_CHECK;

/* Waits up to timeout_ms (at most LIVE_WAIT_MAX_MS) for the outcome of
 * request 'seq': 0 with *result the loop's (0: ended, -ENOENT: no such
 * call), or -ETIMEDOUT. Any thread but the loop's. */
int live_hangup_wait(struct live *l, uint64_t seq, uint32_t timeout_ms,
    int *result) RP_MUST_CHECK;

/* The eventfd to watch for EPOLLIN; owned by the handle. */
int live_hangup_fd(const struct live *l);

/* Loop thread: resets the eventfd, then takes the oldest request into
 * *out. Returns true while there was one. */
bool live_hangup_next(struct live *l, struct live_hangup *out);

/* Loop thread: the outcome of request 'seq' (0 or a negative errno),
 * for a poster waiting in live_hangup_wait(). */
void live_hangup_done(struct live *l, uint64_t seq, int result);

#endif
