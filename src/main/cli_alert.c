/* rempart alert: the alert channels (R-FRAUD-4). Settings changes are
 * audited in the same transaction (R-ADMIN-4); secrets are read from
 * stdin, sealed at rest, and never printed or audited. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/assess.h"
#include "cli.h"
#include "integ/alert.h"
#include "integ/alertcfg.h"

static int
alert_usage(void)
{
	fprintf(stderr,
	    "usage: rempart alert webhook URL --secret-stdin [--ca-file F]\n"
	    "       rempart alert webhook none\n"
	    "       rempart alert email --url smtp://HOST:PORT|smtps://HOST "
	    "--from ADDR --to ADDR[,ADDR]\n"
	    "                           [--user U --password-stdin] "
	    "[--starttls] [--ca-file F]\n"
	    "       rempart alert email none\n"
	    "       rempart alert limits [--dedupe SECONDS] [--rate N]\n"
	    "       rempart alert show\n"
	    "       rempart alert test [webhook|email]\n");
	return EXIT_USAGE;
}

static const char *
set_or_none(const char *secret)
{
	return secret[0] != '\0' ? "set" : "none";
}

/* What the audit log keeps of the configuration: never a secret, only
 * whether there is one. */
static void
webhook_json(struct buf *b, const struct alert_webhook_config *w)
{
	json_str(b, "url", w->url);
	json_str(b, "secret", set_or_none(w->secret));
	json_str(b, "ca_file", w->ca_file);
}

static void
email_json(struct buf *b, const struct alert_email_config *e)
{
	struct buf to;

	buf_init(&to, 0);
	for (unsigned i = 0; i < e->n_to; i++)
		buf_printf(&to, "%s%s", i > 0 ? "," : "", e->to[i]);
	json_str(b, "url", e->url);
	json_bool(b, "starttls", e->starttls);
	json_str(b, "from", e->from);
	json_sv(b, "to", buf_view(&to));
	json_str(b, "user", e->user);
	json_str(b, "password", set_or_none(e->password));
	json_str(b, "ca_file", e->ca_file);
	buf_release(&to);
}

static void
limits_json(struct buf *b, const struct alert_config *cfg)
{
	json_int(b, "dedupe_s", cfg->dedupe_s);
	json_int(b, "rate_per_min", cfg->rate_per_min);
}

static void
state_json(struct buf *b, const struct alert_config *cfg, const char *what)
{
	if (strcmp(what, "webhook") == 0)
		webhook_json(b, &cfg->webhook);
	else if (strcmp(what, "email") == 0)
		email_json(b, &cfg->email);
	else
		limits_json(b, cfg);
}

/* Loads the stored configuration; one that no longer passes the checks
 * is reported and replaced by the defaults. Returns 0 or an exit
 * code. */
static int
load_config(struct cli *c, struct alert_config *cfg)
{
	int rc = alertcfg_load(c->db, c->keys, cfg);

	if (rc == -EBADMSG) {
		fprintf(stderr, "rempart: the stored alert configuration is "
		                "invalid; starting from the defaults\n");
		return 0;
	}
	return rc == 0 ? 0 : fail("cannot read the alert configuration", rc);
}

/* Saves 'cfg' with the audit entry of 'what' (webhook, email, limits)
 * in one transaction, then tells the daemon. */
static int
save_audited(struct cli *c, const struct alert_config *old,
    const struct alert_config *cfg, const char *action, const char *what)
{
	struct buf before, after;
	const char *field = NULL;
	int rc;

	buf_init(&before, 0);
	buf_init(&after, 0);
	state_json(&before, old, what);
	state_json(&after, cfg, what);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = alertcfg_save(c->db, c->keys, cfg, &field);
		if (rc == 0)
			rc = audit_admin(c, action, what, &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -EINVAL) {
		fprintf(stderr, "rempart: invalid %s\n",
		    field != NULL ? field : "alert configuration");
		return EXIT_USAGE;
	}
	if (rc != 0)
		return fail("cannot store the alert configuration", rc);
	notify_daemon(c);
	return 0;
}

