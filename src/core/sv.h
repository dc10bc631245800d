/* String views: borrowed (pointer, length) pairs over untrusted bytes.
 *
 * A view never owns its bytes and is never assumed to be NUL-terminated.
 * Every helper here reads at most 'len' bytes. Views are valid only while
 * the buffer they point into lives; copy with sv_strdup() to keep them. */
#ifndef RP_CORE_SV_H
#define RP_CORE_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/compiler.h"

struct sv {
	const char *p;
	size_t len;
}; /* borrowed, not NUL-ended */

/* A view of a string literal, without its terminator. */
#define SV(lit) ((struct sv){(lit), sizeof(lit) - 1})
#define SV_NULL ((struct sv){NULL, 0})
/* For printf: printf("%.*s", SV_ARG(v)). */
#define SV_ARG(v) (int)(v).len, (v).p

static inline struct sv
sv_make(const char *p, size_t len)
{
	return (struct sv){p, len};
}

/* A view of a NUL-terminated C string (trusted input only). */
static inline struct sv
sv_cstr(const char *s)
{
	return (struct sv){s, s != NULL ? strlen(s) : 0};
}

static inline bool
sv_empty(struct sv s)
{
	return s.len == 0;
}

/* True when the view points somewhere, even at zero bytes: tells an
 * absent value (SV_NULL) from an empty one. */
static inline bool
sv_present(struct sv s)
{
	return s.p != NULL;
}

/* Drops the first n bytes; n must be <= len (checked, clamps). */
static inline struct sv
sv_skip(struct sv s, size_t n)
{
	if (n > s.len)
		n = s.len;
	return (struct sv){s.p + n, s.len - n};
}

/* The first n bytes (or all of them if shorter). */
static inline struct sv
sv_head(struct sv s, size_t n)
{
	return (struct sv){s.p, n < s.len ? n : s.len};
}

/* Splits 'in' at the first 'c': 'head' gets what precedes it and 'in'
 * what follows. Returns false (and leaves both alone) if 'c' is absent. */
static inline bool
sv_split(struct sv *in, char c, struct sv *head)
{
	const char *hit;

	if (in->len == 0)
		return false; /* memchr(NULL, c, 0) is undefined */
	hit = memchr(in->p, c, in->len);
	if (hit == NULL)
		return false;
	head->p = in->p;
	head->len = (size_t)(hit - in->p);
	in->p = hit + 1;
	in->len -= head->len + 1;
	return true;
}

static inline bool
sv_eq(struct sv a, struct sv b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

static inline char
sv_lower_char(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}

/* ASCII case-insensitive equality (SIP tokens and header names). */
bool sv_ieq(struct sv a, struct sv b);
bool sv_istarts_with(struct sv s, struct sv prefix);
bool sv_starts_with(struct sv s, struct sv prefix);

/* Index of the first 'c' in s, or -1. */
long sv_find_char(struct sv s, char c);

/* True for SP, HT, CR and LF: the bytes of SIP linear white space. */
static inline bool
sv_is_lws_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Drops leading / trailing / both linear white space (SP HT CR LF). */
struct sv sv_ltrim(struct sv s);
struct sv sv_rtrim(struct sv s);
struct sv sv_trim(struct sv s);

/* Parses decimal digits only (no sign, no space) into *out, refusing
 * empty input and values above 'max'. Leading zeros are allowed.
 * Returns 0, -EINVAL (not all digits) or -ERANGE (above max). */
int sv_to_u32(struct sv s, uint32_t max, uint32_t *out) RP_MUST_CHECK;
int sv_to_u64(struct sv s, uint64_t max, uint64_t *out) RP_MUST_CHECK;

/* A duration "30s", "15m", "1h", "7d", "2w": a positive decimal count
 * and one unit, into seconds, at most 'max_s'. Shared by the command
 * line and the API so both accept the same text. Returns 0 or
 * -EINVAL. */
int sv_to_duration_s(struct sv s, int64_t max_s, int64_t *out) RP_MUST_CHECK;

/* Value of a hex digit, or -1. */
int sv_hex_value(char c);

/* True if every byte of s is in the 256-entry table 'set'. */
bool sv_all_in(struct sv s, const bool set[256]);

/* The index of the name equal to s (byte for byte) among the n entries
 * of 'names', or -1: the parser of an enum's stored names. */
int sv_name_index(struct sv s, const char *const *names, size_t n);

/* Length of the UTF-8 sequence at s.p[i] (i < s.len), or 0 when it is
 * invalid: a stray or missing continuation byte, an overlong form, a
 * surrogate or a code point past U+10FFFF. *cp gets the code point. */
size_t sv_utf8_seq(struct sv s, size_t i, uint32_t *cp);

/* A new NUL-terminated copy of s (free with free()); NULL when out of
 * memory. */
char *sv_strdup(struct sv s);

#endif
