/*
 * check_fcgi.c: unit tests for the FastCGI codec (common/fcgi.c).
 *
 * Every expected value is written out by hand from the FastCGI 1.0 spec,
 * so a codec that agrees with itself but not with the wire still fails.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "fcgi_lookup_one.h"


/* Big enough for a 1 MiB value plus its lengths and name. */
#define BIG_LEN (1024 * 1024)
static uint8_t big_in[BIG_LEN];
static uint8_t big_out[BIG_LEN + 64];
static uint8_t rec_buf[FCGI_RECORD_MAX + 16];

/* Fills buf with a pattern that differs at every offset within 251 bytes. */
static void
fill_pattern(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i % 251 + 1);
}

START_TEST(test_header_encode_bytes)
{
	uint8_t out[FCGI_HEADER_LEN];
	const uint8_t want[FCGI_HEADER_LEN] = { 1, 6, 0x12, 0x34, 0xab, 0xcd, 7, 0 };

	memset(out, 0xee, sizeof(out));
	fcgi_header_encode(out, FCGI_STDOUT, 0x1234, 0xabcd, 7);
	ck_assert_mem_eq(out, want, sizeof(want));
}
END_TEST

START_TEST(test_header_roundtrip_every_type)
{
	uint8_t out[FCGI_HEADER_LEN];
	struct fcgi_header h;

	/* Every defined type, plus bytes outside the defined range. */
	for (unsigned t = 0; t <= 255; t++) {
		fcgi_header_encode(out, (uint8_t)t, (uint16_t)(t * 257), (uint16_t)(65535 - t),
		    (uint8_t)(255 - t));
		memset(&h, 0, sizeof(h));
		ck_assert_int_eq(fcgi_header_decode(out, sizeof(out), &h), FCGI_HEADER_LEN);
		ck_assert_uint_eq(h.type, t);
		ck_assert_uint_eq(h.request_id, t * 257);
		ck_assert_uint_eq(h.content_length, 65535 - t);
		ck_assert_uint_eq(h.padding_length, 255 - t);
	}
}
END_TEST

START_TEST(test_header_short_and_bad_version)
{
	uint8_t buf[FCGI_HEADER_LEN] = { 1, 1, 0, 1, 0, 8, 0, 0 };
	struct fcgi_header h;

	for (size_t len = 0; len < FCGI_HEADER_LEN; len++)
		ck_assert_int_eq(fcgi_header_decode(buf, len, &h), 0);
	ck_assert_int_eq(fcgi_header_decode(buf, sizeof(buf), &h), FCGI_HEADER_LEN);

	const uint8_t bad[] = { 0, 2, 3, 0x81, 0xff };
	struct fcgi_record rec;

	for (size_t i = 0; i < sizeof(bad); i++) {
		buf[0] = bad[i];
		ck_assert_int_eq(fcgi_header_decode(buf, sizeof(buf), &h), -1);
		ck_assert_int_eq(fcgi_record_decode(buf, sizeof(buf), &rec), -1);
	}
}
END_TEST

START_TEST(test_header_reserved_byte_ignored)
{
	const uint8_t buf[FCGI_HEADER_LEN] = { 1, 5, 0, 9, 0, 0, 0, 0xff };
	struct fcgi_header h;

	ck_assert_int_eq(fcgi_header_decode(buf, sizeof(buf), &h), FCGI_HEADER_LEN);
	ck_assert_uint_eq(h.type, FCGI_STDIN);
	ck_assert_uint_eq(h.request_id, 9);
	ck_assert_uint_eq(h.content_length, 0);
	ck_assert_uint_eq(h.padding_length, 0);
}
END_TEST

START_TEST(test_record_roundtrip_every_type)
{
	uint8_t content[300], out[FCGI_HEADER_LEN + sizeof(content)];
	struct fcgi_record rec;

	fill_pattern(content, sizeof(content));
	for (unsigned t = FCGI_BEGIN_REQUEST; t <= FCGI_MAXTYPE; t++) {
		size_t clen = t * 27;	/* 27 .. 297: a different length per type */
		size_t n = fcgi_record_encode(out, sizeof(out), (uint8_t)t,
		    (uint16_t)(t + 1000), content, clen);

		ck_assert_uint_eq(n, FCGI_HEADER_LEN + clen);
		ck_assert_uint_eq(out[0], FCGI_VERSION_1);
		ck_assert_uint_eq(out[6], 0);	/* no padding */
		ck_assert_int_eq(fcgi_record_decode(out, n, &rec), (ssize_t)n);
		ck_assert_uint_eq(rec.header.type, t);
		ck_assert_uint_eq(rec.header.request_id, t + 1000);
		ck_assert_uint_eq(rec.header.content_length, clen);
		ck_assert_uint_eq(rec.header.padding_length, 0);
		ck_assert_ptr_eq(rec.content, out + FCGI_HEADER_LEN);
		ck_assert_mem_eq(rec.content, content, clen);
	}
}
END_TEST

