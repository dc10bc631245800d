/* The security log: one JSON object per line in DATA/log/security.log,
 * for every security event (R-ADMIN-4, R-FRAUD-4, R-NET-2).
 *
 * Each line has the same fields, in this order:
 *   time       RFC 3339 UTC with milliseconds, "2024-05-01T12:00:00.123Z"
 *   event      a fixed token (seclog_kind_name())
 *   src_ip     string or null
 *   src_port   number or null
 *   transport  string or null
 *   user       string or null
 *   reason     string or null
 *   count      number
 * Strings come from peers (a user name, a transport token) and are
 * treated as hostile: each is cut to SECLOG_FIELD_MAX input bytes (never
 * inside a UTF-8 sequence; a cut string ends with "..."), quotes and
 * backslashes are escaped, and control characters (C0, DEL, C1), bytes
 * that are not valid UTF-8, and the Unicode line separators and bidi
 * controls become \uXXXX (an invalid byte 0xNN is written \u00NN). A
 * peer can thus neither forge a line, nor break the JSON, nor bloat the
 * file: a line never exceeds SECLOG_LINE_MAX bytes.
 *
 * Each line goes to the file in a single write() on a descriptor opened
 * with O_APPEND, so lines from several threads or processes (the daemon
 * and the CLI) never interleave. Lines are not synced: a line written
 * before a crash of the process survives it; one written just before a
 * power loss may not.
 *
 * Thread rules: seclog_write() and seclog_reopen() may be called from
 * any thread, concurrently (the descriptor is swapped atomically); they
 * write to a file, so on the signalling thread prefer a worker.
 * seclog_open() and seclog_close() are start-up and shutdown code. */
#ifndef RP_CORE_SECLOG_H
#define RP_CORE_SECLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

/* The folder inside the data directory, and the file inside it. */
#define SECLOG_DIR_NAME "log"
#define SECLOG_FILE_NAME "security.log"
/* Input bytes kept of each string field. */
#define SECLOG_FIELD_MAX 128u
/* The longest line, its '\n' included. */
#define SECLOG_LINE_MAX 4096u

enum seclog_kind {
	SECLOG_AUTH_FAILURE,       /* "auth_failure" */
	SECLOG_BAN,                /* "ban" */
	SECLOG_UNBAN,              /* "unban" */
	SECLOG_THROTTLE,           /* "throttle" */
	SECLOG_ACL_REFUSED,        /* "acl_refused" */
	SECLOG_SCANNER,            /* "scanner" */
	SECLOG_USER_UNDER_ATTACK,  /* "user_under_attack" */
	SECLOG_DESTINATION_DENIED, /* "destination_denied": rights */
	SECLOG_FRAUD,              /* "fraud": ceilings, rules, blocks */
};

/* One event. Views are borrowed for the call; an absent one (SV_NULL) is
 * written null, an empty one "". */
struct seclog_event {
	enum seclog_kind kind;
	int64_t time_ms;     /* ms since the epoch; 0: now (CLOCK_REALTIME) */
	struct sv src_ip;    /* the source address (or network) */
	uint16_t src_port;   /* 0: null */
	struct sv transport; /* "udp", "tcp", "tls", ... */
	struct sv user;      /* the user or extension concerned */
	struct sv reason;    /* why: a guard reason, "admin", ... */
	uint32_t count;      /* failures, drops, or times banned */
};

struct seclog;

/* The token of a kind, or NULL for a value outside the enum. */
const char *seclog_kind_name(enum seclog_kind kind);

/* Formats the line of 'ev', its '\n' included, into buf (NUL-terminated
 * too); *len (may be NULL) gets its length without the NUL. Also meant
 * for other sinks of the same events (alerts, R-FRAUD-4). Returns 0,
 * -EINVAL (unknown kind, or a time before 1970 or after 9999) or -ENOSPC
 * (buf smaller than needed; SECLOG_LINE_MAX + 1 always suffices). Any
 * thread. */
int seclog_format(const struct seclog_event *ev, char *buf, size_t size,
    size_t *len) RP_MUST_CHECK;

/* Opens DATA_DIR/log/security.log for appending, creating the folder
 * (mode 0700) and the file (mode 0600) when needed, and tightening a
 * file that is group or world accessible. Neither may be a symbolic
 * link. On success *out is a new handle; free it with seclog_close().
 * Returns 0, -ENOMEM, -ENAMETOOLONG, -ENOTDIR (the folder is a link or
 * not a directory), -EINVAL (empty data_dir; the file is a link, a FIFO
 * or not a regular file), -EISDIR, or another negative errno from the
 * file system. */
int seclog_open(struct seclog **out, const char *data_dir) RP_MUST_CHECK;

/* Opens the file again by its path and puts it in place of the current
 * one, for log rotation: call it on SIGHUP after the file was renamed.
 * On failure the handle keeps writing to the old file. Returns 0 or an
 * error as seclog_open(). */
int seclog_reopen(struct seclog *s) RP_MUST_CHECK;

/* Appends the line of 'ev' in one write(). Returns 0, an error of
 * seclog_format(), -EIO (a short write: the disk is full) or another
 * negative errno of write(). */
int seclog_write(struct seclog *s, const struct seclog_event *ev) RP_MUST_CHECK;

/* Closes the handle (NULL is fine). */
void seclog_close(struct seclog *s);

#endif
