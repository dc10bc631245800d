/* The administration API: administrator logins, sessions, password
 * changes and TOTP enrolment (R-AUTH-2, R-AUTH-6). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "admin/totp.h"
#include "core/log.h"
#include "policy/adminpw.h"
#include "policy/secret.h"
#include "store/admins.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/keys.h"

/* RFC 6265bis §4.1.3.2: a __Host- cookie is Secure, has Path=/ and no
 * Domain, so no other host or path can set or shadow it. */
#define API_COOKIE "__Host-rempart_session"
#define API_COOKIE_ATTRS "; Path=/; Secure; HttpOnly; SameSite=Strict"
#define API_CSRF_HEADER "X-CSRF-Token"
#define API_TOTP_ISSUER "rempart"
#define API_LOGIN_FAILED "invalid name, password or code"

/* ---- Administrator logins and sessions (R-AUTH-2, R-AUTH-6). ---- */

enum api_sroute {
	API_SROUTE_LOGOUT,
	API_SROUTE_PASSWORD,
	API_SROUTE_TOTP_ENROL,
	API_SROUTE_TOTP_CONFIRM,
	API_SROUTE_SESSION,
};

/* Endpoints of a login session: the method each takes, and whether an
 * account that must change its password or enrol TOTP may use it. */
static const struct api_sroute_def {
	const char *path;
	enum api_sroute route;
	const char *method;
	bool when_must_change;
	bool when_must_enrol;
} api_sroutes[] = {
    {"logout", API_SROUTE_LOGOUT, MHD_HTTP_METHOD_POST, true, true},
    {"password", API_SROUTE_PASSWORD, MHD_HTTP_METHOD_POST, true, false},
    {"totp/enrol", API_SROUTE_TOTP_ENROL, MHD_HTTP_METHOD_POST, false, true},
    {"totp/confirm", API_SROUTE_TOTP_CONFIRM, MHD_HTTP_METHOD_POST, false,
        true},
    {"session", API_SROUTE_SESSION, MHD_HTTP_METHOD_GET, true, true},
};

const struct api_sroute_def *
api_sroute_find(const char *url)
{
	struct sv path = sv_cstr(url);

	if (!sv_starts_with(path, SV(API_PREFIX)))
		return NULL;
	path = sv_skip(path, sizeof(API_PREFIX) - 1);
	for (size_t i = 0; i < RP_ARRAY_LEN(api_sroutes); i++)
		if (sv_eq(path, sv_cstr(api_sroutes[i].path)))
			return &api_sroutes[i];
	return NULL;
}

static enum MHD_Result
api_login_failed(struct MHD_Connection *c)
{
	return api_error(
	    c, MHD_HTTP_UNAUTHORIZED, "login_failed", API_LOGIN_FAILED);
}

/* Records a failed attempt on the existing account k->acct: the
 * lockout state, the audit entry, and the lockout's entry when this
 * failure locks the account (R-AUTH-6). */
static int
api_record_failure(
    struct api_call *k, const char *action, const char *why, int64_t now)
{
	struct adminpw_lock l = k->acct.lock;
	struct sv name = sv_cstr(k->acct.name);
	bool locked;
	int rc;

	rc = db_tx_begin(k->api->db);
	if (rc != 0)
		return rc;
	locked = adminpw_fail(&l, now);
	rc = admins_set_lock(k->api->db, name, &l);
	if (rc == 0)
		rc = api_audit_write(k, k->acct.name, k->acct.role, action,
		    k->acct.name,
		    json_pack("{s:s,s:I}", "reason", why, "failures",
		        (json_int_t)l.failures));
	if (rc == 0 && locked)
		rc = api_audit_write(k, k->acct.name, k->acct.role,
		    "admin.lockout", k->acct.name,
		    json_pack("{s:I,s:I}", "locked_until",
		        (json_int_t)l.locked_until, "locks",
		        (json_int_t)l.locks));
	rc = api_tx_end(k->api, rc);
	if (rc == 0 && locked)
		log_warn("security", "event=admin_locked account=%s src=%s",
		    k->acct.name, k->src);
	return rc;
}

