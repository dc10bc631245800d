/* What the files of the administration API share (admin/api.h is
 * its public header): the server's state, a request being answered,
 * the route tables and the helpers that answer, page, read bodies and
 * audit. Included by src/admin/api*.c only. */
#ifndef RP_ADMIN_API_INT_H
#define RP_ADMIN_API_INT_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "admin/api.h"
#include "admin/apikeys.h"
#include "admin/rbac.h"
#include "core/sv.h"
#include "store/admins.h"
#include "store/audit.h"

#define API_BUCKETS 256u
#define API_PARAMS_MAX 8u
/* Year 9999 in ms: bounds 'since' so it fits every clock type. */
#define API_TIME_MS_MAX 253402300799999ull
#define API_PREFIX "/api/v1/"
/* How both servers (HTTPS and the local socket) run: a thread per
 * connection, so that a request waiting on the network (an alert test)
 * holds up no other; the API's lock still lets one request at a time
 * use the store. */
#define API_MHD_THREADS                                                        \
	(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD)
/* The longest JSON body an endpoint reads; larger ones get a 413. */
#define API_JSON_MAX 4096u

struct api_call;
struct api_sroute_def;
struct cidr_set;
struct console;
struct numplan;
struct secret_list;
struct user_info;

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
	struct numplan *plan;    /* NULL: classes of numbers unknown */
	api_reload_cb reload;
	void *reload_arg;
	struct live *live; /* NULL: no supervision */
	struct api_bucket buckets[API_BUCKETS];
	/* The local socket (api_local.c): its server and path; 'lock'
	 * lets one request at a time use the connection and buckets. */
	struct MHD_Daemon *local_mhd;
	char *sock_path;
	pthread_mutex_t lock;
};

/* How a route's path ends. */
enum api_tail {
	API_TAIL_NONE,    /* the path exactly */
	API_TAIL_SEGMENT, /* one more segment, without '/' ("users/100"); a
	                   * path "users/<*>/secret" has it in place of '*' */
	API_TAIL_ANY, /* anything non-empty ("bans/192.0.2.0/24", decoded) */
	/* One segment in place of the '*' of the route's path, for
	 * users/EXT/profile. */
	API_TAIL_INNER,
};

/* Each route: its path under /api/v1/ and method, its access class,
 * the query parameters it takes and the handler that answers it (with
 * the access already checked and the parameters known). Each table
 * ends with an entry whose path is NULL. */
struct api_route_def {
	const char *path;
	const char *method;
	enum api_tail tail;
	enum rbac_class cls;
	const char *params[5];
	enum MHD_Result (*run)(struct api_call *k);
};

/* 0 for a route of JSON bodies (API_JSON_MAX); else the route reads its
 * whole body as k->body, up to this many bytes (413 beyond), when the
 * caller may use it (api_rates.c: the rate table's import). */
uint32_t api_route_body_max(const struct api_route_def *d);

/* The resources, one table per file. */
extern const struct api_route_def api_routes_users[];
extern const struct api_route_def api_routes_cdrs[];
extern const struct api_route_def api_routes_bans[];
extern const struct api_route_def api_routes_audit[];
extern const struct api_route_def api_routes_fraud[];
extern const struct api_route_def api_routes_fraud_block[];
/* The reason of a manual block or unblock: a string of up to 128
 * printable ASCII characters ("" for none). */
bool api_reason_ok(struct sv r);
extern const struct api_route_def api_routes_live[];
extern const struct api_route_def api_routes_trunks[];
extern const struct api_route_def api_routes_routes[]; /* and DIDs */
extern const struct api_route_def api_routes_rights[];
extern const struct api_route_def api_routes_rates[];
extern const struct api_route_def api_routes_settings[];
extern const struct api_route_def api_routes_userops[];
extern const struct api_route_def api_routes_userset[];
extern const struct api_route_def api_routes_cdr_export[];
extern const struct api_route_def api_routes_groups[];
extern const struct api_route_def api_routes_admins[];
extern const struct api_route_def api_routes_apikeys[];
extern const struct api_route_def api_routes_alerts[];
extern const struct api_route_def api_routes_config[];
extern const struct api_route_def api_routes_auditops[];
extern const struct api_route_def api_routes_seclog[];

