/*
 * main.c: gatewayd's entry point: arguments, configuration, start-up,
 * signals and shutdown. Only start-up may exit the daemon on an error.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "front.h"
#include "gateway.h"
#include "log.h"
#include "privileges.h"

#define GATEWAYD_DEFAULT_CONFIG "/etc/gatewayd/gatewayd.ini"
/* Seconds workers get to exit after SIGTERM before they are killed. */
#define GATEWAYD_STOP_GRACE 3.0

static void usage(FILE *out);
static int check_functions(struct gateway_conf *conf, const char *config_path);
static int prepare_run_dir(const struct gateway_conf *conf, char *err, size_t err_len);
static int start_functions(struct gateway *gw, char *err, size_t err_len);
static void begin_shutdown(struct gateway *gw);
static void on_stop_signal(struct ev_loop *loop, ev_signal *sig, int revents);
static void on_stop_grace_expired(struct ev_loop *loop, ev_timer *timer, int revents);
static void on_stop_check(struct ev_loop *loop, ev_check *check, int revents);
static unsigned live_workers(const struct gateway *gw);
static void free_gateway(struct gateway *gw);

int main(int argc, char **argv)
{
	const char *config_path = GATEWAYD_DEFAULT_CONFIG;
	bool test_only = false;
	char err[8192];
	int opt;

	while ((opt = getopt(argc, argv, "c:th")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 't': test_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	struct gateway gw = { 0 };
	if (config_load(config_path, &gw.conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s", err);
		if (err[0] != '\0' && err[strlen(err) - 1] != '\n')
			fputc('\n', stderr);
		fprintf(stderr, "gatewayd: configuration %s has errors\n", config_path);
		return 1;
	}
	if (test_only)
		return check_functions(gw.conf, config_path);
	log_set_level(gw.conf->log_level);
	signal(SIGPIPE, SIG_IGN);

	gw.loop = EV_DEFAULT;
	ev_signal sigterm, sigint;
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	sigterm.data = sigint.data = &gw;
	ev_signal_start(gw.loop, &sigterm);
	ev_signal_start(gw.loop, &sigint);

	int status = 0;
	if (prepare_run_dir(gw.conf, err, sizeof(err)) < 0 || front_start(&gw, err, sizeof(err)) < 0 ||
	    privileges_drop(gw.conf, err, sizeof(err)) < 0 ||
	    start_functions(&gw, err, sizeof(err)) < 0) {
		log_error("cannot start: %s", err);
		status = 1;
		begin_shutdown(&gw);
	} else {
		log_info("gatewayd started: %zu functions from %s", gw.conf->function_count,
		    config_path);
	}
	ev_run(gw.loop, 0);
	free_gateway(&gw);
	if (status == 0)
		log_info("gatewayd stopped");
	return status;
}

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewayd [-t] [-c config]\n"
	    "  -c config  configuration file (default " GATEWAYD_DEFAULT_CONFIG ")\n"
	    "  -t         check the configuration and exit\n"
	    "gatewayd runs in the foreground and logs to stderr; SIGTERM or SIGINT stops it.\n");
}

/*
 * gatewayd -t: past the configuration itself, what start-up would refuse:
 * seccomp policies that do not build, workers that would run as root.
 * Prints each problem as file:line of its function. Returns the exit status.
 */
static int check_functions(struct gateway_conf *conf, const char *config_path)
{
	uid_t uid = privileges_final_uid(conf);
	int bad = 0;

	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *fc = &conf->functions[i];
		struct function fn;
		char err[512];
		if (function_init(&fn, EV_DEFAULT, fc, conf->run_dir, uid, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s:%u: [%s]: %s\n", fc->file, fc->line, fc->name, err);
			bad = 1;
		}
		function_destroy(&fn);
	}
	if (bad) {
		fprintf(stderr, "gatewayd: configuration %s has errors\n", config_path);
	} else {
		printf("gatewayd: configuration %s is ok (%zu functions)\n", config_path,
		    conf->function_count);
	}
	config_free(conf);
	return bad;
}

/*
 * The directory for the workers' sockets: created 0700 when missing (its
 * missing parents 0755) and given to the user gatewayd will run as; it must
 * be that user's and closed to group and others, since whoever can connect
 * to a worker's socket can run requests past gatewayd.
 */
static int prepare_run_dir(const struct gateway_conf *conf, char *err, size_t err_len)
{
	const char *path = conf->run_dir;
	uid_t uid = privileges_final_uid(conf);
	struct stat st;
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s", path);
	for (char *slash = strchr(parent + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
			snprintf(err, err_len, "run_dir %s: cannot create %s: %s", path, parent,
			    strerror(errno));
			return -1;
		}
		*slash = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_len, "run_dir %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "run_dir %s: not a directory", path);
		return -1;
	}
	if (st.st_uid != uid && geteuid() == 0 && chown(path, uid, conf->identity.gid) == 0)
		st.st_uid = uid;
	if (st.st_uid != uid || (st.st_mode & 077) != 0) {
		snprintf(err, err_len, "run_dir %s: must be owned by uid %d with mode 0700",
		    path, (int)uid);
		return -1;
	}
	return 0;
}

static int start_functions(struct gateway *gw, char *err, size_t err_len)
{
	const struct gateway_conf *conf = gw->conf;

	gw->functions = calloc(conf->function_count, sizeof(*gw->functions));
	if (gw->functions == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < conf->function_count; i++) {
		struct function *fn = &gw->functions[i];
		char why[512];
		const struct function_conf *fc = &conf->functions[i];
		if (function_init(fn, gw->loop, fc, conf->run_dir, geteuid(), why, sizeof(why)) < 0 ||
		    function_start(fn, why, sizeof(why)) < 0) {
			snprintf(err, err_len, "%s:%u: function %s: %s", fc->file, fc->line, fc->name,
			    why);
			return -1;
		}
		log_info("function %s: %u workers of %s", conf->functions[i].name,
		    conf->functions[i].max_children, conf->functions[i].argv[0]);
	}
	return 0;
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct gateway *gw = sig->data;
	(void)loop;
	(void)revents;

	log_info("signal %d (%s): stopping", sig->signum, strsignal(sig->signum));
	begin_shutdown(gw);
}

/*
 * Stops accepting, closes web-server connections, asks every worker to
 * exit, and leaves the loop once all are reaped (SIGKILL after a grace).
 */
static void begin_shutdown(struct gateway *gw)
{
	if (gw->stopping)
		return;
	gw->stopping = true;
	front_shutdown(gw);
	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i].pool != NULL)
			pool_stop(gw->functions[i].pool);
	}
	ev_timer_init(&gw->stop_grace, on_stop_grace_expired, GATEWAYD_STOP_GRACE, 0.);
	gw->stop_grace.data = gw;
	ev_timer_start(gw->loop, &gw->stop_grace);
	ev_check_init(&gw->stop_check, on_stop_check);
	gw->stop_check.data = gw;
	ev_check_start(gw->loop, &gw->stop_check);
	ev_feed_event(gw->loop, &gw->stop_check, EV_CHECK);
}

static void on_stop_grace_expired(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct gateway *gw = timer->data;
	(void)loop;
	(void)revents;

	log_warn("workers still running %.0f s after SIGTERM: killing them", GATEWAYD_STOP_GRACE);
	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i].pool != NULL)
			pool_kill(gw->functions[i].pool);
	}
}

/* After every loop iteration while stopping: done once no worker is left. */
static void on_stop_check(struct ev_loop *loop, ev_check *check, int revents)
{
	(void)revents;

	if (live_workers(check->data) == 0)
		ev_break(loop, EVBREAK_ALL);
}

static unsigned live_workers(const struct gateway *gw)
{
	unsigned n = 0;

	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++) {
		if (gw->functions[i].pool != NULL)
			n += pool_live_workers(gw->functions[i].pool);
	}
	return n;
}

static void free_gateway(struct gateway *gw)
{
	for (size_t i = 0; gw->functions != NULL && i < gw->conf->function_count; i++)
		function_destroy(&gw->functions[i]);
	free(gw->functions);
	config_free(gw->conf);
}
