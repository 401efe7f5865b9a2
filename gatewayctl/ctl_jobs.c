/*
 * ctl_jobs.c: calling functions and following async jobs: invoke (a
 * function through gatewayd, with no web server), job and cancel.
 */
#include <ctype.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* The longest HTTP header name invoke -H takes (as HTTP_NAME it must fit). */
#define CTL_HEADER_NAME_MAX 128

static int cmd_invoke(struct ctl *ctl, int argc, char **argv);
static int cmd_jobs(struct ctl *ctl, int argc, char **argv);
static int cmd_job(struct ctl *ctl, int argc, char **argv);
static int cmd_cancel(struct ctl *ctl, int argc, char **argv);
static int invoke_header(struct admin_call *call, char *names, const char *header);
static int read_data(const char *arg, struct buf *out);
static bool job_id_valid(const char *id);
static bool job_finished(const char *state);

const struct ctl_command ctl_job_commands[] = {
	{ "invoke", "FUNCTION[?QUERY] [--async] [-X METHOD] [--data @FILE|TEXT] [-H 'Name: value']...",
	  "Calls FUNCTION through gatewayd, as a web server would, and prints its response\n"
	  "body (--json: its status, headers and body). --data sends a body (@FILE reads it,\n"
	  "@- reads stdin) and makes the default method POST. --async asks for a job\n"
	  "(Prefer: respond-async) and prints its id. Exit 0 for a 2xx answer, else 1.",
	  cmd_invoke },
	{ "jobs", "[--function F] [--state S] [--limit N]", "The async jobs gatewayd holds, oldest "
	  "first (at most N, default 100): id,\nfunction, state (queued, running, succeeded, "
	  "failed, canceled), attempts, status,\ncreated. Listed on the admin socket only: a job's "
	  "id is the permission to read it.", cmd_jobs },
	{ "job", "ID [--wait] [--result]", "An async job's state. --wait polls until it has "
	  "finished (within --timeout).\n--result prints its result body instead. Exit 0 unless "
	  "it failed or was canceled\n(1) or there is no such job (4).", cmd_job },
	{ "cancel", "ID", "Cancels a queued job (DELETE), or forgets a finished one.", cmd_cancel },
	{ NULL, NULL, NULL, NULL },
};

static int cmd_invoke(struct ctl *ctl, int argc, char **argv)
{
	struct admin_call call = { .method = NULL };
	char path[256], names[ADMIN_CALL_PARAMS_MAX][CTL_HEADER_NAME_MAX + 6];
	struct buf data = { 0 };
	bool async = false, has_data = false;
	const char *function = NULL;
	int rc = CTL_USAGE;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--async") == 0) {
			async = true;
		} else if ((strcmp(a, "--data") == 0 || strcmp(a, "-d") == 0) && i + 1 < argc) {
			if (read_data(argv[++i], &data) < 0)
				goto out;
			has_data = true;
		} else if (strcmp(a, "-X") == 0 && i + 1 < argc) {
			call.method = argv[++i];
		} else if (strcmp(a, "-H") == 0 && i + 1 < argc) {
			if (invoke_header(&call, names[call.param_count], argv[++i]) < 0)
				goto out;
		} else if (a[0] != '-' && function == NULL) {
			function = a;
		} else {
			ctl_error(CTL_USAGE, "invoke: unexpected argument \"%s\"", a);
			goto out;
		}
	}
	if (function == NULL) {
		ctl_error(CTL_USAGE, "invoke: which FUNCTION?");
		goto out;
	}
	if (async && call.param_count < ADMIN_CALL_PARAMS_MAX) {
		call.param_names[call.param_count] = "HTTP_PREFER";
		call.param_values[call.param_count++] = "respond-async";
	}
	/* FUNCTION?QUERY: the query string goes along. */
	char name[128];
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(function, "?"), function);
	if (function[strlen(name)] == '?')
		call.query = function + strlen(name) + 1;
	snprintf(path, sizeof(path), "/function/%s", name);
	call.path = path;
	call.function = function = name;
	call.method = call.method != NULL ? call.method : has_data ? "POST" : "GET";
	call.body = buf_head(&data);
	call.body_len = buf_used(&data);
	struct admin_reply reply;
	if ((rc = ctl_call(ctl, &call, &reply)) != CTL_OK)
		goto out;
	rc = reply.status >= 200 && reply.status < 300 ? CTL_OK : CTL_FAILED;
	if (reply.status == 404 && buf_used(&reply.body) > 0 &&
	    strstr((const char *)buf_head(&reply.body), "no function") != NULL)
		rc = CTL_NOT_FOUND;
	json_t *body = async && reply.status == 202 ?
	    json_loadb((const char *)buf_head(&reply.body), buf_used(&reply.body), 0, NULL) : NULL;
	if (ctl->json) {
		/* s% with a length: the body need not be NUL-terminated (or UTF-8: jansson
		 * then refuses it, and the line says so) */
		json_t *o = json_pack("{s:i,s:s%,s:s%}", "status", reply.status, "headers",
		    buf_used(&reply.headers) > 0 ? (const char *)buf_head(&reply.headers) : "",
		    buf_used(&reply.headers), "body",
		    buf_used(&reply.body) > 0 ? (const char *)buf_head(&reply.body) : "",
		    buf_used(&reply.body));
		if (o == NULL)
			o = json_pack("{s:i,s:s}", "status", reply.status, "error",
			    "the body is not UTF-8 text: use invoke without --json");
		if (body != NULL)
			json_object_set(o, "job", json_object_get(body, "id"));
		ctl_print_json(o);
		json_decref(o);
	} else if (body != NULL) {
		printf("%s\n", json_string_value(json_object_get(body, "id")));
	} else {
		if (rc != CTL_OK)
			fprintf(stderr, "gatewayctl: %s answered %d\n", function, reply.status);
		ctl_write(stdout, &reply.body);
	}
	json_decref(body);
	admin_reply_free(&reply);
