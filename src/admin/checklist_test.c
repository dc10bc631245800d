/* Unit tests for the security checklist and its attestations
 * (R-AUDIT-1). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "admin/checklist.h"

#define DAY 86400LL
#define NOW 1790000000LL

/* The catalogue: GUIDE's 30 items in order, then the extra ones. */
static void
test_catalogue(void **state)
{
	const struct checklist_item *items;
	size_t n = checklist_items(&items);
	unsigned attested = 0;

	(void)state;
	assert_int_equal(n, CHECKLIST_ITEMS);
	for (size_t i = 0; i < CHECKLIST_GUIDE_ITEMS; i++) {
		char id[8];

		snprintf(id, sizeof(id), "G%zu", i + 1);
		assert_string_equal(items[i].id, id);
		assert_true(items[i].in_score);
		attested += items[i].method == CHECKLIST_ATTESTED;
	}
	assert_int_equal(attested, 11);
	for (size_t i = CHECKLIST_GUIDE_ITEMS; i < n; i++)
		assert_false(items[i].in_score);
	assert_null(checklist_find(SV("G31")));
	assert_null(checklist_find(SV("g1")));
	assert_true(checklist_attestable(checklist_find(SV("G23"))));
	assert_true(checklist_attestable(checklist_find(SV("O1"))));
	assert_false(checklist_attestable(checklist_find(SV("G11"))));
}

/* An attestation counts for 365 days from its date, never before it. */
static void
test_validity(void **state)
{
	(void)state;
	assert_true(checklist_attest_valid(NOW - 365 * DAY, NOW));
	assert_false(checklist_attest_valid(NOW - 365 * DAY - 1, NOW));
	assert_false(checklist_attest_valid(NOW + 1, NOW));
}

static void
test_parse_date(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(checklist_parse_date("2023-11-15", &t), 0);
	assert_int_equal(t, 1700006400);
	assert_int_equal(checklist_parse_date("2026-02-30", &t), -EINVAL);
	assert_int_equal(checklist_parse_date("2026-2-3", &t), -EINVAL);
	assert_int_equal(checklist_parse_date("2026-02-03x", &t), -EINVAL);
	assert_int_equal(checklist_parse_date("1969-12-31", &t), -EINVAL);
	assert_int_equal(checklist_parse_date("", &t), -EINVAL);
}

static void
test_attestation_codec(void **state)
{
	struct checklist_attestation a = {.date = 1700006400, .points = 2}, b;
	char *text = NULL;

	(void)state;
	snprintf(a.by, sizeof(a.by), "ops");
	snprintf(a.note, sizeof(a.note), "VLAN 20 \xc3\xa9t\xc3\xa9");
	assert_int_equal(checklist_attest_encode(&a, &text), 0);
	assert_int_equal(checklist_attest_decode(sv_cstr(text), &b), 0);
	assert_int_equal(b.date, a.date);
	assert_string_equal(b.by, "ops");
	assert_string_equal(b.note, a.note);
	assert_int_equal(b.points, 2);
	free(text);
	a.points = 3;
	assert_int_equal(checklist_attest_encode(&a, &text), -EINVAL);
	a.points = 2;
	snprintf(a.note, sizeof(a.note), "line\nbreak");
	assert_int_equal(checklist_attest_encode(&a, &text), -EINVAL);
	a.note[0] = '\0';
	assert_int_equal(checklist_attest_encode(&a, &text), -EINVAL);
	assert_int_equal(checklist_attest_decode(SV("{}"), &b), -EBADMSG);
	assert_int_equal(checklist_attest_decode(SV("not json"), &b), -EBADMSG);
	assert_int_equal(
	    checklist_attest_decode(SV("{\"date\":\"2026-02-30\",\"by\":\"a\","
	                               "\"note\":\"n\",\"points\":2}"),
	        &b),
	    -EBADMSG);
	assert_int_equal(
	    checklist_attest_decode(SV("{\"date\":\"2026-02-03\",\"by\":\"a\","
	                               "\"note\":\"n\",\"points\":0}"),
	        &b),
	    -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_catalogue),
	    cmocka_unit_test(test_validity),
	    cmocka_unit_test(test_parse_date),
	    cmocka_unit_test(test_attestation_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
