/*
 * scaling.c: the number of workers and when they are forked (see
 * scaling.h). All modes go through scaling_adjust(): it computes how many
 * forks the pool wants now and does them, within max_children, the spawn
 * rate and the backoff; a timer retries what was deferred. Slots come up
 * and go through the pool's slot_ops, whatever they run.
 */
#include "pool_internal.h"
#include "scaling.h"

/* Fork delay after failed workers: 0.1 s doubling to 10 s. */
#define SCALING_BACKOFF_FIRST 0.1
#define SCALING_BACKOFF_MAX 10.0
/* Seconds between maintenance passes (PHP-FPM's pace). */
#define SCALING_TICK 1.0

static unsigned scaling_wanted(const struct pool *pool);
static bool scaling_may_fork(struct pool *pool, ev_tstamp now, ev_tstamp *retry_at);
static int scaling_fork_one(struct pool *pool, char *err, size_t err_len);
static void scaling_on_tick(struct ev_loop *loop, ev_timer *timer, int revents);
static void scaling_on_retry(struct ev_loop *loop, ev_timer *timer, int revents);
static void scaling_retire_idle(struct pool *pool, ev_tstamp now);

void scaling_init(struct pool *pool, const struct scaling_events *events)
{
	pool->scaling_events = events;
	ev_timer_init(&pool->maintenance, scaling_on_tick, SCALING_TICK, SCALING_TICK);
	pool->maintenance.data = pool;
	ev_init(&pool->retry_timer, scaling_on_retry);
	pool->retry_timer.data = pool;
}

int scaling_start(struct pool *pool, char *err, size_t err_len)
{
	const struct pool_config *c = &pool->config;
	unsigned initial = c->scaling == POOL_STATIC ? c->max_children
			 : c->scaling == POOL_DYNAMIC ? c->start_servers : 0;

	ev_timer_start(pool->loop, &pool->maintenance);
	for (unsigned i = 0; i < initial; i++) {
		if (scaling_fork_one(pool, err, err_len) < 0)
			return -1;
	}
	return 0;
}

/*
 * Forks pulled by demand: static keeps max_children; dynamic keeps
 * min_spare idle workers and one per waiting job; ondemand forks one per
 * waiting job. A held-back pool forks one probe worker at a time.
 */
static unsigned scaling_wanted(const struct pool *pool)
{
	const struct pool_config *c = &pool->config;
	unsigned room = c->max_children - pool->running, want = 0;

	if (scaling_held_back(pool))
		return pool->running == 0 ? 1 : 0;
	switch (c->scaling) {
	case POOL_STATIC:
		want = room;
		break;
	case POOL_DYNAMIC:
		want = pool->queue_len;
		if (pool->idle_count < c->min_spare)
			want += c->min_spare - pool->idle_count;
		break;
	case POOL_ONDEMAND:
		want = pool->queue_len;
		break;
	}
	return want < room ? want : room;
}

void scaling_adjust(struct pool *pool)
{
	ev_tstamp now = ev_now(pool->loop), retry_at = 0;
	char err[256];

	if (pool->stopping)
		return;
	for (unsigned want = scaling_wanted(pool); want > 0; want--) {
		if (!scaling_may_fork(pool, now, &retry_at)) {
			if (!ev_is_active(&pool->retry_timer)) {
				ev_timer_set(&pool->retry_timer, retry_at - now, 0.);
				ev_timer_start(pool->loop, &pool->retry_timer);
			}
			return;
		}
		if (scaling_fork_one(pool, err, sizeof(err)) < 0) {
			if (pool->events->spawn_failed)
				pool->events->spawn_failed(pool, err);
			scaling_worker_exited(pool, true);
			return;
		}
	}
}

/*
 * Backoff after failures, then the spawn rate (dynamic and ondemand only:
 * a static pool refills at once). Sets *retry_at when the answer is no.
 */
