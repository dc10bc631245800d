/* The media state of one call: the SDP exchanges across its two legs,
 * rempart's SRTP keys for each leg, and the SDP each leg last got from
 * us (for session refreshes). Side 0 faces the caller (leg A), side 1
 * the callee (leg B), as on the relay (media/relay.h).
 *
 * Keys: rempart announces its own key to each leg, one per suite, drawn
 * once per call and leg so that a refresh does not rekey; they are wiped
 * with the state. An exchange in progress (a re-INVITE) does not disturb
 * the one in force until its answer arrives.
 *
 * Thread: the signalling loop's. */
#ifndef RP_PBX_CALLMEDIA_H
#define RP_PBX_CALLMEDIA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"
#include "media/relay.h"
#include "pbx/offer.h"
#include "store/users.h"

#define CALLMEDIA_ADDR_MAX 64u
#define CALLMEDIA_OLINE_MAX 256u

/* A user's policy, copied so that it outlives a directory reload. */
struct callmedia_policy {
	bool srtp_required;
	unsigned codec_count;
	char codecs[USERS_CODECS_MAX][USERS_CODEC_NAME_MAX + 1];
	struct sv views[USERS_CODECS_MAX];
};

/* Copies 'src' (NULL: no restriction) into 'dst', whose views then
 * point into itself; the view of 'p' as pbx/offer.h takes it. */
void callmedia_policy_copy(
    struct callmedia_policy *dst, const struct offer_policy *src);
struct offer_policy callmedia_policy_view(const struct callmedia_policy *p);

struct callmedia {
	char addr[CALLMEDIA_ADDR_MAX];
	uint16_t port[2];
	uint64_t sess_id[2];
	uint64_t sess_version[2];
	struct callmedia_policy policy[2];
	struct offer_exchange *cur;  /* the exchange in force */
	unsigned cur_offerer;        /* side that offered it */
	struct offer_exchange *next; /* an offer awaiting its answer */
	unsigned next_offerer;
	bool next_answered;
	struct media_srtp_key keys[2][OFFER_SUITES_MAX];
	bool have_keys[2];
	struct buf local[2]; /* the SDP each side last got from us */
	char oline[2][CALLMEDIA_OLINE_MAX]; /* each side's last o= line */
};

/* Sets up the state (nothing allocated yet but the buffers). 'pa' and
 * 'pb' are copied. Returns 0 or a negative errno (getrandom). */
int callmedia_init(struct callmedia *m, const char *relay_addr, uint16_t port_a,
    uint16_t port_b, const struct offer_policy *pa,
    const struct offer_policy *pb) RP_MUST_CHECK;
/* The callee side (1) changes hands before any answer: the pending
 * offer is dropped, 'pb' becomes side 1's policy and side 1 gets new
 * keys, so that the caller's offer can be made again to another callee
 * (an alternate destination). */
void callmedia_retarget(struct callmedia *m, const struct offer_policy *pb);
/* Frees the exchanges and wipes every key. */
void callmedia_wipe(struct callmedia *m);

/* An offer from 'side': checked against that side's policy; the offer
 * for the other side is appended to 'out'. Returns 0, -EBADMSG, -EPROTO
 * (not acceptable: 488), -EBUSY (an offer already awaits its answer),
 * -ENOMEM or -EINVAL. */
int callmedia_offer(struct callmedia *m, unsigned side, struct sv body,
    struct buf *out) RP_MUST_CHECK;
/* The answer to the pending offer, from the other side; the answer for
 * the offerer is appended to 'out'. May be called again for the same
 * offer (183, then 200). Returns 0, -EBADMSG, -EPROTO, -EINVAL (no
 * offer pending) or -ENOMEM. */
int callmedia_answer(
    struct callmedia *m, struct sv body, struct buf *out) RP_MUST_CHECK;
/* Makes the last answered exchange the one in force (a final 2xx). */
void callmedia_commit(struct callmedia *m);
/* Drops a pending offer (its request failed). */
void callmedia_abandon(struct callmedia *m);

/* The endpoint facing 'side' as currently known, or NULL. */
const struct offer_endpoint *callmedia_endpoint(
    const struct callmedia *m, unsigned side);
/* True when 'body' carries the same o= line as the last SDP from
 * 'side': a session refresh, not a new offer (RFC 3264 §8). */
bool callmedia_unchanged(
    const struct callmedia *m, unsigned side, struct sv body);
/* The SDP 'side' last got from us (empty before any). */
struct sv callmedia_local(const struct callmedia *m, unsigned side);
/* True when both sides use SRTP. */
bool callmedia_encrypted(const struct callmedia *m);
/* True when the endpoint facing 'side' should be sending media now
 * (not on hold, not recvonly or inactive). */
bool callmedia_sending(const struct callmedia *m, unsigned side);

#endif
