/*
 * journal_codec.c: the journal's record format (see journal.h): pure
 * functions over buffers, no I/O. journal.c does the file.
 *
 * Every field is read and written one byte at a time, little-endian, so
 * nothing here depends on host byte order, alignment or struct layout.
 * Every length read from a record is checked against the record's own
 * length, and that length against the bytes that arrived, before anything
 * past it is read. A record decodes only if encoding what it decoded gives
 * the same bytes back, which the fuzzer (tests/fuzz/fuzz_journal.c) checks.
 *
 * Why a keyed CRC is enough here. Replay resynchronises after a torn write
 * by trying every following offset, so it may try bytes that a client put
 * in a request body. A record's check is therefore CRC-32C(secret ||
 * checked part), the secret being the journal's 128 random bits kept in
 * its file header. CRC is linear: anyone who sees one valid record and its
 * check could forge others, so this is no MAC in general. But clients
 * never read the journal (0600, gatewayd's uid) and nothing derived from
 * the secret leaves the file; to a client the check of a record it
 * chooses is the secret's image under a linear map onto 32 bits, uniform
 * over random secrets, so each forged record it plants verifies with
 * probability 2^-32, and then only if a torn write makes replay scan it.
 * A 32-bit check bounds that; a longer tag would change the layout.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "journal.h"

/* "GWJ1", as it appears at the start of every record in the file. */
static const uint8_t journal_magic[4] = { 'G', 'W', 'J', '1' };
/* "GWJH", the start of the file header, then its version. */
static const uint8_t journal_header_magic[4] = { 'G', 'W', 'J', 'H' };
#define JOURNAL_VERSION		2

/* magic u32 | length u32 | crc32c u32: what precedes the checked part. */
#define JOURNAL_HEADER_LEN	12
/* type u8 | id | time_ms u64: the checked part every type starts with. */
#define JOURNAL_COMMON_LEN	(1 + JOURNAL_ID_LEN + 8)
/* Largest length a record may declare: bounds what replay trusts. */
#define JOURNAL_LENGTH_MAX	(64u * 1024 * 1024)

/*
 * CRC-32C (Castagnoli, reflected polynomial 0x82f63b78, as in RFC 3720
 * appendix B.4), one byte per step. The table is computed once, offline,
 * and kept here as constant data: no start-up work and no hidden state, so
 * the codec stays a set of pure functions.
 */
