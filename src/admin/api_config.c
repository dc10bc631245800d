/* The administration API: the configuration as a YAML file (R-ADMIN-5),
 * as `rempart config export|import` handles it (admin/config.h).
 *
 * An import is checked whole before anything is written; its errors
 * come back with their lines. The changes are written in one
 * transaction with one audit entry per changed object (action
 * "config.KIND.add|set|remove", its fields before and after), then the
 * daemon reloads once. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "admin/config.h"
#include "core/buf.h"
#include "store/db.h"

static const char *const api_config_op[] = {
    [CONFIG_ADD] = "add",
    [CONFIG_CHANGE] = "change",
    [CONFIG_REMOVE] = "remove",
};

static const char *const api_config_verb[] = {
    [CONFIG_ADD] = "add",
    [CONFIG_CHANGE] = "set",
    [CONFIG_REMOVE] = "remove",
};

/* GET /api/v1/config: the YAML export (no secret in it). */
static enum MHD_Result
api_config_export(struct api_call *k)
{
	struct config *cfg = NULL;
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct buf b;
	int rc;

	rc = config_read(k->api->db, k->api->keys, (int64_t)time(NULL), &cfg);
	if (rc != 0)
		return api_store_error(k->conn, "config.export", rc);
	buf_init(&b, 0);
	rc = config_write(cfg, &b);
	config_free(cfg);
	if (rc != 0) {
		buf_release(&b);
		return api_store_error(k->conn, "config.export", rc);
	}
	r = MHD_create_response_from_buffer(
	    b.len, b.data, MHD_RESPMEM_MUST_COPY);
	buf_release(&b);
	if (r == NULL)
		return MHD_NO;
	api_headers(r);
	MHD_del_response_header(
	    r, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(
	    r, "Content-Type", "application/yaml; charset=utf-8");
	ret = MHD_queue_response(k->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* 400 with the file's errors: {"error": {code, message, errors:
 * [{line, message}], dropped}}; line 0 when none applies. */
static enum MHD_Result
api_config_refused(struct api_call *k, const struct config_errors *errs)
{
	json_t *list = json_array(), *err, *o;

	for (unsigned i = 0; list != NULL && i < errs->n; i++)
		json_array_append_new(list,
		    json_pack("{s:I,s:s}", "line", (json_int_t)errs->e[i].line,
		        "message", errs->e[i].text));
	err = json_pack("{s:s,s:s,s:o*,s:I}", "code", "invalid_config",
	    "message", "the configuration file is refused, nothing changed",
	    "errors", list, "dropped", (json_int_t)errs->dropped);
	o = err != NULL ? json_pack("{s:o}", "error", err) : NULL;
	return api_send(k->conn, MHD_HTTP_BAD_REQUEST, o, NULL, NULL);
}

static int
api_config_change_cb(void *arg, const struct config_change *ch)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s*,s:I}", "op",
	    api_config_op[ch->op], "kind", ch->kind, "key", ch->key, "fields",
	    ch->op == CONFIG_CHANGE ? ch->fields : NULL, "line",
	    (json_int_t)ch->line);

	if (o == NULL)
		return -ENOMEM;
	return json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

/* A state of the diff (JSON text, "" for none) as the audit entry's. */
static json_t *
api_config_state(struct sv text)
{
	if (text.len == 0)
		return NULL;
	return json_loadb(text.p, text.len, 0, NULL);
}

static int
api_config_audit_cb(void *arg, const struct config_change *ch)
{
	char action[64];

	snprintf(action, sizeof(action), "config.%s.%s", ch->kind,
	    api_config_verb[ch->op]);
	return api_audit_change(arg, action, ch->key,
	    api_config_state(ch->before), api_config_state(ch->after));
}

/* dry_run and prune_users: "true" or "false", false when absent. */
static int
api_config_flag(struct api_call *k, const char *name, bool *out)
{
	const char *v = api_param(k, name);

	*out = false;
	if (v == NULL || strcmp(v, "false") == 0)
		return 0;
	if (strcmp(v, "true") == 0) {
		*out = true;
		return 0;
	}
	return -EINVAL;
}

/* Checks, diffs and (unless a dry run) applies 'next'. Returns the
 * answer. */
static enum MHD_Result
api_config_run(struct api_call *k, struct config *next,
    const struct config_opts *o, bool dry_run, struct config_errors *errs)
{
	int64_t now = (int64_t)time(NULL);
	struct config *cur = NULL;
	json_t *changes = json_array();
	size_t n;
	int rc;

	if (changes == NULL)
		return api_store_error(k->conn, "config.import", -ENOMEM);
	rc = config_read(k->api->db, k->api->keys, now, &cur);
	if (rc != 0) {
		json_decref(changes);
		return api_store_error(k->conn, "config.import", rc);
	}
	rc = config_check(cur, next, o, errs);
	if (rc == 0)
		rc = config_diff(cur, next, o, api_config_change_cb, changes);
	n = json_array_size(changes);
	if (rc == 0 && !dry_run && n != 0) {
		rc = db_tx_begin(k->api->db);
		if (rc == 0) {
			rc = config_apply(k->api->db, k->api->keys, cur, next,
			    o, now, api_config_audit_cb, k, errs);
			rc = api_tx_end(k->api, rc);
		}
	}
	config_free(cur);
	if (rc == -EBADMSG) {
		json_decref(changes);
		return api_config_refused(k, errs);
	}
	if (rc != 0) {
		json_decref(changes);
		return api_store_error(k->conn, "config.import", rc);
	}
	if (!dry_run && n != 0)
		api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:o,s:b,s:b}", "changes", changes, "dry_run", dry_run,
	        "applied", !dry_run && n != 0),
	    NULL, NULL);
}

