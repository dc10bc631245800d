/* RFC 4475 (SIP torture test messages) and RFC 5118 (IPv6 torture test
 * messages) run against the message parser. R-CALL-1.
 *
 * The messages are the RFCs' own bytes, one file each under
 * tests/data/rfc4475/ and tests/data/rfc5118/ (see $RP_SOURCE_ROOT). Each
 * file is read into a buffer of exactly its size, so that a read past the
 * end is caught by the address sanitizer.
 *
 * Valid messages (RFC 4475 §3.1.1, the application and transaction layer
 * messages of §3.2 to §3.4, and the RFC 5118 messages to accept) must pass
 * both sip_msg_parse() and sip_msg_parse_all(), and each test then checks
 * what the RFC calls out about the message. Invalid ones (§3.1.2 and the
 * few §3.3 cases whose answer is 400) must be refused by one of the two
 * stages, with the status the RFC names and, where the fault lies in one
 * header, that header in the error.
 *
 * Where RFC 4475 allows an element either to refuse a malformed message or
 * to be liberal about it, these tests hold the parser to refusing it: this
 * server refuses what it would otherwise have to repair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sv.h"
#include "sip/addr.h"
#include "sip/digest.h"
#include "sip/msg.h"
#include "sip/param.h"
#include "sip/sdp.h"
#include "sip/uri.h"
#include "sip/via.h"

/* Largest test file, with room to spare (longreq is 3515 bytes). */
#define TORTURE_FILE_MAX 16384u

struct tcase {
	const char *name;
	char *buf; /* exactly len bytes */
	size_t len;
	struct sip_msg msg;
	struct sip_error err;
	struct sdp_session *sdp;
};

/* ---- reporting ---- */

static void
check_sv(
    struct sv v, const char *want, size_t want_len, const char *file, int line)
{
	if (v.len == want_len &&
	    (want_len == 0 ||
	        (v.p != NULL && memcmp(v.p, want, want_len) == 0)))
		return;
	print_error("got \"%.*s\" (%zu bytes), want \"%.*s\" (%zu bytes)\n",
	    (int)v.len, v.p != NULL ? v.p : "", v.len, (int)want_len, want,
	    want_len);
	_fail(file, line);
}

#define assert_sv(v, lit)                                                      \
	check_sv((v), (lit), sizeof(lit) - 1, __FILE__, __LINE__)
#define assert_sv_n(v, p, n) check_sv((v), (p), (n), __FILE__, __LINE__)

static void
check_unescaped(
    struct sv in, const char *want, size_t want_len, const char *file, int line)
{
	char out[512];
	size_t n = 0;

	if (sip_uri_unescape(in, out, sizeof(out), &n) != 0) {
		print_error("cannot unescape \"%.*s\"\n", (int)in.len,
		    in.p != NULL ? in.p : "");
		_fail(file, line);
	}
	check_sv(sv_make(out, n), want, want_len, file, line);
}

#define assert_unescaped(v, lit)                                               \
	check_unescaped((v), (lit), sizeof(lit) - 1, __FILE__, __LINE__)

static const char *
hdr_label(enum sip_hdr_id id)
{
	const char *name = sip_hdr_name(id);

	return name != NULL ? name : "(start line or unknown header)";
}

static void
report(const struct tcase *c, const char *stage, int rc)
{
	print_error("%s: %s returned %d: %u %s, header %s\n", c->name, stage,
	    rc, (unsigned)c->err.status,
	    c->err.reason != NULL ? c->err.reason : "(no reason)",
	    hdr_label(c->err.hdr));
}

/* ---- loading ---- */

