/*
 * zygote.c: a CGI function's zygote (see zygote.h).
 *
 * The spawner and a zygote talk over a SOCK_SEQPACKET pair, one datagram
 * per message. The spawner sends a request: the child's environment as
 * NUL-terminated strings back to back; its three descriptors and the
 * write end of its exec-error pipe as SCM_RIGHTS. The zygote answers each
 * with a struct zygote_reply as soon as the child exists, and sends one
 * more, unasked, once it has entered the sandbox (pid 0).
 *
 * The child shares the zygote's memory until it execs (CLONE_VM: nothing
 * is copied), but not its descriptors, and the zygote does not wait for
 * the exec to answer: the spawner and the daemon go on while the kernel
 * loads the program. The zygote waits only before it reuses what the
 * child may still read (its stack, the request's environment): the kernel
 * clears a word and wakes its futex when the child's exec or exit lets
 * go of the memory (CLONE_CHILD_CLEARTID).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <linux/futex.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"
#include "zygote.h"

/* How long the spawner waits for a zygote's answer before giving up on it. */
#define ZYGOTE_ANSWER_MS 1000
/* The stack a child runs on until it execs (its frames are small). */
#define ZYGOTE_STACK_SIZE (64 * 1024)
/* The zygote's descriptor of its socket. */
#define ZYGOTE_SOCKET_FD 3
/* The zygote's process name (comm), as ps shows it. */
#define ZYGOTE_PROCESS_NAME "gatewayd-zygote"
/* A request's descriptors: the child's 0, 1, 2, then its exec-error pipe. */
#define ZYGOTE_FDS (SPAWNER_SPAWN_FDS + 1)

/* The zygote's answer: the child, or why there is none. */
struct zygote_reply {
	int32_t pid;		/* the child; 0 for "sandbox entered"; -1: none */
	int32_t step;		/* enum sandbox_step that failed, SANDBOX_STEP_NONE if none */
	int32_t error;		/* its errno */
};

struct zygote {
	pid_t pid;
	int fd;			/* our end of the socket pair */
	uint8_t *out;		/* one request datagram */
};

/* One child being started, shared with it (CLONE_VM) until it execs. */
struct zygote_child {
	int fds[ZYGOTE_FDS];
	char *const *argv;
	char **envp;
	pid_t spawner;
	uint32_t memory_held;	/* nonzero until the child's exec or exit (the kernel clears it) */
};

static void zygote_main(int fd, const struct spawn_spec *spec, pid_t spawner)
    __attribute__((noreturn));
static void zygote_enter(const struct spawn_spec *spec, pid_t spawner);
static void zygote_serve(const struct spawn_spec *spec, pid_t spawner, uint8_t *in,
    char **envp, size_t envp_cap, void *stack) __attribute__((noreturn));
static size_t zygote_receive(uint8_t *in, char **envp, size_t envp_cap, int fds[ZYGOTE_FDS]);
static void zygote_wait_release(struct zygote_child *child);
static void zygote_answer(const struct zygote_reply *r);
static int zygote_child_main(void *arg) SPAWN_CHILD_STACK;
static int zygote_await(struct zygote *z, struct zygote_reply *r, bool *gone);

bool zygote_suits(const struct spawn_spec *spec)
{
	return spec->takes_env && !spec->sandbox->new_network &&
	    syscall_filter_forks_and_execs(spec->sandbox->filter);
}

struct zygote *zygote_start(const struct spawn_spec *spec, char *err, size_t err_len)
{
	struct zygote *z = calloc(1, sizeof(*z));
	struct zygote_reply r;
	sigset_t all, saved;
	int pair[2];

	if (z == NULL || (z->out = malloc(SPAWNER_MSG_MAX)) == NULL) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		snprintf(err, err_len, "socketpair: %s", strerror(errno));
		goto fail;
	}
	pid_t spawner = getpid();
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	z->pid = fork();
	if (z->pid == 0) {
		close(pair[0]);
		zygote_main(pair[1], spec, spawner);
	}
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	close(pair[1]);
	z->fd = pair[0];
	if (z->pid < 0) {
		snprintf(err, err_len, "fork: %s", strerror(fork_errno));
		close(z->fd);
		goto fail;
	}
	bool gone;
	if (zygote_await(z, &r, &gone) < 0) {
		snprintf(err, err_len, "zygote %ld: %s", (long)z->pid, gone ? "died" : "no answer");
		zygote_stop(z);
		return NULL;
	}
	if (r.pid != 0) {
		snprintf(err, err_len, "zygote: %s: %s",
		    sandbox_step_name((enum sandbox_step)r.step), strerror(r.error));
		zygote_stop(z);
		return NULL;
	}
	return z;
fail:
	if (z != NULL)
		free(z->out);
	free(z);
	return NULL;
}

