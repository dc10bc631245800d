/* Registration of one SIP trunk; see trunkreg.h. */
#include "pbx/trunkreg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "sip/addr.h"
#include "sip/build.h"
#include "sip/msg.h"
#include "sip/uac_auth.h"

#define NAME_MAX_LEN 64u
#define SECRET_MAX 256u
#define RANDOM_LEN 24u
#define MAX_FORWARDS 70u

/* The line answering one kind of challenge within an attempt, and the
 * nonce it answered: a second challenge with that nonce means the
 * registrar refused our credentials. */
struct answered {
	char nonce[SIP_UAC_AUTH_NONCE_MAX];
	size_t nonce_len;
	bool valid;
	struct buf line; /* "Authorization: ...\r\n", or empty */
};

enum {
	ANS_WWW,
	ANS_PROXY,
	ANS_COUNT
};

struct trunkreg {
	struct loop *loop;
	struct sip_txn_layer *txn;
	struct sip_txn_peer peer;
	char name[NAME_MAX_LEN + 1];
	char ruri[TRUNKREG_HOST_MAX + 5];     /* "sip:" host[:port] */
	char aor[2 * TRUNKREG_HOST_MAX + 16]; /* "<sip:user@domain>" */
	char user[TRUNKREG_USER_MAX + 1];
	char auth_user[TRUNKREG_USER_MAX + 1];
	char realm[SIP_UAC_AUTH_NONCE_MAX + 1];
	bool has_realm;
	char password[SECRET_MAX + 1];
	size_t password_len;
	bool has_password;
	struct sip_auth_ha1 ha1;
	bool has_ha1;
	enum sip_digest_alg min_alg;
	char host[TRUNKREG_HOST_MAX + 1];     /* ours, no brackets */
	char via_host[TRUNKREG_HOST_MAX + 3]; /* brackets for IPv6 */
	uint16_t local_port;
	uint32_t expires_ask;
	uint32_t retry_min_s;
	uint32_t retry_max_s;
	trunkreg_state_cb on_state;
	void *arg;

	struct sip_uac_auth *auth;
	enum trunkreg_state state;
	struct sip_txn_client *cur; /* the REGISTER in flight, or NULL */
	struct loop_timer timer;    /* refresh or retry */
	bool unregistering;
	uint32_t cseq;
	char call_id[RANDOM_LEN + 1];
	char tag[RANDOM_LEN + 1];
	struct answered ans[ANS_COUNT];
	unsigned challenges; /* answered in this attempt */
	unsigned n423;       /* 423s followed in this attempt */
	uint32_t granted_s;
	uint32_t failures;
	uint16_t last_status;
	const char *last_why; /* of the last failure, "" for none */
	struct buf out;       /* the request being built */
	struct buf tmp;       /* a new credentials line */
};

static const char *const state_names[] = {
    [TRUNKREG_IDLE] = "idle",
    [TRUNKREG_REGISTERING] = "registering",
    [TRUNKREG_REGISTERED] = "registered",
    [TRUNKREG_FAILED] = "failed",
};

const char *
trunkreg_state_name(enum trunkreg_state state)
{
	if ((size_t)state >= RP_ARRAY_LEN(state_names))
		return "unknown";
	return state_names[state];
}

/* ---- configuration ---- */

static bool
is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Every byte is alphanumeric or in 'extra'. */
static bool
chars_ok(struct sv s, const char *extra, size_t max)
{
	if (s.len == 0 || s.len > max)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!is_alnum(s.p[i]) && strchr(extra, s.p[i]) == NULL)
			return false;
	return true;
}

/* Printable ASCII fit for a quoted-string as is. */
static bool
quotable(struct sv s, size_t max)
{
	if (s.len == 0 || s.len > max)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}

/* Host names, IPv4 and IPv6 addresses (bracketed or not), ":port". */
#define HOST_CHARS ".-:[]"
/* RFC 3261 §25.1 unreserved and user-unreserved, without the ';' and
 * '?' that would end the user part and '%' escapes. */
#define USER_CHARS "-_.!~*'()&=+$,/"

static void
copy_sv(char *dst, struct sv v)
{
	if (v.len > 0)
		memcpy(dst, v.p, v.len);
	dst[v.len] = '\0';
}

