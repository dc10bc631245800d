/* Alert channels: the dispatcher thread, de-duplication, rate limits,
 * and delivery by webhook and email through libcurl (R-FRAUD-4). */
#include "integ/alert.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"

#define RATE_WINDOW_MS 60000
/* The dedupe key of an event without one: kind '|' subject. */
#define KEY_MAX (ALERT_KEY_MAX + ALERT_KIND_MAX + ALERT_SUBJECT_MAX + 2)
/* Bytes of a webhook response read (and thrown away). */
#define RESPONSE_MAX 65536
#define USER_AGENT "rempart-alert/1"
#define BACKOFF_SHIFT_MAX 16

/* An event on its way in, and an alert on its way out. */
struct alert_item {
	char kind[ALERT_KIND_MAX + 1];
	enum alert_severity severity;
	char subject[ALERT_SUBJECT_MAX + 1];
	char key[ALERT_KEY_MAX + 1];
	char text[ALERT_TEXT_MAX + 1];
	char details[ALERT_DETAILS_MAX];
	size_t details_len;
	int64_t time_ms;
	uint64_t count; /* events it stands for */
	bool summary;
	bool test;
};

/* A de-duplication window: the first event was sent, later ones are
 * counted. The last one's words go into the summary. */
struct dedupe {
	bool used;
	char key[KEY_MAX + 1];
	int64_t end_ms;
	uint64_t count;
	char kind[ALERT_KIND_MAX + 1];
	enum alert_severity severity;
	char subject[ALERT_SUBJECT_MAX + 1];
	char text[ALERT_TEXT_MAX + 1];
};

struct outgoing {
	struct alert_item item;
	uint32_t tries;
	int64_t first_ms; /* monotonic, of the first try */
	int64_t next_ms;  /* monotonic */
};

/* Dispatcher-thread state of one channel. */
struct chan {
	bool on;
	struct outgoing *box; /* ring of ALERT_OUTBOX_MAX */
	size_t head;
	size_t len;
	int64_t rate_start_ms;
	uint32_t rate_count;
	uint64_t rate_suppressed;
};

struct alert {
	struct alert_config cfg;
	pthread_t thread;

	/* Under mu: the queue, requests and the status. */
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
	/* Monotonic ms after which a transfer in progress is cut short
	 * (0: never): set by alert_free(), read by the transfer. */
	_Atomic int64_t abort_at_ms;
	struct alert_item *queue; /* ring of ALERT_QUEUE_MAX */
	size_t q_head;
	size_t q_len;
	bool test_req[ALERT_CH_COUNT];
	struct alert_status status[ALERT_CH_COUNT];

	/* The dispatcher thread's alone: the event being taken, and the
	 * summary or test alert being built. */
	struct alert_item work;
	struct alert_item scratch;
	struct dedupe *dedupe;
	struct chan chan[ALERT_CH_COUNT];
};

static const char *const channel_names[ALERT_CH_COUNT] = {"webhook", "email"};
static const char *const severity_names[] = {"info", "warning", "critical"};

int
alert_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void
alert_global_cleanup(void)
{
	curl_global_cleanup();
}

const char *
alert_channel_name(enum alert_channel ch)
{
	return (unsigned)ch < ALERT_CH_COUNT ? channel_names[ch] : "?";
}

const char *
alert_severity_name(enum alert_severity sev)
{
	return (unsigned)sev < RP_ARRAY_LEN(severity_names)
	           ? severity_names[sev]
	           : "?";
}

int
alert_channel_parse(struct sv text, enum alert_channel *out)
{
	int i = sv_name_index(text, channel_names, ALERT_CH_COUNT);

	if (i < 0)
		return -EINVAL;
	*out = (enum alert_channel)i;
	return 0;
}

static void
retry_defaults(struct alert_retry *r)
{
	r->attempts = ALERT_ATTEMPTS_DEFAULT;
	r->timeout_ms = ALERT_TIMEOUT_DEFAULT_MS;
	r->backoff_ms = ALERT_BACKOFF_DEFAULT_MS;
	r->deadline_ms = ALERT_DEADLINE_DEFAULT_MS;
}

void
alert_config_init(struct alert_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	retry_defaults(&cfg->webhook.retry);
	retry_defaults(&cfg->email.retry);
	cfg->dedupe_s = ALERT_DEDUPE_DEFAULT_S;
	cfg->rate_per_min = ALERT_RATE_DEFAULT;
}

void
alert_config_wipe(struct alert_config *cfg)
{
	OPENSSL_cleanse(cfg->webhook.secret, sizeof(cfg->webhook.secret));
	OPENSSL_cleanse(cfg->email.password, sizeof(cfg->email.password));
}

/* --- Checks ---------------------------------------------------------- */

bool
alert_text_valid(struct sv text, size_t max)
{
	if (text.len == 0 || text.len > max)
		return false;
	for (size_t i = 0; i < text.len; i++) {
		unsigned char ch = (unsigned char)text.p[i];

		if (ch < 0x20 || ch == 0x7f)
			return false;
	}
	return true;
}

/* Printable ASCII without spaces: what a URL may hold. */
static bool
url_chars_valid(struct sv url)
{
	for (size_t i = 0; i < url.len; i++)
		if (url.p[i] <= 0x20 || url.p[i] >= 0x7f)
			return false;
	return true;
}

/* 127.0.0.0/8 or ::1, written as literals: names could resolve
 * anywhere. */
