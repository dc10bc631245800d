/* libFuzzer target for sip_uri_parse, sip_uri_equal, sip_uri_param and
 * sip_uri_unescape. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/limits.h"
#include "sip/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok)
{
	if (!ok)
		abort();
}

/* A view is absent, or lies wholly inside [base, base + size). */
static void
check_view(struct sv v, const char *base, size_t size)
{
	if (v.p == NULL) {
		check(v.len == 0);
		return;
	}
	check(v.p >= base && v.len <= size &&
	      (size_t)(v.p - base) <= size - v.len);
}

static void
check_uri(const struct sip_uri *u, struct sv in)
{
	char out[SIP_URI_MAX];
	size_t n;
	struct sv v;

	check(u->raw.p == in.p && u->raw.len == in.len);
	check_view(u->scheme_name, in.p, in.len);
	check_view(u->user, in.p, in.len);
	check_view(u->password, in.p, in.len);
	check_view(u->host, in.p, in.len);
	check_view(u->params, in.p, in.len);
	check_view(u->headers, in.p, in.len);
	check_view(u->opaque, in.p, in.len);
	check_view(u->transport, in.p, in.len);
	check_view(u->user_param, in.p, in.len);
	check_view(u->method, in.p, in.len);
	check_view(u->maddr, in.p, in.len);
	check(u->host_type != SIP_HOST_NONE || u->scheme == SIP_URI_TEL ||
	      u->scheme == SIP_URI_OTHER);
	check(u->params.len == 0 || u->params.p[0] == ';');
	check(sip_uri_equal(u, u));
	/* Parsed escapes are well formed, and decode within the URI size. */
	check(sip_uri_unescape(u->user, out, sizeof(out), &n) == 0);
	check(n <= u->user.len);
	check(sip_uri_unescape(u->password, out, sizeof(out), &n) == 0);
	check(sip_uri_unescape(u->params, out, sizeof(out), &n) == 0);
	check(sip_uri_unescape(u->headers, out, sizeof(out), &n) == 0);
	/* The well-known fields agree with the generic lookup. */
	if (sv_present(u->transport))
		check(sip_uri_param(u, SV("transport"), &v) == 1 &&
		      v.p == u->transport.p && v.len == u->transport.len);
	if (u->lr)
		check(sip_uri_param(u, SV("lr"), &v) == 1);
	if (sip_uri_param(u, SV("maddr"), &v) == 1)
		check_view(v, in.p, in.len);
}

static void
fuzz_one(const char *buf, size_t size)
{
	struct sip_uri u, w;
	struct sv in = {buf, size};
	char out[64];
	size_t n;
	int rc;

	rc = sip_uri_parse(in, &u);
	check(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ERANGE);
	if (rc == 0) {
		check_uri(&u, in);
		/* Parsing is a function of the bytes alone. */
		check(sip_uri_parse(u.raw, &w) == 0);
		check(memcmp(&u, &w, sizeof(u)) == 0);
	}
	rc = sip_uri_unescape(in, out, sizeof(out), &n);
	check(rc == 0 || rc == -EBADMSG || rc == -E2BIG);
	check(rc != 0 || n <= size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);
	const char *nl;
	struct sip_uri a, b;

	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	fuzz_one(buf, size);
	/* Two URIs split at the first newline: equality is symmetric. */
	nl = size > 0 ? memchr(buf, '\n', size) : NULL;
	if (nl != NULL) {
		size_t first = (size_t)(nl - buf);
		struct sv x = {buf, first};
		struct sv y = {nl + 1, size - first - 1};

		if (sip_uri_parse(x, &a) == 0 && sip_uri_parse(y, &b) == 0)
			check(sip_uri_equal(&a, &b) == sip_uri_equal(&b, &a));
	}
	free(buf);
	return 0;
}
