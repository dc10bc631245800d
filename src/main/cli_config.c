/* The configuration as a YAML file (R-ADMIN-5): 'rempart config export'
 * and 'rempart config import', through the administration API
 * (/api/v1/config).
 *
 * An import is checked whole by the API before anything is written:
 * every error of the file is printed with its line, then every
 * reference to the store. The diff is printed one line per object. The
 * API writes the changes in one transaction with one audit entry per
 * changed object (action "config.KIND.add|set|remove", its fields
 * before and after), then the daemon reloads once. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/config.h"
#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"

static const char *
cli_jstr(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s != NULL ? s : "";
}

void
cli_config_usage(FILE *f)
{
	fprintf(f,
	    "  config export [FILE]            the configuration as YAML "
	    "(no secrets)\n"
	    "  config import FILE [--dry-run] [--prune-users]\n"
	    "                                  show the diff and apply it; "
	    "objects the file\n"
	    "                                  leaves out are removed, "
	    "users only with\n"
	    "                                  --prune-users; users must "
	    "exist already\n");
}

static int
bad_usage(void)
{
	fprintf(stderr, "usage:\n");
	cli_config_usage(stderr);
	return EXIT_USAGE;
}

/* The errors of a refused file (the API's 400 answer). */
static void
print_errors(const char *path, json_t *err)
{
	json_t *list = json_object_get(err, "errors");
	json_int_t dropped =
	    json_integer_value(json_object_get(err, "dropped"));

	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		json_int_t line =
		    json_integer_value(json_object_get(e, "line"));
		const char *text =
		    json_string_value(json_object_get(e, "message"));

		if (line != 0)
			fprintf(stderr, "rempart: %s:%lld: %s\n", path,
			    (long long)line, text != NULL ? text : "");
		else
			fprintf(stderr, "rempart: %s: %s\n", path,
			    text != NULL ? text : "");
	}
	if (dropped != 0)
		fprintf(stderr, "rempart: %s: %lld more errors\n", path,
		    (long long)dropped);
	fprintf(stderr, "rempart: %s refused, nothing changed\n", path);
}

static int
config_export(struct cli *c, const char *path)
{
	long status = 0;
	struct buf out;
	json_t *o = NULL;
	int rc;

	rc = cli_api_open(c);
	if (rc != 0)
		return rc;
	buf_init(&out, 0);
	rc = apiclient_call(c->api, "GET", "config", NULL, &status, &o, &out);
	if (rc != 0) {
		buf_release(&out);
		return EXIT_FAIL;
	}
	if (status != 200) {
		rc = apiclient_fail(status, o);
		json_decref(o);
		buf_release(&out);
		return rc;
	}
	json_decref(o);
	if (path != NULL)
		rc = cli_write_file(path, buf_view(&out));
	else if (fwrite(out.data, 1, out.len, stdout) != out.len ||
	         fflush(stdout) != 0)
		rc = -EIO;
	buf_release(&out);
	if (rc != 0)
		return fail(path != NULL ? path : "cannot write", rc);
	if (path != NULL)
		fprintf(stderr, "configuration written to %s\n", path);
	return 0;
}

static int
read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t off = 0;
	char *p;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > CONFIG_FILE_MAX) {
		close(fd);
		return -EFBIG;
	}
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (rc == 0 && off < (size_t)st.st_size) {
		ssize_t n = read(fd, p + off, (size_t)st.st_size - off);

		if (n < 0)
			rc = -errno;
		else if (n == 0)
			break;
		else
			off += (size_t)n;
	}
	close(fd);
	if (rc != 0) {
		free(p);
		return rc;
	}
	*text = p;
	*len = off;
	return 0;
}

static const char *
op_mark(const char *op)
{
	if (strcmp(op, "add") == 0)
		return "+";
	return strcmp(op, "remove") == 0 ? "-" : "~";
}

/* Prints the diff of an accepted import. Returns its length. */
static size_t
print_changes(json_t *o)
{
	json_t *list = json_object_get(o, "changes");
	size_t n = json_array_size(list);

	for (size_t i = 0; i < n; i++) {
		json_t *ch = json_array_get(list, i);
		const char *op = cli_jstr(ch, "op");

		if (strcmp(op, "change") == 0)
			printf("%s %s %s: %s\n", op_mark(op),
			    cli_jstr(ch, "kind"), cli_jstr(ch, "key"),
			    cli_jstr(ch, "fields"));
		else
			printf("%s %s %s\n", op_mark(op), cli_jstr(ch, "kind"),
			    cli_jstr(ch, "key"));
	}
	return n;
}

