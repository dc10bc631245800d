/* Full validation of an indexed message: every recognised header is
 * parsed to its RFC 3261 grammar (and the extensions that define it). */
#include <errno.h>

#include "sip/chars.h"
#include "sip/msg.h"
#include "sip/msg_int.h"
#include "sip/param.h"

static const char *const duplicate_reason[SIP_HDR_COUNT] = {
    [SIP_HDR_FROM] = "Duplicate From Header",
    [SIP_HDR_TO] = "Duplicate To Header",
    [SIP_HDR_CALL_ID] = "Duplicate Call-ID Header",
    [SIP_HDR_CSEQ] = "Duplicate CSeq Header",
    [SIP_HDR_MAX_FORWARDS] = "Duplicate Max-Forwards Header",
    [SIP_HDR_CONTENT_LENGTH] = "Duplicate Content-Length Header",
    [SIP_HDR_CONTENT_TYPE] = "Duplicate Content-Type Header",
    [SIP_HDR_EXPIRES] = "Duplicate Expires Header",
};

static size_t
span_token(struct sv s)
{
	size_t n = 0;

	while (n < s.len && sip_chars_token[(unsigned char)s.p[n]])
		n++;
	return n;
}

/* Headers made of comma-separated name-addr / addr-spec values. With
 * 'angle' set, only the name-addr form is allowed (Route,
 * Record-Route: RFC 3261 §20.30, §20.34). */
static int
check_addr_list(
    const struct sip_msg *m, enum sip_hdr_id id, bool angle, bool contact)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	struct sv v;
	bool star = false;
	int rc;

	sip_hdr_iter_init(&it, m, id);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1) {
		rc = contact ? sip_contact_parse(v, &a) : sip_addr_parse(v, &a);
		if (rc != 0)
			return rc;
		if (angle && !a.angle)
			return -EBADMSG;
		/* "Contact: *" stands alone (RFC 3261 §10.2.2). */
		if (a.star)
			star = true;
		if (star && it.count > 1)
			return -EBADMSG;
	}
	return rc;
}

static int
check_via_list(const struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct sip_via via;
	struct sv v;
	int rc;

	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1) {
		if (it.count > m->limits->via_max)
			return -E2BIG;
		rc = sip_via_parse(v, &via);
		if (rc != 0)
			return rc;
	}
	return rc;
}

static int
check_token_list(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_hdr_iter it;
	struct sv v;
	int rc;

	sip_hdr_iter_init(&it, m, id);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1)
		if (!sip_is_token(v))
			return -EBADMSG;
	return rc;
}

/* token *( SEMI generic-param ), e.g. Event, Content-Disposition. With
 * 'digits', the leading part is delta-seconds instead (Session-Expires,
 * Min-SE). */
static int
check_value_with_params(struct sv v, bool digits)
{
	size_t n = span_token(v);
	struct sv head = sv_head(v, n);
	uint32_t secs;
	int rc;

	if (n == 0)
		return -EBADMSG;
	if (digits && sv_to_u32(head, UINT32_MAX, &secs) != 0)
		return -EBADMSG;
	rc = sip_param_check(sv_skip(v, n));
	return rc < 0 ? rc : 0;
}

/* type "/" subtype *( SEMI m-parameter ); with 'range', "*" may stand
 * for either part (Accept). */
static int
check_media_type(struct sv v, bool range)
{
	size_t n = span_token(v);
	struct sv type = sv_head(v, n);
	int rc;

	v = sv_ltrim(sv_skip(v, n));
	if (n == 0 || v.len == 0 || v.p[0] != '/')
		return -EBADMSG;
	v = sv_ltrim(sv_skip(v, 1));
	n = span_token(v);
	if (n == 0)
		return -EBADMSG;
	if (!range && (sv_eq(type, SV("*")) || sv_eq(sv_head(v, n), SV("*"))))
		return -EBADMSG;
	rc = sip_param_check(sv_skip(v, n));
	return rc < 0 ? rc : 0;
}

static int
each_value(const struct sip_msg *m, enum sip_hdr_id id,
    int (*check)(struct sv v, bool flag), bool flag)
{
	struct sip_hdr_iter it;
	struct sv v;
	int rc;

	sip_hdr_iter_init(&it, m, id);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1) {
		rc = check(v, flag);
		if (rc != 0)
			return rc;
	}
	return rc;
}

