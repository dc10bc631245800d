/* SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), zero-copy.
 *
 * Fields are views into the input, exactly as received (escapes kept);
 * use sip_uri_unescape() to decode one. Any other scheme is accepted as
 * an absoluteURI (SIP_URI_OTHER) with its opaque part, so that callers
 * decide (a Request-URI with such a scheme gets 416). */
#ifndef RP_SIP_URI_H
#define RP_SIP_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

enum sip_uri_scheme {
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,
	SIP_URI_OTHER,
};

enum sip_host_type {
	SIP_HOST_NONE, /* tel: and other schemes */
	SIP_HOST_NAME,
	SIP_HOST_IPV4,
	SIP_HOST_IPV6,
};

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sv raw;         /* the whole URI */
	struct sv scheme_name; /* as written, e.g. "SIP" */
	/* sip/sips: userinfo; tel: the number (global or local). SV_NULL
	 * when absent, which differs from present but empty. */
	struct sv user;
	struct sv password;
	struct sv host; /* IPv6: without the brackets */
	enum sip_host_type host_type;
	uint16_t port;
	bool has_port;
	struct sv params;  /* from the first ';' (included) up to '?' */
	struct sv headers; /* after '?' ('?' excluded) */
	/* SIP_URI_OTHER: everything after "scheme:"; non-empty printable
	 * ASCII without '<', '>' or '"'. */
	struct sv opaque;
	/* Well-known URI parameters, SV_NULL when absent. */
	struct sv transport;
	struct sv user_param; /* user=phone / user=ip */
	struct sv method;
	struct sv maddr; /* as written: an IPv6 reference keeps "[]" */
	uint8_t ttl;
	bool has_ttl;
	bool lr;
};

/* Parses 'in' (nothing before or after the URI, no surrounding LWS).
 * A well-known parameter given twice, or (but lr) without a value, is
 * malformed.
 * Returns 0, -EBADMSG (malformed), -E2BIG (longer than SIP_URI_MAX, or
 * more than SIP_PARAMS_MAX parameters or headers) or -ERANGE (port or
 * ttl out of range). */
int sip_uri_parse(struct sv in, struct sip_uri *out) RP_MUST_CHECK;

/* Looks up a URI parameter by name (case-insensitive, escapes in names
 * decoded). Returns 1 found (*value may be empty), 0 absent. */
int sip_uri_param(const struct sip_uri *u, struct sv name, struct sv *value);

/* RFC 3261 §19.1.4 comparison: scheme, userinfo (case-sensitive, after
 * unescaping; an escaped reserved character differs from the literal
 * one), host (case-insensitive; IPv6 as addresses), port, parameters
 * (user, ttl, method, maddr and transport must be in both or neither;
 * others count only when in both) and headers (the same multiset), all
 * values case-insensitive after unescaping. tel: numbers and parameters
 * per RFC 3966 §4; other schemes: the scheme name case-insensitively,
 * the opaque part byte for byte. */
bool sip_uri_equal(const struct sip_uri *a, const struct sip_uri *b);

/* Decodes %-escapes of 'in' into 'out' (room for 'out_max' bytes).
 * Returns 0 with *out_len set, -EBADMSG (bad escape) or -E2BIG. */
int sip_uri_unescape(struct sv in, char *out, size_t out_max,
    size_t *out_len) RP_MUST_CHECK;

#endif
