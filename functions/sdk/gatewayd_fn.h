/*
 * gatewayd_fn.h: a small C layer over libfcgi for gatewayd functions.
 *
 * A function is a FastCGI responder started with its listening socket on
 * fd 0 (docs/functions.md). This SDK keeps libfcgi's reentrant request
 * (FCGX_Request, in the struct below for whoever needs more) and adds what
 * every function writes by hand otherwise: the request's method, path, query
 * parameters (URL-decoded) and headers by name; the whole body read within a
 * bound; a status, headers and a body written in the CGI response format
 * (RFC 3875 section 6), with Content-Length when the body is given whole.
 *
 *	struct gwfn_request req;
 *
 *	if (gwfn_init(&req) != 0)
 *		return 1;
 *	while (gwfn_accept(&req) == 0) {
 *		const char *name = gwfn_query_param(&req, "name");
 *
 *		gwfn_add_header(&req, "Content-Type", "text/plain");
 *		gwfn_printf(&req, "hi %s\n", name != NULL ? name : "there");
 *	}
 *	gwfn_free(&req);
 *
 * Strings the SDK returns belong to it and stay valid until the next
 * gwfn_accept() or gwfn_free(). One request at a time per gwfn_request; the
 * SDK keeps no global state beyond libfcgi's FCGX_Init().
 */
#ifndef GATEWAYD_FN_H
#define GATEWAYD_FN_H

#include <stddef.h>

#include <fcgiapp.h>

/* How far the response has got: its headers are written as they are added. */
enum gwfn_head {
	GWFN_HEAD_NONE,		/* nothing written yet: a status may still be set */
	GWFN_HEAD_OPEN,		/* header lines written, not yet the blank line */
	GWFN_HEAD_DONE,		/* headers ended: only body bytes may follow */
};

struct gwfn_request {
	FCGX_Request fcgx;	/* libfcgi's request: params (envp), in, out, err */
	int active;		/* a request was accepted and is not finished */
	enum gwfn_head head;	/* what of the response has been written */
	char *body;		/* the body, once gwfn_read_body() has read it */
	size_t body_len;	/* its length in bytes */
	char *query_copy;	/* room for decoded query parameters */
	const char *error;	/* why the last failing call failed, for a log line */
};

/* ---------------------------------------------------------------- lifecycle */

/*
 * Initialises libfcgi and req for requests on fd 0 (FCGI_LISTENSOCK_FILENO).
 * Returns 0, or -1 when libfcgi cannot start.
 */
int gwfn_init(struct gwfn_request *req);

/*
 * Finishes the previous request, if any (ends its headers when the function
 * did not, reads and drops the body it left unread, flushes the response and
 * sends FCGI_END_REQUEST), then waits for the next one. Returns 0 with a new
 * request in req, or -1 when the listening socket is closed: time to exit.
 */
int gwfn_accept(struct gwfn_request *req);

/* Finishes the current request, if any, and releases everything req holds. */
void gwfn_free(struct gwfn_request *req);

/* ------------------------------------------------------------------ request */

/* The FastCGI param NAME ("REMOTE_ADDR"...), or NULL when it was not sent. */
const char *gwfn_param(const struct gwfn_request *req, const char *name);

/* REQUEST_METHOD ("GET", "POST"...), or "" when it was not sent. */
const char *gwfn_method(const struct gwfn_request *req);

/*
 * The request's path without its query: DOCUMENT_URI (nginx sends it, decoded
 * and made normal), else SCRIPT_NAME, else "".
 */
const char *gwfn_path(const struct gwfn_request *req);

/* QUERY_STRING as sent, still URL-encoded ("a=1&b=x%20y"), or "". */
const char *gwfn_query(const struct gwfn_request *req);

/*
 * The value of the first query parameter whose name is NAME, URL-decoded
 * ("+" is a space, "%HH" a byte), or NULL when there is none. "?flag" and
 * "?flag=" give "". Names are compared after decoding, case-sensitively.
 * A value is a C string, so a "%00" in it ends it early. Returns NULL with
 * req->error set when out of memory.
 */
const char *gwfn_query_param(struct gwfn_request *req, const char *name);

/*
 * The request header NAME ("User-Agent", any case), or NULL when the request
 * had none. Content-Type and Content-Length come from CONTENT_TYPE and
 * CONTENT_LENGTH, the others from the HTTP_* params the web server derives
 * from the headers (gwfn_header_to_param()). A name that is no HTTP token,
 * or longer than 200 bytes, has no value.
 */
const char *gwfn_get_header(const struct gwfn_request *req, const char *name);

/*
 * Reads the whole body, exactly CONTENT_LENGTH bytes (none when it is absent
 * or empty), into a buffer the SDK owns, with a NUL after it, and points
 * *body and *len at it; a second call gives the same. At most max bytes are
 * kept. Returns 0, or the HTTP status that fits the failure, with req->error
 * saying what happened:
 *	400 CONTENT_LENGTH is not a number, or the body ended before it;
 *	413 CONTENT_LENGTH is above max (the body is read and dropped);
 *	500 out of memory (the body is read and dropped).
 */
int gwfn_read_body(struct gwfn_request *req, size_t max, const char **body, size_t *len);

/* ----------------------------------------------------------------- response */

/*
 * Sets the response status (default 200): a "Status:" header with the usual
 * reason phrase. Must come before any other header. Returns 0, or -1 when
 * code is not in 100..999 or headers were already written.
 */
int gwfn_set_status(struct gwfn_request *req, int code);

/*
 * Adds the header line "NAME: VALUE". NAME must be an HTTP token and VALUE
 * hold no control byte (CR and LF included: no header can be smuggled in).
 * Returns 0, or -1 (nothing written) when one is not, or the headers ended.
 */
int gwfn_add_header(struct gwfn_request *req, const char *name, const char *value);

/*
 * Writes body bytes, ending the headers first if they are still open (the
 * body is streamed: no Content-Length). Returns 0, or -1 when the connection
 * failed.
 */
int gwfn_write(struct gwfn_request *req, const void *buf, size_t len);

/* gwfn_write() of a printf-style string. Returns 0 or -1. */
int gwfn_printf(struct gwfn_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Sends the body whole: a Content-Length header, the end of the headers,
 * then the len bytes. Returns 0, or -1 when the headers had already ended
 * or the connection failed.
 */
int gwfn_send(struct gwfn_request *req, const void *body, size_t len);

/* ------------------------------------------------------- pure helpers */

/*
 * Decodes len bytes of application/x-www-form-urlencoded text at s into out
 * ("+" → space, "%HH" → the byte; a "%" not followed by two hex digits is
 * kept as it is). out may be s itself; it needs len bytes at most. Returns
 * the decoded length; writes no NUL.
 */
size_t gwfn_url_decode(const char *s, size_t len, char *out);

/*
 * Writes into out (size bytes) the FastCGI param a web server carries the
 * header NAME in: CONTENT_TYPE, CONTENT_LENGTH, else "HTTP_" + NAME with
 * letters upper-cased and "-" as "_" (RFC 3875 section 4.1.18). Returns 0,
 * or -1 when NAME is empty or not an HTTP token (RFC 9110 section 5.6.2), or
 * the result does not fit.
 */
int gwfn_header_to_param(const char *name, char *out, size_t size);

/*
 * Parses s, decimal digits only (no sign, no blank), into *out. Returns 0,
 * or -1 when s is empty, holds another byte, or is above max.
 */
int gwfn_parse_ulong(const char *s, unsigned long max, unsigned long *out);

#endif
