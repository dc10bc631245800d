/* The administration API: the rate table and cost ceilings (R-FRAUD-3).
 * The same store functions and checks as `rempart rate` and `rempart
 * ceiling`, and the same audit entries where the command line has the
 * change.
 *
 * Money is a JSON string of decimal units with up to 6 decimals, as the
 * command line takes it ("0.60", "25.5"); answers give it with 6
 * decimals ("0.600000"). Audit entries keep the command line's shapes:
 * ceilings in micro-units. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "core/log.h"
#include "policy/numplan.h"
#include "policy/rating.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/users.h"

#define API_PREFIX_RULE "'+' and up to 15 digits (\"+\" alone: every number)"
#define API_MONEY_RULE                                                         \
	"a decimal amount as a string, up to 6 decimals, such as \"0.60\""

void
api_rates_plan_load(struct api *a, const char *share_dir)
{
	static const char *const files[] = {
	    "world.txt", "fr.txt", "high-risk.txt"};
	struct numplan_error err = {0, NULL};
	char path[4096];
	int rc;

	if (share_dir == NULL)
		return;
	rc = numplan_new(&a->plan);
	for (size_t i = 0; rc == 0 && i < RP_ARRAY_LEN(files); i++) {
		if (snprintf(path, sizeof(path), "%s/numplan/%s", share_dir,
		        files[i]) >= (int)sizeof(path))
			rc = -ENAMETOOLONG;
		else
			rc = numplan_load_file(a->plan, path, &err);
	}
	if (rc != 0) {
		log_warn("api",
		    "msg=\"number plan not loaded: classes unknown\" err=%d",
		    -rc);
		numplan_free(a->plan);
		a->plan = NULL;
	}
}

static json_t *
api_money(int64_t m)
{
	char text[FRAUDCFG_MONEY_STRLEN];

	if (rating_money_format(m, text, sizeof(text)) < 0)
		return NULL;
	return json_string(text);
}

/* A rate without its prefix: also the audit entry's state. */
static json_t *
api_rate_state(const struct fraudcfg_rate *r)
{
	return json_pack("{s:o,s:o,s:I,s:I,s:s}", "per_minute",
	    api_money(r->rate.per_min), "setup", api_money(r->rate.setup),
	    "first_s", (json_int_t)r->rate.first_s, "incr_s",
	    (json_int_t)r->rate.incr_s, "label", r->rate.label);
}

static json_t *
api_rate_json(const void *row)
{
	const struct fraudcfg_rate *r = row;
	json_t *o = api_rate_state(r);

	if (o != NULL &&
	    json_object_set_new(o, "prefix", json_string(r->prefix)) != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static bool
api_prefix_ok(struct sv p)
{
	if (p.len == 0 || p.p[0] != '+' || p.len - 1 > NUMPLAN_DIGITS_MAX)
		return false;
	for (size_t i = 1; i < p.len; i++)
		if (p.p[i] < '0' || p.p[i] > '9')
			return false;
	return true;
}

struct api_rate_walk {
	struct api_walk w;
	struct sv prefix; /* only rates under this one; SV_NULL: all */
};

static int
api_rate_cb(void *arg, const struct fraudcfg_rate *r)
{
	struct api_rate_walk *rw = arg;

	if (rw->prefix.p != NULL &&
	    !sv_starts_with(sv_cstr(r->prefix), rw->prefix))
		return 0;
	return api_walk_add(&rw->w, api_rate_json, r);
}

/* GET /api/v1/rates[?prefix=+33]: the rate table by prefix; 'prefix'
 * keeps the rates whose prefix begins with it. */
static enum MHD_Result
api_rates(struct api_call *k)
{
	struct api_page pg;
	struct api_rate_walk rw = {{&pg, 0, SV_NULL, 0}, SV_NULL};
	const char *pfx = api_param(k, "prefix");
	char text[FRAUDCFG_PREFIX_STRLEN];
	enum MHD_Result ret;
	struct sv v;
	bool done;
	int rc;

	if (pfx != NULL) {
		/* '+' optional; an unescaped '+' in a query string arrives
		 * as a blank. */
		v = sv_cstr(pfx);
		if (v.len > 0 && (v.p[0] == '+' || v.p[0] == ' '))
			v = sv_skip(v, 1);
		if (v.len + 1 >= sizeof(text))
			return api_bad_param(
			    k->conn, "prefix", API_PREFIX_RULE);
		text[0] = '+';
		memcpy(text + 1, v.p, v.len);
		rw.prefix = sv_make(text, v.len + 1);
		if (!api_prefix_ok(rw.prefix))
			return api_bad_param(
			    k->conn, "prefix", API_PREFIX_RULE);
	}
	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = fraudcfg_rates_list(k->api->db, api_rate_cb, &rw);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "rates", rc);
	}
	return api_page_send(k, &pg, rw.w.total);
}

