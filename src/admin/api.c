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
#include "admin/console.h"
#include "admin/rbac.h"
#include "admin/totp.h"
#include "core/log.h"
#include "core/sv.h"
#include "policy/adminpw.h"
#include "policy/cidr.h"
#include "policy/secret.h"
#include "sip/auth.h"
#include "store/admins.h"
#include "store/audit.h"
#include "store/bans.h"
#include "store/bindings.h"
#include "store/cdr.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/keys.h"
#include "store/settings.h"
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
/* The longest JSON body an endpoint reads; larger ones get a 413. */
#define API_JSON_MAX 4096u
/* RFC 6265bis §4.1.3.2: a __Host- cookie is Secure, has Path=/ and no
 * Domain, so no other host or path can set or shadow it. */
#define API_COOKIE "__Host-rempart_session"
#define API_COOKIE_ATTRS "; Path=/; Secure; HttpOnly; SameSite=Strict"
#define API_CSRF_HEADER "X-CSRF-Token"
#define API_TOTP_ISSUER "rempart"
#define API_LOGIN_FAILED "invalid name, password or code"
/* The console's policy, sent with every answer: scripts, styles and
 * requests to this origin only, no inline code, images from here or
 * data: URLs (the TOTP QR code), never framed (R-ADMIN-3). */
#define API_CSP                                                                \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "      \
	"form-action 'self'"
/* Bans given through the API last at most ten years, as on the command
 * line. */
#define API_BAN_MAX_S (3650LL * 24 * 3600)

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
	struct secret_list *common;
	int64_t idle_s;
	struct console *console; /* NULL: no console files */
	api_reload_cb reload;
	void *reload_arg;
	struct api_bucket buckets[API_BUCKETS];
};

/* Per request: the body bytes seen, and whether an answer is queued. */
struct api_req {
	uint64_t body;
	bool answered;
	size_t json_len; /* bytes kept in json, up to API_JSON_MAX */
	char json[API_JSON_MAX];
};

enum api_route {
	API_ROUTE_USERS,
	API_ROUTE_USER_ADD,
	API_ROUTE_USER,
	API_ROUTE_CDRS,
	API_ROUTE_BANS,
	API_ROUTE_BAN_ADD,
	API_ROUTE_BAN_REMOVE,
	API_ROUTE_AUDIT,
	API_ROUTE_AUDIT_VERIFY,
	API_ROUTE_ASSESSMENT,
	API_ROUTE_REGISTRATIONS,
	API_ROUTE_FRAUD_BLOCKS,
	API_ROUTE_FRAUD_UNBLOCK,
};

/* How a route's path ends. */
enum api_tail {
	API_TAIL_NONE,    /* the path exactly */
	API_TAIL_SEGMENT, /* one more segment, without '/' ("users/100") */
	API_TAIL_ANY, /* anything non-empty ("bans/192.0.2.0/24", decoded) */
};

/* Each route: its path under /api/v1/ and method, its access class and
 * the query parameters it takes. */
static const struct api_route_def {
	const char *path;
	const char *method;
	enum api_tail tail;
	enum api_route route;
	enum rbac_class cls;
	const char *params[5];
} api_routes[] = {
    {"users", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_USERS,
        RBAC_USERS_READ, {"limit", "offset"}},
    {"users", MHD_HTTP_METHOD_POST, API_TAIL_NONE, API_ROUTE_USER_ADD,
        RBAC_USERS_WRITE, {NULL}},
    {"users/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, API_ROUTE_USER,
        RBAC_USERS_READ, {NULL}},
    {"cdrs", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_CDRS, RBAC_CDRS_READ,
        {"since", "until", "ext", "limit", "offset"}},
    {"bans", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_BANS, RBAC_BANS_READ,
        {"limit", "offset"}},
    {"bans", MHD_HTTP_METHOD_POST, API_TAIL_NONE, API_ROUTE_BAN_ADD,
        RBAC_BANS_WRITE, {NULL}},
    {"bans/", MHD_HTTP_METHOD_DELETE, API_TAIL_ANY, API_ROUTE_BAN_REMOVE,
        RBAC_BANS_WRITE, {NULL}},
    {"audit", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_AUDIT,
        RBAC_AUDIT_READ, {"since", "limit"}},
    {"audit/verify", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_AUDIT_VERIFY,
        RBAC_AUDIT_READ, {NULL}},
    {"assessment", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_ASSESSMENT,
        RBAC_ASSESSMENT_READ, {NULL}},
    {"registrations", MHD_HTTP_METHOD_GET, API_TAIL_NONE,
        API_ROUTE_REGISTRATIONS, RBAC_REGISTRATIONS_READ, {"limit", "offset"}},
    {"fraud/blocks", MHD_HTTP_METHOD_GET, API_TAIL_NONE, API_ROUTE_FRAUD_BLOCKS,
        RBAC_FRAUD_READ, {"limit", "offset"}},
    {"fraud/unblock", MHD_HTTP_METHOD_POST, API_TAIL_NONE,
        API_ROUTE_FRAUD_UNBLOCK, RBAC_FRAUD_WRITE, {NULL}},
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
	char src[ADMINS_SOURCE_MAX + 1]; /* the client's address */
	bool session;     /* authenticated by a session cookie, not a key */
	bool must_change; /* the password is too old (R-AUTH-2) */
	bool must_enrol;  /* TOTP is mandatory and not enrolled yet */
	struct admins_session sess;
	struct admins_account acct;
	struct sv body; /* the JSON body, API_JSON_MAX bytes at most */
	bool body_over; /* the body was longer */
};

static int64_t
api_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Headers of every answer, the console's files included. */
static void
api_security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Strict-Transport-Security",
	    "max-age=31536000; includeSubDomains");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Content-Security-Policy", API_CSP);
}

