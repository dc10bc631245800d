/* The administration API: changing an extension's settings, PATCH
 * /api/v1/users/EXT, the one implementation of `rempart user set` and
 * `rempart user enable|disable` (R-ADMIN-1, R-ADMIN-2). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "store/db.h"
#include "store/users.h"

/* What a PATCH changes; -1 or a false 'has' leaves a setting alone.
 * The texts are the normalised forms the store keeps ("" clears). */
struct api_userset {
	int enabled, srtp;
	bool has_name, has_codecs, has_acl, has_alternate, has_outbound,
	    has_profile;
	char name[USERS_NAME_BYTES_MAX + 1];
	char codecs[USERS_CODECS_STRLEN];
	char acl[USERS_ACL_STRLEN];
	char alternate[USERS_ALTERNATE_STRLEN];
	char outbound[USERS_E164_STRLEN];
	char profile[USERS_PROFILE_MAX + 1];
};

/* The rules below quote these. */
_Static_assert(USERS_CODECS_MAX == 16 && USERS_CODEC_NAME_MAX == 32 &&
                   USERS_ACL_MAX == 32 && USERS_NAME_CHARS_MAX == 64,
    "the rules' texts follow the store's limits");

static const char *const api_userset_members[] = {"enabled", "name", "srtp",
    "codecs", "acl", "alternate", "outbound_number", "profile", NULL};

/* Copies a string member known to fit. */
static void
api_userset_copy(char *out, struct sv v)
{
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
}

/* The member 'name' as a string ('word' or "" for "cleared", as on the
 * command line). Returns 1 when present, 0 when absent, -1 when not a
 * string. */
static int
api_userset_text(json_t *o, const char *name, const char *word, struct sv *v)
{
	if (json_object_get(o, name) == NULL)
		return 0;
	*v = api_json_sv(o, name);
	if (v->p == NULL || memchr(v->p, '\0', v->len) != NULL)
		return -1;
	if (word != NULL && sv_eq(*v, sv_cstr(word)))
		*v = SV("");
	return 1;
}

/* Checks every member of the body against the command line's rules.
 * Returns NULL, or the member at fault with its rule in *rule. */
static const char *
api_userset_parse(
    json_t *o, struct sv ext, struct api_userset *s, const char **rule)
{
	json_t *v;
	struct sv t;
	int rc;

	*s = (struct api_userset){.enabled = -1, .srtp = -1};
	v = json_object_get(o, "enabled");
	*rule = "true or false";
	if (v != NULL && !json_is_boolean(v))
		return "enabled";
	if (v != NULL)
		s->enabled = json_is_true(v);
	*rule = "up to 64 printable characters";
	rc = api_userset_text(o, "name", NULL, &t);
	if (rc < 0 || (rc > 0 && !users_name_valid(t)))
		return "name";
	if ((s->has_name = rc > 0))
		api_userset_copy(s->name, t);
	*rule = "required or optional";
	rc = api_userset_text(o, "srtp", NULL, &t);
	if (rc < 0 ||
	    (rc > 0 && !sv_eq(t, SV("required")) && !sv_eq(t, SV("optional"))))
		return "srtp";
	if (rc > 0)
		s->srtp = sv_eq(t, SV("required"));
	*rule = "up to 16 distinct names of 1-32 letters, digits, '.', '_' "
	        "or '-', comma-separated, or 'any'";
	rc = api_userset_text(o, "codecs", "any", &t);
	if (rc < 0 || (rc > 0 && users_codecs_normalise(t, s->codecs) != 0))
		return "codecs";
	s->has_codecs = rc > 0;
	*rule = "up to 32 IPv4 or IPv6 addresses or networks such as "
	        "192.0.2.0/24, no bits set past the prefix, comma-separated, "
	        "or 'any'";
	rc = api_userset_text(o, "acl", "any", &t);
	if (rc < 0 || (rc > 0 && users_acl_normalise(t, s->acl) != 0))
		return "acl";
	s->has_acl = rc > 0;
	*rule = "another extension, an E.164 number such as +33123456789, "
	        "or 'none'";
	rc = api_userset_text(o, "alternate", "none", &t);
	if (rc < 0 || (rc > 0 && !users_alternate_valid(t)))
		return "alternate";
	if (rc > 0 && sv_eq(t, ext)) {
		*rule = "an extension cannot be its own alternate";
		return "alternate";
	}
	if ((s->has_alternate = rc > 0))
		api_userset_copy(s->alternate, t);
	*rule = "an E.164 number such as +33123456789, or 'none'";
	rc = api_userset_text(o, "outbound_number", "none", &t);
	if (rc < 0 || (rc > 0 && t.len > 0 && !users_e164_valid(t)))
		return "outbound_number";
	if ((s->has_outbound = rc > 0))
		api_userset_copy(s->outbound, t);
	*rule = "a profile name, or 'default'";
	rc = api_userset_text(o, "profile", "default", &t);
	if (rc < 0 || (rc > 0 && t.len > 0 && !users_profile_valid(t)))
		return "profile";
	if ((s->has_profile = rc > 0))
		api_userset_copy(s->profile, t);
	return NULL;
}

