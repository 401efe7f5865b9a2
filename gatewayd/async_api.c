/*
 * async_api.c: what gatewayd answers under /_gateway/jobs/: a job's state
 * as JSON, its result replayed as the function wrote it, and its cancelling.
 * The id is 128 random bits: knowing it is the permission to read the job,
 * and to cancel it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "async_internal.h"
#include "callback_policy.h"

#define ASYNC_API_PREFIX "/_gateway/jobs/"
#define ASYNC_API_RESULT "/result"

static int async_api_json(struct buf *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int async_api_state(struct buf *out, const struct async_job *job);
static void async_api_time(char *out, size_t len, uint64_t ms);
static const char *async_api_state_name(const struct async_job *job);
static int async_api_cancel(struct buf *out, struct async_job *job);
static int async_api_not_allowed(struct buf *out, const char *allow);
static bool async_api_method_is(const char *method, size_t len, const char *name);
static int async_api_result(struct buf *out, const struct async_job *job);
static bool async_api_header_is(const char *line, size_t len, const char *name);
static int async_api_by_creation(const void *a, const void *b);

int async_answer_api(struct gateway *gw, const char *method, size_t method_len,
    const char *path, size_t path_len, struct buf *out)
{
	size_t prefix = strlen(ASYNC_API_PREFIX), suffix = strlen(ASYNC_API_RESULT);
	uint8_t id[JOURNAL_ID_LEN];

	if (path_len < prefix || memcmp(path, ASYNC_API_PREFIX, prefix) != 0)
		return async_api_json(out, 404, "{\"error\":\"not found\"}");
	const char *rest = path + prefix;
	size_t rest_len = path_len - prefix;
	bool result = rest_len == ASYNC_ID_HEX_LEN + suffix &&
	    memcmp(rest + ASYNC_ID_HEX_LEN, ASYNC_API_RESULT, suffix) == 0;
	if ((!result && rest_len != ASYNC_ID_HEX_LEN) ||
	    async_id_parse(rest, ASYNC_ID_HEX_LEN, id) < 0)
		return async_api_json(out, 404, "{\"error\":\"no such job\"}");
	bool reading = async_api_method_is(method, method_len, "GET") ||
	    async_api_method_is(method, method_len, "HEAD");
	bool deleting = !result && async_api_method_is(method, method_len, "DELETE");
	if (!reading && !deleting)
		return async_api_not_allowed(out, result ? "GET, HEAD" : "GET, HEAD, DELETE");
	struct async_job *job = gw->async != NULL ? async_table_find(&gw->async->jobs, id) : NULL;
	if (job == NULL)
		return async_api_json(out, 404, "{\"error\":\"no such job\"}");
	if (deleting)
		return async_api_cancel(out, job);
	if (!result)
		return async_api_state(out, job);
	if (job->canceled)
		return async_api_json(out, 409, "{\"error\":\"canceled\",\"state\":\"canceled\"}");
	if (job->state != ASYNC_SUCCEEDED && job->state != ASYNC_FAILED)
		return async_api_json(out, 409, "{\"error\":\"not finished\",\"state\":\"%s\"}",
		    async_api_state_name(job));
	if (buf_used(&job->response) == 0)
		return async_api_json(out, 502, "{\"error\":\"the function gave no response\","
		    "\"attempts\":%u}", job->attempts);
	return async_api_result(out, job);
}

/*
 * DELETE of a job, by its id's holder: a queued one is canceled (200, its
 * state), a finished one forgotten (204), a running one left to finish (409).
 */
static int async_api_cancel(struct buf *out, struct async_job *job)
{
	static const char forgotten[] = "Status: 204\r\nCache-Control: no-store\r\n\r\n";

	switch (async_cancel(job->async, job)) {
	case ASYNC_CANCELED:
		return async_api_state(out, job);
	case ASYNC_CANCEL_FORGOTTEN:
		return buf_append(out, forgotten, sizeof(forgotten) - 1);
	case ASYNC_CANCEL_RUNNING:
		break;
	}
	return async_api_json(out, 409, "{\"error\":\"running\",\"state\":\"running\"}");
}

/* 405 with the methods the path takes. */
static int async_api_not_allowed(struct buf *out, const char *allow)
{
	char head[160];
	static const char body[] = "{\"error\":\"method not allowed\"}\n";
	int n = snprintf(head, sizeof(head), "Status: 405\r\nAllow: %s\r\nContent-Type: "
	    "application/json\r\nCache-Control: no-store\r\n\r\n", allow);

	if (buf_append(out, head, (size_t)n) < 0)
		return -1;
	return buf_append(out, body, sizeof(body) - 1);
}

/* Whether REQUEST_METHOD is name (methods are case-sensitive, RFC 9110). */
static bool async_api_method_is(const char *method, size_t len, const char *name)
{
	return method != NULL && len == strlen(name) && memcmp(method, name, len) == 0;
}

/*
 * The function's response as it wrote it, but private to the id's holder:
 * its Cache-Control is replaced by no-store, and a truncated body drops its
 * Content-Length, which counted bytes that were not kept.
 */
static int async_api_result(struct buf *out, const struct async_job *job)
{
	static const char no_store[] = "Cache-Control: no-store\r\n";
	const uint8_t *p = buf_head(&job->response);
	size_t len = buf_used(&job->response), off = 0;
	struct async_header_line l;

	if (buf_append(out, no_store, sizeof(no_store) - 1) < 0)
		return -1;
	for (; async_response_line(p, len, off, &l); off = l.next) {
		const char *line = (const char *)p + l.start;
		bool dropped = async_api_header_is(line, l.len, "Cache-Control") ||
		    (job->truncated && async_api_header_is(line, l.len, "Content-Length"));
		if (!dropped && buf_append(out, line, l.next - l.start) < 0)
			return -1;
	}
	return buf_append(out, p + l.start, len - l.start);	/* the blank line, the body */
}

