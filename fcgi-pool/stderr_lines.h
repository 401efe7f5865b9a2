/*
 * stderr_lines.h: a child's stderr pipe turned into lines, with bounds, for
 * worker.c (a FastCGI worker) and cgi.c (a CGI program). Private to
 * fcgi-pool.
 *
 * One process that writes its stderr as fast as it can must neither hold
 * the loop nor fill the log:
 *
 *   - each loop iteration reads at most STDERR_READ_MAX bytes of the pipe
 *     (the watcher stays armed: libev comes back next iteration, after the
 *     other watchers had their turn);
 *   - each window reads at most STDERR_BYTES_PER_WINDOW bytes (plus one
 *     read): past that the pipe is left alone until the window ends, so the
 *     process blocks in write(2) instead of making gatewayd read and drop
 *     its output as fast as it can write it (a core each);
 *   - a line longer than STDERR_LINE_MAX is handed over cut (its first
 *     STDERR_LINE_MAX bytes, marked so), and the rest of it is skipped;
 *   - at most STDERR_LINES_PER_WINDOW lines a STDERR_WINDOW seconds are
 *     handed over; the lines past that are counted, and the count is
 *     reported once, when that window ends or the pipe is closed. Nothing
 *     goes unaccounted for.
 */
#ifndef FCGI_POOL_STDERR_LINES_H
#define FCGI_POOL_STDERR_LINES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <ev.h>

/* Bytes read from one pipe per loop iteration at most: a default pipe's capacity. */
#define STDERR_READ_MAX 65536
/* Bytes read from one pipe per window at most; then it waits for the next. */
#define STDERR_BYTES_PER_WINDOW (1024 * 1024)
/*
 * Bytes read at most once the process is gone: the most an unprivileged
 * process can make its pipe hold (the default /proc/sys/fs/pipe-max-size).
 */
#define STDERR_FINISH_MAX (1024 * 1024)
/* Bytes of a line handed over at most; a longer one is cut there. */
#define STDERR_LINE_MAX 1024
/* Lines handed over per window at most (the burst); the rest are counted. */
#define STDERR_LINES_PER_WINDOW 100
/* The window's length, in seconds. */
#define STDERR_WINDOW 1.0

/* What the reader tells its owner; neither may be NULL. */
struct stderr_lines_events {
	/*
	 * One line, without its newline. cut: the line went on past len
	 * (STDERR_LINE_MAX) bytes, and the rest of it was skipped.
	 */
	void (*line)(void *owner, pid_t pid, const char *line, size_t len, bool cut);
	/* count lines since the last report were over the rate and dropped. */
	void (*dropped)(void *owner, pid_t pid, unsigned long count);
};

/*
 * One process's stderr, embedded in its owner's struct. A zeroed one is
 * closed; stderr_lines_start opens it.
 */
struct stderr_lines {
	bool open;			/* watching a pipe, which it will close */
	bool cutting;			/* skipping the rest of a line that was cut */
	struct ev_loop *loop;
	const struct stderr_lines_events *events;
	void *owner;
	pid_t pid;			/* named in each event */
	ev_io watcher;
	ev_timer window_timer;		/* armed while lines are dropped or reading waits: the window's end */
	ev_tstamp window_start;
	unsigned window_lines;		/* handed over in the window so far */
	size_t window_bytes;		/* read in the window so far */
	unsigned long dropped;		/* not reported yet */
	size_t len;
	char line[STDERR_LINE_MAX];	/* the line gathered so far */
};

/*
 * Starts reading fd, the non-blocking read end of pid's stderr, which the
 * reader now owns. r must be closed (zeroed, or stopped).
 */
void stderr_lines_start(struct stderr_lines *r, struct ev_loop *loop, int fd, pid_t pid,
    const struct stderr_lines_events *events, void *owner);

/*
 * The process is gone: what its pipe still holds (STDERR_FINISH_MAX at
 * most), the line left without a newline, the count of dropped lines, then
 * the pipe is closed. Nothing when r is closed already.
 */
void stderr_lines_finish(struct stderr_lines *r);

/* Closes the pipe without another event (the owner is being freed). */
void stderr_lines_stop(struct stderr_lines *r);

#endif /* FCGI_POOL_STDERR_LINES_H */
