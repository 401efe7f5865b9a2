/*
 * callback.c: callback deliveries on the loop (see callback.h).
 *
 * libcurl's multi interface in its event-driven form (curl's
 * docs/examples/evhiperfifo.c shows the pattern with libev): curl says
 * through CURLMOPT_SOCKETFUNCTION which sockets to watch for what, and
 * through CURLMOPT_TIMERFUNCTION when to call it back with no socket; each
 * ev_io or ev_timer event goes back to curl_multi_socket_action(), and
 * finished transfers are collected with curl_multi_info_read(). A retry
 * waits on its own ev_timer with no easy handle held.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "callback.h"
#include "callback_policy.h"
#include "log.h"

/* A receiver gets this long to answer one delivery. */
#define CALLBACK_TIMEOUT_MS	10000L
/* Retry delays stop doubling here (seconds). */
#define CALLBACK_RETRY_MAX	300.0

struct callbacks {
	struct ev_loop *loop;
	struct callback_ops ops;
	CURLM *multi;
	ev_timer curl_timer;		/* curl's CURLMOPT_TIMERFUNCTION deadline */
	struct delivery *deliveries;	/* every delivery not yet over */
	size_t count;
};

/* One delivery in flight or waiting for its retry. */
struct delivery {
	struct callbacks *cb;
	uint8_t id[JOURNAL_ID_LEN];
	char *url;
	uint8_t *body;
	size_t body_len;
	struct curl_slist *headers;
	unsigned attempts, max_attempts;
	double retry_delay;
	CURL *easy;			/* while an attempt runs */
	ev_timer retry_timer;		/* while waiting for the next */
	char error[CURL_ERROR_SIZE];
	struct delivery *prev, *next;
};

/* A socket curl asked to be watched. */
struct callback_socket {
	ev_io io;
};

static int callback_on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp);
static int callback_on_curl_timer(CURLM *multi, long timeout_ms, void *userp);
static void callback_on_io(struct ev_loop *loop, ev_io *io, int revents);
static void callback_on_timeout(struct ev_loop *loop, ev_timer *timer, int revents);
static void callback_collect(struct callbacks *cb);
static void callback_attempt(struct delivery *d);
static void callback_on_retry(struct ev_loop *loop, ev_timer *timer, int revents);
static void callback_attempt_over(struct delivery *d, long http_status, const char *error);
static void delivery_free(struct delivery *d);

/*
 * The engine on loop, reporting through ops. Says in the log when this
 * libcurl resolves names synchronously (no threaded resolver): then only
 * IP literals keep the loop from blocking. Returns it, or NULL with err.
 */
struct callbacks *callbacks_new(struct ev_loop *loop, const struct callback_ops *ops,
    char *err, size_t err_len)
{
	struct callbacks *cb = calloc(1, sizeof(*cb));

	if (cb == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (cb->multi = curl_multi_init()) == NULL) {
		snprintf(err, err_len, "cannot start libcurl for callbacks");
		free(cb);
		return NULL;
	}
	if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS))
		log_warn("callback: this libcurl resolves names synchronously: give callback "
		    "URLs as IP addresses, or a delivery may stall the loop");
	cb->loop = loop;
	cb->ops = *ops;
	curl_multi_setopt(cb->multi, CURLMOPT_SOCKETFUNCTION, callback_on_socket);
	curl_multi_setopt(cb->multi, CURLMOPT_SOCKETDATA, cb);
	curl_multi_setopt(cb->multi, CURLMOPT_TIMERFUNCTION, callback_on_curl_timer);
	curl_multi_setopt(cb->multi, CURLMOPT_TIMERDATA, cb);
	ev_init(&cb->curl_timer, callback_on_timeout);
	cb->curl_timer.data = cb;
	return cb;
}

/* Appends "name: value" to *headers. 0 / -1. */
static int header_add(struct curl_slist **headers, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int header_add(struct curl_slist **headers, const char *fmt, ...)
{
	char line[256];
	struct curl_slist *grown;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) || !(grown = curl_slist_append(*headers, line)))
		return -1;
	*headers = grown;
	return 0;
}

