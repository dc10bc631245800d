/* Parser limits. Each maps to the response a peer gets when it is hit;
 * all are checked before any work on the offending part. */
#ifndef RP_SIP_LIMITS_H
#define RP_SIP_LIMITS_H

#include <stddef.h>
#include <stdint.h>

/* Whole message (start line + headers + body): 513 Message Too Large. */
#define SIP_MSG_MAX 65535u
/* Header fields per message: 400 "Too Many Headers". */
#define SIP_HEADERS_MAX 128u
/* One header field, folded lines included: 400 "Header Too Long". */
#define SIP_HEADER_LEN_MAX 8192u
/* Request-URI and any URI: 414 Request-URI Too Long. */
#define SIP_URI_MAX 2048u
/* Via values (across all Via lines): 400 "Too Many Via Values". As
 * many as the usual Max-Forwards of 70 hops can add (RFC 4475 longreq). */
#define SIP_VIA_MAX 70u
/* Message body: 413 Request Entity Too Large. */
#define SIP_BODY_MAX 32768u
/* Start line: 414 for requests (it is mostly the URI), 400 otherwise. */
#define SIP_START_LINE_MAX 4096u
/* Method token length: 400 "Bad Method". */
#define SIP_METHOD_LEN_MAX 64u
/* Parameters on one URI or header value: 400 naming the header. */
#define SIP_PARAMS_MAX 64u
/* Comma-separated values iterated in one header kind (Contact, Route). */
#define SIP_LIST_MAX 64u

/* Per-source limits chosen by the transport; unauthenticated peers get
 * tighter ones (sip_limits_untrusted). */
struct sip_limits {
	uint32_t msg_max;
	uint32_t headers_max;
	uint32_t header_len_max;
	uint32_t uri_max;
	uint32_t via_max;
	uint32_t body_max;
};

extern const struct sip_limits sip_limits_default;
extern const struct sip_limits sip_limits_untrusted;

#endif
