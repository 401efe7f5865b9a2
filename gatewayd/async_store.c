/*
 * async_store.c: the journal under the async jobs (see async_internal.h):
 * their progress records, a journal that cannot be written (a full disk)
 * and its repair, compaction, and the sync timer of async.fsync = batch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "async_internal.h"
#include "log.h"

/* Compaction once the journal is this large and twice what is live. */
#define ASYNC_COMPACT_MIN (4u << 20)
/* While the journal cannot be written, a rewrite is tried this often (seconds). */
#define ASYNC_REPAIR_EVERY 1.0

static void async_on_repair(struct ev_loop *loop, ev_timer *timer, int revents);
static int async_compact(struct async *a, bool quiet);
static void async_on_sync(struct ev_loop *loop, ev_timer *timer, int revents);

void async_store_init(struct async *a)
{
	ev_timer_init(&a->repair_timer, async_on_repair, ASYNC_REPAIR_EVERY, ASYNC_REPAIR_EVERY);
	a->repair_timer.data = a;
	ev_timer_init(&a->sync_timer, async_on_sync, a->gw->conf->async_fsync_interval,
	    a->gw->conf->async_fsync_interval);
	a->sync_timer.data = a;
}

/*
 * Appends a record of a job's progress. Not synced on its own, even with
 * async.fsync = always: losing it in a crash only runs the job again, so
 * the sync timer makes it durable. A failure (a full disk) does not lose
 * it: the job goes on in memory, and the repair rewrites the journal from
 * memory, this record's news included, once it can be written.
 */
void async_record(struct async *a, const struct journal_record *r)
{
	if (a->journal != NULL && journal_append_unsynced(a->journal, r) < 0)
		async_journal_failed(a, "record a job's progress");
}

/*
 * The journal could not be written or synced (errno says why; ENOSPC for a
 * full disk). Logged once, not per request: from now on new async requests
 * get 503, and every ASYNC_REPAIR_EVERY the journal is rewritten from what
 * is in memory (a compaction), which restores any progress record that was
 * lost, until that succeeds.
 */
void async_journal_failed(struct async *a, const char *what)
{
	if (a->journal_failing)
		return;
	log_error("async: cannot %s in the journal %s: %s; new async requests get 503 until it "
	    "can be rewritten (tried every %.0f s)", what, a->gw->conf->async_journal,
	    strerror(errno), ASYNC_REPAIR_EVERY);
	a->journal_failing = true;
	ev_timer_again(a->gw->loop, &a->repair_timer);
}

/* While the journal is failing: a rewrite; once one succeeds, accepting again. */
static void async_on_repair(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async *a = timer->data;
	(void)revents;

	if (async_compact(a, true) < 0)
		return;
	ev_timer_stop(loop, timer);
	a->journal_failing = false;
	log_info("async: journal %s written again: accepting async requests",
	    a->gw->conf->async_journal);
}

/*
 * Rewrites the journal with the live jobs alone. Returns 0, or -1: the old
 * journal stays in use and nothing is lost; logged unless quiet (the
 * repair, which tries every second until the disk has room again).
 */
static int async_compact(struct async *a, bool quiet)
{
	char err[512];
	uint64_t before = journal_size(a->journal);

	if (journal_compact(a->journal, async_write_live, a, err, sizeof(err)) < 0) {
		if (!quiet)
			log_error("async: journal compaction failed: %s", err);
		return -1;
	}
	log_info("async: journal %s compacted from %llu to %llu bytes (%zu live jobs)",
	    a->gw->conf->async_journal, (unsigned long long)before,
	    (unsigned long long)journal_size(a->journal), a->jobs.count);
	return 0;
}

/*
 * Rewrites the journal once it is mostly history: past its floor
 * (ASYNC_COMPACT_MIN) and more than twice what the live jobs need, so its
 * size stays within a factor of two of the live records or under the floor.
 */
void async_maybe_compact(struct async *a)
{
	if (a->journal == NULL || a->journal_failing ||
	    journal_size(a->journal) < ASYNC_COMPACT_MIN ||
	    journal_size(a->journal) < 2 * a->live_bytes)
		return;
	async_compact(a, false);
}

/*
 * After replay: a restart always compacts when the file holds anything
 * past its header and the live records, whatever its size, so a restart
 * sheds forgotten jobs (and the request headers they carried) at once.
 * Logs the figures. An older gatewayd's journal (no header, replayed with
 * the unkeyed check this once) must be rewritten keyed before anything is
 * appended: if that fails, start-up fails. 0 / -1 with err.
 */
int async_compact_at_start(struct async *a, char *err, size_t err_len)
{
	const char *path = a->gw->conf->async_journal;
	bool unkeyed = journal_unkeyed(a->journal);

	log_info("async: journal %s: %llu bytes, %zu live jobs needing %llu bytes",
	    path, (unsigned long long)journal_size(a->journal), a->jobs.count,
	    (unsigned long long)a->live_bytes);
	if (unkeyed)
		log_warn("async: journal %s has no header (an older gatewayd's): its records "
		    "were replayed with the old unkeyed check, once; rewriting it keyed", path);
	if (!unkeyed && journal_size(a->journal) <= JOURNAL_FILE_HEADER_LEN + a->live_bytes)
		return 0;
	if (async_compact(a, false) < 0 && unkeyed) {
		snprintf(err, err_len, "async: journal %s: cannot rewrite an older gatewayd's "
		    "journal with a header (see the log); move it away to start without its jobs",
		    path);
		return -1;
	}
	return 0;
}

static void async_on_sync(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct async *a = timer->data;
	(void)loop;
	(void)revents;

	if (journal_sync_pending(a->journal) && journal_sync(a->journal) < 0)
		async_journal_failed(a, "sync what was written");
}
