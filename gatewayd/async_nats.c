/*
 * async_nats.c: async.backend = nats, the loop's side (docs/scaling.md).
 * JetStream keeps what the journal keeps on one machine: each accepted
 * job's message in the stream (until a node acks it) and its value in the
 * bucket (its state and result, for every node). This file turns the
 * async module's events into nats_link calls and the link's outcomes back
 * into the job table, which on every node mirrors the bucket:
 *
 *   accept:  value "queued" and message published; 202 once the message is acked
 *   fetched: a job this node's free workers may run ("running" written)
 *   settle:  its new value by compare-and-swap, then ack / nak / term
 *   state:   any node's write of any job's value, by the bucket's watcher
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "async_internal.h"
#include "log.h"
#include "nats_link.h"

/* Held publishes are looked at this often (s), against nats.timeout. */
#define ASYNC_NATS_HELD_CHECK 0.1
/* Room left in a value for its JSON line and a message's headers (bytes). */
#define ASYNC_NATS_VALUE_HEAD 4096
/* Room left in a job's message for its headers (Nats-Msg-Id) and the protocol's. */
#define ASYNC_NATS_MESSAGE_HEAD 256

_Static_assert((int)JOB_VALUE_QUEUED == (int)ASYNC_QUEUED &&
    (int)JOB_VALUE_RUNNING == (int)ASYNC_RUNNING &&
    (int)JOB_VALUE_SUCCEEDED == (int)ASYNC_SUCCEEDED &&
    (int)JOB_VALUE_FAILED == (int)ASYNC_FAILED, "job_value.h follows async_job.h");

static const uint8_t async_nats_key[JOURNAL_KEY_LEN];	/* messages are checked unkeyed */

static void on_connection(void *owner, bool up, const char *why);
static void on_published(void *owner, const char *id_hex, bool stored);
static void on_fetched(void *owner, const char *function, struct nats_delivery *d);
static void on_fetch_done(void *owner, const char *function, unsigned asked);
static void on_settled(void *owner, struct nats_delivery *d, bool won);
static void on_state(void *owner, const char *id_hex, const uint8_t *value, size_t len,
    uint64_t revision);
static void on_held_timer(struct ev_loop *loop, ev_timer *timer, int revents);

static const struct nats_link_ops async_nats_ops = {
	.connection = on_connection,
	.published = on_published,
	.fetched = on_fetched,
	.fetch_done = on_fetch_done,
	.settled = on_settled,
	.state = on_state,
};

/* The largest async.result_ttl among the functions: the bucket's TTL. */
static double async_nats_ttl(const struct gateway_conf *conf)
{
	double ttl = 0;

	for (size_t i = 0; i < conf->function_count; i++) {
		if (conf->functions[i].async.mode != ASYNC_OFF &&
		    conf->functions[i].async.result_ttl > ttl)
			ttl = conf->functions[i].async.result_ttl;
	}
	return ttl > 0 ? ttl : ASYNC_DEFAULT_TTL;
}

int async_nats_start(struct async *a, char *err, size_t err_len)
{
	const struct gateway_conf *conf = a->gw->conf;
	char host[64];

	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(a->nats_node, sizeof(a->nats_node), "%s/%d", host, (int)getpid());
	struct nats_link_settings s = {
		.url = conf->nats_url, .credentials = &a->gw->nats_credentials,
		.stream = conf->nats_stream, .replicas = conf->nats_replicas,
		.ack_wait = conf->nats_ack_wait, .timeout = conf->nats_timeout,
		.value_ttl = async_nats_ttl(conf), .node = a->nats_node,
	};
	ev_timer_init(&a->nats_held_timer, on_held_timer, ASYNC_NATS_HELD_CHECK,
	    ASYNC_NATS_HELD_CHECK);
	a->nats_held_timer.data = a;
	a->nats = nats_link_start(a->gw->loop, &s, &async_nats_ops, a, err, err_len);
	return a->nats != NULL ? 0 : -1;
}

bool async_nats_up(const struct async *a)
{
	return a->nats != NULL && nats_link_up(a->nats);
}

void async_nats_status(const struct gateway *gw, struct async_nats_status *out)
{
	const struct async *a = gw->async;

	*out = (struct async_nats_status){ 0 };
	if (a == NULL || a->nats == NULL)
		return;
	out->enabled = true;
	out->connected = nats_link_up(a->nats);
	nats_link_server(a->nats, out->url, sizeof(out->url));
	out->publish_failures = a->nats_publish_failures;
}

