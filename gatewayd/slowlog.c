/*
 * slowlog.c: the slow-request entry (see slowlog.h).
 *
 * What the worker is doing comes from its /proc syscall, wchan and stack,
 * which the kernel shows only to the worker's owner or root: the daemon runs
 * as its own user, so the spawner (root) reads them, for its own children
 * only (spawner_inspect()).
 */
#include "log.h"
#include "slowlog.h"

void slowlog_entry(struct spawner *spawner, const char *why, const char *function,
    const char *uri, size_t uri_len, pid_t pid, double age)
{
	char doing[1024];

	if (pid <= 0) {
		log_warn("slow request: function %s: %.*s: %s after %.3f s, no worker yet",
		    function, (int)uri_len, uri, why, age);
		return;
	}
	if (spawner_inspect(spawner, pid, doing, sizeof(doing)) < 0)
		log_warn("slow request: function %s: %.*s: %s after %.3f s, worker pid %ld: what it "
		    "does is unknown (%s)", function, (int)uri_len, uri, why, age, (long)pid, doing);
	else
		log_warn("slow request: function %s: %.*s: %s after %.3f s, worker pid %ld: %s",
		    function, (int)uri_len, uri, why, age, (long)pid, doing);
}
