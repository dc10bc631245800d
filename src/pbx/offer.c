/* SDP offer/answer across the two legs of a call: see offer.h. */
#include "pbx/offer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Longest relay or endpoint address text handled (IPv6 with an embedded
 * IPv4 part is 45 bytes). */
#define ADDR_TEXT_MAX 46u
/* "999999999 AEAD_AES_256_GCM inline:" plus 60 bytes of base64. */
#define CRYPTO_TEXT_MAX 128u
#define U64_TEXT_MAX 21u

enum {
	DIR_SEND = 1,
	DIR_RECV = 2,
};

struct suite_info {
	const char *name;
	enum media_srtp_suite suite;
	size_t key_len; /* master key + salt (RFC 4568 §6.2, RFC 7714 §12) */
};

/* Our own table rather than media_srtp_key_len(), so that this module
 * (and its fuzz target) builds without the relay. */
static const struct suite_info suites[] = {
    {"AES_CM_128_HMAC_SHA1_80", MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80, 30},
    {"AES_CM_128_HMAC_SHA1_32", MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32, 30},
    {"AEAD_AES_256_GCM", MEDIA_SRTP_AEAD_AES_256_GCM, 44},
};

/* One m= line of the offer, kept to write it back rejected. */
struct mline {
	struct sv media;
	struct sv proto;
	struct sv formats[SDP_FORMATS_MAX];
	unsigned format_count;
};

/* Only what the builders need is kept, not whole sessions (about 110 KB
 * each), so that a call can keep its last exchange. */
struct offer_exchange {
	char *offer_body; /* copy the offer's views point into */
	size_t offer_len;
	struct mline lines[SDP_MEDIA_MAX];
	unsigned line_count;
	unsigned index;          /* the relayed m= line */
	struct sdp_media stream; /* the offer's relayed m= line */
	struct offer_endpoint ep[2];
	bool have_answer;
	/* What the last offer_build_offer() sent. */
	bool offered;
	enum offer_srtp sent_srtp;
	uint64_t sent_pts[2]; /* payload type bit set */
	struct media_srtp_key sent_keys[OFFER_SUITES_MAX];
	unsigned sent_key_count;
	char *answer_body;
	size_t answer_len;
	struct sdp_media answer; /* the answer's relayed m= line */
};

/* A session being built, with room for the text it points to. */
struct draft {
	struct sdp_session s;
	char sess_id[U64_TEXT_MAX];
	char sess_version[U64_TEXT_MAX];
	char crypto[OFFER_SUITES_MAX][CRYPTO_TEXT_MAX];
};

static const struct suite_info *
suite_by_name(struct sv name)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(suites); i++)
		if (sv_eq(name, sv_cstr(suites[i].name)))
			return &suites[i];
	return NULL;
}

static const struct suite_info *
suite_by_id(enum media_srtp_suite suite)
{
	for (size_t i = 0; i < RP_ARRAY_LEN(suites); i++)
		if (suites[i].suite == suite)
			return &suites[i];
	return NULL;
}

static bool
key_ok(const struct media_srtp_key *k)
{
	const struct suite_info *si = suite_by_id(k->suite);

	return si != NULL && k->key_len == si->key_len;
}

/* Base64 (RFC 4648 §4) as RFC 4568 §6.1 uses it: padded to a multiple
 * of four, and canonical (unused bits zero), so one key has one text. */

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes 'in' into exactly 'want' bytes of 'out'. Returns 0 or
 * -EBADMSG. On failure 'out' may hold part of a key: callers wipe it. */
