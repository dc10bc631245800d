/* The administration API: outbound routes and inbound numbers (DIDs)
 * (R-ADMIN-2, R-TRUNK-2, R-TRUNK-4). The same store checks and audit
 * entries as `rempart route ...` and `rempart did ...`. The store has
 * no update for either: a change removes the row and adds it back in
 * the change's transaction, as a configuration import does. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/db.h"
#include "store/trunks.h"
#include "store/users.h"

/* ---- Routes ---- */

static const struct {
	const char *field, *rule;
} api_route_rules[] = {
    {"name", "1-32 lower-case letters, digits, '_' or '-'"},
    {"pattern",
        "digits, a leading '+', X (any digit), N (2-9), Z (1-9), classes "
        "such as [1-5], and a final '.' for one or more digits; up to 64 "
        "characters"},
    {"priority", "0-1000000, lower first"},
    {"strip", "0-20 leading characters"},
    {"prepend", "up to 20 digits or '+'"},
    {"trunks", "1-8 distinct trunk names, as a list or comma-separated, in the "
               "order tried"},
};

static enum MHD_Result
api_route_bad(struct MHD_Connection *c, const char *field)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(api_route_rules); i++)
		if (strcmp(api_route_rules[i].field, field) == 0)
			return api_bad_field(c, field, api_route_rules[i].rule);
	return api_bad_field(c, field, "see the route's rules");
}

/* The stored form of a trunk list: "a,b,c". */
static void
api_route_trunks_text(const struct route_info *r, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < r->n_trunks && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    i > 0 ? "," : "", r->trunks[i]);
}

static json_t *
api_route_json(const struct route_info *r)
{
	json_t *o, *list = json_array();

	for (unsigned i = 0; list != NULL && i < r->n_trunks; i++) {
		if (json_array_append_new(list, json_string(r->trunks[i])) !=
		    0) {
			json_decref(list);
			list = NULL;
		}
	}
	if (list == NULL)
		return NULL;
	o = json_pack("{s:s,s:s,s:I,s:I,s:s,s:o,s:b,s:I,s:I}", "name", r->name,
	    "pattern", r->pattern, "priority", (json_int_t)r->priority, "strip",
	    (json_int_t)r->strip, "prepend", r->prepend, "trunks", list,
	    "enabled", r->enabled, "created_at", (json_int_t)r->created_at,
	    "updated_at", (json_int_t)r->updated_at);
	return o;
}

/* What the audit log keeps of a route, as `rempart route` writes it. */
static json_t *
api_route_audit_json(const struct route_info *r)
{
	char trunks[ROUTES_TRUNKS_STRLEN];

	api_route_trunks_text(r, trunks, sizeof(trunks));
	return json_pack("{s:s,s:I,s:I,s:s,s:s,s:b}", "pattern", r->pattern,
	    "priority", (json_int_t)r->priority, "strip", (json_int_t)r->strip,
	    "prepend", r->prepend, "trunks", trunks, "enabled", r->enabled);
}

static json_t *
api_route_row(const void *row)
{
	return api_route_json(row);
}

static int
api_route_cb(void *arg, const struct route_info *r)
{
	return api_walk_add(arg, api_route_row, r);
}

/* GET /api/v1/routes: by priority, then name (the store's order). */
static enum MHD_Result
api_routes(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = routes_list(k->api->db, api_route_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "routes", rc);
	}
	return api_page_send(k, &pg, w.total);
}

static enum MHD_Result
api_route_not_found(struct MHD_Connection *c)
{
	return api_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such route");
}

/* GET /api/v1/routes/NAME. */
static enum MHD_Result
api_route(struct api_call *k)
{
	struct route_info r;
	int rc;

	if (!trunks_name_valid(k->tail))
		return api_bad_param(k->conn, "name", api_route_rules[0].rule);
	rc = routes_get(k->api->db, k->tail, &r);
	if (rc == -ENOENT)
		return api_route_not_found(k->conn);
	if (rc != 0)
		return api_store_error(k->conn, "route", rc);
	return api_send(k->conn, MHD_HTTP_OK, api_route_json(&r), NULL, NULL);
}

