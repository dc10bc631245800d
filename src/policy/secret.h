/* SIP secret policy: what a device password must look like, strong
 * random secrets, and the list of common passwords. R-AUTH-1.
 *
 * A SIP secret is typed into a phone's web page or pushed by
 * provisioning, and a leaked or guessed one lets anyone place calls on
 * the company's bill, so the rules are stricter than for a person's
 * password. secret_policy_check() refuses, in this order, a secret that:
 *
 *   1. is shorter than SECRET_MIN_LEN (16) characters;
 *   2. is longer than SECRET_MAX_LEN (128) characters;
 *   3. holds a byte outside printable ASCII (space, control, non-ASCII),
 *      which phones' keypads, web forms and config files mangle;
 *   4. contains the extension number, forwards or backwards, case
 *      ignored (only for extensions of SECRET_EXT_MIN_LEN (3) characters
 *      or more: any secret would contain a shorter one by chance);
 *   5. is in the common list, case ignored ("is a common password"), or
 *      is one once the digits and symbols around it are stripped and
 *      l33t substitutions undone ("P@ssw0rd2024!!!!" -> "password":
 *      "is based on a common password");
 *   6. uses fewer than SECRET_MIN_CLASSES (3) of the four classes lower
 *      case, upper case, digit, symbol;
 *   7. repeats or sequences characters: SECRET_RUN_MAX + 1 (4) identical
 *      characters in a row, 4 consecutive letters or digits going up or
 *      down ("abcd", "9876"), 4 adjacent keys on a keyboard row ("qwer",
 *      "lkjh"), or the whole secret made of one repeated unit
 *      ("Ab1!Ab1!Ab1!Ab1!");
 *   8. has fewer than SECRET_MIN_DISTINCT (8) different characters.
 *
 * Reasons are static text meant for the administrator; they never quote
 * the secret. The functions here never log. */
#ifndef RP_POLICY_SECRET_H
#define RP_POLICY_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/compiler.h"
#include "core/sv.h"

#define SECRET_MIN_LEN 16u
#define SECRET_MAX_LEN 128u
#define SECRET_GEN_DEFAULT_LEN 24u
#define SECRET_MIN_CLASSES 3u
#define SECRET_MIN_DISTINCT 8u
#define SECRET_RUN_MAX 3u
#define SECRET_EXT_MIN_LEN 3u
/* Generated secrets draw from letters and digits without the ones that
 * look alike (0 O o, 1 I l): 56 characters, about 5.8 bits each, so the
 * default 24 characters carry about 139 bits. No symbols: they are hard
 * to type on a phone keypad and need escaping in provisioning files. */
#define SECRET_ALPHABET                                                        \
	"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
/* Common-list file bounds. */
#define SECRET_LIST_FILE_MAX (8u * 1024 * 1024)
#define SECRET_LIST_LINE_MAX 256u

struct secret_list;

/* Checks 'secret' for an extension (SV_NULL or empty: no extension
 * check) against the rules above, 'common' may be NULL (rule 5 skipped).
 * Returns 0 with *reason NULL, or -EINVAL with *reason a static sentence
 * fragment ("shorter than 16 characters"). 'reason' may be NULL. Any
 * thread. */
int secret_policy_check(struct sv secret, struct sv extension,
    const struct secret_list *common, const char **reason) RP_MUST_CHECK;

/* Writes a random secret of 'length' characters (0: the default 24;
 * otherwise SECRET_MIN_LEN to SECRET_MAX_LEN) from SECRET_ALPHABET into
 * out, NUL-terminated; out_size must be at least length + 1. Each
 * character is drawn uniformly (RAND_bytes with rejection sampling, no
 * modulo bias), and a secret that fails secret_policy_check() without
 * extension or list is drawn again, so the result is uniform over the
 * secrets that pass. A caller binding the secret to an extension checks it with
 * that extension and draws again in the rare case it fails. Shown once,
 * never logged (R-AUTH-1). Returns 0, -EINVAL or -EIO (no randomness).
 * Any thread. */
int secret_generate(char *out, size_t out_size, size_t length) RP_MUST_CHECK;

/* Loads a list of common passwords: one per line, surrounding spaces,
 * tabs and CR trimmed, empty lines and lines starting with '#' skipped,
 * lines longer than SECRET_LIST_LINE_MAX skipped, duplicates merged.
 * Lookups ignore ASCII case. On success *out is new; free it with
 * secret_list_free(). Returns 0, -errno from open/read (-ENOENT, ...),
 * -EFBIG (file over SECRET_LIST_FILE_MAX) or -ENOMEM. Any thread (it
 * reads a file: not on the signalling thread). */
int secret_list_load(const char *path, struct secret_list **out) RP_MUST_CHECK;

/* Frees a list. Accepts NULL. */
void secret_list_free(struct secret_list *l);

/* True if 'word' is in the list, ASCII case ignored. Any thread. */
bool secret_list_contains(const struct secret_list *l, struct sv word);

/* Rule 5 alone, for other password policies: true if 'word' is in the
 * list or based on an entry of it (stripped of the digits and symbols
 * around it, l33t undone). Words over SECRET_MAX_LEN never match. Any
 * thread. */
bool secret_list_matches(const struct secret_list *l, struct sv word);

/* Number of distinct entries. */
size_t secret_list_count(const struct secret_list *l);

#endif