/* Headers every JSON answer carries: never cached. */
static void
api_headers(struct MHD_Response *r)
{
	MHD_add_response_header(
	    r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	api_security_headers(r);
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

/* True when 'path' (under /api/v1/) is the route's, with its tail in
 * *tail. */
static bool
api_route_match(const struct api_route_def *d, struct sv path, struct sv *tail)
{
	struct sv p = sv_cstr(d->path);

	switch (d->tail) {
	case API_TAIL_NONE:
		return sv_eq(path, p);
	case API_TAIL_SEGMENT:
		if (path.len <= p.len || !sv_starts_with(path, p) ||
		    memchr(path.p + p.len, '/', path.len - p.len) != NULL)
			return false;
		break;
	case API_TAIL_ANY:
		if (path.len <= p.len || !sv_starts_with(path, p))
			return false;
		break;
	}
	*tail = sv_skip(path, p.len);
	return true;
}

/* Finds the route of 'url' and 'method'. When the path is known but not
 * with this method, returns NULL with the methods it takes in 'allow'
 * ("" otherwise). */
static const struct api_route_def *
api_route_find(const char *url, const char *method, struct sv *tail,
    char *allow, size_t size)
{
	struct sv path = sv_cstr(url);
	size_t n = 0;

	allow[0] = '\0';
	if (!sv_starts_with(path, SV(API_PREFIX)))
		return NULL;
	path = sv_skip(path, sizeof(API_PREFIX) - 1);
	for (size_t i = 0; i < RP_ARRAY_LEN(api_routes); i++) {
		const struct api_route_def *d = &api_routes[i];
		int w;

		if (!api_route_match(d, path, tail))
			continue;
		if (strcmp(method, d->method) == 0)
			return d;
		w = snprintf(
		    allow + n, size - n, "%s%s", n != 0 ? ", " : "", d->method);
		if (w > 0 && (size_t)w < size - n)
			n += (size_t)w;
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
 * exactly the answer of a wrong key, and a security log line. 'text'
 * gets the client's address ("?" when unknown). */
static bool
api_source_allowed(
    struct api *a, struct MHD_Connection *c, char *text, size_t size)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct sockaddr_storage ss;
	struct cidr_addr addr;
	size_t len;

	snprintf(text, size, "?");
	if (ci == NULL || ci->client_addr == NULL)
		return false;
	memset(&ss, 0, sizeof(ss));
	len = ci->client_addr->sa_family == AF_INET6
	          ? sizeof(struct sockaddr_in6)
	          : sizeof(struct sockaddr_in);
	memcpy(&ss, ci->client_addr, len);
	if (cidr_addr_from_sockaddr(&ss, &addr) != 0)
		return false;
	if (cidr_addr_format(&addr, text, size) != 0)
		snprintf(text, size, "?");
	if (cidr_set_contains(a->allow, &addr))
		return true;
	log_warn("security", "event=acl_refused src=%s service=api", text);
	return false;
}

/* ---- Administrator logins and sessions (R-AUTH-2, R-AUTH-6). ---- */

enum api_sroute {
	API_SROUTE_LOGOUT,
	API_SROUTE_PASSWORD,
	API_SROUTE_TOTP_ENROL,
	API_SROUTE_TOTP_CONFIRM,
	API_SROUTE_SESSION,
};

/* Endpoints of a login session: the method each takes, and whether an
 * account that must change its password or enrol TOTP may use it. */
static const struct api_sroute_def {
	const char *path;
	enum api_sroute route;
	const char *method;
	bool when_must_change;
	bool when_must_enrol;
} api_sroutes[] = {
    {"logout", API_SROUTE_LOGOUT, MHD_HTTP_METHOD_POST, true, true},
    {"password", API_SROUTE_PASSWORD, MHD_HTTP_METHOD_POST, true, false},
    {"totp/enrol", API_SROUTE_TOTP_ENROL, MHD_HTTP_METHOD_POST, false, true},
    {"totp/confirm", API_SROUTE_TOTP_CONFIRM, MHD_HTTP_METHOD_POST, false,
        true},
    {"session", API_SROUTE_SESSION, MHD_HTTP_METHOD_GET, true, true},
};

static const struct api_sroute_def *
api_sroute_find(const char *url)
{
	struct sv path = sv_cstr(url);

	if (!sv_starts_with(path, SV(API_PREFIX)))
		return NULL;
	path = sv_skip(path, sizeof(API_PREFIX) - 1);
	for (size_t i = 0; i < RP_ARRAY_LEN(api_sroutes); i++)
		if (sv_eq(path, sv_cstr(api_sroutes[i].path)))
			return &api_sroutes[i];
	return NULL;
}

/* A 22-character rate-limit bucket id for 'data', apart from API key
 * ids by 'label'. */
static void
api_bucket_id(const char *label, struct sv data, char id[APIKEYS_ID_STRLEN])
{
	uint8_t h[APIKEYS_ID_BYTES];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(
	    &st, (const uint8_t *)label, strlen(label) + 1);
	crypto_generichash_update(&st, (const uint8_t *)data.p, data.len);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2base64(id, APIKEYS_ID_STRLEN, h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Appends an audit entry from the API thread (R-ADMIN-4); 'before'
 * and 'after' (may be NULL) are consumed and never hold a secret.
 * Called inside the change's transaction. */
static int
api_audit_entry(struct api_call *k, const char *actor, const char *role,
    const char *action, const char *object, json_t *before, json_t *after)
{
	struct audit_entry e = {
	    .actor = sv_cstr(actor),
	    .role = sv_cstr(role),
	    .source = sv_cstr(k->src),
	    .action = sv_cstr(action),
	    .object = sv_cstr(object),
	    .before = SV(""),
	    .after = SV(""),
	};
	char *btext = NULL, *atext = NULL;
	int rc = 0;

	if (before != NULL) {
		btext = json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(before);
		if (btext == NULL)
			rc = -ENOMEM;
		else
			e.before = sv_cstr(btext);
	}
	if (after != NULL) {
		atext = json_dumps(after, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(after);
		if (atext == NULL)
			rc = -ENOMEM;
		else
			e.after = sv_cstr(atext);
	}
	if (rc == 0)
		rc = audit_append(k->api->db, k->api->keys, &e, NULL);
	free(btext);
	free(atext);
	return rc;
}

static int
api_audit_write(struct api_call *k, const char *actor, const char *role,
    const char *action, const char *object, json_t *after)
{
	return api_audit_entry(k, actor, role, action, object, NULL, after);
}

/* Ends a transaction: commits when rc is 0, else rolls back. */
static int
api_tx_end(struct api *a, int rc)
{
	if (rc != 0) {
		db_tx_rollback(a->db);
		return rc;
	}
	return db_tx_commit(a->db);
}

/* The JSON object of the body; NULL after answering 400 or 413. */
static json_t *
api_body(struct api_call *k, enum MHD_Result *ret)
{
	json_error_t err;
	json_t *o;

	if (k->body_over) {
		*ret = api_error(k->conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "too_large", "request body too large");
		return NULL;
	}
	o = k->body.len != 0 ? json_loadb(k->body.p, k->body.len,
	                           JSON_REJECT_DUPLICATES, &err)
	                     : NULL;
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		*ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "the body must be a JSON object");
		return NULL;
	}
	return o;
}

/* The string member 'name' of 'o' as a view (valid while 'o' lives);
 * SV_NULL when absent or not a string. */
static struct sv
api_json_sv(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return SV_NULL;
	return sv_make(json_string_value(v), json_string_length(v));
}

/* Wipes the strings of a parsed body (passwords) before freeing it. */
static void
api_body_free(json_t *o)
{
	const char *key;
	json_t *v;

	if (o == NULL)
		return;
	json_object_foreach(o, key, v)
	{
		if (json_is_string(v))
			sodium_memzero((char *)(uintptr_t)json_string_value(v),
			    json_string_length(v));
	}
	json_decref(o);
}

static enum MHD_Result
api_login_failed(struct MHD_Connection *c)
{
	return api_error(
	    c, MHD_HTTP_UNAUTHORIZED, "login_failed", API_LOGIN_FAILED);
}

/* Records a failed attempt on the existing account k->acct: the
 * lockout state, the audit entry, and the lockout's entry when this
 * failure locks the account (R-AUTH-6). */
static int
api_record_failure(
    struct api_call *k, const char *action, const char *why, int64_t now)
{
	struct adminpw_lock l = k->acct.lock;
	struct sv name = sv_cstr(k->acct.name);
	bool locked;
	int rc;

	rc = db_tx_begin(k->api->db);
	if (rc != 0)
		return rc;
	locked = adminpw_fail(&l, now);
	rc = admins_set_lock(k->api->db, name, &l);
	if (rc == 0)
		rc = api_audit_write(k, k->acct.name, k->acct.role, action,
		    k->acct.name,
		    json_pack("{s:s,s:I}", "reason", why, "failures",
		        (json_int_t)l.failures));
	if (rc == 0 && locked)
		rc = api_audit_write(k, k->acct.name, k->acct.role,
		    "admin.lockout", k->acct.name,
		    json_pack("{s:I,s:I}", "locked_until",
		        (json_int_t)l.locked_until, "locks",
		        (json_int_t)l.locks));
	rc = api_tx_end(k->api, rc);
	if (rc == 0 && locked)
		log_warn("security", "event=admin_locked account=%s src=%s",
		    k->acct.name, k->src);
	return rc;
}

/* The reason a login with the right account fails, or NULL. The
 * password is checked whatever the state, so every failure takes the
 * time of one argon2id verification. */
static const char *
api_login_check(
    struct api_call *k, struct sv pw, struct sv code, int64_t now, int *err)
{
	uint8_t secret[ADMINS_TOTP_BYTES];
	bool pw_ok = admins_password_matches(k->acct.pw_hash, pw);
	int64_t step = 0;
	int rc;

	*err = 0;
	if (k->acct.disabled)
		return "disabled";
	if (adminpw_locked(&k->acct.lock, now))
		return "locked";
	if (!pw_ok)
		return "wrong password";
	if (!k->acct.totp_enrolled)
		return NULL;
	rc = admins_totp_get(
	    k->api->db, k->api->keys, sv_cstr(k->acct.name), secret);
	if (rc == 0)
		rc = totp_verify(secret, ADMINS_TOTP_BYTES, now, code,
		    k->acct.totp_last_step, &step);
	sodium_memzero(secret, sizeof(secret));
	if (rc == 0)
		rc = admins_totp_use(
		    k->api->db, sv_cstr(k->acct.name), step, false);
	if (rc == -EACCES)
		return code.len == 0 ? "code missing" : "wrong code";
	if (rc == -EALREADY)
		return "code replayed";
	*err = rc;
	return rc == 0 ? NULL : "error";
}

/* POST /api/v1/login {name, password, totp?}. */
static enum MHD_Result
api_login(struct api_call *k)
{
	char token[ADMINS_TOKEN_STRLEN], csrf[ADMINS_TOKEN_STRLEN],
	    cookie[sizeof(API_COOKIE) + ADMINS_TOKEN_STRLEN +
	           sizeof(API_COOKIE_ATTRS)];
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ret = MHD_NO;
	struct sv name, pw, code;
	const char *why;
	json_t *o, *body;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	name = api_json_sv(o, "name");
	pw = api_json_sv(o, "password");
	code = api_json_sv(o, "totp");
	if (name.p == NULL || pw.p == NULL ||
	    (json_object_get(o, "totp") != NULL && code.p == NULL &&
	        !json_is_null(json_object_get(o, "totp")))) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "name and password are strings; totp is a string");
	}
	rc = admins_name_valid(name) ? admins_get(k->api->db, name, &k->acct)
	                             : -ENOENT;
	if (rc == -ENOENT) {
		char h[ADMINS_HASH_STRLEN];
		bool valid = admins_name_valid(name);

		/* As slow as a wrong password, so the time does not tell
		 * whether the account exists. */
		if (admins_hash_password(pw.len != 0 ? pw : SV("-"), h) == 0)
			sodium_memzero(h, sizeof(h));
		api_body_free(o);
		rc = api_audit_write(k, valid ? k->acct.name : "-", "none",
		    "admin.login_failed", "-",
		    json_pack("{s:s}", "reason", "unknown account"));
		if (rc != 0)
			return api_store_error(k->conn, "login", rc);
		return api_login_failed(k->conn);
	}
	if (rc != 0) {
		api_body_free(o);
		return api_store_error(k->conn, "login", rc);
	}
	why = api_login_check(k, pw, code, now, &rc);
	api_body_free(o);
	if (rc != 0)
		return api_store_error(k->conn, "login", rc);
	if (why != NULL) {
		/* Attempts on a locked or disabled account do not count:
		 * they would only extend the lock. */
		if (strcmp(why, "locked") == 0 ||
		    strcmp(why, "disabled") == 0) {
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.login_failed", k->acct.name,
			    json_pack("{s:s}", "reason", why));
		} else {
			rc = api_record_failure(
			    k, "admin.login_failed", why, now);
		}
		if (rc != 0)
			return api_store_error(k->conn, "login", rc);
		return api_login_failed(k->conn);
	}
	k->must_change = adminpw_expired(k->acct.password_changed_at, now);
	k->must_enrol =
	    admins_role_needs_totp(k->acct.role) && !k->acct.totp_enrolled;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_login_ok(k->api->db, sv_cstr(k->acct.name), now);
		if (rc == 0)
			rc = admins_session_new(k->api->db,
			    sv_cstr(k->acct.name), sv_cstr(k->src), now, token,
			    csrf);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.login", k->acct.name,
			    json_pack("{s:b,s:b}", "must_change_password",
			        k->must_change, "must_enrol_totp",
			        k->must_enrol));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "login", rc);
	body =
	    json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:I,s:I}", "name", k->acct.name,
	        "role", k->acct.role, "ext", k->acct.ext, "csrf_token", csrf,
	        "must_change_password", k->must_change, "must_enrol_totp",
	        k->must_enrol, "idle_timeout_s", (json_int_t)k->api->idle_s,
	        "expires_at", (json_int_t)(now + ADMINS_SESSION_MAX_S));
	snprintf(cookie, sizeof(cookie), "%s=%s%s", API_COOKIE, token,
	    API_COOKIE_ATTRS);
	ret = api_send(
	    k->conn, MHD_HTTP_OK, body, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(csrf, sizeof(csrf));
	return ret;
}

