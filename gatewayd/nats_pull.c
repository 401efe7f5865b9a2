/*
 * nats_pull.c: one thread per function, pulling its jobs from its durable
 * consumer, shared by every node. It fetches only what the loop granted
 * (the function's free workers: backpressure, as OpenFaaS's max_inflight),
 * and before handing a job to the loop it reads the job's value and writes
 * "running" over it by compare-and-swap: a job whose value says it is
 * finished is acked without running, one whose value is missing is left
 * for its publish to complete, a few deliveries, then runs anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "journal.h"
#include "log.h"
#include "nats_link_internal.h"

/* A fetch waits this long for a first job (ms) before the thread looks again. */
#define NATS_PULL_WAIT_MS 1000
/* After a fetch that failed (not one that found nothing), the thread waits this long (ms). */
#define NATS_PULL_PAUSE_MS 500
/* A job without a value is delivered again after this (s), this many times at most. */
#define NATS_PULL_NO_VALUE_DELAY 1.0
#define NATS_PULL_NO_VALUE_DELIVERIES 5

static void *nats_pull_main(void *arg);

/*
 * The durable consumer's name: a consumer name takes no '.', which a
 * function name may hold: each is written '_', followed by the name's
 * CRC-32C so that "a.b" and "a_b" stay two consumers.
 */
static char *nats_durable_name(const char *function)
{
	char *out;

	if (strchr(function, '.') == NULL)
		return strdup(function);
	if (asprintf(&out, "%s-%08x", function, journal_crc32c(function, strlen(function))) < 0)
		return NULL;
	for (char *p = out; *p != '\0'; p++) {
		if (*p == '.')
			*p = '_';
	}
	return out;
}

static struct nats_pull *nats_pull_new(struct nats_link *l, const char *function)
{
	struct nats_pull *p = calloc(1, sizeof(*p));

	if (p == NULL || (p->function = strdup(function)) == NULL ||
	    asprintf(&p->subject, "%s.jobs.%s", l->s.stream, function) < 0 ||
	    (p->durable = nats_durable_name(function)) == NULL) {
		if (p != NULL) {
			free(p->function);
			free(p);
		}
		return NULL;
	}
	p->link = l;
	pthread_cond_init(&p->wake, NULL);
	if (pthread_create(&p->thread, NULL, nats_pull_main, p) != 0) {
		pthread_cond_destroy(&p->wake);
		free(p->function);
		free(p->subject);
		free(p->durable);
		free(p);
		return NULL;
	}
	return p;
}

int nats_pull_grant(struct nats_link *l, const char *function, unsigned count)
{
	struct nats_pull *p;

	for (p = l->pulls; p != NULL; p = p->next) {
		if (strcmp(p->function, function) == 0)
			break;
	}
	if (p == NULL) {
		if ((p = nats_pull_new(l, function)) == NULL)
			return -1;
		p->next = l->pulls;
		l->pulls = p;
	}
	p->credits += count;
	pthread_cond_signal(&p->wake);
	return 0;
}

/* The pull subscription of p's consumer, made (or bound) once connected. */
static natsSubscription *nats_pull_subscribe(struct nats_pull *p)
{
	struct nats_link *l = p->link;
	natsSubscription *sub = NULL;
	jsSubOptions so;
	jsErrCode jerr = 0;

	jsSubOptions_Init(&so);
	so.Stream = l->s.stream;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = (int64_t)(l->s.ack_wait * 1e9);
	so.Config.MaxDeliver = -1;	/* gatewayd counts the attempts (async.max_attempts) */
	so.Config.MaxAckPending = -1;
	so.Config.FilterSubject = p->subject;
	natsStatus st = js_PullSubscribe(&sub, l->js, p->subject, p->durable, NULL, &so, &jerr);
	if (st != NATS_OK) {
		log_warn("nats: %s: cannot reach its consumer %s: %s (JetStream error %d)",
		    p->function, p->durable, natsStatus_GetText(st), (int)jerr);
		return NULL;
	}
	return sub;
}

/* Tells the loop that the fetch of asked jobs for p is over. */
static void nats_pull_done(struct nats_pull *p, unsigned asked)
{
	struct nats_event *ev = nats_event_new(NATS_EV_FETCH_DONE);

	if (ev == NULL)
		return;
	if ((ev->text = strdup(p->function)) == NULL) {
		free(ev);
		return;
	}
	ev->count = asked;
	nats_event_post(p->link, ev);
}