/*
 * The value of job as this node knows it now, with its response when kept:
 * cut to fit a message, and then marked truncated on this node too.
 */
static int async_nats_value(struct async_job *job, struct buf *out)
{
	struct job_value v = {
		.state = (enum job_value_state)job->state, .canceled = job->canceled,
		.truncated = job->truncated, .attempts = job->attempts,
		.created_ms = job->created_ms, .started_ms = job->started_ms,
		.finished_ms = job->finished_ms, .status = job->status,
		.response = buf_head(&job->response), .response_len = buf_used(&job->response),
	};

	/* A value is a message too: its response is cut to fit the server's max_payload. */
	size_t room = nats_link_max_payload(job->async->nats);
	room = room > ASYNC_NATS_VALUE_HEAD ? room - ASYNC_NATS_VALUE_HEAD : 0;
	if (v.response_len > room) {
		v.response_len = room;
		v.truncated = job->truncated = true;
	}
	snprintf(v.function, sizeof(v.function), "%s", job->function);
	snprintf(v.node, sizeof(v.node), "%s", job->async->nats_node);
	return job_value_encode(&v, out);
}

enum async_accept_result async_nats_accept(struct async *a, struct async_job *job,
    struct async_wait *wait)
{
	struct journal_record r = {
		.type = JOURNAL_ACCEPTED, .time_ms = job->created_ms,
		.function = job->function, .function_len = strlen(job->function),
		.params = buf_head(&job->params), .params_len = buf_used(&job->params),
		.body = buf_head(&job->body), .body_len = buf_used(&job->body),
	};
	struct buf value = { 0 };
	size_t size = journal_record_size(&r);
	uint8_t *message = malloc(size);
	int published = -1;

	memcpy(r.id, job->id, JOURNAL_ID_LEN);
	if (size + ASYNC_NATS_MESSAGE_HEAD > nats_link_max_payload(a->nats)) {
		free(message);
		return ASYNC_TOO_LARGE;
	}
	if (message != NULL && journal_record_encode(&r, async_nats_key, message, size) == size &&
	    async_nats_value(job, &value) == 0)
		published = nats_link_publish(a->nats, job->id_hex, job->function, message, size,
		    buf_head(&value), buf_used(&value));
	free(message);
	buf_free(&value);
	if (published < 0 || async_table_insert(&a->jobs, job) < 0)
		return ASYNC_NOT_RECORDED;	/* the caller frees job; a publish in flight is refused later */
	/* The stream holds its request now: this node keeps only its state. */
	buf_free(&job->params);
	buf_free(&job->body);
	job->wait = wait;
	wait->job = job;
	job->held_at = async_monotonic_now();
	job->queue->held++;
	TAILQ_INSERT_TAIL(&a->held, job, held_link);
	if (!ev_is_active(&a->nats_held_timer))
		ev_timer_start(a->gw->loop, &a->nats_held_timer);
	return ASYNC_HELD;
}

/*
 * A held job is decided: 202 (stored), or 503 (not stored in time; should
 * its message reach the stream after all, it still runs: at least once).
 */
static void async_nats_decide(struct async *a, struct async_job *job, bool stored)
{
	struct async_wait *wait = job->wait;

	TAILQ_REMOVE(&a->held, job, held_link);
	job->queue->held--;
	job->wait = NULL;
	if (wait != NULL)
		wait->job = NULL;
	if (stored) {
		job->queue->counts.accepted++;
		if (wait != NULL)
			wait->decided(wait, ASYNC_ACCEPTED, job->id_hex);
		a->runner->dispatch(a, job->queue);
		return;
	}
	a->nats_publish_failures++;
	async_discard(a, job);
	if (wait != NULL)
		wait->decided(wait, ASYNC_NOT_RECORDED, NULL);
}

static void on_published(void *owner, const char *id_hex, bool stored)
{
	struct async *a = owner;
	uint8_t id[JOURNAL_ID_LEN];
	struct async_job *job;

	if (async_id_parse(id_hex, strlen(id_hex), id) < 0 ||
	    (job = async_table_find(&a->jobs, id)) == NULL || job->held_at == 0)
		return;	/* decided already (nats.timeout passed): too late */
	if (!stored) {
		log_warn("async job %s (%s): JetStream did not store it: answered 503", id_hex,
		    job->function);
		job->held_at = 0;
		async_nats_decide(a, job, false);
		return;
	}
	job->held_at = 0;
	async_nats_decide(a, job, true);
}

