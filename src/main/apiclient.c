/* The command line's client of the administration API, over libcurl. */
#include "apiclient.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/api.h"
#include "audit/assess.h"
#include "core/sv.h"

/* An API key is one line of at most this many bytes. */
#define APICLIENT_KEY_MAX 256u
/* The longest answer read; CSV exports are the large ones. */
#define APICLIENT_BODY_MAX (256u * 1024 * 1024)

struct apiclient {
	CURL *curl;
	char base[512];  /* "http://localhost" or the remote URL */
	char sock[4096]; /* the socket path given to libcurl; "" remote */
	char dir[4096];  /* the in-process API's directory; "" none */
	char sock_file[4096];
	int dirfd;       /* keeps a "/proc/self/fd/N/..." path valid */
	struct api *api; /* the in-process API, or NULL */
	char auth[APICLIENT_KEY_MAX + 32]; /* "Authorization: Bearer ..." */
	const char *ca_file;
};

static size_t
apiclient_write(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	buf_append(b, p, size * n);
	return b->err == 0 ? size * n : 0;
}

/* True when something accepts connections on 'path'. */
static int
apiclient_probe(const char *path)
{
	struct sockaddr_un sun;
	int fd, dirfd, rc;

	rc = api_socket_addr(path, &sun, &dirfd);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		rc = -errno;
	else if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	if (dirfd >= 0)
		close(dirfd);
	return rc;
}

/* Gives libcurl a path short enough for sun_path. */
static int
apiclient_use_socket(struct apiclient *c, const char *path)
{
	struct sockaddr_un sun;
	int rc = api_socket_addr(path, &sun, &c->dirfd);

	if (rc != 0)
		return rc;
	snprintf(c->sock, sizeof(c->sock), "%s", sun.sun_path);
	snprintf(c->base, sizeof(c->base), "http://localhost");
	return 0;
}

/* The same API in this process, on a private socket. */
static int
apiclient_embed(struct apiclient *c, const struct apiclient_opts *o)
{
	struct api_config cfg = {
	    .data_dir = o->data_dir,
	    .share_dir = o->share_dir,
	    .reload = o->reload,
	    .reload_arg = o->reload_arg,
	    .local_only = true,
	    .assessment = assess_api_answer,
	};
	int rc;

	if (snprintf(c->dir, sizeof(c->dir), "%s/.api-XXXXXX", o->data_dir) >=
	        (int)sizeof(c->dir) ||
	    snprintf(c->sock_file, sizeof(c->sock_file), "%s/api.sock",
	        c->dir) >= (int)sizeof(c->sock_file)) {
		c->dir[0] = '\0';
		return -ENAMETOOLONG;
	}
	/* mkdtemp makes it 0700: only we can reach the socket. */
	if (mkdtemp(c->dir) == NULL) {
		rc = -errno;
		c->dir[0] = '\0';
		fprintf(stderr, "rempart: cannot create %s/.api-*: %s\n",
		    o->data_dir, strerror(-rc));
		return rc;
	}
	/* The same length as checked above. */
	if (snprintf(c->sock_file, sizeof(c->sock_file), "%s/api.sock",
	        c->dir) >= (int)sizeof(c->sock_file))
		return -ENAMETOOLONG;
	cfg.socket_path = c->sock_file;
	rc = api_start(&c->api, &cfg);
	if (rc != 0) {
		fprintf(stderr, "rempart: cannot start the API: %s\n",
		    strerror(-rc));
		return rc;
	}
	return apiclient_use_socket(c, c->sock_file);
}

/* Reads the API key: the file's first line. */
static int
apiclient_key(struct apiclient *c, const char *file)
{
	char key[APICLIENT_KEY_MAX + 2];
	struct sv k;
	FILE *f;
	bool ok;

	f = fopen(file, "r");
	if (f == NULL) {
		fprintf(stderr, "rempart: cannot read %s: %s\n", file,
		    strerror(errno));
		return -errno;
	}
	ok = fgets(key, sizeof(key), f) != NULL;
	fclose(f);
	k = ok ? sv_trim(sv_cstr(key)) : SV_NULL;
	if (k.len == 0 || k.len > APICLIENT_KEY_MAX) {
		fprintf(stderr, "rempart: %s holds no API key\n", file);
		memset(key, 0, sizeof(key));
		return -EINVAL;
	}
	snprintf(
	    c->auth, sizeof(c->auth), "Authorization: Bearer %.*s", SV_ARG(k));
	memset(key, 0, sizeof(key));
	return 0;
}

