/*
 * metrics.c: the counters by function name (see metrics.h).
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/*
 * From 1 ms to 30 s: a function answers in milliseconds, request_timeout
 * is seconds to minutes, and p99 needs buckets on both sides of it.
 */
const double metrics_bucket_bounds[METRICS_BUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

struct function_counters *metrics_function(struct metrics *m, const char *name)
{
	struct function_counters *c;

	for (c = m->functions; c != NULL; c = c->next) {
		if (strcmp(c->name, name) == 0)
			return c;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL || (c->name = strdup(name)) == NULL) {
		free(c);
		return NULL;
	}
	c->next = m->functions;
	m->functions = c;
	return c;
}

void metrics_on_request(void *owner, const struct request_summary *summary)
{
	struct metrics *m = owner;
	struct function_counters *c = m->last;

	if (summary->function == NULL)
		return;
	/* Requests come in runs of one function: the last one saves the walk. */
	if (c == NULL || strcmp(c->name, summary->function) != 0) {
		if ((c = metrics_function(m, summary->function)) == NULL)
			return;
		m->last = c;
	}
	int status = summary->status;
	if (status == 0)
		c->requests_cut++;
	else if (status >= METRICS_STATUS_MIN && status < METRICS_STATUS_MIN + METRICS_STATUS_COUNT)
		c->requests[status - METRICS_STATUS_MIN]++;
	else
		c->requests_other++;
	for (int i = METRICS_BUCKETS - 1; i >= 0 && summary->duration <= metrics_bucket_bounds[i]; i--)
		c->duration_buckets[i]++;
	c->duration_count++;
	c->duration_sum += summary->duration;
}

void metrics_free(struct metrics *m)
{
	struct function_counters *c, *next;

	for (c = m->functions; c != NULL; c = next) {
		next = c->next;
		free(c->name);
		free(c);
	}
	m->functions = m->last = NULL;
}