/* The reason a login with the right account fails, or NULL. The
 * password is checked whatever the state, so every failure takes the
 * time of one argon2id verification. */
static const char *
api_login_check(
    struct api_call *k, struct sv pw, struct sv code, int64_t now, int *err)
{
	uint8_t secret[ADMINS_TOTP_BYTES];
	bool pw_ok = admins_password_matches(k->acct.pw_hash, pw);
	int64_t step = 0;
	int rc;

	*err = 0;
	if (k->acct.disabled)
		return "disabled";
	if (adminpw_locked(&k->acct.lock, now))
		return "locked";
	if (!pw_ok)
		return "wrong password";
	if (!k->acct.totp_enrolled)
		return NULL;
	rc = admins_totp_get(
	    k->api->db, k->api->keys, sv_cstr(k->acct.name), secret);
	if (rc == 0)
		rc = totp_verify(secret, ADMINS_TOTP_BYTES, now, code,
		    k->acct.totp_last_step, &step);
	sodium_memzero(secret, sizeof(secret));
	if (rc == 0)
		rc = admins_totp_use(
		    k->api->db, sv_cstr(k->acct.name), step, false);
	if (rc == -EACCES)
		return code.len == 0 ? "code missing" : "wrong code";
	if (rc == -EALREADY)
		return "code replayed";
	*err = rc;
	return rc == 0 ? NULL : "error";
}

/* POST /api/v1/login {name, password, totp?}. */
enum MHD_Result
api_login(struct api_call *k)
{
	char token[ADMINS_TOKEN_STRLEN], csrf[ADMINS_TOKEN_STRLEN],
	    cookie[sizeof(API_COOKIE) + ADMINS_TOKEN_STRLEN +
	           sizeof(API_COOKIE_ATTRS)];
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ret = MHD_NO;
	struct sv name, pw, code;
	const char *why;
	json_t *o, *body;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	name = api_json_sv(o, "name");
	pw = api_json_sv(o, "password");
	code = api_json_sv(o, "totp");
	if (name.p == NULL || pw.p == NULL ||
	    (json_object_get(o, "totp") != NULL && code.p == NULL &&
	        !json_is_null(json_object_get(o, "totp")))) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "name and password are strings; totp is a string");
	}
	rc = admins_name_valid(name) ? admins_get(k->api->db, name, &k->acct)
	                             : -ENOENT;
	if (rc == -ENOENT) {
		char h[ADMINS_HASH_STRLEN];
		bool valid = admins_name_valid(name);

		/* As slow as a wrong password, so the time does not tell
		 * whether the account exists. */
		if (admins_hash_password(pw.len != 0 ? pw : SV("-"), h) == 0)
			sodium_memzero(h, sizeof(h));
		api_body_free(o);
		rc = api_audit_write(k, valid ? k->acct.name : "-", "none",
		    "admin.login_failed", "-",
		    json_pack("{s:s}", "reason", "unknown account"));
		if (rc != 0)
			return api_store_error(k->conn, "login", rc);
		return api_login_failed(k->conn);
	}
	if (rc != 0) {
		api_body_free(o);
		return api_store_error(k->conn, "login", rc);
	}
	why = api_login_check(k, pw, code, now, &rc);
	api_body_free(o);
	if (rc != 0)
		return api_store_error(k->conn, "login", rc);
	if (why != NULL) {
		/* Attempts on a locked or disabled account do not count:
		 * they would only extend the lock. */
		if (strcmp(why, "locked") == 0 ||
		    strcmp(why, "disabled") == 0) {
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.login_failed", k->acct.name,
			    json_pack("{s:s}", "reason", why));
		} else {
			rc = api_record_failure(
			    k, "admin.login_failed", why, now);
		}
		if (rc != 0)
			return api_store_error(k->conn, "login", rc);
		return api_login_failed(k->conn);
	}
	k->must_change = adminpw_expired(k->acct.password_changed_at, now);
	k->must_enrol =
	    admins_role_needs_totp(k->acct.role) && !k->acct.totp_enrolled;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_login_ok(k->api->db, sv_cstr(k->acct.name), now);
		if (rc == 0)
			rc = admins_session_new(k->api->db,
			    sv_cstr(k->acct.name), sv_cstr(k->src), now, token,
			    csrf);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.login", k->acct.name,
			    json_pack("{s:b,s:b}", "must_change_password",
			        k->must_change, "must_enrol_totp",
			        k->must_enrol));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "login", rc);
	body =
	    json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:I,s:I}", "name", k->acct.name,
	        "role", k->acct.role, "ext", k->acct.ext, "csrf_token", csrf,
	        "must_change_password", k->must_change, "must_enrol_totp",
	        k->must_enrol, "idle_timeout_s", (json_int_t)k->api->idle_s,
	        "expires_at", (json_int_t)(now + ADMINS_SESSION_MAX_S));
	snprintf(cookie, sizeof(cookie), "%s=%s%s", API_COOKIE, token,
	    API_COOKIE_ATTRS);
	ret = api_send(
	    k->conn, MHD_HTTP_OK, body, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	sodium_memzero(token, sizeof(token));
	sodium_memzero(cookie, sizeof(cookie));
	sodium_memzero(csrf, sizeof(csrf));
	return ret;
}

