/* The configuration as a text file (R-ADMIN-5): export to YAML 1.2,
 * import from it declaratively (diff, validate, apply atomically).
 *
 * A struct config is the whole configuration in one canonical text form:
 * rights profiles, the default profile and audit retention (settings),
 * groups (profile and tenant), users (with their group), trunks, routes,
 * DIDs, rates, ceilings (user, tenant, global), fraud rules and options
 * (with the DISA and outdial switches and the system-wide prefix lists),
 * permanent admin bans and the alert channels. Every value is stored
 * normalised by the store's own validators, whether it came from the
 * database (config_read()) or from a file (config_parse()), so two
 * configurations compare field by field and the import of an export
 * finds nothing to change.
 *
 * No secret is ever part of it: users carry no HA1, a trunk says only
 * whether it has a secret ("secret: set"), the alert channels carry no
 * HMAC key or SMTP password. Users are never created from a file (their
 * secrets cannot come from it): a user in the file must exist. A new
 * trunk's secret comes from an environment variable named by
 * 'secret_env', read by config_apply(), never from the file.
 *
 * Files are parsed with libfyaml; each error carries the line of the
 * offending key. Files are written by config_write() with every string
 * double-quoted and a fixed order of sections, objects (by key) and
 * fields, so a versioned file changes only where the configuration did.
 *
 * Thread rules: config_parse(), config_write(), config_check() and
 * config_diff() on any thread; config_read() and config_apply() follow
 * the db handle's rules (store/db.h). */
#ifndef RP_ADMIN_CONFIG_H
#define RP_ADMIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/keys.h"

/* The value of the top-level key "rempart_config". */
#define CONFIG_SCHEMA_VERSION 1
/* Largest file config_parse() takes. */
#define CONFIG_FILE_MAX (8u << 20)
/* Objects of one kind (users, rates, ...) in a file. */
#define CONFIG_OBJECTS_MAX 100000u
/* Errors kept by one parse or check; later ones are counted only. */
#define CONFIG_ERRORS_MAX 64
#define CONFIG_ERROR_TEXT_MAX 320

struct config;

struct config_error {
	unsigned line; /* 1-based line of the file; 0 when none applies */
	char text[CONFIG_ERROR_TEXT_MAX];
};

struct config_errors {
	unsigned n;
	unsigned dropped; /* errors past CONFIG_ERRORS_MAX */
	struct config_error e[CONFIG_ERRORS_MAX];
};

enum config_op {
	CONFIG_ADD,
	CONFIG_CHANGE,
	CONFIG_REMOVE,
};

/* One object that differs. Views valid during the callback only. */
struct config_change {
	enum config_op op;
	const char *kind;   /* "user", "trunk", "route", ... */
	const char *key;    /* its name in messages: "ovh", "+33", "global" */
	const char *fields; /* CONFIG_CHANGE: changed fields, comma-separated */
	struct sv before;   /* JSON object of every field, "" when added */
	struct sv after;    /* JSON object of every field, "" when removed */
	unsigned line;      /* of the object in the file, 0 when removed */
};

/* A non-zero return stops the walk and is returned. */
typedef int (*config_change_cb)(void *arg, const struct config_change *ch);

/* The value of the environment variable 'name' of whoever imports,
 * or NULL when it is not set. */
typedef const char *(*config_env_fn)(void *arg, const char *name);

struct config_opts {
	/* Remove the users the file does not list. Without it they are
	 * kept and left out of the diff. */
	bool prune_users;
	/* Where the secrets named by 'secret_env' come from: the caller's
	 * environment, not necessarily this process's (an import through
	 * the API carries the client's). NULL: no variable is set. */
	config_env_fn env;
	void *env_arg;
};

/* Parses a file and checks every field with the store's validators and
 * the references inside the file (a user's profile, a route's trunks).
 * On success *out is new: free it with config_free(). Returns 0,
 * -EBADMSG (errs lists why, with lines), -E2BIG (over CONFIG_FILE_MAX)
 * or -ENOMEM. 'text' need not be NUL-terminated. */
int config_parse(struct sv text, struct config **out,
    struct config_errors *errs) RP_MUST_CHECK;

/* Reads the stored configuration, in one read snapshot. 'now' decides
 * which bans are still in force. *out is new: free it with
 * config_free(). Returns 0, -ENOMEM or a store error. */
int config_read(struct db *db, const struct keys *keys, int64_t now,
    struct config **out) RP_MUST_CHECK;

/* Appends the YAML text of 'cfg' to 'out'. Returns 0 or -ENOMEM. */
int config_write(const struct config *cfg, struct buf *out) RP_MUST_CHECK;

/* Checks what importing 'next' over the stored 'cur' needs from the
 * store: the users it lists exist, the extensions it names are kept,
 * new trunks get their secret from 'secret_env'. Returns 0 or -EBADMSG
 * (errs lists why). */
int config_check(const struct config *cur, const struct config *next,
    const struct config_opts *opts, struct config_errors *errs) RP_MUST_CHECK;

/* Calls cb for each object that differs between 'cur' and 'next', by
 * kind then key. Returns 0 or the callback's value. */
int config_diff(const struct config *cur, const struct config *next,
    const struct config_opts *opts, config_change_cb cb,
    void *arg) RP_MUST_CHECK;

/* Makes the store hold 'next' (after config_check()), in an order the
 * store's references allow, calling cb for each change once it is
 * written (for its audit entry). The caller holds the transaction and
 * rolls it back on error. Returns 0, the callback's value, -EBADMSG
 * (errs names the object, with its line: a secret_env variable not
 * set, a check only the store can make), or a store error. */
int config_apply(struct db *db, const struct keys *keys,
    const struct config *cur, const struct config *next,
    const struct config_opts *opts, int64_t now, config_change_cb cb, void *arg,
    struct config_errors *errs) RP_MUST_CHECK;

/* Calls cb with each variable named by a 'secret_env' of 'cfg', in
 * file order. Returns 0 or the callback's value. */
int config_secret_envs(const struct config *cfg,
    int (*cb)(void *arg, const char *name), void *arg) RP_MUST_CHECK;

void config_free(struct config *cfg);

#endif
