/* Unit tests for the event loop: timers, fds, signals, stop, OOM. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/mem.h"

/* A record of fired timers shared by the callbacks of one test. */
#define REC_MAX 64

struct rec {
	struct loop *l;
	int ids[REC_MAX];
	uint64_t at[REC_MAX];
	size_t n;
};

struct tmr {
	struct loop_timer t;
	struct rec *rec;
	int id;
	int restarts;       /* times to restart itself */
	uint64_t delay_ms;  /* for self restarts */
	struct tmr *victim; /* stopped or restarted by this one */
	uint64_t victim_delay;
	bool victim_restart;
	bool stop_self_after; /* restart then stop itself */
};

static void
tmr_cb(struct loop *l, void *arg)
{
	struct tmr *m = arg;
	struct rec *r = m->rec;

	assert_true(r->n < REC_MAX);
	assert_false(loop_timer_active(&m->t));
	r->ids[r->n] = m->id;
	r->at[r->n] = loop_now_ms(l);
	r->n++;
	if (m->victim != NULL) {
		if (m->victim_restart)
			assert_int_equal(
			    loop_timer_start(l, &m->victim->t, m->victim_delay),
			    0);
		else
			loop_timer_stop(l, &m->victim->t);
	}
	if (m->restarts > 0) {
		m->restarts--;
		assert_int_equal(loop_timer_start(l, &m->t, m->delay_ms), 0);
		assert_true(loop_timer_active(&m->t));
		if (m->stop_self_after) {
			loop_timer_stop(l, &m->t);
			assert_false(loop_timer_active(&m->t));
		}
	}
}

static void
tmr_init(struct tmr *m, struct rec *r, int id)
{
	memset(m, 0, sizeof(*m));
	m->rec = r;
	m->id = id;
	loop_timer_init(&m->t, tmr_cb, m);
}

static struct loop *
new_loop(bool manual)
{
	struct loop *l = NULL;

	assert_int_equal(loop_new(&l, manual), 0);
	assert_non_null(l);
	return l;
}

static void
test_order_and_fifo(void **state)
{
	struct loop *l = new_loop(true);
	struct rec r = {.l = l};
	struct tmr m[6];
	static const uint64_t delays[6] = {30, 10, 20, 10, 0, 10};
	static const int want[6] = {4, 1, 3, 5, 2, 0};

	(void)state;
	for (int i = 0; i < 6; i++) {
		tmr_init(&m[i], &r, i);
		assert_false(loop_timer_active(&m[i].t));
		assert_int_equal(loop_timer_start(l, &m[i].t, delays[i]), 0);
		assert_true(loop_timer_active(&m[i].t));
	}
	assert_int_equal(loop_timer_count(l), 6);
	loop_advance(l, 100);
	assert_int_equal(r.n, 6);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(r.ids[i], want[i]);
		assert_int_equal(r.at[i], delays[want[i]]);
		assert_false(loop_timer_active(&m[i].t));
	}
	assert_int_equal(loop_timer_count(l), 0);
	assert_int_equal(loop_now_ms(l), 100);
	loop_free(l);
}

static void
test_restart_moves_to_back(void **state)
{
	struct loop *l = new_loop(true);
	struct rec r = {.l = l};
	struct tmr a, b;

	(void)state;
	tmr_init(&a, &r, 1);
	tmr_init(&b, &r, 2);
	assert_int_equal(loop_timer_start(l, &a.t, 5), 0);
	assert_int_equal(loop_timer_start(l, &b.t, 5), 0);
	/* Restarting an active timer neither duplicates nor keeps its place
	 * among equal due times. */
	assert_int_equal(loop_timer_start(l, &a.t, 5), 0);
	assert_int_equal(loop_timer_count(l), 2);
	loop_advance(l, 5);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[0], 2);
	assert_int_equal(r.ids[1], 1);
	/* Stopping an idle timer is a no-op. */
	loop_timer_stop(l, &a.t);
	assert_int_equal(loop_timer_count(l), 0);
	loop_free(l);
}

