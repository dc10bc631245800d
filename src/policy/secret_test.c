/* Unit tests for the SIP secret policy. R-AUTH-1 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mem.h"
#include "policy/secret.h"

#define GOOD "Kq7vRz3mWp9xTb2n"

/* Expects the policy to refuse 's' with 'reason' (NULL: accept). */
static void
expect(const char *s, const char *ext, const struct secret_list *l,
    const char *reason)
{
	const char *why = "unset";
	int rc = secret_policy_check(
	    sv_cstr(s), ext ? sv_cstr(ext) : SV_NULL, l, &why);

	if (reason == NULL) {
		assert_int_equal(rc, 0);
		assert_null(why);
	} else {
		assert_int_equal(rc, -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, reason);
	}
}

/* Writes 'content' to a new temporary file; returns its path in 'path'. */
static void
temp_file(char *path, size_t size, const char *content, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, size, "%s/rp_secret_XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

static struct secret_list *
load_shipped(void)
{
	const char *root = getenv("RP_SOURCE_ROOT");
	char path[4096];
	struct secret_list *l = NULL;

	snprintf(path, sizeof(path), "%s/data/common-secrets.txt",
	    root ? root : ".");
	assert_int_equal(secret_list_load(path, &l), 0);
	assert_non_null(l);
	return l;
}

/* Rules 1-3: length and characters. R-AUTH-1 */
static void
test_length_and_charset(void **state)
{
	char s[SECRET_MAX_LEN + 2];

	(void)state;
	expect(GOOD, NULL, NULL, NULL);
	expect("", NULL, NULL, "shorter than 16 characters");
	expect("Kq7vRz3mWp9xTb2", NULL, NULL, "shorter than 16 characters");
	assert_int_equal(secret_generate(s, sizeof(s), SECRET_MAX_LEN), 0);
	expect(s, NULL, NULL, NULL);
	s[SECRET_MAX_LEN] = 'q';
	s[SECRET_MAX_LEN + 1] = '\0';
	expect(s, NULL, NULL, "longer than 128 characters");
	expect("Kq7vRz3m Wp9xTb2n", NULL, NULL,
	    "contains a space, control or non-ASCII character");
	expect("Kq7vRz3m\tWp9xTb2n", NULL, NULL,
	    "contains a space, control or non-ASCII character");
	expect("Kq7vRz3m\xc3\xa9Wp9xTb2n", NULL, NULL,
	    "contains a space, control or non-ASCII character");
	expect("Kq7vRz3m\x7fWp9xTb2n", NULL, NULL,
	    "contains a space, control or non-ASCII character");
	/* A NUL inside the view is a control byte too. */
	assert_int_equal(secret_policy_check(sv_make("Kq7vRz3m\0Wp9xTb2n", 17),
	                     SV_NULL, NULL, NULL),
	    -EINVAL);
	/* Symbols are fine. */
	expect("Kq7v-Rz3m_Wp9x!Tb2n", NULL, NULL, NULL);
	expect("kq7v-rz3m_wp9x!tb2n", NULL, NULL, NULL); /* 3 classes */
}

/* Rule 4: the extension number, forwards and backwards. R-AUTH-1 */
static void
test_extension(void **state)
{
	(void)state;
	expect(
	    "Kq7vRz2817mWp9xT", "2817", NULL, "contains the extension number");
	expect(
	    "Kq7vRz7182mWp9xT", "2817", NULL, "contains the extension number");
	expect("Kq7vRz2817mWp9xT", "5817", NULL, NULL);
	expect(
	    "Kq7vALICEmWp9x3T", "alice", NULL, "contains the extension number");
	/* Too short to check: any secret could hold it. */
	expect(GOOD, "7v", NULL, NULL);
	expect(GOOD, "", NULL, NULL);
	/* Longer than the secret: cannot be in it. */
	expect(GOOD, "12345678901234567890", NULL, NULL);
}

/* Rule 5: the common list, exact and disguised. R-AUTH-1 */
static void
test_common(void **state)
{
	struct secret_list *l = load_shipped();

	(void)state;
	expect("passwordpassword", NULL, l, "is a common password");
	expect("PASSWORDpassword", NULL, l, "is a common password");
	expect("1234567890123456", NULL, l, "is a common password");
	expect("1qaz2wsx3edc4rfv", NULL, l, "is a common password");
	expect("P@ssw0rd20242024", NULL, l, "is based on a common password");
	expect("!!Asterisk2024!!", NULL, l, "is based on a common password");
	expect("2024#Motdepasse!", NULL, l, "is based on a common password");
	expect("4dm1n1strator!!!", NULL, l, "is based on a common password");
	expect("Welcome123456789", NULL, l, "is based on a common password");
	expect("Grandstream8642!", NULL, l, "is based on a common password");
	/* Without a list only the other rules apply. */
	expect("P@ssw0rd20242024", NULL, NULL, NULL);
	expect(GOOD, NULL, l, NULL);
	/* A common word inside a longer secret is not enough. */
	expect("Kq7vadminRz3mWp9", NULL, l, NULL);
	secret_list_free(l);
}

/* Rules 6-8: classes, repeats and sequences, variety. R-AUTH-1 */
static void
test_classes_and_patterns(void **state)
{
	static const char repeats[] = "repeats or sequences characters";

	(void)state;
	expect("kq7vrz3mwp9xtb2n", NULL, NULL,
	    "uses fewer than 3 character classes");
	expect("KqxvRzemWpgxTbyn", NULL, NULL,
	    "uses fewer than 3 character classes");
	expect("kq7v-rz3m-wp9x-t", NULL, NULL, NULL);
	expect("Kq7vRzzzz3mWp9xT", NULL, NULL, repeats);
	expect("Kq7vRzzz3mWp9xTb", NULL, NULL, NULL);
	expect("Kq7vRz3mWp9xabcd", NULL, NULL, repeats);
	expect("Kq7vRz3mWp9xAbCd", NULL, NULL, repeats);
	expect("Kq7vRz3mWp9x9876", NULL, NULL, repeats);
	expect("Kq7v3456RzmWp9xT", NULL, NULL, repeats);
	expect("Kq7vRz3mWqwer9xT", NULL, NULL, repeats);
	expect("Kq7vRz3mWlkjh9xT", NULL, NULL, repeats);
	expect("Kq7vRz3mWazer9xT", NULL, NULL, repeats);
	expect("Kq7vRz3mWYXCV9xT", NULL, NULL, repeats);
	expect("Kq7vRz3mW7890pxT", NULL, NULL, repeats);
	expect("Ab1!Ab1!Ab1!Ab1!", NULL, NULL, repeats);
	expect("Ab1!zAb1!zAb1!zA", NULL, NULL, repeats);
	expect("Aa1Aa1Bb2Bb2Aa1B", NULL, NULL,
	    "has fewer than 8 different characters");
}

/* Generated secrets: lengths, errors, and they pass the policy with the
 * shipped list. R-AUTH-1 */
static void
test_generate(void **state)
{
	struct secret_list *l = load_shipped();
	char s[SECRET_MAX_LEN + 1];
	char prev[SECRET_MAX_LEN + 1] = "";

	(void)state;
	assert_int_equal(secret_generate(s, sizeof(s), 0), 0);
	assert_int_equal(strlen(s), SECRET_GEN_DEFAULT_LEN);
	assert_int_equal(secret_generate(s, sizeof(s), SECRET_MIN_LEN), 0);
	assert_int_equal(strlen(s), SECRET_MIN_LEN);
	assert_int_equal(secret_generate(s, SECRET_MIN_LEN + 1, 16), 0);
	assert_int_equal(
	    secret_generate(s, sizeof(s), SECRET_MIN_LEN - 1), -EINVAL);
	assert_int_equal(
	    secret_generate(s, sizeof(s) + 1, SECRET_MAX_LEN + 1), -EINVAL);
	assert_int_equal(secret_generate(s, 24, 24), -EINVAL);
	assert_int_equal(secret_generate(NULL, 64, 24), -EINVAL);
	for (unsigned i = 0; i < 1000; i++) {
		const char *why = "unset";

		assert_int_equal(secret_generate(s, sizeof(s), 0), 0);
		assert_int_equal(
		    secret_policy_check(sv_cstr(s), SV_NULL, l, &why), 0);
		assert_null(why);
		assert_string_not_equal(s, prev);
		memcpy(prev, s, sizeof(s));
	}
	secret_list_free(l);
}

/* Every alphabet character shows up, nothing else does, and none is
 * far from its share. R-AUTH-1 */
static void
test_distribution(void **state)
{
	static const char alphabet[] = SECRET_ALPHABET;
	const size_t n = sizeof(alphabet) - 1;
	size_t counts[256] = {0};
	size_t total = 0;
	char s[SECRET_GEN_DEFAULT_LEN + 1];

	(void)state;
	assert_int_equal(n, 56);
	while (total < 10080) {
		assert_int_equal(secret_generate(s, sizeof(s), 0), 0);
		for (size_t i = 0; s[i] != '\0'; i++)
			counts[(unsigned char)s[i]]++;
		total += SECRET_GEN_DEFAULT_LEN;
	}
	for (size_t c = 0; c < 256; c++) {
		bool in = c != 0 && memchr(alphabet, (int)c, n) != NULL;

		if (!in) {
			assert_int_equal(counts[c], 0);
			continue;
		}
		/* Expected 180 each; the bounds are many sigmas away. */
		assert_true(counts[c] >= total / n / 3);
		assert_true(counts[c] <= total / n * 3);
	}
	/* No look-alike characters. */
	assert_null(memchr(alphabet, '0', n));
	assert_null(memchr(alphabet, 'O', n));
	assert_null(memchr(alphabet, 'o', n));
	assert_null(memchr(alphabet, '1', n));
	assert_null(memchr(alphabet, 'l', n));
	assert_null(memchr(alphabet, 'I', n));
}

/* List parsing: trimming, comments, case, duplicates, long lines. */
static void
test_list_parse(void **state)
{
	char content[1024];
	char path[4096];
	struct secret_list *l = NULL;
	int n;

	(void)state;
	n = snprintf(content, sizeof(content),
	    "# a comment\n"
	    "\n"
	    "   \t\r\n"
	    "  Foo  \r\n"
	    "BAR\n"
	    "foo\n"
	    "\t# indented comment\n"
	    "pass#word\n"
	    "%0300d\n"
	    "last",
	    7);
	assert_true(n > 0 && (size_t)n < sizeof(content));
	temp_file(path, sizeof(path), content, (size_t)n);
	assert_int_equal(secret_list_load(path, &l), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(secret_list_count(l), 4);
	assert_true(secret_list_contains(l, SV("foo")));
	assert_true(secret_list_contains(l, SV("FOO")));
	assert_true(secret_list_contains(l, SV("bar")));
	assert_true(secret_list_contains(l, SV("Pass#Word")));
	assert_true(secret_list_contains(l, SV("last")));
	assert_false(secret_list_contains(l, SV("fo")));
	assert_false(secret_list_contains(l, SV("foo ")));
	assert_false(secret_list_contains(l, SV("lastx")));
	assert_false(secret_list_contains(l, SV("# a comment")));
	assert_false(secret_list_contains(l, SV("")));
	assert_false(secret_list_contains(NULL, SV("foo")));
	assert_int_equal(secret_list_count(NULL), 0);
	secret_list_free(l);
	secret_list_free(NULL);

	/* An empty file gives an empty list. */
	temp_file(path, sizeof(path), "", 0);
	assert_int_equal(secret_list_load(path, &l), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(secret_list_count(l), 0);
	assert_false(secret_list_contains(l, SV("foo")));
	secret_list_free(l);
}

/* Load errors: missing file, directory, oversized file, no memory. */
static void
test_list_errors(void **state)
{
	char path[4096];
	struct secret_list *l = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(
	    secret_list_load("/nonexistent/rempart/common.txt", &l), -ENOENT);
	assert_int_equal(secret_list_load("/", &l), -EINVAL);
	assert_null(l);

	temp_file(path, sizeof(path), "x", 1);
	f = fopen(path, "r+");
	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), SECRET_LIST_FILE_MAX + 1), 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(secret_list_load(path, &l), -EFBIG);
	assert_int_equal(unlink(path), 0);

	temp_file(path, sizeof(path), "alpha\nbeta\n", 11);
	for (unsigned long i = 1; i <= 3; i++) {
		mem_fail_nth(i);
		assert_int_equal(secret_list_load(path, &l), -ENOMEM);
		mem_fail_nth(0);
	}
	assert_null(l);
	mem_fail_nth(4);
	assert_int_equal(secret_list_load(path, &l), 0);
	mem_fail_nth(0);
	assert_int_equal(secret_list_count(l), 2);
	secret_list_free(l);
	assert_int_equal(unlink(path), 0);
}

/* The shipped list: size and the typical telephony entries. R-AUTH-1 */
static void
test_shipped_list(void **state)
{
	static const char *const must[] = {"1234", "0000", "password",
	    "123456789", "qwerty", "admin", "sip", "voip", "asterisk", "100",
	    "101", "102", "103", "104", "105", "azerty", "changeme", "PASSWORD",
	    "Asterisk"};
	struct secret_list *l = load_shipped();

	(void)state;
	assert_true(secret_list_count(l) >= 300);
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
		assert_true(secret_list_contains(l, sv_cstr(must[i])));
	assert_false(secret_list_contains(l, SV(GOOD)));
	secret_list_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_length_and_charset),
	    cmocka_unit_test(test_extension),
	    cmocka_unit_test(test_common),
	    cmocka_unit_test(test_classes_and_patterns),
	    cmocka_unit_test(test_generate),
	    cmocka_unit_test(test_distribution),
	    cmocka_unit_test(test_list_parse),
	    cmocka_unit_test(test_list_errors),
	    cmocka_unit_test(test_shipped_list),
	};

	return cmocka_run_group_tests_name("policy_secret", tests, NULL, NULL);
}
