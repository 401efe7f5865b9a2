/*
 * front.c: listeners and web-server connections (see front.h).
 *
 * Output is queued per connection and written once per loop iteration, from
 * an ev_prepare watcher, so a worker's STDOUT and END_REQUEST read together
 * leave in one write; the write watcher is armed only while a socket does
 * not take everything. Connections are never freed inside their own
 * callbacks: they are marked dead and freed from the same prepare watcher.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fcgi.h"
#include "front.h"
#include "listener.h"
#include "log.h"
#include "record.h"
#include "request.h"

/* Output queue marks for backpressure on the workers feeding a connection. */
#define FRONT_OUT_HIGH (256 * 1024)
#define FRONT_OUT_LOW (64 * 1024)
static void front_on_readable(struct ev_loop *loop, ev_io *io, int revents);
static void front_on_writable(struct ev_loop *loop, ev_io *io, int revents);
static int front_handle_record(struct front_conn *c, const struct fcgi_record *rec);
static int front_handle_begin(struct front_conn *c, const struct fcgi_record *rec);
static void front_handle_management(struct front_conn *c, const struct fcgi_record *rec);
static void front_answer_get_values(struct front_conn *c, const struct fcgi_record *rec);
static struct request *front_find_request(struct front_conn *c, uint16_t id);
static void front_schedule(struct front_conn *c);
static void front_on_prepare(struct ev_loop *loop, ev_prepare *prepare, int revents);
static void front_process_pending(struct gateway *gw);
static void front_flush(struct front_conn *c);
static bool front_peer_gone(int error);
static void front_kill(struct front_conn *c, const char *why);
static void front_free(struct front_conn *c);
static void front_arm_timer(struct front_conn *c);
static void front_on_timer(struct ev_loop *loop, ev_timer *timer, int revents);

int front_start(struct gateway *gw, char *err, size_t err_len)
{
	ev_prepare_init(&gw->prepare, front_on_prepare);
	gw->prepare.data = gw;
	ev_prepare_start(gw->loop, &gw->prepare);
	return listener_start(gw, err, err_len);
}

void front_conn_open(struct gateway *gw, int fd, const struct sockaddr_storage *ss)
{
	struct front_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		log_error("connection refused: out of memory");
		close(fd);
		return;
	}
	c->gw = gw;
	c->fd = fd;
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, c->peer, sizeof(c->peer));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, c->peer,
		    sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "unix:fd%d", fd);
	ev_io_init(&c->read_watcher, front_on_readable, fd, EV_READ);
	ev_io_init(&c->write_watcher, front_on_writable, fd, EV_WRITE);
	ev_init(&c->timer, front_on_timer);
	c->read_watcher.data = c->write_watcher.data = c->timer.data = c;
	ev_io_start(gw->loop, &c->read_watcher);
	front_arm_timer(c);
	c->next = gw->conns;
	if (gw->conns != NULL)
		gw->conns->prev = c;
	gw->conns = c;
	gw->conn_count++;
	log_debug("connection accepted from %s (%u open)", c->peer, gw->conn_count);
}

/*
 * Reads what the web server sent and acts on every whole record. A
 * malformed record ends this connection only.
 */
static void front_on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct front_conn *c = io->data;
	struct fcgi_record rec;
	(void)loop;
	(void)revents;

	uint8_t *tail = buf_reserve(&c->in, FCGI_RECORD_MAX);
	if (tail == NULL) {
		front_kill(c, "out of memory");
		return;
	}
	ssize_t n = read(c->fd, tail, c->in.cap - c->in.len);
	if (n == 0) {
		front_kill(c, NULL);
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			front_kill(c, front_peer_gone(errno) ? NULL : strerror(errno));
		return;
	}
	c->in.len += (size_t)n;
	while (!c->dead) {
		ssize_t used = fcgi_record_decode(buf_head(&c->in), buf_used(&c->in), &rec);
		if (used == 0)
			break;
		if (used < 0) {
			front_kill(c, "malformed FastCGI record (bad version)");
			return;
		}
		if (front_handle_record(c, &rec) < 0) {
			front_kill(c, "FastCGI protocol error");
			return;
		}
		buf_consume(&c->in, (size_t)used);
	}
	if (!c->dead)
		front_arm_timer(c);
}

