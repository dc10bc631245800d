/* Unit tests for the master key and sealing (R-CRYPTO-3, R-AUTH-1). */
#include <errno.h>
#include <fcntl.h>
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
#include "store/keys.h"

struct fixture {
	char dir[64];
	char keydir[96];
	char keyfile[128];
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
	memcpy(f->dir, "/tmp/rempart-keys-XXXXXX",
	    sizeof("/tmp/rempart-keys-XXXXXX"));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->keydir, sizeof(f->keydir), "%s/%s", f->dir, KEYS_DIR_NAME);
	snprintf(
	    f->keyfile, sizeof(f->keyfile), "%s/%s", f->keydir, KEYS_FILE_NAME);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	/* A test may leave the keys directory unreadable. */
	(void)chmod(f->keydir, 0700);
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static unsigned
file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (unsigned)(st.st_mode & 07777);
}

static void
read_key(const char *path, uint8_t out[KEYS_MASTER_LEN])
{
	FILE *fp = fopen(path, "rb");

	assert_non_null(fp);
	assert_int_equal(fread(out, 1, KEYS_MASTER_LEN, fp), KEYS_MASTER_LEN);
	fclose(fp);
}

static void
write_file(const char *path, size_t len, mode_t mode)
{
	uint8_t bytes[64];
	int fd;

	memset(bytes, 0x5a, sizeof(bytes));
	(void)unlink(path);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static struct keys *
load_new(struct fixture *f)
{
	struct keys *k = NULL;

	assert_int_equal(keys_init(f->dir), 0);
	assert_int_equal(keys_load(f->dir, &k), 0);
	assert_non_null(k);
	return k;
}

/* R-CRYPTO-3: keys/ is 0700, the key 0600 and 32 bytes; nothing else is
 * left behind; a second init never replaces the key. */
static void
test_init_modes(void **state)
{
	struct fixture *f = *state;
	uint8_t before[KEYS_MASTER_LEN], after[KEYS_MASTER_LEN];
	char tmp[160];
	struct stat st;
	mode_t old;

	old = umask(0);
	assert_int_equal(keys_init(f->dir), 0);
	umask(old);
	assert_int_equal(file_mode(f->keydir), 0700);
	assert_int_equal(file_mode(f->keyfile), 0600);
	assert_int_equal(stat(f->keyfile, &st), 0);
	assert_int_equal(st.st_size, KEYS_MASTER_LEN);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->keyfile);
	assert_int_equal(access(tmp, F_OK), -1);
	read_key(f->keyfile, before);
	assert_int_equal(keys_init(f->dir), -EEXIST);
	read_key(f->keyfile, after);
	assert_memory_equal(before, after, KEYS_MASTER_LEN);
	/* A symbolic link in the key's place counts as a key. */
	assert_int_equal(unlink(f->keyfile), 0);
	assert_int_equal(symlink("/tmp/nowhere", f->keyfile), 0);
	assert_int_equal(keys_init(f->dir), -EEXIST);
}

/* Two keys from two inits differ (they come from the random generator:
 * no built-in key, R-AUTH-1). */
static void
test_init_random(void **state)
{
	struct fixture *f = *state;
	uint8_t a[KEYS_MASTER_LEN], b[KEYS_MASTER_LEN];

	assert_int_equal(keys_init(f->dir), 0);
	read_key(f->keyfile, a);
	assert_int_equal(unlink(f->keyfile), 0);
	assert_int_equal(keys_init(f->dir), 0);
	read_key(f->keyfile, b);
	assert_memory_not_equal(a, b, KEYS_MASTER_LEN);
}

static void
test_init_tightens_dir(void **state)
{
	struct fixture *f = *state;
	char tmp[160];

	assert_int_equal(mkdir(f->keydir, 0700), 0);
	assert_int_equal(chmod(f->keydir, 0755), 0);
	/* A temporary file left by a crash is replaced. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->keyfile);
	write_file(tmp, 3, 0644);
	assert_int_equal(keys_init(f->dir), 0);
	assert_int_equal(file_mode(f->keydir), 0700);
	assert_int_equal(access(tmp, F_OK), -1);
}

/* R-CRYPTO-3: a key others can read is refused. */
static void
test_load_refuses_mode(void **state)
{
	struct fixture *f = *state;
	static const mode_t bad[] = {0644, 0640, 0604, 0620, 0602, 0660};
	struct keys *k = NULL;

	assert_int_equal(keys_init(f->dir), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(f->keyfile, bad[i]), 0);
		assert_int_equal(keys_load(f->dir, &k), -EPERM);
		assert_null(k);
	}
	assert_int_equal(chmod(f->keyfile, 0400), 0);
	assert_int_equal(keys_load(f->dir, &k), 0);
	keys_free(k);
	assert_int_equal(chmod(f->keyfile, 0600), 0);
	/* A keys directory others can write is refused too. */
	assert_int_equal(chmod(f->keydir, 0777), 0);
	assert_int_equal(keys_load(f->dir, &k), -EPERM);
	assert_int_equal(chmod(f->keydir, 0750), 0);
	assert_int_equal(keys_load(f->dir, &k), 0);
	keys_free(k);
}

