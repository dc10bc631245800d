/* The commands that go through the administration API (apiclient.h):
 * users (but 'user set': cli_userset.c), bans and call records, and
 * the helpers the other such commands share (cli_api.h). Each parses
 * and checks its arguments, makes the request and prints the answer;
 * the API's
 * handler does the change, its validation and its audit entry. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"
#include "policy/secret.h"
#include "rempart_version.h"
#include "store/bans.h"
#include "store/users.h"

/* Longest 'cdr list --limit' and 'cdr export --limit'. */
#define CLI_CDR_LIMIT_MAX 1000000u
/* The page size of listings walked through the API. */
#define CLI_PAGE 1000u

static void
cli_api_reload(void *arg)
{
	notify_daemon(arg);
}

int
cli_api_open(struct cli *c)
{
	const char *share = getenv("REMPART_SHARE");
	struct apiclient_opts o = {
	    .data_dir = c->data_dir,
	    .share_dir = share != NULL ? share : RP_SHARE_DIR,
	    .url = c->api_url,
	    .key_file = c->api_key_file,
	    .ca_file = c->api_ca,
	    .reload = cli_api_reload,
	    .reload_arg = c,
	};
	int rc;

	if (c->api != NULL)
		return 0;
	if (c->api_url == NULL) {
		rc = check_initialised(c);
		if (rc != 0)
			return rc;
	}
	rc = apiclient_open(&c->api, &o);
	return rc == 0 ? 0 : EXIT_FAIL;
}

int
cli_call(struct cli *c, const char *method, const char *path, json_t *body,
    long quiet, json_t **out)
{
	long status = 0;
	int rc;

	*out = NULL;
	rc = cli_api_open(c);
	if (rc != 0)
		return rc;
	rc = apiclient_call(c->api, method, path, body, &status, out, NULL);
	if (rc != 0)
		return EXIT_FAIL;
	if (status >= 200 && status < 300)
		return 0;
	if (quiet != 0 && status == quiet) {
		json_decref(*out);
		*out = NULL;
		return (int)quiet;
	}
	rc = apiclient_fail(status, *out);
	json_decref(*out);
	*out = NULL;
	return rc;
}

