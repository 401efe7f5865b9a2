/*
 * check_journal.c: unit tests for the async journal: the record codec
 * (gatewayd/journal_codec.c) and the file (gatewayd/journal.c).
 *
 * The wire layout is checked against bytes written out by hand from the
 * layout in journal.h, and the CRC against the published CRC-32C check
 * value, so a codec that agrees with itself but not with the format still
 * fails. File tests run in a fresh mkdtemp() directory each.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

/* A body this size exercises the large-record path (1 MiB). */
#define BIG_LEN		(1024 * 1024)
/* Room for the largest record built here. */
#define REC_MAX		(BIG_LEN + 4096)
/* Records kept by one replay. */
#define LOG_MAX		64

#define HEADER_LEN	12
/* Every file starts with its header: offsets in a file are past it. */
#define FH		JOURNAL_FILE_HEADER_LEN

/* The secret the codec tests key their records with. */
static const uint8_t test_key[JOURNAL_KEY_LEN] = {
	0x6b, 0x65, 0x79, 0x21, 0x00, 0xff, 0x10, 0x20,
	0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0,
};

static uint8_t pattern[BIG_LEN];
static uint8_t enc[REC_MAX];
static uint8_t enc2[REC_MAX];

/* Fills pattern with bytes that never spell the magic. */
static void
fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i % 251 + 1);
}