/* Publishes held past nats.timeout: 503 (the acks may still come: they are then ignored). */
static void on_held_timer(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async *a = timer->data;
	ev_tstamp deadline = async_monotonic_now() - a->gw->conf->nats_timeout;
	struct async_job *job;
	(void)revents;

	while ((job = TAILQ_FIRST(&a->held)) != NULL && job->held_at <= deadline) {
		log_warn("async job %s (%s): no word from JetStream within nats.timeout: "
		    "answered 503", job->id_hex, job->function);
		job->held_at = 0;
		async_nats_decide(a, job, false);
	}
	if (TAILQ_EMPTY(&a->held))
		ev_timer_stop(loop, timer);
}

static void on_connection(void *owner, bool up, const char *why)
{
	struct async *a = owner;

	if (!up) {
		log_warn("nats: %s: async requests get 503 until it is back", why);
		return;
	}
	log_info("nats: connected to JetStream (stream %s, %u replicas)", a->gw->conf->nats_stream,
	    a->gw->conf->nats_replicas);
	/* Every async function's jobs, whichever node accepted them: each fetches. */
	const struct gateway_conf *conf = a->gw->conf;
	for (size_t i = 0; i < conf->function_count; i++) {
		if (conf->functions[i].async.mode != ASYNC_OFF)
			(void)a->runner->queue(a, conf->functions[i].name);
	}
	for (struct async_queue *q = a->queues; q != NULL; q = q->next)
		a->runner->dispatch(a, q);
}

/*
 * How many more of q's jobs this node can take: free places of fn's pool
 * (not counting sync requests waiting: they go first), or the workers
 * async.max_concurrency reserves, less the jobs fetched or asked for.
 */
void async_nats_grant(struct async *a, struct async_queue *q, struct function *fn)
{
	struct pool_stats st;

	if (a->nats == NULL || !nats_link_up(a->nats) || fn->conf->async.mode == ASYNC_OFF)
		return;
	pool_get_stats(fn->pool, &st);
	unsigned taken = st.busy + st.exiting + st.queued;
	unsigned room = st.max > taken && !st.held_back ? st.max - taken : 0;
	unsigned reserved = fn->conf->async.max_concurrency;
	if (reserved > q->running && reserved - q->running > room)
		room = reserved - q->running;
	unsigned waiting = (unsigned)ring_count(&q->ring) + q->requested;
	if (room <= waiting)
		return;
	q->requested += room - waiting;
	nats_link_grant(a->nats, q->name, room - waiting);
}

static void on_fetch_done(void *owner, const char *function, unsigned asked)
{
	struct async *a = owner;
	struct async_queue *q = a->runner->queue(a, function);

	if (q == NULL)
		return;
	q->requested -= asked < q->requested ? asked : q->requested;
	a->runner->dispatch(a, q);
}

/* A job's value as JetStream holds it, into the job's fields (but its response). */
static void async_nats_apply_fields(struct async_job *job, const struct job_value *v)
{
	job->state = (enum async_state)v->state;
	job->canceled = v->canceled;
	job->truncated = v->truncated;
	job->attempts = v->attempts;
	job->created_ms = v->created_ms;
	job->started_ms = v->started_ms;
	job->finished_ms = v->finished_ms;
	job->status = v->status;
}

/*
 * A fetched job: its request decoded from the message, queued here for a
 * worker as the attempt its claim counted (d->value.attempts). A job delivered again while
 * this node still runs it (its InProgress came late) is let go; one past
 * async.max_attempts (its last attempt died with its node) fails.
 */
