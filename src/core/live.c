/* Live supervision between the loop and other threads. See
 * core/live.h. */
#include "core/live.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

struct live_result {
	uint64_t seq; /* 0: free */
	int result;
};

struct live {
	pthread_mutex_t mu;
	pthread_cond_t done; /* an outcome arrived */
	struct live_snapshot *cur;
	int efd;
	/* Pending requests: a ring of LIVE_HANGUPS_MAX. */
	struct live_hangup req[LIVE_HANGUPS_MAX];
	size_t head, n;
	uint64_t next_seq;
	/* The latest outcomes, oldest overwritten first. */
	struct live_result res[LIVE_RESULTS_MAX];
	size_t res_next;
};

int
live_new(struct live **out)
{
	struct live *l = mem_calloc(1, sizeof(*l));
	pthread_condattr_t ca;

	if (l == NULL)
		return -ENOMEM;
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (l->efd < 0) {
		int err = -errno;

		free(l);
		return err;
	}
	pthread_mutex_init(&l->mu, NULL);
	/* Waits are measured on the monotonic clock: a change of the
	 * wall clock neither shortens nor stretches them. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&l->done, &ca);
	pthread_condattr_destroy(&ca);
	l->next_seq = 1;
	*out = l;
	return 0;
}

void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	if (l->cur != NULL)
		free(l->cur);
	close(l->efd);
	pthread_cond_destroy(&l->done);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

int
live_snapshot_new(
    struct live_snapshot **out, size_t calls, size_t trunks, size_t spend)
{
	size_t size = sizeof(struct live_snapshot);
	struct live_snapshot *s;
	char *p;

	/* Counts come from the loop's own tables; cap them anyway so the
	 * sum cannot wrap. */
	if (calls > (1u << 20) || trunks > (1u << 20) || spend > (1u << 20))
		return -ENOMEM;
	size += calls * sizeof(struct live_call) +
	        trunks * sizeof(struct live_trunk) +
	        spend * sizeof(struct live_spend);
	s = mem_calloc(1, size);
	if (s == NULL)
		return -ENOMEM;
	p = (char *)(s + 1);
	s->calls = (struct live_call *)(void *)p;
	p += calls * sizeof(struct live_call);
	s->trunks = (struct live_trunk *)(void *)p;
	p += trunks * sizeof(struct live_trunk);
	s->spend = (struct live_spend *)(void *)p;
	s->refs = 1;
	*out = s;
	return 0;
}

void
live_publish(struct live *l, struct live_snapshot *s)
{
	struct live_snapshot *old;
	bool last;

	pthread_mutex_lock(&l->mu);
	old = l->cur;
	l->cur = s;
	last = old != NULL && --old->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (last)
		free(old);
}

const struct live_snapshot *
live_snapshot_get(struct live *l)
{
	struct live_snapshot *s;

	pthread_mutex_lock(&l->mu);
	s = l->cur;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&l->mu);
	return s;
}

void
live_snapshot_put(struct live *l, const struct live_snapshot *cs)
{
	struct live_snapshot *s = (struct live_snapshot *)(uintptr_t)cs;
	bool last;

	if (s == NULL)
		return;
	if (l == NULL) {
		free(s);
		return;
	}
	pthread_mutex_lock(&l->mu);
	last = --s->refs == 0;
	pthread_mutex_unlock(&l->mu);
	if (last)
		free(s);
}

int
live_hangup_post(struct live *l, struct sv id, uint64_t *seq)
{
	struct live_hangup *r;
	uint64_t one = 1;
	ssize_t w;

	if (id.len == 0 || id.len > LIVE_ID_MAX || id.p == NULL ||
	    memchr(id.p, '\0', id.len) != NULL)
		return -EINVAL;
	pthread_mutex_lock(&l->mu);
	if (l->n == LIVE_HANGUPS_MAX) {
		pthread_mutex_unlock(&l->mu);
		return -EAGAIN;
	}
	r = &l->req[(l->head + l->n) % LIVE_HANGUPS_MAX];
	l->n++;
	r->seq = l->next_seq++;
	memcpy(r->id, id.p, id.len);
	r->id[id.len] = '\0';
	*seq = r->seq;
	pthread_mutex_unlock(&l->mu);
	/* A full counter (EAGAIN) already wakes the loop. */
	w = write(l->efd, &one, sizeof(one));
	(void)w;
	return 0;
}

int
live_hangup_fd(const struct live *l)
{
	return l->efd;
}

bool
live_hangup_next(struct live *l, struct live_hangup *out)
{
	uint64_t v;
	ssize_t r = read(l->efd, &v, sizeof(v));
	bool got = false;

	(void)r;
	pthread_mutex_lock(&l->mu);
	if (l->n > 0) {
		*out = l->req[l->head];
		l->head = (l->head + 1) % LIVE_HANGUPS_MAX;
		l->n--;
		got = true;
	}
	pthread_mutex_unlock(&l->mu);
	return got;
}

void
live_hangup_done(struct live *l, uint64_t seq, int result)
{
	pthread_mutex_lock(&l->mu);
	l->res[l->res_next] = (struct live_result){seq, result};
	l->res_next = (l->res_next + 1) % LIVE_RESULTS_MAX;
	pthread_cond_broadcast(&l->done);
	pthread_mutex_unlock(&l->mu);
}

/* The outcome of 'seq' when it arrived. Called with the mutex held. */
static bool
live_result_find(const struct live *l, uint64_t seq, int *result)
{
	for (size_t i = 0; i < LIVE_RESULTS_MAX; i++) {
		if (l->res[i].seq == seq) {
			*result = l->res[i].result;
			return true;
		}
	}
	return false;
}

int
live_hangup_wait(struct live *l, uint64_t seq, uint32_t timeout_ms, int *result)
{
	struct timespec due;
	int rc = 0;

	if (timeout_ms > LIVE_WAIT_MAX_MS)
		timeout_ms = LIVE_WAIT_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &due);
	due.tv_sec += (time_t)(timeout_ms / 1000u);
	due.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
	if (due.tv_nsec >= 1000000000L) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&l->mu);
	while (seq != 0 && !live_result_find(l, seq, result)) {
		if (pthread_cond_timedwait(&l->done, &l->mu, &due) ==
		    ETIMEDOUT) {
			rc = live_result_find(l, seq, result) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&l->mu);
	return seq == 0 ? -ETIMEDOUT : rc;
}
