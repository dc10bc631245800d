/* SIP message builder. */
#include "sip/build.h"

#include <errno.h>

#include "sip/chars.h"
#include "sip/param.h"
#include "sip/via.h"

static const struct {
	uint16_t code;
	const char *phrase;
} phrases[] = {
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {200, "OK"},
    {202, "Accepted"},
    {204, "No Notification"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {429, "Provide Referrer Identity"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
};

const char *
sip_reason_phrase(uint16_t status)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(phrases); i++)
		if (phrases[i].code == status)
			return phrases[i].phrase;
	return "Unknown";
}

/* Text allowed in a header value or reason phrase: anything but control
 * bytes (HTAB excepted) and DEL. Folding is never produced. */
static bool
text_ok(struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool
uri_text_ok(struct sv s)
{
	if (s.len == 0 || s.len > SIP_URI_MAX)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return true;
}

static int
finish(struct buf *b)
{
	return buf_error(b);
}

int
sip_build_request_line(struct buf *b, struct sv method, struct sv uri)
{
	if (!sip_is_token(method) || method.len > SIP_METHOD_LEN_MAX ||
	    !uri_text_ok(uri))
		return -EINVAL;
	buf_append_sv(b, method);
	buf_append_char(b, ' ');
	buf_append_sv(b, uri);
	buf_append_cstr(b, " SIP/2.0\r\n");
	return finish(b);
}

int
sip_build_status_line(struct buf *b, uint16_t status, struct sv reason)
{
	if (status < 100 || status > 699 || !text_ok(reason))
		return -EINVAL;
	if (reason.len == 0)
		reason = sv_cstr(sip_reason_phrase(status));
	buf_append_cstr(b, "SIP/2.0 ");
	buf_append_u64(b, status);
	buf_append_char(b, ' ');
	buf_append_sv(b, reason);
	buf_append_cstr(b, "\r\n");
	return finish(b);
}

int
sip_build_header(struct buf *b, struct sv name, struct sv value)
{
	if (!sip_is_token(name) || !text_ok(value))
		return -EINVAL;
	buf_append_sv(b, name);
	buf_append_cstr(b, ": ");
	buf_append_sv(b, value);
	buf_append_cstr(b, "\r\n");
	return finish(b);
}

int
sip_build_header_u32(struct buf *b, struct sv name, uint32_t value)
{
	if (!sip_is_token(name))
		return -EINVAL;
	buf_append_sv(b, name);
	buf_append_cstr(b, ": ");
	buf_append_u64(b, value);
	buf_append_cstr(b, "\r\n");
	return finish(b);
}

int
sip_build_body(struct buf *b, struct sv content_type, struct sv body)
{
	int rc;

	if (body.len > SIP_BODY_MAX || body.len > UINT32_MAX)
		return -EINVAL;
	if (body.len > 0) {
		if (content_type.len == 0)
			return -EINVAL;
		rc = sip_build_header(b, SV("Content-Type"), content_type);
		if (rc != 0)
			return rc;
	}
	rc = sip_build_header_u32(b, SV("Content-Length"), (uint32_t)body.len);
	if (rc != 0)
		return rc;
	buf_append_cstr(b, "\r\n");
	buf_append_sv(b, body);
	return finish(b);
}

/* Writes "Name: value[;tag=t]". A folded value cannot be copied as is:
 * its line breaks become spaces, which LWS allows (RFC 3261 §7.3.1). */
static int
copy_unfolded(struct buf *b, struct sv name, struct sv value, struct sv tag)
{
	if (!sip_is_token(name))
		return -EINVAL;
	for (size_t i = 0; i < value.len; i++) {
		char c = value.p[i];

		if (c != '\r' && c != '\n' && !text_ok(sv_make(&value.p[i], 1)))
			return -EINVAL;
	}
	buf_append_sv(b, name);
	buf_append_cstr(b, ": ");
	for (size_t i = 0; i < value.len; i++) {
		char c = value.p[i];

		if (c != '\r')
			buf_append_char(b, c == '\n' ? ' ' : c);
	}
	if (tag.len > 0) {
		buf_append_cstr(b, ";tag=");
		buf_append_sv(b, tag);
	}
	buf_append_cstr(b, "\r\n");
	return finish(b);
}

/* The top Via value with RFC 3581's parameters: a bare "rport" is
 * dropped and "received" / "rport=PORT" added. Written into 'out'. */
static int
nat_via(struct buf *out, struct sv top, struct sv ip, uint16_t port)
{
	struct sv rest = top;
	struct sip_via via;
	long semi;

	if (sip_via_parse(top, &via) != 0 || ip.len == 0)
		return -EINVAL;
	semi = sv_find_char(rest, ';');
	buf_append_sv(out, semi < 0 ? rest : sv_head(rest, (size_t)semi));
	if (semi >= 0) {
		struct sv params = sv_skip(rest, (size_t)semi);
		struct sip_param p;
		struct sv start = params;

		while (sip_param_next(&params, &p) == 1) {
			if (!(sv_ieq(p.name, SV("rport")) ||
			        sv_ieq(p.name, SV("received")))) {
				struct sv whole = sv_make(
				    start.p, (size_t)(params.p - start.p));

				buf_append_sv(out, sv_trim(whole));
			}
			start = params;
		}
	}
	buf_append_cstr(out, ";received=");
	buf_append_sv(out, ip);
	if (via.rport) {
		buf_append_cstr(out, ";rport=");
		buf_append_u64(out, port);
	}
	return buf_error(out);
}

/* Every Via value on a line of its own (RFC 3261 §7.3.1 allows it), the
 * top one with RFC 3581's parameters. */
static int
copy_vias_nat(struct buf *b, struct sip_msg *req, struct sv ip, uint16_t port)
{
	struct sip_hdr_iter it;
	struct buf top;
	struct sv v;
	bool first = true;
	int rc;

	sip_hdr_iter_init(&it, req, SIP_HDR_VIA);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1) {
		if (!first) {
			rc = copy_unfolded(b, SV("Via"), v, SV_NULL);
			if (rc != 0)
				return rc;
			continue;
		}
		first = false;
		buf_init(&top, SIP_HEADER_LEN_MAX);
		rc = nat_via(&top, v, ip, port);
		if (rc == 0)
			rc = copy_unfolded(
			    b, SV("Via"), buf_view(&top), SV_NULL);
		buf_release(&top);
		if (rc != 0)
			return rc;
	}
	return rc < 0 ? -EINVAL : 0;
}

