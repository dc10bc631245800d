/* RFC 3261 §25.1 character classes as 256-entry tables. */
#ifndef RP_SIP_CHARS_H
#define RP_SIP_CHARS_H

#include <stdbool.h>

#include "core/sv.h"

/* Designated initialisers for building such tables:
 * static const bool t[256] = {SIP_CHARS_ALPHANUM, ['-'] = true}; */
#define SIP_CHARS_ALPHA_LOWER                                                  \
	['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true,  \
	['f'] = true, ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true,  \
	['k'] = true, ['l'] = true, ['m'] = true, ['n'] = true, ['o'] = true,  \
	['p'] = true, ['q'] = true, ['r'] = true, ['s'] = true, ['t'] = true,  \
	['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true, ['y'] = true,  \
	['z'] = true
#define SIP_CHARS_ALPHA_UPPER                                                  \
	['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true,  \
	['F'] = true, ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true,  \
	['K'] = true, ['L'] = true, ['M'] = true, ['N'] = true, ['O'] = true,  \
	['P'] = true, ['Q'] = true, ['R'] = true, ['S'] = true, ['T'] = true,  \
	['U'] = true, ['V'] = true, ['W'] = true, ['X'] = true, ['Y'] = true,  \
	['Z'] = true
#define SIP_CHARS_DIGIT                                                        \
	['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,  \
	['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true
#define SIP_CHARS_ALPHANUM                                                     \
	SIP_CHARS_ALPHA_LOWER, SIP_CHARS_ALPHA_UPPER, SIP_CHARS_DIGIT
#define SIP_CHARS_MARK                                                         \
	['-'] = true, ['_'] = true, ['.'] = true, ['!'] = true, ['~'] = true,  \
	['*'] = true, ['\''] = true, ['('] = true, [')'] = true
#define SIP_CHARS_UNRESERVED SIP_CHARS_ALPHANUM, SIP_CHARS_MARK

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
