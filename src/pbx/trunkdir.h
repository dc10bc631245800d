/* The trunks, routes and DIDs of the signalling thread (R-TRUNK-1..4):
 * every enabled trunk with the peer it is reached at and the networks
 * it may call from, every route, every DID, and the users' outbound
 * caller IDs, loaded from the store at start and on reload, so no
 * database read happens in the request path.
 *
 * A trunk whose host is an IP literal is usable at once; one with a host
 * name is loaded unusable until its owner resolves it (pbx/resolve.h)
 * and calls trunkdir_set_peer(). The port 0 means 5060, or 5061 for TLS
 * (or what DNS SRV says, for a name).
 *
 * Thread: the owner of the table (the signalling thread); the load on
 * the db's owner. */
#ifndef RP_PBX_TRUNKDIR_H
#define RP_PBX_TRUNKDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "pbx/callmedia.h"
#include "pbx/offer.h"
#include "policy/cidr.h"
#include "sip/transaction.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/trunks.h"
#include "store/users.h"

/* An IP literal as written in a URI: IPv6 in brackets. */
#define TRUNKDIR_URI_HOST_MAX (TRUNKS_HOST_MAX + 2)

/* A trunk as calls use it. NUL-terminated texts. */
struct trunkdir_trunk {
	char name[TRUNKS_NAME_MAX + 1];
	bool usable; /* false: its host is a name not resolved yet */
	struct sip_txn_peer peer;
	char uri_host[TRUNKDIR_URI_HOST_MAX + 1];
	uint16_t port; /* the default applied */
	/* From host: from_domain, else uri_host. */
	char from_domain[TRUNKDIR_URI_HOST_MAX + 1];
	char outbound_cid[USERS_E164_STRLEN]; /* "" = none */
	uint32_t channels;
	/* Networks inbound calls may come from; NULL: the peer's address
	 * only (a registration trunk without an access list). */
	struct cidr_set *acl;
	struct trunk_info info;             /* as stored, for registration */
	char secret[TRUNKS_SECRET_MAX + 1]; /* "" : none or not loaded */
};

struct trunkdir;

/* Fills *out from a stored trunk: the peer and URI host of an IP
 * literal, the default port. A host name gives -EAFNOSUPPORT with *out
 * filled but not usable. Returns 0 or -EAFNOSUPPORT. Any thread. */
int trunkdir_resolve(
    const struct trunk_info *t, struct trunkdir_trunk *out) RP_MUST_CHECK;

/* Loads every enabled trunk, every route, every DID and the users'
 * outbound numbers; with 'keys' (may be NULL) the trunks' secrets too,
 * for operators that challenge calls. On success *out is new; free it
 * with trunkdir_free(), which wipes the secrets. Returns 0, -ENOMEM,
 * -EBADMSG or the store's error. */
int trunkdir_load(struct trunkdir **out, struct db *db,
    const struct keys *keys) RP_MUST_CHECK;
/* NULL is fine. */
void trunkdir_free(struct trunkdir *d);

/* Counts: enabled trunks (usable or not), usable ones, routes. */
size_t trunkdir_trunks(const struct trunkdir *d);
size_t trunkdir_usable(const struct trunkdir *d);
size_t trunkdir_routes(const struct trunkdir *d);

/* An enabled trunk by name, usable or not, or NULL (unknown or
 * disabled). Valid until trunkdir_free(). */
const struct trunkdir_trunk *trunkdir_trunk(
    const struct trunkdir *d, struct sv name);

/* The trunk an inbound request from 'addr' belongs to: the first whose
 * access list holds the address, or, for a trunk without one, whose
 * peer has that address (any port). NULL: no trunk's (R-TRUNK-3). */
const struct trunkdir_trunk *trunkdir_from(
    const struct trunkdir *d, const struct sockaddr_storage *addr);

/* The codecs a trunk allows, as a media policy in 'out' (views into
 * 'out'); SRTP is never required of an operator. */
void trunkdir_policy(
    const struct trunkdir_trunk *t, struct callmedia_policy *out);

/* The DID of an E.164 number ("+33..."), or NULL. */
const struct did_info *trunkdir_did(const struct trunkdir *d, struct sv e164);
size_t trunkdir_dids(const struct trunkdir *d);

/* The i-th trunk's host name resolved (RFC 3263, pbx/resolve.h): 'peer' is
 * where its calls, probes and registrations go; the trunk becomes
 * usable. Its Request-URI and From keep the name. */
void trunkdir_set_peer(
    struct trunkdir *d, size_t i, const struct sip_txn_peer *peer);

/* The i-th enabled trunk (i < trunkdir_trunks()). */
const struct trunkdir_trunk *trunkdir_trunk_at(
    const struct trunkdir *d, size_t i);

/* routes_pick() over the loaded routes. Returns as routes_pick(). */
int trunkdir_pick(const struct trunkdir *d, struct sv number,
    struct route_choice *out) RP_MUST_CHECK;

/* The user's outbound caller ID, or an empty view. Valid until
 * trunkdir_free(). */
struct sv trunkdir_outbound_number(const struct trunkdir *d, struct sv ext);

#endif
