/*
 * async_replay.c: the async jobs' life across restarts: rebuilding them from
 * the journal, writing the live ones into a compacted journal, and
 * forgetting a finished job once its result_ttl is over.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async_internal.h"
#include "callback_policy.h"
#include "fcgi.h"
#include "log.h"

static void async_replay_record(void *ctx, const struct journal_record *r);
static void async_replay_skipped(void *ctx, uint64_t offset, uint64_t len);
static uint64_t async_accepted_bytes(const struct async_job *job, bool finished);
static uint64_t async_live_job_bytes(const struct async_job *job);
static void async_return_memory(struct async *a);

/* What a replay saw, for its log line. */
struct async_replay_stats {
	struct async *a;
	uint64_t skipped;
};

static const struct journal_replay_ops async_replay_ops = {
	.record = async_replay_record,
	.skipped = async_replay_skipped,
};

/*
 * Rebuilds the jobs from the journal and queues again every one that had
 * not finished (a crash may have cut it mid-attempt: it runs again, at
 * least once). Returns 0, or -1 with err on an I/O error.
 */
int async_replay(struct async *a, char *err, size_t err_len)
{
	struct async_replay_stats stats = { .a = a };
	size_t queued = 0;

	if (journal_replay(a->journal, &async_replay_ops, &stats, err, err_len) < 0)
		return -1;
	for (size_t i = 0; i < a->jobs.bucket_count; i++) {
		for (struct async_job *job = a->jobs.buckets[i]; job != NULL; job = job->hash_next) {
			if (job->state != ASYNC_QUEUED)
				continue;
			struct async_queue *q = job->queue;
			if ((ring_full(&q->ring) && async_ring_resize(&q->ring, q->ring.capacity * 2) < 0) ||
			    ring_push(&q->ring, job) < 0) {
				snprintf(err, err_len, "out of memory queueing replayed jobs");
				return -1;
			}
			queued++;
		}
	}
	log_info("async: journal %s replayed: %zu jobs, %zu to run, %llu corrupt bytes skipped",
	    a->gw->conf->async_journal, a->jobs.count, queued, (unsigned long long)stats.skipped);
	return 0;
}

/* One replayed record: the job's history, applied in order. */
static void async_replay_record(void *ctx, const struct journal_record *r)
{
	struct async_replay_stats *stats = ctx;
	struct async *a = stats->a;
	struct async_job *job = async_table_find(&a->jobs, r->id);

	switch (r->type) {
	case JOURNAL_ACCEPTED:
		if (job != NULL || (job = async_job_new(r->id, r->function, r->function_len)) == NULL)
			return;
		job->async = a;
		job->created_ms = r->time_ms;
		job->state = ASYNC_QUEUED;
		if (buf_append(&job->params, r->params, r->params_len) < 0 ||
		    buf_append(&job->body, r->body, r->body_len) < 0 ||
		    async_table_insert(&a->jobs, job) < 0) {
			async_job_free(job);
			return;
		}
		/* Queues are made as for new jobs; their capacity grows to hold these. */
		job->queue = NULL;
		for (struct async_queue *q = a->queues; q != NULL && job->queue == NULL; q = q->next) {
			if (strcmp(q->name, job->function) == 0)
				job->queue = q;
		}
		if (job->queue == NULL) {
			struct async_queue *q = calloc(1, sizeof(*q));
			if (q == NULL || (q->name = strdup(job->function)) == NULL ||
			    ring_init(&q->ring, 16) < 0) {
				free(q != NULL ? q->name : NULL);
				free(q);
				async_table_remove(&a->jobs, job);
				async_job_free(job);
				return;
			}
			q->next = a->queues;
			a->queues = q;
			job->queue = q;
		}
		a->live_bytes += journal_record_size(r);
		return;
	case JOURNAL_STARTED:
		if (job != NULL) {
			job->attempts = r->attempt;
			job->started_ms = r->time_ms;
		}
		return;
	case JOURNAL_FINISHED:
		if (job == NULL || job->state != ASYNC_QUEUED)
			return;
		job->state = r->succeeded ? ASYNC_SUCCEEDED : ASYNC_FAILED;
		job->attempts = r->attempts;
		job->status = r->status;
		job->finished_ms = r->time_ms;
		buf_reset(&job->response);
		buf_append(&job->response, r->response, r->response_len);
		async_job_take_callback(job);
		async_live_finish(a, job);
		TAILQ_INSERT_TAIL(&a->done, job, done_link);
		return;
	case JOURNAL_FORGOTTEN:
		if (job != NULL && job->state != ASYNC_QUEUED)
			async_forget(a, job);
		return;
	case JOURNAL_DELIVERED:
		if (job == NULL || job->callback_url == NULL || job->callback_state != CALLBACK_PENDING)
			return;
		job->callback_state = r->succeeded ? CALLBACK_DELIVERED : CALLBACK_FAILED;
		job->callback_attempts = r->attempts;
		a->live_bytes += journal_record_size(r);
		return;
	}
}

