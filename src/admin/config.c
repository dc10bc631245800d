/* The configuration as a text file (R-ADMIN-5). See config.h.
 *
 * Every kind of object is described by a table of fields. An object
 * holds one normalised text per field: the same normaliser runs on the
 * values read from the store and on those parsed from a file, so
 * comparing two objects is comparing texts. */
#include "admin/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "core/mem.h"
#include "integ/alert.h"
#include "integ/alertcfg.h"
#include "policy/fraud.h"
#include "policy/numplan.h"
#include "policy/rating.h"
#include "store/audit.h"
#include "store/bans.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/settings.h"
#include "store/trunks.h"
#include "store/users.h"

#define VALUE_MAX 2048
#define FIELDS_MAX 16
/* An environment variable name in 'secret_env'. */
#define ENV_NAME_MAX 64
#define VERSION_KEY "rempart_config"

enum ftype {
	FT_STR,
	FT_INT,
	FT_BOOL,
	FT_LIST,
};

#define F_REQ 1u  /* must be given */
#define F_OMIT 2u /* not written when empty */

/* Normalises 'in' into 'out' (VALUE_MAX bytes, NUL-terminated), or
 * returns -EINVAL with *why set to static text. */
typedef int (*norm_fn)(struct sv in, char *out, const char **why);

struct fdesc {
	const char *name;
	enum ftype type;
	unsigned flags;
	const char *def;
	norm_fn norm;
};

/* In the order of the file. */
enum kind {
	K_SETTINGS,
	K_PROFILE,
	K_GROUP,
	K_USER,
	K_TRUNK,
	K_ROUTE,
	K_DID,
	K_RATE,
	K_CEILING,
	K_RULE,
	K_FRAUD,
	K_BAN,
	K_ALERT,
	K_COUNT
};

struct obj {
	char *key;
	unsigned line;
	char *v[FIELDS_MAX];
	unsigned vline[FIELDS_MAX];
	char *secret_env; /* trunks: where a new secret comes from */
};

struct objs {
	struct obj *a;
	size_t n, cap;
};

struct config {
	struct objs k[K_COUNT];
};

struct kdesc {
	const char *section; /* top-level key */
	const char *what;    /* in messages and audit actions */
	bool single;         /* a mapping, not a list of objects */
	const struct fdesc *f;
	unsigned n;
};

static char *
str_dup(const char *s)
{
	return sv_strdup(sv_cstr(s));
}

/* Normalisers. */

static int
put(char *out, struct sv s)
{
	if (s.len >= VALUE_MAX)
		return -E2BIG;
	if (s.len != 0)
		memcpy(out, s.p, s.len);
	out[s.len] = '\0';
	return 0;
}

static int
bad(const char **why, const char *text)
{
	*why = text;
	return -EINVAL;
}

static bool
printable(struct sv s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c < 0x20 || c == 0x7f)
			return false;
	}
	return true;
}

static int
n_text(struct sv in, char *out, const char **why)
{
	if (!printable(in) || in.len >= VALUE_MAX)
		return bad(why, "text with control characters or too long");
	return put(out, in);
}

static int
n_ext(struct sv in, char *out, const char **why)
{
	if (!users_ext_valid(in))
		return bad(why, "not an extension (1 to 32 of A-Z a-z 0-9 . _ "
		                "-, not starting with . or -)");
	return put(out, in);
}

static int
n_ext_opt(struct sv in, char *out, const char **why)
{
	return in.len == 0 ? put(out, in) : n_ext(in, out, why);
}

static int
n_name(struct sv in, char *out, const char **why)
{
	if (!users_name_valid(in))
		return bad(why, "up to 64 printable characters");
	return put(out, in);
}

static int
n_bool(struct sv in, char *out, const char **why)
{
	if (!sv_eq(in, SV("true")) && !sv_eq(in, SV("false")))
		return bad(why, "expected true or false");
	return put(out, in);
}

static int
n_srtp(struct sv in, char *out, const char **why)
{
	if (!sv_eq(in, SV("required")) && !sv_eq(in, SV("optional")))
		return bad(why, "expected required or optional");
	return put(out, in);
}

static int
n_codecs(struct sv in, char *out, const char **why)
{
	_Static_assert(USERS_CODECS_STRLEN <= VALUE_MAX, "codecs fit");
	if (users_codecs_normalise(in, out) != 0)
		return bad(why, "up to 16 distinct codec names");
	return 0;
}

static int
n_acl(struct sv in, char *out, const char **why)
{
	_Static_assert(USERS_ACL_STRLEN <= VALUE_MAX, "acl fits");
	if (users_acl_normalise(in, out) != 0)
		return bad(why, "up to 32 addresses or networks (CIDR, no host "
		                "bits set)");
	return 0;
}

static int
n_alternate(struct sv in, char *out, const char **why)
{
	if (!users_alternate_valid(in))
		return bad(why, "an extension, a +E164 number or empty");
	return put(out, in);
}

static int
n_e164(struct sv in, char *out, const char **why)
{
	if (!users_e164_valid(in))
		return bad(why, "not a +E164 number");
	return put(out, in);
}

static int
n_e164_opt(struct sv in, char *out, const char **why)
{
	return in.len == 0 ? put(out, in) : n_e164(in, out, why);
}

static int
n_profile(struct sv in, char *out, const char **why)
{
	if (!users_profile_valid(in))
		return bad(why, "a profile name: 1 to 32 of a-z 0-9 _ -");
	return put(out, in);
}

static int
n_profile_opt(struct sv in, char *out, const char **why)
{
	return in.len == 0 ? put(out, in) : n_profile(in, out, why);
}

static int
n_tname(struct sv in, char *out, const char **why)
{
	if (!trunks_name_valid(in))
		return bad(why, "a name: 1 to 32 of a-z 0-9 _ -");
	return put(out, in);
}

static int
n_kind(struct sv in, char *out, const char **why)
{
	enum trunk_kind k;

	if (trunks_kind_parse(in, &k) != 0)
		return bad(why, "expected register or ip");
	return put(out, sv_cstr(trunks_kind_name(k)));
}

static int
n_transport(struct sv in, char *out, const char **why)
{
	enum trunk_transport t;

	if (trunks_transport_parse(in, &t) != 0)
		return bad(why, "expected udp, tcp or tls");
	return put(out, sv_cstr(trunks_transport_name(t)));
}

static int
n_host(struct sv in, char *out, const char **why)
{
	if (!trunks_host_valid(in))
		return bad(why, "not a host name or IP address");
	return put(out, in);
}

static int
u32_in(struct sv in, uint32_t min, uint32_t max, char *out)
{
	uint32_t n;

	if (sv_to_u32(in, max, &n) != 0 || n < min)
		return -EINVAL;
	snprintf(out, VALUE_MAX, "%" PRIu32, n);
	return 0;
}

static int
n_u32(struct sv in, char *out, const char **why)
{
	if (u32_in(in, 0, UINT32_MAX, out) != 0)
		return bad(why, "expected a whole number");
	return 0;
}

static int
n_ring(struct sv in, char *out, const char **why)
{
	if (u32_in(in, DIDS_RING_TIMEOUT_MIN, DIDS_RING_TIMEOUT_MAX, out) != 0)
		return bad(why, "5 to 300 seconds");
	return 0;
}

static int
n_secs0(struct sv in, char *out, const char **why)
{
	if (u32_in(in, 0, RATING_INCR_MAX, out) != 0)
		return bad(why, "0 to 3600 seconds");
	return 0;
}

static int
n_secs1(struct sv in, char *out, const char **why)
{
	if (u32_in(in, 1, RATING_INCR_MAX, out) != 0)
		return bad(why, "1 to 3600 seconds");
	return 0;
}

static int
n_retention(struct sv in, char *out, const char **why)
{
	if (u32_in(in, 1, AUDIT_RETENTION_MAX_DAYS, out) != 0)
		return bad(why, "1 to 36500 days");
	return 0;
}

static int
n_secret(struct sv in, char *out, const char **why)
{
	if (!sv_eq(in, SV("set")))
		return bad(why, "secrets are never in the file: say 'set', or "
		                "use secret_env for a new one");
	return put(out, in);
}

static int
n_pattern(struct sv in, char *out, const char **why)
{
	_Static_assert(ROUTES_PATTERN_MAX + 1 <= VALUE_MAX, "pattern fits");
	if (route_pattern_normalise(in, out) != 0)
		return bad(why, "digits, '+', X N Z, classes [1-5] and a final "
		                "'.'");
	return 0;
}

/* A comma-separated list: entries trimmed, each checked by 'ok'. */
static int
list_norm(struct sv in, bool (*ok)(struct sv), char *out)
{
	struct sv rest = in, item;
	size_t len = 0;
	bool last = false;

	out[0] = '\0';
	if (sv_trim(in).len == 0)
		return 0;
	while (!last) {
		if (!sv_split(&rest, ',', &item)) {
			item = rest;
			last = true;
		}
		item = sv_trim(item);
		if (item.len == 0 || !ok(item) ||
		    len + item.len + 2 > VALUE_MAX)
			return -EINVAL;
		if (len != 0)
			out[len++] = ',';
		memcpy(out + len, item.p, item.len);
		len += item.len;
		out[len] = '\0';
	}
	return 0;
}

static int
n_tlist(struct sv in, char *out, const char **why)
{
	if (list_norm(in, trunks_name_valid, out) != 0)
		return bad(why, "trunk names");
	return 0;
}

static bool
prefix_ok(struct sv p)
{
	if (p.len == 0 || p.p[0] != '+' || p.len - 1 > NUMPLAN_DIGITS_MAX)
		return false;
	for (size_t i = 1; i < p.len; i++)
		if (p.p[i] < '0' || p.p[i] > '9')
			return false;
	return true;
}

static int
n_prefix(struct sv in, char *out, const char **why)
{
	if (!prefix_ok(in))
		return bad(why, "'+' and up to 15 digits");
	return put(out, in);
}

static int
n_money(struct sv in, char *out, const char **why)
{
	int64_t m;

	if (rating_money_parse(in, &m) != 0 ||
	    rating_money_format(m, out, VALUE_MAX) < 0)
		return bad(why, "an amount such as 0.015 (up to 6 decimals)");
	return 0;
}

static int
n_money_none(struct sv in, char *out, const char **why)
{
	int64_t m;

	if (sv_eq(in, SV("none")))
		return put(out, in);
	if (fraudcfg_money_parse(in, FRAUDCFG_CEILING_MAX, &m) != 0)
		return bad(why, "an amount such as 12.50, or none");
	if (m == 0)
		return put(out, SV("none"));
	return rating_money_format(m, out, VALUE_MAX) < 0 ? -EINVAL : 0;
}

static int
n_label(struct sv in, char *out, const char **why)
{
	if (in.len > RATING_LABEL_MAX || !numplan_label_ok(in) ||
	    sv_trim(in).len != in.len || sv_find_char(in, '#') >= 0)
		return bad(why, "up to 47 printable bytes, no '#', no blanks "
		                "around");
	return put(out, in);
}

static int
n_scope(struct sv in, char *out, const char **why)
{
	enum fraud_scope s;

	if (fraudcfg_scope_parse(in, &s) != 0)
		return bad(why, "expected user, tenant or global");
	return put(out, sv_cstr(fraudcfg_scope_name(s)));
}

static int
n_group(struct sv in, char *out, const char **why)
{
	if (!groups_name_valid(in))
		return bad(why, "a group name: 1 to 32 of a-z 0-9 _ -");
	return put(out, in);
}

static int
n_group_opt(struct sv in, char *out, const char **why)
{
	return in.len == 0 ? put(out, in) : n_group(in, out, why);
}

static int
n_tenant_opt(struct sv in, char *out, const char **why)
{
	if (in.len > 0 && !groups_tenant_valid(in))
		return bad(why, "a tenant name: 1 to 32 of a-z 0-9 _ -");
	return put(out, in);
}

static int
n_classes(struct sv in, char *out, const char **why)
{
	uint32_t mask;

	if (sv_trim(in).len == 0)
		return put(out, SV(""));
	if (fraudcfg_classes_parse(in, &mask) != 0 ||
	    fraudcfg_classes_format(mask, out, VALUE_MAX) != 0)
		return bad(why,
		    "classes: internal, emergency, local, national, "
		    "mobile, international, premium, high-risk, "
		    "special");
	return 0;
}

static int
n_window(struct sv in, char *out, const char **why)
{
	struct rights_window w;

	if (fraudcfg_window_parse(in, &w) != 0 ||
	    fraudcfg_window_format(&w, out, VALUE_MAX) != 0)
		return bad(why, "DAYS/HH:MM-HH:MM such as mon-fri/08:00-19:00");
	return 0;
}

static int
n_window_opt(struct sv in, char *out, const char **why)
{
	return in.len == 0 ? put(out, in) : n_window(in, out, why);
}

static int
n_prefixes(struct sv in, char *out, const char **why)
{
	_Static_assert(FRAUDCFG_PREFIXES_STRLEN <= VALUE_MAX, "list fits");
	if (fraudcfg_prefixes_normalise(in, out) != 0)
		return bad(why, "up to 64 prefixes of '+' and up to 15 digits");
	return 0;
}