static void on_fetched(void *owner, const char *function, struct nats_delivery *d)
{
	struct async *a = owner;
	struct async_queue *q = a->runner->queue(a, function);
	struct journal_record r;
	struct async_job *job;
	uint8_t id[JOURNAL_ID_LEN];

	if (q == NULL || async_id_parse(d->id_hex, NATS_ID_HEX_LEN, id) < 0 ||
	    journal_record_decode(d->job, d->job_len, async_nats_key, &r) != (ssize_t)d->job_len ||
	    r.type != JOURNAL_ACCEPTED || memcmp(r.id, id, JOURNAL_ID_LEN) != 0) {
		log_warn("nats: job %s: its message is not a job gatewayd wrote: dropped", d->id_hex);
		nats_link_settle(d, NULL, 0, NATS_SETTLE_TERM, 0);
		return;
	}
	job = async_table_find(&a->jobs, id);
	if (job != NULL && (job->delivery != NULL || job->fn != NULL)) {
		nats_link_release(d);
		return;
	}
	if (job != NULL && job->held_at != 0) {
		/* Delivered before its acks were counted: JetStream has it, so it is stored. */
		job->held_at = 0;
		async_nats_decide(a, job, true);
	}
	if (job != NULL && job->canceled) {
		/*
		 * Canceled before its first delivery, whose claim wrote over the value
		 * without reading it: the canceled value goes back, the message is ended.
		 */
		job->delivery = d;
		async_nats_settle(job, ASYNC_NATS_FINISHED, 0);
		return;
	}
	if (job == NULL) {
		if ((job = async_job_new(id, function, strlen(function))) == NULL ||
		    async_table_insert(&a->jobs, job) < 0) {
			async_job_free(job);
			nats_link_release(d);
			return;
		}
		job->async = a;
		job->queue = q;
	} else if (job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED) {
		/* Finished, as the watcher told, but its value said otherwise at fetch: newer. */
		async_results_unkeep(a, job);
	}
	buf_reset(&job->params);
	buf_reset(&job->body);
	if (buf_append(&job->params, r.params, r.params_len) < 0 ||
	    buf_append(&job->body, r.body, r.body_len) < 0) {
		async_discard(a, job);
		nats_link_release(d);
		return;
	}
	async_nats_apply_fields(job, &d->value);
	job->created_ms = r.time_ms;	/* the accepting node's clock, as its value says */
	job->state = ASYNC_QUEUED;
	job->attempts = d->value.attempts - 1;	/* async.c's attempt makes it the claim's */
	job->delivery = d;
	job->revision = d->revision;
	struct function *fn = async_function(a, function);
	if (fn == NULL || d->value.attempts > fn->conf->async.max_attempts) {
		a->runner->fail(job, fn == NULL ? "the function is no longer configured" :
		    "out of attempts (the last one ended with its node)");
		return;
	}
	if ((ring_full(&q->ring) && async_ring_resize(&q->ring, q->ring.capacity * 2) < 0) ||
	    ring_push(&q->ring, job) < 0) {
		job->delivery = NULL;
		nats_link_release(d);
		return;
	}
	a->runner->dispatch(a, q);
}

/* delay: async.c's, capped at its ASYNC_RETRY_MAX already. */
void async_nats_settle(struct async_job *job, enum async_nats_outcome how, double delay)
{
	struct nats_delivery *d = job->delivery;
	struct buf value = { 0 };
	enum nats_settle settle = NATS_SETTLE_NAK;

	if (d == NULL)
		return;
	if (how == ASYNC_NATS_GIVEN_BACK)
		delay = 0;
	else if (how == ASYNC_NATS_FINISHED)
		settle = job->state == ASYNC_SUCCEEDED ? NATS_SETTLE_ACK : NATS_SETTLE_TERM;
	if (async_nats_value(job, &value) < 0) {
		log_error("async job %s: out of memory: left for JetStream to deliver again",
		    job->id_hex);
		job->delivery = NULL;
		nats_link_release(d);
		return;
	}
	nats_link_settle(d, buf_head(&value), buf_used(&value), settle, delay);
	buf_free(&value);
}

