/* rempart alert: the alert channels (R-FRAUD-4), through the
 * administration API (/api/v1/alerts), which stores each change with
 * its audit entry in one transaction (R-ADMIN-4). Secrets are read from
 * stdin, sent once, sealed at rest, and never printed or audited. The
 * arguments are checked here first, so each message names its
 * option. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_api.h"
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
cli_jstr(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

/* Wipes the secret of a request (webhook secret, SMTP password). */
static void
alert_body_wipe(json_t *body)
{
	static const char *const names[] = {"secret", "password"};

	for (size_t i = 0; i < RP_ARRAY_LEN(names); i++) {
		json_t *v = json_object_get(body, names[i]);
		const char *s = json_string_value(v);

		if (s != NULL)
			keys_wipe((char *)(uintptr_t)s, strlen(s));
	}
}

/* Sends one change; the API checks it again, stores it with its audit
 * entry and tells the daemon. *out is the answer (may be NULL). Returns
 * 0 or an exit code. */
static int
alert_put(struct cli *c, const char *method, const char *path, json_t *body,
    json_t **out)
{
	json_t *o = NULL;
	int rc;

	if (body == NULL && strcmp(method, "DELETE") != 0)
		return fail("cannot build the request", -ENOMEM);
	rc = cli_call(c, method, path, body, 0, &o);
	alert_body_wipe(body);
	json_decref(body);
	if (out != NULL)
		*out = o;
	else
		json_decref(o);
	return rc;
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

/* A CA file: an absolute path. The API checks that the server can
 * read it; on this host the check comes first, with its option's
 * name. */
static int
check_ca_file(struct cli *c, const char *path, char *out, size_t size)
{
	if (path[0] != '/' || strlen(path) >= size ||
	    !alert_text_valid(sv_cstr(path), size - 1)) {
		fprintf(stderr,
		    "rempart: invalid --ca-file '%s' (an absolute "
		    "path)\n",
		    path);
		return EXIT_USAGE;
	}
	if (c->api_url == NULL && access(path, R_OK) != 0) {
		fprintf(stderr, "rempart: cannot read --ca-file '%s'\n", path);
		return EXIT_FAIL;
	}
	snprintf(out, size, "%s", path);
	return 0;
}

static int
alert_webhook(struct cli *c, int argc, char **argv)
{
	char secret[ALERT_SECRET_MAX + 2], ca_file[ALERT_PATH_MAX + 1];
	const char *ca = NULL;
	bool secret_stdin = false;
	json_t *body;
	int rc;

	if (argc < 1)
		return alert_usage();
	if (argc == 1 && strcmp(argv[0], "none") == 0) {
		rc = alert_put(c, "DELETE", "alerts/webhook", NULL, NULL);
		if (rc == 0)
			printf("webhook alerts off\n");
		return rc;
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
	if (ca != NULL) {
		rc = check_ca_file(c, ca, ca_file, sizeof(ca_file));
		if (rc != 0)
			return rc;
	}
	rc = read_secret(secret, sizeof(secret), ALERT_SECRET_MIN, "secret");
	if (rc != 0)
		return rc;
	body = json_pack("{s:s,s:s}", "url", argv[0], "secret", secret);
	keys_wipe(secret, sizeof(secret));
	if (body != NULL && ca != NULL)
		json_object_set_new(body, "ca_file", json_string(ca_file));
	rc = alert_put(c, "PUT", "alerts/webhook", body, NULL);
	if (rc == 0)
		printf("webhook alerts to %s\n", argv[0]);
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

/* Checks the arguments (not the password), with the messages of each
 * option; e gets them. */
static int
email_check(
    struct cli *c, const struct email_args *a, struct alert_email_config *e)
{
	if (!alert_email_url_valid(sv_cstr(a->url), a->starttls)) {
		fprintf(stderr,
		    "rempart: invalid email URL '%s' (smtps://HOST[:PORT], or "
		    "smtp://HOST[:PORT] with --starttls; plain smtp:// only to "
		    "127.0.0.1 or [::1]; no path or user info)\n",
		    a->url);
		return EXIT_USAGE;
	}
	if (!alert_address_valid(sv_cstr(a->from))) {
		fprintf(stderr,
		    "rempart: invalid --from address (local@domain, no "
		    "spaces, angle brackets or control characters)\n");
		return EXIT_USAGE;
	}
	if (alertcfg_parse_to(sv_cstr(a->to), e) != 0) {
		fprintf(stderr,
		    "rempart: invalid --to (1 to %d addresses, "
		    "comma-separated, no control characters)\n",
		    ALERT_RCPT_MAX);
		return EXIT_USAGE;
	}
	if (a->user != NULL &&
	    !alert_text_valid(sv_cstr(a->user), ALERT_USER_MAX)) {
		fprintf(stderr,
		    "rempart: invalid --user (1 to %d "
		    "printable characters)\n",
		    ALERT_USER_MAX);
		return EXIT_USAGE;
	}
	if (a->ca != NULL)
		return check_ca_file(c, a->ca, e->ca_file, sizeof(e->ca_file));
	return 0;
}

static int
alert_email(struct cli *c, int argc, char **argv)
{
	char password[ALERT_PASSWORD_MAX + 2];
	struct alert_email_config e = {0};
	struct email_args a;
	json_t *body;
	int rc;

	if (argc == 1 && strcmp(argv[0], "none") == 0) {
		rc = alert_put(c, "DELETE", "alerts/email", NULL, NULL);
		if (rc == 0)
			printf("email alerts off\n");
		return rc;
	}
	rc = email_parse(&a, argc, argv);
	if (rc == 0)
		rc = email_check(c, &a, &e);
	if (rc != 0)
		return rc;
	body = json_pack("{s:s,s:b,s:s,s:s}", "url", a.url, "starttls",
	    a.starttls, "from", a.from, "to", a.to);
	if (body != NULL && a.ca != NULL)
		json_object_set_new(body, "ca_file", json_string(e.ca_file));
	if (body != NULL && a.password_stdin) {
		rc = read_secret(password, sizeof(password), 1, "password");
		if (rc != 0) {
			json_decref(body);
			return rc;
		}
		json_object_set_new(body, "user", json_string(a.user));
		json_object_set_new(body, "password", json_string(password));
		keys_wipe(password, sizeof(password));
	}
	rc = alert_put(c, "PUT", "alerts/email", body, NULL);
	if (rc == 0)
		printf("email alerts to %s through %s\n", a.to, a.url);
	return rc;
}

static int
alert_limits(struct cli *c, int argc, char **argv)
{
	json_t *body, *o = NULL;
	uint32_t v;
	int rc;

	for (int i = 0; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--dedupe") != 0 &&
		    strcmp(argv[i], "--rate") != 0)
			return alert_usage();
	if (argc == 0 || argc % 2 != 0)
		return alert_usage();
	body = json_object();
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	for (int i = 0; i + 1 < argc; i += 2) {
		bool dedupe = strcmp(argv[i], "--dedupe") == 0;
		uint32_t max = dedupe ? ALERT_DEDUPE_MAX_S : ALERT_RATE_MAX;

		if (sv_to_u32(sv_cstr(argv[i + 1]), max, &v) != 0 ||
		    (!dedupe && v == 0)) {
			fprintf(stderr, "rempart: invalid %s '%s' (%s)\n",
			    argv[i], argv[i + 1],
			    dedupe ? "0 to 86400 seconds, 0: off"
			           : "1 to 1000 alerts per minute");
			json_decref(body);
			return EXIT_USAGE;
		}
		json_object_set_new(body, dedupe ? "dedupe_s" : "rate_per_min",
		    json_integer(v));
	}
	rc = alert_put(c, "PUT", "alerts/limits", body, &o);
	if (rc == 0)
		printf("alert limits: dedupe %" PRId64 " s, %" PRId64
		       " per minute\n",
		    (int64_t)json_integer_value(json_object_get(o, "dedupe_s")),
		    (int64_t)json_integer_value(
		        json_object_get(o, "rate_per_min")));
	json_decref(o);
	return rc;
}

static const char *
none_if_empty(const char *s)
{
	return s[0] != '\0' ? s : "none";
}

static const char *
set_or_none(json_t *o)
{
	return json_is_true(json_object_get(o, "secret_set")) ? "set" : "none";
}

static int
alert_show(struct cli *c)
{
	json_t *o, *w, *e;
	int rc = cli_call(c, "GET", "alerts", NULL, 0, &o);

	if (rc != 0)
		return rc;
	w = json_object_get(o, "webhook");
	e = json_object_get(o, "email");
	printf("webhook: %s\n", none_if_empty(cli_jstr(w, "url")));
	if (json_is_object(w)) {
		printf("webhook secret: %s\n", set_or_none(w));
		printf("webhook ca file: %s\n",
		    none_if_empty(cli_jstr(w, "ca_file")));
	}
	printf("email: %s\n", none_if_empty(cli_jstr(e, "url")));
	if (json_is_object(e)) {
		printf("email starttls: %s\n",
		    json_is_true(json_object_get(e, "starttls")) ? "required"
		                                                 : "no");
		printf("email from: %s\n", cli_jstr(e, "from"));
		printf("email to: %s\n", cli_jstr(e, "to"));
		printf("email user: %s\n", none_if_empty(cli_jstr(e, "user")));
		printf("email password: %s\n", set_or_none(e));
		printf("email ca file: %s\n",
		    none_if_empty(cli_jstr(e, "ca_file")));
	}
	printf("dedupe: %" PRId64 " s\n",
	    (int64_t)json_integer_value(json_object_get(o, "dedupe_s")));
	printf("rate: %" PRId64 " per minute\n",
	    (int64_t)json_integer_value(json_object_get(o, "rate_per_min")));
	json_decref(o);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* Sends a test alert on the channel named (each configured one when
 * none is), through the API, which delivers it synchronously with two
 * quick tries and records a test that got through. */
static int
alert_test_cmd(struct cli *c, int argc, char **argv)
{
	enum alert_channel only = ALERT_CH_WEBHOOK;
	char path[64];
	json_t *o, *results;
	bool failed = false;
	int rc;

	if (argc > 1)
		return alert_usage();
	if (argc == 1 && alert_channel_parse(sv_cstr(argv[0]), &only) != 0)
		return alert_usage();
	snprintf(path, sizeof(path), "alerts/test%s%s",
	    argc == 1 ? "?channel=" : "",
	    argc == 1 ? alert_channel_name(only) : "");
	rc = cli_call(c, "POST", path, NULL, 0, &o);
	if (rc != 0)
		return rc;
	results = json_object_get(o, "results");
	for (size_t i = 0; i < json_array_size(results); i++) {
		json_t *r = json_array_get(results, i);

		if (json_is_true(json_object_get(r, "delivered"))) {
			printf("%s: test alert delivered\n",
			    cli_jstr(r, "channel"));
		} else {
			fprintf(stderr,
			    "rempart: %s: test alert not delivered: "
			    "%s\n",
			    cli_jstr(r, "channel"), cli_jstr(r, "error"));
			failed = true;
		}
	}
	json_decref(o);
	if (fflush(stdout) != 0)
		return EXIT_FAIL;
	return failed ? EXIT_FAIL : 0;
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
