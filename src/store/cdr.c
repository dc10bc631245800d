/* The call detail records repository. */
#include "store/cdr.h"

#include <errno.h>
#include <string.h>

static const char *const cdr_dispositions[] = {
    [CDR_ANSWERED] = "answered",
    [CDR_BUSY] = "busy",
    [CDR_NO_ANSWER] = "no_answer",
    [CDR_FAILED] = "failed",
    [CDR_CANCELLED] = "cancelled",
    [CDR_DENIED] = "denied",
};

static const char *const cdr_transports[] = {
    [CDR_TRANSPORT_UDP] = "udp",
    [CDR_TRANSPORT_TCP] = "tcp",
    [CDR_TRANSPORT_TLS] = "tls",
};

/* The columns, in the order cdr_read_row() reads them. */
#define CDR_COLS                                                               \
	"id, call_id, caller_ext, caller_number, dialed, callee, start_ms,"    \
	" answer_ms, end_ms, duration_ms, disposition, sip_code, reason,"      \
	" transport, media_encrypted, rtp_packets, rtp_lost"

/* The filters of cdr_list() and cdr_count(): ?1 since, ?2 until, ?3 the
 * extension or NULL. Bounds are always bound, so the index on start_ms
 * serves every query. */
#define CDR_WHERE                                                              \
	" WHERE start_ms >= ?1 AND start_ms < ?2"                              \
	" AND (?3 IS NULL OR caller_ext = ?3 OR callee = ?3)"

const char *
cdr_disposition_name(enum cdr_disposition d)
{
	if ((unsigned)d >= RP_ARRAY_LEN(cdr_dispositions))
		return NULL;
	return cdr_dispositions[d];
}

const char *
cdr_transport_name(enum cdr_transport t)
{
	if ((unsigned)t >= RP_ARRAY_LEN(cdr_transports))
		return NULL;
	return cdr_transports[t];
}

int
cdr_disposition_parse(struct sv name, enum cdr_disposition *out)
{
	int i = sv_name_index(
	    name, cdr_dispositions, RP_ARRAY_LEN(cdr_dispositions));

	if (i < 0)
		return -EINVAL;
	*out = (enum cdr_disposition)i;
	return 0;
}

int
cdr_transport_parse(struct sv name, enum cdr_transport *out)
{
	int i =
	    sv_name_index(name, cdr_transports, RP_ARRAY_LEN(cdr_transports));

	if (i < 0)
		return -EINVAL;
	*out = (enum cdr_transport)i;
	return 0;
}

/* Control characters (C0, DEL, C1), line and paragraph separators, and
 * the invisible bidirectional and format marks that would let a number
 * display as another on a terminal or in a spreadsheet. */
static bool
cdr_char_allowed(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return false;
	if (cp == 0x061c || (cp >= 0x200b && cp <= 0x200f))
		return false;
	if (cp >= 0x2028 && cp <= 0x202e)
		return false;
	if (cp >= 0x2060 && cp <= 0x2069)
		return false;
	if (cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xfffe ||
	    cp == 0xffff)
		return false;
	return true;
}

static bool
cdr_text_valid(struct sv s)
{
	uint32_t cp;
	size_t n;

	for (size_t i = 0; i < s.len; i += n) {
		n = sv_utf8_seq(s, i, &cp);
		if (n == 0 || !cdr_char_allowed(cp))
			return false;
	}
	return true;
}

/* The text of a field of 'size' bytes, or SV_NULL when it has no NUL:
 * the record may come from a caller that filled it carelessly. */
static struct sv
cdr_field(const char *field, size_t size)
{
	const char *nul = memchr(field, '\0', size);

	if (nul == NULL)
		return SV_NULL;
	return sv_make(field, (size_t)(nul - field));
}

#define CDR_FIELD(r, f) cdr_field((r)->f, sizeof((r)->f))

static bool
cdr_ext_ok(struct sv ext)
{
	return ext.p != NULL && (ext.len == 0 || users_ext_valid(ext));
}

static bool
cdr_text_ok(struct sv s, bool nonempty)
{
	return s.p != NULL && (!nonempty || s.len > 0) && cdr_text_valid(s);
}