static int
b64_decode_exact(struct sv in, uint8_t *out, size_t want)
{
	size_t pad = 0, n = 0;
	uint32_t acc = 0;

	if (in.len == 0 || in.len % 4 != 0)
		return -EBADMSG;
	if (in.p[in.len - 1] == '=')
		pad = in.p[in.len - 2] == '=' ? 2 : 1;
	if (in.len / 4 * 3 - pad != want)
		return -EBADMSG;
	for (size_t i = 0; i < in.len - pad; i++) {
		int v = b64_value(in.p[i]);

		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		if (i % 4 == 3) {
			out[n++] = (uint8_t)(acc >> 16);
			out[n++] = (uint8_t)(acc >> 8);
			out[n++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (pad == 2) {
		if ((acc & 0xf) != 0)
			return -EBADMSG;
		out[n++] = (uint8_t)(acc >> 4);
	} else if (pad == 1) {
		if ((acc & 0x3) != 0)
			return -EBADMSG;
		out[n++] = (uint8_t)(acc >> 10);
		out[n++] = (uint8_t)(acc >> 2);
	}
	acc = 0;
	return n == want ? 0 : -EBADMSG;
}

/* Writes 'len' bytes as padded base64 and a NUL into 'out', which has
 * room for 4 * ceil(len / 3) + 1 bytes. */
static void
b64_encode(const uint8_t *in, size_t len, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Addresses. */

/* A literal unicast address of 'addrtype' into *ss with 'port'. Sets
 * *unspecified for 0.0.0.0 and ::. Hostnames and multicast are refused:
 * the relay sends only where signalling names a host literally. */
static int
parse_addr(struct sv addrtype, struct sv addr, uint16_t port,
    struct sockaddr_storage *ss, bool *unspecified)
{
	char tmp[ADDR_TEXT_MAX];

	if (addr.len == 0 || addr.len >= sizeof(tmp) ||
	    memchr(addr.p, '\0', addr.len) != NULL)
		return -EPROTO;
	memcpy(tmp, addr.p, addr.len);
	tmp[addr.len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (sv_ieq(addrtype, SV("IP4"))) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, tmp, &sin->sin_addr) != 1 ||
		    IN_MULTICAST(ntohl(sin->sin_addr.s_addr)))
			return -EPROTO;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*unspecified = sin->sin_addr.s_addr == htonl(INADDR_ANY);
		return 0;
	}
	if (sv_ieq(addrtype, SV("IP6"))) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, tmp, &sin6->sin6_addr) != 1 ||
		    IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
			return -EPROTO;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*unspecified = IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);
		return 0;
	}
	return -EPROTO;
}

/* "IP4" or "IP6" for our relay address, or an empty view when it is not
 * a literal. */
static struct sv
local_addrtype(struct sv addr)
{
	struct sockaddr_storage ss;
	bool unspec;

	if (parse_addr(SV("IP4"), addr, 0, &ss, &unspec) == 0 && !unspec)
		return SV("IP4");
	if (parse_addr(SV("IP6"), addr, 0, &ss, &unspec) == 0 && !unspec)
		return SV("IP6");
	return SV_NULL;
}

static void
set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static unsigned
dir_bits(enum sdp_direction d)
{
	switch (d) {
	case SDP_DIR_SENDRECV:
		return DIR_SEND | DIR_RECV;
	case SDP_DIR_SENDONLY:
		return DIR_SEND;
	case SDP_DIR_RECVONLY:
		return DIR_RECV;
	case SDP_DIR_INACTIVE:
		break;
	}
	return 0;
}

static enum sdp_direction
dir_of_bits(unsigned b)
{
	switch (b & (DIR_SEND | DIR_RECV)) {
	case DIR_SEND | DIR_RECV:
		return SDP_DIR_SENDRECV;
	case DIR_SEND:
		return SDP_DIR_SENDONLY;
	case DIR_RECV:
		return SDP_DIR_RECVONLY;
	default:
		return SDP_DIR_INACTIVE;
	}
}

/* RFC 3264 §6.1: an answer may send only what the offer receives, and
 * receive only what it sends. */
static enum sdp_direction
dir_answer(enum sdp_direction offer, enum sdp_direction answer)
{
	unsigned o = dir_bits(offer), a = dir_bits(answer), allowed = 0;

	if (o & DIR_RECV)
		allowed |= DIR_SEND;
	if (o & DIR_SEND)
		allowed |= DIR_RECV;
	return dir_of_bits(a & allowed);
}

/* Address, ports and direction of stream 'm'. */
static int
read_transport(const struct sdp_session *s, const struct sdp_media *m,
    struct offer_endpoint *ep)
{
	const struct sdp_connection *c = m->has_conn ? &m->conn : &s->conn;
	struct sdp_rtcp rtcp;
	bool unspec = false, rtcp_unspec = false;
	int r;

