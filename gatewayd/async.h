/*
 * async.h: async mode. A request that asks for it (Prefer: respond-async,
 * X-Async: true) on a function with async = on, or any request on one with
 * async = only, is recorded in the journal, put on the function's bounded
 * queue and answered 202 with its job's location. Jobs run when a worker is
 * free (sync requests first, unless async.max_concurrency reserves workers),
 * are retried with backoff after a 5xx, a crash or a timeout, and keep
 * their result for async.result_ttl. After a crash every accepted job that
 * had not finished runs again: at least once (docs/async.md).
 */
#ifndef GATEWAYD_ASYNC_H
#define GATEWAYD_ASYNC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "gateway.h"

/* An id as text: 128 random bits in lower-case hex. */
#define ASYNC_ID_HEX_LEN 32

/* What async_accept() did. */
enum async_accept_result {
	ASYNC_ACCEPTED,		/* recorded and queued: answer 202 */
	ASYNC_QUEUE_FULL,	/* nothing recorded: answer 503 */
	ASYNC_NOT_RECORDED,	/* the journal write failed: nothing queued, answer 503 */
	ASYNC_CALLBACK_REFUSED,	/* X-Callback-Url not in async.callback_allow: answer 400 */
	ASYNC_HELD,		/* async.fsync = always, or nats: wait->decided() says, later */
	ASYNC_UNAVAILABLE,	/* async.backend = nats and NATS is not reachable: answer 503 */
	ASYNC_TOO_LARGE,	/* larger than a NATS message may be (max_payload): answer 413 */
};

struct async_job;

/*
 * A request whose job waits for what makes it durable: the journal sync
 * (async.fsync = always: one fdatasync for every job accepted in a loop
 * iteration), or JetStream's ack of its message (async.backend = nats). The caller embeds it, sets decided, and calls
 * async_wait_cancel() if it goes first; decided() is called once, with
 * ASYNC_ACCEPTED (id_hex holds the id: answer 202) or ASYNC_NOT_RECORDED
 * (the sync failed: answer 503, the job is dropped).
 */
struct async_wait {
	void (*decided)(struct async_wait *w, enum async_accept_result result, const char *id_hex);
	struct async_job *job;		/* async.c's, while held */
};

/*
 * Opens the journal (when [global] async.journal is set), replays it and
 * queues again every job that had not finished. Returns 0, or -1 with err.
 */
int async_start(struct gateway *gw, char *err, size_t err_len);

/* Whether a request with these header values is to be queued for conf. */
bool async_wanted(const struct function_conf *conf, const uint8_t *prefer, size_t prefer_len,
    const uint8_t *x_async, size_t x_async_len);

/* Whether a Prefer header value asks for respond-async (RFC 7240). */
bool async_prefer_respond_async(const uint8_t *prefer, size_t len);

/*
 * Accepts a whole request for fn: params as the web server sent them, and
 * the body. On ASYNC_ACCEPTED the buffers are taken (left empty) and id_hex
 * (ASYNC_ID_HEX_LEN + 1 bytes) holds the job's id. On ASYNC_HELD they are
 * taken too, and wait is told the outcome later, never from inside this call.
 */
enum async_accept_result async_accept(struct gateway *gw, struct function *fn,
    struct buf *params, struct buf *body, char *id_hex, struct async_wait *wait);

/* The request behind wait goes: its job, if still held, is decided without telling it. */
void async_wait_cancel(struct async_wait *wait);

/*
 * GET (or HEAD) /_gateway/jobs/<id> and /_gateway/jobs/<id>/result, DELETE
 * /_gateway/jobs/<id> (docs/async.md): writes the whole CGI-style response
 * (headers, blank line, body) into out. method is REQUEST_METHOD's value
 * (NULL when absent). 0 / -1 (memory).
 */
int async_answer_api(struct gateway *gw, const char *method, size_t method_len,
    const char *path, size_t path_len, struct buf *out);

/* Jobs listed at most by one async_list_jobs() answer. */
#define ASYNC_LIST_MAX 1000

/*
 * The admin socket's GET /_gateway/jobs: a JSON list of the jobs held, the
 * oldest first, those of function only and in state only when not NULL
 * (queued, running, succeeded, failed, canceled), at most limit of them
 * (<= ASYNC_LIST_MAX), with how many matched. Writes the whole CGI
 * response into out. 0 / -1 (memory).
 */
int async_list_jobs(struct gateway *gw, const char *function, const char *state, size_t limit,
    struct buf *out);

/*
 * After a reload (taken or refused): the live async keys now in force
 * apply at once: results bounds to the finished jobs, result_ttl to the
 * expiry timer.
 */
void async_reloaded(struct gateway *gw);

/* What became of a function's jobs since gatewayd started. */
struct async_counts {
	uint64_t accepted;		/* answered 202 (replayed ones are not counted again) */
	uint64_t succeeded;
	uint64_t failed;		/* out of attempts, or gave no usable response */
	uint64_t canceled;		/* by DELETE before they ran */
	uint64_t retried;		/* attempts that failed and were tried again */
};

/* A function's async queue now. */
struct async_function_stats {
	unsigned queued;		/* waiting for a worker (retries too) */
	unsigned running;		/* attempts on workers */
	unsigned held;			/* accepted, waiting for the group commit's sync */
	unsigned done;			/* finished, kept for their results */
	uint64_t done_bytes;		/* those results' bytes */
	struct async_counts counts;
};

/* name's queue: false when it has none (no async, or no job yet since start). */
bool async_function_stats(const struct gateway *gw, const char *name,
    struct async_function_stats *out);

/* async.backend = nats, now (status, metrics). */
struct async_nats_status {
	bool enabled;			/* async.backend = nats */
	bool connected;			/* reachable, and the stream and bucket set up */
	char url[256];			/* the server connected to, "" when none */
	uint64_t publish_failures;	/* accepts answered 503 for NATS's sake since start */
};

void async_nats_status(const struct gateway *gw, struct async_nats_status *out);

/* The journal's size in bytes; 0 without one. */
uint64_t async_journal_bytes(const struct gateway *gw);

/* Shutdown: no job starts any more (those running finish or are cut). */
void async_stop(struct gateway *gw);

/* Attempts on workers now (a SIGTERM drain waits for them). */
unsigned async_running(const struct gateway *gw);

/* Frees everything; the journal is synced and closed. */
void async_free(struct gateway *gw);

#endif /* GATEWAYD_ASYNC_H */
