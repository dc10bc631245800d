/* Unit tests for the security self-assessment on a real temporary
 * database (R-AUDIT-1): each remediation moves exactly its item,
 * attestations expire, the JSON keys stay stable, the HTML escapes. */
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
#include <jansson.h>

#include "admin/apikeys.h"
#include "audit/assess.h"
#include "store/admins.h"
#include "store/audit.h"
#include "store/bindings.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"
#include "store/trunks.h"
#include "store/users.h"

#define NOW 1790000000LL
#define DAY 86400LL

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
add_user(struct fixture *f, const char *ext, int64_t created)
{
	uint8_t md5[USERS_HA1_MD5_LEN] = {1}, sha[USERS_HA1_SHA256_LEN] = {2};

	return users_add(f->db, f->k, sv_cstr(ext), SV("n"), md5, sha, created);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct audit_entry e = {.actor = SV("root"),
	    .role = SV("admin"),
	    .source = SV("cli"),
	    .action = SV("init"),
	    .at_ms = (NOW - 3600) * 1000};

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-assess-XXXXXX",
	    sizeof("/tmp/rempart-assess-XXXXXX"));
	if (mkdtemp(f->dir) == NULL || keys_init(f->dir) != 0 ||
	    keys_load(f->dir, &f->k) != 0 || db_open(&f->db, f->dir) != 0 ||
	    audit_append(f->db, f->k, &e, NULL) != 0)
		return -1;
	for (int i = 0; i < 4; i++) {
		char ext[8];

		snprintf(ext, sizeof(ext), "%d", 100 + i);
		if (add_user(f, ext, NOW - DAY) != 0)
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
	keys_free(f->k);
	(void)nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Every item's points, in catalogue order. */
static void
run_facts(struct fixture *f, const struct assess_facts *facts,
    unsigned pts[CHECKLIST_ITEMS], unsigned *total)
{
	struct assess_input in = {
	    .db = f->db,
	    .keys = f->k,
	    .data_dir = f->dir,
	    .facts = facts,
	    .now = NOW,
	};
	struct assess_report *r = NULL;

	assert_int_equal(assess_run(&in, &r), 0);
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++)
		pts[i] = r->results[i].points;
	if (total != NULL)
		*total = r->points;
	assess_report_free(r);
}

static void
run(struct fixture *f, unsigned pts[CHECKLIST_ITEMS])
{
	run_facts(f, NULL, pts, NULL);
}

static size_t
idx(const char *id)
{
	const struct checklist_item *items;
	const struct checklist_item *it = checklist_find(sv_cstr(id));

	checklist_items(&items);
	assert_non_null(it);
	return (size_t)(it - items);
}

/* Only item 'id' differs between the two runs, from 'from' to 'to'. */
static void
only_moved(const unsigned before[CHECKLIST_ITEMS],
    const unsigned after[CHECKLIST_ITEMS], const char *id, unsigned from,
    unsigned to)
{
	size_t k = idx(id);

	assert_int_equal(before[k], from);
	assert_int_equal(after[k], to);
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++)
		if (i != k)
			assert_int_equal(before[i], after[i]);
}

/* GUIDE's bands, on points / 2. */
static void
test_band(void **state)
{
	(void)state;
	assert_string_equal(assess_band(60), "excellent");
	assert_string_equal(assess_band(48), "excellent");
	assert_string_equal(assess_band(47), "satisfactory");
	assert_string_equal(assess_band(36), "satisfactory");
	assert_string_equal(assess_band(35), "moderate");
	assert_string_equal(assess_band(24), "moderate");
	assert_string_equal(assess_band(23), "weak");
	assert_string_equal(assess_band(12), "weak");
	assert_string_equal(assess_band(11), "critical");
	assert_string_equal(assess_band(0), "critical");
}

/* R-AUDIT-1, R-CRYPTO-2: SRTP required for everyone moves G11 to 2,
 * and nothing else; half of them gives 1. */
static void
test_srtp(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], c[CHECKLIST_ITEMS];

	run(f, a);
	assert_int_equal(
	    users_set_media(f->db, SV("100"), true, SV(""), NOW), 0);
	assert_int_equal(
	    users_set_media(f->db, SV("101"), true, SV(""), NOW), 0);
	run(f, b);
	only_moved(a, b, "G11", 0, 1);
	assert_int_equal(
	    users_set_media(f->db, SV("102"), true, SV(""), NOW), 0);
	assert_int_equal(
	    users_set_media(f->db, SV("103"), true, SV(""), NOW), 0);
	run(f, c);
	only_moved(b, c, "G11", 1, 2);
}