static void
put32le(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Rewrites the CRC of the record in buf[0..len) after the test edited it. */
static void
reseal(uint8_t *buf, size_t len)
{
	put32le(buf + 8, journal_record_check(test_key, buf + HEADER_LEN, len - HEADER_LEN));
}

/* A record of each kind; i varies ids, times and sizes. */
static struct journal_record
make_record(enum journal_type type, unsigned i)
{
	struct journal_record r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	for (int k = 0; k < JOURNAL_ID_LEN; k++)
		r.id[k] = (uint8_t)(i * 16 + (unsigned)k);
	r.time_ms = 1700000000000ull + i;
	switch (type) {
	case JOURNAL_ACCEPTED:
		r.function = "track-package";
		r.function_len = strlen(r.function);
		r.params = pattern + 3;
		r.params_len = 40 + i;
		r.body = pattern + 100;
		r.body_len = (size_t)i * 37;
		break;
	case JOURNAL_STARTED:
		r.attempt = i + 1;
		break;
	case JOURNAL_FINISHED:
		r.succeeded = i % 2 == 0;
		r.attempts = i + 1;
		r.status = (uint16_t)(200 + i);
		r.response = pattern + 7;
		r.response_len = (size_t)i * 11;
		break;
	case JOURNAL_FORGOTTEN:
		break;
	case JOURNAL_DELIVERED:
		r.succeeded = i % 2 == 1;
		r.attempts = i + 2;
		break;
	}
	return r;
}

/* The i-th record of a test's sequence: the four types in turn. */
static struct journal_record
nth_record(unsigned i)
{
	return make_record((enum journal_type)(i % 4 + 1), i);
}

/* memcmp() that accepts NULL for an empty field. */
static int
same_bytes(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

/* Checks that got carries exactly want's fields (those of its type). */
static void
assert_same(const struct journal_record *got, const struct journal_record *want)
{
	ck_assert_int_eq(got->type, want->type);
	ck_assert_mem_eq(got->id, want->id, JOURNAL_ID_LEN);
	ck_assert_uint_eq(got->time_ms, want->time_ms);
	switch (want->type) {
	case JOURNAL_ACCEPTED:
		ck_assert_uint_eq(got->function_len, want->function_len);
		ck_assert_uint_eq(got->params_len, want->params_len);
		ck_assert_uint_eq(got->body_len, want->body_len);
		ck_assert(same_bytes(got->function, want->function, want->function_len));
		ck_assert(same_bytes(got->params, want->params, want->params_len));
		ck_assert(same_bytes(got->body, want->body, want->body_len));
		break;
	case JOURNAL_STARTED:
		ck_assert_uint_eq(got->attempt, want->attempt);
		break;
	case JOURNAL_FINISHED:
		ck_assert(got->succeeded == want->succeeded);
		ck_assert_uint_eq(got->attempts, want->attempts);
		ck_assert_uint_eq(got->status, want->status);
		ck_assert_uint_eq(got->response_len, want->response_len);
		ck_assert(same_bytes(got->response, want->response, want->response_len));
		break;
	case JOURNAL_FORGOTTEN:
		break;
	case JOURNAL_DELIVERED:
		ck_assert(got->succeeded == want->succeeded);
		ck_assert_uint_eq(got->attempts, want->attempts);
		break;
	}
}

/*
 * Encodes r into enc, checks size and encode agree and a one-byte-short
 * buffer is refused, decodes it back and compares. Returns the size.
 */
static size_t
roundtrip(const struct journal_record *r)
{
	struct journal_record got;
	size_t n = journal_record_size(r);

	ck_assert_uint_gt(n, HEADER_LEN);
	ck_assert_uint_le(n, sizeof(enc));
	ck_assert_uint_eq(journal_record_encode(r, test_key, enc, n - 1), 0);
	ck_assert_uint_eq(journal_record_encode(r, test_key, enc, n), n);
	ck_assert_int_eq(journal_record_decode(enc, n, test_key, &got), (ssize_t)n);
	assert_same(&got, r);
	return n;
}

START_TEST(test_crc32c_known_vector)
{
	/* The CRC-32C check value (RFC 3720 B.4 and every catalogue of CRCs). */
	ck_assert_uint_eq(journal_crc32c("123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(journal_crc32c("", 0), 0);
	/* RFC 3720 B.4: 32 bytes of zeros, then of 0xff. */
	uint8_t b[32];
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(journal_crc32c(b, sizeof(b)), 0x8a9136aau);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(journal_crc32c(b, sizeof(b)), 0x62a8ab43u);
}
END_TEST

START_TEST(test_layout_by_hand)
{
	struct journal_record r;
	const uint8_t want[] = {
		'G', 'W', 'J', '1',
		29, 0, 0, 0,			/* length: 1 + 16 + 8 + 4 */
		0, 0, 0, 0,			/* crc, checked below */
		2,				/* STARTED */
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
		0x03, 0x00, 0x00, 0x00,		/* attempt 3 */
	};

	memset(&r, 0, sizeof(r));
	r.type = JOURNAL_STARTED;
	for (int k = 0; k < JOURNAL_ID_LEN; k++)
		r.id[k] = (uint8_t)k;
	r.time_ms = 0x0102030405060708ull;
	r.attempt = 3;
	ck_assert_uint_eq(journal_record_size(&r), sizeof(want));
	ck_assert_uint_eq(journal_record_encode(&r, test_key, enc, sizeof(enc)), sizeof(want));
	ck_assert_mem_eq(enc, want, 8);
	ck_assert_mem_eq(enc + HEADER_LEN, want + HEADER_LEN, sizeof(want) - HEADER_LEN);
	uint32_t crc = journal_record_check(test_key, want + HEADER_LEN, sizeof(want) - HEADER_LEN);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(enc[8 + i], (crc >> (8 * i)) & 0xff);

	/* FINISHED: succeeded u8, attempts u32, status u16, response. */
	r = make_record(JOURNAL_FINISHED, 0);
	r.response = (const uint8_t *)"HTTP";
	r.response_len = 4;
	r.status = 0x01f4;
	r.attempts = 2;
	ck_assert_uint_eq(journal_record_encode(&r, test_key, enc, sizeof(enc)), HEADER_LEN + 25 + 15);
	const uint8_t fin[] = { 1, 2, 0, 0, 0, 0xf4, 0x01, 4, 0, 0, 0, 'H', 'T', 'T', 'P' };
	ck_assert_mem_eq(enc + HEADER_LEN + 25, fin, sizeof(fin));

	/* ACCEPTED: function u16-prefixed, params and body u32-prefixed. */
	r = make_record(JOURNAL_ACCEPTED, 0);
	r.function = "f";
	r.function_len = 1;
	r.params = (const uint8_t *)"pq";
	r.params_len = 2;
	r.body = (const uint8_t *)"b";
	r.body_len = 1;
	ck_assert_uint_eq(journal_record_encode(&r, test_key, enc, sizeof(enc)), HEADER_LEN + 25 + 14);
	const uint8_t acc[] = { 1, 0, 'f', 2, 0, 0, 0, 'p', 'q', 1, 0, 0, 0, 'b' };
	ck_assert_mem_eq(enc + HEADER_LEN + 25, acc, sizeof(acc));
	ck_assert_uint_eq(enc[4], 25 + 14);
}
END_TEST

START_TEST(test_roundtrip_every_type)
{
	for (unsigned i = 0; i < 40; i++) {
		struct journal_record r = nth_record(i);
		roundtrip(&r);
	}
	/* FORGOTTEN is the common part alone. */
	struct journal_record f = make_record(JOURNAL_FORGOTTEN, 1);
	ck_assert_uint_eq(roundtrip(&f), HEADER_LEN + 25);
}
END_TEST

START_TEST(test_roundtrip_edge_sizes)
{
	struct journal_record r, got;
	size_t n;

	/* Everything empty, with NULL pointers for the empty fields. */
	r = make_record(JOURNAL_ACCEPTED, 0);
	r.function = NULL;
	r.function_len = 0;
	r.params = NULL;
	r.params_len = 0;
	r.body = NULL;
	r.body_len = 0;
	ck_assert_uint_eq(roundtrip(&r), HEADER_LEN + 35);

	/* The longest function name a u16 can say. */
	static char name[UINT16_MAX];
	memset(name, 'n', sizeof(name));
	r.function = name;
	r.function_len = UINT16_MAX;
	roundtrip(&r);

	/* A 1 MiB body; decoded pointers point into the buffer. */
	r = make_record(JOURNAL_ACCEPTED, 3);
	r.body = pattern;
	r.body_len = BIG_LEN;
	n = roundtrip(&r);
	ck_assert_int_eq(journal_record_decode(enc, n, test_key, &got), (ssize_t)n);
	ck_assert_ptr_eq(got.body, enc + n - BIG_LEN);

	/* FINISHED with no response, failed, status 0 and the largest counters. */
	r = make_record(JOURNAL_FINISHED, 1);
	r.response = NULL;
	r.response_len = 0;
	r.status = 0;
	r.attempts = UINT32_MAX;
	ck_assert(!r.succeeded);
	ck_assert_uint_eq(roundtrip(&r), HEADER_LEN + 36);
	r.status = UINT16_MAX;
	r.time_ms = UINT64_MAX;
	roundtrip(&r);

	r = make_record(JOURNAL_STARTED, 0);
	r.attempt = UINT32_MAX;
	roundtrip(&r);
}
END_TEST

START_TEST(test_encode_refuses)
{
	struct journal_record r = make_record(JOURNAL_ACCEPTED, 1);

	r.function_len = UINT16_MAX + 1;
	ck_assert_uint_eq(journal_record_size(&r), 0);
	ck_assert_uint_eq(journal_record_encode(&r, test_key, enc, sizeof(enc)), 0);

	/* Over the 64 MiB record limit: refused before any byte is read. */
	r = make_record(JOURNAL_ACCEPTED, 1);
	r.body_len = 64u * 1024 * 1024;
	ck_assert_uint_eq(journal_record_size(&r), 0);
	r = make_record(JOURNAL_FINISHED, 1);
	r.response_len = SIZE_MAX;
	ck_assert_uint_eq(journal_record_size(&r), 0);

	r = make_record(JOURNAL_FORGOTTEN, 1);
	r.type = (enum journal_type)0;
	ck_assert_uint_eq(journal_record_size(&r), 0);
	r.type = (enum journal_type)(JOURNAL_DELIVERED + 1);	/* the first unknown type */
	ck_assert_uint_eq(journal_record_encode(&r, test_key, enc, sizeof(enc)), 0);

	/* Short buffers, down to none. */
	r = make_record(JOURNAL_FORGOTTEN, 1);
	for (size_t cap = 0; cap < HEADER_LEN + 25; cap++)
		ck_assert_uint_eq(journal_record_encode(&r, test_key, enc, cap), 0);
}
END_TEST

START_TEST(test_decode_every_split_point)
{
	struct journal_record got;

	for (unsigned i = 0; i < 8; i++) {
		struct journal_record r = nth_record(i + 4);
		size_t n = roundtrip(&r);

		for (size_t cut = 0; cut < n; cut++)
			ck_assert_int_eq(journal_record_decode(enc, cut, test_key, &got), 0);
		/* Bytes past the record (the next one) are not its business. */
		memcpy(enc + n, enc, n);
		ck_assert_int_eq(journal_record_decode(enc, 2 * n, test_key, &got), (ssize_t)n);
		assert_same(&got, &r);
	}
}
END_TEST

START_TEST(test_decode_bad_magic)
{
	struct journal_record r = make_record(JOURNAL_ACCEPTED, 2), got;
	size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));

	for (size_t i = 0; i < 4; i++) {
		memcpy(enc2, enc, n);
		enc2[i] ^= 0x20;
		ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
		/* Refused as soon as the wrong byte has arrived. */
		ck_assert_int_eq(journal_record_decode(enc2, i + 1, test_key, &got), -1);
		if (i > 0)
			ck_assert_int_eq(journal_record_decode(enc2, i, test_key, &got), 0);
	}
}
END_TEST

START_TEST(test_decode_flipped_byte_anywhere)
{
	struct journal_record got;

	/* Every byte of the CRC and of what it covers, in every type. */
	for (unsigned t = 1; t <= JOURNAL_DELIVERED; t++) {
		struct journal_record r = make_record((enum journal_type)t, 5);
		size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));

		for (size_t i = 8; i < n; i++) {
			for (unsigned bit = 0; bit < 8; bit++) {
				memcpy(enc2, enc, n);
				enc2[i] ^= (uint8_t)(1u << bit);
				ck_assert_msg(journal_record_decode(enc2, n, test_key, &got) == -1,
				    "type %u byte %zu bit %u", t, i, bit);
			}
		}
	}
}
END_TEST

