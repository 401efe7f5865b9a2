/*
 * stderr_lines.c: a child's stderr as bounded, rate-limited lines (see
 * stderr_lines.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "stderr_lines.h"

static void stderr_lines_on_readable(struct ev_loop *loop, ev_io *io, int revents);
static void stderr_lines_on_window_end(struct ev_loop *loop, ev_timer *timer, int revents);
static bool stderr_lines_read(struct stderr_lines *r);
static void stderr_lines_take(struct stderr_lines *r, const char *data, size_t len);
static void stderr_lines_emit(struct stderr_lines *r, bool cut);
static void stderr_lines_new_window(struct stderr_lines *r);
static void stderr_lines_wait_window_end(struct stderr_lines *r);
static void stderr_lines_report_dropped(struct stderr_lines *r);
static void stderr_lines_end(struct stderr_lines *r);

void stderr_lines_start(struct stderr_lines *r, struct ev_loop *loop, int fd, pid_t pid,
    const struct stderr_lines_events *events, void *owner)
{
	*r = (struct stderr_lines){
		.open = true,
		.loop = loop,
		.events = events,
		.owner = owner,
		.pid = pid,
		.window_start = ev_now(loop),
	};
	ev_io_init(&r->watcher, stderr_lines_on_readable, fd, EV_READ);
	ev_init(&r->window_timer, stderr_lines_on_window_end);
	r->watcher.data = r->window_timer.data = r;
	ev_io_start(loop, &r->watcher);
}

static void stderr_lines_on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	(void)revents;
	stderr_lines_read(io->data);
}

/*
 * One read of at most STDERR_READ_MAX bytes, so that one process writing
 * without pause gets no more than that of an iteration; past
 * STDERR_BYTES_PER_WINDOW in the window, the watcher waits for the next
 * one. EOF or an error ends the pipe. Returns whether bytes were read.
 */
static bool stderr_lines_read(struct stderr_lines *r)
{
	char chunk[STDERR_READ_MAX];

	if (ev_now(r->loop) - r->window_start >= STDERR_WINDOW)
		stderr_lines_new_window(r);
	ssize_t n = read(r->watcher.fd, chunk, sizeof(chunk));
	if (n > 0) {
		r->window_bytes += (size_t)n;
		stderr_lines_take(r, chunk, (size_t)n);
		if (r->window_bytes >= STDERR_BYTES_PER_WINDOW) {
			ev_io_stop(r->loop, &r->watcher);
			stderr_lines_wait_window_end(r);
		}
		return true;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		stderr_lines_end(r);
	return false;
}

/*
 * Splits what was read into lines. A line reaching past STDERR_LINE_MAX is
 * handed over cut as soon as that is known, and skipped up to its newline.
 */
static void stderr_lines_take(struct stderr_lines *r, const char *data, size_t len)
{
	while (len > 0) {
		const char *newline = memchr(data, '\n', len);
		size_t piece = newline != NULL ? (size_t)(newline - data) : len;
		if (!r->cutting) {
			size_t room = sizeof(r->line) - r->len;
			memcpy(r->line + r->len, data, piece < room ? piece : room);
			r->len += piece < room ? piece : room;
			if (piece > room) {
				stderr_lines_emit(r, true);
				r->cutting = true;
			}
		}
		if (newline == NULL)
			return;
		if (!r->cutting)
			stderr_lines_emit(r, false);
		r->cutting = false;
		data += piece + 1;
		len -= piece + 1;
	}
}

/*
 * Hands the gathered line over while the window has room; counts it as
 * dropped otherwise, to be reported when the window ends.
 */
static void stderr_lines_emit(struct stderr_lines *r, bool cut)
{
	if (r->window_lines < STDERR_LINES_PER_WINDOW) {
		r->window_lines++;
		r->events->line(r->owner, r->pid, r->line, r->len, cut);
	} else {
		r->dropped++;
		stderr_lines_wait_window_end(r);
	}
	r->len = 0;
}

/* Reports the ending window's dropped lines, and opens the next one. */
static void stderr_lines_new_window(struct stderr_lines *r)
{
	stderr_lines_report_dropped(r);
	r->window_start = ev_now(r->loop);
	r->window_lines = 0;
	r->window_bytes = 0;
}

/* Arms the timer for the end of the window, if not armed yet. */
static void stderr_lines_wait_window_end(struct stderr_lines *r)
{
	if (ev_is_active(&r->window_timer))
		return;
	ev_timer_set(&r->window_timer, r->window_start + STDERR_WINDOW - ev_now(r->loop), 0.);
	ev_timer_start(r->loop, &r->window_timer);
}

/* The window is over: its count is said, and a pipe left waiting is read again. */
static void stderr_lines_on_window_end(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct stderr_lines *r = timer->data;
	(void)revents;

	stderr_lines_new_window(r);
	if (r->open)
		ev_io_start(loop, &r->watcher);
}

static void stderr_lines_report_dropped(struct stderr_lines *r)
{
	ev_timer_stop(r->loop, &r->window_timer);
	if (r->dropped == 0)
		return;
	unsigned long count = r->dropped;
	r->dropped = 0;
	r->events->dropped(r->owner, r->pid, count);
}

/* The pipe ended: the last line (unless it was cut), the count, then closed. */
static void stderr_lines_end(struct stderr_lines *r)
{
	if (r->len > 0 && !r->cutting)
		stderr_lines_emit(r, false);
	stderr_lines_report_dropped(r);
	stderr_lines_stop(r);
}

/*
 * Up to STDERR_FINISH_MAX bytes: what the pipe holds when its process is
 * gone, however large the process made it, but not what a process it left
 * behind goes on writing.
 */
void stderr_lines_finish(struct stderr_lines *r)
{
	for (size_t taken = 0; r->open && taken < STDERR_FINISH_MAX; taken += STDERR_READ_MAX) {
		if (!stderr_lines_read(r))
			break;
	}
	if (r->open)
		stderr_lines_end(r);
}

void stderr_lines_stop(struct stderr_lines *r)
{
	if (!r->open)
		return;
	ev_io_stop(r->loop, &r->watcher);
	ev_timer_stop(r->loop, &r->window_timer);
	close(r->watcher.fd);
	r->open = false;
	r->cutting = false;
	r->len = 0;
	r->dropped = 0;
}
