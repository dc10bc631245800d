/* The store writer thread.
 *
 * Two lists, each behind its own mutex: pending jobs (owner and other
 * posters to the writer thread, with a condition variable to wake it)
 * and finished jobs (writer thread to the owner, with an eventfd to wake
 * the loop). A job node travels from one list to the other, so the
 * writer thread never allocates. Each side takes a whole list at once
 * under the lock and works on it unlocked. */
#include "store/writer.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"

struct writer_job {
	struct writer_job *next;
	writer_job_fn fn;
	void *arg;
	writer_done_cb done;
	void *done_arg;
	int rc;
};

struct writer {
	struct db *db; /* used by the writer thread only, until joined */
	pthread_t thread;
	int efd;

	pthread_mutex_t lock; /* guards head, tail, stopping */
	pthread_cond_t wake;
	struct writer_job *head, *tail;
	bool stopping;

	pthread_mutex_t done_lock; /* guards done_head, done_tail */
	struct writer_job *done_head, *done_tail;
};

/* Runs one job in its own savepoint. A job that leaves transaction
 * levels open has broken the contract; they are rolled back and the job
 * fails rather than leaking into the next job. */
static int
writer_run_job(struct writer *w, struct writer_job *j)
{
	unsigned depth;
	int rc;

	rc = db_tx_begin(w->db);
	if (rc != 0)
		return rc;
	depth = db_tx_depth(w->db);
	rc = j->fn(w->db, j->arg);
	assert(db_tx_depth(w->db) >= depth);
	if (db_tx_depth(w->db) > depth) {
		log_error("store", "msg=\"writer job left a transaction "
		                   "open\"");
		while (db_tx_depth(w->db) > depth)
			db_tx_rollback(w->db);
		if (rc == 0)
			rc = -EINVAL;
	}
	if (rc != 0) {
		db_tx_rollback(w->db);
		return rc;
	}
	return db_tx_commit(w->db);
}

/* Runs a batch in one transaction and stores each job's result. */
static void
writer_run_batch(struct writer *w, struct writer_job *batch)
{
	struct writer_job *j;
	int err;

	err = db_tx_begin(w->db);
	if (err != 0) {
		log_error("store",
		    "msg=\"writer cannot begin a transaction\" "
		    "errno=%d",
		    -err);
		for (j = batch; j != NULL; j = j->next)
			j->rc = err;
		return;
	}
	for (j = batch; j != NULL; j = j->next)
		j->rc = writer_run_job(w, j);
	err = db_tx_commit(w->db);
	if (err != 0) {
		log_error("store",
		    "msg=\"writer commit failed, batch lost\" "
		    "errno=%d",
		    -err);
		for (j = batch; j != NULL; j = j->next)
			if (j->rc == 0)
				j->rc = err;
	}
}

/* Hands a finished batch to the owner and wakes its loop. */
static void
writer_complete(
    struct writer *w, struct writer_job *first, struct writer_job *last)
{
	uint64_t one = 1;
	ssize_t n;

	pthread_mutex_lock(&w->done_lock);
	if (w->done_tail != NULL)
		w->done_tail->next = first;
	else
		w->done_head = first;
	w->done_tail = last;
	pthread_mutex_unlock(&w->done_lock);
	/* Cannot fail but for EINTR: the counter is reset on each read,
	 * far below its 2^64 - 2 limit. */
	do
		n = write(w->efd, &one, sizeof(one));
	while (n < 0 && errno == EINTR);
}

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct writer_job *first, *last;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->head == NULL) {
			/* Stopping, and every posted job has run. */
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		first = w->head;
		last = first;
		for (n = 1; n < WRITER_BATCH_MAX && last->next != NULL; n++)
			last = last->next;
		w->head = last->next;
		if (w->head == NULL)
			w->tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&w->lock);

		writer_run_batch(w, first);
		writer_complete(w, first, last);
	}
}

int
writer_new(struct writer **out, struct db *db)
{
	sigset_t all, old;
	struct writer *w;
	int err;

	assert(db_tx_depth(db) == 0);
	w = mem_calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->db = db;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0) {
		err = -errno;
		free(w);
		return err;
	}
	pthread_mutex_init(&w->lock, NULL);
	pthread_mutex_init(&w->done_lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	/* The thread starts with every signal blocked, so signals meant
	 * for the loop's signalfd are never taken by this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&w->thread, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
		log_error("store",
		    "msg=\"cannot start the writer thread\" "
		    "errno=%d",
		    -err);
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->done_lock);
		pthread_mutex_destroy(&w->lock);
		close(w->efd);
		free(w);
		return err;
	}
	pthread_setname_np(w->thread, "rp-store");
	*out = w;
	return 0;
}

int
writer_post(struct writer *w, writer_job_fn fn, void *arg, writer_done_cb done,
    void *done_arg)
{
	struct writer_job *j;
	bool was_empty;

	j = mem_alloc(sizeof(*j));
	if (j == NULL)
		return -ENOMEM;
	*j = (struct writer_job){NULL, fn, arg, done, done_arg, 0};
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		free(j);
		return -ESHUTDOWN;
	}
	was_empty = w->head == NULL;
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	/* The thread waits only when it found the list empty. */
	if (was_empty)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int
writer_completion_fd(const struct writer *w)
{
	return w->efd;
}

void
writer_run_completions(struct writer *w)
{
	struct writer_job *j, *next;
	uint64_t count;
	ssize_t n;

	/* Reset the eventfd first: completions queued after this point
	 * make it readable again, so none is left without a wake-up. */
	n = read(w->efd, &count, sizeof(count));
	(void)n; /* EAGAIN only means no wake-up was pending */
	pthread_mutex_lock(&w->done_lock);
	j = w->done_head;
	w->done_head = NULL;
	w->done_tail = NULL;
	pthread_mutex_unlock(&w->done_lock);
	for (; j != NULL; j = next) {
		next = j->next;
		if (j->done != NULL)
			j->done(j->done_arg, j->rc);
		free(j);
	}
}

void
writer_free(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	writer_run_completions(w);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->done_lock);
	pthread_mutex_destroy(&w->lock);
	close(w->efd);
	free(w);
}
