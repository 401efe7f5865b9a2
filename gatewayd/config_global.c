/*
 * config_global.c: [global]'s own keys: where gatewayd listens and for whom,
 * its files (run_dir, pid), its limits and timeouts, its log level, and
 * include =, which the reader follows. The identity keys are
 * config_sandbox.c's, the journal's config_async.c's.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "access_log_format.h"
#include "config_internal.h"
#include "uri_path.h"

static key_parser key_listen, key_admin_listen, key_allowed_clients, key_run_dir, key_function_prefix,
    key_pid, key_include, key_access_log, key_access_log_format, key_log;

/* log_level's words, in enum log_level's order. */
static const char *const log_level_words[] = { "error", "warn", "info", "debug", NULL };

#define G(field) struct gateway_conf, field
#define LIVE CONFIG_RELOAD_LIVE
#define RESTART CONFIG_RELOAD_RESTART

static const struct key_spec global_keys[] = {
	{ "listen", key_listen, offsetof(struct gateway_conf, listen),
	  sizeof(struct conf_strings), KIND_STRINGS, LIVE, NULL, 0, 0, true, NULL },
	KEY("listen.allowed_clients", key_allowed_clients, G(allowed_clients), KIND_STRINGS, LIVE,
	    NULL),
	NUMBER_KEY("listen.mode", config_key_mode, G(listen_mode), RESTART, "0660", 0, 0777),
	NUMBER_KEY("listen.backlog", config_key_whole, G(listen_backlog), RESTART, "511", 1, 65535),
	KEY("admin_listen", key_admin_listen, G(admin_listen), KIND_STRING, LIVE, NULL),
	KEY("status.front", config_key_bool, G(status_front), KIND_SCALAR, LIVE, "off"),
	KEY("status.allowed_clients", key_allowed_clients, G(status_allowed_clients),
	    KIND_STRINGS, LIVE, NULL),
	KEY("run_dir", key_run_dir, G(run_dir), KIND_STRING, RESTART, "/run/gatewayd"),
	KEY("function_prefix", key_function_prefix, G(function_prefix), KIND_STRING, LIVE,
	    "/function/"),
	WORD_KEY("log_level", G(log_level), LIVE, "info", log_level_words),
	KEY("log", key_log, G(log_syslog), KIND_STRING, RESTART, NULL),
	NUMBER_KEY("max_connections", config_key_whole, G(max_connections), LIVE, "1024",
	    1, 1000000),
	NUMBER_KEY("request.max_params", config_key_size, G(max_params), LIVE, "64K",
	    CONFIG_SIZE_K, 16 * CONFIG_SIZE_M),
	NUMBER_KEY("request.memory_max", config_key_size, G(request_memory_max), LIVE, "256M",
	    CONFIG_SIZE_M, 1024 * CONFIG_SIZE_G),
	{ "include", key_include, 0, 0, KIND_READER, LIVE, NULL, 0, 0, true, NULL },
	KEY("pid", key_pid, G(pid_file), KIND_STRING, RESTART, NULL),
	KEY("access_log", key_access_log, G(access_log), KIND_STRING, RESTART, NULL),
	KEY("access_log.format", key_access_log_format, G(access_log_format), KIND_STRING, LIVE,
	    ACCESS_LOG_DEFAULT_FORMAT),
	KEY("shutdown_timeout", config_key_duration, G(shutdown_timeout), KIND_SCALAR, LIVE, "30s"),
	KEY("front.read_timeout", config_key_duration, G(read_timeout), KIND_SCALAR, LIVE, "60s"),
	KEY("front.idle_timeout", config_key_duration, G(idle_timeout), KIND_SCALAR, LIVE, "300s"),
	KEY("front.request_timeout", config_key_duration, G(front_request_timeout), KIND_SCALAR,
	    LIVE, "60s"),
};

const struct key_table config_global_table = {
	TABLE_GLOBAL, SECTION_GLOBAL, global_keys, NAME_COUNT(global_keys), NULL, NULL,
};

