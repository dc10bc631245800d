/* The database handle: opening, schema migrations, transactions and a
 * small prepared-statement interface.
 *
 * This is the only store header that names the storage engine's
 * concepts, and it names no SQLite type: repositories (users, bindings,
 * ...) talk to the database only through the functions below, so a
 * second engine (PostgreSQL, for several nodes) means a second db.c,
 * not a rewrite of every repository. SQL texts stay portable: '?N'
 * placeholders, ON CONFLICT upserts, no engine-specific functions.
 *
 * Thread rules: a struct db is one connection. It may be used by one
 * thread at a time, never concurrently; hand it over with a
 * happens-before edge (thread start, join, a mutex). Once a store writer
 * owns it (store/writer.h), only jobs running on the writer thread touch
 * it until writer_free() returns. Threads that only read open their own
 * handle with db_open(); WAL mode lets readers run beside the writer.
 *
 * Errors are negative errno values: -ENOMEM, -EEXIST (a primary key or
 * unique constraint), -EINVAL (another constraint), -EBUSY (the database
 * stayed locked past DB_BUSY_TIMEOUT_MS), -ENOSPC, -EROFS, -E2BIG, -EIO
 * (I/O error, corruption, or a transaction the engine aborted). */
#ifndef RP_STORE_DB_H
#define RP_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

/* The file, inside the data directory. */
#define DB_FILE_NAME "rempart.db"
/* How long a statement waits for another connection's lock. */
#define DB_BUSY_TIMEOUT_MS 5000
/* The schema version this code writes (the number of migrations). */
#define DB_SCHEMA_VERSION 9

struct db;
struct db_stmt;

/* Opens DATA_DIR/rempart.db, creating the data directory (mode 0700) and
 * the file (mode 0600) if needed and tightening a file that is group or
 * world accessible. The connection runs in WAL mode with
 * synchronous=NORMAL (a committed transaction survives a crash of the
 * process, R-OPS-3), foreign keys on and a busy timeout. Pending schema
 * migrations are applied, each in its own transaction.
 * On success *out is a new handle; free it with db_close().
 * Returns 0, -ENOMEM, -ENAMETOOLONG, -EPROTO (the database was written by
 * a newer rempart: its schema version is above DB_SCHEMA_VERSION), or
 * another negative errno from the file system or the engine. Start-up
 * code; any thread. */
int db_open(struct db **out, const char *data_dir) RP_MUST_CHECK;

/* Closes the handle (NULL is fine). An open transaction is rolled back.
 * Every statement from db_prepare() must have been finished. */
void db_close(struct db *db);

/* The schema version recorded in the database. */
int db_schema_version(struct db *db, int64_t *out) RP_MUST_CHECK;

/* Transactions nest. The outermost db_tx_begin() starts a write
 * transaction (taking the write lock at once, so a read-then-write never
 * fails half-way on a lock); inner ones set a savepoint. db_tx_commit()
 * commits the outermost level or releases a savepoint; if that fails the
 * level is rolled back and the error returned. db_tx_rollback() undoes
 * everything since the matching db_tx_begin(). Every db_tx_begin() that
 * returned 0 must be matched by exactly one commit or rollback.
 * If the engine aborted the whole transaction (disk full, I/O error),
 * every later begin and commit inside it fails with -EIO until the
 * outermost level is closed. */
int db_tx_begin(struct db *db) RP_MUST_CHECK;
/* One write statement in its own transaction level: db_write_begin()
 * begins the level and prepares 'sql' (rolling back on failure);
 * db_write_end() steps and finishes 'st', stores the changed row count
 * in *changed (may be NULL), and commits, or rolls back on error, so a
 * failure never leaves a half-written row. Return 0 or a negative
 * errno. */
int db_write_begin(
    struct db *db, const char *sql, struct db_stmt **st) RP_MUST_CHECK;
int db_write_end(
    struct db *db, struct db_stmt *st, uint64_t *changed) RP_MUST_CHECK;
int db_tx_commit(struct db *db) RP_MUST_CHECK;
void db_tx_rollback(struct db *db);
/* A read transaction: the statements until db_read_end() all see one
 * snapshot of the database, without taking the write lock (WAL mode), so
 * a long read does not hold up the writer. Nothing may be written inside
 * it. Inside another transaction it only adds a level. Every
 * db_read_begin() that returned 0 must be matched by db_read_end(). */
int db_read_begin(struct db *db) RP_MUST_CHECK;
void db_read_end(struct db *db);
/* The number of open db_tx_begin() levels. */
unsigned db_tx_depth(const struct db *db);

/* Prepares 'sql' (one statement, placeholders ?1, ?2, ...). Statements
 * are cached per handle, keyed by their text, so preparing the same text
 * again is cheap; a statement still in use is prepared afresh, so
 * nested use is safe. On success *out stays valid until db_finish().
 * Returns 0, -ENOMEM, -EINVAL (bad SQL, a programming error) or another
 * negative errno. */
int db_prepare(
    struct db *db, const char *sql, struct db_stmt **out) RP_MUST_CHECK;
/* Resets the statement and gives it back (NULL is fine). */
void db_finish(struct db_stmt *st);

/* Binding: 'idx' counts from 1. Errors are sticky and reported by the
 * next db_step(), so a caller binds every value and checks once. The
 * bytes of a text or blob are not copied: they must stay valid until
 * db_finish(). An absent view (SV_NULL) binds SQL NULL; an empty one
 * binds an empty value. */
void db_bind_int64(struct db_stmt *st, int idx, int64_t v);
void db_bind_text(struct db_stmt *st, int idx, struct sv v);
void db_bind_blob(struct db_stmt *st, int idx, struct sv v);

#define DB_DONE 0
#define DB_ROW 1

/* Runs the statement one step: DB_ROW when a row is ready to read,
 * DB_DONE when the statement has finished, or a negative errno (see the
 * top of this file, plus the first binding error). */
int db_step(struct db_stmt *st) RP_MUST_CHECK;

/* Column values of the current row ('col' counts from 0). Views are
 * valid until the next db_step() or db_finish(); SQL NULL gives SV_NULL
 * or 0. */
int64_t db_col_int64(struct db_stmt *st, int col);
struct sv db_col_text(struct db_stmt *st, int col);
struct sv db_col_blob(struct db_stmt *st, int col);
bool db_col_is_null(struct db_stmt *st, int col);

/* Rows changed by the last INSERT, UPDATE or DELETE on this handle. */
uint64_t db_changes(struct db *db);

#endif
