/* The administration API: the anti-fraud engine's rules and options,
 * the system-wide prefix lists (R-FRAUD-2, R-FRAUD-5) and the system
 * settings an administrator may change (R-ADMIN-2). The same store
 * functions and checks as `rempart fraud rule|set|lists` and `rempart
 * audit retention`, and the same audit entries. */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/api_int.h"
#include "policy/fraud.h"
#include "policy/rating.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/settings.h"
#include "store/users.h"

/* Read by the security self-assessment (audit/assess.h). */
#define API_SETTING_CDR_RETENTION "cdr.retention_days"

/* The engine's options, as `rempart fraud rules` shows them. */
static json_t *
api_fraud_options(const struct fraud_config *cfg)
{
	char w[FRAUDCFG_WINDOW_STRLEN], m[FRAUDCFG_MONEY_STRLEN];

	if (fraudcfg_window_format(&cfg->business_hours, w, sizeof(w)) != 0)
		w[0] = '\0';
	if (rating_money_format(cfg->spike_min_spend, m, sizeof(m)) < 0)
		m[0] = '\0';
	return json_pack("{s:s,s:i,s:b,s:s,s:I,s:I,s:I,s:I,s:s,s:b,s:b}",
	    "business_hours", w, "utc_offset_min", (int)cfg->tz_offset_min,
	    "cut_running", cfg->cut_running, "ceiling_block",
	    cfg->ceiling_block_until_unblock ? "unblock" : "window",
	    "tail_digits", (json_int_t)cfg->seq_tail_digits, "short_s",
	    (json_int_t)cfg->short_s, "factor_pct",
	    (json_int_t)cfg->spike_factor_pct, "alpha_pct",
	    (json_int_t)cfg->spike_alpha_pct, "min_spend", m, "disa",
	    cfg->disa_enabled, "outdial", cfg->outdial_enabled);
}

