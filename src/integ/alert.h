/* Alert channels (R-FRAUD-4): every block and anomaly becomes an alert
 * sent to an HTTPS webhook and by email, de-duplicated and rate-limited
 * so that an attack yields a few clear alerts, not thousands. The
 * security log line of the event is written by its producer
 * (core/seclog.h); this module adds the channels that reach a person.
 *
 * A struct alert is a dispatcher with a thread of its own. Producers
 * (the signalling thread: fraud blocks, ceilings, anomalies, the
 * perimeter guard's user_under_attack, bans and scanner hits) call
 * alert_post(), which only copies the event into a bounded queue: no
 * I/O, no allocation, a mutex held for a copy. When the queue is full
 * the event is dropped and counted. The dispatcher thread then:
 *
 *  1. De-duplicates: the first event of a dedupe key is sent at once;
 *     later events with the same key within dedupe_s seconds are only
 *     counted, and when that window ends one summary ("N more ...",
 *     with the last event's text) is sent if any were counted. The next
 *     event of that key starts a new window. An empty key means
 *     kind + subject.
 *  2. Rate-limits each channel: at most rate_per_min alerts per channel
 *     in each minute; beyond that alerts are counted, and when the
 *     minute ends one "N alerts suppressed" message is sent. Summaries
 *     and test alerts are never limited.
 *  3. Delivers: each channel has a small outbox, sent in order. A
 *     failed attempt is retried with exponential backoff (backoff_ms,
 *     doubled each time) up to 'attempts' tries within deadline_ms of
 *     the first; then the alert is given up and counted as failed.
 *
 * Webhook: POST of a JSON object (application/json) to an https:// URL
 * (plain http:// only to a loopback address: 127.0.0.0/8 or [::1], for
 * tests and local relays), with the headers
 *   X-Rempart-Timestamp: seconds since the epoch
 *   X-Rempart-Signature: "sha256=" + lower-case hex of
 *       HMAC-SHA256(secret, timestamp + "." + body)
 * A 2xx status means delivered. TLS certificates and host names are
 * always verified, against the system store or ca_file (a private CA).
 * Redirects are not followed and proxies from the environment are not
 * used. The body has the fields time (RFC 3339 UTC), kind, severity,
 * subject, text, count (events this alert stands for), summary and
 * test (booleans), and details (the event's JSON object, or null).
 *
 * Email: SMTP through libcurl to smtps://host[:port] (TLS from the
 * start) or smtp://host[:port] with starttls (STARTTLS required; plain
 * smtp:// without it only to a loopback address), from one address to
 * up to ALERT_RCPT_MAX recipients, with optional user and password. A
 * plain-text message with From, To, Subject, Date and Message-ID.
 * Addresses and user names with CR, LF or any control character are
 * refused when the configuration is checked, so no header can be
 * injected; text from events is cleaned of control characters.
 *
 * Thread rules: alert_global_init() once at start-up, before any
 * thread. alert_new() and alert_free() by the owner. alert_post(),
 * alert_test() and alert_status() from any thread, concurrently.
 * alert_deliver() blocks (network I/O): never on the signalling thread.
 * The pure checks (alert_config_check() and the like) on any thread. */
#ifndef RP_INTEG_ALERT_H
#define RP_INTEG_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/compiler.h"
#include "core/sv.h"

/* Event fields are cut to these lengths (bytes) when posted. */
#define ALERT_KIND_MAX 32
#define ALERT_SUBJECT_MAX 128
#define ALERT_KEY_MAX 128
#define ALERT_TEXT_MAX 256
/* The details object: longer ones are refused by alert_post(). */
#define ALERT_DETAILS_MAX 1024
/* Events waiting for the dispatcher; more are dropped and counted. */
#define ALERT_QUEUE_MAX 256
/* Alerts waiting per channel (retries block the ones behind). */
#define ALERT_OUTBOX_MAX 32
/* Dedupe keys tracked at once; past that the oldest window is closed
 * (its summary sent) to make room. */
#define ALERT_DEDUPE_SLOTS 512

