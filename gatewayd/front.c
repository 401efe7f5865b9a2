/*
 * front.c: web-server connections (see front.h). The layer above
 * listener.c, which hands it accepted sockets through struct listener_ops,
 * and above request.c, whose requests answer through the struct
 * request_output their connection lends them.
 *
 * Output is queued per connection and written once per loop iteration, from
 * an ev_prepare watcher, so a worker's STDOUT and END_REQUEST read together
 * leave in one write; the write watcher is armed only while a socket does
 * not take everything. Connections are never freed inside their own
 * callbacks: they are marked dead and freed from the same prepare watcher.
 *
 * A connection whose output backs up (the web server does not read) stops
 * being read too, so that no request and no management record adds to a
 * queue nobody drains; it is closed when the socket then takes nothing for
 * front.read_timeout. One timer per connection holds whichever of its
 * deadlines comes first (enum front_deadline).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "budget.h"
#include "fcgi.h"
#include "front.h"
#include "listener.h"
#include "log.h"
#include "record.h"
#include "request.h"

/* Requests one web-server connection may have open at once. */
#define FRONT_MAX_REQUESTS 64
/* Output queue marks for backpressure on the workers feeding a connection. */
#define FRONT_OUT_HIGH (256 * 1024)
#define FRONT_OUT_LOW (64 * 1024)
/*
 * Past this, a management record (FCGI_GET_VALUES, an unknown type) is not
 * answered but ends the connection: its peer sends and does not read.
 */
#define FRONT_OUT_MAX (1024 * 1024)

/* A connection's life, which only goes forward; changed only through front_conn_set_state(). */
enum front_conn_state {
	FRONT_CONN_OPEN,	/* reading records, answering requests */
	FRONT_CONN_CLOSING,	/* closed once out is flushed and no request is open */
	FRONT_CONN_DEAD,	/* closed, requests freed; freed before the loop sleeps */
};

/* What a connection's timer counts down to: the soonest that applies (front_arm_timer()). */
enum front_deadline {
	FRONT_DEADLINE_NONE,	/* none: its requests are bounded by their functions' timeouts */
	FRONT_DEADLINE_IDLE,	/* no request since idle_since: front.idle_timeout */
	FRONT_DEADLINE_READ,	/* a request arriving, no byte since read_at: front.read_timeout */
	FRONT_DEADLINE_REQUEST,	/* the oldest request arriving, since its BEGIN_REQUEST:
				   front.request_timeout */
	FRONT_DEADLINE_WRITE,	/* output backed up, no byte taken since written_at:
				   front.read_timeout */
};

struct front_conn {
	struct gateway *gw;
	int fd;
	char peer[64];			/* for log lines */
	bool admin;			/* on the admin socket: the operator's */
	enum front_conn_state state;
	ev_io read_watcher;
	ev_io write_watcher;
	ev_timer timer;			/* the soonest deadline */
	enum front_deadline deadline;	/* which one that is */
	double read_at;			/* loop time of the last byte read */
	double written_at;		/* of the last byte the socket took, or of the backing up */
	double idle_since;		/* of the accept, or of the end of the last request */
	struct buf in;			/* bytes read, not yet parsed */
	struct buf out;			/* records waiting for the socket */
	LIST_HEAD(request_list, request) requests;	/* open requests on this connection */
	unsigned request_count;
	bool backed_up;			/* out passed the high mark: workers and reading paused */
	bool read_shut;			/* cut short (front_abort): never read again */
	bool pending;			/* on gw->pending */
	LIST_ENTRY(front_conn) link;		/* gw->conns */
	SLIST_ENTRY(front_conn) pending_link;	/* gw->pending */
};

static void front_on_accepted(void *owner, int fd, const struct sockaddr_storage *ss,
    bool admin);
static void front_conn_set_state(struct front_conn *c, enum front_conn_state state);
static void front_on_readable(struct ev_loop *loop, ev_io *io, int revents);
static void front_on_writable(struct ev_loop *loop, ev_io *io, int revents);
static int front_handle_record(struct front_conn *c, const struct fcgi_record *rec);
static int front_handle_begin(struct front_conn *c, const struct fcgi_record *rec);
static void front_handle_management(struct front_conn *c, const struct fcgi_record *rec);
static void front_answer_get_values(struct front_conn *c, const struct fcgi_record *rec);
static struct request *front_find_request(struct front_conn *c, uint16_t id);
static void front_send(void *conn, uint8_t type, uint16_t id, const void *content, size_t len);
static void front_send_end(void *conn, uint16_t id, uint32_t app_status,
    uint8_t protocol_status);
