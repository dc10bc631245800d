/* IP addresses, networks in CIDR notation and sets of networks, for the
 * perimeter guard, access lists and blocklists (R-NET-1, R-NET-2).
 *
 * An address is a family (AF_INET or AF_INET6) and its bytes in network
 * order. An IPv4-mapped IPv6 address (::ffff:a.b.c.d), which a dual-stack
 * socket reports for an IPv4 peer, is always turned into the IPv4 address,
 * so that one peer has one identity whatever socket it came through.
 *
 * Networks are written "192.0.2.0/24", "2001:db8::/32" or as a bare
 * address (a /32 or /128). A network whose address has bits set past its
 * prefix ("192.0.2.7/24") is refused with -EINVAL rather than widened in
 * silence: in an allow list it is most likely a typing mistake, and
 * guessing could open the list wider than meant.
 *
 * A set holds any number of networks of both families as sorted, merged,
 * disjoint ranges; a lookup is one binary search (O(log n)). Sets are not
 * thread-safe for writing; a set nobody modifies may be read from any
 * number of threads. Nothing here logs. */
#ifndef RP_POLICY_CIDR_H
#define RP_POLICY_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/compiler.h"
#include "core/sv.h"

/* Longest text of an address, with its NUL (INET6_ADDRSTRLEN). */
#define CIDR_ADDR_STRLEN 46u
/* Longest text of a network: an address, '/' and three digits. */
#define CIDR_TEXT_MAX (CIDR_ADDR_STRLEN + 4u)
/* Blocklist file bounds: a line longer than this is a bad line. */
#define CIDR_LINE_MAX 256u
#define CIDR_FILE_MAX (64u * 1024u * 1024u)

/* An address. For AF_INET only bytes[0..3] are used and the other twelve
 * are zero, so two addresses compare equal with memcmp(). */
struct cidr_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

/* A network: the address has no bits set past prefix_len. */
struct cidr {
	struct cidr_addr net;
	uint8_t prefix_len; /* 0..32 (AF_INET) or 0..128 (AF_INET6) */
};

struct cidr_set;

/* Called by the list readers for each line they skip: 'line' counts
 * from 1, 'reason' is static text. */
typedef void (*cidr_bad_line_cb)(void *ctx, unsigned line, const char *reason);

/* The address of a socket peer, IPv4-mapped IPv6 turned into IPv4.
 * Returns 0 or -EAFNOSUPPORT (not AF_INET nor AF_INET6). Any thread. */
int cidr_addr_from_sockaddr(
    const struct sockaddr_storage *ss, struct cidr_addr *out) RP_MUST_CHECK;

/* The address from raw bytes: 4 for AF_INET, 16 for AF_INET6 (mapped
 * IPv4 turned into IPv4). Returns 0 or -EAFNOSUPPORT. Any thread. */
int cidr_addr_from_bytes(
    int family, const void *bytes, struct cidr_addr *out) RP_MUST_CHECK;

/* Fills *ss (port 0) from an address, for callers that need a socket
 * address back. */
void cidr_addr_to_sockaddr(
    const struct cidr_addr *a, struct sockaddr_storage *ss);

/* Parses a bare address ("192.0.2.1", "2001:db8::1"; no zone, no
 * brackets, no port). Returns 0 or -EINVAL. Any thread. */
int cidr_addr_parse(struct sv text, struct cidr_addr *out) RP_MUST_CHECK;

/* Writes the address as text (NUL-terminated) into buf, which should
 * hold CIDR_ADDR_STRLEN bytes. Returns 0 or -ENOSPC. Any thread. */
int cidr_addr_format(
    const struct cidr_addr *a, char *buf, size_t size) RP_MUST_CHECK;

/* True when both are the same address. */
bool cidr_addr_eq(const struct cidr_addr *a, const struct cidr_addr *b);

/* Parses "address/prefix" or a bare address (full-length prefix). A
 * mapped IPv4 network (::ffff:0:0/96 and longer) becomes IPv4. Refuses
 * with -EINVAL: empty or over-long text, a bad address, a prefix that is
 * empty, not decimal or too long for the family, and host bits set (see
 * above). Any thread. */
int cidr_parse(struct sv text, struct cidr *out) RP_MUST_CHECK;

/* True when 'a' is inside 'net' (same family only). */
bool cidr_contains(const struct cidr *net, const struct cidr_addr *a);

/* A new empty set; free it with cidr_set_free(). Returns 0 or -ENOMEM. */
int cidr_set_new(struct cidr_set **out) RP_MUST_CHECK;
/* A new copy of 's' (NULL gives an empty set). Returns 0 or -ENOMEM. */
int cidr_set_dup(const struct cidr_set *s, struct cidr_set **out) RP_MUST_CHECK;
/* Frees a set. Accepts NULL. */
void cidr_set_free(struct cidr_set *s);

/* Adds one network. Overlapping and adjacent networks merge. Costs
 * O(n log n): for long lists use cidr_set_add_lines(). Returns 0 or
 * -ENOMEM (the set is unchanged). */
int cidr_set_add(struct cidr_set *s, const struct cidr *net) RP_MUST_CHECK;

/* Adds the networks of a text in blocklist format: one network per line
 * (LF or CRLF), comments from '#' or ';' to the end of the line, blank
 * lines and surrounding spaces and tabs ignored. A bad line (or one over
 * CIDR_LINE_MAX bytes) is skipped and reported through 'bad' (may be
 * NULL). *good and *bad_count (may be NULL) get the counts. Returns 0,
 * -ENOMEM (the set is unchanged), or -EINVAL when there were entries and
 * every one was bad (the set is unchanged). */
int cidr_set_add_lines(struct cidr_set *s, struct sv text, cidr_bad_line_cb bad,
    void *ctx, unsigned *good, unsigned *bad_count) RP_MUST_CHECK;

/* Loads a blocklist file (format as in cidr_set_add_lines; an empty file
 * or one with comments only gives an empty set) into a new set. Returns
 * 0, -errno from open/read (-ENOENT, -EACCES, ...), -EFBIG (over
 * CIDR_FILE_MAX), -ENOMEM or -EINVAL (every entry bad). Reads a file:
 * call it from a worker or at start, not on the signalling thread. */
int cidr_set_load(const char *path, struct cidr_set **out, cidr_bad_line_cb bad,
    void *ctx) RP_MUST_CHECK;

/* A new set from a stored comma-separated list ("192.0.2.0/24,::1"),
 * or NULL in *out for an empty list (anywhere). Returns 0, -EBADMSG (an
 * item does not parse: the list was not normalised) or -ENOMEM. */
int cidr_set_from_list(struct sv list, struct cidr_set **out) RP_MUST_CHECK;

/* True when 'a' is in one of the networks of 's' (NULL: false). */
bool cidr_set_contains(const struct cidr_set *s, const struct cidr_addr *a);

/* Number of disjoint ranges left after merging (0 for NULL). */
size_t cidr_set_count(const struct cidr_set *s);

#endif