/* Opens DATA/log/security.log, or 'rotated' security.log.1, to read
 * (api_seclog.c): a regular file, never through a symbolic link.
 * Returns 0, -ENOENT when there is none, or a negative errno; *fd is -1
 * unless it returns 0. */
int api_seclog_read_open(struct api *a, bool rotated, int *fd, struct stat *st);

/* api_route_body_max() of the configuration import (api_config.c). */
uint32_t api_config_body_max(const struct api_route_def *d);
extern const struct api_route_def api_routes_route_test[];
extern const struct api_route_def api_routes_assess[];

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
	struct sv body; /* the JSON body, API_JSON_MAX bytes at most (or
	                 * up to the route's body_max) */
	bool body_over; /* the body was longer */
	bool local;     /* came through the local socket */
	char local_actor[AUDIT_FIELD_MAX + 1]; /* "local:NAME" */
};

struct api_page {
	uint32_t limit, offset;
	uint64_t seen;
	json_t *items;
	int err;
};

/* A stored text as JSON: the store checked it is UTF-8 on the way in. */
#define API_SV(v) ((v).p != NULL ? (v).p : ""), (size_t)(v).len

/* A listing that counts every row and keeps the page's window. */
struct api_walk {
	struct api_page *pg;
	uint64_t total;
	struct sv self; /* RBAC_SELF: only this extension's rows */
	uint64_t now_s;
};

/* Headers every JSON answer carries: never cached. */
void api_headers(struct MHD_Response *r);

/* Sends 'body' (consumed; NULL gives a 500) with 'status'. 'hname'
 * and 'hvalue' add one more header when not NULL. */
enum MHD_Result api_send(struct MHD_Connection *c, unsigned status,
    json_t *body, const char *hname, const char *hvalue);

/* {"error": {code, message}} with 'status'; api_error_h adds one
 * header. */
enum MHD_Result api_error_h(struct MHD_Connection *c, unsigned status,
    const char *code, const char *message, const char *hname,
    const char *hvalue);

enum MHD_Result api_error(struct MHD_Connection *c, unsigned status,
    const char *code, const char *message);

/* 400 naming the parameter; 'rule' says what it takes. */
enum MHD_Result api_bad_param(
    struct MHD_Connection *c, const char *name, const char *rule);

/* 503 when the store is busy, else 500; the cause is logged, not
 * sent. */
enum MHD_Result api_store_error(
    struct MHD_Connection *c, const char *what, int err);

/* The query parameter 'name' ("" for "?name"), or NULL. */
const char *api_param(const struct api_call *k, const char *name);

/* Reads limit and offset into an empty page. Returns MHD_YES with
 * *done false when valid. */
enum MHD_Result api_page_params(
    struct api_call *k, struct api_page *pg, bool *done);

/* Takes 'item' into the page when it falls in the window. Returns 0,
 * 1 once the window is full (stops the listing) or -ENOMEM. */
int api_page_add(struct api_page *pg, json_t *item);

/* 200 with {items, limit, offset, total}; takes the page's items. */
enum MHD_Result api_page_send(
    struct api_call *k, struct api_page *pg, uint64_t total);

/* Appends an audit entry from the API thread (R-ADMIN-4); 'before'
 * and 'after' (may be NULL) are consumed and never hold a secret.
 * Called inside the change's transaction. */
int api_audit_entry(struct api_call *k, const char *actor, const char *role,
    const char *action, const char *object, json_t *before, json_t *after);

int api_audit_write(struct api_call *k, const char *actor, const char *role,
    const char *action, const char *object, json_t *after);

/* Ends a transaction: commits when rc is 0, else rolls back. */
int api_tx_end(struct api *a, int rc);

/* The JSON object of the body; NULL after answering 400 or 413. */
json_t *api_body(struct api_call *k, enum MHD_Result *ret);

/* The string member 'name' of 'o' as a view (valid while 'o' lives);
 * SV_NULL when absent or not a string. */
struct sv api_json_sv(json_t *o, const char *name);

/* Wipes the strings of a parsed body (passwords) before freeing it. */
void api_body_free(json_t *o);

/* The actor and role of a change: the session's account, or the API
 * key as "apikey:ID". */
void api_actor(
    const struct api_call *k, char *actor, size_t size, const char **role);

