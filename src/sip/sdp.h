/* SDP session descriptions (RFC 8866), zero-copy parser and builder.
 *
 * sdp_parse() fills a struct sdp_session whose views point into the body;
 * they are valid while the body lives. The struct is plain data: a caller
 * (the B2BUA) may change ports, addresses and attributes, point views at
 * strings it owns, remove formats or attributes, and hand the result to
 * sdp_build(), which writes it back in canonical order. The builder
 * checks the session with the same rules as the parser, so what it writes
 * always parses again to equal fields.
 *
 * Typed attributes (rtpmap, fmtp, crypto, ...) are kept as raw (name,
 * value) pairs in order; the sdp_media_*() lookups decode them on demand,
 * so that an edited attribute list never goes stale. sdp_parse() already
 * checks every attribute it knows, so on a parsed session the lookups do
 * not fail; they return a negative errno only for values set by a caller.
 *
 * Nothing here keeps state: every function may be called from any thread
 * on objects that thread owns. Parsers never log (STYLE.md); key material
 * from a=crypto lines must not be logged by callers either. */
#ifndef RP_SIP_SDP_H
#define RP_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"

/* Limits, checked before any work on the part that hits them; each gives
 * -E2BIG, which the SIP layer answers with 488 Not Acceptable Here (or
 * 413 for the whole body). */

/* Whole body. A browser offer with audio, video, data and a dozen ICE
 * candidates stays under 10 KB. */
#define SDP_BODY_MAX 16384u
/* One line, "x=" included, terminator excluded. */
#define SDP_LINE_MAX 1024u
/* Lines in the body. */
#define SDP_LINES_MAX 1024u
/* m= sections. */
#define SDP_MEDIA_MAX 16u
/* Formats on one m= line. Browsers offer 30 to 40 video payload types. */
#define SDP_FORMATS_MAX 64u
/* a= lines at one level (session, or one media section). A browser's
 * video section carries about 100 (rtpmap, fmtp, rtcp-fb, extmap). */
#define SDP_ATTRS_MAX 128u
/* b= lines at one level. */
#define SDP_BANDWIDTHS_MAX 8u
/* t= lines, and r= lines after one t=. */
#define SDP_TIMES_MAX 8u
#define SDP_REPEATS_MAX 8u
/* e= lines, and p= lines. */
#define SDP_CONTACTS_MAX 8u
/* key-params in one a=crypto line (RFC 4568 §9.1). */
#define SDP_CRYPTO_KEYS_MAX 4u
/* Largest a=ptime / a=maxptime accepted, in milliseconds; larger values
 * are malformed (-EBADMSG). */
#define SDP_PTIME_MAX_MS 60000u

/* One a= line. 'value' is meaningful only when has_value ("a=name:value");
 * "a=name" is a property attribute. */
struct sdp_attr {
	struct sv name;
	struct sv value;
	bool has_value;
};

/* The a= lines of one level, in order. */
struct sdp_attrs {
	struct sdp_attr list[SDP_ATTRS_MAX];
	unsigned count;
};

/* c= line: "IN IP4 192.0.2.1" or, for multicast, "IN IP4 233.252.0.1/127"
 * where 'suffix' holds what follows the first '/' ("127", "127/3"); it is
 * empty when absent. */
struct sdp_connection {
	struct sv nettype;  /* "IN" */
	struct sv addrtype; /* "IP4" or "IP6" */
	struct sv address;  /* IPv4 dotted, IPv6, or a domain name */
	struct sv suffix;   /* digits ["/" digits] */
};

/* o= line. The ids are digit strings, kept as text: they may be longer
 * than any integer type. */
struct sdp_origin {
	struct sv username; /* "-" when there is none */
	struct sv sess_id;
	struct sv sess_version;
	struct sv nettype;
	struct sv addrtype;
	struct sv address; /* unicast: no multicast suffix */
};

/* b= line, e.g. "AS:64". */
struct sdp_bandwidth {
	struct sv type;
	uint32_t value;
};

/* t= line and the r= lines that follow it (kept as text, checked to hold
 * only digits, "dhms" units and single spaces). */
struct sdp_time {
	uint64_t start;
	uint64_t stop;
	struct sv repeats[SDP_REPEATS_MAX];
	unsigned repeat_count;
};

