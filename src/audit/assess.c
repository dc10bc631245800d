/* Security self-assessment: catalogue, facts, evaluation. */
#include "audit/assess.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "admin/apikeys.h"
#include "admin/rbac.h"
#include "policy/guard.h"
#include "policy/secret.h"
#include "rempart_version.h"
#include "store/audit.h"
#include "store/bans.h"
#include "store/settings.h"
#include "store/trunks.h"
#include "store/users.h"

#define DAY_S 86400LL
#define NAMES_SHOWN 3u

const char *
assess_band(unsigned points)
{
	/* GUIDE's bands, on points / 2. */
	if (points >= 48)
		return "excellent";
	if (points >= 36)
		return "satisfactory";
	if (points >= 24)
		return "moderate";
	if (points >= 12)
		return "weak";
	return "critical";
}

/* ---- Runtime facts ---- */

static void
copy_text(char *out, size_t size, const char *in)
{
	snprintf(out, size, "%s", in != NULL ? in : "");
}

void
assess_facts_defaults(struct assess_facts *f)
{
	struct guard_config g;
	static const struct assess_listen def[] = {
	    {"udp", "0.0.0.0", 5060},
	    {"tcp", "0.0.0.0", 5060},
	    {"tls", "0.0.0.0", 5061},
	};

	memset(f, 0, sizeof(*f));
	copy_text(f->version, sizeof(f->version), RP_VERSION);
	f->nlisten = RP_ARRAY_LEN(def);
	memcpy(f->listen, def, sizeof(def));
	copy_text(f->digest, sizeof(f->digest), "both");
	guard_config_defaults(&g);
	f->auth_fail_threshold = g.auth_fail_threshold;
	f->auth_window_s = g.auth_window_ms / 1000u;
	f->ban_base_s = (uint32_t)(g.ban_base_ms / 1000u);
	f->ban_max_s = (uint32_t)(g.ban_max_ms / 1000u);
	f->req_rate = g.req_rate;
	f->sweep_threshold = g.sweep_threshold;
	f->scanner_user_agents = g.scanner_user_agents;
}

static int
facts_path(const char *data_dir, const char *suffix, char *out, size_t size)
{
	int n =
	    snprintf(out, size, "%s/%s%s", data_dir, ASSESS_FACTS_FILE, suffix);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static json_t *
facts_json(const struct assess_facts *f)
{
	json_t *o, *ls = json_array();

	if (ls == NULL)
		return NULL;
	for (unsigned i = 0; i < f->nlisten && i < ASSESS_LISTEN_MAX; i++) {
		json_t *l = json_pack("{s:s,s:s,s:i}", "transport",
		    f->listen[i].transport, "addr", f->listen[i].addr, "port",
		    (int)f->listen[i].port);

		if (l == NULL || json_array_append_new(ls, l) != 0) {
			json_decref(ls);
			return NULL;
		}
	}
	o = json_pack("{s:i,s:s,s:I,s:I,s:o,s:b,s:b,s:s,s:{s:i,s:i,s:i,s:i,s:i,"
	              "s:i,s:b},s:{s:b,s:s,s:i,s:s}}",
	    "facts_version", 1, "version", f->version, "started_at",
	    (json_int_t)f->started_at, "pid", (json_int_t)f->pid, "listen", ls,
	    "tls_allow_1_2", f->tls_allow_1_2, "fraud_off", f->fraud_off,
	    "digest", f->digest, "guard", "auth_fail_threshold",
	    (int)f->auth_fail_threshold, "auth_window_s", (int)f->auth_window_s,
	    "ban_base_s", (int)f->ban_base_s, "ban_max_s", (int)f->ban_max_s,
	    "req_rate", (int)f->req_rate, "sweep_threshold",
	    (int)f->sweep_threshold, "scanner_user_agents",
	    f->scanner_user_agents, "api", "on", f->api_on, "addr", f->api_addr,
	    "port", (int)f->api_port, "allow", f->api_allow);
	return o;
}

int
assess_facts_write(const char *data_dir, const struct assess_facts *f)
{
	char path[4096], tmp[4096];
	json_t *o = facts_json(f);
	char *text;
	size_t len;
	int fd, rc = 0;

	if (o == NULL)
		return -ENOMEM;
	text = json_dumps(o, JSON_INDENT(1));
	json_decref(o);
	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	rc = facts_path(data_dir, "", path, sizeof(path));
	if (rc == 0)
		rc = facts_path(data_dir, ".tmp", tmp, sizeof(tmp));
	if (rc != 0)
		goto out;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		rc = errno != 0 ? -errno : -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		(void)unlink(tmp);
out:
	free(text);
	return rc;
}

void
assess_facts_remove(const char *data_dir)
{
	char path[4096];

	if (facts_path(data_dir, "", path, sizeof(path)) == 0)
		(void)unlink(path);
}

static uint32_t
json_u32(json_t *o, const char *key, uint32_t dflt)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!json_is_integer(v))
		return dflt;
	n = json_integer_value(v);
	return n < 0 || n > (json_int_t)UINT32_MAX ? dflt : (uint32_t)n;
}

static bool
json_flag(json_t *o, const char *key, bool dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static void
json_text(json_t *o, const char *key, char *out, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (json_is_string(v) && json_string_length(v) < size)
		copy_text(out, size, json_string_value(v));
}

static void
facts_listen(json_t *ls, struct assess_facts *f)
{
	size_t i;
	json_t *l;

	if (!json_is_array(ls))
		return;
	f->nlisten = 0;
	json_array_foreach(ls, i, l)
	{
		struct assess_listen *d;

		if (f->nlisten == ASSESS_LISTEN_MAX)
			break;
		d = &f->listen[f->nlisten];
		memset(d, 0, sizeof(*d));
		json_text(l, "transport", d->transport, sizeof(d->transport));
		json_text(l, "addr", d->addr, sizeof(d->addr));
		d->port = (uint16_t)json_u32(l, "port", 0);
		if (d->port > 0 && d->transport[0] != '\0')
			f->nlisten++;
	}
}

int
assess_facts_load(const char *data_dir, struct assess_facts *out)
{
	char path[4096];
	json_error_t jerr;
	json_t *o, *g, *api;
	int rc;

	assess_facts_defaults(out);
	rc = facts_path(data_dir, "", path, sizeof(path));
	if (rc != 0)
		return rc;
	o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL)
		return access(path, F_OK) != 0 ? -ENOENT : -EBADMSG;
	if (!json_is_object(o) || json_u32(o, "facts_version", 0) != 1) {
		json_decref(o);
		return -EBADMSG;
	}
	json_text(o, "version", out->version, sizeof(out->version));
	out->started_at = (int64_t)json_u32(o, "started_at", 0);
	out->pid = (int64_t)json_u32(o, "pid", 0);
	facts_listen(json_object_get(o, "listen"), out);
	out->tls_allow_1_2 = json_flag(o, "tls_allow_1_2", false);
	out->fraud_off = json_flag(o, "fraud_off", false);
	json_text(o, "digest", out->digest, sizeof(out->digest));
	g = json_object_get(o, "guard");
	out->auth_fail_threshold =
	    json_u32(g, "auth_fail_threshold", out->auth_fail_threshold);
	out->auth_window_s = json_u32(g, "auth_window_s", out->auth_window_s);
	out->ban_base_s = json_u32(g, "ban_base_s", out->ban_base_s);
	out->ban_max_s = json_u32(g, "ban_max_s", out->ban_max_s);
	out->req_rate = json_u32(g, "req_rate", out->req_rate);
	out->sweep_threshold =
	    json_u32(g, "sweep_threshold", out->sweep_threshold);
	out->scanner_user_agents =
	    json_flag(g, "scanner_user_agents", out->scanner_user_agents);
	api = json_object_get(o, "api");
	out->api_on = json_flag(api, "on", false);
	json_text(api, "addr", out->api_addr, sizeof(out->api_addr));
	out->api_port = (uint16_t)json_u32(api, "port", 0);
	json_text(api, "allow", out->api_allow, sizeof(out->api_allow));
	json_decref(o);
	/* A daemon killed without its clean exit leaves the file behind:
	 * facts count only while their writer lives. */
	if (out->pid <= 1 ||
	    (kill((pid_t)out->pid, 0) != 0 && errno != EPERM)) {
		assess_facts_defaults(out);
		return -ENOENT;
	}
	return 0;
}

