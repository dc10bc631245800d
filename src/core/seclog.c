/* The security log. */
#include "core/seclog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

/* Every field at its worst: each kept input byte escaped to six, plus
 * "...", quotes and keys; checked against SECLOG_LINE_MAX below. */
#define SECLOG_STR_WORST (SECLOG_FIELD_MAX * 6u + 5u)
#define SECLOG_FIXED_WORST 256u

_Static_assert(4u * SECLOG_STR_WORST + SECLOG_FIXED_WORST < SECLOG_LINE_MAX,
    "SECLOG_LINE_MAX must hold the longest line");

struct seclog {
	int fd;
	char *dir; /* DATA_DIR/log */
};

static const char *const seclog_names[] = {
    [SECLOG_AUTH_FAILURE] = "auth_failure",
    [SECLOG_BAN] = "ban",
    [SECLOG_UNBAN] = "unban",
    [SECLOG_THROTTLE] = "throttle",
    [SECLOG_ACL_REFUSED] = "acl_refused",
    [SECLOG_SCANNER] = "scanner",
    [SECLOG_USER_UNDER_ATTACK] = "user_under_attack",
    [SECLOG_DESTINATION_DENIED] = "destination_denied",
    [SECLOG_FRAUD] = "fraud",
};

const char *
seclog_kind_name(enum seclog_kind kind)
{
	size_t k = (size_t)kind;

	return k < RP_ARRAY_LEN(seclog_names) ? seclog_names[k] : NULL;
}

/* A bounded output buffer; 'over' is set once something did not fit. */
struct seclog_out {
	char *p;
	size_t size;
	size_t len;
	bool over;
};

