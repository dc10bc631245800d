/* The web console's static files (R-ADMIN-3, R-OPS-1).
 *
 * The console is three files, index.html, app.js and app.css, in the
 * share directory's console/ folder: plain HTML, CSS and JavaScript
 * with no framework and no build step, talking to the JSON API of
 * admin/api.h like any other client. They are read once at start and
 * served from memory, so a request never touches the file system and
 * what is served cannot change under a running daemon. Thread rules:
 * console_load() and console_free() at start-up and shutdown; the
 * lookups on any thread, as the files never change once loaded. */
#ifndef RP_ADMIN_CONSOLE_H
#define RP_ADMIN_CONSOLE_H

#include <stddef.h>

#include "core/compiler.h"

/* The largest file the console may hold. */
#define CONSOLE_FILE_MAX (256u * 1024u)

struct console_file {
	const char *url;  /* "/index.html", "/app.js", "/app.css" */
	const char *type; /* its Content-Type */
	char *data;
	size_t len;
};

struct console;

/* Reads the console's files from 'dir' (the share directory's console
 * folder). Returns 0, -ENOENT (a file is missing), -EFBIG (a file over
 * CONSOLE_FILE_MAX), -EINVAL (an empty file), -ENOMEM or another
 * negative errno from reading. */
int console_load(struct console **out, const char *dir) RP_MUST_CHECK;

/* The file served at the request path 'url' ("/" is the index page), or
 * NULL when the console has none by that path. */
const struct console_file *console_find(
    const struct console *c, const char *url);

/* NULL is fine. */
void console_free(struct console *c);

#endif
