/* SIP Digest authentication: challenges, stateless nonces and response
 * checks (RFC 3261 §22, RFC 7616, RFC 8760). R-AUTH-4, R-AUTH-5.
 *
 * Pure logic: no sockets, no database, no clock. The caller parses the
 * Authorization / Proxy-Authorization value with sip_digest_parse(),
 * looks up the user's stored HA1s, passes the time in, and maps the
 * result to an answer:
 *
 *   SIP_AUTH_OK     the request is authenticated as cred->username.
 *   SIP_AUTH_STALE  the response was right but the nonce has expired (or
 *                   its nonce-count state was lost under table pressure):
 *                   answer 401/407 with a fresh challenge and stale=true,
 *                   so the phone retries without asking its user.
 *   SIP_AUTH_FAIL   anything else: answer 401/407 with a fresh challenge,
 *                   stale absent. The answer must be byte for byte the
 *                   same whatever 'why' says (R-AUTH-5).
 *
 * Nonces (stateless; no per-challenge state is kept):
 *
 *   raw   = issue_s (8 bytes, big-endian) || random (12 bytes)
 *           || tag (16 bytes)
 *   tag   = HMAC-SHA-256(nonce_key, "rempart nonce v1" || issue_s
 *           || random || len(realm) (2 bytes BE) || realm
 *           || len(client) (1 byte) || client), first 16 bytes
 *   nonce = base64url(raw) without padding: 48 characters.
 *
 * nonce_key is derived from the 32-byte server key, so every node of a
 * cluster that shares the key accepts the others' nonces, and a server
 * that keeps its key across restarts keeps its phones registered. With a
 * random key (key NULL) every nonce issued before a restart fails once.
 * 'client' is an optional binding (for example the source address as
 * text): the same bytes must be given when checking, or the nonce fails.
 * A nonce is valid while now_s - issue_s <= nonce lifetime (default
 * 300 s); a nonce from more than SIP_AUTH_CLOCK_SKEW_S in the future (a
 * clock stepped back) counts as expired.
 *
 * Replay protection (nonce-count, RFC 7616 §3.4): a bounded table keyed
 * by the nonce tag keeps the highest nc accepted for each live nonce.
 * A request whose nc is not above it is a replay (FAIL). Only successful
 * checks write to the table, so only authenticated users can fill it.
 * When it is full the entry with the oldest nonce among a few probed
 * slots is evicted, and every nonce issued no later than an evicted one
 * and missing from the table is answered STALE: eviction costs a
 * re-challenge, never an accepted replay. Without qop (RFC 2069, only
 * when allowed) there is no nc; each nonce is then accepted once and its
 * reuse answered STALE.
 *
 * Uniform failure (R-AUTH-5): for an unknown user, or a user without an
 * HA1 for the algorithm the phone chose, pass ha1 = NULL (or leave the
 * has_ flag false). The check then computes the response against a dummy
 * HA1 derived from the server key and the username and compares it the
 * same way, so the work and the timing do not depend on whether the user
 * exists; the result is FAIL with why SIP_AUTH_WHY_RESPONSE, exactly as
 * for a wrong password. The caller must make its own lookup uniform too
 * (same worker round trip for known and unknown users).
 *
 * HA1 values are password equivalents: keep them encrypted at rest
 * (R-CRYPTO-3), never log them, and wipe copies with
 * sip_auth_ha1_wipe().
 *
 * A struct sip_auth belongs to one thread (the signalling thread): the
 * checks update its nonce-count table. The functions that take no
 * struct sip_auth may be called from any thread. */
#ifndef RP_SIP_AUTH_H
#define RP_SIP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "sip/digest.h"

/* Server key length (bytes). */
#define SIP_AUTH_KEY_LEN 32u
/* Raw HA1 lengths (bytes). */
#define SIP_AUTH_MD5_LEN 16u
#define SIP_AUTH_SHA256_LEN 32u
#define SIP_AUTH_HASH_MAX 32u
/* A response in lower-case hex, plus its NUL. */
#define SIP_AUTH_RESPONSE_HEX_MAX (2u * SIP_AUTH_HASH_MAX + 1u)
/* Nonce text length (base64url of 36 bytes), without NUL. */
#define SIP_AUTH_NONCE_LEN 48u
/* Realm length bound; the realm must also be printable ASCII without
 * '"' or '\' so that it needs no quoting. */
