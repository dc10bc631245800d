/* Unit tests for the anti-fraud configuration (schema migration 7):
 * seeded profiles, text forms, profiles, user profiles, rates,
 * ceilings, blocks and rules (R-FRAUD-1, R-FRAUD-2, R-FRAUD-3,
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

#include "policy/fraud.h"
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

#define BIT(c) NUMPLAN_BIT(NUMPLAN_##c)

/* R-FRAUD-1, R-FRAUD-2: the seeded profiles; premium and high-risk in
 * none of them; 'staff' is the default. */
static void
test_seeded(void **state)
{
	struct fixture *f = *state;
	struct fraudcfg_profile p;
	char def[FRAUDCFG_NAME_MAX + 1];

	assert_int_equal(fraudcfg_profile_get(f->db, SV("lobby"), &p), 0);
	assert_int_equal(p.classes, BIT(INTERNAL) | BIT(EMERGENCY));
	assert_int_equal(fraudcfg_profile_get(f->db, SV("staff"), &p), 0);
	assert_int_equal(p.classes, BIT(INTERNAL) | BIT(EMERGENCY) |
	                                BIT(LOCAL) | BIT(NATIONAL) |
	                                BIT(MOBILE) | BIT(SPECIAL));
	assert_int_equal(
	    fraudcfg_profile_get(f->db, SV("international"), &p), 0);
	assert_true((p.classes & BIT(INTERNATIONAL)) != 0);
	assert_int_equal(p.classes & (BIT(PREMIUM) | BIT(HIGH_RISK)), 0);
	assert_int_equal(fraudcfg_default_get(f->db, def), 0);
	assert_string_equal(def, "staff");
}

static void
test_text_forms(void **state)
{
	char out[FRAUDCFG_PREFIXES_STRLEN], w[FRAUDCFG_WINDOW_STRLEN];
	struct rights_window win;
	uint32_t mask;
	int64_t m;

	(void)state;
	assert_int_equal(
	    fraudcfg_classes_parse(SV(" national , high-risk"), &mask), 0);
	assert_int_equal(mask, BIT(NATIONAL) | BIT(HIGH_RISK));
	assert_int_equal(
	    fraudcfg_classes_parse(SV("national,,"), &mask), -EINVAL);
	assert_int_equal(fraudcfg_classes_parse(SV("intl"), &mask), -EINVAL);
	assert_int_equal(fraudcfg_classes_format(mask, w, sizeof(w)), 0);
	assert_string_equal(w, "national,high-risk");
	assert_int_equal(fraudcfg_classes_format(mask, w, 5), -E2BIG);

	assert_int_equal(
	    fraudcfg_prefixes_normalise(SV("+33, +44 ,+33,+"), out), 0);
	assert_string_equal(out, "+33,+44,+");
	assert_int_equal(fraudcfg_prefixes_normalise(SV(""), out), 0);
	assert_string_equal(out, "");
	assert_int_equal(fraudcfg_prefixes_normalise(SV("33"), out), -EINVAL);
	assert_int_equal(
	    fraudcfg_prefixes_normalise(SV("+1234567890123456"), out), -EINVAL);
	assert_int_equal(fraudcfg_prefixes_normalise(SV("+3a"), out), -EINVAL);

	assert_int_equal(
	    fraudcfg_window_parse(SV("mon-fri/08:00-19:00"), &win), 0);
	assert_int_equal(win.days, RIGHTS_WEEKDAYS);
	assert_int_equal(win.start_min, 480);
	assert_int_equal(win.end_min, 1140);
	assert_int_equal(fraudcfg_window_format(&win, w, sizeof(w)), 0);
	assert_string_equal(w, "mon-fri/08:00-19:00");
	assert_int_equal(
	    fraudcfg_window_parse(SV("mon,wed,sat-sun/22:00-24:00"), &win), 0);
	assert_int_equal(fraudcfg_window_format(&win, w, sizeof(w)), 0);
	assert_string_equal(w, "mon,wed,sat,sun/22:00-24:00");
	assert_int_equal(fraudcfg_window_parse(SV("all/00:00-00:00"), &win), 0);
	assert_int_equal(fraudcfg_window_format(&win, w, sizeof(w)), 0);
	assert_string_equal(w, "all/00:00-00:00");
	assert_int_equal(
	    fraudcfg_window_parse(SV("fri-mon/08:00-19:00"), &win), -EINVAL);
	assert_int_equal(
	    fraudcfg_window_parse(SV("mon/24:30-19:00"), &win), -EINVAL);
	assert_int_equal(
	    fraudcfg_window_parse(SV("mon/8:00-19:00"), &win), -EINVAL);
	assert_int_equal(
	    fraudcfg_window_parse(SV("08:00-19:00"), &win), -EINVAL);

	assert_int_equal(fraudcfg_money_parse(SV("12.5"), 100000000, &m), 0);
	assert_int_equal(m, 12500000);
	assert_int_equal(fraudcfg_money_parse(SV("0.000001"), 10, &m), 0);
	assert_int_equal(m, 1);
	assert_int_equal(
	    fraudcfg_money_parse(SV("1.0000001"), 100000000, &m), -EINVAL);
	assert_int_equal(
	    fraudcfg_money_parse(SV("-1"), 100000000, &m), -EINVAL);
	assert_int_equal(
	    fraudcfg_money_parse(SV("1."), 100000000, &m), -EINVAL);
	assert_int_equal(
	    fraudcfg_money_parse(SV("101"), 100000000, &m), -ERANGE);
}

