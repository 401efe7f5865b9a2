/*
 * nats_link.c: the connection to NATS, the stream and the bucket, and the
 * command thread that makes every libnats call the loop asks for (see
 * nats_link.h): publishes (their acks come back on libnats's own thread),
 * compare-and-swap writes of job values, acks, naks and terms, and an
 * InProgress for each held delivery every third of ack_wait.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "nats_link_internal.h"

static void *nats_command_main(void *arg);
static void nats_command_run(struct nats_link *l, struct nats_command *c);
static void nats_command_free(struct nats_command *c);
static void nats_command_queue(struct nats_link *l, struct nats_command *c);
static int nats_set_up(struct nats_link *l, char *err, size_t err_len);
static void nats_connection_changed(struct nats_link *l, bool connected);
static void nats_on_disconnected(natsConnection *nc, void *closure);
static void nats_on_reconnected(natsConnection *nc, void *closure);
static void nats_on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
    void *closure);
static void nats_send_in_progress(struct nats_link *l);
static struct nats_command *nats_command_new(enum nats_command_type type, const char *id_hex,
    const uint8_t *value, size_t len);
static void nats_settle(struct nats_link *l, struct nats_command *c);
static void nats_on_settle_ack(struct nats_link *l, const char *id, natsMsg *msg,
    const jsPubAck *pa);

/* The bucket's name: the stream's with "_jobs". */
#define NATS_BUCKET_SUFFIX "_jobs"
/* A publish's Nats-Msg-Id is remembered this long: a retried publish is not a second job. */
#define NATS_DUPLICATE_WINDOW_NS (120LL * 1000000000LL)
/* A settle's write that got no answer is tried again this often (ms). */
#define NATS_SETTLE_RETRY_MS 250
/* At exit, libnats's threads are waited for this long (ms). */
#define NATS_CLOSE_WAIT_MS 5000
/* Setting up again, after a failure, at most this often (ms). */
#define NATS_SETUP_RETRY_MS 1000

/* The JWT of nats.credentials, for libnats at each connect. */
static natsStatus nats_jwt_handler(char **jwt, char **error, void *closure)
{
	const struct nats_credentials *c = closure;
	(void)error;

	return (*jwt = strdup(c->jwt)) != NULL ? NATS_OK : NATS_NO_MEMORY;
}

/* The server's nonce signed with the seed of nats.credentials. */
static natsStatus nats_sign_handler(char **error, unsigned char **sig, int *sig_len,
    const char *nonce, void *closure)
{
	const struct nats_credentials *c = closure;
	(void)error;

	return nats_Sign(c->seed, nonce, sig, sig_len);
}

/* The options: servers, credentials, reconnection for ever, the callbacks. */
static natsStatus nats_options(struct nats_link *l)
{
	const struct nats_credentials *cred = l->s.credentials;
	const char *servers[16];
	int count = 0;
	natsStatus st;

	for (char *save = NULL, *p = strtok_r(l->servers, ",", &save); p != NULL && count < 16;
	     p = strtok_r(NULL, ",", &save)) {
		p += strspn(p, " \t");
		p[strcspn(p, " \t")] = '\0';
		servers[count++] = p;
	}
	if ((st = natsOptions_Create(&l->opts)) != NATS_OK ||
	    (st = natsOptions_SetServers(l->opts, servers, count)) != NATS_OK ||
	    (st = natsOptions_SetName(l->opts, l->s.node)) != NATS_OK ||
	    (st = natsOptions_SetTimeout(l->opts, (int64_t)(l->s.timeout * 1000))) != NATS_OK ||
	    (st = natsOptions_SetMaxReconnect(l->opts, -1)) != NATS_OK ||
	    (st = natsOptions_SetReconnectWait(l->opts, 1000)) != NATS_OK ||
	    (st = natsOptions_SetSendAsap(l->opts, true)) != NATS_OK ||
	    (st = natsOptions_SetRetryOnFailedConnect(l->opts, true, nats_on_reconnected, l)) !=
	    NATS_OK ||
	    (st = natsOptions_SetDisconnectedCB(l->opts, nats_on_disconnected, l)) != NATS_OK ||
	    (st = natsOptions_SetReconnectedCB(l->opts, nats_on_reconnected, l)) != NATS_OK)
		return st;
	if (cred != NULL && cred->token != NULL)
		return natsOptions_SetToken(l->opts, cred->token);
	if (cred != NULL && cred->jwt != NULL)
		return natsOptions_SetUserCredentialsCallbacks(l->opts, nats_jwt_handler,
		    (void *)cred, nats_sign_handler, (void *)cred);
	return NATS_OK;
}

