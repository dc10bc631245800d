/* Unit tests for the SIP message indexer and typed accessors.
 * R-CALL-1: every accessor, every limit, every malformed form. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/buf.h"
#include "sip/msg.h"

#define CRLF "\r\n"
#define BASE_HEADERS                                                           \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds" CRLF         \
	"Max-Forwards: 70" CRLF "To: Bob <sip:bob@biloxi.example.com>" CRLF    \
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774" CRLF      \
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com" CRLF                \
	"CSeq: 314159 INVITE" CRLF
#define INVITE_LINE "INVITE sip:bob@biloxi.example.com SIP/2.0" CRLF

static struct sip_msg msg;

static int
parse(const char *text, struct sip_error *err)
{
	return sip_msg_parse(&msg, sv_cstr(text), NULL, err);
}

static void
test_request_index(void **state)
{
	struct sip_error err;
	struct sv v;

	(void)state;
	assert_int_equal(parse(INVITE_LINE BASE_HEADERS
	                     "X-Custom: hello" CRLF
	                     "Content-Length: 4" CRLF CRLF "abcdEXTRA",
	                     &err),
	    0);
	assert_true(msg.is_request);
	assert_int_equal(msg.method, SIP_METHOD_INVITE);
	assert_true(sv_eq(msg.method_name, SV("INVITE")));
	assert_true(sv_eq(msg.ruri_text, SV("sip:bob@biloxi.example.com")));
	assert_int_equal(msg.nhdrs, 8);
	/* RFC 3261 §18.3: bytes past Content-Length are dropped. */
	assert_true(sv_eq(msg.body, SV("abcd")));
	assert_int_equal(sip_msg_header_by_name(&msg, SV("x-CUSTOM"), &v), 0);
	assert_true(sv_eq(v, SV("hello")));
	assert_int_equal(
	    sip_msg_header_by_name(&msg, SV("X-None"), &v), -ENOENT);
	assert_int_equal(sip_msg_header(&msg, SIP_HDR_MAX_FORWARDS, &v), 0);
	assert_true(sv_eq(v, SV("70")));
	assert_int_equal(sip_msg_header(&msg, SIP_HDR_ROUTE, &v), -ENOENT);
	assert_int_equal(sip_msg_parse_all(&msg, &err), 0);
}

static void
test_compact_and_folding(void **state)
{
	const char *text =
	    "OPTIONS sip:carol@chicago.example.com SIP/2.0" CRLF
	    "v: SIP/2.0/TCP client.example.com;branch=z9hG4bKx" CRLF
	    "f: <sip:alice@example.com>;tag=1" CRLF "T:" CRLF
	    " <sip:carol@chicago.example.com>" CRLF "i: folded" CRLF
	    "cseq: 1" CRLF "\tOPTIONS" CRLF "l: 0" CRLF "k: path, 100rel" CRLF
	    "m: <sip:a@b>" CRLF "c: text/plain" CRLF "s: hi" CRLF "e: gzip" CRLF
	    "o: presence" CRLF "u: dialog" CRLF CRLF;
	const struct sip_cseq *cseq;
	const struct sip_addr *to;
	struct sip_error err;

	(void)state;
	assert_int_equal(parse(text, &err), 0);
	assert_int_equal(msg.method, SIP_METHOD_OPTIONS);
	assert_true(msg.first[SIP_HDR_VIA] >= 0);
	assert_true(msg.first[SIP_HDR_CONTACT] >= 0);
	assert_true(msg.first[SIP_HDR_CONTENT_TYPE] >= 0);
	assert_true(msg.first[SIP_HDR_SUBJECT] >= 0);
	assert_true(msg.first[SIP_HDR_CONTENT_ENCODING] >= 0);
	assert_true(msg.first[SIP_HDR_EVENT] >= 0);
	assert_true(msg.first[SIP_HDR_ALLOW_EVENTS] >= 0);
	assert_int_equal(sip_msg_cseq(&msg, &cseq, &err), 0);
	assert_int_equal(cseq->seq, 1);
	assert_int_equal(cseq->method, SIP_METHOD_OPTIONS);
	assert_int_equal(sip_msg_to(&msg, &to, &err), 0);
	assert_true(sv_eq(to->uri.host, SV("chicago.example.com")));
	assert_true(sip_msg_has_token(&msg, SIP_HDR_SUPPORTED, SV("100REL")));
	assert_false(sip_msg_has_token(&msg, SIP_HDR_SUPPORTED, SV("timer")));
	assert_int_equal(sip_msg_parse_all(&msg, &err), 0);
}

