/*
 * cgi_slot.c: a pool's slots in mode = cgi (see cgi_slot.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "cgi.h"
#include "cgi_slot.h"
#include "fcgi.h"

/* A CGI slot: the pool's part, then the program running its job. */
struct cgi_slot {
	struct slot slot;		/* first: struct slot * and struct cgi_slot * convert */
	struct cgi_run *run;		/* the program running the job; NULL while idle */
	ev_timer request_timer;		/* request_timeout of the running job */
};

static struct slot *cgi_slot_create(void);
static int cgi_slot_spawn(struct slot *s, char *err, size_t err_len);
static void cgi_slot_run(struct slot *s, struct pool_job *job);
static void cgi_slot_cancel(struct slot *s, struct pool_job *job);
static void cgi_slot_pause(struct slot *s);
static void cgi_slot_resume(struct slot *s);
static void cgi_slot_retire(struct slot *s);
static void cgi_slot_stop(struct slot *s);
static void cgi_slot_kill(struct slot *s);
static void cgi_slot_destroy(struct slot *s);
static pid_t cgi_slot_pid(const struct slot *s);
static void cgi_slot_on_output(void *owner, const uint8_t *data, size_t len);
static void cgi_slot_on_stderr_line(void *owner, pid_t pid, const char *line, size_t len,
    bool cut);
static void cgi_slot_on_stderr_dropped(void *owner, pid_t pid, unsigned long count);
static void cgi_slot_on_done(void *owner, int status);
static void cgi_slot_on_spawn_failed(void *owner, const char *message);
static void cgi_slot_on_timeout(struct ev_loop *loop, ev_timer *timer, int revents);

const struct slot_ops cgi_slot_ops = {
	.create = cgi_slot_create,
	.spawn = cgi_slot_spawn,
	.run = cgi_slot_run,
	.cancel = cgi_slot_cancel,
	.pause = cgi_slot_pause,
	.resume = cgi_slot_resume,
	.retire = cgi_slot_retire,
	.stop = cgi_slot_stop,
	.kill = cgi_slot_kill,
	.destroy = cgi_slot_destroy,
	.pid = cgi_slot_pid,
};

static const struct cgi_events cgi_slot_events = {
	.output = cgi_slot_on_output,
	.stderr = { .line = cgi_slot_on_stderr_line, .dropped = cgi_slot_on_stderr_dropped },
	.done = cgi_slot_on_done,
	.spawn_failed = cgi_slot_on_spawn_failed,
};

/* The slot is the cgi_slot's first member. */
static struct cgi_slot *cgi_slot_of(struct slot *s)
{
	return (struct cgi_slot *)s;
}

static struct slot *cgi_slot_create(void)
{
	struct cgi_slot *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	ev_init(&c->request_timer, cgi_slot_on_timeout);
	c->request_timer.data = c;
	return &c->slot;
}

/* No process while idle: the slot is up at once. */
static int cgi_slot_spawn(struct slot *s, char *err, size_t err_len)
{
	(void)err;
	(void)err_len;
	s->spawned_at = ev_now(s->loop);
	slot_set_state(s, SLOT_IDLE);
	s->events->ready(s);
	return 0;
}

/*
 * Starts the program for job. A program that cannot even be forked fails
 * the job at once (502); one that fails at exec reports through done().
 */
static void cgi_slot_run(struct slot *s, struct pool_job *job)
{
	struct cgi_slot *c = cgi_slot_of(s);
	const struct cgi_program program = {
		.spawner = s->config->spawner,
		.generation = s->config->generation,
		.function = s->config->name,
		.program = s->config->program,
	};
	char err[256];

	slot_set_state(s, SLOT_BUSY);
	c->run = cgi_start(s->loop, &program, job->request, job->request_len, &cgi_slot_events,
	    c, err, sizeof(err));
	if (c->run == NULL) {
		if (s->pool_events->spawn_failed)
			s->pool_events->spawn_failed(s->pool, err);
		slot_set_state(s, SLOT_IDLE);
		job->ops->fail(job, POOL_ERR_WORKER_DIED);
		s->events->ready(s);
		return;
	}
	s->job = job;
	job->slot = s;
	s->live = true;
	if (s->config->request_timeout > 0) {
		ev_timer_set(&c->request_timer, s->config->request_timeout, 0.);
		ev_timer_start(s->loop, &c->request_timer);
	}
}

