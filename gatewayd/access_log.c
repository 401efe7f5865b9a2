/*
 * access_log.c: the access log (see access_log.h).
 *
 * Each line is formatted into a stack buffer and written with one
 * write(2) on an O_APPEND fd: no allocation, lines never interleave, and a
 * line is on disk (in the page cache) when its request is over, so a
 * logrotate `mv` + SIGUSR1 loses none. Buffering until the loop sleeps
 * would save a syscall per request but lose lines on a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access_log.h"
#include "access_log_format.h"
#include "gateway.h"
#include "log.h"

/* A failing write is reported at most once in this many seconds. */
#define ACCESS_LOG_WARN_INTERVAL 60.0

struct access_log {
	struct gateway *gw;
	int fd;
	double warned_at;		/* loop time of the last write-failure warning */
	unsigned long failed;		/* lines lost since that warning */
};

static int access_log_open_path(const char *path);
static void access_log_on_request(void *owner, const struct request_summary *summary);

int access_log_start(struct gateway *gw, char *err, size_t err_len)
{
	const char *path = gw->conf->access_log;

	if (path == NULL)
		return 0;
	struct access_log *al = calloc(1, sizeof(*al));
	if (al == NULL) {
		snprintf(err, err_len, "access_log: out of memory");
		return -1;
	}
	al->gw = gw;
	al->warned_at = -ACCESS_LOG_WARN_INTERVAL;
	al->fd = access_log_open_path(path);
	if (al->fd < 0) {
		snprintf(err, err_len, "access_log %s: %s", path, strerror(errno));
		free(al);
		return -1;
	}
	struct request_observer observer = { access_log_on_request, al };
	if (!request_observers_add(&gw->request_observers, observer)) {
		snprintf(err, err_len, "access_log: too many request observers");
		close(al->fd);
		free(al);
		return -1;
	}
	gw->access_log = al;
	return 0;
}

/* O_APPEND: every line lands at the end, whoever else appends. -1 with errno set. */
static int access_log_open_path(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

void access_log_reopen(struct gateway *gw)
{
	struct access_log *al = gw->access_log;

	if (al == NULL)
		return;
	int fd = access_log_open_path(gw->conf->access_log);
	if (fd < 0) {
		log_warn("SIGUSR1: cannot reopen access_log %s: %s; still writing to the file "
		    "open before", gw->conf->access_log, strerror(errno));
		return;
	}
	close(al->fd);
	al->fd = fd;
	log_info("SIGUSR1: access_log %s reopened", gw->conf->access_log);
}

/*
 * One request's line, in one write(2). A failed or short write (a full
 * disk) loses that line; requests go on, and the loss is said at most
 * once a minute with how many lines went.
 */
static void access_log_on_request(void *owner, const struct request_summary *summary)
{
	struct access_log *al = owner;
	char line[4096];
	size_t len = access_log_format_line(al->gw->conf->access_log_format, summary, line,
	    sizeof(line));
	ssize_t n = write(al->fd, line, len);

	if (n == (ssize_t)len)
		return;
	int error = n < 0 ? errno : ENOSPC;
	al->failed++;
	double now = ev_now(al->gw->loop);
	if (now - al->warned_at < ACCESS_LOG_WARN_INTERVAL)
		return;
	log_warn("access_log %s: write failed (%s): %lu lines lost since the last such warning",
	    al->gw->conf->access_log, strerror(error), al->failed);
	al->warned_at = now;
	al->failed = 0;
}

void access_log_close(struct gateway *gw)
{
	struct access_log *al = gw->access_log;

	if (al == NULL)
		return;
	close(al->fd);
	free(al);
	gw->access_log = NULL;
}
