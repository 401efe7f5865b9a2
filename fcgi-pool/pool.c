/*
 * pool.c: a function's pool: the idle stack, the bounded wait queue, and
 * what happens to a job whose worker died (see pool.h). It never branches on
 * the protocol: its slots are run through the slot_ops chosen at creation
 * (worker.c for FastCGI, cgi_slot.c for CGI) and report through
 * pool_slot_events. How many slots are up is scaling.c's.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cgi_slot.h"
#include "pool_internal.h"
#include "scaling.h"
#include "worker.h"

static void pool_slot_set_state(struct slot *s, enum slot_state state);
static void pool_slot_ready(struct slot *s);
static void pool_slot_served(struct slot *s);
static void pool_slot_reaped(struct slot *s, int status, struct pool_job *job);
static void pool_job_after_death(struct pool *pool, struct pool_job *job, int status);
static void pool_held_back(struct pool *pool);
static void pool_on_queue_timeout(struct ev_loop *loop, ev_timer *timer, int revents);
static void pool_enqueue(struct pool *pool, struct pool_job *job, bool at_head);
static void pool_dequeue(struct pool *pool, struct pool_job *job);
static void pool_fail_waiting(struct pool *pool, enum pool_error error);
static void pool_dispatch(struct pool *pool);
static void pool_unidle(struct pool *pool, struct slot *s);
static void pool_run(struct pool *pool, struct pool_job *job);

static const struct slot_events pool_slot_events = {
	.set_state = pool_slot_set_state,
	.ready = pool_slot_ready,
	.served = pool_slot_served,
	.reaped = pool_slot_reaped,
};

static const struct scaling_events pool_scaling_events = {
	.held_back = pool_held_back,
};

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
	pool->slot_ops = config->cgi ? &cgi_slot_ops : &worker_slot_ops;
	pool->slots = calloc(config->max_children, sizeof(*pool->slots));
	pool->idle = calloc(config->max_children, sizeof(*pool->idle));
	scaling_init(pool, &pool_scaling_events);
	if (pool->slots == NULL || pool->idle == NULL)
		goto fail;
	for (unsigned i = 0; i < config->max_children; i++) {
		struct slot *s = pool->slot_ops->create();
		if (s == NULL)
			goto fail;
		s->pool = pool;
		s->loop = loop;
		s->config = &pool->config;
		s->pool_events = events;
		s->events = &pool_slot_events;
		s->index = i;
		pool->slots[i] = s;
	}
	return pool;

fail:
	pool_free(pool);
	return NULL;
}

int pool_start(struct pool *pool, char *err, size_t err_len)
{
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
	job->slot = NULL;
	job->output_started = 0;
	job->resends = 0;
	job->retried = 0;
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
		pool_run(pool, job);
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

/* Gives queued jobs to idle slots, oldest job to the warmest worker. */
static void pool_dispatch(struct pool *pool)
{
	while (pool->idle_count > 0 && pool->queue_head != NULL) {
		struct pool_job *job = pool->queue_head;
		pool_dequeue(pool, job);
		pool_run(pool, job);
	}
}

/* Runs job on the warmest idle slot (the top of the stack), noting when it started. */
static void pool_run(struct pool *pool, struct pool_job *job)
{
	struct slot *s = pool->idle[pool->idle_count - 1];

	s->job_since = ev_now(pool->loop);
	pool->slot_ops->run(s, job);
}

/*
 * Puts a job in the wait queue: at the tail when new, at the head when it
 * is being resent after its worker exited cleanly without answering.
 */
