/* Groups of users (schema migration 9; R-FRAUD-1, R-FRAUD-2,
 * R-FRAUD-3).
 *
 * A user belongs to at most one group. A group may carry a rights
 * profile and a tenant:
 *   - the profile applies to its members that have no profile of their
 *     own; a member's own profile wins, and a group without a profile
 *     leaves its members on the system default (store/fraudcfg.h);
 *   - the tenant is the scope of the ceilings and blocks that cover all
 *     its members (users carry no tenant of their own). Several groups
 *     may share a tenant.
 * Names (group and tenant) follow users_profile_valid(): 1 to 32 of
 * [a-z0-9_-]. A description follows users_name_valid().
 *
 * Every write runs in a transaction level (store/db.h): on any error
 * nothing is written. Validation errors are -EINVAL with *field (may be
 * NULL) set to static text naming the bad field ("name", "profile",
 * "tenant", "description"). Thread rules: those of the db handle; the
 * pure functions on any thread. */
#ifndef RP_STORE_GROUPS_H
#define RP_STORE_GROUPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/users.h"

#define GROUPS_NAME_MAX USERS_GROUP_MAX
#define GROUPS_TENANT_MAX USERS_GROUP_MAX

struct group_info {
	char name[GROUPS_NAME_MAX + 1];
	char profile[USERS_PROFILE_MAX + 1];        /* "" = system default */
	char tenant[GROUPS_TENANT_MAX + 1];         /* "" = none */
	char description[USERS_NAME_BYTES_MAX + 1]; /* "" = none */
	uint64_t members;                           /* filled by get/list */
	int64_t created_at;
	int64_t updated_at;
};

typedef int (*groups_list_cb)(void *arg, const struct group_info *g);

/* True for a group or tenant name as defined above. Any thread. */
bool groups_name_valid(struct sv name);
bool groups_tenant_valid(struct sv tenant);

/* Checks the fields of a group. Returns 0 or -EINVAL. Any thread. */
int groups_check(const struct group_info *g, const char **field) RP_MUST_CHECK;

/* Adds a group (-EEXIST when it exists) or replaces every field of one
 * but its name and created_at (-ENOENT when it does not). Returns 0,
 * -EINVAL, -EEXIST / -ENOENT, -ENXIO (no such profile; *field is
 * "profile") or a store error. */
int groups_add(struct db *db, const struct group_info *g, int64_t now,
    const char **field) RP_MUST_CHECK;
int groups_update(struct db *db, const struct group_info *g, int64_t now,
    const char **field) RP_MUST_CHECK;

/* Returns 0, -EINVAL, -ENOENT, -EBADMSG (a row that breaks the rules)
 * or a store error. */
int groups_get(
    struct db *db, struct sv name, struct group_info *out) RP_MUST_CHECK;
/* By name. Returns 0, the callback's non-zero value, -EBADMSG or a
 * store error. */
int groups_list(struct db *db, groups_list_cb cb, void *arg) RP_MUST_CHECK;

/* Calls cb for each member of a group, by extension. Returns 0, the
 * callback's value, -EINVAL, -EBADMSG or a store error. */
int groups_members(
    struct db *db, struct sv name, users_list_cb cb, void *arg) RP_MUST_CHECK;

/* Removes a group. With members it is refused (-EBUSY, *members, may be
 * NULL, gets their number) unless 'force', which first takes them out
 * of the group. Returns 0, -EINVAL, -ENOENT, -EBUSY or a store error. */
int groups_remove(
    struct db *db, struct sv name, bool force, uint64_t *members) RP_MUST_CHECK;

/* Whether some group has the tenant 'tenant'. Returns 0 (yes), -ENOENT,
 * -EINVAL or a store error. */
int groups_tenant_exists(struct db *db, struct sv tenant) RP_MUST_CHECK;

/* Whether some group has the profile 'profile'. Returns 0 (yes; 'group'
 * may be NULL, else gets the first such group by name), -ENOENT,
 * -EINVAL or a store error. */
int groups_profile_user(struct db *db, struct sv profile,
    char group[GROUPS_NAME_MAX + 1]) RP_MUST_CHECK;

#endif
