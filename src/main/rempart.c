/* rempart: the administration command line.
 *
 * The user (but 'user set'), bans and cdr commands are clients of the
 * administration API (admin/api.h, main/apiclient.h): through the
 * daemon's local socket DATA/rempart.sock (mode 0600; the daemon knows
 * us by our uid: "local:NAME" in the audit log), or, when no daemon
 * listens there, through the same API started in this process on a
 * private socket; with --api https://HOST:PORT --api-key-file FILE
 * [--api-ca FILE], through a remote daemon's HTTPS API. The API checks,
 * audits and applies each change, and the daemon sees it at once.
 *
 * The other commands still work on the data directory directly (SQLite
 * in WAL mode lets them run beside the daemon) and ask a running daemon
 * to reload by sending SIGHUP to the pid in DATA/rempartd.pid. Exit
 * codes: 0 done, 1 the operation failed (an API's 4xx included), 2 bad
 * usage. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/apikeys.h"
#include "cli.h"
#include "core/buf.h"
#include "core/seclog.h"
#include "core/sv.h"
#include "policy/secret.h"
#include "rempart_version.h"
#include "selfsigned.h"
#include "sip/auth.h"
#include "sip/host.h"
#include "store/audit.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/settings.h"
#include "store/trunks.h"
#include "store/users.h"

#define DEMO_FIRST 100
#define DEMO_LAST 105
#define TAIL_DEFAULT_LINES 20
#define TAIL_MAX_LINES 1000000u
#define TAIL_POLL_NS 200000000L
/* Longest 'audit list --limit'. */
#define AUDIT_LIMIT_MAX 1000000u
#define MS_PER_DAY (86400LL * 1000)
#define APIKEY_DEFAULT_SECS (90LL * 86400)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rempart [--data DIR] [--api https://HOST:PORT "
	    "--api-key-file FILE\n"
	    "               [--api-ca FILE]] COMMAND\n"
	    "  init [--realm REALM] [--demo]   create the data directory, "
	    "master key,\n"
	    "                                  TLS certificate (--demo: "
	    "extensions 100-105)\n"
	    "  user add EXT --name NAME (--secret S | --secret-stdin | "
	    "--generate-secret)\n"
	    "  user passwd EXT (--secret S | --secret-stdin | "
	    "--generate-secret)\n"
	    "  user list\n"
	    "  user show EXT\n"
	    "  user set EXT [--srtp required|optional] [--codecs LIST|any] "
	    "[--acl LIST|any]\n"
	    "                                  LIST: comma-separated codec "
	    "names, or\n"
	    "                                  addresses and networks "
	    "(192.0.2.0/24)\n"
	    "  user set EXT [--profile NAME|default]  dialing rights\n"
	    "  user set EXT [--alternate EXT|+E164|none] "
	    "[--outbound-number +E164|none]\n"
	    "                                  where calls go when EXT cannot "
	    "take them;\n"
	    "                                  the number shown on calls out\n"
	    "  user disable EXT | user enable EXT | user remove EXT\n"
	    "  trunk add NAME --kind register|ip --host HOST [--port P] "
	    "[--transport udp|tcp|tls]\n"
	    "      [--username U] [--auth-user A] [--secret-stdin] [--realm R] "
	    "[--from-domain D]\n"
	    "      [--acl CIDR,...] [--channels N] [--codecs LIST] "
	    "[--outbound-cid +E164]\n"
	    "      [--expires S]              a registration trunk needs "
	    "--username and\n"
	    "                                  --secret-stdin; an IP trunk "
	    "needs --acl\n"
	    "  trunk set NAME [OPTIONS]        change the options given\n"
	    "  trunk list | trunk show NAME\n"
	    "  trunk disable|enable|remove NAME\n"
	    "  route add NAME --pattern P --trunks T1[,T2...] [--priority N] "
	    "[--strip N]\n"
	    "      [--prepend DIGITS]         P: digits, '+', X N Z, [1-5], "
	    "final '.'\n"
	    "  route list | route remove NAME\n"
	    "  route test NUMBER               the route, trunks and number "
	    "a call would use\n"
	    "  did add +E164 --to EXT [--alternate EXT|+E164] "
	    "[--ring-timeout S]\n"
	    "  did list | did remove +E164\n"
	    "  bans list\n"
	    "  bans add ADDR[/PREFIX] [--for DURATION | --permanent] "
	    "[--reason TEXT]\n"
	    "                                  DURATION: N followed by s, m, "
	    "h, d or w\n"
	    "                                  (default 1d)\n"
	    "  bans remove ADDR[/PREFIX]\n"
	    "  security tail [-n N] [--follow] the last N (20) lines of the "
	    "security log\n"
	    "  audit verify                    check the audit log's hash "
	    "chain\n"
	    "  audit list [--since WHEN] [--limit N]\n"
	    "  audit prune [--older-than DURATION]  apply the retention now\n"
	    "  audit retention [DAYS]          show or set the retention "
	    "(400 days)\n"
	    "  cdr list [FILTERS]              call records, oldest first\n"
	    "  cdr export --csv [FILTERS]      the same as CSV (RFC 4180)\n"
	    "                                  FILTERS: --since WHEN, --until "
	    "WHEN,\n"
	    "                                  --ext EXT, --limit N (the "
	    "latest N)\n"
	    "                                  WHEN: 2026-11-23, "
	    "2026-11-23T10:00[:SS] (UTC)\n"
	    "                                  or an age: 90m, 2h, 7d\n"
	    "  apikey create --role admin|auditor|helpdesk|user [--ext EXT] "
	    "[--expires DURATION]\n"
	    "                                  prints the key once (default "
	    "expiry 90d;\n"
	    "                                  the user role needs --ext)\n"
	    "  apikey list | apikey revoke ID | apikey rotate ID\n"
	    "  assess [--json | --html FILE] [--min-score N]\n"
	    "                                  score the system against the "
	    "GUIDE checklist\n"
	    "                                  and LRAR (exit 1 below N of "
	    "30)\n"
	    "  assess attest ITEM --note TEXT [--date YYYY-MM-DD] "
	    "[--partial]\n"
	    "  assess attestations | assess revoke ITEM\n"
	    "  alert webhook URL --secret-stdin [--ca-file F] | alert webhook "
	    "none\n"
	    "                                  signed HTTPS POST of each "
	    "alert\n"
	    "  alert email --url smtp://HOST:PORT|smtps://HOST --from ADDR "
	    "--to ADDR[,ADDR]\n"
	    "      [--user U --password-stdin] [--starttls] [--ca-file F]\n"
	    "  alert email none\n"
	    "  alert limits [--dedupe SECONDS] [--rate N]  de-duplication "
	    "window (300),\n"
	    "                                  alerts per channel per minute "
	    "(10)\n"
	    "  alert show                      the channels (never the "
	    "secrets)\n"
	    "  alert test [webhook|email]      send a test alert now\n");
	cli_fraud_usage(f);
	cli_group_usage(f);
	cli_admin_usage(f);
	cli_config_usage(f);
	fprintf(f, "  --version, --help\n");
}

struct secret_list *
load_common_list(void)
{
	const char *dir = getenv("REMPART_SHARE");
	char path[4096];
	struct secret_list *l = NULL;

	if (path_join(path, sizeof(path), dir != NULL ? dir : RP_SHARE_DIR,
	        "common-secrets.txt") != 0 ||
	    secret_list_load(path, &l) != 0)
		return NULL;
	return l;
}

static int
store_user(
    struct cli *c, struct sv ext, struct sv name, const char *secret, bool add)
{
	struct sip_auth_ha1 ha1;

	char object[USERS_EXT_MAX + 1];
	struct buf after;
	int rc;

	rc = sip_auth_ha1_set(&ha1, ext, sv_cstr(c->realm), sv_cstr(secret));
	if (rc != 0)
		return fail("cannot compute the credentials", rc);
	/* The extension was checked by the caller: it fits. */
	snprintf(object, sizeof(object), "%.*s", SV_ARG(ext));
	buf_init(&after, 0);
	if (add) {
		json_str(&after, "name", name.p != NULL ? name.p : "");
		json_bool(&after, "enabled", true);
	}
	/* That the credentials changed, never what they are. */
	json_str(&after, "credentials", add ? "set" : "replaced");
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		if (add)
			rc = users_add(c->db, c->keys, ext, name, ha1.md5,
			    ha1.sha256, (int64_t)time(NULL));
		else
			rc = users_set_ha1(c->db, c->keys, ext, ha1.md5,
			    ha1.sha256, (int64_t)time(NULL));
		if (rc == 0)
			rc = audit_admin(c, add ? "user.add" : "user.passwd",
			    object, NULL, &after);
		rc = tx_end(c, rc);
	}
	sip_auth_ha1_wipe(&ha1);
	buf_release(&after);
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: extension %.*s already exists\n",
		    SV_ARG(ext));
		return EXIT_FAIL;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no extension %.*s\n", SV_ARG(ext));
		return EXIT_FAIL;
	}
	if (rc == -EINVAL) {
		fprintf(stderr, "rempart: invalid extension or name\n");
		return EXIT_FAIL;
	}
	return rc == 0 ? 0 : fail("cannot store the user", rc);
}

