/* The SQLite engine behind store/db.h. */
#include "store/db.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/log.h"
#include "core/mem.h"

/* Enough for every distinct statement of the repositories; past it a
 * statement is prepared and finalized each time, which is only slower. */
#define DB_STMT_CACHE 32

struct db_stmt {
	struct db *db;
	sqlite3_stmt *s;
	int err; /* first binding error, reported by db_step() */
	bool cached;
	bool in_use;
};

struct db {
	sqlite3 *h;
	unsigned depth; /* open db_tx_begin() levels */
	struct db_stmt cache[DB_STMT_CACHE];
};

/* Created before any migration, so the version can be read and bumped
 * inside each migration's own transaction. The single row (id 1) holds
 * the number of migrations applied. */
static const char db_version_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),"
    " version INTEGER NOT NULL);"
    "INSERT INTO schema_version (id, version) VALUES (1, 0)"
    " ON CONFLICT DO NOTHING;";

/* Migration N (counting from 1) is db_migrations[N - 1]. Append only:
 * never edit a migration that has shipped; add the next one instead.
 * Key columns are NOT NULL because SQLite, unlike the SQL standard,
 * accepts NULL in a non-integer primary key. users.ha1_* hold sealed
 * HA1s (store/keys.h), never plaintext. bindings.source is the
 * "transport:ip:port" the REGISTER came from. */
