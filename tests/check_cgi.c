/*
 * check_cgi.c: mode = cgi (fcgi-pool/cgi.c), with real /bin/sh scripts.
 * Each test writes its script into a fresh mkdtemp() directory, builds the
 * request gatewayd would send a worker with the codec's encoders (PARAMS
 * split into tiny records, so pairs straddle them), and runs the default
 * libev loop until done(). Every test also checks that the run leaves no
 * descriptor open.
 *
 * Programs are started as gatewayd starts them, by a spawner process
 * (fcgi-pool/spawner.h), here one per run, serving a table of one function,
 * "fn", whose spec each test sets before the spawner is forked.
 */
#include "cgi.h"
#include "fcgi.h"
#include "pool.h"
#include "spawner.h"
#include "spawner_stub.h"

#include <check.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_LINES 16
#define PARAMS_RECORD 5		/* bytes of PARAMS stream per record */

static char tmpdir[] = "/tmp/check_cgi.XXXXXX";

/* What a run reported. */
struct outcome {
	struct cgi_run *run;
	uint8_t *out;
	size_t out_len;
	char *lines[MAX_LINES];		/* the first stderr lines */
	bool cut[MAX_LINES];		/* each one's cut flag */
	size_t line_count;		/* kept in lines[] */
	size_t lines_seen;		/* stderr lines handed over, kept or not */
	unsigned long dropped;		/* stderr lines reported dropped */
	unsigned dropped_reports;
	char spawn_message[512];
	int status;
	int done_count;
	bool pause_each_chunk;		/* pause after every output(), resume 1 ms later */
	bool paused;
	bool output_while_paused;	/* output() came while paused: a bug */
	unsigned pauses;
	ev_timer resume_timer;
};

/* ---- the request, as gatewayd sends it to a worker ------------------------ */

/* Appends one record per chunk of at most max bytes, then an empty one. */
static void append_stream(uint8_t **buf, size_t *len, uint8_t type, const uint8_t *data,
    size_t data_len, size_t max)
{
	size_t n;

	for (size_t off = 0; off <= data_len; off += n) {
		n = data_len - off < max ? data_len - off : max;
		*buf = realloc(*buf, *len + FCGI_HEADER_LEN + n);
		ck_assert_ptr_nonnull(*buf);
		ck_assert_uint_eq(fcgi_record_encode(*buf + *len, FCGI_HEADER_LEN + n, type,
		    POOL_REQUEST_ID, data + off, n), FCGI_HEADER_LEN + n);
		*len += FCGI_HEADER_LEN + n;
		if (n == 0)
			break;	/* the empty record that ends the stream */
	}
}

/* Pairs as "NAME", "VALUE", ..., NULL; value lengths from strlen unless in vlens. */
static uint8_t *build_request(const char *const *pairs, const size_t *vlens,
    const uint8_t *body, size_t body_len, size_t *len)
{
	uint8_t params[4096];
	size_t plen = 0;
	uint8_t *req = malloc(16);

	ck_assert_ptr_nonnull(req);
	*len = fcgi_begin_request_encode(req, 16, POOL_REQUEST_ID, FCGI_RESPONDER, FCGI_KEEP_CONN);
	for (size_t i = 0; pairs != NULL && pairs[i] != NULL; i += 2) {
		size_t vlen = vlens != NULL && vlens[i / 2] > 0 ? vlens[i / 2] : strlen(pairs[i + 1]);
		size_t n = fcgi_nv_encode(params + plen, sizeof(params) - plen, pairs[i],
		    strlen(pairs[i]), pairs[i + 1], vlen);
		ck_assert_uint_gt(n, 0);
		plen += n;
	}
	append_stream(&req, len, FCGI_PARAMS, params, plen, PARAMS_RECORD);
	append_stream(&req, len, FCGI_STDIN, body, body_len, FCGI_MAX_LENGTH);
	return req;
}

