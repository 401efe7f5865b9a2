/*
 * main.c: gatewayd's entry point: arguments, configuration, start-up,
 * signals and shutdown. Only start-up may exit the daemon on an error.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "access_log.h"
#include "async.h"
#include "front.h"
#include "function_set.h"
#include "gateway.h"
#include "identities.h"
#include "log.h"
#include "notify.h"
#include "pidfile.h"
#include "privileges.h"
#include "reload.h"
#include "socket_activation.h"
#include "startup.h"
#include "worker_spec.h"

#define GATEWAYD_DEFAULT_CONFIG "/etc/gatewayd/gatewayd.ini"
#ifndef GATEWAYD_VERSION
#define GATEWAYD_VERSION "unknown"	/* the Makefile sets it */
#endif
/* Seconds workers get to exit after SIGTERM before they are killed. */
#define GATEWAYD_STOP_GRACE 3.0

static void usage(FILE *out);
static int load_config(const char *path, bool without_secrets, struct gateway_conf **conf);
static int check_config(const char *config_path);
static void report_start_failure(const char *why);
static void on_spawner_died(void *owner, int status);
static void watch_signals(struct gateway *gw, ev_signal *signals);
static void on_signal(struct ev_loop *loop, ev_signal *sig, int revents);
static void begin_drain(struct gateway *gw);
static void on_drain_expired(struct ev_loop *loop, ev_timer *timer, int revents);
static void begin_shutdown(struct gateway *gw);
static void on_stop_grace_expired(struct ev_loop *loop, ev_timer *timer, int revents);
static void on_stop_check(struct ev_loop *loop, ev_prepare *check, int revents);

/* The signals gatewayd acts on. */
static const int gatewayd_signals[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 };
#define GATEWAYD_SIGNAL_COUNT (sizeof(gatewayd_signals) / sizeof(gatewayd_signals[0]))

