/* Unit tests for API keys (R-ADMIN-2). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "admin/apikeys.h"
#include "store/db.h"

#define NOW 1700000000
#define DAY 86400

struct fixture {
	char dir[64];
	struct db *db;
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-apikeys-XXXXXX",
	    sizeof("/tmp/rempart-apikeys-XXXXXX"));
	if (mkdtemp(f->dir) == NULL || db_open(&f->db, f->dir) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->db);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void
create(struct fixture *f, enum rbac_role role, const char *ext,
    char key[APIKEYS_KEY_STRLEN], struct apikey_info *info)
{
	assert_int_equal(apikeys_create(f->db, role, sv_cstr(ext), NOW,
	                     NOW + 90 * DAY, key, info),
	    0);
}

/* The key's form: prefix, id, '_', secret, fixed length. */
static void
test_create_verify(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN];
	struct apikey_info info, got;

	create(f, RBAC_ROLE_AUDITOR, NULL, key, &info);
	assert_int_equal(strlen(key), APIKEYS_KEY_LEN);
	assert_memory_equal(key, "rpk_", 4);
	assert_memory_equal(key + 4, info.id, APIKEYS_ID_LEN);
	assert_int_equal(key[4 + APIKEYS_ID_LEN], '_');
	assert_int_equal(apikeys_verify(f->db, sv_cstr(key), NOW + 1, &got), 0);
	assert_string_equal(got.id, info.id);
	assert_int_equal(got.role, RBAC_ROLE_AUDITOR);
	assert_string_equal(got.ext, "");
	assert_int_equal(got.expires_at, NOW + 90 * DAY);
	assert_false(got.revoked);
}

/* Only the hash is stored: the secret's text is nowhere in the row. */
static void
test_stored_hashed(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN];
	struct apikey_info info;
	struct db_stmt *st;
	struct sv h;

	create(f, RBAC_ROLE_ADMIN, NULL, key, &info);
	assert_int_equal(
	    db_prepare(f->db, "SELECT hash, id, role, ext FROM api_keys", &st),
	    0);
	assert_int_equal(db_step(st), DB_ROW);
	h = db_col_blob(st, 0);
	assert_int_equal(h.len, APIKEYS_HASH_BYTES);
	assert_null(memmem(h.p, h.len, key + 5 + APIKEYS_ID_LEN, 8));
	db_finish(st);
}

/* Every failure is the same -EACCES. */
static void
test_verify_refusals(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN], bad[APIKEYS_KEY_STRLEN];
	struct apikey_info info, got;

	create(f, RBAC_ROLE_ADMIN, NULL, key, &info);
	/* Absent, empty, truncated, too long, wrong prefix. */
	assert_int_equal(apikeys_verify(f->db, SV_NULL, NOW, &got), -EACCES);
	assert_int_equal(apikeys_verify(f->db, SV(""), NOW, &got), -EACCES);
	assert_int_equal(
	    apikeys_verify(f->db, sv_make(key, APIKEYS_KEY_LEN - 1), NOW, &got),
	    -EACCES);
	memcpy(bad, key, sizeof(bad));
	bad[0] = 'x';
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(bad), NOW, &got), -EACCES);
	/* One secret character changed. */
	memcpy(bad, key, sizeof(bad));
	bad[APIKEYS_KEY_LEN - 5] = bad[APIKEYS_KEY_LEN - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(bad), NOW, &got), -EACCES);
	/* The separator, and a character outside base64url. */
	memcpy(bad, key, sizeof(bad));
	bad[4 + APIKEYS_ID_LEN] = '-';
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(bad), NOW, &got), -EACCES);
	memcpy(bad, key, sizeof(bad));
	bad[10] = '+';
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(bad), NOW, &got), -EACCES);
	/* An unknown id with a well-formed secret. */
	memcpy(bad, key, sizeof(bad));
	bad[5] = bad[5] == 'A' ? 'B' : 'A';
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(bad), NOW, &got), -EACCES);
	/* Expired: at the expiry second and after. */
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(key), NOW + 90 * DAY, &got), -EACCES);
	assert_int_equal(apikeys_verify(f->db, sv_cstr(key), NOW, &got), 0);
}