static void async_replay_skipped(void *ctx, uint64_t offset, uint64_t len)
{
	struct async_replay_stats *stats = ctx;

	stats->skipped += len;
	log_warn("async: journal %s: skipped %llu corrupt or torn bytes at offset %llu",
	    stats->a->gw->conf->async_journal, (unsigned long long)len,
	    (unsigned long long)offset);
}

/*
 * The params a finished job's ACCEPTED record carries through compaction:
 * its callback URL alone (what a delivery still owed needs, and what its
 * JSON shows after), into out. 0 / -1 (memory).
 */
static int async_callback_params(const struct async_job *job, struct buf *out)
{
	size_t name_len = strlen(CALLBACK_URL_PARAM), url_len = strlen(job->callback_url);
	size_t n = fcgi_nv_encoded_size(name_len, url_len);
	uint8_t pair[CALLBACK_URL_MAX + 64];

	if (n == 0 || n > sizeof(pair))
		return -1;
	fcgi_nv_encode(pair, sizeof(pair), CALLBACK_URL_PARAM, name_len, job->callback_url,
	    url_len);
	return buf_append(out, pair, n);
}

/*
 * Compaction: each live job as few records as rebuild it: ACCEPTED (with its
 * request only while it may still run, with its callback URL after), its
 * last STARTED, FINISHED, and DELIVERED once its callback is over.
 */
int async_write_live(void *ctx, struct journal *out)
{
	struct async *a = ctx;
	uint64_t live = 0;

	for (size_t i = 0; i < a->jobs.bucket_count; i++) {
		for (struct async_job *job = a->jobs.buckets[i]; job != NULL; job = job->hash_next) {
			bool finished = job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED;
			struct buf url_params = { 0 };
			if (finished && job->callback_url != NULL &&
			    async_callback_params(job, &url_params) < 0)
				return -1;
			const struct buf *params = finished ? &url_params : &job->params;
			struct journal_record r = {
				.type = JOURNAL_ACCEPTED, .time_ms = job->created_ms,
				.function = job->function, .function_len = strlen(job->function),
				.params = buf_head(params), .params_len = buf_used(params),
				.body = buf_head(&job->body), .body_len = buf_used(&job->body),
			};
			memcpy(r.id, job->id, JOURNAL_ID_LEN);
			int appended = journal_append(out, &r);
			live += journal_record_size(&r);
			buf_free(&url_params);
			if (appended < 0)
				return -1;
			if (job->attempts > 0 && !finished) {
				r = (struct journal_record){ .type = JOURNAL_STARTED,
					.time_ms = job->started_ms, .attempt = job->attempts };
				memcpy(r.id, job->id, JOURNAL_ID_LEN);
				if (journal_append(out, &r) < 0)
					return -1;
			}
			if (finished) {
				r = (struct journal_record){ .type = JOURNAL_FINISHED,
					.time_ms = job->finished_ms,
					.succeeded = job->state == ASYNC_SUCCEEDED,
					.attempts = job->attempts, .status = job->status,
					.response = buf_head(&job->response),
					.response_len = buf_used(&job->response) };
				memcpy(r.id, job->id, JOURNAL_ID_LEN);
				if (journal_append(out, &r) < 0)
					return -1;
				live += journal_record_size(&r);
			}
			if (finished && job->callback_url != NULL &&
			    job->callback_state != CALLBACK_PENDING) {
				r = (struct journal_record){ .type = JOURNAL_DELIVERED,
					.time_ms = job->finished_ms,
					.succeeded = job->callback_state == CALLBACK_DELIVERED,
					.attempts = job->callback_attempts };
				memcpy(r.id, job->id, JOURNAL_ID_LEN);
				if (journal_append(out, &r) < 0)
					return -1;
				live += journal_record_size(&r);
			}
		}
	}
	a->live_bytes = live;
	return 0;
}

