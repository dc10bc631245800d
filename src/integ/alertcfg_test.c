/* Unit tests for the alert configuration in the settings table
 * (R-FRAUD-4): defaults, a round trip, sealed secrets (R-CRYPTO-3) and
 * stored values that break the rules. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "integ/alertcfg.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"

#define HOOK_SECRET "hook-secret-abcdefghijklmnop"
#define MAIL_PASSWORD "smtp-Passw0rd"

struct fixture {
	char dir[64];
	struct db *db;
	struct keys *k;
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-alertcfg-XXXXXX",
	    sizeof("/tmp/rempart-alertcfg-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	db_close(f->db);
	keys_free(f->k);
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void
full_config(struct alert_config *c)
{
	alert_config_init(c);
	snprintf(c->webhook.url, sizeof(c->webhook.url), "%s",
	    "https://hooks.example.com/rempart");
	snprintf(
	    c->webhook.secret, sizeof(c->webhook.secret), "%s", HOOK_SECRET);
	snprintf(c->webhook.ca_file, sizeof(c->webhook.ca_file), "%s",
	    "/etc/rempart/ca.pem");
	snprintf(c->email.url, sizeof(c->email.url), "%s",
	    "smtp://mail.example.com:587");
	c->email.starttls = true;
	snprintf(c->email.from, sizeof(c->email.from), "%s", "pbx@example.com");
	assert_int_equal(alertcfg_parse_to(
	                     SV("ops@example.com, sec@example.org"), &c->email),
	    0);
	snprintf(c->email.user, sizeof(c->email.user), "%s", "pbx");
	snprintf(
	    c->email.password, sizeof(c->email.password), "%s", MAIL_PASSWORD);
	c->dedupe_s = 120;
	c->rate_per_min = 20;
}

/* An empty database: both channels off, the defaults. */
static void
test_defaults(void **state)
{
	struct fixture *f = *state;
	struct alert_config c;

	assert_int_equal(alertcfg_load(f->db, f->k, &c), 0);
	assert_string_equal(c.webhook.url, "");
	assert_string_equal(c.email.url, "");
	assert_int_equal(c.dedupe_s, ALERT_DEDUPE_DEFAULT_S);
	assert_int_equal(c.rate_per_min, ALERT_RATE_DEFAULT);
}

/* R-FRAUD-4, R-CRYPTO-3: a round trip; secrets are sealed at rest. */
static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct alert_config c, back;
	char raw[SETTINGS_VALUE_MAX + 1];

	full_config(&c);
	assert_int_equal(alertcfg_save(f->db, f->k, &c, NULL), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), 0);
	assert_string_equal(back.webhook.url, c.webhook.url);
	assert_string_equal(back.webhook.secret, HOOK_SECRET);
	assert_string_equal(back.webhook.ca_file, "/etc/rempart/ca.pem");
	assert_string_equal(back.email.url, c.email.url);
	assert_true(back.email.starttls);
	assert_string_equal(back.email.from, "pbx@example.com");
	assert_int_equal(back.email.n_to, 2);
	assert_string_equal(back.email.to[0], "ops@example.com");
	assert_string_equal(back.email.to[1], "sec@example.org");
	assert_string_equal(back.email.user, "pbx");
	assert_string_equal(back.email.password, MAIL_PASSWORD);
	assert_int_equal(back.dedupe_s, 120);
	assert_int_equal(back.rate_per_min, 20);

	assert_int_equal(
	    settings_get(f->db, ALERTCFG_WEBHOOK_SECRET, raw, sizeof(raw)), 0);
	assert_null(strstr(raw, HOOK_SECRET));
	assert_true(strlen(raw) > 2 * strlen(HOOK_SECRET));
	assert_int_equal(
	    settings_get(f->db, ALERTCFG_EMAIL_PASSWORD, raw, sizeof(raw)), 0);
	assert_null(strstr(raw, MAIL_PASSWORD));
	assert_int_equal(
	    settings_get(f->db, ALERTCFG_EMAIL_TO, raw, sizeof(raw)), 0);
	assert_string_equal(raw, "ops@example.com,sec@example.org");

	/* Turning a channel off empties its keys, secret included. */
	c.webhook.url[0] = '\0';
	assert_int_equal(alertcfg_save(f->db, f->k, &c, NULL), 0);
	assert_int_equal(
	    settings_get(f->db, ALERTCFG_WEBHOOK_SECRET, raw, sizeof(raw)), 0);
	assert_string_equal(raw, "");
	assert_int_equal(alertcfg_load(f->db, f->k, &back), 0);
	assert_string_equal(back.webhook.url, "");
	assert_string_equal(back.webhook.secret, "");
	assert_int_equal(back.email.n_to, 2);
	alert_config_wipe(&c);
	alert_config_wipe(&back);
}

