/* Unit tests for the loaded anti-fraud configuration: profiles by
 * user and default, rates, engine configuration, ceilings and blocks
 * carried into an engine, and reload (R-FRAUD-1, R-FRAUD-3,
 * R-FRAUD-5). */
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

#include "core/mem.h"
#include "pbx/fraudpolicy.h"
#include "policy/fraud.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/keys.h"
#include "store/settings.h"
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
	memcpy(f->dir, "/tmp/rempart-fraud-XXXXXX",
	    sizeof("/tmp/rempart-fraud-XXXXXX"));
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
test_profiles_and_rates(void **state)
{
	struct fixture *f = *state;
	struct fraudcfg_profile p = {.classes = NUMPLAN_BIT(NUMPLAN_INTERNAL)};
	const struct rights_profile *rp;
	const struct rating_rate *rate;
	struct fraudpolicy *fp;
	struct rights_time t = {0, 600};
	struct rights_decision d;

	snprintf(p.name, sizeof(p.name), "office");
	snprintf(p.deny, sizeof(p.deny), "+3389");
	snprintf(p.allow, sizeof(p.allow), "+4420");
	assert_int_equal(fraudcfg_profile_add(f->db, &p, 1, NULL), 0);
	assert_int_equal(
	    users_set_profile(f->db, SV("100"), SV("office"), 1), 0);
	assert_int_equal(
	    fraudcfg_rates_import(
	        f->db, SV("+33 0.02 0 1 1\n+336 0.1 0 1 1\n"), NULL, NULL),
	    0);
	assert_int_equal(fraudpolicy_load(&fp, f->db), 0);
	assert_int_equal(fraudpolicy_profiles(fp), 4);

	/* R-FRAUD-1: the user's own profile, else the default (staff). */
	rp = fraudpolicy_profile_for(fp, SV("100"));
	assert_non_null(rp);
	assert_string_equal(rp->name, "office");
	d = rights_check(
	    rp, NULL, NUMPLAN_NATIONAL, SV("33123456789"), true, t);
	assert_false(d.allow);
	d = rights_check(
	    rp, NULL, NUMPLAN_INTERNATIONAL, SV("442012345678"), true, t);
	assert_true(d.allow);
	rp = fraudpolicy_profile_for(fp, SV("101"));
	assert_string_equal(rp->name, "staff");
	d = rights_check(
	    rp, NULL, NUMPLAN_NATIONAL, SV("33123456789"), true, t);
	assert_true(d.allow);
	d = rights_check(
	    rp, NULL, NUMPLAN_INTERNATIONAL, SV("4912345678"), true, t);
	assert_false(d.allow);
	assert_null(fraudpolicy_profile(fp, SV("nosuch")));

	rate = rating_lookup(fraudpolicy_rates(fp), SV("33612345678"));
	assert_non_null(rate);
	assert_int_equal(rate->per_min, 100000);
	assert_null(rating_lookup(fraudpolicy_rates(fp), SV("1555")));
	fraudpolicy_free(fp);

	/* No default: no profile but emergency. */
	assert_int_equal(fraudcfg_profile_remove(f->db, SV("lobby"), NULL), 0);
	assert_int_equal(
	    settings_set(f->db, FRAUDCFG_DEFAULT_PROFILE, SV("lobby")), 0);
	assert_int_equal(fraudpolicy_load(&fp, f->db), 0);
	assert_null(fraudpolicy_profile_for(fp, SV("101")));
	assert_non_null(fraudpolicy_profile_for(fp, SV("100")));
	fraudpolicy_free(fp);
}

static struct fraud_call_info
call(const char *user)
{
	static const struct rating_rate rate = {
	    .per_min = 1000000, .incr_s = 1};
	struct fraud_call_info ci = {
	    .dir = FRAUD_OUTBOUND,
	    .user = sv_cstr(user),
	    .e164 = SV("33123456789"),
	    .cls = NUMPLAN_NATIONAL,
	    .rate = &rate,
	};

	return ci;
}

/* R-FRAUD-3: ceilings and blocks go into the engine and follow a
 * reload. */
