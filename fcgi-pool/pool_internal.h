/*
 * pool_internal.h: struct pool, which pool.c (idle stack, wait queue, a
 * job's fate) and scaling.c (how many slots are up) share. Not for gatewayd,
 * and not for the slot implementations, which see only slot.h.
 *
 * fcgi-pool's layers: a file calls only the files below it; a lower one
 * reaches up only through the struct of callbacks it was handed.
 *
 *   pool.c ───────> scaling.c              up: struct scaling_events
 *     │                 │
 *     ▼                 ▼
 *   struct slot_ops (slot.h), picked by     up: struct slot_events
 *   pool_create() from pool_config.cgi
 *     ├── worker.c ──> worker_socket.c ─┐
 *     └── cgi_slot.c ──> cgi.c ─────────┴─> spawner_client.c ...
 *   worker.c and cgi.c both read their process's stderr through stderr_lines.c
 *   common/ (fcgi.c, buf.c) under all of them
 *
 * pool.c is scaling.c's only caller; scaling.c brings slots up and down
 * through the same slot_ops. worker.c and cgi_slot.c include slot.h, never
 * each other's header, this one or scaling.h (docs/architecture.md, "fcgi-
 * pool's layers").
 */
#ifndef FCGI_POOL_POOL_INTERNAL_H
#define FCGI_POOL_POOL_INTERNAL_H

#include <stdbool.h>

#include "pool.h"
#include "slot.h"

struct scaling_events;

struct pool {
	struct ev_loop *loop;
	struct pool_config config;
	const struct pool_events *events;
	void *owner;
	const struct slot_ops *slot_ops;	/* worker.c's or cgi_slot.c's, by config.cgi */
	struct slot **slots;		/* config.max_children of them */
	struct slot **idle;		/* LIFO: the most recently used worker has warm caches */
	unsigned idle_count;
	struct pool_job *queue_head;
	struct pool_job *queue_tail;
	unsigned queue_len;
	unsigned running;		/* slots not DOWN */
	bool stopping;
	/* scaling.c's; the rest it only reads. */
	const struct scaling_events *scaling_events;
	unsigned fail_streak;		/* workers in a row that failed (see pool_slot_reaped) */
	ev_timer maintenance;		/* once a second: scaling, idle timeouts, streak reset */
	ev_timer retry_timer;		/* forks deferred by backoff or the spawn rate */
	ev_tstamp fork_blocked_until;	/* backoff after failed workers */
	ev_tstamp spawn_second;		/* the second spawn_count counts in */
	unsigned spawn_count;		/* workers forked in that second */
};

#endif /* FCGI_POOL_POOL_INTERNAL_H */