/*
 * While a request is still arriving, the web server must send its next
 * piece within front.read_timeout; a connection with no request at all is
 * closed after front.idle_timeout. Requests waiting on a function are
 * bounded by its queue.timeout and request_timeout instead.
 */
static void front_arm_timer(struct front_conn *c)
{
	const struct gateway_conf *conf = c->gw->conf;
	bool reading = false;

	for (struct request *r = c->requests; r != NULL && !reading; r = r->next)
		reading = r->state != REQUEST_AT_POOL;
	double timeout = reading ? conf->read_timeout
		       : c->request_count == 0 ? conf->idle_timeout : 0;
	c->timer_reading = reading;
	if (timeout > 0) {
		c->timer.repeat = timeout;
		ev_timer_again(c->gw->loop, &c->timer);
	} else {
		ev_timer_stop(c->gw->loop, &c->timer);
	}
}

static void front_on_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct front_conn *c = timer->data;
	(void)loop;
	(void)revents;

	if (c->timer_reading) {
		front_kill(c, "a request did not arrive whole within front.read_timeout");
	} else {
		log_debug("connection from %s idle for front.idle_timeout: closed", c->peer);
		front_kill(c, NULL);
	}
}

/* Dispatches one record by type and request id. Returns -1 on a protocol error. */
static int front_handle_record(struct front_conn *c, const struct fcgi_record *rec)
{
	const struct fcgi_header *h = &rec->header;

	if (h->request_id == FCGI_NULL_REQUEST_ID) {
		front_handle_management(c, rec);
		return 0;
	}
	if (h->type == FCGI_BEGIN_REQUEST)
		return front_handle_begin(c, rec);

	struct request *req = front_find_request(c, h->request_id);
	switch (h->type) {
	case FCGI_PARAMS:
		return req != NULL ? request_on_params(req, rec->content, h->content_length) : 0;
	case FCGI_STDIN:
		return req != NULL ? request_on_stdin(req, rec->content, h->content_length) : 0;
	case FCGI_ABORT_REQUEST:
		if (req != NULL)
			request_abort(req);
		return 0;
	case FCGI_DATA:
		return 0;	/* only the Filter role reads it; we answer Responder requests */
	default:
		/* Spec 3.3: records for inactive ids are ignored; unknown types are an error. */
		return req != NULL || h->type > FCGI_MAXTYPE ? -1 : 0;
	}
}

/*
 * BEGIN_REQUEST. Only the Responder role is served (others get
 * FCGI_UNKNOWN_ROLE); past FRONT_MAX_REQUESTS on one connection the request
 * is refused with FCGI_OVERLOADED. A repeated active id is a protocol error.
 */
static int front_handle_begin(struct front_conn *c, const struct fcgi_record *rec)
{
	uint16_t id = rec->header.request_id, role;
	uint8_t flags;

	if (fcgi_begin_request_decode(rec->content, rec->header.content_length, &role, &flags) < 0)
		return -1;
	if (front_find_request(c, id) != NULL)
		return -1;
	if (role != FCGI_RESPONDER) {
		front_send_end(c, id, 0, FCGI_UNKNOWN_ROLE);
		return 0;
	}
	if (c->request_count >= FRONT_MAX_REQUESTS) {
		front_send_end(c, id, 0, FCGI_OVERLOADED);
		return 0;
	}
	struct request *req = request_begin(c, id, (flags & FCGI_KEEP_CONN) != 0);
	if (req == NULL)
		return -1;
	req->next = c->requests;
	if (c->requests != NULL)
		c->requests->prev = req;
	c->requests = req;
	c->request_count++;
	return 0;
}

