/* 'rempart audit prune' and 'audit retention' through the
 * administration API (POST /api/v1/audit/prune, the audit retention of
 * /api/v1/settings), so a running daemon applies them at once. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_api.h"
#include "store/audit.h"

/* 'audit prune [--older-than DURATION]': the retention applied now,
 * or removal of what is older than DURATION; the anchor keeps the chain
 * verifiable. Returns 0, CLI_USAGE or an exit code. */
int
cli_audit_prune(struct cli *c, int argc, char **argv)
{
	const char *older = NULL;
	int64_t secs = 0;
	json_t *body, *o;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc &&
		    older == NULL)
			older = argv[++i];
		else
			return CLI_USAGE;
	}
	if (older != NULL && parse_duration(older, &secs) != 0) {
		fprintf(stderr,
		    "rempart: invalid duration '%s' (a positive number "
		    "followed by s, m, h, d or w)\n",
		    older);
		return EXIT_USAGE;
	}
	body = older != NULL
	           ? json_pack("{s:I}", "older_than_seconds", (json_int_t)secs)
	           : json_object();
	if (body == NULL)
		return fail("cannot prune the audit log", -ENOMEM);
	rc = cli_call(c, "POST", "audit/prune", body, 409, &o);
	json_decref(body);
	if (rc == 409) {
		fprintf(stderr, "rempart: the audit chain is broken; nothing "
		                "removed (run 'rempart audit verify')\n");
		return EXIT_FAIL;
	}
	if (rc != 0)
		return rc;
	printf("removed %" PRId64 " audit entries older than %s\n",
	    cli_int(o, "removed"), cli_str(o, "older_than"));
	json_decref(o);
	return 0;
}

/* 'audit retention [DAYS]': shows or sets how long entries are kept.
 * Returns 0, CLI_USAGE or an exit code. */
int
cli_audit_retention(struct cli *c, int argc, char **argv)
{
	json_t *body = NULL, *o;
	uint32_t days = 0;
	int rc;

	if (argc > 1)
		return CLI_USAGE;
	if (argc == 1 && (sv_to_u32(sv_cstr(argv[0]), AUDIT_RETENTION_MAX_DAYS,
	                      &days) != 0 ||
	                     days == 0)) {
		fprintf(stderr, "rempart: invalid retention '%s' (1-%u days)\n",
		    argv[0], AUDIT_RETENTION_MAX_DAYS);
		return EXIT_USAGE;
	}
	if (argc == 1) {
		if (days < 365)
			fprintf(stderr, "rempart: warning: under a year of "
			                "audit history will be kept\n");
		body = json_pack(
		    "{s:I}", "audit_retention_days", (json_int_t)days);
		if (body == NULL)
			return fail("cannot set the audit retention", -ENOMEM);
	}
	rc = cli_call(
	    c, body != NULL ? "PATCH" : "GET", "settings", body, 0, &o);
	json_decref(body);
	if (rc != 0)
		return rc;
	printf("audit retention: %" PRId64 " days\n",
	    cli_int(o, "audit_retention_days"));
	json_decref(o);
	return 0;
}
