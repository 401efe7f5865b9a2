/*
 * nats_link_internal.h: what the link's files share (nats_link.c: the
 * connection, the commands and their thread; nats_pull.c: the pull
 * threads; nats_watch.c: the bucket's watcher; nats_events.c: the way
 * back to the loop; nats_delivery.c: the deliveries held). Only the loop thread touches gatewayd's state; these
 * threads touch only what this header declares, under mu.
 */
#ifndef GATEWAYD_NATS_LINK_INTERNAL_H
#define GATEWAYD_NATS_LINK_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <nats/nats.h>

#include "nats_link.h"

/* What a thread tells the loop (nats_events.c delivers it to ops). */
enum nats_event_type {
	NATS_EV_CONNECTION,
	NATS_EV_PUBLISHED,
	NATS_EV_FETCHED,
	NATS_EV_FETCH_DONE,
	NATS_EV_SETTLED,
	NATS_EV_STATE,
};

struct nats_event {
	enum nats_event_type type;
	bool flag;			/* connection: up; published: stored; settled: won */
	char id_hex[NATS_ID_HEX_LEN + 1];
	char *text;			/* function (fetched, fetch_done), why (connection) */
	struct nats_delivery *delivery;
	unsigned count;			/* fetch_done: asked */
	uint8_t *value;			/* state: NULL when the key went */
	size_t value_len;
	uint64_t revision;
	struct nats_event *next;
};

/* One function's pull thread (nats_pull.c). */
struct nats_pull {
	struct nats_link *link;
	char *function;
	char *subject;			/* <stream>.jobs.<function> */
	char *durable;			/* the function's name with '.' as '_' and a hash: see nats_pull.c */
	unsigned credits;		/* under link->mu */
	pthread_cond_t wake;
	pthread_t thread;
	struct nats_pull *next;
};

/* A command for the command thread (nats_link.c). */
enum nats_command_type {
	NATS_CMD_PUBLISH,
	NATS_CMD_SETTLE,		/* the write asynchronous, its ack settles (the usual case) */
	NATS_CMD_SETTLE_SYNC,		/* the write refused or unanswered: checked, tried again */
	NATS_CMD_UPDATE,
	NATS_CMD_FORGET,
};

struct nats_command {
	enum nats_command_type type;
	char id_hex[NATS_ID_HEX_LEN + 1];
	char *subject;			/* publish: the job's */
	uint8_t *job, *value;
	size_t job_len, value_len;
	struct nats_delivery *delivery;	/* settle */
	enum nats_settle how;
	double delay;
	uint64_t revision;		/* update */
	struct nats_command *next;
};

struct nats_link {
	struct ev_loop *loop;
	ev_async wake;			/* a thread queued events */
	const struct nats_link_ops *ops;
	void *owner;
	struct nats_link_settings s;	/* its strings are the link's copies */
	char *servers;			/* s.url, cut into its servers by nats_options() */
	char *bucket;			/* <stream>_jobs */
	natsOptions *opts;
	natsConnection *nc;
	jsCtx *js;
	kvStore *kv;			/* NULL until set up */
	atomic_bool up;			/* connected and set up */
	atomic_bool stopping;
	atomic_bool rewatch;		/* set up again after a disconnection: the watcher starts anew */
	pthread_mutex_t mu;		/* everything below, and each pull's credits */
	pthread_cond_t commands_ready;
	struct nats_command *commands, *commands_tail;
	bool connected;			/* libnats says so */
	bool set_up;			/* the stream and the bucket exist, since the last connect */
	struct nats_event *events, *events_tail;
	struct nats_delivery *held;	/* fetched, not settled: InProgress */
	struct nats_pull *pulls;
	pthread_t command_thread;
	pthread_t watch_thread;
	bool watching;			/* watch_thread runs */
};

/* nats_delivery.c */
/* d joins the deliveries held (InProgress until settled). Takes l->mu. */
void nats_delivery_hold(struct nats_link *l, struct nats_delivery *d);
/* Under l->mu: d leaves them. */
void nats_delivery_unhold(struct nats_link *l, struct nats_delivery *d);

/* nats_events.c */
/* Queues ev (malloc'd) for the loop and wakes it. */
void nats_event_post(struct nats_link *l, struct nats_event *ev);
/* A new event of type, zeroed; NULL when out of memory (the event is lost, and logged). */
struct nats_event *nats_event_new(enum nats_event_type type);
/* The loop's side: sets up l->wake. */
void nats_events_init(struct nats_link *l);
/* Frees every event still queued (at nats_link_free(), threads stopped). */
void nats_events_free(struct nats_link *l);

/* nats_pull.c */
/* Adds count credits to function's pull thread, starting it on first use. Under l->mu. */
int nats_pull_grant(struct nats_link *l, const char *function, unsigned count);
/* Wakes and joins every pull thread, and frees them. l->stopping is set. */
void nats_pull_stop_all(struct nats_link *l);

/* nats_watch.c */
/* The watcher thread's body: mirrors the bucket into NATS_EV_STATE events. */
void *nats_watch_main(void *arg);

#endif /* GATEWAYD_NATS_LINK_INTERNAL_H */