static void
random_text(char *out, size_t len)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[RANDOM_LEN];

	if (len > sizeof(r))
		len = sizeof(r);
	if (getrandom(r, len, 0) != (ssize_t)len)
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[len] = '\0';
}

static uint32_t
random_u32(void)
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = 0;
	return r;
}

static int
config_check(const struct trunkreg_config *c)
{
	struct sv host = c->local_host;

	if (c->loop == NULL || c->txn == NULL)
		return -EINVAL;
	if (!chars_ok(c->domain, HOST_CHARS, TRUNKREG_HOST_MAX) ||
	    !chars_ok(c->user, USER_CHARS, TRUNKREG_USER_MAX) ||
	    !chars_ok(host, HOST_CHARS, TRUNKREG_HOST_MAX) ||
	    c->local_port == 0)
		return -EINVAL;
	if (sv_present(c->registrar) &&
	    !chars_ok(c->registrar, HOST_CHARS, TRUNKREG_HOST_MAX))
		return -EINVAL;
	if (sv_present(c->name) && !chars_ok(c->name, "-_.", NAME_MAX_LEN))
		return -EINVAL;
	if (sv_present(c->auth_user) &&
	    !quotable(c->auth_user, TRUNKREG_USER_MAX))
		return -EINVAL;
	if (sv_present(c->realm) && !quotable(c->realm, SIP_UAC_AUTH_NONCE_MAX))
		return -EINVAL;
	if (c->ha1 == NULL && !sv_present(c->password))
		return -EINVAL;
	if (c->ha1 != NULL &&
	    (!sv_present(c->realm) || !(c->ha1->has_md5 || c->ha1->has_sha256)))
		return -EINVAL;
	if (c->password.len > SECRET_MAX)
		return -EINVAL;
	if (c->min_alg != SIP_DIGEST_ALG_ABSENT &&
	    c->min_alg != SIP_DIGEST_ALG_MD5 &&
	    c->min_alg != SIP_DIGEST_ALG_SHA256)
		return -EINVAL;
	if (c->expires_s > TRUNKREG_EXPIRES_MAX_S)
		return -EINVAL;
	if (c->retry_max_s != 0 && c->retry_min_s > c->retry_max_s)
		return -EINVAL;
	if (c->retry_min_s == 0 && c->retry_max_s != 0 &&
	    c->retry_max_s < TRUNKREG_RETRY_MIN_DEFAULT_S)
		return -EINVAL;
	if (c->retry_max_s > TRUNKREG_EXPIRES_MAX_S)
		return -EINVAL;
	/* A bracketed host must be one whole "[...]". */
	if (host.p[0] == '[' && (host.len < 3 || host.p[host.len - 1] != ']'))
		return -EINVAL;
	return 0;
}

static void
config_copy(struct trunkreg *t, const struct trunkreg_config *c)
{
	struct sv host = c->local_host;
	struct sv reg = sv_present(c->registrar) ? c->registrar : c->domain;

	t->loop = c->loop;
	t->txn = c->txn;
	t->peer = c->peer;
	copy_sv(t->name, sv_present(c->name) ? c->name : SV("trunk"));
	snprintf(t->ruri, sizeof(t->ruri), "sip:%.*s", SV_ARG(reg));
	snprintf(t->aor, sizeof(t->aor), "<sip:%.*s@%.*s>", SV_ARG(c->user),
	    SV_ARG(c->domain));
	copy_sv(t->user, c->user);
	copy_sv(
	    t->auth_user, sv_present(c->auth_user) ? c->auth_user : c->user);
	t->has_realm = sv_present(c->realm);
	if (t->has_realm)
		copy_sv(t->realm, c->realm);
	t->has_password = sv_present(c->password);
	if (t->has_password) {
		copy_sv(t->password, c->password);
		t->password_len = c->password.len;
	}
	t->has_ha1 = c->ha1 != NULL;
	if (t->has_ha1)
		t->ha1 = *c->ha1;
	t->min_alg = c->min_alg == SIP_DIGEST_ALG_ABSENT ? SIP_DIGEST_ALG_MD5
	                                                 : c->min_alg;
	if (host.p[0] == '[')
		host = sv_make(host.p + 1, host.len - 2);
	copy_sv(t->host, host);
	if (memchr(host.p, ':', host.len) != NULL)
		snprintf(t->via_host, sizeof(t->via_host), "[%s]", t->host);
	else
		copy_sv(t->via_host, host);
	t->local_port = c->local_port;
	t->expires_ask =
	    c->expires_s != 0 ? c->expires_s : TRUNKREG_EXPIRES_DEFAULT_S;
	t->retry_min_s =
	    c->retry_min_s != 0 ? c->retry_min_s : TRUNKREG_RETRY_MIN_DEFAULT_S;
	t->retry_max_s =
	    c->retry_max_s != 0 ? c->retry_max_s : TRUNKREG_RETRY_MAX_DEFAULT_S;
	if (t->retry_max_s < t->retry_min_s)
		t->retry_max_s = t->retry_min_s;
	t->on_state = c->on_state;
	t->arg = c->arg;
}