static void
test_response(void **state)
{
	struct sip_error err;

	(void)state;
	assert_int_equal(parse("SIP/2.0 180 Ringing Now" CRLF BASE_HEADERS
	                       "Content-Length: 0" CRLF CRLF,
	                     &err),
	    0);
	assert_false(msg.is_request);
	assert_int_equal(msg.status, 180);
	assert_true(sv_eq(msg.reason, SV("Ringing Now")));
	assert_int_equal(parse("SIP/2.0 100" CRLF BASE_HEADERS CRLF, &err), 0);
	assert_int_equal(msg.reason.len, 0);
	assert_int_equal(parse("SIP/2.0 100 " CRLF BASE_HEADERS CRLF, &err), 0);
	assert_int_equal(msg.reason.len, 0);
	/* A CSeq method unlike any request is fine in a response. */
	assert_int_equal(sip_msg_parse_all(&msg, &err), 0);
}

static void
test_leading_crlf_and_lf_only(void **state)
{
	struct sip_error err;

	(void)state;
	assert_int_equal(
	    parse(CRLF CRLF INVITE_LINE BASE_HEADERS CRLF, &err), 0);
	assert_int_equal(parse("BYE sip:a@b SIP/2.0\n"
	                       "Via: SIP/2.0/UDP h;branch=z9hG4bK1\n"
	                       "From: <sip:a@b>;tag=1\nTo: <sip:c@d>\n"
	                       "Call-ID: x\nCSeq: 2 BYE\n\nbody",
	                     &err),
	    0);
	assert_true(sv_eq(msg.body, SV("body")));
}

struct bad_case {
	const char *name;
	const char *text;
	uint16_t status;
	enum sip_hdr_id hdr;
	bool full; /* fails only in sip_msg_parse_all */
};

