/* The administration API: extensions and their live registrations
 * (R-ADMIN-2, R-OPS-1). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "policy/secret.h"
#include "sip/auth.h"
#include "store/audit.h"
#include "store/bindings.h"
#include "store/db.h"
#include "store/settings.h"
#include "store/users.h"

static json_t *
api_user_base(const struct user_info *u)
{
	return json_pack("{s:s,s:s,s:b,s:b,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "ext",
	    u->ext, "display_name", u->display_name, "enabled", u->enabled,
	    "srtp_required", u->srtp_required, "codecs", u->codecs, "acl",
	    u->acl, "alternate", u->alternate, "outbound_number",
	    u->outbound_number, "profile", u->profile, "created_at",
	    (json_int_t)u->created_at, "updated_at", (json_int_t)u->updated_at);
}

/* A user with its group and rights profiles (NULL on an error). */
static json_t *
api_user_json(struct api *a, const struct user_info *u)
{
	json_t *o = api_user_base(u);

	if (o != NULL && api_user_rights(a, o, u) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

struct api_user_walk {
	struct api_page *pg;
	struct api *a;
};

static int
api_user_cb(void *arg, const struct user_info *u)
{
	struct api_user_walk *uw = arg;
	json_t *o;

	/* Rows before the window only count (the page stops the walk
	 * once full). */
	if (uw->pg->seen < uw->pg->offset)
		return api_page_add(uw->pg, json_null());
	o = api_user_json(uw->a, u);
	return o != NULL ? api_page_add(uw->pg, o) : -ENOMEM;
}

static enum MHD_Result
api_users(struct api_call *k)
{
	struct api_page pg;
	struct api_user_walk uw = {&pg, k->api};
	struct user_info u;
	uint64_t total = 0;
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = db_read_begin(k->api->db);
	if (rc != 0)
		goto fail;
	if (k->access == RBAC_SELF) {
		/* A user sees a list holding its own extension only. */
		rc = users_get_info(k->api->db, sv_cstr(k->key.ext), &u);
		if (rc == 0) {
			total = 1;
			if (pg.offset == 0)
				rc = api_page_add(
				    &pg, api_user_json(k->api, &u));
		} else if (rc == -ENOENT) {
			rc = 0;
		}
	} else {
		rc = users_count(k->api->db, &total);
		if (rc == 0)
			rc = users_list(k->api->db, api_user_cb, &uw);
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
	return api_send(
	    k->conn, MHD_HTTP_OK, api_user_json(k->api, &u), NULL, NULL);
}

/* POST /api/v1/users {ext, name, secret?}: a new extension with the
 * secret given (checked by the policy) or a generated one, returned
 * once (as `rempart user add`). */
static enum MHD_Result
api_user_add(struct api_call *k)
{
	static const char *const members[] = {"ext", "name", "secret", NULL};
	char secret[SECRET_MAX_LEN + 2], realm[SETTINGS_VALUE_MAX + 1],
	    object[USERS_EXT_MAX + 1];
	struct sip_auth_ha1 ha1;
	enum MHD_Result ret = MHD_NO;
	struct user_info u;
	struct sv ext, name, given;
	json_t *o, *body;
	bool generated;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	ext = api_json_sv(o, "ext");
	name = api_json_sv(o, "name");
	given = api_json_sv(o, "secret");
	generated = json_object_get(o, "secret") == NULL;
	rc = -EINVAL;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes ext, name and secret");
	else if (ext.p == NULL || !users_ext_valid(ext))
		ret = api_bad_field(
		    k->conn, "ext", "1-32 letters, digits, '.', '_' or '-'");
	else if (name.p == NULL || name.len == 0 || !users_name_valid(name))
		ret =
		    api_bad_field(k->conn, "name", "1-64 printable characters");
	else if (!generated && given.p == NULL)
		ret = api_bad_field(k->conn, "secret", "a string");
	else if (generated || api_user_secret_ok(k, ext, given, &ret))
		rc = 0;
	if (rc != 0) {
		api_body_free(o);
		return ret;
	}
	memcpy(object, ext.p, ext.len);
	object[ext.len] = '\0';
	if (!generated) {
		memcpy(secret, given.p, given.len);
		secret[given.len] = '\0';
	} else {
		rc = secret_generate(
		    secret, sizeof(secret), SECRET_GEN_DEFAULT_LEN);
	}
	if (rc == 0)
		rc = settings_get(
		    k->api->db, SETTINGS_SIP_REALM, realm, sizeof(realm));
	if (rc == 0)
		rc = sip_auth_ha1_set(
		    &ha1, ext, sv_cstr(realm), sv_cstr(secret));
	if (rc != 0) {
		api_body_free(o);
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
	api_body_free(o);
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
	body = api_user_json(k->api, &u);
	if (body != NULL && generated &&
	    json_object_set_new(body, "secret", json_string(secret)) != 0) {
		json_decref(body);
		body = NULL;
	}
	sodium_memzero(secret, sizeof(secret));
	return api_send(k->conn, MHD_HTTP_CREATED, body, NULL, NULL);
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
	if (k->access == RBAC_SELF)
		w.self = sv_cstr(k->key.ext);
	rc = bindings_list(k->api->db, (int64_t)time(NULL), api_binding_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "registrations", rc);
	}
	return api_page_send(k, &pg, w.total);
}

const struct api_route_def api_routes_users[] = {
    {"users", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_USERS_READ,
        {"limit", "offset"}, api_users},
    {"users", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_USERS_WRITE, {NULL},
        api_user_add},
    {"users/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_USERS_READ, {NULL},
        api_user},
    {"registrations", MHD_HTTP_METHOD_GET, API_TAIL_NONE,
        RBAC_REGISTRATIONS_READ, {"limit", "offset"}, api_registrations},
    {.path = NULL},
};