static char *
read_exact(const char *path, size_t *len)
{
	char *tmp = malloc(TORTURE_FILE_MAX), *out;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (tmp == NULL || f == NULL) {
		print_error(
		    "cannot open %s (is RP_SOURCE_ROOT right?)\n", path);
		free(tmp);
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	n = fread(tmp, 1, TORTURE_FILE_MAX, f);
	fclose(f);
	if (n == 0 || n == TORTURE_FILE_MAX) {
		print_error(
		    "%s: empty or over %u bytes\n", path, TORTURE_FILE_MAX);
		free(tmp);
		return NULL;
	}
	out = malloc(n);
	if (out != NULL)
		memcpy(out, tmp, n);
	free(tmp);
	*len = n;
	return out;
}

static struct tcase *
tcase_load(void **state, const char *dir, const char *name)
{
	const char *root = getenv("RP_SOURCE_ROOT");
	struct tcase *c = calloc(1, sizeof(*c));
	char path[1024];

	assert_non_null(c);
	*state = c;
	c->name = name;
	if (root == NULL) {
		print_error("RP_SOURCE_ROOT is not set\n");
		fail();
	}
	snprintf(
	    path, sizeof(path), "%s/tests/data/%s/%s.dat", root, dir, name);
	c->buf = read_exact(path, &c->len);
	assert_non_null(c->buf);
	return c;
}

static int
tcase_teardown(void **state)
{
	struct tcase *c = *state;

	if (c != NULL) {
		free(c->buf);
		free(c->sdp);
		free(c);
	}
	*state = NULL;
	return 0;
}

static struct tcase *
rfc4475(void **state, const char *name)
{
	return tcase_load(state, "rfc4475", name);
}

/* Appends to an exact-size copy of the message (for baddn, below). */
static void
tcase_append(struct tcase *c, const char *tail, size_t tail_len)
{
	char *grown = malloc(c->len + tail_len);

	assert_non_null(grown);
	memcpy(grown, c->buf, c->len);
	memcpy(grown + c->len, tail, tail_len);
	free(c->buf);
	c->buf = grown;
	c->len += tail_len;
}

/* The RFC 5118 archive is not quite the messages it describes: its lines
 * end in a bare LF, the two §4.10 messages stop without the empty line
 * that ends the header section, and §4.6 and §4.8 state a Content-Length
 * their bodies do not have. This rebuilds the message as the RFC prints
 * and means it: CRLF line ends, the header section closed by an empty
 * line, Content-Length counted from the body. Nothing else changes. */
static void
tcase_to_wire(struct tcase *c)
{
	size_t cap = 2 * c->len + 64, n = 0, body_len = 0;
	struct sv in = sv_make(c->buf, c->len), head = in, body = SV_NULL;
	struct sv rest, line;
	char *out = malloc(cap);

	assert_non_null(out);
	for (size_t i = 0; i + 1 < in.len; i++) {
		if (in.p[i] == '\n' && in.p[i + 1] == '\n') {
			head = sv_head(in, i + 1);
			body = sv_skip(in, i + 2);
			break;
		}
	}
	/* Body lines each get a CRLF, the last one too. */
	rest = body;
	while (rest.len > 0) {
		if (!sv_split(&rest, '\n', &line)) {
			line = rest;
			rest = SV_NULL;
		}
		body_len += line.len + 2;
	}
	rest = head;
	while (rest.len > 0) {
		if (!sv_split(&rest, '\n', &line)) {
			line = rest;
			rest = SV_NULL;
		}
		if (line.len == 0)
			continue;
		assert_true(n + line.len + 32 <= cap);
		if (sv_istarts_with(line, SV("Content-Length:"))) {
			int w = snprintf(out + n, cap - n,
			    "Content-Length: %zu\r\n", body_len);

			assert_true(w > 0);
			n += (size_t)w;
			continue;
		}
		memcpy(out + n, line.p, line.len);
		n += line.len;
		memcpy(out + n, "\r\n", 2);
		n += 2;
	}
	assert_true(n + 2 + body_len <= cap);
	memcpy(out + n, "\r\n", 2);
	n += 2;
	rest = body;
	while (rest.len > 0) {
		if (!sv_split(&rest, '\n', &line)) {
			line = rest;
			rest = SV_NULL;
		}
		memcpy(out + n, line.p, line.len);
		n += line.len;
		memcpy(out + n, "\r\n", 2);
		n += 2;
	}
	free(c->buf);
	c->buf = malloc(n);
	assert_non_null(c->buf);
	memcpy(c->buf, out, n);
	c->len = n;
	free(out);
}

static struct tcase *
rfc5118(void **state, const char *name)
{
	struct tcase *c = tcase_load(state, "rfc5118", name);

	tcase_to_wire(c);
	return c;
}

/* ---- parsing ---- */

static int
tcase_parse(struct tcase *c)
{
	return sip_msg_parse(&c->msg, sv_make(c->buf, c->len), NULL, &c->err);
}

/* A message the RFC says is well formed: both stages accept it. */
static struct sip_msg *
parse_valid(struct tcase *c)
{
	int rc = tcase_parse(c);

	if (rc != 0) {
		report(c, "sip_msg_parse", rc);
		fail();
	}
	rc = sip_msg_parse_all(&c->msg, &c->err);
	if (rc != 0) {
		report(c, "sip_msg_parse_all", rc);
		fail();
	}
	return &c->msg;
}

/* A message to refuse: one of the two stages fails with 'status'. */
static const struct sip_error *
expect_refused(struct tcase *c, uint16_t status)
{
	int rc = tcase_parse(c);

	if (rc == 0)
		rc = sip_msg_parse_all(&c->msg, &c->err);
	if (rc == 0) {
		print_error(
		    "%s: accepted; want %u\n", c->name, (unsigned)status);
		fail();
	}
	if (c->err.status != status) {
		report(c, "parsing", rc);
		print_error("%s: want status %u\n", c->name, (unsigned)status);
		fail();
	}
	return &c->err;
}

/* The error names one of the 'n' headers in 'ids'. */
static void
check_hdr_in(const struct tcase *c, const enum sip_hdr_id *ids, size_t n,
    const char *file, int line)
{
	for (size_t i = 0; i < n; i++)
		if (c->err.hdr == ids[i])
			return;
	print_error("%s: the error names %s (%s); want %s%s\n", c->name,
	    hdr_label(c->err.hdr),
	    c->err.reason != NULL ? c->err.reason : "no reason",
	    hdr_label(ids[0]), n > 1 ? " or another listed header" : "");
	_fail(file, line);
}

#define assert_hdr_in(c, ...)                                                  \
	do {                                                                   \
		static const enum sip_hdr_id want_[] = {__VA_ARGS__};          \
		check_hdr_in((c), want_, sizeof(want_) / sizeof(want_[0]),     \
		    __FILE__, __LINE__);                                       \
	} while (0)

/* ---- header helpers ---- */

static unsigned
count_values(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sip_hdr_iter it;
	struct sv v;
	unsigned n = 0;

	sip_hdr_iter_init(&it, m, id);
	while (sip_hdr_iter_next(&it, &v) == 1)
		n++;
	return n;
}

/* Value 'n' (0 = first) of a comma-separated header, across its fields. */
static struct sv
nth_value(const struct sip_msg *m, enum sip_hdr_id id, unsigned n)
{
	struct sip_hdr_iter it;
	struct sv v;
	unsigned i = 0;

	sip_hdr_iter_init(&it, m, id);
	while (sip_hdr_iter_next(&it, &v) == 1)
		if (i++ == n)
			return v;
	print_error("no value %u of %s\n", n, hdr_label(id));
	fail();
	return SV_NULL;
}

static void
nth_via(const struct sip_msg *m, unsigned n, struct sip_via *out)
{
	assert_int_equal(sip_via_parse(nth_value(m, SIP_HDR_VIA, n), out), 0);
}

static void
nth_contact(const struct sip_msg *m, unsigned n, struct sip_addr *out)
{
	assert_int_equal(
	    sip_contact_parse(nth_value(m, SIP_HDR_CONTACT, n), out), 0);
}

static struct sv
header(const struct sip_msg *m, enum sip_hdr_id id)
{
	struct sv v = SV_NULL;

	assert_int_equal(sip_msg_header(m, id, &v), 0);
	return v;
}

static struct sv
header_named(const struct sip_msg *m, const char *name)
{
	struct sv v = SV_NULL;

	assert_int_equal(sip_msg_header_by_name(m, sv_cstr(name), &v), 0);
	return v;
}

static struct sv
uri_param(const struct sip_uri *u, const char *name)
{
	struct sv v = SV_NULL;

	assert_int_equal(sip_uri_param(u, sv_cstr(name), &v), 1);
	return v;
}

static struct sv
hdr_param(struct sv params, const char *name)
{
	struct sip_param p;

	assert_int_equal(sip_param_find(params, sv_cstr(name), &p), 1);
	return p.value;
}

static const struct sip_uri *
ruri(struct sip_msg *m)
{
	const struct sip_uri *u = NULL;

	assert_int_equal(sip_msg_ruri(m, &u, NULL), 0);
	return u;
}

static const struct sip_addr *
from(struct sip_msg *m)
{
	const struct sip_addr *a = NULL;

	assert_int_equal(sip_msg_from(m, &a, NULL), 0);
	return a;
}

static const struct sip_addr *
to(struct sip_msg *m)
{
	const struct sip_addr *a = NULL;

	assert_int_equal(sip_msg_to(m, &a, NULL), 0);
	return a;
}

static const struct sip_cseq *
cseq(struct sip_msg *m)
{
	const struct sip_cseq *cs = NULL;

	assert_int_equal(sip_msg_cseq(m, &cs, NULL), 0);
	return cs;
}

static struct sv
call_id(struct sip_msg *m)
{
	struct sv v = SV_NULL;

	assert_int_equal(sip_msg_call_id(m, &v, NULL), 0);
	return v;
}

static uint32_t
max_forwards(struct sip_msg *m)
{
	uint32_t n = 0;

	assert_int_equal(sip_msg_max_forwards(m, &n, NULL), 0);
	return n;
}

static uint32_t
content_length(struct sip_msg *m)
{
	uint32_t n = 0;

	assert_int_equal(sip_msg_content_length(m, &n, NULL), 0);
	return n;
}

static bool
sv_contains(struct sv hay, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= hay.len && i <= hay.len - n; i++)
		if (memcmp(hay.p + i, needle, n) == 0)
			return true;
	return false;
}

/* Writes prefix, 'unit' n times, then suffix, NUL-ended; returns the
 * length without the NUL. */
static size_t
repeat(char *buf, size_t cap, const char *prefix, const char *unit, unsigned n,
    const char *suffix)
{
	size_t len = 0;
	const char *parts[3] = {prefix, unit, suffix};

	for (unsigned part = 0; part < 3; part++) {
		unsigned times = part == 1 ? n : 1;
		size_t plen = strlen(parts[part]);

		for (unsigned i = 0; i < times; i++) {
			assert_true(len + plen < cap);
			memcpy(buf + len, parts[part], plen);
			len += plen;
		}
	}
	assert_true(len < cap);
	buf[len] = '\0';
	return len;
}

static struct sdp_session *
parse_sdp(struct tcase *c)
{
	c->sdp = calloc(1, sizeof(*c->sdp));
	assert_non_null(c->sdp);
	assert_int_equal(sdp_parse(c->msg.body, c->sdp), 0);
	return c->sdp;
}

/* ==== RFC 4475 §3.1.1: valid messages ==== */

/* RFC 4475 §3.1.1.1 wsinv: line folding, escaped quotes, an empty
 * Subject, LWS everywhere, compact forms, unknown headers and
 * parameters, leading zeros. "All elements should treat this as a
 * well-formed request." R-CALL-1 */
