/* libFuzzer target for the admin data-file parsers: the numbering plan
 * (policy/numplan.h) and the rate table (policy/rating.h).
 *
 * The same input goes to both parsers. Invariants checked on every input:
 * an error names a line and a reason, a success names none; whatever
 * loaded, classifying numbers and rating calls stays within bounds. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/numplan.h"
#include "policy/rating.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unlike assert(), active whatever NDEBUG says. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static const char *const dialed[] = {"112", "15", "0612345678", "+33612345678",
    "0033899123456", "+881612345678", "118712", "3949", "+442079460000", "201",
    "+1", "00", "0", "+999999999999999"};

static void
check_err(int rc, const struct numplan_error *err)
{
	if (rc == 0) {
		CHECK(err->line == 0 && err->reason == NULL);
	} else {
		CHECK(rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM);
		CHECK(err->reason != NULL);
	}
}

static void
fuzz_numplan(struct sv text)
{
	struct numplan *np = NULL;
	struct numplan_error err;
	struct numplan_ctx ctx;
	struct numplan_result r;
	int rc;

	if (numplan_new(&np) != 0)
		return;
	rc = numplan_parse(np, text, &err);
	check_err(rc, &err);
	numplan_ctx_france(&ctx);
	ctx.own_e164 = "33145678901";
	for (size_t i = 0; i < sizeof(dialed) / sizeof(dialed[0]); i++) {
		rc = numplan_classify(np, &ctx, sv_cstr(dialed[i]), &r);
		CHECK(rc == 0 || rc == -EINVAL || rc == -ENOENT);
		if (rc != 0)
			continue;
		CHECK((unsigned)r.cls < NUMPLAN_CLASS_COUNT);
		CHECK(r.len == strlen(r.number));
		CHECK(r.label != NULL && strlen(r.label) <= NUMPLAN_LABEL_MAX);
		if (i == 0) /* 112 is built in: no table can lose it */
			CHECK(r.cls == NUMPLAN_EMERGENCY);
	}
	numplan_free(np);
}

static void
fuzz_rating(struct sv text)
{
	struct rating_table *t = NULL;
	struct numplan_error err;
	const struct rating_rate *r;
	int rc;

	if (rating_table_new(&t) != 0)
		return;
	rc = rating_table_parse(t, text, &err);
	check_err(rc, &err);
	for (size_t i = 0; i < sizeof(dialed) / sizeof(dialed[0]); i++) {
		const char *d = dialed[i][0] == '+' ? dialed[i] + 1 : dialed[i];

		r = rating_lookup(t, sv_cstr(d));
		if (r == NULL)
			continue;
		CHECK(r->incr_s >= 1 && r->per_min >= 0 && r->setup >= 0);
		CHECK(rating_cost(r, 0) == 0);
		CHECK(rating_cost(r, 1) >= r->setup);
		CHECK(rating_cost(r, UINT64_MAX) >= rating_cost(r, 3600));
		CHECK(rating_projected(r, 0) == rating_cost(r, 1));
	}
	rating_table_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;

	/* An exact-size copy: ASan catches a read one byte past the end. */
	copy = malloc(size != 0 ? size : 1);
	if (copy == NULL)
		return 0;
	if (size != 0)
		memcpy(copy, data, size);
	fuzz_numplan(sv_make(copy, size));
	fuzz_rating(sv_make(copy, size));
	free(copy);
	return 0;
}