static const struct bad_case bad_cases[] = {
    {"empty", "", 400, SIP_HDR_OTHER, false},
    {"only crlf", CRLF CRLF, 400, SIP_HDR_OTHER, false},
    {"no header end", INVITE_LINE BASE_HEADERS, 400, SIP_HDR_OTHER, false},
    {"bad version", "INVITE sip:a@b SIP/2.0x" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"other version", "INVITE sip:a@b SIP/7.0" CRLF BASE_HEADERS CRLF, 505,
        SIP_HDR_OTHER, false},
    {"response version", "SIP/3.0 200 OK" CRLF BASE_HEADERS CRLF, 505,
        SIP_HDR_OTHER, false},
    {"status 99", "SIP/2.0 099 Odd" CRLF BASE_HEADERS CRLF, 400, SIP_HDR_OTHER,
        false},
    {"status 700", "SIP/2.0 700 Odd" CRLF BASE_HEADERS CRLF, 400, SIP_HDR_OTHER,
        false},
    {"status 4 digits", "SIP/2.0 2000 OK" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"reason control", "SIP/2.0 200 O\x01K" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"method not token", "IN(VITE sip:a@b SIP/2.0" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"double space", "INVITE  sip:a@b SIP/2.0" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"space in uri", "INVITE sip:a@b; lr SIP/2.0" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"no uri", "INVITE SIP/2.0" CRLF BASE_HEADERS CRLF, 400, SIP_HDR_OTHER,
        false},
    {"fold first", INVITE_LINE " folded" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, false},
    {"no colon", INVITE_LINE BASE_HEADERS "NoColon" CRLF CRLF, 400,
        SIP_HDR_OTHER, false},
    {"empty name", INVITE_LINE BASE_HEADERS ": v" CRLF CRLF, 400, SIP_HDR_OTHER,
        false},
    {"bad name", INVITE_LINE BASE_HEADERS "A B: v" CRLF CRLF, 400,
        SIP_HDR_OTHER, false},
    {"missing via",
        INVITE_LINE "To: <sip:a@b>" CRLF "From: <sip:a@b>;tag=1" CRLF
                    "Call-ID: x" CRLF "CSeq: 1 INVITE" CRLF CRLF,
        400, SIP_HDR_VIA, false},
    {"missing cseq",
        INVITE_LINE "Via: SIP/2.0/UDP h" CRLF "To: <sip:a@b>" CRLF
                    "From: <sip:a@b>;tag=1" CRLF "Call-ID: x" CRLF CRLF,
        400, SIP_HDR_CSEQ, false},
    {"cl too big", INVITE_LINE BASE_HEADERS "l: 10" CRLF CRLF "abc", 400,
        SIP_HDR_CONTENT_LENGTH, false},
    {"cl negative", INVITE_LINE BASE_HEADERS "l: -1" CRLF CRLF, 400,
        SIP_HDR_CONTENT_LENGTH, false},
    {"cl twice",
        INVITE_LINE BASE_HEADERS "l: 0" CRLF "Content-Length: 0" CRLF CRLF, 400,
        SIP_HDR_CONTENT_LENGTH, false},
    {"cl over body max", INVITE_LINE BASE_HEADERS "l: 40000" CRLF CRLF, 413,
        SIP_HDR_CONTENT_LENGTH, false},
    {"bad uri", "INVITE <sip:a@b> SIP/2.0" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_OTHER, true},
    {"cseq mismatch", "BYE sip:a@b SIP/2.0" CRLF BASE_HEADERS CRLF, 400,
        SIP_HDR_CSEQ, true},
    {"cseq too big",
        INVITE_LINE "Via: SIP/2.0/UDP h" CRLF "To: <sip:a@b>" CRLF
                    "From: <sip:a@b>;tag=1" CRLF "Call-ID: x" CRLF
                    "CSeq: 2147483648 INVITE" CRLF CRLF,
        400, SIP_HDR_CSEQ, true},
    {"cseq no method",
        INVITE_LINE "Via: SIP/2.0/UDP h" CRLF "To: <sip:a@b>" CRLF
                    "From: <sip:a@b>;tag=1" CRLF "Call-ID: x" CRLF
                    "CSeq: 1INVITE" CRLF CRLF,
        400, SIP_HDR_CSEQ, true},
    {"max-forwards 256", INVITE_LINE BASE_HEADERS "Max-Forwards: 256" CRLF CRLF,
        400, SIP_HDR_MAX_FORWARDS, true},
    {"expires too big",
        INVITE_LINE BASE_HEADERS "Expires: 4294967296" CRLF CRLF, 400,
        SIP_HDR_EXPIRES, true},
    {"two to", INVITE_LINE BASE_HEADERS "To: <sip:x@y>" CRLF CRLF, 400,
        SIP_HDR_TO, true},
    {"call-id space",
        INVITE_LINE "Via: SIP/2.0/UDP h" CRLF "To: <sip:a@b>" CRLF
                    "From: <sip:a@b>;tag=1" CRLF "Call-ID: x y" CRLF
                    "CSeq: 1 INVITE" CRLF CRLF,
        400, SIP_HDR_CALL_ID, true},
    {"via no transport",
        INVITE_LINE "Via: SIP/2.0 h" CRLF "To: <sip:a@b>" CRLF
                    "From: <sip:a@b>;tag=1" CRLF "Call-ID: x" CRLF
                    "CSeq: 1 INVITE" CRLF CRLF,
        400, SIP_HDR_VIA, true},
    {"second via bad",
        INVITE_LINE BASE_HEADERS "Via: SIP/2.0/UDP h, junk" CRLF CRLF, 400,
        SIP_HDR_VIA, true},
    {"route addr-spec", INVITE_LINE BASE_HEADERS "Route: sip:p@q" CRLF CRLF,
        400, SIP_HDR_ROUTE, true},
    {"contact star and uri",
        INVITE_LINE BASE_HEADERS "Contact: *, <sip:a@b>" CRLF CRLF, 400,
        SIP_HDR_CONTACT, true},
    {"contact empty element",
        INVITE_LINE BASE_HEADERS "Contact: <sip:a@b>,,<sip:c@d>" CRLF CRLF, 400,
        SIP_HDR_CONTACT, true},
    {"contact open quote",
        INVITE_LINE BASE_HEADERS "Contact: \"a <sip:a@b>" CRLF CRLF, 400,
        SIP_HDR_CONTACT, true},
    {"date not gmt",
        INVITE_LINE BASE_HEADERS
        "Date: Fri, 01 Jan 2010 16:00:00 EST" CRLF CRLF,
        400, SIP_HDR_DATE, true},
    {"content-type no subtype",
        INVITE_LINE BASE_HEADERS "Content-Type: application" CRLF CRLF, 400,
        SIP_HDR_CONTENT_TYPE, true},
    {"require not token", INVITE_LINE BASE_HEADERS "Require: a b" CRLF CRLF,
        400, SIP_HDR_REQUIRE, true},
    {"privacy bad", INVITE_LINE BASE_HEADERS "Privacy: id;;" CRLF CRLF, 400,
        SIP_HDR_PRIVACY, true},
    {"rack bad", INVITE_LINE BASE_HEADERS "RAck: 1 x INVITE" CRLF CRLF, 400,
        SIP_HDR_RACK, true},
    {"min-expires bad", INVITE_LINE BASE_HEADERS "Min-Expires: 1h" CRLF CRLF,
        400, SIP_HDR_MIN_EXPIRES, true},
    {"session-expires bad",
        INVITE_LINE BASE_HEADERS "Session-Expires: soon" CRLF CRLF, 400,
        SIP_HDR_SESSION_EXPIRES, true},
    {"authorization bad",
        INVITE_LINE BASE_HEADERS "Authorization: Digest realm=\"x" CRLF CRLF,
        400, SIP_HDR_AUTHORIZATION, true},
};

