/* Numbering plan: normalisation and longest-prefix classification. */
#include "policy/numplan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

/* Trie nodes a table may use: every entry at full length. */
#define TRIE_NODES_MAX (NUMPLAN_ENTRIES_MAX * 16u)

struct node {
	uint32_t child[10]; /* 0: none (the root is never a child) */
	uint32_t value;     /* value + 1; 0: none */
};

struct numplan_trie {
	struct node *nodes;
	uint32_t n;
	uint32_t cap;
	size_t count;
};

struct entry {
	uint8_t cls;
	bool geo;
	char label[NUMPLAN_LABEL_MAX + 1];
};

struct short_nr {
	char pat[NUMPLAN_SHORT_DIGITS_MAX + 1];
	uint8_t len;
	uint8_t wild; /* trailing 'x' count */
	uint32_t entry;
};

struct numplan {
	struct numplan_trie *trie;
	struct entry *entries;
	uint32_t n_entries;
	uint32_t cap_entries;
	struct short_nr *shorts;
	uint32_t n_shorts;
};

static const char *const class_names[NUMPLAN_CLASS_COUNT] = {
    [NUMPLAN_INTERNAL] = "internal",
    [NUMPLAN_EMERGENCY] = "emergency",
    [NUMPLAN_LOCAL] = "local",
    [NUMPLAN_NATIONAL] = "national",
    [NUMPLAN_MOBILE] = "mobile",
    [NUMPLAN_INTERNATIONAL] = "international",
    [NUMPLAN_PREMIUM] = "premium",
    [NUMPLAN_HIGH_RISK] = "high-risk",
    [NUMPLAN_SPECIAL] = "special",
};

const char *
numplan_class_name(enum numplan_class c)
{
	if ((unsigned)c >= NUMPLAN_CLASS_COUNT)
		return "?";
	return class_names[c];
}

