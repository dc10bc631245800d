/* Generic header parameters (RFC 3261 §25.1 generic-param). */
#include "sip/param.h"

#include <errno.h>

#include "sip/chars.h"
#include "sip/limits.h"

/* gen-value = token / host / quoted-string: a host adds ':' and the
 * brackets of an IPv6 reference to the token characters. */
static const bool gen_value_chars[256] = {
    SIP_CHARS_ALPHANUM,
    ['!'] = true,
    ['%'] = true,
    ['\''] = true,
    ['*'] = true,
    ['+'] = true,
    ['-'] = true,
    ['.'] = true,
    [':'] = true,
    ['['] = true,
    [']'] = true,
    ['_'] = true,
    ['`'] = true,
    ['~'] = true,
};

static size_t
span(struct sv s, const bool set[256])
{
	size_t n = 0;

	while (n < s.len && set[(unsigned char)s.p[n]])
		n++;
	return n;
}

int
sip_quoted_string(struct sv in, struct sv *inner, struct sv *rest)
{
	size_t i;

	if (in.len == 0 || in.p[0] != '"')
		return -EBADMSG;
	for (i = 1; i < in.len; i++) {
		unsigned char c = (unsigned char)in.p[i];

		if (c == '"') {
			*inner = sv_make(in.p + 1, i - 1);
			*rest = sv_skip(in, i + 1);
			return 0;
		}
		if (c == '\\') {
			/* quoted-pair: any byte but CR and LF. */
			if (i + 1 >= in.len || in.p[i + 1] == '\r' ||
			    in.p[i + 1] == '\n')
				return -EBADMSG;
			i++;
			continue;
		}
		/* qdtext: LWS, or printable ASCII and UTF-8 bytes. */
		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
			return -EBADMSG;
		if (c == 0x7f)
			return -EBADMSG;
	}
	return -EBADMSG;
}

int
sip_param_next(struct sv *in, struct sip_param *out)
{
	struct sv s = sv_ltrim(*in);
	size_t n;

	if (s.len == 0) {
		*in = s;
		return 0;
	}
	if (s.p[0] != ';')
		return -EBADMSG;
	s = sv_ltrim(sv_skip(s, 1));
	n = span(s, sip_chars_token);
	if (n == 0)
		return -EBADMSG;
	out->name = sv_head(s, n);
	out->value = sv_make(s.p + n, 0);
	out->has_value = false;
	out->quoted = false;
	s = sv_ltrim(sv_skip(s, n));
	if (s.len > 0 && s.p[0] == '=') {
		s = sv_ltrim(sv_skip(s, 1));
		out->has_value = true;
		if (s.len > 0 && s.p[0] == '"') {
			if (sip_quoted_string(s, &out->value, &s) != 0)
				return -EBADMSG;
			out->quoted = true;
		} else {
			n = span(s, gen_value_chars);
			if (n == 0)
				return -EBADMSG;
			out->value = sv_head(s, n);
			s = sv_skip(s, n);
		}
	}
	/* Only LWS or the next ';' may follow. */
	*in = s;
	s = sv_ltrim(s);
	if (s.len > 0 && s.p[0] != ';')
		return -EBADMSG;
	return 1;
}

int
sip_param_find(struct sv params, struct sv name, struct sip_param *out)
{
	struct sip_param p;
	unsigned count = 0;
	int rc;

	while ((rc = sip_param_next(&params, &p)) == 1) {
		if (++count > SIP_PARAMS_MAX)
			return -E2BIG;
		if (sv_ieq(p.name, name)) {
			*out = p;
			return 1;
		}
	}
	return rc;
}

int
sip_param_check(struct sv params)
{
	struct sip_param p;
	int count = 0;
	int rc;

	while ((rc = sip_param_next(&params, &p)) == 1)
		if ((unsigned)++count > SIP_PARAMS_MAX)
			return -E2BIG;
	return rc < 0 ? rc : count;
}
