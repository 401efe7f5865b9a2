/*
 * config_keys.c: the directives of gatewayd's INI configuration, one parser
 * per key.
 *
 * config.c's reader hands every name = value line to config_on_key(), which
 * applies it to the current section through a table of keys, one parser per
 * key. A bad value is reported as "file:line: name = value: message" and the
 * load goes on. The sandbox keys' parsers live in config_sandbox.c, the pool
 * keys' in config_pool.c and the async keys' in config_async.c; their entries
 * are here, so that one table says what a section may contain.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "config_internal.h"

static key_parser key_whole, key_size, key_duration, key_mode, key_bool, key_text;
static key_parser key_listen, key_allowed_clients, key_run_dir, key_pid;
static key_parser key_include, key_exec, key_script, key_route, key_word;

/* A key parsed by a parser of its own, which knows where its value goes. */
#define CUSTOM_KEY(name, parse, repeatable) { name, parse, 0, 0, 0, 0, repeatable, NULL }
/* A number stored at field of type by key_whole(), key_size()... within [min, max]. */
#define NUMBER_KEY(name, parse, type, field, min, max) \
	{ name, parse, offsetof(type, field), sizeof(((type *)0)->field), min, max, false, NULL }
/* A value stored at field of type by a parser that knows the field's type. */
#define FIELD_KEY(name, parse, type, field) NUMBER_KEY(name, parse, type, field, 0, 0)
/* An enum at field of type, written as one of words (NULL-terminated); the index is stored. */
#define WORD_KEY(name, type, field, words) \
	{ name, key_word, offsetof(type, field), sizeof(((type *)0)->field), 0, 0, false, words }
/* A limit.* key: limits[limit] of a function, within [min, max] (or unlimited). */
#define LIMIT_KEY(name, parse, limit, min, max) \
	{ name, parse, offsetof(struct function_conf, limits) + \
	    (limit) * sizeof(struct conf_rlimit), sizeof(struct conf_rlimit), min, max, false, NULL }

/* The words of the word-valued keys, in their enums' order. */
const char *const config_log_level_words[] = { "error", "warn", "info", "debug", NULL };
const char *const config_pm_words[] = { "static", "dynamic", "ondemand", NULL };
const char *const config_mode_words[] = { "fastcgi", "cgi", NULL };
const char *const config_async_words[] = { "off", "on", "only", NULL };
const char *const config_fsync_words[] = { "always", "batch", "off", NULL };

static const struct key_spec global_keys[] = {
	CUSTOM_KEY("listen", key_listen, true),
	CUSTOM_KEY("listen.allowed_clients", key_allowed_clients, false),
	NUMBER_KEY("listen.mode", key_mode, struct gateway_conf, listen_mode, 0, 0777),
	FIELD_KEY("listen.owner", config_key_listen_owner, struct gateway_conf, listen_owner),
	FIELD_KEY("listen.group", config_key_listen_group, struct gateway_conf, listen_group),
	NUMBER_KEY("listen.backlog", key_whole, struct gateway_conf, listen_backlog, 1, 65535),
	CUSTOM_KEY("run_dir", key_run_dir, false),
	WORD_KEY("log_level", struct gateway_conf, log_level, config_log_level_words),
	NUMBER_KEY("max_connections", key_whole, struct gateway_conf, max_connections,
	    1, 1000000),
	NUMBER_KEY("request.max_params", key_size, struct gateway_conf, max_params,
	    CONFIG_SIZE_K, 16 * CONFIG_SIZE_M),
	CUSTOM_KEY("include", key_include, true),
	FIELD_KEY("user", config_key_user, struct gateway_conf, identity),
	FIELD_KEY("group", config_key_group, struct gateway_conf, identity),
	CUSTOM_KEY("dynamic_users", config_key_dynamic_users, false),
	CUSTOM_KEY("pid", key_pid, false),
	FIELD_KEY("shutdown_timeout", key_duration, struct gateway_conf, shutdown_timeout),
	FIELD_KEY("front.read_timeout", key_duration, struct gateway_conf, read_timeout),
	FIELD_KEY("front.idle_timeout", key_duration, struct gateway_conf, idle_timeout),
	/* Async mode (config_async.c, docs/async.md). */
	CUSTOM_KEY("async.journal", config_key_async_journal, false),
	WORD_KEY("async.fsync", struct gateway_conf, async_fsync, config_fsync_words),
	NUMBER_KEY("async.fsync_interval", config_key_async_fsync_interval, struct gateway_conf,
	    async_fsync_interval, 0, 10),
};