static void pool_enqueue(struct pool *pool, struct pool_job *job, bool at_head)
{
	job->queued = 1;
	job->slot = NULL;
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

/* Fails every waiting job with error. */
static void pool_fail_waiting(struct pool *pool, enum pool_error error)
{
	while (pool->queue_head != NULL) {
		struct pool_job *job = pool->queue_head;
		pool_dequeue(pool, job);
		job->ops->fail(job, error);
	}
}

static void pool_held_back(struct pool *pool)
{
	pool_fail_waiting(pool, POOL_ERR_HELD_BACK);
}

static void pool_on_queue_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct pool_job *job = timer->data;
	(void)loop;
	(void)revents;

	pool_dequeue(job->pool, job);
	job->ops->fail(job, POOL_ERR_QUEUE_TIMEOUT);
}

void pool_job_cancel(struct pool_job *job)
{
	if (job->queued)
		pool_dequeue(job->pool, job);
	else if (job->slot != NULL)
		job->pool->slot_ops->cancel(job->slot, job);
}

pid_t pool_job_pid(const struct pool_job *job)
{
	if (job->slot == NULL)
		return 0;
	return job->pool->slot_ops->pid(job->slot);
}

void pool_job_pause(struct pool_job *job)
{
	if (job->slot != NULL && job->slot->job == job)
		job->pool->slot_ops->pause(job->slot);
}

void pool_job_resume(struct pool_job *job)
{
	if (job->slot != NULL && job->slot->job == job)
		job->pool->slot_ops->resume(job->slot);
}

/*
 * A slot just became IDLE: give it the oldest waiting job, if any; if it
 * is still idle, tell the owner (who may have jobs of its own to run).
 */
static void pool_slot_ready(struct slot *s)
{
	struct pool *pool = s->pool;

	pool_dispatch(pool);
	if (pool->idle_count > 0 && !pool->stopping && pool->events->idle)
		pool->events->idle(pool);
}

/*
 * The only place a slot's state changes: the counters and the idle stack
 * follow.
 */
static void pool_slot_set_state(struct slot *s, enum slot_state to)
{
	struct pool *pool = s->pool;
	enum slot_state from = s->state;

	if (from == to)
		return;
	s->state = to;
	if (from == SLOT_IDLE)
		pool_unidle(pool, s);
	if (to == SLOT_IDLE) {
		pool->idle[pool->idle_count++] = s;
		s->idle_since = ev_now(pool->loop);
	}
	if (from == SLOT_DOWN)
		pool->running++;
	if (to == SLOT_DOWN)
		pool->running--;
}

/* Removes s from the idle stack (it is usually on top). */
static void pool_unidle(struct pool *pool, struct slot *s)
{
	for (unsigned i = pool->idle_count; i-- > 0;) {
		if (pool->idle[i] == s) {
			memmove(&pool->idle[i], &pool->idle[i + 1],
			    (pool->idle_count - i - 1) * sizeof(pool->idle[0]));
			pool->idle_count--;
			return;
		}
	}
}

/* A job got its END_REQUEST: the function works, whatever came before. */
static void pool_slot_served(struct slot *s)
{
	scaling_request_done(s->pool);
}

/*
 * A slot's process was reaped. The job it held, if no STDOUT of it reached
 * the owner, runs again on another worker (at the head of the queue):
 *
 * - when the worker exited cleanly: php-cgi ends itself after
 *   PHP_FCGI_MAX_REQUESTS and may leave a request unread, and that request
 *   never ran. Workers of one pool tend to reach that limit together, so a
 *   job may meet several exiting workers in a row: it is resent up to once
 *   per worker of the pool, plus one;
 * - once when the owner marked it retry_safe (an idempotent request) and
 *   the worker died of something else than what the request made it do: a
 *   kill -9, the OOM killer, a crash, a lost connection. Not after its
 *   seccomp filter (SIGSYS) or a resource limit (SIGXCPU, SIGXFSZ) killed
 *   it: the request would do the same to the next worker. The request may
 *   have run partly; the others are run at most once.
 *
 * Any other end fails the job. The worker failed unless the pool retired
 * it, or it had served and ended in order (exit 0 or SIGTERM): crashes,
 * kills (seccomp, rlimits, kill -9) and workers that never served feed the
 * backoff and the crash-loop count.
 */
