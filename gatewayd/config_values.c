/*
 * config_values.c: the leaf of the configuration's layers (see
 * config_internal.h): errors reported as "file:line: message", the parsers
 * of plain values (numbers, sizes, durations, modes, booleans, words, text)
 * that every table's rows share, and paths, pairs and lists of strings.
 * Nothing here knows a key by name.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
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

_Static_assert(sizeof(unsigned) == sizeof(int), "config_key_whole() stores int as unsigned");

/* ---- errors ---------------------------------------------------------------- */

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

/* The keys of t in keys[] that cf's section sets for nothing, one error each at its line. */
void config_keys_not_applicable(struct conf_file *cf, const struct key_table *t,
    const size_t *keys, size_t count, const char *sep, const char *message)
{
	for (size_t i = 0; i < count; i++) {
		struct key_at at = config_key_at(cf, t, keys[i]);
		if (at.line != 0)
			config_error_at(cf->ld, cf->path, at.line, "%s%s%s", at.name, sep, message);
	}
}

/* ---- plain values ----------------------------------------------------------- */

bool config_refuse_reserved_path(struct conf_file *cf, const struct key_spec *k,
    const char *value)
{
	size_t dir_len = strlen(GATEWAY_API_PREFIX) - 1;	/* without its last '/' */

	if (strncmp(value, GATEWAY_API_PREFIX, dir_len) != 0 ||
	    (value[dir_len] != '\0' && value[dir_len] != '/'))
		return false;
	config_key_error(cf, k->name, value, "lies under " GATEWAY_API_PREFIX ", which "
	    "gatewayd answers itself (the job API) before any route");
	return true;
}

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
static int value_number(struct conf_file *cf, const struct key_spec *k, const char *value,
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
int config_key_whole(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	unsigned long long v;
	unsigned long wide;
	unsigned narrow;

	if (value_number(cf, k, value, &v) < 0)
		return -1;
	wide = (unsigned long)v;
	narrow = (unsigned)v;
	memcpy((char *)target + k->offset, k->width == sizeof(wide) ? (void *)&wide :
	    (void *)&narrow, k->width);
	return 0;
}

int config_key_size(struct conf_file *cf, const struct key_spec *k, void *target,
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

int config_key_duration(struct conf_file *cf, const struct key_spec *k, void *target,
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
int config_key_mode(struct conf_file *cf, const struct key_spec *k, void *target,
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
int config_key_bool(struct conf_file *cf, const struct key_spec *k, void *target,
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
int config_key_text(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char **field = (char **)((char *)target + k->offset);

	if (value[0] == '\0') {
		config_key_error(cf, k->name, value, "must not be empty");
		return -1;
	}
	free(*field);
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

/*
 * A duration that must be above zero (pm.process_idle_timeout,
 * crash_loop.window), where 0 would not mean "no limit" but nonsense: a
 * worker stopped the moment it is idle, a window no death falls into.
 */
int config_key_positive_duration(struct conf_file *cf, const struct key_spec *k,
    void *target, const char *value)
{
	double seconds;

	if (config_parse_duration(value, &seconds) < 0 || seconds <= 0) {
		config_key_error(cf, k->name, value, "must be a duration above 0 such as 10s, "
		    "500ms, 2m, 1h or a number of seconds");
		return -1;
	}
	*(double *)((char *)target + k->offset) = seconds;
	return 0;
}

static int name_index(const char *const *names, size_t count, const char *value)
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
int config_key_word(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char expected[128] = "must be ";
	size_t n = 0;

	while (k->words[n] != NULL)
		n++;
	int i = name_index(k->words, n, value);
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

/* ---- paths, pairs, lists ------------------------------------------------------ */

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

/* An environment variable name: a letter or _, then letters, digits and _. */
bool config_env_name_valid(const char *s, size_t len)
{
	return len > 0 && !isdigit((unsigned char)s[0]) &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

int config_pair_set(struct conf_pairs *pairs, const char *name, size_t len, char *value)
{
	struct conf_pair *grown;

	for (size_t i = 0; i < pairs->count; i++) {
		struct conf_pair *p = &pairs->items[i];
		if (strlen(p->name) == len && memcmp(p->name, name, len) == 0) {
			free(p->value);
			p->value = value;
			return 0;
		}
	}
	if (!(grown = reallocarray(pairs->items, pairs->count + 1, sizeof(*grown)))) {
		free(value);
		return -1;
	}
	pairs->items = grown;
	grown[pairs->count].value = value;
	if (!(grown[pairs->count].name = strndup(name, len))) {
		free(value);
		return -1;
	}
	pairs->count++;
	return 0;
}

int config_pair_line(struct conf_file *cf, const struct key_spec *k, struct conf_pairs *pairs,
    const char *value, bool env_name)
{
	const char *name = cf->key + (strchr(k->name, '[') - k->name) + 1;
	size_t len = strlen(name) - 1;
	char *copy;

	if (name[len] != ']' || memchr(name, ']', len) ||
	    (env_name ? !config_env_name_valid(name, len) : len == 0)) {
		config_key_error(cf, cf->key, value, env_name ? "must be %.*s[NAME], NAME made of "
		    "A-Z a-z 0-9 _ and not starting with a digit" : "must be %.*s[NAME], NAME not "
		    "empty and without ']'", (int)(strchr(k->name, '[') - k->name), k->name);
		return -1;
	}
	if (!(copy = strdup(value)) || config_pair_set(pairs, name, len, copy) < 0)
		return config_out_of_memory(cf);
	return 0;
}

void config_pairs_free(struct conf_pairs *pairs)
{
	for (size_t i = 0; i < pairs->count; i++) {
		free(pairs->items[i].name);
		free(pairs->items[i].value);
	}
	free(pairs->items);
	*pairs = (struct conf_pairs){ 0 };
}

int config_strings_add(struct conf_strings *list, const char *value)
{
	char **grown = reallocarray(list->items, list->count + 1, sizeof(*grown));

	if (grown == NULL)
		return -1;
	list->items = grown;
	if ((grown[list->count] = strdup(value)) == NULL)
		return -1;
	list->count++;
	return 0;
}

void config_strings_free(struct conf_strings *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	*list = (struct conf_strings){ 0 };
}

/*
 * A file of secrets (env_file, async.callback_secret_file, named by key):
 * it must be root's or the user's who loads the configuration (gatewayd's,
 * when it does not run as root), writable by nobody else (else another user
 * chooses what a function runs with) and readable by nobody but its owner
 * and group. Reports and returns true when st breaks a rule.
 */
bool config_secret_file_unsafe(struct conf_file *cf, const char *key, const char *path,
    const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		config_file_error(cf, "%s %s belongs to uid %u: it must be root's or "
		    "gatewayd's (chown root)", key, path, (unsigned)st->st_uid);
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		config_file_error(cf, "%s %s is writable by others: chmod go-w", key, path);
	else if (st->st_mode & S_IROTH)
		config_file_error(cf, "%s %s is readable by everyone: chmod o-r", key, path);
	else
		return false;
	return true;
}