/* A route spec and the room its trunk list is joined into. */
struct api_route_change {
	struct route_spec s;
	char trunks[ROUTES_TRUNKS_STRLEN];
};

/* "trunks": a list of names or the command line's "a,b". Returns 0 or
 * -EINVAL; absent keeps ch->s.trunks. */
static int
api_route_trunks(json_t *o, struct api_route_change *ch)
{
	json_t *v = json_object_get(o, "trunks"), *item;
	size_t i, len = 0;
	struct sv name;

	if (v == NULL)
		return 0;
	if (json_is_string(v))
		return api_member_sv(o, "trunks", &ch->s.trunks) == 1 ? 0
		                                                      : -EINVAL;
	if (!json_is_array(v) || json_array_size(v) == 0 ||
	    json_array_size(v) > ROUTES_TRUNKS_MAX)
		return -EINVAL;
	json_array_foreach(v, i, item)
	{
		if (!json_is_string(item))
			return -EINVAL;
		name =
		    sv_make(json_string_value(item), json_string_length(item));
		if (!trunks_name_valid(name))
			return -EINVAL;
		len +=
		    (size_t)snprintf(ch->trunks + len, sizeof(ch->trunks) - len,
		        "%s%.*s", i > 0 ? "," : "", (int)name.len, name.p);
	}
	ch->s.trunks = sv_make(ch->trunks, len);
	return 0;
}

/* Overlays the members of 'o' on the spec. Returns NULL or the bad
 * member. */
static const char *
api_route_overlay(json_t *o, struct api_route_change *ch)
{
	struct route_spec *s = &ch->s;
	const char *bad = NULL;

	if (api_member_sv(o, "pattern", &s->pattern) < 0)
		return "pattern";
	if (api_member_u32(
	        o, "priority", 0, ROUTES_PRIORITY_MAX, &s->priority) < 0)
		return "priority";
	if (api_member_u32(o, "strip", 0, ROUTES_STRIP_MAX, &s->strip) < 0)
		return "strip";
	if (api_member_sv(o, "prepend", &s->prepend) < 0)
		return "prepend";
	if (api_route_trunks(o, ch) != 0)
		return "trunks";
	if (routes_spec_check(s, &bad) != 0)
		return bad != NULL ? bad : "name";
	return NULL;
}

/* Writes a new or changed route and its audit entry in one transaction;
 * *r gets the route as stored. Returns 0, -EEXIST, -ENOENT (a trunk
 * of the list, named in 'missing'; or no such route for a change:
 * 'missing' stays ""), -EINVAL with *field, or a store error. */
static int
api_route_store(struct api_call *k, const struct route_spec *s, bool add,
    struct route_info *r, const char **field, char missing[TRUNKS_NAME_MAX + 1])
{
	struct db *db = k->api->db;
	char name[ROUTES_NAME_MAX + 1];
	json_t *before = NULL, *after;
	int rc;

	snprintf(name, sizeof(name), "%.*s", (int)s->name.len, s->name.p);
	rc = db_tx_begin(db);
	if (rc != 0)
		return rc;
	if (!add) {
		rc = routes_get(db, s->name, r);
		if (rc == 0) {
			before = api_route_audit_json(r);
			rc = before != NULL ? 0 : -ENOMEM;
		}
		if (rc == 0)
			rc = routes_remove(db, s->name);
	}
	if (rc == 0)
		rc = routes_add(db, s, (int64_t)time(NULL), field, missing);
	if (rc == 0)
		rc = routes_get(db, s->name, r);
	if (rc == 0) {
		after = api_route_audit_json(r);
		if (after == NULL)
			rc = -ENOMEM;
		else
			rc =
			    api_audit_change(k, add ? "route.add" : "route.set",
			        name, before, after);
		before = NULL;
	}
	json_decref(before);
	return api_tx_end(k->api, rc);
}

