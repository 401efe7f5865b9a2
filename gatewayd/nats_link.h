/*
 * nats_link.h: gatewayd's side of NATS JetStream for async.backend = nats
 * (docs/scaling.md, docs/architecture.md "Threads"). The loop thread calls
 * these functions; none of them blocks or calls libnats: each queues a
 * command for the link's own threads, and their outcomes come back as calls
 * of ops on the loop thread, from an ev_async.
 *
 * What JetStream holds: the stream <stream> (work-queue retention, file
 * storage) with one subject per function, <stream>.jobs.<function>, and
 * one durable pull consumer per function; the key-value bucket
 * <stream>_jobs with one value per job (job_value.h).
 */
#ifndef GATEWAYD_NATS_LINK_H
#define GATEWAYD_NATS_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "job_value.h"
#include "nats_credentials.h"

#define NATS_ID_HEX_LEN 32

struct nats_link;

struct nats_link_settings {
	const char *url;		/* servers, separated by commas */
	const struct nats_credentials *credentials;
	const char *stream;
	unsigned replicas;
	double ack_wait;		/* seconds */
	double timeout;			/* seconds: a publish's wait for its ack */
	double value_ttl;		/* seconds a job's value is kept in the bucket */
	const char *node;		/* this node's name in job values */
};

/* What nats_link_settle() tells JetStream once the job's new value is in. */
enum nats_settle {
	NATS_SETTLE_ACK,	/* done: the message goes */
	NATS_SETTLE_NAK,	/* deliver it again after the delay */
	NATS_SETTLE_TERM,	/* never deliver it again */
};

/* A job JetStream handed this node: the link's until nats_link_release(). */
struct nats_delivery {
	char id_hex[NATS_ID_HEX_LEN + 1];
	const uint8_t *job;		/* the job's message as nats_link_publish() sent it */
	size_t job_len;
	unsigned delivered;		/* times JetStream has delivered it, this one included */
	uint64_t revision;		/* of its value: this node's "running", written at fetch,
					 * then the settle's when it went in */
	struct job_value value;		/* that value */
	/* The link's. */
	void *msg;
	bool settling;			/* its settle's write is on its way (under the link's mutex) */
	enum nats_settle how;		/* what that settle does once the write is in */
	double delay;
	struct nats_link *link;
	struct nats_delivery *prev, *next;	/* the deliveries held (InProgress) */
};

/* The outcomes, called on the loop thread. */
struct nats_link_ops {
	/* Connected (and the stream, bucket and consumers are there), or lost. */
	void (*connection)(void *owner, bool up, const char *why);
	/* A publish of nats_link_publish() is stored (both messages acked), or is not. */
	void (*published)(void *owner, const char *id_hex, bool stored);
	/* A job to run: d stays valid until nats_link_release(d). */
	void (*fetched)(void *owner, const char *function, struct nats_delivery *d);
	/* A fetch for function that was granted asked jobs is over (its jobs came first). */
	void (*fetch_done)(void *owner, const char *function, unsigned asked);
	/* nats_link_settle(d) is done: won when this node's value went in by its revision. */
	void (*settled)(void *owner, struct nats_delivery *d, bool won);
	/* A job's value changed in the bucket (any node's write), or went (value NULL). */
	void (*state)(void *owner, const char *id_hex, const uint8_t *value, size_t len,
	    uint64_t revision);
};

/*
 * Starts the link's threads and the connection (retried in the background
 * when NATS is not there yet). s is copied. NULL with err on a setting
 * libnats refuses, or out of memory.
 */
struct nats_link *nats_link_start(struct ev_loop *loop, const struct nats_link_settings *s,
    const struct nats_link_ops *ops, void *owner, char *err, size_t err_len);

/* Whether the link is connected and set up now: accepts may be published. */
bool nats_link_up(const struct nats_link *l);

/* The largest message the server takes (max_payload); SIZE_MAX before a connection. */
size_t nats_link_max_payload(struct nats_link *l);

/* The server connected to ("" when none), into out. */
void nats_link_server(struct nats_link *l, char *out, size_t len);

/*
 * Publishes a job: its value (the key id_hex in the bucket) and its message
 * (subject <stream>.jobs.<function>, Nats-Msg-Id id_hex). Copies both;
 * ops->published tells. 0 / -1 (memory: nothing queued).
 */
int nats_link_publish(struct nats_link *l, const char *id_hex, const char *function,
    const uint8_t *job, size_t job_len, const uint8_t *value, size_t value_len);

/* The loop may run count more of function's jobs now: fetch up to that many. */
void nats_link_grant(struct nats_link *l, const char *function, unsigned count);

/*
 * Writes d's new value by compare-and-swap on d->revision, then (if it went
 * in) acks, naks after delay seconds or terminates d's message;
 * ops->settled tells. value is copied; len 0 writes none (a message that
 * is not a job: terminated).
 */
void nats_link_settle(struct nats_delivery *d, const uint8_t *value, size_t len,
    enum nats_settle how, double delay);

/* Lets go of d without a word to JetStream (it is delivered again after ack_wait). */
void nats_link_release(struct nats_delivery *d);

/* Writes a job's value by compare-and-swap on revision (a cancel); the watcher tells. */
void nats_link_update(struct nats_link *l, const char *id_hex, const uint8_t *value,
    size_t len, uint64_t revision);

/* Removes a job's value from the bucket (a DELETE of a finished job). */
void nats_link_forget(struct nats_link *l, const char *id_hex);

/* Stops the threads, closes the connection and frees l; deliveries held are let go. */
void nats_link_free(struct nats_link *l);

#endif /* GATEWAYD_NATS_LINK_H */
