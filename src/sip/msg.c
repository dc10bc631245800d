/* SIP message indexer and lazy typed accessors (RFC 3261 §7, §20). */
#include "sip/msg.h"
#include "sip/msg_int.h"

#include <errno.h>

#include "sip/chars.h"
#include "sip/param.h"

/* Static reason phrases naming the header at fault, so a peer learns
 * what was wrong without any of its bytes being echoed. */
static const char *const bad_reason[SIP_HDR_COUNT] = {
    [SIP_HDR_OTHER] = "Bad Header",
    [SIP_HDR_VIA] = "Bad Via Header",
    [SIP_HDR_FROM] = "Bad From Header",
    [SIP_HDR_TO] = "Bad To Header",
    [SIP_HDR_CALL_ID] = "Bad Call-ID Header",
    [SIP_HDR_CSEQ] = "Bad CSeq Header",
    [SIP_HDR_CONTACT] = "Bad Contact Header",
    [SIP_HDR_MAX_FORWARDS] = "Bad Max-Forwards Header",
    [SIP_HDR_ROUTE] = "Bad Route Header",
    [SIP_HDR_RECORD_ROUTE] = "Bad Record-Route Header",
    [SIP_HDR_EXPIRES] = "Bad Expires Header",
    [SIP_HDR_MIN_EXPIRES] = "Bad Min-Expires Header",
    [SIP_HDR_CONTENT_LENGTH] = "Bad Content-Length Header",
    [SIP_HDR_CONTENT_TYPE] = "Bad Content-Type Header",
    [SIP_HDR_CONTENT_ENCODING] = "Bad Content-Encoding Header",
    [SIP_HDR_CONTENT_DISPOSITION] = "Bad Content-Disposition Header",
    [SIP_HDR_ALLOW] = "Bad Allow Header",
    [SIP_HDR_SUPPORTED] = "Bad Supported Header",
    [SIP_HDR_REQUIRE] = "Bad Require Header",
    [SIP_HDR_PROXY_REQUIRE] = "Bad Proxy-Require Header",
    [SIP_HDR_UNSUPPORTED] = "Bad Unsupported Header",
    [SIP_HDR_AUTHORIZATION] = "Bad Authorization Header",
    [SIP_HDR_PROXY_AUTHORIZATION] = "Bad Proxy-Authorization Header",
    [SIP_HDR_WWW_AUTHENTICATE] = "Bad WWW-Authenticate Header",
    [SIP_HDR_PROXY_AUTHENTICATE] = "Bad Proxy-Authenticate Header",
    [SIP_HDR_AUTHENTICATION_INFO] = "Bad Authentication-Info Header",
    [SIP_HDR_PRIVACY] = "Bad Privacy Header",
    [SIP_HDR_P_ASSERTED_IDENTITY] = "Bad P-Asserted-Identity Header",
    [SIP_HDR_P_PREFERRED_IDENTITY] = "Bad P-Preferred-Identity Header",
    [SIP_HDR_USER_AGENT] = "Bad User-Agent Header",
    [SIP_HDR_SERVER] = "Bad Server Header",
    [SIP_HDR_SUBJECT] = "Bad Subject Header",
    [SIP_HDR_ACCEPT] = "Bad Accept Header",
    [SIP_HDR_EVENT] = "Bad Event Header",
    [SIP_HDR_ALLOW_EVENTS] = "Bad Allow-Events Header",
    [SIP_HDR_REFER_TO] = "Bad Refer-To Header",
    [SIP_HDR_REFERRED_BY] = "Bad Referred-By Header",
    [SIP_HDR_SESSION_EXPIRES] = "Bad Session-Expires Header",
    [SIP_HDR_MIN_SE] = "Bad Min-SE Header",
    [SIP_HDR_RSEQ] = "Bad RSeq Header",
    [SIP_HDR_RACK] = "Bad RAck Header",
    [SIP_HDR_DATE] = "Bad Date Header",
    [SIP_HDR_TIMESTAMP] = "Bad Timestamp Header",
    [SIP_HDR_REPLY_TO] = "Bad Reply-To Header",
    [SIP_HDR_IDENTITY] = "Bad Identity Header",
};

