/* IP networks and sets of networks. */
#include "policy/cidr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"

/* Ranges as host-order integers, inclusive at both ends. An IPv6 address
 * is two 64-bit halves, compared high half first. */
struct range4 {
	uint32_t lo, hi;
};

struct u128 {
	uint64_t h, l;
};

struct range6 {
	struct u128 lo, hi;
};

struct cidr_set {
	struct range4 *r4;
	size_t n4, cap4;
	struct range6 *r6;
	size_t n6, cap6;
};

static const uint8_t mapped_prefix[12] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int
cidr_addr_from_bytes(int family, const void *bytes, struct cidr_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes, bytes, 4);
		return 0;
	}
	if (family != AF_INET6)
		return -EAFNOSUPPORT;
	if (memcmp(bytes, mapped_prefix, sizeof(mapped_prefix)) == 0) {
		out->family = AF_INET;
		memcpy(out->bytes, (const uint8_t *)bytes + 12, 4);
		return 0;
	}
	out->family = AF_INET6;
	memcpy(out->bytes, bytes, 16);
	return 0;
}

int
cidr_addr_from_sockaddr(
    const struct sockaddr_storage *ss, struct cidr_addr *out)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		return cidr_addr_from_bytes(AF_INET, &in->sin_addr, out);
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
		    (const struct sockaddr_in6 *)ss;

		return cidr_addr_from_bytes(AF_INET6, &in6->sin6_addr, out);
	}
	memset(out, 0, sizeof(*out));
	return -EAFNOSUPPORT;
}

void
cidr_addr_to_sockaddr(const struct cidr_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, a->bytes, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, a->bytes, 16);
	}
}

