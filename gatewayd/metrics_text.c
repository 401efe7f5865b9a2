/*
 * metrics_text.c: the Prometheus exposition (see metrics_text.h). Names
 * follow Prometheus' conventions: a gatewayd_ prefix, base units
 * (seconds, bytes), _total on counters; the function is a label. Every
 * family is written for each function of the current configuration, in
 * its order, so a scrape always sees the same series.
 */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "async.h"
#include "function.h"
#include "gateway.h"
#include "metrics_text.h"

/* A per-function counter family read straight from struct function_counters. */
struct counter_family {
	const char *name;
	const char *help;
	size_t offset;			/* of a uint64_t in struct function_counters */
};

#define COUNTER(name, field, help) { name, help, offsetof(struct function_counters, field) }

static const struct counter_family counter_families[] = {
	COUNTER("gatewayd_requests_cut_total", requests_cut,
	    "Requests whose response was cut short or aborted."),
	COUNTER("gatewayd_worker_spawns_total", spawns, "Worker processes started."),
	COUNTER("gatewayd_worker_spawn_failures_total", spawn_failures,
	    "Worker starts that failed before or at exec."),
	COUNTER("gatewayd_worker_exits_total", exits, "Worker processes reaped."),
	COUNTER("gatewayd_worker_crashes_total", crashes,
	    "Worker processes that were killed by a signal or exited non-zero."),
	COUNTER("gatewayd_seccomp_kills_total", seccomp_kills,
	    "Worker processes killed by their seccomp filter (SIGSYS)."),
	COUNTER("gatewayd_request_timeouts_total", timeouts,
	    "Requests and async attempts killed at request_timeout."),
	COUNTER("gatewayd_queue_full_total", queue_full,
	    "Requests refused with 503 because the wait queue was full."),
	COUNTER("gatewayd_queue_timeouts_total", queue_timeouts,
	    "Requests refused with 503 after waiting queue.timeout."),
};

static int metrics_family(struct buf *out, const char *name, const char *type, const char *help);
static int metrics_nats(const struct gateway *gw, struct buf *out);
static int metrics_label(struct buf *out, const char *name);
static int metrics_requests(struct gateway *gw, struct buf *out);
static int metrics_durations(struct gateway *gw, struct buf *out);
static int metrics_pools(struct gateway *gw, struct buf *out);
static int metrics_counters(struct gateway *gw, struct buf *out);
static int metrics_async(struct gateway *gw, struct buf *out);

int metrics_text_render(struct gateway *gw, struct buf *out)
{
	if (metrics_family(out, "gatewayd_build_info", "gauge", "gatewayd's version.") < 0 ||
	    buf_printf(out, "gatewayd_build_info{version=\"%s\"} 1\n", gw->version) < 0 ||
	    metrics_family(out, "gatewayd_start_time_seconds", "gauge",
	    "When gatewayd started, in seconds since the epoch.") < 0 ||
	    buf_printf(out, "gatewayd_start_time_seconds %.3f\n", gw->started_at) < 0 ||
	    metrics_family(out, "gatewayd_connections", "gauge",
	    "Open connections, from web servers (front) and on the admin socket.") < 0 ||
	    buf_printf(out, "gatewayd_connections{listener=\"front\"} %u\n"
	    "gatewayd_connections{listener=\"admin\"} %u\n", gw->conn_count - gw->admin_conn_count,
	    gw->admin_conn_count) < 0 ||
	    metrics_family(out, "gatewayd_reloads_total", "counter",
	    "Reloads whose configuration was taken.") < 0 ||
	    buf_printf(out, "gatewayd_reloads_total %llu\n",
	    (unsigned long long)gw->metrics.reloads) < 0 ||
	    metrics_family(out, "gatewayd_reload_failures_total", "counter",
	    "Reloads refused; the running configuration stayed.") < 0 ||
	    buf_printf(out, "gatewayd_reload_failures_total %llu\n",
	    (unsigned long long)gw->metrics.reload_failures) < 0 ||
	    metrics_family(out, "gatewayd_async_journal_bytes", "gauge",
	    "Size of the async journal file.") < 0 ||
	    buf_printf(out, "gatewayd_async_journal_bytes %llu\n",
	    (unsigned long long)async_journal_bytes(gw)) < 0 || metrics_nats(gw, out) < 0)
		return -1;
	if (metrics_requests(gw, out) < 0 || metrics_durations(gw, out) < 0 ||
	    metrics_pools(gw, out) < 0 || metrics_counters(gw, out) < 0 ||
	    metrics_async(gw, out) < 0)
		return -1;
	return 0;
}

