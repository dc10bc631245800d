/* libFuzzer target for sip_addr_parse and sip_contact_parse. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/addr.h"
#include "sip/param.h"

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
check_addr(const struct sip_addr *a, struct sv in)
{
	const struct sip_uri *u = &a->uri;
	struct sip_param p;

	check_view(a->display, in.p, in.len);
	check_view(a->params, in.p, in.len);
	check_view(a->tag, in.p, in.len);
	if (a->star) {
		check(!a->angle && !sv_present(a->display));
		return;
	}
	check_view(u->raw, in.p, in.len);
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
	check(u->raw.len > 0);
	check(sip_uri_equal(u, u));
	check(!a->display_quoted || sv_present(a->display));
	/* The display name comes before the URI, the parameters after. */
	if (sv_present(a->display))
		check(a->angle && a->display.p + a->display.len <= u->raw.p);
	check(a->params.p >= u->raw.p + u->raw.len);
	check(a->params.len == 0 || a->params.p[0] == ';');
	/* The URI parses alone to the same result. */
	{
		struct sip_uri w;

		check(sip_uri_parse(u->raw, &w) == 0);
		check(sip_uri_equal(u, &w));
	}
	check(sip_param_check(a->params) >= 0);
	if (sv_present(a->tag))
		check(sip_param_find(a->params, SV("tag"), &p) == 1 &&
		      p.value.p == a->tag.p);
	check(a->q <= 1000);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size > 0 ? size : 1);
	struct sip_addr a;
	struct sv in;
	int rc;

	if (buf == NULL)
		return 0;
	if (size > 0)
		memcpy(buf, data, size);
	in = (struct sv){buf, size};
	rc = sip_addr_parse(in, &a);
	check(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ERANGE);
	if (rc == 0) {
		check(!a.star && !a.has_q && !a.has_expires);
		check_addr(&a, in);
	}
	rc = sip_contact_parse(in, &a);
	check(rc == 0 || rc == -EBADMSG || rc == -E2BIG || rc == -ERANGE);
	if (rc == 0)
		check_addr(&a, in);
	free(buf);
	return 0;
}
