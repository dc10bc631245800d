/* Unit tests for a call's media state across its two legs (R-CRYPTO-2,
 * R-CALL-3). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "pbx/callmedia.h"
#include "sip/sdp.h"

/* The caller: SRTP with one suite (30 bytes 0x01, 0x02, ...). */
static const char caller_srtp[] =
    "v=0\r\n"
    "o=- 1 1 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 10000 RTP/SAVP 0 8\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
    "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e\r\n";

static const char caller_plain[] = "v=0\r\n"
                                   "o=- 7 7 IN IP4 192.0.2.10\r\n"
                                   "s=-\r\n"
                                   "c=IN IP4 192.0.2.10\r\n"
                                   "t=0 0\r\n"
                                   "m=audio 10000 RTP/AVP 0\r\n";

/* The callee answers our SRTP offer on tag 2 (AES_CM_128_HMAC_SHA1_80
 * in our order: GCM, 80, 32) with its key (0xc1, 0xc2, ...). */
static const char callee_answer[] =
    "v=0\r\n"
    "o=- 5 5 IN IP4 198.51.100.20\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.20\r\n"
    "t=0 0\r\n"
    "m=audio 30000 RTP/SAVP 0\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 "
    "inline:wcLDxMXGx8jJysvMzc7P0NHS09TV1tfY2drb3N3e\r\n";

static const char callee_plain_answer[] = "v=0\r\n"
                                          "o=- 5 5 IN IP4 198.51.100.20\r\n"
                                          "s=-\r\n"
                                          "c=IN IP4 198.51.100.20\r\n"
                                          "t=0 0\r\n"
                                          "m=audio 30000 RTP/AVP 0\r\n";

static bool
contains(const struct buf *b, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= b->len; i++) {
		if (memcmp(b->data + i, needle, n) == 0)
			return true;
	}
	return false;
}

static void
start(struct callmedia *m, const struct offer_policy *pa,
    const struct offer_policy *pb)
{
	assert_int_equal(
	    callmedia_init(m, "203.0.113.5", 20000, 20002, pa, pb), 0);
}