struct nats_link *nats_link_start(struct ev_loop *loop, const struct nats_link_settings *s,
    const struct nats_link_ops *ops, void *owner, char *err, size_t err_len)
{
	struct nats_link *l = calloc(1, sizeof(*l));
	jsOptions jo;
	natsStatus st;

	if (l == NULL || (l->servers = strdup(s->url)) == NULL ||
	    (l->s.url = strdup(s->url)) == NULL || (l->s.stream = strdup(s->stream)) == NULL || (l->s.node = strdup(s->node)) == NULL ||
	    asprintf(&l->bucket, "%s%s", s->stream, NATS_BUCKET_SUFFIX) < 0) {
		snprintf(err, err_len, "out of memory");
		free(l);	/* at start-up: gatewayd exits */
		return NULL;
	}
	l->s.credentials = s->credentials;
	l->s.replicas = s->replicas;
	l->s.ack_wait = s->ack_wait;
	l->s.timeout = s->timeout;
	l->s.value_ttl = s->value_ttl;
	l->loop = loop;
	l->ops = ops;
	l->owner = owner;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->commands_ready, NULL);
	nats_events_init(l);
	if ((st = nats_options(l)) != NATS_OK) {
		snprintf(err, err_len, "nats: %s", natsStatus_GetText(st));
		return NULL;
	}
	st = natsConnection_Connect(&l->nc, l->opts);
	if (st != NATS_OK && st != NATS_NOT_YET_CONNECTED) {
		snprintf(err, err_len, "nats: cannot connect to %s: %s", s->url,
		    natsStatus_GetText(st));
		return NULL;
	}
	if (st == NATS_NOT_YET_CONNECTED)
		log_warn("nats: %s not connected yet (down, or refusing nats.credentials): async "
		    "requests get 503 until it is; trying every second", s->url);
	jsOptions_Init(&jo);
	jo.Wait = (int64_t)(s->timeout * 1000);
	jo.PublishAsync.AckHandler = nats_on_pub_ack;
	jo.PublishAsync.AckHandlerClosure = l;
	jo.PublishAsync.MaxPending = 65536;
	if ((st = natsConnection_JetStream(&l->js, l->nc, &jo)) != NATS_OK) {
		snprintf(err, err_len, "nats: %s", natsStatus_GetText(st));
		return NULL;
	}
	pthread_mutex_lock(&l->mu);
	l->connected = natsConnection_Status(l->nc) == NATS_CONN_STATUS_CONNECTED;
	pthread_mutex_unlock(&l->mu);
	if (pthread_create(&l->command_thread, NULL, nats_command_main, l) != 0) {
		snprintf(err, err_len, "nats: cannot start a thread");
		return NULL;
	}
	return l;
}

size_t nats_link_max_payload(struct nats_link *l)
{
	int64_t max = natsConnection_GetMaxPayload(l->nc);

	return max > 0 ? (size_t)max : SIZE_MAX;
}

bool nats_link_up(const struct nats_link *l)
{
	return atomic_load(&l->up);
}

void nats_link_server(struct nats_link *l, char *out, size_t len)
{
	out[0] = '\0';
	if (atomic_load(&l->up) && natsConnection_GetConnectedUrl(l->nc, out, len) != NATS_OK)
		out[0] = '\0';
}

/* libnats's thread: the connection went. */
static void nats_on_disconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	nats_connection_changed(closure, false);
}

/* libnats's thread: connected (at last) or connected again. */
static void nats_on_reconnected(natsConnection *nc, void *closure)
{
	(void)nc;
	nats_connection_changed(closure, true);
}

/*
 * Records the connection's state; the command thread sets up again (a
 * server that lost its data needs the stream back) and says "up". Lost:
 * accepts get 503 at once.
 */
static void nats_connection_changed(struct nats_link *l, bool connected)
{
	if (atomic_load(&l->stopping))
		return;	/* nats_link_free() closes the connection */
	pthread_mutex_lock(&l->mu);
	l->connected = connected;
	l->set_up = false;
	pthread_cond_signal(&l->commands_ready);
	pthread_mutex_unlock(&l->mu);
	if (!connected && atomic_exchange(&l->up, false)) {
		struct nats_event *ev = nats_event_new(NATS_EV_CONNECTION);
		if (ev != NULL && (ev->text = strdup("disconnected")) != NULL)
			nats_event_post(l, ev);
		else
			free(ev);
	}
}