/* GET /api/v1/rates/PREFIX: the rate of exactly that prefix. */
static enum MHD_Result
api_rate(struct api_call *k)
{
	struct fraudcfg_rate r;
	int rc;

	if (!api_prefix_ok(k->tail))
		return api_bad_param(k->conn, "prefix", API_PREFIX_RULE);
	rc = fraudcfg_rate_get(k->api->db, k->tail, &r);
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no rate for that prefix");
	if (rc != 0)
		return api_store_error(k->conn, "rate", rc);
	return api_send(k->conn, MHD_HTTP_OK, api_rate_json(&r), NULL, NULL);
}

/* GET /api/v1/rates/lookup?number=+33612345678: as `rempart rate show
 * NUMBER`, the rate of the longest prefix covering the number, the cost
 * of one minute, and the number's destination class. */
static enum MHD_Result
api_rate_lookup(struct api_call *k)
{
	const char *text = api_param(k, "number");
	char e164[NUMPLAN_DIGITS_MAX + 2];
	struct numplan_result res;
	struct numplan_ctx ctx;
	struct fraudcfg_rate r;
	struct sv number;
	json_t *o;
	int rc;

	number = sv_trim(sv_cstr(text));
	if (number.len > 0 && number.p[0] == '+')
		number = sv_skip(number, 1);
	rc = text != NULL ? fraudcfg_rate_match(k->api->db, number, &r)
	                  : -EINVAL;
	if (rc == -EINVAL)
		return api_bad_param(k->conn, "number", "'+' and 1-15 digits");
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no rate covers that number");
	if (rc != 0)
		return api_store_error(k->conn, "rates.lookup", rc);
	e164[0] = '+';
	memcpy(e164 + 1, number.p, number.len);
	e164[number.len + 1] = '\0';
	o = api_rate_json(&r);
	if (o == NULL)
		return api_send(k->conn, MHD_HTTP_OK, NULL, NULL, NULL);
	numplan_ctx_france(&ctx);
	if (k->api->plan == NULL ||
	    numplan_classify(k->api->plan, &ctx, sv_cstr(e164), &res) != 0)
		rc = json_object_set_new(o, "class", json_null());
	else
		rc = json_object_set_new(
		    o, "class", json_string(numplan_class_name(res.cls)));
	if (rc == 0)
		rc = json_object_set_new(o, "number", json_string(e164));
	if (rc == 0)
		rc = json_object_set_new(
		    o, "one_minute", api_money(rating_cost(&r.rate, 60)));
	if (rc != 0) {
		json_decref(o);
		o = NULL;
	}
	return api_send(k->conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Reads money member 'name' of 'o' into *out. Returns false when it is
 * there but not valid. */
static bool
api_money_member(json_t *o, const char *name, int64_t *out)
{
	struct sv v;

	if (json_object_get(o, name) == NULL)
		return true;
	v = api_json_sv(o, name);
	return v.p != NULL && rating_money_parse(v, out) == 0;
}

/* A whole number member 'name' of 'o' from 'min' to 'max' into *out.
 * Returns false when it is there but not valid. */
static bool
api_u32_member(
    json_t *o, const char *name, uint32_t min, uint32_t max, uint32_t *out)
{
	json_t *v = json_object_get(o, name);
	json_int_t n;

	if (v == NULL)
		return true;
	if (!json_is_integer(v))
		return false;
	n = json_integer_value(v);
	if (n < (json_int_t)min || n > (json_int_t)max)
		return false;
	*out = (uint32_t)n;
	return true;
}

/* PUT /api/v1/rates/PREFIX {per_minute, incr_s, setup?, first_s?,
 * label?}: adds or replaces one rate, as a line of a rate file. */
static enum MHD_Result
api_rate_put(struct api_call *k)
{
	static const char *const members[] = {
	    "per_minute", "setup", "first_s", "incr_s", "label", NULL};
	struct fraudcfg_rate r = {0}, old;
	enum MHD_Result ret = MHD_NO;
	bool had = false;
	struct sv label;
	json_t *o;
	int rc = -EINVAL;

	if (!api_prefix_ok(k->tail))
		return api_bad_param(k->conn, "prefix", API_PREFIX_RULE);
	memcpy(r.prefix, k->tail.p, k->tail.len);
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	label = json_object_get(o, "label") != NULL ? api_json_sv(o, "label")
	                                            : SV("");
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes per_minute, setup, "
		    "first_s, incr_s and label");
	else if (json_object_get(o, "per_minute") == NULL ||
	         !api_money_member(o, "per_minute", &r.rate.per_min))
		ret = api_bad_field(
		    k->conn, "per_minute", API_MONEY_RULE ", at most 1000");
	else if (!api_money_member(o, "setup", &r.rate.setup))
		ret = api_bad_field(
		    k->conn, "setup", API_MONEY_RULE ", at most 1000");
	else if (!api_u32_member(
	             o, "first_s", 0, RATING_INCR_MAX, &r.rate.first_s))
		ret = api_bad_field(k->conn, "first_s",
		    "0 to 3600 seconds (0: the same as incr_s)");
	else if (json_object_get(o, "incr_s") == NULL ||
	         !api_u32_member(
	             o, "incr_s", 1, RATING_INCR_MAX, &r.rate.incr_s))
		ret = api_bad_field(k->conn, "incr_s", "1 to 3600 seconds");
	else if (label.p == NULL || label.len > RATING_LABEL_MAX ||
	         !numplan_label_ok(label))
		ret = api_bad_field(k->conn, "label",
		    "at most 47 bytes of text without control characters");
	else {
		memcpy(r.rate.label, label.p, label.len);
		rc = 0;
	}
	json_decref(o);
	if (rc != 0)
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_rate_get(k->api->db, sv_cstr(r.prefix), &old);
		had = rc == 0;
		if (rc == -ENOENT)
			rc = 0;
		if (rc == 0)
			rc = fraudcfg_rate_put(k->api->db, &r);
		if (rc == 0)
			rc = api_audit_change(k, "rate.set", r.prefix,
			    had ? api_rate_state(&old) : NULL,
			    api_rate_state(&r));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "rates.set", rc);
	api_reload(k->api);
	return api_send(k->conn, had ? MHD_HTTP_OK : MHD_HTTP_CREATED,
	    api_rate_json(&r), NULL, NULL);
}

