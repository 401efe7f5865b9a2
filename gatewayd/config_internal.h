/*
 * config_internal.h: what the configuration's files share, in layers that
 * only call downwards:
 *
 *   config.c          the reader: files, lines, sections, includes; load and free
 *     config_keys.c   the tables: applies a line through its section's tables,
 *                     defaults, marks, section and load checks, reload classes
 *       config_global.c, config_pool.c, config_sandbox.c, config_request.c,
 *       config_async.c, config_runtime.c: each a table (or two) of keys, one
 *                     row per key, their own parsers and the checks that need
 *                     a whole section
 *         config_values.c   the leaf: error reports and value parsers
 *
 * A topic file finds where its keys were set through the inline lookups at
 * the end of this header, by the key's field (its offset), never by name.
 * Private to those files: every other module includes config.h alone.
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

/* The tables, one per topic and section kind; key_marks are kept per table. */
enum config_table {
	TABLE_GLOBAL,		/* config_global.c: listeners, files, limits of [global] */
	TABLE_IDENTITY,		/* config_sandbox.c: [global] user, group, dynamic_users, listen.owner/group */
	TABLE_JOURNAL,		/* config_async.c: [global] async.journal and its fsync policy */
	TABLE_POOL,		/* config_pool.c: a function's program, scaling, timeouts */
	TABLE_SANDBOX,		/* config_sandbox.c: a function's confinement and environment */
	TABLE_REQUEST,		/* config_request.c: a function's route, script, body limit, params */
	TABLE_ASYNC,		/* config_async.c: a function's async = and async.* */
	TABLE_RUNTIME,		/* config_runtime.c: a function's runtime = and its handler */
	TABLE_NATS,		/* config_nats.c: [global] async.backend and the nats.* keys */
	TABLE_COUNT,
};

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
 * Which keys of a table one section has set, and where. The checks made
 * when a section ends need to know whether a value was written or is the
 * default, and on which line.
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

struct conf_file;

/* What one config_load() call carries from file to file. */
struct loader {
	struct gateway_conf *conf;	/* being filled; freed by config_load() on error */
	char *err;			/* the caller's buffer, always NUL-terminated */
	size_t err_len;
	size_t err_used;
	unsigned errors;		/* errors found, whether or not they fitted in err */
	struct key_marks global_marks[TABLE_COUNT];	/* [global]'s keys set, across all files */
	struct identity_lines global_identity;	/* [global] user = / group =, across files */
	struct async_use *async_uses;	/* functions with async = on | only, in file order */
	size_t async_use_count;
	bool without_secrets;		/* config_load_without_secrets(): env_file not read */
	/* The reader's include = (config.c), reached from the key that names it. 0 / -1. */
	int (*include)(struct conf_file *cf, const char *key, const char *value);
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
	const char *key;		/* the key of that line, as written (env[PATH]) */
	unsigned depth;			/* 0 for the file given to config_load() */
	enum section_kind section;
	size_t fn_index;		/* conf->functions[] index while in SECTION_FUNCTION */
	struct key_marks fn_marks[TABLE_COUNT];	/* this function section's keys set */
	struct identity_lines fn_identity;	/* this function section's user = / group = */
	unsigned chdir_line;		/* where chdir = stands in this section, or 0 */
	bool chdir_relative;		/* it was written relative (resolved on the host) */
};

struct key_spec;

/*
 * Parses value for key k into target (the gateway_conf or function_conf),
 * replacing (and freeing) what the field held: a default, or nothing. A
 * key written NAME[...] (env[NAME]) gets the whole key as written in name.
 * 0 / -1, reported.
 */
typedef int key_parser(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value);

/* What kind of value a key's field holds: how it is compared, kept and freed. */
enum key_kind {
	KIND_SCALAR,		/* numbers, enums, booleans, plain structs: compared by bytes */
	KIND_STRING,		/* a char *, or NULL */
	KIND_STRINGS,		/* a struct conf_strings */
	KIND_PAIRS,		/* a struct conf_pairs */
	KIND_EXEC,		/* the exec line (char *) and, beside it, its argv */
	KIND_IDENTITY,		/* a struct conf_identity */
	KIND_ID,		/* a struct conf_id_value */
	KIND_LIMIT,		/* a struct conf_rlimit */
	KIND_READER,		/* include: read by the reader, holds nothing */
};

