/*
 * slowlog.c: the slow-request entry (see slowlog.h).
 *
 * The /proc files are read by the daemon itself: when gatewayd runs as
 * root's `user` and the worker as another uid, the kernel refuses
 * syscall and stack (ptrace access) and the entry says "unreadable"; the
 * spawner reading them for pids it started is the planned fix.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "slowlog.h"

/* A /proc/PID/name file's first line into out (cap bytes), or why it could not be read. */
static void slowlog_read_proc(pid_t pid, const char *name, char *out, size_t cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, cap - 1);
	int error = errno;

	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(out, cap, "unreadable (%s)", n == 0 ? "empty" : strerror(error));
		return;
	}
	out[n] = '\0';
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '\n')
			*p = *(p + 1) != '\0' ? '|' : '\0';	/* the stack's lines, on one line */
	}
}

void slowlog_entry(const char *why, const char *function, const char *uri, size_t uri_len,
    pid_t pid, double age)
{
	char syscall[256], wchan[64], stack[512];

	if (pid <= 0) {
		log_warn("slow request: function %s: %.*s: %s after %.3f s, no worker yet",
		    function, (int)uri_len, uri, why, age);
		return;
	}
	slowlog_read_proc(pid, "syscall", syscall, sizeof(syscall));
	slowlog_read_proc(pid, "wchan", wchan, sizeof(wchan));
	slowlog_read_proc(pid, "stack", stack, sizeof(stack));
	log_warn("slow request: function %s: %.*s: %s after %.3f s, worker pid %ld: syscall %s; "
	    "wchan %s; stack %s", function, (int)uri_len, uri, why, age, (long)pid, syscall, wchan,
	    stack);
}
