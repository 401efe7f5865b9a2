/*
 * fcgi.h: the FastCGI 1.0 wire format as pure functions over byte buffers.
 *
 * Nothing here allocates, blocks or logs. Decoders take (buf, len) and
 * return the number of bytes consumed, 0 when more bytes are needed, and
 * -1 when the input is malformed. Encoders write into a caller-supplied
 * buffer and return the number of bytes written, or 0 when it is too small.
 * Record types, roles, flags and status codes are libfcgi's <fastcgi.h>.
 */
#ifndef COMMON_FCGI_H
#define COMMON_FCGI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <fastcgi.h>

/* Largest record on the wire: header, 65535 content bytes, 255 padding. */
#define FCGI_RECORD_MAX (FCGI_HEADER_LEN + FCGI_MAX_LENGTH + 255)

/* A decoded record header (FastCGI spec section 3.3). */
struct fcgi_header {
	uint8_t  type;			/* FCGI_BEGIN_REQUEST ... FCGI_UNKNOWN_TYPE, or any byte */
	uint16_t request_id;		/* 0 for management records */
	uint16_t content_length;	/* bytes of content that follow the header */
	uint8_t  padding_length;	/* bytes of padding after the content */
};

/* A whole record: header plus a pointer to its content inside the input. */
struct fcgi_record {
	struct fcgi_header header;
	const uint8_t *content;		/* points into the decoded buffer */
};

/* One name-value pair (spec section 3.4); pointers into the decoded buffer. */
struct fcgi_nv {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *value;
	size_t value_len;
};

/*
 * Decodes the 8-byte header at buf. Returns FCGI_HEADER_LEN, 0 when
 * len < FCGI_HEADER_LEN, or -1 when the version byte is not FCGI_VERSION_1.
 */
ssize_t fcgi_header_decode(const uint8_t *buf, size_t len, struct fcgi_header *h);

/*
 * Decodes one whole record (header, content, padding) at buf. Returns the
 * record's total size, 0 when it has not fully arrived, -1 when malformed.
 */
ssize_t fcgi_record_decode(const uint8_t *buf, size_t len, struct fcgi_record *rec);

/*
 * Writes a version-1 header into out[FCGI_HEADER_LEN]. Always succeeds.
 */
void fcgi_header_encode(uint8_t *out, uint8_t type, uint16_t request_id,
    uint16_t content_length, uint8_t padding_length);

/*
 * Rewrites the request id of the encoded header at hdr in place (used when a
 * record is relayed between the web server's id space and a worker's).
 */
void fcgi_header_set_request_id(uint8_t *hdr, uint16_t request_id);

/*
 * Writes one record of the given type and content (content_length <=
 * FCGI_MAX_LENGTH, no padding) into out. Returns bytes written, or 0 when
 * cap is too small or the content too long.
 */
size_t fcgi_record_encode(uint8_t *out, size_t cap, uint8_t type,
    uint16_t request_id, const void *content, size_t content_length);

/*
 * Decodes the body of a BEGIN_REQUEST record (8 bytes). Returns 0, or -1
 * when len != 8.
 */
int fcgi_begin_request_decode(const uint8_t *content, size_t len,
    uint16_t *role, uint8_t *flags);

/*
 * Writes a whole BEGIN_REQUEST record (16 bytes) into out. Returns 16, or 0
 * when cap < 16.
 */
size_t fcgi_begin_request_encode(uint8_t *out, size_t cap, uint16_t request_id,
    uint16_t role, uint8_t flags);

/*
 * Decodes the body of an END_REQUEST record (8 bytes). Returns 0, or -1 when
 * len != 8.
 */
int fcgi_end_request_decode(const uint8_t *content, size_t len,
    uint32_t *app_status, uint8_t *protocol_status);

/*
 * Writes a whole END_REQUEST record (16 bytes) into out. Returns 16, or 0
 * when cap < 16.
 */
size_t fcgi_end_request_encode(uint8_t *out, size_t cap, uint16_t request_id,
    uint32_t app_status, uint8_t protocol_status);

/*
 * Writes a whole UNKNOWN_TYPE management record (16 bytes) into out.
 * Returns 16, or 0 when cap < 16.
 */
size_t fcgi_unknown_type_encode(uint8_t *out, size_t cap, uint8_t type);

/*
 * Decodes one name-value pair at buf (1- or 4-byte lengths each; every
 * 31-bit length is legal, and the 4-byte form is accepted for short lengths
 * too, as libfcgi does). Returns bytes consumed, or 0 when the pair is not
 * complete within len. Inside a complete PARAMS stream, 0 at a non-zero len
 * means the stream is truncated: callers treat that as malformed.
 */
ssize_t fcgi_nv_decode(const uint8_t *buf, size_t len, struct fcgi_nv *nv);

/*
 * Encodes one name-value pair into out. Returns bytes written, or 0 when
 * cap is too small or a length exceeds 0x7fffffff.
 */
size_t fcgi_nv_encode(uint8_t *out, size_t cap, const void *name, size_t name_len,
    const void *value, size_t value_len);

/*
 * Size fcgi_nv_encode() needs for this pair, or 0 when a length exceeds
 * 0x7fffffff.
 */
size_t fcgi_nv_encoded_size(size_t name_len, size_t value_len);

/* A param asked for by fcgi_params_lookup(). */
struct fcgi_param {
	const char *name;		/* what to look for */
	size_t name_len;
	const uint8_t *value;		/* the first occurrence's value, when found */
	size_t value_len;
	int found;
};

/* Initialises a struct fcgi_param for a string literal name. */
#define FCGI_PARAM(literal) { .name = (literal), .name_len = sizeof(literal) - 1 }

/*
 * Looks every wanted name up in one pass over a complete, concatenated
 * PARAMS stream, checking the whole stream on the way (the answer does not
 * depend on where damage lies). Each wanted param gets found, value and
 * value_len of its first occurrence. Returns the number of pairs, or -1
 * when the stream is malformed or truncated (then found is meaningless).
 * count 0 just validates.
 */
ssize_t fcgi_params_lookup(const uint8_t *params, size_t len, struct fcgi_param *wanted,
    size_t count);

#endif /* COMMON_FCGI_H */
