/* The administration API: administrator accounts (R-ADMIN-1, R-AUTH-2,
 * R-AUTH-6), as `rempart admin` manages them. A password is given in
 * the body or generated and returned once; neither it, its hash nor a
 * TOTP secret is ever sent back or audited. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "policy/adminpw.h"
#include "policy/secret.h"
#include "store/admins.h"
#include "store/db.h"
#include "store/users.h"

/* Room for the longest password and one byte more, which tells a
 * password that is too long. */
#define API_ADMIN_PW_BUF (ADMINPW_MAX_LEN + 2u)

/* What may be shown of an account: never a hash or a TOTP secret. */
static json_t *
api_admin_json(const struct admins_account *a, int64_t now)
{
	return json_pack("{s:s,s:s,s:s,s:b,s:b,s:b,s:b,s:b,s:I,s:I,s:I,s:I}",
	    "name", a->name, "role", a->role, "ext", a->ext, "totp_set",
	    a->totp_set, "totp_enrolled", a->totp_enrolled, "disabled",
	    a->disabled, "locked", adminpw_locked(&a->lock, now),
	    "password_expired", adminpw_expired(a->password_changed_at, now),
	    "password_changed_at", (json_int_t)a->password_changed_at,
	    "last_login", (json_int_t)a->last_login, "created_at",
	    (json_int_t)a->created_at, "updated_at", (json_int_t)a->updated_at);
}

static json_t *
api_admin_row(const void *row)
{
	return api_admin_json(row, (int64_t)time(NULL));
}

/* The state the audit log keeps of an account, as the command line
 * wrote it: "ext" only for the user role. */