START_TEST(test_record_empty_and_max)
{
	struct fcgi_record rec;
	size_t n;

	n = fcgi_record_encode(rec_buf, sizeof(rec_buf), FCGI_STDIN, 3, NULL, 0);
	ck_assert_uint_eq(n, FCGI_HEADER_LEN);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, n, &rec), FCGI_HEADER_LEN);
	ck_assert_uint_eq(rec.header.content_length, 0);

	fill_pattern(big_in, FCGI_MAX_LENGTH + 1);
	n = fcgi_record_encode(rec_buf, sizeof(rec_buf), FCGI_STDOUT, 3, big_in,
	    FCGI_MAX_LENGTH);
	ck_assert_uint_eq(n, FCGI_HEADER_LEN + 65535);
	ck_assert_uint_eq(rec_buf[4], 0xff);
	ck_assert_uint_eq(rec_buf[5], 0xff);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, n, &rec), FCGI_HEADER_LEN + 65535);
	ck_assert_mem_eq(rec.content, big_in, FCGI_MAX_LENGTH);

	ck_assert_uint_eq(fcgi_record_encode(rec_buf, sizeof(rec_buf), FCGI_STDOUT, 3,
	    big_in, FCGI_MAX_LENGTH + 1), 0);
}
END_TEST

START_TEST(test_record_encode_cap)
{
	uint8_t out[FCGI_HEADER_LEN + 10];
	const char body[10] = "0123456789";

	for (size_t cap = 0; cap < sizeof(out); cap++)
		ck_assert_uint_eq(fcgi_record_encode(out, cap, FCGI_STDERR, 1, body, 10), 0);
	ck_assert_uint_eq(fcgi_record_encode(out, sizeof(out), FCGI_STDERR, 1, body, 10),
	    FCGI_HEADER_LEN + 10);
	for (size_t cap = 0; cap < FCGI_HEADER_LEN; cap++)
		ck_assert_uint_eq(fcgi_record_encode(out, cap, FCGI_STDERR, 1, NULL, 0), 0);
	ck_assert_uint_eq(fcgi_record_encode(out, FCGI_HEADER_LEN, FCGI_STDERR, 1, NULL, 0),
	    FCGI_HEADER_LEN);
}
END_TEST

START_TEST(test_record_split_at_every_byte)
{
	/* STDOUT, id 0x0102, 13 content bytes, 3 padding bytes, then junk. */
	uint8_t buf[FCGI_HEADER_LEN + 13 + 3 + 4];
	const size_t total = FCGI_HEADER_LEN + 13 + 3;
	struct fcgi_record rec;

	fcgi_header_encode(buf, FCGI_STDOUT, 0x0102, 13, 3);
	memcpy(buf + FCGI_HEADER_LEN, "Status: 200\r\n", 13);
	memset(buf + FCGI_HEADER_LEN + 13, 0xaa, 3 + 4);
	for (size_t len = 0; len < total; len++)
		ck_assert_int_eq(fcgi_record_decode(buf, len, &rec), 0);
	ck_assert_int_eq(fcgi_record_decode(buf, total, &rec), (ssize_t)total);
	ck_assert_int_eq(fcgi_record_decode(buf, sizeof(buf), &rec), (ssize_t)total);
	ck_assert_uint_eq(rec.header.content_length, 13);
	ck_assert_uint_eq(rec.header.padding_length, 3);
	ck_assert_mem_eq(rec.content, "Status: 200\r\n", 13);
}
END_TEST

