/*
 * nats_watch.c: the watcher thread: every value of the bucket, then every
 * change to it from any node, as NATS_EV_STATE events, so that each node's
 * loop answers /_gateway/jobs/<id> for every job from memory. libnats keeps
 * the watch through reconnections.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nats_link_internal.h"

/* The watcher looks at l->stopping this often (ms). */
#define NATS_WATCH_POLL_MS 500

/* One entry of the bucket, to the loop: a value, or the key's removal. */
static void nats_watch_post(struct nats_link *l, kvEntry *e)
{
	const char *key = kvEntry_Key(e);
	kvOperation op = kvEntry_Operation(e);
	struct nats_event *ev;

	if (key == NULL || strlen(key) != NATS_ID_HEX_LEN || (ev = nats_event_new(NATS_EV_STATE)) == NULL)
		return;
	memcpy(ev->id_hex, key, NATS_ID_HEX_LEN + 1);
	ev->revision = kvEntry_Revision(e);
	if (op == kvOp_Put) {
		int len = kvEntry_ValueLen(e);
		if (len <= 0 || (ev->value = malloc((size_t)len)) == NULL) {
			free(ev);
			return;
		}
		memcpy(ev->value, kvEntry_Value(e), (size_t)len);
		ev->value_len = (size_t)len;
	}
	nats_event_post(l, ev);
}

void *nats_watch_main(void *arg)
{
	struct nats_link *l = arg;
	kvWatcher *w = NULL;
	natsStatus st;

	while (!atomic_load(&l->stopping) &&
	    (st = kvStore_WatchAll(&w, l->kv, NULL)) != NATS_OK) {
		log_warn("nats: cannot watch the bucket: %s: trying again", natsStatus_GetText(st));
		nats_Sleep(1000);
	}
	while (w != NULL && !atomic_load(&l->stopping)) {
		kvEntry *e = NULL;
		st = kvWatcher_Next(&e, w, NATS_WATCH_POLL_MS);
		if (st == NATS_OK && e != NULL)
			nats_watch_post(l, e);
		else if (st != NATS_OK && st != NATS_TIMEOUT)
			nats_Sleep(100);	/* the connection is down: libnats resumes the watch */
		kvEntry_Destroy(e);
	}
	kvWatcher_Destroy(w);
	return NULL;
}