static void on_timer(struct loop *l, void *arg);

int
trunkreg_new(struct trunkreg **out, const struct trunkreg_config *cfg)
{
	struct trunkreg *t;
	int rc;

	rc = config_check(cfg);
	if (rc != 0)
		return rc;
	t = mem_calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	rc = sip_uac_auth_new(&t->auth);
	if (rc != 0) {
		free(t);
		return rc;
	}
	config_copy(t, cfg);
	loop_timer_init(&t->timer, on_timer, t);
	buf_init(&t->out, 0);
	buf_init(&t->tmp, 0);
	for (size_t i = 0; i < ANS_COUNT; i++)
		buf_init(&t->ans[i].line, 0);
	random_text(t->call_id, RANDOM_LEN);
	random_text(t->tag, RANDOM_LEN);
	t->state = TRUNKREG_IDLE;
	*out = t;
	return 0;
}

void
trunkreg_free(struct trunkreg *t)
{
	if (t == NULL)
		return;
	if (t->cur != NULL)
		sip_txn_client_detach(t->cur);
	loop_timer_stop(t->loop, &t->timer);
	sip_uac_auth_free(t->auth);
	buf_release(&t->out);
	buf_release(&t->tmp);
	for (size_t i = 0; i < ANS_COUNT; i++)
		buf_release(&t->ans[i].line);
	OPENSSL_cleanse(t->password, sizeof(t->password));
	sip_auth_ha1_wipe(&t->ha1);
	free(t);
}

enum trunkreg_state
trunkreg_state(const struct trunkreg *t)
{
	return t->state;
}

uint32_t
trunkreg_granted_s(const struct trunkreg *t)
{
	return t->granted_s;
}

uint16_t
trunkreg_last_status(const struct trunkreg *t)
{
	return t->last_status;
}

const char *
trunkreg_last_failure(const struct trunkreg *t)
{
	return t->last_why != NULL ? t->last_why : "";
}

uint32_t
trunkreg_failures(const struct trunkreg *t)
{
	return t->failures;
}

/* ---- requests ---- */

static const char *
via_transport(enum sip_txn_transport tp)
{
	switch (tp) {
	case SIP_TXN_TP_TCP:
		return "TCP";
	case SIP_TXN_TP_TLS:
		return "TLS";
	case SIP_TXN_TP_WS:
		return "WS";
	case SIP_TXN_TP_WSS:
		return "WSS";
	case SIP_TXN_TP_UDP:
	default:
		return "UDP";
	}
}

static const char *
contact_params(enum sip_txn_transport tp)
{
	switch (tp) {
	case SIP_TXN_TP_TCP:
		return ";transport=tcp";
	case SIP_TXN_TP_TLS:
		return ";transport=tls";
	case SIP_TXN_TP_WS:
		return ";transport=ws";
	case SIP_TXN_TP_WSS:
		return ";transport=wss";
	case SIP_TXN_TP_UDP:
	default:
		return "";
	}
}

/* Forgets the credentials of the last attempt: a new REGISTER starts
 * unauthenticated and answers whatever the registrar asks now. */
static void
new_attempt(struct trunkreg *t)
{
	for (size_t i = 0; i < ANS_COUNT; i++) {
		t->ans[i].valid = false;
		t->ans[i].nonce_len = 0;
		buf_reset(&t->ans[i].line);
	}
	t->challenges = 0;
	t->n423 = 0;
}

static void on_response(
    void *arg, struct sip_txn_client *c, uint16_t status, struct sip_msg *resp);

