/*
 * config_runtime.c: runtime = and the keys of a runtime's handler. With a
 * runtime, gatewayd runs a worker program of its own (functions/runtimes/)
 * for the function instead of an exec = line: the section names the
 * handler, and the exec line is written here when the section ends. Every
 * key here needs new workers when it changes.
 *
 * The runtimes' programs are found beside gatewayd's own executable, so one
 * build serves a build tree and any install prefix (runtime_dir()).
 */
#include <sys/stat.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_internal.h"

/* The worker program of runtime = python3 (functions/runtimes/python3/host.c), in runtime_dir(). */
#define PYTHON3_PROGRAM "python3/gatewayd-python3"
/* Where the runtimes are, from the directory of gatewayd's executable: a build tree, an install. */
static const char *const runtime_dir_candidates[] = { "runtimes", "../lib/gatewayd/runtimes" };

static key_parser key_handler, key_handler_function;
static void runtime_section_end(struct conf_file *cf);

/* The words of runtime, in enum function_runtime's order. */
static const char *const runtime_words[] = { "none", "python3", NULL };

#define RT(field) struct function_conf, runtime.field
#define WORKERS CONFIG_RELOAD_WORKERS

static const struct key_spec runtime_keys[] = {
	WORD_KEY("runtime", RT(runtime), WORKERS, "none", runtime_words),
	KEY("handler", key_handler, RT(handler), KIND_STRING, WORKERS, NULL),
	/*
	 * No defaults written here: set without a runtime they are errors, so
	 * their defaults (handle, no) are given when a runtime's section ends.
	 */
	KEY("handler.function", key_handler_function, RT(function), KIND_STRING, WORKERS, NULL),
	KEY("raw_body", config_key_bool, RT(raw_body), KIND_SCALAR, WORKERS, NULL),
};

/*
 * The worker program of runtime = python3: PYTHON3_PROGRAM in the first of
 * runtime_dir_candidates that exists beside the running executable
 * (/proc/self/exe, so a relocated tree works too), as a canonical path; in
 * the first candidate when none exists, so the error names a place. Worked
 * out once, at the first configuration read (the daemon's, before the
 * spawner forks with a copy): a reload never looks elsewhere, even once the
 * executable was replaced on disk.
 */
static const char *python3_program(void)
{
	static char program[PATH_MAX * 3];
	char exe[PATH_MAX], dir[PATH_MAX * 2], candidate[PATH_MAX * 2];

	if (program[0] != '\0')
		return program;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash != NULL)
		*slash = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", exe, runtime_dir_candidates[0]);
	for (size_t i = 0; i < NAME_COUNT(runtime_dir_candidates); i++) {
		snprintf(candidate, sizeof(candidate), "%s/%s", exe, runtime_dir_candidates[i]);
		if (realpath(candidate, dir) != NULL)
			break;
		snprintf(dir, sizeof(dir), "%s/%s", exe, runtime_dir_candidates[0]);
	}
	snprintf(program, sizeof(program), "%s/%s", dir, PYTHON3_PROGRAM);
	return program;
}

/* handler.function when not set. */
#define HANDLER_FUNCTION_DEFAULT "handle"

const struct key_table config_runtime_table = {
	TABLE_RUNTIME, SECTION_FUNCTION, runtime_keys, NAME_COUNT(runtime_keys),
	runtime_section_end, NULL,
};

/* What handler_stamp() adds up, and how many entries of a package it looks at. */
#define STAMP_ENTRIES_MAX 10000
static uint64_t stamp_sum;
static unsigned stamp_entries;

/* One entry of the handler: its inode, size and time, mixed into stamp_sum (FNV-style). */
static int stamp_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	unsigned long long v[] = { (unsigned long long)st->st_ino, (unsigned long long)st->st_size,
				   (unsigned long long)st->st_mtim.tv_sec,
				   (unsigned long long)st->st_mtim.tv_nsec };
	(void)path;
	(void)type;
	(void)ftw;

	for (size_t i = 0; i < NAME_COUNT(v); i++)
		stamp_sum = (stamp_sum ^ v[i]) * 0x100000001b3ULL;
	return ++stamp_entries >= STAMP_ENTRIES_MAX;
}

/*
 * What tells one version of the handler's code from another: the file's,
 * or each entry's of the package (up to STAMP_ENTRIES_MAX), inode, size and
 * modification time. A reload with a changed stamp gives the function new
 * workers, which import the new code; 0 when nothing could be read.
 */
static uint64_t handler_stamp(const char *path)
{
	stamp_sum = 0xcbf29ce484222325ULL;
	stamp_entries = 0;
	if (nftw(path, stamp_entry, 16, FTW_PHYS) < 0)
		return 0;
	return stamp_sum;
}

/*
 * handler: a Python file (NAME.py) or a package directory (with an
 * __init__.py), stored as its realpath(), with its stamp.
 */