static void
test_bad_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct sip_error err = {0};
		int rc = parse(c->text, &err);

		if (c->full) {
			if (rc != 0)
				fail_msg("%s: index failed: %s", c->name,
				    err.reason);
			rc = sip_msg_parse_all(&msg, &err);
		}
		if (rc == 0)
			fail_msg("%s: accepted", c->name);
		if (err.status != c->status || err.hdr != c->hdr)
			fail_msg("%s: got %u %s (hdr %d)", c->name, err.status,
			    err.reason, err.hdr);
		assert_non_null(err.reason);
	}
}

/* Builds a valid message with 'n' extra copies of a header line. */
static char *
with_lines(const char *start, const char *line, unsigned n)
{
	struct buf b;

	buf_init(&b, 0);
	buf_append_cstr(&b, start);
	buf_append_cstr(&b, BASE_HEADERS);
	for (unsigned i = 0; i < n; i++)
		buf_append_cstr(&b, line);
	buf_append_cstr(&b, CRLF);
	assert_int_equal(buf_error(&b), 0);
	return b.data;
}

static void
test_limits(void **state)
{
	struct sip_error err;
	struct sip_limits lim = sip_limits_default;
	char *text;

	(void)state;
	/* Header count: 6 base headers + 122 = 128 is the most. */
	text = with_lines(INVITE_LINE, "X-A: b" CRLF, SIP_HEADERS_MAX - 6);
	assert_int_equal(parse(text, &err), 0);
	free(text);
	text = with_lines(INVITE_LINE, "X-A: b" CRLF, SIP_HEADERS_MAX - 5);
	assert_int_equal(parse(text, &err), -E2BIG);
	assert_int_equal(err.status, 400);
	assert_string_equal(err.reason, "Too Many Headers");
	free(text);
	/* Via fields. */
	text = with_lines(INVITE_LINE, "Via: SIP/2.0/UDP h" CRLF, SIP_VIA_MAX);
	assert_int_equal(parse(text, &err), -E2BIG);
	assert_int_equal(err.hdr, SIP_HDR_VIA);
	free(text);
	/* Via values in one field count as well. */
	text = with_lines(INVITE_LINE, "Via: SIP/2.0/UDP h, SIP/2.0/UDP h" CRLF,
	    SIP_VIA_MAX / 2);
	assert_int_equal(parse(text, &err), 0);
	assert_int_equal(sip_msg_parse_all(&msg, &err), -E2BIG);
	assert_string_equal(err.reason, "Too Many Via Values");
	free(text);
	/* Whole message and URI size against tighter limits. */
	lim.msg_max = 200;
	text = with_lines(INVITE_LINE, "X-A: b" CRLF, 10);
	assert_int_equal(
	    sip_msg_parse(&msg, sv_cstr(text), &lim, &err), -E2BIG);
	assert_int_equal(err.status, 513);
	free(text);
	lim = sip_limits_untrusted;
	text = with_lines("INVITE sip:"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                  "@h SIP/2.0" CRLF,
	    "", 0);
	assert_int_equal(
	    sip_msg_parse(&msg, sv_cstr(text), &lim, &err), -E2BIG);
	assert_int_equal(err.status, 414);
	assert_int_equal(parse(text, &err), 0);
	free(text);
	/* One header line over the length limit, and one folded past it. */
	lim = sip_limits_default;
	lim.header_len_max = 40;
	text = with_lines(INVITE_LINE,
	    "X-Long: 0123456789012345678901234567890"
	    "123456789" CRLF,
	    1);
	assert_int_equal(
	    sip_msg_parse(&msg, sv_cstr(text), &lim, &err), -E2BIG);
	assert_string_equal(err.reason, "Header Too Long");
	free(text);
	lim.header_len_max = 70;
	text = with_lines(INVITE_LINE,
	    "X-Fold: 0123456789" CRLF " 0123456789012345678901234567890" CRLF
	    " 0123456789012345678901234567890" CRLF,
	    1);
	assert_int_equal(
	    sip_msg_parse(&msg, sv_cstr(text), &lim, &err), -E2BIG);
	free(text);
	/* Body size without Content-Length (datagram). */
	lim = sip_limits_default;
	lim.body_max = 3;
	assert_int_equal(
	    sip_msg_parse(
	        &msg, SV(INVITE_LINE BASE_HEADERS CRLF "abcd"), &lim, &err),
	    -E2BIG);
	assert_int_equal(err.status, 413);
}

