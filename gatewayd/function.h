/*
 * function.h: a configured function at run time: its worker pool, and the
 * params gatewayd sets on every request it forwards to it. How its workers
 * start (program, environment, user, sandbox) is the spawner's: the daemon
 * only names the function.
 */
#ifndef GATEWAYD_FUNCTION_H
#define GATEWAYD_FUNCTION_H

#include <sys/queue.h>

#include <ev.h>

#include "buf.h"
#include "config.h"
#include "fcgi.h"
#include "metrics.h"
#include "pool.h"

struct conf_generation;
struct function;

/*
 * What a function tells the layer above it that queues work of its own on
 * the pool (async jobs): registered once by that layer, so the function
 * calls nothing above it.
 */
struct function_hooks {
	/* fn's workers are idle and no sync request waits: queued work may run. */
	void (*idle)(void *owner, struct function *fn);
	void *owner;
};

/* The params gatewayd sets on every request it forwards to a function. */
struct function_params {
	struct buf added;		/* encoded pairs appended to every request */
	struct fcgi_param *replaced;	/* param names dropped from the web server's */
	size_t count;			/* of replaced */
};

struct function {
	const struct function_conf *conf;	/* the live settings: the newest reading */
	struct conf_generation *generation;	/* the loaded configuration conf belongs to */
	/* The configuration the pool was built from (its strings are the pool's):
	 * generation, or an older one when reloads changed only live keys. */
	struct conf_generation *pool_generation;
	const struct function_hooks *hooks;	/* told when workers go idle; may be NULL */
	unsigned refs;			/* requests that chose this function and are not over */
	bool stopped;			/* retired, no request left: its pool was stopped */
	LIST_ENTRY(function) retired_link;	/* gw->retired: replaced or removed by a reload */
	struct pool *pool;
	struct function_params params;	/* from conf */
	struct function_counters *counters;	/* its name's, kept across reloads (metrics.h) */
};

/*
 * Prepares fn for conf (no process yet): its params and its pool, whose
 * workers the spawner starts from its generation (the one conf was loaded
 * with); serial tells its pool from the daemon's others. Returns 0, or -1
 * with err filled.
 */
int function_init(struct function *fn, struct ev_loop *loop, const struct function_conf *conf,
    const char *run_dir, struct spawner *spawner, uint32_t generation, unsigned serial,
    char *err, size_t err_len);

/*
 * A reload read fn anew as conf, changing only keys a running function
 * applies at once (route, script, params, body limits, async.*): from now
 * on fn reads conf. Returns 0, or -1 when out of memory (fn keeps its
 * settings).
 */
int function_use_conf(struct function *fn, const struct function_conf *conf);

/* Starts the function's workers (the spawner forks them). Returns 0, or -1 with err filled. */
int function_start(struct function *fn, char *err, size_t err_len);

/*
 * Rewrites a complete PARAMS stream for the worker, in place: drops the
 * params gatewayd sets itself (GATEWAY_FUNCTION, SCRIPT_FILENAME when the
 * function has a script, param[] names) and appends gatewayd's values.
 * The stream must be valid (fcgi_params_validate). Returns 0, or -1 when out
 * of memory.
 */
int function_rewrite_params(const struct function *fn, struct buf *params);

/*
 * Appends to out the FastCGI request one attempt of an async job sends:
 * BEGIN_REQUEST (keep-conn), the web server's params rewritten for fn plus
 * GATEWAY_JOB_ID and GATEWAY_JOB_ATTEMPT (so functions can be idempotent),
 * then the body. Returns 0, or -1 when out of memory.
 */
int function_encode_job(const struct function *fn, const uint8_t *params, size_t params_len,
    const char *job_id, unsigned attempt, const uint8_t *body, size_t body_len,
    struct buf *out);

/* Frees what function_init() allocated; the pool must be stopped and reaped. */
void function_destroy(struct function *fn);

#endif /* GATEWAYD_FUNCTION_H */