START_TEST(test_decode_bad_length)
{
	struct journal_record r = make_record(JOURNAL_ACCEPTED, 2), got;
	size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));

	/* Shorter than any record, or than this type's fixed part. */
	const uint32_t bad[] = { 0, 1, 24, 25, 34 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(enc2, enc, n);
		put32le(enc2 + 4, bad[i]);
		reseal(enc2, HEADER_LEN + bad[i]);
		ck_assert_msg(journal_record_decode(enc2, n, test_key, &got) == -1, "length %u", bad[i]);
	}
	/* Over 64 MiB: refused with only the header's first 8 bytes. */
	memcpy(enc2, enc, n);
	put32le(enc2 + 4, 64u * 1024 * 1024 + 1);
	ck_assert_int_eq(journal_record_decode(enc2, 8, test_key, &got), -1);
	put32le(enc2 + 4, UINT32_MAX);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
	/* A longer length with the bytes not there yet is only "need more". */
	put32le(enc2 + 4, (uint32_t)(n - HEADER_LEN + 1));
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), 0);

	/* STARTED and FINISHED one byte short of their fixed parts. */
	r = make_record(JOURNAL_STARTED, 1);
	n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	put32le(enc + 4, 28);
	reseal(enc, n - 1);
	ck_assert_int_eq(journal_record_decode(enc, n - 1, test_key, &got), -1);
	r = make_record(JOURNAL_FINISHED, 0);
	r.response_len = 0;
	n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	put32le(enc + 4, 35);
	reseal(enc, n - 1);
	ck_assert_int_eq(journal_record_decode(enc, n - 1, test_key, &got), -1);
}
END_TEST

START_TEST(test_decode_unknown_type)
{
	struct journal_record r = make_record(JOURNAL_FORGOTTEN, 2), got;
	size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	const uint8_t bad[] = { 0, 5, 6, 0x81, 0xff };

	for (size_t i = 0; i < sizeof(bad); i++) {
		enc[HEADER_LEN] = bad[i];
		reseal(enc, n);
		ck_assert_int_eq(journal_record_decode(enc, n, test_key, &got), -1);
		/* Known as soon as the type byte arrives. */
		ck_assert_int_eq(journal_record_decode(enc, HEADER_LEN + 1, test_key, &got), -1);
	}
}
END_TEST

