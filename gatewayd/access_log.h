/*
 * access_log.h: [global] access_log = PATH, one line per finished request
 * (access_log.format), as an observer of the request summaries; reopened
 * on SIGUSR1 for logrotate.
 *
 * Who opens it: the daemon, while still root (before privileges_drop()),
 * so the file may live in a root-owned /var/log; the open fd survives the
 * drop. A reopen runs as the daemon's user: after logrotate's `mv`, the
 * new file can be created only where that user may write, so the shipped
 * layout is a directory owned by it (/var/log/gatewayd, as install makes)
 * or logrotate's `create` making the new file before the signal. A reopen
 * that fails keeps writing to the old file and says so.
 */
#ifndef GATEWAYD_ACCESS_LOG_H
#define GATEWAYD_ACCESS_LOG_H

#include <stddef.h>

struct gateway;

/*
 * Opens access_log (nothing when unset) and registers it as a request
 * observer. 0, or -1 with why in err (start-up fails).
 */
int access_log_start(struct gateway *gw, char *err, size_t err_len);

/* SIGUSR1: opens the path anew and writes there from the next line on. */
void access_log_reopen(struct gateway *gw);

/* Closes it (at exit). */
void access_log_close(struct gateway *gw);

#endif /* GATEWAYD_ACCESS_LOG_H */