static const char *const missing_reason[SIP_HDR_COUNT] = {
    [SIP_HDR_VIA] = "Missing Via Header",
    [SIP_HDR_FROM] = "Missing From Header",
    [SIP_HDR_TO] = "Missing To Header",
    [SIP_HDR_CALL_ID] = "Missing Call-ID Header",
    [SIP_HDR_CSEQ] = "Missing CSeq Header",
};

/* RFC 3261 §8.1.1.5: the sequence number is below 2**31. */
#define CSEQ_MAX 2147483647u
#define MAX_FORWARDS_MAX 255u

int
sip_msg_fail(struct sip_error *err, uint16_t status, const char *reason,
    enum sip_hdr_id hdr, int rc)
{
	if (err != NULL) {
		err->status = status;
		err->reason = reason;
		err->hdr = hdr;
	}
	return rc;
}

int
sip_msg_fail_hdr(struct sip_error *err, enum sip_hdr_id hdr, int rc)
{
	if (rc == -ENOENT && missing_reason[hdr] != NULL)
		return sip_msg_fail(err, 400, missing_reason[hdr], hdr, rc);
	return sip_msg_fail(err, 400,
	    bad_reason[hdr] != NULL ? bad_reason[hdr] : "Bad Header", hdr, rc);
}

/* Next line of *rest without its CRLF (or bare LF). False when no line
 * end is left. */
static bool
next_line(struct sv *rest, struct sv *line)
{
	if (!sv_split(rest, '\n', line))
		return false;
	if (line->len > 0 && line->p[line->len - 1] == '\r')
		line->len--;
	return true;
}

static bool
is_sip_version(struct sv s)
{
	return sv_ieq(s, SV("SIP/2.0"));
}

/* "SIP/" 1*DIGIT "." 1*DIGIT: a version, though maybe not ours. */
static bool
looks_like_version(struct sv s)
{
	size_t i = 4, digits = 0;

	if (!sv_istarts_with(s, SV("SIP/")))
		return false;
	while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9') {
		i++;
		digits++;
	}
	if (digits == 0 || i >= s.len || s.p[i] != '.')
		return false;
	i++;
	digits = 0;
	while (i < s.len && s.p[i] >= '0' && s.p[i] <= '9') {
		i++;
		digits++;
	}
	return digits > 0 && i == s.len;
}

static int
check_version(struct sv v, struct sip_error *err)
{
	if (is_sip_version(v))
		return 0;
	if (looks_like_version(v))
		return sip_msg_fail(
		    err, 505, "Version Not Supported", SIP_HDR_OTHER, -EBADMSG);
	return sip_msg_fail(
	    err, 400, "Bad SIP Version", SIP_HDR_OTHER, -EBADMSG);
}

/* Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII /
 * UTF8-CONT / SP / HTAB): no control bytes. */
