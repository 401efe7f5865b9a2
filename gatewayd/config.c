/*
 * config.c: loads gatewayd's INI configuration with inih and validates it.
 *
 * Debian's inih gives its handler no line numbers, so every file goes through
 * ini_parse_stream() with our own reader. The reader counts lines, rejects
 * lines inih would silently truncate, reports every malformed line (inih
 * reports only the first) and tracks section headers itself: inih never
 * tells the handler about a section without keys, and it truncates section
 * names at 49 bytes. The handler (config_keys.c) then applies one key to the
 * current section through a table of keys, one parser per key; when a
 * function section ends, config_pool.c, config_sandbox.c and config_async.c
 * check how its keys fit together.
 *
 * Nothing stops at the first error: each is written to the caller's buffer as
 * "file:line: message" and the load goes on, so `gatewayd -t` lists them all.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "config_internal.h"

#define CONFIG_INCLUDE_DEPTH_MAX 8	/* include = nested at most this deep */

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
void __attribute__((format(printf, 2, 3)))
config_file_error(struct conf_file *cf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cf->ld, cf->path, cf->lineno, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* An error about the value of key name on the line of cf being read. */
void __attribute__((format(printf, 4, 5)))
config_key_error(struct conf_file *cf, const char *name, const char *value,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cf->ld, cf->path, cf->lineno, name, value, fmt, ap);
	va_end(ap);
}

/* An error about line of file, which need not be the line being read (0: none). */
void __attribute__((format(printf, 4, 5)))
config_error_at(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ld, file, line, NULL, NULL, fmt, ap);
	va_end(ap);
}

/* Reports "out of memory" at cf's current line and returns -1. */
int config_out_of_memory(struct conf_file *cf)
{
	config_file_error(cf, "out of memory");
	return -1;
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
		.mode = FUNCTION_FASTCGI,
		.pm = PM_STATIC,
		.max_children = 4,
		.min_spare = 1,
		.max_spare = 3,
		/* .start_servers is computed when the section ends (config_pool.c). */
		.idle_timeout = 10,
		.max_spawn_rate = 32,
		.max_requests = 0,
		.max_memory = 0,
		.request_timeout = 60,
		.spawn_timeout = 10,
		.crash_limit = 5,
		.crash_window = 10,
		.queue_max = 512,
		.queue_timeout = 30,
		.max_body = 8 * CONFIG_SIZE_M,
		.seccomp_kill = true,
		.limits[CONF_LIMIT_CORE] = { .set = true, .value = 0 },	/* no core dumps */
		.clear_env = true,
		.async = ASYNC_OFF,
		.async_queue_size = 1000,
		.async_max_attempts = 3,
		.async_max_body = CONFIG_SIZE_M,
		.async_max_concurrency = 0,
		.async_result_max = CONFIG_SIZE_M,
		.async_result_ttl = 3600,
		.async_retry_delay = 1,
		.line = cf->lineno,
	};
	struct function_conf *grown;

	if (!(grown = reallocarray(conf->functions, conf->function_count + 1, sizeof(fn))))
		return config_out_of_memory(cf);
	conf->functions = grown;
	fn.name = strndup(name, len);
	fn.file = strdup(cf->path);
	fn.seccomp = strdup("default");
	if (!fn.name || !fn.file || !fn.seccomp) {
		free(fn.name);
		free(fn.file);
		free(fn.seccomp);
		return config_out_of_memory(cf);
	}
	grown[conf->function_count++] = fn;
	cf->section = SECTION_FUNCTION;
	cf->fn_index = conf->function_count - 1;
	memset(&cf->fn_marks, 0, sizeof(cf->fn_marks));
	return 0;
}

