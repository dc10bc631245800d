/* The trunks and routes the signalling thread sends outbound calls
 * through (R-TRUNK-2): every enabled trunk with the peer it is reached
 * at, every route, and the users' outbound caller IDs, loaded from the
 * store at start and on reload, so no database read happens in the
 * request path.
 *
 * A trunk's host must be an IPv4 or IPv6 literal: a host name needs RFC
 * 3263 resolution, which is not done yet, so such a trunk is loaded but
 * marked unusable (and logged). The port 0 means 5060, or 5061 for TLS.
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
#include "pbx/offer.h"
#include "sip/transaction.h"
#include "store/db.h"
#include "store/trunks.h"
#include "store/users.h"

/* An IP literal as written in a URI: IPv6 in brackets. */
#define TRUNKDIR_URI_HOST_MAX (TRUNKS_HOST_MAX + 2)

/* A trunk as calls use it. NUL-terminated texts. */
struct trunkdir_trunk {
	char name[TRUNKS_NAME_MAX + 1];
	bool usable; /* false: its host is a name (no RFC 3263 yet) */
	struct sip_txn_peer peer;
	char uri_host[TRUNKDIR_URI_HOST_MAX + 1];
	uint16_t port; /* the default applied */
	/* From host: from_domain, else uri_host. */
	char from_domain[TRUNKDIR_URI_HOST_MAX + 1];
	char outbound_cid[USERS_E164_STRLEN]; /* "" = none */
	uint32_t channels;
};

struct trunkdir;

/* Fills *out from a stored trunk: the peer and URI host of an IP
 * literal, the default port. A host name gives -EAFNOSUPPORT with *out
 * filled but not usable. Returns 0 or -EAFNOSUPPORT. Any thread. */
int trunkdir_resolve(
    const struct trunk_info *t, struct trunkdir_trunk *out) RP_MUST_CHECK;

/* Loads every enabled trunk, every route and the users' outbound
 * numbers. On success *out is new; free it with trunkdir_free().
 * Returns 0, -ENOMEM, -EBADMSG or the store's error. */
int trunkdir_load(struct trunkdir **out, struct db *db) RP_MUST_CHECK;
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

/* routes_pick() over the loaded routes. Returns as routes_pick(). */
int trunkdir_pick(const struct trunkdir *d, struct sv number,
    struct route_choice *out) RP_MUST_CHECK;

/* The user's outbound caller ID, or an empty view. Valid until
 * trunkdir_free(). */
struct sv trunkdir_outbound_number(const struct trunkdir *d, struct sv ext);

#endif
