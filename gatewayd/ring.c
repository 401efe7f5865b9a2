/*
 * ring.c: a bounded FIFO of pointers in one fixed array (see ring.h).
 *
 * Entries live at slots[(head + i) % capacity] for i in [0, count). Items
 * must not be NULL: ring_pop() and ring_peek() say "empty" with NULL.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "ring.h"

static size_t	slot(const struct ring *, size_t);

/* The array index of the i-th oldest entry. */
static size_t
slot(const struct ring *r, size_t i)
{
	return (r->head + i) % r->capacity;
}

/* A capacity of 0 is refused with EINVAL. */
int
ring_init(struct ring *r, size_t capacity)
{
	r->head = 0;
	r->count = 0;
	r->capacity = 0;
	r->slots = NULL;
	if (capacity == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((r->slots = calloc(capacity, sizeof(*r->slots))) == NULL)
		return -1;
	r->capacity = capacity;
	return 0;
}

/* Leaves r empty with capacity 0: every push fails, pop returns NULL. */
void
ring_free(struct ring *r)
{
	free(r->slots);
	r->slots = NULL;
	r->capacity = 0;
	r->head = 0;
	r->count = 0;
}

int
ring_push(struct ring *r, void *item)
{
	if (ring_full(r))
		return -1;
	r->slots[slot(r, r->count)] = item;
	r->count++;
	return 0;
}

int
ring_push_front(struct ring *r, void *item)
{
	if (ring_full(r))
		return -1;
	r->head = (r->head + r->capacity - 1) % r->capacity;
	r->slots[r->head] = item;
	r->count++;
	return 0;
}

void *
ring_pop(struct ring *r)
{
	void *item;

	if (r->count == 0)
		return NULL;
	item = r->slots[r->head];
	r->head = slot(r, 1);
	r->count--;
	return item;
}

void *
ring_peek(const struct ring *r)
{
	return r->count == 0 ? NULL : r->slots[r->head];
}

/*
 * Removes the oldest occurrence of item and closes the gap by moving the
 * newer entries one place toward the head: O(count), fine for a cancel.
 */
bool
ring_remove(struct ring *r, const void *item)
{
	size_t i;

	for (i = 0; i < r->count; i++)
		if (r->slots[slot(r, i)] == item)
			break;
	if (i == r->count)
		return false;
	for (; i + 1 < r->count; i++)
		r->slots[slot(r, i)] = r->slots[slot(r, i + 1)];
	r->count--;
	return true;
}