static void
seclog_put(struct seclog_out *o, const char *p, size_t n)
{
	if (o->over || o->size - o->len <= n) {
		o->over = true; /* one byte stays for the NUL */
		return;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void
seclog_put_cstr(struct seclog_out *o, const char *s)
{
	seclog_put(o, s, strlen(s));
}

static void
seclog_put_u32(struct seclog_out *o, uint32_t v)
{
	char num[16];
	int n = snprintf(num, sizeof(num), "%u", v);

	if (n > 0 && (size_t)n < sizeof(num))
		seclog_put(o, num, (size_t)n);
	else
		o->over = true;
}

/* \uXXXX for a code point of the Basic Multilingual Plane. */
static void
seclog_put_uescape(struct seclog_out *o, uint32_t cp)
{
	static const char hex[] = "0123456789abcdef";
	char e[6] = {'\\', 'u', hex[(cp >> 12) & 15], hex[(cp >> 8) & 15],
	    hex[(cp >> 4) & 15], hex[cp & 15]};

	seclog_put(o, e, sizeof(e));
}

/* Code points written escaped although JSON allows them raw: controls,
 * which a terminal running 'rempart security tail' would obey, line
 * separators, which some readers take for line ends, and the bidi
 * controls, which could make a line read differently from its bytes. */
static bool
seclog_escape_cp(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* A JSON string of at most SECLOG_FIELD_MAX input bytes, or null. */
static void
seclog_put_string(struct seclog_out *o, struct sv s)
{
	size_t lim = s.len < SECLOG_FIELD_MAX ? s.len : SECLOG_FIELD_MAX;
	size_t i = 0, n;
	uint32_t cp;

	if (s.p == NULL) {
		seclog_put_cstr(o, "null");
		return;
	}
	seclog_put(o, "\"", 1);
	while (i < lim) {
		n = sv_utf8_seq(s, i, &cp);
		if (n == 0) {
			/* Not UTF-8: the byte itself, escaped. */
			seclog_put_uescape(o, (unsigned char)s.p[i]);
			i++;
			continue;
		}
		if (n > lim - i)
			break; /* never cut inside a sequence */
		if (cp == '"' || cp == '\\') {
			seclog_put(o, "\\", 1);
			seclog_put(o, s.p + i, 1);
		} else if (seclog_escape_cp(cp)) {
			seclog_put_uescape(o, cp);
		} else {
			seclog_put(o, s.p + i, n);
		}
		i += n;
	}
	if (i < s.len)
		seclog_put_cstr(o, "...");
	seclog_put(o, "\"", 1);
}

/* "2024-05-01T12:00:00.123Z" */
static int
seclog_put_time(struct seclog_out *o, int64_t time_ms)
{
	struct timespec ts;
	struct tm tm;
	time_t secs;
	char text[40];
	size_t n;

	if (time_ms == 0) {
		if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
			return -errno;
		time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	}
	if (time_ms < 0)
		return -EINVAL;
	secs = (time_t)(time_ms / 1000);
	if (gmtime_r(&secs, &tm) == NULL || tm.tm_year > 9999 - 1900)
		return -EINVAL;
	n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return -EINVAL;
	seclog_put(o, "\"", 1);
	seclog_put(o, text, n);
	seclog_put(o, ".", 1);
	text[0] = (char)('0' + time_ms % 1000 / 100);
	text[1] = (char)('0' + time_ms % 100 / 10);
	text[2] = (char)('0' + time_ms % 10);
	seclog_put(o, text, 3);
	seclog_put_cstr(o, "Z\"");
	return 0;
}

int
seclog_format(
    const struct seclog_event *ev, char *buf, size_t size, size_t *len)
{
	struct seclog_out o = {buf, size, 0, false};
	const char *name = seclog_kind_name(ev->kind);
	int err;

	if (name == NULL)
		return -EINVAL;
	if (size == 0)
		return -ENOSPC;
	seclog_put_cstr(&o, "{\"time\":");
	err = seclog_put_time(&o, ev->time_ms);
	if (err != 0)
		return err;
	seclog_put_cstr(&o, ",\"event\":\"");
	seclog_put_cstr(&o, name);
	seclog_put_cstr(&o, "\",\"src_ip\":");
	seclog_put_string(&o, ev->src_ip);
	seclog_put_cstr(&o, ",\"src_port\":");
	if (ev->src_port != 0)
		seclog_put_u32(&o, ev->src_port);
	else
		seclog_put_cstr(&o, "null");
	seclog_put_cstr(&o, ",\"transport\":");
	seclog_put_string(&o, ev->transport);
	seclog_put_cstr(&o, ",\"user\":");
	seclog_put_string(&o, ev->user);
	seclog_put_cstr(&o, ",\"reason\":");
	seclog_put_string(&o, ev->reason);
	seclog_put_cstr(&o, ",\"count\":");
	seclog_put_u32(&o, ev->count);
	seclog_put_cstr(&o, "}\n");
	if (o.over) {
		buf[0] = '\0';
		return -ENOSPC;
	}
	buf[o.len] = '\0';
	if (len != NULL)
		*len = o.len;
	return 0;
}

/* Creates the folder, or checks the one there: a real directory (not a
 * link), which is then made private to its owner. Returns an open
 * descriptor of it, so the file is opened in the folder checked. */
static int
seclog_open_dir(const char *dir, int *out)
{
	struct stat st;
	int fd, err;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto fail;
	}
	if ((st.st_mode & 077) != 0 && fchmod(fd, 0700) != 0) {
		err = -errno;
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return err;
}

/* Opens the log file for appending, mode 0600. O_NONBLOCK makes a FIFO
 * planted in its place fail at once instead of blocking the caller; it
 * means nothing for a regular file. */
static int
seclog_open_file(const char *dir, int *out)
{
	struct stat st;
	int dfd = -1, fd, err;

	err = seclog_open_dir(dir, &dfd);
	if (err != 0)
		return err;
	fd = openat(dfd, SECLOG_FILE_NAME,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY |
	        O_NONBLOCK,
	    0600);
	err = fd < 0 ? -errno : 0;
	close(dfd);
	if (err == -ELOOP || err == -ENXIO)
		return -EINVAL;
	if (err != 0)
		return err;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto fail;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
		err = -errno;
		goto fail;
	}
	*out = fd;
	return 0;
fail:
	close(fd);
	return err;
}

int
seclog_open(struct seclog **out, const char *data_dir)
{
	struct seclog *s;
	size_t dlen = strlen(data_dir);
	size_t size = dlen + sizeof("/" SECLOG_DIR_NAME);
	int err;

	if (dlen == 0)
		return -EINVAL;
	if (size > PATH_MAX - sizeof("/" SECLOG_FILE_NAME))
		return -ENAMETOOLONG;
	s = mem_calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->fd = -1;
	s->dir = mem_alloc(size);
	if (s->dir == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	memcpy(s->dir, data_dir, dlen);
	memcpy(s->dir + dlen, "/" SECLOG_DIR_NAME, sizeof("/" SECLOG_DIR_NAME));
	err = seclog_open_file(s->dir, &s->fd);
	if (err != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	seclog_close(s);
	return err;
}

int
seclog_reopen(struct seclog *s)
{
	int fd, err;

	err = seclog_open_file(s->dir, &fd);
	if (err != 0)
		return err;
	/* dup3() swaps the file under s->fd in one step: a concurrent
	 * seclog_write() goes wholly to the old file or the new one. */
	if (dup3(fd, s->fd, O_CLOEXEC) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

int
seclog_write(struct seclog *s, const struct seclog_event *ev)
{
	char line[SECLOG_LINE_MAX + 1];
	size_t len = 0;
	ssize_t n;
	int err;

	err = seclog_format(ev, line, sizeof(line), &len);
	if (err != 0)
		return err;
	/* One write() per line: with O_APPEND the kernel puts it whole at
	 * the end, so writers never interleave. A signal before any byte
	 * is written is retried; a partial line is not completed, as the
	 * rest could land after another writer's line. */
	do
		n = write(s->fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

void
seclog_close(struct seclog *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s);
}
