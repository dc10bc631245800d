/* Unit tests for administrator accounts and sessions (R-ADMIN-1,
 * R-AUTH-2, R-AUTH-6). */
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

#include <cmocka.h>
#include <sqlite3.h>

#include "store/admins.h"

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	struct keys *k;
	char hash[ADMINS_HASH_STRLEN];
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
	memcpy(f->dir, "/tmp/rempart-admins-XXXXXX",
	    sizeof("/tmp/rempart-admins-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	/* A real argon2id hash, made once per test group. */
	if (admins_hash_password(SV("Correct-Horse-42"), f->hash) != 0)
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
raw_exec(const char *path, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

/* R-AUTH-2: argon2id hashes verify the right password only. */
static void
test_hash_verify(void **state)
{
	struct fixture *f = *state;
	char other[ADMINS_HASH_STRLEN];

	assert_memory_equal(f->hash, "$argon2id$", 10);
	assert_true(admins_password_matches(f->hash, SV("Correct-Horse-42")));
	assert_false(admins_password_matches(f->hash, SV("Correct-Horse-43")));
	assert_false(admins_password_matches(f->hash, SV("")));
	/* Salted: the same password hashes differently. */
	assert_int_equal(
	    admins_hash_password(SV("Correct-Horse-42"), other), 0);
	assert_string_not_equal(other, f->hash);
	assert_true(admins_password_matches(other, SV("Correct-Horse-42")));
	assert_int_equal(admins_hash_password(SV(""), other), -EINVAL);
}

static void
test_names_and_roles(void **state)
{
	(void)state;
	assert_true(admins_name_valid(SV("alice")));
	assert_true(admins_name_valid(SV("ops.team-2_b")));
	assert_false(admins_name_valid(SV("")));
	assert_false(admins_name_valid(SV("Alice")));
	assert_false(admins_name_valid(SV(".alice")));
	assert_false(admins_name_valid(SV("a b")));
	assert_false(
	    admins_name_valid(SV("a23456789012345678901234567890123")));
	assert_true(admins_role_valid(SV("helpdesk")));
	assert_false(admins_role_valid(SV("root")));
	assert_true(admins_role_needs_totp("admin"));
	assert_true(admins_role_needs_totp("auditor"));
	assert_false(admins_role_needs_totp("helpdesk"));
	assert_false(admins_role_needs_totp("user"));
}

/* R-ADMIN-1: accounts with a role; 'user' needs its extension. */
static void
test_add_get_list_remove(void **state)
{
	struct fixture *f = *state;
	struct admins_account a;

	assert_int_equal(
	    admins_add(f->db, SV("alice"), SV("admin"), SV(""), f->hash, 100),
	    0);
	assert_int_equal(
	    admins_add(f->db, SV("alice"), SV("auditor"), SV(""), f->hash, 1),
	    -EEXIST);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("root"), SV(""), f->hash, 1),
	    -EINVAL);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("user"), SV(""), f->hash, 1),
	    -EINVAL);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("admin"), SV("101"), f->hash, 1),
	    -EINVAL);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("admin"), SV(""), "plain", 1),
	    -EINVAL);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("user"), SV("101"), f->hash, 5), 0);
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_string_equal(a.role, "admin");
	assert_string_equal(a.ext, "");
	assert_int_equal(a.password_changed_at, 100);
	assert_false(a.totp_set);
	assert_false(a.totp_enrolled);
	assert_false(a.disabled);
	assert_int_equal(a.last_login, 0);
	assert_int_equal(admins_get(f->db, SV("bob"), &a), 0);
	assert_string_equal(a.ext, "101");
	assert_int_equal(admins_get(f->db, SV("carol"), &a), -ENOENT);
	assert_int_equal(admins_remove(f->db, SV("bob")), 0);
	assert_int_equal(admins_remove(f->db, SV("bob")), -ENOENT);
	assert_int_equal(admins_get(f->db, SV("bob"), &a), -ENOENT);
	/* A row altered outside rempart is refused, not trusted. */
	raw_exec(f->path, "UPDATE admins SET pw_hash = 'x' WHERE name = "
	                  "'alice'");
	assert_int_equal(admins_get(f->db, SV("alice"), &a), -EBADMSG);
}

/* R-AUTH-6: the lockout state round-trips; a good login clears it. */
static void
test_lock_state(void **state)
{
	struct fixture *f = *state;
	struct adminpw_lock l = {0};
	struct admins_account a;

	assert_int_equal(
	    admins_add(f->db, SV("alice"), SV("admin"), SV(""), f->hash, 1), 0);
	for (unsigned i = 0; i < ADMINPW_FAIL_MAX; i++)
		(void)adminpw_fail(&l, 1000);
	assert_int_equal(admins_set_lock(f->db, SV("alice"), &l), 0);
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_true(adminpw_locked(&a.lock, 1000));
	assert_int_equal(a.lock.locked_until, 1000 + ADMINPW_LOCK_BASE_S);
	assert_int_equal(a.lock.locks, 1);
	assert_int_equal(admins_login_ok(f->db, SV("alice"), 5000), 0);
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_false(adminpw_locked(&a.lock, 1000));
	assert_int_equal(a.lock.locks, 0);
	assert_int_equal(a.last_login, 5000);
	assert_int_equal(admins_set_lock(f->db, SV("nobody"), &l), -ENOENT);
	assert_int_equal(admins_login_ok(f->db, SV("nobody"), 1), -ENOENT);
}

