/* The user directory the signalling thread authenticates against: every
 * enabled extension with its HA1s, loaded from the store at start and on
 * reload, so no database read happens in the request path. */
#ifndef RP_PBX_DIRECTORY_H
#define RP_PBX_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "policy/cidr.h"
#include "sip/auth.h"
#include "store/db.h"
#include "store/keys.h"
#include "store/users.h"

struct directory;
struct offer_policy;

/* An enabled user as the signalling thread sees it. */
struct directory_user {
	struct sip_auth_ha1 ha1;
	char ext[USERS_EXT_MAX + 1];
	char display_name[USERS_NAME_BYTES_MAX + 1];
	bool srtp_required; /* refuse calls whose media is not SRTP */
	/* Where calls go when the user cannot take them: an extension,
	 * an E.164 number or "" (R-TRUNK-4). */
	char alternate[USERS_ALTERNATE_STRLEN];
	/* Allowed codec encoding names, as stored (compare them ignoring
	 * case); codec_count 0 means any codec. */
	size_t codec_count;
	char codecs[USERS_CODECS_MAX][USERS_CODEC_NAME_MAX + 1];
	struct sv codec_names[USERS_CODECS_MAX]; /* views of codecs[] */
	/* Networks the user's devices may use; NULL means anywhere. */
	struct cidr_set *acl;
};

/* Loads every enabled user (decrypting the HA1s) with its media and
 * access settings. On success *out is new; free it with
 * directory_free(), which wipes the HA1s. Returns 0, -ENOMEM, -EBADMSG
 * (a stored setting that does not parse), or the store's error. Thread:
 * the db's owner. */
int directory_load(
    struct directory **out, struct db *db, const struct keys *k) RP_MUST_CHECK;
void directory_free(struct directory *d);

/* The HA1s of an enabled user, or NULL (unknown or disabled: callers
 * treat both alike, R-AUTH-5). Valid until directory_free(). */
const struct sip_auth_ha1 *directory_find(
    const struct directory *d, struct sv ext);
size_t directory_count(const struct directory *d);

/* The whole entry of an enabled user, or NULL (unknown or disabled).
 * Valid until directory_free(). Thread: the directory's owner. */
const struct directory_user *directory_user(
    const struct directory *d, struct sv ext);

/* True when the user has no access list or 'addr' is inside it (an
 * IPv4-mapped IPv6 address counts as IPv4); false for an address of
 * another family. Any thread, as long as the directory lives. */
bool directory_acl_allows(
    const struct directory_user *u, const struct sockaddr_storage *addr);

/* True when the user has no codec list or 'name' (an SDP encoding name)
 * is in it, ignoring case (RFC 4566 §6). */
bool directory_codec_allowed(const struct directory_user *u, struct sv name);

/* Fills the media policy of pbx/offer.h for calls of this user. Its
 * views point into the directory: valid until directory_free(). */
void directory_offer_policy(
    const struct directory_user *u, struct offer_policy *out);

#endif