const char *
cli_str(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

int64_t
cli_int(json_t *o, const char *name)
{
	return (int64_t)json_integer_value(json_object_get(o, name));
}

int
cli_walk(struct cli *c, const char *path, uint64_t offset, uint64_t max,
    cli_row_fn row, uint64_t *total)
{
	char url[512];
	uint64_t seen = 0;
	json_t *o, *items;
	int rc;

	for (;;) {
		size_t n;

		snprintf(url, sizeof(url), "%slimit=%u&offset=%" PRIu64, path,
		    CLI_PAGE, offset);
		rc = cli_call(c, "GET", url, NULL, 0, &o);
		if (rc != 0)
			return rc;
		items = json_object_get(o, "items");
		n = json_array_size(items);
		if (total != NULL)
			*total = (uint64_t)cli_int(o, "total");
		for (size_t i = 0; i < n && (max == 0 || seen < max); i++) {
			if (row != NULL)
				row(json_array_get(items, i));
			seen++;
		}
		json_decref(o);
		offset += n;
		if (n < CLI_PAGE || (max != 0 && seen >= max) || row == NULL)
			break;
	}
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* ---- Users. ---- */

static void
cli_user_row(json_t *u)
{
	printf("%-12s %-9s %-8s %s\n", cli_str(u, "ext"),
	    json_is_true(json_object_get(u, "enabled")) ? "enabled"
	                                                : "disabled",
	    json_is_true(json_object_get(u, "srtp_required")) ? "required"
	                                                      : "optional",
	    cli_str(u, "display_name"));
}

const char *
cli_or(const char *s, const char *none)
{
	return s[0] != '\0' ? s : none;
}

static int
cli_user_show(struct cli *c, const char *ext)
{
	char path[128], created[32], updated[32];
	json_t *u;
	int rc;

	snprintf(path, sizeof(path), "users/%s", ext);
	rc = cli_call(c, "GET", path, NULL, 404, &u);
	if (rc == 404) {
		fprintf(stderr, "rempart: no extension %s\n", ext);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	printf("extension: %s\n"
	       "name:      %s\n"
	       "state:     %s\n"
	       "srtp:      %s\n"
	       "codecs:    %s\n"
	       "acl:       %s\n"
	       "alternate: %s\n"
	       "outbound:  %s\n"
	       "profile:   %s\n"
	       "created:   %s\n"
	       "updated:   %s\n",
	    cli_str(u, "ext"), cli_str(u, "display_name"),
	    json_is_true(json_object_get(u, "enabled")) ? "enabled"
	                                                : "disabled",
	    json_is_true(json_object_get(u, "srtp_required")) ? "required"
	                                                      : "optional",
	    cli_or(cli_str(u, "codecs"), "any"),
	    cli_or(cli_str(u, "acl"), "any"),
	    cli_or(cli_str(u, "alternate"), "none"),
	    cli_or(cli_str(u, "outbound_number"), "none"),
	    cli_or(cli_str(u, "profile"), "default"),
	    format_utc(cli_int(u, "created_at"), created, sizeof(created)),
	    format_utc(cli_int(u, "updated_at"), updated, sizeof(updated)));
	json_decref(u);
	return 0;
}

/* The secret of 'user add' and 'user passwd': given, read from stdin,
 * or "" for one the API generates. Returns 0 or an exit code. */
static int
cli_secret(
    const char *given, bool from_stdin, bool generate, char *out, size_t size)
{
	size_t n;

	if ((given != NULL) + from_stdin + generate != 1) {
		fprintf(stderr, "rempart: give exactly one of --secret, "
		                "--secret-stdin, --generate-secret\n");
		return EXIT_USAGE;
	}
	out[0] = '\0';
	if (generate)
		return 0;
	if (given != NULL) {
		if (strlen(given) >= size) {
			fprintf(stderr, "rempart: secret too long\n");
			return EXIT_FAIL;
		}
		memcpy(out, given, strlen(given) + 1);
		return 0;
	}
	if (fgets(out, (int)size, stdin) == NULL) {
		fprintf(stderr, "rempart: no secret on stdin\n");
		return EXIT_FAIL;
	}
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

/* 'user add' and 'user passwd'. */
static int
cli_user_secret(struct cli *c, bool add, const char *ext, int argc, char **argv)
{
	const char *name = NULL, *given = NULL;
	bool from_stdin = false, generate = false;
	char secret[SECRET_MAX_LEN + 2], path[128];
	json_t *body, *o;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (add && strcmp(argv[i], "--name") == 0 && i + 1 < argc)
			name = argv[++i];
		else if (strcmp(argv[i], "--secret") == 0 && i + 1 < argc)
			given = argv[++i];
		else if (strcmp(argv[i], "--secret-stdin") == 0)
			from_stdin = true;
		else if (strcmp(argv[i], "--generate-secret") == 0)
			generate = true;
		else
			return CLI_USAGE;
	}
	if (add && (name == NULL || !users_name_valid(sv_cstr(name)))) {
		fprintf(stderr, "rempart: user add needs --name NAME (1-64 "
		                "printable characters)\n");
		return EXIT_USAGE;
	}
	rc = cli_secret(given, from_stdin, generate, secret, sizeof(secret));
	if (rc != 0)
		return rc;
	body = add ? json_pack("{s:s,s:s}", "ext", ext, "name", name)
	           : json_object();
	if (body == NULL || (!generate && json_object_set_new(body, "secret",
	                                      json_string(secret)) != 0)) {
		json_decref(body);
		memset(secret, 0, sizeof(secret));
		return fail("cannot build the request", -ENOMEM);
	}
	memset(secret, 0, sizeof(secret));
	snprintf(path, sizeof(path), "users/%s/secret", ext);
	rc = cli_call(
	    c, "POST", add ? "users" : path, body, add ? 409 : 404, &o);
	/* The request held the secret. */
	if (json_object_get(body, "secret") != NULL)
		memset((char *)(uintptr_t)cli_str(body, "secret"), 0,
		    strlen(cli_str(body, "secret")));
	json_decref(body);
	if (rc == 409 || rc == 404) {
		fprintf(stderr,
		    rc == 409 ? "rempart: extension %s already exists\n"
		              : "rempart: no extension %s\n",
		    ext);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	if (generate)
		printf("extension %s: secret %s (shown once)\n", ext,
		    cli_str(o, "secret"));
	else
		printf("extension %s: secret set\n", ext);
	if (json_object_get(o, "secret") != NULL)
		memset((char *)(uintptr_t)cli_str(o, "secret"), 0,
		    strlen(cli_str(o, "secret")));
	json_decref(o);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* 'user enable', 'user disable' and 'user remove'. */
static int
cli_user_change(struct cli *c, const char *verb, const char *ext)
{
	char path[128];
	json_t *body = NULL, *o;
	int rc;

	snprintf(path, sizeof(path), "users/%s", ext);
	if (strcmp(verb, "remove") != 0) {
		body = json_pack("{s:b}", "enabled", verb[0] == 'e');
		if (body == NULL)
			return fail("cannot build the request", -ENOMEM);
	}
	rc =
	    cli_call(c, body != NULL ? "PATCH" : "DELETE", path, body, 404, &o);
	json_decref(body);
	if (rc == 404) {
		fprintf(stderr, "rempart: no extension %s\n", ext);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("extension %s %sd\n", ext,
	    strcmp(verb, "remove") == 0 ? "remove" : verb);
	return 0;
}

int
cli_user(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-12s %-9s %-8s %s\n", "EXTENSION", "STATE", "SRTP",
		    "NAME");
		return cli_walk(c, "users?", 0, 0, cli_user_row, NULL);
	}
	if (argc < 2)
		return CLI_USAGE;
	if (!users_ext_valid(sv_cstr(argv[1]))) {
		fprintf(stderr,
		    "rempart: invalid extension '%s' (1-32 "
		    "letters, digits, '.', '_' or '-')\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "show") == 0)
		return argc == 2 ? cli_user_show(c, argv[1]) : CLI_USAGE;
	if (strcmp(argv[0], "set") == 0)
		return cli_user_set(c, argv[1], argc - 2, argv + 2);
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "passwd") == 0)
		return cli_user_secret(
		    c, argv[0][0] == 'a', argv[1], argc - 2, argv + 2);
	if (argc == 2 && (strcmp(argv[0], "enable") == 0 ||
	                     strcmp(argv[0], "disable") == 0 ||
	                     strcmp(argv[0], "remove") == 0))
		return cli_user_change(c, argv[0], argv[1]);
	return CLI_USAGE;
}

/* ---- Bans. ---- */

static void
cli_ban_row(json_t *b)
{
	char until[32];

	printf("%-39s %-20s %5u %-6s %s\n", cli_str(b, "addr"),
	    format_until(cli_int(b, "until"), until, sizeof(until)),
	    (unsigned)cli_int(b, "count"), cli_str(b, "source"),
	    cli_str(b, "reason"));
}

/* A reason given on the command line: printable, bounded. */
static bool
cli_reason_valid(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > BANS_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r[i] < 0x20 || r[i] == 0x7f)
			return false;
	return true;
}

static int
cli_bans_add(struct cli *c, const char *addr, int argc, char **argv)
{
	const char *reason = NULL, *dur = NULL;
	bool permanent = false;
	char until[32];
	int64_t secs;
	json_t *body, *o;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--for") == 0 && i + 1 < argc &&
		    dur == NULL)
			dur = argv[++i];
		else if (strcmp(argv[i], "--permanent") == 0)
			permanent = true;
		else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else
			return CLI_USAGE;
	}
	if (dur != NULL && permanent) {
		fprintf(stderr, "rempart: give --for or --permanent, not "
		                "both\n");
		return EXIT_USAGE;
	}
	if (dur != NULL && parse_duration(dur, &secs) != 0) {
		fprintf(stderr,
		    "rempart: invalid duration '%s' (a positive number "
		    "followed by s, m, h, d or w, at most 10 years)\n",
		    dur);
		return EXIT_USAGE;
	}
	if (reason != NULL && !cli_reason_valid(reason)) {
		fprintf(stderr,
		    "rempart: the reason must be 1-%u printable "
		    "characters\n",
		    BANS_REASON_MAX);
		return EXIT_USAGE;
	}
	body = json_pack("{s:s}", "addr", addr);
	if (body != NULL && (permanent || dur != NULL))
		json_object_set_new(
		    body, "for", json_string(permanent ? "permanent" : dur));
	if (body != NULL && reason != NULL)
		json_object_set_new(body, "reason", json_string(reason));
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	rc = cli_call(c, "POST", "bans", body, 0, &o);
	json_decref(body);
	if (rc != 0)
		return rc;
	if (cli_int(o, "until") == 0)
		printf("banned %s permanently\n", addr);
	else
		printf("banned %s until %s\n", addr,
		    format_until(cli_int(o, "until"), until, sizeof(until)));
	json_decref(o);
	return rc;
}

static int
cli_bans_remove(struct cli *c, const char *addr)
{
	char path[160];
	json_t *o;
	int rc;

	memcpy(path, "bans/", 5);
	if (apiclient_escape(addr, path + 5, sizeof(path) - 5) != 0)
		return CLI_USAGE;
	rc = cli_call(c, "DELETE", path, NULL, 404, &o);
	if (rc == 404) {
		fprintf(stderr, "rempart: no ban for %s\n", addr);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("unbanned %s\n", addr);
	return 0;
}

int
cli_bans(struct cli *c, int argc, char **argv)
{
	char addr[BANS_ADDR_STRLEN];

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-39s %-20s %5s %-6s %s\n", "ADDRESS", "UNTIL", "COUNT",
		    "SOURCE", "REASON");
		return cli_walk(c, "bans?", 0, 0, cli_ban_row, NULL);
	}
	if (argc < 2 ||
	    (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0))
		return CLI_USAGE;
	/* The normalised form is the one stored, logged and shown. */
	if (bans_addr_normalise(sv_cstr(argv[1]), addr) != 0) {
		fprintf(stderr,
		    "rempart: invalid address '%s' (an IPv4 or IPv6 "
		    "address, or a network such as 192.0.2.0/24)\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	if (argv[0][0] == 'a')
		return cli_bans_add(c, addr, argc - 2, argv + 2);
	return argc == 2 ? cli_bans_remove(c, addr) : CLI_USAGE;
}

/* ---- Call records. ---- */

struct cli_cdr_args {
	int64_t since_ms, until_ms;
	const char *ext;
	uint32_t limit;
};

/* Parses the filters shared by 'cdr list' and 'cdr export'. --csv is
 * accepted (and required) for export only. Returns 0 or an exit code. */
static int
cli_cdr_args(int argc, char **argv, bool export, struct cli_cdr_args *q)
{
	const char *since = NULL, *until = NULL, *limit = NULL;
	int64_t now = (int64_t)time(NULL);
	bool csv = false;

	*q = (struct cli_cdr_args){0};
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc && !since)
			since = argv[++i];
		else if (strcmp(argv[i], "--until") == 0 && i + 1 < argc &&
		         !until)
			until = argv[++i];
		else if (strcmp(argv[i], "--ext") == 0 && i + 1 < argc &&
		         !q->ext)
			q->ext = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
		         !limit)
			limit = argv[++i];
		else if (export && strcmp(argv[i], "--csv") == 0)
			csv = true;
		else
			return CLI_USAGE;
	}
	if (export && !csv) {
		fprintf(stderr, "rempart: cdr export needs --csv (the only "
		                "format)\n");
		return EXIT_USAGE;
	}
	if (since != NULL && parse_when(since, now, &q->since_ms) != 0) {
		fprintf(stderr,
		    "rempart: invalid --since '%s' (YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS] in UTC, or an age such as 90m, "
		    "2h, 7d)\n",
		    since);
		return EXIT_USAGE;
	}
	if (until != NULL && parse_when(until, now, &q->until_ms) != 0) {
		fprintf(stderr,
		    "rempart: invalid --until '%s' (YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS] in UTC, or an age such as 90m, "
		    "2h, 7d)\n",
		    until);
		return EXIT_USAGE;
	}
	/* until 0 means "no bound" to the store: the epoch is not useful. */
	if (until != NULL && q->until_ms <= q->since_ms) {
		fprintf(stderr, "rempart: --until must be later than "
		                "--since\n");
		return EXIT_USAGE;
	}
	if (q->ext != NULL && !users_ext_valid(sv_cstr(q->ext))) {
		fprintf(stderr,
		    "rempart: invalid extension '%s' (1-32 "
		    "letters, digits, '.', '_' or '-')\n",
		    q->ext);
		return EXIT_USAGE;
	}
	if (limit != NULL &&
	    (sv_to_u32(sv_cstr(limit), CLI_CDR_LIMIT_MAX, &q->limit) != 0 ||
	        q->limit == 0)) {
		fprintf(stderr, "rempart: invalid --limit '%s' (1-%u)\n", limit,
		    CLI_CDR_LIMIT_MAX);
		return EXIT_USAGE;
	}
	return 0;
}

