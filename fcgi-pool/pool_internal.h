/*
 * pool_internal.h: what pool.c (idle stack, wait queue, respawn policy) and
 * worker.c (one worker's process and connection) share. Not for gatewayd.
 */
#ifndef FCGI_POOL_POOL_INTERNAL_H
#define FCGI_POOL_POOL_INTERNAL_H

#include <stdbool.h>

#include "buf.h"
#include "cgi.h"
#include "pool.h"

/* A worker's life; changed only through worker_set_state(). */
enum worker_state {
	WORKER_DOWN,		/* no process; a respawn timer may be armed */
	WORKER_IDLE,		/* process up, connection open, on the idle stack */
	WORKER_BUSY,		/* running a job, or draining a cancelled one */
	WORKER_EXITING,		/* connection closed; waiting to reap the process */
};

struct worker {
	struct pool *pool;
	unsigned index;
	enum worker_state state;
	pid_t pid;			/* 0 when no process */
	uint64_t child;			/* the spawner's id for the process, 0 when none */
	int fd;				/* connection to the worker, -1 until its first job */
	char sock_path[108];		/* the worker's socket until we connect (sun_path size) */
	struct buf in;			/* records read from the worker */
	struct buf out;			/* request bytes the socket did not take yet */
	struct pool_job *job;		/* the running job; NULL when idle or cancelled */
	struct pool_job *dying_job;	/* job whose fate waits for the process to be reaped */
	struct cgi_run *cgi;		/* mode = cgi: the program running the job */
	bool paused;			/* the job's owner asked us to stop reading */
	bool retiring;			/* asked to exit by the pool (recycling, scaling down) */
	unsigned long requests_served;
	ev_tstamp spawned_at;
	ev_tstamp idle_since;		/* when it last became IDLE */
	ev_io read_watcher;
	ev_io write_watcher;
	ev_io stderr_watcher;
	ev_io exec_error_watcher;
	struct spawner_watch exit_watch;	/* the spawner reports its process's exit */
	ev_timer timer;			/* kill grace when EXITING */
	ev_timer resume_timer;		/* 0 s: hands over records read before a pause */
	ev_timer request_timer;		/* request_timeout of the running job */
	ev_timer spawn_timer;		/* spawn_timeout: fork to exec */
	size_t stderr_len;
	char stderr_line[1024];
};

struct pool {
	struct ev_loop *loop;
	struct pool_config config;
	const struct pool_events *events;
	void *owner;
	struct worker *workers;		/* config.max_children of them */
	struct worker **idle;		/* LIFO: the most recently used worker has warm caches */
	unsigned idle_count;
	struct pool_job *queue_head;
	struct pool_job *queue_tail;
	unsigned queue_len;
	unsigned fail_streak;		/* workers in a row that failed (see pool_worker_reaped) */
	unsigned live;			/* processes not yet reaped */
	unsigned running;		/* workers not DOWN: spawned and not yet reaped */
	ev_timer maintenance;		/* once a second: scaling, idle timeouts, streak reset */
	ev_timer retry_timer;		/* forks deferred by backoff or the spawn rate */
	ev_tstamp fork_blocked_until;	/* backoff after failed workers */
	ev_tstamp spawn_second;		/* the second spawn_count counts in */
	unsigned spawn_count;		/* workers forked in that second */
	bool stopping;
};

/* worker.c */
void worker_init(struct worker *w, struct pool *pool, unsigned index);
int worker_spawn(struct worker *w, char *err, size_t err_len);
void worker_run(struct worker *w, struct pool_job *job);
void worker_close_connection(struct worker *w);
void worker_retire(struct worker *w);
void worker_forget(struct worker *w);
void worker_fail_job(struct worker *w, enum pool_error error);
void worker_set_state(struct worker *w, enum worker_state state);
void worker_cancel_job(struct worker *w, struct pool_job *job);
void worker_pause(struct worker *w);
void worker_resume(struct worker *w);
void worker_signal(struct worker *w, int sig);

/* pool.c, called by worker.c */
void pool_worker_ready(struct pool *pool, struct worker *w);
void pool_worker_reaped(struct pool *pool, struct worker *w, int status,
    struct pool_job *job);
void pool_worker_state_changed(struct pool *pool, struct worker *w, enum worker_state from,
    enum worker_state to);
void pool_fail_queued(struct pool *pool, struct pool_job *job, enum pool_error error);

#endif /* FCGI_POOL_POOL_INTERNAL_H */
