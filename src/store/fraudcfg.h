/* The anti-fraud configuration (schema migration 7): rights profiles,
 * the profile of each user, the rate table, cost ceilings, persisted
 * blocks and the engine's rules (R-FRAUD-1, R-FRAUD-2, R-FRAUD-3,
 * R-FRAUD-5).
 *
 * A rights profile (policy/rights.h) allows a set of destination
 * classes at all times and another set only inside one weekly window,
 * and has allow and deny lists of E.164 prefixes. A user without a
 * profile of its own has the system default (the setting
 * FRAUDCFG_DEFAULT_PROFILE). Rates are one row per prefix, in the
 * units of policy/rating.h; a rate file is imported whole or not at
 * all. Ceilings and blocks have the scope user (named by extension),
 * tenant (the tenant of groups, store/groups.h) or global (name "").
 * Rules not stored keep the engine's defaults (fraud_config_defaults()),
 * DISA and the outdials included: off until turned on (R-FRAUD-6,
 * R-FRAUD-7; settings 'fraud.disa' and 'fraud.outdial', "on" or
 * "off").
 *
 * Text forms, shared with the command line:
 *   classes   comma-separated numplan_class_name() names
 *   prefixes  comma-separated '+' and 0..15 digits ("+" alone: every
 *             number); blanks around entries ignored, repeats kept once
 *   window    DAYS/HH:MM-HH:MM: DAYS is comma-separated day names (mon
 *             .. sun) or ranges ("mon-fri"), or "all"; HH:MM from 00:00
 *             to 24:00; an end before the start runs past midnight, an
 *             end equal to the start is the whole day
 *   money     decimal units with up to 6 decimals ("12.50")
 *
 * Every write runs in a transaction level (store/db.h): on any error
 * nothing is written. Validation errors are -EINVAL with *field (may be
 * NULL) set to static text naming the bad field. Thread rules: those
 * of the db handle; the pure functions on any thread. */
#ifndef RP_STORE_FRAUDCFG_H
#define RP_STORE_FRAUDCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/fraud.h"
#include "policy/numplan.h"
#include "policy/rating.h"
#include "policy/rights.h"
#include "store/db.h"
#include "store/users.h"

#define FRAUDCFG_DEFAULT_PROFILE "fraud.default_profile"
/* A profile name: users_profile_valid(). */
#define FRAUDCFG_NAME_MAX USERS_PROFILE_MAX
/* Prefixes in one profile list, and the list's stored text. */
#define FRAUDCFG_PREFIXES_MAX 64
#define FRAUDCFG_PREFIX_STRLEN (NUMPLAN_DIGITS_MAX + 2)
#define FRAUDCFG_PREFIXES_STRLEN                                               \
	(FRAUDCFG_PREFIXES_MAX * FRAUDCFG_PREFIX_STRLEN)
/* "internal,emergency,...": every class name and a comma. */
#define FRAUDCFG_CLASSES_STRLEN 128
/* "mon,wed,fri/08:00-19:00" at its longest, with the NUL. */
#define FRAUDCFG_WINDOW_STRLEN 48
/* Largest ceiling: a billion units. */
#define FRAUDCFG_CEILING_MAX (1000000000LL * RATING_MICRO)
/* A block's reason: printable ASCII. */
#define FRAUDCFG_REASON_MAX 128
/* Money text: "-1000000000.000000" and the NUL. */
#define FRAUDCFG_MONEY_STRLEN 24

struct fraudcfg_profile {
	char name[FRAUDCFG_NAME_MAX + 1];
	uint32_t classes;        /* NUMPLAN_BIT() mask: always allowed */
	uint32_t window_classes; /* allowed inside 'window' only */
	struct rights_window window;
	char allow[FRAUDCFG_PREFIXES_STRLEN]; /* normalised, "" = none */
	char deny[FRAUDCFG_PREFIXES_STRLEN];
	int64_t created_at;
	int64_t updated_at;
};