static void
test_wsinv(void **state)
{
	struct tcase *c = rfc4475(state, "wsinv");
	struct sip_msg *m = parse_valid(c);
	const struct sip_uri *u = ruri(m);
	const struct sip_addr *a;
	const struct sip_cseq *cs;
	struct sip_addr addr;
	struct sip_via via;
	struct sv v;

	assert_true(m->is_request);
	assert_int_equal(m->method, SIP_METHOD_INVITE);
	assert_sv(u->user, "vivekg");
	assert_sv(u->host, "chair-dnrc.example.com");
	assert_sv(uri_param(u, "unknownparam"), "");

	a = to(m);
	assert_false(a->angle);
	assert_sv(a->uri.host, "chair-dnrc.example.com");
	assert_sv(a->tag, "1918181833n");

	a = from(m);
	assert_true(a->display_quoted);
	assert_sv(a->display, "J Rosenberg \\\\\\\"");
	assert_sv(a->uri.user, "jdrosen");
	assert_sv(a->tag, "98asjd8");

	/* Leading zeros: "0068" and "0009". */
	assert_int_equal(max_forwards(m), 68);
	cs = cseq(m);
	assert_int_equal(cs->seq, 9);
	assert_int_equal(cs->method, SIP_METHOD_INVITE);
	assert_sv(cs->method_name, "INVITE");
	assert_sv(call_id(m), "wsinv.ndaksdj@192.0.2.1");
	assert_int_equal(content_length(m), 150);

	/* Three Via values over two fields, one with a folded sent-protocol.
	 * The top one has no rport parameter in the RFC's bytes. */
	assert_int_equal(count_values(m, SIP_HDR_VIA), 3);
	nth_via(m, 0, &via);
	assert_sv(via.protocol, "SIP");
	assert_sv(via.version, "2.0");
	assert_sv(via.transport, "UDP");
	assert_sv(via.host, "192.0.2.2");
	assert_int_equal(via.host_type, SIP_HOST_IPV4);
	assert_false(via.has_port);
	assert_false(via.rport);
	assert_sv(via.branch, "390skdjuw");
	nth_via(m, 1, &via);
	assert_sv(via.transport, "TCP");
	assert_sv(via.host, "spindle.example.com");
	assert_sv(via.branch, "z9hG4bK9ikj8");
	nth_via(m, 2, &via);
	assert_sv(via.transport, "UDP");
	assert_sv(via.host, "192.168.255.111");
	assert_sv(via.branch, "z9hG4bK30239");

	/* "s :" is an empty Subject. */
	assert_sv(header(m, SIP_HDR_SUBJECT), "");

	/* Unknown headers keep their value, folding included. */
	assert_sv(header_named(m, "NewFangledHeader"),
	    "newfangled value\r\n continued newfangled value");
	assert_sv(header_named(m, "UnknownHeaderWithUnusualValue"), ";;,,;;,;");
	assert_sv(header(m, SIP_HDR_CONTENT_TYPE), "application/sdp");

	/* One Route value, with a valueless and unknown URI parameters. */
	assert_int_equal(count_values(m, SIP_HDR_ROUTE), 1);
	assert_int_equal(
	    sip_addr_parse(nth_value(m, SIP_HDR_ROUTE, 0), &addr), 0);
	assert_true(addr.angle);
	assert_sv(addr.uri.host, "services.example.com");
	assert_true(addr.uri.lr);
	assert_sv(uri_param(&addr.uri, "unknownwith"), "value");
	assert_sv(uri_param(&addr.uri, "unknown-no-value"), "");

	/* "m:" Contact: quoted display name with escaped quotes, unknown
	 * header parameters, and q spread over folded lines. */
	assert_int_equal(count_values(m, SIP_HDR_CONTACT), 1);
	nth_contact(m, 0, &addr);
	assert_true(addr.display_quoted);
	assert_sv(addr.display, "Quoted string \\\"\\\"");
	assert_sv(addr.uri.user, "jdrosen");
	assert_sv(hdr_param(addr.params, "newparam"), "newvalue");
	assert_sv(hdr_param(addr.params, "secondparam"), "");
	assert_true(addr.has_q);
	assert_int_equal(addr.q, 330);

	v = m->body;
	assert_int_equal(v.len, 150);
	assert_true(sv_starts_with(v, SV("v=0\r\no=mhandley 29739")));
}

/* RFC 4475 §3.1.1.2 intmeth: unusual but legal characters in the method,
 * Request-URI, branch, quoted display name (with quoted BEL, NUL and DEL),
 * token display name, Call-ID and an extension header. "A method of
 * IN%56ITE is an unknown method"; endpoints answer 501. R-CALL-1 */
