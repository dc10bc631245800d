/* The administration API: its own keys (R-ADMIN-2), as `rempart apikey`
 * manages them. A new or rotated key is returned once; the store keeps
 * only its hash, which is never sent, and the audit log records the id,
 * role and expiry only. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "admin/apikeys.h"
#include "store/db.h"
#include "store/users.h"

/* The lifetime of a key when none is given: 90 days, as on the command
 * line. */
#define API_KEY_LIFETIME_DEFAULT_S (90LL * 86400)

static const char *
api_key_status(const struct apikey_info *k, int64_t now)
{
	return k->revoked             ? "revoked"
	       : now >= k->expires_at ? "expired"
	                              : "active";
}

static json_t *
api_key_json(const struct apikey_info *k, int64_t now)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:s}", "id", k->id,
	    "role", rbac_role_name(k->role), "ext", k->ext, "created_at",
	    (json_int_t)k->created_at, "expires_at", (json_int_t)k->expires_at,
	    "last_used_at", (json_int_t)k->last_used_at, "revoked", k->revoked,
	    "status", api_key_status(k, now));
}

static json_t *
api_key_row(const void *row)
{
	return api_key_json(row, (int64_t)time(NULL));
}

static int
api_key_cb(void *arg, const struct apikey_info *k)
{
	return api_walk_add(arg, api_key_row, k);
}

/* GET /api/v1/apikeys: every key, revoked and expired ones included,
 * by creation time. */
static enum MHD_Result
api_keys(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, (uint64_t)time(NULL)};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = apikeys_list(k->api->db, api_key_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "apikeys", rc);
	}
	return api_page_send(k, &pg, w.total);
}

/* The members of POST /apikeys, checked; false after answering. */
static bool
api_key_fields(struct api_call *k, json_t *o, enum rbac_role *role,
    struct sv *ext, int64_t *lifetime_s, enum MHD_Result *ret)
{
	static const char *const members[] = {
	    "role", "ext", "expires_in", NULL};
	json_t *life = json_object_get(o, "expires_in");

	*ext = api_json_sv(o, "ext");
	*lifetime_s = API_KEY_LIFETIME_DEFAULT_S;
	if (json_is_integer(life))
		*lifetime_s = (int64_t)json_integer_value(life);
	if (!api_body_members_ok(o, members))
		*ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes role, ext, expires_in");
	else if (rbac_role_parse(api_json_sv(o, "role"), role) != 0)
		*ret = api_bad_field(
		    k->conn, "role", "admin, auditor, helpdesk or user");
	else if (json_object_get(o, "ext") != NULL && ext->p == NULL)
		*ret = api_bad_field(k->conn, "ext", "a string");
	else if (*role == RBAC_ROLE_USER ? !users_ext_valid(*ext)
	                                 : ext->len != 0)
		*ret = api_bad_field(k->conn, "ext",
		    "an extension, needed by the user role and only by it");
	else if (life != NULL && (!json_is_integer(life) || *lifetime_s < 1 ||
	                             *lifetime_s > APIKEYS_LIFETIME_MAX_S))
		*ret = api_bad_field(k->conn, "expires_in",
		    "seconds, from 1 to 10 years (315360000)");
	else
		return true;
	return false;
}

/* POST /api/v1/apikeys {role, ext?, expires_in?}: as `rempart apikey
 * create`; the key is returned once. */
static enum MHD_Result
api_key_create(struct api_call *k)
{
	char key[APIKEYS_KEY_STRLEN];
	int64_t now = (int64_t)time(NULL), life;
	enum MHD_Result ret = MHD_NO;
	struct apikey_info info;
	enum rbac_role role;
	json_t *o, *body;
	struct sv ext;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_key_fields(k, o, &role, &ext, &life, &ret)) {
		json_decref(o);
		return ret;
	}
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = apikeys_create(
		    k->api->db, role, ext, now, now + life, key, &info);
		if (rc == 0)
			rc = api_audit_change(k, "apikey.create", info.id, NULL,
			    json_pack("{s:s,s:s,s:I}", "role",
			        rbac_role_name(role), "ext", info.ext,
			        "expires_at", (json_int_t)info.expires_at));
		rc = api_tx_end(k->api, rc);
	}
	json_decref(o);
	if (rc != 0) {
		sodium_memzero(key, sizeof(key));
		return api_store_error(k->conn, "apikeys.create", rc);
	}
	api_reload(k->api);
	body = api_key_json(&info, now);
	if (body != NULL &&
	    json_object_set_new(body, "key", json_string(key)) != 0) {
		json_decref(body);
		body = NULL;
	}
	sodium_memzero(key, sizeof(key));
	return api_send(k->conn, MHD_HTTP_CREATED, body, NULL, NULL);
}

