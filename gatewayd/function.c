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

static int function_params_build(struct function_params *p, const struct function_conf *conf);
static int function_params_add(struct function_params *p, const char *name, const char *value);
static void function_params_free(struct function_params *p);
static void function_on_spawned(struct pool *pool, pid_t pid);
static void function_on_exited(struct pool *pool, pid_t pid, int status, unsigned long served);
static void function_on_spawn_failed(struct pool *pool, const char *message);
static void function_on_stderr_line(struct pool *pool, pid_t pid, const char *line, size_t len,
    bool cut);
static void function_on_stderr_dropped(struct pool *pool, pid_t pid, unsigned long count);
static void function_on_stderr_records_dropped(struct pool *pool, pid_t pid, size_t bytes);
static void function_on_idle(struct pool *pool);

static const struct pool_events function_pool_events = {
	.spawned = function_on_spawned,
	.exited = function_on_exited,
	.spawn_failed = function_on_spawn_failed,
	.stderr_line = function_on_stderr_line,
	.stderr_dropped = function_on_stderr_dropped,
	.stderr_records_dropped = function_on_stderr_records_dropped,
	.idle = function_on_idle,
};

int function_init(struct function *fn, struct ev_loop *loop, const struct function_conf *conf,
    const char *run_dir, struct spawner *spawner, uint32_t generation, unsigned serial,
    char *err, size_t err_len)
{
	memset(fn, 0, sizeof(*fn));
	fn->conf = conf;
	if (function_params_build(&fn->params, conf) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	struct pool_config pc = {
		.name = conf->name,
		.serial = serial,
		.program = conf->pool.exec.argv[0],
		.spawner = spawner,
		.generation = generation,
		.run_dir = run_dir,
		.cgi = conf->pool.mode == FUNCTION_CGI,
		.scaling = conf->pool.pm == PM_DYNAMIC ? POOL_DYNAMIC
			 : conf->pool.pm == PM_ONDEMAND ? POOL_ONDEMAND : POOL_STATIC,
		.max_children = conf->pool.max_children,
		.start_servers = conf->pool.start_servers,
		.min_spare = conf->pool.min_spare,
		.max_spare = conf->pool.max_spare,
		.idle_timeout = conf->pool.idle_timeout,
		.max_spawn_rate = conf->pool.max_spawn_rate,
		.max_requests = conf->pool.max_requests,
		.max_memory = conf->pool.max_memory,
		.queue_max = conf->pool.queue_max,
		.queue_timeout = conf->pool.queue_timeout,
		.request_timeout = conf->pool.request_timeout,
		.dump_signal = conf->runtime.dump_signal,
		.spawn_timeout = conf->pool.spawn_timeout,
		.crash_limit = conf->pool.crash_limit,
		.crash_window = conf->pool.crash_window,
	};
	fn->pool = pool_create(loop, &pc, &function_pool_events, fn, err, err_len);
	return fn->pool != NULL ? 0 : -1;
}

int function_start(struct function *fn, char *err, size_t err_len)
{
	return pool_start(fn->pool, err, err_len);
}

int function_use_conf(struct function *fn, const struct function_conf *conf)
{
	struct function_params params = { 0 };

	if (function_params_build(&params, conf) < 0) {
		function_params_free(&params);
		return -1;
	}
	function_params_free(&fn->params);
	fn->params = params;
	fn->conf = conf;
	return 0;
}

/*
 * GATEWAY_FUNCTION tells the worker which function it serves; script sets
 * SCRIPT_FILENAME (what php-cgi runs); param[] lines come last. The names
 * point into conf. 0 / -1 (out of memory).
 */
static int function_params_build(struct function_params *p, const struct function_conf *conf)
{
	const struct conf_pairs *params = &conf->request.params;

	p->replaced = calloc(params->count + 2, sizeof(*p->replaced));
	if (p->replaced == NULL)
		return -1;
	if (function_params_add(p, "GATEWAY_FUNCTION", conf->name) < 0)
		return -1;
	if (conf->request.script != NULL &&
	    function_params_add(p, "SCRIPT_FILENAME", conf->request.script) < 0)
		return -1;
	for (size_t i = 0; i < params->count; i++) {
		if (function_params_add(p, params->items[i].name, params->items[i].value) < 0)
			return -1;
	}
	return 0;
}

static int function_params_add(struct function_params *p, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	size_t need = fcgi_nv_encoded_size(nlen, vlen);
	uint8_t *tail = buf_reserve(&p->added, need);

	if (tail == NULL)
		return -1;
	p->added.len += fcgi_nv_encode(tail, need, name, nlen, value, vlen);
	for (size_t i = 0; i < p->count; i++) {
		if (strcmp(p->replaced[i].name, name) == 0)
			return 0;
	}
	p->replaced[p->count++] = (struct fcgi_param){ .name = name, .name_len = nlen };
	return 0;
}

static void function_params_free(struct function_params *p)
{
	buf_free(&p->added);
	free(p->replaced);
	*p = (struct function_params){ 0 };
}

int function_rewrite_params(const struct function *fn, struct buf *params)
{
	uint8_t *p = buf_head(params);
	size_t len = buf_used(params), kept = 0, run = 0;	/* run: where the kept pairs resume */
	struct fcgi_nv nv;

	for (size_t off = 0; off < len;) {
		ssize_t n = fcgi_nv_decode(p + off, len - off, &nv);
		if (n <= 0)
			return -1;
		bool replaced = false;
		for (size_t i = 0; i < fn->params.count && !replaced; i++) {
			replaced = nv.name_len == fn->params.replaced[i].name_len &&
			    memcmp(nv.name, fn->params.replaced[i].name, nv.name_len) == 0;
		}
		if (replaced) {	/* close the gap: the pairs before it move down once */
			if (kept != run)
				memmove(p + kept, p + run, off - run);
			kept += off - run;
			run = off + (size_t)n;
		}
		off += (size_t)n;
	}
	if (kept != run)
		memmove(p + kept, p + run, len - run);
	kept += len - run;
	params->len = params->off + kept;
	return buf_append(params, fn->params.added.data, fn->params.added.len);
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
	function_params_free(&fn->params);
	memset(fn, 0, sizeof(*fn));
}

static void function_on_spawned(struct pool *pool, pid_t pid)
{
	struct function *fn = pool_owner(pool);

	fn->counters->spawns++;
	log_debug("function %s: worker pid %d started", pool_name(pool), (int)pid);
}

static void function_on_exited(struct pool *pool, pid_t pid, int status, unsigned long served)
{
	struct function *fn = pool_owner(pool);
	struct function_counters *c = fn->counters;

	c->exits++;
	c->crashes += WIFSIGNALED(status) || WEXITSTATUS(status) != 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_error("function %s pid %d killed by seccomp (%llu so far): a system call its "
		    "policy denies; find it with strace -f, see docs/sandbox.md",
		    pool_name(pool), (int)pid, (unsigned long long)++c->seccomp_kills);
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
	struct function *fn = pool_owner(pool);

	fn->counters->spawn_failures++;
	log_error("function %s: cannot start a worker: %s", pool_name(pool), message);
}

static void function_on_stderr_line(struct pool *pool, pid_t pid, const char *line, size_t len,
    bool cut)
{
	if (cut)
		log_warn("function %s pid %d: %.*s ... (line cut at %zu bytes)", pool_name(pool),
		    (int)pid, (int)len, line, len);
	else
		log_warn("function %s pid %d: %.*s", pool_name(pool), (int)pid, (int)len, line);
}

/* Said once a window, so that a worker's flood costs the log one line a second. */
static void function_on_stderr_dropped(struct pool *pool, pid_t pid, unsigned long count)
{
	log_warn("function %s: worker pid %d: %lu stderr lines dropped", pool_name(pool), (int)pid,
	    count);
}

/* Once a request, when its FastCGI stderr passed what the web server is given. */
static void function_on_stderr_records_dropped(struct pool *pool, pid_t pid, size_t bytes)
{
	log_warn("function %s: worker pid %d: %zu bytes of a request's FastCGI stderr not relayed "
	    "to the web server (it gets the first %d bytes or %d records)", pool_name(pool),
	    (int)pid, bytes, POOL_STDERR_RELAY_MAX, POOL_STDERR_RELAY_RECORDS);
}

/* Idle workers and no sync request waiting: whoever queues work of its own is told. */
static void function_on_idle(struct pool *pool)
{
	struct function *fn = pool_owner(pool);

	if (fn->hooks != NULL && fn->hooks->idle != NULL)
		fn->hooks->idle(fn->hooks->owner, fn);
}
