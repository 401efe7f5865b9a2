/*
 * fuzz_front.c: libFuzzer target for the web-server side as a whole: the
 * connection state machine (gatewayd/front.c), requests (request.c), the
 * router, gatewayd's own answers and the job API, with real workers.
 *
 * LLVMFuzzerInitialize starts a gateway in this process the way main.c
 * does (startup.h), without the pid file and without dropping root: a
 * configuration in a temp dir with [hello] and [echo] (async = on, its
 * journal there with fsync off), whose
 * workers the real spawner starts from build/functions/. Each input is the
 * byte stream of one web-server connection: it is handed to front.c as an
 * accepted socket (one end of a socketpair), written in the pieces the
 * socket takes while the loop runs, and gatewayd's answers are read and
 * dropped. Once every routed request is over (or nothing moved for
 * SETTLE_QUIET), the client end is closed and the loop runs until the
 * connection is freed. ASan, UBSan and the daemon's own aborts on
 * impossible states are the oracle; a connection still open after the
 * deadline aborts too (gatewayd must close a connection whose peer left).
 */
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include "config.h"
#include "gateway.h"
#include "listener.h"
#include "log.h"
#include "startup.h"

/* Seconds an input may take to be written and answered. */
#define INPUT_DEADLINE 2.0
/* Seconds without a byte from gatewayd after which a routed request is left
 * unfinished (its body never came): the input is over. */
#define SETTLE_QUIET 0.005
/* Seconds gatewayd gets to free the connection once the client is gone. */
#define CLOSE_DEADLINE 2.0

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gateway gw;
static ev_timer tick;		/* bounds every ev_run(EVRUN_ONCE) below */
static char tmp[] = "/tmp/fuzz_front.XXXXXX";

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* At exit: the temp dir goes (the workers went with the spawner). */
static void remove_tmp(void)
{
	nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_tick(struct ev_loop *loop, ev_timer *timer, int revents)
{
	(void)loop;
	(void)timer;
	(void)revents;
}

/* Writes the configuration for functions in dir (build/functions) into tmp. */
static void write_config(const char *tmp, const char *functions, char *path, size_t len)
{
	snprintf(path, len, "%s/gatewayd.ini", tmp);
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fprintf(f,
	    "[global]\n"
	    "listen = %s/gw.sock\n"
	    "run_dir = %s/run\n"
	    "log_level = error\n"
	    "async.journal = %s/journal\n"
	    "async.fsync = off\n"
	    "[hello]\n"
	    "exec = %s/hello\n"
	    "pm.max_children = 1\n"
	    "[echo]\n"
	    "exec = %s/echo\n"
	    "pm.max_children = 1\n"
	    "async = on\n"
	    "async.queue_size = 16\n"
	    "async.result_ttl = 1\n",
	    tmp, tmp, tmp, functions, functions);
	fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char self[PATH_MAX], functions[PATH_MAX + 16], config[PATH_MAX], err[8192];
	(void)argc;

	if (realpath((*argv)[0], self) == NULL || mkdtemp(tmp) == NULL) {
		perror("fuzz_front");
		exit(1);
	}
	atexit(remove_tmp);
	snprintf(functions, sizeof(functions), "%s/../functions", dirname(self));
	write_config(tmp, functions, config, sizeof(config));
	gw.config_path = strdup(config);
	if (config_load_without_secrets(gw.config_path, &gw.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_front: %s", err);
		exit(1);
	}
	log_set_level(gw.conf->log_level);
	signal(SIGPIPE, SIG_IGN);
	if (startup_spawner(&gw, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_front: %s\n", err);
		exit(1);
	}
	gw.loop = EV_DEFAULT;
	if (startup_listen(&gw, err, sizeof(err)) < 0 ||
	    startup_functions(&gw, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_front: %s\n", err);
		exit(1);
	}
	ev_timer_init(&tick, on_tick, 0.001, 0.001);
	ev_timer_start(gw.loop, &tick);
	return 0;
}

/* Reads and drops what gatewayd answered. Returns 1 if any came, -1 at EOF, else 0. */
static int drain(int fd)
{
	uint8_t sink[65536];
	int got = 0;
	ssize_t n;

	while ((n = read(fd, sink, sizeof(sink))) > 0)
		got = 1;
	if (n == 0)
		return -1;
	return got;
}

/* No request that chose a function is still open. */
static bool functions_idle(void)
{
	for (size_t i = 0; i < gw.conf->function_count; i++) {
		if (gw.functions[i]->refs > 0)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage peer = { .ss_family = AF_UNIX };
	ev_tstamp deadline, quiet_since;
	size_t off = 0;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	gw.listener_ops->accepted(gw.listener_owner, sv[1], &peer, false);
	ev_now_update(gw.loop);
	deadline = ev_now(gw.loop) + INPUT_DEADLINE;
	quiet_since = ev_now(gw.loop);
	while (ev_now(gw.loop) < deadline) {
		if (off < size) {
			ssize_t n = write(sv[0], data + off, size - off);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				break;	/* gatewayd closed the connection */
		}
		int answered = drain(sv[0]);
		if (answered < 0)
			break;
		if (answered > 0)
			quiet_since = ev_now(gw.loop);
		if (off == size && (functions_idle() ||
		    ev_now(gw.loop) - quiet_since > SETTLE_QUIET))
			break;
		ev_run(gw.loop, EVRUN_ONCE);
	}
	close(sv[0]);
	deadline = ev_now(gw.loop) + CLOSE_DEADLINE;
	while (gw.conn_count > 0 && ev_now(gw.loop) < deadline)
		ev_run(gw.loop, EVRUN_ONCE);
	if (gw.conn_count > 0) {
		fprintf(stderr, "fuzz_front: the connection stayed open after its peer left\n");
		abort();
	}
	return 0;
}
