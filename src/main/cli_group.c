/* The group commands of the rempart command line: groups of users with
 * the rights profile and tenant they give their members (R-FRAUD-1,
 * R-FRAUD-2, R-FRAUD-3), and a user's group. They go through the
 * administration API (cli_api.h, admin/api_groups.c), whose handler
 * checks the change, writes it with its audit entry and has the daemon
 * reload; the command checks its arguments and prints the answer. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"
#include "store/groups.h"
#include "store/users.h"

void
cli_group_usage(FILE *f)
{
	fprintf(f,
	    "  group add NAME [--profile P] [--tenant T] [--description D]\n"
	    "                                  members without a profile of "
	    "their own get P;\n"
	    "                                  T scopes ceilings and blocks "
	    "of all members\n"
	    "  group set NAME [--profile P|default] [--tenant T|none] "
	    "[--description D]\n"
	    "  group list | group show NAME\n"
	    "  group remove NAME [--force]     --force takes the members out "
	    "first\n"
	    "  user set EXT --group NAME|none\n");
}

static int
bad_usage(void)
{
	fprintf(stderr, "usage:\n");
	cli_group_usage(stderr);
	return EXIT_USAGE;
}

static bool
name_ok(const char *what, const char *name)
{
	if (groups_name_valid(sv_cstr(name)))
		return true;
	fprintf(stderr,
	    "rempart: invalid %s '%s' (1-%d lower-case letters, digits, '_' "
	    "or '-')\n",
	    what, name, GROUPS_NAME_MAX);
	return false;
}

/* One request whose 404 and 409 the caller words itself: returns 0
 * with *out the answer, 404 or 409 with *msg the API's message (to
 * free with *out), or an exit code after printing why. */
static int
group_call(struct cli *c, const char *method, const char *path, json_t *body,
    json_t **out, const char **msg)
{
	long status = 0;
	int rc;

	*out = NULL;
	*msg = "";
	rc = cli_api_open(c);
	if (rc != 0)
		return rc;
	rc = apiclient_call(c->api, method, path, body, &status, out, NULL);
	if (rc != 0)
		return EXIT_FAIL;
	if (status >= 200 && status < 300)
		return 0;
	if (status == 404 || status == 409) {
		*msg = cli_str(json_object_get(*out, "error"), "message");
		return (int)status;
	}
	rc = apiclient_fail(status, *out);
	json_decref(*out);
	*out = NULL;
	return rc;
}

static json_t *
null_or(const char *s, const char *none)
{
	return strcmp(s, none) == 0 ? json_null() : json_string(s);
}

/* Checks the options and puts them in 'body'. Returns 0 or an exit
 * code after printing why. */
static int
group_args(json_t *body, bool add, int argc, char **argv)
{
	const char *profile = NULL, *tenant = NULL, *description = NULL;
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--profile") == 0)
			slot = &profile;
		else if (strcmp(argv[i], "--tenant") == 0)
			slot = &tenant;
		else if (strcmp(argv[i], "--description") == 0)
			slot = &description;
		if (slot == NULL || *slot != NULL || i + 1 >= argc)
			return bad_usage();
		*slot = argv[++i];
	}
	if (!add && profile == NULL && tenant == NULL && description == NULL) {
		fprintf(stderr, "rempart: group set needs --profile, --tenant "
		                "or --description\n");
		return EXIT_USAGE;
	}
	if (profile != NULL && strcmp(profile, "default") != 0 &&
	    !users_profile_valid(sv_cstr(profile))) {
		fprintf(stderr,
		    "rempart: invalid --profile '%s' (a profile name, or "
		    "'default')\n",
		    profile);
		return EXIT_USAGE;
	}
	if (tenant != NULL && strcmp(tenant, "none") != 0 &&
	    !groups_tenant_valid(sv_cstr(tenant))) {
		fprintf(stderr,
		    "rempart: invalid --tenant '%s' (1-%d lower-case letters, "
		    "digits, '_' or '-', or 'none')\n",
		    tenant, GROUPS_TENANT_MAX);
		return EXIT_USAGE;
	}
	if (description != NULL && !users_name_valid(sv_cstr(description))) {
		fprintf(stderr,
		    "rempart: invalid --description (up to %d printable "
		    "characters)\n",
		    USERS_NAME_CHARS_MAX);
		return EXIT_USAGE;
	}
	if (profile != NULL)
		rc |= json_object_set_new(
		    body, "profile", null_or(profile, "default"));
	if (tenant != NULL)
		rc |= json_object_set_new(
		    body, "tenant", null_or(tenant, "none"));
	if (description != NULL)
		rc |= json_object_set_new(
		    body, "description", json_string(description));
	return rc == 0 ? 0 : fail("cannot build the request", -ENOMEM);
}

