/*
 * pool.c: a function's pool: the idle stack, the bounded wait queue, and
 * what happens to a job whose worker died (see pool.h). How many workers run
 * is scaling.c's; one worker's mechanics are worker.c's.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cgi_slot.h"
#include "pool_internal.h"
#include "scaling.h"

static void pool_on_queue_timeout(struct ev_loop *loop, ev_timer *timer, int revents);
static void pool_enqueue(struct pool *pool, struct pool_job *job, bool at_head);
static void pool_dequeue(struct pool *pool, struct pool_job *job);
static void pool_dispatch(struct pool *pool);
static void pool_worker_unidle(struct pool *pool, struct worker *w);

struct pool *pool_create(struct ev_loop *loop, const struct pool_config *config,
    const struct pool_events *events, void *owner, char *err, size_t err_len)
{
	struct pool *pool = calloc(1, sizeof(*pool));

	snprintf(err, err_len, "out of memory");
	if (pool == NULL)
		return NULL;
	pool->loop = loop;
	pool->config = *config;
	pool->events = events;
	pool->owner = owner;
	pool->workers = calloc(config->max_children, sizeof(*pool->workers));
	pool->idle = calloc(config->max_children, sizeof(*pool->idle));
	if (pool->workers == NULL || pool->idle == NULL)
		goto fail;
	for (unsigned i = 0; i < config->max_children; i++)
		worker_init(&pool->workers[i], pool, i);
	return pool;

fail:
	free(pool->workers);
	free(pool->idle);
	free(pool);
	return NULL;
}

int pool_start(struct pool *pool, char *err, size_t err_len)
{
	if (pool->config.cgi) {
		cgi_slot_start(pool);
		return 0;
	}
	return scaling_start(pool, err, err_len);
}

void *pool_owner(const struct pool *pool)
{
	return pool->owner;
}

const char *pool_name(const struct pool *pool)
{
	return pool->config.name;
}

int pool_submit(struct pool *pool, struct pool_job *job, enum pool_error *error)
{
	job->pool = pool;
	job->worker = NULL;
	job->output_started = 0;
	job->resends = 0;
	job->queued = 0;
	if (pool->stopping) {
		*error = POOL_ERR_STOPPED;
		return -1;
	}
	if (scaling_held_back(pool)) {
		*error = POOL_ERR_HELD_BACK;
		return -1;
	}
	if (pool->idle_count > 0) {
		worker_run(pool->idle[pool->idle_count - 1], job);
		return 0;
	}
	if (pool->queue_len >= pool->config.queue_max) {
		*error = POOL_ERR_QUEUE_FULL;
		return -1;
	}
	pool_enqueue(pool, job, false);
	scaling_adjust(pool);
	return 0;
}

/* Gives queued jobs to idle workers, oldest job to the warmest worker. */
static void pool_dispatch(struct pool *pool)
{
	while (pool->idle_count > 0 && pool->queue_head != NULL) {
		struct pool_job *job = pool->queue_head;
		pool_dequeue(pool, job);
		worker_run(pool->idle[pool->idle_count - 1], job);
	}
}

/*
 * Puts a job in the wait queue: at the tail when new, at the head when it
 * is being resent after its worker exited cleanly without answering.
 */
static void pool_enqueue(struct pool *pool, struct pool_job *job, bool at_head)
{
	job->queued = 1;
	job->worker = NULL;
	if (at_head) {
		job->prev = NULL;
		job->next = pool->queue_head;
		if (pool->queue_head != NULL)
			pool->queue_head->prev = job;
		else
			pool->queue_tail = job;
		pool->queue_head = job;
	} else {
		job->next = NULL;
		job->prev = pool->queue_tail;
		if (pool->queue_tail != NULL)
			pool->queue_tail->next = job;
		else
			pool->queue_head = job;
		pool->queue_tail = job;
	}
	pool->queue_len++;
	if (pool->config.queue_timeout > 0) {
		ev_timer_init(&job->queue_timer, pool_on_queue_timeout, pool->config.queue_timeout, 0.);
		job->queue_timer.data = job;
		ev_timer_start(pool->loop, &job->queue_timer);
	}
}

static void pool_dequeue(struct pool *pool, struct pool_job *job)
{
	if (job->prev != NULL)
		job->prev->next = job->next;
	else
		pool->queue_head = job->next;
	if (job->next != NULL)
		job->next->prev = job->prev;
	else
		pool->queue_tail = job->prev;
	job->prev = job->next = NULL;
	job->queued = 0;
	pool->queue_len--;
	ev_timer_stop(pool->loop, &job->queue_timer);
}

/* Takes a job out of the queue and fails it. */
void pool_fail_queued(struct pool *pool, struct pool_job *job, enum pool_error error)
{
	pool_dequeue(pool, job);
	job->ops->fail(job, error);
}

static void pool_on_queue_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct pool_job *job = timer->data;
	(void)loop;
	(void)revents;

	pool_fail_queued(job->pool, job, POOL_ERR_QUEUE_TIMEOUT);
}

