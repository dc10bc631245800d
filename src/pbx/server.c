/* The SIP server on the signalling loop. */
#include "pbx/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/seclog.h"
#include "integ/alert.h"
#include "integ/alertcfg.h"
#include "media/relay.h"
#include "pbx/call.h"
#include "pbx/directory.h"
#include "pbx/fraudpolicy.h"
#include "pbx/fraudrun.h"
#include "pbx/livepub.h"
#include "pbx/resolve.h"
#include "pbx/trunkdir.h"
#include "pbx/trunkrun.h"
#include "policy/cidr.h"
#include "policy/guard.h"
#include "policy/numplan.h"
#include "policy/rights.h"
#include "sip/auth.h"
#include "sip/build.h"
#include "sip/digest.h"
#include "sip/msg.h"
#include "sip/registrar.h"
#include "sip/transaction.h"
#include "sip/transport.h"
#include "store/audit.h"
#include "store/bans.h"
#include "store/bindings.h"
#include "store/cdr.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"
#include "store/writer.h"

/* Methods this server answers. */
#define ALLOW_METHODS                                                          \
	"INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, UPDATE, INFO"
#define TAG_LEN 16
#define PEER_TEXT_MAX 64

struct server {
	struct loop *loop;
	struct server_config cfg;
	struct keys *keys;
	struct db *db;  /* the store writer's once it starts */
	struct db *rdb; /* a reload's own connection, NULL between reloads */
	struct writer *writer;
	struct directory *dir;
	struct trunkdir *trunks;    /* outbound trunks and routes */
	struct trunkrun *trunkrun;  /* registrations and probes */
	struct fraudpolicy *fraud;  /* rights profiles, rates, rules */
	struct fraudrun *fraudrun;  /* ceilings and rules on calls */
	struct resolver *dns;       /* trunk host names (RFC 3263) */
	struct trunk_dns *dns_args; /* one per trunk of 'trunks' */
	size_t dns_count;
	struct alert *alert;           /* webhook and email; NULL: none */
	struct alert_config alert_cfg; /* what 'alert' was made from */
	struct numplan *plan;          /* destination classes (R-FRAUD-1) */
	struct sip_auth *auth;
	struct registrar *reg;
	struct sip_txn_layer *txn;
	struct sip_transport *tp;
	struct guard *guard;
	struct loop_timer guard_tick;
	struct loop_timer audit_tick; /* daily retention of the audit log */
	struct seclog *seclog;
	struct media_relay *relay;
	struct calls *calls;
	struct livepub *livepub; /* NULL: no supervision */
	struct loop_timer live_tick;
	char realm[SETTINGS_VALUE_MAX + 1];
	struct sip_msg msg; /* parse space for each incoming message */
	struct buf out;     /* a response being built */
	struct buf hdrs;    /* extra header lines for it */
};

static uint64_t
wall_s(void)
{
	return (uint64_t)time(NULL);
}

static const char *const transport_names[] = {
    [SIP_TXN_TP_UDP] = "udp",
    [SIP_TXN_TP_TCP] = "tcp",
    [SIP_TXN_TP_TLS] = "tls",
    [SIP_TXN_TP_WS] = "ws",
    [SIP_TXN_TP_WSS] = "wss",
};

/* "udp:192.0.2.1:5060", "tls:[2001:db8::1]:5061": how a binding's peer is
 * stored. */
static void
peer_to_text(const struct sip_txn_peer *p, char out[PEER_TEXT_MAX])
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (p->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a =
		    (const struct sockaddr_in *)&p->addr;

		inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
		port = ntohs(a->sin_port);
		snprintf(out, PEER_TEXT_MAX, "%s:%s:%u",
		    transport_names[p->transport], ip, port);
	} else {
		const struct sockaddr_in6 *a =
		    (const struct sockaddr_in6 *)&p->addr;

		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		port = ntohs(a->sin6_port);
		snprintf(out, PEER_TEXT_MAX, "%s:[%s]:%u",
		    transport_names[p->transport], ip, port);
	}
}