static int
n_rule(struct sv in, char *out, const char **why)
{
	enum fraudcfg_rule r;

	if (fraudcfg_rule_parse(in, &r) != 0)
		return bad(why, "not a rule (see 'rempart fraud rules')");
	return put(out, sv_cstr(fraudcfg_rule_name(r)));
}

static int
n_mode(struct sv in, char *out, const char **why)
{
	enum fraud_mode m;

	if (fraudcfg_mode_parse(in, &m) != 0)
		return bad(why, "expected off, alert, deny or block");
	return put(out, sv_cstr(fraudcfg_mode_name(m)));
}

static int
n_offset(struct sv in, char *out, const char **why)
{
	bool neg = in.len > 0 && in.p[0] == '-';
	uint32_t n;

	if (in.len > 0 && (in.p[0] == '-' || in.p[0] == '+'))
		in = sv_skip(in, 1);
	if (sv_to_u32(in, 24 * 60, &n) != 0)
		return bad(why, "minutes from -1440 to 1440");
	snprintf(out, VALUE_MAX, "%s%" PRIu32, neg && n != 0 ? "-" : "", n);
	return 0;
}

static int
n_cblock(struct sv in, char *out, const char **why)
{
	if (!sv_eq(in, SV("unblock")) && !sv_eq(in, SV("window")))
		return bad(why, "expected unblock or window");
	return put(out, in);
}

static int
n_addr(struct sv in, char *out, const char **why)
{
	_Static_assert(BANS_ADDR_STRLEN <= VALUE_MAX, "address fits");
	if (bans_addr_normalise(in, out) != 0)
		return bad(why, "not an address or network (CIDR, no host bits "
		                "set)");
	return 0;
}

static int
n_reason(struct sv in, char *out, const char **why)
{
	if (in.len > BANS_REASON_MAX || !numplan_label_ok(in))
		return bad(why, "up to 128 printable bytes");
	return put(out, in);
}

static bool
addr_ok(struct sv a)
{
	return a.len <= ALERT_ADDR_MAX && printable(a);
}

static int
n_addrs(struct sv in, char *out, const char **why)
{
	if (list_norm(in, addr_ok, out) != 0)
		return bad(why, "e-mail addresses");
	return 0;
}

/* The kinds. The first field of a list kind is its key. */

static const struct fdesc f_settings[] = {
    {"default_profile", FT_STR, 0, "", n_profile_opt},
    {"audit_retention_days", FT_INT, 0, "400", n_retention},
};
enum {
	S_DEFAULT,
	S_RETENTION
};

static const struct fdesc f_profile[] = {
    {"name", FT_STR, F_REQ, "", n_profile},
    {"classes", FT_LIST, 0, "", n_classes},
    {"window_classes", FT_LIST, 0, "", n_classes},
    {"window", FT_STR, 0, "", n_window_opt},
    {"allow", FT_LIST, 0, "", n_prefixes},
    {"deny", FT_LIST, 0, "", n_prefixes},
};
enum {
	P_NAME,
	P_CLASSES,
	P_WCLASSES,
	P_WINDOW,
	P_ALLOW,
	P_DENY
};

static const struct fdesc f_group[] = {
    {"name", FT_STR, F_REQ, "", n_group},
    {"profile", FT_STR, 0, "", n_profile_opt},
    {"tenant", FT_STR, 0, "", n_tenant_opt},
    {"description", FT_STR, 0, "", n_name},
};
enum {
	G_NAME,
	G_PROFILE,
	G_TENANT,
	G_DESCRIPTION
};

static const struct fdesc f_user[] = {
    {"ext", FT_STR, F_REQ, "", n_ext},
    {"name", FT_STR, 0, "", n_name},
    {"enabled", FT_BOOL, 0, "true", n_bool},
    {"srtp", FT_STR, 0, "optional", n_srtp},
    {"codecs", FT_LIST, 0, "", n_codecs},
    {"acl", FT_LIST, 0, "", n_acl},
    {"alternate", FT_STR, 0, "", n_alternate},
    {"outbound_number", FT_STR, 0, "", n_e164_opt},
    {"profile", FT_STR, 0, "", n_profile_opt},
    {"group", FT_STR, 0, "", n_group_opt},
};
enum {
	U_EXT,
	U_NAME,
	U_ENABLED,
	U_SRTP,
	U_CODECS,
	U_ACL,
	U_ALT,
	U_OUTNUM,
	U_PROFILE,
	U_GROUP
};

static const struct fdesc f_trunk[] = {
    {"name", FT_STR, F_REQ, "", n_tname},
    {"kind", FT_STR, F_REQ, "", n_kind},
    {"transport", FT_STR, 0, "udp", n_transport},
    {"host", FT_STR, F_REQ, "", n_host},
    {"port", FT_INT, 0, "0", n_u32},
    {"username", FT_STR, 0, "", n_text},
    {"auth_user", FT_STR, 0, "", n_text},
    {"realm", FT_STR, 0, "", n_text},
    {"from_domain", FT_STR, 0, "", n_text},
    {"acl", FT_LIST, 0, "", n_acl},
    {"channels", FT_INT, 0, "10", n_u32},
    {"codecs", FT_LIST, 0, "", n_codecs},
    {"outbound_cid", FT_STR, 0, "", n_e164_opt},
    {"expires", FT_INT, 0, "600", n_u32},
    {"enabled", FT_BOOL, 0, "true", n_bool},
    {"secret", FT_STR, F_OMIT, "", n_secret},
};
enum {
	T_NAME,
	T_KIND,
	T_TRANSPORT,
	T_HOST,
	T_PORT,
	T_USERNAME,
	T_AUTH_USER,
	T_REALM,
	T_FROM_DOMAIN,
	T_ACL,
	T_CHANNELS,
	T_CODECS,
	T_OUTBOUND_CID,
	T_EXPIRES,
	T_ENABLED,
	T_SECRET
};

static const struct fdesc f_route[] = {
    {"name", FT_STR, F_REQ, "", n_tname},
    {"pattern", FT_STR, F_REQ, "", n_pattern},
    {"priority", FT_INT, 0, "100", n_u32},
    {"strip", FT_INT, 0, "0", n_u32},
    {"prepend", FT_STR, 0, "", n_text},
    {"trunks", FT_LIST, F_REQ, "", n_tlist},
};
enum {
	R_NAME,
	R_PATTERN,
	R_PRIORITY,
	R_STRIP,
	R_PREPEND,
	R_TRUNKS
};

static const struct fdesc f_did[] = {
    {"number", FT_STR, F_REQ, "", n_e164},
    {"ext", FT_STR, F_REQ, "", n_ext},
    {"alternate", FT_STR, 0, "", n_alternate},
    {"ring_timeout", FT_INT, 0, "30", n_ring},
};
enum {
	D_NUMBER,
	D_EXT,
	D_ALT,
	D_RING
};

static const struct fdesc f_rate[] = {
    {"prefix", FT_STR, F_REQ, "", n_prefix},
    {"per_minute", FT_STR, F_REQ, "", n_money},
    {"setup", FT_STR, 0, "0", n_money},
    {"first_s", FT_INT, 0, "0", n_secs0},
    {"incr_s", FT_INT, F_REQ, "", n_secs1},
    {"label", FT_STR, 0, "", n_label},
};
enum {
	RA_PREFIX,
	RA_PER_MIN,
	RA_SETUP,
	RA_FIRST,
	RA_INCR,
	RA_LABEL
};

static const struct fdesc f_ceiling[] = {
    {"scope", FT_STR, F_REQ, "", n_scope},
    {"name", FT_STR, 0, "", n_ext_opt},
    {"hourly", FT_STR, 0, "none", n_money_none},
    {"daily", FT_STR, 0, "none", n_money_none},
};
enum {
	C_SCOPE,
	C_NAME,
	C_HOURLY,
	C_DAILY
};

static const struct fdesc f_rule[] = {
    {"rule", FT_STR, F_REQ, "", n_rule},
    {"mode", FT_STR, 0, "", n_mode},
    {"count", FT_INT, 0, "", n_u32},
    {"window_s", FT_INT, 0, "", n_u32},
};
enum {
	RU_RULE,
	RU_MODE,
	RU_COUNT,
	RU_WINDOW
};

static const struct fdesc f_fraud[] = {
    {"utc_offset_min", FT_INT, 0, "", n_offset},
    {"cut_running", FT_BOOL, 0, "", n_bool},
    {"ceiling_block", FT_STR, 0, "", n_cblock},
    {"business_hours", FT_STR, 0, "", n_window},
    {"tail_digits", FT_INT, 0, "", n_u32},
    {"short_s", FT_INT, 0, "", n_u32},
    {"spike_factor_pct", FT_INT, 0, "", n_u32},
    {"spike_alpha_pct", FT_INT, 0, "", n_u32},
    {"spike_min_spend", FT_STR, 0, "", n_money},
    {"disa", FT_BOOL, 0, "", n_bool},
    {"outdial", FT_BOOL, 0, "", n_bool},
    {"system_allow", FT_LIST, 0, "", n_prefixes},
    {"system_deny", FT_LIST, 0, "", n_prefixes},
};
enum {
	FR_OFFSET,
	FR_CUT,
	FR_CBLOCK,
	FR_HOURS,
	FR_TAIL,
	FR_SHORT,
	FR_FACTOR,
	FR_ALPHA,
	FR_MIN_SPEND,
	FR_DISA,
	FR_OUTDIAL,
	FR_SYS_ALLOW,
	FR_SYS_DENY
};

static const struct fdesc f_ban[] = {
    {"addr", FT_STR, F_REQ, "", n_addr},
    {"reason", FT_STR, 0, "", n_reason},
};
enum {
	B_ADDR,
	B_REASON
};

static const struct fdesc f_alert[] = {
    {"webhook_url", FT_STR, 0, "", n_text},
    {"webhook_ca_file", FT_STR, 0, "", n_text},
    {"email_url", FT_STR, 0, "", n_text},
    {"email_starttls", FT_BOOL, 0, "", n_bool},
    {"email_from", FT_STR, 0, "", n_text},
    {"email_to", FT_LIST, 0, "", n_addrs},
    {"email_user", FT_STR, 0, "", n_text},
    {"email_ca_file", FT_STR, 0, "", n_text},
    {"dedupe_s", FT_INT, 0, "", n_u32},
    {"rate_per_min", FT_INT, 0, "", n_u32},
};
enum {
	A_WH_URL,
	A_WH_CA,
	A_EM_URL,
	A_EM_STARTTLS,
	A_EM_FROM,
	A_EM_TO,
	A_EM_USER,
	A_EM_CA,
	A_DEDUPE,
	A_RATE
};

#define KD(sec, what, single, f)                                               \
	{                                                                      \
		sec, what, single, f, RP_ARRAY_LEN(f)                          \
	}
static const struct kdesc kinds[K_COUNT] = {
    [K_SETTINGS] = KD("settings", "settings", true, f_settings),
    [K_PROFILE] = KD("profiles", "profile", false, f_profile),
    [K_GROUP] = KD("groups", "group", false, f_group),
    [K_USER] = KD("users", "user", false, f_user),
    [K_TRUNK] = KD("trunks", "trunk", false, f_trunk),
    [K_ROUTE] = KD("routes", "route", false, f_route),
    [K_DID] = KD("dids", "did", false, f_did),
    [K_RATE] = KD("rates", "rate", false, f_rate),
    [K_CEILING] = KD("ceilings", "ceiling", false, f_ceiling),
    [K_RULE] = KD("fraud_rules", "fraud-rule", false, f_rule),
    [K_FRAUD] = KD("fraud_options", "fraud-options", true, f_fraud),
    [K_BAN] = KD("bans", "ban", false, f_ban),
    [K_ALERT] = KD("alerts", "alerts", true, f_alert),
};

/* Objects. */

static void
obj_clear(struct obj *o)
{
	free(o->key);
	for (unsigned i = 0; i < FIELDS_MAX; i++)
		free(o->v[i]);
	free(o->secret_env);
	*o = (struct obj){0};
}

int
config_secret_envs(
    const struct config *cfg, int (*cb)(void *arg, const char *name), void *arg)
{
	const struct objs *s = &cfg->k[K_TRUNK];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < s->n; i++)
		if (s->a[i].secret_env != NULL)
			rc = cb(arg, s->a[i].secret_env);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (unsigned k = 0; k < K_COUNT; k++) {
		for (size_t i = 0; i < cfg->k[k].n; i++)
			obj_clear(&cfg->k[k].a[i]);
		free(cfg->k[k].a);
	}
	free(cfg);
}

/* Sets field i of o to the normalised 'text'; a value that does not
 * normalise (a row edited by hand) is kept as it is. */
static int
obj_set(struct obj *o, enum kind k, unsigned i, struct sv text)
{
	char out[VALUE_MAX];
	const char *why;
	char *dup;

	if (kinds[k].f[i].norm(text, out, &why) != 0 && put(out, text) != 0)
		out[0] = '\0';
	dup = str_dup(out);
	if (dup == NULL)
		return -ENOMEM;
	free(o->v[i]);
	o->v[i] = dup;
	return 0;
}