/* ---- Evaluation ---- */

/* What the items read, gathered once. */
struct names {
	unsigned n;
	char v[NAMES_SHOWN][APIKEYS_ID_STRLEN + USERS_EXT_MAX];
};

struct stats {
	int64_t now;
	struct db *db;
	int err;
	/* users */
	uint64_t users, enabled, srtp, acl, unused, disabled;
	struct names plain, no_acl, idle;
	/* trunks */
	uint64_t trunks, trunks_acl, trunks_tls;
	struct names trunk_open, trunk_plain;
	/* bans */
	uint64_t bans_auto, bans_admin;
	/* API keys (active: neither revoked nor expired) */
	uint64_t keys, keys_by_role[RBAC_ROLE_COUNT], keys_idle, keys_long;
	struct names admin_keys, idle_keys, long_keys;
	/* registrations by transport */
	uint64_t reg_udp, reg_tcp, reg_tls;
	/* call records */
	uint64_t cdrs, cdrs_denied, cdrs_denied_30d;
	int64_t cdr_oldest_ms;
	/* audit */
	int verify_rc;
	struct audit_verify_result verify;
	uint64_t admin_actions_30d;
	uint32_t retention_days;
	int retention_rc;
};

static void
names_add(struct names *n, const char *v)
{
	if (n->n < NAMES_SHOWN)
		copy_text(n->v[n->n], sizeof(n->v[0]), v);
	n->n++;
}

/* "100, 101, 102 and 3 more" of 'total' names. */
static const char *
names_text(const struct names *n, uint64_t total, char *out, size_t size)
{
	size_t used = 0;
	unsigned shown = n->n < NAMES_SHOWN ? n->n : NAMES_SHOWN;

	out[0] = '\0';
	for (unsigned i = 0; i < shown && used < size; i++) {
		int k = snprintf(out + used, size - used, "%s%s",
		    i == 0 ? "" : ", ", n->v[i]);

		if (k < 0)
			break;
		used += (size_t)k;
	}
	if (total > shown && used < size)
		snprintf(out + used, size - used, " and %" PRIu64 " more",
		    total - shown);
	return out;
}

/* 18422 -> "18,422". */
static const char *
group(uint64_t v, char out[32])
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v), o = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
	return out;
}

static const char *
utc_date(int64_t secs, char *out, size_t size)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%d", &tm) == 0)
		return "?";
	return out;
}

static const char *
utc_time(int64_t secs, char *out, size_t size)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return "?";
	return out;
}

/* One row, one integer column: texts bound to ?1..?ntexts, then 'n' to
 * the next placeholder when 'with_n'. */
static int
count_rows(struct db *db, const char *sql, const struct sv *texts, int ntexts,
    bool with_n, int64_t n, uint64_t *out)
{
	struct db_stmt *st;
	int rc = db_prepare(db, sql, &st);

	if (rc != 0)
		return rc;
	for (int i = 0; i < ntexts; i++)
		db_bind_text(st, i + 1, texts[i]);
	if (with_n)
		db_bind_int64(st, ntexts + 1, n);
	rc = db_step(st);
	*out = 0;
	if (rc == DB_ROW) {
		int64_t v = db_col_int64(st, 0);

		*out = v > 0 ? (uint64_t)v : 0;
		rc = 0;
	} else if (rc == DB_DONE) {
		rc = 0;
	}
	db_finish(st);
	return rc;
}

/* An extension is active when a registration of it was refreshed, or a
 * call record names it, within ASSESS_UNUSED_DAYS. The store keeps live
 * registrations only, so the call records matter too. */
static int
ext_active(struct stats *s, const char *ext, bool *active)
{
	char sip[USERS_EXT_MAX + 8];
	int64_t since = s->now - ASSESS_UNUSED_DAYS * DAY_S;
	struct sv t[2];
	uint64_t n = 0;
	int rc;

	snprintf(sip, sizeof(sip), "sip:%s@", ext);
	t[0] = sv_cstr(ext);
	t[1] = sv_cstr(sip);
	rc = count_rows(s->db,
	    "SELECT COUNT(*) FROM bindings WHERE (aor = ?1 OR "
	    "substr(aor, 1, length(?2)) = ?2) AND updated_at >= ?3",
	    t, 2, true, since, &n);
	if (rc == 0 && n == 0)
		rc = count_rows(s->db,
		    "SELECT COUNT(*) FROM cdrs WHERE (caller_ext = ?1 OR "
		    "callee = ?1) AND start_ms >= ?2",
		    t, 1, true, since * 1000, &n);
	*active = n > 0;
	return rc;
}

static int
user_cb(void *arg, const struct user_info *u)
{
	struct stats *s = arg;
	bool active = true;
	int rc;

	s->users++;
	if (!u->enabled) {
		s->disabled++;
		return 0;
	}
	s->enabled++;
	if (u->srtp_required)
		s->srtp++;
	else
		names_add(&s->plain, u->ext);
	if (u->acl[0] != '\0')
		s->acl++;
	else
		names_add(&s->no_acl, u->ext);
	if (s->now - u->created_at >= ASSESS_UNUSED_DAYS * DAY_S) {
		rc = ext_active(s, u->ext, &active);
		if (rc != 0)
			return rc;
	}
	if (!active) {
		s->unused++;
		names_add(&s->idle, u->ext);
	}
	return 0;
}

static int
trunk_cb(void *arg, const struct trunk_info *t)
{
	struct stats *s = arg;

	s->trunks++;
	if (t->acl[0] != '\0')
		s->trunks_acl++;
	else
		names_add(&s->trunk_open, t->name);
	if (t->transport == TRUNK_TRANSPORT_TLS)
		s->trunks_tls++;
	else
		names_add(&s->trunk_plain, t->name);
	return 0;
}

static int
ban_cb(void *arg, const struct ban_record *b)
{
	struct stats *s = arg;

	if (sv_eq(b->source, SV(BANS_SOURCE_ADMIN)))
		s->bans_admin++;
	else
		s->bans_auto++;
	return 0;
}

static int
key_cb(void *arg, const struct apikey_info *k)
{
	struct stats *s = arg;
	int64_t last = k->last_used_at != 0 ? k->last_used_at : k->created_at;

	if (k->revoked || k->expires_at <= s->now)
		return 0;
	s->keys++;
	if ((unsigned)k->role < RBAC_ROLE_COUNT)
		s->keys_by_role[k->role]++;
	if (k->role == RBAC_ROLE_ADMIN)
		names_add(&s->admin_keys, k->id);
	if (s->now - last >= ASSESS_UNUSED_DAYS * DAY_S) {
		s->keys_idle++;
		names_add(&s->idle_keys, k->id);
	}
	if (k->expires_at - s->now > CHECKLIST_ATTEST_VALID_DAYS * DAY_S) {
		s->keys_long++;
		names_add(&s->long_keys, k->id);
	}
	return 0;
}

static int
audit_cb(void *arg, const struct audit_entry *e)
{
	struct stats *s = arg;

	if (sv_eq(e->role, SV("admin")))
		s->admin_actions_30d++;
	return 0;
}

