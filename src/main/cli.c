/* Helpers shared by the commands of the rempart command line. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apiclient.h"

int
fail(const char *what, int err)
{
	fprintf(
	    stderr, "rempart: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return EXIT_FAIL;
}

int
path_join(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	return (n < 0 || (size_t)n >= size) ? -ENAMETOOLONG : 0;
}

/* Asks a running daemon to reload users and bans; quiet when none runs. */
void
notify_daemon(const struct cli *c)
{
	char path[4096];
	FILE *f;
	long pid = 0;
	int ch;

	if (path_join(path, sizeof(path), c->data_dir, "rempartd.pid") != 0)
		return;
	f = fopen(path, "r");
	if (f == NULL)
		return;
	while ((ch = fgetc(f)) >= '0' && ch <= '9' && pid < 1000000000L)
		pid = pid * 10 + (ch - '0');
	fclose(f);
	if (pid > 1)
		(void)kill((pid_t)pid, SIGHUP);
}

int
open_store(struct cli *c)
{
	char path[4096];
	int rc = path_join(
	    path, sizeof(path), c->data_dir, KEYS_DIR_NAME "/" KEYS_FILE_NAME);

	if (rc == 0 && access(path, F_OK) != 0)
		rc = -ENOENT;
	if (rc == 0)
		rc = keys_load(c->data_dir, &c->keys);
	if (rc == -ENOENT) {
		fprintf(stderr,
		    "rempart: %s is not initialised: run "
		    "'rempart --data %s init' first\n",
		    c->data_dir, c->data_dir);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot load the master key", rc);
	rc = db_open(&c->db, c->data_dir);
	if (rc != 0)
		return fail("cannot open the database", rc);
	rc =
	    settings_get(c->db, SETTINGS_SIP_REALM, c->realm, sizeof(c->realm));
	if (rc != 0)
		return fail("cannot read the SIP realm", rc);
	return 0;
}

void
close_store(struct cli *c)
{
	db_close(c->db);
	keys_free(c->keys);
	apiclient_close(c->api);
	c->api = NULL;
}

/* The Unix user running the CLI: the actor of its audit entries. A
 * name the log would refuse is replaced by the numeric uid. */
void
cli_actor(struct cli *c)
{
	struct passwd *pw = getpwuid(geteuid());
	size_t n = pw != NULL && pw->pw_name != NULL ? strlen(pw->pw_name) : 0;
	bool ok = n > 0 && n <= AUDIT_FIELD_MAX;

	for (size_t i = 0; ok && i < n; i++)
		ok = pw->pw_name[i] > 0x20 && pw->pw_name[i] < 0x7f;
	if (ok)
		memcpy(c->actor, pw->pw_name, n + 1);
	else
		snprintf(
		    c->actor, sizeof(c->actor), "uid:%u", (unsigned)geteuid());
}

/* Audit state is a small JSON object of non-secret fields, built in a
 * buffer: the first key opens it, json_end() closes it. */
void
json_key(struct buf *b, const char *key)
{
	buf_append_char(b, b->len == 0 ? '{' : ',');
	buf_printf(b, "\"%s\":", key);
}

void
json_sv(struct buf *b, const char *key, struct sv v)
{
	json_key(b, key);
	buf_append_char(b, '"');
	for (size_t i = 0; i < v.len; i++) {
		unsigned char ch = (unsigned char)v.p[i];

		if (ch == '"' || ch == '\\') {
			buf_append_char(b, '\\');
			buf_append_char(b, (char)ch);
		} else if (ch < 0x20 || ch == 0x7f) {
			buf_printf(b, "\\u%04x", ch);
		} else {
			buf_append_char(b, (char)ch);
		}
	}
	buf_append_char(b, '"');
}

void
json_str(struct buf *b, const char *key, const char *v)
{
	json_sv(b, key, sv_cstr(v));
}

void
json_bool(struct buf *b, const char *key, bool v)
{
	json_key(b, key);
	buf_append_cstr(b, v ? "true" : "false");
}

struct sv
json_end(struct buf *b)
{
	if (b->len == 0)
		buf_append_cstr(b, "{}");
	else
		buf_append_char(b, '}');
	return buf_view(b);
}

/* Appends the audit entry of an admin action (R-ADMIN-4). Called
 * inside the change's transaction, so both commit or neither does.
 * 'before' and 'after' never hold a secret. Returns 0 or a negative
 * errno. */
int
audit_admin(struct cli *c, const char *action, const char *object,
    struct buf *before, struct buf *after)
{
	struct sv b = before != NULL ? json_end(before) : SV("");
	struct sv a = after != NULL ? json_end(after) : SV("");

	if (before != NULL && buf_error(before) != 0)
		return buf_error(before);
	if (after != NULL && buf_error(after) != 0)
		return buf_error(after);
	return audit_admin_sv(c, action, object, b, a);
}

/* audit_admin() with states already in JSON text ("" for none). */
int
audit_admin_sv(struct cli *c, const char *action, const char *object,
    struct sv before, struct sv after)
{
	struct audit_entry e = {
	    .actor = sv_cstr(c->actor),
	    .role = SV("admin"),
	    .source = SV("cli"),
	    .action = sv_cstr(action),
	    .object = sv_cstr(object),
	    .before = before,
	    .after = after,
	};

	return audit_append(c->db, c->keys, &e, NULL);
}

/* Ends the transaction of a change: commits when rc is 0, rolls back
 * otherwise. Returns rc or the commit's error. */
int
tx_end(struct cli *c, int rc)
{
	if (rc != 0) {
		db_tx_rollback(c->db);
		return rc;
	}
	return db_tx_commit(c->db);
}

/* "2026-11-23T10:00:00Z" for seconds since the epoch. */
const char *
format_utc(int64_t secs, char *out, size_t size)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return out;
}