static enum MHD_Result
api_route_write(
    struct api_call *k, const struct route_spec *s, bool add, json_t *o)
{
	char missing[TRUNKS_NAME_MAX + 1] = "", rule[96];
	const char *field = NULL;
	struct route_info r;
	int rc;

	rc = api_route_store(k, s, add, &r, &field, missing);
	json_decref(o);
	if (rc == -EEXIST)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "exists",
		    "that route already exists");
	if (rc == -ENOENT && missing[0] != '\0') {
		snprintf(rule, sizeof(rule), "no trunk %s", missing);
		return api_bad_field(k->conn, "trunks", rule);
	}
	if (rc == -ENOENT)
		return api_route_not_found(k->conn);
	if ((rc == -EINVAL || rc == -E2BIG) && field != NULL)
		return api_route_bad(k->conn, field);
	if (rc != 0)
		return api_store_error(k->conn, "routes.write", rc);
	api_reload(k->api);
	return api_send(k->conn, add ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    api_route_json(&r), NULL, NULL);
}

/* POST /api/v1/routes {name, pattern, trunks, priority?, strip?,
 * prepend?}: as `rempart route add`. */
static enum MHD_Result
api_route_add(struct api_call *k)
{
	static const char *const members[] = {
	    "name", "pattern", "trunks", "priority", "strip", "prepend", NULL};
	struct api_route_change ch = {
	    .s = {.priority = ROUTES_PRIORITY_DEFAULT, .prepend = SV("")},
	};
	enum MHD_Result ret = MHD_NO;
	const char *bad = NULL;
	json_t *o;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members)) {
		json_decref(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes name, pattern, trunks, "
		    "priority, strip and prepend");
	}
	if (api_member_sv(o, "name", &ch.s.name) != 1 ||
	    !trunks_name_valid(ch.s.name))
		bad = "name";
	else if (json_object_get(o, "pattern") == NULL)
		bad = "pattern";
	else if (json_object_get(o, "trunks") == NULL)
		bad = "trunks";
	else
		bad = api_route_overlay(o, &ch);
	if (bad != NULL) {
		json_decref(o);
		return api_route_bad(k->conn, bad);
	}
	return api_route_write(k, &ch.s, true, o);
}

/* PATCH /api/v1/routes/NAME {pattern?, trunks?, priority?, strip?,
 * prepend?}. */
static enum MHD_Result
api_route_patch(struct api_call *k)
{
	static const char *const members[] = {
	    "pattern", "trunks", "priority", "strip", "prepend", NULL};
	struct api_route_change ch;
	enum MHD_Result ret = MHD_NO;
	struct route_info old;
	const char *bad;
	json_t *o;
	int rc;

	if (!trunks_name_valid(k->tail))
		return api_bad_param(k->conn, "name", api_route_rules[0].rule);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members) || json_object_size(o) == 0) {
		json_decref(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "the body takes one or more of pattern, trunks, priority, "
		    "strip and prepend");
	}
	rc = routes_get(k->api->db, k->tail, &old);
	if (rc != 0) {
		json_decref(o);
		return rc == -ENOENT ? api_route_not_found(k->conn)
		                     : api_store_error(k->conn, "route", rc);
	}
	/* A change starts from the stored route. */
	memset(&ch, 0, sizeof(ch));
	api_route_trunks_text(&old, ch.trunks, sizeof(ch.trunks));
	ch.s = (struct route_spec){
	    .name = k->tail,
	    .pattern = sv_cstr(old.pattern),
	    .priority = old.priority,
	    .strip = old.strip,
	    .prepend = sv_cstr(old.prepend),
	    .trunks = sv_cstr(ch.trunks),
	};
	bad = api_route_overlay(o, &ch);
	if (bad != NULL) {
		json_decref(o);
		return api_route_bad(k->conn, bad);
	}
	return api_route_write(k, &ch.s, false, o);
}

