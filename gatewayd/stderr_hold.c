/*
 * stderr_hold.c: FCGI_STDERR held until the header block (see stderr_hold.h).
 */
#include <string.h>

#include "fcgi.h"
#include "record.h"
#include "stderr_hold.h"

int stderr_hold_keep(struct stderr_hold *h, const uint8_t *content, size_t len)
{
	return record_append(&h->held, FCGI_STDERR, FCGI_NULL_REQUEST_ID, content, len);
}

/*
 * A CGI header block ends at the first empty line, "\n" or "\r\n" (RFC 3875
 * section 6.2; a response starting with one has no header fields). Inside
 * a line only its newline matters, found with memchr.
 */
bool stderr_hold_header_ends(struct stderr_hold *h, const uint8_t *content, size_t len)
{
	const uint8_t *p = content, *end = content + len;

	while (p < end) {
		switch (h->scan) {
		case STDERR_HOLD_HEADER_PASSED:
			return false;
		case STDERR_HOLD_IN_LINE: {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				return false;
			p = nl + 1;
			h->scan = STDERR_HOLD_LINE_START;
			break;
		}
		case STDERR_HOLD_LINE_START:
		case STDERR_HOLD_LINE_START_CR:
			if (*p == '\n') {
				h->scan = STDERR_HOLD_HEADER_PASSED;
				return true;
			}
			h->scan = *p == '\r' && h->scan == STDERR_HOLD_LINE_START ?
			    STDERR_HOLD_LINE_START_CR : STDERR_HOLD_IN_LINE;
			p++;
			break;
		}
	}
	return false;
}

bool stderr_hold_release_next(struct stderr_hold *h, const uint8_t **content, size_t *len)
{
	struct fcgi_record rec;

	h->scan = STDERR_HOLD_HEADER_PASSED;
	ssize_t n = fcgi_record_decode(buf_head(&h->held), buf_used(&h->held), &rec);
	if (n <= 0) {	/* none left: what record_append() wrote always decodes */
		buf_free(&h->held);
		return false;
	}
	*content = rec.content;
	*len = rec.header.content_length;
	buf_consume(&h->held, (size_t)n);
	return true;
}

void stderr_hold_free(struct stderr_hold *h)
{
	buf_free(&h->held);
}
