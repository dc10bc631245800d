/* The anti-fraud commands of the rempart command line: rights profiles,
 * the rate table, cost ceilings, blocks and rules (R-FRAUD-1,
 * R-FRAUD-2, R-FRAUD-3, R-FRAUD-5). Every change is written with its
 * audit entry in one transaction and the daemon is told to reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "policy/fraud.h"
#include "policy/numplan.h"
#include "policy/rating.h"
#include "store/fraudcfg.h"
#include "store/groups.h"
#include "store/users.h"

#define WINDOWS_MAX 16

void
cli_fraud_usage(FILE *f)
{
	fprintf(f,
	    "  profile add NAME --classes LIST [--allow PREFIXES] "
	    "[--deny PREFIXES]\n"
	    "      [--window CLASS=DAYS/HH:MM-HH:MM ...]  LIST: internal, "
	    "emergency, local,\n"
	    "                                  national, mobile, "
	    "international, premium,\n"
	    "                                  high-risk, special; "
	    "PREFIXES: +33,+4420\n"
	    "                                  DAYS: mon-fri, sat,sun or all\n"
	    "  profile set NAME [same options; none clears a list or the "
	    "window]\n"
	    "  profile list | profile show NAME | profile remove NAME\n"
	    "  profile default [NAME]          show or set the default "
	    "profile\n"
	    "  user set EXT --profile NAME|default\n"
	    "  rate import FILE                replace the rate table "
	    "(prefix per_minute\n"
	    "                                  setup first_s incr_s [label])\n"
	    "  rate list | rate show NUMBER\n"
	    "  ceiling set user EXT|--tenant T|global [--hourly MONEY|none] "
	    "[--daily MONEY|none]\n"
	    "                                  a tenant's ceiling counts the "
	    "calls of all\n"
	    "                                  the users of its groups\n"
	    "  ceiling list | ceiling remove user EXT|--tenant T|global\n"
	    "  fraud blocks | fraud block user EXT|--tenant T|global "
	    "[--reason TEXT]\n"
	    "  fraud unblock user EXT|--tenant T|global [--reason TEXT]\n"
	    "  fraud rules | fraud show      rules, options and switches\n"
	    "  fraud rule NAME [--mode off|alert|deny|block] [--count N] "
	    "[--window S]\n"
	    "      [--tail-digits N] [--short S] [--factor PCT] [--alpha PCT]\n"
	    "      [--min-spend MONEY] [--hours DAYS/HH:MM-HH:MM]\n"
	    "  fraud set [--utc-offset MINUTES] [--cut-running yes|no]\n"
	    "      [--ceiling-block unblock|window]\n"
	    "  fraud set disa on|off | fraud set outdial on|off\n"
	    "                                  DISA, voicemail callback and "
	    "IVR outdial\n"
	    "                                  (off by default)\n"
	    "  fraud lists [--allow PREFIXES|none] [--deny PREFIXES|none]\n"
	    "                                  system-wide: --allow opens the "
	    "premium and\n"
	    "                                  high-risk numbers it covers, "
	    "--deny wins\n"
	    "                                  over every profile\n");
}

static int
bad_usage(void)
{
	fprintf(stderr, "usage:\n");
	cli_fraud_usage(stderr);
	return EXIT_USAGE;
}

static int
invalid(const char *option, const char *value, const char *rule)
{
	fprintf(stderr, "rempart: invalid %s '%s' (%s)\n", option, value, rule);
	return EXIT_USAGE;
}

/* Tells the daemon and prints "WHAT NAME VERB". */
static int
done(struct cli *c, const char *what, const char *name, const char *verb)
{
	notify_daemon(c);
	printf("%s%s%s %s\n", what, what[0] != '\0' ? " " : "", name, verb);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static const char *
money(int64_t m, char *buf, size_t size)
{
	if (m == 0)
		return "none";
	return rating_money_format(m, buf, size) < 0 ? "?" : buf;
}

/* Profiles. */

static const char *const classes_rule =
    "comma-separated classes: internal, emergency, local, national, "
    "mobile, international, premium, high-risk, special";
static const char *const prefixes_rule =
    "up to 64 prefixes of '+' and up to 15 digits, comma-separated, or "
    "'none'";
static const char *const window_rule =
    "CLASS=DAYS/HH:MM-HH:MM such as international=mon-fri/08:00-19:00, or "
    "'none'; every --window of a profile gives the same days and hours";

struct profile_args {
	const char *classes, *allow, *deny;
	const char *windows[WINDOWS_MAX];
	unsigned n_windows;
};

static int
profile_parse_args(struct profile_args *a, int argc, char **argv)
{
	*a = (struct profile_args){0};
	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--classes") == 0)
			slot = &a->classes;
		else if (strcmp(argv[i], "--allow") == 0)
			slot = &a->allow;
		else if (strcmp(argv[i], "--deny") == 0)
			slot = &a->deny;
		else if (strcmp(argv[i], "--window") == 0 &&
		         a->n_windows < WINDOWS_MAX)
			slot = &a->windows[a->n_windows++];
		if (slot == NULL || *slot != NULL || i + 1 >= argc)
			return bad_usage();
		*slot = argv[++i];
	}
	return 0;
}

static int
prefixes_arg(const char *option, const char *text, char *out)
{
	struct sv v = strcmp(text, "none") == 0 ? SV("") : sv_cstr(text);

	if (fraudcfg_prefixes_normalise(v, out) != 0)
		return invalid(option, text, prefixes_rule);
	return 0;
}