static const struct key_spec function_keys[] = {
	CUSTOM_KEY("exec", key_exec, false),
	CUSTOM_KEY("script", key_script, false),
	CUSTOM_KEY("route", key_route, false),
	/* The pool (config_pool.c checks how these fit together when the section ends). */
	WORD_KEY("mode", struct function_conf, mode, config_mode_words),
	WORD_KEY("pm", struct function_conf, pm, config_pm_words),
	NUMBER_KEY("pm.max_children", key_whole, struct function_conf, max_children, 1, 4096),
	NUMBER_KEY("pm.start_servers", key_whole, struct function_conf, start_servers, 1, 4096),
	NUMBER_KEY("pm.min_spare_servers", key_whole, struct function_conf, min_spare, 1, 4096),
	NUMBER_KEY("pm.max_spare_servers", key_whole, struct function_conf, max_spare, 1, 4096),
	FIELD_KEY("pm.process_idle_timeout", config_key_positive_duration, struct function_conf,
	    idle_timeout),
	NUMBER_KEY("pm.max_spawn_rate", key_whole, struct function_conf, max_spawn_rate, 1, 1024),
	NUMBER_KEY("pm.max_requests", key_whole, struct function_conf, max_requests,
	    0, ULONG_MAX),
	NUMBER_KEY("pm.max_memory", config_key_max_memory, struct function_conf, max_memory,
	    CONFIG_SIZE_M, SIZE_MAX),
	FIELD_KEY("request_timeout", key_duration, struct function_conf, request_timeout),
	FIELD_KEY("spawn_timeout", key_duration, struct function_conf, spawn_timeout),
	NUMBER_KEY("crash_loop.count", key_whole, struct function_conf, crash_limit, 1, 1000),
	FIELD_KEY("crash_loop.window", config_key_positive_duration, struct function_conf,
	    crash_window),
	NUMBER_KEY("queue.max", key_whole, struct function_conf, queue_max, 0, 1000000),
	NUMBER_KEY("queue.timeout", key_duration, struct function_conf, queue_timeout, 0, 0),
	NUMBER_KEY("request.max_body", key_size, struct function_conf, max_body, 0, CONFIG_SIZE_G),
	/* The sandbox (config_sandbox.c, docs/sandbox.md). */
	CUSTOM_KEY("seccomp", config_key_seccomp, false),
	FIELD_KEY("seccomp.allow", key_text, struct function_conf, seccomp_allow),
	FIELD_KEY("seccomp.deny", key_text, struct function_conf, seccomp_deny),
	CUSTOM_KEY("seccomp.action", config_key_seccomp_action, false),
	LIMIT_KEY("limit.memory", config_key_limit_size, CONF_LIMIT_MEMORY, CONFIG_SIZE_M,
	    SIZE_MAX),
	LIMIT_KEY("limit.cpu", config_key_limit_cpu, CONF_LIMIT_CPU, 1, UINT32_MAX),
	LIMIT_KEY("limit.files", config_key_limit_count, CONF_LIMIT_FILES, 1, 1048576),
	LIMIT_KEY("limit.procs", config_key_limit_count, CONF_LIMIT_PROCS, 1, 4194304),
	LIMIT_KEY("limit.core", config_key_limit_size, CONF_LIMIT_CORE, 0, SIZE_MAX),
	LIMIT_KEY("limit.fsize", config_key_limit_size, CONF_LIMIT_FSIZE, 0, SIZE_MAX),
	FIELD_KEY("user", config_key_user, struct function_conf, identity),
	FIELD_KEY("group", config_key_group, struct function_conf, identity),
	FIELD_KEY("allow_root", key_bool, struct function_conf, allow_root),
	FIELD_KEY("chdir", config_key_chdir, struct function_conf, chdir),
	FIELD_KEY("chroot", config_key_dir, struct function_conf, chroot),
	FIELD_KEY("clear_env", key_bool, struct function_conf, clear_env),
	CUSTOM_KEY("env_file", config_key_env_file, false),
	CUSTOM_KEY("network", config_key_network, false),
	/* Async mode (config_async.c checks how these fit together when the section ends). */
	WORD_KEY("async", struct function_conf, async, config_async_words),
	NUMBER_KEY("async.queue_size", key_whole, struct function_conf, async_queue_size,
	    1, 1000000),
	NUMBER_KEY("async.max_attempts", key_whole, struct function_conf, async_max_attempts,
	    1, 100),
	NUMBER_KEY("async.max_body", key_size, struct function_conf, async_max_body,
	    0, CONFIG_SIZE_G),
	NUMBER_KEY("async.max_concurrency", key_whole, struct function_conf,
	    async_max_concurrency, 0, 4096),
	NUMBER_KEY("async.result_max", key_size, struct function_conf, async_result_max,
	    0, 64 * CONFIG_SIZE_M),
	FIELD_KEY("async.result_ttl", config_key_positive_duration, struct function_conf,
	    async_result_ttl),
	FIELD_KEY("async.retry_delay", config_key_positive_duration, struct function_conf,
	    async_retry_delay),
};