static struct fraudcfg_profile
profile(const char *name, uint32_t classes)
{
	struct fraudcfg_profile p = {.classes = classes};

	snprintf(p.name, sizeof(p.name), "%s", name);
	return p;
}

static void
test_profiles(void **state)
{
	struct fixture *f = *state;
	struct fraudcfg_profile p = profile("office", BIT(INTERNAL)), got;
	char user[USERS_EXT_MAX + 1];
	struct user_info u;
	const char *field = NULL;

	p.window_classes = BIT(INTERNATIONAL);
	p.window = (struct rights_window){RIGHTS_WEEKDAYS, 480, 1140};
	snprintf(p.allow, sizeof(p.allow), "+3312");
	assert_int_equal(fraudcfg_profile_add(f->db, &p, 10, &field), 0);
	assert_int_equal(fraudcfg_profile_add(f->db, &p, 10, &field), -EEXIST);
	assert_int_equal(fraudcfg_profile_get(f->db, SV("office"), &got), 0);
	assert_int_equal(got.window_classes, BIT(INTERNATIONAL));
	assert_int_equal(got.window.end_min, 1140);
	assert_string_equal(got.allow, "+3312");
	assert_int_equal(got.created_at, 10);

	/* Each bad field is named. */
	p.classes |= BIT(INTERNATIONAL);
	assert_int_equal(
	    fraudcfg_profile_update(f->db, &p, 11, &field), -EINVAL);
	assert_string_equal(field, "window");
	p = profile("office", 1u << 20);
	assert_int_equal(
	    fraudcfg_profile_update(f->db, &p, 11, &field), -EINVAL);
	assert_string_equal(field, "classes");
	p = profile("office", BIT(LOCAL));
	snprintf(p.deny, sizeof(p.deny), "+33,+33");
	assert_int_equal(
	    fraudcfg_profile_update(f->db, &p, 11, &field), -EINVAL);
	assert_string_equal(field, "deny");
	p = profile("Bad Name", BIT(LOCAL));
	assert_int_equal(fraudcfg_profile_add(f->db, &p, 11, &field), -EINVAL);
	assert_string_equal(field, "name");
	p = profile("nosuch", BIT(LOCAL));
	assert_int_equal(
	    fraudcfg_profile_update(f->db, &p, 11, &field), -ENOENT);

	p = profile("office", BIT(LOCAL));
	assert_int_equal(fraudcfg_profile_update(f->db, &p, 12, &field), 0);
	assert_int_equal(fraudcfg_profile_get(f->db, SV("office"), &got), 0);
	assert_int_equal(got.classes, BIT(LOCAL));
	assert_int_equal(got.window_classes, 0);
	assert_string_equal(got.allow, "");
	assert_int_equal(got.created_at, 10);
	assert_int_equal(got.updated_at, 12);

	/* A user's profile; a profile in use or the default stays. */
	assert_int_equal(
	    users_set_profile(f->db, SV("101"), SV("office"), 13), 0);
	assert_int_equal(users_get_info(f->db, SV("101"), &u), 0);
	assert_string_equal(u.profile, "office");
	assert_int_equal(
	    users_set_profile(f->db, SV("101"), SV("nosuch"), 13), -ENXIO);
	assert_int_equal(
	    users_set_profile(f->db, SV("999"), SV("office"), 13), -ENOENT);
	assert_int_equal(
	    users_set_profile(f->db, SV("101"), SV("Bad!"), 13), -EINVAL);
	assert_int_equal(
	    fraudcfg_profile_remove(f->db, SV("office"), user), -EBUSY);
	assert_string_equal(user, "101");
	assert_int_equal(
	    fraudcfg_profile_remove(f->db, SV("staff"), user), -EBUSY);
	assert_string_equal(user, "");
	assert_int_equal(
	    fraudcfg_profile_remove(f->db, SV("nosuch"), user), -ENOENT);
	assert_int_equal(fraudcfg_default_set(f->db, SV("nosuch")), -ENOENT);
	assert_int_equal(fraudcfg_default_set(f->db, SV("lobby")), 0);
	assert_int_equal(fraudcfg_profile_remove(f->db, SV("staff"), user), 0);
	assert_int_equal(users_set_profile(f->db, SV("101"), SV(""), 14), 0);
	assert_int_equal(users_get_info(f->db, SV("101"), &u), 0);
	assert_string_equal(u.profile, "");
	assert_int_equal(fraudcfg_profile_remove(f->db, SV("office"), user), 0);
	assert_int_equal(
	    fraudcfg_profile_get(f->db, SV("office"), &got), -ENOENT);
}

