/*
 * spawner.h: privilege separation. The process that parses what web
 * servers and workers send (gatewayd's daemon) holds no privilege at all;
 * every worker and CGI program is started by the spawner, a small process
 * forked at start-up, before any input is read, that keeps root and reads no
 * web input. The daemon asks it for a fixed list of typed requests over a
 * socket (spawner_proto.h): start function F of configuration generation G,
 * signal a child it started, read the configuration anew, forget a
 * generation. The spawner starts only what its own reading of the
 * configuration describes (program, environment, user, sandbox), so a
 * compromised daemon can start no other program, as no other user, with no
 * weaker sandbox. The shape of OpenSSH's and OpenBSD's privilege separation.
 *
 *   daemon (no capabilities) --request socket--> spawner (root) --fork/exec--> workers
 *          <---------------------event socket---        (children of the spawner)
 *
 * Workers are the spawner's children: it reaps them and reports each exit
 * on the event socket, so the pid it signals is always one it has not yet
 * reaped (never a recycled pid). The spawner dies with the daemon
 * (PR_SET_PDEATHSIG), and workers die with the spawner, so kill -9 of the
 * daemon leaves no worker behind. Like the rest of fcgi-pool the spawner
 * never logs: errors travel back in replies.
 */
#ifndef FCGI_POOL_SPAWNER_H
#define FCGI_POOL_SPAWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

#include "buf.h"
#include "sandbox.h"
#include "spawner_proto.h"

/* The spawner's process name (comm), as ps and the tests see it. */
#define SPAWNER_PROCESS_NAME "gatewayd-spawn"

/* Exit statuses of the spawner process. */
enum spawner_exit {
	SPAWNER_EXIT_DONE = 0,		/* the daemon closed its sockets */
	SPAWNER_EXIT_PROTOCOL = 3,	/* the daemon sent a malformed request */
	SPAWNER_EXIT_SYSTEM = 4,	/* a system call the spawner depends on failed */
};

/* How to start one function's children, as the spawner's table holds it. */
struct spawn_spec {
	char *const *argv;			/* argv[0] absolute */
	char *const *envp;			/* the function's environment */
	const struct sandbox_spec *sandbox;
	bool takes_env;				/* mode = cgi: a request's variables come first */
};

/*
 * The spawner's view of the configuration, provided by gatewayd (its
 * spawner table) and called in the spawner process only.
 */
struct spawner_table_ops {
	/*
	 * Reads the configuration anew as a new generation; appends one
	 * LOADED entry per function (spawner_function_encode) to functions.
	 * Returns 0 with *generation set (never 0), or -1 with err.
	 */
	int (*load)(void *ctx, uint32_t *generation, struct buf *functions, char *err,
	    size_t err_len);
	/* The spec of function (name, len) in generation, or NULL. */
	const struct spawn_spec *(*find)(void *ctx, uint32_t generation, const char *name,
	    size_t len);
	/* The daemon no longer uses generation. */
	void (*release)(void *ctx, uint32_t generation);
	/* The daemon closed its end: the spawner's last act before it exits. */
	void (*finish)(void *ctx);
};

/* The daemon's handle on the spawner. */
struct spawner;

/*
 * Called in the daemon when the spawner process ended (status is
 * waitpid's): every child it started is gone too, and no worker can be
 * started any more. Each watched child has been told it exited.
 */
typedef void spawner_died_fn(void *owner, int status);

/*
 * Forks the spawner. In the child, which keeps the caller's privileges,
 * dies with the caller, closes every descriptor but 0, 1, 2 and its sockets,
 * ignores the terminal's signals and serves ops (with ctx) until the daemon
 * closes its end; it never returns. Call it before the daemon reads any
 * input and before its event loop exists. Returns the handle, or NULL with
 * err.
 */
struct spawner *spawner_start(const struct spawner_table_ops *ops, void *ctx, char *err,
    size_t err_len);