static const char *const db_migrations[] = {
    "CREATE TABLE users ("
    " ext TEXT PRIMARY KEY NOT NULL,"
    " display_name TEXT NOT NULL,"
    " ha1_md5 BLOB NOT NULL,"
    " ha1_sha256 BLOB NOT NULL,"
    " enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE bindings ("
    " aor TEXT NOT NULL,"
    " contact TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " q INTEGER NOT NULL,"
    " call_id TEXT NOT NULL,"
    " cseq INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " user_agent TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (aor, contact));"
    "CREATE INDEX bindings_expires_at ON bindings (expires_at);"
    "CREATE TABLE settings ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value TEXT);",
    /* 2: bans of offending sources (R-NET-2), kept across restarts
     * (R-OPS-3). addr is a normalised address or network
     * (store/bans.h); until is in seconds since the epoch, 0 for a
     * permanent ban; count is how many times the source was banned, for
     * the escalation; source is 'auto' (the guard) or 'admin'. */
    "CREATE TABLE bans ("
    " addr TEXT PRIMARY KEY NOT NULL,"
    " until INTEGER NOT NULL CHECK (until >= 0),"
    " count INTEGER NOT NULL CHECK (count >= 1),"
    " reason TEXT NOT NULL,"
    " source TEXT NOT NULL CHECK (source IN ('auto', 'admin')),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX bans_until ON bans (until);",
    /* 3: per-user media and access settings (store/users.h) and call
     * detail records (store/cdr.h). codecs and acl hold comma-separated
     * normalised lists, empty for "any". Times are milliseconds since
     * the epoch; answer_ms is NULL for a call never answered. */
    "ALTER TABLE users ADD COLUMN srtp TEXT NOT NULL DEFAULT 'optional'"
    " CHECK (srtp IN ('optional', 'required'));"
    "ALTER TABLE users ADD COLUMN codecs TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE users ADD COLUMN acl TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE cdrs ("
    " id INTEGER PRIMARY KEY,"
    " call_id TEXT NOT NULL,"
    " caller_ext TEXT NOT NULL,"
    " caller_number TEXT NOT NULL,"
    " dialed TEXT NOT NULL,"
    " callee TEXT NOT NULL,"
    " start_ms INTEGER NOT NULL,"
    " answer_ms INTEGER,"
    " end_ms INTEGER NOT NULL,"
    " duration_ms INTEGER NOT NULL,"
    " disposition TEXT NOT NULL CHECK (disposition IN ('answered',"
    " 'busy', 'no_answer', 'failed', 'cancelled', 'denied')),"
    " sip_code INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),"
    " media_encrypted INTEGER NOT NULL CHECK (media_encrypted IN (0, 1)),"
    " rtp_packets INTEGER NOT NULL DEFAULT 0,"
    " rtp_lost INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX cdrs_start_ms ON cdrs (start_ms);"
    "CREATE INDEX cdrs_caller_ext_start_ms ON cdrs (caller_ext, start_ms);",
    /* 4: the audit log (R-ADMIN-4, store/audit.h). Entries are only
     * appended, in sequence; the triggers refuse any other write so a
     * bug or a hand-typed statement cannot rewrite history (someone who
     * can drop them is caught by the keyed hash chain instead). The one
     * deletion allowed is retention's: entries up to the anchor, which
     * must first be moved forward onto an existing entry, so the chain
     * stays verifiable from the anchor. */
    "CREATE TABLE audit ("
    " seq INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),"
    " at_ms INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " object TEXT NOT NULL,"
    " before TEXT NOT NULL,"
    " after TEXT NOT NULL,"
    " prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32));"
    "CREATE INDEX audit_at_ms ON audit (at_ms);"
    "CREATE TABLE audit_anchor ("
    " id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),"
    " seq INTEGER NOT NULL CHECK (seq >= 1),"
    " at_ms INTEGER NOT NULL,"
    " hash BLOB NOT NULL CHECK (length(hash) = 32),"
    " mac BLOB NOT NULL CHECK (length(mac) = 32));"
    "CREATE TRIGGER audit_append_only BEFORE INSERT ON audit"
    " WHEN NEW.seq IS NOT COALESCE((SELECT MAX(seq) FROM audit),"
    " (SELECT seq FROM audit_anchor WHERE id = 1), 0) + 1"
    " BEGIN SELECT RAISE(ABORT, 'audit entries are appended in sequence');"
    " END;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " WHEN OLD.seq > COALESCE((SELECT seq FROM audit_anchor WHERE id = 1), 0)"
    " BEGIN SELECT RAISE(ABORT,"
    " 'audit entries are removed only by retention, up to the anchor');"
    " END;"
    "CREATE TRIGGER audit_anchor_insert BEFORE INSERT ON audit_anchor"
    " WHEN NOT EXISTS (SELECT 1 FROM audit"
    " WHERE seq = NEW.seq AND hash = NEW.hash)"
    " BEGIN SELECT RAISE(ABORT,"
    " 'the audit anchor must name an existing entry'); END;"
    "CREATE TRIGGER audit_anchor_update BEFORE UPDATE ON audit_anchor"
    " WHEN NEW.id IS NOT OLD.id OR NEW.seq <= OLD.seq OR NOT EXISTS"
    " (SELECT 1 FROM audit WHERE seq = NEW.seq AND hash = NEW.hash)"
    " BEGIN SELECT RAISE(ABORT,"
    " 'the audit anchor only moves forward, onto an existing entry');"
    " END;"
    "CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor"
    " BEGIN SELECT RAISE(ABORT, 'the audit anchor cannot be removed');"
    " END;",
    /* 5: operator trunks, outbound routes and inbound numbers
     * (store/trunks.h), and each user's alternate destination and
     * outbound number (store/users.h). trunks.secret is sealed under the
     * master key, bound to the trunk's name, and NULL when the trunk has
     * none. An IP trunk has no registration to tell its traffic apart,
     * so its allowed networks (acl) must not be empty. routes.trunks is
     * an ordered comma-separated list of trunk names; dids.ext must name
     * a user. */
    "CREATE TABLE trunks ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('register', 'ip')),"
    " transport TEXT NOT NULL CHECK (transport IN ('udp', 'tcp', 'tls')),"
    " host TEXT NOT NULL CHECK (host <> ''),"
    " port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),"
    " username TEXT NOT NULL DEFAULT '',"
    " auth_user TEXT NOT NULL DEFAULT '',"
    " secret BLOB,"
    " realm TEXT NOT NULL DEFAULT '',"
    " from_domain TEXT NOT NULL DEFAULT '',"
    " acl TEXT NOT NULL DEFAULT '',"
    " channels INTEGER NOT NULL CHECK (channels BETWEEN 1 AND 10000),"
    " codecs TEXT NOT NULL DEFAULT '',"
    " outbound_cid TEXT NOT NULL DEFAULT '',"
    " expires INTEGER NOT NULL CHECK (expires BETWEEN 60 AND 3600),"
    " enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " CHECK (kind = 'register' OR acl <> ''));"
    "CREATE TABLE routes ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " pattern TEXT NOT NULL CHECK (pattern <> ''),"
    " priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 1000000),"
    " strip INTEGER NOT NULL DEFAULT 0 CHECK (strip BETWEEN 0 AND 20),"
    " prepend TEXT NOT NULL DEFAULT '',"
    " trunks TEXT NOT NULL CHECK (trunks <> ''),"
    " enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE dids ("
    " number TEXT PRIMARY KEY NOT NULL,"
    " ext TEXT NOT NULL REFERENCES users (ext),"
    " alternate TEXT NOT NULL DEFAULT '',"
    " ring_timeout_s INTEGER NOT NULL"
    " CHECK (ring_timeout_s BETWEEN 5 AND 300),"
    " enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX dids_ext ON dids (ext);"
    "ALTER TABLE users ADD COLUMN alternate TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE users ADD COLUMN outbound_number TEXT NOT NULL"
    " DEFAULT '';",
    /* 6: API keys of the administration API (admin/apikeys.h): only a
     * keyed hash of each secret is kept. */
    "CREATE TABLE api_keys ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " role TEXT NOT NULL"
    "  CHECK (role IN ('admin','auditor','helpdesk','user')),"
    " ext TEXT NOT NULL DEFAULT '',"
    " hash BLOB NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " last_used_at INTEGER NOT NULL DEFAULT 0,"
    " revoked INTEGER NOT NULL DEFAULT 0);",
    /* 7: anti-fraud configuration (store/fraudcfg.h; R-FRAUD-1,
     * R-FRAUD-2, R-FRAUD-3, R-FRAUD-5). A rights profile lists the
     * destination classes it always allows ('classes') and those it
     * allows only inside its weekly window ('window_classes', window_days
     * a Monday-first bit mask, start and end in minutes since midnight),
     * both comma-separated class names in class order, and its allow and
     * deny prefix lists ('+' and digits, comma-separated). users.profile
     * is NULL for the system default, held in settings
     * 'fraud.default_profile'. Rates are one row per E.164 prefix, money
     * in micro-units. A ceiling or block of scope 'global' has the name
     * ''; until = 0 is a block lifted only by an admin, and lifted_at,
     * when not 0, says when an admin lifted it (kept so that a daemon
     * lifts the block it holds in memory on reload). fraud_rules holds
     * the rules an admin changed (the others keep the engine's
     * defaults); the other fraud options are 'fraud.*' settings. Premium
     * and high-risk are in no seeded profile. */
    "CREATE TABLE rights_profiles ("
    " name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
    " classes TEXT NOT NULL DEFAULT '',"
    " window_classes TEXT NOT NULL DEFAULT '',"
    " window_days INTEGER NOT NULL DEFAULT 0"
    "  CHECK (window_days BETWEEN 0 AND 127),"
    " window_start INTEGER NOT NULL DEFAULT 0"
    "  CHECK (window_start BETWEEN 0 AND 1440),"
    " window_end INTEGER NOT NULL DEFAULT 0"
    "  CHECK (window_end BETWEEN 0 AND 1440),"
    " allow TEXT NOT NULL DEFAULT '',"
    " deny TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " CHECK (window_classes = '' OR window_days <> 0));"
    "INSERT INTO rights_profiles (name, classes, created_at, updated_at)"
    " VALUES ('lobby', 'internal,emergency', 0, 0),"
    " ('staff', 'internal,emergency,local,national,mobile,special', 0, 0),"
    " ('international', 'internal,emergency,local,national,mobile,"
    "international,special', 0, 0);"
    "INSERT INTO settings (key, value)"
    " VALUES ('fraud.default_profile', 'staff');"
    "ALTER TABLE users ADD COLUMN profile TEXT"
    " REFERENCES rights_profiles (name);"
    "CREATE INDEX users_profile ON users (profile);"
    "CREATE TABLE rates ("
    " prefix TEXT PRIMARY KEY NOT NULL"
    "  CHECK (substr(prefix, 1, 1) = '+' AND length(prefix) <= 16),"
    " per_min INTEGER NOT NULL CHECK (per_min BETWEEN 0 AND 1000000000),"
    " setup INTEGER NOT NULL CHECK (setup BETWEEN 0 AND 1000000000),"
    " first_s INTEGER NOT NULL CHECK (first_s BETWEEN 0 AND 3600),"
    " incr_s INTEGER NOT NULL CHECK (incr_s BETWEEN 1 AND 3600),"
    " label TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE fraud_ceilings ("
    " scope TEXT NOT NULL CHECK (scope IN ('user', 'global')),"
    " name TEXT NOT NULL,"
    " hourly INTEGER NOT NULL CHECK (hourly >= 0),"
    " daily INTEGER NOT NULL CHECK (daily >= 0),"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (scope, name),"
    " CHECK ((scope = 'global') = (name = '')));"
    "CREATE TABLE fraud_blocks ("
    " scope TEXT NOT NULL CHECK (scope IN ('user', 'global')),"
    " name TEXT NOT NULL,"
    " rule TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " since INTEGER NOT NULL CHECK (since >= 0),"
    " until INTEGER NOT NULL CHECK (until >= 0),"
    " lifted_at INTEGER NOT NULL DEFAULT 0 CHECK (lifted_at >= 0),"
    " PRIMARY KEY (scope, name),"
    " CHECK ((scope = 'global') = (name = '')));"
    "CREATE TABLE fraud_rules ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " mode TEXT NOT NULL CHECK (mode IN ('off', 'alert', 'deny', 'block')),"
    " count INTEGER NOT NULL CHECK (count >= 0),"
    " window_s INTEGER NOT NULL CHECK (window_s >= 0),"
    " updated_at INTEGER NOT NULL);",
    /* 8: administrator accounts and their sessions (store/admins.h;
     * R-ADMIN-1, R-AUTH-2, R-AUTH-6). pw_hash is an argon2id string
     * (crypto_pwhash_str); totp_secret is sealed (store/keys.h), NULL
     * until enrolment starts; totp_last_step is the last time step
     * accepted, so a code is never accepted twice. failed_count and
     * failed_since are the current failure window, lock_count the locks
     * since the last good login (each doubles the next). A session is
     * kept by the SHA-256 of its token only. */
    "CREATE TABLE admins ("
    " name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
    " role TEXT NOT NULL"
    "  CHECK (role IN ('admin','auditor','helpdesk','user')),"
    " ext TEXT NOT NULL DEFAULT '',"
    " pw_hash TEXT NOT NULL,"
    " password_changed_at INTEGER NOT NULL,"
    " totp_secret BLOB,"
    " totp_enrolled INTEGER NOT NULL DEFAULT 0"
    "  CHECK (totp_enrolled IN (0, 1)),"
    " totp_last_step INTEGER NOT NULL DEFAULT 0,"
    " failed_count INTEGER NOT NULL DEFAULT 0 CHECK (failed_count >= 0),"
    " failed_since INTEGER NOT NULL DEFAULT 0,"
    " locked_until INTEGER NOT NULL DEFAULT 0,"
    " lock_count INTEGER NOT NULL DEFAULT 0 CHECK (lock_count >= 0),"
    " last_login INTEGER NOT NULL DEFAULT 0,"
    " disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " CHECK ((role = 'user') = (ext <> '')));"
    "CREATE TABLE admin_sessions ("
    " id_hash BLOB PRIMARY KEY NOT NULL CHECK (length(id_hash) = 32),"
    " account TEXT NOT NULL REFERENCES admins (name) ON DELETE CASCADE,"
    " created_at INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " csrf TEXT NOT NULL);"
    "CREATE INDEX admin_sessions_account ON admin_sessions (account);",
    /* 9: groups of users (store/groups.h; R-FRAUD-1, R-FRAUD-2,
     * R-FRAUD-3). A group may carry a rights profile (NULL: the system
     * default) that its members without a profile of their own get, and
     * a tenant (NULL: none) whose ceilings and blocks cover its members;
     * users.grp is NULL for a user in no group. Ceilings and blocks gain
     * the scope 'tenant': SQLite cannot change a CHECK constraint, so
     * both tables are built again and their rows copied. */
    "CREATE TABLE groups ("
    " name TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),"
    " profile TEXT REFERENCES rights_profiles (name),"
    " tenant TEXT CHECK (tenant IS NULL OR tenant <> ''),"
    " description TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX groups_profile ON groups (profile);"
    "CREATE INDEX groups_tenant ON groups (tenant);"
    "ALTER TABLE users ADD COLUMN grp TEXT REFERENCES groups (name);"
    "CREATE INDEX users_grp ON users (grp);"
    "CREATE TABLE fraud_ceilings_9 ("
    " scope TEXT NOT NULL CHECK (scope IN ('user', 'tenant', 'global')),"
    " name TEXT NOT NULL,"
    " hourly INTEGER NOT NULL CHECK (hourly >= 0),"
    " daily INTEGER NOT NULL CHECK (daily >= 0),"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (scope, name),"
    " CHECK ((scope = 'global') = (name = '')));"
    "INSERT INTO fraud_ceilings_9 (scope, name, hourly, daily, updated_at)"
    " SELECT scope, name, hourly, daily, updated_at FROM fraud_ceilings;"
    "DROP TABLE fraud_ceilings;"
    "ALTER TABLE fraud_ceilings_9 RENAME TO fraud_ceilings;"
    "CREATE TABLE fraud_blocks_9 ("
    " scope TEXT NOT NULL CHECK (scope IN ('user', 'tenant', 'global')),"
    " name TEXT NOT NULL,"
    " rule TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " since INTEGER NOT NULL CHECK (since >= 0),"
    " until INTEGER NOT NULL CHECK (until >= 0),"
    " lifted_at INTEGER NOT NULL DEFAULT 0 CHECK (lifted_at >= 0),"
    " PRIMARY KEY (scope, name),"
    " CHECK ((scope = 'global') = (name = '')));"
    "INSERT INTO fraud_blocks_9"
    " (scope, name, rule, reason, since, until, lifted_at)"
    " SELECT scope, name, rule, reason, since, until, lifted_at"
    " FROM fraud_blocks;"
    "DROP TABLE fraud_blocks;"
    "ALTER TABLE fraud_blocks_9 RENAME TO fraud_blocks;",
};

