/*
 * spawn.h: start a sandboxed child process: the generic fork/sandbox/exec
 * (spawn_process), and a FastCGI worker by the standard convention on top
 * of it (spawn_worker, spawn_connect).
 */
#ifndef FCGI_POOL_SPAWN_H
#define FCGI_POOL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

/* What the parent keeps of a freshly forked worker. */
struct spawn_result {
	pid_t pid;
	int stderr_fd;		/* non-blocking read end of the worker's stderr */
	int exec_error_fd;	/* non-blocking; EOF once exec succeeded, else a spawn_error */
};

/* What a child that could not exec writes on the error pipe. */
struct spawn_error {
	int step;		/* enum sandbox_step; SANDBOX_STEP_EXEC for execve itself */
	int error;		/* errno */
};

/*
 * Forks a child that restores default signal handling, dies with the parent
 * (PR_SET_PDEATHSIG), leaves the parent's process group (a terminal's Ctrl-C
 * is for gatewayd, which stops its children itself), puts fd0, fd1, fd2 on
 * descriptors 0, 1, 2, closes every other descriptor, enters the sandbox,
 * and execs argv (argv[0] a path) with envp. The child never returns: it
 * execs or _exit(127)s, reporting the step that failed and its errno
 * (struct spawn_error) on a close-on-exec pipe.
 *
 * The three descriptors stay the caller's: it closes its copies after the
 * call (the child has its own). Returns 0 with the child's pid in *pid and,
 * in *exec_error_fd, the non-blocking, close-on-exec read end of the error
 * pipe (EOF once exec succeeded, else one struct spawn_error), or -1 with a
 * reason in err and nothing left open. Register an ev_child watcher for
 * *pid before the event loop runs again.
 */
int spawn_process(int fd0, int fd1, int fd2, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, pid_t *pid, int *exec_error_fd, char *err,
    size_t err_len);

/*
 * Creates a listening unix socket at sock_path, then starts argv with
 * spawn_process(): the socket on fd 0 (FCGI_LISTENSOCK_FILENO), /dev/null
 * on fd 1, a pipe on fd 2.
 *
 * Returns 0 and fills out, or -1 with a reason in err; nothing is left open
 * on failure.
 */
int spawn_worker(const char *sock_path, char *const argv[], char *const envp[],
    const struct sandbox_spec *sandbox, struct spawn_result *out, char *err, size_t err_len);

/*
 * Connects a non-blocking socket to the worker listening at sock_path and
 * unlinks the path, so nobody else can connect. The socket listened before
 * the worker's exec, so this succeeds whether or not the program has reached
 * accept() yet: the connection waits in the backlog. Returns the descriptor,
 * or -1 with a reason in err.
 *
 * Call it only with a request ready to send: libfcgi drops a unix
 * connection that stays silent for 2 s after accept().
 */
int spawn_connect(const char *sock_path, char *err, size_t err_len);

#endif /* FCGI_POOL_SPAWN_H */