/* Authenticates by the session cookie. Returns 0, -EACCES or a store
 * error. */
static int
api_session_auth(struct api_call *k, int64_t now)
{
	const char *tok =
	    MHD_lookup_connection_value(k->conn, MHD_COOKIE_KIND, API_COOKIE);
	int rc;

	if (tok == NULL)
		return -EACCES;
	rc = admins_session_check(
	    k->api->db, sv_cstr(tok), now, k->api->idle_s, &k->sess);
	if (rc != 0)
		return rc;
	rc = admins_get(k->api->db, sv_cstr(k->sess.account), &k->acct);
	if (rc == -ENOENT ||
	    (rc == 0 &&
	        (k->acct.disabled || adminpw_locked(&k->acct.lock, now))))
		return -EACCES;
	if (rc != 0)
		return rc;
	if (rbac_role_parse(sv_cstr(k->acct.role), &k->key.role) != 0)
		return -EACCES;
	memcpy(k->key.ext, k->acct.ext, sizeof(k->key.ext));
	api_bucket_id("session",
	    sv_make((const char *)k->sess.id_hash, sizeof(k->sess.id_hash)),
	    k->key.id);
	k->key.last_used_at = now;
	k->session = true;
	k->must_change = adminpw_expired(k->acct.password_changed_at, now);
	k->must_enrol =
	    admins_role_needs_totp(k->acct.role) && !k->acct.totp_enrolled;
	return 0;
}