/* R-TRUNK-3, R-NET-1: a trunk without an ACL pulls G7 down; giving it
 * one moves G7 back, and only G7. */
static void
test_trunk_acl(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], c[CHECKLIST_ITEMS];
	struct trunk_spec s = {
	    .name = SV("op"),
	    .kind = TRUNK_KIND_REGISTER,
	    .transport = TRUNK_TRANSPORT_TLS,
	    .host = SV("sip.operator.example"),
	    .username = SV("33123456789"),
	    .channels = 4,
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};

	run(f, a);
	assert_int_equal(a[idx("G7")], 1);
	assert_int_equal(
	    trunks_add(f->db, f->k, &s, SV("Secr3t-trunk"), NOW, NULL), 0);
	run(f, b);
	assert_int_equal(b[idx("G7")], 0);
	s.acl = SV("192.0.2.0/24");
	assert_int_equal(trunks_update(f->db, f->k, &s, SV_NULL, NOW, NULL), 0);
	run(f, c);
	only_moved(b, c, "G7", 0, 1);
	/* Every extension restricted too: 2. */
	for (int i = 0; i < 4; i++) {
		char ext[8];

		snprintf(ext, sizeof(ext), "%d", 100 + i);
		assert_int_equal(
		    users_set_acl(f->db, sv_cstr(ext), SV("10.0.0.0/8"), NOW),
		    0);
	}
	run(f, a);
	only_moved(c, a, "G7", 1, 2);
}

/* A plain-UDP trunk lowers G13 only; TLS restores it. */
static void
test_trunk_tls(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS];
	struct trunk_spec s = {
	    .name = SV("op"),
	    .kind = TRUNK_KIND_IP,
	    .transport = TRUNK_TRANSPORT_UDP,
	    .host = SV("192.0.2.10"),
	    .acl = SV("192.0.2.0/24"),
	    .channels = 4,
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};

	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, NOW, NULL), 0);
	run(f, a);
	s.transport = TRUNK_TRANSPORT_TLS;
	assert_int_equal(trunks_update(f->db, f->k, &s, SV_NULL, NOW, NULL), 0);
	run(f, b);
	only_moved(a, b, "G13", 0, 2);
}

/* R-AUTH-7: an extension older than 30 days that never registered nor
 * called is unused (G5); a fresh registration makes it active again. */
static void
test_unused_extension(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], c[CHECKLIST_ITEMS];
	struct binding_record br = {
	    .aor = SV("sip:old@rempart.test"),
	    .contact = SV("sip:old@192.0.2.5:5060"),
	    .expires_at = NOW + 3600,
	    .call_id = SV("c1"),
	    .cseq = 1,
	    .source = SV("tls:192.0.2.5:5061"),
	    .user_agent = SV("phone"),
	    .updated_at = NOW - 60,
	};

	run(f, a);
	assert_int_equal(add_user(f, "old", NOW - 40 * DAY), 0);
	run(f, b);
	assert_int_equal(b[idx("G5")], 1);
	assert_int_equal(bindings_save(f->db, &br), 0);
	run(f, c);
	only_moved(b, c, "G5", 1, 2);
	/* Disabling it is the other remediation. */
	assert_int_equal(bindings_delete_aor(f->db, br.aor), 0);
	assert_int_equal(users_set_enabled(f->db, SV("old"), false, NOW), 0);
	run(f, c);
	only_moved(b, c, "G5", 1, 2);
}

/* R-AUTH-6, R-ADMIN-1: an admin API key is single-factor (G2 to 0), a
 * key valid beyond a year breaks G19, too many admins break G16. */
static void
test_api_keys(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], c[CHECKLIST_ITEMS];
	char key[APIKEYS_KEY_STRLEN];
	struct apikey_info info;

	run(f, a);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_AUDITOR, SV_NULL,
	                     NOW - DAY, NOW + 400 * DAY, key, &info),
	    0);
	run(f, b);
	only_moved(a, b, "G19", 2, 0);
	assert_int_equal(apikeys_revoke(f->db, sv_cstr(info.id)), 0);
	assert_int_equal(apikeys_create(f->db, RBAC_ROLE_ADMIN, SV_NULL,
	                     NOW - DAY, NOW + 90 * DAY, key, &info),
	    0);
	run(f, b);
	only_moved(a, b, "G2", 1, 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(apikeys_create(f->db, RBAC_ROLE_ADMIN, SV_NULL,
		                     NOW - DAY, NOW + 90 * DAY, key, NULL),
		    0);
	run(f, c);
	only_moved(b, c, "G16", 2, 1);
}