/* The stream (work queue, file storage, its duplicate window) and the bucket. */
static int nats_set_up(struct nats_link *l, char *err, size_t err_len)
{
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	kvConfig kc;
	char subjects[256];
	const char *subject_list[1] = { subjects };
	natsStatus st;

	snprintf(subjects, sizeof(subjects), "%s.jobs.>", l->s.stream);
	jsStreamConfig_Init(&sc);
	sc.Name = l->s.stream;
	sc.Subjects = subject_list;
	sc.SubjectsLen = 1;
	sc.Retention = js_WorkQueuePolicy;
	sc.Storage = js_FileStorage;
	sc.Replicas = l->s.replicas;
	sc.Duplicates = NATS_DUPLICATE_WINDOW_NS;
	st = js_AddStream(NULL, l->js, &sc, NULL, &jerr);
	if (st != NATS_OK && jerr == JSStreamNameExistErr)
		st = js_UpdateStream(NULL, l->js, &sc, NULL, &jerr);
	if (st != NATS_OK) {
		snprintf(err, err_len, "stream %s: %s (JetStream error %d)", l->s.stream,
		    natsStatus_GetText(st), (int)jerr);
		return -1;
	}
	if (l->kv == NULL) {
		kvConfig_Init(&kc);
		kc.Bucket = l->bucket;
		kc.History = 1;
		kc.TTL = (int64_t)(l->s.value_ttl * 1e9);	/* nanoseconds, as the stream's MaxAge */
		kc.Replicas = (int)l->s.replicas;
		kc.StorageType = js_FileStorage;
		natsStatus created = js_CreateKeyValue(&l->kv, l->js, &kc);
		if (created != NATS_OK && (st = js_KeyValue(&l->kv, l->js, l->bucket)) != NATS_OK) {
			snprintf(err, err_len, "bucket %s: %s (%s)", l->bucket,
			    natsStatus_GetText(created), natsStatus_GetText(st));
			return -1;
		}
	}
	return 0;
}

/*
 * The command thread: sets up whenever connected and not yet, runs the
 * commands in order, and sends the InProgress of held deliveries on time.
 * While not set up, every command fails (a publish is not stored).
 */
