/*
 * gateway.h: the daemon's state, one per process, passed to every module
 * that needs more than its own object. There are no other globals.
 */
#ifndef GATEWAYD_GATEWAY_H
#define GATEWAYD_GATEWAY_H

#include <stdbool.h>
#include <sys/queue.h>

#include <ev.h>

#include "nats_credentials.h"

#include "budget.h"
#include "config.h"
#include "function.h"
#include "identities.h"
#include "metrics.h"
#include "request_observer.h"
#include "spawner.h"

struct front_listener;
struct front_conn;
struct front_client;
struct listener_ops;
struct async;
struct access_log;

/* What the spawner said of one function of a generation (its LOADED entry). */
struct generation_function {
	uint64_t digest;		/* changes whenever how its workers start changes */
	uid_t uid;			/* what its workers run as */
	gid_t gid;
};

/*
 * One loaded configuration, the daemon's reading and the spawner's. A
 * reload makes a new one; the old one lives on while functions created from
 * it still run (refs counts the gateway, if current, and those functions).
 * The spawner keeps its own reading of it until the last reference goes.
 */
struct conf_generation {
	struct gateway_conf *conf;
	unsigned refs;
	struct spawner *spawner;
	uint32_t spawn_id;			/* the spawner's number for it */
	struct generation_function *functions;	/* one per conf->functions[] */
};

struct gateway {
	struct ev_loop *loop;
	const char *config_path;
	struct identity_policy identity;	/* who the daemon and its workers run as */
	struct spawner *spawner;		/* starts and signals every worker */
	struct conf_generation *generation;	/* the current configuration */
	struct gateway_conf *conf;		/* generation->conf */
	struct function **functions;		/* functions[i] runs conf->functions[i] (maybe
						   created from an older, equal configuration) */
	LIST_HEAD(function_list, function) retired;	/* replaced or removed by reloads,
							   draining */
	struct function_hooks function_hooks;	/* every function's; async_start() registers */
	unsigned pool_serial;			/* the last pool's serial (worker socket names) */
	ev_prepare collect;			/* frees retired functions once reaped */
	struct async *async;			/* async jobs, their queues and journal */
	struct nats_credentials nats_credentials;	/* nats.credentials, read before privileges drop */
	struct metrics metrics;			/* counters by function, for status and metrics */
	const char *version;			/* gatewayd -v's */
	double started_at;			/* wall-clock time gatewayd started (epoch seconds) */
	struct front_listener *listeners;
	size_t listener_count;
	struct front_client *allowed_clients;	/* parsed listen.allowed_clients */
	size_t allowed_client_count;
	const struct listener_ops *listener_ops;	/* told of accepted connections */
	void *listener_owner;				/* (front.c's, by listener_start) */
	LIST_HEAD(front_conn_list, front_conn) conns;	/* every open web-server connection */
	unsigned conn_count;
	unsigned admin_conn_count;		/* of conn_count: on the admin socket */
	struct request_observers request_observers;	/* told of every finished request */
	struct access_log *access_log;		/* access_log =, or NULL */
	struct budget request_memory;		/* request.memory_max: what requests buffer */
	SLIST_HEAD(front_pending_list, front_conn) pending;	/* to flush or free before the
								   loop sleeps */
	ev_prepare prepare;
	int exit_status;			/* 0 unless start-up failed or the spawner died */
	bool draining;				/* SIGTERM: finishing open requests, accepting none */
	bool stopping;
	ev_timer drain_timer;			/* shutdown_timeout for a SIGTERM drain */
	ev_timer stop_grace;			/* SIGKILL for workers that ignore SIGTERM */
	ev_prepare stop_check;			/* before the loop sleeps: ends a drain, then the
						   loop, once all is closed */
};

/* The run-time function for one of gw->conf's functions. */
static inline struct function *gateway_function(struct gateway *gw,
    const struct function_conf *conf)
{
	return gw->functions[conf - gw->conf->functions];
}

#endif /* GATEWAYD_GATEWAY_H */
