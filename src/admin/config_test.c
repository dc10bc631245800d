/* Unit tests for the configuration file (R-ADMIN-5): parsing with
 * line numbers, export then import as a no-op, apply, secrets, users. */
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

#include "admin/config.h"
#include "core/mem.h"
#include "store/bans.h"
#include "store/db.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/keys.h"
#include "store/trunks.h"
#include "store/users.h"

#define NOW 1700000000

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
	memcpy(f->dir, "/tmp/rempart-config-XXXXXX",
	    sizeof("/tmp/rempart-config-XXXXXX"));
	if (mkdtemp(f->dir) == NULL || keys_init(f->dir) != 0 ||
	    keys_load(f->dir, &f->k) != 0 || db_open(&f->db, f->dir) != 0)
		return -1;
	if (users_add(f->db, f->k, SV("100"), SV("Ann"), md5, sha, NOW) != 0 ||
	    users_add(f->db, f->k, SV("101"), SV("Bob"), md5, sha, NOW) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	db_close(f->db);
	keys_free(f->k);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char base[] =
    "rempart_config: 1\n"
    "settings:\n"
    "  default_profile: staff\n"
    "profiles:\n"
    "  - name: staff\n"
    "    classes: [internal, emergency, national]\n"
    "    window_classes: [international]\n"
    "    window: mon-fri/08:00-19:00\n"
    "users:\n"
    "  - ext: \"100\"\n"
    "    name: Ann\n"
    "    profile: staff\n"
    "    acl: [10.0.0.0/8]\n"
    "  - ext: \"101\"\n"
    "    name: Bob\n"
    "    alternate: \"100\"\n"
    "trunks:\n"
    "  - name: peer\n"
    "    kind: ip\n"
    "    host: 192.0.2.10\n"
    "    acl: [192.0.2.0/24]\n"
    "  - name: ovh\n"
    "    kind: register\n"
    "    host: sip.example.net\n"
    "    username: u1\n"
    "    secret_env: RP_TEST_TRUNK_SECRET\n"
    "routes:\n"
    "  - name: fr\n"
    "    pattern: 0zxxxxxxxx\n"
    "    trunks: [ovh, peer]\n"
    "    strip: 1\n"
    "    prepend: \"+33\"\n"
    "dids:\n"
    "  - number: \"+33123456789\"\n"
    "    ext: \"100\"\n"
    "rates:\n"
    "  - {prefix: \"+33\", per_minute: \"0.01\", incr_s: 60, label: FR}\n"
    "ceilings:\n"
    "  - {scope: user, name: \"100\", hourly: \"5\"}\n"
    "fraud_rules:\n"
    "  - {rule: call-rate, count: 5}\n"
    "fraud_options: {utc_offset_min: 60}\n"
    "bans:\n"
    "  - {addr: \"2001:DB8::/32\", reason: scanner}\n";

static int
count(void *arg, const struct config_change *ch)
{
	(void)ch;
	(*(unsigned *)arg)++;
	return 0;
}

static unsigned
diff_count(const struct config *a, const struct config *b, bool prune)
{
	struct config_opts o = {.prune_users = prune};
	unsigned n = 0;

	assert_int_equal(config_diff(a, b, &o, count, &n), 0);
	return n;
}

static struct config *
read_store(struct fixture *f)
{
	struct config *cfg = NULL;

	assert_int_equal(config_read(f->db, f->k, NOW, &cfg), 0);
	return cfg;
}

/* The importer's environment: this process's. */
static const char *
test_env(void *arg, const char *name)
{
	(void)arg;
	return getenv(name);
}

/* Imports 'text' as the API does; returns the apply result. */
static int
import(
    struct fixture *f, const char *text, bool prune, struct config_errors *errs)
{
	struct config_opts o = {.prune_users = prune, .env = test_env};
	struct config *cur, *next = NULL;
	unsigned n = 0;
	int rc;

	rc = config_parse(sv_cstr(text), &next, errs);
	if (rc != 0)
		return rc;
	cur = read_store(f);
	rc = config_check(cur, next, &o, errs);
	if (rc == 0) {
		assert_int_equal(db_tx_begin(f->db), 0);
		rc = config_apply(
		    f->db, f->k, cur, next, &o, NOW, count, &n, errs);
		if (rc == 0)
			assert_int_equal(db_tx_commit(f->db), 0);
		else
			db_tx_rollback(f->db);
	}
	config_free(cur);
	config_free(next);
	return rc;
}

static bool
has_error(const struct config_errors *e, unsigned line, const char *text)
{
	for (unsigned i = 0; i < e->n; i++)
		if (e->e[i].line == line && strstr(e->e[i].text, text) != NULL)
			return true;
	return false;
}

/* Every bad field is reported, each with the line of its key. */
static void
test_parse_errors(void **state)
{
	static const char text[] =
	    "rempart_config: 1\n"
	    "trunks:\n"
	    "  - name: peer\n"
	    "    kind: ip\n"
	    "    host: 192.0.2.10\n"
	    "    acl: [192.0.2.7/24]\n"
	    "    channels: [1]\n"
	    "    colour: blue\n"
	    "users:\n"
	    "  - ext: \"100\"\n"
	    "    profile: nope\n"
	    "    srtp: maybe\n"
	    "routes:\n"
	    "  - {name: r, pattern: \"1X\", trunks: [x]}\n"
	    "misc: 1\n";
	struct config_errors errs;
	struct config *cfg = NULL;

	(void)state;
	assert_int_equal(config_parse(sv_cstr(text), &cfg, &errs), -EBADMSG);
	assert_null(cfg);
	assert_true(has_error(&errs, 6, "trunk peer: acl"));
	assert_true(has_error(&errs, 7, "channels: expected a whole number"));
	assert_true(has_error(&errs, 8, "unknown key 'colour'"));
	assert_true(has_error(&errs, 11, "unknown profile 'nope'"));
	assert_true(has_error(&errs, 12, "srtp: expected required"));
	assert_true(has_error(&errs, 14, "unknown trunk 'x'"));
	assert_true(has_error(&errs, 15, "unknown section 'misc'"));
	assert_int_equal(errs.n, 7);
	/* YAML errors carry their line; so does a missing version. */
	assert_int_equal(config_parse(SV("users: [\n"), &cfg, &errs), -EBADMSG);
	assert_true(errs.n >= 1 && errs.e[0].line >= 1);
	assert_non_null(strstr(errs.e[0].text, "YAML"));
	assert_int_equal(
	    config_parse(SV("users: []\n"), &cfg, &errs), -EBADMSG);
	assert_true(has_error(&errs, 1, "missing 'rempart_config: 1'"));
	assert_int_equal(
	    config_parse(SV("rempart_config: 2\n"), &cfg, &errs), -EBADMSG);
	assert_int_equal(config_parse(SV("- 1\n"), &cfg, &errs), -EBADMSG);
	assert_int_equal(config_parse(SV("rempart_config: 1\nbans:\n"
	                                 "  - {addr: 192.0.2.1}\n"
	                                 "  - {addr: 192.0.2.1/32}\n"),
	                     &cfg, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 4, "listed twice"));
	/* Aliases are not followed. */
	assert_int_equal(config_parse(SV("rempart_config: 1\nprofiles:\n"
	                                 "  - {name: &a x, classes: *a}\n"),
	                     &cfg, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 3, "classes"));
	/* No directives (a fuzzer found the library looping on a bad one)
	 * and no control bytes. */
	assert_int_equal(config_parse(SV("rempart_config: 1\nusers:\n"
	                                 "%  - ext: x\n"),
	                     &cfg, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 3, "directives"));
	assert_int_equal(
	    config_parse(SV("rempart_config: 1\n\x01\n"), &cfg, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 2, "control character"));
}

/* An export imports as a no-op, and an edit changes what was edited. */
static void
test_roundtrip_apply(void **state)
{
	struct fixture *f = *state;
	struct config_errors errs;
	struct config *a, *b = NULL, *c;
	struct trunk_info t;
	struct buf out, secret;
	char *edited, *p;

	/* A new registration trunk takes its secret from the environment. */
	assert_int_equal(setenv("RP_TEST_TRUNK_SECRET", "t0p-s3cret", 1), 0);
	assert_int_equal(import(f, base, false, &errs), 0);
	buf_init(&secret, 0);
	assert_int_equal(trunks_get_secret(f->db, f->k, SV("ovh"), &secret), 0);
	assert_true(sv_eq(buf_view(&secret), SV("t0p-s3cret")));
	keys_wipe_buf(&secret);
	buf_release(&secret);

	a = read_store(f);
	buf_init(&out, 0);
	assert_int_equal(config_write(a, &out), 0);
	assert_null(strstr((const char *)out.data, "t0p-s3cret"));
	assert_non_null(strstr((const char *)out.data, "secret: \"set\""));
	assert_int_equal(config_parse(buf_view(&out), &b, &errs), 0);
	assert_int_equal(diff_count(a, b, true), 0);

	/* Edit one field: exactly one change, and the store has it. */
	edited = strndup((const char *)out.data, out.len);
	assert_non_null(edited);
	p = strstr(edited, "192.0.2.10");
	assert_non_null(p);
	memcpy(p, "192.0.2.11", 10);
	config_free(b);
	assert_int_equal(config_parse(sv_cstr(edited), &b, &errs), 0);
	assert_int_equal(diff_count(a, b, false), 1);
	assert_int_equal(import(f, edited, false, &errs), 0);
	assert_int_equal(trunks_get(f->db, SV("peer"), &t), 0);
	assert_string_equal(t.host, "192.0.2.11");
	c = read_store(f);
	assert_int_equal(diff_count(c, b, true), 0);
	/* The secret is kept across an update. */
	buf_init(&secret, 0);
	assert_int_equal(trunks_get_secret(f->db, f->k, SV("ovh"), &secret), 0);
	keys_wipe_buf(&secret);
	buf_release(&secret);
	free(edited);
	config_free(a);
	config_free(b);
	config_free(c);
	buf_release(&out);
	assert_int_equal(unsetenv("RP_TEST_TRUNK_SECRET"), 0);
}

/* R-FRAUD-1..3, R-FRAUD-6: groups, membership, tenant ceilings, the
 * DISA and outdial switches and the system lists go through a file and
 * back; references inside the file are checked with their line. */
static void
test_groups_tenants(void **state)
{
	static const char text[] =
	    "rempart_config: 1\n"
	    "profiles:\n"
	    "  - {name: lobby, classes: [internal, emergency]}\n"
	    "  - {name: international, classes: [internal, international]}\n"
	    "groups:\n"
	    "  - {name: lobbyg, profile: lobby, tenant: acme}\n"
	    "  - {name: plain, description: \"No rights of its own\"}\n"
	    "users:\n"
	    "  - {ext: \"100\", group: lobbyg}\n"
	    "  - {ext: \"101\", group: plain, profile: international}\n"
	    "ceilings:\n"
	    "  - {scope: tenant, name: acme, daily: \"20\"}\n"
	    "fraud_options:\n"
	    "  disa: true\n"
	    "  system_allow: [\"+4420\"]\n"
	    "  system_deny: [\"+882\", \"+881\"]\n";
	static const char bad[] =
	    "rempart_config: 1\n"
	    "groups:\n"
	    "  - {name: g, profile: nope, tenant: Bad}\n"
	    "users:\n"
	    "  - {ext: \"100\", group: nosuch}\n"
	    "ceilings:\n"
	    "  - {scope: tenant, name: other, daily: \"1\"}\n";
	struct fixture *f = *state;
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN];
	struct config_errors errs;
	struct config *a, *b = NULL;
	struct fraudcfg_ceiling c;
	struct fraud_config fc;
	struct group_info g;
	struct user_info u;
	struct buf out;

	assert_int_equal(import(f, text, false, &errs), 0);
	assert_int_equal(groups_get(f->db, SV("lobbyg"), &g), 0);
	assert_string_equal(g.profile, "lobby");
	assert_string_equal(g.tenant, "acme");
	assert_int_equal(users_get_info(f->db, SV("100"), &u), 0);
	assert_string_equal(u.group, "lobbyg");
	assert_int_equal(
	    fraudcfg_ceiling_get(f->db, FRAUD_SCOPE_TENANT, SV("acme"), &c), 0);
	assert_int_equal(c.c.day, 20000000);
	fraud_config_defaults(&fc);
	assert_int_equal(fraudcfg_rules_load(f->db, &fc), 0);
	assert_true(fc.disa_enabled);
	assert_false(fc.outdial_enabled);
	assert_int_equal(fraudcfg_system_lists_get(f->db, allow, deny), 0);
	assert_string_equal(allow, "+4420");
	assert_string_equal(deny, "+882,+881");

	/* The export holds all of it and imports as a no-op. */
	a = read_store(f);
	buf_init(&out, 0);
	assert_int_equal(config_write(a, &out), 0);
	assert_non_null(strstr((const char *)out.data, "tenant: \"acme\""));
	assert_non_null(strstr((const char *)out.data, "group: \"lobbyg\""));
	assert_non_null(strstr((const char *)out.data, "disa: true"));
	assert_int_equal(config_parse(buf_view(&out), &b, &errs), 0);
	assert_int_equal(diff_count(a, b, true), 0);
	config_free(a);
	config_free(b);
	buf_release(&out);

	/* Leaving the groups out of the file: refused while a kept user is
	 * in one; with the users moved out, the groups and the tenant's
	 * ceiling go. */
	assert_int_equal(
	    import(f, "rempart_config: 1\n", false, &errs), -EBADMSG);
	assert_int_equal(groups_get(f->db, SV("lobbyg"), &g), 0);
	assert_int_equal(import(f,
	                     "rempart_config: 1\nusers:\n"
	                     "  - {ext: \"100\"}\n  - {ext: \"101\"}\n",
	                     false, &errs),
	    0);
	assert_int_equal(groups_get(f->db, SV("lobbyg"), &g), -ENOENT);
	assert_int_equal(
	    fraudcfg_ceiling_get(f->db, FRAUD_SCOPE_TENANT, SV("acme"), &c),
	    -ENOENT);
	fraud_config_defaults(&fc);
	assert_int_equal(fraudcfg_rules_load(f->db, &fc), 0);
	assert_false(fc.disa_enabled);

	/* Bad references, each with its line; nothing stored. */
	assert_int_equal(config_parse(sv_cstr(bad), &b, &errs), -EBADMSG);
	assert_null(b);
	assert_true(has_error(&errs, 3, "tenant"));
	assert_true(has_error(&errs, 5, "unknown group 'nosuch'"));
	assert_true(has_error(&errs, 7, "no group has the tenant 'other'"));
}

