/*
 * request.c: one web-server request (see request.h).
 *
 * A request is collected whole (params up to request.max_params, body up to
 * the function's request.max_body) before it goes to a worker, like nginx's
 * fastcgi_request_buffering: a worker never waits on a slow client, and a
 * request can be resent when a worker exits without reading it. It is
 * encoded for the worker as it arrives, so dispatch is a single write.
 * Every byte it buffers is first taken from the daemon's request.memory_max
 * budget (budget.h) and given back when the request ends, so many slow or
 * stalled requests together hold a bounded amount of memory.
 *
 * What a record does depends on the request's one disposition (to a
 * worker, to the async queue, to gatewayd itself, refused), decided when
 * the params are whole; each handler is one switch over it, as OpenBSD
 * httpd's server_fcgi_read() is over its state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "budget.h"
#include "fcgi.h"
#include "function_set.h"
#include "gateway.h"
#include "gateway_api.h"
#include "log.h"
#include "record.h"
#include "request.h"
#include "router.h"
#include "slowlog.h"

/* Sent with every 503: the queue is expected to move within a second. */
#define REQUEST_RETRY_AFTER_HEADER "Retry-After: 1\r\n"

static void request_set_state(struct request *req, enum request_state state);
static void request_dispose(struct request *req, enum request_disposition disposition);
static void request_refuse(struct request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int request_unexpected(const struct request *req, const char *handler);
static bool request_take_memory(struct request *req, size_t len);
static void request_drop_buffers(struct request *req);
static int request_params_complete(struct request *req);
static void request_route(struct request *req);
static bool request_method_idempotent(const struct fcgi_param *method);
static void request_refuse_unrouted(struct request *req, const struct fcgi_param *lookup);
static bool request_refuse_large_body(struct request *req, unsigned long long len);
static int request_forward_params(struct request *req);
static int request_stdin_complete(struct request *req);
static int request_submit(struct request *req);
static int request_answer_api(struct request *req);
static int request_accept_async(struct request *req);
static void request_async_decided(struct async_wait *wait, enum async_accept_result result,
    const char *id);
static void request_respond(struct request *req, int status, const char *detail);
static void request_send_whole(struct request *req, const void *response, size_t len);
static const char *request_status_text(int status);
static void request_send(struct request *req, uint8_t type, const void *content, size_t len);
static void request_release_stderr(struct request *req);
static void request_send_end(struct request *req, uint32_t app_status, uint8_t protocol_status);
static void request_done(struct request *req);
static void request_note_summary(struct request *req, const struct fcgi_param *method,
    const struct fcgi_param *uri);
static void request_report(struct request *req);
static void request_on_slow(struct ev_loop *loop, ev_timer *timer, int revents);
static void request_slowlog(struct request *req, const char *why);
static void request_cut_short(struct request *req);
static void request_on_output(struct pool_job *job, uint8_t type, const uint8_t *content,
    size_t len);
static void request_on_end(struct pool_job *job, uint32_t app_status, uint8_t protocol_status);
static void request_on_fail(struct pool_job *job, enum pool_error error);

static const struct pool_job_ops request_job_ops = {
	.output = request_on_output,
	.end = request_on_end,
	.fail = request_on_fail,
};

#define request_of_job(j) ((struct request *)((char *)(j) - offsetof(struct request, job)))
#define request_of_wait(w) \
	((struct request *)((char *)(w) - offsetof(struct request, async_wait)))

struct request *request_begin(struct gateway *gw, const struct request_output *out,
    const char *peer, uint16_t id, bool keep_conn, bool admin)
{
	struct request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->gw = gw;
	req->out = *out;
	req->peer = peer;
	req->id = id;
	req->keep_conn = keep_conn;
	req->admin = admin;
	req->begun = ev_now(gw->loop);
	req->state = REQUEST_READING_PARAMS;
	req->disposition = REQUEST_UNROUTED;
	req->job.ops = &request_job_ops;
	return req;
}

static void request_set_state(struct request *req, enum request_state state)
{
	req->state = state;
}

/*
 * Decides where the request goes: once, from REQUEST_UNROUTED, to a worker,
 * to the async queue or to gatewayd itself; and to REQUEST_REFUSED from any
 * disposition (through request_refuse(), which keeps the first reason).
 * Any other move is a bug.
 */
static void request_dispose(struct request *req, enum request_disposition disposition)
{
	bool allowed;

	switch (disposition) {
	case REQUEST_TO_WORKER:
	case REQUEST_TO_ASYNC:
	case REQUEST_TO_GATEWAY:
		allowed = req->disposition == REQUEST_UNROUTED;
		break;
	case REQUEST_REFUSED:
		allowed = true;
		break;
	default:	/* REQUEST_UNROUTED is where a request starts, never where it goes */
		allowed = false;
		break;
	}
	if (!allowed) {
		log_error("request %u from %s: no way from disposition %d to %d",
		    (unsigned)req->id, req->peer, (int)req->disposition, (int)disposition);
		abort();	/* a bug: no input leads here */
	}
	req->disposition = disposition;
}

/* Refuses the request; the first reason is the one answered, once the request is whole. */
static void request_refuse(struct request *req, int status, const char *fmt, ...)
{
	va_list ap;

	if (req->disposition == REQUEST_REFUSED)
		return;
	req->refusal_status = status;
	va_start(ap, fmt);
	vsnprintf(req->refusal_detail, sizeof(req->refusal_detail), fmt, ap);
	va_end(ap);
	request_dispose(req, REQUEST_REFUSED);
}

/*
 * A record handler met a disposition it cannot have: a bug, logged. Returns
 * -1, so that the connection is closed, and nothing else.
 */
static int request_unexpected(const struct request *req, const char *handler)
{
	log_error("%s: request %u from %s: unexpected disposition %d", handler, (unsigned)req->id,
	    req->peer, (int)req->disposition);
	return -1;
}

int request_on_params(struct request *req, const uint8_t *content, size_t len)
{
	size_t max = req->gw->conf->max_params;

	if (req->state != REQUEST_READING_PARAMS)
		return -1;
	if (len == 0)
		return request_params_complete(req);
	switch (req->disposition) {
	case REQUEST_UNROUTED:
		if (buf_used(&req->params) + len > max) {
			request_refuse(req, 431, "request params exceed request.max_params (%zu bytes)",
			    max);
			request_drop_buffers(req);
			return 0;
		}
		if (!request_take_memory(req, len))
			return 0;
		return buf_append(&req->params, content, len);
	case REQUEST_REFUSED:
		return 0;	/* read to its end, then answered */
	default:
		return request_unexpected(req, __func__);
	}
}

/*
 * Takes len bytes of the daemon's request memory before the request
 * buffers them. When request.memory_max would be passed, the request is
 * refused (503 with Retry-After: the budget frees itself as requests end),
 * what it holds is given back, and the refusal is logged, at most one line
 * a second for all requests. Returns whether the bytes were taken.
 */
static bool request_take_memory(struct request *req, size_t len)
{
	struct gateway *gw = req->gw;
	size_t max = gw->conf->request_memory_max;

	if (budget_take(&gw->request_memory, max, len)) {
		req->memory_held += len;
		return true;
	}
	request_refuse(req, 503, "gatewayd's memory for requests is full (request.memory_max)");
	request_drop_buffers(req);
	unsigned long refused = budget_refusal(&gw->request_memory, ev_now(gw->loop));
	if (refused > 0)
		log_warn("request from %s refused (503): request.memory_max (%zu bytes) is held by "
		    "requests being collected or run; %lu refused since the last such line",
		    req->peer, max, refused);
	return false;
}

/* Frees what the request has buffered and gives those bytes back to the budget. */
static void request_drop_buffers(struct request *req)
{
	buf_free(&req->params);
	buf_free(&req->forward);
	buf_free(&req->body);
	budget_give(&req->gw->request_memory, req->memory_held);
	req->memory_held = 0;
}

/*
 * The empty PARAMS record: the request is routed (unless already refused).
 * A request to a worker starts its worker's copy; the others keep their
 * params as received.
 */
static int request_params_complete(struct request *req)
{
	request_set_state(req, REQUEST_READING_STDIN);
	if (req->disposition == REQUEST_UNROUTED)
		request_route(req);
	switch (req->disposition) {
	case REQUEST_TO_WORKER:
		return request_forward_params(req);
	case REQUEST_TO_ASYNC:
	case REQUEST_TO_GATEWAY:
		return 0;
	case REQUEST_REFUSED:
		request_drop_buffers(req);	/* its params are never read again */
		return 0;
	default:
		return request_unexpected(req, __func__);
	}
}

/*
 * One pass over the params validates them and finds what routing and the
 * body limit need; a path that cannot be made normal is refused (400),
 * whatever else the params say. Then the request is disposed of: to
 * gatewayd under /_gateway/, else to its function (its async queue when it
 * asks for it and the function allows it, else a worker), and a declared
 * body that is already too large is refused.
 */
static void request_route(struct request *req)
{
	struct fcgi_param lookup[ROUTER_PARAMS + 4];
	struct fcgi_param *length = &lookup[ROUTER_PARAMS];
	struct fcgi_param *prefer = &lookup[ROUTER_PARAMS + 1];
	struct fcgi_param *x_async = &lookup[ROUTER_PARAMS + 2];
	struct fcgi_param *method = &lookup[ROUTER_PARAMS + 3];
	const struct fcgi_param *uri = &lookup[ROUTER_REQUEST_URI];
	struct router_path path;
	const char *why;

	router_prepare_lookup(lookup);
	*length = (struct fcgi_param)FCGI_PARAM("CONTENT_LENGTH");
	*prefer = (struct fcgi_param)FCGI_PARAM("HTTP_PREFER");
	*x_async = (struct fcgi_param)FCGI_PARAM("HTTP_X_ASYNC");
	*method = (struct fcgi_param)FCGI_PARAM("REQUEST_METHOD");
	if (fcgi_params_lookup(buf_head(&req->params), buf_used(&req->params), lookup,
		ROUTER_PARAMS + 4) < 0) {
		request_refuse(req, 400, "malformed FastCGI params");
		return;
	}
	request_note_summary(req, method, uri);
	if (router_path(lookup, &path, &why) < 0) {
		request_refuse(req, 400, "%s: %s", path.param->name, why);
		return;
	}
	if (path.param != NULL && path.len >= strlen(GATEWAY_API_PREFIX) &&
	    memcmp(path.path, GATEWAY_API_PREFIX, strlen(GATEWAY_API_PREFIX)) == 0) {
		if (router_path_rewritten(&path)) {	/* api_path must point into the params */
			request_refuse(req, 400, "%s: gatewayd's own paths are answered in normal "
			    "form only", path.param->name);
			return;
		}
		req->api_path = path.path;
		req->api_path_len = path.len;
		req->api_method = method->found ? (const char *)method->value : NULL;
		req->api_method_len = method->value_len;
		request_dispose(req, REQUEST_TO_GATEWAY);
		return;
	}
	const struct function_conf *conf = router_route(req->gw->conf, lookup, &path);
	if (conf == NULL) {
		request_refuse_unrouted(req, lookup);
		return;
	}
	req->function = gateway_function(req->gw, conf);
	function_ref(req->function);
	if (async_wanted(conf, prefer->found ? prefer->value : NULL, prefer->value_len,
		x_async->found ? x_async->value : NULL, x_async->value_len)) {
		req->preference_applied = prefer->found &&
		    async_prefer_respond_async(prefer->value, prefer->value_len);
		request_dispose(req, REQUEST_TO_ASYNC);
	} else {
		req->job.retry_safe = conf->request.retry || request_method_idempotent(method);
		request_dispose(req, REQUEST_TO_WORKER);
	}
	if (length->found && length->value_len > 0 && length->value_len < 20) {
		char digits[20];
		memcpy(digits, length->value, length->value_len);
		digits[length->value_len] = '\0';
		request_refuse_large_body(req, strtoull(digits, NULL, 10));
	}
}

/*
 * GET and HEAD may run twice (RFC 9110 9.2.2 calls them safe; nginx's
 * fastcgi_next_upstream retries only such methods by default). Others run
 * at most once unless the function says retry = yes.
 */
static bool request_method_idempotent(const struct fcgi_param *method)
{
	return method->found &&
	    ((method->value_len == 3 && memcmp(method->value, "GET", 3) == 0) ||
	     (method->value_len == 4 && memcmp(method->value, "HEAD", 4) == 0));
}

/* No function for the request: 404, naming the first routing param it has. */
static void request_refuse_unrouted(struct request *req, const struct fcgi_param *lookup)
{
	const struct fcgi_param *what = NULL;

	for (int i = 0; i < ROUTER_PARAMS && what == NULL; i++) {
		if (lookup[i].found && lookup[i].value_len > 0)
			what = &lookup[i];
	}
	if (what == NULL)
		request_refuse(req, 404, "no function: the request has no path");
	else
		request_refuse(req, 404, "no function for %s %.*s", what->name,
		    (int)what->value_len, (const char *)what->value);
}

/*
 * For a request to a worker or to the async queue: refuses it (413) when a
 * body of len bytes, declared or received so far, exceeds its limit, read
 * from the function's live settings: async.max_body for a request to be
 * queued, else request.max_body. Returns whether it did.
 */
static bool request_refuse_large_body(struct request *req, unsigned long long len)
{
	const struct function_conf *conf = req->function->conf;
	bool to_async = req->disposition == REQUEST_TO_ASYNC;
	size_t max = to_async ? conf->async.max_body : conf->request.max_body;

	if (len <= max)
		return false;
	request_refuse(req, 413, "request body exceeds %s (%zu bytes)",
	    to_async ? "async.max_body" : "request.max_body", max);
	return true;
}

/*
 * Starts the worker's copy of the request: BEGIN_REQUEST (FCGI_KEEP_CONN)
 * and the params rewritten for the function. 0 / -1 (out of memory).
 */
static int request_forward_params(struct request *req)
{
	struct buf *fwd = &req->forward;
	uint8_t *begin = buf_reserve(fwd, FCGI_HEADER_LEN + 8);

	if (begin == NULL || function_rewrite_params(req->function, &req->params) < 0)
		return -1;
	fwd->len += fcgi_begin_request_encode(begin, FCGI_HEADER_LEN + 8, POOL_REQUEST_ID,
	    FCGI_RESPONDER, FCGI_KEEP_CONN);
	if (record_append(fwd, FCGI_PARAMS, POOL_REQUEST_ID, buf_head(&req->params),
		buf_used(&req->params)) < 0 ||
	    record_append(fwd, FCGI_PARAMS, POOL_REQUEST_ID, NULL, 0) < 0)
		return -1;
	buf_free(&req->params);
	return 0;
}

int request_on_stdin(struct request *req, const uint8_t *content, size_t len)
{
	if (req->state != REQUEST_READING_STDIN)
		return -1;
	if (len == 0)
		return request_stdin_complete(req);
	req->body_len += len;
	switch (req->disposition) {
	case REQUEST_TO_WORKER:
		if (request_refuse_large_body(req, req->body_len)) {
			request_drop_buffers(req);
			return 0;
		}
		if (!request_take_memory(req, len))
			return 0;
		return record_append(&req->forward, FCGI_STDIN, POOL_REQUEST_ID, content, len);
	case REQUEST_TO_ASYNC:
		if (request_refuse_large_body(req, req->body_len)) {
			request_drop_buffers(req);
			return 0;
		}
		if (!request_take_memory(req, len))
			return 0;
		return buf_append(&req->body, content, len);
	case REQUEST_TO_GATEWAY:
		return 0;	/* gatewayd's own paths take no body */
	case REQUEST_REFUSED:
		return 0;	/* read to its end, then answered */
	default:
		return request_unexpected(req, __func__);
	}
}

/* The empty STDIN record: the request is whole; answer it or run it. */
static int request_stdin_complete(struct request *req)
{
	switch (req->disposition) {
	case REQUEST_TO_WORKER:
		return request_submit(req);
	case REQUEST_TO_ASYNC:
		return request_accept_async(req);
	case REQUEST_TO_GATEWAY:
		return request_answer_api(req);
	case REQUEST_REFUSED:
		request_respond(req, req->refusal_status, req->refusal_detail);
		return 0;
	default:
		return request_unexpected(req, __func__);
	}
}

/* The worker's copy, whole, goes to the function's pool. 0 / -1 (out of memory). */
static int request_submit(struct request *req)
{
	enum pool_error error;

	if (record_append(&req->forward, FCGI_STDIN, POOL_REQUEST_ID, NULL, 0) < 0)
		return -1;
	request_set_state(req, REQUEST_AT_POOL);
	req->job.request = buf_head(&req->forward);
	req->job.request_len = buf_used(&req->forward);
	double slow = req->function->conf->request.slowlog_timeout;
	if (slow > 0) {
		ev_timer_init(&req->slowlog_timer, request_on_slow, slow, 0);
		ev_timer_start(req->gw->loop, &req->slowlog_timer);
	}
	if (pool_submit(req->function->pool, &req->job, &error) < 0)
		request_on_fail(&req->job, error);
	return 0;
}

/* request_slowlog_timeout passed: the slow-request entry, once. */
static void request_on_slow(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct request *req = (struct request *)((char *)timer -
	    offsetof(struct request, slowlog_timer));
	(void)loop;
	(void)revents;
	request_slowlog(req, "running longer than request_slowlog_timeout");
}

/* The slow-request entry for a request at the pool (slowlog.h). */
static void request_slowlog(struct request *req, const char *why)
{
	pid_t pid = pool_job_pid(&req->job);

	if (pid == 0)
		pid = req->worker_pid;
	req->worker_pid = pid;	/* the kill's entry, after the pool let the worker go */
	slowlog_entry(req->gw->spawner, why, req->function->conf->name, req->summary_uri,
	    req->summary_uri_len, pid, ev_now(req->gw->loop) - req->begun);
}

/* /_gateway/...: gatewayd's own answer (gateway_api.c). */
static int request_answer_api(struct request *req)
{
	struct buf out = { 0 };
	const struct api_request query = {
		.admin = req->admin, .method = req->api_method, .method_len = req->api_method_len,
		.path = req->api_path, .path_len = req->api_path_len,
		.params = buf_head(&req->params), .params_len = buf_used(&req->params),
	};

	if (gateway_api_answer(req->gw, &query, &out) < 0) {
		buf_free(&out);
		return -1;
	}
	request_send_whole(req, buf_head(&out), buf_used(&out));
	buf_free(&out);
	return 0;
}

/*
 * An async request, whole: recorded and queued, then answered 202 with
 * where its job can be followed; a callback URL outside async.callback_allow
 * is a 400, a full queue or a journal that cannot be
 * written is a 503 and nothing is kept.
 */
static int request_accept_async(struct request *req)
{
	char id[ASYNC_ID_HEX_LEN + 1];

	req->async_wait.decided = request_async_decided;
	enum async_accept_result result = async_accept(req->gw, req->function, &req->params,
	    &req->body, id, &req->async_wait);
	if (result != ASYNC_HELD)
		request_async_decided(&req->async_wait, result, id);
	return 0;
}

/*
 * What async_accept() decided, at once or after the group commit's sync:
 * 202 with where the job can be followed, or gatewayd's 400 or 503.
 */
static void request_async_decided(struct async_wait *wait, enum async_accept_result result,
    const char *id)
{
	struct request *req = request_of_wait(wait);
	char response[512];

	switch (result) {
	case ASYNC_QUEUE_FULL:
		log_warn("function %s: async queue full (async.queue_size %u), answering 503",
		    req->function->conf->name, req->function->conf->async.queue_size);
		request_respond(req, 503, "the function's async queue is full");
		return;
	case ASYNC_NOT_RECORDED:
		request_respond(req, 503, "the job could not be recorded");
		return;
	case ASYNC_CALLBACK_REFUSED:
		request_respond(req, 400, "X-Callback-Url is not allowed (async.callback_allow)");
		return;
	case ASYNC_UNAVAILABLE:
		request_respond(req, 503, "the job queue (NATS JetStream) is not reachable");
		return;
	case ASYNC_TOO_LARGE:
		request_respond(req, 413, "the job is larger than a NATS message may be "
		    "(the server's max_payload)");
		return;
	case ASYNC_HELD:
	case ASYNC_ACCEPTED:
		break;
	}
	memcpy(req->job_id, id, sizeof(req->job_id));
	int n = snprintf(response, sizeof(response),
	    "Status: 202 Accepted\r\nContent-Type: application/json\r\n"
	    "Location: " GATEWAY_API_PREFIX "jobs/%s\r\n%sCache-Control: no-store\r\n\r\n"
	    "{\"id\":\"%s\",\"state\":\"queued\",\"location\":\"" GATEWAY_API_PREFIX "jobs/%s\"}\n",
	    id, req->preference_applied ? "Preference-Applied: respond-async\r\n" : "", id, id);
	request_send_whole(req, response, (size_t)n);
}

/*
 * Answers the request with gatewayd's own status and a one-line text body,
 * then ends it.
 */
static void request_respond(struct request *req, int status, const char *detail)
{
	char response[512];
	int n = snprintf(response, sizeof(response),
	    "Status: %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n%s\r\n%d %s: %s\n", status,
	    request_status_text(status), status == 503 ? REQUEST_RETRY_AFTER_HEADER : "", status,
	    request_status_text(status), detail);
	if (n < 0 || (size_t)n >= sizeof(response))
		n = (int)sizeof(response) - 1;
	request_send_whole(req, response, (size_t)n);
}

/* Sends a whole response of gatewayd's own (STDOUT, its end, END_REQUEST) and ends the request. */
static void request_send_whole(struct request *req, const void *response, size_t len)
{
	request_send(req, FCGI_STDOUT, response, len);
	request_send(req, FCGI_STDOUT, NULL, 0);
	request_send_end(req, 0, FCGI_REQUEST_COMPLETE);
	request_done(req);
}

static const char *request_status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Error";
	}
}

