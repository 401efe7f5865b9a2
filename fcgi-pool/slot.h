/*
 * slot.h: one of a pool's max_children places for a process, and the two
 * interfaces between the pool and what fills it. Private to fcgi-pool.
 *
 * The pool (pool.c, scaling.c) is protocol-neutral, as lighttpd's
 * gw_backend is under mod_fastcgi: it keeps the idle stack and the wait
 * queue and decides when slots come up and go, but runs, pauses, cancels
 * and signals only through a struct slot_ops, chosen once by pool_create()
 * from pool_config.cgi:
 *
 *   worker.c     (worker.h)    a FastCGI worker process on a kept connection
 *   cgi_slot.c   (cgi_slot.h)  a CGI program started for each job
 *
 * An implementation's own struct begins with a struct slot, the pool's part,
 * so the two convert into each other. It never sees struct pool: it reaches
 * the pool only through the struct slot_events the pool hands each slot.
 */
#ifndef FCGI_POOL_SLOT_H
#define FCGI_POOL_SLOT_H

#include <stdbool.h>
#include <stddef.h>

#include <ev.h>

#include "pool.h"

/* A slot's life; changed only through slot_set_state(). */
enum slot_state {
	SLOT_DOWN,		/* not up: no process (FastCGI), not taking jobs (CGI) */
	SLOT_IDLE,		/* up and on the pool's idle stack */
	SLOT_BUSY,		/* running a job, or draining a cancelled one */
	SLOT_EXITING,		/* its process is going; waiting to reap it */
};

struct slot_events;

/* The pool's part of a slot: the first member of each implementation's struct. */
struct slot {
	/* Set by the pool when it creates the slot. */
	struct pool *pool;			/* for pool_events; opaque below the pool */
	struct ev_loop *loop;
	const struct pool_config *config;
	const struct pool_events *pool_events;	/* the owner's: spawned, exited, stderr... */
	const struct slot_events *events;	/* the pool's, for its slots */
	unsigned index;				/* in the pool, 0 .. max_children - 1 */
	/* Kept by the implementation, read by the pool. */
	enum slot_state state;
	struct pool_job *job;			/* the running job; NULL when idle or cancelled */
	bool live;				/* a process of the slot is not reaped yet */
	bool retiring;				/* asked to go by the pool: its end is no failure */
	unsigned long requests_served;
	ev_tstamp spawned_at;			/* when it last came up */
	ev_tstamp idle_since;			/* when it last became IDLE (set by the pool) */
	ev_tstamp job_since;			/* when its running job started (set by the pool) */
};

/* What a kind of slot does. Only the pool calls these. */
struct slot_ops {
	/* A new slot, DOWN, with the implementation's watchers set up; NULL when out of memory. */
	struct slot *(*create)(void);
	/*
	 * Brings a DOWN slot up: it is IDLE and has called events->ready() by
	 * the time this returns 0. -1 with err filled: it stayed DOWN.
	 */
	int (*spawn)(struct slot *s, char *err, size_t err_len);
	/* Runs job on an IDLE slot; the job's end or failure goes to job->ops. */
	void (*run)(struct slot *s, struct pool_job *job);
	/*
	 * The owner gave up on job, which s holds: job->slot is NULL after,
	 * and no job->ops call follows.
	 */
	void (*cancel)(struct slot *s, struct pool_job *job);
	/* Stops / resumes handing the running job's output over (backpressure). */
	void (*pause)(struct slot *s);
	void (*resume)(struct slot *s);
	/*
	 * The pool no longer wants the IDLE slot s: it goes DOWN, at once or
	 * once its process is reaped, and that is no failure.
	 */
	void (*retire)(struct slot *s);
	/* The pool stops: the slot's process, if any, is asked to end (SIGTERM). */
	void (*stop)(struct slot *s);
	/* SIGKILL to the slot's process, if any. */
	void (*kill)(struct slot *s);
	/* The pid of the slot's process (the one running its job), or 0 when none. */
	pid_t (*pid)(const struct slot *s);
	/* The pool is freed: every watcher stopped, the slot freed (its process already reaped). */
	void (*destroy)(struct slot *s);
};

/* What a slot tells its pool. */
struct slot_events {
	/* The state changes here only: the pool keeps its counters and idle stack in step. */
	void (*set_state)(struct slot *s, enum slot_state state);
	/* s just became IDLE: the pool may give it a waiting job. */
	void (*ready)(struct slot *s);
	/* A job completed with its worker's END_REQUEST: the function works. */
	void (*served)(struct slot *s);
	/*
	 * s's process was reaped and s is DOWN; job is the one whose fate waited
	 * for it (NULL if none): the pool resends or fails it and decides about
	 * a respawn.
	 */
	void (*reaped)(struct slot *s, int status, struct pool_job *job);
};

static inline void slot_set_state(struct slot *s, enum slot_state state)
{
	s->events->set_state(s, state);
}

/* Takes the running job (if any) off s and fails it with error. */
static inline void slot_fail_job(struct slot *s, enum pool_error error)
{
	struct pool_job *job = s->job;

	s->job = NULL;
	if (job != NULL) {
		job->slot = NULL;
		job->ops->fail(job, error);
	}
}

#endif /* FCGI_POOL_SLOT_H */