/*
 * The bytes of job's ACCEPTED record as async_write_live() writes it: with
 * its request while it may still run, with its callback URL alone once it
 * has finished.
 */
static uint64_t async_accepted_bytes(const struct async_job *job, bool finished)
{
	struct journal_record r = {
		.type = JOURNAL_ACCEPTED, .function_len = strlen(job->function),
		.params_len = finished ? 0 : buf_used(&job->params),
		.body_len = finished ? 0 : buf_used(&job->body),
	};
	if (finished && job->callback_url != NULL)
		r.params_len = fcgi_nv_encoded_size(strlen(CALLBACK_URL_PARAM),
		    strlen(job->callback_url));
	return journal_record_size(&r);
}

/*
 * The bytes async_write_live() counts in live_bytes for job: its ACCEPTED
 * record, its FINISHED record once it has finished and its DELIVERED once
 * its callback is over. What a job adds to
 * live_bytes is what it takes away when it changes or goes, so live_bytes
 * falls back when jobs are forgotten and compaction can happen.
 */
static uint64_t async_live_job_bytes(const struct async_job *job)
{
	bool finished = job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED;
	uint64_t bytes = async_accepted_bytes(job, finished);

	if (finished) {
		struct journal_record r = { .type = JOURNAL_FINISHED,
			.response_len = buf_used(&job->response) };
		bytes += journal_record_size(&r);
	}
	if (job->callback_url != NULL && job->callback_state != CALLBACK_PENDING) {
		struct journal_record r = { .type = JOURNAL_DELIVERED };
		bytes += journal_record_size(&r);
	}
	return bytes;
}

/*
 * A finished job's request is dropped (buffers freed) and live_bytes moves
 * from its full ACCEPTED record to what compaction keeps of it now.
 */
void async_live_finish(struct async *a, struct async_job *job)
{
	uint64_t request = async_accepted_bytes(job, false);

	a->live_bytes -= request < a->live_bytes ? request : a->live_bytes;
	buf_free(&job->params);
	buf_free(&job->body);
	a->live_bytes += async_live_job_bytes(job);
}

/*
 * A job gone from memory: its records leave live_bytes (compaction drops
 * them), its id the table, and it is freed. Out of every list first.
 */
void async_discard(struct async *a, struct async_job *job)
{
	uint64_t bytes = async_live_job_bytes(job);

	a->live_bytes -= bytes < a->live_bytes ? bytes : a->live_bytes;
	async_table_remove(&a->jobs, job);
	async_job_free(job);
}

/* A finished job past its result_ttl: gone (its id answers 404). */
void async_forget(struct async *a, struct async_job *job)
{
	TAILQ_REMOVE(&a->done, job, done_link);
	async_discard(a, job);
	async_return_memory(a);
}

/*
 * After a burst of jobs has gone, RSS follows it down. glibc keeps the
 * freed heap, which is fragmented by whatever is still live, so the
 * process would stay at its peak for good; malloc_trim() hands the free
 * pages back. It walks the heap, so it runs only when the jobs held have
 * halved since the last time (counting from the most held in between),
 * and by ASYNC_TRIM_MIN_JOBS at least: log2(peak) calls drain any burst.
 */
static void async_return_memory(struct async *a)
{
	size_t held = a->jobs.count;

	if (held + 1 > a->jobs_at_trim)
		a->jobs_at_trim = held + 1;
	if (held > a->jobs_at_trim / 2 || a->jobs_at_trim - held < ASYNC_TRIM_MIN_JOBS)
		return;
	malloc_trim(0);
	a->jobs_at_trim = held;
}

/* Moves a ring's entries, in order, into a ring of a new capacity. 0 / -1. */
int async_ring_resize(struct ring *r, size_t capacity)
{
	struct ring bigger;

	if (ring_init(&bigger, capacity) < 0)
		return -1;
	void *item;
	while ((item = ring_pop(r)) != NULL)
		ring_push(&bigger, item);
	ring_free(r);
	*r = bigger;
	return 0;
}