/*
 * Through the connection: a record with the request's id. FCGI_STDERR
 * waits until the STDOUT that completes the header block has gone
 * (stderr_hold.h says why), and goes right after it.
 */
static void request_send(struct request *req, uint8_t type, const void *content, size_t len)
{
	struct stderr_hold *hold = &req->stderr_hold;

	if (type == FCGI_STDOUT) {
		req->bytes_out += len;
		response_status_feed(&req->status, content, len);
	}
	if (stderr_hold_active(hold)) {
		if (type == FCGI_STDERR && stderr_hold_keep(hold, content, len) == 0)
			return;
		if (type == FCGI_STDOUT && stderr_hold_header_ends(hold, content, len)) {
			req->out.ops->send(req->out.owner, type, req->id, content, len);
			request_release_stderr(req);
			return;
		}
	}
	req->out.ops->send(req->out.owner, type, req->id, content, len);
}

/* What FCGI_STDERR was held goes now, record by record; later stderr is not held. */
static void request_release_stderr(struct request *req)
{
	const uint8_t *content;
	size_t len;

	while (stderr_hold_release_next(&req->stderr_hold, &content, &len))
		req->out.ops->send(req->out.owner, FCGI_STDERR, req->id, content, len);
}

/* END_REQUEST, after any FCGI_STDERR still held (a response with no header). */
static void request_send_end(struct request *req, uint32_t app_status, uint8_t protocol_status)
{
	request_release_stderr(req);
	req->out.ops->send_end(req->out.owner, req->id, app_status, protocol_status);
}