	if (!m->has_conn && !s->has_conn)
		return -EPROTO;
	/* A multicast TTL or address count, or several ports: not a
	 * unicast RTP peer. */
	if (c->suffix.len != 0 || m->port_count > 1 || m->port == 0)
		return -EPROTO;
	if (parse_addr(c->addrtype, c->address, m->port, &ep->rtp, &unspec) !=
	    0)
		return -EPROTO;
	ep->held = unspec;
	ep->rtcp = ep->rtp;
	r = sdp_media_rtcp(m, &rtcp);
	if (r < 0)
		return -EBADMSG;
	if (r == 1 && rtcp.port != 0) {
		if (rtcp.address.len != 0) {
			if (parse_addr(rtcp.addrtype, rtcp.address, rtcp.port,
			        &ep->rtcp, &rtcp_unspec) != 0)
				return -EPROTO;
		} else {
			set_port(&ep->rtcp, rtcp.port);
		}
	} else {
		if (m->port == UINT16_MAX)
			return -EPROTO;
		set_port(&ep->rtcp, (uint16_t)(m->port + 1));
	}
	/* We never agree to rtcp-mux (offer.h), so RTCP stays apart. */
	ep->rtcp_mux = false;
	ep->dir = sdp_media_direction(s, m);
	/* RFC 3264 §8.4: c=0.0.0.0 means send it neither RTP nor RTCP. */
	if (ep->held)
		ep->dir = dir_of_bits(dir_bits(ep->dir) & ~(unsigned)DIR_RECV);
	return 0;
}

static bool
pt_in(const uint64_t set[2], uint8_t pt)
{
	return (set[pt / 64] >> (pt % 64)) & 1;
}

static void
pt_add(uint64_t set[2], uint8_t pt)
{
	set[pt / 64] |= (uint64_t)1 << (pt % 64);
}

/* Payload type of an RTP format (the parser checked 0-127). */
static bool
format_pt(struct sv fmt, uint8_t *pt)
{
	uint32_t v;

	if (sv_to_u32(fmt, 127, &v) != 0)
		return false;
	*pt = (uint8_t)v;
	return true;
}

/* Formats that carry no media of their own. */
static bool
is_aux(const struct offer_codec *c)
{
	struct sv enc = sv_cstr(c->encoding);

	return sv_ieq(enc, SV("telephone-event")) || sv_ieq(enc, SV("CN"));
}

static bool
policy_allows(const struct offer_policy *pol, const struct offer_codec *c)
{
	struct sv enc = sv_cstr(c->encoding);

	if (pol == NULL || pol->codec_count == 0)
		return true;
	/* RFC 4733 events go wherever a codec goes. */
	if (sv_ieq(enc, SV("telephone-event")))
		return true;
	if (enc.len == 0)
		return false;
	for (unsigned i = 0; i < pol->codec_count; i++)
		if (sv_ieq(pol->codecs[i], enc))
			return true;
	return false;
}

/* Keeps from 'in' the codecs 'pol' allows; fails when only auxiliary
 * formats would remain. 'out' may be 'in'. */
static int
filter_codecs(const struct offer_codec *in, unsigned n,
    const struct offer_policy *pol, struct offer_codec *out, unsigned *count)
{
	bool media = false;
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!policy_allows(pol, &in[i]))
			continue;
		media = media || !is_aux(&in[i]);
		if (&out[k] != &in[i])
			out[k] = in[i];
		k++;
	}
	*count = k;
	return media ? 0 : -EPROTO;
}

/* The codecs of 'm' whose payload type is in 'only' (NULL: any), in m=
 * order, without duplicates. */
static int
read_codecs(const struct sdp_media *m, const uint64_t *only,
    struct offer_codec *out, unsigned *count)
{
	uint64_t seen[2] = {0, 0};
	struct sdp_rtpmap map;
	unsigned k = 0;
	uint8_t pt;
	int r;

	for (unsigned i = 0; i < m->format_count && k < OFFER_CODECS_MAX; i++) {
		if (!format_pt(m->formats[i], &pt) || pt_in(seen, pt))
			continue;
		if (only != NULL && !pt_in(only, pt))
			continue;
		pt_add(seen, pt);
		r = sdp_media_rtpmap(m, pt, &map);
		if (r < 0)
			return -EBADMSG;
		if (r == 0 && sdp_rtpmap_static(pt, &map) != 1)
			memset(&map, 0, sizeof(map));
		memset(&out[k], 0, sizeof(out[k]));
		out[k].pt = pt;
		/* A name too long to keep is an unknown codec. */
		if (map.encoding.len != 0 &&
		    map.encoding.len < sizeof(out[k].encoding) &&
		    memchr(map.encoding.p, '\0', map.encoding.len) == NULL) {
			memcpy(
			    out[k].encoding, map.encoding.p, map.encoding.len);
			out[k].clock_rate = map.clock_rate;
			out[k].channels = map.channels;
		}
		k++;
	}
	*count = k;
	return 0;
}

