/* The administration API on a local Unix socket (R-ADMIN-2): the same
 * routes, handlers, validation and audit as over HTTPS, in plain HTTP.
 * The socket's mode (0600) keeps other users out; the peer's
 * credentials say who is calling. */
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin/api_int.h"
#include "core/log.h"

static bool api_local_answers(const char *path);

/* Removes a stale socket left by a server that did not stop cleanly;
 * a socket another server still answers on, or anything else at that
 * path, is left alone (bind then fails). */
static void
api_local_unlink_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    !api_local_answers(path))
		unlink(path);
}

int
api_socket_addr(const char *path, struct sockaddr_un *sun, int *dirfd)
{
	const char *slash = strrchr(path, '/');
	size_t n = strlen(path);
	char dir[4096];
	int w;

	*dirfd = -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (n == 0)
		return -EINVAL;
	if (n < sizeof(sun->sun_path)) {
		memcpy(sun->sun_path, path, n + 1);
		return 0;
	}
	if (slash == NULL || (size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*dirfd =
	    open(dir[0] != '\0' ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -errno;
	w = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d%s",
	    *dirfd, slash);
	if (w < 0 || (size_t)w >= sizeof(sun->sun_path)) {
		close(*dirfd);
		*dirfd = -1;
		return -ENAMETOOLONG;
	}
	return 0;
}

/* True when a server accepts connections on the socket 'path'. */
static bool
api_local_answers(const char *path)
{
	struct sockaddr_un sun;
	bool live = false;
	int fd, dirfd;

	if (api_socket_addr(path, &sun, &dirfd) != 0)
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(fd);
	}
	if (dirfd >= 0)
		close(dirfd);
	return live;
}

static int
api_local_bind(const char *path)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, dirfd, rc;

	rc = api_socket_addr(path, &sun, &dirfd);
	if (rc != 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		if (dirfd >= 0)
			close(dirfd);
		return rc;
	}
	api_local_unlink_stale(path);
	/* Created 0600 from the start: no window where others may
	 * connect. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
		rc = -errno;
	umask(old);
	if (rc == 0 && chmod(path, 0600) != 0)
		rc = -errno;
	if (dirfd >= 0)
		close(dirfd);
	if (rc == 0 && listen(fd, 16) != 0)
		rc = -errno;
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
api_local_start(struct api *a, const char *path,
    MHD_AccessHandlerCallback handler, MHD_RequestCompletedCallback done)
{
	int fd = api_local_bind(path);

	if (fd < 0) {
		log_error(
		    "api", "msg=\"cannot bind the local socket\" err=%d", -fd);
		return fd;
	}
	a->sock_path = strdup(path);
	if (a->sock_path == NULL) {
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	/* No per-address limit: every peer has the same (empty)
	 * address. */
	a->local_mhd = MHD_start_daemon(API_MHD_THREADS, 0, NULL, NULL, handler,
	    a, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_NOTIFY_COMPLETED,
	    done, (void *)NULL, MHD_OPTION_END);
	if (a->local_mhd == NULL) {
		close(fd);
		unlink(path);
		log_error("api", "msg=\"cannot serve the local socket\"");
		return -EIO;
	}
	log_debug("api", "msg=listening socket=local");
	return 0;
}

void
api_local_stop(struct api *a)
{
	if (a->local_mhd != NULL) {
		MHD_stop_daemon(a->local_mhd);
		a->local_mhd = NULL;
	}
	if (a->sock_path != NULL) {
		api_local_unlink_stale(a->sock_path);
		free(a->sock_path);
		a->sock_path = NULL;
	}
}

bool
api_local_conn(const struct api *a, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	if (a->local_mhd == NULL)
		return false;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
	return ci != NULL && ci->daemon == a->local_mhd;
}

/* "local:NAME" for 'uid', or "local:uid=N" when it has no usable
 * name. */
static void
api_local_actor(uid_t uid, char *out, size_t size)
{
	struct passwd pw, *res = NULL;
	char buf[1024];
	bool ok = false;

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
	    res->pw_name != NULL) {
		size_t n = strlen(res->pw_name);

		ok = n > 0 && n + 7 < size;
		for (size_t i = 0; ok && i < n; i++)
			ok = res->pw_name[i] > 0x20 && res->pw_name[i] < 0x7f;
	}
	if (ok)
		snprintf(out, size, "local:%s", res->pw_name);
	else
		snprintf(out, size, "local:uid=%u", (unsigned)uid);
}

int
api_local_auth(struct api_call *k)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(k->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char uid[24];

	k->local = true;
	snprintf(k->src, sizeof(k->src), "local");
	if (ci == NULL ||
	    getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) !=
	        0 ||
	    len != sizeof(cr)) {
		log_warn("security", "event=local_refused uid=?");
		return -EPERM;
	}
	if (cr.uid != 0 && cr.uid != geteuid()) {
		log_warn("security",
		    "event=local_refused uid=%u pid=%d service=api",
		    (unsigned)cr.uid, (int)cr.pid);
		return -EPERM;
	}
	api_local_actor(cr.uid, k->local_actor, sizeof(k->local_actor));
	k->key.role = RBAC_ROLE_ADMIN;
	snprintf(uid, sizeof(uid), "%u", (unsigned)cr.uid);
	api_bucket_id("local", sv_cstr(uid), k->key.id);
	return 0;
}
