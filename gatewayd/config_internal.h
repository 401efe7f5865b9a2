/*
 * config_internal.h: what config.c (the line reader, sections, includes,
 * load and free) and config_keys.c (the key table and the value parsers)
 * share. Private to those two files: every other module includes config.h
 * alone.
 */
#ifndef GATEWAYD_CONFIG_INTERNAL_H
#define GATEWAYD_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define CONFIG_SIZE_K (1ULL << 10)
#define CONFIG_SIZE_M (1ULL << 20)
#define CONFIG_SIZE_G (1ULL << 30)

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

/* config.c: error reporting. */

/* An error about the line of cf being read. */
void config_file_error(struct conf_file *cf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error about the value of key name on the line of cf being read. */
void config_key_error(struct conf_file *cf, const char *name, const char *value,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reports "out of memory" at cf's current line and returns -1. */
int config_out_of_memory(struct conf_file *cf);

/* config.c: includes. */

/*
 * Reads the files that the include glob value, written on cf's current line,
 * matches. key names the directive in messages. 0 / -1.
 */
int config_include(struct conf_file *cf, const char *key, const char *value);

/* config_keys.c: the key table. */

/*
 * inih's handler: one name = value line of cf (user), in the section the
 * reader saw. Always returns 1: errors are reported, not returned.
 */
int config_on_key(void *user, const char *section, const char *name, const char *value);

#endif /* GATEWAYD_CONFIG_INTERNAL_H */