static const uint32_t crc32c_table[256] = {
	0x00000000, 0xf26b8303, 0xe13b70f7, 0x1350f3f4,
	0xc79a971f, 0x35f1141c, 0x26a1e7e8, 0xd4ca64eb,
	0x8ad958cf, 0x78b2dbcc, 0x6be22838, 0x9989ab3b,
	0x4d43cfd0, 0xbf284cd3, 0xac78bf27, 0x5e133c24,
	0x105ec76f, 0xe235446c, 0xf165b798, 0x030e349b,
	0xd7c45070, 0x25afd373, 0x36ff2087, 0xc494a384,
	0x9a879fa0, 0x68ec1ca3, 0x7bbcef57, 0x89d76c54,
	0x5d1d08bf, 0xaf768bbc, 0xbc267848, 0x4e4dfb4b,
	0x20bd8ede, 0xd2d60ddd, 0xc186fe29, 0x33ed7d2a,
	0xe72719c1, 0x154c9ac2, 0x061c6936, 0xf477ea35,
	0xaa64d611, 0x580f5512, 0x4b5fa6e6, 0xb93425e5,
	0x6dfe410e, 0x9f95c20d, 0x8cc531f9, 0x7eaeb2fa,
	0x30e349b1, 0xc288cab2, 0xd1d83946, 0x23b3ba45,
	0xf779deae, 0x05125dad, 0x1642ae59, 0xe4292d5a,
	0xba3a117e, 0x4851927d, 0x5b016189, 0xa96ae28a,
	0x7da08661, 0x8fcb0562, 0x9c9bf696, 0x6ef07595,
	0x417b1dbc, 0xb3109ebf, 0xa0406d4b, 0x522bee48,
	0x86e18aa3, 0x748a09a0, 0x67dafa54, 0x95b17957,
	0xcba24573, 0x39c9c670, 0x2a993584, 0xd8f2b687,
	0x0c38d26c, 0xfe53516f, 0xed03a29b, 0x1f682198,
	0x5125dad3, 0xa34e59d0, 0xb01eaa24, 0x42752927,
	0x96bf4dcc, 0x64d4cecf, 0x77843d3b, 0x85efbe38,
	0xdbfc821c, 0x2997011f, 0x3ac7f2eb, 0xc8ac71e8,
	0x1c661503, 0xee0d9600, 0xfd5d65f4, 0x0f36e6f7,
	0x61c69362, 0x93ad1061, 0x80fde395, 0x72966096,
	0xa65c047d, 0x5437877e, 0x4767748a, 0xb50cf789,
	0xeb1fcbad, 0x197448ae, 0x0a24bb5a, 0xf84f3859,
	0x2c855cb2, 0xdeeedfb1, 0xcdbe2c45, 0x3fd5af46,
	0x7198540d, 0x83f3d70e, 0x90a324fa, 0x62c8a7f9,
	0xb602c312, 0x44694011, 0x5739b3e5, 0xa55230e6,
	0xfb410cc2, 0x092a8fc1, 0x1a7a7c35, 0xe811ff36,
	0x3cdb9bdd, 0xceb018de, 0xdde0eb2a, 0x2f8b6829,
	0x82f63b78, 0x709db87b, 0x63cd4b8f, 0x91a6c88c,
	0x456cac67, 0xb7072f64, 0xa457dc90, 0x563c5f93,
	0x082f63b7, 0xfa44e0b4, 0xe9141340, 0x1b7f9043,
	0xcfb5f4a8, 0x3dde77ab, 0x2e8e845f, 0xdce5075c,
	0x92a8fc17, 0x60c37f14, 0x73938ce0, 0x81f80fe3,
	0x55326b08, 0xa759e80b, 0xb4091bff, 0x466298fc,
	0x1871a4d8, 0xea1a27db, 0xf94ad42f, 0x0b21572c,
	0xdfeb33c7, 0x2d80b0c4, 0x3ed04330, 0xccbbc033,
	0xa24bb5a6, 0x502036a5, 0x4370c551, 0xb11b4652,
	0x65d122b9, 0x97baa1ba, 0x84ea524e, 0x7681d14d,
	0x2892ed69, 0xdaf96e6a, 0xc9a99d9e, 0x3bc21e9d,
	0xef087a76, 0x1d63f975, 0x0e330a81, 0xfc588982,
	0xb21572c9, 0x407ef1ca, 0x532e023e, 0xa145813d,
	0x758fe5d6, 0x87e466d5, 0x94b49521, 0x66df1622,
	0x38cc2a06, 0xcaa7a905, 0xd9f75af1, 0x2b9cd9f2,
	0xff56bd19, 0x0d3d3e1a, 0x1e6dcdee, 0xec064eed,
	0xc38d26c4, 0x31e6a5c7, 0x22b65633, 0xd0ddd530,
	0x0417b1db, 0xf67c32d8, 0xe52cc12c, 0x1747422f,
	0x49547e0b, 0xbb3ffd08, 0xa86f0efc, 0x5a048dff,
	0x8ecee914, 0x7ca56a17, 0x6ff599e3, 0x9d9e1ae0,
	0xd3d3e1ab, 0x21b862a8, 0x32e8915c, 0xc083125f,
	0x144976b4, 0xe622f5b7, 0xf5720643, 0x07198540,
	0x590ab964, 0xab613a67, 0xb831c993, 0x4a5a4a90,
	0x9e902e7b, 0x6cfbad78, 0x7fab5e8c, 0x8dc0dd8f,
	0xe330a81a, 0x115b2b19, 0x020bd8ed, 0xf0605bee,
	0x24aa3f05, 0xd6c1bc06, 0xc5914ff2, 0x37faccf1,
	0x69e9f0d5, 0x9b8273d6, 0x88d28022, 0x7ab90321,
	0xae7367ca, 0x5c18e4c9, 0x4f48173d, 0xbd23943e,
	0xf36e6f75, 0x0105ec76, 0x12551f82, 0xe03e9c81,
	0x34f4f86a, 0xc69f7b69, 0xd5cf889d, 0x27a40b9e,
	0x79b737ba, 0x8bdcb4b9, 0x988c474d, 0x6ae7c44e,
	0xbe2da0a5, 0x4c4623a6, 0x5f16d052, 0xad7d5351,
};

