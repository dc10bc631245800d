/* The administration API: the guard's bans (R-ADMIN-2, R-NET-*). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "core/log.h"
#include "core/seclog.h"
#include "store/bans.h"
#include "store/db.h"

/* Opens the security log before a ban is changed, so that no change is
 * made that could not be logged (R-ADMIN-4), as the command line does.
 * NULL after answering 500. */
static struct seclog *
api_seclog_open(struct api_call *k, enum MHD_Result *ret)
{
	struct seclog *log = NULL;
	int rc = seclog_open(&log, k->api->data_dir);

	if (rc != 0) {
		log_error(
		    "api", "msg=\"cannot open the security log\" err=%d", -rc);
		*ret = api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "cannot open the security log");
		return NULL;
	}
	return log;
}

/* The security log line of a ban or unban made through the API: the
 * guard's and the command line's kind, reason "admin", with the account
 * or key that made it. */
static void
api_seclog_ban(struct api_call *k, struct seclog *log, enum seclog_kind kind,
    const char *addr, uint32_t count)
{
	char actor[ADMINS_NAME_MAX + APIKEYS_ID_STRLEN + 8];
	const char *role;
	struct seclog_event ev = {
	    .kind = kind,
	    .src_ip = sv_cstr(addr),
	    .reason = SV("admin"),
	    .count = count,
	};
	int rc;

	api_actor(k, actor, sizeof(actor), &role);
	ev.user = sv_cstr(actor);
	rc = seclog_write(log, &ev);
	if (rc != 0)
		log_error(
		    "api", "msg=\"cannot write the security log\" err=%d", -rc);
}

/* Bans given through the API last at most ten years, as on the command
 * line. */
#define API_BAN_MAX_S (3650LL * 24 * 3600)

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
	rc = bans_list(k->api->db, (int64_t)time(NULL), api_ban_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "bans", rc);
	}
	return api_page_send(k, &pg, w.total);
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
	struct seclog *log = NULL;
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
	if (rc == 0 && (log = api_seclog_open(k, &ret)) == NULL)
		rc = -EIO;
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
	if (rc == 0)
		api_seclog_ban(k, log, SECLOG_BAN, addr, b.count);
	seclog_close(log);
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
	enum MHD_Result ret = MHD_NO;
	json_t *before = NULL;
	struct seclog *log;
	int rc;

	if (bans_addr_normalise(k->tail, addr) != 0)
		return api_bad_param(k->conn, "addr",
		    "an IPv4 or IPv6 address, or a network such as "
		    "192.0.2.0%2F24");
	log = api_seclog_open(k, &ret);
	if (log == NULL)
		return ret;
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
	if (rc == 0)
		api_seclog_ban(k, log, SECLOG_UNBAN, addr, 0);
	seclog_close(log);
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no ban for that address");
	if (rc != 0)
		return api_store_error(k->conn, "bans.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "addr", addr, "removed", 1), NULL, NULL);
}

const struct api_route_def api_routes_bans[] = {
    {"bans", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_BANS_READ,
        {"limit", "offset"}, api_bans},
    {"bans", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_BANS_WRITE, {NULL},
        api_ban_add},
    {"bans/", MHD_HTTP_METHOD_DELETE, API_TAIL_ANY, RBAC_BANS_WRITE, {NULL},
        api_ban_remove},
    {.path = NULL},
};
