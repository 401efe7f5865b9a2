/*
 * front.h: the web-server side: connections, FastCGI records in and out.
 * Accepted sockets come from listener.c; requests are demultiplexed by id
 * and handed to request.c, which answers through the struct request_output
 * front.c lends it. front.c is the layer above both: neither calls it.
 */
#ifndef GATEWAYD_FRONT_H
#define GATEWAYD_FRONT_H

#include <stddef.h>

#include "gateway.h"

/*
 * Opens every configured listener and starts accepting. Returns 0, or -1
 * with err filled (listeners opened so far stay open for front_shutdown).
 */
int front_start(struct gateway *gw, char *err, size_t err_len);

/*
 * SIGTERM: stop accepting, close connections with no open request, and
 * close the others as their last request ends. gw->conn_count reaching 0
 * means the drain is over.
 */
void front_drain(struct gateway *gw);

/* Closes every connection and frees what front_start() allocated. */
void front_shutdown(struct gateway *gw);

#endif /* GATEWAYD_FRONT_H */
