/* rempartd: the rempart server. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/api.h"
#include "audit/assess.h"
#include "core/live.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/sv.h"
#include "integ/alert.h"
#include "pbx/server.h"
#include "policy/guard.h"
#include "rempart_version.h"
#include "sip/transaction.h"

#define EXIT_USAGE 2
/* Longest --admin-idle: a day. */
#define ADMIN_IDLE_MAX_S 86400u

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: rempartd [--data DIR] [--listen TRANSPORT:ADDR:PORT]...\n"
	    "                [--user NAME] [--log-json] [--debug]\n"
	    "                [--tls-allow-1.2] [--min-expires S] "
	    "[--max-expires S]\n"
	    "                [--fraud on|off]\n"
	    "                [--trusted CIDR,CIDR...] "
	    "[--digest both|md5|sha256]\n"
	    "                [--media-addr ADDR] [--media-ports MIN-MAX]\n"
	    "                [--banned-answer drop|403]\n"
	    "                [--ring-timeout S] [--session-expires S] "
	    "[--rtp-timeout S]\n"
	    "                [--trunk-check S|off] [--trunk-retry S]\n"
	    "                [--dns ADDR[:PORT],...] [--trunk-ca FILE]\n"
	    "                [--api ADDR:PORT] [--api-allow CIDR,...] "
	    "[--admin-idle S]\n"
	    "                [--api-socket PATH|off]\n"
	    "                [--version] [--help]\n"
	    "  TRANSPORT is udp, tcp or tls; ADDR an IPv4 or [IPv6] "
	    "literal.\n"
	    "  Default: udp and tcp on 0.0.0.0:5060, tls on 0.0.0.0:5061.\n"
	    "  --api: the HTTPS administration API (off by default);\n"
	    "  --api-allow: networks that may use it (default: this host).\n"
	    "  --api-socket: the same API on a local socket (mode 0600) for\n"
	    "    the rempart command line (default DATA/rempart.sock).\n"
	    "  --admin-idle: administrator sessions end after S idle seconds\n"
	    "    (default 900).\n"
	    "  --trunk-check: OPTIONS probes of IP trunks every S seconds\n"
	    "  (default 30); a trunk found down is skipped by calls.\n"
	    "  --trunk-retry: first retry of a failed trunk registration "
	    "(default 30 s,\n"
	    "  doubling up to 30 min).\n"
	    "  --dns: DNS servers for trunk host names (default: the "
	    "system's).\n"
	    "  --trunk-ca: CA certificates trusted for TLS trunks, besides "
	    "the system's.\n");
}

/* "udp:127.0.0.1:5060", "tls:[::1]:5061". Views into 'arg', which is
 * modified in place. Returns 0 or -EINVAL. */
static int
parse_listen(char *arg, struct server_listen *out)
{
	char *addr, *port;
	unsigned long p = 0;

	addr = strchr(arg, ':');
	if (addr == NULL)
		return -EINVAL;
	*addr++ = '\0';
	if (strcmp(arg, "udp") == 0)
		out->transport = SIP_TXN_TP_UDP;
	else if (strcmp(arg, "tcp") == 0)
		out->transport = SIP_TXN_TP_TCP;
	else if (strcmp(arg, "tls") == 0)
		out->transport = SIP_TXN_TP_TLS;
	else
		return -EINVAL;
	port = strrchr(addr, ':');
	if (port == NULL || port == addr)
		return -EINVAL;
	*port++ = '\0';
	if (*port == '\0')
		return -EINVAL;
	for (const char *c = port; *c != '\0'; c++) {
		if (*c < '0' || *c > '9' || p > 65535)
			return -EINVAL;
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p > 65535)
		return -EINVAL;
	if (addr[0] == '[') {
		size_t n = strlen(addr);

		if (n < 3 || addr[n - 1] != ']')
			return -EINVAL;
		addr[n - 1] = '\0';
		addr++;
	}
	out->addr = addr;
	out->port = (uint16_t)p;
	return 0;
}