bool
cidr_addr_eq(const struct cidr_addr *a, const struct cidr_addr *b)
{
	return a->family == b->family &&
	       memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

/* Reads an address into its family and raw bytes (mapped IPv4 left as
 * IPv6). Returns 0 or -EINVAL. */
static int
parse_raw(struct sv text, int *family, uint8_t bytes[16])
{
	char buf[CIDR_ADDR_STRLEN];

	if (text.len == 0 || text.len >= sizeof(buf))
		return -EINVAL;
	/* inet_pton() wants a C string; the view is copied first. */
	memcpy(buf, text.p, text.len);
	buf[text.len] = '\0';
	if (memchr(buf, '\0', text.len) != NULL)
		return -EINVAL;
	*family = memchr(buf, ':', text.len) != NULL ? AF_INET6 : AF_INET;
	/* glibc's inet_pton() takes only the four-part dotted decimal form
	 * for IPv4 and refuses leading zeros, so "010.1.1.1" cannot be read
	 * as octal the way inet_aton() would. */
	if (inet_pton(*family, buf, bytes) != 1)
		return -EINVAL;
	return 0;
}

int
cidr_addr_parse(struct sv text, struct cidr_addr *out)
{
	uint8_t bytes[16];
	int family;

	memset(out, 0, sizeof(*out));
	if (parse_raw(text, &family, bytes) != 0)
		return -EINVAL;
	return cidr_addr_from_bytes(family, bytes, out);
}

int
cidr_addr_format(const struct cidr_addr *a, char *buf, size_t size)
{
	int family = a->family == AF_INET ? AF_INET : AF_INET6;

	if (size > (size_t)INT32_MAX)
		size = (size_t)INT32_MAX;
	if (inet_ntop(family, a->bytes, buf, (socklen_t)size) == NULL)
		return -ENOSPC;
	return 0;
}

static unsigned
family_bits(uint8_t family)
{
	return family == AF_INET ? 32u : 128u;
}

/* True if no bit at or after 'prefix' is set in bytes. */
static bool
host_bits_clear(const uint8_t *bytes, unsigned nbits, unsigned prefix)
{
	for (unsigned i = prefix; i < nbits; i++) {
		if ((bytes[i / 8] & (0x80u >> (i % 8))) != 0)
			return false;
	}
	return true;
}

int
cidr_parse(struct sv text, struct cidr *out)
{
	struct sv rest = text, addr = text, plen = SV_NULL;
	uint8_t bytes[16];
	uint32_t prefix;
	unsigned nbits;
	bool mapped;
	int family;

	memset(out, 0, sizeof(*out));
	if (text.len == 0 || text.len > CIDR_TEXT_MAX)
		return -EINVAL;
	if (sv_split(&rest, '/', &addr)) {
		plen = rest;
		if (plen.len == 0 || plen.len > 3)
			return -EINVAL;
	}
	if (parse_raw(addr, &family, bytes) != 0)
		return -EINVAL;
	/* A mapped network keeps the 96 bits of the mapping in its prefix:
	 * ::ffff:10.0.0.0/104 is 10.0.0.0/8. */
	mapped = family == AF_INET6 &&
	         memcmp(bytes, mapped_prefix, sizeof(mapped_prefix)) == 0;
	nbits = family == AF_INET ? 32u : 128u;
	if (plen.p == NULL)
		prefix = nbits;
	else if (sv_to_u32(plen, nbits, &prefix) != 0)
		return -EINVAL;
	if (mapped) {
		if (prefix < 96)
			return -EINVAL;
		prefix -= 96;
	}
	if (cidr_addr_from_bytes(family, bytes, &out->net) != 0)
		return -EINVAL;
	if (!host_bits_clear(
	        out->net.bytes, family_bits(out->net.family), prefix)) {
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	out->prefix_len = (uint8_t)prefix;
	return 0;
}

static uint32_t
be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | (uint32_t)b[3];
}

static uint64_t
be64(const uint8_t *b)
{
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

static struct u128
to_u128(const uint8_t *b)
{
	return (struct u128){be64(b), be64(b + 8)};
}

static int
u128_cmp(struct u128 a, struct u128 b)
{
	if (a.h != b.h)
		return a.h < b.h ? -1 : 1;
	if (a.l != b.l)
		return a.l < b.l ? -1 : 1;
	return 0;
}

/* All ones in the host part: the last address of the network. */
static uint64_t
low_ones(unsigned bits)
{
	return bits >= 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1);
}

static struct range4
range4_of(const struct cidr *n)
{
	uint32_t lo = be32(n->net.bytes);
	unsigned host = 32u - n->prefix_len;

	return (struct range4){lo, lo | (uint32_t)low_ones(host)};
}

static struct range6
range6_of(const struct cidr *n)
{
	struct u128 lo = to_u128(n->net.bytes), hi = lo;
	unsigned host = 128u - n->prefix_len;

	if (host >= 64) {
		hi.l = UINT64_MAX;
		hi.h |= low_ones(host - 64);
	} else {
		hi.l |= low_ones(host);
	}
	return (struct range6){lo, hi};
}

bool
cidr_contains(const struct cidr *net, const struct cidr_addr *a)
{
	if (net->net.family != a->family)
		return false;
	if (a->family == AF_INET) {
		struct range4 r = range4_of(net);
		uint32_t v = be32(a->bytes);

		return v >= r.lo && v <= r.hi;
	} else {
		struct range6 r = range6_of(net);
		struct u128 v = to_u128(a->bytes);

		return u128_cmp(v, r.lo) >= 0 && u128_cmp(v, r.hi) <= 0;
	}
}

int
cidr_set_new(struct cidr_set **out)
{
	struct cidr_set *s = mem_calloc(1, sizeof(*s));

	if (s == NULL)
		return -ENOMEM;
	*out = s;
	return 0;
}

void
cidr_set_free(struct cidr_set *s)
{
	if (s == NULL)
		return;
	free(s->r4);
	free(s->r6);
	free(s);
}

int
cidr_set_dup(const struct cidr_set *s, struct cidr_set **out)
{
	struct cidr_set *d;

	if (cidr_set_new(&d) != 0)
		return -ENOMEM;
	if (s != NULL && s->n4 > 0) {
		d->r4 = mem_alloc(s->n4 * sizeof(*d->r4));
		if (d->r4 == NULL)
			goto fail;
		memcpy(d->r4, s->r4, s->n4 * sizeof(*d->r4));
		d->n4 = d->cap4 = s->n4;
	}
	if (s != NULL && s->n6 > 0) {
		d->r6 = mem_alloc(s->n6 * sizeof(*d->r6));
		if (d->r6 == NULL)
			goto fail;
		memcpy(d->r6, s->r6, s->n6 * sizeof(*d->r6));
		d->n6 = d->cap6 = s->n6;
	}
	*out = d;
	return 0;
fail:
	cidr_set_free(d);
	return -ENOMEM;
}

static int
cmp4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

static int
cmp6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;

	return u128_cmp(x->lo, y->lo);
}

