/* The access table of the administration API. */
#include "admin/rbac.h"

#include <errno.h>

#define A RBAC_ALLOW
#define D RBAC_DENY
#define S RBAC_SELF

/* Rows: endpoint classes. Columns: admin, auditor, helpdesk, user.
 * Deny is the default: a class added to the enum without a row here
 * stays closed to everyone (zero is RBAC_DENY). */
static const enum rbac_access rbac_table[RBAC_CLASS_COUNT][RBAC_ROLE_COUNT] = {
    /*                      admin auditor helpdesk user */
    [RBAC_USERS_READ] = {A, A, A, S},
    [RBAC_USERS_WRITE] = {A, D, A, D},
    [RBAC_PIN_RESET] = {A, D, A, S},
    [RBAC_CDRS_READ] = {A, A, D, S},
    [RBAC_BANS_READ] = {A, A, D, D},
    [RBAC_BANS_WRITE] = {A, D, D, D},
    [RBAC_AUDIT_READ] = {A, A, D, D},
    [RBAC_TRUNKS_READ] = {A, A, D, D},
    [RBAC_TRUNKS_WRITE] = {A, D, D, D},
    [RBAC_ROUTES_READ] = {A, A, D, D},
    [RBAC_ROUTES_WRITE] = {A, D, D, D},
    [RBAC_RIGHTS_READ] = {A, A, D, D},
    [RBAC_RIGHTS_WRITE] = {A, D, D, D},
    [RBAC_APIKEYS_MANAGE] = {A, D, D, D},
    [RBAC_ASSESSMENT_READ] = {A, A, D, D},
    [RBAC_ASSESSMENT_ATTEST] = {A, D, D, D},
    [RBAC_REGISTRATIONS_READ] = {A, A, A, S},
    [RBAC_FRAUD_READ] = {A, A, D, D},
    [RBAC_FRAUD_WRITE] = {A, D, D, D},
    [RBAC_CALLS_READ] = {A, A, D, S},
    [RBAC_CALLS_HANGUP] = {A, D, D, D},
    [RBAC_STATUS_READ] = {A, A, D, D},
    [RBAC_SECURITY_READ] = {A, A, D, D},
    [RBAC_SETTINGS_READ] = {A, A, D, D},
    [RBAC_SETTINGS_WRITE] = {A, D, D, D},
    [RBAC_ADMINS_MANAGE] = {A, D, D, D},
};

#undef A
#undef D
#undef S

static const char *const rbac_role_names[RBAC_ROLE_COUNT] = {
    [RBAC_ROLE_ADMIN] = "admin",
    [RBAC_ROLE_AUDITOR] = "auditor",
    [RBAC_ROLE_HELPDESK] = "helpdesk",
    [RBAC_ROLE_USER] = "user",
};

enum rbac_access
rbac_check(enum rbac_role role, enum rbac_class cls)
{
	if ((unsigned)role >= RBAC_ROLE_COUNT ||
	    (unsigned)cls >= RBAC_CLASS_COUNT)
		return RBAC_DENY;
	return rbac_table[cls][role];
}

const char *
rbac_role_name(enum rbac_role role)
{
	if ((unsigned)role >= RBAC_ROLE_COUNT)
		return NULL;
	return rbac_role_names[role];
}

int
rbac_role_parse(struct sv name, enum rbac_role *out)
{
	for (unsigned i = 0; i < RBAC_ROLE_COUNT; i++) {
		if (sv_eq(name, sv_cstr(rbac_role_names[i]))) {
			*out = (enum rbac_role)i;
			return 0;
		}
	}
	return -EINVAL;
}
