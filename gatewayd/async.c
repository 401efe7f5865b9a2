/*
 * async.c: accepting, queueing, running and retrying async jobs, and
 * keeping them in the journal (see async.h). The job table is
 * async_job.c's; the HTTP answers about jobs are async_api.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "async_internal.h"
#include "callback_policy.h"
#include "fcgi.h"
#include "function_set.h"
#include "log.h"
#include "record.h"

/* Compaction once the journal is this large and twice what is live. */
#define ASYNC_COMPACT_MIN (4u << 20)
/* While the journal cannot be written, a rewrite is tried this often (seconds). */
#define ASYNC_REPAIR_EVERY 1.0
/* Retry delays stop doubling here (seconds). */
#define ASYNC_RETRY_MAX 300.0

static struct async_queue *async_queue_for(struct async *a, const char *name);
static void async_dispatch(struct async *a, struct async_queue *q);
static struct function *async_function(struct async *a, const char *name);
static void async_on_function_idle(void *owner, struct function *fn);
static void async_start_attempt(struct async *a, struct async_job *job, struct function *fn);
static void async_on_output(struct pool_job *pj, uint8_t type, const uint8_t *content, size_t len);
static void async_on_end(struct pool_job *pj, uint32_t app_status, uint8_t protocol_status);
static void async_on_fail(struct pool_job *pj, enum pool_error error);
static void async_attempt_failed(struct async_job *job, const char *why);
static void async_release(struct async_job *job);
static void async_on_retry(struct ev_loop *loop, ev_timer *timer, int revents);
static void async_finish(struct async_job *job, bool succeeded);
static void async_record(struct async *a, const struct journal_record *r);
static int async_compact(struct async *a, bool quiet);
static void async_maybe_compact(struct async *a);
static int async_compact_at_start(struct async *a, char *err, size_t err_len);
static void async_on_sync(struct ev_loop *loop, ev_timer *timer, int revents);
static void async_on_group_commit(struct ev_loop *loop, ev_prepare *prepare, int revents);
static void async_commit_held(struct async *a);
static void async_journal_failed(struct async *a, const char *what);
static void async_on_repair(struct ev_loop *loop, ev_timer *timer, int revents);
static void async_on_expiry(struct ev_loop *loop, ev_timer *timer, int revents);
static void async_bound_results(struct async *a, const struct async_job *newest);
static void async_forget_recorded(struct async *a, struct async_job *job, uint64_t now_ms);
static int async_adopt_finished(struct async *a);
static int async_finished_order(const void *x, const void *y);
static void async_done_add(struct async_job *job);
static double async_ttl(struct async *a, const struct async_queue *q);
static void async_arm_expiry(struct async *a);
static void async_callback_send(struct async *a, struct async_job *job);
static void async_on_callback(void *owner, const uint8_t id[JOURNAL_ID_LEN],
    enum callback_state state, unsigned attempts, const char *error);

static const struct pool_job_ops async_job_ops = {
	.output = async_on_output,
	.end = async_on_end,
	.fail = async_on_fail,
};

#define async_job_of(pj) ((struct async_job *)((char *)(pj) - offsetof(struct async_job, pool_job)))