static int
send_register(struct trunkreg *t)
{
	char branch[SIP_TXN_BRANCH_SIZE];
	struct buf *b = &t->out;
	uint32_t expires = t->unregistering ? 0 : t->expires_ask;
	int rc;

	rc = sip_txn_new_branch(branch);
	if (rc != 0)
		return rc;
	buf_reset(b);
	rc = sip_build_request_line(b, SV("REGISTER"), sv_cstr(t->ruri));
	if (rc != 0)
		return rc;
	/* RFC 3261 §10.2: one Call-ID per registrar, CSeq growing. */
	t->cseq++;
	buf_printf(b, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n",
	    via_transport(t->peer.transport), t->via_host, t->local_port,
	    branch);
	buf_printf(b, "Max-Forwards: %u\r\n", MAX_FORWARDS);
	buf_printf(b, "From: %s;tag=%s\r\n", t->aor, t->tag);
	buf_printf(b, "To: %s\r\n", t->aor);
	buf_printf(b, "Call-ID: %s\r\n", t->call_id);
	buf_printf(b, "CSeq: %u REGISTER\r\n", t->cseq);
	buf_printf(b, "Contact: <sip:%s@%s:%u%s>\r\n", t->user, t->via_host,
	    t->local_port, contact_params(t->peer.transport));
	buf_printf(b, "Expires: %u\r\n", expires);
	for (size_t i = 0; i < ANS_COUNT; i++)
		buf_append_sv(b, buf_view(&t->ans[i].line));
	rc = sip_build_body(b, SV_NULL, SV_NULL);
	if (rc != 0)
		return rc;
	return sip_txn_client_start(t->txn, buf_view(b), sv_cstr(branch),
	    SIP_METHOD_REGISTER, &t->peer, on_response, t, &t->cur);
}

/* ---- outcomes ---- */

/* Runs the callback last: it may free t (IDLE, FAILED). */
static void
set_state(struct trunkreg *t, enum trunkreg_state s)
{
	if (t->state == s)
		return;
	log_info("trunk",
	    "msg=\"registration state\" trunk=%s state=%s "
	    "status=%u",
	    t->name, trunkreg_state_name(s), t->last_status);
	t->state = s;
	if (t->on_state != NULL)
		t->on_state(t->arg, t, s);
}

static void
finish_unregister(struct trunkreg *t)
{
	log_info("trunk", "msg=\"unregistered\" trunk=%s status=%u", t->name,
	    t->last_status);
	t->unregistering = false;
	t->granted_s = 0;
	set_state(t, TRUNKREG_IDLE);
}

/* Seconds of a Retry-After value ("120", "120;duration=..", "120 (x)"),
 * 0 when absent or malformed. */
static uint32_t
retry_after_s(const struct sip_msg *resp)
{
	struct sv v;
	size_t n = 0;
	uint32_t s = 0;

	if (resp == NULL ||
	    sip_msg_header_by_name(resp, SV("Retry-After"), &v) != 0)
		return 0;
	while (n < v.len && v.p[n] >= '0' && v.p[n] <= '9')
		n++;
	if (sv_to_u32(sv_head(v, n), TRUNKREG_EXPIRES_MAX_S, &s) != 0)
		return 0;
	return s;
}

/* retry_min_s doubled per failure after the first, capped, ±20 %. */
static uint64_t
backoff_ms(const struct trunkreg *t)
{
	uint64_t base = t->retry_min_s;

	for (uint32_t i = 1; i < t->failures && base < t->retry_max_s; i++)
		base *= 2;
	if (base > t->retry_max_s)
		base = t->retry_max_s;
	return base * 1000u * (800u + random_u32() % 401u) / 1000u;
}

/* The attempt failed: FAILED, and a retry later. resp may be NULL. */
static void
failure(struct trunkreg *t, const struct sip_msg *resp, const char *why)
{
	uint64_t delay_ms;
	uint32_t ra_s = retry_after_s(resp);

	if (t->unregistering) {
		finish_unregister(t);
		return;
	}
	t->granted_s = 0;
	t->last_why = why;
	if (t->failures < UINT32_MAX)
		t->failures++;
	delay_ms = backoff_ms(t);
	if (ra_s > t->retry_max_s)
		ra_s = t->retry_max_s;
	if ((uint64_t)ra_s * 1000u > delay_ms)
		delay_ms = (uint64_t)ra_s * 1000u;
	log_warn("trunk",
	    "msg=\"registration failed\" trunk=%s why=%s "
	    "status=%u failures=%u retry_ms=%llu",
	    t->name, why, t->last_status, t->failures,
	    (unsigned long long)delay_ms);
	if (loop_timer_start(t->loop, &t->timer, delay_ms) != 0)
		log_error("trunk", "msg=\"no retry timer\" trunk=%s", t->name);
	set_state(t, TRUNKREG_FAILED);
}

