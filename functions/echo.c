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
 * Whatever the error, the rest of FCGI_STDIN is read and dropped first, so a
 * kept connection stays at a record boundary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>

#define ECHO_MAX_BODY	(64UL * 1024 * 1024)	/* largest body echoed back */
#define ECHO_MAX_SLEEP	60000L			/* largest sleep_ms, one minute */

/* What the query string asked for. */
struct echo_query {
	int show_params;	/* ?show=params */
	long sleep_ms;		/* ?sleep_ms=N, 0 when absent */
};

static int echo_parse_ulong(const char *s, size_t len, unsigned long max,
    unsigned long *out);
static int echo_parse_query(const char *qs, struct echo_query *q);
static void echo_error(FCGX_Request *req, const char *status, const char *msg);
static int echo_read_body(FCGX_Request *req, char *buf, unsigned long len);
static void echo_drain(FCGX_Request *req);
static void echo_sleep_ms(long ms);
static void echo_put_escaped(const char *s, FCGX_Stream *out);
static void echo_params(FCGX_Request *req);
static const char *echo_content_type(FCGX_Request *req);
static void echo_handle(FCGX_Request *req);

/*
 * Parses exactly len decimal digits at s into *out. Returns 0, or -1 when
 * there are no digits, a non-digit, or a value above max.
 */
static int echo_parse_ulong(const char *s, size_t len, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (unsigned long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Reads the switches this function knows from a QUERY_STRING ("a=b&c=d";
 * no percent-decoding, none of our values need it). Returns 0, or -1 when
 * sleep_ms is present but not a number in 0..ECHO_MAX_SLEEP.
 */
static int echo_parse_query(const char *qs, struct echo_query *q)
{
	const char *p = qs;

	q->show_params = 0;
	q->sleep_ms = 0;
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '&');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
		unsigned long ms;

		if (len == 11 && strncmp(p, "show=params", 11) == 0) {
			q->show_params = 1;
		} else if (len >= 9 && strncmp(p, "sleep_ms=", 9) == 0) {
			if (echo_parse_ulong(p + 9, len - 9, ECHO_MAX_SLEEP, &ms) != 0)
				return -1;
			q->sleep_ms = (long)ms;
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

/* Answers with an error status (CGI "Status:" header) and a one-line body. */
static void echo_error(FCGX_Request *req, const char *status, const char *msg)
{
	FCGX_FPrintF(req->out, "Status: %s\r\nContent-Type: text/plain\r\n\r\n%s\n",
	    status, msg);
}

/*
 * Reads exactly len bytes of FCGI_STDIN into buf. Returns 0, or -1 when the
 * stream ends first.
 */
static int echo_read_body(FCGX_Request *req, char *buf, unsigned long len)
{
	unsigned long got = 0;

	while (got < len) {
		unsigned long want = len - got;
		int n;

		if (want > 1UL << 20)
			want = 1UL << 20;
		n = FCGX_GetStr(buf + got, (int)want, req->in);
		if (n <= 0)
			return -1;
		got += (unsigned long)n;
	}
	return 0;
}

/*
 * Reads and drops the rest of FCGI_STDIN up to its end, so that a kept
 * connection is left at a record boundary for the next request.
 */
static void echo_drain(FCGX_Request *req)
{
	char buf[65536];

	while (FCGX_GetStr(buf, (int)sizeof(buf), req->in) > 0)
		continue;
}

/* Sleeps ms milliseconds, resuming after signals. */
static void echo_sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/* Writes s with non-printable bytes and '\\' as "\xHH". */
static void echo_put_escaped(const char *s, FCGX_Stream *out)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			FCGX_PutChar(*p, out);
		else
			FCGX_FPrintF(out, "\\x%02X", *p);
	}
}

/* The ?show=params response: every param as one "NAME=VALUE\n" line. */
static void echo_params(FCGX_Request *req)
{
	char **env;

	FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
	for (env = req->envp; env != NULL && *env != NULL; env++) {
		echo_put_escaped(*env, req->out);
		FCGX_PutChar('\n', req->out);
	}
}

/*
 * The request's CONTENT_TYPE when it is present and safe to repeat as a
 * header (no control bytes), else application/octet-stream.
 */
static const char *echo_content_type(FCGX_Request *req)
{
	const char *ct = FCGX_GetParam("CONTENT_TYPE", req->envp);
	const unsigned char *p;

	if (ct == NULL || *ct == '\0')
		return "application/octet-stream";
	for (p = (const unsigned char *)ct; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return "application/octet-stream";
	return ct;
}

/* Handles one accepted request from start to end. */
static void echo_handle(FCGX_Request *req)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	const char *qs = FCGX_GetParam("QUERY_STRING", req->envp);
	struct echo_query q;
	unsigned long len = 0;
	char *body;

	if (cl != NULL && *cl != '\0' &&
	    echo_parse_ulong(cl, strlen(cl), (unsigned long)-1, &len) != 0) {
		echo_drain(req);
		echo_error(req, "400 Bad Request", "echo: bad CONTENT_LENGTH");
		return;
	}
	if (len > ECHO_MAX_BODY) {
		echo_drain(req);
		echo_error(req, "413 Content Too Large", "echo: body above 64 MiB");
		return;
	}
	if (echo_parse_query(qs, &q) != 0) {
		echo_drain(req);
		echo_error(req, "400 Bad Request", "echo: sleep_ms must be 0..60000");
		return;
	}
	body = malloc(len > 0 ? len : 1);
	if (body == NULL) {
		echo_drain(req);
		echo_error(req, "500 Internal Server Error", "echo: out of memory");
		return;
	}
	if (echo_read_body(req, body, len) != 0) {
		free(body);
		echo_error(req, "400 Bad Request", "echo: body shorter than CONTENT_LENGTH");
		return;
	}
	if (q.sleep_ms > 0)
		echo_sleep_ms(q.sleep_ms);

	if (q.show_params) {
		echo_params(req);
	} else {
		FCGX_FPrintF(req->out, "Content-Type: %s\r\nContent-Length: %lu\r\n\r\n",
		    echo_content_type(req), len);
		if (len > 0)
			FCGX_PutStr(body, (int)len, req->out);
	}
	free(body);
}

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;

	/*
	 * FCGX_Accept_r() finishes the previous request (flushing FCGI_STDOUT
	 * and sending FCGI_END_REQUEST) and returns < 0 when the listening
	 * socket is closed.
	 */
	while (FCGX_Accept_r(&req) >= 0)
		echo_handle(&req);

	FCGX_Free(&req, 1);
	return 0;
}