/* Ends the section being read: a function's has checks that need all its lines. */
static void file_leave_section(struct conf_file *cf)
{
	if (cf->section == SECTION_FUNCTION) {
		config_pool_section_end(cf);
		config_sandbox_section_end(cf);
		config_async_section_end(cf);
	}
	cf->section = SECTION_SKIP;
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

	file_leave_section(cf);
	rest = end + (*end == ']') + strspn(end + (*end == ']'), " \t");
	if (*end != ']' || (*rest && *rest != ';' && *rest != '#')) {
		config_file_error(cf, "syntax error: a section header is [name] alone on its line");
		return -1;
	}
	if (len == 6 && memcmp(name, "global", 6) == 0) {
		cf->section = SECTION_GLOBAL;
		return 0;
	}
	if (!function_name_valid(name, len)) {
		config_file_error(cf, "bad function name [%.*s]: use A-Z a-z 0-9 _ . - "
		    "and do not start with '_'", (int)len, name);
		return 0;
	}
	for (i = 0; i < conf->function_count; i++) {
		if (strlen(conf->functions[i].name) == len &&
		    memcmp(conf->functions[i].name, name, len) == 0) {
			config_file_error(cf, "duplicate function [%.*s], first defined at %s:%u",
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
		config_file_error(cf, "syntax error: expected name = value or [section]");
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
		config_file_error(cf, "NUL byte in line");
		return str;
	}
	if (len >= (size_t)num) {
		config_file_error(cf, "line too long (%zu characters, at most %d)", len, num - 1);
		if (line[strspn(line, " \t")] == '[')
			file_leave_section(cf);
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
	rc = ini_parse_stream(file_read_line, &cf, config_on_key, &cf);
	if (cf.read_errno) {
		conf_error(ld, path, 0, "cannot read: %s", strerror(cf.read_errno));
		goto out;
	}
	if (rc != 0)	/* the reader hides every bad line it knows; this is inih's word */
		conf_error(ld, path, rc > 0 ? (unsigned)rc : 0, "syntax error");
	ret = 0;
out:
	file_leave_section(&cf);
	free(cf.buf);
	free(cf.dir);
	free(cf.real);
	fclose(cf.fp);
	return ret;
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
 * the path the operator typed. key names the directive in messages. 0 / -1:
 * -1 when a match could not be read at all or the glob failed.
 */
int config_include(struct conf_file *cf, const char *key, const char *value)
{
	const char *slash = strrchr(cf->path, '/');
	char *pattern;
	glob_t g;
	size_t i;
	int rc, ret = 0;

	if (value[0] == '/' || !slash)
		pattern = strdup(value);
	else if (asprintf(&pattern, "%.*s/%s", (int)(slash - cf->path), cf->path, value) < 0)
		pattern = NULL;
	if (!pattern)
		return config_out_of_memory(cf);
	rc = glob(pattern, 0, include_glob_error, &g);
	if (rc == 0) {
		for (i = 0; i < g.gl_pathc; i++)
			if (file_load(cf->ld, cf, g.gl_pathv[i], value) < 0)
				ret = -1;
	} else if (rc != GLOB_NOMATCH) {
		config_key_error(cf, key, value, "cannot read the directories of %s%s", pattern,
		    rc == GLOB_NOSPACE ? ": out of memory" : "");
		ret = -1;
	}
	if (rc != GLOB_NOSPACE)
		globfree(&g);
	free(pattern);
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

/* config_load() and config_load_without_secrets(). */
static int config_load_as(const char *path, bool without_secrets, struct gateway_conf **out,
    char *err, size_t err_len)
{
	struct loader ld = { .err = err, .err_len = err ? err_len : 0,
			     .without_secrets = without_secrets };
	int rc;

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
	ld.conf->dynamic_first = 61184;
	ld.conf->dynamic_last = 65519;
	ld.conf->listen_backlog = 511;
	ld.conf->log_level = LOG_LEVEL_INFO;
	ld.conf->max_connections = 1024;
	ld.conf->max_params = 64 * CONFIG_SIZE_K;
	ld.conf->shutdown_timeout = 30;
	ld.conf->read_timeout = 60;
	ld.conf->idle_timeout = 300;
	ld.conf->async_fsync = ASYNC_FSYNC_BATCH;
	ld.conf->async_fsync_interval = 0.01;
	rc = file_load(&ld, NULL, path, NULL);
	config_sandbox_global_end(&ld);
	if (rc == 0)
		conf_check(&ld, path);
	config_async_load_end(&ld);
	if (ld.errors > 0) {
		config_free(ld.conf);
		return -1;
	}
	*out = ld.conf;
	return 0;
}

int config_load(const char *path, struct gateway_conf **out, char *err, size_t err_len)
{
	return config_load_as(path, false, out, err, err_len);
}

int config_load_without_secrets(const char *path, struct gateway_conf **out, char *err,
    size_t err_len)
{
	return config_load_as(path, true, out, err, err_len);
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
	free(fn->seccomp);
	free(fn->seccomp_allow);
	free(fn->seccomp_deny);
	free(fn->identity.user);
	free(fn->chdir);
	free(fn->chroot);
	free(fn->env_file);
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
	free(conf->pid_file);
	free(conf->async_journal);
	free(conf->identity.user);
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
