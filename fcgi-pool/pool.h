/*
 * pool.h: a pre-forked pool of FastCGI worker processes for one function.
 *
 * The pool has the spawner start max_children workers by the FastCGI
 * convention (each its own listening unix socket on fd 0), holds one
 * keep-conn connection to each, and runs one job at a time per worker.
 * Jobs that find no idle worker wait in a bounded FIFO. Workers that exit
 * are respawned with backoff.
 *
 * The pool never logs and never sees the web server: it reports what happens
 * through struct pool_events and struct pool_job_ops, and the daemon decides
 * what to log and what the client sees. Everything runs on one libev loop.
 */
#ifndef FCGI_POOL_POOL_H
#define FCGI_POOL_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <ev.h>

#include "spawner.h"

/*
 * The request id every job must be encoded with, and the only one a worker
 * may answer on. The pool sends one request at a time on each connection it
 * keeps (FCGI_KEEP_CONN, FastCGI spec 5.1) and never multiplexes, so one id
 * is all it needs: request ids tell apart requests that share a connection
 * at the same time (spec 3.3).
 */
#define POOL_REQUEST_ID 1

/*
 * FCGI_STDERR of one job handed to its owner at most: content bytes, and
 * records (the web server logs each record: nginx writes one error-log line
 * of about 200 bytes of its own per record, so tiny records cost it most).
 * The rest is dropped and counted, so that a worker flooding its FastCGI
 * stderr cannot fill the web server's disk; its STDOUT is relayed as before.
 */
#define POOL_STDERR_RELAY_MAX (64 * 1024)
#define POOL_STDERR_RELAY_RECORDS 1024

struct pool;
struct pool_job;
struct slot;

/* Why a job ended without a response from a worker. */
enum pool_error {
	POOL_ERR_QUEUE_FULL,	/* no idle worker and the wait queue is full */
	POOL_ERR_QUEUE_TIMEOUT,	/* waited queue_timeout for a worker */
	POOL_ERR_WORKER_DIED,	/* the worker's process or connection died mid-job */
	POOL_ERR_PROTOCOL,	/* the worker sent malformed FastCGI; it was killed */
	POOL_ERR_STOPPED,	/* the pool was stopped */
	POOL_ERR_TIMEOUT,	/* request_timeout passed; the worker was killed */
	POOL_ERR_HELD_BACK,	/* the function's workers keep dying at start: held back */
};

/* How the number of workers follows demand (PHP-FPM's pm modes). */
enum pool_scaling {
	POOL_STATIC,		/* max_children workers, always */
	POOL_DYNAMIC,		/* start_servers at start; idle kept within [min_spare, max_spare] */
	POOL_ONDEMAND,		/* none at start; one per waiting job; idle ones stop after idle_timeout */
};

/* What a job's owner is told. Each callback may not free the job itself:
 * after end or fail the pool no longer touches it. */
struct pool_job_ops {
	/* STDOUT or STDERR content from the worker, in order. */
	void (*output)(struct pool_job *job, uint8_t type, const uint8_t *content, size_t len);
	/* The worker's END_REQUEST: the job is over. */
	void (*end)(struct pool_job *job, uint32_t app_status, uint8_t protocol_status);
	/* The job is over without (a whole) response. */
	void (*fail)(struct pool_job *job, enum pool_error error);
};

/*
 * A job: one FastCGI request, encoded with POOL_REQUEST_ID and FCGI_KEEP_CONN,
 * owned by the caller, usually embedded in its request structure.
 */
struct pool_job {
	const struct pool_job_ops *ops;
	const uint8_t *request;		/* the encoded request: BEGIN, PARAMS, STDIN */
	size_t request_len;
	/*
	 * Set by the owner before pool_submit(): the job may run a second time
	 * when its worker dies (or its connection fails) before any STDOUT,
	 * i.e. it is idempotent (GET, HEAD, or the function says so).
	 */
	bool retry_safe;
	/* Private to the pool. */
	struct pool *pool;
	struct slot *slot;		/* running on, or NULL while queued */
	struct pool_job *prev, *next;	/* wait queue links */
	ev_timer queue_timer;
	unsigned resends;		/* times resent after a worker exited without reading it */
	unsigned retried : 1;		/* run again once after its worker died (retry_safe) */
	unsigned output_started : 1;	/* some STDOUT reached the owner */
	unsigned queued : 1;
};

