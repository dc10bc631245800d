/* The event loop: epoll for fds, a binary min-heap for timers, signalfd
 * for signals.
 *
 * Fd watches live in a table indexed by fd. Each slot carries a
 * generation that changes whenever the watch is removed; the epoll data
 * of a registration holds both the fd and the generation it was added
 * under, so an event already fetched in a batch for a watch that a
 * callback has since removed (or removed and added again) is dropped
 * instead of reaching the wrong callback.
 *
 * Timers are ordered by (due_ms, seq). A timer pass only fires timers
 * whose seq is below the value seq had when the pass began, so a timer
 * (re)started from a callback, even with a delay of 0, waits for the next
 * pass: a callback that keeps re-arming itself cannot starve fd events.
 * Because such a timer is due no earlier than the pass's time and carries
 * a larger seq than every timer started before the pass, it sorts after
 * all of them, and the pass can simply stop at the first one it meets.
 *
 * Time is read once per iteration, so every callback of an iteration
 * sees the same loop_now_ms(). A timer started outside any iteration
 * (set-up code) first refreshes the cached time, so its delay counts from
 * the real present rather than from the last iteration.
 *
 * loop_stop() sets a flag that loop_run() checks between iterations; it
 * is cleared when loop_run() returns, so a stop requested before
 * loop_run() (from a callback run by loop_run_once() or loop_advance())
 * makes the next loop_run() return at once. */
#include "core/loop.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"

/* Events fetched per epoll_wait call; more wait for the next iteration. */
#define LOOP_EVENTS_MAX 64
/* Callbacks slower than this are logged (STYLE.md: one loop). */
#define LOOP_SLOW_CB_NS (10ull * 1000 * 1000)
#define LOOP_HEAP_MIN 16
#define LOOP_FDS_MIN 16

struct loop_fd {
	loop_fd_cb cb;
	void *arg;
	uint32_t gen; /* changes on every removal */
	bool used;
};

struct loop_sig {
	struct loop_sig *next;
	int signo;
	int fd; /* signalfd for this one signal */
	loop_signal_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool manual;
	bool stop;
	bool in_iteration; /* inside loop_run_once(): keep now_ms cached */
	uint64_t now_ms;
	uint64_t next_seq;

	struct loop_fd *fds;
	size_t fds_len; /* slots allocated, indexed by fd */

	struct loop_timer **heap;
	size_t heap_len;
	size_t heap_cap;

	struct loop_sig *sigs;
};

/* The real monotonic clock, also used in manual mode to time callbacks. */
static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
update_now(struct loop *l)
{
	if (!l->manual)
		l->now_ms = mono_ns() / 1000000u;
}

static void
check_slow(const char *kind, int fd, uint64_t start_ns)
{
	uint64_t took = mono_ns() - start_ns;

	if (took > LOOP_SLOW_CB_NS)
		log_warn("loop", "msg=slow_callback kind=%s fd=%d ms=%llu",
		    kind, fd, (unsigned long long)(took / 1000000u));
}

static uint64_t
encode_data(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

int
loop_new(struct loop **out, bool manual_clock)
{
	struct loop *l;
	int err;

	l = mem_calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		err = -errno;
		free(l);
		return err;
	}
	l->manual = manual_clock;
	update_now(l);
	*out = l;
	return 0;
}

void
loop_free(struct loop *l)
{
	struct loop_sig *s, *next;

	if (l == NULL)
		return;
	/* The signals stay blocked: other threads may have inherited the
	 * mask, and unblocking a pending signal could kill the process. */
	for (s = l->sigs; s != NULL; s = next) {
		next = s->next;
		close(s->fd);
		free(s);
	}
	for (size_t i = 0; i < l->heap_len; i++)
		l->heap[i]->heap_index = SIZE_MAX;
	free(l->heap);
	free(l->fds);
	close(l->epfd);
	free(l);
}

/* Fd watches. */

static int
fds_reserve(struct loop *l, int fd)
{
	size_t need = (size_t)fd + 1, cap;
	struct loop_fd *p;

	if (need <= l->fds_len)
		return 0;
	cap = l->fds_len != 0 ? l->fds_len : LOOP_FDS_MIN;
	while (cap < need)
		cap *= 2;
	p = mem_realloc(l->fds, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	memset(p + l->fds_len, 0, (cap - l->fds_len) * sizeof(*p));
	l->fds = p;
	l->fds_len = cap;
	return 0;
}

static struct loop_fd *
fd_slot(const struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->fds_len || !l->fds[fd].used)
		return NULL;
	return &l->fds[fd];
}

