/* The administration API: live supervision (R-OPS-1, R-ADMIN-3) and the
 * security events (R-ADMIN-4).
 *
 * GET /api/v1/calls lists the calls in progress and DELETE
 * /api/v1/calls/ID ends one; GET /api/v1/status is the console's
 * dashboard: counts, trunk states, today's spend against the ceilings,
 * the anti-fraud blocks in force and the latest alerts. Calls, trunks
 * and spend come from the snapshot the signalling loop publishes about
 * once a second (core/live.h): a request reads it without ever touching
 * the loop's state or waiting on the loop. A hang-up is posted to the
 * loop, which ends the call as a BYE from the caller would; the request
 * waits for the outcome API_HANGUP_WAIT_MS at most, and answers 202
 * when the loop has not answered by then.
 *
 * GET /api/v1/security/events reads the security log
 * (DATA/log/security.log, core/seclog.h), newest first. That file is
 * the one complete record: the guard (authentication failures, bans,
 * throttling, scanners, accounts under attack), the access lists, the
 * rights checks, the anti-fraud engine, and the bans made with the
 * command line or this API all write to it, while the audit log keeps
 * only administrative changes and persisted bans. Only the last
 * API_SECLOG_TAIL bytes are read, so a large log costs a bounded read;
 * the answer says "partial" when older lines were left out, and rotated
 * files are not read. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/api_int.h"
#include "core/live.h"
#include "core/log.h"
#include "core/seclog.h"
#include "store/fraudcfg.h"

/* The longest a hang-up request waits for the loop. */
#define API_HANGUP_WAIT_MS 2000u
/* Bytes read from the end of the security log. */
#define API_SECLOG_TAIL (4u * 1024u * 1024u)
/* Alerts on the dashboard. */
#define API_ALERTS_MAX 10u
/* Blocks listed on the dashboard. */
#define API_BLOCKS_MAX 100u

static enum MHD_Result
api_no_live(struct api_call *k)
{
	return api_error(k->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
	    "live supervision is not available yet");
}

static json_t *
api_ms_or_null(int64_t ms)
{
	return ms != 0 ? json_integer((json_int_t)ms) : json_null();
}

static json_t *
api_text_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

static json_t *
api_live_call_json(const struct live_call *c)
{
	return json_pack("{s:s,s:o,s:s,s:s,s:o,s:s,s:I,s:o,s:s,s:o,s:s,s:b,"
	                 "s:o}",
	    "id", c->id, "caller_ext", api_text_or_null(c->caller_ext),
	    "caller_number", c->caller_number, "dialled", c->dialled, "callee",
	    api_text_or_null(c->callee), "state",
	    c->answered ? "answered" : "ringing", "start_ms",
	    (json_int_t)c->start_ms, "answer_ms", api_ms_or_null(c->answer_ms),
	    "origin", c->outside ? "trunk" : "extension", "trunk",
	    api_text_or_null(c->trunk), "transport", c->transport,
	    "media_encrypted", c->media_encrypted, "cost_micro",
	    c->rated ? json_integer((json_int_t)c->cost) : json_null());
}

/* A user key sees only the calls its extension takes part in. */
static bool
api_call_visible(const struct api_call *k, const struct live_call *c)
{
	if (k->access != RBAC_SELF)
		return true;
	return strcmp(c->caller_ext, k->key.ext) == 0 ||
	       strcmp(c->callee, k->key.ext) == 0;
}

