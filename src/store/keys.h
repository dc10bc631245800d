/* The master key and encryption at rest (R-CRYPTO-3).
 *
 * DATA_DIR/keys/master.key holds 32 random bytes, mode 0600, in a
 * directory of mode 0700. Secrets stored in the database (SIP HA1s, API
 * keys) are sealed with AES-256-GCM under that key:
 *
 *   key id (1 byte) || nonce (12 random bytes) || ciphertext || tag (16)
 *
 * The key id names the key that sealed the value, so a later key
 * rotation can keep old values readable while it re-seals them; today
 * only KEYS_ID_CURRENT exists. The associated data (AAD) binds a sealed
 * value to its place: pass the table, column and row key, for instance
 * "users.ha1_md5:" + ext, so a value copied to another row or column
 * fails to open. The key id is authenticated too.
 *
 * Nonces are random: under one key that stays safe for about 2^32 seals,
 * far more than a PBX writes between rotations.
 *
 * Thread rules: a loaded struct keys is read-only; keys_seal() and
 * keys_open() may run on any number of threads at once. */
#ifndef RP_STORE_KEYS_H
#define RP_STORE_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/compiler.h"
#include "core/sv.h"

#define KEYS_DIR_NAME "keys"
#define KEYS_FILE_NAME "master.key"
#define KEYS_MASTER_LEN 32
#define KEYS_ID_CURRENT 1
#define KEYS_NONCE_LEN 12
#define KEYS_TAG_LEN 16
/* Bytes a sealed value adds to its plaintext. */
#define KEYS_SEAL_OVERHEAD (1 + KEYS_NONCE_LEN + KEYS_TAG_LEN)
/* Limits on one value (larger data, like recordings, is streamed by the
 * spool, not sealed whole) and on its associated data. */
#define KEYS_PLAINTEXT_MAX (1024u * 1024u)
#define KEYS_AAD_MAX 1024u

struct keys;

/* Creates DATA_DIR/keys/ (mode 0700, tightened if it exists with a wider
 * mode) and a new master key in it: 32 bytes from the OpenSSL random
 * generator, written to a temporary file with mode 0600, synced, then
 * renamed into place, and the directory synced. Never replaces a key:
 * the data sealed under it would be lost. Returns 0, -EEXIST (a key file
 * is already there), -ENAMETOOLONG, -EIO (no randomness) or a negative
 * errno from the file system. Start-up or CLI; any thread. */
int keys_init(const char *data_dir) RP_MUST_CHECK;

/* Loads the master key. Refuses, with a log line saying why: a key file
 * or directory not owned by this user (or root), a key file that is a
 * symbolic link or readable or writable by group or others, and a keys
 * directory writable by group or others (-EPERM); a key file that is not
 * a regular file of exactly KEYS_MASTER_LEN bytes (-EINVAL); a missing
 * key (-ENOENT). On success *out is new; free it with keys_free().
 * Returns 0 or one of those, -ENOMEM, -ENAMETOOLONG, or another negative
 * errno. Start-up; any thread. */
int keys_load(const char *data_dir, struct keys **out) RP_MUST_CHECK;

/* Wipes and frees the key (NULL is fine). */
void keys_free(struct keys *k);

/* Seals 'plaintext' bound to 'aad', appending the sealed value
 * (plaintext.len + KEYS_SEAL_OVERHEAD bytes) to 'out'. On error 'out'
 * is left as it was. Returns 0, -E2BIG (over KEYS_PLAINTEXT_MAX or
 * KEYS_AAD_MAX, or over the buffer's cap), -ENOMEM or -EIO. */
int keys_seal(const struct keys *k, struct sv plaintext, struct sv aad,
    struct buf *out) RP_MUST_CHECK;

/* Opens a value from keys_seal() with the same 'aad', appending the
 * plaintext to 'out'. The plaintext is written in place once the buffer
 * has grown, so no stray copy is left in freed memory; wipe 'out' with
 * keys_wipe_buf() when done. Returns 0, -EBADMSG (too short, unknown key
 * id, or any byte of the value or of the AAD changed), -E2BIG, -ENOMEM
 * or -EIO; on error 'out' is left as it was. */
int keys_open(const struct keys *k, struct sv sealed, struct sv aad,
    struct buf *out) RP_MUST_CHECK;

/* Longest output of keys_derive(). */
#define KEYS_DERIVE_MAX 64u

/* Derives 'len' bytes for one purpose from the master key, with HKDF
 * (RFC 5869) over SHA-256: no salt, 'label' as the info. Each purpose
 * uses its own label ("rempart audit hmac v1", ...), so a key derived
 * for one never serves another, and the master key itself never leaves
 * this module. Wipe 'out' with keys_wipe() when done. Returns 0,
 * -EINVAL (empty label, len 0 or over KEYS_DERIVE_MAX) or -EIO. Any
 * thread. */
int keys_derive(const struct keys *k, const char *label, uint8_t *out,
    size_t len) RP_MUST_CHECK;

/* Overwrites len bytes at p with zeros in a way the compiler keeps. */
void keys_wipe(void *p, size_t len);
/* Wipes a buffer's whole storage, then releases it. */
void keys_wipe_buf(struct buf *b);

#endif