void pool_job_cancel(struct pool_job *job)
{
	if (job->queued)
		pool_dequeue(job->pool, job);
	else if (job->worker != NULL)
		worker_cancel_job(job->worker, job);
}

void pool_job_pause(struct pool_job *job)
{
	if (job->worker != NULL && job->worker->job == job)
		worker_pause(job->worker);
}

void pool_job_resume(struct pool_job *job)
{
	if (job->worker != NULL && job->worker->job == job)
		worker_resume(job->worker);
}

/*
 * A worker just became IDLE: give it the oldest waiting job, if any; if it
 * is still idle, tell the owner (who may have jobs of its own to run).
 */
void pool_worker_ready(struct pool *pool, struct worker *w)
{
	(void)w;
	pool_dispatch(pool);
	if (pool->idle_count > 0 && !pool->stopping && pool->events->idle)
		pool->events->idle(pool);
}

/*
 * Keeps the counters and the idle stack in step with worker states (called
 * by worker_set_state() only).
 */
void pool_worker_state_changed(struct pool *pool, struct worker *w, enum worker_state from,
    enum worker_state to)
{
	if (from == WORKER_IDLE)
		pool_worker_unidle(pool, w);
	if (to == WORKER_IDLE) {
		pool->idle[pool->idle_count++] = w;
		w->idle_since = ev_now(pool->loop);
	}
	if (from == WORKER_DOWN)
		pool->running++;
	if (to == WORKER_DOWN)
		pool->running--;
}

/* Removes w from the idle stack (it is usually on top). */
static void pool_worker_unidle(struct pool *pool, struct worker *w)
{
	for (unsigned i = pool->idle_count; i-- > 0;) {
		if (pool->idle[i] == w) {
			memmove(&pool->idle[i], &pool->idle[i + 1],
			    (pool->idle_count - i - 1) * sizeof(pool->idle[0]));
			pool->idle_count--;
			return;
		}
	}
}

/*
 * A worker's process was reaped. The job it held is resent when the worker
 * exited cleanly before writing any output: php-cgi ends itself after
 * PHP_FCGI_MAX_REQUESTS and may leave a request unread, and that request
 * never ran. Workers of one pool tend to reach that limit together, so a job
 * may meet several exiting workers in a row: it is resent up to once per
 * worker of the pool, plus one. Any other end fails the job.
 *
 * The worker failed unless the pool retired it, or it had served and ended
 * in order (exit 0 or SIGTERM): crashes, kills (seccomp, rlimits, kill -9)
 * and workers that never served feed the backoff and the crash-loop count.
 */
void pool_worker_reaped(struct pool *pool, struct worker *w, int status,
    struct pool_job *job)
{
	bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (job != NULL) {
		if (clean_exit && !job->output_started && !pool->stopping &&
		    job->resends <= pool->config.max_children) {
			job->resends++;
			pool_enqueue(pool, job, true);
			pool_dispatch(pool);
		} else {
			job->ops->fail(job, POOL_ERR_WORKER_DIED);
		}
	}
	bool orderly = w->retiring || (w->requests_served > 0 &&
	    (clean_exit || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)));
	scaling_worker_exited(pool, w, !orderly);
}

unsigned pool_stop(struct pool *pool)
{
	pool->stopping = true;
	scaling_stop(pool);
	while (pool->queue_head != NULL)
		pool_fail_queued(pool, pool->queue_head, POOL_ERR_STOPPED);
	if (pool->config.cgi) {
		cgi_slot_signal_all(pool, SIGTERM);
		return pool->live;
	}
	/* Closing first: a worker blocked reading its kept connection may not
	 * act on SIGTERM until that read returns. */
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		struct worker *w = &pool->workers[i];
		worker_close_connection(w);
		worker_signal(w, SIGTERM);
	}
	return pool->live;
}

void pool_kill(struct pool *pool)
{
	if (pool->config.cgi) {
		cgi_slot_signal_all(pool, SIGKILL);
		return;
	}
	for (unsigned i = 0; i < pool->config.max_children; i++)
		worker_signal(&pool->workers[i], SIGKILL);
}

unsigned pool_live_workers(const struct pool *pool)
{
	return pool->live;
}

bool pool_has_room(const struct pool *pool)
{
	if (pool->stopping || pool->queue_len > 0 || scaling_held_back(pool))
		return false;
	return pool->idle_count > 0 ||
	    (pool->config.scaling != POOL_STATIC && !pool->config.cgi &&
		pool->running < pool->config.max_children);
}

void pool_free(struct pool *pool)
{
	if (pool == NULL)
		return;
	cgi_slot_free_all(pool);
	scaling_stop(pool);
	for (unsigned i = 0; i < pool->config.max_children; i++)
		worker_forget(&pool->workers[i]);
	free(pool->workers);
	free(pool->idle);
	free(pool);
}
