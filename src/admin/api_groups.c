/* The administration API: groups of users, the rights profile and
 * tenant they give their members, and a user's group (R-FRAUD-1,
 * R-FRAUD-2, R-FRAUD-3). The same store functions, checks and audit
 * entries as `rempart group` and `rempart user set --group`. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/users.h"

#define API_GROUP_RULE "1-32 lower-case letters, digits, '_' or '-'"

static json_t *
api_str_or_null(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

/* A group as the API shows it: null for the default profile and for no
 * tenant, as PATCH takes them. */
static json_t *
api_group_json(const void *row)
{
	const struct group_info *g = row;

	return json_pack("{s:s,s:o,s:o,s:s,s:I,s:I,s:I}", "name", g->name,
	    "profile", api_str_or_null(g->profile), "tenant",
	    api_str_or_null(g->tenant), "description", g->description,
	    "members", (json_int_t)g->members, "created_at",
	    (json_int_t)g->created_at, "updated_at", (json_int_t)g->updated_at);
}

/* The audit shape of `rempart group`: the profile's name or "default",
 * the tenant ("" for none) and the description. */
static json_t *
api_group_audit(const struct group_info *g)
{
	return json_pack("{s:s,s:s,s:s}", "profile",
	    g->profile[0] != '\0' ? g->profile : "default", "tenant", g->tenant,
	    "description", g->description);
}

static int
api_group_cb(void *arg, const struct group_info *g)
{
	return api_walk_add(arg, api_group_json, g);
}

/* GET /api/v1/groups: every group by name, with its member count. */
static enum MHD_Result
api_groups(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = groups_list(k->api->db, api_group_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "groups", rc);
	}
	return api_page_send(k, &pg, w.total);
}

