/* String view helpers. */
#include "core/sv.h"

#include <errno.h>
#include <stdlib.h>

#include "core/mem.h"

bool
sv_ieq(struct sv a, struct sv b)
{
	if (a.len != b.len)
		return false;
	/* Names are mostly written in their canonical case. */
	if (a.len == 0 || memcmp(a.p, b.p, a.len) == 0)
		return true;
	for (size_t i = 0; i < a.len; i++)
		if (sv_lower_char(a.p[i]) != sv_lower_char(b.p[i]))
			return false;
	return true;
}

bool
sv_istarts_with(struct sv s, struct sv prefix)
{
	return s.len >= prefix.len && sv_ieq(sv_head(s, prefix.len), prefix);
}

bool
sv_starts_with(struct sv s, struct sv prefix)
{
	return s.len >= prefix.len && sv_eq(sv_head(s, prefix.len), prefix);
}

long
sv_find_char(struct sv s, char c)
{
	const char *hit;

	if (s.len == 0)
		return -1;
	hit = memchr(s.p, c, s.len);
	return hit != NULL ? (long)(hit - s.p) : -1;
}

struct sv
sv_ltrim(struct sv s)
{
	while (s.len > 0 && sv_is_lws_char(s.p[0])) {
		s.p++;
		s.len--;
	}
	return s;
}

struct sv
sv_rtrim(struct sv s)
{
	while (s.len > 0 && sv_is_lws_char(s.p[s.len - 1]))
		s.len--;
	return s;
}

struct sv
sv_trim(struct sv s)
{
	return sv_rtrim(sv_ltrim(s));
}

int
sv_to_u64(struct sv s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0)
		return -EINVAL;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return -EINVAL;
		d = (unsigned)(s.p[i] - '0');
		if (d > max || v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
sv_to_duration_s(struct sv s, int64_t max_s, int64_t *out)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {
	    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	uint32_t n;

	if (s.len < 2 || max_s <= 0)
		return -EINVAL;
	if (sv_to_u32(sv_head(s, s.len - 1), UINT32_MAX, &n) != 0 || n == 0)
		return -EINVAL;
	for (size_t i = 0; i < RP_ARRAY_LEN(units); i++) {
		if (units[i].unit != s.p[s.len - 1])
			continue;
		if ((int64_t)n > max_s / units[i].secs)
			return -EINVAL;
		*out = (int64_t)n * units[i].secs;
		return 0;
	}
	return -EINVAL;
}

int
sv_to_u32(struct sv s, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err;

	err = sv_to_u64(s, max, &v);
	if (err != 0)
		return err;
	*out = (uint32_t)v;
	return 0;
}

int
sv_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
sv_name_index(struct sv s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (names[i] != NULL && sv_eq(s, sv_cstr(names[i])))
			return (int)i;
	}
	return -1;
}

bool
sv_all_in(struct sv s, const bool set[256])
{
	for (size_t i = 0; i < s.len; i++)
		if (!set[(unsigned char)s.p[i]])
			return false;
	return true;
}

char *
sv_strdup(struct sv s)
{
	char *copy;

	copy = mem_alloc(s.len + 1);
	if (copy == NULL)
		return NULL;
	if (s.len > 0)
		memcpy(copy, s.p, s.len);
	copy[s.len] = '\0';
	return copy;
}

/* Length of the UTF-8 sequence at s.p[i], 0 if invalid (overlong forms,
 * surrogates and code points past U+10FFFF included); *cp gets the code
 * point. */
size_t
sv_utf8_seq(struct sv s, size_t i, uint32_t *cp)
{
	unsigned char c = (unsigned char)s.p[i];
	size_t need;
	uint32_t v, min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		v = c & 0x1fu;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		v = c & 0x0fu;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		v = c & 0x07u;
		min = 0x10000;
	} else {
		return 0;
	}
	if (s.len - i < need)
		return 0;
	for (size_t k = 1; k < need; k++) {
		unsigned char cc = (unsigned char)s.p[i + k];

		if ((cc & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (cc & 0x3fu);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return need;
}