/*
 * One directive, as redis's static_configs[] rows: everything about a key
 * is here, and defaults, the reload comparison and freeing follow from it.
 */
struct key_spec {
	const char *name;		/* as written; "env[NAME]" for a key of that pattern */
	key_parser *parse;
	size_t offset;			/* the field in the section's struct */
	size_t width;			/* sizeof that field */
	enum key_kind kind;
	enum config_reload reload;	/* what a change does on reload */
	const char *def;		/* the default, as written (parsed like a value), or NULL */
	unsigned long long min, max;	/* accepted range, for numeric and limit.* parsers */
	bool repeatable;		/* may appear more than once (listen, include, env[NAME]) */
	const char *const *words;	/* a word-valued key's words, NULL-terminated; the enum is the index */
};

/* A topic's keys for one kind of section, and the checks that need them all. */
struct key_table {
	enum config_table id;
	enum section_kind section;	/* SECTION_GLOBAL or SECTION_FUNCTION */
	const struct key_spec *keys;
	size_t count;
	/* A function section ends (function tables): checks across its keys. NULL: none. */
	void (*section_end)(struct conf_file *cf);
	/* Every file is read: checks across sections. NULL: none. */
	void (*load_end)(struct loader *ld);
};

/* The topics' tables (config_global.c, config_sandbox.c, config_async.c, ...). */
extern const struct key_table config_global_table, config_identity_table,
    config_journal_table, config_nats_table, config_pool_table, config_sandbox_table, config_request_table,
    config_async_table, config_runtime_table;

/* ---- config_keys.c: applying the tables (for config.c) -------------------- */

/* Every table, in TABLE_* order. */
extern const struct key_table *const config_tables[TABLE_COUNT];

/* Applies one name = value line of cf, in the section it belongs to. */
void config_keys_apply(struct conf_file *cf, const char *name, const char *value);

/*
 * Sets the defaults of every table of section kind into target (a fresh,
 * zeroed gateway_conf or function_conf), parsing each row's def as a value.
 */
void config_keys_defaults(struct conf_file *cf, enum section_kind kind, void *target);

/* cf's function section ends: each function table's section_end. */
void config_keys_section_end(struct conf_file *cf);

/* Every file is read: each table's load_end. */
void config_keys_load_end(struct loader *ld);

/* Frees what the fields of every key of kind hold in target (the struct itself stays). */
void config_keys_free(enum section_kind kind, void *target);

/* ---- config_values.c: the leaf --------------------------------------------- */

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

struct stat;
/* Whether a file of secrets named by key breaks the ownership rules; reported if so. */
bool config_secret_file_unsafe(struct conf_file *cf, const char *key, const char *path,
    const struct stat *st);

/* The value parsers topic tables share. */
key_parser config_key_whole, config_key_size, config_key_duration,
    config_key_positive_duration, config_key_mode, config_key_bool, config_key_text,
    config_key_word;

/*
 * A route or function_prefix that gatewayd's own paths (GATEWAY_API_PREFIX)
 * would shadow: "/_gateway" itself, or anything under it. Reports it on
 * cf's line for key k and returns true.
 */
bool config_refuse_reserved_path(struct conf_file *cf, const struct key_spec *k,
    const char *value);

/*
 * Reports each key of function table t, by its field offset in keys[0..count),
 * that cf's section sets although the section's other keys make it mean
 * nothing, at its line, as "<name><sep><message>".
 */
void config_keys_not_applicable(struct conf_file *cf, const struct key_table *t,
    const size_t *keys, size_t count, const char *sep, const char *message);

/* Parses exactly len decimal digits (no sign, no blanks) into *out. 0 / -1 (also overflow). */
int config_parse_digits(const char *s, size_t len, unsigned long long *out);

/* Writes v as the shortest of "1G", "16M", "64K" or bytes, for messages. */
const char *config_size_text(unsigned long long v, char *buf, size_t len);

/* An environment variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool config_env_name_valid(const char *s, size_t len);

/*
 * Sets (name, len) to value in pairs: the value of the same name is
 * replaced in place, else the pair is appended. value is malloc'd and taken
 * in every case (freed on failure). 0 / -1 out of memory.
 */
int config_pair_set(struct conf_pairs *pairs, const char *name, size_t len, char *value);

