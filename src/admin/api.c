/* The administration API over libmicrohttpd. */
#include "admin/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "admin/api_int.h"
#include "admin/apikeys.h"
#include "admin/console.h"
#include "admin/rbac.h"
#include "admin/totp.h"
#include "core/log.h"
#include "core/sv.h"
#include "policy/adminpw.h"
#include "policy/cidr.h"
#include "policy/numplan.h"
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
#define API_OFFSET_MAX 1000000000u
/* The console's policy, sent with every answer: scripts, styles and
 * requests to this origin only, no inline code, images from here or
 * data: URLs (the TOTP QR code), never framed (R-ADMIN-3). */
#define API_CSP                                                                \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "      \
	"form-action 'self'"

/* Per request: the body bytes seen, and whether an answer is queued. */
struct api_req {
	uint64_t body;
	bool answered;
	uint64_t max; /* API_BODY_MAX, or the route's api_body_max() */
	char *raw;    /* the whole body, for a route with a larger limit */
	size_t raw_len, raw_cap;
	size_t json_len; /* bytes kept in json, up to API_JSON_MAX */
	char json[API_JSON_MAX];
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
void
api_headers(struct MHD_Response *r)
{
	MHD_add_response_header(
	    r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	api_security_headers(r);
}

/* Sends 'body' (consumed; NULL gives a 500) with 'status'. 'hname'
 * and 'hvalue' add one more header when not NULL. */
enum MHD_Result
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

enum MHD_Result
api_error_h(struct MHD_Connection *c, unsigned status, const char *code,
    const char *message, const char *hname, const char *hvalue)
{
	json_t *body = json_pack(
	    "{s:{s:s,s:s}}", "error", "code", code, "message", message);

	return api_send(c, status, body, hname, hvalue);
}

enum MHD_Result
api_error(struct MHD_Connection *c, unsigned status, const char *code,
    const char *message)
{
	return api_error_h(c, status, code, message, NULL, NULL);
}

/* 400 naming the parameter; 'rule' says what it takes. */
enum MHD_Result
api_bad_param(struct MHD_Connection *c, const char *name, const char *rule)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "invalid parameter '%s': %s", name, rule);
	return api_error(c, MHD_HTTP_BAD_REQUEST, "invalid_parameter", msg);
}

enum MHD_Result
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
bool
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

const char *
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

/* Reads limit and offset. Returns MHD_YES with *done false when
 * valid. */