/* State-changing requests of a session carry its CSRF token. */
static bool
api_csrf_ok(struct api_call *k, const char *method)
{
	const char *h;

	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return true;
	h = MHD_lookup_connection_value(
	    k->conn, MHD_HEADER_KIND, API_CSRF_HEADER);
	return h != NULL && strlen(h) == ADMINS_TOKEN_LEN &&
	       sodium_memcmp(h, k->sess.csrf, ADMINS_TOKEN_LEN) == 0;
}

static const char api_cookie_clear[] =
    API_COOKIE "=" API_COOKIE_ATTRS "; Max-Age=0";

/* POST /api/v1/logout. */
static enum MHD_Result
api_logout(struct api_call *k)
{
	int rc = db_tx_begin(k->api->db);

	if (rc == 0) {
		rc = admins_session_end(k->api->db, k->sess.id_hash);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.logout", k->acct.name, NULL);
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "logout", rc);
	return api_send(k->conn, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1),
	    MHD_HTTP_HEADER_SET_COOKIE, api_cookie_clear);
}

/* POST /api/v1/password {old, new}: ends every session of the account
 * (R-AUTH-2). */
static enum MHD_Result
api_password(struct api_call *k)
{
	char hash[ADMINS_HASH_STRLEN], msg[128];
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ret = MHD_NO;
	const char *reason = NULL;
	struct sv old, pw;
	uint64_t ended = 0;
	json_t *o;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	old = api_json_sv(o, "old");
	pw = api_json_sv(o, "new");
	if (old.p == NULL || pw.p == NULL) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "old and new are strings");
	}
	if (!admins_password_matches(k->acct.pw_hash, old)) {
		api_body_free(o);
		rc = api_record_failure(
		    k, "admin.password_failed", "wrong password", now);
		if (rc != 0)
			return api_store_error(k->conn, "password", rc);
		return api_error(k->conn, MHD_HTTP_FORBIDDEN, "wrong_password",
		    "the current password is wrong");
	}
	if (adminpw_check(pw, sv_cstr(k->acct.name), k->api->common, &reason) !=
	        0 ||
	    sv_eq(pw, old)) {
		api_body_free(o);
		snprintf(msg, sizeof(msg), "the new password %s",
		    reason != NULL ? reason
		                   : "must differ from the current one");
		return api_error(
		    k->conn, MHD_HTTP_BAD_REQUEST, "weak_password", msg);
	}
	rc = admins_hash_password(pw, hash);
	api_body_free(o);
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_set_password(
		    k->api->db, sv_cstr(k->acct.name), hash, now, &ended);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.password", k->acct.name,
			    json_pack("{s:s,s:I}", "password", "replaced",
			        "sessions_ended", (json_int_t)ended));
		rc = api_tx_end(k->api, rc);
	}
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0)
		return api_store_error(k->conn, "password", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:I}", "sessions_ended", (json_int_t)ended),
	    MHD_HTTP_HEADER_SET_COOKIE, api_cookie_clear);
}

