/* The anti-fraud configuration loaded for the signalling thread. */
#include "pbx/fraudpolicy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/users.h"

struct fp_profile {
	char name[FRAUDCFG_NAME_MAX + 1];
	struct rights_profile rp;
	struct rights_list *allow;
	struct rights_list *deny;
};

/* A group's profile (if any) and tenant, by name. */
struct fp_group {
	char name[GROUPS_NAME_MAX + 1];
	bool has_profile;
	size_t profile;
	char tenant[GROUPS_TENANT_MAX + 1];
};

/* A user whose rights or tenant differ from the default: its effective
 * profile (its own, else its group's) and its group's tenant. */
struct fp_user {
	char ext[USERS_EXT_MAX + 1];
	bool has_profile;
	size_t profile;
	char tenant[GROUPS_TENANT_MAX + 1];
};

struct fraudpolicy {
	struct fp_profile *profiles;
	size_t n_profiles;
	struct fp_group *groups; /* by name */
	size_t n_groups;
	struct fp_user *users; /* by extension */
	size_t n_users;
	bool has_default;
	size_t def;
	struct rating_table *rates;
	struct fraud_config cfg;
	struct fraudcfg_ceiling *ceilings; /* users and tenants */
	size_t n_ceilings;
	struct fraudcfg_block *blocks;
	size_t n_blocks;
	struct rights_system sys; /* its lists: */
	struct rights_list *sys_allow, *sys_deny;
};

/* Appends one zeroed element to a growing array. */
static void *
grow(void *arr, size_t *n, size_t size)
{
	char *p = mem_realloc(arr, (*n + 1) * size);

	if (p == NULL)
		return NULL;
	memset(p + *n * size, 0, size);
	(*n)++;
	return p;
}

static int
list_build(struct rights_list **out, const char *text)
{
	struct sv rest = sv_cstr(text), item;
	bool more = rest.len > 0;
	int err;

	*out = NULL;
	if (!more)
		return 0;
	err = rights_list_new(out);
	while (err == 0 && more) {
		if (!sv_split(&rest, ',', &item)) {
			item = rest;
			more = false;
		}
		err = rights_list_add(*out, item);
	}
	return err == -EINVAL ? -EBADMSG : err;
}