static int
peer_from_text(struct sv text, struct sip_txn_peer *p)
{
	char tmp[PEER_TEXT_MAX];
	char *ip, *port_text, *end;
	unsigned long port = 0;
	bool found = false;

	if (text.len == 0 || text.len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, text.p, text.len);
	tmp[text.len] = '\0';
	memset(p, 0, sizeof(*p));
	ip = strchr(tmp, ':');
	if (ip == NULL)
		return -EINVAL;
	*ip++ = '\0';
	for (size_t i = 0; i < RP_ARRAY_LEN(transport_names); i++) {
		if (strcmp(tmp, transport_names[i]) == 0) {
			p->transport = (enum sip_txn_transport)i;
			found = true;
		}
	}
	port_text = strrchr(ip, ':');
	if (!found || port_text == NULL)
		return -EINVAL;
	*port_text++ = '\0';
	for (end = port_text; *end >= '0' && *end <= '9' && port < 65536; end++)
		port = port * 10 + (unsigned long)(*end - '0');
	if (*end != '\0' || port == 0 || port > 65535)
		return -EINVAL;
	p->reliable = p->transport != SIP_TXN_TP_UDP;
	if (ip[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&p->addr;
		size_t n = strlen(ip);

		if (n < 3 || ip[n - 1] != ']')
			return -EINVAL;
		ip[n - 1] = '\0';
		if (inet_pton(AF_INET6, ip + 1, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		p->addr_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&p->addr;

		if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		p->addr_len = sizeof(*a);
	}
	return 0;
}

/* The source IP as text: what a nonce is bound to. */
static size_t
peer_ip(const struct sip_txn_peer *p, char out[INET6_ADDRSTRLEN])
{
	const void *a =
	    p->addr.ss_family == AF_INET
	        ? (const void *)&((const struct sockaddr_in *)&p->addr)
	              ->sin_addr
	        : (const void *)&((const struct sockaddr_in6 *)&p->addr)
	              ->sin6_addr;

	if (inet_ntop(p->addr.ss_family, a, out, INET6_ADDRSTRLEN) == NULL)
		out[0] = '\0';
	return strlen(out);
}

static uint16_t
peer_port(const struct sip_txn_peer *p)
{
	return ntohs(p->addr.ss_family == AF_INET
	                 ? ((const struct sockaddr_in *)&p->addr)->sin_port
	                 : ((const struct sockaddr_in6 *)&p->addr)->sin6_port);
}

static void
new_tag(char out[TAG_LEN + 1])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char r[TAG_LEN];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	for (size_t i = 0; i < TAG_LEN; i++)
		out[i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
	out[TAG_LEN] = '\0';
}

/* ---- perimeter guard (R-NET-1..4) ---- */

static void job_done(void *arg, int rc);

static const char *const guard_event_names[] = {
    [GUARD_EV_NONE] = "none",
    [GUARD_EV_BAN] = "ban",
    [GUARD_EV_UNBAN] = "unban",
    [GUARD_EV_THROTTLE] = "throttle",
    [GUARD_EV_SCANNER] = "scanner",
    [GUARD_EV_USER_UNDER_ATTACK] = "user_under_attack",
    [GUARD_EV_ACL_REFUSED] = "acl_refused",
};

static const enum seclog_kind seclog_kinds[] = {
    [GUARD_EV_NONE] = SECLOG_THROTTLE,
    [GUARD_EV_BAN] = SECLOG_BAN,
    [GUARD_EV_UNBAN] = SECLOG_UNBAN,
    [GUARD_EV_THROTTLE] = SECLOG_THROTTLE,
    [GUARD_EV_SCANNER] = SECLOG_SCANNER,
    [GUARD_EV_USER_UNDER_ATTACK] = SECLOG_USER_UNDER_ATTACK,
    [GUARD_EV_ACL_REFUSED] = SECLOG_ACL_REFUSED,
};

/* A JSON line in DATA/log/security.log (R-ADMIN-4, R-FRAUD-4): one
 * write() to an O_APPEND file, cheap enough for the loop thread. */
/* An event for the alert channels (R-FRAUD-4), de-duplicated by kind
 * and subject. Never blocks. */
static void
post_alert(struct server *s, const char *kind, enum alert_severity sev,
    struct sv subject, const char *text)
{
	char key[64 + SECLOG_FIELD_MAX];
	struct alert_event ev;

	if (s->alert == NULL)
		return;
	snprintf(key, sizeof(key), "%s:%.*s", kind,
	    (int)(subject.len < SECLOG_FIELD_MAX ? subject.len
	                                         : SECLOG_FIELD_MAX),
	    subject.p);
	ev = (struct alert_event){
	    .kind = sv_cstr(kind),
	    .severity = sev,
	    .subject = subject,
	    .key = sv_cstr(key),
	    .text = sv_cstr(text),
	    .time_ms = (int64_t)wall_s() * 1000,
	};
	if (alert_post(s->alert, &ev) != 0)
		log_debug("alert", "msg=\"alert not queued\" kind=%s", kind);
}

static void
security_log(struct server *s, enum seclog_kind kind, struct sv ip,
    const struct sip_txn_peer *from, struct sv user, const char *reason,
    uint32_t count)
{
	struct seclog_event e = {
	    .kind = kind,
	    .src_ip = ip,
	    .user = user,
	    .reason = sv_cstr(reason != NULL ? reason : ""),
	    .count = count,
	};

	if (from != NULL) {
		e.transport = sv_cstr(transport_names[from->transport]);
		e.src_port = ntohs(
		    from->addr.ss_family == AF_INET
		        ? ((const struct sockaddr_in *)&from->addr)->sin_port
		        : ((const struct sockaddr_in6 *)&from->addr)
		              ->sin6_port);
	}
	if (s->seclog != NULL && seclog_write(s->seclog, &e) != 0)
		log_warn("security", "msg=\"security log write failed\"");
	/* Bans, scanners and accounts under attack reach a person; single
	 * authentication failures and throttling stay in the log. */
	if (kind == SECLOG_BAN || kind == SECLOG_SCANNER ||
	    kind == SECLOG_USER_UNDER_ATTACK || kind == SECLOG_ACL_REFUSED) {
		char text[3 * SECLOG_FIELD_MAX];

		snprintf(text, sizeof(text), "%s: source %.*s, user %.*s: %s",
		    seclog_kind_name(kind), (int)ip.len, ip.p,
		    (int)(user.len < SECLOG_FIELD_MAX ? user.len
		                                      : SECLOG_FIELD_MAX),
		    user.p, reason != NULL ? reason : "");
		post_alert(s, seclog_kind_name(kind),
		    kind == SECLOG_USER_UNDER_ATTACK ? ALERT_SEV_CRITICAL
		                                     : ALERT_SEV_WARNING,
		    kind == SECLOG_USER_UNDER_ATTACK ? user : ip, text);
	}
}

struct ban_job {
	bool remove;
	struct ban_record rec;
	char addr[BANS_ADDR_STRLEN];
	char reason[64];
};

static int
ban_job_run(struct db *db, void *arg)
{
	struct ban_job *j = arg;
	int rc;

	if (!j->remove)
		return bans_upsert(db, &j->rec);
	rc = bans_delete(db, j->rec.addr);
	return rc == -ENOENT ? 0 : rc;
}

/* Bans outlive restarts: each one the guard decides, or lifts, is
 * written through the store writer. */
static void
persist_ban(struct server *s, const struct guard_event *e, const char *ip)
{
	struct ban_job *j = mem_calloc(1, sizeof(*j));
	uint64_t now_ms = loop_now_ms(s->loop);

	if (j == NULL)
		return;
	j->remove = e->kind == GUARD_EV_UNBAN;
	snprintf(j->addr, sizeof(j->addr), "%s", ip);
	snprintf(j->reason, sizeof(j->reason), "%s",
	    e->reason != NULL ? e->reason : "auto");
	j->rec.addr = sv_cstr(j->addr);
	j->rec.reason = sv_cstr(j->reason);
	j->rec.source = SV(BANS_SOURCE_AUTO);
	j->rec.count = e->bans != 0 ? e->bans : 1;
	j->rec.until =
	    (int64_t)(wall_s() + (e->until_ms > now_ms
	                                 ? (e->until_ms - now_ms + 999) / 1000
	                                 : 0));
	j->rec.created_at = (int64_t)wall_s();
	j->rec.updated_at = j->rec.created_at;
	if (writer_post(s->writer, ban_job_run, j, job_done, j) != 0) {
		log_warn("store", "msg=\"ban not persisted\"");
		free(j);
	}
}

/* ---- audit log (R-ADMIN-4): the daemon's security events ---- */

struct audit_job {
	const struct keys *keys;
	struct audit_entry e;
	char action[48];
	char source[INET6_ADDRSTRLEN + 1];
	char object[LOG_SV_BUF];
	char after[160];
};

static int
audit_job_run(struct db *db, void *arg)
{
	struct audit_job *j = arg;

	return audit_append(db, j->keys, &j->e, NULL);
}

static void
audit_job_done(void *arg, int rc)
{
	if (rc != 0)
		log_error(
		    "store", "msg=\"audit entry not written\" err=%d", rc);
	free(arg);
}

/* One entry per ban, unban, scanner, account under attack, refused
 * network and forged identity: rare by nature (a source is banned after
 * a few), unlike single failed logins, which stay in the security log. */
static void
audit_security(struct server *s, const char *action, const char *ip,
    struct sv object, const char *reason)
{
	struct audit_job *j;

	if (s->writer == NULL)
		return;
	j = mem_calloc(1, sizeof(*j));
	if (j == NULL)
		return;
	j->keys = s->keys;
	snprintf(j->action, sizeof(j->action), "security.%s", action);
	snprintf(j->source, sizeof(j->source), "%s", ip);
	log_sv(object, j->object);
	snprintf(j->after, sizeof(j->after), "{\"reason\":\"%s\"}",
	    reason != NULL ? reason : "");
	j->e = (struct audit_entry){
	    .actor = SV("rempartd"),
	    .role = SV("system"),
	    .source = sv_cstr(j->source),
	    .action = sv_cstr(j->action),
	    .object = sv_cstr(j->object),
	    .before = SV_NULL,
	    .after = sv_cstr(j->after),
	};
	if (writer_post(s->writer, audit_job_run, j, audit_job_done, j) != 0) {
		log_error(
		    "store", "msg=\"audit entry lost\" action=%s", j->action);
		free(j);
	}
}

struct prune_job {
	const struct keys *keys;
};

static int
prune_job_run(struct db *db, void *arg)
{
	struct prune_job *j = arg;
	uint32_t days;
	uint64_t removed = 0;
	int rc = audit_retention_days(db, &days);

	if (rc == 0)
		rc = audit_prune(db, j->keys,
		    ((int64_t)time(NULL) - (int64_t)days * 86400) * 1000,
		    &removed);
	if (rc == 0 && removed > 0)
		log_info("store",
		    "msg=\"audit entries past retention removed\" "
		    "count=%llu days=%u",
		    (unsigned long long)removed, days);
	return rc;
}

static void
prune_job_done(void *arg, int rc)
{
	if (rc == -EBADMSG)
		log_error("security", "msg=\"audit chain broken: nothing "
		                      "pruned; run 'rempart audit verify'\"");
	else if (rc != 0)
		log_warn("store", "msg=\"audit retention failed\" err=%d", rc);
	free(arg);
}

/* Once a day (and a minute after start), the audit log keeps its
 * retention (R-ADMIN-4, 400 days by default). */
static void
audit_tick(struct loop *l, void *arg)
{
	struct server *s = arg;
	struct prune_job *j = mem_calloc(1, sizeof(*j));

	if (j != NULL) {
		j->keys = s->keys;
		if (writer_post(
		        s->writer, prune_job_run, j, prune_job_done, j) != 0)
			free(j);
	}
	if (loop_timer_start(l, &s->audit_tick, 86400000u) != 0)
		log_warn("server", "msg=\"audit timer not armed\"");
}

/* One security log line per guard event, and bans persisted. */
static void
report(struct server *s, const struct guard_events *ev)
{
	for (unsigned i = 0; i < ev->n; i++) {
		const struct guard_event *e = &ev->ev[i];
		char ip[INET6_ADDRSTRLEN + 1] = "";
		char user[LOG_SV_BUF];

		if (cidr_addr_format(&e->addr, ip, sizeof(ip)) != 0)
			ip[0] = '\0';
		log_warn("security",
		    "event=%s src=%s user=\"%s\" reason=\"%s\" count=%u "
		    "bans=%u",
		    guard_event_names[e->kind], ip, log_sv(e->user, user),
		    e->reason != NULL ? e->reason : "", e->count, e->bans);
		security_log(s, seclog_kinds[e->kind], sv_cstr(ip), NULL,
		    e->user, e->reason,
		    e->kind == GUARD_EV_BAN ? e->bans : e->count);
		if ((e->kind == GUARD_EV_BAN || e->kind == GUARD_EV_UNBAN) &&
		    ip[0] != '\0' && s->writer != NULL)
			persist_ban(s, e, ip);
		if (e->kind != GUARD_EV_THROTTLE && e->kind != GUARD_EV_NONE)
			audit_security(s, guard_event_names[e->kind], ip,
			    e->user, e->reason);
	}
}

static bool
guard_addr(const struct sockaddr_storage *ss, struct cidr_addr *out)
{
	return cidr_addr_from_sockaddr(ss, out) == 0;
}

/* The transport's admit hook: datagrams and new connections, before a
 * byte is parsed. */
static bool
admit(void *ctx, const struct sockaddr_storage *ss, enum sip_txn_transport kind)
{
	struct server *s = ctx;
	struct guard_events ev = {0};
	struct cidr_addr a;
	enum guard_verdict v;

	if (!guard_addr(ss, &a))
		return false;
	if (kind == SIP_TXN_TP_UDP)
		v = guard_packet(s->guard, &a, loop_now_ms(s->loop), &ev);
	else
		v = guard_conn_open(s->guard, &a, loop_now_ms(s->loop));
	report(s, &ev);
	/* A banned source answered 403 by setting is parsed just enough
	 * to build that answer (guard_admits_request). */
	return v == GUARD_PASS || v == GUARD_REJECT;
}

/* A connection to an operator failed or closed: what waited on it
 * fails now (and fails over), not after Timer B or F. */
static void
conn_lost(void *ctx, const struct sip_txn_peer *peer)
{
	struct server *s = ctx;

	if (s->txn != NULL)
		sip_txn_layer_peer_lost(s->txn, peer);
}

static void
conn_closed(void *ctx, const struct sockaddr_storage *ss)
{
	struct server *s = ctx;
	struct cidr_addr a;

	if (guard_addr(ss, &a))
		guard_conn_close(s->guard, &a);
}

static int build_reply(struct server *s, struct sip_msg *req,
    const struct sip_txn_peer *from, uint16_t status, const char *reason);

/* After parsing and before any transaction exists, so that a dropped
 * request leaves no state behind. Stream messages also pay the packet
 * check here (the transport admits streams per connection). */
static bool
guard_admits_request(
    struct server *s, struct sip_msg *m, const struct sip_txn_peer *from)
{
	struct guard_request_info info = {.method = GUARD_M_OTHER};
	struct guard_events ev = {0};
	const struct sip_addr *to;
	const struct sip_uri *ruri;
	struct cidr_addr a;
	enum guard_verdict v;

	if (!guard_addr(&from->addr, &a))
		return false;
	if (from->transport != SIP_TXN_TP_UDP) {
		v = guard_packet(s->guard, &a, loop_now_ms(s->loop), &ev);
		if (v != GUARD_PASS && v != GUARD_REJECT) {
			report(s, &ev);
			return false;
		}
	}
	switch (m->method) {
	case SIP_METHOD_REGISTER:
		info.method = GUARD_M_REGISTER;
		break;
	case SIP_METHOD_INVITE:
		info.method = GUARD_M_INVITE;
		break;
	case SIP_METHOD_OPTIONS:
		info.method = GUARD_M_OPTIONS;
		break;
	default:
		break;
	}
	if (sip_msg_header(m, SIP_HDR_USER_AGENT, &info.user_agent) != 0)
		info.user_agent = SV_NULL;
	if (info.method != GUARD_M_INVITE && sip_msg_to(m, &to, NULL) == 0)
		info.target = to->uri.user;
	/* INVITEs to numbers nobody has are a scanner's sweep. */
	if (info.method == GUARD_M_INVITE && sip_msg_to(m, &to, NULL) == 0 &&
	    to->tag.len == 0 && sip_msg_ruri(m, &ruri, NULL) == 0 &&
	    directory_user(s->dir, ruri->user) == NULL)
		info.target = ruri->user;
	v = guard_request(s->guard, &a, &info, loop_now_ms(s->loop), &ev);
	report(s, &ev);
	if (v == GUARD_REJECT && m->method != SIP_METHOD_ACK) {
		/* R-NET-2: 403 by setting, stateless and without detail. */
		buf_reset(&s->hdrs);
		if (build_reply(s, m, from, 403, "Forbidden") == 0 &&
		    sip_txn_layer_send(s->txn, from, buf_view(&s->out)) != 0)
			log_debug("sip", "msg=\"403 not sent\"");
	}
	return v == GUARD_PASS;
}

static void
ban_ended(void *ctx, const struct guard_ban_info *ban)
{
	struct guard_events ev = {.n = 1};

	ev.ev[0] = (struct guard_event){.kind = GUARD_EV_UNBAN,
	    .reason = "ban expired",
	    .addr = ban->addr,
	    .bans = ban->count};
	report(ctx, &ev);
}

static void
guard_tick(struct loop *l, void *arg)
{
	struct server *s = arg;

	(void)guard_expire(s->guard, loop_now_ms(l), 4096, ban_ended, s);
	if (loop_timer_start(s->loop, &s->guard_tick, 1000) != 0)
		log_warn("server", "msg=\"guard timer not armed\"");
}

/* ---- responses ---- */

static bool
digest_offered(const struct server *s, enum sip_digest_alg alg)
{
	bool md5 = alg == SIP_DIGEST_ALG_MD5 || alg == SIP_DIGEST_ALG_ABSENT;

	switch (s->cfg.digest) {
	case SERVER_DIGEST_MD5:
		return md5;
	case SERVER_DIGEST_SHA256:
		return alg == SIP_DIGEST_ALG_SHA256;
	default:
		return md5 || alg == SIP_DIGEST_ALG_SHA256;
	}
}

/* Builds "status + copied headers + s->hdrs + empty body" in s->out. */
static int
build_reply(struct server *s, struct sip_msg *req,
    const struct sip_txn_peer *from, uint16_t status, const char *reason)
{
	char tag[TAG_LEN + 1];
	char ip[INET6_ADDRSTRLEN];
	size_t ipn = peer_ip(from, ip);
	int rc;

	new_tag(tag);
	buf_reset(&s->out);
	/* RFC 3581: the top Via tells the phone where we saw it from. */
	rc = sip_build_response_nat(&s->out, req, status, sv_cstr(reason),
	    sv_cstr(tag), sv_make(ip, ipn), peer_port(from));
	if (rc != 0)
		return rc;
	buf_append_sv(&s->out, buf_view(&s->hdrs));
	return sip_build_body(&s->out, SV_NULL, SV_NULL);
}

static void
reply(struct server *s, struct sip_txn_server *t, struct sip_msg *req,
    uint16_t status, const char *reason)
{
	int rc = build_reply(s, req, sip_txn_server_peer(t), status, reason);

	if (rc == 0)
		rc = sip_txn_respond(t, buf_view(&s->out));
	if (rc != 0)
		log_warn("sip", "msg=\"response not sent\" status=%u err=%d",
		    status, rc);
	buf_reset(&s->hdrs);
}

/* Puts the challenge header lines in s->hdrs: one per algorithm
 * offered, all with the same nonce; Proxy-Authenticate for a proxy
 * challenge (407), WWW-Authenticate otherwise. Returns 0 or a negative
 * errno. */
static int
build_challenge(
    struct server *s, const struct sip_txn_peer *from, bool stale, bool proxy)
{
	static const enum sip_digest_alg algs[] = {
	    SIP_DIGEST_ALG_SHA256, SIP_DIGEST_ALG_MD5};
	char ip[INET6_ADDRSTRLEN];
	char nonce[SIP_AUTH_NONCE_LEN + 1];
	size_t n = peer_ip(from, ip);
	int rc;

	buf_reset(&s->hdrs);
	rc = sip_auth_nonce(
	    s->auth, sv_make(ip, n), wall_s(), nonce, sizeof(nonce));
	for (size_t i = 0; rc == 0 && i < RP_ARRAY_LEN(algs); i++) {
		if (!digest_offered(s, algs[i]))
			continue;
		buf_append_cstr(&s->hdrs,
		    proxy ? "Proxy-Authenticate: " : "WWW-Authenticate: ");
		rc = sip_auth_challenge_value(
		    s->auth, &s->hdrs, algs[i], sv_cstr(nonce), stale);
		buf_append_cstr(&s->hdrs, "\r\n");
	}
	if (rc == 0)
		rc = buf_error(&s->hdrs);
	if (rc != 0)
		buf_reset(&s->hdrs);
	return rc;
}

static void
challenge(struct server *s, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from, bool stale, bool proxy)
{
	if (build_challenge(s, from, stale, proxy) != 0) {
		reply(s, t, req, 500, "");
		return;
	}
	reply(s, t, req, proxy ? 407 : 401, "");
}

/* ---- authentication (R-AUTH-4, R-AUTH-5) ---- */

/* The Digest credentials for our realm, if the request carries some:
 * Authorization for a registrar, Proxy-Authorization for calls. */
static bool
find_credentials(
    struct server *s, struct sip_msg *req, bool proxy, struct sip_digest *d)
{
	enum sip_hdr_id id =
	    proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION;
	struct sv value;
	int pos = -1;

	while (sip_msg_next_field(req, id, &pos, &value) == 1) {
		if (sip_digest_parse(value, d) == 0 && d->is_digest &&
		    sv_eq(d->realm, sip_auth_realm(s->auth)))
			return true;
	}
	return false;
}

/* A failed authentication or refused access: counted by the guard,
 * logged, and answered with a fresh challenge, the same answer for
 * every reason (R-AUTH-5, R-NET-4). */
static void
refuse_credentials(struct server *s, struct sip_txn_server *t,
    struct sip_msg *req, const struct sip_txn_peer *from, struct sv user,
    enum seclog_kind kind, const char *why, bool proxy)
{
	struct guard_events ev = {0};
	struct cidr_addr a;
	char ip[INET6_ADDRSTRLEN];
	size_t iplen = peer_ip(from, ip);
	char ubuf[LOG_SV_BUF];

	/* Unknown users and wrong passwords count alike (R-NET-2). */
	if (guard_addr(&from->addr, &a))
		(void)guard_auth_failure(
		    s->guard, &a, user, loop_now_ms(s->loop), &ev);
	log_warn("security",
	    "event=%s src=%s transport=%s user=\"%s\" reason=%s",
	    kind == SECLOG_ACL_REFUSED ? "acl_refused" : "auth_failure", ip,
	    transport_names[from->transport], log_sv(user, ubuf), why);
	security_log(s, kind, sv_make(ip, iplen), from, user, why, 1);
	if (kind == SECLOG_ACL_REFUSED)
		audit_security(s, "acl_refused", ip, user, why);
	report(s, &ev);
	challenge(s, t, req, from, false, proxy);
}

/* True when the digest uri names the Request-URI (compared by the
 * rules of RFC 3261 §19.1.4, so escaping and parameter order do not
 * matter), or is the same text. */
static bool
digest_uri_matches(struct sip_msg *req, struct sv uri)
{
	const struct sip_uri *ruri;
	struct sip_uri u;

	if (sv_eq(uri, req->ruri_text))
		return true;
	return sip_msg_ruri(req, &ruri, NULL) == 0 &&
	       sip_uri_parse(uri, &u) == 0 && sip_uri_equal(&u, ruri);
}

/* Checks the request's credentials. On success *user is the
 * authenticated extension (a view into req) and nothing was answered;
 * otherwise the request got its challenge and false is returned. */
static bool
authenticate(struct server *s, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from, bool proxy, struct sv *user)
{
	const struct directory_user *du;
	struct sip_digest cred;
	struct sip_auth_request areq;
	enum sip_auth_why why = SIP_AUTH_WHY_NONE;
	enum sip_auth_result res;
	char ip[INET6_ADDRSTRLEN];
	size_t iplen = peer_ip(from, ip);
	struct cidr_addr a;

	if (!find_credentials(s, req, proxy, &cred) ||
	    !digest_offered(s, cred.alg)) {
		challenge(s, t, req, from, false, proxy);
		return false;
	}
	du = directory_user(s->dir, cred.username);
	areq = (struct sip_auth_request){
	    .cred = &cred,
	    .method = req->method_name,
	    /* NULL for an unknown or disabled user: the check does the
	     * same work and fails the same way (R-AUTH-5). */
	    .ha1 = du != NULL ? &du->ha1 : NULL,
	    .client = sv_make(ip, iplen),
	    .now_s = wall_s(),
	};
	res = sip_auth_check(s->auth, &areq, &why);
	/* RFC 7616 §3.4.6 / RFC 3261 §22.4: the credentials must be for
	 * this request's URI, or a response captured for another one
	 * could be replayed here. */
	if (res == SIP_AUTH_OK && !digest_uri_matches(req, cred.uri)) {
		refuse_credentials(s, t, req, from, cred.username,
		    SECLOG_AUTH_FAILURE, "digest uri is not the request URI",
		    proxy);
		return false;
	}
	if (res == SIP_AUTH_STALE) {
		challenge(s, t, req, from, true, proxy);
		return false;
	}
	if (res != SIP_AUTH_OK) {
		refuse_credentials(s, t, req, from, cred.username,
		    SECLOG_AUTH_FAILURE, sip_auth_why_name(why), proxy);
		return false;
	}
	/* A device outside the user's networks is refused like a wrong
	 * password: the answer does not tell a right secret from a wrong
	 * one (R-NET-4). */
	if (!directory_acl_allows(du, &from->addr)) {
		refuse_credentials(s, t, req, from, cred.username,
		    SECLOG_ACL_REFUSED, "source not in the user's networks",
		    proxy);
		return false;
	}
	if (guard_addr(&from->addr, &a))
		guard_auth_success(
		    s->guard, &a, cred.username, loop_now_ms(s->loop));
	*user = cred.username;
	return true;
}

/* ---- REGISTER ---- */

static void
handle_register(struct server *s, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from)
{
	struct registrar_reply rr;
	struct sv user;
	int rc;

	if (!authenticate(s, t, req, from, false, &user))
		return;
	rc = registrar_handle(s->reg, req, from, user, wall_s(), &s->hdrs, &rr);
	if (rc != 0) {
		buf_reset(&s->hdrs);
		reply(s, t, req, 500, "");
		return;
	}
	reply(s, t, req, rr.status, rr.reason);
}

/* ---- calls ---- */

static void
fill_party(struct call_party *p, const struct directory_user *u)
{
	*p = (struct call_party){
	    .ext = sv_cstr(u->ext),
	    .display_name = sv_cstr(u->display_name),
	};
	directory_offer_policy(u, &p->policy);
}

static void call_record(void *ctx, const struct cdr_record *r);

static bool
printable_ascii(struct sv v)
{
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < 0x21 || v.p[i] > 0x7e)
			return false;
	}
	return true;
}

/* A call refused before it existed still leaves its record (R-FRAUD-8). */
static void
record_denied(struct server *s, struct sv caller, struct sv dialled,
    const struct sip_txn_peer *from, uint16_t code, const char *reason)
{
	struct cdr_record r = {0};
	struct timespec ts;
	char id[TAG_LEN + 1];

	clock_gettime(CLOCK_REALTIME, &ts);
	new_tag(id);
	snprintf(r.call_id, sizeof(r.call_id), "%s", id);
	if (users_ext_valid(caller))
		snprintf(r.caller_ext, sizeof(r.caller_ext), "%.*s",
		    (int)caller.len, caller.p);
	/* An outside caller's number (a trunk call) has no extension. */
	if (caller.len <= CDR_NUMBER_MAX && printable_ascii(caller))
		snprintf(r.caller_number, sizeof(r.caller_number), "%.*s",
		    (int)caller.len, caller.p);
	/* Dialled text as received, when it is printable. */
	if (dialled.len <= CDR_DIALED_MAX && printable_ascii(dialled))
		snprintf(r.dialed, sizeof(r.dialed), "%.*s", (int)dialled.len,
		    dialled.p);
	r.start_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	r.end_ms = r.start_ms;
	r.disposition = CDR_DENIED;
	r.sip_code = code;
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.transport = from->transport == SIP_TXN_TP_TLS   ? CDR_TRANSPORT_TLS
	              : from->transport == SIP_TXN_TP_TCP ? CDR_TRANSPORT_TCP
	                                                  : CDR_TRANSPORT_UDP;
	call_record(s, &r);
}

/* The profile of last resort, when the stored policy cannot be read:
 * national calls; international, premium and high-risk destinations
 * denied (DESIGN.md, security posture; R-FRAUD-1, R-FRAUD-2). Emergency
 * numbers always pass. */
static const struct rights_profile fallback_profile = {
    .name = "fallback",
    .classes = NUMPLAN_BIT(NUMPLAN_EMERGENCY) | NUMPLAN_BIT(NUMPLAN_LOCAL) |
               NUMPLAN_BIT(NUMPLAN_NATIONAL) | NUMPLAN_BIT(NUMPLAN_MOBILE) |
               NUMPLAN_BIT(NUMPLAN_SPECIAL),
};

/* The class of 'dialled' and whether the rights of user 'ext' allow
 * it: its profile, else the system default (rempart profile, user set
 * --profile). Returns 0, or -EINVAL for a number the plan cannot dial. */
static int
destination_check(struct server *s, struct sv ext, struct sv dialled,
    struct numplan_result *res, struct rights_decision *d)
{
	const struct rights_profile *p = &fallback_profile;
	const struct rights_system *sys = NULL;
	int32_t tz_offset_min = 0;
	struct numplan_ctx ctx;

	numplan_ctx_france(&ctx);
	if (s->plan == NULL ||
	    numplan_classify(s->plan, &ctx, dialled, res) != 0)
		return -EINVAL;
	if (s->fraud != NULL) {
		/* NULL: no profile at all, emergency calls only. */
		p = fraudpolicy_profile_for(s->fraud, ext);
		sys = fraudpolicy_system(s->fraud);
		tz_offset_min = fraudpolicy_tz_offset_min(s->fraud);
	}
	*d = rights_check(p, sys, res->cls, sv_make(res->number, res->len),
	    res->e164, rights_local_time((int64_t)wall_s(), tz_offset_min));
	return 0;
}

static void
log_destination_denied(struct server *s, const struct sip_txn_peer *from,
    struct sv user, struct sv dialled, const struct numplan_result *res,
    const struct rights_decision *d)
{
	char ip[INET6_ADDRSTRLEN];
	char num[LOG_SV_BUF];
	size_t iplen = peer_ip(from, ip);

	log_warn("security",
	    "event=destination_denied src=%s user=\"%.*s\" number=\"%s\" "
	    "class=%s",
	    ip, (int)user.len, user.p, log_sv(dialled, num),
	    numplan_class_name(res->cls));
	security_log(s, SECLOG_DESTINATION_DENIED, sv_make(ip, iplen), from,
	    user, d->text, 1);
	{
		char text[160 + LOG_SV_BUF];

		snprintf(text, sizeof(text),
		    "call from %.*s to %s (%s) refused: %s", (int)user.len,
		    user.p, num, numplan_class_name(res->cls), d->text);
		post_alert(
		    s, "destination_denied", ALERT_SEV_WARNING, user, text);
	}
}

/* The checks of an outbound call: the caller's rights, then the
 * anti-fraud engine (ceilings, rules, blocks). Refused with 403, a
 * security-log line and a denied call record that names the reason
 * (R-FRAUD-8). Allowed: *tag is the engine's charge of the call. */
static bool
destination_allowed(struct server *s, struct sip_txn_server *t,
    struct sip_msg *req, const struct call_party *caller, struct sv dialled,
    uint64_t *tag)
{
	struct numplan_result res;
	struct rights_decision d;
	const struct sip_txn_peer *from = sip_txn_server_peer(t);
	const char *why;
	char reason[CDR_REASON_MAX + 1];

	if (destination_check(s, caller->ext, dialled, &res, &d) != 0) {
		reply(s, t, req, 404, "");
		record_denied(s, caller->ext, dialled, from, 404,
		    "not a number this plan can dial");
		return false;
	}
	if (!d.allow) {
		log_destination_denied(s, from, caller->ext, dialled, &res, &d);
		reply(s, t, req, 403, "Destination Not Allowed");
		record_denied(s, caller->ext, dialled, from, 403, d.text);
		return false;
	}
	if (s->fraudrun == NULL || fraudrun_outbound(s->fraudrun, caller->ext,
	                               FRAUD_ORIGIN_EXTENSION, &res, tag, &why))
		return true;
	snprintf(reason, sizeof(reason), "fraud: %s", why);
	reply(s, t, req, 403, "Call Limit Reached");
	record_denied(s, caller->ext, dialled, from, 403, reason);
	return false;
}

/* The usable trunks of a route choice as calls take them, in order.
 * Caller ID: the number of the user 'cid_ext', else the trunk's, else
 * 'fallback'. Returns how many; the views point into s->trunks, 'rc'
 * and 'fallback'. */
static unsigned
route_trunks(struct server *s, const struct route_choice *rc, struct sv cid_ext,
    struct sv fallback, struct call_trunk *out,
    struct callmedia_policy *policies)
{
	struct sv from_user = trunkdir_outbound_number(s->trunks, cid_ext);
	unsigned n = 0;

	for (unsigned i = 0; i < rc->n_trunks && n < CALL_FORKS_MAX; i++) {
		const struct trunkdir_trunk *tk =
		    trunkdir_trunk(s->trunks, sv_cstr(rc->trunks[i]));

		/* Disabled, a host name we cannot resolve yet, found down
		 * by its probes or not registered. */
		if (tk == NULL || !tk->usable ||
		    !trunkrun_usable(s->trunkrun, sv_cstr(tk->name)))
			continue;
		out[n++] = (struct call_trunk){
		    .name = sv_cstr(tk->name),
		    .peer = tk->peer,
		    .host = sv_cstr(tk->uri_host),
		    .port = tk->port,
		    .from_user = from_user.len > 0 ? from_user
		                 : tk->outbound_cid[0] != '\0'
		                     ? sv_cstr(tk->outbound_cid)
		                     : fallback,
		    .from_domain = sv_cstr(tk->from_domain),
		    .channels = tk->channels,
		    .auth_user = sv_cstr(tk->info.auth_user[0] != '\0'
		                             ? tk->info.auth_user
		                             : tk->info.username),
		    .realm = tk->info.realm[0] != '\0' ? sv_cstr(tk->info.realm)
		                                       : SV_NULL,
		    .password =
		        tk->secret[0] != '\0' ? sv_cstr(tk->secret) : SV_NULL,
		};
		trunkdir_policy(tk, &policies[n - 1]);
		out[n - 1].policy = callmedia_policy_view(&policies[n - 1]);
	}
	return n;
}

/* A number that is no extension, through the trunks of the best route
 * (R-TRUNK-2). Returns false when no route matches: the caller gets 404
 * as for any unknown number. */
static bool
invite_trunks(struct server *s, struct sip_txn_server *t, struct sip_msg *req,
    const struct call_party *caller, struct sv dialled)
{
	struct call_trunk trunks[ROUTES_TRUNKS_MAX];
	struct callmedia_policy policies[ROUTES_TRUNKS_MAX];
	struct route_choice rc;
	uint64_t tag = 0;
	unsigned n;

	if (s->trunks == NULL || trunkdir_pick(s->trunks, dialled, &rc) != 0)
		return false;
	if (!destination_allowed(s, t, req, caller, dialled, &tag))
		return true;
	n = route_trunks(s, &rc, caller->ext, caller->ext, trunks, policies);
	log_info("call", "msg=\"outbound route\" route=%s trunks=%u usable=%u",
	    rc.route, rc.n_trunks, n);
	calls_invite_trunks(s->calls, t, req, caller, trunks, n,
	    sv_cstr(rc.number), dialled, tag);
	return true;
}

/* An alternate destination being resolved; it must outlive the call of
 * calls_invite(). */
struct alt_build {
	struct call_alternate alt;
	struct call_party callee;
	struct route_choice route;
	struct call_trunk trunks[ROUTES_TRUNKS_MAX];
	struct callmedia_policy policies[ROUTES_TRUNKS_MAX];
};

/* The alternate 'dest' (an extension or +E164) of the user 'owner', as
 * calls_invite() takes it, or NULL when there is none that can be used:
 * an unknown extension, or a number no route takes or the rights refuse
 * (a forward outside is checked and charged as the owner's own call,
 * R-FRAUD-6). */
static const struct call_alternate *
alternate_for(struct server *s, struct sv dest, struct sv owner,
    const struct sip_txn_peer *from, struct alt_build *b)
{
	const struct directory_user *u;
	struct numplan_result res;
	struct rights_decision d;
	char num[LOG_SV_BUF];
	unsigned n;

	if (dest.len == 0)
		return NULL;
	if (dest.p[0] != '+') {
		u = directory_user(s->dir, dest);
		if (u == NULL) {
			log_warn("call",
			    "msg=\"alternate is no enabled "
			    "extension\" owner=%.*s alternate=%s",
			    (int)owner.len, owner.p, log_sv(dest, num));
			return NULL;
		}
		fill_party(&b->callee, u);
		b->alt = (struct call_alternate){.callee = &b->callee};
		return &b->alt;
	}
	if (s->trunks == NULL ||
	    trunkdir_pick(s->trunks, dest, &b->route) != 0) {
		log_warn("call",
		    "msg=\"no route to the alternate\" owner=%.*s "
		    "alternate=%s",
		    (int)owner.len, owner.p, log_sv(dest, num));
		return NULL;
	}
	if (destination_check(s, owner, dest, &res, &d) != 0 || !d.allow) {
		log_destination_denied(s, from, owner, dest, &res, &d);
		return NULL;
	}
	n = route_trunks(s, &b->route, owner, owner, b->trunks, b->policies);
	if (n == 0)
		return NULL;
	b->alt = (struct call_alternate){
	    .trunks = b->trunks,
	    .ntrunks = n,
	    .number = sv_cstr(b->route.number),
	    .dialled = dest,
	    .owner = owner,
	};
	return &b->alt;
}

/* The DID a trunk's request calls, written in E.164 ("+33..."),
 * nationally ("01...", the French plan) or internationally without the
 * '+' ("33..."). */
static const struct did_info *
did_lookup(struct server *s, struct sv user)
{
	char num[USERS_E164_STRLEN];
	struct numplan_ctx ctx;
	struct numplan_result res;
	const struct did_info *d;

	if (s->trunks == NULL || user.len == 0 || user.len + 2 > sizeof(num))
		return NULL;
	if (user.p[0] == '+')
		return trunkdir_did(s->trunks, user);
	numplan_ctx_france(&ctx);
	if (s->plan != NULL &&
	    numplan_classify(s->plan, &ctx, user, &res) == 0 && res.e164 &&
	    res.len + 2 <= sizeof(num)) {
		num[0] = '+';
		memcpy(num + 1, res.number, res.len);
		num[res.len + 1] = '\0';
		d = trunkdir_did(s->trunks, sv_cstr(num));
		if (d != NULL)
			return d;
	}
	snprintf(num, sizeof(num), "+%.*s", (int)user.len, user.p);
	return trunkdir_did(s->trunks, sv_cstr(num));
}

/* The caller's number as an operator sent it, when it is one we can
 * write in a URI and a record; "anonymous" otherwise. */
static struct sv
external_caller(struct sv user)
{
	if (user.len == 0 || user.len > CDR_EXT_MAX)
		return sv_cstr("anonymous");
	for (size_t i = 0; i < user.len; i++) {
		char ch = user.p[i];

		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		        (ch >= 'A' && ch <= 'Z') || ch == '+' || ch == '*' ||
		        ch == '#' || ch == '.' || ch == '-' || ch == '_'))
			return sv_cstr("anonymous");
	}
	return user;
}