/* DELETE /api/v1/rates/PREFIX. */
static enum MHD_Result
api_rate_remove(struct api_call *k)
{
	struct fraudcfg_rate old;
	int rc;

	if (!api_prefix_ok(k->tail))
		return api_bad_param(k->conn, "prefix", API_PREFIX_RULE);
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_rate_get(k->api->db, k->tail, &old);
		if (rc == 0)
			rc = fraudcfg_rate_remove(k->api->db, k->tail);
		if (rc == 0)
			rc = api_audit_change(k, "rate.remove", old.prefix,
			    api_rate_state(&old), NULL);
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no rate for that prefix");
	if (rc != 0)
		return api_store_error(k->conn, "rates.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "prefix", old.prefix, "removed", 1), NULL,
	    NULL);
}

static int
api_rate_count_cb(void *arg, const struct fraudcfg_rate *r)
{
	(void)r;
	(*(uint64_t *)arg)++;
	return 0;
}

/* POST /api/v1/rates/import, a rate file as the body (text/csv or
 * text/plain; the format of `rempart rate import`, policy/rating.h, up
 * to RATING_FILE_MAX bytes): replaces the whole table, or nothing when
 * a line is bad (400 naming it). */
static enum MHD_Result
api_rates_import(struct api_call *k)
{
	const char *type = MHD_lookup_connection_value(
	    k->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	struct numplan_error err = {0, NULL};
	struct sv t = sv_cstr(type);
	uint64_t before = 0;
	size_t count = 0;
	char msg[160];
	int rc;

	if (type == NULL || !(sv_istarts_with(t, SV("text/csv")) ||
	                        sv_istarts_with(t, SV("text/plain"))))
		return api_error(k->conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
		    "unsupported_media_type",
		    "the body is a rate file: Content-Type text/csv or "
		    "text/plain");
	if (k->body_over || k->body.len > RATING_FILE_MAX)
		return api_error(k->conn, MHD_HTTP_CONTENT_TOO_LARGE,
		    "too_large", "request body too large");
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc =
		    fraudcfg_rates_list(k->api->db, api_rate_count_cb, &before);
		if (rc == 0)
			rc = fraudcfg_rates_import(
			    k->api->db, k->body, &err, &count);
		if (rc == 0)
			rc = api_audit_change(k, "rate.import", "rates",
			    json_pack("{s:I}", "rates", (json_int_t)before),
			    json_pack("{s:I,s:I}", "rates", (json_int_t)count,
			        "bytes", (json_int_t)k->body.len));
		rc = api_tx_end(k->api, rc);
	}
	if ((rc == -EBADMSG || rc == -E2BIG) && err.reason != NULL) {
		snprintf(msg, sizeof(msg), "line %u: %s (nothing imported)",
		    err.line, err.reason);
		return api_error(
		    k->conn, MHD_HTTP_BAD_REQUEST, "invalid_rates", msg);
	}
	if (rc != 0)
		return api_store_error(k->conn, "rates.import", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:I,s:I}", "imported", (json_int_t)count, "replaced",
	        (json_int_t)before),
	    NULL, NULL);
}

