/*
 * gateway.h: the daemon's state, one per process, passed to every module
 * that needs more than its own object. There are no other globals.
 */
#ifndef GATEWAYD_GATEWAY_H
#define GATEWAYD_GATEWAY_H

#include <stdbool.h>

#include <ev.h>

#include "config.h"
#include "function.h"

struct front_listener;
struct front_conn;
struct front_client;

struct gateway {
	struct ev_loop *loop;
	struct gateway_conf *conf;
	struct function *functions;		/* functions[i] runs conf->functions[i] */
	struct front_listener *listeners;
	size_t listener_count;
	struct front_client *allowed_clients;	/* parsed listen.allowed_clients */
	size_t allowed_client_count;
	struct front_conn *conns;		/* every open web-server connection */
	unsigned conn_count;
	struct front_conn *pending;		/* to flush or free before the loop sleeps */
	ev_prepare prepare;
	bool stopping;
	ev_timer stop_grace;			/* SIGKILL for workers that ignore SIGTERM */
	ev_check stop_check;			/* leaves the loop once every worker is reaped */
};

/* The run-time function for one of gw->conf's functions. */
static inline struct function *gateway_function(struct gateway *gw,
    const struct function_conf *conf)
{
	return &gw->functions[conf - gw->conf->functions];
}

#endif /* GATEWAYD_GATEWAY_H */
