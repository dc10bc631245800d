/* SIP messages: a zero-copy, lazy parser (RFC 3261 §7, §20, §25).
 *
 * sip_msg_parse() makes one pass over the bytes: it checks the start
 * line, indexes every header field (name, identifier, value view) and
 * finds the body. Typed headers are parsed on first use through the
 * accessors below and cached in the message, so a router that needs only
 * Via, CSeq, Call-ID, the tags and the To URI never pays for the rest.
 *
 * All views point into the buffer given to sip_msg_parse(); the message
 * is valid only while that buffer lives and is unchanged. A message is
 * used by one thread at a time (accessors fill its cache). */
#ifndef RP_SIP_MSG_H
#define RP_SIP_MSG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "sip/addr.h"
#include "sip/digest.h"
#include "sip/limits.h"
#include "sip/uri.h"
#include "sip/via.h"

enum sip_method {
	SIP_METHOD_OTHER, /* a valid token we do not know */
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
};

/* Header fields we recognise by name (long or compact form). */
enum sip_hdr_id {
	SIP_HDR_OTHER,
	SIP_HDR_VIA,
	SIP_HDR_FROM,
	SIP_HDR_TO,
	SIP_HDR_CALL_ID,
	SIP_HDR_CSEQ,
	SIP_HDR_CONTACT,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_EXPIRES,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_CONTENT_LENGTH,
	SIP_HDR_CONTENT_TYPE,
	SIP_HDR_CONTENT_ENCODING,
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_ALLOW,
	SIP_HDR_SUPPORTED,
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_PRIVACY,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_P_PREFERRED_IDENTITY,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_SUBJECT,
	SIP_HDR_ACCEPT,
	SIP_HDR_EVENT,
	SIP_HDR_ALLOW_EVENTS,
	SIP_HDR_REFER_TO,
	SIP_HDR_REFERRED_BY,
	SIP_HDR_SESSION_EXPIRES,
	SIP_HDR_MIN_SE,
	SIP_HDR_RSEQ,
	SIP_HDR_RACK,
	SIP_HDR_DATE,
	SIP_HDR_TIMESTAMP,
	SIP_HDR_REPLY_TO,
	SIP_HDR_IDENTITY,
	SIP_HDR_COUNT
};

/* Why a message was refused and what the peer should be told. 'reason'
 * is static text naming the fault (never echoed input). For a malformed
 * response, status is still set but a server only drops it. */
struct sip_error {
	uint16_t status;
	const char *reason;
	enum sip_hdr_id hdr; /* the header at fault, SIP_HDR_OTHER if none */
};

struct sip_hdr {
	struct sv name;  /* as written */
	struct sv value; /* trimmed; may contain folded line breaks */
	uint8_t id;      /* enum sip_hdr_id */
	int16_t next;    /* index of the next field with this id, or -1 */
};

struct sip_cseq {
	uint32_t seq;
	struct sv method_name;
	enum sip_method method;
};

/* Comma-separated values across every field of one header kind. */
struct sip_hdr_iter {
	const struct sip_msg *msg;
	enum sip_hdr_id id;
	int next_hdr;   /* index of the next field to open, or -1 */
	struct sv rest; /* unread part of the current field */
	unsigned count; /* values returned so far */
};

/* Lazy cache slots, one bit each in sip_msg.parsed. */
enum sip_msg_slot {
	SIP_SLOT_RURI,
	SIP_SLOT_VIA,
	SIP_SLOT_FROM,
	SIP_SLOT_TO,
	SIP_SLOT_CALL_ID,
	SIP_SLOT_CSEQ,
	SIP_SLOT_MAX_FORWARDS,
	SIP_SLOT_EXPIRES,
	SIP_SLOT_CONTENT_LENGTH,
	SIP_SLOT_COUNT
};

struct sip_msg {
	struct sv raw; /* start line through the end of the body */
	bool is_request;
	/* Request line. */
	enum sip_method method;
	struct sv method_name;
	struct sv ruri_text;
	/* Status line. */
	uint16_t status;
	struct sv reason;

	struct sip_hdr hdrs[SIP_HEADERS_MAX];
	unsigned nhdrs;
	/* Index in hdrs of the first field of each id, or -1. */
	int16_t first[SIP_HDR_COUNT];
	struct sv body;
	const struct sip_limits *limits;

	/* Cache of parsed single-valued headers. */
	uint32_t parsed;           /* bit per enum sip_msg_slot: attempted */
	int8_t rc[SIP_SLOT_COUNT]; /* its result: 0 or a negative errno */
	struct sip_uri ruri;
	struct sip_via via;
	struct sip_addr from;
	struct sip_addr to;
	struct sv call_id;
	struct sip_cseq cseq;
	uint32_t max_forwards;
	uint32_t expires;
	uint32_t content_length;
};