out:
	buf_free(&data);
	return rc;
}

/* -H 'Name: value' as the param HTTP_NAME (upper case, '-' as '_'), as nginx passes it. */
static int invoke_header(struct admin_call *call, char *names, const char *header)
{
	const char *colon = strchr(header, ':');
	size_t nlen = colon != NULL ? (size_t)(colon - header) : 0;

	if (nlen == 0 || nlen > CTL_HEADER_NAME_MAX || call->param_count >= ADMIN_CALL_PARAMS_MAX)
		return ctl_error(-1, "-H \"%s\": expected 'Name: value' (at most %d of them)",
		    header, ADMIN_CALL_PARAMS_MAX);
	memcpy(names, "HTTP_", 5);
	for (size_t i = 0; i < nlen; i++)
		names[5 + i] = header[i] == '-' ? '_' : (char)toupper((unsigned char)header[i]);
	names[5 + nlen] = '\0';
	const char *value = colon + 1;
	value += strspn(value, " \t");
	call->param_names[call->param_count] = names;
	call->param_values[call->param_count++] = value;
	return 0;
}

/* --data: TEXT as it is, @FILE read whole, @- standard input. 0 / -1 (said why). */
static int read_data(const char *arg, struct buf *out)
{
	char chunk[65536];
	size_t n;

	if (arg[0] != '@')
		return buf_append(out, arg, strlen(arg));
	FILE *f = strcmp(arg, "@-") == 0 ? stdin : fopen(arg + 1, "rb");
	if (f == NULL)
		return ctl_error(-1, "--data %s: cannot open the file", arg);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(out, chunk, n) < 0)
			break;
	}
	int failed = ferror(f);
	if (f != stdin)
		fclose(f);
	return failed ? ctl_error(-1, "--data %s: read error", arg) : 0;
}

