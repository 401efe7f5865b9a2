/*
 * cgi.c: one request run as a CGI program (RFC 3875; see cgi.h). The body
 * is the only buffer of body size; stdout goes to the owner as it is read.
 * The caller ignores SIGPIPE (gatewayd does): a program that exits without
 * reading its body makes the write fail with EPIPE, which ends the writing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgi.h"
#include "fcgi.h"

/* Largest piece of stdout handed to events->output at once. */
#define CGI_CHUNK 65536

/* Where cgi_parse_request is in the request's record sequence. */
enum cgi_parse_state {
	CGI_PARSE_BEGIN,	/* expects BEGIN_REQUEST */
	CGI_PARSE_PARAMS,	/* PARAMS records, until the empty one */
	CGI_PARSE_STDIN,	/* STDIN records, until the empty one */
	CGI_PARSE_DONE,		/* the empty STDIN was seen: nothing may follow */
};

struct cgi_run {
	struct ev_loop *loop;
	const struct cgi_events *events;
	void *owner;
	const char *argv0;		/* named in "cannot exec" */
	struct spawner *spawner;
	struct spawner_child child;
	int status;			/* waitpid's, once reaped */
	bool reaped;			/* the child watcher fired */
	bool stdout_eof;		/* stdout read to EOF, or abandoned by cgi_signal */
	bool done;			/* done() was called */
	uint8_t *body;			/* the request body; freed once written */
	size_t body_len;
	size_t body_sent;
	struct spawner_watch exit_watch;
	ev_io stdin_watcher;		/* armed while body bytes remain */
	ev_io stdout_watcher;		/* stopped while the owner paused us */
	ev_io exec_error_watcher;
	ev_timer abandon_timer;		/* stops waiting for stdout after cgi_signal */
	struct stderr_lines stderr_lines;	/* its stderr pipe, as bounded lines */
};

static int cgi_parse_request(const uint8_t *req, size_t len, uint8_t *params,
    size_t *params_len, uint8_t *body, size_t *body_len, char *err, size_t err_len);
static char **cgi_build_env(const uint8_t *params, size_t len, size_t pairs);
static bool cgi_param_kept(const struct fcgi_nv *nv);
static void cgi_watch(struct cgi_run *run, int stdin_fd, int stdout_fd, int stderr_fd,
    int exec_error_fd);
static void cgi_on_stdin(struct ev_loop *loop, ev_io *io, int revents);
static void cgi_end_stdin(struct cgi_run *run);
static void cgi_on_stdout(struct ev_loop *loop, ev_io *io, int revents);
static void cgi_on_exec_error(struct ev_loop *loop, ev_io *io, int revents);
static void cgi_on_exit(struct spawner_watch *watch, int status);
static void cgi_on_abandon(struct ev_loop *loop, ev_timer *timer, int revents);
static void cgi_close_io(struct cgi_run *run, ev_io *io);
static void cgi_maybe_finish(struct cgi_run *run);
static void cgi_teardown(struct cgi_run *run, bool flush_stderr);

