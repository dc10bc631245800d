/* Unit tests for stream and datagram framing (R-CALL-1; RFC 3261 §18.3,
 * RFC 5626 §4.4.1 keep-alives). */
#include "sip/test_common.h"

#include "sip/frame.h"

#define MSG1                                                                   \
	"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n"                    \
	"Content-Length: 3\r\n\r\nabc"
#define MSG2 "SIP/2.0 200 OK\r\nl:0\r\n\r\n"

static void
test_messages(void **state)
{
	struct sip_frame f;
	struct sip_error err;
	struct sv in = SV(MSG1 MSG2 "\r\n\r\n"
	                            "\r\nINV");

	(void)state;
	assert_int_equal(sip_frame_stream(in, NULL, &f, &err), 0);
	assert_int_equal(f.kind, SIP_FRAME_MESSAGE);
	assert_int_equal(f.len, sizeof(MSG1) - 1);
	in = sv_skip(in, f.len);
	assert_int_equal(sip_frame_stream(in, NULL, &f, &err), 0);
	assert_int_equal(f.len, sizeof(MSG2) - 1);
	in = sv_skip(in, f.len);
	assert_int_equal(sip_frame_stream(in, NULL, &f, &err), 0);
	assert_int_equal(f.kind, SIP_FRAME_PING);
	assert_int_equal(f.len, 4);
	in = sv_skip(in, f.len);
	assert_int_equal(sip_frame_stream(in, NULL, &f, &err), 0);
	assert_int_equal(f.kind, SIP_FRAME_PONG);
	in = sv_skip(in, f.len);
	assert_int_equal(sip_frame_stream(in, NULL, &f, &err), -ENODATA);
}

static void
test_partial(void **state)
{
	const char *full = MSG1;
	struct sip_frame f;
	struct sip_error err;

	(void)state;
	/* Every prefix of a message asks for more bytes. */
	for (size_t n = 1; n < sizeof(MSG1) - 1; n++)
		assert_int_equal(
		    sip_frame_stream(sv_make(full, n), NULL, &f, &err),
		    -ENODATA);
	assert_int_equal(
	    sip_frame_stream(SV("\r\n\r"), NULL, &f, &err), -ENODATA);
	assert_int_equal(sip_frame_stream(SV("\r\n"), NULL, &f, &err), 0);
	assert_int_equal(f.kind, SIP_FRAME_PONG);
	assert_int_equal(sip_frame_stream(SV(""), NULL, &f, &err), -ENODATA);
	/* A stray LF before a message is skipped one byte at a time. */
	assert_int_equal(sip_frame_stream(SV("\nOPTIONS"), NULL, &f, &err), 0);
	assert_int_equal(f.len, 1);
}

static void
test_errors(void **state)
{
	struct sip_limits lim = sip_limits_default;
	struct sip_frame f;
	struct sip_error err;

	(void)state;
	assert_int_equal(sip_frame_stream(SV("OPTIONS sip:a SIP/2.0\r\n"
	                                     "Via: x\r\n\r\n"),
	                     NULL, &f, &err),
	    -EBADMSG);
	assert_string_equal(err.reason, "Missing Content-Length Header");
	assert_int_equal(
	    sip_frame_stream(SV("X\r\nl: 1x\r\n\r\n"), NULL, &f, &err),
	    -EBADMSG);
	assert_int_equal(
	    sip_frame_stream(SV("X\r\nl: 1\r\nl: 1\r\n\r\n"), NULL, &f, &err),
	    -EBADMSG);
	assert_int_equal(
	    sip_frame_stream(SV("X\r\nl: 99999\r\n\r\n"), NULL, &f, &err),
	    -E2BIG);
	assert_int_equal(err.status, 413);
	lim.msg_max = 32;
	assert_int_equal(
	    sip_frame_stream(SV("X\r\nl: 21\r\n\r\n"), &lim, &f, &err), -E2BIG);
	assert_int_equal(err.status, 513);
	/* Headers that never end within the size limit. */
	assert_int_equal(
	    sip_frame_stream(SV("OPTIONS sip:a SIP/2.0\r\n"
	                        "X-Long: aaaaaaaaaaaaaaaaaaaaaaaa"),
	        &lim, &f, &err),
	    -E2BIG);
}

static void
test_datagram(void **state)
{
	(void)state;
	assert_int_equal(sip_frame_datagram(SV("\r\n\r\n")), SIP_FRAME_PING);
	assert_int_equal(sip_frame_datagram(SV("")), SIP_FRAME_PING);
	assert_int_equal(sip_frame_datagram(SV(MSG1)), SIP_FRAME_MESSAGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_messages),
	    cmocka_unit_test(test_partial),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_datagram),
	};

	return cmocka_run_group_tests_name("sip_frame", tests, NULL, NULL);
}
