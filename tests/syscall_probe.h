/*
 * syscall_probe.h: runs a probe (one system call, returning 0 or its errno)
 * in a forked child under a seccomp filter, and asserts what came of it:
 * the errno, or death by SIGSYS. For tests/check_syscall_filter.c.
 */
#ifndef TESTS_SYSCALL_PROBE_H
#define TESTS_SYSCALL_PROBE_H

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscall_filter.h"

#define EXIT_LOAD_FAILED 200	/* the child could not load its filter */

static struct syscall_filter *build_ok(const struct syscall_policy *policy)
{
	struct syscall_filter *filter = NULL;
	char err[256] = "";

	ck_assert_msg(syscall_filter_build(policy, &filter, err, sizeof(err)) == 0,
	    "profile %s: %s", policy->profile, err);
	return filter;
}

/*
 * Forks; the child makes a socket (for the probes that need one: strict
 * allows none to be made), loads filter, runs probe and exits with its
 * result. Returns the child's wait status. NULL filter: no filter at all.
 * The child leaves the terminal, and as root gets a hostname of its own,
 * so that a call a broken filter lets through (vhangup, sethostname...)
 * cannot reach beyond it.
 */
static int run_filter(const struct syscall_filter *filter, bool load, int (*probe)(int))
{
	int status, sock, rc;
	pid_t pid;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setsid();
		if (geteuid() == 0 && unshare(CLONE_NEWUTS) != 0)
			_exit(EXIT_LOAD_FAILED);
		sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (load && syscall_filter_load(filter) != 0)
			_exit(EXIT_LOAD_FAILED);
		rc = probe(sock);
		_exit(rc);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

static int run(const struct syscall_policy *policy, int (*probe)(int))
{
	struct syscall_filter *filter = build_ok(policy);
	int status = run_filter(filter, true, probe);

	syscall_filter_free(filter);
	return status;
}

static const char *status_text(int status)
{
	static char text[64];
	const char *name;

	if (WIFSIGNALED(status)) {
		snprintf(text, sizeof(text), "signal %s", strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status) == EXIT_LOAD_FAILED) {
		snprintf(text, sizeof(text), "filter not loaded");
	} else if (WEXITSTATUS(status) == 0) {
		snprintf(text, sizeof(text), "success");
	} else {
		name = strerrorname_np(WEXITSTATUS(status));
		snprintf(text, sizeof(text), "exit status %d (%s)", WEXITSTATUS(status),
		    name != NULL ? name : "not an errno");
	}
	return text;
}

static void assert_result(int status, int expected_errno, const char *what)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == expected_errno,
	    "%s: expected %s, got %s", what,
	    expected_errno ? strerrorname_np(expected_errno) : "success", status_text(status));
}

static void assert_exit_code(int status, int code, const char *what)
{
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == code,
	    "%s: expected exit status %d, got %s", what, code, status_text(status));
}

static void assert_sigsys(int status, const char *what)
{
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	    "%s: expected death by SIGSYS, got %s", what, status_text(status));
}

/* Denied under both actions: EPERM with errno, SIGSYS with kill. */
static void assert_denied(struct syscall_policy policy, int (*probe)(int), const char *what)
{
	policy.action = SYSCALL_FILTER_ERRNO;
	assert_result(run(&policy, probe), EPERM, what);
	policy.action = SYSCALL_FILTER_KILL;
	assert_sigsys(run(&policy, probe), what);
}

/* Allowed under the kill action, so that any stray denied call would show. */
static void assert_allowed(struct syscall_policy policy, int (*probe)(int), int result_errno,
    const char *what)
{
	policy.action = SYSCALL_FILTER_KILL;
	assert_result(run(&policy, probe), result_errno, what);
}

#endif /* TESTS_SYSCALL_PROBE_H */