static int
cmd_init(struct cli *c, int argc, char **argv)
{
	const char *realm = NULL;
	char host[256], path[4096], key_path[4096];
	struct buf after;
	bool demo = false;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--realm") == 0 && i + 1 < argc) {
			realm = argv[++i];
		} else if (strcmp(argv[i], "--demo") == 0) {
			demo = true;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (realm == NULL) {
		/* The host's name, when it is a valid SIP host name. */
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		realm = sip_host_is_name(sv_cstr(host)) ? host : "rempart";
	}
	if (!sip_host_is_name(sv_cstr(realm))) {
		fprintf(stderr, "rempart: the realm must be a host name\n");
		return EXIT_USAGE;
	}
	if (mkdir(c->data_dir, 0750) != 0 && errno != EEXIST)
		return fail(c->data_dir, -errno);
	rc = keys_init(c->data_dir);
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: %s is already initialised\n",
		    c->data_dir);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot create the master key", rc);
	if (path_join(path, sizeof(path), c->data_dir, "tls") != 0 ||
	    (mkdir(path, 0750) != 0 && errno != EEXIST))
		return fail("cannot create the tls directory", -errno);
	if (path_join(path, sizeof(path), c->data_dir, "tls/cert.pem") != 0 ||
	    path_join(key_path, sizeof(key_path), c->data_dir, "tls/key.pem") !=
	        0)
		return fail("path", -ENAMETOOLONG);
	rc = selfsigned_create(path, key_path, realm);
	if (rc != 0 && rc != -EEXIST)
		return fail("cannot create the TLS certificate", rc);
	rc = keys_load(c->data_dir, &c->keys);
	if (rc != 0)
		return fail("cannot load the master key", rc);
	rc = db_open(&c->db, c->data_dir);
	if (rc != 0)
		return fail("cannot create the database", rc);
	buf_init(&after, 0);
	json_str(&after, "realm", realm);
	json_bool(&after, "demo", demo);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = settings_set(c->db, SETTINGS_SIP_REALM, sv_cstr(realm));
		if (rc == 0)
			rc = audit_admin(c, "init", "", NULL, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc != 0)
		return fail("cannot store the realm", rc);
	snprintf(c->realm, sizeof(c->realm), "%s", realm);
	printf("initialised %s (realm %s); no account has a default "
	       "secret\n",
	    c->data_dir, realm);
	if (demo) {
		/* R-AUTH-1: generated, strong, shown once. */
		printf("demo extensions (secrets shown once, keep them):\n");
		for (int ext = DEMO_FIRST; ext <= DEMO_LAST; ext++) {
			char e[8], name[32], secret[SECRET_MAX_LEN + 1];

			snprintf(e, sizeof(e), "%d", ext);
			snprintf(name, sizeof(name), "Demo %d", ext);
			rc = secret_generate(
			    secret, sizeof(secret), SECRET_GEN_DEFAULT_LEN);
			if (rc != 0)
				return fail("cannot generate a secret", rc);
			rc = store_user(
			    c, sv_cstr(e), sv_cstr(name), secret, true);
			if (rc != 0)
				return rc;
			printf("  %s  %s\n", e, secret);
			keys_wipe(secret, sizeof(secret));
		}
	}
	return 0;
}

/* What 'user set' changes; NULL or -1 leaves a setting alone. */
struct user_settings {
	int srtp_required;
	const char *codecs;
	const char *acl;
	const char *alternate; /* "" after "none" */
	const char *outbound;  /* "" after "none" */
	const char *profile;   /* "" after "default" */
	char codecs_norm[USERS_CODECS_STRLEN];
	char acl_norm[USERS_ACL_STRLEN];
};

/* "any" (or nothing at all) clears a list. */
static struct sv
list_arg(const char *text)
{
	return strcmp(text, "any") == 0 ? SV("") : sv_cstr(text);
}

/* "none" clears a text. */
static struct sv
none_arg(const char *text)
{
	return strcmp(text, "none") == 0 ? SV("") : sv_cstr(text);
}

/* Parses and checks the options of 'user set'. Returns 0 or an exit
 * code. */