static int cmd_jobs(struct ctl *ctl, int argc, char **argv)
{
	char query[512] = "";
	size_t used = 0;
	json_t *list, *job;
	size_t i;

	for (int a = 1; a < argc; a++) {
		const char *key = strcmp(argv[a], "--function") == 0 ? "function" :
		    strcmp(argv[a], "--state") == 0 ? "state" : strcmp(argv[a], "--limit") == 0 ?
		    "limit" : NULL;
		if (key == NULL || a + 1 >= argc || strspn(argv[a + 1],
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    strlen(argv[a + 1]))
			return ctl_error(CTL_USAGE, "jobs: bad argument \"%s\" (--function F, --state S, "
			    "--limit N)", argv[a]);
		used += (size_t)snprintf(query + used, sizeof(query) - used, "%s%s=%s",
		    used > 0 ? "&" : "", key, argv[++a]);
		if (used >= sizeof(query))
			return ctl_error(CTL_USAGE, "jobs: arguments too long");
	}
	int rc = ctl_get_json(ctl, "/_gateway/jobs", used > 0 ? query : NULL, &list);
	if (rc != CTL_OK)
		return rc == CTL_FAILED ? CTL_USAGE : rc;	/* gatewayd's 400: a bad --state or --limit */
	if (ctl->json) {
		ctl_print_json(list);
	} else {
		printf("%-32s %-20s %-10s %8s %6s  %s\n", "ID", "FUNCTION", "STATE", "ATTEMPTS",
		    "STATUS", "CREATED");
		json_array_foreach(json_object_get(list, "jobs"), i, job) {
			const char *created = json_string_value(json_object_get(job, "created"));
			printf("%-32s %-20s %-10s %8lld %6lld  %s\n",
			    json_string_value(json_object_get(job, "id")),
			    json_string_value(json_object_get(job, "function")),
			    json_string_value(json_object_get(job, "state")),
			    (long long)ctl_num(job, "attempts"), (long long)ctl_num(job, "status"),
			    created != NULL ? created : "-");
		}
		if ((size_t)ctl_num(list, "matched") > json_array_size(json_object_get(list, "jobs")))
			printf("(%lld matched; --limit shows more)\n", (long long)ctl_num(list, "matched"));
	}
	json_decref(list);
	return CTL_OK;
}

static int cmd_job(struct ctl *ctl, int argc, char **argv)
{
	bool wait = false, result = false;
	const char *id = NULL;
	char path[128];
	json_t *job = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--wait") == 0)
			wait = true;
		else if (strcmp(argv[i], "--result") == 0)
			result = true;
		else if (id == NULL && job_id_valid(argv[i]))
			id = argv[i];
		else
			return ctl_error(CTL_USAGE, "job: unexpected argument \"%s\" (an id is 32 hex "
			    "digits)", argv[i]);
	}
	if (id == NULL)
		return ctl_error(CTL_USAGE, "job: which ID?");
	snprintf(path, sizeof(path), "/_gateway/jobs/%s", id);
	double start = admin_now();
	for (;;) {
		int rc = ctl_get_json(ctl, path, NULL, &job);
		if (rc == CTL_NOT_FOUND)
			return ctl_error(rc, "no job %s", id);
		if (rc != CTL_OK)
			return rc;
		const char *state = json_string_value(json_object_get(job, "state"));
		if (!wait || (state != NULL && job_finished(state)) ||
		    admin_now() - start >= ctl->timeout)
			break;
		json_decref(job);
		poll(NULL, 0, 100);
	}
	const char *state = json_string_value(json_object_get(job, "state"));
	int rc = state != NULL && (strcmp(state, "failed") == 0 || strcmp(state, "canceled") == 0) ?
	    CTL_FAILED : CTL_OK;
	if (wait && (state == NULL || !job_finished(state)))
		rc = ctl_error(CTL_FAILED, "job %s still %s after %.0f s", id, state, ctl->timeout);
	if (result && rc == CTL_OK) {
		snprintf(path, sizeof(path), "/_gateway/jobs/%s/result", id);
		const struct admin_call call = { .method = "GET", .path = path };
		struct admin_reply reply;
		if ((rc = ctl_call(ctl, &call, &reply)) == CTL_OK) {
			ctl_write(stdout, &reply.body);
			rc = reply.status < 300 ? CTL_OK : CTL_FAILED;
			admin_reply_free(&reply);
		}
	} else if (ctl->json) {
		ctl_print_json(job);
	} else if (!result) {
		char status[16] = "-";
		if (json_is_integer(json_object_get(job, "status")))
			snprintf(status, sizeof(status), "%lld", (long long)ctl_num(job, "status"));
		printf("%s %s: %s, %lld attempts, status %s\n", id,
		    json_string_value(json_object_get(job, "function")), state,
		    (long long)ctl_num(job, "attempts"), status);
	}
	json_decref(job);
	return rc;
}

static int cmd_cancel(struct ctl *ctl, int argc, char **argv)
{
	char path[128];
	struct admin_reply reply;

	if (argc != 2 || !job_id_valid(argv[1]))
		return ctl_error(CTL_USAGE, "cancel takes one job ID (32 hex digits)");
	snprintf(path, sizeof(path), "/_gateway/jobs/%s", argv[1]);
	const struct admin_call call = { .method = "DELETE", .path = path };
	int rc = ctl_call(ctl, &call, &reply);
	if (rc != CTL_OK)
		return rc;
	ctl_write(ctl->json ? stdout : stderr, &reply.body);
	rc = reply.status == 404 ? CTL_NOT_FOUND : reply.status < 300 ? CTL_OK : CTL_FAILED;
	admin_reply_free(&reply);
	return rc;
}

static bool job_id_valid(const char *id)
{
	return strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32;
}

static bool job_finished(const char *state)
{
	return strcmp(state, "succeeded") == 0 || strcmp(state, "failed") == 0 ||
	    strcmp(state, "canceled") == 0;
}
