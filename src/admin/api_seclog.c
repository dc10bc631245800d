/* The administration API: the security log's raw lines (R-ADMIN-4),
 * what `rempart security tail [--follow]` shows.
 *
 * GET /api/v1/security/log?lines=N gives the last N lines (default
 * API_SECLOG_LINES_DEFAULT) of DATA/log/security.log, oldest first, as
 * written without their '\n'; a last line without its '\n' (a write
 * cut short) counts as a line. GET /api/v1/security/log?cursor=C gives
 * the lines appended since the answer that returned C. Both answer
 * {"lines": [...], "cursor": C, "more": bool}.
 *
 * The cursor, "DEV.INO.OFFSET", names the file (device and inode) and
 * the offset reached in it; "0.0.0" is "no file yet", and picks the
 * file up from its start once it appears. It follows the log the way
 * `tail -F` does: when the file it names is no longer security.log but
 * is security.log.1 (the log was rotated), the rest of it is read
 * first, then the new file from its start; a file shorter than the
 * offset was truncated and is read again from its start. A cursor into
 * the current file stops before a last line without its '\n': the rest
 * of it is still being written.
 *
 * Each answer holds at most API_SECLOG_LINES_MAX lines and
 * API_SECLOG_BYTES_MAX bytes of them; "more" says it stopped there and
 * the caller should ask again at once with the cursor given. Bytes that
 * would drive a terminal (C0 and C1 controls, DEL) or are not UTF-8
 * become '?': the log never holds them, a damaged file might. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/api_int.h"
#include "core/log.h"
#include "core/seclog.h"

/* Lines given when the request says neither lines nor cursor. */
#define API_SECLOG_LINES_DEFAULT 20u
/* The largest 'lines' (the command line's largest -n). */
#define API_SECLOG_TAIL_MAX 1000000u
/* Bounds of one answer. */
#define API_SECLOG_LINES_MAX 10000u
#define API_SECLOG_BYTES_MAX (1024u * 1024u)
/* "DEV.INO.OFFSET": three 64-bit numbers and two dots. */
#define API_SECLOG_CURSOR_MAX 64u
/* Bytes read at a time when looking for the start of the last lines. */
#define API_SECLOG_CHUNK 8192u

int
api_seclog_read_open(struct api *a, bool rotated, int *fd, struct stat *st)
{
	char path[4096];

	*fd = -1;
	if (snprintf(path, sizeof(path), "%s/%s/%s%s", a->data_dir,
	        SECLOG_DIR_NAME, SECLOG_FILE_NAME,
	        rotated ? ".1" : "") >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* O_NONBLOCK: a FIFO planted in its place fails at once. */
	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return -EINVAL;
	}
	return 0;
}

/* Where an answer stands. */
struct api_seclog_pos {
	uint64_t dev, ino; /* 0, 0: no file */
	uint64_t off;
};

/* What an answer has taken so far. */
struct api_seclog_read {
	json_t *lines;
	size_t bytes;
	bool more; /* stopped at a bound */
};

static bool
api_seclog_same(const struct api_seclog_pos *p, const struct stat *st)
{
	return p->ino != 0 && p->dev == (uint64_t)st->st_dev &&
	       p->ino == (uint64_t)st->st_ino;
}

/* Parses "DEV.INO.OFFSET" strictly: decimal digits, nothing else, and
 * "0.0.0" as the only form without a file. */
static int
api_seclog_cursor_parse(const char *text, struct api_seclog_pos *p)
{
	struct sv in = sv_cstr(text), dev, ino;

	if (in.len > API_SECLOG_CURSOR_MAX || !sv_split(&in, '.', &dev) ||
	    !sv_split(&in, '.', &ino) ||
	    sv_to_u64(dev, UINT64_MAX, &p->dev) != 0 ||
	    sv_to_u64(ino, UINT64_MAX, &p->ino) != 0 ||
	    sv_to_u64(in, INT64_MAX, &p->off) != 0)
		return -EINVAL;
	if (p->ino == 0 && (p->dev != 0 || p->off != 0))
		return -EINVAL;
	return 0;
}