static void
test_accessors_cached(void **state)
{
	const struct sip_via *via, *via2;
	const struct sip_addr *from;
	const struct sip_uri *ruri;
	struct sip_error err;
	struct sv call_id;
	uint32_t n;

	(void)state;
	assert_int_equal(
	    parse(INVITE_LINE BASE_HEADERS "Expires: 0300" CRLF CRLF, &err), 0);
	assert_int_equal(sip_msg_via(&msg, &via, &err), 0);
	assert_true(sv_eq(via->transport, SV("UDP")));
	assert_true(sv_eq(via->host, SV("192.0.2.1")));
	assert_int_equal(via->port, 5060);
	assert_true(sv_eq(via->branch, SV("z9hG4bK776asdhds")));
	assert_true(sip_via_branch_is_rfc3261(via));
	assert_int_equal(sip_msg_via(&msg, &via2, &err), 0);
	assert_ptr_equal(via, via2);
	assert_int_equal(sip_msg_from(&msg, &from, &err), 0);
	assert_true(sv_eq(from->tag, SV("1928301774")));
	assert_true(sv_eq(from->display, SV("Alice")));
	assert_int_equal(sip_msg_ruri(&msg, &ruri, &err), 0);
	assert_true(sv_eq(ruri->user, SV("bob")));
	assert_int_equal(sip_msg_call_id(&msg, &call_id, &err), 0);
	assert_true(
	    sv_eq(call_id, SV("a84b4c76e66710@pc33.atlanta.example.com")));
	assert_int_equal(sip_msg_max_forwards(&msg, &n, &err), 0);
	assert_int_equal(n, 70);
	assert_int_equal(sip_msg_expires(&msg, &n, &err), 0);
	assert_int_equal(n, 300);
	assert_int_equal(sip_msg_content_length(&msg, &n, &err), -ENOENT);
	/* A response has no Request-URI. */
	assert_int_equal(
	    parse("SIP/2.0 200 OK" CRLF BASE_HEADERS CRLF, &err), 0);
	assert_int_equal(sip_msg_ruri(&msg, &ruri, &err), -ENOENT);
}

