/* Unit tests for the alert dispatcher and its webhook channel
 * (R-FRAUD-4): configuration checks, signed delivery to a real HTTP
 * server on loopback, retries and giving up, de-duplication, rate
 * limits, a full queue and a bounded shutdown. The email channel is
 * exercised against a real SMTP server by tests/system/test_alert_cli.py. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/mem.h"
#include "integ/alert.h"

#define SECRET "webhook-secret-0123456789"
#define REQ_MAX 64
#define BODY_MAX 4096

/* A tiny HTTP/1.1 server thread on 127.0.0.1: one request per
 * connection, answered with the scripted statuses (the last one
 * repeats), recording each body and signature headers. */
struct http_srv {
	int fd;
	uint16_t port;
	pthread_t th;
	atomic_bool stop;
	int statuses[8];
	size_t n_statuses;
	unsigned first_delay_ms; /* before answering the first request */
	pthread_mutex_t mu;
	atomic_size_t n_conn;
	size_t n_req;
	char body[REQ_MAX][BODY_MAX];
	char ts[REQ_MAX][32];
	char sig[REQ_MAX][96];
};

struct fake_clock {
	_Atomic int64_t now_ms;
};

static int64_t
fake_now(void *arg)
{
	struct fake_clock *c = arg;

	return atomic_load(&c->now_ms);
}

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* The value of header 'name' (with its ": ") in 'head', copied. */
static void
header_value(const char *head, const char *name, char *out, size_t size)
{
	const char *p = strcasestr(head, name);
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += strlen(name);
	while (p[n] != '\r' && p[n] != '\0' && n + 1 < size)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
}

static size_t
digits_value(const char *s)
{
	size_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (size_t)(*s - '0');
	return v;
}

static void
serve_one(struct http_srv *s, int c)
{
	char req[BODY_MAX * 2], cl[16], reply[128];
	size_t got = 0, need = 0, idx;
	char *end = NULL;
	int status;
	ssize_t n;

	while (got < sizeof(req) - 1) {
		n = read(c, req + got, sizeof(req) - 1 - got);
		if (n <= 0)
			return;
		got += (size_t)n;
		req[got] = '\0';
		if (end == NULL && (end = strstr(req, "\r\n\r\n")) != NULL) {
			header_value(req, "Content-Length: ", cl, sizeof(cl));
			need = (size_t)(end + 4 - req) + digits_value(cl);
		}
		if (end != NULL && got >= need)
			break;
	}
	if (end == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	idx = s->n_req;
	if (idx < REQ_MAX) {
		snprintf(s->body[idx], BODY_MAX, "%s", end + 4);
		*end = '\0';
		header_value(req, "X-Rempart-Timestamp: ", s->ts[idx],
		    sizeof(s->ts[idx]));
		header_value(req, "X-Rempart-Signature: ", s->sig[idx],
		    sizeof(s->sig[idx]));
	}
	status = s->statuses[idx < s->n_statuses ? idx : s->n_statuses - 1];
	pthread_mutex_unlock(&s->mu);
	if (idx == 0 && s->first_delay_ms > 0) {
		for (unsigned t = 0; t < s->first_delay_ms && !s->stop; t += 10)
			sleep_ms(10);
	}
	pthread_mutex_lock(&s->mu);
	s->n_req++;
	pthread_mutex_unlock(&s->mu);
	snprintf(reply, sizeof(reply),
	    "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	    status);
	/* The client may be gone: no SIGPIPE. */
	(void)!send(c, reply, strlen(reply), MSG_NOSIGNAL);
}

static void *
srv_main(void *arg)
{
	struct http_srv *s = arg;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};

	while (!s->stop) {
		int c;

		if (poll(&p, 1, 50) <= 0)
			continue;
		c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		atomic_fetch_add(&s->n_conn, 1);
		serve_one(s, c);
		close(c);
	}
	return NULL;
}

static struct http_srv *
srv_start(const int *statuses, size_t n, unsigned first_delay_ms)
{
	struct http_srv *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);

	assert_non_null(s);
	memcpy(s->statuses, statuses, n * sizeof(*statuses));
	s->n_statuses = n;
	s->first_delay_ms = first_delay_ms;
	pthread_mutex_init(&s->mu, NULL);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s->fd, 64), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &len), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
	return s;
}

