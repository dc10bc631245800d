/* Unit tests of pbx/resolve: SRV ordering, and IP literals answered
 * from the loop without DNS. (Names, NAPTR and SRV against a real DNS
 * server: tests/system/test_trunk_dns.py.) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pbx/resolve.h"

static void
test_srv_sort(void **state)
{
	struct resolve_srv s[4] = {
	    {"c", 5060, 20, 10},
	    {"a", 5060, 10, 5},
	    {"b", 5060, 10, 50},
	    {"d", 5060, 10, 5},
	};

	(void)state;
	resolve_srv_sort(s, 4);
	assert_string_equal(s[0].target, "b"); /* priority 10, heaviest */
	assert_string_equal(s[1].target, "a"); /* then as given */
	assert_string_equal(s[2].target, "d");
	assert_string_equal(s[3].target, "c"); /* priority 20 last */
}

struct outcome {
	int calls;
	int status;
	size_t n;
	struct sip_txn_peer peer;
};

static void
done(void *arg, int status, const struct sip_txn_peer *peers, size_t n)
{
	struct outcome *o = arg;

	o->calls++;
	o->status = status;
	o->n = n;
	if (n > 0)
		o->peer = peers[0];
}

static void
test_literals_without_dns(void **state)
{
	struct loop *l;
	struct resolver *r;
	struct outcome v4 = {0}, v6 = {0}, gone = {0};
	const struct sockaddr_in *a4;
	const struct sockaddr_in6 *a6;

	(void)state;
	assert_int_equal(loop_new(&l, false), 0);
	/* An unreachable server: a literal must never ask it. */
	assert_int_equal(resolver_new(&r, l, "127.0.0.1:9"), 0);
	assert_int_equal(
	    resolver_sip(r, "192.0.2.7", 0, SIP_TXN_TP_TLS, done, &v4), 0);
	assert_int_equal(
	    resolver_sip(r, "2001:db8::7", 5080, SIP_TXN_TP_UDP, done, &v6), 0);
	assert_int_equal(
	    resolver_sip(r, "192.0.2.8", 0, SIP_TXN_TP_UDP, done, &gone), 0);
	resolver_cancel(r, &gone);
	/* Never from the call itself. */
	assert_int_equal(v4.calls + v6.calls, 0);
	for (int i = 0; i < 10 && v4.calls + v6.calls < 2; i++)
		assert_true(loop_run_once(l, 10) >= 0);
	assert_int_equal(v4.calls, 1);
	assert_int_equal(v4.status, 0);
	assert_int_equal(v4.n, 1);
	a4 = (const struct sockaddr_in *)&v4.peer.addr;
	assert_int_equal(ntohs(a4->sin_port), 5061);
	assert_int_equal(v4.peer.transport, SIP_TXN_TP_TLS);
	assert_true(v4.peer.reliable);
	a6 = (const struct sockaddr_in6 *)&v6.peer.addr;
	assert_int_equal(v6.peer.addr.ss_family, AF_INET6);
	assert_int_equal(ntohs(a6->sin6_port), 5080);
	assert_int_equal(gone.calls, 0);
	assert_int_equal(
	    resolver_sip(r, "", 0, SIP_TXN_TP_UDP, done, &v4), -EINVAL);
	resolver_free(r);
	loop_free(l);
}

static void
test_bad_servers(void **state)
{
	struct loop *l;
	struct resolver *r = NULL;

	(void)state;
	assert_int_equal(loop_new(&l, false), 0);
	assert_int_not_equal(resolver_new(&r, l, "not a server list"), 0);
	resolver_free(NULL);
	loop_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_srv_sort),
	    cmocka_unit_test(test_literals_without_dns),
	    cmocka_unit_test(test_bad_servers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
