/* The event loop: one epoll instance, timers in a min-heap, signals
 * through signalfd. The signalling thread owns one loop and all SIP state
 * hangs off it; callbacks run on that thread and must not block.
 *
 * Timers are intrusive (struct loop_timer lives in the caller's object),
 * so starting and stopping one costs O(log n) and never allocates: a
 * server with tens of thousands of transaction timers stays cheap.
 *
 * For tests, a loop can run on a manual clock: time moves only through
 * loop_advance(), which fires every timer that falls due, in order. */
#ifndef RP_CORE_LOOP_H
#define RP_CORE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"

struct loop;

/* 'events' are EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP bits. */
typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events,
    void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *arg);

struct loop_timer {
	uint64_t due_ms;   /* absolute, on the loop's clock */
	size_t heap_index; /* position in the heap; SIZE_MAX when idle */
	uint64_t seq;      /* start order: equal due times fire FIFO */
	loop_timer_cb cb;
	void *arg;
};

/* A new loop on the monotonic clock (manual_clock false) or on a manual
 * clock starting at 0 ms. Returns 0, -ENOMEM or a negative errno from
 * epoll_create1. */
int loop_new(struct loop **out, bool manual_clock) RP_MUST_CHECK;
/* Frees the loop (NULL is fine). Does not close watched fds. */
void loop_free(struct loop *l);

/* Watches fd for 'events'; the loop does not own fd. Returns 0,
 * -EEXIST, -ENOMEM or a negative errno from epoll_ctl. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
    void *arg) RP_MUST_CHECK;
int loop_mod_fd(struct loop *l, int fd, uint32_t events) RP_MUST_CHECK;
/* Stops watching fd; safe to call from that fd's own callback. */
void loop_del_fd(struct loop *l, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_cb cb, void *arg);
/* (Re)starts t to fire once, delay_ms from now. Returns 0 or -ENOMEM
 * (the heap could not grow). */
int loop_timer_start(struct loop *l, struct loop_timer *t, uint64_t delay_ms)
    RP_MUST_CHECK;
/* Stops t if it is running; a no-op otherwise. */
void loop_timer_stop(struct loop *l, struct loop_timer *t);
bool loop_timer_active(const struct loop_timer *t);
size_t loop_timer_count(const struct loop *l);

/* Calls cb on the loop thread when signo arrives (blocks the signal for
 * the calling thread and reads it through a signalfd). Call before
 * starting other threads so they inherit the blocked mask. */
int loop_on_signal(struct loop *l, int signo, loop_signal_cb cb, void *arg)
    RP_MUST_CHECK;

/* Current time of the loop's clock in ms (cached once per iteration). */
uint64_t loop_now_ms(const struct loop *l);
/* Manual clock only: moves time forward by ms, firing due timers. */
void loop_advance(struct loop *l, uint64_t ms);

/* Runs until loop_stop(). Returns 0 or a negative errno. */
int loop_run(struct loop *l) RP_MUST_CHECK;
/* One iteration: waits up to timeout_ms (-1: until the next timer or
 * event) and dispatches. Returns the number of callbacks run, or a
 * negative errno. */
int loop_run_once(struct loop *l, int timeout_ms) RP_MUST_CHECK;
void loop_stop(struct loop *l);

#endif
