/* Numbering plan: normalises what a user dials to E.164 and classifies
 * the destination by longest-prefix match (R-FRAUD-1, R-FRAUD-2).
 *
 * Tables come from text files the admin may replace (data/numplan/), one
 * entry per line:
 *
 *     prefix class [label]      # a comment runs to the end of the line
 *
 * 'prefix' is either '+' and 0..15 digits (an E.164 prefix; '+' alone
 * matches every number), or 1..10 digits and trailing 'x' wildcards (a
 * short number, matched against the whole dialed string, each 'x' one
 * digit: "118xxx"). 'class' is one of the names of numplan_class_name()
 * ("high-risk" with a dash) or "geographic": a national number that is
 * local when the caller's own number falls under the same entry. The
 * label (at most NUMPLAN_LABEL_MAX bytes, printable ASCII or UTF-8) is
 * free text for logs and CDRs. Several files may be loaded into one plan
 * in order; a later entry for the same prefix replaces the earlier one
 * (world.txt, then fr.txt, then high-risk.txt).
 *
 * Everything here is a pure function of its arguments once loaded: no
 * I/O or allocation after the tables are built, any thread may read a
 * plan that no one modifies. */
#ifndef RP_POLICY_NUMPLAN_H
#define RP_POLICY_NUMPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

/* E.164 allows at most 15 digits (ITU-T E.164 §6). */
#define NUMPLAN_DIGITS_MAX 15u
/* Bytes of a dialed string, separators included. */
#define NUMPLAN_DIAL_MAX 40u
/* Digits of a short number pattern (116000 has 6). */
#define NUMPLAN_SHORT_DIGITS_MAX 10u
#define NUMPLAN_LABEL_MAX 47u
/* Admin input limits: a longer line or file, or more entries, is
 * refused with the line number. */
#define NUMPLAN_LINE_MAX 256u
#define NUMPLAN_ENTRIES_MAX 262144u
#define NUMPLAN_SHORT_MAX 1024u
#define NUMPLAN_FILE_MAX (8u << 20)

enum numplan_class {
	NUMPLAN_INTERNAL,
	NUMPLAN_EMERGENCY,
	NUMPLAN_LOCAL,
	NUMPLAN_NATIONAL,
	NUMPLAN_MOBILE,
	NUMPLAN_INTERNATIONAL,
	NUMPLAN_PREMIUM,
	NUMPLAN_HIGH_RISK,
	NUMPLAN_SPECIAL,
	NUMPLAN_CLASS_COUNT
};

/* Bit of a class in a class mask (struct rights_profile). */
#define NUMPLAN_BIT(c) (1u << (unsigned)(c))

/* Static name of a class ("high-risk"), "?" when out of range. */
const char *numplan_class_name(enum numplan_class c);
/* Parses a class name. Returns 0 or -EINVAL. */
int numplan_class_parse(struct sv name, enum numplan_class *out) RP_MUST_CHECK;

/* A digit trie mapping decimal prefixes to values: the longest-prefix
 * lookup shared by the plan, the rate table and the rights lists. One
 * node per digit of each prefix; a lookup walks at most 15 nodes. */
struct numplan_trie;

/* Returns 0 or -ENOMEM. Free with numplan_trie_free(). */
int numplan_trie_new(struct numplan_trie **out) RP_MUST_CHECK;
void numplan_trie_free(struct numplan_trie *t);
/* Maps 'digits' (0..NUMPLAN_DIGITS_MAX decimal digits; empty matches
 * everything) to 'value', replacing a previous value. Returns 0, -EINVAL
 * (not digits, too long), -E2BIG (more than NUMPLAN_ENTRIES_MAX * 16
 * nodes) or -ENOMEM. */
int numplan_trie_insert(
    struct numplan_trie *t, struct sv digits, uint32_t value) RP_MUST_CHECK;
/* Longest prefix of 'digits' that has a value: true and *value (and
 * *prefix_len, may be NULL) set, or false. Non-digits end the walk. */
bool numplan_trie_match(const struct numplan_trie *t, struct sv digits,
    uint32_t *value, size_t *prefix_len);
/* Prefixes with a value. */
size_t numplan_trie_count(const struct numplan_trie *t);

/* Where a data file is wrong: 1-based line (0: the file as a whole) and
 * a static reason. */
struct numplan_error {
	unsigned line;
	const char *reason;
};

/* Line reader shared by the data-file parsers. Each call gives the next
 * line that holds something once its comment ('#' to the end) and outer
 * blanks are dropped. Returns 1 (a line in *line), 0 at the end, or
 * -E2BIG (line longer than NUMPLAN_LINE_MAX; it->line names it). */
struct numplan_lines {
	struct sv rest;
	unsigned line;
};
int numplan_next_line(struct numplan_lines *it, struct sv *line);
/* Next blank-separated field of *line (empty at the end); *line keeps
 * what follows, its leading blanks dropped. */
struct sv numplan_next_field(struct sv *line);
/* True if a label is printable: no control bytes, valid UTF-8. */
bool numplan_label_ok(struct sv label);

