/*
 * async_results.c: finished async jobs (see async_internal.h): kept, oldest
 * first, per function within async.results_max and async.results_memory,
 * and forgotten after async.result_ttl, on one timer for the next expiry.
 */
#include <stdlib.h>
#include <string.h>

#include "async_internal.h"

static int async_finished_order(const void *x, const void *y);
static void async_done_add(struct async_job *job);
static void async_done_remove(struct async_job *job);
static void async_bound_results(struct async *a, const struct async_job *newest);
static void async_on_expiry(struct ev_loop *loop, ev_timer *timer, int revents);
static double async_ttl(struct async *a, const struct async_queue *q);

void async_results_init(struct async *a)
{
	ev_timer_init(&a->expiry_timer, async_on_expiry, 0., 0.);
	a->expiry_timer.data = a;
}

/*
 * A job just finished (its FINISHED record written): it is kept, the
 * newest of its function's, which may forget the oldest beyond the
 * bounds, and the expiry timer counts it.
 */
void async_results_keep(struct async *a, struct async_job *job)
{
	TAILQ_INSERT_TAIL(&a->done, job, done_link);
	async_done_add(job);
	async_bound_results(a, job);
	async_arm_expiry(a);
}

/* A kept job is no longer finished (async.backend = nats: a newer value came): out of the lists. */
void async_results_unkeep(struct async *a, struct async_job *job)
{
	TAILQ_REMOVE(&a->done, job, done_link);
	async_done_remove(job);
}

/* A finished job leaves its queue's finished jobs. */
static void async_done_remove(struct async_job *job)
{
	struct async_queue *q = job->queue;

	TAILQ_REMOVE(&q->done, job, queue_done_link);
	q->done_count--;
	q->done_bytes -= buf_used(&job->response);
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
int async_adopt_finished(struct async *a)
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
void async_forget_recorded(struct async *a, struct async_job *job, uint64_t now_ms)
{
	struct journal_record r = { .type = JOURNAL_FORGOTTEN, .time_ms = now_ms };

	memcpy(r.id, job->id, JOURNAL_ID_LEN);
	async_record(a, &r);
	async_done_remove(job);
	async_forget(a, job);
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
void async_arm_expiry(struct async *a)
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
