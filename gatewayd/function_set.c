/*
 * function_set.c: current and retired functions (see function_set.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "function_set.h"
#include "log.h"

static void function_set_on_collect(struct ev_loop *loop, ev_prepare *prepare, int revents);

/*
 * Matches the spawner's entries to conf's functions by name, and gives
 * each function the callback signing key the spawner read for it (the
 * daemon's reading does not read secret files). The two readings come
 * from the same files a moment apart; a file edited in between shows as a
 * mismatch, and the load is refused.
 */
struct conf_generation *generation_new(struct gateway_conf *conf, struct spawner *spawner,
    uint32_t spawn_id, const struct buf *functions, char *err, size_t err_len)
{
	struct conf_generation *g = calloc(1, sizeof(*g));
	const uint8_t *p = buf_head(functions);
	size_t left = buf_used(functions), count = 0;
	struct spawner_function f;
	ssize_t n;

	if (g == NULL || (g->functions = calloc(conf->function_count + 1,
	    sizeof(*g->functions))) == NULL) {
		snprintf(err, err_len, "out of memory");
		free(g);
		return NULL;
	}
	for (; (n = spawner_function_decode(p, left, &f)) > 0; p += n, left -= (size_t)n) {
		const struct function_conf *fc = config_find_function(conf, f.name, f.name_len);
		if (fc == NULL)
			break;
		size_t i = (size_t)(fc - conf->functions);
		g->functions[i] = (struct generation_function){
			.digest = f.digest, .uid = f.uid, .gid = f.gid };
		char **secret = &conf->functions[i].async.callback_secret;
		free(*secret);
		*secret = NULL;
		if (f.secret_len > 0 && (*secret = strndup(f.secret, f.secret_len)) == NULL) {
			n = -1;
			break;
		}
		count++;
	}
	if (n != 0 || count != conf->function_count) {
		snprintf(err, err_len, n < 0 ? "out of memory or "
		    "a malformed reply from the spawner" : "the configuration changed while it "
		    "was being read (the spawner read other functions): try again");
		free(g->functions);
		free(g);
		return NULL;
	}
	g->conf = conf;
	g->refs = 1;
	g->spawner = spawner;
	g->spawn_id = spawn_id;
	return g;
}

const struct generation_function *generation_function(const struct conf_generation *generation,
    const struct function_conf *fc)
{
	return &generation->functions[fc - generation->conf->functions];
}

void generation_unref(struct conf_generation *generation)
{
	if (generation != NULL && --generation->refs == 0) {
		spawner_release(generation->spawner, generation->spawn_id);
		config_free(generation->conf);
		free(generation->functions);
		free(generation);
	}
}

struct function *function_set_create(struct gateway *gw, struct conf_generation *generation,
    const struct function_conf *conf, char *err, size_t err_len)
{
	struct function *fn = malloc(sizeof(*fn));

	if (fn == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	if (function_init(fn, gw->loop, conf, generation->conf->run_dir, gw->spawner,
		generation->spawn_id, ++gw->pool_serial, err, err_len) < 0) {
		function_destroy(fn);
		free(fn);
		return NULL;
	}
	fn->generation = fn->pool_generation = generation;
	fn->hooks = &gw->function_hooks;
	if ((fn->counters = metrics_function(&gw->metrics, conf->name)) == NULL) {
		snprintf(err, err_len, "out of memory");
		function_destroy(fn);
		free(fn);
		return NULL;
	}
	generation->refs++;	/* one reference for both while they are one */
	return fn;
}

int function_set_update(struct function *fn, struct conf_generation *generation,
    const struct function_conf *conf)
{
	if (function_use_conf(fn, conf) < 0)
		return -1;
	generation->refs++;
	if (fn->generation != fn->pool_generation)
		generation_unref(fn->generation);
	fn->generation = generation;
	return 0;
}

void function_set_destroy(struct function *fn)
{
	struct conf_generation *generation = fn->generation, *pool_generation = fn->pool_generation;

	function_destroy(fn);
	free(fn);
	if (generation != pool_generation)
		generation_unref(generation);
	generation_unref(pool_generation);
}

void function_ref(struct function *fn)
{
	fn->refs++;
}

/*
 * A retired function whose last request is over is stopped by the collect
 * watcher, not here: this runs inside the pool's own callbacks.
 */
void function_unref(struct function *fn)
{
	fn->refs--;
}

void function_set_retire(struct gateway *gw, struct function *fn)
{
	LIST_INSERT_HEAD(&gw->retired, fn, retired_link);
	if (!ev_is_active(&gw->collect)) {
		ev_prepare_init(&gw->collect, function_set_on_collect);
		gw->collect.data = gw;
		ev_prepare_start(gw->loop, &gw->collect);
	}
}

/*
 * Before the loop sleeps, never inside a pool's own callback: stops the
 * retired functions no request holds any more, and frees those whose
 * workers are all reaped.
 */
static void function_set_on_collect(struct ev_loop *loop, ev_prepare *prepare, int revents)
{
	struct gateway *gw = prepare->data;
	(void)revents;

	for (struct function *fn = LIST_FIRST(&gw->retired), *next; fn != NULL; fn = next) {
		next = LIST_NEXT(fn, retired_link);
		if (fn->refs == 0 && !fn->stopped) {
			fn->stopped = true;
			pool_stop(fn->pool);
		}
		if (fn->stopped && pool_live_workers(fn->pool) == 0) {
			LIST_REMOVE(fn, retired_link);
			log_info("function %s: old workers gone after the reload", fn->conf->name);
			function_set_destroy(fn);
		}
	}
	if (LIST_EMPTY(&gw->retired))
		ev_prepare_stop(loop, prepare);
}

void function_set_stop_all(struct gateway *gw)
{
	struct function *fn;

	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i] != NULL)
			pool_stop(gw->functions[i]->pool);
	}
	LIST_FOREACH(fn, &gw->retired, retired_link) {
		fn->stopped = true;
		pool_stop(fn->pool);
	}
}

void function_set_kill_all(struct gateway *gw)
{
	struct function *fn;

	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i] != NULL)
			pool_kill(gw->functions[i]->pool);
	}
	LIST_FOREACH(fn, &gw->retired, retired_link)
		pool_kill(fn->pool);
}

unsigned function_set_live_workers(const struct gateway *gw)
{
	const struct function *fn;
	unsigned n = 0;

	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i] != NULL)
			n += pool_live_workers(gw->functions[i]->pool);
	}
	LIST_FOREACH(fn, &gw->retired, retired_link)
		n += pool_live_workers(fn->pool);
	return n;
}

void function_set_free_all(struct gateway *gw)
{
	struct function *fn;

	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i] != NULL)
			function_set_destroy(gw->functions[i]);
	}
	free(gw->functions);
	gw->functions = NULL;
	while ((fn = LIST_FIRST(&gw->retired)) != NULL) {
		LIST_REMOVE(fn, retired_link);
		function_set_destroy(fn);
	}
	ev_prepare_stop(gw->loop, &gw->collect);
}