static json_t *
api_admin_state(const struct admins_account *a)
{
	json_t *o = json_pack("{s:s,s:b,s:b}", "role", a->role, "totp_enrolled",
	    a->totp_enrolled, "disabled", a->disabled);

	if (o != NULL && a->ext[0] != '\0' &&
	    json_object_set_new(o, "ext", json_string(a->ext)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/* api_admin_state() with whether the account is locked at 'now'. */
static json_t *
api_admin_state_locked(const struct admins_account *a, int64_t now)
{
	json_t *o = api_admin_state(a);

	if (o != NULL &&
	    json_object_set_new(o, "locked",
	        json_boolean(adminpw_locked(&a->lock, now))) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
api_admin_cb(void *arg, const struct admins_account *a)
{
	return api_walk_add(arg, api_admin_row, a);
}

/* GET /api/v1/admins: every account, by name. */
static enum MHD_Result
api_admins(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, (uint64_t)time(NULL)};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = admins_list(k->api->db, api_admin_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "admins", rc);
	}
	return api_page_send(k, &pg, w.total);
}

/* The account named by the path, checked; false after answering. */
static bool
api_admin_name(
    struct api_call *k, char out[ADMINS_NAME_MAX + 1], enum MHD_Result *ret)
{
	if (!admins_name_valid(k->tail)) {
		*ret = api_bad_param(k->conn, "name",
		    "an account name (1-32 of a-z, 0-9, '.', '_', '-', "
		    "starting with a letter or digit)");
		return false;
	}
	memcpy(out, k->tail.p, k->tail.len);
	out[k->tail.len] = '\0';
	return true;
}

static enum MHD_Result
api_admin_missing(struct api_call *k, const char *name)
{
	char msg[80];

	snprintf(msg, sizeof(msg), "no account %s", name);
	return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found", msg);
}

/* The password of the body's member "password", checked against the
 * policy (R-AUTH-2) for the account 'name', into 'out'; or, when the
 * member is absent, a generated one (*generated set). Returns true
 * when 'out' holds it, having answered 400 otherwise. */
static bool
api_admin_password(struct api_call *k, json_t *o, const char *name,
    char out[API_ADMIN_PW_BUF], bool *generated, enum MHD_Result *ret)
{
	struct sv pw = api_json_sv(o, "password");
	const char *reason = NULL;
	char msg[160];

	*generated = false;
	if (json_object_get(o, "password") == NULL) {
		if (secret_generate(out, API_ADMIN_PW_BUF, 0) == 0) {
			*generated = true;
			return true;
		}
		*ret = api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "cannot generate a password");
		return false;
	}
	if (pw.p == NULL) {
		*ret = api_bad_field(k->conn, "password", "a string");
		return false;
	}
	/* The command line's wording, which names the field. */
	if (memchr(pw.p, '\0', pw.len) != NULL ||
	    adminpw_check(pw, sv_cstr(name), k->api->common, &reason) != 0) {
		snprintf(msg, sizeof(msg), "password refused: it %s",
		    reason != NULL ? reason : "does not meet the policy");
		*ret = api_error(
		    k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body", msg);
		return false;
	}
	memcpy(out, pw.p, pw.len);
	out[pw.len] = '\0';
	return true;
}

/* The members of POST /admins, checked; false after answering. */
static bool
api_admin_add_fields(struct api_call *k, json_t *o, struct sv *name,
    struct sv *role, struct sv *ext, enum MHD_Result *ret)
{
	static const char *const members[] = {
	    "name", "role", "ext", "password", NULL};

	*name = api_json_sv(o, "name");
	*role = api_json_sv(o, "role");
	*ext = api_json_sv(o, "ext");
	if (!api_body_members_ok(o, members))
		*ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes name, role, ext, "
		    "password");
	else if (!admins_name_valid(*name))
		*ret = api_bad_field(k->conn, "name",
		    "1-32 of a-z, 0-9, '.', '_', '-', starting with a letter "
		    "or digit");
	else if (!admins_role_valid(*role))
		*ret = api_bad_field(
		    k->conn, "role", "admin, auditor, helpdesk or user");
	else if (json_object_get(o, "ext") != NULL && ext->p == NULL)
		*ret = api_bad_field(k->conn, "ext", "a string");
	else if (sv_eq(*role, SV("user")) ? !users_ext_valid(*ext)
	                                  : ext->len != 0)
		*ret = api_bad_field(k->conn, "ext",
		    "an extension, needed by the user role and only by it");
	else
		return true;
	return false;
}

/* POST /api/v1/admins {name, role, ext?, password?}: as `rempart admin
 * add`; a generated password is returned once. */
static enum MHD_Result
api_admin_add(struct api_call *k)
{
	char pw[API_ADMIN_PW_BUF], hash[ADMINS_HASH_STRLEN];
	char name[ADMINS_NAME_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	struct admins_account a;
	struct sv n, role, ext;
	bool generated = false;
	json_t *o, *body;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_admin_add_fields(k, o, &n, &role, &ext, &ret)) {
		api_body_free(o);
		return ret;
	}
	memcpy(name, n.p, n.len);
	name[n.len] = '\0';
	if (!api_admin_password(k, o, name, pw, &generated, &ret)) {
		api_body_free(o);
		return ret;
	}
	/* Slow: hashed before the transaction. */
	rc = admins_hash_password(sv_cstr(pw), hash);
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_add(k->api->db, sv_cstr(name), role, ext, hash,
		    (int64_t)time(NULL));
		if (rc == 0)
			rc = admins_get(k->api->db, sv_cstr(name), &a);
		if (rc == 0)
			rc = api_audit_change(
			    k, "admin.add", name, NULL, api_admin_state(&a));
		rc = api_tx_end(k->api, rc);
	}
	api_body_free(o);
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		if (rc == -EEXIST) {
			char msg[80];

			snprintf(msg, sizeof(msg), "account %s already exists",
			    name);
			return api_error(
			    k->conn, MHD_HTTP_CONFLICT, "exists", msg);
		}
		return api_store_error(k->conn, "admins.add", rc);
	}
	api_reload(k->api);
	body = api_admin_json(&a, (int64_t)time(NULL));
	if (body != NULL && generated &&
	    json_object_set_new(body, "password", json_string(pw)) != 0) {
		json_decref(body);
		body = NULL;
	}
	sodium_memzero(pw, sizeof(pw));
	return api_send(k->conn, MHD_HTTP_CREATED, body, NULL, NULL);
}

/* POST /api/v1/admins/NAME/password {password?}: as `rempart admin
 * passwd`; ends the account's sessions. */