/*
 * The zygote process: signals back to their defaults, a session of its
 * own (no controlling terminal, out of the daemon's process group), its
 * socket as descriptor 3, /dev/null on 0, 1, 2 and nothing else open (a
 * process of the function's user holds none of the daemon's descriptors,
 * as no worker does), the memory it will need taken before the filter,
 * the sandbox; then it serves until the spawner closes the socket.
 */
static void zygote_main(int fd, const struct spawn_spec *spec, pid_t spawner)
{
	size_t envp_cap = SPAWNER_MSG_MAX / 2 + 1;	/* a string takes 2 bytes at least */

	spawn_reset_signals();
	prctl(PR_SET_NAME, ZYGOTE_PROCESS_NAME);
	if (setsid() < 0 || fd < ZYGOTE_SOCKET_FD || (fd != ZYGOTE_SOCKET_FD &&
	    dup3(fd, ZYGOTE_SOCKET_FD, O_CLOEXEC) < 0))
		_exit(127);
	close_range(ZYGOTE_SOCKET_FD + 1, ~0U, 0);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 3; i++) {
		if (null_fd < 0 || dup2(null_fd, i) < 0)
			_exit(127);
	}
	close(null_fd);
	uint8_t *in = malloc(SPAWNER_MSG_MAX);
	char **envp = calloc(envp_cap, sizeof(*envp));
	void *stack = mmap(NULL, ZYGOTE_STACK_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (in == NULL || envp == NULL || stack == MAP_FAILED)
		_exit(127);
	zygote_enter(spec, spawner);
	zygote_serve(spec, spawner, in, envp, envp_cap, (char *)stack + ZYGOTE_STACK_SIZE);
}

/*
 * The function's sandbox, as spawn_process's child enters it, except that
 * the zygote makes itself undumpable after its identity change (which
 * resets the flag) and before the filter: neither ptrace, /proc/PID/mem
 * nor /proc/PID/fd of a process of its user reaches it then. Answers the
 * spawner either way; a failure ends the zygote.
 */
static void zygote_enter(const struct spawn_spec *spec, pid_t spawner)
{
	struct sandbox_spec unfiltered = *spec->sandbox;
	struct zygote_reply r = { .pid = 0, .step = SANDBOX_STEP_NONE };
	enum sandbox_step step;
	int rc;

	unfiltered.filter = NULL;
	if (sandbox_enter(&unfiltered, spawner, &step) < 0) {
		r = (struct zygote_reply){ .pid = -1, .step = (int32_t)step, .error = errno };
	} else if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		r = (struct zygote_reply){ .pid = -1, .step = SANDBOX_STEP_DUMPABLE, .error = errno };
	} else if ((rc = syscall_filter_load(spec->sandbox->filter)) < 0) {
		r = (struct zygote_reply){ .pid = -1, .step = SANDBOX_STEP_SECCOMP, .error = -rc };
	}
	zygote_answer(&r);
	if (r.pid < 0)
		_exit(127);
}

/*
 * One request at a time: the previous child done with our memory, the
 * request received (its environment split in place into envp), a child
 * cloned on stack, the answer. Our copies of the descriptors are closed
 * at once: the child has its own table.
 */
static void zygote_serve(const struct spawn_spec *spec, pid_t spawner, uint8_t *in,
    char **envp, size_t envp_cap, void *stack)
{
	struct zygote_child child = { .argv = spec->argv, .envp = envp, .spawner = spawner };

	for (;;) {
		zygote_wait_release(&child);
		size_t nfds = zygote_receive(in, envp, envp_cap, child.fds);
		struct zygote_reply r = { .pid = -1, .step = SANDBOX_STEP_NONE, .error = EPROTO };
		if (nfds > 0) {
			child.memory_held = 1;
			r.pid = clone(zygote_child_main, stack, CLONE_VM | CLONE_PARENT |
			    CLONE_CHILD_CLEARTID, &child, NULL, NULL, &child.memory_held);
			r.error = errno;
			if (r.pid < 0)
				child.memory_held = 0;
		}
		for (size_t i = 0; i < nfds; i++)
			close(child.fds[i]);
		zygote_answer(&r);
	}
}

/*
 * Receives one request into in (SPAWNER_MSG_MAX bytes), its environment
 * split into envp (NULL-terminated, pointing into in: spawner_env_split)
 * and its descriptors into fds. Returns ZYGOTE_FDS for a well-formed
 * request; a malformed one returns 0 with what it brought closed. The end
 * of the socket ends the zygote.
 */