/* key_apply() keeps one bit per key of a table in an unsigned long long. */
_Static_assert(NAME_COUNT(global_keys) <= CONFIG_KEYS_MAX &&
    NAME_COUNT(function_keys) <= CONFIG_KEYS_MAX, "too many keys for struct key_marks");
_Static_assert(CONFIG_KEYS_MAX <= 64, "struct key_marks keeps its bits in 64");

_Static_assert(sizeof(unsigned) == sizeof(int), "key_whole() stores int as unsigned");

/* Parses exactly len decimal digits (no sign, no blanks) into *out. 0 / -1 (also overflow). */
int config_parse_digits(const char *s, size_t len, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (ULLONG_MAX - (unsigned)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int config_parse_size(const char *s, size_t *bytes)
{
	size_t digits = strspn(s, "0123456789");
	unsigned long long v, unit;

	switch (s[digits]) {
	case '\0': unit = 1; break;
	case 'k': case 'K': unit = CONFIG_SIZE_K; break;
	case 'm': case 'M': unit = CONFIG_SIZE_M; break;
	case 'g': case 'G': unit = CONFIG_SIZE_G; break;
	default: return -1;
	}
	if ((unit > 1 && s[digits + 1] != '\0') || config_parse_digits(s, digits, &v) < 0 ||
	    v > SIZE_MAX / unit)
		return -1;
	*bytes = (size_t)(v * unit);
	return 0;
}

/*
 * Decimal digits with an optional fraction ("30", "0.5"; not ".5", "5.",
 * "-1", "1e3") then a unit. Computed by hand, not strtod(), so that neither
 * the locale nor "inf" / "0x10" can change what a config means.
 */
int config_parse_duration(const char *s, double *seconds)
{
	const char *p = s;
	double v = 0, frac = 1, unit;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++)
		v = v * 10 + (*p - '0');
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return -1;
		for (; isdigit((unsigned char)*p); p++)
			v += (*p - '0') * (frac /= 10);
	}
	if (*p == '\0' || strcmp(p, "s") == 0)
		unit = 1;
	else if (strcmp(p, "ms") == 0)
		unit = 0.001;
	else if (strcmp(p, "m") == 0)
		unit = 60;
	else if (strcmp(p, "h") == 0)
		unit = 3600;
	else
		return -1;
	if (!isfinite(v * unit))
		return -1;
	*seconds = v * unit;
	return 0;
}

/* Writes v as the shortest of "1G", "16M", "64K" or bytes, for messages. */
const char *config_size_text(unsigned long long v, char *buf, size_t len)
{
	if (v >= CONFIG_SIZE_G && v % CONFIG_SIZE_G == 0)
		snprintf(buf, len, "%lluG", v / CONFIG_SIZE_G);
	else if (v >= CONFIG_SIZE_M && v % CONFIG_SIZE_M == 0)
		snprintf(buf, len, "%lluM", v / CONFIG_SIZE_M);
	else if (v >= CONFIG_SIZE_K && v % CONFIG_SIZE_K == 0)
		snprintf(buf, len, "%lluK", v / CONFIG_SIZE_K);
	else
		snprintf(buf, len, "%llu", v);
	return buf;
}

