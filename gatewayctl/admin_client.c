/*
 * admin_client.c: one request on the admin socket (see admin_client.h),
 * encoded and decoded with gatewayd's own FastCGI codec (common/), so
 * gatewayctl and gatewayd cannot disagree on the wire. Blocking, with a
 * deadline on every wait: gatewayctl does one thing and exits.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "admin_client.h"
#include "fcgi.h"
#include "record.h"

#define ADMIN_REQUEST_ID 1

static int admin_encode(const struct admin_call *call, struct buf *out);
static int admin_param(struct buf *params, const char *name, const char *value);
static int admin_connect(const char *path, char *err, size_t err_len);
static int admin_exchange(int fd, const struct buf *request, double deadline,
    struct buf *stdout_bytes, char *err, size_t err_len);
static int admin_wait(int fd, short events, double deadline);
static int admin_parse(struct buf *stdout_bytes, struct admin_reply *reply);

int admin_request(const char *path, const struct admin_call *call, struct admin_reply *reply,
    char *err, size_t err_len)
{
	struct buf request = { 0 }, stdout_bytes = { 0 };
	int rc = -1;

	*reply = (struct admin_reply){ 0 };
	if (admin_encode(call, &request) < 0) {
		snprintf(err, err_len, "out of memory");
		goto out;
	}
	int fd = admin_connect(path, err, err_len);
	if (fd < 0)
		goto out;
	rc = admin_exchange(fd, &request, admin_now() + call->timeout, &stdout_bytes, err,
	    err_len);
	close(fd);
	if (rc == 0 && (rc = admin_parse(&stdout_bytes, reply)) < 0)
		snprintf(err, err_len, "gatewayd sent a response with no header block");
out:
	buf_free(&request);
	buf_free(&stdout_bytes);
	return rc;
}

/* BEGIN_REQUEST, the params a web server would send, the body, the empty records. */
static int admin_encode(const struct admin_call *call, struct buf *out)
{
	struct buf params = { 0 };
	char uri[4096], length[24];
	uint8_t begin[FCGI_HEADER_LEN + 8];
	int rc = -1;

	snprintf(uri, sizeof(uri), "%s%s%s", call->path, call->query != NULL ? "?" : "",
	    call->query != NULL ? call->query : "");
	snprintf(length, sizeof(length), "%zu", call->body_len);
	if (admin_param(&params, "REQUEST_METHOD", call->method) < 0 ||
	    admin_param(&params, "SCRIPT_NAME", call->path) < 0 ||
	    admin_param(&params, "REQUEST_URI", uri) < 0 ||
	    admin_param(&params, "QUERY_STRING", call->query != NULL ? call->query : "") < 0 ||
	    admin_param(&params, "SERVER_PROTOCOL", "HTTP/1.1") < 0 ||
	    admin_param(&params, "REMOTE_ADDR", "127.0.0.1") < 0 ||
	    admin_param(&params, "CONTENT_LENGTH", length) < 0 ||
	    (call->function != NULL && admin_param(&params, "GATEWAY_FUNCTION", call->function) < 0))
		goto out;
	for (size_t i = 0; i < call->param_count; i++) {
		if (admin_param(&params, call->param_names[i], call->param_values[i]) < 0)
			goto out;
	}
	size_t n = fcgi_begin_request_encode(begin, sizeof(begin), ADMIN_REQUEST_ID, FCGI_RESPONDER, 0);
	if (buf_append(out, begin, n) < 0 ||
	    record_append(out, FCGI_PARAMS, ADMIN_REQUEST_ID, buf_head(&params), buf_used(&params)) < 0 ||
	    record_append(out, FCGI_PARAMS, ADMIN_REQUEST_ID, NULL, 0) < 0 ||
	    (call->body_len > 0 &&
	    record_append(out, FCGI_STDIN, ADMIN_REQUEST_ID, call->body, call->body_len) < 0) ||
	    record_append(out, FCGI_STDIN, ADMIN_REQUEST_ID, NULL, 0) < 0)
		goto out;
	rc = 0;
out:
	buf_free(&params);
	return rc;
}

static int admin_param(struct buf *params, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	size_t need = fcgi_nv_encoded_size(nlen, vlen);
	uint8_t *tail = buf_reserve(params, need);

	if (tail == NULL)
		return -1;
	params->len += fcgi_nv_encode(tail, need, name, nlen, value, vlen);
	return 0;
}

