/*
 * request.c: one web-server request (see request.h).
 *
 * A request is collected whole (params up to request.max_params, body up to
 * the function's request.max_body) before it goes to a worker, like nginx's
 * fastcgi_request_buffering: a worker never waits on a slow client, and a
 * request can be resent when a worker exits without reading it. It is
 * encoded for the worker as it arrives, so dispatch is a single write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "async.h"
#include "fcgi.h"
#include "front.h"
#include "function_set.h"
#include "log.h"
#include "record.h"
#include "request.h"
#include "router.h"

/* Paths gatewayd answers itself (async jobs); no function may be routed there. */
#define REQUEST_API_PREFIX "/_gateway/"
/* Sent with every 503: the queue is expected to move within a second. */
#define REQUEST_RETRY_AFTER_HEADER "Retry-After: 1\r\n"

static void request_set_state(struct request *req, enum request_state state);
static int request_params_complete(struct request *req);
static void request_route(struct request *req);
static int request_stdin_complete(struct request *req);
static void request_reject(struct request *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void request_respond(struct request *req, int status, const char *detail);
static void request_send_whole(struct request *req, const void *response, size_t len);
static size_t request_max_body(const struct request *req);
static int request_answer_api(struct request *req);
static int request_accept_async(struct request *req);
static const char *request_status_text(int status);
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

struct request *request_begin(struct front_conn *conn, uint16_t id, bool keep_conn)
{
	struct request *req = calloc(1, sizeof(*req));

	if (req == NULL)
		return NULL;
	req->conn = conn;
	req->id = id;
	req->keep_conn = keep_conn;
	req->state = REQUEST_READING_PARAMS;
	req->job.ops = &request_job_ops;
	return req;
}

static void request_set_state(struct request *req, enum request_state state)
{
	req->state = state;
}

int request_on_params(struct request *req, const uint8_t *content, size_t len)
{
	if (req->state != REQUEST_READING_PARAMS)
		return -1;
	if (len == 0)
		return request_params_complete(req);
	if (req->reject_status != 0)
		return 0;
	if (buf_used(&req->params) + len > req->conn->gw->conf->max_params) {
		request_reject(req, 431, "request params exceed request.max_params (%zu bytes)",
		    req->conn->gw->conf->max_params);
		buf_free(&req->params);
		return 0;
	}
	return buf_append(&req->params, content, len);
}

/*
 * The empty PARAMS record: validate, route, and start the worker's copy of
 * the request (BEGIN_REQUEST with FCGI_KEEP_CONN, then the params rewritten
 * for the function).
 */
static int request_params_complete(struct request *req)
{
	request_set_state(req, REQUEST_READING_STDIN);
	if (req->reject_status != 0)
		return 0;
	request_route(req);
	if (req->reject_status != 0 || req->api || req->async)
		return 0;	/* their params are kept as received */

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

/*
 * One pass over the params validates them and finds what routing and the
 * body limit need; then the function is chosen, and a declared body that is
 * already too large is refused.
 */
static void request_route(struct request *req)
{
	struct gateway *gw = req->conn->gw;
	struct fcgi_param lookup[ROUTER_PARAMS + 3];
	struct fcgi_param *length = &lookup[ROUTER_PARAMS];
	struct fcgi_param *prefer = &lookup[ROUTER_PARAMS + 1];
	struct fcgi_param *x_async = &lookup[ROUTER_PARAMS + 2];

	router_prepare_lookup(lookup);
	*length = (struct fcgi_param)FCGI_PARAM("CONTENT_LENGTH");
	*prefer = (struct fcgi_param)FCGI_PARAM("HTTP_PREFER");
	*x_async = (struct fcgi_param)FCGI_PARAM("HTTP_X_ASYNC");
	if (fcgi_params_lookup(buf_head(&req->params), buf_used(&req->params), lookup,
		ROUTER_PARAMS + 3) < 0) {
		request_reject(req, 400, "malformed FastCGI params");
		return;
	}
	if (router_path(lookup, &req->api_path, &req->api_path_len) &&
	    req->api_path_len >= strlen(REQUEST_API_PREFIX) &&
	    memcmp(req->api_path, REQUEST_API_PREFIX, strlen(REQUEST_API_PREFIX)) == 0) {
		req->api = true;
		return;
	}
	const struct function_conf *conf = router_route(gw->conf, lookup);
	if (conf == NULL) {
		const struct fcgi_param *what = NULL;
		for (int i = 0; i < ROUTER_PARAMS && what == NULL; i++) {
			if (lookup[i].found && lookup[i].value_len > 0)
				what = &lookup[i];
		}
		if (what == NULL)
			request_reject(req, 404, "no function: the request has no path");
		else
			request_reject(req, 404, "no function for %s %.*s", what->name,
			    (int)what->value_len, (const char *)what->value);
		return;
	}
	req->function = gateway_function(gw, conf);
	function_ref(req->function);
	req->async = async_wanted(conf, prefer->found ? prefer->value : NULL, prefer->value_len,
	    x_async->found ? x_async->value : NULL, x_async->value_len);
	req->prefer_async = req->async && prefer->found &&
	    async_prefer_respond_async(prefer->value, prefer->value_len);
	if (length->found && length->value_len > 0 && length->value_len < 20) {
		char digits[20];
		memcpy(digits, length->value, length->value_len);
		digits[length->value_len] = '\0';
		if (strtoull(digits, NULL, 10) > request_max_body(req))
			request_reject(req, 413, "request body exceeds %s (%zu bytes)",
			    req->async ? "async.max_body" : "request.max_body", request_max_body(req));
	}
}

/* The body limit: async.max_body for a request to be queued, else request.max_body. */
static size_t request_max_body(const struct request *req)
{
	const struct function_conf *conf = req->function->conf;

	return req->async ? conf->async.max_body : conf->request.max_body;
}

int request_on_stdin(struct request *req, const uint8_t *content, size_t len)
{
	if (req->state != REQUEST_READING_STDIN)
		return -1;
	if (len == 0)
		return request_stdin_complete(req);
	if (req->reject_status != 0)
		return 0;
	req->body_len += len;
	if (req->api)
		return 0;	/* gatewayd's own paths take no body */
	if (req->body_len > request_max_body(req)) {
		request_reject(req, 413, "request body exceeds %s (%zu bytes)",
		    req->async ? "async.max_body" : "request.max_body", request_max_body(req));
		buf_free(&req->forward);
		buf_free(&req->body);
		return 0;
	}
	if (req->async)
		return buf_append(&req->body, content, len);
	return record_append(&req->forward, FCGI_STDIN, POOL_REQUEST_ID, content, len);
}

/* The empty STDIN record: the request is whole; answer it or run it. */
static int request_stdin_complete(struct request *req)
{
	enum pool_error error;

	if (req->reject_status != 0) {
		request_respond(req, req->reject_status, req->reject_detail);
		return 0;
	}
	if (req->api)
		return request_answer_api(req);
	if (req->async)
		return request_accept_async(req);
	if (record_append(&req->forward, FCGI_STDIN, POOL_REQUEST_ID, NULL, 0) < 0)
		return -1;
	request_set_state(req, REQUEST_AT_POOL);
	req->job.request = buf_head(&req->forward);
	req->job.request_len = buf_used(&req->forward);
	if (pool_submit(req->function->pool, &req->job, &error) < 0)
		request_on_fail(&req->job, error);
	return 0;
}

/* /_gateway/...: gatewayd's own answer (async job state and results). */
static int request_answer_api(struct request *req)
{
	struct buf out = { 0 };

	if (async_answer_api(req->conn->gw, req->api_path, req->api_path_len, &out) < 0) {
		buf_free(&out);
		return -1;
	}
	request_send_whole(req, buf_head(&out), buf_used(&out));
	buf_free(&out);
	return 0;
}

/*
 * An async request, whole: recorded and queued, then answered 202 with
 * where its job can be followed; a full queue or a journal that cannot be
 * written is a 503 and nothing is kept.
 */
static int request_accept_async(struct request *req)
{
	char id[ASYNC_ID_HEX_LEN + 1], response[512];

	switch (async_accept(req->conn->gw, req->function, &req->params, &req->body, id)) {
	case ASYNC_QUEUE_FULL:
		log_warn("function %s: async queue full (async.queue_size %u), answering 503",
		    req->function->conf->name, req->function->conf->async.queue_size);
		request_respond(req, 503, "the function's async queue is full");
		return 0;
	case ASYNC_NOT_RECORDED:
		request_respond(req, 503, "the job could not be recorded");
		return 0;
	case ASYNC_ACCEPTED:
		break;
	}
	int n = snprintf(response, sizeof(response),
	    "Status: 202 Accepted\r\nContent-Type: application/json\r\n"
	    "Location: " REQUEST_API_PREFIX "jobs/%s\r\n%sCache-Control: no-store\r\n\r\n"
	    "{\"id\":\"%s\",\"state\":\"queued\",\"location\":\"" REQUEST_API_PREFIX "jobs/%s\"}\n",
	    id, req->prefer_async ? "Preference-Applied: respond-async\r\n" : "", id, id);
	request_send_whole(req, response, (size_t)n);
	return 0;
}

/* Remembers the first reason to refuse the request; answered when it is whole. */
static void request_reject(struct request *req, int status, const char *fmt, ...)
{
	va_list ap;

	if (req->reject_status != 0)
		return;
	req->reject_status = status;
	va_start(ap, fmt);
	vsnprintf(req->reject_detail, sizeof(req->reject_detail), fmt, ap);
	va_end(ap);
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
	front_send(req->conn, FCGI_STDOUT, req->id, response, len);
	front_send(req->conn, FCGI_STDOUT, req->id, NULL, 0);
	front_send_end(req->conn, req->id, 0, FCGI_REQUEST_COMPLETE);
	front_request_done(req->conn, req);
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

static void request_on_output(struct pool_job *job, uint8_t type, const uint8_t *content,
    size_t len)
{
	struct request *req = request_of_job(job);

	front_send(req->conn, type, req->id, content, len);
}

static void request_on_end(struct pool_job *job, uint32_t app_status, uint8_t protocol_status)
{
	struct request *req = request_of_job(job);

	front_send_end(req->conn, req->id, app_status, protocol_status);
	front_request_done(req->conn, req);
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

	switch (error) {
	case POOL_ERR_QUEUE_FULL:
		log_warn("function %s: queue full (queue.max %u), answering 503", name,
		    req->function->conf->pool.queue_max);
		request_respond(req, 503, "all workers are busy and the queue is full");
		return;
	case POOL_ERR_QUEUE_TIMEOUT:
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
		log_warn("function %s: request from %s ran past request_timeout (%.0f s): worker "
		    "killed%s", name, req->conn->peer, req->function->conf->pool.request_timeout,
		    job->output_started ? ", response cut short" : ", answering 504");
		if (job->output_started)
			front_abort(req->conn);
		else
			request_respond(req, 504, "the function did not answer within request_timeout");
		return;
	case POOL_ERR_WORKER_DIED:
	case POOL_ERR_PROTOCOL:
		log_warn("function %s: %s during a request from %s%s", name,
		    error == POOL_ERR_PROTOCOL ? "worker broke the FastCGI protocol" : "worker died",
		    req->conn->peer, job->output_started ? ", response cut short" : ", answering 502");
		if (job->output_started)
			front_abort(req->conn);
		else
			request_respond(req, 502, "the function's worker failed");
		return;
	}
	log_error("function %s: unknown pool error %d", name, (int)error);
	front_abort(req->conn);
}

void request_abort(struct request *req)
{
	front_send_end(req->conn, req->id, 1, FCGI_REQUEST_COMPLETE);
	front_request_done(req->conn, req);
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
	if (req->state == REQUEST_AT_POOL)
		pool_job_cancel(&req->job);
	if (req->function != NULL)
		function_unref(req->function);
	buf_free(&req->params);
	buf_free(&req->forward);
	buf_free(&req->body);
	free(req);
}
