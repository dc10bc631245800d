/* Unit tests for the message builder (R-CALL-1; RFC 3261 §8.2.6). */
#include "sip/test_common.h"

#include "core/mem.h"
#include "sip/build.h"

#define REQ                                                                    \
	"INVITE sip:bob@example.com SIP/2.0\r\n"                               \
	"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK1,\r\n"                 \
	" SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK2;received=192.0.2.9\r\n"        \
	"Via: SIP/2.0/TCP 192.0.2.7;branch=z9hG4bK3\r\n"                       \
	"From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"                   \
	"To: <sip:bob@example.com>\r\n"                                        \
	"Call-ID: c1@example.com\r\n"                                          \
	"CSeq: 0042 INVITE\r\n"                                                \
	"Content-Length: 0\r\n\r\n"

static struct sip_msg req, resp;

static void
test_response(void **state)
{
	const struct sip_addr *to;
	const struct sip_cseq *cseq;
	struct sip_error err;
	struct buf b;

	(void)state;
	assert_int_equal(sip_msg_parse(&req, SV(REQ), NULL, &err), 0);
	buf_init(&b, 0);
	assert_int_equal(
	    sip_build_response(&b, &req, 486, SV_NULL, SV("b7")), 0);
	assert_int_equal(sip_build_header(&b, SV("Retry-After"), SV("30")), 0);
	assert_int_equal(sip_build_body(&b, SV_NULL, SV_NULL), 0);
	assert_int_equal(sip_msg_parse(&resp, buf_view(&b), NULL, &err), 0);
	assert_int_equal(sip_msg_parse_all(&resp, &err), 0);
	assert_int_equal(resp.status, 486);
	assert_true(sv_eq(resp.reason, SV("Busy Here")));
	/* Folded Via values are copied on one line, in order. */
	assert_int_equal(sip_msg_header_count(&resp, SIP_HDR_VIA), 2);
	assert_non_null(strstr(b.data, "Via: SIP/2.0/UDP p1.example.com;"
	                               "branch=z9hG4bK1,  SIP/2.0/UDP"));
	assert_int_equal(sip_msg_to(&resp, &to, &err), 0);
	assert_true(sv_eq(to->tag, SV("b7")));
	assert_int_equal(sip_msg_cseq(&resp, &cseq, &err), 0);
	assert_int_equal(cseq->seq, 42);
	assert_true(sv_eq(resp.body, SV("")));
	/* No To tag on a 100, nor a second one when the request has one. */
	buf_reset(&b);
	assert_int_equal(
	    sip_build_response(&b, &req, 100, SV_NULL, SV("b7")), 0);
	assert_null(strstr(b.data, "tag=b7"));
	buf_release(&b);
}

/* RFC 3581: received and rport in the top Via of the answer. */
static void
test_response_nat(void **state)
{
	const struct sip_via *via;
	struct sip_error err;
	struct sip_hdr_iter it;
	struct sv v;
	struct buf b;

	(void)state;
	assert_int_equal(sip_msg_parse(&req,
			     SV("OPTIONS sip:a@b SIP/2.0\r\n"
				"Via: SIP/2.0/UDP 10.0.0.5:5070;rport;"
				"branch=z9hG4bKn1;received=1.1.1.1, "
				"SIP/2.0/UDP p2;branch=z9hG4bKn2\r\n"
				"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
				"Call-ID: n\r\nCSeq: 1 OPTIONS\r\n\r\n"),
			     NULL, &err),
	    0);
	buf_init(&b, 0);
	assert_int_equal(sip_build_response_nat(&b, &req, 200, SV_NULL,
			     SV("t"), SV("203.0.113.7"), 40123),
	    0);
	assert_int_equal(sip_build_body(&b, SV_NULL, SV_NULL), 0);
	assert_int_equal(sip_msg_parse(&resp, buf_view(&b), NULL, &err), 0);
	assert_int_equal(sip_msg_parse_all(&resp, &err), 0);
	assert_int_equal(sip_msg_via(&resp, &via, &err), 0);
	assert_true(sv_eq(via->received, SV("203.0.113.7")));
	assert_int_equal(via->rport_value, 40123);
	assert_true(sv_eq(via->branch, SV("z9hG4bKn1")));
	sip_hdr_iter_init(&it, &resp, SIP_HDR_VIA);
	assert_int_equal(sip_hdr_iter_next(&it, &v), 1);
	assert_int_equal(sip_hdr_iter_next(&it, &v), 1);
	assert_true(sv_eq(v, SV("SIP/2.0/UDP p2;branch=z9hG4bKn2")));
	/* Without rport in the request, only received is added. */
	assert_int_equal(sip_msg_parse(&req, SV(REQ), NULL, &err), 0);
	buf_reset(&b);
	assert_int_equal(sip_build_response_nat(&b, &req, 200, SV_NULL,
			     SV("t"), SV("2001:db8::7"), 5060),
	    0);
	assert_non_null(strstr(b.data, "branch=z9hG4bK1;received=2001:db8::7"
				       "\r\n"));
	assert_null(strstr(b.data, "rport"));
	buf_release(&b);
}