/* POST /api/v1/totp/enrol: a new secret, pending until confirmed. */
static enum MHD_Result
api_totp_enrol(struct api_call *k)
{
	uint8_t secret[ADMINS_TOTP_BYTES];
	char b32[TOTP_BASE32_STRLEN], uri[256];
	char *qr = NULL;
	json_t *body;
	int rc;

	if (k->acct.totp_enrolled)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "already_enrolled",
		    "TOTP is already enrolled; an administrator can reset it");
	randombytes_buf(secret, sizeof(secret));
	rc = totp_base32(secret, sizeof(secret), b32);
	if (rc == 0)
		rc = totp_uri(
		    API_TOTP_ISSUER, k->acct.name, b32, uri, sizeof(uri));
	if (rc == 0)
		rc = totp_qr_data_url(uri, &qr);
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_totp_set(
		    k->api->db, k->api->keys, sv_cstr(k->acct.name), secret);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.totp_enrol", k->acct.name,
			    json_pack("{s:s}", "totp", "pending"));
		rc = api_tx_end(k->api, rc);
	}
	sodium_memzero(secret, sizeof(secret));
	body = rc == 0
	           ? json_pack("{s:s,s:s,s:s,s:I,s:I}", "secret", b32, "uri",
	                 uri, "qr", qr, "digits", (json_int_t)TOTP_DIGITS,
	                 "period", (json_int_t)TOTP_STEP_S)
	           : NULL;
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(uri, sizeof(uri));
	free(qr);
	if (rc != 0)
		return api_store_error(k->conn, "totp.enrol", rc);
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* POST /api/v1/totp/confirm {code}: enrols the pending secret. */
static enum MHD_Result
api_totp_confirm(struct api_call *k)
{
	uint8_t secret[ADMINS_TOTP_BYTES];
	int64_t now = (int64_t)time(NULL), step = 0;
	enum MHD_Result ret = MHD_NO;
	struct sv code;
	json_t *o;
	int rc;

	if (k->acct.totp_enrolled)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "already_enrolled",
		    "TOTP is already enrolled");
	if (!k->acct.totp_set)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "not_enrolling",
		    "start with POST /api/v1/totp/enrol");
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	code = api_json_sv(o, "code");
	if (code.p == NULL) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "code is a string of 6 digits");
	}
	rc = admins_totp_get(
	    k->api->db, k->api->keys, sv_cstr(k->acct.name), secret);
	if (rc == 0)
		rc = totp_verify(secret, sizeof(secret), now, code,
		    k->acct.totp_last_step, &step);
	sodium_memzero(secret, sizeof(secret));
	api_body_free(o);
	if (rc == -EACCES || rc == -EALREADY) {
		rc = api_record_failure(
		    k, "admin.totp_confirm_failed", "wrong code", now);
		if (rc != 0)
			return api_store_error(k->conn, "totp.confirm", rc);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_code",
		    "wrong code");
	}
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_totp_use(
		    k->api->db, sv_cstr(k->acct.name), step, true);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.totp_confirm", k->acct.name,
			    json_pack("{s:s}", "totp", "enrolled"));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "totp.confirm", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:b}", "totp_enrolled", 1), NULL, NULL);
}

/* GET /api/v1/session: who am I, and the session's CSRF token, so a
 * reloaded console page can go on (the cookie is HttpOnly, and no
 * other origin can read this answer). */
static enum MHD_Result
api_session_info(struct api_call *k)
{
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:b}", "name",
	        k->acct.name, "role", k->acct.role, "ext", k->acct.ext,
	        "csrf_token", k->sess.csrf, "created_at",
	        (json_int_t)k->sess.created_at, "last_seen",
	        (json_int_t)k->sess.last_seen, "expires_at",
	        (json_int_t)(k->sess.created_at + ADMINS_SESSION_MAX_S),
	        "idle_timeout_s", (json_int_t)k->api->idle_s,
	        "must_change_password", k->must_change, "must_enrol_totp",
	        k->must_enrol),
	    NULL, NULL);
}

/* A session that must change its password or enrol TOTP first may
 * only do that (R-AUTH-2, R-AUTH-6). Returns MHD_YES with *done false
 * when the request may go on. */
static enum MHD_Result
api_session_gate(
    struct api_call *k, const struct api_sroute_def *sr, bool *done)
{
	*done = true;
	if (k->must_change && (sr == NULL || !sr->when_must_change))
		return api_error(k->conn, MHD_HTTP_FORBIDDEN,
		    "password_change_required",
		    "the password must be changed first "
		    "(POST /api/v1/password)");
	if (k->must_enrol && (sr == NULL || !sr->when_must_enrol))
		return api_error(k->conn, MHD_HTTP_FORBIDDEN,
		    "totp_enrolment_required",
		    "TOTP must be enrolled first (POST /api/v1/totp/enrol)");
	*done = false;
	return MHD_YES;
}

static enum MHD_Result
api_session_route(
    struct api_call *k, const struct api_sroute_def *sr, const char *method)
{
	if (!k->session)
		return api_error(k->conn, MHD_HTTP_FORBIDDEN,
		    "session_required", "this endpoint needs a login session");
	if (strcmp(method, sr->method) != 0)
		return api_error_h(k->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "method not allowed", "Allow",
		    sr->method);
	switch (sr->route) {
	case API_SROUTE_LOGOUT:
		return api_logout(k);
	case API_SROUTE_PASSWORD:
		return api_password(k);
	case API_SROUTE_TOTP_ENROL:
		return api_totp_enrol(k);
	case API_SROUTE_TOTP_CONFIRM:
		return api_totp_confirm(k);
	case API_SROUTE_SESSION:
		return api_session_info(k);
	}
	return api_error(
	    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
}

/* ---- The web console's files (R-ADMIN-3). ---- */

/* Reads the console from the share directory; without it the API
 * still serves, and the console's paths answer as unknown ones. */
static void
api_console_load(struct api *a, const struct api_config *cfg)
{
	char dir[4096];
	int rc = -EINVAL;

	if (cfg->share_dir != NULL && snprintf(dir, sizeof(dir), "%s/console",
	                                  cfg->share_dir) < (int)sizeof(dir))
		rc = console_load(&a->console, dir);
	if (rc != 0)
		log_warn(
		    "api", "msg=\"web console not available\" err=%d", -rc);
}

/* GET or HEAD of a console file: no authentication (the page logs in
 * through the API), limited per source address. */
static enum MHD_Result
api_console(
    struct api *a, struct api_call *k, const char *url, const char *method)
{
	const struct console_file *f = console_find(a->console, url);
	struct MHD_Response *r;
	enum MHD_Result ret;

	api_bucket_id("console", sv_cstr(k->src), k->key.id);
	if (!api_rate_ok(a, k->key.id))
		return api_error_h(k->conn, MHD_HTTP_TOO_MANY_REQUESTS,
		    "rate_limited", "too many requests", "Retry-After", "1");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return api_error_h(k->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "method not allowed", "Allow",
		    "GET, HEAD");
	r = MHD_create_response_from_buffer(
	    f->len, f->data, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", f->type);
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	api_security_headers(r);
	ret = MHD_queue_response(k->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- Changes: users, bans, anti-fraud blocks (R-ADMIN-2). ---- */

/* The actor and role of a change: the session's account, or the API
 * key as "apikey:ID". */
static void
api_actor(const struct api_call *k, char *actor, size_t size, const char **role)
{
	if (k->session) {
		snprintf(actor, size, "%s", k->acct.name);
		*role = k->acct.role;
	} else {
		snprintf(actor, size, "apikey:%s", k->key.id);
		*role = rbac_role_name(k->key.role);
	}
}

/* The audit entry of a change made by this request. */
static int
api_audit_change(struct api_call *k, const char *action, const char *object,
    json_t *before, json_t *after)
{
	char actor[AUDIT_FIELD_MAX + 1];
	const char *role;

	api_actor(k, actor, sizeof(actor), &role);
	return api_audit_entry(k, actor, role, action, object, before, after);
}

/* Tells the daemon to reload what was just committed. */
static void
api_reload(struct api *a)
{
	if (a->reload != NULL)
		a->reload(a->reload_arg);
}

/* 400 naming a member of the body; 'rule' says what it takes. */
static enum MHD_Result
api_bad_field(struct MHD_Connection *c, const char *name, const char *rule)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "invalid '%s': %s", name, rule);
	return api_error(c, MHD_HTTP_BAD_REQUEST, "invalid_body", msg);
}

/* The body's members must be among 'names' (NULL-terminated). Returns
 * true when they are. */
static bool
api_body_members_ok(json_t *o, const char *const *names)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v)
	{
		bool known = false;

		for (size_t i = 0; names[i] != NULL && !known; i++)
			known = strcmp(key, names[i]) == 0;
		if (!known)
			return false;
	}
	return true;
}