struct cgi_run *cgi_start(struct ev_loop *loop, const struct cgi_program *program,
    const uint8_t *request, size_t request_len, const struct cgi_events *events, void *owner,
    char *err, size_t err_len)
{
	struct cgi_run *run = NULL;
	uint8_t *params = NULL;
	char **envp = NULL;
	size_t params_len, body_len;
	int fds[6] = { -1, -1, -1, -1, -1, -1 }, exec_error_fd;
	int *in = fds, *out = fds + 2, *errp = fds + 4;	/* pipes: [0] read, [1] write */

	if (cgi_parse_request(request, request_len, NULL, &params_len, NULL, &body_len, err,
		err_len) < 0)
		return NULL;
	run = calloc(1, sizeof(*run));
	params = malloc(params_len + 1);
	if (run == NULL || params == NULL || (run->body = malloc(body_len + 1)) == NULL) {
		snprintf(err, err_len, "out of memory for a request of %zu bytes", request_len);
		goto err;
	}
	cgi_parse_request(request, request_len, params, &params_len, run->body, &body_len, err,
	    err_len);
	run->body_len = body_len;
	ssize_t pairs = fcgi_params_lookup(params, params_len, NULL, 0);
	if (pairs < 0) {
		snprintf(err, err_len, "malformed PARAMS stream");
		goto err;
	}
	envp = cgi_build_env(params, params_len, (size_t)pairs);
	if (envp == NULL) {
		snprintf(err, err_len, "out of memory for the environment");
		goto err;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(err, err_len, "pipe: %s", strerror(errno));
		goto err;
	}
	const int child_fds[3] = { in[0], out[1], errp[1] };
	if (spawner_spawn(program->spawner, program->generation, program->function, child_fds,
		envp, &run->child, &exec_error_fd, err, err_len) < 0)
		goto err;
	run->spawner = program->spawner;
	run->exit_watch.data = run;
	spawner_watch(run->spawner, &run->exit_watch, run->child.id, cgi_on_exit);

	close(in[0]);
	close(out[1]);
	close(errp[1]);
	free(params);
	free(envp);
	run->loop = loop;
	run->events = events;
	run->owner = owner;
	run->argv0 = program->program;
	cgi_watch(run, in[1], out[0], errp[0], exec_error_fd);
	return run;

err:
	for (int i = 0; i < 6; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(envp);
	free(params);
	if (run != NULL)
		free(run->body);
	free(run);
	return NULL;
}

/*
 * Walks the request (FastCGI spec section 3: BEGIN_REQUEST for the
 * responder role, PARAMS until the empty one, STDIN until the empty one, all
 * with one non-zero id, nothing after) and sums the PARAMS and STDIN
 * contents into *params_len and *body_len. When params and body are given,
 * copies the contents there too: the params stream may split a pair between
 * records, so it is only decoded (by the caller) once whole. Returns 0, or
 * -1 with err filled.
 */
static int cgi_parse_request(const uint8_t *req, size_t len, uint8_t *params,
    size_t *params_len, uint8_t *body, size_t *body_len, char *err, size_t err_len)
{
	enum cgi_parse_state state = CGI_PARSE_BEGIN;
	struct fcgi_record rec;
	uint16_t id = 0, role;
	uint8_t flags;
	size_t off = 0, at = 0;

	*params_len = *body_len = 0;
	while (off < len) {
		ssize_t n = fcgi_record_decode(req + off, len - off, &rec);
		if (n <= 0) {
			snprintf(err, err_len, "malformed or truncated record at byte %zu", off);
			return -1;
		}
		at = off;
		off += (size_t)n;
		uint8_t type = rec.header.type;
		size_t clen = rec.header.content_length;
		switch (state) {
		case CGI_PARSE_BEGIN:
			if (type != FCGI_BEGIN_REQUEST || rec.header.request_id == 0 ||
			    fcgi_begin_request_decode(rec.content, clen, &role, &flags) < 0 ||
			    role != FCGI_RESPONDER)
				goto unexpected;
			id = rec.header.request_id;
			state = CGI_PARSE_PARAMS;
			break;
		case CGI_PARSE_PARAMS:
		case CGI_PARSE_STDIN: {
			bool in_params = state == CGI_PARSE_PARAMS;
			uint8_t *to = in_params ? params : body;
			size_t *to_len = in_params ? params_len : body_len;
			if (type != (in_params ? FCGI_PARAMS : FCGI_STDIN) || rec.header.request_id != id)
				goto unexpected;
			if (to != NULL)
				memcpy(to + *to_len, rec.content, clen);
			*to_len += clen;
			if (clen == 0)
				state = in_params ? CGI_PARSE_STDIN : CGI_PARSE_DONE;
			break;
		}
		case CGI_PARSE_DONE:
			goto unexpected;
		default:
			snprintf(err, err_len, "bad parse state %d", (int)state);
			return -1;
		}
	}
	if (state != CGI_PARSE_DONE) {
		snprintf(err, err_len, "request ends before its empty STDIN record");
		return -1;
	}
	return 0;

unexpected:
	snprintf(err, err_len, "unexpected record (type %u, id %u) at byte %zu",
	    (unsigned)rec.header.type, (unsigned)rec.header.request_id, at);
	return -1;
}

/*
 * The request's part of the program's environment: "NAME=VALUE" for each
 * kept param (see cgi_param_kept) of the validated stream of pairs; the
 * spawner adds the function's own. One allocation: the pointer array, then
 * the strings; a string is no longer than its encoded pair (which has at
 * least two length bytes), so len bytes hold them all. Returns NULL when out
 * of memory.
 */
static char **cgi_build_env(const uint8_t *params, size_t len, size_t pairs)
{
	struct fcgi_nv nv;
	size_t count = 0;
	ssize_t n;

	char **envp = malloc((pairs + 1) * sizeof(char *) + len);
	if (envp == NULL)
		return NULL;
	char *p = (char *)(envp + pairs + 1);
	for (size_t off = 0; off < len; off += (size_t)n) {
		n = fcgi_nv_decode(params + off, len - off, &nv);
		if (n <= 0)
			break;	/* cannot happen: the stream was validated */
		if (!cgi_param_kept(&nv))
			continue;
		envp[count++] = p;
		p = mempcpy(p, nv.name, nv.name_len);
		*p++ = '=';
		p = mempcpy(p, nv.value, nv.value_len);
		*p++ = '\0';
	}
	envp[count] = NULL;
	return envp;
}

/*
 * A param becomes an environment variable unless it cannot be one (empty
 * name, '=' or NUL in the name, NUL in the value) or is HTTP_PROXY (a
 * client's "Proxy:" header: the "httpoxy" hole, RFC 3875 leaves HTTP_* to
 * the client). A variable the function's env sets is dropped by the
 * spawner: the configuration wins over the request.
 */
static bool cgi_param_kept(const struct fcgi_nv *nv)
{
	static const char proxy[] = "HTTP_PROXY";

	if (nv->name_len == 0 || memchr(nv->name, '=', nv->name_len) != NULL ||
	    memchr(nv->name, '\0', nv->name_len) != NULL ||
	    memchr(nv->value, '\0', nv->value_len) != NULL)
		return false;
	return nv->name_len != sizeof(proxy) - 1 || memcmp(nv->name, proxy, nv->name_len) != 0;
}

/* Sets the parent's ends non-blocking and starts watching them. */
static void cgi_watch(struct cgi_run *run, int stdin_fd, int stdout_fd, int stderr_fd,
    int exec_error_fd)
{
	fcntl(stdin_fd, F_SETFL, O_NONBLOCK);
	fcntl(stdout_fd, F_SETFL, O_NONBLOCK);
	fcntl(stderr_fd, F_SETFL, O_NONBLOCK);
	ev_io_init(&run->stdin_watcher, cgi_on_stdin, stdin_fd, EV_WRITE);
	ev_io_init(&run->stdout_watcher, cgi_on_stdout, stdout_fd, EV_READ);
	ev_io_init(&run->exec_error_watcher, cgi_on_exec_error, exec_error_fd, EV_READ);
	ev_timer_init(&run->abandon_timer, cgi_on_abandon, 0., 0.);
	run->stdin_watcher.data = run->stdout_watcher.data = run;
	run->exec_error_watcher.data = run->abandon_timer.data = run;
	ev_io_start(run->loop, &run->stdout_watcher);
	stderr_lines_start(&run->stderr_lines, run->loop, stderr_fd, run->child.pid,
	    &run->events->stderr, run->owner);
	ev_io_start(run->loop, &run->exec_error_watcher);
	if (run->body_len > 0)
		ev_io_start(run->loop, &run->stdin_watcher);
	else
		cgi_end_stdin(run);
}

/*
 * Writes what the pipe takes of the body. All written, or the program
 * closed its stdin (EPIPE: a CGI program need not read its body), or any
 * other error: stdin is closed and the body freed.
 */
static void cgi_on_stdin(struct ev_loop *loop, ev_io *io, int revents)
{
	struct cgi_run *run = io->data;
	(void)loop;
	(void)revents;

	ssize_t n = write(io->fd, run->body + run->body_sent, run->body_len - run->body_sent);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		run->body_sent += (size_t)n;
	if (n < 0 || run->body_sent == run->body_len)
		cgi_end_stdin(run);
}

/* Closes the program's stdin (it sees EOF) and frees the body. */
static void cgi_end_stdin(struct cgi_run *run)
{
	cgi_close_io(run, &run->stdin_watcher);
	free(run->body);
	run->body = NULL;
}

/* Hands one read of stdout (up to CGI_CHUNK bytes) to the owner. */
static void cgi_on_stdout(struct ev_loop *loop, ev_io *io, int revents)
{
	struct cgi_run *run = io->data;
	uint8_t chunk[CGI_CHUNK];
	(void)loop;
	(void)revents;

	ssize_t n = read(io->fd, chunk, sizeof(chunk));
	if (n > 0) {
		run->events->output(run->owner, chunk, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	cgi_close_io(run, io);
	run->stdout_eof = true;
	cgi_maybe_finish(run);
}

/*
 * Reaped. The error pipe is read first, so spawn_failed() comes before
 * done(); done() waits for stdout's EOF too.
 */
static void cgi_on_exit(struct spawner_watch *watch, int status)
{
	struct cgi_run *run = watch->data;

	run->reaped = true;
	run->status = status;
	if (run->exec_error_watcher.fd >= 0)
		cgi_on_exec_error(run->loop, &run->exec_error_watcher, EV_READ);
	cgi_maybe_finish(run);
}

/* cgi_signal after the program exited: what holds stdout is not waited for. */
static void cgi_on_abandon(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct cgi_run *run = timer->data;
	(void)loop;
	(void)revents;

	cgi_close_io(run, &run->stdout_watcher);
	run->stdout_eof = true;
	cgi_maybe_finish(run);
}

/*
 * The close-on-exec pipe: EOF means exec succeeded; a struct spawn_error
 * says which sandbox step, or the exec itself, failed and why.
 */
static void cgi_on_exec_error(struct ev_loop *loop, ev_io *io, int revents)
{
	struct cgi_run *run = io->data;
	char message[PATH_MAX + 64];
	(void)loop;
	(void)revents;

	int rc = spawner_exec_error(io->fd, run->argv0, message, sizeof(message));
	if (rc < 0)
		return;
	cgi_close_io(run, &run->exec_error_watcher);
	if (rc > 0 && run->events->spawn_failed != NULL)
		run->events->spawn_failed(run->owner, message);
}

/* Stops watching io and closes its descriptor, if still open. */
static void cgi_close_io(struct cgi_run *run, ev_io *io)
{
	ev_io_stop(run->loop, io);
	if (io->fd >= 0)
		close(io->fd);
	ev_io_set(io, -1, io->events & (EV_READ | EV_WRITE));
}

/*
 * done() once both the child was reaped and stdout ended, whichever came
 * last. It is the last thing any of our callbacks does: the owner may free
 * the run inside it (every watcher is stopped by then).
 */
static void cgi_maybe_finish(struct cgi_run *run)
{
	if (!run->reaped || !run->stdout_eof || run->done)
		return;
	cgi_teardown(run, true);
	run->done = true;
	run->events->done(run->owner, run->status);
}

/*
 * Stops every watcher and closes every descriptor. flush_stderr reads what
 * is left on stderr first (STDERR_FINISH_MAX bytes at most: a process the
 * program started may still hold it, and what it writes later is lost).
 */
static void cgi_teardown(struct cgi_run *run, bool flush_stderr)
{
	spawner_unwatch(run->spawner, &run->exit_watch);
	ev_timer_stop(run->loop, &run->abandon_timer);
	if (flush_stderr)
		stderr_lines_finish(&run->stderr_lines);
	else
		stderr_lines_stop(&run->stderr_lines);
	cgi_end_stdin(run);
	cgi_close_io(run, &run->stdout_watcher);
	cgi_close_io(run, &run->exec_error_watcher);
}

pid_t cgi_pid(const struct cgi_run *run)
{
	return run->child.pid;
}

void cgi_pause(struct cgi_run *run)
{
	ev_io_stop(run->loop, &run->stdout_watcher);
}

/*
 * Nothing read is ever held back (each read goes straight to output()), so
 * resuming only re-arms the watcher: no callback runs inside this call.
 */
void cgi_resume(struct cgi_run *run)
{
	if (run->stdout_watcher.fd >= 0 && !run->done)
		ev_io_start(run->loop, &run->stdout_watcher);
}

/*
 * Before the reaping, signals the program and its process group (its own
 * session's: the spawner signals only children it has not reaped, so
 * neither id can have been reused). After it, whatever the program left
 * holding its stdout is no longer waited for: done() follows from a 0 s
 * timer, never inside this call.
 */
void cgi_signal(struct cgi_run *run, int sig)
{
	if (run->done)
		return;
	if (!run->reaped) {
		spawner_signal(run->spawner, run->child.id, sig, true);
		return;
	}
	ev_timer_start(run->loop, &run->abandon_timer);
}

/*
 * Frees a run. Meant for after done(); before it (gatewayd exiting), the
 * program is killed and no event follows: libev still reaps the zombie.
 */
void cgi_free(struct cgi_run *run)
{
	if (run == NULL)
		return;
	if (!run->done) {
		cgi_signal(run, SIGKILL);
		cgi_teardown(run, false);
	}
	free(run);
}