static bool
reason_ok(struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static int
status_line(struct sip_msg *m, struct sv line, struct sip_error *err)
{
	struct sv version, code;
	uint32_t status;
	int rc;

	if (!sv_split(&line, ' ', &version))
		return sip_msg_fail(
		    err, 400, "Bad Status Line", SIP_HDR_OTHER, -EBADMSG);
	rc = check_version(version, err);
	if (rc != 0)
		return rc;
	code = line;
	if (sv_split(&line, ' ', &code)) {
		if (!reason_ok(line))
			return sip_msg_fail(err, 400, "Bad Reason Phrase",
			    SIP_HDR_OTHER, -EBADMSG);
		m->reason = line;
	} else {
		m->reason = sv_make(line.p + line.len, 0);
	}
	if (code.len != 3 || sv_to_u32(code, 699, &status) != 0 || status < 100)
		return sip_msg_fail(
		    err, 400, "Bad Status Code", SIP_HDR_OTHER, -EBADMSG);
	m->status = (uint16_t)status;
	m->is_request = false;
	return 0;
}

static int
request_line(struct sip_msg *m, struct sv line, const struct sip_limits *lim,
    struct sip_error *err)
{
	struct sv method, uri, version;
	long last_sp;
	int rc;

	if (!sv_split(&line, ' ', &method) || !sip_is_token(method) ||
	    method.len > SIP_METHOD_LEN_MAX)
		return sip_msg_fail(
		    err, 400, "Bad Request Line", SIP_HDR_OTHER, -EBADMSG);
	/* The URI holds no space: it runs to the last SP of the line, and
	 * any SP or HTAB inside it is an error (RFC 4475 §3.1.2.7). */
	last_sp = -1;
	for (size_t i = line.len; i > 0; i--) {
		if (line.p[i - 1] == ' ') {
			last_sp = (long)(i - 1);
			break;
		}
	}
	if (last_sp < 0)
		return sip_msg_fail(
		    err, 400, "Bad Request Line", SIP_HDR_OTHER, -EBADMSG);
	uri = sv_head(line, (size_t)last_sp);
	version = sv_skip(line, (size_t)last_sp + 1);
	if (uri.len > lim->uri_max)
		return sip_msg_fail(
		    err, 414, "Request-URI Too Long", SIP_HDR_OTHER, -E2BIG);
	if (uri.len == 0 || sv_find_char(uri, ' ') >= 0 ||
	    sv_find_char(uri, '\t') >= 0)
		return sip_msg_fail(
		    err, 400, "Bad Request-URI", SIP_HDR_OTHER, -EBADMSG);
	rc = check_version(version, err);
	if (rc != 0)
		return rc;
	m->is_request = true;
	m->method_name = method;
	m->method = sip_method_from_name(method);
	m->ruri_text = uri;
	return 0;
}

static void
msg_reset(struct sip_msg *m, const struct sip_limits *lim)
{
	m->raw = SV_NULL;
	m->is_request = false;
	m->method = SIP_METHOD_OTHER;
	m->method_name = SV_NULL;
	m->ruri_text = SV_NULL;
	m->status = 0;
	m->reason = SV_NULL;
	m->nhdrs = 0;
	memset(m->first, 0xff, sizeof(m->first));
	m->body = SV_NULL;
	m->limits = lim;
	m->parsed = 0;
}

/* Trims each value and enforces the per-field length limit once every
 * folded line has been attached. */
static int
finish_headers(
    struct sip_msg *m, const struct sip_limits *lim, struct sip_error *err)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		struct sip_hdr *h = &m->hdrs[i];

		h->value = sv_trim(h->value);
		if ((size_t)(h->value.p + h->value.len - h->name.p) >
		    lim->header_len_max)
			return sip_msg_fail(err, 400, "Header Too Long",
			    (enum sip_hdr_id)h->id, -E2BIG);
	}
	return 0;
}

static int
index_headers(struct sip_msg *m, struct sv *rest, const struct sip_limits *lim,
    struct sip_error *err)
{
	int16_t last[SIP_HDR_COUNT];
	struct sv line;