static void
test_intmeth(void **state)
{
	static const char method[] =
	    "!interesting-Method0123456789_*+`.%indeed'~";
	struct tcase *c = rfc4475(state, "intmeth");
	struct sip_msg *m = parse_valid(c);
	const struct sip_uri *u = ruri(m);
	const struct sip_addr *a;
	const struct sip_cseq *cs;
	struct sip_via via;

	assert_int_equal(m->method, SIP_METHOD_OTHER);
	assert_sv(m->method_name, method);
	assert_int_equal(u->scheme, SIP_URI_SIP);
	assert_sv(u->user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_sv(u->password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	assert_sv(u->host, "example.com");

	nth_via(m, 0, &via);
	assert_sv(via.transport, "TCP");
	assert_sv(via.branch, "z9hG4bK-.!%66*_+`'~");

	/* The quoted-pairs stay escaped in the view. */
	a = to(m);
	assert_true(a->display_quoted);
	assert_sv(a->display, "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f");
	assert_sv(
	    a->uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");

	a = from(m);
	assert_false(a->display_quoted);
	assert_sv(a->display, "token1~` token2'+_ token3*%!.-");
	assert_sv(a->uri.user, "mundane");
	assert_sv(hdr_param(a->params, "fromParam''~+*_!.-%"),
	    "\xd1\x80\xd0\xb0\xd0\xb1\xd0\xbe\xd1\x82\xd0\xb0\xd1\x8e\xd1\x89"
	    "\xd0\xb8\xd0\xb9");
	assert_sv(a->tag, "_token~1'+`*%!-.");

	assert_sv(call_id(m), "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	cs = cseq(m);
	assert_int_equal(cs->seq, 139122385);
	assert_int_equal(cs->method, SIP_METHOD_OTHER);
	assert_sv(cs->method_name, method);
	assert_int_equal(max_forwards(m), 255);
	assert_sv(header_named(m, "extensionHeader-!.%*+_`'~"),
	    "\xef\xbb\xbf\xe5\xa4\xa7\xe5\x81\x9c\xe9\x9b\xbb");
	assert_int_equal(m->body.len, 0);
}

/* RFC 4475 §3.1.1.3 esc01: "The Request-URI has sips:user@example.com
 * embedded in its userpart"; the From and To users and the Contact URI
 * parameters are escaped. R-CALL-1 */
static void
test_esc01(void **state)
{
	struct tcase *c = rfc4475(state, "esc01");
	struct sip_msg *m = parse_valid(c);
	const struct sip_uri *u = ruri(m);
	struct sip_addr addr;

	assert_int_equal(u->scheme, SIP_URI_SIP);
	assert_sv(u->user, "sips%3Auser%40example.com");
	assert_unescaped(u->user, "sips:user@example.com");
	assert_sv(u->host, "example.net");

	assert_sv(to(m)->uri.user, "%75se%72");
	assert_unescaped(to(m)->uri.user, "user");
	assert_unescaped(from(m)->uri.user, "I have spaces");
	assert_sv(from(m)->tag, "938");
	assert_sv(call_id(m), "esc01.239409asdfakjkn23onasd0-3234");
	assert_sv(header(m, SIP_HDR_CONTENT_TYPE), "application/sdp");

	/* Contact folded onto its second line; ";%6C%72" is "lr" and
	 * "n%61me=v%61lue%25%34%31" is name=value%41. */
	nth_contact(m, 0, &addr);
	assert_unescaped(addr.uri.user, "caller");
	assert_sv(addr.uri.host, "host5.example.net");
	(void)uri_param(&addr.uri, "lr");
	assert_unescaped(uri_param(&addr.uri, "name"), "value%41");
	assert_int_equal(m->body.len, 150);
}

/* RFC 4475 §3.1.1.4 escnull: a REGISTER whose URIs hold escaped NULs in
 * the userpart ("null-%00-null", "%00", "%00%00"); it is well formed, and
 * the two Contact users differ. R-CALL-1 */
static void
test_escnull(void **state)
{
	struct tcase *c = rfc4475(state, "escnull");
	struct sip_msg *m = parse_valid(c);
	struct sip_addr a1, a2;

	assert_int_equal(m->method, SIP_METHOD_REGISTER);
	assert_sv(to(m)->uri.user, "null-%00-null");
	assert_unescaped(to(m)->uri.user, "null-\x00-null");
	assert_unescaped(from(m)->uri.user, "null-\x00-null");
	assert_int_equal(count_values(m, SIP_HDR_CONTACT), 2);
	nth_contact(m, 0, &a1);
	nth_contact(m, 1, &a2);
	assert_unescaped(a1.uri.user, "\x00");
	assert_unescaped(a2.uri.user, "\x00\x00");
	assert_false(sip_uri_equal(&a1.uri, &a2.uri));
	assert_int_equal(content_length(m), 0);
}

/* RFC 4475 §3.1.1.5 esc02: "The request method is unknown. It is NOT
 * equivalent to REGISTER."; the display names are "%Z%45"; "This message
 * has two Contact header field values, not three." (C%6Fntact is another
 * header). "A parser should accept this message as well formed." and an
 * endpoint answers 501. R-CALL-1 */
static void
test_esc02(void **state)
{
	struct tcase *c = rfc4475(state, "esc02");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;

	assert_int_equal(m->method, SIP_METHOD_OTHER);
	assert_sv(m->method_name, "RE%47IST%45R");
	assert_sv(ruri(m)->host, "registrar.example.com");
	assert_true(to(m)->display_quoted);
	assert_sv(to(m)->display, "%Z%45");
	assert_sv(from(m)->display, "%Z%45");
	assert_sv(cseq(m)->method_name, "RE%47IST%45R");
	assert_int_equal(cseq(m)->method, SIP_METHOD_OTHER);
	nth_via(m, 0, &via);
	assert_sv(via.branch, "z9hG4bK209%fzsnel234");
	assert_int_equal(count_values(m, SIP_HDR_CONTACT), 2);
	assert_sv(
	    header_named(m, "C%6Fntact"), "<sip:alias2@host2.example.com>");
}

/* RFC 4475 §3.1.1.6 lwsdisp: no LWS between the display name and "<", a
 * known bug of the RFC 3261 grammar; "Elements should accept this request
 * as well formed." R-CALL-1 */
static void
test_lwsdisp(void **state)
{
	struct tcase *c = rfc4475(state, "lwsdisp");
	struct sip_msg *m = parse_valid(c);
	const struct sip_addr *a = from(m);

	assert_false(a->display_quoted);
	assert_sv(a->display, "caller");
	assert_true(a->angle);
	assert_sv(a->uri.user, "caller");
	assert_sv(a->tag, "323");
	assert_int_equal(m->method, SIP_METHOD_OPTIONS);
}

/* RFC 4475 §3.1.1.7 longreq: "This well-formed request contains header
 * fields with many values and values that are very long": a long To
 * display name and URI parameters, a very long From tag and Call-ID, and
 * 34 Via values. R-CALL-1 */
static void
test_longreq(void **state)
{
	struct tcase *c = rfc4475(state, "longreq");
	struct sip_msg *m = parse_valid(c);
	const struct sip_addr *a;
	struct sip_addr addr;
	struct sip_via via;
	char want[1024], name[128];
	size_t n;

	a = to(m);
	n = repeat(want, sizeof(want), "I have a user name of ", "extreme", 10,
	    " proportion");
	assert_true(a->display_quoted);
	assert_sv_n(a->display, want, n);
	assert_true(a->uri.has_port);
	assert_int_equal(a->uri.port, 6000);
	n = repeat(want, sizeof(want), "very", "long", 20, "value");
	assert_sv_n(uri_param(&a->uri, "unknownparam1"), want, n);
	n = repeat(want, sizeof(want), "longparam", "name", 25, "");
	assert_sv(uri_param(&a->uri, want), "shortvalue");

	a = from(m);
	n = repeat(want, sizeof(want), "", "amazinglylongcallername", 5, "");
	assert_sv_n(a->uri.user, want, n);
	n = repeat(want, sizeof(want), "12", "982", 50, "424");
	assert_sv_n(a->tag, want, n);

	n = repeat(
	    want, sizeof(want), "longreq.one", "really", 20, "longcallid");
	assert_sv_n(call_id(m), want, n);
	assert_int_equal(cseq(m)->seq, 3882340);

	(void)repeat(name, sizeof(name), "Unknown-", "Long", 20, "-Name");
	n = repeat(
	    want, sizeof(want), "unknown-", "long", 20, "-value; unknown-");
	assert_true(sv_starts_with(header_named(m, name), sv_make(want, n)));

	/* 34 Via values, in every case and spacing of the name. */
	assert_int_equal(count_values(m, SIP_HDR_VIA), 34);
	nth_via(m, 0, &via);
	assert_sv(via.transport, "TCP");
	assert_sv(via.host, "sip33.example.com");
	nth_via(m, 33, &via);
	assert_sv(via.host, "host.example.com");
	assert_sv(via.received, "192.0.2.5");
	n = repeat(want, sizeof(want), "very", "long", 50, "branchvalue");
	assert_sv_n(via.branch, want, n);

	nth_contact(m, 0, &addr);
	n = repeat(want, sizeof(want), "", "amazinglylongcallername", 5, "");
	assert_sv_n(addr.uri.user, want, n);
	assert_int_equal(content_length(m), 150);
	assert_int_equal(m->body.len, 150);
}

/* RFC 4475 §3.1.1.8 dblreq: a REGISTER with Content-Length 0 followed, in
 * the same UDP datagram, by octets that look like an INVITE. The message
 * is the REGISTER alone; the extra octets are discarded (RFC 3261 §18.3).
 * R-CALL-1 */
static void
test_dblreq(void **state)
{
	struct tcase *c = rfc4475(state, "dblreq");
	struct sip_msg *m = parse_valid(c);
	struct sv all = sv_make(c->buf, c->len);
	size_t end = 0;

	assert_int_equal(m->method, SIP_METHOD_REGISTER);
	assert_int_equal(cseq(m)->method, SIP_METHOD_REGISTER);
	assert_sv(call_id(m), "dblreq.0ha0isndaksdj99sdfafnl3lk233412");
	assert_int_equal(content_length(m), 0);
	assert_int_equal(m->body.len, 0);
	while (end + 4 <= all.len && memcmp(all.p + end, "\r\n\r\n", 4) != 0)
		end++;
	assert_int_equal(m->raw.len, end + 4);
	assert_false(sv_contains(m->raw, "INVITE"));
}

/* RFC 4475 §3.1.1.9 semiuri: "the Request-URI will parse so that the user
 * part is user;par=u@example.net". R-CALL-1 */
static void
test_semiuri(void **state)
{
	struct tcase *c = rfc4475(state, "semiuri");
	struct sip_msg *m = parse_valid(c);
	const struct sip_uri *u = ruri(m);

	assert_sv(u->user, "user;par=u%40example.net");
	assert_unescaped(u->user, "user;par=u@example.net");
	assert_sv(u->host, "example.com");
	assert_int_equal(u->params.len, 0);
	assert_int_equal(count_values(m, SIP_HDR_ACCEPT), 6);
}

/* RFC 4475 §3.1.1.10 transports: "Via header field values with all known
 * transport types and exercises the transport extension mechanism" (UDP,
 * SCTP, TLS, UNKNOWN, TCP); the message is well formed. R-CALL-1 */
static void
test_transports(void **state)
{
	static const char *const transports[] = {
	    "UDP", "SCTP", "TLS", "UNKNOWN", "TCP"};
	static const char *const hosts[] = {"t1.example.com", "t2.example.com",
	    "t3.example.com", "t4.example.com", "t5.example.com"};
	struct tcase *c = rfc4475(state, "transports");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;

	assert_int_equal(count_values(m, SIP_HDR_VIA), 5);
	for (unsigned i = 0; i < 5; i++) {
		nth_via(m, i, &via);
		check_sv(via.transport, transports[i], strlen(transports[i]),
		    __FILE__, __LINE__);
		check_sv(
		    via.host, hosts[i], strlen(hosts[i]), __FILE__, __LINE__);
	}
}

/* RFC 4475 §3.1.1.11 mpart01: a MESSAGE with a multipart/mixed body whose
 * second part is binary (with NUL and bare LF octets); it is valid and
 * the body is exactly Content-Length octets. R-CALL-1 */
static void
test_mpart01(void **state)
{
	struct tcase *c = rfc4475(state, "mpart01");
	struct sip_msg *m = parse_valid(c);

	assert_int_equal(m->method, SIP_METHOD_MESSAGE);
	assert_sv(header(m, SIP_HDR_CONTENT_TYPE),
	    "multipart/mixed;boundary=7a9cbec02ceef655");
	assert_int_equal(content_length(m), 553);
	assert_int_equal(m->body.len, 553);
	assert_true(sv_starts_with(m->body, SV("--7a9cbec02ceef655\r\n")));
	assert_non_null(memchr(m->body.p, '\0', m->body.len));
	assert_sv(sv_skip(m->body, 553 - 22), "--7a9cbec02ceef655--\r\n");
	assert_sv(header(m, SIP_HDR_DATE), "Sat, 15 Oct 2005 04:44:56 GMT");
}

/* RFC 4475 §3.1.1.12 unreason: a 200 response whose reason phrase holds
 * UTF-8 (Cyrillic) text; it is valid. R-CALL-1 */
static void
test_unreason(void **state)
{
	struct tcase *c = rfc4475(state, "unreason");
	struct sip_msg *m = parse_valid(c);

	assert_false(m->is_request);
	assert_int_equal(m->status, 200);
	assert_sv(m->reason,
	    "= 2**3 * 5**2 \xd0\xbd\xd0\xbe \xd1\x81\xd1\x82\xd0\xbe "
	    "\xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82"
	    "\xd0\xbe \xd0\xb4\xd0\xb5\xd0\xb2\xd1\x8f\xd1\x82\xd1\x8c - "
	    "\xd0\xbf\xd1\x80\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xb5");
	assert_int_equal(cseq(m)->method, SIP_METHOD_INVITE);
	assert_int_equal(m->body.len, 154);
}

/* RFC 4475 §3.1.1.13 noreason: "SIP/2.0 100 " with an empty reason
 * phrase; it is valid. R-CALL-1 */
static void
test_noreason(void **state)
{
	struct tcase *c = rfc4475(state, "noreason");
	struct sip_msg *m = parse_valid(c);

	assert_false(m->is_request);
	assert_int_equal(m->status, 100);
	assert_int_equal(m->reason.len, 0);
	assert_sv(to(m)->tag, "902jndnke3");
}

/* ==== RFC 4475 §3.1.2: invalid messages ==== */

/* RFC 4475 §3.1.2.1 badinv01: extraneous separators, empty parameters in
 * Via (";;,;,,") and Contact (";;;;"); the request is invalid and gets a
 * 400 Bad Request. R-CALL-1 */
static void
test_badinv01(void **state)
{
	struct tcase *c = rfc4475(state, "badinv01");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_VIA, SIP_HDR_CONTACT);
}

/* RFC 4475 §3.1.2.2 clerr: Content-Length 9999 and a short body; sent over
 * UDP, "the receiving element should respond with a 400 Bad Request
 * error". R-CALL-1 */
static void
test_clerr(void **state)
{
	struct tcase *c = rfc4475(state, "clerr");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CONTENT_LENGTH);
}

/* RFC 4475 §3.1.2.3 ncl: "Content-Length: -999"; "An element receiving
 * this message should respond with an error." R-CALL-1 */
static void
test_ncl(void **state)
{
	struct tcase *c = rfc4475(state, "ncl");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CONTENT_LENGTH);
}

/* RFC 4475 §3.1.2.4 scalar02: CSeq, Max-Forwards, Expires and a Contact
 * expires out of range; the CSeq error alone calls for a 400 Bad Request
 * (the others could be treated as absent or as defaults). R-CALL-1 */
static void
test_scalar02(void **state)
{
	struct tcase *c = rfc4475(state, "scalar02");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CSEQ);
}

