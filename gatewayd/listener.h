/*
 * listener.h: the sockets web servers connect to (see listener.c).
 */
#ifndef GATEWAYD_LISTENER_H
#define GATEWAYD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "gateway.h"

/* What the listeners tell the layer that owns connections (front.c). */
struct listener_ops {
	/*
	 * A connection was accepted from peer (non-blocking, close-on-exec, its
	 * client allowed): fd is the owner's from now on. admin: on the admin
	 * socket (its peer is gatewayd's user or root).
	 */
	void (*accepted)(void *owner, int fd, const struct sockaddr_storage *peer, bool admin);
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

/* Connections the admin socket serves at once; more wait in its backlog. */
#define LISTENER_ADMIN_MAX 16

/*
 * Pauses every listener at its bound (max_connections; the admin socket's
 * LISTENER_ADMIN_MAX), resumes them below it.
 */
void listener_update_accepting(struct gateway *gw);

/* Stops accepting and closes the listeners (unix socket files removed, but systemd's). */
void listener_close_all(struct gateway *gw);

#endif /* GATEWAYD_LISTENER_H */