	for (;;) {
		struct sip_hdr *h;
		struct sv name;
		long colon;
		size_t n;

		if (!next_line(rest, &line))
			return sip_msg_fail(err, 400, "Missing End of Headers",
			    SIP_HDR_OTHER, -EBADMSG);
		if (line.len == 0)
			return finish_headers(m, lim, err);
		if (line.p[0] == ' ' || line.p[0] == '\t') {
			/* RFC 3261 §7.3.1: a folded line continues the
			 * value above it. */
			if (m->nhdrs == 0)
				return sip_msg_fail(err, 400,
				    "Bad Header Folding", SIP_HDR_OTHER,
				    -EBADMSG);
			h = &m->hdrs[m->nhdrs - 1];
			if ((size_t)(line.p + line.len - h->name.p) >
			    lim->header_len_max)
				return sip_msg_fail(err, 400, "Header Too Long",
				    (enum sip_hdr_id)h->id, -E2BIG);
			h->value.len = (size_t)(line.p + line.len - h->value.p);
			continue;
		}
		if (m->nhdrs >= lim->headers_max)
			return sip_msg_fail(err, 400, "Too Many Headers",
			    SIP_HDR_OTHER, -E2BIG);
		if (line.len > lim->header_len_max)
			return sip_msg_fail(
			    err, 400, "Header Too Long", SIP_HDR_OTHER, -E2BIG);
		colon = sv_find_char(line, ':');
		if (colon <= 0)
			return sip_msg_fail(err, 400, "Bad Header Field",
			    SIP_HDR_OTHER, -EBADMSG);
		n = (size_t)colon;
		/* HCOLON = *( SP / HTAB ) ":" SWS */
		while (n > 0 && (line.p[n - 1] == ' ' || line.p[n - 1] == '\t'))
			n--;
		name = sv_head(line, n);
		if (!sip_is_token(name))
			return sip_msg_fail(err, 400, "Bad Header Name",
			    SIP_HDR_OTHER, -EBADMSG);
		h = &m->hdrs[m->nhdrs];
		h->name = name;
		h->value = sv_skip(line, (size_t)colon + 1);
		h->id = (uint8_t)sip_hdr_id_from_name(name);
		h->next = -1;
		if (m->first[h->id] < 0)
			m->first[h->id] = (int16_t)m->nhdrs;
		else
			m->hdrs[last[h->id]].next = (int16_t)m->nhdrs;
		last[h->id] = (int16_t)m->nhdrs;
		m->nhdrs++;
	}
}

static int
find_body(struct sip_msg *m, struct sv rest, const struct sip_limits *lim,
    struct sip_error *err)
{
	int idx = m->first[SIP_HDR_CONTENT_LENGTH];
	uint32_t cl;

	if (idx < 0) {
		/* Datagrams may omit Content-Length: the body is the rest. */
		if (rest.len > lim->body_max)
			return sip_msg_fail(err, 413,
			    "Request Entity Too Large", SIP_HDR_OTHER, -E2BIG);
		m->body = rest;
		return 0;
	}
	if (sv_to_u32(m->hdrs[idx].value, UINT32_MAX, &cl) != 0)
		return sip_msg_fail_hdr(err, SIP_HDR_CONTENT_LENGTH, -EBADMSG);
	if (m->hdrs[idx].next >= 0)
		return sip_msg_fail(err, 400, "Duplicate Content-Length Header",
		    SIP_HDR_CONTENT_LENGTH, -EBADMSG);
	if (cl > lim->body_max)
		return sip_msg_fail(err, 413, "Request Entity Too Large",
		    SIP_HDR_CONTENT_LENGTH, -E2BIG);
	if (cl > rest.len)
		return sip_msg_fail(err, 400, "Content-Length Exceeds Body",
		    SIP_HDR_CONTENT_LENGTH, -EBADMSG);
	/* RFC 3261 §18.3: bytes past Content-Length are discarded. */
	m->body = sv_head(rest, cl);
	m->content_length = cl;
	m->rc[SIP_SLOT_CONTENT_LENGTH] = 0;
	m->parsed |= 1u << SIP_SLOT_CONTENT_LENGTH;
	return 0;
}

int
sip_msg_parse(struct sip_msg *m, struct sv in, const struct sip_limits *lim,
    struct sip_error *err)
{
	static const enum sip_hdr_id required[] = {SIP_HDR_VIA, SIP_HDR_FROM,
	    SIP_HDR_TO, SIP_HDR_CALL_ID, SIP_HDR_CSEQ};
	struct sv rest, line;
	unsigned vias = 0;
	int rc;