static void
test_accessor_errors_cached(void **state)
{
	const struct sip_cseq *cseq;
	struct sip_error err = {0};

	(void)state;
	assert_int_equal(
	    parse(INVITE_LINE "Via: SIP/2.0/UDP h" CRLF "To: <sip:a@b>" CRLF
	                      "From: <sip:a@b>;tag=1" CRLF "Call-ID: x" CRLF
	                      "CSeq: abc INVITE" CRLF CRLF,
	        &err),
	    0);
	assert_int_equal(sip_msg_cseq(&msg, &cseq, &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad CSeq Header");
	err.reason = NULL;
	assert_int_equal(sip_msg_cseq(&msg, &cseq, &err), -EBADMSG);
	assert_string_equal(err.reason, "Bad CSeq Header");
	/* err may be NULL when the caller only needs the code. */
	assert_int_equal(sip_msg_cseq(&msg, &cseq, NULL), -EBADMSG);
}

static void
test_iterator(void **state)
{
	struct sip_hdr_iter it;
	struct sip_error err;
	struct sv v;
	int pos = -1;

	(void)state;
	assert_int_equal(parse(INVITE_LINE BASE_HEADERS
	                     "Contact: \"A, B\" <sip:a@b;x=\"1,2\">, "
	                     "<sip:c@d?h=1,2>" CRLF "Supported:" CRLF
	                     "Contact: sip:e@f" CRLF CRLF,
	                     &err),
	    0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_CONTACT);
	assert_int_equal(sip_hdr_iter_next(&it, &v), 1);
	assert_true(sv_eq(v, SV("\"A, B\" <sip:a@b;x=\"1,2\">")));
	assert_int_equal(sip_hdr_iter_next(&it, &v), 1);
	assert_true(sv_eq(v, SV("<sip:c@d?h=1,2>")));
	assert_int_equal(sip_hdr_iter_next(&it, &v), 1);
	assert_true(sv_eq(v, SV("sip:e@f")));
	assert_int_equal(sip_hdr_iter_next(&it, &v), 0);
	assert_int_equal(sip_msg_header_count(&msg, SIP_HDR_CONTACT), 2);
	assert_int_equal(
	    sip_msg_next_field(&msg, SIP_HDR_CONTACT, &pos, &v), 1);
	assert_int_equal(
	    sip_msg_next_field(&msg, SIP_HDR_CONTACT, &pos, &v), 1);
	assert_true(sv_eq(v, SV("sip:e@f")));
	assert_int_equal(
	    sip_msg_next_field(&msg, SIP_HDR_CONTACT, &pos, &v), 0);
	/* An empty Supported holds no values. */
	sip_hdr_iter_init(&it, &msg, SIP_HDR_SUPPORTED);
	assert_int_equal(sip_hdr_iter_next(&it, &v), 0);
	/* Trailing comma. */
	assert_int_equal(
	    parse(INVITE_LINE BASE_HEADERS "Allow: INVITE," CRLF CRLF, &err),
	    0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_ALLOW);
	assert_int_equal(sip_hdr_iter_next(&it, &v), 1);
	assert_int_equal(sip_hdr_iter_next(&it, &v), -EBADMSG);
}

static void
test_list_limit(void **state)
{
	struct sip_hdr_iter it;
	struct sip_error err;
	struct sv v;
	char *text;
	int rc;
	unsigned n = 0;

	(void)state;
	text = with_lines(INVITE_LINE, "Allow: A,B,C,D,E,F,G,H,I,J" CRLF, 7);
	assert_int_equal(parse(text, &err), 0);
	sip_hdr_iter_init(&it, &msg, SIP_HDR_ALLOW);
	while ((rc = sip_hdr_iter_next(&it, &v)) == 1)
		n++;
	assert_int_equal(rc, -E2BIG);
	assert_int_equal(n, SIP_LIST_MAX);
	free(text);
}

static void
test_names(void **state)
{
	(void)state;
	for (int id = SIP_HDR_OTHER + 1; id < SIP_HDR_COUNT; id++) {
		const char *name = sip_hdr_name((enum sip_hdr_id)id);

		assert_non_null(name);
		assert_int_equal(sip_hdr_id_from_name(sv_cstr(name)), id);
	}
	assert_null(sip_hdr_name(SIP_HDR_OTHER));
	assert_int_equal(sip_hdr_id_from_name(SV("X-Foo")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id_from_name(SV("q")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id_from_name(SV("1")), SIP_HDR_OTHER);
	assert_int_equal(sip_hdr_id_from_name(SV("CALL-id")), SIP_HDR_CALL_ID);
	for (int m = SIP_METHOD_INVITE; m <= SIP_METHOD_UPDATE; m++) {
		const char *name = sip_method_name((enum sip_method)m);

		assert_non_null(name);
		assert_int_equal(sip_method_from_name(sv_cstr(name)), m);
	}
	/* Methods are case-sensitive (RFC 3261 §7.1). */
	assert_int_equal(sip_method_from_name(SV("invite")), SIP_METHOD_OTHER);
	assert_null(sip_method_name(SIP_METHOD_OTHER));
}

static void
test_valid_extras(void **state)
{
	struct sip_error err;

	(void)state;
	assert_int_equal(
	    parse(INVITE_LINE BASE_HEADERS
	        "Date: Sat, 13 Nov 2010 23:29:00 GMT" CRLF
	        "Content-Type: application/sdp;charset=utf-8" CRLF
	        "Accept: application/sdp, */*;q=0.5" CRLF
	        "Privacy: id; header" CRLF "RSeq: 988789" CRLF
	        "RAck: 776656 1 INVITE" CRLF
	        "Session-Expires: 4000;refresher=uac" CRLF "Min-SE: 90" CRLF
	        "Event: dialog;id=1" CRLF "Route: <sip:p1@example.com;lr>, "
	        "<sip:p2@example.com;lr>" CRLF
	        "Record-Route: <sip:p3@example.com;lr>" CRLF
	        "P-Asserted-Identity: \"Alice\" "
	        "<sip:alice@example.com>, <tel:+15551234567>" CRLF
	        "Contact: <sip:alice@pc33.example.com>;"
	        "expires=3600;q=0.7" CRLF "Proxy-Require: foo" CRLF
	        "Min-Expires: 60" CRLF "Subject: \x01weird" CRLF CRLF,
	        &err),
	    0);
	assert_int_equal(sip_msg_parse_all(&msg, &err), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_index),
	    cmocka_unit_test(test_compact_and_folding),
	    cmocka_unit_test(test_response),
	    cmocka_unit_test(test_leading_crlf_and_lf_only),
	    cmocka_unit_test(test_bad_messages),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_accessors_cached),
	    cmocka_unit_test(test_accessor_errors_cached),
	    cmocka_unit_test(test_iterator),
	    cmocka_unit_test(test_list_limit),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_valid_extras),
	};

	return cmocka_run_group_tests_name("sip_msg", tests, NULL, NULL);
}
