/* The administration API: call records as CSV (RFC 4180), the export
 * behind `rempart cdr export --csv` (R-ADMIN-2). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "core/buf.h"
#include "store/cdr.h"
#include "store/db.h"
#include "store/users.h"

/* The most records one export takes (its 'limit': the latest N). */
#define API_CSV_LIMIT_MAX 1000000u
/* The largest export answered; a larger one asks for filters. */
#define API_CSV_MAX (256u * 1024 * 1024)

#define API_CSV_HEADER                                                         \
	"id,call_id,start,answer,end,duration_ms,caller_ext,"                  \
	"caller_number,dialed,callee,disposition,sip_code,reason,transport,"   \
	"media_encrypted,rtp_packets,rtp_lost\r\n"

/* "2026-11-23T10:00:00.250Z". */
static const char *
api_csv_time(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	char base[24];
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return "?";
	n = snprintf(out, size, "%s.%03dZ", base, (int)(ms % 1000));
	return n > 0 && (size_t)n < size ? out : "?";
}

/* One CSV text cell (RFC 4180): quoted when it holds a comma, a quote
 * or a line break. A cell a spreadsheet would take for a formula gets a
 * leading apostrophe, so an exported caller number or reason cannot run
 * as one (CSV injection). */
static void
api_csv_text(struct buf *b, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	buf_append_char(b, ',');
	if (quote)
		buf_append_char(b, '"');
	if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
		buf_append_char(b, '\'');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buf_append_char(b, '"');
		buf_append_char(b, *s);
	}
	if (quote)
		buf_append_char(b, '"');
}

static int
api_csv_row(void *arg, const struct cdr_record *r)
{
	char start[32], answer[32], end[32];
	struct buf *b = arg;

	buf_printf(b, "%" PRId64, r->id);
	api_csv_text(b, r->call_id);
	buf_printf(b, ",%s,%s,%s,%" PRId64,
	    api_csv_time(r->start_ms, start, sizeof(start)),
	    r->answered ? api_csv_time(r->answer_ms, answer, sizeof(answer))
	                : "",
	    api_csv_time(r->end_ms, end, sizeof(end)), r->duration_ms);
	api_csv_text(b, r->caller_ext);
	api_csv_text(b, r->caller_number);
	api_csv_text(b, r->dialed);
	api_csv_text(b, r->callee);
	buf_printf(
	    b, ",%s,%u", cdr_disposition_name(r->disposition), r->sip_code);
	api_csv_text(b, r->reason);
	buf_printf(b, ",%s,%d,%" PRIu64 ",%" PRIu64 "\r\n",
	    cdr_transport_name(r->transport), r->media_encrypted ? 1 : 0,
	    r->rtp_packets, r->rtp_lost);
	return b->err;
}

/* Reads the filters (as GET /api/v1/cdrs, 'limit' being the latest N).
 * Returns MHD_YES with *done false when valid. */
static enum MHD_Result
api_csv_query(struct api_call *k, struct cdr_query *q, bool *done)
{
	const char *since = api_param(k, "since"), *ext = api_param(k, "ext"),
	           *until = api_param(k, "until"),
	           *limit = api_param(k, "limit");
	uint64_t v;

	*done = true;
	if (since != NULL) {
		if (sv_to_u64(sv_cstr(since), API_TIME_MS_MAX, &v) != 0)
			return api_bad_param(
			    k->conn, "since", "milliseconds since the epoch");
		q->since_ms = (int64_t)v;
	}
	if (until != NULL) {
		if (sv_to_u64(sv_cstr(until), API_TIME_MS_MAX, &v) != 0 ||
		    v == 0)
			return api_bad_param(
			    k->conn, "until", "milliseconds since the epoch");
		q->until_ms = (int64_t)v;
	}
	if (limit != NULL &&
	    (sv_to_u32(sv_cstr(limit), API_CSV_LIMIT_MAX, &q->limit) != 0 ||
	        q->limit == 0))
		return api_bad_param(k->conn, "limit", "1-1000000");
	if (ext != NULL) {
		if (!users_ext_valid(sv_cstr(ext)))
			return api_bad_param(k->conn, "ext", "an extension");
		q->ext = sv_cstr(ext);
	}
	if (k->access == RBAC_SELF) {
		if (ext != NULL && strcmp(ext, k->key.ext) != 0)
			return api_error(k->conn, MHD_HTTP_FORBIDDEN,
			    "forbidden", "not allowed for this key");
		q->ext = sv_cstr(k->key.ext);
	}
	*done = false;
	return MHD_YES;
}

/* GET /api/v1/cdrs/export.csv?since&until&ext&limit. */
static enum MHD_Result
api_cdr_export(struct api_call *k)
{
	struct cdr_query q = {0};
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct buf b;
	bool done;
	int rc;

	ret = api_csv_query(k, &q, &done);
	if (done)
		return ret;
	buf_init(&b, API_CSV_MAX);
	buf_append_cstr(&b, API_CSV_HEADER);
	rc = cdr_list(k->api->db, &q, api_csv_row, &b);
	if (rc == 0)
		rc = b.err;
	if (rc == -E2BIG) {
		buf_release(&b);
		return api_error(k->conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "too_large", "too many records: narrow the export");
	}
	if (rc != 0) {
		buf_release(&b);
		return api_store_error(k->conn, "cdrs.export", rc);
	}
	r = MHD_create_response_from_buffer(
	    b.len, b.data, MHD_RESPMEM_MUST_COPY);
	buf_release(&b);
	if (r == NULL)
		return MHD_NO;
	api_headers(r);
	MHD_del_response_header(
	    r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Content-Type", "text/csv; charset=utf-8");
	MHD_add_response_header(
	    r, "Content-Disposition", "attachment; filename=\"cdrs.csv\"");
	ret = MHD_queue_response(k->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

const struct api_route_def api_routes_cdr_export[] = {
    {"cdrs/export.csv", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_CDRS_READ,
        {"since", "until", "ext", "limit"}, api_cdr_export},
    {.path = NULL},
};