START_TEST(test_decode_inner_lengths)
{
	struct journal_record r = make_record(JOURNAL_ACCEPTED, 4), got;
	size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	size_t f = HEADER_LEN + 25;			/* function_len */
	size_t p = f + 2 + r.function_len;		/* params_len */
	size_t b = p + 4 + r.params_len;		/* body_len */

	/* Each inner length one past what the record holds, CRC made right. */
	memcpy(enc2, enc, n);
	enc2[f] = (uint8_t)(r.function_len + r.params_len + r.body_len + 9);
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
	memcpy(enc2, enc, n);
	put32le(enc2 + p, (uint32_t)(r.params_len + r.body_len + 5));
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
	memcpy(enc2, enc, n);
	put32le(enc2 + b, (uint32_t)(r.body_len + 1));
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
	memcpy(enc2, enc, n);
	put32le(enc2 + p, UINT32_MAX);
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);

	/* One byte too few: the fields end before the record does. */
	memcpy(enc2, enc, n);
	put32le(enc2 + b, (uint32_t)(r.body_len - 1));
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);

	/* Trailing bytes inside length, on a fixed-size type. */
	r = make_record(JOURNAL_STARTED, 4);
	n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	enc[n] = 0;
	put32le(enc + 4, (uint32_t)(n + 1 - HEADER_LEN));
	reseal(enc, n + 1);
	ck_assert_int_eq(journal_record_decode(enc, n + 1, test_key, &got), -1);

	/* FINISHED: response overrun, and a succeeded byte other than 0 or 1. */
	r = make_record(JOURNAL_FINISHED, 4);
	n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	memcpy(enc2, enc, n);
	put32le(enc2 + HEADER_LEN + 25 + 7, (uint32_t)(r.response_len + 1));
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
	memcpy(enc2, enc, n);
	enc2[HEADER_LEN + 25] = 2;
	reseal(enc2, n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
}
END_TEST

/*
 * The check is keyed: a record written under one secret is corrupt under
 * any other, and under the unkeyed check of journals without a header; the
 * check is CRC-32C over the secret and then the record, as one buffer.
 */
START_TEST(test_keyed_check)
{
	struct journal_record r = make_record(JOURNAL_ACCEPTED, 5), got;
	uint8_t other[JOURNAL_KEY_LEN];
	uint8_t joined[JOURNAL_KEY_LEN + 64];
	size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));

	ck_assert_int_eq(journal_record_decode(enc, n, test_key, &got), (ssize_t)n);
	ck_assert_int_eq(journal_record_decode(enc, n, NULL, &got), -1);
	for (size_t i = 0; i < JOURNAL_KEY_LEN; i++) {
		memcpy(other, test_key, sizeof(other));
		other[i] ^= 0x80;
		ck_assert_int_eq(journal_record_decode(enc, n, other, &got), -1);
	}
	/* Unkeyed, as older journals: the plain CRC-32C of the record. */
	ck_assert_uint_eq(journal_record_encode(&r, NULL, enc2, sizeof(enc2)), n);
	ck_assert_int_eq(journal_record_decode(enc2, n, NULL, &got), (ssize_t)n);
	ck_assert_int_eq(journal_record_decode(enc2, n, test_key, &got), -1);
	ck_assert_uint_eq(journal_record_check(NULL, pattern, 64), journal_crc32c(pattern, 64));
	memcpy(joined, test_key, JOURNAL_KEY_LEN);
	memcpy(joined + JOURNAL_KEY_LEN, pattern, 64);
	ck_assert_uint_eq(journal_record_check(test_key, pattern, 64),
	    journal_crc32c(joined, sizeof(joined)));
}
END_TEST

/* The file header: "GWJH", version 2, the secret; read back byte by byte. */
START_TEST(test_header_round_trip)
{
	uint8_t head[JOURNAL_FILE_HEADER_LEN], key[JOURNAL_KEY_LEN];
	static const uint8_t want[8] = { 'G', 'W', 'J', 'H', 2, 0, 0, 0 };

	journal_header_encode(test_key, head);
	ck_assert_mem_eq(head, want, sizeof(want));
	ck_assert_mem_eq(head + 8, test_key, JOURNAL_KEY_LEN);
	memset(key, 0, sizeof(key));
	ck_assert_int_eq(journal_header_decode(head, sizeof(head), key), JOURNAL_FILE_HEADER_LEN);
	ck_assert_mem_eq(key, test_key, JOURNAL_KEY_LEN);
	/* Short but agreeing so far (empty, or torn while created): 0. */
	for (size_t cut = 0; cut < sizeof(head); cut++)
		ck_assert_int_eq(journal_header_decode(head, cut, key), 0);
	/* Another magic or version: -1, as soon as the byte that differs is there. */
	for (size_t i = 0; i < sizeof(want); i++) {
		uint8_t bad[JOURNAL_FILE_HEADER_LEN];
		memcpy(bad, head, sizeof(bad));
		bad[i] ^= 1;
		ck_assert_int_eq(journal_header_decode(bad, i + 1, key), -1);
		ck_assert_int_eq(journal_header_decode(bad, sizeof(bad), key), -1);
	}
	/* A record is no header. */
	struct journal_record r = make_record(JOURNAL_STARTED, 1);
	size_t n = journal_record_encode(&r, test_key, enc, sizeof(enc));
	ck_assert_int_eq(journal_header_decode(enc, n, key), -1);
}
END_TEST

/* ---- the file ---- */

static char dir[64];
static char path[128];
static char tmp_path[160];

static void
setup_dir(void)
{
	fill_pattern();
	snprintf(dir, sizeof(dir), "/tmp/check_journal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/jobs.journal", dir);
	snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", path);
}

static void
teardown_dir(void)
{
	unlink(path);
	unlink(tmp_path);
	rmdir(dir);
}

/* What one replay saw: each record re-encoded, and the skipped ranges. */
struct replay_log {
	size_t nrec;
	uint8_t *rec[LOG_MAX];
	size_t rec_len[LOG_MAX];
	size_t nskip;
	uint64_t skip_off[LOG_MAX];
	uint64_t skip_len[LOG_MAX];
};

static void
log_record(void *ctx, const struct journal_record *r)
{
	struct replay_log *log = ctx;
	size_t n = journal_record_size(r);

	ck_assert_uint_lt(log->nrec, LOG_MAX);
	log->rec[log->nrec] = malloc(n);
	ck_assert_ptr_nonnull(log->rec[log->nrec]);
	ck_assert_uint_eq(journal_record_encode(r, test_key, log->rec[log->nrec], n), n);
	log->rec_len[log->nrec++] = n;
}