static void
srv_stop(struct http_srv *s)
{
	s->stop = true;
	pthread_join(s->th, NULL);
	close(s->fd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static size_t
srv_count(struct http_srv *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->n_req;
	pthread_mutex_unlock(&s->mu);
	return n;
}

/* Waits up to 5 s for n requests; returns how many came. */
static size_t
srv_wait(struct http_srv *s, size_t n)
{
	for (int i = 0; i < 500 && srv_count(s) < n; i++)
		sleep_ms(10);
	return srv_count(s);
}

static void
webhook_config(struct alert_config *cfg, uint16_t port)
{
	alert_config_init(cfg);
	snprintf(cfg->webhook.url, sizeof(cfg->webhook.url),
	    "http://127.0.0.1:%u/hook", (unsigned)port);
	snprintf(
	    cfg->webhook.secret, sizeof(cfg->webhook.secret), "%s", SECRET);
	cfg->webhook.retry.attempts = 3;
	cfg->webhook.retry.timeout_ms = 3000;
	cfg->webhook.retry.backoff_ms = 20;
	cfg->webhook.retry.deadline_ms = 10000;
}

/* Checks request i's signature as a receiver would, and returns its
 * body parsed (json_decref() it). */
static json_t *
check_request(struct http_srv *s, size_t i)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	char signed_text[BODY_MAX + 40], want[80] = "sha256=";
	json_t *j;
	long long ts = (long long)digits_value(s->ts[i]);

	assert_true(ts > 0);
	assert_true(llabs(ts - (long long)time(NULL)) < 60);
	snprintf(
	    signed_text, sizeof(signed_text), "%s.%s", s->ts[i], s->body[i]);
	HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
	    (const unsigned char *)signed_text, strlen(signed_text), mac,
	    &mac_len);
	assert_int_equal(mac_len, 32);
	for (unsigned k = 0; k < mac_len; k++)
		snprintf(want + 7 + 2 * k, 3, "%02x", mac[k]);
	assert_string_equal(s->sig[i], want);
	j = json_loads(s->body[i], 0, NULL);
	assert_non_null(j);
	return j;
}

static const char *
jstr(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	assert_non_null(v);
	return v;
}