static int obj_setf(struct obj *o, enum kind k, unsigned i, const char *fmt,
    ...) RP_PRINTF(4, 5);

static int
obj_setf(struct obj *o, enum kind k, unsigned i, const char *fmt, ...)
{
	char text[VALUE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return obj_set(o, k, i, sv_cstr(text));
}

/* The key of an object in messages and comparisons. */
static int
obj_key(struct obj *o, enum kind k)
{
	char text[VALUE_MAX];

	if (kinds[k].single)
		snprintf(text, sizeof(text), "%s", kinds[k].section);
	else if (k == K_CEILING && strcmp(o->v[C_SCOPE], "global") != 0)
		snprintf(
		    text, sizeof(text), "%s:%s", o->v[C_SCOPE], o->v[C_NAME]);
	else
		snprintf(text, sizeof(text), "%s", o->v[0]);
	free(o->key);
	o->key = str_dup(text);
	return o->key == NULL ? -ENOMEM : 0;
}

static struct obj *
objs_push(struct objs *l)
{
	struct obj *a;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap == 0 ? 8 : l->cap * 2;
		a = mem_realloc(l->a, cap * sizeof(*a));
		if (a == NULL)
			return NULL;
		l->a = a;
		l->cap = cap;
	}
	l->a[l->n] = (struct obj){0};
	return &l->a[l->n++];
}

static int
obj_cmp(const void *a, const void *b)
{
	return strcmp(
	    ((const struct obj *)a)->key, ((const struct obj *)b)->key);
}

static const struct obj *
objs_find(const struct objs *l, const char *key)
{
	struct obj probe = {.key = (char *)(uintptr_t)key};

	if (l->n == 0)
		return NULL;
	return bsearch(&probe, l->a, l->n, sizeof(*l->a), obj_cmp);
}

static bool
is_true(const char *v)
{
	return strcmp(v, "true") == 0;
}

static int
money_of(const char *text, int64_t *out)
{
	if (strcmp(text, "none") == 0) {
		*out = 0;
		return 0;
	}
	return fraudcfg_money_parse(sv_cstr(text), FRAUDCFG_CEILING_MAX, out);
}

static uint32_t
u32_of(const char *text)
{
	uint32_t n = 0;

	return sv_to_u32(sv_cstr(text), UINT32_MAX, &n) == 0 ? n : 0;
}

/* Objects from store structs (also the defaults of a file). */

static int
settings_obj(struct obj *o, const char *def, uint32_t days)
{
	int rc = obj_set(o, K_SETTINGS, S_DEFAULT, sv_cstr(def));

	if (rc == 0)
		rc = obj_setf(o, K_SETTINGS, S_RETENTION, "%" PRIu32, days);
	return rc != 0 ? rc : obj_key(o, K_SETTINGS);
}

static int
profile_obj(struct obj *o, const struct fraudcfg_profile *p)
{
	char text[VALUE_MAX];
	int rc = obj_set(o, K_PROFILE, P_NAME, sv_cstr(p->name));

	if (fraudcfg_classes_format(p->classes, text, sizeof(text)) != 0)
		text[0] = '\0';
	if (rc == 0)
		rc = obj_set(o, K_PROFILE, P_CLASSES, sv_cstr(text));
	if (fraudcfg_classes_format(p->window_classes, text, sizeof(text)) != 0)
		text[0] = '\0';
	if (rc == 0)
		rc = obj_set(o, K_PROFILE, P_WCLASSES, sv_cstr(text));
	if (p->window_classes == 0 ||
	    fraudcfg_window_format(&p->window, text, sizeof(text)) != 0)
		text[0] = '\0';
	if (rc == 0)
		rc = obj_set(o, K_PROFILE, P_WINDOW, sv_cstr(text));
	if (rc == 0)
		rc = obj_set(o, K_PROFILE, P_ALLOW, sv_cstr(p->allow));
	if (rc == 0)
		rc = obj_set(o, K_PROFILE, P_DENY, sv_cstr(p->deny));
	return rc != 0 ? rc : obj_key(o, K_PROFILE);
}

static int
user_obj(struct obj *o, const struct user_info *u)
{
	const char *v[] = {
	    [U_EXT] = u->ext,
	    [U_NAME] = u->display_name,
	    [U_ENABLED] = u->enabled ? "true" : "false",
	    [U_SRTP] = u->srtp_required ? "required" : "optional",
	    [U_CODECS] = u->codecs,
	    [U_ACL] = u->acl,
	    [U_ALT] = u->alternate,
	    [U_OUTNUM] = u->outbound_number,
	    [U_PROFILE] = u->profile,
	    [U_GROUP] = u->group,
	};
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < RP_ARRAY_LEN(v); i++)
		rc = obj_set(o, K_USER, i, sv_cstr(v[i]));
	return rc != 0 ? rc : obj_key(o, K_USER);
}

static int
group_obj(struct obj *o, const struct group_info *g)
{
	const char *v[] = {
	    [G_NAME] = g->name,
	    [G_PROFILE] = g->profile,
	    [G_TENANT] = g->tenant,
	    [G_DESCRIPTION] = g->description,
	};
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < RP_ARRAY_LEN(v); i++)
		rc = obj_set(o, K_GROUP, i, sv_cstr(v[i]));
	return rc != 0 ? rc : obj_key(o, K_GROUP);
}

static int
trunk_obj(struct obj *o, const struct trunk_info *t)
{
	const char *v[] = {
	    [T_NAME] = t->name,
	    [T_KIND] = trunks_kind_name(t->kind),
	    [T_TRANSPORT] = trunks_transport_name(t->transport),
	    [T_HOST] = t->host,
	    [T_USERNAME] = t->username,
	    [T_AUTH_USER] = t->auth_user,
	    [T_REALM] = t->realm,
	    [T_FROM_DOMAIN] = t->from_domain,
	    [T_ACL] = t->acl,
	    [T_CODECS] = t->codecs,
	    [T_OUTBOUND_CID] = t->outbound_cid,
	    [T_ENABLED] = t->enabled ? "true" : "false",
	    [T_SECRET] = t->has_secret ? "set" : "",
	};
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < RP_ARRAY_LEN(v); i++)
		if (v[i] != NULL)
			rc = obj_set(o, K_TRUNK, i, sv_cstr(v[i]));
	if (rc == 0)
		rc = obj_setf(o, K_TRUNK, T_PORT, "%" PRIu32, t->port);
	if (rc == 0)
		rc = obj_setf(o, K_TRUNK, T_CHANNELS, "%" PRIu32, t->channels);
	if (rc == 0)
		rc = obj_setf(o, K_TRUNK, T_EXPIRES, "%" PRIu32, t->expires_s);
	return rc != 0 ? rc : obj_key(o, K_TRUNK);
}

static int
route_obj(struct obj *o, const struct route_info *r)
{
	char list[ROUTES_TRUNKS_STRLEN];
	size_t len = 0;
	int rc;

	list[0] = '\0';
	for (unsigned i = 0; i < r->n_trunks && i < ROUTES_TRUNKS_MAX; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
		    i > 0 ? "," : "", r->trunks[i]);
	rc = obj_set(o, K_ROUTE, R_NAME, sv_cstr(r->name));
	if (rc == 0)
		rc = obj_set(o, K_ROUTE, R_PATTERN, sv_cstr(r->pattern));
	if (rc == 0)
		rc = obj_setf(o, K_ROUTE, R_PRIORITY, "%" PRIu32, r->priority);
	if (rc == 0)
		rc = obj_setf(o, K_ROUTE, R_STRIP, "%" PRIu32, r->strip);
	if (rc == 0)
		rc = obj_set(o, K_ROUTE, R_PREPEND, sv_cstr(r->prepend));
	if (rc == 0)
		rc = obj_set(o, K_ROUTE, R_TRUNKS, sv_cstr(list));
	return rc != 0 ? rc : obj_key(o, K_ROUTE);
}

static int
did_obj(struct obj *o, const struct did_info *d)
{
	int rc = obj_set(o, K_DID, D_NUMBER, sv_cstr(d->number));

	if (rc == 0)
		rc = obj_set(o, K_DID, D_EXT, sv_cstr(d->ext));
	if (rc == 0)
		rc = obj_set(o, K_DID, D_ALT, sv_cstr(d->alternate));
	if (rc == 0)
		rc = obj_setf(o, K_DID, D_RING, "%" PRIu32, d->ring_timeout_s);
	return rc != 0 ? rc : obj_key(o, K_DID);
}

static int
money_set(struct obj *o, enum kind k, unsigned i, int64_t m)
{
	char text[FRAUDCFG_MONEY_STRLEN];

	if (rating_money_format(m, text, sizeof(text)) < 0)
		return -EINVAL;
	return obj_set(o, k, i, sv_cstr(text));
}

static int
rate_obj(struct obj *o, const struct fraudcfg_rate *r)
{
	int rc = obj_set(o, K_RATE, RA_PREFIX, sv_cstr(r->prefix));

	if (rc == 0)
		rc = money_set(o, K_RATE, RA_PER_MIN, r->rate.per_min);
	if (rc == 0)
		rc = money_set(o, K_RATE, RA_SETUP, r->rate.setup);
	if (rc == 0)
		rc = obj_setf(o, K_RATE, RA_FIRST, "%" PRIu32, r->rate.first_s);
	if (rc == 0)
		rc = obj_setf(o, K_RATE, RA_INCR, "%" PRIu32, r->rate.incr_s);
	if (rc == 0)
		rc = obj_set(o, K_RATE, RA_LABEL, sv_cstr(r->rate.label));
	return rc != 0 ? rc : obj_key(o, K_RATE);
}

static int
ceiling_obj(struct obj *o, const struct fraudcfg_ceiling *c)
{
	int rc = obj_set(
	    o, K_CEILING, C_SCOPE, sv_cstr(fraudcfg_scope_name(c->scope)));

	if (rc == 0)
		rc = obj_set(o, K_CEILING, C_NAME, sv_cstr(c->name));
	if (rc == 0)
		rc = money_set(o, K_CEILING, C_HOURLY, c->c.hour);
	if (rc == 0)
		rc = money_set(o, K_CEILING, C_DAILY, c->c.day);
	return rc != 0 ? rc : obj_key(o, K_CEILING);
}

static int
rule_obj(struct obj *o, const struct fraud_config *cfg, enum fraudcfg_rule r)
{
	const struct fraud_rule_cfg *rc = fraudcfg_rule_get(cfg, r);
	int err = obj_set(o, K_RULE, RU_RULE, sv_cstr(fraudcfg_rule_name(r)));

	if (err == 0)
		err = obj_set(
		    o, K_RULE, RU_MODE, sv_cstr(fraudcfg_mode_name(rc->mode)));
	if (err == 0)
		err = obj_setf(o, K_RULE, RU_COUNT, "%" PRIu32, rc->count);
	if (err == 0)
		err = obj_setf(o, K_RULE, RU_WINDOW, "%" PRIu32, rc->window_s);
	return err != 0 ? err : obj_key(o, K_RULE);
}

/* The engine's options and switches, and the system-wide prefix
 * lists (settings of their own, R-FRAUD-2). */
static int
fraud_obj(struct obj *o, const struct fraud_config *cfg, const char *allow,
    const char *deny)
{
	char w[FRAUDCFG_WINDOW_STRLEN];
	int rc;

	if (fraudcfg_window_format(&cfg->business_hours, w, sizeof(w)) != 0)
		w[0] = '\0';
	rc = obj_setf(o, K_FRAUD, FR_OFFSET, "%" PRId32, cfg->tz_offset_min);
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_CUT,
		    cfg->cut_running ? SV("true") : SV("false"));
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_CBLOCK,
		    cfg->ceiling_block_until_unblock ? SV("unblock")
		                                     : SV("window"));
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_HOURS, sv_cstr(w));
	if (rc == 0)
		rc = obj_setf(
		    o, K_FRAUD, FR_TAIL, "%" PRIu32, cfg->seq_tail_digits);
	if (rc == 0)
		rc = obj_setf(o, K_FRAUD, FR_SHORT, "%" PRIu32, cfg->short_s);
	if (rc == 0)
		rc = obj_setf(
		    o, K_FRAUD, FR_FACTOR, "%" PRIu32, cfg->spike_factor_pct);
	if (rc == 0)
		rc = obj_setf(
		    o, K_FRAUD, FR_ALPHA, "%" PRIu32, cfg->spike_alpha_pct);
	if (rc == 0)
		rc = money_set(o, K_FRAUD, FR_MIN_SPEND, cfg->spike_min_spend);
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_DISA,
		    cfg->disa_enabled ? SV("true") : SV("false"));
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_OUTDIAL,
		    cfg->outdial_enabled ? SV("true") : SV("false"));
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_SYS_ALLOW, sv_cstr(allow));
	if (rc == 0)
		rc = obj_set(o, K_FRAUD, FR_SYS_DENY, sv_cstr(deny));
	return rc != 0 ? rc : obj_key(o, K_FRAUD);
}