static void
test_srtp_call(void **state)
{
	const struct offer_policy any = {false, NULL, 0};
	const struct offer_endpoint *a, *b;
	struct callmedia m;
	struct buf out;

	(void)state;
	buf_init(&out, 0);
	start(&m, &any, &any);
	assert_int_equal(callmedia_offer(&m, 0, sv_cstr(caller_srtp), &out), 0);
	/* The callee gets SRTP required (no downgrade), our address and
	 * our three keys, none of the caller's. */
	assert_true(contains(&out, "m=audio 20002 RTP/SAVP 0 8"));
	assert_true(contains(&out, "c=IN IP4 203.0.113.5"));
	assert_false(contains(&out, "192.0.2.10"));
	assert_false(contains(&out, "AQIDBAUG"));
	assert_true(contains(&out, "a=crypto:1 AEAD_AES_256_GCM"));
	assert_true(contains(&out, "a=crypto:2 AES_CM_128_HMAC_SHA1_80"));
	assert_true(sv_eq(callmedia_local(&m, 1), buf_view(&out)));
	/* A second offer while this one awaits its answer: 491. */
	buf_reset(&out);
	assert_int_equal(
	    callmedia_offer(&m, 1, sv_cstr(caller_plain), &out), -EBUSY);
	buf_reset(&out);
	assert_int_equal(callmedia_answer(&m, sv_cstr(callee_answer), &out), 0);
	callmedia_commit(&m);
	assert_true(contains(&out, "m=audio 20000 RTP/SAVP 0"));
	assert_true(contains(&out, "a=crypto:1 AES_CM_128_HMAC_SHA1_80"));
	assert_false(contains(&out, "198.51.100.20"));
	assert_false(contains(&out, "wcLDxMXG"));
	a = callmedia_endpoint(&m, 0);
	b = callmedia_endpoint(&m, 1);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a->srtp && b->srtp);
	assert_int_equal(a->rx_key.key[0], 0x01);
	assert_int_equal(b->rx_key.key[0], 0xc1);
	/* Our key toward each leg is ours, never the other leg's. */
	assert_int_equal(a->tx_key.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(b->tx_key.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_memory_not_equal(a->tx_key.key, b->rx_key.key, 30);
	assert_memory_not_equal(b->tx_key.key, a->rx_key.key, 30);
	assert_memory_not_equal(a->tx_key.key, b->tx_key.key, 30);
	assert_true(callmedia_encrypted(&m));
	assert_true(callmedia_sending(&m, 0));
	/* The caller's SDP again is a refresh; another is a new offer. */
	assert_true(callmedia_unchanged(&m, 0, sv_cstr(caller_srtp)));
	assert_false(callmedia_unchanged(&m, 0, sv_cstr(caller_plain)));
	assert_true(callmedia_unchanged(&m, 1, sv_cstr(callee_answer)));
	callmedia_wipe(&m);
	buf_release(&out);
}

static void
test_plain_caller_gets_best_effort_offer(void **state)
{
	const struct offer_policy any = {false, NULL, 0};
	const struct offer_policy strict = {true, NULL, 0};
	struct callmedia m;
	struct buf out;

	(void)state;
	buf_init(&out, 0);
	start(&m, &any, &any);
	assert_int_equal(
	    callmedia_offer(&m, 0, sv_cstr(caller_plain), &out), 0);
	/* SRTP offered anyway, so a capable phone uses it. */
	assert_true(contains(&out, "RTP/AVP"));
	assert_true(contains(&out, "a=crypto:"));
	buf_reset(&out);
	assert_int_equal(
	    callmedia_answer(&m, sv_cstr(callee_plain_answer), &out), 0);
	callmedia_commit(&m);
	assert_false(callmedia_encrypted(&m));
	callmedia_wipe(&m);

	/* A caller who must use SRTP cannot offer plain RTP. */
	start(&m, &strict, &any);
	buf_reset(&out);
	assert_int_equal(
	    callmedia_offer(&m, 0, sv_cstr(caller_plain), &out), -EPROTO);
	callmedia_wipe(&m);
	/* A callee who must use SRTP gets RTP/SAVP. */
	start(&m, &any, &strict);
	buf_reset(&out);
	assert_int_equal(
	    callmedia_offer(&m, 0, sv_cstr(caller_plain), &out), 0);
	assert_true(contains(&out, "RTP/SAVP"));
	buf_reset(&out);
	assert_int_not_equal(
	    callmedia_answer(&m, sv_cstr(callee_plain_answer), &out), 0);
	callmedia_abandon(&m);
	assert_null(callmedia_endpoint(&m, 1));
	callmedia_wipe(&m);
	buf_release(&out);
}

static void
test_hold_from_callee(void **state)
{
	const struct offer_policy any = {false, NULL, 0};
	static const char hold[] = "v=0\r\n"
	                           "o=- 5 6 IN IP4 198.51.100.20\r\n"
	                           "s=-\r\n"
	                           "c=IN IP4 198.51.100.20\r\n"
	                           "t=0 0\r\n"
	                           "m=audio 30000 RTP/AVP 0\r\n"
	                           "a=sendonly\r\n";
	static const char held_answer[] = "v=0\r\n"
	                                  "o=- 7 8 IN IP4 192.0.2.10\r\n"
	                                  "s=-\r\n"
	                                  "c=IN IP4 192.0.2.10\r\n"
	                                  "t=0 0\r\n"
	                                  "m=audio 10000 RTP/AVP 0\r\n"
	                                  "a=recvonly\r\n";
	struct callmedia m;
	struct buf out;

	(void)state;
	buf_init(&out, 0);
	start(&m, &any, &any);
	assert_int_equal(
	    callmedia_offer(&m, 0, sv_cstr(caller_plain), &out), 0);
	buf_reset(&out);
	assert_int_equal(
	    callmedia_answer(&m, sv_cstr(callee_plain_answer), &out), 0);
	callmedia_commit(&m);
	/* The callee puts the call on hold: the caller is offered
	 * sendonly and answers recvonly, so it is not expected to send. */
	buf_reset(&out);
	assert_int_equal(callmedia_offer(&m, 1, sv_cstr(hold), &out), 0);
	assert_true(contains(&out, "a=sendonly"));
	assert_true(contains(&out, "m=audio 20000 "));
	buf_reset(&out);
	assert_int_equal(callmedia_answer(&m, sv_cstr(held_answer), &out), 0);
	callmedia_commit(&m);
	assert_true(contains(&out, "a=recvonly"));
	assert_false(callmedia_sending(&m, 0));
	assert_true(callmedia_sending(&m, 1));
	callmedia_wipe(&m);
	buf_release(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_srtp_call),
	    cmocka_unit_test(test_plain_caller_gets_best_effort_offer),
	    cmocka_unit_test(test_hold_from_callee),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