/* RFC 4568 §6.1 lifetime: absent, or the SRTP default of 2^31 packets. */
static bool
lifetime_ok(struct sv lt)
{
	return lt.len == 0 || sv_eq(lt, SV("2^31")) ||
	       sv_eq(lt, SV("2147483648"));
}

/* Decodes a=crypto 'c' into 'key' when we can use it: a supported suite,
 * one key-param, no MKI, default lifetime, no session parameters (they
 * change what SRTP does: UNENCRYPTED_SRTP, KDR, ...), and a key of
 * exactly the suite's length. */
static bool
crypto_usable(const struct sdp_crypto *c, struct media_srtp_key *key)
{
	const struct suite_info *si = suite_by_name(c->suite);

	if (si == NULL || c->key_count != 1 || c->keys[0].mki_len != 0 ||
	    !lifetime_ok(c->keys[0].lifetime) || c->session_params.len != 0)
		return false;
	memset(key, 0, sizeof(*key));
	if (b64_decode_exact(c->keys[0].key_salt, key->key, si->key_len) != 0) {
		explicit_bzero(key, sizeof(*key));
		return false;
	}
	key->suite = si->suite;
	key->key_len = si->key_len;
	return true;
}

/* The first usable a=crypto of 'm', in its order. Returns 1, 0 or
 * -EBADMSG. */
static int
first_crypto(const struct sdp_media *m, struct offer_endpoint *ep)
{
	struct sdp_crypto c;
	int r;

	for (unsigned i = 0;; i++) {
		r = sdp_media_crypto(m, i, &c);
		if (r == 0)
			return 0;
		/* A line with too many keys is just not ours to use. */
		if (r == -E2BIG)
			continue;
		if (r < 0)
			return -EBADMSG;
		if (crypto_usable(&c, &ep->rx_key)) {
			ep->crypto_tag = c.tag;
			return 1;
		}
	}
}

static bool
is_savp(const struct sdp_media *m)
{
	enum sdp_proto p = sdp_media_proto(m);

	return p == SDP_PROTO_RTP_SAVP || p == SDP_PROTO_RTP_SAVPF;
}

/* Checks stream 'm' of offer 's' against 'pol' and fills *ep. */
static int
read_offer_stream(const struct sdp_session *s, const struct sdp_media *m,
    const struct offer_policy *pol, struct offer_endpoint *ep)
{
	int r;

	memset(ep, 0, sizeof(*ep));
	if (sdp_media_kind(m) != SDP_MEDIA_AUDIO || m->port == 0)
		return -EPROTO;
	switch (sdp_media_proto(m)) {
	case SDP_PROTO_RTP_AVP:
	case SDP_PROTO_RTP_AVPF:
	case SDP_PROTO_RTP_SAVP:
	case SDP_PROTO_RTP_SAVPF:
		break;
	default:
		/* DTLS-SRTP, RTP over TCP, non-RTP: not relayed. */
		return -EPROTO;
	}
	r = read_transport(s, m, ep);
	if (r != 0)
		return r;
	r = first_crypto(m, ep);
	if (r < 0)
		return r;
	ep->srtp = r == 1;
	if (!ep->srtp && is_savp(m))
		return -EPROTO;
	if (pol != NULL && pol->srtp_required && !ep->srtp)
		return -EPROTO;
	r = read_codecs(m, NULL, ep->codecs, &ep->codec_count);
	if (r != 0)
		return r;
	return filter_codecs(
	    ep->codecs, ep->codec_count, pol, ep->codecs, &ep->codec_count);
}

static void
wipe_free(char *p, size_t len)
{
	if (p != NULL)
		explicit_bzero(p, len);
	free(p);
}

/* Copies 'body' into *copy and parses it into a new *s. */
static int
parse_copy(
    struct sv body, char **copy, size_t *copy_len, struct sdp_session **s)
{
	int r;

