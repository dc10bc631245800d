/* Unit tests for the numbering plan. R-FRAUD-1 R-FRAUD-2 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mem.h"
#include "policy/numplan.h"

static struct numplan *shipped;

static void
load(struct numplan *np, const char *name)
{
	const char *root = getenv("RP_SOURCE_ROOT");
	struct numplan_error err = {0, NULL};
	char path[4096];
	int rc;

	snprintf(
	    path, sizeof(path), "%s/data/numplan/%s", root ? root : ".", name);
	rc = numplan_load_file(np, path, &err);
	if (rc != 0)
		fprintf(stderr, "%s:%u: %s\n", path, err.line,
		    err.reason ? err.reason : "?");
	assert_int_equal(rc, 0);
}

static int
setup_shipped(void **state)
{
	(void)state;
	assert_int_equal(numplan_new(&shipped), 0);
	load(shipped, "world.txt");
	load(shipped, "fr.txt");
	load(shipped, "high-risk.txt");
	return 0;
}

static int
teardown_shipped(void **state)
{
	(void)state;
	numplan_free(shipped);
	shipped = NULL;
	return 0;
}

/* Classifies 'dialed' in the French context; checks class and number. */
static void
expect_ctx(const struct numplan_ctx *ctx, const char *dialed,
    enum numplan_class cls, const char *number)
{
	struct numplan_result r;
	int rc = numplan_classify(shipped, ctx, sv_cstr(dialed), &r);

	if (rc != 0 || r.cls != cls)
		fprintf(stderr, "dialed %s: rc %d class %s\n", dialed, rc,
		    rc == 0 ? numplan_class_name(r.cls) : "-");
	assert_int_equal(rc, 0);
	assert_int_equal(r.cls, cls);
	if (number != NULL)
		assert_string_equal(r.number, number);
	assert_int_equal(r.len, strlen(r.number));
}

static void
expect(const char *dialed, enum numplan_class cls, const char *number)
{
	struct numplan_ctx ctx;

	numplan_ctx_france(&ctx);
	expect_ctx(&ctx, dialed, cls, number);
}

static void
expect_err(const char *dialed, int err)
{
	struct numplan_ctx ctx;
	struct numplan_result r;

	numplan_ctx_france(&ctx);
	assert_int_equal(
	    numplan_classify(shipped, &ctx, sv_cstr(dialed), &r), err);
}

/* Every dial form of a French mobile gives the same E.164 number. */
static void
test_fr_forms(void **state)
{
	static const char *const forms[] = {"0612345678", "+33612345678",
	    "0033612345678", "+33 6 12 34 56 78", "06.12.34.56.78",
	    "06-12-34-56-78", "+33 (0)6"}; /* the last is wrong: see below */
	struct numplan_ctx ctx;
	struct numplan_result r;

	(void)state;
	for (size_t i = 0; i + 1 < RP_ARRAY_LEN(forms); i++) {
		expect(forms[i], NUMPLAN_MOBILE, "33612345678");
	}
	numplan_ctx_france(&ctx);
	assert_int_equal(
	    numplan_classify(shipped, &ctx, sv_cstr("0612345678"), &r), 0);
	assert_true(r.e164);
	assert_true(r.known);
	assert_int_equal(r.cc_len, 2);
	assert_string_equal(r.label, "Mobile");
	expect("0712345678", NUMPLAN_MOBILE, "33712345678");
	/* "+33 (0)6..." keeps the 0: not a valid French number length. */
	expect_err("+33 (0)6 12 34 56 78", -EINVAL);
}

static void
test_fr_classes(void **state)
{
	struct numplan_result r;
	struct numplan_ctx ctx;

	(void)state;
	expect("0142345678", NUMPLAN_NATIONAL, "33142345678");
	expect("0298765432", NUMPLAN_NATIONAL, "33298765432");
	expect("0912345678", NUMPLAN_NATIONAL, "33912345678");
	expect("0800123456", NUMPLAN_SPECIAL, "33800123456");
	expect("0805123456", NUMPLAN_SPECIAL, "33805123456");
	expect("0810123456", NUMPLAN_SPECIAL, NULL);
	expect("0892123456", NUMPLAN_PREMIUM, "33892123456");
	expect("0899123456", NUMPLAN_PREMIUM, NULL);
	expect("+33899123456", NUMPLAN_PREMIUM, NULL);
	numplan_ctx_france(&ctx);
	assert_int_equal(
	    numplan_classify(shipped, &ctx, sv_cstr("0800123456"), &r), 0);
	assert_string_equal(r.label, "Numéro gratuit");

	/* Local: same zone as the caller's own number. */
	ctx.own_e164 = "33145678901";
	expect_ctx(&ctx, "0142345678", NUMPLAN_LOCAL, "33142345678");
	expect_ctx(&ctx, "+33142345678", NUMPLAN_LOCAL, NULL);
	expect_ctx(&ctx, "0298765432", NUMPLAN_NATIONAL, NULL);
	expect_ctx(&ctx, "0612345678", NUMPLAN_MOBILE, NULL);
	ctx.own_e164 = "33612345678"; /* a mobile caller has no zone */
	expect_ctx(&ctx, "0142345678", NUMPLAN_NATIONAL, NULL);
}