static void pool_slot_reaped(struct slot *s, int status, struct pool_job *job)
{
	struct pool *pool = s->pool;
	bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (job != NULL)
		pool_job_after_death(pool, job, status);
	bool orderly = s->retiring || (s->requests_served > 0 &&
	    (clean_exit || (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM)));
	scaling_worker_exited(pool, !orderly);
}

/* The fate of a job whose worker died under it (see pool_slot_reaped). */
static void pool_job_after_death(struct pool *pool, struct pool_job *job, int status)
{
	bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	bool self_inflicted = WIFSIGNALED(status) && (WTERMSIG(status) == SIGSYS ||
	    WTERMSIG(status) == SIGXCPU || WTERMSIG(status) == SIGXFSZ);
	bool again = false;

	if (!job->output_started && !pool->stopping) {
		if (clean_exit && job->resends <= pool->config.max_children) {
			job->resends++;
			again = true;
		} else if (job->retry_safe && !job->retried && !self_inflicted) {
			job->retried = 1;
			again = true;
		}
	}
	if (!again) {
		job->ops->fail(job, POOL_ERR_WORKER_DIED);
		return;
	}
	pool_enqueue(pool, job, true);
	pool_dispatch(pool);
}

unsigned pool_stop(struct pool *pool)
{
	pool->stopping = true;
	scaling_stop(pool);
	pool_fail_waiting(pool, POOL_ERR_STOPPED);
	for (unsigned i = 0; i < pool->config.max_children; i++)
		pool->slot_ops->stop(pool->slots[i]);
	return pool_live_workers(pool);
}

void pool_kill(struct pool *pool)
{
	for (unsigned i = 0; i < pool->config.max_children; i++)
		pool->slot_ops->kill(pool->slots[i]);
}

unsigned pool_live_workers(const struct pool *pool)
{
	unsigned live = 0;

	for (unsigned i = 0; i < pool->config.max_children; i++)
		live += pool->slots[i]->live;
	return live;
}

bool pool_has_room(const struct pool *pool)
{
	if (pool->stopping || pool->queue_len > 0 || scaling_held_back(pool))
		return false;
	return pool->idle_count > 0 ||
	    (pool->config.scaling != POOL_STATIC && pool->running < pool->config.max_children);
}

/* Also frees a pool that pool_create() could not finish. */
void pool_free(struct pool *pool)
{
	if (pool == NULL)
		return;
	scaling_stop(pool);
	for (unsigned i = 0; pool->slots != NULL && i < pool->config.max_children; i++) {
		if (pool->slots[i] != NULL)
			pool->slot_ops->destroy(pool->slots[i]);
	}
	free(pool->slots);
	free(pool->idle);
	free(pool);
}

void pool_get_stats(const struct pool *pool, struct pool_stats *out)
{
	*out = (struct pool_stats){ .max = pool->config.max_children, .queued = pool->queue_len,
		.queue_max = pool->config.queue_max, .held_back = scaling_held_back(pool) };
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		const struct slot *s = pool->slots[i];
		if (s == NULL)
			continue;
		out->idle += s->state == SLOT_IDLE;
		out->busy += s->state == SLOT_BUSY;
		out->exiting += s->state == SLOT_EXITING;
	}
}

void pool_each_worker(const struct pool *pool,
    void (*each)(void *arg, const struct pool_worker *worker), void *arg)
{
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		const struct slot *s = pool->slots[i];
		pid_t pid = s != NULL ? pool->slot_ops->pid(s) : 0;
		if (pid <= 0)
			continue;
		struct pool_worker w = { .pid = pid, .requests_served = s->requests_served,
			.up_since = s->spawned_at, .job = s->job, .job_since = s->job_since,
			.state = s->state == SLOT_BUSY ? POOL_WORKER_BUSY :
			    s->state == SLOT_EXITING ? POOL_WORKER_EXITING : POOL_WORKER_IDLE };
		each(arg, &w);
	}
}
