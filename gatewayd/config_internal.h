/*
 * config_internal.h: what config.c (the line reader, sections, includes,
 * load and free), config_keys.c (the key table and the value parsers),
 * config_pool.c (the pool, timeout and crash-loop keys), config_sandbox.c
 * (the parsers of the sandbox keys) and config_async.c (the async keys)
 * share. Private to those five files: every other module includes config.h
 * alone.
 */
#ifndef GATEWAYD_CONFIG_INTERNAL_H
#define GATEWAYD_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define CONFIG_SIZE_K (1ULL << 10)
#define CONFIG_SIZE_M (1ULL << 20)
#define CONFIG_SIZE_G (1ULL << 30)

#define CONFIG_KEYS_MAX 64	/* keys per table: key_marks keeps one bit per key */

/*
 * Where user = and group = stood in one section: a function's, or [global]
 * across its files. They may come in either order, and allow_root = may
 * follow user =, so the checks that need them all wait for the section's end.
 */
struct identity_lines {
	char *user_file;		/* the file user = stands in (even a bad one), or NULL */
	unsigned user_line;
	bool user_gid_known;		/* user = has a passwd entry: a primary group */
	char *group;			/* group = value as written, or NULL */
	char *group_file;		/* the file group = stands in */
	unsigned group_line;
};

/*
 * Which keys of a table one section has set, and where. Function sections
 * keep it for the checks made when the section ends, which need to know
 * whether a value was written or is the default, and on which line.
 */
struct key_marks {
	unsigned long long seen;	/* bit i: keys[i] set (a second time is an error) */
	unsigned long long refused;	/* bit i: keys[i]'s value was refused, and reported */
	unsigned line[CONFIG_KEYS_MAX];	/* keys[i]'s line, if seen (for [global], in any of its files) */
};

/*
 * A function section that asked for async mode, and where: whether [global]
 * names a journal is only known once every file is read.
 */
struct async_use {
	size_t fn_index;		/* conf->functions[] index */
	unsigned line;			/* the async = line, in that function's file */
};

/* What one config_load() call carries from file to file. */
struct loader {
	struct gateway_conf *conf;	/* being filled; freed by config_load() on error */
	char *err;			/* the caller's buffer, always NUL-terminated */
	size_t err_len;
	size_t err_used;
	unsigned errors;		/* errors found, whether or not they fitted in err */
	struct key_marks global_marks;	/* global_keys[] already set, across all files */
	struct identity_lines global_identity;	/* [global] user = / group =, across files */
	struct async_use *async_uses;	/* functions with async = on | only, in file order */
	size_t async_use_count;
	bool without_secrets;		/* config_load_without_secrets(): env_file not read */
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
	struct key_marks fn_marks;	/* function_keys[] already set in this section */
	struct identity_lines fn_identity;	/* this function section's user = / group = */
	unsigned chdir_line;		/* where chdir = stands in this section, or 0 */
	bool chdir_relative;		/* it was written relative (resolved on the host) */
};

struct key_spec;

/* Parses value for key k into target (the gateway_conf or function_conf). 0 / -1. */
typedef int key_parser(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value);

/* One directive: its name, its parser and, for numbers, where and what range. */
struct key_spec {
	const char *name;
	key_parser *parse;
	size_t offset;			/* the field in target, for parsers shared by fields */
	size_t width;			/* sizeof that field */
	unsigned long long min, max;	/* accepted range, for numeric and limit.* parsers */
	bool repeatable;		/* may appear more than once (listen, include) */
	const char *const *words;	/* a word-valued key's words, NULL-terminated; the enum is the index */
};

/* config.c: error reporting. */

