/* Time-based one-time passwords for administrator logins (R-AUTH-6).
 *
 * RFC 6238 with HMAC-SHA-1, 6 digits and 30-second steps counted from
 * the Unix epoch, computed by liboath. A code is accepted for the
 * current step and one step either side (clock drift), and only for a
 * step after the last one accepted, so a code is never accepted twice
 * (the caller stores the step). Enrolment gives an otpauth:// URI
 * (Google Authenticator "Key Uri Format") and the same URI as a QR code
 * drawn by libqrencode, in an SVG data URL a browser shows as it is.
 *
 * Thread rules: totp_init() once at start-up, before threads; then any
 * thread. Nothing here logs. */
#ifndef RP_ADMIN_TOTP_H
#define RP_ADMIN_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

#define TOTP_DIGITS 6u
#define TOTP_STEP_S 30
#define TOTP_WINDOW 1
#define TOTP_CODE_STRLEN (TOTP_DIGITS + 1u)
/* Longest secret, and its base32 text with its NUL. */
#define TOTP_SECRET_MAX 64u
#define TOTP_BASE32_STRLEN (TOTP_SECRET_MAX * 8u / 5u + 8u)

/* Initialises liboath. Returns 0 or -EIO. */
int totp_init(void) RP_MUST_CHECK;

/* The code of 'secret' for the time 't' (seconds since the epoch),
 * NUL-terminated. Returns 0, -EINVAL or -EIO. */
int totp_code(const uint8_t *secret, size_t len, int64_t t,
    char out[TOTP_CODE_STRLEN]) RP_MUST_CHECK;

/* The time step of 't'. */
int64_t totp_step(int64_t t);

/* Checks 'code' (exactly TOTP_DIGITS digits) at 'now' against the
 * steps now - 1 .. now + 1 that come after 'last_step', comparing in
 * constant time. On success *step gets the matching step. Returns 0,
 * -EALREADY (the code is that of an already used step: a replay),
 * -EACCES (wrong or malformed code) or -EIO. */
int totp_verify(const uint8_t *secret, size_t len, int64_t now, struct sv code,
    int64_t last_step, int64_t *step) RP_MUST_CHECK;

/* The secret in base32 (RFC 4648, no padding), NUL-terminated, as
 * authenticator apps take it. Returns 0, -EINVAL or -ENOMEM. */
int totp_base32(const uint8_t *secret, size_t len,
    char out[TOTP_BASE32_STRLEN]) RP_MUST_CHECK;

/* "otpauth://totp/ISSUER:ACCOUNT?secret=B32&issuer=ISSUER&algorithm=SHA1
 * &digits=6&period=30" into 'out'. 'issuer' and 'account' must be
 * made of characters that need no escaping in a URI (letters, digits,
 * '.', '_', '-'). Returns 0, -EINVAL or -ENAMETOOLONG. */
int totp_uri(const char *issuer, const char *account, const char *b32,
    char *out, size_t size) RP_MUST_CHECK;

/* Draws 'text' as a QR code (error correction level M) in SVG, as a
 * "data:image/svg+xml;base64,..." URL: *out is new, free it with
 * free(). Returns 0, -EINVAL (text too long for a QR code) or
 * -ENOMEM. */
int totp_qr_data_url(const char *text, char **out) RP_MUST_CHECK;

#endif