/* "2026-11-23T10:00:00Z", or "permanent" for 0: how the command line
 * writes a ban's end into the audit log, so both read alike. */
static const char *
api_until_text(int64_t until, char *out, size_t size)
{
	time_t t = (time_t)until;
	struct tm tm;

	if (until == 0)
		return "permanent";
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return out;
}

/* What the audit log keeps of a ban (as the command line writes it). */
static json_t *
api_ban_audit_json(const struct ban_record *b)
{
	char until[32];

	return json_pack("{s:s,s:I,s:s%,s:s%}", "until",
	    api_until_text(b->until, until, sizeof(until)), "count",
	    (json_int_t)b->count, "source", API_SV(b->source), "reason",
	    API_SV(b->reason));
}

static json_t *
api_ban_json(const struct ban_record *b)
{
	return json_pack("{s:s%,s:I,s:I,s:s%,s:s%,s:I,s:I}", "addr",
	    API_SV(b->addr), "until", (json_int_t)b->until, "count",
	    (json_int_t)b->count, "reason", API_SV(b->reason), "source",
	    API_SV(b->source), "created_at", (json_int_t)b->created_at,
	    "updated_at", (json_int_t)b->updated_at);
}

struct api_ban_find {
	const char *addr;
	json_t *state; /* the audit state of its ban, or NULL */
};

static int
api_ban_find_cb(void *arg, const struct ban_record *b)
{
	struct api_ban_find *f = arg;

	if (!sv_eq(b->addr, sv_cstr(f->addr)))
		return 0;
	f->state = api_ban_audit_json(b);
	return f->state != NULL ? 1 : -ENOMEM;
}

/* The audit state of the ban in force on 'addr' (normalised): *state
 * is NULL when there is none. */
static int
api_ban_state(struct api *a, const char *addr, json_t **state)
{
	struct api_ban_find f = {addr, NULL};
	int rc = bans_list(a->db, (int64_t)time(NULL), api_ban_find_cb, &f);

	*state = f.state;
	return rc == 1 ? 0 : rc;
}

/* POST /api/v1/users {ext, name}: a new extension with a generated SIP
 * secret, returned once (as `rempart user add --generate-secret`). */
static enum MHD_Result
api_user_add(struct api_call *k)
{
	static const char *const members[] = {"ext", "name", NULL};
	char secret[SECRET_MAX_LEN + 2], realm[SETTINGS_VALUE_MAX + 1],
	    object[USERS_EXT_MAX + 1];
	struct sip_auth_ha1 ha1;
	enum MHD_Result ret = MHD_NO;
	struct user_info u;
	struct sv ext, name;
	json_t *o, *body;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	ext = api_json_sv(o, "ext");
	name = api_json_sv(o, "name");
	rc = -EINVAL;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes ext and name");
	else if (ext.p == NULL || !users_ext_valid(ext))
		ret = api_bad_field(
		    k->conn, "ext", "1-32 letters, digits, '.', '_' or '-'");
	else if (name.p == NULL || name.len == 0 || !users_name_valid(name))
		ret =
		    api_bad_field(k->conn, "name", "1-64 printable characters");
	else
		rc = 0;
	if (rc != 0) {
		json_decref(o);
		return ret;
	}
	memcpy(object, ext.p, ext.len);
	object[ext.len] = '\0';
	rc = secret_generate(secret, sizeof(secret), SECRET_GEN_DEFAULT_LEN);
	if (rc == 0)
		rc = settings_get(
		    k->api->db, SETTINGS_SIP_REALM, realm, sizeof(realm));
	if (rc == 0)
		rc = sip_auth_ha1_set(
		    &ha1, ext, sv_cstr(realm), sv_cstr(secret));
	if (rc != 0) {
		json_decref(o);
		sodium_memzero(secret, sizeof(secret));
		return api_store_error(k->conn, "users.add", rc);
	}
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = users_add(k->api->db, k->api->keys, ext, name, ha1.md5,
		    ha1.sha256, (int64_t)time(NULL));
		/* That credentials were set, never what they are. */
		if (rc == 0)
			rc = api_audit_change(k, "user.add", object, NULL,
			    json_pack("{s:s%,s:b,s:s}", "name", name.p,
			        name.len, "enabled", 1, "credentials", "set"));
		rc = api_tx_end(k->api, rc);
	}
	sip_auth_ha1_wipe(&ha1);
	json_decref(o);
	if (rc == 0)
		rc = users_get_info(k->api->db, sv_cstr(object), &u);
	if (rc == -EEXIST)
		ret = api_error(k->conn, MHD_HTTP_CONFLICT, "exists",
		    "that extension already exists");
	else if (rc == -EINVAL)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "invalid extension or name");
	else if (rc != 0)
		ret = api_store_error(k->conn, "users.add", rc);
	if (rc != 0) {
		sodium_memzero(secret, sizeof(secret));
		return ret;
	}
	api_reload(k->api);
	body = api_user_json(&u);
	if (body != NULL &&
	    json_object_set_new(body, "secret", json_string(secret)) != 0) {
		json_decref(body);
		body = NULL;
	}
	sodium_memzero(secret, sizeof(secret));
	return api_send(k->conn, MHD_HTTP_CREATED, body, NULL, NULL);
}

/* Reads "for" of a ban: absent, a duration ("1h", "7d") or
 * "permanent". Returns false when it is none of those. */
static bool
api_ban_until(json_t *o, int64_t now, int64_t *until)
{
	json_t *v = json_object_get(o, "for");
	int64_t secs = BANS_DEFAULT_SECS;
	struct sv t;

	if (v != NULL) {
		if (!json_is_string(v))
			return false;
		t = sv_make(json_string_value(v), json_string_length(v));
		if (sv_eq(t, SV("permanent"))) {
			*until = 0;
			return true;
		}
		if (sv_to_duration_s(t, API_BAN_MAX_S, &secs) != 0)
			return false;
	}
	*until = now + secs;
	return true;
}

