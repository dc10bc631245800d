/* The administration API: a manual anti-fraud block (R-FRAUD-3), as
 * `rempart fraud block user EXT|--tenant T|global`, with the same audit
 * entry. A
 * block stays in force until it is lifted (POST /fraud/unblock). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/users.h"

bool
api_reason_ok(struct sv r)
{
	if (r.p == NULL || r.len > FRAUDCFG_REASON_MAX)
		return false;
	for (size_t i = 0; i < r.len; i++)
		if (r.p[i] < 0x20 || r.p[i] > 0x7e)
			return false;
	return true;
}

/* Writes the block with its audit entry, in one transaction. Returns
 * 0, -ENXIO (no such user, or no group has the tenant) or a store
 * error. */
static int
api_block_store(struct api_call *k, const struct fraud_block *b,
    struct sv reason, const char *object)
{
	struct user_info u;
	int rc = db_tx_begin(k->api->db);

	if (rc != 0)
		return rc;
	if (b->scope == FRAUD_SCOPE_USER) {
		rc = users_get_info(k->api->db, sv_cstr(b->name), &u);
		if (rc == -ENOENT)
			rc = -ENXIO;
	}
	/* A tenant no group has is likely a typo, as for unblock. */
	if (b->scope == FRAUD_SCOPE_TENANT) {
		rc = groups_tenant_exists(k->api->db, sv_cstr(b->name));
		if (rc == -ENOENT)
			rc = -ENXIO;
	}
	if (rc == 0)
		rc = fraudcfg_block_put(k->api->db, b, reason);
	if (rc == 0)
		rc = api_audit_change(k, "fraud.block", object, NULL,
		    json_pack("{s:s%}", "reason", API_SV(reason)));
	return api_tx_end(k->api, rc);
}

/* POST /api/v1/fraud/block {scope, name?, reason?}: as `rempart fraud
 * block user EXT|--tenant T|global`: the user's (the tenant's, or
 * every) call is refused until an administrator lifts the block. */
static enum MHD_Result
api_fraud_block(struct api_call *k)
{
	static const char *const members[] = {"scope", "name", "reason", NULL};
	char object[USERS_EXT_MAX + 16];
	struct fraud_block b = {0};
	enum MHD_Result ret = MHD_NO;
	struct sv text, name, reason;
	json_t *o;
	int rc = -EINVAL;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	text = api_json_sv(o, "scope");
	name = json_object_get(o, "name") != NULL ? api_json_sv(o, "name")
	                                          : SV("");
	reason = json_object_get(o, "reason") != NULL ? api_json_sv(o, "reason")
	                                              : SV("");
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes scope, name and reason");
	else if (text.p == NULL || fraudcfg_scope_parse(text, &b.scope) != 0)
		ret = api_bad_field(k->conn, "scope", "user, tenant or global");
	else if (b.scope == FRAUD_SCOPE_TENANT &&
	         (name.p == NULL || !groups_tenant_valid(name)))
		ret = api_bad_field(k->conn, "name",
		    "the tenant (1-32 lower-case letters, digits, '_' or '-')");
	else if (b.scope == FRAUD_SCOPE_USER &&
	         (name.p == NULL || !users_ext_valid(name)))
		ret = api_bad_field(k->conn, "name",
		    "the user's extension (1-32 letters, digits, '.', '_' "
		    "or '-')");
	else if (b.scope == FRAUD_SCOPE_GLOBAL &&
	         (name.p == NULL || name.len != 0))
		ret =
		    api_bad_field(k->conn, "name", "none for the global scope");
	else if (!api_reason_ok(reason))
		ret = api_bad_field(
		    k->conn, "reason", "up to 128 printable ASCII characters");
	else
		rc = 0;
	if (rc == 0) {
		memcpy(b.name, name.p, name.len);
		b.reason = FRAUD_R_MANUAL;
		b.since_s = (uint64_t)time(NULL);
		if (b.scope == FRAUD_SCOPE_GLOBAL)
			snprintf(object, sizeof(object), "global");
		else
			snprintf(object, sizeof(object), "%s:%.*s",
			    fraudcfg_scope_name(b.scope), (int)name.len,
			    name.p);
		rc = api_block_store(k, &b, reason, object);
		if (rc == -ENXIO)
			ret =
			    api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
			        b.scope == FRAUD_SCOPE_TENANT
			            ? "no such tenant: no group has it"
			            : "no such user");
		else if (rc != 0)
			ret = api_store_error(k->conn, "fraud.block", rc);
	}
	json_decref(o);
	if (rc != 0)
		return ret;
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "object", object, "blocked", 1), NULL, NULL);
}

const struct api_route_def api_routes_fraud_block[] = {
    {"fraud/block", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_fraud_block},
    {.path = NULL},
};
