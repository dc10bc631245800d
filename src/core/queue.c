/* Single-producer single-consumer ring of pointers with an eventfd.
 *
 * 'tail' counts pushes and is written only by the producer; 'head' counts
 * pops and is written only by the consumer. Both run freely and are
 * reduced modulo the capacity to index the ring, so tail - head is the
 * number of queued messages even after they wrap. The producer publishes
 * a slot with a release store of tail, which the consumer's acquire load
 * pairs with; the consumer frees a slot the same way through head.
 *
 * Wake-ups: after publishing message number t, the producer reads head
 * again; if it equals t, the consumer had taken every earlier message and
 * may be about to sleep, so the producer writes the eventfd. The reverse
 * case, in which the producer reads an old head (no write) while the
 * consumer reads an old tail (sees empty and sleeps), is the classic
 * store-then-load race that acquire/release alone does not rule out. A
 * seq_cst fence on each side, between its own store and its load of the
 * other index, does: at least one of the two loads then sees the other
 * side's store. The consumer pays for its fence only when it finds the
 * queue empty. */
#include "core/queue.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/mem.h"

/* Keeps head and tail on separate cache lines so that the two threads do
 * not invalidate each other's line on every operation. */
#define QUEUE_CACHE_LINE 64

struct queue {
	atomic_size_t head; /* pops so far; written by the consumer */
	char pad_head[QUEUE_CACHE_LINE - sizeof(atomic_size_t)];
	atomic_size_t tail; /* pushes so far; written by the producer */
	char pad_tail[QUEUE_CACHE_LINE - sizeof(atomic_size_t)];
	size_t mask; /* capacity - 1 */
	int efd;
	void **slots;
};

int
queue_new(struct queue **out, size_t capacity_pow2)
{
	struct queue *q;
	int err;

	if (capacity_pow2 == 0 || (capacity_pow2 & (capacity_pow2 - 1)) != 0)
		return -EINVAL;
	q = mem_calloc(1, sizeof(*q));
	if (q == NULL)
		return -ENOMEM;
	q->efd = -1;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	q->mask = capacity_pow2 - 1;
	q->slots = mem_calloc(capacity_pow2, sizeof(*q->slots));
	if (q->slots == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0) {
		err = -errno;
		goto fail;
	}
	*out = q;
	return 0;
fail:
	queue_free(q);
	return err;
}

void
queue_free(struct queue *q)
{
	if (q == NULL)
		return;
	if (q->efd >= 0)
		close(q->efd);
	free(q->slots);
	free(q);
}

static void
wake(struct queue *q)
{
	uint64_t one = 1;

	/* Fails only if the counter would overflow, which the consumer's
	 * drain prevents; a readable fd is all that matters then anyway. */
	(void)!write(q->efd, &one, sizeof(one));
}

int
queue_push(struct queue *q, void *msg)
{
	size_t t, h;

	if (msg == NULL)
		return -EINVAL;
	t = atomic_load_explicit(&q->tail, memory_order_relaxed);
	h = atomic_load_explicit(&q->head, memory_order_acquire);
	if (t - h > q->mask)
		return -EAGAIN;
	q->slots[t & q->mask] = msg;
	atomic_store_explicit(&q->tail, t + 1, memory_order_release);
	atomic_thread_fence(memory_order_seq_cst);
	h = atomic_load_explicit(&q->head, memory_order_relaxed);
	if (h == t)
		wake(q);
	return 0;
}

void *
queue_pop(struct queue *q)
{
	size_t h, t;
	void *msg;

	h = atomic_load_explicit(&q->head, memory_order_relaxed);
	t = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (h == t) {
		/* Before reporting empty, order our last head store before
		 * this second look at tail; see the comment at the top. */
		atomic_thread_fence(memory_order_seq_cst);
		t = atomic_load_explicit(&q->tail, memory_order_acquire);
		if (h == t)
			return NULL;
	}
	msg = q->slots[h & q->mask];
	atomic_store_explicit(&q->head, h + 1, memory_order_release);
	return msg;
}

void
queue_drain_fd(struct queue *q)
{
	uint64_t count;

	/* Non-blocking: -EAGAIN just means nothing was pending. */
	(void)!read(q->efd, &count, sizeof(count));
}

int
queue_fd(const struct queue *q)
{
	return q->efd;
}

size_t
queue_capacity(const struct queue *q)
{
	return q->mask + 1;
}
