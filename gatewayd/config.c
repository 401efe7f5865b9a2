/*
 * config.c: loads gatewayd's INI configuration with inih and validates it.
 *
 * Debian's inih gives its handler no line numbers, so every file goes through
 * ini_parse_stream() with our own reader. The reader counts lines, rejects
 * lines inih would silently truncate, reports every malformed line (inih
 * reports only the first) and tracks section headers itself: inih never
 * tells the handler about a section without keys, and it truncates section
 * names at 49 bytes. The handler then applies one key to the current section
 * through a table of keys, one parser per key.
 *
 * Nothing stops at the first error: each is written to the caller's buffer as
 * "file:line: message" and the load goes on, so `gatewayd -t` lists them all.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"

#define CONFIG_INCLUDE_DEPTH_MAX 8	/* include = nested at most this deep */
#define SIZE_K (1ULL << 10)
#define SIZE_M (1ULL << 20)
#define SIZE_G (1ULL << 30)

/* What one config_load() call carries from file to file. */
struct loader {
	struct gateway_conf *conf;	/* being filled; freed by config_load() on error */
	char *err;			/* the caller's buffer, always NUL-terminated */
	size_t err_len;
	size_t err_used;
	unsigned errors;		/* errors found, whether or not they fitted in err */
	unsigned global_seen;		/* global_keys[] bits already set, across all files */
};

/* Which section the line being read belongs to. */
enum section_kind {
	SECTION_NONE,		/* before the file's first header: a key here is an error */
	SECTION_GLOBAL,		/* [global], merged across files */
	SECTION_FUNCTION,	/* a function section; conf_file.fn_index says which */
	SECTION_SKIP,		/* a header already reported bad: its keys are ignored */
};

/* One file being read: both inih's stream and its handler's user pointer. */
struct conf_file {
	struct loader *ld;
	const struct conf_file *parent;	/* the file whose include named this one, or NULL */
	const char *path;		/* as named: what error messages show */
	char *real;			/* realpath(path): include cycles are found with it */
	char *dir;			/* absolute directory of path: relative values start here */
	FILE *fp;
	char *buf;			/* getline() buffer */
	size_t buf_cap;
	int read_errno;			/* errno of a failed read, 0 at end of file */
	unsigned lineno;		/* the line inih is handling now */
	unsigned depth;			/* 0 for the file given to config_load() */
	enum section_kind section;
	size_t fn_index;		/* conf->functions[] index while in SECTION_FUNCTION */
	unsigned fn_seen;		/* function_keys[] bits already set in this section */
};

struct key_spec;

/* Parses value for key k into target (the gateway_conf or function_conf). 0 / -1. */
typedef int key_parser(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value);

/* One directive: its name, its parser and, for numbers, where and what range. */
struct key_spec {
	const char *name;
	key_parser *parse;
	size_t offset;			/* the field in target, for numeric parsers */
	size_t width;			/* sizeof that field */
	unsigned long long min, max;	/* accepted range, for numeric parsers */
	bool repeatable;		/* may appear more than once (listen, include) */
};

static key_parser key_whole, key_size, key_duration, key_mode;
static key_parser key_listen, key_allowed_clients, key_run_dir, key_log_level, key_include;
static key_parser key_exec, key_script, key_route, key_pm;

static int file_load(struct loader *ld, const struct conf_file *parent, const char *path,
    const char *via);

/* A key parsed by a parser of its own, which knows where its value goes. */
#define CUSTOM_KEY(name, parse, repeatable) { name, parse, 0, 0, 0, 0, repeatable }
/* A number stored at field of type by key_whole(), key_size()... within [min, max]. */
#define NUMBER_KEY(name, parse, type, field, min, max) \
	{ name, parse, offsetof(type, field), sizeof(((type *)0)->field), min, max, false }

static const struct key_spec global_keys[] = {
	CUSTOM_KEY("listen", key_listen, true),
	CUSTOM_KEY("listen.allowed_clients", key_allowed_clients, false),
	NUMBER_KEY("listen.mode", key_mode, struct gateway_conf, listen_mode, 0, 0777),
	NUMBER_KEY("listen.backlog", key_whole, struct gateway_conf, listen_backlog, 1, 65535),
	CUSTOM_KEY("run_dir", key_run_dir, false),
	CUSTOM_KEY("log_level", key_log_level, false),
	NUMBER_KEY("max_connections", key_whole, struct gateway_conf, max_connections,
	    1, 1000000),
	NUMBER_KEY("request.max_params", key_size, struct gateway_conf, max_params,
	    SIZE_K, 16 * SIZE_M),
	CUSTOM_KEY("include", key_include, true),
};

