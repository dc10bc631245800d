/* Digest authentication header values (RFC 3261 §22, RFC 7616, RFC 8760):
 * Authorization / Proxy-Authorization credentials and WWW-Authenticate /
 * Proxy-Authenticate challenges. Parsing only; computing and checking a
 * response belongs to the auth module. */
#ifndef RP_SIP_DIGEST_H
#define RP_SIP_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

enum sip_digest_alg {
	SIP_DIGEST_ALG_ABSENT, /* no algorithm parameter: MD5 by default */
	SIP_DIGEST_ALG_MD5,
	SIP_DIGEST_ALG_MD5_SESS,
	SIP_DIGEST_ALG_SHA256,
	SIP_DIGEST_ALG_SHA256_SESS,
	SIP_DIGEST_ALG_SHA512_256,
	SIP_DIGEST_ALG_SHA512_256_SESS,
	SIP_DIGEST_ALG_UNKNOWN,
};

/* Views into the header value; quoted values come without their quotes
 * (escapes kept: see *_escaped). SV_NULL marks an absent parameter. */
struct sip_digest {
	struct sv scheme; /* "Digest" (or another scheme, see is_digest) */
	bool is_digest;
	struct sv username;
	bool username_escaped; /* contains quoted-pairs */
	struct sv realm;
	struct sv nonce;
	struct sv uri;
	struct sv response;
	struct sv cnonce;
	struct sv opaque;
	struct sv domain;
	struct sv charset;
	struct sv algorithm; /* as written */
	enum sip_digest_alg alg;
	/* Credentials: the single qop chosen. Challenges: the quoted list;
	 * see qop_auth / qop_auth_int. */
	struct sv qop;
	bool qop_auth;
	bool qop_auth_int;
	struct sv nc; /* 8 hex digits in credentials */
	uint32_t nc_value;
	bool has_nc;
	bool stale;
	bool userhash;
};

/* Parses an Authorization, Proxy-Authorization, WWW-Authenticate or
 * Proxy-Authenticate value. Duplicate parameters, unterminated quotes, a
 * bad nc or a parameter count over SIP_PARAMS_MAX are errors.
 * A value with username, uri, response, cnonce or nc is checked as
 * credentials (nc, response length, single qop); any other as a challenge
 * (qop list). Presence of required parameters is the caller's check;
 * username* is an error. Other schemes get only scheme and a syntax check.
 * On error *out is zeroed. Any thread; the views point into 'value'.
 * Returns 0, -EBADMSG or -E2BIG. */
int sip_digest_parse(struct sv value, struct sip_digest *out) RP_MUST_CHECK;

/* Name of an algorithm as it appears on the wire, e.g. "SHA-256-sess";
 * NULL for ABSENT and UNKNOWN. */
const char *sip_digest_alg_name(enum sip_digest_alg alg);

#endif