static bool
host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char inner[64];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (n < 3 || n - 2 >= sizeof(inner) || host[0] != '[' ||
	    host[n - 1] != ']')
		return false;
	memcpy(inner, host + 1, n - 2);
	inner[n - 2] = '\0';
	return inet_pton(AF_INET6, inner, &v6) == 1 &&
	       IN6_IS_ADDR_LOOPBACK(&v6);
}

/* Parses a URL with libcurl's own parser, so what is checked is what
 * libcurl will use. Gives the host (NUL-terminated) and whether the
 * path is empty or "/". Returns false for anything with user info, a
 * query or a fragment. */
static bool
url_parse(struct sv url, char *host, size_t host_size, bool *bare_path)
{
	char text[ALERT_URL_MAX + 1];
	CURLU *u;
	char *part = NULL;
	bool ok = false;

	if (url.len == 0 || url.len > ALERT_URL_MAX || !url_chars_valid(url))
		return false;
	memcpy(text, url.p, url.len);
	text[url.len] = '\0';
	u = curl_url();
	if (u == NULL)
		return false;
	if (curl_url_set(u, CURLUPART_URL, text, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &part, 0) != CURLUE_NO_USER ||
	    curl_url_get(u, CURLUPART_QUERY, &part, 0) != CURLUE_NO_QUERY ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) != CURLUE_NO_FRAGMENT)
		goto out;
	if (curl_url_get(u, CURLUPART_PATH, &part, 0) != CURLUE_OK)
		goto out;
	*bare_path = part[0] == '\0' || strcmp(part, "/") == 0;
	curl_free(part);
	part = NULL;
	if (curl_url_get(u, CURLUPART_HOST, &part, 0) != CURLUE_OK ||
	    part[0] == '\0' || strlen(part) >= host_size)
		goto out;
	memcpy(host, part, strlen(part) + 1);
	ok = true;
out:
	curl_free(part);
	curl_url_cleanup(u);
	return ok;
}

bool
alert_webhook_url_valid(struct sv url)
{
	char host[ALERT_URL_MAX + 1];
	bool bare;

	if (sv_starts_with(url, SV("https://")))
		return url_parse(url, host, sizeof(host), &bare);
	if (sv_starts_with(url, SV("http://")))
		return url_parse(url, host, sizeof(host), &bare) &&
		       host_is_loopback(host);
	return false;
}

bool
alert_email_url_valid(struct sv url, bool starttls)
{
	char host[ALERT_URL_MAX + 1];
	bool bare;

	if (sv_starts_with(url, SV("smtps://")))
		return url_parse(url, host, sizeof(host), &bare) && bare;
	if (sv_starts_with(url, SV("smtp://")))
		return url_parse(url, host, sizeof(host), &bare) && bare &&
		       (starttls || host_is_loopback(host));
	return false;
}