static void
test_apply_and_reload(void **state)
{
	struct fixture *f = *state;
	struct fraud_ceiling c = {0, 3000000};
	struct fraud_block b = {.scope = FRAUD_SCOPE_USER,
	    .reason = FRAUD_R_SEQUENTIAL,
	    .since_s = 1000};
	struct fraud_call_info ci = call("100");
	struct fraudpolicy *fp, *fp2;
	struct fraud_config cfg;
	struct fraud_decision d;
	struct fraud *eng;

	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_USER, SV("101"), &c, 1, NULL),
	    0);
	c.day = 50000000;
	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_GLOBAL, SV(""), &c, 1, NULL),
	    0);
	snprintf(b.name, sizeof(b.name), "100");
	assert_int_equal(fraudpolicy_block_save(f->db, &b), 0);
	fraud_config_defaults(&cfg);
	cfg.call_rate.count = 5;
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 1, NULL), 0);

	assert_int_equal(fraudpolicy_load(&fp, f->db), 0);
	fraudpolicy_engine_config(fp, &cfg);
	assert_int_equal(cfg.call_rate.count, 5);
	assert_int_equal(cfg.ceiling[FRAUD_SCOPE_GLOBAL].day, 50000000);
	assert_int_equal(fraud_new(&eng, &cfg), 0);
	assert_int_equal(fraudpolicy_apply(fp, NULL, eng, 2000), 0);
	assert_true(fraud_is_blocked(eng, FRAUD_SCOPE_USER, SV("100"), 2000));

	/* 101's ceiling of 3 units a day refuses a 4-minute call's end. */
	ci = call("101");
	fraud_call_start(eng, &ci, 2000, &d);
	assert_true(d.allow);
	assert_int_equal(fraud_call_answer(eng, d.call_id, 2000), 0);
	assert_int_equal(
	    fraud_call_end(eng, d.call_id, 240, 2240, NULL, NULL), 0);
	assert_true(fraud_is_blocked(eng, FRAUD_SCOPE_USER, SV("101"), 2241));

	/* An admin lifts 100's block and removes 101's ceiling: a reload
	 * lifts it in the engine and keeps the rest. */
	assert_int_equal(
	    fraudpolicy_block_clear(f->db, FRAUD_SCOPE_USER, SV("100"), 2300),
	    0);
	assert_int_equal(
	    fraudcfg_ceiling_remove(f->db, FRAUD_SCOPE_USER, SV("101")), 0);
	assert_int_equal(fraudpolicy_load(&fp2, f->db), 0);
	assert_true(fraudpolicy_rules_equal(fp, fp2));
	assert_int_equal(fraudpolicy_apply(fp2, fp, eng, 2400), 0);
	assert_false(fraud_is_blocked(eng, FRAUD_SCOPE_USER, SV("100"), 2400));
	assert_true(fraud_is_blocked(eng, FRAUD_SCOPE_USER, SV("101"), 2400));
	assert_int_equal(
	    fraud_unblock(eng, FRAUD_SCOPE_USER, SV("101"), 2401), 0);
	ci = call("101");
	fraud_call_start(eng, &ci, 2402, &d);
	assert_true(d.allow);
	fraudpolicy_free(fp);

	/* A block made after the lift is not lifted by it. */
	assert_int_equal(
	    fraud_block(eng, FRAUD_SCOPE_USER, SV("100"), 2500), 0);
	assert_int_equal(fraudpolicy_apply(fp2, NULL, eng, 2600), 0);
	assert_true(fraud_is_blocked(eng, FRAUD_SCOPE_USER, SV("100"), 2600));

	/* A rule change is seen. */
	fraud_config_defaults(&cfg);
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 3, NULL), 0);
	assert_int_equal(fraudpolicy_load(&fp, f->db), 0);
	assert_false(fraudpolicy_rules_equal(fp, fp2));
	fraudpolicy_free(fp);
	fraudpolicy_free(fp2);
	fraud_free(eng);
}

/* R-FRAUD-1, R-FRAUD-2: a user's own profile, else its group's, else
 * the default; R-FRAUD-3: the tenant of the group scopes ceilings and
 * blocks of all its members; R-FRAUD-6: the DISA switch reaches the
 * engine in place. */