/* Parses a whole number within k's range. 0 / -1, reported. */
static int key_number(struct conf_file *cf, const struct key_spec *k, const char *value,
    unsigned long long *out)
{
	if (config_parse_digits(value, strlen(value), out) < 0) {
		config_key_error(cf, k->name, value, "must be a whole number between %llu and %llu",
		    k->min, k->max);
		return -1;
	}
	if (*out < k->min || *out > k->max) {
		config_key_error(cf, k->name, value, "must be between %llu and %llu",
		    k->min, k->max);
		return -1;
	}
	return 0;
}

/*
 * A whole number stored in an unsigned, int or unsigned long field, told
 * apart by the field's width. The bytes are copied: an in-range value is the
 * same in int and unsigned, and memcpy() is how C lets one type write another.
 */
static int key_whole(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	unsigned long long v;
	unsigned long wide;
	unsigned narrow;

	if (key_number(cf, k, value, &v) < 0)
		return -1;
	wide = (unsigned long)v;
	narrow = (unsigned)v;
	memcpy((char *)target + k->offset, k->width == sizeof(wide) ? (void *)&wide :
	    (void *)&narrow, k->width);
	return 0;
}

static int key_size(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char lo[32], hi[32];
	size_t v;

	config_size_text(k->min, lo, sizeof(lo));
	config_size_text(k->max, hi, sizeof(hi));
	if (config_parse_size(value, &v) < 0) {
		config_key_error(cf, k->name, value,
		    "must be a size between %s and %s (bytes, or a number with K, M or G)", lo, hi);
		return -1;
	}
	if (v < k->min || v > k->max) {
		config_key_error(cf, k->name, value, "must be between %s and %s", lo, hi);
		return -1;
	}
	*(size_t *)((char *)target + k->offset) = v;
	return 0;
}

static int key_duration(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	if (config_parse_duration(value, (double *)((char *)target + k->offset)) < 0) {
		config_key_error(cf, k->name, value,
		    "must be a duration such as 30s, 500ms, 2m, 1h or a number of seconds");
		return -1;
	}
	return 0;
}

/* An octal file mode, with or without its leading 0 as in chmod: "0660", "660". */
static int key_mode(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	unsigned long long v = 0;
	const char *p;

	for (p = value; *p >= '0' && *p <= '7' && v <= k->max; p++)
		v = v * 8 + (unsigned)(*p - '0');
	if (p == value || *p != '\0' || v > k->max) {
		config_key_error(cf, k->name, value, "must be an octal mode between 0 and 0%llo",
		    k->max);
		return -1;
	}
	*(mode_t *)((char *)target + k->offset) = (mode_t)v;
	return 0;
}

/* yes / no, and the spellings other configs use: on / off, true / false, 1 / 0. */
static int key_bool(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };
	bool *field = (bool *)((char *)target + k->offset);
	size_t i;

	for (i = 0; i < NAME_COUNT(yes); i++) {
		if (strcasecmp(value, yes[i]) == 0 || strcasecmp(value, no[i]) == 0) {
			*field = strcasecmp(value, yes[i]) == 0;
			return 0;
		}
	}
	config_key_error(cf, k->name, value, "must be yes or no");
	return -1;
}

/* Free text, not empty, stored as written in a char * field. */
static int key_text(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char **field = (char **)((char *)target + k->offset);

	if (value[0] == '\0') {
		config_key_error(cf, k->name, value, "must not be empty");
		return -1;
	}
	if (!(*field = strdup(value)))
		return config_out_of_memory(cf);
	return 0;
}

char *config_path_absolute(const struct conf_file *cf, const char *value)
{
	char *out;

	if (value[0] == '/')
		return strdup(value);
	while (value[0] == '.' && value[1] == '/')
		value += 2 + strspn(value + 2, "/");
	if (asprintf(&out, "%s/%s", strcmp(cf->dir, "/") == 0 ? "" : cf->dir, value) < 0)
		return NULL;
	return out;
}

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