static int
check_digest_fields(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_digest d;
	struct sv v;
	int pos = -1;
	int rc;

	while (sip_msg_next_field(m, id, &pos, &v) == 1) {
		rc = sip_digest_parse(v, &d);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Privacy: priv-value *( ";" priv-value ) (RFC 3323 §4.2). */
static int
check_privacy(const struct sip_msg *m)
{
	struct sv v, part;
	int pos = -1;

	while (sip_msg_next_field(m, SIP_HDR_PRIVACY, &pos, &v) == 1) {
		for (;;) {
			bool more = sv_split(&v, ';', &part);

			if (!more)
				part = v;
			if (!sip_is_token(sv_trim(part)))
				return -EBADMSG;
			if (!more)
				break;
		}
	}
	return 0;
}

static int
check_u32_fields(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sv v;
	uint32_t n;
	int pos = -1;

	while (sip_msg_next_field(m, id, &pos, &v) == 1)
		if (sv_to_u32(v, UINT32_MAX, &n) != 0)
			return -EBADMSG;
	return 0;
}

/* RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2). */
static int
check_rack(struct sv v)
{
	struct sv parts[3];
	uint32_t n;

	for (int i = 0; i < 3; i++) {
		size_t len = 0;

		v = sv_ltrim(v);
		while (len < v.len && !sv_is_lws_char(v.p[len]))
			len++;
		parts[i] = sv_head(v, len);
		v = sv_skip(v, len);
	}
	if (sv_trim(v).len != 0 || sv_to_u32(parts[0], UINT32_MAX, &n) != 0 ||
	    sv_to_u32(parts[1], UINT32_MAX, &n) != 0 || !sip_is_token(parts[2]))
		return -EBADMSG;
	return 0;
}

static bool
two_digits(struct sv s, size_t at, uint32_t max)
{
	uint32_t v;

	return at + 2 <= s.len && sv_to_u32(sv_make(s.p + at, 2), max, &v) == 0;
}

/* SIP-date = rfc1123-date: wkday "," SP 2DIGIT SP month SP 4DIGIT SP
 * 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT" (RFC 3261 §20.17). */
static int
check_date(struct sv v)
{
	static const char *const days[] = {
	    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	bool day_ok = false, month_ok = false;
	uint32_t year;

	/* "Thu, 21 Feb 2002 13:02:03 GMT" is exactly 29 bytes. */
	if (v.len != 29)
		return -EBADMSG;
	for (size_t i = 0; i < RP_ARRAY_LEN(days); i++)
		day_ok |= memcmp(v.p, days[i], 3) == 0;
	for (size_t i = 0; i < RP_ARRAY_LEN(months); i++)
		month_ok |= memcmp(v.p + 8, months[i], 3) == 0;
	if (!day_ok || !month_ok || memcmp(v.p + 3, ", ", 2) != 0 ||
	    !two_digits(v, 5, 31) || v.p[7] != ' ' || v.p[11] != ' ' ||
	    sv_to_u32(sv_make(v.p + 12, 4), 9999, &year) != 0 ||
	    v.p[16] != ' ' || !two_digits(v, 17, 23) || v.p[19] != ':' ||
	    !two_digits(v, 20, 59) || v.p[22] != ':' ||
	    !two_digits(v, 23, 60) || memcmp(v.p + 25, " GMT", 4) != 0)
		return -EBADMSG;
	return 0;
}

static int
check_single(
    const struct sip_msg *m, enum sip_hdr_id id, int (*check)(struct sv v))
{
	struct sv v;
	int pos = -1;
	int rc;

	while (sip_msg_next_field(m, id, &pos, &v) == 1) {
		rc = check(v);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
check_content_type(struct sv v)
{
	return check_media_type(v, false);
}

static int
check_kind(const struct sip_msg *m, enum sip_hdr_id id)
{
	switch (id) {
	case SIP_HDR_VIA:
		return check_via_list(m);
	case SIP_HDR_CONTACT:
		return check_addr_list(m, id, false, true);
	case SIP_HDR_ROUTE:
	case SIP_HDR_RECORD_ROUTE:
		return check_addr_list(m, id, true, false);
	case SIP_HDR_P_ASSERTED_IDENTITY:
	case SIP_HDR_P_PREFERRED_IDENTITY:
	case SIP_HDR_REPLY_TO:
	case SIP_HDR_REFER_TO:
	case SIP_HDR_REFERRED_BY:
		return check_addr_list(m, id, false, false);
	case SIP_HDR_AUTHORIZATION:
	case SIP_HDR_PROXY_AUTHORIZATION:
	case SIP_HDR_WWW_AUTHENTICATE:
	case SIP_HDR_PROXY_AUTHENTICATE:
		return check_digest_fields(m, id);
	case SIP_HDR_ALLOW:
	case SIP_HDR_SUPPORTED:
	case SIP_HDR_REQUIRE:
	case SIP_HDR_PROXY_REQUIRE:
	case SIP_HDR_UNSUPPORTED:
	case SIP_HDR_ALLOW_EVENTS:
	case SIP_HDR_CONTENT_ENCODING:
		return check_token_list(m, id);
	case SIP_HDR_PRIVACY:
		return check_privacy(m);
	case SIP_HDR_CONTENT_TYPE:
		return check_single(m, id, check_content_type);
	case SIP_HDR_ACCEPT:
		return each_value(m, id, check_media_type, true);
	case SIP_HDR_EVENT:
	case SIP_HDR_CONTENT_DISPOSITION:
		return each_value(m, id, check_value_with_params, false);
	case SIP_HDR_SESSION_EXPIRES:
	case SIP_HDR_MIN_SE:
		return each_value(m, id, check_value_with_params, true);
	case SIP_HDR_MIN_EXPIRES:
	case SIP_HDR_RSEQ:
		return check_u32_fields(m, id);
	case SIP_HDR_RACK:
		return check_single(m, id, check_rack);
	case SIP_HDR_DATE:
		return check_single(m, id, check_date);
	default:
		/* Free text (Subject, User-Agent, ...) and headers we do
		 * not know: proxies pass them on untouched. */
		return 0;
	}
}

int
sip_msg_parse_all(struct sip_msg *m, struct sip_error *err)
{
	const struct sip_addr *addr;
	const struct sip_cseq *cseq;
	const struct sip_uri *uri;
	struct sv call_id;
	uint32_t n;
	int rc;

	if (m->is_request) {
		rc = sip_msg_ruri(m, &uri, err);
		if (rc != 0)
			return rc;
		/* RFC 3261 §19.1.1 Table 1: headers are not allowed in a
		 * Request-URI (RFC 4475 §3.1.2.11 escruri). */
		if (uri->headers.len > 0)
			return sip_msg_fail(err, 400, "Bad Request-URI",
			    SIP_HDR_OTHER, -EBADMSG);
	}
	for (int id = SIP_HDR_OTHER + 1; id < SIP_HDR_COUNT; id++)
		if (duplicate_reason[id] != NULL &&
		    sip_msg_header_count(m, (enum sip_hdr_id)id) > 1)
			return sip_msg_fail(err, 400, duplicate_reason[id],
			    (enum sip_hdr_id)id, -EBADMSG);
	if ((rc = sip_msg_from(m, &addr, err)) != 0 ||
	    (rc = sip_msg_to(m, &addr, err)) != 0 ||
	    (rc = sip_msg_call_id(m, &call_id, err)) != 0 ||
	    (rc = sip_msg_cseq(m, &cseq, err)) != 0)
		return rc;
	if (m->first[SIP_HDR_MAX_FORWARDS] >= 0 &&
	    (rc = sip_msg_max_forwards(m, &n, err)) != 0)
		return rc;
	if (m->first[SIP_HDR_EXPIRES] >= 0 &&
	    (rc = sip_msg_expires(m, &n, err)) != 0)
		return rc;
	/* RFC 3261 §8.1.1.5: the CSeq method matches the request's. */
	if (m->is_request && !sv_eq(cseq->method_name, m->method_name))
		return sip_msg_fail(
		    err, 400, "CSeq Method Mismatch", SIP_HDR_CSEQ, -EBADMSG);
	for (int id = SIP_HDR_OTHER + 1; id < SIP_HDR_COUNT; id++) {
		if (m->first[id] < 0)
			continue;
		rc = check_kind(m, (enum sip_hdr_id)id);
		if (rc == -E2BIG && id == SIP_HDR_VIA)
			return sip_msg_fail(
			    err, 400, "Too Many Via Values", SIP_HDR_VIA, rc);
		if (rc != 0)
			return sip_msg_fail_hdr(err, (enum sip_hdr_id)id, rc);
	}
	return 0;
}
