/* Operator trunks, outbound routes and inbound numbers (DIDs).
 *
 * A trunk is a connection to an operator: a registration trunk
 * (rempart registers to the operator with digest credentials) or an IP
 * trunk (a static peer recognised by its source address). Its secret,
 * when it has one, is sealed under the master key (store/keys.h,
 * R-CRYPTO-3) with the associated data "trunks.secret:" + name, so a
 * value moved to another row does not open. No listing returns it:
 * only trunks_get_secret(), for the daemon that authenticates.
 *
 * A route sends dialled numbers that match its pattern to an ordered
 * list of trunks, after rewriting the number (strip, then prepend). A
 * pattern is a '+' or not, then elements, each matching one character:
 *   0-9      that digit          X  any digit      N  2-9      Z  1-9
 *   [1-5,7]  a class: digits and ranges 'a-b' (a <= b), commas ignored
 * and may end with '.', which matches one or more further digits. A
 * number matches when the whole of it matches. Where several routes
 * match, the most specific wins: patterns are compared element by
 * element by how many digits each element admits (a literal 1, a class
 * its size, X 10, '.' more than any), the lower first; then the lower
 * priority, then the name.
 *
 * A DID is an E.164 number the operators deliver to us: calls to it go
 * to an extension, and, when that extension is not registered, is
 * unreachable or does not answer within ring_timeout_s, to the DID's
 * alternate (another extension or an E.164 number through the trunks).
 *
 * The records are fixed-size, so the signalling thread can copy a
 * snapshot and match without the database. Every write runs in a
 * transaction (store/db.h): on any error nothing is written. Thread
 * rules: those of the db handle (store/db.h); the pure functions
 * (validation, route_pattern_match(), routes_pick()) on any thread. */
#ifndef RP_STORE_TRUNKS_H
#define RP_STORE_TRUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/users.h"

/* A trunk or route name: 1 to 32 of [a-z0-9_-]. */
#define TRUNKS_NAME_MAX 32
/* A host name (RFC 1035: 253 bytes, labels of 63) or an IP literal. */
#define TRUNKS_HOST_MAX 253
/* username, auth_user: RFC 3261 'user' characters without escapes. */
#define TRUNKS_USER_MAX 64
/* realm: printable ASCII without '"' or '\' (it is quoted in digest). */
#define TRUNKS_REALM_MAX 128
/* The secret: 1 to 128 printable ASCII characters. */
#define TRUNKS_SECRET_MAX 128
#define TRUNKS_CHANNELS_MIN 1
#define TRUNKS_CHANNELS_MAX 10000
#define TRUNKS_CHANNELS_DEFAULT 10
/* Registration interval asked of the operator, in seconds. */
#define TRUNKS_EXPIRES_MIN 60
#define TRUNKS_EXPIRES_MAX 3600
#define TRUNKS_EXPIRES_DEFAULT 600
#define TRUNKS_PORT_MAX 65535

#define ROUTES_NAME_MAX TRUNKS_NAME_MAX
#define ROUTES_PATTERN_MAX 64
#define ROUTES_PRIORITY_MAX 1000000
#define ROUTES_PRIORITY_DEFAULT 100
#define ROUTES_STRIP_MAX 20
/* prepend: up to 20 of digits and '+'. */
#define ROUTES_PREPEND_MAX 20
#define ROUTES_TRUNKS_MAX 8
/* A dialled number: an optional '+' then 1 to 31 digits. */
#define ROUTES_NUMBER_MAX 32
/* The rewritten number, with its NUL. */
#define ROUTES_REWRITTEN_STRLEN (ROUTES_NUMBER_MAX + ROUTES_PREPEND_MAX + 1)
/* The stored trunk list, with its NUL. */
#define ROUTES_TRUNKS_STRLEN (ROUTES_TRUNKS_MAX * (TRUNKS_NAME_MAX + 1))

#define DIDS_RING_TIMEOUT_MIN 5
#define DIDS_RING_TIMEOUT_MAX 300
#define DIDS_RING_TIMEOUT_DEFAULT 30

enum trunk_kind {
	TRUNK_KIND_REGISTER,
	TRUNK_KIND_IP,
};

enum trunk_transport {
	TRUNK_TRANSPORT_UDP,
	TRUNK_TRANSPORT_TCP,
	TRUNK_TRANSPORT_TLS,
};

/* A trunk to add: views borrowed for the call. Absent (SV_NULL) and
 * empty texts both mean "none". */
struct trunk_spec {
	struct sv name;
	enum trunk_kind kind;
	enum trunk_transport transport;
	struct sv host;        /* host name or IP literal (no brackets) */
	uint32_t port;         /* 0: the default, or DNS SRV (RFC 3263) */
	struct sv username;    /* the user part we register and call as */
	struct sv auth_user;   /* digest user name, "" = username */
	struct sv realm;       /* expected digest realm, "" = any */
	struct sv from_domain; /* From host, "" = host */
	struct sv acl;     /* allowed source networks, users_acl_normalise() */
	uint32_t channels; /* concurrent calls */
	struct sv codecs;  /* users_codecs_normalise(), "" = any */
	struct sv outbound_cid; /* E.164 caller ID, "" = the caller's */
	uint32_t expires_s;     /* registration interval */
};

