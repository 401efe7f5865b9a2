/*
 * async_api.c: what gatewayd answers under /_gateway/jobs/: a job's state
 * as JSON, and its result replayed as the function wrote it. The id is 128
 * random bits: knowing it is the permission to read the job.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "async_internal.h"
#include "callback_policy.h"

#define ASYNC_API_PREFIX "/_gateway/jobs/"
#define ASYNC_API_RESULT "/result"

static int async_api_json(struct buf *out, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int async_api_state(struct buf *out, const struct async_job *job);
static void async_api_time(char *out, size_t len, uint64_t ms);
static const char *async_api_state_name(enum async_state state);

int async_answer_api(struct gateway *gw, const char *path, size_t path_len, struct buf *out)
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
	const struct async_job *job = gw->async != NULL ? async_table_find(&gw->async->jobs, id)
							: NULL;
	if (job == NULL)
		return async_api_json(out, 404, "{\"error\":\"no such job\"}");
	if (!result)
		return async_api_state(out, job);
	if (job->state != ASYNC_SUCCEEDED && job->state != ASYNC_FAILED)
		return async_api_json(out, 409, "{\"error\":\"not finished\",\"state\":\"%s\"}",
		    async_api_state_name(job->state));
	if (buf_used(&job->response) == 0)
		return async_api_json(out, 502, "{\"error\":\"the function gave no response\","
		    "\"attempts\":%u}", job->attempts);
	return buf_append(out, buf_head(&job->response), buf_used(&job->response));
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
	    job->id_hex, job->function, callback, async_api_state_name(job->state), job->attempts,
	    created, started, finished, status, job->id_hex, job->truncated ? "true" : "false");
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

static const char *async_api_state_name(enum async_state state)
{
	switch (state) {
	case ASYNC_QUEUED: return "queued";
	case ASYNC_RUNNING: return "running";
	case ASYNC_SUCCEEDED: return "succeeded";
	case ASYNC_FAILED: return "failed";
	}
	return "unknown";
}