static const struct key_spec function_keys[] = {
	CUSTOM_KEY("exec", key_exec, false),
	CUSTOM_KEY("script", key_script, false),
	CUSTOM_KEY("route", key_route, false),
	CUSTOM_KEY("pm", key_pm, false),
	NUMBER_KEY("pm.max_children", key_whole, struct function_conf, max_children, 1, 4096),
	NUMBER_KEY("pm.max_requests", key_whole, struct function_conf, max_requests,
	    0, ULONG_MAX),
	NUMBER_KEY("queue.max", key_whole, struct function_conf, queue_max, 0, 1000000),
	NUMBER_KEY("queue.timeout", key_duration, struct function_conf, queue_timeout, 0, 0),
	NUMBER_KEY("request.max_body", key_size, struct function_conf, max_body, 0, SIZE_G),
};

#define KEY_COUNT(t) (sizeof(t) / sizeof((t)[0]))

_Static_assert(sizeof(unsigned) == sizeof(int), "key_whole() stores int as unsigned");

static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

/*
 * Appends to the caller's buffer whatever fits of fmt, keeping it
 * NUL-terminated; a message that does not fit is cut, never overflowed.
 */
static void err_vput(struct loader *ld, const char *fmt, va_list ap)
{
	size_t room = ld->err_len - ld->err_used;
	int n;

	if (room <= 1)
		return;
	n = vsnprintf(ld->err + ld->err_used, room, fmt, ap);
	if (n > 0)
		ld->err_used += (size_t)n < room ? (size_t)n : room - 1;
}

static void __attribute__((format(printf, 2, 3)))
err_put(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vput(ld, fmt, ap);
	va_end(ap);
}

/*
 * Records one error as "file:line: [name = value: ]message\n" (no ":line"
 * when line is 0; no key part when name is NULL).
 */
static void report(struct loader *ld, const char *file, unsigned line, const char *name,
    const char *value, const char *fmt, va_list ap)
{
	ld->errors++;
	if (line)
		err_put(ld, "%s:%u: ", file, line);
	else
		err_put(ld, "%s: ", file);
	if (name)
		err_put(ld, "%s = %s: ", name, value);
	err_vput(ld, fmt, ap);
	err_put(ld, "\n");
}