	if (lim == NULL)
		lim = &sip_limits_default;
	msg_reset(m, lim);
	if (in.len > lim->msg_max)
		return sip_msg_fail(
		    err, 513, "Message Too Large", SIP_HDR_OTHER, -E2BIG);
	/* RFC 3261 §7.5: CRLFs before the start line are ignored. */
	while (in.len > 0 && (in.p[0] == '\r' || in.p[0] == '\n'))
		in = sv_skip(in, 1);
	rest = in;
	if (!next_line(&rest, &line) || line.len == 0)
		return sip_msg_fail(
		    err, 400, "Bad Start Line", SIP_HDR_OTHER, -EBADMSG);
	if (sv_istarts_with(line, SV("SIP/")))
		rc = status_line(m, line, err);
	else
		rc = request_line(m, line, lim, err);
	if (rc != 0)
		return rc;
	if (line.len > SIP_START_LINE_MAX)
		return sip_msg_fail(
		    err, 400, "Start Line Too Long", SIP_HDR_OTHER, -E2BIG);
	rc = index_headers(m, &rest, lim, err);
	if (rc != 0)
		return rc;
	rc = find_body(m, rest, lim, err);
	if (rc != 0)
		return rc;
	m->raw = sv_make(in.p, (size_t)(m->body.p + m->body.len - in.p));
	for (size_t i = 0; i < RP_ARRAY_LEN(required); i++)
		if (m->first[required[i]] < 0)
			return sip_msg_fail_hdr(err, required[i], -ENOENT);
	for (int j = m->first[SIP_HDR_VIA]; j >= 0; j = m->hdrs[j].next)
		if (++vias > lim->via_max)
			return sip_msg_fail(err, 400, "Too Many Via Values",
			    SIP_HDR_VIA, -E2BIG);
	return 0;
}

/* ---- header lists ---- */

void
sip_hdr_iter_init(
    struct sip_hdr_iter *it, const struct sip_msg *m, enum sip_hdr_id id)
{
	it->msg = m;
	it->id = id;
	it->next_hdr = m->first[id];
	it->rest = SV_NULL;
	it->count = 0;
}

/* Length of the first comma-separated element of s, honouring
 * quoted-strings (with quoted-pairs) and <...>; -1 when a quote or
 * bracket is left open. */
static long
element_len(struct sv s)
{
	bool quoted = false;
	unsigned angle = 0;

	/* Most values are a single element without quotes or brackets:
	 * memchr finds that out much faster than the byte loop below. */
	if (s.len == 0 || (memchr(s.p, ',', s.len) == NULL &&
			      memchr(s.p, '"', s.len) == NULL &&
			      memchr(s.p, '<', s.len) == NULL))
		return (long)s.len;

	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (c == '"' && angle == 0)
			quoted = true;
		else if (c == '<')
			angle++;
		else if (c == '>' && angle > 0)
			angle--;
		else if (c == ',' && angle == 0)
			return (long)i;
	}
	return (quoted || angle != 0) ? -1 : (long)s.len;
}

int
sip_hdr_iter_next(struct sip_hdr_iter *it, struct sv *value)
{
	long n;

	while (it->rest.p == NULL) {
		const struct sip_hdr *h;

		if (it->next_hdr < 0)
			return 0;
		h = &it->msg->hdrs[it->next_hdr];
		it->next_hdr = h->next;
		/* An empty field (e.g. "Supported:") holds no values. */
		if (h->value.len > 0)
			it->rest = h->value;
	}
	n = element_len(it->rest);
	if (n < 0)
		return -EBADMSG;
	*value = sv_trim(sv_head(it->rest, (size_t)n));
	if ((size_t)n == it->rest.len)
		it->rest = SV_NULL;
	else
		it->rest = sv_skip(it->rest, (size_t)n + 1);
	if (value->len == 0)
		return -EBADMSG;
	if (++it->count > SIP_LIST_MAX)
		return -E2BIG;
	return 1;
}

int
sip_msg_next_field(
    const struct sip_msg *m, enum sip_hdr_id id, int *pos, struct sv *value)
{
	int next = *pos < 0 ? m->first[id] : m->hdrs[*pos].next;

	if (next < 0)
		return 0;
	*pos = next;
	*value = m->hdrs[next].value;
	return 1;
}