/* ---- the owner's side ------------------------------------------------------ */

static void on_resume(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct outcome *o = timer->data;
	(void)loop;
	(void)revents;

	o->paused = false;
	cgi_resume(o->run);
}

static void on_output(void *owner, const uint8_t *data, size_t len)
{
	struct outcome *o = owner;

	if (o->paused)
		o->output_while_paused = true;
	o->out = realloc(o->out, o->out_len + len);
	ck_assert_ptr_nonnull(o->out);
	memcpy(o->out + o->out_len, data, len);
	o->out_len += len;
	if (o->pause_each_chunk) {
		cgi_pause(o->run);
		o->paused = true;
		o->pauses++;
		ev_timer_set(&o->resume_timer, 0.001, 0.);
		ev_timer_start(EV_DEFAULT, &o->resume_timer);
	}
}

static void on_stderr_line(void *owner, pid_t pid, const char *line, size_t len, bool cut)
{
	struct outcome *o = owner;

	ck_assert_int_eq(pid, cgi_pid(o->run));
	o->lines_seen++;
	if (o->line_count == MAX_LINES)
		return;
	o->cut[o->line_count] = cut;
	o->lines[o->line_count++] = strndup(line, len);
}

static void on_stderr_dropped(void *owner, pid_t pid, unsigned long count)
{
	struct outcome *o = owner;

	ck_assert_int_eq(pid, cgi_pid(o->run));
	ck_assert_uint_gt(count, 0);
	o->dropped += count;
	o->dropped_reports++;
}

static void on_done(void *owner, int status)
{
	struct outcome *o = owner;

	o->status = status;
	o->done_count++;
	ev_break(EV_DEFAULT, EVBREAK_ALL);
}

static void on_spawn_failed(void *owner, const char *message)
{
	struct outcome *o = owner;

	snprintf(o->spawn_message, sizeof(o->spawn_message), "%s", message);
}

static const struct cgi_events events = {
	.output = on_output,
	.stderr = { .line = on_stderr_line, .dropped = on_stderr_dropped },
	.done = on_done,
	.spawn_failed = on_spawn_failed,
};

static void on_deadline(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)timer;
	(void)revents;
	ck_abort_msg("no done() within 20 s");
}

/* ---- helpers ----------------------------------------------------------------- */

