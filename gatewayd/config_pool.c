/*
 * config_pool.c: how a function's workers are run and scaled: exec, mode,
 * pm and the pm.* keys, the timeouts, crash-loop and queue keys, and the
 * checks made when a function section ends, which need every key of the
 * section. Every key here needs new workers when it changes.
 *
 * The rules for pm = dynamic are PHP-FPM's (fpm_conf.c): 1 <= min_spare <=
 * max_spare <= max_children and min_spare <= start_servers <= max_spare, with
 * start_servers defaulting to min_spare + (max_spare - min_spare) / 2. A key
 * that a pool of the section's pm or mode would ignore is an error rather
 * than silently dead, so that a config says what gatewayd does.
 */
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_internal.h"

/* The message for a pool key that means nothing to a CGI function. */
#define CGI_NO_SCALING "mode = cgi runs one process per request: pm.* scaling does not " \
	"apply (pm.max_children caps concurrency)"

static key_parser key_exec, key_max_memory;
static void pool_section_end(struct conf_file *cf);

/* The words of mode and pm, in their enums' order. */
static const char *const mode_words[] = { "fastcgi", "cgi", NULL };
static const char *const pm_words[] = { "static", "dynamic", "ondemand", NULL };

#define P(field) struct function_conf, pool.field
#define WORKERS CONFIG_RELOAD_WORKERS

static const struct key_spec pool_keys[] = {
	KEY("exec", key_exec, P(exec), KIND_EXEC, WORKERS, NULL),
	WORD_KEY("mode", P(mode), WORKERS, "fastcgi", mode_words),
	WORD_KEY("pm", P(pm), WORKERS, "static", pm_words),
	NUMBER_KEY("pm.max_children", config_key_whole, P(max_children), WORKERS, "4", 1, 4096),
	/* Unset: computed when the section ends, from the spare counts. */
	NUMBER_KEY("pm.start_servers", config_key_whole, P(start_servers), WORKERS, NULL, 1, 4096),
	NUMBER_KEY("pm.min_spare_servers", config_key_whole, P(min_spare), WORKERS, "1", 1, 4096),
	NUMBER_KEY("pm.max_spare_servers", config_key_whole, P(max_spare), WORKERS, "3", 1, 4096),
	KEY("pm.process_idle_timeout", config_key_positive_duration, P(idle_timeout), KIND_SCALAR,
	    WORKERS, "10s"),
	NUMBER_KEY("pm.max_spawn_rate", config_key_whole, P(max_spawn_rate), WORKERS, "32", 1, 1024),
	NUMBER_KEY("pm.max_requests", config_key_whole, P(max_requests), WORKERS, "0", 0, ULONG_MAX),
	NUMBER_KEY("pm.max_memory", key_max_memory, P(max_memory), WORKERS, "0", CONFIG_SIZE_M,
	    SIZE_MAX),
	KEY("request_timeout", config_key_duration, P(request_timeout), KIND_SCALAR, WORKERS, "60s"),
	KEY("spawn_timeout", config_key_duration, P(spawn_timeout), KIND_SCALAR, WORKERS, "10s"),
	NUMBER_KEY("crash_loop.count", config_key_whole, P(crash_limit), WORKERS, "5", 1, 1000),
	KEY("crash_loop.window", config_key_positive_duration, P(crash_window), KIND_SCALAR,
	    WORKERS, "10s"),
	NUMBER_KEY("queue.max", config_key_whole, P(queue_max), WORKERS, "512", 0, 1000000),
	KEY("queue.timeout", config_key_duration, P(queue_timeout), KIND_SCALAR, WORKERS, "30s"),
};

const struct key_table config_pool_table = {
	TABLE_POOL, SECTION_FUNCTION, pool_keys, NAME_COUNT(pool_keys), pool_section_end, NULL,
};

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
	struct conf_exec *fn = &((struct function_conf *)target)->pool.exec;
	struct stat st;
	char *abs;

	if (!(fn->line = strdup(value)) || !(fn->argv = argv_split(value)))
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

/*
 * pm.max_memory: 0 (off) or a size of at least k->min. A smaller limit would
 * recycle every worker after every request: a program's bare RSS is larger.
 */
static int key_max_memory(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char lo[32];
	size_t v;

	if (config_parse_size(value, &v) < 0 || (v != 0 && v < k->min)) {
		config_key_error(cf, k->name, value, "must be 0 (off) or a size of at least %s "
		    "(a number with K, M or G)", config_size_text(k->min, lo, sizeof(lo)));
		return -1;
	}
	*(size_t *)((char *)target + k->offset) = v;
	return 0;
}

