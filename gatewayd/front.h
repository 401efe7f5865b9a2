/*
 * front.h: the web-server side: listeners, connections, FastCGI records in
 * and out. Requests are demultiplexed by id and handed to request.c.
 */
#ifndef GATEWAYD_FRONT_H
#define GATEWAYD_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"
#include "gateway.h"

struct request;

/* Requests one web-server connection may have open at once. */
#define FRONT_MAX_REQUESTS 64

struct front_conn {
	struct gateway *gw;
	int fd;
	char peer[64];			/* for log lines */
	ev_io read_watcher;
	ev_io write_watcher;
	ev_timer timer;			/* front.read_timeout while a request arrives, else front.idle_timeout */
	bool timer_reading;		/* which of the two the timer counts */
	struct buf in;			/* bytes read, not yet parsed */
	struct buf out;			/* records waiting for the socket */
	struct request *requests;	/* open requests on this connection */
	unsigned request_count;
	bool closing;			/* close once out is flushed and no request is open */
	bool dead;			/* closed; freed before the loop sleeps */
	bool backed_up;			/* out passed the high mark: workers paused */
	bool pending;			/* on gw->pending */
	struct front_conn *prev, *next;	/* gw->conns */
	struct front_conn *pending_next;
};

/*
 * Opens every configured listener and starts accepting. Returns 0, or -1
 * with err filled (listeners opened so far stay open for front_shutdown).
 */
int front_start(struct gateway *gw, char *err, size_t err_len);

/* A connection a listener accepted (non-blocking, close-on-exec). */
void front_conn_open(struct gateway *gw, int fd, const struct sockaddr_storage *ss);

/*
 * SIGTERM: stop accepting, close connections with no open request, and
 * close the others as their last request ends. gw->conn_count reaching 0
 * means the drain is over.
 */
void front_drain(struct gateway *gw);

/* Closes every connection and frees what front_start() allocated. */
void front_shutdown(struct gateway *gw);

/*
 * Queues records on the connection (content split as needed). A connection
 * that cannot take them (out of memory) is closed.
 */
void front_send(struct front_conn *conn, uint8_t type, uint16_t id, const void *content,
    size_t len);
void front_send_end(struct front_conn *conn, uint16_t id, uint32_t app_status,
    uint8_t protocol_status);

/*
 * The request is over: unlinks it from its connection (and, without
 * FCGI_KEEP_CONN, closes the connection once flushed) and frees it.
 */
void front_request_done(struct front_conn *conn, struct request *req);

/*
 * Flushes what is queued, then closes the connection: the web server sees a
 * response cut short (used when a worker dies after its headers went out).
 */
void front_abort(struct front_conn *conn);

#endif /* GATEWAYD_FRONT_H */