static void *nats_command_main(void *arg)
{
	struct nats_link *l = arg;
	double every = l->s.ack_wait / 3;
	struct timespec next;

	clock_gettime(CLOCK_REALTIME, &next);
	pthread_mutex_lock(&l->mu);
	/* Stopping, it still settles what is queued while NATS is there: no attempt is lost. */
	while (!atomic_load(&l->stopping) || (l->commands != NULL && atomic_load(&l->up))) {
		if (l->connected && !l->set_up) {
			char err[512];
			pthread_mutex_unlock(&l->mu);
			int ok = nats_set_up(l, err, sizeof(err));
			pthread_mutex_lock(&l->mu);
			if (ok == 0 && l->connected) {
				l->set_up = true;
				/* A watcher that lived through a disconnection may have missed changes. */
				atomic_store(&l->rewatch, l->watching);
				if (!l->watching)
					l->watching = pthread_create(&l->watch_thread, NULL,
					    nats_watch_main, l) == 0;
				atomic_store(&l->up, true);
				struct nats_event *ev = nats_event_new(NATS_EV_CONNECTION);
				pthread_mutex_unlock(&l->mu);
				if (ev != NULL) {
					ev->flag = true;
					nats_event_post(l, ev);
				}
				pthread_mutex_lock(&l->mu);
			} else if (ok < 0) {
				log_warn("nats: cannot set up: %s: trying again", err);
				struct timespec t;
				clock_gettime(CLOCK_REALTIME, &t);
				t.tv_sec += NATS_SETUP_RETRY_MS / 1000;
				pthread_cond_timedwait(&l->commands_ready, &l->mu, &t);
				continue;
			}
		}
		/* On time whatever the load: a busy queue must not starve the InProgress. */
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > next.tv_sec ||
		    (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
			nats_send_in_progress(l);
			next = now;
			next.tv_sec += (time_t)every;
			next.tv_nsec += (long)((every - (double)(time_t)every) * 1e9);
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
		}
		struct nats_command *c = l->commands;
		if (c == NULL) {
			pthread_cond_timedwait(&l->commands_ready, &l->mu, &next);
			continue;
		}
		l->commands = c->next;
		if (l->commands == NULL)
			l->commands_tail = NULL;
		pthread_mutex_unlock(&l->mu);
		nats_command_run(l, c);
		nats_command_free(c);
		pthread_mutex_lock(&l->mu);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

/* Under l->mu: an InProgress for each delivery held, so JetStream waits for it. */
static void nats_send_in_progress(struct nats_link *l)
{
	for (struct nats_delivery *d = l->held; d != NULL; d = d->next)
		(void)natsMsg_InProgress(d->msg, NULL);
}

/* A message of subject and data, with the header Nats-Msg-Id: id_hex when not NULL. */
static natsMsg *nats_message(const char *subject, const uint8_t *data, size_t len,
    const char *id_hex)
{
	natsMsg *m = NULL;

	if (natsMsg_Create(&m, subject, NULL, (const char *)data, (int)len) != NATS_OK)
		return NULL;
	if (id_hex != NULL && natsMsgHeader_Set(m, "Nats-Msg-Id", id_hex) != NATS_OK) {
		natsMsg_Destroy(m);
		return NULL;
	}
	return m;
}

/* Tells the loop that the publish of id_hex was not stored. */
static void nats_publish_failed(struct nats_link *l, const char *id_hex)
{
	struct nats_event *ev = nats_event_new(NATS_EV_PUBLISHED);

	if (ev == NULL)
		return;
	memcpy(ev->id_hex, id_hex, NATS_ID_HEX_LEN + 1);
	nats_event_post(l, ev);
}

/*
 * A publish: the value first, then the job, both asynchronous (their acks
 * come to nats_on_pub_ack()); the loop counts the two acks.
 */
static void nats_publish(struct nats_link *l, struct nats_command *c)
{
	char key_subject[300];
	jsPubOptions po;

	jsPubOptions_Init(&po);
	po.MaxWait = (int64_t)(l->s.timeout * 1000);
	snprintf(key_subject, sizeof(key_subject), "$KV.%s.%s", l->bucket, c->id_hex);
	natsMsg *value = nats_message(key_subject, c->value, c->value_len, NULL);
	natsMsg *job = nats_message(c->subject, c->job, c->job_len, c->id_hex);
	if (value == NULL || job == NULL || !atomic_load(&l->up) ||
	    js_PublishMsgAsync(l->js, &value, &po) != NATS_OK) {
		natsMsg_Destroy(value);
		natsMsg_Destroy(job);
		nats_publish_failed(l, c->id_hex);
		return;
	}
	if (js_PublishMsgAsync(l->js, &job, &po) != NATS_OK) {
		natsMsg_Destroy(job);
		nats_publish_failed(l, c->id_hex);
	}
}

/*
 * libnats's thread: one of a publish's two messages is acked or failed.
 * The job's id is the key's last token, or the job's Nats-Msg-Id.
 */
static void nats_on_pub_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
    void *closure)
{
	struct nats_link *l = closure;
	const char *subject = natsMsg_GetSubject(msg);
	const char *id = NULL;
	(void)js;
	(void)pae;

	const char *expected = NULL;
	if (strncmp(subject, "$KV.", 4) == 0) {
		const char *dot = strrchr(subject, '.');
		id = dot != NULL ? dot + 1 : NULL;
		if (id != NULL && natsMsgHeader_Get(msg, "Nats-Expected-Last-Subject-Sequence",
			&expected) == NATS_OK) {
			nats_on_settle_ack(l, id, msg, pa);	/* only a settle's write expects one */
			natsMsg_Destroy(msg);
			return;
		}
	} else if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK) {
		id = NULL;
	}
	struct nats_event *ev = id != NULL && strlen(id) == NATS_ID_HEX_LEN ?
	    nats_event_new(NATS_EV_PUBLISHED) : NULL;
	if (ev != NULL) {
		memcpy(ev->id_hex, id, NATS_ID_HEX_LEN + 1);
		ev->flag = pa != NULL;	/* a Duplicate is a retried publish: stored too */
		nats_event_post(l, ev);
	}
	natsMsg_Destroy(msg);
}