/* "2026-11-23 10:00:00" (UTC) for milliseconds since the epoch. */
static const char *
cli_time_ms(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "?";
	return out;
}

static void
cli_cdr_row(json_t *r)
{
	char start[32], dur[32];
	int64_t secs = cli_int(r, "duration_ms") / 1000;

	snprintf(dur, sizeof(dur), "%" PRId64 ":%02d:%02d", secs / 3600,
	    (int)(secs / 60 % 60), (int)(secs % 60));
	printf("%-19s %-12s %-16s %-16s %-12s %-11s %4u %9s %-5s %-4s %8" PRIu64
	       " %6" PRIu64 "\n",
	    cli_time_ms(cli_int(r, "start_ms"), start, sizeof(start)),
	    cli_or(cli_str(r, "caller_ext"), "-"),
	    cli_or(cli_str(r, "caller_number"), "-"),
	    cli_or(cli_str(r, "dialed"), "-"),
	    cli_or(cli_str(r, "callee"), "-"), cli_str(r, "disposition"),
	    (unsigned)cli_int(r, "sip_code"), dur, cli_str(r, "transport"),
	    json_is_true(json_object_get(r, "media_encrypted")) ? "yes" : "no",
	    (uint64_t)cli_int(r, "rtp_packets"),
	    (uint64_t)cli_int(r, "rtp_lost"));
}

