/*
 * spawn.c: fork and exec a sandboxed child: a FastCGI worker, or a CGI
 * program (see spawn.h).
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
static void spawn_child(const int fds[3], int error_fd, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox) __attribute__((noreturn));
static void spawn_child_fail(enum sandbox_step step) __attribute__((noreturn));

int spawn_worker(const char *sock_path, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, struct spawn_result *out, char *err, size_t err_len)
{
	int stderr_pipe[2] = { -1, -1 }, null_fd = -1;
	int listen_fd = spawn_listen(sock_path, err, err_len);

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
	if (spawn_process(listen_fd, null_fd, stderr_pipe[1], argv, envp, sandbox, &out->pid,
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

int spawn_process(int fd0, int fd1, int fd2, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, pid_t *pid, int *exec_error_fd, char *err,
    size_t err_len)
{
	int error_pipe[2];
	const int fds[3] = { fd0, fd1, fd2 };
	sigset_t all, saved;

	if (pipe2(error_pipe, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		return -1;
	}
	/*
	 * Every signal stays blocked across fork() until the child has reset
	 * its handlers: a signal sent to the new pid early must not run one of
	 * the parent's handlers (libev's) in the child.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid_t child = fork();
	if (child == 0)
		spawn_child(fds, error_pipe[1], argv, envp, sandbox);
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (child < 0) {
		snprintf(err, err_len, "fork: %s", strerror(fork_errno));
		close(error_pipe[0]);
		close(error_pipe[1]);
		return -1;
	}

	close(error_pipe[1]);
	fcntl(error_pipe[0], F_SETFL, O_NONBLOCK);
	*pid = child;
	*exec_error_fd = error_pipe[0];
	return 0;
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
 * The child, every signal blocked: restore default signal handling, then
 * unblock; die with the parent, leave the parent's process group, put
 * fds[0..2] on descriptors 0, 1, 2, close every other descriptor, enter the
 * sandbox, exec. Only async-signal-safe
 * calls, but for the seccomp load (see sandbox.h).
 */
static void spawn_child(const int fds[3], int error_fd, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox)
{
	enum sandbox_step step;
	sigset_t none;
	int moved[3];

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* SIGKILL: libfcgi and php-cgi catch SIGTERM and finish their request first. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	setpgid(0, 0);

	/* Move every source above the targets first, so no dup2 clobbers one. */
	for (int i = 0; i < 3; i++) {
		moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
		if (moved[i] < 0)
			_exit(127);
	}
	int err_fd = fcntl(error_fd, F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
	if (err_fd < 0)
		_exit(127);
	for (int i = 0; i < 3; i++) {
		if (dup2(moved[i], i) < 0)
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