/* RFC 4475 §3.1.2.5 scalarlg: a response with CSeq above 2**32-1 and a
 * huge Retry-After; "An element receiving this response will simply
 * discard it." The parser refuses it (its status is only informative for
 * a response). R-CALL-1 */
static void
test_scalarlg(void **state)
{
	struct tcase *c = rfc4475(state, "scalarlg");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CSEQ);
}

/* RFC 4475 §3.1.2.6 quotbal: an unterminated quoted string in the To
 * display name; the element returns 400 Bad Request (inferring the
 * closing quote is allowed but risky; we refuse). R-CALL-1 */
static void
test_quotbal(void **state)
{
	struct tcase *c = rfc4475(state, "quotbal");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_TO);
}

/* RFC 4475 §3.1.2.7 ltgtruri: "INVITE <sip:user@example.com> SIP/2.0";
 * "It is reasonable always to reject a request with this error with a 400
 * Bad Request" (ignoring the brackets is allowed; we refuse). R-CALL-1 */
static void
test_ltgtruri(void **state)
{
	struct tcase *c = rfc4475(state, "ltgtruri");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* RFC 4475 §3.1.2.8 lwsruri: "sip:user@example.com; lr" holds LWS, which
 * no Request-URI may; the request is malformed: 400. R-CALL-1 */
static void
test_lwsruri(void **state)
{
	struct tcase *c = rfc4475(state, "lwsruri");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* RFC 4475 §3.1.2.9 lwsstart: two SP between the Request-Line elements;
 * the element may reject it as malformed or ignore the extra SP (and not
 * forward them); we refuse with 400. R-CALL-1 */
static void
test_lwsstart(void **state)
{
	struct tcase *c = rfc4475(state, "lwsstart");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* RFC 4475 §3.1.2.10 trws: SP after SIP/2.0 on the Request-Line; the
 * element may reject it as malformed or ignore the SP; we refuse with
 * 400. R-CALL-1 */
static void
test_trws(void **state)
{
	struct tcase *c = rfc4475(state, "trws");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* RFC 4475 §3.1.2.11 escruri: escaped headers in the Request-URI, which
 * RFC 3261 §19.1.1 (Table 1) does not allow there. A 400 Bad Request is
 * acceptable; "an element could choose to be liberal in what it accepts
 * and ignore the escaped headers", and must then not forward them. Like
 * every other malformation here, we refuse. R-CALL-1 */
static void
test_escruri(void **state)
{
	struct tcase *c = rfc4475(state, "escruri");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* RFC 4475 §3.1.2.12 baddate: a Date in EST where RFC 3261 requires GMT;
 * the element may refuse the request with 400 or be liberal about the
 * Date; we refuse, naming Date. R-CALL-1 */
static void
test_baddate(void **state)
{
	struct tcase *c = rfc4475(state, "baddate");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_DATE);
}

/* RFC 4475 §3.1.2.13 regbadct: a Contact URI with "?" headers not inside
 * <>, which RFC 3261 §20 requires; the request is malformed (an element
 * "could infer the angle brackets since there is no ambiguity in this
 * example. In general, that won't be possible."); we refuse. R-CALL-1 */
static void
test_regbadct(void **state)
{
	struct tcase *c = rfc4475(state, "regbadct");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CONTACT);
}

/* RFC 4475 §3.1.2.14 badaspec: spaces inside <> around the To addr-spec;
 * the request is malformed and a 400 Bad Request is reasonable (ignoring
 * the spaces is allowed; we refuse, naming To). R-CALL-1 */
static void
test_badaspec(void **state)
{
	struct tcase *c = rfc4475(state, "badaspec");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_TO);
}

/* RFC 4475 §3.1.2.15 baddn: unquoted display names holding non-token
 * characters (a comma) in From and To; rejecting with 400 is reasonable
 * (inferring the quotes is allowed; we refuse). The RFC archive's copy
 * also lacks the empty line that ends the header section: it is refused
 * as it stands, and again, for the display names, once that line is
 * added. R-CALL-1 */
static void
test_baddn(void **state)
{
	struct tcase *c = rfc4475(state, "baddn");

	expect_refused(c, 400);
	tcase_append(c, "\r\n", 2);
	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_FROM, SIP_HDR_TO);
}

/* RFC 4475 §3.1.2.16 badvers: "SIP/7.0" in the Request-Line (and Via);
 * the element answers 505 Version Not Supported. R-CALL-1 */
static void
test_badvers(void **state)
{
	struct tcase *c = rfc4475(state, "badvers");

	expect_refused(c, 505);
}

/* RFC 4475 §3.1.2.17 mismatch01: OPTIONS with "CSeq: 8 INVITE"; the
 * methods must match (RFC 3261 §8.1.1.5), so the request is malformed:
 * 400 naming CSeq. R-CALL-1 */
static void
test_mismatch01(void **state)
{
	struct tcase *c = rfc4475(state, "mismatch01");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CSEQ);
	assert_int_equal(c->msg.method, SIP_METHOD_OPTIONS);
}

