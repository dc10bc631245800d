/* Unit tests for the security log (R-ADMIN-4, R-FRAUD-4, R-NET-2). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mem.h"
#include "core/seclog.h"

/* 2023-11-14T22:13:20.123Z */
#define T0 1700000000123LL

struct fixture {
	char dir[64];
	char log_dir[96];
	char path[128];
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
	memcpy(f->dir, "/tmp/rempart-seclog-XXXXXX",
	    sizeof("/tmp/rempart-seclog-XXXXXX"));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(
	    f->log_dir, sizeof(f->log_dir), "%s/%s", f->dir, SECLOG_DIR_NAME);
	snprintf(
	    f->path, sizeof(f->path), "%s/%s", f->log_dir, SECLOG_FILE_NAME);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	free(f);
	return rc;
}

/* A minimal JSON checker for the flat objects of the log: an object of
 * string keys whose values are strings, unsigned numbers or null; no
 * raw control byte and only valid UTF-8 inside strings. It accepts a
 * subset of what a JSON parser accepts, so a line it passes is JSON. */
struct json {
	const char *p;
	size_t len;
	size_t i;
	unsigned fields;
};

static bool
json_utf8(struct json *j)
{
	unsigned char c = (unsigned char)j->p[j->i];
	size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
	uint32_t v = c & (need == 2 ? 0x1fu : need == 3 ? 0x0fu : 0x07u);
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};

	if (c < 0xc2 || c > 0xf4 || j->len - j->i < need)
		return false;
	for (size_t k = 1; k < need; k++) {
		unsigned char cc = (unsigned char)j->p[j->i + k];

		if ((cc & 0xc0) != 0x80)
			return false;
		v = (v << 6) | (cc & 0x3fu);
	}
	if (v < min[need] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return false;
	j->i += need;
	return true;
}

static bool
json_string(struct json *j)
{
	if (j->i >= j->len || j->p[j->i] != '"')
		return false;
	j->i++;
	while (j->i < j->len) {
		unsigned char c = (unsigned char)j->p[j->i];

		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (j->len - j->i < 2)
				return false;
			c = (unsigned char)j->p[j->i + 1];
			if (c == 'u') {
				if (j->len - j->i < 6)
					return false;
				for (size_t k = 2; k < 6; k++)
					if (strchr("0123456789abcdefABCDEF",
					        j->p[j->i + k]) == NULL ||
					    j->p[j->i + k] == '\0')
						return false;
				j->i += 6;
			} else if (strchr("\"\\/bfnrt", c) != NULL && c != 0) {
				j->i += 2;
			} else {
				return false;
			}
			continue;
		}
		if (c >= 0x80) {
			if (!json_utf8(j))
				return false;
			continue;
		}
		j->i++;
	}
	return false;
}

static bool
json_value(struct json *j)
{
	size_t start = j->i;

	if (j->i < j->len && j->p[j->i] == '"')
		return json_string(j);
	if (j->len - j->i >= 4 && memcmp(j->p + j->i, "null", 4) == 0) {
		j->i += 4;
		return true;
	}
	while (j->i < j->len && j->p[j->i] >= '0' && j->p[j->i] <= '9')
		j->i++;
	if (j->i == start)
		return false;
	/* No leading zero in JSON numbers. */
	return !(j->i - start > 1 && j->p[start] == '0');
}