static void
test_load_refuses_size(void **state)
{
	struct fixture *f = *state;
	static const size_t sizes[] = {0, 1, 16, 31, 33, 64};
	struct keys *k = NULL;

	assert_int_equal(keys_init(f->dir), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		write_file(f->keyfile, sizes[i], 0600);
		assert_int_equal(keys_load(f->dir, &k), -EINVAL);
		assert_null(k);
	}
	write_file(f->keyfile, KEYS_MASTER_LEN, 0600);
	assert_int_equal(keys_load(f->dir, &k), 0);
	keys_free(k);
}

static void
test_load_refuses_other(void **state)
{
	struct fixture *f = *state;
	char real[160];
	struct keys *k = NULL;

	assert_int_equal(keys_load(f->dir, &k), -ENOENT);
	assert_int_equal(mkdir(f->keydir, 0700), 0);
	assert_int_equal(keys_load(f->dir, &k), -ENOENT);
	/* Not a regular file. */
	assert_int_equal(mkdir(f->keyfile, 0700), 0);
	assert_int_equal(keys_load(f->dir, &k), -EINVAL);
	assert_int_equal(rmdir(f->keyfile), 0);
	/* A symbolic link, even to a good key. */
	snprintf(real, sizeof(real), "%s/real.key", f->dir);
	write_file(real, KEYS_MASTER_LEN, 0600);
	assert_int_equal(symlink(real, f->keyfile), 0);
	assert_int_equal(keys_load(f->dir, &k), -EPERM);
	assert_null(k);
}

static void
test_seal_round_trip(void **state)
{
	struct fixture *f = *state;
	static const size_t lens[] = {0, 1, 15, 16, 17, 32, 1000};
	uint8_t pt[1000];
	struct buf a, b, o;
	struct keys *k = load_new(f);

	for (size_t i = 0; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct sv p = sv_make((const char *)pt, lens[i]);

		buf_init(&a, 0);
		buf_init(&b, 0);
		buf_init(&o, 0);
		assert_int_equal(keys_seal(k, p, SV("t.c:1"), &a), 0);
		assert_int_equal(keys_seal(k, p, SV("t.c:1"), &b), 0);
		assert_int_equal(a.len, lens[i] + KEYS_SEAL_OVERHEAD);
		assert_int_equal((uint8_t)a.data[0], KEYS_ID_CURRENT);
		/* Fresh nonces: the same plaintext never seals the same. */
		assert_memory_not_equal(a.data, b.data, a.len);
		if (lens[i] >= 4)
			assert_null(memmem(a.data, a.len, pt, lens[i]));
		assert_int_equal(
		    keys_open(k, buf_view(&a), SV("t.c:1"), &o), 0);
		assert_int_equal(o.len, lens[i]);
		if (lens[i] > 0)
			assert_memory_equal(o.data, pt, lens[i]);
		keys_wipe_buf(&o);
		buf_release(&a);
		buf_release(&b);
	}
	/* Both calls append to what the buffer holds. */
	buf_init(&a, 0);
	buf_init(&o, 0);
	buf_append_cstr(&a, "hdr");
	buf_append_cstr(&o, "pre");
	assert_int_equal(keys_seal(k, SV("secret"), SV_NULL, &a), 0);
	assert_int_equal(keys_open(k, sv_skip(buf_view(&a), 3), SV(""), &o), 0);
	assert_true(sv_eq(buf_view(&o), SV("presecret")));
	keys_wipe_buf(&o);
	buf_release(&a);
	keys_free(k);
}

/* Flipping any bit of any byte is caught; so are truncation and
 * extension. The output buffer is left as it was. */
