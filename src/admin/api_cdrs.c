/* The administration API: call records (R-ADMIN-2). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/cdr.h"
#include "store/db.h"
#include "store/users.h"

static json_t *
api_cdr_json(const struct cdr_record *r)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:I,"
	                      "s:s,s:s,s:b,s:I,s:I}",
	    "id", (json_int_t)r->id, "call_id", r->call_id, "caller_ext",
	    r->caller_ext, "caller_number", r->caller_number, "dialed",
	    r->dialed, "callee", r->callee, "start_ms", (json_int_t)r->start_ms,
	    "end_ms", (json_int_t)r->end_ms, "duration_ms",
	    (json_int_t)r->duration_ms, "disposition",
	    cdr_disposition_name(r->disposition), "sip_code",
	    (json_int_t)r->sip_code, "reason", r->reason, "transport",
	    cdr_transport_name(r->transport), "media_encrypted",
	    r->media_encrypted, "rtp_packets", (json_int_t)r->rtp_packets,
	    "rtp_lost", (json_int_t)r->rtp_lost);

	if (o != NULL &&
	    json_object_set_new(o, "answer_ms",
	        r->answered ? json_integer((json_int_t)r->answer_ms)
	                    : json_null()) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
api_cdr_cb(void *arg, const struct cdr_record *r)
{
	return api_page_add(arg, api_cdr_json(r));
}

static enum MHD_Result
api_cdrs(struct api_call *k)
{
	struct cdr_query q = {0};
	struct api_page pg;
	const char *since = api_param(k, "since"), *ext = api_param(k, "ext"),
	           *until = api_param(k, "until");
	uint64_t v, total = 0;
	enum MHD_Result ret;
	bool done;
	int rc;

	if (since != NULL) {
		if (sv_to_u64(sv_cstr(since), API_TIME_MS_MAX, &v) != 0)
			return api_bad_param(
			    k->conn, "since", "milliseconds since the epoch");
		q.since_ms = (int64_t)v;
	}
	if (until != NULL) {
		if (sv_to_u64(sv_cstr(until), API_TIME_MS_MAX, &v) != 0 ||
		    v == 0)
			return api_bad_param(
			    k->conn, "until", "milliseconds since the epoch");
		q.until_ms = (int64_t)v;
	}
	if (ext != NULL) {
		if (!users_ext_valid(sv_cstr(ext)))
			return api_bad_param(k->conn, "ext", "an extension");
		q.ext = sv_cstr(ext);
	}
	if (k->access == RBAC_SELF) {
		if (ext != NULL && strcmp(ext, k->key.ext) != 0)
			return api_error(k->conn, MHD_HTTP_FORBIDDEN,
			    "forbidden", "not allowed for this key");
		q.ext = sv_cstr(k->key.ext);
	}
	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = db_read_begin(k->api->db);
	if (rc == 0) {
		rc = cdr_count(k->api->db, &q, &total);
		if (rc == 0)
			rc = cdr_list(k->api->db, &q, api_cdr_cb, &pg);
		db_read_end(k->api->db);
	}
	if (rc == 1)
		rc = 0;
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "cdrs", rc);
	}
	return api_page_send(k, &pg, total);
}

const struct api_route_def api_routes_cdrs[] = {
    {"cdrs", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_CDRS_READ,
        {"since", "until", "ext", "limit", "offset"}, api_cdrs},
    {.path = NULL},
};