int async_start(struct gateway *gw, char *err, size_t err_len)
{
	const struct gateway_conf *conf = gw->conf;
	struct async *a = calloc(1, sizeof(*a));

	if (a == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	a->gw = gw;
	TAILQ_INIT(&a->done);
	TAILQ_INIT(&a->held);
	ev_prepare_init(&a->group_commit, async_on_group_commit);
	a->group_commit.data = a;
	ev_timer_init(&a->repair_timer, async_on_repair, ASYNC_REPAIR_EVERY, ASYNC_REPAIR_EVERY);
	a->repair_timer.data = a;
	gw->async = a;
	gw->function_hooks = (struct function_hooks){ .idle = async_on_function_idle, .owner = a };
	ev_timer_init(&a->expiry_timer, async_on_expiry, 0., 0.);
	a->expiry_timer.data = a;
	const struct callback_ops callback_ops = { .attempted = async_on_callback, .owner = a };
	if ((a->callbacks = callbacks_new(gw->loop, &callback_ops, err, err_len)) == NULL)
		return -1;
	if (conf->async_journal == NULL)
		return 0;
	a->journal = journal_open(conf->async_journal, conf->async_fsync, err, err_len);
	if (a->journal == NULL || async_replay(a, err, err_len) < 0 ||
	    async_compact_at_start(a, err, err_len) < 0)
		return -1;
	if (async_adopt_finished(a) < 0) {
		snprintf(err, err_len, "out of memory ordering replayed jobs");
		return -1;
	}
	if (conf->async_fsync != JOURNAL_FSYNC_OFF) {
		ev_timer_init(&a->sync_timer, async_on_sync, conf->async_fsync_interval,
		    conf->async_fsync_interval);
		a->sync_timer.data = a;
		ev_timer_start(gw->loop, &a->sync_timer);
	}
	async_arm_expiry(a);
	for (struct async_queue *q = a->queues; q != NULL; q = q->next)
		async_dispatch(a, q);
	/* Finished before the restart, not yet delivered: owed still. */
	struct async_job *job;
	TAILQ_FOREACH(job, &a->done, done_link) {
		if (job->callback_url != NULL && job->callback_state == CALLBACK_PENDING)
			async_callback_send(a, job);
	}
	return 0;
}

/* RFC 7240: a comma-separated list of preferences, "respond-async" among them. */
bool async_prefer_respond_async(const uint8_t *prefer, size_t len)
{
	static const char token[] = "respond-async";
	size_t n = sizeof(token) - 1;

	for (size_t i = 0; i < len;) {
		while (i < len && (prefer[i] == ' ' || prefer[i] == '\t' || prefer[i] == ','))
			i++;
		size_t start = i;
		while (i < len && prefer[i] != ',' && prefer[i] != ';' && prefer[i] != ' ' &&
		    prefer[i] != '\t' && prefer[i] != '=')
			i++;
		if (i - start == n && strncasecmp((const char *)prefer + start, token, n) == 0)
			return true;
		while (i < len && prefer[i] != ',')
			i++;
	}
	return false;
}

bool async_wanted(const struct function_conf *conf, const uint8_t *prefer, size_t prefer_len,
    const uint8_t *x_async, size_t x_async_len)
{
	if (conf->async.mode == ASYNC_ONLY)
		return true;
	if (conf->async.mode == ASYNC_OFF)
		return false;
	if (prefer != NULL && async_prefer_respond_async(prefer, prefer_len))
		return true;
	return x_async != NULL && ((x_async_len == 4 && strncasecmp((const char *)x_async,
	    "true", 4) == 0) || (x_async_len == 1 && x_async[0] == '1'));
}

/*
 * Whether the request's X-Callback-Url, if it names one, is one the
 * function's async.callback_allow lets gatewayd send its result to.
 */
static bool async_callback_allowed(const struct function_conf *conf, const struct buf *params)
{
	char url[CALLBACK_URL_MAX];
	int found = callback_url_param(buf_head(params), buf_used(params), url);

	return found == 0 || (found == 1 && callback_url_allowed(url, conf->async.callback_allow));
}

enum async_accept_result async_accept(struct gateway *gw, struct function *fn,
    struct buf *params, struct buf *body, char *id_hex, struct async_wait *wait)
{
	struct async *a = gw->async;
	struct async_queue *q = async_queue_for(a, fn->conf->name);
	uint8_t id[JOURNAL_ID_LEN];

	if (!async_callback_allowed(fn->conf, params))
		return ASYNC_CALLBACK_REFUSED;
	if (q == NULL || ring_count(&q->ring) + q->held >= q->ring.capacity)
		return ASYNC_QUEUE_FULL;
	if (a->journal_failing)
		return ASYNC_NOT_RECORDED;
	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return ASYNC_NOT_RECORDED;
	struct async_job *job = async_job_new(id, fn->conf->name, strlen(fn->conf->name));
	if (job == NULL)
		return ASYNC_NOT_RECORDED;
	job->async = a;
	job->queue = q;
	job->created_ms = async_now_ms();
	job->params = *params;
	job->body = *body;
	/* Kept until it runs, maybe long: its bytes, not the room they were read into. */
	(void)buf_fit(&job->params);
	(void)buf_fit(&job->body);
	struct journal_record r = {
		.type = JOURNAL_ACCEPTED, .time_ms = job->created_ms,
		.function = job->function, .function_len = strlen(job->function),
		.params = buf_head(&job->params), .params_len = buf_used(&job->params),
		.body = buf_head(&job->body), .body_len = buf_used(&job->body),
	};
	memcpy(r.id, id, sizeof(id));
	bool hold = a->journal != NULL && gw->conf->async_fsync == JOURNAL_FSYNC_ALWAYS;
	if (a->journal != NULL &&
	    (hold ? journal_append_unsynced(a->journal, &r) : journal_append(a->journal, &r)) < 0) {
		async_journal_failed(a, "record a job");
		memset(&job->params, 0, sizeof(job->params));
		memset(&job->body, 0, sizeof(job->body));
		async_job_free(job);
		return ASYNC_NOT_RECORDED;
	}
	memset(params, 0, sizeof(*params));
	memset(body, 0, sizeof(*body));
	if (async_table_insert(&a->jobs, job) < 0) {
		async_job_free(job);
		return ASYNC_NOT_RECORDED;
	}
	a->live_bytes += journal_record_size(&r);
	if (hold) {
		job->wait = wait;
		wait->job = job;
		q->held++;
		TAILQ_INSERT_TAIL(&a->held, job, held_link);
		ev_prepare_start(gw->loop, &a->group_commit);
		return ASYNC_HELD;
	}
	ring_push(&q->ring, job);
	memcpy(id_hex, job->id_hex, ASYNC_ID_HEX_LEN + 1);
	async_dispatch(a, q);
	return ASYNC_ACCEPTED;
}

void async_wait_cancel(struct async_wait *wait)
{
	if (wait->job != NULL)
		wait->job->wait = NULL;
	wait->job = NULL;
}

/*
 * The loop is about to block: every job accepted in this iteration is in
 * the journal, unsynced. One fdatasync makes them all durable.
 */
static void async_on_group_commit(struct ev_loop *loop, ev_prepare *prepare, int revents)
{
	(void)loop;
	(void)revents;
	async_commit_held(prepare->data);
}

/*
 * Group commit: one journal_sync() for the held jobs, then each is queued
 * and its request told ASYNC_ACCEPTED (202), or, when the sync failed, each
 * is dropped and told ASYNC_NOT_RECORDED (503): no 202 before its sync.
 */
static void async_commit_held(struct async *a)
{
	ev_prepare_stop(a->gw->loop, &a->group_commit);
	if (TAILQ_EMPTY(&a->held))
		return;
	int synced = journal_sync(a->journal);
	if (synced < 0)
		async_journal_failed(a, "sync the jobs just accepted (answered 503)");
	struct async_job *job;
	while ((job = TAILQ_FIRST(&a->held)) != NULL) {
		struct async_queue *q = job->queue;
		struct async_wait *wait = job->wait;
		TAILQ_REMOVE(&a->held, job, held_link);
		q->held--;
		job->wait = NULL;
		if (wait != NULL)
			wait->job = NULL;
		if (synced == 0 && (!ring_full(&q->ring) ||
			async_ring_resize(&q->ring, q->ring.capacity * 2) == 0)) {
			ring_push(&q->ring, job);
			if (wait != NULL)
				wait->decided(wait, ASYNC_ACCEPTED, job->id_hex);
			continue;
		}
		async_drop_unsynced(a, job);
		if (wait != NULL)
			wait->decided(wait, ASYNC_NOT_RECORDED, NULL);
	}
	for (struct async_queue *q = a->queues; q != NULL; q = q->next)
		async_dispatch(a, q);
}

/*
 * The queue of the function called name, made on first use; its capacity
 * follows the function's async.queue_size (never below what it holds).
 */
static struct async_queue *async_queue_for(struct async *a, const char *name)
{
	struct async_queue *q;

	for (q = a->queues; q != NULL; q = q->next) {
		if (strcmp(q->name, name) == 0)
			break;
	}
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL || (q->name = strdup(name)) == NULL) {
			free(q);
			return NULL;
		}
		TAILQ_INIT(&q->done);
		q->next = a->queues;
		a->queues = q;
	}
	struct function *fn = async_function(a, name);
	size_t want = fn != NULL ? fn->conf->async.queue_size : 1;
	if (want < ring_count(&q->ring))
		want = ring_count(&q->ring);
	if (want != q->ring.capacity && async_ring_resize(&q->ring, want) < 0)
		return q->ring.capacity > 0 ? q : NULL;
	return q;
}