/* Is this Contact of a 2xx ours? */
static bool
contact_is_ours(const struct trunkreg *t, const struct sip_addr *a)
{
	const struct sip_uri *u = &a->uri;
	uint16_t port;

	if (a->star || (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS))
		return false;
	if (!sv_eq(u->user, sv_cstr(t->user)) ||
	    !sv_ieq(u->host, sv_cstr(t->host)))
		return false;
	if (u->has_port)
		port = u->port;
	else
		port = t->peer.transport == SIP_TXN_TP_TLS ||
		               t->peer.transport == SIP_TXN_TP_WSS
		           ? 5061
		           : 5060;
	return port == t->local_port;
}

/* RFC 3261 §10.2.4: our Contact's expires, else Expires, else what we
 * asked for. */
static uint32_t
granted_expiry(const struct trunkreg *t, struct sip_msg *resp)
{
	struct sip_hdr_iter it;
	struct sip_addr a;
	struct sv v;
	uint32_t e;

	sip_hdr_iter_init(&it, resp, SIP_HDR_CONTACT);
	while (sip_hdr_iter_next(&it, &v) == 1) {
		if (sip_contact_parse(v, &a) == 0 && contact_is_ours(t, &a) &&
		    a.has_expires) {
			e = a.expires;
			goto out;
		}
	}
	if (sip_msg_expires(resp, &e, NULL) != 0)
		e = t->expires_ask;
out:
	return e > TRUNKREG_EXPIRES_MAX_S ? TRUNKREG_EXPIRES_MAX_S : e;
}

/* About 90 % of the expiry, at least TRUNKREG_REFRESH_MARGIN_S before
 * its end, and not sooner than a second. */
static uint64_t
refresh_ms(uint32_t granted_s)
{
	uint64_t d = (uint64_t)granted_s * 900u;
	uint64_t latest =
	    granted_s > TRUNKREG_REFRESH_MARGIN_S
	        ? (uint64_t)(granted_s - TRUNKREG_REFRESH_MARGIN_S) * 1000u
	        : (uint64_t)granted_s * 500u;

	if (d > latest)
		d = latest;
	return d < 1000u ? 1000u : d;
}

static void
success(struct trunkreg *t, struct sip_msg *resp)
{
	uint32_t g;

	if (t->unregistering) {
		finish_unregister(t);
		return;
	}
	g = granted_expiry(t, resp);
	if (g == 0) {
		failure(t, resp, "binding-not-kept");
		return;
	}
	t->granted_s = g;
	t->failures = 0;
	if (loop_timer_start(t->loop, &t->timer, refresh_ms(g)) != 0)
		log_error(
		    "trunk", "msg=\"no refresh timer\" trunk=%s", t->name);
	set_state(t, TRUNKREG_REGISTERED);
}

/* Answers a 401 / 407 into t->ans. Returns 0, -EPERM (the registrar
 * challenged the nonce we answered: wrong credentials), -ELOOP (too
 * many challenges) or the uac_auth error. */
static int
answer_challenge(struct trunkreg *t, struct sip_msg *resp)
{
	struct answered *a = &t->ans[resp->status == 407 ? ANS_PROXY : ANS_WWW];
	struct sip_uac_auth_info info;
	struct sip_uac_auth_cred cred = {
	    .username = sv_cstr(t->auth_user),
	    .realm = t->has_realm ? sv_cstr(t->realm) : SV_NULL,
	    .ha1 = t->has_ha1 ? &t->ha1 : NULL,
	    .password = t->has_password ? sv_make(t->password, t->password_len)
	                                : SV_NULL,
	    .min_alg = t->min_alg,
	};
	struct buf swap;
	int rc;

	if (t->challenges >= TRUNKREG_CHALLENGES_MAX)
		return -ELOOP;
	t->challenges++;
	buf_reset(&t->tmp);
	rc = sip_uac_auth_answer(t->auth, &cred, resp, SV("REGISTER"),
	    sv_cstr(t->ruri), &t->tmp, &info);
	if (rc != 0)
		return rc;
	/* RFC 3261 §22.2: the same nonce again, not stale, is a refusal. */
	if (a->valid && !info.stale &&
	    sv_eq(info.nonce, sv_make(a->nonce, a->nonce_len)))
		return -EPERM;
	memcpy(a->nonce, info.nonce.p, info.nonce.len);
	a->nonce_len = info.nonce.len;
	a->valid = true;
	swap = a->line;
	a->line = t->tmp;
	t->tmp = swap;
	return 0;
}