	*s = NULL;
	/* sdp_parse() would refuse it too; this spares the copy. */
	if (body.len > SDP_BODY_MAX)
		return -EPROTO;
	*copy = mem_alloc(body.len != 0 ? body.len : 1);
	if (*copy == NULL)
		return -ENOMEM;
	*copy_len = body.len;
	if (body.len != 0)
		memcpy(*copy, body.p, body.len);
	*s = mem_alloc(sizeof(**s));
	if (*s == NULL)
		return -ENOMEM;
	r = sdp_parse(sv_make(*copy, body.len), *s);
	if (r == -E2BIG)
		return -EPROTO;
	return r != 0 ? -EBADMSG : 0;
}

static void
keep_lines(struct offer_exchange *x, const struct sdp_session *s)
{
	x->line_count = s->media_count;
	for (unsigned i = 0; i < s->media_count; i++) {
		const struct sdp_media *m = &s->media[i];
		struct mline *l = &x->lines[i];

		l->media = m->media;
		l->proto = m->proto;
		l->format_count = m->format_count;
		memcpy(l->formats, m->formats,
		    m->format_count * sizeof(m->formats[0]));
	}
}

int
offer_parse_offer(
    struct offer_exchange **out, struct sv body, const struct offer_policy *pol)
{
	struct offer_exchange *x;
	struct sdp_session *s = NULL;
	int r;

	x = mem_calloc(1, sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	r = parse_copy(body, &x->offer_body, &x->offer_len, &s);
	if (r != 0)
		goto fail;
	r = -EPROTO;
	for (unsigned i = 0; i < s->media_count; i++) {
		r = read_offer_stream(s, &s->media[i], pol, &x->ep[0]);
		if (r == 0) {
			x->index = i;
			break;
		}
		explicit_bzero(&x->ep[0], sizeof(x->ep[0]));
		if (r != -EPROTO)
			break;
	}
	if (r != 0)
		goto fail;
	keep_lines(x, s);
	x->stream = s->media[x->index];
	free(s);
	*out = x;
	return 0;
fail:
	free(s);
	offer_exchange_free(x);
	return r;
}

void
offer_exchange_free(struct offer_exchange *x)
{
	if (x == NULL)
		return;
	wipe_free(x->offer_body, x->offer_len);
	wipe_free(x->answer_body, x->answer_len);
	explicit_bzero(x, sizeof(*x));
	free(x);
}

const struct offer_endpoint *
offer_endpoint(const struct offer_exchange *x, unsigned leg)
{
	if (x == NULL || leg > 1 || (leg == 1 && !x->have_answer))
		return NULL;
	return &x->ep[leg];
}

/* Building. */

static void
u64_text(char *out, uint64_t v)
{
	char tmp[U64_TEXT_MAX];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		out[i++] = tmp[--n];
	out[i] = '\0';
}

/* The session lines of an SDP from us (our o=, "s=-", c=, "t=0 0"), and
 * the offer's m= lines, all rejected (port 0, formats kept, RFC 3264 §6
 * and §8.2), for the caller to fill the relayed one. */
static int
draft_init(struct draft *d, const struct offer_exchange *x,
    const struct offer_local *local)
{
	struct sv type = local_addrtype(local->addr);

	if (type.len == 0)
		return -EINVAL;
	sdp_session_init(&d->s);
	u64_text(d->sess_id, local->sess_id);
	u64_text(d->sess_version, local->sess_version);
	d->s.origin.username = SV("-");
	d->s.origin.sess_id = sv_cstr(d->sess_id);
	d->s.origin.sess_version = sv_cstr(d->sess_version);
	d->s.origin.nettype = SV("IN");
	d->s.origin.addrtype = type;
	d->s.origin.address = local->addr;
	d->s.name = SV("-");
	d->s.conn.nettype = SV("IN");
	d->s.conn.addrtype = type;
	d->s.conn.address = local->addr;
	d->s.has_conn = true;
	d->s.time_count = 1;
	d->s.media_count = x->line_count;
	for (unsigned i = 0; i < x->line_count; i++) {
		const struct mline *l = &x->lines[i];
		struct sdp_media *m = &d->s.media[i];

		m->media = l->media;
		m->proto = l->proto;
		m->format_count = l->format_count;
		memcpy(m->formats, l->formats,
		    l->format_count * sizeof(l->formats[0]));
	}
	return 0;
}

/* Copies to 'm' the formats of 'src' whose payload type is in 'set', in
 * the order of 'src'. */
static int
copy_formats(
    struct sdp_media *m, const struct sdp_media *src, const uint64_t set[2])
{
	uint64_t done[2] = {0, 0};
	uint8_t pt;