static void
test_manual_clock(void **state)
{
	struct loop *l = new_loop(true);
	struct rec r = {.l = l};
	struct tmr a, b;

	(void)state;
	assert_int_equal(loop_now_ms(l), 0);
	tmr_init(&a, &r, 1);
	tmr_init(&b, &r, 2);
	assert_int_equal(loop_timer_start(l, &a.t, 10), 0);
	loop_advance(l, 9);
	assert_int_equal(r.n, 0);
	assert_int_equal(loop_now_ms(l), 9);
	/* Started at 9: due at 12. */
	assert_int_equal(loop_timer_start(l, &b.t, 3), 0);
	loop_advance(l, 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.at[0], 10);
	assert_int_equal(loop_now_ms(l), 10);
	loop_advance(l, 0);
	assert_int_equal(r.n, 1);
	loop_advance(l, 50);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.ids[1], 2);
	assert_int_equal(r.at[1], 12);
	assert_int_equal(loop_now_ms(l), 60);
	/* A periodic timer: each firing sees its own due time, and restarts
	 * made during loop_advance fire in the same advance when due. */
	a.restarts = 3;
	a.delay_ms = 7;
	assert_int_equal(loop_timer_start(l, &a.t, 7), 0);
	loop_advance(l, 100);
	assert_int_equal(r.n, 6);
	assert_int_equal(r.at[2], 67);
	assert_int_equal(r.at[3], 74);
	assert_int_equal(r.at[4], 81);
	assert_int_equal(r.at[5], 88);
	assert_int_equal(loop_now_ms(l), 160);
	/* Huge delays saturate instead of wrapping. */
	assert_int_equal(loop_timer_start(l, &a.t, UINT64_MAX), 0);
	loop_advance(l, 1000);
	assert_int_equal(r.n, 6);
	assert_true(loop_timer_active(&a.t));
	loop_free(l);
	/* loop_free leaves timers idle. */
	assert_false(loop_timer_active(&a.t));
}

static void
test_stop_restart_in_callbacks(void **state)
{
	struct loop *l = new_loop(true);
	struct rec r = {.l = l};
	struct tmr a, b, c, d, e;

	(void)state;
	tmr_init(&a, &r, 1);
	tmr_init(&b, &r, 2);
	tmr_init(&c, &r, 3);
	tmr_init(&d, &r, 4);
	tmr_init(&e, &r, 5);
	/* a (due 10) stops b, also due at 10 and queued after a. */
	a.victim = &b;
	/* c (due 20) pushes d from 20 to 50. */
	c.victim = &d;
	c.victim_restart = true;
	c.victim_delay = 30;
	/* e (due 20) restarts itself, then stops itself. */
	e.restarts = 1;
	e.delay_ms = 1;
	e.stop_self_after = true;
	assert_int_equal(loop_timer_start(l, &a.t, 10), 0);
	assert_int_equal(loop_timer_start(l, &b.t, 10), 0);
	assert_int_equal(loop_timer_start(l, &c.t, 20), 0);
	assert_int_equal(loop_timer_start(l, &d.t, 20), 0);
	assert_int_equal(loop_timer_start(l, &e.t, 20), 0);
	loop_advance(l, 100);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.ids[0], 1);
	assert_int_equal(r.ids[1], 3);
	assert_int_equal(r.ids[2], 5);
	assert_int_equal(r.ids[3], 4);
	assert_int_equal(r.at[3], 50);
	assert_false(loop_timer_active(&b.t));
	assert_false(loop_timer_active(&e.t));
	assert_int_equal(loop_timer_count(l), 0);
	loop_free(l);
}

/* A timer restarted with delay 0 from its callback waits for the next
 * iteration instead of spinning inside this one. */
static void
test_zero_delay_next_iteration(void **state)
{
	struct loop *l;
	struct rec r;
	struct tmr a;

	(void)state;
	for (int manual = 0; manual < 2; manual++) {
		l = new_loop(manual != 0);
		memset(&r, 0, sizeof(r));
		r.l = l;
		tmr_init(&a, &r, 1);
		a.restarts = 1000;
		assert_int_equal(loop_timer_start(l, &a.t, 0), 0);
		assert_int_equal(loop_run_once(l, 0), 1);
		assert_int_equal(r.n, 1);
		assert_true(loop_timer_active(&a.t));
		assert_int_equal(loop_run_once(l, 0), 1);
		assert_int_equal(r.n, 2);
		loop_timer_stop(l, &a.t);
		assert_int_equal(loop_run_once(l, 0), 0);
		assert_int_equal(r.n, 2);
		loop_free(l);
	}
}

