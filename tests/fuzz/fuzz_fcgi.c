/*
 * fuzz_fcgi.c: libFuzzer target for the FastCGI codec (common/fcgi.c).
 *
 * The input is read as a stream of records, the way a connection from the
 * web server or a worker is. Every decoded record, body and name-value pair
 * is encoded again and decoded again, and the codec's answers are checked
 * against each other: params_validate against a pair-by-pair walk,
 * params_find against a first-occurrence search done here. Any
 * disagreement aborts, which libFuzzer reports as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"
#include "../fcgi_lookup_one.h"


/* Holds the PARAMS content of a request until its empty closing record. */
#define STREAM_MAX	(1024 * 1024)
/* Pairs per stream whose names are looked up with params_find(). */
#define FIND_MAX	16
/* A name no test input is expected to carry; still checked like any other. */
#define ABSENT_NAME	"GATEWAYD_FUZZ_ABSENT"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t stream[STREAM_MAX];
static uint8_t scratch[FCGI_RECORD_MAX];

/*
 * Encodes nv again and decodes the result: the lengths and bytes must come
 * back unchanged, the size must match fcgi_nv_encoded_size(), and it may
 * only be shorter than the input when the input used a four-byte length
 * where one byte would do. A buffer one byte short must be refused.
 */
static void
check_pair_roundtrip(const uint8_t *in, size_t consumed, const struct fcgi_nv *nv)
{
	static uint8_t out[FCGI_RECORD_MAX + 16];
	struct fcgi_nv again;
	size_t need;

	need = fcgi_nv_encoded_size(nv->name_len, nv->value_len);
	CHECK(need > 0 && need <= consumed);
	if (need > sizeof(out))
		return;
	CHECK(fcgi_nv_encode(out, need - 1, nv->name, nv->name_len,
	    nv->value, nv->value_len) == 0);
	CHECK(fcgi_nv_encode(out, sizeof(out), nv->name, nv->name_len,
	    nv->value, nv->value_len) == need);
	CHECK(fcgi_nv_decode(out, need, &again) == (ssize_t)need);
	CHECK(again.name_len == nv->name_len && again.value_len == nv->value_len);
	CHECK(memcmp(again.name, nv->name, nv->name_len) == 0);
	CHECK(memcmp(again.value, nv->value, nv->value_len) == 0);
	CHECK(fcgi_nv_decode(out, need - 1, &again) == 0);
	if (need == consumed)
		CHECK(memcmp(out, in, need) == 0);
}

/*
 * The first of pairs[0..npairs) whose name equals name[0..len), searched
 * independently of params_find(). Returns that pair or NULL.
 */
static const struct fcgi_nv *
first_named(const struct fcgi_nv *pairs, size_t npairs, const uint8_t *name,
    size_t len)
{
	for (size_t i = 0; i < npairs; i++)
		if (pairs[i].name_len == len && memcmp(pairs[i].name, name, len) == 0)
			return &pairs[i];
	return NULL;
}

/*
 * Looks name (NUL-terminated, len bytes) up with params_find() and
 * checks the answer: -1 for a malformed stream, else the first occurrence.
 */
static void
check_find(const uint8_t *p, size_t len, int malformed, const struct fcgi_nv *pairs,
    size_t npairs, const char *name, size_t name_len)
{
	const struct fcgi_nv *want;
	const uint8_t *value = NULL;
	size_t value_len = 0;
	int r;

	r = params_find(p, len, name, &value, &value_len);
	if (malformed) {
		CHECK(r == -1 && value == NULL);
		return;
	}
	want = first_named(pairs, npairs, (const uint8_t *)name, name_len);
	if (want == NULL) {
		CHECK(r == 0 && value == NULL);
		return;
	}
	CHECK(r == 1 && value == want->value && value_len == want->value_len);
}

/*
 * Walks p as a PARAMS stream pair by pair, checks each pair's round trip,
 * then checks params_validate() and params_find() against the walk.
 */