/* What a pool tells the daemon about its workers. */
struct pool_events {
	void (*spawned)(struct pool *pool, pid_t pid);
	/* A worker was reaped; status is waitpid's. */
	void (*exited)(struct pool *pool, pid_t pid, int status, unsigned long requests_served);
	/* A spawn failed before or at exec; message says why. */
	void (*spawn_failed)(struct pool *pool, const char *message);
	/*
	 * One line the worker wrote on its stderr (no newline). cut: it went on
	 * past len bytes, and the rest of it was skipped. Each worker's lines
	 * are rate-limited (the limits are in fcgi-pool/stderr_lines.h).
	 */
	void (*stderr_line)(struct pool *pool, pid_t pid, const char *line, size_t len, bool cut);
	/*
	 * count lines of the worker's stderr were over its rate and dropped:
	 * said when the window they fell in ends, or when the worker exits.
	 */
	void (*stderr_dropped)(struct pool *pool, pid_t pid, unsigned long count);
	/*
	 * bytes of a job's FCGI_STDERR content past POOL_STDERR_RELAY_MAX or
	 * POOL_STDERR_RELAY_RECORDS were dropped: said when the job ends
	 * (FastCGI workers only).
	 */
	void (*stderr_records_dropped)(struct pool *pool, pid_t pid, size_t bytes);
	/* Workers are idle and no job waits: the owner may submit more. */
	void (*idle)(struct pool *pool);
};

/*
 * How to run a function's workers. Strings are borrowed for the pool's life.
 * What a worker runs, with which environment, as whom and in which sandbox
 * is the spawner's business: the pool names the function and the
 * configuration generation, and the spawner starts what its own reading of
 * that configuration says.
 */
struct pool_config {
	const char *name;		/* function name: what the spawner starts, and socket names */
	unsigned serial;		/* unique among the daemon's pools: in socket names */
	const char *program;		/* its argv[0], for messages */
	struct spawner *spawner;
	uint32_t generation;		/* the spawner's configuration generation */
	const char *run_dir;		/* the daemon's 0700 directory for the listening sockets */
	bool cgi;			/* mode = cgi: a program per job */
	enum pool_scaling scaling;
	unsigned max_children;
	unsigned start_servers;		/* dynamic: workers forked at start */
	unsigned min_spare;		/* dynamic: idle workers kept at least */
	unsigned max_spare;		/* dynamic: idle workers kept at most */
	double idle_timeout;		/* dynamic (above min_spare), ondemand: idle seconds before a worker stops */
	unsigned max_spawn_rate;	/* workers forked per second at most (dynamic, ondemand) */
	unsigned long max_requests;	/* recycle after this many; 0 = never */
	size_t max_memory;		/* recycle when RSS after a request exceeds it; 0 = never */
	unsigned queue_max;		/* jobs allowed to wait */
	double queue_timeout;		/* seconds a job may wait; 0 = forever */
	double request_timeout;		/* seconds a job may run; 0 = forever */
	int dump_signal;		/* sent to a worker past request_timeout, before the kill; 0 = none */
	double spawn_timeout;		/* seconds from fork to exec; 0 = forever */
	unsigned crash_limit;		/* failed workers in a row that hold the pool back */
	double crash_window;		/* a worker alive this long ends a failure streak */
};

/*
 * Creates a pool with no process yet. Returns the pool, or NULL with a
 * reason in err. owner is returned by pool_owner().
 */
struct pool *pool_create(struct ev_loop *loop, const struct pool_config *config,
    const struct pool_events *events, void *owner, char *err, size_t err_len);

/*
 * Has the spawner start every worker. Returns 0, or -1 with a reason in err
 * when one could not be started (the caller then stops the pool); exec
 * failures are reported later through events->spawn_failed.
 */
int pool_start(struct pool *pool, char *err, size_t err_len);

/* The owner pointer given to pool_create(). */
void *pool_owner(const struct pool *pool);

/* The function name the pool was created for. */
const char *pool_name(const struct pool *pool);

/*
 * Runs job on an idle worker, or queues it (forking a worker for it when
 * the pool scales). Returns 0 when the job was taken (its ops will be called
 * later), or -1 with the reason in *error when it was refused (no callback
 * will be called): POOL_ERR_QUEUE_FULL, POOL_ERR_HELD_BACK or
 * POOL_ERR_STOPPED.
 */
int pool_submit(struct pool *pool, struct pool_job *job, enum pool_error *error);

/*
 * The owner gives up on a job (the client went away). A queued job is
 * dropped; a running job's output is discarded until its worker ends it. No
 * callback is called afterwards.
 */
void pool_job_cancel(struct pool_job *job);

/* The pid of the worker running job, or 0 while it is queued (or has none). */
pid_t pool_job_pid(const struct pool_job *job);

/* Stops / resumes reading a running job's worker (backpressure). */
void pool_job_pause(struct pool_job *job);
void pool_job_resume(struct pool_job *job);

/*
 * Stops the pool: fails queued jobs with POOL_ERR_STOPPED, sends SIGTERM to
 * every worker and no longer respawns. Returns the number of workers still
 * to be reaped.
 */
unsigned pool_stop(struct pool *pool);

/*
 * Whether a job submitted now would start without waiting behind others: no
 * job waits, and a worker is idle or may be forked for it.
 */
bool pool_has_room(const struct pool *pool);

/* Sends SIGKILL to every worker still alive. */
void pool_kill(struct pool *pool);

/* Workers not yet reaped (after pool_stop, 0 means the pool can be freed). */
unsigned pool_live_workers(const struct pool *pool);

/* Frees a stopped pool whose workers are all reaped. */
void pool_free(struct pool *pool);

#endif /* FCGI_POOL_POOL_H */