static json_int_t
jint(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static struct alert_event
event(const char *kind, const char *subject, const char *key)
{
	return (struct alert_event){
	    .kind = sv_cstr(kind),
	    .severity = ALERT_SEV_WARNING,
	    .subject = sv_cstr(subject),
	    .key = sv_cstr(key),
	    .text = SV("Too many failed registrations"),
	};
}

/* R-FRAUD-4: what the configuration accepts and refuses. */
static void
test_config_checks(void **state)
{
	struct alert_config cfg;
	const char *field = NULL;

	(void)state;
	alert_config_init(&cfg);
	assert_int_equal(alert_config_check(&cfg, &field), 0);
	assert_null(field);
	assert_int_equal(cfg.dedupe_s, ALERT_DEDUPE_DEFAULT_S);
	assert_int_equal(cfg.rate_per_min, ALERT_RATE_DEFAULT);

	assert_true(alert_webhook_url_valid(SV("https://hooks.example.com/a")));
	assert_true(alert_webhook_url_valid(SV("http://127.0.0.1:8080/h")));
	assert_true(alert_webhook_url_valid(SV("http://[::1]:8080/h")));
	assert_false(alert_webhook_url_valid(SV("http://example.com/h")));
	assert_false(alert_webhook_url_valid(SV("http://10.0.0.1/h")));
	assert_false(alert_webhook_url_valid(SV("ftp://example.com/h")));
	assert_false(alert_webhook_url_valid(SV("https://u:p@example.com/")));
	assert_false(alert_webhook_url_valid(SV("https://example.com/a b")));
	assert_false(alert_webhook_url_valid(SV("https://example.com/\r\n")));
	assert_false(alert_webhook_url_valid(SV("https://example.com/#x")));
	assert_false(alert_webhook_url_valid(SV("https://")));
	assert_false(alert_webhook_url_valid(SV("")));

	assert_true(
	    alert_email_url_valid(SV("smtps://mail.example.com"), false));
	assert_true(
	    alert_email_url_valid(SV("smtp://mail.example.com:587"), true));
	assert_false(
	    alert_email_url_valid(SV("smtp://mail.example.com:587"), false));
	assert_true(alert_email_url_valid(SV("smtp://127.0.0.1:2525"), false));
	assert_false(
	    alert_email_url_valid(SV("smtp://mail.example.com/x"), true));
	assert_false(
	    alert_email_url_valid(SV("https://mail.example.com"), true));

	assert_true(alert_address_valid(SV("pbx-alerts@example.com")));
	assert_true(alert_address_valid(SV("a.b+c@mail.example.org")));
	assert_false(alert_address_valid(SV("a@example.com\r\nBcc: x@y.z")));
	assert_false(alert_address_valid(SV("<a@example.com>")));
	assert_false(alert_address_valid(SV("a b@example.com")));
	assert_false(alert_address_valid(SV("a@")));
	assert_false(alert_address_valid(SV("@example.com")));
	assert_false(alert_address_valid(SV("a@b..c")));
	assert_false(alert_address_valid(SV("a,b@example.com")));

	snprintf(cfg.webhook.url, sizeof(cfg.webhook.url), "%s",
	    "https://hooks.example.com/x");
	snprintf(cfg.webhook.secret, sizeof(cfg.webhook.secret), "%s", "short");
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.webhook.secret");
	snprintf(cfg.webhook.secret, sizeof(cfg.webhook.secret), "%s", SECRET);
	assert_int_equal(alert_config_check(&cfg, &field), 0);
	snprintf(cfg.webhook.ca_file, sizeof(cfg.webhook.ca_file), "%s", "rel");
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.webhook.ca_file");
	cfg.webhook.ca_file[0] = '\0';
	cfg.webhook.retry.attempts = 0;
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.webhook.retry");
	cfg.webhook.retry.attempts = 2;

	snprintf(cfg.email.url, sizeof(cfg.email.url), "%s",
	    "smtps://mail.example.com");
	snprintf(cfg.email.from, sizeof(cfg.email.from), "%s",
	    "pbx@example.com\r\nBcc: evil@example.net");
	cfg.email.n_to = 1;
	snprintf(cfg.email.to[0], sizeof(cfg.email.to[0]), "%s", "ops@x.org");
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.email.from");
	snprintf(cfg.email.from, sizeof(cfg.email.from), "%s", "pbx@x.org");
	assert_int_equal(alert_config_check(&cfg, &field), 0);
	cfg.email.n_to = 0;
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.email.to");
	cfg.email.n_to = 1;
	snprintf(cfg.email.user, sizeof(cfg.email.user), "%s", "pbx");
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.email.password");
	snprintf(cfg.email.password, sizeof(cfg.email.password), "%s", "pw\n");
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.email.password");
	snprintf(cfg.email.password, sizeof(cfg.email.password), "%s", "pw");
	assert_int_equal(alert_config_check(&cfg, &field), 0);
	snprintf(cfg.email.user, sizeof(cfg.email.user), "%s", "p\rx");
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.email.user");
	cfg.email.user[0] = cfg.email.password[0] = '\0';

	cfg.rate_per_min = 0;
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.rate_per_min");
	cfg.rate_per_min = 5;
	cfg.dedupe_s = ALERT_DEDUPE_MAX_S + 1;
	assert_int_equal(alert_config_check(&cfg, &field), -EINVAL);
	assert_string_equal(field, "alert.dedupe_s");
	alert_config_wipe(&cfg);
	assert_int_equal(cfg.webhook.secret[0], 0);
}

/* R-FRAUD-4: a webhook POST carries the event, signed with HMAC-SHA256
 * over timestamp "." body; control bytes from peers are cleaned. */
static void
test_deliver_signed(void **state)
{
	static const int ok[] = {204};
	struct http_srv *s = srv_start(ok, 1, 0);
	struct alert_config cfg;
	struct alert_event ev = event("user_under_attack", "100\r\nX", "");
	char err[ALERT_ERROR_MAX];
	json_t *j, *d;

	(void)state;
	webhook_config(&cfg, s->port);
	ev.severity = ALERT_SEV_CRITICAL;
	ev.details = SV("{\"failures\":42,\"src\":\"192.0.2.7\"}");
	ev.time_ms = 1700000000123LL;
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_WEBHOOK, &ev, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(srv_count(s), 1);
	j = check_request(s, 0);
	assert_string_equal(jstr(j, "kind"), "user_under_attack");
	assert_string_equal(jstr(j, "severity"), "critical");
	assert_string_equal(jstr(j, "subject"), "100??X");
	assert_string_equal(jstr(j, "text"), "Too many failed registrations");
	assert_string_equal(jstr(j, "time"), "2023-11-14T22:13:20.123Z");
	assert_int_equal(jint(j, "count"), 1);
	assert_true(json_is_false(json_object_get(j, "summary")));
	d = json_object_get(j, "details");
	assert_true(json_is_object(d));
	assert_int_equal(
	    json_integer_value(json_object_get(d, "failures")), 42);
	json_decref(j);

	/* Details that are not a JSON object are left out. */
	ev.details = SV("[1,2");
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_WEBHOOK, &ev, err, sizeof(err)), 0);
	j = check_request(s, 1);
	assert_true(json_is_null(json_object_get(j, "details")));
	json_decref(j);

	/* A channel that is off. */
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_EMAIL, &ev, err, sizeof(err)),
	    -ENOENT);
	assert_non_null(strstr(err, "not configured"));
	srv_stop(s);
}