/* RFC 4475 §3.1.2.18 mismatch02: unknown method NEWMETHOD with "CSeq: 8
 * INVITE"; a 501 is preferred and a 400 is also
 * acceptable. The parser refuses with 400 and still exposes the method,
 * so an element may answer 501 instead. R-CALL-1 */
static void
test_mismatch02(void **state)
{
	struct tcase *c = rfc4475(state, "mismatch02");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CSEQ);
	assert_int_equal(c->msg.method, SIP_METHOD_OTHER);
	assert_sv(c->msg.method_name, "NEWMETHOD");
}

/* RFC 4475 §3.1.2.19 bigcode: status code 4294967301; "This response has
 * a response code larger than 699. An element receiving this response
 * should simply drop it." R-CALL-1 */
static void
test_bigcode(void **state)
{
	struct tcase *c = rfc4475(state, "bigcode");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* ==== RFC 4475 §3.2: transaction layer ==== */

/* RFC 4475 §3.2.1 badbranch: the branch is the bare magic cookie
 * "z9hG4bK"; "A parser must not break when receiving this message." The
 * element may reject it with 400 or fall back to RFC 2543 transaction
 * matching, so the parser exposes the branch as written. R-CALL-1 */
static void
test_badbranch(void **state)
{
	struct tcase *c = rfc4475(state, "badbranch");
	struct sip_msg *m = parse_valid(c);
	const struct sip_via *via = NULL;

	assert_int_equal(sip_msg_via(m, &via, NULL), 0);
	assert_sv(via->branch, "z9hG4bK");
	assert_sv(via->host, "192.0.2.1");
}

/* ==== RFC 4475 §3.3: application layer ==== */

/* RFC 4475 §3.3.1 insuf: no Call-ID, From or To, which every request
 * needs; the answer is 400 Bad Request. R-CALL-1 */
static void
test_insuf(void **state)
{
	struct tcase *c = rfc4475(state, "insuf");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID);
}

/* RFC 4475 §3.3.2 unkscm: "A parser must accept this as a well-formed SIP
 * request. An element receiving this request will reject it with a 416
 * Unsupported URI Scheme response." The parser reports the scheme as
 * unknown. R-CALL-1 */
static void
test_unkscm(void **state)
{
	struct tcase *c = rfc4475(state, "unkscm");
	struct sip_msg *m = parse_valid(c);
	const struct sip_uri *u = ruri(m);

	assert_int_equal(u->scheme, SIP_URI_OTHER);
	assert_sv(u->scheme_name, "nobodyKnowsThisScheme");
	assert_sv(u->opaque, "totallyopaquecontent");
}

/* RFC 4475 §3.3.3 novelsc: Request-URI "soap.beep://192.0.2.103:3002", a
 * registered scheme; an element that never accepts it "return[s] a 416
 * Unsupported URI Scheme response", after a clean parse. R-CALL-1 */
static void
test_novelsc(void **state)
{
	struct tcase *c = rfc4475(state, "novelsc");
	struct sip_msg *m = parse_valid(c);
	const struct sip_uri *u = ruri(m);

	assert_int_equal(u->scheme, SIP_URI_OTHER);
	assert_sv(u->scheme_name, "soap.beep");
	assert_sv(u->opaque, "//192.0.2.103:3002");
}

/* RFC 4475 §3.3.4 unksm2: "This message contains registered schemes in
 * the To, From, and Contact header fields of a request" (isbn:, http:,
 * name:); it is syntactically valid, and a registrar's 400 (To is not a
 * SIP or SIPS AOR) is an application decision. R-CALL-1 */
static void
test_unksm2(void **state)
{
	struct tcase *c = rfc4475(state, "unksm2");
	struct sip_msg *m = parse_valid(c);
	struct sip_addr addr;

	assert_int_equal(to(m)->uri.scheme, SIP_URI_OTHER);
	assert_sv(to(m)->uri.scheme_name, "isbn");
	assert_sv(to(m)->uri.opaque, "2983792873");
	assert_int_equal(from(m)->uri.scheme, SIP_URI_OTHER);
	assert_sv(from(m)->uri.scheme_name, "http");
	assert_sv(from(m)->tag, "3234233");
	nth_contact(m, 0, &addr);
	assert_int_equal(addr.uri.scheme, SIP_URI_OTHER);
	assert_sv(addr.uri.scheme_name, "name");
	assert_sv(addr.uri.opaque, "John_Smith");
}

/* RFC 4475 §3.3.5 bext01: Require and Proxy-Require with unsupported
 * option tags; a UAS answers 420 listing them in Unsupported, which needs
 * each tag from the parser. R-CALL-1 */
static void
test_bext01(void **state)
{
	struct tcase *c = rfc4475(state, "bext01");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;

	assert_int_equal(count_values(m, SIP_HDR_REQUIRE), 2);
	assert_true(
	    sip_msg_has_token(m, SIP_HDR_REQUIRE, SV("nothingSupportsThis")));
	assert_true(sip_msg_has_token(
	    m, SIP_HDR_REQUIRE, SV("nothingSupportsThisEither")));
	assert_true(sip_msg_has_token(
	    m, SIP_HDR_PROXY_REQUIRE, SV("noProxiesSupportThis")));
	assert_true(sip_msg_has_token(
	    m, SIP_HDR_PROXY_REQUIRE, SV("norDoAnyProxiesSupportThis")));
	nth_via(m, 0, &via);
	assert_sv(via.transport, "TLS");
}

/* RFC 4475 §3.3.6 invut: "This INVITE request contains a body of unknown
 * type"; a UAS answers 415 Unsupported Media Type with an Accept header.
 * The parser exposes the type and the 40-octet body. R-CALL-1 */
static void
test_invut(void **state)
{
	struct tcase *c = rfc4475(state, "invut");
	struct sip_msg *m = parse_valid(c);

	assert_sv(header(m, SIP_HDR_CONTENT_TYPE), "application/unknownformat");
	assert_int_equal(m->body.len, 40);
	assert_true(sv_starts_with(m->body, SV("<audio>")));
}

/* RFC 4475 §3.3.7 regaut01: "This REGISTER request contains an
 * Authorization header field with an unknown scheme." It is well formed;
 * a registrar answers 401 with the schemes it accepts. R-CALL-1 */
static void
test_regaut01(void **state)
{
	struct tcase *c = rfc4475(state, "regaut01");
	struct sip_msg *m = parse_valid(c);
	struct sip_digest d;

	assert_sv(header(m, SIP_HDR_AUTHORIZATION),
	    "NoOneKnowsThisScheme opaque-data=here");
	assert_int_equal(
	    sip_digest_parse(header(m, SIP_HDR_AUTHORIZATION), &d), 0);
	assert_false(d.is_digest);
	assert_sv(d.scheme, "NoOneKnowsThisScheme");
	assert_int_equal(content_length(m), 0);
}

/* RFC 4475 §3.3.8 multi01: several Call-ID, To, From, Max-Forwards and
 * CSeq fields, which may appear once; the answer is 400 Bad Request.
 * R-CALL-1 */
static void
test_multi01(void **state)
{
	struct tcase *c = rfc4475(state, "multi01");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_CALL_ID,
	    SIP_HDR_CSEQ, SIP_HDR_MAX_FORWARDS);
}

/* RFC 4475 §3.3.9 mcl01: two Content-Length values that disagree; over
 * UDP the element answers with an error (on a stream the framing is lost
 * and the connection closes). R-CALL-1 */
static void
test_mcl01(void **state)
{
	struct tcase *c = rfc4475(state, "mcl01");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_CONTENT_LENGTH);
}

/* RFC 4475 §3.3.10 bcast: "This message is a response with a 2nd Via
 * header field value's sent-by containing 255.255.255.255." It is well
 * formed; what to do with it is the transport's business. R-CALL-1 */
static void
test_bcast(void **state)
{
	struct tcase *c = rfc4475(state, "bcast");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;

	assert_false(m->is_request);
	assert_int_equal(m->status, 200);
	nth_via(m, 1, &via);
	assert_sv(via.host, "255.255.255.255");
	assert_int_equal(via.host_type, SIP_HOST_IPV4);
}

/* RFC 4475 §3.3.11 zeromf: "This is a legal SIP request with the
 * Max-Forwards header field value set to zero." A proxy answers 483, a
 * UAS answers the OPTIONS normally. R-CALL-1 */