/* The importer's variable 'name', from the request's "secret_env". */
static const char *
api_config_env(void *arg, const char *name)
{
	return json_string_value(json_object_get(arg, name));
}

/* The JSON form of an import: {"file": YAML text, "secret_env": {VAR:
 * value}}, for a file whose trunks take their secret from the
 * importer's environment. *file views into *doc. NULL after
 * answering 400. */
static json_t *
api_config_envelope(struct api_call *k, struct sv *file, enum MHD_Result *ret)
{
	json_t *doc = json_loadb(k->body.p != NULL ? k->body.p : "",
	    k->body.len, JSON_REJECT_DUPLICATES, NULL);
	json_t *env = json_object_get(doc, "secret_env"), *v;
	const char *name;

	if (!json_is_string(json_object_get(doc, "file")) ||
	    (env != NULL && !json_is_object(env)) ||
	    json_object_size(doc) != (env != NULL ? 2u : 1u)) {
		json_decref(doc);
		*ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "a JSON import is {\"file\": the YAML text, "
		    "\"secret_env\": {VARIABLE: value}}");
		return NULL;
	}
	json_object_foreach(env, name, v)
	{
		if (!json_is_string(v)) {
			json_decref(doc);
			*ret = api_bad_field(k->conn, "secret_env",
			    "each variable's value is a string");
			return NULL;
		}
	}
	*file = sv_make(json_string_value(json_object_get(doc, "file")),
	    json_string_length(json_object_get(doc, "file")));
	return doc;
}

/* Wipes the secrets of a JSON import, then frees it. */
static void
api_config_envelope_free(json_t *doc)
{
	api_body_free(json_object_get(doc, "secret_env") != NULL
	                  ? json_incref(json_object_get(doc, "secret_env"))
	                  : NULL);
	api_body_free(doc);
}

/* POST /api/v1/config/import[?dry_run=true][&prune_users=true] with
 * the YAML file as the body (application/yaml, text/yaml or
 * text/plain), or as {"file", "secret_env"} (application/json) when
 * new trunk secrets come from the importer's environment: answers the
 * diff ({changes: [{op, kind, key, fields, line}], dry_run, applied})
 * and applies it atomically, or 400 with every error of the file and
 * its line. */
static enum MHD_Result
api_config_import(struct api_call *k)
{
	const char *type = MHD_lookup_connection_value(
	    k->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct sv t = sv_cstr(type), file = k->body;
	struct config_opts o = {0};
	struct config_errors *errs;
	struct config *next = NULL;
	json_t *doc = NULL;
	enum MHD_Result ret = MHD_NO;
	bool dry_run, json;
	int rc;

	if (api_config_flag(k, "dry_run", &dry_run) != 0)
		return api_bad_param(k->conn, "dry_run", "true or false");
	if (api_config_flag(k, "prune_users", &o.prune_users) != 0)
		return api_bad_param(k->conn, "prune_users", "true or false");
	json = type != NULL && sv_istarts_with(t, SV("application/json"));
	if (type == NULL ||
	    !(json || sv_istarts_with(t, SV("application/yaml")) ||
	        sv_istarts_with(t, SV("text/yaml")) ||
	        sv_istarts_with(t, SV("text/plain"))))
		return api_error(k->conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "unsupported_media_type",
		    "the body is a configuration file: Content-Type "
		    "application/yaml");
	if (k->body_over || (!json && k->body.len > CONFIG_FILE_MAX))
		return api_error(k->conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "too_large", "request body too large");
	if (json) {
		doc = api_config_envelope(k, &file, &ret);
		if (doc == NULL)
			return ret;
		o.env = api_config_env;
		o.env_arg = json_object_get(doc, "secret_env");
	}
	errs = calloc(1, sizeof(*errs));
	if (errs == NULL) {
		api_config_envelope_free(doc);
		return api_store_error(k->conn, "config.import", -ENOMEM);
	}
	rc = config_parse(file, &next, errs);
	if (rc == -EBADMSG || rc == -E2BIG)
		ret = api_config_refused(k, errs);
	else if (rc != 0)
		ret = api_store_error(k->conn, "config.import", rc);
	else
		ret = api_config_run(k, next, &o, dry_run, errs);
	config_free(next);
	free(errs);
	api_config_envelope_free(doc);
	return ret;
}

uint32_t
api_config_body_max(const struct api_route_def *d)
{
	/* The JSON form escapes the file's quotes and line ends. */
	return d->run == api_config_import ? 2 * CONFIG_FILE_MAX : 0;
}

const struct api_route_def api_routes_config[] = {
    {"config", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_SETTINGS_READ, {NULL},
        api_config_export},
    {"config/import", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_SETTINGS_WRITE,
        {"dry_run", "prune_users"}, api_config_import},
    {.path = NULL},
};
