/* SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), zero-copy. */
#include "sip/uri.h"

#include <errno.h>
#include <string.h>

#include "sip/chars.h"
#include "sip/host.h"
#include "sip/limits.h"

/* RFC 3261 §25.1 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static const bool scheme_chars[256] = {
    SIP_CHARS_ALPHANUM,
    ['+'] = true,
    ['-'] = true,
    ['.'] = true,
};

/* RFC 3966 phonedigit-hex: HEXDIG / "*" / "#" / visual-separator. */
static const bool tel_local_chars[256] = {
    SIP_CHARS_DIGIT,
    ['#'] = true,
    ['('] = true,
    [')'] = true,
    ['*'] = true,
    ['-'] = true,
    ['.'] = true,
    ['A'] = true,
    ['B'] = true,
    ['C'] = true,
    ['D'] = true,
    ['E'] = true,
    ['F'] = true,
    ['a'] = true,
    ['b'] = true,
    ['c'] = true,
    ['d'] = true,
    ['e'] = true,
    ['f'] = true,
};

/* RFC 3966 phonedigit: DIGIT / visual-separator. */
static const bool tel_digit_chars[256] = {
    SIP_CHARS_DIGIT,
    ['('] = true,
    [')'] = true,
    ['-'] = true,
    ['.'] = true,
};

/* RFC 3966 pname: 1*( alphanum / "-" ). */
static const bool tel_pname_chars[256] = {
    SIP_CHARS_ALPHANUM,
    ['-'] = true,
};

/* RFC 3966 isdn-subaddress value: 1*uric, without the ';' that ends
 * every parameter. */
static const bool tel_uric_chars[256] = {
    SIP_CHARS_UNRESERVED,
    ['$'] = true,
    ['%'] = true,
    ['&'] = true,
    ['+'] = true,
    [','] = true,
    ['/'] = true,
    [':'] = true,
    ['='] = true,
    ['?'] = true,
    ['@'] = true,
};

/* RFC 2396 reserved: an escaped reserved character is not equivalent to
 * the literal one (RFC 3261 §19.1.4). */