static int
gather(const struct assess_input *in, struct stats *s)
{
	struct db_stmt *st;
	int rc;

	s->now = in->now;
	s->db = in->db;
	rc = users_list(in->db, user_cb, s);
	if (rc == 0)
		rc = trunks_list(in->db, trunk_cb, s);
	if (rc == 0)
		rc = bans_list(in->db, in->now, ban_cb, s);
	if (rc == 0)
		rc = apikeys_list(in->db, key_cb, s);
	if (rc == 0)
		rc = audit_list(in->db,
		    (in->now - ASSESS_UNUSED_DAYS * DAY_S) * 1000, 0, audit_cb,
		    s);
	if (rc != 0)
		return rc;
	rc = db_prepare(in->db,
	    "SELECT COALESCE(SUM(CASE WHEN substr(source, 1, 4) = 'udp:' "
	    "THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN substr(source, "
	    "1, 4) = 'tcp:' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN "
	    "substr(source, 1, 4) = 'tls:' THEN 1 ELSE 0 END), 0) FROM "
	    "bindings WHERE expires_at > ?1",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_int64(st, 1, in->now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		s->reg_udp = (uint64_t)db_col_int64(st, 0);
		s->reg_tcp = (uint64_t)db_col_int64(st, 1);
		s->reg_tls = (uint64_t)db_col_int64(st, 2);
		rc = 0;
	}
	db_finish(st);
	if (rc != 0)
		return rc;
	rc = db_prepare(in->db,
	    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN disposition = 'denied' "
	    "THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN disposition = "
	    "'denied' AND start_ms >= ?1 THEN 1 ELSE 0 END), 0), "
	    "COALESCE(MIN(start_ms), 0) FROM cdrs",
	    &st);
	if (rc != 0)
		return rc;
	db_bind_int64(st, 1, (in->now - ASSESS_UNUSED_DAYS * DAY_S) * 1000);
	rc = db_step(st);
	if (rc == DB_ROW) {
		s->cdrs = (uint64_t)db_col_int64(st, 0);
		s->cdrs_denied = (uint64_t)db_col_int64(st, 1);
		s->cdrs_denied_30d = (uint64_t)db_col_int64(st, 2);
		s->cdr_oldest_ms = db_col_int64(st, 3);
		rc = 0;
	}
	db_finish(st);
	if (rc != 0)
		return rc;
	s->verify_rc = in->keys != NULL
	                   ? audit_verify(in->db, in->keys, &s->verify)
	                   : -ENOKEY;
	s->retention_rc = audit_retention_days(in->db, &s->retention_days);
	return 0;
}

RP_PRINTF(2, 3)
static void
evidence(struct assess_result *r, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(r->evidence);

	va_start(ap, fmt);
	vsnprintf(r->evidence + used, sizeof(r->evidence) - used, fmt, ap);
	va_end(ap);
}

RP_PRINTF(2, 3)
static void
remedy(struct assess_result *r, const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(r->remediation);

	va_start(ap, fmt);
	vsnprintf(
	    r->remediation + used, sizeof(r->remediation) - used, fmt, ap);
	va_end(ap);
}

struct ctx {
	const struct assess_input *in;
	const struct assess_facts *facts; /* never NULL */
	bool running;
	struct stats s;
};

/* "daemon not running; by default " before evidence built on facts. */
static void
facts_prefix(const struct ctx *c, struct assess_result *r)
{
	if (!c->running)
		evidence(r, "daemon not running (scored from the defaults): ");
}

static void
eval_g1(struct ctx *c, struct assess_result *r)
{
	r->points = 2;
	evidence(r,
	    "SIP secrets of %" PRIu64 " extensions checked by the policy on "
	    "every change (at least %u characters, %u of 4 classes, not a "
	    "common password, no extension, no runs); administration by API "
	    "keys of 256 random bits that expire",
	    c->s.users, SECRET_MIN_LEN, SECRET_MIN_CLASSES);
}

static void
eval_g2(struct ctx *c, struct assess_result *r)
{
	char ids[128];
	uint64_t admins = c->s.keys_by_role[RBAC_ROLE_ADMIN];
	uint64_t accounts = 0, no_totp = 0;

	/* Administrator and auditor accounts (rempart admin): TOTP is
	 * mandatory for them, enrolled at the first login. */
	(void)count_rows(c->in->db,
	    "SELECT COUNT(*) FROM admins WHERE disabled = 0 AND role IN "
	    "('admin', 'auditor')",
	    NULL, 0, false, 0, &accounts);
	(void)count_rows(c->in->db,
	    "SELECT COUNT(*) FROM admins WHERE disabled = 0 AND role IN "
	    "('admin', 'auditor') AND totp_enrolled = 0",
	    NULL, 0, false, 0, &no_totp);
	if (no_totp > 0) {
		r->points = 0;
		evidence(r,
		    "%" PRIu64 " of %" PRIu64
		    " admin and auditor accounts have "
		    "not enrolled TOTP yet (they can do nothing else until "
		    "they "
		    "do)",
		    no_totp, accounts);
		remedy(r, "each of them logs in and enrols TOTP "
		          "(POST /api/v1/totp/enrol), or rempart admin disable "
		          "NAME");
		return;
	}
	if (admins > 0) {
		r->points = 0;
		evidence(r,
		    "%" PRIu64
		    " active admin API key(s) (%s) authenticate with "
		    "one factor",
		    admins,
		    names_text(&c->s.admin_keys, admins, ids, sizeof(ids)));
		remedy(r,
		    "rempart apikey revoke %s (administer through accounts "
		    "with TOTP: rempart admin add NAME --role admin)",
		    c->s.admin_keys.v[0]);
		return;
	}
	if (accounts > 0) {
		r->points = 2;
		evidence(r,
		    "all %" PRIu64 " admin and auditor accounts use TOTP; no "
		    "admin API key",
		    accounts);
		return;
	}
	r->points = 1;
	evidence(r, "no administrator account and no admin API key: "
	            "administration only through the CLI on the host, whose "
	            "login decides MFA");
	remedy(r, "rempart admin add NAME --role admin --generate-password "
	          "(TOTP enrolled at the first login), and a second factor "
	          "for logins to this host");
}

static void
eval_g4(struct ctx *c, struct assess_result *r)
{
	r->points = 2;
	evidence(r,
	    "no default account or secret exists: %" PRIu64 " extensions and "
	    "%" PRIu64 " trunks, each secret set by an admin or generated; "
	    "no built-in admin account",
	    c->s.users, c->s.trunks);
}

static void
eval_g5(struct ctx *c, struct assess_result *r)
{
	char a[128], b[128];
	uint64_t bad = c->s.unused + c->s.keys_idle;
	uint64_t all = c->s.enabled + c->s.keys;

	r->points = bad == 0 ? 2 : bad * 2 > all ? 0 : 1;
	evidence(r,
	    "%" PRIu64 " of %" PRIu64 " enabled extensions not registered nor "
	    "in a call for %d days; %" PRIu64 " of %" PRIu64
	    " active API keys unused for %d days; %" PRIu64
	    " extensions disabled",
	    c->s.unused, c->s.enabled, ASSESS_UNUSED_DAYS, c->s.keys_idle,
	    c->s.keys, ASSESS_UNUSED_DAYS, c->s.disabled);
	if (c->s.unused > 0)
		remedy(r, "rempart user disable EXT for %s",
		    names_text(&c->s.idle, c->s.unused, a, sizeof(a)));
	if (c->s.keys_idle > 0)
		remedy(r, "%srempart apikey revoke ID for %s",
		    c->s.unused > 0 ? "; " : "",
		    names_text(&c->s.idle_keys, c->s.keys_idle, b, sizeof(b)));
}

static void
eval_g7(struct ctx *c, struct assess_result *r)
{
	char a[128], b[128];
	bool trunks_ok = c->s.trunks_acl == c->s.trunks;
	bool users_ok = c->s.acl == c->s.enabled;

	r->points = trunks_ok && users_ok       ? 2
	            : trunks_ok || c->s.acl > 0 ? 1
	                                        : 0;
	evidence(r,
	    "%" PRIu64 " of %" PRIu64 " trunks accept calls only from their "
	    "declared networks; %" PRIu64 " of %" PRIu64
	    " enabled extensions restricted to networks (acl)",
	    c->s.trunks_acl, c->s.trunks, c->s.acl, c->s.enabled);
	if (!trunks_ok)
		remedy(r, "rempart trunk set NAME --acl CIDR for %s",
		    names_text(&c->s.trunk_open, c->s.trunks - c->s.trunks_acl,
		        a, sizeof(a)));
	if (!users_ok)
		remedy(r, "%srempart user set EXT --acl CIDR for %s",
		    trunks_ok ? "" : "; ",
		    names_text(
		        &c->s.no_acl, c->s.enabled - c->s.acl, b, sizeof(b)));
}

static void
eval_g8(struct ctx *c, struct assess_result *r)
{
	const struct assess_facts *f = c->facts;

	r->points = (f->auth_fail_threshold > 0) + f->scanner_user_agents;
	facts_prefix(c, r);
	evidence(r,
	    "guard bans a source after %u failed authentications in %u s "
	    "(bans from %u s, doubling to %u s), scanners by User-Agent %s, "
	    "sweeps of %u users; %" PRIu64 " active bans (%" PRIu64
	    " automatic, %" PRIu64 " by admins)",
	    f->auth_fail_threshold, f->auth_window_s, f->ban_base_s,
	    f->ban_max_s, f->scanner_user_agents ? "on" : "off",
	    f->sweep_threshold, c->s.bans_auto + c->s.bans_admin,
	    c->s.bans_auto, c->s.bans_admin);
	if (r->points < 2)
		remedy(r, "run rempartd with the default guard settings");
}

/* Loopback, RFC 1918 and unique-local networks: reachable over a VPN
 * or the LAN only. */
static bool
private_net(struct sv n)
{
	static const char *const pfx[] = {"127.", "10.", "192.168.", "::1",
	    "fc", "fd", "172.16.", "172.17.", "172.18.", "172.19.", "172.2",
	    "172.30.", "172.31."};

	for (size_t i = 0; i < RP_ARRAY_LEN(pfx); i++)
		if (sv_starts_with(n, sv_cstr(pfx[i])))
			return true;
	return false;
}

static void
eval_g9(struct ctx *c, struct assess_result *r)
{
	const struct assess_facts *f = c->facts;
	struct sv list, item;
	bool open = false, public = false;

	facts_prefix(c, r);
	if (!f->api_on) {
		r->points = 2;
		evidence(r, "administration API off; the CLI works on the "
		            "host only");
		return;
	}
	list = sv_cstr(
	    f->api_allow[0] != '\0' ? f->api_allow : "127.0.0.0/8,::1/128");
	while (list.len > 0) {
		if (!sv_split(&list, ',', &item)) {
			item = list;
			list.len = 0;
		}
		item = sv_trim(item);
		if (sv_eq(item, SV("0.0.0.0/0")) || sv_eq(item, SV("::/0")))
			open = true;
		else if (!private_net(item))
		public = true;
	}
	r->points = open ? 0 : public ? 1 : 2;
	evidence(r, "administration API on %s port %u, allowed from %s",
	    f->api_addr, (unsigned)f->api_port,
	    f->api_allow[0] != '\0' ? f->api_allow : "this host only");
	if (r->points < 2)
		remedy(r, "restart rempartd with --api-allow set to the VPN "
		          "and admin networks only (e.g. --api-allow "
		          "10.8.0.0/24)");
}

static void
eval_g11(struct ctx *c, struct assess_result *r)
{
	char a[128];
	uint64_t plain = c->s.enabled - c->s.srtp;

	r->points = plain == 0 ? 2 : c->s.srtp > 0 ? 1 : 0;
	evidence(r,
	    "%" PRIu64 " of %" PRIu64 " enabled extensions accept plain RTP "
	    "(SRTP offered to all, required for %" PRIu64 ")",
	    plain, c->s.enabled, c->s.srtp);
	if (plain > 0)
		remedy(r, "rempart user set EXT --srtp required for %s",
		    names_text(&c->s.plain, plain, a, sizeof(a)));
}

static void
listeners_text(const struct assess_facts *f, struct assess_result *r)
{
	for (unsigned i = 0; i < f->nlisten; i++)
		evidence(r, "%s%s %s:%u", i == 0 ? "" : ", ",
		    f->listen[i].transport, f->listen[i].addr,
		    (unsigned)f->listen[i].port);
}

static void
eval_g12(struct ctx *c, struct assess_result *r)
{
	const struct assess_facts *f = c->facts;
	unsigned tls = 0, plain = 0;

	for (unsigned i = 0; i < f->nlisten; i++) {
		if (strcmp(f->listen[i].transport, "tls") == 0)
			tls++;
		else
			plain++;
	}
	r->points = tls == 0 ? 0 : plain == 0 ? 2 : 1;
	facts_prefix(c, r);
	evidence(r, "listeners: ");
	listeners_text(f, r);
	evidence(r,
	    "; live registrations: %" PRIu64 " TLS, %" PRIu64 " TCP, %" PRIu64
	    " UDP",
	    c->s.reg_tls, c->s.reg_tcp, c->s.reg_udp);
	if (r->points < 2)
		remedy(r, "move phones to TLS, then run rempartd with TLS "
		          "listeners only: --listen tls:0.0.0.0:5061");
}

static void
eval_g13(struct ctx *c, struct assess_result *r)
{
	char a[128];
	uint64_t plain = c->s.trunks - c->s.trunks_tls;

	if (c->s.trunks == 0) {
		r->points = 2;
		evidence(r, "no operator trunk: calls stay on rempart's own "
		            "legs (TLS and SRTP per G12 and G11)");
		return;
	}
	r->points = plain == 0 ? 2 : c->s.trunks_tls > 0 ? 1 : 0;
	evidence(r, "%" PRIu64 " of %" PRIu64 " operator trunks use TLS",
	    c->s.trunks_tls, c->s.trunks);
	if (plain > 0)
		remedy(r,
		    "rempart trunk set NAME --transport tls (if the operator "
		    "offers it) for %s",
		    names_text(&c->s.trunk_plain, plain, a, sizeof(a)));
}

static void
eval_g14(struct ctx *c, struct assess_result *r)
{
	const struct assess_facts *f = c->facts;
	bool md5_only = strcmp(f->digest, "md5") == 0;

	r->points = 2 - (unsigned)f->tls_allow_1_2 - (unsigned)md5_only;
	facts_prefix(c, r);
	evidence(r,
	    "SIP over TLS: %s; HTTPS API: TLS 1.3 only; SSL and TLS 1.0/1.1 "
	    "never offered; digest algorithms: %s",
	    f->tls_allow_1_2 ? "TLS 1.2 and 1.3" : "TLS 1.3 only",
	    strcmp(f->digest, "both") == 0 ? "SHA-256 and MD5"
	    : md5_only                     ? "MD5 only"
	                                   : "SHA-256 only");
	if (f->tls_allow_1_2)
		remedy(r, "restart rempartd without --tls-allow-1.2");
	if (md5_only)
		remedy(r, "%srestart rempartd with --digest both",
		    f->tls_allow_1_2 ? "; " : "");
}

static void
eval_g15(struct ctx *c, struct assess_result *r)
{
	char path[4096], until[16];
	FILE *fp;
	X509 *x = NULL;
	int days = 0, secs = 0;
	bool self;

	if (snprintf(path, sizeof(path), "%s/tls/cert.pem", c->in->data_dir) >=
	        (int)sizeof(path) ||
	    (fp = fopen(path, "r")) == NULL) {
		r->points = 0;
		evidence(r, "no TLS certificate in DATA/tls/cert.pem");
		remedy(r, "install a certificate and key as DATA/tls/cert.pem "
		          "and DATA/tls/key.pem (mode 0600)");
		return;
	}
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	if (x == NULL ||
	    ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) != 1) {
		X509_free(x);
		r->points = 0;
		evidence(r, "DATA/tls/cert.pem is not a readable certificate");
		remedy(r, "install a valid certificate as DATA/tls/cert.pem");
		return;
	}
	self = X509_NAME_cmp(
	           X509_get_subject_name(x), X509_get_issuer_name(x)) == 0;
	X509_free(x);
	utc_date(
	    c->in->now + (int64_t)days * DAY_S + secs, until, sizeof(until));
	if (days < 0 || (days == 0 && secs <= 0)) {
		r->points = 0;
		evidence(r, "the TLS certificate expired on %s", until);
		remedy(r, "renew the certificate in DATA/tls/cert.pem and "
		          "restart rempartd");
		return;
	}
	r->points = !self && days >= 30 ? 2 : 1;
	evidence(r, "TLS certificate %s, valid until %s (%d days left)",
	    self ? "self-signed" : "issued by a CA", until, days);
	if (self)
		remedy(r, "install a certificate from your CA (or ACME) as "
		          "DATA/tls/cert.pem and DATA/tls/key.pem, then "
		          "restart rempartd");
	else if (days < 30)
		remedy(r,
		    "renew the certificate in DATA/tls/cert.pem before "
		    "%s",
		    until);
}

