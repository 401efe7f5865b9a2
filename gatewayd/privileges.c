/*
 * privileges.c: the daemon drops everything after start-up (see
 * privileges.h). Raw prctl(2) and capget(2): libcap would be a dependency
 * for a loop and a check; the daemon's small seccomp filter is libseccomp's.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "privileges.h"

static int privileges_clear_bounding(void);
static int privileges_none_left(void);
static int privileges_filter(void);

/*
 * The bounding set first (dropping from it needs CAP_SETPCAP, which the uid
 * change takes away), then groups, gid, uid: leaving uid 0 without
 * PR_SET_KEEPCAPS clears the permitted and effective sets.
 */
int privileges_drop(const struct identity_policy *p, char *err, size_t err_len)
{
	const char *step;

	if (p->separate) {
		step = "dropping the bounding set";
		if (privileges_clear_bounding() < 0)
			goto err;
		step = "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
			goto err;
		step = "setgroups";
		if (setgroups(1, &p->daemon_gid) < 0)
			goto err;
		step = "setgid";
		if (setresgid(p->daemon_gid, p->daemon_gid, p->daemon_gid) < 0)
			goto err;
		step = "setuid";
		if (setresuid(p->daemon_uid, p->daemon_uid, p->daemon_uid) < 0)
			goto err;
		if (setuid(0) == 0 || privileges_none_left() < 0) {
			snprintf(err, err_len, "uid %u: root or a capability is still held",
			    (unsigned)p->daemon_uid);
			return -1;
		}
	}
	step = "prctl(PR_SET_NO_NEW_PRIVS)";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto err;
	step = "its own seccomp filter";
	if (privileges_filter() < 0)
		goto err;
	return 0;

err:
	snprintf(err, err_len, "uid %u: %s: %s", (unsigned)p->daemon_uid, step, strerror(errno));
	return -1;
}

/*
 * What the daemon never does once started, refused (EPERM) so that a bug in
 * its input parsing cannot do it either: run a program (execve, execveat:
 * the spawner starts every child), or push keystrokes into the terminal it
 * may have been started from and still holds as descriptors 0 to 2
 * (TIOCSTI, TIOCLINUX: in the operator's session, and the operator's shell
 * may be root's). Only the request's low 32 bits count, as for the kernel.
 * 0, or -1 with errno.
 */
static int privileges_filter(void)
{
	static const unsigned long tty_requests[] = { TIOCSTI, TIOCLINUX };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx == NULL ? -ENOMEM : 0;

	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execve), 0);
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execveat), 0);
	for (size_t i = 0; i < sizeof(tty_requests) / sizeof(tty_requests[0]) && rc == 0; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU, tty_requests[i]));
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		errno = -rc;
	return rc < 0 ? -1 : 0;
}

/* Drops every capability the kernel knows from the bounding set. 0 / -1. */
static int privileges_clear_bounding(void)
{
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return -1;
	}
	return 0;
}

/* 0 when the effective, permitted and inheritable sets are all empty. */
static int privileges_none_left(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data) < 0)
		return -1;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return -1;
	}
	return 0;
}
