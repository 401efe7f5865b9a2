/*
 * fuzz_journal.c: libFuzzer target for the journal's record codec
 * (gatewayd/journal_codec.c).
 *
 * The input is read twice. First as a journal file: decoded at every
 * offset, the way replay resynchronises. Every record that decodes must
 * encode back to exactly its own bytes, every shorter prefix of it must be
 * "need more", and any one byte changed under the CRC must make it
 * corrupt. Records are checked with a fixed secret (the fuzzer finds
 * the keyed CRC as it found the plain one). The file header read from the
 * input's start must encode back to its own bytes. Then as the fields of a
 * record to encode: the encoding must decode back to the same fields. Any
 * disagreement aborts, which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

/* Records up to this size are checked at every prefix; larger ones at a few. */
#define PREFIX_ALL_MAX	4096
/* The magic, the length, the CRC. */
#define HEADER_LEN	12
/* Inputs larger than this are ignored, so every record fits out. */
#define INPUT_MAX	(1024 * 1024)
/* Room for any record built from or found in one input. */
#define OUT_MAX		(INPUT_MAX + 64)

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[OUT_MAX];

/* The secret every record here is checked with. */
static const uint8_t fuzz_key[JOURNAL_KEY_LEN] = "fuzz_journal key";

/* Whether p[0..n) lies inside base[0..len) (n may be 0). */
static int
inside(const void *p, size_t n, const uint8_t *base, size_t len)
{
	const uint8_t *q = p;

	return q >= base && q <= base + len && n <= (size_t)(base + len - q);
}

/* Same fields, compared only where a's type has them. */
static void
check_same(const struct journal_record *a, const struct journal_record *b)
{
	CHECK(a->type == b->type && a->time_ms == b->time_ms);
	CHECK(memcmp(a->id, b->id, JOURNAL_ID_LEN) == 0);
	switch (a->type) {
	case JOURNAL_ACCEPTED:
		CHECK(a->function_len == b->function_len && a->params_len == b->params_len &&
		    a->body_len == b->body_len);
		CHECK(a->function_len == 0 || memcmp(a->function, b->function, a->function_len) == 0);
		CHECK(a->params_len == 0 || memcmp(a->params, b->params, a->params_len) == 0);
		CHECK(a->body_len == 0 || memcmp(a->body, b->body, a->body_len) == 0);
		break;
	case JOURNAL_STARTED:
		CHECK(a->attempt == b->attempt);
		break;
	case JOURNAL_FINISHED:
		CHECK(a->succeeded == b->succeeded && a->attempts == b->attempts &&
		    a->status == b->status && a->response_len == b->response_len);
		CHECK(a->response_len == 0 ||
		    memcmp(a->response, b->response, a->response_len) == 0);
		break;
	case JOURNAL_FORGOTTEN:
		break;
	case JOURNAL_DELIVERED:
		CHECK(a->succeeded == b->succeeded && a->attempts == b->attempts);
		break;
	default:
		abort();
	}
}

/* Every prefix of the whole record rec[0..n) must be "need more". */
static void
check_prefixes(const uint8_t *rec, size_t n)
{
	struct journal_record r;

	if (n <= PREFIX_ALL_MAX) {
		for (size_t cut = 0; cut < n; cut++)
			CHECK(journal_record_decode(rec, cut, fuzz_key, &r) == 0);
		return;
	}
	const size_t cuts[] = { 0, 1, 4, 8, HEADER_LEN, HEADER_LEN + 1, n / 2, n - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		CHECK(journal_record_decode(rec, cuts[i], fuzz_key, &r) == 0);
}

/*
 * A record decoded from rec[0..n): its pointers lie in rec, it encodes to
 * the same n bytes (and not into n - 1), its prefixes are incomplete, and
 * one byte changed under or in the CRC (at a place picked by the data)
 * makes it corrupt.
 */
static void
check_decoded(const uint8_t *rec, size_t n, const struct journal_record *r)
{
	struct journal_record again;
	size_t at;

	CHECK(n > HEADER_LEN && n <= OUT_MAX);
	CHECK(journal_record_size(r) == n);
	if (r->type == JOURNAL_ACCEPTED) {
		CHECK(inside(r->function, r->function_len, rec, n));
		CHECK(inside(r->params, r->params_len, rec, n));
		CHECK(inside(r->body, r->body_len, rec, n));
	}
	if (r->type == JOURNAL_FINISHED)
		CHECK(inside(r->response, r->response_len, rec, n));
	CHECK(journal_record_encode(r, fuzz_key, out, n - 1) == 0);
	CHECK(journal_record_encode(r, fuzz_key, out, n) == n);
	CHECK(memcmp(out, rec, n) == 0);
	check_prefixes(rec, n);

	at = 8 + journal_crc32c(rec, n) % (n - 8);
	out[at] ^= (uint8_t)(1u + rec[n - 1] % 255);
	CHECK(journal_record_decode(out, n, fuzz_key, &again) == -1);
}

/*
 * Builds a record from the input: the first bytes choose the type, the id,
 * the time and how the rest is split between the variable fields.
 */
static void
check_encode(const uint8_t *data, size_t size)
{
	struct journal_record r, again;
	size_t n, rest, a, b;
	const uint8_t *p;

	if (size < 1 + JOURNAL_ID_LEN + 8 + 8)
		return;
	memset(&r, 0, sizeof(r));
	r.type = (enum journal_type)(data[0] % 4 + 1);
	memcpy(r.id, data + 1, JOURNAL_ID_LEN);
	memcpy(&r.time_ms, data + 1 + JOURNAL_ID_LEN, 8);
	p = data + 1 + JOURNAL_ID_LEN + 8;
	r.attempt = (uint32_t)p[0] << 24 | p[1];
	r.attempts = (uint32_t)p[2] << 8 | p[3];
	r.status = (uint16_t)(p[4] << 8 | p[5]);
	r.succeeded = p[6] & 1;
	rest = size - (size_t)(p + 8 - data);
	a = rest == 0 ? 0 : p[7] % (rest + 1);
	b = rest == 0 ? 0 : p[6] % (rest - a + 1);
	p += 8;
	r.function = (const char *)p;
	r.function_len = a;
	r.params = p + a;
	r.params_len = b;
	r.body = p + a + b;
	r.body_len = rest - a - b;
	r.response = p;
	r.response_len = rest;

	n = journal_record_size(&r);
	CHECK(n > HEADER_LEN && n <= OUT_MAX);
	CHECK(journal_record_encode(&r, fuzz_key, out, n) == n);
	CHECK(journal_record_decode(out, n, fuzz_key, &again) == (ssize_t)n);
	check_same(&r, &again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal_record r;
	size_t off = 0;
	ssize_t n;

	if (size > INPUT_MAX)
		return 0;
	uint8_t key[JOURNAL_KEY_LEN], head[JOURNAL_FILE_HEADER_LEN];
	n = journal_header_decode(data, size, key);
	CHECK(n == -1 || n == 0 || n == JOURNAL_FILE_HEADER_LEN);
	CHECK(n != 0 || size < JOURNAL_FILE_HEADER_LEN);
	if (n > 0) {
		journal_header_encode(key, head);
		CHECK(memcmp(head, data, sizeof(head)) == 0);
	}
	while (off < size) {
		n = journal_record_decode(data + off, size - off, fuzz_key, &r);
		CHECK(n >= -1 && n <= (ssize_t)(size - off));
		if (n > 0) {
			check_decoded(data + off, (size_t)n, &r);
			off += (size_t)n;
		} else {
			off++;
		}
	}
	check_encode(data, size);
	return 0;
}