static void
log_skipped(void *ctx, uint64_t offset, uint64_t len)
{
	struct replay_log *log = ctx;

	ck_assert_uint_lt(log->nskip, LOG_MAX);
	ck_assert_uint_gt(len, 0);
	log->skip_off[log->nskip] = offset;
	log->skip_len[log->nskip++] = len;
}

static const struct journal_replay_ops log_ops = { log_record, log_skipped };

static struct journal *
open_journal(enum journal_fsync policy)
{
	char err[256] = "";
	struct journal *j = journal_open(path, policy, err, sizeof(err));

	ck_assert_msg(j != NULL, "%s", err);
	return j;
}

/* Opens the journal, replays it into log, and returns it open. */
static struct journal *
reopen_and_replay(struct replay_log *log)
{
	char err[256] = "";
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);

	memset(log, 0, sizeof(*log));
	ck_assert_msg(journal_replay(j, &log_ops, log, err, sizeof(err)) == 0, "%s", err);
	return j;
}

static void
free_log(struct replay_log *log)
{
	for (size_t i = 0; i < log->nrec; i++)
		free(log->rec[i]);
	log->nrec = 0;
}

/* Checks that log's i-th record is r, byte for byte. */
static void
assert_logged(const struct replay_log *log, size_t i, const struct journal_record *r)
{
	size_t n = journal_record_encode(r, test_key, enc, sizeof(enc));

	ck_assert_uint_lt(i, log->nrec);
	ck_assert_uint_eq(log->rec_len[i], n);
	ck_assert(memcmp(log->rec[i], enc, n) == 0);
}

/* Appends records first..first+count of the test sequence; returns their bytes. */
static uint64_t
append_seq(struct journal *j, unsigned first, unsigned count)
{
	uint64_t bytes = 0;

	for (unsigned i = first; i < first + count; i++) {
		struct journal_record r = nth_record(i);
		ck_assert_int_eq(journal_append(j, &r), 0);
		bytes += journal_record_size(&r);
	}
	return bytes;
}

static uint64_t
file_size(const char *p)
{
	struct stat st;

	ck_assert_int_eq(stat(p, &st), 0);
	return (uint64_t)st.st_size;
}

/* Appends raw bytes to the file, behind the journal's back. */
static void
append_raw(const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_open_creates_0600)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_ALWAYS);
	struct stat st;
	struct replay_log log;

	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_uint_eq(journal_size(j), FH);
	ck_assert_uint_eq(file_size(path), FH);
	journal_close(j);

	/* An empty journal replays to nothing. */
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 0);
	ck_assert_uint_eq(log.nskip, 0);
	journal_close(j);

	char err[256] = "";
	char bad[200];
	snprintf(bad, sizeof(bad), "%s/no/such/dir/j", dir);
	ck_assert_ptr_null(journal_open(bad, JOURNAL_FSYNC_BATCH, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, bad));
}
END_TEST

START_TEST(test_append_replay_in_order)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_BATCH);
	struct replay_log log;
	uint64_t bytes = append_seq(j, 0, 50);

	ck_assert_uint_eq(journal_size(j), FH + bytes);
	journal_close(j);
	ck_assert_uint_eq(file_size(path), FH + bytes);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 50);
	ck_assert_uint_eq(log.nskip, 0);
	for (unsigned i = 0; i < 50; i++) {
		struct journal_record r = nth_record(i);
		assert_logged(&log, i, &r);
	}
	/* Appends after a replay go after the old records. */
	append_seq(j, 50, 3);
	ck_assert_uint_eq(journal_size(j), file_size(path));
	journal_close(j);
	free_log(&log);
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 53);
	journal_close(j);
	free_log(&log);
}
END_TEST

START_TEST(test_large_records)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct journal_record big = make_record(JOURNAL_ACCEPTED, 1), small;
	struct replay_log log;

	big.body = pattern;
	big.body_len = BIG_LEN;
	small = make_record(JOURNAL_STARTED, 1);
	ck_assert_int_eq(journal_append(j, &big), 0);
	ck_assert_int_eq(journal_append(j, &small), 0);
	ck_assert_int_eq(journal_append(j, &big), 0);
	journal_close(j);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 3);
	ck_assert_uint_eq(log.nskip, 0);
	assert_logged(&log, 0, &big);
	assert_logged(&log, 1, &small);
	assert_logged(&log, 2, &big);
	journal_close(j);
	free_log(&log);
}
END_TEST

START_TEST(test_append_refuses_unencodable)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct journal_record r = make_record(JOURNAL_ACCEPTED, 1);

	r.function_len = UINT16_MAX + 1;
	errno = 0;
	ck_assert_int_eq(journal_append(j, &r), -1);
	ck_assert_int_eq(errno, EINVAL);
	r.type = (enum journal_type)9;
	ck_assert_int_eq(journal_append(j, &r), -1);
	ck_assert_uint_eq(journal_size(j), FH);
	ck_assert_uint_eq(file_size(path), FH);
	journal_close(j);
}
END_TEST

/*
 * Five records, the last cut at cut bytes: four replay, the piece is
 * reported and cut off the file, and a record appended next replays.
 */
static void
check_torn_tail(size_t cut)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct replay_log log;
	uint64_t whole = FH + append_seq(j, 0, 4);
	struct journal_record last = nth_record(4), next = nth_record(9);

	ck_assert_int_eq(journal_append(j, &last), 0);
	journal_close(j);
	ck_assert_int_eq(truncate(path, (off_t)(whole + cut)), 0);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 4);
	ck_assert_uint_eq(log.nskip, 1);
	ck_assert_uint_eq(log.skip_off[0], whole);
	ck_assert_uint_eq(log.skip_len[0], cut);
	ck_assert_uint_eq(file_size(path), whole);
	ck_assert_uint_eq(journal_size(j), whole);
	free_log(&log);

	ck_assert_int_eq(journal_append(j, &next), 0);
	journal_close(j);
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 5);
	ck_assert_uint_eq(log.nskip, 0);
	assert_logged(&log, 4, &next);
	journal_close(j);
	free_log(&log);
	ck_assert_int_eq(unlink(path), 0);
}