static int
count_rate(void *arg, const struct fraudcfg_rate *r)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/* R-FRAUD-3: one rate at a time, checked as a line of a rate file. */
static void
test_rate_one(void **state)
{
	struct fixture *f = *state;
	struct fraudcfg_rate r = {.prefix = "+44",
	                         .rate = {.per_min = 600000,
	                             .first_s = 1,
	                             .incr_s = 1,
	                             .label = "United Kingdom"}},
	                     got;

	assert_int_equal(fraudcfg_rate_get(f->db, SV("+44"), &got), -ENOENT);
	assert_int_equal(fraudcfg_rate_put(f->db, &r), 0);
	assert_int_equal(fraudcfg_rate_get(f->db, SV("+44"), &got), 0);
	assert_string_equal(got.prefix, "+44");
	assert_int_equal(got.rate.per_min, 600000);
	assert_string_equal(got.rate.label, "United Kingdom");
	r.rate.setup = 10;
	assert_int_equal(fraudcfg_rate_put(f->db, &r), 0);
	assert_int_equal(fraudcfg_rate_match(f->db, SV("+44201234"), &got), 0);
	assert_int_equal(got.rate.setup, 10);
	assert_int_equal(fraudcfg_rate_get(f->db, SV("+4"), &got), -ENOENT);
	assert_int_equal(fraudcfg_rate_get(f->db, SV("44"), &got), -EINVAL);
	/* What a rate file refuses. */
	r.rate.incr_s = 0;
	assert_int_equal(fraudcfg_rate_put(f->db, &r), -EINVAL);
	r.rate.incr_s = RATING_INCR_MAX + 1;
	assert_int_equal(fraudcfg_rate_put(f->db, &r), -EINVAL);
	r.rate.incr_s = 1;
	r.rate.per_min = RATING_MONEY_MAX + 1;
	assert_int_equal(fraudcfg_rate_put(f->db, &r), -EINVAL);
	r.rate.per_min = -1;
	assert_int_equal(fraudcfg_rate_put(f->db, &r), -EINVAL);
	r.rate.per_min = 1;
	r.rate.label[0] = '\t';
	assert_int_equal(fraudcfg_rate_put(f->db, &r), -EINVAL);
	r.rate.label[0] = 'x';
	memcpy(r.prefix, "+4x", 4);
	assert_int_equal(fraudcfg_rate_put(f->db, &r), -EINVAL);
	memcpy(r.prefix, "+", 2);
	assert_int_equal(fraudcfg_rate_put(f->db, &r), 0);
	assert_int_equal(fraudcfg_rate_remove(f->db, SV("+44")), 0);
	assert_int_equal(fraudcfg_rate_remove(f->db, SV("+44")), -ENOENT);
	assert_int_equal(fraudcfg_rate_remove(f->db, SV("x")), -EINVAL);
	assert_int_equal(fraudcfg_rate_match(f->db, SV("+44201234"), &got), 0);
	assert_string_equal(got.prefix, "+");
}