/* The query of the filters: "since=..&until=..&ext=..&". */
static void
cli_cdr_query(const struct cli_cdr_args *q, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	if (q->since_ms != 0)
		n += (size_t)snprintf(
		    out + n, size - n, "since=%" PRId64 "&", q->since_ms);
	if (q->until_ms != 0)
		n += (size_t)snprintf(
		    out + n, size - n, "until=%" PRId64 "&", q->until_ms);
	if (q->ext != NULL)
		snprintf(out + n, size - n, "ext=%s&", q->ext);
}

static int
cli_cdr_list(struct cli *c, const struct cli_cdr_args *q)
{
	char path[256], filters[160];
	uint64_t total = 0, from = 0;
	int rc;

	cli_cdr_query(q, filters, sizeof(filters));
	snprintf(path, sizeof(path), "cdrs?%s", filters);
	/* --limit: the latest N, oldest first. */
	if (q->limit != 0) {
		rc = cli_walk(c, path, 0, 1, NULL, &total);
		if (rc != 0)
			return rc;
		from = total > q->limit ? total - q->limit : 0;
	}
	printf("%-19s %-12s %-16s %-16s %-12s %-11s %4s %9s %-5s %-4s "
	       "%8s %6s\n",
	    "START (UTC)", "CALLER", "NUMBER", "DIALED", "CALLEE",
	    "DISPOSITION", "CODE", "DURATION", "TRANS", "SRTP", "PACKETS",
	    "LOST");
	return cli_walk(c, path, from, q->limit, cli_cdr_row, NULL);
}