/*
 * The headers every attempt of d's delivery sends: the job's, the signature
 * (when a secret is set) and no "Expect: 100-continue" (a receiver need not
 * speak it, and it would cost a round trip). 0 / -1.
 */
static int delivery_headers(struct curl_slist **headers, const struct callback_delivery *d)
{
	char signature[CALLBACK_SIGNATURE_HEX + 1];

	if (header_add(headers, "X-Gateway-Job-Id: %s", d->id_hex) < 0 ||
	    header_add(headers, "X-Gateway-Status: %u", (unsigned)d->status) < 0 ||
	    header_add(headers, "X-Gateway-Attempts: %u", d->job_attempts) < 0 ||
	    header_add(headers, "X-Duration-Seconds: %.3f", d->duration_seconds) < 0 ||
	    header_add(headers, "Content-Type: %s", d->content_type != NULL ? d->content_type :
	    "application/octet-stream") < 0 || header_add(headers, "Expect:") < 0)
		return -1;
	if (d->secret == NULL)
		return 0;
	if (callback_sign(d->secret, strlen(d->secret), d->body, d->body_len, signature) < 0)
		return -1;
	return header_add(headers, "X-Gateway-Signature: sha256=%s", signature);
}

/*
 * Starts delivering d (copied): the first attempt now, the others after
 * retry_delay, doubling. 0, or -1 when out of memory (nothing started).
 */
int callback_deliver(struct callbacks *cb, const struct callback_delivery *d)
{
	struct delivery *dl = calloc(1, sizeof(*dl));

	if (dl == NULL)
		return -1;
	dl->cb = cb;
	memcpy(dl->id, d->id, JOURNAL_ID_LEN);
	dl->max_attempts = d->max_attempts;
	dl->retry_delay = d->retry_delay;
	dl->body_len = d->body_len;
	if ((dl->url = strdup(d->url)) == NULL ||
	    (dl->body = malloc(d->body_len > 0 ? d->body_len : 1)) == NULL ||
	    delivery_headers(&dl->headers, d) < 0) {
		delivery_free(dl);
		return -1;
	}
	if (d->body_len > 0)
		memcpy(dl->body, d->body, d->body_len);
	ev_init(&dl->retry_timer, callback_on_retry);
	dl->retry_timer.data = dl;
	dl->next = cb->deliveries;
	if (cb->deliveries != NULL)
		cb->deliveries->prev = dl;
	cb->deliveries = dl;
	cb->count++;
	callback_attempt(dl);
	return 0;
}

/*
 * One attempt: a POST of the body with the headers, no redirects followed
 * (a 3xx could point anywhere the allow list forbids), http and https only.
 * A handle that cannot be made counts as a failed attempt.
 */
static void callback_attempt(struct delivery *d)
{
	CURL *easy = curl_easy_init();

	d->attempts++;
	d->error[0] = '\0';
	if (easy == NULL) {
		callback_attempt_over(d, 0, "out of memory");
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, d->url);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, (const char *)d->body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->body_len);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, d->headers);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, CALLBACK_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, d->error);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, d);
	if (curl_multi_add_handle(d->cb->multi, easy) != CURLM_OK) {
		curl_easy_cleanup(easy);
		callback_attempt_over(d, 0, "cannot add the transfer");
		return;
	}
	d->easy = easy;
}

/*
 * CURLMOPT_SOCKETFUNCTION: watch fd for what curl wants (a new socket gets
 * its watcher, remembered with curl_multi_assign()), or stop watching it.
 */
static int callback_on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
    void *socketp)
{
	struct callbacks *cb = userp;
	struct callback_socket *s = socketp;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			ev_io_stop(cb->loop, &s->io);
			free(s);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		curl_multi_assign(cb->multi, fd, s);
	} else {
		ev_io_stop(cb->loop, &s->io);
	}
	ev_io_init(&s->io, callback_on_io, fd, (what & CURL_POLL_IN ? EV_READ : 0) |
	    (what & CURL_POLL_OUT ? EV_WRITE : 0));
	s->io.data = cb;
	ev_io_start(cb->loop, &s->io);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called in timeout_ms (0: soon; -1: never). */