/* R-FRAUD-1: the users that have a profile of their own. */
static void
test_profile_members(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 9;

	assert_int_equal(
	    fraudcfg_profile_members(f->db, SV("international"), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	    users_set_profile(f->db, SV("100"), SV("international"), 2), 0);
	assert_int_equal(
	    users_set_profile(f->db, SV("101"), SV("international"), 2), 0);
	assert_int_equal(
	    fraudcfg_profile_members(f->db, SV("international"), &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fraudcfg_profile_members(f->db, SV("staff"), &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(
	    fraudcfg_profile_members(f->db, SV("Bad name"), &n), -EINVAL);
}

/* R-FRAUD-3: a rate file is imported whole or not at all. */
static void
test_rates(void **state)
{
	struct fixture *f = *state;
	struct numplan_error err = {0};
	struct fraudcfg_rate r;
	size_t count = 0;
	int n = 0;

	assert_int_equal(fraudcfg_rates_import(f->db,
	                     SV("# rates\n+ 0.1 0 60 60 world\n"
	                        "+33 0.02 0 1 1 France\n"
	                        "+336 0.10 0.05 30 6 mobiles\n"
	                        "+33 0.03 0 1 1 France again\n"),
	                     &err, &count),
	    0);
	assert_int_equal(count, 3);
	assert_int_equal(fraudcfg_rates_list(f->db, count_rate, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(fraudcfg_rate_match(f->db, SV("+33612345678"), &r), 0);
	assert_string_equal(r.prefix, "+336");
	assert_int_equal(r.rate.setup, 50000);
	assert_int_equal(r.rate.first_s, 30);
	assert_string_equal(r.rate.label, "mobiles");
	assert_int_equal(fraudcfg_rate_match(f->db, SV("33123"), &r), 0);
	assert_string_equal(r.prefix, "+33");
	assert_int_equal(r.rate.per_min, 30000);
	assert_int_equal(fraudcfg_rate_match(f->db, SV("+1555"), &r), 0);
	assert_string_equal(r.prefix, "+");
	assert_int_equal(fraudcfg_rate_match(f->db, SV("+1x"), &r), -EINVAL);

	assert_int_equal(
	    fraudcfg_rates_import(
	        f->db, SV("+44 0.02 0 1 1\n+49 0.02 0 1 0\n"), &err, &count),
	    -EBADMSG);
	assert_int_equal(err.line, 2);
	n = 0;
	assert_int_equal(fraudcfg_rates_list(f->db, count_rate, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(
	    fraudcfg_rates_import(f->db, SV("+44 0.02 0 1 1\n"), &err, &count),
	    0);
	assert_int_equal(fraudcfg_rate_match(f->db, SV("+336"), &r), -ENOENT);
}

/* R-FRAUD-3: ceilings per user and global. */
static void
test_ceilings(void **state)
{
	struct fixture *f = *state;
	struct fraud_ceiling c = {5000000, 20000000};
	struct fraudcfg_ceiling got;
	const char *field = NULL;

	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_USER, SV("100"), &c, 1, &field),
	    0);
	assert_int_equal(fraudcfg_ceiling_set(f->db, FRAUD_SCOPE_GLOBAL,
	                     SV("ignored"), &c, 1, &field),
	    0);
	assert_int_equal(
	    fraudcfg_ceiling_get(f->db, FRAUD_SCOPE_GLOBAL, SV(""), &got), 0);
	assert_string_equal(got.name, "");
	c.day = 0;
	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_USER, SV("100"), &c, 2, &field),
	    0);
	assert_int_equal(
	    fraudcfg_ceiling_get(f->db, FRAUD_SCOPE_USER, SV("100"), &got), 0);
	assert_int_equal(got.c.hour, 5000000);
	assert_int_equal(got.c.day, 0);
	assert_int_equal(got.updated_at, 2);
	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_USER, SV("999"), &c, 2, &field),
	    -ENXIO);
	c.hour = -1;
	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_USER, SV("100"), &c, 2, &field),
	    -EINVAL);
	assert_string_equal(field, "hourly");
	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_COUNT, SV("t"), &c, 2, &field),
	    -EINVAL);
	assert_string_equal(field, "scope");
	assert_int_equal(
	    fraudcfg_ceiling_remove(f->db, FRAUD_SCOPE_USER, SV("100")), 0);
	assert_int_equal(
	    fraudcfg_ceiling_remove(f->db, FRAUD_SCOPE_USER, SV("100")),
	    -ENOENT);
}

