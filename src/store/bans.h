/* Bans of offending sources kept across restarts (R-NET-2, R-OPS-3).
 *
 * The perimeter guard keeps its bans in memory on the signalling thread;
 * this module persists them, and the bans an administrator sets with
 * 'rempart bans', so a restart (or kill -9) does not set attackers free:
 * each ban is saved (usually as a store writer job), and at start-up
 * bans_list() hands back the ones still running.
 *
 * A ban is keyed by its address text, always stored in one normalised
 * form (bans_addr_normalise()): "192.0.2.7", "2001:db8::1",
 * "198.51.100.0/24", "2001:db8::/32". The same address written two ways
 * is thus one ban. The form matches the text policy/cidr.h writes for an
 * address, so a ban read back parses with cidr_parse().
 *
 * Every write runs in a transaction (store/db.h). Thread rules: those of
 * the db handle (store/db.h). */
#ifndef RP_STORE_BANS_H
#define RP_STORE_BANS_H

#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"

/* Room for a normalised address or network with its NUL: the longest
 * IPv6 text (45 bytes), '/', three digits. */
#define BANS_ADDR_STRLEN 50u
/* Cap on the reason, in bytes. */
#define BANS_REASON_MAX 128u
/* The two values of 'source'. */
#define BANS_SOURCE_AUTO "auto"
#define BANS_SOURCE_ADMIN "admin"
/* A ban given by hand without a duration or a reason (CLI and API). */
#define BANS_DEFAULT_SECS (24 * 3600)
#define BANS_DEFAULT_REASON "manual"

/* Views are borrowed: bans_upsert() reads them during the call, and
 * bans_list() hands out views valid during its callback only. */
struct ban_record {
	struct sv addr;     /* address or network; normalised on write */
	int64_t until;      /* end, in seconds since the epoch; 0 = never */
	uint32_t count;     /* times banned (escalation), >= 1 */
	struct sv reason;   /* printable text, at most BANS_REASON_MAX */
	struct sv source;   /* BANS_SOURCE_AUTO or BANS_SOURCE_ADMIN */
	int64_t created_at; /* kept from the first save of this address */
	int64_t updated_at;
};

/* Called once per ban; a non-zero return stops the listing and is
 * returned by bans_list(). */
typedef int (*bans_list_cb)(void *arg, const struct ban_record *b);

/* Writes the normalised text of an IPv4 or IPv6 address, or of a network
 * "address/prefix", into out (NUL-terminated). IPv6 is written the
 * inet_ntop() way (lower case, longest zero run compressed); an
 * IPv4-mapped IPv6 address or network (::ffff:0:0/96 and longer) becomes
 * IPv4; a full-length prefix ("/32", "/128") is dropped. Refuses with
 * -EINVAL: empty or over-long text, a bad address (zones, brackets and
 * ports included), a prefix that is empty, not decimal, has a leading
 * zero or is too long for the family, and a network with host bits set
 * ("192.0.2.7/24": most likely a typing mistake, so it is not widened in
 * silence). Any thread. */
int bans_addr_normalise(
    struct sv text, char out[BANS_ADDR_STRLEN]) RP_MUST_CHECK;

/* Inserts a ban, or replaces the one with the same (normalised) address;
 * a replaced ban keeps its created_at. Returns 0, -EINVAL (bad address,
 * until < 0, count 0, reason with control bytes or invalid UTF-8, source
 * not one of the two values), -E2BIG (reason over BANS_REASON_MAX) or a
 * store error. */
int bans_upsert(struct db *db, const struct ban_record *b) RP_MUST_CHECK;

/* Removes the ban of an address or network (normalised first, so any
 * spelling finds it). Returns 0, -ENOENT (no such ban), -EINVAL (bad
 * address) or a store error. */
int bans_delete(struct db *db, struct sv addr) RP_MUST_CHECK;

/* Calls cb for each ban active at 'now' (until == 0 or until > now),
 * ordered by address. Writes nothing: expired bans are left to
 * bans_purge_expired(). A row that breaks the rules above (edited by
 * hand) is skipped with a warning. Returns 0, the callback's non-zero
 * value, or a store error. */
int bans_list(
    struct db *db, int64_t now, bans_list_cb cb, void *arg) RP_MUST_CHECK;

/* Deletes the bans over at 'now' (until != 0 and until <= now);
 * *removed (may be NULL) gets how many. Returns 0 or a store error. */
int bans_purge_expired(
    struct db *db, int64_t now, uint64_t *removed) RP_MUST_CHECK;

#endif