int
sip_build_response(struct buf *b, struct sip_msg *req, uint16_t status,
    struct sv reason, struct sv to_tag)
{
	return sip_build_response_nat(
	    b, req, status, reason, to_tag, SV_NULL, 0);
}

int
sip_build_response_nat(struct buf *b, struct sip_msg *req, uint16_t status,
    struct sv reason, struct sv to_tag, struct sv ip, uint16_t port)
{
	static const struct {
		enum sip_hdr_id id;
		const char *name;
	} copied[] = {
	    {SIP_HDR_VIA, "Via"},
	    {SIP_HDR_FROM, "From"},
	};
	const struct sip_addr *to;
	const struct sip_cseq *cseq;
	struct sv call_id, to_value;
	int rc;

	if (!req->is_request || sip_msg_to(req, &to, NULL) != 0 ||
	    sip_msg_cseq(req, &cseq, NULL) != 0 ||
	    sip_msg_call_id(req, &call_id, NULL) != 0 ||
	    sip_msg_header(req, SIP_HDR_TO, &to_value) != 0)
		return -EINVAL;
	if (to_tag.len > 0 && !sip_is_token(to_tag))
		return -EINVAL;
	rc = sip_build_status_line(b, status, reason);
	if (rc != 0)
		return rc;
	for (size_t i = 0; i < RP_ARRAY_LEN(copied); i++) {
		struct sv v;
		int pos = -1;

		if (copied[i].id == SIP_HDR_VIA && ip.len > 0) {
			rc = copy_vias_nat(b, req, ip, port);
			if (rc != 0)
				return rc;
			continue;
		}
		while (sip_msg_next_field(req, copied[i].id, &pos, &v) == 1) {
			rc = copy_unfolded(
			    b, sv_cstr(copied[i].name), v, SV_NULL);
			if (rc != 0)
				return rc;
		}
	}
	/* RFC 3261 §8.2.6.2: the UAS adds a To tag if there is none. */
	if (sv_present(to->tag) || status == 100)
		to_tag = SV_NULL;
	rc = copy_unfolded(b, SV("To"), to_value, to_tag);
	if (rc != 0)
		return rc;
	rc = sip_build_header(b, SV("Call-ID"), call_id);
	if (rc != 0)
		return rc;
	buf_append_cstr(b, "CSeq: ");
	buf_append_u64(b, cseq->seq);
	buf_append_char(b, ' ');
	buf_append_sv(b, cseq->method_name);
	buf_append_cstr(b, "\r\n");
	return finish(b);
}