/* A stored trunk, without its secret. NUL-terminated texts. */
struct trunk_info {
	char name[TRUNKS_NAME_MAX + 1];
	enum trunk_kind kind;
	enum trunk_transport transport;
	char host[TRUNKS_HOST_MAX + 1];
	uint32_t port;
	char username[TRUNKS_USER_MAX + 1];
	char auth_user[TRUNKS_USER_MAX + 1];
	char realm[TRUNKS_REALM_MAX + 1];
	char from_domain[TRUNKS_HOST_MAX + 1];
	char acl[USERS_ACL_STRLEN];
	uint32_t channels;
	char codecs[USERS_CODECS_STRLEN];
	char outbound_cid[USERS_E164_STRLEN];
	uint32_t expires_s;
	bool has_secret;
	bool enabled;
	int64_t created_at; /* seconds since the epoch */
	int64_t updated_at;
};

/* A route to add: views borrowed for the call. */
struct route_spec {
	struct sv name;
	struct sv pattern;
	uint32_t priority;
	uint32_t strip;
	struct sv prepend;
	struct sv trunks; /* comma-separated trunk names, in order */
};

/* A stored route. */
struct route_info {
	char name[ROUTES_NAME_MAX + 1];
	char pattern[ROUTES_PATTERN_MAX + 1]; /* normalised */
	uint32_t priority;
	uint32_t strip;
	char prepend[ROUTES_PREPEND_MAX + 1];
	unsigned n_trunks;
	char trunks[ROUTES_TRUNKS_MAX][TRUNKS_NAME_MAX + 1];
	bool enabled;
	int64_t created_at;
	int64_t updated_at;
};

/* The outcome of route selection: the route, the trunks to try in
 * order, and the number to send them. */
struct route_choice {
	char route[ROUTES_NAME_MAX + 1];
	char number[ROUTES_REWRITTEN_STRLEN];
	unsigned n_trunks;
	char trunks[ROUTES_TRUNKS_MAX][TRUNKS_NAME_MAX + 1];
	unsigned n_skipped; /* routes_select(): disabled trunks left out */
};

/* A stored DID. */
struct did_info {
	char number[USERS_E164_STRLEN];
	char ext[USERS_EXT_MAX + 1];
	char alternate[USERS_ALTERNATE_STRLEN]; /* ext, +E164 or "" */
	uint32_t ring_timeout_s;
	bool enabled;
	int64_t created_at;
	int64_t updated_at;
};

typedef int (*trunks_list_cb)(void *arg, const struct trunk_info *t);
typedef int (*routes_list_cb)(void *arg, const struct route_info *r);
typedef int (*dids_list_cb)(void *arg, const struct did_info *d);

/* Names and their text forms ("register", "ip"; "udp", "tcp", "tls").
 * The parsers return 0 or -EINVAL. Any thread. */
const char *trunks_kind_name(enum trunk_kind kind);
const char *trunks_transport_name(enum trunk_transport transport);
int trunks_kind_parse(struct sv text, enum trunk_kind *out) RP_MUST_CHECK;
int trunks_transport_parse(
    struct sv text, enum trunk_transport *out) RP_MUST_CHECK;

/* True for a trunk or route name, a host (name or IP literal), a dialled
 * number, a secret. Any thread. */
bool trunks_name_valid(struct sv name);
bool trunks_host_valid(struct sv host);
bool trunks_secret_valid(struct sv secret);
bool routes_number_valid(struct sv number);

/* Checks a trunk spec against the rules above and those of its kind: a
 * registration trunk needs a username; an IP trunk needs a non-empty
 * acl. On -EINVAL or -E2BIG *field (may be NULL) names the bad field
 * ("name", "host", "acl", ...: static text). Returns 0, -EINVAL or
 * -E2BIG (a list past its caps). Any thread. */
int trunks_spec_check(
    const struct trunk_spec *s, const char **field) RP_MUST_CHECK;

/* Adds an enabled trunk, sealing 'secret' (SV_NULL or empty: none; a
 * registration trunk needs one). Returns 0, -EINVAL or -E2BIG (see
 * trunks_spec_check(), field "secret" for a bad or missing secret),
 * -EEXIST, -ENOMEM or a store error. */
int trunks_add(struct db *db, const struct keys *k, const struct trunk_spec *s,
    struct sv secret, int64_t now, const char **field) RP_MUST_CHECK;

/* Replaces every field of an existing trunk but its name, state and
 * created_at, and its secret unless 'secret' is present (SV_NULL keeps
 * it; an empty view removes it, refused for a registration trunk).
 * Returns as trunks_add(), or -ENOENT. */
int trunks_update(struct db *db, const struct keys *k,
    const struct trunk_spec *s, struct sv secret, int64_t now,
    const char **field) RP_MUST_CHECK;

/* Reads a trunk without its secret. Returns 0, -EINVAL (bad name),
 * -ENOENT, -EBADMSG (a row that breaks the rules) or a store error. */
int trunks_get(
    struct db *db, struct sv name, struct trunk_info *out) RP_MUST_CHECK;