static void
eval_g16(struct ctx *c, struct assess_result *r)
{
	const uint64_t *k = c->s.keys_by_role;

	r->points = k[RBAC_ROLE_ADMIN] <= ASSESS_ADMIN_KEYS_MAX ? 2 : 1;
	evidence(r,
	    "every API endpoint checked against 4 roles; active keys: "
	    "%" PRIu64 " admin, %" PRIu64 " auditor, %" PRIu64
	    " helpdesk, %" PRIu64 " user",
	    k[RBAC_ROLE_ADMIN], k[RBAC_ROLE_AUDITOR], k[RBAC_ROLE_HELPDESK],
	    k[RBAC_ROLE_USER]);
	if (r->points < 2)
		remedy(r,
		    "keep at most %u admin keys: rempart apikey revoke ID, "
		    "and rempart apikey create --role auditor|helpdesk for "
		    "the others",
		    ASSESS_ADMIN_KEYS_MAX);
}

static void
eval_g19(struct ctx *c, struct assess_result *r)
{
	char a[128];

	r->points = c->s.keys_long == 0          ? 2
	            : c->s.keys_long < c->s.keys ? 1
	                                         : 0;
	evidence(r,
	    "%" PRIu64 " active API keys, %" PRIu64 " valid for more than "
	    "%d more days; each request is authenticated (no idle session "
	    "stays open)",
	    c->s.keys, c->s.keys_long, CHECKLIST_ATTEST_VALID_DAYS);
	if (c->s.keys_long > 0)
		remedy(r,
		    "rempart apikey revoke ID, then rempart apikey create "
		    "--role ROLE --expires 90d, for %s",
		    names_text(&c->s.long_keys, c->s.keys_long, a, sizeof(a)));
}

