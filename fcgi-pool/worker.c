/*
 * worker.c: a slot filled by one FastCGI worker (see worker.h): its process,
 * its keep-conn connection, the job it runs, its stderr. Policy (idle
 * stack, queue, respawn) is the pool's, told through the slot's events.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fcgi.h"
#include "spawner.h"
#include "stderr_lines.h"
#include "proc_rss.h"
#include "worker.h"
#include "worker_socket.h"

/* Seconds a worker whose connection ended gets to exit before SIGKILL. */
#define WORKER_KILL_GRACE 2.0
/* Seconds a worker past request_timeout has to report what it is doing (its dump_signal). */
#define WORKER_DUMP_GRACE 0.5

/* A FastCGI worker: the pool's part, then its process and connection. */
struct worker {
	struct slot slot;		/* first: struct slot * and struct worker * convert */
	pid_t pid;			/* 0 when no process */
	uint64_t child;			/* the spawner's id for the process, 0 when none */
	int fd;				/* connection to the worker, -1 until its first job */
	char sock_path[108];		/* the worker's socket until we connect (sun_path size) */
	struct buf in;			/* records read from the worker */
	struct buf out;			/* request bytes the socket did not take yet */
	struct pool_job *dying_job;	/* job whose fate waits for the process to be reaped */
	bool paused;			/* the job's owner asked us to stop reading */
	size_t stderr_relayed;		/* the job's FCGI_STDERR bytes handed over */
	unsigned stderr_records;	/* and its records */
	size_t stderr_dropped;		/* the job's FCGI_STDERR bytes past the bounds */
	ev_io read_watcher;
	ev_io write_watcher;
	ev_io exec_error_watcher;
	struct spawner_watch exit_watch;	/* the spawner reports its process's exit */
	ev_timer timer;			/* kill grace when EXITING */
	ev_timer resume_timer;		/* 0 s: hands over records read before a pause */
	ev_timer request_timer;		/* request_timeout of the running job */
	ev_timer spawn_timer;		/* spawn_timeout: fork to exec */
	struct stderr_lines stderr_lines;	/* its stderr pipe, as bounded lines */
};

static struct slot *worker_create(void);
static int worker_spawn(struct slot *s, char *err, size_t err_len);
static void worker_run(struct slot *s, struct pool_job *job);
static void worker_cancel(struct slot *s, struct pool_job *job);
static void worker_pause(struct slot *s);
static void worker_resume(struct slot *s);
static void worker_retire(struct slot *s);
static void worker_stop(struct slot *s);
static void worker_kill(struct slot *s);
static void worker_destroy(struct slot *s);
static pid_t worker_pid(const struct slot *s);
static void worker_on_readable(struct ev_loop *loop, ev_io *io, int revents);
static void worker_on_writable(struct ev_loop *loop, ev_io *io, int revents);
static void worker_on_exec_error(struct ev_loop *loop, ev_io *io, int revents);
static void worker_on_exit(struct spawner_watch *watch, int status);
static void worker_on_grace_expired(struct ev_loop *loop, ev_timer *timer, int revents);
static void worker_on_resume(struct ev_loop *loop, ev_timer *timer, int revents);
static void worker_on_request_timeout(struct ev_loop *loop, ev_timer *timer, int revents);
static void worker_on_spawn_timeout(struct ev_loop *loop, ev_timer *timer, int revents);
static bool worker_over_memory(const struct worker *w);
static int worker_connect(struct worker *w);
static void worker_process_input(struct worker *w);
static int worker_handle_record(struct worker *w, const struct fcgi_record *rec);
static void worker_end_job(struct worker *w, const struct fcgi_record *rec);
static void worker_fail_protocol(struct worker *w);
static void worker_report_stderr_dropped(struct worker *w);
static void worker_on_stderr_line(void *owner, pid_t pid, const char *line, size_t len,
    bool cut);
