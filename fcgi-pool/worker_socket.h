/*
 * worker_socket.h: a FastCGI worker's listening socket, by the standard
 * convention (FastCGI spec section 2.2: the socket on the child's fd 0),
 * and the daemon's connection to it.
 *
 * The socket lives in run_dir, which belongs to the daemon alone (mode
 * 0700), and is created 0600: the worker uses the descriptor it inherits,
 * never the path, and no other process, another function's worker included,
 * can connect to it or replace it.
 */
#ifndef FCGI_POOL_WORKER_SOCKET_H
#define FCGI_POOL_WORKER_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "spawner.h"

/* What the daemon keeps of a freshly started worker. */
struct worker_start {
	struct spawner_child child;	/* the spawner's id and the pid */
	int stderr_fd;			/* non-blocking read end of the worker's stderr */
	int exec_error_fd;		/* non-blocking; EOF once exec succeeded, else a spawn_error */
};

/*
 * Creates a listening unix socket at sock_path (mode 0600), then asks the
 * spawner to start function of generation with it on fd 0, /dev/null on fd
 * 1 and a pipe on fd 2. Returns 0 and fills out, or -1 with a reason in err;
 * nothing is left open or bound on failure.
 */
int worker_socket_start(const char *sock_path, struct spawner *spawner, uint32_t generation,
    const char *function, struct worker_start *out, char *err, size_t err_len);

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
int worker_socket_connect(const char *sock_path, char *err, size_t err_len);

#endif /* FCGI_POOL_WORKER_SOCKET_H */
