/*
 * async_internal.h: what the async_*.c files share: the queues, the async
 * state, and each file's entry points for the others.
 */
#ifndef GATEWAYD_ASYNC_INTERNAL_H
#define GATEWAYD_ASYNC_INTERNAL_H

#include <ev.h>
#include <string.h>

#include "async.h"
#include "async_job.h"
#include "config.h"
#include "journal.h"
#include "ring.h"

/*
 * Freed memory goes back to the system once the jobs held have halved
 * since the last time, and by at least this many: a few malloc_trim()
 * calls drain a burst of any size.
 */
#define ASYNC_TRIM_MIN_JOBS 256u

/* result_ttl for a finished job whose function is gone (seconds). */
#define ASYNC_DEFAULT_TTL 3600.0
/* async.results_max and async.results_memory for a function that is gone. */
#define ASYNC_DEFAULT_RESULTS_MAX 1000u
#define ASYNC_DEFAULT_RESULTS_MEMORY (64u << 20)

/* One function's queue of jobs, by function name (it outlives reloads). */
struct async_queue {
	char *name;
	struct ring ring;		/* jobs waiting, oldest first; retries go first */
	unsigned running;		/* attempts on workers now */
	unsigned held;			/* accepted, waiting for the group commit's sync */
	unsigned requested;		/* nats: jobs granted to its pull thread, not yet fetched */
	TAILQ_HEAD(async_queue_done, async_job) done;	/* its finished jobs, oldest first */
	unsigned done_count;		/* in done: against async.results_max */
	uint64_t done_bytes;		/* their responses: against async.results_memory */
	struct async_counts counts;	/* since gatewayd started (status, metrics) */
	struct async_queue *next;
};

struct async {
	struct gateway *gw;
	struct journal *journal;	/* NULL without async.journal */
	struct callbacks *callbacks;	/* deliveries to X-Callback-Url */
	struct async_table jobs;
	struct async_queue *queues;
	TAILQ_HEAD(async_done_list, async_job) done;	/* finished, oldest first */
	TAILQ_HEAD(async_held_list, async_job) held;	/* accepted, not yet synced (fsync always) */
	ev_prepare group_commit;	/* before the loop blocks: one sync for every held job */
	uint64_t live_bytes;		/* journal bytes the live jobs need: compaction's measure */
	size_t jobs_at_trim;		/* most jobs held since the last malloc_trim() */
	ev_timer sync_timer;		/* async.fsync = batch */
	ev_timer expiry_timer;		/* async.result_ttl: at the earliest of the queues' oldest */
	bool journal_failing;		/* a write or sync failed (disk full): 503s until repaired */
	ev_timer repair_timer;		/* while failing: rewrite the journal, every ASYNC_REPAIR_EVERY */
	bool stopping;
	/* async.backend = nats (async_nats.c). */
	struct nats_link *nats;
	char nats_node[128];		/* this node's name in job values: host/pid */
	ev_timer nats_held_timer;	/* held publishes past nats.timeout: 503 */
	uint64_t nats_publish_failures;	/* accepts answered 503 for NATS's sake */
	const struct async_runner *runner;	/* async.c's, for async_nats.c */
};

/* What async.c does for async_nats.c (no call from async_nats.c into async.c). */
struct async_runner {
	/* Starts q's jobs while its function has room (and grants the rest to NATS). */
	void (*dispatch)(struct async *a, struct async_queue *q);
	/* A failed attempt, why logged: retried, or failed past async.max_attempts. */
	void (*fail)(struct async_job *job, const char *why);
	/* The queue of the function called name, made on first use; NULL: out of memory. */
	struct async_queue *(*queue)(struct async *a, const char *name);
};

/* What DELETE /_gateway/jobs/<id> did (async_cancel()). */
enum async_cancel_result {
	ASYNC_CANCELED,			/* it was queued: it is failed and will never run */
	ASYNC_CANCEL_RUNNING,		/* an attempt is on a worker: nothing done */
	ASYNC_CANCEL_FORGOTTEN,		/* it had finished: it is forgotten */
};

/* The running function called name, or NULL when no longer configured. */
static inline struct function *async_function(struct async *a, const char *name)
{
	const struct function_conf *conf = config_find_function(a->gw->conf, name, strlen(name));

	return conf != NULL ? gateway_function(a->gw, conf) : NULL;
}

/* async.c */
enum async_cancel_result async_cancel(struct async *a, struct async_job *job);

/* async_nats.c: async.backend = nats. */
/* Starts the link (gw->nats_credentials read already). 0 / -1 with err. */
int async_nats_start(struct async *a, char *err, size_t err_len);
/* async_accept()'s second half: job is made; publishes it and holds it for the acks. */
enum async_accept_result async_nats_accept(struct async *a, struct async_job *job,
    struct async_wait *wait);
/* Grants q's pull thread the workers q has free beyond its fetched jobs. */
void async_nats_grant(struct async *a, struct async_queue *q, struct function *fn);
/* How an attempt on this node ended, for async_nats_settle(). */
enum async_nats_outcome {
	ASYNC_NATS_FINISHED,	/* job->state says how: acked (succeeded) or terminated */
	ASYNC_NATS_RETRY,	/* delivered again after delay */
	ASYNC_NATS_GIVEN_BACK,	/* shutdown: delivered again at once, the attempt not counted */
};
void async_nats_settle(struct async_job *job, enum async_nats_outcome how, double delay);
/* DELETE of a queued job (its value becomes canceled) or a finished one (it goes). */
void async_nats_cancel(struct async *a, struct async_job *job);
void async_nats_forget(struct async *a, struct async_job *job);
/* Whether NATS is reachable and set up. */
bool async_nats_up(const struct async *a);
void async_nats_free(struct async *a);

/* async_store.c */
/* Sets up the repair timer and the batch sync timer (not started). */
void async_store_init(struct async *a);
void async_record(struct async *a, const struct journal_record *r);
void async_journal_failed(struct async *a, const char *what);
void async_maybe_compact(struct async *a);
int async_compact_at_start(struct async *a, char *err, size_t err_len);

/* async_results.c */
/* Sets up the expiry timer (not started). */
void async_results_init(struct async *a);
void async_results_keep(struct async *a, struct async_job *job);
void async_results_unkeep(struct async *a, struct async_job *job);
int async_adopt_finished(struct async *a);
void async_forget_recorded(struct async *a, struct async_job *job, uint64_t now_ms);
void async_arm_expiry(struct async *a);

/* async_callback.c */
/* Makes a->callbacks, reporting to this file. 0 / -1 with err. */
int async_callbacks_start(struct async *a, char *err, size_t err_len);
void async_callbacks_resume(struct async *a);
void async_callback_finished(struct async *a, struct async_job *job);
bool async_callback_allowed(const struct function_conf *conf, const struct buf *params);

/* async_replay.c */
int async_replay(struct async *a, char *err, size_t err_len);
int async_write_live(void *ctx, struct journal *out);
void async_forget(struct async *a, struct async_job *job);
void async_discard(struct async *a, struct async_job *job);
void async_live_finish(struct async *a, struct async_job *job);
int async_ring_resize(struct ring *r, size_t capacity);

#endif /* GATEWAYD_ASYNC_INTERNAL_H */