START_TEST(test_record_padding)
{
	struct fcgi_record rec;

	/* Five content bytes padded to a multiple of eight, padding non-zero. */
	fcgi_header_encode(rec_buf, FCGI_PARAMS, 1, 5, 3);
	memcpy(rec_buf + FCGI_HEADER_LEN, "\x01\x02" "Abc", 5);
	memset(rec_buf + FCGI_HEADER_LEN + 5, 0x5a, 3);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, 16, &rec), 16);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, 15, &rec), 0);
	ck_assert_uint_eq(rec.header.content_length, 5);
	ck_assert_uint_eq(rec.header.padding_length, 3);

	/* No content, maximum padding. */
	fcgi_header_encode(rec_buf, FCGI_STDIN, 1, 0, 255);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, FCGI_HEADER_LEN + 254, &rec), 0);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, FCGI_HEADER_LEN + 255, &rec),
	    FCGI_HEADER_LEN + 255);
	ck_assert_uint_eq(rec.header.content_length, 0);

	/* The largest record there is. */
	fcgi_header_encode(rec_buf, FCGI_STDOUT, 1, FCGI_MAX_LENGTH, 255);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, FCGI_RECORD_MAX - 1, &rec), 0);
	ck_assert_int_eq(fcgi_record_decode(rec_buf, FCGI_RECORD_MAX, &rec), FCGI_RECORD_MAX);
	ck_assert_int_eq(FCGI_RECORD_MAX, 8 + 65535 + 255);
}
END_TEST

START_TEST(test_record_any_type_byte)
{
	const uint8_t types[] = { 0, 12, 0x7f, 0xff };
	uint8_t out[FCGI_HEADER_LEN + 2];
	struct fcgi_record rec;

	for (size_t i = 0; i < sizeof(types); i++) {
		ck_assert_uint_eq(fcgi_record_encode(out, sizeof(out), types[i], 0, "hi", 2), 10);
		ck_assert_int_eq(fcgi_record_decode(out, sizeof(out), &rec), 10);
		ck_assert_uint_eq(rec.header.type, types[i]);
	}
}
END_TEST

START_TEST(test_record_stream_nginx_request)
{
	uint8_t buf[256], params[64];
	size_t off = 0, plen = 0;
	struct fcgi_record rec;
	ssize_t n;
	uint16_t role;
	uint8_t flags;

	plen += fcgi_nv_encode(params + plen, sizeof(params) - plen,
	    "REQUEST_METHOD", 14, "GET", 3);
	plen += fcgi_nv_encode(params + plen, sizeof(params) - plen,
	    "SCRIPT_NAME", 11, "/fn", 3);
	ck_assert_uint_eq(plen, 2 + 17 + 2 + 14);

	off += fcgi_begin_request_encode(buf + off, sizeof(buf) - off, 1,
	    FCGI_RESPONDER, FCGI_KEEP_CONN);
	off += fcgi_record_encode(buf + off, sizeof(buf) - off, FCGI_PARAMS, 1, params, plen);
	off += fcgi_record_encode(buf + off, sizeof(buf) - off, FCGI_PARAMS, 1, NULL, 0);
	off += fcgi_record_encode(buf + off, sizeof(buf) - off, FCGI_STDIN, 1, "body", 4);
	off += fcgi_record_encode(buf + off, sizeof(buf) - off, FCGI_STDIN, 1, NULL, 0);
	ck_assert_uint_eq(off, 16 + (8 + 35) + 8 + 12 + 8);

	n = fcgi_record_decode(buf, off, &rec);
	ck_assert_int_eq(n, 16);
	ck_assert_uint_eq(rec.header.type, FCGI_BEGIN_REQUEST);
	ck_assert_int_eq(fcgi_begin_request_decode(rec.content, rec.header.content_length,
	    &role, &flags), 0);
	ck_assert_uint_eq(role, FCGI_RESPONDER);
	ck_assert_uint_eq(flags, FCGI_KEEP_CONN);

	n = fcgi_record_decode(buf + 16, off - 16, &rec);
	ck_assert_int_eq(n, 8 + 35);
	ck_assert_uint_eq(rec.header.type, FCGI_PARAMS);
	ck_assert_int_eq(params_validate(rec.content, rec.header.content_length), 2);

	n = fcgi_record_decode(buf + 59, off - 59, &rec);
	ck_assert_int_eq(n, 8);
	ck_assert_uint_eq(rec.header.type, FCGI_PARAMS);
	ck_assert_uint_eq(rec.header.content_length, 0);

	n = fcgi_record_decode(buf + 67, off - 67, &rec);
	ck_assert_int_eq(n, 12);
	ck_assert_mem_eq(rec.content, "body", 4);

	n = fcgi_record_decode(buf + 79, off - 79, &rec);
	ck_assert_int_eq(n, 8);
	ck_assert_uint_eq(rec.header.type, FCGI_STDIN);
	ck_assert_uint_eq(79 + 8, off);
}
END_TEST