static void front_request_done(void *conn, struct request *req);
static void front_abort(void *conn);
static void front_schedule(struct front_conn *c);
static void front_on_prepare(struct ev_loop *loop, ev_prepare *prepare, int revents);
static void front_process_pending(struct gateway *gw);
static void front_flush(struct front_conn *c);
static void front_set_backed_up(struct front_conn *c, bool backed_up);
static bool front_peer_gone(int error);
static void front_kill(struct front_conn *c, const char *why);
static void front_free(struct front_conn *c);
static void front_arm_timer(struct front_conn *c);
static void front_deadline_sooner(struct front_conn *c, double *at, double since,
    double timeout, enum front_deadline deadline);
static void front_on_timer(struct ev_loop *loop, ev_timer *timer, int revents);

static const struct listener_ops front_listener_ops = {
	.accepted = front_on_accepted,
};

/* What a request on one of our connections answers through (the connection is the owner). */
static const struct request_output_ops front_request_output = {
	.send = front_send,
	.send_end = front_send_end,
	.done = front_request_done,
	.abort = front_abort,
};

int front_start(struct gateway *gw, char *err, size_t err_len)
{
	ev_prepare_init(&gw->prepare, front_on_prepare);
	gw->prepare.data = gw;
	ev_prepare_start(gw->loop, &gw->prepare);
	return listener_start(gw, &front_listener_ops, gw, err, err_len);
}

/* A listener accepted fd from ss (owner is the gateway): a new connection. */
static void front_on_accepted(void *owner, int fd, const struct sockaddr_storage *ss,
    bool admin)
{
	struct gateway *gw = owner;
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
		snprintf(c->peer, sizeof(c->peer), "%s:fd%d", admin ? "admin" : "unix", fd);
	c->admin = admin;
	ev_io_init(&c->read_watcher, front_on_readable, fd, EV_READ);
	ev_io_init(&c->write_watcher, front_on_writable, fd, EV_WRITE);
	ev_init(&c->timer, front_on_timer);
	c->read_watcher.data = c->write_watcher.data = c->timer.data = c;
	c->idle_since = c->read_at = c->written_at = ev_now(gw->loop);
	ev_io_start(gw->loop, &c->read_watcher);
	front_arm_timer(c);
	LIST_INSERT_HEAD(&gw->conns, c, link);
	gw->conn_count++;
	gw->admin_conn_count += admin;
	log_debug("connection accepted from %s (%u open)", c->peer, gw->conn_count);
}

/*
 * Moves the connection along its life, which only goes forward: a closing
 * or dead connection is never open again, and closing a dead one leaves it
 * dead. Any other move is a bug.
 */