static void
eval_g20(struct ctx *c, struct assess_result *r)
{
	char n[32];

	r->points = c->s.verify_rc == 0 && c->s.verify.count > 0 ? 2 : 0;
	evidence(r,
	    "every admin action is in the audit log with actor and source: "
	    "%s admin actions in the last %d days; %" PRIu64
	    " active admin API keys",
	    group(c->s.admin_actions_30d, n), ASSESS_UNUSED_DAYS,
	    c->s.keys_by_role[RBAC_ROLE_ADMIN]);
	if (r->points < 2)
		remedy(r, "rempart audit verify, and restore the audit log "
		          "from a trusted backup");
}

static void
eval_g21(struct ctx *c, struct assess_result *r)
{
	char a[32], b[32];
	const struct audit_verify_result *v = &c->s.verify;

	if (c->s.verify_rc != 0) {
		r->points = 0;
		evidence(r, "the audit chain could not be verified (%s)",
		    strerror(-c->s.verify_rc));
		remedy(r, "rempart audit verify");
		return;
	}
	if (!v->ok) {
		r->points = 0;
		evidence(r, "audit chain broken at entry %s: %s",
		    group((uint64_t)v->broken_seq, a),
		    audit_fault_text(v->fault));
		remedy(r, "rempart audit verify; investigate, and restore "
		          "the database from a trusted backup");
		return;
	}
	r->points = 2;
	evidence(r,
	    "audit chain verified to entry %s (%s entries); security events "
	    "written to DATA/log/security.log",
	    group((uint64_t)v->last_seq, a), group(v->count, b));
}

static void
eval_g22(struct ctx *c, struct assess_result *r)
{
	char hook[SETTINGS_VALUE_MAX + 1], mail[SETTINGS_VALUE_MAX + 1];
	char at[SETTINGS_VALUE_MAX + 1], when[32];
	bool has_hook, has_mail;
	uint32_t t = 0;
	int64_t tested = 0;

	has_hook = settings_get(c->in->db, ASSESS_SETTING_WEBHOOK, hook,
	               sizeof(hook)) == 0 &&
	           hook[0] != '\0';
	has_mail = settings_get(c->in->db, ASSESS_SETTING_EMAIL, mail,
	               sizeof(mail)) == 0 &&
	           mail[0] != '\0';
	if (settings_get(
	        c->in->db, ASSESS_SETTING_ALERT_TEST, at, sizeof(at)) == 0 &&
	    sv_to_u32(sv_cstr(at), UINT32_MAX, &t) == 0)
		tested = (int64_t)t;
	if (!has_hook && !has_mail) {
		r->points = 0;
		evidence(r, "no alert channel configured (neither webhook nor "
		            "email): blocks and bans reach the logs only");
		remedy(r, "rempart alert webhook URL --secret-stdin, or "
		          "rempart alert email --url smtps://HOST --from ADDR "
		          "--to ADDR; then rempart alert test");
		return;
	}
	evidence(r, "alert channels: %s%s%s; ", has_hook ? "webhook" : "",
	    has_hook && has_mail ? ", " : "", has_mail ? "email" : "");
	if (tested != 0 && c->in->now - tested <= ASSESS_UNUSED_DAYS * DAY_S) {
		r->points = 2;
		evidence(r, "last test delivered %s",
		    utc_time(tested, when, sizeof(when)));
		return;
	}
	r->points = 1;
	if (tested != 0)
		evidence(r, "last test delivered %s, over %d days ago",
		    utc_time(tested, when, sizeof(when)), ASSESS_UNUSED_DAYS);
	else
		evidence(r, "no test delivery recorded");
	remedy(r, "rempart alert test (and check that it arrives)");
}

static void
eval_g28(struct ctx *c, struct assess_result *r)
{
	char v[SETTINGS_VALUE_MAX + 1];
	uint32_t cdr_days = 0;
	bool cdr = settings_get(c->in->db, ASSESS_SETTING_CDR_RETENTION, v,
	               sizeof(v)) == 0 &&
	           sv_to_u32(sv_cstr(v), 36500, &cdr_days) == 0 && cdr_days > 0;

	if (c->s.retention_rc != 0) {
		r->points = 0;
		evidence(r, "the audit retention setting is invalid");
		remedy(r, "rempart audit retention 400");
		return;
	}
	evidence(r, "audit log kept %u days", c->s.retention_days);
	if (cdr)
		evidence(r, "; call records kept %u days", cdr_days);
	else
		evidence(r, "; call records kept without limit (no CDR "
		            "retention set)");
	if (c->s.retention_days < 365) {
		r->points = 0;
		remedy(r, "rempart audit retention 400 (at least a year, "
		          "R-ADMIN-4)");
		return;
	}
	r->points = cdr ? 2 : 1;
	if (!cdr)
		remedy(r,
		    "set a CDR retention: settings '%s' (days; the CDR "
		    "purge comes with R-OPS-4)",
		    ASSESS_SETTING_CDR_RETENTION);
}