/* The audit state of `rempart fraud rule|set` (its rules_json()). */
static json_t *
api_rules_state(const struct fraud_config *cfg, enum fraudcfg_rule rule)
{
	char text[FRAUDCFG_WINDOW_STRLEN];
	json_t *o = json_object();
	int rc = o != NULL ? 0 : -1;

	if (rc == 0 && (unsigned)rule < FRAUDCFG_RULE_COUNT) {
		const struct fraud_rule_cfg *r = fraudcfg_rule_get(cfg, rule);

		rc = json_object_update_new(
		    o, json_pack("{s:s,s:I,s:I}", "mode",
		           fraudcfg_mode_name(r->mode), "count",
		           (json_int_t)r->count, "window_s",
		           (json_int_t)r->window_s));
	}
	if (rc == 0 && fraudcfg_window_format(
	                   &cfg->business_hours, text, sizeof(text)) == 0)
		rc =
		    json_object_set_new(o, "business_hours", json_string(text));
	if (rc == 0)
		rc = json_object_update_new(
		    o, json_pack("{s:i,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:b,s:b}",
		           "utc_offset_min", (int)cfg->tz_offset_min,
		           "cut_running", cfg->cut_running,
		           "ceiling_block_until_unblock",
		           cfg->ceiling_block_until_unblock, "tail_digits",
		           (json_int_t)cfg->seq_tail_digits, "short_s",
		           (json_int_t)cfg->short_s, "factor_pct",
		           (json_int_t)cfg->spike_factor_pct, "alpha_pct",
		           (json_int_t)cfg->spike_alpha_pct, "min_spend",
		           (json_int_t)cfg->spike_min_spend, "disa",
		           cfg->disa_enabled, "outdial", cfg->outdial_enabled));
	if (rc != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static json_t *
api_rule_json(const struct fraud_config *cfg, enum fraudcfg_rule rule)
{
	const struct fraud_rule_cfg *r = fraudcfg_rule_get(cfg, rule);

	return json_pack("{s:s,s:s,s:I,s:I}", "name", fraudcfg_rule_name(rule),
	    "mode", fraudcfg_mode_name(r->mode), "count", (json_int_t)r->count,
	    "window_s", (json_int_t)r->window_s);
}

static int
api_rules_load(struct api *a, struct fraud_config *cfg)
{
	fraud_config_defaults(cfg);
	return fraudcfg_rules_load(a->db, cfg);
}

/* GET /api/v1/fraud/rules: every rule with its mode, count and
 * window. */
static enum MHD_Result
api_fraud_rules(struct api_call *k)
{
	struct fraud_config cfg;
	json_t *items = json_array();
	int rc = api_rules_load(k->api, &cfg);

	if (rc != 0) {
		json_decref(items);
		return api_store_error(k->conn, "fraud.rules", rc);
	}
	for (unsigned r = 0; r < FRAUDCFG_RULE_COUNT && items != NULL; r++)
		if (json_array_append_new(items,
		        api_rule_json(&cfg, (enum fraudcfg_rule)r)) != 0) {
			json_decref(items);
			items = NULL;
		}
	return api_send(k->conn, MHD_HTTP_OK,
	    items != NULL ? json_pack("{s:o}", "items", items) : NULL, NULL,
	    NULL);
}

/* What fraudcfg_rules_check() refused, in the body's words: the
 * member a rule's PATCH changes ('rule' in range), or the option a
 * settings PATCH changes. */
static enum MHD_Result
api_rules_refused(
    struct api_call *k, const char *field, enum fraudcfg_rule rule)
{
	static const struct {
		const char *field, *member, *option, *rule;
	} rules[] = {
	    {"call-rate", "count", "count", "1-31 calls a minute"},
	    {"concurrent-user", "count", "count", "1-1048576 calls"},
	    {"concurrent-intl", "count", "count", "1-1048576 calls"},
	    {"first-country-user", "count", "count", "0"},
	    {"first-country-system", "count", "count", "0"},
	    {"off-hours-intl", "count", "count", "0"},
	    {"sequential", "count", "tail_digits",
	        "count 2-16 numbers, window_s 1-86400 s, tail_digits 1-4"},
	    {"short-burst", "count", "short_s",
	        "count 1-32 calls, window_s 1-86400 s, short_s 1-3600 s"},
	    {"spend-spike", "factor_pct", "factor_pct",
	        "factor_pct 100-100000, alpha_pct 1-100"},
	    {"business-hours", "business_hours", "business_hours",
	        "DAYS/HH:MM-HH:MM"},
	    {"utc-offset", "utc_offset_min", "utc_offset_min",
	        "-1440 to 1440 minutes"},
	};
	bool one = (unsigned)rule < FRAUDCFG_RULE_COUNT;
	char msg[200];

	for (size_t i = 0; field != NULL && i < RP_ARRAY_LEN(rules); i++)
		if (strcmp(rules[i].field, field) == 0) {
			snprintf(msg, sizeof(msg), "%s (rule %s)",
			    rules[i].rule, rules[i].field);
			return api_bad_field(k->conn,
			    one ? rules[i].member : rules[i].option, msg);
		}
	return api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
	    "invalid anti-fraud settings");
}

/* Checks and stores 'cfg' with the audit entry of `rempart fraud rule
 * NAME` (rule in range) or `fraud set`, in one transaction; answers
 * the error, or returns MHD_YES with *stored true. */
static enum MHD_Result
api_rules_store(struct api_call *k, const struct fraud_config *old,
    const struct fraud_config *cfg, enum fraudcfg_rule rule, bool *stored)
{
	bool one = (unsigned)rule < FRAUDCFG_RULE_COUNT;
	const char *field = NULL;
	int rc;

	*stored = false;
	rc = fraudcfg_rules_check(cfg, &field);
	if (rc == -EINVAL)
		return api_rules_refused(k, field, rule);
	if (rc != 0)
		return api_store_error(k->conn, "fraud.rules", rc);
	rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_rules_store(
		    k->api->db, cfg, (int64_t)time(NULL), &field);
		if (rc == 0)
			rc = api_audit_change(k,
			    one ? "fraud.rule" : "fraud.set",
			    one ? fraudcfg_rule_name(rule) : "options",
			    api_rules_state(old, rule),
			    api_rules_state(cfg, rule));
		rc = api_tx_end(k->api, rc);
	}
	if (rc != 0)
		return api_store_error(k->conn, "fraud.rules", rc);
	api_reload(k->api);
	*stored = true;
	return MHD_YES;
}