static void __attribute__((format(printf, 4, 5)))
conf_error(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ld, file, line, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* An error about the line of cf being read. */
static void __attribute__((format(printf, 2, 3)))
file_error(struct conf_file *cf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cf->ld, cf->path, cf->lineno, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* An error about the value of key name on the line of cf being read. */
static void __attribute__((format(printf, 4, 5)))
key_error(struct conf_file *cf, const char *name, const char *value, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cf->ld, cf->path, cf->lineno, name, value, fmt, ap);
	va_end(ap);
}

static int out_of_memory(struct conf_file *cf)
{
	file_error(cf, "out of memory");
	return -1;
}

/* Parses exactly len decimal digits (no sign, no blanks) into *out. 0 / -1 (also overflow). */
static int parse_digits(const char *s, size_t len, unsigned long long *out)
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
	case 'k': case 'K': unit = SIZE_K; break;
	case 'm': case 'M': unit = SIZE_M; break;
	case 'g': case 'G': unit = SIZE_G; break;
	default: return -1;
	}
	if ((unit > 1 && s[digits + 1] != '\0') || parse_digits(s, digits, &v) < 0 ||
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
static const char *size_text(unsigned long long v, char *buf, size_t len)
{
	if (v >= SIZE_G && v % SIZE_G == 0)
		snprintf(buf, len, "%lluG", v / SIZE_G);
	else if (v >= SIZE_M && v % SIZE_M == 0)
		snprintf(buf, len, "%lluM", v / SIZE_M);
	else if (v >= SIZE_K && v % SIZE_K == 0)
		snprintf(buf, len, "%lluK", v / SIZE_K);
	else
		snprintf(buf, len, "%llu", v);
	return buf;
}

/* Parses a whole number within k's range. 0 / -1, reported. */
static int key_number(struct conf_file *cf, const struct key_spec *k, const char *value,
    unsigned long long *out)
{
	if (parse_digits(value, strlen(value), out) < 0) {
		key_error(cf, k->name, value, "must be a whole number between %llu and %llu",
		    k->min, k->max);
		return -1;
	}
	if (*out < k->min || *out > k->max) {
		key_error(cf, k->name, value, "must be between %llu and %llu", k->min, k->max);
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

	size_text(k->min, lo, sizeof(lo));
	size_text(k->max, hi, sizeof(hi));
	if (config_parse_size(value, &v) < 0) {
		key_error(cf, k->name, value,
		    "must be a size between %s and %s (bytes, or a number with K, M or G)", lo, hi);
		return -1;
	}
	if (v < k->min || v > k->max) {
		key_error(cf, k->name, value, "must be between %s and %s", lo, hi);
		return -1;
	}
	*(size_t *)((char *)target + k->offset) = v;
	return 0;
}

static int key_duration(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	if (config_parse_duration(value, (double *)((char *)target + k->offset)) < 0) {
		key_error(cf, k->name, value,
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
		key_error(cf, k->name, value, "must be an octal mode between 0 and 0%llo", k->max);
		return -1;
	}
	*(mode_t *)((char *)target + k->offset) = (mode_t)v;
	return 0;
}

/*
 * Returns value as an absolute path: as written when it starts with '/', else
 * under the directory of the file it is written in ("./" dropped). Malloc'd;
 * NULL when out of memory.
 */
static char *path_absolute(const struct conf_file *cf, const char *value)
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
	return parse_digits(colon + 1, strlen(colon + 1), &port) == 0 &&
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
		if (!(addr = path_absolute(cf, value)))
			return out_of_memory(cf);
		if (strlen(addr) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			key_error(cf, k->name, value, "socket path %s is longer than %zu bytes",
			    addr, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			free(addr);
			return -1;
		}
	} else if (!listen_inet_valid(value)) {
		key_error(cf, k->name, value, "must be a unix socket path, host:port or "
		    "[ipv6]:port with a port between 1 and 65535");
		return -1;
	} else if (!(addr = strdup(value))) {
		return out_of_memory(cf);
	}
	for (i = 0; i < conf->listen_count; i++) {
		if (strcmp(conf->listen[i], addr) == 0) {
			key_error(cf, k->name, value, "already listed");
			free(addr);
			return -1;
		}
	}
	if (!(grown = reallocarray(conf->listen, conf->listen_count + 1, sizeof(*grown)))) {
		free(addr);
		return out_of_memory(cf);
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
			key_error(cf, k->name, value, "\"%.*s\" is not an IPv4 or IPv6 address",
			    (int)len, item);
			return -1;
		}
		if (!(grown = reallocarray(conf->allowed_clients,
		    conf->allowed_client_count + 1, sizeof(*grown))))
			return out_of_memory(cf);
		conf->allowed_clients = grown;
		if (!(grown[conf->allowed_client_count] = strndup(item, len)))
			return out_of_memory(cf);
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
		key_error(cf, k->name, value, "must not be empty");
		return -1;
	}
	if (!(dir = path_absolute(cf, value)))
		return out_of_memory(cf);
	free(conf->run_dir);
	conf->run_dir = dir;
	return 0;
}

/* Our own table, so that this module (and its test) does not need log.c. */
static int key_log_level(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	size_t i;

	for (i = 0; i < KEY_COUNT(log_level_names); i++) {
		if (strcmp(value, log_level_names[i]) == 0) {
			conf->log_level = (enum log_level)i;
			return 0;
		}
	}
	key_error(cf, k->name, value, "must be error, warn, info or debug");
	return -1;
}

/* glob()'s error callback: a directory that does not exist matches nothing. */
static int include_glob_error(const char *path, int error)
{
	(void)path;
	return error != ENOENT && error != ENOTDIR;
}

/*
 * include: a glob, relative to the including file, whose matches are read at
 * once in sorted order (glob() sorts). No match is fine: an empty
 * functions.d is normal. The pattern is joined to the path as named, not to
 * the absolute directory, so messages about included files stay as short as
 * the path the operator typed.
 */
static int key_include(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	const char *slash = strrchr(cf->path, '/');
	char *pattern;
	glob_t g;
	size_t i;
	int rc, ret = 0;

	(void)target;
	if (value[0] == '/' || !slash)
		pattern = strdup(value);
	else if (asprintf(&pattern, "%.*s/%s", (int)(slash - cf->path), cf->path, value) < 0)
		pattern = NULL;
	if (!pattern)
		return out_of_memory(cf);
	rc = glob(pattern, 0, include_glob_error, &g);
	if (rc == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			if (file_load(cf->ld, cf, g.gl_pathv[i], value) < 0)
				ret = -1;
	} else if (rc != GLOB_NOMATCH) {
		key_error(cf, k->name, value, "cannot read the directories of %s%s", pattern,
		    rc == GLOB_NOSPACE ? ": out of memory" : "");
		ret = -1;
	}
	if (rc != GLOB_NOSPACE)
		globfree(&g);
	free(pattern);
	return ret;
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
		return out_of_memory(cf);
	if (!fn->argv[0]) {
		key_error(cf, k->name, value, "must name a program");
		return -1;
	}
	if (!(abs = path_absolute(cf, fn->argv[0])))
		return out_of_memory(cf);
	free(fn->argv[0]);
	fn->argv[0] = abs;
	if (stat(abs, &st) < 0) {
		key_error(cf, k->name, value, "%s: %s", abs, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || access(abs, X_OK) < 0) {
		key_error(cf, k->name, value, "%s is not an executable file", abs);
		return -1;
	}
	return 0;
}

/* script: an existing readable file, stored as its realpath(). */
static int key_script(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;
	struct stat st;
	char *abs;

	if (value[0] == '\0') {
		key_error(cf, k->name, value, "must not be empty");
		return -1;
	}
	if (!(abs = path_absolute(cf, value)))
		return out_of_memory(cf);
	fn->script = realpath(abs, NULL);
	if (!fn->script || stat(fn->script, &st) < 0) {
		key_error(cf, k->name, value, "%s: %s", abs, strerror(errno));
		free(abs);
		return -1;
	}
	free(abs);
	if (!S_ISREG(st.st_mode) || access(fn->script, R_OK) < 0) {
		key_error(cf, k->name, value, "%s is not a readable file", fn->script);
		return -1;
	}
	return 0;
}

/* route: "/" or a prefix starting with '/' and not ending with one; unique. */
static int key_route(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;
	const struct gateway_conf *conf = cf->ld->conf;
	size_t len = strlen(value), i;

	if (value[0] != '/' || (len > 1 && value[len - 1] == '/')) {
		key_error(cf, k->name, value, "must start with '/' and not end with '/' "
		    "(unless it is \"/\")");
		return -1;
	}
	for (i = 0; i < conf->function_count; i++) {
		if (conf->functions[i].route && strcmp(conf->functions[i].route, value) == 0) {
			key_error(cf, k->name, value, "already the route of [%s] (%s:%u)",
			    conf->functions[i].name, conf->functions[i].file,
			    conf->functions[i].line);
			return -1;
		}
	}
	if (!(fn->route = strdup(value)))
		return out_of_memory(cf);
	return 0;
}

static int key_pm(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct function_conf *fn = target;

	if (strcmp(value, "static") == 0) {
		fn->pm = PM_STATIC;
		return 0;
	}
	if (strcmp(value, "dynamic") == 0 || strcmp(value, "ondemand") == 0)
		key_error(cf, k->name, value, "not supported yet (only static)");
	else
		key_error(cf, k->name, value, "unknown process manager (only static)");
	return -1;
}

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
static bool env_name_valid(const char *s, size_t len)
{
	return len > 0 && !isdigit((unsigned char)s[0]) &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/*
 * env[NAME] = value and param[NAME] = value. A repeated NAME replaces the
 * earlier value in place, so the last one wins as in PHP-FPM.
 */
static int key_pair(struct conf_file *cf, struct conf_pair **pairs, size_t *count,
    const char *key, size_t prefix_len, const char *value)
{
	const char *name = key + prefix_len;
	size_t len = strlen(name) - 1, i;
	bool is_env = prefix_len == strlen("env[");
	struct conf_pair *grown;
	char *copy;

	if (name[len] != ']' || memchr(name, ']', len) ||
	    (is_env ? !env_name_valid(name, len) : len == 0)) {
		key_error(cf, key, value, is_env ? "must be env[NAME], NAME made of "
		    "A-Z a-z 0-9 _ and not starting with a digit" :
		    "must be param[NAME], NAME not empty and without ']'");
		return -1;
	}
	if (!(copy = strdup(value)))
		return out_of_memory(cf);
	for (i = 0; i < *count; i++) {
		if (strlen((*pairs)[i].name) == len && memcmp((*pairs)[i].name, name, len) == 0) {
			free((*pairs)[i].value);
			(*pairs)[i].value = copy;
			return 0;
		}
	}
	if (!(grown = reallocarray(*pairs, *count + 1, sizeof(*grown)))) {
		free(copy);
		return out_of_memory(cf);
	}
	*pairs = grown;
	grown[*count].value = copy;
	if (!(grown[*count].name = strndup(name, len))) {
		free(copy);
		return out_of_memory(cf);
	}
	(*count)++;
	return 0;
}

/*
 * Applies name = value to target through the table keys. A key that is not
 * repeatable may be set once per section ([global] counts as one section
 * across all files); seen holds the bits of those already set.
 */
static void key_apply(struct conf_file *cf, const struct key_spec *keys, size_t n,
    unsigned *seen, void *target, const char *section, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < n && strcmp(keys[i].name, name) != 0; i++)
		;
	if (i == n) {
		file_error(cf, "unknown key \"%s\" in [%s]", name, section);
		return;
	}
	if (!keys[i].repeatable && (*seen & (1u << i))) {
		key_error(cf, name, value, "already set in [%s]", section);
		return;
	}
	*seen |= 1u << i;
	keys[i].parse(cf, &keys[i], target, value);
}

/* inih's handler: one name = value line of cf, in the section the reader saw. */
static int file_on_key(void *user, const char *section, const char *name, const char *value)
{
	struct conf_file *cf = user;
	struct function_conf *fn;

	(void)section;	/* inih's copy is truncated at 49 bytes; the reader's is whole */
	switch (cf->section) {
	case SECTION_NONE:
		key_error(cf, name, value, "key before any section");
		break;
	case SECTION_GLOBAL:
		key_apply(cf, global_keys, KEY_COUNT(global_keys), &cf->ld->global_seen,
		    cf->ld->conf, "global", name, value);
		break;
	case SECTION_FUNCTION:
		fn = &cf->ld->conf->functions[cf->fn_index];
		if (strncmp(name, "env[", 4) == 0)
			key_pair(cf, &fn->env, &fn->env_count, name, 4, value);
		else if (strncmp(name, "param[", 6) == 0)
			key_pair(cf, &fn->params, &fn->param_count, name, 6, value);
		else
			key_apply(cf, function_keys, KEY_COUNT(function_keys), &cf->fn_seen,
			    fn, fn->name, name, value);
		break;
	case SECTION_SKIP:
		break;
	}
	return 1;	/* errors are ours to report: inih's return is for syntax */
}

/* A function name: [A-Za-z0-9_.-]+, not starting with '_' (gatewayd's own paths). */
static bool function_name_valid(const char *s, size_t len)
{
	return len > 0 && s[0] != '_' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") >= len;
}

/* Adds function (name, len) with its defaults, defined at cf's current line. 0 / -1. */
static int function_add(struct conf_file *cf, const char *name, size_t len)
{
	struct gateway_conf *conf = cf->ld->conf;
	struct function_conf fn = {
		.pm = PM_STATIC,
		.max_children = 4,
		.max_requests = 0,
		.queue_max = 512,
		.queue_timeout = 30,
		.max_body = 8 * SIZE_M,
		.line = cf->lineno,
	};
	struct function_conf *grown;

	if (!(grown = reallocarray(conf->functions, conf->function_count + 1, sizeof(fn))))
		return out_of_memory(cf);
	conf->functions = grown;
	fn.name = strndup(name, len);
	fn.file = strdup(cf->path);
	if (!fn.name || !fn.file) {
		free(fn.name);
		free(fn.file);
		return out_of_memory(cf);
	}
	grown[conf->function_count++] = fn;
	cf->section = SECTION_FUNCTION;
	cf->fn_index = conf->function_count - 1;
	cf->fn_seen = 0;
	return 0;
}

/*
 * Returns a pointer to the first of chars in s, or to an inline comment (';'
 * after a blank), or to the NUL: exactly how inih splits a line, so the
 * reader judges a line the way inih will read it.
 */
static const char *line_find(const char *s, const char *chars)
{
	bool was_space = false;

	for (; *s && !strchr(chars, *s) && !(was_space && *s == ';'); s++)
		was_space = isspace((unsigned char)*s);
	return s;
}

/*
 * A "[name]" line (line starts with '['): enters that section. Returns -1
 * for a malformed header, which the caller hides from inih; a well-formed
 * header with a bad or duplicate name returns 0 and skips its keys.
 */
static int file_enter_section(struct conf_file *cf, const char *line)
{
	const char *name = line + 1, *end = line_find(name, "]"), *rest;
	size_t len = (size_t)(end - name), i;
	const struct gateway_conf *conf = cf->ld->conf;

	cf->section = SECTION_SKIP;
	rest = end + (*end == ']') + strspn(end + (*end == ']'), " \t");
	if (*end != ']' || (*rest && *rest != ';' && *rest != '#')) {
		file_error(cf, "syntax error: a section header is [name] alone on its line");
		return -1;
	}
	if (len == 6 && memcmp(name, "global", 6) == 0) {
		cf->section = SECTION_GLOBAL;
		return 0;
	}
	if (!function_name_valid(name, len)) {
		file_error(cf, "bad function name [%.*s]: use A-Z a-z 0-9 _ . - "
		    "and do not start with '_'", (int)len, name);
		return 0;
	}
	for (i = 0; i < conf->function_count; i++) {
		if (strlen(conf->functions[i].name) == len &&
		    memcmp(conf->functions[i].name, name, len) == 0) {
			file_error(cf, "duplicate function [%.*s], first defined at %s:%u",
			    (int)len, name, conf->functions[i].file, conf->functions[i].line);
			return 0;
		}
	}
	return function_add(cf, name, len);
}

/*
 * Judges one line (blanks already skipped) as inih will read it: section
 * headers are entered here; a line that is neither blank, a comment, a
 * header nor name = value (or name: value) is a syntax error. -1 when the
 * line must be hidden from inih.
 */
static int file_check_line(struct conf_file *cf, const char *line)
{
	if (line[0] == '\0' || line[0] == ';' || line[0] == '#')
		return 0;
	if (line[0] == '[')
		return file_enter_section(cf, line);
	if (*line_find(line, "=:") == '\0') {
		file_error(cf, "syntax error: expected name = value or [section]");
		return -1;
	}
	return 0;
}

/*
 * inih's reader: copies the next line of cf into str (num bytes), so that
 * cf->lineno is the line the handler is then called for. The line is given
 * without its leading blanks, which turns off inih's continuation lines: an
 * indented key is just a key. A line too long for str, or malformed, is
 * reported and replaced by an empty one, so inih neither truncates nor
 * half-reads it.
 */
static char *file_read_line(char *str, int num, void *stream)
{
	struct conf_file *cf = stream;
	ssize_t n = getline(&cf->buf, &cf->buf_cap, cf->fp);
	char *line = cf->buf;
	size_t len;

	if (n < 0) {
		cf->read_errno = ferror(cf->fp) ? errno : 0;
		return NULL;
	}
	len = (size_t)n;
	if (cf->lineno++ == 0 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;	/* a UTF-8 byte order mark */
		len -= 3;
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	str[0] = '\0';
	if (strlen(line) != len) {
		file_error(cf, "NUL byte in line");
		return str;
	}
	if (len >= (size_t)num) {
		file_error(cf, "line too long (%zu characters, at most %d)", len, num - 1);
		if (line[strspn(line, " \t")] == '[')
			cf->section = SECTION_SKIP;
		return str;
	}
	line += strspn(line, " \t");
	if (file_check_line(cf, line) == 0)
		memcpy(str, line, strlen(line) + 1);
	return str;
}

/*
 * Returns the absolute directory of path as named, malloc'd, or NULL with
 * errno set.
 */
static char *file_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir, *abs;

	if (!slash)
		return realpath(".", NULL);
	if (!(dir = strndup(path, slash == path ? 1 : (size_t)(slash - path))))
		return NULL;
	abs = realpath(dir, NULL);
	free(dir);
	return abs;
}

/*
 * Reads one file into ld->conf: the root when parent is NULL, else a match of
 * the include = via line that parent is reading. Errors are reported as they
 * are found. Returns -1 when the file could not be read at all.
 */
static int file_load(struct loader *ld, const struct conf_file *parent, const char *path,
    const char *via)
{
	struct conf_file cf = { .ld = ld, .parent = parent, .path = path };
	const struct conf_file *p;
	int rc, ret = -1;

	cf.depth = parent ? parent->depth + 1 : 0;
	if (!(cf.fp = fopen(path, "r"))) {
		conf_error(ld, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (!(cf.real = realpath(path, NULL)) || !(cf.dir = file_dir(path))) {
		conf_error(ld, path, 0, "cannot resolve: %s", strerror(errno));
		goto out;
	}
	for (p = parent; p; p = p->parent) {
		if (strcmp(p->real, cf.real) == 0) {
			conf_error(ld, parent->path, parent->lineno, "include = %s: include cycle: "
			    "%s is already being read", via, path);
			goto out;
		}
	}
	if (cf.depth > CONFIG_INCLUDE_DEPTH_MAX) {
		conf_error(ld, parent->path, parent->lineno, "include = %s: includes nested "
		    "deeper than %d", via, CONFIG_INCLUDE_DEPTH_MAX);
		goto out;
	}
	rc = ini_parse_stream(file_read_line, &cf, file_on_key, &cf);
	if (cf.read_errno) {
		conf_error(ld, path, 0, "cannot read: %s", strerror(cf.read_errno));
		goto out;
	}
	if (rc != 0)	/* the reader hides every bad line it knows; this is inih's word */
		conf_error(ld, path, rc > 0 ? (unsigned)rc : 0, "syntax error");
	ret = 0;
out:
	free(cf.buf);
	free(cf.dir);
	free(cf.real);
	fclose(cf.fp);
	return ret;
}

/* The checks that need every file read: what must be there at least once. */
static void conf_check(struct loader *ld, const char *path)
{
	const struct gateway_conf *conf = ld->conf;
	size_t i;

	if (conf->listen_count == 0)
		conf_error(ld, path, 0, "no listen in [global] (at least one is required)");
	if (conf->function_count == 0)
		conf_error(ld, path, 0, "no function defined");
	for (i = 0; i < conf->function_count; i++)
		if (!conf->functions[i].exec)
			conf_error(ld, conf->functions[i].file, conf->functions[i].line,
			    "missing exec in [%s]", conf->functions[i].name);
}

int config_load(const char *path, struct gateway_conf **out, char *err, size_t err_len)
{
	struct loader ld = { .err = err, .err_len = err ? err_len : 0 };

	*out = NULL;
	if (ld.err_len > 0)
		err[0] = '\0';
	ld.conf = calloc(1, sizeof(*ld.conf));
	if (!ld.conf || !(ld.conf->run_dir = strdup("/run/gatewayd"))) {
		conf_error(&ld, path, 0, "out of memory");
		config_free(ld.conf);
		return -1;
	}
	ld.conf->listen_mode = 0660;
	ld.conf->listen_backlog = 511;
	ld.conf->log_level = LOG_LEVEL_INFO;
	ld.conf->max_connections = 1024;
	ld.conf->max_params = 64 * SIZE_K;
	if (file_load(&ld, NULL, path, NULL) == 0)
		conf_check(&ld, path);
	if (ld.errors > 0) {
		config_free(ld.conf);
		return -1;
	}
	*out = ld.conf;
	return 0;
}

static void pairs_free(struct conf_pair *pairs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
}

static void function_free(struct function_conf *fn)
{
	size_t i;

	free(fn->name);
	free(fn->exec);
	for (i = 0; fn->argv && fn->argv[i]; i++)
		free(fn->argv[i]);
	free(fn->argv);
	free(fn->script);
	free(fn->route);
	pairs_free(fn->env, fn->env_count);
	pairs_free(fn->params, fn->param_count);
	free(fn->file);
}

void config_free(struct gateway_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->listen_count; i++)
		free(conf->listen[i]);
	free(conf->listen);
	for (i = 0; i < conf->allowed_client_count; i++)
		free(conf->allowed_clients[i]);
	free(conf->allowed_clients);
	free(conf->run_dir);
	for (i = 0; i < conf->function_count; i++)
		function_free(&conf->functions[i]);
	free(conf->functions);
	free(conf);
}

const struct function_conf *config_find_function(const struct gateway_conf *conf,
    const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < conf->function_count; i++)
		if (strlen(conf->functions[i].name) == len &&
		    memcmp(conf->functions[i].name, name, len) == 0)
			return &conf->functions[i];
	return NULL;
}