/* A host that inet_pton() takes as family, from (s, len). */
static bool ip_literal(int family, const char *s, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	unsigned char addr[sizeof(struct in6_addr)];

	if (len == 0 || len >= sizeof(host))
		return false;
	memcpy(host, s, len);
	host[len] = '\0';
	return inet_pton(family, host, addr) == 1;
}

/* "host:port" or "[v6]:port", host an IP literal or a name, port 1..65535. */
static bool listen_inet_valid(const char *value)
{
	const char *close, *colon;
	unsigned long long port;

	if (value[0] == '[') {
		close = strchr(value, ']');
		if (!close || close[1] != ':' || !ip_literal(AF_INET6, value + 1,
		    (size_t)(close - value - 1)))
			return false;
		colon = close + 1;
	} else {
		colon = strrchr(value, ':');
		if (!colon || colon == value || strspn(value, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != (size_t)(colon - value))
			return false;
	}
	return config_parse_digits(colon + 1, strlen(colon + 1), &port) == 0 &&
	    port >= 1 && port <= 65535;
}

/*
 * A unix socket path as value names it (relative to cf's directory), fit
 * for a sockaddr_un: the absolute path (the caller frees it), or NULL with
 * the error reported.
 */
static char *unix_socket_path(struct conf_file *cf, const struct key_spec *k, const char *value)
{
	char *path = config_path_absolute(cf, value);

	if (path == NULL) {
		config_out_of_memory(cf);
		return NULL;
	}
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		config_key_error(cf, k->name, value, "socket path %s is longer than %zu bytes", path,
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		free(path);
		return NULL;
	}
	return path;
}

/* listen: a unix socket path (has a '/' or ends in ".sock") or host:port. */
static int key_listen(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	size_t len = strlen(value), i;
	char *addr;

	if (strchr(value, '/') || (len > 5 && strcmp(value + len - 5, ".sock") == 0)) {
		if (!(addr = unix_socket_path(cf, k, value)))
			return -1;
	} else if (!listen_inet_valid(value)) {
		config_key_error(cf, k->name, value, "must be a unix socket path, host:port or "
		    "[ipv6]:port with a port between 1 and 65535");
		return -1;
	} else if (!(addr = strdup(value))) {
		return config_out_of_memory(cf);
	}
	for (i = 0; i < conf->listen.count; i++) {
		if (strcmp(conf->listen.items[i], addr) == 0) {
			config_key_error(cf, k->name, value, "already listed");
			free(addr);
			return -1;
		}
	}
	if (config_strings_add(&conf->listen, addr) < 0) {
		free(addr);
		return config_out_of_memory(cf);
	}
	free(addr);
	return 0;
}

/*
 * admin_listen: the admin socket's path; unix only, since its file mode is
 * the whole of its access control (a TCP port has none).
 */
static int key_admin_listen(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;

	if (value[0] == '\0' || strchr(value, ':') != NULL) {
		config_key_error(cf, k->name, value, "must be a unix socket path");
		return -1;
	}
	char *path = unix_socket_path(cf, k, value);
	if (path == NULL)
		return -1;
	free(conf->admin_listen);
	conf->admin_listen = path;
	return 0;
}

/*
 * listen.allowed_clients, status.allowed_clients: IP literals separated by
 * commas, blanks around them ignored.
 */
static int key_allowed_clients(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct conf_strings *clients = (struct conf_strings *)((char *)target + k->offset);
	const char *item = value, *end;
	char address[INET6_ADDRSTRLEN];
	size_t len;

	for (;;) {
		item += strspn(item, " \t");
		end = item + strcspn(item, ",");
		for (len = (size_t)(end - item); len > 0 && strchr(" \t", item[len - 1]); len--)
			;
		if (!ip_literal(AF_INET, item, len) && !ip_literal(AF_INET6, item, len)) {
			config_key_error(cf, k->name, value,
			    "\"%.*s\" is not an IPv4 or IPv6 address", (int)len, item);
			return -1;
		}
		snprintf(address, sizeof(address), "%.*s", (int)len, item);	/* ip_literal() checked len */
		if (config_strings_add(clients, address) < 0)
			return config_out_of_memory(cf);
		if (*end == '\0')
			return 0;
		item = end + 1;
	}
}

static int key_run_dir(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	char *dir;

	if (value[0] == '\0') {
		config_key_error(cf, k->name, value, "must not be empty");
		return -1;
	}
	if (!(dir = config_path_absolute(cf, value)))
		return config_out_of_memory(cf);
	free(conf->run_dir);
	conf->run_dir = dir;
	return 0;
}

/*
 * function_prefix: empty (no prefix route: functions are reached at their
 * route = alone), or a path that starts and ends with '/', in the normal
 * form routing compares it with (uri_path.h), so that it can match.
 */
static int key_function_prefix(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	size_t len = strlen(value);
	char *prefix = NULL;

	if (len > 0 && (value[len - 1] != '/' ||
	    !uri_path_is_normal(value, len, URI_PATH_DECODED))) {
		config_key_error(cf, k->name, value, "must be empty, or start and end with '/' "
		    "with no empty, \".\" or \"..\" segment between");
		return -1;
	}
	if (config_refuse_reserved_path(cf, k, value))
		return -1;
	if (len > 0 && !(prefix = strdup(value)))
		return config_out_of_memory(cf);
	free(conf->function_prefix);
	conf->function_prefix = prefix;
	return 0;
}

/*
 * pid: the file gatewayd writes its pid to, relative to the file like
 * run_dir. Its directory must exist, unless it is run_dir (as set so far),
 * which gatewayd makes at start.
 */
static int key_pid(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	struct stat st;
	char *path = config_file_path(cf, k, value, true);

	if (path == NULL)
		return -1;
	char *slash = strrchr(path, '/');
	*slash = '\0';
	if (slash != path && strcmp(path, conf->run_dir) != 0 && stat(path, &st) < 0) {
		config_key_error(cf, k->name, value, "directory %s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	*slash = '/';
	conf->pid_file = path;
	return 0;
}

/*
 * log: stderr, or syslog to /dev/log, or syslog:PATH to another datagram
 * socket (an absolute path; it need not exist at -t time).
 */
static int key_log(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	const char *path = NULL;
	char *copy = NULL;

	if (strcmp(value, "syslog") == 0)
		path = "/dev/log";
	else if (strncmp(value, "syslog:", 7) == 0)
		path = value + 7;
	else if (strcmp(value, "stderr") != 0) {
		config_key_error(cf, k->name, value, "must be stderr, syslog or syslog:/path/to/socket");
		return -1;
	}
	if (path != NULL && (path[0] != '/' ||
	    strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))) {
		config_key_error(cf, k->name, value, "the syslog socket must be an absolute path "
		    "shorter than %zu bytes", sizeof(((struct sockaddr_un *)0)->sun_path));
		return -1;
	}
	if (path != NULL && !(copy = strdup(path)))
		return config_out_of_memory(cf);
	free(conf->log_syslog);
	conf->log_syslog = copy;
	return 0;
}

/* access_log: a file whose directory exists, relative to the file like pid. */
static int key_access_log(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	char *path = config_file_path(cf, k, value, false);

	if (path == NULL)
		return -1;
	free(conf->access_log);
	conf->access_log = path;
	return 0;
}

/* access_log.format: its % fields must be known ones (access_log_format.h). */
static int key_access_log_format(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	char why[160], *format;

	if (access_log_format_check(value, why, sizeof(why)) < 0) {
		config_key_error(cf, k->name, value, "%s", why);
		return -1;
	}
	if (!(format = strdup(value)))
		return config_out_of_memory(cf);
	free(conf->access_log_format);
	conf->access_log_format = format;
	return 0;
}

/* include: read by the reader (config.c), which owns the files being read. */
static int key_include(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	(void)target;
	return cf->ld->include(cf, k->name, value);
}