static int
parse_seconds(const char *text, uint32_t *out)
{
	uint32_t v = 0;

	if (*text == '\0')
		return -EINVAL;
	for (; *text != '\0'; text++) {
		if (*text < '0' || *text > '9' || v > 86400)
			return -EINVAL;
		v = v * 10 + (uint32_t)(*text - '0');
	}
	if (v == 0 || v > 86400)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Digits up to 65535 from *text, moved past them. */
static int
parse_port_text(const char **text, unsigned *out)
{
	const char *t = *text;
	unsigned v = 0;

	if (*t < '0' || *t > '9')
		return -EINVAL;
	for (; *t >= '0' && *t <= '9'; t++) {
		v = v * 10 + (unsigned)(*t - '0');
		if (v > 65535)
			return -EINVAL;
	}
	*text = t;
	*out = v;
	return 0;
}

/* "20000-29999": an even first port, at least two pairs. */
static int
parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	unsigned a, b;

	if (parse_port_text(&text, &a) != 0 || *text++ != '-' ||
	    parse_port_text(&text, &b) != 0 || *text != '\0' || a < 1024 ||
	    a % 2 != 0 || b < a + 3)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* Drops root for 'name' once the sockets are bound. */
static int
drop_privileges(const char *name)
{
	struct passwd *pw = getpwnam(name);

	if (pw == NULL) {
		fprintf(stderr, "rempartd: no user '%s'\n", name);
		return -1;
	}
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
		fprintf(
		    stderr, "rempartd: cannot drop privileges to '%s'\n", name);
		return -1;
	}
	return 0;
}