START_TEST(test_begin_request)
{
	uint8_t out[16];
	const uint8_t want[16] = { 1, 1, 0xbe, 0xef, 0, 8, 0, 0,  0, 3, 1, 0, 0, 0, 0, 0 };
	struct fcgi_record rec;
	uint16_t role = 0;
	uint8_t flags = 0;

	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(fcgi_begin_request_encode(out, sizeof(out), 0xbeef, FCGI_FILTER,
	    FCGI_KEEP_CONN), 16);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(fcgi_record_decode(out, sizeof(out), &rec), 16);
	ck_assert_int_eq(fcgi_begin_request_decode(rec.content, rec.header.content_length,
	    &role, &flags), 0);
	ck_assert_uint_eq(role, FCGI_FILTER);
	ck_assert_uint_eq(flags, FCGI_KEEP_CONN);

	/* Reserved bytes are ignored; a two-byte role is read big-endian. */
	const uint8_t body[8] = { 0x01, 0x02, 0x00, 9, 9, 9, 9, 9 };
	ck_assert_int_eq(fcgi_begin_request_decode(body, 8, &role, &flags), 0);
	ck_assert_uint_eq(role, 0x0102);
	ck_assert_uint_eq(flags, 0);

	ck_assert_int_eq(fcgi_begin_request_decode(body, 7, &role, &flags), -1);
	ck_assert_int_eq(fcgi_begin_request_decode(body, 9, &role, &flags), -1);
	ck_assert_int_eq(fcgi_begin_request_decode(body, 0, &role, &flags), -1);
	for (size_t cap = 0; cap < 16; cap++)
		ck_assert_uint_eq(fcgi_begin_request_encode(out, cap, 1, FCGI_RESPONDER, 0), 0);
}
END_TEST

START_TEST(test_end_request)
{
	uint8_t out[16];
	const uint8_t want[16] = { 1, 3, 0, 7, 0, 8, 0, 0,  0xde, 0xad, 0xbe, 0xef, 2, 0, 0, 0 };
	struct fcgi_record rec;
	uint32_t app_status = 0;
	uint8_t proto = 0xff;

	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(fcgi_end_request_encode(out, sizeof(out), 7, 0xdeadbeef,
	    FCGI_OVERLOADED), 16);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(fcgi_record_decode(out, sizeof(out), &rec), 16);
	ck_assert_uint_eq(rec.header.type, FCGI_END_REQUEST);
	ck_assert_int_eq(fcgi_end_request_decode(rec.content, rec.header.content_length,
	    &app_status, &proto), 0);
	ck_assert_uint_eq(app_status, 0xdeadbeef);
	ck_assert_uint_eq(proto, FCGI_OVERLOADED);

	ck_assert_uint_eq(fcgi_end_request_encode(out, sizeof(out), 7, 0,
	    FCGI_REQUEST_COMPLETE), 16);
	ck_assert_int_eq(fcgi_end_request_decode(out + 8, 8, &app_status, &proto), 0);
	ck_assert_uint_eq(app_status, 0);
	ck_assert_uint_eq(proto, FCGI_REQUEST_COMPLETE);

	ck_assert_int_eq(fcgi_end_request_decode(out + 8, 7, &app_status, &proto), -1);
	ck_assert_int_eq(fcgi_end_request_decode(out + 8, 5, &app_status, &proto), -1);
	for (size_t cap = 0; cap < 16; cap++)
		ck_assert_uint_eq(fcgi_end_request_encode(out, cap, 1, 0, 0), 0);
}
END_TEST

START_TEST(test_unknown_type)
{
	uint8_t out[16];
	const uint8_t want[16] = { 1, 11, 0, 0, 0, 8, 0, 0,  0x42, 0, 0, 0, 0, 0, 0, 0 };
	struct fcgi_record rec;

	memset(out, 0xee, sizeof(out));
	ck_assert_uint_eq(fcgi_unknown_type_encode(out, sizeof(out), 0x42), 16);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(fcgi_record_decode(out, sizeof(out), &rec), 16);
	ck_assert_uint_eq(rec.header.type, FCGI_UNKNOWN_TYPE);
	ck_assert_uint_eq(rec.header.request_id, FCGI_NULL_REQUEST_ID);
	ck_assert_uint_eq(rec.header.content_length, 8);
	ck_assert_uint_eq(rec.content[0], 0x42);
	for (size_t cap = 0; cap < 16; cap++)
		ck_assert_uint_eq(fcgi_unknown_type_encode(out, cap, 0x42), 0);
}
END_TEST