/* An INVITE from an operator's network (R-TRUNK-3): no digest; the DID
 * it calls gives the extension (R-CALL-13), with the DID's alternate,
 * else the user's, when the extension cannot take it (R-TRUNK-4). A
 * number that is no DID is refused: a trunk never calls out through
 * another. */
static void
invite_from_trunk(struct server *s, struct sip_txn_server *t,
    struct sip_msg *req, const struct sip_txn_peer *from,
    const struct trunkdir_trunk *tk)
{
	const struct sip_uri *ruri;
	const struct sip_addr *fr, *to;
	const struct did_info *did;
	const struct directory_user *du;
	struct callmedia_policy tp;
	struct call_party caller, callee;
	struct call_options opt = {0};
	struct alt_build ab;
	struct sv number;
	char num[LOG_SV_BUF];

	if (sip_msg_ruri(req, &ruri, NULL) != 0 ||
	    sip_msg_from(req, &fr, NULL) != 0 ||
	    sip_msg_to(req, &to, NULL) != 0) {
		reply(s, t, req, 400, "");
		return;
	}
	number = external_caller(fr->uri.user);
	did = did_lookup(s, ruri->user);
	if (did == NULL)
		did = did_lookup(s, to->uri.user);
	if (did == NULL) {
		log_info("call",
		    "msg=\"inbound call to no DID\" trunk=%s "
		    "number=%s",
		    tk->name, log_sv(ruri->user, num));
		reply(s, t, req, 404, "");
		record_denied(s, number, ruri->user, from, 404, "no such DID");
		return;
	}
	trunkdir_policy(tk, &tp);
	caller = (struct call_party){
	    .ext = number,
	    .outside = true,
	    .display_name = fr->display,
	    .policy = callmedia_policy_view(&tp),
	};
	du = directory_user(s->dir, sv_cstr(did->ext));
	if (du != NULL)
		fill_party(&callee, du);
	opt.ring_timeout_ms = did->ring_timeout_s * 1000u;
	opt.alternate = alternate_for(s,
	    sv_cstr(did->alternate[0] != '\0' ? did->alternate
	            : du != NULL              ? du->alternate
	                                      : ""),
	    sv_cstr(did->ext), from, &ab);
	log_info("call", "msg=\"inbound call\" trunk=%s did=%s ext=%s",
	    tk->name, did->number, did->ext);
	calls_invite(s->calls, t, req, &caller, du != NULL ? &callee : NULL,
	    sv_cstr(did->number), &opt);
}