_Static_assert(RP_ARRAY_LEN(db_migrations) == DB_SCHEMA_VERSION,
    "DB_SCHEMA_VERSION must equal the number of migrations");

/* Maps an SQLite result code (extended codes on) to a negative errno. */
static int
db_map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY ||
		    rc == SQLITE_CONSTRAINT_UNIQUE)
			return -EEXIST;
		return -EINVAL;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_ERROR:
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Maps and logs an engine error. Constraint failures are ordinary
 * outcomes (a duplicate key) and are left to the caller. Messages and
 * SQL texts are ours or the engine's and never carry bound values, but
 * they still go through log_sv(). */
static int
db_fail(struct db *db, int rc, const char *what)
{
	char msg[LOG_SV_BUF], sql[LOG_SV_BUF];
	int err = db_map_rc(rc);

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return err;
	log_write((rc & 0xff) == SQLITE_BUSY ? LOG_WARN : LOG_ERROR, "store",
	    "msg=\"database error\" rc=%d err=\"%s\" sql=\"%s\"", rc,
	    log_sv(sv_cstr(sqlite3_errmsg(db->h)), msg),
	    log_sv(sv_cstr(what), sql));
	return err;
}

static int
db_make_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Gives a file we have just created mode 0600 whatever the umask, and
 * closes it. No connection can hold a lock on a file this call made. */
