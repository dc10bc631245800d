/* Unit tests for Via values (R-CALL-1; RFC 3581 rport). */
#include "sip/test_common.h"

#include "sip/via.h"

static void
test_fields(void **state)
{
	struct sip_via v;

	(void)state;
	assert_int_equal(sip_via_parse(SV("SIP  /   2.0\r\n /UDP\r\n    "
	                                  "192.0.2.2;rport;branch=390skdjuw"),
	                     &v),
	    0);
	assert_true(sv_eq(v.protocol, SV("SIP")));
	assert_true(sv_eq(v.version, SV("2.0")));
	assert_true(sv_eq(v.transport, SV("UDP")));
	assert_true(sv_eq(v.host, SV("192.0.2.2")));
	assert_int_equal(v.host_type, SIP_HOST_IPV4);
	assert_false(v.has_port);
	assert_true(v.rport);
	assert_int_equal(v.rport_value, 0);
	assert_true(sv_eq(v.branch, SV("390skdjuw")));
	assert_false(sip_via_branch_is_rfc3261(&v));

	assert_int_equal(sip_via_parse(SV("SIP/2.0/TLS [2001:db8::9:1] : 5061 ;"
	                                  "received=2001:db8::9:255;rport=5062;"
	                                  "ttl=16;maddr=224.2.0.1;"
	                                  "branch=z9hG4bKas3-111;ext=1"),
	                     &v),
	    0);
	assert_true(sv_eq(v.host, SV("2001:db8::9:1")));
	assert_int_equal(v.host_type, SIP_HOST_IPV6);
	assert_int_equal(v.port, 5061);
	assert_true(sv_eq(v.received, SV("2001:db8::9:255")));
	assert_int_equal(v.rport_value, 5062);
	assert_int_equal(v.ttl, 16);
	assert_true(v.has_ttl);
	assert_true(sv_eq(v.maddr, SV("224.2.0.1")));
	assert_true(sip_via_branch_is_rfc3261(&v));
	assert_true(sv_starts_with(v.params, SV(";received")));
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text;
		int rc;
	} bad[] = {
	    {"", -EBADMSG},
	    {"SIP/2.0", -EBADMSG},
	    {"SIP/2.0/UDP", -EBADMSG},
	    {"SIP/2.0/UDPhost", -EBADMSG},
	    {"SIP/2.0 /UDP", -EBADMSG},
	    {"SIP/2.0/UDP host:", -EBADMSG},
	    {"SIP/2.0/UDP host:65536", -ERANGE},
	    {"SIP/2.0/UDP [::1", -EBADMSG},
	    {"SIP/2.0/UDP bad_host", -EBADMSG},
	    {"SIP/2.0/UDP h;branch", -EBADMSG},
	    {"SIP/2.0/UDP h;branch=", -EBADMSG},
	    {"SIP/2.0/UDP h;branch=a;branch=b", -EBADMSG},
	    {"SIP/2.0/UDP h;received=host.com", -EBADMSG},
	    {"SIP/2.0/UDP h;rport=0", -ERANGE},
	    {"SIP/2.0/UDP h;rport=70000", -ERANGE},
	    {"SIP/2.0/UDP h;rport;rport", -EBADMSG},
	    {"SIP/2.0/UDP h;ttl=256", -ERANGE},
	    {"SIP/2.0/UDP h;ttl", -EBADMSG},
	    {"SIP/2.0/UDP h;maddr=bad_", -EBADMSG},
	    {"SIP/2.0/UDP h junk", -EBADMSG},
	};
	struct sip_via v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = sip_via_parse(sv_cstr(bad[i].text), &v);

		if (rc != bad[i].rc)
			fail_msg("%s: rc %d", bad[i].text, rc);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests_name("sip_via", tests, NULL, NULL);
}
