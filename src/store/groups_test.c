/* Unit tests for groups of users (schema migration 9): names and
 * fields, add / update / remove, members, the refusal to remove a
 * group with members unless forced, and the profile and tenant lookups
 * (R-FRAUD-1, R-FRAUD-2, R-FRAUD-3). */
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

#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/keys.h"
#include "store/users.h"

struct fixture {
	char dir[64];
	struct db *db;
	struct keys *k;
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
	uint8_t md5[USERS_HA1_MD5_LEN] = {1}, sha[USERS_HA1_SHA256_LEN] = {2};

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-groups-XXXXXX",
	    sizeof("/tmp/rempart-groups-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	if (users_add(f->db, f->k, SV("100"), SV("A"), md5, sha, 1) != 0 ||
	    users_add(f->db, f->k, SV("101"), SV("B"), md5, sha, 1) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	db_close(f->db);
	keys_free(f->k);
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void
test_names(void **state)
{
	struct group_info g = {0};
	const char *field = NULL;

	(void)state;
	assert_true(groups_name_valid(SV("sales-2_b")));
	assert_false(groups_name_valid(SV("")));
	assert_false(groups_name_valid(SV("Sales")));
	assert_false(groups_name_valid(SV("a b")));
	assert_false(
	    groups_name_valid(SV("abcdefghijklmnopqrstuvwxyz0123456")));
	assert_true(groups_tenant_valid(SV("acme")));
	assert_false(groups_tenant_valid(SV("acme.corp")));
	assert_int_equal(groups_check(&g, &field), -EINVAL);
	assert_string_equal(field, "name");
	snprintf(g.name, sizeof(g.name), "ok");
	assert_int_equal(groups_check(&g, &field), 0);
	snprintf(g.tenant, sizeof(g.tenant), "A");
	assert_int_equal(groups_check(&g, &field), -EINVAL);
	assert_string_equal(field, "tenant");
	g.tenant[0] = '\0';
	snprintf(g.profile, sizeof(g.profile), "No");
	assert_int_equal(groups_check(&g, &field), -EINVAL);
	assert_string_equal(field, "profile");
	g.profile[0] = '\0';
	snprintf(g.description, sizeof(g.description), "bad\n");
	assert_int_equal(groups_check(&g, &field), -EINVAL);
	assert_string_equal(field, "description");
}

static int
count_member(void *arg, const struct user_info *u)
{
	(void)u;
	(*(int *)arg)++;
	return 0;
}

static int
count_group(void *arg, const struct group_info *g)
{
	(void)g;
	(*(int *)arg)++;
	return 0;
}

/* R-FRAUD-1, R-FRAUD-2: a group carries a profile that must exist, and
 * members join and leave it. */
static void
test_groups(void **state)
{
	struct fixture *f = *state;
	struct group_info g = {
	    .name = "sales", .profile = "lobby", .description = "Sales"};
	struct group_info got;
	struct user_info u;
	const char *field = NULL;
	char name[GROUPS_NAME_MAX + 1];
	uint64_t members = 9;
	int n = 0;

	assert_int_equal(groups_add(f->db, &g, 5, &field), 0);
	assert_int_equal(groups_add(f->db, &g, 5, &field), -EEXIST);
	assert_int_equal(groups_get(f->db, SV("sales"), &got), 0);
	assert_string_equal(got.profile, "lobby");
	assert_string_equal(got.tenant, "");
	assert_string_equal(got.description, "Sales");
	assert_int_equal(got.created_at, 5);
	assert_int_equal(got.members, 0);
	assert_int_equal(groups_get(f->db, SV("none"), &got), -ENOENT);
	assert_int_equal(groups_get(f->db, SV("Bad"), &got), -EINVAL);

	/* A profile that does not exist: refused, nothing stored. */
	snprintf(g.name, sizeof(g.name), "x");
	snprintf(g.profile, sizeof(g.profile), "nope");
	assert_int_equal(groups_add(f->db, &g, 5, &field), -ENXIO);
	assert_string_equal(field, "profile");
	assert_int_equal(groups_get(f->db, SV("x"), &got), -ENOENT);
	assert_int_equal(groups_update(f->db, &g, 5, &field), -ENXIO);
	g.profile[0] = '\0';
	assert_int_equal(groups_update(f->db, &g, 5, &field), -ENOENT);

	/* Update: every field but the name and created_at. */
	snprintf(g.name, sizeof(g.name), "sales");
	snprintf(g.tenant, sizeof(g.tenant), "acme");
	assert_int_equal(groups_update(f->db, &g, 7, &field), 0);
	assert_int_equal(groups_get(f->db, SV("sales"), &got), 0);
	assert_string_equal(got.profile, "");
	assert_string_equal(got.tenant, "acme");
	assert_int_equal(got.created_at, 5);
	assert_int_equal(got.updated_at, 7);
	assert_int_equal(groups_tenant_exists(f->db, SV("acme")), 0);
	assert_int_equal(groups_tenant_exists(f->db, SV("other")), -ENOENT);
	assert_int_equal(groups_tenant_exists(f->db, SV("")), -EINVAL);

	/* Members. */
	assert_int_equal(users_set_group(f->db, SV("100"), SV("sales"), 8), 0);
	assert_int_equal(
	    users_set_group(f->db, SV("101"), SV("nope"), 8), -ENXIO);
	assert_int_equal(
	    users_set_group(f->db, SV("999"), SV("sales"), 8), -ENOENT);
	assert_int_equal(
	    users_set_group(f->db, SV("101"), SV("Bad"), 8), -EINVAL);
	assert_int_equal(users_get_info(f->db, SV("100"), &u), 0);
	assert_string_equal(u.group, "sales");
	assert_int_equal(users_get_info(f->db, SV("101"), &u), 0);
	assert_string_equal(u.group, "");
	assert_int_equal(
	    groups_members(f->db, SV("sales"), count_member, &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(groups_list(f->db, count_group, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(groups_get(f->db, SV("sales"), &got), 0);
	assert_int_equal(got.members, 1);

	/* A profile a group has cannot go. */
	snprintf(g.profile, sizeof(g.profile), "lobby");
	assert_int_equal(groups_update(f->db, &g, 9, &field), 0);
	assert_int_equal(groups_profile_user(f->db, SV("lobby"), name), 0);
	assert_string_equal(name, "sales");
	assert_int_equal(
	    groups_profile_user(f->db, SV("staff"), name), -ENOENT);
	assert_int_equal(
	    fraudcfg_profile_remove(f->db, SV("lobby"), NULL), -EBUSY);

	/* Removal: refused with members, unless forced. */
	assert_int_equal(
	    groups_remove(f->db, SV("sales"), false, &members), -EBUSY);
	assert_int_equal(members, 1);
	assert_int_equal(groups_get(f->db, SV("sales"), &got), 0);
	assert_int_equal(groups_remove(f->db, SV("sales"), true, &members), 0);
	assert_int_equal(members, 1);
	assert_int_equal(groups_get(f->db, SV("sales"), &got), -ENOENT);
	assert_int_equal(users_get_info(f->db, SV("100"), &u), 0);
	assert_string_equal(u.group, "");
	assert_int_equal(
	    groups_remove(f->db, SV("sales"), false, NULL), -ENOENT);
	assert_int_equal(fraudcfg_profile_remove(f->db, SV("lobby"), NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
