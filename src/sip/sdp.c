/* SDP (RFC 8866) parser and builder, with the attributes of RFC 3605
 * (rtcp), RFC 4145 (setup), RFC 4568 (crypto), RFC 5761 (rtcp-mux),
 * RFC 5888 (mid) and RFC 8122 (fingerprint).
 *
 * Parsing is done in two passes over the same data: a lexical pass cuts
 * lines into fields of a struct sdp_session, then check_session() applies
 * every syntax rule to the fields. sdp_build() runs the same
 * check_session() before writing, so the builder accepts exactly what the
 * parser produces and a build always parses back to equal fields. */
#include "sip/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* Optional text views count as absent when empty: the parser never stores
 * an empty value, and a caller clears a field by emptying it. */
static bool
has(struct sv s)
{
	return s.len > 0;
}

/* RFC 8866 §9: token-char = %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39
 * / %x41-5A / %x5E-7E. It excludes space, '"', '(', ')', ',', '/', ':'
 * to '@', '[', '\' and ']'. */
static bool
is_token_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2a ||
	       c == 0x2b || c == 0x2d || c == 0x2e ||
	       (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
	       (c >= 0x5e && c <= 0x7e);
}

static bool
is_token(struct sv s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_token_char((unsigned char)s.p[i]))
			return false;
	return true;
}

/* byte-string = 1*(%x01-09 / %x0B-0C / %x0E-FF) */
static bool
is_text(struct sv s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] == '\0' || s.p[i] == '\r' || s.p[i] == '\n')
			return false;
	return true;
}

/* non-ws-string = 1*(VCHAR / %x80-FF) */
static bool
is_nonws(struct sv s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c <= 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_digits(struct sv s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_digit(s.p[i]))
			return false;
	return true;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static struct sv
rtrim_blank(struct sv s)
{
	while (s.len > 0 && is_blank(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Takes the next field of *rest: the bytes up to a space or the end. The
 * run of spaces after it is dropped. Returns false when *rest is empty. */
static bool
next_field(struct sv *rest, struct sv *field)
{
	size_t n = 0;

	if (rest->len == 0)
		return false;
	while (n < rest->len && rest->p[n] != ' ')
		n++;
	*field = sv_make(rest->p, n);
	while (n < rest->len && rest->p[n] == ' ')
		n++;
	*rest = sv_skip(*rest, n);
	return true;
}

/* Splits *rest into at most 'max' fields; returns how many there were, or
 * max + 1 when more remain. */
static unsigned
split_fields(struct sv rest, struct sv *fields, unsigned max)
{
	unsigned n = 0;
	struct sv f;

	while (next_field(&rest, &f)) {
		if (n == max)
			return max + 1;
		fields[n++] = f;
	}
	return n;
}

/* Splits 's' at the first 'c' (the view stays whole in *head when 'c' is
 * absent, and *tail is then SV_NULL). */
static bool
cut(struct sv s, char c, struct sv *head, struct sv *tail)
{
	struct sv rest = s;

	if (!sv_split(&rest, c, head)) {
		*head = s;
		*tail = SV_NULL;
		return false;
	}
	*tail = rest;
	return true;
}

/* Payload types and other formats compare as numbers when both are
 * digits, so that "8" and "08" are one format. */
static bool
fmt_eq(struct sv a, struct sv b)
{
	uint32_t x, y;

	if (sv_eq(a, b))
		return true;
	return sv_to_u32(a, UINT32_MAX, &x) == 0 &&
	       sv_to_u32(b, UINT32_MAX, &y) == 0 && x == y;
}

/* Addresses. The character checks come first: inet_pton() stops at a
 * NUL, which a caller's view might hold. */

static bool
is_ipv4(struct sv s)
{
	char tmp[16];
	struct in_addr a4;

	if (s.len == 0 || s.len >= sizeof(tmp))
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_digit(s.p[i]) && s.p[i] != '.')
			return false;
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	return inet_pton(AF_INET, tmp, &a4) == 1;
}

static bool
is_ipv6(struct sv s)
{
	char tmp[46];
	struct in6_addr a6;

	if (s.len == 0 || s.len >= sizeof(tmp))
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (sv_hex_value(s.p[i]) < 0 && s.p[i] != ':' && s.p[i] != '.')
			return false;
	memcpy(tmp, s.p, s.len);
	tmp[s.len] = '\0';
	return inet_pton(AF_INET6, tmp, &a6) == 1;
}

/* A domain name: labels of 1-63 letters, digits and '-', at most 253
 * bytes, not made only of digits and dots (that would be a bad IPv4). */
static bool
is_fqdn(struct sv s)
{
	size_t label = 0;
	bool alpha = false;

	if (s.len == 0 || s.len > 253)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (++label > 63)
			return false;
		if (is_digit(c))
			continue;
		if (c != '-' && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z'))
			return false;
		alpha = true;
	}
	return label > 0 && alpha;
}

static bool
is_nettype(struct sv s)
{
	return sv_ieq(s, SV("IN"));
}

static bool
is_addrtype(struct sv s)
{
	return sv_ieq(s, SV("IP4")) || sv_ieq(s, SV("IP6"));
}

/* RFC 8866 §5.7 and §9: an address of the given type, or a domain name. */
static bool
is_address(struct sv addrtype, struct sv addr)
{
	if (sv_ieq(addrtype, SV("IP4")))
		return is_ipv4(addr) || is_fqdn(addr);
	if (sv_ieq(addrtype, SV("IP6")))
		return is_ipv6(addr) || is_fqdn(addr);
	return false;
}

/* Multicast suffix: "ttl", "ttl/count" (IP4) or "count" (IP6); checked
 * loosely as one or two decimal numbers. */
static bool
is_mcast_suffix(struct sv s)
{
	struct sv a, b;
	uint32_t v;

	if (!cut(s, '/', &a, &b))
		return sv_to_u32(a, UINT32_MAX, &v) == 0;
	return sv_to_u32(a, UINT32_MAX, &v) == 0 &&
	       sv_to_u32(b, UINT32_MAX, &v) == 0;
}

/* r= and z= values: digits, "dhms" units, '-' (z= offsets), separated by
 * spaces; neither starting nor ending with a space. */
static bool
is_time_list(struct sv s)
{
	if (s.len == 0 || s.p[0] == ' ' || s.p[s.len - 1] == ' ')
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!is_digit(c) && c != ' ' && c != '-' && c != 'd' &&
		    c != 'h' && c != 'm' && c != 's')
			return false;
	}
	return true;
}

/* Typed attribute values. */

int
sdp_rtpmap_parse(struct sv value, struct sdp_rtpmap *out)
{
	struct sv f[3], enc, rate, rest;
	uint32_t pt;

	if (split_fields(value, f, 2) != 2)
		return -EBADMSG;
	if (sv_to_u32(f[0], 127, &pt) != 0)
		return -EBADMSG;
	cut(f[1], '/', &enc, &rest);
	if (!is_token(enc) || rest.len == 0)
		return -EBADMSG;
	out->pt = (uint8_t)pt;
	out->encoding = enc;
	out->channels = 0;
	if (cut(rest, '/', &rate, &rest)) {
		if (sv_to_u32(rest, 255, &out->channels) != 0 ||
		    out->channels == 0)
			return -EBADMSG;
	}
	if (sv_to_u32(rate, UINT32_MAX, &out->clock_rate) != 0 ||
	    out->clock_rate == 0)
		return -EBADMSG;
	return 0;
}

int
sdp_fmtp_parse(struct sv value, struct sdp_fmtp *out)
{
	struct sv rest = value;
	uint32_t pt;

	if (!next_field(&rest, &out->format) || !is_token(out->format) ||
	    rest.len == 0)
		return -EBADMSG;
	out->params = rest;
	out->has_pt = sv_to_u32(out->format, 127, &pt) == 0;
	out->pt = out->has_pt ? (uint8_t)pt : 0;
	return 0;
}

int
sdp_rtcp_parse(struct sv value, struct sdp_rtcp *out)
{
	struct sv f[5];
	uint32_t port;
	unsigned n;

	n = split_fields(value, f, 4);
	if (n != 1 && n != 4)
		return -EBADMSG;
	if (sv_to_u32(f[0], 65535, &port) != 0)
		return -EBADMSG;
	out->port = (uint16_t)port;
	out->nettype = SV_NULL;
	out->addrtype = SV_NULL;
	out->address = SV_NULL;
	if (n == 4) {
		if (!is_nettype(f[1]) || !is_addrtype(f[2]) ||
		    !is_address(f[2], f[3]))
			return -EBADMSG;
		out->nettype = f[1];
		out->addrtype = f[2];
		out->address = f[3];
	}
	return 0;
}

/* RFC 4568 §9.1: srtp-crypto-suite = 1*(ALPHA / DIGIT / "_") */
static bool
is_crypto_suite(struct sv s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!is_digit(c) && c != '_' && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z'))
			return false;
	}
	return true;
}