static enum MHD_Result
api_admin_passwd(struct api_call *k)
{
	static const char *const members[] = {"password", NULL};
	char pw[API_ADMIN_PW_BUF], hash[ADMINS_HASH_STRLEN];
	char name[ADMINS_NAME_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	bool generated = false;
	uint64_t ended = 0;
	json_t *o, *body;
	int rc;

	if (!api_admin_name(k, name, &ret))
		return ret;
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members)) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes password");
	}
	if (!api_admin_password(k, o, name, pw, &generated, &ret)) {
		api_body_free(o);
		return ret;
	}
	api_body_free(o);
	rc = admins_hash_password(sv_cstr(pw), hash);
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_set_password(k->api->db, sv_cstr(name), hash,
		    (int64_t)time(NULL), &ended);
		if (rc == 0)
			rc = api_audit_change(k, "admin.passwd", name, NULL,
			    json_pack("{s:s,s:I}", "password", "replaced",
			        "sessions_ended", (json_int_t)ended));
		rc = api_tx_end(k->api, rc);
	}
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		if (rc == -ENOENT)
			return api_admin_missing(k, name);
		return api_store_error(k->conn, "admins.passwd", rc);
	}
	api_reload(k->api);
	body = json_pack("{s:s,s:s,s:I}", "name", name, "password", "replaced",
	    "sessions_ended", (json_int_t)ended);
	/* A generated password replaces "replaced": shown once. */
	if (body != NULL && generated &&
	    json_object_set_new(body, "password", json_string(pw)) != 0) {
		json_decref(body);
		body = NULL;
	}
	sodium_memzero(pw, sizeof(pw));
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

enum api_admin_change {
	API_ADMIN_RESET_TOTP,
	API_ADMIN_DISABLE,
	API_ADMIN_ENABLE,
	API_ADMIN_UNLOCK,
	API_ADMIN_REMOVE,
};

static const char *const api_admin_actions[] = {
    [API_ADMIN_RESET_TOTP] = "admin.reset_totp",
    [API_ADMIN_DISABLE] = "admin.disable",
    [API_ADMIN_ENABLE] = "admin.enable",
    [API_ADMIN_UNLOCK] = "admin.unlock",
    [API_ADMIN_REMOVE] = "admin.remove",
};

static int
api_admin_count_cb(void *arg, const struct admins_account *a)
{
	if (strcmp(a->role, "admin") == 0 && !a->disabled)
		(*(uint64_t *)arg)++;
	return 0;
}

/* -EMLINK when taking 'a' away leaves no enabled admin account, so
 * nobody could administer through the API or the console any more.
 * The host's own operator (the local socket) may: it can always add an
 * account again with `rempart admin add`. */
static int
api_admin_not_last(struct api_call *k, const struct admins_account *a)
{
	uint64_t n = 0;
	int rc;

	if (k->local || strcmp(a->role, "admin") != 0 || a->disabled)
		return 0;
	rc = admins_list(k->api->db, api_admin_count_cb, &n);
	if (rc != 0)
		return rc;
	return n <= 1 ? -EMLINK : 0;
}

/* One change of an account and its audit entry, in one transaction. */
static int
api_admin_apply(struct api_call *k, enum api_admin_change what,
    const char *name, struct admins_account *a)
{
	struct adminpw_lock clear = {0};
	int64_t now = (int64_t)time(NULL);
	struct db *db = k->api->db;
	json_t *before = NULL;
	int rc;

	rc = db_tx_begin(db);
	if (rc != 0)
		return rc;
	rc = admins_get(db, sv_cstr(name), a);
	if (rc == 0 && (what == API_ADMIN_DISABLE || what == API_ADMIN_REMOVE))
		rc = api_admin_not_last(k, a);
	if (rc == 0) {
		before = what == API_ADMIN_REMOVE
		             ? api_admin_state(a)
		             : api_admin_state_locked(a, now);
		if (before == NULL)
			rc = -ENOMEM;
	}
	if (rc == 0 && what == API_ADMIN_RESET_TOTP)
		rc = admins_totp_reset(db, sv_cstr(name), now);
	else if (rc == 0 && what == API_ADMIN_UNLOCK)
		rc = admins_set_lock(db, sv_cstr(name), &clear);
	else if (rc == 0 && what == API_ADMIN_REMOVE)
		rc = admins_remove(db, sv_cstr(name));
	else if (rc == 0)
		rc = admins_set_disabled(
		    db, sv_cstr(name), what == API_ADMIN_DISABLE, now);
	if (rc == 0 && what != API_ADMIN_REMOVE)
		rc = admins_get(db, sv_cstr(name), a);
	if (rc == 0) {
		rc = api_audit_change(k, api_admin_actions[what], name, before,
		    what == API_ADMIN_REMOVE ? NULL
		                             : api_admin_state_locked(a, now));
		before = NULL;
	}
	json_decref(before);
	return api_tx_end(k->api, rc);
}

