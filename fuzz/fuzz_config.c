/* libFuzzer target for the configuration file (admin/config.h): the
 * YAML an administrator imports with 'rempart config import'.
 *
 * Invariants checked on every input: a refusal lists at least one error,
 * each with text; an accepted file written back with config_write()
 * parses again, and the two configurations do not differ (an export
 * imports as a no-op). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert(), active whatever NDEBUG says. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static int
count_change(void *arg, const struct config_change *ch)
{
	unsigned *n = arg;

	CHECK(ch->kind != NULL && ch->key != NULL);
	(*n)++;
	return 0;
}

static struct config_errors errs;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct config_opts opts = {.prune_users = true};
	struct config *a = NULL, *b = NULL;
	struct buf out;
	unsigned changes = 0;
	char *copy;
	int rc;

	/* An exact-size copy: ASan catches a read one byte past the end. */
	copy = malloc(size != 0 ? size : 1);
	if (copy == NULL)
		return 0;
	if (size != 0)
		memcpy(copy, data, size);
	rc = config_parse(sv_make(copy, size), &a, &errs);
	if (rc != 0) {
		CHECK(rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM);
		CHECK(a == NULL);
		CHECK(rc == -ENOMEM || errs.n > 0);
		for (unsigned i = 0; i < errs.n; i++)
			CHECK(errs.e[i].text[0] != '\0');
		free(copy);
		return 0;
	}
	buf_init(&out, 0);
	CHECK(config_write(a, &out) == 0);
	rc = config_parse(buf_view(&out), &b, &errs);
	CHECK(rc == 0);
	CHECK(config_diff(a, b, &opts, count_change, &changes) == 0);
	CHECK(changes == 0);
	buf_release(&out);
	config_free(a);
	config_free(b);
	free(copy);
	return 0;
}
