/*
 * spawn.c: fork and exec one FastCGI worker (see spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "spawn.h"

/* Where the child puts the exec-error pipe while it closes everything else. */
#define SPAWN_ERROR_FD 3
/* Scratch descriptors are moved above this before being put in place. */
#define SPAWN_SCRATCH_FD 10

static int spawn_address(const char *path, struct sockaddr_un *addr, char *err, size_t err_len);
static int spawn_listen(const char *path, char *err, size_t err_len);
static void spawn_child(int listen_fd, int stderr_fd, int error_fd, char *const argv[],
    char *const envp[], const struct sandbox_spec *sandbox) __attribute__((noreturn));
static void spawn_child_fail(enum sandbox_step step) __attribute__((noreturn));

int spawn_worker(const char *sock_path, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, struct spawn_result *out, char *err, size_t err_len)
{
	int stderr_pipe[2] = { -1, -1 }, error_pipe[2] = { -1, -1 };
	int listen_fd = spawn_listen(sock_path, err, err_len);

	if (listen_fd < 0)
		return -1;
	if (pipe2(stderr_pipe, O_CLOEXEC) < 0 || pipe2(error_pipe, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		goto err;
	}

	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_len, "fork: %s", strerror(errno));
		goto err;
	}
	if (pid == 0)
		spawn_child(listen_fd, stderr_pipe[1], error_pipe[1], argv, envp, sandbox);

	close(listen_fd);
	close(stderr_pipe[1]);
	close(error_pipe[1]);
	fcntl(stderr_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(error_pipe[0], F_SETFL, O_NONBLOCK);
	out->pid = pid;
	out->stderr_fd = stderr_pipe[0];
	out->exec_error_fd = error_pipe[0];
	return 0;

err:
	close(listen_fd);
	unlink(sock_path);
	for (int i = 0; i < 2; i++) {
		if (stderr_pipe[i] >= 0)
			close(stderr_pipe[i]);
		if (error_pipe[i] >= 0)
			close(error_pipe[i]);
	}
	return -1;
}

/* Fills a unix address for path. Returns 0, or -1 when it does not fit. */
static int spawn_address(const char *path, struct sockaddr_un *addr, char *err, size_t err_len)
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
 * Binds and listens on a fresh unix socket at path (a stale file is removed).
 * Returns the close-on-exec descriptor, or -1 with err filled.
 */
static int spawn_listen(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un addr;

	if (spawn_address(path, &addr, err, err_len) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 8) < 0) {
		snprintf(err, err_len, "bind/listen %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int spawn_connect(const char *sock_path, char *err, size_t err_len)
{
	struct sockaddr_un addr;

	if (spawn_address(sock_path, &addr, err, err_len) < 0)
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

/*
 * The child: restore default signal handling, die with the parent, put the
 * listening socket on fd 0, /dev/null on fd 1, the stderr pipe on fd 2,
 * close every other descriptor, enter the sandbox, exec. Only
 * async-signal-safe calls, but for the seccomp load (see sandbox.h).
 */
static void spawn_child(int listen_fd, int stderr_fd, int error_fd, char *const argv[],
    char *const envp[], const struct sandbox_spec *sandbox)
{
	enum sandbox_step step;

	sigset_t none;
	int fds[3];

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setpgid(0, 0);

	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	/* Move every source above the targets first, so no dup2 clobbers one. */
	fds[0] = fcntl(listen_fd, F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
	fds[1] = fcntl(null_fd, F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
	fds[2] = fcntl(stderr_fd, F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
	int err_fd = fcntl(error_fd, F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
	if (null_fd < 0 || fds[0] < 0 || fds[1] < 0 || fds[2] < 0 || err_fd < 0)
		_exit(127);
	for (int i = 0; i < 3; i++) {
		if (dup2(fds[i], i) < 0)
			_exit(127);
	}
	if (dup3(err_fd, SPAWN_ERROR_FD, O_CLOEXEC) < 0)
		_exit(127);
	close_range(SPAWN_ERROR_FD + 1, ~0U, 0);

	if (sandbox_enter(sandbox, &step) < 0)
		spawn_child_fail(step);
	execve(argv[0], argv, envp);
	spawn_child_fail(SANDBOX_STEP_EXEC);
}

/* Tells the parent which step failed, with errno, and exits. */
static void spawn_child_fail(enum sandbox_step step)
{
	struct spawn_error e = { .step = (int)step, .error = errno };
	ssize_t ignored = write(SPAWN_ERROR_FD, &e, sizeof(e));

	(void)ignored;
	_exit(127);
}