/* DELETE /api/v1/routes/NAME: as `rempart route remove`. */
static enum MHD_Result
api_route_remove(struct api_call *k)
{
	char name[ROUTES_NAME_MAX + 1];
	json_t *before = NULL;
	struct route_info r;
	int rc;

	if (!trunks_name_valid(k->tail))
		return api_bad_param(k->conn, "name", api_route_rules[0].rule);
	snprintf(name, sizeof(name), "%.*s", (int)k->tail.len, k->tail.p);
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = routes_get(k->api->db, k->tail, &r);
		if (rc == 0) {
			before = api_route_audit_json(&r);
			rc = before != NULL ? 0 : -ENOMEM;
		}
		if (rc == 0)
			rc = routes_remove(k->api->db, k->tail);
		if (rc == 0) {
			rc = api_audit_change(
			    k, "route.remove", name, before, NULL);
			before = NULL;
		}
		rc = api_tx_end(k->api, rc);
	}
	json_decref(before);
	if (rc == -ENOENT)
		return api_route_not_found(k->conn);
	if (rc != 0)
		return api_store_error(k->conn, "routes.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "name", name, "removed", 1), NULL, NULL);
}

/* ---- DIDs ---- */

static const struct {
	const char *field, *rule;
} api_did_rules[] = {
    {"number", "an E.164 number such as +33123456789"},
    {"ext", "an extension: 1-32 letters, digits, '.', '_' or '-'"},
    {"alternate", "another extension, an E.164 number such as +33123456789, or "
                  "none"},
    {"ring_timeout", "5-300 seconds"},
};

static enum MHD_Result
api_did_bad(struct MHD_Connection *c, const char *field)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(api_did_rules); i++)
		if (strcmp(api_did_rules[i].field, field) == 0)
			return api_bad_field(c, field, api_did_rules[i].rule);
	return api_bad_field(c, field, "see the DID's rules");
}

static json_t *
api_did_json(const struct did_info *d)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:b,s:I,s:I}", "number", d->number,
	    "ext", d->ext, "alternate", d->alternate, "ring_timeout",
	    (json_int_t)d->ring_timeout_s, "enabled", d->enabled, "created_at",
	    (json_int_t)d->created_at, "updated_at", (json_int_t)d->updated_at);
}

/* What the audit log keeps of a DID, as `rempart did` writes it. */
static json_t *
api_did_audit_json(const struct did_info *d)
{
	return json_pack("{s:s,s:s,s:I,s:b}", "to", d->ext, "alternate",
	    d->alternate, "ring_timeout", (json_int_t)d->ring_timeout_s,
	    "enabled", d->enabled);
}

static json_t *
api_did_row(const void *row)
{
	return api_did_json(row);
}

static int
api_did_cb(void *arg, const struct did_info *d)
{
	return api_walk_add(arg, api_did_row, d);
}

/* GET /api/v1/dids: by number. */
static enum MHD_Result
api_dids(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = dids_list(k->api->db, api_did_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "dids", rc);
	}
	return api_page_send(k, &pg, w.total);
}

static enum MHD_Result
api_did_not_found(struct MHD_Connection *c)
{
	return api_error(c, MHD_HTTP_NOT_FOUND, "not_found", "no such DID");
}

/* GET /api/v1/dids/+E164. */
static enum MHD_Result
api_did(struct api_call *k)
{
	struct did_info d;
	int rc;

	if (!users_e164_valid(k->tail))
		return api_bad_param(k->conn, "number", api_did_rules[0].rule);
	rc = dids_get(k->api->db, k->tail, &d);
	if (rc == -ENOENT)
		return api_did_not_found(k->conn);
	if (rc != 0)
		return api_store_error(k->conn, "did", rc);
	return api_send(k->conn, MHD_HTTP_OK, api_did_json(&d), NULL, NULL);
}

struct api_did_spec {
	struct sv number, ext, alternate;
	uint32_t ring_timeout_s;
};

/* Overlays the members of 'o' with the command line's checks. Returns
 * NULL or the bad member. */
