/* The administration API over libmicrohttpd. */
#include "admin/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "admin/apikeys.h"
#include "admin/rbac.h"
#include "core/log.h"
#include "core/sv.h"
#include "policy/cidr.h"
#include "store/audit.h"
#include "store/bans.h"
#include "store/cdr.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/users.h"

/* TLS 1.3 only, whatever GnuTLS would otherwise allow. */
#define API_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define API_PEM_MAX (64u * 1024u)
#define API_BUCKETS 256u
#define API_PARAMS_MAX 8u
#define API_OFFSET_MAX 1000000000u
/* Year 9999 in ms: bounds 'since' so it fits every clock type. */
#define API_TIME_MS_MAX 253402300799999ull
#define API_PREFIX "/api/v1/"

struct api_bucket {
	char id[APIKEYS_ID_STRLEN]; /* "" when free */
	uint64_t milli_tokens;
	int64_t at_ms; /* last refill, monotonic */
};

struct api {
	struct MHD_Daemon *mhd;
	struct db *db;
	struct keys *keys;
	char *cert, *key;
	size_t cert_len, key_len;
	uint32_t rate, burst;
	struct cidr_set *allow;
	api_assessment_cb assessment;
	char *data_dir;
	struct api_bucket buckets[API_BUCKETS];
};

/* Per request: the body bytes seen, and whether an answer is queued. */
struct api_req {
	uint64_t body;
	bool answered;
};

enum api_route {
	API_ROUTE_USERS,
	API_ROUTE_USER,
	API_ROUTE_CDRS,
	API_ROUTE_BANS,
	API_ROUTE_AUDIT,
	API_ROUTE_AUDIT_VERIFY,
	API_ROUTE_ASSESSMENT,
};

/* Each route: its path under /api/v1/, its access class and the query
 * parameters it takes. "users/" takes one more path segment. */
static const struct api_route_def {
	const char *path;
	enum api_route route;
	enum rbac_class cls;
	const char *params[5];
} api_routes[] = {
    {"users", API_ROUTE_USERS, RBAC_USERS_READ, {"limit", "offset"}},
    {"users/", API_ROUTE_USER, RBAC_USERS_READ, {NULL}},
    {"cdrs", API_ROUTE_CDRS, RBAC_CDRS_READ,
        {"since", "ext", "limit", "offset"}},
    {"bans", API_ROUTE_BANS, RBAC_BANS_READ, {"limit", "offset"}},
    {"audit", API_ROUTE_AUDIT, RBAC_AUDIT_READ, {"since", "limit"}},
    {"audit/verify", API_ROUTE_AUDIT_VERIFY, RBAC_AUDIT_READ, {NULL}},
    {"assessment", API_ROUTE_ASSESSMENT, RBAC_ASSESSMENT_READ, {NULL}},
};

struct api_param {
	const char *name;
	const char *value; /* NULL for "?name" without '=' */
};

struct api_query {
	struct api_param p[API_PARAMS_MAX];
	unsigned n;
	bool too_many;
};

/* A request being answered. */
struct api_call {
	struct api *api;
	struct MHD_Connection *conn;
	struct apikey_info key;
	const struct api_route_def *def;
	struct sv tail; /* the path segment after "users/" */
	enum rbac_access access;
	struct api_query q;
};

static int64_t
api_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Headers every answer carries. */
static void
api_headers(struct MHD_Response *r)
{
	MHD_add_response_header(
	    r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Strict-Transport-Security",
	    "max-age=31536000; includeSubDomains");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(
	    r, "Content-Security-Policy", "default-src 'none'");
}

/* Sends 'body' (consumed; NULL gives a 500) with 'status'. 'hname'
 * and 'hvalue' add one more header when not NULL. */
static enum MHD_Result
api_send(struct MHD_Connection *c, unsigned status, json_t *body,
    const char *hname, const char *hvalue)
{
	static const char oom[] = "{\"error\":{\"code\":\"internal\","
	                          "\"message\":\"internal error\"}}";
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL;

	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		json_decref(body);
	}
	if (text == NULL) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		hname = NULL;
		r = MHD_create_response_from_buffer(sizeof(oom) - 1,
		    (void *)(uintptr_t)oom, MHD_RESPMEM_PERSISTENT);
	} else {
		r = MHD_create_response_from_buffer(
		    strlen(text), text, MHD_RESPMEM_MUST_COPY);
		free(text);
	}
	if (r == NULL)
		return MHD_NO;
	api_headers(r);
	if (hname != NULL)
		MHD_add_response_header(r, hname, hvalue);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