static void worker_on_stderr_dropped(void *owner, pid_t pid, unsigned long count);
static void worker_close_connection(struct worker *w);
static void worker_signal(struct worker *w, int sig);

const struct slot_ops worker_slot_ops = {
	.create = worker_create,
	.spawn = worker_spawn,
	.run = worker_run,
	.cancel = worker_cancel,
	.pause = worker_pause,
	.resume = worker_resume,
	.retire = worker_retire,
	.stop = worker_stop,
	.kill = worker_kill,
	.destroy = worker_destroy,
	.pid = worker_pid,
};

static const struct stderr_lines_events worker_stderr_events = {
	.line = worker_on_stderr_line,
	.dropped = worker_on_stderr_dropped,
};

/* The slot is the worker's first member. */
static struct worker *worker_of(struct slot *s)
{
	return (struct worker *)s;
}

static struct slot *worker_create(void)
{
	struct worker *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->fd = -1;
	ev_init(&w->timer, worker_on_grace_expired);
	w->timer.data = w;
	ev_timer_init(&w->resume_timer, worker_on_resume, 0., 0.);
	w->resume_timer.data = w;
	ev_init(&w->request_timer, worker_on_request_timeout);
	w->request_timer.data = w;
	ev_init(&w->spawn_timer, worker_on_spawn_timeout);
	w->spawn_timer.data = w;
	return &w->slot;
}

/*
 * Forks the worker process. On success the worker is IDLE: a request may be
 * sent at once (it waits in the socket's backlog until the program
 * accepts). The connection is made with the first request, since libfcgi
 * drops a unix connection that stays silent for 2 s after accept().
 * Returns 0, or -1 with err filled.
 */
static int worker_spawn(struct slot *s, char *err, size_t err_len)
{
	struct worker *w = worker_of(s);
	const struct pool_config *config = s->config;
	struct worker_start r;

	/* The pool's serial keeps the paths of a function's old and new pools
	 * apart during a reload, and gives nothing of our memory away. */
	int n = snprintf(w->sock_path, sizeof(w->sock_path), "%s/%s.%u.%u.sock",
	    config->run_dir, config->name, config->serial, s->index);
	if (n < 0 || (size_t)n >= sizeof(w->sock_path)) {
		snprintf(err, err_len, "worker socket path too long in run_dir %s",
		    config->run_dir);
		return -1;
	}
	if (worker_socket_start(w->sock_path, config->spawner, config->generation,
		config->name, &r, err, err_len) < 0)
		return -1;

	w->pid = r.child.pid;
	w->child = r.child.id;
	w->fd = -1;
	s->requests_served = 0;
	s->retiring = false;
	s->spawned_at = ev_now(s->loop);
	if (config->spawn_timeout > 0) {
		ev_timer_set(&w->spawn_timer, config->spawn_timeout, 0.);
		ev_timer_start(s->loop, &w->spawn_timer);
	}
	w->paused = false;
	buf_reset(&w->in);
	buf_reset(&w->out);
	ev_init(&w->read_watcher, worker_on_readable);
	ev_init(&w->write_watcher, worker_on_writable);
	ev_io_init(&w->exec_error_watcher, worker_on_exec_error, r.exec_error_fd, EV_READ);
	w->exit_watch.data = w->read_watcher.data = w->write_watcher.data = w;
	w->exec_error_watcher.data = w;
	spawner_watch(config->spawner, &w->exit_watch, r.child.id, worker_on_exit);
	stderr_lines_start(&w->stderr_lines, s->loop, r.stderr_fd, r.child.pid,
	    &worker_stderr_events, w);
	ev_io_start(s->loop, &w->exec_error_watcher);
	s->live = true;
	if (s->pool_events->spawned)
		s->pool_events->spawned(s->pool, r.child.pid);
	slot_set_state(s, SLOT_IDLE);
	s->events->ready(s);
	return 0;
}

