/*
 * gatewayd_fn.c: the C SDK for gatewayd functions (contracts in
 * gatewayd_fn.h). Everything goes through libfcgi's reentrant FCGX_* calls.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gatewayd_fn.h"

#define GWFN_MAX_HEADER_NAME	200		/* longest header name looked up */
#define GWFN_READ_CHUNK		(1 << 20)	/* bytes asked of FCGX_GetStr at once */

static void gwfn_finish(struct gwfn_request *req);
static void gwfn_drain(struct gwfn_request *req);
static int gwfn_refuse_body(struct gwfn_request *req, int status, const char *why);
static int gwfn_end_headers(struct gwfn_request *req);
static const char *gwfn_reason(int code);
static int gwfn_is_tchar(unsigned char c);
static int gwfn_hex(unsigned char c);
static size_t gwfn_decode_one(const char *s, size_t len, char *c);
static int gwfn_key_is(const char *s, size_t len, const char *name);

int gwfn_init(struct gwfn_request *req)
{
	memset(req, 0, sizeof(*req));
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req->fcgx, 0, 0) != 0)
		return -1;
	return 0;
}

int gwfn_accept(struct gwfn_request *req)
{
	gwfn_finish(req);
	/* FCGX_Accept_r() flushes the previous response and sends its
	 * FCGI_END_REQUEST; < 0 means the listening socket is closed. */
	if (FCGX_Accept_r(&req->fcgx) < 0)
		return -1;
	req->active = 1;
	return 0;
}

void gwfn_free(struct gwfn_request *req)
{
	int active = req->active;

	gwfn_finish(req);
	if (active)
		FCGX_Finish_r(&req->fcgx);
	FCGX_Free(&req->fcgx, 1);
}

/*
 * Ends what the function left of the current request: the headers, the
 * unread body (so a kept connection is at a record boundary), the buffers.
 */
static void gwfn_finish(struct gwfn_request *req)
{
	if (req->active) {
		if (req->head != GWFN_HEAD_DONE)
			gwfn_end_headers(req);
		gwfn_drain(req);
	}
	free(req->body);
	free(req->query_copy);
	req->body = NULL;
	req->body_len = 0;
	req->query_copy = NULL;
	req->error = NULL;
	req->head = GWFN_HEAD_NONE;
	req->active = 0;
}

/* Reads and drops FCGI_STDIN up to its end. */
static void gwfn_drain(struct gwfn_request *req)
{
	char buf[16384];

	while (FCGX_GetStr(buf, (int)sizeof(buf), req->fcgx.in) > 0)
		continue;
}

const char *gwfn_param(const struct gwfn_request *req, const char *name)
{
	return FCGX_GetParam(name, req->fcgx.envp);
}

const char *gwfn_method(const struct gwfn_request *req)
{
	const char *m = gwfn_param(req, "REQUEST_METHOD");

	return m != NULL ? m : "";
}

const char *gwfn_path(const struct gwfn_request *req)
{
	const char *p = gwfn_param(req, "DOCUMENT_URI");

	if (p == NULL || *p == '\0')
		p = gwfn_param(req, "SCRIPT_NAME");
	return p != NULL ? p : "";
}

const char *gwfn_query(const struct gwfn_request *req)
{
	const char *q = gwfn_param(req, "QUERY_STRING");

	return q != NULL ? q : "";
}

/*
 * The decoded value goes into query_copy at the offset where its "name=value"
 * pair starts in QUERY_STRING: decoding never lengthens, so each pair has
 * room of its own and every value returned stays valid until the next
 * request, whatever is looked up after it.
 */
