/*
 * spawn.h: start one FastCGI worker process by the standard convention.
 */
#ifndef FCGI_POOL_SPAWN_H
#define FCGI_POOL_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/* What the parent keeps of a freshly forked worker. */
struct spawn_result {
	pid_t pid;
	int conn_fd;		/* non-blocking, connected to the worker's listening socket */
	int stderr_fd;		/* non-blocking read end of the worker's stderr */
	int exec_error_fd;	/* non-blocking; EOF once exec succeeded, else an errno */
};

/*
 * Creates a listening unix socket at sock_path, connects to it (the
 * connection waits in the backlog until the worker accepts, so no request can
 * race the worker's start-up), unlinks the path so nobody else can connect,
 * then forks a child that puts the socket on fd 0
 * (FCGI_LISTENSOCK_FILENO), /dev/null on fd 1, a pipe on fd 2, and execs
 * argv with envp. The child never returns: it execs or _exit()s, reporting
 * an exec failure's errno on a close-on-exec pipe.
 *
 * Returns 0 and fills out, or -1 with a reason in err; nothing is left open
 * on failure.
 */
int spawn_worker(const char *sock_path, char *const argv[], char *const envp[],
    struct spawn_result *out, char *err, size_t err_len);

#endif /* FCGI_POOL_SPAWN_H */
