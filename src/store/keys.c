/* Master key files and AES-256-GCM sealing with OpenSSL 3. */
#include "store/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "core/log.h"
#include "core/mem.h"

#define KEYS_TMP_NAME KEYS_FILE_NAME ".tmp"

struct keys {
	uint8_t id;
	uint8_t key[KEYS_MASTER_LEN];
};

void
keys_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		OPENSSL_cleanse(p, len);
}

void
keys_wipe_buf(struct buf *b)
{
	keys_wipe(b->data, b->cap);
	buf_release(b);
}

static int
keys_dir_path(char *out, size_t size, const char *data_dir)
{
	int n = snprintf(out, size, "%s/%s", data_dir, KEYS_DIR_NAME);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int
keys_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; -EINVAL if the file is shorter. */
static int
keys_read_all(int fd, uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EINVAL;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens (creating if needed) the keys directory and makes its mode
 * exactly 0700. Returns a directory fd or a negative errno. */
static int
keys_open_dir(const char *data_dir, bool create)
{
	char path[PATH_MAX];
	struct stat st;
	int dfd, err;

	err = keys_dir_path(path, sizeof(path), data_dir);
	if (err != 0)
		return err;
	if (create) {
		if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
			return -errno;
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return -errno;
	}
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		err = -errno;
		log_error("store",
		    "msg=\"cannot open keys directory\" path=%s "
		    "errno=%d",
		    path, -err);
		return err;
	}
	if (fstat(dfd, &st) != 0) {
		err = -errno;
		goto fail;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		log_error("store",
		    "msg=\"keys directory owned by another "
		    "user\" path=%s uid=%u",
		    path, (unsigned)st.st_uid);
		err = -EPERM;
		goto fail;
	}
	if (create && (st.st_mode & 07777) != 0700) {
		if (fchmod(dfd, 0700) != 0) {
			err = -errno;
			goto fail;
		}
		log_warn("store",
		    "msg=\"keys directory mode set to 0700\" "
		    "path=%s old_mode=%04o",
		    path, (unsigned)(st.st_mode & 07777));
	} else if (!create && (st.st_mode & 022) != 0) {
		/* Anyone who can write here can swap the key file. */
		log_error("store",
		    "msg=\"keys directory is writable by group "
		    "or others, refusing it\" path=%s mode=%04o",
		    path, (unsigned)(st.st_mode & 07777));
		err = -EPERM;
		goto fail;
	}
	return dfd;
fail:
	close(dfd);
	return err;
}

/* Writes a fresh key to the temporary file, synced. */
static int
keys_write_tmp(int dfd)
{
	uint8_t key[KEYS_MASTER_LEN];
	int fd, err;

	if (unlinkat(dfd, KEYS_TMP_NAME, 0) != 0 && errno != ENOENT)
		return -errno;
	fd = openat(dfd, KEYS_TMP_NAME,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = fchmod(fd, 0600) != 0 ? -errno : 0;
	if (err == 0 && RAND_bytes(key, (int)sizeof(key)) != 1) {
		log_error("store", "msg=\"random generator failed\"");
		err = -EIO;
	}
	if (err == 0)
		err = keys_write_all(fd, key, sizeof(key));
	keys_wipe(key, sizeof(key));
	if (err == 0 && fsync(fd) != 0)
		err = -errno;
	if (close(fd) != 0 && err == 0)
		err = -errno;
	return err;
}

int
keys_init(const char *data_dir)
{
	struct stat st;
	int dfd, err;

	dfd = keys_open_dir(data_dir, true);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, KEYS_FILE_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		log_error("store",
		    "msg=\"a master key already exists, not "
		    "replacing it\" data_dir=%s",
		    data_dir);
		err = -EEXIST;
		goto out;
	}
	if (errno != ENOENT) {
		err = -errno;
		goto out;
	}
	err = keys_write_tmp(dfd);
	/* RENAME_NOREPLACE: a key created meanwhile is never replaced. */
	if (err == 0 && renameat2(dfd, KEYS_TMP_NAME, dfd, KEYS_FILE_NAME,
	                    RENAME_NOREPLACE) != 0)
		err = -errno;
	if (err != 0) {
		(void)unlinkat(dfd, KEYS_TMP_NAME, 0);
		log_error("store",
		    "msg=\"cannot create master key\" "
		    "data_dir=%s errno=%d",
		    data_dir, -err);
		goto out;
	}
	if (fsync(dfd) != 0) {
		err = -errno;
		goto out;
	}
	log_info("store", "msg=\"master key created\" data_dir=%s", data_dir);
out:
	close(dfd);
	return err;
}

/* Checks the opened key file before a byte of it is read. */
static int
keys_check_file(int fd, const char *data_dir)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode)) {
		log_error("store",
		    "msg=\"master key is not a regular file\" "
		    "data_dir=%s",
		    data_dir);
		return -EINVAL;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		log_error("store",
		    "msg=\"master key owned by another user\" "
		    "data_dir=%s uid=%u",
		    data_dir, (unsigned)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & 077) != 0) {
		log_error("store",
		    "msg=\"master key is accessible by group or "
		    "others, refusing it; chmod 600 it if it was never "
		    "exposed, otherwise rotate it\" data_dir=%s mode=%04o",
		    data_dir, (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	if (st.st_size != KEYS_MASTER_LEN) {
		log_error("store",
		    "msg=\"master key has the wrong size\" "
		    "data_dir=%s size=%lld expected=%d",
		    data_dir, (long long)st.st_size, KEYS_MASTER_LEN);
		return -EINVAL;
	}
	return 0;
}

int
keys_load(const char *data_dir, struct keys **out)
{
	struct keys *k;
	uint8_t extra;
	int dfd, fd = -1, err;

	k = mem_calloc(1, sizeof(*k));
	if (k == NULL)
		return -ENOMEM;
	dfd = keys_open_dir(data_dir, false);
	if (dfd < 0) {
		err = dfd;
		goto fail;
	}
	fd = openat(dfd, KEYS_FILE_NAME, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ELOOP) {
			log_error("store",
			    "msg=\"master key is a symbolic "
			    "link, refusing it\" data_dir=%s",
			    data_dir);
			err = -EPERM;
		} else {
			log_error("store",
			    "msg=\"cannot open master key\" "
			    "data_dir=%s errno=%d",
			    data_dir, -err);
		}
		goto fail;
	}
	err = keys_check_file(fd, data_dir);
	if (err == 0)
		err = keys_read_all(fd, k->key, sizeof(k->key));
	/* The file must end there (it could have grown since fstat). */
	if (err == 0 && keys_read_all(fd, &extra, 1) != -EINVAL) {
		log_error("store",
		    "msg=\"master key has the wrong size\" "
		    "data_dir=%s",
		    data_dir);
		err = -EINVAL;
	}
	if (err != 0)
		goto fail;
	k->id = KEYS_ID_CURRENT;
	close(fd);
	close(dfd);
	*out = k;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	keys_free(k);
	return err;
}

void
keys_free(struct keys *k)
{
	if (k == NULL)
		return;
	keys_wipe(k, sizeof(*k));
	free(k);
}

/* Grows 'b' by n zero bytes; the caller then writes them in place. */
static int
keys_grow(struct buf *b, size_t n)
{
	static const char zeros[4096];
	size_t chunk;

	while (n > 0 && buf_error(b) == 0) {
		chunk = n < sizeof(zeros) ? n : sizeof(zeros);
		buf_append(b, zeros, chunk);
		n -= chunk;
	}
	return buf_error(b);
}

/* Puts 'b' back to 'len' bytes after a failure, wiping what follows. */
static void
keys_truncate(struct buf *b, size_t len)
{
	if (b->data != NULL) {
		keys_wipe(b->data + len, b->len - len);
		b->data[len] = '\0';
	}
	b->len = len;
	b->err = 0;
}

/* Sets up an AES-256-GCM context for 'nonce' and feeds the associated
 * data: the key id byte, then the caller's AAD. */
static int
keys_gcm_start(EVP_CIPHER_CTX *c, const struct keys *k, bool encrypt,
    const uint8_t *nonce, struct sv aad)
{
	int n;

	if (EVP_CipherInit_ex2(c, EVP_aes_256_gcm(), k->key, nonce,
	        encrypt ? 1 : 0, NULL) != 1)
		return -EIO;
	if (EVP_CipherUpdate(c, NULL, &n, &k->id, 1) != 1)
		return -EIO;
	if (aad.len > 0 && EVP_CipherUpdate(c, NULL, &n,
	                       (const unsigned char *)aad.p, (int)aad.len) != 1)
		return -EIO;
	return 0;
}

int
keys_seal(
    const struct keys *k, struct sv plaintext, struct sv aad, struct buf *out)
{
	uint8_t head[1 + KEYS_NONCE_LEN];
	EVP_CIPHER_CTX *c = NULL;
	size_t start = out->len;
	unsigned char *dst;
	int n = 0, tail = 0, err;

	if (plaintext.len > KEYS_PLAINTEXT_MAX || aad.len > KEYS_AAD_MAX)
		return -E2BIG;
	if (buf_error(out) != 0)
		return buf_error(out);
	head[0] = k->id;
	if (RAND_bytes(head + 1, KEYS_NONCE_LEN) != 1)
		return -EIO;
	buf_append(out, head, sizeof(head));
	err = keys_grow(out, plaintext.len + KEYS_TAG_LEN);
	if (err != 0)
		goto fail;
	dst = (unsigned char *)out->data + start + sizeof(head);
	c = EVP_CIPHER_CTX_new();
	if (c == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	err = keys_gcm_start(c, k, true, head + 1, aad);
	if (err != 0)
		goto fail;
	if (plaintext.len > 0 &&
	    EVP_EncryptUpdate(c, dst, &n, (const unsigned char *)plaintext.p,
	        (int)plaintext.len) != 1) {
		err = -EIO;
		goto fail;
	}
	if (EVP_EncryptFinal_ex(c, dst + n, &tail) != 1 ||
	    (size_t)n + (size_t)tail != plaintext.len ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, KEYS_TAG_LEN,
	        dst + plaintext.len) != 1) {
		err = -EIO;
		goto fail;
	}
	EVP_CIPHER_CTX_free(c);
	return 0;
fail:
	EVP_CIPHER_CTX_free(c);
	keys_truncate(out, start);
	return err;
}

int
keys_open(
    const struct keys *k, struct sv sealed, struct sv aad, struct buf *out)
{
	uint8_t nonce[KEYS_NONCE_LEN], tag[KEYS_TAG_LEN], none[1];
	EVP_CIPHER_CTX *c = NULL;
	size_t start = out->len, len;
	const unsigned char *src;
	unsigned char *dst;
	int n = 0, tail = 0, err;

	if (sealed.len < KEYS_SEAL_OVERHEAD)
		return -EBADMSG;
	len = sealed.len - KEYS_SEAL_OVERHEAD;
	if (len > KEYS_PLAINTEXT_MAX || aad.len > KEYS_AAD_MAX)
		return -E2BIG;
	if ((uint8_t)sealed.p[0] != k->id)
		return -EBADMSG;
	if (buf_error(out) != 0)
		return buf_error(out);
	src = (const unsigned char *)sealed.p;
	memcpy(nonce, src + 1, sizeof(nonce));
	memcpy(tag, src + 1 + KEYS_NONCE_LEN + len, sizeof(tag));
	src += 1 + KEYS_NONCE_LEN;
	err = keys_grow(out, len);
	if (err != 0)
		goto fail;
	/* An empty plaintext may leave the buffer without storage; GCM
	 * writes nothing at the end, but wants a valid pointer. */
	dst = len > 0 ? (unsigned char *)out->data + start : none;
	c = EVP_CIPHER_CTX_new();
	if (c == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	err = keys_gcm_start(c, k, false, nonce, aad);
	if (err != 0)
		goto fail;
	if (len > 0 && EVP_DecryptUpdate(c, dst, &n, src, (int)len) != 1) {
		err = -EIO;
		goto fail;
	}
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, KEYS_TAG_LEN, tag) !=
	    1) {
		err = -EIO;
		goto fail;
	}
	/* The tag check: any change to the value or the AAD lands here. */
	if (EVP_DecryptFinal_ex(c, dst + n, &tail) != 1 ||
	    (size_t)n + (size_t)tail != len) {
		err = -EBADMSG;
		goto fail;
	}
	EVP_CIPHER_CTX_free(c);
	return 0;
fail:
	EVP_CIPHER_CTX_free(c);
	keys_truncate(out, start);
	return err;
}

int
keys_derive(const struct keys *k, const char *label, uint8_t *out, size_t len)
{
	OSSL_PARAM params[4];
	EVP_KDF_CTX *c;
	EVP_KDF *kdf;
	int rc;

	if (label == NULL || label[0] == '\0' || len == 0 ||
	    len > KEYS_DERIVE_MAX)
		return -EINVAL;
	kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_HKDF, NULL);
	if (kdf == NULL)
		return -EIO;
	c = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (c == NULL)
		return -EIO;
	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	/* OSSL_PARAM has no const form; the KDF only reads these. */
	params[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_KEY, (void *)(uintptr_t)k->key, sizeof(k->key));
	params[2] = OSSL_PARAM_construct_octet_string(
	    OSSL_KDF_PARAM_INFO, (void *)(uintptr_t)label, strlen(label));
	params[3] = OSSL_PARAM_construct_end();
	rc = EVP_KDF_derive(c, out, len, params) == 1 ? 0 : -EIO;
	EVP_KDF_CTX_free(c);
	if (rc != 0)
		keys_wipe(out, len);
	return rc;
}