/* True when 'line' is one flat JSON object followed by one '\n'. */
static bool
json_line_ok(const char *line, size_t len, unsigned *fields)
{
	struct json j = {line, len, 0, 0};

	if (len < 3 || line[0] != '{' || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		return false;
	j.len = len - 1;
	j.i = 1;
	for (;;) {
		if (!json_string(&j) || j.i >= j.len || j.p[j.i] != ':')
			return false;
		j.i++;
		if (!json_value(&j))
			return false;
		j.fields++;
		if (j.i < j.len && j.p[j.i] == ',') {
			j.i++;
			continue;
		}
		break;
	}
	if (j.i + 1 != j.len || j.p[j.i] != '}')
		return false;
	if (fields != NULL)
		*fields = j.fields;
	return true;
}

static void
format_ok(const struct seclog_event *ev, char *buf, size_t size, size_t *len)
{
	unsigned fields = 0;

	assert_int_equal(seclog_format(ev, buf, size, len), 0);
	assert_int_equal(strlen(buf), *len);
	assert_true(*len <= SECLOG_LINE_MAX);
	assert_true(json_line_ok(buf, *len, &fields));
	assert_int_equal(fields, 8);
}

/* Every kind has its token; nothing past the enum. */
static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(
	    seclog_kind_name(SECLOG_AUTH_FAILURE), "auth_failure");
	assert_string_equal(seclog_kind_name(SECLOG_BAN), "ban");
	assert_string_equal(seclog_kind_name(SECLOG_UNBAN), "unban");
	assert_string_equal(seclog_kind_name(SECLOG_THROTTLE), "throttle");
	assert_string_equal(
	    seclog_kind_name(SECLOG_ACL_REFUSED), "acl_refused");
	assert_string_equal(seclog_kind_name(SECLOG_SCANNER), "scanner");
	assert_string_equal(
	    seclog_kind_name(SECLOG_USER_UNDER_ATTACK), "user_under_attack");
	assert_string_equal(
	    seclog_kind_name(SECLOG_DESTINATION_DENIED), "destination_denied");
	assert_string_equal(seclog_kind_name(SECLOG_FRAUD), "fraud");
	assert_null(seclog_kind_name((enum seclog_kind)9));
	assert_null(seclog_kind_name((enum seclog_kind) - 1));
}

/* The line: fixed fields in a fixed order, RFC 3339 UTC time with ms. */
static void
test_format_fields(void **state)
{
	struct seclog_event ev = {
	    .kind = SECLOG_AUTH_FAILURE,
	    .time_ms = T0,
	    .src_ip = SV("2001:db8::7"),
	    .src_port = 5060,
	    .transport = SV("udp"),
	    .user = SV("100"),
	    .reason = SV("bad_password"),
	    .count = 3,
	};
	char buf[SECLOG_LINE_MAX + 1];
	size_t len = 0;

	(void)state;
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_string_equal(buf,
	    "{\"time\":\"2023-11-14T22:13:20.123Z\",\"event\":\"auth_"
	    "failure\",\"src_ip\":\"2001:db8::7\",\"src_port\":5060,"
	    "\"transport\":\"udp\",\"user\":\"100\",\"reason\":\"bad_"
	    "password\",\"count\":3}\n");

	/* Absent fields are null; an empty one is "". */
	ev = (struct seclog_event){
	    .kind = SECLOG_UNBAN, .time_ms = 5, .user = SV("")};
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_string_equal(buf,
	    "{\"time\":\"1970-01-01T00:00:00.005Z\",\"event\":\"unban\","
	    "\"src_ip\":null,\"src_port\":null,\"transport\":null,"
	    "\"user\":\"\",\"reason\":null,\"count\":0}\n");

	ev.time_ms = 253402300799999LL; /* 9999-12-31T23:59:59.999Z */
	ev.count = UINT32_MAX;
	ev.src_port = UINT16_MAX;
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_non_null(strstr(buf, "\"9999-12-31T23:59:59.999Z\""));
	assert_non_null(strstr(buf, "\"src_port\":65535,"));
	assert_non_null(strstr(buf, "\"count\":4294967295}"));
}

/* R-ADMIN-4: hostile bytes cannot forge a line nor break the JSON. */
static void
test_escaping(void **state)
{
	static const char user[] = "a\"b\\c\nd\0e\xff"
	                           "f\r\x1b[31m\x7f";
	struct seclog_event ev = {
	    .kind = SECLOG_AUTH_FAILURE,
	    .time_ms = T0,
	    .user = sv_make(user, sizeof(user) - 1),
	};
	char buf[SECLOG_LINE_MAX + 1];
	size_t len = 0;

	(void)state;
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_non_null(
	    strstr(buf, "\"user\":\"a\\\"b\\\\c\\u000ad\\u0000e\\u00fff\\u000d"
	                "\\u001b[31m\\u007f\","));

	/* Valid UTF-8 passes as is; invalid sequences byte by byte. */
	ev.user = SV("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e");
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_non_null(strstr(
	    buf, "\"user\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9e\","));
	ev.user = SV("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82|\x80");
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_non_null(strstr(buf,
	    "\"user\":\"\\u00c0\\u00af|\\u00ed\\u00a0\\u0080|\\u00f4"
	    "\\u0090\\u0080\\u0080|\\u00e2\\u0082|\\u0080\","));

	/* C1 controls, line separators and bidi controls are escaped. */
	ev.user = SV("\xc2\x9b|\xe2\x80\xa8|\xe2\x80\xae|\xe2\x81\xa6|"
	             "\xe2\x80\x8f");
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_non_null(strstr(buf, "\"user\":\"\\u009b|\\u2028|\\u202e|"
	                            "\\u2066|\\u200f\","));

	/* Every field is escaped, not only the user. */
	ev = (struct seclog_event){
	    .kind = SECLOG_SCANNER,
	    .time_ms = T0,
	    .src_ip = SV("1\n2"),
	    .transport = SV("u\"dp"),
	    .reason = SV("r\\"),
	};
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_non_null(strstr(buf, "\"src_ip\":\"1\\u000a2\","));
	assert_non_null(strstr(buf, "\"transport\":\"u\\\"dp\","));
	assert_non_null(strstr(buf, "\"reason\":\"r\\\\\","));
}

