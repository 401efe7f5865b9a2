/*
 * sandbox.c: confine a forked worker before exec (see sandbox.h).
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

static int sandbox_set_identity(const struct sandbox_spec *spec, enum sandbox_step *step);
static int sandbox_watch_parent(pid_t parent);
static int sandbox_drop_capabilities(void);

/* Fails the current step: keeps errno for the caller. */
#define SANDBOX_FAIL(s) do { *step = (s); return -1; } while (0)

int sandbox_enter(const struct sandbox_spec *spec, pid_t parent, enum sandbox_step *step)
{
	if (spec->new_network && unshare(CLONE_NEWNET) < 0)
		SANDBOX_FAIL(SANDBOX_STEP_NETWORK);
	if (spec->chroot != NULL && chroot(spec->chroot) < 0)
		SANDBOX_FAIL(SANDBOX_STEP_CHROOT);
	if (spec->chdir != NULL ? chdir(spec->chdir) < 0 : spec->chroot != NULL && chdir("/") < 0)
		SANDBOX_FAIL(SANDBOX_STEP_CHDIR);
	for (size_t i = 0; i < spec->limit_count; i++) {
		struct rlimit rl = { spec->limits[i].value, spec->limits[i].value };
		if (setrlimit(spec->limits[i].resource, &rl) < 0)
			SANDBOX_FAIL(SANDBOX_STEP_RLIMIT);
	}
	if (sandbox_set_identity(spec, step) < 0)
		return -1;
	if (sandbox_watch_parent(parent) < 0)
		SANDBOX_FAIL(SANDBOX_STEP_PARENT);
	if (sandbox_drop_capabilities() < 0)
		SANDBOX_FAIL(SANDBOX_STEP_CAPABILITIES);
	/* Also with seccomp = off: no_new_privs is set either way. */
	int rc = syscall_filter_load(spec->filter);
	if (rc < 0) {
		errno = -rc;
		SANDBOX_FAIL(SANDBOX_STEP_SECCOMP);
	}
	*step = SANDBOX_STEP_NONE;
	return 0;
}

/*
 * setgroups, setgid, setuid, in that order (the group calls need the
 * privilege setuid gives up), each checked, then verified: a uid that can
 * be taken back means the drop did not happen. Raw system calls: they
 * change the calling task's credentials only, which is what a child that
 * shares its parent's memory (spawn.c's CLONE_VM) must do; glibc's
 * wrappers would apply the change to every thread it believes the
 * process has, and that belief is the parent's.
 */
static int sandbox_set_identity(const struct sandbox_spec *spec, enum sandbox_step *step)
{
	if (!spec->set_identity)
		return 0;
	if (syscall(SYS_setgroups, 1, &spec->gid) < 0)
		SANDBOX_FAIL(SANDBOX_STEP_SETGROUPS);
	if (syscall(SYS_setresgid, spec->gid, spec->gid, spec->gid) < 0)
		SANDBOX_FAIL(SANDBOX_STEP_SETGID);
	if (syscall(SYS_setresuid, spec->uid, spec->uid, spec->uid) < 0)
		SANDBOX_FAIL(SANDBOX_STEP_SETUID);
	if (spec->uid != 0 && syscall(SYS_setuid, 0) == 0) {
		errno = EPERM;
		SANDBOX_FAIL(SANDBOX_STEP_SETUID);
	}
	return 0;
}

/*
 * A change of the effective uid or gid clears the parent-death signal
 * (prctl(2)), so it is set again after the identity change; a parent that
 * died before it was set would never send it, so the parent is checked
 * after. Without this, a worker with its own user outlives kill -9 of the
 * process that started it.
 */
static int sandbox_watch_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return -1;
	if (getppid() != parent) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/*
 * Clears every capability this process holds: the spawner runs as root, a
 * worker keeps nothing (leaving uid 0 already cleared the sets; this makes
 * sure). Raw capset(2): libcap would be a dependency for three lines.
 */
static int sandbox_drop_capabilities(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };

	if (geteuid() == 0)
		return 0;	/* root by allow_root: exec grants root's set anyway */
	return (int)syscall(SYS_capset, &header, data);
}

const char *sandbox_step_name(enum sandbox_step step)
{
	switch (step) {
	case SANDBOX_STEP_NONE: return "none";
	case SANDBOX_STEP_NETWORK: return "unshare(CLONE_NEWNET)";
	case SANDBOX_STEP_CHROOT: return "chroot";
	case SANDBOX_STEP_CHDIR: return "chdir";
	case SANDBOX_STEP_RLIMIT: return "setrlimit";
	case SANDBOX_STEP_SETGROUPS: return "setgroups";
	case SANDBOX_STEP_SETGID: return "setgid";
	case SANDBOX_STEP_SETUID: return "setuid";
	case SANDBOX_STEP_PARENT: return "parent-death signal";
	case SANDBOX_STEP_CAPABILITIES: return "capset";
	case SANDBOX_STEP_SECCOMP: return "seccomp";
	case SANDBOX_STEP_DUMPABLE: return "prctl(PR_SET_DUMPABLE)";
	case SANDBOX_STEP_EXEC: return "exec";
	}
	return "unknown step";
}
