/* Host syntax: hostname, IPv4address, IPv6reference. */
#include "sip/host.h"

#include <errno.h>

#include "sip/chars.h"

bool
sip_host_is_ipv4(struct sv s)
{
	unsigned octets = 0;
	size_t i = 0;

	while (octets < 4) {
		unsigned value = 0, digits = 0;

		while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9' &&
		    digits < 3) {
			value = value * 10 + (unsigned)(s.p[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || value > 255)
			return false;
		octets++;
		if (octets == 4)
			break;
		if (i >= s.len || s.p[i] != '.')
			return false;
		i++;
	}
	return i == s.len;
}

/* RFC 4291 §2.2: up to eight 16-bit hex groups, one "::" standing for
 * one or more zero groups, and optionally a dotted IPv4 tail standing
 * for the last two groups. */
bool
sip_host_is_ipv6(struct sv s)
{
	unsigned groups = 0;
	bool compressed = false;
	size_t i = 0;

	if (s.len < 2)
		return false;
	if (s.p[0] == ':') {
		if (s.p[1] != ':')
			return false;
		compressed = true;
		i = 2;
		if (i == s.len)
			return true; /* "::" */
	}
	while (i < s.len) {
		size_t start = i;
		unsigned digits = 0;

		while (i < s.len && sv_hex_value(s.p[i]) >= 0 && digits < 5) {
			i++;
			digits++;
		}
		if (i < s.len && s.p[i] == '.') {
			/* The IPv4 tail counts for two groups, and ends it. */
			if (!sip_host_is_ipv4(sv_skip(s, start)))
				return false;
			groups += 2;
			i = s.len;
			break;
		}
		if (digits == 0 || digits > 4)
			return false;
		groups++;
		if (i == s.len)
			break;
		if (s.p[i] != ':')
			return false;
		i++;
		if (i < s.len && s.p[i] == ':') {
			if (compressed)
				return false;
			compressed = true;
			i++;
			if (i == s.len)
				break;
		} else if (i == s.len) {
			return false; /* a lone trailing ':' */
		}
	}
	return compressed ? groups <= 7 : groups == 8;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ], labels made of
 * alphanumerics and inner hyphens; the top label starts with a letter. */
static bool
is_hostname(struct sv s)
{
	size_t label_start = 0;
	size_t last_label_start = 0;

	if (s.len == 0 || !sv_all_in(s, sip_chars_hostname))
		return false;
	if (s.p[s.len - 1] == '.')
		s.len--; /* a fully qualified name may end with a dot */
	if (s.len == 0)
		return false;
	for (size_t i = 0; i <= s.len; i++) {
		if (i < s.len && s.p[i] != '.')
			continue;
		if (i == label_start || s.p[label_start] == '-' ||
		    s.p[i - 1] == '-')
			return false;
		last_label_start = label_start;
		label_start = i + 1;
	}
	return !(s.p[last_label_start] >= '0' && s.p[last_label_start] <= '9');
}

int
sip_host_parse(struct sv in, struct sv *host, enum sip_host_type *type)
{
	if (in.len == 0)
		return -EBADMSG;
	if (in.p[0] == '[') {
		struct sv inner;

		if (in.len < 3 || in.p[in.len - 1] != ']')
			return -EBADMSG;
		inner = sv_make(in.p + 1, in.len - 2);
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
	if (!is_hostname(in))
		return -EBADMSG;
	*host = in;
	*type = SIP_HOST_NAME;
	return 0;
}