/* A whole number member from 0 to 'max'; absent keeps *out. */
static bool
api_uint_member(json_t *o, const char *name, uint32_t max, uint32_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)max)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

/* GET /api/v1/fraud/settings: the options `rempart fraud set` and the
 * rules' extra options change. */
static enum MHD_Result
api_fraud_settings(struct api_call *k)
{
	struct fraud_config cfg;
	int rc = api_rules_load(k->api, &cfg);

	if (rc != 0)
		return api_store_error(k->conn, "fraud.settings", rc);
	return api_send(
	    k->conn, MHD_HTTP_OK, api_fraud_options(&cfg), NULL, NULL);
}

/* Applies the members of a PATCH /fraud/settings body to 'cfg'.
 * Returns NULL, or the member that is not valid. */
static const char *
api_options_apply(json_t *o, struct fraud_config *cfg)
{
	json_t *v;
	struct sv s;

	v = json_object_get(o, "utc_offset_min");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < -1440 ||
		    json_integer_value(v) > 1440)
			return "utc_offset_min";
		cfg->tz_offset_min = (int32_t)json_integer_value(v);
	}
	v = json_object_get(o, "cut_running");
	if (v != NULL) {
		if (!json_is_boolean(v))
			return "cut_running";
		cfg->cut_running = json_is_true(v);
	}
	/* R-FRAUD-6, R-FRAUD-7: switches, off by default. */
	v = json_object_get(o, "disa");
	if (v != NULL) {
		if (!json_is_boolean(v))
			return "disa";
		cfg->disa_enabled = json_is_true(v);
	}
	v = json_object_get(o, "outdial");
	if (v != NULL) {
		if (!json_is_boolean(v))
			return "outdial";
		cfg->outdial_enabled = json_is_true(v);
	}
	if (json_object_get(o, "ceiling_block") != NULL) {
		s = api_json_sv(o, "ceiling_block");
		if (sv_eq(s, SV("unblock")))
			cfg->ceiling_block_until_unblock = true;
		else if (sv_eq(s, SV("window")))
			cfg->ceiling_block_until_unblock = false;
		else
			return "ceiling_block";
	}
	if (json_object_get(o, "business_hours") != NULL &&
	    ((s = api_json_sv(o, "business_hours")).p == NULL ||
	        fraudcfg_window_parse(s, &cfg->business_hours) != 0))
		return "business_hours";
	if (!api_uint_member(
	        o, "tail_digits", UINT32_MAX, &cfg->seq_tail_digits))
		return "tail_digits";
	if (!api_uint_member(o, "short_s", UINT32_MAX, &cfg->short_s))
		return "short_s";
	if (!api_uint_member(
	        o, "factor_pct", UINT32_MAX, &cfg->spike_factor_pct))
		return "factor_pct";
	if (!api_uint_member(o, "alpha_pct", UINT32_MAX, &cfg->spike_alpha_pct))
		return "alpha_pct";
	if (json_object_get(o, "min_spend") != NULL &&
	    ((s = api_json_sv(o, "min_spend")).p == NULL ||
	        fraudcfg_money_parse(
	            s, FRAUDCFG_CEILING_MAX, &cfg->spike_min_spend) != 0))
		return "min_spend";
	return NULL;
}

/* The 400 naming an option api_options_apply() refused. */
static enum MHD_Result
api_option_refused(struct api_call *k, const char *bad)
{
	static const struct {
		const char *member, *rule;
	} rules[] = {
	    {"utc_offset_min", "minutes from -1440 to 1440"},
	    {"cut_running", "true or false"},
	    {"disa", "true or false"},
	    {"outdial", "true or false"},
	    {"ceiling_block", "\"unblock\" or \"window\""},
	    {"business_hours", "DAYS/HH:MM-HH:MM such as mon-fri/08:00-19:00"},
	    {"tail_digits", "1 to 4"},
	    {"short_s", "1 to 3600 seconds"},
	    {"factor_pct", "100 to 100000"},
	    {"alpha_pct", "1 to 100"},
	    {"min_spend", "an amount as a string such as \"10.50\""},
	};

	for (size_t i = 0; i < RP_ARRAY_LEN(rules); i++)
		if (strcmp(rules[i].member, bad) == 0)
			return api_bad_field(k->conn, bad, rules[i].rule);
	return api_bad_field(k->conn, bad, "invalid");
}