static void
test_groups(void **state)
{
	struct fixture *f = *state;
	struct group_info lobby = {
	    .name = "lobbyg", .profile = "lobby", .tenant = "acme"};
	struct group_info plain = {.name = "plain"};
	struct fraud_ceiling c = {10000, 0};
	struct fraud_call_info ci;
	struct fraudpolicy *fp, *fp2;
	struct fraud_config cfg;
	struct fraud_decision d;
	struct fraud *eng;

	assert_int_equal(groups_add(f->db, &lobby, 1, NULL), 0);
	assert_int_equal(groups_add(f->db, &plain, 1, NULL), 0);
	assert_int_equal(users_set_group(f->db, SV("100"), SV("lobbyg"), 1), 0);
	assert_int_equal(users_set_group(f->db, SV("101"), SV("lobbyg"), 1), 0);
	assert_int_equal(
	    users_set_profile(f->db, SV("101"), SV("international"), 1), 0);
	assert_int_equal(
	    users_set_group(f->db, SV("101"), SV("nope"), 1), -ENXIO);
	assert_int_equal(fraudcfg_ceiling_set(f->db, FRAUD_SCOPE_TENANT,
	                     SV("acme"), &c, 1, NULL),
	    0);
	assert_int_equal(fraudpolicy_load(&fp, f->db), 0);
	assert_string_equal(
	    fraudpolicy_profile_for(fp, SV("100"))->name, "lobby");
	assert_string_equal(
	    fraudpolicy_profile_for(fp, SV("101"))->name, "international");
	assert_true(sv_eq(fraudpolicy_tenant_for(fp, SV("100")), SV("acme")));
	assert_true(sv_eq(fraudpolicy_tenant_for(fp, SV("101")), SV("acme")));
	assert_int_equal(fraudpolicy_tenant_for(fp, SV("999")).len, 0);

	/* The tenant's ceiling refuses the calls of both members. */
	fraudpolicy_engine_config(fp, &cfg);
	assert_false(cfg.disa_enabled);
	assert_int_equal(fraud_new(&eng, &cfg), 0);
	assert_int_equal(fraudpolicy_apply(fp, NULL, eng, 1000), 0);
	ci = call("101");
	ci.tenant = fraudpolicy_tenant_for(fp, ci.user);
	fraud_call_start(eng, &ci, 1000, &d);
	assert_false(d.allow);
	assert_int_equal(d.scope, FRAUD_SCOPE_TENANT);
	ci.origin = FRAUD_ORIGIN_DISA;
	fraud_call_start(eng, &ci, 1000, &d);
	assert_int_equal(d.reason, FRAUD_R_ORIGIN_OFF);

	/* Out of the tenant, on the default profile; DISA turned on. */
	assert_int_equal(users_set_group(f->db, SV("101"), SV("plain"), 2), 0);
	assert_int_equal(users_set_profile(f->db, SV("101"), SV(""), 2), 0);
	fraud_config_defaults(&cfg);
	cfg.disa_enabled = true;
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 2, NULL), 0);
	assert_int_equal(fraudpolicy_load(&fp2, f->db), 0);
	assert_true(fraudpolicy_rules_equal(fp, fp2));
	assert_string_equal(
	    fraudpolicy_profile_for(fp2, SV("101"))->name, "staff");
	assert_int_equal(fraudpolicy_tenant_for(fp2, SV("101")).len, 0);
	assert_int_equal(fraudpolicy_apply(fp2, fp, eng, 1001), 0);
	ci = call("101");
	ci.origin = FRAUD_ORIGIN_DISA;
	fraud_call_start(eng, &ci, 1001, &d);
	assert_true(d.allow);
	/* The group's profile follows a change of the group. */
	lobby.profile[0] = '\0';
	assert_int_equal(groups_update(f->db, &lobby, 3, NULL), 0);
	fraudpolicy_free(fp);
	assert_int_equal(fraudpolicy_load(&fp, f->db), 0);
	assert_string_equal(
	    fraudpolicy_profile_for(fp, SV("100"))->name, "staff");
	assert_true(sv_eq(fraudpolicy_tenant_for(fp, SV("100")), SV("acme")));
	fraudpolicy_free(fp);
	fraudpolicy_free(fp2);
	fraud_free(eng);
}

static void
test_load_bad_rows(void **state)
{
	struct fixture *f = *state;
	struct fraudpolicy *fp = NULL;
	struct db_stmt *st;

	assert_int_equal(db_prepare(f->db,
	                     "UPDATE rights_profiles SET allow = '+12x'"
	                     " WHERE name = 'staff'",
	                     &st),
	    0);
	assert_int_equal(db_step(st), DB_DONE);
	db_finish(st);
	assert_int_equal(fraudpolicy_load(&fp, f->db), -EBADMSG);
	assert_null(fp);
	fraudpolicy_free(NULL);
}

static void
test_load_oom(void **state)
{
	struct fixture *f = *state;
	struct fraudpolicy *fp = NULL;
	int rc = -ENOMEM;

	for (unsigned long n = 1; rc == -ENOMEM && n < 200; n++) {
		mem_fail_nth(n);
		rc = fraudpolicy_load(&fp, f->db);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_true(rc == -ENOMEM || rc < 0);
	}
	assert_int_equal(rc, 0);
	fraudpolicy_free(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_profiles_and_rates, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_apply_and_reload, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_load_bad_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_oom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_groups, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