/* base64 characters with up to two '=' of padding at the end. */
static bool
is_base64(struct sv s)
{
	size_t n = s.len, pad = 0;

	while (n > 0 && s.p[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s.p[i];

		if (!is_digit(c) && c != '+' && c != '/' &&
		    !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z'))
			return false;
	}
	return true;
}

/* lifetime = ["2^"] 1*DIGIT */
static bool
is_lifetime(struct sv s)
{
	uint64_t v;
	uint32_t e;

	if (sv_starts_with(s, SV("2^")))
		return sv_to_u32(sv_skip(s, 2), 64, &e) == 0;
	return sv_to_u64(s, UINT64_MAX, &v) == 0;
}

/* mki = mki-value ":" mki-length, mki-length = 1*3DIGIT (1-128 bytes). */
static int
parse_mki(struct sv s, struct sdp_crypto_key *k)
{
	struct sv value, len;
	uint32_t n;

	if (!cut(s, ':', &value, &len) || len.len > 3 ||
	    sv_to_u32(len, 128, &n) != 0 || n == 0 ||
	    sv_to_u64(value, UINT64_MAX, &k->mki) != 0)
		return -EBADMSG;
	k->mki_len = (uint8_t)n;
	return 0;
}

/* key-param = "inline:" key-salt ["|" lifetime] ["|" mki] (RFC 4568
 * §9.2). */
static int
parse_key_param(struct sv s, struct sdp_crypto_key *k)
{
	struct sv info, part, rest;

	if (!sv_istarts_with(s, SV("inline:")))
		return -EBADMSG;
	info = sv_skip(s, sizeof("inline:") - 1);
	k->lifetime = SV_NULL;
	k->mki = 0;
	k->mki_len = 0;
	cut(info, '|', &k->key_salt, &rest);
	if (!is_base64(k->key_salt))
		return -EBADMSG;
	if (!sv_present(rest))
		return 0;
	cut(rest, '|', &part, &rest);
	if (sv_find_char(part, ':') < 0) {
		if (!is_lifetime(part))
			return -EBADMSG;
		k->lifetime = part;
		if (!sv_present(rest))
			return 0;
		cut(rest, '|', &part, &rest);
	}
	if (sv_present(rest))
		return -EBADMSG;
	return parse_mki(part, k);
}

int
sdp_crypto_parse(struct sv value, struct sdp_crypto *out)
{
	struct sv rest = value, tag, keys, one;
	int err;

	if (!next_field(&rest, &tag) || tag.len > 9 ||
	    sv_to_u32(tag, UINT32_MAX, &out->tag) != 0)
		return -EBADMSG;
	if (!next_field(&rest, &out->suite) || !is_crypto_suite(out->suite))
		return -EBADMSG;
	if (!next_field(&rest, &out->key_params))
		return -EBADMSG;
	out->session_params = rest.len > 0 ? rest : SV_NULL;
	out->key_count = 0;
	keys = out->key_params;
	for (;;) {
		bool more = cut(keys, ';', &one, &keys);

		if (out->key_count == SDP_CRYPTO_KEYS_MAX)
			return -E2BIG;
		err = parse_key_param(one, &out->keys[out->key_count]);
		if (err != 0)
			return err;
		out->key_count++;
		if (!more)
			break;
	}
	return 0;
}

/* fingerprint = 2HEXDIG *(":" 2HEXDIG) */
static bool
is_hex_pairs(struct sv s)
{
	if (s.len < 2 || (s.len + 1) % 3 != 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		if (i % 3 == 2) {
			if (s.p[i] != ':')
				return false;
		} else if (sv_hex_value(s.p[i]) < 0) {
			return false;
		}
	}
	return true;
}

int
sdp_fingerprint_parse(struct sv value, struct sdp_fingerprint *out)
{
	struct sv f[3];

	if (split_fields(value, f, 2) != 2 || !is_token(f[0]) ||
	    !is_hex_pairs(f[1]))
		return -EBADMSG;
	out->hash = f[0];
	out->value = f[1];
	return 0;
}

static const char *const setup_names[] = {
    [SDP_SETUP_ACTIVE] = "active",
    [SDP_SETUP_PASSIVE] = "passive",
    [SDP_SETUP_ACTPASS] = "actpass",
    [SDP_SETUP_HOLDCONN] = "holdconn",
};

static int
setup_parse(struct sv value, enum sdp_setup *out)
{
	for (unsigned i = 0; i < RP_ARRAY_LEN(setup_names); i++) {
		if (sv_ieq(value, sv_cstr(setup_names[i]))) {
			*out = (enum sdp_setup)i;
			return 0;
		}
	}
	return -EBADMSG;
}

/* ptime-value: digits ["." digits], positive; a fraction rounds up. */
static int
ptime_parse(struct sv value, uint32_t *ms)
{
	struct sv whole, frac;
	uint32_t v;
	bool up = false;

	if (cut(value, '.', &whole, &frac)) {
		if (!is_digits(frac))
			return -EBADMSG;
		for (size_t i = 0; i < frac.len; i++)
			if (frac.p[i] != '0')
				up = true;
	}
	if (sv_to_u32(whole, SDP_PTIME_MAX_MS, &v) != 0)
		return -EBADMSG;
	if (up)
		v++;
	if (v == 0 || v > SDP_PTIME_MAX_MS)
		return -EBADMSG;
	*ms = v;
	return 0;
}

static const char *const dir_names[] = {
    [SDP_DIR_SENDRECV] = "sendrecv",
    [SDP_DIR_SENDONLY] = "sendonly",
    [SDP_DIR_RECVONLY] = "recvonly",
    [SDP_DIR_INACTIVE] = "inactive",
};

/* The direction an attribute name stands for, or -1. */
static int
dir_of(struct sv name)
{
	for (unsigned i = 0; i < RP_ARRAY_LEN(dir_names); i++)
		if (sv_ieq(name, sv_cstr(dir_names[i])))
			return (int)i;
	return -1;
}

struct sv
sdp_direction_name(enum sdp_direction dir)
{
	if ((unsigned)dir >= RP_ARRAY_LEN(dir_names))
		return sv_cstr(dir_names[SDP_DIR_SENDRECV]);
	return sv_cstr(dir_names[dir]);
}

/* Checks of a whole session, shared by the parser and the builder. */

enum attr_kind {
	ATTR_OTHER,
	ATTR_DIRECTION,
	ATTR_RTCP_MUX,
	ATTR_RTPMAP,
	ATTR_FMTP,
	ATTR_PTIME,
	ATTR_MAXPTIME,
	ATTR_RTCP,
	ATTR_CRYPTO,
	ATTR_FINGERPRINT,
	ATTR_SETUP,
	ATTR_MID,
};

static enum attr_kind
attr_kind(struct sv name)
{
	static const struct {
		const char *name;
		enum attr_kind kind;
	} kinds[] = {
	    {"rtcp-mux", ATTR_RTCP_MUX},
	    {"rtpmap", ATTR_RTPMAP},
	    {"fmtp", ATTR_FMTP},
	    {"ptime", ATTR_PTIME},
	    {"maxptime", ATTR_MAXPTIME},
	    {"rtcp", ATTR_RTCP},
	    {"crypto", ATTR_CRYPTO},
	    {"fingerprint", ATTR_FINGERPRINT},
	    {"setup", ATTR_SETUP},
	    {"mid", ATTR_MID},
	};

	if (dir_of(name) >= 0)
		return ATTR_DIRECTION;
	for (unsigned i = 0; i < RP_ARRAY_LEN(kinds); i++)
		if (sv_ieq(name, sv_cstr(kinds[i].name)))
			return kinds[i].kind;
	return ATTR_OTHER;
}

/* The value of an attribute that must have one, or an empty view. */
static struct sv
attr_value(const struct sdp_attr *a)
{
	return a->has_value ? a->value : SV_NULL;
}

/* A name token, and a value (when there is one) that is non-empty text
 * not ending in a blank: the parser drops trailing blanks. */
static bool
attr_syntax_ok(struct sv name, struct sv value, bool has_value)
{
	if (!is_token(name))
		return false;
	if (has_value && (!is_text(value) || is_blank(value.p[value.len - 1])))
		return false;
	return true;
}

/* Per-level state of check_attrs(): attributes that may appear once, and
 * keys that must be unique. */
struct attr_seen {
	unsigned single[ATTR_MID + 1];
	uint64_t rtpmap_pts[2];
	struct sv fmtp[SDP_ATTRS_MAX];
	unsigned fmtp_count;
	uint32_t tags[SDP_ATTRS_MAX];
	unsigned tag_count;
};

static int
check_attr(const struct sdp_attr *a, struct attr_seen *seen)
{
	enum attr_kind kind = attr_kind(a->name);
	struct sv v = attr_value(a);
	struct sdp_rtpmap rtpmap;
	struct sdp_fmtp fmtp;
	struct sdp_rtcp rtcp;
	struct sdp_crypto crypto;
	struct sdp_fingerprint fp;
	enum sdp_setup setup;
	uint32_t ms;
	int err = 0;

	if (!attr_syntax_ok(a->name, a->value, a->has_value))
		return -EBADMSG;
	switch (kind) {
	case ATTR_OTHER:
		return 0;
	case ATTR_DIRECTION:
	case ATTR_RTCP_MUX:
		if (a->has_value)
			return -EBADMSG;
		break;
	case ATTR_RTPMAP:
		err = sdp_rtpmap_parse(v, &rtpmap);
		if (err != 0)
			return err;
		if (seen->rtpmap_pts[rtpmap.pt / 64] &
		    ((uint64_t)1 << (rtpmap.pt % 64)))
			return -EBADMSG;
		seen->rtpmap_pts[rtpmap.pt / 64] |= (uint64_t)1
		                                    << (rtpmap.pt % 64);
		return 0;
	case ATTR_FMTP:
		err = sdp_fmtp_parse(v, &fmtp);
		if (err != 0)
			return err;
		for (unsigned i = 0; i < seen->fmtp_count; i++)
			if (fmt_eq(seen->fmtp[i], fmtp.format))
				return -EBADMSG;
		seen->fmtp[seen->fmtp_count++] = fmtp.format;
		return 0;
	case ATTR_PTIME:
	case ATTR_MAXPTIME:
		err = ptime_parse(v, &ms);
		break;
	case ATTR_RTCP:
		err = sdp_rtcp_parse(v, &rtcp);
		break;
	case ATTR_CRYPTO:
		err = sdp_crypto_parse(v, &crypto);
		if (err != 0)
			return err;
		/* RFC 4568 §9.1: the tag is unique within the stream. */
		for (unsigned i = 0; i < seen->tag_count; i++)
			if (seen->tags[i] == crypto.tag)
				return -EBADMSG;
		seen->tags[seen->tag_count++] = crypto.tag;
		return 0;
	case ATTR_FINGERPRINT:
		return sdp_fingerprint_parse(v, &fp);
	case ATTR_SETUP:
		err = setup_parse(v, &setup);
		break;
	case ATTR_MID:
		if (!is_token(v))
			return -EBADMSG;
		break;
	}
	if (err != 0)
		return err;
	/* Two values for a single-valued attribute leave the meaning
	 * ambiguous (RFC 8866 §6.7 for directions). */
	if (kind != ATTR_RTCP_MUX && ++seen->single[kind] > 1)
		return -EBADMSG;
	return 0;
}

static int
check_attrs(const struct sdp_attrs *attrs)
{
	struct attr_seen seen;
	int err;

	if (attrs->count > SDP_ATTRS_MAX)
		return -E2BIG;
	memset(&seen, 0, sizeof(seen));
	for (unsigned i = 0; i < attrs->count; i++) {
		err = check_attr(&attrs->list[i], &seen);
		if (err != 0)
			return err;
	}
	return 0;
}

static bool
conn_ok(const struct sdp_connection *c)
{
	return is_nettype(c->nettype) && is_addrtype(c->addrtype) &&
	       is_address(c->addrtype, c->address) &&
	       (!has(c->suffix) || is_mcast_suffix(c->suffix));
}

static bool
origin_ok(const struct sdp_origin *o)
{
	return is_nonws(o->username) && is_digits(o->sess_id) &&
	       is_digits(o->sess_version) && is_nettype(o->nettype) &&
	       is_addrtype(o->addrtype) && is_address(o->addrtype, o->address);
}

static bool
bandwidths_ok(const struct sdp_bandwidth *bw, unsigned count)
{
	if (count > SDP_BANDWIDTHS_MAX)
		return false;
	for (unsigned i = 0; i < count; i++)
		if (!is_token(bw[i].type))
			return false;
	return true;
}

static bool
optional_text_ok(struct sv s)
{
	return !has(s) || is_text(s);
}

/* proto = token *("/" token) */
static bool
is_proto(struct sv s)
{
	struct sv part, rest = s;

	while (cut(rest, '/', &part, &rest))
		if (!is_token(part))
			return false;
	return is_token(part);
}

static bool
format_ok(struct sv fmt, bool rtp)
{
	uint32_t pt;

	if (rtp)
		return sv_to_u32(fmt, 127, &pt) == 0;
	return is_token(fmt);
}

static int
check_media(const struct sdp_media *m, bool session_conn)
{
	bool rtp;

	if (!is_token(m->media) || !is_proto(m->proto))
		return -EBADMSG;
	if (m->format_count == 0 || m->format_count > SDP_FORMATS_MAX)
		return m->format_count == 0 ? -EBADMSG : -E2BIG;
	rtp = sdp_proto_is_rtp(m->proto);
	for (unsigned i = 0; i < m->format_count; i++)
		if (!format_ok(m->formats[i], rtp))
			return -EBADMSG;
	if (!optional_text_ok(m->info) || !optional_text_ok(m->key))
		return -EBADMSG;
	/* RFC 8866 §5.7: each stream needs an address from some level. */
	if (m->has_conn ? !conn_ok(&m->conn) : !session_conn)
		return -EBADMSG;
	if (!bandwidths_ok(m->bw, m->bw_count))
		return -EBADMSG;
	return check_attrs(&m->attrs);
}

static int
check_session(const struct sdp_session *s)
{
	int err;

	if (!origin_ok(&s->origin) || !is_text(s->name) ||
	    !optional_text_ok(s->info) || !optional_text_ok(s->uri) ||
	    !optional_text_ok(s->key))
		return -EBADMSG;
	if (s->email_count > SDP_CONTACTS_MAX ||
	    s->phone_count > SDP_CONTACTS_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < s->email_count; i++)
		if (!is_text(s->emails[i]))
			return -EBADMSG;
	for (unsigned i = 0; i < s->phone_count; i++)
		if (!is_text(s->phones[i]))
			return -EBADMSG;
	if (s->has_conn && !conn_ok(&s->conn))
		return -EBADMSG;
	if (!bandwidths_ok(s->bw, s->bw_count))
		return -EBADMSG;
	/* RFC 8866 §5: one or more time descriptions. */
	if (s->time_count == 0 || s->time_count > SDP_TIMES_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < s->time_count; i++) {
		const struct sdp_time *t = &s->times[i];

		if (t->repeat_count > SDP_REPEATS_MAX)
			return -EBADMSG;
		for (unsigned j = 0; j < t->repeat_count; j++)
			if (!is_time_list(t->repeats[j]))
				return -EBADMSG;
	}
	if (has(s->zone) && !is_time_list(s->zone))
		return -EBADMSG;
	err = check_attrs(&s->attrs);
	if (err != 0)
		return err;
	if (s->media_count > SDP_MEDIA_MAX)
		return -EBADMSG;
	for (unsigned i = 0; i < s->media_count; i++) {
		err = check_media(&s->media[i], s->has_conn);
		if (err != 0)
			return err;
	}
	return 0;
}

/* Lexical pass. */

enum parse_state {
	ST_VERSION,
	ST_ORIGIN,
	ST_NAME,
	ST_SESSION,
	ST_MEDIA,
};

static int
parse_origin(struct sv value, struct sdp_origin *o)
{
	struct sv f[6];

	if (split_fields(value, f, 6) != 6)
		return -EBADMSG;
	o->username = f[0];
	o->sess_id = f[1];
	o->sess_version = f[2];
	o->nettype = f[3];
	o->addrtype = f[4];
	o->address = f[5];
	return 0;
}

static int
parse_conn(struct sv value, struct sdp_connection *c)
{
	struct sv f[3];

	if (split_fields(value, f, 3) != 3)
		return -EBADMSG;
	c->nettype = f[0];
	c->addrtype = f[1];
	if (cut(f[2], '/', &c->address, &c->suffix) && c->suffix.len == 0)
		return -EBADMSG;
	return 0;
}

static int
parse_bw(struct sv value, struct sdp_bandwidth *bw, unsigned *count)
{
	struct sv num;

	if (*count == SDP_BANDWIDTHS_MAX)
		return -E2BIG;
	if (!cut(value, ':', &bw[*count].type, &num) ||
	    sv_to_u32(num, UINT32_MAX, &bw[*count].value) != 0)
		return -EBADMSG;
	(*count)++;
	return 0;
}

static int
parse_time(struct sv value, struct sdp_session *s)
{
	struct sv f[2];
	struct sdp_time *t;

	if (s->time_count == SDP_TIMES_MAX)
		return -E2BIG;
	t = &s->times[s->time_count];
	if (split_fields(value, f, 2) != 2 ||
	    sv_to_u64(f[0], UINT64_MAX, &t->start) != 0 ||
	    sv_to_u64(f[1], UINT64_MAX, &t->stop) != 0)
		return -EBADMSG;
	s->time_count++;
	return 0;
}

static int
parse_repeat(struct sv value, struct sdp_session *s)
{
	struct sdp_time *t;

	/* RFC 8866 §5.10: r= belongs to the t= before it. */
	if (s->time_count == 0)
		return -EBADMSG;
	t = &s->times[s->time_count - 1];
	if (t->repeat_count == SDP_REPEATS_MAX)
		return -E2BIG;
	t->repeats[t->repeat_count++] = value;
	return 0;
}

static int
parse_media(struct sv value, struct sdp_session *s)
{
	struct sv rest = value, port, count, fmt;
	struct sdp_media *m;
	uint32_t v;

	if (s->media_count == SDP_MEDIA_MAX)
		return -E2BIG;
	m = &s->media[s->media_count++];
	if (!next_field(&rest, &m->media) || !next_field(&rest, &port) ||
	    !next_field(&rest, &m->proto))
		return -EBADMSG;
	if (cut(port, '/', &port, &count)) {
		if (sv_to_u32(count, 65535, &v) != 0 || v == 0)
			return -EBADMSG;
		m->port_count = (uint16_t)v;
	}
	if (sv_to_u32(port, 65535, &v) != 0)
		return -EBADMSG;
	m->port = (uint16_t)v;
	while (next_field(&rest, &fmt)) {
		if (m->format_count == SDP_FORMATS_MAX)
			return -E2BIG;
		m->formats[m->format_count++] = fmt;
	}
	return 0;
}

static int
parse_attr(struct sv value, struct sdp_attrs *attrs)
{
	struct sdp_attr *a;

	if (attrs->count == SDP_ATTRS_MAX)
		return -E2BIG;
	a = &attrs->list[attrs->count++];
	a->has_value = cut(value, ':', &a->name, &a->value);
	return 0;
}

static int
set_once(struct sv *field, struct sv value)
{
	if (has(*field))
		return -EBADMSG;
	*field = value;
	return 0;
}

static int
add_contact(struct sv *list, unsigned *count, struct sv value)
{
	if (*count == SDP_CONTACTS_MAX)
		return -E2BIG;
	list[(*count)++] = value;
	return 0;
}

static int
set_conn(struct sdp_connection *c, bool *has_conn, struct sv value)
{
	if (*has_conn)
		return -EBADMSG;
	*has_conn = true;
	return parse_conn(value, c);
}

static int
session_line(struct sdp_session *s, char type, struct sv value)
{
	switch (type) {
	case 'i':
		return set_once(&s->info, value);
	case 'u':
		return set_once(&s->uri, value);
	case 'e':
		return add_contact(s->emails, &s->email_count, value);
	case 'p':
		return add_contact(s->phones, &s->phone_count, value);
	case 'c':
		return set_conn(&s->conn, &s->has_conn, value);
	case 'b':
		return parse_bw(value, s->bw, &s->bw_count);
	case 't':
		return parse_time(value, s);
	case 'r':
		return parse_repeat(value, s);
	case 'z':
		return set_once(&s->zone, value);
	case 'k':
		return set_once(&s->key, value);
	case 'a':
		return parse_attr(value, &s->attrs);
	default:
		return -EBADMSG;
	}
}

static int
media_line(struct sdp_media *m, char type, struct sv value)
{
	switch (type) {
	case 'i':
		return set_once(&m->info, value);
	case 'c':
		return set_conn(&m->conn, &m->has_conn, value);
	case 'b':
		return parse_bw(value, m->bw, &m->bw_count);
	case 'k':
		return set_once(&m->key, value);
	case 'a':
		return parse_attr(value, &m->attrs);
	default:
		return -EBADMSG;
	}
}

/* Text lines are kept byte for byte (RFC 8866 recommends "s= " for an
 * unnamed session); the others lose their trailing blanks. */
static bool
is_text_type(char type)
{
	return type == 's' || type == 'i' || type == 'u' || type == 'e' ||
	       type == 'p' || type == 'k';
}

static int
parse_line(struct sdp_session *s, enum parse_state *st, struct sv line)
{
	char type;
	struct sv value;

	/* type = one lowercase letter, then '=' without spaces. */
	if (line.len < 2 || line.p[0] < 'a' || line.p[0] > 'z' ||
	    line.p[1] != '=')
		return -EBADMSG;
	type = line.p[0];
	value = sv_skip(line, 2);
	if (!is_text(value))
		return -EBADMSG;
	if (!is_text_type(type)) {
		value = rtrim_blank(value);
		if (value.len == 0 || is_blank(value.p[0]))
			return -EBADMSG;
	}
	switch (*st) {
	case ST_VERSION:
		if (type != 'v' || !sv_eq(value, SV("0")))
			return -EBADMSG;
		*st = ST_ORIGIN;
		return 0;
	case ST_ORIGIN:
		if (type != 'o')
			return -EBADMSG;
		*st = ST_NAME;
		return parse_origin(value, &s->origin);
	case ST_NAME:
		if (type != 's')
			return -EBADMSG;
		s->name = value;
		*st = ST_SESSION;
		return 0;
	case ST_SESSION:
	case ST_MEDIA:
		break;
	}
	if (type == 'm') {
		*st = ST_MEDIA;
		return parse_media(value, s);
	}
	if (*st == ST_SESSION)
		return session_line(s, type, value);
	return media_line(&s->media[s->media_count - 1], type, value);
}

int
sdp_parse(struct sv body, struct sdp_session *out)
{
	enum parse_state st = ST_VERSION;
	unsigned lines = 0;
	size_t pos = 0;
	bool blank = false;
	int err;

	if (body.len > SDP_BODY_MAX)
		return -E2BIG;
	sdp_session_init(out);
	while (pos < body.len) {
		const char *start = body.p + pos;
		const char *lf = memchr(start, '\n', body.len - pos);
		size_t n = lf != NULL ? (size_t)(lf - start) : body.len - pos;
		struct sv line = sv_make(start, n);

		pos += lf != NULL ? n + 1 : n;
		if (line.len > 0 && line.p[line.len - 1] == '\r')
			line.len--;
		if (++lines > SDP_LINES_MAX || line.len > SDP_LINE_MAX)
			return -E2BIG;
		/* Blank lines may only close the body. */
		if (line.len == 0) {
			blank = true;
			continue;
		}
		if (blank)
			return -EBADMSG;
		err = parse_line(out, &st, line);
		if (err != 0)
			return err;
	}
	if (st != ST_SESSION && st != ST_MEDIA)
		return -EBADMSG;
	return check_session(out);
}

/* Builder. */

struct builder {
	struct buf *out;
	size_t line_start;
	unsigned lines;
	int err;
};

static void
line_begin(struct builder *b, char type)
{
	b->line_start = b->out->len;
	buf_append_char(b->out, type);
	buf_append_char(b->out, '=');
}

static void
line_end(struct builder *b)
{
	if (b->out->len - b->line_start > SDP_LINE_MAX ||
	    ++b->lines > SDP_LINES_MAX)
		b->err = -E2BIG;
	buf_append(b->out, "\r\n", 2);
}

static void
text_line(struct builder *b, char type, struct sv value)
{
	if (!has(value))
		return;
	line_begin(b, type);
	buf_append_sv(b->out, value);
	line_end(b);
}

static void
put_sp(struct builder *b, struct sv value)
{
	buf_append_char(b->out, ' ');
	buf_append_sv(b->out, value);
}

static void
conn_line(struct builder *b, const struct sdp_connection *c)
{
	line_begin(b, 'c');
	buf_append_sv(b->out, c->nettype);
	put_sp(b, c->addrtype);
	put_sp(b, c->address);
	if (has(c->suffix)) {
		buf_append_char(b->out, '/');
		buf_append_sv(b->out, c->suffix);
	}
	line_end(b);
}

static void
bw_lines(struct builder *b, const struct sdp_bandwidth *bw, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		line_begin(b, 'b');
		buf_append_sv(b->out, bw[i].type);
		buf_append_char(b->out, ':');
		buf_append_u64(b->out, bw[i].value);
		line_end(b);
	}
}

static void
attr_lines(struct builder *b, const struct sdp_attrs *attrs)
{
	for (unsigned i = 0; i < attrs->count; i++) {
		const struct sdp_attr *a = &attrs->list[i];

		line_begin(b, 'a');
		buf_append_sv(b->out, a->name);
		if (a->has_value) {
			buf_append_char(b->out, ':');
			buf_append_sv(b->out, a->value);
		}
		line_end(b);
	}
}

static void
media_lines(struct builder *b, const struct sdp_media *m)
{
	line_begin(b, 'm');
	buf_append_sv(b->out, m->media);
	buf_append_char(b->out, ' ');
	buf_append_u64(b->out, m->port);
	if (m->port_count != 0) {
		buf_append_char(b->out, '/');
		buf_append_u64(b->out, m->port_count);
	}
	put_sp(b, m->proto);
	for (unsigned i = 0; i < m->format_count; i++)
		put_sp(b, m->formats[i]);
	line_end(b);
	text_line(b, 'i', m->info);
	if (m->has_conn)
		conn_line(b, &m->conn);
	bw_lines(b, m->bw, m->bw_count);
	text_line(b, 'k', m->key);
	attr_lines(b, &m->attrs);
}

static void
session_lines(struct builder *b, const struct sdp_session *s)
{
	const struct sdp_origin *o = &s->origin;

	text_line(b, 'v', SV("0"));
	line_begin(b, 'o');
	buf_append_sv(b->out, o->username);
	put_sp(b, o->sess_id);
	put_sp(b, o->sess_version);
	put_sp(b, o->nettype);
	put_sp(b, o->addrtype);
	put_sp(b, o->address);
	line_end(b);
	text_line(b, 's', s->name);
	text_line(b, 'i', s->info);
	text_line(b, 'u', s->uri);
	for (unsigned i = 0; i < s->email_count; i++)
		text_line(b, 'e', s->emails[i]);
	for (unsigned i = 0; i < s->phone_count; i++)
		text_line(b, 'p', s->phones[i]);
	if (s->has_conn)
		conn_line(b, &s->conn);
	bw_lines(b, s->bw, s->bw_count);
	for (unsigned i = 0; i < s->time_count; i++) {
		const struct sdp_time *t = &s->times[i];

		line_begin(b, 't');
		buf_append_u64(b->out, t->start);
		buf_append_char(b->out, ' ');
		buf_append_u64(b->out, t->stop);
		line_end(b);
		for (unsigned j = 0; j < t->repeat_count; j++)
			text_line(b, 'r', t->repeats[j]);
	}
	text_line(b, 'z', s->zone);
	text_line(b, 'k', s->key);
	attr_lines(b, &s->attrs);
	for (unsigned i = 0; i < s->media_count; i++)
		media_lines(b, &s->media[i]);
}

int
sdp_build(const struct sdp_session *s, struct buf *out)
{
	struct builder b = {.out = out};
	size_t start = out->len;

	if (buf_error(out) != 0)
		return buf_error(out);
	if (check_session(s) != 0)
		return -EINVAL;
	session_lines(&b, s);
	if (buf_error(out) != 0)
		b.err = buf_error(out);
	else if (b.err == 0 && out->len - start > SDP_BODY_MAX)
		b.err = -E2BIG;
	if (b.err != 0) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return b.err;
}

/* Session helpers. */

void
sdp_session_init(struct sdp_session *s)
{
	memset(s, 0, sizeof(*s));
}

static bool
conn_equal(const struct sdp_connection *a, const struct sdp_connection *b)
{
	return sv_eq(a->nettype, b->nettype) &&
	       sv_eq(a->addrtype, b->addrtype) &&
	       sv_eq(a->address, b->address) && sv_eq(a->suffix, b->suffix);
}

static bool
bw_equal(const struct sdp_bandwidth *a, unsigned na,
    const struct sdp_bandwidth *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (!sv_eq(a[i].type, b[i].type) || a[i].value != b[i].value)
			return false;
	return true;
}

static bool
svs_equal(const struct sv *a, unsigned na, const struct sv *b, unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++)
		if (!sv_eq(a[i], b[i]))
			return false;
	return true;
}

