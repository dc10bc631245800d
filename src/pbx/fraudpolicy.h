/* The anti-fraud configuration as the signalling thread uses it
 * (R-FRAUD-1, R-FRAUD-2, R-FRAUD-3, R-FRAUD-5): rights profiles built
 * into policy/rights.h objects, each user's effective profile and
 * tenant (through its group, store/groups.h), the rate table,
 * the engine's rules, the ceilings and the persisted blocks, all read
 * from the store (store/fraudcfg.h) at start and on reload, so that no
 * database read happens in the request path.
 *
 * Reload. The engine (policy/fraud.h) holds the running counters and
 * has no way to change its rules in place. On a reload the server
 * loads a new policy and:
 *   - if fraudpolicy_rules_equal() says the rules are unchanged, keeps
 *     its engine (counters, calls in progress, learnt countries) and
 *     calls fraudpolicy_apply(new, old, engine, now): ceilings are set
 *     again, those removed go back to the default, the DISA and outdial
 *     switches are set, blocks in force are imported, blocks an admin
 *     lifted are lifted;
 *   - otherwise builds a new engine from fraudpolicy_engine_config()
 *     and applies the policy to it (old NULL); the counters of the old
 *     engine are lost, so a rule change is best made outside busy
 *     hours.
 * Blocks the engine sets at run time are stored from the store writer
 * thread with fraudpolicy_block_save(); the admin's lift is a row
 * marked lifted (fraudcfg_block_lift()), so a block made after the
 * lift is never lifted by it.
 *
 * Thread: load on the db's owner; the rest on the owner of the policy
 * (the signalling thread), which may read it from any thread once it
 * stops changing it. */
#ifndef RP_PBX_FRAUDPOLICY_H
#define RP_PBX_FRAUDPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/fraud.h"
#include "policy/rating.h"
#include "policy/rights.h"
#include "store/db.h"

struct fraudpolicy;

/* Reads the whole configuration. On success *out is new; free it with
 * fraudpolicy_free(). Returns 0, -ENOMEM, -EBADMSG (a stored value that
 * breaks the rules) or a store error. */
int fraudpolicy_load(struct fraudpolicy **out, struct db *db) RP_MUST_CHECK;
/* NULL is fine. */
void fraudpolicy_free(struct fraudpolicy *fp);

/* The profile of a user: its own, else its group's, else the system
 * default; NULL when none exists (rights_check() then allows emergency
 * calls only). Valid until fraudpolicy_free(). */
const struct rights_profile *fraudpolicy_profile_for(
    const struct fraudpolicy *fp, struct sv ext);
/* The tenant of a user: its group's; "" for none (no tenant scope).
 * Valid until fraudpolicy_free(). */
struct sv fraudpolicy_tenant_for(const struct fraudpolicy *fp, struct sv ext);
/* The offset of local time from UTC (minutes) for rights windows. */
int32_t fraudpolicy_tz_offset_min(const struct fraudpolicy *fp);

/* The system-wide allow and deny prefix lists, for rights_check(). */
const struct rights_system *fraudpolicy_system(const struct fraudpolicy *fp);

/* A profile by name, or NULL. */
const struct rights_profile *fraudpolicy_profile(
    const struct fraudpolicy *fp, struct sv name);
size_t fraudpolicy_profiles(const struct fraudpolicy *fp);

/* The rate table (never NULL; may be empty). */
const struct rating_table *fraudpolicy_rates(const struct fraudpolicy *fp);

/* The engine configuration: fraud_config_defaults(), the stored rules
 * and options, and the global ceiling. */
void fraudpolicy_engine_config(
    const struct fraudpolicy *fp, struct fraud_config *cfg);
/* True when two policies configure the engine the same way apart from
 * ceilings (which fraudpolicy_apply() changes in place). */
bool fraudpolicy_rules_equal(
    const struct fraudpolicy *a, const struct fraudpolicy *b);

/* Sets the stored ceilings in the engine (and, with 'old' not NULL,
 * resets those 'old' had and 'fp' no longer has to the default), imports
 * the blocks in force (a block already over is skipped) and lifts the
 * engine's blocks that an admin lifted after they began. Returns 0,
 * -ENOMEM (nothing of the blocks applied) or -ENOSPC (an engine table
 * is full: the rest is still applied). */
int fraudpolicy_apply(const struct fraudpolicy *fp,
    const struct fraudpolicy *old, struct fraud *f,
    uint64_t now_s) RP_MUST_CHECK;

/* Stores a block the engine set (for the store writer thread), with
 * the reason's text. Returns 0, -EINVAL or a store error. */
int fraudpolicy_block_save(
    struct db *db, const struct fraud_block *b) RP_MUST_CHECK;
/* Marks the block of a scope lifted at 'now_s'. Returns 0, -EINVAL,
 * -ENOENT (none in force) or a store error. */
int fraudpolicy_block_clear(struct db *db, enum fraud_scope scope,
    struct sv name, uint64_t now_s) RP_MUST_CHECK;

#endif