/* Configuration limits. */
#define ALERT_URL_MAX 512
#define ALERT_SECRET_MIN 16
#define ALERT_SECRET_MAX 256
#define ALERT_PATH_MAX 512
#define ALERT_ADDR_MAX 254
#define ALERT_RCPT_MAX 8
#define ALERT_USER_MAX 128
#define ALERT_PASSWORD_MAX 256
#define ALERT_DEDUPE_DEFAULT_S 300
#define ALERT_DEDUPE_MAX_S 86400
#define ALERT_RATE_DEFAULT 10
#define ALERT_RATE_MAX 1000
#define ALERT_ATTEMPTS_DEFAULT 5
#define ALERT_ATTEMPTS_MAX 20
#define ALERT_TIMEOUT_DEFAULT_MS 10000
#define ALERT_BACKOFF_DEFAULT_MS 1000
#define ALERT_DEADLINE_DEFAULT_MS 120000
/* How long alert_free() keeps delivering what is queued. */
#define ALERT_DRAIN_MS 2000
/* The text of a delivery error, with its NUL. */
#define ALERT_ERROR_MAX 256

enum alert_severity {
	ALERT_SEV_INFO,
	ALERT_SEV_WARNING,
	ALERT_SEV_CRITICAL,
};

enum alert_channel {
	ALERT_CH_WEBHOOK,
	ALERT_CH_EMAIL,
};
#define ALERT_CH_COUNT 2

/* One event. Views are borrowed for the call and copied (cut to the
 * limits above). 'kind' is a fixed token: "user_under_attack",
 * "fraud_block", "ceiling_reached", "anomaly", "scanner", "ban", ...
 * 'subject' is the user or address concerned; 'key' groups events for
 * de-duplication (SV_NULL or empty: kind + subject); 'text' is one line
 * for a person; 'details' is SV_NULL or a JSON object (text), sent as
 * is in the webhook body and shown in the email (one that does not
 * parse as an object is left out). time_ms 0 means now. */
struct alert_event {
	struct sv kind;
	enum alert_severity severity;
	struct sv subject;
	struct sv key;
	struct sv text;
	struct sv details;
	int64_t time_ms;
};

/* Retries of one channel. */
struct alert_retry {
	uint32_t attempts;    /* tries in all, 1 to ALERT_ATTEMPTS_MAX */
	uint32_t timeout_ms;  /* one try, connection included */
	uint32_t backoff_ms;  /* wait after the first failure, then doubled */
	uint32_t deadline_ms; /* no new try this long after the first */
};

/* An empty url turns a channel off. Texts are NUL-terminated. */
struct alert_webhook_config {
	char url[ALERT_URL_MAX + 1];
	char secret[ALERT_SECRET_MAX + 1]; /* the HMAC key */
	char ca_file[ALERT_PATH_MAX + 1];  /* "" = the system store */
	struct alert_retry retry;
};

struct alert_email_config {
	char url[ALERT_URL_MAX + 1]; /* smtp://host[:port] or smtps:// */
	bool starttls;               /* smtp://: require STARTTLS */
	char from[ALERT_ADDR_MAX + 1];
	unsigned n_to;
	char to[ALERT_RCPT_MAX][ALERT_ADDR_MAX + 1];
	char user[ALERT_USER_MAX + 1]; /* "" = no authentication */
	char password[ALERT_PASSWORD_MAX + 1];
	char ca_file[ALERT_PATH_MAX + 1];
	struct alert_retry retry;
};

/* The clock of de-duplication and rate limits, in ms since the epoch:
 * tests inject one; NULL means CLOCK_REALTIME. Called on the dispatcher
 * thread only. */
typedef int64_t (*alert_clock_cb)(void *arg);

struct alert_config {
	struct alert_webhook_config webhook;
	struct alert_email_config email;
	uint32_t dedupe_s;     /* 0 turns de-duplication off */
	uint32_t rate_per_min; /* per channel, 1 to ALERT_RATE_MAX */
	alert_clock_cb clock;
	void *clock_arg;
};

struct alert;

/* What a channel did, for the security self-assessment. Times in ms
 * since the epoch, 0 for never. */
struct alert_status {
	bool configured;
	int64_t last_attempt_ms;
	int64_t last_success_ms;
	char last_error[ALERT_ERROR_MAX]; /* of the last failure, "" if none */
	uint64_t sent;                    /* alerts delivered */
	uint64_t failed;     /* alerts given up after their retries */
	uint64_t dropped;    /* lost to a full queue or outbox */
	uint64_t suppressed; /* over the rate limit (summarised) */
};

