/* OPTIONS health checks of a trunk (RFC 3261 §11).
 *
 * Every interval_s (counted from the previous probe's outcome) an
 * OPTIONS goes to the peer. Any response, even a 4xx or 5xx, proves the
 * peer is alive: only a timeout or a transport error counts as a
 * failure. The trunk is UP after up_after successes in a row and DOWN
 * after down_after failures in a row; it starts UNKNOWN. The state
 * callback runs on each change. A probe times out after the
 * transaction's Timer F (32 s on UDP), or sooner with timeout_ms.
 *
 * Pure on a loop and a transaction layer; everything runs on the loop's
 * thread. */
#ifndef RP_PBX_TRUNKHEALTH_H
#define RP_PBX_TRUNKHEALTH_H

#include <stdint.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "sip/transaction.h"

#define TRUNKHEALTH_INTERVAL_DEFAULT_S 30u
#define TRUNKHEALTH_INTERVAL_MAX_S 86400u
#define TRUNKHEALTH_UP_AFTER_DEFAULT 2u
#define TRUNKHEALTH_DOWN_AFTER_DEFAULT 3u
#define TRUNKHEALTH_COUNT_MAX 100u
#define TRUNKHEALTH_HOST_MAX 255u

enum trunkhealth_state {
	TRUNKHEALTH_UNKNOWN,
	TRUNKHEALTH_UP,
	TRUNKHEALTH_DOWN,
};

struct trunkhealth;

/* The state changed. h may be freed from this callback. */
typedef void (*trunkhealth_state_cb)(
    void *arg, struct trunkhealth *h, enum trunkhealth_state state);

/* Copied by trunkhealth_new() except loop and txn (borrowed: they must
 * outlive the checker). */
struct trunkhealth_config {
	struct loop *loop;
	struct sip_txn_layer *txn;
	struct sip_txn_peer peer; /* already resolved */
	struct sv name;           /* for logs; may be SV_NULL */
	struct sv target;         /* Request-URI and To: "sip:<target>" */
	struct sv local_host;     /* ours, for Via and From */
	uint16_t local_port;
	uint32_t interval_s;           /* 0: default */
	uint32_t timeout_ms;           /* 0: the transaction's own timeout */
	uint32_t up_after;             /* 0: default */
	uint32_t down_after;           /* 0: default */
	trunkhealth_state_cb on_state; /* may be NULL */
	void *arg;
};

/* A new, stopped checker in UNKNOWN. Returns 0, -EINVAL (missing loop,
 * txn, target or local host, bad characters, a count or interval out of
 * range) or -ENOMEM. */
int trunkhealth_new(struct trunkhealth **out,
    const struct trunkhealth_config *cfg) RP_MUST_CHECK;
/* Stops without calling back and frees (NULL is fine). */
void trunkhealth_free(struct trunkhealth *h);

/* Sends the first probe now and keeps probing. Returns 0 or -EALREADY. */
int trunkhealth_start(struct trunkhealth *h) RP_MUST_CHECK;
/* Stops probing (a probe in flight is forgotten); the state is kept. */
void trunkhealth_stop(struct trunkhealth *h);

enum trunkhealth_state trunkhealth_state(const struct trunkhealth *h);
const char *trunkhealth_state_name(enum trunkhealth_state state);
/* Status of the last response, 0 when the last probe got none. */
uint16_t trunkhealth_last_status(const struct trunkhealth *h);

#endif