static bool
attrs_equal(const struct sdp_attrs *a, const struct sdp_attrs *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++) {
		const struct sdp_attr *x = &a->list[i], *y = &b->list[i];

		if (!sv_eq(x->name, y->name) || x->has_value != y->has_value ||
		    (x->has_value && !sv_eq(x->value, y->value)))
			return false;
	}
	return true;
}

static bool
media_equal(const struct sdp_media *a, const struct sdp_media *b)
{
	return sv_eq(a->media, b->media) && a->port == b->port &&
	       a->port_count == b->port_count && sv_eq(a->proto, b->proto) &&
	       svs_equal(
	           a->formats, a->format_count, b->formats, b->format_count) &&
	       sv_eq(a->info, b->info) && a->has_conn == b->has_conn &&
	       (!a->has_conn || conn_equal(&a->conn, &b->conn)) &&
	       bw_equal(a->bw, a->bw_count, b->bw, b->bw_count) &&
	       sv_eq(a->key, b->key) && attrs_equal(&a->attrs, &b->attrs);
}

static bool
origin_equal(const struct sdp_origin *a, const struct sdp_origin *b)
{
	return sv_eq(a->username, b->username) &&
	       sv_eq(a->sess_id, b->sess_id) &&
	       sv_eq(a->sess_version, b->sess_version) &&
	       sv_eq(a->nettype, b->nettype) &&
	       sv_eq(a->addrtype, b->addrtype) && sv_eq(a->address, b->address);
}