static const char *
api_did_overlay(json_t *o, struct api_did_spec *s)
{
	int r;

	r = api_member_sv(o, "ext", &s->ext);
	if (r < 0 || !users_ext_valid(s->ext))
		return "ext";
	r = api_member_sv(o, "alternate", &s->alternate);
	if (r < 0)
		return "alternate";
	if (r == 1 && sv_eq(s->alternate, SV("none")))
		s->alternate = SV("");
	if (!users_alternate_valid(s->alternate) || sv_eq(s->alternate, s->ext))
		return "alternate";
	if (api_member_u32(o, "ring_timeout", DIDS_RING_TIMEOUT_MIN,
	        DIDS_RING_TIMEOUT_MAX, &s->ring_timeout_s) < 0)
		return "ring_timeout";
	return NULL;
}

/* Writes a new or changed DID and its audit entry in one transaction;
 * *d gets the DID as stored. Returns 0, -EEXIST, -ENOENT (no such DID
 * for a change, *field NULL; the extension, *field "ext"), -ENXIO (the
 * alternate extension), -EINVAL with *field, or a store error. */
static int
api_did_store(struct api_call *k, const struct api_did_spec *s, bool add,
    struct did_info *d, const char **field)
{
	struct db *db = k->api->db;
	char number[USERS_E164_STRLEN];
	json_t *before = NULL, *after;
	int rc;

	snprintf(
	    number, sizeof(number), "%.*s", (int)s->number.len, s->number.p);
	rc = db_tx_begin(db);
	if (rc != 0)
		return rc;
	if (!add) {
		rc = dids_get(db, s->number, d);
		if (rc == 0) {
			before = api_did_audit_json(d);
			rc = before != NULL ? 0 : -ENOMEM;
		}
		if (rc == 0)
			rc = dids_remove(db, s->number);
	}
	if (rc == 0) {
		rc = dids_add(db, s->number, s->ext, s->alternate,
		    s->ring_timeout_s, (int64_t)time(NULL), field);
		if (rc == -ENOENT)
			*field = "ext";
	}
	if (rc == 0)
		rc = dids_get(db, s->number, d);
	if (rc == 0) {
		after = api_did_audit_json(d);
		if (after == NULL)
			rc = -ENOMEM;
		else
			rc = api_audit_change(k, add ? "did.add" : "did.set",
			    number, before, after);
		before = NULL;
	}
	json_decref(before);
	return api_tx_end(k->api, rc);
}

static enum MHD_Result
api_did_write(
    struct api_call *k, const struct api_did_spec *s, bool add, json_t *o)
{
	const char *field = NULL;
	struct did_info d;
	int rc;

	rc = api_did_store(k, s, add, &d, &field);
	json_decref(o);
	if (rc == -EEXIST)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "exists",
		    "that DID already exists");
	if (rc == -ENOENT && field != NULL)
		return api_bad_field(k->conn, "ext", "no such extension");
	if (rc == -ENOENT)
		return api_did_not_found(k->conn);
	if (rc == -ENXIO)
		return api_bad_field(k->conn, "alternate", "no such extension");
	if (rc == -EINVAL && field != NULL)
		return api_did_bad(k->conn, field);
	if (rc != 0)
		return api_store_error(k->conn, "dids.write", rc);
	api_reload(k->api);
	return api_send(k->conn, add ? MHD_HTTP_CREATED : MHD_HTTP_OK,
	    api_did_json(&d), NULL, NULL);
}

/* POST /api/v1/dids {number, ext, alternate?, ring_timeout?}: as
 * `rempart did add`. */
static enum MHD_Result
api_did_add(struct api_call *k)
{
	static const char *const members[] = {
	    "number", "ext", "alternate", "ring_timeout", NULL};
	struct api_did_spec s = {
	    .alternate = SV(""),
	    .ring_timeout_s = DIDS_RING_TIMEOUT_DEFAULT,
	};
	enum MHD_Result ret = MHD_NO;
	const char *bad;
	json_t *o;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members)) {
		json_decref(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes number, ext, alternate "
		    "and ring_timeout");
	}
	if (api_member_sv(o, "number", &s.number) != 1 ||
	    !users_e164_valid(s.number))
		bad = "number";
	else if (json_object_get(o, "ext") == NULL)
		bad = "ext";
	else
		bad = api_did_overlay(o, &s);
	if (bad != NULL) {
		json_decref(o);
		return api_did_bad(k->conn, bad);
	}
	return api_did_write(k, &s, true, o);
}

