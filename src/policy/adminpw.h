/* Administrator password policy, periodic change and login lockout
 * (R-AUTH-2, R-AUTH-6).
 *
 * adminpw_check() refuses, in this order, a password that:
 *   1. is shorter than ADMINPW_MIN_LEN (12) or longer than
 *      ADMINPW_MAX_LEN (128) bytes;
 *   2. holds a control character;
 *   3. contains the account name, case ignored (names of
 *      ADMINPW_NAME_MIN_LEN (3) or more characters);
 *   4. is in the common list, or based on an entry of it
 *      (policy/secret.h, secret_list_matches());
 *   5. uses fewer than ADMINPW_MIN_CLASSES (3) of the classes lower
 *      case, upper case, digit, other (symbols, spaces, non-ASCII).
 * Reasons are static text; they never quote the password.
 *
 * A password older than ADMINPW_MAX_AGE_S (365 days) must be changed at
 * the next login.
 *
 * Lockout: ADMINPW_FAIL_MAX (5) failures within ADMINPW_FAIL_WINDOW_S
 * (15 min) lock the account for ADMINPW_LOCK_BASE_S (15 min); each
 * further lock before a successful login doubles that, up to
 * ADMINPW_LOCK_MAX_S (24 h). Attempts while locked are refused without
 * being counted, so a lock never extends itself.
 *
 * Pure functions; any thread; they never log. */
#ifndef RP_POLICY_ADMINPW_H
#define RP_POLICY_ADMINPW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/secret.h"

#define ADMINPW_MIN_LEN 12u
#define ADMINPW_MAX_LEN 128u
#define ADMINPW_MIN_CLASSES 3u
#define ADMINPW_NAME_MIN_LEN 3u
#define ADMINPW_MAX_AGE_S (365LL * 86400)
#define ADMINPW_FAIL_MAX 5u
#define ADMINPW_FAIL_WINDOW_S (15LL * 60)
#define ADMINPW_LOCK_BASE_S (15LL * 60)
#define ADMINPW_LOCK_MAX_S (24LL * 3600)

/* An account's failure state; all zero for a fresh account. Times are
 * seconds since the epoch. */
struct adminpw_lock {
	uint32_t failures;    /* in the current window */
	int64_t window_start; /* first failure of that window, or 0 */
	int64_t locked_until; /* 0: not locked */
	uint32_t locks;       /* locks since the last successful login */
};

/* Checks 'password' for the account 'name' against the rules above;
 * 'common' may be NULL (rule 4 skipped). Returns 0, or -EINVAL with
 * *reason a static fragment ("is shorter than 12 characters");
 * 'reason' may be NULL. */
int adminpw_check(struct sv password, struct sv name,
    const struct secret_list *common, const char **reason) RP_MUST_CHECK;

/* True when a password changed at 'changed_at' must be changed at
 * 'now'. */
bool adminpw_expired(int64_t changed_at, int64_t now);

/* True while the account is locked at 'now'. */
bool adminpw_locked(const struct adminpw_lock *l, int64_t now);

/* The length of the lock number 'locks' (1 for the first). */
int64_t adminpw_lock_duration(uint32_t locks);

/* Records a failed attempt at 'now' (the caller checked the account is
 * not locked). Returns true when this failure locked the account. */
bool adminpw_fail(struct adminpw_lock *l, int64_t now);

/* A successful login: clears the failures and the lock history. */
void adminpw_success(struct adminpw_lock *l);

#endif