static int
group_change(struct cli *c, const char *name, bool add, int argc, char **argv)
{
	char path[GROUPS_NAME_MAX + 16];
	const char *msg;
	json_t *body, *o;
	int rc;

	body = add ? json_pack("{s:s}", "name", name) : json_object();
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	rc = group_args(body, add, argc, argv);
	if (rc != 0) {
		json_decref(body);
		return rc;
	}
	snprintf(path, sizeof(path), "groups/%s", name);
	rc = group_call(
	    c, add ? "POST" : "PATCH", add ? "groups" : path, body, &o, &msg);
	if (rc == 409)
		fprintf(stderr, "rempart: group %s already exists\n", name);
	else if (rc == 404 && strcmp(msg, "no such group") == 0)
		fprintf(stderr, "rempart: no group %s\n", name);
	else if (rc == 404)
		fprintf(stderr, "rempart: no profile %s (--profile)\n",
		    cli_str(body, "profile"));
	json_decref(body);
	json_decref(o);
	if (rc == 404 || rc == 409)
		return EXIT_FAIL;
	if (rc != 0)
		return rc;
	printf("group %s %s\n", name, add ? "added" : "updated");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static void
print_group(json_t *g)
{
	printf("%-16s %-16s %-16s %7" PRId64 " %s\n", cli_str(g, "name"),
	    cli_or(cli_str(g, "profile"), "default"),
	    cli_or(cli_str(g, "tenant"), "-"), cli_int(g, "members"),
	    cli_str(g, "description"));
}

static int
group_show(struct cli *c, const char *name)
{
	char path[GROUPS_NAME_MAX + 16];
	const char *msg;
	json_t *g, *users;
	int rc;

	snprintf(path, sizeof(path), "groups/%s", name);
	rc = group_call(c, "GET", path, NULL, &g, &msg);
	if (rc == 404 || rc == 409) {
		json_decref(g);
		fprintf(stderr, "rempart: no group %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	printf("name:        %s\n"
	       "profile:     %s\n"
	       "tenant:      %s\n"
	       "description: %s\n"
	       "members:     %" PRId64 "\n",
	    cli_str(g, "name"), cli_or(cli_str(g, "profile"), "default"),
	    cli_or(cli_str(g, "tenant"), "none"), cli_str(g, "description"),
	    cli_int(g, "members"));
	/* A member's own profile wins over the group's. */
	users = json_object_get(g, "users");
	for (size_t i = 0; i < json_array_size(users); i++) {
		json_t *u = json_array_get(users, i);

		printf("  %-12s %-16s %s\n", cli_str(u, "ext"),
		    cli_or(cli_str(u, "profile"), "(group)"),
		    cli_str(u, "display_name"));
	}
	json_decref(g);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
group_remove(struct cli *c, const char *name, bool force)
{
	char path[GROUPS_NAME_MAX + 32];
	const char *msg;
	int64_t members;
	json_t *o;
	int rc;

	snprintf(path, sizeof(path), "groups/%s%s", name,
	    force ? "?force=true" : "");
	rc = group_call(c, "DELETE", path, NULL, &o, &msg);
	members = rc == 0 ? cli_int(o, "members_taken_out") : 0;
	json_decref(o);
	if (rc == 404) {
		fprintf(stderr, "rempart: no group %s\n", name);
		return EXIT_FAIL;
	}
	if (rc == 409) {
		/* The count, for the command line's own wording. */
		snprintf(path, sizeof(path), "groups/%s", name);
		rc = cli_call(c, "GET", path, NULL, 0, &o);
		if (rc != 0)
			return rc;
		members = cli_int(o, "members");
		json_decref(o);
		fprintf(stderr,
		    "rempart: group %s has %" PRId64 " member%s: move them "
		    "first (rempart user set EXT --group OTHER|none) or remove "
		    "it with --force, which takes them out of the group\n",
		    name, members, members == 1 ? "" : "s");
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	printf("group %s removed", name);
	if (members > 0)
		printf(" (%" PRId64 " member%s taken out)", members,
		    members == 1 ? "" : "s");
	printf("\n");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

int
cmd_group(struct cli *c, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-16s %-16s %-16s %7s %s\n", "NAME", "PROFILE",
		    "TENANT", "MEMBERS", "DESCRIPTION");
		return cli_walk(c, "groups?", 0, 0, print_group, NULL);
	}
	if (argc < 2)
		return bad_usage();
	if (!name_ok("group name", argv[1]))
		return EXIT_USAGE;
	if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "set") == 0)
		return group_change(
		    c, argv[1], argv[0][0] == 'a', argc - 2, argv + 2);
	if (argc == 2 && strcmp(argv[0], "show") == 0)
		return group_show(c, argv[1]);
	if (strcmp(argv[0], "remove") == 0 &&
	    (argc == 2 || (argc == 3 && strcmp(argv[2], "--force") == 0)))
		return group_remove(c, argv[1], argc == 3);
	return bad_usage();
}

int
cmd_user_group(struct cli *c, struct sv ext, const char *group)
{
	char path[USERS_EXT_MAX + 16];
	const char *msg;
	json_t *body, *o;
	int rc;

	if (strcmp(group, "none") != 0 && !name_ok("--group", group))
		return EXIT_USAGE;
	body = json_pack("{s:o}", "group", null_or(group, "none"));
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	snprintf(path, sizeof(path), "users/%.*s/group", SV_ARG(ext));
	rc = group_call(c, "PUT", path, body, &o, &msg);
	json_decref(body);
	if (rc == 404 && strcmp(msg, "no such user") == 0)
		fprintf(stderr, "rempart: no extension %.*s\n", SV_ARG(ext));
	else if (rc == 404 || rc == 409)
		fprintf(stderr, "rempart: no group %s (--group)\n", group);
	json_decref(o);
	if (rc == 404 || rc == 409)
		return EXIT_FAIL;
	if (rc != 0)
		return rc;
	printf("extension %.*s updated\n", SV_ARG(ext));
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}