int
apiclient_open(struct apiclient **out, const struct apiclient_opts *o)
{
	struct apiclient *c;
	char path[4096];
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->dirfd = -1;
	c->ca_file = o->ca_file;
	c->curl = curl_easy_init();
	if (c->curl == NULL) {
		free(c);
		return -ENOMEM;
	}
	if (o->url != NULL) {
		if (strncmp(o->url, "https://", 8) != 0 ||
		    strlen(o->url) >= sizeof(c->base) - 1) {
			fprintf(stderr, "rempart: --api takes "
			                "https://HOST:PORT\n");
			rc = -EINVAL;
		} else if (o->key_file == NULL) {
			fprintf(stderr, "rempart: --api needs "
			                "--api-key-file FILE\n");
			rc = -EINVAL;
		} else {
			snprintf(c->base, sizeof(c->base), "%s", o->url);
			/* "https://h:p/" and "https://h:p" alike. */
			if (c->base[strlen(c->base) - 1] == '/')
				c->base[strlen(c->base) - 1] = '\0';
			rc = apiclient_key(c, o->key_file);
		}
	} else if (snprintf(path, sizeof(path), "%s/rempart.sock",
	               o->data_dir) >= (int)sizeof(path)) {
		rc = -ENAMETOOLONG;
	} else {
		rc = apiclient_probe(path);
		if (rc == 0)
			rc = apiclient_use_socket(c, path);
		else if (rc == -ENOENT || rc == -ECONNREFUSED)
			rc = apiclient_embed(c, o);
		else
			fprintf(stderr,
			    "rempart: cannot reach the daemon at %s: %s\n",
			    path, strerror(-rc));
	}
	if (rc != 0) {
		apiclient_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void
apiclient_close(struct apiclient *c)
{
	if (c == NULL)
		return;
	api_stop(c->api);
	if (c->dir[0] != '\0') {
		unlink(c->sock_file);
		rmdir(c->dir);
	}
	if (c->dirfd >= 0)
		close(c->dirfd);
	curl_easy_cleanup(c->curl);
	memset(c->auth, 0, sizeof(c->auth));
	free(c);
}

bool
apiclient_remote(const struct apiclient *c)
{
	return c->sock[0] == '\0';
}

int
apiclient_escape(const char *text, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *text != '\0'; text++) {
		unsigned char ch = (unsigned char)*text;
		bool plain = (ch >= 'a' && ch <= 'z') ||
		             (ch >= 'A' && ch <= 'Z') ||
		             (ch >= '0' && ch <= '9') || strchr("-._~:", ch);

		if (n + (plain ? 1 : 3) >= size)
			return -ENAMETOOLONG;
		if (plain) {
			out[n++] = (char)ch;
		} else {
			out[n++] = '%';
			out[n++] = hex[ch >> 4];
			out[n++] = hex[ch & 15];
		}
	}
	out[n] = '\0';
	return 0;
}

/* One request with a body of 'len' bytes of 'type' ('type' NULL: no
 * body). */
static int
apiclient_do(struct apiclient *c, const char *method, const char *path,
    const char *type, const char *data, size_t len, long *status, json_t **out,
    struct buf *raw)
{
	struct curl_slist *h = NULL;
	char url[1024], ctype[96];
	struct buf b;
	CURLcode cc;
	int rc = 0;

	*out = NULL;
	if (snprintf(url, sizeof(url), "%s/api/v1/%s", c->base, path) >=
	    (int)sizeof(url))
		return -ENAMETOOLONG;
	buf_init(&b, APICLIENT_BODY_MAX);
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, apiclient_write);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR,
	    apiclient_remote(c) ? "https" : "http");
	if (apiclient_remote(c)) {
		h = curl_slist_append(h, c->auth);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(
		    c->curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_3);
		if (c->ca_file != NULL)
			curl_easy_setopt(c->curl, CURLOPT_CAINFO, c->ca_file);
	} else {
		curl_easy_setopt(c->curl, CURLOPT_UNIX_SOCKET_PATH, c->sock);
	}
	if (type != NULL) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s", type);
		h = curl_slist_append(h, ctype);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(
		    c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	cc = curl_easy_perform(c->curl);
	if (cc != CURLE_OK) {
		fprintf(stderr, "rempart: cannot reach the API: %s\n",
		    curl_easy_strerror(cc));
		rc = -EIO;
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	if (b.len != 0)
		*out = json_loadb(b.data, b.len, 0, NULL);
	if (raw != NULL) {
		*raw = b;
		buf_init(&b, 0);
	}
out:
	curl_slist_free_all(h);
	buf_release(&b);
	return rc;
}

int
apiclient_call(struct apiclient *c, const char *method, const char *path,
    json_t *body, long *status, json_t **out, struct buf *raw)
{
	char *text = NULL;
	int rc;

	*out = NULL;
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT);
		if (text == NULL)
			return -ENOMEM;
	}
	rc = apiclient_do(c, method, path,
	    text != NULL ? "application/json" : NULL, text,
	    text != NULL ? strlen(text) : 0, status, out, raw);
	if (text != NULL) {
		/* The body may hold a secret. */
		memset(text, 0, strlen(text));
		free(text);
	}
	return rc;
}

int
apiclient_send(struct apiclient *c, const char *method, const char *path,
    const char *type, const char *data, size_t len, long *status, json_t **out)
{
	return apiclient_do(
	    c, method, path, type, data, len, status, out, NULL);
}

int
apiclient_fail(long status, json_t *body)
{
	const char *msg = json_string_value(
	    json_object_get(json_object_get(body, "error"), "message"));

	if (msg != NULL)
		fprintf(stderr, "rempart: %s\n", msg);
	else
		fprintf(stderr, "rempart: the API answered %ld\n", status);
	return 1;
}