static bool
times_equal(const struct sdp_session *a, const struct sdp_session *b)
{
	if (a->time_count != b->time_count)
		return false;
	for (unsigned i = 0; i < a->time_count; i++) {
		const struct sdp_time *x = &a->times[i], *y = &b->times[i];

		if (x->start != y->start || x->stop != y->stop ||
		    !svs_equal(x->repeats, x->repeat_count, y->repeats,
		        y->repeat_count))
			return false;
	}
	return true;
}

bool
sdp_session_equal(const struct sdp_session *a, const struct sdp_session *b)
{
	if (!origin_equal(&a->origin, &b->origin) || !sv_eq(a->name, b->name) ||
	    !sv_eq(a->info, b->info) || !sv_eq(a->uri, b->uri) ||
	    !svs_equal(a->emails, a->email_count, b->emails, b->email_count) ||
	    !svs_equal(a->phones, a->phone_count, b->phones, b->phone_count) ||
	    a->has_conn != b->has_conn ||
	    (a->has_conn && !conn_equal(&a->conn, &b->conn)) ||
	    !bw_equal(a->bw, a->bw_count, b->bw, b->bw_count) ||
	    !times_equal(a, b) || !sv_eq(a->zone, b->zone) ||
	    !sv_eq(a->key, b->key) || !attrs_equal(&a->attrs, &b->attrs) ||
	    a->media_count != b->media_count)
		return false;
	for (unsigned i = 0; i < a->media_count; i++)
		if (!media_equal(&a->media[i], &b->media[i]))
			return false;
	return true;
}