static int
user_set_args(struct user_settings *set, int argc, char **argv)
{
	int rc;

	*set = (struct user_settings){.srtp_required = -1};
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--srtp") == 0 && i + 1 < argc &&
		    set->srtp_required < 0) {
			i++;
			if (strcmp(argv[i], "required") == 0)
				set->srtp_required = 1;
			else if (strcmp(argv[i], "optional") == 0)
				set->srtp_required = 0;
			else {
				fprintf(stderr,
				    "rempart: invalid --srtp '%s' (required "
				    "or optional)\n",
				    argv[i]);
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--codecs") == 0 && i + 1 < argc &&
		           set->codecs == NULL) {
			set->codecs = argv[++i];
		} else if (strcmp(argv[i], "--acl") == 0 && i + 1 < argc &&
		           set->acl == NULL) {
			set->acl = argv[++i];
		} else if (strcmp(argv[i], "--alternate") == 0 &&
		           i + 1 < argc && set->alternate == NULL) {
			set->alternate = none_arg(argv[++i]).p;
		} else if (strcmp(argv[i], "--outbound-number") == 0 &&
		           i + 1 < argc && set->outbound == NULL) {
			set->outbound = none_arg(argv[++i]).p;
		} else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc &&
		           set->profile == NULL) {
			i++;
			set->profile =
			    strcmp(argv[i], "default") == 0 ? "" : argv[i];
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (set->srtp_required < 0 && set->codecs == NULL && set->acl == NULL &&
	    set->alternate == NULL && set->outbound == NULL &&
	    set->profile == NULL) {
		fprintf(stderr, "rempart: user set needs --srtp, --codecs or "
		                "--acl (media and access), --alternate or "
		                "--outbound-number (calls), or --profile "
		                "(dialing rights)\n");
		return EXIT_USAGE;
	}
	if (set->profile != NULL && set->profile[0] != '\0' &&
	    !users_profile_valid(sv_cstr(set->profile))) {
		fprintf(stderr,
		    "rempart: invalid --profile '%s' (a profile name, or "
		    "'default')\n",
		    set->profile);
		return EXIT_USAGE;
	}
	if (set->alternate != NULL &&
	    !users_alternate_valid(sv_cstr(set->alternate))) {
		fprintf(stderr,
		    "rempart: invalid --alternate '%s' (another extension, an "
		    "E.164 number such as +33123456789, or 'none')\n",
		    set->alternate);
		return EXIT_USAGE;
	}
	if (set->outbound != NULL && set->outbound[0] != '\0' &&
	    !users_e164_valid(sv_cstr(set->outbound))) {
		fprintf(stderr,
		    "rempart: invalid --outbound-number '%s' (an E.164 number "
		    "such as +33123456789, or 'none')\n",
		    set->outbound);
		return EXIT_USAGE;
	}
	if (set->codecs != NULL) {
		rc = users_codecs_normalise(
		    list_arg(set->codecs), set->codecs_norm);
		if (rc != 0) {
			fprintf(stderr,
			    "rempart: invalid --codecs '%s' (up to %d "
			    "distinct names of 1-%d letters, digits, '.', '_' "
			    "or '-', comma-separated, or 'any')\n",
			    set->codecs, USERS_CODECS_MAX,
			    USERS_CODEC_NAME_MAX);
			return EXIT_USAGE;
		}
	}
	if (set->acl != NULL) {
		rc = users_acl_normalise(list_arg(set->acl), set->acl_norm);
		if (rc != 0) {
			fprintf(stderr,
			    "rempart: invalid --acl '%s' (up to %d IPv4 or "
			    "IPv6 addresses or networks such as 192.0.2.0/24, "
			    "no bits set past the prefix, comma-separated, or "
			    "'any')\n",
			    set->acl, USERS_ACL_MAX);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static const char *
any_if_empty(const char *list)
{
	return list[0] != '\0' ? list : "any";
}

/* The audit entry of 'user set': the settings it changes, before and
 * after. */
static int
user_set_audit(
    struct cli *c, const struct user_info *u, const struct user_settings *set)
{
	struct buf before, after;
	int rc;

	buf_init(&before, 0);
	buf_init(&after, 0);
	if (set->srtp_required >= 0) {
		json_str(&before, "srtp",
		    u->srtp_required ? "required" : "optional");
		json_str(&after, "srtp",
		    set->srtp_required == 1 ? "required" : "optional");
	}
	if (set->codecs != NULL) {
		json_str(&before, "codecs", any_if_empty(u->codecs));
		json_str(&after, "codecs", any_if_empty(set->codecs_norm));
	}
	if (set->acl != NULL) {
		json_str(&before, "acl", any_if_empty(u->acl));
		json_str(&after, "acl", any_if_empty(set->acl_norm));
	}
	if (set->alternate != NULL) {
		json_str(&before, "alternate", u->alternate);
		json_str(&after, "alternate", set->alternate);
	}
	if (set->outbound != NULL) {
		json_str(&before, "outbound_number", u->outbound_number);
		json_str(&after, "outbound_number", set->outbound);
	}
	if (set->profile != NULL) {
		json_str(&before, "profile", u->profile);
		json_str(&after, "profile", set->profile);
	}
	rc = audit_admin(c, "user.set", u->ext, &before, &after);
	buf_release(&before);
	buf_release(&after);
	return rc;
}

/* Applies the settings in one transaction: all of them or none. */
static int
user_set_store(struct cli *c, struct sv ext, const struct user_settings *set)
{
	int64_t now = (int64_t)time(NULL);
	struct user_info u;
	int rc;

	rc = db_tx_begin(c->db);
	if (rc != 0)
		return rc;
	rc = users_get_info(c->db, ext, &u);
	if (rc == 0)
		rc = user_set_audit(c, &u, set);
	if (rc == 0 && (set->srtp_required >= 0 || set->codecs != NULL))
		rc = users_set_media(c->db, ext,
		    set->srtp_required >= 0 ? set->srtp_required == 1
		                            : u.srtp_required,
		    sv_cstr(set->codecs != NULL ? set->codecs_norm : u.codecs),
		    now);
	if (rc == 0 && set->acl != NULL)
		rc = users_set_acl(c->db, ext, sv_cstr(set->acl_norm), now);
	if (rc == 0 && (set->alternate != NULL || set->outbound != NULL))
		rc = users_set_continuity(c->db, ext,
		    set->alternate != NULL ? sv_cstr(set->alternate) : SV_NULL,
		    set->outbound != NULL ? sv_cstr(set->outbound) : SV_NULL,
		    now);
	if (rc == 0 && set->profile != NULL) {
		rc = users_set_profile(c->db, ext, sv_cstr(set->profile), now);
		if (rc == -ENXIO)
			rc = -ENOPKG; /* told apart from --alternate's */
	}
	if (rc != 0) {
		db_tx_rollback(c->db);
		return rc;
	}
	return db_tx_commit(c->db);
}

static int
user_set(struct cli *c, struct sv ext, int argc, char **argv)
{
	struct user_settings set;
	int rc;

	rc = user_set_args(&set, argc, argv);
	if (rc != 0)
		return rc;
	if (set.alternate != NULL && sv_eq(sv_cstr(set.alternate), ext)) {
		fprintf(stderr,
		    "rempart: invalid --alternate '%s' (an "
		    "extension cannot be its own alternate)\n",
		    set.alternate);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = user_set_store(c, ext, &set);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no extension %.*s\n", SV_ARG(ext));
		return EXIT_FAIL;
	}
	if (rc == -ENXIO) {
		fprintf(stderr, "rempart: no extension %s (--alternate)\n",
		    set.alternate);
		return EXIT_FAIL;
	}
	if (rc == -ENOPKG) {
		fprintf(stderr, "rempart: no profile %s (--profile)\n",
		    set.profile);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot update the user", rc);
	notify_daemon(c);
	printf("extension %.*s updated\n", SV_ARG(ext));
	return 0;
}

/* 'user set' works on the store; the other user commands go through
 * the API (cli_api.c). */
static int
cmd_user(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc >= 2 && strcmp(argv[0], "set") == 0) {
		if (c->api_url != NULL) {
			fprintf(stderr, "rempart: user set works on the "
			                "daemon's host only (no --api)\n");
			return EXIT_USAGE;
		}
		if (!users_ext_valid(sv_cstr(argv[1]))) {
			fprintf(stderr,
			    "rempart: invalid extension '%s' (1-32 "
			    "letters, digits, '.', '_' or '-')\n",
			    argv[1]);
			return EXIT_USAGE;
		}
		if (argc == 4 && strcmp(argv[2], "--group") == 0)
			return cmd_user_group(c, sv_cstr(argv[1]), argv[3]);
		return user_set(c, sv_cstr(argv[1]), argc - 2, argv + 2);
	}
	rc = argc >= 1 ? cli_user(c, argc, argv) : CLI_USAGE;
	if (rc == CLI_USAGE) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	return rc;
}

static int
cmd_bans(struct cli *c, int argc, char **argv)
{
	int rc = cli_bans(c, argc, argv);

	if (rc == CLI_USAGE) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	return rc;
}

/* An option of 'trunk add' / 'trunk set' and where its value goes. */
struct trunk_opt {
	const char *name;
	size_t offset;
};

/* The options of 'trunk add' and 'trunk set'; NULL: not given. */
struct trunk_args {
	const char *kind, *host, *port, *transport, *username, *auth_user,
	    *realm, *from_domain, *acl, *channels, *codecs, *outbound_cid,
	    *expires;
	bool secret_stdin;
};

static const struct trunk_opt trunk_opts[] = {
    {"--kind", offsetof(struct trunk_args, kind)},
    {"--host", offsetof(struct trunk_args, host)},
    {"--port", offsetof(struct trunk_args, port)},
    {"--transport", offsetof(struct trunk_args, transport)},
    {"--username", offsetof(struct trunk_args, username)},
    {"--auth-user", offsetof(struct trunk_args, auth_user)},
    {"--realm", offsetof(struct trunk_args, realm)},
    {"--from-domain", offsetof(struct trunk_args, from_domain)},
    {"--acl", offsetof(struct trunk_args, acl)},
    {"--channels", offsetof(struct trunk_args, channels)},
    {"--codecs", offsetof(struct trunk_args, codecs)},
    {"--outbound-cid", offsetof(struct trunk_args, outbound_cid)},
    {"--expires", offsetof(struct trunk_args, expires)},
};

/* Each field of the store's checks, the option that sets it and what
 * it takes. */
static const struct {
	const char *field, *option, *rule;
} trunk_rules[] = {
    {"kind", "--kind", "register or ip"},
    {"transport", "--transport", "udp, tcp or tls"},
    {"host", "--host", "a host name or an IPv4 or IPv6 address"},
    {"port", "--port", "1-65535"},
    {"username", "--username",
        "up to 64 letters, digits or -_.!~*'()&=+$,;?/; a registration "
        "trunk needs one"},
    {"auth_user", "--auth-user",
        "up to 64 letters, digits or -_.!~*'()&=+$,;?/"},
    {"realm", "--realm", "up to 128 printable characters, no '\"' or '\\'"},
    {"from_domain", "--from-domain", "a host name or an IP address"},
    {"acl", "--acl",
        "up to 32 IPv4 or IPv6 addresses or networks such as "
        "192.0.2.0/24, comma-separated; an IP trunk needs at least one"},
    {"channels", "--channels", "1-10000 concurrent calls"},
    {"codecs", "--codecs",
        "up to 16 distinct codec names, comma-separated, or 'any'"},
    {"outbound_cid", "--outbound-cid",
        "an E.164 number such as +33123456789, or 'none'"},
    {"expires", "--expires", "60-3600 seconds"},
    {"secret", "--secret-stdin",
        "1-128 printable characters without spaces, on stdin; a "
        "registration trunk needs one"},
};

static int
trunk_field_error(const char *field, const char *value)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(trunk_rules); i++) {
		if (strcmp(trunk_rules[i].field, field) != 0)
			continue;
		if (value != NULL)
			fprintf(stderr, "rempart: invalid %s '%s' (%s)\n",
			    trunk_rules[i].option, value, trunk_rules[i].rule);
		else
			fprintf(stderr, "rempart: invalid or missing %s (%s)\n",
			    trunk_rules[i].option, trunk_rules[i].rule);
		return EXIT_USAGE;
	}
	fprintf(stderr, "rempart: invalid trunk %s\n", field);
	return EXIT_USAGE;
}

static int
trunk_parse_args(struct trunk_args *a, int argc, char **argv)
{
	*a = (struct trunk_args){0};
	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--secret-stdin") == 0 &&
		    !a->secret_stdin) {
			a->secret_stdin = true;
			continue;
		}
		for (size_t j = 0; j < RP_ARRAY_LEN(trunk_opts); j++)
			if (strcmp(argv[i], trunk_opts[j].name) == 0)
				slot = (const char **)((char *)a +
				                       trunk_opts[j].offset);
		if (slot == NULL || *slot != NULL || i + 1 >= argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	return 0;
}

static int
parse_u32_opt(const char *text, uint32_t min, uint32_t max, uint32_t *out,
    const char *field)
{
	if (sv_to_u32(sv_cstr(text), max, out) != 0 || *out < min)
		return trunk_field_error(field, text);
	return 0;
}

/* Overlays the given options on 's'. Returns 0 or an exit code. */
static int
trunk_apply_args(const struct trunk_args *a, struct trunk_spec *s)
{
	int rc = 0;

	if (a->kind != NULL && trunks_kind_parse(sv_cstr(a->kind), &s->kind))
		return trunk_field_error("kind", a->kind);
	if (a->transport != NULL &&
	    trunks_transport_parse(sv_cstr(a->transport), &s->transport))
		return trunk_field_error("transport", a->transport);
	if (a->host != NULL)
		s->host = sv_cstr(a->host);
	if (a->port != NULL)
		rc = parse_u32_opt(
		    a->port, 1, TRUNKS_PORT_MAX, &s->port, "port");
	if (rc == 0 && a->channels != NULL)
		rc = parse_u32_opt(a->channels, TRUNKS_CHANNELS_MIN,
		    TRUNKS_CHANNELS_MAX, &s->channels, "channels");
	if (rc == 0 && a->expires != NULL)
		rc = parse_u32_opt(a->expires, TRUNKS_EXPIRES_MIN,
		    TRUNKS_EXPIRES_MAX, &s->expires_s, "expires");
	if (rc != 0)
		return rc;
	if (a->username != NULL)
		s->username = sv_cstr(a->username);
	if (a->auth_user != NULL)
		s->auth_user = none_arg(a->auth_user);
	if (a->realm != NULL)
		s->realm = none_arg(a->realm);
	if (a->from_domain != NULL)
		s->from_domain = none_arg(a->from_domain);
	if (a->acl != NULL)
		s->acl = none_arg(a->acl);
	if (a->codecs != NULL)
		s->codecs = list_arg(a->codecs);
	if (a->outbound_cid != NULL)
		s->outbound_cid = none_arg(a->outbound_cid);
	return 0;
}

/* The option value behind a field, for the error message. */
static const char *
trunk_arg_value(const struct trunk_args *a, const char *field)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(trunk_rules); i++) {
		if (strcmp(trunk_rules[i].field, field) != 0)
			continue;
		for (size_t j = 0; j < RP_ARRAY_LEN(trunk_opts); j++)
			if (strcmp(trunk_opts[j].name, trunk_rules[i].option) ==
			    0)
				return *(
				    const char *const *)((const char *)a +
				                         trunk_opts[j].offset);
	}
	return NULL;
}

