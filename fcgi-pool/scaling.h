/*
 * scaling.h: how many of a pool's slots are up, and when they are forked:
 * the pm modes (static, dynamic, ondemand), the spawn rate, respawn backoff
 * and the crash-loop hold-back. Called by pool.c only; it brings slots up
 * and down through the pool's slot_ops, and reaches pool.c only through the
 * struct scaling_events given to scaling_init(). Private to fcgi-pool.
 */
#ifndef FCGI_POOL_SCALING_H
#define FCGI_POOL_SCALING_H

#include <stdbool.h>
#include <stddef.h>

struct pool;

/* What scaling asks of its pool. */
struct scaling_events {
	/* The pool was just held back: every waiting job fails (POOL_ERR_HELD_BACK). */
	void (*held_back)(struct pool *pool);
};

/* Sets the timers up (nothing runs yet) and keeps events for the pool's life. */
void scaling_init(struct pool *pool, const struct scaling_events *events);

/*
 * Brings up the slots a pool starts with (static: all; dynamic:
 * start_servers; ondemand: none) and starts the once-a-second maintenance.
 * Returns 0, or -1 with err filled when a fork failed.
 */
int scaling_start(struct pool *pool, char *err, size_t err_len);

/* Forks workers if the pool wants more now (a job waits, too few spares). */
void scaling_adjust(struct pool *pool);

/*
 * A worker was reaped. failed: it crashed, was killed, or never served; a
 * failure delays the next fork (0.1 s doubling to 10 s) and, after
 * crash_limit in a row, holds the pool back.
 */
void scaling_worker_exited(struct pool *pool, bool failed);

/* A request completed: the function works, whatever came before. */
void scaling_request_done(struct pool *pool);

/* Held back: its workers keep failing; jobs are refused until one survives. */
bool scaling_held_back(const struct pool *pool);

/* Stops the timers (the pool is stopping). */
void scaling_stop(struct pool *pool);

#endif /* FCGI_POOL_SCALING_H */
