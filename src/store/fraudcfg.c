/* The anti-fraud configuration repository. */
#include "store/fraudcfg.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "store/groups.h"
#include "store/settings.h"

#define PROFILE_COLS                                                           \
	"name, classes, window_classes, window_days, window_start, "           \
	"window_end, allow, deny, created_at, updated_at"
#define RATE_COLS "prefix, per_min, setup, first_s, incr_s, label"
#define BLOCK_COLS "scope, name, rule, reason, since, until, lifted_at"

#define KEY_UTC_OFFSET "fraud.utc_offset_min"
#define KEY_CUT_RUNNING "fraud.cut_running"
#define KEY_CEILING_BLOCK "fraud.ceiling_block"
#define KEY_BUSINESS_HOURS "fraud.business_hours"
#define KEY_TAIL_DIGITS "fraud.sequential.tail_digits"
#define KEY_SHORT_S "fraud.short_burst.short_s"
#define KEY_FACTOR "fraud.spend_spike.factor_pct"
#define KEY_ALPHA "fraud.spend_spike.alpha_pct"
#define KEY_MIN_SPEND "fraud.spend_spike.min_spend"
#define KEY_DISA "fraud.disa"
#define KEY_OUTDIAL "fraud.outdial"

/* Longest short call and rule window we accept. */
#define SHORT_S_MAX 3600u
#define RULE_WINDOW_MAX 86400u

static const char *const day_names[7] = {
    "mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const scope_names[FRAUD_SCOPE_COUNT] = {
    [FRAUD_SCOPE_USER] = "user",
    [FRAUD_SCOPE_TENANT] = "tenant",
    [FRAUD_SCOPE_GLOBAL] = "global"};
static const char *const mode_names[] = {"off", "alert", "deny", "block"};
static const char *const rule_names[FRAUDCFG_RULE_COUNT] = {"call-rate",
    "concurrent-user", "concurrent-intl", "first-country-user",
    "first-country-system", "off-hours-intl", "sequential", "short-burst",
    "spend-spike"};
static const size_t rule_offsets[FRAUDCFG_RULE_COUNT] = {
    offsetof(struct fraud_config, call_rate),
    offsetof(struct fraud_config, concurrent_user),
    offsetof(struct fraud_config, concurrent_intl),
    offsetof(struct fraud_config, first_country_user),
    offsetof(struct fraud_config, first_country_system),
    offsetof(struct fraud_config, off_hours_intl),
    offsetof(struct fraud_config, sequential),
    offsetof(struct fraud_config, short_burst),
    offsetof(struct fraud_config, spend_spike),
};
static const char *const reason_names[FRAUD_R_COUNT] = {
    [FRAUD_R_NONE] = "none",
    [FRAUD_R_CEILING_HOUR] = "ceiling-hour",
    [FRAUD_R_CEILING_DAY] = "ceiling-day",
    [FRAUD_R_CALL_RATE] = "call-rate",
    [FRAUD_R_CONCURRENT_USER] = "concurrent-user",
    [FRAUD_R_CONCURRENT_INTL] = "concurrent-intl",
    [FRAUD_R_FIRST_COUNTRY_USER] = "first-country-user",
    [FRAUD_R_FIRST_COUNTRY_SYSTEM] = "first-country-system",
    [FRAUD_R_OFF_HOURS_INTL] = "off-hours-intl",
    [FRAUD_R_SEQUENTIAL] = "sequential",
    [FRAUD_R_SHORT_BURST] = "short-burst",
    [FRAUD_R_SPEND_SPIKE] = "spend-spike",
    [FRAUD_R_MANUAL] = "manual",
    [FRAUD_R_BLOCKED] = "blocked",
    [FRAUD_R_TABLE_FULL] = "table-full",
    [FRAUD_R_INVALID] = "invalid",
    [FRAUD_R_UNBLOCKED] = "unblocked",
    [FRAUD_R_ORIGIN_OFF] = "origin-off",
};

