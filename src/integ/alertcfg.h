/* The alert channels' configuration in the settings table
 * (store/settings.h), for the daemon and the CLI (R-FRAUD-4).
 *
 * Keys (absent or "" means unset):
 *   alert.webhook.url       https:// URL; "" turns the webhook off
 *   alert.webhook.secret    the HMAC key, sealed (see below)
 *   alert.webhook.ca_file   a CA bundle for a private CA
 *   alert.email.url         smtp://host[:port] or smtps://; "" = off
 *   alert.email.starttls    "true" or "false"
 *   alert.email.from        one address
 *   alert.email.to          addresses, comma-separated
 *   alert.email.user        SMTP user name
 *   alert.email.password    sealed (see below)
 *   alert.email.ca_file     a CA bundle for a private CA
 *   alert.dedupe_s          de-duplication window, seconds (300)
 *   alert.rate_per_min      alerts per channel per minute (10)
 *
 * Secrets are sealed under the master key (store/keys.h, R-CRYPTO-3)
 * with the associated data "settings:" + key, and stored as lower-case
 * hex (settings hold text), so a value moved to another key does not
 * open and no secret is readable in the database.
 *
 * Thread rules: those of the db handle; alertcfg_parse_to() on any
 * thread. */
#ifndef RP_INTEG_ALERTCFG_H
#define RP_INTEG_ALERTCFG_H

#include "core/compiler.h"
#include "core/sv.h"
#include "integ/alert.h"
#include "store/db.h"
#include "store/keys.h"

#define ALERTCFG_WEBHOOK_URL "alert.webhook.url"
#define ALERTCFG_WEBHOOK_SECRET "alert.webhook.secret"
#define ALERTCFG_WEBHOOK_CA_FILE "alert.webhook.ca_file"
#define ALERTCFG_EMAIL_URL "alert.email.url"
#define ALERTCFG_EMAIL_STARTTLS "alert.email.starttls"
#define ALERTCFG_EMAIL_FROM "alert.email.from"
#define ALERTCFG_EMAIL_TO "alert.email.to"
#define ALERTCFG_EMAIL_USER "alert.email.user"
#define ALERTCFG_EMAIL_PASSWORD "alert.email.password"
#define ALERTCFG_EMAIL_CA_FILE "alert.email.ca_file"
#define ALERTCFG_DEDUPE_S "alert.dedupe_s"
#define ALERTCFG_RATE_PER_MIN "alert.rate_per_min"

/* Reads the configuration into *out (alert_config_init() first, so
 * unset keys keep their defaults and a database without any leaves
 * both channels off), opening the secrets. On error *out is wiped and
 * left with both channels off. Returns 0, -EBADMSG (a stored value
 * breaks the rules of alert_config_check(), or a secret does not open:
 * logged with the key), -ENOMEM or a store error. Wipe *out with
 * alert_config_wipe() when done. */
int alertcfg_load(struct db *db, const struct keys *keys,
    struct alert_config *out) RP_MUST_CHECK;

/* Checks *cfg (alert_config_check()) and writes every key, sealing the
 * secrets. A channel that is off is stored with all its keys empty.
 * The caller runs it inside its transaction (with the audit entry).
 * Returns 0, -EINVAL (*field, may be NULL, names the bad key), -ENOMEM,
 * -E2BIG or a store error. The retries are not stored: they keep
 * their defaults. */
int alertcfg_save(struct db *db, const struct keys *keys,
    const struct alert_config *cfg, const char **field) RP_MUST_CHECK;

/* Parses "a@example.com, b@example.com" into e->to and e->n_to:
 * comma-separated, spaces around each address ignored. Returns 0,
 * -EINVAL (an empty or invalid address) or -E2BIG (more than
 * ALERT_RCPT_MAX). */
int alertcfg_parse_to(
    struct sv list, struct alert_email_config *e) RP_MUST_CHECK;

#endif