#define SIP_AUTH_REALM_MAX 128u
/* Client binding length bound. */
#define SIP_AUTH_CLIENT_MAX 64u
#define SIP_AUTH_NONCE_LIFETIME_DEFAULT_S 300u
#define SIP_AUTH_NONCE_LIFETIME_MAX_S 86400u
/* Nonce-count table slots: a power of two in [MIN, MAX]. */
#define SIP_AUTH_NC_SLOTS_DEFAULT 65536u
#define SIP_AUTH_NC_SLOTS_MIN 16u
#define SIP_AUTH_NC_SLOTS_MAX (1u << 22)
/* How far in the future a nonce's issue time may be (cluster clocks). */
#define SIP_AUTH_CLOCK_SKEW_S 30u

struct sip_auth;

struct sip_auth_config {
	uint32_t nonce_lifetime_s; /* 0: SIP_AUTH_NONCE_LIFETIME_DEFAULT_S */
	uint32_t nc_slots;         /* 0: SIP_AUTH_NC_SLOTS_DEFAULT */
	/* Accept RFC 2069 credentials (no qop, cnonce or nc). Off by
	 * default: qop=auth is required. */
	bool allow_no_qop;
};

/* A user's stored HA1s, raw bytes: MD5(user ":" realm ":" secret) and
 * SHA-256(user ":" realm ":" secret). A flag false means "none stored";
 * the check then fails exactly as for an unknown user. */
struct sip_auth_ha1 {
	uint8_t md5[SIP_AUTH_MD5_LEN];
	uint8_t sha256[SIP_AUTH_SHA256_LEN];
	bool has_md5;
	bool has_sha256;
};

enum sip_auth_result {
	SIP_AUTH_OK,
	SIP_AUTH_STALE,
	SIP_AUTH_FAIL,
};

/* Why a check did not give OK: for logs and brute-force counters only,
 * never for the answer. */
enum sip_auth_why {
	SIP_AUTH_WHY_NONE,      /* OK */
	SIP_AUTH_WHY_MALFORMED, /* not Digest, a parameter missing or empty */
	SIP_AUTH_WHY_REALM,     /* realm is not ours */
	SIP_AUTH_WHY_ALGORITHM, /* not MD5 or SHA-256, or userhash */
	SIP_AUTH_WHY_QOP,       /* qop absent (not allowed) or not "auth" */
	SIP_AUTH_WHY_NONCE,     /* not one of ours, tampered, other client */
	SIP_AUTH_WHY_RESPONSE,  /* wrong password or unknown user */
	SIP_AUTH_WHY_EXPIRED,   /* STALE: nonce too old */
	SIP_AUTH_WHY_NC_LOST,   /* STALE: nc state evicted, or RFC 2069 reuse */
	SIP_AUTH_WHY_REPLAY,    /* nc not above the last accepted one */
	SIP_AUTH_WHY_INTERNAL,  /* a crypto primitive failed */
};

/* What sip_auth_check() needs besides the context. */
struct sip_auth_request {
	const struct sip_digest *cred; /* parsed credentials */
	struct sv method; /* request method as on the request line */
	/* The user's HA1s; NULL for an unknown user (see above). */
	const struct sip_auth_ha1 *ha1;
	struct sv client; /* the binding given to the challenge, or SV_NULL */
	uint64_t now_s;   /* wall-clock seconds */
};

/* Creates a context for 'realm' (copied). 'key' is the 32-byte server
 * key (copied); NULL draws a random one with RAND_bytes. 'cfg' may be
 * NULL for the defaults. On success *out is new; free it with
 * sip_auth_free(). Returns 0, -EINVAL (realm empty, too long or holding
 * '"', '\', controls or non-ASCII; bad cfg), -ENOMEM or -EIO (RAND or
 * HMAC failed). Any thread; the context then belongs to one. */
int sip_auth_new(struct sip_auth **out, struct sv realm,
    const uint8_t key[SIP_AUTH_KEY_LEN],
    const struct sip_auth_config *cfg) RP_MUST_CHECK;