static int
cli_cdr_export(struct cli *c, const struct cli_cdr_args *q)
{
	char path[256], filters[160];
	long status = 0;
	struct buf raw;
	json_t *o = NULL;
	int rc;

	cli_cdr_query(q, filters, sizeof(filters));
	if (q->limit != 0)
		snprintf(path, sizeof(path), "cdrs/export.csv?%slimit=%u",
		    filters, q->limit);
	else
		snprintf(path, sizeof(path), "cdrs/export.csv?%s", filters);
	rc = cli_api_open(c);
	if (rc != 0)
		return rc;
	buf_init(&raw, 0);
	rc = apiclient_call(c->api, "GET", path, NULL, &status, &o, &raw);
	if (rc != 0)
		return EXIT_FAIL;
	if (status != 200) {
		rc = apiclient_fail(status, o);
	} else if (fwrite(raw.data, 1, raw.len, stdout) != raw.len ||
	           fflush(stdout) != 0) {
		rc = fail("cannot write the export", -EIO);
	}
	json_decref(o);
	buf_release(&raw);
	return rc;
}

int
cli_cdr(struct cli *c, int argc, char **argv)
{
	struct cli_cdr_args q;
	bool export;
	int rc;

	if (argc < 1 ||
	    (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "export") != 0))
		return CLI_USAGE;
	export = argv[0][0] == 'e';
	rc = cli_cdr_args(argc - 1, argv + 1, export, &q);
	if (rc != 0)
		return rc;
	return export ? cli_cdr_export(c, &q) : cli_cdr_list(c, &q);
}
