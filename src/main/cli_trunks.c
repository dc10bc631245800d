/* rempart trunk, route and did: operator trunks, outbound routes and
 * inbound numbers through the administration API (/api/v1/trunks,
 * /routes, /route-test and /dids). The options are parsed here and
 * their syntax checked; the API's handlers check the whole, write the
 * change with its audit entry and apply it. A trunk's secret, read from
 * stdin, travels in a request's body only. An API's 400 naming a field
 * is told with the option that set it, and exits 2 as a bad option
 * always did. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"
#include "store/trunks.h"
#include "store/users.h"

/* The options of 'trunk add' and 'trunk set': the API's field each
 * sets and what it takes; a number when 'max' is not 0. The last one,
 * the secret, takes no value: it is read from stdin. */
#define TRUNK_OPTS 14
#define TRUNK_OPT_SECRET (TRUNK_OPTS - 1)

static const struct {
	const char *option, *field, *rule;
	uint32_t min, max;
} trunk_opts[TRUNK_OPTS] = {
    {"--kind", "kind", "register or ip", 0, 0},
    {"--transport", "transport", "udp, tcp or tls", 0, 0},
    {"--host", "host", "a host name or an IPv4 or IPv6 address", 0, 0},
    {"--port", "port", "1-65535", 1, TRUNKS_PORT_MAX},
    {"--username", "username",
        "up to 64 letters, digits or -_.!~*'()&=+$,;?/; a registration "
        "trunk needs one",
        0, 0},
    {"--auth-user", "auth_user",
        "up to 64 letters, digits or -_.!~*'()&=+$,;?/", 0, 0},
    {"--realm", "realm", "up to 128 printable characters, no '\"' or '\\'", 0,
        0},
    {"--from-domain", "from_domain", "a host name or an IP address", 0, 0},
    {"--acl", "acl",
        "up to 32 IPv4 or IPv6 addresses or networks such as "
        "192.0.2.0/24, comma-separated; an IP trunk needs at least one",
        0, 0},
    {"--channels", "channels", "1-10000 concurrent calls", TRUNKS_CHANNELS_MIN,
        TRUNKS_CHANNELS_MAX},
    {"--codecs", "codecs",
        "up to 16 distinct codec names, comma-separated, or 'any'", 0, 0},
    {"--outbound-cid", "outbound_cid",
        "an E.164 number such as +33123456789, or 'none'", 0, 0},
    {"--expires", "expires", "60-3600 seconds", TRUNKS_EXPIRES_MIN,
        TRUNKS_EXPIRES_MAX},
    {"--secret-stdin", "secret",
        "1-128 printable characters without spaces, on stdin; a "
        "registration trunk needs one",
        0, 0},
};

/* The values given, by trunk_opts' index; NULL: not given. */
struct trunk_args {
	const char *v[TRUNK_OPTS];
	bool secret_stdin;
};

/* A request whatever its answer: *status and *out (the caller frees
 * it). Returns 0 or an exit code. */
