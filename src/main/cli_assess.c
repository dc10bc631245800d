/* rempart assess: the security self-assessment (R-AUDIT-1) and its
 * attestations, through the administration API (GET /assessment,
 * /assessment/attestations). The arguments are checked here so that a
 * mistyped item or date is a usage error, as for any command; the API
 * checks them again and decides. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/checklist.h"
#include "apiclient.h"
#include "audit/assess.h"
#include "cli.h"
#include "cli_api.h"
#include "core/sv.h"

static void
assess_usage(void)
{
	fprintf(stderr,
	    "usage: rempart assess [--json | --html FILE] [--min-score N]\n"
	    "       rempart assess attest ITEM --note TEXT [--date "
	    "YYYY-MM-DD] [--partial]\n"
	    "       rempart assess attestations\n"
	    "       rempart assess revoke ITEM\n");
}

/* "14.5" from 29 points. */
static void
score_text(int64_t points, char *out, size_t size)
{
	snprintf(out, size, "%lld%s", (long long)(points / 2),
	    points % 2 != 0 ? ".5" : "");
}

static int
assess_report_cmd(struct cli *c, int argc, char **argv)
{
	const char *html = NULL, *min = NULL, *page;
	bool json = false;
	uint32_t min_score = 0;
	char score[32], *text = NULL;
	int64_t points;
	json_t *o;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && !json && html == NULL) {
			json = true;
		} else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc &&
		           !json && html == NULL) {
			html = argv[++i];
		} else if (strcmp(argv[i], "--min-score") == 0 &&
		           i + 1 < argc && min == NULL) {
			min = argv[++i];
		} else {
			assess_usage();
			return EXIT_USAGE;
		}
	}
	if (min != NULL &&
	    sv_to_u32(sv_cstr(min), ASSESS_SCORE_MAX, &min_score) != 0) {
		fprintf(stderr, "rempart: invalid --min-score '%s' (0-%u)\n",
		    min, ASSESS_SCORE_MAX);
		return EXIT_USAGE;
	}
	rc = cli_call(c, "GET",
	    json ? "assessment"
	         : (html != NULL ? "assessment?format=html"
	                         : "assessment?format=text"),
	    NULL, 0, &o);
	if (rc != 0)
		return rc;
	points = cli_int(o, "points");
	score_text(points, score, sizeof(score));
	if (json) {
		text = json_dumps(o, JSON_INDENT(2));
		page = text;
	} else {
		page = cli_str(o, "report");
	}
	if (page == NULL) {
		rc = fail("cannot write the report", -ENOMEM);
	} else if (html != NULL) {
		rc = cli_write_file(html, sv_cstr(page));
		if (rc == 0)
			printf("report written to %s: score %s/%u (%s)\n", html,
			    score, ASSESS_SCORE_MAX, cli_str(o, "band"));
		else
			rc = fail(html, rc);
	} else {
		fputs(page, stdout);
		if (json)
			putchar('\n');
	}
	free(text);
	json_decref(o);
	if (rc == 0 && fflush(stdout) != 0)
		rc = fail("cannot write the report", -EIO);
	if (rc == 0 && min != NULL && points < 2 * (int64_t)min_score) {
		fprintf(stderr, "rempart: score %s is below the minimum %u\n",
		    score, min_score);
		rc = EXIT_FAIL;
	}
	return rc;
}

/* The item named on the command line, which must be attestable. */
static const struct checklist_item *
attestable_item(const char *id)
{
	const struct checklist_item *item = checklist_find(sv_cstr(id));

	if (item == NULL) {
		fprintf(stderr,
		    "rempart: no assessment item '%s' (G1-G30, L1-L6, O1)\n",
		    id);
		return NULL;
	}
	if (!checklist_attestable(item)) {
		fprintf(stderr,
		    "rempart: %s is measured from the system; only "
		    "attested items take an attestation\n",
		    item->id);
		return NULL;
	}
	return item;
}

/* The path of an item's attestation. */
static void
attestation_path(const struct checklist_item *item, char *out, size_t size)
{
	snprintf(out, size, "assessment/attestations/%s", item->id);
}

