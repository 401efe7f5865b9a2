/*
 * async_callback.c: async jobs and their X-Callback-Url (see
 * async_internal.h): the check at accept against async.callback_allow, the
 * delivery of a finished job's result through callback.c, and what each
 * attempt did, in the job and in the journal.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "async_internal.h"
#include "callback_policy.h"
#include "log.h"

static void async_response_body(const struct buf *response, char *content_type, size_t ct_size,
    const uint8_t **body, size_t *body_len);
static void async_on_callback(void *owner, const uint8_t id[JOURNAL_ID_LEN],
    enum callback_state state, unsigned attempts, const char *error);
static void async_callback_send(struct async *a, struct async_job *job);

int async_callbacks_start(struct async *a, char *err, size_t err_len)
{
	const struct callback_ops ops = { .attempted = async_on_callback, .owner = a };

	a->callbacks = callbacks_new(a->gw->loop, &ops, err, err_len);
	return a->callbacks != NULL ? 0 : -1;
}

/* After the replay: the deliveries owed by jobs that finished before the restart. */
void async_callbacks_resume(struct async *a)
{
	struct async_job *job;

	TAILQ_FOREACH(job, &a->done, done_link) {
		if (job->callback_url != NULL && job->callback_state == CALLBACK_PENDING)
			async_callback_send(a, job);
	}
}

/*
 * A job just finished: its callback, if it named one, is delivered; a
 * canceled job's is not (it is journaled as failed, with the reason).
 */
void async_callback_finished(struct async *a, struct async_job *job)
{
	if (job->callback_url != NULL && job->canceled)
		async_on_callback(a, job->id, CALLBACK_FAILED, 0, "the job was canceled");
	else if (job->callback_url != NULL)
		async_callback_send(a, job);
}

/*
 * Whether the request's X-Callback-Url, if it names one, is one the
 * function's async.callback_allow lets gatewayd send its result to.
 */
bool async_callback_allowed(const struct function_conf *conf, const struct buf *params)
{
	char url[CALLBACK_URL_MAX];
	int found = callback_url_param(buf_head(params), buf_used(params), url);

	return found == 0 || (found == 1 && callback_url_allowed(url, conf->async.callback_allow));
}

/*
 * The function's response split at the end of its CGI headers: its body
 * and, into content_type (NUL-terminated, "" when none or too long), its
 * Content-Type.
 */
static void async_response_body(const struct buf *response, char *content_type, size_t ct_size,
    const uint8_t **body, size_t *body_len)
{
	const uint8_t *p = buf_head(response);
	size_t len = buf_used(response), off = 0;
	struct async_header_line l;

	content_type[0] = '\0';
	for (; async_response_line(p, len, off, &l); off = l.next) {
		if (l.len <= 13 || strncasecmp((const char *)p + l.start, "Content-Type:", 13) != 0)
			continue;
		const char *v = (const char *)p + l.start + 13;
		size_t n = l.len - 13;
		while (n > 0 && *v == ' ')
			v++, n--;
		if (n < ct_size) {
			memcpy(content_type, v, n);
			content_type[n] = '\0';
		}
	}
	*body = p + l.next;
	*body_len = len - l.next;
}

/*
 * Hands the finished job's result to callback.c for its X-Callback-Url:
 * the function's body and status, signed with the function's
 * async.callback_secret_file. A function no longer configured has no
 * secret to sign with: its delivery fails rather than go unsigned.
 */
static void async_callback_send(struct async *a, struct async_job *job)
{
	struct function *fn = async_function(a, job->function);
	char content_type[128];
	struct callback_delivery d = {
		.id_hex = job->id_hex, .url = job->callback_url, .status = job->status,
		.job_attempts = job->attempts, .content_type = content_type,
		.duration_seconds = job->finished_ms > job->started_ms && job->started_ms > 0 ?
		    (double)(job->finished_ms - job->started_ms) / 1000.0 : 0.0,
	};

	if (fn == NULL) {
		async_on_callback(a, job->id, CALLBACK_FAILED, job->callback_attempts,
		    "the function is no longer configured");
		return;
	}
	memcpy(d.id, job->id, JOURNAL_ID_LEN);
	d.secret = fn->conf->async.callback_secret;
	d.max_attempts = fn->conf->async.max_attempts;
	d.retry_delay = fn->conf->async.retry_delay;
	async_response_body(&job->response, content_type, sizeof(content_type), &d.body,
	    &d.body_len);
	if (content_type[0] == '\0')
		d.content_type = NULL;
	if (callback_deliver(a->callbacks, &d) < 0)
		async_on_callback(a, job->id, CALLBACK_FAILED, job->callback_attempts,
		    "out of memory");
}

/*
 * callback.c's report on a delivery attempt: the job's JSON follows it, and
 * the end of a delivery (delivered or failed) is journalled so that a
 * restart neither repeats nor forgets it. A job forgotten meanwhile
 * (result_ttl) is not looked for.
 */
static void async_on_callback(void *owner, const uint8_t id[JOURNAL_ID_LEN],
    enum callback_state state, unsigned attempts, const char *error)
{
	struct async *a = owner;
	struct async_job *job = async_table_find(&a->jobs, id);

	if (job == NULL || job->callback_state != CALLBACK_PENDING)
		return;
	job->callback_state = state;
	job->callback_attempts = attempts;
	job->callback_error[0] = '\0';
	for (size_t i = 0; error != NULL && error[i] && i + 1 < sizeof(job->callback_error); i++) {
		unsigned char c = (unsigned char)error[i];
		job->callback_error[i] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '?' : (char)c;
		job->callback_error[i + 1] = '\0';
	}
	if (state == CALLBACK_PENDING) {
		log_warn("async: job %s: callback attempt %u to %s failed: %s", job->id_hex,
		    attempts, job->callback_url, job->callback_error);
		return;
	}
	if (state == CALLBACK_FAILED)
		log_warn("async: job %s: callback to %s failed after %u attempts: %s", job->id_hex,
		    job->callback_url, attempts, job->callback_error);
	struct journal_record r = {
		.type = JOURNAL_DELIVERED, .time_ms = async_now_ms(),
		.succeeded = state == CALLBACK_DELIVERED, .attempts = attempts,
	};
	memcpy(r.id, job->id, JOURNAL_ID_LEN);
	async_record(a, &r);
	a->live_bytes += journal_record_size(&r);
}
