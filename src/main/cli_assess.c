/* rempart assess: the security self-assessment (R-AUDIT-1) and its
 * attestations. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/assess.h"
#include "cli.h"
#include "core/buf.h"
#include "core/sv.h"
#include "store/settings.h"

#define DAY_S 86400LL

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

/* Writes 'b' to 'path' (mode 0600), replacing it. */
static int
write_file(const char *path, const struct buf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, b->data, b->len) != (ssize_t)b->len)
		rc = -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int
assess_report_cmd(struct cli *c, int argc, char **argv)
{
	const char *html = NULL, *min = NULL;
	bool json = false;
	uint32_t min_score = 0;
	struct assess_facts facts;
	struct assess_input in;
	struct assess_report *r = NULL;
	struct buf out;
	int rc, frc;

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
	rc = open_store(c);
	if (rc != 0)
		return rc;
	frc = assess_facts_load(c->data_dir, &facts);
	if (frc == -EBADMSG)
		fprintf(stderr,
		    "rempart: warning: %s/%s is not a facts file; "
		    "scoring as if the daemon were not running\n",
		    c->data_dir, ASSESS_FACTS_FILE);
	in = (struct assess_input){
	    .db = c->db,
	    .keys = c->keys,
	    .data_dir = c->data_dir,
	    .facts = frc == 0 ? &facts : NULL,
	    .now = (int64_t)time(NULL),
	};
	rc = assess_run(&in, &r);
	if (rc != 0)
		return fail("cannot assess the system", rc);
	buf_init(&out, 0);
	if (json)
		assess_render_json(r, &out);
	else if (html != NULL)
		assess_render_html(r, &out);
	else
		assess_render_text(r, &out);
	rc = buf_error(&out);
	if (rc == 0 && html != NULL) {
		rc = write_file(html, &out);
		if (rc == 0)
			printf("report written to %s: score %u%s/%u (%s)\n",
			    html, r->points / 2, r->points % 2 ? ".5" : "",
			    ASSESS_SCORE_MAX, assess_band(r->points));
	} else if (rc == 0 && fwrite(out.data, 1, out.len, stdout) != out.len) {
		rc = -EIO;
	}
	buf_release(&out);
	if (rc == 0 && fflush(stdout) != 0)
		rc = -EIO;
	if (rc != 0) {
		assess_report_free(r);
		return fail(
		    html != NULL ? html : "cannot write the report", rc);
	}
	rc = 0;
	if (min != NULL && r->points < 2 * min_score) {
		fprintf(stderr, "rempart: score %u%s is below the minimum %u\n",
		    r->points / 2, r->points % 2 ? ".5" : "", min_score);
		rc = EXIT_FAIL;
	}
	assess_report_free(r);
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

static int
assess_attest_cmd(struct cli *c, int argc, char **argv)
{
	const char *note = NULL, *date = NULL;
	struct checklist_attestation a = {.points = 2};
	const struct checklist_item *item;
	int64_t now = (int64_t)time(NULL), today = now - now % DAY_S;
	char key[64], day[32], *value = NULL;
	struct buf after;
	int rc;

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
			a.points = 1;
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
	a.date = today;
	if (date != NULL &&
	    (strlen(date) != 10 || parse_utc(date, &a.date) != 0)) {
		fprintf(stderr, "rempart: invalid --date '%s' (YYYY-MM-DD)\n",
		    date);
		return EXIT_USAGE;
	}
	if (a.date > now) {
		fprintf(stderr, "rempart: --date %s is in the future\n", date);
		return EXIT_USAGE;
	}
	if (!checklist_attest_valid(a.date, now)) {
		fprintf(stderr,
		    "rempart: --date %s is more than %d days ago: the "
		    "attestation would already have expired\n",
		    date, CHECKLIST_ATTEST_VALID_DAYS);
		return EXIT_USAGE;
	}
	snprintf(a.by, sizeof(a.by), "%s", c->actor);
	if (strlen(note) >= sizeof(a.note)) {
		fprintf(stderr,
		    "rempart: --note is longer than %u "
		    "characters\n",
		    CHECKLIST_NOTE_MAX);
		return EXIT_USAGE;
	}
	snprintf(a.note, sizeof(a.note), "%s", note);
	rc = checklist_attest_encode(&a, &value);
	if (rc == -EINVAL) {
		fprintf(stderr,
		    "rempart: --note must be 1 to %u printable characters\n",
		    CHECKLIST_NOTE_MAX);
		return EXIT_USAGE;
	}
	if (rc != 0)
		return fail("cannot encode the attestation", rc);
	rc = checklist_attest_key(item->id, key, sizeof(key));
	if (rc == 0)
		rc = open_store(c);
	if (rc != 0) {
		free(value);
		return rc < 0 ? fail("cannot attest", rc) : rc;
	}
	buf_init(&after, 0);
	format_utc(a.date, day, sizeof(day));
	day[10] = '\0';
	json_str(&after, "date", day);
	json_str(&after, "note", a.note);
	json_int(&after, "points", a.points);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = settings_set(c->db, key, sv_cstr(value));
		if (rc == 0)
			rc = audit_admin(
			    c, "assess.attest", item->id, NULL, &after);
		rc = tx_end(c, rc);
	}
	buf_release(&after);
	free(value);
	if (rc != 0)
		return fail("cannot store the attestation", rc);
	printf("%s attested (%u points) until %d days after its date\n",
	    item->id, a.points, CHECKLIST_ATTEST_VALID_DAYS);
	return 0;
}