	m->format_count = 0;
	for (unsigned i = 0; i < src->format_count; i++) {
		if (!format_pt(src->formats[i], &pt) || !pt_in(set, pt) ||
		    pt_in(done, pt))
			continue;
		pt_add(done, pt);
		m->formats[m->format_count++] = src->formats[i];
	}
	return m->format_count != 0 ? 0 : -EPROTO;
}

/* Appends the a=rtpmap (when 'rtpmap') and a=fmtp (when 'fmtp') lines of
 * 'src' for payload types in 'set', and its a=ptime and a=maxptime (when
 * 'ptime'). Nothing else passes: no address, ICE or DTLS line leaks. */
static int
copy_attrs(struct sdp_media *m, const struct sdp_media *src,
    const uint64_t set[2], bool rtpmap, bool fmtp, bool ptime)
{
	for (unsigned i = 0; i < src->attrs.count; i++) {
		const struct sdp_attr *a = &src->attrs.list[i];
		struct sdp_rtpmap map;
		struct sdp_fmtp fp;
		struct sv name = SV_NULL;

		if (!a->has_value)
			continue;
		/* Names are written in their usual case. */
		if (rtpmap && sv_ieq(a->name, SV("rtpmap"))) {
			if (sdp_rtpmap_parse(a->value, &map) == 0 &&
			    pt_in(set, map.pt))
				name = SV("rtpmap");
		} else if (fmtp && sv_ieq(a->name, SV("fmtp"))) {
			if (sdp_fmtp_parse(a->value, &fp) == 0 && fp.has_pt &&
			    pt_in(set, fp.pt))
				name = SV("fmtp");
		} else if (ptime && sv_ieq(a->name, SV("ptime"))) {
			name = SV("ptime");
		} else if (ptime && sv_ieq(a->name, SV("maxptime"))) {
			name = SV("maxptime");
		}
		if (name.len != 0 &&
		    sdp_attrs_add(&m->attrs, name, a->value, true) != 0)
			return -EPROTO;
	}
	return 0;
}

/* Writes "tag suite inline:key" into 'text' (CRYPTO_TEXT_MAX bytes). */
static void
crypto_text(char *text, uint32_t tag, const struct media_srtp_key *key)
{
	const struct suite_info *si = suite_by_id(key->suite);
	char num[U64_TEXT_MAX];
	char b64[CRYPTO_TEXT_MAX];
	size_t n, name_len;

	text[0] = '\0';
	if (si == NULL || key->key_len != si->key_len)
		return; /* an empty value: sdp_attrs_add() refuses it */
	name_len = strlen(si->name);
	u64_text(num, tag);
	b64_encode(key->key, key->key_len, b64);
	n = strlen(num);
	memcpy(text, num, n);
	text[n++] = ' ';
	memcpy(text + n, si->name, name_len);
	n += name_len;
	memcpy(text + n, " inline:", 8);
	n += 8;
	memcpy(text + n, b64, strlen(b64) + 1);
	explicit_bzero(b64, sizeof(b64));
}

static int
add_crypto(struct draft *d, struct sdp_media *m, unsigned slot, uint32_t tag,
    const struct media_srtp_key *key)
{
	crypto_text(d->crypto[slot], tag, key);
	if (sdp_attrs_add(
	        &m->attrs, SV("crypto"), sv_cstr(d->crypto[slot]), true) != 0)
		return -EPROTO;
	return 0;
}

/* Builds 'd' into 'out', keeping out->len on failure. */
static int
draft_build(struct draft *d, struct buf *out)
{
	int r;

	if (buf_error(out) != 0)
		return buf_error(out);
	r = sdp_build(&d->s, out);
	/* Only a value we copied from a peer can fail the builder's checks:
	 * that peer's SDP is what we cannot use. */
	if (r == -EINVAL)
		return -EPROTO;
	return r;
}

static void
draft_free(struct draft *d)
{
	if (d == NULL)
		return;
	/* The whole draft: the crypto text holds our keys. */
	explicit_bzero(d, sizeof(*d));
	free(d);
}

static int
check_keys(const struct media_srtp_key *keys, unsigned n)
{
	if (keys == NULL || n == 0 || n > OFFER_SUITES_MAX)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		if (!key_ok(&keys[i]))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (keys[j].suite == keys[i].suite)
				return -EINVAL;
	}
	return 0;
}