/* The request is answered whole: its connection unlinks and frees it. */
static void request_done(struct request *req)
{
	req->answered = true;
	req->out.ops->done(req->out.owner, req);
}

/*
 * Routing looked the params up: keeps the method and the URI (cut at
 * REQUEST_SUMMARY_URI_MAX) for the summary, the slow-request log and the
 * status page (the job's label), the params being freed or rewritten long
 * before the request ends.
 */
static void request_note_summary(struct request *req, const struct fcgi_param *method,
    const struct fcgi_param *uri)
{
	if (method->found) {
		req->summary_method_len = method->value_len < sizeof(req->summary_method) ?
		    method->value_len : sizeof(req->summary_method);
		memcpy(req->summary_method, method->value, req->summary_method_len);
	}
	if (uri->found) {
		req->summary_uri_len = uri->value_len < sizeof(req->summary_uri) ?
		    uri->value_len : sizeof(req->summary_uri);
		memcpy(req->summary_uri, uri->value, req->summary_uri_len);
	}
	req->job.label = req->summary_uri;
	req->job.label_len = req->summary_uri_len;
}

/*
 * Hands the request's summary to every observer: once, as the request is
 * freed, whichever way it ended (status 0 unless a whole response went).
 */
static void request_report(struct request *req)
{
	const struct request_observers *obs = &req->gw->request_observers;
	struct request_summary summary = {
		.function = req->function != NULL ? req->function->conf->name : NULL,
		.peer = req->peer,
		.method = { req->summary_method, req->summary_method_len },
		.uri = { req->summary_uri, req->summary_uri_len },
		.status = req->answered ? response_status_code(&req->status) : 0,
		.started = req->begun,
		.duration = ev_now(req->gw->loop) - req->begun,
		.worker_pid = req->worker_pid,
		.bytes_in = req->body_len,
		.bytes_out = req->bytes_out,
		.job_id = req->job_id[0] != '\0' ? req->job_id : NULL,
	};

	for (size_t i = 0; i < obs->count; i++)
		obs->list[i].finished(obs->list[i].owner, &summary);
}

