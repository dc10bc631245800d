/* Via header values (RFC 3261 §20.42, RFC 3581 rport). */
#ifndef RP_SIP_VIA_H
#define RP_SIP_VIA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "sip/uri.h"

struct sip_via {
	struct sv protocol;  /* "SIP" */
	struct sv version;   /* "2.0" */
	struct sv transport; /* "UDP", "TCP", "TLS", "WS", "WSS", ... */
	struct sv host;      /* IPv6 without brackets */
	enum sip_host_type host_type;
	uint16_t port;
	bool has_port;
	struct sv params; /* raw, from the first ';' on; empty if none */
	struct sv branch; /* SV_NULL when absent */
	struct sv received; /* an IPv6 address without brackets */
	struct sv maddr;
	bool rport;           /* rport present (with or without value) */
	uint16_t rport_value; /* 0 when rport has no value */
	uint8_t ttl;
	bool has_ttl;
};

/* Parses one Via value (one comma-separated element). LWS is allowed
 * around '/' and ':' as the grammar says. Returns 0, -EBADMSG or
 * -ERANGE (port, rport or ttl out of range). Any thread. */
int sip_via_parse(struct sv value, struct sip_via *out) RP_MUST_CHECK;

/* True when the branch carries the RFC 3261 magic cookie "z9hG4bK"
 * followed by at least one character. */
bool sip_via_branch_is_rfc3261(const struct sip_via *via);

#endif