static bool
cdr_times_ok(const struct cdr_record *r)
{
	if (r->start_ms < 0 || r->end_ms < r->start_ms)
		return false;
	if (!r->answered)
		return r->duration_ms == 0;
	return r->answer_ms >= r->start_ms && r->answer_ms <= r->end_ms &&
	       r->duration_ms == r->end_ms - r->answer_ms;
}

int
cdr_check(const struct cdr_record *r)
{
	if (!cdr_text_ok(CDR_FIELD(r, call_id), true) ||
	    !cdr_ext_ok(CDR_FIELD(r, caller_ext)) ||
	    !cdr_text_ok(CDR_FIELD(r, caller_number), false) ||
	    !cdr_text_ok(CDR_FIELD(r, dialed), false) ||
	    !cdr_ext_ok(CDR_FIELD(r, callee)) ||
	    !cdr_text_ok(CDR_FIELD(r, reason), false))
		return -EINVAL;
	if (cdr_disposition_name(r->disposition) == NULL ||
	    cdr_transport_name(r->transport) == NULL)
		return -EINVAL;
	if (r->answered != (r->disposition == CDR_ANSWERED))
		return -EINVAL;
	if (!cdr_times_ok(r))
		return -EINVAL;
	if (r->sip_code != 0 &&
	    (r->sip_code < CDR_SIP_CODE_MIN || r->sip_code > CDR_SIP_CODE_MAX))
		return -EINVAL;
	if (r->rtp_packets > INT64_MAX || r->rtp_lost > INT64_MAX)
		return -EINVAL;
	return 0;
}

int
cdr_insert(struct db *db, const struct cdr_record *r)
{
	struct db_stmt *st;
	int err;

	err = cdr_check(r);
	if (err != 0)
		return err;
	err = db_write_begin(db,
	    "INSERT INTO cdrs (call_id, caller_ext, caller_number, dialed,"
	    " callee, start_ms, answer_ms, end_ms, duration_ms, disposition,"
	    " sip_code, reason, transport, media_encrypted, rtp_packets,"
	    " rtp_lost) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	    " ?11, ?12, ?13, ?14, ?15, ?16)",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(r->call_id));
	db_bind_text(st, 2, sv_cstr(r->caller_ext));
	db_bind_text(st, 3, sv_cstr(r->caller_number));
	db_bind_text(st, 4, sv_cstr(r->dialed));
	db_bind_text(st, 5, sv_cstr(r->callee));
	db_bind_int64(st, 6, r->start_ms);
	if (r->answered)
		db_bind_int64(st, 7, r->answer_ms);
	else
		db_bind_text(st, 7, SV_NULL);
	db_bind_int64(st, 8, r->end_ms);
	db_bind_int64(st, 9, r->duration_ms);
	db_bind_text(st, 10, sv_cstr(cdr_disposition_name(r->disposition)));
	db_bind_int64(st, 11, r->sip_code);
	db_bind_text(st, 12, sv_cstr(r->reason));
	db_bind_text(st, 13, sv_cstr(cdr_transport_name(r->transport)));
	db_bind_int64(st, 14, r->media_encrypted ? 1 : 0);
	db_bind_int64(st, 15, (int64_t)r->rtp_packets);
	db_bind_int64(st, 16, (int64_t)r->rtp_lost);
	return db_write_end(db, st, NULL);
}

/* Copies a text column into a field of 'size' bytes. */
static int
cdr_copy(char *field, size_t size, struct sv v)
{
	if (v.p == NULL || v.len >= size)
		return -EBADMSG;
	if (v.len > 0)
		memcpy(field, v.p, v.len);
	field[v.len] = '\0';
	return 0;
}

#define CDR_COPY(r, f, v) cdr_copy((r)->f, sizeof((r)->f), (v))

/* Reads the current row (CDR_COLS) into *r, checking what the database
 * returned: the file is outside our control once written. */
