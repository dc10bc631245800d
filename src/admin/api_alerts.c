/* The administration API: the alert channels (R-FRAUD-4), as `rempart
 * alert` sets them. Secrets (the webhook's HMAC key, the SMTP password)
 * are write-only: answers and audit entries say only whether one is
 * set. Each change is audited in its transaction with the states the
 * command line wrote (R-ADMIN-4). */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/api_int.h"
#include "audit/assess.h"
#include "integ/alert.h"
#include "integ/alertcfg.h"
#include "store/db.h"
#include "store/settings.h"

#define API_ALERT_WEBHOOK_RULE                                                 \
	"https://HOST/PATH; http:// only to 127.0.0.1 or [::1]; no user info"
#define API_ALERT_EMAIL_RULE                                                   \
	"smtps://HOST[:PORT], or smtp://HOST[:PORT] with starttls; plain "     \
	"smtp:// only to 127.0.0.1 or [::1]; no path or user info"
#define API_ALERT_CA_RULE "an absolute path the server can read"

static const char *
api_set_or_none(const char *secret)
{
	return secret[0] != '\0' ? "set" : "none";
}

static json_t *
api_alert_to(const struct alert_email_config *e)
{
	char to[ALERT_RCPT_MAX * (ALERT_ADDR_MAX + 1) + 1];
	size_t n = 0;

	to[0] = '\0';
	for (unsigned i = 0; i < e->n_to; i++)
		n += (size_t)snprintf(
		    to + n, sizeof(to) - n, "%s%s", i > 0 ? "," : "", e->to[i]);
	return json_string(to);
}

/* The states the audit log keeps, as the command line wrote them:
 * never a secret, only whether there is one. */
static json_t *
api_alert_state(const struct alert_config *cfg, const char *what)
{
	const struct alert_email_config *e = &cfg->email;

	if (strcmp(what, "webhook") == 0)
		return json_pack("{s:s,s:s,s:s}", "url", cfg->webhook.url,
		    "secret", api_set_or_none(cfg->webhook.secret), "ca_file",
		    cfg->webhook.ca_file);
	if (strcmp(what, "email") == 0)
		return json_pack("{s:s,s:b,s:s,s:o,s:s,s:s,s:s}", "url", e->url,
		    "starttls", e->starttls, "from", e->from, "to",
		    api_alert_to(e), "user", e->user, "password",
		    api_set_or_none(e->password), "ca_file", e->ca_file);
	return json_pack("{s:I,s:I}", "dedupe_s", (json_int_t)cfg->dedupe_s,
	    "rate_per_min", (json_int_t)cfg->rate_per_min);
}

/* GET /api/v1/alerts: both channels (null when off) and the limits,
 * secrets as "secret_set". */
static enum MHD_Result
api_alerts(struct api_call *k)
{
	struct alert_config cfg;
	const struct alert_email_config *e = &cfg.email;
	json_t *webhook = json_null(), *email = json_null(), *o;
	int rc = alertcfg_load(k->api->db, k->api->keys, &cfg);

	if (rc == -EBADMSG)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "invalid_config",
		    "the stored alert configuration is invalid; set it again");
	if (rc != 0)
		return api_store_error(k->conn, "alerts", rc);
	if (cfg.webhook.url[0] != '\0')
		webhook = json_pack("{s:s,s:b,s:s}", "url", cfg.webhook.url,
		    "secret_set", cfg.webhook.secret[0] != '\0', "ca_file",
		    cfg.webhook.ca_file);
	if (e->url[0] != '\0')
		email = json_pack("{s:s,s:b,s:s,s:o,s:s,s:b,s:s}", "url",
		    e->url, "starttls", e->starttls, "from", e->from, "to",
		    api_alert_to(e), "user", e->user, "secret_set",
		    e->password[0] != '\0', "ca_file", e->ca_file);
	o = json_pack("{s:o*,s:o*,s:I,s:I}", "webhook", webhook, "email", email,
	    "dedupe_s", (json_int_t)cfg.dedupe_s, "rate_per_min",
	    (json_int_t)cfg.rate_per_min);
	alert_config_wipe(&cfg);
	return api_send(k->conn, MHD_HTTP_OK, o, NULL, NULL);
}

/* Loads the stored configuration to change it; one that no longer
 * passes the checks is replaced by the defaults, as the command line
 * did. */
static int
api_alert_load(struct api_call *k, struct alert_config *cfg)
{
	int rc = alertcfg_load(k->api->db, k->api->keys, cfg);

	if (rc == -EBADMSG) {
		alert_config_init(cfg);
		return 0;
	}
	return rc;
}

/* Stores 'cfg' with the audit entry of 'what' in one transaction,
 * reloads, and answers with the new state. 'old' and 'cfg' are
 * wiped. */