/* PATCH /api/v1/fraud/settings {utc_offset_min?, cut_running?,
 * ceiling_block?, business_hours?, tail_digits?, short_s?, factor_pct?,
 * alpha_pct?, min_spend?, disa?, outdial?}: as `rempart fraud set` and
 * the options of `fraud rule`. */
static enum MHD_Result
api_fraud_settings_set(struct api_call *k)
{
	static const char *const members[] = {"utc_offset_min", "cut_running",
	    "ceiling_block", "business_hours", "tail_digits", "short_s",
	    "factor_pct", "alpha_pct", "min_spend", "disa", "outdial", NULL};
	struct fraud_config old, cfg;
	enum MHD_Result ret = MHD_NO;
	const char *bad = NULL;
	bool ok = false;
	json_t *o;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	rc = api_rules_load(k->api, &cfg);
	old = cfg;
	if (rc != 0)
		ret = api_store_error(k->conn, "fraud.settings", rc);
	else if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes utc_offset_min, "
		    "cut_running, ceiling_block, business_hours, tail_digits, "
		    "short_s, factor_pct, alpha_pct, min_spend, disa and "
		    "outdial");
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change");
	else if ((bad = api_options_apply(o, &cfg)) != NULL)
		ret = api_option_refused(k, bad);
	else
		ok = true;
	json_decref(o);
	if (!ok)
		return ret;
	ret = api_rules_store(k, &old, &cfg, FRAUDCFG_RULE_COUNT, &ok);
	if (!ok)
		return ret;
	return api_send(
	    k->conn, MHD_HTTP_OK, api_fraud_options(&cfg), NULL, NULL);
}

/* PATCH /api/v1/fraud/rules/NAME {mode?, count?, window_s?,
 * business_hours?, tail_digits?, short_s?, factor_pct?, alpha_pct?,
 * min_spend?}: as `rempart fraud rule NAME`, the rule and the options
 * it takes in one change (one audit entry). */
static enum MHD_Result
api_fraud_rule_set(struct api_call *k)
{
	static const char *const members[] = {"mode", "count", "window_s",
	    "business_hours", "tail_digits", "short_s", "factor_pct",
	    "alpha_pct", "min_spend", NULL};
	const char *bad;
	struct fraud_config old, cfg;
	enum fraudcfg_rule rule;
	struct fraud_rule_cfg *r;
	enum MHD_Result ret = MHD_NO;
	enum fraud_mode mode;
	struct sv v;
	bool ok = false;
	json_t *o;
	int rc;

	if (fraudcfg_rule_parse(k->tail, &rule) != 0)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such rule (see GET /api/v1/fraud/rules)");
	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	rc = api_rules_load(k->api, &cfg);
	old = cfg;
	r = fraudcfg_rule_of(&cfg, rule);
	v = api_json_sv(o, "mode");
	if (rc != 0)
		ret = api_store_error(k->conn, "fraud.rules", rc);
	else if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes mode, count, window_s, "
		    "business_hours, tail_digits, short_s, factor_pct, "
		    "alpha_pct and min_spend");
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change: give mode, count or window_s");
	else if (json_object_get(o, "mode") != NULL &&
	         (v.p == NULL || fraudcfg_mode_parse(v, &mode) != 0))
		ret =
		    api_bad_field(k->conn, "mode", "off, alert, deny or block");
	else if (!api_uint_member(o, "count", UINT32_MAX, &r->count))
		ret = api_bad_field(k->conn, "count", "a whole number");
	else if (!api_uint_member(o, "window_s", UINT32_MAX, &r->window_s))
		ret = api_bad_field(
		    k->conn, "window_s", "a whole number of seconds");
	else if ((bad = api_options_apply(o, &cfg)) != NULL)
		ret = api_option_refused(k, bad);
	else {
		if (json_object_get(o, "mode") != NULL)
			r->mode = mode;
		ok = true;
	}
	json_decref(o);
	if (!ok)
		return ret;
	ret = api_rules_store(k, &old, &cfg, rule, &ok);
	if (!ok)
		return ret;
	return api_send(
	    k->conn, MHD_HTTP_OK, api_rule_json(&cfg, rule), NULL, NULL);
}

