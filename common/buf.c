/*
 * buf.c: growable byte buffer (see buf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

uint8_t *buf_reserve(struct buf *b, size_t n)
{
	size_t used = buf_used(b);

	if (b->cap - b->len >= n)
		return b->data + b->len;
	if (b->off > 0 && b->cap - used >= n) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		return b->data + b->len;
	}
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - used < n) {
		if (cap > SIZE_MAX / 2)
			return NULL;
		cap *= 2;
	}
	uint8_t *data = malloc(cap);
	if (data == NULL)
		return NULL;
	if (used > 0)
		memcpy(data, b->data + b->off, used);
	free(b->data);
	b->data = data;
	b->cap = cap;
	b->off = 0;
	b->len = used;
	return b->data + b->len;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;	/* an empty buffer has no tail to reserve */
	uint8_t *tail = buf_reserve(b, n);

	if (tail == NULL)
		return -1;
	memcpy(tail, p, n);
	b->len += n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	size_t room = 256;

	for (int pass = 0; pass < 2; pass++) {
		uint8_t *tail = buf_reserve(b, room);
		if (tail == NULL)
			return -1;
		room = b->cap - b->len;
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf((char *)tail, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -1;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		room = (size_t)n + 1;	/* the second pass has room for all of it */
	}
	return -1;
}

void buf_consume(struct buf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

int buf_fit(struct buf *b)
{
	size_t used = buf_used(b);

	if (used == 0) {
		buf_free(b);
		return 0;
	}
	if (used == b->cap)
		return 0;
	/*
	 * A copy, not realloc(): shrinking in place would leave a hole after
	 * each kept buffer too small for the next 4 KiB one, so a burst of
	 * jobs would still cost the heap 4 KiB each.
	 */
	uint8_t *data = malloc(used);
	if (data == NULL)
		return -1;
	memcpy(data, b->data + b->off, used);
	free(b->data);
	b->data = data;
	b->off = 0;
	b->len = b->cap = used;
	return 0;
}

void buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}
