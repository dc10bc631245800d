/* RFC 3261 §25.1 character class tables. */
#include "sip/chars.h"

const bool sip_chars_token[256] = {
    SIP_CHARS_ALPHANUM,
    ['-'] = true,
    ['.'] = true,
    ['!'] = true,
    ['%'] = true,
    ['*'] = true,
    ['_'] = true,
    ['+'] = true,
    ['`'] = true,
    ['\''] = true,
    ['~'] = true,
};

const bool sip_chars_unreserved[256] = {SIP_CHARS_UNRESERVED};

const bool sip_chars_user[256] = {
    SIP_CHARS_UNRESERVED,
    ['%'] = true,
    ['&'] = true,
    ['='] = true,
    ['+'] = true,
    ['$'] = true,
    [','] = true,
    [';'] = true,
    ['?'] = true,
    ['/'] = true,
};

const bool sip_chars_password[256] = {
    SIP_CHARS_UNRESERVED,
    ['%'] = true,
    ['&'] = true,
    ['='] = true,
    ['+'] = true,
    ['$'] = true,
    [','] = true,
};

const bool sip_chars_hostname[256] = {
    SIP_CHARS_ALPHANUM, ['-'] = true, ['.'] = true};

const bool sip_chars_uri_param[256] = {
    SIP_CHARS_UNRESERVED,
    ['%'] = true,
    ['['] = true,
    [']'] = true,
    ['/'] = true,
    [':'] = true,
    ['&'] = true,
    ['+'] = true,
    ['$'] = true,
};

const bool sip_chars_uri_header[256] = {
    SIP_CHARS_UNRESERVED,
    ['%'] = true,
    ['['] = true,
    [']'] = true,
    ['/'] = true,
    ['?'] = true,
    [':'] = true,
    ['+'] = true,
    ['$'] = true,
};

const bool sip_chars_word[256] = {
    SIP_CHARS_ALPHANUM,
    ['-'] = true,
    ['.'] = true,
    ['!'] = true,
    ['%'] = true,
    ['*'] = true,
    ['_'] = true,
    ['+'] = true,
    ['`'] = true,
    ['\''] = true,
    ['~'] = true,
    ['('] = true,
    [')'] = true,
    ['<'] = true,
    ['>'] = true,
    [':'] = true,
    ['\\'] = true,
    ['"'] = true,
    ['/'] = true,
    ['['] = true,
    [']'] = true,
    ['?'] = true,
    ['{'] = true,
    ['}'] = true,
};

bool
sip_escapes_valid(struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] != '%')
			continue;
		if (s.len - i < 3 || sv_hex_value(s.p[i + 1]) < 0 ||
		    sv_hex_value(s.p[i + 2]) < 0)
			return false;
		i += 2;
	}
	return true;
}
