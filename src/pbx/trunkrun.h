/* The trunks at work on the signalling loop (R-TRUNK-1, R-TRUNK-2):
 * every enabled registration trunk registers with its operator
 * (pbx/trunkreg.h) and every enabled IP trunk is probed with OPTIONS
 * (pbx/trunkhealth.h). trunkrun_usable() tells outbound calls which
 * trunks can take them now, so that a trunk found down is skipped.
 *
 * trunkrun_sync() follows the trunk table after each reload: a trunk
 * that is new or was changed (its updated_at moved) starts afresh, a
 * trunk that is gone or disabled stops (a registration is removed with
 * Expires: 0), the others keep running undisturbed.
 *
 * Everything runs on the loop's thread. */
#ifndef RP_PBX_TRUNKRUN_H
#define RP_PBX_TRUNKRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "pbx/trunkdir.h"
#include "sip/transaction.h"

/* Our address for a peer, as written in Via and Contact (IPv6 in
 * brackets). Returns 0 or a negative errno. */
typedef int (*trunkrun_local_cb)(void *ctx, const struct sip_txn_peer *peer,
    char *host, size_t host_size, uint16_t *port);

struct trunkrun_config {
	struct loop *loop;         /* borrowed */
	struct sip_txn_layer *txn; /* borrowed */
	trunkrun_local_cb local;
	void *ctx;
	/* OPTIONS interval of IP trunks in seconds; 0: no probes (the
	 * trunks then count as up). */
	uint32_t check_interval_s;
	/* First retry of a failed registration, in seconds (0: the
	 * default of pbx/trunkreg.h); it doubles on each failure. */
	uint32_t retry_min_s;
};

struct trunkrun;

int trunkrun_new(
    struct trunkrun **out, const struct trunkrun_config *cfg) RP_MUST_CHECK;
/* Stops everything without a word (shutdown). NULL is fine. */
void trunkrun_free(struct trunkrun *r);

/* Brings the running trunks in line with 'd' (see above); the secrets
 * of registration trunks come from 'd' (trunkdir_load() with keys). A
 * trunk that cannot start (no secret, a host not resolved yet) is
 * logged and left unusable. */
void trunkrun_sync(struct trunkrun *r, const struct trunkdir *d);

/* True when trunk 'name' can take calls now: a registration trunk once
 * registered; an IP trunk unless its probes found it down. False for a
 * trunk that is not running. */
bool trunkrun_usable(const struct trunkrun *r, struct sv name);

/* The state of trunk 'name' for logs and the API: "registered",
 * "registering", "failed", "up", "down", "unknown" or "stopped". */
const char *trunkrun_state(const struct trunkrun *r, struct sv name);

/* The room for a trunk's last error, its NUL included. */
#define TRUNKRUN_ERROR_MAX 64u

/* The last failure of trunk 'name' since it was (re)started ("no answer
 * to OPTIONS", "registration refused: 403", "not started: host not
 * resolved"...), "" for none; *at_ms gets when it happened (ms since
 * the epoch, 0 for none). It stays after the trunk recovers: the
 * administrator sees what happened last. */
const char *trunkrun_last_error(
    const struct trunkrun *r, struct sv name, int64_t *at_ms);

#endif
