/*
 * gateway_api.c: the dispatch of /_gateway/ (see gateway_api.h). gatewayd
 * answers these itself, on the event loop, never through a worker: the
 * status page is there when every pool is saturated, which is when an
 * operator looks (PHP-FPM's is served by the pool it describes, and goes
 * when that pool is full).
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "fcgi.h"
#include "gateway.h"
#include "gateway_api.h"
#include "log.h"
#include "metrics_text.h"
#include "status.h"

#define API_JOBS_PREFIX "/_gateway/jobs/"

/* What one of gatewayd's own pages is, and who may see it. */
struct api_page {
	const char *path;
	const char *method;		/* the one it takes besides HEAD for GET */
	bool admin_only;		/* never on the web servers' listeners */
	int (*render)(struct gateway *gw, const struct api_request *q, struct buf *out);
};

static int api_ping(struct gateway *gw, const struct api_request *q, struct buf *out);
static int api_status(struct gateway *gw, const struct api_request *q, struct buf *out);
static int api_metrics(struct gateway *gw, const struct api_request *q, struct buf *out);
static int api_reload(struct gateway *gw, const struct api_request *q, struct buf *out);
static int api_jobs(struct gateway *gw, const struct api_request *q, struct buf *out);
static bool api_front_allowed(const struct gateway *gw, const struct api_request *q);
static bool api_method_is(const struct api_request *q, const char *name);
static bool api_query_part(const struct api_request *q, const char *name, const char **value,
    size_t *value_len);
static bool api_query_has(const struct api_request *q, const char *word);
static bool api_query_value(const struct api_request *q, const char *name, char *out,
    size_t len);
static int api_reply(struct buf *out, int status, const char *content_type, const char *extra,
    const struct buf *body);
static int api_error(struct buf *out, int status, const char *extra, const char *message);

static const struct api_page api_pages[] = {
	{ "/_gateway/ping", "GET", false, api_ping },
	{ "/_gateway/status", "GET", false, api_status },
	{ "/_gateway/metrics", "GET", false, api_metrics },
	{ "/_gateway/reload", "POST", true, api_reload },
	{ "/_gateway/jobs", "GET", true, api_jobs },
};

int gateway_api_answer(struct gateway *gw, const struct api_request *q, struct buf *out)
{
	size_t jobs = strlen(API_JOBS_PREFIX);

	if (q->path_len >= jobs && memcmp(q->path, API_JOBS_PREFIX, jobs) == 0)
		return async_answer_api(gw, q->method, q->method_len, q->path, q->path_len, out);
	for (size_t i = 0; i < sizeof(api_pages) / sizeof(api_pages[0]); i++) {
		const struct api_page *page = &api_pages[i];
		if (q->path_len != strlen(page->path) || memcmp(q->path, page->path, q->path_len) != 0)
			continue;
		if (!q->admin && (page->admin_only || !api_front_allowed(gw, q)))
			break;	/* as if it did not exist: the front learns nothing of it */
		bool get = strcmp(page->method, "GET") == 0;
		if (!api_method_is(q, page->method) && !(get && api_method_is(q, "HEAD"))) {
			char allow[32];
			snprintf(allow, sizeof(allow), "Allow: %s%s\r\n", page->method,
			    get ? ", HEAD" : "");
			return api_error(out, 405, allow, "method not allowed");
		}
		return page->render(gw, q, out);
	}
	return api_error(out, 404, "", "not found");
}

static int api_ping(struct gateway *gw, const struct api_request *q, struct buf *out)
{
	struct buf body = { .data = (uint8_t *)"pong\n", .len = 5, .cap = 5 };
	(void)gw;
	(void)q;

	return api_reply(out, 200, "text/plain; charset=utf-8", "", &body);
}

/* ?full adds one object per worker. */
static int api_status(struct gateway *gw, const struct api_request *q, struct buf *out)
{
	struct buf body = { 0 };
	int rc = status_render(gw, api_query_has(q, "full"), &body);

	if (rc == 0)
		rc = api_reply(out, 200, "application/json", "", &body);
	buf_free(&body);
	return rc;
}

static int api_metrics(struct gateway *gw, const struct api_request *q, struct buf *out)
{
	struct buf body = { 0 };
	int rc = metrics_text_render(gw, &body);
	(void)q;

	if (rc == 0)
		rc = api_reply(out, 200, "text/plain; version=0.0.4; charset=utf-8", "", &body);
	buf_free(&body);
	return rc;
}

/*
 * A reload as SIGHUP asks for it, by SIGHUP: main.c's handler runs it on
 * the next loop iteration, after this answer. The answer gives the count of
 * reloads done so far; the caller sees the reload finish when
 * gatewayd_reloads_total (or its failures) passes it.
 */
static int api_reload(struct gateway *gw, const struct api_request *q, struct buf *out)
{
	struct buf body = { 0 };
	(void)q;

	if (raise(SIGHUP) != 0)
		return api_error(out, 500, "", "cannot signal the reload");
	log_info("reload asked for on the admin socket");
	int rc = buf_printf(&body, "{\"reload\":\"started\",\"reloads\":%llu,\"reload_failures\":%llu}\n",
	    (unsigned long long)gw->metrics.reloads, (unsigned long long)gw->metrics.reload_failures);
	if (rc == 0)
		rc = api_reply(out, 202, "application/json", "", &body);
	buf_free(&body);
	return rc;
}