static void
eval_g30(struct ctx *c, struct assess_result *r)
{
	char a[32], b[32], d[16];

	r->points = 2;
	evidence(r, "%s call records (%s denied attempts, with reason)",
	    group(c->s.cdrs, a), group(c->s.cdrs_denied, b));
	if (c->s.cdrs > 0)
		evidence(r, " since %s",
		    utc_date(c->s.cdr_oldest_ms / 1000, d, sizeof(d)));
	evidence(r, "; exports: rempart cdr export --csv, rempart audit list, "
	            "this report as JSON");
}

/* SQLite-specific schema probe, kept here so the rest stays portable:
 * true when 'table' has 'column' (or, column NULL, exists). */
static bool
schema_has(struct db *db, const char *table, const char *column)
{
	struct sv t[2] = {sv_cstr(table), sv_cstr(column)};
	uint64_t n = 0;

	if (column == NULL)
		return count_rows(db,
		           "SELECT COUNT(*) FROM sqlite_master WHERE type = "
		           "'table' AND name = ?1",
		           t, 1, false, 0, &n) == 0 &&
		       n > 0;
	return count_rows(db,
	           "SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = "
	           "?2",
	           t, 2, false, 0, &n) == 0 &&
	       n > 0;
}

/* Each enabled user's profile: its own, else the default. */
#define EFFECTIVE_PROFILES                                                     \
	"SELECT COUNT(*) FROM users u JOIN rights_profiles p ON p.name = "     \
	"COALESCE(NULLIF(u.profile, ''), (SELECT g.profile FROM groups g "     \
	"WHERE g.name = u.grp), (SELECT value FROM settings WHERE "            \
	"key = 'fraud.default_profile')) WHERE u.enabled = 1 AND "

/* Dialing rights (L3): who may call international, premium and
 * high-risk numbers through the profiles (rempart profile ...). */
static void
eval_rights(struct ctx *c, struct assess_result *r)
{
	uint64_t premium = 0, intl = 0, by_default = 0;

	(void)count_rows(c->in->db,
	    EFFECTIVE_PROFILES "(',' || p.classes || ',' LIKE '%,premium,%' OR "
	                       "',' || p.classes || ',' LIKE '%,high-risk,%' "
	                       "OR COALESCE(p.allow, '') <> '')",
	    NULL, 0, false, 0, &premium);
	(void)count_rows(c->in->db,
	    EFFECTIVE_PROFILES "',' || p.classes || ',' LIKE "
	                       "'%,international,%'",
	    NULL, 0, false, 0, &intl);
	(void)count_rows(c->in->db,
	    "SELECT COUNT(*) FROM rights_profiles p WHERE p.name = (SELECT "
	    "value FROM settings WHERE key = 'fraud.default_profile') AND "
	    "',' || p.classes || ',' LIKE '%,international,%'",
	    NULL, 0, false, 0, &by_default);
	r->points = premium > 0 ? 0 : by_default > 0 ? 1 : 2;
	evidence(r,
	    "%" PRIu64 " of %" PRIu64 " extensions may call international "
	    "numbers%s; %" PRIu64 " may call premium or high-risk numbers "
	    "(class or allow list); no remote voicemail access or voicemail "
	    "callback exists",
	    intl, c->s.users, by_default > 0 ? ", by the default profile" : "",
	    premium);
	if (premium > 0)
		remedy(r, "rempart profile set NAME --classes ... without "
		          "premium and high-risk, and no --allow list, for "
		          "every profile in use");
	else if (by_default > 0)
		remedy(r, "rempart profile default staff (international "
		          "for the users who need it: rempart user set EXT "
		          "--profile international)");
}

/* Cost ceilings (L6): any ceiling, per user or global. */
static void
eval_ceilings(struct ctx *c, struct assess_result *r)
{
	uint64_t n = 0;

	if (schema_has(c->in->db, "fraud_ceilings", NULL))
		(void)count_rows(c->in->db,
		    "SELECT COUNT(*) FROM fraud_ceilings WHERE hourly > 0 OR "
		    "daily > 0",
		    NULL, 0, false, 0, &n);
	r->points = n > 0 && !c->facts->fraud_off ? 2 : 0;
	if (c->facts->fraud_off)
		evidence(r, "THE ANTI-FRAUD ENGINE IS OFF (rempartd --fraud "
		            "off): no ceiling, rule or block applies; ");
	evidence(r,
	    "%" PRIu64 " cost ceilings set; %" PRIu64 " calls to refused "
	    "destinations in the last %d days",
	    n, c->s.cdrs_denied_30d, ASSESS_UNUSED_DAYS);
	if (c->facts->fraud_off)
		remedy(r, "restart rempartd without --fraud off");
	else if (n == 0)
		remedy(r, "rempart ceiling set global --daily 50.00");
}

/* A 'fraud.*' switch set to "on" (R-FRAUD-6, R-FRAUD-7); off when
 * unset. */
static bool
fraud_switch_on(struct db *db, const char *key)
{
	char v[SETTINGS_VALUE_MAX + 1];

	return settings_get(db, key, v, sizeof(v)) == 0 && strcmp(v, "on") == 0;
}

/* DISA and outdial (L5): the switches of 'rempart fraud set'. */
static void
eval_disa(struct ctx *c, struct assess_result *r)
{
	bool disa = fraud_switch_on(c->in->db, "fraud.disa");
	bool outdial = fraud_switch_on(c->in->db, "fraud.outdial");

	r->points = (unsigned)(2 - (int)disa - (int)outdial);
	evidence(r,
	    "DISA %s, voicemail callback and IVR outdial %s (rempart fraud "
	    "show)%s",
	    disa ? "on" : "off", outdial ? "on" : "off",
	    (disa || outdial) && c->facts->fraud_off
	        ? "; the anti-fraud engine is off, so they are not even "
	          "counted against ceilings"
	        : "");
	if (disa || outdial)
		remedy(r,
		    "rempart fraud set %s off unless needed, and then "
		    "restrict it with a rights profile and a ceiling",
		    disa ? "disa" : "outdial");
}

/* Attested items: the attestation on file, if still valid. */
static int
eval_attested(struct ctx *c, struct assess_result *r)
{
	char key[64], text[SETTINGS_VALUE_MAX + 1], d[16], e[16];
	struct checklist_attestation *a = &r->attestation;
	int rc;

	rc = checklist_attest_key(r->item->id, key, sizeof(key));
	if (rc == 0)
		rc = settings_get(c->in->db, key, text, sizeof(text));
	if (rc == 0 && checklist_attest_decode(sv_cstr(text), a) == 0)
		r->attested = true;
	else if (rc != 0 && rc != -ENOENT)
		return rc;
	if (r->attested && checklist_attest_valid(a->date, c->in->now)) {
		r->points = a->points;
		evidence(r, "attested by %s on %s (valid until %s): %s", a->by,
		    utc_date(a->date, d, sizeof(d)),
		    utc_date(a->date + CHECKLIST_ATTEST_VALID_DAYS * DAY_S, e,
		        sizeof(e)),
		    a->note);
		if (a->points < 2)
			remedy(r,
			    "complete the measure, then rempart assess "
			    "attest %s --note TEXT",
			    r->item->id);
		return 0;
	}
	r->points = 0;
	if (r->attested) {
		r->attest_expired = true;
		evidence(r, "attestation by %s on %s expired on %s", a->by,
		    utc_date(a->date, d, sizeof(d)),
		    utc_date(a->date + CHECKLIST_ATTEST_VALID_DAYS * DAY_S, e,
		        sizeof(e)));
	} else {
		evidence(r, "not visible to rempart; no attestation on file");
	}
	remedy(r, "rempart assess attest %s --note TEXT [--date YYYY-MM-DD]",
	    r->item->id);
	return 0;
}