/* RFC 5322 atext, and '.' between atoms. */
static bool
local_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+/=?^_`{|}~-.", c);
}

bool
alert_address_valid(struct sv addr)
{
	struct sv local, domain = addr;
	bool label_empty = true;

	if (addr.len < 3 || addr.len > ALERT_ADDR_MAX)
		return false;
	if (!sv_split(&domain, '@', &local) || local.len == 0 ||
	    local.len > 64 || domain.len == 0)
		return false;
	for (size_t i = 0; i < local.len; i++)
		if (local.p[i] == '\0' || !local_char(local.p[i]))
			return false;
	if (local.p[0] == '.' || local.p[local.len - 1] == '.')
		return false;
	for (size_t i = 0; i < domain.len; i++) {
		char c = domain.p[i];

		if (c == '.') {
			if (label_empty)
				return false;
			label_empty = true;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-') {
			label_empty = false;
		} else {
			return false;
		}
	}
	return !label_empty;
}

static bool
retry_valid(const struct alert_retry *r)
{
	return r->attempts >= 1 && r->attempts <= ALERT_ATTEMPTS_MAX &&
	       r->timeout_ms >= 100 && r->timeout_ms <= 600000 &&
	       r->backoff_ms <= 600000 && r->deadline_ms >= r->timeout_ms &&
	       r->deadline_ms <= 3600000;
}

static bool
path_valid(const char *path)
{
	return path[0] == '\0' ||
	       (path[0] == '/' &&
	           alert_text_valid(sv_cstr(path), ALERT_PATH_MAX));
}

static int
check_webhook(const struct alert_webhook_config *w, const char **field)
{
	if (!alert_webhook_url_valid(sv_cstr(w->url)))
		*field = "alert.webhook.url";
	else if (strlen(w->secret) < ALERT_SECRET_MIN ||
	         !alert_text_valid(sv_cstr(w->secret), ALERT_SECRET_MAX))
		*field = "alert.webhook.secret";
	else if (!path_valid(w->ca_file))
		*field = "alert.webhook.ca_file";
	else if (!retry_valid(&w->retry))
		*field = "alert.webhook.retry";
	else
		return 0;
	return -EINVAL;
}

static int
check_email(const struct alert_email_config *e, const char **field)
{
	if (!alert_email_url_valid(sv_cstr(e->url), e->starttls)) {
		*field = "alert.email.url";
		return -EINVAL;
	}
	if (!alert_address_valid(sv_cstr(e->from))) {
		*field = "alert.email.from";
		return -EINVAL;
	}
	if (e->n_to == 0 || e->n_to > ALERT_RCPT_MAX) {
		*field = "alert.email.to";
		return -EINVAL;
	}
	for (unsigned i = 0; i < e->n_to; i++) {
		if (!alert_address_valid(sv_cstr(e->to[i]))) {
			*field = "alert.email.to";
			return -EINVAL;
		}
	}
	if (e->user[0] != '\0' &&
	    !alert_text_valid(sv_cstr(e->user), ALERT_USER_MAX))
		*field = "alert.email.user";
	else if ((e->user[0] != '\0') != (e->password[0] != '\0') ||
	         (e->password[0] != '\0' &&
	             !alert_text_valid(
	                 sv_cstr(e->password), ALERT_PASSWORD_MAX)))
		*field = "alert.email.password";
	else if (!path_valid(e->ca_file))
		*field = "alert.email.ca_file";
	else if (!retry_valid(&e->retry))
		*field = "alert.email.retry";
	else
		return 0;
	return -EINVAL;
}

int
alert_config_check(const struct alert_config *cfg, const char **field)
{
	const char *f = NULL;
	int rc = 0;

	if (cfg->webhook.url[0] != '\0')
		rc = check_webhook(&cfg->webhook, &f);
	if (rc == 0 && cfg->email.url[0] != '\0')
		rc = check_email(&cfg->email, &f);
	if (rc == 0 && cfg->dedupe_s > ALERT_DEDUPE_MAX_S) {
		f = "alert.dedupe_s";
		rc = -EINVAL;
	}
	if (rc == 0 &&
	    (cfg->rate_per_min < 1 || cfg->rate_per_min > ALERT_RATE_MAX)) {
		f = "alert.rate_per_min";
		rc = -EINVAL;
	}
	if (field != NULL)
		*field = f;
	return rc;
}

static bool
channel_on(const struct alert_config *cfg, enum alert_channel ch)
{
	return ch == ALERT_CH_WEBHOOK ? cfg->webhook.url[0] != '\0'
	                              : cfg->email.url[0] != '\0';
}

static const struct alert_retry *
channel_retry(const struct alert_config *cfg, enum alert_channel ch)
{
	return ch == ALERT_CH_WEBHOOK ? &cfg->webhook.retry : &cfg->email.retry;
}

/* --- Items ----------------------------------------------------------- */

/* Copies at most 'max' bytes of 'src' into dst (max + 1 bytes) as
 * printable UTF-8: control characters (C0, DEL, C1) and bytes that are
 * not valid UTF-8 become '?', and a sequence that does not fit whole
 * is left out. */
static void
clean_copy(char *dst, size_t max, struct sv src)
{
	size_t o = 0, i = 0;

	while (i < src.len && o < max) {
		uint32_t cp = 0;
		size_t n = sv_utf8_seq(src, i, &cp);

		if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			dst[o++] = '?';
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n > max)
			break;
		memcpy(dst + o, src.p + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

static int64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
clock_now(const struct alert_config *cfg)
{
	return cfg->clock != NULL ? cfg->clock(cfg->clock_arg) : realtime_ms();
}

static int
item_from_event(struct alert_item *it, const struct alert_event *ev)
{
	if (ev->kind.len == 0 || ev->details.len > ALERT_DETAILS_MAX ||
	    (unsigned)ev->severity > ALERT_SEV_CRITICAL)
		return -EINVAL;
	clean_copy(it->kind, ALERT_KIND_MAX, ev->kind);
	it->severity = ev->severity;
	clean_copy(it->subject, ALERT_SUBJECT_MAX, ev->subject);
	clean_copy(it->key, ALERT_KEY_MAX, ev->key);
	clean_copy(it->text, ALERT_TEXT_MAX, ev->text);
	if (ev->details.len > 0)
		memcpy(it->details, ev->details.p, ev->details.len);
	it->details_len = ev->details.len;
	it->time_ms = ev->time_ms;
	it->count = 1;
	it->summary = false;
	it->test = false;
	return 0;
}

static void
item_test(struct alert_item *it, int64_t now_ms)
{
	memset(it, 0, sizeof(*it));
	memcpy(it->kind, "test", sizeof("test"));
	it->severity = ALERT_SEV_INFO;
	memcpy(it->subject, "rempart", sizeof("rempart"));
	snprintf(it->text, sizeof(it->text), "%s",
	    "Test alert from rempart: this channel works.");
	it->time_ms = now_ms;
	it->count = 1;
	it->test = true;
}

/* "2026-11-23T10:00:00.123Z" */
static void
format_rfc3339(int64_t ms, char *out, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(out, size, "%s", "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, size, "%s.%03dZ", base, (int)(ms % 1000));
}

/* The details object, or NULL when absent or not an object. */
static json_t *
item_details(const struct alert_item *it)
{
	json_t *d;

	if (it->details_len == 0)
		return NULL;
	d = json_loadb(
	    it->details, it->details_len, JSON_REJECT_DUPLICATES, NULL);
	if (d != NULL && !json_is_object(d)) {
		json_decref(d);
		d = NULL;
	}
	return d;
}

/* The webhook body: free it with free(). NULL when out of memory. */
static char *
webhook_body(const struct alert_item *it)
{
	json_t *o = json_object(), *d = item_details(it);
	char when[40];
	char *body = NULL;
	int rc = 0;

	if (o == NULL)
		goto out;
	format_rfc3339(it->time_ms, when, sizeof(when));
	rc |= json_object_set_new(o, "time", json_string(when));
	rc |= json_object_set_new(o, "kind", json_string(it->kind));
	rc |= json_object_set_new(
	    o, "severity", json_string(alert_severity_name(it->severity)));
	rc |= json_object_set_new(o, "subject", json_string(it->subject));
	rc |= json_object_set_new(o, "text", json_string(it->text));
	rc |= json_object_set_new(
	    o, "count", json_integer((json_int_t)it->count));
	rc |= json_object_set_new(o, "summary", json_boolean(it->summary));
	rc |= json_object_set_new(o, "test", json_boolean(it->test));
	rc |= json_object_set_new(o, "details", d != NULL ? d : json_null());
	d = NULL;
	if (rc == 0)
		body = json_dumps(o, JSON_COMPACT);
out:
	json_decref(d);
	json_decref(o);
	return body;
}

/* --- Delivery -------------------------------------------------------- */

static void set_err(char *err, size_t size, const char *fmt, ...)
    RP_PRINTF(3, 4);

static void
set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static size_t
discard_response(char *ptr, size_t size, size_t nmemb, void *arg)
{
	size_t *seen = arg;

	(void)ptr;
	*seen += size * nmemb;
	return *seen > RESPONSE_MAX ? 0 : size * nmemb;
}

static int64_t mono_ms(void);

/* Cuts a transfer short once the dispatcher is told to stop and its
 * drain time is over. */
static int
transfer_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const _Atomic int64_t *abort_at = arg;
	int64_t at = atomic_load(abort_at);

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return at != 0 && mono_ms() >= at ? 1 : 0;
}

/* Options both channels share: no signals (threads), no proxies from
 * the environment, no redirects, TLS always verified. 'abort_at' (may
 * be NULL) cuts the transfer short. */
static void
curl_common(CURL *h, const char *url, const char *protocols,
    const char *ca_file, uint32_t timeout_ms, char *errbuf,
    _Atomic int64_t *abort_at)
{
	long t = (long)timeout_ms;

	if (abort_at != NULL) {
		curl_easy_setopt(
		    h, CURLOPT_XFERINFOFUNCTION, transfer_progress);
		curl_easy_setopt(h, CURLOPT_XFERINFODATA, abort_at);
		curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}

	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file[0] != '\0')
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, t);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, t);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
}

static void
curl_err(char *err, size_t size, CURLcode code, const char *errbuf)
{
	set_err(err, size, "%s",
	    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code));
}

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Appends to a libcurl list; false when out of memory (the list is
 * kept). */
static bool
list_add(struct curl_slist **list, const char *s)
{
	struct curl_slist *next = curl_slist_append(*list, s);

	if (next == NULL)
		return false;
	*list = next;
	return true;
}

static int
send_webhook(const struct alert_webhook_config *w, const struct alert_item *it,
    uint32_t timeout_ms, _Atomic int64_t *abort_at, char *err, size_t err_size)
{
	char errbuf[CURL_ERROR_SIZE], hdr_ts[64], hdr_sig[128], hex[65];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	struct curl_slist *hdrs = NULL;
	struct buf signed_text;
	long status = 0;
	size_t seen = 0;
	CURL *h = NULL;
	CURLcode code;
	char *body = webhook_body(it);
	long long ts = (long long)(realtime_ms() / 1000);
	int rc = -ENOMEM;

	buf_init(&signed_text, 0);
	if (body == NULL) {
		set_err(err, err_size, "out of memory");
		goto out;
	}
	/* The timestamp is signed with the body, so a captured request
	 * cannot be replayed later with a fresh timestamp. */
	buf_printf(&signed_text, "%lld.", ts);
	buf_append_cstr(&signed_text, body);
	if (buf_error(&signed_text) != 0 ||
	    HMAC(EVP_sha256(), w->secret, (int)strlen(w->secret),
	        (const unsigned char *)signed_text.data, signed_text.len, mac,
	        &mac_len) == NULL) {
		set_err(err, err_size, "cannot sign the body");
		goto out;
	}
	hex_encode(mac, mac_len, hex);
	snprintf(hdr_ts, sizeof(hdr_ts), "X-Rempart-Timestamp: %lld", ts);
	snprintf(
	    hdr_sig, sizeof(hdr_sig), "X-Rempart-Signature: sha256=%s", hex);
	if (!list_add(&hdrs, "Content-Type: application/json") ||
	    !list_add(&hdrs, hdr_ts) || !list_add(&hdrs, hdr_sig) ||
	    !list_add(&hdrs, "Expect:") || (h = curl_easy_init()) == NULL) {
		set_err(err, err_size, "out of memory");
		goto out;
	}
	curl_common(h, w->url,
	    strncmp(w->url, "http://", 7) == 0 ? "http" : "https", w->ca_file,
	    timeout_ms, errbuf, abort_at);
	curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_response);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &seen);
	code = curl_easy_perform(h);
	if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && seen > 0)) {
		curl_err(err, err_size, code, errbuf);
		rc = -EIO;
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		set_err(err, err_size, "HTTP status %ld", status);
		rc = -EIO;
		goto out;
	}
	rc = 0;
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	OPENSSL_cleanse(signed_text.data, signed_text.cap);
	buf_release(&signed_text);
	free(body);
	return rc;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t
upload_read(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->left)
		n = u->left;
	if (n > 0)
		memcpy(ptr, u->p, n);
	u->p += n;
	u->left -= n;
	return n;
}

/* A header value: printable ASCII only (no encoded words needed). */
static void
header_text(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		buf_append_char(b, (*s >= 0x20 && *s < 0x7f) ? *s : (char)'?');
}

/* The message (RFC 5322), CRLF line ends. */
static int
email_message(const struct alert_email_config *e, const struct alert_item *it,
    struct buf *b)
{
	unsigned char rnd[8];
	char date[64], when[40], id[17];
	const char *domain = strchr(e->from, '@');
	time_t now = time(NULL);
	struct tm tm;
	json_t *d;
	char *pretty;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) ==
	        0 ||
	    RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -EIO;
	hex_encode(rnd, sizeof(rnd), id);
	buf_printf(b, "From: <%s>\r\nTo: ", e->from);
	for (unsigned i = 0; i < e->n_to; i++)
		buf_printf(b, "%s<%s>", i > 0 ? ", " : "", e->to[i]);
	buf_append_cstr(b, "\r\nSubject: [rempart] ");
	if (it->test) {
		buf_append_cstr(b, "test alert");
	} else {
		header_text(b, alert_severity_name(it->severity));
		buf_append_char(b, ' ');
		header_text(b, it->kind);
		if (it->subject[0] != '\0') {
			buf_append_cstr(b, ": ");
			header_text(b, it->subject);
		}
		if (it->summary)
			buf_printf(b, " (%" PRIu64 ")", it->count);
	}
	buf_printf(b,
	    "\r\nDate: %s\r\nMessage-ID: <%lld.%s@%s>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n\r\n",
	    date, (long long)now, id, domain != NULL ? domain + 1 : "rempart");
	format_rfc3339(it->time_ms, when, sizeof(when));
	buf_printf(b,
	    "%s\r\n\r\nkind: %s\r\nseverity: %s\r\nsubject: %s\r\n"
	    "time: %s\r\ncount: %" PRIu64 "\r\n",
	    it->text, it->kind, alert_severity_name(it->severity), it->subject,
	    when, it->count);
	d = item_details(it);
	pretty = d != NULL ? json_dumps(d, JSON_INDENT(2)) : NULL;
	json_decref(d);
	if (pretty != NULL) {
		buf_append_cstr(b, "details:\r\n");
		for (const char *p = pretty; *p != '\0'; p++) {
			if (*p == '\n')
				buf_append_char(b, '\r');
			buf_append_char(b, *p);
		}
		buf_append_cstr(b, "\r\n");
		free(pretty);
	}
	return buf_error(b);
}

static int
send_email(const struct alert_email_config *e, const struct alert_item *it,
    uint32_t timeout_ms, _Atomic int64_t *abort_at, char *err, size_t err_size)
{
	char errbuf[CURL_ERROR_SIZE], from[ALERT_ADDR_MAX + 3];
	char rcpt[ALERT_ADDR_MAX + 3];
	struct curl_slist *rcpts = NULL;
	struct upload up;
	struct buf msg;
	CURL *h = NULL;
	CURLcode code;
	int rc;

	buf_init(&msg, 0);
	rc = email_message(e, it, &msg);
	if (rc != 0) {
		set_err(err, err_size, "cannot build the message");
		goto out;
	}
	for (unsigned i = 0; i < e->n_to; i++) {
		snprintf(rcpt, sizeof(rcpt), "<%s>", e->to[i]);
		if (!list_add(&rcpts, rcpt)) {
			rc = -ENOMEM;
			goto out;
		}
	}
	h = curl_easy_init();
	if (h == NULL) {
		rc = -ENOMEM;
		set_err(err, err_size, "out of memory");
		goto out;
	}
	snprintf(from, sizeof(from), "<%s>", e->from);
	curl_common(
	    h, e->url, "smtp,smtps", e->ca_file, timeout_ms, errbuf, abort_at);
	/* smtps:// is TLS from the start; smtp:// with starttls must
	 * upgrade or fail, never fall back to plain text. */
	if (e->starttls || strncmp(e->url, "smtps://", 8) == 0)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (e->user[0] != '\0') {
		curl_easy_setopt(h, CURLOPT_USERNAME, e->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, e->password);
	}
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	up.p = msg.data;
	up.left = msg.len;
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE, (long)msg.len);
	code = curl_easy_perform(h);
	if (code != CURLE_OK) {
		curl_err(err, err_size, code, errbuf);
		rc = -EIO;
		goto out;
	}
	rc = 0;
out:
	if (rc == -ENOMEM)
		set_err(err, err_size, "out of memory");
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpts);
	buf_release(&msg);
	return rc;
}

static int
send_once(const struct alert_config *cfg, enum alert_channel ch,
    const struct alert_item *it, uint32_t timeout_ms, _Atomic int64_t *abort_at,
    char *err, size_t err_size)
{
	if (ch == ALERT_CH_WEBHOOK)
		return send_webhook(
		    &cfg->webhook, it, timeout_ms, abort_at, err, err_size);
	return send_email(&cfg->email, it, timeout_ms, abort_at, err, err_size);
}

static uint32_t
backoff_for(const struct alert_retry *r, uint32_t tries)
{
	uint32_t shift = tries > 0 ? tries - 1 : 0;
	uint64_t ms;

	if (shift > BACKOFF_SHIFT_MAX)
		shift = BACKOFF_SHIFT_MAX;
	ms = (uint64_t)r->backoff_ms << shift;
	return ms > r->deadline_ms ? r->deadline_ms : (uint32_t)ms;
}

static void
sleep_ms(uint32_t ms)
{
	struct timespec ts = {
	    .tv_sec = (time_t)(ms / 1000),
	    .tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
alert_deliver(const struct alert_config *cfg, enum alert_channel ch,
    const struct alert_event *ev, char *err, size_t err_size)
{
	const struct alert_retry *r;
	struct alert_item *it;
	int64_t start = mono_ms();
	uint32_t wait;
	int rc;

	set_err(err, err_size, "%s", "");
	if ((unsigned)ch >= ALERT_CH_COUNT) {
		set_err(err, err_size, "unknown channel");
		return -EINVAL;
	}
	if (!channel_on(cfg, ch)) {
		set_err(err, err_size, "the %s channel is not configured",
		    alert_channel_name(ch));
		return -ENOENT;
	}
	if (alert_config_check(cfg, NULL) != 0) {
		set_err(err, err_size, "invalid configuration");
		return -EINVAL;
	}
	it = mem_calloc(1, sizeof(*it));
	if (it == NULL)
		return -ENOMEM;
	rc = item_from_event(it, ev);
	if (rc != 0) {
		set_err(err, err_size, "invalid event");
		goto out;
	}
	if (it->time_ms == 0)
		it->time_ms = realtime_ms();
	it->test = sv_eq(ev->kind, SV("test"));
	r = channel_retry(cfg, ch);
	for (uint32_t tries = 1;; tries++) {
		rc = send_once(cfg, ch, it, r->timeout_ms, NULL, err, err_size);
		if (rc == 0 || rc == -ENOMEM || tries >= r->attempts)
			break;
		wait = backoff_for(r, tries);
		if (mono_ms() + wait - start >= (int64_t)r->deadline_ms)
			break;
		sleep_ms(wait);
	}
out:
	free(it);
	return rc;
}

/* --- The dispatcher -------------------------------------------------- */

static void
status_update(struct alert *a, enum alert_channel ch, int rc, const char *err,
    bool given_up)
{
	struct alert_status *s = &a->status[ch];
	int64_t now = realtime_ms();

	pthread_mutex_lock(&a->mu);
	s->last_attempt_ms = now;
	if (rc == 0) {
		s->last_success_ms = now;
		s->sent++;
	} else {
		snprintf(s->last_error, sizeof(s->last_error), "%s", err);
		if (given_up)
			s->failed++;
	}
	pthread_mutex_unlock(&a->mu);
}

static void
status_count(struct alert *a, enum alert_channel ch, bool suppressed)
{
	pthread_mutex_lock(&a->mu);
	if (suppressed)
		a->status[ch].suppressed++;
	else
		a->status[ch].dropped++;
	pthread_mutex_unlock(&a->mu);
}

/* Puts an alert in a channel's outbox. Rate-limited unless 'bypass'. */
static void
outbox_add(struct alert *a, enum alert_channel ch, const struct alert_item *it,
    bool bypass, int64_t now)
{
	struct chan *c = &a->chan[ch];
	struct outgoing *o;

	if (!c->on)
		return;
	if (!bypass) {
		if (now - c->rate_start_ms >= RATE_WINDOW_MS ||
		    now < c->rate_start_ms) {
			c->rate_start_ms = now;
			c->rate_count = 0;
		}
		if (c->rate_count >= a->cfg.rate_per_min) {
			c->rate_suppressed++;
			status_count(a, ch, true);
			return;
		}
		c->rate_count++;
	}
	if (c->len == ALERT_OUTBOX_MAX) {
		status_count(a, ch, false);
		return;
	}
	o = &c->box[(c->head + c->len) % ALERT_OUTBOX_MAX];
	o->item = *it;
	o->tries = 0;
	o->first_ms = 0;
	o->next_ms = mono_ms();
	c->len++;
}

static void
emit(struct alert *a, const struct alert_item *it, bool bypass, int64_t now)
{
	for (int ch = 0; ch < ALERT_CH_COUNT; ch++)
		outbox_add(a, (enum alert_channel)ch, it, bypass, now);
}

static void
emit_dedupe_summary(struct alert *a, struct dedupe *d, int64_t now)
{
	struct alert_item *it = &a->scratch;
	int n;

	memset(it, 0, sizeof(*it));
	memcpy(it->kind, d->kind, sizeof(it->kind));
	it->severity = d->severity;
	memcpy(it->subject, d->subject, sizeof(it->subject));
	n = snprintf(it->text, sizeof(it->text),
	    "%" PRIu64 " more in %" PRIu32 " s; last: ", d->count,
	    a->cfg.dedupe_s);
	/* The last text is cut to what fits, on a character boundary. */
	if (n > 0 && (size_t)n < sizeof(it->text))
		clean_copy(it->text + n, sizeof(it->text) - 1 - (size_t)n,
		    sv_cstr(d->text));
	it->time_ms = now;
	it->count = d->count;
	it->summary = true;
	emit(a, it, true, now);
}

/* Closes the de-duplication windows that ended (all of them when
 * 'all'), and the rate windows, sending their summaries. */
static void
flush_windows(struct alert *a, int64_t now, bool all)
{
	struct alert_item *it = &a->scratch;

	for (size_t i = 0; i < ALERT_DEDUPE_SLOTS; i++) {
		struct dedupe *d = &a->dedupe[i];

		if (!d->used || (!all && now < d->end_ms))
			continue;
		if (d->count > 0)
			emit_dedupe_summary(a, d, now);
		d->used = false;
	}
	for (int ch = 0; ch < ALERT_CH_COUNT; ch++) {
		struct chan *c = &a->chan[ch];

		if (c->rate_suppressed == 0 ||
		    (!all && now - c->rate_start_ms < RATE_WINDOW_MS))
			continue;
		memset(it, 0, sizeof(*it));
		memcpy(
		    it->kind, "alerts_suppressed", sizeof("alerts_suppressed"));
		it->severity = ALERT_SEV_WARNING;
		snprintf(it->text, sizeof(it->text),
		    "%" PRIu64 " alerts suppressed by the rate limit "
		    "(%" PRIu32 " per minute)",
		    c->rate_suppressed, a->cfg.rate_per_min);
		it->time_ms = now;
		it->count = c->rate_suppressed;
		it->summary = true;
		c->rate_suppressed = 0;
		outbox_add(a, (enum alert_channel)ch, it, true, now);
	}
}

static void
event_key(const struct alert_item *it, char key[KEY_MAX + 1])
{
	if (it->key[0] != '\0')
		snprintf(key, KEY_MAX + 1, "k:%s", it->key);
	else
		snprintf(key, KEY_MAX + 1, "s:%s|%s", it->kind, it->subject);
}

/* De-duplicates one event from the queue (in a->work), then sends it
 * when it opens a window. */
static void
take_event(struct alert *a, int64_t now)
{
	struct alert_item *it = &a->work;
	struct dedupe *d = NULL, *oldest = NULL;
	char key[KEY_MAX + 1];

	if (it->time_ms == 0)
		it->time_ms = now;
	if (a->cfg.dedupe_s == 0) {
		emit(a, it, false, now);
		return;
	}
	event_key(it, key);
	for (size_t i = 0; i < ALERT_DEDUPE_SLOTS; i++) {
		struct dedupe *e = &a->dedupe[i];

		if (!e->used) {
			if (d == NULL)
				d = e;
			continue;
		}
		if (strcmp(e->key, key) == 0) {
			e->count++;
			memcpy(e->text, it->text, sizeof(e->text));
			e->severity = it->severity > e->severity ? it->severity
			                                         : e->severity;
			return;
		}
		if (oldest == NULL || e->end_ms < oldest->end_ms)
			oldest = e;
	}
	if (d == NULL) {
		/* Every slot is taken: close the window that ends first. */
		if (oldest->count > 0)
			emit_dedupe_summary(a, oldest, now);
		d = oldest;
	}
	memset(d, 0, sizeof(*d));
	d->used = true;
	memcpy(d->key, key, sizeof(d->key));
	d->end_ms = now + (int64_t)a->cfg.dedupe_s * 1000;
	memcpy(d->kind, it->kind, sizeof(d->kind));
	d->severity = it->severity;
	memcpy(d->subject, it->subject, sizeof(d->subject));
	memcpy(d->text, it->text, sizeof(d->text));
	emit(a, it, false, now);
}

/* One try of the head of each channel's outbox that is due. Returns
 * true when something was tried. 'drain_end' (monotonic, 0: not
 * stopping) caps each try and ends retries. */
static bool
deliver_due(struct alert *a, int64_t drain_end)
{
	char err[ALERT_ERROR_MAX];
	bool tried = false;

	for (int i = 0; i < ALERT_CH_COUNT; i++) {
		enum alert_channel ch = (enum alert_channel)i;
		struct chan *c = &a->chan[ch];
		const struct alert_retry *r = channel_retry(&a->cfg, ch);
		struct outgoing *o;
		uint32_t timeout = r->timeout_ms, wait;
		int64_t now = mono_ms();
		bool give_up;
		int rc;

		if (c->len == 0)
			continue;
		o = &c->box[c->head];
		if (o->next_ms > now && drain_end == 0)
			continue;
		if (drain_end != 0) {
			if (now >= drain_end)
				continue;
			if (drain_end - now < (int64_t)timeout)
				timeout = (uint32_t)(drain_end - now);
		}
		if (o->tries == 0)
			o->first_ms = now;
		o->tries++;
		tried = true;
		err[0] = '\0';
		rc = send_once(&a->cfg, ch, &o->item, timeout, &a->abort_at_ms,
		    err, sizeof(err));
		now = mono_ms();
		wait = backoff_for(r, o->tries);
		give_up =
		    rc != 0 &&
		    (drain_end != 0 || o->tries >= r->attempts ||
		        now + wait - o->first_ms >= (int64_t)r->deadline_ms);
		if (rc != 0) {
			char kind[LOG_SV_BUF];

			log_warn("alert",
			    "msg=delivery_failed channel=%s kind=%s "
			    "try=%" PRIu32 " gave_up=%d",
			    alert_channel_name(ch),
			    log_sv(sv_cstr(o->item.kind), kind), o->tries,
			    give_up ? 1 : 0);
		}
		status_update(a, ch, rc, err, give_up);
		if (rc == 0 || give_up) {
			c->head = (c->head + 1) % ALERT_OUTBOX_MAX;
			c->len--;
		} else {
			o->next_ms = now + wait;
		}
	}
	return tried;
}

static void
earliest(int64_t *best, int64_t w)
{
	if (w < 0)
		w = 0;
	if (*best < 0 || w < *best)
		*best = w;
}

/* Milliseconds until something is due (0: now), or -1 for nothing. */
static int64_t
next_wait_ms(struct alert *a)
{
	int64_t best = -1, now = clock_now(&a->cfg), mono = mono_ms();

	for (int ch = 0; ch < ALERT_CH_COUNT; ch++) {
		struct chan *c = &a->chan[ch];

		if (c->len > 0)
			earliest(&best, c->box[c->head].next_ms - mono);
		if (c->rate_suppressed > 0)
			earliest(
			    &best, c->rate_start_ms + RATE_WINDOW_MS - now);
	}
	for (size_t i = 0; i < ALERT_DEDUPE_SLOTS; i++) {
		struct dedupe *d = &a->dedupe[i];

		if (d->used && d->count > 0)
			earliest(&best, d->end_ms - now);
	}
	return best;
}

static bool
outboxes_empty(const struct alert *a)
{
	for (int ch = 0; ch < ALERT_CH_COUNT; ch++)
		if (a->chan[ch].len > 0)
			return false;
	return true;
}

/* Waits (mu held) for a post, a request, the stop, or 'ms'. */
static void
wait_for(struct alert *a, int64_t ms)
{
	struct timespec ts;

	if (ms < 0) {
		pthread_cond_wait(&a->cond, &a->mu);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&a->cond, &a->mu, &ts);
}

static void *
alert_main(void *arg)
{
	struct alert *a = arg;
	int64_t drain_end = 0;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		bool tests[ALERT_CH_COUNT], tried;
		int64_t wait;

		/* Intake: the queue is emptied before any slow delivery. */
		while (a->q_len > 0) {
			a->work = a->queue[a->q_head];
			a->q_head = (a->q_head + 1) % ALERT_QUEUE_MAX;
			a->q_len--;
			pthread_mutex_unlock(&a->mu);
			flush_windows(a, clock_now(&a->cfg), false);
			take_event(a, clock_now(&a->cfg));
			pthread_mutex_lock(&a->mu);
		}
		memcpy(tests, a->test_req, sizeof(tests));
		memset(a->test_req, 0, sizeof(a->test_req));
		if (a->stop && drain_end == 0)
			drain_end = atomic_load(&a->abort_at_ms);
		pthread_mutex_unlock(&a->mu);

		for (int ch = 0; ch < ALERT_CH_COUNT; ch++) {
			if (!tests[ch])
				continue;
			item_test(&a->scratch, realtime_ms());
			outbox_add(a, (enum alert_channel)ch, &a->scratch, true,
			    clock_now(&a->cfg));
		}
		flush_windows(a, clock_now(&a->cfg), drain_end != 0);
		tried = deliver_due(a, drain_end);

		pthread_mutex_lock(&a->mu);
		if (drain_end != 0 && a->q_len == 0 &&
		    (outboxes_empty(a) || mono_ms() >= drain_end))
			break;
		if (tried || a->q_len > 0 || a->stop)
			continue;
		if (memchr(a->test_req, 1, sizeof(a->test_req)) != NULL)
			continue;
		wait = next_wait_ms(a);
		if (wait != 0)
			wait_for(a, wait);
	}
	/* What the drain could not send is lost. */
	for (int ch = 0; ch < ALERT_CH_COUNT; ch++)
		a->status[ch].dropped += a->chan[ch].len;
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void
alert_release(struct alert *a)
{
	alert_config_wipe(&a->cfg);
	free(a->queue);
	free(a->dedupe);
	for (int ch = 0; ch < ALERT_CH_COUNT; ch++)
		free(a->chan[ch].box);
	free(a);
}

int
alert_new(struct alert **out, const struct alert_config *cfg)
{
	pthread_condattr_t ca;
	struct alert *a;
	int rc;

	if (alert_config_check(cfg, NULL) != 0)
		return -EINVAL;
	a = mem_calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->cfg = *cfg;
	a->queue = mem_calloc(ALERT_QUEUE_MAX, sizeof(*a->queue));
	a->dedupe = mem_calloc(ALERT_DEDUPE_SLOTS, sizeof(*a->dedupe));
	if (a->queue == NULL || a->dedupe == NULL)
		goto nomem;
	for (int ch = 0; ch < ALERT_CH_COUNT; ch++) {
		a->chan[ch].on = channel_on(cfg, (enum alert_channel)ch);
		a->status[ch].configured = a->chan[ch].on;
		a->chan[ch].box =
		    mem_calloc(ALERT_OUTBOX_MAX, sizeof(*a->chan[ch].box));
		if (a->chan[ch].box == NULL)
			goto nomem;
	}
	rc = pthread_mutex_init(&a->mu, NULL);
	if (rc != 0) {
		alert_release(a);
		return -rc;
	}
	if ((rc = pthread_condattr_init(&ca)) != 0 ||
	    (rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&a->cond, &ca)) != 0) {
		pthread_mutex_destroy(&a->mu);
		alert_release(a);
		return -rc;
	}
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&a->thread, NULL, alert_main, a);
	if (rc != 0) {
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->mu);
		alert_release(a);
		return -rc;
	}
	*out = a;
	return 0;
nomem:
	alert_release(a);
	return -ENOMEM;
}

void
alert_free(struct alert *a)
{
	if (a == NULL)
		return;
	atomic_store(&a->abort_at_ms, mono_ms() + ALERT_DRAIN_MS);
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->mu);
	alert_release(a);
}

int
alert_post(struct alert *a, const struct alert_event *ev)
{
	int rc = 0;

	if (ev->kind.len == 0 || ev->details.len > ALERT_DETAILS_MAX ||
	    (unsigned)ev->severity > ALERT_SEV_CRITICAL)
		return -EINVAL;
	pthread_mutex_lock(&a->mu);
	if (a->q_len == ALERT_QUEUE_MAX) {
		for (int ch = 0; ch < ALERT_CH_COUNT; ch++)
			if (a->status[ch].configured)
				a->status[ch].dropped++;
		rc = -EAGAIN;
	} else {
		size_t at = (a->q_head + a->q_len) % ALERT_QUEUE_MAX;

		rc = item_from_event(&a->queue[at], ev);
		if (rc == 0) {
			a->q_len++;
			pthread_cond_signal(&a->cond);
		}
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

int
alert_test(struct alert *a, enum alert_channel ch)
{
	int rc = 0;

	if ((unsigned)ch >= ALERT_CH_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&a->mu);
	if (!a->status[ch].configured) {
		rc = -ENOENT;
	} else {
		a->test_req[ch] = true;
		pthread_cond_signal(&a->cond);
	}
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void
alert_status(struct alert *a, enum alert_channel ch, struct alert_status *out)
{
	if ((unsigned)ch >= ALERT_CH_COUNT) {
		memset(out, 0, sizeof(*out));
		return;
	}
	pthread_mutex_lock(&a->mu);
	*out = a->status[ch];
	pthread_mutex_unlock(&a->mu);
}