enum MHD_Result
api_page_params(struct api_call *k, struct api_page *pg, bool *done)
{
	const char *v;

	*done = true;
	pg->limit = API_PAGE_DEFAULT;
	pg->offset = 0;
	pg->seen = 0;
	pg->err = 0;
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
int
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

enum MHD_Result
api_page_send(struct api_call *k, struct api_page *pg, uint64_t total)
{
	json_t *body = json_pack("{s:o,s:I,s:I,s:I}", "items", pg->items,
	    "limit", (json_int_t)pg->limit, "offset", (json_int_t)pg->offset,
	    "total", (json_int_t)total);

	pg->items = NULL;
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* Every resource's routes (api_int.h). */
static const struct api_route_def *const api_route_tables[] = {
    api_routes_users,
    api_routes_cdrs,
    api_routes_bans,
    api_routes_audit,
    api_routes_fraud,
    api_routes_fraud_block,
    api_routes_live,
    api_routes_trunks,
    api_routes_routes,
    api_routes_rights,
    api_routes_rates,
    api_routes_settings,
    api_routes_userops,
    api_routes_userset,
    api_routes_cdr_export,
    api_routes_groups,
    api_routes_admins,
    api_routes_apikeys,
    api_routes_alerts,
    api_routes_config,
    api_routes_route_test,
    api_routes_assess,
    api_routes_auditops,
    api_routes_seclog,
};

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
	case API_TAIL_INNER: {
		const char *star = strchr(d->path, '*');
		struct sv head = sv_make(d->path, (size_t)(star - d->path));
		struct sv end = sv_cstr(star + 1);

		if (path.len <= head.len + end.len ||
		    !sv_starts_with(path, head) ||
		    !sv_eq(sv_skip(path, path.len - end.len), end))
			return false;
		*tail =
		    sv_make(path.p + head.len, path.len - head.len - end.len);
		return memchr(tail->p, '/', tail->len) == NULL;
	}
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
	for (size_t t = 0; t < RP_ARRAY_LEN(api_route_tables); t++) {
		for (const struct api_route_def *d = api_route_tables[t];
		     d->path != NULL; d++) {
			int w;

			if (!api_route_match(d, path, tail))
				continue;
			if (strcmp(method, d->method) == 0)
				return d;
			w = snprintf(allow + n, size - n, "%s%s",
			    n != 0 ? ", " : "", d->method);
			if (w > 0 && (size_t)w < size - n)
				n += (size_t)w;
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

/* A 22-character rate-limit bucket id for 'data', apart from API key
 * ids by 'label'. */
void
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
int
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

int
api_audit_write(struct api_call *k, const char *actor, const char *role,
    const char *action, const char *object, json_t *after)
{
	return api_audit_entry(k, actor, role, action, object, NULL, after);
}

/* Ends a transaction: commits when rc is 0, else rolls back. */
int
api_tx_end(struct api *a, int rc)
{
	if (rc != 0) {
		db_tx_rollback(a->db);
		return rc;
	}
	return db_tx_commit(a->db);
}

/* The JSON object of the body; NULL after answering 400 or 413. */
json_t *
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
struct sv
api_json_sv(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return SV_NULL;
	return sv_make(json_string_value(v), json_string_length(v));
}

/* Wipes the strings of a parsed body (passwords) before freeing it. */
void
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
void
api_actor(const struct api_call *k, char *actor, size_t size, const char **role)
{
	if (k->local) {
		snprintf(actor, size, "%s", k->local_actor);
		*role = rbac_role_name(k->key.role);
	} else if (k->session) {
		snprintf(actor, size, "%s", k->acct.name);
		*role = k->acct.role;
	} else {
		snprintf(actor, size, "apikey:%s", k->key.id);
		*role = rbac_role_name(k->key.role);
	}
}

/* The audit entry of a change made by this request. */
int
api_audit_change(struct api_call *k, const char *action, const char *object,
    json_t *before, json_t *after)
{
	char actor[AUDIT_FIELD_MAX + 1];
	const char *role;

	api_actor(k, actor, sizeof(actor), &role);
	return api_audit_entry(k, actor, role, action, object, before, after);
}

/* Tells the daemon to reload what was just committed. */
void
api_unlock(struct api_call *k)
{
	pthread_mutex_unlock(&k->api->lock);
}

void
api_relock(struct api_call *k)
{
	pthread_mutex_lock(&k->api->lock);
}

void
api_reload(struct api *a)
{
	if (a->reload != NULL)
		a->reload(a->reload_arg);
}

/* 400 naming a member of the body; 'rule' says what it takes. */
enum MHD_Result
api_bad_field(struct MHD_Connection *c, const char *name, const char *rule)
{
	char msg[200];

	snprintf(msg, sizeof(msg), "invalid '%s': %s", name, rule);
	return api_error(c, MHD_HTTP_BAD_REQUEST, "invalid_body", msg);
}

/* The body's members must be among 'names' (NULL-terminated). Returns
 * true when they are. */
bool
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

int
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

	if (api_local_conn(a, c)) {
		/* No allow list, key, cookie or CSRF token: the socket's
		 * mode and the peer's uid decide. */
		if (api_local_auth(&k) != 0)
			return api_error(c, MHD_HTTP_FORBIDDEN, "forbidden",
			    "not allowed for this user");
		rc = 0;
	} else if (!api_source_allowed(a, c, k.src, sizeof(k.src)))
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
	if (!k.session && !k.local &&
	    now - k.key.last_used_at >= API_TOUCH_INTERVAL_S) {
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
	return k.def->run(&k);
}

/* The body limit of a request: the larger one of its route (a rate
 * table) only for a caller that may use that route, so nobody else
 * gets more than API_BODY_MAX buffered. */
static uint64_t
api_body_max(struct api *a, struct MHD_Connection *c, const char *url,
    const char *method)
{
	struct api_call k = {.api = a, .conn = c};
	const struct api_route_def *d;
	int64_t now = (int64_t)time(NULL);
	char allow[64];
	struct sv bearer;
	int rc;

	d = api_route_find(url, method, &k.tail, allow, sizeof(allow));
	if (d == NULL || api_route_body_max(d) <= API_BODY_MAX)
		return API_BODY_MAX;
	/* Only root and the server's own user can open the local socket
	 * (mode 0600); its peer is checked again when the request is
	 * answered. */
	if (api_local_conn(a, c))
		return api_route_body_max(d);
	if (!api_source_allowed(a, c, k.src, sizeof(k.src)))
		return API_BODY_MAX;
	bearer = api_bearer(c);
	rc = bearer.p != NULL ? apikeys_verify(a->db, bearer, now, &k.key)
	                      : api_session_auth(&k, now);
	if (rc != 0 || rbac_check(k.key.role, d->cls) != RBAC_ALLOW ||
	    (k.session &&
	        (!api_csrf_ok(&k, method) || k.must_change || k.must_enrol)))
		return API_BODY_MAX;
	return api_route_body_max(d);
}

/* Appends to the whole body of a large-body route, growing the buffer
 * with the bytes received (never from Content-Length). */
static int
api_raw_append(struct api_req *r, const char *data, size_t n)
{
	if (r->raw_len + n > r->raw_cap) {
		size_t cap = r->raw_cap != 0 ? r->raw_cap : 64u * 1024u;
		char *p;

		while (cap < r->raw_len + n)
			cap *= 2;
		if (cap > r->max)
			cap = (size_t)r->max;
		p = realloc(r->raw, cap);
		if (p == NULL)
			return -ENOMEM;
		r->raw = p;
		r->raw_cap = cap;
	}
	memcpy(r->raw + r->raw_len, data, n);
	r->raw_len += n;
	return 0;
}

static enum MHD_Result
api_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct api *a = cls;
	struct api_req *r = *con_cls;
	enum MHD_Result ret;

	(void)version;
	if (r == NULL) {
		const char *cl = MHD_lookup_connection_value(
		    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		uint64_t n;

		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		pthread_mutex_lock(&a->lock);
		r->max = api_body_max(a, c, url, method);
		pthread_mutex_unlock(&a->lock);
		/* Refused before a byte of the body is read. */
		if (cl != NULL &&
		    (sv_to_u64(sv_cstr(cl), UINT64_MAX, &n) != 0 ||
		        n > r->max)) {
			r->answered = true;
			return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "too_large", "request body too large");
		}
		return MHD_YES;
	}
	if (*upload_size != 0) {
		if (r->max > API_BODY_MAX) {
			if (r->body + *upload_size <= r->max &&
			    api_raw_append(r, upload_data, *upload_size) != 0)
				return MHD_NO;
		} else if (r->json_len + *upload_size <= API_JSON_MAX) {
			memcpy(
			    r->json + r->json_len, upload_data, *upload_size);
			r->json_len += *upload_size;
		}
		r->body += *upload_size;
		*upload_size = 0;
		if (r->body > r->max && !r->answered) {
			r->answered = true;
			return api_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
			    "too_large", "request body too large");
		}
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	r->answered = true;
	pthread_mutex_lock(&a->lock);
	if (r->max > API_BODY_MAX)
		ret = api_dispatch(
		    a, c, url, method, sv_make(r->raw, r->raw_len), false);
	else
		ret = api_dispatch(a, c, url, method,
		    sv_make(r->json, r->json_len), r->body > API_JSON_MAX);
	pthread_mutex_unlock(&a->lock);
	return ret;
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
	if (r != NULL) {
		sodium_memzero(r->json, r->json_len);
		free(r->raw);
	}
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
	api_local_stop(a);
	pthread_mutex_destroy(&a->lock);
	db_close(a->db);
	keys_free(a->keys);
	console_free(a->console);
	numplan_free(a->plan);
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

/* The HTTPS listener's address; -EINVAL when it is not a literal. */
static int
api_https_addr(
    const struct api_config *cfg, struct sockaddr_storage *ss, unsigned *flags)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

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
		*flags |= MHD_USE_IPv6;
	} else {
		return -EINVAL;
	}
	return 0;
}

/* The HTTPS listener, with the data directory's certificate. */
static int
api_https_start(struct api *a, const struct api_config *cfg,
    struct sockaddr_storage *ss, unsigned flags)
{
	int rc;

	rc = api_read_pem(cfg->data_dir, "cert.pem", &a->cert, &a->cert_len);
	if (rc == 0)
		rc = api_read_pem(
		    cfg->data_dir, "key.pem", &a->key, &a->key_len);
	if (rc != 0) {
		log_error("api",
		    "msg=\"cannot read the TLS certificate or "
		    "key\" err=%d",
		    -rc);
		return rc;
	}
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, api_handle, a,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
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
		return -EADDRNOTAVAIL;
	}
	log_info("api", "msg=listening addr=%s port=%u", cfg->addr,
	    (unsigned)cfg->port);
	return 0;
}

int
api_start(struct api **out, const struct api_config *cfg)
{
	struct sockaddr_storage ss = {0};
	unsigned flags = API_MHD_THREADS | MHD_USE_TLS;
	struct api *a;
	int rc;

	if (sodium_init() < 0)
		return -EIO;
	if (!cfg->local_only) {
		rc = api_https_addr(cfg, &ss, &flags);
		if (rc != 0)
			return rc;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		return -ENOMEM;
	}
	rc = api_allow_parse(
	    cfg->allow != NULL ? cfg->allow : API_ALLOW_DEFAULT, &a->allow);
	if (rc != 0) {
		log_error("api", "msg=\"bad allowed networks (--api-allow)\"");
		goto fail;
	}
	a->assessment = cfg->assessment;
	a->reload = cfg->reload;
	a->reload_arg = cfg->reload_arg;
	a->live = cfg->live;
	if (!cfg->local_only)
		api_console_load(a, cfg);
	api_rates_plan_load(a, cfg->share_dir);
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
	rc = keys_load(cfg->data_dir, &a->keys);
	if (rc == 0)
		rc = db_open(&a->db, cfg->data_dir);
	if (rc != 0) {
		log_error("api", "msg=\"cannot open the store\" err=%d", -rc);
		goto fail;
	}
	if (!cfg->local_only) {
		rc = api_https_start(a, cfg, &ss, flags);
		if (rc != 0)
			goto fail;
	}
	if (cfg->socket_path != NULL) {
		rc = api_local_start(
		    a, cfg->socket_path, api_handle, api_completed);
		if (rc != 0)
			goto fail;
	}
	*out = a;
	return 0;
fail:
	api_stop(a);
	return rc;
}