/* Datagram or already-framed message: indexes 'in' into *m.
 * The body is what follows the blank line, cut to Content-Length when
 * present (RFC 3261 §18.3); a Content-Length larger than what arrived is
 * an error. 'lim' may be NULL for sip_limits_default.
 * Returns 0, or -EBADMSG / -E2BIG with *err saying what to answer. */
int sip_msg_parse(struct sip_msg *m, struct sv in, const struct sip_limits *lim,
    struct sip_error *err) RP_MUST_CHECK;

/* Parses every recognised header of an indexed message and checks the
 * whole RFC 3261 grammar for them. Returns 0 or -EBADMSG/-E2BIG/-ERANGE
 * with *err set. */
int sip_msg_parse_all(struct sip_msg *m, struct sip_error *err) RP_MUST_CHECK;

/* Typed accessors. Each parses its header on first call and caches the
 * result; later calls are free. They return 0 and set *out (pointing
 * into the message), -ENOENT when the header is absent, or the parse
 * error (-EBADMSG, -E2BIG, -ERANGE). When err is not NULL it says what
 * to answer. */
int sip_msg_ruri(struct sip_msg *m, const struct sip_uri **out,
    struct sip_error *err) RP_MUST_CHECK;
int sip_msg_via(struct sip_msg *m, const struct sip_via **out,
    struct sip_error *err) RP_MUST_CHECK; /* the top Via value */
int sip_msg_from(struct sip_msg *m, const struct sip_addr **out,
    struct sip_error *err) RP_MUST_CHECK;
int sip_msg_to(struct sip_msg *m, const struct sip_addr **out,
    struct sip_error *err) RP_MUST_CHECK;
int sip_msg_call_id(
    struct sip_msg *m, struct sv *out, struct sip_error *err) RP_MUST_CHECK;
int sip_msg_cseq(struct sip_msg *m, const struct sip_cseq **out,
    struct sip_error *err) RP_MUST_CHECK;
int sip_msg_max_forwards(
    struct sip_msg *m, uint32_t *out, struct sip_error *err) RP_MUST_CHECK;
int sip_msg_expires(
    struct sip_msg *m, uint32_t *out, struct sip_error *err) RP_MUST_CHECK;
int sip_msg_content_length(
    struct sip_msg *m, uint32_t *out, struct sip_error *err) RP_MUST_CHECK;

/* The raw value of the first field of a header, or -ENOENT. */
int sip_msg_header(const struct sip_msg *m, enum sip_hdr_id id,
    struct sv *value) RP_MUST_CHECK;
/* The same for a header we do not recognise, found by name
 * (case-insensitive). */
int sip_msg_header_by_name(
    const struct sip_msg *m, struct sv name, struct sv *value) RP_MUST_CHECK;
/* Walks the fields of one header kind: start with *pos = -1; returns 1
 * with *value set while fields remain, then 0. For headers whose commas
 * do not separate values (Authorization, WWW-Authenticate, Date). */
int sip_msg_next_field(
    const struct sip_msg *m, enum sip_hdr_id id, int *pos, struct sv *value);
/* Number of fields of a header kind (not of comma-separated values). */
unsigned sip_msg_header_count(const struct sip_msg *m, enum sip_hdr_id id);

/* Iterates the comma-separated values of every field of 'id' in order,
 * honouring quotes and angle brackets. Not for the authentication
 * headers, whose commas separate parameters. */
void sip_hdr_iter_init(
    struct sip_hdr_iter *it, const struct sip_msg *m, enum sip_hdr_id id);
/* Returns 1 with *value (trimmed), 0 at the end, -EBADMSG (unbalanced
 * quote or bracket, empty value) or -E2BIG (more than SIP_LIST_MAX). */
int sip_hdr_iter_next(struct sip_hdr_iter *it, struct sv *value) RP_MUST_CHECK;

/* Token lists (Allow, Supported, Require, Proxy-Require, Unsupported,
 * Privacy): true if 'token' is one of the values (case-insensitive). */
bool sip_msg_has_token(
    const struct sip_msg *m, enum sip_hdr_id id, struct sv token);

/* Method from its name (case-sensitive, RFC 3261 §7.1). */
enum sip_method sip_method_from_name(struct sv name);
const char *sip_method_name(enum sip_method method); /* NULL for OTHER */
/* Header id from a field name, long or compact, any case. */
enum sip_hdr_id sip_hdr_id_from_name(struct sv name);
const char *sip_hdr_name(enum sip_hdr_id id); /* long form; NULL: OTHER */

#endif