static int
db_new_file_mode(int fd)
{
	int err = fchmod(fd, 0600) != 0 ? -errno : 0;

	close(fd);
	return err;
}

/* Makes sure 'path' is a regular file (not a symlink) with mode 0600,
 * creating it when 'create' is set; a missing file is fine otherwise.
 * Creating it ourselves, rather than letting the engine do it, is what
 * fixes the mode whatever the umask; the engine gives the -wal and -shm
 * files the mode of the database file.
 * An existing file is never opened here. The engine locks with POSIX
 * advisory locks, and closing any descriptor of a file drops every such
 * lock the process holds on it, those of its other connections included
 * (the store writer's, a long-lived reader's). Another process, the CLI,
 * would then believe itself alone: on close it checkpoints and deletes
 * the WAL and its index while our connections still map them, and they
 * keep reading a stale snapshot from then on. */
static int
db_secure_file(const char *path, bool create)
{
	struct stat st;
	int fd, err;

	if (create) {
		fd = open(path,
		    O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			return db_new_file_mode(fd);
		err = -errno;
		if (err != -EEXIST)
			goto fail;
	}
	if (lstat(path, &st) != 0) {
		err = -errno;
		if (!create && err == -ENOENT)
			return 0;
		goto fail;
	}
	if (S_ISLNK(st.st_mode)) {
		err = -ELOOP;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		log_error("store",
		    "msg=\"database path is not a regular "
		    "file\" path=%s",
		    path);
		return -EINVAL;
	}
	if ((st.st_mode & 07777) == 0600)
		return 0;
	if ((st.st_mode & 077) != 0)
		log_warn("store",
		    "msg=\"database file was group or "
		    "world accessible, mode set to 0600\" path=%s "
		    "old_mode=%04o",
		    path, (unsigned)(st.st_mode & 07777));
	/* By path, for the reason above: the C library uses at most an
	 * O_PATH descriptor, whose close leaves locks alone. */
	if (fchmodat(AT_FDCWD, path, 0600, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	return 0;
fail:
	log_error("store",
	    "msg=\"cannot open database file\" path=%s "
	    "errno=%d",
	    path, -err);
	return err;
}

static int
db_prepare_files(const char *data_dir, char *path, size_t size)
{
	static const char *const side[] = {"-wal", "-shm"};
	char other[PATH_MAX];
	int n, err;

	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		err = -errno;
		log_error("store",
		    "msg=\"cannot create data directory\" "
		    "path=%s errno=%d",
		    data_dir, -err);
		return err;
	}
	err = db_make_path(path, size, data_dir, DB_FILE_NAME);
	if (err != 0)
		return err;
	err = db_secure_file(path, true);
	for (size_t i = 0; err == 0 && i < RP_ARRAY_LEN(side); i++) {
		n = snprintf(other, sizeof(other), "%s%s", path, side[i]);
		if (n < 0 || (size_t)n >= sizeof(other))
			return -ENAMETOOLONG;
		err = db_secure_file(other, false);
	}
	return err;
}

/* Runs SQL text that may hold several statements and returns no rows. */
static int
db_exec_script(struct db *db, const char *sql)
{
	int rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(db, rc, sql);
}

/* Runs one statement, ignoring any rows. */
static int
db_run(struct db *db, const char *sql)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(db, sql, &st);
	if (rc != 0)
		return rc;
	do
		rc = db_step(st);
	while (rc == DB_ROW);
	db_finish(st);
	return rc;
}

/* True when the engine has no transaction open: after db_tx_begin()
 * that means it rolled the transaction back on its own (disk full, I/O
 * error, out of memory). */
static bool
db_tx_lost(struct db *db)
{
	return db->depth > 0 && sqlite3_get_autocommit(db->h) != 0;
}

int
db_tx_begin(struct db *db)
{
	int err;

	if (db_tx_lost(db))
		return -EIO;
	err = db_run(db, db->depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT rp");
	if (err == 0)
		db->depth++;
	return err;
}

int
db_tx_commit(struct db *db)
{
	int err;

	assert(db->depth > 0);
	if (db_tx_lost(db)) {
		db->depth--;
		return -EIO;
	}
	if (db->depth == 1) {
		err = db_run(db, "COMMIT");
		if (err != 0 && sqlite3_get_autocommit(db->h) == 0)
			(void)db_run(db, "ROLLBACK");
	} else {
		err = db_run(db, "RELEASE rp");
		if (err != 0 && sqlite3_get_autocommit(db->h) == 0) {
			(void)db_run(db, "ROLLBACK TO rp");
			(void)db_run(db, "RELEASE rp");
		}
	}
	db->depth--;
	return err;
}

void
db_tx_rollback(struct db *db)
{
	assert(db->depth > 0);
	if (!db_tx_lost(db)) {
		if (db->depth == 1) {
			(void)db_run(db, "ROLLBACK");
		} else {
			(void)db_run(db, "ROLLBACK TO rp");
			(void)db_run(db, "RELEASE rp");
		}
	}
	db->depth--;
}

int
db_read_begin(struct db *db)
{
	int err;

	if (db_tx_lost(db))
		return -EIO;
	/* A deferred BEGIN takes its snapshot at the first read. */
	err = db_run(db, db->depth == 0 ? "BEGIN" : "SAVEPOINT rp");
	if (err == 0)
		db->depth++;
	return err;
}

void
db_read_end(struct db *db)
{
	/* Nothing was written: rolling back ends it the cheapest way. */
	db_tx_rollback(db);
}

unsigned
db_tx_depth(const struct db *db)
{
	return db->depth;
}

int
db_schema_version(struct db *db, int64_t *out)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(
	    db, "SELECT version FROM schema_version WHERE id = 1", &st);
	if (rc != 0)
		return rc;
	rc = db_step(st);
	if (rc == DB_ROW) {
		*out = db_col_int64(st, 0);
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = -EIO; /* the row is created with the table */
	}
	db_finish(st);
	return rc;
}

static int
db_set_version(struct db *db, int64_t version)
{
	struct db_stmt *st;
	int rc;

	rc = db_prepare(db,
	    "UPDATE schema_version SET version = ?1 "
	    "WHERE id = 1",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_int64(st, 1, version);
	rc = db_step(st);
	db_finish(st);
	return rc;
}

/* Applies pending migrations one transaction at a time. The version is
 * read under the write lock, so two processes opening the same database
 * never apply a migration twice. */
static int
db_migrate(struct db *db)
{
	int64_t version;
	int err;

	for (;;) {
		err = db_tx_begin(db);
		if (err != 0)
			return err;
		err = db_exec_script(db, db_version_sql);
		if (err == 0)
			err = db_schema_version(db, &version);
		if (err != 0)
			goto fail;
		if (version > DB_SCHEMA_VERSION) {
			log_error("store",
			    "msg=\"database written by a newer "
			    "rempart, refusing to open it\" version=%" PRId64
			    " supported=%d",
			    version, DB_SCHEMA_VERSION);
			err = -EPROTO;
			goto fail;
		}
		if (version < 0) {
			log_error("store",
			    "msg=\"invalid schema version\" "
			    "version=%" PRId64,
			    version);
			err = -EIO;
			goto fail;
		}
		if (version == DB_SCHEMA_VERSION)
			return db_tx_commit(db);
		err = db_exec_script(db, db_migrations[version]);
		if (err == 0)
			err = db_set_version(db, version + 1);
		if (err != 0)
			goto fail;
		err = db_tx_commit(db);
		if (err != 0)
			return err;
		log_info("store", "msg=\"schema migrated\" version=%" PRId64,
		    version + 1);
	}
fail:
	db_tx_rollback(db);
	return err;
}

/* Connection settings. WAL lets readers run beside the one writer;
 * synchronous=NORMAL in WAL mode keeps every committed transaction
 * across a crash of the process (R-OPS-3) and may lose only the last
 * ones on power loss. The defensive flags refuse SQL that could corrupt
 * the file and functions a crafted schema could call. */
static int
db_configure(struct db *db)
{
	struct db_stmt *st;
	struct sv mode;
	int rc;

	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, DB_BUSY_TIMEOUT_MS);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_db_config(db->h, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	rc = db_prepare(db, "PRAGMA journal_mode = WAL", &st);
	if (rc != 0)
		return rc;
	rc = db_step(st);
	if (rc == DB_ROW) {
		mode = db_col_text(st, 0);
		rc = sv_ieq(mode, SV("wal")) ? 0 : -EIO;
		if (rc != 0)
			log_error("store", "msg=\"cannot enable WAL mode\"");
	}
	db_finish(st);
	if (rc != 0)
		return rc;
	return db_exec_script(db, "PRAGMA synchronous = NORMAL;"
	                          "PRAGMA foreign_keys = ON;");
}

int
db_open(struct db **out, const char *data_dir)
{
	char path[PATH_MAX];
	struct db *db;
	int rc, err;

	db = mem_calloc(1, sizeof(*db));
	if (db == NULL)
		return -ENOMEM;
	err = db_prepare_files(data_dir, path, sizeof(path));
	if (err != 0)
		goto fail;
	/* No SQLITE_OPEN_CREATE: db_prepare_files() made the file. */
	rc = sqlite3_open_v2(path, &db->h,
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW |
	        SQLITE_OPEN_EXRESCODE,
	    NULL);
	if (rc != SQLITE_OK) {
		err = db->h != NULL ? db_fail(db, rc, "open") : -ENOMEM;
		goto fail;
	}
	err = db_configure(db);
	if (err == 0)
		err = db_migrate(db);
	if (err != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	db_close(db);
	return err;
}

void
db_close(struct db *db)
{
	int rc;

	if (db == NULL)
		return;
	while (db->depth > 0)
		db_tx_rollback(db);
	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		assert(!db->cache[i].in_use);
		sqlite3_finalize(db->cache[i].s);
	}
	rc = sqlite3_close(db->h);
	if (rc != SQLITE_OK) {
		/* A statement was not finished: a programming error. The
		 * engine closes the connection once it is. */
		log_error("store",
		    "msg=\"database closed with statements "
		    "in use\" rc=%d",
		    rc);
		sqlite3_close_v2(db->h);
	}
	free(db);
}

/* Prepares exactly one statement; trailing text other than white space
 * is a programming error. */
static int
db_compile(struct db *db, const char *sql, bool persistent, sqlite3_stmt **out)
{
	const char *tail = NULL;
	sqlite3_stmt *s = NULL;
	int rc;

	rc = sqlite3_prepare_v3(db->h, sql, -1,
	    persistent ? SQLITE_PREPARE_PERSISTENT : 0, &s, &tail);
	if (rc != SQLITE_OK)
		return db_fail(db, rc, sql);
	while (tail != NULL && (*tail == ' ' || *tail == '\n' || *tail == '\t'))
		tail++;
	if (s == NULL || (tail != NULL && *tail != '\0')) {
		sqlite3_finalize(s);
		log_error("store", "msg=\"not exactly one SQL statement\"");
		return -EINVAL;
	}
	*out = s;
	return 0;
}

int
db_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct db_stmt *st, *free_slot = NULL;
	sqlite3_stmt *s;
	int err;

	for (size_t i = 0; i < DB_STMT_CACHE; i++) {
		st = &db->cache[i];
		if (st->s == NULL) {
			if (free_slot == NULL)
				free_slot = st;
			continue;
		}
		if (!st->in_use && strcmp(sqlite3_sql(st->s), sql) == 0) {
			st->in_use = true;
			st->err = 0;
			*out = st;
			return 0;
		}
	}
	if (free_slot != NULL) {
		err = db_compile(db, sql, true, &s);
		if (err != 0)
			return err;
		*free_slot = (struct db_stmt){db, s, 0, true, true};
		*out = free_slot;
		return 0;
	}
	st = mem_calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	err = db_compile(db, sql, false, &s);
	if (err != 0) {
		free(st);
		return err;
	}
	*st = (struct db_stmt){db, s, 0, false, true};
	*out = st;
	return 0;
}

void
db_finish(struct db_stmt *st)
{
	if (st == NULL)
		return;
	if (!st->cached) {
		sqlite3_finalize(st->s);
		free(st);
		return;
	}
	sqlite3_reset(st->s);
	sqlite3_clear_bindings(st->s);
	st->err = 0;
	st->in_use = false;
}

static void
db_bind_result(struct db_stmt *st, int rc)
{
	if (rc != SQLITE_OK && st->err == 0)
		st->err = db_fail(st->db, rc, sqlite3_sql(st->s));
}

void
db_bind_int64(struct db_stmt *st, int idx, int64_t v)
{
	db_bind_result(st, sqlite3_bind_int64(st->s, idx, v));
}

void
db_bind_text(struct db_stmt *st, int idx, struct sv v)
{
	int rc;

	if (v.p == NULL)
		rc = sqlite3_bind_null(st->s, idx);
	else
		rc = sqlite3_bind_text64(
		    st->s, idx, v.p, v.len, SQLITE_STATIC, SQLITE_UTF8);
	db_bind_result(st, rc);
}

void
db_bind_blob(struct db_stmt *st, int idx, struct sv v)
{
	int rc;

	if (v.p == NULL)
		rc = sqlite3_bind_null(st->s, idx);
	else
		rc = sqlite3_bind_blob64(st->s, idx, v.p, v.len, SQLITE_STATIC);
	db_bind_result(st, rc);
}

int
db_step(struct db_stmt *st)
{
	int rc;

	if (st->err != 0)
		return st->err;
	rc = sqlite3_step(st->s);
	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return db_fail(st->db, rc, sqlite3_sql(st->s));
}

int64_t
db_col_int64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(st->s, col);
}

