/*
 * access_log_format.h: access_log.format, a line template with `%` fields
 * named after PHP-FPM's access.format where the meaning is the same:
 *   %t  start time, UTC, ISO 8601 with milliseconds   (PHP-FPM: %t)
 *   %n  function (PHP-FPM: %n, the pool's name)        %m  method
 *   %r  request URI                                    %s  status (0: cut short)
 *   %d  duration, microseconds (PHP-FPM: %d)           %p  worker pid (0: none)
 *   %l  body bytes in (PHP-FPM: %l, content length)    %B  bytes out (Apache's %B)
 *   %j  async job id                                   %R  the web-server peer
 *   %%  a '%'
 * An absent text field is written "-". Pure functions, no I/O.
 */
#ifndef GATEWAYD_ACCESS_LOG_FORMAT_H
#define GATEWAYD_ACCESS_LOG_FORMAT_H

#include <stddef.h>

#include "request_summary.h"

/* Every field the issue lists, in its order. */
#define ACCESS_LOG_DEFAULT_FORMAT "%t %n \"%m %r\" %s %d %p %l %B %j"

/*
 * Checks a format: 0, or -1 with why in err (an unknown field, a '%' at
 * the end).
 */
int access_log_format_check(const char *format, char *err, size_t err_len);

/*
 * Writes one line for summary per a checked format into out (cap bytes),
 * newline included, cut (still ending in '\n') when longer; control bytes
 * of the URI and method are written as '?' so a line stays one line.
 * Returns the line's length. cap must be at least 2.
 */
size_t access_log_format_line(const char *format, const struct request_summary *summary,
    char *out, size_t cap);

#endif /* GATEWAYD_ACCESS_LOG_FORMAT_H */
