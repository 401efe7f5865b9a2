/*
 * worker_socket.c: a worker's listening socket and the daemon's connection
 * to it (see worker_socket.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "worker_socket.h"

static int worker_socket_address(const char *path, struct sockaddr_un *addr, char *err,
    size_t err_len);
static int worker_socket_listen(const char *path, char *err, size_t err_len);

int worker_socket_start(const char *sock_path, struct spawner *spawner, uint32_t generation,
    const char *function, struct worker_start *out, char *err, size_t err_len)
{
	int stderr_pipe[2] = { -1, -1 }, null_fd = -1;
	int listen_fd = worker_socket_listen(sock_path, err, err_len);

	if (listen_fd < 0)
		return -1;
	if (pipe2(stderr_pipe, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		goto err;
	}
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0) {
		snprintf(err, err_len, "/dev/null: %s", strerror(errno));
		goto err;
	}
	const int fds[3] = { listen_fd, null_fd, stderr_pipe[1] };
	if (spawner_spawn(spawner, generation, function, fds, NULL, &out->child,
		&out->exec_error_fd, err, err_len) < 0)
		goto err;

	close(listen_fd);
	close(null_fd);
	close(stderr_pipe[1]);
	fcntl(stderr_pipe[0], F_SETFL, O_NONBLOCK);
	out->stderr_fd = stderr_pipe[0];
	return 0;

err:
	close(listen_fd);
	unlink(sock_path);
	if (null_fd >= 0)
		close(null_fd);
	for (int i = 0; i < 2; i++) {
		if (stderr_pipe[i] >= 0)
			close(stderr_pipe[i]);
	}
	return -1;
}

/* Fills a unix address for path. Returns 0, or -1 when it does not fit. */
static int worker_socket_address(const char *path, struct sockaddr_un *addr, char *err,
    size_t err_len)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path)) {
		snprintf(err, err_len, "socket path too long: %s", path);
		return -1;
	}
	strcpy(addr->sun_path, path);
	return 0;
}

/*
 * Binds and listens on a fresh unix socket at path (a stale file is
 * removed), created 0600 whatever the umask. Returns the close-on-exec
 * descriptor, or -1 with err filled.
 */
static int worker_socket_listen(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un addr;

	if (worker_socket_address(path, &addr, err, err_len) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	mode_t mask = umask(077);
	int rc = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(mask);
	if (rc < 0 || listen(fd, 8) < 0) {
		snprintf(err, err_len, "bind/listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int worker_socket_connect(const char *sock_path, char *err, size_t err_len)
{
	struct sockaddr_un addr;

	if (worker_socket_address(sock_path, &addr, err, err_len) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, err_len, "connect %s: %s", sock_path, strerror(errno));
		close(fd);
		fd = -1;
	}
	unlink(sock_path);
	return fd;
}
