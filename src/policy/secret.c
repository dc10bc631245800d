/* SIP secret policy, generation and the common-password list. R-AUTH-1 */
#include "policy/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/mem.h"

#define R_SHORT "shorter than 16 characters"
#define R_LONG "longer than 128 characters"
#define R_CHARSET "contains a space, control or non-ASCII character"
#define R_EXTENSION "contains the extension number"
#define R_COMMON "is a common password"
#define R_BASED "is based on a common password"
#define R_CLASSES "uses fewer than 3 character classes"
#define R_REPEATS "repeats or sequences characters"
#define R_DISTINCT "has fewer than 8 different characters"

/* Shortest core left after stripping that is looked up in the list. */
#define CORE_MIN 4u
/* Drawing attempts before giving up: a 24-character secret fails the
 * policy about 3% of the time (mostly for lack of a digit). */
#define GEN_ATTEMPTS 100u

struct secret_list {
	char *text;      /* lower-cased entries, each NUL-terminated */
	uint32_t *slots; /* offset into text + 1; 0 is an empty slot */
	uint32_t mask;
	size_t count;
};

/* Keyboard rows (QWERTY, AZERTY, QWERTZ and the digit row), checked
 * forwards and backwards. */
static const char *const kbd_rows[] = {
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "azertyuiop",
    "qsdfghjklm",
    "wxcvbn",
    "qwertzuiop",
    "yxcvbnm",
};

static bool
is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool
is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return is_lower(c) || is_upper(c);
}

/* ---- Rules ---- */

/* Case-insensitive substring test; needle not empty. */
static bool
icontains(struct sv hay, const char *needle, size_t n)
{
	if (n == 0 || n > hay.len)
		return false;
	for (size_t i = 0; i + n <= hay.len; i++) {
		size_t j = 0;

		while (j < n &&
		       sv_lower_char(hay.p[i + j]) == sv_lower_char(needle[j]))
			j++;
		if (j == n)
			return true;
	}
	return false;
}

static bool
has_extension(struct sv s, struct sv ext)
{
	char rev[SECRET_MAX_LEN];

	if (ext.len < SECRET_EXT_MIN_LEN || ext.len > s.len)
		return false;
	if (icontains(s, ext.p, ext.len))
		return true;
	for (size_t i = 0; i < ext.len; i++)
		rev[i] = ext.p[ext.len - 1 - i];
	return icontains(s, rev, ext.len);
}

/* Undoes common l33t substitutions; 'one' is what '1' stands for. */
static char
unleet(char c, char one)
{
	switch (c) {
	case '0':
		return 'o';
	case '1':
	case '!':
	case '|':
		return one;
	case '3':
		return 'e';
	case '4':
	case '@':
		return 'a';
	case '5':
	case '$':
		return 's';
	case '7':
	case '+':
		return 't';
	case '8':
		return 'b';
	case '9':
		return 'g';
	default:
		return sv_lower_char(c);
	}
}

/* Rule 5 beyond the exact match: the secret with the digits and symbols
 * around it stripped (at the front, the back or both), as is and with
 * l33t undone. */
static bool
based_on_common(struct sv s, const struct secret_list *l)
{
	static const char ones[] = {'i', 'l'};
	char norm[SECRET_MAX_LEN];

	for (unsigned mode = 0; mode < 4; mode++) {
		size_t b = 0, e = s.len;
		struct sv core;

		if (mode & 1u)
			while (b < e && !is_alpha(s.p[b]))
				b++;
		if (mode & 2u)
			while (e > b && !is_alpha(s.p[e - 1]))
				e--;
		core = sv_make(s.p + b, e - b);
		if (core.len < CORE_MIN)
			continue;
		if (core.len != s.len && secret_list_contains(l, core))
			return true;
		for (size_t k = 0; k < sizeof(ones); k++) {
			for (size_t i = 0; i < core.len; i++)
				norm[i] = unleet(core.p[i], ones[k]);
			if (secret_list_contains(l, sv_make(norm, core.len)))
				return true;
		}
	}
	return false;
}

static unsigned
class_count(struct sv s)
{
	bool lower = false, upper = false, digit = false, other = false;

	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (is_lower(c))
			lower = true;
		else if (is_upper(c))
			upper = true;
		else if (is_digit(c))
			digit = true;
		else
			other = true;
	}
	return (unsigned)lower + (unsigned)upper + (unsigned)digit +
	       (unsigned)other;
}

