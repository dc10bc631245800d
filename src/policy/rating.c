/* Rate table and call cost arithmetic. */
#include "policy/rating.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct rating_table {
	struct numplan_trie *trie;
	struct rating_rate *rates;
	uint32_t n;
	uint32_t cap;
};

int
rating_money_parse(struct sv s, int64_t *out)
{
	uint64_t units = 0, frac = 0;
	size_t i = 0, nfrac = 0;

	if (s.len == 0)
		return -EINVAL;
	for (; i < s.len && s.p[i] != '.'; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EINVAL;
		units = units * 10u + (uint64_t)(s.p[i] - '0');
		if (units > (uint64_t)(RATING_MONEY_MAX / RATING_MICRO))
			return -ERANGE;
	}
	if (i == 0)
		return -EINVAL; /* ".5": say "0.5" */
	if (i < s.len) {
		i++; /* the '.' */
		if (i == s.len)
			return -EINVAL;
		for (; i < s.len; i++, nfrac++) {
			if (s.p[i] < '0' || s.p[i] > '9' || nfrac == 6)
				return -EINVAL;
			frac = frac * 10u + (uint64_t)(s.p[i] - '0');
		}
	}
	for (; nfrac < 6; nfrac++)
		frac *= 10u;
	units = units * (uint64_t)RATING_MICRO + frac;
	if (units > (uint64_t)RATING_MONEY_MAX)
		return -ERANGE;
	*out = (int64_t)units;
	return 0;
}

int
rating_money_format(int64_t m, char *buf, size_t size)
{
	char tmp[32];
	size_t n = 0, len;
	uint64_t v = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
	uint64_t units = v / RATING_MICRO, frac = v % RATING_MICRO;

	/* Digits in reverse: 6 decimals, the point, then the units. */
	for (int k = 0; k < 6; k++, frac /= 10u)
		tmp[n++] = (char)('0' + frac % 10u);
	tmp[n++] = '.';
	do {
		tmp[n++] = (char)('0' + units % 10u);
		units /= 10u;
	} while (units != 0);
	if (m < 0)
		tmp[n++] = '-';
	len = n;
	if (size < len + 1)
		return -E2BIG;
	for (size_t k = 0; k < len; k++)
		buf[k] = tmp[len - 1 - k];
	buf[len] = '\0';
	return (int)len;
}

uint64_t
rating_billed_seconds(const struct rating_rate *r, uint64_t seconds)
{
	uint64_t incr, first, rest;

	if (r == NULL || seconds == 0)
		return 0;
	if (seconds > RATING_SECONDS_MAX)
		seconds = RATING_SECONDS_MAX;
	incr = r->incr_s != 0 ? r->incr_s : 1u;
	first = r->first_s != 0 ? r->first_s : incr;
	if (seconds <= first)
		return first;
	rest = seconds - first;
	return first + (rest + incr - 1u) / incr * incr;
}

int64_t
rating_cost(const struct rating_rate *r, uint64_t seconds)
{
	uint64_t billed = rating_billed_seconds(r, seconds);
	uint64_t per_min;

	if (billed == 0)
		return 0;
	/* per_min <= 1e9 and billed <= 1e7 + 2 * 3600: the product fits. */
	per_min = r->per_min > 0 ? (uint64_t)r->per_min : 0u;
	return (r->setup > 0 ? r->setup : 0) +
	       (int64_t)((per_min * billed + 59u) / 60u);
}

int64_t
rating_projected(const struct rating_rate *r, uint64_t elapsed_s)
{
	return rating_cost(r, elapsed_s != 0 ? elapsed_s : 1u);
}

int
rating_table_new(struct rating_table **out)
{
	struct rating_table *t = mem_calloc(1, sizeof(*t));
	int err;

	if (t == NULL)
		return -ENOMEM;
	err = numplan_trie_new(&t->trie);
	if (err != 0) {
		free(t);
		return err;
	}
	*out = t;
	return 0;
}

void
rating_table_free(struct rating_table *t)
{
	if (t == NULL)
		return;
	numplan_trie_free(t->trie);
	free(t->rates);
	free(t);
}

size_t
rating_table_count(const struct rating_table *t)
{
	return numplan_trie_count(t->trie);
}

