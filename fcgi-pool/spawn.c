/*
 * spawn.c: fork and exec a sandboxed child (see spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "spawn.h"

/* Where the child puts the exec-error pipe while it closes everything else. */
#define SPAWN_ERROR_FD 3
/* Scratch descriptors are moved above this before being put in place. */
#define SPAWN_SCRATCH_FD 10
/* The child's stack until it execs: its frames are a few hundred bytes. */
#define SPAWN_STACK_SIZE (64 * 1024)

/* What the child needs, handed through clone()'s one argument. */
struct spawn_child_args {
	const int *fds;
	int error_fd;
	char *const *argv;
	char *const *envp;
	const struct sandbox_spec *sandbox;
};

static int spawn_child_start(void *arg) SPAWN_CHILD_STACK;

static void spawn_child(const int fds[3], int error_fd, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox) SPAWN_CHILD_STACK __attribute__((noreturn));

int spawn_process(const int fds[3], char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, pid_t *pid, int *exec_error_fd, char *err,
    size_t err_len)
{
	int error_pipe[2];
	sigset_t all, saved;

	if (pipe2(error_pipe, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		return -1;
	}
	void *stack = mmap(NULL, SPAWN_STACK_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		snprintf(err, err_len, "mmap: %s", strerror(errno));
		close(error_pipe[0]);
		close(error_pipe[1]);
		return -1;
	}
	struct spawn_child_args args = { fds, error_pipe[1], argv, envp, sandbox };
	/*
	 * Every signal stays blocked across clone() until the child has reset
	 * its handlers: a signal sent to the new pid early must not run one of
	 * the parent's handlers in the child, in our memory.
	 */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &saved);
	pid_t child = clone(spawn_child_start, (char *)stack + SPAWN_STACK_SIZE,
	    CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
	int clone_errno = errno;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	munmap(stack, SPAWN_STACK_SIZE);
	close(error_pipe[1]);
	if (child < 0) {
		snprintf(err, err_len, "clone: %s", strerror(clone_errno));
		close(error_pipe[0]);
		return -1;
	}
	*pid = child;
	*exec_error_fd = error_pipe[0];
	return 0;
}

/*
 * The child's first frame, on its own stack in our memory (CLONE_VM):
 * we stay suspended (CLONE_VFORK) until it has exec'd or exited, so
 * nothing it touches changes under us, and the spawner's memory is never
 * copied (fork() would copy its page tables for every child, only for
 * execve to throw them away).
 */
static int spawn_child_start(void *arg)
{
	const struct spawn_child_args *a = arg;

	spawn_child(a->fds, a->error_fd, a->argv, a->envp, a->sandbox);
}

/*
 * The child, every signal blocked: restore default signal handling, then
 * unblock; die with the parent, leave its session, put fds[0..2] on
 * descriptors 0, 1, 2, close every other descriptor, enter the sandbox,
 * exec. Only async-signal-safe calls.
 */
static void spawn_child(const int fds[3], int error_fd, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox)
{
	pid_t parent = getppid();
	enum sandbox_step step;

	spawn_reset_signals();
	/* SIGKILL: libfcgi and php-cgi catch SIGTERM and finish their request first. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setsid() < 0 || spawn_place_descriptors(fds, error_fd) < 0)
		_exit(127);
	if (sandbox_enter(sandbox, parent, &step) < 0)
		spawn_fail(step);
	execve(argv[0], argv, envp);
	spawn_fail(SANDBOX_STEP_EXEC);
}

void spawn_reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

int spawn_place_descriptors(const int fds[3], int error_fd)
{
	int moved[3];

	/* Move every source above the targets first, so no dup2 clobbers one. */
	for (int i = 0; i < 3; i++) {
		moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
		if (moved[i] < 0)
			return -1;
	}
	int err_fd = error_fd < 0 ? -1 : fcntl(error_fd, F_DUPFD_CLOEXEC, SPAWN_SCRATCH_FD);
	if (error_fd >= 0 && err_fd < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (dup2(moved[i], i) < 0)
			return -1;
	}
	if (err_fd >= 0 && dup3(err_fd, SPAWN_ERROR_FD, O_CLOEXEC) < 0)
		return -1;
	close_range(err_fd >= 0 ? SPAWN_ERROR_FD + 1 : 3, ~0U, 0);
	return 0;
}

void spawn_fail(enum sandbox_step step)
{
	struct spawn_error e = { .step = (int)step, .error = errno };
	ssize_t ignored = write(SPAWN_ERROR_FD, &e, sizeof(e));

	(void)ignored;
	_exit(127);
}
