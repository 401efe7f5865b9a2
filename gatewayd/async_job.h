/*
 * async_job.h: one async job and the table of all of them, by id. Private
 * to the async module (async.c, async_api.c, async_replay.c).
 */
#ifndef GATEWAYD_ASYNC_JOB_H
#define GATEWAYD_ASYNC_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <ev.h>

#include "async.h"
#include "buf.h"
#include "callback.h"
#include "journal.h"
#include "pool.h"

/* A job's life; its state only moves forward, but for QUEUED <-> RUNNING on retries. */
enum async_state {
	ASYNC_QUEUED,		/* waiting in its function's queue, or for a retry */
	ASYNC_RUNNING,		/* an attempt is on a worker */
	ASYNC_SUCCEEDED,	/* the function answered 1xx-3xx */
	ASYNC_FAILED,		/* 4xx, or 5xx / crash / timeout on the last attempt */
};

struct async;
struct async_queue;
struct nats_delivery;

struct async_job {
	uint8_t id[JOURNAL_ID_LEN];
	char id_hex[ASYNC_ID_HEX_LEN + 1];
	char *function;			/* the function's name */
	struct buf params;		/* as the web server sent them */
	struct buf body;
	enum async_state state;
	unsigned attempts;		/* begun so far */
	uint64_t created_ms, started_ms, finished_ms;	/* wall clock, for display */
	ev_tstamp finished_at;		/* async_monotonic_now(), for async.result_ttl */
	uint16_t status;		/* the function's HTTP status, 0 until it gave one */
	struct buf response;		/* what it wrote, up to async.result_max */
	bool truncated;			/* the response was longer than that */
	bool canceled;			/* ASYNC_FAILED by DELETE before it ran (not journaled apart) */
	struct async *async;
	struct async_queue *queue;
	/* Its X-Callback-Url delivery (docs/async.md, Callbacks); url NULL without one. */
	char *callback_url;
	enum callback_state callback_state;
	unsigned callback_attempts;
	char callback_error[128];	/* the last failed attempt's, JSON-safe; "" if none */
	/* While an attempt runs. */
	struct function *fn;
	struct buf forward;
	struct pool_job pool_job;
	size_t result_max;
	ev_timer retry_timer;
	/* Links. */
	struct async_job *hash_next;
	TAILQ_ENTRY(async_job) done_link;	/* a->done: finished jobs, oldest first */
	TAILQ_ENTRY(async_job) held_link;	/* a->held: waiting for the group commit */
	struct async_wait *wait;		/* while held: the request to tell, or NULL */
	/* async.backend = nats (async_nats.c). */
	ev_tstamp held_at;		/* held since (async_monotonic_now()): nats.timeout */
	unsigned stored_acks;		/* while held: JetStream's acks of its value and its message */
	struct nats_delivery *delivery;	/* this node's attempt's, from fetch to settle */
	uint64_t revision;		/* of its value, as the bucket's watcher last told */
	struct buf pending_value;	/* a value the watcher told during this node's attempt */
	uint64_t pending_revision;
	TAILQ_ENTRY(async_job) queue_done_link;	/* queue->done: its function's, oldest first */
};

/*
 * The table of jobs by id: its buckets double when it holds as many jobs,
 * and halve when it holds under an eighth, never below ASYNC_TABLE_MIN.
 */
#define ASYNC_TABLE_MIN 1024u
struct async_table {
	struct async_job **buckets;
	size_t bucket_count;		/* a power of two */
	size_t count;
};

struct async_job *async_job_new(const uint8_t *id, const char *function, size_t function_len);
void async_job_free(struct async_job *job);
int async_job_take_callback(struct async_job *job);

/* 0 / -1 (out of memory). */
int async_table_insert(struct async_table *t, struct async_job *job);
struct async_job *async_table_find(const struct async_table *t, const uint8_t *id);
void async_table_remove(struct async_table *t, struct async_job *job);
void async_table_free(struct async_table *t);

/* Parses 32 hex digits into id. 0 / -1. */
int async_id_parse(const char *hex, size_t len, uint8_t *id);

/* One line of the CGI headers that start a job's response. */
struct async_header_line {
	size_t start;		/* its first byte */
	size_t len;		/* without its "\n" or "\r\n" */
	size_t next;		/* past its "\n": where the next line starts (at most the end) */
};

/*
 * The header line of response[0, len) that starts at off, into l: true for
 * a header, false at the blank line that ends them (l->next is then where
 * the body starts) or at the end of the response (l->start = l->next = len).
 * Every reader of a kept response's headers walks them with this.
 */
bool async_response_line(const uint8_t *response, size_t len, size_t off,
    struct async_header_line *l);

/* A response's HTTP status: its Status header, else 200; 0 when len is 0. */
uint16_t async_response_status(const uint8_t *response, size_t len);

/* Milliseconds since the epoch. */
uint64_t async_now_ms(void);

/* Seconds on CLOCK_MONOTONIC (not ev_now(), which follows the wall clock). */
ev_tstamp async_monotonic_now(void);

#endif /* GATEWAYD_ASYNC_JOB_H */
