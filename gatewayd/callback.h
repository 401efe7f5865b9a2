/*
 * callback.h: delivering finished jobs' results to their X-Callback-Url
 * (docs/async.md, Callbacks): HTTP POSTs through libcurl's multi interface
 * on the daemon's libev loop, retried with backoff. The loop never blocks:
 * sockets and curl's timer are libev watchers, and names are resolved by
 * libcurl's threaded resolver (callbacks_new() says when it has none).
 *
 * The async layer above hands a delivery down with callback_deliver() and
 * hears how it went through struct callback_ops: callback.c never calls
 * into the async code.
 */
#ifndef GATEWAYD_CALLBACK_H
#define GATEWAYD_CALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "journal.h"

/* Where a job's delivery stands, as its JSON shows it. */
enum callback_state {
	CALLBACK_PENDING,	/* not yet answered 2xx; attempts remain */
	CALLBACK_DELIVERED,	/* the receiver answered 2xx */
	CALLBACK_FAILED,	/* every attempt failed */
};

/* How deliveries report, to the layer that started them. */
struct callback_ops {
	/* An attempt ended; state is PENDING while a retry is to come. error: NULL on 2xx. */
	void (*attempted)(void *owner, const uint8_t id[JOURNAL_ID_LEN],
	    enum callback_state state, unsigned attempts, const char *error);
	void *owner;
};

/* One delivery: everything is copied by callback_deliver(). */
struct callback_delivery {
	uint8_t id[JOURNAL_ID_LEN];	/* the job's: reported back through the ops */
	const char *id_hex;
	const char *url;		/* allowed by async.callback_allow already */
	const char *secret;		/* async.callback_secret_file's contents, or NULL: unsigned */
	const uint8_t *body;		/* the function's response body */
	size_t body_len;
	const char *content_type;	/* the function's, or NULL */
	uint16_t status;		/* the function's HTTP status */
	unsigned job_attempts;
	double duration_seconds;	/* the last attempt's run time */
	unsigned max_attempts;		/* deliveries before CALLBACK_FAILED */
	double retry_delay;		/* before the second; doubling after */
};

struct callbacks;

struct callbacks *callbacks_new(struct ev_loop *loop, const struct callback_ops *ops,
    char *err, size_t err_len);
int callback_deliver(struct callbacks *cb, const struct callback_delivery *d);
size_t callbacks_pending(const struct callbacks *cb);
void callbacks_free(struct callbacks *cb);

#endif /* GATEWAYD_CALLBACK_H */