struct fraudcfg_rate {
	char prefix[FRAUDCFG_PREFIX_STRLEN]; /* "+33", "+" */
	struct rating_rate rate;
};

struct fraudcfg_ceiling {
	enum fraud_scope scope;
	char name[USERS_EXT_MAX + 1]; /* extension, tenant or "" */
	struct fraud_ceiling c;       /* micro-units, 0 = none */
	int64_t updated_at;
};

struct fraudcfg_block {
	struct fraud_block b; /* scope, name, reason, since, until */
	char reason[FRAUDCFG_REASON_MAX + 1];
	uint64_t lifted_at; /* 0: in force; else when an admin lifted it */
};

/* The rules of struct fraud_config, by CLI name. */
enum fraudcfg_rule {
	FRAUDCFG_CALL_RATE,
	FRAUDCFG_CONCURRENT_USER,
	FRAUDCFG_CONCURRENT_INTL,
	FRAUDCFG_FIRST_COUNTRY_USER,
	FRAUDCFG_FIRST_COUNTRY_SYSTEM,
	FRAUDCFG_OFF_HOURS_INTL,
	FRAUDCFG_SEQUENTIAL,
	FRAUDCFG_SHORT_BURST,
	FRAUDCFG_SPEND_SPIKE,
	FRAUDCFG_RULE_COUNT
};

typedef int (*fraudcfg_profile_cb)(void *arg, const struct fraudcfg_profile *p);
typedef int (*fraudcfg_rate_cb)(void *arg, const struct fraudcfg_rate *r);
typedef int (*fraudcfg_ceiling_cb)(void *arg, const struct fraudcfg_ceiling *c);
typedef int (*fraudcfg_block_cb)(void *arg, const struct fraudcfg_block *b);

/* Text forms (see above). Parsers return 0 or -EINVAL; formatters
 * return 0 or -E2BIG. Any thread. */
int fraudcfg_classes_parse(struct sv text, uint32_t *mask) RP_MUST_CHECK;
int fraudcfg_classes_format(uint32_t mask, char *out, size_t size);
int fraudcfg_prefixes_normalise(
    struct sv text, char out[FRAUDCFG_PREFIXES_STRLEN]) RP_MUST_CHECK;
int fraudcfg_window_parse(
    struct sv text, struct rights_window *out) RP_MUST_CHECK;
int fraudcfg_window_format(
    const struct rights_window *w, char *out, size_t size);
/* Money up to 'max' micro-units. Returns 0, -EINVAL or -ERANGE. */
int fraudcfg_money_parse(
    struct sv text, int64_t max, int64_t *out) RP_MUST_CHECK;
/* "user", "tenant", "global". */
const char *fraudcfg_scope_name(enum fraud_scope scope);
int fraudcfg_scope_parse(struct sv text, enum fraud_scope *out) RP_MUST_CHECK;
/* "call-rate", ...; "off", "alert", "deny", "block"; "ceiling-hour",
 * "manual", ... (a stable name for each enum fraud_reason). */
const char *fraudcfg_rule_name(enum fraudcfg_rule rule);
int fraudcfg_rule_parse(struct sv text, enum fraudcfg_rule *out) RP_MUST_CHECK;
const char *fraudcfg_mode_name(enum fraud_mode mode);
int fraudcfg_mode_parse(struct sv text, enum fraud_mode *out) RP_MUST_CHECK;
const char *fraudcfg_reason_name(enum fraud_reason reason);
/* The settings of one rule inside a struct fraud_config (NULL for a
 * rule out of range). */
struct fraud_rule_cfg *fraudcfg_rule_of(
    struct fraud_config *cfg, enum fraudcfg_rule rule);
const struct fraud_rule_cfg *fraudcfg_rule_get(
    const struct fraud_config *cfg, enum fraudcfg_rule rule);

/* Checks a profile: fields "name", "classes", "window", "allow",
 * "deny". A class may not be both always allowed and in the window.
 * Any thread. */
