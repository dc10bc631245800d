/* Live supervision from the signalling loop (R-OPS-1): fills the
 * snapshots of core/live.h from the calls, the registrar, the trunks and
 * the anti-fraud engine, and carries out the hang-ups other threads
 * post.
 *
 * The server publishes every LIVEPUB_INTERVAL_MS and right after a
 * hang-up, so that readers see a picture at most a second old without
 * ever touching the loop's state. A trunk's "since" is the time this
 * module first saw its current state (the start of the daemon for a
 * trunk that never changed). A hang-up ends the call as a BYE from the
 * caller would, on both legs, with LIVEPUB_HANGUP_REASON in its record.
 *
 * Everything runs on the loop's thread. */
#ifndef RP_PBX_LIVEPUB_H
#define RP_PBX_LIVEPUB_H

#include <stddef.h>

#include "core/compiler.h"
#include "core/live.h"
#include "pbx/call.h"
#include "pbx/fraudrun.h"
#include "pbx/trunkdir.h"
#include "pbx/trunkrun.h"
#include "sip/registrar.h"

#define LIVEPUB_INTERVAL_MS 1000u
/* The reason a call ended by an administrator carries in its record. */
#define LIVEPUB_HANGUP_REASON "ended by admin"
/* Users whose spend is published, the busiest first found. */
#define LIVEPUB_SPEND_MAX 1024u

/* Where a snapshot is read from; each may be NULL but 'calls'. All
 * borrowed for the call. */
struct livepub_src {
	const struct calls *calls;
	const struct registrar *reg;
	const struct trunkdir *trunks;
	const struct trunkrun *trunkrun;
	struct fraudrun *fraudrun;
};

struct livepub;

/* 'live' is borrowed and must outlive the publisher. Returns 0 or
 * -ENOMEM. */
int livepub_new(struct livepub **out, struct live *live) RP_MUST_CHECK;
/* NULL is fine. */
void livepub_free(struct livepub *p);

/* Builds and publishes a snapshot. Returns 0 or -ENOMEM (the previous
 * one stays). */
int livepub_publish(
    struct livepub *p, const struct livepub_src *src) RP_MUST_CHECK;

/* Carries out the hang-ups posted (call it when live_hangup_fd() is
 * readable) and reports each outcome. Returns how many calls ended. */
size_t livepub_hangups(struct livepub *p, struct calls *calls);

#endif
