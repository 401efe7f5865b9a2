/*
 * stderr_hold.h: a response's FCGI_STDERR held back until its header block
 * has gone to the web server.
 *
 * nginx reads a response's header into one fastcgi_buffer_size buffer
 * (4 KiB) and logs FCGI_STDERR content found there, but it reuses that
 * buffer only when a stderr chunk ends exactly at the bytes read so far.
 * When stderr records and the STDOUT record that starts the header arrive
 * in one read that fills the buffer, the header is cut at its end and
 * nginx answers 502 "upstream sent too big header", whatever the header's
 * size: a race any FastCGI server that writes stderr before its output
 * loses now and then (PHP-FPM's users meet it as "too big header" on
 * pages that log warnings). Once the header block is whole, nginx's body
 * filter handles stderr without that limit; so gatewayd sends the STDOUT
 * that completes the header first, then what it held.
 */
#ifndef GATEWAYD_STDERR_HOLD_H
#define GATEWAYD_STDERR_HOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Where the scan of the response's STDOUT is: the header ends at an empty line. */
enum stderr_hold_scan {
	STDERR_HOLD_LINE_START,	/* at the start of a line (the first one too) */
	STDERR_HOLD_LINE_START_CR,	/* a line that so far is "\r" */
	STDERR_HOLD_IN_LINE,	/* inside a line with something on it */
	STDERR_HOLD_HEADER_PASSED,	/* the empty line has been seen: nothing is held */
};

/* All zero is a response that has sent nothing. */
struct stderr_hold {
	enum stderr_hold_scan scan;
	/*
	 * FCGI_STDERR waiting for the header, as records: each keeps its own
	 * length, because nginx logs a record (up to 2 KiB of it) a line.
	 */
	struct buf held;
};

/* Whether FCGI_STDERR must wait: the header block has not gone yet. */
static inline bool stderr_hold_active(const struct stderr_hold *h)
{
	return h->scan != STDERR_HOLD_HEADER_PASSED;
}

/*
 * Keeps one FCGI_STDERR record's content (len 0: the end of the stream)
 * until it is released. Returns 0, or -1 when out of memory (the caller
 * then sends it as it is).
 */
int stderr_hold_keep(struct stderr_hold *h, const uint8_t *content, size_t len);

/*
 * STDOUT content about to be sent: true when the header block's empty line
 * is in it, so what is held may follow it. Byte by byte only up to the
 * first newline of each line; after the header, a flag test.
 */
bool stderr_hold_header_ends(struct stderr_hold *h, const uint8_t *content, size_t len);

/*
 * Gives up the hold (later stderr goes straight through) and hands back the
 * held records in order, one a call: true with the next one's content in
 * *content and *len (valid until the next call), false when none is left
 * (the memory is then freed).
 */
bool stderr_hold_release_next(struct stderr_hold *h, const uint8_t **content, size_t *len);

/* Frees what is held. */
void stderr_hold_free(struct stderr_hold *h);

#endif /* GATEWAYD_STDERR_HOLD_H */