/* Authenticates by the session cookie. Returns 0, -EACCES or a store
 * error. */
int
api_session_auth(struct api_call *k, int64_t now)
{
	const char *tok =
	    MHD_lookup_connection_value(k->conn, MHD_COOKIE_KIND, API_COOKIE);
	int rc;

	if (tok == NULL)
		return -EACCES;
	rc = admins_session_check(
	    k->api->db, sv_cstr(tok), now, k->api->idle_s, &k->sess);
	if (rc != 0)
		return rc;
	rc = admins_get(k->api->db, sv_cstr(k->sess.account), &k->acct);
	if (rc == -ENOENT ||
	    (rc == 0 &&
	        (k->acct.disabled || adminpw_locked(&k->acct.lock, now))))
		return -EACCES;
	if (rc != 0)
		return rc;
	if (rbac_role_parse(sv_cstr(k->acct.role), &k->key.role) != 0)
		return -EACCES;
	memcpy(k->key.ext, k->acct.ext, sizeof(k->key.ext));
	api_bucket_id("session",
	    sv_make((const char *)k->sess.id_hash, sizeof(k->sess.id_hash)),
	    k->key.id);
	k->key.last_used_at = now;
	k->session = true;
	k->must_change = adminpw_expired(k->acct.password_changed_at, now);
	k->must_enrol =
	    admins_role_needs_totp(k->acct.role) && !k->acct.totp_enrolled;
	return 0;
}

/* State-changing requests of a session carry its CSRF token. */
bool
api_csrf_ok(struct api_call *k, const char *method)
{
	const char *h;

	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return true;
	h = MHD_lookup_connection_value(
	    k->conn, MHD_HEADER_KIND, API_CSRF_HEADER);
	return h != NULL && strlen(h) == ADMINS_TOKEN_LEN &&
	       sodium_memcmp(h, k->sess.csrf, ADMINS_TOKEN_LEN) == 0;
}

static const char api_cookie_clear[] =
    API_COOKIE "=" API_COOKIE_ATTRS "; Max-Age=0";

/* POST /api/v1/logout. */
static enum MHD_Result
api_logout(struct api_call *k)
{
	int rc = db_tx_begin(k->api->db);

	if (rc == 0) {
		rc = admins_session_end(k->api->db, k->sess.id_hash);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.logout", k->acct.name, NULL);
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "logout", rc);
	return api_send(k->conn, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1),
	    MHD_HTTP_HEADER_SET_COOKIE, api_cookie_clear);
}

/* POST /api/v1/password {old, new}: ends every session of the account
 * (R-AUTH-2). */