START_TEST(test_get_values_record)
{
	uint8_t content[64], out[FCGI_HEADER_LEN + 64];
	struct fcgi_record rec;
	size_t clen = 0, n;

	/* GET_VALUES carries names with empty values, on request id 0 (spec 4.1). */
	clen += fcgi_nv_encode(content + clen, sizeof(content) - clen,
	    FCGI_MAX_CONNS, 14, NULL, 0);
	clen += fcgi_nv_encode(content + clen, sizeof(content) - clen,
	    FCGI_MPXS_CONNS, 15, NULL, 0);
	ck_assert_uint_eq(clen, 16 + 17);
	n = fcgi_record_encode(out, sizeof(out), FCGI_GET_VALUES,
	    FCGI_NULL_REQUEST_ID, content, clen);
	ck_assert_uint_eq(n, 8 + 33);
	ck_assert_int_eq(fcgi_record_decode(out, n, &rec), 41);
	ck_assert_uint_eq(rec.header.type, FCGI_GET_VALUES);
	ck_assert_uint_eq(rec.header.request_id, 0);
	ck_assert_int_eq(params_validate(rec.content, rec.header.content_length), 2);
}
END_TEST

START_TEST(test_set_request_id)
{
	uint8_t out[FCGI_HEADER_LEN + 3];
	const uint8_t want[FCGI_HEADER_LEN + 3] = { 1, 5, 0xbe, 0xef, 0, 3, 0, 0, 'a', 'b', 'c' };
	struct fcgi_header h;

	ck_assert_uint_eq(fcgi_record_encode(out, sizeof(out), FCGI_STDIN, 1, "abc", 3), 11);
	fcgi_header_set_request_id(out, 0xbeef);
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(fcgi_header_decode(out, sizeof(out), &h), FCGI_HEADER_LEN);
	ck_assert_uint_eq(h.request_id, 0xbeef);
	ck_assert_uint_eq(h.type, FCGI_STDIN);
	ck_assert_uint_eq(h.content_length, 3);
	fcgi_header_set_request_id(out, 0);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_uint_eq(out[3], 0);
}
END_TEST

START_TEST(test_nv_short_bytes)
{
	uint8_t out[32];
	const uint8_t want[] = {
		11, 2, 'S', 'C', 'R', 'I', 'P', 'T', '_', 'N', 'A', 'M', 'E', '/', 'x'
	};
	struct fcgi_nv nv;

	ck_assert_uint_eq(fcgi_nv_encoded_size(11, 2), sizeof(want));
	ck_assert_uint_eq(fcgi_nv_encode(out, sizeof(out), "SCRIPT_NAME", 11,
	    "/x", 2), sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	ck_assert_int_eq(fcgi_nv_decode(out, sizeof(want), &nv), (ssize_t)sizeof(want));
	ck_assert_uint_eq(nv.name_len, 11);
	ck_assert_uint_eq(nv.value_len, 2);
	ck_assert_ptr_eq(nv.name, out + 2);
	ck_assert_ptr_eq(nv.value, out + 13);

	/* Empty name and empty value: two zero length bytes. */
	ck_assert_uint_eq(fcgi_nv_encode(out, sizeof(out), NULL, 0, NULL, 0), 2);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[1], 0);
	ck_assert_int_eq(fcgi_nv_decode(out, 2, &nv), 2);
	ck_assert_uint_eq(nv.name_len, 0);
	ck_assert_uint_eq(nv.value_len, 0);
}
END_TEST