int
loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event ev;
	struct loop_fd *slot;
	int err;

	if (fd < 0)
		return -EBADF;
	if (cb == NULL)
		return -EINVAL;
	if (fd_slot(l, fd) != NULL)
		return -EEXIST;
	err = fds_reserve(l, fd);
	if (err != 0)
		return err;
	slot = &l->fds[fd];
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = encode_data(fd, slot->gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0)
		return -errno;
	slot->cb = cb;
	slot->arg = arg;
	slot->used = true;
	return 0;
}

int
loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct loop_fd *slot = fd_slot(l, fd);
	struct epoll_event ev;

	if (slot == NULL)
		return -ENOENT;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.u64 = encode_data(fd, slot->gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
		return -errno;
	return 0;
}

void
loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd *slot = fd_slot(l, fd);

	if (slot == NULL)
		return;
	/* Fails harmlessly when fd was already closed: the kernel then
	 * dropped the registration itself. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	slot->cb = NULL;
	slot->arg = NULL;
	slot->used = false;
	slot->gen++;
}

/* Timers: a binary min-heap of pointers ordered by (due_ms, seq). */

static bool
timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->due_ms != b->due_ms)
		return a->due_ms < b->due_ms;
	return a->seq < b->seq;
}

static void
heap_place(struct loop *l, size_t i, struct loop_timer *t)
{
	l->heap[i] = t;
	t->heap_index = i;
}

static void
heap_up(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!timer_before(t, l->heap[parent]))
			break;
		heap_place(l, i, l->heap[parent]);
		i = parent;
	}
	heap_place(l, i, t);
}

static void
heap_down(struct loop *l, size_t i)
{
	struct loop_timer *t = l->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= l->heap_len)
			break;
		if (child + 1 < l->heap_len &&
		    timer_before(l->heap[child + 1], l->heap[child]))
			child++;
		if (!timer_before(l->heap[child], t))
			break;
		heap_place(l, i, l->heap[child]);
		i = child;
	}
	heap_place(l, i, t);
}

/* Restores the heap after the element at i changed its key. */
static void
heap_fix(struct loop *l, size_t i)
{
	if (i > 0 && timer_before(l->heap[i], l->heap[(i - 1) / 2]))
		heap_up(l, i);
	else
		heap_down(l, i);
}

static void
heap_remove(struct loop *l, struct loop_timer *t)
{
	size_t i = t->heap_index;
	struct loop_timer *last;

	l->heap_len--;
	t->heap_index = SIZE_MAX;
	if (i == l->heap_len)
		return;
	last = l->heap[l->heap_len];
	heap_place(l, i, last);
	heap_fix(l, i);
}

static int
heap_reserve(struct loop *l)
{
	struct loop_timer **p;
	size_t cap;

	if (l->heap_len < l->heap_cap)
		return 0;
	cap = l->heap_cap != 0 ? l->heap_cap : LOOP_HEAP_MIN;
	if (l->heap_cap != 0) {
		if (cap > SIZE_MAX / 2 / sizeof(*p))
			return -ENOMEM;
		cap *= 2;
	}
	p = mem_realloc(l->heap, cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	l->heap = p;
	l->heap_cap = cap;
	return 0;
}

void
loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg)
{
	t->due_ms = 0;
	t->heap_index = SIZE_MAX;
	t->seq = 0;
	t->cb = cb;
	t->arg = arg;
}

int
loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms)
{
	uint64_t due;
	int err;

	/* Outside an iteration the cached time may be old (set-up code run
	 * long after the last iteration): measure the delay from now. */
	if (!l->in_iteration)
		update_now(l);
	due = delay_ms > UINT64_MAX - l->now_ms ? UINT64_MAX
	                                        : l->now_ms + delay_ms;
	if (t->heap_index != SIZE_MAX) {
		/* Already queued: move it in place, which cannot fail. */
		t->due_ms = due;
		t->seq = l->next_seq++;
		heap_fix(l, t->heap_index);
		return 0;
	}
	err = heap_reserve(l);
	if (err != 0)
		return err;
	t->due_ms = due;
	t->seq = l->next_seq++;
	l->heap[l->heap_len] = t;
	t->heap_index = l->heap_len;
	l->heap_len++;
	heap_up(l, t->heap_index);
	return 0;
}

void
loop_timer_stop(struct loop *l, struct loop_timer *t)
{
	if (t->heap_index == SIZE_MAX)
		return;
	heap_remove(l, t);
}