/* The running function called name, or NULL when no longer configured. */
static struct function *async_function(struct async *a, const char *name)
{
	const struct function_conf *conf = config_find_function(a->gw->conf, name, strlen(name));

	return conf != NULL ? gateway_function(a->gw, conf) : NULL;
}

/* A worker of fn became idle (fn's hooks, registered by async_start()): run queued jobs. */
static void async_on_function_idle(void *owner, struct function *fn)
{
	struct async *a = owner;

	if (fn->conf->async.mode == ASYNC_OFF)
		return;
	for (struct async_queue *q = a->queues; q != NULL; q = q->next) {
		if (strcmp(q->name, fn->conf->name) == 0)
			async_dispatch(a, q);
	}
}

/*
 * Starts queued jobs while the function has room for them: a worker free
 * (or one it may fork) and no sync request waiting, since sync requests
 * go first; up to async.max_concurrency jobs run whatever the sync load.
 */
static void async_dispatch(struct async *a, struct async_queue *q)
{
	if (a->stopping || a->gw->draining)
		return;
	struct function *fn = async_function(a, q->name);
	while (ring_count(&q->ring) > 0) {
		if (fn == NULL) {
			struct async_job *job = ring_pop(&q->ring);
			async_attempt_failed(job, "the function is no longer configured");
			continue;
		}
		if (!pool_has_room(fn->pool) && q->running >= fn->conf->async.max_concurrency)
			return;
		async_start_attempt(a, ring_pop(&q->ring), fn);
	}
}