/* Strings are cut at SECLOG_FIELD_MAX input bytes, never inside a UTF-8
 * sequence, and marked; the worst line still fits. */
static void
test_truncation(void **state)
{
	char big[1000], want[SECLOG_FIELD_MAX + 16];
	char buf[SECLOG_LINE_MAX + 1];
	struct seclog_event ev = {.kind = SECLOG_BAN, .time_ms = T0};
	size_t len = 0;

	(void)state;
	memset(big, 'u', sizeof(big));
	ev.user = sv_make(big, sizeof(big));
	format_ok(&ev, buf, sizeof(buf), &len);
	want[0] = '"';
	memset(want + 1, 'u', SECLOG_FIELD_MAX);
	memcpy(want + 1 + SECLOG_FIELD_MAX, "...\",", 6);
	assert_non_null(strstr(buf, want));

	/* Exactly the limit: no mark. */
	ev.user = sv_make(big, SECLOG_FIELD_MAX);
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_null(strstr(buf, "..."));

	/* A two-byte character across the limit is left out whole. */
	memset(big, 'a', SECLOG_FIELD_MAX - 1);
	memcpy(big + SECLOG_FIELD_MAX - 1, "\xc3\xa9zz", 4);
	ev.user = sv_make(big, SECLOG_FIELD_MAX + 3);
	format_ok(&ev, buf, sizeof(buf), &len);
	memset(want + 1, 'a', SECLOG_FIELD_MAX - 1);
	memcpy(want + SECLOG_FIELD_MAX, "...\",", 6);
	assert_non_null(strstr(buf, want));
	assert_null(strstr(buf, "\xc3"));

	/* The worst case: every string field all escapes. */
	memset(big, 0x01, sizeof(big));
	ev = (struct seclog_event){
	    .kind = SECLOG_USER_UNDER_ATTACK,
	    .time_ms = 253402300799999LL,
	    .src_ip = sv_make(big, sizeof(big)),
	    .src_port = UINT16_MAX,
	    .transport = sv_make(big, sizeof(big)),
	    .user = sv_make(big, sizeof(big)),
	    .reason = sv_make(big, sizeof(big)),
	    .count = UINT32_MAX,
	};
	format_ok(&ev, buf, sizeof(buf), &len);
	assert_true(len > 4 * SECLOG_FIELD_MAX * 6);
}

/* Errors: unknown kind, times out of range, a buffer too small. */
static void
test_format_errors(void **state)
{
	struct seclog_event ev = {
	    .kind = SECLOG_BAN, .time_ms = T0, .user = SV("100")};
	char buf[SECLOG_LINE_MAX + 1];
	size_t len = 0, need;

	(void)state;
	format_ok(&ev, buf, sizeof(buf), &len);
	need = len + 1;
	assert_int_equal(seclog_format(&ev, buf, need, &len), 0);
	assert_int_equal(seclog_format(&ev, buf, need - 1, &len), -ENOSPC);
	assert_string_equal(buf, "");
	assert_int_equal(seclog_format(&ev, buf, 1, NULL), -ENOSPC);
	assert_int_equal(seclog_format(&ev, buf, 0, NULL), -ENOSPC);
	ev.kind = (enum seclog_kind)99;
	assert_int_equal(seclog_format(&ev, buf, sizeof(buf), NULL), -EINVAL);
	ev.kind = SECLOG_BAN;
	ev.time_ms = -1;
	assert_int_equal(seclog_format(&ev, buf, sizeof(buf), NULL), -EINVAL);
	ev.time_ms = 253402300800000LL; /* year 10000 */
	assert_int_equal(seclog_format(&ev, buf, sizeof(buf), NULL), -EINVAL);
	/* Time 0 is now. */
	ev.time_ms = 0;
	assert_int_equal(seclog_format(&ev, buf, sizeof(buf), &len), 0);
	assert_true(strncmp(buf, "{\"time\":\"20", 11) == 0);
	assert_true(json_line_ok(buf, len, NULL));
}

