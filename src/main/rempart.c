/* rempart: the administration command line.
 *
 * Every command but two is a client of the administration API
 * (admin/api.h, main/apiclient.h): through the daemon's local socket
 * DATA/rempart.sock (mode 0600; the daemon knows us by our uid:
 * "local:NAME" in the audit log), or, when no daemon listens there,
 * through the same API started in this process on a private socket;
 * with --api https://HOST:PORT --api-key-file FILE [--api-ca FILE],
 * through a remote daemon's HTTPS API. The API checks, audits and
 * applies each change, and the daemon sees it at once.
 *
 * The two work on this host's files: init creates the data directory,
 * and audit verify checks the database file itself (even a copy taken
 * off the host). Exit codes: 0 done, 1 the operation failed (an API's
 * 4xx included), 2 bad usage. */
#include <errno.h>
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

#include "cli.h"
#include "core/buf.h"
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
#include "store/users.h"

#define DEMO_FIRST 100
#define DEMO_LAST 105
#define MS_PER_DAY (86400LL * 1000)

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
	    "  user set EXT [--name NAME]      display name\n"
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

/* The user commands go through the API (cli_api.c, cli_userset.c, and
 * cli_group.c for 'user set --group'). */
static int
cmd_user(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc == 4 && strcmp(argv[0], "set") == 0 &&
	    strcmp(argv[2], "--group") == 0) {
		if (!users_ext_valid(sv_cstr(argv[1]))) {
			fprintf(stderr,
			    "rempart: invalid extension '%s' (1-32 "
			    "letters, digits, '.', '_' or '-')\n",
			    argv[1]);
			return EXIT_USAGE;
		}
		return cmd_user_group(c, sv_cstr(argv[1]), argv[3]);
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

/* The commands of the API's clients: CLI_USAGE prints the usage. */
static int
cmd_api(int rc)
{
	if (rc == CLI_USAGE) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	return rc;
}

const char *
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

/* Verification reads the database file itself with the master key,
 * not through the API: it must not take a daemon's word for the chain
 * it checks (a daemon whose host was tampered with could answer
 * "intact"), and it checks a copy of the data directory taken off the
 * host just as well, with no daemon and no API. */
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
		rc = cli_audit_list(c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "prune") == 0)
		rc = cli_audit_prune(c, argc - 1, argv + 1);
	else if (strcmp(argv[0], "retention") == 0)
		rc = cli_audit_retention(c, argc - 1, argv + 1);
	else
		rc = CLI_USAGE;
	if (rc == CLI_USAGE) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	return rc;
}

static int
cmd_apikey(struct cli *c, int argc, char **argv)
{
	int rc = cli_apikey(c, argc, argv);

	if (rc == CLI_USAGE) {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	return rc;
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
	/* Every command goes through the API, which may be another host's,
	 * but those that work on this host's files: init creates the data
	 * directory, audit verify checks the database file itself. */
	if (c.api_url != NULL &&
	    (strcmp(argv[i], "init") == 0 ||
	        (strcmp(argv[i], "audit") == 0 &&
	            (i + 1 >= argc || strcmp(argv[i + 1], "verify") == 0)))) {
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
		rc = cmd_api(cli_security(&c, argc - i - 1, argv + i + 1));
	else if (strcmp(argv[i], "cdr") == 0)
		rc = cmd_cdr(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "audit") == 0)
		rc = cmd_audit(&c, argc - i - 1, argv + i + 1);
	else if (strcmp(argv[i], "trunk") == 0)
		rc = cmd_api(cli_trunk(&c, argc - i - 1, argv + i + 1));
	else if (strcmp(argv[i], "route") == 0)
		rc = cmd_api(cli_route(&c, argc - i - 1, argv + i + 1));
	else if (strcmp(argv[i], "did") == 0)
		rc = cmd_api(cli_did(&c, argc - i - 1, argv + i + 1));
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