/* PATCH /api/v1/dids/+E164 {ext?, alternate?, ring_timeout?}. */
static enum MHD_Result
api_did_patch(struct api_call *k)
{
	static const char *const members[] = {
	    "ext", "alternate", "ring_timeout", NULL};
	enum MHD_Result ret = MHD_NO;
	struct api_did_spec s;
	struct did_info old;
	const char *bad;
	json_t *o;
	int rc;

	if (!users_e164_valid(k->tail))
		return api_bad_param(k->conn, "number", api_did_rules[0].rule);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members) || json_object_size(o) == 0) {
		json_decref(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "the body takes one or more of ext, alternate and "
		    "ring_timeout");
	}
	rc = dids_get(k->api->db, k->tail, &old);
	if (rc != 0) {
		json_decref(o);
		return rc == -ENOENT ? api_did_not_found(k->conn)
		                     : api_store_error(k->conn, "did", rc);
	}
	/* A change starts from the stored DID. */
	s = (struct api_did_spec){
	    .number = k->tail,
	    .ext = sv_cstr(old.ext),
	    .alternate = sv_cstr(old.alternate),
	    .ring_timeout_s = old.ring_timeout_s,
	};
	bad = api_did_overlay(o, &s);
	if (bad != NULL) {
		json_decref(o);
		return api_did_bad(k->conn, bad);
	}
	return api_did_write(k, &s, false, o);
}

/* DELETE /api/v1/dids/+E164: as `rempart did remove`. */
static enum MHD_Result
api_did_remove(struct api_call *k)
{
	char number[USERS_E164_STRLEN];
	json_t *before = NULL;
	struct did_info d;
	int rc;

	if (!users_e164_valid(k->tail))
		return api_bad_param(k->conn, "number", api_did_rules[0].rule);
	snprintf(number, sizeof(number), "%.*s", (int)k->tail.len, k->tail.p);
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = dids_get(k->api->db, k->tail, &d);
		if (rc == 0) {
			before = api_did_audit_json(&d);
			rc = before != NULL ? 0 : -ENOMEM;
		}
		if (rc == 0)
			rc = dids_remove(k->api->db, k->tail);
		if (rc == 0) {
			rc = api_audit_change(
			    k, "did.remove", number, before, NULL);
			before = NULL;
		}
		rc = api_tx_end(k->api, rc);
	}
	json_decref(before);
	if (rc == -ENOENT)
		return api_did_not_found(k->conn);
	if (rc != 0)
		return api_store_error(k->conn, "dids.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "number", number, "removed", 1), NULL, NULL);
}

/* Inbound numbers are inbound routing: the routes' access classes. */
const struct api_route_def api_routes_routes[] = {
    {"routes", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_ROUTES_READ,
        {"limit", "offset"}, api_routes},
    {"routes", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_ROUTES_WRITE, {NULL},
        api_route_add},
    {"routes/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_ROUTES_READ, {NULL},
        api_route},
    {"routes/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_ROUTES_WRITE,
        {NULL}, api_route_patch},
    {"routes/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_ROUTES_WRITE,
        {NULL}, api_route_remove},
    {"dids", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_ROUTES_READ,
        {"limit", "offset"}, api_dids},
    {"dids", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_ROUTES_WRITE, {NULL},
        api_did_add},
    {"dids/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_ROUTES_READ, {NULL},
        api_did},
    {"dids/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_ROUTES_WRITE,
        {NULL}, api_did_patch},
    {"dids/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_ROUTES_WRITE,
        {NULL}, api_did_remove},
    {.path = NULL},
};