static enum MHD_Result
api_password(struct api_call *k)
{
	char hash[ADMINS_HASH_STRLEN], msg[128];
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ret = MHD_NO;
	const char *reason = NULL;
	struct sv old, pw;
	uint64_t ended = 0;
	json_t *o;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	old = api_json_sv(o, "old");
	pw = api_json_sv(o, "new");
	if (old.p == NULL || pw.p == NULL) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "old and new are strings");
	}
	if (!admins_password_matches(k->acct.pw_hash, old)) {
		api_body_free(o);
		rc = api_record_failure(
		    k, "admin.password_failed", "wrong password", now);
		if (rc != 0)
			return api_store_error(k->conn, "password", rc);
		return api_error(k->conn, MHD_HTTP_FORBIDDEN, "wrong_password",
		    "the current password is wrong");
	}
	if (adminpw_check(pw, sv_cstr(k->acct.name), k->api->common, &reason) !=
	        0 ||
	    sv_eq(pw, old)) {
		api_body_free(o);
		snprintf(msg, sizeof(msg), "the new password %s",
		    reason != NULL ? reason
		                   : "must differ from the current one");
		return api_error(
		    k->conn, MHD_HTTP_BAD_REQUEST, "weak_password", msg);
	}
	rc = admins_hash_password(pw, hash);
	api_body_free(o);
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_set_password(
		    k->api->db, sv_cstr(k->acct.name), hash, now, &ended);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.password", k->acct.name,
			    json_pack("{s:s,s:I}", "password", "replaced",
			        "sessions_ended", (json_int_t)ended));
		rc = api_tx_end(k->api, rc);
	}
	sodium_memzero(hash, sizeof(hash));
	if (rc != 0)
		return api_store_error(k->conn, "password", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:I}", "sessions_ended", (json_int_t)ended),
	    MHD_HTTP_HEADER_SET_COOKIE, api_cookie_clear);
}

/* POST /api/v1/totp/enrol: a new secret, pending until confirmed. */
static enum MHD_Result
api_totp_enrol(struct api_call *k)
{
	uint8_t secret[ADMINS_TOTP_BYTES];
	char b32[TOTP_BASE32_STRLEN], uri[256];
	char *qr = NULL;
	json_t *body;
	int rc;

	if (k->acct.totp_enrolled)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "already_enrolled",
		    "TOTP is already enrolled; an administrator can reset it");
	randombytes_buf(secret, sizeof(secret));
	rc = totp_base32(secret, sizeof(secret), b32);
	if (rc == 0)
		rc = totp_uri(
		    API_TOTP_ISSUER, k->acct.name, b32, uri, sizeof(uri));
	if (rc == 0)
		rc = totp_qr_data_url(uri, &qr);
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_totp_set(
		    k->api->db, k->api->keys, sv_cstr(k->acct.name), secret);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.totp_enrol", k->acct.name,
			    json_pack("{s:s}", "totp", "pending"));
		rc = api_tx_end(k->api, rc);
	}
	sodium_memzero(secret, sizeof(secret));
	body = rc == 0
	           ? json_pack("{s:s,s:s,s:s,s:I,s:I}", "secret", b32, "uri",
	                 uri, "qr", qr, "digits", (json_int_t)TOTP_DIGITS,
	                 "period", (json_int_t)TOTP_STEP_S)
	           : NULL;
	sodium_memzero(b32, sizeof(b32));
	sodium_memzero(uri, sizeof(uri));
	free(qr);
	if (rc != 0)
		return api_store_error(k->conn, "totp.enrol", rc);
	return api_send(k->conn, MHD_HTTP_OK, body, NULL, NULL);
}

