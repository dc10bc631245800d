/* Self-signed certificate generation (OpenSSL 3). */
#include "selfsigned.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Creates a file only if it does not exist, with the given mode. */
static FILE *
create_file(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (f == NULL)
		close(fd);
	return f;
}

static int
add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

int
selfsigned_create(
    const char *cert_path, const char *key_path, const char *common_name)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_NAME *name;
	FILE *kf = NULL, *cf = NULL;
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	char san[300];
	int rc = -EIO;

	if (access(cert_path, F_OK) == 0 || access(key_path, F_OK) == 0)
		return -EEXIST;
	key = EVP_EC_gen("P-256");
	cert = X509_new();
	if (key == NULL || cert == NULL ||
	    RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f; /* a positive serial number */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1,IP:::1", common_name);
	if (bn == NULL || X509_set_version(cert, 2) != 1 ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(cert), 825L * 86400) == NULL ||
	    X509_set_pubkey(cert, key) != 1)
		goto out;
	name = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	        (const unsigned char *)common_name, -1, -1, 0) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	        (const unsigned char *)"rempart", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(cert, name) != 1 ||
	    add_ext(cert, NID_subject_alt_name, san) != 0 ||
	    add_ext(cert, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
	    add_ext(cert, NID_key_usage, "critical,digitalSignature") != 0 ||
	    add_ext(cert, NID_ext_key_usage, "serverAuth,clientAuth") != 0 ||
	    X509_sign(cert, key, EVP_sha256()) == 0)
		goto out;
	kf = create_file(key_path, 0600);
	if (kf == NULL) {
		rc = errno == EEXIST ? -EEXIST : -EIO;
		goto out;
	}
	cf = create_file(cert_path, 0644);
	if (cf == NULL) {
		rc = errno == EEXIST ? -EEXIST : -EIO;
		goto out;
	}
	if (PEM_write_PrivateKey(kf, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_X509(cf, cert) != 1)
		goto out;
	rc = 0;
out:
	if (kf != NULL && fclose(kf) != 0)
		rc = -EIO;
	if (cf != NULL && fclose(cf) != 0)
		rc = -EIO;
	if (rc != 0 && rc != -EEXIST) {
		if (kf != NULL)
			unlink(key_path);
		if (cf != NULL)
			unlink(cert_path);
	}
	BN_free(bn);
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