/* Reads one line from stdin: the trunk's secret. Returns 0 or an exit
 * code. */
static int
read_trunk_secret(char *out, size_t size)
{
	size_t n;

	if (fgets(out, (int)size, stdin) == NULL) {
		fprintf(stderr, "rempart: no secret on stdin\n");
		return EXIT_USAGE;
	}
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	if (!trunks_secret_valid(sv_make(out, n))) {
		keys_wipe(out, size);
		return trunk_field_error("secret", NULL);
	}
	return 0;
}

/* What the audit log keeps of a trunk: never the secret, only whether
 * there is one. */
static void
trunk_json(struct buf *b, const struct trunk_info *t)
{
	json_str(b, "kind", trunks_kind_name(t->kind));
	json_str(b, "transport", trunks_transport_name(t->transport));
	json_str(b, "host", t->host);
	json_int(b, "port", t->port);
	json_str(b, "username", t->username);
	json_str(b, "auth_user", t->auth_user);
	json_str(b, "realm", t->realm);
	json_str(b, "from_domain", t->from_domain);
	json_str(b, "acl", t->acl);
	json_int(b, "channels", t->channels);
	json_str(b, "codecs", any_if_empty(t->codecs));
	json_str(b, "outbound_cid", t->outbound_cid);
	json_int(b, "expires", t->expires_s);
	json_bool(b, "enabled", t->enabled);
	json_str(b, "secret", t->has_secret ? "set" : "none");
}

static const char *
none_if_empty(const char *s)
{
	return s[0] != '\0' ? s : "none";
}

/* Stores a new or changed trunk and its audit entry in one
 * transaction. 'secret' is SV_NULL to keep the stored one. */
static int
trunk_store(struct cli *c, const struct trunk_spec *s, struct sv secret,
    bool add, const char **field)
{
	struct buf before, after;
	struct trunk_info t;
	char name[TRUNKS_NAME_MAX + 1];
	int64_t now = (int64_t)time(NULL);
	int rc;

	snprintf(name, sizeof(name), "%.*s", SV_ARG(s->name));
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc != 0)
		goto out;
	if (!add) {
		rc = trunks_get(c->db, s->name, &t);
		if (rc == 0)
			trunk_json(&before, &t);
	}
	if (rc == 0)
		rc = add ? trunks_add(c->db, c->keys, s, secret, now, field)
		         : trunks_update(c->db, c->keys, s, secret, now, field);
	if (rc == 0)
		rc = trunks_get(c->db, s->name, &t);
	if (rc == 0) {
		trunk_json(&after, &t);
		if (!add && secret.len > 0)
			json_str(&after, "credentials", "replaced");
		rc = audit_admin(c, add ? "trunk.add" : "trunk.set", name,
		    add ? NULL : &before, &after);
	}
	rc = tx_end(c, rc);
out:
	buf_release(&before);
	buf_release(&after);
	return rc;
}

static int
trunk_add_or_set(
    struct cli *c, const char *name, int argc, char **argv, bool add)
{
	char secret[TRUNKS_SECRET_MAX + 2];
	const char *field = NULL;
	struct trunk_args a;
	struct trunk_spec s = {
	    .name = sv_cstr(name),
	    .transport = TRUNK_TRANSPORT_UDP,
	    .channels = TRUNKS_CHANNELS_DEFAULT,
	    .expires_s = TRUNKS_EXPIRES_DEFAULT,
	};
	struct trunk_info old;
	struct sv sec = SV_NULL;
	int rc;

	rc = trunk_parse_args(&a, argc, argv);
	if (rc != 0)
		return rc;
	if (add && (a.kind == NULL || a.host == NULL)) {
		fprintf(stderr, "rempart: trunk add needs --kind register|ip "
		                "and --host HOST\n");
		return EXIT_USAGE;
	}
	if (!add) {
		/* 'set' starts from the stored trunk. */
		rc = open_store(c);
		if (rc != 0)
			return rc;
		rc = trunks_get(c->db, s.name, &old);
		if (rc == -ENOENT) {
			fprintf(stderr, "rempart: no trunk %s\n", name);
			return EXIT_FAIL;
		}
		if (rc != 0)
			return fail("cannot read the trunk", rc);
		s = (struct trunk_spec){
		    .name = s.name,
		    .kind = old.kind,
		    .transport = old.transport,
		    .host = sv_cstr(old.host),
		    .port = old.port,
		    .username = sv_cstr(old.username),
		    .auth_user = sv_cstr(old.auth_user),
		    .realm = sv_cstr(old.realm),
		    .from_domain = sv_cstr(old.from_domain),
		    .acl = sv_cstr(old.acl),
		    .channels = old.channels,
		    .codecs = sv_cstr(old.codecs),
		    .outbound_cid = sv_cstr(old.outbound_cid),
		    .expires_s = old.expires_s,
		};
	}
	rc = trunk_apply_args(&a, &s);
	if (rc != 0)
		return rc;
	if (trunks_spec_check(&s, &field) != 0)
		return trunk_field_error(field, trunk_arg_value(&a, field));
	if (add && s.kind == TRUNK_KIND_REGISTER && !a.secret_stdin)
		return trunk_field_error("secret", NULL);
	if (a.secret_stdin) {
		rc = read_trunk_secret(secret, sizeof(secret));
		if (rc != 0)
			return rc;
		sec = sv_cstr(secret);
	}
	if (add)
		rc = open_store(c);
	if (rc == 0)
		rc = trunk_store(c, &s, sec, add, &field);
	if (sec.p != NULL)
		keys_wipe(secret, sizeof(secret));
	if (rc > 0)
		return rc;
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: trunk %s already exists\n", name);
		return EXIT_FAIL;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no trunk %s\n", name);
		return EXIT_FAIL;
	}
	if (rc == -EINVAL && field != NULL)
		return trunk_field_error(field, NULL);
	if (rc != 0)
		return fail("cannot store the trunk", rc);
	notify_daemon(c);
	printf("trunk %s %s\n", name, add ? "added" : "updated");
	return 0;
}

static int
print_trunk(void *arg, const struct trunk_info *t)
{
	(void)arg;
	printf("%-16s %-8s %-9s %-32s %5u %8u %s\n", t->name,
	    trunks_kind_name(t->kind), trunks_transport_name(t->transport),
	    t->host, t->port, t->channels, t->enabled ? "enabled" : "disabled");
	return 0;
}

