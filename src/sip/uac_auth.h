/* The client side of SIP Digest authentication (RFC 3261 §22.2,
 * RFC 7616, RFC 8760): answering a 401 / 407 from a trunk or proxy.
 *
 * Given the challenges of a response, the request's method and URI and
 * our credentials, sip_uac_auth_answer() picks the strongest challenge
 * we accept (SHA-256 over MD5), answers it with qop=auth, a fresh random
 * cnonce and a nonce-count that grows with each use of the same nonce,
 * and appends the Authorization / Proxy-Authorization header line.
 *
 * Policy, checked before any hashing:
 * - When cred->realm is set, a challenge for any other realm is refused:
 *   a proxy on the path cannot make us answer for a realm of its own.
 * - A challenge whose algorithm is below cred->min_alg is refused, so an
 *   attacker who strips the SHA-256 challenge cannot force MD5.
 * - Only MD5 (or no algorithm) and SHA-256 are supported; the -sess
 *   variants, SHA-512-256 and qop=auth-int alone are not. A challenge
 *   without qop (RFC 2069) is answered without cnonce and nc, unless
 *   cred->require_qop is set.
 * - Realm, nonce and opaque must be printable ASCII without '\' (no
 *   escapes: the hashed value would differ from the bytes on the wire)
 *   and no longer than SIP_UAC_AUTH_NONCE_MAX.
 *
 * Secrets: a precomputed HA1 (struct sip_auth_ha1, bound to cred->realm)
 * is preferred, so that the plain password need never be unsealed; a
 * password works for any realm that passes the checks. Nothing here logs,
 * and every temporary copy of a secret is wiped.
 *
 * A struct sip_uac_auth keeps the nonce-counts of the last few nonces; it
 * belongs to one thread (the signalling loop's). */
#ifndef RP_SIP_UAC_AUTH_H
#define RP_SIP_UAC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "sip/auth.h"
#include "sip/digest.h"
#include "sip/msg.h"

/* Longest realm, nonce or opaque we answer. */
#define SIP_UAC_AUTH_NONCE_MAX 256u
/* Random cnonce: this many bytes, sent as lower-case hex. */
#define SIP_UAC_AUTH_CNONCE_BYTES 16u
/* Nonces whose counts are remembered; the oldest is forgotten first. */
#define SIP_UAC_AUTH_SLOTS 4u

struct sip_uac_auth;

/* Our credentials; every view is borrowed for the call. */
struct sip_uac_auth_cred {
	struct sv username; /* the digest username (the "auth user") */
	/* The realm we expect: challenges for others are refused. Required
	 * with ha1; SV_NULL with a password accepts any realm. */
	struct sv realm;
	/* HA1s for 'realm' (raw bytes, see sip/auth.h), or NULL. */
	const struct sip_auth_ha1 *ha1;
	/* Used when ha1 is NULL (or holds no HA1 for the chosen
	 * algorithm); SV_NULL if none. */
	struct sv password;
	/* The weakest algorithm accepted: SIP_DIGEST_ALG_MD5 (or ABSENT)
	 * or SIP_DIGEST_ALG_SHA256. */
	enum sip_digest_alg min_alg;
	bool require_qop; /* refuse RFC 2069 challenges */
};

/* What an answer used, for the caller's retry logic and logs. */
struct sip_uac_auth_info {
	enum sip_digest_alg alg; /* as chosen (ABSENT when none was named) */
	uint32_t nc;             /* 1 the first time a nonce is answered */
	bool stale;              /* the challenge said stale=true */
	struct sv nonce;         /* view into the challenge */
	struct sv realm;         /* view into the challenge */
};

/* On success *out is new; free it with sip_uac_auth_free(). Returns 0 or
 * -ENOMEM. */
int sip_uac_auth_new(struct sip_uac_auth **out) RP_MUST_CHECK;
/* Frees the state (NULL is fine). */
void sip_uac_auth_free(struct sip_uac_auth *st);
/* Forgets every remembered nonce. */
void sip_uac_auth_reset(struct sip_uac_auth *st);

/* Of n parsed challenges, the index of the one to answer in *index:
 * Digest, realm accepted, algorithm supported and not below min_alg,
 * qop usable, fields well-formed; the strongest algorithm wins, the
 * first one on a tie. Returns 0, -EACCES (only challenges for another
 * realm or below min_alg), -ENOTSUP (nothing else we could answer) or
 * -EINVAL (bad cred). */
int sip_uac_auth_pick(const struct sip_digest *chal, size_t n,
    const struct sip_uac_auth_cred *cred, size_t *index) RP_MUST_CHECK;

/* Appends one credentials value ("Digest username=..., ...", no header
 * name, no CRLF) answering 'chal' (which sip_uac_auth_pick() must
 * accept) for a request with 'method' and Request-URI 'uri'. 'cnonce'
 * is SV_NULL for a random one (tests give RFC 7616's); the nonce-count
 * comes from st. *info, when not NULL, says what was used. Returns 0,
 * -EACCES / -ENOTSUP (as sip_uac_auth_pick()), -EINVAL (bad cred,
 * method, URI or cnonce, or no secret for the algorithm), -EIO (crypto
 * or random failure) or the buf's error. */
int sip_uac_auth_value(struct sip_uac_auth *st,
    const struct sip_uac_auth_cred *cred, const struct sip_digest *chal,
    struct sv method, struct sv uri, struct sv cnonce, struct buf *out,
    struct sip_uac_auth_info *info) RP_MUST_CHECK;

/* Answers a 401 (WWW-Authenticate, answered with Authorization) or a
 * 407 (Proxy-Authenticate, answered with Proxy-Authorization): parses
 * every challenge of 'resp' (malformed ones are skipped), picks one and
 * appends "Name: value\r\n" to out. *info, when not NULL, is filled; its
 * views point into resp. Returns 0, -EINVAL (resp not a 401 / 407, or as
 * sip_uac_auth_value()), -ENOENT (no challenge at all), -EACCES,
 * -ENOTSUP, -EIO or the buf's error. */
int sip_uac_auth_answer(struct sip_uac_auth *st,
    const struct sip_uac_auth_cred *cred, const struct sip_msg *resp,
    struct sv method, struct sv uri, struct buf *out,
    struct sip_uac_auth_info *info) RP_MUST_CHECK;

#endif
