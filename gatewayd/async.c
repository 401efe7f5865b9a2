/*
 * async.c: accepting (with the group commit of async.fsync = always),
 * queueing, running, retrying and canceling async jobs (see async.h). The
 * journal's upkeep is async_store.c's, finished jobs async_results.c's,
 * callbacks async_callback.c's, the job table async_job.c's, replay
 * async_replay.c's and the HTTP answers about jobs async_api.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "async_internal.h"
#include "fcgi.h"
#include "function_set.h"
#include "log.h"

/* Retry delays stop doubling here (seconds). */
#define ASYNC_RETRY_MAX 300.0

static struct async_queue *async_queue_for(struct async *a, const char *name);
static void async_dispatch(struct async *a, struct async_queue *q);
static void async_on_function_idle(void *owner, struct function *fn);
static void async_start_attempt(struct async *a, struct async_job *job, struct function *fn);
static void async_on_output(struct pool_job *pj, uint8_t type, const uint8_t *content, size_t len);
static void async_on_end(struct pool_job *pj, uint32_t app_status, uint8_t protocol_status);
static void async_on_fail(struct pool_job *pj, enum pool_error error);
static void async_attempt_failed(struct async_job *job, const char *why);
static void async_release(struct async_job *job);
static void async_on_retry(struct ev_loop *loop, ev_timer *timer, int revents);
static void async_finish(struct async_job *job, bool succeeded);
static void async_on_group_commit(struct ev_loop *loop, ev_prepare *prepare, int revents);
static void async_commit_held(struct async *a);

static const struct async_runner async_runner = {
	.dispatch = async_dispatch,
	.fail = async_attempt_failed,
	.queue = async_queue_for,
};

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
	a->runner = &async_runner;
	TAILQ_INIT(&a->done);
	TAILQ_INIT(&a->held);
	ev_prepare_init(&a->group_commit, async_on_group_commit);
	a->group_commit.data = a;
	async_store_init(a);
	async_results_init(a);
	gw->async = a;
	gw->function_hooks = (struct function_hooks){ .idle = async_on_function_idle, .owner = a };
	if (async_callbacks_start(a, err, err_len) < 0)
		return -1;
	if (conf->async_backend == ASYNC_BACKEND_NATS)
		return async_nats_start(a, err, err_len);
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
	if (conf->async_fsync != JOURNAL_FSYNC_OFF)
		ev_timer_start(gw->loop, &a->sync_timer);
	async_arm_expiry(a);
	for (struct async_queue *q = a->queues; q != NULL; q = q->next)
		async_dispatch(a, q);
	async_callbacks_resume(a);
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
	if (a->nats != NULL && !async_nats_up(a)) {
		a->nats_publish_failures++;
		return ASYNC_UNAVAILABLE;
	}
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
	if (a->nats != NULL) {
		enum async_accept_result result = async_nats_accept(a, job, wait);
		if (result == ASYNC_HELD) {
			memset(params, 0, sizeof(*params));
			memset(body, 0, sizeof(*body));
		} else {
			memset(&job->params, 0, sizeof(job->params));
			memset(&job->body, 0, sizeof(job->body));
			async_job_free(job);
		}
		return result;
	}
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
	q->counts.accepted++;
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
	if (TAILQ_EMPTY(&a->held) || a->journal == NULL)
		return;	/* nats: JetStream's acks decide its held jobs (async_nats.c) */
	/*
	 * A journal already failing (the sync timer's fdatasync, say) may have
	 * lost these records too, and a sync that succeeds after a failed one
	 * proves nothing (journal_sync()): they are not answered 202.
	 */
	int synced = a->journal_failing ? -1 : journal_sync(a->journal);
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
			q->counts.accepted++;
			ring_push(&q->ring, job);
			if (wait != NULL)
				wait->decided(wait, ASYNC_ACCEPTED, job->id_hex);
			continue;
		}
		/*
		 * Gone as if never accepted (answered 503). Its record may still
		 * reach the disk: a restart would then run it, at least once.
		 */
		async_discard(a, job);
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

/* A worker of fn became idle (fn's hooks, registered by async_start()): run queued jobs. */
static void async_on_function_idle(void *owner, struct function *fn)
{
	struct async *a = owner;

	struct async_queue *q;

	if (fn->conf->async.mode == ASYNC_OFF)
		return;
	for (q = a->queues; q != NULL; q = q->next) {
		if (strcmp(q->name, fn->conf->name) == 0)
			break;
	}
	/* With nats its jobs may come from any node: its queue is made to fetch them. */
	if (q == NULL && a->nats != NULL)
		q = async_queue_for(a, fn->conf->name);
	if (q != NULL)
		async_dispatch(a, q);
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
	if (fn != NULL)
		async_nats_grant(a, q, fn);
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
		async_nats_settle(job, ASYNC_NATS_GIVEN_BACK, 0);
		return;
	case POOL_ERR_TIMEOUT:
		job->fn->counters->timeouts++;
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
		if (a->nats != NULL)
			async_nats_forget(a, job);
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
	job->queue->counts.retried++;
	double delay = conf->async.retry_delay;
	for (unsigned i = 1; i < job->attempts && delay < ASYNC_RETRY_MAX; i++)
		delay *= 2;
	if (delay > ASYNC_RETRY_MAX)
		delay = ASYNC_RETRY_MAX;
	job->state = ASYNC_QUEUED;
	if (job->delivery != NULL) {
		/* JetStream delivers it again after delay, to whichever node is free then. */
		async_nats_settle(job, ASYNC_NATS_RETRY, delay);
		buf_free(&job->params);
		buf_free(&job->body);
		async_dispatch(a, job->queue);
		return;
	}
	ev_timer_init(&job->retry_timer, async_on_retry, delay, 0.);
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
	if (job->canceled)
		job->queue->counts.canceled++;
	else if (succeeded)
		job->queue->counts.succeeded++;
	else
		job->queue->counts.failed++;
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
	async_results_keep(a, job);
	if (job->delivery != NULL)
		async_nats_settle(job, ASYNC_NATS_FINISHED, 0);	/* its callback once it wins */
	else if (a->nats != NULL)
		async_nats_cancel(a, job);
	else
		async_callback_finished(a, job);
	async_maybe_compact(a);
	async_dispatch(a, job->queue);
}

bool async_function_stats(const struct gateway *gw, const char *name,
    struct async_function_stats *out)
{
	const struct async_queue *q;

	for (q = gw->async != NULL ? gw->async->queues : NULL; q != NULL; q = q->next) {
		if (strcmp(q->name, name) != 0)
			continue;
		*out = (struct async_function_stats){
			.queued = (unsigned)ring_count(&q->ring), .running = q->running, .held = q->held, .done = q->done_count,
			.done_bytes = q->done_bytes, .counts = q->counts,
		};
		return true;
	}
	return false;
}

uint64_t async_journal_bytes(const struct gateway *gw)
{
	return gw->async != NULL && gw->async->journal != NULL ?
	    journal_size(gw->async->journal) : 0;
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
	async_nats_free(a);
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