/* GET /api/v1/fraud/lists: the system-wide prefix lists ("" for
 * none). */
static enum MHD_Result
api_fraud_lists(struct api_call *k)
{
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN];
	int rc = fraudcfg_system_lists_get(k->api->db, allow, deny);

	if (rc != 0)
		return api_store_error(k->conn, "fraud.lists", rc);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:s}", "allow", allow, "deny", deny), NULL, NULL);
}

/* PUT /api/v1/fraud/lists {allow?, deny?}: as `rempart fraud lists`;
 * "" empties a list, a member left out keeps it. */
static enum MHD_Result
api_fraud_lists_set(struct api_call *k)
{
	static const char *const members[] = {"allow", "deny", NULL};
	static const char rule[] = "up to 64 prefixes of '+' and up to 15 "
	                           "digits, comma-separated (\"\": none)";
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN],
	    norm[FRAUDCFG_PREFIXES_STRLEN];
	enum MHD_Result ret = MHD_NO;
	json_t *o, *before = NULL;
	struct sv a, d;
	int rc = -EINVAL;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	a = api_json_sv(o, "allow");
	d = api_json_sv(o, "deny");
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes allow and deny");
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change: give allow or deny");
	else if (json_object_get(o, "allow") != NULL &&
	         (a.p == NULL || fraudcfg_prefixes_normalise(a, norm) != 0))
		ret = api_bad_field(k->conn, "allow", rule);
	else if (json_object_get(o, "deny") != NULL &&
	         (d.p == NULL || fraudcfg_prefixes_normalise(d, norm) != 0))
		ret = api_bad_field(k->conn, "deny", rule);
	else
		rc = db_tx_begin(k->api->db);
	if (rc == 0) {
		rc = fraudcfg_system_lists_get(k->api->db, allow, deny);
		if (rc == 0)
			before = json_pack(
			    "{s:s,s:s}", "allow", allow, "deny", deny);
		if (rc == 0 && a.p != NULL)
			rc = fraudcfg_system_list_set(
			    k->api->db, FRAUDCFG_SYSTEM_ALLOW, a);
		if (rc == 0 && d.p != NULL)
			rc = fraudcfg_system_list_set(
			    k->api->db, FRAUDCFG_SYSTEM_DENY, d);
		if (rc == 0)
			rc = fraudcfg_system_lists_get(k->api->db, allow, deny);
		if (rc == 0) {
			rc =
			    api_audit_change(k, "fraud.lists", "system", before,
			        json_pack(
			            "{s:s,s:s}", "allow", allow, "deny", deny));
			before = NULL;
		}
		rc = api_tx_end(k->api, rc);
		if (rc != 0)
			ret = api_store_error(k->conn, "fraud.lists", rc);
	}
	json_decref(before);
	json_decref(o);
	if (rc != 0)
		return ret;
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:s,s:s}", "allow", allow, "deny", deny), NULL, NULL);
}

/* System settings. Those an administrator may change are applied
 * without a restart: the default profile on the reload that follows,
 * the retentions when next read (the daily pruning, the
 * self-assessment). The SIP realm is shown but never changed here: every
 * stored credential (HA1) depends on it. Secrets (the alert channels'
 * keys and passwords) are never shown. */

struct api_settings_now {
	char realm[SETTINGS_VALUE_MAX + 1];
	char def[FRAUDCFG_NAME_MAX + 1];
	uint32_t audit_days;
	uint32_t cdr_days; /* 0: no limit */
};