int fraudcfg_profile_check(
    const struct fraudcfg_profile *p, const char **field) RP_MUST_CHECK;

/* Adds a profile (-EEXIST) or replaces every field of one but its name
 * and created_at (-ENOENT). Returns 0, -EINVAL, -EEXIST / -ENOENT or a
 * store error. */
int fraudcfg_profile_add(struct db *db, const struct fraudcfg_profile *p,
    int64_t now, const char **field) RP_MUST_CHECK;
int fraudcfg_profile_update(struct db *db, const struct fraudcfg_profile *p,
    int64_t now, const char **field) RP_MUST_CHECK;
/* Returns 0, -EINVAL, -ENOENT, -EBADMSG (a row that breaks the rules)
 * or a store error. */
int fraudcfg_profile_get(
    struct db *db, struct sv name, struct fraudcfg_profile *out) RP_MUST_CHECK;
/* By name. Returns 0, the callback's non-zero value, -EBADMSG or a
 * store error. */
int fraudcfg_profile_list(
    struct db *db, fraudcfg_profile_cb cb, void *arg) RP_MUST_CHECK;
/* Removes an unused profile. Returns 0, -EINVAL, -ENOENT, -EBUSY (it is
 * the default or a group's: 'user' gets ""; or a user has it: 'user'
 * gets the first such extension; 'user' may be NULL) or a store
 * error. */
int fraudcfg_profile_remove(
    struct db *db, struct sv name, char user[USERS_EXT_MAX + 1]) RP_MUST_CHECK;
/* The number of users whose own profile is 'name' (those on the
 * default are not counted). Returns 0, -EINVAL or a store error. */
int fraudcfg_profile_members(
    struct db *db, struct sv name, uint64_t *count) RP_MUST_CHECK;

/* The system default profile. get: 0, -ENOENT (none set) or a store
 * error. set: 0, -EINVAL, -ENOENT (no such profile) or a store error. */
int fraudcfg_default_get(
    struct db *db, char out[FRAUDCFG_NAME_MAX + 1]) RP_MUST_CHECK;
int fraudcfg_default_set(struct db *db, struct sv name) RP_MUST_CHECK;

/* Replaces the whole rate table with the rates of a file in the format
 * of policy/rating.h, checked by rating_table_parse() first. Returns 0
 * (*count, may be NULL, gets the number of prefixes), -EBADMSG or
 * -E2BIG (*err, may be NULL, names the line and why), -ENOMEM or a
 * store error. */
int fraudcfg_rates_import(struct db *db, struct sv text,
    struct numplan_error *err, size_t *count) RP_MUST_CHECK;
/* By prefix. Returns 0, the callback's value, -EBADMSG or a store
 * error. */
int fraudcfg_rates_list(
    struct db *db, fraudcfg_rate_cb cb, void *arg) RP_MUST_CHECK;
/* The rate of the longest prefix covering 'number' ('+' optional, 1 to
 * 15 digits). Returns 0, -EINVAL, -ENOENT (no rate covers it),
 * -EBADMSG or a store error. */
int fraudcfg_rate_match(
    struct db *db, struct sv number, struct fraudcfg_rate *out) RP_MUST_CHECK;
/* One rate by its exact prefix. get: 0, -EINVAL, -ENOENT, -EBADMSG or
 * a store error. put adds or replaces it: 0, -EINVAL (a prefix,
 * amount, increment or label that the rate file would refuse) or a
 * store error. remove: 0, -EINVAL, -ENOENT or a store error. */
int fraudcfg_rate_get(
    struct db *db, struct sv prefix, struct fraudcfg_rate *out) RP_MUST_CHECK;
int fraudcfg_rate_put(
    struct db *db, const struct fraudcfg_rate *r) RP_MUST_CHECK;
int fraudcfg_rate_remove(struct db *db, struct sv prefix) RP_MUST_CHECK;

/* Sets the hourly and daily ceilings of a user (which must exist:
 * -ENXIO), a tenant (which a group must name: -ENXIO) or of the system
 * (name ignored). Fields "scope", "name",
 * "hourly", "daily". Returns 0, -EINVAL, -ENXIO or a store error. */
