/* Call detail records: one row per call attempt, written when the call
 * ends (R-OPS-3).
 *
 * A record is plain data with fixed-size NUL-terminated text fields, so
 * the signalling thread can copy one into a store writer job
 * (store/writer.h) without allocating, and the job calls cdr_insert()
 * on the writer thread. Times are milliseconds since the epoch.
 *
 * Every write runs in a transaction (store/db.h). Thread rules: those of
 * the db handle (store/db.h). */
#ifndef RP_STORE_CDR_H
#define RP_STORE_CDR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"
#include "store/users.h"

/* Text bounds, in bytes without the NUL. Text is valid UTF-8 with no
 * control character, no line separator and no invisible bidirectional
 * mark, since it is shown on terminals and exported to spreadsheets. */
#define CDR_CALL_ID_MAX 128u /* rempart's call identifier, not empty */
#define CDR_EXT_MAX USERS_EXT_MAX
#define CDR_NUMBER_MAX 64u  /* caller's number as presented */
#define CDR_DIALED_MAX 128u /* what the caller dialed */
#define CDR_REASON_MAX 128u /* why the call ended, short text */
/* SIP status codes are 100 to 699; 0 means no SIP response applied. */
#define CDR_SIP_CODE_MIN 100u
#define CDR_SIP_CODE_MAX 699u

enum cdr_disposition {
	CDR_ANSWERED,
	CDR_BUSY,
	CDR_NO_ANSWER,
	CDR_FAILED,
	CDR_CANCELLED,
	CDR_DENIED,
};

enum cdr_transport {
	CDR_TRANSPORT_UDP,
	CDR_TRANSPORT_TCP,
	CDR_TRANSPORT_TLS,
};

struct cdr_record {
	int64_t id; /* set by cdr_list(); ignored by cdr_insert() */
	char call_id[CDR_CALL_ID_MAX + 1];
	char caller_ext[CDR_EXT_MAX + 1]; /* an extension, or "" */
	char caller_number[CDR_NUMBER_MAX + 1];
	char dialed[CDR_DIALED_MAX + 1];
	char callee[CDR_EXT_MAX + 1]; /* the extension reached, or "" */
	int64_t start_ms;
	bool answered; /* answer_ms is meaningful */
	int64_t answer_ms;
	int64_t end_ms;
	int64_t duration_ms; /* end_ms - answer_ms, or 0 if not answered */
	enum cdr_disposition disposition;
	uint32_t sip_code; /* final status sent to the caller, or 0 */
	char reason[CDR_REASON_MAX + 1];
	enum cdr_transport transport; /* the caller's leg */
	bool media_encrypted;         /* SRTP on every leg */
	uint64_t rtp_packets;         /* relayed, both ways */
	uint64_t rtp_lost;
};

/* Filters of cdr_list() and cdr_count(). Zero values mean no filter. */
struct cdr_query {
	int64_t since_ms; /* start_ms >= since_ms */
	int64_t until_ms; /* start_ms < until_ms, when not 0 */
	struct sv ext;    /* caller_ext or callee equals ext (SV_NULL: any) */
	uint32_t limit;   /* at most this many, the latest ones */
};

/* Called once per record; a non-zero return stops the listing and is
 * returned by cdr_list(). 'r' is valid during the call only. */
typedef int (*cdr_list_cb)(void *arg, const struct cdr_record *r);

/* The stored names: "answered", "busy", "no_answer", "failed",
 * "cancelled", "denied"; "udp", "tcp", "tls". NULL for a value out of
 * the enum. Parsing takes those exact names; it returns 0 or -EINVAL.
 * Any thread. */
const char *cdr_disposition_name(enum cdr_disposition d);
const char *cdr_transport_name(enum cdr_transport t);
int cdr_disposition_parse(
    struct sv name, enum cdr_disposition *out) RP_MUST_CHECK;
int cdr_transport_parse(struct sv name, enum cdr_transport *out) RP_MUST_CHECK;

/* Checks a record against the rules above: every text NUL-terminated
 * within its field and valid; call_id not empty; caller_ext and callee
 * empty or a valid extension; 0 <= start_ms <= answer_ms <= end_ms (or
 * start_ms <= end_ms when not answered); answered exactly when the
 * disposition is CDR_ANSWERED; duration_ms consistent; sip_code 0 or
 * 100-699; enums in range; counters at most INT64_MAX. Returns 0 or
 * -EINVAL. Any thread. */
int cdr_check(const struct cdr_record *r) RP_MUST_CHECK;

/* Validates (cdr_check()) and inserts a record. Returns 0, -EINVAL or a
 * store error. */
int cdr_insert(struct db *db, const struct cdr_record *r) RP_MUST_CHECK;

/* Calls cb for each record matching q (NULL: all), ordered by start_ms
 * then id. With a limit, the latest 'limit' records are the ones
 * listed, still oldest first. Returns 0, the callback's non-zero value,
 * -EINVAL (a bad filter: an ext that is not valid, until_ms at or
 * before since_ms), -EBADMSG (a row that breaks the rules) or a store
 * error. The callback may read the same db handle. */
int cdr_list(struct db *db, const struct cdr_query *q, cdr_list_cb cb,
    void *arg) RP_MUST_CHECK;

/* The number of records matching q (NULL: all), the limit ignored.
 * Returns 0, -EINVAL or a store error. */
int cdr_count(
    struct db *db, const struct cdr_query *q, uint64_t *out) RP_MUST_CHECK;

#endif
