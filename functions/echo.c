/*
 * echo: returns the request body and the params it got; the integration
 * tests' Swiss army knife.
 *
 * Protocol (also in docs/functions.md):
 *
 *   Default: the response body is the request body, byte for byte.
 *	Content-Type is the request's CONTENT_TYPE param, or
 *	application/octet-stream when there is none; Content-Length is set.
 *
 *   ?show=params: the response is text/plain, one "NAME=VALUE\n" line per
 *	FastCGI param in the order received. Bytes outside printable ASCII and
 *	the backslash are written as "\xHH", so every param is exactly one line.
 *	The body is still read (and its length shows in CONTENT_LENGTH).
 *
 *   ?sleep_ms=N (0..60000): sleep N milliseconds after reading the body and
 *	before answering, to make a request slow on purpose.
 *
 * Query switches combine: "?show=params&sleep_ms=200". Unknown ones are
 * ignored. Exactly CONTENT_LENGTH bytes of FCGI_STDIN are read (none when it
 * is absent or empty). Errors answer with a Status: header and a one-line
 * text/plain body:
 *	400 bad CONTENT_LENGTH, bad sleep_ms, or body shorter than announced;
 *	413 CONTENT_LENGTH above ECHO_MAX_BODY;
 *	500 out of memory.
 * Whatever the error, the rest of FCGI_STDIN is read and dropped, so a kept
 * connection stays at a record boundary.
 *
 * Built on the C SDK (functions/sdk/gatewayd_fn.h), which reads the body
 * within its bound and writes the headers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gatewayd_fn.h"

#define ECHO_MAX_BODY	(64UL * 1024 * 1024)	/* largest body echoed back */
#define ECHO_MAX_SLEEP	60000UL			/* largest sleep_ms, one minute */

static void echo_error(struct gwfn_request *req, int status, const char *msg);
static void echo_sleep_ms(unsigned long ms);
static void echo_put_escaped(struct gwfn_request *req, const char *s);
static void echo_params(struct gwfn_request *req);
static void echo_handle(struct gwfn_request *req);

/* Answers with an error status and a one-line text/plain body. */
static void echo_error(struct gwfn_request *req, int status, const char *msg)
{
	gwfn_set_status(req, status);
	gwfn_add_header(req, "Content-Type", "text/plain");
	gwfn_printf(req, "echo: %s\n", msg);
}

/* Sleeps ms milliseconds, resuming after signals. */
static void echo_sleep_ms(unsigned long ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/* Writes s with non-printable bytes and '\\' as "\xHH". */
static void echo_put_escaped(struct gwfn_request *req, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			gwfn_write(req, p, 1);
		else
			gwfn_printf(req, "\\x%02X", *p);
	}
}

/* The ?show=params response: every param as one "NAME=VALUE\n" line. */
static void echo_params(struct gwfn_request *req)
{
	char **env;

	gwfn_add_header(req, "Content-Type", "text/plain");
	for (env = req->fcgx.envp; env != NULL && *env != NULL; env++) {
		echo_put_escaped(req, *env);
		gwfn_write(req, "\n", 1);
	}
}

/* Handles one accepted request from start to end. */
static void echo_handle(struct gwfn_request *req)
{
	const char *show = gwfn_query_param(req, "show");
	const char *sleep_ms = gwfn_query_param(req, "sleep_ms");
	const char *ct = gwfn_get_header(req, "Content-Type");
	const char *body;
	unsigned long ms = 0;
	size_t len;
	int status;

	status = gwfn_read_body(req, ECHO_MAX_BODY, &body, &len);
	if (status != 0) {
		echo_error(req, status, status == 413 ? "body above 64 MiB" : req->error);
		return;
	}
	if (sleep_ms != NULL && gwfn_parse_ulong(sleep_ms, ECHO_MAX_SLEEP, &ms) != 0) {
		echo_error(req, 400, "sleep_ms must be 0..60000");
		return;
	}
	if (ms > 0)
		echo_sleep_ms(ms);

	if (show != NULL && strcmp(show, "params") == 0) {
		echo_params(req);
		return;
	}
	/* The request's type, when it is one a header can repeat. */
	if (ct == NULL || *ct == '\0' || gwfn_add_header(req, "Content-Type", ct) != 0)
		gwfn_add_header(req, "Content-Type", "application/octet-stream");
	gwfn_send(req, body, len);
}

int main(void)
{
	struct gwfn_request req;

	if (gwfn_init(&req) != 0)
		return 1;
	while (gwfn_accept(&req) == 0)
		echo_handle(&req);
	gwfn_free(&req);
	return 0;
}