api_error_h(struct MHD_Connection *c, unsigned status, const char *code,
    const char *message, const char *hname, const char *hvalue)
{
	json_t *body = json_pack(
	    "{s:{s:s,s:s}}", "error", "code", code, "message", message);

	return api_send(c, status, body, hname, hvalue);
}

static enum MHD_Result
api_error(struct MHD_Connection *c, unsigned status, const char *code,
    const char *message)
{
	return api_error_h(c, status, code, message, NULL, NULL);
}

/* 400 naming the parameter; 'rule' says what it takes. */
static enum MHD_Result
api_bad_param(struct MHD_Connection *c, const char *name, const char *rule)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "invalid parameter '%s': %s", name, rule);
	return api_error(c, MHD_HTTP_BAD_REQUEST, "invalid_parameter", msg);
}

static enum MHD_Result
api_store_error(struct MHD_Connection *c, const char *what, int err)
{
	log_warn("api", "msg=\"store error\" what=%s err=%d", what, -err);
	if (err == -EBUSY)
		return api_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
		    "the store is busy; try again");
	return api_error(
	    c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "internal error");
}

/* Token bucket of the key 'id'; false when the request is over the
 * limit. A full table gives the least recently refilled slot away. */
static bool
api_rate_ok(struct api *a, const char *id)
{
	int64_t now = api_mono_ms();
	struct api_bucket *b = NULL, *free_slot = NULL,
	                  *oldest = &a->buckets[0];
	uint64_t cap = (uint64_t)a->burst * 1000u;

	for (unsigned i = 0; i < API_BUCKETS && b == NULL; i++) {
		struct api_bucket *s = &a->buckets[i];

		if (strcmp(s->id, id) == 0)
			b = s;
		else if (s->id[0] == '\0' && free_slot == NULL)
			free_slot = s;
		else if (s->at_ms < oldest->at_ms)
			oldest = s;
	}
	if (b == NULL) {
		b = free_slot != NULL ? free_slot : oldest;
		memcpy(b->id, id, APIKEYS_ID_STRLEN);
		b->milli_tokens = cap;
		b->at_ms = now;
	}
	if (now > b->at_ms) {
		uint64_t add = (uint64_t)(now - b->at_ms) * a->rate;

		b->milli_tokens =
		    cap - b->milli_tokens < add ? cap : b->milli_tokens + add;
		b->at_ms = now;
	}
	if (b->milli_tokens < 1000u)
		return false;
	b->milli_tokens -= 1000u;
	return true;
}

static enum MHD_Result
api_collect(
    void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct api_query *q = cls;

	(void)kind;
	if (q->n == API_PARAMS_MAX) {
		q->too_many = true;
		return MHD_NO;
	}
	q->p[q->n++] = (struct api_param){key, value};
	return MHD_YES;
}

static const char *
api_param(const struct api_call *k, const char *name)
{
	for (unsigned i = 0; i < k->q.n; i++)
		if (strcmp(k->q.p[i].name, name) == 0)
			return k->q.p[i].value != NULL ? k->q.p[i].value : "";
	return NULL;
}

/* Every parameter must be one the route takes, given once. Returns
 * MHD_YES with *done false when all is well. */
static enum MHD_Result
api_check_params(struct api_call *k, bool *done)
{
	*done = true;
	if (k->q.too_many)
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST,
		    "invalid_parameter", "too many parameters");
	for (unsigned i = 0; i < k->q.n; i++) {
		const char *name = k->q.p[i].name, *known = NULL;

		for (unsigned j = 0; j < RP_ARRAY_LEN(k->def->params) &&
		                     k->def->params[j] != NULL && known == NULL;
		     j++)
			if (strcmp(name, k->def->params[j]) == 0)
				known = k->def->params[j];
		/* Only names from the route's own list are echoed. */
		if (known == NULL)
			return api_error(k->conn, MHD_HTTP_BAD_REQUEST,
			    "invalid_parameter", "unknown query parameter");
		for (unsigned j = 0; j < i; j++)
			if (strcmp(name, k->q.p[j].name) == 0)
				return api_bad_param(
				    k->conn, known, "given more than once");
	}
	*done = false;
	return MHD_YES;
}

struct api_page {
	uint32_t limit, offset;
	uint64_t seen;
	json_t *items;
	int err;
};

