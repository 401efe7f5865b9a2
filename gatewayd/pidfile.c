/*
 * pidfile.c: the pid file (see pidfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pidfile.h"

static pid_t pidfile_read(const char *path);

int pidfile_write(const char *path, char *err, size_t err_len)
{
	char text[32];

	if (path == NULL)
		return 0;
	int n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, text, (size_t)n) != n) {
		snprintf(err, err_len, "pid file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The pid in path, or -1. */
static pid_t pidfile_read(const char *path)
{
	char text[32];
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	char *line = fgets(text, sizeof(text), f);
	fclose(f);
	if (line == NULL)
		return -1;
	char *end;
	long pid = strtol(text, &end, 10);
	return pid > 0 && (*end == '\n' || *end == '\0') ? (pid_t)pid : -1;
}

void pidfile_remove(const char *path)
{
	if (path != NULL && pidfile_read(path) == getpid())
		unlink(path);
}

int pidfile_signal(const char *path, const char *config_path, int sig)
{
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
	if (kill(pid, sig) < 0) {
		fprintf(stderr, "gatewayd: cannot signal pid %d (from %s): %s\n", (int)pid, path,
		    strerror(errno));
		return 1;
	}
	return 0;
}
