/*
 * nats_delivery.c: the deliveries the link holds (fetched, not settled):
 * the list the command thread sends InProgress for, and their end.
 */
#include <stdlib.h>

#include "nats_link_internal.h"

void nats_delivery_hold(struct nats_link *l, struct nats_delivery *d)
{
	pthread_mutex_lock(&l->mu);
	d->prev = NULL;
	d->next = l->held;
	if (l->held != NULL)
		l->held->prev = d;
	l->held = d;
	pthread_mutex_unlock(&l->mu);
}

void nats_delivery_unhold(struct nats_link *l, struct nats_delivery *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else if (l->held == d)
		l->held = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	d->prev = d->next = NULL;
}

void nats_link_release(struct nats_delivery *d)
{
	struct nats_link *l = d->link;

	pthread_mutex_lock(&l->mu);
	nats_delivery_unhold(l, d);
	pthread_mutex_unlock(&l->mu);
	natsMsg_Destroy(d->msg);
	free(d);
}