static int
tk_request(struct cli *c, const char *method, const char *path, json_t *body,
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

/* The field a 400 names ("invalid 'FIELD': RULE") into 'field', and
 * its rule. Returns NULL when the answer names none. */
static const char *
tk_bad_field(json_t *answer, char *field, size_t size)
{
	const char *msg = json_string_value(
	    json_object_get(json_object_get(answer, "error"), "message"));
	const char *end;

	if (msg == NULL || strncmp(msg, "invalid '", 9) != 0)
		return NULL;
	msg += 9;
	end = strchr(msg, '\'');
	if (end == NULL || (size_t)(end - msg) >= size || end[1] != ':')
		return NULL;
	memcpy(field, msg, (size_t)(end - msg));
	field[end - msg] = '\0';
	return end[2] == ' ' ? end + 3 : end + 2;
}

/* Prints the API's error and returns its exit code. Frees 'answer'. */
static int
tk_fail(long status, json_t *answer)
{
	int rc = apiclient_fail(status, answer);

	json_decref(answer);
	return rc;
}

/* Wipes a text member of a JSON object: it held a secret. */
static void
tk_wipe(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (s != NULL)
		memset((char *)(uintptr_t)s, 0, strlen(s));
}

/* ---- Trunks. ---- */

static int
trunk_field_error(const char *field, const struct trunk_args *a)
{
	for (size_t i = 0; i < TRUNK_OPTS; i++) {
		if (strcmp(trunk_opts[i].field, field) != 0)
			continue;
		if (a != NULL && a->v[i] != NULL)
			fprintf(stderr, "rempart: invalid %s '%s' (%s)\n",
			    trunk_opts[i].option, a->v[i], trunk_opts[i].rule);
		else
			fprintf(stderr, "rempart: invalid or missing %s (%s)\n",
			    trunk_opts[i].option, trunk_opts[i].rule);
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
		size_t j = 0;

		if (strcmp(argv[i], trunk_opts[TRUNK_OPT_SECRET].option) == 0 &&
		    !a->secret_stdin) {
			a->secret_stdin = true;
			continue;
		}
		while (j < TRUNK_OPT_SECRET &&
		       strcmp(argv[i], trunk_opts[j].option) != 0)
			j++;
		if (j == TRUNK_OPT_SECRET || a->v[j] != NULL || i + 1 >= argc)
			return CLI_USAGE;
		a->v[j] = argv[++i];
	}
	return 0;
}

/* The request's body: the options given, numbers checked and as
 * numbers; texts as given ("none" and "any" are the API's words too).
 * Returns 0 or an exit code. */
static int
trunk_body(const struct trunk_args *a, json_t *body)
{
	for (size_t i = 0; i < TRUNK_OPT_SECRET; i++) {
		uint32_t n;
		json_t *v;

		if (a->v[i] == NULL)
			continue;
		if (trunk_opts[i].max == 0) {
			v = json_string(a->v[i]);
		} else {
			if (sv_to_u32(
			        sv_cstr(a->v[i]), trunk_opts[i].max, &n) != 0 ||
			    n < trunk_opts[i].min)
				return trunk_field_error(
				    trunk_opts[i].field, a);
			v = json_integer(n);
		}
		if (json_object_set_new(body, trunk_opts[i].field, v) != 0)
			return fail("cannot build the request", -ENOMEM);
	}
	return 0;
}

/* Reads one line from stdin into the body's "secret". Returns 0 or an
 * exit code. */
static int
trunk_secret(json_t *body)
{
	char secret[TRUNKS_SECRET_MAX + 2];
	size_t n;
	int rc = 0;

	if (fgets(secret, (int)sizeof(secret), stdin) == NULL) {
		fprintf(stderr, "rempart: no secret on stdin\n");
		return EXIT_USAGE;
	}
	n = strlen(secret);
	while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
		secret[--n] = '\0';
	if (json_object_set_new(body, "secret", json_stringn(secret, n)) != 0)
		rc = fail("cannot build the request", -ENOMEM);
	keys_wipe(secret, sizeof(secret));
	return rc;
}

/* 'trunk add' (POST trunks) and 'trunk set' (PATCH trunks/NAME). */
static int
trunk_add_or_set(
    struct cli *c, const char *name, int argc, char **argv, bool add)
{
	char path[64], field[32];
	struct trunk_args a;
	long status = 0;
	json_t *body, *o = NULL;
	int rc;

	rc = trunk_parse_args(&a, argc, argv);
	if (rc != 0)
		return rc;
	if (add && (a.v[0] == NULL || a.v[2] == NULL)) {
		fprintf(stderr, "rempart: trunk add needs --kind register|ip "
		                "and --host HOST\n");
		return EXIT_USAGE;
	}
	body = add ? json_pack("{s:s}", "name", name) : json_object();
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	rc = trunk_body(&a, body);
	if (rc == 0 && !add && json_object_size(body) == 0 && !a.secret_stdin)
		rc = CLI_USAGE;
	if (rc == 0 && a.secret_stdin)
		rc = trunk_secret(body);
	snprintf(path, sizeof(path), "trunks/%s", name);
	if (rc == 0)
		rc = tk_request(c, add ? "POST" : "PATCH",
		    add ? "trunks" : path, body, &status, &o);
	tk_wipe(body, "secret");
	json_decref(body);
	if (rc != 0)
		return rc;
	if (status == 409 && add) {
		json_decref(o);
		fprintf(stderr, "rempart: trunk %s already exists\n", name);
		return EXIT_FAIL;
	}
	if (status == 404) {
		json_decref(o);
		fprintf(stderr, "rempart: no trunk %s\n", name);
		return EXIT_FAIL;
	}
	if (status == 400 && tk_bad_field(o, field, sizeof(field)) != NULL) {
		json_decref(o);
		return trunk_field_error(field, &a);
	}
	if (status < 200 || status >= 300)
		return tk_fail(status, o);
	json_decref(o);
	printf("trunk %s %s\n", name, add ? "added" : "updated");
	return 0;
}

static void
trunk_row(json_t *t)
{
	printf("%-16s %-8s %-9s %-32s %5u %8u %s\n", cli_str(t, "name"),
	    cli_str(t, "kind"), cli_str(t, "transport"), cli_str(t, "host"),
	    (unsigned)cli_int(t, "port"), (unsigned)cli_int(t, "channels"),
	    json_is_true(json_object_get(t, "enabled")) ? "enabled"
	                                                : "disabled");
}

static int
trunk_show(struct cli *c, const char *name)
{
	char path[64], created[32], updated[32];
	json_t *t;
	int rc;

	snprintf(path, sizeof(path), "trunks/%s", name);
	rc = cli_call(c, "GET", path, NULL, 404, &t);
	if (rc == 404) {
		fprintf(stderr, "rempart: no trunk %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	printf("name:         %s\n"
	       "kind:         %s\n"
	       "transport:    %s\n"
	       "host:         %s\n",
	    cli_str(t, "name"), cli_str(t, "kind"), cli_str(t, "transport"),
	    cli_str(t, "host"));
	if (cli_int(t, "port") != 0)
		printf("port:         %u\n", (unsigned)cli_int(t, "port"));
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
	    cli_or(cli_str(t, "username"), "none"),
	    cli_or(cli_str(t, "auth_user"), "none"),
	    json_is_true(json_object_get(t, "secret_set")) ? "set" : "none",
	    cli_or(cli_str(t, "realm"), "none"),
	    cli_or(cli_str(t, "from_domain"), "none"),
	    cli_or(cli_str(t, "acl"), "none"), (unsigned)cli_int(t, "channels"),
	    cli_or(cli_str(t, "codecs"), "any"),
	    cli_or(cli_str(t, "outbound_cid"), "none"),
	    (unsigned)cli_int(t, "expires"),
	    json_is_true(json_object_get(t, "enabled")) ? "enabled"
	                                                : "disabled",
	    format_utc(cli_int(t, "created_at"), created, sizeof(created)),
	    format_utc(cli_int(t, "updated_at"), updated, sizeof(updated)));
	json_decref(t);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

/* 'trunk enable', 'trunk disable' and 'trunk remove'. A trunk a route
 * names cannot be removed: the API's 409 says which route. */
static int
trunk_change(struct cli *c, const char *name, const char *verb)
{
	bool remove = strcmp(verb, "remove") == 0;
	char path[64];
	json_t *body = NULL, *o;
	int rc;

	snprintf(path, sizeof(path), "trunks/%s", name);
	if (!remove) {
		body = json_pack("{s:b}", "enabled", verb[0] == 'e');
		if (body == NULL)
			return fail("cannot build the request", -ENOMEM);
	}
	rc = cli_call(c, remove ? "DELETE" : "PATCH", path, body, 404, &o);
	json_decref(body);
	if (rc == 404) {
		fprintf(stderr, "rempart: no trunk %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("trunk %s %s\n", name,
	    remove ? "removed" : (verb[0] == 'e' ? "enabled" : "disabled"));
	return 0;
}

int
cli_trunk(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-16s %-8s %-9s %-32s %5s %8s %s\n", "NAME", "KIND",
		    "TRANSPORT", "HOST", "PORT", "CHANNELS", "STATE");
		return cli_walk(c, "trunks?", 0, 0, trunk_row, NULL);
	}
	if (argc < 2)
		return CLI_USAGE;
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
	return CLI_USAGE;
}

/* ---- Routes. ---- */

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

/* The options of 'route add', by route_rules' index. */
struct route_args {
	const char *v[RP_ARRAY_LEN(route_rules)];
};

/* The answer to a refused 'route add': the option at fault, a trunk
 * of the list that does not exist, or the API's message. */
static int
route_refused(
    const char *name, const struct route_args *a, long status, json_t *o)
{
	char field[32];
	const char *rule = tk_bad_field(o, field, sizeof(field));
	int rc;

	if (status == 409) {
		fprintf(stderr, "rempart: route %s already exists\n", name);
		rc = EXIT_FAIL;
	} else if (status == 400 && rule != NULL &&
	           strcmp(field, "trunks") == 0 &&
	           strncmp(rule, "no trunk ", 9) == 0) {
		fprintf(stderr, "rempart: %s (in --trunks)\n", rule);
		rc = EXIT_FAIL;
	} else if (status == 400 && rule != NULL) {
		const char *value = NULL;

		for (size_t i = 0; i < RP_ARRAY_LEN(route_rules); i++)
			if (strcmp(route_rules[i].field, field) == 0)
				value = a->v[i];
		rc = route_field_error(field, value);
	} else {
		return tk_fail(status, o);
	}
	json_decref(o);
	return rc;
}

static int
route_add(struct cli *c, const char *name, int argc, char **argv)
{
	struct route_args a = {{NULL}};
	long status = 0;
	json_t *body, *o = NULL;
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		size_t j = 0;

		while (j < RP_ARRAY_LEN(route_rules) &&
		       strcmp(argv[i], route_rules[j].option) != 0)
			j++;
		if (j == RP_ARRAY_LEN(route_rules) || a.v[j] != NULL ||
		    i + 1 >= argc)
			return CLI_USAGE;
		a.v[j] = argv[++i];
	}
	/* pattern and trunks: indexes 0 and 4. */
	if (a.v[0] == NULL || a.v[4] == NULL) {
		fprintf(stderr, "rempart: route add needs --pattern PATTERN "
		                "and --trunks T1[,T2...]\n");
		return EXIT_USAGE;
	}
	body = json_pack(
	    "{s:s,s:s,s:s}", "name", name, "pattern", a.v[0], "trunks", a.v[4]);
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	/* priority and strip are numbers: 1 and 2. */
	for (size_t i = 1; rc == 0 && i <= 2; i++) {
		uint32_t n;

		if (a.v[i] == NULL)
			continue;
		if (sv_to_u32(sv_cstr(a.v[i]),
		        i == 1 ? ROUTES_PRIORITY_MAX : ROUTES_STRIP_MAX,
		        &n) != 0)
			rc = route_field_error(route_rules[i].field, a.v[i]);
		else if (json_object_set_new(
		             body, route_rules[i].field, json_integer(n)) != 0)
			rc = fail("cannot build the request", -ENOMEM);
	}
	if (rc == 0 && a.v[3] != NULL &&
	    json_object_set_new(body, "prepend", json_string(a.v[3])) != 0)
		rc = fail("cannot build the request", -ENOMEM);
	if (rc == 0)
		rc = tk_request(c, "POST", "routes", body, &status, &o);
	json_decref(body);
	if (rc != 0)
		return rc;
	if (status < 200 || status >= 300)
		return route_refused(name, &a, status, o);
	json_decref(o);
	printf("route %s added\n", name);
	return 0;
}