/* R-FRAUD-1: emergency numbers, recognised before anything else. */
static void
test_emergency(void **state)
{
	static const char *const nrs[] = {"112", "15", "17", "18", "114", "115",
	    "119", "116000", "196", "191"};
	struct numplan_ctx ctx;
	struct numplan_result r;

	(void)state;
	for (size_t i = 0; i < RP_ARRAY_LEN(nrs); i++)
		expect(nrs[i], NUMPLAN_EMERGENCY, nrs[i]);
	/* Even when every short number would be an extension. */
	numplan_ctx_france(&ctx);
	ctx.ext_min_len = 2;
	ctx.ext_max_len = 6;
	expect_ctx(&ctx, "15", NUMPLAN_EMERGENCY, "15");
	expect_ctx(&ctx, "1234", NUMPLAN_INTERNAL, "1234");
	/* 112 needs no table. */
	assert_int_equal(numplan_classify(NULL, &ctx, SV("112"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_EMERGENCY);
	assert_false(r.e164);
	assert_int_equal(numplan_classify(NULL, &ctx, SV("1 1 2"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_EMERGENCY);
}

static void
test_short(void **state)
{
	(void)state;
	expect("118712", NUMPLAN_PREMIUM, "118712");
	expect("3949", NUMPLAN_SPECIAL, "3949");
	expect("3615", NUMPLAN_PREMIUM, "3615");
	expect("116117", NUMPLAN_SPECIAL, "116117");
	expect("1014", NUMPLAN_SPECIAL, "1014");
	/* Digits that fit no form. */
	expect_err("999", -ENOENT);
	expect_err("11871", -ENOENT);
	expect_err("39490", -ENOENT);
}

static void
test_world(void **state)
{
	struct numplan_ctx ctx;
	struct numplan_result r;

	(void)state;
	expect("0044 20 7946 0000", NUMPLAN_INTERNATIONAL, "442079460000");
	expect("+1 212 555 0100", NUMPLAN_INTERNATIONAL, "12125550100");
	expect("+49 30 1234567", NUMPLAN_INTERNATIONAL, NULL);
	expect("+81312345678", NUMPLAN_INTERNATIONAL, NULL);
	expect("+7 495 123 45 67", NUMPLAN_INTERNATIONAL, NULL);
	expect("+262262123456", NUMPLAN_INTERNATIONAL, NULL);
	expect("+80012345678", NUMPLAN_SPECIAL, NULL);
	/* High-risk list. */
	expect("+881612345678", NUMPLAN_HIGH_RISK, NULL);
	expect("00882123456789", NUMPLAN_HIGH_RISK, "882123456789");
	expect("+883123456789", NUMPLAN_HIGH_RISK, NULL);
	expect("+5372345678", NUMPLAN_HIGH_RISK, NULL);
	expect("+1 876 555 0100", NUMPLAN_HIGH_RISK, NULL);
	expect("+1 809 555 0100", NUMPLAN_HIGH_RISK, NULL);
	expect("+979 123 4567", NUMPLAN_HIGH_RISK, NULL);
	/* Unassigned: unknown, high-risk (fail closed). */
	numplan_ctx_france(&ctx);
	assert_int_equal(
	    numplan_classify(shipped, &ctx, SV("+999123456"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_HIGH_RISK);
	assert_false(r.known);
	assert_int_equal(r.cc_len, 3);
	assert_int_equal(numplan_classify(shipped, &ctx, SV("+4420"), &r), 0);
	assert_true(r.known);
	assert_string_equal(r.label, "United Kingdom");
}

static void
test_errors(void **state)
{
	struct numplan_ctx ctx;
	struct numplan_result r;
	char longer[64];

	(void)state;
	expect_err("", -EINVAL);
	expect_err("+", -EINVAL);
	expect_err("   ", -EINVAL);
	expect_err("06123", -EINVAL);        /* too short */
	expect_err("061234567890", -EINVAL); /* too long */
	expect_err("0612a45678", -EINVAL);
	expect_err("*123", -EINVAL);
	expect_err("1+2", -EINVAL);
	expect_err("++33612345678", -EINVAL);
	expect_err("+0612345678", -EINVAL);
	expect_err("000612345678", -EINVAL);      /* "00" then 0 */
	expect_err("+1234567890123456", -EINVAL); /* 16 digits */
	expect_err("001234567890123456", -EINVAL);
	memset(longer, '1', sizeof(longer));
	longer[NUMPLAN_DIAL_MAX + 1] = '\0';
	expect_err(longer, -EINVAL);
	/* A view without a terminator: only 'len' bytes are read. */
	numplan_ctx_france(&ctx);
	assert_int_equal(
	    numplan_classify(shipped, &ctx, sv_make("0612345678999", 10), &r),
	    0);
	assert_string_equal(r.number, "33612345678");
}

static bool
ext_2xx(void *arg, struct sv d)
{
	(void)arg;
	return d.len == 3 && d.p[0] == '2';
}

static void
test_internal(void **state)
{
	struct numplan_ctx ctx;

	(void)state;
	numplan_ctx_france(&ctx);
	ctx.is_internal = ext_2xx;
	expect_ctx(&ctx, "201", NUMPLAN_INTERNAL, "201");
	expect_ctx(&ctx, "17", NUMPLAN_EMERGENCY, "17");
	expect_ctx(&ctx, "3949", NUMPLAN_SPECIAL, "3949");
	expect_ctx(&ctx, "0612345678", NUMPLAN_MOBILE, NULL);
	/* Length rule: numbers beginning with a prefix are not extensions. */
	ctx.is_internal = NULL;
	ctx.ext_min_len = 3;
	ctx.ext_max_len = 4;
	expect_ctx(&ctx, "4001", NUMPLAN_INTERNAL, "4001");
	expect_ctx(&ctx, "112", NUMPLAN_EMERGENCY, "112");
	expect_ctx(&ctx, "0612345678", NUMPLAN_MOBILE, NULL);
}

static void
test_country_code(void **state)
{
	(void)state;
	assert_int_equal(numplan_country_code_len(SV("33612345678")), 2);
	assert_int_equal(numplan_country_code_len(SV("12125550100")), 1);
	assert_int_equal(numplan_country_code_len(SV("74951234567")), 1);
	assert_int_equal(numplan_country_code_len(SV("881612345678")), 3);
	assert_int_equal(numplan_country_code_len(SV("442079460000")), 2);
	assert_int_equal(numplan_country_code_len(SV("262262123456")), 3);
	assert_int_equal(numplan_country_code_len(SV("20123")), 2);
	assert_int_equal(numplan_country_code_len(SV("98123")), 2);
	assert_int_equal(numplan_country_code_len(SV("99123")), 3);
	assert_int_equal(numplan_country_code_len(SV("0123")), 0);
	assert_int_equal(numplan_country_code_len(SV("2")), 0);
	assert_int_equal(numplan_country_code_len(SV("21")), 0);
	assert_int_equal(numplan_country_code_len(SV("")), 0);
	assert_int_equal(numplan_country_code_len(SV("3a")), 0);
}

/* Parses 'text' into a new plan; expects 'rc' and, on error, 'line'. */
static void
parse_expect(const char *text, int rc, unsigned line)
{
	struct numplan *np = NULL;
	struct numplan_error err = {99, NULL};

	assert_int_equal(numplan_new(&np), 0);
	assert_int_equal(numplan_parse(np, sv_cstr(text), &err), rc);
	assert_int_equal(err.line, line);
	if (rc == 0)
		assert_null(err.reason);
	else
		assert_non_null(err.reason);
	numplan_free(np);
}

static void
test_parse(void **state)
{
	char big[NUMPLAN_LINE_MAX + 32];
	struct numplan *np = NULL;
	struct numplan_error err;
	struct numplan_ctx ctx;
	struct numplan_result r;

	(void)state;
	parse_expect("", 0, 0);
	parse_expect("# only a comment\n\n   \n", 0, 0);
	parse_expect("+33 national France # comment\r\n+336 mobile\r\n", 0, 0);
	parse_expect("+33 national\n+33a national\n", -EBADMSG, 2);
	parse_expect("abc national\n", -EBADMSG, 1);
	parse_expect("+33\n", -EBADMSG, 1);
	parse_expect("\n\n+33 nowhere\n", -EBADMSG, 3);
	parse_expect("+1234567890123456 national\n", -EBADMSG, 1);
	parse_expect("12345678901 special\n", -EBADMSG, 1);
	parse_expect("12x3 special\n", -EBADMSG, 1);
	parse_expect("x special\n", -EBADMSG, 1);
	parse_expect("15 geographic\n", -EBADMSG, 1);
	parse_expect("+33 national "
	             "0123456789012345678901234567890123456789012345678\n",
	    -EBADMSG, 1);
	parse_expect("+33 national bad\x01label\n", -EBADMSG, 1);
	parse_expect("+33 national bad\xff label\n", -EBADMSG, 1);
	parse_expect("+33 national good label é\n", 0, 0);
	parse_expect("+33 high_risk\n+34 high-risk\n", 0, 0);
	memset(big, 'a', sizeof(big));
	memcpy(big, "+33 national ", 13);
	big[NUMPLAN_LINE_MAX + 1] = '\0';
	parse_expect(big, -E2BIG, 1);

	/* A later line replaces an earlier one; "+" covers everything. */
	assert_int_equal(numplan_new(&np), 0);
	assert_int_equal(numplan_parse(np,
	                     SV("+ international Anywhere\n"
	                        "+33 national\n+336 premium\n+336 mobile M\n"
	                        "118xxx premium\n118712 special\n"
	                        "15 special\n15 emergency\n"),
	                     &err),
	    0);
	assert_int_equal(numplan_count(np), 8);
	numplan_ctx_france(&ctx);
	assert_int_equal(numplan_classify(np, &ctx, SV("0612345678"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_MOBILE);
	assert_string_equal(r.label, "M");
	assert_int_equal(numplan_classify(np, &ctx, SV("+4412"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_INTERNATIONAL);
	assert_int_equal(numplan_classify(np, &ctx, SV("118712"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_SPECIAL);
	assert_int_equal(numplan_classify(np, &ctx, SV("118218"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_PREMIUM);
	assert_int_equal(numplan_classify(np, &ctx, SV("15"), &r), 0);
	assert_int_equal(r.cls, NUMPLAN_EMERGENCY);
	numplan_free(np);
}

static void
test_limits(void **state)
{
	size_t size = (NUMPLAN_ENTRIES_MAX + 1) * 24 + 1, n = 0;
	char *text = malloc(size);
	struct numplan *np = NULL;
	struct numplan_error err;

	(void)state;
	assert_non_null(text);
	/* Short numbers: NUMPLAN_SHORT_MAX distinct ones, then one more. */
	for (unsigned i = 0; i <= NUMPLAN_SHORT_MAX; i++)
		n += (size_t)snprintf(
		    text + n, size - n, "%u special\n", 10000 + i);
	assert_int_equal(numplan_new(&np), 0);
	assert_int_equal(numplan_parse(np, sv_make(text, n), &err), -E2BIG);
	assert_int_equal(err.line, NUMPLAN_SHORT_MAX + 1);
	assert_string_equal(err.reason, "too many entries");
	numplan_free(np);
	/* E.164 entries. */
	n = 0;
	for (unsigned i = 0; i <= NUMPLAN_ENTRIES_MAX; i++)
		n += (size_t)snprintf(
		    text + n, size - n, "+%u national\n", 100000 + i);
	assert_int_equal(numplan_new(&np), 0);
	assert_int_equal(numplan_parse(np, sv_make(text, n), &err), -E2BIG);
	assert_int_equal(err.line, NUMPLAN_ENTRIES_MAX + 1);
	numplan_free(np);
	free(text);
}

static void
test_trie(void **state)
{
	struct numplan_trie *t = NULL;
	uint32_t v = 0;
	size_t len = 0;

	(void)state;
	assert_int_equal(numplan_trie_new(&t), 0);
	assert_false(numplan_trie_match(t, SV("123"), &v, &len));
	assert_int_equal(numplan_trie_insert(t, SV("12"), 7), 0);
	assert_int_equal(numplan_trie_insert(t, SV("1234"), 9), 0);
	assert_int_equal(numplan_trie_insert(t, SV("12a"), 1), -EINVAL);
	assert_int_equal(
	    numplan_trie_insert(t, SV("1234567890123456"), 1), -EINVAL);
	assert_int_equal(numplan_trie_insert(t, SV("1"), UINT32_MAX), -EINVAL);
	assert_true(numplan_trie_match(t, SV("1239"), &v, &len));
	assert_int_equal(v, 7);
	assert_int_equal(len, 2);
	assert_true(numplan_trie_match(t, SV("123456"), &v, &len));
	assert_int_equal(v, 9);
	assert_int_equal(len, 4);
	assert_false(numplan_trie_match(t, SV("1"), &v, NULL));
	assert_true(numplan_trie_match(t, SV("12x4"), &v, NULL));
	assert_int_equal(v, 7);
	assert_int_equal(numplan_trie_insert(t, SV(""), 3), 0);
	assert_true(numplan_trie_match(t, SV("9"), &v, &len));
	assert_int_equal(v, 3);
	assert_int_equal(len, 0);
	assert_int_equal(numplan_trie_count(t), 3);
	numplan_trie_free(t);
	numplan_trie_free(NULL);
}

static void
test_lines(void **state)
{
	struct numplan_lines it = {.rest = SV("  a b  # c\n\n#x\n d\t e ")};
	struct sv line, f;

	(void)state;
	assert_int_equal(numplan_next_line(&it, &line), 1);
	assert_int_equal(it.line, 1);
	f = numplan_next_field(&line);
	assert_true(sv_eq(f, SV("a")));
	assert_true(sv_eq(line, SV("b")));
	assert_int_equal(numplan_next_line(&it, &line), 1);
	assert_int_equal(it.line, 4);
	assert_true(sv_eq(numplan_next_field(&line), SV("d")));
	assert_true(sv_eq(numplan_next_field(&line), SV("e")));
	assert_int_equal(numplan_next_field(&line).len, 0);
	assert_int_equal(numplan_next_line(&it, &line), 0);
}

static void
test_class_names(void **state)
{
	enum numplan_class c;

	(void)state;
	for (unsigned i = 0; i < NUMPLAN_CLASS_COUNT; i++) {
		assert_int_equal(
		    numplan_class_parse(
		        sv_cstr(numplan_class_name((enum numplan_class)i)), &c),
		    0);
		assert_int_equal(c, i);
	}
	assert_string_equal(numplan_class_name(NUMPLAN_CLASS_COUNT), "?");
	assert_int_equal(numplan_class_parse(SV("geographic"), &c), -EINVAL);
	assert_int_equal(numplan_class_parse(SV("Mobile"), &c), -EINVAL);
}

static void
test_files(void **state)
{
	struct numplan *np = NULL;
	struct numplan_error err;

	(void)state;
	assert_true(numplan_count(shipped) > 250);
	assert_int_equal(numplan_new(&np), 0);
	assert_int_equal(
	    numplan_load_file(np, "/nonexistent/x", &err), -ENOENT);
	assert_int_equal(err.line, 0);
	assert_int_equal(numplan_load_file(np, "/tmp", &err), -EINVAL);
	numplan_free(np);
}

static void
test_oom(void **state)
{
	struct numplan *np;
	struct numplan_error err;
	int rc;

	(void)state;
	for (unsigned long n = 1;; n++) {
		np = NULL;
		mem_fail_nth(n);
		rc = numplan_new(&np);
		if (rc == 0)
			rc = numplan_parse(np,
			    SV("+33 national\n+336 mobile\n15 emergency\n"),
			    &err);
		mem_fail_nth(0);
		numplan_free(np);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		assert_true(n < 20);
	}
}

/* A lookup stays well under a microsecond (tens of ns in release). */
static void
test_speed(void **state)
{
	static const char *const nrs[] = {"0612345678", "+442079460000",
	    "0033899123456", "+881612345678", "0142345678", "+12125550100"};
	struct numplan_ctx ctx;
	struct numplan_result r;
	struct timespec a, b;
	unsigned n = 200000, bad = 0;
	double ns;

	(void)state;
	numplan_ctx_france(&ctx);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < n; i++) {
		const char *s = nrs[i % RP_ARRAY_LEN(nrs)];

		if (numplan_classify(shipped, &ctx, sv_cstr(s), &r) != 0)
			bad++;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	         (double)(b.tv_nsec - a.tv_nsec)) /
	     n;
	printf("numplan_classify: %.0f ns per call\n", ns);
	assert_int_equal(bad, 0);
	/* Sanitizer builds are several times slower; still bounded. */
	assert_true(ns < 20000.0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fr_forms),
	    cmocka_unit_test(test_fr_classes),
	    cmocka_unit_test(test_emergency),
	    cmocka_unit_test(test_short),
	    cmocka_unit_test(test_world),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_internal),
	    cmocka_unit_test(test_country_code),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_trie),
	    cmocka_unit_test(test_lines),
	    cmocka_unit_test(test_class_names),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_speed),
	};

	return cmocka_run_group_tests(tests, setup_shipped, teardown_shipped);
}