/* A value the watcher told, into the table: the job made, changed, finished or gone. */
static void async_nats_apply(struct async *a, struct async_job *job, const uint8_t *id,
    const uint8_t *value, size_t len, uint64_t revision)
{
	struct job_value v;

	if (value == NULL) {
		if (job == NULL || job->held_at != 0)
			return;
		if (job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED)
			async_forget_recorded(a, job, async_now_ms());
		else if (!ring_remove(&job->queue->ring, job))
			async_discard(a, job);
		return;
	}
	if (job_value_decode(value, len, &v) < 0) {
		log_warn("nats: a job's value in the bucket does not decode: ignored");
		return;
	}
	if (job == NULL) {
		struct async_queue *q = a->runner->queue(a, v.function);
		if (q == NULL)
			return;
		if ((job = async_job_new(id, v.function, strlen(v.function))) == NULL ||
		    async_table_insert(&a->jobs, job) < 0) {
			async_job_free(job);
			return;
		}
		job->async = a;
		job->queue = q;
	}
	bool was_finished = job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED;
	if (was_finished) {
		job->queue->done_bytes -= buf_used(&job->response);
	}
	async_nats_apply_fields(job, &v);
	job->revision = revision;
	buf_reset(&job->response);
	if (v.response_len > 0 && buf_append(&job->response, v.response, v.response_len) < 0)
		job->truncated = true;
	bool finished = job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED;
	if (was_finished)
		job->queue->done_bytes += buf_used(&job->response);
	if (finished && !was_finished) {
		(void)buf_fit(&job->response);
		uint64_t now = async_now_ms();
		double age = now > job->finished_ms ? (double)(now - job->finished_ms) / 1000 : 0;
		job->finished_at = async_monotonic_now() - age;
		if (job->canceled)
			job->queue->counts.canceled++;
		async_results_keep(a, job);
	}
}

static void on_state(void *owner, const char *id_hex, const uint8_t *value, size_t len,
    uint64_t revision)
{
	struct async *a = owner;
	uint8_t id[JOURNAL_ID_LEN];
	struct async_job *job;

	if (async_id_parse(id_hex, NATS_ID_HEX_LEN, id) < 0)
		return;
	job = async_table_find(&a->jobs, id);
	if (job != NULL && (job->delivery != NULL || job->fn != NULL)) {
		/* This node's attempt is the job's truth until it settles: kept for then. */
		buf_reset(&job->pending_value);
		if (value != NULL && buf_append(&job->pending_value, value, len) < 0)
			return;
		job->pending_revision = revision;
		return;
	}
	if (job != NULL && revision <= job->revision && value != NULL)
		return;	/* older than what this node wrote or saw */
	async_nats_apply(a, job, id, value, len, revision);
}

/*
 * This node's attempt is settled: when its value went in, a finished job
 * delivers its callback (only the node that wins finishes it); when it
 * did not, the value the watcher told meanwhile is the job's.
 */
static void on_settled(void *owner, struct nats_delivery *d, bool won)
{
	struct async *a = owner;
	uint8_t id[JOURNAL_ID_LEN];
	struct async_job *job = NULL;

	if (async_id_parse(d->id_hex, NATS_ID_HEX_LEN, id) == 0)
		job = async_table_find(&a->jobs, id);
	bool ours = job != NULL && job->delivery == d;
	uint64_t revision = d->revision;
	nats_link_release(d);
	if (!ours)
		return;
	job->delivery = NULL;
	if (won)
		job->revision = revision;
	if (won && (job->state == ASYNC_SUCCEEDED || job->state == ASYNC_FAILED))
		async_callback_finished(a, job);
	if (!won)
		log_info("async job %s (%s): another node's attempt holds it: this node's "
		    "outcome is dropped", job->id_hex, job->function);
	if (job->pending_revision > 0 && (!won || job->pending_revision > job->revision)) {
		struct buf pending = job->pending_value;
		uint64_t told = job->pending_revision;
		job->pending_value = (struct buf){ 0 };
		job->pending_revision = 0;
		if (job->fn == NULL)
			async_nats_apply(a, job, id, buf_used(&pending) > 0 ? buf_head(&pending) : NULL,
			    buf_used(&pending), told);
		buf_free(&pending);
	}
}

void async_nats_cancel(struct async *a, struct async_job *job)
{
	struct buf value = { 0 };

	if (async_nats_value(job, &value) == 0)
		nats_link_update(a->nats, job->id_hex, buf_head(&value), buf_used(&value),
		    job->revision);
	buf_free(&value);
}

void async_nats_forget(struct async *a, struct async_job *job)
{
	nats_link_forget(a->nats, job->id_hex);
}

void async_nats_free(struct async *a)
{
	if (a->nats == NULL)
		return;
	ev_timer_stop(a->gw->loop, &a->nats_held_timer);
	for (size_t i = 0; i < a->jobs.bucket_count; i++) {
		for (struct async_job *job = a->jobs.buckets[i]; job != NULL; job = job->hash_next)
			job->delivery = NULL;	/* the link lets go of every delivery */
	}
	nats_link_free(a->nats);
	a->nats = NULL;
}
