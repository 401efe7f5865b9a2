/*
 * request_summary.h: what one finished request was, as the access log and
 * the metrics see it. request.c fills one when a request ends (answered,
 * cut short or aborted) and hands it to its observers; nothing in it
 * outlives that call.
 */
#ifndef GATEWAYD_REQUEST_SUMMARY_H
#define GATEWAYD_REQUEST_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A string inside the request's params: not NUL-terminated, len 0 when absent. */
struct summary_text {
	const char *ptr;
	size_t len;
};

struct request_summary {
	const char *function;		/* the function's name; NULL when routed to none */
	const char *peer;		/* the web-server connection's, as in log lines */
	struct summary_text method;	/* REQUEST_METHOD */
	struct summary_text uri;	/* REQUEST_URI (else SCRIPT_NAME + PATH_INFO's first) */
	int status;			/* the HTTP status sent (a worker's "Status:", else 200);
					   0 when the response was cut short or aborted */
	double started;			/* wall-clock time of its BEGIN_REQUEST (epoch seconds) */
	double duration;		/* seconds from BEGIN_REQUEST to its end */
	pid_t worker_pid;		/* the worker that ran it; 0 when none did */
	uint64_t bytes_in;		/* body bytes received (STDIN) */
	uint64_t bytes_out;		/* STDOUT bytes sent to the web server */
	const char *job_id;		/* an async accept: the job's id; NULL otherwise */
};

#endif /* GATEWAYD_REQUEST_SUMMARY_H */