/* One m= section. Optional text views are empty (SV_NULL) when absent. */
struct sdp_media {
	struct sv media;     /* "audio", "video", ...: see sdp_media_kind() */
	uint16_t port;       /* 0: stream rejected or disabled */
	uint16_t port_count; /* "49170/2" gives 2; 0 when absent */
	struct sv proto;     /* "RTP/AVP", "UDP/TLS/RTP/SAVPF", "udptl" ... */
	struct sv formats[SDP_FORMATS_MAX]; /* RTP: payload types 0-127 */
	unsigned format_count;              /* at least 1 */
	struct sv info;                     /* i= */
	struct sdp_connection conn;         /* c=, when has_conn */
	bool has_conn;
	struct sdp_bandwidth bw[SDP_BANDWIDTHS_MAX];
	unsigned bw_count;
	struct sv key; /* k= (obsolete, kept verbatim) */
	struct sdp_attrs attrs;
};

/* A session description. v= is always 0 and not stored. Optional text
 * views are empty (SV_NULL) when absent: the parser never stores an empty
 * value, and a caller drops a line by emptying its view. Text (s=, i=, u=,
 * e=, p=, k=) is kept byte for byte, trailing spaces included ("s= " is a
 * valid name). */
struct sdp_session {
	struct sdp_origin origin;
	struct sv name; /* s=, never empty */
	struct sv info; /* i= */
	struct sv uri;  /* u= */
	struct sv emails[SDP_CONTACTS_MAX];
	unsigned email_count;
	struct sv phones[SDP_CONTACTS_MAX];
	unsigned phone_count;
	struct sdp_connection conn; /* c=, when has_conn */
	bool has_conn;
	struct sdp_bandwidth bw[SDP_BANDWIDTHS_MAX];
	unsigned bw_count;
	struct sdp_time times[SDP_TIMES_MAX]; /* at least 1 */
	unsigned time_count;
	struct sv zone; /* z= */
	struct sv key;  /* k= */
	struct sdp_attrs attrs;
	struct sdp_media media[SDP_MEDIA_MAX];
	unsigned media_count;
};

enum sdp_media_kind {
	SDP_MEDIA_OTHER,
	SDP_MEDIA_AUDIO,
	SDP_MEDIA_VIDEO,
	SDP_MEDIA_APPLICATION,
	SDP_MEDIA_IMAGE,
	SDP_MEDIA_TEXT,
};

enum sdp_proto {
	SDP_PROTO_OTHER, /* e.g. TCP/TLS/RTP/SAVPF, UDP/DTLS/SCTP */
	SDP_PROTO_RTP_AVP,
	SDP_PROTO_RTP_AVPF,
	SDP_PROTO_RTP_SAVP,
	SDP_PROTO_RTP_SAVPF,
	SDP_PROTO_UDP_TLS_RTP_SAVP,
	SDP_PROTO_UDP_TLS_RTP_SAVPF,
	SDP_PROTO_UDPTL,
};

enum sdp_direction {
	SDP_DIR_SENDRECV, /* RFC 8866 §6.7: the default */
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_setup {
	SDP_SETUP_ACTIVE, /* RFC 4145 §4 */
	SDP_SETUP_PASSIVE,
	SDP_SETUP_ACTPASS,
	SDP_SETUP_HOLDCONN,
};

/* a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>] (RFC 8866 §6.6). */
struct sdp_rtpmap {
	uint8_t pt; /* 0-127 */
	struct sv encoding;
	uint32_t clock_rate; /* > 0 */
	uint32_t channels;   /* 1-255, or 0 when not given (audio: 1) */
};

/* a=fmtp:<format> <params> (RFC 8866 §6.15). */
struct sdp_fmtp {
	struct sv format;
	uint8_t pt; /* when has_pt: the format is a payload type */
	bool has_pt;
	struct sv params; /* never empty */
};

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605). */
struct sdp_rtcp {
	uint16_t port;
	struct sv nettype; /* all three SV_NULL when absent */
	struct sv addrtype;
	struct sv address;
};

/* One key-param of a=crypto: "inline:<key||salt>[|<lifetime>][|<mki>:<len>]"
 * (RFC 4568 §6.1, §9.2). */
struct sdp_crypto_key {
	struct sv key_salt; /* base64, not decoded */
	struct sv lifetime; /* "2^20" or "1048576"; SV_NULL when absent */
	uint64_t mki;       /* MKI value, when mki_len != 0 */
	uint8_t mki_len;    /* MKI length in bytes (1-128), 0 when absent */
};

/* a=crypto:<tag> <suite> <key-params> [<session-params>] (RFC 4568 §9.1). */
struct sdp_crypto {
	uint32_t tag;    /* 0-999999999 */
	struct sv suite; /* e.g. "AES_CM_128_HMAC_SHA1_80" */
	struct sdp_crypto_key keys[SDP_CRYPTO_KEYS_MAX];
	unsigned key_count;   /* at least 1 */
	struct sv key_params; /* the whole key-params text */
	/* e.g. "KDR=1 UNENCRYPTED_SRTCP", or SV_NULL when absent. */
	struct sv session_params;
};