/* Reads one line from stdin into out (size bytes): a secret. Returns 0
 * or an exit code; 'what' names it in messages. */
static int
read_secret(char *out, size_t size, size_t min, const char *what)
{
	size_t n;

	if (fgets(out, (int)size, stdin) == NULL) {
		fprintf(stderr, "rempart: no %s on stdin\n", what);
		return EXIT_USAGE;
	}
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (n < min || !alert_text_valid(sv_make(out, n), size - 2)) {
		keys_wipe(out, size);
		fprintf(stderr,
		    "rempart: invalid %s (%zu to %zu printable characters on "
		    "one line)\n",
		    what, min, size - 2);
		return EXIT_USAGE;
	}
	return 0;
}

/* A CA file: an absolute path the CLI can read. */
static int
check_ca_file(const char *path, char *out, size_t size)
{
	if (path[0] != '/' || strlen(path) >= size ||
	    !alert_text_valid(sv_cstr(path), size - 1)) {
		fprintf(stderr,
		    "rempart: invalid --ca-file '%s' (an absolute "
		    "path)\n",
		    path);
		return EXIT_USAGE;
	}
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "rempart: cannot read --ca-file '%s'\n", path);
		return EXIT_FAIL;
	}
	snprintf(out, size, "%s", path);
	return 0;
}

static int
alert_webhook(struct cli *c, int argc, char **argv)
{
	char secret[ALERT_SECRET_MAX + 2];
	struct alert_config old, cfg;
	const char *ca = NULL;
	bool secret_stdin = false;
	int rc;

	if (argc < 1)
		return alert_usage();
	if (argc == 1 && strcmp(argv[0], "none") == 0) {
		rc = open_store(c);
		if (rc == 0)
			rc = load_config(c, &old);
		if (rc != 0)
			return rc;
		cfg = old;
		memset(&cfg.webhook, 0, sizeof(cfg.webhook));
		cfg.webhook.retry = old.webhook.retry;
		rc = save_audited(
		    c, &old, &cfg, "alert.webhook.remove", "webhook");
		if (rc == 0)
			printf("webhook alerts off\n");
		goto out;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--secret-stdin") == 0)
			secret_stdin = true;
		else if (strcmp(argv[i], "--ca-file") == 0 && i + 1 < argc)
			ca = argv[++i];
		else
			return alert_usage();
	}
	if (!alert_webhook_url_valid(sv_cstr(argv[0]))) {
		fprintf(stderr,
		    "rempart: invalid webhook URL '%s' (https://HOST/PATH; "
		    "http:// only to 127.0.0.1 or [::1]; no user info)\n",
		    argv[0]);
		return EXIT_USAGE;
	}
	if (!secret_stdin) {
		fprintf(stderr, "rempart: alert webhook needs --secret-stdin "
		                "(the HMAC signing secret)\n");
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc == 0)
		rc = load_config(c, &old);
	if (rc != 0)
		return rc;
	cfg = old;
	memset(&cfg.webhook, 0, sizeof(cfg.webhook));
	cfg.webhook.retry = old.webhook.retry;
	snprintf(cfg.webhook.url, sizeof(cfg.webhook.url), "%s", argv[0]);
	if (ca != NULL) {
		rc = check_ca_file(
		    ca, cfg.webhook.ca_file, sizeof(cfg.webhook.ca_file));
		if (rc != 0)
			goto out;
	}
	rc = read_secret(secret, sizeof(secret), ALERT_SECRET_MIN, "secret");
	if (rc != 0)
		goto out;
	memcpy(cfg.webhook.secret, secret, strlen(secret) + 1);
	keys_wipe(secret, sizeof(secret));
	rc = save_audited(c, &old, &cfg, "alert.webhook.set", "webhook");
	if (rc == 0)
		printf("webhook alerts to %s\n", cfg.webhook.url);
out:
	alert_config_wipe(&old);
	alert_config_wipe(&cfg);
	return rc;
}