/* R-FRAUD-4: a 500 is retried with backoff, then delivered. */
static void
test_deliver_retries(void **state)
{
	static const int script[] = {500, 503, 200};
	struct http_srv *s = srv_start(script, 3, 0);
	struct alert_config cfg;
	struct alert_event ev = event("fraud_block", "101", "");
	char err[ALERT_ERROR_MAX];

	(void)state;
	webhook_config(&cfg, s->port);
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_WEBHOOK, &ev, err, sizeof(err)), 0);
	assert_int_equal(srv_count(s), 3);
	json_decref(check_request(s, 2));
	srv_stop(s);
}

/* R-FRAUD-4: after N failed tries the alert is given up, with the
 * error; a receiver that is not there fails too. */
static void
test_deliver_gives_up(void **state)
{
	static const int fail[] = {500};
	struct http_srv *s = srv_start(fail, 1, 0);
	struct alert_config cfg;
	struct alert_event ev = event("ban", "192.0.2.9", "");
	char err[ALERT_ERROR_MAX];
	uint16_t port;

	(void)state;
	webhook_config(&cfg, s->port);
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_WEBHOOK, &ev, err, sizeof(err)), -EIO);
	assert_string_equal(err, "HTTP status 500");
	assert_int_equal(srv_count(s), 3);

	/* The deadline ends retries before the attempts run out. */
	cfg.webhook.retry.attempts = 10;
	cfg.webhook.retry.backoff_ms = 400;
	cfg.webhook.retry.timeout_ms = 1000;
	cfg.webhook.retry.deadline_ms = 2000;
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_WEBHOOK, &ev, err, sizeof(err)), -EIO);
	assert_int_equal(srv_count(s), 3 + 3);
	port = s->port;
	srv_stop(s);

	webhook_config(&cfg, port);
	cfg.webhook.retry.attempts = 2;
	assert_int_equal(
	    alert_deliver(&cfg, ALERT_CH_WEBHOOK, &ev, err, sizeof(err)), -EIO);
	assert_true(strlen(err) > 0);
	assert_null(strstr(err, "status"));
}

/* R-FRAUD-4: the same key within the window gives one alert, then one
 * "N more" summary when the window ends. */
