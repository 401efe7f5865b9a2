/*
 * buf.h: a growable byte buffer with a read offset, used for every queue of
 * bytes in gatewayd and its pools (input being parsed, output waiting for
 * a socket).
 *
 * Bytes live in data[off, len). Appending may move the data; pointers into a
 * buffer are valid only until the next append or consume.
 */
#ifndef COMMON_BUF_H
#define COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t off;	/* first unread byte */
	size_t len;	/* one past the last byte */
	size_t cap;	/* allocated size of data */
};

/* Bytes waiting in the buffer. */
static inline size_t buf_used(const struct buf *b)
{
	return b->len - b->off;
}

/* The first waiting byte. */
static inline uint8_t *buf_head(const struct buf *b)
{
	return b->data + b->off;
}

/*
 * Makes room for at least n more bytes at the tail, compacting or growing.
 * Returns a pointer to the free tail, or NULL when out of memory.
 */
uint8_t *buf_reserve(struct buf *b, size_t n);

/* Appends n bytes. Returns 0, or -1 when out of memory. */
int buf_append(struct buf *b, const void *p, size_t n);

/*
 * Appends printf-formatted text (no NUL). Returns 0, or -1 when out of
 * memory or the format fails (what was appended before stays).
 */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Drops n bytes from the head (n <= buf_used). Empties reset the offset. */
void buf_consume(struct buf *b, size_t n);

/* Empties the buffer and keeps its memory. */
void buf_reset(struct buf *b);

/*
 * Gives back the spare room of a buffer that is kept long (an async job's
 * request and result): its bytes move to the start and its allocation
 * shrinks to exactly them; an empty one is freed. 0, or -1 when out of
 * memory (the buffer is then as it was).
 */
int buf_fit(struct buf *b);

/* Frees the memory; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

#endif /* COMMON_BUF_H */