static enum MHD_Result
api_alert_save(struct api_call *k, struct alert_config *old,
    struct alert_config *cfg, const char *action, const char *what)
{
	const char *field = NULL;
	json_t *after = api_alert_state(cfg, what);
	int rc = db_tx_begin(k->api->db);

	if (rc == 0) {
		rc = alertcfg_save(k->api->db, k->api->keys, cfg, &field);
		if (rc == 0)
			rc = api_audit_change(k, action, what,
			    api_alert_state(old, what), json_incref(after));
		rc = api_tx_end(k->api, rc);
	}
	alert_config_wipe(old);
	alert_config_wipe(cfg);
	if (rc == -EINVAL) {
		json_decref(after);
		return api_bad_field(k->conn,
		    field != NULL ? field : "alert configuration",
		    "refused by the alert configuration's checks");
	}
	if (rc != 0) {
		json_decref(after);
		return api_store_error(k->conn, action, rc);
	}
	api_reload(k->api);
	return api_send(k->conn, MHD_HTTP_OK, after, NULL, NULL);
}

/* A secret member: 'min' to 'max' printable characters on one line.
 * Returns 1 (copied into out), 0 when absent, -EINVAL. */
static int
api_alert_secret(json_t *o, const char *name, size_t min, size_t max, char *out)
{
	struct sv s;
	int rc = api_member_sv(o, name, &s);

	if (rc <= 0)
		return rc;
	if (s.len < min || !alert_text_valid(s, max))
		return -EINVAL;
	memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return 1;
}

/* ca_file: absent, or an absolute path the server can read. Returns 0
 * or -EINVAL. */
static int
api_alert_ca(json_t *o, char *out, size_t size)
{
	struct sv s;
	int rc = api_member_sv(o, "ca_file", &s);

	if (rc == 0)
		return 0;
	if (rc < 0 || s.len == 0 || s.len >= size || s.p[0] != '/' ||
	    !alert_text_valid(s, size - 1))
		return -EINVAL;
	memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return access(out, R_OK) == 0 ? 0 : -EINVAL;
}

/* PUT /api/v1/alerts/webhook {url, secret, ca_file?}: as `rempart alert
 * webhook URL --secret-stdin [--ca-file F]`. */
static enum MHD_Result
api_alert_webhook_put(struct api_call *k)
{
	static const char *const members[] = {"url", "secret", "ca_file", NULL};
	struct alert_config old, cfg;
	struct alert_webhook_config w = {0};
	enum MHD_Result ret = MHD_NO;
	bool valid = false;
	struct sv url;
	json_t *o;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes url, secret and ca_file");
	else if (api_member_sv(o, "url", &url) != 1 ||
	         url.len >= sizeof(w.url) || !alert_webhook_url_valid(url))
		ret = api_bad_field(k->conn, "url", API_ALERT_WEBHOOK_RULE);
	else if (api_alert_secret(o, "secret", ALERT_SECRET_MIN,
	             ALERT_SECRET_MAX, w.secret) != 1)
		ret = api_bad_field(k->conn, "secret",
		    "the HMAC signing secret, 16 to 256 printable characters "
		    "on one line");
	else if (api_alert_ca(o, w.ca_file, sizeof(w.ca_file)) != 0)
		ret = api_bad_field(k->conn, "ca_file", API_ALERT_CA_RULE);
	else
		valid = true;
	if (valid)
		memcpy(w.url, url.p, url.len);
	api_body_free(o);
	if (!valid) {
		sodium_memzero(&w, sizeof(w));
		return ret;
	}
	rc = api_alert_load(k, &old);
	if (rc != 0) {
		sodium_memzero(&w, sizeof(w));
		return api_store_error(k->conn, "alerts.webhook", rc);
	}
	cfg = old;
	w.retry = old.webhook.retry;
	cfg.webhook = w;
	sodium_memzero(&w, sizeof(w));
	return api_alert_save(k, &old, &cfg, "alert.webhook.set", "webhook");
}

/* Checks the body of PUT /alerts/email into e. Returns NULL when it is
 * valid, else the member at fault with *rule saying what it takes. */
