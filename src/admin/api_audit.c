/* The administration API: the audit log and the security
 * self-assessment (R-ADMIN-4, R-AUDIT-1). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/audit.h"
#include "store/db.h"

static int
api_audit_cb(void *arg, const struct audit_entry *e)
{
	json_t *o = json_pack("{s:I,s:I,s:s%,s:s%,s:s%,s:s%,s:s%,s:s%,s:s%}",
	    "seq", (json_int_t)e->seq, "at_ms", (json_int_t)e->at_ms, "actor",
	    API_SV(e->actor), "role", API_SV(e->role), "source",
	    API_SV(e->source), "action", API_SV(e->action), "object",
	    API_SV(e->object), "before", API_SV(e->before), "after",
	    API_SV(e->after));

	if (o == NULL || json_array_append_new(arg, o) != 0)
		return -ENOMEM;
	return 0;
}

/* GET /api/v1/audit?since&limit&offset, with 'offset': a page of the
 * entries since 'since', oldest first, with their total, for walking
 * the whole log (`rempart audit list`). */
static enum MHD_Result
api_audit_page(struct api_call *k, int64_t since_ms)
{
	struct api_page pg;
	uint64_t total = 0;
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = audit_page(k->api->db, since_ms, pg.offset, pg.limit, &total,
	    api_audit_cb, pg.items);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "audit", rc);
	}
	return api_page_send(k, &pg, total);
}

/* Without 'offset': the latest 'limit' entries, oldest first. */
static enum MHD_Result
api_audit(struct api_call *k)
{
	const char *since = api_param(k, "since"),
	           *limit = api_param(k, "limit");
	uint32_t n = API_PAGE_DEFAULT;
	uint64_t since_ms = 0;
	json_t *items;
	int rc;

	if (since != NULL &&
	    sv_to_u64(sv_cstr(since), API_TIME_MS_MAX, &since_ms) != 0)
		return api_bad_param(
		    k->conn, "since", "milliseconds since the epoch");
	if (api_param(k, "offset") != NULL)
		return api_audit_page(k, (int64_t)since_ms);
	if (limit != NULL &&
	    (sv_to_u32(sv_cstr(limit), API_PAGE_MAX, &n) != 0 || n == 0))
		return api_bad_param(k->conn, "limit", "1-1000");
	items = json_array();
	if (items == NULL)
		return api_send(k->conn, MHD_HTTP_OK, NULL, NULL, NULL);
	rc = audit_list(k->api->db, (int64_t)since_ms, n, api_audit_cb, items);
	if (rc != 0) {
		json_decref(items);
		return api_store_error(k->conn, "audit", rc);
	}
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:o,s:I}", "items", items, "limit", (json_int_t)n),
	    NULL, NULL);
}

static enum MHD_Result
api_audit_verify(struct api_call *k)
{
	struct audit_verify_result r;
	json_t *body;
	int rc;

	rc = audit_verify(k->api->db, k->api->keys, &r);
	if (rc != 0)
		return api_store_error(k->conn, "audit.verify", rc);
	body = json_pack("{s:b,s:I,s:I}", "ok", r.ok, "count",
	    (json_int_t)r.count, "last_seq", (json_int_t)r.last_seq);
	if (body != NULL && !r.ok &&
	    (json_object_set_new(body, "broken_seq",
	         json_integer((json_int_t)r.broken_seq)) != 0 ||
	        json_object_set_new(body, "fault",
	            json_string(audit_fault_text(r.fault))) != 0)) {
		json_decref(body);
		body = NULL;
	}
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

const struct api_route_def api_routes_audit[] = {
    {"audit", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_AUDIT_READ,
        {"since", "limit", "offset"}, api_audit},
    {"audit/verify", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_AUDIT_READ,
        {NULL}, api_audit_verify},
    {.path = NULL},
};