START_TEST(test_nv_length_boundaries)
{
	const size_t lens[] = { 0, 1, 127, 128, 129, 255, 256, 65535, 65536, 300000 };
	const size_t nlens = sizeof(lens) / sizeof(lens[0]);
	struct fcgi_nv nv;

	fill_pattern(big_in, BIG_LEN);
	for (size_t i = 0; i < nlens; i++) {
		for (size_t j = 0; j < nlens; j++) {
			size_t nl = lens[i], vl = lens[j];
			size_t pre = (nl > 127 ? 4 : 1) + (vl > 127 ? 4 : 1);
			size_t need = pre + nl + vl;

			ck_assert_uint_eq(fcgi_nv_encoded_size(nl, vl), need);
			ck_assert_uint_eq(fcgi_nv_encode(big_out, sizeof(big_out), big_in, nl,
			    big_in + 7, vl), need);
			if (nl > 127) {
				ck_assert_uint_eq(big_out[0], 0x80 | (nl >> 24));
				ck_assert_uint_eq(big_out[1], (nl >> 16) & 0xff);
				ck_assert_uint_eq(big_out[2], (nl >> 8) & 0xff);
				ck_assert_uint_eq(big_out[3], nl & 0xff);
			} else {
				ck_assert_uint_eq(big_out[0], nl);
			}
			ck_assert_int_eq(fcgi_nv_decode(big_out, need, &nv), (ssize_t)need);
			ck_assert_uint_eq(nv.name_len, nl);
			ck_assert_uint_eq(nv.value_len, vl);
			ck_assert_ptr_eq(nv.name, big_out + pre);
			ck_assert_ptr_eq(nv.value, big_out + pre + nl);
			ck_assert_mem_eq(nv.name, big_in, nl);
			ck_assert_mem_eq(nv.value, big_in + 7, vl);
		}
	}
}
END_TEST

START_TEST(test_nv_127_128_bytes)
{
	uint8_t out[300];
	struct fcgi_nv nv;

	fill_pattern(big_in, 256);
	ck_assert_uint_eq(fcgi_nv_encode(out, sizeof(out), big_in, 127, "v", 1), 1 + 1 + 127 + 1);
	ck_assert_uint_eq(out[0], 127);
	ck_assert_uint_eq(out[1], 1);

	ck_assert_uint_eq(fcgi_nv_encode(out, sizeof(out), big_in, 128, "v", 1), 4 + 1 + 128 + 1);
	ck_assert_uint_eq(out[0], 0x80);
	ck_assert_uint_eq(out[1], 0);
	ck_assert_uint_eq(out[2], 0);
	ck_assert_uint_eq(out[3], 0x80);
	ck_assert_uint_eq(out[4], 1);
	ck_assert_int_eq(fcgi_nv_decode(out, 134, &nv), 134);
	ck_assert_uint_eq(nv.name_len, 128);
	ck_assert_uint_eq(nv.value_len, 1);
	ck_assert_uint_eq(nv.value[0], 'v');
}
END_TEST

START_TEST(test_nv_large_value)
{
	struct fcgi_nv nv;
	const size_t vl = BIG_LEN - 16;
	const size_t need = 1 + 4 + 4 + vl;

	fill_pattern(big_in, BIG_LEN);
	ck_assert_uint_eq(fcgi_nv_encode(big_out, sizeof(big_out), "BODY", 4, big_in, vl), need);
	ck_assert_uint_eq(big_out[0], 4);
	ck_assert_uint_eq(big_out[1], 0x80 | (vl >> 24));
	ck_assert_uint_eq(big_out[2], (vl >> 16) & 0xff);
	ck_assert_uint_eq(big_out[3], (vl >> 8) & 0xff);
	ck_assert_uint_eq(big_out[4], vl & 0xff);
	ck_assert_int_eq(fcgi_nv_decode(big_out, need, &nv), (ssize_t)need);
	ck_assert_uint_eq(nv.value_len, vl);
	ck_assert_mem_eq(nv.value, big_in, vl);
	ck_assert_int_eq(fcgi_nv_decode(big_out, need - 1, &nv), 0);
}
END_TEST

START_TEST(test_nv_four_byte_forms_on_input)
{
	/* A four-byte length under 128 is legal (spec 3.4 "can be" one byte). */
	const uint8_t longform[] = { 0x80, 0, 0, 3, 1, 'A', 'B', 'C', 'x' };
	/* The high bit is a flag, not part of the length: 0xffffffff is 2^31-1. */
	const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0, 'A' };
	struct fcgi_nv nv;

	ck_assert_int_eq(fcgi_nv_decode(longform, sizeof(longform), &nv), 9);
	ck_assert_uint_eq(nv.name_len, 3);
	ck_assert_mem_eq(nv.name, "ABC", 3);
	ck_assert_uint_eq(nv.value_len, 1);
	ck_assert_uint_eq(nv.value[0], 'x');
	ck_assert_int_eq(fcgi_nv_decode(huge, sizeof(huge), &nv), 0);
	ck_assert_int_eq(params_validate(huge, sizeof(huge)), -1);
}
END_TEST

