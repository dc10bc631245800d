/* The alert channels' configuration in the settings table. */
#include "integ/alertcfg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "store/settings.h"

/* A sealed secret in hex, with its NUL. */
#define SEALED_HEX_MAX (2 * (ALERT_PASSWORD_MAX + KEYS_SEAL_OVERHEAD) + 1)

int
alertcfg_parse_to(struct sv list, struct alert_email_config *e)
{
	struct sv rest = list, item;
	bool last = false;

	e->n_to = 0;
	while (!last) {
		if (!sv_split(&rest, ',', &item)) {
			item = rest;
			last = true;
		}
		item = sv_trim(item);
		if (!alert_address_valid(item))
			return -EINVAL;
		if (e->n_to == ALERT_RCPT_MAX)
			return -E2BIG;
		memcpy(e->to[e->n_to], item.p, item.len);
		e->to[e->n_to][item.len] = '\0';
		e->n_to++;
	}
	return 0;
}

/* Reads a text setting into out; an absent key leaves out as it was. */
static int
get_text(struct db *db, const char *key, char *out, size_t size)
{
	char value[SETTINGS_VALUE_MAX + 1];
	size_t n;
	int rc = settings_get(db, key, value, sizeof(value));

	if (rc == -ENOENT)
		return 0;
	if (rc != 0)
		return rc;
	n = strlen(value);
	if (n >= size)
		return -EBADMSG;
	memcpy(out, value, n + 1);
	return 0;
}

static int
get_u32(struct db *db, const char *key, uint32_t max, uint32_t *out)
{
	char value[16] = "";
	int rc = get_text(db, key, value, sizeof(value));

	if (rc == -EBADMSG || (rc == 0 && value[0] != '\0' &&
	                          sv_to_u32(sv_cstr(value), max, out) != 0))
		return -EBADMSG;
	return rc;
}

static int
get_bool(struct db *db, const char *key, bool *out)
{
	char value[8] = "";
	int rc = get_text(db, key, value, sizeof(value));

	if (rc != 0)
		return rc;
	if (strcmp(value, "true") == 0)
		*out = true;
	else if (strcmp(value, "false") == 0 || value[0] == '\0')
		*out = false;
	else
		return -EBADMSG;
	return 0;
}

static struct sv
secret_aad(char *aad, size_t size, const char *key)
{
	int n = snprintf(aad, size, "settings:%s", key);

	return sv_make(aad, n > 0 ? (size_t)n : 0);
}

/* Opens a sealed secret (hex) into out; an absent or empty one leaves
 * out empty. */
static int
get_secret(struct db *db, const struct keys *keys, const char *key, char *out,
    size_t size)
{
	char hex[SEALED_HEX_MAX] = "", aad[64];
	unsigned char sealed[SEALED_HEX_MAX / 2];
	struct buf plain;
	size_t n;
	int rc = get_text(db, key, hex, sizeof(hex));

	out[0] = '\0';
	if (rc != 0 || hex[0] == '\0')
		return rc;
	n = strlen(hex);
	if (n % 2 != 0)
		return -EBADMSG;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = sv_hex_value(hex[2 * i]),
		    lo = sv_hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EBADMSG;
		sealed[i] = (unsigned char)(hi * 16 + lo);
	}
	buf_init(&plain, 0);
	rc = keys_open(keys, sv_make((const char *)sealed, n / 2),
	    secret_aad(aad, sizeof(aad), key), &plain);
	if (rc == 0 && plain.len >= size)
		rc = -EBADMSG;
	if (rc == 0) {
		memcpy(out, plain.data, plain.len);
		out[plain.len] = '\0';
	}
	keys_wipe_buf(&plain);
	return rc;
}

static int
load(struct db *db, const struct keys *keys, struct alert_config *c,
    const char **key)
{
	char to[SETTINGS_VALUE_MAX + 1] = "";
	int rc;

#define STEP(k, call)                                                          \
	do {                                                                   \
		*key = (k);                                                    \
		rc = (call);                                                   \
		if (rc != 0)                                                   \
			return rc;                                             \
	} while (0)
	STEP(ALERTCFG_WEBHOOK_URL, get_text(db, ALERTCFG_WEBHOOK_URL,
	                               c->webhook.url, sizeof(c->webhook.url)));
	STEP(ALERTCFG_WEBHOOK_SECRET,
	    get_secret(db, keys, ALERTCFG_WEBHOOK_SECRET, c->webhook.secret,
	        sizeof(c->webhook.secret)));
	STEP(ALERTCFG_WEBHOOK_CA_FILE,
	    get_text(db, ALERTCFG_WEBHOOK_CA_FILE, c->webhook.ca_file,
	        sizeof(c->webhook.ca_file)));
	STEP(ALERTCFG_EMAIL_URL, get_text(db, ALERTCFG_EMAIL_URL, c->email.url,
	                             sizeof(c->email.url)));
	STEP(ALERTCFG_EMAIL_STARTTLS,
	    get_bool(db, ALERTCFG_EMAIL_STARTTLS, &c->email.starttls));
	STEP(ALERTCFG_EMAIL_FROM, get_text(db, ALERTCFG_EMAIL_FROM,
	                              c->email.from, sizeof(c->email.from)));
	STEP(
	    ALERTCFG_EMAIL_TO, get_text(db, ALERTCFG_EMAIL_TO, to, sizeof(to)));
	STEP(ALERTCFG_EMAIL_USER, get_text(db, ALERTCFG_EMAIL_USER,
	                              c->email.user, sizeof(c->email.user)));
	STEP(ALERTCFG_EMAIL_PASSWORD,
	    get_secret(db, keys, ALERTCFG_EMAIL_PASSWORD, c->email.password,
	        sizeof(c->email.password)));
	STEP(ALERTCFG_EMAIL_CA_FILE,
	    get_text(db, ALERTCFG_EMAIL_CA_FILE, c->email.ca_file,
	        sizeof(c->email.ca_file)));
	STEP(ALERTCFG_DEDUPE_S,
	    get_u32(db, ALERTCFG_DEDUPE_S, ALERT_DEDUPE_MAX_S, &c->dedupe_s));
	STEP(ALERTCFG_RATE_PER_MIN, get_u32(db, ALERTCFG_RATE_PER_MIN,
	                                ALERT_RATE_MAX, &c->rate_per_min));
#undef STEP
	*key = ALERTCFG_EMAIL_TO;
	if (c->email.url[0] != '\0' &&
	    alertcfg_parse_to(sv_cstr(to), &c->email) != 0)
		return -EBADMSG;
	*key = NULL;
	if (alert_config_check(c, key) != 0)
		return -EBADMSG;
	return 0;
}