/* Wipes the keys and frees the context. Accepts NULL. */
void sip_auth_free(struct sip_auth *a);

/* The realm given to sip_auth_new() (valid while the context lives). */
struct sv sip_auth_realm(const struct sip_auth *a);

/* Issues a nonce for 'client' (SV_NULL or at most SIP_AUTH_CLIENT_MAX
 * bytes) at now_s into out, NUL-terminated (out_size must be at least
 * SIP_AUTH_NONCE_LEN + 1). Returns 0, -EINVAL or -EIO. */
int sip_auth_nonce(struct sip_auth *a, struct sv client, uint64_t now_s,
    char *out, size_t out_size) RP_MUST_CHECK;

/* Appends one challenge value, "Digest realm=..., nonce=..., opaque=...,
 * algorithm=..., qop=\"auth\"" and ", stale=true" when asked, for 'alg'
 * (SIP_DIGEST_ALG_MD5 or SIP_DIGEST_ALG_SHA256) and a nonce from
 * sip_auth_nonce(). Returns 0, -EINVAL or the buf's error. */
int sip_auth_challenge_value(struct sip_auth *a, struct buf *b,
    enum sip_digest_alg alg, struct sv nonce, bool stale) RP_MUST_CHECK;

/* Appends the two challenge header lines of a 401 (proxy false:
 * WWW-Authenticate) or a 407 (proxy true: Proxy-Authenticate), SHA-256
 * first then MD5 (RFC 8760 §2.4: the preferred algorithm first), both
 * with the same fresh nonce, each ended by CRLF. Returns 0, -EINVAL, -EIO
 * or the buf's error. */
int sip_auth_challenge(struct sip_auth *a, struct buf *b, bool proxy,
    bool stale, struct sv client, uint64_t now_s) RP_MUST_CHECK;

/* Checks credentials (see the comment at the top). *why, when not NULL,
 * says why the result is not OK. On OK the nonce-count table records
 * cred->nc for the nonce. */
enum sip_auth_result sip_auth_check(struct sip_auth *a,
    const struct sip_auth_request *req, enum sip_auth_why *why);

/* Static name of a 'why' value for logs ("replay", ...). */
const char *sip_auth_why_name(enum sip_auth_why why);

/* HA1 = H(user ":" realm ":" secret) for alg MD5 (or ABSENT) or SHA-256,
 * raw bytes into out (out_size at least the hash length), its length in
 * *out_len. Returns 0, -EINVAL (other algorithm, out too small) or -EIO.
 * Any thread. */
int sip_auth_ha1_compute(enum sip_digest_alg alg, struct sv user,
    struct sv realm, struct sv secret, uint8_t *out, size_t out_size,
    size_t *out_len) RP_MUST_CHECK;

/* Fills both HA1s of *h from a secret. Returns 0, or -EIO with *h wiped.
 * Any thread. */
int sip_auth_ha1_set(struct sip_auth_ha1 *h, struct sv user, struct sv realm,
    struct sv secret) RP_MUST_CHECK;

/* Overwrites *h with zeros in a way the compiler keeps. */
void sip_auth_ha1_wipe(struct sip_auth_ha1 *h);

/* The request-digest of RFC 7616 §3.4.1 for a raw HA1 (with qop "auth":
 * H(hex(HA1) ":" nonce ":" nc ":" cnonce ":" qop ":" hex(H(A2))), where
 * A2 = method ":" uri) or, when qop is SV_NULL, RFC 2069's
 * H(hex(HA1) ":" nonce ":" hex(H(A2))). Written as lower-case hex with a
 * NUL into out (out_size at least 2 * hash length + 1). Also serves a
 * client answering a trunk's challenge. Returns 0, -EINVAL (algorithm
 * other than MD5/ABSENT/SHA-256, wrong ha1_len, out too small) or -EIO.
 * Any thread. */
int sip_auth_response(enum sip_digest_alg alg, const uint8_t *ha1,
    size_t ha1_len, struct sv nonce, struct sv nc, struct sv cnonce,
    struct sv qop, struct sv method, struct sv uri, char *out,
    size_t out_size) RP_MUST_CHECK;

#endif
