/*
 * scaling.h: how many workers a pool runs, and when they are forked: the
 * pm modes (static, dynamic, ondemand), the spawn rate, respawn backoff and
 * the crash-loop hold-back. Private to fcgi-pool.
 */
#ifndef FCGI_POOL_SCALING_H
#define FCGI_POOL_SCALING_H

#include <stdbool.h>
#include <stddef.h>

struct pool;
struct worker;

/*
 * Forks the workers a pool starts with (static: all; dynamic:
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
void scaling_worker_exited(struct pool *pool, struct worker *w, bool failed);

/* A request completed: the function works, whatever came before. */
void scaling_request_done(struct pool *pool);

/* Held back: its workers keep failing; jobs are refused until one survives. */
bool scaling_held_back(const struct pool *pool);

/* Stops the timers (the pool is stopping). */
void scaling_stop(struct pool *pool);

#endif /* FCGI_POOL_SCALING_H */
