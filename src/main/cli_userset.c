/* 'rempart user set EXT': an extension's settings, through the
 * administration API (PATCH /api/v1/users/EXT, admin/api_userset.c,
 * which checks them again, audits and applies them). The options are
 * checked here first so that a bad one is a usage error (exit 2) named
 * by its option, as before. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_api.h"
#include "store/users.h"

/* What 'user set' changes; NULL or -1 leaves a setting alone. */
struct cli_userset {
	int srtp_required;
	const char *name;
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
cli_list_arg(const char *text)
{
	return strcmp(text, "any") == 0 ? SV("") : sv_cstr(text);
}

/* "none" (or "default" for a profile) clears a text. */
static const char *
cli_clear_arg(const char *text, const char *word)
{
	return strcmp(text, word) == 0 ? "" : text;
}

/* Takes the value of option argv[*i] into *out, once. */
static bool
cli_userset_opt(
    int argc, char **argv, int *i, const char *opt, const char **out)
{
	if (strcmp(argv[*i], opt) != 0 || *i + 1 >= argc || *out != NULL)
		return false;
	*out = argv[++*i];
	return true;
}

/* Parses the options. Returns 0, CLI_USAGE or an exit code. */
static int
cli_userset_parse(struct cli_userset *set, int argc, char **argv)
{
	const char *srtp = NULL;

	*set = (struct cli_userset){.srtp_required = -1};
	for (int i = 0; i < argc; i++) {
		if (!cli_userset_opt(argc, argv, &i, "--srtp", &srtp) &&
		    !cli_userset_opt(argc, argv, &i, "--name", &set->name) &&
		    !cli_userset_opt(
		        argc, argv, &i, "--codecs", &set->codecs) &&
		    !cli_userset_opt(argc, argv, &i, "--acl", &set->acl) &&
		    !cli_userset_opt(
		        argc, argv, &i, "--alternate", &set->alternate) &&
		    !cli_userset_opt(
		        argc, argv, &i, "--outbound-number", &set->outbound) &&
		    !cli_userset_opt(
		        argc, argv, &i, "--profile", &set->profile))
			return CLI_USAGE;
	}
	if (srtp == NULL && set->name == NULL && set->codecs == NULL &&
	    set->acl == NULL && set->alternate == NULL &&
	    set->outbound == NULL && set->profile == NULL) {
		fprintf(stderr, "rempart: user set needs --srtp, --codecs or "
		                "--acl (media and access), --alternate or "
		                "--outbound-number (calls), --profile (dialing "
		                "rights) or --name\n");
		return EXIT_USAGE;
	}
	if (srtp != NULL) {
		if (strcmp(srtp, "required") != 0 &&
		    strcmp(srtp, "optional") != 0) {
			fprintf(stderr,
			    "rempart: invalid --srtp '%s' (required or "
			    "optional)\n",
			    srtp);
			return EXIT_USAGE;
		}
		set->srtp_required = srtp[0] == 'r';
	}
	if (set->alternate != NULL)
		set->alternate = cli_clear_arg(set->alternate, "none");
	if (set->outbound != NULL)
		set->outbound = cli_clear_arg(set->outbound, "none");
	if (set->profile != NULL)
		set->profile = cli_clear_arg(set->profile, "default");
	return 0;
}

/* Checks the values as the API will. Returns 0 or EXIT_USAGE. */
static int
cli_userset_check(struct cli_userset *set, struct sv ext)
{
	if (set->name != NULL && !users_name_valid(sv_cstr(set->name))) {
		fprintf(stderr,
		    "rempart: invalid --name '%s' (up to 64 printable "
		    "characters)\n",
		    set->name);
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
	if (set->alternate != NULL && sv_eq(sv_cstr(set->alternate), ext)) {
		fprintf(stderr,
		    "rempart: invalid --alternate '%s' (an "
		    "extension cannot be its own alternate)\n",
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
	if (set->codecs != NULL &&
	    users_codecs_normalise(
	        cli_list_arg(set->codecs), set->codecs_norm) != 0) {
		fprintf(stderr,
		    "rempart: invalid --codecs '%s' (up to %d "
		    "distinct names of 1-%d letters, digits, '.', '_' "
		    "or '-', comma-separated, or 'any')\n",
		    set->codecs, USERS_CODECS_MAX, USERS_CODEC_NAME_MAX);
		return EXIT_USAGE;
	}
	if (set->acl != NULL &&
	    users_acl_normalise(cli_list_arg(set->acl), set->acl_norm) != 0) {
		fprintf(stderr,
		    "rempart: invalid --acl '%s' (up to %d IPv4 or "
		    "IPv6 addresses or networks such as 192.0.2.0/24, "
		    "no bits set past the prefix, comma-separated, or "
		    "'any')\n",
		    set->acl, USERS_ACL_MAX);
		return EXIT_USAGE;
	}
	return 0;
}

/* Adds "name": text to 'o' when 'text' is set. Returns false after a
 * failure. */
static bool
cli_userset_put(json_t *o, const char *name, const char *text)
{
	return text == NULL ||
	       json_object_set_new(o, name, json_string(text)) == 0;
}

/* The request's body: the normalised values, "" clearing a setting. */
static json_t *
cli_userset_body(const struct cli_userset *set)
{
	json_t *o = json_object();

	if (o == NULL || !cli_userset_put(o, "name", set->name) ||
	    !cli_userset_put(o, "srtp",
	        set->srtp_required < 0 ? NULL
	        : set->srtp_required   ? "required"
	                               : "optional") ||
	    !cli_userset_put(
	        o, "codecs", set->codecs != NULL ? set->codecs_norm : NULL) ||
	    !cli_userset_put(
	        o, "acl", set->acl != NULL ? set->acl_norm : NULL) ||
	    !cli_userset_put(o, "alternate", set->alternate) ||
	    !cli_userset_put(o, "outbound_number", set->outbound) ||
	    !cli_userset_put(o, "profile", set->profile)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int
cli_user_set(struct cli *c, const char *ext, int argc, char **argv)
{
	struct cli_userset set;
	char path[128];
	json_t *body, *o;
	int rc;

	rc = cli_userset_parse(&set, argc, argv);
	if (rc == 0)
		rc = cli_userset_check(&set, sv_cstr(ext));
	if (rc != 0)
		return rc;
	body = cli_userset_body(&set);
	if (body == NULL)
		return fail("cannot build the request", -ENOMEM);
	snprintf(path, sizeof(path), "users/%s", ext);
	/* The API's 404s name what is missing: the extension, the
	 * alternate or the profile. */
	rc = cli_call(c, "PATCH", path, body, 0, &o);
	json_decref(body);
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("extension %s updated\n", ext);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}
