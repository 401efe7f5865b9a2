/*
 * fcgi.c: the FastCGI 1.0 wire format (see fcgi.h for the contracts).
 *
 * Every multi-byte field is read and written one byte at a time in network
 * order, so nothing here depends on host byte order, alignment or struct
 * layout. Every length read from the wire is checked against the bytes that
 * actually arrived before anything is read past it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "fcgi.h"

/* Body size of BEGIN_REQUEST, END_REQUEST and UNKNOWN_TYPE (spec 5.1, 5.5, 4.2). */
#define FCGI_FIXED_BODY_LEN	8

/* Largest name or value length a pair can carry: 31 bits (spec 3.4). */
#define FCGI_NV_LEN_MAX		0x7fffffffu

/* Lengths up to this fit the one-byte form; longer ones need four bytes. */
#define FCGI_NV_SHORT_MAX	127u

static uint16_t	get16(const uint8_t *);
static uint32_t	get32(const uint8_t *);
static void	put16(uint8_t *, uint16_t);
static void	put32(uint8_t *, uint32_t);
static ssize_t	nv_len_decode(const uint8_t *, size_t, size_t *);
static size_t	nv_len_encode(uint8_t *, size_t);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

ssize_t
fcgi_header_decode(const uint8_t *buf, size_t len, struct fcgi_header *h)
{
	if (len < FCGI_HEADER_LEN)
		return 0;
	if (buf[0] != FCGI_VERSION_1)
		return -1;
	h->type = buf[1];
	h->request_id = get16(buf + 2);
	h->content_length = get16(buf + 4);
	h->padding_length = buf[6];
	/* buf[7] is reserved: ignored on input, as the spec asks. */
	return FCGI_HEADER_LEN;
}

/*
 * The type byte is not checked: the spec (section 4.2) wants an unknown
 * management type answered with UNKNOWN_TYPE, and only the caller knows
 * which types it understands. The total size is at most FCGI_RECORD_MAX, so
 * it cannot overflow.
 */
ssize_t
fcgi_record_decode(const uint8_t *buf, size_t len, struct fcgi_record *rec)
{
	struct fcgi_header h;
	ssize_t n;
	size_t total;

	n = fcgi_header_decode(buf, len, &h);
	if (n <= 0)
		return n;
	total = FCGI_HEADER_LEN + (size_t)h.content_length + h.padding_length;
	if (len < total)
		return 0;
	rec->header = h;
	rec->content = buf + FCGI_HEADER_LEN;
	return (ssize_t)total;
}

void
fcgi_header_encode(uint8_t *out, uint8_t type, uint16_t request_id,
    uint16_t content_length, uint8_t padding_length)
{
	out[0] = FCGI_VERSION_1;
	out[1] = type;
	put16(out + 2, request_id);
	put16(out + 4, content_length);
	out[6] = padding_length;
	out[7] = 0;
}

void
fcgi_header_set_request_id(uint8_t *hdr, uint16_t request_id)
{
	put16(hdr + 2, request_id);
}

/*
 * No padding is added: the spec only recommends 8-byte alignment (section
 * 3.3), and relaying records unpadded keeps their sizes predictable.
 */
size_t
fcgi_record_encode(uint8_t *out, size_t cap, uint8_t type,
    uint16_t request_id, const void *content, size_t content_length)
{
	if (content_length > FCGI_MAX_LENGTH)
		return 0;
	if (cap < FCGI_HEADER_LEN || cap - FCGI_HEADER_LEN < content_length)
		return 0;
	fcgi_header_encode(out, type, request_id, (uint16_t)content_length, 0);
	if (content_length > 0)
		memcpy(out + FCGI_HEADER_LEN, content, content_length);
	return FCGI_HEADER_LEN + content_length;
}

