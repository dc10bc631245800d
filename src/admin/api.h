/* The administration API: HTTPS with JSON (R-ADMIN-1, R-ADMIN-2).
 *
 * libmicrohttpd serves TLS 1.3 only (GnuTLS priorities), with the data
 * directory's certificate (tls/cert.pem, tls/key.pem), on one internal
 * thread of its own. One request at a time (the local socket's thread
 * takes the same lock) touches the API's own database connection (WAL
 * lets it read beside the signalling loop and the store writer) and the
 * rate-limit buckets. Changes
 * are written to the store, which the signalling loop reloads when
 * told (api_config.reload); commands that change signalling state
 * directly will be posted to the loop (DESIGN.md "Threads").
 *
 * The same API is served on a local Unix socket (api_config.socket_path,
 * by default DATA/rempart.sock): plain HTTP, mode 0600, each connection
 * authenticated by its peer's credentials (SO_PEERCRED): root and the
 * server's own user are administrators ("local:NAME", source "local"),
 * anybody else gets 403 and a security log line. The command line is
 * its client (DESIGN.md).
 *
 * Every HTTPS request is authenticated with "Authorization: Bearer rpk_..."
 * (admin/apikeys.h) or with the session cookie of an administrator
 * account (store/admins.h; R-AUTH-6), limited per key or session by a
 * token bucket, and checked against the access table (admin/rbac.h).
 * POST /api/v1/login {name, password, totp?} opens a session: it sets
 * the cookie __Host-rempart_session (Secure, HttpOnly,
 * SameSite=Strict, Path=/) and returns a CSRF token that every
 * state-changing request of the session sends in X-CSRF-Token. Failed
 * logins get one answer whatever failed, and lock the account
 * (policy/adminpw.h). An admin or auditor without TOTP may only enrol
 * (POST /api/v1/totp/enrol, /api/v1/totp/confirm); an account whose
 * password is over a year old may only change it (POST
 * /api/v1/password, which ends all its sessions). POST /api/v1/logout
 * ends the session; GET /api/v1/session says who is logged in. Every
 * login, failure, lockout, password change, enrolment and logout is
 * audited, in the transaction of the change.
 *
 * Changes (R-ADMIN-2, R-ADMIN-4): POST /api/v1/users {ext, name,
 * secret?} creates an extension with the secret given (checked by the
 * SIP secret policy) or a generated one, returned once; PATCH
 * /api/v1/users/EXT {enabled} enables or disables it, DELETE removes it
 * and POST /api/v1/users/EXT/secret {secret?} resets its secret (the
 * helpdesk's reset, or a user's own); POST
 * /api/v1/bans {addr, for?, reason?} and DELETE /api/v1/bans/ADDR ban
 * and unban; POST /api/v1/fraud/unblock {scope, name?} lifts an
 * anti-fraud block. Operator trunks (/api/v1/trunks), outbound routes
 * (/api/v1/routes) and inbound numbers (/api/v1/dids) are listed,
 * read, created (POST), changed (PATCH .../NAME or .../+E164) and
 * removed (DELETE); a trunk's secret is write-only (answers say
 * "secret_set"), and a trunk that a route names cannot be removed
 * (409). Each is checked by the store's own validators, as
 * the command line checks it, and written with its audit entry (the
 * account or key, its role, the source address, the state before and
 * after, never a secret) in one transaction; then the daemon is asked
 * to reload (api_config.reload). GET /api/v1/registrations lists the
 * live registrations and GET /api/v1/fraud/blocks the blocks in force;
 * GET /api/v1/cdrs/export.csv the call records as CSV (RFC 4180).
 *
 * Rights and anti-fraud (R-FRAUD-1..5), as `rempart profile`, `rate`,
 * `ceiling` and `fraud` with the same checks and audit entries:
 *   /profiles GET, POST; /profiles/NAME GET (with "members"), PATCH,
 *     DELETE (409 while it is the default or a user has it);
 *     /rights/default GET, PUT {profile}; /users/EXT/profile PUT
 *     {profile: NAME|null}. Lists of classes and prefixes are
 *     comma-separated strings, the window "DAYS/HH:MM-HH:MM".
 *   /rates GET (?prefix=); /rates/lookup?number= GET (the longest
 *     prefix, the cost of a minute and the number's class);
 *     /rates/PREFIX GET, PUT, DELETE; /rates/import POST: a rate file
 *     (text/csv or text/plain, the format of policy/rating.h) of up to
 *     RATING_FILE_MAX bytes, read whole for a caller allowed to import
 *     (413 beyond, or beyond API_BODY_MAX for anyone else), applied
 *     all or nothing, a bad line named.
 *   /ceilings GET; /ceilings/global, /ceilings/tenant/T and
 *     /ceilings/user/EXT PUT {hourly?, daily?}, DELETE (a tenant no
 *     group has is refused).
 *   /groups GET (member counts), POST {name, profile?, tenant?,
 *     description?}; /groups/NAME GET (with its "users"), PATCH
 *     (profile null: the system default; tenant null: none), DELETE
 *     (409 while it has members, unless ?force=true);
 *     /users/EXT/group PUT {group: NAME|null}. Users show their
 *     "group", own "profile" and "effective_profile".
 *   /fraud/rules GET; /fraud/rules/NAME PATCH {mode?, count?,
 *     window_s?}; /fraud/settings GET, PATCH; /fraud/lists GET, PUT
 *     {allow?, deny?}.
 * Money is a string of decimal units with up to 6 decimals ("0.60"),
 * as the command line takes it; answers give 6 decimals, null for no
 * ceiling. /settings GET, PATCH: the default profile and the audit and
 * CDR retentions, applied without a restart; the SIP realm is shown
 * read-only (every stored credential depends on it); unknown keys are
 * refused by name; no secret is ever shown.
 *
 * Alert channels (R-FRAUD-4), as `rempart alert`: /alerts GET (secrets
 * as "secret_set"); /alerts/webhook PUT {url, secret, ca_file?},
 * DELETE; /alerts/email PUT {url, starttls?, from, to, user?,
 * password?, ca_file?}, DELETE; /alerts/limits PUT {dedupe_s?,
 * rate_per_min?}; /alerts/test?channel= POST delivers a test alert.
 * The configuration file (R-ADMIN-5), as `rempart config`: /config GET
 * is the YAML export (application/yaml, no secret); /config/import
 * POST ?dry_run=&prune_users= takes the YAML file (up to
 * CONFIG_FILE_MAX, for a caller allowed to import) and answers the
 * diff, applied atomically, or 400 with every error and its line.
 *
 * The web console (admin/console.h) is served from "/", "/app.js" and
 * "/app.css" without authentication (it logs in through the API). Every
 * answer carries a strict Content-Security-Policy (scripts and styles
 * from the console's own origin only, no framing), HSTS, nosniff and
 * Referrer-Policy: no-referrer; API answers are never cached. Paths are
 * versioned
 * (/api/v1/...); errors are {"error": {"code": ..., "message": ...}}
 * with the matching HTTP status. */
