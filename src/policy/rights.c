/* Dialing rights. */
#include "policy/rights.h"

#include <errno.h>
#include <stdlib.h>

#include "core/mem.h"

struct rights_list {
	struct numplan_trie *trie;
};

static const char *const reason_texts[] = {
    [RIGHTS_OK] = "allowed",
    [RIGHTS_EMERGENCY] = "emergency number",
    [RIGHTS_ALLOW_PREFIX] = "number on the allow list",
    [RIGHTS_SYSTEM_PREFIX] = "destination blocked for the whole system",
    [RIGHTS_SYSTEM_CLASS] = "destination class blocked for the whole system",
    [RIGHTS_NO_PROFILE] = "no calling rights",
    [RIGHTS_PROFILE_PREFIX] = "destination blocked for this user",
    [RIGHTS_PREMIUM] = "premium-rate numbers are not allowed",
    [RIGHTS_HIGH_RISK] = "high-risk destination not allowed",
    [RIGHTS_CLASS] = "destination class not allowed for this user",
    [RIGHTS_OUTSIDE_WINDOW] = "destination not allowed at this time",
};

const char *
rights_reason_text(enum rights_reason r)
{
	if ((unsigned)r >= RP_ARRAY_LEN(reason_texts))
		return "?";
	return reason_texts[r];
}

int
rights_list_new(struct rights_list **out)
{
	struct rights_list *l = mem_calloc(1, sizeof(*l));
	int err;

	if (l == NULL)
		return -ENOMEM;
	err = numplan_trie_new(&l->trie);
	if (err != 0) {
		free(l);
		return err;
	}
	*out = l;
	return 0;
}

void
rights_list_free(struct rights_list *l)
{
	if (l == NULL)
		return;
	numplan_trie_free(l->trie);
	free(l);
}

int
rights_list_add(struct rights_list *l, struct sv prefix)
{
	if (prefix.len > 0 && prefix.p[0] == '+')
		prefix = sv_skip(prefix, 1);
	if (numplan_trie_count(l->trie) >= RIGHTS_LIST_MAX)
		return -E2BIG;
	return numplan_trie_insert(l->trie, prefix, 0);
}

bool
rights_list_covers(const struct rights_list *l, struct sv e164)
{
	uint32_t v;

	return l != NULL && numplan_trie_match(l->trie, e164, &v, NULL);
}

struct rights_time
rights_local_time(int64_t unix_s, int32_t tz_offset_min)
{
	int64_t t = unix_s + (int64_t)tz_offset_min * 60;
	int64_t days = t / 86400, sec = t % 86400;
	struct rights_time r;

	if (sec < 0) {
		sec += 86400;
		days--;
	}
	/* 1970-01-01 was a Thursday: day 3 counting from Monday. */
	r.wday = (uint8_t)(((days % 7) + 7 + 3) % 7);
	r.minute = (uint16_t)(sec / 60);
	return r;
}

bool
rights_in_window(const struct rights_window *w, struct rights_time t)
{
	unsigned prev = (t.wday + 6u) % 7u;

	if (t.wday > 6 || t.minute >= 1440)
		return false;
	if (w->start_min == w->end_min)
		return (w->days & (1u << t.wday)) != 0;
	if (w->start_min < w->end_min)
		return (w->days & (1u << t.wday)) != 0 &&
		       t.minute >= w->start_min && t.minute < w->end_min;
	/* Past midnight: the evening of an open day, or the early hours
	 * after one. */
	if ((w->days & (1u << t.wday)) != 0 && t.minute >= w->start_min)
		return true;
	return (w->days & (1u << prev)) != 0 && t.minute < w->end_min;
}

static struct rights_decision
verdict(bool allow, enum rights_reason r)
{
	struct rights_decision d = {allow, r, rights_reason_text(r)};

	return d;
}

struct rights_decision
rights_check(const struct rights_profile *p, const struct rights_system *sys,
    enum numplan_class cls, struct sv e164, bool is_e164,
    struct rights_time now)
{
	uint32_t bit = NUMPLAN_BIT(cls);
	bool granted;

	if (cls == NUMPLAN_EMERGENCY)
		return verdict(true, RIGHTS_EMERGENCY);
	if ((unsigned)cls >= NUMPLAN_CLASS_COUNT)
		return verdict(false, RIGHTS_CLASS);
	if (!is_e164)
		e164 = SV_NULL; /* short numbers are under no prefix */
	if (sys != NULL && e164.len > 0 && rights_list_covers(sys->deny, e164))
		return verdict(false, RIGHTS_SYSTEM_PREFIX);
	if (sys != NULL && (sys->denied_classes & bit) != 0)
		return verdict(false, RIGHTS_SYSTEM_CLASS);
	if (p == NULL)
		return verdict(false, RIGHTS_NO_PROFILE);
	if (e164.len > 0 && rights_list_covers(p->deny, e164))
		return verdict(false, RIGHTS_PROFILE_PREFIX);
	if (e164.len > 0 && rights_list_covers(p->allow, e164))
		return verdict(true, RIGHTS_ALLOW_PREFIX);
	granted =
	    (p->classes & bit) != 0 || ((p->window_classes & bit) != 0 &&
	                                   rights_in_window(&p->window, now));
	if (cls == NUMPLAN_PREMIUM || cls == NUMPLAN_HIGH_RISK) {
		enum rights_reason r =
		    cls == NUMPLAN_PREMIUM ? RIGHTS_PREMIUM : RIGHTS_HIGH_RISK;

		if (granted && sys != NULL && e164.len > 0 &&
		    rights_list_covers(sys->allow, e164))
			return verdict(true, RIGHTS_OK);
		return verdict(false, r);
	}
	if ((p->classes & bit) != 0)
		return verdict(true, RIGHTS_OK);
	if ((p->window_classes & bit) != 0)
		return granted ? verdict(true, RIGHTS_OK)
		               : verdict(false, RIGHTS_OUTSIDE_WINDOW);
	return verdict(false, RIGHTS_CLASS);
}
