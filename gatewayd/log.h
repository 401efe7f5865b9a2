/*
 * log.h: the daemon's only way to speak to the operator.
 *
 * Lines go to stderr (what systemd's journal and a terminal both want) as
 * "2026-11-26T15:42:40Z gatewayd[pid]: level: message", or with
 * [global] log = syslog as datagrams to /dev/log. Messages below the
 * configured level are dropped before formatting.
 */
#ifndef GATEWAYD_LOG_H
#define GATEWAYD_LOG_H

enum log_level {
	LOG_LEVEL_ERROR,	/* something failed; a request or a worker was lost */
	LOG_LEVEL_WARN,		/* something odd that gatewayd worked around */
	LOG_LEVEL_INFO,		/* lifecycle: start, stop, spawn, exit */
	LOG_LEVEL_DEBUG,	/* per-request detail */
};

/*
 * From now on, lines go to the syslog socket at path (/dev/log), facility
 * daemon, ident gatewayd. Called before the privilege drop; the process
 * then reconnects by itself when the reader restarts. 0, or -1 with errno.
 */
int log_use_syslog(const char *path);

/* Sets the lowest level that is written. */
void log_set_level(enum log_level level);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GATEWAYD_LOG_H */
