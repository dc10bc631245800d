/* The user directory the signalling thread authenticates against: every
 * enabled extension with its HA1s, loaded from the store at start and on
 * reload, so no database read happens in the request path. */
#ifndef RP_PBX_DIRECTORY_H
#define RP_PBX_DIRECTORY_H

#include <stddef.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "sip/auth.h"
#include "store/db.h"
#include "store/keys.h"

struct directory;

/* Loads every enabled user (decrypting the HA1s). On success *out is
 * new; free it with directory_free(), which wipes the HA1s. Returns 0,
 * -ENOMEM, or the store's error. Thread: the db's owner. */
int directory_load(
    struct directory **out, struct db *db, const struct keys *k) RP_MUST_CHECK;
void directory_free(struct directory *d);

/* The HA1s of an enabled user, or NULL (unknown or disabled: callers
 * treat both alike, R-AUTH-5). Valid until directory_free(). */
const struct sip_auth_ha1 *directory_find(
    const struct directory *d, struct sv ext);
size_t directory_count(const struct directory *d);

#endif