START_TEST(test_torn_tail)
{
	struct journal_record last = nth_record(4);
	size_t n = journal_record_size(&last);

	/* Inside the magic, the length, the CRC, the type, the fields. */
	const size_t cuts[] = { 1, 3, 4, 7, 8, 11, 12, 13, 20, 40, n / 2, n - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
		check_torn_tail(cuts[i]);
}
END_TEST

START_TEST(test_garbage_appended)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct replay_log log;
	uint64_t before = FH + append_seq(j, 0, 3);
	/* Junk with a false start: the magic and a length that lies. */
	uint8_t junk[100];

	memcpy(junk, pattern, sizeof(junk));
	memcpy(junk + 40, "GWJ1\x20\0\0\0", 8);
	append_raw(junk, sizeof(junk));
	/* This journal still believes the file ends where it wrote last. */
	journal_close(j);
	j = open_journal(JOURNAL_FSYNC_OFF);
	uint64_t later = append_seq(j, 3, 2);
	journal_close(j);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 5);
	ck_assert_uint_eq(log.nskip, 1);
	ck_assert_uint_eq(log.skip_off[0], before);
	ck_assert_uint_eq(log.skip_len[0], sizeof(junk));
	for (unsigned i = 0; i < 5; i++) {
		struct journal_record r = nth_record(i);
		assert_logged(&log, i, &r);
	}
	/* The skipped junk was not at the end: nothing is cut. */
	ck_assert_uint_eq(journal_size(j), before + sizeof(junk) + later);
	ck_assert_uint_eq(file_size(path), before + sizeof(junk) + later);
	journal_close(j);
	free_log(&log);
}
END_TEST

START_TEST(test_garbage_at_end_cut)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct replay_log log;
	uint64_t before = FH + append_seq(j, 0, 2);

	journal_close(j);
	append_raw(pattern, 333);
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 2);
	ck_assert_uint_eq(log.nskip, 1);
	ck_assert_uint_eq(log.skip_off[0], before);
	ck_assert_uint_eq(log.skip_len[0], 333);
	ck_assert_uint_eq(file_size(path), before);
	journal_close(j);
	free_log(&log);
}
END_TEST

START_TEST(test_garbage_between_records)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct journal_record a = nth_record(1), b = nth_record(2);
	struct replay_log log;
	size_t na = FH + journal_record_size(&a);

	ck_assert_int_eq(journal_append(j, &a), 0);
	journal_close(j);
	/* A record's worth of garbage that starts like a record. */
	size_t ng = journal_record_encode(&b, test_key, enc2, sizeof(enc2));
	enc2[ng / 2] ^= 1;
	append_raw(enc2, ng);
	append_raw("GW", 2);
	j = open_journal(JOURNAL_FSYNC_OFF);
	ck_assert_int_eq(journal_append(j, &b), 0);
	journal_close(j);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 2);
	assert_logged(&log, 0, &a);
	assert_logged(&log, 1, &b);
	ck_assert_uint_eq(log.nskip, 1);
	ck_assert_uint_eq(log.skip_off[0], na);
	ck_assert_uint_eq(log.skip_len[0], ng + 2);
	journal_close(j);
	free_log(&log);
}
END_TEST

START_TEST(test_damaged_length_mid_file)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct replay_log log;
	uint64_t first = FH + append_seq(j, 0, 2);
	struct journal_record mid = nth_record(2);
	size_t nm = journal_record_size(&mid);

	append_seq(j, 2, 3);
	journal_close(j);

	/*
	 * Record 2's length made huge: it decodes as "not whole yet" although
	 * the file goes on. That is damage, not a tail: the records after it
	 * must survive.
	 */
	int fd = open(path, O_WRONLY);
	uint8_t len[4];
	put32le(len, 1024 * 1024);
	ck_assert_int_eq(pwrite(fd, len, 4, (off_t)first + 4), 4);
	close(fd);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 4);
	ck_assert_uint_eq(log.nskip, 1);
	ck_assert_uint_eq(log.skip_off[0], first);
	ck_assert_uint_eq(log.skip_len[0], nm);
	for (unsigned i = 3; i < 5; i++) {
		struct journal_record r = nth_record(i);
		assert_logged(&log, i - 1, &r);
	}
	journal_close(j);
	free_log(&log);
}
END_TEST

/* Appends the records whose indexes are in ctx (terminated by -1). */
static int
write_some(void *ctx, struct journal *out)
{
	for (const int *i = ctx; *i >= 0; i++) {
		struct journal_record r = nth_record((unsigned)*i);
		if (journal_append(out, &r) < 0)
			return -1;
	}
	return 0;
}

static int
write_one_then_fail(void *ctx, struct journal *out)
{
	struct journal_record r = nth_record(0);

	(void)ctx;
	ck_assert_int_eq(journal_append(out, &r), 0);
	return -1;
}

