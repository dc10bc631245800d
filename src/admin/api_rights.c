/* The administration API: rights profiles, the default profile and the
 * profile of each user (R-FRAUD-1, R-FRAUD-2). The same store
 * functions and checks as `rempart profile` and `rempart user set
 * --profile`, and the same audit entries. */
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

#define API_PROFILE_RULE "1-32 lower-case letters, digits, '_' or '-'"
#define API_CLASSES_RULE                                                       \
	"comma-separated classes: internal, emergency, local, national, "      \
	"mobile, international, premium, high-risk, special"
#define API_PREFIXES_RULE                                                      \
	"up to 64 prefixes of '+' and up to 15 digits, comma-separated "       \
	"(\"\": none)"

/* The text forms of a profile's rights, as the command line audits
 * them: {classes, window_classes, window, allow, deny}. */
static json_t *
api_profile_rights(const struct fraudcfg_profile *p)
{
	char classes[FRAUDCFG_CLASSES_STRLEN], wc[FRAUDCFG_CLASSES_STRLEN];
	char w[FRAUDCFG_WINDOW_STRLEN];

	if (fraudcfg_classes_format(p->classes, classes, sizeof(classes)) != 0)
		classes[0] = '\0';
	if (fraudcfg_classes_format(p->window_classes, wc, sizeof(wc)) != 0)
		wc[0] = '\0';
	if (p->window_classes == 0 ||
	    fraudcfg_window_format(&p->window, w, sizeof(w)) != 0)
		w[0] = '\0';
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "classes", classes,
	    "window_classes", wc, "window", w, "allow", p->allow, "deny",
	    p->deny);
}

/* A profile as the API shows it: its rights, its name, whether it is
 * the default. */