static void
test_dedupe(void **state)
{
	static const int ok[] = {200};
	struct http_srv *s = srv_start(ok, 1, 0);
	struct fake_clock clk = {.now_ms = 1700000000000LL};
	struct alert_config cfg;
	struct alert_event ev = event("user_under_attack", "100", "uua:100");
	struct alert_status st;
	struct alert *a;
	json_t *j;

	(void)state;
	webhook_config(&cfg, s->port);
	cfg.clock = fake_now;
	cfg.clock_arg = &clk;
	assert_int_equal(alert_new(&a, &cfg), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(alert_post(a, &ev), 0);
	assert_int_equal(srv_wait(s, 1), 1);
	sleep_ms(200);
	assert_int_equal(srv_count(s), 1);
	j = check_request(s, 0);
	assert_string_equal(jstr(j, "kind"), "user_under_attack");
	assert_int_equal(jint(j, "count"), 1);
	json_decref(j);

	/* Another key is sent at once, beside the open window. */
	assert_int_equal(alert_post(a,
	                     &(struct alert_event){
	                         .kind = SV("scanner"),
	                         .subject = SV("198.51.100.4"),
	                         .text = SV("friendly-scanner"),
	                     }),
	    0);
	assert_int_equal(srv_wait(s, 2), 2);
	j = check_request(s, 1);
	assert_string_equal(jstr(j, "kind"), "scanner");
	json_decref(j);

	/* The window ends: one summary of the 4 counted. */
	atomic_fetch_add(&clk.now_ms, 301 * 1000);
	assert_int_equal(alert_post(a,
	                     &(struct alert_event){
	                         .kind = SV("ban"),
	                         .subject = SV("198.51.100.4"),
	                         .text = SV("banned"),
	                     }),
	    0);
	assert_int_equal(srv_wait(s, 4), 4);
	j = check_request(s, 2);
	assert_string_equal(jstr(j, "kind"), "user_under_attack");
	assert_int_equal(jint(j, "count"), 4);
	assert_true(json_is_true(json_object_get(j, "summary")));
	assert_non_null(strstr(jstr(j, "text"), "4 more"));
	json_decref(j);
	j = check_request(s, 3);
	assert_string_equal(jstr(j, "kind"), "ban");
	json_decref(j);

	/* A new window opens with the next event. */
	assert_int_equal(alert_post(a, &ev), 0);
	assert_int_equal(srv_wait(s, 5), 5);
	alert_status(a, ALERT_CH_WEBHOOK, &st);
	assert_true(st.configured);
	assert_int_equal(st.sent, 5);
	assert_int_equal(st.failed, 0);
	assert_int_equal(st.suppressed, 0);
	alert_status(a, ALERT_CH_EMAIL, &st);
	assert_false(st.configured);
	alert_free(a);
	srv_stop(s);
}

/* R-FRAUD-4: past rate_per_min alerts in a minute, the rest become one
 * "N alerts suppressed" message. */
static void
test_rate_limit(void **state)
{
	static const int ok[] = {200};
	struct http_srv *s = srv_start(ok, 1, 0);
	struct fake_clock clk = {.now_ms = 1700000000000LL};
	struct alert_config cfg;
	struct alert_status st;
	struct alert *a;
	char subject[16];
	json_t *j;

	(void)state;
	webhook_config(&cfg, s->port);
	cfg.clock = fake_now;
	cfg.clock_arg = &clk;
	cfg.rate_per_min = 3;
	assert_int_equal(alert_new(&a, &cfg), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(subject, sizeof(subject), "10%d", i);
		assert_int_equal(
		    alert_post(
		        a, &(struct alert_event){.kind = SV("fraud_block"),
		               .subject = sv_cstr(subject),
		               .text = SV("blocked")}),
		    0);
	}
	assert_int_equal(srv_wait(s, 3), 3);
	sleep_ms(200);
	assert_int_equal(srv_count(s), 3);
	alert_status(a, ALERT_CH_WEBHOOK, &st);
	assert_int_equal(st.suppressed, 7);

	atomic_fetch_add(&clk.now_ms, 61 * 1000);
	assert_int_equal(alert_post(a,
	                     &(struct alert_event){
	                         .kind = SV("anomaly"),
	                         .subject = SV("200"),
	                         .text = SV("burst"),
	                     }),
	    0);
	assert_int_equal(srv_wait(s, 5), 5);
	j = check_request(s, 3);
	assert_string_equal(jstr(j, "kind"), "alerts_suppressed");
	assert_int_equal(jint(j, "count"), 7);
	assert_non_null(strstr(jstr(j, "text"), "7 alerts suppressed"));
	json_decref(j);
	j = check_request(s, 4);
	assert_string_equal(jstr(j, "kind"), "anomaly");
	json_decref(j);
	alert_free(a);
	srv_stop(s);
}

/* R-FRAUD-4: the dispatcher retries after a 500 and keeps the status:
 * last error, last success, counts; alert_test() queues a test. */
static void
test_status_and_test(void **state)
{
	static const int script[] = {500, 200, 200, 500};
	struct http_srv *s = srv_start(script, 4, 0);
	struct alert_config cfg;
	struct alert_status st;
	struct alert *a;
	json_t *j;

	(void)state;
	webhook_config(&cfg, s->port);
	cfg.webhook.retry.attempts = 1;
	assert_int_equal(alert_new(&a, &cfg), 0);
	alert_status(a, ALERT_CH_WEBHOOK, &st);
	assert_int_equal(st.last_attempt_ms, 0);
	assert_int_equal(alert_test(a, ALERT_CH_EMAIL), -ENOENT);
	assert_int_equal(alert_test(a, ALERT_CH_WEBHOOK), 0);
	assert_int_equal(srv_wait(s, 1), 1);
	/* One attempt only: given up. */
	for (int i = 0; i < 100 && st.failed == 0; i++) {
		sleep_ms(10);
		alert_status(a, ALERT_CH_WEBHOOK, &st);
	}
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.sent, 0);
	assert_string_equal(st.last_error, "HTTP status 500");
	assert_true(st.last_attempt_ms > 0);
	assert_int_equal(st.last_success_ms, 0);

	assert_int_equal(alert_test(a, ALERT_CH_WEBHOOK), 0);
	assert_int_equal(srv_wait(s, 2), 2);
	j = check_request(s, 1);
	assert_string_equal(jstr(j, "kind"), "test");
	assert_true(json_is_true(json_object_get(j, "test")));
	json_decref(j);
	for (int i = 0; i < 100 && st.sent == 0; i++) {
		sleep_ms(10);
		alert_status(a, ALERT_CH_WEBHOOK, &st);
	}
	assert_int_equal(st.sent, 1);
	assert_true(st.last_success_ms >= st.last_attempt_ms - 1000);
	alert_free(a);
	srv_stop(s);
}

