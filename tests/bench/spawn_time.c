/*
 * spawn_time: cold start to first response of one worker, per seccomp profile.
 *
 *	build/spawn_time [HELLO]	(HELLO: default build/functions/hello)
 *
 * For each profile in {off, default, strict}, N times (env SPAWN_N, default
 * 100), through the same code gatewayd uses (a spawner process serving one
 * function per profile, fcgi-pool's worker_socket_start and
 * worker_socket_connect, the filter from syscall_filter_build):
 *
 *   t0  just before worker_socket_start(): socket + bind + listen, the
 *       request to the spawner, its fork, the child's sandbox (only the
 *       filter is set: no rlimits, no identity change, so "off" still sets
 *       PR_SET_NO_NEW_PRIVS, as gatewayd does), execve, the dynamic loader
 *       and libfcgi's start-up;
 *   then worker_socket_connect() and one FastCGI request (BEGIN_REQUEST with
 *   POOL_REQUEST_ID, PARAMS with SCRIPT_NAME, empty PARAMS, empty STDIN),
 *   read until END_REQUEST;
 *   t1  END_REQUEST read.
 *
 * t1 - t0 (CLOCK_MONOTONIC) is one sample. The worker is then stopped
 * (SIGTERM through the spawner until it reports the exit; SIGKILL after 2 s)
 * outside the timed part. The profiles
 * take turns (off, default, strict, off, ...) so that a drift of the machine
 * favours none, after a few untimed warm-up spawns each.
 *
 * Prints one line per profile (median, p90, min, mean in ms) and the ratios
 * default/off and strict/off; lines start with a keyword so scripts/bench.sh
 * can pick them. Exit status 0, or 1 when any spawn, request or worker
 * failed (a worker killed by SIGSYS, for one), 2 on bad usage.
 *
 * Sockets live in a mkdtemp directory under $TMPDIR (or /tmp), removed at
 * the end. Built by hand for now (see docs/bench.md):
 *   cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Icommon -Ifcgi-pool \
 *      tests/bench/spawn_time.c build/libgatewayd.a -lev -linih -lseccomp -lm -o build/spawn_time
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fcgi.h"
#include "pool.h"
#include "sandbox.h"
#include "spawner.h"
#include "syscall_filter.h"
#include "worker_socket.h"
#include "../spawner_stub.h"

#define PROFILES 3
#define WARMUP 5		/* untimed spawns per profile */
#define MAX_N 100000
#define REQUEST_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 2000

static const char *const profile_names[PROFILES] = { "off", "default", "strict" };

/* The spawner's table: one function per profile, named after it. */
static struct spawn_spec specs[PROFILES];
static struct stub_function functions[PROFILES];

/* A worker's exit, as the spawner reports it. */
struct exit_seen {
	bool done;
	int status;
};

static void on_exited(struct spawner_watch *watch, int status)
{
	struct exit_seen *e = watch->data;

	e->done = true;
	e->status = status;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The one request, encoded once: BEGIN_REQUEST, PARAMS, empty PARAMS, empty STDIN. */
static size_t build_request(uint8_t *out, size_t cap)
{
	static const char name[] = "SCRIPT_NAME", value[] = "/hello";
	uint8_t nv[64];
	size_t n = 0, k, nv_len;

	nv_len = fcgi_nv_encode(nv, sizeof(nv), name, sizeof(name) - 1, value, sizeof(value) - 1);
	if (nv_len == 0)
		return 0;
	k = fcgi_begin_request_encode(out, cap, POOL_REQUEST_ID, FCGI_RESPONDER, FCGI_KEEP_CONN);
	if (k == 0)
		return 0;
	n += k;
	if ((k = fcgi_record_encode(out + n, cap - n, FCGI_PARAMS, POOL_REQUEST_ID, nv, nv_len)) == 0)
		return 0;
	n += k;
	if ((k = fcgi_record_encode(out + n, cap - n, FCGI_PARAMS, POOL_REQUEST_ID, NULL, 0)) == 0)
		return 0;
	n += k;
	if ((k = fcgi_record_encode(out + n, cap - n, FCGI_STDIN, POOL_REQUEST_ID, NULL, 0)) == 0)
		return 0;
	return n + k;
}

/* Milliseconds left until deadline (>= 0). */
static int left_ms(double deadline)
{
	double l = deadline - now_ms();

	return l <= 0 ? 0 : (int)l + 1;
}

/*
 * Sends req on fd and reads records until END_REQUEST, watching the spawn's
 * error pipe too (EOF there = exec succeeded; data = the child failed).
 * Returns 0, or -1 with a reason in err.
 */
static int request(int fd, int exec_fd, const uint8_t *req, size_t req_len, char *err,
    size_t err_len)
{
	static uint8_t buf[2 * FCGI_RECORD_MAX];
	size_t sent = 0, have = 0;
	int got_hello = 0;
	double deadline = now_ms() + REQUEST_TIMEOUT_MS;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN | (sent < req_len ? POLLOUT : 0) },
			{ .fd = exec_fd, .events = POLLIN },
		};
		int ms = left_ms(deadline);

		if (ms == 0) {
			snprintf(err, err_len, "no END_REQUEST within %d ms", REQUEST_TIMEOUT_MS);
			return -1;
		}
		if (poll(p, exec_fd >= 0 ? 2 : 1, ms) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, err_len, "poll: %s", strerror(errno));
			return -1;
		}
		if (exec_fd >= 0 && p[1].revents) {
			int r = spawner_exec_error(exec_fd, "the worker", err, err_len);

			if (r > 0)
				return -1;
			if (r == 0)
				exec_fd = -1;	/* exec succeeded; stop watching */
		}
		if (sent < req_len && (p[0].revents & POLLOUT)) {
			ssize_t w = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN && errno != EINTR) {
				snprintf(err, err_len, "send: %s", strerror(errno));
				return -1;
			}
			if (w > 0)
				sent += (size_t)w;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(fd, buf + have, sizeof(buf) - have);

			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					continue;
				snprintf(err, err_len, "read: %s", strerror(errno));
				return -1;
			}
			if (r == 0) {
				snprintf(err, err_len, "worker closed the connection before END_REQUEST");
				return -1;
			}
			have += (size_t)r;
			for (;;) {
				struct fcgi_record rec;
				ssize_t used = fcgi_record_decode(buf, have, &rec);

				if (used < 0) {
					snprintf(err, err_len, "malformed record from the worker");
					return -1;
				}
				if (used == 0)
					break;
				if (rec.header.type == FCGI_STDOUT && rec.header.content_length > 0 &&
				    memmem(rec.content, rec.header.content_length, "hello, world", 12))
					got_hello = 1;
				if (rec.header.type == FCGI_END_REQUEST) {
					if (!got_hello) {
						snprintf(err, err_len, "END_REQUEST without 'hello, world'");
						return -1;
					}
					return 0;
				}
				memmove(buf, buf + used, have - (size_t)used);
				have -= (size_t)used;
			}
			if (have == sizeof(buf)) {
				snprintf(err, err_len, "record larger than the buffer");
				return -1;
			}
		}
	}
}

