/* The administration API: anti-fraud blocks (R-FRAUD-3). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/users.h"

static json_t *
api_block_json(const void *row)
{
	const struct fraudcfg_block *b = row;

	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "scope",
	    fraudcfg_scope_name(b->b.scope), "name", b->b.name, "reason",
	    fraudcfg_reason_name(b->b.reason), "text", b->reason, "since",
	    (json_int_t)b->b.since_s, "until", (json_int_t)b->b.until_s);
}

static bool
api_block_in_force(const struct fraudcfg_block *b, uint64_t now)
{
	return b->lifted_at == 0 && (b->b.until_s == 0 || b->b.until_s > now);
}

static int
api_block_cb(void *arg, const struct fraudcfg_block *b)
{
	struct api_walk *w = arg;

	if (!api_block_in_force(b, w->now_s))
		return 0;
	return api_walk_add(w, api_block_json, b);
}

/* GET /api/v1/fraud/blocks: the anti-fraud blocks in force. */
static enum MHD_Result
api_fraud_blocks(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, (uint64_t)time(NULL)};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = fraudcfg_block_list(k->api->db, api_block_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "fraud.blocks", rc);
	}
	return api_page_send(k, &pg, w.total);
}

/* Lifts the block in force of a scope with its audit entry, in one
 * transaction. Returns 0, -ENOENT (none in force) or a store error. */
static int
api_unblock_store(struct api_call *k, enum fraud_scope scope, struct sv name,
    const char *object, struct sv reason)
{
	uint64_t now = (uint64_t)time(NULL);
	struct fraudcfg_block b;
	int rc = db_tx_begin(k->api->db);

	if (rc != 0)
		return rc;
	rc = fraudcfg_block_get(k->api->db, scope, name, &b);
	if (rc == 0 && !api_block_in_force(&b, now))
		rc = -ENOENT;
	if (rc == 0)
		rc = fraudcfg_block_lift(k->api->db, scope, name, now);
	if (rc == 0)
		rc = api_audit_change(k, "fraud.unblock", object,
		    json_pack("{s:s,s:s,s:I,s:I}", "reason",
		        fraudcfg_reason_name(b.b.reason), "text", b.reason,
		        "since", (json_int_t)b.b.since_s, "until",
		        (json_int_t)b.b.until_s),
		    json_pack("{s:I,s:s%}", "lifted_at", (json_int_t)now,
		        "reason", API_SV(reason)));
	return api_tx_end(k->api, rc);
}

/* POST /api/v1/fraud/unblock {scope, name?, reason?}: as `rempart
 * fraud unblock user EXT|--tenant T|global`; the reason (up to 128
 * printable ASCII characters) goes to the audit entry. */
static enum MHD_Result
api_fraud_unblock(struct api_call *k)
{
	static const char *const members[] = {"scope", "name", "reason", NULL};
	char object[USERS_EXT_MAX + 16];
	enum MHD_Result ret = MHD_NO;
	enum fraud_scope scope = FRAUD_SCOPE_GLOBAL;
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
	else if (text.p == NULL || fraudcfg_scope_parse(text, &scope) != 0)
		ret = api_bad_field(k->conn, "scope", "user, tenant or global");
	else if (scope == FRAUD_SCOPE_TENANT &&
	         (name.p == NULL || !groups_tenant_valid(name)))
		ret = api_bad_field(k->conn, "name",
		    "the tenant (1-32 lower-case letters, digits, '_' or '-')");
	else if (scope == FRAUD_SCOPE_USER &&
	         (name.p == NULL || !users_ext_valid(name)))
		ret = api_bad_field(k->conn, "name",
		    "the user's extension (1-32 letters, digits, '.', '_' "
		    "or '-')");
	else if (scope == FRAUD_SCOPE_GLOBAL &&
	         (name.p == NULL || name.len != 0))
		ret =
		    api_bad_field(k->conn, "name", "none for the global scope");
	else if (!api_reason_ok(reason))
		ret = api_bad_field(
		    k->conn, "reason", "up to 128 printable ASCII characters");
	else
		rc = 0;
	if (rc == 0) {
		if (scope == FRAUD_SCOPE_GLOBAL)
			snprintf(object, sizeof(object), "global");
		else
			snprintf(object, sizeof(object), "%s:%.*s",
			    fraudcfg_scope_name(scope), (int)name.len, name.p);
		rc = api_unblock_store(k, scope, name, object, reason);
		/* No block, and no group has the tenant: likely a typo. */
		if (rc == -ENOENT && scope == FRAUD_SCOPE_TENANT &&
		    groups_tenant_exists(k->api->db, name) == -ENOENT)
			ret = api_error(k->conn, MHD_HTTP_NOT_FOUND,
			    "not_found", "no such tenant: no group has it");
		else if (rc == -ENOENT)
			ret = api_error(k->conn, MHD_HTTP_NOT_FOUND,
			    "not_blocked", "no block in force for that scope");
		else if (rc != 0)
			ret = api_store_error(k->conn, "fraud.unblock", rc);
		else
			ret = MHD_YES;
	}
	json_decref(o);
	if (rc != 0)
		return ret;
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "object", object, "unblocked", 1), NULL,
	    NULL);
}

const struct api_route_def api_routes_fraud[] = {
    {"fraud/blocks", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ,
        {"limit", "offset"}, api_fraud_blocks},
    {"fraud/unblock", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_fraud_unblock},
    {.path = NULL},
};
