/* The administration API: removing an extension and resetting its SIP
 * secret (R-ADMIN-1, R-ADMIN-2, R-AUTH-3); api_userset.c changes its
 * settings. */
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
#include "store/db.h"
#include "store/settings.h"
#include "store/users.h"

/* A secret given by the caller must pass the SIP secret policy (as on
 * the command line); one generated here always does. Returns true when
 * 'secret' may be used, having answered 400 otherwise. */
bool
api_user_secret_ok(
    struct api_call *k, struct sv ext, struct sv secret, enum MHD_Result *ret)
{
	const char *reason = NULL;
	char msg[200];

	if (secret.len <= SECRET_MAX_LEN &&
	    memchr(secret.p, '\0', secret.len) == NULL &&
	    secret_policy_check(secret, ext, k->api->common, &reason) == 0)
		return true;
	snprintf(msg, sizeof(msg), "invalid 'secret': refused (%s)",
	    reason != NULL ? reason : "does not meet the policy");
	*ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body", msg);
	return false;
}

/* The extension named by the path, checked; false after answering. */
static bool
api_user_ext(struct api_call *k, struct sv ext, char *out, enum MHD_Result *ret)
{
	if (!users_ext_valid(ext)) {
		*ret = api_bad_param(k->conn, "ext", "an extension");
		return false;
	}
	if (k->access == RBAC_SELF && !sv_eq(ext, sv_cstr(k->key.ext))) {
		*ret = api_error(k->conn, MHD_HTTP_FORBIDDEN, "forbidden",
		    "not allowed for this key");
		return false;
	}
	memcpy(out, ext.p, ext.len);
	out[ext.len] = '\0';
	return true;
}

static enum MHD_Result
api_user_missing(struct api_call *k, const char *ext)
{
	char msg[80];

	snprintf(msg, sizeof(msg), "no extension %s", ext);
	return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found", msg);
}

/* DELETE /api/v1/users/EXT: as `rempart user remove`. */
static enum MHD_Result
api_user_remove(struct api_call *k)
{
	char ext[USERS_EXT_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	struct user_info u;
	int rc;

	if (!api_user_ext(k, k->tail, ext, &ret))
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = users_get_info(k->api->db, sv_cstr(ext), &u);
		if (rc == 0)
			rc = users_remove(k->api->db, sv_cstr(ext));
		if (rc == 0)
			rc = api_audit_change(k, "user.remove", ext,
			    json_pack("{s:s,s:b}", "name", u.display_name,
			        "enabled", u.enabled),
			    NULL);
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_user_missing(k, ext);
	if (rc == -EBUSY)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "in_use",
		    "a DID or another extension's alternate still names "
		    "it");
	if (rc != 0)
		return api_store_error(k->conn, "users.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "ext", ext, "removed", 1), NULL, NULL);
}

/* Stores new credentials for 'ext' with the audit entry. */
static int
api_user_store_secret(struct api_call *k, const char *ext, struct sv secret)
{
	char realm[SETTINGS_VALUE_MAX + 1];
	struct sip_auth_ha1 ha1;
	int rc;

	rc = settings_get(k->api->db, SETTINGS_SIP_REALM, realm, sizeof(realm));
	if (rc == 0)
		rc = sip_auth_ha1_set(
		    &ha1, sv_cstr(ext), sv_cstr(realm), secret);
	if (rc != 0)
		return rc;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = users_set_ha1(k->api->db, k->api->keys, sv_cstr(ext),
		    ha1.md5, ha1.sha256, (int64_t)time(NULL));
		/* That the credentials changed, never what they are. */
		if (rc == 0)
			rc = api_audit_change(k, "user.passwd", ext, NULL,
			    json_pack("{s:s}", "credentials", "replaced"));
		rc = api_tx_end(k->api, rc);
	}
	sip_auth_ha1_wipe(&ha1);
	return rc;
}

/* POST /api/v1/users/EXT/secret {secret?}: a new SIP secret (the
 * helpdesk's reset, R-AUTH-3), generated and returned once unless
 * given. */
static enum MHD_Result
api_user_secret(struct api_call *k)
{
	static const char *const members[] = {"secret", NULL};
	char ext[USERS_EXT_MAX + 1], secret[SECRET_MAX_LEN + 2];
	enum MHD_Result ret = MHD_NO;
	struct sv e = k->tail, given;
	json_t *o, *body;
	bool generated;
	int rc;

	if (!api_user_ext(k, e, ext, &ret))
		return ret;
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	given = api_json_sv(o, "secret");
	if (!api_body_members_ok(o, members)) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes secret");
	}
	if (json_object_get(o, "secret") != NULL && given.p == NULL) {
		api_body_free(o);
		return api_bad_field(k->conn, "secret", "a string");
	}
	if (given.p != NULL && !api_user_secret_ok(k, e, given, &ret)) {
		api_body_free(o);
		return ret;
	}
	generated = given.p == NULL;
	if (!generated) {
		memcpy(secret, given.p, given.len);
		secret[given.len] = '\0';
		rc = 0;
	} else {
		rc = secret_generate(
		    secret, sizeof(secret), SECRET_GEN_DEFAULT_LEN);
	}
	api_body_free(o);
	if (rc == 0)
		rc = api_user_store_secret(k, ext, sv_cstr(secret));
	if (rc != 0) {
		sodium_memzero(secret, sizeof(secret));
		if (rc == -ENOENT)
			return api_user_missing(k, ext);
		return api_store_error(k->conn, "users.secret", rc);
	}
	api_reload(k->api);
	body = json_pack("{s:s,s:s}", "ext", ext, "credentials", "replaced");
	if (body != NULL && generated &&
	    json_object_set_new(body, "secret", json_string(secret)) != 0) {
		json_decref(body);
		body = NULL;
	}
	sodium_memzero(secret, sizeof(secret));
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

const struct api_route_def api_routes_userops[] = {
    {"users/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_USERS_WRITE,
        {NULL}, api_user_remove},
    {"users/*/secret", MHD_HTTP_METHOD_POST, API_TAIL_INNER, RBAC_PIN_RESET,
        {NULL}, api_user_secret},
    {.path = NULL},
};