struct email_args {
	const char *url, *from, *to, *user, *ca;
	bool password_stdin, starttls;
};

static int
email_parse(struct email_args *a, int argc, char **argv)
{
	*a = (struct email_args){0};
	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--url") == 0)
			slot = &a->url;
		else if (strcmp(argv[i], "--from") == 0)
			slot = &a->from;
		else if (strcmp(argv[i], "--to") == 0)
			slot = &a->to;
		else if (strcmp(argv[i], "--user") == 0)
			slot = &a->user;
		else if (strcmp(argv[i], "--ca-file") == 0)
			slot = &a->ca;
		else if (strcmp(argv[i], "--password-stdin") == 0)
			a->password_stdin = true;
		else if (strcmp(argv[i], "--starttls") == 0)
			a->starttls = true;
		else
			return alert_usage();
		if (slot != NULL) {
			if (i + 1 >= argc)
				return alert_usage();
			*slot = argv[++i];
		}
	}
	if (a->url == NULL || a->from == NULL || a->to == NULL) {
		fprintf(stderr,
		    "rempart: alert email needs --url, --from and --to\n");
		return EXIT_USAGE;
	}
	if ((a->user != NULL) != a->password_stdin) {
		fprintf(stderr, "rempart: --user and --password-stdin go "
		                "together\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* Checks the arguments into e (not the password). */
static int
email_apply(const struct email_args *a, struct alert_email_config *e)
{
	int rc;

	if (!alert_email_url_valid(sv_cstr(a->url), a->starttls)) {
		fprintf(stderr,
		    "rempart: invalid email URL '%s' (smtps://HOST[:PORT], or "
		    "smtp://HOST[:PORT] with --starttls; plain smtp:// only to "
		    "127.0.0.1 or [::1]; no path or user info)\n",
		    a->url);
		return EXIT_USAGE;
	}
	snprintf(e->url, sizeof(e->url), "%s", a->url);
	e->starttls = a->starttls;
	if (!alert_address_valid(sv_cstr(a->from))) {
		fprintf(stderr,
		    "rempart: invalid --from address (local@domain, no "
		    "spaces, angle brackets or control characters)\n");
		return EXIT_USAGE;
	}
	snprintf(e->from, sizeof(e->from), "%s", a->from);
	rc = alertcfg_parse_to(sv_cstr(a->to), e);
	if (rc != 0) {
		fprintf(stderr,
		    "rempart: invalid --to (1 to %d addresses, "
		    "comma-separated, no control characters)\n",
		    ALERT_RCPT_MAX);
		return EXIT_USAGE;
	}
	if (a->user != NULL) {
		if (!alert_text_valid(sv_cstr(a->user), ALERT_USER_MAX)) {
			fprintf(stderr,
			    "rempart: invalid --user (1 to %d "
			    "printable characters)\n",
			    ALERT_USER_MAX);
			return EXIT_USAGE;
		}
		snprintf(e->user, sizeof(e->user), "%s", a->user);
	}
	if (a->ca != NULL)
		return check_ca_file(a->ca, e->ca_file, sizeof(e->ca_file));
	return 0;
}

static int
alert_email(struct cli *c, int argc, char **argv)
{
	char password[ALERT_PASSWORD_MAX + 2];
	struct alert_config old, cfg;
	struct email_args a;
	int rc;

	if (argc == 1 && strcmp(argv[0], "none") == 0) {
		rc = open_store(c);
		if (rc == 0)
			rc = load_config(c, &old);
		if (rc != 0)
			return rc;
		cfg = old;
		memset(&cfg.email, 0, sizeof(cfg.email));
		cfg.email.retry = old.email.retry;
		rc = save_audited(c, &old, &cfg, "alert.email.remove", "email");
		if (rc == 0)
			printf("email alerts off\n");
		goto out;
	}
	rc = email_parse(&a, argc, argv);
	if (rc != 0)
		return rc;
	alert_config_init(&cfg);
	rc = email_apply(&a, &cfg.email);
	if (rc != 0)
		return rc;
	rc = open_store(c);
	if (rc == 0)
		rc = load_config(c, &old);
	if (rc != 0)
		return rc;
	{
		struct alert_email_config e = cfg.email;

		e.retry = old.email.retry;
		cfg = old;
		cfg.email = e;
	}
	if (a.password_stdin) {
		rc = read_secret(password, sizeof(password), 1, "password");
		if (rc != 0)
			goto out;
		memcpy(cfg.email.password, password, strlen(password) + 1);
		keys_wipe(password, sizeof(password));
	}
	rc = save_audited(c, &old, &cfg, "alert.email.set", "email");
	if (rc == 0)
		printf("email alerts to %s through %s\n", a.to, cfg.email.url);
out:
	alert_config_wipe(&old);
	alert_config_wipe(&cfg);
	return rc;
}

static int
alert_limits(struct cli *c, int argc, char **argv)
{
	struct alert_config old, cfg;
	uint32_t v;
	int rc;

	for (int i = 0; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--dedupe") != 0 &&
		    strcmp(argv[i], "--rate") != 0)
			return alert_usage();
	if (argc == 0 || argc % 2 != 0)
		return alert_usage();
	rc = open_store(c);
	if (rc == 0)
		rc = load_config(c, &old);
	if (rc != 0)
		return rc;
	cfg = old;
	for (int i = 0; i + 1 < argc; i += 2) {
		bool dedupe = strcmp(argv[i], "--dedupe") == 0;
		uint32_t max = dedupe ? ALERT_DEDUPE_MAX_S : ALERT_RATE_MAX;

		if (sv_to_u32(sv_cstr(argv[i + 1]), max, &v) != 0 ||
		    (!dedupe && v == 0)) {
			fprintf(stderr, "rempart: invalid %s '%s' (%s)\n",
			    argv[i], argv[i + 1],
			    dedupe ? "0 to 86400 seconds, 0: off"
			           : "1 to 1000 alerts per minute");
			rc = EXIT_USAGE;
			goto out;
		}
		if (dedupe)
			cfg.dedupe_s = v;
		else
			cfg.rate_per_min = v;
	}
	rc = save_audited(c, &old, &cfg, "alert.limits", "limits");
	if (rc == 0)
		printf("alert limits: dedupe %" PRIu32 " s, %" PRIu32
		       " per minute\n",
		    cfg.dedupe_s, cfg.rate_per_min);
out:
	alert_config_wipe(&old);
	alert_config_wipe(&cfg);
	return rc;
}

static const char *
none_if_empty(const char *s)
{
	return s[0] != '\0' ? s : "none";
}

static int
alert_show(struct cli *c)
{
	struct alert_config cfg;
	const struct alert_email_config *e = &cfg.email;
	int rc = open_store(c);

	if (rc != 0)
		return rc;
	rc = alertcfg_load(c->db, c->keys, &cfg);
	if (rc == -EBADMSG) {
		fprintf(stderr, "rempart: the stored alert configuration is "
		                "invalid; set it again\n");
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot read the alert configuration", rc);
	printf("webhook: %s\n", none_if_empty(cfg.webhook.url));
	if (cfg.webhook.url[0] != '\0') {
		printf("webhook secret: %s\n", set_or_none(cfg.webhook.secret));
		printf("webhook ca file: %s\n",
		    none_if_empty(cfg.webhook.ca_file));
	}
	printf("email: %s\n", none_if_empty(e->url));
	if (e->url[0] != '\0') {
		printf("email starttls: %s\n", e->starttls ? "required" : "no");
		printf("email from: %s\n", e->from);
		printf("email to: ");
		for (unsigned i = 0; i < e->n_to; i++)
			printf("%s%s", i > 0 ? "," : "", e->to[i]);
		printf("\nemail user: %s\n", none_if_empty(e->user));
		printf("email password: %s\n", set_or_none(e->password));
		printf("email ca file: %s\n", none_if_empty(e->ca_file));
	}
	printf("dedupe: %" PRIu32 " s\n", cfg.dedupe_s);
	printf("rate: %" PRIu32 " per minute\n", cfg.rate_per_min);
	alert_config_wipe(&cfg);
	return 0;
}

/* Sends a test alert on each channel asked for (all configured ones
 * when none is named), synchronously, with the channel's retries cut
 * to two quick tries so that an operator is not kept waiting. */
static int
alert_test_cmd(struct cli *c, int argc, char **argv)
{
	struct alert_event ev = {
	    .kind = SV("test"),
	    .severity = ALERT_SEV_INFO,
	    .subject = SV("rempart"),
	    .text = SV("Test alert from rempart: this channel works."),
	};
	char err[ALERT_ERROR_MAX];
	struct alert_config cfg;
	enum alert_channel only = ALERT_CH_WEBHOOK;
	unsigned tried = 0, failed = 0;
	int rc;

	if (argc > 1)
		return alert_usage();
	if (argc == 1 && alert_channel_parse(sv_cstr(argv[0]), &only) != 0)
		return alert_usage();
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = alertcfg_load(c->db, c->keys, &cfg);
	if (rc != 0)
		return fail("cannot read the alert configuration", rc);
	if (alert_global_init() != 0) {
		alert_config_wipe(&cfg);
		return fail("cannot start libcurl", -EIO);
	}
	for (int i = 0; i < ALERT_CH_COUNT; i++) {
		enum alert_channel ch = (enum alert_channel)i;
		struct alert_retry *r = ch == ALERT_CH_WEBHOOK
		                            ? &cfg.webhook.retry
		                            : &cfg.email.retry;

		if (argc == 1 && ch != only)
			continue;
		if (argc == 0 &&
		    !(ch == ALERT_CH_WEBHOOK ? cfg.webhook.url[0] != '\0'
		                             : cfg.email.url[0] != '\0'))
			continue;
		r->attempts = 2;
		r->backoff_ms = 500;
		tried++;
		rc = alert_deliver(&cfg, ch, &ev, err, sizeof(err));
		if (rc == 0) {
			printf("%s: test alert delivered\n",
			    alert_channel_name(ch));
		} else {
			fprintf(stderr,
			    "rempart: %s: test alert not delivered: "
			    "%s\n",
			    alert_channel_name(ch), err);
			failed++;
		}
	}
	alert_global_cleanup();
	alert_config_wipe(&cfg);
	if (tried == 0) {
		fprintf(stderr, "rempart: no alert channel is configured\n");
		return EXIT_FAIL;
	}
	if (failed != 0)
		return EXIT_FAIL;
	/* The self-assessment reports the last test that got through. */
	{
		char when[24];

		snprintf(when, sizeof(when), "%lld", (long long)time(NULL));
		rc = settings_set(
		    c->db, ASSESS_SETTING_ALERT_TEST, sv_cstr(when));
		if (rc != 0)
			return fail("cannot record the test delivery", rc);
	}
	return 0;
}

int
cmd_alert(struct cli *c, int argc, char **argv)
{
	if (argc < 1)
		return alert_usage();
	if (strcmp(argv[0], "webhook") == 0)
		return alert_webhook(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "email") == 0)
		return alert_email(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "limits") == 0)
		return alert_limits(c, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "show") == 0)
		return alert_show(c);
	if (strcmp(argv[0], "test") == 0)
		return alert_test_cmd(c, argc - 1, argv + 1);
	return alert_usage();
}