static uint16_t	get16(const uint8_t *);
static uint32_t	get32(const uint8_t *);
static uint64_t	get64(const uint8_t *);
static uint8_t	*put16(uint8_t *, uint16_t);
static uint8_t	*put32(uint8_t *, uint32_t);
static uint8_t	*put64(uint8_t *, uint64_t);
static uint8_t	*put_bytes(uint8_t *, const void *, size_t);
static uint32_t	crc32c_update(uint32_t, const uint8_t *, size_t);
static size_t	fixed_len(uint8_t);
static size_t	payload_len(const struct journal_record *);
static ssize_t	take_bytes(const uint8_t **, const uint8_t *, size_t, const uint8_t **);
static int	decode_fields(const uint8_t *, const uint8_t *, struct journal_record *);

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	    ((uint32_t)p[3] << 24);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

static uint8_t *
put64(uint8_t *p, uint64_t v)
{
	return put32(put32(p, (uint32_t)v), (uint32_t)(v >> 32));
}

/* Copies len bytes (data may be NULL when len is 0) and returns the end. */
static uint8_t *
put_bytes(uint8_t *p, const void *data, size_t len)
{
	if (len > 0)
		memcpy(p, data, len);
	return p + len;
}

/* The CRC register after len more bytes (before the final inversion). */
static uint32_t
crc32c_update(uint32_t crc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		crc = crc32c_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return crc;
}

uint32_t
journal_crc32c(const void *data, size_t len)
{
	return crc32c_update(0xffffffffu, data, len) ^ 0xffffffffu;
}

/* One CRC over the key and then the record, as if they were one buffer. */
uint32_t
journal_record_check(const uint8_t *key, const void *payload, size_t len)
{
	uint32_t crc = 0xffffffffu;

	if (key != NULL)
		crc = crc32c_update(crc, key, JOURNAL_KEY_LEN);
	return crc32c_update(crc, payload, len) ^ 0xffffffffu;
}

void
journal_header_encode(const uint8_t key[JOURNAL_KEY_LEN], uint8_t out[JOURNAL_FILE_HEADER_LEN])
{
	uint8_t *p = put_bytes(out, journal_header_magic, sizeof(journal_header_magic));

	p = put32(p, JOURNAL_VERSION);
	put_bytes(p, key, JOURNAL_KEY_LEN);
}

/*
 * Byte by byte against what has arrived, as for records: a short buffer
 * that agrees with the magic and version so far is 0, anything else -1.
 */
ssize_t
journal_header_decode(const uint8_t *buf, size_t len, uint8_t key[JOURNAL_KEY_LEN])
{
	uint8_t want[8];

	put32(put_bytes(want, journal_header_magic, sizeof(journal_header_magic)),
	    JOURNAL_VERSION);
	for (size_t i = 0; i < len && i < sizeof(want); i++)
		if (buf[i] != want[i])
			return -1;
	if (len < JOURNAL_FILE_HEADER_LEN)
		return 0;
	memcpy(key, buf + sizeof(want), JOURNAL_KEY_LEN);
	return JOURNAL_FILE_HEADER_LEN;
}

/*
 * The checked part's size for a type before its variable-length bytes
 * (the common fields plus the type's own fixed fields), or 0 for a type
 * this version does not know.
 */
