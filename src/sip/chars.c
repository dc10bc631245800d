/* RFC 3261 §25.1 character class tables. */
#include "sip/chars.h"

#define ALPHA_LOWER                                                            \
	['a'] = true, ['b'] = true, ['c'] = true, ['d'] = true, ['e'] = true,  \
	['f'] = true, ['g'] = true, ['h'] = true, ['i'] = true, ['j'] = true,  \
	['k'] = true, ['l'] = true, ['m'] = true, ['n'] = true, ['o'] = true,  \
	['p'] = true, ['q'] = true, ['r'] = true, ['s'] = true, ['t'] = true,  \
	['u'] = true, ['v'] = true, ['w'] = true, ['x'] = true, ['y'] = true,  \
	['z'] = true
#define ALPHA_UPPER                                                            \
	['A'] = true, ['B'] = true, ['C'] = true, ['D'] = true, ['E'] = true,  \
	['F'] = true, ['G'] = true, ['H'] = true, ['I'] = true, ['J'] = true,  \
	['K'] = true, ['L'] = true, ['M'] = true, ['N'] = true, ['O'] = true,  \
	['P'] = true, ['Q'] = true, ['R'] = true, ['S'] = true, ['T'] = true,  \
	['U'] = true, ['V'] = true, ['W'] = true, ['X'] = true, ['Y'] = true,  \
	['Z'] = true
#define DIGIT                                                                  \
	['0'] = true, ['1'] = true, ['2'] = true, ['3'] = true, ['4'] = true,  \
	['5'] = true, ['6'] = true, ['7'] = true, ['8'] = true, ['9'] = true
#define ALPHANUM ALPHA_LOWER, ALPHA_UPPER, DIGIT
#define MARK                                                                   \
	['-'] = true, ['_'] = true, ['.'] = true, ['!'] = true, ['~'] = true,  \
	['*'] = true, ['\''] = true, ['('] = true, [')'] = true
#define UNRESERVED ALPHANUM, MARK

const bool sip_chars_token[256] = {
    ALPHANUM,
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

const bool sip_chars_unreserved[256] = {UNRESERVED};

const bool sip_chars_user[256] = {
    UNRESERVED,
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
    UNRESERVED,
    ['%'] = true,
    ['&'] = true,
    ['='] = true,
    ['+'] = true,
    ['$'] = true,
    [','] = true,
};

const bool sip_chars_hostname[256] = {ALPHANUM, ['-'] = true, ['.'] = true};

const bool sip_chars_uri_param[256] = {
    UNRESERVED,
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
    UNRESERVED,
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
    ALPHANUM,
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