/* Ceilings. The scope is the path's segment after "ceilings/" ("user",
 * "tenant", "global"), so a new scope only needs its routes. */

static json_t *
api_ceiling_state(const struct fraud_ceiling *c)
{
	return json_pack("{s:I,s:I}", "hourly", (json_int_t)c->hour, "daily",
	    (json_int_t)c->day);
}

static json_t *
api_money_or_null(int64_t m)
{
	return m != 0 ? api_money(m) : json_null();
}

static json_t *
api_ceiling_json(const void *row)
{
	const struct fraudcfg_ceiling *c = row;

	return json_pack("{s:s,s:o,s:o,s:o,s:I}", "scope",
	    fraudcfg_scope_name(c->scope), "name",
	    c->scope == FRAUD_SCOPE_GLOBAL ? json_null() : json_string(c->name),
	    "hourly", api_money_or_null(c->c.hour), "daily",
	    api_money_or_null(c->c.day), "updated_at",
	    (json_int_t)c->updated_at);
}

static int
api_ceiling_cb(void *arg, const struct fraudcfg_ceiling *c)
{
	return api_walk_add(arg, api_ceiling_json, c);
}

/* GET /api/v1/ceilings: the global ceiling, then tenants by name, then
 * users by extension;
 * amounts as money strings, null for none. */