/* R-AUTH-2: an admin account without TOTP fails G2; once enrolled, and
 * with no admin API key, G2 is fully met. */
static void
test_admin_mfa(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], c[CHECKLIST_ITEMS];
	uint8_t secret[ADMINS_TOTP_BYTES] = {1, 2, 3};
	char hash[ADMINS_HASH_STRLEN];

	run(f, a);
	assert_int_equal(
	    admins_hash_password(SV("Correct-Horse-Battery-9"), hash), 0);
	assert_int_equal(
	    admins_add(f->db, SV("ops"), SV("admin"), SV(""), hash, NOW), 0);
	run(f, b);
	only_moved(a, b, "G2", 1, 0);
	assert_int_equal(admins_totp_set(f->db, f->k, SV("ops"), secret), 0);
	assert_int_equal(admins_totp_use(f->db, SV("ops"), 1000, true), 0);
	run(f, c);
	only_moved(a, c, "G2", 1, 2);
}

/* R-ADMIN-4, R-OPS-4: a retention under a year moves G28 to 0; a CDR
 * retention on top of a year of audit gives 2. */
static void
test_retention(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS];

	run(f, a);
	assert_int_equal(
	    settings_set(f->db, AUDIT_SETTING_RETENTION, SV("200")), 0);
	run(f, b);
	only_moved(a, b, "G28", 1, 0);
	assert_int_equal(
	    settings_set(f->db, AUDIT_SETTING_RETENTION, SV("400")), 0);
	assert_int_equal(
	    settings_set(f->db, ASSESS_SETTING_CDR_RETENTION, SV("365")), 0);
	run(f, b);
	only_moved(a, b, "G28", 1, 2);
}

/* R-FRAUD-4: an alert channel gives 1, a recent test delivery 2. */
static void
test_alerts(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], c[CHECKLIST_ITEMS];
	char at[32];

	run(f, a);
	assert_int_equal(settings_set(f->db, ASSESS_SETTING_WEBHOOK,
	                     SV("https://hooks.example/x")),
	    0);
	run(f, b);
	only_moved(a, b, "G22", 0, 1);
	snprintf(at, sizeof(at), "%lld", NOW - DAY);
	assert_int_equal(
	    settings_set(f->db, ASSESS_SETTING_ALERT_TEST, sv_cstr(at)), 0);
	run(f, c);
	only_moved(b, c, "G22", 1, 2);
}

static void
attest(struct fixture *f, const char *id, int64_t date, unsigned points)
{
	struct checklist_attestation a = {.date = date, .points = points};
	char key[64], *text = NULL;

	snprintf(a.by, sizeof(a.by), "ops");
	snprintf(a.note, sizeof(a.note), "plan v3 <tested> & signed");
	assert_int_equal(checklist_attest_encode(&a, &text), 0);
	assert_int_equal(checklist_attest_key(id, key, sizeof(key)), 0);
	assert_int_equal(settings_set(f->db, key, sv_cstr(text)), 0);
	free(text);
}

/* R-AUDIT-1: an attestation counts for 365 days from its date. */
static void
test_attestation_expiry(void **state)
{
	struct fixture *f = *state;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS];
	struct assess_input in = {
	    .db = f->db, .keys = f->k, .data_dir = f->dir, .now = NOW};
	struct assess_report *r;
	const struct assess_result *x;
	int64_t today = NOW - NOW % DAY;

	run(f, a);
	attest(f, "G23", today - 366 * DAY, 2);
	assert_int_equal(assess_run(&in, &r), 0);
	x = assess_report_find(r, "G23");
	assert_int_equal(x->points, 0);
	assert_true(x->attested);
	assert_true(x->attest_expired);
	assert_non_null(strstr(x->evidence, "expired on"));
	assert_non_null(strstr(x->remediation, "rempart assess attest G23"));
	assess_report_free(r);
	run(f, b);
	only_moved(a, b, "G23", 0, 0);

	attest(f, "G23", today - 364 * DAY, 2);
	run(f, b);
	only_moved(a, b, "G23", 0, 2);
	attest(f, "G23", today, 1);
	run(f, b);
	only_moved(a, b, "G23", 0, 1);
	/* Dated in the future: not counted. */
	attest(f, "G23", today + 2 * DAY, 2);
	run(f, b);
	only_moved(a, b, "G23", 0, 0);
}