static int
api_settings_read(struct api *a, struct api_settings_now *s)
{
	char text[16];
	int rc;

	rc =
	    settings_get(a->db, SETTINGS_SIP_REALM, s->realm, sizeof(s->realm));
	if (rc == -ENOENT) {
		s->realm[0] = '\0';
		rc = 0;
	}
	if (rc == 0) {
		rc = fraudcfg_default_get(a->db, s->def);
		if (rc == -ENOENT) {
			s->def[0] = '\0';
			rc = 0;
		}
	}
	if (rc == 0)
		rc = audit_retention_days(a->db, &s->audit_days);
	if (rc == -EINVAL) {
		s->audit_days = AUDIT_RETENTION_DEFAULT_DAYS;
		rc = 0;
	}
	s->cdr_days = 0;
	if (rc == 0) {
		rc = settings_get(
		    a->db, API_SETTING_CDR_RETENTION, text, sizeof(text));
		if (rc == 0 && sv_to_u32(sv_cstr(text),
		                   AUDIT_RETENTION_MAX_DAYS, &s->cdr_days) != 0)
			s->cdr_days = 0;
		if (rc == -ENOENT || rc == -E2BIG)
			rc = 0;
	}
	return rc;
}

static json_t *
api_settings_json(const struct api_settings_now *s)
{
	return json_pack("{s:s,s:o,s:I,s:o,s:[s]}", "sip_realm", s->realm,
	    "default_profile",
	    s->def[0] != '\0' ? json_string(s->def) : json_null(),
	    "audit_retention_days", (json_int_t)s->audit_days,
	    "cdr_retention_days",
	    s->cdr_days != 0 ? json_integer((json_int_t)s->cdr_days)
	                     : json_null(),
	    "read_only", "sip_realm");
}

/* GET /api/v1/settings. */
static enum MHD_Result
api_settings(struct api_call *k)
{
	struct api_settings_now s;
	int rc = api_settings_read(k->api, &s);

	if (rc != 0)
		return api_store_error(k->conn, "settings", rc);
	return api_send(
	    k->conn, MHD_HTTP_OK, api_settings_json(&s), NULL, NULL);
}