/* An INVITE for one of our DIDs that comes from no trunk's network and
 * has no credentials: reported (R-TRUNK-3), then challenged like any
 * other, so the answer says nothing. */
static void
report_foreign_did_call(
    struct server *s, struct sip_msg *req, const struct sip_txn_peer *from)
{
	const struct sip_uri *ruri;
	struct sv v;
	char ip[INET6_ADDRSTRLEN];
	size_t iplen;

	if (s->trunks == NULL || trunkdir_dids(s->trunks) == 0 ||
	    sip_msg_header(req, SIP_HDR_PROXY_AUTHORIZATION, &v) == 0 ||
	    sip_msg_ruri(req, &ruri, NULL) != 0 ||
	    did_lookup(s, ruri->user) == NULL)
		return;
	iplen = peer_ip(from, ip);
	log_warn("security",
	    "event=acl_refused src=%s reason=\"inbound call "
	    "from no trunk's network\"",
	    ip);
	security_log(s, SECLOG_ACL_REFUSED, sv_make(ip, iplen), from,
	    ruri->user, "inbound call from no trunk's network", 1);
}

/* A new INVITE: the caller authenticates (407), must call as itself
 * (R-CRYPTO-4), and the dialled extension is looked up. */
static void
handle_invite(struct server *s, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from)
{
	struct call_party caller, callee;
	const struct directory_user *cu, *du;
	const struct trunkdir_trunk *tk;
	struct call_options opt = {0};
	struct alt_build ab;
	const struct sip_addr *fr;
	const struct sip_uri *ruri;
	struct sv user;
	char ip[INET6_ADDRSTRLEN];
	size_t iplen;

	tk = trunkdir_from(s->trunks, &from->addr);
	if (tk != NULL) {
		invite_from_trunk(s, t, req, from, tk);
		return;
	}
	report_foreign_did_call(s, req, from);
	if (!authenticate(s, t, req, from, true, &user))
		return;
	if (sip_msg_from(req, &fr, NULL) != 0 ||
	    sip_msg_ruri(req, &ruri, NULL) != 0) {
		reply(s, t, req, 400, "");
		return;
	}
	if (!sv_eq(fr->uri.user, user)) {
		char ubuf[LOG_SV_BUF];

		iplen = peer_ip(from, ip);
		log_warn("security",
		    "event=identity_mismatch src=%s user=\"%s\"", ip,
		    log_sv(user, ubuf));
		security_log(s, SECLOG_AUTH_FAILURE, sv_make(ip, iplen), from,
		    user, "From does not match the authenticated user", 1);
		audit_security(s, "identity_mismatch", ip, user,
		    "From does not match the authenticated user");
		reply(s, t, req, 403, "Identity Mismatch");
		record_denied(s, user, ruri->user, from, 403,
		    "From does not match the authenticated user");
		return;
	}
	cu = directory_user(s->dir, user);
	du = directory_user(s->dir, ruri->user);
	if (cu == NULL) {
		reply(s, t, req, 403, "");
		return;
	}
	fill_party(&caller, cu);
	if (du == NULL && invite_trunks(s, t, req, &caller, ruri->user))
		return;
	if (du != NULL) {
		fill_party(&callee, du);
		opt.alternate = alternate_for(
		    s, sv_cstr(du->alternate), callee.ext, from, &ab);
	}
	calls_invite(s->calls, t, req, &caller, du != NULL ? &callee : NULL,
	    ruri->user, &opt);
}