unsigned
sip_msg_header_count(const struct sip_msg *m, enum sip_hdr_id id)
{
	unsigned n = 0;

	for (int j = m->first[id]; j >= 0; j = m->hdrs[j].next)
		n++;
	return n;
}

int
sip_msg_header(const struct sip_msg *m, enum sip_hdr_id id, struct sv *value)
{
	if (m->first[id] < 0)
		return -ENOENT;
	*value = m->hdrs[m->first[id]].value;
	return 0;
}

int
sip_msg_header_by_name(
    const struct sip_msg *m, struct sv name, struct sv *value)
{
	for (unsigned i = 0; i < m->nhdrs; i++) {
		if (sv_ieq(m->hdrs[i].name, name)) {
			*value = m->hdrs[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

bool
sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_id id, struct sv token)
{
	struct sip_hdr_iter it;
	struct sv v;

	sip_hdr_iter_init(&it, m, id);
	while (sip_hdr_iter_next(&it, &v) == 1)
		if (sv_ieq(v, token))
			return true;
	return false;
}

/* ---- typed single-valued headers ---- */

static int
first_value(const struct sip_msg *m, enum sip_hdr_id id, struct sv *v)
{
	if (m->first[id] < 0)
		return -ENOENT;
	*v = m->hdrs[m->first[id]].value;
	return 0;
}

static int
parse_ruri(struct sip_msg *m)
{
	if (!m->is_request)
		return -ENOENT;
	return sip_uri_parse(m->ruri_text, &m->ruri);
}

static int
parse_top_via(struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct sv v;
	int rc;

	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	rc = sip_hdr_iter_next(&it, &v);
	if (rc == 0)
		return -ENOENT;
	if (rc < 0)
		return rc;
	return sip_via_parse(v, &m->via);
}

static int
parse_addr_slot(struct sip_msg *m, enum sip_hdr_id id, struct sip_addr *out)
{
	struct sv v;
	int rc = first_value(m, id, &v);

	if (rc != 0)
		return rc;
	return sip_addr_parse(v, out);
}

static int
parse_from(struct sip_msg *m)
{
	return parse_addr_slot(m, SIP_HDR_FROM, &m->from);
}

static int
parse_to(struct sip_msg *m)
{
	return parse_addr_slot(m, SIP_HDR_TO, &m->to);
}

/* callid = word [ "@" word ] */
static int
parse_call_id(struct sip_msg *m)
{
	struct sv v, word;
	int rc = first_value(m, SIP_HDR_CALL_ID, &v);

	if (rc != 0)
		return rc;
	m->call_id = v;
	if (sv_split(&v, '@', &word)) {
		if (word.len == 0 || !sv_all_in(word, sip_chars_word))
			return -EBADMSG;
	}
	if (v.len == 0 || !sv_all_in(v, sip_chars_word))
		return -EBADMSG;
	return 0;
}

/* CSeq = 1*DIGIT LWS Method */
static int
parse_cseq(struct sip_msg *m)
{
	struct sv v, num;
	size_t n = 0;
	int rc = first_value(m, SIP_HDR_CSEQ, &v);

	if (rc != 0)
		return rc;
	while (n < v.len && v.p[n] >= '0' && v.p[n] <= '9')
		n++;
	num = sv_head(v, n);
	v = sv_skip(v, n);
	if (v.len == 0 || !sv_is_lws_char(v.p[0]))
		return -EBADMSG;
	v = sv_ltrim(v);
	rc = sv_to_u32(num, CSEQ_MAX, &m->cseq.seq);
	if (rc != 0)
		return rc == -ERANGE ? -ERANGE : -EBADMSG;
	if (!sip_is_token(v))
		return -EBADMSG;
	m->cseq.method_name = v;
	m->cseq.method = sip_method_from_name(v);
	return 0;
}

static int
parse_u32_hdr(
    const struct sip_msg *m, enum sip_hdr_id id, uint32_t max, uint32_t *out)
{
	struct sv v;
	int rc = first_value(m, id, &v);

	if (rc != 0)
		return rc;
	rc = sv_to_u32(v, max, out);
	return rc == -EINVAL ? -EBADMSG : rc;
}

static int
parse_max_forwards(struct sip_msg *m)
{
	return parse_u32_hdr(
	    m, SIP_HDR_MAX_FORWARDS, MAX_FORWARDS_MAX, &m->max_forwards);
}

static int
parse_expires(struct sip_msg *m)
{
	return parse_u32_hdr(m, SIP_HDR_EXPIRES, UINT32_MAX, &m->expires);
}

static int
parse_content_length(struct sip_msg *m)
{
	return parse_u32_hdr(
	    m, SIP_HDR_CONTENT_LENGTH, UINT32_MAX, &m->content_length);
}

typedef int (*slot_parse_cb)(struct sip_msg *m);

/* Parses a slot on first use and remembers the result. */
static int
slot(struct sip_msg *m, enum sip_msg_slot s, slot_parse_cb parse,
    enum sip_hdr_id hdr, struct sip_error *err)
{
	uint32_t bit = 1u << s;

	if ((m->parsed & bit) == 0) {
		m->rc[s] = (int8_t)parse(m);
		m->parsed |= bit;
	}
	if (m->rc[s] == 0)
		return 0;
	if (s == SIP_SLOT_RURI) {
		if (m->rc[s] == -E2BIG)
			return sip_msg_fail(
			    err, 414, "Request-URI Too Long", hdr, m->rc[s]);
		return sip_msg_fail(err, 400, "Bad Request-URI", hdr, m->rc[s]);
	}
	return sip_msg_fail_hdr(err, hdr, m->rc[s]);
}

int
sip_msg_ruri(
    struct sip_msg *m, const struct sip_uri **out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_RURI, parse_ruri, SIP_HDR_OTHER, err);

	if (rc == 0)
		*out = &m->ruri;
	return rc;
}

int
sip_msg_via(
    struct sip_msg *m, const struct sip_via **out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_VIA, parse_top_via, SIP_HDR_VIA, err);

	if (rc == 0)
		*out = &m->via;
	return rc;
}

int
sip_msg_from(
    struct sip_msg *m, const struct sip_addr **out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_FROM, parse_from, SIP_HDR_FROM, err);

	if (rc == 0)
		*out = &m->from;
	return rc;
}

