/* The trunks at work. See pbx/trunkrun.h. */
#include "pbx/trunkrun.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "pbx/trunkhealth.h"
#include "pbx/trunkreg.h"
#include "store/trunks.h"

#define HOST_MAX 64 /* our address in Via and Contact */
#define PROBE_TIMEOUT_S 5u

/* One running trunk. */
struct running {
	char name[TRUNKS_NAME_MAX + 1];
	int64_t updated_at;         /* of the trunk it was started from */
	bool seen;                  /* still in the table at this sync */
	struct trunkreg *reg;       /* a registration trunk */
	struct trunkhealth *health; /* an IP trunk with probes */
	bool unprobed;              /* an IP trunk without probes */
	/* Its last failure since it was started, for the administrator;
	 * when, in ms since the epoch. */
	char error[TRUNKRUN_ERROR_MAX];
	int64_t error_ms;
};

struct trunkrun {
	struct trunkrun_config cfg;
	/* Each entry on its own: it is the callbacks' argument. */
	struct running **run;
	size_t n;
};

int
trunkrun_new(struct trunkrun **out, const struct trunkrun_config *cfg)
{
	struct trunkrun *r;

	if (cfg->loop == NULL || cfg->txn == NULL || cfg->local == NULL)
		return -EINVAL;
	r = mem_calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->cfg = *cfg;
	*out = r;
	return 0;
}

static void
running_stop(struct running *e, bool unregister)
{
	if (e->reg != NULL) {
		if (unregister &&
		    trunkreg_state(e->reg) == TRUNKREG_REGISTERED &&
		    trunkreg_unregister(e->reg) != 0)
			log_info("trunk",
			    "msg=\"unregistration not sent\" "
			    "trunk=%s",
			    e->name);
		trunkreg_free(e->reg);
	}
	trunkhealth_free(e->health);
	e->reg = NULL;
	e->health = NULL;
	e->unprobed = false;
}

void
trunkrun_free(struct trunkrun *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		running_stop(r->run[i], false);
		free(r->run[i]);
	}
	free(r->run);
	free(r);
}

static struct running *
find(const struct trunkrun *r, struct sv name)
{
	for (size_t i = 0; i < r->n; i++) {
		if (sv_eq(sv_cstr(r->run[i]->name), name))
			return r->run[i];
	}
	return NULL;
}