static void front_handle_management(struct front_conn *c, const struct fcgi_record *rec)
{
	uint8_t unknown[FCGI_HEADER_LEN + 8];

	if (rec->header.type == FCGI_GET_VALUES) {
		front_answer_get_values(c, rec);
		return;
	}
	size_t n = fcgi_unknown_type_encode(unknown, sizeof(unknown), rec->header.type);
	if (buf_append(&c->out, unknown, n) < 0)
		front_kill(c, "out of memory");
	front_schedule(c);
}

/*
 * FCGI_GET_VALUES (spec 4.1): answers the three variables the spec defines,
 * ignores any other name, and always sends a result, empty or not.
 */
static void front_answer_get_values(struct front_conn *c, const struct fcgi_record *rec)
{
	char max_conns[16], max_reqs[24];
	const struct { const char *name; const char *value; } known[] = {
		{ FCGI_MAX_CONNS, max_conns },
		{ FCGI_MAX_REQS, max_reqs },
		{ FCGI_MPXS_CONNS, "1" },
	};
	uint8_t result[512];
	size_t len = 0;
	struct fcgi_nv nv;

	snprintf(max_conns, sizeof(max_conns), "%u", c->gw->conf->max_connections);
	snprintf(max_reqs, sizeof(max_reqs), "%lu",
	    (unsigned long)c->gw->conf->max_connections * FRONT_MAX_REQUESTS);
	for (size_t off = 0; off < rec->header.content_length;) {
		ssize_t n = fcgi_nv_decode(rec->content + off, rec->header.content_length - off, &nv);
		if (n <= 0)
			break;
		off += (size_t)n;
		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
			if (nv.name_len == strlen(known[i].name) &&
			    memcmp(nv.name, known[i].name, nv.name_len) == 0)
				len += fcgi_nv_encode(result + len, sizeof(result) - len, known[i].name,
				    nv.name_len, known[i].value, strlen(known[i].value));
		}
	}
	front_send(c, FCGI_GET_VALUES_RESULT, FCGI_NULL_REQUEST_ID, result, len);
}

static struct request *front_find_request(struct front_conn *c, uint16_t id)
{
	for (struct request *r = c->requests; r != NULL; r = r->next) {
		if (r->id == id)
			return r;
	}
	return NULL;
}

void front_send(struct front_conn *c, uint8_t type, uint16_t id, const void *content, size_t len)
{
	if (c->dead)
		return;
	if (record_append(&c->out, type, id, content, len) < 0)
		front_kill(c, "out of memory");
	front_schedule(c);
}

void front_send_end(struct front_conn *c, uint16_t id, uint32_t app_status,
    uint8_t protocol_status)
{
	if (c->dead)
		return;
	if (record_append_end(&c->out, id, app_status, protocol_status) < 0)
		front_kill(c, "out of memory");
	front_schedule(c);
}

void front_request_done(struct front_conn *c, struct request *req)
{
	if (req->prev != NULL)
		req->prev->next = req->next;
	else
		c->requests = req->next;
	if (req->next != NULL)
		req->next->prev = req->prev;
	c->request_count--;
	/* Spec 5.1: without FCGI_KEEP_CONN the application closes after responding. */
	if (!req->keep_conn || (c->gw->draining && c->request_count == 0))
		c->closing = true;
	request_free(req);
	front_schedule(c);
	if (!c->dead)
		front_arm_timer(c);
}

void front_abort(struct front_conn *c)
{
	c->closing = true;
	ev_io_stop(c->gw->loop, &c->read_watcher);
	while (c->requests != NULL)
		front_request_done(c, c->requests);
	front_schedule(c);
}

/* Puts the connection on the list the prepare watcher flushes or frees. */
static void front_schedule(struct front_conn *c)
{
	if (c->pending)
		return;
	c->pending = true;
	c->pending_next = c->gw->pending;
	c->gw->pending = c;
}

