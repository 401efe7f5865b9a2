/*
 * request_observer.h: who is told of each finished request (the access
 * log, the metrics). request.c hands every request's summary to each
 * observer registered on the gateway, and calls nothing of theirs by name:
 * one more observer is one request_observers_add() call.
 */
#ifndef GATEWAYD_REQUEST_OBSERVER_H
#define GATEWAYD_REQUEST_OBSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "request_summary.h"

#define REQUEST_OBSERVERS_MAX 4

struct request_observer {
	/* A request ended; summary (and what it points to) lives only during the call. */
	void (*finished)(void *owner, const struct request_summary *summary);
	void *owner;
};

/* All zero: none (the daemon always registers the metrics first). */
struct request_observers {
	struct request_observer list[REQUEST_OBSERVERS_MAX];
	size_t count;
};

/* Registers one; false when REQUEST_OBSERVERS_MAX are registered already. */
static inline bool request_observers_add(struct request_observers *obs,
    struct request_observer observer)
{
	if (obs->count == REQUEST_OBSERVERS_MAX)
		return false;
	obs->list[obs->count++] = observer;
	return true;
}

#endif /* GATEWAYD_REQUEST_OBSERVER_H */
