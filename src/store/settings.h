/* Key/value settings in the database (table 'settings'). */
#ifndef RP_STORE_SETTINGS_H
#define RP_STORE_SETTINGS_H

#include <stddef.h>

#include "core/compiler.h"
#include "core/sv.h"
#include "store/db.h"

#define SETTINGS_VALUE_MAX 1024u
/* The SIP digest realm, set at init. */
#define SETTINGS_SIP_REALM "sip.realm"

/* Copies the value of 'key' into out (NUL-terminated). Returns 0,
 * -ENOENT, -E2BIG (out too small) or -EIO. Thread: the db's owner. */
int settings_get(
    struct db *db, const char *key, char *out, size_t out_size) RP_MUST_CHECK;
/* Sets (inserts or replaces) a value. Returns 0, -EINVAL (value over
 * SETTINGS_VALUE_MAX or with control bytes) or -EIO. */
int settings_set(struct db *db, const char *key, struct sv value) RP_MUST_CHECK;
/* Removes 'key'. Returns 0, -ENOENT (no such key) or a store error. */
int settings_delete(struct db *db, const char *key) RP_MUST_CHECK;

#endif