/* Applies the options to 'p' (the stored profile for 'set'). */
static int
profile_apply_args(const struct profile_args *a, struct fraudcfg_profile *p)
{
	struct rights_window w;
	enum numplan_class cls;
	struct sv rest, name;
	const char *field = NULL;
	int rc;

	if (a->classes != NULL &&
	    fraudcfg_classes_parse(sv_cstr(a->classes), &p->classes) != 0)
		return invalid("--classes", a->classes, classes_rule);
	if (a->allow != NULL &&
	    (rc = prefixes_arg("--allow", a->allow, p->allow)) != 0)
		return rc;
	if (a->deny != NULL &&
	    (rc = prefixes_arg("--deny", a->deny, p->deny)) != 0)
		return rc;
	if (a->n_windows > 0) {
		p->window_classes = 0;
		p->window = (struct rights_window){0};
	}
	for (unsigned i = 0; i < a->n_windows; i++) {
		if (strcmp(a->windows[i], "none") == 0 && a->n_windows == 1)
			break;
		rest = sv_cstr(a->windows[i]);
		if (!sv_split(&rest, '=', &name) ||
		    numplan_class_parse(name, &cls) != 0 ||
		    fraudcfg_window_parse(rest, &w) != 0 ||
		    (i > 0 && (w.days != p->window.days ||
		                  w.start_min != p->window.start_min ||
		                  w.end_min != p->window.end_min)))
			return invalid("--window", a->windows[i], window_rule);
		p->window = w;
		p->window_classes |= NUMPLAN_BIT(cls);
	}
	if (fraudcfg_profile_check(p, &field) != 0) {
		if (strcmp(field, "window") == 0) {
			fprintf(stderr, "rempart: invalid --window: a class "
			                "cannot be both in --classes and in a "
			                "window\n");
			return EXIT_USAGE;
		}
		fprintf(stderr, "rempart: invalid profile %s\n", field);
		return EXIT_USAGE;
	}
	return 0;
}

static void
profile_json(struct buf *b, const struct fraudcfg_profile *p)
{
	char classes[FRAUDCFG_CLASSES_STRLEN], wc[FRAUDCFG_CLASSES_STRLEN];
	char w[FRAUDCFG_WINDOW_STRLEN];

	(void)fraudcfg_classes_format(p->classes, classes, sizeof(classes));
	(void)fraudcfg_classes_format(p->window_classes, wc, sizeof(wc));
	if (p->window_classes == 0 ||
	    fraudcfg_window_format(&p->window, w, sizeof(w)) != 0)
		w[0] = '\0';
	json_str(b, "classes", classes);
	json_str(b, "window_classes", wc);
	json_str(b, "window", w);
	json_str(b, "allow", p->allow);
	json_str(b, "deny", p->deny);
}

