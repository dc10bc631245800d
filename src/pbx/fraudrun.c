/* The anti-fraud engine on outbound calls. See pbx/fraudrun.h. */
#include "pbx/fraudrun.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "policy/rating.h"

/* Blocks written at once by one store job. */
#define BLOCKS_MAX 64u
#define TICK_BATCH 4096u

struct fraudrun {
	struct fraudrun_config cfg;
	const struct fraudpolicy *fp;
	struct fraud *engine;
	struct loop_timer tick;
	bool ticking;
};

static uint64_t
now_s(void)
{
	return (uint64_t)time(NULL);
}

struct blocks_job {
	size_t n;
	struct fraud_block b[BLOCKS_MAX];
};

static int
blocks_job_run(struct db *db, void *arg)
{
	struct blocks_job *j = arg;
	int rc = 0;

	for (size_t i = 0; i < j->n && rc == 0; i++)
		rc = fraudpolicy_block_save(db, &j->b[i]);
	return rc;
}

static void
blocks_job_done(void *arg, int rc)
{
	if (rc != 0)
		log_error("fraud", "msg=\"fraud block not stored\" err=%d", rc);
	free(arg);
}

/* Stores every block in force (the table is small; an upsert each). */
static void
persist_blocks(struct fraudrun *r)
{
	struct blocks_job *j;

	if (r->cfg.writer == NULL)
		return;
	j = mem_calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->n = fraud_export_blocks(r->engine, now_s(), j->b, BLOCKS_MAX);
	if (j->n > BLOCKS_MAX)
		j->n = BLOCKS_MAX;
	if (j->n == 0 || writer_post(r->cfg.writer, blocks_job_run, j,
	                     blocks_job_done, j) != 0)
		free(j);
}

/* Reports the alerts of one event; stores the blocks when one was
 * set. */
static void
report(struct fraudrun *r, const struct fraud_alerts *as, struct sv user,
    struct sv number)
{
	bool blocked = false;

	for (unsigned i = 0; i < as->n; i++) {
		const struct fraud_alert *a = &as->a[i];

		log_warn("fraud",
		    "event=%s user=\"%.*s\" number=\"%.*s\" mode=%s "
		    "value=%lld limit=%lld",
		    a->text, (int)user.len, user.p, (int)number.len, number.p,
		    a->mode == FRAUD_BLOCK  ? "block"
		    : a->mode == FRAUD_DENY ? "deny"
		                            : "alert",
		    (long long)a->value, (long long)a->limit);
		if (r->cfg.alert != NULL)
			r->cfg.alert(r->cfg.ctx, a, user, number);
		blocked = blocked || a->mode == FRAUD_BLOCK ||
		          a->reason == FRAUD_R_CEILING_HOUR ||
		          a->reason == FRAUD_R_CEILING_DAY;
	}
	if (blocked)
		persist_blocks(r);
}

/* Every tick: the projection of each running call; those crossing a
 * ceiling are cut (R-FRAUD-3). */
static void
tick_fired(struct loop *l, void *arg)
{
	struct fraudrun *r = arg;
	uint64_t tags[TICK_BATCH];
	size_t n = calls_tags(r->cfg.calls, tags, TICK_BATCH);
	uint64_t now = now_s();

	if (n > TICK_BATCH)
		n = TICK_BATCH;
	for (size_t i = 0; r->engine != NULL && i < n; i++) {
		struct fraud_alerts as = {0};

		if (!fraud_call_tick(r->engine, tags[i], now, &as)) {
			report(r, &as, SV(""), SV(""));
			continue;
		}
		report(r, &as, SV(""), SV(""));
		(void)calls_hangup_tag(
		    r->cfg.calls, tags[i], 403, "cut: cost ceiling reached");
	}
	if (loop_timer_start(l, &r->tick, FRAUDRUN_TICK_S * 1000u) != 0)
		log_error("fraud", "msg=\"fraud tick not restarted\"");
}

int
fraudrun_new(struct fraudrun **out, const struct fraudrun_config *cfg)
{
	struct fraudrun *r;

	if (cfg->loop == NULL || cfg->calls == NULL)
		return -EINVAL;
	r = mem_calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->cfg = *cfg;
	loop_timer_init(&r->tick, tick_fired, r);
	*out = r;
	return 0;
}

void
fraudrun_free(struct fraudrun *r)
{
	if (r == NULL)
		return;
	loop_timer_stop(r->cfg.loop, &r->tick);
	fraud_free(r->engine);
	free(r);
}

int
fraudrun_policy(struct fraudrun *r, const struct fraudpolicy *fp,
    const struct fraudpolicy *old)
{
	struct fraud_config cfg;
	struct fraud *e = NULL;
	int rc;

	if (r->engine != NULL && old != NULL &&
	    fraudpolicy_rules_equal(fp, old)) {
		rc = fraudpolicy_apply(fp, old, r->engine, now_s());
	} else {
		fraudpolicy_engine_config(fp, &cfg);
		rc = fraud_new(&e, &cfg);
		if (rc == 0)
			rc = fraudpolicy_apply(fp, NULL, e, now_s());
		if (rc != 0 && rc != -ENOSPC) {
			fraud_free(e);
			return rc;
		}
		/* Calls the old engine tracked are unknown to the new
		 * one: their ends are ignored. */
		fraud_free(r->engine);
		r->engine = e;
	}
	r->fp = fp;
	if (!r->ticking) {
		rc = loop_timer_start(
		    r->cfg.loop, &r->tick, FRAUDRUN_TICK_S * 1000u);
		r->ticking = rc == 0;
	}
	return rc == -ENOSPC ? 0 : rc;
}

bool
fraudrun_outbound(struct fraudrun *r, struct sv user, enum fraud_origin origin,
    const struct numplan_result *res, uint64_t *tag, const char **reason)
{
	struct fraud_decision d;
	struct fraud_call_info ci;
	struct sv number = sv_make(res->number, res->len);

	*tag = 0;
	*reason = "";
	if (r->engine == NULL || r->fp == NULL)
		return true;
	ci = (struct fraud_call_info){
	    .dir = FRAUD_OUTBOUND,
	    .user = user,
	    .tenant = fraudpolicy_tenant_for(r->fp, user),
	    .e164 = number,
	    .cls = res->cls,
	    .rate = res->e164 ? rating_lookup(fraudpolicy_rates(r->fp), number)
	                      : NULL,
	    .origin = origin,
	};
	fraud_call_start(r->engine, &ci, now_s(), &d);
	report(r, &d.alerts, user, number);
	if (!d.allow) {
		*reason = d.text;
		return false;
	}
	*tag = d.call_id;
	return true;
}

void
fraudrun_call_event(
    struct fraudrun *r, uint64_t tag, bool ended, uint64_t talk_s)
{
	struct fraud_alerts as = {0};

	if (r->engine == NULL)
		return;
	if (!ended) {
		(void)fraud_call_answer(r->engine, tag, now_s());
		return;
	}
	if (fraud_call_end(r->engine, tag, talk_s, now_s(), NULL, &as) == 0)
		report(r, &as, SV(""), SV(""));
}

size_t
fraudrun_spend(struct fraudrun *r, struct fraud_spend *out, size_t max)
{
	if (r->engine == NULL)
		return 0;
	return fraud_export_spend(r->engine, now_s(), out, max);
}

int
fraudrun_projection(struct fraudrun *r, uint64_t tag, int64_t *cost)
{
	if (r->engine == NULL || tag == 0)
		return -ENOENT;
	return fraud_call_projection(r->engine, tag, cost);
}
