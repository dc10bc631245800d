/* TOTP codes (liboath) and enrolment QR codes (libqrencode). */
#include "admin/totp.h"

#include <errno.h>
#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

#define TOTP_QR_MARGIN 4
#define TOTP_URL_PREFIX "data:image/svg+xml;base64,"

int
totp_init(void)
{
	if (oath_init() != OATH_OK || sodium_init() < 0)
		return -EIO;
	return 0;
}

int64_t
totp_step(int64_t t)
{
	return t / TOTP_STEP_S;
}

int
totp_code(
    const uint8_t *secret, size_t len, int64_t t, char out[TOTP_CODE_STRLEN])
{
	if (len == 0 || len > TOTP_SECRET_MAX || t < 0)
		return -EINVAL;
	if (oath_totp_generate((const char *)secret, len, (time_t)t,
	        TOTP_STEP_S, OATH_TOTP_DEFAULT_START_TIME, TOTP_DIGITS,
	        out) != OATH_OK)
		return -EIO;
	return 0;
}

static bool
totp_code_valid(struct sv code)
{
	if (code.len != TOTP_DIGITS)
		return false;
	for (size_t i = 0; i < code.len; i++)
		if (code.p[i] < '0' || code.p[i] > '9')
			return false;
	return true;
}

int
totp_verify(const uint8_t *secret, size_t len, int64_t now, struct sv code,
    int64_t last_step, int64_t *step)
{
	char want[TOTP_CODE_STRLEN];
	bool replay = false;
	int rc = -EACCES;

	if (!totp_code_valid(code) || now < TOTP_STEP_S)
		return -EACCES;
	for (int d = -TOTP_WINDOW; d <= TOTP_WINDOW && rc == -EACCES; d++) {
		int64_t t = now + (int64_t)d * TOTP_STEP_S;
		bool match;

		if (totp_code(secret, len, t, want) != 0) {
			rc = -EIO;
			break;
		}
		match = sodium_memcmp(want, code.p, TOTP_DIGITS) == 0;
		if (match && totp_step(t) <= last_step)
			replay = true;
		else if (match) {
			*step = totp_step(t);
			rc = 0;
		}
	}
	sodium_memzero(want, sizeof(want));
	if (rc == -EACCES && replay)
		rc = -EALREADY;
	return rc;
}

int
totp_base32(const uint8_t *secret, size_t len, char out[TOTP_BASE32_STRLEN])
{
	char *text = NULL;
	size_t n = 0;

	if (len == 0 || len > TOTP_SECRET_MAX)
		return -EINVAL;
	if (oath_base32_encode((const char *)secret, len, &text, &n) != OATH_OK)
		return -ENOMEM;
	/* Authenticator apps take the secret without '=' padding. */
	while (n > 0 && text[n - 1] == '=')
		n--;
	if (n >= TOTP_BASE32_STRLEN) {
		sodium_memzero(text, n);
		free(text);
		return -EINVAL;
	}
	memcpy(out, text, n);
	out[n] = '\0';
	sodium_memzero(text, n);
	free(text);
	return 0;
}

static bool
totp_label_valid(const char *s)
{
	if (s[0] == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		        *s == '-'))
			return false;
	return true;
}

int
totp_uri(const char *issuer, const char *account, const char *b32, char *out,
    size_t size)
{
	int n;

	if (!totp_label_valid(issuer) || !totp_label_valid(account) ||
	    !totp_label_valid(b32))
		return -EINVAL;
	n = snprintf(out, size,
	    "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1"
	    "&digits=%u&period=%d",
	    issuer, account, b32, issuer, TOTP_DIGITS, TOTP_STEP_S);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The QR code as SVG: one path of unit squares, dark modules only. */
static void
totp_svg(const QRcode *qr, struct buf *b)
{
	int w = qr->width, full = qr->width + 2 * TOTP_QR_MARGIN;

	buf_printf(b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" "
	    "fill=\"#fff\"/><path fill=\"#000\" d=\"",
	    full, full, full, full);
	for (int y = 0; y < w; y++)
		for (int x = 0; x < w; x++)
			if (qr->data[y * w + x] & 1u)
				buf_printf(b, "M%d %dh1v1h-1z",
				    x + TOTP_QR_MARGIN, y + TOTP_QR_MARGIN);
	buf_append_cstr(b, "\"/></svg>");
}

int
totp_qr_data_url(const char *text, char **out)
{
	QRcode *qr;
	struct buf svg;
	size_t n;
	char *url;
	int rc;

	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL)
		return errno == ENOMEM ? -ENOMEM : -EINVAL;
	buf_init(&svg, 0);
	totp_svg(qr, &svg);
	QRcode_free(qr);
	rc = buf_error(&svg);
	if (rc != 0) {
		buf_release(&svg);
		return rc;
	}
	n = sodium_base64_ENCODED_LEN(svg.len, sodium_base64_VARIANT_ORIGINAL);
	url = malloc(sizeof(TOTP_URL_PREFIX) - 1 + n);
	if (url == NULL) {
		buf_release(&svg);
		return -ENOMEM;
	}
	memcpy(url, TOTP_URL_PREFIX, sizeof(TOTP_URL_PREFIX) - 1);
	sodium_bin2base64(url + sizeof(TOTP_URL_PREFIX) - 1, n,
	    (const unsigned char *)svg.data, svg.len,
	    sodium_base64_VARIANT_ORIGINAL);
	buf_release(&svg);
	*out = url;
	return 0;
}