static char *write_script(const char *name, const char *text)
{
	char *path;

	ck_assert_int_gt(asprintf(&path, "%s/%s", tmpdir, name), 0);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(chmod(path, 0755), 0);
	return path;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static const struct sandbox_spec no_sandbox;

static struct spawn_spec test_spec;
static const struct stub_function test_function = { "fn", &test_spec };

/*
 * Starts path for the request, with fenv (or nothing) as the function's
 * own environment, optionally calls act() once the run exists, runs the
 * loop until done(), frees the run and the spawner, and checks done() came
 * once and no descriptor was left open.
 */
static void run_cgi(const char *path, char *const *fenv, const uint8_t *req, size_t req_len,
    struct outcome *o, void (*act)(struct outcome *))
{
	static char *const no_env[] = { NULL };
	struct ev_loop *loop = EV_DEFAULT;
	char *argv[] = { (char *)path, NULL };
	char err[256] = "";
	ev_timer deadline;

	int fds_before = open_fds();
	test_spec = (struct spawn_spec){ .argv = argv, .envp = fenv != NULL ? fenv : no_env,
					 .sandbox = &no_sandbox, .takes_env = true };
	stub_functions = &test_function;
	stub_function_count = 1;
	struct spawner *spawner = spawner_start(&stub_table, NULL, err, sizeof(err));
	ck_assert_msg(spawner != NULL, "spawner_start: %s", err);
	spawner_attach(spawner, loop, NULL, NULL);
	struct cgi_program program = { .spawner = spawner, .generation = 1, .function = "fn",
				       .program = path };
	ev_timer_init(&o->resume_timer, on_resume, 0., 0.);
	o->resume_timer.data = o;
	o->run = cgi_start(loop, &program, req, req_len, &events, o, err, sizeof(err));
	ck_assert_msg(o->run != NULL, "cgi_start: %s", err);
	ck_assert_int_gt(cgi_pid(o->run), 0);
	if (act != NULL)
		act(o);
	ev_timer_init(&deadline, on_deadline, 20., 0.);
	ev_timer_start(loop, &deadline);
	ev_run(loop, 0);
	ev_timer_stop(loop, &deadline);
	ev_timer_stop(loop, &o->resume_timer);
	ck_assert_int_eq(o->done_count, 1);
	cgi_free(o->run);
	spawner_close(spawner);
	ck_assert_int_eq(open_fds(), fds_before);
}

static bool contains(const struct outcome *o, const char *s)
{
	return memmem(o->out, o->out_len, s, strlen(s)) != NULL;
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(test_environment)
{
	static const char *const pairs[] = {
		"REQUEST_METHOD", "POST",
		"QUERY_STRING", "a=1&b=2",
		"CONTENT_LENGTH", "0",
		"HTTP_PROXY", "http://evil.example:3128",
		"FUNCTION_VAR", "from-request",
		"LD_PRELOAD", "/tmp/evil.so",
		"GCONV_PATH", "/tmp/evil",
		"BAD=NAME", "x",
		"NULVALUE", "a\0b",
		NULL,
	};
	static const size_t vlens[] = { 0, 0, 0, 0, 0, 0, 0, 0, 3 };
	char *fenv[] = { "FUNCTION_VAR=from-config", "OTHER=1", NULL };
	char *path = write_script("env.sh", "#!/bin/sh\n"
	    "printf 'Content-Type: text/plain\\r\\n\\r\\n'\n"
	    "env\n"
	    "echo \"proxy=${HTTP_PROXY-unset}\"\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(pairs, vlens, NULL, 0, &len);

	run_cgi(path, fenv, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert(o.out_len > 28 && memcmp(o.out, "Content-Type: text/plain\r\n\r\n", 28) == 0);
	ck_assert(contains(&o, "\nREQUEST_METHOD=POST\n"));
	ck_assert(contains(&o, "\nQUERY_STRING=a=1&b=2\n"));
	ck_assert(contains(&o, "\nCONTENT_LENGTH=0\n"));
	ck_assert(contains(&o, "\nFUNCTION_VAR=from-config\n"));
	ck_assert(contains(&o, "\nOTHER=1\n"));
	ck_assert(contains(&o, "\nproxy=unset\n"));
	ck_assert(!contains(&o, "evil"));
	ck_assert(!contains(&o, "from-request"));
	ck_assert(!contains(&o, "LD_PRELOAD"));	/* the spawner drops loader variables */
	ck_assert(!contains(&o, "GCONV_PATH"));
	ck_assert(!contains(&o, "NAME="));
	ck_assert(!contains(&o, "NULVALUE"));
	ck_assert_str_eq(o.spawn_message, "");
	free(req);
	free(o.out);
	free(path);
}
END_TEST

/* 1 MiB through cat: partial writes on a full pipe, 64 KiB output chunks. */
START_TEST(test_body_through_cat)
{
	static const char *const pairs[] = { "CONTENT_LENGTH", "1048576", NULL };
	size_t body_len = 1 << 20, len;
	uint8_t *body = malloc(body_len);
	char *path = write_script("cat.sh", "#!/bin/sh\nexec cat\n");
	struct outcome o = { 0 };

	ck_assert_ptr_nonnull(body);
	srandom(42);
	for (size_t i = 0; i < body_len; i++)
		body[i] = (uint8_t)random();
	uint8_t *req = build_request(pairs, NULL, body, body_len, &len);
	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert_uint_eq(o.out_len, body_len);
	ck_assert(memcmp(o.out, body, body_len) == 0);
	free(req);
	free(body);
	free(o.out);
	free(path);
}
END_TEST

/* The program answers without reading a 1 MiB body: EPIPE ends the writing. */
START_TEST(test_exit_before_reading_body)
{
	size_t body_len = 1 << 20, len;
	uint8_t *body = calloc(1, body_len);
	char *path = write_script("early.sh", "#!/bin/sh\n"
	    "printf 'Status: 204 No Content\\r\\n\\r\\n'\nexit 0\n");
	struct outcome o = { 0 };

	ck_assert_ptr_nonnull(body);
	uint8_t *req = build_request(NULL, NULL, body, body_len, &len);
	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert_uint_eq(o.out_len, 26);
	ck_assert(memcmp(o.out, "Status: 204 No Content\r\n\r\n", 26) == 0);
	free(req);
	free(body);
	free(o.out);
	free(path);
}
END_TEST

/*
 * Lines, a 3000-byte line cut at 1 KiB (its rest skipped), a line of
 * exactly 1 KiB (not cut), and a last line without newline.
 */
START_TEST(test_stderr_lines)
{
	char *path = write_script("stderr.sh", "#!/bin/sh\n"
	    "echo one >&2\necho two >&2\n"
	    "head -c 3000 /dev/zero | tr '\\0' x >&2\necho >&2\n"
	    "head -c 1024 /dev/zero | tr '\\0' y >&2\necho >&2\n"
	    "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'\n"
	    "printf tail >&2\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert_uint_eq(o.line_count, 5);
	ck_assert_str_eq(o.lines[0], "one");
	ck_assert_str_eq(o.lines[1], "two");
	ck_assert_uint_eq(strlen(o.lines[2]), 1024);
	ck_assert_uint_eq(strspn(o.lines[2], "x"), 1024);
	ck_assert(o.cut[2]);
	ck_assert_uint_eq(strlen(o.lines[3]), 1024);
	ck_assert_uint_eq(strspn(o.lines[3], "y"), 1024);
	ck_assert(!o.cut[3]);
	ck_assert_str_eq(o.lines[4], "tail");
	ck_assert(!o.cut[0] && !o.cut[1] && !o.cut[4]);
	ck_assert_uint_eq(o.dropped_reports, 0);
	ck_assert(contains(&o, "\r\n\r\nok\n"));
	for (size_t i = 0; i < o.line_count; i++)
		free(o.lines[i]);
	free(req);
	free(o.out);
	free(path);
}
END_TEST

/*
 * 250 lines at once: STDERR_LINES_PER_WINDOW of them are handed over, the
 * rest counted, and the count reported once (at the end, if not before).
 */
START_TEST(test_stderr_rate_limit)
{
	char *path = write_script("burst.sh", "#!/bin/sh\n"
	    "i=0; while [ $i -lt 250 ]; do echo \"line $i\" >&2; i=$((i + 1)); done\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert_uint_eq(o.lines_seen + o.dropped, 250);
	ck_assert_uint_ge(o.lines_seen, STDERR_LINES_PER_WINDOW);
	ck_assert_uint_gt(o.dropped, 0);
	ck_assert_uint_ge(o.dropped_reports, 1);
	ck_assert_str_eq(o.lines[0], "line 0");
	for (size_t i = 0; i < o.line_count; i++)
		free(o.lines[i]);
	free(req);
	free(o.out);
	free(path);
}
END_TEST

START_TEST(test_exit_status)
{
	char *path = write_script("three.sh", "#!/bin/sh\nexit 3\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status));
	ck_assert_int_eq(WEXITSTATUS(o.status), 3);
	ck_assert_uint_eq(o.out_len, 0);
	free(req);
	free(path);
}
END_TEST

START_TEST(test_missing_program)
{
	char *path;
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	ck_assert_int_gt(asprintf(&path, "%s/missing", tmpdir), 0);
	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert_msg(strncmp(o.spawn_message, "cannot exec ", 12) == 0, "%s", o.spawn_message);
	ck_assert(strstr(o.spawn_message, path) != NULL);
	ck_assert(strstr(o.spawn_message, "No such file") != NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 127);
	free(req);
	free(path);
}
END_TEST

/* cgi_start must refuse the request with a reason, starting nothing. */
static void expect_refused(const char *what, const uint8_t *req, size_t len)
{
	struct cgi_program program = { .function = "fn", .program = "/bin/true" };
	struct outcome o = { 0 };
	char err[256] = "";

	struct cgi_run *run = cgi_start(EV_DEFAULT, &program, req, len, &events, &o, err,
	    sizeof(err));
	ck_assert_msg(run == NULL, "%s: accepted", what);
	ck_assert_msg(err[0] != '\0', "%s: no error message", what);
}

START_TEST(test_malformed_requests)
{
	static const char *const pairs[] = { "REQUEST_METHOD", "GET", NULL };
	static const uint8_t cut_pair[] = { 10, 10, 'N', 'A' };	/* claims 20 bytes */
	uint8_t bad[64];
	size_t len, n;
	uint8_t *req = build_request(pairs, NULL, NULL, 0, &len);
	uint8_t *twice = malloc(2 * len);

	ck_assert_ptr_nonnull(twice);
	ck_assert_ptr_nonnull(EV_DEFAULT);	/* the loop's own descriptors exist before */
	int fds_before = open_fds();
	expect_refused("empty", req, 0);
	expect_refused("truncated", req, len - 1);
	expect_refused("no empty STDIN", req, len - FCGI_HEADER_LEN);
	expect_refused("no BEGIN_REQUEST", req + 16, len - 16);
	memcpy(twice, req, len);
	memcpy(twice + len, req, len);
	expect_refused("a record after the empty STDIN", twice, 2 * len);

	n = fcgi_begin_request_encode(bad, sizeof(bad), 1, FCGI_AUTHORIZER, 0);
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_PARAMS, 1, NULL, 0);
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_STDIN, 1, NULL, 0);
	expect_refused("authorizer role", bad, n);

	n = fcgi_begin_request_encode(bad, sizeof(bad), 1, FCGI_RESPONDER, 0);
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_PARAMS, 1, cut_pair,
	    sizeof(cut_pair));
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_PARAMS, 1, NULL, 0);
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_STDIN, 1, NULL, 0);
	expect_refused("a cut pair in PARAMS", bad, n);

	n = fcgi_begin_request_encode(bad, sizeof(bad), 1, FCGI_RESPONDER, 0);
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_PARAMS, 1, NULL, 0);
	n += fcgi_record_encode(bad + n, sizeof(bad) - n, FCGI_STDIN, 2, NULL, 0);
	expect_refused("STDIN with another id", bad, n);

	ck_assert_int_eq(open_fds(), fds_before);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);	/* no child was started */
	free(twice);
	free(req);
}
END_TEST