/* Sorts the ranges and merges overlapping and adjacent ones. */
static void
normalise(struct cidr_set *s)
{
	size_t w = 0;

	if (s->n4 > 1) {
		qsort(s->r4, s->n4, sizeof(*s->r4), cmp4);
		for (size_t i = 1; i < s->n4; i++) {
			struct range4 *cur = &s->r4[w];

			if (cur->hi == UINT32_MAX ||
			    s->r4[i].lo <= cur->hi + 1) {
				if (s->r4[i].hi > cur->hi)
					cur->hi = s->r4[i].hi;
			} else {
				s->r4[++w] = s->r4[i];
			}
		}
		s->n4 = w + 1;
	}
	w = 0;
	if (s->n6 > 1) {
		qsort(s->r6, s->n6, sizeof(*s->r6), cmp6);
		for (size_t i = 1; i < s->n6; i++) {
			struct range6 *cur = &s->r6[w];
			struct u128 next = cur->hi;

			/* next = hi + 1, saturating at the top. */
			if (next.l == UINT64_MAX) {
				if (next.h != UINT64_MAX) {
					next.h++;
					next.l = 0;
				}
			} else {
				next.l++;
			}
			if ((cur->hi.h == UINT64_MAX &&
			        cur->hi.l == UINT64_MAX) ||
			    u128_cmp(s->r6[i].lo, next) <= 0) {
				if (u128_cmp(s->r6[i].hi, cur->hi) > 0)
					cur->hi = s->r6[i].hi;
			} else {
				s->r6[++w] = s->r6[i];
			}
		}
		s->n6 = w + 1;
	}
}