int fraudcfg_ceiling_set(struct db *db, enum fraud_scope scope, struct sv name,
    const struct fraud_ceiling *c, int64_t now,
    const char **field) RP_MUST_CHECK;
/* Returns 0, -EINVAL, -ENOENT, -EBADMSG or a store error. */
int fraudcfg_ceiling_get(struct db *db, enum fraud_scope scope, struct sv name,
    struct fraudcfg_ceiling *out) RP_MUST_CHECK;
int fraudcfg_ceiling_remove(
    struct db *db, enum fraud_scope scope, struct sv name) RP_MUST_CHECK;
/* The global ceiling first, then tenants, then users, each by
 * name. */
int fraudcfg_ceiling_list(
    struct db *db, fraudcfg_ceiling_cb cb, void *arg) RP_MUST_CHECK;

/* Stores a block in force (replacing any row of its scope and name,
 * lifted or not). 'reason' is printable ASCII (empty: the reason's
 * text). Returns 0, -EINVAL or a store error. */
int fraudcfg_block_put(
    struct db *db, const struct fraud_block *b, struct sv reason) RP_MUST_CHECK;
/* Marks the block in force of a scope lifted at 'now'. Returns 0,
 * -EINVAL, -ENOENT (none in force) or a store error. */
int fraudcfg_block_lift(struct db *db, enum fraud_scope scope, struct sv name,
    uint64_t now) RP_MUST_CHECK;
/* Returns 0, -EINVAL, -ENOENT or a store error. */
int fraudcfg_block_get(struct db *db, enum fraud_scope scope, struct sv name,
    struct fraudcfg_block *out) RP_MUST_CHECK;
/* Every block row, those in force and those lifted ('lifted_at'), by
 * scope then name. */
int fraudcfg_block_list(
    struct db *db, fraudcfg_block_cb cb, void *arg) RP_MUST_CHECK;

/* Checks the rules and options of 'cfg' by the engine's own rules:
 * field is the rule's name, "utc-offset" or "business-hours". Returns
 * 0, -EINVAL or -ENOMEM. Any thread. */
int fraudcfg_rules_check(
    const struct fraud_config *cfg, const char **field) RP_MUST_CHECK;
/* Overlays the stored rules and options on 'cfg' (filled by the caller,
 * usually with fraud_config_defaults()). Returns 0, -EBADMSG or a store
 * error. */
int fraudcfg_rules_load(struct db *db, struct fraud_config *cfg) RP_MUST_CHECK;
/* Stores every rule and option of 'cfg' (after fraudcfg_rules_check()).
 * Returns 0, -EINVAL, -ENOMEM or a store error. */
int fraudcfg_rules_store(struct db *db, const struct fraud_config *cfg,
    int64_t now, const char **field) RP_MUST_CHECK;

/* The system-wide prefix lists (R-FRAUD-2): 'allow' lifts the premium
 * and high-risk default for the numbers it covers, for every profile;
 * 'deny' wins over every profile. Normalised texts as
 * fraudcfg_prefixes_normalise() writes them ("" = none). */
#define FRAUDCFG_SYSTEM_ALLOW "fraud.system_allow"
#define FRAUDCFG_SYSTEM_DENY "fraud.system_deny"
/* Reads both lists ("" when unset). Returns 0 or a store error. */
int fraudcfg_system_lists_get(struct db *db,
    char allow[FRAUDCFG_PREFIXES_STRLEN],
    char deny[FRAUDCFG_PREFIXES_STRLEN]) RP_MUST_CHECK;
/* Sets one list ('key' is FRAUDCFG_SYSTEM_ALLOW or _DENY) from an
 * admin's text, normalised. Returns 0, -EINVAL or a store error. */
int fraudcfg_system_list_set(
    struct db *db, const char *key, struct sv text) RP_MUST_CHECK;

#endif