/* Runtime facts: written, read back while the writer lives; a dead
 * writer means "not running". TLS 1.2 allowed moves G14 only; an API
 * open to the world moves G9 only. */
static void
test_facts(void **state)
{
	struct fixture *f = *state;
	struct assess_facts w, r;
	unsigned a[CHECKLIST_ITEMS], b[CHECKLIST_ITEMS], ta, tb;
	char path[128];
	struct stat st;

	assert_int_equal(assess_facts_load(f->dir, &r), -ENOENT);
	assess_facts_defaults(&w);
	w.pid = (int64_t)getpid();
	w.started_at = NOW - 60;
	assert_int_equal(assess_facts_write(f->dir, &w), 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, ASSESS_FACTS_FILE);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(assess_facts_load(f->dir, &r), 0);
	assert_int_equal(r.nlisten, 3);
	assert_string_equal(r.listen[2].transport, "tls");
	assert_int_equal(r.listen[2].port, 5061);
	assert_int_equal(r.auth_fail_threshold, w.auth_fail_threshold);
	assert_int_equal(r.started_at, NOW - 60);
	/* The defaults score like a daemon started with no option. */
	run_facts(f, NULL, a, &ta);
	run_facts(f, &r, b, &tb);
	assert_int_equal(ta, tb);
	assert_memory_equal(a, b, sizeof(a));

	w.tls_allow_1_2 = true;
	run_facts(f, &w, b, NULL);
	only_moved(a, b, "G14", 2, 1);
	w.tls_allow_1_2 = false;
	w.api_on = true;
	snprintf(w.api_addr, sizeof(w.api_addr), "0.0.0.0");
	w.api_port = 8443;
	snprintf(w.api_allow, sizeof(w.api_allow), "0.0.0.0/0");
	run_facts(f, &w, b, NULL);
	only_moved(a, b, "G9", 2, 0);
	snprintf(w.api_allow, sizeof(w.api_allow), "10.8.0.0/24");
	run_facts(f, &w, b, NULL);
	only_moved(a, b, "G9", 2, 2);
	snprintf(w.api_allow, sizeof(w.api_allow), "198.51.100.0/24");
	run_facts(f, &w, b, NULL);
	only_moved(a, b, "G9", 2, 1);
	w.api_on = false;
	w.nlisten = 1;
	snprintf(w.listen[0].transport, sizeof(w.listen[0].transport), "tls");
	run_facts(f, &w, b, NULL);
	only_moved(a, b, "G12", 1, 2);

	/* A writer that is gone: pid 1 is never ours to claim. */
	w.pid = 1;
	assert_int_equal(assess_facts_write(f->dir, &w), 0);
	assert_int_equal(assess_facts_load(f->dir, &r), -ENOENT);
	assess_facts_remove(f->dir);
	assert_int_not_equal(stat(path, &st), 0);
	/* Not a facts file. */
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs("[1,2]", fp);
		fclose(fp);
	}
	assert_int_equal(assess_facts_load(f->dir, &r), -EBADMSG);
}

/* The audit chain result is reported with its last entry. */
static void
test_audit_chain(void **state)
{
	struct fixture *f = *state;
	struct assess_input in = {
	    .db = f->db, .keys = f->k, .data_dir = f->dir, .now = NOW};
	struct assess_report *r;
	const struct assess_result *x;

	assert_int_equal(assess_run(&in, &r), 0);
	x = assess_report_find(r, "G21");
	assert_int_equal(x->points, 2);
	assert_non_null(strstr(x->evidence, "verified to entry 1 "));
	assess_report_free(r);
	in.keys = NULL;
	assert_int_equal(assess_run(&in, &r), 0);
	assert_int_equal(assess_report_find(r, "G21")->points, 0);
	assess_report_free(r);
}

static void
assert_keys(json_t *o, const char *const *keys, size_t n)
{
	assert_true(json_is_object(o));
	assert_int_equal(json_object_size(o), n);
	for (size_t i = 0; i < n; i++)
		assert_non_null(json_object_get(o, keys[i]));
}