/* Whether a header line is the named header's. */
static bool async_api_header_is(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	return len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* A JSON answer of gatewayd's own, never cached (it changes, and is private). */
static int async_api_json(struct buf *out, int status, const char *fmt, ...)
{
	char body[4096];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(body))
		return -1;
	char head[160];
	int m = snprintf(head, sizeof(head), "Status: %d\r\nContent-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n\r\n", status);
	if (buf_append(out, head, (size_t)m) < 0 || buf_append(out, body, (size_t)n) < 0)
		return -1;
	return buf_append(out, "\n", 1);
}

static int async_api_state(struct buf *out, const struct async_job *job)
{
	static const char *const callback_states[] = {
		[CALLBACK_PENDING] = "pending", [CALLBACK_DELIVERED] = "delivered",
		[CALLBACK_FAILED] = "failed",
	};
	char created[64], started[64], finished[64], status[8], callback[CALLBACK_URL_MAX + 256];

	async_api_time(created, sizeof(created), job->created_ms);
	async_api_time(started, sizeof(started), job->attempts > 0 ? job->started_ms : 0);
	async_api_time(finished, sizeof(finished), job->finished_ms);
	if (job->status != 0)
		snprintf(status, sizeof(status), "%u", job->status);
	else
		snprintf(status, sizeof(status), "null");
	/*
	 * The URL passed the allow list and the error was made JSON-safe: both as
	 * they are. Before the job's own state and attempts, for readers that take
	 * the last "state" they find.
	 */
	if (job->callback_url != NULL)
		snprintf(callback, sizeof(callback), ",\"callback\":{\"url\":\"%s\",\"state\":\"%s\","
		    "\"attempts\":%u,\"last_error\":%s%s%s}", job->callback_url,
		    callback_states[job->callback_state], job->callback_attempts,
		    job->callback_error[0] ? "\"" : "", job->callback_error[0] ? job->callback_error :
		    "null", job->callback_error[0] ? "\"" : "");
	else
		callback[0] = '\0';
	return async_api_json(out, 200,
	    "{\"id\":\"%s\",\"function\":\"%s\"%s,\"state\":\"%s\",\"attempts\":%u,"
	    "\"created\":%s,\"started\":%s,\"finished\":%s,\"status\":%s,"
	    "\"result\":\"" ASYNC_API_PREFIX "%s" ASYNC_API_RESULT "\",\"result_truncated\":%s}",
	    job->id_hex, job->function, callback, async_api_state_name(job), job->attempts,
	    created, started, finished, status, job->id_hex, job->truncated ? "true" : "false");
}

int async_list_jobs(struct gateway *gw, const char *function, const char *state, size_t limit,
    struct buf *out)
{
	const struct async_table *t = gw->async != NULL ? &gw->async->jobs : NULL;
	struct async_job **matched = t != NULL && t->count > 0 ?
	    malloc(t->count * sizeof(*matched)) : NULL;
	struct buf body = { 0 };
	size_t n = 0;
	int rc = -1;

	if (t != NULL && t->count > 0 && matched == NULL)
		return -1;
	for (size_t b = 0; t != NULL && b < t->bucket_count; b++) {
		for (struct async_job *job = t->buckets[b]; job != NULL; job = job->hash_next) {
			if ((function == NULL || strcmp(job->function, function) == 0) &&
			    (state == NULL || strcmp(async_api_state_name(job), state) == 0))
				matched[n++] = job;
		}
	}
	if (n > 0)
		qsort(matched, n, sizeof(*matched), async_api_by_creation);
	if (buf_printf(&body, "{\"matched\":%zu,\"jobs\":[", n) < 0)
		goto out;
	for (size_t i = 0; i < n && i < limit; i++) {
		const struct async_job *job = matched[i];
		char created[64];
		async_api_time(created, sizeof(created), job->created_ms);
		if (buf_printf(&body, "%s{\"id\":\"%s\",\"function\":\"%s\",\"state\":\"%s\","
		    "\"attempts\":%u,\"created\":%s,\"status\":%u}", i > 0 ? "," : "", job->id_hex,
		    job->function, async_api_state_name(job), job->attempts, created, job->status) < 0)
			goto out;
	}
	if (buf_printf(&body, "]}\n") < 0 ||
	    buf_printf(out, "Status: 200\r\nContent-Type: application/json\r\n"
	    "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n", buf_used(&body)) < 0 ||
	    buf_append(out, buf_head(&body), buf_used(&body)) < 0)
		goto out;
	rc = 0;
out:
	free(matched);
	buf_free(&body);
	return rc;
}

/* qsort: the job created first first (ids break ties, so the order is stable). */
static int async_api_by_creation(const void *a, const void *b)
{
	const struct async_job *x = *(struct async_job *const *)a, *y = *(struct async_job *const *)b;

	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return memcmp(x->id, y->id, JOURNAL_ID_LEN);
}

/* RFC 3339 UTC in quotes, or null for 0. */
static void async_api_time(char *out, size_t len, uint64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0) {
		snprintf(out, len, "null");
		return;
	}
	gmtime_r(&secs, &tm);
	snprintf(out, len, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

/* A canceled job is failed inside, but its holder is told what happened. */
static const char *async_api_state_name(const struct async_job *job)
{
	if (job->canceled)
		return "canceled";
	switch (job->state) {
	case ASYNC_QUEUED: return "queued";
	case ASYNC_RUNNING: return "running";
	case ASYNC_SUCCEEDED: return "succeeded";
	case ASYNC_FAILED: return "failed";
	}
	return "unknown";
}