int
sip_msg_to(
    struct sip_msg *m, const struct sip_addr **out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_TO, parse_to, SIP_HDR_TO, err);

	if (rc == 0)
		*out = &m->to;
	return rc;
}

int
sip_msg_call_id(struct sip_msg *m, struct sv *out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_CALL_ID, parse_call_id, SIP_HDR_CALL_ID, err);

	if (rc == 0)
		*out = m->call_id;
	return rc;
}

int
sip_msg_cseq(
    struct sip_msg *m, const struct sip_cseq **out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_CSEQ, parse_cseq, SIP_HDR_CSEQ, err);

	if (rc == 0)
		*out = &m->cseq;
	return rc;
}

int
sip_msg_max_forwards(struct sip_msg *m, uint32_t *out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_MAX_FORWARDS, parse_max_forwards,
	    SIP_HDR_MAX_FORWARDS, err);

	if (rc == 0)
		*out = m->max_forwards;
	return rc;
}

int
sip_msg_expires(struct sip_msg *m, uint32_t *out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_EXPIRES, parse_expires, SIP_HDR_EXPIRES, err);

	if (rc == 0)
		*out = m->expires;
	return rc;
}

int
sip_msg_content_length(struct sip_msg *m, uint32_t *out, struct sip_error *err)
{
	int rc = slot(m, SIP_SLOT_CONTENT_LENGTH, parse_content_length,
	    SIP_HDR_CONTENT_LENGTH, err);

	if (rc == 0)
		*out = m->content_length;
	return rc;
}
