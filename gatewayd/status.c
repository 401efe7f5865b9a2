/*
 * status.c: /_gateway/status as JSON (see status.h): what gatewayd and each
 * function are doing now, read from the pools, the async queues and the
 * counters; ?full adds each worker (pid, uid, state, requests served, the
 * URI it runs and for how long, its RSS).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "async.h"
#include "function.h"
#include "gateway.h"
#include "proc_rss.h"
#include "status.h"

/* What pool_each_worker() hands status_worker(). */
struct status_walk {
	struct buf *out;
	uid_t uid;
	double now;
	bool first;
	int rc;
};

static int status_function(struct gateway *gw, size_t i, bool full, struct buf *out);
static int status_async(const struct gateway *gw, const struct function *fn, struct buf *out);
static void status_worker(void *arg, const struct pool_worker *w);
static const char *status_mode(const struct function_conf *conf);
static const char *status_worker_state(enum pool_worker_state state);
static int status_json_string(struct buf *out, const char *s, size_t len);
static int status_backend(const struct gateway *gw, struct buf *out);

int status_render(struct gateway *gw, bool full, struct buf *out)
{
	double now = ev_time();
	size_t total_bytes = budget_used(&gw->request_memory);

	if (buf_printf(out, "{\"version\":\"%s\",\"pid\":%d,\"uptime_seconds\":%.0f,"
	    "\"connections\":%u,\"admin_connections\":%u,\"request_memory_bytes\":%zu,"
	    "\"reloads\":%llu,\"reload_failures\":%llu,\"journal_bytes\":%llu,",
	    gw->version, (int)getpid(), now - gw->started_at, gw->conn_count - gw->admin_conn_count,
	    gw->admin_conn_count, total_bytes, (unsigned long long)gw->metrics.reloads,
	    (unsigned long long)gw->metrics.reload_failures,
	    (unsigned long long)async_journal_bytes(gw)) < 0 || status_backend(gw, out) < 0 ||
	    buf_append(out, "\"functions\":[", 13) < 0)
		return -1;
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		if ((i > 0 && buf_append(out, ",", 1) < 0) || status_function(gw, i, full, out) < 0)
			return -1;
	}
	if (buf_append(out, "],\"duration_bounds\":[", 21) < 0)
		return -1;
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		if (buf_printf(out, "%s%g", b > 0 ? "," : "", metrics_bucket_bounds[b]) < 0)
			return -1;
	}
	return buf_append(out, "]}\n", 3);
}

/* "async_backend" and, for nats, "nats": whether it is reachable, and which server. */
static int status_backend(const struct gateway *gw, struct buf *out)
{
	struct async_nats_status ns;

	async_nats_status(gw, &ns);
	if (!ns.enabled)
		return buf_printf(out, "\"async_backend\":\"journal\",");
	if (buf_printf(out, "\"async_backend\":\"nats\",\"nats\":{\"connected\":%s,"
	    "\"publish_failures\":%llu,\"url\":", ns.connected ? "true" : "false",
	    (unsigned long long)ns.publish_failures) < 0 ||
	    status_json_string(out, ns.url, strlen(ns.url)) < 0)
		return -1;
	return buf_append(out, "},", 2);
}

/* One function's object: its pool now, its async queue, its counters. */
static int status_function(struct gateway *gw, size_t i, bool full, struct buf *out)
{
	const struct function_conf *conf = &gw->conf->functions[i];
	struct function *fn = gw->functions[i];
	const struct function_counters *c = fn->counters;
	struct pool_stats ps;
	uint64_t requests = c->requests_other + c->requests_cut;

	pool_get_stats(fn->pool, &ps);
	for (size_t s = 0; s < METRICS_STATUS_COUNT; s++)
		requests += c->requests[s];
	if (buf_append(out, "{\"name\":", 8) < 0 ||
	    status_json_string(out, conf->name, strlen(conf->name)) < 0 ||
	    buf_printf(out, ",\"mode\":\"%s\",\"uid\":%u,\"held_back\":%s,"
	    "\"workers\":{\"idle\":%u,\"busy\":%u,\"exiting\":%u,\"max\":%u},"
	    "\"queue\":{\"depth\":%u,\"max\":%u},"
	    "\"requests\":%llu,\"spawns\":%llu,\"crashes\":%llu,\"seccomp_kills\":%llu,"
	    "\"timeouts\":%llu,\"queue_full\":%llu", status_mode(conf),
	    (unsigned)gw->generation->functions[i].uid, ps.held_back ? "true" : "false", ps.idle,
	    ps.busy, ps.exiting, ps.max, ps.queued, ps.queue_max, (unsigned long long)requests,
	    (unsigned long long)c->spawns, (unsigned long long)c->crashes,
	    (unsigned long long)c->seccomp_kills, (unsigned long long)c->timeouts,
	    (unsigned long long)c->queue_full) < 0 ||
	    status_async(gw, fn, out) < 0 ||
	    buf_append(out, ",\"duration_buckets\":[", 21) < 0)
		return -1;
	for (size_t b = 0; b < METRICS_BUCKETS; b++) {
		if (buf_printf(out, "%s%llu", b > 0 ? "," : "",
		    (unsigned long long)c->duration_buckets[b]) < 0)
			return -1;
	}
	if (buf_append(out, "]", 1) < 0)
		return -1;
	if (full) {
		struct status_walk walk = { .out = out, .uid = gw->generation->functions[i].uid,
			.now = ev_now(gw->loop), .first = true };
		if (buf_append(out, ",\"worker_list\":[", 16) < 0)
			return -1;
		pool_each_worker(fn->pool, status_worker, &walk);
		if (walk.rc < 0 || buf_append(out, "]", 1) < 0)
			return -1;
	}
	return buf_append(out, "}", 1);
}

