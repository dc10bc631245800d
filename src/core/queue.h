/* A bounded single-producer single-consumer queue of pointers between two
 * threads, with an eventfd that wakes the consumer's loop.
 *
 * Exactly one producer thread calls queue_push() and exactly one consumer
 * thread calls queue_pop() and queue_drain_fd(); the two may be the same
 * thread. queue_new() and queue_free() run while neither side uses the
 * queue; queue_fd() and queue_capacity() may be called from any thread.
 *
 * A pushed message belongs to the consumer from the moment queue_push()
 * succeeds: the producer must not touch it again. The consumer checks its
 * type and size before use, since the producer may be a trust boundary.
 *
 * Waking: queue_push() writes the eventfd only when the consumer may
 * have seen the queue empty (the empty to non-empty transition), so a
 * busy queue costs no system call per message. The consumer therefore
 * watches queue_fd() for EPOLLIN and, when it fires, calls
 * queue_drain_fd() first and then queue_pop() until it returns NULL:
 *
 *	static void
 *	on_queue(struct loop *l, int fd, uint32_t events, void *arg)
 *	{
 *		struct queue *q = arg;
 *		void *msg;
 *
 *		queue_drain_fd(q);
 *		while ((msg = queue_pop(q)) != NULL)
 *			handle(msg);
 *	}
 *
 * Stopping before the queue is empty is allowed only if the consumer
 * comes back later on its own (no new wake-up is sent for messages that
 * were already queued). Nothing wakes the producer when room frees up:
 * on -EAGAIN it drops, retries later, or reports overload. */
#ifndef RP_CORE_QUEUE_H
#define RP_CORE_QUEUE_H

#include <stddef.h>

#include "core/compiler.h"

struct queue;

/* On success *out is a new empty queue holding up to capacity_pow2
 * messages (a power of two, at least 1); free it with queue_free().
 * Returns 0, -EINVAL, -ENOMEM or a negative errno from eventfd. */
int queue_new(struct queue **out, size_t capacity_pow2) RP_MUST_CHECK;
/* Frees the queue and closes its eventfd (NULL is fine). Messages still
 * queued are not freed: the consumer pops them first. */
void queue_free(struct queue *q);

/* Producer thread only. Appends msg (not NULL), whose ownership passes to
 * the consumer. Returns 0, -EAGAIN when the queue is full (msg stays the
 * caller's) or -EINVAL for a NULL msg. */
int queue_push(struct queue *q, void *msg) RP_MUST_CHECK;

/* Consumer thread only. Removes and returns the oldest message, now owned
 * by the caller, or NULL when the queue is empty. */
void *queue_pop(struct queue *q);
/* Consumer thread only. Resets the eventfd counter so the fd stops being
 * readable; call before the queue_pop() loop, never after it. */
void queue_drain_fd(struct queue *q);

/* The eventfd to watch for EPOLLIN; owned by the queue. */
int queue_fd(const struct queue *q);
size_t queue_capacity(const struct queue *q);

#endif