/* Attribute lists. */

int
sdp_attrs_find(const struct sdp_attrs *a, struct sv name, unsigned from)
{
	for (unsigned i = from; i < a->count && i < SDP_ATTRS_MAX; i++)
		if (sv_ieq(a->list[i].name, name))
			return (int)i;
	return -ENOENT;
}

int
sdp_attrs_add(
    struct sdp_attrs *a, struct sv name, struct sv value, bool has_value)
{
	if (!attr_syntax_ok(name, value, has_value))
		return -EINVAL;
	if (a->count >= SDP_ATTRS_MAX)
		return -E2BIG;
	a->list[a->count].name = name;
	a->list[a->count].value = has_value ? value : SV_NULL;
	a->list[a->count].has_value = has_value;
	a->count++;
	return 0;
}

void
sdp_attrs_remove_at(struct sdp_attrs *a, unsigned index)
{
	if (index >= a->count || a->count > SDP_ATTRS_MAX)
		return;
	memmove(&a->list[index], &a->list[index + 1],
	    (a->count - index - 1) * sizeof(a->list[0]));
	a->count--;
}

unsigned
sdp_attrs_remove(struct sdp_attrs *a, struct sv name)
{
	unsigned kept = 0, n;

	if (a->count > SDP_ATTRS_MAX)
		return 0;
	n = a->count;
	for (unsigned i = 0; i < n; i++)
		if (!sv_ieq(a->list[i].name, name))
			a->list[kept++] = a->list[i];
	a->count = kept;
	return n - kept;
}