/* The key id of the path, checked; false after answering. */
static bool
api_key_id(struct api_call *k, char id[APIKEYS_ID_STRLEN], enum MHD_Result *ret)
{
	bool ok = k->tail.len == APIKEYS_ID_LEN;

	for (size_t i = 0; ok && i < k->tail.len; i++) {
		char ch = k->tail.p[i];

		ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		     (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
	}
	if (!ok) {
		*ret = api_bad_param(k->conn, "id",
		    "an API key id (22 of A-Z, a-z, 0-9, '-', '_')");
		return false;
	}
	memcpy(id, k->tail.p, k->tail.len);
	id[k->tail.len] = '\0';
	return true;
}

/* Revokes or rotates key 'id' with the audit entry, in one
 * transaction; 'key' gets a rotated key. -ENOENT for a key that is
 * unknown or already revoked. */
static int
api_key_apply(struct api_call *k, bool rotate, const char *id, char *key)
{
	struct apikey_info info;
	int rc;

	rc = db_tx_begin(k->api->db);
	if (rc != 0)
		return rc;
	rc = apikeys_get(k->api->db, sv_cstr(id), &info);
	if (rc == 0 && info.revoked)
		rc = -ENOENT;
	if (rc == 0)
		rc = rotate ? apikeys_rotate(k->api->db, sv_cstr(id), key)
		            : apikeys_revoke(k->api->db, sv_cstr(id));
	/* The shapes the command line wrote. */
	if (rc == 0)
		rc = api_audit_change(k,
		    rotate ? "apikey.rotate" : "apikey.revoke", id, NULL,
		    rotate ? json_pack("{s:s}", "secret", "replaced")
		           : json_pack("{s:s}", "revoked", "true"));
	return api_tx_end(k->api, rc);
}

static enum MHD_Result
api_key_change(struct api_call *k, bool rotate)
{
	char id[APIKEYS_ID_STRLEN], key[APIKEYS_KEY_STRLEN], msg[80];
	enum MHD_Result ret = MHD_NO;
	json_t *body;
	int rc;

	if (!api_key_id(k, id, &ret))
		return ret;
	rc = api_key_apply(k, rotate, id, key);
	if (rc != 0) {
		sodium_memzero(key, sizeof(key));
		if (rc != -ENOENT)
			return api_store_error(k->conn, "apikeys.change", rc);
		snprintf(msg, sizeof(msg), "no active API key %s", id);
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found", msg);
	}
	api_reload(k->api);
	if (rotate)
		body = json_pack("{s:s,s:s}", "id", id, "key", key);
	else
		body = json_pack("{s:s,s:b}", "id", id, "revoked", 1);
	sodium_memzero(key, sizeof(key));
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* DELETE /api/v1/apikeys/ID: as `rempart apikey revoke`. */
static enum MHD_Result
api_key_revoke(struct api_call *k)
{
	return api_key_change(k, false);
}

/* POST /api/v1/apikeys/ID/rotate: a new secret, returned once; the old
 * one stops working at once. */
static enum MHD_Result
api_key_rotate(struct api_call *k)
{
	return api_key_change(k, true);
}

const struct api_route_def api_routes_apikeys[] = {
    {"apikeys", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_APIKEYS_MANAGE,
        {"limit", "offset"}, api_keys},
    {"apikeys", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_APIKEYS_MANAGE,
        {NULL}, api_key_create},
    {"apikeys/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_APIKEYS_MANAGE,
        {NULL}, api_key_revoke},
    {"apikeys/*/rotate", MHD_HTTP_METHOD_POST, API_TAIL_INNER,
        RBAC_APIKEYS_MANAGE, {NULL}, api_key_rotate},
    {.path = NULL},
};
