/*
 * ctl_status.c: the read-only commands: status, functions, workers, metrics
 * and ping, as tables for people or (--json) what gatewayd answered.
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static int cmd_status(struct ctl *ctl, int argc, char **argv);
static int cmd_functions(struct ctl *ctl, int argc, char **argv);
static int cmd_workers(struct ctl *ctl, int argc, char **argv);
static int cmd_metrics(struct ctl *ctl, int argc, char **argv);
static int cmd_ping(struct ctl *ctl, int argc, char **argv);
static void print_functions(const json_t *status);

const struct ctl_command ctl_status_commands[] = {
	{ "status", "", "gatewayd's version, uptime, connections and reloads, then one line per "
	  "function:\nits pool mode, workers busy/idle/max, wait queue, async queue, requests "
	  "and crashes.", cmd_status },
	{ "functions", "", "One line per function (as in status).", cmd_functions },
	{ "workers", "[FUNCTION]", "One line per worker process (of FUNCTION only, if given): pid, "
	  "uid, state,\nrequests served, RSS, and the URI it runs with its age.", cmd_workers },
	{ "metrics", "", "The Prometheus exposition, as /_gateway/metrics serves it.", cmd_metrics },
	{ "ping", "", "Exits 0 when gatewayd answers on its admin socket.", cmd_ping },
	{ NULL, NULL, NULL, NULL },
};

static int cmd_status(struct ctl *ctl, int argc, char **argv)
{
	json_t *status;
	(void)argv;

	if (argc != 1)
		return ctl_error(CTL_USAGE, "status takes no arguments");
	int rc = ctl_get_json(ctl, "/_gateway/status", NULL, &status);
	if (rc != CTL_OK)
		return rc;
	if (ctl->json) {
		ctl_print_json(status);
	} else {
		printf("gatewayd %s, pid %lld, up %llds; %lld connections (%lld admin); "
		    "%lld reloads, %lld refused; journal %lld bytes\n\n",
		    json_string_value(json_object_get(status, "version")),
		    (long long)ctl_num(status, "pid"), (long long)ctl_num(status, "uptime_seconds"),
		    (long long)ctl_num(status, "connections"), (long long)ctl_num(status, "admin_connections"),
		    (long long)ctl_num(status, "reloads"), (long long)ctl_num(status, "reload_failures"),
		    (long long)ctl_num(status, "journal_bytes"));
		print_functions(status);
	}
	json_decref(status);
	return CTL_OK;
}

static int cmd_functions(struct ctl *ctl, int argc, char **argv)
{
	json_t *status;
	(void)argv;

	if (argc != 1)
		return ctl_error(CTL_USAGE, "functions takes no arguments");
	int rc = ctl_get_json(ctl, "/_gateway/status", NULL, &status);
	if (rc != CTL_OK)
		return rc;
	if (ctl->json)
		ctl_print_json(json_object_get(status, "functions"));
	else
		print_functions(status);
	json_decref(status);
	return CTL_OK;
}

static void print_functions(const json_t *status)
{
	size_t i;
	json_t *f;

	printf("%-20s %-9s %-14s %-11s %-14s %10s %8s\n", "FUNCTION", "MODE", "BUSY/IDLE/MAX",
	    "QUEUE", "ASYNC", "REQUESTS", "CRASHES");
	json_array_foreach(json_object_get(status, "functions"), i, f) {
		char workers[32], queue[32], async[32] = "-";
		snprintf(workers, sizeof(workers), "%lld/%lld/%lld", (long long)ctl_num(f, "workers.busy"),
		    (long long)ctl_num(f, "workers.idle"), (long long)ctl_num(f, "workers.max"));
		snprintf(queue, sizeof(queue), "%lld/%lld", (long long)ctl_num(f, "queue.depth"),
		    (long long)ctl_num(f, "queue.max"));
		if (json_object_get(f, "async") != NULL)
			snprintf(async, sizeof(async), "%lld/%lld", (long long)ctl_num(f, "async.queued"),
			    (long long)ctl_num(f, "async.queue_size"));
		printf("%-20s %-9s %-14s %-11s %-14s %10lld %8lld%s\n",
		    json_string_value(json_object_get(f, "name")),
		    json_string_value(json_object_get(f, "mode")), workers, queue, async,
		    (long long)ctl_num(f, "requests"), (long long)ctl_num(f, "crashes"),
		    json_is_true(json_object_get(f, "held_back")) ? "  (held back)" : "");
	}
}

static int cmd_workers(struct ctl *ctl, int argc, char **argv)
{
	const char *only = argc == 2 ? argv[1] : NULL;
	json_t *status, *f, *w, *list = json_array();
	size_t i, j;
	bool found = only == NULL;

	if (argc > 2)
		return ctl_error(CTL_USAGE, "workers takes at most one FUNCTION");
	int rc = ctl_get_json(ctl, "/_gateway/status", "full", &status);
	if (rc != CTL_OK) {
		json_decref(list);
		return rc;
	}
	if (!ctl->json)
		printf("%-20s %8s %6s %-8s %8s %8s %9s  %s\n", "FUNCTION", "PID", "UID", "STATE",
		    "SERVED", "RSS_KB", "AGE", "URI");
	json_array_foreach(json_object_get(status, "functions"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		if (only != NULL && strcmp(only, name) != 0)
			continue;
		found = true;
		json_array_foreach(json_object_get(f, "worker_list"), j, w) {
			json_object_set_new(w, "function", json_string(name));
			json_array_append(list, w);
			if (ctl->json)
				continue;
			const json_t *age = json_object_get(w, "request_seconds");
			char age_text[24] = "";
			if (age != NULL)
				snprintf(age_text, sizeof(age_text), "%.3fs", json_number_value(age));
			const char *uri = json_string_value(json_object_get(w, "uri"));
			printf("%-20s %8lld %6lld %-8s %8lld %8lld %9s  %s\n", name,
			    (long long)ctl_num(w, "pid"), (long long)ctl_num(w, "uid"),
			    json_string_value(json_object_get(w, "state")),
			    (long long)ctl_num(w, "requests_served"), (long long)ctl_num(w, "rss_kb"),
			    age_text, uri != NULL ? uri : "");
		}
	}
	if (ctl->json && found)
		ctl_print_json(list);
	json_decref(list);
	json_decref(status);
	return found ? CTL_OK : ctl_error(CTL_NOT_FOUND, "no function %s", only);
}

static int cmd_metrics(struct ctl *ctl, int argc, char **argv)
{
	const struct admin_call call = { .method = "GET", .path = "/_gateway/metrics" };
	struct admin_reply reply;
	(void)argv;

	if (argc != 1)
		return ctl_error(CTL_USAGE, "metrics takes no arguments");
	int rc = ctl_call(ctl, &call, &reply);
	if (rc != CTL_OK)
		return rc;
	ctl_write(stdout, &reply.body);
	rc = reply.status == 200 ? CTL_OK : CTL_FAILED;
	admin_reply_free(&reply);
	return rc;
}

static int cmd_ping(struct ctl *ctl, int argc, char **argv)
{
	const struct admin_call call = { .method = "GET", .path = "/_gateway/ping" };
	struct admin_reply reply;
	(void)argv;

	if (argc != 1)
		return ctl_error(CTL_USAGE, "ping takes no arguments");
	int rc = ctl_call(ctl, &call, &reply);
	if (rc != CTL_OK)
		return rc;
	rc = reply.status == 200 ? CTL_OK : CTL_FAILED;
	if (ctl->json)
		printf("{\"ping\":%s}\n", rc == CTL_OK ? "true" : "false");
	else
		ctl_write(stdout, &reply.body);
	admin_reply_free(&reply);
	return rc;
}