static const char *
api_alert_email_body(json_t *o, struct alert_email_config *e, const char **rule)
{
	struct sv url, from, to, user;
	int has_user, has_password;

	*rule = "true or false";
	if (api_member_bool(o, "starttls", &e->starttls) < 0)
		return "starttls";
	*rule = API_ALERT_EMAIL_RULE;
	if (api_member_sv(o, "url", &url) != 1 || url.len >= sizeof(e->url) ||
	    !alert_email_url_valid(url, e->starttls))
		return "url";
	memcpy(e->url, url.p, url.len);
	*rule = "local@domain, no spaces, angle brackets or control "
	        "characters";
	if (api_member_sv(o, "from", &from) != 1 ||
	    from.len >= sizeof(e->from) || !alert_address_valid(from))
		return "from";
	memcpy(e->from, from.p, from.len);
	*rule = "1 to 8 addresses, comma-separated, no control characters";
	if (api_member_sv(o, "to", &to) != 1 || alertcfg_parse_to(to, e) != 0)
		return "to";
	*rule = "1 to 128 printable characters";
	has_user = api_member_sv(o, "user", &user);
	if (has_user < 0 ||
	    (has_user == 1 && (user.len >= sizeof(e->user) ||
	                          !alert_text_valid(user, ALERT_USER_MAX))))
		return "user";
	if (has_user == 1)
		memcpy(e->user, user.p, user.len);
	*rule = "1 to 256 printable characters on one line, given with user "
	        "and only with it";
	has_password =
	    api_alert_secret(o, "password", 1, ALERT_PASSWORD_MAX, e->password);
	if (has_password < 0 || (has_password == 1) != (has_user == 1))
		return "password";
	*rule = API_ALERT_CA_RULE;
	if (api_alert_ca(o, e->ca_file, sizeof(e->ca_file)) != 0)
		return "ca_file";
	return NULL;
}

/* PUT /api/v1/alerts/email {url, starttls?, from, to, user?, password?,
 * ca_file?}: as `rempart alert email ...`; the new settings replace the
 * old ones whole. */
static enum MHD_Result
api_alert_email_put(struct api_call *k)
{
	static const char *const members[] = {"url", "starttls", "from", "to",
	    "user", "password", "ca_file", NULL};
	struct alert_config old, cfg;
	struct alert_email_config e = {0};
	enum MHD_Result ret = MHD_NO;
	const char *field, *rule;
	bool valid = false;
	json_t *o;
	int rc;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes url, starttls, from, to, "
		    "user, password and ca_file");
	else if ((field = api_alert_email_body(o, &e, &rule)) != NULL)
		ret = api_bad_field(k->conn, field, rule);
	else
		valid = true;
	api_body_free(o);
	if (!valid) {
		sodium_memzero(&e, sizeof(e));
		return ret;
	}
	rc = api_alert_load(k, &old);
	if (rc != 0) {
		sodium_memzero(&e, sizeof(e));
		return api_store_error(k->conn, "alerts.email", rc);
	}
	cfg = old;
	e.retry = old.email.retry;
	cfg.email = e;
	sodium_memzero(&e, sizeof(e));
	return api_alert_save(k, &old, &cfg, "alert.email.set", "email");
}

/* PUT /api/v1/alerts/limits {dedupe_s?, rate_per_min?}: as `rempart
 * alert limits`. */
static enum MHD_Result
api_alert_limits_put(struct api_call *k)
{
	static const char *const members[] = {"dedupe_s", "rate_per_min", NULL};
	struct alert_config old, cfg;
	enum MHD_Result ret = MHD_NO;
	uint32_t dedupe = 0, rate = 0;
	bool valid = false;
	int hd = 0, hr = 0, rc;
	json_t *o;

	o = api_body(k, &ret);
	if (o == NULL)
		return ret;
	if (!api_body_members_ok(o, members))
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "unknown member: the body takes dedupe_s and "
		    "rate_per_min");
	else if ((hd = api_member_u32(
	              o, "dedupe_s", 0, ALERT_DEDUPE_MAX_S, &dedupe)) < 0)
		ret = api_bad_field(
		    k->conn, "dedupe_s", "0 to 86400 seconds, 0: off");
	else if ((hr = api_member_u32(
	              o, "rate_per_min", 1, ALERT_RATE_MAX, &rate)) < 0)
		ret = api_bad_field(
		    k->conn, "rate_per_min", "1 to 1000 alerts per minute");
	else if (hd == 0 && hr == 0)
		ret = api_error(k->conn, MHD_HTTP_BAD_REQUEST, "invalid_body",
		    "give dedupe_s, rate_per_min or both");
	else
		valid = true;
	json_decref(o);
	if (!valid)
		return ret;
	rc = api_alert_load(k, &old);
	if (rc != 0)
		return api_store_error(k->conn, "alerts.limits", rc);
	cfg = old;
	if (hd == 1)
		cfg.dedupe_s = dedupe;
	if (hr == 1)
		cfg.rate_per_min = rate;
	return api_alert_save(k, &old, &cfg, "alert.limits", "limits");
}

/* DELETE /api/v1/alerts/webhook and /alerts/email: turns the channel
 * off, as `rempart alert webhook|email none`. */