static void front_on_prepare(struct ev_loop *loop, ev_prepare *prepare, int revents)
{
	(void)loop;
	(void)revents;
	front_process_pending(prepare->data);
}

/* Before the loop sleeps: write queued output, free dead connections. */
static void front_process_pending(struct gateway *gw)
{
	while (gw->pending != NULL) {
		struct front_conn *c = gw->pending;
		gw->pending = c->pending_next;
		c->pending = false;
		if (!c->dead)
			front_flush(c);
		/* A connection killed by its flush is back on the list: freed there. */
		if (c->dead && !c->pending)
			front_free(c);
	}
}

static void front_on_writable(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	front_schedule(io->data);
}

/*
 * Writes as much queued output as the socket takes, arms the write watcher
 * for the rest, applies or lifts backpressure on the connection's workers,
 * and closes a closing connection once nothing is left to say.
 */
static void front_flush(struct front_conn *c)
{
	struct ev_loop *loop = c->gw->loop;

	if (buf_used(&c->out) > 0) {
		ssize_t n = write(c->fd, buf_head(&c->out), buf_used(&c->out));
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			front_kill(c, front_peer_gone(errno) ? NULL : strerror(errno));
			return;
		}
		if (n > 0)
			buf_consume(&c->out, (size_t)n);
	}
	if (buf_used(&c->out) > 0)
		ev_io_start(loop, &c->write_watcher);
	else
		ev_io_stop(loop, &c->write_watcher);

	size_t used = buf_used(&c->out);
	if (!c->backed_up && used > FRONT_OUT_HIGH) {
		c->backed_up = true;
		for (struct request *r = c->requests; r != NULL; r = r->next)
			request_pause(r);
	} else if (c->backed_up && used < FRONT_OUT_LOW) {
		c->backed_up = false;
		for (struct request *r = c->requests; r != NULL; r = r->next)
			request_resume(r);
	}
	if (c->closing && used == 0 && c->request_count == 0)
		front_kill(c, NULL);
}

/*
 * The web server closed or reset the connection: nginx does so when its
 * client goes away. Normal at any load, so not worth a warning.
 */
static bool front_peer_gone(int error)
{
	if (error == ECONNRESET || error == EPIPE) {
		log_debug("connection closed by the web server: %s", strerror(error));
		return true;
	}
	return false;
}

/*
 * Ends the connection: stops its watchers and drops its requests now, and
 * frees it before the loop sleeps. why is logged when not NULL.
 */
static void front_kill(struct front_conn *c, const char *why)
{
	if (c->dead)
		return;
	if (why != NULL)
		log_warn("connection from %s closed: %s", c->peer, why);
	c->dead = true;
	ev_io_stop(c->gw->loop, &c->read_watcher);
	ev_io_stop(c->gw->loop, &c->write_watcher);
	ev_timer_stop(c->gw->loop, &c->timer);
	while (c->requests != NULL) {
		struct request *r = c->requests;
		c->requests = r->next;
		request_free(r);
	}
	c->request_count = 0;
	front_schedule(c);
}

static void front_free(struct front_conn *c)
{
	struct gateway *gw = c->gw;

	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		gw->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	gw->conn_count--;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	listener_update_accepting(gw);
}

void front_drain(struct gateway *gw)
{
	gw->draining = true;
	listener_close_all(gw);
	for (struct front_conn *c = gw->conns; c != NULL; c = c->next) {
		if (c->request_count == 0)
			front_kill(c, NULL);
		else
			c->closing = true;
	}
}

void front_shutdown(struct gateway *gw)
{
	listener_close_all(gw);
	for (struct front_conn *c = gw->conns; c != NULL; c = c->next)
		front_kill(c, NULL);
	front_process_pending(gw);
	ev_prepare_stop(gw->loop, &gw->prepare);
}
