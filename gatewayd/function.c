/*
 * function.c: a function's pool and request params (see function.h). The
 * pool's events become log lines here: fcgi-pool itself never logs.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fcgi.h"
#include "function.h"
#include "log.h"

static int function_build_env(struct function *fn);
static int function_build_params(struct function *fn);
static int function_add_param(struct function *fn, const char *name, const char *value);
static void function_on_spawned(struct pool *pool, pid_t pid);
static void function_on_exited(struct pool *pool, pid_t pid, int status, unsigned long served);
static void function_on_spawn_failed(struct pool *pool, const char *message);
static void function_on_stderr_line(struct pool *pool, pid_t pid, const char *line, size_t len);

static const struct pool_events function_pool_events = {
	.spawned = function_on_spawned,
	.exited = function_on_exited,
	.spawn_failed = function_on_spawn_failed,
	.stderr_line = function_on_stderr_line,
};

int function_init(struct function *fn, struct ev_loop *loop, const struct function_conf *conf,
    const char *run_dir, char *err, size_t err_len)
{
	memset(fn, 0, sizeof(*fn));
	fn->conf = conf;
	if (function_build_env(fn) < 0 || function_build_params(fn) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	struct pool_config pc = {
		.name = conf->name,
		.argv = conf->argv,
		.envp = fn->envp,
		.run_dir = run_dir,
		.max_children = conf->max_children,
		.max_requests = conf->max_requests,
		.queue_max = conf->queue_max,
		.queue_timeout = conf->queue_timeout,
	};
	fn->pool = pool_create(loop, &pc, &function_pool_events, fn, err, err_len);
	return fn->pool != NULL ? 0 : -1;
}

int function_start(struct function *fn, char *err, size_t err_len)
{
	return pool_start(fn->pool, err, err_len);
}

/* Workers start from an empty environment plus the env[NAME] lines. */
static int function_build_env(struct function *fn)
{
	const struct function_conf *conf = fn->conf;

	fn->envp = calloc(conf->env_count + 1, sizeof(*fn->envp));
	if (fn->envp == NULL)
		return -1;
	for (size_t i = 0; i < conf->env_count; i++) {
		if (asprintf(&fn->envp[i], "%s=%s", conf->env[i].name, conf->env[i].value) < 0) {
			fn->envp[i] = NULL;
			return -1;
		}
	}
	return 0;
}

/*
 * GATEWAY_FUNCTION tells the worker which function it serves; script sets
 * SCRIPT_FILENAME (what php-cgi runs); param[] lines come last.
 */
static int function_build_params(struct function *fn)
{
	const struct function_conf *conf = fn->conf;

	fn->replaced = calloc(conf->param_count + 2, sizeof(*fn->replaced));
	if (fn->replaced == NULL)
		return -1;
	if (function_add_param(fn, "GATEWAY_FUNCTION", conf->name) < 0)
		return -1;
	if (conf->script != NULL && function_add_param(fn, "SCRIPT_FILENAME", conf->script) < 0)
		return -1;
	for (size_t i = 0; i < conf->param_count; i++) {
		if (function_add_param(fn, conf->params[i].name, conf->params[i].value) < 0)
			return -1;
	}
	return 0;
}

static int function_add_param(struct function *fn, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	size_t need = fcgi_nv_encoded_size(nlen, vlen);
	uint8_t *tail = buf_reserve(&fn->added_params, need);

	if (tail == NULL)
		return -1;
	fn->added_params.len += fcgi_nv_encode(tail, need, name, nlen, value, vlen);
	for (size_t i = 0; i < fn->replaced_count; i++) {
		if (strcmp(fn->replaced[i].name, name) == 0)
			return 0;
	}
	fn->replaced[fn->replaced_count++] = (struct fcgi_param){ .name = name, .name_len = nlen };
	return 0;
}

int function_rewrite_params(const struct function *fn, struct buf *params)
{
	uint8_t *p = buf_head(params);
	size_t len = buf_used(params), kept = 0;
	struct fcgi_nv nv;

	for (size_t off = 0; off < len;) {
		ssize_t n = fcgi_nv_decode(p + off, len - off, &nv);
		if (n <= 0)
			return -1;
		bool replaced = false;
		for (size_t i = 0; i < fn->replaced_count && !replaced; i++) {
			replaced = nv.name_len == fn->replaced[i].name_len &&
			    memcmp(nv.name, fn->replaced[i].name, nv.name_len) == 0;
		}
		if (!replaced) {
			memmove(p + kept, p + off, (size_t)n);
			kept += (size_t)n;
		}
		off += (size_t)n;
	}
	params->len = params->off + kept;
	return buf_append(params, fn->added_params.data, fn->added_params.len);
}

void function_destroy(struct function *fn)
{
	pool_free(fn->pool);
	if (fn->envp != NULL) {
		for (size_t i = 0; fn->envp[i] != NULL; i++)
			free(fn->envp[i]);
	}
	free(fn->envp);
	free(fn->replaced);
	buf_free(&fn->added_params);
	memset(fn, 0, sizeof(*fn));
}

static void function_on_spawned(struct pool *pool, pid_t pid)
{
	log_debug("function %s: worker pid %d started", pool_name(pool), (int)pid);
}

static void function_on_exited(struct pool *pool, pid_t pid, int status, unsigned long served)
{
	if (WIFSIGNALED(status))
		log_warn("function %s: worker pid %d exited: killed by signal %d (%s) after %lu requests",
		    pool_name(pool), (int)pid, WTERMSIG(status), strsignal(WTERMSIG(status)), served);
	else if (WEXITSTATUS(status) != 0)
		log_warn("function %s: worker pid %d exited with status %d after %lu requests",
		    pool_name(pool), (int)pid, WEXITSTATUS(status), served);
	else
		log_info("function %s: worker pid %d exited with status 0 after %lu requests",
		    pool_name(pool), (int)pid, served);
}

static void function_on_spawn_failed(struct pool *pool, const char *message)
{
	log_error("function %s: cannot start a worker: %s", pool_name(pool), message);
}

static void function_on_stderr_line(struct pool *pool, pid_t pid, const char *line, size_t len)
{
	log_warn("function %s pid %d: %.*s", pool_name(pool), (int)pid, (int)len, line);
}