/* ---- request routing ---- */

/* RFC 3261 §8.2.2.3: we support no option tags yet, so any Require is
 * refused with 420 listing what we do not support. */
static bool
refuse_require(struct server *s, struct sip_txn_server *t, struct sip_msg *req)
{
	struct sip_hdr_iter it;
	struct sv v;
	bool any = false;

	if (req->method == SIP_METHOD_ACK || req->method == SIP_METHOD_CANCEL)
		return false;
	buf_reset(&s->hdrs);
	sip_hdr_iter_init(&it, req, SIP_HDR_REQUIRE);
	while (sip_hdr_iter_next(&it, &v) == 1) {
		buf_append_cstr(&s->hdrs, any ? ", " : "Unsupported: ");
		buf_append_sv(&s->hdrs, v);
		any = true;
	}
	if (!any)
		return false;
	buf_append_cstr(&s->hdrs, "\r\n");
	reply(s, t, req, 420, "");
	return true;
}

static bool
has_to_tag(struct sip_msg *req)
{
	const struct sip_addr *to;

	return sip_msg_to(req, &to, NULL) == 0 && to->tag.len > 0;
}

static void
on_ack(void *ctx, struct sip_msg *ack, const struct sip_txn_peer *from)
{
	struct server *s = ctx;

	(void)from;
	calls_ack(s->calls, ack);
}

static void
on_stray(void *ctx, struct sip_msg *resp, const struct sip_txn_peer *from)
{
	struct server *s = ctx;

	calls_stray(s->calls, resp, from);
}

static void
on_request(void *ctx, struct sip_txn_server *t, struct sip_msg *req,
    const struct sip_txn_peer *from)
{
	struct server *s = ctx;
	const struct sip_uri *ruri;
	struct sip_txn_server *invite;
	struct sip_error err;
	int rc;

	if (sip_msg_parse_all(req, &err) != 0) {
		reply(s, t, req, err.status, err.reason);
		return;
	}
	/* Every request gets a final answer, or its transaction would
	 * live until shutdown. */
	if (sip_msg_ruri(req, &ruri, &err) != 0) {
		reply(s, t, req, err.status, err.reason);
		return;
	}
	if (ruri->scheme != SIP_URI_SIP && ruri->scheme != SIP_URI_SIPS &&
	    ruri->scheme != SIP_URI_TEL) {
		reply(s, t, req, 416, "");
		return;
	}
	if (refuse_require(s, t, req))
		return;
	if (req->method != SIP_METHOD_REGISTER &&
	    req->method != SIP_METHOD_CANCEL && has_to_tag(req)) {
		/* In a dialog: one of our calls, or nothing (§12.2.2). */
		if (!calls_request(s->calls, t, req))
			reply(s, t, req, 481, "");
		return;
	}
	switch (req->method) {
	case SIP_METHOD_OPTIONS:
		buf_append_cstr(&s->hdrs, "Allow: " ALLOW_METHODS "\r\n"
		                          "Accept: application/sdp\r\n");
		reply(s, t, req, 200, "");
		break;
	case SIP_METHOD_REGISTER:
		handle_register(s, t, req, from);
		break;
	case SIP_METHOD_INVITE:
		handle_invite(s, t, req, from);
		break;
	case SIP_METHOD_CANCEL:
		/* §9.2: 200 for the CANCEL, then 487 for the INVITE. */
		rc = sip_txn_server_find_invite(s->txn, req, &invite);
		if (rc == 0) {
			reply(s, t, req, 200, "");
			calls_cancel(s->calls, invite);
		} else {
			/* Already answered: the CANCEL has no effect. */
			reply(s, t, req, rc == -EALREADY ? 200 : 481, "");
		}
		break;
	case SIP_METHOD_BYE:
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_INFO:
		/* Only meaningful inside a dialog. */
		reply(s, t, req, 481, "");
		break;
	default:
		buf_append_cstr(&s->hdrs, "Allow: " ALLOW_METHODS "\r\n");
		reply(s, t, req, 501, "");
		break;
	}
}

/* RFC 3261 §8.2.7: a REGISTER without credentials gets its 401 without
 * a transaction. Every registration starts so, and a transaction held
 * 32 s by Timer J for an answer the phone can always ask again would
 * halve how many registrations the table can carry. A retransmission is
 * simply challenged again. Anything malformed takes the normal path,
 * which answers it 400. */
static bool
challenge_statelessly(
    struct server *s, struct sip_msg *req, const struct sip_txn_peer *from)
{
	struct sip_digest cred;
	struct sip_error err;

	if (req->method != SIP_METHOD_REGISTER ||
	    find_credentials(s, req, false, &cred) ||
	    sip_msg_parse_all(req, &err) != 0 ||
	    build_challenge(s, from, false, false) != 0)
		return false;
	if (build_reply(s, req, from, 401, "") == 0 &&
	    sip_txn_layer_send(s->txn, from, buf_view(&s->out)) != 0)
		log_debug("sip", "msg=\"challenge not sent\"");
	buf_reset(&s->hdrs);
	return true;
}

/* A request the transaction layer could not take (a broken mandatory
 * header): answered statelessly with 400 when a response can be built
 * at all, dropped otherwise. */
static void
stateless_400(
    struct server *s, struct sip_msg *req, const struct sip_txn_peer *from)
{
	if (req->method == SIP_METHOD_ACK)
		return;
	buf_reset(&s->hdrs);
	if (build_reply(s, req, from, 400, "Bad Request") == 0 &&
	    sip_txn_layer_send(s->txn, from, buf_view(&s->out)) != 0)
		log_debug("sip", "msg=\"stateless 400 not sent\"");
}

static void
on_message(void *ctx, struct sv bytes, const struct sip_txn_peer *from)
{
	struct server *s = ctx;
	struct sip_error err;
	int rc;

	if (sip_msg_parse(&s->msg, bytes, NULL, &err) != 0) {
		char ip[INET6_ADDRSTRLEN];

		peer_ip(from, ip);
		log_debug("sip",
		    "msg=\"unparsable message dropped\" src=%s "
		    "status=%u reason=\"%s\"",
		    ip, err.status, err.reason);
		return;
	}
	if (!s->msg.is_request) {
		/* Responses to nothing we sent are dropped (RFC 3261 §18.1.2).
		 */
		if (sip_txn_receive_response(s->txn, &s->msg, from) < 0)
			log_debug("sip", "msg=\"response dropped\"");
		return;
	}
	if (!guard_admits_request(s, &s->msg, from))
		return;
	if (challenge_statelessly(s, &s->msg, from))
		return;
	rc = sip_txn_receive_request(s->txn, &s->msg, bytes, from);
	if (rc == -EBADMSG)
		stateless_400(s, &s->msg, from);
}

/* ---- what calls need from the server ---- */

static bool
wildcard_addr(const char *a)
{
	return strcmp(a, "0.0.0.0") == 0 || strcmp(a, "::") == 0;
}

/* Our address as a peer sees it, for Via and Contact: the listener's
 * address, or for a wildcard listener the source address the kernel
 * would pick to reach that peer. */
static int
local_address(void *ctx, const struct sip_txn_peer *peer, char *host,
    size_t host_size, uint16_t *port)
{
	struct server *s = ctx;
	int family = peer->addr.ss_family;
	char ip[INET6_ADDRSTRLEN] = "";

	for (unsigned i = 0; i < s->cfg.nlisten; i++) {
		const struct server_listen *ls = &s->cfg.listen[i];
		bool v6 = strchr(ls->addr, ':') != NULL;

		if ((enum sip_txn_transport)ls->transport != peer->transport ||
		    v6 != (family == AF_INET6))
			continue;
		snprintf(ip, sizeof(ip), "%s", ls->addr);
		*port = sip_transport_port(s->tp, peer->transport, family);
		break;
	}
	if (ip[0] == '\0')
		return -ENOENT;
	if (wildcard_addr(ip)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int rc = fd < 0 ? -errno : 0;

		if (rc == 0 &&
		    (connect(fd, (const struct sockaddr *)&peer->addr,
		         peer->addr_len) != 0 ||
		        getsockname(fd, (struct sockaddr *)&ss, &len) != 0))
			rc = -errno;
		if (fd >= 0)
			close(fd);
		if (rc != 0)
			return rc;
		inet_ntop(family,
		    family == AF_INET
		        ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
		        : (const void *)&((struct sockaddr_in6 *)&ss)
		              ->sin6_addr,
		    ip, sizeof(ip));
	}
	if (family == AF_INET6)
		snprintf(host, host_size, "[%s]", ip);
	else
		snprintf(host, host_size, "%s", ip);
	return 0;
}