static void
eval_versions(struct ctx *c, struct assess_result *r)
{
	char t[32];

	evidence(r, "; running rempart %s", RP_VERSION);
	if (c->running)
		evidence(r, ", daemon %s started %s", c->facts->version,
		    utc_time(c->facts->started_at, t, sizeof(t)));
	else
		evidence(r, ", daemon not running");
}

static int
eval_item(struct ctx *c, struct assess_result *r)
{
	const char *id = r->item->id;
	int rc;

	if (r->item->method == CHECKLIST_ATTESTED) {
		rc = eval_attested(c, r);
		if (rc == 0 && strcmp(id, "G3") == 0)
			eval_versions(c, r);
		if (rc == 0 && strcmp(id, "O1") == 0 && r->points == 0)
			evidence(r, "; rempart has no backup command yet");
		return rc;
	}
	if (strcmp(id, "G1") == 0)
		eval_g1(c, r);
	else if (strcmp(id, "G2") == 0)
		eval_g2(c, r);
	else if (strcmp(id, "G4") == 0)
		eval_g4(c, r);
	else if (strcmp(id, "G5") == 0)
		eval_g5(c, r);
	else if (strcmp(id, "G7") == 0)
		eval_g7(c, r);
	else if (strcmp(id, "G8") == 0)
		eval_g8(c, r);
	else if (strcmp(id, "G9") == 0)
		eval_g9(c, r);
	else if (strcmp(id, "G11") == 0)
		eval_g11(c, r);
	else if (strcmp(id, "G12") == 0)
		eval_g12(c, r);
	else if (strcmp(id, "G13") == 0)
		eval_g13(c, r);
	else if (strcmp(id, "G14") == 0)
		eval_g14(c, r);
	else if (strcmp(id, "G15") == 0)
		eval_g15(c, r);
	else if (strcmp(id, "G16") == 0)
		eval_g16(c, r);
	else if (strcmp(id, "G19") == 0)
		eval_g19(c, r);
	else if (strcmp(id, "G20") == 0)
		eval_g20(c, r);
	else if (strcmp(id, "G21") == 0)
		eval_g21(c, r);
	else if (strcmp(id, "G22") == 0)
		eval_g22(c, r);
	else if (strcmp(id, "G28") == 0)
		eval_g28(c, r);
	else if (strcmp(id, "G30") == 0)
		eval_g30(c, r);
	else if (strcmp(id, "L3") == 0)
		eval_rights(c, r);
	else if (strcmp(id, "L4") == 0) {
		r->points = 2;
		evidence(r, "no phone or voicemail access code exists yet "
		            "(no voicemail); SIP secrets refuse trivial, "
		            "repeated and sequential values");
	} else if (strcmp(id, "L5") == 0) {
		eval_disa(c, r);
	} else if (strcmp(id, "L6") == 0)
		eval_ceilings(c, r);
	return 0;
}

int
assess_run(const struct assess_input *in, struct assess_report **out)
{
	const struct checklist_item *items;
	struct assess_facts defaults;
	struct assess_report *rep;
	struct ctx *c;
	int rc;

	c = calloc(1, sizeof(*c));
	rep = calloc(1, sizeof(*rep));
	if (c == NULL || rep == NULL) {
		free(c);
		free(rep);
		return -ENOMEM;
	}
	assess_facts_defaults(&defaults);
	c->in = in;
	c->running = in->facts != NULL;
	c->facts = in->facts != NULL ? in->facts : &defaults;
	rc = db_read_begin(in->db);
	if (rc != 0)
		goto fail;
	rc = gather(in, &c->s);
	(void)checklist_items(&items);
	for (size_t i = 0; rc == 0 && i < CHECKLIST_ITEMS; i++) {
		struct assess_result *r = &rep->results[i];

		r->item = &items[i];
		rc = eval_item(c, r);
		if (rc != 0)
			break;
		if (r->item->in_score)
			rep->points += r->points;
		else
			rep->extra_points += r->points;
	}
	db_read_end(in->db);
	if (rc != 0)
		goto fail;
	rep->generated_at = in->now;
	rep->daemon_running = c->running;
	if (c->running) {
		copy_text(rep->daemon_version, sizeof(rep->daemon_version),
		    in->facts->version);
		rep->daemon_started_at = in->facts->started_at;
	}
	free(c);
	*out = rep;
	return 0;
fail:
	free(c);
	free(rep);
	return rc;
}

void
assess_report_free(struct assess_report *r)
{
	free(r);
}

const struct assess_result *
assess_report_find(const struct assess_report *r, const char *id)
{
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++)
		if (strcmp(r->results[i].item->id, id) == 0)
			return &r->results[i];
	return NULL;
}

/* ---- Renderers ---- */

static const char *
status_name(unsigned points)
{
	return points >= 2 ? "met" : points == 1 ? "partial" : "not_met";
}

static const char *
method_name(enum checklist_method m)
{
	return m == CHECKLIST_MEASURED ? "measured" : "attested";
}

/* "14.5" for 29 points. */
static const char *
score_text(unsigned points, char out[16])
{
	snprintf(out, 16, "%u%s", points / 2, points % 2 != 0 ? ".5" : "");
	return out;
}

static void
daemon_line(const struct assess_report *r, struct buf *out)
{
	char t[32];

	buf_printf(out, "rempart %s; ", RP_VERSION);
	if (r->daemon_running)
		buf_printf(out, "daemon %s running since %s", r->daemon_version,
		    utc_time(r->daemon_started_at, t, sizeof(t)));
	else
		buf_append_cstr(out, "daemon not running");
}

void
assess_render_text(const struct assess_report *r, struct buf *out)
{
	char t[32], sc[16];
	const char *section = "";
	unsigned extra_max = CHECKLIST_EXTRA_ITEMS * ASSESS_ITEM_POINTS_MAX;

	buf_printf(out, "rempart security self-assessment, %s\n",
	    utc_time(r->generated_at, t, sizeof(t)));
	daemon_line(r, out);
	buf_printf(out, "\nGUIDE score: %s/%u (%u of %u points): %s\n",
	    score_text(r->points, sc), ASSESS_SCORE_MAX, r->points,
	    CHECKLIST_GUIDE_ITEMS * ASSESS_ITEM_POINTS_MAX,
	    assess_band(r->points));
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++) {
		const struct assess_result *x = &r->results[i];

		if (i == CHECKLIST_GUIDE_ITEMS)
			buf_printf(out,
			    "\nLRAR measures and operations (outside the GUIDE "
			    "score): %u of %u points\n",
			    r->extra_points, extra_max);
		if (strcmp(section, x->item->section) != 0) {
			section = x->item->section;
			buf_printf(out, "\n%s\n", section);
		}
		buf_printf(out, "  [%u/2] %-4s %s (%s)\n", x->points,
		    x->item->id, x->item->title, method_name(x->item->method));
		buf_printf(out, "        evidence: %s\n", x->evidence);
		if (x->remediation[0] != '\0')
			buf_printf(
			    out, "        remediation: %s\n", x->remediation);
	}
}

static json_t *
result_json(const struct assess_result *x)
{
	char d[16], e[16];
	json_t *att = json_null(), *o;

	if (x->attested) {
		const struct checklist_attestation *a = &x->attestation;

		json_decref(att);
		att = json_pack("{s:s,s:s,s:s,s:i,s:s,s:b}", "date",
		    utc_date(a->date, d, sizeof(d)), "by", a->by, "note",
		    a->note, "points", (int)a->points, "expires",
		    utc_date(a->date + CHECKLIST_ATTEST_VALID_DAYS * DAY_S, e,
		        sizeof(e)),
		    "expired", x->attest_expired);
		if (att == NULL)
			return NULL;
	}
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:o}", "id",
	    x->item->id, "section", x->item->section, "title", x->item->title,
	    "covers", x->item->covers, "method", method_name(x->item->method),
	    "points", (int)x->points, "max_points", (int)ASSESS_ITEM_POINTS_MAX,
	    "status", status_name(x->points), "evidence", x->evidence,
	    "remediation", x->remediation, "attestation", att);
	return o;
}