START_TEST(test_compact_keeps_live)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_ALWAYS);
	struct replay_log log;
	const int live[] = { 5, 9, 10, -1 };
	char err[256] = "";
	uint64_t before = append_seq(j, 0, 20);

	/* A stale .tmp from a compaction that crashed is overwritten. */
	int fd = open(tmp_path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, pattern, 5000), 5000);
	close(fd);

	ck_assert_msg(journal_compact(j, write_some, (void *)live, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(access(tmp_path, F_OK), -1);
	ck_assert_uint_lt(file_size(path), before);
	ck_assert_uint_eq(journal_size(j), file_size(path));
	ck_assert(!journal_sync_pending(j));

	/* j writes to the new file now. */
	struct journal_record after = nth_record(30);
	ck_assert_int_eq(journal_append(j, &after), 0);
	ck_assert_uint_eq(journal_size(j), file_size(path));
	journal_close(j);

	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 4);
	ck_assert_uint_eq(log.nskip, 0);
	for (unsigned i = 0; i < 3; i++) {
		struct journal_record r = nth_record((unsigned)live[i]);
		assert_logged(&log, i, &r);
	}
	assert_logged(&log, 3, &after);
	journal_close(j);
	free_log(&log);

	/* Compacting to nothing leaves an empty journal. */
	const int none[] = { -1 };
	j = open_journal(JOURNAL_FSYNC_BATCH);
	ck_assert_int_eq(journal_compact(j, write_some, (void *)none, err, sizeof(err)), 0);
	ck_assert_uint_eq(journal_size(j), FH);
	ck_assert_uint_eq(file_size(path), FH);
	journal_close(j);
}
END_TEST

START_TEST(test_compact_failure_keeps_old)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct replay_log log;
	char err[256] = "";
	uint64_t before = FH + append_seq(j, 0, 6);

	ck_assert_int_eq(journal_compact(j, write_one_then_fail, NULL, err, sizeof(err)), -1);
	ck_assert_str_ne(err, "");
	ck_assert_int_eq(access(tmp_path, F_OK), -1);
	ck_assert_uint_eq(file_size(path), before);
	ck_assert_uint_eq(journal_size(j), before);

	/* The old journal is still the one in use. */
	append_seq(j, 6, 1);
	journal_close(j);
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 7);
	ck_assert_uint_eq(log.nskip, 0);
	journal_close(j);
	free_log(&log);

	/* No room for path.tmp: the directory is read-only (skipped as root). */
	if (geteuid() == 0)
		return;
	const int live[] = { 1, -1 };
	j = open_journal(JOURNAL_FSYNC_OFF);
	ck_assert_int_eq(chmod(dir, 0500), 0);
	ck_assert_int_eq(journal_compact(j, write_some, (void *)live, err, sizeof(err)), -1);
	ck_assert_int_eq(chmod(dir, 0700), 0);
	ck_assert_uint_eq(file_size(path), journal_size(j));
	journal_close(j);
}
END_TEST

START_TEST(test_policy_always)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_ALWAYS);

	append_seq(j, 0, 3);
	ck_assert(!journal_sync_pending(j));
	ck_assert_int_eq(journal_sync(j), 0);
	/* A progress record is appended unsynced: the sync timer owes it. */
	struct journal_record r = nth_record(3);
	ck_assert_int_eq(journal_append_unsynced(j, &r), 0);
	ck_assert(journal_sync_pending(j));
	ck_assert_int_eq(journal_sync(j), 0);
	ck_assert(!journal_sync_pending(j));
	journal_close(j);
}
END_TEST

START_TEST(test_policy_batch)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_BATCH);

	ck_assert(!journal_sync_pending(j));
	ck_assert_int_eq(journal_sync(j), 0);
	append_seq(j, 0, 1);
	ck_assert(journal_sync_pending(j));
	append_seq(j, 1, 2);
	ck_assert(journal_sync_pending(j));
	ck_assert_int_eq(journal_sync(j), 0);
	ck_assert(!journal_sync_pending(j));
	ck_assert_int_eq(journal_sync(j), 0);
	append_seq(j, 3, 1);
	ck_assert(journal_sync_pending(j));
	/* Close syncs what is pending; the records are all there. */
	journal_close(j);

	struct replay_log log;
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 4);
	journal_close(j);
	free_log(&log);
}
END_TEST

START_TEST(test_policy_off)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);

	append_seq(j, 0, 3);
	ck_assert(!journal_sync_pending(j));
	ck_assert_int_eq(journal_sync(j), 0);
	ck_assert(!journal_sync_pending(j));
	journal_close(j);
	journal_close(NULL);
}
END_TEST

/* The file's header, read behind the journal's back; returns its secret. */
static void
file_key(uint8_t key[JOURNAL_KEY_LEN])
{
	uint8_t head[JOURNAL_FILE_HEADER_LEN];
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, head, sizeof(head)), (ssize_t)sizeof(head));
	close(fd);
	ck_assert_int_eq(journal_header_decode(head, sizeof(head), key), JOURNAL_FILE_HEADER_LEN);
}

/*
 * A new journal gets a random secret (two journals, two secrets), kept by
 * a reopen and carried into the file a compaction writes.
 */
START_TEST(test_header_secret_kept)
{
	static const uint8_t zero[JOURNAL_KEY_LEN];
	uint8_t first[JOURNAL_KEY_LEN], again[JOURNAL_KEY_LEN];
	const int live[] = { 2, -1 };
	char err[256] = "";
	struct replay_log log;
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);

	append_seq(j, 0, 4);
	journal_close(j);
	file_key(first);
	ck_assert(memcmp(first, zero, sizeof(zero)) != 0);
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 4);
	free_log(&log);
	ck_assert_int_eq(journal_compact(j, write_some, (void *)live, err, sizeof(err)), 0);
	journal_close(j);
	file_key(again);
	ck_assert_mem_eq(first, again, JOURNAL_KEY_LEN);
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 1);
	journal_close(j);
	free_log(&log);

	ck_assert_int_eq(unlink(path), 0);
	j = open_journal(JOURNAL_FSYNC_OFF);
	journal_close(j);
	file_key(again);
	ck_assert(memcmp(first, again, JOURNAL_KEY_LEN) != 0);

	/* A header torn while it was created: written anew. */
	ck_assert_int_eq(truncate(path, 10), 0);
	j = open_journal(JOURNAL_FSYNC_OFF);
	ck_assert_uint_eq(journal_size(j), FH);
	journal_close(j);
	file_key(again);
}
END_TEST

