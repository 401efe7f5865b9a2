/*
 * main.c: gatewayctl's entry point: global options, the command table,
 * --help, and what every command shares (ctl.h): finding the admin socket
 * (from the same configuration gatewayd reads), calling it, printing.
 */
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "ctl.h"

#define CTL_DEFAULT_CONFIG "/etc/gatewayd/gatewayd.ini"

static const struct ctl_command *const command_tables[] = {
	ctl_status_commands, ctl_job_commands, ctl_admin_commands,
};

static void usage(FILE *out);
static const struct ctl_command *find_command(const char *name);
static bool wants_help(int argc, char **argv);
static const char *sibling_gatewayd(void);
static int admin_listen_of(void *user, const char *section, const char *name, const char *value);

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
		case 'a': ctl.socket_path = optarg; break;
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

const char *ctl_socket(struct ctl *ctl)
{
	static char path[PATH_MAX];
	struct gateway_conf *conf = NULL;
	char err[8192];

	if (ctl->socket_path != NULL)
		return ctl->socket_path;
	if (config_load_without_secrets(ctl->config_path, &conf, err, sizeof(err)) < 0) {
		/*
		 * A file being edited may be broken and gatewayd still runs on the
		 * last good one: its admin_listen, read as gatewayd would, still
		 * says where (reload must reach gatewayd to be refused there).
		 */
		char value[PATH_MAX] = "", dir[PATH_MAX];
		if (ini_parse(ctl->config_path, admin_listen_of, value) < 0 || value[0] == '\0') {
			ctl_error(CTL_UNREACHABLE, "cannot read %s (use -c CONFIG or -a SOCKET):\n%s",
			    ctl->config_path, err);
			return NULL;
		}
		snprintf(dir, sizeof(dir), "%s", ctl->config_path);
		if (value[0] == '/')
			snprintf(path, sizeof(path), "%s", value);
		else
			snprintf(path, sizeof(path), "%s/%s", dirname(dir), value);
		return ctl->socket_path = path;
	}
	if (conf->admin_listen == NULL) {
		ctl_error(CTL_UNREACHABLE, "%s sets no admin_listen: gatewayd has no admin socket "
		    "(add admin_listen = PATH to [global] and reload)", ctl->config_path);
		config_free(conf);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s", conf->admin_listen);
	config_free(conf);
	return ctl->socket_path = path;
}

/* inih: keeps [global] admin_listen's value in user (PATH_MAX bytes). */
static int admin_listen_of(void *user, const char *section, const char *name, const char *value)
{
	if (strcmp(section, "global") == 0 && strcmp(name, "admin_listen") == 0)
		snprintf(user, PATH_MAX, "%s", value);
	return 1;
}

int ctl_call(struct ctl *ctl, const struct admin_call *call, struct admin_reply *reply)
{
	char err[512];
	const char *socket_path = ctl_socket(ctl);
	struct admin_call c = *call;

	if (socket_path == NULL)
		return CTL_UNREACHABLE;
	c.timeout = ctl->timeout;
	if (admin_request(socket_path, &c, reply, err, sizeof(err)) < 0) {
		admin_reply_free(reply);
		return ctl_error(CTL_UNREACHABLE, "%s", err);
	}
	return CTL_OK;
}

int ctl_get_json(struct ctl *ctl, const char *path, const char *query, json_t **out)
{
	const struct admin_call call = { .method = "GET", .path = path, .query = query };
	struct admin_reply reply;
	json_error_t error;
	int rc = ctl_call(ctl, &call, &reply);

	if (rc != CTL_OK)
		return rc;
	*out = json_loadb((const char *)buf_head(&reply.body), buf_used(&reply.body), 0, &error);
	if (*out == NULL)
		rc = ctl_error(CTL_UNREACHABLE, "%s: status %d, not JSON: %s", path, reply.status,
		    error.text);
	else if (reply.status == 404)
		rc = CTL_NOT_FOUND;
	else if (reply.status >= 300)
		rc = CTL_FAILED;
	admin_reply_free(&reply);
	return rc;
}

void ctl_print_json(const json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT);

	if (text != NULL)
		puts(text);
	free(text);
}

int ctl_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("gatewayctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

json_int_t ctl_num(const json_t *object, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL && object != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		object = json_object_get(object, key);
		path = dot + 1;
	}
	const json_t *v = object != NULL ? json_object_get(object, path) : NULL;
	return json_is_number(v) ? (json_int_t)json_number_value(v) : 0;
}