/* async.backend = nats: whether NATS is reachable, and the accepts refused for its sake. */
static int metrics_nats(const struct gateway *gw, struct buf *out)
{
	struct async_nats_status ns;

	async_nats_status(gw, &ns);
	if (!ns.enabled)
		return 0;
	if (metrics_family(out, "gatewayd_nats_connected", "gauge",
	    "1 while NATS JetStream is reachable and set up (async.backend = nats).") < 0 ||
	    buf_printf(out, "gatewayd_nats_connected %d\n", ns.connected ? 1 : 0) < 0 ||
	    metrics_family(out, "gatewayd_nats_publish_failures_total", "counter",
	    "Async requests answered 503 because NATS did not store their job.") < 0)
		return -1;
	return buf_printf(out, "gatewayd_nats_publish_failures_total %llu\n",
	    (unsigned long long)ns.publish_failures);
}

static int metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
	return buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* function="name": names are [A-Za-z0-9_.-]+ (config checks), nothing to escape. */
static int metrics_label(struct buf *out, const char *name)
{
	return buf_printf(out, "function=\"%s\"", name);
}

/* gatewayd_requests_total{function,code}: only the codes seen. */
static int metrics_requests(struct gateway *gw, struct buf *out)
{
	if (metrics_family(out, "gatewayd_requests_total", "counter",
	    "Requests answered, by HTTP status.") < 0)
		return -1;
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		const struct function_counters *c = gw->functions[i]->counters;
		for (int s = 0; s < METRICS_STATUS_COUNT; s++) {
			if (c->requests[s] == 0)
				continue;
			if (buf_append(out, "gatewayd_requests_total{", 24) < 0 ||
			    metrics_label(out, c->name) < 0 ||
			    buf_printf(out, ",code=\"%d\"} %llu\n", s + METRICS_STATUS_MIN,
			    (unsigned long long)c->requests[s]) < 0)
				return -1;
		}
		if (c->requests_other > 0 && (buf_append(out, "gatewayd_requests_total{", 24) < 0 ||
		    metrics_label(out, c->name) < 0 ||
		    buf_printf(out, ",code=\"other\"} %llu\n",
		    (unsigned long long)c->requests_other) < 0))
			return -1;
	}
	return 0;
}

/* gatewayd_request_duration_seconds: one histogram per function. */
static int metrics_durations(struct gateway *gw, struct buf *out)
{
	static const char name[] = "gatewayd_request_duration_seconds";

	if (metrics_family(out, name, "histogram",
	    "Time from a request's BEGIN_REQUEST to its end.") < 0)
		return -1;
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		const struct function_counters *c = gw->functions[i]->counters;
		for (int b = 0; b <= METRICS_BUCKETS; b++) {
			if (buf_printf(out, "%s_bucket{", name) < 0 || metrics_label(out, c->name) < 0)
				return -1;
			int rc = b < METRICS_BUCKETS ?
			    buf_printf(out, ",le=\"%g\"} %llu\n", metrics_bucket_bounds[b],
			    (unsigned long long)c->duration_buckets[b]) :
			    buf_printf(out, ",le=\"+Inf\"} %llu\n",
			    (unsigned long long)c->duration_count);
			if (rc < 0)
				return -1;
		}
		if (buf_printf(out, "%s_sum{", name) < 0 || metrics_label(out, c->name) < 0 ||
		    buf_printf(out, "} %.6f\n%s_count{", c->duration_sum, name) < 0 ||
		    metrics_label(out, c->name) < 0 ||
		    buf_printf(out, "} %llu\n", (unsigned long long)c->duration_count) < 0)
			return -1;
	}
	return 0;
}

