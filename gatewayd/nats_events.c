/*
 * nats_events.c: the way back from the link's threads to the loop: a list
 * under the link's mutex and an ev_async. The loop takes the whole list at
 * once and hands each event to the link's ops, in the order posted.
 */
#include <stdlib.h>

#include "log.h"
#include "nats_link_internal.h"

static void nats_events_drain(struct ev_loop *loop, ev_async *w, int revents);
static void nats_event_free(struct nats_event *ev);

void nats_events_init(struct nats_link *l)
{
	ev_async_init(&l->wake, nats_events_drain);
	l->wake.data = l;
	ev_async_start(l->loop, &l->wake);
}

struct nats_event *nats_event_new(enum nats_event_type type)
{
	struct nats_event *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		log_error("nats: out of memory: an event from NATS is lost");
	else
		ev->type = type;
	return ev;
}

void nats_event_post(struct nats_link *l, struct nats_event *ev)
{
	pthread_mutex_lock(&l->mu);
	if (l->events_tail != NULL)
		l->events_tail->next = ev;
	else
		l->events = ev;
	l->events_tail = ev;
	pthread_mutex_unlock(&l->mu);
	ev_async_send(l->loop, &l->wake);
}

/* On the loop: every event queued, to ops. */
static void nats_events_drain(struct ev_loop *loop, ev_async *w, int revents)
{
	struct nats_link *l = w->data;
	(void)loop;
	(void)revents;

	pthread_mutex_lock(&l->mu);
	struct nats_event *ev = l->events;
	l->events = l->events_tail = NULL;
	pthread_mutex_unlock(&l->mu);
	while (ev != NULL) {
		struct nats_event *next = ev->next;
		switch (ev->type) {
		case NATS_EV_CONNECTION:
			l->ops->connection(l->owner, ev->flag, ev->text != NULL ? ev->text : "");
			break;
		case NATS_EV_PUBLISHED:
			l->ops->published(l->owner, ev->id_hex, ev->flag);
			break;
		case NATS_EV_FETCHED:
			l->ops->fetched(l->owner, ev->text, ev->delivery);
			break;
		case NATS_EV_FETCH_DONE:
			l->ops->fetch_done(l->owner, ev->text, ev->count);
			break;
		case NATS_EV_SETTLED:
			l->ops->settled(l->owner, ev->delivery, ev->flag);
			break;
		case NATS_EV_STATE:
			l->ops->state(l->owner, ev->id_hex, ev->value, ev->value_len, ev->revision);
			break;
		}
		nats_event_free(ev);
		ev = next;
	}
}

static void nats_event_free(struct nats_event *ev)
{
	free(ev->text);
	free(ev->value);
	free(ev);
}

void nats_events_free(struct nats_link *l)
{
	ev_async_stop(l->loop, &l->wake);
	while (l->events != NULL) {
		struct nats_event *ev = l->events;
		l->events = ev->next;
		if (ev->delivery != NULL && (ev->type == NATS_EV_FETCHED || ev->type == NATS_EV_SETTLED))
			nats_link_release(ev->delivery);
		nats_event_free(ev);
	}
	l->events_tail = NULL;
}