static int
trunk_show(struct cli *c, const char *name)
{
	char created[32], updated[32];
	struct trunk_info t;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = trunks_get(c->db, sv_cstr(name), &t);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no trunk %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot read the trunk", rc);
	printf("name:         %s\n"
	       "kind:         %s\n"
	       "transport:    %s\n"
	       "host:         %s\n",
	    t.name, trunks_kind_name(t.kind),
	    trunks_transport_name(t.transport), t.host);
	if (t.port != 0)
		printf("port:         %u\n", t.port);
	else
		printf("port:         default\n");
	printf("username:     %s\n"
	       "auth user:    %s\n"
	       "secret:       %s\n"
	       "realm:        %s\n"
	       "from domain:  %s\n"
	       "acl:          %s\n"
	       "channels:     %u\n"
	       "codecs:       %s\n"
	       "outbound cid: %s\n"
	       "expires:      %u\n"
	       "state:        %s\n"
	       "created:      %s\n"
	       "updated:      %s\n",
	    none_if_empty(t.username), none_if_empty(t.auth_user),
	    t.has_secret ? "set" : "none", none_if_empty(t.realm),
	    none_if_empty(t.from_domain), none_if_empty(t.acl), t.channels,
	    any_if_empty(t.codecs), none_if_empty(t.outbound_cid), t.expires_s,
	    t.enabled ? "enabled" : "disabled",
	    format_utc(t.created_at, created, sizeof(created)),
	    format_utc(t.updated_at, updated, sizeof(updated)));
	return 0;
}

/* trunk enable|disable|remove, audited, in one transaction. */
static int
trunk_change(struct cli *c, const char *name, const char *verb)
{
	char route[ROUTES_NAME_MAX + 1] = "", action[32];
	struct buf before, after;
	struct trunk_info t;
	bool remove = strcmp(verb, "remove") == 0;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	snprintf(action, sizeof(action), "trunk.%s", verb);
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc != 0)
		goto out;
	rc = trunks_get(c->db, sv_cstr(name), &t);
	if (rc == 0 && remove) {
		trunk_json(&before, &t);
		rc = trunks_remove(c->db, sv_cstr(name), route);
	} else if (rc == 0) {
		json_bool(&before, "enabled", t.enabled);
		json_bool(&after, "enabled", verb[0] == 'e');
		rc = trunks_set_enabled(
		    c->db, sv_cstr(name), verb[0] == 'e', (int64_t)time(NULL));
	}
	if (rc == 0)
		rc = audit_admin(
		    c, action, name, &before, remove ? NULL : &after);
	rc = tx_end(c, rc);
out:
	buf_release(&before);
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no trunk %s\n", name);
		return EXIT_FAIL;
	}
	if (rc == -EBUSY) {
		fprintf(stderr,
		    "rempart: trunk %s is used by route %s; remove it from "
		    "the route first\n",
		    name, route);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot update the trunk", rc);
	notify_daemon(c);
	printf("trunk %s %s\n", name,
	    remove ? "removed" : (verb[0] == 'e' ? "enabled" : "disabled"));
	return 0;
}

static int
cmd_trunk(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-16s %-8s %-9s %-32s %5s %8s %s\n", "NAME", "KIND",
		    "TRANSPORT", "HOST", "PORT", "CHANNELS", "STATE");
		rc = trunks_list(c->db, print_trunk, NULL);
		return rc == 0 ? 0 : fail("cannot list trunks", rc);
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!trunks_name_valid(sv_cstr(argv[1]))) {
		fprintf(stderr,
		    "rempart: invalid trunk name '%s' (1-%d lower-case "
		    "letters, digits, '_' or '-')\n",
		    argv[1], TRUNKS_NAME_MAX);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "set") == 0)
		return trunk_add_or_set(
		    c, argv[1], argc - 2, argv + 2, argv[0][0] == 'a');
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return trunk_show(c, argv[1]);
	if (argc == 2 && (strcmp(argv[0], "enable") == 0 ||
	                     strcmp(argv[0], "disable") == 0 ||
	                     strcmp(argv[0], "remove") == 0))
		return trunk_change(c, argv[1], argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}

/* What the audit log keeps of a route. */
static void
route_json(struct buf *b, const struct route_info *r)
{
	char trunks[ROUTES_TRUNKS_STRLEN];
	size_t len = 0;

	trunks[0] = '\0';
	for (unsigned i = 0; i < r->n_trunks; i++)
		len += (size_t)snprintf(trunks + len, sizeof(trunks) - len,
		    "%s%s", i > 0 ? "," : "", r->trunks[i]);
	json_str(b, "pattern", r->pattern);
	json_int(b, "priority", r->priority);
	json_int(b, "strip", r->strip);
	json_str(b, "prepend", r->prepend);
	json_str(b, "trunks", trunks);
	json_bool(b, "enabled", r->enabled);
}

static const struct {
	const char *field, *option, *rule;
} route_rules[] = {
    {"pattern", "--pattern",
        "digits, a leading '+', X (any digit), N (2-9), Z (1-9), classes "
        "such as [1-5], and a final '.' for one or more digits; up to 64 "
        "characters"},
    {"priority", "--priority", "0-1000000, lower first"},
    {"strip", "--strip", "0-20 leading characters"},
    {"prepend", "--prepend", "up to 20 digits or '+'"},
    {"trunks", "--trunks",
        "1-8 distinct trunk names, comma-separated, in the order tried"},
};

static int
route_field_error(const char *field, const char *value)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(route_rules); i++) {
		if (strcmp(route_rules[i].field, field) != 0)
			continue;
		fprintf(stderr, "rempart: invalid %s '%s' (%s)\n",
		    route_rules[i].option, value != NULL ? value : "",
		    route_rules[i].rule);
		return EXIT_USAGE;
	}
	fprintf(stderr, "rempart: invalid route %s\n", field);
	return EXIT_USAGE;
}