/* Adds one line, its unsafe bytes made '?'. */
static int
api_seclog_add(struct api_seclog_read *r, const char *p, size_t len)
{
	struct sv s = {p, len};
	size_t n = 0;
	uint32_t cp;
	char *clean;
	json_t *j;

	clean = malloc(len + 1);
	if (clean == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		unsigned char ch = (unsigned char)p[i];
		size_t seq = ch < 0x80 ? 1 : sv_utf8_seq(s, i, &cp);

		if (seq == 0 || ch < 0x20 || ch == 0x7f ||
		    (seq == 2 && cp <= 0x9f)) {
			clean[n++] = '?';
			i += seq != 0 ? seq : 1;
			continue;
		}
		memcpy(clean + n, p + i, seq);
		n += seq;
		i += seq;
	}
	j = json_stringn(clean, n);
	free(clean);
	if (j == NULL || json_array_append_new(r->lines, j) != 0)
		return -ENOMEM;
	return 0;
}

/* Takes the lines of [p->off, end) of fd, within the answer's bounds,
 * and moves p->off past what it took. A last line without its '\n' is
 * taken when 'partial' (the file is no longer written), else left for
 * a later request. */
static int
api_seclog_take(struct api_seclog_read *r, int fd, struct api_seclog_pos *p,
    uint64_t end, bool partial)
{
	size_t want, got = 0, pos = 0;
	bool held = false;
	char *b;
	int rc = 0;

	if (p->off >= end)
		return 0;
	want = API_SECLOG_BYTES_MAX - r->bytes;
	if (end - p->off < want)
		want = (size_t)(end - p->off);
	if (want == 0 || json_array_size(r->lines) >= API_SECLOG_LINES_MAX) {
		r->more = true;
		return 0;
	}
	b = malloc(want);
	if (b == NULL)
		return -ENOMEM;
	while (got < want) {
		ssize_t n =
		    pread(fd, b + got, want - got, (off_t)(p->off + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	/* A file that shrank while read ends where the read did. */
	if (got < want)
		end = p->off + got;
	while (pos < got && rc == 0) {
		const char *nl;
		size_t stop, next;

		if (json_array_size(r->lines) >= API_SECLOG_LINES_MAX)
			break;
		nl = memchr(b + pos, '\n', got - pos);
		if (nl != NULL) {
			stop = (size_t)(nl - b);
			next = stop + 1;
		} else if (p->off + got < end) {
			/* Cut by the byte bound: a line longer than the
			 * whole bound is cut, others wait for the next
			 * answer. */
			if (pos != 0 || r->bytes != 0)
				break;
			stop = next = got;
		} else if (partial) {
			stop = next = got;
		} else {
			held = true;
			break;
		}
		rc = api_seclog_add(r, b + pos, stop - pos);
		r->bytes += next - pos;
		pos = next;
	}
	p->off += pos;
	if (rc == 0 && !held && p->off < end)
		r->more = true;
out:
	free(b);
	return rc;
}

/* The offset where the last 'lines' lines of fd (of 'size' bytes)
 * start; a last line without its '\n' counts as a line. */
static int
api_seclog_tail_start(int fd, uint64_t size, uint32_t lines, uint64_t *start)
{
	char b[API_SECLOG_CHUNK];
	uint64_t pos;
	uint32_t seen = 0;

	*start = size;
	if (lines == 0 || size == 0)
		return 0;
	pos = size;
	if (pread(fd, b, 1, (off_t)(size - 1)) == 1 && b[0] == '\n')
		pos = size - 1; /* the last line's own terminator */
	while (pos > 0) {
		size_t want = pos < sizeof(b) ? (size_t)pos : sizeof(b);
		ssize_t n = pread(fd, b, want, (off_t)(pos - want));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)want)
			return n < 0 ? -errno : -EIO;
		for (size_t i = want; i > 0; i--) {
			if (b[i - 1] == '\n' && ++seen == lines) {
				*start = pos - want + i;
				return 0;
			}
		}
		pos -= want;
	}
	*start = 0;
	return 0;
}

static void
api_seclog_at(struct api_seclog_pos *p, const struct stat *st, uint64_t off)
{
	p->dev = (uint64_t)st->st_dev;
	p->ino = (uint64_t)st->st_ino;
	p->off = off;
}

/* ?lines=N: the last N lines of the current file. */
static int
api_seclog_last(struct api *a, uint32_t lines, struct api_seclog_read *r,
    struct api_seclog_pos *p)
{
	struct stat st;
	uint64_t start;
	int fd, rc;

	rc = api_seclog_read_open(a, false, &fd, &st);
	if (rc == -ENOENT)
		return 0; /* nothing logged yet: "0.0.0" */
	if (rc != 0)
		return rc;
	rc = api_seclog_tail_start(fd, (uint64_t)st.st_size, lines, &start);
	api_seclog_at(p, &st, start);
	if (rc == 0)
		rc = api_seclog_take(r, fd, p, (uint64_t)st.st_size, true);
	close(fd);
	return rc;
}

/* ?cursor=C: what was appended since C, across a rotation. */
static int
api_seclog_since(
    struct api *a, struct api_seclog_read *r, struct api_seclog_pos *p)
{
	struct stat cur, old;
	int fd, ofd, rc;

	rc = api_seclog_read_open(a, false, &fd, &cur);
	if (rc == -ENOENT)
		rc = 0; /* none yet, or rotated and not written to since */
	if (rc != 0)
		return rc;
	if (fd >= 0 && api_seclog_same(p, &cur)) {
		if (p->off > (uint64_t)cur.st_size)
			p->off = 0; /* truncated */
		rc = api_seclog_take(r, fd, p, (uint64_t)cur.st_size, false);
		close(fd);
		return rc;
	}
	/* The cursor's file is no longer the log: drain it when it is the
	 * rotated one. */
	if (p->ino != 0 && api_seclog_read_open(a, true, &ofd, &old) == 0) {
		if (api_seclog_same(p, &old)) {
			if (p->off > (uint64_t)old.st_size)
				p->off = 0;
			rc = api_seclog_take(
			    r, ofd, p, (uint64_t)old.st_size, true);
			if (rc == 0 && r->more) {
				close(ofd);
				if (fd >= 0)
					close(fd);
				return 0; /* the rest of it next time */
			}
		}
		close(ofd);
	}
	/* Then the new file from its start, or "no file". */
	*p = (struct api_seclog_pos){0, 0, 0};
	if (fd < 0 || rc != 0) {
		if (fd >= 0)
			close(fd);
		return rc;
	}
	api_seclog_at(p, &cur, 0);
	rc = api_seclog_take(r, fd, p, (uint64_t)cur.st_size, false);
	close(fd);
	return rc;
}

/* GET /api/v1/security/log?lines=N or ?cursor=C. */
static enum MHD_Result
api_security_log(struct api_call *k)
{
	const char *lines = api_param(k, "lines"),
	           *cursor = api_param(k, "cursor");
	struct api_seclog_read r = {0};
	struct api_seclog_pos p = {0, 0, 0};
	char next[API_SECLOG_CURSOR_MAX];
	uint32_t n = API_SECLOG_LINES_DEFAULT;
	int rc;

	if (lines != NULL && cursor != NULL)
		return api_bad_param(
		    k->conn, "cursor", "either lines or cursor, not both");
	if (lines != NULL &&
	    sv_to_u32(sv_cstr(lines), API_SECLOG_TAIL_MAX, &n) != 0)
		return api_bad_param(k->conn, "lines", "a number, 0-1000000");
	if (cursor != NULL && api_seclog_cursor_parse(cursor, &p) != 0)
		return api_bad_param(
		    k->conn, "cursor", "a cursor given by an earlier answer");
	r.lines = json_array();
	if (r.lines == NULL)
		return api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "internal error");
	if (cursor != NULL)
		rc = api_seclog_since(k->api, &r, &p);
	else
		rc = api_seclog_last(k->api, n, &r, &p);
	if (rc != 0) {
		json_decref(r.lines);
		log_error(
		    "api", "msg=\"cannot read the security log\" err=%d", -rc);
		return api_error(k->conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "internal", "cannot read the security log");
	}
	snprintf(next, sizeof(next), "%" PRIu64 ".%" PRIu64 ".%" PRIu64, p.dev,
	    p.ino, p.off);
	return api_send(k->conn, MHD_HTTP_OK,
	    json_pack("{s:o,s:s,s:b}", "lines", r.lines, "cursor", next, "more",
	        r.more),
	    NULL, NULL);
}

const struct api_route_def api_routes_seclog[] = {
    {"security/log", MHD_HTTP_METHOD_GET, API_TAIL_NONE, RBAC_SECURITY_READ,
        {"lines", "cursor"}, api_security_log},
    {.path = NULL},
};