/* R-AUTH-6: the TOTP secret is sealed, bound to its account, and a
 * step is accepted once. */
static void
test_totp_secret(void **state)
{
	struct fixture *f = *state;
	uint8_t s[ADMINS_TOTP_BYTES], back[ADMINS_TOTP_BYTES];
	struct admins_account a;

	for (size_t i = 0; i < sizeof(s); i++)
		s[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(
	    admins_add(f->db, SV("alice"), SV("admin"), SV(""), f->hash, 1), 0);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("admin"), SV(""), f->hash, 1), 0);
	assert_int_equal(
	    admins_totp_get(f->db, f->k, SV("alice"), back), -ENOENT);
	assert_int_equal(admins_totp_use(f->db, SV("alice"), 5, true), -ENOENT);
	assert_int_equal(admins_totp_set(f->db, f->k, SV("alice"), s), 0);
	assert_int_equal(admins_totp_get(f->db, f->k, SV("alice"), back), 0);
	assert_memory_equal(s, back, sizeof(s));
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_true(a.totp_set);
	assert_false(a.totp_enrolled);
	assert_int_equal(admins_totp_use(f->db, SV("alice"), 100, true), 0);
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_true(a.totp_enrolled);
	assert_int_equal(a.totp_last_step, 100);
	/* Replays: the same step, or an older one. */
	assert_int_equal(
	    admins_totp_use(f->db, SV("alice"), 100, false), -EALREADY);
	assert_int_equal(
	    admins_totp_use(f->db, SV("alice"), 99, false), -EALREADY);
	assert_int_equal(admins_totp_use(f->db, SV("alice"), 101, false), 0);
	/* A sealed secret copied to another account does not open. */
	raw_exec(f->path, "UPDATE admins SET totp_secret = (SELECT "
	                  "totp_secret FROM admins WHERE name = 'alice') "
	                  "WHERE name = 'bob'");
	assert_int_equal(
	    admins_totp_get(f->db, f->k, SV("bob"), back), -EBADMSG);
	assert_int_equal(admins_totp_reset(f->db, SV("alice"), 7), 0);
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_false(a.totp_set);
	assert_false(a.totp_enrolled);
	assert_int_equal(a.totp_last_step, 0);
	assert_int_equal(admins_totp_reset(f->db, SV("nobody"), 7), -ENOENT);
}

/* R-AUTH-6: sessions: idle timeout, absolute lifetime, logout. */
static void
test_sessions(void **state)
{
	struct fixture *f = *state;
	char tok[ADMINS_TOKEN_STRLEN], csrf[ADMINS_TOKEN_STRLEN],
	    tok2[ADMINS_TOKEN_STRLEN];
	struct admins_session s;
	int64_t t = 1000000;

	assert_int_equal(
	    admins_add(f->db, SV("alice"), SV("admin"), SV(""), f->hash, 1), 0);
	assert_int_equal(admins_session_new(f->db, SV("nobody"),
	                     SV("127.0.0.1"), t, tok, csrf),
	    -ENOENT);
	assert_int_equal(
	    admins_session_new(f->db, SV("alice"), SV("a b"), t, tok, csrf),
	    -EINVAL);
	assert_int_equal(admins_session_new(
	                     f->db, SV("alice"), SV("127.0.0.1"), t, tok, csrf),
	    0);
	assert_int_equal(strlen(tok), ADMINS_TOKEN_LEN);
	assert_string_not_equal(tok, csrf);
	assert_int_equal(admins_session_check(f->db, sv_cstr(tok), t + 60,
	                     ADMINS_IDLE_DEFAULT_S, &s),
	    0);
	assert_string_equal(s.account, "alice");
	assert_string_equal(s.csrf, csrf);
	assert_string_equal(s.source, "127.0.0.1");
	assert_int_equal(s.last_seen, t + 60);
	/* Only the token's hash is stored. */
	{
		sqlite3 *h;
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(h,
		                     "SELECT count(*) FROM admin_sessions "
		                     "WHERE instr(id_hash, ?1) > 0",
		                     -1, &st, NULL),
		    SQLITE_OK);
		sqlite3_bind_text(st, 1, tok, -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 0);
		sqlite3_finalize(st);
		sqlite3_close(h);
	}
	/* Each use moves the idle deadline. */
	assert_int_equal(admins_session_check(f->db, sv_cstr(tok),
	                     t + 60 + 14 * 60, ADMINS_IDLE_DEFAULT_S, &s),
	    0);
	assert_int_equal(admins_session_check(f->db, sv_cstr(tok),
	                     t + 60 + 29 * 60, ADMINS_IDLE_DEFAULT_S, &s),
	    -EACCES);
	/* Expired sessions are gone for good. */
	assert_int_equal(admins_session_check(f->db, sv_cstr(tok), t + 61,
	                     ADMINS_IDLE_DEFAULT_S, &s),
	    -EACCES);
	/* The absolute lifetime holds however busy the session. */
	assert_int_equal(admins_session_new(
	                     f->db, SV("alice"), SV("127.0.0.1"), t, tok, csrf),
	    0);
	for (int64_t at = t; at < t + ADMINS_SESSION_MAX_S; at += 600)
		assert_int_equal(admins_session_check(f->db, sv_cstr(tok), at,
		                     ADMINS_IDLE_DEFAULT_S, &s),
		    0);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(tok), t + ADMINS_SESSION_MAX_S,
	        ADMINS_IDLE_DEFAULT_S, &s),
	    -EACCES);
	/* Malformed and unknown tokens. */
	assert_int_equal(
	    admins_session_check(f->db, SV("short"), t, 900, &s), -EACCES);
	memset(tok2, 'A', ADMINS_TOKEN_LEN);
	tok2[ADMINS_TOKEN_LEN] = '\0';
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(tok2), t, 900, &s), -EACCES);
	tok2[0] = '*';
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(tok2), t, 900, &s), -EACCES);
	/* Logout ends one session. */
	assert_int_equal(admins_session_new(
	                     f->db, SV("alice"), SV("127.0.0.1"), t, tok, csrf),
	    0);
	assert_int_equal(admins_session_new(f->db, SV("alice"), SV("127.0.0.1"),
	                     t, tok2, csrf),
	    0);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(tok), t, 900, &s), 0);
	assert_int_equal(admins_session_end(f->db, s.id_hash), 0);
	assert_int_equal(admins_session_end(f->db, s.id_hash), -ENOENT);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(tok), t, 900, &s), -EACCES);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(tok2), t, 900, &s), 0);
}