static int
write_pid(const char *data_dir)
{
	char path[4096];
	FILE *f;

	if (snprintf(path, sizeof(path), "%s/rempartd.pid", data_dir) >=
	    (int)sizeof(path))
		return -1;
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

/* After a change committed through the API: the signalling loop reloads
 * users, bans, trunks and the anti-fraud policy on SIGHUP, exactly as
 * after a change made with the command line. Every thread blocks the
 * signal and the loop reads it from its signalfd, so the signal is sent
 * to the process, not to the calling thread (raise() would leave it
 * pending on the API thread, unread). */
static void
reload_request(void *arg)
{
	(void)arg;
	if (kill(getpid(), SIGHUP) != 0)
		log_warn("api", "msg=\"cannot ask for a reload\"");
}

/* What only the running daemon knows, for 'rempart assess'
 * (R-AUDIT-1): listeners, TLS and digest settings, the guard's
 * thresholds (server.c starts the guard from its defaults) and the API's
 * exposure. Written after binding, removed at exit. */
static void
write_facts(const struct server_config *cfg, bool api_on,
    const struct api_config *api_cfg)
{
	struct assess_facts f;
	struct guard_config g;
	int rc;

	assess_facts_defaults(&f);
	f.started_at = (int64_t)time(NULL);
	f.pid = (int64_t)getpid();
	f.nlisten = 0;
	for (unsigned i = 0; i < cfg->nlisten && i < ASSESS_LISTEN_MAX; i++) {
		struct assess_listen *l = &f.listen[f.nlisten++];
		int t = cfg->listen[i].transport;

		snprintf(l->transport, sizeof(l->transport), "%s",
		    t == SIP_TXN_TP_TLS   ? "tls"
		    : t == SIP_TXN_TP_TCP ? "tcp"
		                          : "udp");
		snprintf(l->addr, sizeof(l->addr), "%s", cfg->listen[i].addr);
		l->port = cfg->listen[i].port;
	}
	f.tls_allow_1_2 = cfg->tls_allow_1_2;
	f.fraud_off = cfg->fraud_off;
	snprintf(f.digest, sizeof(f.digest), "%s",
	    cfg->digest == SERVER_DIGEST_MD5      ? "md5"
	    : cfg->digest == SERVER_DIGEST_SHA256 ? "sha256"
	                                          : "both");
	guard_config_defaults(&g);
	f.auth_fail_threshold = g.auth_fail_threshold;
	f.auth_window_s = g.auth_window_ms / 1000u;
	f.ban_base_s = (uint32_t)(g.ban_base_ms / 1000u);
	f.ban_max_s = (uint32_t)(g.ban_max_ms / 1000u);
	f.req_rate = g.req_rate;
	f.sweep_threshold = g.sweep_threshold;
	f.scanner_user_agents = g.scanner_user_agents;
	f.api_on = api_on;
	if (api_on) {
		snprintf(f.api_addr, sizeof(f.api_addr), "%s", api_cfg->addr);
		f.api_port = api_cfg->port;
		snprintf(f.api_allow, sizeof(f.api_allow), "%s",
		    api_cfg->allow != NULL ? api_cfg->allow
		                           : API_ALLOW_DEFAULT);
	}
	rc = assess_facts_write(cfg->data_dir, &f);
	if (rc != 0)
		log_warn("server", "msg=\"cannot write the facts file\" err=%d",
		    -rc);
}

int
main(int argc, char **argv)
{
	struct server_config cfg = {.data_dir = "./var",
	    .share_dir = RP_SHARE_DIR,
	    .trunk_check_s = 30};
	const char *user = NULL;
	enum log_level level = LOG_INFO;
	bool json = false;
	struct loop *l;
	struct server *s;
	struct api_config api_cfg = {0};
	struct api *api = NULL;
	struct live *live = NULL;
	bool api_on = false;
	const char *api_socket = NULL;
	char sock_path[4096];
	int rc;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--data") == 0 && i + 1 < argc) {
			cfg.data_dir = argv[++i];
		} else if (strcmp(a, "--listen") == 0 && i + 1 < argc) {
			if (cfg.nlisten == SERVER_LISTEN_MAX ||
			    parse_listen(argv[++i], &cfg.listen[cfg.nlisten]) !=
			        0) {
				fprintf(stderr, "rempartd: bad --listen value "
				                "(TRANSPORT:ADDR:PORT)\n");
				return EXIT_USAGE;
			}
			cfg.nlisten++;
		} else if (strcmp(a, "--user") == 0 && i + 1 < argc) {
			user = argv[++i];
		} else if (strcmp(a, "--log-json") == 0) {
			json = true;
		} else if (strcmp(a, "--debug") == 0) {
			level = LOG_DEBUG;
		} else if ((strcmp(a, "--min-expires") == 0 ||
		               strcmp(a, "--max-expires") == 0) &&
		           i + 1 < argc) {
			uint32_t v;

			if (parse_seconds(argv[++i], &v) != 0) {
				fprintf(stderr,
				    "rempartd: %s needs seconds "
				    "(1-86400)\n",
				    a);
				return EXIT_USAGE;
			}
			if (a[2] == 'm' && a[3] == 'i')
				cfg.min_expires_s = v;
			else
				cfg.max_expires_s = v;
		} else if (strcmp(a, "--digest") == 0 && i + 1 < argc) {
			const char *d = argv[++i];

			if (strcmp(d, "both") == 0)
				cfg.digest = SERVER_DIGEST_BOTH;
			else if (strcmp(d, "md5") == 0)
				cfg.digest = SERVER_DIGEST_MD5;
			else if (strcmp(d, "sha256") == 0)
				cfg.digest = SERVER_DIGEST_SHA256;
			else {
				fprintf(stderr, "rempartd: --digest is both, "
				                "md5 or sha256\n");
				return EXIT_USAGE;
			}
		} else if ((strcmp(a, "--ring-timeout") == 0 ||
		               strcmp(a, "--session-expires") == 0 ||
		               strcmp(a, "--rtp-timeout") == 0) &&
		           i + 1 < argc) {
			uint32_t v;

			if (parse_seconds(argv[++i], &v) != 0) {
				fprintf(stderr,
				    "rempartd: %s needs seconds (1-86400)\n",
				    a);
				return EXIT_USAGE;
			}
			if (a[2] == 'r' && a[3] == 'i')
				cfg.ring_timeout_s = v;
			else if (a[2] == 's')
				cfg.session_expires_s = v;
			else
				cfg.rtp_timeout_s = v;
		} else if (strcmp(a, "--trunk-retry") == 0 && i + 1 < argc) {
			if (parse_seconds(argv[++i], &cfg.trunk_retry_s) != 0 ||
			    cfg.trunk_retry_s > 1800) {
				fprintf(stderr, "rempartd: --trunk-retry needs "
				                "seconds (1-1800)\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--trunk-ca") == 0 && i + 1 < argc) {
			cfg.trunk_ca_file = argv[++i];
		} else if (strcmp(a, "--dns") == 0 && i + 1 < argc) {
			cfg.dns_servers = argv[++i];
		} else if (strcmp(a, "--trunk-check") == 0 && i + 1 < argc) {
			const char *v = argv[++i];

			if (strcmp(v, "off") == 0) {
				cfg.trunk_check_s = 0;
			} else if (parse_seconds(v, &cfg.trunk_check_s) != 0) {
				fprintf(stderr, "rempartd: --trunk-check needs "
				                "seconds (1-86400) or off\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--banned-answer") == 0 && i + 1 < argc) {
			const char *v = argv[++i];

			if (strcmp(v, "drop") == 0) {
				cfg.banned_reject_403 = false;
			} else if (strcmp(v, "403") == 0) {
				cfg.banned_reject_403 = true;
			} else {
				fprintf(stderr,
				    "rempartd: --banned-answer is drop "
				    "or 403\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--media-addr") == 0 && i + 1 < argc) {
			cfg.media_addr = argv[++i];
		} else if (strcmp(a, "--media-ports") == 0 && i + 1 < argc) {
			if (parse_port_range(argv[++i], &cfg.media_port_min,
			        &cfg.media_port_max) != 0) {
				fprintf(stderr,
				    "rempartd: --media-ports is EVEN-MAX, "
				    "e.g. 20000-29999 (ports >= 1024)\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--trusted") == 0 && i + 1 < argc) {
			cfg.trusted = argv[++i];
		} else if (strcmp(a, "--api") == 0 && i + 1 < argc) {
			if (api_addr_parse(argv[++i], &api_cfg) != 0) {
				fprintf(stderr, "rempartd: bad --api value "
				                "(ADDR:PORT)\n");
				return EXIT_USAGE;
			}
			api_on = true;
		} else if (strcmp(a, "--api-socket") == 0 && i + 1 < argc) {
			api_socket = argv[++i];
			if (api_socket[0] == '\0') {
				fprintf(stderr, "rempartd: --api-socket is a "
				                "path or off\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--api-allow") == 0 && i + 1 < argc) {
			api_cfg.allow = argv[++i];
		} else if (strcmp(a, "--admin-idle") == 0 && i + 1 < argc) {
			if (sv_to_u32(sv_cstr(argv[++i]), ADMIN_IDLE_MAX_S,
			        &api_cfg.admin_idle_s) != 0 ||
			    api_cfg.admin_idle_s == 0) {
				fprintf(stderr, "rempartd: --admin-idle is "
				                "1-86400 seconds\n");
				return EXIT_USAGE;
			}
		} else if (strcmp(a, "--tls-allow-1.2") == 0) {
			cfg.tls_allow_1_2 = true;
		} else if (strcmp(a, "--fraud") == 0 && i + 1 < argc &&
		           (strcmp(argv[i + 1], "on") == 0 ||
		               strcmp(argv[i + 1], "off") == 0)) {
			/* Off only to measure the engine's cost: the
			 * server warns at start and the assessment flags
			 * it. */
			cfg.fraud_off = strcmp(argv[++i], "off") == 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("rempartd %s\n", RP_VERSION);
			return 0;
		} else if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--data") == 0) {
			fprintf(stderr, "rempartd: --data needs a directory\n");
			usage(stderr);
			return EXIT_USAGE;
		} else {
			fprintf(stderr, "rempartd: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (cfg.nlisten == 0) {
		cfg.listen[0] =
		    (struct server_listen){SIP_TXN_TP_UDP, "0.0.0.0", 5060};
		cfg.listen[1] =
		    (struct server_listen){SIP_TXN_TP_TCP, "0.0.0.0", 5060};
		cfg.listen[2] =
		    (struct server_listen){SIP_TXN_TP_TLS, "0.0.0.0", 5061};
		cfg.nlisten = 3;
	}
	log_setup(stderr, level, json);
	umask(077);
	/* libcurl's global set-up (alert channels), before any thread. */
	if (alert_global_init() != 0) {
		fprintf(stderr, "rempartd: cannot set up libcurl\n");
		return 1;
	}
	rc = loop_new(&l, false);
	if (rc != 0) {
		fprintf(stderr, "rempartd: cannot create the loop: %s\n",
		    strerror(-rc));
		return 1;
	}
	/* What the loop publishes and the API reads (core/live.h). */
	rc = live_new(&live);
	if (rc != 0) {
		fprintf(stderr, "rempartd: cannot set up supervision: %s\n",
		    strerror(-rc));
		loop_free(l);
		return 1;
	}
	cfg.live = live;
	rc = server_new(&s, l, &cfg);
	if (rc != 0) {
		live_free(live);
		loop_free(l);
		return 1;
	}
	/* After server_new(): the API thread inherits the blocked signals,
	 * and binds before privileges are dropped. */
	api_cfg.data_dir = cfg.data_dir;
	api_cfg.share_dir = cfg.share_dir;
	api_cfg.assessment = assess_api_answer;
	api_cfg.reload = reload_request;
	api_cfg.live = live;
	/* The local socket serves the command line even when HTTPS is
	 * off. */
	if (api_socket == NULL &&
	    snprintf(sock_path, sizeof(sock_path), "%s/rempart.sock",
	        cfg.data_dir) < (int)sizeof(sock_path))
		api_socket = sock_path;
	if (api_socket != NULL && strcmp(api_socket, "off") != 0)
		api_cfg.socket_path = api_socket;
	api_cfg.local_only = !api_on;
	if ((api_on || api_cfg.socket_path != NULL) &&
	    api_start(&api, &api_cfg) != 0) {
		server_free(s);
		live_free(live);
		loop_free(l);
		return 1;
	}
	if (api_cfg.socket_path != NULL)
		log_info("api", "msg=listening socket=%s", api_cfg.socket_path);
	/* The pid file is written while we may still write the data
	 * directory as root; the CLI reads it to signal reloads. */
	if (write_pid(cfg.data_dir) != 0)
		log_warn("server", "msg=\"cannot write the pid file\"");
	write_facts(&cfg, api_on, &api_cfg);
	if (user != NULL && drop_privileges(user) != 0) {
		assess_facts_remove(cfg.data_dir);
		api_stop(api);
		server_free(s);
		live_free(live);
		loop_free(l);
		return 1;
	}
	log_info("server", "msg=started version=%s", RP_VERSION);
	rc = loop_run(l);
	api_stop(api);
	server_free(s);
	live_free(live);
	loop_free(l);
	assess_facts_remove(cfg.data_dir);
	{
		char path[4096];

		if (snprintf(path, sizeof(path), "%s/rempartd.pid",
		        cfg.data_dir) < (int)sizeof(path))
			unlink(path);
	}
	alert_global_cleanup();
	log_info("server", "msg=stopped");
	return rc == 0 ? 0 : 1;
}