static int
bad(const char **field, const char *name)
{
	if (field != NULL)
		*field = name;
	return -EINVAL;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Next comma-separated entry of *rest, blanks trimmed; false at the
 * end. An empty text has no entries. */
static bool
next_entry(struct sv *rest, bool *more, struct sv *out)
{
	if (!*more)
		return false;
	if (!sv_split(rest, ',', out)) {
		*out = *rest;
		*more = false;
	}
	*out = sv_trim(*out);
	return true;
}

int
fraudcfg_classes_parse(struct sv text, uint32_t *mask)
{
	struct sv rest = text, item;
	bool more = sv_trim(text).len > 0;
	enum numplan_class c;
	uint32_t m = 0;

	while (next_entry(&rest, &more, &item)) {
		if (numplan_class_parse(item, &c) != 0)
			return -EINVAL;
		m |= NUMPLAN_BIT(c);
	}
	*mask = m;
	return 0;
}

int
fraudcfg_classes_format(uint32_t mask, char *out, size_t size)
{
	size_t len = 0;
	int n;

	if (size == 0)
		return -E2BIG;
	out[0] = '\0';
	for (unsigned c = 0; c < NUMPLAN_CLASS_COUNT; c++) {
		if ((mask & NUMPLAN_BIT(c)) == 0)
			continue;
		n = snprintf(out + len, size - len, "%s%s", len > 0 ? "," : "",
		    numplan_class_name((enum numplan_class)c));
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return 0;
}

static bool
prefix_valid(struct sv p)
{
	if (p.len == 0 || p.p[0] != '+' || p.len - 1 > NUMPLAN_DIGITS_MAX)
		return false;
	for (size_t i = 1; i < p.len; i++)
		if (!is_digit(p.p[i]))
			return false;
	return true;
}

/* True when 'item' is already one of the comma-separated 'list'. */
static bool
list_has(struct sv list, struct sv item)
{
	struct sv rest = list, e;
	bool more = list.len > 0;

	while (next_entry(&rest, &more, &e))
		if (sv_eq(e, item))
			return true;
	return false;
}

int
fraudcfg_prefixes_normalise(struct sv text, char out[FRAUDCFG_PREFIXES_STRLEN])
{
	struct sv rest = text, item;
	bool more = sv_trim(text).len > 0;
	size_t len = 0, n = 0;

	out[0] = '\0';
	while (next_entry(&rest, &more, &item)) {
		if (!prefix_valid(item)) {
			out[0] = '\0';
			return -EINVAL;
		}
		if (list_has(sv_make(out, len), item))
			continue;
		if (++n > FRAUDCFG_PREFIXES_MAX) {
			out[0] = '\0';
			return -EINVAL;
		}
		if (len > 0)
			out[len++] = ',';
		memcpy(out + len, item.p, item.len);
		len += item.len;
		out[len] = '\0';
	}
	return 0;
}

static int
day_parse(struct sv s)
{
	return sv_name_index(s, day_names, RP_ARRAY_LEN(day_names));
}

static int
days_parse(struct sv text, uint8_t *out)
{
	struct sv rest = text, item, a;
	bool more = text.len > 0;
	unsigned mask = 0;
	int lo, hi;

	if (sv_eq(text, SV("all"))) {
		*out = 0x7f;
		return 0;
	}
	while (next_entry(&rest, &more, &item)) {
		if (sv_split(&item, '-', &a)) {
			lo = day_parse(a);
			hi = day_parse(item);
		} else {
			lo = hi = day_parse(item);
		}
		if (lo < 0 || hi < 0 || lo > hi)
			return -EINVAL;
		for (int d = lo; d <= hi; d++)
			mask |= 1u << (unsigned)d;
	}
	if (mask == 0)
		return -EINVAL;
	*out = (uint8_t)mask;
	return 0;
}

/* "HH:MM", 00:00 to 24:00, into minutes. */
static int
hhmm_parse(struct sv s, uint16_t *out)
{
	uint32_t h, m;

	if (s.len != 5 || s.p[2] != ':' ||
	    sv_to_u32(sv_head(s, 2), 24, &h) != 0 ||
	    sv_to_u32(sv_skip(s, 3), 59, &m) != 0 || (h == 24 && m != 0))
		return -EINVAL;
	*out = (uint16_t)(h * 60u + m);
	return 0;
}

int
fraudcfg_window_parse(struct sv text, struct rights_window *out)
{
	struct sv rest = text, days, start;
	struct rights_window w;

	if (!sv_split(&rest, '/', &days) || days_parse(days, &w.days) != 0 ||
	    !sv_split(&rest, '-', &start) ||
	    hhmm_parse(start, &w.start_min) != 0 ||
	    hhmm_parse(rest, &w.end_min) != 0)
		return -EINVAL;
	*out = w;
	return 0;
}

int
fraudcfg_window_format(const struct rights_window *w, char *out, size_t size)
{
	size_t len = 0;
	unsigned e;
	int n = 0;

	if (size == 0)
		return -E2BIG;
	out[0] = '\0';
	if ((w->days & 0x7fu) == 0x7fu)
		n = snprintf(out, size, "all");
	for (unsigned d = 0; n >= 0 && (w->days & 0x7fu) != 0x7fu && d < 7;
	     d = e + 1) {
		e = d;
		if ((w->days & (1u << d)) == 0)
			continue;
		while (e + 1 < 7 && (w->days & (1u << (e + 1))) != 0)
			e++;
		n = snprintf(out + len, size - len, "%s%s%s%s",
		    len > 0 ? "," : "", day_names[d],
		    e == d       ? ""
		    : e == d + 1 ? ","
		                 : "-",
		    e == d ? "" : day_names[e]);
		if (n < 0 || (size_t)n >= size - len)
			return -E2BIG;
		len += (size_t)n;
	}
	if (n < 0 || (size_t)n >= size)
		return -E2BIG;
	len = strlen(out);
	n = snprintf(out + len, size - len, "/%02u:%02u-%02u:%02u",
	    (unsigned)(w->start_min / 60u), (unsigned)(w->start_min % 60u),
	    (unsigned)(w->end_min / 60u), (unsigned)(w->end_min % 60u));
	if (n < 0 || (size_t)n >= size - len)
		return -E2BIG;
	return 0;
}

int
fraudcfg_money_parse(struct sv text, int64_t max, int64_t *out)
{
	long dot = sv_find_char(text, '.');
	struct sv units = text, frac = SV("");
	uint64_t u, total;
	uint64_t f = 0;
	size_t i;

	if (dot >= 0) {
		units = sv_head(text, (size_t)dot);
		frac = sv_skip(text, (size_t)dot + 1);
		if (frac.len == 0 || frac.len > 6)
			return -EINVAL;
	}
	for (i = 0; i < frac.len; i++) {
		if (!is_digit(frac.p[i]))
			return -EINVAL;
		f = f * 10u + (uint64_t)(frac.p[i] - '0');
	}
	for (; i < 6; i++)
		f *= 10u;
	if (max < 0)
		return -ERANGE;
	switch (sv_to_u64(units, (uint64_t)max / RATING_MICRO, &u)) {
	case 0:
		break;
	case -ERANGE:
		return -ERANGE;
	default:
		return -EINVAL;
	}
	total = u * (uint64_t)RATING_MICRO + f;
	if (total > (uint64_t)max)
		return -ERANGE;
	*out = (int64_t)total;
	return 0;
}

const char *
fraudcfg_scope_name(enum fraud_scope scope)
{
	return (unsigned)scope < FRAUD_SCOPE_COUNT && scope_names[scope] != NULL
	           ? scope_names[scope]
	           : "?";
}

int
fraudcfg_scope_parse(struct sv text, enum fraud_scope *out)
{
	int i = sv_name_index(text, scope_names, RP_ARRAY_LEN(scope_names));

	if (i < 0)
		return -EINVAL;
	*out = (enum fraud_scope)i;
	return 0;
}

const char *
fraudcfg_rule_name(enum fraudcfg_rule rule)
{
	return (unsigned)rule < FRAUDCFG_RULE_COUNT ? rule_names[rule] : "?";
}

int
fraudcfg_rule_parse(struct sv text, enum fraudcfg_rule *out)
{
	int i = sv_name_index(text, rule_names, RP_ARRAY_LEN(rule_names));

	if (i < 0)
		return -EINVAL;
	*out = (enum fraudcfg_rule)i;
	return 0;
}

const char *
fraudcfg_mode_name(enum fraud_mode mode)
{
	return (unsigned)mode < RP_ARRAY_LEN(mode_names) ? mode_names[mode]
	                                                 : "?";
}

int
fraudcfg_mode_parse(struct sv text, enum fraud_mode *out)
{
	int i = sv_name_index(text, mode_names, RP_ARRAY_LEN(mode_names));

	if (i < 0)
		return -EINVAL;
	*out = (enum fraud_mode)i;
	return 0;
}

const char *
fraudcfg_reason_name(enum fraud_reason reason)
{
	return (unsigned)reason < FRAUD_R_COUNT ? reason_names[reason] : "?";
}

struct fraud_rule_cfg *
fraudcfg_rule_of(struct fraud_config *cfg, enum fraudcfg_rule rule)
{
	if ((unsigned)rule >= FRAUDCFG_RULE_COUNT)
		return NULL;
	return (struct fraud_rule_cfg *)((char *)cfg + rule_offsets[rule]);
}

const struct fraud_rule_cfg *
fraudcfg_rule_get(const struct fraud_config *cfg, enum fraudcfg_rule rule)
{
	if ((unsigned)rule >= FRAUDCFG_RULE_COUNT)
		return NULL;
	return (const struct fraud_rule_cfg *)((const char *)cfg +
	                                       rule_offsets[rule]);
}

/* Profiles. */

static bool
window_ok(const struct rights_window *w)
{
	return (w->days & ~0x7fu) == 0 && w->start_min <= 1440 &&
	       w->end_min <= 1440;
}

int
fraudcfg_profile_check(const struct fraudcfg_profile *p, const char **field)
{
	char norm[FRAUDCFG_PREFIXES_STRLEN];
	uint32_t all = (1u << NUMPLAN_CLASS_COUNT) - 1u;

	if (!users_profile_valid(sv_cstr(p->name)))
		return bad(field, "name");
	if ((p->classes & ~all) != 0)
		return bad(field, "classes");
	if ((p->window_classes & ~all) != 0 ||
	    (p->window_classes & p->classes) != 0 || !window_ok(&p->window) ||
	    (p->window_classes != 0 && p->window.days == 0))
		return bad(field, "window");
	if (fraudcfg_prefixes_normalise(sv_cstr(p->allow), norm) != 0 ||
	    strcmp(norm, p->allow) != 0)
		return bad(field, "allow");
	if (fraudcfg_prefixes_normalise(sv_cstr(p->deny), norm) != 0 ||
	    strcmp(norm, p->deny) != 0)
		return bad(field, "deny");
	return 0;
}

/* Runs a prepared write and closes the caller's transaction level:
 * commits when it changed a row (or need_row is false). Finishes st. */
static int
write_end(struct db *db, struct db_stmt *st, bool need_row)
{
	int err = db_step(st);

	if (err == 0 && need_row && db_changes(db) == 0)
		err = -ENOENT;
	db_finish(st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}

static int
profile_write(struct db *db, const struct fraudcfg_profile *p, int64_t now,
    const char **field, bool add)
{
	char classes[FRAUDCFG_CLASSES_STRLEN],
	    wclasses[FRAUDCFG_CLASSES_STRLEN];
	struct db_stmt *st;
	int err;

	err = fraudcfg_profile_check(p, field);
	if (err != 0)
		return err;
	if (fraudcfg_classes_format(p->classes, classes, sizeof(classes)) !=
	        0 ||
	    fraudcfg_classes_format(
	        p->window_classes, wclasses, sizeof(wclasses)) != 0)
		return bad(field, "classes");
	err = db_write_begin(db,
	    add ? "INSERT INTO rights_profiles (" PROFILE_COLS ")"
	          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)"
	        : "UPDATE rights_profiles SET classes = ?2,"
	          " window_classes = ?3, window_days = ?4,"
	          " window_start = ?5, window_end = ?6, allow = ?7,"
	          " deny = ?8, updated_at = ?9 WHERE name = ?1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(p->name));
	db_bind_text(st, 2, sv_cstr(classes));
	db_bind_text(st, 3, sv_cstr(wclasses));
	db_bind_int64(st, 4, p->window_classes != 0 ? p->window.days : 0);
	db_bind_int64(st, 5, p->window_classes != 0 ? p->window.start_min : 0);
	db_bind_int64(st, 6, p->window_classes != 0 ? p->window.end_min : 0);
	db_bind_text(st, 7, sv_cstr(p->allow));
	db_bind_text(st, 8, sv_cstr(p->deny));
	db_bind_int64(st, 9, now);
	return write_end(db, st, !add);
}

int
fraudcfg_profile_add(struct db *db, const struct fraudcfg_profile *p,
    int64_t now, const char **field)
{
	return profile_write(db, p, now, field, true);
}

int
fraudcfg_profile_update(struct db *db, const struct fraudcfg_profile *p,
    int64_t now, const char **field)
{
	return profile_write(db, p, now, field, false);
}

/* Copies a text column into out; -EBADMSG when it does not fit. */
static int
fill_text(char *out, size_t size, struct sv v)
{
	out[0] = '\0';
	if (v.len >= size)
		return -EBADMSG;
	if (v.len > 0)
		memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}

static int
profile_fill(struct fraudcfg_profile *p, struct db_stmt *st)
{
	int64_t days = db_col_int64(st, 3), start = db_col_int64(st, 4),
	        end = db_col_int64(st, 5);

	memset(p, 0, sizeof(*p));
	if (fill_text(p->name, sizeof(p->name), db_col_text(st, 0)) != 0 ||
	    fraudcfg_classes_parse(db_col_text(st, 1), &p->classes) != 0 ||
	    fraudcfg_classes_parse(db_col_text(st, 2), &p->window_classes) !=
	        0 ||
	    days < 0 || days > 0x7f || start < 0 || start > 1440 || end < 0 ||
	    end > 1440 ||
	    fill_text(p->allow, sizeof(p->allow), db_col_text(st, 6)) != 0 ||
	    fill_text(p->deny, sizeof(p->deny), db_col_text(st, 7)) != 0)
		return -EBADMSG;
	p->window.days = (uint8_t)days;
	p->window.start_min = (uint16_t)start;
	p->window.end_min = (uint16_t)end;
	p->created_at = db_col_int64(st, 8);
	p->updated_at = db_col_int64(st, 9);
	return fraudcfg_profile_check(p, NULL) == 0 ? 0 : -EBADMSG;
}

int
fraudcfg_profile_get(
    struct db *db, struct sv name, struct fraudcfg_profile *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!users_profile_valid(name))
		return -EINVAL;
	err = db_prepare(db,
	    "SELECT " PROFILE_COLS " FROM rights_profiles WHERE name = ?1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = profile_fill(out, st);
	db_finish(st);
	return err;
}

int
fraudcfg_profile_list(struct db *db, fraudcfg_profile_cb cb, void *arg)
{
	struct fraudcfg_profile p;
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT " PROFILE_COLS " FROM rights_profiles ORDER BY name", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = profile_fill(&p, st);
		if (err == 0)
			err = cb(arg, &p);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

/* The first user, by extension, whose profile is 'name'. Returns 0
 * (found), -ENOENT or a store error. */
static int
profile_user(struct db *db, struct sv name, char user[USERS_EXT_MAX + 1])
{
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT ext FROM users WHERE profile = ?1 ORDER BY ext LIMIT 1",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = fill_text(user, USERS_EXT_MAX + 1, db_col_text(st, 0));
	db_finish(st);
	return err;
}

int
fraudcfg_profile_members(struct db *db, struct sv name, uint64_t *count)
{
	struct db_stmt *st;
	int err;

	*count = 0;
	if (!users_profile_valid(name))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT count(*) FROM users WHERE profile = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, name);
	err = db_step(st);
	if (err == DB_ROW) {
		*count = (uint64_t)db_col_int64(st, 0);
		err = 0;
	} else if (err == DB_DONE) {
		err = -EIO;
	}
	db_finish(st);
	return err;
}

int
fraudcfg_profile_remove(
    struct db *db, struct sv name, char user[USERS_EXT_MAX + 1])
{
	char def[FRAUDCFG_NAME_MAX + 1], who[USERS_EXT_MAX + 1] = "";
	struct fraudcfg_profile p;
	struct db_stmt *st;
	int err;

	if (user != NULL)
		user[0] = '\0';
	if (!users_profile_valid(name))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = fraudcfg_profile_get(db, name, &p);
	if (err == 0) {
		err = fraudcfg_default_get(db, def);
		if (err == 0 && sv_eq(name, sv_cstr(def)))
			err = -EBUSY;
		else if (err == 0 || err == -ENOENT)
			err = profile_user(db, name, who);
		if (err == -ENOENT)
			err = groups_profile_user(db, name, NULL);
		if (err == 0)
			err = -EBUSY;
		else if (err == -ENOENT)
			err = 0;
	}
	if (err == -EBUSY && user != NULL)
		memcpy(user, who, sizeof(who));
	if (err == 0)
		err = db_prepare(
		    db, "DELETE FROM rights_profiles WHERE name = ?1", &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, name);
	return write_end(db, st, true);
}

int
fraudcfg_default_get(struct db *db, char out[FRAUDCFG_NAME_MAX + 1])
{
	int err = settings_get(
	    db, FRAUDCFG_DEFAULT_PROFILE, out, FRAUDCFG_NAME_MAX + 1);

	if (err == 0 && !users_profile_valid(sv_cstr(out)))
		err = -EBADMSG;
	if (err == -E2BIG)
		err = -EBADMSG;
	if (err != 0)
		out[0] = '\0';
	return err;
}

int
fraudcfg_default_set(struct db *db, struct sv name)
{
	struct fraudcfg_profile p;
	int err;

	if (!users_profile_valid(name))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = fraudcfg_profile_get(db, name, &p);
	if (err == 0)
		err = settings_set(db, FRAUDCFG_DEFAULT_PROFILE, name);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}

/* Rates. */

/* One line of a rate file already checked by rating_table_parse(). */
static int
rate_line(void *ctx, struct sv line, const char **why)
{
	struct db *db = ctx;
	struct rating_rate r;
	struct db_stmt *st;
	struct sv pfx;
	int err;

	memset(&r, 0, sizeof(r));
	pfx = numplan_next_field(&line);
	if (!prefix_valid(pfx) ||
	    rating_money_parse(numplan_next_field(&line), &r.per_min) != 0 ||
	    rating_money_parse(numplan_next_field(&line), &r.setup) != 0 ||
	    sv_to_u32(numplan_next_field(&line), RATING_INCR_MAX, &r.first_s) !=
	        0 ||
	    sv_to_u32(numplan_next_field(&line), RATING_INCR_MAX, &r.incr_s) !=
	        0 ||
	    r.incr_s == 0 || line.len > RATING_LABEL_MAX) {
		*why = "bad rate";
		return -EBADMSG;
	}
	err = db_prepare(db,
	    "INSERT INTO rates (" RATE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (prefix) DO UPDATE SET per_min = excluded.per_min,"
	    " setup = excluded.setup, first_s = excluded.first_s,"
	    " incr_s = excluded.incr_s, label = excluded.label",
	    &st);
	if (err != 0) {
		*why = "cannot store the rate";
		return err;
	}
	db_bind_text(st, 1, pfx);
	db_bind_int64(st, 2, r.per_min);
	db_bind_int64(st, 3, r.setup);
	db_bind_int64(st, 4, r.first_s);
	db_bind_int64(st, 5, r.incr_s);
	db_bind_text(st, 6, line);
	err = db_step(st);
	db_finish(st);
	if (err != 0)
		*why = "cannot store the rate";
	return err;
}

int
fraudcfg_rates_import(
    struct db *db, struct sv text, struct numplan_error *err, size_t *count)
{
	struct rating_table *t;
	struct db_stmt *st;
	size_t n;
	int rc;

	if (text.len > RATING_FILE_MAX) {
		if (err != NULL)
			*err = (struct numplan_error){0, "file too large"};
		return -E2BIG;
	}
	rc = rating_table_new(&t);
	if (rc != 0)
		return rc;
	rc = rating_table_parse(t, text, err);
	n = rating_table_count(t);
	rating_table_free(t);
	if (rc != 0)
		return rc;
	rc = db_write_begin(db, "DELETE FROM rates", &st);
	if (rc != 0)
		return rc;
	rc = db_step(st);
	db_finish(st);
	if (rc == 0)
		rc = numplan_parse_lines(text, rate_line, db, err);
	if (rc != 0) {
		db_tx_rollback(db);
		return rc;
	}
	rc = db_tx_commit(db);
	if (rc == 0 && count != NULL)
		*count = n;
	return rc;
}

static int
rate_fill(struct fraudcfg_rate *r, struct db_stmt *st)
{
	int64_t first = db_col_int64(st, 3), incr = db_col_int64(st, 4);
	struct sv pfx = db_col_text(st, 0), label = db_col_text(st, 5);

	memset(r, 0, sizeof(*r));
	r->rate.per_min = db_col_int64(st, 1);
	r->rate.setup = db_col_int64(st, 2);
	if (!prefix_valid(pfx) ||
	    fill_text(r->prefix, sizeof(r->prefix), pfx) != 0 ||
	    fill_text(r->rate.label, sizeof(r->rate.label), label) != 0 ||
	    r->rate.per_min < 0 || r->rate.per_min > RATING_MONEY_MAX ||
	    r->rate.setup < 0 || r->rate.setup > RATING_MONEY_MAX ||
	    first < 0 || first > RATING_INCR_MAX || incr < 1 ||
	    incr > RATING_INCR_MAX)
		return -EBADMSG;
	r->rate.first_s = (uint32_t)first;
	r->rate.incr_s = (uint32_t)incr;
	return 0;
}

int
fraudcfg_rates_list(struct db *db, fraudcfg_rate_cb cb, void *arg)
{
	struct fraudcfg_rate r;
	struct db_stmt *st;
	int err;

	err = db_prepare(
	    db, "SELECT " RATE_COLS " FROM rates ORDER BY prefix", &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = rate_fill(&r, st);
		if (err == 0)
			err = cb(arg, &r);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

int
fraudcfg_rate_match(struct db *db, struct sv number, struct fraudcfg_rate *out)
{
	char pfx[FRAUDCFG_PREFIX_STRLEN];
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (number.len > 0 && number.p[0] == '+')
		number = sv_skip(number, 1);
	if (number.len == 0 || number.len > NUMPLAN_DIGITS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < number.len; i++)
		if (!is_digit(number.p[i]))
			return -EINVAL;
	pfx[0] = '+';
	memcpy(pfx + 1, number.p, number.len);
	for (size_t n = number.len + 1;; n--) {
		err = db_prepare(db,
		    "SELECT " RATE_COLS " FROM rates WHERE prefix = ?1", &st);
		if (err != 0)
			return err;
		db_bind_text(st, 1, sv_make(pfx, n));
		err = db_step(st);
		if (err == DB_ROW)
			err = rate_fill(out, st);
		else if (err == DB_DONE)
			err = -ENOENT;
		db_finish(st);
		if (err != -ENOENT || n == 1)
			return err;
	}
}

int
fraudcfg_rate_get(struct db *db, struct sv prefix, struct fraudcfg_rate *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	if (!prefix_valid(prefix))
		return -EINVAL;
	err = db_prepare(
	    db, "SELECT " RATE_COLS " FROM rates WHERE prefix = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, prefix);
	err = db_step(st);
	if (err == DB_ROW)
		err = rate_fill(out, st);
	else if (err == DB_DONE)
		err = -ENOENT;
	db_finish(st);
	return err;
}

/* The checks of a rate file's line (policy/rating.h), on a struct. */
static bool
rate_valid(const struct fraudcfg_rate *r)
{
	size_t n = strnlen(r->rate.label, sizeof(r->rate.label));

	return prefix_valid(sv_cstr(r->prefix)) && r->rate.per_min >= 0 &&
	       r->rate.per_min <= RATING_MONEY_MAX && r->rate.setup >= 0 &&
	       r->rate.setup <= RATING_MONEY_MAX &&
	       r->rate.first_s <= RATING_INCR_MAX && r->rate.incr_s >= 1 &&
	       r->rate.incr_s <= RATING_INCR_MAX && n <= RATING_LABEL_MAX &&
	       numplan_label_ok(sv_make(r->rate.label, n));
}

int
fraudcfg_rate_put(struct db *db, const struct fraudcfg_rate *r)
{
	struct db_stmt *st;
	int err;

	if (!rate_valid(r))
		return -EINVAL;
	err = db_prepare(db,
	    "INSERT INTO rates (" RATE_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
	    " ON CONFLICT (prefix) DO UPDATE SET per_min = excluded.per_min,"
	    " setup = excluded.setup, first_s = excluded.first_s,"
	    " incr_s = excluded.incr_s, label = excluded.label",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(r->prefix));
	db_bind_int64(st, 2, r->rate.per_min);
	db_bind_int64(st, 3, r->rate.setup);
	db_bind_int64(st, 4, r->rate.first_s);
	db_bind_int64(st, 5, r->rate.incr_s);
	db_bind_text(st, 6, sv_cstr(r->rate.label));
	err = db_step(st);
	db_finish(st);
	return err;
}

int
fraudcfg_rate_remove(struct db *db, struct sv prefix)
{
	struct db_stmt *st;
	int err;

	if (!prefix_valid(prefix))
		return -EINVAL;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(db, "DELETE FROM rates WHERE prefix = ?1", &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, prefix);
	return write_end(db, st, true);
}

/* Ceilings. */

/* Checks a scope and its name; a global scope's name becomes "". */
static int
scope_check(enum fraud_scope scope, struct sv *name, const char **field)
{
	if (scope == FRAUD_SCOPE_GLOBAL) {
		*name = SV("");
		return 0;
	}
	if (scope == FRAUD_SCOPE_TENANT)
		return groups_tenant_valid(*name) ? 0 : bad(field, "name");
	if (scope != FRAUD_SCOPE_USER)
		return bad(field, "scope");
	if (!users_ext_valid(*name))
		return bad(field, "name");
	return 0;
}

int
fraudcfg_ceiling_set(struct db *db, enum fraud_scope scope, struct sv name,
    const struct fraud_ceiling *c, int64_t now, const char **field)
{
	struct user_info u;
	struct db_stmt *st;
	int err;

	err = scope_check(scope, &name, field);
	if (err != 0)
		return err;
	if (c->hour < 0 || c->hour > FRAUDCFG_CEILING_MAX)
		return bad(field, "hourly");
	if (c->day < 0 || c->day > FRAUDCFG_CEILING_MAX)
		return bad(field, "daily");
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	if (scope == FRAUD_SCOPE_USER) {
		err = users_get_info(db, name, &u);
		if (err == -ENOENT)
			err = -ENXIO;
	} else if (scope == FRAUD_SCOPE_TENANT) {
		/* A ceiling on a tenant no group names is a typo. */
		err = groups_tenant_exists(db, name);
		if (err == -ENOENT)
			err = -ENXIO;
	}
	if (err == 0)
		err = db_prepare(db,
		    "INSERT INTO fraud_ceilings (scope, name, hourly, daily,"
		    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		    " ON CONFLICT (scope, name) DO UPDATE SET"
		    " hourly = excluded.hourly, daily = excluded.daily,"
		    " updated_at = excluded.updated_at",
		    &st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	db_bind_text(st, 1, sv_cstr(fraudcfg_scope_name(scope)));
	db_bind_text(st, 2, name);
	db_bind_int64(st, 3, c->hour);
	db_bind_int64(st, 4, c->day);
	db_bind_int64(st, 5, now);
	return write_end(db, st, false);
}

static int
ceiling_fill(struct fraudcfg_ceiling *c, struct db_stmt *st)
{
	struct sv name = db_col_text(st, 1);

	memset(c, 0, sizeof(*c));
	if (fraudcfg_scope_parse(db_col_text(st, 0), &c->scope) != 0 ||
	    fill_text(c->name, sizeof(c->name), name) != 0 ||
	    scope_check(c->scope, &name, NULL) != 0)
		return -EBADMSG;
	c->c.hour = db_col_int64(st, 2);
	c->c.day = db_col_int64(st, 3);
	c->updated_at = db_col_int64(st, 4);
	if (c->c.hour < 0 || c->c.hour > FRAUDCFG_CEILING_MAX || c->c.day < 0 ||
	    c->c.day > FRAUDCFG_CEILING_MAX)
		return -EBADMSG;
	return 0;
}

int
fraudcfg_ceiling_get(struct db *db, enum fraud_scope scope, struct sv name,
    struct fraudcfg_ceiling *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	err = scope_check(scope, &name, NULL);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "SELECT scope, name, hourly, daily, updated_at FROM fraud_ceilings"
	    " WHERE scope = ?1 AND name = ?2",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(fraudcfg_scope_name(scope)));
	db_bind_text(st, 2, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = ceiling_fill(out, st);
	db_finish(st);
	return err;
}

int
fraudcfg_ceiling_remove(struct db *db, enum fraud_scope scope, struct sv name)
{
	struct db_stmt *st;
	int err;

	err = scope_check(scope, &name, NULL);
	if (err != 0)
		return err;
	err = db_write_begin(db,
	    "DELETE FROM fraud_ceilings WHERE scope = ?1 AND name = ?2", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(fraudcfg_scope_name(scope)));
	db_bind_text(st, 2, name);
	return write_end(db, st, true);
}

int
fraudcfg_ceiling_list(struct db *db, fraudcfg_ceiling_cb cb, void *arg)
{
	struct fraudcfg_ceiling c;
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT scope, name, hourly, daily, updated_at FROM fraud_ceilings"
	    " ORDER BY scope, name",
	    &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = ceiling_fill(&c, st);
		if (err == 0)
			err = cb(arg, &c);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

/* Blocks. */

static bool
reason_valid(struct sv r)
{
	if (r.len > FRAUDCFG_REASON_MAX)
		return false;
	for (size_t i = 0; i < r.len; i++)
		if (r.p[i] < 0x20 || r.p[i] > 0x7e)
			return false;
	return true;
}

int
fraudcfg_block_put(struct db *db, const struct fraud_block *b, struct sv reason)
{
	const char *end = memchr(b->name, '\0', sizeof(b->name));
	struct sv name;
	struct db_stmt *st;
	int err;

	if (end == NULL || (unsigned)b->reason >= FRAUD_R_COUNT ||
	    b->reason == FRAUD_R_NONE || !reason_valid(reason) ||
	    b->since_s > INT64_MAX || b->until_s > INT64_MAX)
		return -EINVAL;
	name = sv_make(b->name, (size_t)(end - b->name));
	err = scope_check(b->scope, &name, NULL);
	if (err != 0)
		return err;
	if (reason.len == 0)
		reason = sv_cstr(fraud_reason_text(b->reason));
	err = db_write_begin(db,
	    "INSERT INTO fraud_blocks (" BLOCK_COLS ")"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
	    " ON CONFLICT (scope, name) DO UPDATE SET rule = excluded.rule,"
	    " reason = excluded.reason, since = excluded.since,"
	    " until = excluded.until, lifted_at = 0",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(fraudcfg_scope_name(b->scope)));
	db_bind_text(st, 2, name);
	db_bind_text(st, 3, sv_cstr(fraudcfg_reason_name(b->reason)));
	db_bind_text(st, 4, reason);
	db_bind_int64(st, 5, (int64_t)b->since_s);
	db_bind_int64(st, 6, (int64_t)b->until_s);
	return write_end(db, st, false);
}

int
fraudcfg_block_lift(
    struct db *db, enum fraud_scope scope, struct sv name, uint64_t now)
{
	struct db_stmt *st;
	int err;

	err = scope_check(scope, &name, NULL);
	if (err != 0)
		return err;
	if (now == 0 || now > INT64_MAX)
		return -EINVAL;
	err = db_write_begin(db,
	    "UPDATE fraud_blocks SET lifted_at = ?3"
	    " WHERE scope = ?1 AND name = ?2 AND lifted_at = 0",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(fraudcfg_scope_name(scope)));
	db_bind_text(st, 2, name);
	db_bind_int64(st, 3, (int64_t)now);
	return write_end(db, st, true);
}

static int
block_fill(struct fraudcfg_block *b, struct db_stmt *st)
{
	struct sv name = db_col_text(st, 1);
	int64_t since = db_col_int64(st, 4), until = db_col_int64(st, 5),
	        lifted = db_col_int64(st, 6);
	int reason;

	memset(b, 0, sizeof(*b));
	reason = sv_name_index(
	    db_col_text(st, 2), reason_names, RP_ARRAY_LEN(reason_names));
	if (fraudcfg_scope_parse(db_col_text(st, 0), &b->b.scope) != 0 ||
	    fill_text(b->b.name, sizeof(b->b.name), name) != 0 ||
	    scope_check(b->b.scope, &name, NULL) != 0 || reason <= 0 ||
	    !reason_valid(db_col_text(st, 3)) ||
	    fill_text(b->reason, sizeof(b->reason), db_col_text(st, 3)) != 0 ||
	    since < 0 || until < 0 || lifted < 0)
		return -EBADMSG;
	b->b.reason = (enum fraud_reason)reason;
	b->b.since_s = (uint64_t)since;
	b->b.until_s = (uint64_t)until;
	b->lifted_at = (uint64_t)lifted;
	return 0;
}

int
fraudcfg_block_get(struct db *db, enum fraud_scope scope, struct sv name,
    struct fraudcfg_block *out)
{
	struct db_stmt *st;
	int err;

	memset(out, 0, sizeof(*out));
	err = scope_check(scope, &name, NULL);
	if (err != 0)
		return err;
	err = db_prepare(db,
	    "SELECT " BLOCK_COLS " FROM fraud_blocks"
	    " WHERE scope = ?1 AND name = ?2",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(fraudcfg_scope_name(scope)));
	db_bind_text(st, 2, name);
	err = db_step(st);
	if (err == DB_DONE)
		err = -ENOENT;
	else if (err == DB_ROW)
		err = block_fill(out, st);
	db_finish(st);
	return err;
}

int
fraudcfg_block_list(struct db *db, fraudcfg_block_cb cb, void *arg)
{
	struct fraudcfg_block b;
	struct db_stmt *st;
	int err;

	err = db_prepare(db,
	    "SELECT " BLOCK_COLS " FROM fraud_blocks ORDER BY scope, name",
	    &st);
	if (err != 0)
		return err;
	while ((err = db_step(st)) == DB_ROW) {
		err = block_fill(&b, st);
		if (err == 0)
			err = cb(arg, &b);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

/* Rules. */

/* Runs the engine's own checks on one rule, the others at their
 * defaults, in the smallest engine there is. */
static int
rule_probe(const struct fraud_config *cfg, enum fraudcfg_rule r)
{
	const struct fraud_rule_cfg *rc = fraudcfg_rule_get(cfg, r);
	struct fraud_config t;
	struct fraud *f;
	int err;

	if (rc->window_s > RULE_WINDOW_MAX ||
	    (rc->mode != FRAUD_OFF &&
	        (r == FRAUDCFG_SEQUENTIAL || r == FRAUDCFG_SHORT_BURST) &&
	        rc->window_s == 0))
		return -EINVAL;
	if (r == FRAUDCFG_SHORT_BURST && rc->mode != FRAUD_OFF &&
	    (cfg->short_s == 0 || cfg->short_s > SHORT_S_MAX))
		return -EINVAL;
	fraud_config_defaults(&t);
	t.max_users = 1;
	t.max_tenants = 0;
	t.max_calls = 1;
	*fraudcfg_rule_of(&t, r) = *rc;
	if (r == FRAUDCFG_SEQUENTIAL)
		t.seq_tail_digits = cfg->seq_tail_digits;
	if (r == FRAUDCFG_SPEND_SPIKE) {
		t.spike_factor_pct = cfg->spike_factor_pct;
		t.spike_alpha_pct = cfg->spike_alpha_pct;
		t.spike_min_spend = cfg->spike_min_spend;
	}
	err = fraud_new(&f, &t);
	if (err == 0)
		fraud_free(f);
	return err;
}

int
fraudcfg_rules_check(const struct fraud_config *cfg, const char **field)
{
	int err;

	for (unsigned r = 0; r < FRAUDCFG_RULE_COUNT; r++) {
		err = rule_probe(cfg, (enum fraudcfg_rule)r);
		if (err == -EINVAL)
			return bad(field, rule_names[r]);
		if (err != 0)
			return err;
	}
	if (cfg->tz_offset_min < -24 * 60 || cfg->tz_offset_min > 24 * 60)
		return bad(field, "utc-offset");
	if (!window_ok(&cfg->business_hours) || cfg->business_hours.days == 0)
		return bad(field, "business-hours");
	if (cfg->spike_min_spend < 0 ||
	    cfg->spike_min_spend > FRAUDCFG_CEILING_MAX)
		return bad(field, "spend-spike");
	return 0;
}

/* Reads an unsigned setting within [min, max] into *out; an absent
 * setting leaves it alone. */
static int
load_u32(
    struct db *db, const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
	char v[SETTINGS_VALUE_MAX + 1];
	uint32_t n;
	int err = settings_get(db, key, v, sizeof(v));

	if (err == -ENOENT)
		return 0;
	if (err != 0)
		return err == -E2BIG ? -EBADMSG : err;
	if (sv_to_u32(sv_cstr(v), max, &n) != 0 || n < min)
		return -EBADMSG;
	*out = n;
	return 0;
}

static int
load_bool(
    struct db *db, const char *key, const char *yes, const char *no, bool *out)
{
	char v[SETTINGS_VALUE_MAX + 1];
	int err = settings_get(db, key, v, sizeof(v));

	if (err == -ENOENT)
		return 0;
	if (err != 0)
		return err == -E2BIG ? -EBADMSG : err;
	if (strcmp(v, yes) == 0)
		*out = true;
	else if (strcmp(v, no) == 0)
		*out = false;
	else
		return -EBADMSG;
	return 0;
}

static int
load_options(struct db *db, struct fraud_config *cfg)
{
	char v[SETTINGS_VALUE_MAX + 1];
	uint32_t off;
	int err;

	err = settings_get(db, KEY_UTC_OFFSET, v, sizeof(v));
	if (err == 0) {
		bool neg = v[0] == '-';

		if (sv_to_u32(
		        sv_cstr(v + (neg || v[0] == '+')), 24 * 60, &off) != 0)
			return -EBADMSG;
		cfg->tz_offset_min = neg ? -(int32_t)off : (int32_t)off;
	} else if (err != -ENOENT) {
		return err == -E2BIG ? -EBADMSG : err;
	}
	err = settings_get(db, KEY_BUSINESS_HOURS, v, sizeof(v));
	if (err == 0 &&
	    fraudcfg_window_parse(sv_cstr(v), &cfg->business_hours) != 0)
		return -EBADMSG;
	if (err != 0 && err != -ENOENT)
		return err == -E2BIG ? -EBADMSG : err;
	err = settings_get(db, KEY_MIN_SPEND, v, sizeof(v));
	if (err == 0 && fraudcfg_money_parse(sv_cstr(v), FRAUDCFG_CEILING_MAX,
	                    &cfg->spike_min_spend) != 0)
		return -EBADMSG;
	if (err != 0 && err != -ENOENT)
		return err == -E2BIG ? -EBADMSG : err;
	err = load_bool(db, KEY_CUT_RUNNING, "yes", "no", &cfg->cut_running);
	if (err == 0)
		err = load_bool(db, KEY_CEILING_BLOCK, "unblock", "window",
		    &cfg->ceiling_block_until_unblock);
	if (err == 0)
		err =
		    load_u32(db, KEY_TAIL_DIGITS, 0, 4, &cfg->seq_tail_digits);
	if (err == 0)
		err = load_u32(db, KEY_SHORT_S, 0, SHORT_S_MAX, &cfg->short_s);
	if (err == 0)
		err =
		    load_u32(db, KEY_FACTOR, 0, 100000, &cfg->spike_factor_pct);
	if (err == 0)
		err = load_u32(db, KEY_ALPHA, 0, 100, &cfg->spike_alpha_pct);
	if (err == 0)
		err = load_bool(db, KEY_DISA, "on", "off", &cfg->disa_enabled);
	if (err == 0)
		err = load_bool(
		    db, KEY_OUTDIAL, "on", "off", &cfg->outdial_enabled);
	return err;
}

int
fraudcfg_rules_load(struct db *db, struct fraud_config *cfg)
{
	struct fraud_rule_cfg *rc;
	enum fraudcfg_rule r;
	enum fraud_mode mode;
	struct db_stmt *st;
	int64_t count, window;
	int err;

	err = db_read_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(
	    db, "SELECT name, mode, count, window_s FROM fraud_rules", &st);
	if (err != 0)
		goto out;
	while ((err = db_step(st)) == DB_ROW) {
		count = db_col_int64(st, 2);
		window = db_col_int64(st, 3);
		if (fraudcfg_rule_parse(db_col_text(st, 0), &r) != 0 ||
		    fraudcfg_mode_parse(db_col_text(st, 1), &mode) != 0 ||
		    count < 0 || count > UINT32_MAX || window < 0 ||
		    window > UINT32_MAX) {
			err = -EBADMSG;
			break;
		}
		rc = fraudcfg_rule_of(cfg, r);
		rc->mode = mode;
		rc->count = (uint32_t)count;
		rc->window_s = (uint32_t)window;
	}
	db_finish(st);
	if (err == 0)
		err = load_options(db, cfg);
out:
	db_read_end(db);
	return err;
}

static int
store_u32(struct db *db, const char *key, uint32_t v)
{
	char text[16];

	snprintf(text, sizeof(text), "%u", v);
	return settings_set(db, key, sv_cstr(text));
}

static int
store_options(struct db *db, const struct fraud_config *cfg)
{
	char text[FRAUDCFG_WINDOW_STRLEN];
	int err;

	snprintf(text, sizeof(text), "%d", (int)cfg->tz_offset_min);
	err = settings_set(db, KEY_UTC_OFFSET, sv_cstr(text));
	if (err == 0)
		err = settings_set(db, KEY_CUT_RUNNING,
		    cfg->cut_running ? SV("yes") : SV("no"));
	if (err == 0)
		err = settings_set(db, KEY_CEILING_BLOCK,
		    cfg->ceiling_block_until_unblock ? SV("unblock")
		                                     : SV("window"));
	if (err == 0)
		err = fraudcfg_window_format(
		    &cfg->business_hours, text, sizeof(text));
	if (err == 0)
		err = settings_set(db, KEY_BUSINESS_HOURS, sv_cstr(text));
	if (err == 0)
		err = store_u32(db, KEY_TAIL_DIGITS, cfg->seq_tail_digits);
	if (err == 0)
		err = store_u32(db, KEY_SHORT_S, cfg->short_s);
	if (err == 0)
		err = store_u32(db, KEY_FACTOR, cfg->spike_factor_pct);
	if (err == 0)
		err = store_u32(db, KEY_ALPHA, cfg->spike_alpha_pct);
	if (err == 0 &&
	    rating_money_format(cfg->spike_min_spend, text, sizeof(text)) < 0)
		err = -EINVAL;
	if (err == 0)
		err = settings_set(db, KEY_MIN_SPEND, sv_cstr(text));
	if (err == 0)
		err = settings_set(
		    db, KEY_DISA, cfg->disa_enabled ? SV("on") : SV("off"));
	if (err == 0)
		err = settings_set(db, KEY_OUTDIAL,
		    cfg->outdial_enabled ? SV("on") : SV("off"));
	return err;
}

int
fraudcfg_rules_store(struct db *db, const struct fraud_config *cfg, int64_t now,
    const char **field)
{
	const struct fraud_rule_cfg *rc;
	struct db_stmt *st;
	int err;

	err = fraudcfg_rules_check(cfg, field);
	if (err != 0)
		return err;
	err = db_tx_begin(db);
	if (err != 0)
		return err;
	for (unsigned r = 0; err == 0 && r < FRAUDCFG_RULE_COUNT; r++) {
		rc = fraudcfg_rule_get(cfg, (enum fraudcfg_rule)r);
		err = db_prepare(db,
		    "INSERT INTO fraud_rules (name, mode, count, window_s,"
		    " updated_at) VALUES (?1, ?2, ?3, ?4, ?5)"
		    " ON CONFLICT (name) DO UPDATE SET mode = excluded.mode,"
		    " count = excluded.count, window_s = excluded.window_s,"
		    " updated_at = excluded.updated_at",
		    &st);
		if (err != 0)
			break;
		db_bind_text(st, 1, sv_cstr(rule_names[r]));
		db_bind_text(st, 2, sv_cstr(fraudcfg_mode_name(rc->mode)));
		db_bind_int64(st, 3, rc->count);
		db_bind_int64(st, 4, rc->window_s);
		db_bind_int64(st, 5, now);
		err = db_step(st);
		db_finish(st);
	}
	if (err == 0)
		err = store_options(db, cfg);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}

int
fraudcfg_system_lists_get(struct db *db, char allow[FRAUDCFG_PREFIXES_STRLEN],
    char deny[FRAUDCFG_PREFIXES_STRLEN])
{
	int err = settings_get(
	    db, FRAUDCFG_SYSTEM_ALLOW, allow, FRAUDCFG_PREFIXES_STRLEN);

	if (err == -ENOENT) {
		allow[0] = '\0';
		err = 0;
	}
	if (err == 0)
		err = settings_get(
		    db, FRAUDCFG_SYSTEM_DENY, deny, FRAUDCFG_PREFIXES_STRLEN);
	if (err == -ENOENT) {
		deny[0] = '\0';
		err = 0;
	}
	return err;
}

int
fraudcfg_system_list_set(struct db *db, const char *key, struct sv text)
{
	char norm[FRAUDCFG_PREFIXES_STRLEN];
	int err;

	if (strcmp(key, FRAUDCFG_SYSTEM_ALLOW) != 0 &&
	    strcmp(key, FRAUDCFG_SYSTEM_DENY) != 0)
		return -EINVAL;
	err = fraudcfg_prefixes_normalise(text, norm);
	if (err != 0)
		return err;
	return settings_set(db, key, sv_cstr(norm));
}