static size_t
read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
}

static unsigned
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

/* R-ADMIN-4: the folder (0700) and file (0600) are made whatever the
 * umask, lines are appended, and a second opener appends too. */
static void
test_open_write(void **state)
{
	struct fixture *f = *state;
	struct seclog_event ev = {.kind = SECLOG_BAN,
	    .time_ms = T0,
	    .src_ip = SV("192.0.2.1"),
	    .reason = SV("admin"),
	    .count = 1};
	struct seclog *a = NULL, *b = NULL;
	char text[4096];
	mode_t old = umask(0);
	size_t n;

	assert_int_equal(seclog_open(&a, f->dir), 0);
	umask(old);
	assert_int_equal(file_mode(f->log_dir), 0700);
	assert_int_equal(file_mode(f->path), 0600);
	assert_int_equal(seclog_write(a, &ev), 0);
	assert_int_equal(seclog_open(&b, f->dir), 0);
	ev.kind = SECLOG_UNBAN;
	assert_int_equal(seclog_write(b, &ev), 0);
	ev.kind = SECLOG_THROTTLE;
	assert_int_equal(seclog_write(a, &ev), 0);
	seclog_close(a);
	seclog_close(b);
	seclog_close(NULL);
	n = read_file(f->path, text, sizeof(text));
	assert_true(n > 0);
	assert_non_null(strstr(text, "\"event\":\"ban\""));
	assert_true(strstr(text, "\"event\":\"ban\"") <
	            strstr(text, "\"event\":\"unban\""));
	assert_true(strstr(text, "\"event\":\"unban\"") <
	            strstr(text, "\"event\":\"throttle\""));
	/* Reopening keeps what is there. */
	assert_int_equal(seclog_open(&a, f->dir), 0);
	seclog_close(a);
	assert_int_equal(read_file(f->path, text, sizeof(text)), n);
}

/* Rotation: after a rename, seclog_reopen() moves to a new file. */
static void
test_reopen(void **state)
{
	struct fixture *f = *state;
	struct seclog_event ev = {
	    .kind = SECLOG_BAN, .time_ms = T0, .reason = SV("first")};
	char old_path[160], text[4096];
	struct seclog *s = NULL;

	assert_int_equal(seclog_open(&s, f->dir), 0);
	assert_int_equal(seclog_write(s, &ev), 0);
	snprintf(old_path, sizeof(old_path), "%s.1", f->path);
	assert_int_equal(rename(f->path, old_path), 0);
	ev.reason = SV("second");
	assert_int_equal(seclog_write(s, &ev), 0); /* still the old file */
	assert_int_equal(seclog_reopen(s), 0);
	assert_int_equal(file_mode(f->path), 0600);
	ev.reason = SV("third");
	assert_int_equal(seclog_write(s, &ev), 0);
	assert_int_equal(seclog_reopen(s), 0); /* same file again: fine */
	ev.reason = SV("fourth");
	assert_int_equal(seclog_write(s, &ev), 0);
	seclog_close(s);
	read_file(old_path, text, sizeof(text));
	assert_non_null(strstr(text, "first"));
	assert_non_null(strstr(text, "second"));
	assert_null(strstr(text, "third"));
	read_file(f->path, text, sizeof(text));
	assert_null(strstr(text, "second"));
	assert_non_null(strstr(text, "third"));
	assert_non_null(strstr(text, "fourth"));

	/* A failed reopen keeps the old file. */
	assert_int_equal(seclog_open(&s, f->dir), 0);
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(seclog_reopen(s), -EISDIR);
	ev.reason = SV("fifth");
	assert_int_equal(seclog_write(s, &ev), 0);
	seclog_close(s);
}