static int
route_add(struct cli *c, const char *name, int argc, char **argv)
{
	const char *pattern = NULL, *trunks = NULL, *priority = NULL,
	           *strip = NULL, *prepend = NULL, *field = NULL;
	char missing[TRUNKS_NAME_MAX + 1] = "";
	struct route_spec s = {
	    .name = sv_cstr(name),
	    .priority = ROUTES_PRIORITY_DEFAULT,
	};
	struct route_info r;
	struct buf after;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--pattern") == 0)
			slot = &pattern;
		else if (strcmp(argv[i], "--trunks") == 0)
			slot = &trunks;
		else if (strcmp(argv[i], "--priority") == 0)
			slot = &priority;
		else if (strcmp(argv[i], "--strip") == 0)
			slot = &strip;
		else if (strcmp(argv[i], "--prepend") == 0)
			slot = &prepend;
		if (slot == NULL || *slot != NULL || i + 1 >= argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	if (pattern == NULL || trunks == NULL) {
		fprintf(stderr, "rempart: route add needs --pattern PATTERN "
		                "and --trunks T1[,T2...]\n");
		return EXIT_USAGE;
	}
	s.pattern = sv_cstr(pattern);
	s.trunks = sv_cstr(trunks);
	s.prepend = prepend != NULL ? sv_cstr(prepend) : SV("");
	if (priority != NULL &&
	    sv_to_u32(sv_cstr(priority), ROUTES_PRIORITY_MAX, &s.priority) != 0)
		return route_field_error("priority", priority);
	if (strip != NULL &&
	    sv_to_u32(sv_cstr(strip), ROUTES_STRIP_MAX, &s.strip) != 0)
		return route_field_error("strip", strip);
	if (routes_spec_check(&s, &field) != 0)
		return route_field_error(
		    field, strcmp(field, "pattern") == 0   ? pattern
		           : strcmp(field, "prepend") == 0 ? prepend
		                                           : trunks);
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc =
		    routes_add(c->db, &s, (int64_t)time(NULL), &field, missing);
		if (rc == 0)
			rc = routes_get(c->db, s.name, &r);
		if (rc == 0) {
			route_json(&after, &r);
			rc = audit_admin(c, "route.add", name, NULL, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(
		    stderr, "rempart: no trunk %s (in --trunks)\n", missing);
		return EXIT_FAIL;
	}
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: route %s already exists\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot store the route", rc);
	notify_daemon(c);
	printf("route %s added\n", name);
	return 0;
}

static int
route_removal(struct db *db, const char *name, struct buf *before)
{
	struct route_info r;
	int rc = routes_get(db, sv_cstr(name), &r);

	if (rc == 0) {
		route_json(before, &r);
		rc = routes_remove(db, sv_cstr(name));
	}
	return rc;
}

static int
route_remove(struct cli *c, const char *name)
{
	return remove_audited(c, "route.remove", "route", name, route_removal);
}

static int
print_route(void *arg, const struct route_info *r)
{
	(void)arg;
	printf("%-16s %-20s %8u %5u %-8s ", r->name, r->pattern, r->priority,
	    r->strip, r->prepend[0] != '\0' ? r->prepend : "-");
	for (unsigned i = 0; i < r->n_trunks; i++)
		printf("%s%s", i > 0 ? "," : "", r->trunks[i]);
	printf(" %s\n", r->enabled ? "enabled" : "disabled");
	return 0;
}

static int
route_test(struct cli *c, const char *number)
{
	struct route_choice ch;
	int rc;

	if (!routes_number_valid(sv_cstr(number))) {
		fprintf(stderr,
		    "rempart: invalid number '%s' (an optional '+' then "
		    "1-%d digits)\n",
		    number, ROUTES_NUMBER_MAX - 1);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = routes_select(c->db, sv_cstr(number), &ch);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no route for %s\n", number);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot select a route", rc);
	printf("route:  %s\nnumber: %s\ntrunks: ", ch.route, ch.number);
	for (unsigned i = 0; i < ch.n_trunks; i++)
		printf("%s%s", i > 0 ? "," : "", ch.trunks[i]);
	if (ch.n_trunks == 0)
		printf("none");
	if (ch.n_skipped > 0)
		printf(" (%u disabled trunk%s skipped)", ch.n_skipped,
		    ch.n_skipped > 1 ? "s" : "");
	printf("\n");
	return 0;
}

static int
cmd_route(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-16s %-20s %8s %5s %-8s %s %s\n", "NAME", "PATTERN",
		    "PRIORITY", "STRIP", "PREPEND", "TRUNKS", "STATE");
		rc = routes_list(c->db, print_route, NULL);
		return rc == 0 ? 0 : fail("cannot list routes", rc);
	}
	if (argc == 2 && strcmp(argv[0], "test") == 0)
		return route_test(c, argv[1]);
	if (argc < 2 ||
	    (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!trunks_name_valid(sv_cstr(argv[1]))) {
		fprintf(stderr,
		    "rempart: invalid route name '%s' (1-%d lower-case "
		    "letters, digits, '_' or '-')\n",
		    argv[1], ROUTES_NAME_MAX);
		return EXIT_USAGE;
	}
	if (argv[0][0] == 'a')
		return route_add(c, argv[1], argc - 2, argv + 2);
	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return route_remove(c, argv[1]);
}

static void
did_json(struct buf *b, const struct did_info *d)
{
	json_str(b, "to", d->ext);
	json_str(b, "alternate", d->alternate);
	json_int(b, "ring_timeout", d->ring_timeout_s);
	json_bool(b, "enabled", d->enabled);
}

static int
did_add(struct cli *c, const char *number, int argc, char **argv)
{
	const char *to = NULL, *alt = NULL, *timeout = NULL, *field = NULL;
	uint32_t secs = DIDS_RING_TIMEOUT_DEFAULT;
	struct did_info d;
	struct buf after;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--to") == 0)
			slot = &to;
		else if (strcmp(argv[i], "--alternate") == 0)
			slot = &alt;
		else if (strcmp(argv[i], "--ring-timeout") == 0)
			slot = &timeout;
		if (slot == NULL || *slot != NULL || i + 1 >= argc) {
			usage(stderr);
			return EXIT_USAGE;
		}
		*slot = argv[++i];
	}
	if (to == NULL) {
		fprintf(stderr, "rempart: did add needs --to EXT\n");
		return EXIT_USAGE;
	}
	if (!users_ext_valid(sv_cstr(to))) {
		fprintf(stderr,
		    "rempart: invalid --to '%s' (an extension: 1-32 "
		    "letters, digits, '.', '_' or '-')\n",
		    to);
		return EXIT_USAGE;
	}
	if (alt != NULL && strcmp(alt, "none") == 0)
		alt = "";
	if (alt != NULL &&
	    (!users_alternate_valid(sv_cstr(alt)) || strcmp(alt, to) == 0)) {
		fprintf(stderr,
		    "rempart: invalid --alternate '%s' (another extension, "
		    "an E.164 number such as +33123456789, or 'none')\n",
		    alt);
		return EXIT_USAGE;
	}
	if (timeout != NULL &&
	    (sv_to_u32(sv_cstr(timeout), DIDS_RING_TIMEOUT_MAX, &secs) != 0 ||
	        secs < DIDS_RING_TIMEOUT_MIN)) {
		fprintf(stderr,
		    "rempart: invalid --ring-timeout '%s' (%d-%d seconds)\n",
		    timeout, DIDS_RING_TIMEOUT_MIN, DIDS_RING_TIMEOUT_MAX);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = dids_add(c->db, sv_cstr(number), sv_cstr(to),
		    alt != NULL ? sv_cstr(alt) : SV(""), secs,
		    (int64_t)time(NULL), &field);
		if (rc == 0)
			rc = dids_get(c->db, sv_cstr(number), &d);
		if (rc == 0) {
			did_json(&after, &d);
			rc = audit_admin(c, "did.add", number, NULL, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no extension %s (--to)\n", to);
		return EXIT_FAIL;
	}
	if (rc == -ENXIO) {
		fprintf(
		    stderr, "rempart: no extension %s (--alternate)\n", alt);
		return EXIT_FAIL;
	}
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: DID %s already exists\n", number);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot store the DID", rc);
	notify_daemon(c);
	printf("DID %s added\n", number);
	return 0;
}

static int
did_removal(struct db *db, const char *number, struct buf *before)
{
	struct did_info d;
	int rc = dids_get(db, sv_cstr(number), &d);

	if (rc == 0) {
		did_json(before, &d);
		rc = dids_remove(db, sv_cstr(number));
	}
	return rc;
}

static int
did_remove(struct cli *c, const char *number)
{
	return remove_audited(c, "did.remove", "DID", number, did_removal);
}

static int
print_did(void *arg, const struct did_info *d)
{
	(void)arg;
	printf("%-16s %-12s %-16s %7u %s\n", d->number, d->ext,
	    d->alternate[0] != '\0' ? d->alternate : "-", d->ring_timeout_s,
	    d->enabled ? "enabled" : "disabled");
	return 0;
}

static int
cmd_did(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-16s %-12s %-16s %7s %s\n", "NUMBER", "EXTENSION",
		    "ALTERNATE", "TIMEOUT", "STATE");
		rc = dids_list(c->db, print_did, NULL);
		return rc == 0 ? 0 : fail("cannot list DIDs", rc);
	}
	if (argc < 2 ||
	    (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!users_e164_valid(sv_cstr(argv[1]))) {
		fprintf(stderr,
		    "rempart: invalid number '%s' (E.164: '+' then 2-15 "
		    "digits, the first not 0)\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	if (argv[0][0] == 'a')
		return did_add(c, argv[1], argc - 2, argv + 2);
	if (argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return did_remove(c, argv[1]);
}

/* Copies [from, to) of fd to stdout. Control bytes other than the line
 * feed, which the log never holds, are shown as '?' so that a damaged
 * file cannot drive the terminal. Returns 0 or a negative errno. */
static int
copy_out(int fd, off_t from, off_t to)
{
	char buf[8192];
	ssize_t n;

	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof(buf)
		                  ? (size_t)(to - from)
		                  : sizeof(buf);

		n = pread(fd, buf, want, from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			if (((unsigned char)buf[i] < 0x20 && buf[i] != '\n') ||
			    buf[i] == 0x7f)
				buf[i] = '?';
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -EIO;
		from += n;
	}
	return fflush(stdout) == 0 ? 0 : -EIO;
}

/* The offset where the last 'lines' lines of fd (of 'size' bytes)
 * start; a last line without its '\n' counts as a line. */
static int
tail_start(int fd, off_t size, uint32_t lines, off_t *start)
{
	char buf[8192];
	off_t pos = size, end = size;
	uint32_t seen = 0;
	ssize_t n;

	*start = size;
	if (lines == 0 || size == 0)
		return 0;
	if (pread(fd, buf, 1, size - 1) == 1 && buf[0] == '\n')
		end = size - 1; /* the last line's own terminator */
	pos = end;
	while (pos > 0) {
		size_t want =
		    pos < (off_t)sizeof(buf) ? (size_t)pos : sizeof(buf);

		n = pread(fd, buf, want, pos - (off_t)want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)want)
			return n < 0 ? -errno : -EIO;
		for (size_t i = want; i > 0; i--) {
			if (buf[i - 1] != '\n')
				continue;
			if (++seen == lines) {
				*start = pos - (off_t)want + (off_t)i;
				return 0;
			}
		}
		pos -= (off_t)want;
	}
	*start = 0;
	return 0;
}

static int
open_log_file(const char *path, int *fd, struct stat *st)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (*fd < 0)
		return -errno;
	if (fstat(*fd, st) != 0 || !S_ISREG(st->st_mode)) {
		close(*fd);
		*fd = -1;
		return -EINVAL;
	}
	return 0;
}

/* Prints what is appended to the log, following it across rotations,
 * until the process is interrupted. *fd may be replaced. */
static int
follow_log(const char *path, int *fd, off_t pos)
{
	const struct timespec pause = {0, TAIL_POLL_NS};
	struct stat st, now;
	int rc, nfd;

	for (;;) {
		if (fstat(*fd, &st) != 0)
			return -errno;
		if (st.st_size < pos)
			pos = 0; /* truncated */
		rc = copy_out(*fd, pos, st.st_size);
		if (rc != 0)
			return rc;
		pos = st.st_size;
		/* Rotated: the old file is drained, go to the new one. */
		if (stat(path, &now) == 0 &&
		    (now.st_ino != st.st_ino || now.st_dev != st.st_dev) &&
		    open_log_file(path, &nfd, &now) == 0) {
			close(*fd);
			*fd = nfd;
			pos = 0;
			continue;
		}
		(void)nanosleep(&pause, NULL);
	}
}

static int
cmd_security(struct cli *c, int argc, char **argv)
{
	char path[4096];
	uint32_t lines = TAIL_DEFAULT_LINES;
	bool follow = false;
	struct stat st;
	off_t start;
	int rc, fd;

	if (argc < 1 || strcmp(argv[0], "tail") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			if (sv_to_u32(sv_cstr(argv[++i]), TAIL_MAX_LINES,
			        &lines) != 0) {
				fprintf(stderr,
				    "rempart: invalid line count '%s' "
				    "(0-%u)\n",
				    argv[i], TAIL_MAX_LINES);
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--follow") == 0 ||
		           strcmp(argv[i], "-f") == 0) {
			follow = true;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	rc = check_initialised(c);
	if (rc != 0)
		return rc;
	if (path_join(path, sizeof(path), c->data_dir,
	        SECLOG_DIR_NAME "/" SECLOG_FILE_NAME) != 0)
		return fail(c->data_dir, -ENAMETOOLONG);
	rc = open_log_file(path, &fd, &st);
	if (rc == -ENOENT && !follow)
		return 0; /* nothing logged yet */
	if (rc == -ENOENT) {
		/* Wait for the first line. */
		const struct timespec pause = {0, TAIL_POLL_NS};

		while ((rc = open_log_file(path, &fd, &st)) == -ENOENT)
			(void)nanosleep(&pause, NULL);
	}
	if (rc != 0)
		return fail(path, rc);
	rc = tail_start(fd, st.st_size, lines, &start);
	if (rc == 0)
		rc = copy_out(fd, start, st.st_size);
	if (rc == 0 && follow)
		rc = follow_log(path, &fd, st.st_size);
	close(fd);
	return rc == 0 ? 0 : fail("cannot read the security log", rc);
}

/* "2026-11-23T10:00:00.250Z" (sep 'T', zone "Z") or
 * "2026-11-23 10:00:00" (sep ' ', no zone, no milliseconds). */
static const char *
format_ms(int64_t ms, bool iso, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	char base[24];
	struct tm tm;
	int n;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base),
	        iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm) == 0)
		return "?";
	if (iso)
		n = snprintf(out, size, "%s.%03dZ", base, (int)(ms % 1000));
	else
		n = snprintf(out, size, "%s", base);
	return n > 0 && (size_t)n < size ? out : "?";
}