static void
check_params(const uint8_t *p, size_t len)
{
	static struct fcgi_nv pairs[FIND_MAX];
	static char name[FCGI_RECORD_MAX + 1];
	struct fcgi_nv nv, absent;
	size_t off = 0, count = 0, kept, absent_count = 0;
	ssize_t n;
	int malformed = 0;

	while (off < len) {
		n = fcgi_nv_decode(p + off, len - off, &nv);
		if (n <= 0) {
			malformed = 1;
			break;
		}
		CHECK(nv.name == p + off + (size_t)n - nv.value_len - nv.name_len);
		CHECK(nv.value == nv.name + nv.name_len);
		check_pair_roundtrip(p + off, (size_t)n, &nv);
		if (count < FIND_MAX)
			pairs[count] = nv;
		/* The fuzzer learns ABSENT_NAME from the comparisons: found past FIND_MAX too. */
		if (absent_count == 0 && first_named(&nv, 1, (const uint8_t *)ABSENT_NAME,
		    strlen(ABSENT_NAME)) != NULL) {
			absent = nv;
			absent_count = 1;
		}
		count++;
		off += (size_t)n;
	}
	CHECK(params_validate(p, len) == (malformed ? -1 : (ssize_t)count));

	kept = count < FIND_MAX ? count : FIND_MAX;
	check_find(p, len, malformed, &absent, absent_count, ABSENT_NAME, strlen(ABSENT_NAME));
	for (size_t i = 0; i < kept; i++) {
		/* A name with a NUL in it cannot be asked for through a C string. */
		if (pairs[i].name_len >= sizeof(name) ||
		    memchr(pairs[i].name, 0, pairs[i].name_len) != NULL)
			continue;
		memcpy(name, pairs[i].name, pairs[i].name_len);
		name[pairs[i].name_len] = '\0';
		check_find(p, len, malformed, pairs, i + 1, name, pairs[i].name_len);
	}
}

/* Decodes the fixed-size bodies and checks that encoding them gives the same bytes. */
static void
check_body(const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->header;
	uint16_t role;
	uint8_t flags, proto;
	uint32_t status;

	switch (h->type) {
	case FCGI_BEGIN_REQUEST:
		if (fcgi_begin_request_decode(rec->content, h->content_length, &role, &flags) < 0) {
			CHECK(h->content_length != 8);
			return;
		}
		CHECK(h->content_length == 8);
		CHECK(fcgi_begin_request_encode(scratch, 15, h->request_id, role, flags) == 0);
		CHECK(fcgi_begin_request_encode(scratch, 16, h->request_id, role, flags) == 16);
		CHECK(memcmp(scratch + 8, rec->content, 3) == 0);
		break;
	case FCGI_END_REQUEST:
		if (fcgi_end_request_decode(rec->content, h->content_length, &status, &proto) < 0) {
			CHECK(h->content_length != 8);
			return;
		}
		CHECK(h->content_length == 8);
		CHECK(fcgi_end_request_encode(scratch, 15, h->request_id, status, proto) == 0);
		CHECK(fcgi_end_request_encode(scratch, 16, h->request_id, status, proto) == 16);
		CHECK(memcmp(scratch + 8, rec->content, 5) == 0);
		break;
	case FCGI_UNKNOWN_TYPE:
		if (h->content_length != 8)
			return;
		CHECK(fcgi_unknown_type_encode(scratch, 15, rec->content[0]) == 0);
		CHECK(fcgi_unknown_type_encode(scratch, 16, rec->content[0]) == 16);
		CHECK(scratch[8] == rec->content[0]);
		break;
	default:
		return;
	}
	/* All three encoders write a header that decodes to this record's shape. */
	CHECK(scratch[0] == FCGI_VERSION_1 && scratch[1] == h->type);
	CHECK(scratch[4] == 0 && scratch[5] == 8 && scratch[6] == 0);
}

/*
 * Encodes rec again (without padding) and decodes it; also rewrites the
 * request id in place and decodes that. in is the record's own bytes.
 */