static int
alert_obj(struct obj *o, const struct alert_config *a)
{
	char to[VALUE_MAX];
	size_t len = 0;
	int rc;

	to[0] = '\0';
	for (unsigned i = 0; i < a->email.n_to && i < ALERT_RCPT_MAX; i++)
		len += (size_t)snprintf(to + len, sizeof(to) - len, "%s%s",
		    i > 0 ? "," : "", a->email.to[i]);
	rc = obj_set(o, K_ALERT, A_WH_URL, sv_cstr(a->webhook.url));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_WH_CA, sv_cstr(a->webhook.ca_file));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_EM_URL, sv_cstr(a->email.url));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_EM_STARTTLS,
		    a->email.starttls ? SV("true") : SV("false"));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_EM_FROM, sv_cstr(a->email.from));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_EM_TO, sv_cstr(to));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_EM_USER, sv_cstr(a->email.user));
	if (rc == 0)
		rc = obj_set(o, K_ALERT, A_EM_CA, sv_cstr(a->email.ca_file));
	if (rc == 0)
		rc = obj_setf(o, K_ALERT, A_DEDUPE, "%" PRIu32, a->dedupe_s);
	if (rc == 0)
		rc = obj_setf(o, K_ALERT, A_RATE, "%" PRIu32, a->rate_per_min);
	return rc != 0 ? rc : obj_key(o, K_ALERT);
}

/* The blank object a file's fields are laid over: the defaults of the
 * field table, or of the engine for rules and singletons. */
static int
obj_blank(struct obj *o, enum kind k, enum fraudcfg_rule rule)
{
	struct fraud_config fc;
	struct alert_config ac;
	int rc = 0;

	switch (k) {
	case K_SETTINGS:
		return settings_obj(o, "", AUDIT_RETENTION_DEFAULT_DAYS);
	case K_RULE:
		fraud_config_defaults(&fc);
		return rule_obj(o, &fc, rule);
	case K_FRAUD:
		fraud_config_defaults(&fc);
		return fraud_obj(o, &fc, "", "");
	case K_ALERT:
		alert_config_init(&ac);
		rc = alert_obj(o, &ac);
		alert_config_wipe(&ac);
		return rc;
	default:
		break;
	}
	for (unsigned i = 0; rc == 0 && i < kinds[k].n; i++)
		rc = obj_set(o, k, i, sv_cstr(kinds[k].f[i].def));
	return rc;
}

/* Errors. */

static void add_err(struct config_errors *errs, unsigned line, const char *fmt,
    ...) RP_PRINTF(3, 4);

static void
add_err(struct config_errors *errs, unsigned line, const char *fmt, ...)
{
	struct config_error *e;
	va_list ap;

	if (errs->n >= CONFIG_ERRORS_MAX) {
		errs->dropped++;
		return;
	}
	e = &errs->e[errs->n++];
	e->line = line;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

/* Parsing. */

struct pstate {
	struct config *cfg;
	struct config_errors *errs;
	int oom;
};

static unsigned
node_line(struct fy_node *n, unsigned fallback)
{
	struct fy_token *t;
	const struct fy_mark *m;
	struct fy_node_pair *p;
	void *it = NULL;

	if (n == NULL)
		return fallback;
	if (fy_node_is_scalar(n)) {
		t = fy_node_get_scalar_token(n);
		m = t != NULL ? fy_token_start_mark(t) : NULL;
		return m != NULL && m->line >= 0 ? (unsigned)m->line + 1
		                                 : fallback;
	}
	if (fy_node_is_mapping(n)) {
		p = fy_node_mapping_iterate(n, &it);
		return p != NULL ? node_line(fy_node_pair_key(p), fallback)
		                 : fallback;
	}
	return fallback;
}

/* The text of a scalar; false for anything else (aliases included). */
static bool
scalar_of(struct fy_node *n, struct sv *out)
{
	const char *p;
	size_t len = 0;

	if (n == NULL) {
		*out = SV(""); /* "key:" with no value */
		return true;
	}
	if (!fy_node_is_scalar(n) || fy_node_is_alias(n))
		return false;
	p = fy_node_get_scalar(n, &len);
	*out = p != NULL ? sv_make(p, len) : SV("");
	return true;
}

/* A list value: a sequence of scalars, or a comma-separated scalar,
 * joined into 'out'. */
static bool
list_of(struct fy_node *n, char *out)
{
	struct fy_node *item;
	void *it = NULL;
	size_t len = 0;
	struct sv s;

	out[0] = '\0';
	if (n == NULL || !fy_node_is_sequence(n)) {
		if (!scalar_of(n, &s) || put(out, s) != 0)
			return false;
		return true;
	}
	while ((item = fy_node_sequence_iterate(n, &it)) != NULL) {
		if (!scalar_of(item, &s) || s.len == 0 ||
		    sv_find_char(s, ',') >= 0 || len + s.len + 2 > VALUE_MAX)
			return false;
		if (len != 0)
			out[len++] = ',';
		memcpy(out + len, s.p, s.len);
		len += s.len;
		out[len] = '\0';
	}
	return true;
}

static const char *
type_text(enum ftype t)
{
	switch (t) {
	case FT_INT:
		return "expected a whole number";
	case FT_BOOL:
		return "expected true or false";
	case FT_LIST:
		return "expected a list of texts";
	default:
		return "expected a text";
	}
}

static bool
env_name_ok(struct sv s)
{
	if (s.len == 0 || s.len > ENV_NAME_MAX ||
	    (s.p[0] >= '0' && s.p[0] <= '9'))
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

/* Values in a struct config were normalised when read: they parse
 * again, so the result of a parse is not needed. */
static void
parsed(int rc)
{
	(void)rc;
}

static int
field_index(enum kind k, struct sv name)
{
	for (unsigned i = 0; i < kinds[k].n; i++)
		if (sv_eq(name, sv_cstr(kinds[k].f[i].name)))
			return (int)i;
	return -1;
}

/* The name of an object in messages before its key is known. */
static const char *
obj_label(enum kind k, const struct obj *o, char *buf, size_t size)
{
	if (kinds[k].single)
		snprintf(buf, size, "%s", kinds[k].section);
	else
		snprintf(buf, size, "%s %s", kinds[k].what,
		    o->v[0] != NULL && o->v[0][0] != '\0' ? o->v[0] : "?");
	return buf;
}

/* A rule object starts from the defaults of its rule: find it first. */
static int
rule_of_map(struct fy_node *map, enum fraudcfg_rule *rule)
{
	struct fy_node_pair *p;
	void *it = NULL;
	struct sv k, v;

	while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
		if (scalar_of(fy_node_pair_key(p), &k) &&
		    sv_eq(k, SV("rule")) &&
		    scalar_of(fy_node_pair_value(p), &v))
			return fraudcfg_rule_parse(v, rule);
	}
	return -ENOENT;
}

static int
parse_obj(struct pstate *ps, enum kind k, struct fy_node *map, unsigned line,
    struct obj *o)
{
	const struct kdesc *kd = &kinds[k];
	bool given[FIELDS_MAX] = {false};
	enum fraudcfg_rule rule = FRAUDCFG_CALL_RATE;
	unsigned nerr = ps->errs->n + ps->errs->dropped;
	struct fy_node_pair *p;
	char label[80], text[VALUE_MAX], out[VALUE_MAX];
	void *it = NULL;
	const char *why;
	int rc;

	o->line = line;
	if (k == K_RULE && rule_of_map(map, &rule) != 0)
		rule = FRAUDCFG_CALL_RATE; /* reported with the field */
	rc = obj_blank(o, k, rule);
	if (rc != 0)
		return rc;
	while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *kn = fy_node_pair_key(p);
		struct fy_node *vn = fy_node_pair_value(p);
		unsigned kl = node_line(kn, line);
		struct sv name, v;
		int i;

		if (!scalar_of(kn, &name)) {
			add_err(ps->errs, kl, "%s: keys must be plain texts",
			    obj_label(k, o, label, sizeof(label)));
			continue;
		}
		if (k == K_TRUNK && sv_eq(name, SV("secret_env"))) {
			if (!scalar_of(vn, &v) || !env_name_ok(v)) {
				add_err(ps->errs, kl,
				    "%s: secret_env: the name of an "
				    "environment variable",
				    obj_label(k, o, label, sizeof(label)));
				continue;
			}
			free(o->secret_env);
			o->secret_env = sv_strdup(v);
			if (o->secret_env == NULL)
				return -ENOMEM;
			continue;
		}
		i = field_index(k, name);
		if (i < 0) {
			add_err(ps->errs, kl, "%s: unknown key '%.*s'",
			    obj_label(k, o, label, sizeof(label)),
			    (int)(name.len > 64 ? 64 : name.len), name.p);
			continue;
		}
		if (kd->f[i].type == FT_LIST
		        ? !list_of(vn, text)
		        : !scalar_of(vn, &v) || put(text, v) != 0) {
			add_err(ps->errs, kl, "%s: %s: %s",
			    obj_label(k, o, label, sizeof(label)),
			    kd->f[i].name, type_text(kd->f[i].type));
			continue;
		}
		why = "invalid";
		if (kd->f[i].norm(sv_cstr(text), out, &why) != 0) {
			add_err(ps->errs, kl, "%s: %s: %s",
			    obj_label(k, o, label, sizeof(label)),
			    kd->f[i].name, why);
			continue;
		}
		free(o->v[i]);
		o->v[i] = str_dup(out);
		if (o->v[i] == NULL)
			return -ENOMEM;
		o->vline[i] = kl;
		given[i] = true;
	}
	for (unsigned i = 0; i < kd->n; i++) {
		if ((kd->f[i].flags & F_REQ) != 0 && !given[i])
			add_err(ps->errs, line, "%s: missing '%s'",
			    obj_label(k, o, label, sizeof(label)),
			    kd->f[i].name);
		if (o->vline[i] == 0)
			o->vline[i] = line;
	}
	if (o->secret_env != NULL && o->v[T_SECRET][0] == '\0') {
		/* The trunk will have a secret: say so, as an export would. */
		rc = obj_set(o, k, T_SECRET, SV("set"));
		if (rc != 0)
			return rc;
	}
	rc = obj_key(o, k);
	if (rc == 0 && ps->errs->n + ps->errs->dropped != nerr)
		rc = -EINVAL; /* kept, so that references to it resolve */
	return rc;
}

static void
field_err(struct pstate *ps, enum kind k, const struct obj *o,
    const char *field, const char *why)
{
	int i = field != NULL ? field_index(k, sv_cstr(field)) : -1;

	add_err(ps->errs, i >= 0 ? o->vline[i] : o->line, "%s %s: %s: %s",
	    kinds[k].what, o->key, field != NULL ? field : "?", why);
}

static struct sv
vsv(const struct obj *o, unsigned i)
{
	return sv_cstr(o->v[i]);
}

static void
trunk_spec_of(const struct obj *o, struct trunk_spec *s)
{
	*s = (struct trunk_spec){
	    .name = vsv(o, T_NAME),
	    .host = vsv(o, T_HOST),
	    .port = u32_of(o->v[T_PORT]),
	    .username = vsv(o, T_USERNAME),
	    .auth_user = vsv(o, T_AUTH_USER),
	    .realm = vsv(o, T_REALM),
	    .from_domain = vsv(o, T_FROM_DOMAIN),
	    .acl = vsv(o, T_ACL),
	    .channels = u32_of(o->v[T_CHANNELS]),
	    .codecs = vsv(o, T_CODECS),
	    .outbound_cid = vsv(o, T_OUTBOUND_CID),
	    .expires_s = u32_of(o->v[T_EXPIRES]),
	};
	parsed(trunks_kind_parse(vsv(o, T_KIND), &s->kind));
	parsed(trunks_transport_parse(vsv(o, T_TRANSPORT), &s->transport));
}

static void
route_spec_of(const struct obj *o, struct route_spec *s)
{
	*s = (struct route_spec){
	    .name = vsv(o, R_NAME),
	    .pattern = vsv(o, R_PATTERN),
	    .priority = u32_of(o->v[R_PRIORITY]),
	    .strip = u32_of(o->v[R_STRIP]),
	    .prepend = vsv(o, R_PREPEND),
	    .trunks = vsv(o, R_TRUNKS),
	};
}

static void
profile_of(const struct obj *o, struct fraudcfg_profile *p)
{
	*p = (struct fraudcfg_profile){0};
	snprintf(p->name, sizeof(p->name), "%s", o->v[P_NAME]);
	if (o->v[P_CLASSES][0] != '\0')
		parsed(fraudcfg_classes_parse(vsv(o, P_CLASSES), &p->classes));
	if (o->v[P_WCLASSES][0] != '\0')
		parsed(fraudcfg_classes_parse(
		    vsv(o, P_WCLASSES), &p->window_classes));
	if (o->v[P_WINDOW][0] != '\0')
		parsed(fraudcfg_window_parse(vsv(o, P_WINDOW), &p->window));
	snprintf(p->allow, sizeof(p->allow), "%s", o->v[P_ALLOW]);
	snprintf(p->deny, sizeof(p->deny), "%s", o->v[P_DENY]);
}