/* GET /api/v1/calls: the calls in progress, newest first. */
static enum MHD_Result
api_calls(struct api_call *k)
{
	const struct live_snapshot *s;
	struct api_page pg;
	enum MHD_Result ret;
	uint64_t total = 0;
	json_t *body;
	bool done;

	if (k->api->live == NULL)
		return api_no_live(k);
	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	s = live_snapshot_get(k->api->live);
	for (size_t i = 0; s != NULL && i < s->ncalls && pg.err == 0; i++) {
		const struct live_call *c = &s->calls[i];

		if (!api_call_visible(k, c))
			continue;
		total++;
		if (json_array_size(pg.items) < pg.limit)
			(void)api_page_add(&pg, api_live_call_json(c));
	}
	if (pg.err != 0) {
		live_snapshot_put(k->api->live, s);
		json_decref(pg.items);
		return api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "internal error");
	}
	body = json_pack("{s:o,s:I,s:I,s:I,s:o}", "items", pg.items, "limit",
	    (json_int_t)pg.limit, "offset", (json_int_t)pg.offset, "total",
	    (json_int_t)total, "as_of_ms",
	    api_ms_or_null(s != NULL ? s->taken_ms : 0));
	live_snapshot_put(k->api->live, s);
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* Call identifiers are short lower-case letters and digits. */
static bool
api_call_id_valid(struct sv id)
{
	if (id.len == 0 || id.len > LIVE_ID_MAX)
		return false;
	for (size_t i = 0; i < id.len; i++) {
		char c = id.p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

/* What the audit log keeps of a call: its parties, never a secret. */
static json_t *
api_call_audit_json(const struct live_call *c)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "caller",
	    c->caller_ext[0] != '\0' ? c->caller_ext : c->caller_number,
	    "dialled", c->dialled, "callee", c->callee, "state",
	    c->answered ? "answered" : "ringing", "trunk", c->trunk, "origin",
	    c->outside ? "trunk" : "extension");
}

/* The call 'id' in the latest snapshot, copied into *out. */
static bool
api_call_find(struct api *a, struct sv id, struct live_call *out)
{
	const struct live_snapshot *s = live_snapshot_get(a->live);
	bool found = false;

	for (size_t i = 0; s != NULL && i < s->ncalls && !found; i++) {
		if (sv_eq(sv_cstr(s->calls[i].id), id)) {
			*out = s->calls[i];
			found = true;
		}
	}
	live_snapshot_put(a->live, s);
	return found;
}

/* DELETE /api/v1/calls/ID: ends a call in progress. */
static enum MHD_Result
api_call_hangup(struct api_call *k)
{
	char id[LIVE_ID_MAX + 1];
	struct live_call c;
	uint64_t seq;
	int rc, result = 0;
	bool ended;

	if (k->api->live == NULL)
		return api_no_live(k);
	if (!api_call_id_valid(k->tail))
		return api_bad_param(k->conn, "id",
		    "a call identifier (1-32 lower-case letters and digits)");
	if (!api_call_find(k->api, k->tail, &c))
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no call in progress with that id");
	snprintf(id, sizeof(id), "%.*s", (int)k->tail.len, k->tail.p);
	rc = live_hangup_post(k->api->live, k->tail, &seq);
	if (rc == -EAGAIN)
		return api_error_h(k->conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "busy", "too many hang-ups pending", "Retry-After", "1");
	if (rc != 0)
		return api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "internal error");
	rc = live_hangup_wait(k->api->live, seq, API_HANGUP_WAIT_MS, &result);
	if (rc == 0 && result == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no call in progress with that id");
	ended = rc == 0 && result == 0;
	/* The call is ended (or its end is under way): the audit entry
	 * records who asked, whatever the loop's pace. */
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = api_audit_change(k, "calls.hangup", id,
		    api_call_audit_json(&c),
		    json_pack("{s:s,s:b}", "reason", "ended by admin", "ended",
		        ended));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		log_error("api", "msg=\"hang-up not audited\" call=%s err=%d",
		    id, -rc);
	return api_send(k->conn, ended ? MHD_HTTP_OK : MHD_HTTP_ACCEPTED,
	    json_pack("{s:s,s:b,s:o}", "id", id, "ended", ended, "call",
	        api_live_call_json(&c)),
	    NULL, NULL);
}

/* ---- the security log ---- */

/* "2024-05-01T12:00:00.123Z" (as core/seclog.h writes it) in ms since
 * the epoch; -1 when it is not that form. */
