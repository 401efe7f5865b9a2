/*
 * spawn.h: start one FastCGI worker process by the standard convention.
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
 * Creates a listening unix socket at sock_path, then forks a child that puts
 * it on fd 0 (FCGI_LISTENSOCK_FILENO), /dev/null on fd 1, a pipe on fd 2,
 * leaves the parent's process group (a terminal's Ctrl-C is for gatewayd,
 * which stops its workers itself), enters the sandbox, and execs argv with
 * envp. The child never returns: it execs or _exit()s, reporting the step
 * that failed and its errno (struct spawn_error) on a close-on-exec pipe.
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
