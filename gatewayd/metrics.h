/*
 * metrics.h: the daemon's counters, by function name, so that they go on
 * across the reloads that replace a function's pool. They are plain fields:
 * whoever sees an event adds to them (function.c for its workers, request.c
 * through the request observer below), and the status page and the
 * Prometheus exposition (status.c, metrics_text.c) read them.
 */
#ifndef GATEWAYD_METRICS_H
#define GATEWAYD_METRICS_H

#include <stdint.h>

#include "request_summary.h"

/* Upper bounds (seconds) of gatewayd_request_duration_seconds' buckets; +Inf follows. */
#define METRICS_BUCKETS 14
extern const double metrics_bucket_bounds[METRICS_BUCKETS];

/* HTTP statuses counted one by one: 100 to 599 (others count as METRICS_STATUS_OTHER). */
#define METRICS_STATUS_MIN 100
#define METRICS_STATUS_COUNT 500

/* One function's counters since gatewayd started. */
struct function_counters {
	char *name;
	uint64_t requests[METRICS_STATUS_COUNT];	/* answered, by status - METRICS_STATUS_MIN */
	uint64_t requests_other;		/* answered with a status outside 100..599 */
	uint64_t requests_cut;			/* cut short or aborted: no whole response */
	uint64_t duration_buckets[METRICS_BUCKETS];	/* requests that took <= each bound */
	uint64_t duration_count;		/* every request (also those above the last bound) */
	double duration_sum;			/* seconds */
	uint64_t spawns;			/* worker processes started */
	uint64_t spawn_failures;		/* starts that failed before or at exec */
	uint64_t exits;				/* worker processes reaped */
	uint64_t crashes;			/* of those, killed by a signal or exited non-zero */
	uint64_t seccomp_kills;			/* of those, killed by SIGSYS (the filter) */
	uint64_t timeouts;			/* requests and async attempts past request_timeout */
	uint64_t queue_full;			/* requests refused: queue.max reached */
	uint64_t queue_timeouts;		/* requests refused: waited queue.timeout */
	struct function_counters *next;
};

struct metrics {
	struct function_counters *functions;	/* newest first */
	struct function_counters *last;		/* the last one a request was counted in */
	uint64_t reloads;			/* SIGHUPs whose configuration was taken */
	uint64_t reload_failures;		/* SIGHUPs refused (the old configuration stays) */
};

/* The counters of function name, made (all zero) on first use; NULL when out of memory. */
struct function_counters *metrics_function(struct metrics *m, const char *name);

/*
 * A request observer (request_observer.h), owner the struct metrics: counts
 * a finished request in its function's counters (none when it was routed
 * nowhere).
 */
void metrics_on_request(void *owner, const struct request_summary *summary);

/* Frees every counter. */
void metrics_free(struct metrics *m);

#endif /* GATEWAYD_METRICS_H */
