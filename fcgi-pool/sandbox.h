/*
 * sandbox.h: what confines a worker between fork and exec, in a fixed
 * order: network namespace, chroot, chdir, resource limits, identity
 * (setgroups, setgid, setuid), the parent-death signal again (the identity
 * change cleared it), no capabilities, no new privileges, seccomp. Every
 * step is checked; a step that fails means no worker (fail closed).
 */
#ifndef FCGI_POOL_SANDBOX_H
#define FCGI_POOL_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "syscall_filter.h"

/* Resource limits a worker may get. */
#define SANDBOX_MAX_LIMITS 8

struct sandbox_limit {
	int resource;		/* RLIMIT_AS, RLIMIT_CPU... */
	rlim_t value;		/* soft and hard */
};

/* A function's sandbox. Strings and the filter are borrowed. */
struct sandbox_spec {
	bool new_network;			/* unshare(CLONE_NEWNET): only loopback, down */
	const char *chroot;			/* or NULL */
	const char *chdir;			/* or NULL */
	struct sandbox_limit limits[SANDBOX_MAX_LIMITS];
	size_t limit_count;
	bool set_identity;			/* change to uid/gid below */
	uid_t uid;
	gid_t gid;
	const struct syscall_filter *filter;	/* NULL: seccomp = off */
};

/* The step that failed, reported to the parent with its errno. */
enum sandbox_step {
	SANDBOX_STEP_NONE,
	SANDBOX_STEP_NETWORK,		/* unshare(CLONE_NEWNET) */
	SANDBOX_STEP_CHROOT,
	SANDBOX_STEP_CHDIR,
	SANDBOX_STEP_RLIMIT,
	SANDBOX_STEP_SETGROUPS,
	SANDBOX_STEP_SETGID,
	SANDBOX_STEP_SETUID,
	SANDBOX_STEP_PARENT,		/* PR_SET_PDEATHSIG, and the parent still alive */
	SANDBOX_STEP_CAPABILITIES,
	SANDBOX_STEP_SECCOMP,
	SANDBOX_STEP_DUMPABLE,		/* a zygote's PR_SET_DUMPABLE (zygote.h) */
	SANDBOX_STEP_EXEC,		/* not a sandbox step: execve itself */
};

/*
 * In the forked child of parent: applies spec in the order above. Returns
 * 0, or -1 with the failing step in *step and errno set (ESRCH when parent
 * died meanwhile: nobody would reap or stop the worker). Only system calls.
 */
int sandbox_enter(const struct sandbox_spec *spec, pid_t parent, enum sandbox_step *step);

/* A short name for a step, for error messages ("setuid", "seccomp"...). */
const char *sandbox_step_name(enum sandbox_step step);

#endif /* FCGI_POOL_SANDBOX_H */
