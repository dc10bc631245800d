/* The helpers of the commands that go through the administration API
 * (cli_api.c), for the files of those commands. */
#ifndef RP_MAIN_CLI_API_H
#define RP_MAIN_CLI_API_H

#include <jansson.h>
#include <stdint.h>

#include "cli.h"

/* Opens the API once per run (apiclient.h). Returns 0 or an exit
 * code. */
int cli_api_open(struct cli *c);

/* One request; *out is the answer of a 2xx status. Any other status is
 * printed ("rempart: MESSAGE") unless it is 'quiet', whose status is
 * returned as is for the caller's own message. Returns 0, 'quiet' or
 * an exit code. */
int cli_call(struct cli *c, const char *method, const char *path, json_t *body,
    long quiet, json_t **out);

/* The string member 'name' of 'o', "" when there is none. */
const char *cli_str(json_t *o, const char *name);

/* The integer member 'name' of 'o', 0 when there is none. */
int64_t cli_int(json_t *o, const char *name);

/* 's', or 'none' when it is "". */
const char *cli_or(const char *s, const char *none);

typedef void (*cli_row_fn)(json_t *item);

/* Walks a listing page by page from 'offset'; 'path' holds its query
 * ("users?" or "cdrs?ext=100&"). At most 'max' rows (0: all); 'row'
 * NULL only reads *total. Returns 0 or an exit code. */
int cli_walk(struct cli *c, const char *path, uint64_t offset, uint64_t max,
    cli_row_fn row, uint64_t *total);

/* Writes a text for a terminal, padded to 'width': control bytes, C1
 * controls (UTF-8 0xc2 0x80-0x9f) included, become '?' (cli_audit.c). */
void cli_audit_clean(struct sv v, int width);

#endif