static int
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap < 16 ? 16 : *cap;
	while (ncap < need)
		ncap *= 2;
	p = mem_realloc(*arr, ncap * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Appends without sorting; the caller normalises. */
static int
append(struct cidr_set *s, const struct cidr *net)
{
	if (net->net.family == AF_INET) {
		if (grow((void **)&s->r4, &s->cap4, s->n4 + 1,
		        sizeof(*s->r4)) != 0)
			return -ENOMEM;
		s->r4[s->n4++] = range4_of(net);
	} else {
		if (grow((void **)&s->r6, &s->cap6, s->n6 + 1,
		        sizeof(*s->r6)) != 0)
			return -ENOMEM;
		s->r6[s->n6++] = range6_of(net);
	}
	return 0;
}

int
cidr_set_add(struct cidr_set *s, const struct cidr *net)
{
	int rc = append(s, net);

	if (rc == 0)
		normalise(s);
	return rc;
}

/* One line of a list: the entry without comment and spaces, or empty. */
static struct sv
line_entry(struct sv line)
{
	for (size_t i = 0; i < line.len; i++) {
		if (line.p[i] == '#' || line.p[i] == ';') {
			line.len = i;
			break;
		}
	}
	line = sv_trim(line);
	return line;
}

int
cidr_set_from_list(struct sv list, struct cidr_set **out)
{
	struct cidr_set *set = NULL;
	struct sv item;
	bool last = list.len == 0;
	struct cidr net;
	int rc;

	*out = NULL;
	if (last)
		return 0;
	rc = cidr_set_new(&set);
	while (rc == 0 && !last) {
		if (!sv_split(&list, ',', &item)) {
			item = list;
			last = true;
		}
		rc = cidr_parse(item, &net) == 0 ? cidr_set_add(set, &net)
		                                 : -EBADMSG;
	}
	if (rc != 0) {
		cidr_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

int
cidr_set_add_lines(struct cidr_set *s, struct sv text, cidr_bad_line_cb bad,
    void *ctx, unsigned *good, unsigned *bad_count)
{
	size_t n4 = s->n4, n6 = s->n6;
	unsigned ngood = 0, nbad = 0, lineno = 0;

	while (text.len > 0) {
		struct sv line, entry;
		struct cidr net;

		if (!sv_split(&text, '\n', &line)) {
			line = text;
			text = sv_skip(text, text.len);
		}
		lineno++;
		if (line.len > CIDR_LINE_MAX) {
			nbad++;
			if (bad != NULL)
				bad(ctx, lineno, "line too long");
			continue;
		}
		entry = line_entry(line);
		if (entry.len == 0)
			continue;
		if (cidr_parse(entry, &net) != 0) {
			nbad++;
			if (bad != NULL)
				bad(ctx, lineno, "not an address or network");
			continue;
		}
		if (append(s, &net) != 0) {
			s->n4 = n4;
			s->n6 = n6;
			return -ENOMEM;
		}
		ngood++;
	}
	if (good != NULL)
		*good = ngood;
	if (bad_count != NULL)
		*bad_count = nbad;
	if (ngood == 0 && nbad > 0)
		return -EINVAL;
	normalise(s);
	return 0;
}

static int
read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0, cap;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > CIDR_FILE_MAX) {
		rc = -EFBIG;
		goto out;
	}
	/* The size is a hint only (the file may grow); reads stop at the
	 * cap whatever it says. */
	cap = (size_t)st.st_size + 1;
	buf = mem_alloc(cap);
	if (buf == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (have == cap) {
			char *nbuf;

			if (cap > CIDR_FILE_MAX) {
				rc = -EFBIG;
				goto out;
			}
			nbuf = mem_realloc(buf, cap * 2);
			if (nbuf == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + have, cap - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	if (have > CIDR_FILE_MAX) {
		rc = -EFBIG;
		goto out;
	}
	*out = buf;
	*len = have;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

int
cidr_set_load(
    const char *path, struct cidr_set **out, cidr_bad_line_cb bad, void *ctx)
{
	struct cidr_set *s = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(path, &text, &len);
	if (rc != 0)
		return rc;
	rc = cidr_set_new(&s);
	if (rc == 0)
		rc = cidr_set_add_lines(
		    s, sv_make(text, len), bad, ctx, NULL, NULL);
	free(text);
	if (rc != 0) {
		cidr_set_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

bool
cidr_set_contains(const struct cidr_set *s, const struct cidr_addr *a)
{
	size_t lo = 0, hi;

	if (s == NULL)
		return false;
	/* Finds the last range starting at or before the address. */
	if (a->family == AF_INET) {
		uint32_t v = be32(a->bytes);

		hi = s->n4;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (s->r4[mid].lo <= v)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && v <= s->r4[lo - 1].hi;
	} else {
		struct u128 v = to_u128(a->bytes);

		hi = s->n6;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (u128_cmp(s->r6[mid].lo, v) <= 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo > 0 && u128_cmp(v, s->r6[lo - 1].hi) <= 0;
	}
}

size_t
cidr_set_count(const struct cidr_set *s)
{
	return s == NULL ? 0 : s->n4 + s->n6;
}