int
alertcfg_load(struct db *db, const struct keys *keys, struct alert_config *out)
{
	const char *key = NULL;
	int rc;

	alert_config_init(out);
	rc = load(db, keys, out, &key);
	if (rc != 0) {
		if (rc == -EBADMSG)
			log_warn("alert", "msg=bad_setting key=%s",
			    key != NULL ? key : "?");
		alert_config_wipe(out);
		alert_config_init(out);
	}
	return rc;
}

static int
put_text(struct db *db, const char *key, const char *value)
{
	return settings_set(db, key, sv_cstr(value));
}

static int
put_u32(struct db *db, const char *key, uint32_t v)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", (unsigned)v);
	return put_text(db, key, text);
}

static int
put_secret(
    struct db *db, const struct keys *keys, const char *key, const char *secret)
{
	static const char digits[] = "0123456789abcdef";
	char hex[SEALED_HEX_MAX], aad[64];
	struct buf sealed;
	int rc;

	if (secret[0] == '\0')
		return put_text(db, key, "");
	buf_init(&sealed, 0);
	rc = keys_seal(
	    keys, sv_cstr(secret), secret_aad(aad, sizeof(aad), key), &sealed);
	if (rc == 0 && 2 * sealed.len >= sizeof(hex))
		rc = -E2BIG;
	if (rc == 0) {
		for (size_t i = 0; i < sealed.len; i++) {
			unsigned char b = (unsigned char)sealed.data[i];

			hex[2 * i] = digits[b >> 4];
			hex[2 * i + 1] = digits[b & 15];
		}
		hex[2 * sealed.len] = '\0';
		rc = put_text(db, key, hex);
	}
	buf_release(&sealed);
	return rc;
}

int
alertcfg_save(struct db *db, const struct keys *keys,
    const struct alert_config *cfg, const char **field)
{
	const struct alert_webhook_config *w = &cfg->webhook;
	const struct alert_email_config *e = &cfg->email;
	bool wh = w->url[0] != '\0', em = e->url[0] != '\0';
	struct buf to;
	int rc;

	rc = alert_config_check(cfg, field);
	if (rc != 0)
		return rc;
	buf_init(&to, SETTINGS_VALUE_MAX);
	for (unsigned i = 0; em && i < e->n_to; i++) {
		if (i > 0)
			buf_append_char(&to, ',');
		buf_append_cstr(&to, e->to[i]);
	}
	buf_append_char(&to, '\0');
	rc = buf_error(&to);
	if (rc == 0)
		rc = put_text(db, ALERTCFG_WEBHOOK_URL, wh ? w->url : "");
	if (rc == 0)
		rc = put_secret(
		    db, keys, ALERTCFG_WEBHOOK_SECRET, wh ? w->secret : "");
	if (rc == 0)
		rc = put_text(
		    db, ALERTCFG_WEBHOOK_CA_FILE, wh ? w->ca_file : "");
	if (rc == 0)
		rc = put_text(db, ALERTCFG_EMAIL_URL, em ? e->url : "");
	if (rc == 0)
		rc = put_text(db, ALERTCFG_EMAIL_STARTTLS,
		    em && e->starttls ? "true" : "false");
	if (rc == 0)
		rc = put_text(db, ALERTCFG_EMAIL_FROM, em ? e->from : "");
	if (rc == 0)
		rc = put_text(db, ALERTCFG_EMAIL_TO, to.data);
	if (rc == 0)
		rc = put_text(db, ALERTCFG_EMAIL_USER, em ? e->user : "");
	if (rc == 0)
		rc = put_secret(
		    db, keys, ALERTCFG_EMAIL_PASSWORD, em ? e->password : "");
	if (rc == 0)
		rc = put_text(db, ALERTCFG_EMAIL_CA_FILE, em ? e->ca_file : "");
	if (rc == 0)
		rc = put_u32(db, ALERTCFG_DEDUPE_S, cfg->dedupe_s);
	if (rc == 0)
		rc = put_u32(db, ALERTCFG_RATE_PER_MIN, cfg->rate_per_min);
	buf_release(&to);
	return rc;
}