static int
load_profile(void *arg, const struct fraudcfg_profile *p)
{
	struct fraudpolicy *fp = arg;
	struct fp_profile *all, *e;
	int err;

	all = grow(fp->profiles, &fp->n_profiles, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	fp->profiles = all;
	e = &all[fp->n_profiles - 1];
	memcpy(e->name, p->name, sizeof(e->name));
	e->rp.classes = p->classes;
	e->rp.window_classes = p->window_classes;
	e->rp.window = p->window;
	err = list_build(&e->allow, p->allow);
	if (err == 0)
		err = list_build(&e->deny, p->deny);
	return err;
}

static bool
profile_index(const struct fraudpolicy *fp, struct sv name, size_t *out)
{
	for (size_t i = 0; i < fp->n_profiles; i++) {
		if (sv_eq(name, sv_cstr(fp->profiles[i].name))) {
			*out = i;
			return true;
		}
	}
	return false;
}

static int
load_group(void *arg, const struct group_info *g)
{
	struct fraudpolicy *fp = arg;
	struct fp_group *all, *e;

	all = grow(fp->groups, &fp->n_groups, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	fp->groups = all;
	e = &all[fp->n_groups - 1];
	memcpy(e->name, g->name, sizeof(e->name));
	memcpy(e->tenant, g->tenant, sizeof(e->tenant));
	e->has_profile = g->profile[0] != '\0';
	if (e->has_profile &&
	    !profile_index(fp, sv_cstr(g->profile), &e->profile))
		return -EBADMSG;
	return 0;
}

static const struct fp_group *
group_find(const struct fraudpolicy *fp, const char *name)
{
	for (size_t i = 0; i < fp->n_groups; i++)
		if (strcmp(fp->groups[i].name, name) == 0)
			return &fp->groups[i];
	return NULL;
}

/* The effective rights of a user (R-FRAUD-1, R-FRAUD-2): its own
 * profile, else its group's, else (no entry) the system default. */
static int
load_user(void *arg, const struct user_info *u)
{
	struct fraudpolicy *fp = arg;
	const struct fp_group *g = NULL;
	struct fp_user *all, *e;

	if (u->group[0] != '\0') {
		g = group_find(fp, u->group);
		if (g == NULL)
			return -EBADMSG;
	}
	if (u->profile[0] == '\0' &&
	    (g == NULL || (!g->has_profile && g->tenant[0] == '\0')))
		return 0;
	all = grow(fp->users, &fp->n_users, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	fp->users = all;
	e = &all[fp->n_users - 1];
	memcpy(e->ext, u->ext, sizeof(u->ext));
	if (g != NULL)
		memcpy(e->tenant, g->tenant, sizeof(e->tenant));
	if (u->profile[0] != '\0') {
		e->has_profile = true;
		if (!profile_index(fp, sv_cstr(u->profile), &e->profile))
			return -EBADMSG;
	} else if (g != NULL && g->has_profile) {
		e->has_profile = true;
		e->profile = g->profile;
	}
	return 0;
}

static int
load_rate(void *arg, const struct fraudcfg_rate *r)
{
	struct fraudpolicy *fp = arg;
	int err = rating_table_add(fp->rates, sv_cstr(r->prefix), &r->rate);

	return err == -EINVAL ? -EBADMSG : err;
}

static int
load_ceiling(void *arg, const struct fraudcfg_ceiling *c)
{
	struct fraudpolicy *fp = arg;
	struct fraudcfg_ceiling *all;

	if (c->scope == FRAUD_SCOPE_GLOBAL) {
		fp->cfg.ceiling[FRAUD_SCOPE_GLOBAL] = c->c;
		return 0;
	}
	all = grow(fp->ceilings, &fp->n_ceilings, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	fp->ceilings = all;
	all[fp->n_ceilings - 1] = *c;
	return 0;
}

static int
load_block(void *arg, const struct fraudcfg_block *b)
{
	struct fraudpolicy *fp = arg;
	struct fraudcfg_block *all;

	all = grow(fp->blocks, &fp->n_blocks, sizeof(*all));
	if (all == NULL)
		return -ENOMEM;
	fp->blocks = all;
	all[fp->n_blocks - 1] = *b;
	return 0;
}

static int
load_system_lists(struct fraudpolicy *fp, struct db *db)
{
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN];
	int err = fraudcfg_system_lists_get(db, allow, deny);

	if (err == 0)
		err = list_build(&fp->sys_allow, allow);
	if (err == 0)
		err = list_build(&fp->sys_deny, deny);
	fp->sys.allow = fp->sys_allow;
	fp->sys.deny = fp->sys_deny;
	return err;
}

static int
load_all(struct fraudpolicy *fp, struct db *db)
{
	char def[FRAUDCFG_NAME_MAX + 1];
	int err;

	err = fraudcfg_profile_list(db, load_profile, fp);
	if (err == 0)
		err = fraudcfg_default_get(db, def);
	if (err == 0)
		fp->has_default = profile_index(fp, sv_cstr(def), &fp->def);
	else if (err == -ENOENT)
		err = 0;
	if (err == 0)
		err = groups_list(db, load_group, fp);
	if (err == 0)
		err = users_list(db, load_user, fp);
	if (err == 0)
		err = fraudcfg_rates_list(db, load_rate, fp);
	if (err == 0)
		err = fraudcfg_rules_load(db, &fp->cfg);
	if (err == 0)
		err = fraudcfg_ceiling_list(db, load_ceiling, fp);
	if (err == 0)
		err = fraudcfg_block_list(db, load_block, fp);
	if (err == 0)
		err = load_system_lists(fp, db);
	return err;
}

int
fraudpolicy_load(struct fraudpolicy **out, struct db *db)
{
	struct fraudpolicy *fp = mem_calloc(1, sizeof(*fp));
	int err;

	if (fp == NULL)
		return -ENOMEM;
	fraud_config_defaults(&fp->cfg);
	err = rating_table_new(&fp->rates);
	if (err != 0)
		goto fail;
	err = db_read_begin(db);
	if (err != 0)
		goto fail;
	err = load_all(fp, db);
	db_read_end(db);
	if (err != 0)
		goto fail;
	/* The array no longer moves: profiles may point into it. */
	for (size_t i = 0; i < fp->n_profiles; i++) {
		struct fp_profile *p = &fp->profiles[i];

		p->rp.name = p->name;
		p->rp.allow = p->allow;
		p->rp.deny = p->deny;
	}
	*out = fp;
	return 0;
fail:
	fraudpolicy_free(fp);
	return err;
}

void
fraudpolicy_free(struct fraudpolicy *fp)
{
	if (fp == NULL)
		return;
	for (size_t i = 0; i < fp->n_profiles; i++) {
		rights_list_free(fp->profiles[i].allow);
		rights_list_free(fp->profiles[i].deny);
	}
	free(fp->profiles);
	free(fp->groups);
	free(fp->users);
	rating_table_free(fp->rates);
	rights_list_free(fp->sys_allow);
	rights_list_free(fp->sys_deny);
	free(fp->ceilings);
	free(fp->blocks);
	free(fp);
}

static int
user_cmp(const void *key, const void *elem)
{
	const struct sv *ext = key;
	const struct fp_user *u = elem;
	size_t len = strlen(u->ext);
	int c = memcmp(ext->p, u->ext, ext->len < len ? ext->len : len);

	if (c != 0)
		return c;
	return ext->len < len ? -1 : ext->len > len ? 1 : 0;
}

static const struct fp_user *
user_find(const struct fraudpolicy *fp, struct sv ext)
{
	if (ext.len == 0 || fp->n_users == 0)
		return NULL;
	return bsearch(
	    &ext, fp->users, fp->n_users, sizeof(*fp->users), user_cmp);
}

const struct rights_profile *
fraudpolicy_profile_for(const struct fraudpolicy *fp, struct sv ext)
{
	const struct fp_user *u = user_find(fp, ext);

	if (u != NULL && u->has_profile)
		return &fp->profiles[u->profile].rp;
	return fp->has_default ? &fp->profiles[fp->def].rp : NULL;
}

struct sv
fraudpolicy_tenant_for(const struct fraudpolicy *fp, struct sv ext)
{
	const struct fp_user *u = user_find(fp, ext);

	return u != NULL ? sv_cstr(u->tenant) : SV("");
}

const struct rights_profile *
fraudpolicy_profile(const struct fraudpolicy *fp, struct sv name)
{
	size_t i;

	return profile_index(fp, name, &i) ? &fp->profiles[i].rp : NULL;
}

size_t
fraudpolicy_profiles(const struct fraudpolicy *fp)
{
	return fp->n_profiles;
}

const struct rating_table *
fraudpolicy_rates(const struct fraudpolicy *fp)
{
	return fp->rates;
}

void
fraudpolicy_engine_config(
    const struct fraudpolicy *fp, struct fraud_config *cfg)
{
	*cfg = fp->cfg;
}

static bool
rule_eq(const struct fraud_rule_cfg *a, const struct fraud_rule_cfg *b)
{
	return a->mode == b->mode && a->count == b->count &&
	       a->window_s == b->window_s;
}

bool
fraudpolicy_rules_equal(
    const struct fraudpolicy *a, const struct fraudpolicy *b)
{
	const struct fraud_config *x = &a->cfg, *y = &b->cfg;

	return x->max_users == y->max_users &&
	       x->max_tenants == y->max_tenants &&
	       x->max_calls == y->max_calls &&
	       x->tz_offset_min == y->tz_offset_min &&
	       x->cut_running == y->cut_running &&
	       x->ceiling_block_until_unblock ==
	           y->ceiling_block_until_unblock &&
	       x->lookahead_s == y->lookahead_s &&
	       rule_eq(&x->call_rate, &y->call_rate) &&
	       rule_eq(&x->concurrent_user, &y->concurrent_user) &&
	       rule_eq(&x->concurrent_intl, &y->concurrent_intl) &&
	       rule_eq(&x->first_country_user, &y->first_country_user) &&
	       rule_eq(&x->first_country_system, &y->first_country_system) &&
	       rule_eq(&x->off_hours_intl, &y->off_hours_intl) &&
	       x->business_hours.days == y->business_hours.days &&
	       x->business_hours.start_min == y->business_hours.start_min &&
	       x->business_hours.end_min == y->business_hours.end_min &&
	       rule_eq(&x->sequential, &y->sequential) &&
	       x->seq_tail_digits == y->seq_tail_digits &&
	       rule_eq(&x->short_burst, &y->short_burst) &&
	       x->short_s == y->short_s &&
	       rule_eq(&x->spend_spike, &y->spend_spike) &&
	       x->spike_factor_pct == y->spike_factor_pct &&
	       x->spike_alpha_pct == y->spike_alpha_pct &&
	       x->spike_min_spend == y->spike_min_spend;
}

static bool
has_ceiling(const struct fraudpolicy *fp, const struct fraudcfg_ceiling *c)
{
	for (size_t i = 0; i < fp->n_ceilings; i++)
		if (fp->ceilings[i].scope == c->scope &&
		    strcmp(fp->ceilings[i].name, c->name) == 0)
			return true;
	return false;
}

/* Keeps the first error but goes on. */
static void
note(int *rc, int err)
{
	if (*rc == 0 && err != 0)
		*rc = err;
}

static int
apply_ceilings(const struct fraudpolicy *fp, const struct fraudpolicy *old,
    struct fraud *f)
{
	int rc = 0;

	/* A ceiling removed goes back to the default of its scope. */
	for (size_t i = 0; old != NULL && i < old->n_ceilings; i++) {
		const struct fraudcfg_ceiling *c = &old->ceilings[i];

		if (!has_ceiling(fp, c))
			note(&rc,
			    fraud_set_ceiling(f, c->scope, sv_cstr(c->name),
			        &fp->cfg.ceiling[c->scope]));
	}
	for (size_t i = 0; i < fp->n_ceilings; i++)
		note(&rc,
		    fraud_set_ceiling(f, fp->ceilings[i].scope,
		        sv_cstr(fp->ceilings[i].name), &fp->ceilings[i].c));
	note(&rc, fraud_set_ceiling(f, FRAUD_SCOPE_GLOBAL, SV(""),
	              &fp->cfg.ceiling[FRAUD_SCOPE_GLOBAL]));
	return rc;
}

/* Lifts the engine's block of b's scope if it began before the lift.
 * -ENOENT from the engine means it ended meanwhile: nothing to do. */
static void
lift_block(struct fraud *f, const struct fraudcfg_block *b,
    const struct fraud_block *running, size_t n, uint64_t now_s)
{
	int err;

	for (size_t i = 0; i < n; i++) {
		if (running[i].scope != b->b.scope ||
		    strcmp(running[i].name, b->b.name) != 0 ||
		    running[i].since_s > b->lifted_at)
			continue;
		err = fraud_unblock(f, b->b.scope, sv_cstr(b->b.name), now_s);
		(void)err;
		return;
	}
}

int
fraudpolicy_apply(const struct fraudpolicy *fp, const struct fraudpolicy *old,
    struct fraud *f, uint64_t now_s)
{
	struct fraud_block *running = NULL;
	size_t n;
	int rc, err;

	rc = apply_ceilings(fp, old, f);
	fraud_set_origins(f, fp->cfg.disa_enabled, fp->cfg.outdial_enabled);
	n = fraud_export_blocks(f, now_s, NULL, 0);
	if (n > 0) {
		running = mem_calloc(n, sizeof(*running));
		if (running == NULL)
			return -ENOMEM;
		size_t total = fraud_export_blocks(f, now_s, running, n);

		n = total < n ? total : n;
	}
	for (size_t i = 0; i < fp->n_blocks; i++) {
		const struct fraudcfg_block *b = &fp->blocks[i];

		if (b->lifted_at != 0) {
			lift_block(f, b, running, n, now_s);
			continue;
		}
		err = fraud_import_block(f, &b->b, now_s);
		note(&rc, err == -ETIME ? 0 : err);
	}
	free(running);
	return rc;
}

int
fraudpolicy_block_save(struct db *db, const struct fraud_block *b)
{
	return fraudcfg_block_put(db, b, SV(""));
}

int
fraudpolicy_block_clear(
    struct db *db, enum fraud_scope scope, struct sv name, uint64_t now_s)
{
	return fraudcfg_block_lift(db, scope, name, now_s);
}

const struct rights_system *
fraudpolicy_system(const struct fraudpolicy *fp)
{
	return &fp->sys;
}

int32_t
fraudpolicy_tz_offset_min(const struct fraudpolicy *fp)
{
	return fp->cfg.tz_offset_min;
}
