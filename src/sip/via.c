/* Via values: sent-protocol LWS sent-by *( SEMI via-params ). */
#include "sip/via.h"

#include <errno.h>

#include "sip/chars.h"
#include "sip/host.h"
#include "sip/param.h"

static size_t
span_token(struct sv s)
{
	size_t n = 0;

	while (n < s.len && sip_chars_token[(unsigned char)s.p[n]])
		n++;
	return n;
}

/* Reads a token then, unless it is the last part, SWS "/" SWS. */
static int
protocol_part(struct sv *s, struct sv *out, bool last)
{
	size_t n = span_token(*s);

	if (n == 0)
		return -EBADMSG;
	*out = sv_head(*s, n);
	*s = sv_skip(*s, n);
	if (last)
		return 0;
	*s = sv_ltrim(*s);
	if (s->len == 0 || s->p[0] != '/')
		return -EBADMSG;
	*s = sv_ltrim(sv_skip(*s, 1));
	return 0;
}

/* sent-by = host [ COLON port ]; ends at LWS, ';' or the value's end. */
static int
sent_by(struct sv *s, struct sip_via *out)
{
	size_t n = 0;
	struct sv host_text;
	uint32_t port;

	if (s->len > 0 && s->p[0] == '[') {
		while (n < s->len && s->p[n] != ']')
			n++;
		if (n == s->len)
			return -EBADMSG;
		n++;
	} else {
		while (n < s->len && s->p[n] != ':' && s->p[n] != ';' &&
		       !sv_is_lws_char(s->p[n]))
			n++;
	}
	host_text = sv_head(*s, n);
	if (sip_host_parse(host_text, &out->host, &out->host_type) != 0)
		return -EBADMSG;
	*s = sv_skip(*s, n);
	{
		struct sv rest = sv_ltrim(*s);

		if (rest.len == 0 || rest.p[0] != ':')
			return 0;
		rest = sv_ltrim(sv_skip(rest, 1));
		n = 0;
		while (n < rest.len && rest.p[n] >= '0' && rest.p[n] <= '9')
			n++;
		if (n == 0)
			return -EBADMSG;
		if (sv_to_u32(sv_head(rest, n), 65535, &port) != 0)
			return -ERANGE;
		out->port = (uint16_t)port;
		out->has_port = true;
		*s = sv_skip(rest, n);
	}
	return 0;
}

static int
set_once(struct sv *field, struct sv value)
{
	if (sv_present(*field))
		return -EBADMSG; /* the same parameter twice */
	*field = value;
	return 0;
}

static int
via_param(struct sip_via *out, const struct sip_param *p, bool *seen_ttl)
{
	uint32_t v;

	if (sv_ieq(p->name, SV("branch"))) {
		if (!p->has_value || p->quoted || sv_empty(p->value))
			return -EBADMSG;
		return set_once(&out->branch, p->value);
	}
	if (sv_ieq(p->name, SV("received"))) {
		struct sv addr = p->value;

		/* RFC 5118 §4.5: an IPv6 address may come bracketed or not;
		 * it is kept without brackets. */
		if (addr.len >= 2 && addr.p[0] == '[' &&
		    addr.p[addr.len - 1] == ']')
			addr = sv_make(addr.p + 1, addr.len - 2);
		if (!p->has_value ||
		    !(sip_host_is_ipv4(addr) || sip_host_is_ipv6(addr)))
			return -EBADMSG;
		return set_once(&out->received, addr);
	}
	if (sv_ieq(p->name, SV("maddr"))) {
		struct sv host;
		enum sip_host_type type;

		if (!p->has_value ||
		    sip_host_parse(p->value, &host, &type) != 0)
			return -EBADMSG;
		return set_once(&out->maddr, host);
	}
	if (sv_ieq(p->name, SV("rport"))) {
		if (out->rport)
			return -EBADMSG;
		out->rport = true;
		if (!p->has_value)
			return 0;
		if (sv_to_u32(p->value, 65535, &v) != 0 || v == 0)
			return -ERANGE;
		out->rport_value = (uint16_t)v;
		return 0;
	}
	if (sv_ieq(p->name, SV("ttl"))) {
		if (*seen_ttl || !p->has_value)
			return -EBADMSG;
		if (sv_to_u32(p->value, 255, &v) != 0)
			return -ERANGE;
		*seen_ttl = true;
		out->ttl = (uint8_t)v;
		out->has_ttl = true;
		return 0;
	}
	return 0;
}

int
sip_via_parse(struct sv value, struct sip_via *out)
{
	struct sv s = sv_trim(value);
	struct sip_param p;
	bool seen_ttl = false;
	int rc;

	*out = (struct sip_via){0};
	if (protocol_part(&s, &out->protocol, false) != 0 ||
	    protocol_part(&s, &out->version, false) != 0 ||
	    protocol_part(&s, &out->transport, true) != 0)
		return -EBADMSG;
	/* LWS is mandatory between sent-protocol and sent-by. */
	if (s.len == 0 || !sv_is_lws_char(s.p[0]))
		return -EBADMSG;
	s = sv_ltrim(s);
	rc = sent_by(&s, out);
	if (rc != 0)
		return rc;
	out->params = sv_ltrim(s);
	while ((rc = sip_param_next(&s, &p)) == 1) {
		rc = via_param(out, &p, &seen_ttl);
		if (rc != 0)
			return rc;
	}
	return rc;
}

bool
sip_via_branch_is_rfc3261(const struct sip_via *via)
{
	/* The cookie alone identifies nothing (RFC 4475 §3.3.2 badbranch). */
	return via->branch.len > 7 &&
	       sv_starts_with(via->branch, SV("z9hG4bK"));
}