static int
cdr_job_run(struct db *db, void *arg)
{
	return cdr_insert(db, arg);
}

static void
cdr_job_done(void *arg, int rc)
{
	if (rc != 0)
		log_error(
		    "store", "msg=\"call record not written\" err=%d", rc);
	free(arg);
}

/* Every call attempt leaves a record (R-FRAUD-8), written by the store
 * writer; a crash loses only what was not yet committed. */
static void
call_record(void *ctx, const struct cdr_record *r)
{
	struct server *s = ctx;
	struct cdr_record *j = mem_alloc(sizeof(*j));

	if (j == NULL) {
		log_error(
		    "store", "msg=\"call record lost\" call=%s", r->call_id);
		return;
	}
	*j = *r;
	if (writer_post(s->writer, cdr_job_run, j, cdr_job_done, j) != 0) {
		log_error(
		    "store", "msg=\"call record lost\" call=%s", r->call_id);
		free(j);
	}
}

static void reload_alerts(struct server *s, struct db *db);
static void resolve_trunks(struct server *s);
static void trunk_tls_names(struct server *s);

/* Registrations and probes of the trunks loaded at start, and the alert
 * dispatcher; a connection of their own reads the secrets (the writer
 * owns s->db). After the signals are blocked: the dispatcher's thread
 * must not take SIGHUP. */
static int
start_trunks_and_alerts(struct server *s)
{
	struct trunkrun_config cfg = {
	    .loop = s->loop,
	    .txn = s->txn,
	    .local = local_address,
	    .ctx = s,
	    .check_interval_s = s->cfg.trunk_check_s,
	    .retry_min_s = s->cfg.trunk_retry_s,
	};
	struct db *db;
	int rc = trunkrun_new(&s->trunkrun, &cfg);

	trunk_tls_names(s);
	if (rc == 0) {
		rc = resolver_new(&s->dns, s->loop, s->cfg.dns_servers);
		if (rc == 0)
			resolve_trunks(s);
	}
	if (rc == 0)
		rc = db_open(&db, s->cfg.data_dir);
	if (rc != 0) {
		log_error(
		    "server", "msg=\"cannot start the trunks\" err=%d", rc);
		return rc;
	}
	trunkrun_sync(s->trunkrun, s->trunks);
	reload_alerts(s, db);
	db_close(db);
	return 0;
}

/* An alternate through trunks is rung: a forward, checked and charged
 * as the forwarding user's own call (R-FRAUD-6). */
static bool
alternate_charge(void *ctx, struct sv owner, struct sv dialled, uint64_t *tag,
    const char **reason)
{
	struct server *s = ctx;
	struct numplan_result res;
	struct numplan_ctx nctx;

	*tag = 0;
	numplan_ctx_france(&nctx);
	if (s->fraudrun == NULL || s->plan == NULL)
		return true;
	if (numplan_classify(s->plan, &nctx, dialled, &res) != 0) {
		*reason = "not a number this plan can dial";
		return false;
	}
	return fraudrun_outbound(
	    s->fraudrun, owner, FRAUD_ORIGIN_FORWARD, &res, tag, reason);
}

static void
call_tagged(void *ctx, uint64_t tag, bool ended, uint64_t talk_s)
{
	struct server *s = ctx;

	if (s->fraudrun != NULL)
		fraudrun_call_event(s->fraudrun, tag, ended, talk_s);
}

/* An alert or block of the anti-fraud engine, for the channels. */
static void
fraud_alert(
    void *ctx, const struct fraud_alert *a, struct sv user, struct sv number)
{
	struct server *s = ctx;
	bool ceiling = a->reason == FRAUD_R_CEILING_HOUR ||
	               a->reason == FRAUD_R_CEILING_DAY;
	char text[256];

	snprintf(text, sizeof(text),
	    "%s%s: user %.*s calling %.*s (%lld against a limit of %lld)",
	    a->text, a->mode == FRAUD_BLOCK ? ", blocked" : "",
	    (int)(user.len < 64 ? user.len : 64), user.p,
	    (int)(number.len < 32 ? number.len : 32), number.p,
	    (long long)a->value, (long long)a->limit);
	/* The JSON line a SIEM reads (R-FRAUD-4). */
	security_log(s, SECLOG_FRAUD, SV(""), NULL,
	    user.len > 0 ? user : sv_cstr("system"), text,
	    a->value > 0 && a->value < UINT32_MAX ? (uint32_t)a->value : 0);
	post_alert(s,
	    ceiling                  ? "ceiling_reached"
	    : a->mode == FRAUD_BLOCK ? "fraud_block"
	                             : "anomaly",
	    ceiling || a->mode == FRAUD_BLOCK ? ALERT_SEV_CRITICAL
	                                      : ALERT_SEV_WARNING,
	    user.len > 0 ? user : sv_cstr("system"), text);
}

/* The anti-fraud engine, once the calls exist (it cuts them). */
static int
start_fraud(struct server *s)
{
	struct fraudrun_config cfg = {
	    .loop = s->loop,
	    .writer = s->writer,
	    .calls = s->calls,
	    .alert = fraud_alert,
	    .ctx = s,
	};
	int rc = fraudrun_new(&s->fraudrun, &cfg);

	if (rc == 0 && s->fraud != NULL)
		rc = fraudrun_policy(s->fraudrun, s->fraud, NULL);
	if (rc != 0)
		log_error("server",
		    "msg=\"cannot start the anti-fraud engine\" err=%d", rc);
	return rc;
}

static int
start_calls(struct server *s)
{
	struct media_relay_config mcfg = {
	    .addr = s->cfg.media_addr,
	    .port_min = s->cfg.media_port_min,
	    .port_max = s->cfg.media_port_max,
	};
	struct calls_config ccfg = {
	    .loop = s->loop,
	    .txn = s->txn,
	    .reg = s->reg,
	    .domain = sv_cstr(s->realm),
	    .ring_timeout_ms = s->cfg.ring_timeout_s * 1000u,
	    .session_expires_s = s->cfg.session_expires_s,
	    .rtp_timeout_ms = s->cfg.rtp_timeout_s * 1000u,
	    .local = local_address,
	    .record = call_record,
	    .tagged = call_tagged,
	    .charge = alternate_charge,
	    .ctx = s,
	};
	int rc = media_relay_new(&s->relay, &mcfg);

	if (rc == 0) {
		ccfg.relay = s->relay;
		rc = calls_new(&s->calls, &ccfg);
	}
	if (rc == 0 && !s->cfg.fraud_off)
		rc = start_fraud(s);
	if (rc == 0 && s->cfg.fraud_off)
		log_warn("server",
		    "msg=\"ANTI-FRAUD ENGINE OFF (--fraud off): no cost "
		    "ceiling, no fraud rule and no block applies to outbound "
		    "calls; rights profiles still do\"");
	if (rc != 0) {
		log_error("server",
		    "msg=\"cannot start calls (media relay "
		    "address or ports?)\" err=%d",
		    rc);
		return rc;
	}
	log_info("server", "msg=\"media relay ready\" addr=%s ports=%u-%u",
	    media_relay_addr(s->relay),
	    s->cfg.media_port_min != 0 ? s->cfg.media_port_min
	                               : MEDIA_PORT_MIN_DEFAULT,
	    s->cfg.media_port_max != 0 ? s->cfg.media_port_max
	                               : MEDIA_PORT_MAX_DEFAULT);
	return 0;
}

/* ---- persistence of registrations (store writer thread) ---- */

struct binding_job {
	bool remove;
	struct binding_record rec;
	char text[]; /* the record's strings */
};

static int
job_run(struct db *db, void *arg)
{
	struct binding_job *j = arg;

	if (j->remove)
		return bindings_delete(db, j->rec.aor, j->rec.contact);
	return bindings_save(db, &j->rec);
}

static void
job_done(void *arg, int rc)
{
	if (rc != 0)
		log_warn(
		    "store", "msg=\"registration not persisted\" err=%d", rc);
	free(arg);
}

static struct sv
copy_into(char **at, struct sv v)
{
	struct sv out = sv_make(*at, v.len);

	if (v.len > 0)
		memcpy(*at, v.p, v.len);
	*at += v.len;
	return out;
}

static void
post_binding(struct server *s, const struct registrar_binding *b, bool remove)
{
	char source[PEER_TEXT_MAX];
	size_t srclen, need;
	struct binding_job *j;
	char *at;

	peer_to_text(&b->peer, source);
	srclen = strlen(source);
	need = b->aor.len + b->contact.len + b->call_id.len +
	       b->user_agent.len + srclen;
	j = mem_alloc(sizeof(*j) + need);
	if (j == NULL) {
		log_warn("store",
		    "msg=\"registration not persisted\" "
		    "err=%d",
		    -ENOMEM);
		return;
	}
	at = j->text;
	j->remove = remove;
	j->rec.aor = copy_into(&at, b->aor);
	j->rec.contact = copy_into(&at, b->contact);
	j->rec.call_id = copy_into(&at, b->call_id);
	j->rec.user_agent = copy_into(&at, b->user_agent);
	j->rec.source = copy_into(&at, sv_make(source, srclen));
	j->rec.expires_at = (int64_t)b->expires_at_wall_s;
	j->rec.q = b->q;
	j->rec.cseq = b->cseq;
	j->rec.updated_at = (int64_t)wall_s();
	if (writer_post(s->writer, job_run, j, job_done, j) != 0) {
		log_warn("store", "msg=\"registration not persisted\" "
		                  "err=queue");
		free(j);
	}
}

static void
binding_saved(void *arg, const struct registrar_binding *b)
{
	post_binding(arg, b, false);
}

static void
binding_removed(
    void *arg, const struct registrar_binding *b, enum registrar_removal why)
{
	(void)why;
	post_binding(arg, b, true);
}

static int
restore_binding(void *arg, const struct binding_record *r)
{
	struct server *s = arg;
	struct registrar_binding b = {
	    .aor = r->aor,
	    .contact = r->contact,
	    .q = (uint16_t)(r->q > 1000 ? 1000 : r->q),
	    .cseq = r->cseq,
	    .call_id = r->call_id,
	    .user_agent = r->user_agent,
	    .expires_at_wall_s =
	        r->expires_at > 0 ? (uint64_t)r->expires_at : 0,
	};
	int rc;

	if (peer_from_text(r->source, &b.peer) != 0)
		return 0; /* unusable row: skipped */
	rc = registrar_restore(s->reg, &b, wall_s());
	if (rc != 0 && rc != -ETIMEDOUT)
		log_warn(
		    "store", "msg=\"registration not restored\" err=%d", rc);
	return 0;
}

/* ---- loop plumbing ---- */

static void
writer_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;

	(void)l;
	(void)fd;
	(void)events;
	writer_run_completions(s->writer);
}

/* ---- bans kept in the store ---- */

/* Permanent bans map to a century on the guard's clock. */
#define BAN_FOREVER_MS (100ull * 365 * 86400 * 1000)

