/* The configuration as a YAML file (R-ADMIN-5): 'rempart config export'
 * and 'rempart config import'.
 *
 * An import is checked whole before anything is written: every error of
 * the file is printed with its line, then every reference to the store.
 * The diff is printed one line per object. The changes are written in
 * one transaction with one audit entry per changed object (action
 * "config.KIND.add|set|remove", its fields before and after), so the
 * audit log says what each object was and became, as the commands that
 * change one object do; the daemon is told once, at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/config.h"
#include "cli.h"

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

static void
print_errors(const char *path, const struct config_errors *errs)
{
	for (unsigned i = 0; i < errs->n; i++) {
		if (errs->e[i].line != 0)
			fprintf(stderr, "rempart: %s:%u: %s\n", path,
			    errs->e[i].line, errs->e[i].text);
		else
			fprintf(
			    stderr, "rempart: %s: %s\n", path, errs->e[i].text);
	}
	if (errs->dropped != 0)
		fprintf(stderr, "rempart: %s: %u more errors\n", path,
		    errs->dropped);
}

/* Writes 'text' to 'path' through a temporary file renamed over it, so
 * a reader never sees half a file. */
static int
write_file(const char *path, struct sv text)
{
	char tmp[4096];
	size_t off = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (rc == 0 && off < text.len) {
		ssize_t n = write(fd, text.p + off, text.len - off);

		if (n < 0)
			rc = -errno;
		else
			off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

static int
config_export(struct cli *c, const char *path)
{
	struct config *cfg = NULL;
	struct buf out;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = config_read(c->db, c->keys, (int64_t)time(NULL), &cfg);
	if (rc != 0)
		return fail("cannot read the configuration", rc);
	buf_init(&out, 0);
	rc = config_write(cfg, &out);
	config_free(cfg);
	if (rc == 0 && path != NULL)
		rc = write_file(path, buf_view(&out));
	else if (rc == 0 && (fwrite(out.data, 1, out.len, stdout) != out.len ||
	                        fflush(stdout) != 0))
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

static const char *const op_mark[] = {
    [CONFIG_ADD] = "+",
    [CONFIG_CHANGE] = "~",
    [CONFIG_REMOVE] = "-",
};

static const char *const op_verb[] = {
    [CONFIG_ADD] = "add",
    [CONFIG_CHANGE] = "set",
    [CONFIG_REMOVE] = "remove",
};

struct diff_state {
	unsigned n;
};

static int
print_change(void *arg, const struct config_change *ch)
{
	struct diff_state *ds = arg;

	ds->n++;
	if (ch->op == CONFIG_CHANGE)
		printf("%s %s %s: %s\n", op_mark[ch->op], ch->kind, ch->key,
		    ch->fields);
	else
		printf("%s %s %s\n", op_mark[ch->op], ch->kind, ch->key);
	return ferror(stdout) ? -EIO : 0;
}

static int
audit_change(void *arg, const struct config_change *ch)
{
	struct cli *c = arg;
	char action[64];

	snprintf(
	    action, sizeof(action), "config.%s.%s", ch->kind, op_verb[ch->op]);
	return audit_admin_sv(c, action, ch->key, ch->before, ch->after);
}

static int
config_import(
    struct cli *c, const char *path, const struct config_opts *o, bool dry_run)
{
	struct config *next = NULL, *cur = NULL;
	struct config_errors *errs;
	struct diff_state ds = {0};
	size_t len = 0;
	char *text = NULL;
	int rc, exit_code = EXIT_FAIL;

	errs = calloc(1, sizeof(*errs));
	if (errs == NULL)
		return fail("cannot import", -ENOMEM);
	rc = read_file(path, &text, &len);
	if (rc != 0) {
		free(errs);
		return fail(path, rc);
	}
	rc = config_parse(sv_make(text, len), &next, errs);
	if (rc == -EBADMSG || rc == -E2BIG) {
		print_errors(path, errs);
		fprintf(stderr, "rempart: %s refused, nothing changed\n", path);
		goto out;
	}
	if (rc != 0) {
		fail("cannot parse the file", rc);
		goto out;
	}
	rc = open_store(c);
	if (rc != 0) {
		exit_code = rc;
		goto out;
	}
	rc = config_read(c->db, c->keys, (int64_t)time(NULL), &cur);
	if (rc != 0) {
		fail("cannot read the configuration", rc);
		goto out;
	}
	rc = config_check(cur, next, o, errs);
	if (rc != 0) {
		print_errors(path, errs);
		fprintf(stderr, "rempart: %s refused, nothing changed\n", path);
		goto out;
	}
	rc = config_diff(cur, next, o, print_change, &ds);
	if (rc != 0) {
		fail("cannot print the diff", rc);
		goto out;
	}
	if (ds.n == 0) {
		printf("no changes\n");
		exit_code = 0;
		goto out;
	}
	if (dry_run) {
		printf("%u changes (dry run: nothing changed)\n", ds.n);
		exit_code = 0;
		goto out;
	}
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = config_apply(c->db, c->keys, cur, next, o,
		    (int64_t)time(NULL), audit_change, c, errs);
		rc = tx_end(c, rc);
	}
	if (rc == -EBADMSG) {
		print_errors(path, errs);
		fprintf(stderr, "rempart: %s refused, nothing changed\n", path);
		goto out;
	}
	if (rc != 0) {
		fail("cannot apply the configuration (nothing changed)", rc);
		goto out;
	}
	notify_daemon(c);
	printf("%u changes applied\n", ds.n);
	exit_code = fflush(stdout) == 0 ? 0 : EXIT_FAIL;
out:
	config_free(next);
	config_free(cur);
	free(text);
	free(errs);
	return exit_code;
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