/* The value of key in the bucket: 1 with its state, 0 when it has none, -1 on an error. */
static int nats_value_state(struct nats_link *l, const char *key, enum job_value_state *state)
{
	kvEntry *e = NULL;
	struct job_value v;
	natsStatus st = kvStore_Get(&e, l->kv, key);
	int ret = st == NATS_NOT_FOUND ? 0 : -1;

	if (st == NATS_OK && job_value_decode((const uint8_t *)kvEntry_Value(e),
		(size_t)kvEntry_ValueLen(e), &v) == 0) {
		*state = v.state;
		ret = 1;
	}
	kvEntry_Destroy(e);
	return ret;
}

/*
 * Writes a settle's value by compare-and-swap. A failure that is not
 * JetStream's answer (no server, a timeout, the connection down) is tried
 * again every NATS_SETTLE_RETRY_MS until it is answered, or gatewayd
 * stops: the delivery stays held meanwhile, so no other node runs the job
 * and its outcome is not lost. NATS_OK, or NATS_ERR (refused: the
 * revision moved), or the transport's status when stopping.
 */
static natsStatus nats_settle_write(struct nats_link *l, struct nats_command *c)
{
	struct nats_delivery *d = c->delivery;
	natsStatus st;

	for (;;) {
		uint64_t rev = 0;
		st = kvStore_Update(&rev, l->kv, d->id_hex, c->value, (int)c->value_len,
		    d->revision);
		if (st == NATS_OK)
			d->revision = rev;
		if (st == NATS_OK || st == NATS_ERR || atomic_load(&l->stopping))
			return st;
		nats_Sleep(NATS_SETTLE_RETRY_MS);
	}
}

/* Tells JetStream what became of message m: acked, delivered again after delay, or ended. */
static void nats_settle_message(natsMsg *m, enum nats_settle how, double delay)
{
	if (how == NATS_SETTLE_ACK)
		(void)natsMsg_Ack(m, NULL);
	else if (how == NATS_SETTLE_NAK)
		(void)natsMsg_NakWithDelay(m, (int64_t)(delay * 1000), NULL);
	else
		(void)natsMsg_Term(m, NULL);
}

/* Tells the loop that d is settled (won: its value went in). */
static void nats_settled(struct nats_link *l, struct nats_delivery *d, bool won)
{
	struct nats_event *ev = nats_event_new(NATS_EV_SETTLED);

	if (ev == NULL)
		return;	/* logged; d is lost with it */
	ev->delivery = d;
	ev->flag = won;
	nats_event_post(l, ev);
}

/*
 * A settle, the usual way: the value published asynchronously with the
 * revision it must follow (Nats-Expected-Last-Subject-Sequence, the
 * compare-and-swap of kvStore_Update()), so that settles do not wait on
 * each other; nats_on_settle_ack() finishes it. Without a value, or when
 * the publish cannot even be queued, nats_settle() does it all here.
 */
static void nats_settle_async(struct nats_link *l, struct nats_command *c)
{
	struct nats_delivery *d = c->delivery;
	char subject[300];
	jsPubOptions po;

	if (c->value_len == 0 || l->kv == NULL) {
		nats_settle(l, c);
		return;
	}
	snprintf(subject, sizeof(subject), "$KV.%s.%s", l->bucket, d->id_hex);
	natsMsg *m = nats_message(subject, c->value, c->value_len, NULL);
	jsPubOptions_Init(&po);
	po.MaxWait = (int64_t)(l->s.timeout * 1000);
	po.ExpectLastSubjectSeq = d->revision;
	pthread_mutex_lock(&l->mu);
	d->settling = true;
	d->how = c->how;
	d->delay = c->delay;
	pthread_mutex_unlock(&l->mu);
	if (m != NULL && js_PublishMsgAsync(l->js, &m, &po) == NATS_OK)
		return;
	natsMsg_Destroy(m);
	pthread_mutex_lock(&l->mu);
	d->settling = false;
	pthread_mutex_unlock(&l->mu);
	nats_settle(l, c);
}

/*
 * libnats's thread: the ack of a settle's write. In: the message is
 * settled and the loop told. Refused (the revision moved) or unanswered:
 * the command thread's nats_settle() looks and tries again.
 */