/* The JSON schema (README): these keys, no more, no fewer. */
static void
test_json_schema(void **state)
{
	static const char *const top[] = {"schema_version", "generated_at",
	    "software_version", "daemon", "score", "max_score", "points",
	    "max_points", "band", "items", "extra"};
	static const char *const item[] = {"id", "section", "title", "covers",
	    "method", "points", "max_points", "status", "evidence",
	    "remediation", "attestation"};
	static const char *const att[] = {
	    "date", "by", "note", "points", "expires", "expired"};
	static const char *const daemon[] = {
	    "running", "version", "started_at"};
	static const char *const extra[] = {"points", "max_points", "items"};
	struct fixture *f = *state;
	struct assess_input in = {
	    .db = f->db, .keys = f->k, .data_dir = f->dir, .now = NOW};
	struct assess_report *r;
	struct buf b;
	json_error_t jerr;
	json_t *o, *items, *x;
	size_t i;
	unsigned sum = 0;

	attest(f, "G6", NOW - NOW % DAY, 2);
	assert_int_equal(assess_run(&in, &r), 0);
	buf_init(&b, 0);
	assess_render_json(r, &b);
	assert_int_equal(buf_error(&b), 0);
	o = json_loadb(b.data, b.len, 0, &jerr);
	assert_non_null(o);
	assert_keys(o, top, RP_ARRAY_LEN(top));
	assert_keys(json_object_get(o, "daemon"), daemon, RP_ARRAY_LEN(daemon));
	assert_keys(json_object_get(o, "extra"), extra, RP_ARRAY_LEN(extra));
	assert_int_equal(
	    json_integer_value(json_object_get(o, "schema_version")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(o, "points")), r->points);
	assert_true(json_real_value(json_object_get(o, "score")) * 2 ==
	            (double)r->points);
	items = json_object_get(o, "items");
	assert_int_equal(json_array_size(items), 30);
	json_array_foreach(items, i, x)
	{
		assert_keys(x, item, RP_ARRAY_LEN(item));
		sum +=
		    (unsigned)json_integer_value(json_object_get(x, "points"));
	}
	assert_int_equal(sum, r->points);
	x = json_array_get(items, 5);
	assert_string_equal(json_string_value(json_object_get(x, "id")), "G6");
	assert_keys(json_object_get(x, "attestation"), att, RP_ARRAY_LEN(att));
	assert_true(json_is_null(
	    json_object_get(json_array_get(items, 0), "attestation")));
	assert_int_equal(json_array_size(json_object_get(
	                     json_object_get(o, "extra"), "items")),
	    CHECKLIST_EXTRA_ITEMS);
	json_decref(o);
	buf_release(&b);
	assess_report_free(r);
}

/* The HTML report: standalone, escaped, no script. */
static void
test_html(void **state)
{
	struct fixture *f = *state;
	struct assess_input in = {
	    .db = f->db, .keys = f->k, .data_dir = f->dir, .now = NOW};
	struct assess_report *r;
	struct buf b;

	attest(f, "G24", NOW - NOW % DAY, 2);
	assert_int_equal(assess_run(&in, &r), 0);
	buf_init(&b, 0);
	assess_render_html(r, &b);
	buf_append_char(&b, '\0');
	assert_int_equal(buf_error(&b), 0);
	assert_non_null(strstr(b.data, "<!DOCTYPE html>"));
	assert_non_null(strstr(b.data, "plan v3 &lt;tested&gt; &amp; signed"));
	assert_null(strstr(b.data, "<tested>"));
	assert_null(strstr(b.data, "<script"));
	assert_null(strstr(b.data, "http://"));
	assert_null(strstr(b.data, "https://"));
	buf_release(&b);
	buf_init(&b, 0);
	assess_render_text(r, &b);
	buf_append_char(&b, '\0');
	assert_non_null(strstr(b.data, "GUIDE score: "));
	assert_non_null(strstr(b.data, "[2/2] G24"));
	buf_release(&b);
	assess_report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_band),
	    cmocka_unit_test_setup_teardown(test_srtp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trunk_acl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trunk_tls, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_unused_extension, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_api_keys, setup, teardown),

	    cmocka_unit_test_setup_teardown(test_admin_mfa, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alerts, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_attestation_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_facts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_audit_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_html, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