/* The index-th attribute named 'name' (from 0), or -ENOENT. */
static int
nth_attr(const struct sdp_attrs *a, struct sv name, unsigned index)
{
	int i = -1;

	do {
		i = sdp_attrs_find(a, name, (unsigned)(i + 1));
	} while (i >= 0 && index-- > 0);
	return i;
}

/* Media sections. */

enum sdp_media_kind
sdp_media_kind(const struct sdp_media *m)
{
	static const char *const names[] = {
	    [SDP_MEDIA_AUDIO] = "audio",
	    [SDP_MEDIA_VIDEO] = "video",
	    [SDP_MEDIA_APPLICATION] = "application",
	    [SDP_MEDIA_IMAGE] = "image",
	    [SDP_MEDIA_TEXT] = "text",
	};

	for (unsigned i = SDP_MEDIA_AUDIO; i < RP_ARRAY_LEN(names); i++)
		if (sv_ieq(m->media, sv_cstr(names[i])))
			return (enum sdp_media_kind)i;
	return SDP_MEDIA_OTHER;
}

enum sdp_proto
sdp_media_proto(const struct sdp_media *m)
{
	static const char *const names[] = {
	    [SDP_PROTO_RTP_AVP] = "RTP/AVP",
	    [SDP_PROTO_RTP_AVPF] = "RTP/AVPF",
	    [SDP_PROTO_RTP_SAVP] = "RTP/SAVP",
	    [SDP_PROTO_RTP_SAVPF] = "RTP/SAVPF",
	    [SDP_PROTO_UDP_TLS_RTP_SAVP] = "UDP/TLS/RTP/SAVP",
	    [SDP_PROTO_UDP_TLS_RTP_SAVPF] = "UDP/TLS/RTP/SAVPF",
	    [SDP_PROTO_UDPTL] = "udptl",
	};

	for (unsigned i = SDP_PROTO_RTP_AVP; i < RP_ARRAY_LEN(names); i++)
		if (sv_ieq(m->proto, sv_cstr(names[i])))
			return (enum sdp_proto)i;
	return SDP_PROTO_OTHER;
}