/*
 * The jobs held, listed (?function=F&state=S&limit=N): the admin socket's
 * only, since a job's id is the permission to read it.
 */
static int api_jobs(struct gateway *gw, const struct api_request *q, struct buf *out)
{
	static const char *const states[] = { "queued", "running", "succeeded", "failed",
		"canceled" };
	char function[128], state[16], limit_text[16];
	bool by_function = api_query_value(q, "function", function, sizeof(function));
	bool by_state = api_query_value(q, "state", state, sizeof(state));
	unsigned long limit = 100;

	if (by_state) {
		bool known = false;
		for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
			known |= strcmp(state, states[i]) == 0;
		if (!known)
			return api_error(out, 400, "", "state must be queued, running, succeeded, "
			    "failed or canceled");
	}
	if (api_query_value(q, "limit", limit_text, sizeof(limit_text))) {
		char *end;
		limit = strtoul(limit_text, &end, 10);
		if (*end != '\0' || limit == 0 || limit > ASYNC_LIST_MAX)
			return api_error(out, 400, "", "limit must be 1..1000");
	}
	return async_list_jobs(gw, by_function ? function : NULL, by_state ? state : NULL, limit,
	    out);
}

/*
 * status.front = on, and the client (REMOTE_ADDR, as the web server tells
 * it) is in status.allowed_clients, or that list is empty.
 */
static bool api_front_allowed(const struct gateway *gw, const struct api_request *q)
{
	const struct conf_strings *allowed = &gw->conf->status_allowed_clients;
	struct fcgi_param remote = FCGI_PARAM("REMOTE_ADDR");
	char text[INET6_ADDRSTRLEN];
	uint8_t addr[16], want[16];

	if (!gw->conf->status_front)
		return false;
	if (allowed->count == 0)
		return true;
	if (fcgi_params_lookup(q->params, q->params_len, &remote, 1) < 0 || !remote.found ||
	    remote.value_len >= sizeof(text))
		return false;
	memcpy(text, remote.value, remote.value_len);
	text[remote.value_len] = '\0';
	int family = strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(family, text, addr) != 1)
		return false;
	for (size_t i = 0; i < allowed->count; i++) {
		const char *a = allowed->items[i];
		if ((strchr(a, ':') != NULL) == (family == AF_INET6) &&
		    inet_pton(family, a, want) == 1 &&
		    memcmp(addr, want, family == AF_INET6 ? 16 : 4) == 0)
			return true;
	}
	return false;
}

static bool api_method_is(const struct api_request *q, const char *name)
{
	return q->method != NULL && q->method_len == strlen(name) &&
	    memcmp(q->method, name, q->method_len) == 0;
}

/*
 * The &-separated part of QUERY_STRING named name (alone, or name=VALUE):
 * true with its value in (*value, *value_len), empty for a bare name.
 */
static bool api_query_part(const struct api_request *q, const char *name, const char **value,
    size_t *value_len)
{
	struct fcgi_param query = FCGI_PARAM("QUERY_STRING");
	size_t nlen = strlen(name);

	if (fcgi_params_lookup(q->params, q->params_len, &query, 1) < 0 || !query.found)
		return false;
	const char *s = (const char *)query.value, *end = s + query.value_len;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *part_end = amp != NULL ? amp : end;
		size_t plen = (size_t)(part_end - s);
		if (plen >= nlen && memcmp(s, name, nlen) == 0 && (plen == nlen || s[nlen] == '=')) {
			*value = plen == nlen ? part_end : s + nlen + 1;
			*value_len = (size_t)(part_end - *value);
			return true;
		}
		s = part_end + 1;
	}
	return false;
}

/* QUERY_STRING has word (alone, or as word=...). */
static bool api_query_has(const struct api_request *q, const char *word)
{
	const char *value;
	size_t len;

	return api_query_part(q, word, &value, &len);
}

/*
 * The value of name=VALUE in QUERY_STRING, copied into out (not decoded:
 * the values taken here are names and numbers); false when absent, empty
 * or longer than out.
 */
static bool api_query_value(const struct api_request *q, const char *name, char *out,
    size_t len)
{
	const char *value;
	size_t vlen;

	if (!api_query_part(q, name, &value, &vlen) || vlen == 0 || vlen >= len)
		return false;
	memcpy(out, value, vlen);
	out[vlen] = '\0';
	return true;
}

/* A whole CGI response: status, type, extra header lines (each ending "\r\n"), body. */
static int api_reply(struct buf *out, int status, const char *content_type, const char *extra,
    const struct buf *body)
{
	if (buf_printf(out, "Status: %d\r\nContent-Type: %s\r\nCache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n%s\r\n", status, content_type, buf_used(body), extra) < 0)
		return -1;
	return buf_append(out, buf_head(body), buf_used(body));
}

static int api_error(struct buf *out, int status, const char *extra, const char *message)
{
	struct buf body = { 0 };
	int rc = buf_printf(&body, "{\"error\":\"%s\"}\n", message);

	if (rc == 0)
		rc = api_reply(out, status, "application/json", extra, &body);
	buf_free(&body);
	return rc;
}