static void
check_record_roundtrip(const uint8_t *in, const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->header;
	struct fcgi_record again;
	size_t need = FCGI_HEADER_LEN + h->content_length;
	uint16_t other_id = (uint16_t)(h->request_id ^ 0xffff);

	fcgi_header_encode(scratch, h->type, h->request_id, h->content_length,
	    h->padding_length);
	CHECK(memcmp(scratch, in, FCGI_HEADER_LEN - 1) == 0);

	CHECK(fcgi_record_encode(scratch, need - 1, h->type, h->request_id,
	    rec->content, h->content_length) == 0);
	CHECK(fcgi_record_encode(scratch, sizeof(scratch), h->type, h->request_id,
	    rec->content, h->content_length) == need);
	CHECK(fcgi_record_decode(scratch, need, &again) == (ssize_t)need);
	CHECK(again.header.type == h->type && again.header.request_id == h->request_id);
	CHECK(again.header.content_length == h->content_length);
	CHECK(again.header.padding_length == 0 && again.content == scratch + FCGI_HEADER_LEN);
	CHECK(memcmp(again.content, rec->content, h->content_length) == 0);
	if (need > FCGI_HEADER_LEN)
		CHECK(fcgi_record_decode(scratch, need - 1, &again) == 0);

	fcgi_header_set_request_id(scratch, other_id);
	CHECK(fcgi_record_decode(scratch, need, &again) == (ssize_t)need);
	CHECK(again.header.request_id == other_id);
	CHECK(again.header.type == h->type && again.header.content_length == h->content_length);
}

/*
 * Checks what fcgi_record_decode() said about the tail it could not decode:
 * -1 only for a bad version byte, 0 only when the record is incomplete.
 */
static void
check_tail(const uint8_t *p, size_t len, ssize_t r)
{
	struct fcgi_header h;

	if (r < 0) {
		CHECK(len >= FCGI_HEADER_LEN && p[0] != FCGI_VERSION_1);
		CHECK(fcgi_header_decode(p, len, &h) == -1);
		return;
	}
	if (len < FCGI_HEADER_LEN) {
		CHECK(fcgi_header_decode(p, len, &h) == 0);
		return;
	}
	CHECK(fcgi_header_decode(p, len, &h) == FCGI_HEADER_LEN);
	CHECK(len < FCGI_HEADER_LEN + (size_t)h.content_length + h.padding_length);
}

/*
 * Collects PARAMS content into the stream buffer; the empty PARAMS record
 * that ends the stream (spec 5.2) hands the whole of it to check_params().
 */
static void
collect_params(const struct fcgi_record *rec, size_t *stream_len)
{
	size_t cl = rec->header.content_length;

	if (cl == 0) {
		check_params(stream, *stream_len);
		*stream_len = 0;
		return;
	}
	if (cl > sizeof(stream) - *stream_len)
		return;
	memcpy(stream + *stream_len, rec->content, cl);
	*stream_len += cl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_record rec;
	size_t off = 0, stream_len = 0;
	ssize_t r = 0;

	/* The raw input as a PARAMS stream, for pairs the record layer hides. */
	check_params(data, size);

	while (off < size) {
		r = fcgi_record_decode(data + off, size - off, &rec);
		if (r <= 0)
			break;
		CHECK((size_t)r == FCGI_HEADER_LEN + (size_t)rec.header.content_length +
		    rec.header.padding_length);
		CHECK(rec.content == data + off + FCGI_HEADER_LEN);
		check_record_roundtrip(data + off, &rec);
		check_body(&rec);
		switch (rec.header.type) {
		case FCGI_PARAMS:
			collect_params(&rec, &stream_len);
			break;
		case FCGI_GET_VALUES:
		case FCGI_GET_VALUES_RESULT:
			check_params(rec.content, rec.header.content_length);
			break;
		default:
			break;
		}
		off += (size_t)r;
	}
	if (off < size)
		check_tail(data + off, size - off, r);
	return 0;
}