START_TEST(test_nv_truncated_at_every_byte)
{
	uint8_t out[512];
	struct fcgi_nv nv;
	size_t need;

	fill_pattern(big_in, 400);
	need = fcgi_nv_encode(out, sizeof(out), big_in, 200, big_in + 200, 130);
	ck_assert_uint_eq(need, 4 + 4 + 200 + 130);
	for (size_t len = 0; len < need; len++) {
		ck_assert_int_eq(fcgi_nv_decode(out, len, &nv), 0);
		ck_assert_int_eq(params_validate(out, len), len == 0 ? 0 : -1);
	}
	ck_assert_int_eq(fcgi_nv_decode(out, need, &nv), (ssize_t)need);
	ck_assert_int_eq(params_validate(out, need), 1);
}
END_TEST

START_TEST(test_nv_encode_limits)
{
	uint8_t out[16];
	const size_t too_long = (size_t)0x7fffffff + 1;

	for (size_t cap = 0; cap < 2 + 3 + 4; cap++)
		ck_assert_uint_eq(fcgi_nv_encode(out, cap, "abc", 3, "defg", 4), 0);
	ck_assert_uint_eq(fcgi_nv_encode(out, 9, "abc", 3, "defg", 4), 9);

	/* Over-long lengths are refused before any byte is read from the pointers. */
	ck_assert_uint_eq(fcgi_nv_encoded_size(too_long, 0), 0);
	ck_assert_uint_eq(fcgi_nv_encoded_size(0, too_long), 0);
	ck_assert_uint_eq(fcgi_nv_encoded_size(SIZE_MAX, SIZE_MAX), 0);
	ck_assert_uint_eq(fcgi_nv_encoded_size(0x7fffffff, 0x7fffffff), 8 + 2 * (size_t)0x7fffffff);
	ck_assert_uint_eq(fcgi_nv_encode(out, SIZE_MAX, "a", too_long, "b", 1), 0);
	ck_assert_uint_eq(fcgi_nv_encode(out, SIZE_MAX, "a", 1, "b", too_long), 0);
}
END_TEST

/* Appends a pair to a stream under construction; fails the test when it does not fit. */
static size_t
put_pair(uint8_t *buf, size_t cap, size_t off, const char *name, const char *value)
{
	size_t n = fcgi_nv_encode(buf + off, cap - off, name, strlen(name), value, strlen(value));

	ck_assert_uint_ne(n, 0);
	return off + n;
}

START_TEST(test_params_find)
{
	uint8_t buf[256];
	const uint8_t *value = NULL;
	size_t value_len = 0, len = 0;

	len = put_pair(buf, sizeof(buf), len, "HTTP_HOST", "example.org");
	len = put_pair(buf, sizeof(buf), len, "REQUEST_METHOD", "POST");
	len = put_pair(buf, sizeof(buf), len, "EMPTY", "");
	len = put_pair(buf, sizeof(buf), len, "HTTP_HOST", "second.example");

	ck_assert_int_eq(params_find(buf, len, "REQUEST_METHOD", &value, &value_len), 1);
	ck_assert_uint_eq(value_len, 4);
	ck_assert_mem_eq(value, "POST", 4);
	ck_assert_ptr_eq(value, buf + 2 + 9 + 11 + 2 + 14);

	/* First occurrence wins. */
	ck_assert_int_eq(params_find(buf, len, "HTTP_HOST", &value, &value_len), 1);
	ck_assert_uint_eq(value_len, 11);
	ck_assert_mem_eq(value, "example.org", 11);

	ck_assert_int_eq(params_find(buf, len, "EMPTY", &value, &value_len), 1);
	ck_assert_uint_eq(value_len, 0);

	/* Absent, including prefixes and extensions of present names. */
	value = NULL;
	value_len = 99;
	ck_assert_int_eq(params_find(buf, len, "CONTENT_TYPE", &value, &value_len), 0);
	ck_assert_int_eq(params_find(buf, len, "HTTP_HOS", &value, &value_len), 0);
	ck_assert_int_eq(params_find(buf, len, "HTTP_HOSTS", &value, &value_len), 0);
	ck_assert_int_eq(params_find(buf, len, "http_host", &value, &value_len), 0);
	ck_assert_int_eq(params_find(buf, 0, "HTTP_HOST", &value, &value_len), 0);
	ck_assert_ptr_null(value);
	ck_assert_uint_eq(value_len, 99);
}
END_TEST