static bool scaling_may_fork(struct pool *pool, ev_tstamp now, ev_tstamp *retry_at)
{
	const struct pool_config *c = &pool->config;

	if (now < pool->fork_blocked_until) {
		*retry_at = pool->fork_blocked_until;
		return false;
	}
	if (c->scaling == POOL_STATIC || c->max_spawn_rate == 0)
		return true;
	if (now - pool->spawn_second >= 1.0) {
		pool->spawn_second = now;
		pool->spawn_count = 0;
	}
	if (pool->spawn_count >= c->max_spawn_rate) {
		*retry_at = pool->spawn_second + 1.0;
		return false;
	}
	pool->spawn_count++;
	return true;
}

/* Brings the first DOWN slot up. */
static int scaling_fork_one(struct pool *pool, char *err, size_t err_len)
{
	for (unsigned i = 0; i < pool->config.max_children; i++) {
		struct slot *s = pool->slots[i];
		if (s->state == SLOT_DOWN)
			return pool->slot_ops->spawn(s, err, err_len);
	}
	return 0;
}

void scaling_worker_exited(struct pool *pool, bool failed)
{
	if (pool->stopping)
		return;
	if (failed) {
		double delay = SCALING_BACKOFF_FIRST;
		for (unsigned i = 0; i < pool->fail_streak && delay < SCALING_BACKOFF_MAX; i++)
			delay *= 2;
		pool->fail_streak++;
		pool->fork_blocked_until = ev_now(pool->loop) +
		    (delay < SCALING_BACKOFF_MAX ? delay : SCALING_BACKOFF_MAX);
		if (scaling_held_back(pool))
			pool->scaling_events->held_back(pool);
	}
	scaling_adjust(pool);
}

void scaling_request_done(struct pool *pool)
{
	pool->fail_streak = 0;
	pool->fork_blocked_until = 0;
}

bool scaling_held_back(const struct pool *pool)
{
	return pool->config.crash_limit > 0 && pool->fail_streak >= pool->config.crash_limit;
}

static void scaling_on_retry(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	scaling_adjust(timer->data);
}

/*
 * Once a second: a worker alive for crash_window ends a failure streak (a
 * held-back function recovers by itself); idle workers beyond what the mode
 * keeps are retired; then demand is met.
 */
static void scaling_on_tick(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct pool *pool = timer->data;
	ev_tstamp now = ev_now(loop);
	(void)revents;

	for (unsigned i = 0; i < pool->config.max_children && pool->fail_streak > 0; i++) {
		const struct slot *s = pool->slots[i];
		if ((s->state == SLOT_IDLE || s->state == SLOT_BUSY) &&
		    now - s->spawned_at >= pool->config.crash_window)
			scaling_request_done(pool);
	}
	scaling_retire_idle(pool, now);
	scaling_adjust(pool);
}

/*
 * dynamic: one idle worker per tick (the one idle longest, at the bottom of
 * the stack) while there are more than max_spare, or more than min_spare
 * and it has been idle for idle_timeout; ondemand: every worker idle for
 * idle_timeout.
 */
static void scaling_retire_idle(struct pool *pool, ev_tstamp now)
{
	const struct pool_config *c = &pool->config;

	if (c->scaling == POOL_DYNAMIC) {
		if (pool->idle_count > c->max_spare || (pool->idle_count > c->min_spare &&
		    now - pool->idle[0]->idle_since >= c->idle_timeout))
			pool->slot_ops->retire(pool->idle[0]);
		return;
	}
	if (c->scaling != POOL_ONDEMAND)
		return;
	for (unsigned i = 0; i < pool->idle_count;) {
		struct slot *s = pool->idle[i];
		if (now - s->idle_since >= c->idle_timeout)
			pool->slot_ops->retire(s);	/* leaves the stack: i now names the next */
		else
			i++;
	}
}

void scaling_stop(struct pool *pool)
{
	ev_timer_stop(pool->loop, &pool->maintenance);
	ev_timer_stop(pool->loop, &pool->retry_timer);
}
