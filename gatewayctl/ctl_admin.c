/*
 * ctl_admin.c: the operator's commands: reload (and wait for its outcome),
 * check-config (gatewayd -t on the same file) and top (a live view of the
 * pools, refreshed from /_gateway/status).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"

/* Functions top follows at most (more are shown without rates). */
#define TOP_ROWS_MAX 64

/* One function's numbers at the previous refresh, to turn counters into rates. */
struct top_row {
	char name[64];
	json_int_t requests;
	json_int_t buckets[32];
};

static int cmd_reload(struct ctl *ctl, int argc, char **argv);
static int cmd_check_config(struct ctl *ctl, int argc, char **argv);
static int cmd_top(struct ctl *ctl, int argc, char **argv);
static void top_draw(const json_t *status, struct top_row *rows, size_t *row_count,
    double elapsed);
static const char *top_p99(const json_t *f, const json_t *bounds, const struct top_row *before,
    char *out, size_t len);
static bool top_quit_pressed(double seconds);
static int reload_refused(const struct ctl *ctl);
static void top_on_interrupt(int sig);

/* Ctrl-C: top ends its loop and gives the terminal back as it was. */
static volatile sig_atomic_t top_interrupted;

const struct ctl_command ctl_admin_commands[] = {
	{ "reload", "", "Reloads gatewayd's configuration (as SIGHUP does) and waits for the "
	  "outcome:\nexit 0 when it was taken, 1 when gatewayd refused it (its log says why; the\n"
	  "running configuration stays).", cmd_reload },
	{ "check-config", "", "Checks the configuration file (-c) as gatewayd -t does; exit 0 "
	  "when it is valid,\n1 with every error as file:line.", cmd_check_config },
	{ "top", "[-d SECONDS] [-n COUNT]", "A live view of every function, refreshed each "
	  "SECONDS (default 1): requests/s,\np99 latency, busy workers, wait queue, async queue. "
	  "q or Ctrl-C quits;\n-n stops after COUNT refreshes.", cmd_top },
	{ NULL, NULL, NULL, NULL },
};

static int cmd_reload(struct ctl *ctl, int argc, char **argv)
{
	(void)argv;

	if (argc != 1)
		return ctl_error(CTL_USAGE, "reload takes no arguments");
	int rc = ctl_reload(ctl);
	if (rc == CTL_OK)
		puts(ctl->json ? "{\"reloaded\":true}" : "reloaded");
	return rc;
}

int ctl_reload(struct ctl *ctl)
{
	const struct admin_call call = { .method = "POST", .path = "/_gateway/reload" };
	struct admin_reply reply;
	json_t *answer, *status = NULL;
	int rc = ctl_call(ctl, &call, &reply);

	if (rc != CTL_OK)
		return rc;
	answer = json_loadb((const char *)buf_head(&reply.body), buf_used(&reply.body), 0, NULL);
	int code = reply.status;
	admin_reply_free(&reply);
	if (code != 202 || answer == NULL) {
		json_decref(answer);
		return ctl_error(CTL_FAILED, "gatewayd did not take the reload (status %d)", code);
	}
	json_int_t done = ctl_num(answer, "reloads"), refused = ctl_num(answer, "reload_failures");
	json_decref(answer);
	for (double deadline = admin_now() + ctl->timeout; admin_now() < deadline;) {
		if ((rc = ctl_get_json(ctl, "/_gateway/status", NULL, &status)) != CTL_OK)
			return rc;
		json_int_t d = ctl_num(status, "reloads"), r = ctl_num(status, "reload_failures");
		json_decref(status);
		if (r > refused)
			return reload_refused(ctl);
		if (d > done)
			return CTL_OK;
		poll(NULL, 0, 50);
	}
	return ctl_error(CTL_FAILED, "the reload did not finish within %.0f s", ctl->timeout);
}

/* Says why, as far as our own reading of the file tells (gatewayd's log has its own). */
static int reload_refused(const struct ctl *ctl)
{
	struct gateway_conf *conf = NULL;
	char err[8192] = "";

	if (ctl->socket_given)	/* -a: which file gatewayd read is not ours to know */
		return ctl_error(CTL_FAILED, "gatewayd refused the new configuration; the running "
		    "one stays. Its log says why.");
	if (config_load_without_secrets(ctl->config_path, &conf, err, sizeof(err)) == 0)
		config_free(conf);
	return ctl_error(CTL_FAILED, "gatewayd refused the new configuration; the running one "
	    "stays.%s%s", err[0] != '\0' ? " The file says:\n" : " Its log says why.", err);
}

/* Runs the gatewayd beside us with -t: it reads and reports exactly as at start. */
static int cmd_check_config(struct ctl *ctl, int argc, char **argv)
{
	(void)argv;

	if (argc != 1)
		return ctl_error(CTL_USAGE, "check-config takes no arguments (the file is -c)");
	fflush(stdout);
	execl(ctl->gatewayd_path, "gatewayd", "-t", "-c", ctl->config_path, (char *)NULL);
	return ctl_error(CTL_UNREACHABLE, "cannot run %s: %s", ctl->gatewayd_path, strerror(errno));
}