int
numplan_class_parse(struct sv name, enum numplan_class *out)
{
	for (unsigned i = 0; i < NUMPLAN_CLASS_COUNT; i++) {
		if (sv_eq(name, sv_cstr(class_names[i]))) {
			*out = (enum numplan_class)i;
			return 0;
		}
	}
	if (sv_eq(name, SV("high_risk"))) {
		*out = NUMPLAN_HIGH_RISK;
		return 0;
	}
	return -EINVAL;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Trie. */

int
numplan_trie_new(struct numplan_trie **out)
{
	struct numplan_trie *t = mem_calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	t->cap = 64;
	t->nodes = mem_calloc(t->cap, sizeof(*t->nodes));
	if (t->nodes == NULL) {
		free(t);
		return -ENOMEM;
	}
	t->n = 1; /* the root */
	*out = t;
	return 0;
}

void
numplan_trie_free(struct numplan_trie *t)
{
	if (t == NULL)
		return;
	free(t->nodes);
	free(t);
}

static int
trie_grow(struct numplan_trie *t)
{
	struct node *nodes;
	uint32_t cap;

	if (t->cap >= TRIE_NODES_MAX)
		return -E2BIG;
	cap = t->cap * 2u;
	if (cap > TRIE_NODES_MAX)
		cap = TRIE_NODES_MAX;
	nodes = mem_realloc(t->nodes, (size_t)cap * sizeof(*nodes));
	if (nodes == NULL)
		return -ENOMEM;
	memset(nodes + t->cap, 0, (size_t)(cap - t->cap) * sizeof(*nodes));
	t->nodes = nodes;
	t->cap = cap;
	return 0;
}

int
numplan_trie_insert(struct numplan_trie *t, struct sv digits, uint32_t value)
{
	uint32_t cur = 0;
	int err;

	if (digits.len > NUMPLAN_DIGITS_MAX || value == UINT32_MAX)
		return -EINVAL;
	for (size_t i = 0; i < digits.len; i++) {
		if (!is_digit(digits.p[i]))
			return -EINVAL;
	}
	for (size_t i = 0; i < digits.len; i++) {
		unsigned d = (unsigned)(digits.p[i] - '0');
		uint32_t next = t->nodes[cur].child[d];

		if (next == 0) {
			if (t->n == t->cap && (err = trie_grow(t)) != 0)
				return err;
			next = t->n++;
			t->nodes[cur].child[d] = next;
		}
		cur = next;
	}
	if (t->nodes[cur].value == 0)
		t->count++;
	t->nodes[cur].value = value + 1u;
	return 0;
}

bool
numplan_trie_match(const struct numplan_trie *t, struct sv digits,
    uint32_t *value, size_t *prefix_len)
{
	uint32_t cur = 0, best = t->nodes[0].value;
	size_t best_len = 0;

	for (size_t i = 0; i < digits.len && is_digit(digits.p[i]); i++) {
		cur = t->nodes[cur].child[(unsigned)(digits.p[i] - '0')];
		if (cur == 0)
			break;
		if (t->nodes[cur].value != 0) {
			best = t->nodes[cur].value;
			best_len = i + 1;
		}
	}
	if (best == 0)
		return false;
	*value = best - 1u;
	if (prefix_len != NULL)
		*prefix_len = best_len;
	return true;
}

size_t
numplan_trie_count(const struct numplan_trie *t)
{
	return t->count;
}

/* Data-file helpers. */

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
numplan_next_line(struct numplan_lines *it, struct sv *line)
{
	while (it->rest.len > 0) {
		struct sv l = it->rest;
		const char *nl = memchr(it->rest.p, '\n', it->rest.len);
		const char *hash;
		size_t b = 0, e;

		if (nl != NULL) {
			l.len = (size_t)(nl - it->rest.p);
			it->rest = sv_skip(it->rest, l.len + 1);
		} else {
			it->rest = sv_skip(it->rest, l.len);
		}
		it->line++;
		if (l.len > NUMPLAN_LINE_MAX)
			return -E2BIG;
		if (l.len != 0 && (hash = memchr(l.p, '#', l.len)) != NULL)
			l.len = (size_t)(hash - l.p);
		e = l.len;
		while (b < e && is_blank(l.p[b]))
			b++;
		while (e > b && is_blank(l.p[e - 1]))
			e--;
		if (e > b) {
			*line = sv_make(l.p + b, e - b);
			return 1;
		}
	}
	return 0;
}

struct sv
numplan_next_field(struct sv *line)
{
	size_t n = 0;
	struct sv f;

	while (n < line->len && !is_blank(line->p[n]))
		n++;
	f = sv_head(*line, n);
	*line = sv_skip(*line, n);
	while (line->len > 0 && is_blank(line->p[0]))
		*line = sv_skip(*line, 1);
	return f;
}

bool
numplan_label_ok(struct sv label)
{
	size_t i = 0;

	while (i < label.len) {
		unsigned char c = (unsigned char)label.p[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return false;
			i++;
			continue;
		}
		n = sv_utf8_seq(label, i, &cp);
		if (n == 0 || (cp >= 0x80 && cp < 0xa0))
			return false;
		i += n;
	}
	return true;
}

int
numplan_file_read(const char *path, size_t max, char **out, size_t *out_len)
{
	struct stat st;
	size_t size, got = 0;
	char *text;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > max) {
		err = -EFBIG;
		goto out;
	}
	size = (size_t)st.st_size;
	text = mem_alloc(size + 1);
	if (text == NULL) {
		err = -ENOMEM;
		goto out;
	}
	while (got < size) {
		ssize_t n = read(fd, text + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			free(text);
			goto out;
		}
		if (n == 0)
			break; /* the file shrank */
		got += (size_t)n;
	}
	text[got] = '\0';
	*out = text;
	*out_len = got;
out:
	close(fd);
	return err;
}

/* Plan. */

int
numplan_new(struct numplan **out)
{
	struct numplan *np = mem_calloc(1, sizeof(*np));
	int err;

	if (np == NULL)
		return -ENOMEM;
	err = numplan_trie_new(&np->trie);
	if (err != 0) {
		free(np);
		return err;
	}
	*out = np;
	return 0;
}

void
numplan_free(struct numplan *np)
{
	if (np == NULL)
		return;
	numplan_trie_free(np->trie);
	free(np->entries);
	free(np->shorts);
	free(np);
}

size_t
numplan_count(const struct numplan *np)
{
	return np->n_entries;
}