static json_t *
api_profile_json(const struct fraudcfg_profile *p, const char *def)
{
	json_t *o = api_profile_rights(p);

	if (o != NULL &&
	    json_object_update_new(
	        o, json_pack("{s:s,s:b,s:I,s:I}", "name", p->name, "default",
	               strcmp(p->name, def) == 0, "created_at",
	               (json_int_t)p->created_at, "updated_at",
	               (json_int_t)p->updated_at)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* The default profile's name, "" when none is set. */
static int
api_default(struct api *a, char def[FRAUDCFG_NAME_MAX + 1])
{
	int rc = fraudcfg_default_get(a->db, def);

	if (rc == -ENOENT) {
		def[0] = '\0';
		rc = 0;
	}
	return rc;
}

struct api_profile_walk {
	struct api_walk w;
	char def[FRAUDCFG_NAME_MAX + 1];
};

static json_t *
api_profile_row(const void *row)
{
	const struct fraudcfg_profile *const *pp = row;

	return api_profile_json(pp[0], (const char *)pp[1]);
}

static int
api_profile_cb(void *arg, const struct fraudcfg_profile *p)
{
	struct api_profile_walk *pw = arg;
	const void *pair[2] = {p, pw->def};

	return api_walk_add(&pw->w, api_profile_row, pair);
}

/* GET /api/v1/profiles: every profile, by name. */
static enum MHD_Result
api_profiles(struct api_call *k)
{
	struct api_page pg;
	struct api_profile_walk pw = {{&pg, 0, SV_NULL, 0}, ""};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = db_read_begin(k->api->db);
	if (rc == 0) {
		rc = api_default(k->api, pw.def);
		if (rc == 0)
			rc = fraudcfg_profile_list(
			    k->api->db, api_profile_cb, &pw);
		db_read_end(k->api->db);
	}
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "profiles", rc);
	}
	return api_page_send(k, &pg, pw.w.total);
}

static enum MHD_Result
api_no_profile(struct api_call *k)
{
	return api_error(
	    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such profile");
}

/* GET /api/v1/profiles/NAME: one profile and how many users have it. */
static enum MHD_Result
api_profile(struct api_call *k)
{
	char def[FRAUDCFG_NAME_MAX + 1];
	struct fraudcfg_profile p;
	uint64_t members = 0;
	json_t *o;
	int rc;

	if (!users_profile_valid(k->tail))
		return api_bad_param(k->conn, "name", API_PROFILE_RULE);
	rc = db_read_begin(k->api->db);
	if (rc != 0)
		return api_store_error(k->conn, "profile", rc);
	rc = fraudcfg_profile_get(k->api->db, k->tail, &p);
	if (rc == 0)
		rc = api_default(k->api, def);
	if (rc == 0)
		rc = fraudcfg_profile_members(k->api->db, k->tail, &members);
	db_read_end(k->api->db);
	if (rc == -ENOENT)
		return api_no_profile(k);
	if (rc != 0)
		return api_store_error(k->conn, "profile", rc);
	o = api_profile_json(&p, def);
	if (o != NULL && json_object_set_new(o, "members",
	                     json_integer((json_int_t)members)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return api_send(k->conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Applies the members of a POST or PATCH body to 'p'. Returns MHD_YES
 * with *ok true when every member is valid, else the 400 naming the
 * first bad one. */
static enum MHD_Result
api_profile_apply(
    struct api_call *k, json_t *o, struct fraudcfg_profile *p, bool *ok)
{
	struct rights_window w = p->window;
	json_t *wv = json_object_get(o, "window");
	const char *field = NULL;
	struct sv v;

	*ok = false;
	if (json_object_get(o, "classes") != NULL &&
	    ((v = api_json_sv(o, "classes")).p == NULL ||
	        fraudcfg_classes_parse(v, &p->classes) != 0))
		return api_bad_field(k->conn, "classes", API_CLASSES_RULE);
	if (json_object_get(o, "window_classes") != NULL &&
	    ((v = api_json_sv(o, "window_classes")).p == NULL ||
	        fraudcfg_classes_parse(v, &p->window_classes) != 0))
		return api_bad_field(k->conn, "window_classes",
		    API_CLASSES_RULE " (allowed inside the window only)");
	if (wv != NULL) {
		v = api_json_sv(o, "window");
		if (v.p == NULL ||
		    (v.len != 0 && fraudcfg_window_parse(v, &w) != 0))
			return api_bad_field(k->conn, "window",
			    "DAYS/HH:MM-HH:MM such as mon-fri/08:00-19:00 "
			    "(\"\": none)");
		p->window = v.len != 0 ? w : (struct rights_window){0};
	}
	if (json_object_get(o, "allow") != NULL &&
	    ((v = api_json_sv(o, "allow")).p == NULL ||
	        fraudcfg_prefixes_normalise(v, p->allow) != 0))
		return api_bad_field(k->conn, "allow", API_PREFIXES_RULE);
	if (json_object_get(o, "deny") != NULL &&
	    ((v = api_json_sv(o, "deny")).p == NULL ||
	        fraudcfg_prefixes_normalise(v, p->deny) != 0))
		return api_bad_field(k->conn, "deny", API_PREFIXES_RULE);
	/* No class inside a window: no window either, as the CLI's
	 * '--window none'. */
	if (p->window_classes == 0 && wv != NULL && p->window.days != 0)
		return api_bad_field(k->conn, "window_classes",
		    "a window needs the classes it allows");
	if (p->window_classes == 0)
		p->window = (struct rights_window){0};
	if (fraudcfg_profile_check(p, &field) != 0) {
		if (field != NULL && strcmp(field, "window") == 0)
			return api_bad_field(k->conn, "window_classes",
			    "classes inside the window need a window, and a "
			    "class cannot be both in 'classes' and in "
			    "'window_classes'");
		return api_bad_field(
		    k->conn, field != NULL ? field : "profile", "invalid");
	}
	*ok = true;
	return MHD_YES;
}

/* Writes a new or changed profile with its audit entry, in one
 * transaction. */
static int
api_profile_store(struct api_call *k, const struct fraudcfg_profile *p,
    const struct fraudcfg_profile *old)
{
	int64_t now = (int64_t)time(NULL);
	const char *field = NULL;
	int rc = db_tx_begin(k->api->db);

	if (rc != 0)
		return rc;
	rc = old == NULL ? fraudcfg_profile_add(k->api->db, p, now, &field)
	                 : fraudcfg_profile_update(k->api->db, p, now, &field);
	if (rc == 0)
		rc = api_audit_change(k,
		    old == NULL ? "profile.add" : "profile.set", p->name,
		    old != NULL ? api_profile_rights(old) : NULL,
		    api_profile_rights(p));
	return api_tx_end(k->api, rc);
}

/* Answers a stored profile with 'status'. */
static enum MHD_Result
api_profile_done(struct api_call *k, const char *name, unsigned status)
{
	char def[FRAUDCFG_NAME_MAX + 1];
	struct fraudcfg_profile p;
	int rc;

	api_reload(k->api);
	rc = fraudcfg_profile_get(k->api->db, sv_cstr(name), &p);
	if (rc == 0)
		rc = api_default(k->api, def);
	if (rc != 0)
		return api_store_error(k->conn, "profile", rc);
	return api_send(k->conn, status, api_profile_json(&p, def), NULL, NULL);
}

static const char *const api_profile_members[] = {
    "name", "classes", "window_classes", "window", "allow", "deny", NULL};

/* POST /api/v1/profiles {name, classes, window_classes?, window?,
 * allow?, deny?}: as `rempart profile add`. */
static enum MHD_Result
api_profile_add(struct api_call *k)
{
	struct fraudcfg_profile p = {0};
	enum MHD_Result ret = MHD_NO;
	struct sv name;
	json_t *o;
	bool ok = false;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	name = api_json_sv(o, "name");
	if (!api_body_members_ok(o, api_profile_members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes name, classes, "
		    "window_classes, window, allow and deny");
	else if (name.p == NULL || !users_profile_valid(name))
		ret = api_bad_field(k->conn, "name", API_PROFILE_RULE);
	else if (json_object_get(o, "classes") == NULL)
		ret = api_bad_field(k->conn, "classes", API_CLASSES_RULE);
	else {
		memcpy(p.name, name.p, name.len);
		ret = api_profile_apply(k, o, &p, &ok);
	}
	json_decref(o);
	if (!ok)
		return ret;
	rc = api_profile_store(k, &p, NULL);
	if (rc == -EEXIST)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "exists",
		    "that profile already exists");
	if (rc != 0)
		return api_store_error(k->conn, "profiles.add", rc);
	return api_profile_done(k, p.name, MHD_HTTP_CREATED);
}

/* PATCH /api/v1/profiles/NAME {classes?, window_classes?, window?,
 * allow?, deny?}: as `rempart profile set`; members left out keep
 * their value. */
static enum MHD_Result
api_profile_set(struct api_call *k)
{
	struct fraudcfg_profile p, old = {0};
	enum MHD_Result ret = MHD_NO;
	json_t *o;
	bool ok = false;
	int rc;

	if (!users_profile_valid(k->tail))
		return api_bad_param(k->conn, "name", API_PROFILE_RULE);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	rc = fraudcfg_profile_get(k->api->db, k->tail, &old);
	p = old;
	if (rc == -ENOENT)
		ret = api_no_profile(k);
	else if (rc != 0)
		ret = api_store_error(k->conn, "profile", rc);
	else if (!api_body_members_ok(o, api_profile_members + 1))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes classes, "
		    "window_classes, window, allow and deny");
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change: give classes, window_classes, "
		    "window, allow or deny");
	else
		ret = api_profile_apply(k, o, &p, &ok);
	json_decref(o);
	if (!ok)
		return ret;
	rc = api_profile_store(k, &p, &old);
	if (rc == -ENOENT)
		return api_no_profile(k);
	if (rc != 0)
		return api_store_error(k->conn, "profiles.set", rc);
	return api_profile_done(k, p.name, MHD_HTTP_OK);
}

/* DELETE /api/v1/profiles/NAME: as `rempart profile remove`; 409 while
 * it is the default or a user or group has it. */
static enum MHD_Result
api_profile_remove(struct api_call *k)
{
	char user[USERS_EXT_MAX + 1] = "", name[FRAUDCFG_NAME_MAX + 1], msg[96];
	char group[GROUPS_NAME_MAX + 1];
	struct fraudcfg_profile p;
	int rc;

	if (!users_profile_valid(k->tail))
		return api_bad_param(k->conn, "name", API_PROFILE_RULE);
	memcpy(name, k->tail.p, k->tail.len);
	name[k->tail.len] = '\0';
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_profile_get(k->api->db, k->tail, &p);
		if (rc == 0)
			rc = fraudcfg_profile_remove(k->api->db, k->tail, user);
		if (rc == 0)
			rc = api_audit_change(k, "profile.remove", name,
			    api_profile_rights(&p), NULL);
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_no_profile(k);
	if (rc == -EBUSY) {
		if (user[0] != '\0')
			snprintf(msg, sizeof(msg),
			    "the profile is in use by extension %s", user);
		else if (groups_profile_user(
		             k->api->db, sv_cstr(name), group) == 0)
			snprintf(msg, sizeof(msg),
			    "the profile is in use by group %s", group);
		else
			snprintf(msg, sizeof(msg),
			    "the profile is the default profile");
		return api_error(k->conn, MHD_HTTP_CONFLICT, "in_use", msg);
	}
	if (rc != 0)
		return api_store_error(k->conn, "profiles.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "name", name, "removed", 1), NULL, NULL);
}

/* GET /api/v1/rights/default: the system default profile (null when
 * none is set). */
static enum MHD_Result
api_default_get(struct api_call *k)
{
	char def[FRAUDCFG_NAME_MAX + 1];
	int rc = api_default(k->api, def);

	if (rc != 0)
		return api_store_error(k->conn, "profiles.default", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:o}", "profile",
	        def[0] != '\0' ? json_string(def) : json_null()),
	    NULL, NULL);
}

/* PUT /api/v1/rights/default {profile}: as `rempart profile default
 * NAME`. */
static enum MHD_Result
api_default_set(struct api_call *k)
{
	static const char *const members[] = {"profile", NULL};
	char def[FRAUDCFG_NAME_MAX + 1], name[FRAUDCFG_NAME_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	struct sv v;
	json_t *o;
	int rc = -EINVAL;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	v = api_json_sv(o, "profile");
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes profile");
	else if (v.p == NULL || !users_profile_valid(v))
		ret = api_bad_field(k->conn, "profile", API_PROFILE_RULE);
	else {
		memcpy(name, v.p, v.len);
		name[v.len] = '\0';
		rc = 0;
	}
	json_decref(o);
	if (rc != 0)
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = api_default(k->api, def);
		if (rc == 0)
			rc = fraudcfg_default_set(k->api->db, sv_cstr(name));
		if (rc == 0)
			rc = api_audit_change(k, "profile.default", name,
			    json_pack("{s:s}", "default", def),
			    json_pack("{s:s}", "default", name));
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_no_profile(k);
	if (rc != 0)
		return api_store_error(k->conn, "profiles.default", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s}", "profile", name), NULL, NULL);
}

/* PUT /api/v1/users/EXT/profile {profile: NAME|null}: as `rempart user
 * set EXT --profile NAME|default`; null gives the user the default. */
static enum MHD_Result
api_user_profile(struct api_call *k)
{
	static const char *const members[] = {"profile", NULL};
	char ext[USERS_EXT_MAX + 1], name[FRAUDCFG_NAME_MAX + 1] = "";
	enum MHD_Result ret = MHD_NO;
	struct user_info u;
	json_t *o, *pv;
	struct sv v;
	int rc = -EINVAL;

	if (!users_ext_valid(k->tail))
		return api_bad_param(k->conn, "ext", "an extension");
	memcpy(ext, k->tail.p, k->tail.len);
	ext[k->tail.len] = '\0';
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	pv = json_object_get(o, "profile");
	v = api_json_sv(o, "profile");
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes profile");
	else if (pv == NULL || (!json_is_null(pv) &&
	                           (v.p == NULL || !users_profile_valid(v))))
		ret = api_bad_field(k->conn, "profile",
		    "a profile name, or null for the default profile");
	else {
		if (v.p != NULL)
			memcpy(name, v.p, v.len);
		name[v.p != NULL ? v.len : 0] = '\0';
		rc = 0;
	}
	json_decref(o);
	if (rc != 0)
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = users_get_info(k->api->db, sv_cstr(ext), &u);
		if (rc == 0)
			rc = users_set_profile(k->api->db, sv_cstr(ext),
			    sv_cstr(name), (int64_t)time(NULL));
		if (rc == 0)
			rc = api_audit_change(k, "user.set", ext,
			    json_pack("{s:s}", "profile", u.profile),
			    json_pack("{s:s}", "profile", name));
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_error(
		    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such user");
	if (rc == -ENXIO)
		return api_no_profile(k);
	if (rc != 0)
		return api_store_error(k->conn, "users.profile", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:o}", "ext", ext, "profile",
	        name[0] != '\0' ? json_string(name) : json_null()),
	    NULL, NULL);
}

const struct api_route_def api_routes_rights[] = {
    {"profiles", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_RIGHTS_READ,
        {"limit", "offset"}, api_profiles},
    {"profiles", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_RIGHTS_WRITE, {NULL},
        api_profile_add},
    {"profiles/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_RIGHTS_READ,
        {NULL}, api_profile},
    {"profiles/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_RIGHTS_WRITE,
        {NULL}, api_profile_set},
    {"profiles/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_RIGHTS_WRITE,
        {NULL}, api_profile_remove},
    {"rights/default", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_RIGHTS_READ,
        {NULL}, api_default_get},
    {"rights/default", MHD_HTTP_METHOD_PUT, API_TAIL_NONE, RBAC_RIGHTS_WRITE,
        {NULL}, api_default_set},
    {"users/*/profile", MHD_HTTP_METHOD_PUT, API_TAIL_INNER, RBAC_RIGHTS_WRITE,
        {NULL}, api_user_profile},
    {.path = NULL},
};