/* True if w[0..n) appears in 'row' going forwards or backwards. */
static bool
in_row(const char *row, const char *w, size_t n)
{
	size_t len = strlen(row);

	for (size_t i = 0; i + n <= len; i++) {
		bool fwd = true, back = true;

		for (size_t j = 0; j < n; j++) {
			fwd = fwd && row[i + j] == w[j];
			back = back && row[i + j] == w[n - 1 - j];
		}
		if (fwd || back)
			return true;
	}
	return false;
}

/* Letters (case ignored) or digits, each one step from the last. */
static bool
is_sequence(const char *w, size_t n, int step)
{
	for (size_t j = 0; j + 1 < n; j++) {
		bool letters = is_lower(w[j]) && is_lower(w[j + 1]);
		bool digits = is_digit(w[j]) && is_digit(w[j + 1]);

		if (!(letters || digits) || w[j + 1] - w[j] != step)
			return false;
	}
	return true;
}

static bool
has_repeats(struct sv s)
{
	enum {
		W = SECRET_RUN_MAX + 1
	};

	for (size_t i = 0; i + W <= s.len; i++) {
		char w[W];
		bool same = true;

		for (size_t j = 0; j < W; j++) {
			w[j] = sv_lower_char(s.p[i + j]);
			same = same && s.p[i + j] == s.p[i];
		}
		if (same || is_sequence(w, W, 1) || is_sequence(w, W, -1))
			return true;
		for (size_t r = 0; r < RP_ARRAY_LEN(kbd_rows); r++)
			if (in_row(kbd_rows[r], w, W))
				return true;
	}
	/* One unit repeated: "Ab1!Ab1!Ab1!Ab1!". */
	for (size_t p = 1; p <= s.len / 2; p++) {
		size_t i = p;

		while (i < s.len && s.p[i] == s.p[i - p])
			i++;
		if (i == s.len)
			return true;
	}
	return false;
}

static size_t
distinct_count(struct sv s)
{
	bool seen[128] = {false};
	size_t n = 0;

	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i] & 0x7f;

		if (!seen[c]) {
			seen[c] = true;
			n++;
		}
	}
	return n;
}

static const char *
check(struct sv s, struct sv ext, const struct secret_list *common)
{
	if (s.len < SECRET_MIN_LEN)
		return R_SHORT;
	if (s.len > SECRET_MAX_LEN)
		return R_LONG;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x21 ||
		    (unsigned char)s.p[i] > 0x7e)
			return R_CHARSET;
	if (has_extension(s, ext))
		return R_EXTENSION;
	if (common != NULL) {
		if (secret_list_contains(common, s))
			return R_COMMON;
		if (based_on_common(s, common))
			return R_BASED;
	}
	if (class_count(s) < SECRET_MIN_CLASSES)
		return R_CLASSES;
	if (has_repeats(s))
		return R_REPEATS;
	if (distinct_count(s) < SECRET_MIN_DISTINCT)
		return R_DISTINCT;
	return NULL;
}

int
secret_policy_check(struct sv secret, struct sv extension,
    const struct secret_list *common, const char **reason)
{
	const char *why = check(secret, extension, common);

	if (reason != NULL)
		*reason = why;
	return why != NULL ? -EINVAL : 0;
}

/* ---- Generation ---- */

int
secret_generate(char *out, size_t out_size, size_t length)
{
	static const char alphabet[] = SECRET_ALPHABET;
	enum {
		N = sizeof(alphabet) - 1
	};
	/* Bytes at or above this would favour the first characters. */
	const unsigned limit = 256u - 256u % N;
	uint8_t rnd[64];
	size_t pos = sizeof(rnd);
	int rc = -EIO;

	if (length == 0)
		length = SECRET_GEN_DEFAULT_LEN;
	if (out == NULL || length < SECRET_MIN_LEN || length > SECRET_MAX_LEN ||
	    out_size < length + 1)
		return -EINVAL;
	for (unsigned attempt = 0; attempt < GEN_ATTEMPTS; attempt++) {
		for (size_t i = 0; i < length;) {
			uint8_t b;

			if (pos == sizeof(rnd)) {
				if (RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
					goto out;
				pos = 0;
			}
			b = rnd[pos++];
			if (b < limit)
				out[i++] = alphabet[b % N];
		}
		out[length] = '\0';
		if (check(sv_make(out, length), SV_NULL, NULL) == NULL) {
			rc = 0;
			break;
		}
	}
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	if (rc != 0)
		OPENSSL_cleanse(out, length + 1);
	return rc;
}

/* ---- Common list ---- */

/* FNV-1a over the lower-cased bytes. The list is the administrator's
 * file, not peer input, so a keyed hash is not needed. */
static uint64_t
hash_lower(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)sv_lower_char(p[i]);
		h *= 1099511628211u;
	}
	return h;
}