int
offer_build_offer(struct offer_exchange *x, const struct offer_policy *pol,
    const struct offer_local *local, enum offer_srtp srtp,
    const struct media_srtp_key *keys, unsigned key_count, struct buf *out)
{
	struct offer_codec kept[OFFER_CODECS_MAX];
	uint64_t set[2] = {0, 0};
	struct sdp_media *m;
	struct draft *d = NULL;
	unsigned n;
	int r;

	if (x == NULL || local == NULL || out == NULL ||
	    (srtp != OFFER_SRTP_OFF && srtp != OFFER_SRTP_OPTIONAL &&
	        srtp != OFFER_SRTP_REQUIRED))
		return -EINVAL;
	if (srtp != OFFER_SRTP_OFF && check_keys(keys, key_count) != 0)
		return -EINVAL;
	if (pol != NULL && pol->srtp_required && srtp != OFFER_SRTP_REQUIRED)
		return -EPROTO;
	r = filter_codecs(x->ep[0].codecs, x->ep[0].codec_count, pol, kept, &n);
	if (r != 0)
		return r;
	for (unsigned i = 0; i < n; i++)
		pt_add(set, kept[i].pt);
	d = mem_alloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	r = draft_init(d, x, local);
	if (r != 0)
		goto out;
	m = &d->s.media[x->index];
	m->port = local->port;
	m->proto = srtp == OFFER_SRTP_REQUIRED ? SV("RTP/SAVP") : SV("RTP/AVP");
	r = copy_formats(m, &x->stream, set);
	if (r == 0)
		r = copy_attrs(m, &x->stream, set, true, true, true);
	if (r == 0)
		r = sdp_media_set_direction(m, x->ep[0].dir) != 0 ? -EPROTO : 0;
	for (unsigned i = 0; r == 0 && srtp != OFFER_SRTP_OFF && i < key_count;
	     i++)
		r = add_crypto(d, m, i, i + 1, &keys[i]);
	if (r == 0)
		r = draft_build(d, out);
	if (r != 0)
		goto out;
	x->offered = true;
	x->have_answer = false;
	x->sent_srtp = srtp;
	x->sent_pts[0] = set[0];
	x->sent_pts[1] = set[1];
	explicit_bzero(x->sent_keys, sizeof(x->sent_keys));
	x->sent_key_count = srtp != OFFER_SRTP_OFF ? key_count : 0;
	if (x->sent_key_count != 0)
		memcpy(x->sent_keys, keys, key_count * sizeof(keys[0]));
out:
	draft_free(d);
	return r;
}

/* The answerer's a=crypto: it must answer one of our tags with that
 * tag's suite (RFC 4568 §5.1.2). */
static int
answer_crypto(const struct offer_exchange *x, const struct sdp_media *m,
    struct offer_endpoint *ep)
{
	struct sdp_crypto c;
	int r;

	for (unsigned i = 0;; i++) {
		r = sdp_media_crypto(m, i, &c);
		if (r == 0)
			return -EPROTO;
		if (r == -E2BIG)
			continue;
		if (r < 0)
			return -EBADMSG;
		if (c.tag == 0 || c.tag > x->sent_key_count)
			continue;
		if (!crypto_usable(&c, &ep->rx_key))
			continue;
		if (ep->rx_key.suite != x->sent_keys[c.tag - 1].suite) {
			explicit_bzero(&ep->rx_key, sizeof(ep->rx_key));
			continue;
		}
		ep->crypto_tag = c.tag;
		ep->tx_key = x->sent_keys[c.tag - 1];
		return 0;
	}
}

/* RFC 3264 §6.1: the answer's proto is the offer's. What each of our
 * offers accepts; true sets *srtp. */