bool
sdp_proto_is_rtp(struct sv proto)
{
	struct sv part, rest = proto;
	bool more;

	do {
		more = cut(rest, '/', &part, &rest);
		if (sv_ieq(part, SV("RTP")))
			return true;
	} while (more);
	return false;
}

int
sdp_media_add_format(struct sdp_media *m, struct sv fmt)
{
	if (!format_ok(fmt, sdp_proto_is_rtp(m->proto)))
		return -EINVAL;
	if (m->format_count >= SDP_FORMATS_MAX)
		return -E2BIG;
	m->formats[m->format_count++] = fmt;
	return 0;
}

/* True for the attributes whose first field names a format. */
static bool
names_format(const struct sdp_attr *a, struct sv fmt)
{
	struct sv rest, first;

	if (!a->has_value ||
	    (!sv_ieq(a->name, SV("rtpmap")) && !sv_ieq(a->name, SV("fmtp")) &&
	        !sv_ieq(a->name, SV("rtcp-fb"))))
		return false;
	rest = a->value;
	return next_field(&rest, &first) && fmt_eq(first, fmt);
}

int
sdp_media_remove_format(struct sdp_media *m, struct sv fmt)
{
	unsigned kept = 0, n = m->format_count;

	if (n > SDP_FORMATS_MAX || m->attrs.count > SDP_ATTRS_MAX)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (!fmt_eq(m->formats[i], fmt))
			m->formats[kept++] = m->formats[i];
	m->format_count = kept;
	for (unsigned i = 0; i < m->attrs.count;) {
		if (names_format(&m->attrs.list[i], fmt))
			sdp_attrs_remove_at(&m->attrs, i);
		else
			i++;
	}
	return kept != n;
}

