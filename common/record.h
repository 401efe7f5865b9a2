/*
 * record.h: FastCGI records appended to an output buffer.
 */
#ifndef COMMON_RECORD_H
#define COMMON_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Appends content as records of the given type and request id, each at most
 * FCGI_MAX_LENGTH bytes of content; len 0 appends one empty record (the
 * end of a stream). Returns 0, or -1 when out of memory.
 */
int record_append(struct buf *out, uint8_t type, uint16_t request_id,
    const void *content, size_t len);

/* Appends an END_REQUEST record. Returns 0, or -1 when out of memory. */
int record_append_end(struct buf *out, uint16_t request_id, uint32_t app_status,
    uint8_t protocol_status);

#endif /* COMMON_RECORD_H */