static int
cmd_cdr(struct cli *c, int argc, char **argv)
{
	int rc = cli_cdr(c, argc, argv);

	if (rc == CLI_USAGE) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	return rc;
}

static int
audit_verify_cmd(struct cli *c)
{
	struct audit_verify_result r;
	int rc;

	rc = audit_verify(c->db, c->keys, &r);
	if (rc != 0)
		return fail("cannot verify the audit log", rc);
	if (r.ok) {
		printf("audit chain intact: %" PRIu64 " entries, last #%" PRId64
		       "\n",
		    r.count, r.last_seq);
		return 0;
	}
	printf("audit chain broken at entry #%" PRId64 ": %s", r.broken_seq,
	    audit_fault_text(r.fault));
	if (r.fault == AUDIT_FAULT_MISSING)
		printf("; the next entry is #%" PRId64, r.found_seq);
	printf("\n");
	return EXIT_FAIL;
}

/* Writes a stored text for a terminal: control bytes, C1 controls
 * (UTF-8 0xc2 0x80-0x9f) included, become '?', so an entry edited by
 * hand cannot drive the terminal. */
static void
print_clean(struct sv v, int width)
{
	int n = 0;

	for (size_t i = 0; i < v.len; i++, n++) {
		unsigned char ch = (unsigned char)v.p[i];

		if (ch == 0xc2 && i + 1 < v.len &&
		    (unsigned char)v.p[i + 1] >= 0x80 &&
		    (unsigned char)v.p[i + 1] <= 0x9f) {
			putchar('?');
			i++;
		} else {
			putchar(ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
		}
	}
	for (; n < width; n++)
		putchar(' ');
}

static int
print_audit(void *arg, const struct audit_entry *e)
{
	char at[32];

	(void)arg;
	printf("%6" PRId64 " %-19s ", e->seq,
	    format_ms(e->at_ms, false, at, sizeof(at)));
	print_clean(e->actor, 12);
	putchar(' ');
	print_clean(e->role, 6);
	putchar(' ');
	print_clean(e->source, 6);
	putchar(' ');
	print_clean(e->action, 15);
	putchar(' ');
	print_clean(e->object, 16);
	putchar(' ');
	print_clean(sv_empty(e->before) ? SV("-") : e->before, 0);
	printf(" -> ");
	print_clean(sv_empty(e->after) ? SV("-") : e->after, 0);
	putchar('\n');
	return ferror(stdout) ? -EIO : 0;
}

static int
audit_list_cmd(struct cli *c, int argc, char **argv)
{
	const char *since = NULL, *limit = NULL;
	int64_t since_ms = 0;
	uint32_t n = 0;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc && !since)
			since = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
		         !limit)
			limit = argv[++i];
		else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (since != NULL &&
	    parse_when(since, (int64_t)time(NULL), &since_ms) != 0) {
		fprintf(stderr,
		    "rempart: invalid --since '%s' (YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS] in UTC, or an age such as 90m, "
		    "2h, 7d)\n",
		    since);
		return EXIT_USAGE;
	}
	if (limit != NULL &&
	    (sv_to_u32(sv_cstr(limit), AUDIT_LIMIT_MAX, &n) != 0 || n == 0)) {
		fprintf(stderr, "rempart: invalid --limit '%s' (1-%u)\n", limit,
		    AUDIT_LIMIT_MAX);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	printf("%6s %-19s %-12s %-6s %-6s %-15s %-16s %s\n", "SEQ",
	    "TIME (UTC)", "ACTOR", "ROLE", "SOURCE", "ACTION", "OBJECT",
	    "BEFORE -> AFTER");
	rc = audit_list(c->db, since_ms, n, print_audit, NULL);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -EIO;
	return rc == 0 ? 0 : fail("cannot list the audit log", rc);
}

/* Retention run by hand: removes entries older than the retention (or
 * --older-than), the anchor keeping the chain verifiable. */
static int
audit_prune_cmd(struct cli *c, int argc, char **argv)
{
	const char *older = NULL;
	struct buf after;
	char cut_text[32];
	int64_t secs = 0, cut_ms;
	uint64_t removed = 0;
	uint32_t days;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc &&
		    older == NULL)
			older = argv[++i];
		else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (older != NULL && parse_duration(older, &secs) != 0) {
		fprintf(stderr,
		    "rempart: invalid duration '%s' (a positive number "
		    "followed by s, m, h, d or w)\n",
		    older);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	if (older == NULL) {
		rc = audit_retention_days(c->db, &days);
		if (rc != 0)
			return fail("invalid audit retention setting", rc);
		secs = (int64_t)days * 86400;
	}
	cut_ms = ((int64_t)time(NULL) - secs) * 1000;
	format_ms(cut_ms, true, cut_text, sizeof(cut_text));
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = audit_prune(c->db, c->keys, cut_ms, &removed);
		json_str(&after, "older_than", cut_text);
		json_int(&after, "removed", (int64_t)removed);
		if (rc == 0)
			rc = audit_admin(c, "audit.prune", "", NULL, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc == -EBADMSG) {
		fprintf(stderr, "rempart: the audit chain is broken; nothing "
		                "removed (run 'rempart audit verify')\n");
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot prune the audit log", rc);
	printf("removed %" PRIu64 " audit entries older than %s\n", removed,
	    cut_text);
	return 0;
}

static int
audit_retention_cmd(struct cli *c, int argc, char **argv)
{
	struct buf before, after;
	uint32_t days, old;
	int rc;

	if (argc > 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argc == 1 && (sv_to_u32(sv_cstr(argv[0]), AUDIT_RETENTION_MAX_DAYS,
	                      &days) != 0 ||
	                     days == 0)) {
		fprintf(stderr, "rempart: invalid retention '%s' (1-%u days)\n",
		    argv[0], AUDIT_RETENTION_MAX_DAYS);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = audit_retention_days(c->db, &old);
	if (rc != 0 && argc == 0)
		return fail("invalid audit retention setting", rc);
	if (argc == 0) {
		printf("audit retention: %u days\n", old);
		return 0;
	}
	if (days < 365)
		fprintf(stderr, "rempart: warning: under a year of audit "
		                "history will be kept\n");
	buf_init(&before, 0);
	buf_init(&after, 0);
	if (rc == 0)
		json_int(&before, "days", old);
	json_int(&after, "days", days);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = settings_set(
		    c->db, AUDIT_SETTING_RETENTION, sv_cstr(argv[0]));
		if (rc == 0)
			rc = audit_admin(
			    c, "audit.retention", "", &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc != 0)
		return fail("cannot set the audit retention", rc);
	printf("audit retention: %u days\n", days);
	return 0;
}

static int
cmd_audit(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[0], "verify") == 0 && argc == 1) {
		rc = open_store(c);
		return rc != 0 ? rc : audit_verify_cmd(c);
	}
	if (strcmp(argv[0], "list") == 0)
		return audit_list_cmd(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "prune") == 0)
		return audit_prune_cmd(c, argc - 1, argv + 1);
	if (strcmp(argv[0], "retention") == 0)
		return audit_retention_cmd(c, argc - 1, argv + 1);
	usage(stderr);
	return EXIT_USAGE;
}