/* Checks an object as a whole with the store's spec checks. */
static void
check_obj(struct pstate *ps, enum kind k, const struct obj *o)
{
	struct trunk_spec ts;
	struct route_spec rs;
	struct fraudcfg_profile p;
	const char *field = NULL;

	switch (k) {
	case K_TRUNK:
		trunk_spec_of(o, &ts);
		if (trunks_spec_check(&ts, &field) != 0)
			field_err(ps, k, o, field, "invalid for this trunk");
		else if (ts.kind == TRUNK_KIND_REGISTER &&
		         o->v[T_SECRET][0] == '\0' && o->secret_env == NULL)
			field_err(ps, k, o, "secret",
			    "a registration trunk needs 'secret: set' (or "
			    "secret_env for a new trunk)");
		break;
	case K_ROUTE:
		route_spec_of(o, &rs);
		if (routes_spec_check(&rs, &field) != 0)
			field_err(ps, k, o, field, "invalid for this route");
		break;
	case K_PROFILE:
		profile_of(o, &p);
		if ((p.window_classes != 0) != (o->v[P_WINDOW][0] != '\0'))
			field_err(ps, k, o, "window",
			    "window and window_classes go together");
		else if (fraudcfg_profile_check(&p, &field) != 0)
			field_err(ps, k, o, field, "invalid for this profile");
		break;
	case K_USER:
		if (strcmp(o->v[U_ALT], o->v[U_EXT]) == 0)
			field_err(ps, k, o, "alternate", "the user itself");
		break;
	case K_CEILING:
		if ((strcmp(o->v[C_SCOPE], "global") != 0) !=
		    (o->v[C_NAME][0] != '\0'))
			field_err(ps, k, o, "name",
			    "a user ceiling names an extension, a tenant "
			    "ceiling a tenant, the global one none");
		else if (strcmp(o->v[C_SCOPE], "tenant") == 0 &&
		         !groups_tenant_valid(vsv(o, C_NAME)))
			field_err(ps, k, o, "name",
			    "a tenant name: 1 to 32 of a-z 0-9 _ -");
		break;
	default:
		break;
	}
}

static int
parse_section(struct pstate *ps, enum kind k, struct fy_node *v, unsigned line)
{
	struct objs *l = &ps->cfg->k[k];
	struct fy_node *item;
	void *it = NULL;
	struct obj *o;
	int rc;

	if (kinds[k].single) {
		if (v == NULL || !fy_node_is_mapping(v)) {
			add_err(ps->errs, line, "%s: expected a mapping",
			    kinds[k].section);
			return 0;
		}
		o = objs_push(l);
		if (o == NULL)
			return -ENOMEM;
		rc = parse_obj(ps, k, v, line, o);
		if (rc == 0)
			check_obj(ps, k, o);
		return rc == -ENOMEM ? rc : 0;
	}
	if (v == NULL)
		return 0; /* "users:" with nothing: an empty list */
	if (!fy_node_is_sequence(v)) {
		add_err(
		    ps->errs, line, "%s: expected a list", kinds[k].section);
		return 0;
	}
	while ((item = fy_node_sequence_iterate(v, &it)) != NULL) {
		unsigned il = node_line(item, line);

		if (!fy_node_is_mapping(item)) {
			add_err(ps->errs, il, "%s: each entry is a mapping",
			    kinds[k].section);
			continue;
		}
		if (l->n >= CONFIG_OBJECTS_MAX) {
			add_err(ps->errs, il, "%s: more than %u entries",
			    kinds[k].section, CONFIG_OBJECTS_MAX);
			return 0;
		}
		o = objs_push(l);
		if (o == NULL)
			return -ENOMEM;
		rc = parse_obj(ps, k, item, il, o);
		if (rc == -ENOMEM)
			return rc;
		if (rc == 0)
			check_obj(ps, k, o);
	}
	return 0;
}

/* Sorts a kind's objects by key, refusing duplicates. */
static void
sort_objs(struct pstate *ps, enum kind k)
{
	struct objs *l = &ps->cfg->k[k];

	if (l->n == 0)
		return;
	qsort(l->a, l->n, sizeof(*l->a), obj_cmp);
	for (size_t i = 1; i < l->n; i++)
		if (l->a[i].key[0] != '\0' &&
		    strcmp(l->a[i - 1].key, l->a[i].key) == 0)
			add_err(ps->errs,
			    l->a[i].line > l->a[i - 1].line ? l->a[i].line
			                                    : l->a[i - 1].line,
			    "%s %s: listed twice", kinds[k].what, l->a[i].key);
}

static void
fraud_config_of(const struct config *cfg, struct fraud_config *fc)
{
	const struct objs *l = &cfg->k[K_RULE];
	const struct obj *o;

	fraud_config_defaults(fc);
	for (size_t i = 0; i < l->n; i++) {
		enum fraudcfg_rule r;
		struct fraud_rule_cfg *rc;

		if (fraudcfg_rule_parse(vsv(&l->a[i], RU_RULE), &r) != 0)
			continue;
		rc = fraudcfg_rule_of(fc, r);
		parsed(fraudcfg_mode_parse(vsv(&l->a[i], RU_MODE), &rc->mode));
		rc->count = u32_of(l->a[i].v[RU_COUNT]);
		rc->window_s = u32_of(l->a[i].v[RU_WINDOW]);
	}
	if (cfg->k[K_FRAUD].n == 0)
		return;
	o = &cfg->k[K_FRAUD].a[0];
	{
		const char *t = o->v[FR_OFFSET];
		uint32_t n = u32_of(t[0] == '-' ? t + 1 : t);

		fc->tz_offset_min = t[0] == '-' ? -(int32_t)n : (int32_t)n;
	}
	fc->cut_running = is_true(o->v[FR_CUT]);
	fc->ceiling_block_until_unblock =
	    strcmp(o->v[FR_CBLOCK], "unblock") == 0;
	parsed(fraudcfg_window_parse(vsv(o, FR_HOURS), &fc->business_hours));
	fc->seq_tail_digits = u32_of(o->v[FR_TAIL]);
	fc->short_s = u32_of(o->v[FR_SHORT]);
	fc->spike_factor_pct = u32_of(o->v[FR_FACTOR]);
	fc->spike_alpha_pct = u32_of(o->v[FR_ALPHA]);
	parsed(rating_money_parse(vsv(o, FR_MIN_SPEND), &fc->spike_min_spend));
	fc->disa_enabled = is_true(o->v[FR_DISA]);
	fc->outdial_enabled = is_true(o->v[FR_OUTDIAL]);
}

/* Fills what the file leaves out: singletons and rules get their
 * defaults (a file without them resets them). */