static bool
answer_proto_ok(enum offer_srtp sent, const struct sdp_media *m, bool *srtp)
{
	bool crypto = sdp_attrs_find(&m->attrs, SV("crypto"), 0) >= 0;
	enum sdp_proto p = sdp_media_proto(m);

	*srtp = crypto;
	switch (sent) {
	case OFFER_SRTP_OFF:
		return p == SDP_PROTO_RTP_AVP && !crypto;
	case OFFER_SRTP_OPTIONAL:
		return p == SDP_PROTO_RTP_AVP;
	case OFFER_SRTP_REQUIRED:
		return p == SDP_PROTO_RTP_SAVP && crypto;
	}
	return false;
}

static int
read_answer_stream(const struct offer_exchange *x, const struct sdp_session *s,
    struct offer_endpoint *ep)
{
	const struct sdp_media *m;
	bool srtp;
	int r;

	memset(ep, 0, sizeof(*ep));
	/* RFC 3264 §6: one m= line for each of the offer's. */
	if (s->media_count != x->line_count)
		return -EPROTO;
	m = &s->media[x->index];
	if (sdp_media_kind(m) != SDP_MEDIA_AUDIO || m->port == 0 ||
	    !answer_proto_ok(x->sent_srtp, m, &srtp))
		return -EPROTO;
	r = read_transport(s, m, ep);
	if (r != 0)
		return r;
	ep->dir = dir_answer(x->ep[0].dir, ep->dir);
	if (srtp) {
		r = answer_crypto(x, m, ep);
		if (r != 0)
			return r;
		ep->srtp = true;
	}
	r = read_codecs(m, x->sent_pts, ep->codecs, &ep->codec_count);
	if (r != 0)
		return r;
	return filter_codecs(
	    ep->codecs, ep->codec_count, NULL, ep->codecs, &ep->codec_count);
}

int
offer_parse_answer(struct offer_exchange *x, struct sv body)
{
	struct sdp_session *s = NULL;
	int r;

	if (x == NULL || !x->offered)
		return -EINVAL;
	x->have_answer = false;
	wipe_free(x->answer_body, x->answer_len);
	x->answer_body = NULL;
	x->answer_len = 0;
	explicit_bzero(&x->ep[1], sizeof(x->ep[1]));
	r = parse_copy(body, &x->answer_body, &x->answer_len, &s);
	if (r == 0)
		r = read_answer_stream(x, s, &x->ep[1]);
	if (r == 0)
		x->answer = s->media[x->index];
	free(s);
	if (r != 0) {
		explicit_bzero(&x->ep[1], sizeof(x->ep[1]));
		return r;
	}
	x->have_answer = true;
	return 0;
}

int
offer_build_answer(struct offer_exchange *x, const struct offer_local *local,
    const struct media_srtp_key *key, struct buf *out)
{
	uint64_t set[2] = {0, 0};
	struct sdp_media *m;
	struct draft *d;
	int r;

	if (x == NULL || !x->have_answer || local == NULL || out == NULL)
		return -EINVAL;
	if (x->ep[0].srtp && (key == NULL || !key_ok(key) ||
	                         key->suite != x->ep[0].rx_key.suite))
		return -EINVAL;
	for (unsigned i = 0; i < x->ep[1].codec_count; i++)
		pt_add(set, x->ep[1].codecs[i].pt);
	d = mem_alloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	r = draft_init(d, x, local);
	if (r != 0)
		goto out;
	m = &d->s.media[x->index];
	m->port = local->port;
	/* The offerer's codecs, in its order; our answer's a=rtpmap are its
	 * own, the a=fmtp and ptime the answerer's (what it receives). */
	r = copy_formats(m, &x->stream, set);
	if (r == 0)
		r = copy_attrs(m, &x->stream, set, true, false, false);
	if (r == 0)
		r = copy_attrs(m, &x->answer, set, false, true, true);
	if (r == 0)
		r = sdp_media_set_direction(m, x->ep[1].dir) != 0 ? -EPROTO : 0;
	if (r == 0 && x->ep[0].srtp)
		r = add_crypto(d, m, 0, x->ep[0].crypto_tag, key);
	if (r == 0)
		r = draft_build(d, out);
	if (r == 0 && x->ep[0].srtp)
		x->ep[0].tx_key = *key;
out:
	draft_free(d);
	return r;
}

int
offer_status(int err)
{
	switch (err) {
	case 0:
		return 200;
	case -EBADMSG:
	case -EPROTO:
	case -E2BIG:
		return 488;
	case -ENOMEM:
		return 503;
	default:
		return 500;
	}
}