/*
 * SIGTERM, then SIGKILL after STOP_TIMEOUT_MS, through the spawner, running
 * the loop until it reports the exit. Returns the wait status.
 */
static int stop_worker(struct spawner *sp, struct ev_loop *loop, uint64_t id,
    const struct exit_seen *e)
{
	double deadline = now_ms() + STOP_TIMEOUT_MS;
	bool killed = false;

	spawner_signal(sp, id, SIGTERM, false);
	while (!e->done) {
		if (!killed && now_ms() > deadline) {
			spawner_signal(sp, id, SIGKILL, false);
			killed = true;
		}
		ev_run(loop, EVRUN_NOWAIT);
		if (!e->done)
			nanosleep(&(struct timespec){ .tv_nsec = 200000 }, NULL);
	}
	return e->status;
}

/*
 * One cold start: spawn, connect, request, END_REQUEST. Stores the time in
 * *ms. Returns 0, or -1 with a reason printed.
 */
static int one_spawn(struct spawner *sp, struct ev_loop *loop, const char *sock_path,
    const char *profile, const uint8_t *req, size_t req_len, double *ms)
{
	char err[256] = "";
	struct worker_start ws;
	struct spawner_watch watch = { 0 };
	struct exit_seen seen = { 0 };
	int fd, rc = -1, status;

	double t0 = now_ms();
	if (worker_socket_start(sock_path, sp, 1, profile, &ws, err, sizeof(err)) < 0) {
		fprintf(stderr, "spawn_time: worker_socket_start: %s\n", err);
		return -1;
	}
	watch.data = &seen;
	spawner_watch(sp, &watch, ws.child.id, on_exited);
	fd = worker_socket_connect(sock_path, err, sizeof(err));
	if (fd >= 0 && request(fd, ws.exec_error_fd, req, req_len, err, sizeof(err)) == 0) {
		*ms = now_ms() - t0;
		rc = 0;
	}
	if (rc < 0)
		fprintf(stderr, "spawn_time: %s\n", err);
	if (fd >= 0)
		close(fd);
	status = stop_worker(sp, loop, ws.child.id, &seen);
	close(ws.stderr_fd);
	close(ws.exec_error_fd);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
		fprintf(stderr, "spawn_time: worker %d was killed by seccomp (SIGSYS)\n",
		    (int)ws.child.pid);
		return -1;
	}
	return rc;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[n], p in (0, 100]. */