bool
loop_timer_active(const struct loop_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

size_t
loop_timer_count(const struct loop *l)
{
	return l->heap_len;
}

/* Fires, in order, the timers due at or before the loop's current time
 * that were started before this pass began. Returns how many fired. */
static size_t
fire_timers(struct loop *l)
{
	uint64_t seq_limit = l->next_seq;
	size_t fired = 0;

	while (l->heap_len > 0) {
		struct loop_timer *t = l->heap[0];
		loop_timer_cb cb;
		void *arg;
		uint64_t start;

		if (t->due_ms > l->now_ms || t->seq >= seq_limit)
			break;
		heap_remove(l, t);
		/* The callback may free the object holding t. */
		cb = t->cb;
		arg = t->arg;
		start = mono_ns();
		cb(l, arg);
		check_slow("timer", -1, start);
		fired++;
	}
	return fired;
}

/* Signals. */

static void
on_signal_fd(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct loop_sig *s = arg;
	struct signalfd_siginfo si;

	(void)events;
	/* Standard signals coalesce, so one read is normally all there is;
	 * keep reading until the fd is empty anyway. */
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		s->cb(l, (int)si.ssi_signo, s->arg);
}

int
loop_on_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg)
{
	struct loop_sig *s;
	sigset_t set, old;
	int err;

	if (cb == NULL || signo <= 0 || signo >= NSIG)
		return -EINVAL;
	for (s = l->sigs; s != NULL; s = s->next)
		if (s->signo == signo)
			return -EEXIST;
	s = mem_calloc(1, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	s->signo = signo;
	s->cb = cb;
	s->arg = arg;
	s->fd = -1;
	sigemptyset(&set);
	if (sigaddset(&set, signo) != 0) {
		err = -EINVAL;
		goto fail;
	}
	err = -pthread_sigmask(SIG_BLOCK, &set, &old);
	if (err != 0)
		goto fail;
	s->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->fd < 0) {
		err = -errno;
		goto fail_mask;
	}
	err = loop_add_fd(l, s->fd, EPOLLIN, on_signal_fd, s);
	if (err != 0)
		goto fail_mask;
	s->next = l->sigs;
	l->sigs = s;
	return 0;
fail_mask:
	/* Nothing reads the signal: give back the caller's mask. */
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return err;
}

/* Time and running. */

uint64_t
loop_now_ms(const struct loop *l)
{
	return l->now_ms;
}

void
loop_advance(struct loop *l, uint64_t ms)
{
	uint64_t target;

	if (!l->manual)
		return;
	target = ms > UINT64_MAX - l->now_ms ? UINT64_MAX : l->now_ms + ms;
	/* Step from one due time to the next so that each callback sees
	 * loop_now_ms() equal to its own due time. Timers started by these
	 * callbacks fire in a later pass of the same call when due by the
	 * target, so one that always re-arms itself with delay 0 keeps this
	 * call from returning: in manual mode that is a test's own loop. */
	while (l->heap_len > 0 && l->heap[0]->due_ms <= target) {
		if (l->heap[0]->due_ms > l->now_ms)
			l->now_ms = l->heap[0]->due_ms;
		(void)fire_timers(l);
	}
	l->now_ms = target;
}

/* The epoll_wait timeout: the caller's, shortened to the next timer. */
static int
wait_timeout(const struct loop *l, int timeout_ms)
{
	uint64_t due, left;

	if (l->heap_len == 0)
		return timeout_ms;
	due = l->heap[0]->due_ms;
	if (due <= l->now_ms)
		return 0;
	if (l->manual)
		return timeout_ms; /* waiting never brings a timer due */
	left = due - l->now_ms;
	if (left > INT_MAX)
		left = INT_MAX;
	if (timeout_ms < 0 || (uint64_t)timeout_ms > left)
		return (int)left;
	return timeout_ms;
}

int
loop_run_once(struct loop *l, int timeout_ms)
{
	struct epoll_event evs[LOOP_EVENTS_MAX];
	size_t ran = 0;
	int n;

	l->in_iteration = true;
	update_now(l);
	n = epoll_wait(
	    l->epfd, evs, LOOP_EVENTS_MAX, wait_timeout(l, timeout_ms));
	if (n < 0) {
		if (errno != EINTR) {
			l->in_iteration = false;
			return -errno;
		}
		n = 0;
	}
	update_now(l);
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct loop_fd *slot = fd_slot(l, fd);
		uint64_t start;

		/* Removed, or removed and added again, earlier in the batch. */
		if (slot == NULL || slot->gen != gen)
			continue;
		start = mono_ns();
		slot->cb(l, fd, evs[i].events, slot->arg);
		check_slow("fd", fd, start);
		ran++;
	}
	ran += fire_timers(l);
	l->in_iteration = false;
	return ran > INT_MAX ? INT_MAX : (int)ran;
}

int
loop_run(struct loop *l)
{
	int err = 0;

	while (!l->stop) {
		int n = loop_run_once(l, -1);

		if (n < 0) {
			err = n;
			break;
		}
	}
	l->stop = false;
	return err;
}

void
loop_stop(struct loop *l)
{
	l->stop = true;
}