static size_t zygote_receive(uint8_t *in, char **envp, size_t envp_cap, int fds[ZYGOTE_FDS])
{
	char control[CMSG_SPACE(sizeof(int) * ZYGOTE_FDS)];
	struct iovec iov = { .iov_base = in, .iov_len = SPAWNER_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof(control) };
	size_t nfds = 0;
	ssize_t n;

	do
		n = recvmsg(ZYGOTE_SOCKET_FD, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		_exit(0);	/* the spawner closed: our generation is over */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		size_t k = c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS ?
		    (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0;
		for (size_t i = 0; i < k && nfds < ZYGOTE_FDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	ssize_t n_env = spawner_env_split(in, (size_t)n, (const char **)envp, envp_cap - 1);
	if (n_env < 0 || nfds != ZYGOTE_FDS || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return 0;
	}
	envp[n_env] = NULL;
	return nfds;
}

/* Waits until the last child has exec'd or exited (the kernel cleared the word). */
static void zygote_wait_release(struct zygote_child *child)
{
	uint32_t held;

	while ((held = __atomic_load_n(&child->memory_held, __ATOMIC_ACQUIRE)) != 0)
		syscall(SYS_futex, &child->memory_held, FUTEX_WAIT, held, NULL, NULL, 0);
}

/* Sends r to the spawner; a spawner that is gone ends us. */
static void zygote_answer(const struct zygote_reply *r)
{
	if (send(ZYGOTE_SOCKET_FD, r, sizeof(*r), MSG_NOSIGNAL) != (ssize_t)sizeof(*r))
		_exit(127);
}

/*
 * The child, in the zygote's memory on the zygote's stack, the spawner's
 * child (CLONE_PARENT): its descriptors (the exec-error pipe on 3), the
 * parent-death signal (its parent is the spawner, checked alive), a
 * session, exec; a failed step is reported on the pipe (spawn_fail).
 */
static int zygote_child_main(void *arg)
{
	struct zygote_child *c = arg;

	if (spawn_place_descriptors(c->fds, c->fds[SPAWNER_SPAWN_FDS]) < 0)
		_exit(127);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		spawn_fail(SANDBOX_STEP_PARENT);
	if (getppid() != c->spawner) {
		errno = ESRCH;
		spawn_fail(SANDBOX_STEP_PARENT);
	}
	if (setsid() < 0)
		_exit(127);
	execve(c->argv[0], c->argv, c->envp);
	spawn_fail(SANDBOX_STEP_EXEC);
}

enum zygote_result zygote_spawn(struct zygote *z, const int fds[3], char *const envp[],
    pid_t *pid, int *exec_error_fd, char *err, size_t err_len)
{
	char control[CMSG_SPACE(sizeof(int) * ZYGOTE_FDS)];
	struct iovec iov = { .iov_base = z->out };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct zygote_reply r;
	size_t len = 0;
	int pipe_fds[2];

	for (size_t i = 0; envp[i] != NULL; i++) {
		size_t n = strlen(envp[i]) + 1;
		if (n > SPAWNER_MSG_MAX - len) {
			snprintf(err, err_len, "environment too large");
			return ZYGOTE_REFUSED;
		}
		memcpy(z->out + len, envp[i], n);
		len += n;
	}
	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		return ZYGOTE_REFUSED;
	}
	const int sent[ZYGOTE_FDS] = { fds[0], fds[1], fds[2], pipe_fds[1] };
	iov.iov_len = len;
	memset(control, 0, sizeof(control));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(sent));
	memcpy(CMSG_DATA(c), sent, sizeof(sent));
	bool gone = true;
	if (sendmsg(z->fd, &mh, MSG_NOSIGNAL) != (ssize_t)len || zygote_await(z, &r, &gone) < 0) {
		snprintf(err, err_len, "zygote %ld: %s", (long)z->pid, gone ? "died" : "no answer");
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return gone ? ZYGOTE_GONE : ZYGOTE_BROKEN;
	}
	if (r.pid <= 0) {
		snprintf(err, err_len, "clone: %s", strerror(r.error));
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return ZYGOTE_REFUSED;
	}
	close(pipe_fds[1]);
	*pid = r.pid;
	*exec_error_fd = pipe_fds[0];
	return ZYGOTE_SPAWNED;
}

/*
 * Waits at most ZYGOTE_ANSWER_MS for one reply. Returns 0, or -1 with
 * *gone telling a zygote that is dead (its end closed) from one that did
 * not answer in time.
 */
static int zygote_await(struct zygote *z, struct zygote_reply *r, bool *gone)
{
	struct pollfd p = { .fd = z->fd, .events = POLLIN };
	int rc;

	do
		rc = poll(&p, 1, ZYGOTE_ANSWER_MS);
	while (rc < 0 && errno == EINTR);
	*gone = rc != 0;
	if (rc <= 0 || recv(z->fd, r, sizeof(*r), MSG_DONTWAIT) != (ssize_t)sizeof(*r))
		return -1;
	return 0;
}

void zygote_stop(struct zygote *z)
{
	if (z == NULL)
		return;
	kill(z->pid, SIGKILL);
	close(z->fd);
	free(z->out);
	free(z);
}
