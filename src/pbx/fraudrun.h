/* The anti-fraud engine (policy/fraud.h) on outbound calls (R-FRAUD-3,
 * R-FRAUD-5, R-FRAUD-8): each outbound call is decided before any trunk
 * is tried, charged from its answer, projected every FRAUDRUN_TICK_S
 * and cut when its projection crosses a ceiling; the cost of finished
 * calls counts in the windows. Blocks the engine sets are stored
 * through the store writer, so they survive restarts; every alert and
 * block reaches the alert callback. Inbound and internal calls are
 * never refused here.
 *
 * The engine follows the policy (pbx/fraudpolicy.h): when the rules
 * are unchanged a reload keeps its counters and running calls.
 *
 * Everything runs on the signalling loop's thread. */
#ifndef RP_PBX_FRAUDRUN_H
#define RP_PBX_FRAUDRUN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/loop.h"
#include "core/sv.h"
#include "pbx/call.h"
#include "pbx/fraudpolicy.h"
#include "policy/fraud.h"
#include "policy/numplan.h"
#include "store/writer.h"

#define FRAUDRUN_TICK_S 5u

/* One alert or block of the engine, about 'user' calling 'number'. */
typedef void (*fraudrun_alert_cb)(
    void *ctx, const struct fraud_alert *a, struct sv user, struct sv number);

struct fraudrun_config {
	struct loop *loop;     /* borrowed */
	struct writer *writer; /* borrowed; NULL: blocks not stored */
	struct calls *calls;   /* borrowed: the calls to cut */
	fraudrun_alert_cb alert;
	void *ctx;
};

struct fraudrun;

int fraudrun_new(
    struct fraudrun **out, const struct fraudrun_config *cfg) RP_MUST_CHECK;
/* NULL is fine. */
void fraudrun_free(struct fraudrun *r);

/* Takes the policy 'fp' (borrowed until the next call or
 * fraudrun_free()); 'old' is the one it replaces, or NULL. Returns 0
 * or a negative errno (the previous engine then stays). */
int fraudrun_policy(struct fraudrun *r, const struct fraudpolicy *fp,
    const struct fraudpolicy *old) RP_MUST_CHECK;

/* Decides on an outbound call of 'user' to the classified number
 * 'res'. Allowed: *tag is the call's tag for calls_invite_trunks() (0
 * when the engine does not track it, e.g. emergency calls). Refused:
 * false, *reason a static text for the 403 and the record. */
bool fraudrun_outbound(struct fraudrun *r, struct sv user,
    enum fraud_origin origin, const struct numplan_result *res, uint64_t *tag,
    const char **reason);

/* The calls_tag_cb of the calls: answers and ends of tracked calls. */
void fraudrun_call_event(
    struct fraudrun *r, uint64_t tag, bool ended, uint64_t talk_s);

/* For supervision (core/live.h): the engine's spend per scope
 * (fraud_export_spend(); 0 without an engine), and the projected cost
 * of the call tagged 'tag' (0 or -ENOENT). */
size_t fraudrun_spend(struct fraudrun *r, struct fraud_spend *out, size_t max);
int fraudrun_projection(
    struct fraudrun *r, uint64_t tag, int64_t *cost) RP_MUST_CHECK;

#endif
