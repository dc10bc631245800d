/* Message framing on the transports (RFC 3261 §18.3, RFC 5626 §4.4.1).
 *
 * Streams (TCP, TLS) carry messages back to back, delimited by
 * Content-Length, with CRLF keep-alives in between; datagrams carry one
 * message each. These functions only find boundaries; sip_msg_parse()
 * then checks the message itself. */
#ifndef RP_SIP_FRAME_H
#define RP_SIP_FRAME_H

#include <stddef.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "sip/limits.h"
#include "sip/msg.h"

enum sip_frame_kind {
	SIP_FRAME_MESSAGE,
	SIP_FRAME_PING, /* CRLF CRLF: answer with a CRLF pong */
	SIP_FRAME_PONG, /* a lone CRLF answering our ping */
};

struct sip_frame {
	enum sip_frame_kind kind;
	size_t len; /* bytes to consume from the start of the input */
};

/* Finds the first frame at the start of a stream buffer. Returns 0 with
 * *out set; -ENODATA when more bytes are needed; -EBADMSG (no
 * Content-Length, or a bad one) or -E2BIG (over the limits), with *err
 * saying what to answer before closing the connection. A buffer holding
 * exactly one CRLF is a pong; "\r\n\r\n" is a ping. 'lim' may be NULL. */
int sip_frame_stream(struct sv in, const struct sip_limits *lim,
    struct sip_frame *out, struct sip_error *err) RP_MUST_CHECK;

/* Classifies a datagram: a keep-alive made only of CR and LF bytes is a
 * ping (no answer is due on UDP), anything else a message to parse. */
enum sip_frame_kind sip_frame_datagram(struct sv in);

#endif