struct sv
db_col_text(struct db_stmt *st, int col)
{
	const unsigned char *p = sqlite3_column_text(st->s, col);
	int n = sqlite3_column_bytes(st->s, col);

	if (p == NULL || n < 0)
		return SV_NULL;
	return sv_make((const char *)p, (size_t)n);
}

struct sv
db_col_blob(struct db_stmt *st, int col)
{
	const void *p = sqlite3_column_blob(st->s, col);
	int n = sqlite3_column_bytes(st->s, col);

	if (p == NULL || n <= 0) {
		/* A zero-length blob comes back as NULL too. */
		if (sqlite3_column_type(st->s, col) == SQLITE_NULL)
			return SV_NULL;
		return sv_make("", 0);
	}
	return sv_make(p, (size_t)n);
}

bool
db_col_is_null(struct db_stmt *st, int col)
{
	return sqlite3_column_type(st->s, col) == SQLITE_NULL;
}

uint64_t
db_changes(struct db *db)
{
	int64_t n = sqlite3_changes64(db->h);

	return n > 0 ? (uint64_t)n : 0;
}

int
db_write_begin(struct db *db, const char *sql, struct db_stmt **st)
{
	int err;

	err = db_tx_begin(db);
	if (err != 0)
		return err;
	err = db_prepare(db, sql, st);
	if (err != 0)
		db_tx_rollback(db);
	return err;
}

int
db_write_end(struct db *db, struct db_stmt *st, uint64_t *changed)
{
	int err;

	err = db_step(st);
	if (err == 0 && changed != NULL)
		*changed = db_changes(db);
	db_finish(st);
	if (err != 0) {
		db_tx_rollback(db);
		return err;
	}
	return db_tx_commit(db);
}