/* Wall-clock milliseconds, for the value's started_ms. */
static uint64_t nats_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/*
 * Marks d->value running: the attempt after those its value counts (runs
 * begun, not deliveries: a delivery that was nak'd before it ran, for want
 * of its value or of a leader, is no attempt), on this node, since now.
 */
static void nats_pull_running(struct nats_link *l, struct nats_delivery *d)
{
	d->value.state = JOB_VALUE_RUNNING;
	d->value.attempts++;
	d->value.started_ms = nats_now_ms();
	snprintf(d->value.node, sizeof(d->value.node), "%s", l->s.node);
	d->value.response = NULL;
	d->value.response_len = 0;
}

/*
 * Writes "running" as d's value (function's, created at created_ms) by
 * revision: kvStore_Update() over rev, kvStore_Create() when rev is 0,
 * kvStore_Put() (no condition) when put. d->revision is the write's.
 */
static natsStatus nats_pull_write(struct nats_link *l, struct nats_delivery *d,
    uint64_t rev, bool put)
{
	struct buf value = { 0 };
	natsStatus st = NATS_NO_MEMORY;

	if (job_value_encode(&d->value, &value) == 0) {
		const void *data = buf_head(&value);
		int len = (int)buf_used(&value);
		st = put ? kvStore_Put(&d->revision, l->kv, d->id_hex, data, len) :
		    rev == 0 ? kvStore_Create(&d->revision, l->kv, d->id_hex, data, len) :
		    kvStore_Update(&d->revision, l->kv, d->id_hex, data, len, rev);
	}
	buf_free(&value);
	return st;
}

/*
 * Claims d for this node: writes "running" over its value (its next
 * attempt, this node). 1: d is to run; 0: it is settled here.
 *
 * A first delivery is written at once, without reading: nobody else has
 * had the job (a DELETE that came first is the loop's to see: the
 * watcher told it, on_fetched() in async_nats.c). A later one reads the
 * value and writes by compare-and-swap, once more if another write came
 * between: a job found finished is acked without running; one without a
 * value waits for it a few deliveries, then gets one anew.
 */
static int nats_pull_claim(struct nats_link *l, struct nats_delivery *d, natsMsg *m,
    const char *function, uint64_t created_ms)
{
	if (d->delivered == 1) {
		d->value = (struct job_value){ .created_ms = created_ms };
		snprintf(d->value.function, sizeof(d->value.function), "%s", function);
		nats_pull_running(l, d);
		if (nats_pull_write(l, d, 0, true) == NATS_OK)
			return 1;
		(void)natsMsg_NakWithDelay(m, (int64_t)(NATS_PULL_NO_VALUE_DELAY * 1000), NULL);
		return 0;
	}
	for (int tries = 0; tries < 2; tries++) {
		kvEntry *e = NULL;
		natsStatus st = kvStore_Get(&e, l->kv, d->id_hex);
		if (st == NATS_NOT_FOUND && d->delivered < NATS_PULL_NO_VALUE_DELIVERIES) {
			(void)natsMsg_NakWithDelay(m, (int64_t)(NATS_PULL_NO_VALUE_DELAY * 1000), NULL);
			return 0;
		}
		if (st == NATS_NOT_FOUND) {
			/*
			 * Still none: it expired while the job waited (past the bucket's
			 * TTL), or its accept was answered 503 although the job got in.
			 * An accepted job is never dropped: it runs, with a value anew.
			 */
			d->value = (struct job_value){ .created_ms = created_ms };
			snprintf(d->value.function, sizeof(d->value.function), "%s", function);
			nats_pull_running(l, d);
			if (nats_pull_write(l, d, 0, false) == NATS_OK)
				return 1;
			continue;	/* another node made it meanwhile: read it */
		}
		if (st != NATS_OK || job_value_decode((const uint8_t *)kvEntry_Value(e),
			(size_t)kvEntry_ValueLen(e), &d->value) < 0) {
			log_warn("nats: job %s: its value cannot be read: delivered again later",
			    d->id_hex);
			kvEntry_Destroy(e);
			break;
		}
		uint64_t rev = kvEntry_Revision(e);
		kvEntry_Destroy(e);
		if (d->value.state == JOB_VALUE_SUCCEEDED || d->value.state == JOB_VALUE_FAILED) {
			(void)natsMsg_Ack(m, NULL);	/* finished (or canceled) already */
			return 0;
		}
		nats_pull_running(l, d);
		if (nats_pull_write(l, d, rev, false) == NATS_OK)
			return 1;
	}
	(void)natsMsg_NakWithDelay(m, (int64_t)(NATS_PULL_NO_VALUE_DELAY * 1000), NULL);
	return 0;
}