/* API keys (R-ADMIN-2): the key text is printed once and never
 * logged; the audit log records the id, role and expiry only. */
static int
apikey_create_cmd(struct cli *c, int argc, char **argv)
{
	const char *role_text = NULL, *ext = NULL, *expires = NULL;
	char key[APIKEYS_KEY_STRLEN], until[32];
	int64_t secs = APIKEY_DEFAULT_SECS, now = (int64_t)time(NULL);
	struct apikey_info info;
	enum rbac_role role;
	struct buf after;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--role") == 0 && i + 1 < argc &&
		    role_text == NULL)
			role_text = argv[++i];
		else if (strcmp(argv[i], "--ext") == 0 && i + 1 < argc &&
		         ext == NULL)
			ext = argv[++i];
		else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc &&
		         expires == NULL)
			expires = argv[++i];
		else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (role_text == NULL ||
	    rbac_role_parse(sv_cstr(role_text), &role) != 0) {
		fprintf(stderr, "rempart: --role is admin, auditor, helpdesk "
		                "or user\n");
		return EXIT_USAGE;
	}
	if ((role == RBAC_ROLE_USER) != (ext != NULL) ||
	    (ext != NULL && !users_ext_valid(sv_cstr(ext)))) {
		fprintf(stderr, "rempart: the user role needs --ext EXT (a "
		                "valid extension); other roles take none\n");
		return EXIT_USAGE;
	}
	if (expires != NULL && parse_duration(expires, &secs) != 0) {
		fprintf(stderr,
		    "rempart: invalid --expires '%s' (a positive number "
		    "followed by s, m, h, d or w, at most 10 years)\n",
		    expires);
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = apikeys_create(
		    c->db, role, sv_cstr(ext), now, now + secs, key, &info);
		if (rc == 0) {
			json_str(&after, "role", role_text);
			json_str(&after, "ext", ext != NULL ? ext : "");
			json_int(&after, "expires_at", info.expires_at);
			rc = audit_admin(
			    c, "apikey.create", info.id, NULL, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc != 0) {
		keys_wipe(key, sizeof(key));
		return fail("cannot create the API key", rc);
	}
	printf("id %s role %s expires %s\n", info.id, role_text,
	    format_utc(info.expires_at, until, sizeof(until)));
	printf("key (shown once): %s\n", key);
	keys_wipe(key, sizeof(key));
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
print_apikey(void *arg, const struct apikey_info *k)
{
	char created[32], expires[32], used[32];
	int64_t now = *(const int64_t *)arg;

	printf("%-22s %-8s %-10s %-20s %-20s %-20s %s\n", k->id,
	    rbac_role_name(k->role), k->ext[0] != '\0' ? k->ext : "-",
	    format_utc(k->created_at, created, sizeof(created)),
	    format_utc(k->expires_at, expires, sizeof(expires)),
	    k->last_used_at != 0
	        ? format_utc(k->last_used_at, used, sizeof(used))
	        : "never",
	    k->revoked             ? "revoked"
	    : now >= k->expires_at ? "expired"
	                           : "active");
	return ferror(stdout) ? -EIO : 0;
}

/* 'revoke' and 'rotate' of key 'id'. */
static int
apikey_change_cmd(struct cli *c, bool rotate, const char *id)
{
	char key[APIKEYS_KEY_STRLEN];
	struct apikey_info info;
	struct buf after;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = apikeys_get(c->db, sv_cstr(id), &info);
		if (rc == 0 && info.revoked)
			rc = -ENOENT;
		if (rc == 0)
			rc = rotate ? apikeys_rotate(c->db, sv_cstr(id), key)
			            : apikeys_revoke(c->db, sv_cstr(id));
		if (rc == 0) {
			json_str(&after, rotate ? "secret" : "revoked",
			    rotate ? "replaced" : "true");
			rc = audit_admin(c,
			    rotate ? "apikey.rotate" : "apikey.revoke", info.id,
			    NULL, &after);
		}
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no active API key %s\n", id);
		return EXIT_FAIL;
	}
	if (rc != 0) {
		if (rotate)
			keys_wipe(key, sizeof(key));
		return fail(rotate ? "cannot rotate the API key"
		                   : "cannot revoke the API key",
		    rc);
	}
	if (rotate) {
		printf("key (shown once): %s\n", key);
		keys_wipe(key, sizeof(key));
	} else {
		printf("revoked %s\n", info.id);
	}
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
cmd_apikey(struct cli *c, int argc, char **argv)
{
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return apikey_create_cmd(c, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-22s %-8s %-10s %-20s %-20s %-20s %s\n", "ID", "ROLE",
		    "EXT", "CREATED", "EXPIRES", "LAST USED", "STATUS");
		rc = apikeys_list(c->db, print_apikey, &now);
		if (rc == 0 && fflush(stdout) != 0)
			rc = -EIO;
		return rc == 0 ? 0 : fail("cannot list API keys", rc);
	}
	if (argc == 2 &&
	    (strcmp(argv[0], "revoke") == 0 || strcmp(argv[0], "rotate") == 0))
		return apikey_change_cmd(c, argv[0][1] == 'o', argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}

int
main(int argc, char **argv)
{
	struct cli c = {.data_dir = "./var"};
	int i = 1, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			c.data_dir = argv[++i];
		} else if (strcmp(argv[i], "--api") == 0 && i + 1 < argc) {
			c.api_url = argv[++i];
		} else if (strcmp(argv[i], "--api-key-file") == 0 &&
		           i + 1 < argc) {
			c.api_key_file = argv[++i];
		} else if (strcmp(argv[i], "--api-ca") == 0 && i + 1 < argc) {
			c.api_ca = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("rempart %s\n", RP_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(
			    stderr, "rempart: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	umask(077);
	cli_actor(&c);
	/* Only the commands that go through the API reach another host. */
	if (c.api_url != NULL && strcmp(argv[i], "user") != 0 &&
	    strcmp(argv[i], "bans") != 0 && strcmp(argv[i], "cdr") != 0) {
		fprintf(stderr,
		    "rempart: %s works on the daemon's host only (no "
		    "--api)\n",
		    argv[i]);
		return EXIT_USAGE;
	}
	if (strcmp(argv[i], "init") == 0)
		rc = cmd_init(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "user") == 0)
		rc = cmd_user(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "bans") == 0)
		rc = cmd_bans(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "security") == 0)
		rc = cmd_security(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "cdr") == 0)
		rc = cmd_cdr(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "audit") == 0)
		rc = cmd_audit(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "trunk") == 0)
		rc = cmd_trunk(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "route") == 0)
		rc = cmd_route(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "did") == 0)
		rc = cmd_did(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "apikey") == 0)
		rc = cmd_apikey(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "assess") == 0)
		rc = cmd_assess(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "alert") == 0)
		rc = cmd_alert(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "profile") == 0)
		rc = cmd_profile(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "rate") == 0)
		rc = cmd_rate(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "ceiling") == 0)
		rc = cmd_ceiling(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "fraud") == 0)
		rc = cmd_fraud(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "group") == 0)
		rc = cmd_group(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "admin") == 0)
		rc = cmd_admin(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "config") == 0)
		rc = cmd_config(&c, argc - i - 1, argv + i + 1);
	else {
		fprintf(stderr, "rempart: unknown command '%s'\n", argv[i]);
		usage(stderr);
		rc = EXIT_USAGE;
	}
	close_store(&c);
	return rc;
}