static void RP_PRINTF(2, 3) note_error(struct running *e, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(e->error, sizeof(e->error), fmt, ap);
	va_end(ap);
	e->error_ms = clock_gettime(CLOCK_REALTIME, &now) == 0
	                  ? (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000
	                  : 0;
}

static void
reg_state(void *arg, struct trunkreg *t, enum trunkreg_state state)
{
	struct running *e = arg;

	/* A status made up by the transaction layer says nothing more
	 * than "no answer". */
	if (state == TRUNKREG_FAILED &&
	    strcmp(trunkreg_last_failure(t), "no-answer") == 0)
		note_error(e, "registration failed: no answer");
	else if (state == TRUNKREG_FAILED)
		note_error(e, "registration failed: %s, status %u",
		    trunkreg_last_failure(t), trunkreg_last_status(t));
	if (state == TRUNKREG_REGISTERED)
		log_info("trunk", "msg=\"registered\" trunk=%s expires=%u",
		    e->name, trunkreg_granted_s(t));
	else if (state == TRUNKREG_FAILED)
		log_warn("trunk",
		    "msg=\"registration failed\" trunk=%s "
		    "status=%u failures=%u",
		    e->name, trunkreg_last_status(t), trunkreg_failures(t));
	else
		log_info("trunk", "msg=\"registration %s\" trunk=%s",
		    trunkreg_state_name(state), e->name);
}

static void
health_state(void *arg, struct trunkhealth *h, enum trunkhealth_state state)
{
	struct running *e = arg;

	if (state == TRUNKHEALTH_DOWN && trunkhealth_last_status(h) != 0)
		note_error(
		    e, "OPTIONS answered %u", trunkhealth_last_status(h));
	else if (state == TRUNKHEALTH_DOWN)
		note_error(e, "no answer to OPTIONS");
	if (state == TRUNKHEALTH_DOWN)
		log_warn("trunk", "msg=\"trunk down\" trunk=%s", e->name);
	else
		log_info("trunk", "msg=\"trunk %s\" trunk=%s status=%u",
		    trunkhealth_state_name(state), e->name,
		    trunkhealth_last_status(h));
}

/* The text of an optional stored field: SV_NULL when empty. */
static struct sv
opt_sv(const char *s)
{
	return s[0] != '\0' ? sv_cstr(s) : SV_NULL;
}

static int
start_reg(struct trunkrun *r, struct running *e, const struct trunkdir_trunk *t,
    const char *host, uint16_t port)
{
	char registrar[TRUNKDIR_URI_HOST_MAX + 8];
	struct trunkreg_config rc;
	int rv;

	if (t->secret[0] == '\0')
		return -ENOKEY;
	snprintf(registrar, sizeof(registrar), "%s:%u", t->uri_host, t->port);
	rc = (struct trunkreg_config){
	    .loop = r->cfg.loop,
	    .txn = r->cfg.txn,
	    .peer = t->peer,
	    .name = sv_cstr(t->name),
	    .registrar = sv_cstr(registrar),
	    .domain = sv_cstr(t->from_domain),
	    .user = sv_cstr(t->info.username),
	    .auth_user = opt_sv(t->info.auth_user),
	    .realm = opt_sv(t->info.realm),
	    .password = sv_cstr(t->secret),
	    .local_host = sv_cstr(host),
	    .local_port = port,
	    .expires_s = t->info.expires_s,
	    .retry_min_s = r->cfg.retry_min_s,
	    .on_state = reg_state,
	    .arg = e,
	};
	rv = trunkreg_new(&e->reg, &rc);
	if (rv == 0)
		rv = trunkreg_start(e->reg);
	return rv;
}

static int
start_health(struct trunkrun *r, struct running *e,
    const struct trunkdir_trunk *t, const char *host, uint16_t port)
{
	char target[TRUNKDIR_URI_HOST_MAX + 8];
	struct trunkhealth_config hc;
	int rv;

	if (r->cfg.check_interval_s == 0) {
		e->unprobed = true;
		return 0;
	}
	snprintf(target, sizeof(target), "%s:%u", t->uri_host, t->port);
	hc = (struct trunkhealth_config){
	    .loop = r->cfg.loop,
	    .txn = r->cfg.txn,
	    .peer = t->peer,
	    .name = sv_cstr(t->name),
	    .target = sv_cstr(target),
	    .local_host = sv_cstr(host),
	    .local_port = port,
	    .interval_s = r->cfg.check_interval_s,
	    /* An operator that takes longer than this to answer an
	     * OPTIONS is as good as down; never longer than the interval. */
	    .timeout_ms = r->cfg.check_interval_s < PROBE_TIMEOUT_S
	                      ? r->cfg.check_interval_s * 1000u
	                      : PROBE_TIMEOUT_S * 1000u,
	    .on_state = health_state,
	    .arg = e,
	};
	rv = trunkhealth_new(&e->health, &hc);
	if (rv == 0)
		rv = trunkhealth_start(e->health);
	return rv;
}

/* Starts trunk t in e (empty). Failures are logged; e stays stopped. */
static void
start(struct trunkrun *r, struct running *e, const struct trunkdir_trunk *t)
{
	char host[HOST_MAX];
	uint16_t port = 0;
	int rv;

	snprintf(e->name, sizeof(e->name), "%s", t->name);
	e->updated_at = t->info.updated_at;
	if (!t->usable) {
		note_error(e, "not started: host not resolved");
		log_warn("trunk",
		    "msg=\"trunk not started: host not "
		    "resolved\" trunk=%s",
		    t->name);
		return;
	}
	rv = r->cfg.local(r->cfg.ctx, &t->peer, host, sizeof(host), &port);
	if (rv == 0)
		rv = t->info.kind == TRUNK_KIND_REGISTER
		         ? start_reg(r, e, t, host, port)
		         : start_health(r, e, t, host, port);
	if (rv != 0) {
		if (rv == -ENOKEY)
			note_error(e, "not started: no secret set");
		else
			note_error(e, "not started: %s", strerror(-rv));
		log_warn("trunk", "msg=\"trunk not started\" trunk=%s err=%d",
		    t->name, rv);
		running_stop(e, false);
	}
}

void
trunkrun_sync(struct trunkrun *r, const struct trunkdir *d)
{
	size_t n = d != NULL ? trunkdir_trunks(d) : 0;
	struct running **next = NULL;
	size_t m = 0;

	if (n > 0) {
		next = mem_calloc(n, sizeof(*next));
		if (next == NULL) {
			log_error("trunk", "msg=\"trunks not followed: out of "
			                   "memory\"");
			return;
		}
	}
	for (size_t i = 0; i < r->n; i++)
		r->run[i]->seen = false;
	for (size_t i = 0; i < n; i++) {
		const struct trunkdir_trunk *t = trunkdir_trunk_at(d, i);
		struct running *e = find(r, sv_cstr(t->name));

		/* Unchanged, and running unless it cannot run yet (a host
		 * name resolved since counts as a change). */
		if (e != NULL && e->updated_at == t->info.updated_at &&
		    (e->reg != NULL || e->health != NULL || e->unprobed ||
		        !t->usable)) {
			/* Unchanged: it keeps running. */
			e->seen = true;
			next[m++] = e;
			continue;
		}
		e = mem_calloc(1, sizeof(*e));
		if (e == NULL) {
			log_error("trunk",
			    "msg=\"trunk not started: out of "
			    "memory\" trunk=%s",
			    t->name);
			continue;
		}
		start(r, e, t);
		next[m++] = e;
	}
	for (size_t i = 0; i < r->n; i++) {
		if (!r->run[i]->seen) {
			running_stop(r->run[i], true);
			free(r->run[i]);
		}
	}
	free(r->run);
	r->run = next;
	r->n = m;
}

bool
trunkrun_usable(const struct trunkrun *r, struct sv name)
{
	const struct running *e = r != NULL ? find(r, name) : NULL;

	if (e == NULL)
		return false;
	if (e->reg != NULL)
		return trunkreg_state(e->reg) == TRUNKREG_REGISTERED;
	if (e->health != NULL)
		return trunkhealth_state(e->health) != TRUNKHEALTH_DOWN;
	return e->unprobed;
}

const char *
trunkrun_state(const struct trunkrun *r, struct sv name)
{
	const struct running *e = r != NULL ? find(r, name) : NULL;

	if (e == NULL)
		return "stopped";
	if (e->reg != NULL)
		return trunkreg_state_name(trunkreg_state(e->reg));
	if (e->health != NULL)
		return trunkhealth_state_name(trunkhealth_state(e->health));
	return e->unprobed ? "unprobed" : "stopped";
}

const char *
trunkrun_last_error(const struct trunkrun *r, struct sv name, int64_t *at_ms)
{
	const struct running *e = r != NULL ? find(r, name) : NULL;

	*at_ms = e != NULL ? e->error_ms : 0;
	return e != NULL ? e->error : "";
}