/*
 * One attempt: recorded first (so a crash counts it), then sent as an
 * ordinary FastCGI request with GATEWAY_JOB_ID and GATEWAY_JOB_ATTEMPT.
 */
static void async_start_attempt(struct async *a, struct async_job *job, struct function *fn)
{
	enum pool_error error;

	job->attempts++;
	job->state = ASYNC_RUNNING;
	job->started_ms = async_now_ms();
	struct journal_record r = {
		.type = JOURNAL_STARTED, .time_ms = job->started_ms, .attempt = job->attempts,
	};
	memcpy(r.id, job->id, JOURNAL_ID_LEN);
	async_record(a, &r);
	job->fn = fn;
	function_ref(fn);
	job->queue->running++;
	job->result_max = fn->conf->async.result_max;
	buf_reset(&job->response);
	job->truncated = false;
	buf_reset(&job->forward);
	if (function_encode_job(fn, buf_head(&job->params), buf_used(&job->params), job->id_hex,
		job->attempts, buf_head(&job->body), buf_used(&job->body), &job->forward) < 0) {
		async_attempt_failed(job, "out of memory");
		return;
	}
	job->pool_job.ops = &async_job_ops;
	job->pool_job.request = buf_head(&job->forward);
	job->pool_job.request_len = buf_used(&job->forward);
	if (pool_submit(fn->pool, &job->pool_job, &error) < 0)
		async_on_fail(&job->pool_job, error);
}

/* The function's response, kept up to async.result_max. */
static void async_on_output(struct pool_job *pj, uint8_t type, const uint8_t *content, size_t len)
{
	struct async_job *job = async_job_of(pj);

	if (type != FCGI_STDOUT || job->truncated)
		return;
	size_t room = job->result_max - buf_used(&job->response);
	if (len > room) {
		len = room;
		job->truncated = true;
	}
	if (len > 0 && buf_append(&job->response, content, len) < 0)
		job->truncated = true;
}

/* END_REQUEST: 5xx is a failed attempt; anything else is final. */
static void async_on_end(struct pool_job *pj, uint32_t app_status, uint8_t protocol_status)
{
	struct async_job *job = async_job_of(pj);
	(void)app_status;
	(void)protocol_status;

	job->status = async_response_status(buf_head(&job->response), buf_used(&job->response));
	if (job->status >= 500) {
		async_attempt_failed(job, "the function answered 5xx");
		return;
	}
	async_release(job);
	async_finish(job, job->status < 400);
}

static void async_on_fail(struct pool_job *pj, enum pool_error error)
{
	struct async_job *job = async_job_of(pj);

	switch (error) {
	case POOL_ERR_STOPPED:
		/* Shutdown is not the function's fault: run it again after the restart. */
		async_release(job);
		job->attempts--;
		job->state = ASYNC_QUEUED;
		return;
	case POOL_ERR_TIMEOUT:
		async_attempt_failed(job, "request_timeout passed");
		return;
	case POOL_ERR_WORKER_DIED:
	case POOL_ERR_PROTOCOL:
		async_attempt_failed(job, "the worker died");
		return;
	case POOL_ERR_QUEUE_FULL:
	case POOL_ERR_QUEUE_TIMEOUT:
	case POOL_ERR_HELD_BACK:
		async_attempt_failed(job, "no worker could take it");
		return;
	}
	async_attempt_failed(job, "unknown pool error");
}

/*
 * DELETE: a queued job (in its queue, or waiting for a retry) finishes as
 * failed without running again, journaled so that a restart does not run it
 * either; a finished one is forgotten; a running one is left alone.
 */
