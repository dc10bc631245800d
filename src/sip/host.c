/* Host syntax: hostname, IPv4address, IPv6reference. */
#include "sip/host.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

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
is_alnum(char c)
{
	return is_digit(c) || is_alpha(c);
}

/* IPv4address: four dotted decimal octets of 1 to 3 digits, each at most
 * 255. RFC 3261 allows leading zeros; inside an IPv6 address RFC 3986
 * dec-octet does not ('strict'). */
bool
sip_host_ipv4_bytes(struct sv s, bool strict, uint8_t addr[4])
{
	size_t i = 0;

	for (unsigned part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t n = 0;

		if (part > 0) {
			if (i >= s.len || s.p[i] != '.')
				return false;
			i++;
		}
		while (i < s.len && is_digit(s.p[i]) && n < 4) {
			v = v * 10 + (unsigned)(s.p[i] - '0');
			i++;
			n++;
		}
		if (n == 0 || n > 3 || v > 255)
			return false;
		if (strict && n > 1 && s.p[i - n] == '0')
			return false;
		addr[part] = (uint8_t)v;
	}
	return i == s.len;
}

/* IPv6address as RFC 3986 §3.2.2 writes it (RFC 5954 corrects the RFC
 * 3261 grammar to this one): eight 16-bit pieces, at most one "::" for a
 * run of zero pieces, and optionally an IPv4 address as the last two.
 * Fills addr with the 16 bytes. */
bool
sip_host_ipv6_bytes(struct sv s, uint8_t addr[16])
{
	uint16_t groups[8];
	size_t ngroups = 0;
	size_t gap = SIZE_MAX; /* index in groups where "::" stands */
	size_t i = 0;

	if (s.len < 2)
		return false;
	if (s.p[0] == ':') {
		if (s.p[1] != ':')
			return false;
		gap = 0;
		i = 2;
	}
	while (i < s.len) {
		size_t start = i;
		unsigned v = 0;

		while (
		    i < s.len && sv_hex_value(s.p[i]) >= 0 && i - start < 5) {
			v = v * 16 + (unsigned)sv_hex_value(s.p[i]);
			i++;
		}
		if (i < s.len && s.p[i] == '.') {
			uint8_t v4[4];

			if (ngroups > 6 ||
			    !sip_host_ipv4_bytes(sv_skip(s, start), true, v4))
				return false;
			groups[ngroups++] = (uint16_t)(v4[0] << 8 | v4[1]);
			groups[ngroups++] = (uint16_t)(v4[2] << 8 | v4[3]);
			break;
		}
		if (i == start || i - start > 4 || ngroups == 8)
			return false;
		groups[ngroups++] = (uint16_t)v;
		if (i == s.len)
			break;
		if (s.p[i] != ':' || ++i == s.len)
			return false;
		if (s.p[i] == ':') {
			if (gap != SIZE_MAX)
				return false;
			gap = ngroups;
			i++;
			/* RFC 5118 §4.10: tolerate ":::" written before an
			 * embedded IPv4 address. */
			if (i < s.len && s.p[i] == ':' &&
			    sip_host_ipv4_bytes(
			        sv_skip(s, i + 1), true, (uint8_t[4]){0}))
				i++;
		}
	}
	if (gap == SIZE_MAX ? ngroups != 8 : ngroups > 7)
		return false;
	memset(addr, 0, 16);
	for (size_t g = 0; g < ngroups; g++) {
		size_t at = g;

		if (gap != SIZE_MAX && g >= gap)
			at = 8 - (ngroups - g);
		addr[2 * at] = (uint8_t)(groups[g] >> 8);
		addr[2 * at + 1] = (uint8_t)(groups[g] & 0xff);
	}
	return true;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ], where a label is
 * alphanumerics and inner hyphens, and the top label starts with a
 * letter. */
bool
sip_host_is_name(struct sv s)
{
	size_t i = 0;
	size_t last_start = 0;

	if (s.len > 0 && s.p[s.len - 1] == '.')
		s.len--;
	if (s.len == 0)
		return false;
	while (i < s.len) {
		size_t start = i;

		while (i < s.len && (is_alnum(s.p[i]) || s.p[i] == '-'))
			i++;
		if (i == start || s.p[start] == '-' || s.p[i - 1] == '-')
			return false;
		last_start = start;
		if (i == s.len)
			break;
		if (s.p[i] != '.')
			return false;
		i++;
		if (i == s.len)
			return false;
	}
	return is_alpha(s.p[last_start]);
}

bool
sip_host_is_ipv4(struct sv s)
{
	uint8_t a[4];

	return sip_host_ipv4_bytes(s, false, a);
}

bool
sip_host_is_ipv6(struct sv s)
{
	uint8_t a[16];

	return sip_host_ipv6_bytes(s, a);
}

int
sip_host_parse(struct sv in, struct sv *host, enum sip_host_type *type)
{
	if (in.len >= 2 && in.p[0] == '[' && in.p[in.len - 1] == ']') {
		struct sv inner = sv_make(in.p + 1, in.len - 2);

		if (!sip_host_is_ipv6(inner))
			return -EBADMSG;
		*host = inner;
		*type = SIP_HOST_IPV6;
		return 0;
	}
	if (sip_host_is_ipv4(in)) {
		*host = in;
		*type = SIP_HOST_IPV4;
		return 0;
	}
	if (!sip_host_is_name(in))
		return -EBADMSG;
	*host = in;
	*type = SIP_HOST_NAME;
	return 0;
}