static enum MHD_Result
api_ceilings(struct api_call *k)
{
	struct api_page pg;
	struct api_walk w = {&pg, 0, SV_NULL, 0};
	enum MHD_Result ret;
	bool done;
	int rc;

	ret = api_page_params(k, &pg, &done);
	if (done)
		return ret;
	rc = fraudcfg_ceiling_list(k->api->db, api_ceiling_cb, &w);
	if (rc != 0) {
		json_decref(pg.items);
		return api_store_error(k->conn, "ceilings", rc);
	}
	return api_page_send(k, &pg, w.total);
}

/* The scope, name and audit object ("user:EXT", "global") of a ceiling
 * route. Returns false after answering 400. */
static bool
api_ceiling_target(struct api_call *k, enum fraud_scope *scope, struct sv *name,
    char *object, size_t size, enum MHD_Result *ret)
{
	struct sv path =
	    sv_skip(sv_cstr(k->def->path), sizeof("ceilings/") - 1);
	struct sv seg = path;

	(void)sv_split(&path, '/', &seg);
	if (fraudcfg_scope_parse(seg, scope) != 0) {
		*ret = api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "internal error");
		return false;
	}
	*name = *scope == FRAUD_SCOPE_GLOBAL ? SV("") : k->tail;
	if (*scope == FRAUD_SCOPE_USER && !users_ext_valid(*name)) {
		*ret = api_bad_param(k->conn, "ext",
		    "an extension (1-32 letters, digits, '.', '_' or '-')");
		return false;
	}
	if (*scope == FRAUD_SCOPE_TENANT && !groups_tenant_valid(*name)) {
		*ret = api_bad_param(k->conn, "tenant",
		    "a tenant (1-32 lower-case letters, digits, '_' or '-')");
		return false;
	}
	if (*scope == FRAUD_SCOPE_GLOBAL)
		snprintf(object, size, "global");
	else
		snprintf(object, size, "%.*s:%.*s", (int)seg.len, seg.p,
		    (int)name->len, name->p);
	return true;
}

/* A ceiling member: a positive money string up to a billion, or null
 * for none; absent keeps *out. Returns false when invalid. */
static bool
api_ceiling_member(json_t *o, const char *name, int64_t *out)
{
	json_t *v = json_object_get(o, name);
	struct sv s;

	if (v == NULL)
		return true;
	if (json_is_null(v)) {
		*out = 0;
		return true;
	}
	s = api_json_sv(o, name);
	return s.p != NULL &&
	       fraudcfg_money_parse(s, FRAUDCFG_CEILING_MAX, out) == 0 &&
	       *out > 0;
}

/* PUT /api/v1/ceilings/user/EXT or /ceilings/global {hourly?, daily?}:
 * as `rempart ceiling set`; a member left out keeps its value, null
 * removes that ceiling. */
static enum MHD_Result
api_ceiling_put(struct api_call *k)
{
	static const char *const members[] = {"hourly", "daily", NULL};
	static const char rule[] = "a positive amount as a string with up to "
	                           "6 decimals such as \"25.50\", at most "
	                           "1000000000, or null for none";
	char object[USERS_EXT_MAX + 16];
	struct fraudcfg_ceiling old = {0}, now_c;
	enum MHD_Result ret = MHD_NO;
	enum fraud_scope scope;
	const char *field = NULL;
	struct fraud_ceiling ce;
	struct sv name;
	json_t *o;
	int rc = -EINVAL;

	if (!api_ceiling_target(k, &scope, &name, object, sizeof(object), &ret))
		return ret;
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	rc = fraudcfg_ceiling_get(k->api->db, scope, name, &old);
	if (rc == -ENOENT) {
		old = (struct fraudcfg_ceiling){0};
		rc = 0;
	}
	ce = old.c;
	if (rc != 0)
		ret = api_store_error(k->conn, "ceilings", rc);
	else if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes hourly and daily");
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change: give hourly or daily");
	else if (!api_ceiling_member(o, "hourly", &ce.hour))
		ret = api_bad_field(k->conn, "hourly", rule);
	else if (!api_ceiling_member(o, "daily", &ce.day))
		ret = api_bad_field(k->conn, "daily", rule);
	else
		rc = 1;
	json_decref(o);
	if (rc != 1)
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_ceiling_set(
		    k->api->db, scope, name, &ce, (int64_t)time(NULL), &field);
		if (rc == 0)
			rc = api_audit_change(k, "ceiling.set", object,
			    api_ceiling_state(&old.c), api_ceiling_state(&ce));
		rc = api_tx_end(k->api, rc);
	}
	/* A tenant no group has is likely a typo, as for the CLI. */
	if (rc == -ENXIO)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    scope == FRAUD_SCOPE_TENANT
		        ? "no such tenant: no group has it (PATCH "
		          "/api/v1/groups/NAME {\"tenant\": ...} first)"
		        : "no such user");
	if (rc == 0)
		rc = fraudcfg_ceiling_get(k->api->db, scope, name, &now_c);
	if (rc != 0)
		return api_store_error(k->conn, "ceilings.set", rc);
	api_reload(k->api);
	return api_send(
	    k->conn, MHD_HTTP_OK, api_ceiling_json(&now_c), NULL, NULL);
}