static void
test_zeromf(void **state)
{
	struct tcase *c = rfc4475(state, "zeromf");
	struct sip_msg *m = parse_valid(c);

	assert_int_equal(max_forwards(m), 0);
	assert_int_equal(m->method, SIP_METHOD_OPTIONS);
}

/* RFC 4475 §3.3.12 cparam01: "Contact: sip:...;unknownparam" without <>;
 * "the 'unknownparam' parameter must be interpreted as a contact-param
 * and not a url-param." R-CALL-1 */
static void
test_cparam01(void **state)
{
	struct tcase *c = rfc4475(state, "cparam01");
	struct sip_msg *m = parse_valid(c);
	struct sip_addr addr;
	struct sv v;

	nth_contact(m, 0, &addr);
	assert_false(addr.angle);
	assert_sv(addr.uri.user, "+19725552222");
	assert_sv(addr.uri.host, "gw1.example.net");
	assert_int_equal(sip_uri_param(&addr.uri, SV("unknownparam"), &v), 0);
	assert_sv(hdr_param(addr.params, "unknownparam"), "");
}

/* RFC 4475 §3.3.13 cparam02: "a contact where the URI has an unknown
 * parameter" (inside <>): a url-parameter the registrar keeps. R-CALL-1 */
static void
test_cparam02(void **state)
{
	struct tcase *c = rfc4475(state, "cparam02");
	struct sip_msg *m = parse_valid(c);
	struct sip_addr addr;
	struct sip_param p;

	nth_contact(m, 0, &addr);
	assert_true(addr.angle);
	assert_sv(uri_param(&addr.uri, "unknownparam"), "");
	assert_int_equal(
	    sip_param_find(addr.params, SV("unknownparam"), &p), 0);
}

/* RFC 4475 §3.3.14 regescrt: "a contact where the URI has an escaped
 * header" (Route, inside <>); the REGISTER succeeds and the registrar
 * keeps the header with the binding. R-CALL-1 */
static void
test_regescrt(void **state)
{
	struct tcase *c = rfc4475(state, "regescrt");
	struct sip_msg *m = parse_valid(c);
	struct sip_addr addr;

	nth_contact(m, 0, &addr);
	assert_true(addr.angle);
	assert_sv(addr.uri.user, "user");
	assert_sv(addr.uri.headers, "Route=%3Csip:sip.example.com%3E");
	assert_int_equal(content_length(m), 0);
}

/* RFC 4475 §3.3.15 sdp01: "This request indicates that the response must
 * contain a body in an unknown type" (Accept: text/nobodyKnowsThis); the
 * UAS may answer 406 or a 200 without SDP. The parser exposes Accept.
 * R-CALL-1 */
static void
test_sdp01(void **state)
{
	struct tcase *c = rfc4475(state, "sdp01");
	struct sip_msg *m = parse_valid(c);

	assert_int_equal(count_values(m, SIP_HDR_ACCEPT), 1);
	assert_sv(nth_value(m, SIP_HDR_ACCEPT, 0), "text/nobodyKnowsThis");
	assert_sv(header(m, SIP_HDR_CONTENT_TYPE), "application/sdp");
	assert_int_equal(m->body.len, 150);
}

/* ==== RFC 4475 §3.4: backward compatibility ==== */

/* RFC 4475 §3.4.1 inv2543: RFC 2543 syntax: "There is no branch parameter
 * at all on the Via header field value", "There is no From tag", "There
 * is no explicit Content-Length" ("The body is assumed to be all octets
 * in the datagram after the null-line") and "There is no Max-Forwards
 * header field". Elements keeping backward compatibility accept it.
 * R-CALL-1 */
static void
test_inv2543(void **state)
{
	struct tcase *c = rfc4475(state, "inv2543");
	struct sip_msg *m = parse_valid(c);
	const struct sip_via *via = NULL;
	uint32_t n;
	struct sv v;

	assert_int_equal(sip_msg_via(m, &via, NULL), 0);
	assert_false(sv_present(via->branch));
	assert_sv(via->host, "iftgw.example.com");
	assert_false(sv_present(from(m)->tag));
	assert_sv(uri_param(&from(m)->uri, "user"), "phone");
	assert_sv(hdr_param(to(m)->params, "user"), "phone");
	assert_int_equal(sip_msg_max_forwards(m, &n, NULL), -ENOENT);
	assert_int_equal(
	    sip_msg_header(m, SIP_HDR_CONTENT_LENGTH, &v), -ENOENT);
	assert_int_equal(m->body.len, 105);
	assert_true(sv_starts_with(m->body, SV("v=0\r\n")));
	assert_int_equal(cseq(m)->seq, 56);
}

/* ==== RFC 5118 §4: IPv6 ==== */

static void
check_host(const struct sip_uri *u, const char *host, enum sip_host_type type,
    const char *file, int line)
{
	check_sv(u->host, host, strlen(host), file, line);
	if (u->host_type != type) {
		print_error(
		    "host type %d, want %d\n", (int)u->host_type, (int)type);
		_fail(file, line);
	}
}

#define assert_host(u, host, type)                                             \
	check_host((u), (host), (type), __FILE__, __LINE__)

/* RFC 5118 §4.1 ipv6-good: IPv6 references in the Request-URI, Via and
 * Contact; a valid message. R-CALL-1 */
static void
test_ipv6_good(void **state)
{
	struct tcase *c = rfc5118(state, "ipv6-good");
	struct sip_msg *m = parse_valid(c);
	struct sip_addr addr;
	struct sip_via via;

	assert_host(ruri(m), "2001:db8::10", SIP_HOST_IPV6);
	assert_false(ruri(m)->has_port);
	nth_via(m, 0, &via);
	assert_sv(via.host, "2001:db8::9:1");
	assert_int_equal(via.host_type, SIP_HOST_IPV6);
	nth_contact(m, 0, &addr);
	assert_host(&addr.uri, "2001:db8::1", SIP_HOST_IPV6);
}

/* RFC 5118 §4.2 ipv6-bad: "REGISTER sip:2001:db8::10", an IPv6 address in
 * a SIP URI without the brackets RFC 3261 requires; the message is
 * invalid and gets a 400. R-CALL-1 */
static void
test_ipv6_bad(void **state)
{
	struct tcase *c = rfc5118(state, "ipv6-bad");

	expect_refused(c, 400);
	assert_hdr_in(c, SIP_HDR_OTHER);
}

/* RFC 5118 §4.3 port-ambiguous: "[2001:db8::10:5070]" is one address and
 * no port. R-CALL-1 */
static void
test_port_ambiguous(void **state)
{
	struct tcase *c = rfc5118(state, "port-ambiguous");
	struct sip_msg *m = parse_valid(c);

	assert_host(ruri(m), "2001:db8::10:5070", SIP_HOST_IPV6);
	assert_false(ruri(m)->has_port);
}

/* RFC 5118 §4.4 port-unambiguous: "[2001:db8::10]:5070" is an address and
 * port 5070. R-CALL-1 */
static void
test_port_unambiguous(void **state)
{
	struct tcase *c = rfc5118(state, "port-unambiguous");
	struct sip_msg *m = parse_valid(c);

	assert_host(ruri(m), "2001:db8::10", SIP_HOST_IPV6);
	assert_true(ruri(m)->has_port);
	assert_int_equal(ruri(m)->port, 5070);
}

/* RFC 5118 §4.5 via-received-param-with-delim: "received=[2001:db8::9:255]"
 * with brackets, which RFC 3261's via-received grammar omits.
 * Implementations must "be liberal in accepting a 'received' parameter
 * with or without the delimiting '[' and ']' tokens", and "A SIP
 * implementation receiving either of these messages must parse them
 * successfully." R-CALL-1 */
static void
test_via_received_with_delim(void **state)
{
	struct tcase *c = rfc5118(state, "via-received-param-with-delim");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;
	struct sv r;

	nth_via(m, 0, &via);
	assert_sv(via.host, "2001:db8::9:1");
	r = via.received;
	if (r.len >= 2 && r.p[0] == '[' && r.p[r.len - 1] == ']')
		r = sv_make(r.p + 1, r.len - 2);
	assert_sv(r, "2001:db8::9:255");
	assert_sv(via.branch, "z9hG4bKas3-111");
	assert_int_equal(m->method, SIP_METHOD_BYE);
}