static enum MHD_Result
api_no_group(struct api_call *k)
{
	return api_error(
	    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such group");
}

static int
api_member_cb(void *arg, const struct user_info *u)
{
	json_t *m = json_pack("{s:s,s:s,s:o}", "ext", u->ext, "display_name",
	    u->display_name, "profile", api_str_or_null(u->profile));

	return m != NULL && json_array_append_new(arg, m) == 0 ? 0 : -ENOMEM;
}

/* GET /api/v1/groups/NAME: the group and its members by extension,
 * each with its own profile (null: the group's applies). */
static enum MHD_Result
api_group(struct api_call *k)
{
	struct group_info g;
	json_t *o, *users;
	int rc;

	if (!groups_name_valid(k->tail))
		return api_bad_param(k->conn, "name", API_GROUP_RULE);
	users = json_array();
	if (users == NULL)
		return api_store_error(k->conn, "group", -ENOMEM);
	rc = db_read_begin(k->api->db);
	if (rc == 0) {
		rc = groups_get(k->api->db, k->tail, &g);
		if (rc == 0)
			rc = groups_members(
			    k->api->db, k->tail, api_member_cb, users);
		db_read_end(k->api->db);
	}
	if (rc != 0) {
		json_decref(users);
		if (rc == -ENOENT)
			return api_no_group(k);
		return api_store_error(k->conn, "group", rc);
	}
	o = api_group_json(&g);
	if (o != NULL && json_object_set_new(o, "users", users) != 0) {
		json_decref(o);
		o = NULL;
	} else if (o == NULL) {
		json_decref(users);
	}
	return api_send(k->conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* A name member that may be null ("" then): 1 when given, 0 when
 * absent, -EINVAL when neither null nor a valid name. */
static int
api_name_or_null(json_t *o, const char *name, bool (*valid)(struct sv),
    char *out, size_t size)
{
	json_t *v = json_object_get(o, name);
	struct sv s;

	if (v == NULL)
		return 0;
	if (json_is_null(v)) {
		out[0] = '\0';
		return 1;
	}
	s = api_json_sv(o, name);
	if (s.p == NULL || !valid(s) || s.len >= size)
		return -EINVAL;
	memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return 1;
}

/* Lays the members of a POST or PATCH body over 'g'. Returns MHD_YES
 * with *ok true when every member is valid, else the 400 naming the
 * first bad one. */
static enum MHD_Result
api_group_apply(struct api_call *k, json_t *o, struct group_info *g, bool *ok)
{
	struct sv d;

	*ok = false;
	if (api_name_or_null(o, "profile", users_profile_valid, g->profile,
	        sizeof(g->profile)) < 0)
		return api_bad_field(k->conn, "profile",
		    "a profile name, or null for the system default");
	if (api_name_or_null(o, "tenant", groups_tenant_valid, g->tenant,
	        sizeof(g->tenant)) < 0)
		return api_bad_field(
		    k->conn, "tenant", API_GROUP_RULE ", or null for none");
	if (json_object_get(o, "description") != NULL) {
		d = api_json_sv(o, "description");
		if (d.p == NULL || !users_name_valid(d))
			return api_bad_field(k->conn, "description",
			    "up to 64 printable characters");
		memcpy(g->description, d.p, d.len);
		g->description[d.len] = '\0';
	}
	*ok = true;
	return MHD_YES;
}

/* Writes a new or changed group with its audit entry, in one
 * transaction. */
static int
api_group_store(struct api_call *k, const struct group_info *g,
    const struct group_info *old)
{
	int64_t now = (int64_t)time(NULL);
	const char *field = NULL;
	int rc = db_tx_begin(k->api->db);

	if (rc != 0)
		return rc;
	rc = old == NULL ? groups_add(k->api->db, g, now, &field)
	                 : groups_update(k->api->db, g, now, &field);
	if (rc == 0)
		rc =
		    api_audit_change(k, old == NULL ? "group.add" : "group.set",
		        g->name, old != NULL ? api_group_audit(old) : NULL,
		        api_group_audit(g));
	return api_tx_end(k->api, rc);
}

/* Answers a stored group with 'status', after the store's refusals. */
static enum MHD_Result
api_group_done(
    struct api_call *k, const struct group_info *g, int rc, unsigned status)
{
	struct group_info now_g;

	if (rc == -EEXIST)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "exists",
		    "that group already exists");
	if (rc == -ENOENT)
		return api_no_group(k);
	if (rc == -ENXIO)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such profile (profile)");
	if (rc == -EINVAL)
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "invalid group");
	if (rc != 0)
		return api_store_error(k->conn, "groups.store", rc);
	api_reload(k->api);
	rc = groups_get(k->api->db, sv_cstr(g->name), &now_g);
	if (rc != 0)
		return api_store_error(k->conn, "group", rc);
	return api_send(k->conn, status, api_group_json(&now_g), NULL, NULL);
}

static const char *const api_group_members[] = {
    "name", "profile", "tenant", "description", NULL};

/* POST /api/v1/groups {name, profile?, tenant?, description?}: as
 * `rempart group add`; no profile leaves the members on the system
 * default, no tenant puts them in none. */
static enum MHD_Result
api_group_add(struct api_call *k)
{
	struct group_info g = {0};
	enum MHD_Result ret = MHD_NO;
	struct sv name;
	json_t *o;
	bool ok = false;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	name = api_json_sv(o, "name");
	if (!api_body_members_ok(o, api_group_members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes name, profile, tenant and "
		    "description");
	else if (name.p == NULL || !groups_name_valid(name))
		ret = api_bad_field(k->conn, "name", API_GROUP_RULE);
	else {
		memcpy(g.name, name.p, name.len);
		ret = api_group_apply(k, o, &g, &ok);
	}
	json_decref(o);
	if (!ok)
		return ret;
	return api_group_done(
	    k, &g, api_group_store(k, &g, NULL), MHD_HTTP_CREATED);
}

/* PATCH /api/v1/groups/NAME {profile?, tenant?, description?}: as
 * `rempart group set`; members left out keep their value, a null
 * profile is the system default and a null tenant none. */
static enum MHD_Result
api_group_set(struct api_call *k)
{
	struct group_info g, old;
	enum MHD_Result ret = MHD_NO;
	json_t *o;
	bool ok = false;
	int rc;

	if (!groups_name_valid(k->tail))
		return api_bad_param(k->conn, "name", API_GROUP_RULE);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	rc = groups_get(k->api->db, k->tail, &old);
	g = old;
	if (rc == -ENOENT)
		ret = api_no_group(k);
	else if (rc != 0)
		ret = api_store_error(k->conn, "group", rc);
	else if (!api_body_members_ok(o, api_group_members + 1))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes profile, tenant and "
		    "description");
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change: give profile, tenant or description");
	else
		ret = api_group_apply(k, o, &g, &ok);
	json_decref(o);
	if (!ok)
		return ret;
	return api_group_done(k, &g, api_group_store(k, &g, &old), MHD_HTTP_OK);
}

static int
api_first_member(void *arg, const struct user_info *u)
{
	memcpy(arg, u->ext, sizeof(u->ext));
	return 1;
}

/* DELETE /api/v1/groups/NAME[?force=true]: as `rempart group remove
 * [--force]`; 409 naming a member while it has some, unless forced,
 * which first takes them out of the group. */
static enum MHD_Result
api_group_remove(struct api_call *k)
{
	char name[GROUPS_NAME_MAX + 1], ext[USERS_EXT_MAX + 1] = "", msg[192];
	const char *fv = api_param(k, "force");
	struct group_info g;
	uint64_t members = 0;
	bool force;
	int rc;

	if (!groups_name_valid(k->tail))
		return api_bad_param(k->conn, "name", API_GROUP_RULE);
	if (fv != NULL && strcmp(fv, "true") != 0 && strcmp(fv, "false") != 0)
		return api_bad_param(k->conn, "force", "true or false");
	force = fv != NULL && strcmp(fv, "true") == 0;
	memcpy(name, k->tail.p, k->tail.len);
	name[k->tail.len] = '\0';
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = groups_get(k->api->db, k->tail, &g);
		if (rc == 0)
			rc =
			    groups_remove(k->api->db, k->tail, force, &members);
		if (rc == 0) {
			json_t *before = api_group_audit(&g);

			if (before != NULL &&
			    json_object_set_new(before, "members",
			        json_integer((json_int_t)g.members)) != 0) {
				json_decref(before);
				before = NULL;
			}
			rc = api_audit_change(k,
			    force && members > 0 ? "group.remove-force"
			                         : "group.remove",
			    name, before, NULL);
		}
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_no_group(k);
	if (rc == -EBUSY) {
		/* Naming one member shows where to start. */
		if (groups_members(
		        k->api->db, sv_cstr(name), api_first_member, ext) < 0)
			ext[0] = '\0';
		snprintf(msg, sizeof(msg),
		    "the group has %llu member%s (extension %s among them): "
		    "move them first, or remove it with ?force=true, which "
		    "takes them out of the group",
		    (unsigned long long)members, members == 1 ? "" : "s",
		    ext[0] != '\0' ? ext : "?");
		return api_error(k->conn, MHD_HTTP_CONFLICT, "in_use", msg);
	}
	if (rc != 0)
		return api_store_error(k->conn, "groups.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b,s:I}", "name", name, "removed", 1,
	        "members_taken_out", (json_int_t)members),
	    NULL, NULL);
}