#ifndef RP_ADMIN_API_H
#define RP_ADMIN_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "core/compiler.h"
#include "core/live.h"
#include "store/db.h"
#include "store/keys.h"

/* Longest request body accepted; JSON bodies are read up to 4 KiB. */
#define API_BODY_MAX (64u * 1024u)
/* Default per-key limit: requests per second and burst. */
#define API_RATE_DEFAULT 20u
#define API_BURST_DEFAULT 40u
/* Pagination: default and largest page. */
#define API_PAGE_DEFAULT 100u
#define API_PAGE_MAX 1000u
/* A key's last use is written at most this often. */
#define API_TOUCH_INTERVAL_S 60
/* Room for an address literal with its NUL. */
#define API_ADDR_STRLEN 46

#define API_ALLOW_DEFAULT "127.0.0.0/8,::1/128"

/* How GET /api/v1/assessment renders the report: its JSON report, or
 * the terminal text or standalone HTML page inside a JSON envelope. */
enum api_assess_format {
	API_ASSESS_JSON,
	API_ASSESS_TEXT,
	API_ASSESS_HTML,
};

/* Builds the security self-assessment (audit/assess.h) in 'fmt' as
 * JSON text, on the API thread with the API's own connection: *out is
 * a new NUL-terminated string the caller frees. Returns 0 or a
 * negative errno. Set by whoever wires the audit subsystem in (it
 * depends on this one, not the other way round). */