/* POST /api/v1/bans {addr, for?, reason?}: as `rempart bans add`. */
static enum MHD_Result
api_ban_add(struct api_call *k)
{
	static const char *const members[] = {"addr", "for", "reason", NULL};
	char addr[BANS_ADDR_STRLEN];
	int64_t now = (int64_t)time(NULL), until = 0;
	enum MHD_Result ret = MHD_NO;
	json_t *o, *before = NULL, *body;
	struct ban_record b;
	struct sv text, reason;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	text = api_json_sv(o, "addr");
	reason = json_object_get(o, "reason") != NULL ? api_json_sv(o, "reason")
	                                              : SV(BANS_DEFAULT_REASON);
	rc = -EINVAL;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes addr, for and reason");
	else if (text.p == NULL || bans_addr_normalise(text, addr) != 0)
		ret = api_bad_field(k->conn, "addr",
		    "an IPv4 or IPv6 address, or a network such as "
		    "192.0.2.0/24");
	else if (!api_ban_until(o, now, &until))
		ret = api_bad_field(k->conn, "for",
		    "a duration such as 30m, 1h or 7d (at most 10 years), "
		    "or permanent");
	else if (reason.p == NULL || reason.len == 0 ||
	         reason.len > BANS_REASON_MAX)
		ret = api_bad_field(
		    k->conn, "reason", "1-128 printable characters");
	else
		rc = 0;
	if (rc != 0) {
		json_decref(o);
		return ret;
	}
	b = (struct ban_record){
	    .addr = sv_cstr(addr),
	    .until = until,
	    .count = 1,
	    .reason = reason,
	    .source = SV(BANS_SOURCE_ADMIN),
	    .created_at = now,
	    .updated_at = now,
	};
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = api_ban_state(k->api, addr, &before);
		if (rc == 0)
			rc = bans_upsert(k->api->db, &b);
		if (rc == 0) {
			rc = api_audit_change(k, "bans.add", addr, before,
			    api_ban_audit_json(&b));
			before = NULL;
		}
		rc = api_tx_end(k->api, rc);
	}
	json_decref(before);
	body = rc == 0 ? api_ban_json(&b) : NULL;
	json_decref(o);
	if (rc == -EINVAL || rc == -E2BIG)
		return api_bad_field(
		    k->conn, "reason", "1-128 printable characters");
	if (rc != 0)
		return api_store_error(k->conn, "bans.add", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_CREATED, body, NULL, NULL);
}

/* DELETE /api/v1/bans/ADDR: as `rempart bans remove`. */
static enum MHD_Result
api_ban_remove(struct api_call *k)
{
	char addr[BANS_ADDR_STRLEN];
	json_t *before = NULL;
	int rc;

	if (bans_addr_normalise(k->tail, addr) != 0)
		return api_bad_param(k->conn, "addr",
		    "an IPv4 or IPv6 address, or a network such as "
		    "192.0.2.0%2F24");
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = api_ban_state(k->api, addr, &before);
		if (rc == 0)
			rc = bans_delete(k->api->db, sv_cstr(addr));
		if (rc == 0) {
			rc = api_audit_change(
			    k, "bans.remove", addr, before, NULL);
			before = NULL;
		}
		rc = api_tx_end(k->api, rc);
	}
	json_decref(before);
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no ban for that address");
	if (rc != 0)
		return api_store_error(k->conn, "bans.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "addr", addr, "removed", 1), NULL, NULL);
}

/* A listing that counts every row and keeps the page's window. */
struct api_walk {
	struct api_page *pg;
	uint64_t total;
	struct sv self; /* RBAC_SELF: only this extension's rows */
	uint64_t now_s;
};

static int
api_walk_add(struct api_walk *w, json_t *(*make)(const void *), const void *row)
{
	int rc;

	w->total++;
	if (json_array_size(w->pg->items) >= w->pg->limit) {
		w->pg->seen++;
		return 0;
	}
	rc = api_page_add(w->pg, make(row));
	return rc < 0 ? rc : 0;
}

static json_t *
api_binding_json(const void *row)
{
	const struct binding_record *b = row;

	return json_pack("{s:s%,s:s%,s:I,s:f,s:s%,s:s%,s:I}", "aor",
	    API_SV(b->aor), "contact", API_SV(b->contact), "expires_at",
	    (json_int_t)b->expires_at, "q", (double)b->q / 1000.0, "source",
	    API_SV(b->source), "user_agent", API_SV(b->user_agent),
	    "updated_at", (json_int_t)b->updated_at);
}

static int
api_binding_cb(void *arg, const struct binding_record *b)
{
	struct api_walk *w = arg;

	if (w->self.p != NULL && !sv_eq(b->aor, w->self))
		return 0;
	return api_walk_add(w, api_binding_json, b);
}

/* GET /api/v1/registrations: the live bindings (R-OPS-1). */
static enum MHD_Result
api_registrations(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	pg.seen = 0;
	pg.err = 0;
	if (k->access == RBAC_SELF)
		w.self = sv_cstr(k->key.ext);
	rc = bindings_list(k->api->db, (int64_t)time(NULL), api_binding_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "registrations", rc);
	}
	return api_page_send(k, &pg, w.total);
}

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
	pg.seen = 0;
	pg.err = 0;
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
    const char *object)
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
		    json_pack("{s:I}", "lifted_at", (json_int_t)now));
	return api_tx_end(k->api, rc);
}

/* POST /api/v1/fraud/unblock {scope, name?}: as `rempart fraud unblock
 * user EXT|global`. */
