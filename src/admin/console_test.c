/* Unit tests for the web console's static files (R-ADMIN-3). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin/console.h"

static void
source_dir(char *out, size_t size)
{
	const char *root = getenv("RP_SOURCE_ROOT");

	assert_non_null(root);
	assert_true(snprintf(out, size, "%s/data/console", root) < (int)size);
}

/* The files shipped in data/console are found by their paths, with
 * their types; nothing else is. */
static void
test_shipped_files(void **state)
{
	static const char *const absent[] = {"", "/index", "/app.js/",
	    "/../app.js", "/APP.JS", "/app.css?x", "//app.js", "/favicon.ico"};
	const struct console_file *f;
	struct console *c;
	char dir[4096];

	(void)state;
	source_dir(dir, sizeof(dir));
	assert_int_equal(console_load(&c, dir), 0);
	f = console_find(c, "/");
	assert_non_null(f);
	assert_ptr_equal(f, console_find(c, "/index.html"));
	assert_string_equal(f->type, "text/html; charset=utf-8");
	assert_true(f->len > 0 && memmem(f->data, f->len, "app.js", 6));
	f = console_find(c, "/app.js");
	assert_non_null(f);
	assert_string_equal(f->type, "text/javascript; charset=utf-8");
	f = console_find(c, "/app.css");
	assert_non_null(f);
	assert_string_equal(f->type, "text/css; charset=utf-8");
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		assert_null(console_find(c, absent[i]));
	assert_null(console_find(c, NULL));
	assert_null(console_find(NULL, "/"));
	console_free(c);
	console_free(NULL);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
write_file(const char *dir, const char *name, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(fputc('x', f), 'x');
	assert_int_equal(fclose(f), 0);
}

/* A missing, empty or oversized file refuses the whole console. */
static void
test_bad_files(void **state)
{
	char dir[] = "/tmp/rempart-console-XXXXXX";
	struct console *c = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(console_load(&c, dir), -ENOENT);
	write_file(dir, "index.html", 10);
	write_file(dir, "app.js", 10);
	assert_int_equal(console_load(&c, dir), -ENOENT);
	write_file(dir, "app.css", 0);
	assert_int_equal(console_load(&c, dir), -EINVAL);
	write_file(dir, "app.css", CONSOLE_FILE_MAX + 1);
	assert_int_equal(console_load(&c, dir), -EFBIG);
	write_file(dir, "app.css", CONSOLE_FILE_MAX);
	assert_int_equal(console_load(&c, dir), 0);
	assert_int_equal(console_find(c, "/app.css")->len, CONSOLE_FILE_MAX);
	console_free(c);
	assert_int_equal(nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_files),
	    cmocka_unit_test(test_bad_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
