/* Unit tests for the user directory: HA1s, media and access settings
 * loaded from the store (R-AUTH-4, R-AUTH-5, R-NET-1). */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/mem.h"
#include "pbx/directory.h"
#include "pbx/offer.h"
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
	memcpy(f->dir, "/tmp/rempart-dir-XXXXXX",
	    sizeof("/tmp/rempart-dir-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, DB_FILE_NAME);
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(f->md5); i++)
		f->md5[i] = (uint8_t)(0x10 + i);
	for (size_t i = 0; i < sizeof(f->sha); i++)
		f->sha[i] = (uint8_t)(0x80 + i);
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
add(struct fixture *f, const char *ext, const char *name)
{
	assert_int_equal(users_add(f->db, f->k, sv_cstr(ext), sv_cstr(name),
	                     f->md5, f->sha, 1),
	    0);
}

static struct sockaddr_storage
addr4(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(5060);
	assert_int_equal(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
addr6(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(5061);
	assert_int_equal(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	return ss;
}

static void
test_empty(void **state)
{
	struct fixture *f = *state;
	struct directory *d = NULL;

	assert_int_equal(directory_load(&d, f->db, f->k), 0);
	assert_int_equal(directory_count(d), 0);
	assert_null(directory_user(d, SV("100")));
	assert_null(directory_find(d, SV("100")));
	directory_free(d);
	directory_free(NULL);
}

/* R-AUTH-5: unknown and disabled users look alike: both are absent. */
static void
test_users(void **state)
{
	struct fixture *f = *state;
	const struct directory_user *u;
	struct directory *d = NULL;

	add(f, "300", "Carol");
	add(f, "100", "Alice");
	add(f, "200", "Bob");
	assert_int_equal(users_set_enabled(f->db, SV("200"), false, 2), 0);
	assert_int_equal(directory_load(&d, f->db, f->k), 0);
	assert_int_equal(directory_count(d), 2);
	u = directory_user(d, SV("100"));
	assert_non_null(u);
	assert_string_equal(u->ext, "100");
	assert_string_equal(u->display_name, "Alice");
	assert_memory_equal(u->ha1.md5, f->md5, sizeof(f->md5));
	assert_memory_equal(u->ha1.sha256, f->sha, sizeof(f->sha));
	assert_true(u->ha1.has_md5 && u->ha1.has_sha256);
	assert_false(u->srtp_required);
	assert_int_equal(u->codec_count, 0);
	assert_null(u->acl);
	assert_ptr_equal(directory_find(d, SV("100")), &u->ha1);
	assert_non_null(directory_user(d, SV("300")));
	assert_null(directory_user(d, SV("200")));
	assert_null(directory_find(d, SV("200")));
	assert_null(directory_user(d, SV("10")));
	assert_null(directory_user(d, SV("1000")));
	assert_null(directory_user(d, SV("")));
	assert_null(directory_user(d, SV("123456789012345678901234567890123")));
	directory_free(d);
}

static void
test_media_settings(void **state)
{
	struct fixture *f = *state;
	const struct directory_user *u;
	struct directory *d = NULL;
	struct offer_policy pol;

	add(f, "100", "Alice");
	add(f, "101", "Bob");
	assert_int_equal(users_set_media(f->db, SV("100"), true,
	                     SV("opus,PCMA,telephone-event"), 2),
	    0);
	assert_int_equal(directory_load(&d, f->db, f->k), 0);
	u = directory_user(d, SV("100"));
	assert_non_null(u);
	assert_true(u->srtp_required);
	assert_int_equal(u->codec_count, 3);
	assert_string_equal(u->codecs[0], "opus");
	assert_string_equal(u->codecs[1], "PCMA");
	assert_string_equal(u->codecs[2], "telephone-event");
	assert_true(directory_codec_allowed(u, SV("OPUS")));
	assert_true(directory_codec_allowed(u, SV("pcma")));
	assert_false(directory_codec_allowed(u, SV("PCMU")));
	assert_false(directory_codec_allowed(u, SV("opu")));
	assert_false(directory_codec_allowed(u, SV("")));
	directory_offer_policy(u, &pol);
	assert_true(pol.srtp_required);
	assert_int_equal(pol.codec_count, 3);
	assert_true(sv_eq(pol.codecs[0], SV("opus")));
	assert_true(sv_eq(pol.codecs[2], SV("telephone-event")));
	u = directory_user(d, SV("101"));
	assert_non_null(u);
	assert_false(u->srtp_required);
	assert_true(directory_codec_allowed(u, SV("anything")));
	directory_offer_policy(u, &pol);
	assert_false(pol.srtp_required);
	assert_int_equal(pol.codec_count, 0);
	directory_free(d);
}

/* R-NET-1: a user's devices may only use the networks of its list. */
static void
test_acl(void **state)
{
	struct fixture *f = *state;
	const struct directory_user *u;
	struct directory *d = NULL;
	struct sockaddr_storage ss;

	add(f, "100", "Alice");
	add(f, "101", "Bob");
	add(f, "102", "Carol");
	assert_int_equal(users_set_acl(f->db, SV("100"),
	                     SV("192.0.2.0/24,2001:db8::/32,198.51.100.7"), 2),
	    0);
	assert_int_equal(users_set_acl(f->db, SV("102"), SV("::/0"), 2), 0);
	assert_int_equal(directory_load(&d, f->db, f->k), 0);
	u = directory_user(d, SV("100"));
	assert_non_null(u);
	assert_non_null(u->acl);
	ss = addr4("192.0.2.1");
	assert_true(directory_acl_allows(u, &ss));
	ss = addr4("192.0.2.255");
	assert_true(directory_acl_allows(u, &ss));
	ss = addr4("192.0.3.0");
	assert_false(directory_acl_allows(u, &ss));
	ss = addr4("198.51.100.7");
	assert_true(directory_acl_allows(u, &ss));
	ss = addr4("198.51.100.8");
	assert_false(directory_acl_allows(u, &ss));
	ss = addr6("2001:db8:ffff::1");
	assert_true(directory_acl_allows(u, &ss));
	ss = addr6("2001:db9::1");
	assert_false(directory_acl_allows(u, &ss));
	/* A dual-stack socket's view of an IPv4 peer. */
	ss = addr6("::ffff:192.0.2.9");
	assert_true(directory_acl_allows(u, &ss));
	ss = addr6("::ffff:10.0.0.1");
	assert_false(directory_acl_allows(u, &ss));
	/* Neither IPv4 nor IPv6: refused. */
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_false(directory_acl_allows(u, &ss));
	/* No list: anywhere, whatever the family. */
	u = directory_user(d, SV("101"));
	assert_non_null(u);
	assert_null(u->acl);
	assert_true(directory_acl_allows(u, &ss));
	ss = addr4("203.0.113.1");
	assert_true(directory_acl_allows(u, &ss));
	/* An IPv6-only list refuses IPv4 peers. */
	u = directory_user(d, SV("102"));
	assert_non_null(u);
	assert_false(directory_acl_allows(u, &ss));
	ss = addr6("2001:db8::1");
	assert_true(directory_acl_allows(u, &ss));
	directory_free(d);
}

/* More users than the first allocation, found in any insertion order. */
static void
test_many(void **state)
{
	struct fixture *f = *state;
	const struct directory_user *u;
	struct directory *d = NULL;
	struct offer_policy pol;
	char ext[8];

	for (int i = 0; i < 150; i++) {
		snprintf(ext, sizeof(ext), "%d", 1000 + (i * 37) % 150);
		add(f, ext, "x");
	}
	assert_int_equal(
	    users_set_acl(f->db, SV("1149"), SV("10.0.0.0/8"), 2), 0);
	assert_int_equal(
	    users_set_media(f->db, SV("1000"), false, SV("PCMU,G722"), 2), 0);
	assert_int_equal(directory_load(&d, f->db, f->k), 0);
	assert_int_equal(directory_count(d), 150);
	for (int i = 0; i < 150; i++) {
		snprintf(ext, sizeof(ext), "%d", 1000 + i);
		u = directory_user(d, sv_cstr(ext));
		assert_non_null(u);
		assert_string_equal(u->ext, ext);
	}
	assert_non_null(directory_user(d, SV("1149"))->acl);
	/* The codec views point into the entry where it ended up. */
	u = directory_user(d, SV("1000"));
	directory_offer_policy(u, &pol);
	assert_int_equal(pol.codec_count, 2);
	assert_ptr_equal(pol.codecs[1].p, u->codecs[1]);
	assert_true(sv_eq(pol.codecs[1], SV("G722")));
	assert_true(directory_codec_allowed(u, SV("g722")));
	directory_free(d);
}

/* A row that breaks the store's rules fails the whole load: the
 * server keeps its previous directory. */
static void
test_bad_row(void **state)
{
	struct fixture *f = *state;
	struct directory *d = NULL;
	sqlite3 *h;

	add(f, "100", "Alice");
	assert_int_equal(sqlite3_open(f->path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "UPDATE users SET acl = '10.0.0.1/8'",
	                     NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(directory_load(&d, f->db, f->k), -EBADMSG);
	assert_null(d);
}

/* Out of memory at every allocation of a load: it fails cleanly (the
 * sanitizer checks nothing leaks) or succeeds whole. */
static void
test_oom(void **state)
{
	struct fixture *f = *state;
	struct directory *d;
	int rc, failures = 0;

	add(f, "100", "Alice");
	add(f, "101", "Bob");
	assert_int_equal(users_set_acl(f->db, SV("100"),
	                     SV("192.0.2.0/24,2001:db8::/32"), 2),
	    0);
	assert_int_equal(
	    users_set_acl(f->db, SV("101"), SV("10.0.0.0/8"), 2), 0);
	for (unsigned long n = 1; n < 200; n++) {
		d = NULL;
		mem_fail_nth(n);
		rc = directory_load(&d, f->db, f->k);
		mem_fail_nth(0);
		if (rc == 0) {
			assert_int_equal(directory_count(d), 2);
			assert_non_null(directory_user(d, SV("101"))->acl);
			directory_free(d);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		assert_null(d);
		failures++;
	}
	assert_true(failures > 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_users, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_media_settings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	return cmocka_run_group_tests_name("pbx_directory", tests, NULL, NULL);
}