static size_t
fixed_len(uint8_t type)
{
	switch (type) {
	case JOURNAL_ACCEPTED:
		return JOURNAL_COMMON_LEN + 2 + 4 + 4;
	case JOURNAL_STARTED:
		return JOURNAL_COMMON_LEN + 4;
	case JOURNAL_FINISHED:
		return JOURNAL_COMMON_LEN + 1 + 4 + 2 + 4;
	case JOURNAL_FORGOTTEN:
		return JOURNAL_COMMON_LEN;
	case JOURNAL_DELIVERED:
		return JOURNAL_COMMON_LEN + 1 + 4;
	default:
		return 0;
	}
}

/*
 * The length field r would carry, or 0 when r cannot be encoded: an
 * unknown type, a field longer than its length prefix can say, or a total
 * over JOURNAL_LENGTH_MAX. Each term is bounded before it is added, so the
 * sum cannot wrap.
 */
static size_t
payload_len(const struct journal_record *r)
{
	size_t fixed, vary;

	/* Through unsigned, so a negative enum value is refused too. */
	if ((unsigned)r->type > UINT8_MAX || (fixed = fixed_len((uint8_t)r->type)) == 0)
		return 0;
	switch (r->type) {
	case JOURNAL_ACCEPTED:
		if (r->function_len > UINT16_MAX || r->params_len > JOURNAL_LENGTH_MAX ||
		    r->body_len > JOURNAL_LENGTH_MAX)
			return 0;
		vary = r->function_len + r->params_len + r->body_len;
		break;
	case JOURNAL_FINISHED:
		if (r->response_len > JOURNAL_LENGTH_MAX)
			return 0;
		vary = r->response_len;
		break;
	default:
		vary = 0;
		break;
	}
	if (vary > JOURNAL_LENGTH_MAX - fixed)
		return 0;
	return fixed + vary;
}

/*
 * Whole records only: 0 also for a record that cannot be encoded (see
 * payload_len), so a caller can size a buffer and detect both at once.
 */
size_t
journal_record_size(const struct journal_record *r)
{
	size_t n = payload_len(r);

	return n == 0 ? 0 : JOURNAL_HEADER_LEN + n;
}

/*
 * Writes the fields first and the check over them last. Returns 0, writing
 * nothing, when cap is short or r cannot be encoded.
 */
size_t
journal_record_encode(const struct journal_record *r, const uint8_t *key, uint8_t *out,
    size_t cap)
{
	size_t n = payload_len(r);
	uint8_t *p;

	if (n == 0 || cap < JOURNAL_HEADER_LEN || n > cap - JOURNAL_HEADER_LEN)
		return 0;
	p = put_bytes(out, journal_magic, sizeof(journal_magic));
	p = put32(p, (uint32_t)n);
	p += 4;			/* the CRC, once the rest is written */
	*p++ = (uint8_t)r->type;
	p = put_bytes(p, r->id, JOURNAL_ID_LEN);
	p = put64(p, r->time_ms);
	switch (r->type) {
	case JOURNAL_ACCEPTED:
		p = put16(p, (uint16_t)r->function_len);
		p = put_bytes(p, r->function, r->function_len);
		p = put32(p, (uint32_t)r->params_len);
		p = put_bytes(p, r->params, r->params_len);
		p = put32(p, (uint32_t)r->body_len);
		p = put_bytes(p, r->body, r->body_len);
		break;
	case JOURNAL_STARTED:
		p = put32(p, r->attempt);
		break;
	case JOURNAL_FINISHED:
		*p++ = r->succeeded ? 1 : 0;
		p = put32(p, r->attempts);
		p = put16(p, r->status);
		p = put32(p, (uint32_t)r->response_len);
		p = put_bytes(p, r->response, r->response_len);
		break;
	case JOURNAL_FORGOTTEN:
		break;
	case JOURNAL_DELIVERED:
		*p++ = r->succeeded ? 1 : 0;
		p = put32(p, r->attempts);
		break;
	}
	put32(out + 8, journal_record_check(key, out + JOURNAL_HEADER_LEN, n));
	return JOURNAL_HEADER_LEN + n;
}

/*
 * Takes a u32 length (u16 when wide is 2) at *p and that many bytes after
 * it, if they end by end. Sets *bytes to them and moves *p past them.
 * Returns the length, or -1 when they would overrun end.
 */