/* The next kept line of text[*pos..len), trimmed; false at the end. */
static bool
next_entry(const char *text, size_t len, size_t *pos, size_t *b, size_t *e)
{
	while (*pos < len) {
		size_t start = *pos, end;
		const char *nl = memchr(text + start, '\n', len - start);

		end = nl != NULL ? (size_t)(nl - text) : len;
		*pos = nl != NULL ? end + 1 : len;
		while (
		    start < end && (text[start] == ' ' || text[start] == '\t' ||
		                       text[start] == '\r'))
			start++;
		while (end > start &&
		       (text[end - 1] == ' ' || text[end - 1] == '\t' ||
		           text[end - 1] == '\r'))
			end--;
		if (start == end || text[start] == '#' ||
		    end - start > SECRET_LIST_LINE_MAX)
			continue;
		*b = start;
		*e = end;
		return true;
	}
	return false;
}

/* True if the NUL-terminated entry is exactly word[0..len); reads no
 * further than the entry's NUL. */
static bool
entry_eq(const char *entry, const char *word, size_t len)
{
	size_t i = 0;

	while (i < len && entry[i] != '\0' && entry[i] == word[i])
		i++;
	return i == len && entry[i] == '\0';
}

/* Slot holding 'word' (lower case), or the empty slot where it goes. */
static uint32_t *
find_slot(const struct secret_list *l, const char *word, size_t len)
{
	uint64_t h = hash_lower(word, len);

	for (uint32_t i = 0;; i++) {
		uint32_t *slot = &l->slots[(h + i) & l->mask];
		const char *entry;

		if (*slot == 0)
			return slot;
		entry = l->text + *slot - 1;
		if (entry_eq(entry, word, len))
			return slot;
	}
}

static int
read_all(int fd, char **out, size_t *out_len)
{
	struct stat st;
	size_t size, got = 0;
	char *text;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (st.st_size < 0 || (uint64_t)st.st_size > SECRET_LIST_FILE_MAX)
		return -EFBIG;
	size = (size_t)st.st_size;
	text = mem_alloc(size + 1);
	if (text == NULL)
		return -ENOMEM;
	while (got < size) {
		ssize_t n = read(fd, text + got, size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(text);
			return err;
		}
		if (n == 0)
			break; /* the file shrank */
		got += (size_t)n;
	}
	text[got] = '\0';
	*out = text;
	*out_len = got;
	return 0;
}

static int
build(struct secret_list *l, size_t len)
{
	size_t pos = 0, b, e, n = 0, cap = 16;

	while (next_entry(l->text, len, &pos, &b, &e))
		n++;
	while (cap < 2 * n)
		cap *= 2;
	l->slots = mem_calloc(cap, sizeof(*l->slots));
	if (l->slots == NULL)
		return -ENOMEM;
	l->mask = (uint32_t)(cap - 1);
	pos = 0;
	while (next_entry(l->text, len, &pos, &b, &e)) {
		uint32_t *slot;

		for (size_t i = b; i < e; i++)
			l->text[i] = sv_lower_char(l->text[i]);
		/* The byte after an entry is its line end, trailing blank or
		 * the final NUL; later passes skip it. */
		l->text[e] = '\0';
		slot = find_slot(l, l->text + b, e - b);
		if (*slot == 0) {
			*slot = (uint32_t)b + 1;
			l->count++;
		}
	}
	return 0;
}

int
secret_list_load(const char *path, struct secret_list **out)
{
	struct secret_list *l;
	size_t len = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	l = mem_calloc(1, sizeof(*l));
	if (l == NULL) {
		close(fd);
		return -ENOMEM;
	}
	rc = read_all(fd, &l->text, &len);
	close(fd);
	if (rc == 0)
		rc = build(l, len);
	if (rc != 0) {
		secret_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void
secret_list_free(struct secret_list *l)
{
	if (l == NULL)
		return;
	free(l->slots);
	free(l->text);
	free(l);
}

bool
secret_list_contains(const struct secret_list *l, struct sv word)
{
	char low[SECRET_LIST_LINE_MAX];

	if (l == NULL || word.len == 0 || word.len > sizeof(low))
		return false;
	for (size_t i = 0; i < word.len; i++)
		low[i] = sv_lower_char(word.p[i]);
	return *find_slot(l, low, word.len) != 0;
}

size_t
secret_list_count(const struct secret_list *l)
{
	return l != NULL ? l->count : 0;
}

bool
secret_list_matches(const struct secret_list *l, struct sv word)
{
	if (l == NULL || word.len > SECRET_MAX_LEN)
		return false;
	return secret_list_contains(l, word) || based_on_common(word, l);
}
