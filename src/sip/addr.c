/* name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1). */
#include "sip/addr.h"

#include <errno.h>
#include <string.h>

#include "sip/chars.h"
#include "sip/limits.h"
#include "sip/param.h"

static bool
all_digits(struct sv s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	return s.len > 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), stored
 * as thousandths. */
static int
parse_q(struct sv v, uint16_t *out)
{
	unsigned q;
	size_t i;

	if (v.len == 0 || (v.p[0] != '0' && v.p[0] != '1'))
		return -EBADMSG;
	q = (unsigned)(v.p[0] - '0');
	if (v.len == 1) {
		*out = (uint16_t)(q * 1000);
		return 0;
	}
	if (v.p[1] != '.' || v.len > 5)
		return -EBADMSG;
	for (i = 2; i < 5; i++) {
		unsigned d = 0;

		if (i < v.len) {
			if (v.p[i] < '0' || v.p[i] > '9')
				return -EBADMSG;
			d = (unsigned)(v.p[i] - '0');
		}
		q = q * 10 + d;
	}
	if (q > 1000)
		return -EBADMSG;
	*out = (uint16_t)q;
	return 0;
}

/* Header parameters after the URI: LWS, then nothing or ';' params.
 * Picks out tag, and for Contact expires and q; each may appear once. */
static int
parse_params(struct sv tail, struct sip_addr *out, bool contact)
{
	struct sip_param p;
	struct sv list;
	unsigned count = 0;
	uint32_t expires;
	int rc;

	tail = sv_ltrim(tail);
	out->params = tail;
	if (tail.len == 0)
		return 0;
	if (tail.p[0] != ';')
		return -EBADMSG;
	list = tail;
	while ((rc = sip_param_next(&list, &p)) == 1) {
		if (++count > SIP_PARAMS_MAX)
			return -E2BIG;
		if (sv_ieq(p.name, SV("tag"))) {
			/* tag-param = "tag" EQUAL token */
			if (sv_present(out->tag) || p.quoted ||
			    !sip_is_token(p.value))
				return -EBADMSG;
			out->tag = p.value;
		} else if (contact && sv_ieq(p.name, SV("expires"))) {
			/* c-p-expires = "expires" EQUAL delta-seconds */
			if (out->has_expires || p.quoted ||
			    !all_digits(p.value))
				return -EBADMSG;
			if (sv_to_u32(p.value, UINT32_MAX, &expires) != 0)
				return -ERANGE;
			out->expires = expires;
			out->has_expires = true;
		} else if (contact && sv_ieq(p.name, SV("q"))) {
			if (out->has_q || p.quoted)
				return -EBADMSG;
			rc = parse_q(p.value, &out->q);
			if (rc != 0)
				return rc;
			out->has_q = true;
		}
	}
	return rc;
}

/* LAQUOT addr-spec RAQUOT, 's' starting at '<'. No LWS may stand inside
 * the brackets (RFC 4475 §3.1.2.12); the URI parser refuses it. */
static int
parse_angle(struct sv s, struct sip_addr *out, bool contact)
{
	long close;
	int err;

	s = sv_skip(s, 1);
	close = sv_find_char(s, '>');
	if (close < 0)
		return -EBADMSG;
	err = sip_uri_parse(sv_head(s, (size_t)close), &out->uri);
	if (err != 0)
		return err;
	out->angle = true;
	return parse_params(sv_skip(s, (size_t)close + 1), out, contact);
}

/* addr-spec without brackets: the URI ends at the first ';' or LWS and
 * may not hold ',' or '?' (RFC 3261 §20); every parameter after it is a
 * header parameter. */
static int
parse_spec(struct sv s, struct sip_addr *out, bool contact)
{
	struct sv uri;
	size_t n = 0;
	int err;

	while (n < s.len && s.p[n] != ';' && !sv_is_lws_char(s.p[n]))
		n++;
	uri = sv_head(s, n);
	if (sv_find_char(uri, ',') >= 0 || sv_find_char(uri, '?') >= 0)
		return -EBADMSG;
	err = sip_uri_parse(uri, &out->uri);
	if (err != 0)
		return err;
	return parse_params(sv_skip(s, n), out, contact);
}

static int
parse_addr(struct sv in, struct sip_addr *out, bool contact)
{
	struct sv s, rest;
	size_t i = 0, words_end = 0;

	memset(out, 0, sizeof(*out));
	if (in.len > SIP_HEADER_LEN_MAX)
		return -E2BIG;
	s = sv_trim(in);
	if (s.len == 0)
		return -EBADMSG;
	if (s.p[0] == '"') {
		/* display-name = quoted-string, then SWS "<". */
		if (sip_quoted_string(s, &out->display, &rest) != 0)
			return -EBADMSG;
		out->display_quoted = true;
		rest = sv_ltrim(rest);
		if (rest.len == 0 || rest.p[0] != '<')
			return -EBADMSG;
		return parse_angle(rest, out, contact);
	}
	/* display-name = *( token LWS ): if the words end at '<', this is a
	 * name-addr; otherwise the text is an addr-spec (whose scheme reads
	 * as a token up to its ':'). */
	for (;;) {
		size_t n = i;

		while (n < s.len && sip_chars_token[(unsigned char)s.p[n]])
			n++;
		if (n == i)
			break;
		words_end = n;
		i = n;
		while (i < s.len && sv_is_lws_char(s.p[i]))
			i++;
	}
	if (i < s.len && s.p[i] == '<') {
		if (words_end > 0)
			out->display = sv_head(s, words_end);
		return parse_angle(sv_skip(s, i), out, contact);
	}
	return parse_spec(s, out, contact);
}

int
sip_addr_parse(struct sv in, struct sip_addr *out)
{
	return parse_addr(in, out, false);
}

int
sip_contact_parse(struct sv in, struct sip_addr *out)
{
	struct sv s = sv_trim(in);

	if (s.len == 1 && s.p[0] == '*' && in.len <= SIP_HEADER_LEN_MAX) {
		memset(out, 0, sizeof(*out));
		out->star = true;
		out->params = sv_make(s.p + 1, 0);
		return 0;
	}
	return parse_addr(in, out, true);
}