/* Reference model check: random starts, stops and advances over 10,000
 * timers, compared with a plain array sorted on demand. */
#define MODEL_N 10000

struct model_timer {
	struct loop_timer t;
	struct model *m;
	size_t id;
	bool active;
	uint64_t due;
	uint64_t seq;
};

struct model {
	struct model_timer *tm;
	uint64_t seq;
	size_t active;
	size_t *fired; /* ids in firing order during one advance */
	uint64_t *fired_at;
	size_t n_fired;
	struct loop *l;
};

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void
model_cb(struct loop *l, void *arg)
{
	struct model_timer *mt = arg;
	struct model *m = mt->m;

	assert_true(m->n_fired < MODEL_N);
	m->fired[m->n_fired] = mt->id;
	m->fired_at[m->n_fired] = loop_now_ms(l);
	m->n_fired++;
}

/* A due timer of the model, sorted into the expected firing order. */
struct model_key {
	uint64_t due;
	uint64_t seq;
	size_t id;
};

static int
key_cmp(const void *pa, const void *pb)
{
	const struct model_key *a = pa, *b = pb;

	if (a->due != b->due)
		return a->due < b->due ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

static void
model_advance(struct model *m, struct model_key *keys, uint64_t ms)
{
	uint64_t target = loop_now_ms(m->l) + ms;
	size_t n = 0;

	for (size_t i = 0; i < MODEL_N; i++) {
		struct model_timer *mt = &m->tm[i];

		if (mt->active && mt->due <= target) {
			keys[n].due = mt->due;
			keys[n].seq = mt->seq;
			keys[n].id = i;
			n++;
			mt->active = false;
		}
	}
	qsort(keys, n, sizeof(*keys), key_cmp);
	m->n_fired = 0;
	loop_advance(m->l, ms);
	assert_int_equal(m->n_fired, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(m->fired[i], keys[i].id);
		assert_int_equal(m->fired_at[i], keys[i].due);
	}
	m->active -= n;
	assert_int_equal(loop_now_ms(m->l), target);
}

static void
test_random_against_model(void **state)
{
	struct model m;
	struct model_key *keys;
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.l = new_loop(true);
	m.tm = calloc(MODEL_N, sizeof(*m.tm));
	m.fired = calloc(MODEL_N, sizeof(*m.fired));
	m.fired_at = calloc(MODEL_N, sizeof(*m.fired_at));
	keys = calloc(MODEL_N, sizeof(*keys));
	assert_non_null(m.tm);
	assert_non_null(m.fired);
	assert_non_null(m.fired_at);
	assert_non_null(keys);
	for (size_t i = 0; i < MODEL_N; i++) {
		m.tm[i].m = &m;
		m.tm[i].id = i;
		loop_timer_init(&m.tm[i].t, model_cb, &m.tm[i]);
	}
	for (int op = 0; op < 200000; op++) {
		uint64_t x = rng_next(&rng);
		size_t id = (size_t)(x >> 16) % MODEL_N;
		struct model_timer *mt = &m.tm[id];
		unsigned kind = (unsigned)(x & 1023);

		if (kind < 600) {
			uint64_t delay = (x >> 40) % 1000;

			assert_int_equal(
			    loop_timer_start(m.l, &mt->t, delay), 0);
			if (!mt->active)
				m.active++;
			mt->active = true;
			mt->due = loop_now_ms(m.l) + delay;
			mt->seq = m.seq++;
		} else if (kind < 1008) {
			loop_timer_stop(m.l, &mt->t);
			if (mt->active)
				m.active--;
			mt->active = false;
		} else {
			model_advance(&m, keys, (x >> 40) % 50);
		}
		assert_int_equal(loop_timer_active(&mt->t), mt->active);
		assert_int_equal(loop_timer_count(m.l), m.active);
	}
	model_advance(&m, keys, 2000);
	assert_int_equal(loop_timer_count(m.l), 0);
	loop_free(m.l);
	free(keys);
	free(m.fired_at);
	free(m.fired);
	free(m.tm);
}

/* Fd watches. */

struct fd_state {
	struct loop *l;
	int fds[2]; /* read ends of two pipes */
	int calls[2];
	int late_calls;
	int late_fd;
	bool del_self;
	bool del_other;
	bool readd_other;
	uint32_t events;
};

static int
fd_index(const struct fd_state *s, int fd)
{
	return fd == s->fds[0] ? 0 : 1;
}

static void
late_cb(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct fd_state *s = arg;

	(void)l;
	(void)events;
	s->late_calls++;
	s->late_fd = fd;
}

static void
fd_cb(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct fd_state *s = arg;
	int i = fd_index(s, fd);
	int other = s->fds[1 - i];

	s->calls[i]++;
	s->events = events;
	if (s->del_self)
		loop_del_fd(l, fd);
	if (s->del_other) {
		loop_del_fd(l, other);
		if (s->readd_other)
			assert_int_equal(
			    loop_add_fd(l, other, EPOLLIN, late_cb, s), 0);
	}
}

static void
make_pipes(int rd[2], int wr[2])
{
	int p[2];

	for (int i = 0; i < 2; i++) {
		assert_int_equal(pipe(p), 0);
		rd[i] = p[0];
		wr[i] = p[1];
		assert_int_equal(write(wr[i], "x", 1), 1);
	}
}

static void
close_pipes(int rd[2], int wr[2])
{
	for (int i = 0; i < 2; i++) {
		close(rd[i]);
		close(wr[i]);
	}
}

static void
test_fd_readable(void **state)
{
	struct loop *l = new_loop(false);
	struct fd_state s;
	int sv[2];
	char c;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s.fds[0] = sv[0];
	s.fds[1] = -1;
	assert_int_equal(loop_add_fd(l, sv[0], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_add_fd(l, sv[0], EPOLLIN, fd_cb, &s), -EEXIST);
	assert_int_equal(loop_add_fd(l, -1, EPOLLIN, fd_cb, &s), -EBADF);
	assert_int_equal(loop_mod_fd(l, sv[1], EPOLLIN), -ENOENT);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls[0], 0);
	assert_int_equal(write(sv[1], "a", 1), 1);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.calls[0], 1);
	assert_true((s.events & EPOLLIN) != 0);
	assert_int_equal(read(sv[0], &c, 1), 1);
	/* Writable: switch the watch to EPOLLOUT. */
	assert_int_equal(loop_mod_fd(l, sv[0], EPOLLOUT), 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_true((s.events & EPOLLOUT) != 0);
	/* A deleted fd is silent and can be added again. */
	loop_del_fd(l, sv[0]);
	loop_del_fd(l, sv[0]);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(s.calls[0], 2);
	assert_int_equal(loop_add_fd(l, sv[0], EPOLLOUT, fd_cb, &s), 0);
	assert_int_equal(loop_run_once(l, 0), 1);
	loop_free(l);
	close(sv[0]);
	close(sv[1]);
}

static void
test_fd_del_in_batch(void **state)
{
	struct loop *l = new_loop(false);
	struct fd_state s;
	int wr[2];

	(void)state;
	memset(&s, 0, sizeof(s));
	make_pipes(s.fds, wr);
	/* Whichever callback runs first removes the other fd, whose event
	 * is already in the same batch and must not be delivered. */
	s.del_other = true;
	assert_int_equal(loop_add_fd(l, s.fds[0], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_add_fd(l, s.fds[1], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.calls[0] + s.calls[1], 1);
	s.del_other = false;
	assert_int_equal(loop_run_once(l, 0), 1);
	assert_int_equal(s.calls[0] + s.calls[1], 2);
	loop_free(l);
	close_pipes(s.fds, wr);
}

static void
test_fd_readd_in_batch(void **state)
{
	struct loop *l = new_loop(false);
	struct fd_state s;
	int wr[2];
	int first;

	(void)state;
	memset(&s, 0, sizeof(s));
	make_pipes(s.fds, wr);
	/* The other fd is removed and added again with a new callback: its
	 * stale event in this batch reaches neither callback. */
	s.del_other = true;
	s.readd_other = true;
	assert_int_equal(loop_add_fd(l, s.fds[0], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_add_fd(l, s.fds[1], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.calls[0] + s.calls[1], 1);
	assert_int_equal(s.late_calls, 0);
	first = s.calls[0] == 1 ? 0 : 1;
	loop_del_fd(l, s.fds[first]);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.late_calls, 1);
	assert_int_equal(s.late_fd, s.fds[1 - first]);
	loop_free(l);
	close_pipes(s.fds, wr);
}

static void
test_fd_del_self(void **state)
{
	struct loop *l = new_loop(false);
	struct fd_state s;
	int wr[2];

	(void)state;
	memset(&s, 0, sizeof(s));
	make_pipes(s.fds, wr);
	s.del_self = true;
	assert_int_equal(loop_add_fd(l, s.fds[0], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_add_fd(l, s.fds[1], EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_run_once(l, 1000), 2);
	assert_int_equal(s.calls[0], 1);
	assert_int_equal(s.calls[1], 1);
	assert_int_equal(loop_run_once(l, 0), 0);
	loop_free(l);
	close_pipes(s.fds, wr);
}

/* A high fd number makes the fd table grow past its first size. */
static void
test_fd_high_number(void **state)
{
	struct loop *l = new_loop(false);
	struct fd_state s;
	int wr[2], high;

	(void)state;
	memset(&s, 0, sizeof(s));
	make_pipes(s.fds, wr);
	high = dup2(s.fds[0], 200);
	assert_int_equal(high, 200);
	s.fds[0] = high;
	assert_int_equal(loop_add_fd(l, high, EPOLLIN, fd_cb, &s), 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.calls[0], 1);
	loop_free(l);
	close(high);
	close_pipes(s.fds, wr);
}

/* Signals, stop, run. */

struct sig_state {
	int calls;
	int signo;
	bool stop;
};

static void
sig_cb(struct loop *l, int signo, void *arg)
{
	struct sig_state *s = arg;

	s->calls++;
	s->signo = signo;
	if (s->stop)
		loop_stop(l);
}

static void
test_signal(void **state)
{
	struct loop *l = new_loop(false);
	struct sig_state s = {0};

	(void)state;
	assert_int_equal(loop_on_signal(l, SIGUSR1, sig_cb, &s), 0);
	assert_int_equal(loop_on_signal(l, SIGUSR1, sig_cb, &s), -EEXIST);
	assert_int_equal(loop_on_signal(l, 0, sig_cb, &s), -EINVAL);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_run_once(l, 1000), 1);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.signo, SIGUSR1);
	/* A signal callback can stop loop_run. */
	s.stop = true;
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(s.calls, 2);
	loop_free(l);
}

static void
stop_cb(struct loop *l, void *arg)
{
	int *calls = arg;

	(*calls)++;
	loop_stop(l);
}

static void
test_run_stop(void **state)
{
	struct loop *l = new_loop(false);
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 30 * 1000 * 1000};
	struct loop_timer t;
	uint64_t t0;
	int calls = 0;

	(void)state;
	loop_timer_init(&t, stop_cb, &calls);
	/* Started outside an iteration, a delay counts from the real time,
	 * not from the time cached by the last iteration. */
	t0 = loop_now_ms(l);
	nanosleep(&pause, NULL);
	assert_int_equal(loop_timer_start(l, &t, 20), 0);
	assert_true(t.due_ms >= t0 + 30 + 20);
	assert_int_equal(loop_run_once(l, 0), 0);
	assert_int_equal(calls, 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(calls, 1);
	assert_true(loop_now_ms(l) >= t.due_ms);
	/* A stop before loop_run makes it return at once. */
	loop_stop(l);
	assert_int_equal(loop_run(l), 0);
	loop_free(l);
}

static void
slow_cb(struct loop *l, void *arg)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 15 * 1000 * 1000};

	(void)l;
	(void)arg;
	nanosleep(&ts, NULL);
}

static void
test_slow_callback_logged(void **state)
{
	struct loop *l = new_loop(true);
	struct loop_timer t;
	char line[512];
	bool found = false;
	FILE *f;

	(void)state;
	f = tmpfile();
	assert_non_null(f);
	log_setup(f, LOG_INFO, false);
	loop_timer_init(&t, slow_cb, NULL);
	assert_int_equal(loop_timer_start(l, &t, 1), 0);
	loop_advance(l, 1);
	log_setup(NULL, LOG_INFO, false);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "msg=slow_callback kind=timer") != NULL)
			found = true;
	assert_true(found);
	fclose(f);
	loop_free(l);
}

