/*
 * function_set.h: the daemon's functions: the current ones, one per
 * function of the current configuration, and the retired ones a reload
 * replaced, which finish their requests before they stop.
 */
#ifndef GATEWAYD_FUNCTION_SET_H
#define GATEWAYD_FUNCTION_SET_H

#include <stddef.h>

#include "gateway.h"

/*
 * Wraps a freshly loaded configuration (refs 1: the caller's) with the
 * spawner's reading of it: its generation spawn_id and LOADED entries
 * (functions), which must name exactly conf's functions. Returns it, or NULL
 * with err (conf is not freed, the spawner's generation not released).
 */
struct conf_generation *generation_new(struct gateway_conf *conf, struct spawner *spawner,
    uint32_t spawn_id, const struct buf *functions, char *err, size_t err_len);

/* The spawner's word on fc, a function of generation->conf. */
const struct generation_function *generation_function(const struct conf_generation *generation,
    const struct function_conf *fc);

/* Drops a reference; the configuration is freed, and released, with the last. */
void generation_unref(struct conf_generation *generation);

/*
 * Creates (without starting) the function for conf, a function of
 * generation->conf. Returns it, or NULL with err filled.
 */
struct function *function_set_create(struct gateway *gw, struct conf_generation *generation,
    const struct function_conf *conf, char *err, size_t err_len);

/*
 * A reload read fn anew as conf, a function of generation, and only keys
 * applied live changed: fn reads conf from now on (its pool stays the one it
 * was built with). Returns 0, or -1 when out of memory (fn is unchanged).
 */
int function_set_update(struct function *fn, struct conf_generation *generation,
    const struct function_conf *conf);

/* Frees a function whose pool is stopped and reaped (or never started). */
void function_set_destroy(struct function *fn);

/* A request chose fn / is over with it. */
void function_ref(struct function *fn);
void function_unref(struct function *fn);

/*
 * Moves fn to the retired list: it keeps serving the requests that chose it,
 * then its pool is stopped, then it is freed.
 */
void function_set_retire(struct gateway *gw, struct function *fn);

/* Stops every pool, current and retired (shutdown). */
void function_set_stop_all(struct gateway *gw);

/* SIGKILL to every worker left. */
void function_set_kill_all(struct gateway *gw);

/* Workers of every function not yet reaped. */
unsigned function_set_live_workers(const struct gateway *gw);

/* Frees every function, current and retired (all reaped). */
void function_set_free_all(struct gateway *gw);

#endif /* GATEWAYD_FUNCTION_SET_H */