struct ban_load {
	struct server *s;
	struct cidr_set *addrs; /* single addresses banned in the store */
	struct cidr_set *nets;  /* networks: the guard's blocklist */
	size_t stale_n;
	struct cidr_addr stale[256]; /* guard bans the store no longer has */
};

static int
load_ban(void *arg, const struct ban_record *b)
{
	struct ban_load *bl = arg;
	struct server *s = bl->s;
	uint64_t now_ms = loop_now_ms(s->loop), now_w = wall_s();
	uint64_t until_ms;
	struct cidr net;
	int rc;

	if (cidr_parse(b->addr, &net) != 0)
		return 0;
	if (net.prefix_len != (net.net.family == AF_INET ? 32 : 128)) {
		if (cidr_set_add(bl->nets, &net) != 0)
			return -ENOMEM;
		return 0;
	}
	if (cidr_set_add(bl->addrs, &net) != 0)
		return -ENOMEM;
	if (b->until == 0)
		until_ms = now_ms + BAN_FOREVER_MS;
	else if ((uint64_t)b->until > now_w)
		until_ms = now_ms + ((uint64_t)b->until - now_w) * 1000;
	else
		return 0;
	rc = guard_restore_ban(
	    s->guard, &net.net, until_ms, b->count, b->reason, now_ms);
	if (rc != 0 && rc != -EPERM && rc != -ETIME)
		log_warn("security", "msg=\"ban not restored\" err=%d", rc);
	return 0;
}

static void
find_stale(void *ctx, const struct guard_ban_info *ban)
{
	struct ban_load *bl = ctx;

	if (!cidr_set_contains(bl->addrs, &ban->addr) &&
	    bl->stale_n < RP_ARRAY_LEN(bl->stale))
		bl->stale[bl->stale_n++] = ban->addr;
}

static void
blocklist_bad_line(void *ctx, unsigned line, const char *reason)
{
	(void)ctx;
	log_warn("security",
	    "msg=\"blocklist line ignored\" line=%u "
	    "reason=\"%s\"",
	    line, reason);
}

/* DATA/blocklist.txt: addresses and networks, one per line, in the
 * format public SIP blocklists use (R-NET-2). A small file read at start
 * and on SIGHUP only. No file is an empty list. */
