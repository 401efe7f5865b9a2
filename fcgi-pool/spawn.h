/*
 * spawn.h: fork and exec one sandboxed child. Runs in the spawner (see
 * spawner.h), the only process that starts workers and CGI programs.
 */
#ifndef FCGI_POOL_SPAWN_H
#define FCGI_POOL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

/*
 * Marks a function that runs on the stack of a child sharing our memory
 * (clone(CLONE_VM)) and calls a function that does not return (_exit,
 * spawn_fail): AddressSanitizer takes such a call on a stack it does not
 * know for a stack switch, and warns on stderr, which is the child's, the
 * function's stderr. Nothing else is left out: the child's other calls stay
 * checked.
 */
#define SPAWN_CHILD_STACK __attribute__((no_sanitize("address")))

/* What a child that could not exec writes on the error pipe. */
struct spawn_error {
	int step;		/* enum sandbox_step; SANDBOX_STEP_EXEC for execve itself */
	int error;		/* errno */
};

/*
 * Starts a child (clone(CLONE_VM | CLONE_VFORK): it runs in our memory
 * and we wait until it has exec'd or exited, so nothing is copied for a
 * program that replaces it at once) that restores default signal
 * handling, starts a session of its own (setsid: no controlling terminal,
 * so no /dev/tty and no keystrokes pushed into the operator's terminal;
 * its own process group, so a terminal's Ctrl-C is for gatewayd, which
 * stops its children itself),
 * dies with its parent (PR_SET_PDEATHSIG, set again after the identity
 * change), puts fds[0..2] on descriptors 0, 1, 2, closes every other
 * descriptor, enters the sandbox and execs argv (argv[0] a path) with envp.
 * The child never returns: it execs or _exit(127)s, reporting the step that
 * failed and its errno (struct spawn_error) on a close-on-exec pipe.
 *
 * The three descriptors stay the caller's: it closes its copies after the
 * call. Returns 0 with the child's pid in *pid and, in *exec_error_fd, the
 * close-on-exec read end of the error pipe (EOF once exec succeeded, else
 * one struct spawn_error), or -1 with a reason in err and nothing left open.
 */
int spawn_process(const int fds[3], char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, pid_t *pid, int *exec_error_fd, char *err,
    size_t err_len);

/*
 * In a new child with every signal blocked: every handler back to
 * SIG_DFL, then nothing blocked. Async-signal-safe.
 */
void spawn_reset_signals(void);

/*
 * In a new child: puts fds[0..2] on descriptors 0, 1, 2 and, when
 * error_fd >= 0, error_fd on descriptor 3 (close-on-exec); closes every
 * other descriptor. Returns 0, or -1 with errno. Async-signal-safe.
 */
int spawn_place_descriptors(const int fds[3], int error_fd);

/*
 * In a child whose exec-error pipe is on descriptor 3: writes step and
 * errno there (one struct spawn_error) and exits 127.
 */
void spawn_fail(enum sandbox_step step) SPAWN_CHILD_STACK __attribute__((noreturn));

#endif /* FCGI_POOL_SPAWN_H */
