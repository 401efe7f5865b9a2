/*
 * zygote.h: a CGI function's zygote, in the spawner (see spawner.h).
 *
 * A CGI request costs a process: a fork, the sandbox, an exec. Most of
 * the sandbox's cost is the kernel taking in the seccomp filter, which it
 * translates and JIT-compiles at every load. A zygote is a process the
 * spawner forks once per CGI function and configuration generation; it
 * enters the function's sandbox once (limits, identity, no capabilities,
 * no new privileges, the filter) and is then only ever asked one thing:
 * start the function's program with these descriptors and this
 * environment. Its children inherit the sandbox as it stands (a filter is
 * inherited, not loaded again) and exec.
 *
 * The zygote runs as the function's user under the function's filter, so
 * it can do nothing its children cannot. It is not dumpable, so they
 * cannot read its memory (a copy of the spawner's) or its descriptors, and
 * its children are the spawner's (CLONE_PARENT): the spawner reaps,
 * signals, inspects and reports them like every other child. A zygote
 * that dies is replaced, unless it died young (its children killing it);
 * one that does not answer in time is killed and not replaced in that
 * generation: the function's programs are then spawned directly.
 */
#ifndef FCGI_POOL_ZYGOTE_H
#define FCGI_POOL_ZYGOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "spawner.h"

struct zygote;

/* What zygote_spawn did. */
enum zygote_result {
	ZYGOTE_SPAWNED,		/* *pid started; *exec_error_fd tells how its exec went */
	ZYGOTE_REFUSED,		/* no child (clone failed, err says why), as a fork could fail */
	ZYGOTE_GONE,		/* the zygote is dead (killed, its limit.cpu...): stop it */
	ZYGOTE_BROKEN,		/* it did not answer in time: stop it, spawn directly */
};

/*
 * Whether spec's programs can come from a zygote: a CGI program (one per
 * request) whose filter lets a process start a child that execs
 * (syscall_filter_forks_and_execs), and whose processes do not each get a
 * network namespace of their own (a zygote's children would share its).
 */
bool zygote_suits(const struct spawn_spec *spec);

/*
 * Forks the zygote of spec, a child of the calling spawner, and waits
 * until it has entered the sandbox. Returns it, or NULL with err filled
 * (the sandbox failed, or the zygote did not answer in time).
 */
struct zygote *zygote_start(const struct spawn_spec *spec, char *err, size_t err_len);

/*
 * Has the zygote start spec's program with fds[0..2] as its descriptors
 * 0, 1, 2 and envp as its environment, a session of its own and the
 * parent-death signal, as spawn_process() does. On ZYGOTE_SPAWNED, *pid
 * is the child (ours to reap) and *exec_error_fd the close-on-exec read
 * end of a pipe: EOF when the exec succeeded, else one struct
 * spawn_error. The descriptors stay the caller's.
 */
enum zygote_result zygote_spawn(struct zygote *z, const int fds[3], char *const envp[],
    pid_t *pid, int *exec_error_fd, char *err, size_t err_len);

/* Kills the zygote (its children live on) and frees z; NULL is ignored. */
void zygote_stop(struct zygote *z);

#endif /* FCGI_POOL_ZYGOTE_H */