/* PUT /api/v1/users/EXT/group {group: NAME|null}: as `rempart user set
 * EXT --group NAME|none`. */
static enum MHD_Result
api_user_group(struct api_call *k)
{
	static const char *const members[] = {"group", NULL};
	char ext[USERS_EXT_MAX + 1], name[GROUPS_NAME_MAX + 1] = "";
	enum MHD_Result ret = MHD_NO;
	struct user_info u = {0};
	json_t *o;
	int rc = -EINVAL;

	if (!users_ext_valid(k->tail))
		return api_bad_param(k->conn, "ext", "an extension");
	memcpy(ext, k->tail.p, k->tail.len);
	ext[k->tail.len] = '\0';
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes group");
	else if (api_name_or_null(
	             o, "group", groups_name_valid, name, sizeof(name)) != 1)
		ret = api_bad_field(
		    k->conn, "group", "a group name, or null for no group");
	else
		rc = 0;
	json_decref(o);
	if (rc != 0)
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = users_get_info(k->api->db, sv_cstr(ext), &u);
		if (rc == 0)
			rc = users_set_group(k->api->db, sv_cstr(ext),
			    sv_cstr(name), (int64_t)time(NULL));
		if (rc == 0)
			rc = api_audit_change(k, "user.set", ext,
			    json_pack("{s:s}", "group", u.group),
			    json_pack("{s:s}", "group", name));
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_error(
		    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such user");
	if (rc == -ENXIO)
		return api_no_group(k);
	if (rc != 0)
		return api_store_error(k->conn, "users.group", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:o}", "ext", ext, "group", api_str_or_null(name)),
	    NULL, NULL);
}

int
api_user_rights(struct api *a, json_t *o, const struct user_info *u)
{
	char def[FRAUDCFG_NAME_MAX + 1] = "";
	struct group_info g = {0};
	const char *eff, *from;
	int rc = 0;

	if (u->group[0] != '\0')
		rc = groups_get(a->db, sv_cstr(u->group), &g);
	if (rc != 0)
		return rc;
	/* As the call set-up judges it: its own, else its group's, else
	 * the system default (null when none is set). */
	if (u->profile[0] != '\0') {
		eff = u->profile;
		from = "user";
	} else if (g.profile[0] != '\0') {
		eff = g.profile;
		from = "group";
	} else {
		rc = fraudcfg_default_get(a->db, def);
		if (rc != 0 && rc != -ENOENT)
			return rc;
		eff = rc == 0 ? def : "";
		from = "default";
	}
	if (json_object_update_new(
	        o, json_pack("{s:o,s:o,s:o,s:o,s:s}", "group",
	               api_str_or_null(u->group), "profile",
	               api_str_or_null(u->profile), "tenant",
	               api_str_or_null(g.tenant), "effective_profile",
	               api_str_or_null(eff), "effective_from", from)) != 0)
		return -ENOMEM;
	return 0;
}

const struct api_route_def api_routes_groups[] = {
    {"groups", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_RIGHTS_READ,
        {"limit", "offset"}, api_groups},
    {"groups", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_RIGHTS_WRITE, {NULL},
        api_group_add},
    {"groups/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_RIGHTS_READ, {NULL},
        api_group},
    {"groups/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_RIGHTS_WRITE,
        {NULL}, api_group_set},
    {"groups/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_RIGHTS_WRITE,
        {"force"}, api_group_remove},
    {"users/*/group", MHD_HTTP_METHOD_PUT, API_TAIL_INNER, RBAC_RIGHTS_WRITE,
        {NULL}, api_user_group},
    {.path = NULL},
};