/* The data directory holds a master key once 'init' ran. */
int
check_initialised(const struct cli *c)
{
	char path[4096];
	int rc = path_join(
	    path, sizeof(path), c->data_dir, KEYS_DIR_NAME "/" KEYS_FILE_NAME);

	if (rc != 0)
		return fail(c->data_dir, rc);
	if (access(path, F_OK) != 0) {
		fprintf(stderr,
		    "rempart: %s is not initialised: run "
		    "'rempart --data %s init' first\n",
		    c->data_dir, c->data_dir);
		return EXIT_FAIL;
	}
	return 0;
}

/* "1h", "30m", "7d": a positive count and one unit (s, m, h, d, w).
 * Returns 0 or -EINVAL. */
int
parse_duration(const char *text, int64_t *secs)
{
	return sv_to_duration_s(sv_cstr(text), CLI_DURATION_MAX_SECS, secs);
}

/* "2024-05-01T12:00:00Z", or "permanent" for 0. */
const char *
format_until(int64_t until, char *out, size_t size)
{
	if (until == 0)
		return "permanent";
	return format_utc(until, out, size);
}

/* Reads exactly 'n' decimal digits at *p into *out and advances. */
static bool
take_digits(const char **p, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		char ch = (*p)[i];

		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* "2026-11-23", "2026-11-23T10:00" or "2026-11-23T10:00:30", in UTC (a
 * trailing 'Z' is allowed), into seconds since the epoch. */
int
parse_utc(const char *text, int64_t *secs)
{
	const char *p = text;
	struct tm tm = {0}, back;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	time_t t;

	if (!take_digits(&p, 4, &year) || *p++ != '-' ||
	    !take_digits(&p, 2, &mon) || *p++ != '-' ||
	    !take_digits(&p, 2, &day))
		return -EINVAL;
	if (*p == 'T') {
		p++;
		if (!take_digits(&p, 2, &hour) || *p++ != ':' ||
		    !take_digits(&p, 2, &min))
			return -EINVAL;
		if (*p == ':' && (p++, !take_digits(&p, 2, &sec)))
			return -EINVAL;
	}
	if (*p == 'Z')
		p++;
	if (*p != '\0' || year < 1970 || mon < 1 || mon > 12 || day < 1 ||
	    hour > 23 || min > 59 || sec > 59)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm() rolls 2026-02-30 over to March: refuse it instead. */
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
	    back.tm_mday != day || back.tm_mon != mon - 1)
		return -EINVAL;
	*secs = (int64_t)t;
	return 0;
}

/* WHEN: an absolute UTC time (parse_utc) or an age ("90m": that long
 * before now). Gives milliseconds since the epoch. */
int
parse_when(const char *text, int64_t now, int64_t *ms)
{
	int64_t secs;

	if (parse_utc(text, &secs) == 0) {
		*ms = secs * 1000;
		return 0;
	}
	if (parse_duration(text, &secs) != 0 || secs > now)
		return -EINVAL;
	*ms = (now - secs) * 1000;
	return 0;
}

/* Writes 'text' to 'path' through a temporary file renamed over it, so
 * a reader never sees half a file. */
int
cli_write_file(const char *path, struct sv text)
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
