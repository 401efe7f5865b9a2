/*
 * job_value.c: a job's value in the bucket (see job_value.h), written and
 * read with jansson.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "job_value.h"

static const char *const state_words[] = { "queued", "running", "succeeded", "failed" };

int job_value_encode(const struct job_value *v, struct buf *out)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:i, s:s}",
	    "function", v->function, "state", state_words[v->state], "canceled", v->canceled,
	    "truncated", v->truncated, "attempts", (json_int_t)v->attempts,
	    "created_ms", (json_int_t)v->created_ms, "started_ms", (json_int_t)v->started_ms,
	    "finished_ms", (json_int_t)v->finished_ms, "status", (int)v->status,
	    "node", v->node);
	char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	int ret = -1;

	json_decref(o);
	buf_reset(out);
	if (text != NULL && buf_append(out, text, strlen(text)) == 0 &&
	    buf_append(out, "\n", 1) == 0 &&
	    (v->response_len == 0 || buf_append(out, v->response, v->response_len) == 0))
		ret = 0;
	free(text);
	return ret;
}

/* Copies the string s into out (cap bytes): -1 when it does not fit. */
static int copy_text(char *out, size_t cap, const char *s)
{
	size_t len = strlen(s);

	if (len >= cap)
		return -1;
	memcpy(out, s, len + 1);
	return 0;
}

int job_value_decode(const uint8_t *data, size_t len, struct job_value *v)
{
	const uint8_t *nl = memchr(data, '\n', len);
	const char *function, *state, *node;
	json_int_t attempts, created, started, finished;
	int canceled, truncated, status;
	int ret = -1;

	if (nl == NULL)
		return -1;
	json_t *o = json_loadb((const char *)data, (size_t)(nl - data), JSON_REJECT_DUPLICATES,
	    NULL);
	if (o == NULL)
		return -1;
	*v = (struct job_value){ 0 };
	if (json_unpack(o, "{s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:i, s:s}",
		"function", &function, "state", &state, "canceled", &canceled,
		"truncated", &truncated, "attempts", &attempts, "created_ms", &created,
		"started_ms", &started, "finished_ms", &finished, "status", &status,
		"node", &node) < 0 ||
	    attempts < 0 || attempts > 1000000 || created < 0 || started < 0 || finished < 0 ||
	    status < 0 || status > 999 || function[0] == '\0' ||
	    copy_text(v->function, sizeof(v->function), function) < 0 ||
	    copy_text(v->node, sizeof(v->node), node) < 0)
		goto out;
	size_t i;
	for (i = 0; i < sizeof(state_words) / sizeof(state_words[0]); i++) {
		if (strcmp(state, state_words[i]) == 0)
			break;
	}
	if (i == sizeof(state_words) / sizeof(state_words[0]))
		goto out;
	v->state = (enum job_value_state)i;
	v->canceled = canceled;
	v->truncated = truncated;
	v->attempts = (unsigned)attempts;
	v->created_ms = (uint64_t)created;
	v->started_ms = (uint64_t)started;
	v->finished_ms = (uint64_t)finished;
	v->status = (uint16_t)status;
	v->response = nl + 1;
	v->response_len = len - (size_t)(nl + 1 - data);
	ret = 0;
out:
	json_decref(o);
	return ret;
}
