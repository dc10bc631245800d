/* RFC 3261 §25.1 character classes as 256-entry tables. */
#ifndef RP_SIP_CHARS_H
#define RP_SIP_CHARS_H

#include <stdbool.h>

#include "core/sv.h"

/* token: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" /
 * "~" */
extern const bool sip_chars_token[256];
/* unreserved: alphanum / mark ("-_.!~*'()") */
extern const bool sip_chars_unreserved[256];
/* user: unreserved / "%" (escape start) / user-unreserved ("&=+$,;?/") */
extern const bool sip_chars_user[256];
/* password: unreserved / "%" / "&=+$," */
extern const bool sip_chars_password[256];
/* hostname: alphanum / "-" / "." */
extern const bool sip_chars_hostname[256];
/* paramchar: param-unreserved ("[]/:&+$") / unreserved / "%" */
extern const bool sip_chars_uri_param[256];
/* hnv-unreserved ("[]/?:+$") / unreserved / "%" (URI headers) */
extern const bool sip_chars_uri_header[256];
/* word (Call-ID): alphanum / "-.!%*_+`'~()<>:\\\"/[]?{}" */
extern const bool sip_chars_word[256];

static inline bool
sip_is_token(struct sv s)
{
	return s.len > 0 && sv_all_in(s, sip_chars_token);
}

/* Checks %-escapes in s: each '%' must be followed by two hex digits. */
bool sip_escapes_valid(struct sv s);

#endif