/* ,"async":{...} for a function with async on or jobs kept; nothing otherwise. */
static int status_async(const struct gateway *gw, const struct function *fn, struct buf *out)
{
	struct async_function_stats st = { 0 };
	bool has_queue = async_function_stats(gw, fn->conf->name, &st);

	if (fn->conf->async.mode == ASYNC_OFF && !has_queue)
		return 0;
	return buf_printf(out, ",\"async\":{\"queued\":%u,\"queue_size\":%u,\"running\":%u,"
	    "\"held\":%u,\"done\":%u,\"done_bytes\":%llu,\"accepted\":%llu,\"succeeded\":%llu,"
	    "\"failed\":%llu,\"canceled\":%llu,\"retried\":%llu}", st.queued,
	    fn->conf->async.queue_size, st.running, st.held, st.done,
	    (unsigned long long)st.done_bytes, (unsigned long long)st.counts.accepted,
	    (unsigned long long)st.counts.succeeded, (unsigned long long)st.counts.failed,
	    (unsigned long long)st.counts.canceled, (unsigned long long)st.counts.retried);
}

/* One worker's object in worker_list. */
static void status_worker(void *arg, const struct pool_worker *w)
{
	struct status_walk *walk = arg;
	struct buf *out = walk->out;

	if (walk->rc < 0)
		return;
	long long rss = proc_rss_bytes(w->pid);
	if ((!walk->first && buf_append(out, ",", 1) < 0) ||
	    buf_printf(out, "{\"pid\":%d,\"uid\":%u,\"state\":\"%s\",\"requests_served\":%lu,"
	    "\"up_seconds\":%.0f,\"rss_kb\":%lld", (int)w->pid, (unsigned)walk->uid,
	    status_worker_state(w->state), w->requests_served, walk->now - w->up_since,
	    rss >= 0 ? rss / 1024 : -1) < 0) {
		walk->rc = -1;
		return;
	}
	walk->first = false;
	if (w->job != NULL && (buf_append(out, ",\"uri\":", 7) < 0 ||
	    status_json_string(out, w->job->label != NULL ? w->job->label : "",
	    w->job->label != NULL ? w->job->label_len : 0) < 0 ||
	    buf_printf(out, ",\"request_seconds\":%.3f", walk->now - w->job_since) < 0)) {
		walk->rc = -1;
		return;
	}
	if (buf_append(out, "}", 1) < 0)
		walk->rc = -1;
}

static const char *status_mode(const struct function_conf *conf)
{
	if (conf->pool.mode == FUNCTION_CGI)
		return "cgi";
	switch (conf->pool.pm) {
	case PM_STATIC: return "static";
	case PM_DYNAMIC: return "dynamic";
	case PM_ONDEMAND: return "ondemand";
	}
	return "unknown";
}

static const char *status_worker_state(enum pool_worker_state state)
{
	switch (state) {
	case POOL_WORKER_IDLE: return "idle";
	case POOL_WORKER_BUSY: return "busy";
	case POOL_WORKER_EXITING: return "exiting";
	}
	return "unknown";
}

/*
 * A JSON string of (s, len): quotes, backslashes, control bytes and bytes
 * past ASCII escaped (a URI's bytes need not be UTF-8; the output always is).
 */
static int status_json_string(struct buf *out, const char *s, size_t len)
{
	if (buf_append(out, "\"", 1) < 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		int rc = ch == '"' || ch == '\\' ? buf_printf(out, "\\%c", ch) :
		    ch < 0x20 || ch >= 0x7f ? buf_printf(out, "\\u%04x", ch) : buf_append(out, &ch, 1);
		if (rc < 0)
			return -1;
	}
	return buf_append(out, "\"", 1);
}
