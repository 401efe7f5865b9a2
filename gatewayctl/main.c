/*
 * main.c: gatewayctl's entry point: global options, the command table and
 * --help. What the commands share is ctl.c's.
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_DEFAULT_CONFIG "/etc/gatewayd/gatewayd.ini"

static const struct ctl_command *const command_tables[] = {
	ctl_status_commands, ctl_job_commands, ctl_admin_commands, ctl_deploy_commands,
};

static void usage(FILE *out);
static const struct ctl_command *find_command(const char *name);
static bool wants_help(int argc, char **argv);
static const char *sibling_gatewayd(void);

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "admin-socket", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl ctl = { .config_path = CTL_DEFAULT_CONFIG, .timeout = 10 };
	int opt;

	while ((opt = getopt_long(argc, argv, "+c:a:jt:h", options, NULL)) != -1) {
		switch (opt) {
		case 'c': ctl.config_path = optarg; break;
		case 'a': ctl.socket_path = optarg; ctl.socket_given = true; break;
		case 'j': ctl.json = true; break;
		case 't':
			if ((ctl.timeout = atof(optarg)) <= 0)
				return ctl_error(CTL_USAGE, "--timeout %s: not a positive number", optarg);
			break;
		case 'h': usage(stdout); return CTL_OK;
		default: usage(stderr); return CTL_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CTL_USAGE;
	}
	const struct ctl_command *cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		ctl_error(CTL_USAGE, "unknown command \"%s\"", argv[optind]);
		usage(stderr);
		return CTL_USAGE;
	}
	if (wants_help(argc - optind, argv + optind)) {
		printf("usage: gatewayctl [options] %s %s\n\n%s\n", cmd->name, cmd->usage, cmd->help);
		return CTL_OK;
	}
	ctl.gatewayd_path = sibling_gatewayd();
	return cmd->run(&ctl, argc - optind, argv + optind);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: gatewayctl [-c CONFIG | -a SOCKET] [--json] [--timeout S] COMMAND ...\n\n"
	    "  -c, --config CONFIG        gatewayd's configuration (default %s):\n"
	    "                             its admin_listen is the socket used\n"
	    "  -a, --admin-socket SOCKET  the admin socket itself\n"
	    "  --json                     machine output, one JSON value\n"
	    "  --timeout S                seconds to wait for each answer (default 10)\n\n"
	    "commands:\n", CTL_DEFAULT_CONFIG);
	for (size_t t = 0; t < sizeof(command_tables) / sizeof(command_tables[0]); t++) {
		for (const struct ctl_command *c = command_tables[t]; c->name != NULL; c++)
			fprintf(out, "  %-14s %s\n", c->name, c->usage);
	}
	fprintf(out, "\n`gatewayctl COMMAND --help` says what each does. Exit codes: 0 done, "
	    "1 gatewayd said no,\n2 bad usage, 3 gatewayd unreachable, 4 no such job or function.\n");
}

static const struct ctl_command *find_command(const char *name)
{
	for (size_t t = 0; t < sizeof(command_tables) / sizeof(command_tables[0]); t++) {
		for (const struct ctl_command *c = command_tables[t]; c->name != NULL; c++) {
			if (strcmp(c->name, name) == 0)
				return c;
		}
	}
	return NULL;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

/* gatewayd in the directory this executable is in, else the one on PATH. */
static const char *sibling_gatewayd(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		const char *dir = dirname(self);
		snprintf(path, sizeof(path), "%s/gatewayd", dir);
		if (access(path, X_OK) == 0)
			return path;
		/* installed: gatewayctl in PREFIX/bin, gatewayd in PREFIX/sbin */
		snprintf(path, sizeof(path), "%s/../sbin/gatewayd", dir);
		if (access(path, X_OK) == 0)
			return path;
	}
	return "gatewayd";
}
