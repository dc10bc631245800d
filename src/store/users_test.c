/* Unit tests for the users repository (R-AUTH-1, R-AUTH-4,
 * R-CRYPTO-3, R-OPS-3). */
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
#include <sqlite3.h>

#include "core/mem.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/users.h"

struct fixture {
	char dir[64];
	char path[128];
	struct db *db;
	struct keys *k;
	uint8_t md5[USERS_HA1_MD5_LEN];
	uint8_t sha[USERS_HA1_SHA256_LEN];
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
	memcpy(f->dir, "/tmp/rempart-users-XXXXXX",
	    sizeof("/tmp/rempart-users-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(f->md5); i++)
		f->md5[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(f->sha); i++)
		f->sha[i] = (uint8_t)(0x30 + i);
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

static int
add(struct fixture *f, const char *ext, const char *name, int64_t now)
{
	return users_add(
	    f->db, f->k, sv_cstr(ext), sv_cstr(name), f->md5, f->sha, now);
}

static void
test_add_get(void **state)
{
	struct fixture *f = *state;
	struct user_record r;
	uint8_t zero[USERS_HA1_SHA256_LEN] = {0};

	assert_int_equal(add(f, "1001", "Zoë Martin", 1000), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_string_equal(r.info.ext, "1001");
	assert_string_equal(r.info.display_name, "Zoë Martin");
	assert_true(r.info.enabled);
	assert_int_equal(r.info.created_at, 1000);
	assert_int_equal(r.info.updated_at, 1000);
	assert_memory_equal(r.ha1_md5, f->md5, USERS_HA1_MD5_LEN);
	assert_memory_equal(r.ha1_sha256, f->sha, USERS_HA1_SHA256_LEN);
	users_record_wipe(&r);
	assert_memory_equal(r.ha1_md5, zero, USERS_HA1_MD5_LEN);
	assert_memory_equal(r.ha1_sha256, zero, USERS_HA1_SHA256_LEN);
	assert_int_equal(users_get(f->db, f->k, SV("1002"), &r), -ENOENT);
	/* An empty display name is allowed. */
	assert_int_equal(
	    users_add(f->db, f->k, SV("1002"), SV_NULL, f->md5, f->sha, 5), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1002"), &r), 0);
	assert_string_equal(r.info.display_name, "");
	users_record_wipe(&r);
}

/* R-ADMIN-5: config import renames and prunes users. */
static void
test_set_name_remove(void **state)
{
	struct fixture *f = *state;
	struct user_info u;
	uint64_t n = 0;

	assert_int_equal(add(f, "1001", "A", 1), 0);
	assert_int_equal(add(f, "1002", "B", 1), 0);
	assert_int_equal(users_set_name(f->db, SV("1001"), SV("Anne"), 7), 0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.display_name, "Anne");
	assert_int_equal(u.updated_at, 7);
	assert_int_equal(
	    users_set_name(f->db, SV("1001"), SV("bad\x01"), 8), -EINVAL);
	assert_int_equal(
	    users_set_name(f->db, SV("1003"), SV("C"), 8), -ENOENT);
	/* An alternate naming the user keeps it. */
	assert_int_equal(
	    users_set_continuity(f->db, SV("1002"), SV("1001"), SV_NULL, 9), 0);
	assert_int_equal(users_remove(f->db, SV("1001")), -EBUSY);
	assert_int_equal(users_remove(f->db, SV("1002")), 0);
	assert_int_equal(users_remove(f->db, SV("1002")), -ENOENT);
	assert_int_equal(users_remove(f->db, SV("-x")), -EINVAL);
	assert_int_equal(users_remove(f->db, SV("1001")), 0);
	assert_int_equal(users_count(f->db, &n), 0);
	assert_int_equal(n, 0);
}

static void
test_duplicate(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 0;

	assert_int_equal(add(f, "1001", "A", 1), 0);
	assert_int_equal(add(f, "1001", "B", 2), -EEXIST);
	assert_int_equal(users_count(f->db, &n), 0);
	assert_int_equal(n, 1);
}

static void
test_invalid_ext(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {"",
	    "123456789012345678901234567890123", "10 01", "10/01", "..", ".",
	    ".hidden", "-rf", "é", "1001@x", "a:b", "a\nb", "a;b", "%31"};
	static const char *const good[] = {"1",
	    "12345678901234567890123456789012", "a.b_c-D", "0", "9.", "x-"};
	struct user_record r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sv ext = sv_cstr(bad[i]);

		assert_false(users_ext_valid(ext));
		assert_int_equal(
		    users_add(f->db, f->k, ext, SV("n"), f->md5, f->sha, 1),
		    -EINVAL);
		assert_int_equal(users_get(f->db, f->k, ext, &r), -EINVAL);
		assert_int_equal(
		    users_set_enabled(f->db, ext, false, 1), -EINVAL);
		assert_int_equal(
		    users_set_ha1(f->db, f->k, ext, f->md5, f->sha, 1),
		    -EINVAL);
	}
	assert_false(users_ext_valid(sv_make("10\0"
	                                     "1",
	    4)));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(add(f, good[i], "n", 1), 0);
}

static void
test_invalid_name(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {"line\nbreak", "tab\there", "del\x7f",
	    "esc\x1b[31m", "c1\xc2\x85", "cut\xc3", "overlong\xc0\xaf",
	    "overlong\xe0\x80\xaf", "surrogate\xed\xa0\x80",
	    "big\xf4\x90\x80\x80", "bad\xff", "cont\x80", "rlo\xe2\x80\xae",
	    "lrm\xe2\x80\x8e", "isolate\xe2\x81\xa6", "ls\xe2\x80\xa8",
	    "bom\xef\xbb\xbf", "nonchar\xef\xbf\xbf"};
	char name[USERS_NAME_BYTES_MAX + 8];
	struct user_record r;
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(users_name_valid(sv_cstr(bad[i])));
		assert_int_equal(add(f, "1001", bad[i], 1), -EINVAL);
	}
	assert_false(users_name_valid(sv_make("nul\0x", 5)));
	/* 64 characters, whatever their size, and not 65. */
	memset(name, 'a', 64);
	assert_true(users_name_valid(sv_make(name, 64)));
	assert_false(users_name_valid(sv_make(name, 65)));
	for (size_t i = 0; i < 64; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	assert_true(users_name_valid(sv_make(name, 128)));
	memcpy(name + 128, "\xc3\xa9", 2);
	assert_false(users_name_valid(sv_make(name, 130)));
	for (size_t i = 0; i < 64; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);
	assert_true(users_name_valid(sv_make(name, USERS_NAME_BYTES_MAX)));
	assert_int_equal(
	    users_add(f->db, f->k, SV("1001"),
	        sv_make(name, USERS_NAME_BYTES_MAX), f->md5, f->sha, 1),
	    0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_int_equal(strlen(r.info.display_name), USERS_NAME_BYTES_MAX);
	users_record_wipe(&r);
	assert_true(users_name_valid(SV("O'Brien \"Jo\" <x> 東京 €")));
	assert_int_equal(users_count(f->db, &n), 0);
	assert_int_equal(n, 1);
}

struct list_ctx {
	char exts[8][USERS_EXT_MAX + 1];
	bool enabled[8];
	int n;
	int stop_after;
};

static int
collect(void *arg, const struct user_info *u)
{
	struct list_ctx *c = arg;

	assert_true(c->n < 8);
	memcpy(c->exts[c->n], u->ext, sizeof(u->ext));
	c->enabled[c->n] = u->enabled;
	c->n++;
	return c->n == c->stop_after ? 7 : 0;
}

static void
test_list(void **state)
{
	struct fixture *f = *state;
	struct list_ctx c = {0};

	assert_int_equal(users_list(f->db, collect, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(add(f, "2000", "b", 1), 0);
	assert_int_equal(add(f, "1000", "a", 1), 0);
	assert_int_equal(add(f, "3000", "c", 1), 0);
	assert_int_equal(users_set_enabled(f->db, SV("2000"), false, 2), 0);
	assert_int_equal(users_list(f->db, collect, &c), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.exts[0], "1000");
	assert_string_equal(c.exts[1], "2000");
	assert_string_equal(c.exts[2], "3000");
	assert_true(c.enabled[0]);
	assert_false(c.enabled[1]);
	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	assert_int_equal(users_list(f->db, collect, &c), 7);
	assert_int_equal(c.n, 2);
	/* A row written behind our back that breaks the rules. */
	raw_exec(f->path, "UPDATE users SET ext = "
	                  "'123456789012345678901234567890123' WHERE ext = "
	                  "'3000'");
	memset(&c, 0, sizeof(c));
	assert_int_equal(users_list(f->db, collect, &c), -EBADMSG);
}

static void
test_disable(void **state)
{
	struct fixture *f = *state;
	struct user_record r;

	assert_int_equal(add(f, "1001", "A", 10), 0);
	assert_int_equal(users_set_enabled(f->db, SV("1001"), false, 20), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_false(r.info.enabled);
	assert_int_equal(r.info.created_at, 10);
	assert_int_equal(r.info.updated_at, 20);
	users_record_wipe(&r);
	assert_int_equal(users_set_enabled(f->db, SV("1001"), true, 30), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_true(r.info.enabled);
	users_record_wipe(&r);
	assert_int_equal(
	    users_set_enabled(f->db, SV("1002"), false, 1), -ENOENT);
}

static void
test_set_ha1(void **state)
{
	struct fixture *f = *state;
	uint8_t md5[USERS_HA1_MD5_LEN], sha[USERS_HA1_SHA256_LEN];
	struct user_record r;

	memset(md5, 0x11, sizeof(md5));
	memset(sha, 0x22, sizeof(sha));
	assert_int_equal(add(f, "1001", "A", 10), 0);
	assert_int_equal(
	    users_set_ha1(f->db, f->k, SV("1001"), md5, sha, 40), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_memory_equal(r.ha1_md5, md5, sizeof(md5));
	assert_memory_equal(r.ha1_sha256, sha, sizeof(sha));
	assert_int_equal(r.info.updated_at, 40);
	users_record_wipe(&r);
	assert_int_equal(
	    users_set_ha1(f->db, f->k, SV("1002"), md5, sha, 40), -ENOENT);
}

static void
test_count(void **state)
{
	struct fixture *f = *state;
	uint64_t n = 99;
	char ext[8];

	assert_int_equal(users_count(f->db, &n), 0);
	assert_int_equal(n, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(ext, sizeof(ext), "%d", 100 + i);
		assert_int_equal(add(f, ext, "x", 1), 0);
	}
	assert_int_equal(users_count(f->db, &n), 0);
	assert_int_equal(n, 5);
}

/* Reads a whole file into a new buffer. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	long size;

	*len = 0;
	if (fp == NULL)
		return NULL;
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size >= 0);
	rewind(fp);
	data = malloc((size_t)size + 1);
	assert_non_null(data);
	*len = fread(data, 1, (size_t)size, fp);
	fclose(fp);
	return data;
}

/* R-CRYPTO-3: the HA1s are stored sealed: neither the BLOBs, nor the
 * database file, nor its WAL hold the plaintext bytes. */
static void
test_ha1_encrypted_at_rest(void **state)
{
	struct fixture *f = *state;
	const char *suffix[] = {"", "-wal"};
	char path[160];
	sqlite3_stmt *s;
	sqlite3 *h;
	uint8_t *data;
	size_t len;

	assert_int_equal(add(f, "1001", "A", 1), 0);
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h,
	                     "SELECT ha1_md5, ha1_sha256 FROM users WHERE ext "
	                     "= '1001'",
	                     -1, &s, NULL),
	    SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	for (int col = 0; col < 2; col++) {
		const void *blob = sqlite3_column_blob(s, col);
		size_t n = (size_t)sqlite3_column_bytes(s, col);

		assert_int_equal(
		    n, (col == 0 ? USERS_HA1_MD5_LEN : USERS_HA1_SHA256_LEN) +
		           KEYS_SEAL_OVERHEAD);
		assert_null(memmem(blob, n, f->md5, sizeof(f->md5)));
		assert_null(memmem(blob, n, f->sha, sizeof(f->sha)));
		assert_null(memmem(blob, n, f->md5, 4));
		assert_null(memmem(blob, n, f->sha, 4));
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s%s", f->path, suffix[i]);
		data = slurp(path, &len);
		if (data == NULL)
			continue;
		assert_null(memmem(data, len, f->md5, sizeof(f->md5)));
		assert_null(memmem(data, len, f->sha, sizeof(f->sha)));
		free(data);
	}
}

/* R-CRYPTO-3: a sealed HA1 copied to another row, swapped with the
 * other column, altered, or opened under another key, does not open. */
static void
test_blob_bound_to_row(void **state)
{
	struct fixture *f = *state;
	uint8_t zero[USERS_HA1_SHA256_LEN] = {0};
	struct keys *other = NULL;
	struct user_record r;
	char keyfile[160];

	assert_int_equal(add(f, "1001", "A", 1), 0);
	assert_int_equal(add(f, "1002", "B", 1), 0);
	assert_int_equal(add(f, "1003", "C", 1), 0);
	assert_int_equal(add(f, "1004", "D", 1), 0);
	raw_exec(f->path, "UPDATE users SET ha1_md5 = (SELECT ha1_md5 FROM "
	                  "users WHERE ext = '1001') WHERE ext = '1002'");
	memset(&r, 0xee, sizeof(r));
	assert_int_equal(users_get(f->db, f->k, SV("1002"), &r), -EBADMSG);
	assert_memory_equal(r.ha1_md5, zero, USERS_HA1_MD5_LEN);
	assert_memory_equal(r.ha1_sha256, zero, USERS_HA1_SHA256_LEN);
	raw_exec(f->path,
	    "UPDATE users SET ha1_md5 = ha1_sha256, ha1_sha256 = ha1_md5 "
	    "WHERE ext = '1003'");
	assert_int_equal(users_get(f->db, f->k, SV("1003"), &r), -EBADMSG);
	raw_exec(f->path, "UPDATE users SET ha1_sha256 = "
	                  "substr(ha1_sha256, 1, 20) || x'00' || "
	                  "substr(ha1_sha256, 22) WHERE ext = '1004'");
	assert_int_equal(users_get(f->db, f->k, SV("1004"), &r), -EBADMSG);
	raw_exec(f->path, "UPDATE users SET ha1_md5 = 'text' WHERE ext = "
	                  "'1004'");
	assert_int_equal(users_get(f->db, f->k, SV("1004"), &r), -EBADMSG);
	/* The untouched row still opens; under another key it does not. */
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	users_record_wipe(&r);
	snprintf(keyfile, sizeof(keyfile), "%s/%s/%s", f->dir, KEYS_DIR_NAME,
	    KEYS_FILE_NAME);
	assert_int_equal(unlink(keyfile), 0);
	assert_int_equal(keys_init(f->dir), 0);
	assert_int_equal(keys_load(f->dir, &other), 0);
	assert_int_equal(users_get(f->db, other, SV("1001"), &r), -EBADMSG);
	keys_free(other);
}

/* Out of memory at every allocation of a write: either it succeeds, or
 * nothing at all is written. */
static void
test_oom_atomic(void **state)
{
	struct fixture *f = *state;
	uint8_t md5[USERS_HA1_MD5_LEN], sha[USERS_HA1_SHA256_LEN];
	struct user_record r;
	int rc, failures = 0;

	for (unsigned long n = 1; n < 50; n++) {
		mem_fail_nth(n);
		rc = add(f, "1001", "A", 1);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		failures++;
		assert_int_equal(
		    users_get(f->db, f->k, SV("1001"), &r), -ENOENT);
	}
	assert_true(failures > 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	users_record_wipe(&r);

	memset(md5, 0x11, sizeof(md5));
	memset(sha, 0x22, sizeof(sha));
	failures = 0;
	for (unsigned long n = 1; n < 50; n++) {
		mem_fail_nth(n);
		rc = users_set_ha1(f->db, f->k, SV("1001"), md5, sha, 2);
		mem_fail_nth(0);
		if (rc == 0)
			break;
		assert_int_equal(rc, -ENOMEM);
		failures++;
		assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
		assert_memory_equal(r.ha1_md5, f->md5, sizeof(md5));
		assert_memory_equal(r.ha1_sha256, f->sha, sizeof(sha));
		users_record_wipe(&r);
	}
	assert_true(failures > 0);
	mem_fail_nth(1);
	rc = users_get(f->db, f->k, SV("1001"), &r);
	mem_fail_nth(0);
	assert_int_equal(rc, -ENOMEM);
	assert_memory_equal(r.ha1_sha256, (uint8_t[32]){0}, 32);
}

static void
test_codecs_normalise(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
	    {"", ""},
	    {"  ", ""},
	    {"opus", "opus"},
	    {"PCMU, opus ,\tG722", "PCMU,opus,G722"},
	    {"telephone-event,L16,x.y_z", "telephone-event,L16,x.y_z"},
	};
	static const char *const bad[] = {",", "opus,", ",opus", "opus,,PCMU",
	    "op us", "opus;PCMU", "PCMU,pcmu", "OPUS,opus", "é",
	    "123456789012345678901234567890123", "a/b", "a\nb"};
	char out[USERS_CODECS_STRLEN], in[USERS_CODECS_STRLEN * 2];
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
		    users_codecs_normalise(sv_cstr(good[i].in), out), 0);
		assert_string_equal(out, good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(out, "junk", 5);
		assert_int_equal(
		    users_codecs_normalise(sv_cstr(bad[i]), out), -EINVAL);
		assert_string_equal(out, "");
	}
	assert_int_equal(
	    users_codecs_normalise(sv_make("op\0us", 5), out), -EINVAL);
	/* 16 names of 32 characters fit; a 17th does not. */
	for (int i = 0; i < USERS_CODECS_MAX; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len, "%s%031d%c",
		    i > 0 ? "," : "", i, 'x');
	assert_int_equal(users_codecs_normalise(sv_make(in, len), out), 0);
	assert_int_equal(strlen(out), len);
	len += (size_t)snprintf(in + len, sizeof(in) - len, ",extra");
	assert_int_equal(users_codecs_normalise(sv_make(in, len), out), -E2BIG);
}

static void
test_acl_normalise(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
	    {"", ""},
	    {"192.0.2.7", "192.0.2.7"},
	    {" 192.0.2.0/24 , 2001:DB8:0::/32", "192.0.2.0/24,2001:db8::/32"},
	    {"::ffff:198.51.100.9,10.0.0.0/8", "198.51.100.9,10.0.0.0/8"},
	    {"192.0.2.7/32,192.0.2.7", "192.0.2.7"},
	    {"0.0.0.0/0,::/0", "0.0.0.0/0,::/0"},
	};
	static const char *const bad[] = {",", "192.0.2.7,", "192.0.2",
	    "192.0.2.256", "192.0.2.7/24", "192.0.2.0/33", "192.0.2.0/",
	    "192.0.2.0/024", "2001:db8::/129", "host.example", "[::1]",
	    "fe80::1%eth0", "192.0.2.7:5060", "any"};
	char out[USERS_ACL_STRLEN], in[USERS_ACL_STRLEN * 2];
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(
		    users_acl_normalise(sv_cstr(good[i].in), out), 0);
		assert_string_equal(out, good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(out, "junk", 5);
		assert_int_equal(
		    users_acl_normalise(sv_cstr(bad[i]), out), -EINVAL);
		assert_string_equal(out, "");
	}
	/* 32 of the longest entries fit; a 33rd does not. */
	for (int i = 0; i < USERS_ACL_MAX; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len,
		    "%sffff:ffff:ffff:ffff:ffff:ffff:ffff:%04x/128",
		    i > 0 ? "," : "", 0xff00 + i);
	assert_int_equal(users_acl_normalise(sv_make(in, len), out), 0);
	assert_int_equal(strlen(out), len - USERS_ACL_MAX * 4);
	len += (size_t)snprintf(in + len, sizeof(in) - len, ",192.0.2.1");
	assert_int_equal(users_acl_normalise(sv_make(in, len), out), -E2BIG);
}

static void
test_set_media(void **state)
{
	struct fixture *f = *state;
	struct user_record r;
	struct user_info u;

	assert_int_equal(add(f, "1001", "A", 10), 0);
	/* New users: SRTP optional, any codec, anywhere. */
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_false(u.srtp_required);
	assert_string_equal(u.codecs, "");
	assert_string_equal(u.acl, "");
	assert_int_equal(
	    users_set_media(f->db, SV("1001"), true, SV("opus , PCMA"), 20), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_true(r.info.srtp_required);
	assert_string_equal(r.info.codecs, "opus,PCMA");
	assert_int_equal(r.info.updated_at, 20);
	assert_int_equal(r.info.created_at, 10);
	assert_memory_equal(r.ha1_md5, f->md5, USERS_HA1_MD5_LEN);
	users_record_wipe(&r);
	/* Back to the defaults. */
	assert_int_equal(
	    users_set_media(f->db, SV("1001"), false, SV_NULL, 30), 0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_false(u.srtp_required);
	assert_string_equal(u.codecs, "");
	/* Errors change nothing. */
	assert_int_equal(
	    users_set_media(f->db, SV("1001"), true, SV("opus,OPUS"), 40),
	    -EINVAL);
	assert_int_equal(
	    users_set_media(f->db, SV("1 1"), true, SV("opus"), 40), -EINVAL);
	assert_int_equal(
	    users_set_media(f->db, SV("1002"), true, SV("opus"), 40), -ENOENT);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_false(u.srtp_required);
	assert_int_equal(u.updated_at, 30);
	assert_int_equal(users_get_info(f->db, SV("1002"), &u), -ENOENT);
	assert_int_equal(users_get_info(f->db, SV(""), &u), -EINVAL);
}

static void
test_set_acl(void **state)
{
	struct fixture *f = *state;
	struct list_ctx c = {0};
	struct user_info u;

	assert_int_equal(add(f, "1001", "A", 10), 0);
	assert_int_equal(users_set_acl(f->db, SV("1001"),
	                     SV("192.0.2.0/24,2001:DB8::/32"), 20),
	    0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.acl, "192.0.2.0/24,2001:db8::/32");
	assert_int_equal(u.updated_at, 20);
	/* The media settings are left alone, and users_list() reads both. */
	assert_int_equal(
	    users_set_media(f->db, SV("1001"), true, SV("G722"), 25), 0);
	assert_int_equal(
	    users_set_acl(f->db, SV("1001"), SV("10.0.0.0/8"), 30), 0);
	assert_int_equal(users_list(f->db, collect, &c), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_true(u.srtp_required);
	assert_string_equal(u.codecs, "G722");
	assert_string_equal(u.acl, "10.0.0.0/8");
	assert_int_equal(
	    users_set_acl(f->db, SV("1001"), SV("192.0.2.1/24"), 40), -EINVAL);
	assert_int_equal(
	    users_set_acl(f->db, SV("1002"), SV("192.0.2.1"), 40), -ENOENT);
	assert_int_equal(users_set_acl(f->db, SV("1001"), SV(""), 50), 0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.acl, "");
}

/* Settings edited by hand into a form the repository would not write
 * make the row invalid; the schema refuses a bad SRTP mode. */
static void
test_bad_settings_rows(void **state)
{
	struct fixture *f = *state;
	static const char *const edits[] = {
	    "UPDATE users SET codecs = 'opus, PCMU'",
	    "UPDATE users SET codecs = 'opus,OPUS'",
	    "UPDATE users SET acl = '2001:DB8::/32'",
	    "UPDATE users SET acl = '192.0.2.7/24'",
	    "UPDATE users SET acl = '192.0.2.1,'",
	};
	struct list_ctx c;
	struct user_record r;
	struct user_info u;
	sqlite3 *h;

	assert_int_equal(add(f, "1001", "A", 10), 0);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		raw_exec(f->path, "UPDATE users SET codecs = '', acl = ''");
		assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
		raw_exec(f->path, edits[i]);
		assert_int_equal(
		    users_get_info(f->db, SV("1001"), &u), -EBADMSG);
		assert_int_equal(
		    users_get(f->db, f->k, SV("1001"), &r), -EBADMSG);
		memset(&c, 0, sizeof(c));
		assert_int_equal(users_list(f->db, collect, &c), -EBADMSG);
	}
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE users SET srtp = 'always'",
	                     NULL, NULL, NULL),
	    SQLITE_CONSTRAINT);
	sqlite3_close(h);
}

/* Service continuity and caller ID (migration 5). */
static void
test_set_continuity(void **state)
{
	struct fixture *f = *state;
	struct user_record r;
	struct user_info u;

	assert_int_equal(add(f, "1001", "A", 10), 0);
	assert_int_equal(add(f, "1002", "B", 10), 0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.alternate, "");
	assert_string_equal(u.outbound_number, "");
	assert_int_equal(users_set_continuity(f->db, SV("1001"), SV("1002"),
	                     SV("+33123456789"), 20),
	    0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.alternate, "1002");
	assert_string_equal(u.outbound_number, "+33123456789");
	assert_int_equal(u.updated_at, 20);
	/* users_get() still opens the HA1s past the new columns. */
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_string_equal(r.info.alternate, "1002");
	assert_memory_equal(r.ha1_md5, f->md5, USERS_HA1_MD5_LEN);
	assert_memory_equal(r.ha1_sha256, f->sha, USERS_HA1_SHA256_LEN);
	users_record_wipe(&r);
	/* SV_NULL keeps a value; "" clears it. */
	assert_int_equal(users_set_continuity(f->db, SV("1001"),
	                     SV("+33600000000"), SV_NULL, 30),
	    0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.alternate, "+33600000000");
	assert_string_equal(u.outbound_number, "+33123456789");
	assert_int_equal(
	    users_set_continuity(f->db, SV("1001"), SV_NULL, SV(""), 40), 0);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_string_equal(u.alternate, "+33600000000");
	assert_string_equal(u.outbound_number, "");
	/* Errors write nothing. */
	assert_int_equal(
	    users_set_continuity(f->db, SV("1001"), SV("1001"), SV_NULL, 50),
	    -EINVAL);
	assert_int_equal(
	    users_set_continuity(f->db, SV("1001"), SV("9999"), SV_NULL, 50),
	    -ENXIO);
	assert_int_equal(
	    users_set_continuity(f->db, SV("1001"), SV("+0"), SV_NULL, 50),
	    -EINVAL);
	assert_int_equal(
	    users_set_continuity(f->db, SV("1001"), SV_NULL, SV("0612"), 50),
	    -EINVAL);
	assert_int_equal(
	    users_set_continuity(f->db, SV("9999"), SV(""), SV_NULL, 50),
	    -ENOENT);
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), 0);
	assert_int_equal(u.updated_at, 40);
	assert_int_equal(db_tx_depth(f->db), 0);
	/* A hand-edited value makes the row invalid. */
	raw_exec(f->path, "UPDATE users SET alternate = 'a b' WHERE ext = "
	                  "'1001'");
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), -EBADMSG);
	raw_exec(f->path, "UPDATE users SET alternate = '', outbound_number = "
	                  "'123' WHERE ext = '1001'");
	assert_int_equal(users_get_info(f->db, SV("1001"), &u), -EBADMSG);
}

/* R-OPS-3: users survive closing and re-opening the database. */
static void
test_persist(void **state)
{
	struct fixture *f = *state;
	struct user_record r;

	assert_int_equal(add(f, "1001", "A", 1), 0);
	db_close(f->db);
	assert_int_equal(db_open(&f->db, f->dir), 0);
	assert_int_equal(users_get(f->db, f->k, SV("1001"), &r), 0);
	assert_memory_equal(r.ha1_md5, f->md5, sizeof(f->md5));
	users_record_wipe(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_get, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_set_name_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_ext, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_ha1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_count, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_ha1_encrypted_at_rest, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_blob_bound_to_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom_atomic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
	    cmocka_unit_test(test_codecs_normalise),
	    cmocka_unit_test(test_acl_normalise),
	    cmocka_unit_test_setup_teardown(test_set_media, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_acl, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bad_settings_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_set_continuity, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_users", tests, NULL, NULL);
}
