/* libFuzzer target for Digest credentials and challenges (sip/digest.h).
 *
 * The input is copied into a buffer of exactly its size, so a read one
 * byte past the view trips AddressSanitizer. On success every view must
 * lie inside that buffer and the derived fields must agree with it. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/digest.h"

/* Not assert(): the checks must stay in builds with NDEBUG. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_view(struct sv v, const char *buf, size_t size)
{
	if (v.p == NULL) {
		CHECK(v.len == 0);
		return;
	}
	CHECK(v.p >= buf);
	CHECK(v.len <= size);
	CHECK((size_t)(v.p - buf) <= size - v.len);
}

static void
check(const struct sip_digest *d, const char *buf, size_t size)
{
	const struct sv views[] = {
	    d->scheme,
	    d->username,
	    d->realm,
	    d->nonce,
	    d->uri,
	    d->response,
	    d->cnonce,
	    d->opaque,
	    d->domain,
	    d->charset,
	    d->algorithm,
	    d->qop,
	    d->nc,
	};

	CHECK(d->scheme.p != NULL && d->scheme.len > 0);
	for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		check_view(views[i], buf, size);
	if (!d->is_digest) {
		CHECK(d->username.p == NULL && d->realm.p == NULL);
		CHECK(d->alg == SIP_DIGEST_ALG_ABSENT);
		return;
	}
	CHECK(d->alg <= SIP_DIGEST_ALG_UNKNOWN);
	CHECK((d->algorithm.p == NULL) == (d->alg == SIP_DIGEST_ALG_ABSENT));
	if (d->alg != SIP_DIGEST_ALG_ABSENT && d->alg != SIP_DIGEST_ALG_UNKNOWN)
		CHECK(sip_digest_alg_name(d->alg) != NULL);
	if (d->has_nc)
		CHECK(d->nc.len == 8);
	if (d->username_escaped)
		CHECK(memchr(d->username.p, '\\', d->username.len) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_digest d;
	char *buf;
	int rc;

	/* malloc(0) may return NULL; a 1-byte buffer with a 0-byte view
	 * still catches any read. */
	buf = malloc(size > 0 ? size : 1);
	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	rc = sip_digest_parse((struct sv){buf, size}, &d);
	CHECK(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
	if (rc == 0)
		check(&d, buf, size);
	free(buf);
	return 0;
}
