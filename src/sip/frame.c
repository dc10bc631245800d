/* Stream and datagram framing. */
#include "sip/frame.h"

#include <errno.h>

#include "sip/msg_int.h"

/* Offset just past the blank line ending the headers, or 0 when it has
 * not arrived. Bare LF line ends are tolerated as by the parser. */
static size_t
headers_end(struct sv in)
{
	for (size_t i = 0; i + 1 < in.len; i++) {
		if (in.p[i] != '\n')
			continue;
		if (in.p[i + 1] == '\n')
			return i + 2;
		if (in.p[i + 1] == '\r' && i + 2 < in.len &&
		    in.p[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Finds Content-Length (or its compact form "l") among the header lines
 * and reads its value. Returns 0, -ENOENT or -EBADMSG. */
static int
content_length(struct sv headers, uint32_t *out)
{
	struct sv line;
	bool found = false;

	while (sv_split(&headers, '\n', &line)) {
		long colon = sv_find_char(line, ':');
		struct sv name;
		uint32_t v;

		if (colon <= 0 || line.p[0] == ' ' || line.p[0] == '\t')
			continue;
		name = sv_trim(sv_head(line, (size_t)colon));
		if (!sv_ieq(name, SV("Content-Length")) &&
		    !sv_ieq(name, SV("l")))
			continue;
		if (found ||
		    sv_to_u32(sv_trim(sv_skip(line, (size_t)colon + 1)),
		        UINT32_MAX, &v) != 0)
			return -EBADMSG;
		*out = v;
		found = true;
	}
	return found ? 0 : -ENOENT;
}

int
sip_frame_stream(struct sv in, const struct sip_limits *lim,
    struct sip_frame *out, struct sip_error *err)
{
	size_t head;
	uint32_t cl;
	int rc;

	if (lim == NULL)
		lim = &sip_limits_default;
	if (in.len == 0)
		return -ENODATA;
	if (in.p[0] == '\r' || in.p[0] == '\n') {
		/* RFC 5626 §4.4.1 keep-alives. */
		if (sv_starts_with(in, SV("\r\n\r\n"))) {
			*out = (struct sip_frame){SIP_FRAME_PING, 4};
			return 0;
		}
		if (in.len == 2 && sv_eq(in, SV("\r\n"))) {
			*out = (struct sip_frame){SIP_FRAME_PONG, 2};
			return 0;
		}
		if (in.len >= 3 && sv_starts_with(in, SV("\r\n")) &&
		    in.p[2] != '\r') {
			*out = (struct sip_frame){SIP_FRAME_PONG, 2};
			return 0;
		}
		if (in.len < 4 && sv_eq(in, sv_head(SV("\r\n\r\n"), in.len)))
			return -ENODATA;
		/* RFC 3261 §7.5: stray line ends before a message. */
		*out = (struct sip_frame){SIP_FRAME_PONG, 1};
		return 0;
	}
	head = headers_end(sv_head(in, lim->msg_max));
	if (head == 0) {
		if (in.len >= lim->msg_max)
			return sip_msg_fail(err, 513, "Message Too Large",
			    SIP_HDR_OTHER, -E2BIG);
		return -ENODATA;
	}
	rc = content_length(sv_head(in, head), &cl);
	if (rc != 0)
		/* RFC 3261 §18.3: mandatory on stream transports. */
		return sip_msg_fail(err, 400,
		    rc == -ENOENT ? "Missing Content-Length Header"
		                  : "Bad Content-Length Header",
		    SIP_HDR_CONTENT_LENGTH, -EBADMSG);
	if (cl > lim->body_max)
		return sip_msg_fail(err, 413, "Request Entity Too Large",
		    SIP_HDR_CONTENT_LENGTH, -E2BIG);
	if (head + cl > lim->msg_max)
		return sip_msg_fail(
		    err, 513, "Message Too Large", SIP_HDR_OTHER, -E2BIG);
	if (in.len < head + cl)
		return -ENODATA;
	*out = (struct sip_frame){SIP_FRAME_MESSAGE, head + cl};
	return 0;
}

enum sip_frame_kind
sip_frame_datagram(struct sv in)
{
	for (size_t i = 0; i < in.len; i++)
		if (in.p[i] != '\r' && in.p[i] != '\n')
			return SIP_FRAME_MESSAGE;
	return SIP_FRAME_PING;
}
