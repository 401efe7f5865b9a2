/*
 * ring.h: a bounded FIFO of pointers in a fixed array (the async queue of
 * one function). Push fails when full; nothing is ever dropped.
 */
#ifndef GATEWAYD_RING_H
#define GATEWAYD_RING_H

#include <stdbool.h>
#include <stddef.h>

struct ring {
	void **slots;
	size_t capacity;
	size_t head;		/* index of the oldest entry */
	size_t count;
};

/* Allocates room for capacity entries (>= 1). 0 / -1 (out of memory). */
int ring_init(struct ring *r, size_t capacity);

void ring_free(struct ring *r);

/* Appends at the tail. Returns 0, or -1 when full (r unchanged). */
int ring_push(struct ring *r, void *item);

/* Puts an item back at the head (a retry that must go first). 0 / -1 when full. */
int ring_push_front(struct ring *r, void *item);

/* Removes and returns the oldest entry, or NULL when empty. */
void *ring_pop(struct ring *r);

/* The oldest entry without removing it, or NULL. */
void *ring_peek(const struct ring *r);

/* Removes item wherever it is (a cancelled job). Returns true if found. */
bool ring_remove(struct ring *r, const void *item);

static inline size_t ring_count(const struct ring *r)
{
	return r->count;
}

static inline bool ring_full(const struct ring *r)
{
	return r->count == r->capacity;
}

#endif /* GATEWAYD_RING_H */
