/* Rate table: the cost of a call by destination prefix (R-FRAUD-3).
 *
 * Money is an int64_t count of micro-units of the account currency
 * (1 EUR = 1,000,000); no floating point anywhere.
 *
 * A call of 'd' seconds is billed, when d > 0:
 *   billed_s = first_s                                   if d <= first_s
 *            = first_s + ceil((d - first_s) / incr_s) * incr_s  otherwise
 *   cost     = setup + ceil(per_min * billed_s / 60)
 * so the one rounding is upwards, to the micro-unit: the ceilings never
 * under-count. A call of 0 seconds (never answered) costs nothing.
 *
 * Data file (admin input), one rate per line, '#' comments:
 *
 *     prefix per_minute setup first_s incr_s [label]
 *
 *   prefix      '+' and 0..15 digits ("+" alone: the default rate);
 *               longest prefix wins, a later line replaces an earlier
 *               one with the same prefix.
 *   per_minute  decimal money, up to 6 decimals: "0.015"
 *   setup       decimal money charged once per answered call
 *   first_s     first billing increment, seconds (0: same as incr_s)
 *   incr_s      following increments, seconds, >= 1
 *   label       free text, at most RATING_LABEL_MAX bytes.
 *
 * Lookups and arithmetic do no I/O and no allocation. */
#ifndef RP_POLICY_RATING_H
#define RP_POLICY_RATING_H

#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/numplan.h"

#define RATING_MICRO 1000000
/* Largest per-minute or setup amount: 1,000 units. With call lengths
 * capped at RATING_SECONDS_MAX, no product overflows. */
#define RATING_MONEY_MAX (1000LL * RATING_MICRO)
#define RATING_SECONDS_MAX 10000000u /* about 115 days */
#define RATING_INCR_MAX 3600u
#define RATING_LABEL_MAX 47u
#define RATING_ENTRIES_MAX 262144u
#define RATING_FILE_MAX (8u << 20)

struct rating_rate {
	int64_t per_min;  /* micro-units per minute */
	int64_t setup;    /* micro-units per answered call */
	uint32_t first_s; /* first increment; 0: incr_s */
	uint32_t incr_s;  /* >= 1 */
	char label[RATING_LABEL_MAX + 1];
};

/* Parses decimal money ("12", "0.5", "0.000001") into micro-units, at
 * most 6 decimals and RATING_MONEY_MAX. Returns 0, -EINVAL or -ERANGE. */
int rating_money_parse(struct sv s, int64_t *out) RP_MUST_CHECK;
/* Writes 'm' as "-12.345000" (6 decimals) into buf. Returns the length
 * written, or -E2BIG when buf is too small (24 bytes always do). */
int rating_money_format(int64_t m, char *buf, size_t size);

/* Seconds billed for a call of 'seconds' (see above); 0 for 0. */
uint64_t rating_billed_seconds(const struct rating_rate *r, uint64_t seconds);
/* Cost of a finished call of 'seconds' (clamped to RATING_SECONDS_MAX).
 * A NULL rate costs nothing. */
int64_t rating_cost(const struct rating_rate *r, uint64_t seconds);
/* Cost billed so far by a call answered 'elapsed_s' seconds ago: what it
 * would cost if it ended now, at least one second (setup and the first
 * increment are due from the answer). */
int64_t rating_projected(const struct rating_rate *r, uint64_t elapsed_s);

struct rating_table;

/* Returns 0 or -ENOMEM. Free with rating_table_free(). */
int rating_table_new(struct rating_table **out) RP_MUST_CHECK;
void rating_table_free(struct rating_table *t);
/* Adds or replaces the rate of 'prefix' ('+' optional, digits). The
 * rate is copied. Returns 0, -EINVAL (bad prefix, amounts or
 * increments), -E2BIG or -ENOMEM. */
int rating_table_add(struct rating_table *t, struct sv prefix,
    const struct rating_rate *rate) RP_MUST_CHECK;
/* Adds the lines of a rate file. Returns 0, -EBADMSG (*err gives the
 * line and reason), -E2BIG or -ENOMEM; on error the table holds part of
 * the file: free it and keep the old one. 'err' may be NULL. */
int rating_table_parse(struct rating_table *t, struct sv text,
    struct numplan_error *err) RP_MUST_CHECK;
/* rating_table_parse() on a file; blocks (start-up, admin reload). */
int rating_table_load_file(struct rating_table *t, const char *path,
    struct numplan_error *err) RP_MUST_CHECK;
/* The rate of the longest prefix covering 'e164' (digits, no '+'), owned
 * by the table, or NULL. */
const struct rating_rate *rating_lookup(
    const struct rating_table *t, struct sv e164);
size_t rating_table_count(const struct rating_table *t);

#endif
