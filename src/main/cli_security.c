/* 'rempart security tail [-n N] [--follow]': the security log's lines
 * through the administration API (GET /api/v1/security/log), so it
 * reads a remote daemon's log as well as the local one.
 *
 * One request gives the last N lines and a cursor; --follow then asks
 * with the cursor every CLI_TAIL_POLL_NS, or at once when the answer
 * stopped at its bound, until interrupted. The API follows the log
 * across rotations and truncation; the in-process API (no daemon)
 * stays up while this process follows. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "apiclient.h"
#include "cli.h"
#include "cli_api.h"

#define CLI_TAIL_DEFAULT 20u
#define CLI_TAIL_MAX 1000000u
#define CLI_TAIL_POLL_NS 250000000L
/* An escaped cursor ("DEV.INO.OFFSET") and the path around it. */
#define CLI_TAIL_CURSOR_MAX 128u

/* The signal that ends --follow; 0 while it runs. */
static volatile sig_atomic_t cli_tail_signal;

static void
cli_tail_on_signal(int sig)
{
	cli_tail_signal = sig;
}

/* Interrupting --follow removes the in-process API's socket before the
 * process ends as the signal says. */
static void
cli_tail_catch(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_tail_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
}

/* Prints the lines of an answer and keeps its cursor, escaped for the
 * next request's query. Returns 0 or an exit code. */
static int
cli_tail_print(json_t *o, char *cursor, size_t size, bool *more)
{
	json_t *lines = json_object_get(o, "lines");
	const char *next = cli_str(o, "cursor");

	if (!json_is_array(lines) || next[0] == '\0' ||
	    apiclient_escape(next, cursor, size) != 0) {
		fprintf(stderr, "rempart: unexpected answer from the API\n");
		return EXIT_FAIL;
	}
	*more = json_is_true(json_object_get(o, "more"));
	for (size_t i = 0; i < json_array_size(lines); i++) {
		json_t *l = json_array_get(lines, i);

		cli_audit_clean(
		    (struct sv){json_string_value(l), json_string_length(l)},
		    0);
		putchar('\n');
	}
	return fflush(stdout) == 0 ? 0 : fail("cannot write", -EIO);
}

/* One request of the tail. A 429 (asked too often) is waited out.
 * Returns 0 or an exit code. */
static int
cli_tail_get(
    struct cli *c, const char *path, char *cursor, size_t size, bool *more)
{
	const struct timespec second = {1, 0};
	json_t *o;
	int rc;

	while ((rc = cli_call(c, "GET", path, NULL, 429, &o)) == 429 &&
	       cli_tail_signal == 0)
		(void)nanosleep(&second, NULL);
	if (rc == 429) {
		*more = false;
		return 0; /* interrupted */
	}
	if (rc != 0)
		return rc;
	rc = cli_tail_print(o, cursor, size, more);
	json_decref(o);
	return rc;
}

static int
cli_security_tail(struct cli *c, uint32_t lines, bool follow)
{
	const struct timespec pause = {0, CLI_TAIL_POLL_NS};
	char path[CLI_TAIL_CURSOR_MAX + 32], cursor[CLI_TAIL_CURSOR_MAX];
	bool more = false;
	int rc;

	if (follow)
		cli_tail_catch();
	snprintf(path, sizeof(path), "security/log?lines=%u", lines);
	rc = cli_tail_get(c, path, cursor, sizeof(cursor), &more);
	/* Without --follow, only the rest of an answer cut at its bound. */
	while (rc == 0 && (more || follow) && cli_tail_signal == 0) {
		if (!more)
			(void)nanosleep(&pause, NULL);
		if (cli_tail_signal != 0)
			break;
		snprintf(path, sizeof(path), "security/log?cursor=%s", cursor);
		rc = cli_tail_get(c, path, cursor, sizeof(cursor), &more);
	}
	if (cli_tail_signal != 0) {
		int sig = cli_tail_signal;

		close_store(c);
		(void)signal(sig, SIG_DFL);
		(void)raise(sig);
	}
	return rc;
}

int
cli_security(struct cli *c, int argc, char **argv)
{
	uint32_t lines = CLI_TAIL_DEFAULT;
	bool follow = false;

	if (argc < 1 || strcmp(argv[0], "tail") != 0)
		return CLI_USAGE;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			if (sv_to_u32(sv_cstr(argv[++i]), CLI_TAIL_MAX,
			        &lines) != 0) {
				fprintf(stderr,
				    "rempart: invalid line count '%s' "
				    "(0-%u)\n",
				    argv[i], CLI_TAIL_MAX);
				return EXIT_USAGE;
			}
		} else if (strcmp(argv[i], "--follow") == 0 ||
		           strcmp(argv[i], "-f") == 0) {
			follow = true;
		} else {
			return CLI_USAGE;
		}
	}
	return cli_security_tail(c, lines, follow);
}
