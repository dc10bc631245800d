/* Unit tests for the single-producer single-consumer queue. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include <cmocka.h>

#include "core/loop.h"
#include "core/mem.h"
#include "core/queue.h"

/* Messages in these tests are small integers carried in the pointer. */
static void *
msg_of(uintptr_t n)
{
	return (void *)(n + 1);
}

static uintptr_t
num_of(void *msg)
{
	return (uintptr_t)msg - 1;
}

static bool
fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void
test_new_invalid(void **state)
{
	struct queue *q = NULL;

	(void)state;
	assert_int_equal(queue_new(&q, 0), -EINVAL);
	assert_int_equal(queue_new(&q, 3), -EINVAL);
	assert_int_equal(queue_new(&q, 1000), -EINVAL);
	assert_null(q);
	assert_int_equal(queue_new(&q, 1), 0);
	assert_int_equal(queue_capacity(q), 1);
	assert_int_equal(queue_push(q, msg_of(0)), 0);
	assert_int_equal(queue_push(q, msg_of(1)), -EAGAIN);
	assert_int_equal(num_of(queue_pop(q)), 0);
	assert_null(queue_pop(q));
	queue_free(q);
	queue_free(NULL);
}

static void
test_oom(void **state)
{
	struct queue *q = NULL;

	(void)state;
	mem_fail_nth(1);
	assert_int_equal(queue_new(&q, 8), -ENOMEM);
	mem_fail_nth(2);
	assert_int_equal(queue_new(&q, 8), -ENOMEM);
	mem_fail_nth(0);
	assert_null(q);
	assert_int_equal(queue_new(&q, 8), 0);
	queue_free(q);
}

static void
test_fifo_full(void **state)
{
	struct queue *q = NULL;

	(void)state;
	assert_int_equal(queue_new(&q, 8), 0);
	assert_int_equal(queue_capacity(q), 8);
	assert_null(queue_pop(q));
	assert_int_equal(queue_push(q, NULL), -EINVAL);
	/* Several rounds, so the indexes wrap around the ring. */
	for (uintptr_t round = 0; round < 5; round++) {
		for (uintptr_t i = 0; i < 8; i++)
			assert_int_equal(
			    queue_push(q, msg_of(round * 8 + i)), 0);
		assert_int_equal(queue_push(q, msg_of(99)), -EAGAIN);
		for (uintptr_t i = 0; i < 3; i++)
			assert_int_equal(num_of(queue_pop(q)), round * 8 + i);
		/* Room again after pops. */
		for (uintptr_t i = 0; i < 3; i++)
			assert_int_equal(queue_push(q, msg_of(1000 + i)), 0);
		assert_int_equal(queue_push(q, msg_of(99)), -EAGAIN);
		for (uintptr_t i = 3; i < 8; i++)
			assert_int_equal(num_of(queue_pop(q)), round * 8 + i);
		for (uintptr_t i = 0; i < 3; i++)
			assert_int_equal(num_of(queue_pop(q)), 1000 + i);
		assert_null(queue_pop(q));
	}
	queue_free(q);
}

static void
test_eventfd(void **state)
{
	struct queue *q = NULL;

	(void)state;
	assert_int_equal(queue_new(&q, 4), 0);
	assert_true(queue_fd(q) >= 0);
	assert_false(fd_readable(queue_fd(q)));
	assert_int_equal(queue_push(q, msg_of(1)), 0);
	assert_true(fd_readable(queue_fd(q)));
	assert_int_equal(queue_push(q, msg_of(2)), 0);
	queue_drain_fd(q);
	assert_false(fd_readable(queue_fd(q)));
	/* Draining an empty counter does not block. */
	queue_drain_fd(q);
	assert_int_equal(num_of(queue_pop(q)), 1);
	assert_int_equal(num_of(queue_pop(q)), 2);
	assert_null(queue_pop(q));
	/* The consumer saw the queue empty: the next push wakes it. */
	assert_int_equal(queue_push(q, msg_of(3)), 0);
	assert_true(fd_readable(queue_fd(q)));
	queue_drain_fd(q);
	assert_int_equal(num_of(queue_pop(q)), 3);
	queue_free(q);
}

/* Two threads: a producer pushes ITEMS numbers in order while the
 * consumer's loop, woken through queue_fd(), checks order and count. */
#define ITEMS 1000000u

struct consumer {
	struct queue *q;
	uintptr_t next;
	unsigned long wakeups;
};

static void *
producer_main(void *arg)
{
	struct queue *q = arg;

	for (uintptr_t i = 0; i < ITEMS; i++) {
		while (queue_push(q, msg_of(i)) == -EAGAIN)
			sched_yield();
	}
	return NULL;
}

static void
on_queue(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct consumer *c = arg;
	void *msg;

	(void)fd;
	(void)events;
	c->wakeups++;
	queue_drain_fd(c->q);
	while ((msg = queue_pop(c->q)) != NULL) {
		assert_int_equal(num_of(msg), c->next);
		c->next++;
	}
	if (c->next == ITEMS)
		loop_stop(l);
}

/* A lost wake-up would leave the consumer asleep for good: fail instead
 * of hanging until the test runner's timeout. */
static void
watchdog(struct loop *l, void *arg)
{
	const struct consumer *c = arg;

	(void)l;
	fail_msg(
	    "consumer stalled at %lu of %u", (unsigned long)c->next, ITEMS);
}

static void
test_two_threads(void **state)
{
	struct consumer c = {0};
	struct loop *l = NULL;
	struct loop_timer dog;
	pthread_t th;

	(void)state;
	assert_int_equal(queue_new(&c.q, 1024), 0);
	assert_int_equal(loop_new(&l, false), 0);
	assert_int_equal(
	    loop_add_fd(l, queue_fd(c.q), EPOLLIN, on_queue, &c), 0);
	loop_timer_init(&dog, watchdog, &c);
	assert_int_equal(loop_timer_start(l, &dog, 60000), 0);
	assert_int_equal(pthread_create(&th, NULL, producer_main, c.q), 0);
	assert_int_equal(loop_run(l), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(c.next, ITEMS);
	assert_null(queue_pop(c.q));
	assert_true(c.wakeups > 0);
	loop_timer_stop(l, &dog);
	loop_free(l);
	queue_free(c.q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_invalid),
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_fifo_full),
	    cmocka_unit_test(test_eventfd),
	    cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests_name("core_queue", tests, NULL, NULL);
}
