/*
 * ctl.h: what gatewayctl's commands share: where the admin socket is, how
 * to print, and the exit codes (documented in gatewayctl(1)).
 */
#ifndef GATEWAYCTL_CTL_H
#define GATEWAYCTL_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "admin_client.h"

/* Exit codes: what a script may rely on. */
enum ctl_exit {
	CTL_OK = 0,		/* done; for invoke, the function answered 2xx */
	CTL_FAILED = 1,		/* gatewayd said no: a refused reload, a failed job, a non-2xx */
	CTL_USAGE = 2,		/* bad command line */
	CTL_UNREACHABLE = 3,	/* no admin socket, no answer, or a broken one */
	CTL_NOT_FOUND = 4,	/* no such job or function */
};

struct ctl {
	const char *config_path;	/* -c, or gatewayd's default */
	const char *socket_path;	/* -a, else the config's admin_listen (once read) */
	bool socket_given;		/* -a: the configuration is not read for it */
	const char *gatewayd_path;	/* the gatewayd beside this gatewayctl (check-config) */
	bool json;			/* --json: machine output */
	double timeout;			/* --timeout: seconds for each exchange */
};

/* One command: its name, its usage line, its help, and what runs it. */
struct ctl_command {
	const char *name;
	const char *usage;		/* the arguments, after the name */
	const char *help;
	int (*run)(struct ctl *ctl, int argc, char **argv);	/* argv[0] is the name */
};

extern const struct ctl_command ctl_status_commands[];	/* status, functions, workers, metrics, ping */
extern const struct ctl_command ctl_job_commands[];	/* job, cancel, invoke */
extern const struct ctl_command ctl_admin_commands[];	/* reload, check-config, top */
extern const struct ctl_command ctl_deploy_commands[];	/* deploy, remove */

/*
 * Has gatewayd reload and waits for the outcome: CTL_OK when it took the
 * configuration, else an exit code with the reason printed.
 */
int ctl_reload(struct ctl *ctl);

/*
 * The admin socket's path: -a, else admin_listen from the configuration.
 * NULL with the reason on stderr.
 */
const char *ctl_socket(struct ctl *ctl);

/*
 * Sends call to gatewayd; on failure prints why and returns CTL_UNREACHABLE,
 * else CTL_OK with reply filled (the caller frees it).
 */
int ctl_call(struct ctl *ctl, const struct admin_call *call, struct admin_reply *reply);

/*
 * GET path (?query) and parses its JSON body into *out (the caller frees
 * it). Returns CTL_OK, or an exit code with *out NULL and the reason printed
 * (but for CTL_NOT_FOUND, a 404, which the caller words).
 */
int ctl_get_json(struct ctl *ctl, const char *path, const char *query, json_t **out);

/* The number at a dotted path ("workers.busy") of object, truncated; 0 when absent. */
json_int_t ctl_num(const json_t *object, const char *path);

/* Writes b's bytes to out (none for an empty one). */
void ctl_write(FILE *out, const struct buf *b);

/* Prints a JSON value as one line on stdout (--json output). */
void ctl_print_json(const json_t *value);

/* Prints "gatewayctl: " and the message on stderr; returns code. */
int ctl_error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* GATEWAYCTL_CTL_H */