/* R-AUTH-2: a password change, disabling, a TOTP reset or removal end
 * every session of the account, and only of that account. */
static void
test_sessions_end_with_changes(void **state)
{
	struct fixture *f = *state;
	char a1[ADMINS_TOKEN_STRLEN], a2[ADMINS_TOKEN_STRLEN],
	    b1[ADMINS_TOKEN_STRLEN], csrf[ADMINS_TOKEN_STRLEN];
	struct admins_session s;
	struct admins_account a;
	uint64_t ended = 0;
	int64_t t = 2000;

	assert_int_equal(
	    admins_add(f->db, SV("alice"), SV("admin"), SV(""), f->hash, 1), 0);
	assert_int_equal(
	    admins_add(f->db, SV("bob"), SV("helpdesk"), SV(""), f->hash, 1),
	    0);
	assert_int_equal(
	    admins_session_new(f->db, SV("alice"), SV("::1"), t, a1, csrf), 0);
	assert_int_equal(
	    admins_session_new(f->db, SV("alice"), SV("::1"), t, a2, csrf), 0);
	assert_int_equal(
	    admins_session_new(f->db, SV("bob"), SV("::1"), t, b1, csrf), 0);
	assert_int_equal(
	    admins_set_password(f->db, SV("alice"), f->hash, t + 5, &ended), 0);
	assert_int_equal(ended, 2);
	assert_int_equal(admins_get(f->db, SV("alice"), &a), 0);
	assert_int_equal(a.password_changed_at, t + 5);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(a1), t, 900, &s), -EACCES);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(a2), t, 900, &s), -EACCES);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(b1), t, 900, &s), 0);
	assert_int_equal(
	    admins_set_password(f->db, SV("nobody"), f->hash, t, NULL),
	    -ENOENT);
	assert_int_equal(
	    admins_set_password(f->db, SV("alice"), "x", t, NULL), -EINVAL);
	assert_int_equal(admins_set_disabled(f->db, SV("bob"), true, t), 0);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(b1), t, 900, &s), -EACCES);
	assert_int_equal(admins_get(f->db, SV("bob"), &a), 0);
	assert_true(a.disabled);
	assert_int_equal(admins_set_disabled(f->db, SV("bob"), false, t), 0);
	assert_int_equal(admins_get(f->db, SV("bob"), &a), 0);
	assert_false(a.disabled);
	assert_int_equal(
	    admins_set_disabled(f->db, SV("nobody"), true, t), -ENOENT);
	assert_int_equal(
	    admins_session_new(f->db, SV("bob"), SV("::1"), t, b1, csrf), 0);
	assert_int_equal(admins_totp_reset(f->db, SV("bob"), t), 0);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(b1), t, 900, &s), -EACCES);
	assert_int_equal(
	    admins_session_new(f->db, SV("bob"), SV("::1"), t, b1, csrf), 0);
	assert_int_equal(admins_remove(f->db, SV("bob")), 0);
	assert_int_equal(
	    admins_session_check(f->db, sv_cstr(b1), t, 900, &s), -EACCES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_hash_verify, setup, teardown),
	    cmocka_unit_test(test_names_and_roles),
	    cmocka_unit_test_setup_teardown(
	        test_add_get_list_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lock_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_totp_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sessions_end_with_changes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