START_TEST(test_params_find_malformed)
{
	uint8_t buf[256];
	const uint8_t *value = NULL;
	size_t value_len = 99, len = 0;

	len = put_pair(buf, sizeof(buf), len, "HTTP_HOST", "example.org");
	len = put_pair(buf, sizeof(buf), len, "SCRIPT_NAME", "/fn");

	/* The stream is cut inside the second pair: -1 even though the name is in the first. */
	ck_assert_int_eq(params_find(buf, len - 1, "HTTP_HOST", &value, &value_len), -1);
	ck_assert_int_eq(params_find(buf, len - 1, "SCRIPT_NAME", &value, &value_len), -1);
	ck_assert_int_eq(params_find(buf, len - 1, "ABSENT", &value, &value_len), -1);
	/* Only a length byte of a third pair. */
	buf[len] = 5;
	ck_assert_int_eq(params_find(buf, len + 1, "HTTP_HOST", &value, &value_len), -1);
	/* A four-byte length cut after two bytes. */
	buf[len] = 0x80;
	buf[len + 1] = 0;
	ck_assert_int_eq(params_find(buf, len + 2, "HTTP_HOST", &value, &value_len), -1);
	ck_assert_ptr_null(value);
	ck_assert_uint_eq(value_len, 99);
	/* The intact prefix is fine. */
	ck_assert_int_eq(params_find(buf, len, "SCRIPT_NAME", &value, &value_len), 1);
	ck_assert_uint_eq(value_len, 3);
}
END_TEST

START_TEST(test_params_validate)
{
	uint8_t buf[512];
	size_t len = 0, bounds[4];

	bounds[0] = 0;
	len = bounds[1] = put_pair(buf, sizeof(buf), len, "QUERY_STRING", "");
	fill_pattern(big_in, 200);
	len += fcgi_nv_encode(buf + len, sizeof(buf) - len, "LONG", 4, big_in, 200);
	bounds[2] = len;
	len = bounds[3] = put_pair(buf, sizeof(buf), len, "GATEWAY_INTERFACE", "CGI/1.1");

	ck_assert_int_eq(params_validate(buf, len), 3);
	ck_assert_int_eq(params_validate(buf, 0), 0);
	/* Every cut inside a pair is malformed; every cut between pairs is not. */
	for (size_t cut = 0, pairs = 0; cut <= len; cut++) {
		if (pairs < 3 && cut == bounds[pairs + 1])
			pairs++;
		if (cut == bounds[pairs])
			ck_assert_int_eq(params_validate(buf, cut), (ssize_t)pairs);
		else
			ck_assert_int_eq(params_validate(buf, cut), -1);
	}
}
END_TEST

static Suite *
fcgi_suite(void)
{
	Suite *s = suite_create("fcgi");
	TCase *records = tcase_create("records");
	TCase *bodies = tcase_create("bodies");
	TCase *pairs = tcase_create("pairs");

	tcase_add_test(records, test_header_encode_bytes);
	tcase_add_test(records, test_header_roundtrip_every_type);
	tcase_add_test(records, test_header_short_and_bad_version);
	tcase_add_test(records, test_header_reserved_byte_ignored);
	tcase_add_test(records, test_record_roundtrip_every_type);
	tcase_add_test(records, test_record_empty_and_max);
	tcase_add_test(records, test_record_encode_cap);
	tcase_add_test(records, test_record_split_at_every_byte);
	tcase_add_test(records, test_record_padding);
	tcase_add_test(records, test_record_any_type_byte);
	tcase_add_test(records, test_record_stream_nginx_request);
	tcase_add_test(records, test_set_request_id);
	suite_add_tcase(s, records);

	tcase_add_test(bodies, test_begin_request);
	tcase_add_test(bodies, test_end_request);
	tcase_add_test(bodies, test_unknown_type);
	tcase_add_test(bodies, test_get_values_record);
	suite_add_tcase(s, bodies);

	tcase_add_test(pairs, test_nv_short_bytes);
	tcase_add_test(pairs, test_nv_length_boundaries);
	tcase_add_test(pairs, test_nv_127_128_bytes);
	tcase_add_test(pairs, test_nv_large_value);
	tcase_add_test(pairs, test_nv_four_byte_forms_on_input);
	tcase_add_test(pairs, test_nv_truncated_at_every_byte);
	tcase_add_test(pairs, test_nv_encode_limits);
	tcase_add_test(pairs, test_params_find);
	tcase_add_test(pairs, test_params_find_malformed);
	tcase_add_test(pairs, test_params_validate);
	suite_add_tcase(s, pairs);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fcgi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
