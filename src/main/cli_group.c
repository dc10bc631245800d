/* The group commands of the rempart command line: groups of users with
 * the rights profile and tenant they give their members (R-FRAUD-1,
 * R-FRAUD-2, R-FRAUD-3), and a user's group. Every change is written
 * with its audit entry in one transaction and the daemon is told to
 * reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
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

static void
group_json(struct buf *b, const struct group_info *g)
{
	json_str(b, "profile", g->profile[0] != '\0' ? g->profile : "default");
	json_str(b, "tenant", g->tenant);
	json_str(b, "description", g->description);
}

struct group_args {
	const char *profile, *tenant, *description;
};

/* Parses the options and lays them over 'g'. Returns 0 or an exit code
 * after printing why. */
static int
group_args(struct group_info *g, bool add, int argc, char **argv)
{
	struct group_args a = {0};

	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--profile") == 0)
			slot = &a.profile;
		else if (strcmp(argv[i], "--tenant") == 0)
			slot = &a.tenant;
		else if (strcmp(argv[i], "--description") == 0)
			slot = &a.description;
		if (slot == NULL || *slot != NULL || i + 1 >= argc)
			return bad_usage();
		*slot = argv[++i];
	}
	if (!add && a.profile == NULL && a.tenant == NULL &&
	    a.description == NULL) {
		fprintf(stderr, "rempart: group set needs --profile, --tenant "
		                "or --description\n");
		return EXIT_USAGE;
	}
	if (a.profile != NULL) {
		if (strcmp(a.profile, "default") == 0)
			a.profile = "";
		else if (!users_profile_valid(sv_cstr(a.profile))) {
			fprintf(stderr,
			    "rempart: invalid --profile '%s' (a profile name, "
			    "or 'default')\n",
			    a.profile);
			return EXIT_USAGE;
		}
		snprintf(g->profile, sizeof(g->profile), "%s", a.profile);
	}
	if (a.tenant != NULL) {
		if (strcmp(a.tenant, "none") == 0)
			a.tenant = "";
		else if (!groups_tenant_valid(sv_cstr(a.tenant))) {
			fprintf(stderr,
			    "rempart: invalid --tenant '%s' (1-%d lower-case "
			    "letters, digits, '_' or '-', or 'none')\n",
			    a.tenant, GROUPS_TENANT_MAX);
			return EXIT_USAGE;
		}
		snprintf(g->tenant, sizeof(g->tenant), "%s", a.tenant);
	}
	if (a.description != NULL) {
		if (!users_name_valid(sv_cstr(a.description))) {
			fprintf(stderr,
			    "rempart: invalid --description (up to %d "
			    "printable characters)\n",
			    USERS_NAME_CHARS_MAX);
			return EXIT_USAGE;
		}
		snprintf(g->description, sizeof(g->description), "%s",
		    a.description);
	}
	return 0;
}

