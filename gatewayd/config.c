/*
 * config.c: loads gatewayd's INI configuration with inih and validates it.
 *
 * Debian's inih gives its handler no line numbers, so every file goes through
 * ini_parse_stream() with our own reader. The reader counts lines, rejects
 * lines inih would silently truncate, reports every malformed line (inih
 * reports only the first) and tracks section headers itself: inih never
 * tells the handler about a section without keys, and it truncates section
 * names at 49 bytes. config_keys.c then applies each key through the tables of
 * its section, and runs each table's checks when a section ends and once
 * every file is read (see config_internal.h for the layers).
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

/* A function name: [A-Za-z0-9_.-]+, not starting with '_' (gatewayd's own paths). */
static bool function_name_valid(const char *s, size_t len)
{
	return len > 0 && s[0] != '_' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") >= len;
}

/*
 * Adds function (name, len), defined at cf's current line, with the
 * defaults the tables give. 0 / -1.
 */
static int function_add(struct conf_file *cf, const char *name, size_t len)
{
	struct gateway_conf *conf = cf->ld->conf;
	struct function_conf *grown, *fn;

	if (!(grown = reallocarray(conf->functions, conf->function_count + 1, sizeof(*grown))))
		return config_out_of_memory(cf);
	conf->functions = grown;
	fn = &grown[conf->function_count];
	*fn = (struct function_conf){ .line = cf->lineno };
	fn->name = strndup(name, len);
	fn->file = strdup(cf->path);
	if (!fn->name || !fn->file) {
		free(fn->name);
		free(fn->file);
		return config_out_of_memory(cf);
	}
	conf->function_count++;
	cf->section = SECTION_FUNCTION;
	cf->fn_index = conf->function_count - 1;
	memset(cf->fn_marks, 0, sizeof(cf->fn_marks));
	config_keys_defaults(cf, SECTION_FUNCTION, fn);
	return 0;
}

/* Ends the section being read: a function's has checks that need all its lines. */
static void file_leave_section(struct conf_file *cf)
{
	if (cf->section == SECTION_FUNCTION)
		config_keys_section_end(cf);
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

/* inih's handler: one name = value line of cf, in the section the reader saw. */
static int config_on_key(void *user, const char *section, const char *name, const char *value)
{
	struct conf_file *cf = user;

	(void)section;	/* inih's copy is truncated at 49 bytes; the reader's is whole */
	switch (cf->section) {
	case SECTION_NONE:
		config_key_error(cf, name, value, "key before any section");
		break;
	case SECTION_GLOBAL:
	case SECTION_FUNCTION:
		config_keys_apply(cf, name, value);
		break;
	case SECTION_SKIP:
		break;
	}
	return 1;	/* errors are ours to report: inih's return is for syntax */
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
		config_error_at(ld, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (!(cf.real = realpath(path, NULL)) || !(cf.dir = file_dir(path))) {
		config_error_at(ld, path, 0, "cannot resolve: %s", strerror(errno));
		goto out;
	}
	for (p = parent; p; p = p->parent) {
		if (strcmp(p->real, cf.real) == 0) {
			config_error_at(ld, parent->path, parent->lineno, "include = %s: include cycle: "
			    "%s is already being read", via, path);
			goto out;
		}
	}
	if (cf.depth > CONFIG_INCLUDE_DEPTH_MAX) {
		config_error_at(ld, parent->path, parent->lineno, "include = %s: includes nested "
		    "deeper than %d", via, CONFIG_INCLUDE_DEPTH_MAX);
		goto out;
	}
	rc = ini_parse_stream(file_read_line, &cf, config_on_key, &cf);
	if (cf.read_errno) {
		config_error_at(ld, path, 0, "cannot read: %s", strerror(cf.read_errno));
		goto out;
	}
	if (rc != 0)	/* the reader hides every bad line it knows; this is inih's word */
		config_error_at(ld, path, rc > 0 ? (unsigned)rc : 0, "syntax error");
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
static int config_include(struct conf_file *cf, const char *key, const char *value)
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

	if (conf->listen.count == 0)
		config_error_at(ld, path, 0, "no listen in [global] (at least one is required)");
	if (conf->function_count == 0)
		config_error_at(ld, path, 0, "no function defined");
	/* A runtime writes its exec line, or has said why it could not. */
	for (i = 0; i < conf->function_count; i++)
		if (!conf->functions[i].pool.exec.line &&
		    conf->functions[i].runtime.runtime == RUNTIME_NONE)
			config_error_at(ld, conf->functions[i].file, conf->functions[i].line,
			    "missing exec in [%s] (or a runtime = and its handler =)",
			    conf->functions[i].name);
}

/* config_load() and config_load_without_secrets(). */
static int config_load_as(const char *path, bool without_secrets, struct gateway_conf **out,
    char *err, size_t err_len)
{
	struct loader ld = { .err = err, .err_len = err ? err_len : 0,
			     .without_secrets = without_secrets, .include = config_include };
	int rc;

	*out = NULL;
	if (ld.err_len > 0)
		err[0] = '\0';
	ld.conf = calloc(1, sizeof(*ld.conf));
	if (!ld.conf) {
		config_error_at(&ld, path, 0, "out of memory");
		return -1;
	}
	struct conf_file defaults = { .ld = &ld, .path = path, .dir = "/",
				      .section = SECTION_GLOBAL };
	config_keys_defaults(&defaults, SECTION_GLOBAL, ld.conf);
	rc = file_load(&ld, NULL, path, NULL);
	if (rc == 0)
		conf_check(&ld, path);
	config_keys_load_end(&ld);
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

void config_free(struct gateway_conf *conf)
{
	if (!conf)
		return;
	for (size_t i = 0; i < conf->function_count; i++) {
		config_keys_free(SECTION_FUNCTION, &conf->functions[i]);
		free(conf->functions[i].name);
		free(conf->functions[i].file);
	}
	free(conf->functions);
	config_keys_free(SECTION_GLOBAL, conf);
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