/*
 * Sends job's request to an IDLE worker. What the socket does not take at
 * once is copied, so the owner may cancel and free the job at any time.
 */
static void worker_run(struct slot *s, struct pool_job *job)
{
	struct worker *w = worker_of(s);

	slot_set_state(s, SLOT_BUSY);
	s->job = job;
	job->slot = s;
	w->stderr_relayed = 0;
	w->stderr_records = 0;
	w->stderr_dropped = 0;
	if (s->config->request_timeout > 0) {
		ev_timer_set(&w->request_timer, s->config->request_timeout, 0.);
		ev_timer_start(s->loop, &w->request_timer);
	}
	if (w->fd < 0 && worker_connect(w) < 0) {
		worker_close_connection(w);
		return;
	}

	ssize_t n;
	do
		n = write(w->fd, job->request, job->request_len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN) {
		worker_close_connection(w);
		return;
	}
	size_t sent = n < 0 ? 0 : (size_t)n;
	if (sent < job->request_len) {
		if (buf_append(&w->out, job->request + sent, job->request_len - sent) < 0) {
			worker_close_connection(w);
			return;
		}
		ev_io_start(s->loop, &w->write_watcher);
	}
}

/*
 * The first job's connection. A refusal means the program closed its
 * listening socket: it is exiting, and its reaping decides about the job.
 */
static int worker_connect(struct worker *w)
{
	char err[256];

	w->fd = worker_socket_connect(w->sock_path, err, sizeof(err));
	if (w->fd < 0)
		return -1;
	ev_io_set(&w->read_watcher, w->fd, EV_READ);
	ev_io_set(&w->write_watcher, w->fd, EV_WRITE);
	ev_io_start(w->slot.loop, &w->read_watcher);
	return 0;
}

static void worker_on_writable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	(void)revents;

	ssize_t n = write(w->fd, buf_head(&w->out), buf_used(&w->out));
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			worker_close_connection(w);
		return;
	}
	buf_consume(&w->out, (size_t)n);
	if (buf_used(&w->out) == 0)
		ev_io_stop(loop, io);
}

static void worker_on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	(void)loop;
	(void)revents;

	uint8_t *tail = buf_reserve(&w->in, FCGI_RECORD_MAX);
	if (tail == NULL) {
		worker_fail_protocol(w);
		return;
	}
	ssize_t n = read(w->fd, tail, w->in.cap - w->in.len);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		worker_close_connection(w);
		return;
	}
	if (n > 0)
		w->in.len += (size_t)n;
	worker_process_input(w);
}

/*
 * Hands every whole record read so far to the job's owner, until the owner
 * pauses us or the connection goes away.
 */
static void worker_process_input(struct worker *w)
{
	struct fcgi_record rec;

	while (!w->paused && w->fd >= 0 && buf_used(&w->in) > 0) {
		ssize_t n = fcgi_record_decode(buf_head(&w->in), buf_used(&w->in), &rec);
		if (n == 0)
			return;
		if (n < 0) {
			worker_fail_protocol(w);
			return;
		}
		/* Consuming moves no bytes: rec.content stays valid below. */
		buf_consume(&w->in, (size_t)n);
		if (worker_handle_record(w, &rec) < 0) {
			worker_fail_protocol(w);
			return;
		}
	}
}

/*
 * Acts on one record from the worker. Our requests always use
 * POOL_REQUEST_ID; management records (id 0) are ignored. Returns -1 on a
 * protocol error.
 */
