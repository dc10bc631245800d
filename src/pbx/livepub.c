/* Live supervision from the signalling loop. See pbx/livepub.h. */
#include "pbx/livepub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"

struct livepub {
	struct live *live;
	/* The trunks of the last publication, for their "since". */
	struct live_trunk *prev;
	size_t nprev;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
livepub_new(struct livepub **out, struct live *live)
{
	struct livepub *p = mem_calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	p->live = live;
	*out = p;
	return 0;
}

void
livepub_free(struct livepub *p)
{
	if (p == NULL)
		return;
	free(p->prev);
	free(p);
}

/* The calls, with the projected cost of those the engine tracks. */
static void
fill_calls(struct live_snapshot *s, size_t max, const struct livepub_src *src)
{
	uint64_t *tags = max > 0 ? calloc(max, sizeof(*tags)) : NULL;
	size_t n = calls_live(src->calls, s->calls, tags, max);

	s->ncalls = n < max ? n : max;
	for (size_t i = 0; tags != NULL && i < s->ncalls; i++) {
		int64_t cost;

		if (src->fraudrun != NULL &&
		    fraudrun_projection(src->fraudrun, tags[i], &cost) == 0) {
			s->calls[i].rated = true;
			s->calls[i].cost = cost;
		}
	}
	free(tags);
}

/* Each trunk's state, "since" carried over while it is unchanged. */
static void
fill_trunks(struct livepub *p, struct live_snapshot *s, size_t max,
    const struct livepub_src *src, int64_t now)
{
	for (size_t i = 0; i < max; i++) {
		const struct trunkdir_trunk *t =
		    trunkdir_trunk_at(src->trunks, i);
		struct live_trunk *o = &s->trunks[s->ntrunks];

		if (t == NULL)
			continue;
		snprintf(o->name, sizeof(o->name), "%s", t->name);
		snprintf(o->state, sizeof(o->state), "%s",
		    src->trunkrun != NULL
		        ? trunkrun_state(src->trunkrun, sv_cstr(t->name))
		        : "stopped");
		if (src->trunkrun != NULL)
			snprintf(o->last_error, sizeof(o->last_error), "%s",
			    trunkrun_last_error(src->trunkrun, sv_cstr(t->name),
			        &o->last_error_ms));
		o->since_ms = now;
		for (size_t j = 0; j < p->nprev; j++) {
			if (strcmp(p->prev[j].name, o->name) == 0 &&
			    strcmp(p->prev[j].state, o->state) == 0)
				o->since_ms = p->prev[j].since_ms;
		}
		s->ntrunks++;
	}
}

static void
copy_spend(struct live_spend *o, const struct fraud_spend *f)
{
	o->global = f->scope == FRAUD_SCOPE_GLOBAL;
	snprintf(o->name, sizeof(o->name), "%s", f->name);
	o->hour = f->t.hour;
	o->day = f->t.day;
	o->ceiling_hour = f->ceiling.hour;
	o->ceiling_day = f->ceiling.day;
	o->active_calls = f->t.active_calls;
	o->blocked = f->blocked;
}

/* The system's spend, then the users who spent today, call now or are
 * blocked. */
static void
fill_spend(struct live_snapshot *s, struct fraud_spend *fs, size_t n)
{
	for (size_t i = 0; i < n && s->nspend < LIVEPUB_SPEND_MAX + 1; i++) {
		if (fs[i].scope == FRAUD_SCOPE_TENANT)
			continue;
		if (fs[i].scope == FRAUD_SCOPE_USER && fs[i].t.day == 0 &&
		    fs[i].t.active_calls == 0 && !fs[i].blocked)
			continue;
		copy_spend(&s->spend[s->nspend++], &fs[i]);
	}
}

int
livepub_publish(struct livepub *p, const struct livepub_src *src)
{
	size_t ncalls = calls_count(src->calls);
	size_t ntrunks = src->trunks != NULL ? trunkdir_trunks(src->trunks) : 0;
	struct fraud_spend *fs = NULL;
	struct live_snapshot *s;
	struct live_trunk *prev;
	size_t nfs = 0;
	int64_t now = now_ms();
	int rc;

	if (src->fraudrun != NULL) {
		nfs = fraudrun_spend(src->fraudrun, NULL, 0);
		fs = nfs > 0 ? calloc(nfs, sizeof(*fs)) : NULL;
		if (fs == NULL && nfs > 0)
			return -ENOMEM;
		nfs = fs != NULL ? fraudrun_spend(src->fraudrun, fs, nfs) : 0;
	}
	rc = live_snapshot_new(&s, ncalls, ntrunks,
	    nfs < LIVEPUB_SPEND_MAX + 1 ? nfs : LIVEPUB_SPEND_MAX + 1);
	if (rc != 0) {
		free(fs);
		return rc;
	}
	s->taken_ms = now;
	s->registrations =
	    src->reg != NULL ? (uint32_t)registrar_count(src->reg) : 0;
	fill_calls(s, ncalls, src);
	fill_trunks(p, s, ntrunks, src, now);
	fill_spend(s, fs, nfs);
	free(fs);
	prev = s->ntrunks > 0 ? calloc(s->ntrunks, sizeof(*prev)) : NULL;
	if (prev != NULL || s->ntrunks == 0) {
		if (prev != NULL)
			memcpy(prev, s->trunks, s->ntrunks * sizeof(*prev));
		free(p->prev);
		p->prev = prev;
		p->nprev = s->ntrunks;
	}
	live_publish(p->live, s);
	return 0;
}

size_t
livepub_hangups(struct livepub *p, struct calls *calls)
{
	struct live_hangup h;
	size_t ended = 0;

	while (live_hangup_next(p->live, &h)) {
		int rc = calls_hangup_id(
		    calls, sv_cstr(h.id), LIVEPUB_HANGUP_REASON);

		if (rc == 0)
			ended++;
		live_hangup_done(p->live, h.seq, rc);
	}
	return ended;
}