static int
route_remove(struct cli *c, const char *name)
{
	char path[64];
	json_t *o;
	int rc;

	snprintf(path, sizeof(path), "routes/%s", name);
	rc = cli_call(c, "DELETE", path, NULL, 404, &o);
	if (rc == 404) {
		fprintf(stderr, "rempart: no route %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("route %s removed\n", name);
	return 0;
}

/* "a,b,c" from a list of names. */
static void
route_print_trunks(json_t *list)
{
	size_t i;
	json_t *t;

	json_array_foreach(list, i, t)
	{
		printf("%s%s", i > 0 ? "," : "", json_string_value(t));
	}
}

static void
route_row(json_t *r)
{
	printf("%-16s %-20s %8u %5u %-8s ", cli_str(r, "name"),
	    cli_str(r, "pattern"), (unsigned)cli_int(r, "priority"),
	    (unsigned)cli_int(r, "strip"), cli_or(cli_str(r, "prepend"), "-"));
	route_print_trunks(json_object_get(r, "trunks"));
	printf(" %s\n", json_is_true(json_object_get(r, "enabled"))
	                    ? "enabled"
	                    : "disabled");
}

static int
route_test(struct cli *c, const char *number)
{
	char path[128];
	json_t *o, *trunks;
	int64_t skipped;
	int rc;

	if (!routes_number_valid(sv_cstr(number))) {
		fprintf(stderr,
		    "rempart: invalid number '%s' (an optional '+' then "
		    "1-%d digits)\n",
		    number, ROUTES_NUMBER_MAX - 1);
		return EXIT_USAGE;
	}
	memcpy(path, "route-test?number=", 18);
	if (apiclient_escape(number, path + 18, sizeof(path) - 18) != 0)
		return CLI_USAGE;
	rc = cli_call(c, "GET", path, NULL, 404, &o);
	if (rc == 404) {
		fprintf(stderr, "rempart: no route for %s\n", number);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	trunks = json_object_get(o, "trunks");
	skipped = cli_int(o, "skipped");
	printf("route:  %s\nnumber: %s\ntrunks: ", cli_str(o, "route"),
	    cli_str(o, "number"));
	route_print_trunks(trunks);
	if (json_array_size(trunks) == 0)
		printf("none");
	if (skipped > 0)
		printf(" (%u disabled trunk%s skipped)", (unsigned)skipped,
		    skipped > 1 ? "s" : "");
	printf("\n");
	json_decref(o);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

int
cli_route(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-16s %-20s %8s %5s %-8s %s %s\n", "NAME", "PATTERN",
		    "PRIORITY", "STRIP", "PREPEND", "TRUNKS", "STATE");
		return cli_walk(c, "routes?", 0, 0, route_row, NULL);
	}
	if (argc == 2 && strcmp(argv[0], "test") == 0)
		return route_test(c, argv[1]);
	if (argc < 2 ||
	    (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0))
		return CLI_USAGE;
	if (!trunks_name_valid(sv_cstr(argv[1]))) {
		fprintf(stderr,
		    "rempart: invalid route name '%s' (1-%d lower-case "
		    "letters, digits, '_' or '-')\n",
		    argv[1], ROUTES_NAME_MAX);
		return EXIT_USAGE;
	}
	if (argv[0][0] == 'a')
		return route_add(c, argv[1], argc - 2, argv + 2);
	return argc == 2 ? route_remove(c, argv[1]) : CLI_USAGE;
}

/* ---- DIDs. ---- */

/* Checks the options of 'did add' and builds its body. Returns 0 or an
 * exit code. */
static int
did_body(const char *number, const char *to, const char *alt,
    const char *timeout, json_t **out)
{
	uint32_t secs = DIDS_RING_TIMEOUT_DEFAULT;
	const char *a = alt;

	*out = NULL;
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
	if (a != NULL && strcmp(a, "none") == 0)
		a = "";
	if (a != NULL &&
	    (!users_alternate_valid(sv_cstr(a)) || strcmp(a, to) == 0)) {
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
	*out = json_pack("{s:s,s:s,s:s,s:I}", "number", number, "ext", to,
	    "alternate", a != NULL ? a : "", "ring_timeout", (json_int_t)secs);
	return *out != NULL ? 0 : fail("cannot build the request", -ENOMEM);
}

static int
did_add(struct cli *c, const char *number, int argc, char **argv)
{
	const char *to = NULL, *alt = NULL, *timeout = NULL;
	char field[32];
	long status = 0;
	json_t *body, *o = NULL;
	int rc;

	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--to") == 0)
			slot = &to;
		else if (strcmp(argv[i], "--alternate") == 0)
			slot = &alt;
		else if (strcmp(argv[i], "--ring-timeout") == 0)
			slot = &timeout;
		if (slot == NULL || *slot != NULL || i + 1 >= argc)
			return CLI_USAGE;
		*slot = argv[++i];
	}
	rc = did_body(number, to, alt, timeout, &body);
	if (rc != 0)
		return rc;
	rc = tk_request(c, "POST", "dids", body, &status, &o);
	json_decref(body);
	if (rc != 0)
		return rc;
	if (status >= 200 && status < 300) {
		json_decref(o);
		printf("DID %s added\n", number);
		return 0;
	}
	/* The options were checked: a 400 on them is a missing
	 * extension. */
	if (status == 400 && tk_bad_field(o, field, sizeof(field)) != NULL &&
	    (strcmp(field, "ext") == 0 || strcmp(field, "alternate") == 0)) {
		fprintf(stderr, "rempart: no extension %s (--%s)\n",
		    field[0] == 'e' ? to : alt, field[0] == 'e' ? "to" : field);
		json_decref(o);
		return EXIT_FAIL;
	}
	if (status == 409) {
		fprintf(stderr, "rempart: DID %s already exists\n", number);
		json_decref(o);
		return EXIT_FAIL;
	}
	return tk_fail(status, o);
}

static int
did_remove(struct cli *c, const char *number)
{
	char path[64];
	json_t *o;
	int rc;

	memcpy(path, "dids/", 5);
	if (apiclient_escape(number, path + 5, sizeof(path) - 5) != 0)
		return CLI_USAGE;
	rc = cli_call(c, "DELETE", path, NULL, 404, &o);
	if (rc == 404) {
		fprintf(stderr, "rempart: no DID %s\n", number);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("DID %s removed\n", number);
	return 0;
}

static void
did_row(json_t *d)
{
	printf("%-16s %-12s %-16s %7u %s\n", cli_str(d, "number"),
	    cli_str(d, "ext"), cli_or(cli_str(d, "alternate"), "-"),
	    (unsigned)cli_int(d, "ring_timeout"),
	    json_is_true(json_object_get(d, "enabled")) ? "enabled"
	                                                : "disabled");
}

int
cli_did(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-16s %-12s %-16s %7s %s\n", "NUMBER", "EXTENSION",
		    "ALTERNATE", "TIMEOUT", "STATE");
		return cli_walk(c, "dids?", 0, 0, did_row, NULL);
	}
	if (argc < 2 ||
	    (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0))
		return CLI_USAGE;
	if (!users_e164_valid(sv_cstr(argv[1]))) {
		fprintf(stderr,
		    "rempart: invalid number '%s' (E.164: '+' then 2-15 "
		    "digits, the first not 0)\n",
		    argv[1]);
		return EXIT_USAGE;
	}
	if (argv[0][0] == 'a')
		return did_add(c, argv[1], argc - 2, argv + 2);
	return argc == 2 ? did_remove(c, argv[1]) : CLI_USAGE;
}