/* The dispatcher retries on its own, with backoff. */
static void
test_dispatcher_retries(void **state)
{
	static const int script[] = {500, 502, 200};
	struct http_srv *s = srv_start(script, 3, 0);
	struct alert_config cfg;
	struct alert_event ev = event("ceiling_reached", "102", "");
	struct alert_status st = {0};
	struct alert *a;

	(void)state;
	webhook_config(&cfg, s->port);
	assert_int_equal(alert_new(&a, &cfg), 0);
	assert_int_equal(alert_post(a, &ev), 0);
	assert_int_equal(srv_wait(s, 3), 3);
	for (int i = 0; i < 100 && st.sent == 0; i++) {
		sleep_ms(10);
		alert_status(a, ALERT_CH_WEBHOOK, &st);
	}
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.failed, 0);
	assert_string_equal(st.last_error, "HTTP status 502");
	json_decref(check_request(s, 2));
	alert_free(a);
	srv_stop(s);
}

/* alert_post() never waits: a full queue drops and counts; a stuck
 * receiver does not hold alert_free() past its drain time. */
static void
test_queue_full_and_free(void **state)
{
	static const int ok[] = {200};
	struct http_srv *s = srv_start(ok, 1, 1500);
	struct alert_config cfg;
	struct alert_status st;
	struct alert_event ev = event("ban", "192.0.2.1", "");
	struct alert *a;
	char subject[16];
	unsigned refused = 0;

	(void)state;
	webhook_config(&cfg, s->port);
	cfg.dedupe_s = 0;
	assert_int_equal(alert_new(&a, &cfg), 0);
	assert_int_equal(alert_post(a, &ev), 0);
	for (int i = 0; i < 200 && atomic_load(&s->n_conn) == 0; i++)
		sleep_ms(10);
	assert_int_equal(atomic_load(&s->n_conn), 1);
	for (int i = 0; i < ALERT_QUEUE_MAX + 100; i++) {
		int rc;

		snprintf(subject, sizeof(subject), "192.0.2.%d", i % 250);
		ev = event("scanner", subject, "");
		rc = alert_post(a, &ev);
		if (rc == -EAGAIN)
			refused++;
		else
			assert_int_equal(rc, 0);
	}
	assert_true(refused >= 100);
	alert_status(a, ALERT_CH_WEBHOOK, &st);
	assert_int_equal(st.dropped, refused);
	alert_free(a);
	srv_stop(s);

	/* A receiver that accepts and never answers. */
	{
		struct http_srv *stuck = srv_start(ok, 1, 60000);
		struct timespec t0, t1;
		int64_t ms;

		webhook_config(&cfg, stuck->port);
		cfg.webhook.retry.timeout_ms = 30000;
		cfg.webhook.retry.deadline_ms = 60000;
		assert_int_equal(alert_new(&a, &cfg), 0);
		assert_int_equal(alert_post(a, &ev), 0);
		for (int i = 0; i < 200 && atomic_load(&stuck->n_conn) == 0;
		     i++)
			sleep_ms(10);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		alert_free(a);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		assert_true(ms < ALERT_DRAIN_MS + 1500);
		srv_stop(stuck);
	}
}

