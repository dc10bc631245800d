/* Administrator password policy and login lockout. R-AUTH-2, R-AUTH-6 */
#include "policy/adminpw.h"

#include <errno.h>

#define R_SHORT "is shorter than 12 characters"
#define R_LONG "is longer than 128 characters"
#define R_CONTROL "holds a control character"
#define R_NAME "contains the account name"
#define R_COMMON "is or is based on a common password"
#define R_CLASSES "needs 3 of: lower case, upper case, digits, other characters"

/* True if 'name' occurs in 's', ASCII case ignored. */
static bool
contains_name(struct sv s, struct sv name)
{
	if (name.len < ADMINPW_NAME_MIN_LEN || name.len > s.len)
		return false;
	for (size_t i = 0; i + name.len <= s.len; i++)
		if (sv_ieq(sv_make(s.p + i, name.len), name))
			return true;
	return false;
}

static unsigned
class_count(struct sv s)
{
	bool lower = false, upper = false, digit = false, other = false;

	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c >= 'a' && c <= 'z')
			lower = true;
		else if (c >= 'A' && c <= 'Z')
			upper = true;
		else if (c >= '0' && c <= '9')
			digit = true;
		else
			other = true;
	}
	return (unsigned)lower + upper + digit + other;
}

static const char *
check(struct sv s, struct sv name, const struct secret_list *common)
{
	if (s.len < ADMINPW_MIN_LEN)
		return R_SHORT;
	if (s.len > ADMINPW_MAX_LEN)
		return R_LONG;
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
			return R_CONTROL;
	if (contains_name(s, name))
		return R_NAME;
	if (common != NULL && secret_list_matches(common, s))
		return R_COMMON;
	if (class_count(s) < ADMINPW_MIN_CLASSES)
		return R_CLASSES;
	return NULL;
}

int
adminpw_check(struct sv password, struct sv name,
    const struct secret_list *common, const char **reason)
{
	const char *why = check(password, name, common);

	if (reason != NULL)
		*reason = why;
	return why == NULL ? 0 : -EINVAL;
}

bool
adminpw_expired(int64_t changed_at, int64_t now)
{
	return now - changed_at >= ADMINPW_MAX_AGE_S;
}

bool
adminpw_locked(const struct adminpw_lock *l, int64_t now)
{
	return l->locked_until > now;
}

int64_t
adminpw_lock_duration(uint32_t locks)
{
	int64_t d = ADMINPW_LOCK_BASE_S;

	for (uint32_t i = 1; i < locks && d < ADMINPW_LOCK_MAX_S; i++)
		d *= 2;
	return d < ADMINPW_LOCK_MAX_S ? d : ADMINPW_LOCK_MAX_S;
}

bool
adminpw_fail(struct adminpw_lock *l, int64_t now)
{
	if (l->failures == 0 ||
	    now - l->window_start >= ADMINPW_FAIL_WINDOW_S ||
	    now < l->window_start) {
		l->failures = 0;
		l->window_start = now;
	}
	l->failures++;
	if (l->failures < ADMINPW_FAIL_MAX)
		return false;
	if (l->locks < UINT32_MAX)
		l->locks++;
	l->locked_until = now + adminpw_lock_duration(l->locks);
	l->failures = 0;
	l->window_start = 0;
	return true;
}

void
adminpw_success(struct adminpw_lock *l)
{
	*l = (struct adminpw_lock){0};
}