static void
test_tamper(void **state)
{
	struct fixture *f = *state;
	struct buf s, o;
	struct keys *k = load_new(f);
	char *copy;

	buf_init(&s, 0);
	buf_init(&o, 0);
	assert_int_equal(
	    keys_seal(k, SV("0123456789abcdef"), SV("aad"), &s), 0);
	copy = malloc(s.len + 1);
	assert_non_null(copy);
	for (size_t i = 0; i < s.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(copy, s.data, s.len);
			copy[i] = (char)(copy[i] ^ (1 << bit));
			assert_int_equal(
			    keys_open(k, sv_make(copy, s.len), SV("aad"), &o),
			    -EBADMSG);
			assert_int_equal(o.len, 0);
			assert_int_equal(buf_error(&o), 0);
		}
	}
	for (size_t n = 0; n < s.len; n++)
		assert_int_equal(
		    keys_open(k, sv_make(s.data, n), SV("aad"), &o), -EBADMSG);
	memcpy(copy, s.data, s.len);
	copy[s.len] = 0;
	assert_int_equal(
	    keys_open(k, sv_make(copy, s.len + 1), SV("aad"), &o), -EBADMSG);
	assert_int_equal(keys_open(k, buf_view(&s), SV("aad"), &o), 0);
	free(copy);
	keys_wipe_buf(&o);
	buf_release(&s);
	keys_free(k);
}

/* The AAD binds a value to its row: any other AAD fails. */
static void
test_aad_mismatch(void **state)
{
	struct fixture *f = *state;
	static const char *const other[] = {"users.ha1_md5:1002",
	    "users.ha1_md5:100", "users.ha1_md5:10011", "users.ha1_sha256:1001",
	    "USERS.ha1_md5:1001", ""};
	struct buf s, o;
	struct keys *k = load_new(f);

	buf_init(&s, 0);
	buf_init(&o, 0);
	assert_int_equal(
	    keys_seal(k, SV("ha1"), SV("users.ha1_md5:1001"), &s), 0);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(
		    keys_open(k, buf_view(&s), sv_cstr(other[i]), &o),
		    -EBADMSG);
	assert_int_equal(o.len, 0);
	buf_reset(&s);
	assert_int_equal(keys_seal(k, SV("ha1"), SV_NULL, &s), 0);
	assert_int_equal(keys_open(k, buf_view(&s), SV("x"), &o), -EBADMSG);
	assert_int_equal(keys_open(k, buf_view(&s), SV(""), &o), 0);
	keys_wipe_buf(&o);
	buf_release(&s);
	keys_free(k);
}

/* Another master key, or another key id, does not open a value. */
static void
test_wrong_key(void **state)
{
	struct fixture *f = *state;
	struct keys *k1 = load_new(f), *k2 = NULL;
	struct buf s, o;

	assert_int_equal(unlink(f->keyfile), 0);
	assert_int_equal(keys_init(f->dir), 0);
	assert_int_equal(keys_load(f->dir, &k2), 0);
	buf_init(&s, 0);
	buf_init(&o, 0);
	assert_int_equal(keys_seal(k1, SV("ha1"), SV("a"), &s), 0);
	assert_int_equal(keys_open(k2, buf_view(&s), SV("a"), &o), -EBADMSG);
	s.data[0] = (char)(KEYS_ID_CURRENT + 1);
	assert_int_equal(keys_open(k1, buf_view(&s), SV("a"), &o), -EBADMSG);
	buf_release(&s);
	buf_release(&o);
	keys_free(k1);
	keys_free(k2);
	keys_free(NULL);
}

static void
test_limits(void **state)
{
	struct fixture *f = *state;
	struct keys *k = load_new(f);
	struct buf s, o;
	char *big;

	big = calloc(1, KEYS_PLAINTEXT_MAX + 100);
	assert_non_null(big);
	buf_init(&s, 0);
	buf_init(&o, 0);
	assert_int_equal(
	    keys_seal(k, sv_make(big, KEYS_PLAINTEXT_MAX + 1), SV_NULL, &s),
	    -E2BIG);
	assert_int_equal(
	    keys_seal(k, SV("x"), sv_make(big, KEYS_AAD_MAX + 1), &s), -E2BIG);
	assert_int_equal(
	    keys_open(k, sv_make(big, KEYS_PLAINTEXT_MAX + 100), SV_NULL, &o),
	    -E2BIG);
	assert_int_equal(s.len, 0);
	/* The buffer's own cap. */
	buf_release(&s);
	buf_init(&s, 20);
	assert_int_equal(keys_seal(k, SV("0123456789"), SV_NULL, &s), -E2BIG);
	assert_int_equal(s.len, 0);
	assert_int_equal(buf_error(&s), 0);
	buf_release(&s);
	buf_init(&s, 0);
	assert_int_equal(keys_seal(k, SV("0123456789"), SV_NULL, &s), 0);
	buf_init(&o, 5);
	assert_int_equal(keys_open(k, buf_view(&s), SV_NULL, &o), -E2BIG);
	assert_int_equal(o.len, 0);
	buf_release(&o);
	buf_release(&s);
	free(big);
	keys_free(k);
}

