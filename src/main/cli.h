/* The rempart command line: state and helpers shared by its commands
 * (one file per group of commands, dispatched from rempart.c). */
#ifndef RP_MAIN_CLI_H
#define RP_MAIN_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/sv.h"
#include "policy/secret.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"

/* Exit codes: 0 done, 1 the operation failed, 2 bad usage. */
#define EXIT_FAIL 1
#define EXIT_USAGE 2
/* Returned by a command for "print the usage, exit 2". */
#define CLI_USAGE (-1)
/* Longest duration parse_duration() takes: ten years. */
#define CLI_DURATION_MAX_SECS (3650LL * 24 * 3600)

struct cli {
	const char *data_dir;
	struct db *db;
	struct keys *keys;
	char realm[SETTINGS_VALUE_MAX + 1];
	char actor[AUDIT_FIELD_MAX + 1]; /* who runs us, for the audit log */
	/* The administration API (apiclient.h), opened by the first
	 * command that needs it; a remote one with --api. */
	struct apiclient *api;
	const char *api_url, *api_key_file, *api_ca;
};

/* Prints "rempart: WHAT: strerror" and returns EXIT_FAIL. */
int fail(const char *what, int err);
int path_join(char *out, size_t size, const char *dir, const char *name);
/* Writes 'text' to 'path' (mode 0600) through a temporary file renamed
 * over it, so a reader never sees half a file. Returns 0 or a negative
 * errno. */
int cli_write_file(const char *path, struct sv text);

/* Asks a running daemon to reload users and bans; quiet when none runs. */
void notify_daemon(const struct cli *c);
int open_store(struct cli *c);
void close_store(struct cli *c);

/* The Unix user running the CLI: the actor of its audit entries. A
 * name the log would refuse is replaced by the numeric uid. */
void cli_actor(struct cli *c);

/* Audit state is a small JSON object of non-secret fields, built in a
 * buffer: the first key opens it, json_end() closes it. */
void json_key(struct buf *b, const char *key);
void json_sv(struct buf *b, const char *key, struct sv v);
void json_str(struct buf *b, const char *key, const char *v);
void json_bool(struct buf *b, const char *key, bool v);
struct sv json_end(struct buf *b);

/* Appends the audit entry of an admin action (R-ADMIN-4). Called
 * inside the change's transaction, so both commit or neither does.
 * 'before' and 'after' never hold a secret. Returns 0 or a negative
 * errno. */
int audit_admin(struct cli *c, const char *action, const char *object,
    struct buf *before, struct buf *after);

/* audit_admin() with states already in JSON text ("" for none). */
int audit_admin_sv(struct cli *c, const char *action, const char *object,
    struct sv before, struct sv after);

/* Ends the transaction of a change: commits when rc is 0, rolls back
 * otherwise. Returns rc or the commit's error. */
int tx_end(struct cli *c, int rc);

/* "2026-11-23T10:00:00Z" for seconds since the epoch. */
const char *format_utc(int64_t secs, char *out, size_t size);

/* The data directory holds a master key once 'init' ran. */
int check_initialised(const struct cli *c);

/* "1h", "30m", "7d": a positive count and one unit (s, m, h, d, w).
 * Returns 0 or -EINVAL. */
int parse_duration(const char *text, int64_t *secs);

/* "2024-05-01T12:00:00Z", or "permanent" for 0. */
const char *format_until(int64_t until, char *out, size_t size);

/* "2026-11-23", "2026-11-23T10:00" or "2026-11-23T10:00:30", in UTC (a
 * trailing 'Z' is allowed), into seconds since the epoch. */
int parse_utc(const char *text, int64_t *secs);

/* WHEN: an absolute UTC time (parse_utc) or an age ("90m": that long
 * before now). Gives milliseconds since the epoch. */
int parse_when(const char *text, int64_t now, int64_t *ms);

/* rempart assess ...: the security self-assessment and its
 * attestations (cli_assess.c). Returns an exit code. */
int cmd_assess(struct cli *c, int argc, char **argv);

/* Command groups in files of their own. Each takes the arguments after
 * its name and returns an exit code. */

/* rempart alert ... (cli_alert.c): the alert channels. */
int cmd_alert(struct cli *c, int argc, char **argv);

/* The anti-fraud commands (cli_fraud.c): rights profiles, rates,
 * ceilings, blocks and rules (R-FRAUD-1, R-FRAUD-2, R-FRAUD-3,
 * R-FRAUD-5), through the administration API. Each returns an exit
 * code. */
void cli_fraud_usage(FILE *f);
int cmd_profile(struct cli *c, int argc, char **argv);
int cmd_rate(struct cli *c, int argc, char **argv);
int cmd_ceiling(struct cli *c, int argc, char **argv);
int cmd_fraud(struct cli *c, int argc, char **argv);

/* rempart group ... (cli_group.c): groups of users, their rights
 * profile and tenant; and 'user set EXT --group NAME|none'. Through
 * the administration API. */
void cli_group_usage(FILE *f);
int cmd_group(struct cli *c, int argc, char **argv);
int cmd_user_group(struct cli *c, struct sv ext, const char *group);

/* rempart admin ... (cli_admin.c): administrator accounts of the
 * HTTPS API and console (R-ADMIN-1, R-AUTH-2, R-AUTH-6). */
void cli_admin_usage(FILE *f);
int cmd_admin(struct cli *c, int argc, char **argv);

/* Through the administration API (cli_api.c): rempart user ... (but
 * 'user set'), bans ... and cdr .... Each returns an exit code or
 * CLI_USAGE. */
int cli_user(struct cli *c, int argc, char **argv);
int cli_bans(struct cli *c, int argc, char **argv);
int cli_cdr(struct cli *c, int argc, char **argv);
/* rempart user set ... (cli_userset.c) and audit list ... (cli_audit.c),
 * through the API too. */
int cli_user_set(struct cli *c, const char *ext, int argc, char **argv);
int cli_audit_list(struct cli *c, int argc, char **argv);
/* audit prune ... and audit retention ... (cli_auditops.c). */
int cli_audit_prune(struct cli *c, int argc, char **argv);
int cli_audit_retention(struct cli *c, int argc, char **argv);
/* "2026-11-23T10:00:00.250Z" (sep 'T', zone "Z") or
 * "2026-11-23 10:00:00" (sep ' ', no zone, no milliseconds). */
const char *format_ms(int64_t ms, bool iso, char *out, size_t size);

/* rempart apikey ... (cli_apikey.c): keys of the administration API
 * (R-ADMIN-2). Returns an exit code or CLI_USAGE. */
int cli_apikey(struct cli *c, int argc, char **argv);

/* Through the API too (cli_trunks.c): rempart trunk ..., route ... and
 * did .... Each returns an exit code or CLI_USAGE. */
int cli_trunk(struct cli *c, int argc, char **argv);
int cli_route(struct cli *c, int argc, char **argv);
int cli_did(struct cli *c, int argc, char **argv);

/* rempart security tail [-n N] [--follow] (cli_security.c): the
 * security log through the API. Returns an exit code or CLI_USAGE. */
int cli_security(struct cli *c, int argc, char **argv);

/* rempart config ... (cli_config.c): the configuration as a YAML file
 * (R-ADMIN-5). */
void cli_config_usage(FILE *f);
int cmd_config(struct cli *c, int argc, char **argv);

#endif
