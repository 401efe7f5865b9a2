/*
 * config_async.c: the keys of async mode (docs/async.md): a function's
 * async = and async.* keys, [global]'s journal and its fsync policy, and the
 * checks that need a whole section or the whole configuration.
 *
 * A function with async = on | only accepts a job with a 202 before running
 * it, so the job must outlive a crash or a restart: such a configuration
 * without [global] async.journal is refused rather than quietly keeping jobs
 * in memory. Whether [global] names a journal is only known once every file
 * is read ([global] may come last, or from an include), so the functions that
 * need one are recorded as their sections end and checked at the end of the
 * load. As in config_pool.c, an async.* key that async = off would ignore is
 * an error rather than silently dead.
 */
#include <sys/stat.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"


/*
 * async.journal: the file accepted jobs are written to, relative to the file
 * like pid and stored absolute. Neither it nor its directory need exist yet
 * (the directory may be run_dir, made at start-up); it must not be a
 * directory itself.
 */
int config_key_async_journal(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	struct stat st;
	char *path = config_file_path(cf, k, value, true);

	if (!path)
		return -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		config_key_error(cf, k->name, value, "%s is a directory", path);
		free(path);
		return -1;
	}
	conf->async_journal = path;
	return 0;
}

/*
 * async.fsync_interval: a duration above 0 and at most k->max seconds: how
 * often a batch journal is synced, so how much of the latest accepted work a
 * machine crash may lose.
 */
int config_key_async_fsync_interval(struct conf_file *cf, const struct key_spec *k,
    void *target, const char *value)
{
	double seconds;

	if (config_parse_duration(value, &seconds) < 0 || seconds <= 0 ||
	    seconds > (double)k->max) {
		config_key_error(cf, k->name, value, "must be a duration above 0 and at most "
		    "%llus such as 10ms, 500ms or 1s", k->max);
		return -1;
	}
	*(double *)((char *)target + k->offset) = seconds;
	return 0;
}

/* Where one function key stands in the section ending: line 0 when unset. */
struct key_at {
	unsigned line;
	bool refused;
};

static struct key_at key_at(const struct conf_file *cf, const char *name)
{
	struct key_at at;

	at.line = config_function_key_line(cf, name, &at.refused);
	return at;
}

/*
 * async.max_body against request.max_body: a job's body is a request's body,
 * so it cannot be larger. The error names async.max_body's line, or the
 * section header when async.max_body is the default.
 */
static void max_body_check(struct conf_file *cf, const struct function_conf *fn)
{
	struct key_at body = key_at(cf, "async.max_body");
	char async_max[32], request_max[32];

	if (body.refused || key_at(cf, "request.max_body").refused ||
	    fn->async_max_body <= fn->max_body)
		return;
	config_size_text(fn->async_max_body, async_max, sizeof(async_max));
	config_size_text(fn->max_body, request_max, sizeof(request_max));
	if (body.line)
		config_error_at(cf->ld, cf->path, body.line, "async.max_body = %s: must not be "
		    "more than request.max_body (%s)", async_max, request_max);
	else
		config_error_at(cf->ld, fn->file, fn->line, "the default async.max_body (%s) is "
		    "more than request.max_body (%s): set async.max_body", async_max, request_max);
}

/* async.max_concurrency reserves workers out of pm.max_children: it cannot exceed it. */
static void max_concurrency_check(struct conf_file *cf, const struct function_conf *fn)
{
	struct key_at concurrency = key_at(cf, "async.max_concurrency");

	/* The default, 0, always fits: only a line written can be at fault. */
	if (!concurrency.line || concurrency.refused || key_at(cf, "pm.max_children").refused ||
	    fn->async_max_concurrency <= fn->max_children)
		return;
	config_error_at(cf->ld, cf->path, concurrency.line, "async.max_concurrency = %u: must "
	    "not be more than pm.max_children (%u)", fn->async_max_concurrency,
	    fn->max_children);
}

/* Records that cf's function has async = on | only, at line, for config_async_load_end(). */
static void async_use_add(struct conf_file *cf, unsigned line)
{
	struct loader *ld = cf->ld;
	const struct function_conf *fn = &ld->conf->functions[cf->fn_index];
	struct async_use *grown;

	grown = reallocarray(ld->async_uses, ld->async_use_count + 1, sizeof(*grown));
	if (!grown) {
		config_error_at(ld, fn->file, fn->line, "out of memory");
		return;
	}
	ld->async_uses = grown;
	grown[ld->async_use_count++] = (struct async_use){ .fn_index = cf->fn_index,
	    .line = line };
}

void config_async_section_end(struct conf_file *cf)
{
	static const char *const async_keys[] = {
		"async.queue_size", "async.max_attempts", "async.max_body",
		"async.max_concurrency", "async.result_max", "async.result_ttl",
		"async.retry_delay",
	};
	const struct function_conf *fn = &cf->ld->conf->functions[cf->fn_index];
	struct key_at async = key_at(cf, "async");
	unsigned line;
	size_t i;

	if (async.refused)
		return;	/* reported: whether its keys apply is anyone's guess */
	if (fn->async == ASYNC_OFF) {
		for (i = 0; i < NAME_COUNT(async_keys); i++)
			if ((line = key_at(cf, async_keys[i]).line) != 0)
				config_error_at(cf->ld, cf->path, line, "%s only applies with "
				    "async = on or only", async_keys[i]);
		return;
	}
	max_body_check(cf, fn);
	max_concurrency_check(cf, fn);
	async_use_add(cf, async.line);
}

void config_async_load_end(struct loader *ld)
{
	const struct function_conf *fn;
	bool refused;
	size_t i;

	/* A journal refused is reported already: "needs a journal" would only echo it. */
	config_global_key_line(ld, "async.journal", &refused);
	for (i = 0; i < ld->async_use_count && !ld->conf->async_journal && !refused; i++) {
		fn = &ld->conf->functions[ld->async_uses[i].fn_index];
		config_error_at(ld, fn->file, ld->async_uses[i].line, "async = %s needs [global] "
		    "async.journal = PATH (accepted jobs must survive a restart)",
		    config_async_words[fn->async]);
	}
	free(ld->async_uses);
	ld->async_uses = NULL;
	ld->async_use_count = 0;
}
