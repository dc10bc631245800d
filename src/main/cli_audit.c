/* 'rempart audit list': the audit log through the administration API
 * (GET /api/v1/audit, walked page by page with 'offset'), so it reads
 * a remote daemon's log as well as the local one. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_api.h"

/* Longest 'audit list --limit'. */
#define CLI_AUDIT_LIMIT_MAX 1000000u

/* A string member as a view, embedded NULs included. */
static struct sv
cli_audit_sv(json_t *o, const char *name)
{
	json_t *v = json_object_get(o, name);

	if (!json_is_string(v))
		return SV("");
	return (struct sv){json_string_value(v), json_string_length(v)};
}

/* So that an entry edited by hand cannot drive the terminal. */
void
cli_audit_clean(struct sv v, int width)
{
	int n = 0;

	for (size_t i = 0; i < v.len; i++, n++) {
		unsigned char ch = (unsigned char)v.p[i];

		if (ch == 0xc2 && i + 1 < v.len &&
		    (unsigned char)v.p[i + 1] >= 0x80 &&
		    (unsigned char)v.p[i + 1] <= 0x9f) {
			putchar('?');
			i++;
		} else {
			putchar(ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
		}
	}
	for (; n < width; n++)
		putchar(' ');
}

static void
cli_audit_row(json_t *e)
{
	struct sv before = cli_audit_sv(e, "before"),
	          after = cli_audit_sv(e, "after");
	char at[32];

	printf("%6" PRId64 " %-19s ", cli_int(e, "seq"),
	    format_ms(cli_int(e, "at_ms"), false, at, sizeof(at)));
	cli_audit_clean(cli_audit_sv(e, "actor"), 12);
	putchar(' ');
	cli_audit_clean(cli_audit_sv(e, "role"), 6);
	putchar(' ');
	cli_audit_clean(cli_audit_sv(e, "source"), 6);
	putchar(' ');
	cli_audit_clean(cli_audit_sv(e, "action"), 15);
	putchar(' ');
	cli_audit_clean(cli_audit_sv(e, "object"), 16);
	putchar(' ');
	cli_audit_clean(sv_empty(before) ? SV("-") : before, 0);
	printf(" -> ");
	cli_audit_clean(sv_empty(after) ? SV("-") : after, 0);
	putchar('\n');
}

/* 'audit list [--since WHEN] [--limit N]': the entries since WHEN, the
 * latest N of them, oldest first. Returns 0, CLI_USAGE or an exit
 * code. */
int
cli_audit_list(struct cli *c, int argc, char **argv)
{
	const char *since = NULL, *limit = NULL;
	uint64_t total = 0, from = 0;
	int64_t since_ms = 0;
	char path[64];
	uint32_t n = 0;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc && !since)
			since = argv[++i];
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
		         !limit)
			limit = argv[++i];
		else
			return CLI_USAGE;
	}
	if (since != NULL &&
	    parse_when(since, (int64_t)time(NULL), &since_ms) != 0) {
		fprintf(stderr,
		    "rempart: invalid --since '%s' (YYYY-MM-DD, "
		    "YYYY-MM-DDTHH:MM[:SS] in UTC, or an age such as 90m, "
		    "2h, 7d)\n",
		    since);
		return EXIT_USAGE;
	}
	if (limit != NULL &&
	    (sv_to_u32(sv_cstr(limit), CLI_AUDIT_LIMIT_MAX, &n) != 0 ||
	        n == 0)) {
		fprintf(stderr, "rempart: invalid --limit '%s' (1-%u)\n", limit,
		    CLI_AUDIT_LIMIT_MAX);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "audit?since=%" PRId64 "&", since_ms);
	/* --limit: the latest N; the total says where they start. */
	if (n != 0) {
		rc = cli_walk(c, path, 0, 1, NULL, &total);
		if (rc != 0)
			return rc;
		from = total > n ? total - n : 0;
	}
	printf("%6s %-19s %-12s %-6s %-6s %-15s %-16s %s\n", "SEQ",
	    "TIME (UTC)", "ACTOR", "ROLE", "SOURCE", "ACTION", "OBJECT",
	    "BEFORE -> AFTER");
	return cli_walk(c, path, from, n, cli_audit_row, NULL);
}