static int
assess_attest_cmd(struct cli *c, int argc, char **argv)
{
	const char *note = NULL, *date = NULL;
	const struct checklist_item *item;
	char path[64];
	int64_t day;
	long status = 0;
	int points = 2, rc;
	json_t *body, *o;

	if (argc < 1) {
		assess_usage();
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--note") == 0 && i + 1 < argc &&
		    note == NULL)
			note = argv[++i];
		else if (strcmp(argv[i], "--date") == 0 && i + 1 < argc &&
		         date == NULL)
			date = argv[++i];
		else if (strcmp(argv[i], "--partial") == 0)
			points = 1;
		else {
			assess_usage();
			return EXIT_USAGE;
		}
	}
	item = attestable_item(argv[0]);
	if (item == NULL)
		return EXIT_USAGE;
	if (note == NULL || note[0] == '\0') {
		fprintf(stderr, "rempart: --note TEXT is required: say what "
		                "was checked and where it is recorded\n");
		return EXIT_USAGE;
	}
	if (date != NULL && checklist_parse_date(date, &day) != 0) {
		fprintf(stderr, "rempart: invalid --date '%s' (YYYY-MM-DD)\n",
		    date);
		return EXIT_USAGE;
	}
	body = json_pack("{s:s,s:i}", "note", note, "points", points);
	if (body == NULL || (date != NULL && json_object_set_new(body, "date",
	                                         json_string(date)) != 0)) {
		json_decref(body);
		return fail("cannot attest", -ENOMEM);
	}
	attestation_path(item, path, sizeof(path));
	rc = cli_api_open(c);
	if (rc == 0 &&
	    apiclient_call(c->api, "PUT", path, body, &status, &o, NULL) != 0)
		rc = EXIT_FAIL;
	json_decref(body);
	if (rc != 0)
		return rc;
	if (status != 200) {
		/* A value the API refused is a usage error. */
		rc = apiclient_fail(status, o);
		json_decref(o);
		return status == 400 ? EXIT_USAGE : rc;
	}
	printf("%s attested (%lld points) until %d days after its date\n",
	    item->id, (long long)cli_int(o, "points"),
	    CHECKLIST_ATTEST_VALID_DAYS);
	json_decref(o);
	return 0;
}

static int
assess_revoke_cmd(struct cli *c, const char *id)
{
	const struct checklist_item *item = attestable_item(id);
	char path[64];
	json_t *o;
	int rc;

	if (item == NULL)
		return EXIT_USAGE;
	attestation_path(item, path, sizeof(path));
	rc = cli_call(c, "DELETE", path, NULL, 0, &o);
	if (rc != 0)
		return rc;
	json_decref(o);
	printf("attestation of %s revoked\n", item->id);
	return 0;
}

static void
attestation_row(json_t *x)
{
	const char *status = cli_str(x, "status");

	if (strcmp(status, "none") == 0)
		printf("%-4s %-8s %-11s %-11s %-6s %-12s %s\n",
		    cli_str(x, "id"), "none", "-", "-", "-", "-",
		    cli_str(x, "title"));
	else if (strcmp(status, "invalid") == 0)
		printf("%-4s %-8s (unreadable: rempart assess revoke %s)\n",
		    cli_str(x, "id"), "invalid", cli_str(x, "id"));
	else
		printf("%-4s %-8s %-11s %-11s %-6lld %-12s %s\n",
		    cli_str(x, "id"), status, cli_str(x, "date"),
		    cli_str(x, "expires"), (long long)cli_int(x, "points"),
		    cli_str(x, "by"), cli_str(x, "note"));
}

static int
assess_list_cmd(struct cli *c)
{
	json_t *o, *items;
	int rc = cli_call(c, "GET", "assessment/attestations", NULL, 0, &o);

	if (rc != 0)
		return rc;
	printf("%-4s %-8s %-11s %-11s %-6s %-12s %s\n", "ITEM", "STATUS",
	    "DATE", "EXPIRES", "POINTS", "BY", "NOTE");
	items = json_object_get(o, "items");
	for (size_t i = 0; i < json_array_size(items); i++)
		attestation_row(json_array_get(items, i));
	json_decref(o);
	return fflush(stdout) == 0 ? 0 : fail("stdout", -EIO);
}

int
cmd_assess(struct cli *c, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "attest") == 0)
		return assess_attest_cmd(c, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "attestations") == 0)
		return assess_list_cmd(c);
	if (argc == 2 && strcmp(argv[0], "revoke") == 0)
		return assess_revoke_cmd(c, argv[1]);
	if (argc >= 1 && argv[0][0] != '-') {
		assess_usage();
		return EXIT_USAGE;
	}
	return assess_report_cmd(c, argc, argv);
}
