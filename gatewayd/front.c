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
#include "log.h"
#include "record.h"
#include "request.h"

/* Output queue marks for backpressure on the workers feeding a connection. */
#define FRONT_OUT_HIGH (256 * 1024)
#define FRONT_OUT_LOW (64 * 1024)
/* Seconds accepting pauses when the process is out of descriptors. */
#define FRONT_EMFILE_PAUSE 1.0
/* Connections accepted per readiness event, so one listener cannot starve the loop. */
#define FRONT_ACCEPT_BATCH 32

struct front_listener {
	struct gateway *gw;
	char *address;		/* as configured */
	bool is_unix;
	ev_io watcher;
	ev_timer pause_timer;	/* EMFILE: accepting resumes when it fires */
};

/* One listen.allowed_clients address. */
struct front_client {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

static int front_parse_clients(struct gateway *gw, char *err, size_t err_len);
static int front_open_listener(struct front_listener *l, char *err, size_t err_len);
static int front_open_unix(const char *path, const struct gateway_conf *conf, char *err,
    size_t err_len);
static int front_open_tcp(const char *address, int backlog, char *err, size_t err_len);
static void front_on_accept(struct ev_loop *loop, ev_io *io, int revents);
static void front_on_pause_expired(struct ev_loop *loop, ev_timer *timer, int revents);
static bool front_client_allowed(const struct gateway *gw, const struct sockaddr_storage *ss);
static void front_conn_open(struct gateway *gw, int fd, const struct sockaddr_storage *ss);
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
static void front_update_accepting(struct gateway *gw);

int front_start(struct gateway *gw, char *err, size_t err_len)
{
	const struct gateway_conf *conf = gw->conf;

	ev_prepare_init(&gw->prepare, front_on_prepare);
	gw->prepare.data = gw;
	ev_prepare_start(gw->loop, &gw->prepare);
	if (front_parse_clients(gw, err, err_len) < 0)
		return -1;
	gw->listeners = calloc(conf->listen_count, sizeof(*gw->listeners));
	if (gw->listeners == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < conf->listen_count; i++) {
		struct front_listener *l = &gw->listeners[i];
		l->gw = gw;
		l->address = conf->listen[i];
		l->is_unix = l->address[0] == '/';
		if (front_open_listener(l, err, err_len) < 0)
			return -1;
		gw->listener_count++;
		log_info("listening on %s", l->address);
	}
	return 0;
}

static int front_parse_clients(struct gateway *gw, char *err, size_t err_len)
{
	const struct gateway_conf *conf = gw->conf;

	if (conf->allowed_client_count == 0)
		return 0;
	gw->allowed_clients = calloc(conf->allowed_client_count, sizeof(*gw->allowed_clients));
	if (gw->allowed_clients == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < conf->allowed_client_count; i++) {
		struct front_client *fc = &gw->allowed_clients[i];
		const char *s = conf->allowed_clients[i];
		fc->family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
		if (inet_pton(fc->family, s, fc->addr) != 1) {
			snprintf(err, err_len, "listen.allowed_clients: bad address %s", s);
			return -1;
		}
	}
	gw->allowed_client_count = conf->allowed_client_count;
	return 0;
}

static int front_open_listener(struct front_listener *l, char *err, size_t err_len)
{
	const struct gateway_conf *conf = l->gw->conf;
	int fd = l->is_unix ? front_open_unix(l->address, conf, err, err_len)
			    : front_open_tcp(l->address, conf->listen_backlog, err, err_len);
	if (fd < 0)
		return -1;
	ev_io_init(&l->watcher, front_on_accept, fd, EV_READ);
	l->watcher.data = l;
	ev_init(&l->pause_timer, front_on_pause_expired);
	l->pause_timer.data = l;
	ev_io_start(l->gw->loop, &l->watcher);
	return 0;
}

/*
 * A unix listener. A stale socket file left by a crash is replaced; any
 * other kind of file at the path is an error, never removed.
 */
static int front_open_unix(const char *path, const struct gateway_conf *conf, char *err,
    size_t err_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_len, "listen %s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len, "listen %s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, conf->listen_mode) < 0 || listen(fd, conf->listen_backlog) < 0) {
		snprintf(err, err_len, "listen %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A TCP listener on "host:port" or "[v6]:port". */
static int front_open_tcp(const char *address, int backlog, char *err, size_t err_len)
{
	char host[256];
	const char *colon = strrchr(address, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;

	if (colon == NULL || (size_t)(colon - address) >= sizeof(host)) {
		snprintf(err, err_len, "listen %s: expected host:port", address);
		return -1;
	}
	const char *h = address;
	size_t hlen = (size_t)(colon - address);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	int rc = getaddrinfo(hlen > 0 ? host : NULL, colon + 1, &hints, &ai);
	if (rc != 0) {
		snprintf(err, err_len, "listen %s: %s", address, gai_strerror(rc));
		return -1;
	}
	int one = 1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
		snprintf(err, err_len, "listen %s: %s", address, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/*
 * Accepts a batch of connections. Out of descriptors, accepting pauses for
 * a second instead of spinning on a listener that stays readable.
 */
static void front_on_accept(struct ev_loop *loop, ev_io *io, int revents)
{
	struct front_listener *l = io->data;
	struct gateway *gw = l->gw;
	(void)revents;

	for (int i = 0; i < FRONT_ACCEPT_BATCH && gw->conn_count < gw->conf->max_connections; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_error("accept on %s: %s; pausing for %.0f s", l->address,
				    strerror(errno), FRONT_EMFILE_PAUSE);
				ev_io_stop(loop, io);
				ev_timer_set(&l->pause_timer, FRONT_EMFILE_PAUSE, 0.);
				ev_timer_start(loop, &l->pause_timer);
			}
			return;
		}
		if (!l->is_unix && !front_client_allowed(gw, &ss)) {
			log_warn("connection on %s refused: client not in listen.allowed_clients",
			    l->address);
			close(fd);
			continue;
		}
		front_conn_open(gw, fd, &ss);
	}
	front_update_accepting(gw);
}

static void front_on_pause_expired(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct front_listener *l = timer->data;
	(void)revents;

	if (!l->gw->stopping)
		ev_io_start(loop, &l->watcher);
}

static bool front_client_allowed(const struct gateway *gw, const struct sockaddr_storage *ss)
{
	const uint8_t *addr;
	int family = ss->ss_family;

	if (gw->allowed_client_count == 0)
		return true;
	if (family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	} else {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		addr = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			addr += 12;
		}
	}
	for (size_t i = 0; i < gw->allowed_client_count; i++) {
		const struct front_client *fc = &gw->allowed_clients[i];
		if (fc->family == family &&
		    memcmp(fc->addr, addr, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/* Pauses every listener at max_connections and resumes them below it. */
static void front_update_accepting(struct gateway *gw)
{
	bool accept = !gw->stopping && gw->conn_count < gw->conf->max_connections;

	for (size_t i = 0; i < gw->listener_count; i++) {
		struct front_listener *l = &gw->listeners[i];
		if (accept && !ev_is_active(&l->pause_timer))
			ev_io_start(gw->loop, &l->watcher);
		else if (!accept)
			ev_io_stop(gw->loop, &l->watcher);
	}
}

static void front_conn_open(struct gateway *gw, int fd, const struct sockaddr_storage *ss)
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
	c->read_watcher.data = c->write_watcher.data = c;
	ev_io_start(gw->loop, &c->read_watcher);
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
	if (!req->keep_conn)
		c->closing = true;
	request_free(req);
	front_schedule(c);
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
	front_update_accepting(gw);
}

void front_close_listeners(struct gateway *gw)
{
	for (size_t i = 0; i < gw->listener_count; i++) {
		struct front_listener *l = &gw->listeners[i];
		ev_io_stop(gw->loop, &l->watcher);
		ev_timer_stop(gw->loop, &l->pause_timer);
		close(l->watcher.fd);
		if (l->is_unix)
			unlink(l->address);
	}
	gw->listener_count = 0;
}

void front_shutdown(struct gateway *gw)
{
	front_close_listeners(gw);
	for (struct front_conn *c = gw->conns; c != NULL; c = c->next)
		front_kill(c, NULL);
	front_process_pending(gw);
	ev_prepare_stop(gw->loop, &gw->prepare);
	free(gw->listeners);
	free(gw->allowed_clients);
	gw->listeners = NULL;
	gw->allowed_clients = NULL;
}
