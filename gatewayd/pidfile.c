/*
 * pidfile.c: the pid file (see pidfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pidfile.h"

/* What the daemon's comm is (its program's name), and what -s looks for. */
#define PIDFILE_PROCESS_NAME "gatewayd"

static pid_t pidfile_read(const char *path);
static bool pidfile_same_program(pid_t pid, char *why, size_t why_len);
static int pidfile_exe(const char *link, char *path, size_t len);

/*
 * O_NOFOLLOW: a symlink planted at path is refused, not written through.
 * An existing file is truncated only once it is known to be a plain file
 * with a single link, owned by us.
 */
int pidfile_write(const char *path, char *err, size_t err_len)
{
	char text[32];
	struct stat st;

	if (path == NULL)
		return 0;
	int n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, err_len, "pid file %s: %s", path,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		snprintf(err, err_len, "pid file %s: not a plain file of uid %d: remove it", path,
		    (int)geteuid());
		close(fd);
		return -1;
	}
	if (ftruncate(fd, 0) < 0 || fchmod(fd, 0644) < 0 || write(fd, text, (size_t)n) != n) {
		snprintf(err, err_len, "pid file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The pid in path (a plain file, not a symlink), or -1. */
static pid_t pidfile_read(const char *path)
{
	char text[32];
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    read(fd, text, sizeof(text) - 1) : -1;
	close(fd);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	char *end;
	long pid = strtol(text, &end, 10);
	return pid > 0 && pid <= INT_MAX && (*end == '\n' || *end == '\0') ? (pid_t)pid : -1;
}

void pidfile_remove(const char *path, pid_t pid)
{
	if (path != NULL && pidfile_read(path) == pid)
		unlink(path);
}

/* The program /proc/.../exe names, without the " (deleted)" of a replaced binary. */
static int pidfile_exe(const char *link, char *path, size_t len)
{
	ssize_t n = readlink(link, path, len - 1);

	if (n < 0)
		return -1;
	path[n] = '\0';
	size_t l = (size_t)n, d = strlen(" (deleted)");
	if (l > d && strcmp(path + l - d, " (deleted)") == 0)
		path[l - d] = '\0';
	return 0;
}

/*
 * Whether pid runs our program as the daemon does (its name is
 * "gatewayd", not the spawner's): an upgrade that replaced the binary keeps
 * its path. Otherwise why says what it is.
 */
static bool pidfile_same_program(pid_t pid, char *why, size_t why_len)
{
	char link[64], self[PATH_MAX], other[PATH_MAX], comm[32] = "";

	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	if (pidfile_exe("/proc/self/exe", self, sizeof(self)) < 0 ||
	    pidfile_exe(link, other, sizeof(other)) < 0) {
		snprintf(why, why_len, "cannot tell which program it runs: %s", strerror(errno));
		return false;
	}
	snprintf(link, sizeof(link), "/proc/%d/comm", (int)pid);
	FILE *f = fopen(link, "re");
	if (f != NULL) {
		if (fgets(comm, sizeof(comm), f) == NULL)
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	if (strcmp(self, other) != 0 || strcmp(comm, PIDFILE_PROCESS_NAME) != 0) {
		snprintf(why, why_len, "it runs %s (%s), not gatewayd's daemon", other, comm);
		return false;
	}
	return true;
}

int pidfile_signal(const char *path, const char *config_path, int sig)
{
	char why[PATH_MAX + 64];

	if (path == NULL) {
		fprintf(stderr, "gatewayd: %s has no pid = in [global]: cannot find the running "
		    "gatewayd (send it SIGHUP yourself)\n", config_path);
		return 1;
	}
	pid_t pid = pidfile_read(path);
	if (pid < 0) {
		fprintf(stderr, "gatewayd: no pid in %s: is gatewayd running?\n", path);
		return 1;
	}
	if (kill(pid, 0) < 0) {
		fprintf(stderr, "gatewayd: cannot signal pid %d (from %s): %s\n", (int)pid, path,
		    strerror(errno));
		return 1;
	}
	if (!pidfile_same_program(pid, why, sizeof(why))) {
		fprintf(stderr, "gatewayd: pid %d (from %s) is not a gatewayd: %s; nothing sent\n",
		    (int)pid, path, why);
		return 1;
	}
	if (kill(pid, sig) < 0) {
		fprintf(stderr, "gatewayd: cannot signal pid %d (from %s): %s\n", (int)pid, path,
		    strerror(errno));
		return 1;
	}
	return 0;
}