static int
complete(struct config *cfg)
{
	struct obj *o;
	int rc;

	for (unsigned k = 0; k < K_COUNT; k++) {
		if (!kinds[k].single || cfg->k[k].n != 0)
			continue;
		o = objs_push(&cfg->k[k]);
		if (o == NULL)
			return -ENOMEM;
		rc = obj_blank(o, (enum kind)k, FRAUDCFG_CALL_RATE);
		if (rc == 0)
			rc = obj_key(o, (enum kind)k);
		if (rc != 0)
			return rc;
	}
	for (unsigned r = 0; r < FRAUDCFG_RULE_COUNT; r++) {
		const char *name = fraudcfg_rule_name((enum fraudcfg_rule)r);
		bool found = false;

		for (size_t i = 0; i < cfg->k[K_RULE].n && !found; i++)
			found = strcmp(cfg->k[K_RULE].a[i].key, name) == 0;
		if (found)
			continue;
		o = objs_push(&cfg->k[K_RULE]);
		if (o == NULL)
			return -ENOMEM;
		rc = obj_blank(o, K_RULE, (enum fraudcfg_rule)r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* References inside the file. */
static void
check_refs(struct pstate *ps)
{
	const struct config *cfg = ps->cfg;
	const struct objs *profiles = &cfg->k[K_PROFILE];
	const struct objs *trunks = &cfg->k[K_TRUNK];
	struct fraud_config fc;
	const char *field = NULL;
	const struct obj *s = &cfg->k[K_SETTINGS].a[0];

	if (s->v[S_DEFAULT][0] != '\0' &&
	    objs_find(profiles, s->v[S_DEFAULT]) == NULL)
		add_err(ps->errs, s->vline[S_DEFAULT],
		    "settings: default_profile: unknown profile '%s'",
		    s->v[S_DEFAULT]);
	for (size_t i = 0; i < cfg->k[K_USER].n; i++) {
		const struct obj *u = &cfg->k[K_USER].a[i];

		if (u->v[U_PROFILE][0] != '\0' &&
		    objs_find(profiles, u->v[U_PROFILE]) == NULL)
			add_err(ps->errs, u->vline[U_PROFILE],
			    "user %s: profile: unknown profile '%s'", u->key,
			    u->v[U_PROFILE]);
		if (u->v[U_GROUP][0] != '\0' &&
		    objs_find(&cfg->k[K_GROUP], u->v[U_GROUP]) == NULL)
			add_err(ps->errs, u->vline[U_GROUP],
			    "user %s: group: unknown group '%s'", u->key,
			    u->v[U_GROUP]);
	}
	for (size_t i = 0; i < cfg->k[K_GROUP].n; i++) {
		const struct obj *g = &cfg->k[K_GROUP].a[i];

		if (g->v[G_PROFILE][0] != '\0' &&
		    objs_find(profiles, g->v[G_PROFILE]) == NULL)
			add_err(ps->errs, g->vline[G_PROFILE],
			    "group %s: profile: unknown profile '%s'", g->key,
			    g->v[G_PROFILE]);
	}
	for (size_t i = 0; i < cfg->k[K_CEILING].n; i++) {
		const struct obj *c = &cfg->k[K_CEILING].a[i];
		bool found = false;

		if (strcmp(c->v[C_SCOPE], "tenant") != 0)
			continue;
		for (size_t j = 0; j < cfg->k[K_GROUP].n && !found; j++)
			found = strcmp(cfg->k[K_GROUP].a[j].v[G_TENANT],
			            c->v[C_NAME]) == 0;
		if (!found)
			add_err(ps->errs, c->vline[C_NAME],
			    "ceiling %s: name: no group has the tenant '%s'",
			    c->key, c->v[C_NAME]);
	}
	for (size_t i = 0; i < cfg->k[K_ROUTE].n; i++) {
		const struct obj *r = &cfg->k[K_ROUTE].a[i];
		struct sv rest = vsv(r, R_TRUNKS), t;
		char name[TRUNKS_NAME_MAX + 1];
		bool last = rest.len == 0;

		while (!last) {
			if (!sv_split(&rest, ',', &t)) {
				t = rest;
				last = true;
			}
			snprintf(name, sizeof(name), "%.*s", (int)t.len, t.p);
			if (objs_find(trunks, name) == NULL)
				add_err(ps->errs, r->vline[R_TRUNKS],
				    "route %s: trunks: unknown trunk '%s'",
				    r->key, name);
		}
	}
	fraud_config_of(cfg, &fc);
	if (fraudcfg_rules_check(&fc, &field) == -EINVAL) {
		const struct obj *o = objs_find(&cfg->k[K_RULE], field);
		const struct obj *f = &cfg->k[K_FRAUD].a[0];
		unsigned line = o != NULL ? o->line
		                : strcmp(field, "utc-offset") == 0
		                    ? f->vline[FR_OFFSET]
		                    : f->vline[FR_HOURS];

		add_err(ps->errs, line, "fraud rules: %s: out of range", field);
	}
}

static void
diag_noop(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

static void
yaml_errors(struct fy_diag *diag, struct config_errors *errs)
{
	struct fy_diag_error *e;
	void *it = NULL;
	unsigned before = errs->n;

	while (diag != NULL && (e = fy_diag_errors_iterate(diag, &it)) != NULL)
		/* libfyaml's diagnostics count lines from 1. */
		add_err(errs, e->line > 0 ? (unsigned)e->line : 0, "YAML: %s",
		    e->msg != NULL ? e->msg : "syntax error");
	if (errs->n == before)
		add_err(errs, 0, "YAML: syntax error");
}

static int
parse_root(struct pstate *ps, struct fy_node *root)
{
	struct fy_node_pair *p;
	void *it = NULL;
	bool version = false;
	int rc;

	if (root == NULL || !fy_node_is_mapping(root)) {
		add_err(ps->errs, node_line(root, 1),
		    "the file is not a mapping of sections (rempart_config, "
		    "users, trunks, ...)");
		return 0;
	}
	while ((p = fy_node_mapping_iterate(root, &it)) != NULL) {
		struct fy_node *kn = fy_node_pair_key(p);
		struct fy_node *vn = fy_node_pair_value(p);
		unsigned line = node_line(kn, 1);
		unsigned k;
		struct sv name, v;
		uint32_t n;

		if (!scalar_of(kn, &name)) {
			add_err(ps->errs, line, "keys must be plain texts");
			continue;
		}
		if (sv_eq(name, SV(VERSION_KEY))) {
			version = true;
			if (!scalar_of(vn, &v) || sv_to_u32(v, 1000, &n) != 0 ||
			    n != CONFIG_SCHEMA_VERSION)
				add_err(ps->errs, line,
				    VERSION_KEY ": this rempart reads version "
				                "%d",
				    CONFIG_SCHEMA_VERSION);
			continue;
		}
		for (k = 0; k < K_COUNT; k++)
			if (sv_eq(name, sv_cstr(kinds[k].section)))
				break;
		if (k == K_COUNT) {
			add_err(ps->errs, line, "unknown section '%.*s'",
			    (int)(name.len > 64 ? 64 : name.len), name.p);
			continue;
		}
		rc = parse_section(ps, (enum kind)k, vn, line);
		if (rc != 0)
			return rc;
	}
	if (!version)
		add_err(ps->errs, 1, "missing '" VERSION_KEY ": %d' at the top",
		    CONFIG_SCHEMA_VERSION);
	return 0;
}

/* The file is the YAML an export writes: no directives ("%YAML",
 * "%TAG": the library's scanner of them can loop on bad input) and no
 * control bytes but tab and line ends. Refused with the line. */
static bool
plain_yaml(struct sv text, struct config_errors *errs)
{
	unsigned line = 1;
	bool line_start = true;

	for (size_t i = 0; i < text.len; i++) {
		unsigned char ch = (unsigned char)text.p[i];

		if (line_start && ch == '%') {
			add_err(errs, line, "YAML directives are not accepted");
			return false;
		}
		if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
			add_err(errs, line, "control character in the file");
			return false;
		}
		line_start = ch == '\n';
		if (ch == '\n')
			line++;
	}
	return true;
}

int
config_parse(struct sv text, struct config **out, struct config_errors *errs)
{
	struct fy_diag_cfg dc;
	struct fy_parse_cfg pc = {0};
	struct fy_document *fyd = NULL;
	struct fy_diag *diag;
	struct pstate ps;
	int rc;

	*out = NULL;
	*errs = (struct config_errors){0};
	if (text.len > CONFIG_FILE_MAX) {
		add_err(errs, 0, "the file is over %u bytes", CONFIG_FILE_MAX);
		return -E2BIG;
	}
	if (!plain_yaml(text, errs))
		return -EBADMSG;
	ps = (struct pstate){.errs = errs};
	ps.cfg = mem_calloc(1, sizeof(*ps.cfg));
	if (ps.cfg == NULL)
		return -ENOMEM;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = diag_noop;
	dc.level = FYET_ERROR;
	dc.colorize = false;
	diag = fy_diag_create(&dc);
	if (diag == NULL) {
		config_free(ps.cfg);
		return -ENOMEM;
	}
	fy_diag_set_collect_errors(diag, true);
	pc.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG |
	           FYPCF_DEFAULT_VERSION_1_2 | FYPCF_DISABLE_MMAP_OPT |
	           FYPCF_DISABLE_RECYCLING;
	pc.diag = diag;
	/* libfyaml wants a non-NULL pointer even for no bytes. */
	fyd = fy_document_build_from_string(
	    &pc, text.len != 0 ? text.p : "", text.len);
	if (fyd == NULL) {
		yaml_errors(diag, errs);
		rc = -EBADMSG;
		goto out;
	}
	rc = parse_root(&ps, fy_document_root(fyd));
	if (rc == 0)
		rc = complete(ps.cfg);
	for (unsigned k = 0; rc == 0 && k < K_COUNT; k++)
		sort_objs(&ps, (enum kind)k);
	if (rc == 0)
		check_refs(&ps);
	if (rc == 0 && (errs->n != 0 || errs->dropped != 0))
		rc = -EBADMSG;
out:
	fy_document_destroy(fyd);
	fy_diag_destroy(diag);
	if (rc != 0) {
		config_free(ps.cfg);
		return rc;
	}
	*out = ps.cfg;
	return 0;
}

/* Reading the store. */

struct rstate {
	struct config *cfg;
	int64_t now;
};

static struct obj *
push(struct rstate *rs, enum kind k)
{
	return objs_push(&rs->cfg->k[k]);
}

static int
read_profile(void *arg, const struct fraudcfg_profile *p)
{
	struct obj *o = push(arg, K_PROFILE);

	return o == NULL ? -ENOMEM : profile_obj(o, p);
}

static int
read_user(void *arg, const struct user_info *u)
{
	struct obj *o = push(arg, K_USER);

	return o == NULL ? -ENOMEM : user_obj(o, u);
}

static int
read_group(void *arg, const struct group_info *g)
{
	struct obj *o = push(arg, K_GROUP);

	return o == NULL ? -ENOMEM : group_obj(o, g);
}

static int
read_trunk(void *arg, const struct trunk_info *t)
{
	struct obj *o = push(arg, K_TRUNK);

	return o == NULL ? -ENOMEM : trunk_obj(o, t);
}

static int
read_route(void *arg, const struct route_info *r)
{
	struct obj *o = push(arg, K_ROUTE);

	return o == NULL ? -ENOMEM : route_obj(o, r);
}

static int
read_did(void *arg, const struct did_info *d)
{
	struct obj *o = push(arg, K_DID);

	return o == NULL ? -ENOMEM : did_obj(o, d);
}

static int
read_rate(void *arg, const struct fraudcfg_rate *r)
{
	struct obj *o = push(arg, K_RATE);

	return o == NULL ? -ENOMEM : rate_obj(o, r);
}

static int
read_ceiling(void *arg, const struct fraudcfg_ceiling *c)
{
	struct obj *o;

	if (c->c.hour == 0 && c->c.day == 0)
		return 0; /* no ceiling */
	o = push(arg, K_CEILING);
	return o == NULL ? -ENOMEM : ceiling_obj(o, c);
}

/* Only permanent bans an administrator set are configuration; the
 * guard's and temporary ones are state. */
static int
read_ban(void *arg, const struct ban_record *b)
{
	struct obj *o;
	int rc;

	if (b->until != 0 || !sv_eq(b->source, SV(BANS_SOURCE_ADMIN)))
		return 0;
	o = push(arg, K_BAN);
	if (o == NULL)
		return -ENOMEM;
	rc = obj_set(o, K_BAN, B_ADDR, b->addr);
	if (rc == 0)
		rc = obj_set(o, K_BAN, B_REASON, b->reason);
	return rc != 0 ? rc : obj_key(o, K_BAN);
}

static int
read_all(struct db *db, const struct keys *keys, struct rstate *rs)
{
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN];
	char def[FRAUDCFG_NAME_MAX + 1];
	struct fraud_config fc;
	struct alert_config ac;
	uint32_t days;
	struct obj *o;
	int rc;

	rc = fraudcfg_default_get(db, def);
	if (rc == -ENOENT) {
		def[0] = '\0';
		rc = 0;
	}
	if (rc == 0 && audit_retention_days(db, &days) != 0)
		days = AUDIT_RETENTION_DEFAULT_DAYS;
	o = rc == 0 ? push(rs, K_SETTINGS) : NULL;
	if (rc == 0)
		rc = o == NULL ? -ENOMEM : settings_obj(o, def, days);
	if (rc == 0)
		rc = fraudcfg_profile_list(db, read_profile, rs);
	if (rc == 0)
		rc = groups_list(db, read_group, rs);
	if (rc == 0)
		rc = users_list(db, read_user, rs);
	if (rc == 0)
		rc = trunks_list(db, read_trunk, rs);
	if (rc == 0)
		rc = routes_list(db, read_route, rs);
	if (rc == 0)
		rc = dids_list(db, read_did, rs);
	if (rc == 0)
		rc = fraudcfg_rates_list(db, read_rate, rs);
	if (rc == 0)
		rc = fraudcfg_ceiling_list(db, read_ceiling, rs);
	if (rc == 0) {
		fraud_config_defaults(&fc);
		rc = fraudcfg_rules_load(db, &fc);
	}
	for (unsigned r = 0; rc == 0 && r < FRAUDCFG_RULE_COUNT; r++) {
		o = push(rs, K_RULE);
		rc = o == NULL ? -ENOMEM
		               : rule_obj(o, &fc, (enum fraudcfg_rule)r);
	}
	if (rc == 0)
		rc = fraudcfg_system_lists_get(db, allow, deny);
	if (rc == 0) {
		o = push(rs, K_FRAUD);
		rc = o == NULL ? -ENOMEM : fraud_obj(o, &fc, allow, deny);
	}
	if (rc == 0)
		rc = bans_list(db, rs->now, read_ban, rs);
	if (rc == 0) {
		rc = alertcfg_load(db, keys, &ac);
		o = rc == 0 ? push(rs, K_ALERT) : NULL;
		if (rc == 0)
			rc = o == NULL ? -ENOMEM : alert_obj(o, &ac);
		alert_config_wipe(&ac);
	}
	return rc;
}

int
config_read(
    struct db *db, const struct keys *keys, int64_t now, struct config **out)
{
	struct rstate rs = {.now = now};
	int rc;

	*out = NULL;
	rs.cfg = mem_calloc(1, sizeof(*rs.cfg));
	if (rs.cfg == NULL)
		return -ENOMEM;
	rc = db_read_begin(db);
	if (rc == 0) {
		rc = read_all(db, keys, &rs);
		db_read_end(db);
	}
	for (unsigned k = 0; rc == 0 && k < K_COUNT; k++)
		if (rs.cfg->k[k].n > 1)
			qsort(rs.cfg->k[k].a, rs.cfg->k[k].n,
			    sizeof(*rs.cfg->k[k].a), obj_cmp);
	if (rc != 0) {
		config_free(rs.cfg);
		return rc;
	}
	*out = rs.cfg;
	return 0;
}

/* Writing. */

static void
yaml_str(struct buf *b, const char *s)
{
	buf_append_char(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf_append_char(b, '\\');
			buf_append_char(b, (char)c);
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(b, "\\x%02x", c);
		} else {
			buf_append_char(b, (char)c);
		}
	}
	buf_append_char(b, '"');
}

static void
yaml_value(struct buf *b, enum ftype t, const char *v)
{
	const char *p = v, *comma;

	if (t == FT_INT || t == FT_BOOL) {
		buf_append_cstr(b, v);
		return;
	}
	if (t != FT_LIST) {
		yaml_str(b, v);
		return;
	}
	buf_append_char(b, '[');
	while (*p != '\0') {
		char item[VALUE_MAX];
		size_t n;

		comma = strchr(p, ',');
		n = comma != NULL ? (size_t)(comma - p) : strlen(p);
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		yaml_str(b, item);
		p += n;
		if (*p == ',') {
			p++;
			buf_append_cstr(b, ", ");
		}
	}
	buf_append_char(b, ']');
}

static void
write_obj(struct buf *b, enum kind k, const struct obj *o, const char *indent,
    const char *first)
{
	const struct kdesc *kd = &kinds[k];

	for (unsigned i = 0; i < kd->n; i++) {
		if ((kd->f[i].flags & F_OMIT) != 0 && o->v[i][0] == '\0')
			continue;
		buf_printf(b, "%s%s: ", i == 0 ? first : indent, kd->f[i].name);
		yaml_value(b, kd->f[i].type, o->v[i]);
		buf_append_char(b, '\n');
	}
}

int
config_write(const struct config *cfg, struct buf *out)
{
	buf_printf(out,
	    "# rempart configuration (R-ADMIN-5). No secrets: apply with\n"
	    "# 'rempart config import FILE' (see --dry-run).\n"
	    "%s: %d\n",
	    VERSION_KEY, CONFIG_SCHEMA_VERSION);
	for (unsigned k = 0; k < K_COUNT; k++) {
		const struct objs *l = &cfg->k[k];

		if (kinds[k].single) {
			if (l->n == 0)
				continue;
			buf_printf(out, "%s:\n", kinds[k].section);
			write_obj(out, (enum kind)k, &l->a[0], "  ", "  ");
			continue;
		}
		buf_printf(
		    out, "%s:%s\n", kinds[k].section, l->n == 0 ? " []" : "");
		for (size_t i = 0; i < l->n; i++)
			write_obj(out, (enum kind)k, &l->a[i], "    ", "  - ");
	}
	return buf_error(out);
}

/* Comparing. */

static void
json_obj(struct buf *b, enum kind k, const struct obj *o)
{
	const struct kdesc *kd = &kinds[k];

	buf_append_char(b, '{');
	for (unsigned i = 0; i < kd->n; i++) {
		const char *v = o->v[i];

		buf_printf(b, "%s\"%s\":", i > 0 ? "," : "", kd->f[i].name);
		if (kd->f[i].type == FT_INT || kd->f[i].type == FT_BOOL) {
			buf_append_cstr(b, v);
			continue;
		}
		buf_append_char(b, '"');
		for (; *v != '\0'; v++) {
			unsigned char c = (unsigned char)*v;

			if (c == '"' || c == '\\')
				buf_printf(b, "\\%c", c);
			else if (c < 0x20 || c == 0x7f)
				buf_printf(b, "\\u%04x", c);
			else
				buf_append_char(b, (char)c);
		}
		buf_append_char(b, '"');
	}
	buf_append_char(b, '}');
}

/* The changed fields of two objects, comma-separated; "" when equal. */
static void
changed_fields(enum kind k, const struct obj *a, const struct obj *b, char *out,
    size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < kinds[k].n; i++) {
		bool diff = strcmp(a->v[i], b->v[i]) != 0;

		if (k == K_TRUNK && i == T_SECRET && b->secret_env != NULL)
			diff = true; /* a new secret from the environment */
		if (diff && len < size)
			len += (size_t)snprintf(out + len, size - len, "%s%s",
			    len > 0 ? "," : "", kinds[k].f[i].name);
	}
}

