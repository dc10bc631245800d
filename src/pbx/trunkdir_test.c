/* Unit tests for the outbound trunk table: peers of IP literals, the
 * default ports, host names left unusable, disabled trunks left out,
 * routes and caller IDs (R-TRUNK-2). */
#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mem.h"
#include "pbx/trunkdir.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/trunks.h"
#include "store/users.h"

struct fixture {
	char dir[64];
	struct db *db;
	struct keys *k;
};

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memcpy(f->dir, "/tmp/rempart-tdir-XXXXXX",
	    sizeof("/tmp/rempart-tdir-XXXXXX"));
	if (mkdtemp(f->dir) == NULL)
		return -1;
	if (keys_init(f->dir) != 0 || keys_load(f->dir, &f->k) != 0 ||
	    db_open(&f->db, f->dir) != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	db_close(f->db);
	keys_free(f->k);
	rc = nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static struct trunk_info
info(const char *host, enum trunk_transport tp, uint32_t port)
{
	struct trunk_info t = {.transport = tp, .port = port, .channels = 2};

	snprintf(t.name, sizeof(t.name), "op1");
	snprintf(t.host, sizeof(t.host), "%s", host);
	return t;
}

static void
test_resolve_ipv4_default_port(void **state)
{
	struct trunk_info t = info("192.0.2.7", TRUNK_TRANSPORT_UDP, 0);
	struct trunkdir_trunk out;
	const struct sockaddr_in *a =
	    (const struct sockaddr_in *)&out.peer.addr;

	(void)state;
	assert_int_equal(trunkdir_resolve(&t, &out), 0);
	assert_true(out.usable);
	assert_int_equal(out.port, 5060);
	assert_int_equal(a->sin_family, AF_INET);
	assert_int_equal(ntohs(a->sin_port), 5060);
	assert_int_equal(out.peer.transport, SIP_TXN_TP_UDP);
	assert_false(out.peer.reliable);
	assert_string_equal(out.uri_host, "192.0.2.7");
	assert_string_equal(out.from_domain, "192.0.2.7");
	assert_int_equal(out.channels, 2);
}

static void
test_resolve_tls_ipv6(void **state)
{
	struct trunk_info t = info("2001:db8::5", TRUNK_TRANSPORT_TLS, 0);
	struct trunkdir_trunk out;
	const struct sockaddr_in6 *a =
	    (const struct sockaddr_in6 *)&out.peer.addr;

	(void)state;
	snprintf(t.from_domain, sizeof(t.from_domain), "pbx.example");
	assert_int_equal(trunkdir_resolve(&t, &out), 0);
	assert_int_equal(out.port, 5061);
	assert_int_equal(a->sin6_family, AF_INET6);
	assert_int_equal(ntohs(a->sin6_port), 5061);
	assert_int_equal(out.peer.transport, SIP_TXN_TP_TLS);
	assert_true(out.peer.reliable);
	assert_string_equal(out.uri_host, "[2001:db8::5]");
	assert_string_equal(out.from_domain, "pbx.example");
}

static void
test_resolve_port_and_tcp(void **state)
{
	struct trunk_info t = info("198.51.100.1", TRUNK_TRANSPORT_TCP, 5080);
	struct trunkdir_trunk out;

	(void)state;
	assert_int_equal(trunkdir_resolve(&t, &out), 0);
	assert_int_equal(out.port, 5080);
	assert_int_equal(out.peer.transport, SIP_TXN_TP_TCP);
}

/* RFC 3263 resolution is not done: a host name is not usable. */
static void
test_resolve_hostname_unusable(void **state)
{
	struct trunk_info t = info("sip.example.net", TRUNK_TRANSPORT_UDP, 0);
	struct trunkdir_trunk out;

	(void)state;
	assert_int_equal(trunkdir_resolve(&t, &out), -EAFNOSUPPORT);
	assert_false(out.usable);
	assert_int_equal(out.peer.addr_len, 0);
}

static void
add_trunk(struct fixture *f, const char *name, const char *host)
{
	struct trunk_spec s = {
	    .name = sv_cstr(name),
	    .kind = TRUNK_KIND_IP,
	    .host = sv_cstr(host),
	    .acl = sv_cstr("127.0.0.0/8"),
	    .channels = 3,
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};

	assert_int_equal(trunks_add(f->db, f->k, &s, SV_NULL, 1, NULL), 0);
}

static void
fill(struct fixture *f)
{
	struct route_spec r = {
	    .name = sv_cstr("out"),
	    .pattern = sv_cstr("0."),
	    .priority = 100,
	    .strip = 1,
	    .prepend = sv_cstr("+33"),
	    .trunks = sv_cstr("op1,op2,op3"),
	};
	uint8_t md5[USERS_HA1_MD5_LEN] = {1}, sha[USERS_HA1_SHA256_LEN] = {2};

	add_trunk(f, "op1", "127.0.0.1");
	add_trunk(f, "op2", "sip.example.net");
	add_trunk(f, "op3", "::1");
	assert_int_equal(
	    trunks_set_enabled(f->db, sv_cstr("op3"), false, 2), 0);
	assert_int_equal(routes_add(f->db, &r, 1, NULL, NULL), 0);
	assert_int_equal(
	    users_add(f->db, f->k, sv_cstr("100"), sv_cstr("A"), md5, sha, 1),
	    0);
	assert_int_equal(
	    users_add(f->db, f->k, sv_cstr("101"), sv_cstr("B"), md5, sha, 1),
	    0);
	assert_int_equal(users_set_continuity(f->db, sv_cstr("100"), SV_NULL,
	                     sv_cstr("+33123456789"), 2),
	    0);
}

static void
test_load(void **state)
{
	struct fixture *f = *state;
	struct trunkdir *d;
	struct route_choice rc;
	const struct trunkdir_trunk *t;

	fill(f);
	assert_int_equal(trunkdir_load(&d, f->db, f->k), 0);
	assert_int_equal(trunkdir_trunks(d), 2); /* op3 is disabled */
	assert_int_equal(trunkdir_usable(d), 1);
	assert_int_equal(trunkdir_routes(d), 1);
	t = trunkdir_trunk(d, sv_cstr("op1"));
	assert_non_null(t);
	assert_true(t->usable);
	assert_int_equal(t->channels, 3);
	t = trunkdir_trunk(d, sv_cstr("op2"));
	assert_non_null(t);
	assert_false(t->usable);
	assert_null(trunkdir_trunk(d, sv_cstr("op3")));
	assert_int_equal(trunkdir_pick(d, sv_cstr("0612345678"), &rc), 0);
	assert_string_equal(rc.number, "+33612345678");
	assert_int_equal(rc.n_trunks, 3);
	assert_string_equal(rc.trunks[0], "op1");
	assert_int_equal(trunkdir_pick(d, sv_cstr("612"), &rc), -ENOENT);
	assert_int_equal(trunkdir_pick(d, sv_cstr("abc"), &rc), -EINVAL);
	assert_string_equal(
	    trunkdir_outbound_number(d, sv_cstr("100")).p, "+33123456789");
	assert_int_equal(trunkdir_outbound_number(d, sv_cstr("101")).len, 0);
	trunkdir_free(d);
	trunkdir_free(NULL);
}

static void
test_empty(void **state)
{
	struct fixture *f = *state;
	struct trunkdir *d;
	struct route_choice rc;

	assert_int_equal(trunkdir_load(&d, f->db, f->k), 0);
	assert_int_equal(trunkdir_trunks(d), 0);
	assert_int_equal(trunkdir_routes(d), 0);
	assert_int_equal(trunkdir_pick(d, sv_cstr("0612"), &rc), -ENOENT);
	trunkdir_free(d);
}

/* Inbound (R-TRUNK-3, R-CALL-13): the trunk of a source address, the
 * DIDs, a trunk's codecs. */
static void
test_inbound(void **state)
{
	struct fixture *f = *state;
	struct trunk_spec reg = {
	    .name = sv_cstr("reg"),
	    .kind = TRUNK_KIND_REGISTER,
	    .host = sv_cstr("192.0.2.9"),
	    .username = sv_cstr("acme"),
	    .channels = 2,
	    .codecs = sv_cstr("PCMA,G722"),
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct callmedia_policy pol;
	const struct trunkdir_trunk *t;
	struct trunkdir *d;

	fill(f);
	assert_int_equal(
	    trunks_add(f->db, f->k, &reg, sv_cstr("s3cret-Secret"), 1, NULL),
	    0);
	assert_int_equal(dids_add(f->db, sv_cstr("+33199000001"),
	                     sv_cstr("101"), sv_cstr("100"), 20, 1, NULL),
	    0);
	assert_int_equal(trunkdir_load(&d, f->db, f->k), 0);
	assert_int_equal(trunkdir_dids(d), 1);
	a4->sin_family = AF_INET;
	a4->sin_port = htons(40000);
	/* op1's access list is 127.0.0.0/8. */
	a4->sin_addr.s_addr = htonl(0x7f000005);
	t = trunkdir_from(d, &ss);
	assert_non_null(t);
	assert_string_equal(t->name, "op1");
	/* No access list: the registrar's address, any port. */
	a4->sin_addr.s_addr = htonl(0xc0000209);
	t = trunkdir_from(d, &ss);
	assert_non_null(t);
	assert_string_equal(t->name, "reg");
	assert_int_equal(t->info.kind, TRUNK_KIND_REGISTER);
	a4->sin_addr.s_addr = htonl(0xc000020a);
	assert_null(trunkdir_from(d, &ss));
	trunkdir_policy(t, &pol);
	assert_int_equal(pol.codec_count, 2);
	assert_string_equal(pol.codecs[1], "G722");
	assert_true(sv_eq(pol.views[0], sv_cstr("PCMA")));
	assert_false(pol.srtp_required);
	assert_non_null(trunkdir_did(d, sv_cstr("+33199000001")));
	assert_string_equal(
	    trunkdir_did(d, sv_cstr("+33199000001"))->alternate, "100");
	assert_int_equal(
	    trunkdir_did(d, sv_cstr("+33199000001"))->ring_timeout_s, 20);
	assert_null(trunkdir_did(d, sv_cstr("+33199000002")));
	assert_null(trunkdir_did(d, sv_cstr("33199000001")));
	trunkdir_free(d);
}

/* Out of memory at every allocation of a load: it fails cleanly or
 * succeeds whole. */
static void
test_oom(void **state)
{
	struct fixture *f = *state;
	struct trunkdir *d;
	int rc, failures = 0;

	fill(f);
	for (unsigned long n = 1; n < 200; n++) {
		d = NULL;
		mem_fail_nth(n);
		rc = trunkdir_load(&d, f->db, f->k);
		mem_fail_nth(0);
		if (rc == 0) {
			assert_int_equal(trunkdir_trunks(d), 2);
			trunkdir_free(d);
			break;
		}
		assert_int_equal(rc, -ENOMEM);
		assert_null(d);
		failures++;
	}
	assert_true(failures >= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_ipv4_default_port),
	    cmocka_unit_test(test_resolve_tls_ipv6),
	    cmocka_unit_test(test_resolve_port_and_tcp),
	    cmocka_unit_test(test_resolve_hostname_unusable),
	    cmocka_unit_test_setup_teardown(test_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inbound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_oom, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