/* Links and wrong file types are refused; a wide mode is tightened. */
static void
test_open_checks(void **state)
{
	struct fixture *f = *state;
	struct seclog *s = NULL;
	char target[160];
	int fd;

	/* The file is a symbolic link. */
	assert_int_equal(mkdir(f->log_dir, 0700), 0);
	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(seclog_open(&s, f->dir), -EINVAL);
	assert_null(s);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(unlink(f->path), 0);

	/* A world-readable file and folder are tightened. */
	fd = open(f->path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(chmod(f->log_dir, 0755), 0);
	assert_int_equal(seclog_open(&s, f->dir), 0);
	seclog_close(s);
	assert_int_equal(file_mode(f->path), 0600);
	assert_int_equal(file_mode(f->log_dir), 0700);

	/* A FIFO in place of the file: refused at once, not waited on. */
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	s = NULL;
	assert_int_equal(seclog_open(&s, f->dir), -EINVAL);
	assert_null(s);
	assert_int_equal(unlink(f->path), 0);

	/* A folder in place of the file. */
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(seclog_open(&s, f->dir), -EISDIR);
	assert_int_equal(rmdir(f->path), 0);

	/* The folder is a symbolic link, or a file. */
	assert_int_equal(rmdir(f->log_dir), 0);
	assert_int_equal(symlink(f->dir, f->log_dir), 0);
	assert_int_equal(seclog_open(&s, f->dir), -ENOTDIR);
	assert_int_equal(unlink(f->log_dir), 0);
	fd = open(f->log_dir, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(seclog_open(&s, f->dir), -ENOTDIR);
	assert_null(s);
	assert_int_equal(seclog_open(&s, ""), -EINVAL);
}

/* Every allocation failure is reported, nothing leaks. */
static void
test_open_oom(void **state)
{
	struct fixture *f = *state;
	struct seclog *s = NULL;

	for (unsigned long n = 1; n <= 2; n++) {
		mem_fail_nth(n);
		assert_int_equal(seclog_open(&s, f->dir), -ENOMEM);
		assert_null(s);
	}
	mem_fail_nth(0);
	assert_int_equal(seclog_open(&s, f->dir), 0);
	seclog_close(s);
}

#define WRITERS 4
#define LINES_EACH 500

struct writer_arg {
	struct seclog *s;
	unsigned id;
};

static void *
writer_main(void *p)
{
	struct writer_arg *w = p;
	char user[SECLOG_FIELD_MAX];
	struct seclog_event ev = {.kind = SECLOG_AUTH_FAILURE, .time_ms = T0};

	/* Long lines make a torn write likelier to show. */
	memset(user, (int)('a' + w->id), sizeof(user));
	ev.user = sv_make(user, sizeof(user));
	for (unsigned i = 0; i < LINES_EACH; i++) {
		ev.count = i;
		if (seclog_write(w->s, &ev) != 0)
			return p;
		if (w->id == 0 && i % 100 == 50 && seclog_reopen(w->s) != 0)
			return p;
	}
	return NULL;
}

/* Concurrent writers (and a reopen meanwhile) never interleave lines. */
static void
test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct writer_arg args[WRITERS];
	pthread_t th[WRITERS];
	struct seclog *s = NULL;
	unsigned lines = 0, per[WRITERS] = {0};
	char *text, *line, *nl;
	size_t size = (size_t)WRITERS * LINES_EACH * 512, n;
	void *ret;

	assert_int_equal(seclog_open(&s, f->dir), 0);
	for (unsigned i = 0; i < WRITERS; i++) {
		args[i] = (struct writer_arg){s, i};
		assert_int_equal(
		    pthread_create(&th[i], NULL, writer_main, &args[i]), 0);
	}
	for (unsigned i = 0; i < WRITERS; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	seclog_close(s);
	text = malloc(size);
	assert_non_null(text);
	n = read_file(f->path, text, size);
	for (line = text; line < text + n; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(text + n - line));
		assert_non_null(nl);
		assert_true(json_line_ok(line, (size_t)(nl - line + 1), NULL));
		for (unsigned i = 0; i < WRITERS; i++) {
			char c = (char)('a' + i);

			if (strstr(line, "\"user\":\"") != NULL &&
			    strchr(line, c) != NULL &&
			    *(strstr(line, "\"user\":\"") + 8) == c)
				per[i]++;
		}
		lines++;
	}
	free(text);
	assert_int_equal(lines, WRITERS * LINES_EACH);
	for (unsigned i = 0; i < WRITERS; i++)
		assert_int_equal(per[i], LINES_EACH);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_format_fields),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_format_errors),
	    cmocka_unit_test_setup_teardown(test_open_write, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
