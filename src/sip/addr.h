/* name-addr / addr-spec with header parameters: the values of From, To,
 * Contact, Route, Record-Route, Reply-To, P-Asserted-Identity, Refer-To
 * (RFC 3261 §20.10, §25.1). */
#ifndef RP_SIP_ADDR_H
#define RP_SIP_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "sip/uri.h"

struct sip_addr {
	/* Display name: quotes removed and escapes kept when quoted, the
	 * token words otherwise; SV_NULL when absent. */
	struct sv display;
	bool display_quoted;
	bool angle; /* the URI was in <...> (name-addr form) */
	struct sip_uri uri;
	/* Header parameters after the URI, from the first ';' on (the
	 * form sip_param_next() reads), empty if none. In addr-spec form
	 * every ';' after the URI starts a header parameter, not a URI
	 * parameter (RFC 3261 §20). */
	struct sv params;
	struct sv tag; /* SV_NULL when absent */
	/* Contact only. */
	bool star;       /* "Contact: *" */
	uint32_t expires; /* valid when has_expires */
	bool has_expires;
	uint16_t q; /* q-value times 1000, valid when has_q */
	bool has_q;
};

/* Parses one name-addr or addr-spec with its parameters; a second tag
 * is malformed. Returns 0, -EBADMSG, -E2BIG (the value over
 * SIP_HEADER_LEN_MAX, the URI or parameters over their limits) or
 * -ERANGE (URI port or ttl out of range). */
int sip_addr_parse(struct sv in, struct sip_addr *out) RP_MUST_CHECK;

/* Like sip_addr_parse, but also accepts the lone "*" of Contact, and
 * reads expires and q (each at most once; a q that is not a qvalue is
 * -EBADMSG, an expires above 2^32-1 is -ERANGE). */
int sip_contact_parse(struct sv in, struct sip_addr *out) RP_MUST_CHECK;

#endif