static void
test_post_invalid(void **state)
{
	static const int ok[] = {200};
	struct http_srv *s = srv_start(ok, 1, 0);
	struct alert_config cfg;
	struct alert_event ev = event("", "100", "");
	char big[ALERT_DETAILS_MAX + 2];
	struct alert *a;

	(void)state;
	webhook_config(&cfg, s->port);
	assert_int_equal(alert_new(&a, &cfg), 0);
	assert_int_equal(alert_post(a, &ev), -EINVAL);
	ev = event("anomaly", "100", "");
	memset(big, ' ', sizeof(big));
	ev.details = sv_make(big, sizeof(big));
	assert_int_equal(alert_post(a, &ev), -EINVAL);
	ev.details = SV_NULL;
	ev.severity = (enum alert_severity)7;
	assert_int_equal(alert_post(a, &ev), -EINVAL);
	assert_int_equal(alert_test(a, (enum alert_channel)5), -EINVAL);
	alert_free(a);

	/* A configuration that breaks the rules starts nothing. */
	snprintf(cfg.webhook.url, sizeof(cfg.webhook.url), "%s",
	    "http://192.0.2.1/h");
	assert_int_equal(alert_new(&a, &cfg), -EINVAL);
	srv_stop(s);
}

static void
test_new_oom(void **state)
{
	static const int ok[] = {200};
	struct http_srv *s = srv_start(ok, 1, 0);
	struct alert_config cfg;
	struct alert *a = NULL;

	(void)state;
	webhook_config(&cfg, s->port);
	for (unsigned long n = 1; n <= 5; n++) {
		mem_fail_nth(n);
		assert_int_equal(alert_new(&a, &cfg), -ENOMEM);
	}
	mem_fail_nth(0);
	assert_int_equal(alert_new(&a, &cfg), 0);
	alert_free(a);
	alert_free(NULL);
	srv_stop(s);
}

static void
test_names(void **state)
{
	enum alert_channel ch;

	(void)state;
	assert_string_equal(alert_channel_name(ALERT_CH_EMAIL), "email");
	assert_string_equal(alert_severity_name(ALERT_SEV_WARNING), "warning");
	assert_int_equal(alert_channel_parse(SV("webhook"), &ch), 0);
	assert_int_equal(ch, ALERT_CH_WEBHOOK);
	assert_int_equal(alert_channel_parse(SV("sms"), &ch), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_config_checks),
	    cmocka_unit_test(test_deliver_signed),
	    cmocka_unit_test(test_deliver_retries),
	    cmocka_unit_test(test_deliver_gives_up),
	    cmocka_unit_test(test_dedupe),
	    cmocka_unit_test(test_rate_limit),
	    cmocka_unit_test(test_status_and_test),
	    cmocka_unit_test(test_dispatcher_retries),
	    cmocka_unit_test(test_queue_full_and_free),
	    cmocka_unit_test(test_post_invalid),
	    cmocka_unit_test(test_new_oom),
	};
	int rc;

	if (alert_global_init() != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	alert_global_cleanup();
	return rc;
}
