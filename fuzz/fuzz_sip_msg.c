/* Fuzz target: a whole SIP message, indexed, every typed accessor, the
 * full parse, and a response built from any request that parses. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "sip/build.h"
#include "sip/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
assert_inside(struct sv v, const char *base, size_t len)
{
	if (v.p == NULL || v.len == 0)
		return;
	assert(v.p >= base && v.p + v.len <= base + len);
}

static void
touch_accessors(struct sip_msg *m, const char *base, size_t len)
{
	const struct sip_uri *uri;
	const struct sip_via *via;
	const struct sip_addr *addr;
	const struct sip_cseq *cseq;
	struct sip_hdr_iter it;
	struct sip_error err;
	struct sv v;
	uint32_t n;

	if (sip_msg_ruri(m, &uri, &err) == 0)
		assert_inside(uri->host, base, len);
	if (sip_msg_via(m, &via, &err) == 0)
		assert_inside(via->branch, base, len);
	if (sip_msg_from(m, &addr, &err) == 0)
		assert_inside(addr->tag, base, len);
	if (sip_msg_to(m, &addr, &err) == 0)
		assert_inside(addr->uri.user, base, len);
	if (sip_msg_call_id(m, &v, &err) == 0)
		assert_inside(v, base, len);
	if (sip_msg_cseq(m, &cseq, &err) == 0)
		assert(cseq->seq <= 2147483647u);
	(void)sip_msg_max_forwards(m, &n, &err);
	(void)sip_msg_expires(m, &n, &err);
	(void)sip_msg_content_length(m, &n, &err);
	sip_hdr_iter_init(&it, m, SIP_HDR_CONTACT);
	while (sip_hdr_iter_next(&it, &v) == 1)
		assert_inside(v, base, len);
	assert_inside(m->body, base, len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *m;
	struct sip_error err;
	char *copy;

	/* An exact-size copy, so that ASan sees any one-byte over-read. */
	copy = malloc(size != 0 ? size : 1);
	m = malloc(sizeof(*m));
	if (copy == NULL || m == NULL)
		abort();
	memcpy(copy, data, size);
	if (sip_msg_parse(m, sv_make(copy, size), NULL, &err) == 0) {
		touch_accessors(m, copy, size);
		if (sip_msg_parse_all(m, &err) != 0)
			assert(err.status >= 400 && err.reason != NULL);
		if (m->is_request) {
			struct buf b;
			struct sip_msg *resp = malloc(sizeof(*resp));

			if (resp == NULL)
				abort();
			buf_init(&b, 0);
			if (sip_build_response(
			        &b, m, 200, SV_NULL, SV("fuzztag")) == 0 &&
			    sip_build_body(&b, SV_NULL, SV_NULL) == 0) {
				/* What we build, we can parse back. */
				int rc = sip_msg_parse(
				    resp, buf_view(&b), NULL, &err);

				assert(rc == 0);
			}
			buf_release(&b);
			free(resp);
		}
	} else {
		assert(err.status >= 400 && err.reason != NULL);
	}
	free(m);
	free(copy);
	return 0;
}
