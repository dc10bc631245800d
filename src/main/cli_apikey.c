/* rempart apikey ...: keys of the administration API (R-ADMIN-2),
 * through the API itself (/api/v1/apikeys). A new or rotated key is
 * printed once and never logged; the API's audit entry records the id,
 * role and expiry only. */
#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "admin/apikeys.h"
#include "admin/rbac.h"
#include "store/users.h"

#define APIKEY_DEFAULT_SECS (90LL * 86400)

/* Wipes the key an answer holds, then frees it. */
static void
apikey_json_free(json_t *o)
{
	const char *key = json_string_value(json_object_get(o, "key"));

	if (key != NULL)
		sodium_memzero((char *)(uintptr_t)key, strlen(key));
	json_decref(o);
}

static int
apikey_create(struct cli *c, int argc, char **argv)
{
	const char *role_text = NULL, *ext = NULL, *expires = NULL;
	int64_t secs = APIKEY_DEFAULT_SECS;
	enum rbac_role role;
	json_t *body, *o;
	char until[32];
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
		else
			return CLI_USAGE;
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
	body = json_pack(
	    "{s:s,s:I}", "role", role_text, "expires_in", (json_int_t)secs);
	if (body == NULL || (ext != NULL && json_object_set_new(body, "ext",
	                                        json_string(ext)) != 0)) {
		json_decref(body);
		return fail("cannot build the request", -ENOMEM);
	}
	rc = cli_call(c, "POST", "apikeys", body, 0, &o);
	json_decref(body);
	if (rc != 0)
		return rc;
	printf("id %s role %s expires %s\n", cli_str(o, "id"), role_text,
	    format_utc(cli_int(o, "expires_at"), until, sizeof(until)));
	printf("key (shown once): %s\n", cli_str(o, "key"));
	apikey_json_free(o);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static void
apikey_row(json_t *k)
{
	char created[32], expires[32], used[32];
	const char *ext = cli_str(k, "ext");

	printf("%-22s %-8s %-10s %-20s %-20s %-20s %s\n", cli_str(k, "id"),
	    cli_str(k, "role"), ext[0] != '\0' ? ext : "-",
	    format_utc(cli_int(k, "created_at"), created, sizeof(created)),
	    format_utc(cli_int(k, "expires_at"), expires, sizeof(expires)),
	    cli_int(k, "last_used_at") != 0
	        ? format_utc(cli_int(k, "last_used_at"), used, sizeof(used))
	        : "never",
	    cli_str(k, "status"));
}

/* 'revoke' and 'rotate' of key 'id'. */
static int
apikey_change(struct cli *c, bool rotate, const char *id)
{
	char path[160];
	json_t *o;
	int rc;

	char seg[96];

	if (apiclient_escape(id, seg, sizeof(seg)) != 0)
		return CLI_USAGE;
	snprintf(
	    path, sizeof(path), "apikeys/%s%s", seg, rotate ? "/rotate" : "");
	rc = cli_call(c, rotate ? "POST" : "DELETE", path, NULL, 0, &o);
	if (rc != 0)
		return rc;
	if (rotate)
		printf("key (shown once): %s\n", cli_str(o, "key"));
	else
		printf("revoked %s\n", cli_str(o, "id"));
	apikey_json_free(o);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

int
cli_apikey(struct cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "create") == 0)
		return apikey_create(c, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "list") == 0) {
		printf("%-22s %-8s %-10s %-20s %-20s %-20s %s\n", "ID", "ROLE",
		    "EXT", "CREATED", "EXPIRES", "LAST USED", "STATUS");
		return cli_walk(c, "apikeys?", 0, 0, apikey_row, NULL);
	}
	if (argc == 2 &&
	    (strcmp(argv[0], "revoke") == 0 || strcmp(argv[0], "rotate") == 0))
		return apikey_change(c, argv[0][1] == 'o', argv[1]);
	return CLI_USAGE;
}