enum async_cancel_result async_cancel(struct async *a, struct async_job *job)
{
	switch (job->state) {
	case ASYNC_RUNNING:
		return ASYNC_CANCEL_RUNNING;
	case ASYNC_SUCCEEDED:
	case ASYNC_FAILED:
		async_forget_recorded(a, job, async_now_ms());
		async_maybe_compact(a);
		return ASYNC_CANCEL_FORGOTTEN;
	case ASYNC_QUEUED:
		break;
	}
	if (!ring_remove(&job->queue->ring, job))
		ev_timer_stop(a->gw->loop, &job->retry_timer);
	log_info("async job %s (%s): canceled after %u attempts", job->id_hex, job->function,
	    job->attempts);
	job->canceled = true;
	async_finish(job, false);
	return ASYNC_CANCELED;
}

/* Lets go of the function an attempt ran on, and of its queue slot. */
static void async_release(struct async_job *job)
{
	if (job->fn == NULL)
		return;
	job->queue->running--;
	function_unref(job->fn);
	job->fn = NULL;
	buf_free(&job->forward);
}

/*
 * A failed attempt: retried after async.retry_delay, doubling, until
 * async.max_attempts; then the job fails with its last response kept.
 */
static void async_attempt_failed(struct async_job *job, const char *why)
{
	struct async *a = job->async;
	const struct function_conf *conf = job->fn != NULL ? job->fn->conf : NULL;

	async_release(job);
	if (conf == NULL) {
		struct function *fn = async_function(a, job->function);
		conf = fn != NULL ? fn->conf : NULL;
	}
	log_warn("async job %s (%s): attempt %u failed: %s", job->id_hex, job->function,
	    job->attempts, why);
	if (conf == NULL || job->attempts >= conf->async.max_attempts) {
		async_finish(job, false);
		return;
	}
	double delay = conf->async.retry_delay;
	for (unsigned i = 1; i < job->attempts && delay < ASYNC_RETRY_MAX; i++)
		delay *= 2;
	job->state = ASYNC_QUEUED;
	ev_timer_init(&job->retry_timer, async_on_retry,
	    delay < ASYNC_RETRY_MAX ? delay : ASYNC_RETRY_MAX, 0.);
	job->retry_timer.data = job;
	ev_timer_start(a->gw->loop, &job->retry_timer);
	async_dispatch(a, job->queue);
}

/* A retry is due: the job goes first in its queue (a full queue waits a second). */
static void async_on_retry(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async_job *job = timer->data;
	(void)revents;

	if (ring_push_front(&job->queue->ring, job) < 0) {
		ev_timer_set(timer, 1.0, 0.);
		ev_timer_start(loop, timer);
		return;
	}
	async_dispatch(job->async, job->queue);
}

/* The job is over: recorded, kept for async.result_ttl. */
static void async_finish(struct async_job *job, bool succeeded)
{
	struct async *a = job->async;

	job->state = succeeded ? ASYNC_SUCCEEDED : ASYNC_FAILED;
	(void)buf_fit(&job->response);	/* kept for async.result_ttl */
	job->finished_ms = async_now_ms();
	job->finished_at = async_monotonic_now();
	struct journal_record r = {
		.type = JOURNAL_FINISHED, .time_ms = job->finished_ms, .succeeded = succeeded,
		.attempts = job->attempts, .status = job->status,
		.response = buf_head(&job->response), .response_len = buf_used(&job->response),
	};
	memcpy(r.id, job->id, JOURNAL_ID_LEN);
	async_record(a, &r);
	if (async_job_take_callback(job) < 0)
		log_error("async: job %s: out of memory: its callback is not delivered", job->id_hex);
	async_live_finish(a, job);
	TAILQ_INSERT_TAIL(&a->done, job, done_link);
	async_done_add(job);
	async_bound_results(a, job);
	async_arm_expiry(a);
	if (job->callback_url != NULL && job->canceled)
		async_on_callback(a, job->id, CALLBACK_FAILED, 0, "the job was canceled");
	else if (job->callback_url != NULL)
		async_callback_send(a, job);
	async_maybe_compact(a);
	async_dispatch(a, job->queue);
}

/* A finished job joins its queue's finished jobs, the newest. */
static void async_done_add(struct async_job *job)
{
	struct async_queue *q = job->queue;

	TAILQ_INSERT_TAIL(&q->done, job, queue_done_link);
	q->done_count++;
	q->done_bytes += buf_used(&job->response);
}