/* The five reserved bytes after the flags are ignored (spec 5.1). */
int
fcgi_begin_request_decode(const uint8_t *content, size_t len,
    uint16_t *role, uint8_t *flags)
{
	if (len != FCGI_FIXED_BODY_LEN)
		return -1;
	*role = get16(content);
	*flags = content[2];
	return 0;
}

size_t
fcgi_begin_request_encode(uint8_t *out, size_t cap, uint16_t request_id,
    uint16_t role, uint8_t flags)
{
	uint8_t *body = out + FCGI_HEADER_LEN;

	if (cap < FCGI_HEADER_LEN + FCGI_FIXED_BODY_LEN)
		return 0;
	fcgi_header_encode(out, FCGI_BEGIN_REQUEST, request_id,
	    FCGI_FIXED_BODY_LEN, 0);
	put16(body, role);
	body[2] = flags;
	memset(body + 3, 0, 5);
	return FCGI_HEADER_LEN + FCGI_FIXED_BODY_LEN;
}

/* The three reserved bytes after the protocol status are ignored (spec 5.5). */
int
fcgi_end_request_decode(const uint8_t *content, size_t len,
    uint32_t *app_status, uint8_t *protocol_status)
{
	if (len != FCGI_FIXED_BODY_LEN)
		return -1;
	*app_status = get32(content);
	*protocol_status = content[4];
	return 0;
}

size_t
fcgi_end_request_encode(uint8_t *out, size_t cap, uint16_t request_id,
    uint32_t app_status, uint8_t protocol_status)
{
	uint8_t *body = out + FCGI_HEADER_LEN;

	if (cap < FCGI_HEADER_LEN + FCGI_FIXED_BODY_LEN)
		return 0;
	fcgi_header_encode(out, FCGI_END_REQUEST, request_id,
	    FCGI_FIXED_BODY_LEN, 0);
	put32(body, app_status);
	body[4] = protocol_status;
	memset(body + 5, 0, 3);
	return FCGI_HEADER_LEN + FCGI_FIXED_BODY_LEN;
}

/* A management record: request id 0 (spec 4.2). */
size_t
fcgi_unknown_type_encode(uint8_t *out, size_t cap, uint8_t type)
{
	uint8_t *body = out + FCGI_HEADER_LEN;

	if (cap < FCGI_HEADER_LEN + FCGI_FIXED_BODY_LEN)
		return 0;
	fcgi_header_encode(out, FCGI_UNKNOWN_TYPE, FCGI_NULL_REQUEST_ID,
	    FCGI_FIXED_BODY_LEN, 0);
	body[0] = type;
	memset(body + 1, 0, 7);
	return FCGI_HEADER_LEN + FCGI_FIXED_BODY_LEN;
}

/*
 * Decodes one pair length at buf (spec 3.4): one byte when its high bit is
 * clear, else four bytes with that bit masked off. Returns the bytes used
 * (1 or 4), or 0 when they have not all arrived. A four-byte form of a
 * length under 128 is accepted: the spec says short lengths "can" use one
 * byte, and libfcgi reads either form.
 */
static ssize_t
nv_len_decode(const uint8_t *buf, size_t len, size_t *out)
{
	if (len < 1)
		return 0;
	if ((buf[0] & 0x80) == 0) {
		*out = buf[0];
		return 1;
	}
	if (len < 4)
		return 0;
	*out = get32(buf) & FCGI_NV_LEN_MAX;
	return 4;
}

/*
 * Every 31-bit length is legal, so a pair is never malformed on its own: it
 * is either complete within len or not. The remaining-bytes comparisons are
 * written so that no sum of wire lengths can overflow size_t.
 */
