/*
 * request.h: one web-server request, from BEGIN_REQUEST to END_REQUEST:
 * collect params and body (bounded), route, run on the function's pool,
 * relay the worker's response, or answer a status itself. It answers
 * through the struct request_output its connection lends it: request.c
 * calls nothing in front.c.
 */
#ifndef GATEWAYD_REQUEST_H
#define GATEWAYD_REQUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "async.h"
#include "buf.h"
#include "pool.h"
#include "response_status.h"
#include "stderr_hold.h"

/* What of REQUEST_URI a summary keeps (the access log's %r); longer ones are cut. */
#define REQUEST_SUMMARY_URI_MAX 512

struct function;
struct gateway;
struct request;

/* Where a request is; changed only through request_set_state(). */
enum request_state {
	REQUEST_READING_PARAMS,	/* collecting PARAMS until the empty record */
	REQUEST_READING_STDIN,	/* collecting STDIN until the empty record */
	REQUEST_AT_POOL,	/* queued for or running on a worker */
};

/*
 * What becomes of a request once it is whole, decided when its params are
 * (or earlier, by a refusal); changed only through request_dispose().
 */
enum request_disposition {
	REQUEST_UNROUTED,	/* params still arriving: nothing decided yet */
	REQUEST_TO_WORKER,	/* encoded for its function's pool as it arrives, then run */
	REQUEST_TO_ASYNC,	/* kept whole, journaled, queued, answered 202 */
	REQUEST_TO_GATEWAY,	/* under /_gateway/: answered by gatewayd itself (job API) */
	REQUEST_REFUSED,	/* answered with refusal_status once whole; the rest is dropped */
};

/*
 * How a request answers: through the web-server connection it came on,
 * whose owner (front.c) fills this. Ids are the web server's.
 */
struct request_output_ops {
	/* Queues a record (content split as needed). */
	void (*send)(void *owner, uint8_t type, uint16_t id, const void *content, size_t len);
	/* Queues END_REQUEST. */
	void (*send_end)(void *owner, uint16_t id, uint32_t app_status, uint8_t protocol_status);
	/* The request is over: the owner unlinks it and calls request_free(). */
	void (*done)(void *owner, struct request *req);
	/*
	 * The response is cut short: what is queued is flushed, then the
	 * connection is closed and every request on it is done.
	 */
	void (*abort)(void *owner);
};

struct request_output {
	const struct request_output_ops *ops;
	void *owner;
};

struct request {
	struct gateway *gw;
	struct request_output out;	/* its connection */
	const char *peer;		/* the connection's, for log lines */
	uint16_t id;			/* the web server's request id */
	bool keep_conn;			/* FCGI_KEEP_CONN: the server keeps the connection */
	bool admin;			/* on the admin socket: all of /_gateway/ is open to it */
	double begun;			/* loop time of its BEGIN_REQUEST (front.request_timeout) */
	enum request_state state;
	enum request_disposition disposition;
	struct function *function;	/* routed to (to a worker, to async), or NULL */
	struct buf params;		/* the PARAMS stream as received */
	struct buf forward;		/* to a worker: BEGIN, PARAMS, STDIN records */
	size_t body_len;
	struct buf body;		/* to async: the body, as received */
	size_t memory_held;		/* taken from gw->request_memory for params, forward, body */
	bool preference_applied;	/* to async: asked with Prefer: respond-async (echoed) */
	const char *api_path;		/* to gatewayd: the path, inside params */
	size_t api_path_len;
	const char *api_method;		/* to gatewayd: REQUEST_METHOD, inside params (NULL: none) */
	size_t api_method_len;
	int refusal_status;		/* refused: the HTTP status gatewayd answers */
	char refusal_detail[160];	/* refused: the body line of that answer */
	/*
	 * For the request summary (the metrics always observe it): the method
	 * and URI copied at routing (params do not live to the end), what was
	 * sent, who ran it.
	 */
	bool answered;			/* a whole response went (not cut short, not aborted) */
	char summary_method[16];
	char summary_uri[REQUEST_SUMMARY_URI_MAX];
	size_t summary_method_len, summary_uri_len;
	struct response_status status;	/* read from the STDOUT sent */
	uint64_t bytes_out;
	pid_t worker_pid;
	char job_id[ASYNC_ID_HEX_LEN + 1];	/* an async accept's, else "" */
	struct stderr_hold stderr_hold;	/* the worker's FCGI_STDERR, until the header is out */
	struct pool_job job;
	ev_timer slowlog_timer;		/* request_slowlog_timeout, while at the pool */
	struct async_wait async_wait;	/* to async, fsync always: its job until synced */
	LIST_ENTRY(request) conn_link;	/* the connection's requests (front.c's) */
};

/*
 * BEGIN_REQUEST: a new request on the connection out stands for (peer names
 * it in log lines and must live as long as the request; admin: that
 * connection is on the admin socket). Returns it, or NULL when out of memory.
 */
struct request *request_begin(struct gateway *gw, const struct request_output *out,
    const char *peer, uint16_t id, bool keep_conn, bool admin);

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
 * worker's output is then discarded). Called by the connection's owner only.
 */
void request_free(struct request *req);

/* Backpressure from the connection's output queue. */
void request_pause(struct request *req);
void request_resume(struct request *req);

#endif /* GATEWAYD_REQUEST_H */