/*
 * A record that verifies under any other secret (or unkeyed, as older
 * journals and a forger who knows the old format would write it) is
 * garbage, even right after a torn record where replay resynchronises.
 */
START_TEST(test_forged_record_skipped)
{
	struct journal *j = open_journal(JOURNAL_FSYNC_OFF);
	struct journal_record forged = make_record(JOURNAL_ACCEPTED, 7);
	struct journal_record torn = make_record(JOURNAL_ACCEPTED, 8);
	struct replay_log log;
	uint64_t before = FH + append_seq(j, 0, 3);
	size_t nt, nf;

	journal_close(j);
	nt = journal_record_encode(&torn, test_key, enc, sizeof(enc));
	append_raw(enc, nt / 2);
	nf = journal_record_encode(&forged, NULL, enc2, sizeof(enc2));
	append_raw(enc2, nf);		/* the old, unkeyed format */
	ck_assert_uint_eq(journal_record_encode(&forged, test_key, enc2, sizeof(enc2)), nf);
	append_raw(enc2, nf);		/* keyed, under another secret */
	j = reopen_and_replay(&log);
	ck_assert_uint_eq(log.nrec, 3);
	ck_assert_uint_eq(log.nskip, 1);
	ck_assert_uint_eq(log.skip_off[0], before);
	ck_assert_uint_eq(log.skip_len[0], nt / 2 + 2 * nf);
	ck_assert_uint_eq(file_size(path), before);
	journal_close(j);
	free_log(&log);
}
END_TEST

/*
 * An older gatewayd's journal (no header, unkeyed records): replayed once
 * with the unkeyed check, no append until compacted, then keyed with a
 * header; a file that is no journal at all is refused, by name.
 */
START_TEST(test_unkeyed_journal_migrates)
{
	const int live[] = { 0, 3, -1 };
	char err[256] = "";
	struct replay_log log;
	struct journal *j;
	struct journal_record r;
	uint8_t key[JOURNAL_KEY_LEN];

	ck_assert_int_eq(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	for (unsigned i = 0; i < 5; i++) {
		r = nth_record(i);
		size_t n = journal_record_encode(&r, NULL, enc, sizeof(enc));
		append_raw(enc, n);
	}
	j = reopen_and_replay(&log);
	ck_assert(journal_unkeyed(j));
	ck_assert_uint_eq(log.nrec, 5);
	ck_assert_uint_eq(log.nskip, 0);
	free_log(&log);
	errno = 0;
	ck_assert_int_eq(journal_append(j, &r), -1);
	ck_assert_int_eq(errno, EROFS);
	ck_assert_int_eq(journal_compact(j, write_some, (void *)live, err, sizeof(err)), 0);
	ck_assert(!journal_unkeyed(j));
	ck_assert_int_eq(journal_append(j, &r), 0);
	journal_close(j);
	file_key(key);
	j = reopen_and_replay(&log);
	ck_assert(!journal_unkeyed(j));
	ck_assert_uint_eq(log.nrec, 3);
	ck_assert_uint_eq(log.nskip, 0);
	journal_close(j);
	free_log(&log);

	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(close(open(path, O_WRONLY | O_CREAT, 0600)), 0);
	append_raw("not a journal at all", 20);
	ck_assert_ptr_null(journal_open(path, JOURNAL_FSYNC_OFF, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "move it away"));
}
END_TEST

static Suite *
journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *codec = tcase_create("codec");
	TCase *file = tcase_create("file");

	tcase_add_unchecked_fixture(codec, fill_pattern, NULL);
	tcase_add_test(codec, test_crc32c_known_vector);
	tcase_add_test(codec, test_layout_by_hand);
	tcase_add_test(codec, test_roundtrip_every_type);
	tcase_add_test(codec, test_roundtrip_edge_sizes);
	tcase_add_test(codec, test_encode_refuses);
	tcase_add_test(codec, test_decode_every_split_point);
	tcase_add_test(codec, test_decode_bad_magic);
	tcase_add_test(codec, test_decode_flipped_byte_anywhere);
	tcase_add_test(codec, test_decode_bad_length);
	tcase_add_test(codec, test_decode_unknown_type);
	tcase_add_test(codec, test_decode_inner_lengths);
	tcase_add_test(codec, test_keyed_check);
	tcase_add_test(codec, test_header_round_trip);
	suite_add_tcase(s, codec);

	tcase_add_checked_fixture(file, setup_dir, teardown_dir);
	tcase_add_test(file, test_open_creates_0600);
	tcase_add_test(file, test_append_replay_in_order);
	tcase_add_test(file, test_large_records);
	tcase_add_test(file, test_append_refuses_unencodable);
	tcase_add_test(file, test_torn_tail);
	tcase_add_test(file, test_garbage_appended);
	tcase_add_test(file, test_garbage_at_end_cut);
	tcase_add_test(file, test_garbage_between_records);
	tcase_add_test(file, test_damaged_length_mid_file);
	tcase_add_test(file, test_compact_keeps_live);
	tcase_add_test(file, test_compact_failure_keeps_old);
	tcase_add_test(file, test_policy_always);
	tcase_add_test(file, test_policy_batch);
	tcase_add_test(file, test_policy_off);
	tcase_add_test(file, test_header_secret_kept);
	tcase_add_test(file, test_forged_record_skipped);
	tcase_add_test(file, test_unkeyed_journal_migrates);
	suite_add_tcase(s, file);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(journal_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