/* Reads a whole regular file of at most 'max' bytes into a new buffer
 * (NUL added, free with free()). Returns 0, -EFBIG, -EINVAL (not a
 * regular file), -ENOMEM or a negative errno from open/read. Start-up
 * or admin reload only: it blocks. */
int numplan_file_read(
    const char *path, size_t max, char **out, size_t *out_len) RP_MUST_CHECK;

/* Parses one significant line; sets *why (static text) on a refusal. */
typedef int (*numplan_line_fn)(void *ctx, struct sv line, const char **why);
/* Feeds every significant line of 'text' to 'fn' until one fails;
 * *err (may be NULL) names the line and why. Returns 0, -E2BIG (a line
 * too long) or what 'fn' returned. */
int numplan_parse_lines(struct sv text, numplan_line_fn fn, void *ctx,
    struct numplan_error *err) RP_MUST_CHECK;
/* numplan_parse_lines() on a file of at most 'max' bytes; also
 * numplan_file_read()'s errors. Blocks: start-up or admin reload. */
int numplan_load_lines(const char *path, size_t max, numplan_line_fn fn,
    void *ctx, struct numplan_error *err) RP_MUST_CHECK;

struct numplan;

/* An empty plan. Returns 0 or -ENOMEM. Free with numplan_free(). */
int numplan_new(struct numplan **out) RP_MUST_CHECK;
void numplan_free(struct numplan *np);
/* Adds the entries of a data file held in 'text'. Returns 0, -EBADMSG
 * (a malformed line: *err says which and why), -E2BIG (too many
 * entries, or a line too long) or -ENOMEM. On error the plan holds part
 * of the file: free it and keep the previous plan. 'err' may be NULL. */
int numplan_parse(struct numplan *np, struct sv text,
    struct numplan_error *err) RP_MUST_CHECK;
/* numplan_parse() on a file's contents; also -EFBIG and errno values
 * from numplan_file_read(). Blocks: start-up or admin reload. */
int numplan_load_file(struct numplan *np, const char *path,
    struct numplan_error *err) RP_MUST_CHECK;
/* E.164 entries and short-number entries loaded. */
size_t numplan_count(const struct numplan *np);

/* Tells whether digits dialed without prefix are an internal extension. */
typedef bool (*numplan_internal_cb)(void *arg, struct sv digits);

/* The caller's dialing context. */
struct numplan_ctx {
	const char *cc;              /* own country code digits: "33" */
	const char *national_prefix; /* "0"; NULL or "": none */
	const char *intl_prefix;     /* "00"; NULL or "": only '+' */
	/* Digits after the country code in a complete national number (9
	 * for France); 0: not checked. */
	uint8_t nsn_len;
	/* Extensions: dialed digits for which is_internal() says true, or,
	 * without a callback, whose length is within [ext_min_len,
	 * ext_max_len] (0: none) and that do not begin with a prefix. */
	numplan_internal_cb is_internal;
	void *internal_arg;
	uint8_t ext_min_len;
	uint8_t ext_max_len;
	/* The caller's own E.164 number (digits, no '+'), for 'local';
	 * NULL: every geographic number is national. */
	const char *own_e164;
};

/* France: 33, "0", "00", 9 digits; no extension rule (set
 * is_internal, or the lengths: French short numbers have 2 to 6 digits). */
void numplan_ctx_france(struct numplan_ctx *ctx);

struct numplan_result {
	enum numplan_class cls;
	/* The E.164 number without '+' (e164 true), or the digits as
	 * dialed for emergency, short and internal numbers. NUL-ended. */
	char number[NUMPLAN_DIAL_MAX + 1];
	size_t len;
	bool e164;
	/* False when no entry matched: the class is then high_risk, so an
	 * unknown destination needs an explicit allow (fail closed). */
	bool known;
	const char *label; /* entry label, owned by the plan; "" if none */
	/* E.164 country code length within 'number' (1..3), 0 otherwise. */
	uint8_t cc_len;
};

/* Normalises and classifies a dialed string. Visual separators (space,
 * '-', '.', '(', ')') are dropped; '+' may lead. Order: emergency short
 * numbers (112 always, plus the plan's emergency entries) come first,
 * then extensions, then the international prefix, the national prefix,
 * and the plan's short numbers. Returns 0, -EINVAL (a character that is
 * not a digit, '+' elsewhere than first, an E.164 number longer than 15
 * digits or a national number of the wrong length) or -ENOENT (digits
 * that match no form: not a number this plan can dial). Never allocates;
 * about 0.1 us. 'np' may be NULL (nothing but 112 and extensions are
 * known then; other numbers come out unknown, high-risk). */
int numplan_classify(const struct numplan *np, const struct numplan_ctx *ctx,
    struct sv dialed, struct numplan_result *out) RP_MUST_CHECK;

/* Length (1..3) of the ITU country code that begins 'e164' (digits, no
 * '+'), from the fixed structure of the zones (ITU-T E.164 Annex, list
 * of assigned codes): 1 and 7 take one digit, 20, 27, 3x, 4x, 5x, 6x,
 * 8x and 9x as assigned take two, the rest three. 0 if e164 is too short
 * or starts with 0. */
size_t numplan_country_code_len(struct sv e164);

#endif