const char *gwfn_query_param(struct gwfn_request *req, const char *name)
{
	const char *qs = gwfn_query(req);
	size_t qlen = strlen(qs), at = 0;

	while (at <= qlen) {
		size_t end = at + strcspn(qs + at, "&");
		size_t eq = at + strcspn(qs + at, "=&");
		size_t vlen = eq < end ? end - eq - 1 : 0;
		char *out;

		if (gwfn_key_is(qs + at, eq - at, name)) {
			if (req->query_copy == NULL && (req->query_copy = malloc(qlen + 1)) == NULL) {
				req->error = "out of memory";
				return NULL;
			}
			out = req->query_copy + at;
			out[vlen > 0 ? gwfn_url_decode(qs + eq + 1, vlen, out) : 0] = '\0';
			return out;
		}
		at = end + 1;
	}
	return NULL;
}

const char *gwfn_get_header(const struct gwfn_request *req, const char *name)
{
	char param[GWFN_MAX_HEADER_NAME + sizeof("HTTP_")];

	if (gwfn_header_to_param(name, param, sizeof(param)) != 0)
		return NULL;
	return gwfn_param(req, param);
}

int gwfn_read_body(struct gwfn_request *req, size_t max, const char **body, size_t *len)
{
	const char *cl = gwfn_param(req, "CONTENT_LENGTH");
	unsigned long want = 0;
	size_t got = 0;

	if (req->body == NULL) {
		if (cl != NULL && *cl != '\0' && gwfn_parse_ulong(cl, (unsigned long)-1, &want) != 0)
			return gwfn_refuse_body(req, 400, "bad CONTENT_LENGTH");
		if (want > max || want >= SIZE_MAX)
			return gwfn_refuse_body(req, 413, "body above the limit");
		if ((req->body = malloc(want + 1)) == NULL)
			return gwfn_refuse_body(req, 500, "out of memory");
		while (got < want) {
			size_t ask = want - got < GWFN_READ_CHUNK ? want - got : GWFN_READ_CHUNK;
			int n = FCGX_GetStr(req->body + got, (int)ask, req->fcgx.in);

			if (n <= 0) {
				free(req->body);
				req->body = NULL;
				return gwfn_refuse_body(req, 400, "body shorter than CONTENT_LENGTH");
			}
			got += (size_t)n;
		}
		req->body[want] = '\0';
		req->body_len = want;
	}
	*body = req->body;
	*len = req->body_len;
	return 0;
}

/* Drops the rest of the body and says why it was refused. Returns status. */
static int gwfn_refuse_body(struct gwfn_request *req, int status, const char *why)
{
	gwfn_drain(req);
	req->error = why;
	return status;
}

int gwfn_set_status(struct gwfn_request *req, int code)
{
	const char *reason = gwfn_reason(code);

	if (code < 100 || code > 999 || req->head != GWFN_HEAD_NONE)
		return -1;
	/* Without a reason phrase the web server uses its own for the code. */
	if (FCGX_FPrintF(req->fcgx.out, "Status: %d%s%s\r\n", code,
	    *reason != '\0' ? " " : "", reason) < 0)
		return -1;
	req->head = GWFN_HEAD_OPEN;
	return 0;
}

int gwfn_add_header(struct gwfn_request *req, const char *name, const char *value)
{
	const unsigned char *p;

	if (req->head == GWFN_HEAD_DONE || *name == '\0')
		return -1;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (!gwfn_is_tchar(*p))
			return -1;
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return -1;
	if (FCGX_PutS(name, req->fcgx.out) < 0 || FCGX_PutS(": ", req->fcgx.out) < 0 ||
	    FCGX_PutS(value, req->fcgx.out) < 0 || FCGX_PutS("\r\n", req->fcgx.out) < 0)
		return -1;
	req->head = GWFN_HEAD_OPEN;
	return 0;
}

/* Writes the blank line that ends the headers. Returns 0 or -1. */
static int gwfn_end_headers(struct gwfn_request *req)
{
	req->head = GWFN_HEAD_DONE;
	return FCGX_PutStr("\r\n", 2, req->fcgx.out) == 2 ? 0 : -1;
}

