/*
 * listener.h: the sockets web servers connect to (see listener.c).
 */
#ifndef GATEWAYD_LISTENER_H
#define GATEWAYD_LISTENER_H

#include <stddef.h>
#include <sys/socket.h>

#include "gateway.h"

/* What the listeners tell the layer that owns connections (front.c). */
struct listener_ops {
	/*
	 * A connection was accepted from peer (non-blocking, close-on-exec, its
	 * client allowed): fd is the owner's from now on.
	 */
	void (*accepted)(void *owner, int fd, const struct sockaddr_storage *peer);
};

/*
 * Opens every configured listener and starts accepting; ops (with owner)
 * are told of every connection, through this and every later listener set.
 * 0 / -1 with err.
 */
int listener_start(struct gateway *gw, const struct listener_ops *ops, void *owner, char *err,
    size_t err_len);

/*
 * A reload: makes the listeners those of conf, keeping the sockets of
 * addresses still listed. All or nothing: 0, or -1 with err and no change.
 */
int listener_reload(struct gateway *gw, const struct gateway_conf *conf, char *err,
    size_t err_len);

/* Pauses every listener at max_connections, resumes them below it. */
void listener_update_accepting(struct gateway *gw);

/* Stops accepting and closes the listeners (unix socket files removed). */
void listener_close_all(struct gateway *gw);

#endif /* GATEWAYD_LISTENER_H */
