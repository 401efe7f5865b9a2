/*
 * budget.h: the daemon's budget for request memory ([global]
 * request.memory_max): the bytes of params and bodies that requests hold
 * while they arrive, wait for a worker and run. A request takes bytes
 * before it buffers them and gives back all it took when it ends, so the
 * figure is what the web-server side holds in memory for requests now.
 * One per daemon, in struct gateway; pure accounting, no I/O.
 */
#ifndef GATEWAYD_BUDGET_H
#define GATEWAYD_BUDGET_H

#include <stdbool.h>
#include <stddef.h>

struct budget {
	size_t used;		/* bytes taken and not given back */
	unsigned long refused;	/* refusals not yet logged */
	double logged_at;	/* when the last refusal line was written (loop time) */
};

/*
 * Takes n bytes if used + n stays within max (max is read at each call, so
 * a reload applies at once; a max lowered below what is used refuses every
 * take until enough is given back). Returns whether it took them.
 */
bool budget_take(struct budget *b, size_t max, size_t n);

/* Gives back n bytes taken earlier. */
void budget_give(struct budget *b, size_t n);

/* Bytes taken and not given back (for a status page, and for the tests). */
size_t budget_used(const struct budget *b);

/*
 * Counts one refusal at time now (seconds). Returns how many refusals to
 * report in a log line now, this one included, or 0 when a line was written
 * less than a second ago: a flood of refusals makes one line a second.
 */
unsigned long budget_refusal(struct budget *b, double now);

#endif /* GATEWAYD_BUDGET_H */
