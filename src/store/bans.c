/* The bans repository. */
#include "store/bans.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"

/* Longest prefix text: three digits. */
#define BANS_PREFIX_DIGITS 3u

/* Parses a prefix length: decimal, no sign, no leading zero, at most
 * 'max'. */
static int
bans_parse_prefix(struct sv s, uint32_t max, uint32_t *out)
{
	if (s.len == 0 || s.len > BANS_PREFIX_DIGITS ||
	    (s.len > 1 && s.p[0] == '0'))
		return -EINVAL;
	return sv_to_u32(s, max, out) == 0 ? 0 : -EINVAL;
}

/* True when no bit past the first 'prefix' bits of 'bytes' is set. */
static bool
bans_host_bits_clear(const uint8_t *bytes, size_t len, uint32_t prefix)
{
	for (size_t i = 0; i < len; i++) {
		size_t first = i * 8;
		uint8_t mask;

		if (first + 8 <= prefix)
			continue;
		mask = first >= prefix ? 0xff
		                       : (uint8_t)(0xffu >> (prefix - first));
		if ((bytes[i] & mask) != 0)
			return false;
	}
	return true;
}

/* True for ::ffff:a.b.c.d. */
static bool
bans_is_mapped(const uint8_t b[16])
{
	static const uint8_t head[12] = {
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return memcmp(b, head, sizeof(head)) == 0;
}

int
bans_addr_normalise(struct sv text, char out[BANS_ADDR_STRLEN])
{
	char buf[BANS_ADDR_STRLEN], addr_text[INET6_ADDRSTRLEN];
	struct sv rest = text, addr = text, plen = SV_NULL;
	uint8_t bytes[16];
	uint32_t prefix, full;
	bool has_prefix = false;
	int family, n;

	if (text.len == 0 || text.len >= BANS_ADDR_STRLEN)
		return -EINVAL;
	if (sv_split(&rest, '/', &addr)) {
		has_prefix = true;
		plen = rest;
	}
	if (addr.len == 0 || addr.len >= sizeof(buf) ||
	    memchr(addr.p, '\0', addr.len) != NULL)
		return -EINVAL;
	memcpy(buf, addr.p, addr.len);
	buf[addr.len] = '\0';
	if (inet_pton(AF_INET, buf, bytes) == 1) {
		family = AF_INET;
		full = 32;
	} else if (inet_pton(AF_INET6, buf, bytes) == 1) {
		family = AF_INET6;
		full = 128;
	} else {
		return -EINVAL;
	}
	prefix = full;
	if (has_prefix && bans_parse_prefix(plen, full, &prefix) != 0)
		return -EINVAL;
	/* A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d; the
	 * ban must be on the one identity the guard uses (policy/cidr.h). */
	if (family == AF_INET6 && bans_is_mapped(bytes) && prefix >= 96) {
		memmove(bytes, bytes + 12, 4);
		family = AF_INET;
		prefix -= 96;
		full = 32;
	}
	if (!bans_host_bits_clear(bytes, full / 8, prefix))
		return -EINVAL;
	if (inet_ntop(family, bytes, addr_text, sizeof(addr_text)) == NULL)
		return -EINVAL;
	if (prefix == full)
		n = snprintf(out, BANS_ADDR_STRLEN, "%s", addr_text);
	else
		n = snprintf(out, BANS_ADDR_STRLEN, "%s/%u", addr_text, prefix);
	if (n < 0 || (size_t)n >= BANS_ADDR_STRLEN)
		return -EINVAL;
	return 0;
}

/* Reasons are shown on terminals by 'rempart bans list': valid UTF-8
 * with no C0 or C1 control character and no DEL. */
static int
bans_check_reason(struct sv r)
{
	size_t n;
	uint32_t cp;

	if (r.len > BANS_REASON_MAX)
		return -E2BIG;
	for (size_t i = 0; i < r.len; i += n) {
		n = sv_utf8_seq(r, i, &cp);
		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return -EINVAL;
	}
	return 0;
}

static bool
bans_source_valid(struct sv s)
{
	return sv_eq(s, SV(BANS_SOURCE_AUTO)) ||
	       sv_eq(s, SV(BANS_SOURCE_ADMIN));
}

/* Checks everything but the address. */
static int
bans_check(const struct ban_record *b)
{
	int err = bans_check_reason(b->reason);

	if (err != 0)
		return err;
	if (b->until < 0 || b->count == 0 || !bans_source_valid(b->source))
		return -EINVAL;
	return 0;
}

/* An absent reason is stored as an empty one. */
static struct sv
bans_text(struct sv v)
{
	return v.p != NULL ? v : SV("");
}

int
bans_upsert(struct db *db, const struct ban_record *b)
{
	char addr[BANS_ADDR_STRLEN];
	struct db_stmt *st;
	int err;

	err = bans_check(b);
	if (err != 0)
		return err;
	err = bans_addr_normalise(b->addr, addr);
	if (err != 0)
		return err;
	err = db_write_begin(db,
	    "INSERT INTO bans (addr, until, count, reason, source,"
	    " created_at, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
	    " ON CONFLICT (addr) DO UPDATE SET"
	    " until = excluded.until, count = excluded.count,"
	    " reason = excluded.reason, source = excluded.source,"
	    " updated_at = excluded.updated_at",
	    &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(addr));
	db_bind_int64(st, 2, b->until);
	db_bind_int64(st, 3, b->count);
	db_bind_text(st, 4, bans_text(b->reason));
	db_bind_text(st, 5, b->source);
	db_bind_int64(st, 6, b->created_at);
	db_bind_int64(st, 7, b->updated_at);
	return db_write_end(db, st, NULL);
}

int
bans_delete(struct db *db, struct sv addr)
{
	char norm[BANS_ADDR_STRLEN];
	struct db_stmt *st;
	uint64_t n = 0;
	int err;

	err = bans_addr_normalise(addr, norm);
	if (err != 0)
		return err;
	err = db_write_begin(db, "DELETE FROM bans WHERE addr = ?1", &st);
	if (err != 0)
		return err;
	db_bind_text(st, 1, sv_cstr(norm));
	err = db_write_end(db, st, &n);
	if (err == 0 && n == 0)
		err = -ENOENT;
	return err;
}

int
bans_purge_expired(struct db *db, int64_t now, uint64_t *removed)
{
	struct db_stmt *st;
	uint64_t n = 0;
	int err;

	err = db_write_begin(
	    db, "DELETE FROM bans WHERE until != 0 AND until <= ?1", &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, now);
	err = db_write_end(db, st, &n);
	if (removed != NULL)
		*removed = err == 0 ? n : 0;
	return err;
}

/* Reads the current row into *b; false if it breaks the rules. */
static bool
bans_read_row(struct db_stmt *st, struct ban_record *b)
{
	char norm[BANS_ADDR_STRLEN];
	int64_t count = db_col_int64(st, 2);

	*b = (struct ban_record){
	    .addr = db_col_text(st, 0),
	    .until = db_col_int64(st, 1),
	    .reason = bans_text(db_col_text(st, 3)),
	    .source = bans_text(db_col_text(st, 4)),
	    .created_at = db_col_int64(st, 5),
	    .updated_at = db_col_int64(st, 6),
	};
	if (count < 1 || count > UINT32_MAX)
		return false;
	b->count = (uint32_t)count;
	/* Only the stored form is accepted: a different spelling would
	 * never be found again by bans_delete(). */
	if (bans_addr_normalise(b->addr, norm) != 0 ||
	    !sv_eq(b->addr, sv_cstr(norm)))
		return false;
	return bans_check(b) == 0;
}

int
bans_list(struct db *db, int64_t now, bans_list_cb cb, void *arg)
{
	struct ban_record b;
	struct db_stmt *st;
	char esc[LOG_SV_BUF];
	int err;

	err = db_prepare(db,
	    "SELECT addr, until, count, reason, source, created_at,"
	    " updated_at FROM bans WHERE until = 0 OR until > ?1"
	    " ORDER BY addr",
	    &st);
	if (err != 0)
		return err;
	db_bind_int64(st, 1, now);
	while ((err = db_step(st)) == DB_ROW) {
		if (!bans_read_row(st, &b)) {
			log_warn("store",
			    "msg=\"invalid ban row skipped\" addr=%s",
			    log_sv(b.addr, esc));
			continue;
		}
		err = cb(arg, &b);
		if (err != 0)
			break;
	}
	db_finish(st);
	return err;
}