/* POST /api/v1/totp/confirm {code}: enrols the pending secret. */
static enum MHD_Result
api_totp_confirm(struct api_call *k)
{
	uint8_t secret[ADMINS_TOTP_BYTES];
	int64_t now = (int64_t)time(NULL), step = 0;
	enum MHD_Result ret = MHD_NO;
	struct sv code;
	json_t *o;
	int rc;

	if (k->acct.totp_enrolled)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "already_enrolled",
		    "TOTP is already enrolled");
	if (!k->acct.totp_set)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "not_enrolling",
		    "start with POST /api/v1/totp/enrol");
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	code = api_json_sv(o, "code");
	if (code.p == NULL) {
		api_body_free(o);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "code is a string of 6 digits");
	}
	rc = admins_totp_get(
	    k->api->db, k->api->keys, sv_cstr(k->acct.name), secret);
	if (rc == 0)
		rc = totp_verify(secret, sizeof(secret), now, code,
		    k->acct.totp_last_step, &step);
	sodium_memzero(secret, sizeof(secret));
	api_body_free(o);
	if (rc == -EACCES || rc == -EALREADY) {
		rc = api_record_failure(
		    k, "admin.totp_confirm_failed", "wrong code", now);
		if (rc != 0)
			return api_store_error(k->conn, "totp.confirm", rc);
		return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_code",
		    "wrong code");
	}
	if (rc == 0)
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = admins_totp_use(
		    k->api->db, sv_cstr(k->acct.name), step, true);
		if (rc == 0)
			rc = api_audit_write(k, k->acct.name, k->acct.role,
			    "admin.totp_confirm", k->acct.name,
			    json_pack("{s:s}", "totp", "enrolled"));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "totp.confirm", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:b}", "totp_enrolled", 1), NULL, NULL);
}

/* GET /api/v1/session: who am I, and the session's CSRF token, so a
 * reloaded console page can go on (the cookie is HttpOnly, and no
 * other origin can read this answer). */
static enum MHD_Result
api_session_info(struct api_call *k)
{
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:b,s:b}", "name",
	        k->acct.name, "role", k->acct.role, "ext", k->acct.ext,
	        "csrf_token", k->sess.csrf, "created_at",
	        (json_int_t)k->sess.created_at, "last_seen",
	        (json_int_t)k->sess.last_seen, "expires_at",
	        (json_int_t)(k->sess.created_at + ADMINS_SESSION_MAX_S),
	        "idle_timeout_s", (json_int_t)k->api->idle_s,
	        "must_change_password", k->must_change, "must_enrol_totp",
	        k->must_enrol),
	    NULL, NULL);
}

/* A session that must change its password or enrol TOTP first may
 * only do that (R-AUTH-2, R-AUTH-6). Returns MHD_YES with *done false
 * when the request may go on. */
enum MHD_Result
api_session_gate(
    struct api_call *k, const struct api_sroute_def *sr, bool *done)
{
	*done = true;
	if (k->must_change && (sr == NULL || !sr->when_must_change))
		return api_error(k->conn, MHD_HTTP_FORBIDDEN,
		    "password_change_required",
		    "the password must be changed first "
		    "(POST /api/v1/password)");
	if (k->must_enrol && (sr == NULL || !sr->when_must_enrol))
		return api_error(k->conn, MHD_HTTP_FORBIDDEN,
		    "totp_enrolment_required",
		    "TOTP must be enrolled first (POST /api/v1/totp/enrol)");
	*done = false;
	return MHD_YES;
}

enum MHD_Result
api_session_route(
    struct api_call *k, const struct api_sroute_def *sr, const char *method)
{
	if (!k->session)
		return api_error(k->conn, MHD_HTTP_FORBIDDEN,
		    "session_required", "this endpoint needs a login session");
	if (strcmp(method, sr->method) != 0)
		return api_error_h(k->conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method_not_allowed", "method not allowed", "Allow",
		    sr->method);
	switch (sr->route) {
	case API_SROUTE_LOGOUT:
		return api_logout(k);
	case API_SROUTE_PASSWORD:
		return api_password(k);
	case API_SROUTE_TOTP_ENROL:
		return api_totp_enrol(k);
	case API_SROUTE_TOTP_CONFIRM:
		return api_totp_confirm(k);
	case API_SROUTE_SESSION:
		return api_session_info(k);
	}
	return api_error(
	    k->conn, MHD_HTTP_NOT_FOUND, "not_found", "no such endpoint");
}