/* Opens the trunk's secret, appending it to 'out'; wipe 'out' with
 * keys_wipe_buf(). For the daemon only: never shown or logged. Returns
 * 0, -EINVAL, -ENOENT (no such trunk), -ENODATA (the trunk has no
 * secret), -EBADMSG (does not open: wrong key, or the row was altered;
 * logged), -ENOMEM or a store error. */
int trunks_get_secret(struct db *db, const struct keys *k, struct sv name,
    struct buf *out) RP_MUST_CHECK;

/* Calls cb for every trunk, by name. Returns 0, the callback's non-zero
 * value, -EBADMSG or a store error. */
int trunks_list(struct db *db, trunks_list_cb cb, void *arg) RP_MUST_CHECK;

/* Enables or disables a trunk. Returns 0, -EINVAL, -ENOENT or a store
 * error. */
int trunks_set_enabled(
    struct db *db, struct sv name, bool enabled, int64_t now) RP_MUST_CHECK;

/* Removes a trunk. Returns 0, -EINVAL, -ENOENT, -EBUSY (a route names
 * it; 'route' (may be NULL) gets the first such route's name) or a
 * store error. */
int trunks_remove(struct db *db, struct sv name,
    char route[ROUTES_NAME_MAX + 1]) RP_MUST_CHECK;

/* Checks and normalises a pattern (X, N, Z upper case) into out.
 * Returns 0 or -EINVAL. Any thread. */
int route_pattern_normalise(
    struct sv pattern, char out[ROUTES_PATTERN_MAX + 1]) RP_MUST_CHECK;

/* True when 'number' matches 'pattern' as a whole. A pattern that is
 * not valid matches nothing. Any thread. */
bool route_pattern_match(struct sv pattern, struct sv number);

/* Checks a route spec. On -EINVAL *field (may be NULL) names the bad
 * field ("name", "pattern", "priority", "strip", "prepend", "trunks").
 * Any thread. */
int routes_spec_check(
    const struct route_spec *s, const char **field) RP_MUST_CHECK;

/* Adds an enabled route. Each trunk must exist: -ENOENT, 'missing' (may
 * be NULL) getting the first unknown name. Returns 0, -EINVAL (see
 * routes_spec_check(); a trunk named twice is refused, field "trunks"),
 * -ENOENT, -EEXIST (the name is taken) or a store error. */
int routes_add(struct db *db, const struct route_spec *s, int64_t now,
    const char **field, char missing[TRUNKS_NAME_MAX + 1]) RP_MUST_CHECK;

/* Reads a route. Returns 0, -EINVAL, -ENOENT, -EBADMSG or a store
 * error. */
int routes_get(
    struct db *db, struct sv name, struct route_info *out) RP_MUST_CHECK;

/* Removes a route. Returns 0, -EINVAL, -ENOENT or a store error. */
int routes_remove(struct db *db, struct sv name) RP_MUST_CHECK;

/* Calls cb for every route, by priority then name. Returns 0, the
 * callback's non-zero value, -EBADMSG or a store error. */
int routes_list(struct db *db, routes_list_cb cb, void *arg) RP_MUST_CHECK;

/* Picks the best enabled route of 'routes' (n of them) for 'number' and
 * fills *out with its name, all its trunks in order and the rewritten
 * number. A route whose strip would leave nothing is passed over.
 * Returns 0, -EINVAL (not a dialled number) or -ENOENT (no route
 * matches). Any thread; reads only its arguments. */
int routes_pick(const struct route_info *routes, size_t n, struct sv number,
    struct route_choice *out) RP_MUST_CHECK;

/* routes_pick() over the stored routes, leaving out the disabled trunks
 * (counted in n_skipped), in one read snapshot. Returns as
 * routes_pick(), -ENOMEM or a store error. */
int routes_select(
    struct db *db, struct sv number, struct route_choice *out) RP_MUST_CHECK;

/* Adds an enabled DID to extension 'ext' (which must exist: -ENOENT)
 * with an alternate destination ('alternate': see
 * users_alternate_valid(); an extension must exist: -ENXIO) and a ring
 * timeout. Returns 0, -EINVAL (*field (may be NULL): "number", "ext",
 * "alternate", "ring_timeout"), -ENOENT, -ENXIO, -EEXIST or a store
 * error. */
int dids_add(struct db *db, struct sv number, struct sv ext,
    struct sv alternate, uint32_t ring_timeout_s, int64_t now,
    const char **field) RP_MUST_CHECK;

/* Reads a DID. Returns 0, -EINVAL, -ENOENT, -EBADMSG or a store
 * error. */
int dids_get(
    struct db *db, struct sv number, struct did_info *out) RP_MUST_CHECK;

/* Removes a DID. Returns 0, -EINVAL, -ENOENT or a store error. */
int dids_remove(struct db *db, struct sv number) RP_MUST_CHECK;

/* Calls cb for every DID, by number. Returns 0, the callback's non-zero
 * value, -EBADMSG or a store error. */
int dids_list(struct db *db, dids_list_cb cb, void *arg) RP_MUST_CHECK;

#endif