static int
load_blocklist(struct server *s, struct cidr_set **out)
{
	char path[4096];
	int rc;

	if (snprintf(path, sizeof(path), "%s/blocklist.txt", s->cfg.data_dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	rc = cidr_set_load(path, out, blocklist_bad_line, s);
	if (rc == -ENOENT)
		return cidr_set_new(out);
	if (rc == 0)
		log_info("security", "msg=\"blocklist loaded\" entries=%zu",
		    cidr_set_count(*out));
	else
		log_error(
		    "security", "msg=\"blocklist not loaded\" err=%d", rc);
	return rc;
}

/* Makes the guard's bans what the store says: at start, and on SIGHUP
 * after `rempart bans add|remove`. Networks become the blocklist. */
static void
reload_bans(struct server *s)
{
	struct ban_load *bl = mem_calloc(1, sizeof(*bl));
	int rc;

	if (bl == NULL)
		return;
	bl->s = s;
	rc = cidr_set_new(&bl->addrs);
	if (rc == 0)
		rc = load_blocklist(s, &bl->nets);
	if (rc == 0)
		rc = bans_list(s->rdb, (int64_t)wall_s(), load_ban, bl);
	if (rc == 0) {
		guard_foreach_ban(
		    s->guard, loop_now_ms(s->loop), find_stale, bl);
		/* Whoever removed these bans from the store already wrote
		 * the security log and the audit; applying it is not a
		 * second event. */
		for (size_t i = 0; i < bl->stale_n; i++) {
			struct guard_events ev = {0};
			char ip[INET6_ADDRSTRLEN + 1] = "";

			if (guard_unban(s->guard, &bl->stale[i],
			        loop_now_ms(s->loop), &ev) != 0)
				continue;
			if (cidr_addr_format(&bl->stale[i], ip, sizeof(ip)) != 0)
				ip[0] = '\0';
			log_info("security",
			    "msg=\"ban removed from the store applied\" src=%s",
			    ip);
		}
		guard_set_blocklist(s->guard, bl->nets);
		bl->nets = NULL;
	} else {
		log_warn("security", "msg=\"bans not loaded\" err=%d", rc);
	}
	cidr_set_free(bl->addrs);
	cidr_set_free(bl->nets);
	free(bl);
}

static void
on_stop(struct loop *l, int signo, void *arg)
{
	(void)arg;
	log_info("server", "msg=\"stopping\" signal=%d", signo);
	loop_stop(l);
}

static void
log_trunks(const struct trunkdir *t)
{
	log_info("server",
	    "msg=\"trunks loaded\" trunks=%zu usable=%zu "
	    "routes=%zu",
	    trunkdir_trunks(t), trunkdir_usable(t), trunkdir_routes(t));
}

/* The certificate names of the TLS trunks whose address is known: the
 * transport checks the operator's certificate against it. */
static void
trunk_tls_names(struct server *s)
{
	for (size_t i = 0; s->tp != NULL && s->trunks != NULL &&
	                   i < trunkdir_trunks(s->trunks);
	     i++) {
		const struct trunkdir_trunk *t =
		    trunkdir_trunk_at(s->trunks, i);

		if (t->usable && t->peer.transport == SIP_TXN_TP_TLS &&
		    sip_transport_set_tls_name(s->tp, &t->peer.addr,
		        t->peer.addr_len, t->info.host) != 0)
			log_warn("trunk", "msg=\"TLS name not set\" trunk=%s",
			    t->name);
	}
}

/* The callback argument of one trunk's resolution. */
struct trunk_dns {
	struct server *s;
	size_t index;
};

static void
trunk_resolved(
    void *arg, int status, const struct sip_txn_peer *peers, size_t n)
{
	struct trunk_dns *a = arg;
	struct server *s = a->s;
	const struct trunkdir_trunk *t = trunkdir_trunk_at(s->trunks, a->index);
	char ip[INET6_ADDRSTRLEN];

	if (status != 0 || n == 0) {
		log_warn("trunk",
		    "msg=\"trunk host not resolved\" trunk=%s "
		    "host=%s err=%d",
		    t->name, t->info.host, status);
		return;
	}
	trunkdir_set_peer(s->trunks, a->index, &peers[0]);
	trunk_tls_names(s);
	peer_ip(&peers[0], ip);
	log_info("trunk",
	    "msg=\"trunk host resolved\" trunk=%s host=%s "
	    "addr=%s port=%u targets=%zu",
	    t->name, t->info.host, ip, t->port, n);
	trunkrun_sync(s->trunkrun, s->trunks);
}

/* Starts resolving the trunks whose host is a name; the earlier table's
 * resolutions are forgotten. */
static void
resolve_trunks(struct server *s)
{
	size_t n = trunkdir_trunks(s->trunks);

	for (size_t i = 0; s->dns_args != NULL && i < s->dns_count; i++)
		resolver_cancel(s->dns, &s->dns_args[i]);
	free(s->dns_args);
	s->dns_args = n > 0 ? mem_calloc(n, sizeof(*s->dns_args)) : NULL;
	s->dns_count = s->dns_args != NULL ? n : 0;
	for (size_t i = 0; i < s->dns_count && s->dns != NULL; i++) {
		const struct trunkdir_trunk *t =
		    trunkdir_trunk_at(s->trunks, i);

		if (t->usable)
			continue;
		s->dns_args[i] = (struct trunk_dns){.s = s, .index = i};
		if (resolver_sip(s->dns, t->info.host,
		        (uint16_t)(t->info.port <= 65535 ? t->info.port : 0),
		        t->peer.transport, trunk_resolved,
		        &s->dns_args[i]) != 0)
			log_warn("trunk",
			    "msg=\"trunk host not resolved\" "
			    "trunk=%s",
			    t->name);
	}
}

/* From s->rdb; on failure the previous set stays. */
static void
reload_trunks(struct server *s)
{
	struct trunkdir *t;
	int rc = trunkdir_load(&t, s->rdb, s->keys);

	if (rc != 0) {
		log_error(
		    "server", "msg=\"trunks not reloaded, kept\" err=%d", rc);
		return;
	}
	trunkdir_free(s->trunks);
	s->trunks = t;
	log_trunks(t);
	trunk_tls_names(s);
	resolve_trunks(s);
	trunkrun_sync(s->trunkrun, t);
}

/* The alert channels from 'db' (rempart alert ...); the dispatcher is
 * made again only when they changed, since that waits for its queue. */
static void
reload_alerts(struct server *s, struct db *db)
{
	struct alert_config cfg;
	int rc;

	alert_config_init(&cfg);
	rc = alertcfg_load(db, s->keys, &cfg);
	if (rc != 0) {
		log_error("alert",
		    "msg=\"alert channels not loaded, kept\" "
		    "err=%d",
		    rc);
	} else if (s->alert == NULL ||
	           memcmp(&cfg, &s->alert_cfg, sizeof(cfg)) != 0) {
		alert_free(s->alert);
		s->alert = NULL;
		alert_config_wipe(&s->alert_cfg);
		s->alert_cfg = cfg;
		rc = alert_new(&s->alert, &cfg);
		if (rc != 0)
			log_error("alert",
			    "msg=\"alert channels not started\" "
			    "err=%d",
			    rc);
		else
			log_info("alert",
			    "msg=\"alert channels ready\" "
			    "webhook=%s email=%s",
			    cfg.webhook.url[0] != '\0' ? "on" : "off",
			    cfg.email.url[0] != '\0' ? "on" : "off");
	}
	alert_config_wipe(&cfg);
}

/* From 'db'; on failure the previous policy stays. */
static void
reload_fraud(struct server *s, struct db *db)
{
	struct fraudpolicy *fp;
	int rc = fraudpolicy_load(&fp, db);

	if (rc != 0) {
		log_error("server",
		    "msg=\"anti-fraud policy not loaded, kept\" err=%d", rc);
		return;
	}
	if (s->fraudrun != NULL) {
		rc = fraudrun_policy(s->fraudrun, fp, s->fraud);
		if (rc != 0) {
			log_error("server",
			    "msg=\"anti-fraud engine not "
			    "reconfigured, kept\" err=%d",
			    rc);
			fraudpolicy_free(fp);
			return;
		}
	}
	fraudpolicy_free(s->fraud);
	s->fraud = fp;
	log_info("server", "msg=\"anti-fraud policy loaded\" profiles=%zu",
	    fraudpolicy_profiles(fp));
}

static void
on_reload(struct loop *l, int signo, void *arg)
{
	struct server *s = arg;
	struct directory *d;
	int rc;

	(void)l;
	(void)signo;
	if (s->seclog != NULL && seclog_reopen(s->seclog) != 0)
		log_warn("security", "msg=\"security log not reopened\"");
	/* A connection of its own: the writer thread owns s->db, and a
	 * fresh one reads the latest commits of the CLI. */
	rc = db_open(&s->rdb, s->cfg.data_dir);
	if (rc != 0) {
		log_error("server", "msg=\"reload failed\" err=%d", rc);
		return;
	}
	reload_bans(s);
	reload_trunks(s);
	reload_fraud(s, s->rdb);
	reload_alerts(s, s->rdb);
	rc = directory_load(&d, s->rdb, s->keys);
	db_close(s->rdb);
	s->rdb = NULL;
	if (rc != 0) {
		log_error(
		    "server", "msg=\"reload failed, users kept\" err=%d", rc);
		return;
	}
	directory_free(s->dir);
	s->dir = d;
	log_info(
	    "server", "msg=\"users reloaded\" count=%zu", directory_count(d));
}

/* The destination tables (data/numplan: world, then France, then the
 * high-risk list, later entries winning). Without them every number
 * but 112 is unknown, hence high-risk and refused: fail closed. */
static int
load_plan(struct server *s)
{
	static const char *const files[] = {
	    "world.txt", "fr.txt", "high-risk.txt"};
	char path[4096];
	struct numplan_error err;
	int rc = numplan_new(&s->plan);

	for (size_t i = 0; rc == 0 && i < RP_ARRAY_LEN(files); i++) {
		snprintf(path, sizeof(path), "%s/numplan/%s",
		    s->cfg.share_dir != NULL ? s->cfg.share_dir : ".",
		    files[i]);
		rc = numplan_load_file(s->plan, path, &err);
		if (rc != 0)
			log_error("server",
			    "msg=\"number plan not loaded\" file=%s line=%u "
			    "reason=\"%s\"",
			    path, err.line,
			    err.reason != NULL ? err.reason : "");
	}
	if (rc == 0)
		log_info("server", "msg=\"number plan loaded\" entries=%zu",
		    numplan_count(s->plan));
	return rc;
}

static int
open_store(struct server *s)
{
	char realm[SETTINGS_VALUE_MAX + 1];
	int rc;

	rc = keys_load(s->cfg.data_dir, &s->keys);
	if (rc != 0) {
		log_error("server",
		    "msg=\"cannot load the master key; run "
		    "'rempart init'\" data=%s err=%d",
		    s->cfg.data_dir, rc);
		return rc;
	}
	rc = db_open(&s->db, s->cfg.data_dir);
	if (rc == 0)
		rc = seclog_open(&s->seclog, s->cfg.data_dir);
	if (rc == 0)
		rc = settings_get(
		    s->db, SETTINGS_SIP_REALM, realm, sizeof(realm));
	if (rc == 0)
		snprintf(s->realm, sizeof(s->realm), "%s", realm);
	if (rc == 0)
		rc = directory_load(&s->dir, s->db, s->keys);
	if (rc == 0)
		rc = trunkdir_load(&s->trunks, s->db, s->keys);
	if (rc == 0)
		reload_fraud(s, s->db);
	if (rc == 0)
		rc = load_plan(s);
	if (rc == 0)
		rc = sip_auth_new(&s->auth, sv_cstr(realm), NULL, NULL);
	if (rc != 0) {
		log_error("server", "msg=\"cannot open the store\" err=%d", rc);
		return rc;
	}
	log_info("server", "msg=\"store open\" realm=%s users=%zu", realm,
	    directory_count(s->dir));
	log_trunks(s->trunks);
	return 0;
}

static int
start_sip(struct server *s)
{
	static const struct sip_txn_tu tu_template = {
	    .request = on_request, .ack = on_ack, .stray = on_stray};
	struct registrar_hooks hooks = {
	    .saved = binding_saved,
	    .removed = binding_removed,
	    .arg = s,
	};
	struct sip_transport_config tcfg = {
	    .on_message = on_message,
	    .admit = admit,
	    .closed = conn_closed,
	    .lost = conn_lost,
	    .ctx = s,
	    .tls_allow_1_2 = s->cfg.tls_allow_1_2,
	    .tls_peer_ca_file = s->cfg.trunk_ca_file,
	};
	struct sip_txn_tu tu = tu_template;
	struct registrar_config rcfg;
	char cert[4096], key[4096];
	int rc;

	tu.ctx = s;
	registrar_config_default(&rcfg);
	if (s->cfg.min_expires_s != 0)
		rcfg.min_expires_s = s->cfg.min_expires_s;
	if (s->cfg.max_expires_s != 0)
		rcfg.max_expires_s = s->cfg.max_expires_s;
	if (rcfg.default_expires_s < rcfg.min_expires_s)
		rcfg.default_expires_s = rcfg.min_expires_s;
	if (rcfg.default_expires_s > rcfg.max_expires_s)
		rcfg.default_expires_s = rcfg.max_expires_s;
	snprintf(cert, sizeof(cert), "%s/tls/cert.pem", s->cfg.data_dir);
	snprintf(key, sizeof(key), "%s/tls/key.pem", s->cfg.data_dir);
	for (unsigned i = 0; i < s->cfg.nlisten; i++) {
		if (s->cfg.listen[i].transport == SIP_TXN_TP_TLS) {
			tcfg.tls_cert_file = cert;
			tcfg.tls_key_file = key;
		}
	}
	rc = registrar_new(&s->reg, s->loop, &rcfg, &hooks);
	if (rc == 0)
		rc = bindings_load_all(
		    s->db, (int64_t)wall_s(), restore_binding, s);
	if (rc == 0)
		rc = sip_transport_new(&s->tp, s->loop, &tcfg);
	if (rc == 0)
		rc = sip_txn_layer_new(
		    &s->txn, s->loop, NULL, sip_transport_send, s->tp, &tu);
	if (rc != 0) {
		log_error("server", "msg=\"cannot start SIP\" err=%d", rc);
		return rc;
	}
	log_info("server", "msg=\"registrations restored\" count=%zu",
	    registrar_count(s->reg));
	for (unsigned i = 0; i < s->cfg.nlisten; i++) {
		const struct server_listen *ls = &s->cfg.listen[i];

		rc = sip_transport_listen(s->tp,
		    (enum sip_txn_transport)ls->transport, ls->addr, ls->port);
		if (rc != 0) {
			log_error("server",
			    "msg=\"cannot listen\" "
			    "transport=%s addr=%s port=%u "
			    "err=%d",
			    transport_names[ls->transport], ls->addr, ls->port,
			    rc);
			return rc;
		}
		log_info("server", "msg=listening transport=%s addr=%s port=%u",
		    transport_names[ls->transport], ls->addr,
		    sip_transport_port(s->tp,
		        (enum sip_txn_transport)ls->transport,
		        strchr(ls->addr, ':') != NULL ? AF_INET6 : AF_INET));
	}
	return 0;
}

static int
start_guard(struct server *s)
{
	struct guard_config gcfg;
	struct cidr_set *trusted = NULL;
	int rc;

	guard_config_defaults(&gcfg);
	rc = cidr_set_new(&trusted);
	if (rc == 0 && s->cfg.trusted != NULL) {
		/* "a,b,c": the same parser as a blocklist, one per line. */
		char lines[1024];
		size_t n = strlen(s->cfg.trusted);

		if (n >= sizeof(lines)) {
			rc = -EINVAL;
		} else {
			for (size_t i = 0; i <= n; i++)
				lines[i] = s->cfg.trusted[i] == ','
				               ? '\n'
				               : s->cfg.trusted[i];
			rc = cidr_set_add_lines(
			    trusted, sv_make(lines, n), NULL, NULL, NULL, NULL);
		}
	}
	if (rc == 0) {
		gcfg.trusted = trusted;
		gcfg.reject_403 = s->cfg.banned_reject_403;
		rc = guard_new(&s->guard, &gcfg);
	}
	cidr_set_free(trusted);
	if (rc != 0) {
		log_error("server",
		    "msg=\"cannot start the guard (bad "
		    "--trusted?)\" err=%d",
		    rc);
		return rc;
	}
	loop_timer_init(&s->guard_tick, guard_tick, s);
	return loop_timer_start(s->loop, &s->guard_tick, 1000);
}

/* Publishes what supervision reads (pbx/livepub.h). */
static void
live_publish_now(struct server *s)
{
	struct livepub_src src = {
	    .calls = s->calls,
	    .reg = s->reg,
	    .trunks = s->trunks,
	    .trunkrun = s->trunkrun,
	    .fraudrun = s->fraudrun,
	};

	if (livepub_publish(s->livepub, &src) != 0)
		log_warn("server", "msg=\"live snapshot not published\"");
}

static void
live_tick(struct loop *l, void *arg)
{
	struct server *s = arg;

	live_publish_now(s);
	if (loop_timer_start(l, &s->live_tick, LIVEPUB_INTERVAL_MS) != 0)
		log_error("server", "msg=\"live timer not restarted\"");
}

/* Hang-ups posted by the API: carried out, then shown at once. */
static void
live_hangup_ready(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct server *s = arg;

	(void)l;
	(void)fd;
	(void)events;
	if (livepub_hangups(s->livepub, s->calls) > 0)
		live_publish_now(s);
}

static int
start_live(struct server *s)
{
	int rc;

	if (s->cfg.live == NULL)
		return 0;
	rc = livepub_new(&s->livepub, s->cfg.live);
	if (rc == 0)
		rc = loop_add_fd(s->loop, live_hangup_fd(s->cfg.live), EPOLLIN,
		    live_hangup_ready, s);
	if (rc == 0) {
		loop_timer_init(&s->live_tick, live_tick, s);
		rc = loop_timer_start(s->loop, &s->live_tick, 0);
	}
	return rc;
}

int
server_new(struct server **out, struct loop *l, const struct server_config *cfg)
{
	struct server *s = mem_calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return -ENOMEM;
	s->loop = l;
	s->cfg = *cfg;
	buf_init(&s->out, SIP_MSG_MAX);
	buf_init(&s->hdrs, SIP_MSG_MAX);
	rc = open_store(s);
	if (rc == 0)
		rc = start_guard(s);
	if (rc == 0) {
		/* Before the writer takes the connection over. */
		s->rdb = s->db;
		reload_bans(s);
		s->rdb = NULL;
		rc = writer_new(&s->writer, s->db);
	}
	if (rc == 0)
		rc = loop_add_fd(l, writer_completion_fd(s->writer), EPOLLIN,
		    writer_ready, s);
	if (rc == 0)
		rc = start_sip(s);
	if (rc == 0)
		rc = loop_on_signal(l, SIGTERM, on_stop, s);
	if (rc == 0)
		rc = loop_on_signal(l, SIGINT, on_stop, s);
	if (rc == 0)
		rc = loop_on_signal(l, SIGHUP, on_reload, s);
	/* After the signals are blocked: the media workers inherit it. */
	if (rc == 0)
		rc = start_calls(s);
	if (rc == 0)
		rc = start_trunks_and_alerts(s);
	if (rc == 0) {
		loop_timer_init(&s->audit_tick, audit_tick, s);
		rc = loop_timer_start(l, &s->audit_tick, 60000u);
	}
	if (rc == 0)
		rc = start_live(s);
	if (rc != 0) {
		server_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
server_free(struct server *s)
{
	if (s == NULL)
		return;
	if (s->livepub != NULL) {
		if (s->live_tick.cb != NULL)
			loop_timer_stop(s->loop, &s->live_tick);
		loop_del_fd(s->loop, live_hangup_fd(s->cfg.live));
		livepub_free(s->livepub);
	}
	fraudrun_free(s->fraudrun);
	calls_free(s->calls);
	trunkrun_free(s->trunkrun);
	resolver_free(s->dns);
	free(s->dns_args);
	sip_txn_layer_free(s->txn);
	media_relay_free(s->relay);
	sip_transport_free(s->tp);
	if (s->audit_tick.cb != NULL)
		loop_timer_stop(s->loop, &s->audit_tick);
	if (s->guard != NULL) {
		loop_timer_stop(s->loop, &s->guard_tick);
		guard_free(s->guard);
	}
	registrar_free(s->reg);
	if (s->writer != NULL) {
		loop_del_fd(s->loop, writer_completion_fd(s->writer));
		writer_free(s->writer);
	}
	sip_auth_free(s->auth);
	directory_free(s->dir);
	trunkdir_free(s->trunks);
	fraudpolicy_free(s->fraud);
	alert_free(s->alert);
	alert_config_wipe(&s->alert_cfg);
	numplan_free(s->plan);
	seclog_close(s->seclog);
	db_close(s->db);
	keys_free(s->keys);
	buf_release(&s->out);
	buf_release(&s->hdrs);
	free(s);
}
