/*
 * nats_watch.c: the watcher thread: every value of the bucket, then every
 * change to it from any node, as NATS_EV_STATE events, so that each node's
 * loop answers /_gateway/jobs/<id> for every job from memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nats_link_internal.h"

/* The watcher looks at l->stopping this often (ms). */
#define NATS_WATCH_POLL_MS 500
/* It checks that its watch keeps up with the bucket this often (ms). */
#define NATS_WATCH_CHECK_MS 2000

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

/*
 * Whether the watch fell behind: the bucket's stream has a later message
 * than any the watch brought, and the watch brought none since the last
 * look (a watcher whose server or stream leader went, and that libnats
 * did not resume). seen: the latest revision posted; *seen_before: that
 * of the last look, updated.
 */
static bool nats_watch_stalled(struct nats_link *l, uint64_t seen, uint64_t *seen_before)
{
	char stream[300];
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;
	bool stalled = false;

	snprintf(stream, sizeof(stream), "KV_%s", l->bucket);
	if (js_GetStreamInfo(&si, l->js, stream, NULL, &jerr) == NATS_OK)
		stalled = si->State.LastSeq > seen && seen == *seen_before;
	jsStreamInfo_Destroy(si);
	*seen_before = seen;
	return stalled;
}

/*
 * The thread: watches the whole bucket, from its current values on. A new
 * watch, whose current values bring back what it missed, starts after
 * each reconnection (l->rewatch), and when a look at the bucket's stream
 * every NATS_WATCH_CHECK_MS finds the watch stalled.
 */
void *nats_watch_main(void *arg)
{
	struct nats_link *l = arg;

	while (!atomic_load(&l->stopping)) {
		kvWatcher *w = NULL;
		natsStatus st = kvStore_WatchAll(&w, l->kv, NULL);
		if (st != NATS_OK) {
			log_warn("nats: cannot watch the bucket: %s: trying again",
			    natsStatus_GetText(st));
			nats_Sleep(1000);
			continue;
		}
		atomic_store(&l->rewatch, false);
		uint64_t seen = 0, seen_before = 0;
		int64_t next_check = nats_Now() + NATS_WATCH_CHECK_MS;
		while (!atomic_load(&l->stopping) && !atomic_load(&l->rewatch)) {
			kvEntry *e = NULL;
			st = kvWatcher_Next(&e, w, NATS_WATCH_POLL_MS);
			if (st == NATS_OK && e != NULL) {
				if (kvEntry_Revision(e) > seen)
					seen = kvEntry_Revision(e);
				nats_watch_post(l, e);
			} else if (st != NATS_OK && st != NATS_TIMEOUT) {
				nats_Sleep(100);	/* the connection is down: set up again, watched anew */
			}
			kvEntry_Destroy(e);
			if (nats_Now() >= next_check) {
				next_check = nats_Now() + NATS_WATCH_CHECK_MS;
				if (nats_watch_stalled(l, seen, &seen_before)) {
					log_info("nats: the bucket's watch fell behind (at revision %llu): "
					    "watching anew", (unsigned long long)seen);
					break;
				}
			}
		}
		kvWatcher_Destroy(w);
	}
	return NULL;
}
