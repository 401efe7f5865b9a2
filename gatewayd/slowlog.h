/*
 * slowlog.h: the slow-request entry (request_slowlog_timeout, as PHP-FPM
 * calls it): one warning naming the function, the URI, the worker pid,
 * the request's age and what the worker is doing (its /proc syscall and
 * wchan, and its kernel stack, where readable). Written when a request has
 * run longer than request_slowlog_timeout, and again right when
 * request_timeout ends it, so a timeout is never silent.
 */
#ifndef GATEWAYD_SLOWLOG_H
#define GATEWAYD_SLOWLOG_H

#include <stddef.h>
#include <sys/types.h>

#include "spawner.h"

/*
 * Logs the entry at warn; why says which of the two moments it is; spawner
 * reads what worker pid is doing. uri is (uri, uri_len), not NUL-terminated.
 */
void slowlog_entry(struct spawner *spawner, const char *why, const char *function,
    const char *uri, size_t uri_len, pid_t pid, double age);

#endif /* GATEWAYD_SLOWLOG_H */