static int
add_entry(struct numplan *np, enum numplan_class cls, bool geo, struct sv label,
    uint32_t *idx)
{
	struct entry *e;

	if (np->n_entries >= NUMPLAN_ENTRIES_MAX)
		return -E2BIG;
	if (np->n_entries == np->cap_entries) {
		uint32_t cap = np->cap_entries ? np->cap_entries * 2u : 64u;

		e = mem_realloc(np->entries, (size_t)cap * sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		np->entries = e;
		np->cap_entries = cap;
	}
	e = &np->entries[np->n_entries];
	memset(e, 0, sizeof(*e));
	e->cls = (uint8_t)cls;
	e->geo = geo;
	memcpy(e->label, label.p, label.len);
	*idx = np->n_entries++;
	return 0;
}

static int
add_short(struct numplan *np, struct sv pat, uint32_t entry)
{
	struct short_nr *s;
	size_t wild = 0;

	/* A later entry with the same pattern replaces the earlier one. */
	for (uint32_t i = 0; i < np->n_shorts; i++) {
		s = &np->shorts[i];
		if (s->len == pat.len && memcmp(s->pat, pat.p, pat.len) == 0) {
			s->entry = entry;
			return 0;
		}
	}
	if (np->n_shorts >= NUMPLAN_SHORT_MAX)
		return -E2BIG;
	if (np->shorts == NULL) {
		np->shorts = mem_calloc(NUMPLAN_SHORT_MAX, sizeof(*np->shorts));
		if (np->shorts == NULL)
			return -ENOMEM;
	}
	while (wild < pat.len && pat.p[pat.len - 1 - wild] == 'x')
		wild++;
	s = &np->shorts[np->n_shorts++];
	memcpy(s->pat, pat.p, pat.len);
	s->pat[pat.len] = '\0';
	s->len = (uint8_t)pat.len;
	s->wild = (uint8_t)wild;
	s->entry = entry;
	return 0;
}

/* Checks a prefix field: "+digits" or "digits[x...]". */
static const char *
check_prefix(struct sv f, bool *is_e164)
{
	size_t i, ndig;

	if (f.len == 0)
		return "missing prefix";
	if (f.p[0] == '+') {
		*is_e164 = true;
		if (f.len - 1 > NUMPLAN_DIGITS_MAX)
			return "prefix longer than 15 digits";
		for (i = 1; i < f.len; i++) {
			if (!is_digit(f.p[i]))
				return "prefix is not '+' and digits";
		}
		return NULL;
	}
	*is_e164 = false;
	if (f.len > NUMPLAN_SHORT_DIGITS_MAX)
		return "short number longer than 10 digits";
	for (ndig = 0; ndig < f.len && is_digit(f.p[ndig]); ndig++)
		;
	if (ndig == 0)
		return "prefix is neither '+digits' nor a short number";
	for (i = ndig; i < f.len; i++) {
		if (f.p[i] != 'x')
			return "short number is digits then 'x' wildcards";
	}
	return NULL;
}

static int
parse_line(struct numplan *np, struct sv line, const char **why)
{
	struct sv pfx, cname, label;
	enum numplan_class cls;
	bool e164 = false, geo = false;
	uint32_t idx;
	int err;

	pfx = numplan_next_field(&line);
	cname = numplan_next_field(&line);
	label = line;
	if ((*why = check_prefix(pfx, &e164)) != NULL)
		return -EBADMSG;
	if (cname.len == 0) {
		*why = "missing class";
		return -EBADMSG;
	}
	if (sv_eq(cname, SV("geographic"))) {
		cls = NUMPLAN_NATIONAL;
		geo = true;
	} else if (numplan_class_parse(cname, &cls) != 0) {
		*why = "unknown class";
		return -EBADMSG;
	}
	if (geo && !e164) {
		*why = "a short number cannot be geographic";
		return -EBADMSG;
	}
	if (label.len > NUMPLAN_LABEL_MAX) {
		*why = "label longer than 47 bytes";
		return -EBADMSG;
	}
	if (!numplan_label_ok(label)) {
		*why = "label has control bytes or bad UTF-8";
		return -EBADMSG;
	}
	err = add_entry(np, cls, geo, label, &idx);
	if (err == 0 && e164)
		err = numplan_trie_insert(np->trie, sv_skip(pfx, 1), idx);
	else if (err == 0)
		err = add_short(np, pfx, idx);
	if (err == -E2BIG)
		*why = "too many entries";
	else if (err == -ENOMEM)
		*why = "out of memory";
	return err;
}

int
numplan_parse_lines(struct sv text, numplan_line_fn fn, void *ctx,
    struct numplan_error *err)
{
	struct numplan_lines it = {.rest = text};
	const char *why = NULL;
	struct sv line;
	int rc;

	while ((rc = numplan_next_line(&it, &line)) == 1) {
		rc = fn(ctx, line, &why);
		if (rc != 0)
			break;
	}
	if (rc == -E2BIG && why == NULL)
		why = "line too long";
	if (err != NULL) {
		err->line = rc != 0 ? it.line : 0;
		err->reason = rc != 0 ? why : NULL;
	}
	return rc;
}

int
numplan_load_lines(const char *path, size_t max, numplan_line_fn fn,
    void *ctx, struct numplan_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = numplan_file_read(path, max, &text, &len);
	if (rc != 0) {
		if (err != NULL) {
			err->line = 0;
			err->reason = rc == -EFBIG ? "file too large"
			                           : "cannot read the file";
		}
		return rc;
	}
	rc = numplan_parse_lines(sv_make(text, len), fn, ctx, err);
	free(text);
	return rc;
}

static int
plan_line(void *ctx, struct sv line, const char **why)
{
	return parse_line(ctx, line, why);
}

int
numplan_parse(struct numplan *np, struct sv text, struct numplan_error *err)
{
	return numplan_parse_lines(text, plan_line, np, err);
}

int
numplan_load_file(
    struct numplan *np, const char *path, struct numplan_error *err)
{
	return numplan_load_lines(path, NUMPLAN_FILE_MAX, plan_line, np, err);
}

/* Classification. */

void
numplan_ctx_france(struct numplan_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cc = "33";
	ctx->national_prefix = "0";
	ctx->intl_prefix = "00";
	ctx->nsn_len = 9;
}

size_t
numplan_country_code_len(struct sv e164)
{
	/* Two-digit codes by zone: bit d of two[z] is code z*10 + d. */
	static const uint16_t two[10] = {
	    [2] = 0x081, /* 20 27 */
	    [3] = 0x25f, /* 30-34 36 39 */
	    [4] = 0x3fb, /* 40 41 43-49 */
	    [5] = 0x1fe, /* 51-58 */
	    [6] = 0x07f, /* 60-66 */
	    [8] = 0x056, /* 81 82 84 86 */
	    [9] = 0x13f, /* 90-95 98 */
	};
	unsigned v;

	if (e164.len == 0 || !is_digit(e164.p[0]) || e164.p[0] == '0')
		return 0;
	if (e164.p[0] == '1' || e164.p[0] == '7')
		return 1;
	if (e164.len < 2 || !is_digit(e164.p[1]))
		return 0;
	v = two[e164.p[0] - '0'];
	if ((v >> (unsigned)(e164.p[1] - '0')) & 1u)
		return 2;
	if (e164.len < 3 || !is_digit(e164.p[2]))
		return 0;
	return 3;
}

static bool
sv_starts(struct sv s, const char *prefix)
{
	size_t n;

	if (prefix == NULL || prefix[0] == '\0')
		return false;
	n = strlen(prefix);
	return s.len >= n && memcmp(s.p, prefix, n) == 0;
}

/* The plan's short entry for 'digits': the one with the fewest
 * wildcards wins, so "118712" beats "118xxx". */
static const struct entry *
find_short(const struct numplan *np, struct sv digits)
{
	const struct short_nr *best = NULL;

	if (np == NULL)
		return NULL;
	for (uint32_t i = 0; i < np->n_shorts; i++) {
		const struct short_nr *s = &np->shorts[i];
		size_t fixed = (size_t)(s->len - s->wild);

		if (s->len != digits.len ||
		    memcmp(s->pat, digits.p, fixed) != 0)
			continue;
		if (best == NULL || s->wild < best->wild)
			best = s;
	}
	return best != NULL ? &np->entries[best->entry] : NULL;
}

static int
set_number(struct numplan_result *out, struct sv a, struct sv b)
{
	if (a.len + b.len > NUMPLAN_DIAL_MAX)
		return -EINVAL;
	if (a.len != 0)
		memcpy(out->number, a.p, a.len);
	if (b.len != 0)
		memcpy(out->number + a.len, b.p, b.len);
	out->len = a.len + b.len;
	out->number[out->len] = '\0';
	return 0;
}

static bool
is_extension(const struct numplan_ctx *ctx, struct sv d)
{
	if (ctx->is_internal != NULL)
		return ctx->is_internal(ctx->internal_arg, d);
	if (ctx->ext_min_len == 0 || d.len < ctx->ext_min_len ||
	    d.len > ctx->ext_max_len)
		return false;
	return !sv_starts(d, ctx->national_prefix) &&
	       !sv_starts(d, ctx->intl_prefix);
}

static int
classify_e164(const struct numplan *np, const struct numplan_ctx *ctx,
    struct numplan_result *out)
{
	struct sv num = sv_make(out->number, out->len);
	size_t cc_len = ctx->cc != NULL ? strlen(ctx->cc) : 0;
	const struct entry *e;
	uint32_t idx, own_idx;

	if (out->len == 0 || out->len > NUMPLAN_DIGITS_MAX || num.p[0] == '0')
		return -EINVAL;
	if (ctx->nsn_len != 0 && cc_len != 0 && sv_starts(num, ctx->cc) &&
	    out->len != cc_len + ctx->nsn_len)
		return -EINVAL;
	out->e164 = true;
	out->cc_len = (uint8_t)numplan_country_code_len(num);
	if (np == NULL || !numplan_trie_match(np->trie, num, &idx, NULL)) {
		out->cls = NUMPLAN_HIGH_RISK;
		out->known = false;
		return 0;
	}
	e = &np->entries[idx];
	out->cls = (enum numplan_class)e->cls;
	out->label = e->label;
	out->known = true;
	if (e->geo && ctx->own_e164 != NULL &&
	    numplan_trie_match(
	        np->trie, sv_cstr(ctx->own_e164), &own_idx, NULL) &&
	    own_idx == idx)
		out->cls = NUMPLAN_LOCAL;
	return 0;
}

int
numplan_classify(const struct numplan *np, const struct numplan_ctx *ctx,
    struct sv dialed, struct numplan_result *out)
{
	char buf[NUMPLAN_DIAL_MAX];
	size_t n = 0;
	bool plus = false;
	const struct entry *e;
	struct sv d;

	memset(out, 0, sizeof(*out));
	out->label = "";
	if (dialed.len > NUMPLAN_DIAL_MAX)
		return -EINVAL;
	for (size_t i = 0; i < dialed.len; i++) {
		char c = dialed.p[i];

		if (is_digit(c))
			buf[n++] = c;
		else if (c == '+' && n == 0 && !plus)
			plus = true;
		else if (c != ' ' && c != '-' && c != '.' && c != '(' &&
		         c != ')')
			return -EINVAL;
	}
	if (n == 0)
		return -EINVAL;
	d = sv_make(buf, n);
	if (plus) {
		if (set_number(out, d, SV_NULL) != 0)
			return -EINVAL;
		return classify_e164(np, ctx, out);
	}
	/* Emergency numbers come before anything the admin configured:
	 * 112 is built in so that no table can lose it. */
	e = find_short(np, d);
	if (sv_eq(d, SV("112")) || (e != NULL && e->cls == NUMPLAN_EMERGENCY)) {
		out->cls = NUMPLAN_EMERGENCY;
		out->known = true;
		out->label = e != NULL ? e->label : "";
		return set_number(out, d, SV_NULL);
	}
	if (is_extension(ctx, d)) {
		out->cls = NUMPLAN_INTERNAL;
		out->known = true;
		return set_number(out, d, SV_NULL);
	}
	if (sv_starts(d, ctx->intl_prefix)) {
		if (set_number(out, sv_skip(d, strlen(ctx->intl_prefix)),
		        SV_NULL) != 0)
			return -EINVAL;
		return classify_e164(np, ctx, out);
	}
	if (sv_starts(d, ctx->national_prefix) && ctx->cc != NULL) {
		if (set_number(out, sv_cstr(ctx->cc),
		        sv_skip(d, strlen(ctx->national_prefix))) != 0)
			return -EINVAL;
		return classify_e164(np, ctx, out);
	}
	if (e != NULL) {
		out->cls = (enum numplan_class)e->cls;
		out->known = true;
		out->label = e->label;
		return set_number(out, d, SV_NULL);
	}
	return -ENOENT;
}