static void
test_request_and_body(void **state)
{
	struct sip_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(sip_build_request_line(
	                     &b, SV("OPTIONS"), SV("sip:carol@example.com")),
	    0);
	assert_int_equal(sip_build_header(&b, SV("Via"),
	                     SV("SIP/2.0/UDP h;branch=z9hG4bKx")),
	    0);
	assert_int_equal(
	    sip_build_header(&b, SV("From"), SV("<sip:a@example.com>;tag=1")),
	    0);
	assert_int_equal(
	    sip_build_header(&b, SV("To"), SV("<sip:carol@example.com>")), 0);
	assert_int_equal(sip_build_header(&b, SV("Call-ID"), SV("x")), 0);
	assert_int_equal(sip_build_header(&b, SV("CSeq"), SV("1 OPTIONS")), 0);
	assert_int_equal(sip_build_header_u32(&b, SV("Max-Forwards"), 70), 0);
	assert_int_equal(sip_build_body(&b, SV("text/plain"), SV("hello")), 0);
	assert_int_equal(sip_msg_parse(&resp, buf_view(&b), NULL, &err), 0);
	assert_int_equal(sip_msg_parse_all(&resp, &err), 0);
	assert_true(sv_eq(resp.body, SV("hello")));
	buf_release(&b);
}

static void
test_refusals(void **state)
{
	struct sip_error err;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(
	    sip_build_request_line(&b, SV("IN VITE"), SV("sip:a")), -EINVAL);
	assert_int_equal(
	    sip_build_request_line(&b, SV("INVITE"), SV("sip:a b")), -EINVAL);
	assert_int_equal(
	    sip_build_request_line(&b, SV("INVITE"), SV("")), -EINVAL);
	assert_int_equal(sip_build_status_line(&b, 99, SV_NULL), -EINVAL);
	assert_int_equal(sip_build_status_line(&b, 700, SV_NULL), -EINVAL);
	assert_int_equal(sip_build_status_line(&b, 200, SV("O\r\nK")), -EINVAL);
	assert_int_equal(sip_build_header(&b, SV("X:Y"), SV("v")), -EINVAL);
	assert_int_equal(sip_build_header(&b, SV(""), SV("v")), -EINVAL);
	assert_int_equal(
	    sip_build_header(&b, SV("X"), SV("a\r\nInjected: 1")), -EINVAL);
	assert_int_equal(
	    sip_build_header(&b, SV("X"), sv_make("a\0b", 3)), -EINVAL);
	assert_int_equal(sip_build_body(&b, SV_NULL, SV("body")), -EINVAL);
	assert_int_equal(b.len, 0);
	/* A response needs a request, and a token tag. */
	assert_int_equal(sip_msg_parse(&req, SV(REQ), NULL, &err), 0);
	assert_int_equal(
	    sip_build_response(&b, &req, 200, SV_NULL, SV("bad tag")), -EINVAL);
	assert_int_equal(sip_msg_parse(&resp,
	                     SV("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n"
	                        "From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\n"
	                        "Call-ID: x\r\nCSeq: 1 BYE\r\n\r\n"),
	                     NULL, &err),
	    0);
	assert_int_equal(
	    sip_build_response(&b, &resp, 200, SV_NULL, SV_NULL), -EINVAL);
	assert_string_equal(sip_reason_phrase(404), "Not Found");
	assert_string_equal(sip_reason_phrase(299), "Unknown");
	buf_release(&b);
}

static void
test_out_of_memory(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	mem_fail_nth(1);
	assert_int_equal(sip_build_header(&b, SV("X"), SV("v")), -ENOMEM);
	mem_fail_nth(0);
	/* Sticky: the buffer stays failed until reset. */
	assert_int_equal(sip_build_header(&b, SV("X"), SV("v")), -ENOMEM);
	buf_reset(&b);
	assert_int_equal(sip_build_header(&b, SV("X"), SV("v")), 0);
	buf_release(&b);
	/* The size cap. */
	buf_init(&b, 8);
	assert_int_equal(
	    sip_build_header(&b, SV("X-Long"), SV("value")), -E2BIG);
	buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_response),
	    cmocka_unit_test(test_response_nat),
	    cmocka_unit_test(test_request_and_body),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests_name("sip_build", tests, NULL, NULL);
}