/* A sealed secret moved to another key, or altered, does not open. */
static void
test_sealed_bound_to_key(void **state)
{
	struct fixture *f = *state;
	struct alert_config c, back;
	char raw[SETTINGS_VALUE_MAX + 1];

	full_config(&c);
	assert_int_equal(alertcfg_save(f->db, f->k, &c, NULL), 0);
	assert_int_equal(
	    settings_get(f->db, ALERTCFG_WEBHOOK_SECRET, raw, sizeof(raw)), 0);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_EMAIL_PASSWORD, sv_cstr(raw)), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	assert_string_equal(back.webhook.url, "");
	assert_string_equal(back.webhook.secret, "");

	raw[10] = raw[10] == 'a' ? 'b' : 'a';
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_WEBHOOK_SECRET, sv_cstr(raw)), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_WEBHOOK_SECRET, SV("abc")), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	alert_config_wipe(&c);
}

/* Stored values that break the rules, and what save refuses. */
static void
test_invalid(void **state)
{
	struct fixture *f = *state;
	struct alert_config c, back;
	const char *field = NULL;
	struct alert_email_config e;

	full_config(&c);
	snprintf(c.email.url, sizeof(c.email.url), "%s",
	    "smtp://mail.example.com:25");
	c.email.starttls = false;
	assert_int_equal(alertcfg_save(f->db, f->k, &c, &field), -EINVAL);
	assert_string_equal(field, "alert.email.url");
	c.email.starttls = true;
	c.rate_per_min = 0;
	assert_int_equal(alertcfg_save(f->db, f->k, &c, &field), -EINVAL);
	assert_string_equal(field, "alert.rate_per_min");
	c.rate_per_min = 5;
	assert_int_equal(alertcfg_save(f->db, f->k, &c, &field), 0);

	assert_int_equal(
	    settings_set(f->db, ALERTCFG_RATE_PER_MIN, SV("x")), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_RATE_PER_MIN, SV("0")), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_RATE_PER_MIN, SV("7")), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), 0);
	assert_int_equal(back.rate_per_min, 7);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_EMAIL_STARTTLS, SV("maybe")), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_EMAIL_STARTTLS, SV("true")), 0);
	assert_int_equal(settings_set(f->db, ALERTCFG_EMAIL_TO,
	                     SV("a@example.com,,b@x.org")),
	    0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);
	assert_int_equal(
	    settings_set(f->db, ALERTCFG_EMAIL_TO, SV("a@example.com")), 0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), 0);
	assert_int_equal(settings_set(f->db, ALERTCFG_WEBHOOK_URL,
	                     SV("http://hooks.example.com/")),
	    0);
	assert_int_equal(alertcfg_load(f->db, f->k, &back), -EBADMSG);

	assert_int_equal(alertcfg_parse_to(SV(""), &e), -EINVAL);
	assert_int_equal(alertcfg_parse_to(SV("a@b.c,"), &e), -EINVAL);
	assert_int_equal(alertcfg_parse_to(SV("a@b.c, <x@y.z>"), &e), -EINVAL);
	assert_int_equal(alertcfg_parse_to(SV("a@b.c,b@b.c,c@b.c,d@b.c,e@b.c,"
	                                      "f@b.c,g@b.c,h@b.c,i@b.c"),
	                     &e),
	    -E2BIG);
	assert_int_equal(alertcfg_parse_to(SV(" a@b.c ,b@b.c"), &e), 0);
	assert_int_equal(e.n_to, 2);
	assert_string_equal(e.to[0], "a@b.c");
	alert_config_wipe(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sealed_bound_to_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
