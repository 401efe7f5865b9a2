/*
 * job_value.h: an async job's state as the NATS backend keeps it, one value
 * per job in the key-value bucket (docs/scaling.md): one line of compact
 * JSON, "\n", then the kept response's bytes as the function wrote them.
 * Every node writes and reads it; nothing in it is trusted more than the
 * bucket is (a value that does not decode is skipped and logged).
 */
#ifndef GATEWAYD_JOB_VALUE_H
#define GATEWAYD_JOB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* A job's state, in async_job.h's enum async_state order. */
enum job_value_state {
	JOB_VALUE_QUEUED,
	JOB_VALUE_RUNNING,
	JOB_VALUE_SUCCEEDED,
	JOB_VALUE_FAILED,
};

#define JOB_VALUE_FUNCTION_MAX 256
#define JOB_VALUE_NODE_MAX 128

struct job_value {
	char function[JOB_VALUE_FUNCTION_MAX];
	enum job_value_state state;
	bool canceled;			/* failed by DELETE before it ran */
	bool truncated;			/* the response was longer than async.result_max */
	unsigned attempts;
	uint64_t created_ms, started_ms, finished_ms;
	uint16_t status;
	char node[JOB_VALUE_NODE_MAX];	/* the node of the latest attempt, "" before one */
	const uint8_t *response;	/* into the decoded value, or the caller's */
	size_t response_len;
};

/* Writes v into out (reset first). 0 / -1 (memory). */
int job_value_encode(const struct job_value *v, struct buf *out);

/* Reads data[0, len) into v; v->response points into data. 0, or -1 when malformed. */
int job_value_decode(const uint8_t *data, size_t len, struct job_value *v);

#endif /* GATEWAYD_JOB_VALUE_H */