ssize_t
fcgi_nv_decode(const uint8_t *buf, size_t len, struct fcgi_nv *nv)
{
	size_t off, name_len, value_len;
	ssize_t n;

	/* Both lengths in one byte: nearly every pair a web server sends. */
	if (len >= 2 && ((buf[0] | buf[1]) & 0x80) == 0) {
		name_len = buf[0];
		value_len = buf[1];
		if (name_len + value_len > len - 2)
			return 0;
		nv->name = buf + 2;
		nv->name_len = name_len;
		nv->value = buf + 2 + name_len;
		nv->value_len = value_len;
		return (ssize_t)(2 + name_len + value_len);
	}
	n = nv_len_decode(buf, len, &name_len);
	if (n <= 0)
		return n;
	off = (size_t)n;
	n = nv_len_decode(buf + off, len - off, &value_len);
	if (n <= 0)
		return n;
	off += (size_t)n;
	if (name_len > len - off || value_len > len - off - name_len)
		return 0;
	nv->name = buf + off;
	nv->name_len = name_len;
	nv->value = buf + off + name_len;
	nv->value_len = value_len;
	return (ssize_t)(off + name_len + value_len);
}

/* Writes a length in the shortest form; returns the bytes written. */
static size_t
nv_len_encode(uint8_t *out, size_t n)
{
	if (n <= FCGI_NV_SHORT_MAX) {
		out[0] = (uint8_t)n;
		return 1;
	}
	put32(out, (uint32_t)n | 0x80000000u);
	return 4;
}

/*
 * Returns 0 when a length exceeds 31 bits or the total does not fit in a
 * size_t, so that callers sizing a buffer never see a wrapped size.
 */
size_t
fcgi_nv_encoded_size(size_t name_len, size_t value_len)
{
	size_t prefix;

	if (name_len > FCGI_NV_LEN_MAX || value_len > FCGI_NV_LEN_MAX)
		return 0;
	prefix = (name_len > FCGI_NV_SHORT_MAX ? 4 : 1) +
	    (value_len > FCGI_NV_SHORT_MAX ? 4 : 1);
	if (name_len > SIZE_MAX - prefix - value_len)
		return 0;
	return prefix + name_len + value_len;
}

size_t
fcgi_nv_encode(uint8_t *out, size_t cap, const void *name, size_t name_len,
    const void *value, size_t value_len)
{
	size_t need, off;

	need = fcgi_nv_encoded_size(name_len, value_len);
	if (need == 0 || need > cap)
		return 0;
	off = nv_len_encode(out, name_len);
	off += nv_len_encode(out + off, value_len);
	if (name_len > 0)
		memcpy(out + off, name, name_len);
	if (value_len > 0)
		memcpy(out + off + name_len, value, value_len);
	return need;
}

ssize_t
fcgi_params_lookup(const uint8_t *params, size_t len, struct fcgi_param *wanted, size_t count)
{
	struct fcgi_nv nv;
	size_t off = 0;
	ssize_t n, pairs = 0;

	/* Bit k set: some wanted name is k bytes long (k < 64); most pairs skip the loop. */
	uint64_t lengths = 0;
	for (size_t i = 0; i < count; i++) {
		wanted[i].found = 0;
		lengths |= wanted[i].name_len < 64 ? UINT64_C(1) << wanted[i].name_len : 0;
	}
	while (off < len) {
		n = fcgi_nv_decode(params + off, len - off, &nv);
		if (n <= 0)
			return -1;
		off += (size_t)n;
		pairs++;
		if (nv.name_len < 64 && !(lengths & (UINT64_C(1) << nv.name_len)))
			continue;
		for (size_t i = 0; i < count; i++) {
			struct fcgi_param *w = &wanted[i];
			/* The last byte first: names of one length mostly differ there
			 * (SCRIPT_NAME, SERVER_PORT, REMOTE_ADDR...). */
			if (!w->found && nv.name_len == w->name_len && (nv.name_len == 0 ||
			    nv.name[nv.name_len - 1] == (uint8_t)w->name[nv.name_len - 1]) &&
			    memcmp(nv.name, w->name, nv.name_len) == 0) {
				w->value = nv.value;
				w->value_len = nv.value_len;
				w->found = 1;
			}
		}
	}
	return pairs;
}