static int worker_handle_record(struct worker *w, const struct fcgi_record *rec)
{
	struct pool_job *job = w->slot.job;

	if (rec->header.request_id == FCGI_NULL_REQUEST_ID)
		return 0;
	if (rec->header.request_id != POOL_REQUEST_ID || w->slot.state != SLOT_BUSY)
		return -1;
	switch (rec->header.type) {
	case FCGI_STDOUT:
	case FCGI_STDERR:
		if (job == NULL)
			return 0;	/* cancelled: drain until END_REQUEST */
		if (rec->header.type == FCGI_STDOUT && rec->header.content_length > 0)
			job->output_started = 1;
		if (rec->header.type == FCGI_STDERR) {
			if (w->stderr_relayed + rec->header.content_length > POOL_STDERR_RELAY_MAX ||
			    w->stderr_records == POOL_STDERR_RELAY_RECORDS) {
				w->stderr_dropped += rec->header.content_length;
				return 0;
			}
			w->stderr_relayed += rec->header.content_length;
			w->stderr_records++;
		}
		job->ops->output(job, rec->header.type, rec->content, rec->header.content_length);
		return 0;
	case FCGI_END_REQUEST:
		if (rec->header.content_length != 8)
			return -1;
		worker_end_job(w, rec);
		return 0;
	default:
		return -1;
	}
}

/*
 * END_REQUEST: the job is over. The worker goes back to the idle stack, or
 * is retired once it has served pm.max_requests or its memory grew past
 * pm.max_memory.
 */
static void worker_end_job(struct worker *w, const struct fcgi_record *rec)
{
	struct slot *s = &w->slot;
	struct pool_job *job = s->job;
	uint32_t app_status;
	uint8_t protocol_status;

	fcgi_end_request_decode(rec->content, rec->header.content_length, &app_status,
	    &protocol_status);
	s->job = NULL;
	w->paused = false;
	s->requests_served++;
	worker_report_stderr_dropped(w);
	ev_timer_stop(s->loop, &w->request_timer);
	s->events->served(s);
	if (job != NULL) {
		job->slot = NULL;
		job->ops->end(job, app_status, protocol_status);
	}
	if (s->state != SLOT_BUSY)
		return;		/* the owner's callback stopped the pool */
	if ((s->config->max_requests > 0 && s->requests_served >= s->config->max_requests) ||
	    worker_over_memory(w)) {
		worker_retire(s);
		return;
	}
	ev_io_start(s->loop, &w->read_watcher);
	slot_set_state(s, SLOT_IDLE);
	s->events->ready(s);
}

/*
 * pm.max_memory: the resident set, from /proc/PID/statm (pages), after a
 * request. Read only when the limit is set.
 */
static bool worker_over_memory(const struct worker *w)
{
	if (w->slot.config->max_memory == 0)
		return false;
	long long rss = proc_rss_bytes(w->pid);
	return rss >= 0 && (unsigned long long)rss > w->slot.config->max_memory;
}

/*
 * The worker is asked to go (recycling, scaling down): it is stopped; its
 * exit is not a failure.
 */
static void worker_retire(struct slot *s)
{
	s->retiring = true;
	worker_stop(s);
}

/*
 * Closed, then sent SIGTERM. Closing first: a worker blocked reading its
 * kept connection may not act on SIGTERM until that read returns.
 */
static void worker_stop(struct slot *s)
{
	struct worker *w = worker_of(s);

	worker_close_connection(w);
	worker_signal(w, SIGTERM);
}

static void worker_kill(struct slot *s)
{
	worker_signal(worker_of(s), SIGKILL);
}

/*
 * request_timeout: the job fails now (504, or a cut response) and the
 * worker, stuck in it, is killed; its reaping brings a replacement. A pool
 * with a dump_signal sends it first and kills WORKER_DUMP_GRACE later, so
 * that the worker can log where it was stuck (the Python runtime prints its
 * traceback).
 */
static void worker_on_request_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct worker *w = timer->data;
	int dump_signal = w->slot.config->dump_signal;
	(void)revents;

	if (dump_signal != 0)
		worker_signal(w, dump_signal);
	slot_fail_job(&w->slot, POOL_ERR_TIMEOUT);
	worker_close_connection(w);
	if (dump_signal == 0) {
		worker_signal(w, SIGKILL);
		return;
	}
	ev_timer_stop(loop, &w->timer);
	ev_timer_set(&w->timer, WORKER_DUMP_GRACE, 0.);
	ev_timer_start(loop, &w->timer);
}