static bool
rate_ok(const struct rating_rate *r)
{
	return r->per_min >= 0 && r->per_min <= RATING_MONEY_MAX &&
	       r->setup >= 0 && r->setup <= RATING_MONEY_MAX &&
	       r->incr_s >= 1 && r->incr_s <= RATING_INCR_MAX &&
	       r->first_s <= RATING_INCR_MAX &&
	       memchr(r->label, '\0', sizeof(r->label)) != NULL;
}

int
rating_table_add(
    struct rating_table *t, struct sv prefix, const struct rating_rate *rate)
{
	uint32_t idx;
	size_t len;
	int err;

	if (!rate_ok(rate))
		return -EINVAL;
	if (prefix.len > 0 && prefix.p[0] == '+')
		prefix = sv_skip(prefix, 1);
	/* The same prefix again replaces its rate in place. */
	if (numplan_trie_match(t->trie, prefix, &idx, &len) &&
	    len == prefix.len) {
		t->rates[idx] = *rate;
		return 0;
	}
	if (t->n >= RATING_ENTRIES_MAX)
		return -E2BIG;
	if (t->n == t->cap) {
		uint32_t cap = t->cap != 0 ? t->cap * 2u : 64u;
		struct rating_rate *r;

		r = mem_realloc(t->rates, (size_t)cap * sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		t->rates = r;
		t->cap = cap;
	}
	err = numplan_trie_insert(t->trie, prefix, t->n);
	if (err != 0)
		return err;
	t->rates[t->n++] = *rate;
	return 0;
}

const struct rating_rate *
rating_lookup(const struct rating_table *t, struct sv e164)
{
	uint32_t idx;

	if (t == NULL || !numplan_trie_match(t->trie, e164, &idx, NULL))
		return NULL;
	return &t->rates[idx];
}

static int
parse_seconds(struct sv f, uint32_t min, uint32_t *out)
{
	if (sv_to_u32(f, RATING_INCR_MAX, out) != 0 || *out < min)
		return -EINVAL;
	return 0;
}

static int
parse_line(struct rating_table *t, struct sv line, const char **why)
{
	struct rating_rate r;
	struct sv pfx, f;
	int err;

	memset(&r, 0, sizeof(r));
	pfx = numplan_next_field(&line);
	if (pfx.len == 0 || pfx.p[0] != '+' ||
	    pfx.len - 1 > NUMPLAN_DIGITS_MAX) {
		*why = "prefix is not '+' and up to 15 digits";
		return -EBADMSG;
	}
	for (size_t i = 1; i < pfx.len; i++) {
		if (pfx.p[i] < '0' || pfx.p[i] > '9') {
			*why = "prefix is not '+' and up to 15 digits";
			return -EBADMSG;
		}
	}
	f = numplan_next_field(&line);
	if (rating_money_parse(f, &r.per_min) != 0) {
		*why = "bad per-minute amount";
		return -EBADMSG;
	}
	f = numplan_next_field(&line);
	if (rating_money_parse(f, &r.setup) != 0) {
		*why = "bad setup amount";
		return -EBADMSG;
	}
	f = numplan_next_field(&line);
	if (parse_seconds(f, 0, &r.first_s) != 0) {
		*why = "bad first increment (0 to 3600 seconds)";
		return -EBADMSG;
	}
	f = numplan_next_field(&line);
	if (parse_seconds(f, 1, &r.incr_s) != 0) {
		*why = "bad increment (1 to 3600 seconds)";
		return -EBADMSG;
	}
	if (line.len > RATING_LABEL_MAX) {
		*why = "label longer than 47 bytes";
		return -EBADMSG;
	}
	if (!numplan_label_ok(line)) {
		*why = "label has control bytes or bad UTF-8";
		return -EBADMSG;
	}
	if (line.len != 0)
		memcpy(r.label, line.p, line.len);
	err = rating_table_add(t, pfx, &r);
	if (err == -E2BIG)
		*why = "too many rates";
	else if (err == -ENOMEM)
		*why = "out of memory";
	else if (err != 0)
		*why = "bad rate";
	return err == -EINVAL ? -EBADMSG : err;
}

static int
table_line(void *ctx, struct sv line, const char **why)
{
	return parse_line(ctx, line, why);
}

int
rating_table_parse(
    struct rating_table *t, struct sv text, struct numplan_error *err)
{
	return numplan_parse_lines(text, table_line, t, err);
}

int
rating_table_load_file(
    struct rating_table *t, const char *path, struct numplan_error *err)
{
	return numplan_load_lines(path, RATING_FILE_MAX, table_line, t, err);
}