/* The audit entry of a change made by this request. */
int api_audit_change(struct api_call *k, const char *action, const char *object,
    json_t *before, json_t *after);

/* A handler about to wait on the network lets other requests in: the
 * API's lock is released until api_relock(). In between it must not
 * touch k->api (the store, the keys, the buckets) nor the body. */
void api_unlock(struct api_call *k);
void api_relock(struct api_call *k);
/* Tells the daemon to reload what was just committed. */
void api_reload(struct api *a);

/* 400 naming a member of the body; 'rule' says what it takes. */
enum MHD_Result api_bad_field(
    struct MHD_Connection *c, const char *name, const char *rule);

/* The body's members must be among 'names' (NULL-terminated). Returns
 * true when they are. */
bool api_body_members_ok(json_t *o, const char *const *names);

/* Counts 'row' and, when it falls in the page's window, adds
 * make(row). Returns 0 or -ENOMEM. */
int api_walk_add(
    struct api_walk *w, json_t *(*make)(const void *), const void *row);

/* A 22-character rate-limit bucket id for 'data', apart from API key
 * ids by 'label'. */
void api_bucket_id(
    const char *label, struct sv data, char id[APIKEYS_ID_STRLEN]);

/* Token bucket of the key 'id'; false when the request is over the
 * limit. A full table gives the least recently refilled slot away. */
bool api_rate_ok(struct api *a, const char *id);

/* Typed members of a body (api_trunks.c): each returns 1 with *out
 * set, 0 when the member is absent, -EINVAL when it is of another type
 * or out of [min, max]. A view is valid while 'o' lives. */
int api_member_sv(json_t *o, const char *name, struct sv *out);
int api_member_u32(
    json_t *o, const char *name, uint32_t min, uint32_t max, uint32_t *out);
int api_member_bool(json_t *o, const char *name, bool *out);
/* Loads the destination tables into a->plan (api_rates.c), for the
 * class of a number; without them the class is left out. */
void api_rates_plan_load(struct api *a, const char *share_dir);
/* The local socket (api_local.c). */

/* Binds 'path' (mode 0600, plain HTTP) and serves the API on it with
 * 'handler' and 'done'. Returns 0 or a negative errno having logged
 * why. */
int api_local_start(struct api *a, const char *path,
    MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback done);

/* Stops the local server and removes its socket. */
void api_local_stop(struct api *a);

/* True when 'c' came through the local socket. */
bool api_local_conn(const struct api *a, struct MHD_Connection *c);

/* Authenticates a local request by its peer's credentials: the root
 * or the daemon's own user is an administrator. Returns 0 or
 * -EPERM. */
int api_local_auth(struct api_call *k);

/* A SIP secret given by the caller passes the policy (R-AUTH-3);
 * false after answering 400 (api_userops.c). */
bool api_user_secret_ok(
    struct api_call *k, struct sv ext, struct sv secret, enum MHD_Result *ret);

/* Adds a user's "group", own "profile", "tenant" (its group's) and
 * "effective_profile" with "effective_from" (user, group or default) to
 * 'o' (api_groups.c). Returns 0, -ENOMEM or a store error. */
int api_user_rights(struct api *a, json_t *o, const struct user_info *u);

/* Sessions (api_session.c). */

/* The session endpoint of 'url' (logout, password, totp/..., session),
 * or NULL. */
const struct api_sroute_def *api_sroute_find(const char *url);

/* POST /api/v1/login {name, password, totp?}. */
enum MHD_Result api_login(struct api_call *k);

/* Authenticates by the session cookie. Returns 0, -EACCES or a store
 * error. */
int api_session_auth(struct api_call *k, int64_t now);

/* State-changing requests of a session carry its CSRF token. */
bool api_csrf_ok(struct api_call *k, const char *method);

/* A session that must change its password or enrol TOTP first may
 * only do that (R-AUTH-2, R-AUTH-6). Returns MHD_YES with *done false
 * when the request may go on. */
enum MHD_Result api_session_gate(
    struct api_call *k, const struct api_sroute_def *sr, bool *done);

/* Answers a session endpoint found by api_sroute_find(). */
enum MHD_Result api_session_route(
    struct api_call *k, const struct api_sroute_def *sr, const char *method);

#endif