static void cgi_slot_on_output(void *owner, const uint8_t *data, size_t len)
{
	struct cgi_slot *c = owner;
	struct pool_job *job = c->slot.job;

	if (job == NULL || len == 0)
		return;
	job->output_started = 1;
	job->ops->output(job, FCGI_STDOUT, data, len);
}

static void cgi_slot_on_stderr_line(void *owner, pid_t pid, const char *line, size_t len,
    bool cut)
{
	struct cgi_slot *c = owner;

	if (c->slot.pool_events->stderr_line)
		c->slot.pool_events->stderr_line(c->slot.pool, pid, line, len, cut);
}

static void cgi_slot_on_stderr_dropped(void *owner, pid_t pid, unsigned long count)
{
	struct cgi_slot *c = owner;

	if (c->slot.pool_events->stderr_dropped)
		c->slot.pool_events->stderr_dropped(c->slot.pool, pid, count);
}

static void cgi_slot_on_spawn_failed(void *owner, const char *message)
{
	struct cgi_slot *c = owner;

	if (c->slot.pool_events->spawn_failed)
		c->slot.pool_events->spawn_failed(c->slot.pool, message);
}

/*
 * The program ended. With output, the response is complete (its exit
 * status becomes the app status); without, the program failed: 502.
 */
static void cgi_slot_on_done(void *owner, int status)
{
	struct cgi_slot *c = owner;
	struct slot *s = &c->slot;
	struct pool_job *job = s->job;

	ev_timer_stop(s->loop, &c->request_timer);
	cgi_free(c->run);
	c->run = NULL;
	s->job = NULL;
	s->live = false;
	s->requests_served++;
	slot_set_state(s, SLOT_IDLE);
	if (job != NULL) {
		job->slot = NULL;
		if (job->output_started) {
			job->ops->output(job, FCGI_STDOUT, NULL, 0);
			job->ops->end(job, WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 1,
			    FCGI_REQUEST_COMPLETE);
		} else {
			job->ops->fail(job, POOL_ERR_WORKER_DIED);
		}
	}
	s->events->ready(s);
}

/* request_timeout: the job fails now (504); the program is killed. */
static void cgi_slot_on_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct cgi_slot *c = timer->data;
	(void)loop;
	(void)revents;

	slot_fail_job(&c->slot, POOL_ERR_TIMEOUT);
	cgi_signal(c->run, SIGKILL);
}

/* The job's owner gave up: its program runs on, unseen, until it ends. */
static void cgi_slot_cancel(struct slot *s, struct pool_job *job)
{
	s->job = NULL;
	job->slot = NULL;
}

/* Backpressure on the program's stdout. */
static void cgi_slot_pause(struct slot *s)
{
	cgi_pause(cgi_slot_of(s)->run);
}

static void cgi_slot_resume(struct slot *s)
{
	cgi_resume(cgi_slot_of(s)->run);
}

/* An idle slot holds no process: it is down at once. */
static void cgi_slot_retire(struct slot *s)
{
	slot_set_state(s, SLOT_DOWN);
}

/* A stop or a kill reaches the program running, if any. */
static void cgi_slot_signal(struct slot *s, int sig)
{
	struct cgi_slot *c = cgi_slot_of(s);

	if (c->run != NULL)
		cgi_signal(c->run, sig);
}

static void cgi_slot_stop(struct slot *s)
{
	cgi_slot_signal(s, SIGTERM);
}

static void cgi_slot_kill(struct slot *s)
{
	cgi_slot_signal(s, SIGKILL);
}

/* The pool is freed: what the slot still holds goes (its program already reaped). */
static void cgi_slot_destroy(struct slot *s)
{
	struct cgi_slot *c = cgi_slot_of(s);

	ev_timer_stop(s->loop, &c->request_timer);
	cgi_free(c->run);
	free(c);
}

static pid_t cgi_slot_pid(const struct slot *s)
{
	const struct cgi_slot *c = (const struct cgi_slot *)s;

	return c->run != NULL ? cgi_pid(c->run) : 0;
}
