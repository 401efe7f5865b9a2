/*
 * log.c: leveled log lines on stderr or to syslog (see log.h).
 *
 * syslog is a connected unix SOCK_DGRAM of our own rather than glibc's
 * syslog(3): the socket may be named (tests, chroots), and a reader that
 * restarts (rsyslog, journald) is met with a reconnect, by path, which the
 * daemon can still do as `user` because /dev/log is world-writable.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* RFC 3164 / 5424 facility daemon (3), times 8, plus the severity. */
#define LOG_FACILITY_DAEMON (3 << 3)

static enum log_level log_threshold = LOG_LEVEL_INFO;
static int log_syslog_fd = -1;		/* connected to log_syslog_path, or -1: stderr */
static struct sockaddr_un log_syslog_addr;

/* Severities of RFC 5424 6.2.1 for each level: err, warning, info, debug. */
static const int log_severity[] = {
	[LOG_LEVEL_ERROR] = 3,
	[LOG_LEVEL_WARN] = 4,
	[LOG_LEVEL_INFO] = 6,
	[LOG_LEVEL_DEBUG] = 7,
};

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

/* A new socket connected to the syslog path; 0 / -1 with errno set. */
static int log_syslog_connect(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&log_syslog_addr, sizeof(log_syslog_addr)) < 0) {
		int error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	if (log_syslog_fd >= 0)
		close(log_syslog_fd);
	log_syslog_fd = fd;
	return 0;
}

int log_use_syslog(const char *path)
{
	if (strlen(path) >= sizeof(log_syslog_addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	log_syslog_addr.sun_family = AF_UNIX;
	strcpy(log_syslog_addr.sun_path, path);
	return log_syslog_connect();
}

/*
 * One datagram, "<PRI>Mmm dd hh:mm:ss gatewayd[pid]: level: message"
 * (RFC 3164 4.1, as syslog(3) writes to /dev/log). A reader that went away
 * (ECONNREFUSED, ENOTCONN) is reconnected and the line sent again; a
 * line that still cannot go is written to stderr, so it is never silent.
 */
static void log_send_syslog(enum log_level level, const struct tm *tm, const char *msg,
    size_t len)
{
	static const char months[][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul",
	    "Aug", "Sep", "Oct", "Nov", "Dec" };
	char dgram[2200];
	int n = snprintf(dgram, sizeof(dgram), "<%d>%s %2d %02d:%02d:%02d gatewayd[%d]: %s: %.*s",
	    LOG_FACILITY_DAEMON | log_severity[level], months[tm->tm_mon], tm->tm_mday,
	    tm->tm_hour, tm->tm_min, tm->tm_sec, (int)getpid(), log_level_names[level], (int)len,
	    msg);
	if (n < 0)
		return;
	size_t dlen = (size_t)n < sizeof(dgram) ? (size_t)n : sizeof(dgram) - 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (send(log_syslog_fd, dgram, dlen, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
			return;
		if ((errno != ECONNREFUSED && errno != ENOTCONN && errno != EBADF) ||
		    log_syslog_connect() < 0)
			break;
	}
	ssize_t ignored = write(STDERR_FILENO, dgram, dlen);
	ignored = write(STDERR_FILENO, "\n", 1);
	(void)ignored;
}

/*
 * Formats one whole line and writes it with a single write(2), so lines from
 * gatewayd never interleave mid-line with each other in a shared journal.
 */
static void log_write(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ gatewayd[%d]: %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    ts.tv_nsec / 1000000, (int)getpid(), log_level_names[level]);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	if (log_syslog_fd >= 0) {
		const char *msg = line + n;	/* syslog has its own time, name and pid */
		log_send_syslog(level, &tm, msg, len - (size_t)n);
		return;
	}
	line[len++] = '\n';
	ssize_t ignored = write(STDERR_FILENO, line, len);
	(void)ignored;
}

#define LOG_FUNCTION(name, level)				\
	void name(const char *fmt, ...)				\
	{							\
		va_list ap;					\
		if (level > log_threshold)			\
			return;					\
		va_start(ap, fmt);				\
		log_write(level, fmt, ap);			\
		va_end(ap);					\
	}

LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)
LOG_FUNCTION(log_warn, LOG_LEVEL_WARN)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