static void front_conn_set_state(struct front_conn *c, enum front_conn_state state)
{
	switch (state) {
	case FRONT_CONN_CLOSING:
		if (c->state == FRONT_CONN_OPEN)
			c->state = state;
		return;
	case FRONT_CONN_DEAD:
		c->state = state;
		return;
	default:	/* FRONT_CONN_OPEN is where a connection starts, never where it goes */
		log_error("connection from %s: no way from state %d to %d", c->peer, (int)c->state,
		    (int)state);
		abort();	/* a bug: no input leads here */
	}
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
	c->read_at = ev_now(loop);
	while (c->state != FRONT_CONN_DEAD) {
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
	if (c->state != FRONT_CONN_DEAD)
		front_arm_timer(c);
}

/*
 * Sets the timer to the soonest deadline that applies. While a request is
 * still arriving, the web server must send its next piece within
 * front.read_timeout, and the whole request (BEGIN_REQUEST to the empty
 * STDIN record) within front.request_timeout, so that trickling a byte at a
 * time cannot hold a request open. While its output is backed up (it is
 * not read then), the socket must take a byte within front.read_timeout. A
 * connection with no request is closed front.idle_timeout after its last
 * one ended (management records do not count). Requests waiting on a
 * function are bounded by its queue.timeout and request_timeout instead.
 * Timers live in the loop's heap: setting one makes no system call.
 */
static void front_arm_timer(struct front_conn *c)
{
	const struct gateway_conf *conf = c->gw->conf;
	struct ev_loop *loop = c->gw->loop;
	const struct request *r, *oldest = NULL;
	double at = 0;

	LIST_FOREACH(r, &c->requests, conn_link) {
		if (r->state != REQUEST_AT_POOL && (oldest == NULL || r->begun < oldest->begun))
			oldest = r;
	}
	c->deadline = FRONT_DEADLINE_NONE;
	if (c->backed_up)
		front_deadline_sooner(c, &at, c->written_at, conf->read_timeout, FRONT_DEADLINE_WRITE);
	else if (oldest != NULL)
		front_deadline_sooner(c, &at, c->read_at, conf->read_timeout, FRONT_DEADLINE_READ);
	else if (c->request_count == 0)
		front_deadline_sooner(c, &at, c->idle_since, conf->idle_timeout, FRONT_DEADLINE_IDLE);
	if (oldest != NULL)
		front_deadline_sooner(c, &at, oldest->begun, conf->front_request_timeout,
		    FRONT_DEADLINE_REQUEST);
	ev_timer_stop(loop, &c->timer);
	if (c->deadline != FRONT_DEADLINE_NONE) {
		double now = ev_now(loop);
		ev_timer_set(&c->timer, at > now ? at - now : 0, 0);
		ev_timer_start(loop, &c->timer);
	}
}

/* Makes deadline the connection's when since + timeout (0: none) is sooner than *at. */
static void front_deadline_sooner(struct front_conn *c, double *at, double since,
    double timeout, enum front_deadline deadline)
{
	if (timeout <= 0)
		return;
	if (c->deadline == FRONT_DEADLINE_NONE || since + timeout < *at) {
		*at = since + timeout;
		c->deadline = deadline;
	}
}

static void front_on_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct front_conn *c = timer->data;
	char why[128];
	(void)loop;
	(void)revents;

	switch (c->deadline) {
	case FRONT_DEADLINE_IDLE:
		log_debug("connection from %s idle for front.idle_timeout: closed", c->peer);
		front_kill(c, NULL);
		return;
	case FRONT_DEADLINE_READ:
		front_kill(c, "a request did not arrive whole within front.read_timeout");
		return;
	case FRONT_DEADLINE_REQUEST:
		front_kill(c, "a request did not arrive whole within front.request_timeout");
		return;
	case FRONT_DEADLINE_WRITE:
		snprintf(why, sizeof(why), "the web server read none of its answers for "
		    "front.read_timeout (%zu bytes queued)", buf_used(&c->out));
		front_kill(c, why);
		return;
	default:	/* FRONT_DEADLINE_NONE: the timer is stopped */
		log_error("connection from %s: timer fired with no deadline %d", c->peer,
		    (int)c->deadline);
		abort();	/* a bug: no input leads here */
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
	const struct request_output out = { .ops = &front_request_output, .owner = c };
	struct request *req = request_begin(c->gw, &out, c->peer, id,
	    (flags & FCGI_KEEP_CONN) != 0, c->admin);
	if (req == NULL)
		return -1;
	LIST_INSERT_HEAD(&c->requests, req, conn_link);
	c->request_count++;
	return 0;
}

/*
 * A record with request id 0 (spec 3.3): answered on the connection's output
 * queue like any response. A peer that keeps asking without reading stops
 * being read once the queue backs up (front_flush()); should the queue
 * still pass FRONT_OUT_MAX, the connection is closed rather than grown.
 */
static void front_handle_management(struct front_conn *c, const struct fcgi_record *rec)
{
	uint8_t unknown[FCGI_HEADER_LEN + 8];

	if (buf_used(&c->out) > FRONT_OUT_MAX) {
		front_kill(c, "management records sent faster than their answers are read");
		return;
	}
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
	struct request *r;

	LIST_FOREACH(r, &c->requests, conn_link) {
		if (r->id == id)
			return r;
	}
	return NULL;
}

/*
 * Queues records on the connection (content split as needed). A connection
 * that cannot take them (out of memory) is closed.
 */
static void front_send(void *conn, uint8_t type, uint16_t id, const void *content, size_t len)
{
	struct front_conn *c = conn;

	if (c->state == FRONT_CONN_DEAD)
		return;
	if (record_append(&c->out, type, id, content, len) < 0)
		front_kill(c, "out of memory");
	front_schedule(c);
}

static void front_send_end(void *conn, uint16_t id, uint32_t app_status,
    uint8_t protocol_status)
{
	struct front_conn *c = conn;

	if (c->state == FRONT_CONN_DEAD)
		return;
	if (record_append_end(&c->out, id, app_status, protocol_status) < 0)
		front_kill(c, "out of memory");
	front_schedule(c);
}

/*
 * The request is over: unlinks it from its connection (and, without
 * FCGI_KEEP_CONN, closes the connection once flushed) and frees it.
 */
static void front_request_done(void *conn, struct request *req)
{
	struct front_conn *c = conn;

	LIST_REMOVE(req, conn_link);
	c->request_count--;
	if (c->request_count == 0)
		c->idle_since = ev_now(c->gw->loop);
	/* Spec 5.1: without FCGI_KEEP_CONN the application closes after responding. */
	if (!req->keep_conn || (c->gw->draining && c->request_count == 0))
		front_conn_set_state(c, FRONT_CONN_CLOSING);
	request_free(req);
	front_schedule(c);
	if (c->state != FRONT_CONN_DEAD)
		front_arm_timer(c);
}

/*
 * Flushes what is queued, then closes the connection: the web server sees a
 * response cut short (used when a worker dies after its headers went out).
 */
static void front_abort(void *conn)
{
	struct front_conn *c = conn;
	struct request *r;

	front_conn_set_state(c, FRONT_CONN_CLOSING);
	c->read_shut = true;
	ev_io_stop(c->gw->loop, &c->read_watcher);
	while ((r = LIST_FIRST(&c->requests)) != NULL)
		front_request_done(c, r);
	front_schedule(c);
}

/* Puts the connection on the list the prepare watcher flushes or frees. */
static void front_schedule(struct front_conn *c)
{
	if (c->pending)
		return;
	c->pending = true;
	SLIST_INSERT_HEAD(&c->gw->pending, c, pending_link);
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
	struct front_conn *c;

	while ((c = SLIST_FIRST(&gw->pending)) != NULL) {
		SLIST_REMOVE_HEAD(&gw->pending, pending_link);
		c->pending = false;
		if (c->state != FRONT_CONN_DEAD)
			front_flush(c);
		/* A connection killed by its flush is back on the list: freed there. */
		if (c->state == FRONT_CONN_DEAD && !c->pending)
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
 * for the rest, applies or lifts backpressure (front_set_backed_up()),
 * and closes a closing connection once nothing is left to say.
 */
static void front_flush(struct front_conn *c)
{
	struct ev_loop *loop = c->gw->loop;
	ssize_t n = 0;

	if (buf_used(&c->out) > 0) {
		n = write(c->fd, buf_head(&c->out), buf_used(&c->out));
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			front_kill(c, front_peer_gone(errno) ? NULL : strerror(errno));
			return;
		}
		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			c->written_at = ev_now(loop);
		}
	}
	if (buf_used(&c->out) > 0)
		ev_io_start(loop, &c->write_watcher);
	else
		ev_io_stop(loop, &c->write_watcher);

	size_t used = buf_used(&c->out);
	if (!c->backed_up && used > FRONT_OUT_HIGH)
		front_set_backed_up(c, true);
	else if (c->backed_up && used < FRONT_OUT_LOW)
		front_set_backed_up(c, false);
	else if (c->backed_up && n > 0)
		front_arm_timer(c);	/* the socket took some: its deadline moves */
	if (c->state == FRONT_CONN_CLOSING && used == 0 && c->request_count == 0)
		front_kill(c, NULL);
}

/*
 * Output past the high mark: the connection's workers are paused and the
 * connection is not read (what it would send could only add to the queue),
 * until the queue drains below the low mark. Its timer then counts write
 * progress instead of reads.
 */
static void front_set_backed_up(struct front_conn *c, bool backed_up)
{
	struct ev_loop *loop = c->gw->loop;
	struct request *r;

	c->backed_up = backed_up;
	LIST_FOREACH(r, &c->requests, conn_link) {
		if (backed_up)
			request_pause(r);
		else
			request_resume(r);
	}
	if (backed_up) {
		c->written_at = ev_now(loop);
		ev_io_stop(loop, &c->read_watcher);
	} else if (!c->read_shut) {
		c->read_at = ev_now(loop);	/* it was not read meanwhile: no silence to blame */
		ev_io_start(loop, &c->read_watcher);
	}
	front_arm_timer(c);
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
	struct request *r;

	if (c->state == FRONT_CONN_DEAD)
		return;
	if (why != NULL)
		log_warn("connection from %s closed: %s", c->peer, why);
	front_conn_set_state(c, FRONT_CONN_DEAD);
	ev_io_stop(c->gw->loop, &c->read_watcher);
	ev_io_stop(c->gw->loop, &c->write_watcher);
	ev_timer_stop(c->gw->loop, &c->timer);
	while ((r = LIST_FIRST(&c->requests)) != NULL) {
		LIST_REMOVE(r, conn_link);
		request_free(r);
	}
	c->request_count = 0;
	front_schedule(c);
}

static void front_free(struct front_conn *c)
{
	struct gateway *gw = c->gw;

	close(c->fd);
	LIST_REMOVE(c, link);
	gw->conn_count--;
	gw->admin_conn_count -= c->admin;
	buf_free(&c->in);
	buf_free(&c->out);
	free(c);
	listener_update_accepting(gw);
}

void front_drain(struct gateway *gw)
{
	struct front_conn *c;

	gw->draining = true;
	listener_close_all(gw);
	LIST_FOREACH(c, &gw->conns, link) {
		if (c->request_count == 0)
			front_kill(c, NULL);
		else
			front_conn_set_state(c, FRONT_CONN_CLOSING);
	}
}

void front_shutdown(struct gateway *gw)
{
	struct front_conn *c;

	listener_close_all(gw);
	LIST_FOREACH(c, &gw->conns, link)
		front_kill(c, NULL);
	front_process_pending(gw);
	ev_prepare_stop(gw->loop, &gw->prepare);
	if (budget_used(&gw->request_memory) != 0)
		log_error("front_shutdown: %zu bytes of request.memory_max still held with every "
		    "request freed: an accounting bug", budget_used(&gw->request_memory));
}