static int key_handler(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct runtime_settings *rt = &((struct function_conf *)target)->runtime;
	size_t len = strlen(value);
	bool file = len > 3 && strcmp(value + len - 3, ".py") == 0;
	char *init;

	if (!(rt->handler = config_path_resolve(cf, k, value, file ? PATH_FILE : PATH_DIR)))
		return -1;
	rt->handler_stamp = handler_stamp(rt->handler);
	if (file)
		return 0;
	if (asprintf(&init, "%s/__init__.py", rt->handler) < 0)
		return config_out_of_memory(cf);
	bool package = access(init, R_OK) == 0;
	free(init);
	if (!package) {
		config_key_error(cf, k->name, value, "must be a .py file or a package directory "
		    "(with an __init__.py)");
		return -1;
	}
	return 0;
}

/* handler.function: a Python identifier (ASCII), the callable the handler's module defines. */
static int key_handler_function(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";

	if (value[0] == '\0') {
		config_key_error(cf, k->name, value, "must not be empty");
		return -1;
	}
	for (size_t i = 0; value[i] != '\0'; i++) {
		if (strchr(first, value[i]) == NULL && (i == 0 || value[i] < '0' || value[i] > '9')) {
			config_key_error(cf, k->name, value, "must be a Python name "
			    "(letters, digits and _, not starting with a digit)");
			return -1;
		}
	}
	return config_key_text(cf, k, target, value);
}

/* A key of this table, by its field in struct runtime_settings. */
#define AT(cf, field) FN_AT(cf, config_runtime_table, runtime.field)

/* The handler's keys: errors in a section that names no runtime. */
static const size_t handler_keys[] = {
	offsetof(struct function_conf, runtime.handler),
	offsetof(struct function_conf, runtime.function),
	offsetof(struct function_conf, runtime.raw_body),
};

/*
 * The exec line of runtime = python3: its worker program, then the
 * handler, the function's name and how the body is passed. 0, or -1 when
 * out of memory.
 */
static int python3_exec(struct function_conf *f)
{
	const struct runtime_settings *rt = &f->runtime;
	const char *words[] = { python3_program(), rt->handler, rt->function,
				rt->raw_body ? "raw" : "text" };
	struct conf_exec *exec = &f->pool.exec;

	if (!(exec->argv = calloc(NAME_COUNT(words) + 1, sizeof(*exec->argv))))
		return -1;
	for (size_t i = 0; i < NAME_COUNT(words); i++) {
		if (!(exec->argv[i] = strdup(words[i])))
			return -1;
	}
	if (asprintf(&exec->line, "%s %s %s %s", words[0], words[1], words[2], words[3]) < 0) {
		exec->line = NULL;
		return -1;
	}
	return 0;
}

/*
 * A section with a runtime has no exec = of its own and runs FastCGI
 * workers; it names its handler. Its exec line is then written here (the
 * check for a missing exec comes after every section has ended).
 */
static void runtime_section_end(struct conf_file *cf)
{
	struct function_conf *f = &cf->ld->conf->functions[cf->fn_index];
	struct runtime_settings *rt = &f->runtime;
	struct key_at runtime = AT(cf, runtime);
	struct key_at exec = FN_AT(cf, config_pool_table, pool.exec);
	struct key_at mode = FN_AT(cf, config_pool_table, pool.mode);
	bool fine = true;

	if (runtime.refused)
		return;
	if (rt->runtime == RUNTIME_NONE) {
		config_keys_not_applicable(cf, &config_runtime_table, handler_keys,
		    NAME_COUNT(handler_keys), " ", "only applies with runtime = python3 "
		    "(it names the handler the runtime imports)");
		return;
	}
	if (exec.line != 0) {
		config_error_at(cf->ld, cf->path, exec.line, "exec: a function has exec = or "
		    "runtime = %s, not both (the runtime runs gatewayd's own worker program)",
		    runtime_words[rt->runtime]);
		fine = false;
	}
	if (f->pool.mode == FUNCTION_CGI && !mode.refused) {
		config_error_at(cf->ld, cf->path, mode.line, "mode = cgi: runtime = %s runs a pool "
		    "of FastCGI workers", runtime_words[rt->runtime]);
		fine = false;
	}
	if (rt->handler == NULL) {
		if (!AT(cf, handler).refused)
			config_error_at(cf->ld, cf->path, runtime.line, "runtime = %s needs "
			    "handler = PATH (a .py file or a package directory)",
			    runtime_words[rt->runtime]);
		return;
	}
	if (!fine || AT(cf, function).refused)
		return;
	if (access(python3_program(), X_OK) < 0) {
		config_error_at(cf->ld, cf->path, runtime.line, "runtime = python3: %s: %s "
		    "(make all builds it when python3-dev is installed)", python3_program(),
		    strerror(errno));
		return;
	}
	if ((rt->function == NULL && !(rt->function = strdup(HANDLER_FUNCTION_DEFAULT))) ||
	    python3_exec(f) < 0)
		config_error_at(cf->ld, cf->path, runtime.line, "out of memory");
	rt->dump_signal = SIGUSR1;
}