/* listen: a unix socket path (has a '/' or ends in ".sock") or host:port. */
static int key_listen(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	size_t len = strlen(value), i;
	char *addr, **grown;

	if (strchr(value, '/') || (len > 5 && strcmp(value + len - 5, ".sock") == 0)) {
		if (!(addr = config_path_absolute(cf, value)))
			return config_out_of_memory(cf);
		if (strlen(addr) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			config_key_error(cf, k->name, value,
			    "socket path %s is longer than %zu bytes", addr,
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			free(addr);
			return -1;
		}
	} else if (!listen_inet_valid(value)) {
		config_key_error(cf, k->name, value, "must be a unix socket path, host:port or "
		    "[ipv6]:port with a port between 1 and 65535");
		return -1;
	} else if (!(addr = strdup(value))) {
		return config_out_of_memory(cf);
	}
	for (i = 0; i < conf->listen_count; i++) {
		if (strcmp(conf->listen[i], addr) == 0) {
			config_key_error(cf, k->name, value, "already listed");
			free(addr);
			return -1;
		}
	}
	if (!(grown = reallocarray(conf->listen, conf->listen_count + 1, sizeof(*grown)))) {
		free(addr);
		return config_out_of_memory(cf);
	}
	conf->listen = grown;
	conf->listen[conf->listen_count++] = addr;
	return 0;
}

/* listen.allowed_clients: IP literals separated by commas, blanks around them ignored. */
static int key_allowed_clients(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	const char *item = value, *end;
	size_t len;
	char **grown;

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
		if (!(grown = reallocarray(conf->allowed_clients,
		    conf->allowed_client_count + 1, sizeof(*grown))))
			return config_out_of_memory(cf);
		conf->allowed_clients = grown;
		if (!(grown[conf->allowed_client_count] = strndup(item, len)))
			return config_out_of_memory(cf);
		conf->allowed_client_count++;
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

char *config_file_path(struct conf_file *cf, const struct key_spec *k, const char *value,
    bool dir_may_be_missing)
{
	struct stat st;
	char *path, *slash;
	int rc = 0;

	if (value[0] == '\0' || value[strlen(value) - 1] == '/') {
		config_key_error(cf, k->name, value, "must be the path of a file");
		return NULL;
	}
	if (!(path = config_path_absolute(cf, value))) {
		config_out_of_memory(cf);
		return NULL;
	}
	slash = strrchr(path, '/');	/* path is absolute: there is one */
	*slash = '\0';
	if (stat(slash == path ? "/" : path, &st) < 0) {
		if (!(dir_may_be_missing && errno == ENOENT)) {
			config_key_error(cf, k->name, value, "directory %s: %s",
			    slash == path ? "/" : path, strerror(errno));
			rc = -1;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		config_key_error(cf, k->name, value, "%s is not a directory", path);
		rc = -1;
	}
	*slash = '/';
	if (rc < 0) {
		free(path);
		return NULL;
	}
	return path;
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

/* include: read by config.c, which owns the files being read. */
static int key_include(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	(void)target;
	return config_include(cf, k->name, value);
}

/* Splits line on blanks and tabs into a NULL-terminated argv; NULL when out of memory. */
static char **argv_split(const char *line)
{
	char **argv = calloc(strlen(line) / 2 + 2, sizeof(*argv));
	size_t argc = 0, len;

	if (!argv)
		return NULL;
	for (line += strspn(line, " \t"); *line; line += len + strspn(line + len, " \t")) {
		len = strcspn(line, " \t");
		if (!(argv[argc++] = strndup(line, len))) {
			while (argc > 0)
				free(argv[--argc]);
			free(argv);
			return NULL;
		}
	}
	return argv;
}

/*
 * exec: the command line, split on blanks (no quoting). argv[0] is made
 * absolute but not passed through realpath(): a multi-call binary reached
 * through a symlink needs the name it was called by.
 */
static int key_exec(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;
	struct stat st;
	char *abs;

	if (!(fn->exec = strdup(value)) || !(fn->argv = argv_split(value)))
		return config_out_of_memory(cf);
	if (!fn->argv[0]) {
		config_key_error(cf, k->name, value, "must name a program");
		return -1;
	}
	if (!(abs = config_path_absolute(cf, fn->argv[0])))
		return config_out_of_memory(cf);
	free(fn->argv[0]);
	fn->argv[0] = abs;
	if (stat(abs, &st) < 0) {
		config_key_error(cf, k->name, value, "%s: %s", abs, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(abs, X_OK) < 0) {
		config_key_error(cf, k->name, value, "%s is not an executable file", abs);
		return -1;
	}
	return 0;
}

char *config_path_resolve(struct conf_file *cf, const struct key_spec *k, const char *value,
    enum path_kind kind)
{
	struct stat st;
	char *abs, *real;

	if (value[0] == '\0') {
		config_key_error(cf, k->name, value, "must not be empty");
		return NULL;
	}
	if (!(abs = config_path_absolute(cf, value))) {
		config_out_of_memory(cf);
		return NULL;
	}
	real = realpath(abs, NULL);
	if (!real || stat(real, &st) < 0) {
		config_key_error(cf, k->name, value, "%s: %s", abs, strerror(errno));
		free(real);
		free(abs);
		return NULL;
	}
	free(abs);
	if (kind == PATH_FILE && (!S_ISREG(st.st_mode) || access(real, R_OK) < 0)) {
		config_key_error(cf, k->name, value, "%s is not a readable file", real);
		free(real);
		return NULL;
	}
	if (kind == PATH_DIR && !S_ISDIR(st.st_mode)) {
		config_key_error(cf, k->name, value, "%s is not a directory", real);
		free(real);
		return NULL;
	}
	return real;
}

/* script: an existing readable file, stored as its realpath(). */
static int key_script(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;

	return (fn->script = config_path_resolve(cf, k, value, PATH_FILE)) ? 0 : -1;
}

/* route: "/" or a prefix starting with '/' and not ending with one; unique. */
static int key_route(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;
	const struct gateway_conf *conf = cf->ld->conf;
	size_t len = strlen(value), i;

	if (value[0] != '/' || (len > 1 && value[len - 1] == '/')) {
		config_key_error(cf, k->name, value, "must start with '/' and not end with '/' "
		    "(unless it is \"/\")");
		return -1;
	}
	for (i = 0; i < conf->function_count; i++) {
		if (conf->functions[i].route && strcmp(conf->functions[i].route, value) == 0) {
			config_key_error(cf, k->name, value, "already the route of [%s] (%s:%u)",
			    conf->functions[i].name, conf->functions[i].file,
			    conf->functions[i].line);
			return -1;
		}
	}
	if (!(fn->route = strdup(value)))
		return config_out_of_memory(cf);
	return 0;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool config_env_name_valid(const char *s, size_t len)
{
	return len > 0 && !isdigit((unsigned char)s[0]) &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

int config_pair_set(struct conf_pair **pairs, size_t *count, const char *name, size_t len,
    char *value)
{
	struct conf_pair *grown;
	size_t i;

	for (i = 0; i < *count; i++) {
		if (strlen((*pairs)[i].name) == len && memcmp((*pairs)[i].name, name, len) == 0) {
			free((*pairs)[i].value);
			(*pairs)[i].value = value;
			return 0;
		}
	}
	if (!(grown = reallocarray(*pairs, *count + 1, sizeof(*grown)))) {
		free(value);
		return -1;
	}
	*pairs = grown;
	grown[*count].value = value;
	if (!(grown[*count].name = strndup(name, len))) {
		free(value);
		return -1;
	}
	(*count)++;
	return 0;
}

/*
 * env[NAME] = value and param[NAME] = value. A repeated NAME replaces the
 * earlier value in place, so the last one wins as in PHP-FPM; an env[NAME]
 * also replaces the env_file value of NAME.
 */
static int key_pair(struct conf_file *cf, struct conf_pair **pairs, size_t *count,
    const char *key, size_t prefix_len, const char *value)
{
	const char *name = key + prefix_len;
	size_t len = strlen(name) - 1;
	bool is_env = prefix_len == strlen("env[");
	char *copy;

	if (name[len] != ']' || memchr(name, ']', len) ||
	    (is_env ? !config_env_name_valid(name, len) : len == 0)) {
		config_key_error(cf, key, value, is_env ? "must be env[NAME], NAME made of "
		    "A-Z a-z 0-9 _ and not starting with a digit" :
		    "must be param[NAME], NAME not empty and without ']'");
		return -1;
	}
	if (!(copy = strdup(value)) || config_pair_set(pairs, count, name, len, copy) < 0)
		return config_out_of_memory(cf);
	return 0;
}

/* The index of name in the table keys of n entries, or n. */
static size_t key_find(const struct key_spec *keys, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n && strcmp(keys[i].name, name) != 0; i++)
		;
	return i;
}

/*
 * Applies name = value to target through the table keys. A key that is not
 * repeatable may be set once per section ([global] counts as one section
 * across all files); marks records those already set, where, and whether
 * their value was refused.
 */
static void key_apply(struct conf_file *cf, const struct key_spec *keys, size_t n,
    struct key_marks *marks, void *target, const char *section, const char *name,
    const char *value)
{
	size_t i = key_find(keys, n, name);

	if (i == n) {
		config_file_error(cf, "unknown key \"%s\" in [%s]", name, section);
		return;
	}
	if (!keys[i].repeatable && (marks->seen & (1ULL << i))) {
		config_key_error(cf, name, value, "already set in [%s]", section);
		return;
	}
	marks->seen |= 1ULL << i;
	marks->line[i] = cf->lineno;
	if (keys[i].parse(cf, &keys[i], target, value) < 0)
		marks->refused |= 1ULL << i;
}

unsigned config_function_key_line(const struct conf_file *cf, const char *name, bool *refused)
{
	size_t i = key_find(function_keys, NAME_COUNT(function_keys), name);

	if (i == NAME_COUNT(function_keys))
		abort();	/* a name config_pool.c misspelt: a bug, not a config error */
	*refused = (cf->fn_marks.refused & (1ULL << i)) != 0;
	return (cf->fn_marks.seen & (1ULL << i)) ? cf->fn_marks.line[i] : 0;
}

unsigned config_global_key_line(const struct loader *ld, const char *name, bool *refused)
{
	size_t i = key_find(global_keys, NAME_COUNT(global_keys), name);

	if (i == NAME_COUNT(global_keys))
		abort();	/* a misspelt name: a bug, not a config error */
	*refused = (ld->global_marks.refused & (1ULL << i)) != 0;
	return (ld->global_marks.seen & (1ULL << i)) ? ld->global_marks.line[i] : 0;
}

/* inih's handler: one name = value line of cf, in the section the reader saw. */
int config_on_key(void *user, const char *section, const char *name, const char *value)
{
	struct conf_file *cf = user;
	struct function_conf *fn;

	(void)section;	/* inih's copy is truncated at 49 bytes; the reader's is whole */
	switch (cf->section) {
	case SECTION_NONE:
		config_key_error(cf, name, value, "key before any section");
		break;
	case SECTION_GLOBAL:
		key_apply(cf, global_keys, NAME_COUNT(global_keys), &cf->ld->global_marks,
		    cf->ld->conf, "global", name, value);
		break;
	case SECTION_FUNCTION:
		fn = &cf->ld->conf->functions[cf->fn_index];
		if (strncmp(name, "env[", 4) == 0)
			key_pair(cf, &fn->env, &fn->env_count, name, 4, value);
		else if (strncmp(name, "param[", 6) == 0)
			key_pair(cf, &fn->params, &fn->param_count, name, 6, value);
		else
			key_apply(cf, function_keys, NAME_COUNT(function_keys), &cf->fn_marks,
			    fn, fn->name, name, value);
		break;
	case SECTION_SKIP:
		break;
	}
	return 1;	/* errors are ours to report: inih's return is for syntax */
}

int config_name_index(const char *const *names, size_t count, const char *value)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(value, names[i]) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * A word-valued key (pm, mode, async, async.fsync): the word's index in
 * k->words is the enum value. The error lists the words: "must be a, b or c".
 */
static int key_word(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char expected[128] = "must be ";
	size_t n = 0;

	while (k->words[n] != NULL)
		n++;
	int i = config_name_index(k->words, n, value);
	if (i >= 0) {
		*(int *)((char *)target + k->offset) = i;
		return 0;
	}
	for (size_t j = 0; j < n; j++) {
		strncat(expected, k->words[j], sizeof(expected) - strlen(expected) - 1);
		strncat(expected, j + 2 < n ? ", " : j + 2 == n ? " or " : "",
		    sizeof(expected) - strlen(expected) - 1);
	}
	config_key_error(cf, k->name, value, "%s", expected);
	return -1;
}
