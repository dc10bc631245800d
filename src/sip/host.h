/* Hosts in SIP: hostname, IPv4 address or IPv6 reference (RFC 3261
 * §25.1, RFC 5118 and RFC 4291 §2.2 for IPv6 text forms). */
#ifndef RP_SIP_HOST_H
#define RP_SIP_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "sip/uri.h"

/* Checks 'in' as a host: hostname, dotted IPv4, or "[IPv6]". *host gets
 * the host without brackets and *type its kind. A dotted-digit string
 * that is not a valid IPv4 address is refused rather than taken as a
 * name. Returns 0 or -EBADMSG. Any thread. */
int sip_host_parse(
    struct sv in, struct sv *host, enum sip_host_type *type) RP_MUST_CHECK;

/* Dotted IPv4: four decimal octets of 1 to 3 digits, each at most 255.
 * RFC 3261 allows leading zeros; inside an IPv6 address RFC 3986 does
 * not ('strict'). Fills addr on success. */
bool sip_host_ipv4_bytes(struct sv s, bool strict, uint8_t addr[4]);
/* An IPv6 address without brackets (RFC 3986 §3.2.2), filling addr with
 * its 16 bytes on success. */
bool sip_host_ipv6_bytes(struct sv s, uint8_t addr[16]);
/* hostname = *( domainlabel "." ) toplabel [ "." ] (RFC 3261 §25.1). */
bool sip_host_is_name(struct sv s);
bool sip_host_is_ipv4(struct sv s);
bool sip_host_is_ipv6(struct sv s);

#endif