static int admin_connect(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_len, "admin socket %s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		snprintf(err, err_len, "cannot connect to the admin socket %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Writes the request and reads records until END_REQUEST, collecting STDOUT
 * (STDERR is gatewayd's or the function's, shown on our stderr).
 */
static int admin_exchange(int fd, const struct buf *request, double deadline,
    struct buf *stdout_bytes, char *err, size_t err_len)
{
	struct buf in = { 0 };
	struct fcgi_record rec;
	int rc = -1;

	for (size_t off = 0; off < buf_used(request);) {
		ssize_t n = write(fd, buf_head(request) + off, buf_used(request) - off);
		if (n > 0)
			off += (size_t)n;
		else if ((n < 0 && errno != EAGAIN) || admin_wait(fd, POLLOUT, deadline) < 0)
			goto fail;
	}
	for (;;) {
		uint8_t *tail = buf_reserve(&in, 65536);
		if (tail == NULL)
			goto fail;
		ssize_t n = read(fd, tail, in.cap - in.len);
		if (n == 0) {
			snprintf(err, err_len, "gatewayd closed the connection before the response ended");
			goto out;
		}
		if (n < 0) {
			if (errno != EAGAIN || admin_wait(fd, POLLIN, deadline) < 0)
				goto fail;
			continue;
		}
		in.len += (size_t)n;
		ssize_t used;
		while ((used = fcgi_record_decode(buf_head(&in), buf_used(&in), &rec)) > 0) {
			const struct fcgi_header *h = &rec.header;
			if (h->type == FCGI_END_REQUEST) {
				rc = 0;
				goto out;
			}
			if (h->type == FCGI_STDOUT &&
			    buf_append(stdout_bytes, rec.content, h->content_length) < 0)
				goto fail;
			if (h->type == FCGI_STDERR)
				fwrite(rec.content, 1, h->content_length, stderr);
			buf_consume(&in, (size_t)used);
		}
		if (used < 0) {
			snprintf(err, err_len, "gatewayd sent a malformed FastCGI record");
			goto out;
		}
	}
fail:
	snprintf(err, err_len, "admin socket: %s", errno == ETIMEDOUT ? "no answer in time" :
	    strerror(errno));
out:
	buf_free(&in);
	return rc;
}

/* Until fd is ready for events: 0, or -1 with errno (ETIMEDOUT past deadline). */
static int admin_wait(int fd, short events, double deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	double left = deadline - admin_now();

	if (left <= 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	int n = poll(&p, 1, (int)(left * 1000) + 1);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

double admin_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Splits the CGI response at its blank line and reads its Status. */
static int admin_parse(struct buf *stdout_bytes, struct admin_reply *reply)
{
	const char *s = (const char *)buf_head(stdout_bytes);
	size_t len = buf_used(stdout_bytes), head_len = 0, skip = 0;
	char status[16];

	for (size_t i = 0; i < len && skip == 0; i++) {
		if (s[i] != '\n')
			continue;
		if (i + 1 < len && s[i + 1] == '\n')
			head_len = i + 1, skip = 1;
		else if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n')
			head_len = i + 1, skip = 2;
	}
	if (skip == 0)
		return -1;
	if (buf_append(&reply->headers, s, head_len) < 0 ||
	    buf_append(&reply->body, s + head_len + skip, len - head_len - skip) < 0)
		return -1;
	reply->status = admin_reply_header(reply, "Status", status, sizeof(status)) != NULL ?
	    atoi(status) : 200;
	return 0;
}

const char *admin_reply_header(const struct admin_reply *reply, const char *name, char *out,
    size_t out_len)
{
	const char *s = (const char *)buf_head(&reply->headers);
	const char *end = s + buf_used(&reply->headers);
	size_t nlen = strlen(name);

	while (s < end) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		const char *line_end = eol != NULL ? eol : end;
		if ((size_t)(line_end - s) > nlen && strncasecmp(s, name, nlen) == 0 && s[nlen] == ':') {
			const char *v = s + nlen + 1;
			while (v < line_end && (*v == ' ' || *v == '\t'))
				v++;
			size_t vlen = (size_t)(line_end - v);
			while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
				vlen--;
			snprintf(out, out_len, "%.*s", (int)vlen, v);
			return out;
		}
		s = line_end + 1;
	}
	return NULL;
}

void admin_reply_free(struct admin_reply *reply)
{
	buf_free(&reply->headers);
	buf_free(&reply->body);
}