int
sdp_media_rtpmap(const struct sdp_media *m, uint8_t pt, struct sdp_rtpmap *out)
{
	struct sdp_rtpmap r;
	int i = -1, err;

	while ((i = sdp_attrs_find(
	            &m->attrs, SV("rtpmap"), (unsigned)(i + 1))) >= 0) {
		err = sdp_rtpmap_parse(attr_value(&m->attrs.list[i]), &r);
		if (err != 0)
			return err;
		if (r.pt == pt) {
			*out = r;
			return 1;
		}
	}
	return 0;
}

int
sdp_rtpmap_static(uint8_t pt, struct sdp_rtpmap *out)
{
	/* RFC 3551 §6, tables 4 and 5. */
	static const struct {
		uint8_t pt;
		const char *encoding;
		uint32_t clock_rate;
		uint32_t channels;
	} table[] = {
	    {0, "PCMU", 8000, 1},
	    {3, "GSM", 8000, 1},
	    {4, "G723", 8000, 1},
	    {5, "DVI4", 8000, 1},
	    {6, "DVI4", 16000, 1},
	    {7, "LPC", 8000, 1},
	    {8, "PCMA", 8000, 1},
	    {9, "G722", 8000, 1},
	    {10, "L16", 44100, 2},
	    {11, "L16", 44100, 1},
	    {12, "QCELP", 8000, 1},
	    {13, "CN", 8000, 1},
	    {14, "MPA", 90000, 0},
	    {15, "G728", 8000, 1},
	    {16, "DVI4", 11025, 1},
	    {17, "DVI4", 22050, 1},
	    {18, "G729", 8000, 1},
	    {25, "CelB", 90000, 0},
	    {26, "JPEG", 90000, 0},
	    {28, "nv", 90000, 0},
	    {31, "H261", 90000, 0},
	    {32, "MPV", 90000, 0},
	    {33, "MP2T", 90000, 0},
	    {34, "H263", 90000, 0},
	};

	for (unsigned i = 0; i < RP_ARRAY_LEN(table); i++) {
		if (table[i].pt == pt) {
			out->pt = pt;
			out->encoding = sv_cstr(table[i].encoding);
			out->clock_rate = table[i].clock_rate;
			out->channels = table[i].channels;
			return 1;
		}
	}
	return 0;
}

int
sdp_media_fmtp(const struct sdp_media *m, uint8_t pt, struct sdp_fmtp *out)
{
	struct sdp_fmtp f;
	int i = -1, err;

	while ((i = sdp_attrs_find(&m->attrs, SV("fmtp"), (unsigned)(i + 1))) >=
	       0) {
		err = sdp_fmtp_parse(attr_value(&m->attrs.list[i]), &f);
		if (err != 0)
			return err;
		if (f.has_pt && f.pt == pt) {
			*out = f;
			return 1;
		}
	}
	return 0;
}

static int
ptime_lookup(const struct sdp_media *m, struct sv name, uint32_t *ms)
{
	int i = sdp_attrs_find(&m->attrs, name, 0);
	int err;

	if (i < 0)
		return 0;
	err = ptime_parse(attr_value(&m->attrs.list[i]), ms);
	return err != 0 ? err : 1;
}

int
sdp_media_ptime(const struct sdp_media *m, uint32_t *ms)
{
	return ptime_lookup(m, SV("ptime"), ms);
}

int
sdp_media_maxptime(const struct sdp_media *m, uint32_t *ms)
{
	return ptime_lookup(m, SV("maxptime"), ms);
}

/* The direction attribute of one level, or -1. */
static int
level_direction(const struct sdp_attrs *a)
{
	int d;

	for (unsigned i = 0; i < a->count && i < SDP_ATTRS_MAX; i++) {
		d = dir_of(a->list[i].name);
		if (d >= 0)
			return d;
	}
	return -1;
}

enum sdp_direction
sdp_media_direction(const struct sdp_session *s, const struct sdp_media *m)
{
	int d = level_direction(&m->attrs);

	if (d < 0)
		d = level_direction(&s->attrs);
	return d < 0 ? SDP_DIR_SENDRECV : (enum sdp_direction)d;
}

int
sdp_media_set_direction(struct sdp_media *m, enum sdp_direction dir)
{
	for (unsigned i = 0; i < RP_ARRAY_LEN(dir_names); i++)
		sdp_attrs_remove(&m->attrs, sv_cstr(dir_names[i]));
	return sdp_attrs_add(
	    &m->attrs, sdp_direction_name(dir), SV_NULL, false);
}

int
sdp_media_rtcp(const struct sdp_media *m, struct sdp_rtcp *out)
{
	int i = sdp_attrs_find(&m->attrs, SV("rtcp"), 0);
	int err;

	if (i < 0)
		return 0;
	err = sdp_rtcp_parse(attr_value(&m->attrs.list[i]), out);
	return err != 0 ? err : 1;
}

bool
sdp_media_rtcp_mux(const struct sdp_media *m)
{
	return sdp_attrs_find(&m->attrs, SV("rtcp-mux"), 0) >= 0;
}

int
sdp_media_crypto(
    const struct sdp_media *m, unsigned index, struct sdp_crypto *out)
{
	int i = nth_attr(&m->attrs, SV("crypto"), index);
	int err;

	if (i < 0)
		return 0;
	err = sdp_crypto_parse(attr_value(&m->attrs.list[i]), out);
	return err != 0 ? err : 1;
}

int
sdp_media_fingerprint(const struct sdp_session *s, const struct sdp_media *m,
    unsigned index, struct sdp_fingerprint *out)
{
	const struct sdp_attrs *a = &m->attrs;
	int i, err;

	if (sdp_attrs_find(a, SV("fingerprint"), 0) < 0)
		a = &s->attrs;
	i = nth_attr(a, SV("fingerprint"), index);
	if (i < 0)
		return 0;
	err = sdp_fingerprint_parse(attr_value(&a->list[i]), out);
	return err != 0 ? err : 1;
}

int
sdp_media_setup(
    const struct sdp_session *s, const struct sdp_media *m, enum sdp_setup *out)
{
	const struct sdp_attrs *a = &m->attrs;
	int i, err;

	i = sdp_attrs_find(a, SV("setup"), 0);
	if (i < 0) {
		a = &s->attrs;
		i = sdp_attrs_find(a, SV("setup"), 0);
		if (i < 0)
			return 0;
	}
	err = setup_parse(attr_value(&a->list[i]), out);
	return err != 0 ? err : 1;
}

int
sdp_media_mid(const struct sdp_media *m, struct sv *out)
{
	int i = sdp_attrs_find(&m->attrs, SV("mid"), 0);
	struct sv v;

	if (i < 0)
		return 0;
	v = attr_value(&m->attrs.list[i]);
	if (!is_token(v))
		return -EBADMSG;
	*out = v;
	return 1;
}