static json_t *
report_json(const struct assess_report *r)
{
	char t[32], s[32];
	json_t *items = json_array(), *extra = json_array(), *o;

	if (items == NULL || extra == NULL)
		goto fail;
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++) {
		json_t *x = result_json(&r->results[i]);

		if (x == NULL ||
		    json_array_append_new(
		        i < CHECKLIST_GUIDE_ITEMS ? items : extra, x) != 0)
			goto fail;
	}
	if (r->daemon_running)
		utc_time(r->daemon_started_at, s, sizeof(s));
	o = json_pack("{s:i,s:s,s:s,s:{s:b,s:s?,s:s?},s:f,s:i,s:i,s:i,s:s,s:o,"
	              "s:{s:i,s:i,s:o}}",
	    "schema_version", ASSESS_SCHEMA_VERSION, "generated_at",
	    utc_time(r->generated_at, t, sizeof(t)), "software_version",
	    RP_VERSION, "daemon", "running", r->daemon_running, "version",
	    r->daemon_running ? r->daemon_version : NULL, "started_at",
	    r->daemon_running ? s : NULL, "score", (double)r->points / 2.0,
	    "max_score", (int)ASSESS_SCORE_MAX, "points", (int)r->points,
	    "max_points", (int)(CHECKLIST_GUIDE_ITEMS * ASSESS_ITEM_POINTS_MAX),
	    "band", assess_band(r->points), "items", items, "extra", "points",
	    (int)r->extra_points, "max_points",
	    (int)(CHECKLIST_EXTRA_ITEMS * ASSESS_ITEM_POINTS_MAX), "items",
	    extra);
	return o;
fail:
	json_decref(items);
	json_decref(extra);
	return NULL;
}

void
assess_render_json(const struct assess_report *r, struct buf *out)
{
	json_t *o = report_json(r);
	char *text = o != NULL ? json_dumps(o, JSON_INDENT(2)) : NULL;

	json_decref(o);
	if (text == NULL) {
		/* Sticky, as a failed append would be. */
		if (out->err == 0)
			out->err = -ENOMEM;
		return;
	}
	buf_append_cstr(out, text);
	buf_append_char(out, '\n');
	free(text);
}

/* HTML text: & < > " ' escaped; control bytes dropped. */
static void
html(struct buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_append_cstr(out, "&amp;");
			break;
		case '<':
			buf_append_cstr(out, "&lt;");
			break;
		case '>':
			buf_append_cstr(out, "&gt;");
			break;
		case '"':
			buf_append_cstr(out, "&quot;");
			break;
		case '\'':
			buf_append_cstr(out, "&#39;");
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				buf_append_char(out, *s);
		}
	}
}

void
assess_render_html(const struct assess_report *r, struct buf *out)
{
	char t[32], sc[16], line[160];
	struct buf head;

	buf_append_cstr(out,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta http-equiv=\"Content-Security-Policy\" "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
	    "<title>rempart security self-assessment</title><style>"
	    "body{font-family:sans-serif;margin:2em;max-width:70em}"
	    "table{border-collapse:collapse;width:100%}"
	    "td,th{border:1px solid #bbb;padding:.3em;vertical-align:top;"
	    "text-align:left}.p2{background:#dfd}.p1{background:#ffd}"
	    ".p0{background:#fdd}</style></head><body>\n"
	    "<h1>rempart security self-assessment</h1>\n<p>");
	html(out, utc_time(r->generated_at, t, sizeof(t)));
	buf_append_cstr(out, " &middot; ");
	buf_init(&head, 0);
	daemon_line(r, &head);
	buf_append_char(&head, '\0');
	if (buf_error(&head) == 0)
		html(out, head.data);
	buf_release(&head);
	snprintf(line, sizeof(line), "GUIDE score %s/%u (%u of %u points): %s",
	    score_text(r->points, sc), ASSESS_SCORE_MAX, r->points,
	    CHECKLIST_GUIDE_ITEMS * ASSESS_ITEM_POINTS_MAX,
	    assess_band(r->points));
	buf_append_cstr(out, "</p>\n<h2>");
	html(out, line);
	buf_append_cstr(out, "</h2>\n");
	for (size_t i = 0; i < CHECKLIST_ITEMS; i++) {
		const struct assess_result *x = &r->results[i];

		if (i == 0 || i == CHECKLIST_GUIDE_ITEMS) {
			if (i != 0)
				buf_append_cstr(out, "</table>\n");
			if (i == CHECKLIST_GUIDE_ITEMS) {
				snprintf(line, sizeof(line),
				    "LRAR measures and operations (outside "
				    "the GUIDE score): %u of %u points",
				    r->extra_points,
				    CHECKLIST_EXTRA_ITEMS *
				        ASSESS_ITEM_POINTS_MAX);
				buf_append_cstr(out, "<h2>");
				html(out, line);
				buf_append_cstr(out, "</h2>\n");
			}
			buf_append_cstr(out,
			    "<table><tr><th>Item</th><th>Section</th>"
			    "<th>Criterion</th><th>Points</th>"
			    "<th>Evidence</th><th>Remediation</th></tr>\n");
		}
		buf_printf(out, "<tr class=\"p%u\"><td>", x->points);
		html(out, x->item->id);
		buf_append_cstr(out, "</td><td>");
		html(out, x->item->section);
		buf_append_cstr(out, "</td><td>");
		html(out, x->item->title);
		buf_printf(out, " (%s)</td><td>%u/2</td><td>",
		    method_name(x->item->method), x->points);
		html(out, x->evidence);
		buf_append_cstr(out, "</td><td>");
		html(out, x->remediation);
		buf_append_cstr(out, "</td></tr>\n");
	}
	buf_append_cstr(out, "</table>\n</body></html>\n");
}

/* ---- The API's answer ---- */

/* The text or HTML report in its envelope: the score beside it, so
 * that a client checks a minimum without parsing the page. */
static json_t *
envelope_json(
    const struct assess_report *r, const char *format, const struct buf *page)
{
	return json_pack("{s:s,s:f,s:i,s:i,s:i,s:s,s:s%}", "format", format,
	    "score", (double)r->points / 2.0, "max_score",
	    (int)ASSESS_SCORE_MAX, "points", (int)r->points, "max_points",
	    (int)(CHECKLIST_GUIDE_ITEMS * ASSESS_ITEM_POINTS_MAX), "band",
	    assess_band(r->points), "report", page->data, page->len);
}

int
assess_api_answer(struct db *db, const struct keys *k, const char *data_dir,
    enum api_assess_format fmt, char **out)
{
	struct assess_facts facts;
	struct assess_input in = {
	    .db = db, .keys = k, .data_dir = data_dir, .now = time(NULL)};
	struct assess_report *r;
	struct buf page;
	json_t *o = NULL;
	int rc;

	*out = NULL;
	if (assess_facts_load(data_dir, &facts) == 0)
		in.facts = &facts;
	rc = assess_run(&in, &r);
	if (rc != 0)
		return rc;
	buf_init(&page, 0);
	if (fmt == API_ASSESS_JSON) {
		o = report_json(r);
	} else {
		if (fmt == API_ASSESS_HTML)
			assess_render_html(r, &page);
		else
			assess_render_text(r, &page);
		if (buf_error(&page) == 0)
			o = envelope_json(
			    r, fmt == API_ASSESS_HTML ? "html" : "text", &page);
	}
	buf_release(&page);
	assess_report_free(r);
	if (o != NULL)
		*out = json_dumps(o, JSON_INDENT(2));
	json_decref(o);
	return *out != NULL ? 0 : -ENOMEM;
}
