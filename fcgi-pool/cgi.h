/*
 * cgi.h: run one request as a CGI program (RFC 3875): one process per
 * request, the request's FastCGI params as its environment, the body on its
 * stdin, its stdout as the response (a CGI response is already what a
 * FastCGI responder writes on STDOUT: headers, blank line, body), its stderr
 * to the log. fcgiwrap's job, inside gatewayd and under the same sandbox.
 */
#ifndef FCGI_POOL_CGI_H
#define FCGI_POOL_CGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

#include "spawner.h"
#include "stderr_lines.h"

struct cgi_run;

/* What a running CGI program reports to its owner. */
struct cgi_events {
	/* Bytes the program wrote on stdout, in order. */
	void (*output)(void *owner, const uint8_t *data, size_t len);
	/* Its stderr's lines, bounded and rate-limited (stderr_lines.h). */
	struct stderr_lines_events stderr;
	/*
	 * The program was reaped and its stdout reached EOF; status is
	 * waitpid's. After this call the owner frees the run with cgi_free().
	 */
	void (*done)(void *owner, int status);
	/* The spawn failed after fork (sandbox step or exec); message says why. */
	void (*spawn_failed)(void *owner, const char *message);
};

/*
 * What to run, borrowed for the run's life: the spawner starts the
 * function's program with the request's variables, then the function's own
 * environment (which wins), under the function's sandbox.
 */
struct cgi_program {
	struct spawner *spawner;
	uint32_t generation;			/* the spawner's configuration generation */
	const char *function;			/* the function's name */
	const char *program;			/* its argv[0], for messages */
};

/*
 * Starts program for one request. request is what gatewayd sends a FastCGI
 * worker (BEGIN_REQUEST, PARAMS records, empty PARAMS, STDIN records, empty
 * STDIN, all with POOL_REQUEST_ID): its params become the environment
 * (HTTP_PROXY is dropped: "httpoxy"), before the function's own; its STDIN
 * content is written to the program's stdin, which is then closed. The request bytes are copied:
 * the caller may free them at once. Returns the run, or NULL with err
 * filled (nothing was started, no event will come).
 */
struct cgi_run *cgi_start(struct ev_loop *loop, const struct cgi_program *program,
    const uint8_t *request, size_t request_len, const struct cgi_events *events, void *owner,
    char *err, size_t err_len);

/* The program's pid. */
pid_t cgi_pid(const struct cgi_run *run);

/* Stops / resumes reading the program's stdout (backpressure). */
void cgi_pause(struct cgi_run *run);
void cgi_resume(struct cgi_run *run);

/* Sends sig to the program (a timeout or a stop); done() still follows. */
void cgi_signal(struct cgi_run *run, int sig);

/* Frees a run whose done() was called. */
void cgi_free(struct cgi_run *run);

#endif /* FCGI_POOL_CGI_H */