/* Adds this process's variable 'name' to the import's secret_env. */
static int
add_secret_env(void *arg, const char *name)
{
	const char *v = secure_getenv(name);

	if (v == NULL)
		return 0; /* the API says it is not set, with the line */
	return json_object_set_new(arg, name, json_string(v)) == 0 ? 0
	                                                           : -ENOMEM;
}

/* The variables the file's trunks take a secret from, as this process
 * has them: the API runs elsewhere (the daemon, another host) and must
 * not read its own environment. NULL when the file names none, or does
 * not parse (the API then says why, line by line). */
static json_t *
secret_env_of(const char *text, size_t len)
{
	struct config_errors *errs = calloc(1, sizeof(*errs));
	struct config *cfg = NULL;
	json_t *env = json_object();

	if (errs == NULL || env == NULL ||
	    config_parse(sv_make(text, len), &cfg, errs) != 0 ||
	    config_secret_envs(cfg, add_secret_env, env) != 0 ||
	    json_object_size(env) == 0) {
		json_decref(env);
		env = NULL;
	}
	config_free(cfg);
	free(errs);
	return env;
}

/* Sends the file: as it is, or inside {"file", "secret_env"} when it
 * takes secrets from the environment. */
static int
send_import(struct cli *c, const char *url, const char *text, size_t len,
    long *status, json_t **ans)
{
	json_t *env = secret_env_of(text, len), *doc;
	int rc;

	if (env == NULL)
		return apiclient_send(c->api, "POST", url, "application/yaml",
		    text, len, status, ans);
	doc = json_pack("{s:s%,s:o}", "file", text, len, "secret_env", env);
	if (doc == NULL) {
		fprintf(stderr, "rempart: the file is not UTF-8 text\n");
		return -EINVAL;
	}
	rc = apiclient_call(c->api, "POST", url, doc, status, ans, NULL);
	json_decref(doc);
	return rc;
}

static int
config_import(
    struct cli *c, const char *path, const struct config_opts *o, bool dry_run)
{
	char url[96];
	size_t len = 0, n;
	char *text = NULL;
	long status = 0;
	json_t *ans = NULL;
	int rc;

	rc = read_file(path, &text, &len);
	if (rc != 0)
		return fail(path, rc);
	rc = cli_api_open(c);
	if (rc != 0) {
		free(text);
		return rc;
	}
	snprintf(url, sizeof(url), "config/import?dry_run=%s&prune_users=%s",
	    dry_run ? "true" : "false", o->prune_users ? "true" : "false");
	rc = send_import(c, url, text, len, &status, &ans);
	free(text);
	if (rc != 0)
		return EXIT_FAIL;
	if (status == 400 &&
	    json_object_get(json_object_get(ans, "error"), "errors") != NULL) {
		print_errors(path, json_object_get(ans, "error"));
		rc = EXIT_FAIL;
	} else if (status != 200) {
		rc = apiclient_fail(status, ans);
	} else {
		n = print_changes(ans);
		if (n == 0)
			printf("no changes\n");
		else if (dry_run)
			printf("%zu changes (dry run: nothing changed)\n", n);
		else
			printf("%zu changes applied\n", n);
		rc = fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	}
	json_decref(ans);
	return rc;
}

int
cmd_config(struct cli *c, int argc, char **argv)
{
	struct config_opts o = {0};
	bool dry_run = false;
	const char *path = NULL;

	if (argc >= 1 && argc <= 2 && strcmp(argv[0], "export") == 0)
		return config_export(c, argc == 2 ? argv[1] : NULL);
	if (argc < 2 || strcmp(argv[0], "import") != 0)
		return bad_usage();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "--prune-users") == 0)
			o.prune_users = true;
		else if (argv[i][0] != '-' && path == NULL)
			path = argv[i];
		else
			return bad_usage();
	}
	if (path == NULL)
		return bad_usage();
	return config_import(c, path, &o, dry_run);
}