static int
profile_change(struct cli *c, const char *name, bool add, int argc, char **argv)
{
	struct fraudcfg_profile p = {0}, old;
	struct profile_args a;
	struct buf before, after;
	const char *field = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc;

	rc = profile_parse_args(&a, argc, argv);
	if (rc != 0)
		return rc;
	if (add && a.classes == NULL) {
		fprintf(stderr, "rempart: profile add needs --classes LIST\n");
		return EXIT_USAGE;
	}
	if (!add && a.classes == NULL && a.allow == NULL && a.deny == NULL &&
	    a.n_windows == 0) {
		fprintf(stderr, "rempart: profile set needs --classes, "
		                "--allow, --deny or --window\n");
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	if (!add) {
		rc = fraudcfg_profile_get(c->db, sv_cstr(name), &p);
		if (rc == -ENOENT) {
			fprintf(stderr, "rempart: no profile %s\n", name);
			return EXIT_FAIL;
		}
		if (rc != 0)
			return fail("cannot read the profile", rc);
	}
	old = p;
	snprintf(p.name, sizeof(p.name), "%s", name);
	rc = profile_apply_args(&a, &p);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = add ? fraudcfg_profile_add(c->db, &p, now, &field)
		         : fraudcfg_profile_update(c->db, &p, now, &field);
		if (!add)
			profile_json(&before, &old);
		profile_json(&after, &p);
		if (rc == 0)
			rc = audit_admin(c, add ? "profile.add" : "profile.set",
			    name, add ? NULL : &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: profile %s already exists\n", name);
		return EXIT_FAIL;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot store the profile", rc);
	return done(c, "profile", name, add ? "added" : "updated");
}

static int
print_profile(void *arg, const struct fraudcfg_profile *p)
{
	const char *def = arg;
	char classes[FRAUDCFG_CLASSES_STRLEN], wc[FRAUDCFG_CLASSES_STRLEN];
	char w[FRAUDCFG_WINDOW_STRLEN];

	(void)fraudcfg_classes_format(p->classes, classes, sizeof(classes));
	(void)fraudcfg_classes_format(p->window_classes, wc, sizeof(wc));
	if (p->window_classes == 0 ||
	    fraudcfg_window_format(&p->window, w, sizeof(w)) != 0)
		snprintf(w, sizeof(w), "-");
	printf("%-16s %-7s %s %s%s%s\n", p->name,
	    strcmp(def, p->name) == 0 ? "default" : "-",
	    classes[0] != '\0' ? classes : "-", wc, wc[0] != '\0' ? "=" : "",
	    w);
	return ferror(stdout) ? -EIO : 0;
}

static int
profile_show(struct cli *c, const char *name)
{
	char classes[FRAUDCFG_CLASSES_STRLEN], wc[FRAUDCFG_CLASSES_STRLEN];
	char w[FRAUDCFG_WINDOW_STRLEN], def[FRAUDCFG_NAME_MAX + 1];
	struct fraudcfg_profile p;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = fraudcfg_profile_get(c->db, sv_cstr(name), &p);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot read the profile", rc);
	if (fraudcfg_default_get(c->db, def) != 0)
		def[0] = '\0';
	(void)fraudcfg_classes_format(p.classes, classes, sizeof(classes));
	(void)fraudcfg_classes_format(p.window_classes, wc, sizeof(wc));
	if (p.window_classes == 0 ||
	    fraudcfg_window_format(&p.window, w, sizeof(w)) != 0)
		w[0] = '\0';
	printf("name:     %s\n"
	       "default:  %s\n"
	       "classes:  %s\n"
	       "window:   %s%s%s\n"
	       "allow:    %s\n"
	       "deny:     %s\n",
	    p.name, strcmp(def, p.name) == 0 ? "yes" : "no",
	    classes[0] != '\0' ? classes : "none", wc[0] != '\0' ? wc : "none",
	    wc[0] != '\0' ? "=" : "", w, p.allow[0] != '\0' ? p.allow : "none",
	    p.deny[0] != '\0' ? p.deny : "none");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
profile_remove(struct cli *c, const char *name)
{
	char user[USERS_EXT_MAX + 1] = "", group[GROUPS_NAME_MAX + 1];
	struct fraudcfg_profile p;
	struct buf before;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = fraudcfg_profile_get(c->db, sv_cstr(name), &p);
		if (rc == 0) {
			profile_json(&before, &p);
			rc =
			    fraudcfg_profile_remove(c->db, sv_cstr(name), user);
		}
		if (rc == 0)
			rc = audit_admin(
			    c, "profile.remove", name, &before, NULL);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		return EXIT_FAIL;
	}
	if (rc == -EBUSY) {
		if (user[0] != '\0')
			fprintf(stderr,
			    "rempart: profile %s is in use by extension %s\n",
			    name, user);
		else if (groups_profile_user(c->db, sv_cstr(name), group) == 0)
			fprintf(stderr,
			    "rempart: profile %s is in use by group %s\n", name,
			    group);
		else
			fprintf(stderr,
			    "rempart: profile %s is the default profile\n",
			    name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot remove the profile", rc);
	return done(c, "profile", name, "removed");
}

/* rempart fraud lists [--allow P|none] [--deny P|none]: shows or sets
 * the system-wide prefix lists (R-FRAUD-2). */
static int
system_lists(struct cli *c, int argc, char **argv)
{
	char allow[FRAUDCFG_PREFIXES_STRLEN], deny[FRAUDCFG_PREFIXES_STRLEN];
	const char *set_allow = NULL, *set_deny = NULL;
	struct buf before, after;
	int rc;

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return bad_usage();
		if (strcmp(argv[i], "--allow") == 0)
			set_allow = argv[i + 1];
		else if (strcmp(argv[i], "--deny") == 0)
			set_deny = argv[i + 1];
		else
			return bad_usage();
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = fraudcfg_system_lists_get(c->db, allow, deny);
	if (rc != 0)
		return fail("cannot read the system lists", rc);
	if (set_allow == NULL && set_deny == NULL) {
		printf("allow: %s\ndeny: %s\n", allow[0] ? allow : "none",
		    deny[0] ? deny : "none");
		return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	}
	buf_init(&before, 0);
	buf_init(&after, 0);
	json_str(&before, "allow", allow);
	json_str(&before, "deny", deny);
	rc = db_tx_begin(c->db);
	if (rc == 0 && set_allow != NULL)
		rc = fraudcfg_system_list_set(c->db, FRAUDCFG_SYSTEM_ALLOW,
		    sv_cstr(strcmp(set_allow, "none") == 0 ? "" : set_allow));
	if (rc == 0 && set_deny != NULL)
		rc = fraudcfg_system_list_set(c->db, FRAUDCFG_SYSTEM_DENY,
		    sv_cstr(strcmp(set_deny, "none") == 0 ? "" : set_deny));
	if (rc == 0)
		rc = fraudcfg_system_lists_get(c->db, allow, deny);
	if (rc == 0) {
		json_str(&after, "allow", allow);
		json_str(&after, "deny", deny);
		rc = audit_admin(c, "fraud.lists", "system", &before, &after);
	}
	if (rc == -EINVAL) {
		db_tx_rollback(c->db);
		buf_release(&before);
		buf_release(&after);
		fprintf(stderr, "rempart: invalid prefix list (E.164 prefixes: "
		                "'+' and digits, comma-separated)\n");
		return EXIT_USAGE;
	}
	rc = tx_end(c, rc);
	buf_release(&before);
	buf_release(&after);
	if (rc != 0)
		return fail("cannot set the system lists", rc);
	return done(c, "system lists", "allow/deny", "set");
}

static int
profile_default(struct cli *c, const char *name)
{
	char def[FRAUDCFG_NAME_MAX + 1];
	struct buf before, after;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = fraudcfg_default_get(c->db, def);
	if (rc != 0 && rc != -ENOENT)
		return fail("cannot read the default profile", rc);
	if (name == NULL) {
		printf("%s\n", def[0] != '\0' ? def : "none");
		return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	}
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = fraudcfg_default_set(c->db, sv_cstr(name));
		json_str(&before, "default", def);
		json_str(&after, "default", name);
		if (rc == 0)
			rc = audit_admin(
			    c, "profile.default", name, &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot set the default profile", rc);
	return done(c, "default profile", name, "set");
}

static bool
profile_name_ok(const char *name)
{
	if (users_profile_valid(sv_cstr(name)))
		return true;
	fprintf(stderr,
	    "rempart: invalid profile name '%s' (1-%d lower-case letters, "
	    "digits, '_' or '-')\n",
	    name, USERS_PROFILE_MAX);
	return false;
}

int
cmd_profile(struct cli *c, int argc, char **argv)
{
	char def[FRAUDCFG_NAME_MAX + 1];
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		if (fraudcfg_default_get(c->db, def) != 0)
			def[0] = '\0';
		printf("%-16s %-7s %s %s\n", "NAME", "DEFAULT", "CLASSES",
		    "WINDOW");
		rc = fraudcfg_profile_list(c->db, print_profile, def);
		return rc == 0 ? 0 : fail("cannot list profiles", rc);
	}
	if (argc >= 1 && strcmp(argv[0], "default") == 0 && argc <= 2) {
		if (argc == 2 && !profile_name_ok(argv[1]))
			return EXIT_USAGE;
		return profile_default(c, argc == 2 ? argv[1] : NULL);
	}
	if (argc < 2)
		return bad_usage();
	if (!profile_name_ok(argv[1]))
		return EXIT_USAGE;
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "set") == 0)
		return profile_change(
		    c, argv[1], argv[0][0] == 'a', argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return profile_show(c, argv[1]);
	if (argc == 2 && strcmp(argv[0], "remove") == 0)
		return profile_remove(c, argv[1]);
	return bad_usage();
}

/* Rates. */

static int
print_rate(void *arg, const struct fraudcfg_rate *r)
{
	char per[FRAUDCFG_MONEY_STRLEN], setup[FRAUDCFG_MONEY_STRLEN];

	(void)arg;
	(void)rating_money_format(r->rate.per_min, per, sizeof(per));
	(void)rating_money_format(r->rate.setup, setup, sizeof(setup));
	printf("%-17s %14s %14s %5u %5u %s\n", r->prefix, per, setup,
	    r->rate.first_s, r->rate.incr_s, r->rate.label);
	return ferror(stdout) ? -EIO : 0;
}

static int
rate_import(struct cli *c, const char *path)
{
	struct numplan_error err = {0, NULL};
	struct buf after;
	size_t len, count = 0;
	char *text;
	int rc;

	rc = numplan_file_read(path, RATING_FILE_MAX, &text, &len);
	if (rc != 0)
		return fail(path, rc);
	rc = open_store(c);
	if (rc != 0) {
		free(text);
		return rc;
	}
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = fraudcfg_rates_import(
		    c->db, sv_make(text, len), &err, &count);
		json_str(&after, "file", path);
		json_int(&after, "rates", (int64_t)count);
		if (rc == 0)
			rc = audit_admin(
			    c, "rate.import", "rates", NULL, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	free(text);
	if ((rc == -EBADMSG || rc == -E2BIG) && err.reason != NULL) {
		fprintf(stderr, "rempart: %s:%u: %s (nothing imported)\n", path,
		    err.line, err.reason);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot import the rates", rc);
	notify_daemon(c);
	printf("%zu rates imported\n", count);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
rate_show(struct cli *c, const char *number)
{
	char per[FRAUDCFG_MONEY_STRLEN], setup[FRAUDCFG_MONEY_STRLEN];
	char minute[FRAUDCFG_MONEY_STRLEN];
	struct fraudcfg_rate r;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = fraudcfg_rate_match(c->db, sv_cstr(number), &r);
	if (rc == -EINVAL)
		return invalid("number", number, "'+' and 1-15 digits");
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no rate for %s\n", number);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot read the rates", rc);
	(void)rating_money_format(r.rate.per_min, per, sizeof(per));
	(void)rating_money_format(r.rate.setup, setup, sizeof(setup));
	(void)rating_money_format(
	    rating_cost(&r.rate, 60), minute, sizeof(minute));
	printf("prefix:     %s\n"
	       "per minute: %s\n"
	       "setup:      %s\n"
	       "first:      %us\n"
	       "increment:  %us\n"
	       "label:      %s\n"
	       "one minute: %s\n",
	    r.prefix, per, setup, r.rate.first_s, r.rate.incr_s, r.rate.label,
	    minute);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

int
cmd_rate(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-17s %14s %14s %5s %5s %s\n", "PREFIX", "PER_MINUTE",
		    "SETUP", "FIRST", "INCR", "LABEL");
		rc = fraudcfg_rates_list(c->db, print_rate, NULL);
		return rc == 0 ? 0 : fail("cannot list rates", rc);
	}
	if (argc == 2 && strcmp(argv[0], "import") == 0)
		return rate_import(c, argv[1]);
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return rate_show(c, argv[1]);
	return bad_usage();
}

/* Scopes: "user EXT", "tenant T" (or "--tenant T") or "global". Returns the
 * arguments used, or 0 after printing why. */
static int
scope_args(int argc, char **argv, enum fraud_scope *scope, const char **name)
{
	if (argc >= 1 && strcmp(argv[0], "global") == 0) {
		*scope = FRAUD_SCOPE_GLOBAL;
		*name = "";
		return 1;
	}
	if (argc >= 2 && (strcmp(argv[0], "tenant") == 0 ||
	                     strcmp(argv[0], "--tenant") == 0)) {
		if (!groups_tenant_valid(sv_cstr(argv[1]))) {
			fprintf(stderr,
			    "rempart: invalid tenant '%s' (1-%d lower-case "
			    "letters, digits, '_' or '-')\n",
			    argv[1], GROUPS_TENANT_MAX);
			return 0;
		}
		*scope = FRAUD_SCOPE_TENANT;
		*name = argv[1];
		return 2;
	}
	if (argc >= 2 && strcmp(argv[0], "user") == 0) {
		if (!users_ext_valid(sv_cstr(argv[1]))) {
			fprintf(stderr,
			    "rempart: invalid extension '%s' (1-32 letters, "
			    "digits, '.', '_' or '-')\n",
			    argv[1]);
			return 0;
		}
		*scope = FRAUD_SCOPE_USER;
		*name = argv[1];
		return 2;
	}
	bad_usage();
	return 0;
}

/* The user or tenant a scope names does not exist. */
static void
no_scope(enum fraud_scope scope, const char *name)
{
	if (scope == FRAUD_SCOPE_TENANT)
		fprintf(stderr,
		    "rempart: no tenant %s (no group has it: rempart group "
		    "set NAME --tenant %s)\n",
		    name, name);
	else
		fprintf(stderr, "rempart: no extension %s\n", name);
}

static const char *
scope_object(enum fraud_scope scope, const char *name, char *out, size_t size)
{
	if (scope == FRAUD_SCOPE_GLOBAL)
		snprintf(out, size, "global");
	else
		snprintf(out, size, "%s:%s", fraudcfg_scope_name(scope), name);
	return out;
}

/* Ceilings. */

static void
ceiling_json(struct buf *b, const struct fraud_ceiling *ce)
{
	json_int(b, "hourly", ce->hour);
	json_int(b, "daily", ce->day);
}

static int
money_arg(const char *option, const char *text, int64_t *out)
{
	if (strcmp(text, "none") == 0) {
		*out = 0;
		return 0;
	}
	if (fraudcfg_money_parse(sv_cstr(text), FRAUDCFG_CEILING_MAX, out) !=
	        0 ||
	    *out == 0)
		return invalid(option, text,
		    "a positive amount with up to 6 decimals such as 25.50, "
		    "at most 1000000000, or 'none'");
	return 0;
}

static int
ceiling_set(struct cli *c, int argc, char **argv)
{
	const char *name, *hourly = NULL, *daily = NULL, *field = NULL;
	char obj[USERS_EXT_MAX + 16];
	struct fraudcfg_ceiling old;
	struct fraud_ceiling ce;
	enum fraud_scope scope;
	struct buf before, after;
	int n, rc;

	n = scope_args(argc, argv, &scope, &name);
	if (n == 0)
		return EXIT_USAGE;
	for (int i = n; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--hourly") == 0)
			slot = &hourly;
		else if (strcmp(argv[i], "--daily") == 0)
			slot = &daily;
		if (slot == NULL || *slot != NULL || i + 1 >= argc)
			return bad_usage();
		*slot = argv[++i];
	}
	if (hourly == NULL && daily == NULL) {
		fprintf(stderr, "rempart: ceiling set needs --hourly or "
		                "--daily\n");
		return EXIT_USAGE;
	}
	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = fraudcfg_ceiling_get(c->db, scope, sv_cstr(name), &old);
	if (rc != 0 && rc != -ENOENT)
		return fail("cannot read the ceiling", rc);
	ce = old.c;
	if ((hourly != NULL &&
	        (rc = money_arg("--hourly", hourly, &ce.hour)) != 0) ||
	    (daily != NULL && (rc = money_arg("--daily", daily, &ce.day)) != 0))
		return rc;
	scope_object(scope, name, obj, sizeof(obj));
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = fraudcfg_ceiling_set(c->db, scope, sv_cstr(name), &ce,
		    (int64_t)time(NULL), &field);
		ceiling_json(&before, &old.c);
		ceiling_json(&after, &ce);
		if (rc == 0)
			rc =
			    audit_admin(c, "ceiling.set", obj, &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -ENXIO) {
		no_scope(scope, name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot store the ceiling", rc);
	return done(c, "ceiling of", obj, "set");
}

static int
ceiling_removal(struct db *db, const char *key, struct buf *before)
{
	struct fraudcfg_ceiling old;
	enum fraud_scope scope = FRAUD_SCOPE_GLOBAL;
	struct sv name = SV("");
	int rc;

	if (strncmp(key, "user:", 5) == 0) {
		scope = FRAUD_SCOPE_USER;
		name = sv_cstr(key + 5);
	} else if (strncmp(key, "tenant:", 7) == 0) {
		scope = FRAUD_SCOPE_TENANT;
		name = sv_cstr(key + 7);
	}
	rc = fraudcfg_ceiling_get(db, scope, name, &old);
	if (rc == 0) {
		ceiling_json(before, &old.c);
		rc = fraudcfg_ceiling_remove(db, scope, name);
	}
	return rc;
}

static int
print_ceiling(void *arg, const struct fraudcfg_ceiling *ce)
{
	char h[FRAUDCFG_MONEY_STRLEN], d[FRAUDCFG_MONEY_STRLEN];

	(void)arg;
	printf("%-7s %-12s %18s %18s\n", fraudcfg_scope_name(ce->scope),
	    ce->name[0] != '\0' ? ce->name : "-",
	    money(ce->c.hour, h, sizeof(h)), money(ce->c.day, d, sizeof(d)));
	return ferror(stdout) ? -EIO : 0;
}

int
cmd_ceiling(struct cli *c, int argc, char **argv)
{
	char obj[USERS_EXT_MAX + 16];
	enum fraud_scope scope;
	const char *name;
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-7s %-12s %18s %18s\n", "SCOPE", "NAME", "HOURLY",
		    "DAILY");
		rc = fraudcfg_ceiling_list(c->db, print_ceiling, NULL);
		return rc == 0 ? 0 : fail("cannot list ceilings", rc);
	}
	if (argc >= 2 && strcmp(argv[0], "set") == 0)
		return ceiling_set(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "remove") == 0) {
		rc = scope_args(argc - 1, argv + 1, &scope, &name);
		if (rc == 0)
			return EXIT_USAGE;
		if (rc != argc - 1)
			return bad_usage();
		return remove_audited(c, "ceiling.remove", "ceiling of",
		    scope_object(scope, name, obj, sizeof(obj)),
		    ceiling_removal);
	}
	return bad_usage();
}

/* Blocks and rules. */

static int
print_block(void *arg, const struct fraudcfg_block *b)
{
	uint64_t now = *(const uint64_t *)arg;
	char since[32], until[32];

	if (b->lifted_at != 0 || (b->b.until_s != 0 && b->b.until_s <= now))
		return 0;
	printf("%-7s %-12s %-20s %-20s %-20s %s\n",
	    fraudcfg_scope_name(b->b.scope),
	    b->b.name[0] != '\0' ? b->b.name : "-",
	    fraudcfg_reason_name(b->b.reason),
	    format_utc((int64_t)b->b.since_s, since, sizeof(since)),
	    b->b.until_s != 0
	        ? format_utc((int64_t)b->b.until_s, until, sizeof(until))
	        : "unblock",
	    b->reason);
	return ferror(stdout) ? -EIO : 0;
}

static bool
reason_arg_ok(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > FRAUDCFG_REASON_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (r[i] < 0x20 || r[i] > 0x7e)
			return false;
	return true;
}

static int
block_change(struct cli *c, bool block, int argc, char **argv)
{
	const char *name, *reason = NULL;
	char obj[USERS_EXT_MAX + 16];
	uint64_t now = (uint64_t)time(NULL);
	struct fraud_block b = {0};
	struct user_info u;
	struct buf after;
	int n, rc;

	n = scope_args(argc, argv, &b.scope, &name);
	if (n == 0)
		return EXIT_USAGE;
	if (n + 2 == argc && strcmp(argv[n], "--reason") == 0)
		reason = argv[n + 1];
	else if (n != argc)
		return bad_usage();
	if (reason != NULL && !reason_arg_ok(reason))
		return invalid(
		    "--reason", reason, "1-128 printable ASCII characters");
	scope_object(b.scope, name, obj, sizeof(obj));
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		if (block && b.scope == FRAUD_SCOPE_USER) {
			rc = users_get_info(c->db, sv_cstr(name), &u);
			if (rc == -ENOENT)
				rc = -ENXIO;
		} else if (block && b.scope == FRAUD_SCOPE_TENANT) {
			rc = groups_tenant_exists(c->db, sv_cstr(name));
			if (rc == -ENOENT)
				rc = -ENXIO;
		}
		snprintf(b.name, sizeof(b.name), "%s", name);
		b.reason = FRAUD_R_MANUAL;
		b.since_s = now;
		if (rc == 0)
			rc = block ? fraudcfg_block_put(c->db, &b,
			                 sv_cstr(reason != NULL ? reason : ""))
			           : fraudcfg_block_lift(
			                 c->db, b.scope, sv_cstr(name), now);
		json_str(&after, "reason", reason != NULL ? reason : "");
		if (rc == 0)
			rc = audit_admin(c,
			    block ? "fraud.block" : "fraud.unblock", obj, NULL,
			    &after);
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	if (rc == -ENXIO) {
		no_scope(b.scope, name);
		return EXIT_FAIL;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: %s is not blocked\n", obj);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail(block ? "cannot block" : "cannot unblock", rc);
	return done(c, "", obj, block ? "blocked" : "unblocked");
}

static void
print_rules(const struct fraud_config *cfg)
{
	char w[FRAUDCFG_WINDOW_STRLEN], m[FRAUDCFG_MONEY_STRLEN];

	printf("%-22s %-6s %6s %8s\n", "RULE", "MODE", "COUNT", "WINDOW");
	for (unsigned r = 0; r < FRAUDCFG_RULE_COUNT; r++) {
		const struct fraud_rule_cfg *rc =
		    fraudcfg_rule_get(cfg, (enum fraudcfg_rule)r);

		printf("%-22s %-6s %6u %7us\n",
		    fraudcfg_rule_name((enum fraudcfg_rule)r),
		    fraudcfg_mode_name(rc->mode), rc->count, rc->window_s);
	}
	if (fraudcfg_window_format(&cfg->business_hours, w, sizeof(w)) != 0)
		snprintf(w, sizeof(w), "?");
	if (rating_money_format(cfg->spike_min_spend, m, sizeof(m)) < 0)
		snprintf(m, sizeof(m), "?");
	printf("business hours:   %s\n"
	       "utc offset:       %d min\n"
	       "cut running:      %s\n"
	       "ceiling block:    %s\n"
	       "tail digits:      %u\n"
	       "short call:       %us\n"
	       "spike factor:     %u%%\n"
	       "spike alpha:      %u%%\n"
	       "spike min spend:  %s\n"
	       "disa:             %s\n"
	       "outdial:          %s\n",
	    w, (int)cfg->tz_offset_min, cfg->cut_running ? "yes" : "no",
	    cfg->ceiling_block_until_unblock ? "until unblocked"
	                                     : "until the window ends",
	    cfg->seq_tail_digits, cfg->short_s, cfg->spike_factor_pct,
	    cfg->spike_alpha_pct, m, cfg->disa_enabled ? "on" : "off",
	    cfg->outdial_enabled ? "on" : "off");
}

static void
rules_json(
    struct buf *b, const struct fraud_config *cfg, enum fraudcfg_rule rule)
{
	char text[FRAUDCFG_WINDOW_STRLEN];

	if ((unsigned)rule < FRAUDCFG_RULE_COUNT) {
		const struct fraud_rule_cfg *rc = fraudcfg_rule_get(cfg, rule);

		json_str(b, "mode", fraudcfg_mode_name(rc->mode));
		json_int(b, "count", rc->count);
		json_int(b, "window_s", rc->window_s);
	}
	if (fraudcfg_window_format(&cfg->business_hours, text, sizeof(text)) ==
	    0)
		json_str(b, "business_hours", text);
	json_int(b, "utc_offset_min", cfg->tz_offset_min);
	json_bool(b, "cut_running", cfg->cut_running);
	json_bool(
	    b, "ceiling_block_until_unblock", cfg->ceiling_block_until_unblock);
	json_int(b, "tail_digits", cfg->seq_tail_digits);
	json_int(b, "short_s", cfg->short_s);
	json_int(b, "factor_pct", cfg->spike_factor_pct);
	json_int(b, "alpha_pct", cfg->spike_alpha_pct);
	json_int(b, "min_spend", cfg->spike_min_spend);
	json_bool(b, "disa", cfg->disa_enabled);
	json_bool(b, "outdial", cfg->outdial_enabled);
}

/* One option of 'fraud rule' or 'fraud set' into 'cfg'. Returns 0, or
 * an exit code after printing why. */
static int
rule_option(struct fraud_config *cfg, struct fraud_rule_cfg *rc,
    const char *opt, const char *v)
{
	enum fraud_mode mode;
	uint32_t n;

	if (rc != NULL && strcmp(opt, "--mode") == 0) {
		if (fraudcfg_mode_parse(sv_cstr(v), &mode) != 0)
			return invalid(opt, v, "off, alert, deny or block");
		rc->mode = mode;
	} else if (rc != NULL && (strcmp(opt, "--count") == 0 ||
	                             strcmp(opt, "--window") == 0 ||
	                             strcmp(opt, "--tail-digits") == 0 ||
	                             strcmp(opt, "--short") == 0 ||
	                             strcmp(opt, "--factor") == 0 ||
	                             strcmp(opt, "--alpha") == 0)) {
		if (sv_to_u32(sv_cstr(v), UINT32_MAX, &n) != 0)
			return invalid(opt, v, "a whole number");
		if (strcmp(opt, "--count") == 0)
			rc->count = n;
		else if (strcmp(opt, "--window") == 0)
			rc->window_s = n;
		else if (strcmp(opt, "--tail-digits") == 0)
			cfg->seq_tail_digits = n;
		else if (strcmp(opt, "--short") == 0)
			cfg->short_s = n;
		else if (strcmp(opt, "--factor") == 0)
			cfg->spike_factor_pct = n;
		else
			cfg->spike_alpha_pct = n;
	} else if (rc != NULL && strcmp(opt, "--min-spend") == 0) {
		if (fraudcfg_money_parse(sv_cstr(v), FRAUDCFG_CEILING_MAX,
		        &cfg->spike_min_spend) != 0)
			return invalid(opt, v, "an amount such as 10.50");
	} else if (rc != NULL && strcmp(opt, "--hours") == 0) {
		if (fraudcfg_window_parse(sv_cstr(v), &cfg->business_hours) !=
		    0)
			return invalid(opt, v,
			    "DAYS/HH:MM-HH:MM such as "
			    "mon-fri/08:00-19:00");
	} else if (rc == NULL && strcmp(opt, "--utc-offset") == 0) {
		bool neg = v[0] == '-';

		if (sv_to_u32(sv_cstr(v + (neg || v[0] == '+')), 24 * 60, &n) !=
		    0)
			return invalid(opt, v, "minutes from -1440 to 1440");
		cfg->tz_offset_min = neg ? -(int32_t)n : (int32_t)n;
	} else if (rc == NULL && strcmp(opt, "--cut-running") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return invalid(opt, v, "yes or no");
		cfg->cut_running = v[0] == 'y';
	} else if (rc == NULL &&
	           (strcmp(opt, "disa") == 0 || strcmp(opt, "--disa") == 0 ||
	               strcmp(opt, "outdial") == 0 ||
	               strcmp(opt, "--outdial") == 0)) {
		/* R-FRAUD-6, R-FRAUD-7: switches, off by default. */
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return invalid(opt, v, "on or off");
		if (strstr(opt, "disa") != NULL)
			cfg->disa_enabled = v[1] == 'n';
		else
			cfg->outdial_enabled = v[1] == 'n';
	} else if (rc == NULL && strcmp(opt, "--ceiling-block") == 0) {
		if (strcmp(v, "unblock") != 0 && strcmp(v, "window") != 0)
			return invalid(opt, v, "unblock or window");
		cfg->ceiling_block_until_unblock = v[0] == 'u';
	} else {
		return bad_usage();
	}
	return 0;
}

static const char *
rule_field_rule(const char *field)
{
	static const struct {
		const char *field, *rule;
	} rules[] = {
	    {"call-rate", "--count 1-31 calls a minute"},
	    {"concurrent-user", "--count 1-1048576 calls"},
	    {"concurrent-intl", "--count 1-1048576 calls"},
	    {"first-country-user", "--count 0"},
	    {"first-country-system", "--count 0"},
	    {"off-hours-intl", "--count 0"},
	    {"sequential",
	        "--count 2-16 numbers, --window 1-86400 s, --tail-digits 1-4"},
	    {"short-burst",
	        "--count 1-32 calls, --window 1-86400 s, --short 1-3600 s"},
	    {"spend-spike", "--factor 100-100000, --alpha 1-100"},
	    {"business-hours", "DAYS/HH:MM-HH:MM"},
	    {"utc-offset", "-1440 to 1440 minutes"},
	};

	for (size_t i = 0; i < RP_ARRAY_LEN(rules); i++)
		if (strcmp(rules[i].field, field) == 0)
			return rules[i].rule;
	return "see the usage";
}

static int
rules_change(struct cli *c, const char *name, int argc, char **argv)
{
	struct fraud_config old, cfg;
	enum fraudcfg_rule rule = FRAUDCFG_RULE_COUNT;
	struct buf before, after;
	const char *field = NULL;
	int rc;

	if (name != NULL && fraudcfg_rule_parse(sv_cstr(name), &rule) != 0) {
		fprintf(stderr,
		    "rempart: no rule '%s' (see 'rempart fraud rules')\n",
		    name);
		return EXIT_USAGE;
	}
	if (argc == 0 || argc % 2 != 0)
		return bad_usage();
	rc = open_store(c);
	if (rc != 0)
		return rc;
	fraud_config_defaults(&cfg);
	rc = fraudcfg_rules_load(c->db, &cfg);
	if (rc != 0)
		return fail("cannot read the fraud rules", rc);
	old = cfg;
	for (int i = 0; i < argc; i += 2) {
		rc = rule_option(&cfg,
		    name != NULL ? fraudcfg_rule_of(&cfg, rule) : NULL, argv[i],
		    argv[i + 1]);
		if (rc != 0)
			return rc;
	}
	if (fraudcfg_rules_check(&cfg, &field) == -EINVAL) {
		fprintf(stderr, "rempart: invalid settings for %s (%s)\n",
		    field, rule_field_rule(field));
		return EXIT_USAGE;
	}
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = fraudcfg_rules_store(
		    c->db, &cfg, (int64_t)time(NULL), &field);
		rules_json(&before, &old, rule);
		rules_json(&after, &cfg, rule);
		if (rc == 0)
			rc = audit_admin(c,
			    name != NULL ? "fraud.rule" : "fraud.set",
			    name != NULL ? name : "options", &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc != 0)
		return fail("cannot store the fraud rules", rc);
	return done(c, "fraud", name != NULL ? name : "options", "updated");
}

int
cmd_fraud(struct cli *c, int argc, char **argv)
{
	struct fraud_config cfg;
	uint64_t now = (uint64_t)time(NULL);
	int rc;

	if (argc == 1 &&
	    (strcmp(argv[0], "blocks") == 0 || strcmp(argv[0], "rules") == 0 ||
	        strcmp(argv[0], "show") == 0)) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		if (argv[0][0] != 'b') {
			fraud_config_defaults(&cfg);
			rc = fraudcfg_rules_load(c->db, &cfg);
			if (rc != 0)
				return fail("cannot read the fraud rules", rc);
			print_rules(&cfg);
			return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
		}
		printf("%-7s %-12s %-20s %-20s %-20s %s\n", "SCOPE", "NAME",
		    "RULE", "SINCE", "UNTIL", "REASON");
		rc = fraudcfg_block_list(c->db, print_block, &now);
		return rc == 0 ? 0 : fail("cannot list blocks", rc);
	}
	if (argc >= 2 &&
	    (strcmp(argv[0], "block") == 0 || strcmp(argv[0], "unblock") == 0))
		return block_change(c, argv[0][0] == 'b', argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "rule") == 0)
		return rules_change(c, argv[1], argc - 2, argv + 2);
	if (argc >= 1 && strcmp(argv[0], "set") == 0)
		return rules_change(c, NULL, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "lists") == 0)
		return system_lists(c, argc - 1, argv + 1);
	return bad_usage();
}
