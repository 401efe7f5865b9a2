/*
 * cgi_slot.c: a pool's slots in mode = cgi (see cgi_slot.h).
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>

#include "cgi_slot.h"
#include "fcgi.h"
#include "pool_internal.h"

static void cgi_slot_on_output(void *owner, const uint8_t *data, size_t len);
static void cgi_slot_on_stderr(void *owner, pid_t pid, const char *line, size_t len);
static void cgi_slot_on_done(void *owner, int status);
static void cgi_slot_on_spawn_failed(void *owner, const char *message);
static void cgi_slot_on_timeout(struct ev_loop *loop, ev_timer *timer, int revents);

static const struct cgi_events cgi_slot_events = {
	.output = cgi_slot_on_output,
	.stderr_line = cgi_slot_on_stderr,
	.done = cgi_slot_on_done,
	.spawn_failed = cgi_slot_on_spawn_failed,
};

void cgi_slot_start(struct pool *pool)
{
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		struct worker *w = &pool->workers[i];
		ev_init(&w->request_timer, cgi_slot_on_timeout);
		w->request_timer.data = w;
		worker_set_state(w, WORKER_IDLE);
	}
}

/*
 * Starts the program for job. A program that cannot even be forked fails
 * the job at once (502); one that fails at exec reports through done().
 */
void cgi_slot_run(struct worker *w, struct pool_job *job)
{
	struct pool *pool = w->pool;
	const struct cgi_program program = {
		.spawner = pool->config.spawner,
		.generation = pool->config.generation,
		.function = pool->config.name,
		.program = pool->config.program,
	};
	char err[256];

	worker_set_state(w, WORKER_BUSY);
	w->cgi = cgi_start(pool->loop, &program, job->request, job->request_len, &cgi_slot_events,
	    w, err, sizeof(err));
	if (w->cgi == NULL) {
		if (pool->events->spawn_failed)
			pool->events->spawn_failed(pool, err);
		worker_set_state(w, WORKER_IDLE);
		job->ops->fail(job, POOL_ERR_WORKER_DIED);
		pool_worker_ready(pool, w);
		return;
	}
	w->job = job;
	job->worker = w;
	pool->live++;
	if (pool->config.request_timeout > 0) {
		ev_timer_set(&w->request_timer, pool->config.request_timeout, 0.);
		ev_timer_start(pool->loop, &w->request_timer);
	}
}

static void cgi_slot_on_output(void *owner, const uint8_t *data, size_t len)
{
	struct worker *w = owner;
	struct pool_job *job = w->job;

	if (job == NULL || len == 0)
		return;
	job->output_started = 1;
	job->ops->output(job, FCGI_STDOUT, data, len);
}

static void cgi_slot_on_stderr(void *owner, pid_t pid, const char *line, size_t len)
{
	struct worker *w = owner;

	if (w->pool->events->stderr_line)
		w->pool->events->stderr_line(w->pool, pid, line, len);
}

static void cgi_slot_on_spawn_failed(void *owner, const char *message)
{
	struct worker *w = owner;

	if (w->pool->events->spawn_failed)
		w->pool->events->spawn_failed(w->pool, message);
}

/*
 * The program ended. With output, the response is complete (its exit
 * status becomes the app status); without, the program failed: 502.
 */
static void cgi_slot_on_done(void *owner, int status)
{
	struct worker *w = owner;
	struct pool *pool = w->pool;
	struct pool_job *job = w->job;

	ev_timer_stop(pool->loop, &w->request_timer);
	cgi_free(w->cgi);
	w->cgi = NULL;
	w->job = NULL;
	pool->live--;
	w->requests_served++;
	worker_set_state(w, WORKER_IDLE);
	if (job != NULL) {
		job->worker = NULL;
		if (job->output_started) {
			job->ops->output(job, FCGI_STDOUT, NULL, 0);
			job->ops->end(job, WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 1,
			    FCGI_REQUEST_COMPLETE);
		} else {
			job->ops->fail(job, POOL_ERR_WORKER_DIED);
		}
	}
	pool_worker_ready(pool, w);
}

/* request_timeout: the job fails now (504); the program is killed. */
static void cgi_slot_on_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct worker *w = timer->data;
	(void)loop;
	(void)revents;

	worker_fail_job(w, POOL_ERR_TIMEOUT);
	cgi_signal(w->cgi, SIGKILL);
}

void cgi_slot_cancel(struct worker *w)
{
	w->job = NULL;
}

void cgi_slot_pause(struct worker *w)
{
	cgi_pause(w->cgi);
}

void cgi_slot_resume(struct worker *w)
{
	cgi_resume(w->cgi);
}

void cgi_slot_signal_all(struct pool *pool, int sig)
{
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		if (pool->workers[i].cgi != NULL)
			cgi_signal(pool->workers[i].cgi, sig);
	}
}

void cgi_slot_free_all(struct pool *pool)
{
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		if (pool->workers[i].cgi != NULL) {
			cgi_free(pool->workers[i].cgi);
			pool->workers[i].cgi = NULL;
		}
	}
}
