/*
 * function.c: a function's pool and request params (see function.h). The
 * pool's events become log lines here: fcgi-pool itself never logs.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "fcgi.h"
#include "function.h"
#include "log.h"
#include "record.h"
#include "async.h"

static int function_build_params(struct function *fn);
static int function_add_param(struct function *fn, const char *name, const char *value);
static void function_on_spawned(struct pool *pool, pid_t pid);
static void function_on_exited(struct pool *pool, pid_t pid, int status, unsigned long served);
static void function_on_spawn_failed(struct pool *pool, const char *message);
static void function_on_stderr_line(struct pool *pool, pid_t pid, const char *line, size_t len);
static void function_on_idle(struct pool *pool);

static const struct pool_events function_pool_events = {
	.spawned = function_on_spawned,
	.exited = function_on_exited,
	.spawn_failed = function_on_spawn_failed,
	.stderr_line = function_on_stderr_line,
	.idle = function_on_idle,
};

int function_init(struct function *fn, struct ev_loop *loop, const struct function_conf *conf,
    const char *run_dir, struct spawner *spawner, uint32_t generation, unsigned serial,
    char *err, size_t err_len)
{
	memset(fn, 0, sizeof(*fn));
	fn->conf = conf;
	if (function_build_params(fn) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	struct pool_config pc = {
		.name = conf->name,
		.serial = serial,
		.program = conf->argv[0],
		.spawner = spawner,
		.generation = generation,
		.run_dir = run_dir,
		.cgi = conf->mode == FUNCTION_CGI,
		.scaling = conf->pm == PM_DYNAMIC ? POOL_DYNAMIC
			 : conf->pm == PM_ONDEMAND ? POOL_ONDEMAND : POOL_STATIC,
		.max_children = conf->max_children,
		.start_servers = conf->start_servers,
		.min_spare = conf->min_spare,
		.max_spare = conf->max_spare,
		.idle_timeout = conf->idle_timeout,
		.max_spawn_rate = conf->max_spawn_rate,
		.max_requests = conf->max_requests,
		.max_memory = conf->max_memory,
		.queue_max = conf->queue_max,
		.queue_timeout = conf->queue_timeout,
		.request_timeout = conf->request_timeout,
		.spawn_timeout = conf->spawn_timeout,
		.crash_limit = conf->crash_limit,
		.crash_window = conf->crash_window,
	};
	fn->pool = pool_create(loop, &pc, &function_pool_events, fn, err, err_len);
	return fn->pool != NULL ? 0 : -1;
}

int function_start(struct function *fn, char *err, size_t err_len)
{
	return pool_start(fn->pool, err, err_len);
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

int function_encode_job(const struct function *fn, const uint8_t *params, size_t params_len,
    const char *job_id, unsigned attempt, const uint8_t *body, size_t body_len,
    struct buf *out)
{
	struct buf p = { 0 };
	char attempt_text[16];
	int rc = -1;

	snprintf(attempt_text, sizeof(attempt_text), "%u", attempt);
	size_t id_len = strlen(job_id), attempt_len = strlen(attempt_text);
	size_t id_size = fcgi_nv_encoded_size(14, id_len);
	size_t attempt_size = fcgi_nv_encoded_size(19, attempt_len);
	if (buf_append(&p, params, params_len) < 0 || function_rewrite_params(fn, &p) < 0)
		goto out;
	uint8_t *tail = buf_reserve(&p, id_size + attempt_size);
	if (tail == NULL)
		goto out;
	p.len += fcgi_nv_encode(tail, id_size, "GATEWAY_JOB_ID", 14, job_id, id_len);
	p.len += fcgi_nv_encode(tail + id_size, attempt_size, "GATEWAY_JOB_ATTEMPT", 19,
	    attempt_text, attempt_len);
	uint8_t *begin = buf_reserve(out, FCGI_HEADER_LEN + 8);
	if (begin == NULL)
		goto out;
	out->len += fcgi_begin_request_encode(begin, FCGI_HEADER_LEN + 8, POOL_REQUEST_ID,
	    FCGI_RESPONDER, FCGI_KEEP_CONN);
	if (record_append(out, FCGI_PARAMS, POOL_REQUEST_ID, buf_head(&p), buf_used(&p)) == 0 &&
	    record_append(out, FCGI_PARAMS, POOL_REQUEST_ID, NULL, 0) == 0 &&
	    (body_len == 0 || record_append(out, FCGI_STDIN, POOL_REQUEST_ID, body, body_len) == 0) &&
	    record_append(out, FCGI_STDIN, POOL_REQUEST_ID, NULL, 0) == 0)
		rc = 0;
out:
	buf_free(&p);
	return rc;
}

void function_destroy(struct function *fn)
{
	pool_free(fn->pool);
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
	struct function *fn = pool_owner(pool);

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_error("function %s pid %d killed by seccomp (%lu so far): a system call its "
		    "policy denies; find it with strace -f, see docs/sandbox.md",
		    pool_name(pool), (int)pid, ++fn->seccomp_kills);
	else if (WIFSIGNALED(status))
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

/* Idle workers and no sync request waiting: async jobs may run. */
static void function_on_idle(struct pool *pool)
{
	struct function *fn = pool_owner(pool);

	if (fn->gw != NULL && fn->conf->async != ASYNC_OFF)
		async_wake(fn->gw, fn);
}