/* 4 MiB of output, paused after every chunk: nothing comes while paused. */
START_TEST(test_pause_resume)
{
	char *path = write_script("big.sh", "#!/bin/sh\n"
	    "printf 'Content-Type: application/octet-stream\\r\\n\\r\\n'\n"
	    "exec head -c 4194304 /dev/zero\n");
	struct outcome o = { .pause_each_chunk = true };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert(!o.output_while_paused);
	ck_assert_uint_eq(o.out_len, 42 + 4194304);
	ck_assert_uint_ge(o.pauses, 4194304 / 65536);
	free(req);
	free(o.out);
	free(path);
}
END_TEST

static void pause_now(struct outcome *o)
{
	cgi_pause(o->run);
	o->paused = true;
	ev_timer_set(&o->resume_timer, 0.3, 0.);
	ev_timer_start(EV_DEFAULT, &o->resume_timer);
}

/* Reaped long before its output is read: done() waits for stdout's EOF. */
START_TEST(test_exit_before_output_read)
{
	char *path = write_script("quick.sh", "#!/bin/sh\nprintf 'Status: 200 OK\\r\\n\\r\\nbye\\n'\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	run_cgi(path, NULL, req, len, &o, pause_now);
	ck_assert(!o.output_while_paused);
	ck_assert_uint_eq(o.out_len, 22);
	ck_assert(memcmp(o.out, "Status: 200 OK\r\n\r\nbye\n", 22) == 0);
	free(req);
	free(o.out);
	free(path);
}
END_TEST

/* Closes stdout, then lives on: done() waits for the reaping. */
START_TEST(test_stdout_closed_before_exit)
{
	char *path = write_script("close.sh", "#!/bin/sh\nprintf 'Status: 200 OK\\r\\n\\r\\n'\n"
	    "exec >&-\nsleep 0.3\nexit 5\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 5);
	ck_assert_uint_eq(o.out_len, 18);
	free(req);
	free(o.out);
	free(path);
}
END_TEST

static void on_kill(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)revents;
	cgi_signal(((struct outcome *)timer->data)->run, SIGKILL);
}

/*
 * The shell waits on a sleep that also holds stdout: only killing the
 * process group ends the run before the sleep would.
 */
START_TEST(test_signal_kills)
{
	char *path = write_script("sleep.sh", "#!/bin/sh\nsleep 30\n");
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);
	ev_timer kill_timer;

	ev_timer_init(&kill_timer, on_kill, 0.2, 0.);
	kill_timer.data = &o;
	ev_timer_start(EV_DEFAULT, &kill_timer);
	ev_tstamp start = ev_time();
	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFSIGNALED(o.status));
	ck_assert_int_eq(WTERMSIG(o.status), SIGKILL);
	ck_assert(ev_time() - start < 5.);
	free(req);
	free(path);
}
END_TEST

