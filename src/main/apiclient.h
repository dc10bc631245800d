/* The command line's client of the administration API (admin/api.h).
 *
 * Three ways to reach it, tried in this order:
 *   - remote: HTTPS to the URL given (--api), with an API key read from
 *     a file (--api-key-file), the certificate checked against the
 *     system's CAs or --api-ca;
 *   - the running daemon's local socket, DATA/rempart.sock;
 *   - when no daemon listens there, the same API started in this
 *     process on a private socket (a 0700 directory in DATA, removed
 *     afterwards) with its own database connection and no HTTPS.
 * So every converted command has one implementation, the API's
 * handler, whatever the daemon's state. Single-threaded use. */
#ifndef RP_MAIN_APICLIENT_H
#define RP_MAIN_APICLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/sv.h"

struct apiclient;

struct apiclient_opts {
	const char *data_dir;
	const char *share_dir; /* common-secrets.txt, for the local API */
	const char *url;       /* "https://HOST:PORT"; NULL: local */
	const char *key_file;  /* the API key, with url */
	const char *ca_file;   /* NULL: the system's CAs */
	/* Called after each change made by the local API (the in-process
	 * one): tells a daemon that has no socket to reload. */
	void (*reload)(void *arg);
	void *reload_arg;
};

/* Opens the client as described above. Returns 0, or a negative errno
 * having printed why. */
int apiclient_open(struct apiclient **out, const struct apiclient_opts *o);

/* Stops an in-process API and removes its directory. NULL is fine. */
void apiclient_close(struct apiclient *c);

/* True when the API is another host's (not this data directory's). */
bool apiclient_remote(const struct apiclient *c);

/* METHOD /api/v1/PATH with 'body' (borrowed; NULL: none). *status gets
 * the HTTP status and *out the body parsed as JSON (NULL when it is
 * not; the caller frees it). 'raw', when not NULL, gets the body's
 * bytes. Returns 0, or a negative errno having printed why the request
 * could not be made. */
int apiclient_call(struct apiclient *c, const char *method, const char *path,
    json_t *body, long *status, json_t **out, struct buf *raw);

/* apiclient_call() with a body of 'len' bytes of 'data' (borrowed) of
 * media type 'type' ("text/plain"), such as a file to import. */
int apiclient_send(struct apiclient *c, const char *method, const char *path,
    const char *type, const char *data, size_t len, long *status, json_t **out);

/* Prints "rempart: MESSAGE" from an error answer and returns the exit
 * code (1). */
int apiclient_fail(long status, json_t *body);

/* 'text' percent-encoded for a path segment, into 'out'. Returns 0 or
 * -ENAMETOOLONG. */
int apiclient_escape(const char *text, char *out, size_t size);

#endif
