/* The administration API: the audit log's retention applied by hand
 * (`rempart audit prune`). The retention itself is a system setting
 * (api_settings.c). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/audit.h"
#include "store/db.h"

/* Longest 'older_than_seconds': the longest retention. */
#define API_PRUNE_MAX_SECS ((json_int_t)AUDIT_RETENTION_MAX_DAYS * 86400)

/* "2026-01-02T03:04:05.000Z", the cut-off as the audit entry shows it. */
static void
api_prune_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	char base[24];
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, size, "?");
		return;
	}
	snprintf(out, size, "%s.%03dZ", base, (int)(ms % 1000));
}

/* POST /api/v1/audit/prune {older_than_seconds?}: removes the entries
 * older than that (by default, than the retention), the keyed anchor
 * keeping what is left verifiable, and records it in the same
 * transaction. A broken chain is left as it is (409): pruning must not
 * erase the evidence. */
static enum MHD_Result
api_audit_prune(struct api_call *k)
{
	static const char *const members[] = {"older_than_seconds", NULL};
	enum MHD_Result ret = MHD_NO;
	char cut_text[32];
	uint64_t removed = 0;
	int64_t secs, cut_ms;
	uint32_t days;
	json_t *o, *v;
	int rc;

	o = k->body.len != 0 ? api_body(k, &ret) : json_object();
	if (o == NULL)
		return k->body.len != 0 ? ret : MHD_NO;
	if (!api_body_members_ok(o, members)) {
		json_decref(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member (older_than_seconds only)");
	}
	v = json_object_get(o, "older_than_seconds");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1 ||
	                     json_integer_value(v) > API_PRUNE_MAX_SECS)) {
		json_decref(o);
		return api_bad_field(k->conn, "older_than_seconds",
		    "a positive number of seconds, at most 36500 days");
	}
	secs = v != NULL ? (int64_t)json_integer_value(v) : 0;
	json_decref(o);
	if (v == NULL) {
		rc = audit_retention_days(k->api->db, &days);
		if (rc != 0)
			return api_error(k->conn,
			    MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
			    "invalid audit retention setting");
		secs = (int64_t)days * 86400;
	}
	cut_ms = ((int64_t)time(NULL) - secs) * 1000;
	api_prune_time(cut_ms, cut_text, sizeof(cut_text));
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = audit_prune(k->api->db, k->api->keys, cut_ms, &removed);
		if (rc == 0)
			rc = api_audit_change(k, "audit.prune", "", NULL,
			    json_pack("{s:s,s:I}", "older_than", cut_text,
			        "removed", (json_int_t)removed));
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -EBADMSG)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "chain_broken",
		    "the audit chain is broken; nothing removed");
	if (rc != 0)
		return api_store_error(k->conn, "audit.prune", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:I}", "older_than", cut_text, "removed",
	        (json_int_t)removed),
	    NULL, NULL);
}

const struct api_route_def api_routes_auditops[] = {
    {"audit/prune", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_SETTINGS_WRITE,
        {NULL}, api_audit_prune},
    {.path = NULL},
};