typedef int (*api_assessment_cb)(struct db *db, const struct keys *k,
    const char *data_dir, enum api_assess_format fmt, char **out);

/* Asks the daemon to reload what the store holds (users, bans, the
 * anti-fraud policy) after a change made through the API. Called on
 * the API thread after the change is committed; must not block. */
typedef void (*api_reload_cb)(void *arg);

struct api_config {
	const char *data_dir;
	char addr[API_ADDR_STRLEN]; /* IPv4 or IPv6 literal */
	uint16_t port;
	/* Networks allowed to use the API, "CIDR,CIDR,..." (R-NET-4);
	 * NULL: API_ALLOW_DEFAULT, the host itself only. Others get the
	 * answer of a bad key. */
	const char *allow;
	uint32_t rate_per_s; /* 0: API_RATE_DEFAULT */
	uint32_t burst;      /* 0: API_BURST_DEFAULT */
	/* GET /api/v1/assessment; NULL: that endpoint answers 404. */
	api_assessment_cb assessment;
	/* Where common-secrets.txt is (the administrator password policy,
	 * R-AUTH-2); the API does not start without it. */
	const char *share_dir;
	/* Idle timeout of administrator sessions in seconds; 0:
	 * ADMINS_IDLE_DEFAULT_S (R-AUTH-6). */
	uint32_t admin_idle_s;
	/* Called after each committed change; NULL: nobody is told. */
	api_reload_cb reload;
	void *reload_arg;
	/* Live supervision (core/live.h: calls, trunks, spend, hang-ups),
	 * published by the signalling loop; borrowed. NULL: GET /calls
	 * and /status answer 503. */
	struct live *live;
	/* The local Unix socket: the same API in plain HTTP, mode 0600,
	 * each peer authenticated by its uid (root or the server's own
	 * user: an administrator, "local:NAME"); NULL: none. */
	const char *socket_path;
	/* No HTTPS listener, no certificate: the local socket only. */
	bool local_only;
};

struct api;

/* Parses "ADDR:PORT" ("127.0.0.1:8443", "[::1]:8443") into cfg->addr
 * and cfg->port. Port 0 is refused. Returns 0 or -EINVAL. Any
 * thread. */
int api_addr_parse(const char *text, struct api_config *cfg) RP_MUST_CHECK;

/* Loads the master key and the TLS certificate, opens a database
 * connection and starts serving (HTTPS unless local_only, and the
 * local socket when socket_path is set). Returns 0, or a negative errno having
 * logged why. Start-up code; call it after the signal mask is set
 * (the server thread inherits it). */
int api_start(struct api **out, const struct api_config *cfg) RP_MUST_CHECK;

/* The socket address of 'path'. One too long for sun_path is reached
 * through its directory's descriptor ("/proc/self/fd/N/NAME", usable by
 * this process only): *dirfd is then that descriptor, to close once
 * bound or connected, else -1. Returns 0 or a negative errno. */
int api_socket_addr(
    const char *path, struct sockaddr_un *sun, int *dirfd) RP_MUST_CHECK;

/* Stops serving (waits for the thread), closes the connection and
 * wipes the key material. NULL is fine. */
void api_stop(struct api *a);

#endif
