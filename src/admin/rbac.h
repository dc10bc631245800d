/* Role-based access control of the administration API (R-ADMIN-2).
 *
 * Every endpoint belongs to one class; one table (rbac.c) says, for each
 * class and role, whether the role may use it, may use it only on its
 * own extension, or not at all. Endpoints never test a role themselves:
 * they ask rbac_check(), so the policy is read and reviewed in one
 * place. Pure functions; any thread. */
#ifndef RP_ADMIN_RBAC_H
#define RP_ADMIN_RBAC_H

#include "core/compiler.h"
#include "core/sv.h"

enum rbac_role {
	RBAC_ROLE_ADMIN,
	RBAC_ROLE_AUDITOR,  /* reads everything, the audit log included */
	RBAC_ROLE_HELPDESK, /* users and PIN resets; no trunks, rights, routes
	                     */
	RBAC_ROLE_USER,     /* self-service on its own extension */
	RBAC_ROLE_COUNT,
};

enum rbac_class {
	RBAC_USERS_READ,
	RBAC_USERS_WRITE,
	RBAC_PIN_RESET,
	RBAC_CDRS_READ,
	RBAC_BANS_READ,
	RBAC_BANS_WRITE,
	RBAC_AUDIT_READ,
	RBAC_TRUNKS_READ,
	RBAC_TRUNKS_WRITE,
	RBAC_ROUTES_READ,
	RBAC_ROUTES_WRITE,
	RBAC_RIGHTS_READ,
	RBAC_RIGHTS_WRITE,
	RBAC_APIKEYS_MANAGE,
	RBAC_ASSESSMENT_READ,   /* the security self-assessment */
	RBAC_ASSESSMENT_ATTEST, /* attesting its items, revoking */
	RBAC_REGISTRATIONS_READ,
	RBAC_FRAUD_READ,     /* anti-fraud: blocks, rates, ceilings, rules */
	RBAC_FRAUD_WRITE,    /* changing them, lifting blocks */
	RBAC_CALLS_READ,     /* calls in progress */
	RBAC_CALLS_HANGUP,   /* ending one */
	RBAC_STATUS_READ,    /* the dashboard's summary */
	RBAC_SECURITY_READ,  /* the security log's events */
	RBAC_SETTINGS_READ,  /* system settings (never a secret) */
	RBAC_SETTINGS_WRITE, /* changing them */
	RBAC_ADMINS_MANAGE,  /* administrator accounts */
	RBAC_CLASS_COUNT,
};

enum rbac_access {
	RBAC_DENY,
	RBAC_ALLOW,
	RBAC_SELF, /* only on the caller's own extension */
};

/* What 'role' may do with 'cls'. Out-of-range values give RBAC_DENY. */
enum rbac_access rbac_check(enum rbac_role role, enum rbac_class cls);

/* "admin", "auditor", "helpdesk", "user"; NULL when out of range. */
const char *rbac_role_name(enum rbac_role role);
/* Parses one of those exact names. Returns 0 or -EINVAL. */
int rbac_role_parse(struct sv name, enum rbac_role *out) RP_MUST_CHECK;

#endif