/* spawn_timeout: fork to exec took too long (a sandbox step hung). */
static void worker_on_spawn_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct worker *w = timer->data;
	struct slot *s = &w->slot;
	(void)loop;
	(void)revents;

	if (s->pool_events->spawn_failed)
		s->pool_events->spawn_failed(s->pool, "no exec within spawn_timeout: killed");
	worker_close_connection(w);
	worker_signal(w, SIGKILL);
}

/* The job is over: how much of its FCGI_STDERR was not handed over, if any. */
static void worker_report_stderr_dropped(struct worker *w)
{
	struct slot *s = &w->slot;

	if (w->stderr_dropped > 0 && s->pool_events->stderr_records_dropped)
		s->pool_events->stderr_records_dropped(s->pool, w->pid, w->stderr_dropped);
	w->stderr_dropped = 0;
}

/* The worker broke the protocol: its job fails, the process is killed. */
static void worker_fail_protocol(struct worker *w)
{
	slot_fail_job(&w->slot, POOL_ERR_PROTOCOL);
	worker_close_connection(w);
	worker_signal(w, SIGKILL);
}

/*
 * The connection ended (EOF, error, retirement, stop), or could not be
 * made. The running job's fate is decided when the process is reaped, from
 * how it exited; the process gets WORKER_KILL_GRACE seconds to exit by
 * itself.
 */
static void worker_close_connection(struct worker *w)
{
	struct ev_loop *loop = w->slot.loop;

	if (w->slot.state == SLOT_EXITING || w->slot.state == SLOT_DOWN)
		return;
	ev_timer_stop(loop, &w->resume_timer);
	ev_timer_stop(loop, &w->request_timer);
	if (w->fd >= 0) {
		ev_io_stop(loop, &w->read_watcher);
		ev_io_stop(loop, &w->write_watcher);
		close(w->fd);
		w->fd = -1;
	}
	buf_reset(&w->in);
	buf_reset(&w->out);
	worker_report_stderr_dropped(w);
	if (w->slot.job != NULL) {
		w->dying_job = w->slot.job;
		w->slot.job = NULL;
	}
	slot_set_state(&w->slot, SLOT_EXITING);
	ev_timer_set(&w->timer, WORKER_KILL_GRACE, 0.);
	ev_timer_start(loop, &w->timer);
}

static void worker_on_grace_expired(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct worker *w = timer->data;
	(void)loop;
	(void)revents;

	worker_signal(w, SIGKILL);
}

/* Through the spawner: the worker runs as another user than the daemon. */
static void worker_signal(struct worker *w, int sig)
{
	if (w->pid > 0)
		spawner_signal(w->slot.config->spawner, w->child, sig, false);
}

/*
 * The process was reaped: collect its last stderr, close everything, and
 * let the pool decide about the job it held and about a respawn.
 */
static void worker_on_exit(struct spawner_watch *watch, int status)
{
	struct worker *w = watch->data;
	struct slot *s = &w->slot;
	struct ev_loop *loop = s->loop;

	s->live = false;
	worker_close_connection(w);
	ev_timer_stop(loop, &w->timer);
	ev_timer_stop(loop, &w->spawn_timer);
	stderr_lines_finish(&w->stderr_lines);
	if (w->exec_error_watcher.fd >= 0)
		worker_on_exec_error(loop, &w->exec_error_watcher, EV_READ);

	struct pool_job *job = w->dying_job;
	w->dying_job = NULL;
	if (job != NULL)
		job->slot = NULL;
	pid_t pid = w->pid;
	w->pid = 0;
	w->child = 0;
	unlink(w->sock_path);	/* still there if no job ever came */
	slot_set_state(s, SLOT_DOWN);
	if (s->pool_events->exited)
		s->pool_events->exited(s->pool, pid, status, s->requests_served);
	s->events->reaped(s, status, job);
}