static enum MHD_Result
api_admin_change(struct api_call *k, enum api_admin_change what)
{
	char name[ADMINS_NAME_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	struct admins_account a;
	json_t *body;
	int rc;

	if (!api_admin_name(k, name, &ret))
		return ret;
	rc = api_admin_apply(k, what, name, &a);
	if (rc == -ENOENT)
		return api_admin_missing(k, name);
	if (rc == -EMLINK)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "last_admin",
		    "the last enabled admin account cannot be disabled or "
		    "removed");
	if (rc != 0)
		return api_store_error(k->conn, "admins.change", rc);
	api_reload(k->api);
	if (what == API_ADMIN_REMOVE)
		body = json_pack("{s:s,s:b}", "name", name, "removed", 1);
	else
		body = api_admin_json(&a, (int64_t)time(NULL));
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* PATCH /api/v1/admins/NAME {enabled}: as `rempart admin enable` and
 * `rempart admin disable`. */
static enum MHD_Result
api_admin_patch(struct api_call *k)
{
	static const char *const members[] = {"enabled", NULL};
	char name[ADMINS_NAME_MAX + 1];
	enum MHD_Result ret = MHD_NO;
	bool enabled, ok = false;
	json_t *o, *v;

	if (!api_admin_name(k, name, &ret))
		return ret;
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	v = json_object_get(o, "enabled");
	enabled = json_is_true(v);
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes enabled");
	else if (!json_is_boolean(v))
		ret = api_bad_field(k->conn, "enabled", "true or false");
	else
		ok = true;
	json_decref(o);
	if (!ok)
		return ret;
	return api_admin_change(
	    k, enabled ? API_ADMIN_ENABLE : API_ADMIN_DISABLE);
}

/* DELETE /api/v1/admins/NAME: as `rempart admin remove`. */
static enum MHD_Result
api_admin_remove(struct api_call *k)
{
	return api_admin_change(k, API_ADMIN_REMOVE);
}

/* POST /api/v1/admins/NAME/totp-reset: the account enrols again at its
 * next login. */
static enum MHD_Result
api_admin_totp_reset(struct api_call *k)
{
	return api_admin_change(k, API_ADMIN_RESET_TOTP);
}

/* POST /api/v1/admins/NAME/unlock: clears the lockout. */
static enum MHD_Result
api_admin_unlock(struct api_call *k)
{
	return api_admin_change(k, API_ADMIN_UNLOCK);
}

const struct api_route_def api_routes_admins[] = {
    {"admins", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_ADMINS_MANAGE,
        {"limit", "offset", NULL}, api_admins},
    {"admins", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_ADMINS_MANAGE, {NULL},
        api_admin_add},
    {"admins/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_ADMINS_MANAGE,
        {NULL}, api_admin_patch},
    {"admins/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_ADMINS_MANAGE,
        {NULL}, api_admin_remove},
    {"admins/*/password", MHD_HTTP_METHOD_POST, API_TAIL_INNER,
        RBAC_ADMINS_MANAGE, {NULL}, api_admin_passwd},
    {"admins/*/totp-reset", MHD_HTTP_METHOD_POST, API_TAIL_INNER,
        RBAC_ADMINS_MANAGE, {NULL}, api_admin_totp_reset},
    {"admins/*/unlock", MHD_HTTP_METHOD_POST, API_TAIL_INNER,
        RBAC_ADMINS_MANAGE, {NULL}, api_admin_unlock},
    {.path = NULL},
};