/* An error about the line of cf being read. */
void config_file_error(struct conf_file *cf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* An error about the value of key name on the line of cf being read. */
void config_key_error(struct conf_file *cf, const char *name, const char *value,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* An error about line of file, which need not be the line being read (0: none). */
void config_error_at(struct loader *ld, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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

/*
 * The line of cf's current function section where key name is set, or 0
 * when it is not (the default holds). *refused tells whether its value was
 * refused (already reported): checks that need the value then skip it.
 */
unsigned config_function_key_line(const struct conf_file *cf, const char *name, bool *refused);

/* The same for [global]'s key name, across every file read so far. */
unsigned config_global_key_line(const struct loader *ld, const char *name, bool *refused);

/* config_keys.c: helpers the sandbox and pool parsers share. */

/* What config_path_resolve() requires the path to name. */
enum path_kind {
	PATH_FILE,		/* a regular file we may read */
	PATH_DIR,		/* a directory */
};

/*
 * Resolves value, written on cf's current line for key k, relative to the
 * file's directory, and checks that it names kind. Returns the realpath()
 * (malloc'd), or NULL with the error reported.
 */
char *config_path_resolve(struct conf_file *cf, const struct key_spec *k, const char *value,
    enum path_kind kind);

/*
 * Resolves value, written on cf's current line for key k, to the absolute
 * path of a file that need not exist yet but whose directory must (pid), so
 * a typo is found by `gatewayd -t`, not at start-up; dir_may_be_missing
 * accepts a directory gatewayd makes itself before it opens the file
 * (async.journal in run_dir). A path whose directory part is not a directory
 * is refused either way. Returns the path (malloc'd, not passed through
 * realpath()), or NULL with the error reported.
 */
char *config_file_path(struct conf_file *cf, const struct key_spec *k, const char *value,
    bool dir_may_be_missing);

/*
 * Returns value as an absolute path: as written when it starts with '/',
 * else under the directory of cf's file ("./" dropped). Malloc'd; NULL when
 * out of memory (not reported).
 */
char *config_path_absolute(const struct conf_file *cf, const char *value);

/* Parses exactly len decimal digits (no sign, no blanks) into *out. 0 / -1 (also overflow). */
int config_parse_digits(const char *s, size_t len, unsigned long long *out);

/* Writes v as the shortest of "1G", "16M", "64K" or bytes, for messages. */
const char *config_size_text(unsigned long long v, char *buf, size_t len);

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool config_env_name_valid(const char *s, size_t len);

/*
 * Sets (name, len) to value in *pairs: the value of the same name is
 * replaced in place, else the pair is appended. value is malloc'd and taken
 * in every case (freed on failure). 0 / -1 out of memory.
 */
int config_pair_set(struct conf_pair **pairs, size_t *count, const char *name, size_t len,
    char *value);

/* config_sandbox.c: the sandbox keys (docs/sandbox.md), parsers for the table. */

key_parser config_key_seccomp, config_key_seccomp_action, config_key_limit_size,
    config_key_limit_count, config_key_limit_cpu, config_key_user, config_key_group,
    config_key_dir, config_key_chdir, config_key_env_file, config_key_network,
    config_key_listen_owner, config_key_listen_group, config_key_dynamic_users;

/*
 * Ends cf's function section: reports a group = without user =, a user =
 * whose primary group is unknown without group =, and a root user without
 * allow_root = yes. Frees cf->fn_identity.
 */
void config_sandbox_section_end(struct conf_file *cf);

/* Ends [global] once every file is read: the checks above, but root is allowed. */
void config_sandbox_global_end(struct loader *ld);

/* config_pool.c: pm, mode, the pm.* scaling keys and the durations, parsers for the table. */

key_parser config_key_positive_duration,
    config_key_max_memory;

/*
 * Ends cf's function section: the keys that only apply to some pm or mode,
 * PHP-FPM's rules for pm = dynamic (1 <= min_spare <= max_spare <=
 * max_children, min_spare <= start_servers <= max_spare), then the computed
 * default of pm.start_servers.
 */
void config_pool_section_end(struct conf_file *cf);

/* config_async.c: the async keys (docs/async.md), parsers for the tables. */

key_parser config_key_async_journal,
    config_key_async_fsync_interval;

/*
 * Ends cf's function section: async.* keys without async = on | only, then
 * async.max_body against request.max_body and async.max_concurrency against
 * pm.max_children. Records a function with async = on | only for
 * config_async_load_end(). Reports out of memory at the section header.
 */
void config_async_section_end(struct conf_file *cf);

/*
 * Ends the load once every file is read: each function with async = on |
 * only needs [global] async.journal. Frees ld->async_uses.
 */
void config_async_load_end(struct loader *ld);

/* The words of log_level, pm, mode, async and async.fsync, in their enums' order (config_keys.c). */
extern const char *const config_log_level_words[];
extern const char *const config_pm_words[], *const config_mode_words[];
extern const char *const config_async_words[], *const config_fsync_words[];

/* Entries in a fixed array. */
#define NAME_COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* The index of value in names (count entries), or -1: for keys taking one of a few words. */
int config_name_index(const char *const *names, size_t count, const char *value);

#endif /* GATEWAYD_CONFIG_INTERNAL_H */