static void
test_oom(void **state)
{
	struct fixture *f = *state;
	struct keys *k = NULL;
	struct buf s, o;

	assert_int_equal(keys_init(f->dir), 0);
	mem_fail_nth(1);
	assert_int_equal(keys_load(f->dir, &k), -ENOMEM);
	mem_fail_nth(0);
	assert_null(k);
	assert_int_equal(keys_load(f->dir, &k), 0);
	buf_init(&s, 0);
	buf_init(&o, 0);
	mem_fail_nth(1);
	assert_int_equal(keys_seal(k, SV("secret"), SV_NULL, &s), -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(buf_error(&s), 0);
	assert_int_equal(keys_seal(k, SV("secret"), SV_NULL, &s), 0);
	mem_fail_nth(1);
	assert_int_equal(keys_open(k, buf_view(&s), SV_NULL, &o), -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(keys_open(k, buf_view(&s), SV_NULL, &o), 0);
	keys_wipe_buf(&o);
	buf_release(&s);
	keys_free(k);
}

static void
test_wipe(void **state)
{
	uint8_t z[8] = {0}, b[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct buf o;

	(void)state;
	keys_wipe(b, sizeof(b));
	assert_memory_equal(b, z, sizeof(b));
	keys_wipe(NULL, 4);
	buf_init(&o, 0);
	keys_wipe_buf(&o);
	buf_append_cstr(&o, "secret");
	keys_wipe_buf(&o);
	assert_null(o.data);
	assert_int_equal(o.len, 0);
}

/* R-ADMIN-4: derived keys follow RFC 5869 (HKDF-SHA-256, no salt, the
 * label as info), differ per label, and never come from a bad call. */
static void
test_derive(void **state)
{
	static const uint8_t want[32] = {0x7c, 0x69, 0x13, 0x1e, 0xc4, 0x23,
	    0x48, 0x9a, 0x25, 0x0d, 0xc1, 0xf2, 0xca, 0x69, 0x2b, 0xe1, 0x78,
	    0xcb, 0x36, 0xdb, 0x8a, 0xfa, 0xd8, 0xfd, 0x9d, 0xdd, 0x41, 0x54,
	    0x6a, 0xa2, 0xbe, 0xa4};
	struct fixture *f = *state;
	uint8_t a[KEYS_DERIVE_MAX], b[32];
	struct keys *k = NULL;

	assert_int_equal(keys_init(f->dir), 0);
	/* A known master key: 32 bytes of 0x5a. */
	write_file(f->keyfile, KEYS_MASTER_LEN, 0600);
	assert_int_equal(keys_load(f->dir, &k), 0);
	assert_int_equal(keys_derive(k, "rempart test", b, sizeof(b)), 0);
	assert_memory_equal(b, want, sizeof(want));
	/* A shorter output is a prefix of the longer one (RFC 5869 2.3). */
	assert_int_equal(keys_derive(k, "rempart test", a, 16), 0);
	assert_memory_equal(a, want, 16);
	assert_int_equal(keys_derive(k, "rempart test", a, KEYS_DERIVE_MAX), 0);
	assert_memory_equal(a, want, sizeof(want));
	assert_int_equal(keys_derive(k, "rempart other", b, sizeof(b)), 0);
	assert_memory_not_equal(b, want, sizeof(want));

	assert_int_equal(keys_derive(k, "", b, sizeof(b)), -EINVAL);
	assert_int_equal(keys_derive(k, NULL, b, sizeof(b)), -EINVAL);
	assert_int_equal(keys_derive(k, "x", b, 0), -EINVAL);
	assert_int_equal(keys_derive(k, "x", a, KEYS_DERIVE_MAX + 1), -EINVAL);
	keys_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_random, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_init_tightens_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_load_refuses_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_load_refuses_size, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_load_refuses_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_seal_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tamper, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_aad_mismatch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	    cmocka_unit_test(test_wipe),
	    cmocka_unit_test_setup_teardown(test_derive, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_keys", tests, NULL, NULL);
}
