/*
 * request.h: one web-server request, from BEGIN_REQUEST to END_REQUEST:
 * collect params and body (bounded), route, run on the function's pool,
 * relay the worker's response, or answer an error status itself.
 */
#ifndef GATEWAYD_REQUEST_H
#define GATEWAYD_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pool.h"

struct front_conn;
struct function;

/* Where a request is; changed only through request_set_state(). */
enum request_state {
	REQUEST_READING_PARAMS,	/* collecting PARAMS until the empty record */
	REQUEST_READING_STDIN,	/* collecting STDIN until the empty record */
	REQUEST_AT_POOL,	/* queued for or running on a worker */
};

struct request {
	struct front_conn *conn;
	uint16_t id;			/* the web server's request id */
	bool keep_conn;			/* FCGI_KEEP_CONN: the server keeps the connection */
	enum request_state state;
	int reject_status;		/* HTTP status gatewayd will answer, 0 if none */
	struct function *function;	/* routed to, or NULL */
	struct buf params;		/* the PARAMS stream as received */
	struct buf forward;		/* BEGIN, PARAMS, STDIN records for the worker */
	size_t body_len;
	bool async;			/* to be queued and answered 202 */
	bool prefer_async;		/* it asked with Prefer: respond-async (echoed as applied) */
	bool api;			/* under /_gateway/: answered by gatewayd itself */
	const char *api_path;		/* then: the path, inside params */
	size_t api_path_len;
	struct buf body;		/* an async or api request's body, as received */
	char reject_detail[160];	/* the body line of gatewayd's own error answer */
	struct pool_job job;
	struct request *prev, *next;	/* the connection's requests */
};

/* BEGIN_REQUEST: a new request. Returns it, or NULL when out of memory. */
struct request *request_begin(struct front_conn *conn, uint16_t id, bool keep_conn);

/*
 * A PARAMS or STDIN record's content. Returns 0, or -1 when the record
 * breaks the protocol (the connection must then be closed).
 */
int request_on_params(struct request *req, const uint8_t *content, size_t len);
int request_on_stdin(struct request *req, const uint8_t *content, size_t len);

/* FCGI_ABORT_REQUEST: ends the request at once (END_REQUEST, app status 1). */
void request_abort(struct request *req);

/*
 * Frees the request; a job still at the pool is cancelled first (the
 * worker's output is then discarded). Called by front.c only.
 */
void request_free(struct request *req);

/* Backpressure from the connection's output queue. */
void request_pause(struct request *req);
void request_resume(struct request *req);

#endif /* GATEWAYD_REQUEST_H */