static int cmd_top(struct ctl *ctl, int argc, char **argv)
{
	double interval = 1;
	long count = -1;
	struct top_row rows[TOP_ROWS_MAX];
	size_t row_count = 0;
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-d") == 0 && i + 1 < argc && (interval = atof(argv[++i])) > 0)
			continue;
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc && (count = atol(argv[++i])) > 0)
			continue;
		return ctl_error(CTL_USAGE, "top: bad argument \"%s\" (-d SECONDS, -n COUNT)", argv[i]);
	}
	signal(SIGINT, top_on_interrupt);
	signal(SIGTERM, top_on_interrupt);
	if (tty) {	/* keys without Enter, not echoed: q quits */
		raw = saved;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	int rc = CTL_OK;
	double last = 0;
	for (long n = 0; count < 0 || n < count; n++) {
		json_t *status;
		if ((rc = ctl_get_json(ctl, "/_gateway/status", NULL, &status)) != CTL_OK)
			break;
		double now = admin_now();
		top_draw(status, rows, &row_count, last > 0 ? now - last : 0);
		last = now;
		json_decref(status);
		if ((count < 0 || n + 1 < count) && top_quit_pressed(interval))
			break;
		if (top_interrupted)
			break;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	return rc;
}

/* One screen: the header, then a line per function with its rates since the last one. */
static void top_draw(const json_t *status, struct top_row *rows, size_t *row_count,
    double elapsed)
{
	const json_t *bounds = json_object_get(status, "duration_bounds");
	size_t i;
	json_t *f;

	printf("\033[H\033[2Jgatewayd %s  pid %lld  up %llds  connections %lld\n\n",
	    json_string_value(json_object_get(status, "version")),
	    (long long)ctl_num(status, "pid"), (long long)ctl_num(status, "uptime_seconds"),
	    (long long)ctl_num(status, "connections"));
	printf("%-20s %9s %9s %11s %9s %11s %10s\n", "FUNCTION", "REQ/S", "P99", "BUSY/MAX",
	    "QUEUE", "ASYNC", "REQUESTS");
	json_array_foreach(json_object_get(status, "functions"), i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		struct top_row *before = NULL;
		for (size_t r = 0; r < *row_count && before == NULL; r++)
			before = strcmp(rows[r].name, name) == 0 ? &rows[r] : NULL;
		if (before == NULL && *row_count < TOP_ROWS_MAX) {
			before = &rows[(*row_count)++];
			snprintf(before->name, sizeof(before->name), "%s", name);
			before->requests = -1;	/* no rate before a second look */
		}
		json_int_t requests = ctl_num(f, "requests");
		char rate[24] = "-", p99[24] = "-", busy[24], queue[24], async[24] = "-";
		if (before != NULL && before->requests >= 0 && elapsed > 0) {
			snprintf(rate, sizeof(rate), "%.1f", (double)(requests - before->requests) / elapsed);
			top_p99(f, bounds, before, p99, sizeof(p99));
		}
		snprintf(busy, sizeof(busy), "%lld/%lld", (long long)ctl_num(f, "workers.busy"),
		    (long long)ctl_num(f, "workers.max"));
		snprintf(queue, sizeof(queue), "%lld", (long long)ctl_num(f, "queue.depth"));
		if (json_object_get(f, "async") != NULL)
			snprintf(async, sizeof(async), "%lld/%lld", (long long)ctl_num(f, "async.queued"),
			    (long long)ctl_num(f, "async.running"));
		printf("%-20s %9s %9s %11s %9s %11s %10lld\n", name, rate, p99, busy, queue, async,
		    (long long)requests);
		if (before != NULL) {
			before->requests = requests;
			size_t b;
			json_t *v;
			json_array_foreach(json_object_get(f, "duration_buckets"), b, v) {
				if (b < sizeof(before->buckets) / sizeof(before->buckets[0]))
					before->buckets[b] = json_integer_value(v);
			}
		}
	}
	printf("\nq quits\n");
	fflush(stdout);
}

/*
 * The 99th percentile of the requests since the last refresh, as the upper
 * bound of the bucket it falls in ("<= 25ms"); "-" when none ended.
 */
static const char *top_p99(const json_t *f, const json_t *bounds, const struct top_row *before,
    char *out, size_t len)
{
	const json_t *buckets = json_object_get(f, "duration_buckets");
	size_t n = json_array_size(buckets);
	json_int_t total = ctl_num(f, "requests") - before->requests;

	if (total <= 0 || n == 0 || n > sizeof(before->buckets) / sizeof(before->buckets[0]))
		return out;
	for (size_t b = 0; b < n; b++) {
		json_int_t within = json_integer_value(json_array_get(buckets, b)) - before->buckets[b];
		if ((double)within >= 0.99 * (double)total) {
			double s = json_number_value(json_array_get(bounds, b));
			if (s < 1)
				snprintf(out, len, "<=%gms", s * 1000);
			else
				snprintf(out, len, "<=%gs", s);
			return out;
		}
	}
	snprintf(out, len, ">%gs", json_number_value(json_array_get(bounds, n - 1)));
	return out;
}

/* Waits seconds for a key on stdin: true when it was q (or stdin closed on a tty). */
static bool top_quit_pressed(double seconds)
{
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	double until = admin_now() + seconds;

	for (double left = seconds; left > 0 && !top_interrupted; left = until - admin_now()) {
		if (!isatty(STDIN_FILENO) || poll(&p, 1, (int)(left * 1000) + 1) <= 0) {
			if (!isatty(STDIN_FILENO))
				poll(NULL, 0, (int)(left * 1000) + 1);
			return false;
		}
		char c;
		if (read(STDIN_FILENO, &c, 1) <= 0 || c == 'q' || c == 'Q')
			return true;
	}
	return false;
}

static void top_on_interrupt(int sig)
{
	(void)sig;
	top_interrupted = 1;
}