/* A retention member: 1 to 36500 days (null too when 'nullable'). */
static bool
api_days_member(json_t *o, const char *name, bool nullable, uint32_t *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return true;
	if (nullable && json_is_null(v)) {
		*out = 0;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > (json_int_t)AUDIT_RETENTION_MAX_DAYS)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

/* Writes the changed settings, each with the audit entry its command
 * does, in one transaction. */
static int
api_settings_store(struct api_call *k, const struct api_settings_now *old,
    const struct api_settings_now *s)
{
	char text[16];
	int rc = db_tx_begin(k->api->db);

	if (rc != 0)
		return rc;
	if (rc == 0 && strcmp(old->def, s->def) != 0) {
		rc = fraudcfg_default_set(k->api->db, sv_cstr(s->def));
		if (rc == 0)
			rc = api_audit_change(k, "profile.default", s->def,
			    json_pack("{s:s}", "default", old->def),
			    json_pack("{s:s}", "default", s->def));
	}
	if (rc == 0 && old->audit_days != s->audit_days) {
		snprintf(text, sizeof(text), "%u", s->audit_days);
		rc = settings_set(
		    k->api->db, AUDIT_SETTING_RETENTION, sv_cstr(text));
		if (rc == 0)
			rc = api_audit_change(k, "audit.retention", "",
			    json_pack(
			        "{s:I}", "days", (json_int_t)old->audit_days),
			    json_pack(
			        "{s:I}", "days", (json_int_t)s->audit_days));
	}
	if (rc == 0 && old->cdr_days != s->cdr_days) {
		snprintf(text, sizeof(text), "%u", s->cdr_days);
		if (s->cdr_days != 0)
			rc = settings_set(k->api->db, API_SETTING_CDR_RETENTION,
			    sv_cstr(text));
		else
			rc = settings_delete(
			    k->api->db, API_SETTING_CDR_RETENTION);
		if (rc == -ENOENT)
			rc = 0;
		if (rc == 0)
			rc = api_audit_change(k, "settings.set",
			    API_SETTING_CDR_RETENTION,
			    json_pack(
			        "{s:I}", "days", (json_int_t)old->cdr_days),
			    json_pack(
			        "{s:I}", "days", (json_int_t)s->cdr_days));
	}
	return api_tx_end(k->api, rc);
}

/* PATCH /api/v1/settings {default_profile?, audit_retention_days?,
 * cdr_retention_days?}: unknown keys are refused, by name. */
static enum MHD_Result
api_settings_set(struct api_call *k)
{
	static const char *const members[] = {"default_profile",
	    "audit_retention_days", "cdr_retention_days", NULL};
	struct api_settings_now old, s;
	enum MHD_Result ret = MHD_NO;
	const char *key;
	char msg[160];
	json_t *o, *v;
	struct sv def;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	rc = api_settings_read(k->api, &old);
	s = old;
	def = api_json_sv(o, "default_profile");
	if (rc != 0) {
		json_decref(o);
		return api_store_error(k->conn, "settings", rc);
	}
	rc = -EINVAL;
	json_object_foreach(o, key, v)
	{
		bool known = false;

		for (size_t i = 0; members[i] != NULL && !known; i++)
			known = strcmp(key, members[i]) == 0;
		if (!known && rc == -EINVAL) {
			/* Only the setting's name when it is a sane one. */
			snprintf(msg, sizeof(msg), "%s: %.40s",
			    strcmp(key, "sip_realm") == 0
			        ? "read-only setting (every stored SIP "
			          "credential depends on it)"
			        : "unknown setting",
			    users_ext_valid(sv_cstr(key)) ? key : "?");
			ret = api_error(
			    k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body", msg);
			rc = -EPERM;
		}
	}
	if (rc == -EPERM)
		rc = -EINVAL; /* answered */
	else if (json_object_size(o) == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "nothing to change");
	else if (json_object_get(o, "default_profile") != NULL &&
	         (def.p == NULL || !users_profile_valid(def)))
		ret = api_bad_field(
		    k->conn, "default_profile", "the name of a rights profile");
	else if (!api_days_member(
	             o, "audit_retention_days", false, &s.audit_days))
		ret = api_bad_field(
		    k->conn, "audit_retention_days", "1 to 36500 days");
	else if (!api_days_member(o, "cdr_retention_days", true, &s.cdr_days))
		ret = api_bad_field(k->conn, "cdr_retention_days",
		    "1 to 36500 days, or null for no limit");
	else {
		if (def.p != NULL) {
			memcpy(s.def, def.p, def.len);
			s.def[def.len] = '\0';
		}
		rc = 0;
	}
	json_decref(o);
	if (rc != 0)
		return ret;
	rc = api_settings_store(k, &old, &s);
	if (rc == -ENOENT)
		return api_error(k->conn, MHD_HTTP_NOT_FOUND, "not_found",
		    "no such profile (default_profile)");
	if (rc != 0)
		return api_store_error(k->conn, "settings", rc);
	api_reload(k->api);
	return api_send(
	    k->conn, MHD_HTTP_OK, api_settings_json(&s), NULL, NULL);
}

const struct api_route_def api_routes_settings[] = {
    {"fraud/rules", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ, {NULL},
        api_fraud_rules},
    {"fraud/rules/", MHD_HTTP_METHOD_PATCH, API_TAIL_SEGMENT, RBAC_FRAUD_WRITE,
        {NULL}, api_fraud_rule_set},
    {"fraud/settings", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ,
        {NULL}, api_fraud_settings},
    {"fraud/settings", MHD_HTTP_METHOD_PATCH, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_fraud_settings_set},
    {"fraud/lists", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ, {NULL},
        api_fraud_lists},
    {"fraud/lists", MHD_HTTP_METHOD_PUT, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_fraud_lists_set},
    {"settings", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_SETTINGS_READ, {NULL},
        api_settings},
    {"settings", MHD_HTTP_METHOD_PATCH, API_TAIL_NONE, RBAC_SETTINGS_WRITE,
        {NULL}, api_settings_set},
    {.path = NULL},
};