static int64_t
api_rfc3339_ms(const char *t, size_t len)
{
	static const int widths[] = {4, 2, 2, 2, 2, 2, 3};
	static const char seps[] = "--T::.Z";
	int v[7];
	size_t at = 0;
	struct tm tm;
	time_t secs;

	for (int f = 0; f < 7; f++) {
		v[f] = 0;
		for (int d = 0; d < widths[f]; d++, at++) {
			if (at >= len || t[at] < '0' || t[at] > '9')
				return -1;
			v[f] = v[f] * 10 + (t[at] - '0');
		}
		if (at >= len || t[at++] != seps[f])
			return -1;
	}
	if (at != len)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	secs = timegm(&tm);
	if (secs == (time_t)-1)
		return -1;
	return (int64_t)secs * 1000 + v[6];
}

/* The end of the security log: *out (freed by the caller) holds whole
 * lines only; *partial says older lines were left out. A log that does
 * not exist yet is empty. */
static int
api_seclog_tail(struct api *a, char **out, size_t *len, bool *partial)
{
	struct stat st;
	size_t want, got = 0;
	off_t from;
	char *b;
	int fd, rc;

	*out = NULL;
	*len = 0;
	*partial = false;
	rc = api_seclog_read_open(a, false, &fd, &st);
	if (rc != 0)
		return rc == -ENOENT ? 0 : rc;
	want = (uint64_t)st.st_size > API_SECLOG_TAIL ? API_SECLOG_TAIL
	                                              : (size_t)st.st_size;
	from = st.st_size - (off_t)want;
	b = malloc(want + 1);
	if (b == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (got < want) {
		ssize_t r = pread(fd, b + got, want - got, from + (off_t)got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	b[got] = '\0';
	if (from > 0) {
		/* The first line is cut: start after it. */
		char *nl = memchr(b, '\n', got);
		size_t skip = nl != NULL ? (size_t)(nl - b) + 1 : got;

		memmove(b, b + skip, got - skip + 1);
		got -= skip;
		*partial = true;
	}
	*out = b;
	*len = got;
	return 0;
}

/* Filters of a walk through the log. */
struct api_sec_filter {
	const char *kind; /* NULL: any */
	bool alerts_only; /* the kinds a person should see */
	int64_t since_ms; /* 0: any */
};

static bool
api_sec_alert_kind(const char *kind)
{
	static const char *const kinds[] = {"ban", "scanner",
	    "user_under_attack", "fraud", "destination_denied", "acl_refused"};

	for (size_t i = 0; i < RP_ARRAY_LEN(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

/* The event of one line when it passes 'f', with its time_ms; NULL
 * otherwise (a line that is not an event is skipped). */
static json_t *
api_sec_event(const char *line, size_t len, const struct api_sec_filter *f)
{
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *t, *ev;
	int64_t ms;

	if (o == NULL)
		return NULL;
	t = json_object_get(o, "time");
	ev = json_object_get(o, "event");
	if (!json_is_object(o) || !json_is_string(t) || !json_is_string(ev))
		goto skip;
	ms = api_rfc3339_ms(json_string_value(t), json_string_length(t));
	if (ms < 0 || ms < f->since_ms)
		goto skip;
	if (f->kind != NULL && strcmp(json_string_value(ev), f->kind) != 0)
		goto skip;
	if (f->alerts_only && !api_sec_alert_kind(json_string_value(ev)))
		goto skip;
	if (json_object_set_new(o, "time_ms", json_integer((json_int_t)ms)) !=
	    0)
		goto skip;
	return o;
skip:
	json_decref(o);
	return NULL;
}

/* Walks the log newest first, giving the page its window; *total gets
 * the events that pass. */
static int
api_sec_walk(struct api *a, const struct api_sec_filter *f, struct api_page *pg,
    uint64_t *total, bool *partial)
{
	size_t len;
	char *b;
	int rc = api_seclog_tail(a, &b, &len, partial);

	*total = 0;
	if (rc != 0)
		return rc;
	while (len > 0 && pg->err == 0) {
		size_t end = len, start;
		json_t *o;

		if (b[end - 1] == '\n')
			end--;
		start = end;
		while (start > 0 && b[start - 1] != '\n')
			start--;
		o = end > start ? api_sec_event(b + start, end - start, f)
		                : NULL;
		len = start;
		if (o == NULL)
			continue;
		(*total)++;
		if (json_array_size(pg->items) < pg->limit)
			(void)api_page_add(pg, o);
		else
			json_decref(o);
	}
	free(b);
	return pg->err;
}

/* GET /api/v1/security/events?kind=&since=: newest first. */
static enum MHD_Result
api_security_events(struct api_call *k)
{
	struct api_sec_filter f = {0};
	const char *kind = api_param(k, "kind"), *since = api_param(k, "since");
	struct api_page pg;
	enum MHD_Result ret;
	uint64_t v, total;
	bool done, partial;
	json_t *body;
	int rc;

	if (kind != NULL) {
		bool known = false;

		for (int i = 0; seclog_kind_name((enum seclog_kind)i) != NULL;
		     i++)
			known = known ||
			        strcmp(kind,
			            seclog_kind_name((enum seclog_kind)i)) == 0;
		if (!known)
			return api_bad_param(k->conn, "kind",
			    "auth_failure, ban, unban, throttle, acl_refused, "
			    "scanner, user_under_attack, destination_denied or "
			    "fraud");
		f.kind = kind;
	}
	if (since != NULL) {
		if (sv_to_u64(sv_cstr(since), API_TIME_MS_MAX, &v) != 0)
			return api_bad_param(
			    k->conn, "since", "milliseconds since the epoch");
		f.since_ms = (int64_t)v;
	}
	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = api_sec_walk(k->api, &f, &pg, &total, &partial);
	if (rc != 0) {
		json_decref(pg.items);
		log_error(
		    "api", "msg=\"cannot read the security log\" err=%d", -rc);
		return api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "cannot read the security log");
	}
	body = json_pack("{s:o,s:I,s:I,s:I,s:b}", "items", pg.items, "limit",
	    (json_int_t)pg.limit, "offset", (json_int_t)pg.offset, "total",
	    (json_int_t)total, "partial", partial);
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* ---- the dashboard ---- */

static json_t *
api_spend_json(const struct live_spend *s)
{
	json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:b}", "hour_micro",
	    (json_int_t)s->hour, "day_micro", (json_int_t)s->day,
	    "ceiling_hour_micro", (json_int_t)s->ceiling_hour,
	    "ceiling_day_micro", (json_int_t)s->ceiling_day, "active_calls",
	    (json_int_t)s->active_calls, "blocked", s->blocked);

	if (o != NULL && !s->global &&
	    json_object_set_new(o, "ext", json_string(s->name)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* Counts, trunks and spend from the snapshot into 'o'. */
static int
api_status_live(const struct live_snapshot *s, json_t *o)
{
	json_t *trunks = json_array(), *users = json_array();
	json_t *global = json_null();
	size_t answered = 0;
	int rc = trunks != NULL && users != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < s->ntrunks; i++) {
		const struct live_trunk *t = &s->trunks[i];

		if (json_array_append_new(trunks,
		        json_pack("{s:s,s:s,s:I,s:s?,s:o}", "name", t->name,
		            "state", t->state, "since_ms",
		            (json_int_t)t->since_ms, "last_error",
		            t->last_error[0] != '\0' ? t->last_error : NULL,
		            "last_error_ms",
		            t->last_error[0] != '\0'
		                ? json_integer((json_int_t)t->last_error_ms)
		                : json_null())) != 0)
			rc = -ENOMEM;
	}
	for (size_t i = 0; rc == 0 && i < s->nspend; i++) {
		if (s->spend[i].global) {
			json_decref(global);
			global = api_spend_json(&s->spend[i]);
			rc = global != NULL ? 0 : -ENOMEM;
		} else if (json_array_append_new(
		               users, api_spend_json(&s->spend[i])) != 0) {
			rc = -ENOMEM;
		}
	}
	if (rc != 0) {
		json_decref(trunks);
		json_decref(users);
		json_decref(global);
		return rc;
	}
	for (size_t i = 0; i < s->ncalls; i++)
		answered += s->calls[i].answered ? 1u : 0u;
	/* Each set takes its value, even when it fails. */
	rc |= json_object_set_new(
	    o, "as_of_ms", json_integer((json_int_t)s->taken_ms));
	rc |= json_object_set_new(
	    o, "registrations", json_integer((json_int_t)s->registrations));
	rc |= json_object_set_new(o, "calls",
	    json_pack("{s:I,s:I}", "in_progress", (json_int_t)s->ncalls,
	        "answered", (json_int_t)answered));
	rc |= json_object_set_new(o, "trunks", trunks);
	rc |= json_object_set_new(o, "spend",
	    json_pack("{s:o,s:o}", "global", global, "users", users));
	return rc == 0 ? 0 : -ENOMEM;
}

static json_t *
api_status_block_json(const void *row)
{
	const struct fraudcfg_block *b = row;

	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "scope",
	    fraudcfg_scope_name(b->b.scope), "name", b->b.name, "reason",
	    fraudcfg_reason_name(b->b.reason), "text", b->reason, "since",
	    (json_int_t)b->b.since_s, "until", (json_int_t)b->b.until_s);
}

static int
api_status_block_cb(void *arg, const struct fraudcfg_block *b)
{
	struct api_walk *w = arg;

	if (b->lifted_at != 0 ||
	    (b->b.until_s != 0 && b->b.until_s <= w->now_s))
		return 0;
	return api_walk_add(w, api_status_block_json, b);
}

/* GET /api/v1/status: the dashboard. */
static enum MHD_Result
api_status(struct api_call *k)
{
	struct api_page blocks = {API_BLOCKS_MAX, 0, 0, NULL, 0};
	struct api_page alerts = {API_ALERTS_MAX, 0, 0, NULL, 0};
	struct api_walk w = {&blocks, 0, SV_NULL, (uint64_t)time(NULL)};
	struct api_sec_filter f = {.alerts_only = true};
	const struct live_snapshot *s;
	uint64_t total;
	bool partial;
	json_t *o;
	int rc;

	if (k->api->live == NULL)
		return api_no_live(k);
	s = live_snapshot_get(k->api->live);
	if (s == NULL)
		return api_no_live(k);
	o = json_pack("{s:I}", "time_ms", (json_int_t)time(NULL) * 1000);
	blocks.items = json_array();
	alerts.items = json_array();
	rc = o != NULL && blocks.items != NULL && alerts.items != NULL
	         ? api_status_live(s, o)
	         : -ENOMEM;
	live_snapshot_put(k->api->live, s);
	if (rc == 0) {
		rc = fraudcfg_block_list(k->api->db, api_status_block_cb, &w);
		if (rc == 1)
			rc = 0;
	}
	if (rc == 0)
		rc = api_sec_walk(k->api, &f, &alerts, &total, &partial);
	if (rc == 0) {
		/* Each set takes its value, even when it fails. */
		rc = json_object_set_new(o, "blocks", blocks.items) |
		     json_object_set_new(o, "alerts", alerts.items);
		blocks.items = alerts.items = NULL;
		rc = rc == 0 ? 0 : -ENOMEM;
	}
	if (rc != 0) {
		json_decref(o);
		json_decref(blocks.items);
		json_decref(alerts.items);
		return api_store_error(k->conn, "status", rc);
	}
	return api_send(k->conn, MHD_HTTP_OK, o, NULL, NULL);
}

const struct api_route_def api_routes_live[] = {
    {"calls", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_CALLS_READ,
        {"limit", "offset"}, api_calls},
    {"calls/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_CALLS_HANGUP,
        {NULL}, api_call_hangup},
    {"status", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_STATUS_READ, {NULL},
        api_status},
    {"security/events", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_SECURITY_READ,
        {"kind", "since", "limit", "offset"}, api_security_events},
    {.path = NULL},
};
