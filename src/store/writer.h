/* The store writer: one thread that owns every database write.
 *
 * The signalling loop must never wait on the disk, so it posts writes as
 * jobs. The writer thread runs them in the order they were posted,
 * grouping the jobs pending at one time (up to WRITER_BATCH_MAX) in one
 * transaction: one commit, one sync, for many rows. Each job runs inside
 * its own savepoint, so its effects are all-or-nothing: a job that fails
 * is rolled back alone while the others of its batch commit. Completions
 * come back through a queue and an eventfd that the loop watches.
 *
 * Thread rules:
 * - writer_new(), writer_run_completions() and writer_free() run on one
 *   thread, the owner (the signalling loop's thread). Every done_cb runs
 *   there, inside writer_run_completions() or writer_free().
 * - writer_post() may be called from any thread, though completions
 *   still arrive on the owner's thread.
 * - Jobs run on the writer thread. From writer_new() until writer_free()
 *   returns, the db handle belongs to that thread: no other thread may
 *   touch it (readers open their own handle, see store/db.h).
 *
 * A job's return value: 0 commits its savepoint, any other value (a
 * negative errno) rolls it back. A job may nest db_tx_begin() levels but
 * must close every level it opens and must not run BEGIN, COMMIT,
 * ROLLBACK or SAVEPOINT statements itself. If the batch's commit fails,
 * every job of the batch that had succeeded completes with the commit's
 * error instead: nothing it wrote was kept. */
#ifndef RP_STORE_WRITER_H
#define RP_STORE_WRITER_H

#include "core/compiler.h"
#include "store/db.h"

/* Jobs per transaction, at most. Bounds how long readers see no new
 * rows and how much one failed commit takes with it. */
#define WRITER_BATCH_MAX 256

struct writer;

/* Runs on the writer thread with the db; returns 0 or a negative errno. */
typedef int (*writer_job_fn)(struct db *db, void *arg);
/* Runs on the owner's thread with the job's result. */
typedef void (*writer_done_cb)(void *done_arg, int rc);

/* Starts the writer thread on 'db', which the writer borrows until
 * writer_free() (the caller still closes it). On success *out is new.
 * Returns 0, -ENOMEM, or a negative errno from eventfd or thread
 * creation. */
int writer_new(struct writer **out, struct db *db) RP_MUST_CHECK;

/* Queues fn(db, arg) and, once it has run and its batch has committed
 * (or failed), done(done_arg, rc) on the owner's thread. 'done' may be
 * NULL. 'arg' and 'done_arg' are borrowed until the completion runs.
 * Returns 0, -ENOMEM (nothing queued, no completion will come) or
 * -ESHUTDOWN (writer_free() has begun). */
int writer_post(struct writer *w, writer_job_fn fn, void *arg,
    writer_done_cb done, void *done_arg) RP_MUST_CHECK;

/* An eventfd that becomes readable when completions are waiting: watch
 * it for EPOLLIN and call writer_run_completions(). */
int writer_completion_fd(const struct writer *w);

/* Delivers every waiting completion, in the order the jobs were posted.
 * Never blocks. A done callback may post new jobs. */
void writer_run_completions(struct writer *w);

/* Runs every job already posted, commits, joins the thread, delivers
 * the remaining completions and frees the writer (NULL is fine). The db
 * is left open, back in the caller's hands. */
void writer_free(struct writer *w);

#endif