/* R-FRAUD-3: tenant ceilings and blocks; a tenant is named by a
 * group, and the migration kept the CHECK of the other scopes. */
static void
test_tenants(void **state)
{
	struct fixture *f = *state;
	struct fraud_ceiling c = {1000000, 3000000};
	struct group_info g = {.name = "sales", .tenant = "acme"};
	struct fraud_block b = {.scope = FRAUD_SCOPE_TENANT,
	    .reason = FRAUD_R_CEILING_HOUR,
	    .since_s = 10};
	struct fraudcfg_ceiling got;
	struct fraudcfg_block gb;
	const char *field = NULL;

	/* No group has the tenant yet: a typo, refused. */
	assert_int_equal(fraudcfg_ceiling_set(f->db, FRAUD_SCOPE_TENANT,
	                     SV("acme"), &c, 1, &field),
	    -ENXIO);
	assert_int_equal(groups_add(f->db, &g, 1, &field), 0);
	assert_int_equal(fraudcfg_ceiling_set(f->db, FRAUD_SCOPE_TENANT,
	                     SV("acme"), &c, 1, &field),
	    0);
	assert_int_equal(fraudcfg_ceiling_set(f->db, FRAUD_SCOPE_TENANT,
	                     SV("Acme"), &c, 1, &field),
	    -EINVAL);
	assert_string_equal(field, "name");
	assert_int_equal(fraudcfg_ceiling_set(
	                     f->db, FRAUD_SCOPE_TENANT, SV(""), &c, 1, &field),
	    -EINVAL);
	assert_int_equal(
	    fraudcfg_ceiling_get(f->db, FRAUD_SCOPE_TENANT, SV("acme"), &got),
	    0);
	assert_int_equal(got.scope, FRAUD_SCOPE_TENANT);
	assert_string_equal(got.name, "acme");
	assert_int_equal(got.c.day, 3000000);
	assert_string_equal(fraudcfg_scope_name(FRAUD_SCOPE_TENANT), "tenant");
	/* Blocks of a tenant persist and are lifted like a user's. */
	snprintf(b.name, sizeof(b.name), "acme");
	assert_int_equal(fraudcfg_block_put(f->db, &b, SV("")), 0);
	assert_int_equal(
	    fraudcfg_block_get(f->db, FRAUD_SCOPE_TENANT, SV("acme"), &gb), 0);
	assert_int_equal(gb.b.scope, FRAUD_SCOPE_TENANT);
	assert_int_equal(gb.b.reason, FRAUD_R_CEILING_HOUR);
	assert_int_equal(
	    fraudcfg_block_lift(f->db, FRAUD_SCOPE_TENANT, SV("acme"), 20), 0);
	assert_int_equal(
	    fraudcfg_block_get(f->db, FRAUD_SCOPE_TENANT, SV("acme"), &gb), 0);
	assert_int_equal(gb.lifted_at, 20);
	assert_int_equal(
	    fraudcfg_ceiling_remove(f->db, FRAUD_SCOPE_TENANT, SV("acme")), 0);
}