/* Reads limit and offset. Returns MHD_YES with *done false when
 * valid. */
static enum MHD_Result
api_page_params(struct api_call *k, struct api_page *pg, bool *done)
{
	const char *v;

	*done = true;
	pg->limit = API_PAGE_DEFAULT;
	pg->offset = 0;
	v = api_param(k, "limit");
	if (v != NULL &&
	    (sv_to_u32(sv_cstr(v), API_PAGE_MAX, &pg->limit) != 0 ||
	        pg->limit == 0))
		return api_bad_param(k->conn, "limit", "1-1000");
	v = api_param(k, "offset");
	if (v != NULL &&
	    sv_to_u32(sv_cstr(v), API_OFFSET_MAX, &pg->offset) != 0)
		return api_bad_param(k->conn, "offset", "0-1000000000");
	pg->items = json_array();
	if (pg->items == NULL)
		return api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "internal error");
	*done = false;
	return MHD_YES;
}

/* Takes 'item' into the page when it falls in the window. Returns 0,
 * 1 once the window is full (stops the listing) or -ENOMEM. */
static int
api_page_add(struct api_page *pg, json_t *item)
{
	uint64_t i = pg->seen++;

	if (item == NULL)
		return pg->err = -ENOMEM;
	if (i < pg->offset) {
		json_decref(item);
		return 0;
	}
	if (json_array_append_new(pg->items, item) != 0)
		return pg->err = -ENOMEM;
	return json_array_size(pg->items) >= pg->limit ? 1 : 0;
}