/* The spawner's pid. */
pid_t spawner_pid(const struct spawner *s);

/*
 * Starts watching the spawner on loop: its events (children exiting) and
 * its own death (died). Call once, before spawning.
 */
void spawner_attach(struct spawner *s, struct ev_loop *loop, spawner_died_fn *died,
    void *owner);

/*
 * LOAD: the spawner reads the configuration itself. Returns 0 with the new
 * generation and its functions (LOADED entries, appended to functions), or
 * -1 with err (the spawner's own account of the errors, one per line).
 */
int spawner_load(struct spawner *s, uint32_t *generation, struct buf *functions, char *err,
    size_t err_len);

/* RELEASE: generation will not be spawned from again. */
void spawner_release(struct spawner *s, uint32_t generation);

/* A child the spawner started, as the daemon knows it. */
struct spawner_child {
	uint64_t id;			/* the spawner's serial: never reused */
	pid_t pid;
};

/* A watch for one child's exit, embedded in its owner. */
struct spawner_watch {
	uint64_t id;
	void (*exited)(struct spawner_watch *watch, int status);	/* status: waitpid's */
	void *data;
	struct spawner_watch *prev, *next;
	bool active;
};

/*
 * SPAWN: starts function of generation with fds[0..2] as its descriptors
 * 0, 1, 2 (they stay the caller's) and, for a CGI program, env (NULL or a
 * NULL-terminated NAME=VALUE list, the request's variables) before the
 * function's own environment. Returns 0 with *child and, in *exec_error_fd,
 * the non-blocking read end of the child's exec-error pipe (EOF once it
 * exec'd, else a struct spawn_error), or -1 with err. Start watching the
 * child before the event loop runs again.
 */
int spawner_spawn(struct spawner *s, uint32_t generation, const char *function,
    const int fds[3], char *const *env, struct spawner_child *child, int *exec_error_fd,
    char *err, size_t err_len);

/*
 * Calls exited(watch, status) once the child with id is reaped (never
 * inside this call). watch->data is the caller's.
 */
void spawner_watch(struct spawner *s, struct spawner_watch *watch, uint64_t id,
    void (*exited)(struct spawner_watch *watch, int status));

/* Stops a watch (idempotent). */
void spawner_unwatch(struct spawner *s, struct spawner_watch *watch);

/*
 * SIGNAL: sends sig to the child (and its process group when group: a CGI
 * program's own children). A child already reaped is left alone.
 */
void spawner_signal(struct spawner *s, uint64_t id, int sig, bool group);

/*
 * What the worker pid (a child of this spawner) is doing, read by the
 * spawner, which may: its /proc syscall, wchan and stack, as one line into
 * out. 0, or -1 with the reason in out.
 */
int spawner_inspect(struct spawner *s, pid_t pid, char *out, size_t len);

/*
 * Reads a child's exec-error pipe (non-blocking). Returns 1 with a message
 * in msg when the child reported a failure ("cannot exec PROGRAM: why",
 * "sandbox: setuid failed: why"), 0 at end of file (it exec'd, or died
 * before it could say: its exit tells the rest), -1 when nothing has come
 * yet.
 */
int spawner_exec_error(int fd, const char *program, char *msg, size_t len);

/*
 * Shutdown, once every child is reaped: closes the sockets, which ends the
 * spawner, waits for it and frees the handle. NULL is allowed.
 */
void spawner_close(struct spawner *s);

/* ---- inside the spawner process (spawner_server.c) ---------------------- */

/*
 * The spawner's loop on its request socket (req_fd) and event socket
 * (evt_fd), with SIGCHLD blocked and read from sig_fd (a signalfd). Never
 * returns: exits with an enum spawner_exit.
 */
void spawner_serve(int req_fd, int evt_fd, int sig_fd, const struct spawner_table_ops *ops,
    void *ctx) __attribute__((noreturn));

#endif /* FCGI_POOL_SPAWNER_H */
