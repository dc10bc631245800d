/* The anti-fraud commands of the rempart command line: rights profiles,
 * the rate table, cost ceilings, blocks and rules (R-FRAUD-1,
 * R-FRAUD-2, R-FRAUD-3, R-FRAUD-5). They go through the administration
 * API (cli_api.h): each command checks and parses its arguments, makes
 * the request and prints the answer; the API's handler makes the
 * change, writes its audit entry and has the daemon reload. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"
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

/* Prints "WHAT NAME VERB". */
static int
done(const char *what, const char *name, const char *verb)
{
	printf("%s%s%s %s\n", what, what[0] != '\0' ? " " : "", name, verb);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
no_memory(void)
{
	return fail("cannot build the request", -ENOMEM);
}

/* One request whose every answer the caller reads: *status and *out
 * (NULL unless JSON; the caller frees it). Returns 0 or an exit code
 * having printed why the request could not be made. */
static int
call_any(struct cli *c, const char *method, const char *path, json_t *body,
    long *status, json_t **out)
{
	int rc;

	*out = NULL;
	rc = cli_api_open(c);
	if (rc != 0)
		return rc;
	rc = apiclient_call(c->api, method, path, body, status, out, NULL);
	return rc == 0 ? 0 : EXIT_FAIL;
}

/* The message of an error answer ("" when there is none). */
static const char *
error_message(json_t *o)
{
	const char *m = json_string_value(
	    json_object_get(json_object_get(o, "error"), "message"));

	return m != NULL ? m : "";
}

/* "none" for an empty text. */
static const char *
or_none(const char *s)
{
	return cli_or(s, "none");
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

/* Checks the options and applies them to 'p'. A new profile ('add')
 * is whole, so it is checked here too, with the command line's words;
 * the API checks a changed one against the stored profile. */
static int
profile_apply_args(
    const struct profile_args *a, struct fraudcfg_profile *p, bool add)
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
	if (add && fraudcfg_profile_check(p, &field) != 0) {
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

/* The body of POST /profiles or PATCH /profiles/NAME: the members the
 * options give. */
static json_t *
profile_body(const struct profile_args *a, const struct fraudcfg_profile *p)
{
	char classes[FRAUDCFG_CLASSES_STRLEN], wc[FRAUDCFG_CLASSES_STRLEN];
	char w[FRAUDCFG_WINDOW_STRLEN];
	json_t *o = json_object();
	int rc = o != NULL ? 0 : -1;

	if (rc == 0 && a->classes != NULL)
		rc = fraudcfg_classes_format(
		         p->classes, classes, sizeof(classes)) != 0 ||
		     json_object_set_new(o, "classes", json_string(classes));
	if (rc == 0 && a->allow != NULL)
		rc = json_object_set_new(o, "allow", json_string(p->allow));
	if (rc == 0 && a->deny != NULL)
		rc = json_object_set_new(o, "deny", json_string(p->deny));
	if (rc == 0 && a->n_windows > 0) {
		if (p->window_classes == 0 ||
		    fraudcfg_window_format(&p->window, w, sizeof(w)) != 0)
			w[0] = '\0';
		rc =
		    fraudcfg_classes_format(
		        p->window_classes, wc, sizeof(wc)) != 0 ||
		    json_object_set_new(o, "window_classes", json_string(wc)) ||
		    json_object_set_new(o, "window", json_string(w));
	}
	if (rc != 0) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static int
profile_change(struct cli *c, const char *name, bool add, int argc, char **argv)
{
	struct fraudcfg_profile p = {0};
	struct profile_args a;
	char path[64];
	long status = 0;
	json_t *body, *o;
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
	snprintf(p.name, sizeof(p.name), "%s", name);
	rc = profile_apply_args(&a, &p, add);
	if (rc != 0)
		return rc;
	body = profile_body(&a, &p);
	if (body == NULL || (add && json_object_set_new(body, "name",
	                                json_string(name)) != 0)) {
		json_decref(body);
		return no_memory();
	}
	snprintf(path, sizeof(path), "profiles/%s", name);
	rc = call_any(c, add ? "POST" : "PATCH", add ? "profiles" : path, body,
	    &status, &o);
	json_decref(body);
	if (rc == 0 && status == 409) {
		fprintf(stderr, "rempart: profile %s already exists\n", name);
		rc = EXIT_FAIL;
	} else if (rc == 0 && status == 404) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		rc = EXIT_FAIL;
	} else if (rc == 0 && status == 400) {
		/* What the stored profile makes invalid: bad usage. */
		fprintf(stderr, "rempart: %s\n", error_message(o));
		rc = EXIT_USAGE;
	} else if (rc == 0 && (status < 200 || status >= 300)) {
		rc = apiclient_fail(status, o);
	}
	json_decref(o);
	if (rc != 0)
		return rc;
	return done("profile", name, add ? "added" : "updated");
}

static void
print_profile(json_t *p)
{
	const char *wc = cli_str(p, "window_classes");

	printf("%-16s %-7s %s %s%s%s\n", cli_str(p, "name"),
	    json_is_true(json_object_get(p, "default")) ? "default" : "-",
	    cli_or(cli_str(p, "classes"), "-"), wc, wc[0] != '\0' ? "=" : "",
	    wc[0] != '\0' ? cli_str(p, "window") : "-");
}

static int
profile_show(struct cli *c, const char *name)
{
	char path[64];
	const char *wc;
	json_t *p;
	int rc;

	snprintf(path, sizeof(path), "profiles/%s", name);
	rc = cli_call(c, "GET", path, NULL, 404, &p);
	if (rc == 404) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	wc = cli_str(p, "window_classes");
	printf("name:     %s\n"
	       "default:  %s\n"
	       "classes:  %s\n"
	       "window:   %s%s%s\n"
	       "allow:    %s\n"
	       "deny:     %s\n",
	    cli_str(p, "name"),
	    json_is_true(json_object_get(p, "default")) ? "yes" : "no",
	    or_none(cli_str(p, "classes")), or_none(wc),
	    wc[0] != '\0' ? "=" : "", wc[0] != '\0' ? cli_str(p, "window") : "",
	    or_none(cli_str(p, "allow")), or_none(cli_str(p, "deny")));
	json_decref(p);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
profile_remove(struct cli *c, const char *name)
{
	static const char lead[] = "the profile ";
	char path[64];
	long status = 0;
	const char *msg;
	json_t *o;
	int rc;

	snprintf(path, sizeof(path), "profiles/%s", name);
	rc = call_any(c, "DELETE", path, NULL, &status, &o);
	if (rc == 0 && status == 404) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		rc = EXIT_FAIL;
	} else if (rc == 0 && status == 409) {
		/* "the profile is in use by extension 101": which one. */
		msg = error_message(o);
		if (strncmp(msg, lead, sizeof(lead) - 1) == 0)
			msg += sizeof(lead) - 1;
		fprintf(stderr, "rempart: profile %s %s\n", name, msg);
		rc = EXIT_FAIL;
	} else if (rc == 0 && (status < 200 || status >= 300)) {
		rc = apiclient_fail(status, o);
	}
	json_decref(o);
	if (rc != 0)
		return rc;
	return done("profile", name, "removed");
}

static int
profile_default(struct cli *c, const char *name)
{
	json_t *body, *o;
	int rc;

	if (name == NULL) {
		rc = cli_call(c, "GET", "rights/default", NULL, 0, &o);
		if (rc != 0)
			return rc;
		printf("%s\n", or_none(cli_str(o, "profile")));
		json_decref(o);
		return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	}
	body = json_pack("{s:s}", "profile", name);
	if (body == NULL)
		return no_memory();
	rc = cli_call(c, "PUT", "rights/default", body, 404, &o);
	json_decref(body);
	if (rc == 404) {
		fprintf(stderr, "rempart: no profile %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	return done("default profile", name, "set");
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
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-16s %-7s %s %s\n", "NAME", "DEFAULT", "CLASSES",
		    "WINDOW");
		return cli_walk(c, "profiles?", 0, 0, print_profile, NULL);
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

static void
print_rate(json_t *r)
{
	printf("%-17s %14s %14s %5u %5u %s\n", cli_str(r, "prefix"),
	    cli_str(r, "per_minute"), cli_str(r, "setup"),
	    (unsigned)cli_int(r, "first_s"), (unsigned)cli_int(r, "incr_s"),
	    cli_str(r, "label"));
}

/* The file goes to the API as it is; a bad line is named as
 * FILE:LINE. */
static int
rate_import(struct cli *c, const char *path)
{
	static const char lead[] = "line ";
	long status = 0;
	const char *msg;
	size_t len;
	char *text;
	json_t *o = NULL;
	int rc;

	rc = numplan_file_read(path, RATING_FILE_MAX, &text, &len);
	if (rc != 0)
		return fail(path, rc);
	rc = cli_api_open(c);
	if (rc == 0 && apiclient_send(c->api, "POST", "rates/import",
	                   "text/plain", text, len, &status, &o) != 0)
		rc = EXIT_FAIL;
	free(text);
	msg = error_message(o);
	if (rc == 0 && status == 400 &&
	    strncmp(msg, lead, sizeof(lead) - 1) == 0) {
		fprintf(
		    stderr, "rempart: %s:%s\n", path, msg + sizeof(lead) - 1);
		rc = EXIT_FAIL;
	} else if (rc == 0 && status != 200) {
		rc = apiclient_fail(status, o);
	} else if (rc == 0) {
		printf("%" PRId64 " rates imported\n", cli_int(o, "imported"));
		rc = fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	}
	json_decref(o);
	return rc;
}

static int
rate_show(struct cli *c, const char *number)
{
	struct sv digits = sv_cstr(number);
	char path[64];
	json_t *r;
	int rc;

	if (digits.len > 0 && digits.p[0] == '+')
		digits = sv_skip(digits, 1);
	if (digits.len == 0 || digits.len > NUMPLAN_DIGITS_MAX ||
	    strspn(digits.p, "0123456789") != digits.len)
		return invalid("number", number, "'+' and 1-15 digits");
	snprintf(path, sizeof(path), "rates/lookup?number=%%2B%s", digits.p);
	rc = cli_call(c, "GET", path, NULL, 404, &r);
	if (rc == 404) {
		fprintf(stderr, "rempart: no rate for %s\n", number);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	printf("prefix:     %s\n"
	       "per minute: %s\n"
	       "setup:      %s\n"
	       "first:      %us\n"
	       "increment:  %us\n"
	       "label:      %s\n"
	       "one minute: %s\n",
	    cli_str(r, "prefix"), cli_str(r, "per_minute"), cli_str(r, "setup"),
	    (unsigned)cli_int(r, "first_s"), (unsigned)cli_int(r, "incr_s"),
	    cli_str(r, "label"), cli_str(r, "one_minute"));
	json_decref(r);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

int
cmd_rate(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-17s %14s %14s %5s %5s %s\n", "PREFIX", "PER_MINUTE",
		    "SETUP", "FIRST", "INCR", "LABEL");
		return cli_walk(c, "rates?", 0, 0, print_rate, NULL);
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

/* The audit object of a scope ("user:100", "global"), and the path of
 * its ceiling ("ceilings/user/100", "ceilings/global"). */
static const char *
scope_object(enum fraud_scope scope, const char *name, char *out, size_t size)
{
	if (scope == FRAUD_SCOPE_GLOBAL)
		snprintf(out, size, "global");
	else
		snprintf(out, size, "%s:%s", fraudcfg_scope_name(scope), name);
	return out;
}

static void
ceiling_path(enum fraud_scope scope, const char *name, char *out, size_t size)
{
	if (scope == FRAUD_SCOPE_GLOBAL)
		snprintf(out, size, "ceilings/global");
	else
		snprintf(out, size, "ceilings/%s/%s",
		    fraudcfg_scope_name(scope), name);
}

/* Ceilings. */

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

/* A tenant no group has: the API's 404 for it. */
static void
no_tenant(const char *name)
{
	fprintf(stderr,
	    "rempart: no tenant %s (no group has it: rempart group set NAME "
	    "--tenant %s)\n",
	    name, name);
}

/* A ceiling's amount as the API takes it: its text, null for "none". */
static int
ceiling_member(json_t *body, const char *member, const char *text)
{
	if (text == NULL)
		return 0;
	return json_object_set_new(body, member,
	    strcmp(text, "none") == 0 ? json_null() : json_string(text));
}

static int
ceiling_set(struct cli *c, int argc, char **argv)
{
	const char *name, *hourly = NULL, *daily = NULL;
	char obj[USERS_EXT_MAX + 16], path[USERS_EXT_MAX + 32];
	enum fraud_scope scope;
	json_t *body, *o;
	int64_t m;
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
	if ((hourly != NULL && (rc = money_arg("--hourly", hourly, &m)) != 0) ||
	    (daily != NULL && (rc = money_arg("--daily", daily, &m)) != 0))
		return rc;
	body = json_object();
	if (body == NULL || ceiling_member(body, "hourly", hourly) != 0 ||
	    ceiling_member(body, "daily", daily) != 0) {
		json_decref(body);
		return no_memory();
	}
	ceiling_path(scope, name, path, sizeof(path));
	rc = cli_call(c, "PUT", path, body, 404, &o);
	json_decref(body);
	if (rc == 404 && scope == FRAUD_SCOPE_TENANT) {
		no_tenant(name);
		return EXIT_FAIL;
	}
	if (rc == 404) {
		fprintf(stderr, "rempart: no extension %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	return done(
	    "ceiling of", scope_object(scope, name, obj, sizeof(obj)), "set");
}

static int
ceiling_remove(struct cli *c, enum fraud_scope scope, const char *name)
{
	char obj[USERS_EXT_MAX + 16], path[USERS_EXT_MAX + 32];
	json_t *o;
	int rc;

	scope_object(scope, name, obj, sizeof(obj));
	ceiling_path(scope, name, path, sizeof(path));
	rc = cli_call(c, "DELETE", path, NULL, 404, &o);
	if (rc == 404) {
		fprintf(stderr, "rempart: no ceiling of %s\n", obj);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	return done("ceiling of", obj, "removed");
}

static void
print_ceiling(json_t *ce)
{
	printf("%-7s %-12s %18s %18s\n", cli_str(ce, "scope"),
	    cli_or(cli_str(ce, "name"), "-"), or_none(cli_str(ce, "hourly")),
	    or_none(cli_str(ce, "daily")));
}

int
cmd_ceiling(struct cli *c, int argc, char **argv)
{
	enum fraud_scope scope;
	const char *name;
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-7s %-12s %18s %18s\n", "SCOPE", "NAME", "HOURLY",
		    "DAILY");
		return cli_walk(c, "ceilings?", 0, 0, print_ceiling, NULL);
	}
	if (argc >= 2 && strcmp(argv[0], "set") == 0)
		return ceiling_set(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[0], "remove") == 0) {
		rc = scope_args(argc - 1, argv + 1, &scope, &name);
		if (rc == 0)
			return EXIT_USAGE;
		if (rc != argc - 1)
			return bad_usage();
		return ceiling_remove(c, scope, name);
	}
	return bad_usage();
}

/* Blocks and rules. */

static void
print_block(json_t *b)
{
	char since[32], until[32];

	printf("%-7s %-12s %-20s %-20s %-20s %s\n", cli_str(b, "scope"),
	    cli_or(cli_str(b, "name"), "-"), cli_str(b, "reason"),
	    format_utc(cli_int(b, "since"), since, sizeof(since)),
	    cli_int(b, "until") != 0
	        ? format_utc(cli_int(b, "until"), until, sizeof(until))
	        : "unblock",
	    cli_str(b, "text"));
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
	enum fraud_scope scope;
	json_t *body, *o;
	int n, rc;

	n = scope_args(argc, argv, &scope, &name);
	if (n == 0)
		return EXIT_USAGE;
	if (n + 2 == argc && strcmp(argv[n], "--reason") == 0)
		reason = argv[n + 1];
	else if (n != argc)
		return bad_usage();
	if (reason != NULL && !reason_arg_ok(reason))
		return invalid(
		    "--reason", reason, "1-128 printable ASCII characters");
	scope_object(scope, name, obj, sizeof(obj));
	body = json_pack("{s:s}", "scope", fraudcfg_scope_name(scope));
	if (body != NULL && scope != FRAUD_SCOPE_GLOBAL &&
	    json_object_set_new(body, "name", json_string(name)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body != NULL && reason != NULL &&
	    json_object_set_new(body, "reason", json_string(reason)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (body == NULL)
		return no_memory();
	rc = cli_call(
	    c, "POST", block ? "fraud/block" : "fraud/unblock", body, 404, &o);
	json_decref(body);
	if (rc == 404) {
		if (block && scope == FRAUD_SCOPE_TENANT)
			no_tenant(name);
		else if (block)
			fprintf(stderr, "rempart: no extension %s\n", name);
		else
			fprintf(stderr, "rempart: %s is not blocked\n", obj);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	return done("", obj, block ? "blocked" : "unblocked");
}

static int
print_rules(json_t *rules, json_t *s)
{
	json_t *items = json_object_get(rules, "items");

	printf("%-22s %-6s %6s %8s\n", "RULE", "MODE", "COUNT", "WINDOW");
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *r = json_array_get(items, i);

		printf("%-22s %-6s %6u %7us\n", cli_str(r, "name"),
		    cli_str(r, "mode"), (unsigned)cli_int(r, "count"),
		    (unsigned)cli_int(r, "window_s"));
	}
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
	    cli_or(cli_str(s, "business_hours"), "?"),
	    (int)cli_int(s, "utc_offset_min"),
	    json_is_true(json_object_get(s, "cut_running")) ? "yes" : "no",
	    strcmp(cli_str(s, "ceiling_block"), "unblock") == 0
	        ? "until unblocked"
	        : "until the window ends",
	    (unsigned)cli_int(s, "tail_digits"),
	    (unsigned)cli_int(s, "short_s"), (unsigned)cli_int(s, "factor_pct"),
	    (unsigned)cli_int(s, "alpha_pct"),
	    cli_or(cli_str(s, "min_spend"), "?"),
	    json_is_true(json_object_get(s, "disa")) ? "on" : "off",
	    json_is_true(json_object_get(s, "outdial")) ? "on" : "off");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
rules_show(struct cli *c)
{
	json_t *rules, *s;
	int rc;

	rc = cli_call(c, "GET", "fraud/rules", NULL, 0, &rules);
	if (rc != 0)
		return rc;
	rc = cli_call(c, "GET", "fraud/settings", NULL, 0, &s);
	if (rc == 0)
		rc = print_rules(rules, s);
	json_decref(rules);
	json_decref(s);
	return rc;
}

/* A whole number option into member 'member'. */
static int
uint_option(json_t *body, const char *member, const char *opt, const char *v)
{
	uint32_t n;

	if (sv_to_u32(sv_cstr(v), UINT32_MAX, &n) != 0)
		return invalid(opt, v, "a whole number");
	return json_object_set_new(body, member, json_integer(n)) == 0
	           ? 0
	           : no_memory();
}

/* One option of 'fraud rule' ('rule') or 'fraud set' into the body of
 * the request. Returns 0, or an exit code after printing why. */
static int
rule_option(json_t *body, bool rule, const char *opt, const char *v)
{
	static const struct {
		const char *opt, *member;
	} numbers[] = {
	    {"--count", "count"},
	    {"--window", "window_s"},
	    {"--tail-digits", "tail_digits"},
	    {"--short", "short_s"},
	    {"--factor", "factor_pct"},
	    {"--alpha", "alpha_pct"},
	};
	struct rights_window w;
	enum fraud_mode mode;
	json_t *value = NULL;
	const char *member = NULL;
	int64_t m;
	uint32_t n;

	for (size_t i = 0; rule && i < RP_ARRAY_LEN(numbers); i++)
		if (strcmp(opt, numbers[i].opt) == 0)
			return uint_option(body, numbers[i].member, opt, v);
	if (rule && strcmp(opt, "--mode") == 0) {
		if (fraudcfg_mode_parse(sv_cstr(v), &mode) != 0)
			return invalid(opt, v, "off, alert, deny or block");
		member = "mode";
		value = json_string(v);
	} else if (rule && strcmp(opt, "--min-spend") == 0) {
		if (fraudcfg_money_parse(
		        sv_cstr(v), FRAUDCFG_CEILING_MAX, &m) != 0)
			return invalid(opt, v, "an amount such as 10.50");
		member = "min_spend";
		value = json_string(v);
	} else if (rule && strcmp(opt, "--hours") == 0) {
		if (fraudcfg_window_parse(sv_cstr(v), &w) != 0)
			return invalid(opt, v,
			    "DAYS/HH:MM-HH:MM such as "
			    "mon-fri/08:00-19:00");
		member = "business_hours";
		value = json_string(v);
	} else if (!rule && strcmp(opt, "--utc-offset") == 0) {
		bool neg = v[0] == '-';

		if (sv_to_u32(sv_cstr(v + (neg || v[0] == '+')), 24 * 60, &n) !=
		    0)
			return invalid(opt, v, "minutes from -1440 to 1440");
		member = "utc_offset_min";
		value = json_integer(neg ? -(json_int_t)n : (json_int_t)n);
	} else if (!rule && strcmp(opt, "--cut-running") == 0) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return invalid(opt, v, "yes or no");
		member = "cut_running";
		value = json_boolean(v[0] == 'y');
	} else if (!rule &&
	           (strcmp(opt, "disa") == 0 || strcmp(opt, "--disa") == 0 ||
	               strcmp(opt, "outdial") == 0 ||
	               strcmp(opt, "--outdial") == 0)) {
		/* R-FRAUD-6, R-FRAUD-7: switches, off by default. */
		if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0)
			return invalid(opt, v, "on or off");
		member = strstr(opt, "disa") != NULL ? "disa" : "outdial";
		value = json_boolean(v[1] == 'n');
	} else if (!rule && strcmp(opt, "--ceiling-block") == 0) {
		if (strcmp(v, "unblock") != 0 && strcmp(v, "window") != 0)
			return invalid(opt, v, "unblock or window");
		member = "ceiling_block";
		value = json_string(v);
	} else {
		return bad_usage();
	}
	return json_object_set_new(body, member, value) == 0 ? 0 : no_memory();
}

static int
rules_change(struct cli *c, const char *name, int argc, char **argv)
{
	enum fraudcfg_rule rule;
	char path[64];
	long status = 0;
	json_t *body, *o;
	int rc;

	if (name != NULL && fraudcfg_rule_parse(sv_cstr(name), &rule) != 0) {
		fprintf(stderr,
		    "rempart: no rule '%s' (see 'rempart fraud rules')\n",
		    name);
		return EXIT_USAGE;
	}
	if (argc == 0 || argc % 2 != 0)
		return bad_usage();
	body = json_object();
	if (body == NULL)
		return no_memory();
	for (int i = 0; i < argc; i += 2) {
		rc = rule_option(body, name != NULL, argv[i], argv[i + 1]);
		if (rc != 0) {
			json_decref(body);
			return rc;
		}
	}
	if (name != NULL)
		snprintf(path, sizeof(path), "fraud/rules/%s", name);
	rc = call_any(c, "PATCH", name != NULL ? path : "fraud/settings", body,
	    &status, &o);
	json_decref(body);
	if (rc == 0 && status == 400) {
		/* Settings that do not go together: bad usage. */
		fprintf(stderr, "rempart: invalid settings for %s (%s)\n",
		    name != NULL ? name : "options", error_message(o));
		rc = EXIT_USAGE;
	} else if (rc == 0 && (status < 200 || status >= 300)) {
		rc = apiclient_fail(status, o);
	}
	json_decref(o);
	if (rc != 0)
		return rc;
	return done("fraud", name != NULL ? name : "options", "updated");
}

/* rempart fraud lists [--allow P|none] [--deny P|none]: shows or sets
 * the system-wide prefix lists (R-FRAUD-2). */
static int
system_lists(struct cli *c, int argc, char **argv)
{
	char norm[FRAUDCFG_PREFIXES_STRLEN];
	json_t *body, *o;
	int rc;

	body = json_object();
	if (body == NULL)
		return no_memory();
	for (int i = 0; i < argc; i += 2) {
		const char *member = NULL;

		if (i + 1 < argc && strcmp(argv[i], "--allow") == 0)
			member = "allow";
		else if (i + 1 < argc && strcmp(argv[i], "--deny") == 0)
			member = "deny";
		if (member == NULL) {
			json_decref(body);
			return bad_usage();
		}
		if (fraudcfg_prefixes_normalise(strcmp(argv[i + 1], "none") == 0
		                                    ? SV("")
		                                    : sv_cstr(argv[i + 1]),
		        norm) != 0) {
			json_decref(body);
			fprintf(stderr,
			    "rempart: invalid prefix list (E.164 prefixes: "
			    "'+' and digits, comma-separated)\n");
			return EXIT_USAGE;
		}
		if (json_object_set_new(body, member, json_string(norm)) != 0) {
			json_decref(body);
			return no_memory();
		}
	}
	rc = cli_call(c, json_object_size(body) != 0 ? "PUT" : "GET",
	    "fraud/lists", json_object_size(body) != 0 ? body : NULL, 0, &o);
	if (rc == 0 && json_object_size(body) == 0)
		printf("allow: %s\ndeny: %s\n", or_none(cli_str(o, "allow")),
		    or_none(cli_str(o, "deny")));
	else if (rc == 0)
		printf("system lists allow/deny set\n");
	json_decref(o);
	if (rc == 0)
		rc = fflush(stdout) == 0 ? 0 : EXIT_FAIL;
	json_decref(body);
	return rc;
}

int
cmd_fraud(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "blocks") == 0) {
		printf("%-7s %-12s %-20s %-20s %-20s %s\n", "SCOPE", "NAME",
		    "RULE", "SINCE", "UNTIL", "REASON");
		return cli_walk(c, "fraud/blocks?", 0, 0, print_block, NULL);
	}
	if (argc == 1 &&
	    (strcmp(argv[0], "rules") == 0 || strcmp(argv[0], "show") == 0))
		return rules_show(c);
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