/* R-FRAUD-6, R-FRAUD-7: DISA and the outdials are off until turned on,
 * and stored with the rules. */
static void
test_origin_switches(void **state)
{
	struct fixture *f = *state;
	struct fraud_config cfg, back;
	const char *field = NULL;

	fraud_config_defaults(&back);
	assert_int_equal(fraudcfg_rules_load(f->db, &back), 0);
	assert_false(back.disa_enabled);
	assert_false(back.outdial_enabled);
	fraud_config_defaults(&cfg);
	cfg.disa_enabled = true;
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 1, &field), 0);
	fraud_config_defaults(&back);
	assert_int_equal(fraudcfg_rules_load(f->db, &back), 0);
	assert_true(back.disa_enabled);
	assert_false(back.outdial_enabled);
	cfg.disa_enabled = false;
	cfg.outdial_enabled = true;
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 2, &field), 0);
	fraud_config_defaults(&back);
	assert_int_equal(fraudcfg_rules_load(f->db, &back), 0);
	assert_false(back.disa_enabled);
	assert_true(back.outdial_enabled);
}

/* R-FRAUD-3: blocks survive restarts; a lift is kept as a mark. */
static void
test_blocks(void **state)
{
	struct fixture *f = *state;
	struct fraud_block b = {.scope = FRAUD_SCOPE_USER,
	    .reason = FRAUD_R_CEILING_DAY,
	    .since_s = 100};
	struct fraudcfg_block got;

	snprintf(b.name, sizeof(b.name), "100");
	assert_int_equal(fraudcfg_block_put(f->db, &b, SV("")), 0);
	assert_int_equal(
	    fraudcfg_block_get(f->db, FRAUD_SCOPE_USER, SV("100"), &got), 0);
	assert_int_equal(got.b.reason, FRAUD_R_CEILING_DAY);
	assert_string_equal(got.reason, "daily cost ceiling reached");
	assert_int_equal(got.b.since_s, 100);
	assert_int_equal(got.lifted_at, 0);
	assert_int_equal(
	    fraudcfg_block_lift(f->db, FRAUD_SCOPE_USER, SV("100"), 200), 0);
	assert_int_equal(
	    fraudcfg_block_lift(f->db, FRAUD_SCOPE_USER, SV("100"), 201),
	    -ENOENT);
	assert_int_equal(
	    fraudcfg_block_get(f->db, FRAUD_SCOPE_USER, SV("100"), &got), 0);
	assert_int_equal(got.lifted_at, 200);
	/* A new block replaces the lifted row. */
	b.reason = FRAUD_R_MANUAL;
	b.since_s = 300;
	assert_int_equal(fraudcfg_block_put(f->db, &b, SV("by hand")), 0);
	assert_int_equal(
	    fraudcfg_block_get(f->db, FRAUD_SCOPE_USER, SV("100"), &got), 0);
	assert_int_equal(got.lifted_at, 0);
	assert_string_equal(got.reason, "by hand");
	assert_int_equal(
	    fraudcfg_block_put(f->db, &b, SV("bad\nreason")), -EINVAL);
	b.reason = FRAUD_R_NONE;
	assert_int_equal(fraudcfg_block_put(f->db, &b, SV("")), -EINVAL);
	assert_int_equal(
	    fraudcfg_block_lift(f->db, FRAUD_SCOPE_GLOBAL, SV(""), 5), -ENOENT);
}