int main(int argc, char **argv)
{
	const char *config_path = GATEWAYD_DEFAULT_CONFIG, *command = NULL;
	bool test_only = false;
	char err[8192];
	int opt;

	while ((opt = getopt(argc, argv, "c:ts:hv")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 't': test_only = true; break;
		case 's': command = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'v': printf("gatewayd %s\n", GATEWAYD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || (command != NULL && strcmp(command, "reload") != 0 &&
				  strcmp(command, "stop") != 0)) {
		usage(stderr);
		return 2;
	}

	if (test_only)
		return check_config(config_path);
	struct gateway gw = { .config_path = config_path, .version = GATEWAYD_VERSION,
		.started_at = ev_time() };
	if (load_config(config_path, true, &gw.conf) < 0)
		return 1;
	if (command != NULL) {
		int status = pidfile_signal(gw.conf->pid_file, config_path,
		    strcmp(command, "reload") == 0 ? SIGHUP : SIGTERM);
		config_free(gw.conf);
		return status;
	}
	notify_take_socket();	/* before the spawner forks: it and the workers never see it */
	socket_activation_take();	/* LISTEN_FDS: likewise */
	/* Our name, whatever the binary is called: what `gatewayd -s` checks. */
	prctl(PR_SET_NAME, "gatewayd");
	umask(077);
	log_set_level(gw.conf->log_level);
	if (gw.conf->log_syslog != NULL && log_use_syslog(gw.conf->log_syslog) < 0)
		log_warn("log = syslog: cannot connect to %s (%s): logging to stderr until it can",
		    gw.conf->log_syslog, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	int spawned = startup_spawner(&gw, err, sizeof(err));
	notify_connect();	/* after the spawner's fork: it holds no notify socket */
	if (spawned < 0) {
		report_start_failure(err);
		config_free(gw.conf);
		return 1;
	}

	gw.loop = EV_DEFAULT;
	/* The first observer of every finished request: gatewayd_requests_total and its durations. */
	request_observers_add(&gw.request_observers,
	    (struct request_observer){ metrics_on_request, &gw.metrics });
	ev_signal signals[GATEWAYD_SIGNAL_COUNT];
	watch_signals(&gw, signals);
	spawner_attach(gw.spawner, gw.loop, on_spawner_died, &gw);

	if (startup_listen(&gw, err, sizeof(err)) < 0 ||
	    pidfile_write(gw.conf->pid_file, err, sizeof(err)) < 0 ||
	    access_log_start(&gw, err, sizeof(err)) < 0 ||
	    privileges_drop(&gw.identity, err, sizeof(err)) < 0 ||
	    startup_functions(&gw, err, sizeof(err)) < 0) {
		report_start_failure(err);
		gw.exit_status = 1;
		begin_shutdown(&gw);
	} else {
		log_info("gatewayd started: %zu functions from %s", gw.conf->function_count,
		    config_path);
		notify_send("READY=1\nSTATUS=serving %zu functions from %s",
		    gw.conf->function_count, config_path);
	}
	ev_run(gw.loop, 0);
	async_free(&gw);
	nats_credentials_free(&gw.nats_credentials);
	function_set_free_all(&gw);
	if (gw.generation != NULL)
		generation_unref(gw.generation);
	else
		config_free(gw.conf);
	spawner_close(gw.spawner);
	access_log_close(&gw);
	metrics_free(&gw.metrics);
	if (gw.exit_status == 0)
		log_info("gatewayd stopped");
	return gw.exit_status;
}

/* Start-up failed: why, in the log and to systemd. */
static void report_start_failure(const char *why)
{
	log_error("cannot start: %s", why);
	notify_send("STATUS=cannot start: %s", why);
}

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: gatewayd [-htv] [-c config] [-s reload|stop]\n"
	    "  -c config  configuration file (default " GATEWAYD_DEFAULT_CONFIG ")\n"
	    "  -t         check the configuration and exit\n"
	    "  -s reload  tell the running gatewayd (its [global] pid file) to reload\n"
	    "  -s stop    tell it to finish its requests and stop\n"
	    "  -v         print the version and exit\n"
	    "  -h         print this help and exit\n"
	    "gatewayd runs in the foreground and logs to stderr. SIGHUP reloads the\n"
	    "configuration; SIGTERM finishes open requests (up to shutdown_timeout) and\n"
	    "stops; SIGINT or SIGQUIT stop at once. See gatewayd(8).\n");
}
/*
 * Loads path (without_secrets: the daemon's reading, env_file not read),
 * printing every error as file:line. Returns 0 or -1.
 */
static int load_config(const char *path, bool without_secrets, struct gateway_conf **conf)
{
	char err[8192];
	int rc = without_secrets ? config_load_without_secrets(path, conf, err, sizeof(err)) :
	    config_load(path, conf, err, sizeof(err));

	if (rc == 0)
		return 0;
	fprintf(stderr, "%s", err);
	if (err[0] != '\0' && err[strlen(err) - 1] != '\n')
		fputc('\n', stderr);
	fprintf(stderr, "gatewayd: configuration %s has errors\n", path);
	return -1;
}

/*
 * gatewayd -t: the configuration as the spawner reads it (env_file
 * included), then what start-up would refuse: identities that cannot be
 * (a function with gatewayd's own user), seccomp policies that do not
 * build. Checked as a start as root would (the usual case), printing who
 * each function runs as. Returns the exit status.
 */
static int check_config(const char *config_path)
{
	struct identity_policy policy;
	struct gateway_conf *conf;
	char err[8192] = "";
	int bad = 0;

	if (load_config(config_path, false, &conf) < 0)
		return 1;
	if (identity_policy_init(&policy, conf, true, err, sizeof(err)) < 0 ||
	    identities_assign(conf, &policy, err, sizeof(err)) > 0) {
		fprintf(stderr, "%s%s", err, err[0] != '\0' && err[strlen(err) - 1] == '\n' ? "" :
		    "\n");
		bad = 1;
	}
	for (size_t i = 0; i < conf->function_count && !bad; i++) {
		const struct function_conf *fc = &conf->functions[i];
		struct worker_spec ws;
		if (worker_spec_build(&ws, fc, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s:%u: [%s]: %s\n", fc->file, fc->line, fc->name, err);
			bad = 1;
		} else {
			printf("function %s runs as uid %u gid %u%s\n", fc->name,
			    (unsigned)fc->sandbox.runs_as.uid, (unsigned)fc->sandbox.runs_as.gid,
			    fc->sandbox.runs_as.dynamic ? " (a dynamic user of its own)" : "");
		}
		worker_spec_free(&ws);
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
 * The spawner ended (nobody but root can kill it; a bug, or the operator):
 * its workers died with it and no new one can start, so gatewayd stops.
 */
static void on_spawner_died(void *owner, int status)
{
	struct gateway *gw = owner;

	if (WIFSIGNALED(status))
		log_error("the spawner was killed by signal %d (%s): no worker can start; "
		    "stopping", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		log_error("the spawner exited with status %d: no worker can start; stopping",
		    WEXITSTATUS(status));
	gw->exit_status = 1;
	begin_shutdown(gw);
}

static void watch_signals(struct gateway *gw, ev_signal *signals)
{
	for (size_t i = 0; i < GATEWAYD_SIGNAL_COUNT; i++) {
		ev_signal_init(&signals[i], on_signal, gatewayd_signals[i]);
		signals[i].data = gw;
		ev_signal_start(gw->loop, &signals[i]);
	}
}

static void on_signal(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct gateway *gw = sig->data;
	(void)loop;
	(void)revents;

	switch (sig->signum) {
	case SIGHUP:
		if (!gw->draining && !gw->stopping) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
			    (unsigned long long)now.tv_sec * 1000000ULL +
			    (unsigned long long)now.tv_nsec / 1000, gw->config_path);
			bool taken = reload_config(gw);
			if (taken)
				gw->metrics.reloads++;
			else
				gw->metrics.reload_failures++;
			async_reloaded(gw);
			notify_send("READY=1\nSTATUS=%s: %zu functions from %s", taken ? "reloaded" :
			    "reload refused (see the log), the running configuration stays",
			    gw->conf->function_count, gw->config_path);
		}
		return;
	case SIGUSR1:
		access_log_reopen(gw);	/* logrotate's postrotate */
		return;
	case SIGTERM:
		log_info("SIGTERM: finishing open requests, then stopping");
		begin_drain(gw);
		return;
	default:
		log_info("signal %d (%s): stopping now", sig->signum, strsignal(sig->signum));
		begin_shutdown(gw);
		return;
	}
}

/*
 * SIGTERM: no new connection; open requests and running async jobs finish
 * (connections close as they do; queued jobs stay in the journal for the
 * next start), for shutdown_timeout at most; then the workers stop.
 */
static void begin_drain(struct gateway *gw)
{
	if (gw->draining || gw->stopping)
		return;
	notify_send("STOPPING=1\nSTATUS=finishing open requests, then stopping");
	front_drain(gw);
	if (gw->conf->shutdown_timeout > 0) {
		ev_timer_init(&gw->drain_timer, on_drain_expired, gw->conf->shutdown_timeout, 0.);
		gw->drain_timer.data = gw;
		ev_timer_start(gw->loop, &gw->drain_timer);
	}
	ev_prepare_init(&gw->stop_check, on_stop_check);
	ev_set_priority(&gw->stop_check, EV_MINPRI);	/* after front.c's, which frees connections */
	gw->stop_check.data = gw;
	ev_prepare_start(gw->loop, &gw->stop_check);
}

static void on_drain_expired(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct gateway *gw = timer->data;
	(void)loop;
	(void)revents;

	log_warn("requests still open after shutdown_timeout (%.0f s): stopping anyway",
	    gw->conf->shutdown_timeout);
	begin_shutdown(gw);
}

/*
 * Closes every connection, asks every worker to exit, and leaves the loop
 * once all are reaped (SIGKILL after a grace).
 */
static void begin_shutdown(struct gateway *gw)
{
	if (gw->stopping)
		return;
	gw->stopping = true;
	if (!gw->draining)	/* a drain said STOPPING already */
		notify_send("STOPPING=1\nSTATUS=stopping");
	ev_timer_stop(gw->loop, &gw->drain_timer);
	front_shutdown(gw);
	async_stop(gw);
	function_set_stop_all(gw);
	ev_timer_init(&gw->stop_grace, on_stop_grace_expired, GATEWAYD_STOP_GRACE, 0.);
	gw->stop_grace.data = gw;
	ev_timer_start(gw->loop, &gw->stop_grace);
	if (!ev_is_active(&gw->stop_check)) {
		ev_prepare_init(&gw->stop_check, on_stop_check);
		ev_set_priority(&gw->stop_check, EV_MINPRI);
		gw->stop_check.data = gw;
		ev_prepare_start(gw->loop, &gw->stop_check);
	}
}

static void on_stop_grace_expired(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct gateway *gw = timer->data;
	(void)loop;
	(void)revents;

	log_warn("workers still running %.0f s after SIGTERM: killing them", GATEWAYD_STOP_GRACE);
	function_set_kill_all(gw);
}

/*
 * Before the loop sleeps, while draining or stopping (a prepare watcher: a
 * check watcher runs before the iteration's events, and the loop could then
 * sleep with the last worker's exit just handled): a drain is over once no
 * connection and no running async job is left; a stop once no worker is.
 */
static void on_stop_check(struct ev_loop *loop, ev_prepare *check, int revents)
{
	struct gateway *gw = check->data;
	(void)revents;

	if (!gw->stopping && gw->conn_count == 0 && async_running(gw) == 0)
		begin_shutdown(gw);
	if (gw->stopping && function_set_live_workers(gw) == 0)
		ev_break(loop, EVBREAK_ALL);
}