/* The response cannot be completed: the connection is cut after what is queued. */
static void request_cut_short(struct request *req)
{
	req->out.ops->abort(req->out.owner);
}

static void request_on_output(struct pool_job *job, uint8_t type, const uint8_t *content,
    size_t len)
{
	struct request *req = request_of_job(job);

	if (req->worker_pid == 0)
		req->worker_pid = pool_job_pid(job);
	request_send(req, type, content, len);
}

static void request_on_end(struct pool_job *job, uint32_t app_status, uint8_t protocol_status)
{
	struct request *req = request_of_job(job);

	request_send_end(req, app_status, protocol_status);
	request_done(req);
}

/*
 * No whole response from a worker. Before any output the client gets a
 * status of ours; after it, the web server's connection is cut so it sees
 * the response as incomplete rather than as a short success.
 */
static void request_on_fail(struct pool_job *job, enum pool_error error)
{
	struct request *req = request_of_job(job);
	const char *name = req->function->conf->name;

	if (req->worker_pid == 0)
		req->worker_pid = pool_job_pid(job);

	switch (error) {
	case POOL_ERR_QUEUE_FULL:
		req->function->counters->queue_full++;
		log_warn("function %s: queue full (queue.max %u), answering 503", name,
		    req->function->conf->pool.queue_max);
		request_respond(req, 503, "all workers are busy and the queue is full");
		return;
	case POOL_ERR_QUEUE_TIMEOUT:
		req->function->counters->queue_timeouts++;
		log_warn("function %s: waited queue.timeout for a worker, answering 503", name);
		request_respond(req, 503, "no worker became free within queue.timeout");
		return;
	case POOL_ERR_STOPPED:
		request_respond(req, 503, "gatewayd is stopping");
		return;
	case POOL_ERR_HELD_BACK:
		request_respond(req, 503, "the function is held back: its workers keep failing");
		return;
	case POOL_ERR_TIMEOUT:
		req->function->counters->timeouts++;
		request_slowlog(req, "killed by request_timeout");
		log_warn("function %s: request from %s ran past request_timeout (%.0f s): worker "
		    "killed%s", name, req->peer, req->function->conf->pool.request_timeout,
		    job->output_started ? ", response cut short" : ", answering 504");
		if (job->output_started)
			request_cut_short(req);
		else
			request_respond(req, 504, "the function did not answer within request_timeout");
		return;
	case POOL_ERR_WORKER_DIED:
	case POOL_ERR_PROTOCOL:
		log_warn("function %s: %s during a request from %s%s", name,
		    error == POOL_ERR_PROTOCOL ? "worker broke the FastCGI protocol" : "worker died",
		    req->peer, job->output_started ? ", response cut short" : ", answering 502");
		if (job->output_started)
			request_cut_short(req);
		else
			request_respond(req, 502, "the function's worker failed");
		return;
	}
	log_error("function %s: unknown pool error %d", name, (int)error);
	request_cut_short(req);
}

void request_abort(struct request *req)
{
	request_send_end(req, 1, FCGI_REQUEST_COMPLETE);
	req->out.ops->done(req->out.owner, req);	/* not answered: its summary says 0 */
}

void request_pause(struct request *req)
{
	if (req->state == REQUEST_AT_POOL)
		pool_job_pause(&req->job);
}

void request_resume(struct request *req)
{
	if (req->state == REQUEST_AT_POOL)
		pool_job_resume(&req->job);
}

void request_free(struct request *req)
{
	request_report(req);
	ev_timer_stop(req->gw->loop, &req->slowlog_timer);	/* (harmless when never started) */
	if (req->state == REQUEST_AT_POOL)
		pool_job_cancel(&req->job);
	async_wait_cancel(&req->async_wait);
	if (req->function != NULL)
		function_unref(req->function);
	request_drop_buffers(req);
	stderr_hold_free(&req->stderr_hold);
	free(req);
}
