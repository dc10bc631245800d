/* Unit tests for host syntax (R-CALL-1; RFC 5118 IPv6 forms). */
#include "sip/test_common.h"

#include "sip/host.h"

static void
test_hosts(void **state)
{
	static const struct {
		const char *text;
		int rc;
		enum sip_host_type type;
		const char *host;
	} cases[] = {
	    {"example.com", 0, SIP_HOST_NAME, "example.com"},
	    {"example.com.", 0, SIP_HOST_NAME, "example.com."},
	    {"a-b.c9", 0, SIP_HOST_NAME, "a-b.c9"},
	    {"x", 0, SIP_HOST_NAME, "x"},
	    {"192.0.2.1", 0, SIP_HOST_IPV4, "192.0.2.1"},
	    {"0.0.0.0", 0, SIP_HOST_IPV4, "0.0.0.0"},
	    {"[2001:db8::10]", 0, SIP_HOST_IPV6, "2001:db8::10"},
	    {"[::1]", 0, SIP_HOST_IPV6, "::1"},
	    {"[::]", 0, SIP_HOST_IPV6, "::"},
	    {"[1::]", 0, SIP_HOST_IPV6, "1::"},
	    {"[::ffff:192.0.2.1]", 0, SIP_HOST_IPV6, "::ffff:192.0.2.1"},
	    {"[1:2:3:4:5:6:7:8]", 0, SIP_HOST_IPV6, "1:2:3:4:5:6:7:8"},
	    {"[1:2:3:4:5:6:192.0.2.1]", 0, SIP_HOST_IPV6,
	        "1:2:3:4:5:6:192.0.2.1"},
	    {"", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"256.0.0.1", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"1.2.3", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"1.2.3.4.5", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"-a.com", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"a-.com", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"a..com", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"a.9com", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"a_b.com", -EBADMSG, SIP_HOST_NONE, NULL},
	    {".", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[2001:db8::10", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"2001:db8::10", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[2001:db8:::10]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[1::2::3]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[1:2:3:4:5:6:7:8:9]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[1:2:3:4:5:6:7]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[1:2:3:4:5:6:7:8::]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[12345::1]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[1:]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[:1]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[::1.2.3]", -EBADMSG, SIP_HOST_NONE, NULL},
	    {"[]", -EBADMSG, SIP_HOST_NONE, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sv host = SV_NULL;
		enum sip_host_type type = SIP_HOST_NONE;
		int rc = sip_host_parse(sv_cstr(cases[i].text), &host, &type);

		if (rc != cases[i].rc)
			fail_msg("%s: rc %d", cases[i].text, rc);
		if (rc == 0 && (type != cases[i].type ||
		                   !sv_eq(host, sv_cstr(cases[i].host))))
			fail_msg("%s: wrong host", cases[i].text);
	}
	assert_true(sip_host_is_ipv6(SV("fe80::1")));
	assert_false(sip_host_is_ipv6(SV("fe80::g")));
	assert_false(sip_host_is_ipv4(SV("1.2.3.04x")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts),
	};

	return cmocka_run_group_tests_name("sip_host", tests, NULL, NULL);
}