/*
 * After the replay: the queues it made get their lists of finished jobs,
 * each oldest first (a compacted journal holds them in no order), with the
 * wall-clock finishing times turned into monotonic time, as if the clock
 * had not moved while gatewayd was down; then each is held to its
 * function's results bounds, which may have been lowered meanwhile.
 * 0 / -1 (out of memory).
 */
static int async_adopt_finished(struct async *a)
{
	size_t n = 0, i = 0;
	struct async_job *job;
	uint64_t now_ms = async_now_ms();
	ev_tstamp now = async_monotonic_now();

	for (struct async_queue *q = a->queues; q != NULL; q = q->next)
		TAILQ_INIT(&q->done);
	TAILQ_FOREACH(job, &a->done, done_link)
		n++;
	struct async_job **jobs = calloc(n > 0 ? n : 1, sizeof(*jobs));
	if (jobs == NULL)
		return -1;
	TAILQ_FOREACH(job, &a->done, done_link)
		jobs[i++] = job;
	qsort(jobs, n, sizeof(*jobs), async_finished_order);
	for (i = 0; i < n; i++) {
		uint64_t ago_ms = now_ms > jobs[i]->finished_ms ? now_ms - jobs[i]->finished_ms : 0;
		jobs[i]->finished_at = now - (double)ago_ms / 1000;
		async_done_add(jobs[i]);
	}
	free(jobs);
	for (struct async_queue *q = a->queues; q != NULL; q = q->next) {
		if (!TAILQ_EMPTY(&q->done))
			async_bound_results(a, TAILQ_LAST(&q->done, async_queue_done));
	}
	return 0;
}

/* qsort(): by finished_ms, oldest first. */
static int async_finished_order(const void *x, const void *y)
{
	const struct async_job *a = *(struct async_job *const *)x, *b = *(struct async_job *const *)y;

	return (a->finished_ms > b->finished_ms) - (a->finished_ms < b->finished_ms);
}

/*
 * async.results_max and async.results_memory: the finished jobs of newest's
 * function beyond either bound are forgotten, oldest first. The newest is
 * always kept, however large, so that every result can be read at least
 * until the next job of its function finishes.
 */
static void async_bound_results(struct async *a, const struct async_job *newest)
{
	struct async_queue *q = newest->queue;
	const struct function *fn = async_function(a, newest->function);
	unsigned max = fn != NULL ? fn->conf->async.results_max : ASYNC_DEFAULT_RESULTS_MAX;
	uint64_t memory = fn != NULL ? fn->conf->async.results_memory : ASYNC_DEFAULT_RESULTS_MEMORY;

	for (struct async_job *oldest; (oldest = TAILQ_FIRST(&q->done)) != newest &&
	     (q->done_count > max || q->done_bytes > memory);)
		async_forget_recorded(a, oldest, async_now_ms());
}

/* Forgets a finished job, and records it so that compaction drops its bytes. */
static void async_forget_recorded(struct async *a, struct async_job *job, uint64_t now_ms)
{
	struct journal_record r = { .type = JOURNAL_FORGOTTEN, .time_ms = now_ms };

	memcpy(r.id, job->id, JOURNAL_ID_LEN);
	async_record(a, &r);
	TAILQ_REMOVE(&job->queue->done, job, queue_done_link);
	job->queue->done_count--;
	job->queue->done_bytes -= buf_used(&job->response);
	async_forget(a, job);
}

/*
 * Appends a record of a job's progress. Not synced on its own, even with
 * async.fsync = always: losing it in a crash only runs the job again, so
 * the sync timer makes it durable. A failure (a full disk) does not lose
 * it: the job goes on in memory, and the repair rewrites the journal from
 * memory, this record's news included, once it can be written.
 */
static void async_record(struct async *a, const struct journal_record *r)
{
	if (a->journal != NULL && journal_append_unsynced(a->journal, r) < 0)
		async_journal_failed(a, "record a job's progress");
}

/*
 * The journal could not be written or synced (errno says why; ENOSPC for a
 * full disk). Logged once, not per request: from now on new async requests
 * get 503, and every ASYNC_REPAIR_EVERY the journal is rewritten from what
 * is in memory (a compaction), which restores any progress record that was
 * lost, until that succeeds.
 */
