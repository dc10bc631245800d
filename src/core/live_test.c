/* Unit tests for live supervision: snapshots and hang-up requests
 * (R-OPS-1). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/live.h"
#include "core/mem.h"

static bool
fd_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void
test_oom(void **state)
{
	struct live *l = NULL;
	struct live_snapshot *s = NULL;

	(void)state;
	mem_fail_nth(1);
	assert_int_equal(live_new(&l), -ENOMEM);
	mem_fail_nth(1);
	assert_int_equal(live_snapshot_new(&s, 1, 1, 1), -ENOMEM);
	mem_fail_nth(0);
	assert_int_equal(live_snapshot_new(&s, 1u << 21, 0, 0), -ENOMEM);
}

static void
test_snapshot_refs(void **state)
{
	const struct live_snapshot *r1, *r2;
	struct live_snapshot *s;
	struct live *l;

	(void)state;
	assert_int_equal(live_new(&l), 0);
	assert_null(live_snapshot_get(l));
	assert_int_equal(live_snapshot_new(&s, 2, 1, 3), 0);
	/* The arrays sit in the block, apart from one another. */
	assert_ptr_equal((char *)s->trunks, (char *)(s->calls + 2));
	assert_ptr_equal((char *)s->spend, (char *)(s->trunks + 1));
	s->ncalls = 2;
	snprintf(s->calls[1].id, sizeof(s->calls[1].id), "abc");
	s->spend[2].day = 7;
	s->registrations = 4;
	live_publish(l, s);
	r1 = live_snapshot_get(l);
	assert_non_null(r1);
	assert_string_equal(r1->calls[1].id, "abc");
	/* A new publication leaves the reader's copy intact. */
	assert_int_equal(live_snapshot_new(&s, 0, 0, 0), 0);
	s->registrations = 5;
	live_publish(l, s);
	assert_int_equal(r1->registrations, 4);
	assert_int_equal(r1->spend[2].day, 7);
	r2 = live_snapshot_get(l);
	assert_int_equal(r2->registrations, 5);
	live_snapshot_put(l, r1);
	live_snapshot_put(l, r2);
	live_snapshot_put(l, NULL);
	/* One never published is freed at once. */
	assert_int_equal(live_snapshot_new(&s, 1, 0, 0), 0);
	live_snapshot_put(NULL, s);
	live_free(l);
	live_free(NULL);
}

static void
test_hangup_queue(void **state)
{
	struct live_hangup h;
	struct live *l;
	uint64_t seq[LIVE_HANGUPS_MAX + 1];
	char big[LIVE_ID_MAX + 2];
	int res;

	(void)state;
	assert_int_equal(live_new(&l), 0);
	assert_false(fd_readable(live_hangup_fd(l)));
	assert_false(live_hangup_next(l, &h));
	assert_int_equal(live_hangup_post(l, SV(""), &seq[0]), -EINVAL);
	memset(big, 'a', sizeof(big));
	assert_int_equal(
	    live_hangup_post(l, sv_make(big, LIVE_ID_MAX + 1), &seq[0]),
	    -EINVAL);
	assert_int_equal(
	    live_hangup_post(l, sv_make("a\0b", 3), &seq[0]), -EINVAL);
	for (unsigned i = 0; i < LIVE_HANGUPS_MAX; i++)
		assert_int_equal(
		    live_hangup_post(l, sv_make(big, LIVE_ID_MAX), &seq[i]), 0);
	/* Full: refused, never waiting. */
	assert_int_equal(
	    live_hangup_post(l, SV("x"), &seq[LIVE_HANGUPS_MAX]), -EAGAIN);
	assert_true(fd_readable(live_hangup_fd(l)));
	for (unsigned i = 0; i < LIVE_HANGUPS_MAX; i++) {
		assert_true(live_hangup_next(l, &h));
		assert_int_equal(h.seq, seq[i]);
		assert_int_equal(strlen(h.id), LIVE_ID_MAX);
	}
	assert_false(live_hangup_next(l, &h));
	assert_false(fd_readable(live_hangup_fd(l)));
	/* Outcomes: found, not found, and one that never came. */
	live_hangup_done(l, seq[0], 0);
	live_hangup_done(l, seq[1], -ENOENT);
	assert_int_equal(live_hangup_wait(l, seq[0], 10, &res), 0);
	assert_int_equal(res, 0);
	assert_int_equal(live_hangup_wait(l, seq[1], 10, &res), 0);
	assert_int_equal(res, -ENOENT);
	assert_int_equal(live_hangup_wait(l, seq[2], 20, &res), -ETIMEDOUT);
	assert_int_equal(live_hangup_wait(l, 0, 20, &res), -ETIMEDOUT);
	live_free(l);
}

struct loop_side {
	struct live *l;
	int handled;
};

/* Plays the loop: answers the one request it is woken for. */
static void *
loop_thread(void *arg)
{
	struct loop_side *ls = arg;
	struct pollfd p = {.fd = live_hangup_fd(ls->l), .events = POLLIN};
	struct live_hangup h;

	while (ls->handled == 0) {
		if (poll(&p, 1, 2000) != 1)
			break;
		while (live_hangup_next(ls->l, &h)) {
			live_hangup_done(ls->l, h.seq,
			    strcmp(h.id, "known") == 0 ? 0 : -ENOENT);
			ls->handled++;
		}
	}
	return NULL;
}

static void
test_two_threads(void **state)
{
	struct loop_side ls = {0};
	pthread_t t;
	uint64_t seq;
	int res = 1;

	(void)state;
	assert_int_equal(live_new(&ls.l), 0);
	assert_int_equal(pthread_create(&t, NULL, loop_thread, &ls), 0);
	assert_int_equal(live_hangup_post(ls.l, SV("known"), &seq), 0);
	assert_int_equal(live_hangup_wait(ls.l, seq, 60000, &res), 0);
	assert_int_equal(res, 0);
	pthread_join(t, NULL);
	assert_int_equal(ls.handled, 1);
	live_free(ls.l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oom),
	    cmocka_unit_test(test_snapshot_refs),
	    cmocka_unit_test(test_hangup_queue),
	    cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests_name("core_live", tests, NULL, NULL);
}
