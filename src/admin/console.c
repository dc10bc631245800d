/* The web console's static files, read once and served from memory. */
#include "admin/console.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONSOLE_FILES 3u

struct console {
	struct console_file files[CONSOLE_FILES];
};

static const struct {
	const char *name;
	const char *type;
} console_names[CONSOLE_FILES] = {
    {"index.html", "text/html; charset=utf-8"},
    {"app.js", "text/javascript; charset=utf-8"},
    {"app.css", "text/css; charset=utf-8"},
};

/* Reads 'dir'/'name' whole into a new buffer. */
static int
console_read(const char *dir, const char *name, char **out, size_t *len)
{
	char path[4096];
	size_t n;
	FILE *f;
	char *b;
	int rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	f = fopen(path, "rb");
	if (f == NULL)
		return -errno;
	b = malloc(CONSOLE_FILE_MAX + 1);
	if (b == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(b, 1, CONSOLE_FILE_MAX + 1, f);
	if (ferror(f))
		rc = -EIO;
	else if (n > CONSOLE_FILE_MAX)
		rc = -EFBIG;
	else if (n == 0)
		rc = -EINVAL;
	fclose(f);
	if (rc != 0) {
		free(b);
		return rc;
	}
	*out = b;
	*len = n;
	return 0;
}

int
console_load(struct console **out, const char *dir)
{
	struct console *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (c == NULL)
		return -ENOMEM;
	for (unsigned i = 0; i < CONSOLE_FILES && rc == 0; i++) {
		struct console_file *f = &c->files[i];

		f->type = console_names[i].type;
		rc =
		    console_read(dir, console_names[i].name, &f->data, &f->len);
	}
	c->files[0].url = "/index.html";
	c->files[1].url = "/app.js";
	c->files[2].url = "/app.css";
	if (rc != 0) {
		console_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

const struct console_file *
console_find(const struct console *c, const char *url)
{
	if (c == NULL || url == NULL)
		return NULL;
	if (strcmp(url, "/") == 0)
		return &c->files[0];
	for (unsigned i = 0; i < CONSOLE_FILES; i++)
		if (strcmp(url, c->files[i].url) == 0)
			return &c->files[i];
	return NULL;
}

void
console_free(struct console *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < CONSOLE_FILES; i++)
		free(c->files[i].data);
	free(c);
}