static double percentile(const double *v, size_t n, double p)
{
	size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

int main(int argc, char **argv)
{
	const char *hello = argc > 1 ? argv[1] : "build/functions/hello";
	const char *n_env = getenv("SPAWN_N"), *tmpdir = getenv("TMPDIR");
	long n = 100;
	char dir[PATH_MAX], sock_path[PATH_MAX + 16], err[512];
	static char hello_path[PATH_MAX];
	char *worker_argv[2] = { hello_path, NULL };
	struct syscall_filter *filters[PROFILES] = { NULL };
	double *samples[PROFILES] = { NULL };
	struct sandbox_spec sandboxes[PROFILES] = { { 0 } };
	static char *const no_env[] = { NULL };
	struct spawner *sp = NULL;
	struct ev_loop *loop = EV_DEFAULT;
	double median[PROFILES], p90[PROFILES];
	uint8_t req[256];
	size_t req_len;
	int failed = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: spawn_time [HELLO]   (env SPAWN_N: spawns per profile)\n");
		return 2;
	}
	if (n_env && *n_env) {
		char *end;

		errno = 0;
		n = strtol(n_env, &end, 10);
		if (errno || *end || n < 1 || n > MAX_N) {
			fprintf(stderr, "spawn_time: SPAWN_N must be 1..%d\n", MAX_N);
			return 2;
		}
	}
	/* argv[0] of the worker: an absolute path, and the pointer the filter checks. */
	if (!realpath(hello, hello_path) || access(hello_path, X_OK) != 0) {
		fprintf(stderr, "spawn_time: %s: not an executable (make all)\n", hello);
		return 2;
	}
	if ((req_len = build_request(req, sizeof(req))) == 0) {
		fprintf(stderr, "spawn_time: could not encode the request\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/gwspawn.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "spawn_time: mkdtemp %s: %s\n", dir, strerror(errno));
		return 2;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/w.sock", dir);
	signal(SIGPIPE, SIG_IGN);	/* the child resets every signal to SIG_DFL */

	for (int p = 0; p < PROFILES; p++) {
		struct syscall_policy policy = {
			.profile = profile_names[p],
			.action = SYSCALL_FILTER_KILL,
			.exec_path = worker_argv[0],	/* the very pointer the spawner execs */
		};

		if (syscall_filter_build(&policy, &filters[p], err, sizeof(err)) < 0) {
			fprintf(stderr, "spawn_time: seccomp = %s: %s\n", profile_names[p], err);
			failed = 2;
			goto out;
		}
		samples[p] = calloc((size_t)n, sizeof(double));
		if (!samples[p]) {
			fprintf(stderr, "spawn_time: out of memory\n");
			failed = 2;
			goto out;
		}
		sandboxes[p].filter = filters[p];
		specs[p] = (struct spawn_spec){ .argv = worker_argv, .envp = no_env,
						.sandbox = &sandboxes[p] };
		functions[p] = (struct stub_function){ profile_names[p], &specs[p] };
	}
	stub_functions = functions;
	stub_function_count = PROFILES;
	if ((sp = spawner_start(&stub_table, NULL, err, sizeof(err))) == NULL) {
		fprintf(stderr, "spawn_time: %s\n", err);
		failed = 2;
		goto out;
	}
	spawner_attach(sp, loop, NULL, NULL);

	/* Warm-up (page cache, loader), then the profiles take turns. */
	for (int i = -WARMUP; i < n && !failed; i++) {
		for (int p = 0; p < PROFILES && !failed; p++) {
			double ms;

			if (one_spawn(sp, loop, sock_path, profile_names[p], req, req_len, &ms) < 0) {
				fprintf(stderr, "spawn_time: seccomp = %s, %s spawn %d failed\n",
				    profile_names[p], i < 0 ? "warm-up" : "timed",
				    i < 0 ? i + WARMUP + 1 : i + 1);
				failed = 1;
			} else if (i >= 0) {
				samples[p][i] = ms;
			}
		}
	}
	if (failed)
		goto out;

	printf("spawn_time: %s, %ld cold starts per profile (interleaved, after %d warm-up each)\n",
	    hello_path, n, WARMUP);
	printf("spawn_time: time from worker_socket_start() to END_REQUEST of the first request, ms\n");
	printf("%-8s %-8s %9s %9s %9s %9s\n", "", "seccomp", "median", "p90", "min", "mean");
	for (int p = 0; p < PROFILES; p++) {
		double sum = 0;

		qsort(samples[p], (size_t)n, sizeof(double), cmp_double);
		for (long i = 0; i < n; i++)
			sum += samples[p][i];
		median[p] = percentile(samples[p], (size_t)n, 50);
		p90[p] = percentile(samples[p], (size_t)n, 90);
		printf("%-8s %-8s %9.3f %9.3f %9.3f %9.3f\n", "profile", profile_names[p], median[p],
		    p90[p], samples[p][0], sum / (double)n);
	}
	for (int p = 1; p < PROFILES; p++)
		printf("%-8s %-8s %9.2f %9.2f   (%s/off)\n", "ratio", profile_names[p],
		    median[p] / median[0], p90[p] / p90[0], profile_names[p]);

out:
	spawner_close(sp);
	for (int p = 0; p < PROFILES; p++) {
		syscall_filter_free(filters[p]);
		free(samples[p]);
	}
	unlink(sock_path);
	if (rmdir(dir) < 0)
		fprintf(stderr, "spawn_time: rmdir %s: %s\n", dir, strerror(errno));
	return failed;
}