int gwfn_write(struct gwfn_request *req, const void *buf, size_t len)
{
	const char *p = buf;

	if (req->head != GWFN_HEAD_DONE && gwfn_end_headers(req) != 0)
		return -1;
	while (len > 0) {
		int n = len < GWFN_READ_CHUNK ? (int)len : GWFN_READ_CHUNK;

		if (FCGX_PutStr(p, n, req->fcgx.out) != n)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Formats with the C library (libfcgi's own FCGX_VFPrintF knows fewer
 * conversions), on the stack when it fits. */
int gwfn_printf(struct gwfn_request *req, const char *fmt, ...)
{
	char small[1024], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return gwfn_write(req, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = gwfn_write(req, big, (size_t)n);
	free(big);
	return rc;
}

int gwfn_send(struct gwfn_request *req, const void *body, size_t len)
{
	if (req->head == GWFN_HEAD_DONE ||
	    FCGX_FPrintF(req->fcgx.out, "Content-Length: %lu\r\n", (unsigned long)len) < 0)
		return -1;
	return gwfn_write(req, body, len);
}

/* The reason phrase of the common codes (RFC 9110 section 15), else "". */
static const char *gwfn_reason(int code)
{
	static const struct { int code; const char *reason; } reasons[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 301, "Moved Permanently" }, { 302, "Found" },
		{ 303, "See Other" }, { 304, "Not Modified" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" },
		{ 404, "Not Found" }, { 405, "Method Not Allowed" }, { 409, "Conflict" },
		{ 410, "Gone" }, { 413, "Content Too Large" },
		{ 415, "Unsupported Media Type" }, { 422, "Unprocessable Content" },
		{ 429, "Too Many Requests" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "";
}

/* Whether c may be in a header name: tchar, RFC 9110 section 5.6.2. */
static int gwfn_is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The value of hex digit c, or -1. */
static int gwfn_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one character of s (len > 0) into *c; returns the bytes used. */
static size_t gwfn_decode_one(const char *s, size_t len, char *c)
{
	if (s[0] == '+') {
		*c = ' ';
		return 1;
	}
	if (s[0] == '%' && len >= 3 && gwfn_hex((unsigned char)s[1]) >= 0 &&
	    gwfn_hex((unsigned char)s[2]) >= 0) {
		*c = (char)(gwfn_hex((unsigned char)s[1]) * 16 + gwfn_hex((unsigned char)s[2]));
		return 3;
	}
	*c = s[0];
	return 1;
}

/* Whether the URL-encoded len bytes at s decode to exactly name. */
static int gwfn_key_is(const char *s, size_t len, const char *name)
{
	size_t i = 0;
	char c;

	while (i < len) {
		i += gwfn_decode_one(s + i, len - i, &c);
		if (*name == '\0' || c != *name++)
			return 0;
	}
	return *name == '\0';
}

size_t gwfn_url_decode(const char *s, size_t len, char *out)
{
	size_t i = 0, n = 0;

	while (i < len)
		i += gwfn_decode_one(s + i, len - i, &out[n++]);
	return n;
}

int gwfn_header_to_param(const char *name, char *out, size_t size)
{
	const char *fixed = NULL, *p;
	size_t n;

	/* The two headers CGI gives params of their own (RFC 3875 4.1.2, 4.1.3). */
	if (strcasecmp(name, "Content-Type") == 0)
		fixed = "CONTENT_TYPE";
	else if (strcasecmp(name, "Content-Length") == 0)
		fixed = "CONTENT_LENGTH";
	if (fixed != NULL) {
		if (strlen(fixed) >= size)
			return -1;
		strcpy(out, fixed);
		return 0;
	}
	if (*name == '\0' || strlen(name) + sizeof("HTTP_") > size)
		return -1;
	memcpy(out, "HTTP_", 5);
	for (p = name, n = 5; *p != '\0'; p++, n++) {
		if (!gwfn_is_tchar((unsigned char)*p))
			return -1;
		out[n] = *p == '-' ? '_' : (*p >= 'a' && *p <= 'z') ? (char)(*p - 'a' + 'A') : *p;
	}
	out[n] = '\0';
	return 0;
}

int gwfn_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned long d = (unsigned long)(*s - '0');

		if (*s < '0' || *s > '9' || d > max || v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