/* a=fingerprint:<hash-func> <fingerprint> (RFC 8122 §5). */
struct sdp_fingerprint {
	struct sv hash;  /* "sha-256" */
	struct sv value; /* "4A:AD:..." upper- or lower-case hex pairs */
};

/* Parses an SDP body. Lines end with CRLF or a bare LF; the last one may
 * have no terminator, and blank lines are allowed only at the end. The
 * order is v=, o=, s=, then the other session lines (i u e p c b t r z k
 * a) in any order, then m= sections (i c b k a). Unknown line types are
 * refused (RFC 8866 §5). Every attribute this module knows is checked
 * (see the lookups below), as are c= presence for each stream, RTP
 * payload types (0-127) and one direction attribute per level.
 * On success *out holds views into 'body'; on failure *out is undefined.
 * Returns 0, -EBADMSG (malformed) or -E2BIG (an SDP_*_MAX limit). */
int sdp_parse(struct sv body, struct sdp_session *out) RP_MUST_CHECK;

/* Appends 's' to 'out' in canonical order (RFC 8866 §5) with CRLF line
 * ends, starting with "v=0". The session is first checked with the rules
 * of sdp_parse(): any field holding CR, LF or NUL, a token with bad
 * characters, an empty required field, a count above its array, a value
 * out of range, or a known attribute that does not parse gives -EINVAL
 * and nothing is written. A line or body above SDP_LINE_MAX, SDP_LINES_MAX
 * or SDP_BODY_MAX gives -E2BIG, as does the buffer's own cap; -ENOMEM when
 * out of memory. On failure out->len is restored (a buffer error stays
 * sticky, see core/buf.h). 's' is only read. */
int sdp_build(const struct sdp_session *s, struct buf *out) RP_MUST_CHECK;

/* Empties a session: all views SV_NULL, all counts 0. A caller building
 * SDP from scratch fills the fields afterwards. */
void sdp_session_init(struct sdp_session *s);

/* True when both sessions have byte-equal fields (views compared by
 * content, not address), in the same order. */
bool sdp_session_equal(
    const struct sdp_session *a, const struct sdp_session *b);

/* Attribute lists. Names are compared ASCII case-insensitively. */

/* Index of the first attribute named 'name' at or after 'from', or
 * -ENOENT. */
int sdp_attrs_find(const struct sdp_attrs *a, struct sv name, unsigned from);

/* Appends an attribute; 'name' and 'value' are borrowed views that must
 * outlive the session's use (they are not copied). Returns 0, -EINVAL
 * (name not a token; value empty, with CR, LF or NUL, or ending in a
 * space) or -E2BIG (SDP_ATTRS_MAX reached). */
int sdp_attrs_add(struct sdp_attrs *a, struct sv name, struct sv value,
    bool has_value) RP_MUST_CHECK;

/* Removes every attribute named 'name', keeping the others' order.
 * Returns how many were removed. */
unsigned sdp_attrs_remove(struct sdp_attrs *a, struct sv name);

/* Removes the attribute at 'index' (ignored when out of range). */
void sdp_attrs_remove_at(struct sdp_attrs *a, unsigned index);

/* Media sections. */

/* The media type of m= ("audio", ... case-insensitive), or
 * SDP_MEDIA_OTHER. */
enum sdp_media_kind sdp_media_kind(const struct sdp_media *m);

/* The transport protocol of m= (case-insensitive), or SDP_PROTO_OTHER. */
enum sdp_proto sdp_media_proto(const struct sdp_media *m);

/* True for any proto with an "RTP" component ("RTP/AVP",
 * "TCP/TLS/RTP/SAVPF", ...): its formats are RTP payload types. */
bool sdp_proto_is_rtp(struct sv proto);

/* Appends a format to m= (a borrowed view). Returns 0, -EINVAL (not a
 * token, or not a payload type 0-127 on an RTP stream) or -E2BIG
 * (SDP_FORMATS_MAX reached). */
int sdp_media_add_format(struct sdp_media *m, struct sv fmt) RP_MUST_CHECK;

/* Removes format 'fmt' from m= (payload types compare as numbers, so "8"
 * matches "08") together with the a=rtpmap, a=fmtp and a=rtcp-fb lines
 * that name it. A stream needs at least one format: a caller removing the
 * last one must reject the stream (port 0) and keep one. Returns 1 when
 * the format was there, 0 otherwise. */
int sdp_media_remove_format(struct sdp_media *m, struct sv fmt);

/* The a=rtpmap for payload type 'pt'. Static payload types (RFC 3551)
 * often have none: see sdp_rtpmap_static(). Returns 1 found, 0 absent,
 * -EBADMSG if an rtpmap value is malformed. */