/* DELETE /api/v1/ceilings/user/EXT or /ceilings/global: as `rempart
 * ceiling remove`. */
static enum MHD_Result
api_ceiling_remove(struct api_call *k)
{
	char object[USERS_EXT_MAX + 16];
	struct fraudcfg_ceiling old;
	enum MHD_Result ret = MHD_NO;
	enum fraud_scope scope;
	struct sv name;
	int rc;

	if (!api_ceiling_target(k, &scope, &name, object, sizeof(object), &ret))
		return ret;
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_ceiling_get(k->api->db, scope, name, &old);
		if (rc == 0)
			rc = fraudcfg_ceiling_remove(k->api->db, scope, name);
		if (rc == 0)
			rc = api_audit_change(k, "ceiling.remove", object,
			    api_ceiling_state(&old.c), NULL);
		rc = api_tx_end(k->api, rc);
	}
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no ceiling for that scope");
	if (rc != 0)
		return api_store_error(k->conn, "ceilings.remove", rc);
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:b}", "object", object, "removed", 1), NULL, NULL);
}

uint32_t
api_route_body_max(const struct api_route_def *d)
{
	return d->run == api_rates_import ? RATING_FILE_MAX
	                                  : api_config_body_max(d);
}

const struct api_route_def api_routes_rates[] = {
    {"rates", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ,
        {"limit", "offset", "prefix"}, api_rates},
    {"rates/lookup", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ,
        {"number"}, api_rate_lookup},
    {"rates/import", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_rates_import},
    {"rates/", MHD_HTTP_METHOD_GET, API_TAIL_SEGMENT, RBAC_FRAUD_READ, {NULL},
        api_rate},
    {"rates/", MHD_HTTP_METHOD_PUT, API_TAIL_SEGMENT, RBAC_FRAUD_WRITE, {NULL},
        api_rate_put},
    {"rates/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT, RBAC_FRAUD_WRITE,
        {NULL}, api_rate_remove},
    {"ceilings", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ,
        {"limit", "offset"}, api_ceilings},
    {"ceilings/global", MHD_HTTP_METHOD_PUT, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_ceiling_put},
    {"ceilings/global", MHD_HTTP_METHOD_DELETE, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_ceiling_remove},
    {"ceilings/user/", MHD_HTTP_METHOD_PUT, API_TAIL_SEGMENT, RBAC_FRAUD_WRITE,
        {NULL}, api_ceiling_put},
    {"ceilings/user/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT,
        RBAC_FRAUD_WRITE, {NULL}, api_ceiling_remove},
    {"ceilings/tenant/", MHD_HTTP_METHOD_PUT, API_TAIL_SEGMENT,
        RBAC_FRAUD_WRITE, {NULL}, api_ceiling_put},
    {"ceilings/tenant/", MHD_HTTP_METHOD_DELETE, API_TAIL_SEGMENT,
        RBAC_FRAUD_WRITE, {NULL}, api_ceiling_remove},
    {.path = NULL},
};