static int
group_change(struct cli *c, const char *name, bool add, int argc, char **argv)
{
	struct group_info g = {0}, old;
	struct buf before, after;
	const char *field = NULL;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	if (!add) {
		rc = groups_get(c->db, sv_cstr(name), &g);
		if (rc == -ENOENT) {
			fprintf(stderr, "rempart: no group %s\n", name);
			return EXIT_FAIL;
		}
		if (rc != 0)
			return fail("cannot read the group", rc);
	}
	old = g;
	snprintf(g.name, sizeof(g.name), "%s", name);
	rc = group_args(&g, add, argc, argv);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc =
		    add ? groups_add(c->db, &g, (int64_t)time(NULL), &field)
		        : groups_update(c->db, &g, (int64_t)time(NULL), &field);
		if (!add)
			group_json(&before, &old);
		group_json(&after, &g);
		if (rc == 0)
			rc = audit_admin(c, add ? "group.add" : "group.set",
			    name, add ? NULL : &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -EEXIST) {
		fprintf(stderr, "rempart: group %s already exists\n", name);
		return EXIT_FAIL;
	}
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no group %s\n", name);
		return EXIT_FAIL;
	}
	if (rc == -ENXIO) {
		fprintf(
		    stderr, "rempart: no profile %s (--profile)\n", g.profile);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot store the group", rc);
	notify_daemon(c);
	printf("group %s %s\n", name, add ? "added" : "updated");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
print_group(void *arg, const struct group_info *g)
{
	(void)arg;
	printf("%-16s %-16s %-16s %7llu %s\n", g->name,
	    g->profile[0] != '\0' ? g->profile : "default",
	    g->tenant[0] != '\0' ? g->tenant : "-",
	    (unsigned long long)g->members, g->description);
	return ferror(stdout) ? -EIO : 0;
}

static int
print_member(void *arg, const struct user_info *u)
{
	(void)arg;
	printf("  %-12s %-16s %s\n", u->ext,
	    u->profile[0] != '\0' ? u->profile : "(group)", u->display_name);
	return ferror(stdout) ? -EIO : 0;
}

static int
group_show(struct cli *c, const char *name)
{
	struct group_info g;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	rc = groups_get(c->db, sv_cstr(name), &g);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no group %s\n", name);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot read the group", rc);
	printf("name:        %s\n"
	       "profile:     %s\n"
	       "tenant:      %s\n"
	       "description: %s\n"
	       "members:     %llu\n",
	    g.name, g.profile[0] != '\0' ? g.profile : "default",
	    g.tenant[0] != '\0' ? g.tenant : "none", g.description,
	    (unsigned long long)g.members);
	/* A member's own profile wins over the group's. */
	rc = groups_members(c->db, sv_cstr(name), print_member, NULL);
	if (rc != 0)
		return fail("cannot list the members", rc);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
group_remove(struct cli *c, const char *name, bool force)
{
	struct group_info g;
	struct buf before;
	uint64_t members = 0;
	int rc;

	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = groups_get(c->db, sv_cstr(name), &g);
		if (rc == 0) {
			group_json(&before, &g);
			json_int(&before, "members", (int64_t)g.members);
			rc = groups_remove(
			    c->db, sv_cstr(name), force, &members);
		}
		if (rc == 0)
			rc = audit_admin(c,
			    force && members > 0 ? "group.remove-force"
			                         : "group.remove",
			    name, &before, NULL);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no group %s\n", name);
		return EXIT_FAIL;
	}
	if (rc == -EBUSY) {
		fprintf(stderr,
		    "rempart: group %s has %llu member%s: move them first "
		    "(rempart user set EXT --group OTHER|none) or remove it "
		    "with --force, which takes them out of the group\n",
		    name, (unsigned long long)members, members == 1 ? "" : "s");
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot remove the group", rc);
	notify_daemon(c);
	printf("group %s removed", name);
	if (members > 0)
		printf(" (%llu member%s taken out)",
		    (unsigned long long)members, members == 1 ? "" : "s");
	printf("\n");
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

int
cmd_group(struct cli *c, int argc, char **argv)
{
	int rc;

	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		rc = open_store(c);
		if (rc != 0)
			return rc;
		printf("%-16s %-16s %-16s %7s %s\n", "NAME", "PROFILE",
		    "TENANT", "MEMBERS", "DESCRIPTION");
		rc = groups_list(c->db, print_group, NULL);
		return rc == 0 ? 0 : fail("cannot list groups", rc);
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
	struct buf before, after;
	struct user_info u = {0};
	struct sv g = strcmp(group, "none") == 0 ? SV("") : sv_cstr(group);
	int rc;

	if (g.len > 0 && !name_ok("--group", group))
		return EXIT_USAGE;
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	buf_init(&after, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = users_get_info(c->db, ext, &u);
		if (rc == 0)
			rc =
			    users_set_group(c->db, ext, g, (int64_t)time(NULL));
		json_str(&before, "group", u.group);
		json_sv(&after, "group", g);
		if (rc == 0)
			rc = audit_admin(c, "user.set", u.ext, &before, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	buf_release(&after);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no extension %.*s\n", SV_ARG(ext));
		return EXIT_FAIL;
	}
	if (rc == -ENXIO) {
		fprintf(stderr, "rempart: no group %s (--group)\n", group);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot update the user", rc);
	notify_daemon(c);
	printf("extension %.*s updated\n", SV_ARG(ext));
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}
