/*
 * cgi_slot.h: a pool in mode = cgi. Its max_children worker slots hold no
 * process while idle: running a job starts one CGI program for it (cgi.h),
 * and the slot is idle again once the program is reaped. The queue, limits
 * and timeouts are the pool's as for FastCGI workers. Private to fcgi-pool.
 */
#ifndef FCGI_POOL_CGI_SLOT_H
#define FCGI_POOL_CGI_SLOT_H

struct pool;
struct pool_job;
struct worker;

/* Makes every slot of a cgi pool idle (no process). */
void cgi_slot_start(struct pool *pool);

/* Runs job on the idle slot w: starts its CGI program. */
void cgi_slot_run(struct worker *w, struct pool_job *job);

/* The job's owner gave up: its program runs on, unseen, until it ends. */
void cgi_slot_cancel(struct worker *w);

/* Backpressure on the program's stdout. */
void cgi_slot_pause(struct worker *w);
void cgi_slot_resume(struct worker *w);

/* Stop: SIGTERM to every running program (SIGKILL with kill). */
void cgi_slot_signal_all(struct pool *pool, int sig);

/* Frees what the slots still hold (programs already reaped). */
void cgi_slot_free_all(struct pool *pool);

#endif /* FCGI_POOL_CGI_SLOT_H */