static const bool reserved_chars[256] = {
    ['$'] = true,
    ['&'] = true,
    ['+'] = true,
    [','] = true,
    ['/'] = true,
    [':'] = true,
    [';'] = true,
    ['='] = true,
    ['?'] = true,
    ['@'] = true,
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_visual_separator(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/* Length of the prefix of s made of bytes other than the two given. */
static size_t
span_until2(struct sv s, char a, char b)
{
	size_t n = 0;

	while (n < s.len && s.p[n] != a && s.p[n] != b)
		n++;
	return n;
}

/* A non-empty run of 'set' bytes whose %-escapes are all well formed. */
static bool
escaped_run_valid(struct sv s, const bool set[256])
{
	return s.len > 0 && sv_all_in(s, set) && sip_escapes_valid(s);
}

/* Digits only, then the value: -EBADMSG for anything but digits (so a
 * long malformed number is not reported as out of range). */
static int
parse_number(struct sv s, uint32_t max, uint32_t *out)
{
	for (size_t i = 0; i < s.len; i++)
		if (!is_digit(s.p[i]))
			return -EBADMSG;
	if (s.len == 0)
		return -EBADMSG;
	return sv_to_u32(s, max, out) == 0 ? 0 : -ERANGE;
}

/* hostport = host [ ":" port ]. */
static int
parse_hostport(struct sv hp, struct sip_uri *u)
{
	struct sv host_text;
	size_t n;
	uint32_t port;
	int err;

	if (hp.len == 0)
		return -EBADMSG;
	if (hp.p[0] == '[') {
		long close = sv_find_char(hp, ']');

		if (close < 0)
			return -EBADMSG;
		n = (size_t)close + 1;
	} else {
		n = span_until2(hp, ':', ':');
	}
	host_text = sv_head(hp, n);
	if (sip_host_parse(host_text, &u->host, &u->host_type) != 0)
		return -EBADMSG;
	hp = sv_skip(hp, n);
	if (hp.len == 0)
		return 0;
	if (hp.p[0] != ':')
		return -EBADMSG;
	err = parse_number(sv_skip(hp, 1), UINT16_MAX, &port);
	if (err != 0)
		return err;
	u->port = (uint16_t)port;
	u->has_port = true;
	return 0;
}

/* Escape-aware comparison. */

/* Next unit of s: a byte, with %-escapes decoded; an escaped reserved
 * character comes back as 256 + byte so that it differs from the literal
 * one. Returns -1 at the end. */
static int
next_unit(struct sv *s)
{
	unsigned char c;

	if (s->len == 0)
		return -1;
	c = (unsigned char)s->p[0];
	if (c == '%' && s->len >= 3 && sv_hex_value(s->p[1]) >= 0 &&
	    sv_hex_value(s->p[2]) >= 0) {
		int v = sv_hex_value(s->p[1]) * 16 + sv_hex_value(s->p[2]);

		*s = sv_skip(*s, 3);
		return reserved_chars[v] ? 256 + v : v;
	}
	*s = sv_skip(*s, 1);
	return c;
}

static int
lower_unit(int u)
{
	return (u >= 'A' && u <= 'Z') ? u + ('a' - 'A') : u;
}

static bool
units_eq(struct sv a, struct sv b, bool icase)
{
	for (;;) {
		int x = next_unit(&a);
		int y = next_unit(&b);

		if (icase) {
			x = lower_unit(x);
			y = lower_unit(y);
		}
		if (x != y)
			return false;
		if (x < 0)
			return true;
	}
}

/* Parameters and headers. */

struct uri_item {
	struct sv name;
	struct sv value; /* empty when has_value is false */
	bool has_value;
};

/* Splits the next item off a list whose items each follow one 'sep'
 * (a parameter list from its first ';'); the '=' splits name and value.
 * Returns false at the end of the list. */
static bool
item_next(struct sv *list, char sep, struct uri_item *it)
{
	struct sv s;
	size_t n;
	long eq;

	if (list->len == 0 || list->p[0] != sep)
		return false;
	s = sv_skip(*list, 1);
	n = span_until2(s, sep, sep);
	*list = sv_skip(s, n);
	s = sv_head(s, n);
	eq = sv_find_char(s, '=');
	if (eq < 0) {
		it->name = s;
		it->value = sv_make(s.p + s.len, 0);
		it->has_value = false;
	} else {
		it->name = sv_head(s, (size_t)eq);
		it->value = sv_skip(s, (size_t)eq + 1);
		it->has_value = true;
	}
	return true;
}

/* A headers view (after '?') as an '&'-prefixed list for item_next: the
 * first item has no '&' before it. */
static bool
header_next(struct sv *list, bool *first, struct uri_item *it)
{
	struct sv s;
	size_t n;
	long eq;

	if (*first) {
		*first = false;
		if (list->p == NULL)
			return false;
		s = *list;
	} else {
		if (list->len == 0 || list->p[0] != '&')
			return false;
		s = sv_skip(*list, 1);
	}
	n = span_until2(s, '&', '&');
	*list = sv_skip(s, n);
	s = sv_head(s, n);
	eq = sv_find_char(s, '=');
	it->name = eq < 0 ? s : sv_head(s, (size_t)eq);
	it->value =
	    eq < 0 ? sv_make(s.p + s.len, 0) : sv_skip(s, (size_t)eq + 1);
	it->has_value = eq >= 0;
	return true;
}

static bool
name_is(struct sv name, const char *lit)
{
	return units_eq(name, sv_cstr(lit), true);
}

/* Stores a well-known parameter value, refusing a second one. */
static int
set_once(struct sv *field, struct sv value)
{
	if (sv_present(*field))
		return -EBADMSG;
	*field = value;
	return 0;
}

static int
set_token(struct sv *field, const struct uri_item *it)
{
	if (!it->has_value || !sip_is_token(it->value))
		return -EBADMSG;
	return set_once(field, it->value);
}

/* RFC 3261 §19.1.1 well-known URI parameters. */
static int
sip_param_known(struct sip_uri *u, const struct uri_item *it)
{
	struct sv host;
	enum sip_host_type type;
	uint32_t ttl;
	int err;

	if (name_is(it->name, "lr")) {
		/* "lr" takes no value, but "lr=on" is common and harmless. */
		if (u->lr)
			return -EBADMSG;
		u->lr = true;
		return 0;
	}
	/* other-transport, other-user and Method are tokens. */
	if (name_is(it->name, "transport"))
		return set_token(&u->transport, it);
	if (name_is(it->name, "user"))
		return set_token(&u->user_param, it);
	if (name_is(it->name, "method"))
		return set_token(&u->method, it);
	if (name_is(it->name, "maddr")) {
		if (!it->has_value ||
		    sip_host_parse(it->value, &host, &type) != 0)
			return -EBADMSG;
		return set_once(&u->maddr, it->value);
	}
	if (name_is(it->name, "ttl")) {
		if (u->has_ttl || !it->has_value)
			return -EBADMSG;
		err = parse_number(it->value, 255, &ttl);
		if (err != 0)
			return err;
		if (it->value.len > 3)
			return -EBADMSG; /* ttl = 1*3DIGIT */
		u->ttl = (uint8_t)ttl;
		u->has_ttl = true;
	}
	return 0;
}

/* uri-parameters = *( ";" pname [ "=" pvalue ] ), both 1*paramchar. */
static int
parse_sip_params(struct sv params, struct sip_uri *u)
{
	struct uri_item it;
	unsigned count = 0;
	int err;

	while (item_next(&params, ';', &it)) {
		if (++count > SIP_PARAMS_MAX)
			return -E2BIG;
		if (!escaped_run_valid(it.name, sip_chars_uri_param))
			return -EBADMSG;
		if (it.has_value &&
		    !escaped_run_valid(it.value, sip_chars_uri_param))
			return -EBADMSG;
		err = sip_param_known(u, &it);
		if (err != 0)
			return err;
	}
	return 0;
}

/* headers = "?" header *( "&" header ), header = hname "=" hvalue. */
static int
parse_headers(struct sv headers, struct sip_uri *u)
{
	struct uri_item it;
	bool first = true;
	unsigned count = 0;

	(void)u;
	while (header_next(&headers, &first, &it)) {
		if (++count > SIP_PARAMS_MAX)
			return -E2BIG;
		if (!it.has_value ||
		    !escaped_run_valid(it.name, sip_chars_uri_header))
			return -EBADMSG;
		if (it.value.len > 0 &&
		    !escaped_run_valid(it.value, sip_chars_uri_header))
			return -EBADMSG;
	}
	return 0;
}

/* Schemes. */

/* SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ]. */
static int
parse_sip(struct sv rest, struct sip_uri *u)
{
	long at = sv_find_char(rest, '@');
	size_t n;
	int err;

	if (at >= 0) {
		/* userinfo = user [ ":" password ] "@": neither part may hold
		 * an '@', nor the user a ':'. */
		struct sv ui = sv_head(rest, (size_t)at);
		long colon = sv_find_char(ui, ':');

		rest = sv_skip(rest, (size_t)at + 1);
		if (colon >= 0) {
			u->user = sv_head(ui, (size_t)colon);
			u->password = sv_skip(ui, (size_t)colon + 1);
			if (u->password.len > 0 &&
			    !escaped_run_valid(u->password, sip_chars_password))
				return -EBADMSG;
		} else {
			u->user = ui;
		}
		if (!escaped_run_valid(u->user, sip_chars_user))
			return -EBADMSG;
	}
	n = span_until2(rest, ';', '?');
	err = parse_hostport(sv_head(rest, n), u);
	if (err != 0)
		return err;
	rest = sv_skip(rest, n);
	if (rest.len > 0 && rest.p[0] == ';') {
		n = span_until2(rest, '?', '?');
		u->params = sv_head(rest, n);
		rest = sv_skip(rest, n);
		err = parse_sip_params(u->params, u);
		if (err != 0)
			return err;
	}
	if (rest.len > 0) {
		/* Only "?" headers can be left; it needs at least one. */
		u->headers = sv_skip(rest, 1);
		if (u->headers.len == 0)
			return -EBADMSG;
		return parse_headers(u->headers, u);
	}
	return 0;
}

/* global-number-digits = "+" *phonedigit DIGIT *phonedigit */
static bool
tel_global_valid(struct sv s)
{
	bool digit = false;

	if (s.len < 2 || s.p[0] != '+')
		return false;
	for (size_t i = 1; i < s.len; i++) {
		if (!tel_digit_chars[(unsigned char)s.p[i]])
			return false;
		digit = digit || is_digit(s.p[i]);
	}
	return digit;
}

/* local-number-digits = *phonedigit-hex ( HEXDIG / "*" / "#" )
 * *phonedigit-hex */
static bool
tel_local_valid(struct sv s)
{
	bool digit = false;

	for (size_t i = 0; i < s.len; i++) {
		if (!tel_local_chars[(unsigned char)s.p[i]])
			return false;
		digit = digit || !is_visual_separator(s.p[i]);
	}
	return digit;
}

/* One RFC 3966 par: isdn-subaddress, extension, phone-context or a
 * generic parameter. */
static int
tel_param(
    const struct uri_item *it, bool *seen_isub, bool *seen_ext, bool *seen_ctx)
{
	const bool *set = sip_chars_uri_param;
	bool *seen = NULL;

	if (!sv_all_in(it->name, tel_pname_chars) || it->name.len == 0)
		return -EBADMSG;
	if (sv_ieq(it->name, SV("isub"))) {
		seen = seen_isub;
		set = tel_uric_chars;
	} else if (sv_ieq(it->name, SV("ext"))) {
		seen = seen_ext;
		set = tel_digit_chars;
	} else if (sv_ieq(it->name, SV("phone-context"))) {
		/* descriptor = domainname / global-number-digits */
		if (*seen_ctx || !it->has_value ||
		    !(tel_global_valid(it->value) ||
		        sip_host_is_name(it->value)))
			return -EBADMSG;
		*seen_ctx = true;
		return 0;
	}
	if (seen != NULL) {
		if (*seen || !it->has_value)
			return -EBADMSG;
		*seen = true;
	}
	if (it->has_value && !escaped_run_valid(it->value, set))
		return -EBADMSG;
	return 0;
}

/* telephone-uri = "tel:" telephone-subscriber (RFC 3966 §3). */
static int
parse_tel(struct sv rest, struct sip_uri *u)
{
	struct uri_item it;
	struct sv params;
	bool isub = false, ext = false, ctx = false, global;
	unsigned count = 0;
	size_t n;
	int err;

	n = span_until2(rest, ';', ';');
	u->user = sv_head(rest, n);
	global = u->user.len > 0 && u->user.p[0] == '+';
	if (global ? !tel_global_valid(u->user) : !tel_local_valid(u->user))
		return -EBADMSG;
	if (n < rest.len)
		u->params = sv_skip(rest, n);
	params = sv_skip(rest, n);
	while (item_next(&params, ';', &it)) {
		if (++count > SIP_PARAMS_MAX)
			return -E2BIG;
		err = tel_param(&it, &isub, &ext, &ctx);
		if (err != 0)
			return err;
	}
	/* A local number is meaningless without its context (§5.1.5). */
	if (!global && !ctx)
		return -EBADMSG;
	return 0;
}

/* absoluteURI: the opaque part must be printable ASCII without the
 * delimiters '<', '>' and '"' (RFC 2396 §2.4.3), so that it can be put
 * back between angle brackets. */
static int
parse_other(struct sv rest, struct sip_uri *u)
{
	if (rest.len == 0)
		return -EBADMSG;
	for (size_t i = 0; i < rest.len; i++) {
		unsigned char c = (unsigned char)rest.p[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
			return -EBADMSG;
	}
	u->opaque = rest;
	return 0;
}

int
sip_uri_parse(struct sv in, struct sip_uri *out)
{
	struct sv rest;
	long colon;

	memset(out, 0, sizeof(*out));
	if (in.len > SIP_URI_MAX)
		return -E2BIG;
	out->raw = in;
	colon = sv_find_char(in, ':');
	if (colon <= 0)
		return -EBADMSG;
	out->scheme_name = sv_head(in, (size_t)colon);
	if (!is_alpha(in.p[0]) || !sv_all_in(out->scheme_name, scheme_chars))
		return -EBADMSG;
	rest = sv_skip(in, (size_t)colon + 1);
	if (sv_ieq(out->scheme_name, SV("sip"))) {
		out->scheme = SIP_URI_SIP;
		return parse_sip(rest, out);
	}
	if (sv_ieq(out->scheme_name, SV("sips"))) {
		out->scheme = SIP_URI_SIPS;
		return parse_sip(rest, out);
	}
	if (sv_ieq(out->scheme_name, SV("tel"))) {
		out->scheme = SIP_URI_TEL;
		return parse_tel(rest, out);
	}
	out->scheme = SIP_URI_OTHER;
	return parse_other(rest, out);
}

int
sip_uri_param(const struct sip_uri *u, struct sv name, struct sv *value)
{
	struct sv list = u->params;
	struct uri_item it;

	while (item_next(&list, ';', &it)) {
		if (units_eq(it.name, name, true)) {
			*value = it.value;
			return 1;
		}
	}
	return 0;
}

int
sip_uri_unescape(struct sv in, char *out, size_t out_max, size_t *out_len)
{
	size_t n = 0;

	if (!sip_escapes_valid(in))
		return -EBADMSG;
	for (size_t i = 0; i < in.len; i++) {
		char c = in.p[i];

		if (c == '%') {
			c = (char)(sv_hex_value(in.p[i + 1]) * 16 +
			           sv_hex_value(in.p[i + 2]));
			i += 2;
		}
		if (n >= out_max)
			return -E2BIG;
		out[n++] = c;
	}
	*out_len = n;
	return 0;
}

/* Equality. */

/* Present in both and equal (byte units after unescaping, case as
 * asked), or absent from both. */
static bool
opt_eq(struct sv a, struct sv b, bool icase)
{
	if (sv_present(a) != sv_present(b))
		return false;
	return !sv_present(a) || units_eq(a, b, icase);
}

/* RFC 3966 §4: phone numbers compare digit by digit, ignoring visual
 * separators, hex digits case-insensitively. */
static bool
phone_eq(struct sv a, struct sv b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a.len && is_visual_separator(a.p[i]))
			i++;
		while (j < b.len && is_visual_separator(b.p[j]))
			j++;
		if (i == a.len || j == b.len)
			return i == a.len && j == b.len;
		if (sv_lower_char(a.p[i]) != sv_lower_char(b.p[j]))
			return false;
		i++;
		j++;
	}
}

static bool
tel_value_eq(struct sv name, struct sv a, struct sv b)
{
	if (sv_ieq(name, SV("ext")))
		return phone_eq(a, b);
	if (sv_ieq(name, SV("phone-context")) && a.len > 0 && b.len > 0 &&
	    a.p[0] == '+' && b.p[0] == '+')
		return phone_eq(a, b);
	return units_eq(a, b, true);
}

/* RFC 3261 §19.1.4: these never match a URI without them. */
static bool
param_sticky(struct sv name)
{
	return name_is(name, "user") || name_is(name, "ttl") ||
	       name_is(name, "method") || name_is(name, "maddr") ||
	       name_is(name, "transport");
}

/* Every parameter of a that b also names must match one of b's values;
 * one that b lacks is fatal when sticky, or for tel when any is. */
static bool
params_cover(const struct sip_uri *a, const struct sip_uri *b, bool tel)
{
	struct sv la = a->params;
	struct uri_item x;

	while (item_next(&la, ';', &x)) {
		struct sv lb = b->params;
		struct uri_item y;
		bool named = false, matched = false;

		while (item_next(&lb, ';', &y) && !matched) {
			if (!units_eq(x.name, y.name, true))
				continue;
			named = true;
			matched = x.has_value == y.has_value &&
			          (tel ? tel_value_eq(x.name, x.value, y.value)
			               : units_eq(x.value, y.value, true));
		}
		if (named && !matched)
			return false;
		if (!named && (tel || param_sticky(x.name)))
			return false;
	}
	return true;
}

static bool
header_eq(const struct uri_item *x, const struct uri_item *y)
{
	return units_eq(x->name, y->name, true) &&
	       units_eq(x->value, y->value, true);
}

static unsigned
header_count(struct sv headers, const struct uri_item *x)
{
	struct uri_item y;
	bool first = true;
	unsigned n = 0;

	while (header_next(&headers, &first, &y))
		if (x == NULL || header_eq(x, &y))
			n++;
	return n;
}

/* Headers are never ignored: both URIs hold the same multiset. */
static bool
headers_eq(struct sv a, struct sv b)
{
	struct uri_item x;
	struct sv la = a;
	bool first = true;

	if (header_count(a, NULL) != header_count(b, NULL))
		return false;
	while (header_next(&la, &first, &x))
		if (header_count(a, &x) != header_count(b, &x))
			return false;
	return true;
}

static bool
host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	uint8_t x[16], y[16];

	if (a->host_type != b->host_type)
		return false;
	if (a->host_type == SIP_HOST_IPV6)
		return sip_host_ipv6_bytes(a->host, x) &&
		       sip_host_ipv6_bytes(b->host, y) &&
		       memcmp(x, y, sizeof(x)) == 0;
	return sv_ieq(a->host, b->host);
}

bool
sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_URI_OTHER:
		return sv_ieq(a->scheme_name, b->scheme_name) &&
		       sv_eq(a->opaque, b->opaque);
	case SIP_URI_TEL:
		return phone_eq(a->user, b->user) && params_cover(a, b, true) &&
		       params_cover(b, a, true);
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		break;
	}
	return opt_eq(a->user, b->user, false) &&
	       opt_eq(a->password, b->password, false) && host_eq(a, b) &&
	       a->has_port == b->has_port && a->port == b->port &&
	       params_cover(a, b, false) && params_cover(b, a, false) &&
	       headers_eq(a->headers, b->headers);
}