/* Calls cb for the changes of kind k with the given ops. */
static int
walk(enum kind k, const struct config *cur, const struct config *next,
    const struct config_opts *opts, unsigned ops, config_change_cb cb,
    void *arg)
{
	const struct objs *a = &cur->k[k], *b = &next->k[k];
	size_t i = 0, j = 0;
	struct buf before, after;
	char fields[512];
	int rc = 0;

	buf_init(&before, 0);
	buf_init(&after, 0);
	while (rc == 0 && (i < a->n || j < b->n)) {
		const struct obj *x = i < a->n ? &a->a[i] : NULL;
		const struct obj *y = j < b->n ? &b->a[j] : NULL;
		int c = x == NULL ? 1 : y == NULL ? -1 : strcmp(x->key, y->key);
		struct config_change ch = {.kind = kinds[k].what};

		buf_reset(&before);
		buf_reset(&after);
		fields[0] = '\0';
		if (c < 0) {
			i++;
			if (k == K_USER && !opts->prune_users)
				continue;
			ch.op = CONFIG_REMOVE;
			ch.key = x->key;
			json_obj(&before, k, x);
		} else if (c > 0) {
			j++;
			ch.op = CONFIG_ADD;
			ch.key = y->key;
			ch.line = y->line;
			json_obj(&after, k, y);
		} else {
			i++;
			j++;
			changed_fields(k, x, y, fields, sizeof(fields));
			if (fields[0] == '\0')
				continue;
			ch.op = CONFIG_CHANGE;
			ch.key = y->key;
			ch.line = y->line;
			json_obj(&before, k, x);
			json_obj(&after, k, y);
		}
		if ((ops & (1u << ch.op)) == 0)
			continue;
		if (buf_error(&before) != 0 || buf_error(&after) != 0) {
			rc = -ENOMEM;
			break;
		}
		ch.fields = fields;
		ch.before = buf_view(&before);
		ch.after = buf_view(&after);
		rc = cb(arg, &ch);
	}
	buf_release(&before);
	buf_release(&after);
	return rc;
}

#define OPS_ALL                                                                \
	((1u << CONFIG_ADD) | (1u << CONFIG_CHANGE) | (1u << CONFIG_REMOVE))

int
config_diff(const struct config *cur, const struct config *next,
    const struct config_opts *opts, config_change_cb cb, void *arg)
{
	int rc = 0;

	for (unsigned k = 0; rc == 0 && k < K_COUNT; k++)
		rc = walk((enum kind)k, cur, next, opts, OPS_ALL, cb, arg);
	return rc;
}

/* Checking against the store. */

static bool
user_kept(const struct config *cur, const struct config *next,
    const struct config_opts *opts, const char *ext)
{
	if (objs_find(&next->k[K_USER], ext) != NULL)
		return true;
	return !opts->prune_users && objs_find(&cur->k[K_USER], ext) != NULL;
}

static void
check_ext(struct config_errors *errs, const struct config *cur,
    const struct config *next, const struct config_opts *opts, const char *what,
    const struct obj *o, unsigned line, const char *field, const char *ext)
{
	if (ext[0] == '\0' || ext[0] == '+' || user_kept(cur, next, opts, ext))
		return;
	add_err(errs, line, "%s %s: %s: no user %s%s", what, o->key, field, ext,
	    objs_find(&cur->k[K_USER], ext) != NULL
	        ? " (it would be removed by --prune-users)"
	        : "");
}

int
config_check(const struct config *cur, const struct config *next,
    const struct config_opts *opts, struct config_errors *errs)
{
	*errs = (struct config_errors){0};
	for (size_t i = 0; i < next->k[K_USER].n; i++) {
		const struct obj *u = &next->k[K_USER].a[i];

		if (objs_find(&cur->k[K_USER], u->key) == NULL)
			add_err(errs, u->line,
			    "user %s does not exist: users are not created "
			    "from a file (their secrets cannot be in it); run "
			    "'rempart user add %s' first",
			    u->key, u->key);
		check_ext(errs, cur, next, opts, "user", u, u->vline[U_ALT],
		    "alternate", u->v[U_ALT]);
	}
	/* Users the file leaves out keep their fields: their profile must
	 * stay. */
	for (size_t i = 0; !opts->prune_users && i < cur->k[K_USER].n; i++) {
		const struct obj *u = &cur->k[K_USER].a[i];

		if (u->v[U_PROFILE][0] == '\0' ||
		    objs_find(&next->k[K_USER], u->key) != NULL ||
		    objs_find(&next->k[K_PROFILE], u->v[U_PROFILE]) != NULL)
			continue;
		add_err(errs, 0,
		    "user %s, not in the file and so kept, has the profile %s "
		    "the file removes: list the user, or keep the profile",
		    u->key, u->v[U_PROFILE]);
	}
	for (size_t i = 0; !opts->prune_users && i < cur->k[K_USER].n; i++) {
		const struct obj *u = &cur->k[K_USER].a[i];

		if (u->v[U_GROUP][0] == '\0' ||
		    objs_find(&next->k[K_USER], u->key) != NULL ||
		    objs_find(&next->k[K_GROUP], u->v[U_GROUP]) != NULL)
			continue;
		add_err(errs, 0,
		    "user %s, not in the file and so kept, is in the group %s "
		    "the file removes: list the user, or keep the group",
		    u->key, u->v[U_GROUP]);
	}
	for (size_t i = 0; i < next->k[K_DID].n; i++) {
		const struct obj *d = &next->k[K_DID].a[i];

		check_ext(errs, cur, next, opts, "did", d, d->vline[D_EXT],
		    "ext", d->v[D_EXT]);
		check_ext(errs, cur, next, opts, "did", d, d->vline[D_ALT],
		    "alternate", d->v[D_ALT]);
	}
	for (size_t i = 0; i < next->k[K_CEILING].n; i++) {
		const struct obj *c = &next->k[K_CEILING].a[i];

		if (strcmp(c->v[C_SCOPE], "user") == 0)
			check_ext(errs, cur, next, opts, "ceiling", c,
			    c->vline[C_NAME], "name", c->v[C_NAME]);
	}
	for (size_t i = 0; i < next->k[K_TRUNK].n; i++) {
		const struct obj *t = &next->k[K_TRUNK].a[i];
		const struct obj *old = objs_find(&cur->k[K_TRUNK], t->key);

		if (t->v[T_SECRET][0] == '\0' || t->secret_env != NULL ||
		    (old != NULL && old->v[T_SECRET][0] != '\0'))
			continue;
		add_err(errs, t->vline[T_SECRET],
		    "trunk %s: secret: %s, and secrets never come from the "
		    "file: add 'secret_env: VARIABLE' naming an environment "
		    "variable that holds it, or import without 'secret: set' "
		    "and then run 'rempart trunk set %s --secret-stdin'",
		    t->key, old == NULL ? "a new trunk" : "no secret is stored",
		    t->key);
	}
	return errs->n != 0 || errs->dropped != 0 ? -EBADMSG : 0;
}

/* Applying. */

struct astate {
	struct db *db;
	const struct keys *keys;
	const struct config *cur, *next;
	const struct config_opts *opts;
	int64_t now;
	config_change_cb cb;
	void *arg;
	struct config_errors *errs;
	bool rates, rules;
	const struct obj *o;   /* the change's object in 'next' */
	const struct obj *old; /* and in 'cur' */
};

static int
store_err(struct astate *as, const struct config_change *ch, int rc,
    const char *field)
{
	if (rc == -EINVAL || rc == -ENOENT || rc == -ENXIO || rc == -EBUSY ||
	    rc == -EEXIST || rc == -E2BIG) {
		add_err(as->errs, ch->line,
		    "%s %s: the store refused it%s%s: %s", ch->kind, ch->key,
		    field != NULL ? " at " : "", field != NULL ? field : "",
		    strerror(-rc));
		return -EBADMSG;
	}
	return rc;
}

static int
apply_profile(struct astate *as, const struct config_change *ch)
{
	struct fraudcfg_profile p;
	const char *field = NULL;
	int rc;

	if (ch->op == CONFIG_REMOVE)
		return fraudcfg_profile_remove(as->db, sv_cstr(ch->key), NULL);
	profile_of(as->o, &p);
	rc = ch->op == CONFIG_ADD
	         ? fraudcfg_profile_add(as->db, &p, as->now, &field)
	         : fraudcfg_profile_update(as->db, &p, as->now, &field);
	return store_err(as, ch, rc, field);
}

static int
apply_group(struct astate *as, const struct config_change *ch)
{
	struct group_info g = {0};
	const char *field = NULL;
	int rc;

	if (ch->op == CONFIG_REMOVE)
		return store_err(as, ch,
		    groups_remove(as->db, sv_cstr(ch->key), false, NULL), NULL);
	snprintf(g.name, sizeof(g.name), "%s", as->o->v[G_NAME]);
	snprintf(g.profile, sizeof(g.profile), "%s", as->o->v[G_PROFILE]);
	snprintf(g.tenant, sizeof(g.tenant), "%s", as->o->v[G_TENANT]);
	snprintf(g.description, sizeof(g.description), "%s",
	    as->o->v[G_DESCRIPTION]);
	rc = ch->op == CONFIG_ADD ? groups_add(as->db, &g, as->now, &field)
	                          : groups_update(as->db, &g, as->now, &field);
	return store_err(as, ch, rc, field);
}

static int
apply_settings(struct astate *as, const struct config_change *ch)
{
	const struct obj *o = as->o;
	const struct obj *old = as->old;
	int rc = 0;

	if (strcmp(o->v[S_DEFAULT], old->v[S_DEFAULT]) != 0) {
		if (o->v[S_DEFAULT][0] == '\0') {
			rc = settings_delete(as->db, FRAUDCFG_DEFAULT_PROFILE);
			if (rc == -ENOENT)
				rc = 0;
		} else {
			rc = fraudcfg_default_set(as->db, vsv(o, S_DEFAULT));
		}
	}
	if (rc == 0 && strcmp(o->v[S_RETENTION], old->v[S_RETENTION]) != 0)
		rc = settings_set(
		    as->db, AUDIT_SETTING_RETENTION, vsv(o, S_RETENTION));
	return store_err(as, ch, rc, NULL);
}

static int
apply_trunk(struct astate *as, const struct config_change *ch)
{
	const struct obj *o, *old;
	struct trunk_spec s;
	struct sv secret = SV_NULL;
	const char *field = NULL, *env;
	bool enabled;
	int rc;

	if (ch->op == CONFIG_REMOVE)
		return store_err(as, ch,
		    trunks_remove(as->db, sv_cstr(ch->key), NULL), NULL);
	o = as->o;
	old = as->old;
	if (o->secret_env != NULL) {
		env = as->opts->env != NULL
		          ? as->opts->env(as->opts->env_arg, o->secret_env)
		          : NULL;
		if (env == NULL || !trunks_secret_valid(sv_cstr(env))) {
			add_err(as->errs, o->line,
			    "trunk %s: secret_env: the environment variable "
			    "%s %s",
			    o->key, o->secret_env,
			    env == NULL
			        ? "is not set"
			        : "is not 1 to 128 printable characters");
			return -EBADMSG;
		}
		secret = sv_cstr(env);
	} else if (old != NULL && o->v[T_SECRET][0] == '\0' &&
	           old->v[T_SECRET][0] != '\0') {
		secret = SV(""); /* the file says the trunk has none */
	}
	trunk_spec_of(o, &s);
	rc = ch->op == CONFIG_ADD
	         ? trunks_add(as->db, as->keys, &s, secret, as->now, &field)
	         : trunks_update(as->db, as->keys, &s, secret, as->now, &field);
	enabled = is_true(o->v[T_ENABLED]);
	if (rc == 0 &&
	    (old == NULL ? !enabled : enabled != is_true(old->v[T_ENABLED])))
		rc = trunks_set_enabled(as->db, s.name, enabled, as->now);
	return store_err(as, ch, rc, field);
}

