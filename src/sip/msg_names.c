/* Method and header-field name tables. */
#include "sip/msg.h"

struct name_id {
	const char *name;
	uint8_t len;
	uint8_t id;
};

#define ENTRY(s, id)                                                           \
	{                                                                      \
		s, sizeof(s) - 1, id                                           \
	}

static const struct name_id methods[] = {
    ENTRY("INVITE", SIP_METHOD_INVITE),
    ENTRY("ACK", SIP_METHOD_ACK),
    ENTRY("BYE", SIP_METHOD_BYE),
    ENTRY("CANCEL", SIP_METHOD_CANCEL),
    ENTRY("OPTIONS", SIP_METHOD_OPTIONS),
    ENTRY("REGISTER", SIP_METHOD_REGISTER),
    ENTRY("PRACK", SIP_METHOD_PRACK),
    ENTRY("SUBSCRIBE", SIP_METHOD_SUBSCRIBE),
    ENTRY("NOTIFY", SIP_METHOD_NOTIFY),
    ENTRY("PUBLISH", SIP_METHOD_PUBLISH),
    ENTRY("INFO", SIP_METHOD_INFO),
    ENTRY("REFER", SIP_METHOD_REFER),
    ENTRY("MESSAGE", SIP_METHOD_MESSAGE),
    ENTRY("UPDATE", SIP_METHOD_UPDATE),
};

/* Ordered by how often each appears, so the common ones match first. */
static const struct name_id headers[] = {
    ENTRY("Via", SIP_HDR_VIA),
    ENTRY("From", SIP_HDR_FROM),
    ENTRY("To", SIP_HDR_TO),
    ENTRY("Call-ID", SIP_HDR_CALL_ID),
    ENTRY("CSeq", SIP_HDR_CSEQ),
    ENTRY("Contact", SIP_HDR_CONTACT),
    ENTRY("Max-Forwards", SIP_HDR_MAX_FORWARDS),
    ENTRY("Content-Length", SIP_HDR_CONTENT_LENGTH),
    ENTRY("Content-Type", SIP_HDR_CONTENT_TYPE),
    ENTRY("Route", SIP_HDR_ROUTE),
    ENTRY("Record-Route", SIP_HDR_RECORD_ROUTE),
    ENTRY("Expires", SIP_HDR_EXPIRES),
    ENTRY("Authorization", SIP_HDR_AUTHORIZATION),
    ENTRY("Proxy-Authorization", SIP_HDR_PROXY_AUTHORIZATION),
    ENTRY("WWW-Authenticate", SIP_HDR_WWW_AUTHENTICATE),
    ENTRY("Proxy-Authenticate", SIP_HDR_PROXY_AUTHENTICATE),
    ENTRY("Allow", SIP_HDR_ALLOW),
    ENTRY("Supported", SIP_HDR_SUPPORTED),
    ENTRY("User-Agent", SIP_HDR_USER_AGENT),
    ENTRY("Server", SIP_HDR_SERVER),
    ENTRY("Require", SIP_HDR_REQUIRE),
    ENTRY("Proxy-Require", SIP_HDR_PROXY_REQUIRE),
    ENTRY("Unsupported", SIP_HDR_UNSUPPORTED),
    ENTRY("Min-Expires", SIP_HDR_MIN_EXPIRES),
    ENTRY("Content-Encoding", SIP_HDR_CONTENT_ENCODING),
    ENTRY("Content-Disposition", SIP_HDR_CONTENT_DISPOSITION),
    ENTRY("Authentication-Info", SIP_HDR_AUTHENTICATION_INFO),
    ENTRY("Privacy", SIP_HDR_PRIVACY),
    ENTRY("P-Asserted-Identity", SIP_HDR_P_ASSERTED_IDENTITY),
    ENTRY("P-Preferred-Identity", SIP_HDR_P_PREFERRED_IDENTITY),
    ENTRY("Subject", SIP_HDR_SUBJECT),
    ENTRY("Accept", SIP_HDR_ACCEPT),
    ENTRY("Event", SIP_HDR_EVENT),
    ENTRY("Allow-Events", SIP_HDR_ALLOW_EVENTS),
    ENTRY("Refer-To", SIP_HDR_REFER_TO),
    ENTRY("Referred-By", SIP_HDR_REFERRED_BY),
    ENTRY("Session-Expires", SIP_HDR_SESSION_EXPIRES),
    ENTRY("Min-SE", SIP_HDR_MIN_SE),
    ENTRY("RSeq", SIP_HDR_RSEQ),
    ENTRY("RAck", SIP_HDR_RACK),
    ENTRY("Date", SIP_HDR_DATE),
    ENTRY("Timestamp", SIP_HDR_TIMESTAMP),
    ENTRY("Reply-To", SIP_HDR_REPLY_TO),
    ENTRY("Identity", SIP_HDR_IDENTITY),
};

/* Compact forms (RFC 3261 §7.3.3 and the extensions that define them),
 * indexed by the lower-case letter. */
static const uint8_t compact[26] = {
    ['b' - 'a'] = SIP_HDR_REFERRED_BY,
    ['c' - 'a'] = SIP_HDR_CONTENT_TYPE,
    ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
    ['f' - 'a'] = SIP_HDR_FROM,
    ['i' - 'a'] = SIP_HDR_CALL_ID,
    ['k' - 'a'] = SIP_HDR_SUPPORTED,
    ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
    ['m' - 'a'] = SIP_HDR_CONTACT,
    ['o' - 'a'] = SIP_HDR_EVENT,
    ['r' - 'a'] = SIP_HDR_REFER_TO,
    ['s' - 'a'] = SIP_HDR_SUBJECT,
    ['t' - 'a'] = SIP_HDR_TO,
    ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
    ['v' - 'a'] = SIP_HDR_VIA,
    ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
    ['y' - 'a'] = SIP_HDR_IDENTITY,
};

enum sip_method
sip_method_from_name(struct sv name)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(methods); i++)
		if (name.len == methods[i].len &&
		    memcmp(name.p, methods[i].name, name.len) == 0)
			return (enum sip_method)methods[i].id;
	return SIP_METHOD_OTHER;
}

const char *
sip_method_name(enum sip_method method)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(methods); i++)
		if (methods[i].id == method)
			return methods[i].name;
	return NULL;
}

enum sip_hdr_id
sip_hdr_id_from_name(struct sv name)
{
	if (name.len == 1) {
		char c = sv_lower_char(name.p[0]);

		if (c >= 'a' && c <= 'z')
			return (enum sip_hdr_id)compact[c - 'a'];
		return SIP_HDR_OTHER;
	}
	for (size_t i = 0; i < RP_ARRAY_LEN(headers); i++) {
		if (name.len != headers[i].len ||
		    sv_lower_char(name.p[0]) !=
		        sv_lower_char(headers[i].name[0]))
			continue;
		if (sv_ieq(name, sv_make(headers[i].name, headers[i].len)))
			return (enum sip_hdr_id)headers[i].id;
	}
	return SIP_HDR_OTHER;
}

const char *
sip_hdr_name(enum sip_hdr_id id)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(headers); i++)
		if (headers[i].id == id)
			return headers[i].name;
	return NULL;
}