static bool
api_userset_settings(const struct api_userset *s)
{
	return s->has_name || s->srtp >= 0 || s->has_codecs || s->has_acl ||
	       s->has_alternate || s->has_outbound || s->has_profile;
}

static const char *
api_any_if_empty(const char *list)
{
	return list[0] != '\0' ? list : "any";
}

/* Adds "name": text to 'o' (NULL after a failure). */
static json_t *
api_userset_put(json_t *o, const char *name, const char *text)
{
	if (o != NULL && json_object_set_new(o, name, json_string(text)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The settings of 'u' that 's' changes, in the audit log's words (as
 * the command line wrote them): 'after' gives the new values. */
static json_t *
api_userset_state(
    const struct api_userset *s, const struct user_info *u, bool after)
{
	json_t *o = json_object();
	bool srtp = after ? s->srtp == 1 : u->srtp_required;

	if (s->has_name)
		o = api_userset_put(
		    o, "name", after ? s->name : u->display_name);
	if (s->srtp >= 0)
		o = api_userset_put(o, "srtp", srtp ? "required" : "optional");
	if (s->has_codecs)
		o = api_userset_put(o, "codecs",
		    api_any_if_empty(after ? s->codecs : u->codecs));
	if (s->has_acl)
		o = api_userset_put(
		    o, "acl", api_any_if_empty(after ? s->acl : u->acl));
	if (s->has_alternate)
		o = api_userset_put(
		    o, "alternate", after ? s->alternate : u->alternate);
	if (s->has_outbound)
		o = api_userset_put(o, "outbound_number",
		    after ? s->outbound : u->outbound_number);
	if (s->has_profile)
		o = api_userset_put(
		    o, "profile", after ? s->profile : u->profile);
	return o;
}

/* Applies every change and its audit entries: called in a transaction,
 * so all of them or none. -ENXIO: no such alternate; -ENOPKG: no such
 * profile. */
static int
api_userset_store(struct api_call *k, const char *ext,
    const struct api_userset *s, const struct user_info *u)
{
	struct db *db = k->api->db;
	int64_t now = (int64_t)time(NULL);
	int rc = 0;

	if (s->enabled >= 0) {
		rc = users_set_enabled(db, sv_cstr(ext), s->enabled == 1, now);
		if (rc == 0)
			rc = api_audit_change(k,
			    s->enabled == 1 ? "user.enable" : "user.disable",
			    ext, json_pack("{s:b}", "enabled", u->enabled),
			    json_pack("{s:b}", "enabled", s->enabled == 1));
	}
	if (rc != 0 || !api_userset_settings(s))
		return rc;
	rc = api_audit_change(k, "user.set", ext,
	    api_userset_state(s, u, false), api_userset_state(s, u, true));
	if (rc == 0 && s->has_name)
		rc = users_set_name(db, sv_cstr(ext), sv_cstr(s->name), now);
	if (rc == 0 && (s->srtp >= 0 || s->has_codecs))
		rc = users_set_media(db, sv_cstr(ext),
		    s->srtp >= 0 ? s->srtp == 1 : u->srtp_required,
		    sv_cstr(s->has_codecs ? s->codecs : u->codecs), now);
	if (rc == 0 && s->has_acl)
		rc = users_set_acl(db, sv_cstr(ext), sv_cstr(s->acl), now);
	if (rc == 0 && (s->has_alternate || s->has_outbound))
		rc = users_set_continuity(db, sv_cstr(ext),
		    s->has_alternate ? sv_cstr(s->alternate) : SV_NULL,
		    s->has_outbound ? sv_cstr(s->outbound) : SV_NULL, now);
	if (rc == 0 && s->has_profile) {
		rc = users_set_profile(
		    db, sv_cstr(ext), sv_cstr(s->profile), now);
		if (rc == -ENXIO)
			rc = -ENOPKG; /* told apart from the alternate's */
	}
	return rc;
}

/* The answer: the extension and the new values of what changed. */
static json_t *
api_userset_answer(const char *ext, const struct api_userset *s)
{
	json_t *o = json_pack("{s:s}", "ext", ext);
	struct user_info none = {0};

	if (o != NULL && s->enabled >= 0 &&
	    json_object_set_new(o, "enabled", json_boolean(s->enabled)) != 0) {
		json_decref(o);
		return NULL;
	}
	if (o != NULL && api_userset_settings(s)) {
		json_t *after = api_userset_state(s, &none, true);

		if (after == NULL || json_object_update(o, after) != 0) {
			json_decref(o);
			o = NULL;
		}
		json_decref(after);
	}
	return o;
}

/* The 404s of a change: the extension, its alternate or the profile. */
static enum MHD_Result
api_userset_missing(
    struct api_call *k, const char *ext, const struct api_userset *s, int rc)
{
	char msg[120];

	if (rc == -ENXIO)
		snprintf(msg, sizeof(msg), "no extension %s (alternate)",
		    s->alternate);
	else if (rc == -ENOPKG)
		snprintf(
		    msg, sizeof(msg), "no profile %s (profile)", s->profile);
	else
		snprintf(msg, sizeof(msg), "no extension %s", ext);
	return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found", msg);
}

/* PATCH /api/v1/users/EXT {enabled?, name?, srtp?, codecs?, acl?,
 * alternate?, outbound_number?, profile?}: as `rempart user set` and
 * `user enable|disable`, with the same rules and audit entries. A
 * user's rights profile is the rights managers' (helpdesk may not). */
static enum MHD_Result
api_user_patch(struct api_call *k)
{
	char ext[USERS_EXT_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	const char *field, *rule;
	struct api_userset s;
	struct user_info u;
	bool ok = false;
	json_t *o;
	int rc;

	if (!users_ext_valid(k->tail))
		return api_bad_param(k->conn, "ext", "an extension");
	if (k->access == RBAC_SELF && !sv_eq(k->tail, sv_cstr(k->key.ext)))
		return api_error(k->conn, MHD_HTTP_FORBIDDEN, "forbidden",
		    "not allowed for this key");
	api_userset_copy(ext, k->tail);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, api_userset_members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes enabled, name, srtp, "
		    "codecs, acl, alternate, outbound_number, profile");
	else if ((field = api_userset_parse(o, sv_cstr(ext), &s, &rule)) !=
	         NULL)
		ret = api_bad_field(k->conn, field, rule);
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "empty body: give 'enabled', 'name', 'srtp', 'codecs', "
		    "'acl', 'alternate', 'outbound_number' or 'profile'");
	else
		ok = true;
	json_decref(o);
	if (!ok)
		return ret;
	if (s.has_profile &&
	    rbac_check(k->key.role, RBAC_RIGHTS_WRITE) != RBAC_ALLOW)
		return api_error(k->conn, MHD_HTTP_FORBIDDEN, "forbidden",
		    "not allowed for this key ('profile')");
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = users_get_info(k->api->db, sv_cstr(ext), &u);
		if (rc == 0)
			rc = api_userset_store(k, ext, &s, &u);
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT || rc == -ENXIO || rc == -ENOPKG)
		return api_userset_missing(k, ext, &s, rc);
	if (rc != 0)
		return api_store_error(k->conn, "users.patch", rc);
	api_reload(k->api);
	return api_send(
	    k->conn, MHD_HTTP_OK, api_userset_answer(ext, &s), NULL, NULL);
}

const struct api_route_def api_routes_userset[] = {
    {"users/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_USERS_WRITE,
        {NULL}, api_user_patch},
    {.path = NULL},
};