static ssize_t
take_bytes(const uint8_t **p, const uint8_t *end, size_t wide, const uint8_t **bytes)
{
	size_t n;

	if ((size_t)(end - *p) < wide)
		return -1;
	n = wide == 2 ? get16(*p) : get32(*p);
	*p += wide;
	if ((size_t)(end - *p) < n)
		return -1;
	*bytes = *p;
	*p += n;
	return (ssize_t)n;
}

/*
 * Decodes the type-specific fields from p (just past time_ms) to end, the
 * end of the record. The fixed fields are known to fit (the caller checked
 * the length against fixed_len); every inner length is checked here, and
 * the fields must end exactly at end. Returns 0, or -1 when malformed.
 */
static int
decode_fields(const uint8_t *p, const uint8_t *end, struct journal_record *r)
{
	const uint8_t *bytes = NULL;
	ssize_t n;

	switch (r->type) {
	case JOURNAL_ACCEPTED:
		if ((n = take_bytes(&p, end, 2, &bytes)) < 0)
			return -1;
		r->function = (const char *)bytes;
		r->function_len = (size_t)n;
		if ((n = take_bytes(&p, end, 4, &r->params)) < 0)
			return -1;
		r->params_len = (size_t)n;
		if ((n = take_bytes(&p, end, 4, &r->body)) < 0)
			return -1;
		r->body_len = (size_t)n;
		break;
	case JOURNAL_STARTED:
		r->attempt = get32(p);
		p += 4;
		break;
	case JOURNAL_FINISHED:
		/* Only 0 and 1, so that every record has one encoding. */
		if (p[0] > 1)
			return -1;
		r->succeeded = p[0] == 1;
		r->attempts = get32(p + 1);
		r->status = get16(p + 5);
		p += 7;
		if ((n = take_bytes(&p, end, 4, &r->response)) < 0)
			return -1;
		r->response_len = (size_t)n;
		break;
	case JOURNAL_FORGOTTEN:
		break;
	case JOURNAL_DELIVERED:
		if (p[0] > 1)
			return -1;
		r->succeeded = p[0] == 1;
		r->attempts = get32(p + 1);
		p += 5;
		break;
	default:
		return -1;
	}
	return p == end ? 0 : -1;
}

/*
 * Checks what it can as soon as the bytes for it have arrived (magic,
 * length bounds, type, the type's fixed size), so garbage is refused
 * before a whole record's worth is waited for; then the check, then the
 * fields. Fills r (fields of other types zeroed) only on success.
 */
ssize_t
journal_record_decode(const uint8_t *buf, size_t len, const uint8_t *key,
    struct journal_record *r)
{
	struct journal_record out;
	size_t length, fixed;

	for (size_t i = 0; i < len && i < sizeof(journal_magic); i++)
		if (buf[i] != journal_magic[i])
			return -1;
	if (len < 8)
		return 0;
	length = get32(buf + 4);
	if (length < JOURNAL_COMMON_LEN || length > JOURNAL_LENGTH_MAX)
		return -1;
	if (len <= JOURNAL_HEADER_LEN)
		return 0;
	fixed = fixed_len(buf[JOURNAL_HEADER_LEN]);
	if (fixed == 0 || length < fixed)
		return -1;
	if (len - JOURNAL_HEADER_LEN < length)
		return 0;
	if (journal_record_check(key, buf + JOURNAL_HEADER_LEN, length) != get32(buf + 8))
		return -1;

	memset(&out, 0, sizeof(out));
	out.type = (enum journal_type)buf[JOURNAL_HEADER_LEN];
	memcpy(out.id, buf + JOURNAL_HEADER_LEN + 1, JOURNAL_ID_LEN);
	out.time_ms = get64(buf + JOURNAL_HEADER_LEN + 1 + JOURNAL_ID_LEN);
	if (decode_fields(buf + JOURNAL_HEADER_LEN + JOURNAL_COMMON_LEN,
	    buf + JOURNAL_HEADER_LEN + length, &out) < 0)
		return -1;
	*r = out;
	return (ssize_t)(JOURNAL_HEADER_LEN + length);
}