/* RFC 5118 §4.5 via-received-param-no-delim: "received=2001:db8::9:255",
 * the RFC 3261 form, which must parse as well; the colons must not end
 * the parameter list. R-CALL-1 */
static void
test_via_received_no_delim(void **state)
{
	struct tcase *c = rfc5118(state, "via-received-param-no-delim");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;

	nth_via(m, 0, &via);
	assert_sv(via.received, "2001:db8::9:255");
	assert_sv(via.branch, "z9hG4bKas3");
}

/* RFC 5118 §4.6 ipv6-in-sdp: IPv6 in the SDP o= and c= lines as well as
 * in the headers; a valid request. R-CALL-1 */
static void
test_ipv6_in_sdp(void **state)
{
	struct tcase *c = rfc5118(state, "ipv6-in-sdp");
	struct sip_msg *m = parse_valid(c);
	struct sdp_session *s;
	struct sip_via via;

	assert_host(ruri(m), "2001:db8::10", SIP_HOST_IPV6);
	assert_host(&to(m)->uri, "2001:db8::10", SIP_HOST_IPV6);
	nth_via(m, 0, &via);
	assert_sv(via.host, "2001:db8::20");
	s = parse_sdp(c);
	assert_true(s->has_conn);
	assert_sv(s->conn.addrtype, "IP6");
	assert_sv(s->conn.address, "2001:db8::20");
	assert_int_equal(s->media_count, 2);
}

/* RFC 5118 §4.7 mult-ip-in-header: Via values with an IPv6 reference and
 * a port, an IPv4 address, and an IPv6 reference with an IPv4 received.
 * R-CALL-1 */
static void
test_mult_ip_in_header(void **state)
{
	struct tcase *c = rfc5118(state, "mult-ip-in-header");
	struct sip_msg *m = parse_valid(c);
	struct sip_via via;

	assert_int_equal(count_values(m, SIP_HDR_VIA), 3);
	nth_via(m, 0, &via);
	assert_sv(via.host, "2001:db8::9:1");
	assert_int_equal(via.host_type, SIP_HOST_IPV6);
	assert_true(via.has_port);
	assert_int_equal(via.port, 6050);
	nth_via(m, 1, &via);
	assert_sv(via.host, "192.0.2.1");
	assert_int_equal(via.host_type, SIP_HOST_IPV4);
	assert_false(via.has_port);
	nth_via(m, 2, &via);
	assert_sv(via.transport, "TCP");
	assert_sv(via.host, "2001:db8::9:255");
	assert_int_equal(via.host_type, SIP_HOST_IPV6);
	assert_sv(via.received, "192.0.2.200");
}

/* RFC 5118 §4.8 mult-ip-in-sdp: one stream on IPv4 and one on IPv6, each
 * with its own c= line; a valid request. R-CALL-1 */
static void
test_mult_ip_in_sdp(void **state)
{
	struct tcase *c = rfc5118(state, "mult-ip-in-sdp");
	struct sip_msg *m = parse_valid(c);

	assert_host(ruri(m), "2001:db8::10", SIP_HOST_IPV6);
	assert_sv(header(m, SIP_HDR_CONTENT_TYPE), "application/sdp");
	assert_true(sv_contains(m->body, "c=IN IP4 192.0.2.1\r\n"));
	assert_true(sv_contains(m->body, "c=IN IP6 2001:db8::1\r\n"));
}

/* RFC 5118 §4.9 ipv4-mapped-ipv6: IPv4-mapped IPv6 addresses in Via,
 * Contact and SDP are IPv6 addresses. R-CALL-1 */
static void
test_ipv4_mapped_ipv6(void **state)
{
	struct tcase *c = rfc5118(state, "ipv4-mapped-ipv6");
	struct sip_msg *m = parse_valid(c);
	struct sdp_session *s;
	struct sip_addr addr;
	struct sip_via via;

	nth_via(m, 0, &via);
	assert_sv(via.host, "::ffff:192.0.2.10");
	assert_int_equal(via.host_type, SIP_HOST_IPV6);
	assert_int_equal(via.port, 19823);
	nth_via(m, 1, &via);
	assert_sv(via.host, "::ffff:192.0.2.2");
	assert_int_equal(via.host_type, SIP_HOST_IPV6);
	nth_contact(m, 0, &addr);
	assert_host(&addr.uri, "::ffff:192.0.2.2", SIP_HOST_IPV6);
	s = parse_sdp(c);
	assert_sv(s->conn.addrtype, "IP6");
	assert_sv(s->conn.address, "::ffff:192.0.2.2");
}

/* RFC 5118 §4.10 ipv6-bug-abnf-3-colons: "2001:db8:::192.0.2.1", which
 * RFC 3261's IPv6reference ABNF (from RFC 2373) admits and RFC 4291 does
 * not; "following the Robustness Principle [RFC1122], an implementation
 * must tolerate both of the above constructs." R-CALL-1 */
static void
test_ipv6_bug_abnf_3_colons(void **state)
{
	struct tcase *c = rfc5118(state, "ipv6-bug-abnf-3-colons");
	struct sip_msg *m = parse_valid(c);

	assert_host(ruri(m), "2001:db8:::192.0.2.1", SIP_HOST_IPV6);
	assert_host(&to(m)->uri, "2001:db8:::192.0.2.1", SIP_HOST_IPV6);
}

/* RFC 5118 §4.10 ipv6-correct-abnf-2-colons: the correct form
 * "2001:db8::192.0.2.1". R-CALL-1 */
static void
test_ipv6_correct_abnf_2_colons(void **state)
{
	struct tcase *c = rfc5118(state, "ipv6-correct-abnf-2-colons");
	struct sip_msg *m = parse_valid(c);

	assert_host(ruri(m), "2001:db8::192.0.2.1", SIP_HOST_IPV6);
	assert_host(&to(m)->uri, "2001:db8::192.0.2.1", SIP_HOST_IPV6);
	assert_int_equal(m->method, SIP_METHOD_OPTIONS);
}

#define T(f) cmocka_unit_test_teardown(f, tcase_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_wsinv),
	    T(test_intmeth),
	    T(test_esc01),
	    T(test_escnull),
	    T(test_esc02),
	    T(test_lwsdisp),
	    T(test_longreq),
	    T(test_dblreq),
	    T(test_semiuri),
	    T(test_transports),
	    T(test_mpart01),
	    T(test_unreason),
	    T(test_noreason),
	    T(test_badinv01),
	    T(test_clerr),
	    T(test_ncl),
	    T(test_scalar02),
	    T(test_scalarlg),
	    T(test_quotbal),
	    T(test_ltgtruri),
	    T(test_lwsruri),
	    T(test_lwsstart),
	    T(test_trws),
	    T(test_escruri),
	    T(test_baddate),
	    T(test_regbadct),
	    T(test_badaspec),
	    T(test_baddn),
	    T(test_badvers),
	    T(test_mismatch01),
	    T(test_mismatch02),
	    T(test_bigcode),
	    T(test_badbranch),
	    T(test_insuf),
	    T(test_unkscm),
	    T(test_novelsc),
	    T(test_unksm2),
	    T(test_bext01),
	    T(test_invut),
	    T(test_regaut01),
	    T(test_multi01),
	    T(test_mcl01),
	    T(test_bcast),
	    T(test_zeromf),
	    T(test_cparam01),
	    T(test_cparam02),
	    T(test_regescrt),
	    T(test_sdp01),
	    T(test_inv2543),
	    T(test_ipv6_good),
	    T(test_ipv6_bad),
	    T(test_port_ambiguous),
	    T(test_port_unambiguous),
	    T(test_via_received_with_delim),
	    T(test_via_received_no_delim),
	    T(test_ipv6_in_sdp),
	    T(test_mult_ip_in_header),
	    T(test_mult_ip_in_sdp),
	    T(test_ipv4_mapped_ipv6),
	    T(test_ipv6_bug_abnf_3_colons),
	    T(test_ipv6_correct_abnf_2_colons),
	};

	return cmocka_run_group_tests_name("sip_torture", tests, NULL, NULL);
}