static void nats_on_settle_ack(struct nats_link *l, const char *id, natsMsg *msg,
    const jsPubAck *pa)
{
	struct nats_delivery *d;

	pthread_mutex_lock(&l->mu);
	for (d = l->held; d != NULL; d = d->next) {
		if (d->settling && strcmp(d->id_hex, id) == 0)
			break;
	}
	if (d != NULL) {
		d->settling = false;
		if (pa != NULL)
			nats_delivery_unhold(l, d);
	}
	pthread_mutex_unlock(&l->mu);
	if (d == NULL)
		return;
	if (pa != NULL) {
		d->revision = pa->Sequence;
		nats_settle_message(d->msg, d->how, d->delay);
		nats_settled(l, d, true);
		return;
	}
	struct nats_command *c = nats_command_new(NATS_CMD_SETTLE_SYNC, id,
	    (const uint8_t *)natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
	if (c == NULL) {
		pthread_mutex_lock(&l->mu);
		nats_delivery_unhold(l, d);
		pthread_mutex_unlock(&l->mu);
		nats_settled(l, d, false);	/* delivered again after ack_wait */
		return;
	}
	c->delivery = d;
	c->how = d->how;
	c->delay = d->delay;
	nats_command_queue(l, c);
}

/*
 * A settle: the new value by compare-and-swap on the revision the fetch
 * wrote; if it went in, the message is acked, nak'd or terminated. If the
 * revision moved, another node took the job over (its delivery is newer):
 * the message is left to it, but acked when the job is finished already,
 * and terminated when its value is gone (DELETE, or past its TTL).
 */
static void nats_settle(struct nats_link *l, struct nats_command *c)
{
	struct nats_delivery *d = c->delivery;
	natsMsg *m = d->msg;
	bool won = false;

	if (c->value_len == 0) {
		won = true;
		(void)natsMsg_Term(m, NULL);
	} else if (l->kv != NULL) {
		/*
		 * Refused, then the value cannot be read either (a bucket without a
		 * leader for now refuses both): tried again, as a write unanswered.
		 */
		for (;;) {
			natsStatus st = nats_settle_write(l, c);
			enum job_value_state state;
			if (st == NATS_OK) {
				won = true;
				nats_settle_message(m, c->how, c->delay);
				break;
			}
			int found = st == NATS_ERR ? nats_value_state(l, d->id_hex, &state) : -1;
			if (found == 0)
				(void)natsMsg_Term(m, NULL);
			else if (found == 1 && (state == JOB_VALUE_SUCCEEDED || state == JOB_VALUE_FAILED))
				(void)natsMsg_Ack(m, NULL);
			if (found >= 0 || atomic_load(&l->stopping))
				break;
			nats_Sleep(NATS_SETTLE_RETRY_MS);
		}
	}
	pthread_mutex_lock(&l->mu);
	nats_delivery_unhold(l, d);
	pthread_mutex_unlock(&l->mu);
	nats_settled(l, d, won);
}

static void nats_command_run(struct nats_link *l, struct nats_command *c)
{
	switch (c->type) {
	case NATS_CMD_PUBLISH:
		nats_publish(l, c);
		return;
	case NATS_CMD_SETTLE:
		nats_settle_async(l, c);
		return;
	case NATS_CMD_SETTLE_SYNC:
		nats_settle(l, c);
		return;
	case NATS_CMD_UPDATE:
		if (l->kv == NULL || kvStore_Update(NULL, l->kv, c->id_hex, c->value,
			(int)c->value_len, c->revision) != NATS_OK)
			log_warn("nats: job %s: not canceled: its value changed meanwhile, or "
			    "NATS is not reachable", c->id_hex);
		return;
	case NATS_CMD_FORGET:
		if (l->kv == NULL || kvStore_Purge(l->kv, c->id_hex, NULL) != NATS_OK)
			log_warn("nats: job %s: cannot remove it from the bucket: %s", c->id_hex,
			    nats_GetLastError(NULL));
		return;
	}
}

static void nats_command_free(struct nats_command *c)
{
	free(c->subject);
	free(c->job);
	free(c->value);
	free(c);
}

/* On the loop: queues c for the command thread. */
static void nats_command_queue(struct nats_link *l, struct nats_command *c)
{
	pthread_mutex_lock(&l->mu);
	if (l->commands_tail != NULL)
		l->commands_tail->next = c;
	else
		l->commands = c;
	l->commands_tail = c;
	pthread_cond_signal(&l->commands_ready);
	pthread_mutex_unlock(&l->mu);
}

/* A command of type with a copy of value; NULL when out of memory. */
static struct nats_command *nats_command_new(enum nats_command_type type, const char *id_hex,
    const uint8_t *value, size_t len)
{
	struct nats_command *c = calloc(1, sizeof(*c));

	if (c == NULL || (len > 0 && (c->value = malloc(len)) == NULL)) {
		free(c);
		return NULL;
	}
	c->type = type;
	if (id_hex != NULL)
		snprintf(c->id_hex, sizeof(c->id_hex), "%s", id_hex);
	if (len > 0)
		memcpy(c->value, value, len);
	c->value_len = len;
	return c;
}

int nats_link_publish(struct nats_link *l, const char *id_hex, const char *function,
    const uint8_t *job, size_t job_len, const uint8_t *value, size_t value_len)
{
	struct nats_command *c = nats_command_new(NATS_CMD_PUBLISH, id_hex, value, value_len);

	if (c == NULL || (c->job = malloc(job_len)) == NULL ||
	    asprintf(&c->subject, "%s.jobs.%s", l->s.stream, function) < 0) {
		if (c != NULL)
			c->subject = NULL;
		if (c != NULL)
			nats_command_free(c);
		return -1;
	}
	memcpy(c->job, job, job_len);
	c->job_len = job_len;
	nats_command_queue(l, c);
	return 0;
}

void nats_link_grant(struct nats_link *l, const char *function, unsigned count)
{
	pthread_mutex_lock(&l->mu);
	if (nats_pull_grant(l, function, count) < 0)
		log_error("nats: cannot start fetching %s's jobs (out of memory or threads)",
		    function);
	pthread_mutex_unlock(&l->mu);
}

void nats_link_settle(struct nats_delivery *d, const uint8_t *value, size_t len,
    enum nats_settle how, double delay)
{
	struct nats_command *c = nats_command_new(NATS_CMD_SETTLE, d->id_hex, value, len);

	if (c == NULL) {
		log_error("nats: job %s: out of memory: left for JetStream to deliver again",
		    d->id_hex);
		nats_link_release(d);
		return;
	}
	c->delivery = d;
	c->how = how;
	c->delay = delay;
	nats_command_queue(d->link, c);
}

void nats_link_update(struct nats_link *l, const char *id_hex, const uint8_t *value,
    size_t len, uint64_t revision)
{
	struct nats_command *c = nats_command_new(NATS_CMD_UPDATE, id_hex, value, len);

	if (c == NULL) {
		log_error("nats: job %s: out of memory: not canceled", id_hex);
		return;
	}
	c->revision = revision;
	nats_command_queue(l, c);
}

void nats_link_forget(struct nats_link *l, const char *id_hex)
{
	struct nats_command *c = nats_command_new(NATS_CMD_FORGET, id_hex, NULL, 0);

	if (c == NULL) {
		log_error("nats: job %s: out of memory: left in the bucket until its TTL", id_hex);
		return;
	}
	nats_command_queue(l, c);
}

void nats_link_free(struct nats_link *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&l->mu);
	atomic_store(&l->stopping, true);
	pthread_cond_signal(&l->commands_ready);
	pthread_mutex_unlock(&l->mu);
	pthread_join(l->command_thread, NULL);
	nats_pull_stop_all(l);
	if (l->watching)
		pthread_join(l->watch_thread, NULL);
	/* The acks still on their way: up to timeout, then the connection goes. */
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MaxWait = (int64_t)(l->s.timeout * 1000);
	(void)js_PublishAsyncComplete(l->js, &po);
	while (l->commands != NULL) {
		struct nats_command *c = l->commands;
		l->commands = c->next;
		if (c->delivery != NULL)
			nats_link_release(c->delivery);
		nats_command_free(c);
	}
	while (l->held != NULL)
		nats_link_release(l->held);
	kvStore_Destroy(l->kv);
	jsCtx_Destroy(l->js);
	natsConnection_Close(l->nc);
	natsConnection_Destroy(l->nc);
	natsOptions_Destroy(l->opts);
	/*
	 * libnats's own threads may still be in a callback of ours (a late ack,
	 * the closed connection's): l is freed only once they are all gone.
	 */
	if (nats_CloseAndWait(NATS_CLOSE_WAIT_MS) != NATS_OK)
		log_warn("nats: libnats's threads did not end within %d ms", NATS_CLOSE_WAIT_MS);
	nats_events_free(l);
	pthread_cond_destroy(&l->commands_ready);
	pthread_mutex_destroy(&l->mu);
	free(l->servers);
	free((char *)l->s.url);
	free((char *)l->s.stream);
	free((char *)l->s.node);
	free(l->bucket);
	free(l);
}