/*
 * The close-on-exec pipe: EOF means exec succeeded; a struct spawn_error
 * says which sandbox step, or the exec itself, failed and why.
 */
static void worker_on_exec_error(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	struct slot *s = &w->slot;
	char message[PATH_MAX + 64];
	(void)revents;

	int rc = spawner_exec_error(io->fd, s->config->program, message, sizeof(message));
	if (rc < 0)
		return;
	ev_timer_stop(loop, &w->spawn_timer);
	if (rc > 0 && s->pool_events->spawn_failed)
		s->pool_events->spawn_failed(s->pool, message);
	ev_io_stop(loop, io);
	close(io->fd);
	io->fd = -1;
}

/* A line of the worker's stderr, within the rate: to the pool's owner. */
static void worker_on_stderr_line(void *owner, pid_t pid, const char *line, size_t len,
    bool cut)
{
	struct worker *w = owner;
	struct slot *s = &w->slot;

	if (s->pool_events->stderr_line)
		s->pool_events->stderr_line(s->pool, pid, line, len, cut);
}

static void worker_on_stderr_dropped(void *owner, pid_t pid, unsigned long count)
{
	struct worker *w = owner;
	struct slot *s = &w->slot;

	if (s->pool_events->stderr_dropped)
		s->pool_events->stderr_dropped(s->pool, pid, count);
}

/* Stops every watcher of a worker whose pool is being freed, and frees it. */
static void worker_destroy(struct slot *s)
{
	struct worker *w = worker_of(s);
	struct ev_loop *loop = s->loop;

	ev_io_stop(loop, &w->read_watcher);
	ev_io_stop(loop, &w->write_watcher);
	stderr_lines_stop(&w->stderr_lines);
	ev_io_stop(loop, &w->exec_error_watcher);
	spawner_unwatch(s->config->spawner, &w->exit_watch);
	ev_timer_stop(loop, &w->timer);
	ev_timer_stop(loop, &w->resume_timer);
	ev_timer_stop(loop, &w->request_timer);
	ev_timer_stop(loop, &w->spawn_timer);
	if (w->fd >= 0)
		close(w->fd);
	buf_free(&w->in);
	buf_free(&w->out);
	free(w);
}

/* The owner gave up on job; the worker drains its output until END_REQUEST. */
static void worker_cancel(struct slot *s, struct pool_job *job)
{
	struct worker *w = worker_of(s);

	if (s->job == job) {
		s->job = NULL;
		worker_resume(s);
	}
	if (w->dying_job == job)
		w->dying_job = NULL;
	job->slot = NULL;
}

static void worker_pause(struct slot *s)
{
	struct worker *w = worker_of(s);

	w->paused = true;
	ev_io_stop(s->loop, &w->read_watcher);
	ev_timer_stop(s->loop, &w->resume_timer);
}

/*
 * Records already read stay in w->in while paused; the socket may hold
 * nothing more, so they are handed over from a 0 s timer. A timer, not
 * ev_feed_event(): the loop does not sleep while a timer is due, but it may
 * sleep with a fed event pending when the feed comes from a prepare watcher,
 * as backpressure lifts in front.c's. Either way the owner's callbacks never
 * run inside its own call to pool_job_resume().
 */
static void worker_resume(struct slot *s)
{
	struct worker *w = worker_of(s);

	if (!w->paused)
		return;
	w->paused = false;
	if (w->fd < 0)
		return;
	ev_io_start(s->loop, &w->read_watcher);
	if (buf_used(&w->in) > 0)
		ev_timer_start(s->loop, &w->resume_timer);
}

static void worker_on_resume(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	worker_process_input(timer->data);
}

static pid_t worker_pid(const struct slot *s)
{
	return ((const struct worker *)s)->pid;
}
