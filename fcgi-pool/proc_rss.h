/*
 * proc_rss.h: a process's resident set, as /proc/PID/statm gives it to any
 * uid: pm.max_memory's measure (worker.c) and the status page's (gatewayd).
 */
#ifndef FCGI_POOL_PROC_RSS_H
#define FCGI_POOL_PROC_RSS_H

#include <sys/types.h>

/* pid's resident set in bytes; -1 when it cannot be read (the process is gone). */
long long proc_rss_bytes(pid_t pid);

#endif /* FCGI_POOL_PROC_RSS_H */