static int callback_on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct callbacks *cb = userp;

	(void)multi;
	ev_timer_stop(cb->loop, &cb->curl_timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&cb->curl_timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(cb->loop, &cb->curl_timer);
	}
	return 0;
}

static void callback_on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct callbacks *cb = io->data;
	int running;

	(void)loop;
	curl_multi_socket_action(cb->multi, io->fd, (revents & EV_READ ? CURL_CSELECT_IN : 0) |
	    (revents & EV_WRITE ? CURL_CSELECT_OUT : 0), &running);
	callback_collect(cb);
}

static void callback_on_timeout(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct callbacks *cb = timer->data;
	int running;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(cb->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	callback_collect(cb);
}

/* Every transfer curl has finished: its handle released, its attempt judged. */
static void callback_collect(struct callbacks *cb)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(cb->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;
		struct delivery *d = NULL;
		long status = 0;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&d);
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(cb->multi, easy);
		curl_easy_cleanup(easy);
		d->easy = NULL;
		if (result != CURLE_OK)
			callback_attempt_over(d, 0, d->error[0] ? d->error : curl_easy_strerror(result));
		else
			callback_attempt_over(d, status, NULL);
	}
}

/*
 * An attempt ended with the receiver's status (0: none came, error says
 * why). A 2xx delivers; anything else waits for a retry, or fails the
 * delivery once max_attempts are spent. Reported either way.
 */
static void callback_attempt_over(struct delivery *d, long http_status, const char *error)
{
	struct callbacks *cb = d->cb;
	char why[CURL_ERROR_SIZE + 32];
	enum callback_state state = CALLBACK_PENDING;

	if (http_status >= 200 && http_status < 300)
		state = CALLBACK_DELIVERED;
	else if (d->attempts >= d->max_attempts)
		state = CALLBACK_FAILED;
	if (error == NULL && state != CALLBACK_DELIVERED) {
		snprintf(why, sizeof(why), "the receiver answered %ld", http_status);
		error = why;
	} else if (error != NULL) {
		snprintf(why, sizeof(why), "%s", error);
		error = why;
	}
	cb->ops.attempted(cb->ops.owner, d->id, state, d->attempts, error);
	if (state != CALLBACK_PENDING) {
		delivery_free(d);
		return;
	}
	double delay = d->retry_delay * pow(2.0, (double)(d->attempts - 1));
	ev_timer_set(&d->retry_timer, delay < CALLBACK_RETRY_MAX ? delay : CALLBACK_RETRY_MAX, 0.);
	ev_timer_start(cb->loop, &d->retry_timer);
}

static void callback_on_retry(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	callback_attempt(timer->data);
}

/* Deliveries not yet over (for the status page and the bench). */
size_t callbacks_pending(const struct callbacks *cb)
{
	return cb != NULL ? cb->count : 0;
}

/* Unlinks d from its engine (when linked), stops what it holds and frees it. */
static void delivery_free(struct delivery *d)
{
	struct callbacks *cb = d->cb;

	if (d->prev != NULL || cb->deliveries == d) {
		if (d->prev != NULL)
			d->prev->next = d->next;
		else
			cb->deliveries = d->next;
		if (d->next != NULL)
			d->next->prev = d->prev;
		cb->count--;
	}
	if (d->easy != NULL) {
		curl_multi_remove_handle(cb->multi, d->easy);
		curl_easy_cleanup(d->easy);
	}
	ev_timer_stop(cb->loop, &d->retry_timer);
	curl_slist_free_all(d->headers);
	free(d->body);
	free(d->url);
	free(d);
}

/*
 * Drops every delivery not over (the journal still says they are owed, so
 * the next start sends them) and the engine.
 */
void callbacks_free(struct callbacks *cb)
{
	if (cb == NULL)
		return;
	while (cb->deliveries != NULL)
		delivery_free(cb->deliveries);
	ev_timer_stop(cb->loop, &cb->curl_timer);
	curl_multi_cleanup(cb->multi);
	curl_global_cleanup();
	free(cb);
}
