/*
 * record.c: FastCGI records appended to an output buffer (see record.h).
 */
#include <string.h>

#include "fcgi.h"
#include "record.h"

int record_append(struct buf *out, uint8_t type, uint16_t request_id,
    const void *content, size_t len)
{
	const uint8_t *p = content;

	do {
		size_t n = len > FCGI_MAX_LENGTH ? FCGI_MAX_LENGTH : len;
		uint8_t *tail = buf_reserve(out, FCGI_HEADER_LEN + n);
		if (tail == NULL)
			return -1;
		fcgi_header_encode(tail, type, request_id, (uint16_t)n, 0);
		if (n > 0)
			memcpy(tail + FCGI_HEADER_LEN, p, n);
		out->len += FCGI_HEADER_LEN + n;
		p += n;
		len -= n;
	} while (len > 0);
	return 0;
}

int record_append_end(struct buf *out, uint16_t request_id, uint32_t app_status,
    uint8_t protocol_status)
{
	uint8_t *tail = buf_reserve(out, FCGI_HEADER_LEN + 8);

	if (tail == NULL)
		return -1;
	out->len += fcgi_end_request_encode(tail, FCGI_HEADER_LEN + 8, request_id, app_status,
	    protocol_status);
	return 0;
}