/*
 * A NAME[X] = value line (env[X], param[X]) for key k of pattern
 * "PREFIX[NAME]": X, checked (an environment variable name when env_name,
 * else any text without ']'), gets value in pairs; a repeated X replaces the
 * earlier value in place, so the last one wins as in PHP-FPM. 0 / -1,
 * reported.
 */
int config_pair_line(struct conf_file *cf, const struct key_spec *k, struct conf_pairs *pairs,
    const char *value, bool env_name);

/* Frees every pair and empties pairs. */
void config_pairs_free(struct conf_pairs *pairs);

/* Appends a copy of value to list. 0 / -1 out of memory. */
int config_strings_add(struct conf_strings *list, const char *value);

/* Frees every string and empties list. */
void config_strings_free(struct conf_strings *list);

/*
 * Returns value as an absolute path: as written when it starts with '/',
 * else under the directory of cf's file ("./" dropped). Malloc'd; NULL when
 * out of memory (not reported).
 */
char *config_path_absolute(const struct conf_file *cf, const char *value);

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

/* Entries in a fixed array. */
#define NAME_COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* ---- rows, written the same way in every table ------------------------------- */

/*
 * The rows' macros take (type, field) as written by a topic file's own
 * shorthand (P(max_children) for struct function_conf, pool.max_children):
 * the outer macro expands it into two arguments for the inner one.
 */
#define KEY(...) KEY_(__VA_ARGS__)
#define NUMBER_KEY(...) NUMBER_KEY_(__VA_ARGS__)
#define WORD_KEY(...) WORD_KEY_(__VA_ARGS__)

/* A key stored at field of type by parse, of kind, with its reload class and default. */
#define KEY_(name, parse, type, field, kind, reload, def) \
	{ name, parse, offsetof(type, field), sizeof(((type *)0)->field), kind, reload, def, \
	  0, 0, false, NULL }
/* A number within [min, max]. */
#define NUMBER_KEY_(name, parse, type, field, reload, def, min, max) \
	{ name, parse, offsetof(type, field), sizeof(((type *)0)->field), KIND_SCALAR, reload, \
	  def, min, max, false, NULL }
/* An enum written as one of words (NULL-terminated); the index is stored. */
#define WORD_KEY_(name, type, field, reload, def, words) \
	{ name, config_key_word, offsetof(type, field), sizeof(((type *)0)->field), KIND_SCALAR, \
	  reload, def, 0, 0, false, words }

/* ---- where a key was set (for the checks at a section's end) ----------------- */

/* Where one key stands: line 0 when unset (the default holds). */
struct key_at {
	const char *name;		/* the key's name, for messages */
	unsigned line;
	bool refused;			/* its value was refused (reported already) */
};

/* Where the key of t with field offset stands in marks. */
static inline struct key_at config_key_at_marks(const struct key_marks *marks,
    const struct key_table *t, size_t offset)
{
	for (size_t i = 0; i < t->count; i++) {
		if (t->keys[i].offset == offset) {
			bool seen = (marks->seen & (1ULL << i)) != 0;
			return (struct key_at){ .name = t->keys[i].name,
						.line = seen ? marks->line[i] : 0,
						.refused = (marks->refused & (1ULL << i)) != 0 };
		}
	}
	return (struct key_at){ "?", 0, false };	/* a field with no key: a bug (tests walk them) */
}

/* In cf's function section: the key of table t whose field is at offset. */
static inline struct key_at config_key_at(const struct conf_file *cf, const struct key_table *t,
    size_t offset)
{
	return config_key_at_marks(&cf->fn_marks[t->id], t, offset);
}

/* In [global], across every file read so far. */
static inline struct key_at config_global_key_at(const struct loader *ld,
    const struct key_table *t, size_t offset)
{
	return config_key_at_marks(&ld->global_marks[t->id], t, offset);
}

/* The key of function table t that stores field (a member of struct function_conf). */
#define FN_AT(cf, t, field) config_key_at((cf), &(t), offsetof(struct function_conf, field))
/* The key of global table t that stores field (a member of struct gateway_conf). */
#define GLOBAL_AT(ld, t, field) config_global_key_at((ld), &(t), offsetof(struct gateway_conf, field))

#endif /* GATEWAYD_CONFIG_INTERNAL_H */