int sdp_media_rtpmap(const struct sdp_media *m, uint8_t pt,
    struct sdp_rtpmap *out) RP_MUST_CHECK;

/* The RFC 3551 §6 mapping of a static payload type (0 PCMU/8000/1,
 * 8 PCMA/8000/1, 9 G722/8000/1, 18 G729/8000/1, ...); encoding views
 * point to static text. Returns 1 for an assigned static type, else 0. */
int sdp_rtpmap_static(uint8_t pt, struct sdp_rtpmap *out);

/* The a=fmtp for payload type 'pt'. Returns 1, 0 or -EBADMSG. */
int sdp_media_fmtp(
    const struct sdp_media *m, uint8_t pt, struct sdp_fmtp *out) RP_MUST_CHECK;

/* a=ptime of m in milliseconds (RFC 8866 §6.4; a fraction is rounded
 * up) into *ms. Returns 1, 0 (absent) or -EBADMSG (not a positive number
 * up to SDP_PTIME_MAX_MS). */
int sdp_media_ptime(const struct sdp_media *m, uint32_t *ms) RP_MUST_CHECK;

/* a=maxptime of m in milliseconds (RFC 8866 §6.5), as sdp_media_ptime().
 * Returns 1, 0 or -EBADMSG. */
int sdp_media_maxptime(const struct sdp_media *m, uint32_t *ms) RP_MUST_CHECK;

/* The direction in effect for 'm': its own attribute, else the session's,
 * else sendrecv (RFC 8866 §6.7). */
enum sdp_direction sdp_media_direction(
    const struct sdp_session *s, const struct sdp_media *m);

/* Replaces m's direction attributes with one for 'dir' (a static name).
 * Returns 0 or -E2BIG (no room). */
int sdp_media_set_direction(
    struct sdp_media *m, enum sdp_direction dir) RP_MUST_CHECK;

/* The attribute name of a direction ("sendrecv", ...). */
struct sv sdp_direction_name(enum sdp_direction dir);

/* The a=rtcp of m (RFC 3605): the RTCP port, and its address when it
 * differs from c=. Returns 1, 0 or -EBADMSG. */
int sdp_media_rtcp(
    const struct sdp_media *m, struct sdp_rtcp *out) RP_MUST_CHECK;

/* True when m carries a=rtcp-mux (RFC 5761). */
bool sdp_media_rtcp_mux(const struct sdp_media *m);

/* The index-th (from 0) a=crypto of m, in order. Returns 1, 0 (fewer
 * crypto lines), -EBADMSG or -E2BIG (over SDP_CRYPTO_KEYS_MAX keys). */
int sdp_media_crypto(const struct sdp_media *m, unsigned index,
    struct sdp_crypto *out) RP_MUST_CHECK;

/* The index-th a=fingerprint of m or, when m has none, of the session
 * (RFC 8122 §5 allows both levels). Returns 1, 0 or -EBADMSG. */
int sdp_media_fingerprint(const struct sdp_session *s,
    const struct sdp_media *m, unsigned index,
    struct sdp_fingerprint *out) RP_MUST_CHECK;

/* a=setup of m, else of the session (RFC 4145). Returns 1, 0 or
 * -EBADMSG. */
int sdp_media_setup(const struct sdp_session *s, const struct sdp_media *m,
    enum sdp_setup *out) RP_MUST_CHECK;

/* a=mid of m (RFC 5888): a token. Returns 1, 0 or -EBADMSG. */
int sdp_media_mid(const struct sdp_media *m, struct sv *out) RP_MUST_CHECK;

/* The decoders below take one attribute value (the text after
 * "a=name:") and fill *out with views into it. */

/* Decodes an a=rtpmap value. Returns 0 or -EBADMSG. */
int sdp_rtpmap_parse(struct sv value, struct sdp_rtpmap *out) RP_MUST_CHECK;

/* Decodes an a=fmtp value. Returns 0 or -EBADMSG. */
int sdp_fmtp_parse(struct sv value, struct sdp_fmtp *out) RP_MUST_CHECK;

/* Decodes an a=rtcp value. Returns 0 or -EBADMSG. */
int sdp_rtcp_parse(struct sv value, struct sdp_rtcp *out) RP_MUST_CHECK;

/* Decodes an a=crypto value. The key is not decoded from base64 and must
 * not be logged. Returns 0, -EBADMSG or -E2BIG (more than
 * SDP_CRYPTO_KEYS_MAX key-params). */
int sdp_crypto_parse(struct sv value, struct sdp_crypto *out) RP_MUST_CHECK;

/* Decodes an a=fingerprint value. Returns 0 or -EBADMSG. */
int sdp_fingerprint_parse(
    struct sv value, struct sdp_fingerprint *out) RP_MUST_CHECK;

#endif