/* Out of memory. */

static void
noop_timer(struct loop *l, void *arg)
{
	(void)l;
	(void)arg;
}

static void
test_oom(void **state)
{
	struct loop *l = NULL;
	struct loop_timer t[17];
	struct sig_state s = {0};
	struct fd_state fs;
	int wr[2];

	(void)state;
	mem_fail_nth(1);
	assert_int_equal(loop_new(&l, true), -ENOMEM);
	assert_null(l);
	l = new_loop(true);
	for (size_t i = 0; i < RP_ARRAY_LEN(t); i++)
		loop_timer_init(&t[i], noop_timer, NULL);
	/* First heap allocation. */
	mem_fail_nth(1);
	assert_int_equal(loop_timer_start(l, &t[0], 5), -ENOMEM);
	assert_false(loop_timer_active(&t[0]));
	assert_int_equal(loop_timer_count(l), 0);
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(loop_timer_start(l, &t[i], i), 0);
	/* Heap growth past its first 16 slots. */
	mem_fail_nth(1);
	assert_int_equal(loop_timer_start(l, &t[16], 0), -ENOMEM);
	assert_false(loop_timer_active(&t[16]));
	assert_int_equal(loop_timer_count(l), 16);
	/* Restarting a queued timer needs no memory. */
	mem_fail_nth(1);
	assert_int_equal(loop_timer_start(l, &t[3], 100), 0);
	mem_fail_nth(0);
	assert_int_equal(loop_timer_start(l, &t[16], 0), 0);
	assert_int_equal(loop_timer_count(l), 17);
	/* The loop is intact: all fire in order. */
	loop_advance(l, 200);
	assert_int_equal(loop_timer_count(l), 0);
	/* Fd table. */
	memset(&fs, 0, sizeof(fs));
	make_pipes(fs.fds, wr);
	mem_fail_nth(1);
	assert_int_equal(
	    loop_add_fd(l, fs.fds[0], EPOLLIN, fd_cb, &fs), -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(loop_add_fd(l, fs.fds[0], EPOLLIN, fd_cb, &fs), 0);
	/* Signal watch record. */
	mem_fail_nth(1);
	assert_int_equal(loop_on_signal(l, SIGUSR2, sig_cb, &s), -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(loop_on_signal(l, SIGUSR2, sig_cb, &s), 0);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(loop_run_once(l, 1000) >= 1, 1);
	assert_int_equal(s.calls, 1);
	loop_free(l);
	close_pipes(fs.fds, wr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_fifo),
	    cmocka_unit_test(test_restart_moves_to_back),
	    cmocka_unit_test(test_manual_clock),
	    cmocka_unit_test(test_stop_restart_in_callbacks),
	    cmocka_unit_test(test_zero_delay_next_iteration),
	    cmocka_unit_test(test_random_against_model),
	    cmocka_unit_test(test_fd_readable),
	    cmocka_unit_test(test_fd_del_in_batch),
	    cmocka_unit_test(test_fd_readd_in_batch),
	    cmocka_unit_test(test_fd_del_self),
	    cmocka_unit_test(test_fd_high_number),
	    cmocka_unit_test(test_signal),
	    cmocka_unit_test(test_run_stop),
	    cmocka_unit_test(test_slow_callback_logged),
	    cmocka_unit_test(test_oom),
	};

	return cmocka_run_group_tests_name("core_loop", tests, NULL, NULL);
}