/* Sets up libcurl. Call once at start-up, before any thread starts;
 * returns 0 or -EIO. alert_global_cleanup() at exit, after the last
 * alert_free(). */
int alert_global_init(void) RP_MUST_CHECK;
void alert_global_cleanup(void);

/* "webhook", "email"; "info", "warning", "critical". The parsers
 * return 0 or -EINVAL. Any thread. */
const char *alert_channel_name(enum alert_channel ch);
const char *alert_severity_name(enum alert_severity sev);
int alert_channel_parse(struct sv text, enum alert_channel *out) RP_MUST_CHECK;

/* Zeroes *cfg and sets the defaults: both channels off, dedupe_s and
 * rate_per_min and each channel's retries at their defaults. */
void alert_config_init(struct alert_config *cfg);
/* Overwrites the secrets of *cfg (call before it goes out of scope). */
void alert_config_wipe(struct alert_config *cfg);

/* The checks of one setting. Any thread. A webhook URL: https://HOST
 * (or http:// to a loopback literal), no user info, no fragment, no
 * spaces or control characters. An email URL: smtps://HOST[:port] or
 * smtp://HOST[:port] (plain only to a loopback literal unless
 * 'starttls'), no path, no user info. An address: local@domain in
 * printable ASCII, without spaces, quotes, angle brackets, commas or
 * control characters. A user name or a secret: printable (no control
 * characters), 1 to its limit. */
bool alert_webhook_url_valid(struct sv url);
bool alert_email_url_valid(struct sv url, bool starttls);
bool alert_address_valid(struct sv addr);
bool alert_text_valid(struct sv text, size_t max);

/* Checks a whole configuration; a channel that is off is not checked.
 * On -EINVAL *field (may be NULL) names the bad setting with its
 * settings key ("alert.webhook.url", "alert.email.to", ...: static
 * text). Returns 0 or -EINVAL. Any thread. */
int alert_config_check(
    const struct alert_config *cfg, const char **field) RP_MUST_CHECK;

/* Starts a dispatcher with a copy of *cfg (which must pass
 * alert_config_check()). On success *out is new; free it with
 * alert_free(). Returns 0, -EINVAL, -ENOMEM or a negative errno from
 * thread creation. Owner thread. */
int alert_new(struct alert **out, const struct alert_config *cfg) RP_MUST_CHECK;

/* Stops the dispatcher: events still queued are processed and alerts
 * delivered for at most ALERT_DRAIN_MS (attempts cut to that), then
 * the thread is joined and the secrets wiped. NULL is fine. Owner
 * thread, after every producer stopped posting. */
void alert_free(struct alert *a);

/* Queues a copy of *ev for the dispatcher. Never blocks on I/O and
 * never allocates: meant for the signalling thread. Returns 0,
 * -EINVAL (an empty kind or details over ALERT_DETAILS_MAX), -EAGAIN
 * (the queue is full: dropped and counted on every configured
 * channel). Any thread. */
int alert_post(struct alert *a, const struct alert_event *ev) RP_MUST_CHECK;

/* Asks the dispatcher for a test alert on one channel, past
 * de-duplication and the rate limit (requests made before it is sent
 * make one); its outcome shows in alert_status(). Returns 0, -ENOENT
 * (the channel is off) or -EINVAL. Any thread. */
int alert_test(struct alert *a, enum alert_channel ch) RP_MUST_CHECK;

/* Copies the status of one channel into *out. Any thread. */
void alert_status(
    struct alert *a, enum alert_channel ch, struct alert_status *out);

/* Delivers one event on one channel now, with that channel's retries,
 * without de-duplication or rate limit: the CLI's 'alert test'. On
 * failure 'err' (err_size bytes, may be NULL) gets the last error.
 * Returns 0, -ENOENT (the channel is off), -EINVAL (a bad config or
 * event), -ENOMEM or -EIO (not delivered). Blocks: any thread but the
 * signalling one. */
int alert_deliver(const struct alert_config *cfg, enum alert_channel ch,
    const struct alert_event *ev, char *err, size_t err_size) RP_MUST_CHECK;

#endif