static enum MHD_Result
api_page_send(struct api_call *k, struct api_page *pg, uint64_t total)
{
	json_t *body = json_pack("{s:o,s:I,s:I,s:I}", "items", pg->items,
	    "limit", (json_int_t)pg->limit, "offset", (json_int_t)pg->offset,
	    "total", (json_int_t)total);

	pg->items = NULL;
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* A stored text as JSON: the store checked it is UTF-8 on the way in. */
#define API_SV(v) ((v).p != NULL ? (v).p : ""), (size_t)(v).len

static json_t *
api_user_json(const struct user_info *u)
{
	return json_pack("{s:s,s:s,s:b,s:b,s:s,s:s,s:s,s:s,s:I,s:I}", "ext",
	    u->ext, "display_name", u->display_name, "enabled", u->enabled,
	    "srtp_required", u->srtp_required, "codecs", u->codecs, "acl",
	    u->acl, "alternate", u->alternate, "outbound_number",
	    u->outbound_number, "created_at", (json_int_t)u->created_at,
	    "updated_at", (json_int_t)u->updated_at);
}

static int
api_user_cb(void *arg, const struct user_info *u)
{
	return api_page_add(arg, api_user_json(u));
}

static enum MHD_Result
api_users(struct api_call *k)
{
	struct api_page pg;
	struct user_info u;
	uint64_t total = 0;
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	pg.seen = 0;
	pg.err = 0;
	rc = db_read_begin(k->api->db);
	if (rc != 0)
		goto fail;
	if (k->access == RBAC_SELF) {
		/* A user sees a list holding its own extension only. */
		rc = users_get_info(k->api->db, sv_cstr(k->key.ext), &u);
		if (rc == 0) {
			total = 1;
			if (pg.offset == 0)
				rc = api_page_add(&pg, api_user_json(&u));
		} else if (rc == -ENOENT) {
			rc = 0;
		}
	} else {
		rc = users_count(k->api->db, &total);
		if (rc == 0)
			rc = users_list(k->api->db, api_user_cb, &pg);
	}
	db_read_end(k->api->db);
	if (rc == 1)
		rc = 0;
	if (rc != 0)
		goto fail;
	return api_page_send(k, &pg, total);
fail:
	json_decref(pg.items);
	return api_store_error(k->conn, "users", rc);
}

static enum MHD_Result
api_user(struct api_call *k)
{
	struct user_info u;
	int rc;

	if (!users_ext_valid(k->tail))
		return api_bad_param(k->conn, "ext", "an extension");
	if (k->access == RBAC_SELF && !sv_eq(k->tail, sv_cstr(k->key.ext)))
		return api_error(k->conn, MHD_HTTP_FORBIDDEN, "forbidden",
		    "not allowed for this key");
	rc = users_get_info(k->api->db, k->tail, &u);
	if (rc == -ENOENT)
		return api_error(
		    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such user");
	if (rc != 0)
		return api_store_error(k->conn, "user", rc);
	return api_send(k->conn, MHD_HTTP_OK, api_user_json(&u), NULL, NULL);
}

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
	const char *since = api_param(k, "since"), *ext = api_param(k, "ext");
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
	pg.seen = 0;
	pg.err = 0;
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

struct api_bans_walk {
	struct api_page *pg;
	uint64_t total;
};

static int
api_ban_cb(void *arg, const struct ban_record *b)
{
	struct api_bans_walk *w = arg;
	json_t *o;
	int rc;

	/* Bans are few: all are counted, the page keeps its window. */
	w->total++;
	if (json_array_size(w->pg->items) >= w->pg->limit) {
		w->pg->seen++;
		return 0;
	}
	o = json_pack("{s:s%,s:I,s:I,s:s%,s:s%,s:I,s:I}", "addr",
	    API_SV(b->addr), "until", (json_int_t)b->until, "count",
	    (json_int_t)b->count, "reason", API_SV(b->reason), "source",
	    API_SV(b->source), "created_at", (json_int_t)b->created_at,
	    "updated_at", (json_int_t)b->updated_at);
	rc = api_page_add(w->pg, o);
	return rc < 0 ? rc : 0;
}

static enum MHD_Result
api_bans(struct api_call *k)
{
	struct api_page pg;
	struct api_bans_walk w = {&pg, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	pg.seen = 0;
	pg.err = 0;
	rc = bans_list(k->api->db, (int64_t)time(NULL), api_ban_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "bans", rc);
	}
	return api_page_send(k, &pg, w.total);
}

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

/* The self-assessment (R-AUDIT-1), built by the daemon's callback. */
static enum MHD_Result
api_assessment(struct api_call *k)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *text = NULL;
	int rc;

	if (k->api->assessment == NULL)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such endpoint");
	rc = k->api->assessment(
	    k->api->db, k->api->keys, k->api->data_dir, &text);
	if (rc != 0)
		return api_store_error(k->conn, "assessment", rc);
	r = MHD_create_response_from_buffer(
	    strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	api_headers(r);
	ret = MHD_queue_response(k->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Finds the route of 'url'. */
static const struct api_route_def *
api_route_find(const char *url, struct sv *tail)
{
	struct sv path = sv_cstr(url);

	if (!sv_starts_with(path, SV(API_PREFIX)))
		return NULL;
	path = sv_skip(path, sizeof(API_PREFIX) - 1);
	for (size_t i = 0; i < RP_ARRAY_LEN(api_routes); i++) {
		struct sv p = sv_cstr(api_routes[i].path);

		if (api_routes[i].route == API_ROUTE_USER) {
			if (path.len > p.len && sv_starts_with(path, p) &&
			    memchr(path.p + p.len, '/', path.len - p.len) ==
			        NULL) {
				*tail = sv_skip(path, p.len);
				return &api_routes[i];
			}
		} else if (sv_eq(path, p)) {
			return &api_routes[i];
		}
	}
	return NULL;
}

/* The key of "Authorization: Bearer KEY"; SV_NULL when absent. */
static struct sv
api_bearer(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	struct sv v = sv_cstr(h);

	if (h == NULL || !sv_istarts_with(v, SV("Bearer ")))
		return SV_NULL;
	return sv_trim(sv_skip(v, 7));
}

/* The administration access list (R-NET-4): a source outside it gets
 * exactly the answer of a wrong key, and a security log line. */
static bool
api_source_allowed(struct api *a, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
	    c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sockaddr_storage ss;
	struct cidr_addr addr;
	char text[INET6_ADDRSTRLEN + 1] = "?";
	size_t len;

	if (ci == NULL || ci->client_addr == NULL)
		return false;
	memset(&ss, 0, sizeof(ss));
	len = ci->client_addr->sa_family == AF_INET6
	          ? sizeof(struct sockaddr_in6)
	          : sizeof(struct sockaddr_in);
	memcpy(&ss, ci->client_addr, len);
	if (cidr_addr_from_sockaddr(&ss, &addr) != 0)
		return false;
	if (cidr_set_contains(a->allow, &addr))
		return true;
	if (cidr_addr_format(&addr, text, sizeof(text)) != 0)
		snprintf(text, sizeof(text), "?");
	log_warn("security", "event=acl_refused src=%s service=api", text);
	return false;
}

static enum MHD_Result
api_dispatch(struct api *a, struct MHD_Connection *c, const char *url,
    const char *method)
{
	struct api_call k = {.api = a, .conn = c};
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ret;
	bool done;
	int rc;

	rc = api_source_allowed(a, c)
	         ? apikeys_verify(a->db, api_bearer(c), now, &k.key)
	         : -EACCES;
	if (rc == -EACCES)
		return api_error_h(c, MHD_HTTP_UNAUTHORIZED, "unauthorized",
		    "authentication required", MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"rempart\"");
	if (rc != 0)
		return api_store_error(c, "apikeys", rc);
	if (!api_rate_ok(a, k.key.id))
		return api_error_h(c, MHD_HTTP_TOO_MANY_REQUESTS,
		    "rate_limited", "too many requests", "Retry-After", "1");
	if (now - k.key.last_used_at >= API_TOUCH_INTERVAL_S) {
		rc = apikeys_touch(a->db, sv_cstr(k.key.id), now);
		if (rc != 0)
			log_warn("api",
			    "msg=\"cannot record key use\" key=%s "
			    "err=%d",
			    k.key.id, -rc);
	}
	k.def = api_route_find(url, &k.tail);
	if (k.def == NULL)
		return api_error(
		    c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return api_error_h(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "method not allowed", "Allow", "GET");
	k.access = rbac_check(k.key.role, k.def->cls);
	if (k.access == RBAC_DENY ||
	    (k.access == RBAC_SELF && k.key.ext[0] == '\0'))
		return api_error(c, MHD_HTTP_FORBIDDEN, "forbidden",
		    "not allowed for this key");
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, api_collect, &k.q);
	ret = api_check_params(&k, &done);
	if (done)
		return ret;
	switch (k.def->route) {
	case API_ROUTE_USERS:
		return api_users(&k);
	case API_ROUTE_USER:
		return api_user(&k);
	case API_ROUTE_CDRS:
		return api_cdrs(&k);
	case API_ROUTE_BANS:
		return api_bans(&k);
	case API_ROUTE_AUDIT:
		return api_audit(&k);
	case API_ROUTE_AUDIT_VERIFY:
		return api_audit_verify(&k);
	case API_ROUTE_ASSESSMENT:
		return api_assessment(&k);
	}
	return api_error(
	    c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
}

static enum MHD_Result
api_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct api_req *r = *con_cls;

	(void)version;
	(void)upload_data;
	if (r == NULL) {
		const char *cl = MHD_lookup_connection_value(
		    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		uint64_t n;

		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		/* Refused before a byte of the body is read. */
		if (cl != NULL &&
		    (sv_to_u64(sv_cstr(cl), UINT64_MAX, &n) != 0 ||
		        n > API_BODY_MAX)) {
			r->answered = true;
			return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "too_large", "request body too large");
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		r->body += *upload_size;
		*upload_size = 0;
		if (r->body > API_BODY_MAX && !r->answered) {
			r->answered = true;
			return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "too_large", "request body too large");
		}
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	r->answered = true;
	return api_dispatch(a, c, url, method);
}

static void
api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int
api_addr_parse(const char *text, struct api_config *cfg)
{
	struct sv s = sv_cstr(text), host;
	const char *colon;
	uint32_t port;
	struct in6_addr a6;
	struct in_addr a4;

	colon = s.len != 0 ? memrchr(s.p, ':', s.len) : NULL;
	if (colon == NULL)
		return -EINVAL;
	host = sv_make(s.p, (size_t)(colon - s.p));
	if (sv_to_u32(sv_cstr(colon + 1), 65535, &port) != 0 || port == 0)
		return -EINVAL;
	if (host.len >= 2 && host.p[0] == '[' && host.p[host.len - 1] == ']')
		host = sv_make(host.p + 1, host.len - 2);
	else if (memchr(host.p, ':', host.len) != NULL)
		return -EINVAL; /* IPv6 needs its brackets */
	if (host.len == 0 || host.len >= sizeof(cfg->addr))
		return -EINVAL;
	memcpy(cfg->addr, host.p, host.len);
	cfg->addr[host.len] = '\0';
	if (inet_pton(AF_INET, cfg->addr, &a4) != 1 &&
	    inet_pton(AF_INET6, cfg->addr, &a6) != 1)
		return -EINVAL;
	cfg->port = (uint16_t)port;
	return 0;
}

/* Reads a PEM file into a new NUL-terminated buffer. */
static int
api_read_pem(const char *dir, const char *name, char **out, size_t *len)
{
	char path[4096];
	FILE *f;
	char *b;
	size_t n;

	if (snprintf(path, sizeof(path), "%s/tls/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "rb");
	if (f == NULL)
		return -errno;
	b = malloc(API_PEM_MAX + 1);
	if (b == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(b, 1, API_PEM_MAX + 1, f);
	fclose(f);
	if (n == 0 || n > API_PEM_MAX) {
		sodium_memzero(b, API_PEM_MAX + 1);
		free(b);
		return -EINVAL;
	}
	b[n] = '\0';
	*out = b;
	*len = API_PEM_MAX + 1;
	return 0;
}

void
api_stop(struct api *a)
{
	if (a == NULL)
		return;
	if (a->mhd != NULL)
		MHD_stop_daemon(a->mhd);
	db_close(a->db);
	keys_free(a->keys);
	cidr_set_free(a->allow);
	free(a->data_dir);
	if (a->key != NULL)
		sodium_memzero(a->key, a->key_len);
	free(a->key);
	free(a->cert);
	free(a);
}

static void
api_allow_bad(void *ctx, unsigned line, const char *reason)
{
	(void)line;
	(void)reason;
	(*(unsigned *)ctx)++;
}

/* "a,b,c" into a set; any bad entry refuses the whole list. */
static int
api_allow_parse(const char *text, struct cidr_set **out)
{
	char lines[1024];
	size_t n = strlen(text);
	unsigned bad = 0;
	int rc;

	if (n == 0 || n >= sizeof(lines))
		return -EINVAL;
	for (size_t i = 0; i <= n; i++)
		lines[i] = text[i] == ',' ? '\n' : text[i];
	rc = cidr_set_new(out);
	if (rc == 0)
		rc = cidr_set_add_lines(*out, sv_make(lines, n), api_allow_bad,
		    &bad, NULL, NULL);
	if (rc == 0 && bad != 0)
		rc = -EINVAL;
	return rc;
}

int
api_start(struct api **out, const struct api_config *cfg)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_TLS;
	struct api *a;
	int rc;

	if (sodium_init() < 0)
		return -EIO;
	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		log_error("api", "msg=\"libmicrohttpd has no TLS support\"");
		return -ENOTSUP;
	}
	if (inet_pton(AF_INET, cfg->addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, cfg->addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg->port);
		flags |= MHD_USE_IPv6;
	} else {
		return -EINVAL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	rc = api_allow_parse(cfg->allow != NULL ? cfg->allow : API_ALLOW_DEFAULT,
	    &a->allow);
	if (rc != 0) {
		log_error("api", "msg=\"bad allowed networks (--api-allow)\"");
		goto fail;
	}
	a->assessment = cfg->assessment;
	a->data_dir = strdup(cfg->data_dir);
	if (a->data_dir == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	a->rate = cfg->rate_per_s != 0 ? cfg->rate_per_s : API_RATE_DEFAULT;
	a->burst = cfg->burst != 0 ? cfg->burst : API_BURST_DEFAULT;
	rc = api_read_pem(cfg->data_dir, "cert.pem", &a->cert, &a->cert_len);
	if (rc == 0)
		rc = api_read_pem(
		    cfg->data_dir, "key.pem", &a->key, &a->key_len);
	if (rc != 0) {
		log_error("api",
		    "msg=\"cannot read the TLS certificate or "
		    "key\" err=%d",
		    -rc);
		goto fail;
	}
	rc = keys_load(cfg->data_dir, &a->keys);
	if (rc == 0)
		rc = db_open(&a->db, cfg->data_dir);
	if (rc != 0) {
		log_error("api", "msg=\"cannot open the store\" err=%d", -rc);
		goto fail;
	}
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, api_handle, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_HTTPS_MEM_KEY, a->key, MHD_OPTION_HTTPS_MEM_CERT,
	    a->cert, MHD_OPTION_HTTPS_PRIORITIES, API_TLS_PRIORITIES,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_NOTIFY_COMPLETED,
	    api_completed, (void *)NULL, MHD_OPTION_END);
	if (a->mhd == NULL) {
		log_error("api",
		    "msg=\"cannot start the HTTPS server\" "
		    "addr=%s port=%u",
		    cfg->addr, (unsigned)cfg->port);
		rc = -EADDRNOTAVAIL;
		goto fail;
	}
	log_info("api", "msg=listening addr=%s port=%u", cfg->addr,
	    (unsigned)cfg->port);
	*out = a;
	return 0;
fail:
	api_stop(a);
	return rc;
}