static enum MHD_Result
api_alert_remove(struct api_call *k)
{
	bool webhook = strcmp(k->def->path, "alerts/webhook") == 0;
	struct alert_config old, cfg;
	int rc = api_alert_load(k, &old);

	if (rc != 0)
		return api_store_error(k->conn, "alerts.remove", rc);
	cfg = old;
	if (webhook) {
		memset(&cfg.webhook, 0, sizeof(cfg.webhook));
		cfg.webhook.retry = old.webhook.retry;
	} else {
		memset(&cfg.email, 0, sizeof(cfg.email));
		cfg.email.retry = old.email.retry;
	}
	return api_alert_save(k, &old, &cfg,
	    webhook ? "alert.webhook.remove" : "alert.email.remove",
	    webhook ? "webhook" : "email");
}

/* Delivers the test alert on one channel into 'results'. Returns true
 * when it got through. */
static bool
api_alert_try(struct alert_config *cfg, enum alert_channel ch, json_t *results)
{
	const struct alert_event ev = {
	    .kind = SV("test"),
	    .severity = ALERT_SEV_INFO,
	    .subject = SV("rempart"),
	    .text = SV("Test alert from rempart: this channel works."),
	};
	struct alert_retry *r =
	    ch == ALERT_CH_WEBHOOK ? &cfg->webhook.retry : &cfg->email.retry;
	char err[ALERT_ERROR_MAX];
	bool ok;

	/* Two quick tries, so that an operator is not kept waiting. */
	r->attempts = 2;
	r->backoff_ms = 500;
	err[0] = '\0';
	ok = alert_deliver(cfg, ch, &ev, err, sizeof(err)) == 0;
	json_array_append_new(results,
	    json_pack("{s:s,s:b,s:s*}", "channel", alert_channel_name(ch),
	        "delivered", ok, "error", ok ? NULL : err));
	return ok;
}

/* POST /api/v1/alerts/test[?channel=webhook|email]: sends a test alert
 * on that channel, or on each configured one, synchronously; answers
 * each channel's outcome. When all got through, the time is recorded
 * for the self-assessment. */
static enum MHD_Result
api_alert_test(struct api_call *k)
{
	const char *name = api_param(k, "channel");
	enum alert_channel only = ALERT_CH_WEBHOOK;
	struct alert_config cfg;
	unsigned tried = 0, failed = 0;
	json_t *results;
	char when[24];
	int rc;

	if (name != NULL && alert_channel_parse(sv_cstr(name), &only) != 0)
		return api_bad_param(k->conn, "channel", "webhook or email");
	rc = alertcfg_load(k->api->db, k->api->keys, &cfg);
	if (rc == -EBADMSG)
		return api_error(k->conn, MHD_HTTP_CONFLICT, "invalid_config",
		    "the stored alert configuration is invalid; set it again");
	if (rc != 0)
		return api_store_error(k->conn, "alerts.test", rc);
	results = json_array();
	if (results == NULL) {
		alert_config_wipe(&cfg);
		return api_store_error(k->conn, "alerts.test", -ENOMEM);
	}
	for (int i = 0; i < ALERT_CH_COUNT; i++) {
		enum alert_channel ch = (enum alert_channel)i;
		bool on = ch == ALERT_CH_WEBHOOK ? cfg.webhook.url[0] != '\0'
		                                 : cfg.email.url[0] != '\0';

		if (name != NULL ? ch != only : !on)
			continue;
		tried++;
		/* Up to two tries of ALERT_TIMEOUT_DEFAULT_MS each. */
		api_unlock(k);
		if (!api_alert_try(&cfg, ch, results))
			failed++;
		api_relock(k);
	}
	alert_config_wipe(&cfg);
	if (tried == 0) {
		json_decref(results);
		return api_error(k->conn, MHD_HTTP_CONFLICT, "no_channel",
		    "no alert channel is configured");
	}
	if (failed == 0) {
		/* The self-assessment reports the last test that got
		 * through. */
		snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
		rc = settings_set(
		    k->api->db, ASSESS_SETTING_ALERT_TEST, sv_cstr(when));
		if (rc != 0) {
			json_decref(results);
			return api_store_error(k->conn, "alerts.test", rc);
		}
	}
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack(
	        "{s:o,s:b}", "results", results, "delivered", failed == 0),
	    NULL, NULL);
}

const struct api_route_def api_routes_alerts[] = {
    {"alerts", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_FRAUD_READ, {NULL},
        api_alerts},
    {"alerts/webhook", MHD_HTTP_METHOD_PUT, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_alert_webhook_put},
    {"alerts/webhook", MHD_HTTP_METHOD_DELETE, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_alert_remove},
    {"alerts/email", MHD_HTTP_METHOD_PUT, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_alert_email_put},
    {"alerts/email", MHD_HTTP_METHOD_DELETE, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_alert_remove},
    {"alerts/limits", MHD_HTTP_METHOD_PUT, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {NULL}, api_alert_limits_put},
    {"alerts/test", MHD_HTTP_METHOD_POST, API_TAIL_NONE, RBAC_FRAUD_WRITE,
        {"channel"}, api_alert_test},
    {.path = NULL},
};