/* R-FRAUD-5: rules are checked by the engine's rules and kept. */
static void
test_rules(void **state)
{
	struct fixture *f = *state;
	struct fraud_config cfg, back;
	const char *field = NULL;

	fraud_config_defaults(&cfg);
	cfg.sequential.mode = FRAUD_ALERT;
	cfg.sequential.count = 7;
	cfg.seq_tail_digits = 3;
	cfg.tz_offset_min = -120;
	cfg.cut_running = false;
	cfg.business_hours = (struct rights_window){0x3f, 420, 1200};
	cfg.spike_min_spend = 2500000;
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 1, &field), 0);
	fraud_config_defaults(&back);
	assert_int_equal(fraudcfg_rules_load(f->db, &back), 0);
	assert_int_equal(back.sequential.mode, FRAUD_ALERT);
	assert_int_equal(back.sequential.count, 7);
	assert_int_equal(back.seq_tail_digits, 3);
	assert_int_equal(back.tz_offset_min, -120);
	assert_false(back.cut_running);
	assert_int_equal(back.business_hours.days, 0x3f);
	assert_int_equal(back.business_hours.end_min, 1200);
	assert_int_equal(back.spike_min_spend, 2500000);

	cfg.call_rate.count = FRAUD_RATE_MAX;
	assert_int_equal(fraudcfg_rules_store(f->db, &cfg, 2, &field), -EINVAL);
	assert_string_equal(field, "call-rate");
	fraud_config_defaults(&cfg);
	cfg.seq_tail_digits = 9;
	assert_int_equal(fraudcfg_rules_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "sequential");
	fraud_config_defaults(&cfg);
	cfg.tz_offset_min = 2000;
	assert_int_equal(fraudcfg_rules_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "utc-offset");
	fraud_config_defaults(&cfg);
	cfg.short_burst.window_s = 0;
	assert_int_equal(fraudcfg_rules_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "short-burst");
}

/* The system-wide lists: unset is empty; set, normalised; bad refused
 * and nothing changed. */
static void
test_system_lists(void **state)
{
	struct fixture *f = *state;
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN];

	assert_int_equal(fraudcfg_system_lists_get(f->db, allow, deny), 0);
	assert_string_equal(allow, "");
	assert_string_equal(deny, "");
	assert_int_equal(fraudcfg_system_list_set(
	                     f->db, FRAUDCFG_SYSTEM_DENY, SV("+44, +881")),
	    0);
	assert_int_equal(fraudcfg_system_list_set(
	                     f->db, FRAUDCFG_SYSTEM_ALLOW, SV("+33899123")),
	    0);
	assert_int_equal(
	    fraudcfg_system_list_set(f->db, FRAUDCFG_SYSTEM_DENY, SV("44x")),
	    -EINVAL);
	assert_int_equal(
	    fraudcfg_system_list_set(f->db, "fraud.other", SV("+1")), -EINVAL);
	assert_int_equal(fraudcfg_system_lists_get(f->db, allow, deny), 0);
	assert_string_equal(allow, "+33899123");
	assert_string_equal(deny, "+44,+881");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_seeded, setup, teardown),
	    cmocka_unit_test(test_text_forms),
	    cmocka_unit_test_setup_teardown(test_profiles, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_system_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_one, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_profile_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ceilings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tenants, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_origin_switches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rules, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