static void async_journal_failed(struct async *a, const char *what)
{
	if (a->journal_failing)
		return;
	log_error("async: cannot %s in the journal %s: %s; new async requests get 503 until it "
	    "can be rewritten (tried every %.0f s)", what, a->gw->conf->async_journal,
	    strerror(errno), ASYNC_REPAIR_EVERY);
	a->journal_failing = true;
	ev_timer_again(a->gw->loop, &a->repair_timer);
}

/* While the journal is failing: a rewrite; once one succeeds, accepting again. */
static void async_on_repair(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async *a = timer->data;
	(void)revents;

	if (async_compact(a, true) < 0)
		return;
	ev_timer_stop(loop, timer);
	a->journal_failing = false;
	log_info("async: journal %s written again: accepting async requests",
	    a->gw->conf->async_journal);
}

/*
 * Rewrites the journal with the live jobs alone. Returns 0, or -1: the old
 * journal stays in use and nothing is lost; logged unless quiet (the
 * repair, which tries every second until the disk has room again).
 */
static int async_compact(struct async *a, bool quiet)
{
	char err[512];
	uint64_t before = journal_size(a->journal);

	if (journal_compact(a->journal, async_write_live, a, err, sizeof(err)) < 0) {
		if (!quiet)
			log_error("async: journal compaction failed: %s", err);
		return -1;
	}
	log_info("async: journal %s compacted from %llu to %llu bytes (%zu live jobs)",
	    a->gw->conf->async_journal, (unsigned long long)before,
	    (unsigned long long)journal_size(a->journal), a->jobs.count);
	return 0;
}

/*
 * Rewrites the journal once it is mostly history: past its floor
 * (ASYNC_COMPACT_MIN) and more than twice what the live jobs need, so its
 * size stays within a factor of two of the live records or under the floor.
 */
static void async_maybe_compact(struct async *a)
{
	if (a->journal == NULL || a->journal_failing ||
	    journal_size(a->journal) < ASYNC_COMPACT_MIN ||
	    journal_size(a->journal) < 2 * a->live_bytes)
		return;
	async_compact(a, false);
}

/*
 * After replay: a restart always compacts when the file holds anything
 * past its header and the live records, whatever its size, so a restart
 * sheds forgotten jobs (and the request headers they carried) at once.
 * Logs the figures. An older gatewayd's journal (no header, replayed with
 * the unkeyed check this once) must be rewritten keyed before anything is
 * appended: if that fails, start-up fails. 0 / -1 with err.
 */
static int async_compact_at_start(struct async *a, char *err, size_t err_len)
{
	const char *path = a->gw->conf->async_journal;
	bool unkeyed = journal_unkeyed(a->journal);

	log_info("async: journal %s: %llu bytes, %zu live jobs needing %llu bytes",
	    path, (unsigned long long)journal_size(a->journal), a->jobs.count,
	    (unsigned long long)a->live_bytes);
	if (unkeyed)
		log_warn("async: journal %s has no header (an older gatewayd's): its records "
		    "were replayed with the old unkeyed check, once; rewriting it keyed", path);
	if (!unkeyed && journal_size(a->journal) <= JOURNAL_FILE_HEADER_LEN + a->live_bytes)
		return 0;
	if (async_compact(a, false) < 0 && unkeyed) {
		snprintf(err, err_len, "async: journal %s: cannot rewrite an older gatewayd's "
		    "journal with a header (see the log); move it away to start without its jobs",
		    path);
		return -1;
	}
	return 0;
}

static void async_on_sync(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async *a = timer->data;
	(void)loop;
	(void)revents;

	if (journal_sync_pending(a->journal) && journal_sync(a->journal) < 0)
		async_journal_failed(a, "sync what was written");
}

/*
 * Finished jobs older than their function's async.result_ttl are forgotten,
 * by CLOCK_MONOTONIC (a step of the wall clock changes nothing; ev_now()
 * would not do: it follows the wall clock): each queue's oldest first,
 * until one is not due; then the timer is armed for the next.
 */
static void async_on_expiry(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async *a = timer->data;
	uint64_t now_ms = async_now_ms();
	ev_tstamp now = async_monotonic_now();
	(void)loop;
	(void)revents;

	for (struct async_queue *q = a->queues; q != NULL; q = q->next) {
		double ttl = async_ttl(a, q);
		for (struct async_job *job; (job = TAILQ_FIRST(&q->done)) != NULL &&
		     job->finished_at + ttl <= now;)
			async_forget_recorded(a, job, now_ms);
	}
	async_arm_expiry(a);
	async_maybe_compact(a);
}