/* functions/hello-cgi.sh answers with the same bytes as functions/hello. */
START_TEST(test_hello_cgi)
{
	static const char hello[] = "Content-Type: text/plain\r\n\r\nhello, world\n";
	char path[4096];
	struct outcome o = { 0 };
	size_t len;
	uint8_t *req = build_request(NULL, NULL, NULL, 0, &len);

	ck_assert_ptr_nonnull(getcwd(path, sizeof(path) - 32));
	strcat(path, "/functions/hello-cgi.sh");
	ck_assert_msg(access(path, X_OK) == 0, "%s not executable (run from the repository)", path);
	run_cgi(path, NULL, req, len, &o, NULL);
	ck_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == 0);
	ck_assert_uint_eq(o.out_len, sizeof(hello) - 1);
	ck_assert(memcmp(o.out, hello, o.out_len) == 0);
	free(req);
	free(o.out);
}
END_TEST

static Suite *cgi_suite(void)
{
	Suite *s = suite_create("cgi");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_body_through_cat);
	tcase_add_test(tc, test_exit_before_reading_body);
	tcase_add_test(tc, test_stderr_lines);
	tcase_add_test(tc, test_stderr_rate_limit);
	tcase_add_test(tc, test_exit_status);
	tcase_add_test(tc, test_missing_program);
	tcase_add_test(tc, test_malformed_requests);
	tcase_add_test(tc, test_pause_resume);
	tcase_add_test(tc, test_exit_before_output_read);
	tcase_add_test(tc, test_stdout_closed_before_exit);
	tcase_add_test(tc, test_signal_kills);
	tcase_add_test(tc, test_hello_cgi);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* As in gatewayd: a program that stops reading its body is EPIPE, not death. */
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}

	SRunner *sr = srunner_create(cgi_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);

	char *cmd;
	if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0) {
		int ignored = system(cmd);
		(void)ignored;
		free(cmd);
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