static enum MHD_Result
api_fraud_unblock(struct api_call *k)
{
	static const char *const members[] = {"scope", "name", NULL};
	char object[USERS_EXT_MAX + 8];
	enum MHD_Result ret = MHD_NO;
	enum fraud_scope scope = FRAUD_SCOPE_GLOBAL;
	struct sv text, name;
	json_t *o;
	int rc = -EINVAL;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	text = api_json_sv(o, "scope");
	name = json_object_get(o, "name") != NULL ? api_json_sv(o, "name")
	                                          : SV("");
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes scope and name");
	else if (text.p == NULL || fraudcfg_scope_parse(text, &scope) != 0 ||
	         scope == FRAUD_SCOPE_TENANT)
		ret = api_bad_field(k->conn, "scope", "user or global");
	else if (scope == FRAUD_SCOPE_USER &&
	         (name.p == NULL || !users_ext_valid(name)))
		ret = api_bad_field(k->conn, "name",
		    "the user's extension (1-32 letters, digits, '.', '_' "
		    "or '-')");
	else if (scope == FRAUD_SCOPE_GLOBAL &&
	         (name.p == NULL || name.len != 0))
		ret =
		    api_bad_field(k->conn, "name", "none for the global scope");
	else
		rc = 0;
	if (rc == 0) {
		snprintf(object, sizeof(object), "%s%.*s",
		    scope == FRAUD_SCOPE_GLOBAL ? "global" : "user:",
		    (int)name.len, name.p);
		rc = api_unblock_store(k, scope, name, object);
		if (rc == -ENOENT)
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

static enum MHD_Result
api_dispatch(struct api *a, struct MHD_Connection *c, const char *url,
    const char *method, struct sv body, bool body_over)
{
	struct api_call k = {
	    .api = a, .conn = c, .body = body, .body_over = body_over};
	int64_t now = (int64_t)time(NULL);
	const struct api_sroute_def *sr;
	char allow[64];
	struct sv bearer;
	enum MHD_Result ret;
	bool done;
	int rc;

	if (!api_source_allowed(a, c, k.src, sizeof(k.src)))
		rc = -EACCES;
	else if (console_find(a->console, url) != NULL)
		return api_console(a, &k, url, method);
	else if (strcmp(url, API_PREFIX "login") == 0)
		rc = 1;
	else if ((bearer = api_bearer(c)).p != NULL ||
	         MHD_lookup_connection_value(
	             c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) != NULL)
		rc = apikeys_verify(a->db, bearer, now, &k.key);
	else
		rc = api_session_auth(&k, now);
	if (rc == 1) {
		/* Logins are limited per source address. */
		api_bucket_id("login", sv_cstr(k.src), k.key.id);
		if (!api_rate_ok(a, k.key.id))
			return api_error_h(c, MHD_HTTP_TOO_MANY_REQUESTS,
			    "rate_limited", "too many requests", "Retry-After",
			    "1");
		if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
			return api_error_h(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "method_not_allowed", "method not allowed", "Allow",
			    MHD_HTTP_METHOD_POST);
		return api_login(&k);
	}
	if (rc == -EACCES)
		return api_error_h(c, MHD_HTTP_UNAUTHORIZED, "unauthorized",
		    "authentication required", MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer realm=\"rempart\"");
	if (rc != 0)
		return api_store_error(
		    c, k.session ? "sessions" : "apikeys", rc);
	if (!api_rate_ok(a, k.key.id))
		return api_error_h(c, MHD_HTTP_TOO_MANY_REQUESTS,
		    "rate_limited", "too many requests", "Retry-After", "1");
	if (!k.session && now - k.key.last_used_at >= API_TOUCH_INTERVAL_S) {
		rc = apikeys_touch(a->db, sv_cstr(k.key.id), now);
		if (rc != 0)
			log_warn("api",
			    "msg=\"cannot record key use\" key=%s "
			    "err=%d",
			    k.key.id, -rc);
	}
	sr = api_sroute_find(url);
	k.def = sr == NULL
	            ? api_route_find(url, method, &k.tail, allow, sizeof(allow))
	            : NULL;
	if (sr == NULL && k.def == NULL && allow[0] == '\0')
		return api_error(
		    c, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
	if (k.session) {
		if (!api_csrf_ok(&k, method))
			return api_error(c, MHD_HTTP_FORBIDDEN, "csrf_invalid",
			    "missing or wrong X-CSRF-Token header");
		ret = api_session_gate(&k, sr, &done);
		if (done)
			return ret;
	}
	if (sr != NULL)
		return api_session_route(&k, sr, method);
	if (k.def == NULL)
		return api_error_h(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "method not allowed", "Allow", allow);
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
	case API_ROUTE_USER_ADD:
		return api_user_add(&k);
	case API_ROUTE_BAN_ADD:
		return api_ban_add(&k);
	case API_ROUTE_BAN_REMOVE:
		return api_ban_remove(&k);
	case API_ROUTE_REGISTRATIONS:
		return api_registrations(&k);
	case API_ROUTE_FRAUD_BLOCKS:
		return api_fraud_blocks(&k);
	case API_ROUTE_FRAUD_UNBLOCK:
		return api_fraud_unblock(&k);
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
		if (r->json_len + *upload_size <= API_JSON_MAX) {
			memcpy(
			    r->json + r->json_len, upload_data, *upload_size);
			r->json_len += *upload_size;
		}
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
	return api_dispatch(a, c, url, method, sv_make(r->json, r->json_len),
	    r->body > API_JSON_MAX);
}

static void
api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	/* The body may hold a password. */
	if (r != NULL)
		sodium_memzero(r->json, r->json_len);
	free(r);
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
	console_free(a->console);
	cidr_set_free(a->allow);
	secret_list_free(a->common);
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
		rc = cidr_set_add_lines(
		    *out, sv_make(lines, n), api_allow_bad, &bad, NULL, NULL);
	if (rc == 0 && bad != 0)
		rc = -EINVAL;
	return rc;
}

/* The common-password list of the administrator password policy
 * (R-AUTH-2): without it, password changes could not be checked. */
static int
api_common_load(const struct api_config *cfg, struct secret_list **out)
{
	char path[4096];
	int rc;

	if (cfg->share_dir == NULL ||
	    snprintf(path, sizeof(path), "%s/common-secrets.txt",
	        cfg->share_dir) >= (int)sizeof(path))
		return -EINVAL;
	rc = secret_list_load(path, out);
	if (rc != 0)
		log_error("api",
		    "msg=\"cannot load the common-password list\" err=%d", -rc);
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
	rc = api_allow_parse(
	    cfg->allow != NULL ? cfg->allow : API_ALLOW_DEFAULT, &a->allow);
	if (rc != 0) {
		log_error("api", "msg=\"bad allowed networks (--api-allow)\"");
		goto fail;
	}
	a->assessment = cfg->assessment;
	a->reload = cfg->reload;
	a->reload_arg = cfg->reload_arg;
	api_console_load(a, cfg);
	a->data_dir = strdup(cfg->data_dir);
	if (a->data_dir == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	a->idle_s = cfg->admin_idle_s != 0 ? (int64_t)cfg->admin_idle_s
	                                   : ADMINS_IDLE_DEFAULT_S;
	rc = totp_init();
	if (rc == 0)
		rc = api_common_load(cfg, &a->common);
	if (rc != 0)
		goto fail;
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