/* A queue's async.result_ttl: its function's, or the default once it is gone. */
static double async_ttl(struct async *a, const struct async_queue *q)
{
	const struct function *fn = async_function(a, q->name);

	return fn != NULL ? fn->conf->async.result_ttl : ASYNC_DEFAULT_TTL;
}

/*
 * One timer for the next expiry: each queue's oldest finished job expires
 * first of its queue (they share a ttl), so the earliest of them is next.
 * The delay is relative: libev counts it on the monotonic clock.
 */
static void async_arm_expiry(struct async *a)
{
	struct ev_loop *loop = a->gw->loop;
	bool any = false;
	ev_tstamp next = 0;

	ev_timer_stop(loop, &a->expiry_timer);
	if (a->stopping)
		return;
	for (struct async_queue *q = a->queues; q != NULL; q = q->next) {
		const struct async_job *oldest = TAILQ_FIRST(&q->done);
		if (oldest == NULL)
			continue;
		ev_tstamp at = oldest->finished_at + async_ttl(a, q);
		if (!any || at < next)
			next = at;
		any = true;
	}
	if (!any)
		return;
	ev_tstamp now = async_monotonic_now();
	ev_timer_set(&a->expiry_timer, next > now ? next - now : 0., 0.);
	ev_timer_start(loop, &a->expiry_timer);
}

/*
 * The function's response split at the end of its CGI headers: its body
 * and, into content_type (NUL-terminated, "" when none or too long), its
 * Content-Type.
 */
static void async_response_body(const struct buf *response, char *content_type, size_t ct_size,
    const uint8_t **body, size_t *body_len)
{
	const char *p = (const char *)buf_head(response);
	size_t len = buf_used(response), i = 0;

	content_type[0] = '\0';
	while (i < len) {
		const char *start = p + i;
		size_t end = i;
		while (end < len && p[end] != '\n')
			end++;
		size_t line = end - i;
		if (line > 0 && p[end - 1] == '\r')
			line--;
		i = end + 1;
		if (line == 0)
			break;
		if (line > 13 && strncasecmp(start, "Content-Type:", 13) == 0) {
			const char *v = start + 13;
			size_t n = line - 13;
			while (n > 0 && *v == ' ')
				v++, n--;
			if (n < ct_size) {
				memcpy(content_type, v, n);
				content_type[n] = '\0';
			}
		}
	}
	*body = (const uint8_t *)p + (i < len ? i : len);
	*body_len = i < len ? len - i : 0;
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

/*
 * After a reload, taken or refused: the live async keys take effect at
 * once rather than at each function's next finished job. Every queue's
 * finished jobs are held to its function's results bounds, and the expiry
 * timer follows the result_ttl now in force (a lowered one forgets the
 * jobs already past it).
 */
void async_reloaded(struct gateway *gw)
{
	struct async *a = gw->async;

	if (a == NULL || a->stopping)
		return;
	for (struct async_queue *q = a->queues; q != NULL; q = q->next) {
		if (!TAILQ_EMPTY(&q->done))
			async_bound_results(a, TAILQ_LAST(&q->done, async_queue_done));
	}
	async_arm_expiry(a);
	async_maybe_compact(a);
}

void async_stop(struct gateway *gw)
{
	struct async *a = gw->async;

	if (a == NULL)
		return;
	async_commit_held(a);
	a->stopping = true;
	ev_timer_stop(gw->loop, &a->sync_timer);
	ev_timer_stop(gw->loop, &a->expiry_timer);
	ev_timer_stop(gw->loop, &a->repair_timer);
}

unsigned async_running(const struct gateway *gw)
{
	unsigned n = 0;

	for (const struct async_queue *q = gw->async != NULL ? gw->async->queues : NULL; q != NULL;
	     q = q->next)
		n += q->running;
	return n;
}

void async_free(struct gateway *gw)
{
	struct async *a = gw->async;

	if (a == NULL)
		return;
	for (size_t i = 0; i < a->jobs.bucket_count; i++) {
		for (struct async_job *job = a->jobs.buckets[i]; job != NULL; job = job->hash_next)
			ev_timer_stop(gw->loop, &job->retry_timer);
	}
	callbacks_free(a->callbacks);
	if (a->journal != NULL)
		journal_close(a->journal);
	async_table_free(&a->jobs);
	while (a->queues != NULL) {
		struct async_queue *q = a->queues;
		a->queues = q->next;
		ring_free(&q->ring);
		free(q->name);
		free(q);
	}
	free(a);
	gw->async = NULL;
	gw->function_hooks = (struct function_hooks){ 0 };
}