static const char *
challenge_why(int rc)
{
	switch (rc) {
	case -EPERM:
		return "credentials-refused";
	case -ELOOP:
		return "too-many-challenges";
	case -EACCES:
		return "challenge-refused-by-policy";
	case -ENOTSUP:
	case -ENOENT:
		return "challenge-unsupported";
	default:
		return "challenge-error";
	}
}

/* 423 Interval Too Brief (RFC 3261 §10.2.8): ask for Min-Expires. */
static int
follow_423(struct trunkreg *t, struct sip_msg *resp)
{
	struct sv v;
	uint32_t min;
	unsigned n = t->n423 + 1;

	if (t->n423 >= TRUNKREG_423_MAX ||
	    sip_msg_header(resp, SIP_HDR_MIN_EXPIRES, &v) != 0 ||
	    sv_to_u32(sv_trim(v), TRUNKREG_EXPIRES_MAX_S, &min) != 0 ||
	    min <= t->expires_ask)
		return -EINVAL;
	t->expires_ask = min;
	new_attempt(t);
	t->n423 = n;
	return 0;
}

static void
on_response(
    void *arg, struct sip_txn_client *c, uint16_t status, struct sip_msg *resp)
{
	struct trunkreg *t = arg;
	int rc;

	(void)c;
	if (status < 200)
		return;
	t->cur = NULL;
	t->last_status = status;
	if (status < 300 && resp != NULL) {
		success(t, resp);
		return;
	}
	if ((status == 401 || status == 407) && resp != NULL) {
		rc = answer_challenge(t, resp);
		if (rc == 0)
			rc = send_register(t);
		if (rc != 0)
			failure(t, resp, challenge_why(rc));
		return;
	}
	if (status == 423 && resp != NULL && !t->unregistering) {
		rc = follow_423(t, resp);
		if (rc == 0) {
			log_info("trunk",
			    "msg=\"expiry raised\" trunk=%s "
			    "expires=%u",
			    t->name, t->expires_ask);
			rc = send_register(t);
		}
		if (rc != 0)
			failure(t, resp, "interval-too-brief");
		return;
	}
	failure(t, resp, resp == NULL ? "no-answer" : "rejected");
}

static void
send_or_fail(struct trunkreg *t)
{
	int rc = send_register(t);

	if (rc != 0)
		failure(t, NULL, "send");
}

static void
on_timer(struct loop *l, void *arg)
{
	struct trunkreg *t = arg;

	(void)l;
	new_attempt(t);
	if (t->state == TRUNKREG_FAILED)
		set_state(t, TRUNKREG_REGISTERING);
	/* A refresh keeps REGISTERED until its outcome. */
	send_or_fail(t);
}

int
trunkreg_start(struct trunkreg *t)
{
	if (t->state != TRUNKREG_IDLE || t->unregistering)
		return -EALREADY;
	t->failures = 0;
	t->last_status = 0;
	new_attempt(t);
	set_state(t, TRUNKREG_REGISTERING);
	send_or_fail(t);
	return 0;
}

int
trunkreg_unregister(struct trunkreg *t)
{
	int rc;

	if (t->unregistering || t->state == TRUNKREG_IDLE)
		return 0;
	loop_timer_stop(t->loop, &t->timer);
	if (t->cur != NULL) {
		sip_txn_client_detach(t->cur);
		t->cur = NULL;
	}
	t->unregistering = true;
	new_attempt(t);
	rc = send_register(t);
	if (rc != 0) {
		log_warn("trunk", "msg=\"unregister not sent\" trunk=%s err=%d",
		    t->name, rc);
		finish_unregister(t);
	}
	return rc;
}