static int
apply_user(struct astate *as, const struct config_change *ch)
{
	const struct obj *o, *old;
	struct sv ext = sv_cstr(ch->key);
	int rc = 0;

	if (ch->op == CONFIG_REMOVE)
		return store_err(as, ch, users_remove(as->db, ext), NULL);
	o = as->o;
	old = as->old;
	if (strcmp(o->v[U_NAME], old->v[U_NAME]) != 0)
		rc = users_set_name(as->db, ext, vsv(o, U_NAME), as->now);
	if (rc == 0 && (strcmp(o->v[U_SRTP], old->v[U_SRTP]) != 0 ||
	                   strcmp(o->v[U_CODECS], old->v[U_CODECS]) != 0))
		rc = users_set_media(as->db, ext,
		    strcmp(o->v[U_SRTP], "required") == 0, vsv(o, U_CODECS),
		    as->now);
	if (rc == 0 && strcmp(o->v[U_ACL], old->v[U_ACL]) != 0)
		rc = users_set_acl(as->db, ext, vsv(o, U_ACL), as->now);
	if (rc == 0 && (strcmp(o->v[U_ALT], old->v[U_ALT]) != 0 ||
	                   strcmp(o->v[U_OUTNUM], old->v[U_OUTNUM]) != 0))
		rc = users_set_continuity(
		    as->db, ext, vsv(o, U_ALT), vsv(o, U_OUTNUM), as->now);
	if (rc == 0 && strcmp(o->v[U_PROFILE], old->v[U_PROFILE]) != 0)
		rc = users_set_profile(as->db, ext, vsv(o, U_PROFILE), as->now);
	if (rc == 0 && strcmp(o->v[U_GROUP], old->v[U_GROUP]) != 0)
		rc = users_set_group(as->db, ext, vsv(o, U_GROUP), as->now);
	if (rc == 0 && strcmp(o->v[U_ENABLED], old->v[U_ENABLED]) != 0)
		rc = users_set_enabled(
		    as->db, ext, is_true(o->v[U_ENABLED]), as->now);
	return store_err(as, ch, rc, NULL);
}

/* Routes and DIDs have no update: a changed one is removed, then added
 * back with its new fields. */
static int
apply_route(struct astate *as, const struct config_change *ch)
{
	struct route_spec s;
	char missing[TRUNKS_NAME_MAX + 1];
	const char *field = NULL;
	int rc = 0;

	if (ch->op != CONFIG_ADD)
		rc = routes_remove(as->db, sv_cstr(ch->key));
	if (rc == 0 && ch->op != CONFIG_REMOVE) {
		route_spec_of(as->o, &s);
		rc = routes_add(as->db, &s, as->now, &field, missing);
	}
	return store_err(as, ch, rc, field);
}

static int
apply_did(struct astate *as, const struct config_change *ch)
{
	const struct obj *o;
	const char *field = NULL;
	int rc = 0;

	if (ch->op != CONFIG_ADD)
		rc = dids_remove(as->db, sv_cstr(ch->key));
	if (rc == 0 && ch->op != CONFIG_REMOVE) {
		o = as->o;
		rc = dids_add(as->db, vsv(o, D_NUMBER), vsv(o, D_EXT),
		    vsv(o, D_ALT), u32_of(o->v[D_RING]), as->now, &field);
	}
	return store_err(as, ch, rc, field);
}

static int
apply_ceiling(struct astate *as, const struct config_change *ch)
{
	const struct obj *o = (ch->op != CONFIG_REMOVE ? as->o : as->old);
	enum fraud_scope scope = FRAUD_SCOPE_GLOBAL;
	struct fraud_ceiling c = {0};
	const char *field = NULL;
	int rc;

	parsed(fraudcfg_scope_parse(vsv(o, C_SCOPE), &scope));
	if (ch->op == CONFIG_REMOVE) {
		rc = fraudcfg_ceiling_remove(as->db, scope, vsv(o, C_NAME));
		return store_err(as, ch, rc == -ENOENT ? 0 : rc, NULL);
	}
	if (money_of(o->v[C_HOURLY], &c.hour) != 0 ||
	    money_of(o->v[C_DAILY], &c.day) != 0)
		return store_err(as, ch, -EINVAL, NULL);
	rc = fraudcfg_ceiling_set(
	    as->db, scope, vsv(o, C_NAME), &c, as->now, &field);
	return store_err(as, ch, rc, field);
}

static int
apply_ban(struct astate *as, const struct config_change *ch)
{
	const struct obj *o;
	struct ban_record b;

	if (ch->op == CONFIG_REMOVE)
		return store_err(
		    as, ch, bans_delete(as->db, sv_cstr(ch->key)), NULL);
	o = as->o;
	b = (struct ban_record){
	    .addr = vsv(o, B_ADDR),
	    .until = 0,
	    .count = 1,
	    .reason = vsv(o, B_REASON),
	    .source = SV(BANS_SOURCE_ADMIN),
	    .created_at = as->now,
	    .updated_at = as->now,
	};
	return store_err(as, ch, bans_upsert(as->db, &b), NULL);
}

static int
copy_field(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -E2BIG;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
apply_alerts(struct astate *as, const struct config_change *ch)
{
	const struct obj *o = as->o;
	struct alert_config ac;
	const char *field = NULL;
	int rc;

	rc = alertcfg_load(as->db, as->keys, &ac);
	if (rc != 0)
		return rc;
	rc = copy_field(ac.webhook.url, sizeof(ac.webhook.url), o->v[A_WH_URL]);
	if (rc == 0)
		rc = copy_field(ac.webhook.ca_file, sizeof(ac.webhook.ca_file),
		    o->v[A_WH_CA]);
	if (rc == 0)
		rc = copy_field(
		    ac.email.url, sizeof(ac.email.url), o->v[A_EM_URL]);
	if (rc == 0)
		rc = copy_field(
		    ac.email.from, sizeof(ac.email.from), o->v[A_EM_FROM]);
	if (rc == 0)
		rc = copy_field(
		    ac.email.user, sizeof(ac.email.user), o->v[A_EM_USER]);
	if (rc == 0)
		rc = copy_field(
		    ac.email.ca_file, sizeof(ac.email.ca_file), o->v[A_EM_CA]);
	ac.email.starttls = is_true(o->v[A_EM_STARTTLS]);
	ac.dedupe_s = u32_of(o->v[A_DEDUPE]);
	ac.rate_per_min = u32_of(o->v[A_RATE]);
	ac.email.n_to = 0;
	if (rc == 0 && o->v[A_EM_TO][0] != '\0')
		rc = alertcfg_parse_to(vsv(o, A_EM_TO), &ac.email);
	/* A channel turned off drops its secret with the rest. */
	if (ac.webhook.url[0] == '\0')
		ac.webhook.secret[0] = '\0';
	if (rc == 0)
		rc = alertcfg_save(as->db, as->keys, &ac, &field);
	alert_config_wipe(&ac);
	if (rc == -EINVAL) {
		add_err(as->errs, ch->line,
		    "alerts: %s: refused (a channel also needs its secret: "
		    "set it with 'rempart alert webhook|email ...')",
		    field != NULL ? field : "?");
		return -EBADMSG;
	}
	return store_err(as, ch, rc, field);
}

static int
apply_rates(struct astate *as)
{
	const struct objs *l = &as->next->k[K_RATE];
	struct numplan_error err = {0, NULL};
	struct buf text;
	int rc;

	buf_init(&text, 0);
	for (size_t i = 0; i < l->n; i++) {
		const struct obj *o = &l->a[i];

		buf_printf(&text, "%s %s %s %s %s %s\n", o->v[RA_PREFIX],
		    o->v[RA_PER_MIN], o->v[RA_SETUP], o->v[RA_FIRST],
		    o->v[RA_INCR], o->v[RA_LABEL]);
	}
	rc = buf_error(&text);
	if (rc == 0)
		rc = fraudcfg_rates_import(as->db, buf_view(&text), &err, NULL);
	buf_release(&text);
	if ((rc == -EBADMSG || rc == -E2BIG) && err.reason != NULL &&
	    err.line >= 1 && err.line <= l->n) {
		add_err(as->errs, l->a[err.line - 1].line, "rate %s: %s",
		    l->a[err.line - 1].key, err.reason);
		return -EBADMSG;
	}
	return rc;
}

static int
apply_rules(struct astate *as)
{
	struct fraud_config fc;
	const char *field = NULL;
	int rc;

	fraud_config_of(as->next, &fc);
	rc = fraudcfg_rules_store(as->db, &fc, as->now, &field);
	if (rc == 0 && as->next->k[K_FRAUD].n > 0) {
		const struct obj *o = &as->next->k[K_FRAUD].a[0];

		field = "system_allow";
		rc = fraudcfg_system_list_set(
		    as->db, FRAUDCFG_SYSTEM_ALLOW, vsv(o, FR_SYS_ALLOW));
		if (rc == 0) {
			field = "system_deny";
			rc = fraudcfg_system_list_set(
			    as->db, FRAUDCFG_SYSTEM_DENY, vsv(o, FR_SYS_DENY));
		}
	}
	if (rc == -EINVAL) {
		add_err(as->errs, 0, "fraud rules: %s: refused",
		    field != NULL ? field : "?");
		return -EBADMSG;
	}
	return rc;
}

/* One change: write it, then hand it to the caller's callback. */
static int
apply_one(void *arg, const struct config_change *ch)
{
	struct astate *as = arg;
	enum kind k = K_COUNT;
	int rc = 0;

	for (unsigned i = 0; i < K_COUNT && k == K_COUNT; i++)
		if (strcmp(ch->kind, kinds[i].what) == 0)
			k = (enum kind)i;
	if (k == K_COUNT)
		return -EINVAL;
	as->o = objs_find(&as->next->k[k], ch->key);
	as->old = objs_find(&as->cur->k[k], ch->key);
	if ((ch->op != CONFIG_REMOVE && as->o == NULL) ||
	    (ch->op != CONFIG_ADD && as->old == NULL))
		return -EINVAL;
	if (strcmp(ch->kind, kinds[K_PROFILE].what) == 0)
		rc = apply_profile(as, ch);
	else if (strcmp(ch->kind, kinds[K_GROUP].what) == 0)
		rc = apply_group(as, ch);
	else if (strcmp(ch->kind, kinds[K_SETTINGS].what) == 0)
		rc = apply_settings(as, ch);
	else if (strcmp(ch->kind, kinds[K_TRUNK].what) == 0)
		rc = apply_trunk(as, ch);
	else if (strcmp(ch->kind, kinds[K_USER].what) == 0)
		rc = apply_user(as, ch);
	else if (strcmp(ch->kind, kinds[K_ROUTE].what) == 0)
		rc = apply_route(as, ch);
	else if (strcmp(ch->kind, kinds[K_DID].what) == 0)
		rc = apply_did(as, ch);
	else if (strcmp(ch->kind, kinds[K_CEILING].what) == 0)
		rc = apply_ceiling(as, ch);
	else if (strcmp(ch->kind, kinds[K_BAN].what) == 0)
		rc = apply_ban(as, ch);
	else if (strcmp(ch->kind, kinds[K_ALERT].what) == 0)
		rc = apply_alerts(as, ch);
	else if (strcmp(ch->kind, kinds[K_RATE].what) == 0)
		as->rates = true; /* the table is imported whole, once */
	else
		as->rules = true; /* rules and options: stored together */
	if (rc != 0)
		return rc;
	return as->cb(as->arg, ch);
}

int
config_apply(struct db *db, const struct keys *keys, const struct config *cur,
    const struct config *next, const struct config_opts *opts, int64_t now,
    config_change_cb cb, void *arg, struct config_errors *errs)
{
	/* The store's references decide the order: profiles before the
	 * groups, users and default naming them, groups before the users
	 * and tenant ceilings naming them, trunks before routes, routes and
	 * DIDs gone before their trunks and users, users moved off a group
	 * or profile before it goes. */
	static const struct {
		enum kind k;
		unsigned ops;
	} steps[] = {
	    {K_PROFILE, (1u << CONFIG_ADD) | (1u << CONFIG_CHANGE)},
	    {K_GROUP, (1u << CONFIG_ADD) | (1u << CONFIG_CHANGE)},
	    {K_SETTINGS, OPS_ALL},
	    {K_TRUNK, (1u << CONFIG_ADD) | (1u << CONFIG_CHANGE)},
	    {K_USER, 1u << CONFIG_CHANGE},
	    {K_ROUTE, OPS_ALL},
	    {K_DID, OPS_ALL},
	    {K_TRUNK, 1u << CONFIG_REMOVE},
	    {K_CEILING, OPS_ALL},
	    {K_USER, 1u << CONFIG_REMOVE},
	    {K_GROUP, 1u << CONFIG_REMOVE},
	    {K_PROFILE, 1u << CONFIG_REMOVE},
	    {K_RATE, OPS_ALL},
	    {K_RULE, OPS_ALL},
	    {K_FRAUD, OPS_ALL},
	    {K_BAN, OPS_ALL},
	    {K_ALERT, OPS_ALL},
	};
	struct astate as = {
	    .db = db,
	    .keys = keys,
	    .cur = cur,
	    .next = next,
	    .opts = opts,
	    .now = now,
	    .cb = cb,
	    .arg = arg,
	    .errs = errs,
	};
	int rc = 0;

	*errs = (struct config_errors){0};
	for (size_t i = 0; rc == 0 && i < RP_ARRAY_LEN(steps); i++)
		rc = walk(
		    steps[i].k, cur, next, opts, steps[i].ops, apply_one, &as);
	if (rc == 0 && as.rates)
		rc = apply_rates(&as);
	if (rc == 0 && as.rules)
		rc = apply_rules(&as);
	return rc;
}
