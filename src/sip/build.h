/* SIP message builder. Every piece is checked before it is written, so
 * the output is always a well-formed message: method and header names
 * are tokens, no value holds CR, LF or NUL, status codes are 100-699, and
 * Content-Length always matches the body.
 *
 * Usage: a start line (request or response), headers, then exactly one
 * sip_build_body() that ends the message. Errors are sticky in the buf
 * (see core/buf.h) and returned by each call. Any thread. */
#ifndef RP_SIP_BUILD_H
#define RP_SIP_BUILD_H

#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "sip/msg.h"

/* "METHOD uri SIP/2.0". Returns 0, -EINVAL (method not a token, URI
 * empty, too long or holding white space or control bytes) or the buf's
 * error. */
int sip_build_request_line(
    struct buf *b, struct sv method, struct sv uri) RP_MUST_CHECK;

/* "SIP/2.0 code reason". An empty reason takes the standard phrase.
 * Returns 0, -EINVAL or the buf's error. */
int sip_build_status_line(
    struct buf *b, uint16_t status, struct sv reason) RP_MUST_CHECK;

/* "Name: value". Returns 0, -EINVAL (bad name, or value with CR, LF,
 * NUL or other control bytes but HTAB) or the buf's error. */
int sip_build_header(
    struct buf *b, struct sv name, struct sv value) RP_MUST_CHECK;
int sip_build_header_u32(
    struct buf *b, struct sv name, uint32_t value) RP_MUST_CHECK;

/* Ends the headers: Content-Type (when the body is not empty, required
 * then), Content-Length, the blank line and the body. */
int sip_build_body(
    struct buf *b, struct sv content_type, struct sv body) RP_MUST_CHECK;

/* Starts a response to 'req' (RFC 3261 §8.2.6): status line, then every
 * Via value in order, From, To, Call-ID and CSeq copied from the
 * request. When To has no tag, 'to_tag' is added (except to a 100, or
 * when to_tag is empty). The caller adds headers and ends with
 * sip_build_body(). Returns 0, -EINVAL (a header to copy is missing or
 * malformed, or a bad argument) or the buf's error. */
int sip_build_response(struct buf *b, struct sip_msg *req, uint16_t status,
    struct sv reason, struct sv to_tag) RP_MUST_CHECK;

/* Like sip_build_response(), and RFC 3581: the top Via gets
 * ";received=IP" and, when the request asked with a bare "rport", the
 * source port as its value ("rport=PORT"). 'ip' is the source address
 * as text (IPv6 without brackets). Returns as sip_build_response(). */
int sip_build_response_nat(struct buf *b, struct sip_msg *req, uint16_t status,
    struct sv reason, struct sv to_tag, struct sv ip,
    uint16_t port) RP_MUST_CHECK;

/* The standard reason phrase of a status code ("Not Found"), or
 * "Unknown" for codes without one. */
const char *sip_reason_phrase(uint16_t status);

#endif