/* One fetched message: claimed and handed to the loop, or settled here. */
static void nats_pull_take(struct nats_pull *p, natsMsg *m)
{
	struct nats_link *l = p->link;
	struct nats_delivery *d = calloc(1, sizeof(*d));
	jsMsgMetaData *meta = NULL;
	const char *id = NULL;

	if (d == NULL || natsMsg_GetMetaData(&meta, m) != NATS_OK ||
	    natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || strlen(id) != NATS_ID_HEX_LEN) {
		log_warn("nats: %s: a message that is not a job (or out of memory): terminated",
		    p->function);
		(void)natsMsg_Term(m, NULL);
		jsMsgMetaData_Destroy(meta);
		natsMsg_Destroy(m);
		free(d);
		return;
	}
	memcpy(d->id_hex, id, NATS_ID_HEX_LEN + 1);
	d->delivered = meta->NumDelivered > 1000000 ? 1000000 : (unsigned)meta->NumDelivered;
	uint64_t created_ms = meta->Timestamp > 0 ? (uint64_t)meta->Timestamp / 1000000 : 0;
	jsMsgMetaData_Destroy(meta);
	d->msg = m;
	d->link = l;
	d->job = (const uint8_t *)natsMsg_GetData(m);
	d->job_len = (size_t)natsMsg_GetDataLength(m);
	struct nats_event *ev = nats_event_new(NATS_EV_FETCHED);
	if (ev == NULL || (ev->text = strdup(p->function)) == NULL ||
	    nats_pull_claim(l, d, m, p->function, created_ms) == 0) {
		if (ev != NULL)
			free(ev->text);
		free(ev);
		natsMsg_Destroy(m);
		free(d);
		return;
	}
	ev->delivery = d;
	nats_delivery_hold(l, d);
	nats_event_post(l, ev);
}

/*
 * The thread: waits for credits, fetches up to that many (a fetch of more
 * than one first takes what is there at once; libnats's Fetch), claims
 * each, then tells the loop the fetch is over so it can grant again.
 */
static void *nats_pull_main(void *arg)
{
	struct nats_pull *p = arg;
	struct nats_link *l = p->link;
	natsSubscription *sub = NULL;

	pthread_mutex_lock(&l->mu);
	while (!atomic_load(&l->stopping)) {
		if (p->credits == 0 || !atomic_load(&l->up)) {
			struct timespec t;
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_sec += 1;
			pthread_cond_timedwait(&p->wake, &l->mu, &t);
			continue;
		}
		unsigned asked = p->credits;
		p->credits = 0;
		pthread_mutex_unlock(&l->mu);
		if (sub == NULL)
			sub = nats_pull_subscribe(p);
		natsMsgList list = { 0 };
		jsErrCode jerr = 0;
		natsStatus st = sub != NULL ? natsSubscription_Fetch(&list, sub, (int)asked,
		    NATS_PULL_WAIT_MS, &jerr) : NATS_ERR;
		for (int i = 0; st == NATS_OK && i < list.Count; i++) {
			nats_pull_take(p, list.Msgs[i]);
			list.Msgs[i] = NULL;
		}
		natsMsgList_Destroy(&list);
		if (st != NATS_OK && st != NATS_TIMEOUT)
			nats_Sleep(NATS_PULL_PAUSE_MS);	/* no consumer, or the connection went */
		nats_pull_done(p, asked);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	natsSubscription_Destroy(sub);
	return NULL;
}

void nats_pull_stop_all(struct nats_link *l)
{
	pthread_mutex_lock(&l->mu);
	for (struct nats_pull *p = l->pulls; p != NULL; p = p->next)
		pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&l->mu);
	while (l->pulls != NULL) {
		struct nats_pull *p = l->pulls;
		l->pulls = p->next;
		pthread_join(p->thread, NULL);
		pthread_cond_destroy(&p->wake);
		free(p->function);
		free(p->subject);
		free(p->durable);
		free(p);
	}
}