/* Workers by state, and the wait queue, now. */
static int metrics_pools(struct gateway *gw, struct buf *out)
{
	static const char *const states[] = { "idle", "busy", "exiting" };
	struct pool_stats ps;

	if (metrics_family(out, "gatewayd_workers", "gauge", "Worker processes, by state.") < 0)
		return -1;
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		pool_get_stats(gw->functions[i]->pool, &ps);
		const unsigned counts[] = { ps.idle, ps.busy, ps.exiting };
		for (size_t s = 0; s < 3; s++) {
			if (buf_append(out, "gatewayd_workers{", 17) < 0 ||
			    metrics_label(out, gw->conf->functions[i].name) < 0 ||
			    buf_printf(out, ",state=\"%s\"} %u\n", states[s], counts[s]) < 0)
				return -1;
		}
	}
	static const struct { const char *name, *help; } gauges[] = {
		{ "gatewayd_workers_max", "pm.max_children." },
		{ "gatewayd_queue_depth", "Requests waiting for a worker." },
		{ "gatewayd_queue_max", "queue.max: requests allowed to wait." },
	};
	for (size_t g = 0; g < 3; g++) {
		if (metrics_family(out, gauges[g].name, "gauge", gauges[g].help) < 0)
			return -1;
		for (size_t i = 0; i < gw->conf->function_count; i++) {
			pool_get_stats(gw->functions[i]->pool, &ps);
			unsigned v = g == 0 ? ps.max : g == 1 ? ps.queued : ps.queue_max;
			if (buf_printf(out, "%s{", gauges[g].name) < 0 ||
			    metrics_label(out, gw->conf->functions[i].name) < 0 ||
			    buf_printf(out, "} %u\n", v) < 0)
				return -1;
		}
	}
	return 0;
}

/* The plain per-function counters (counter_families). */
static int metrics_counters(struct gateway *gw, struct buf *out)
{
	for (size_t f = 0; f < sizeof(counter_families) / sizeof(counter_families[0]); f++) {
		const struct counter_family *fam = &counter_families[f];
		if (metrics_family(out, fam->name, "counter", fam->help) < 0)
			return -1;
		for (size_t i = 0; i < gw->conf->function_count; i++) {
			const struct function_counters *c = gw->functions[i]->counters;
			uint64_t v = *(const uint64_t *)((const char *)c + fam->offset);
			if (buf_printf(out, "%s{", fam->name) < 0 || metrics_label(out, c->name) < 0 ||
			    buf_printf(out, "} %llu\n", (unsigned long long)v) < 0)
				return -1;
		}
	}
	return 0;
}

/* Async queues now and what became of their jobs, for functions that have one. */
static int metrics_async(struct gateway *gw, struct buf *out)
{
	static const char *const outcomes[] = { "succeeded", "failed", "canceled" };
	static const struct { const char *name, *type, *help; } families[] = {
		{ "gatewayd_async_queue_depth", "gauge", "Async jobs waiting for a worker." },
		{ "gatewayd_async_running", "gauge", "Async attempts running on workers." },
		{ "gatewayd_async_jobs_accepted_total", "counter", "Async jobs answered 202." },
		{ "gatewayd_async_jobs_finished_total", "counter", "Async jobs finished, by outcome." },
		{ "gatewayd_async_retries_total", "counter", "Async attempts that failed and were retried." },
	};
	struct async_function_stats st;

	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		if (metrics_family(out, families[f].name, families[f].type, families[f].help) < 0)
			return -1;
		for (size_t i = 0; i < gw->conf->function_count; i++) {
			const char *fname = gw->conf->functions[i].name;
			if (!async_function_stats(gw, fname, &st))
				continue;
			const uint64_t values[] = { st.queued, st.running, st.counts.accepted, 0,
				st.counts.retried };
			const uint64_t finished[] = { st.counts.succeeded, st.counts.failed,
				st.counts.canceled };
			for (size_t o = 0; o < (f == 3 ? 3u : 1u); o++) {
				if (buf_printf(out, "%s{", families[f].name) < 0 ||
				    metrics_label(out, fname) < 0)
					return -1;
				int rc = f == 3 ? buf_printf(out, ",outcome=\"%s\"} %llu\n", outcomes[o],
				    (unsigned long long)finished[o]) :
				    buf_printf(out, "} %llu\n", (unsigned long long)values[f]);
				if (rc < 0)
					return -1;
			}
		}
	}
	return 0;
}