/* A key of this table, by its field in struct pool_settings. */
#define AT(cf, field) FN_AT(cf, config_pool_table, pool.field)

/* The key of a field of struct pool_settings, as a check lists it. */
#define POOL_KEY(field) offsetof(struct function_conf, pool.field)

/*
 * PHP-FPM's rules for pm = dynamic. Each is about one key: an error names
 * that key's line, or the section header when the key is unset and its
 * default is what does not fit (the message then says to set it).
 */
static void dynamic_check(struct conf_file *cf, const struct function_conf *f)
{
	const struct pool_settings *fn = &f->pool;
	struct key_at max_spare = AT(cf, max_spare);
	struct key_at start = AT(cf, start_servers);
	struct loader *ld = cf->ld;

	/* pm.min_spare_servers >= 1 is the parser's range. */
	if (fn->max_spare < fn->min_spare) {
		if (max_spare.line)
			config_error_at(ld, cf->path, max_spare.line, "pm.max_spare_servers = %u: "
			    "must not be less than pm.min_spare_servers (%u)", fn->max_spare,
			    fn->min_spare);
		else
			config_error_at(ld, f->file, f->line, "the default pm.max_spare_servers "
			    "(%u) is less than pm.min_spare_servers (%u): "
			    "set pm.max_spare_servers", fn->max_spare, fn->min_spare);
	}
	if (fn->max_spare > fn->max_children) {
		if (max_spare.line)
			config_error_at(ld, cf->path, max_spare.line, "pm.max_spare_servers = %u: "
			    "must not be more than pm.max_children (%u)", fn->max_spare,
			    fn->max_children);
		else
			config_error_at(ld, f->file, f->line, "the default pm.max_spare_servers "
			    "(%u) is more than pm.max_children (%u): "
			    "set pm.max_spare_servers", fn->max_spare, fn->max_children);
	}
	/* An unset start_servers is computed between the two, so it always fits. */
	if (start.line && fn->min_spare <= fn->max_spare &&
	    (fn->start_servers < fn->min_spare || fn->start_servers > fn->max_spare))
		config_error_at(ld, cf->path, start.line, "pm.start_servers = %u: must be "
		    "between pm.min_spare_servers (%u) and pm.max_spare_servers (%u)",
		    fn->start_servers, fn->min_spare, fn->max_spare);
}

/* True when any of keys was refused in cf's section: checks on them would only echo it. */
static bool keys_refused(const struct conf_file *cf, const size_t *keys, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (config_key_at(cf, &config_pool_table, keys[i]).refused)
			return true;
	}
	return false;
}

static void pool_section_end(struct conf_file *cf)
{
	static const size_t sizing[] = {
		POOL_KEY(mode), POOL_KEY(pm), POOL_KEY(max_children), POOL_KEY(start_servers),
		POOL_KEY(min_spare), POOL_KEY(max_spare),
	};
	static const size_t dynamic_only[] = {
		POOL_KEY(start_servers), POOL_KEY(min_spare), POOL_KEY(max_spare),
	};
	static const size_t idle_keys[] = { POOL_KEY(idle_timeout) };
	static const size_t recycle_keys[] = { POOL_KEY(max_requests), POOL_KEY(max_memory) };
	struct function_conf *f = &cf->ld->conf->functions[cf->fn_index];
	struct pool_settings *fn = &f->pool;

	if (!keys_refused(cf, sizing, NAME_COUNT(sizing))) {
		if (fn->mode == FUNCTION_CGI && fn->pm != PM_STATIC) {
			config_error_at(cf->ld, cf->path, AT(cf, pm).line, "pm = %s: %s",
			    pm_words[fn->pm], CGI_NO_SCALING);
		} else {
			if (fn->mode == FUNCTION_CGI)
				config_keys_not_applicable(cf, &config_pool_table, recycle_keys,
				    NAME_COUNT(recycle_keys), ": ", CGI_NO_SCALING);
			if (fn->pm != PM_DYNAMIC)
				config_keys_not_applicable(cf, &config_pool_table, dynamic_only,
				    NAME_COUNT(dynamic_only), " ", "only applies to pm = dynamic");
			if (fn->pm == PM_STATIC)
				config_keys_not_applicable(cf, &config_pool_table, idle_keys,
				    NAME_COUNT(idle_keys), " ", "only applies to pm = dynamic or ondemand");
			if (fn->pm == PM_DYNAMIC)
				dynamic_check(cf, f);
		}
	}
	if (AT(cf, start_servers).line == 0)
		fn->start_servers = fn->min_spare + (fn->max_spare > fn->min_spare ?
		    (fn->max_spare - fn->min_spare) / 2 : 0);
}