/* Objects the file leaves out are removed, users only when pruning;
 * users are never created; secrets never come from the file. */
static void
test_remove_users_secrets(void **state)
{
	struct fixture *f = *state;
	struct config_errors errs;
	struct user_info u;
	struct trunk_info t;

	assert_int_equal(setenv("RP_TEST_TRUNK_SECRET", "abc", 1), 0);
	assert_int_equal(import(f, base, false, &errs), 0);
	/* A user left out keeps its profile, which cannot go. */
	assert_int_equal(
	    import(f, "rempart_config: 1\n", false, &errs), -EBADMSG);
	assert_true(has_error(&errs, 0, "user 100, not in the file"));
	/* A file with only the users removes all the rest. */
	assert_int_equal(import(f,
	                     "rempart_config: 1\n"
	                     "users: [{ext: \"100\"}, {ext: \"101\"}]\n",
	                     false, &errs),
	    0);
	assert_int_equal(trunks_get(f->db, SV("ovh"), &t), -ENOENT);
	assert_int_equal(users_get_info(f->db, SV("101"), &u), 0);
	assert_int_equal(
	    import(
	        f, "rempart_config: 1\nusers: [{ext: \"100\"}]\n", true, &errs),
	    0);
	assert_int_equal(users_get_info(f->db, SV("101"), &u), -ENOENT);
	assert_int_equal(users_get_info(f->db, SV("100"), &u), 0);
	/* A user the store does not hold is refused. */
	assert_int_equal(
	    import(f, "rempart_config: 1\nusers: [{ext: \"555\"}]\n", false,
	        &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 2, "user 555 does not exist"));
	/* A new trunk with 'secret: set' but no secret_env. */
	assert_int_equal(import(f,
	                     "rempart_config: 1\ntrunks:\n"
	                     "  - {name: t, kind: register, host: h.example,\n"
	                     "     username: u, secret: set}\n",
	                     false, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 4, "--secret-stdin"));
	/* secret_env naming a variable not set: nothing written. */
	assert_int_equal(import(f,
	                     "rempart_config: 1\ntrunks:\n"
	                     "  - {name: t, kind: register, host: h.example,\n"
	                     "     username: u, secret_env: RP_TEST_UNSET_X}\n",
	                     false, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 3, "is not set"));
	assert_int_equal(trunks_get(f->db, SV("t"), &t), -ENOENT);
	/* A DID naming a user that pruning would remove. */
	assert_int_equal(
	    import(f,
	        "rempart_config: 1\n"
	        "dids: [{number: \"+33100000000\", ext: \"100\"}]\n",
	        true, &errs),
	    -EBADMSG);
	assert_true(has_error(&errs, 2, "--prune-users"));
	assert_int_equal(unsetenv("RP_TEST_TRUNK_SECRET"), 0);
}

/* Out of memory at every allocation of a parse: -ENOMEM, no leak. */
static void
test_parse_oom(void **state)
{
	struct config_errors errs;
	struct config *cfg = NULL;
	int rc = -ENOMEM;

	(void)state;
	for (unsigned long n = 1; rc == -ENOMEM && n < 100000; n++) {
		mem_fail_nth(n);
		rc = config_parse(sv_cstr(base), &cfg, &errs);
		mem_fail_nth(0);
		if (rc == -ENOMEM)
			assert_null(cfg);
	}
	assert_int_equal(rc, 0);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test_setup_teardown(
	        test_roundtrip_apply, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_remove_users_secrets, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_groups_tenants, setup, teardown),
	    cmocka_unit_test(test_parse_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
