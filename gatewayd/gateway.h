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
struct async;

/*
 * One loaded configuration. A reload makes a new one; the old one lives on
 * while functions created from it still run (refs counts the gateway, if
 * current, and those functions).
 */
struct conf_generation {
	struct gateway_conf *conf;
	unsigned refs;
};

struct gateway {
	struct ev_loop *loop;
	const char *config_path;
	struct conf_generation *generation;	/* the current configuration */
	struct gateway_conf *conf;		/* generation->conf */
	struct function **functions;		/* functions[i] runs conf->functions[i] (maybe
						   created from an older, equal configuration) */
	struct function *retired;		/* replaced or removed by reloads, draining */
	ev_prepare collect;			/* frees retired functions once reaped */
	struct async *async;			/* async jobs, their queues and journal */
	struct front_listener *listeners;
	size_t listener_count;
	struct front_client *allowed_clients;	/* parsed listen.allowed_clients */
	size_t allowed_client_count;
	struct front_conn *conns;		/* every open web-server connection */
	unsigned conn_count;
	struct front_conn *pending;		/* to flush or free before the loop sleeps */
	ev_prepare prepare;
	bool draining;				/* SIGTERM: finishing open requests, accepting none */
	bool stopping;
	ev_timer drain_timer;			/* shutdown_timeout for a SIGTERM drain */
	ev_timer stop_grace;			/* SIGKILL for workers that ignore SIGTERM */
	ev_check stop_check;			/* ends a drain, then the loop, when all is closed */
};

/* The run-time function for one of gw->conf's functions. */
static inline struct function *gateway_function(struct gateway *gw,
    const struct function_conf *conf)
{
	return gw->functions[conf - gw->conf->functions];
}

#endif /* GATEWAYD_GATEWAY_H */
