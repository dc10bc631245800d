/* Self-signed TLS certificate for a fresh installation. */
#ifndef RP_MAIN_SELFSIGNED_H
#define RP_MAIN_SELFSIGNED_H

/* Writes an ECDSA P-256 key (mode 0600) and a self-signed certificate
 * for 'common_name', valid 825 days, to key_path and cert_path. Refuses
 * to overwrite existing files. Returns 0, -EEXIST, -EIO or -ENOMEM. */
int selfsigned_create(
    const char *cert_path, const char *key_path, const char *common_name);

#endif