static int
cdr_read_row(struct db_stmt *st, struct cdr_record *r)
{
	int64_t code = db_col_int64(st, 11), packets = db_col_int64(st, 15),
	        lost = db_col_int64(st, 16), enc = db_col_int64(st, 14);

	memset(r, 0, sizeof(*r));
	r->id = db_col_int64(st, 0);
	if (CDR_COPY(r, call_id, db_col_text(st, 1)) != 0 ||
	    CDR_COPY(r, caller_ext, db_col_text(st, 2)) != 0 ||
	    CDR_COPY(r, caller_number, db_col_text(st, 3)) != 0 ||
	    CDR_COPY(r, dialed, db_col_text(st, 4)) != 0 ||
	    CDR_COPY(r, callee, db_col_text(st, 5)) != 0 ||
	    CDR_COPY(r, reason, db_col_text(st, 12)) != 0)
		return -EBADMSG;
	r->start_ms = db_col_int64(st, 6);
	r->answered = !db_col_is_null(st, 7);
	r->answer_ms = r->answered ? db_col_int64(st, 7) : 0;
	r->end_ms = db_col_int64(st, 8);
	r->duration_ms = db_col_int64(st, 9);
	if (cdr_disposition_parse(db_col_text(st, 10), &r->disposition) != 0 ||
	    cdr_transport_parse(db_col_text(st, 13), &r->transport) != 0)
		return -EBADMSG;
	if (code < 0 || code > CDR_SIP_CODE_MAX || packets < 0 || lost < 0 ||
	    (enc != 0 && enc != 1))
		return -EBADMSG;
	r->sip_code = (uint32_t)code;
	r->media_encrypted = enc == 1;
	r->rtp_packets = (uint64_t)packets;
	r->rtp_lost = (uint64_t)lost;
	return cdr_check(r) == 0 ? 0 : -EBADMSG;
}

/* Checks the filters and binds them as CDR_WHERE expects. */
static int
cdr_bind_query(struct db_stmt *st, const struct cdr_query *q)
{
	int64_t since = 0, until = INT64_MAX;
	struct sv ext = SV_NULL;

	if (q != NULL) {
		if (q->since_ms < 0 || q->until_ms < 0)
			return -EINVAL;
		since = q->since_ms;
		if (q->until_ms != 0) {
			if (q->until_ms <= since)
				return -EINVAL;
			until = q->until_ms;
		}
		if (q->ext.p != NULL) {
			if (!users_ext_valid(q->ext))
				return -EINVAL;
			ext = q->ext;
		}
	}
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, until);
	db_bind_text(st, 3, ext);
	return 0;
}

int
cdr_list(struct db *db, const struct cdr_query *q, cdr_list_cb cb, void *arg)
{
	struct cdr_record r;
	struct db_stmt *st;
	int err;

	/* The latest rows are picked newest first, then put back in order;
	 * LIMIT -1 means no limit. */
	err = db_prepare(db,
	    "SELECT " CDR_COLS " FROM (SELECT * FROM cdrs" CDR_WHERE
	    " ORDER BY start_ms DESC, id DESC LIMIT ?4)"
	    " ORDER BY start_ms, id",
	    &st);
	if (err != 0)
		return err;
	err = cdr_bind_query(st, q);
	if (err != 0) {
		db_finish(st);
		return err;
	}
	db_bind_int64(
	    st, 4, q != NULL && q->limit != 0 ? (int64_t)q->limit : -1);
	while ((err = db_step(st)) == DB_ROW) {
		err = cdr_read_row(st, &r);
		if (err == 0)
			err = cb(arg, &r);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}

int
cdr_count(struct db *db, const struct cdr_query *q, uint64_t *out)
{
	struct db_stmt *st;
	int64_t n;
	int err;

	err = db_prepare(db, "SELECT count(*) FROM cdrs" CDR_WHERE, &st);
	if (err != 0)
		return err;
	err = cdr_bind_query(st, q);
	if (err == 0)
		err = db_step(st);
	if (err == DB_ROW) {
		n = db_col_int64(st, 0);
		*out = n > 0 ? (uint64_t)n : 0;
		err = 0;
	} else if (err == DB_DONE) {
		err = -EIO;
	}
	db_finish(st);
	return err;
}
