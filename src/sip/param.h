/* Generic header parameters: *( SEMI generic-param ), RFC 3261 §25.1.
 *
 * generic-param = token [ EQUAL gen-value ], gen-value = token / host /
 * quoted-string. LWS is allowed around ';' and '='. */
#ifndef RP_SIP_PARAM_H
#define RP_SIP_PARAM_H

#include <stdbool.h>

#include "core/compiler.h"
#include "core/sv.h"

struct sip_param {
	struct sv name;
	struct sv value; /* quotes removed, escapes kept; empty if no value */
	bool has_value;
	bool quoted; /* value was a quoted-string */
};

/* Reads the next parameter from *in, which holds the text after a value
 * (starting with ';' or LWS then ';'). Advances *in past it.
 * Returns 1 with *out filled, 0 when *in holds no more parameters (only
 * LWS left), -EBADMSG on malformed text. */
int sip_param_next(struct sv *in, struct sip_param *out) RP_MUST_CHECK;

/* Looks 'name' up (case-insensitively) in a parameter list as above
 * (starting at its first ';').
 * Returns 1 found, 0 absent, -EBADMSG malformed, -E2BIG over
 * SIP_PARAMS_MAX parameters. */
int sip_param_find(
    struct sv params, struct sv name, struct sip_param *out) RP_MUST_CHECK;

/* Validates a whole parameter list (syntax and SIP_PARAMS_MAX).
 * Returns the count, -EBADMSG or -E2BIG. */
int sip_param_check(struct sv params) RP_MUST_CHECK;

/* Reads a quoted-string at the start of 'in' (which must begin with '"').
 * *inner gets the bytes between the quotes (escapes kept), *rest what
 * follows the closing quote. Returns 0 or -EBADMSG (unterminated, or an
 * escape of CR/LF). */
int sip_quoted_string(
    struct sv in, struct sv *inner, struct sv *rest) RP_MUST_CHECK;

#endif