static void
test_revoke(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN], key2[APIKEYS_KEY_STRLEN];
	struct apikey_info info, got;

	create(f, RBAC_ROLE_HELPDESK, NULL, key, &info);
	assert_int_equal(apikeys_revoke(f->db, sv_cstr(info.id)), 0);
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(key), NOW, &got), -EACCES);
	assert_int_equal(apikeys_revoke(f->db, sv_cstr(info.id)), -ENOENT);
	assert_int_equal(apikeys_revoke(f->db, SV("nope")), -ENOENT);
	/* A revoked key cannot be brought back by rotation. */
	assert_int_equal(
	    apikeys_rotate(f->db, sv_cstr(info.id), key2), -ENOENT);
	assert_int_equal(apikeys_get(f->db, sv_cstr(info.id), &got), 0);
	assert_true(got.revoked);
}

/* Rotation: new secret, same id, role and expiry; the old one dies. */
static void
test_rotate(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN], key2[APIKEYS_KEY_STRLEN];
	struct apikey_info info, got;

	create(f, RBAC_ROLE_USER, "101", key, &info);
	assert_int_equal(apikeys_rotate(f->db, sv_cstr(info.id), key2), 0);
	assert_string_not_equal(key, key2);
	assert_memory_equal(key, key2, 4 + APIKEYS_ID_LEN + 1);
	assert_int_equal(
	    apikeys_verify(f->db, sv_cstr(key), NOW, &got), -EACCES);
	assert_int_equal(apikeys_verify(f->db, sv_cstr(key2), NOW, &got), 0);
	assert_string_equal(got.id, info.id);
	assert_int_equal(got.role, RBAC_ROLE_USER);
	assert_string_equal(got.ext, "101");
	assert_int_equal(got.expires_at, info.expires_at);
	assert_int_equal(apikeys_rotate(f->db, SV("x"), key2), -ENOENT);
	assert_int_equal(
	    apikeys_rotate(f->db, SV("AAAAAAAAAAAAAAAAAAAAAA"), key2), -ENOENT);
}

static void
test_touch(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN];
	struct apikey_info info, got;

	create(f, RBAC_ROLE_ADMIN, NULL, key, &info);
	assert_int_equal(info.last_used_at, 0);
	assert_int_equal(apikeys_touch(f->db, sv_cstr(info.id), NOW + 5), 0);
	assert_int_equal(apikeys_get(f->db, sv_cstr(info.id), &got), 0);
	assert_int_equal(got.last_used_at, NOW + 5);
	assert_int_equal(apikeys_touch(f->db, SV("none"), NOW), -ENOENT);
}

static void
test_create_refusals(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN];

	/* The user role needs a valid extension; others take none. */
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_USER, SV_NULL, NOW,
	                     NOW + DAY, key, NULL),
	    -EINVAL);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_USER, SV("../x"), NOW,
	                     NOW + DAY, key, NULL),
	    -EINVAL);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_ADMIN, SV("100"), NOW,
	                     NOW + DAY, key, NULL),
	    -EINVAL);
	/* Expiry: not in the past, not past ten years. */
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_ADMIN, SV_NULL, NOW,
	                     NOW, key, NULL),
	    -EINVAL);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_ADMIN, SV_NULL, NOW,
	                     NOW + APIKEYS_LIFETIME_MAX_S + 1, key, NULL),
	    -EINVAL);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_COUNT, SV_NULL, NOW,
	                     NOW + DAY, key, NULL),
	    -EINVAL);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_ADMIN, SV_NULL, NOW,
	                     NOW + APIKEYS_LIFETIME_MAX_S, key, NULL),
	    0);
}

static int
count_cb(void *arg, const struct apikey_info *k)
{
	(void)k;
	(*(int *)arg)++;
	return 0;
}

/* Ids are unique and listed; a row broken by hand is reported. */
static void
test_list(void **state)
{
	struct fixture *f = *state;
	char key[APIKEYS_KEY_STRLEN];
	struct apikey_info a, b;
	struct db_stmt *st;
	int n = 0;

	create(f, RBAC_ROLE_ADMIN, NULL, key, &a);
	create(f, RBAC_ROLE_ADMIN, NULL, key, &b);
	assert_string_not_equal(a.id, b.id);
	assert_int_equal(apikeys_list(f->db, count_cb, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(
	    db_prepare(f->db, "UPDATE api_keys SET ext = 'bad/ext'", &st), 0);
	assert_int_equal(db_step(st), DB_DONE);
	db_finish(st);
	assert_int_equal(apikeys_list(f->db, count_cb, &n), -EBADMSG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_create_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_stored_hashed, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_verify_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revoke, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_touch, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_create_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
