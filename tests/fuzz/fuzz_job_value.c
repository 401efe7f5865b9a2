/*
 * fuzz_job_value.c: libFuzzer target for a job's value in the NATS bucket
 * (gatewayd/job_value.c), which any node may have written. Whatever
 * decodes must encode into a value that decodes to the same fields and
 * response; nothing may read outside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "job_value.h"

#define CHECK(cond)	do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct job_value v, back;
	struct buf out = { 0 };

	if (job_value_decode(data, size, &v) < 0)
		return 0;
	CHECK(v.response >= data && v.response + v.response_len == data + size);
	CHECK(job_value_encode(&v, &out) == 0);
	CHECK(job_value_decode(buf_head(&out), buf_used(&out), &back) == 0);
	CHECK(strcmp(back.function, v.function) == 0 && strcmp(back.node, v.node) == 0);
	CHECK(back.state == v.state && back.canceled == v.canceled &&
	    back.truncated == v.truncated && back.attempts == v.attempts &&
	    back.created_ms == v.created_ms && back.started_ms == v.started_ms &&
	    back.finished_ms == v.finished_ms && back.status == v.status);
	CHECK(back.response_len == v.response_len &&
	    memcmp(back.response, v.response, v.response_len) == 0);
	buf_free(&out);
	return 0;
}