static int
assess_revoke_cmd(struct cli *c, const char *id)
{
	const struct checklist_item *item = attestable_item(id);
	char key[64], old[SETTINGS_VALUE_MAX + 1];
	struct buf before;
	int rc;

	if (item == NULL)
		return EXIT_USAGE;
	rc = checklist_attest_key(item->id, key, sizeof(key));
	if (rc != 0)
		return fail("cannot revoke", rc);
	rc = open_store(c);
	if (rc != 0)
		return rc;
	buf_init(&before, 0);
	rc = db_tx_begin(c->db);
	if (rc == 0) {
		rc = settings_get(c->db, key, old, sizeof(old));
		if (rc == 0) {
			struct checklist_attestation a;

			if (checklist_attest_decode(sv_cstr(old), &a) == 0) {
				json_str(&before, "by", a.by);
				json_str(&before, "note", a.note);
			}
			rc = settings_delete(c->db, key);
		}
		if (rc == 0)
			rc = audit_admin(
			    c, "assess.revoke", item->id, &before, NULL);
		rc = tx_end(c, rc);
	}
	buf_release(&before);
	if (rc == -ENOENT) {
		fprintf(stderr, "rempart: no attestation for %s\n", item->id);
		return EXIT_FAIL;
	}
	if (rc != 0)
		return fail("cannot revoke the attestation", rc);
	printf("attestation of %s revoked\n", item->id);
	return 0;
}

static int
assess_list_cmd(struct cli *c)
{
	const struct checklist_item *items;
	size_t n = checklist_items(&items);
	int64_t now = (int64_t)time(NULL);
	int rc = open_store(c);

	if (rc != 0)
		return rc;
	printf("%-4s %-8s %-11s %-11s %-6s %-12s %s\n", "ITEM", "STATUS",
	    "DATE", "EXPIRES", "POINTS", "BY", "NOTE");
	for (size_t i = 0; i < n; i++) {
		char key[64], text[SETTINGS_VALUE_MAX + 1], d[32], e[32];
		struct checklist_attestation a;
		const char *status;

		if (!checklist_attestable(&items[i]))
			continue;
		rc = checklist_attest_key(items[i].id, key, sizeof(key));
		if (rc == 0)
			rc = settings_get(c->db, key, text, sizeof(text));
		if (rc == -ENOENT) {
			printf("%-4s %-8s %-11s %-11s %-6s %-12s %s\n",
			    items[i].id, "none", "-", "-", "-", "-",
			    items[i].title);
			continue;
		}
		if (rc != 0)
			return fail("cannot read the attestations", rc);
		if (checklist_attest_decode(sv_cstr(text), &a) != 0) {
			printf("%-4s %-8s (unreadable: rempart assess revoke "
			       "%s)\n",
			    items[i].id, "invalid", items[i].id);
			continue;
		}
		status =
		    checklist_attest_valid(a.date, now) ? "valid" : "expired";
		format_utc(a.date, d, sizeof(d));
		format_utc(
		    a.date + CHECKLIST_ATTEST_VALID_DAYS * DAY_S, e, sizeof(e));
		d[10] = '\0';
		e[10] = '\0';
		printf("%-4s %-8s %-11s %-11s %-6u %-12s %s\n", items[i].id,
		    status, d, e, a.points, a.by, a.note);
	}
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
