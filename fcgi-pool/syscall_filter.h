/*
 * syscall_filter.h: a function's system-call policy, built with libseccomp from
 * const tables of named groups (in the spirit of systemd's @basic-io,
 * @network-io...) and loaded in the worker right before exec.
 *
 * Profiles (all allowlists):
 *   default  what a program without capabilities may call under Docker's
 *            default profile, at most; the groups a normal program never
 *            needs (ptrace, mount, kexec, bpf, modules, keyrings,
 *            personality, setns, unshare...) get the deny action, any other
 *            call fails with ENOSYS (so libc falls back from newer calls);
 *            sockets of the unix, IPv4 and IPv6 families only (others:
 *            EAFNOSUPPORT); ioctl but TIOCSTI and TIOCLINUX;
 *   strict   an allowlist for a FastCGI worker that computes and talks to
 *            its socket: no new sockets, no exec after the first, no fork
 *            (threads allowed), no open for writing;
 *   <path>   a profile file: an allowlist of syscall names and @groups;
 *   off      no filter (syscall_filter_build returns NULL, no error).
 * allow and deny add names and @groups on top of the profile (deny wins).
 * Only the native architecture is allowed: a call through another ABI
 * (i386 or x32 on x86_64) kills the process.
 */
#ifndef FCGI_POOL_SYSCALL_FILTER_H
#define FCGI_POOL_SYSCALL_FILTER_H

#include <stdbool.h>
#include <stddef.h>

struct syscall_filter;

/* What a denied call does. */
enum syscall_filter_action {
	SYSCALL_FILTER_KILL,	/* the whole worker dies with SIGSYS */
	SYSCALL_FILTER_ERRNO,	/* the call fails with EPERM */
};

struct syscall_policy {
	const char *profile;		/* "default", "strict", "off" or an absolute file path */
	const char *allow;		/* names and @groups, blank- or comma-separated; NULL = none */
	const char *deny;		/* the same; NULL = none */
	enum syscall_filter_action action;
	const char *exec_path;		/* the pointer the worker's one execve() passes (argv[0]) */
};

/* One named group, for documentation and `gatewayd -t` listings. */
struct syscall_group {
	const char *name;		/* "@basic-io" */
	const char *help;		/* one line */
	const char *const *syscalls;	/* NULL-terminated; may name other @groups */
};

/* The groups, NULL-terminated by a group with a NULL name. */
extern const struct syscall_group syscall_groups[];

/*
 * Builds the filter for policy. Returns 0 and sets *out (NULL for "off"), or
 * -1 with a reason in err: an unknown syscall or group name (in a group of
 * the table too: one this libseccomp cannot name), an unreadable or
 * malformed profile file (its file:line), or a libseccomp failure. Runs in
 * the spawner, once per function each time it loads the configuration (and
 * in `gatewayd -t`), so a bad policy stops the start or refuses the reload.
 */
int syscall_filter_build(const struct syscall_policy *policy, struct syscall_filter **out,
    char *err, size_t err_len);

/*
 * syscall_filter_build() with groups in place of syscall_groups (the same
 * names, other contents), for tests/check_syscall_filter.c.
 */
int syscall_filter_build_groups(const struct syscall_policy *policy,
    const struct syscall_group *groups, struct syscall_filter **out, char *err, size_t err_len);

/*
 * In the forked child, after every other sandbox step and right before
 * execve(policy->exec_path, ...): sets PR_SET_NO_NEW_PRIVS and loads the
 * filter's programs (NULL, for seccomp = off: only the former). Returns 0,
 * or a negative errno; the caller must then not exec (fail closed).
 */
int syscall_filter_load(const struct syscall_filter *filter);

/*
 * Whether a process under filter may start, per request, a child that
 * execs the function's program the way zygote.c does (clone, setsid,
 * prctl, the descriptor calls, execve of exec_path). True for NULL (off)
 * and for the default profile unless seccomp.deny takes one of those
 * calls away; false for strict, whose processes may not fork.
 */
bool syscall_filter_forks_and_execs(const struct syscall_filter *filter);

void syscall_filter_free(struct syscall_filter *filter);

#endif /* FCGI_POOL_SYSCALL_FILTER_H */
