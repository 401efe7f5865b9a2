/*
 * response_status.h: the HTTP status of a response, read from its CGI
 * header block as the STDOUT stream goes by (RFC 3875 section 6.3.3:
 * "Status: 404 Not Found", else 302 for a "Location:" with no Status,
 * else 200), for the request summary.
 */
#ifndef GATEWAYD_RESPONSE_STATUS_H
#define GATEWAYD_RESPONSE_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the scan is; the zero value is a response that has sent nothing. */
enum response_status_scan {
	RESPONSE_STATUS_LINE_START,	/* at the start of a header line (the first one too) */
	RESPONSE_STATUS_LINE_START_CR,	/* a line that so far is "\r" */
	RESPONSE_STATUS_NAME,		/* in a field name that may still be Status or Location */
	RESPONSE_STATUS_VALUE,		/* in Status's value, before or in its three digits */
	RESPONSE_STATUS_IN_LINE,	/* in a line nothing more is wanted from */
	RESPONSE_STATUS_DONE,		/* the empty line was seen: the header block is over */
};

/* Bounded state: a field name is kept only while it can still be one of the two wanted. */
struct response_status {
	enum response_status_scan scan;
	uint8_t name_len;
	char name[8];			/* "location" is the longest wanted */
	uint8_t digits;			/* of Status's value so far */
	int code;			/* Status's three digits, once whole */
	bool location;			/* a Location field was seen */
};

/*
 * Scans the next len bytes of STDOUT; does nothing once the header block
 * is over. Returns whether it is over.
 */
bool response_status_feed(struct response_status *s, const uint8_t *content, size_t len);

/* The status the response carries (200 when its header named none). */
int response_status_code(const struct response_status *s);

#endif /* GATEWAYD_RESPONSE_STATUS_H */
