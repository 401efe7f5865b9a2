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
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callback_policy.h"
#include "config.h"
#include "config_internal.h"

static key_parser key_async_journal, key_async_fsync_interval, key_callback_allow,
    key_callback_secret_file;
static void async_section_end(struct conf_file *cf);
static void async_load_end(struct loader *ld);

/* The words of async and async.fsync, in their enums' order. */
static const char *const async_words[] = { "off", "on", "only", NULL };
static const char *const fsync_words[] = { "always", "batch", "off", NULL };

#define A(field) struct function_conf, async.field
#define G(field) struct gateway_conf, field
#define LIVE CONFIG_RELOAD_LIVE
#define RESTART CONFIG_RELOAD_RESTART

/* [global]: the journal is opened at start, so its keys take effect at the next one. */
static const struct key_spec journal_keys[] = {
	KEY("async.journal", key_async_journal, G(async_journal), KIND_STRING, RESTART, NULL),
	WORD_KEY("async.fsync", G(async_fsync), RESTART, "batch", fsync_words),
	NUMBER_KEY("async.fsync_interval", key_async_fsync_interval, G(async_fsync_interval),
	    RESTART, "10ms", 0, 10),
};

const struct key_table config_journal_table = {
	TABLE_JOURNAL, SECTION_GLOBAL, journal_keys, NAME_COUNT(journal_keys), NULL, async_load_end,
};

/* A function's: each job reads them, so a reload applies them at once. */
static const struct key_spec async_keys[] = {
	WORD_KEY("async", A(mode), LIVE, "off", async_words),
	NUMBER_KEY("async.queue_size", config_key_whole, A(queue_size), LIVE, "1000", 1, 1000000),
	NUMBER_KEY("async.max_attempts", config_key_whole, A(max_attempts), LIVE, "3", 1, 100),
	NUMBER_KEY("async.max_body", config_key_size, A(max_body), LIVE, "1M", 0, CONFIG_SIZE_G),
	NUMBER_KEY("async.max_concurrency", config_key_whole, A(max_concurrency), LIVE, "0",
	    0, 4096),
	NUMBER_KEY("async.result_max", config_key_size, A(result_max), LIVE, "1M",
	    0, 64 * CONFIG_SIZE_M),
	KEY("async.result_ttl", config_key_positive_duration, A(result_ttl), KIND_SCALAR, LIVE, "1h"),
	NUMBER_KEY("async.results_max", config_key_whole, A(results_max), LIVE, "1000",
	    1, 10000000),
	NUMBER_KEY("async.results_memory", config_key_size, A(results_memory), LIVE, "64M",
	    0, 64 * CONFIG_SIZE_G),
	KEY("async.retry_delay", config_key_positive_duration, A(retry_delay), KIND_SCALAR, LIVE,
	    "1s"),
	KEY("async.callback_allow", key_callback_allow, A(callback_allow), KIND_STRING, LIVE, NULL),
	KEY("async.callback_secret_file", key_callback_secret_file, A(callback_secret), KIND_STRING,
	    LIVE, NULL),
};

const struct key_table config_async_table = {
	TABLE_ASYNC, SECTION_FUNCTION, async_keys, NAME_COUNT(async_keys), async_section_end, NULL,
};


/*
 * async.journal: the file accepted jobs are written to, relative to the file
 * like pid and stored absolute. Neither it nor its directory need exist yet
 * (the directory may be run_dir, made at start-up); it must not be a
 * directory itself.
 */
static int key_async_journal(struct conf_file *cf, const struct key_spec *k, void *target,
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
	free(conf->async_journal);
	conf->async_journal = path;
	return 0;
}

/*
 * async.fsync_interval: a duration above 0 and at most k->max seconds: how
 * often a batch journal is synced, so how much of the latest accepted work a
 * machine crash may lose.
 */
static int key_async_fsync_interval(struct conf_file *cf, const struct key_spec *k,
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

/*
 * async.callback_allow: the URL prefixes a job's X-Callback-Url may start
 * with, separated by spaces (callback_policy.c says how they match). Each
 * must be an http(s) URL with a host and no userinfo or query, so that a
 * typo is an error here rather than a prefix that never matches.
 */
static int key_callback_allow(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char **field = (char **)((char *)target + k->offset);
	char prefix[2048];
	int ret = 0;

	for (const char *p = value; *p; ) {
		size_t len;
		p += strspn(p, " \t");
		if ((len = strcspn(p, " \t")) == 0)
			break;
		snprintf(prefix, sizeof(prefix), "%.*s", (int)len, p);
		if (len >= sizeof(prefix) || !callback_prefix_valid(prefix)) {
			config_key_error(cf, k->name, value, "%s is not a URL prefix such as "
			    "https://hooks.example/in/ (http or https, a host, no user@ nor ?query)",
			    prefix);
			ret = -1;
		}
		p += len;
	}
	if (ret < 0)
		return -1;
	free(*field);
	return (*field = strdup(value)) ? 0 : config_out_of_memory(cf);
}

/*
 * async.callback_secret_file: the file whose contents (up to 4K, one
 * trailing newline dropped) key the callbacks' HMAC. It holds a secret, so
 * env_file's ownership rules apply. Only the spawner's reading (as root,
 * at start and at every reload) reads it, as for env_file: the daemon runs
 * unprivileged and may not be able to, and gets the key with the spawner's
 * LOADED reply (generation_new()).
 */
static int key_callback_secret_file(struct conf_file *cf, const struct key_spec *k,
    void *target, const char *value)
{
	char **field = (char **)((char *)target + k->offset);
	char secret[4097];
	struct stat st;
	size_t n = 0;
	FILE *fp;
	int ret = -1;

	if (cf->ld->without_secrets)
		return 0;	/* the spawner's reading checks and reads it */
	char *path = config_path_resolve(cf, k, value, PATH_FILE);
	if (!path)
		return -1;
	if (!(fp = fopen(path, "re")) || fstat(fileno(fp), &st) < 0) {
		config_key_error(cf, k->name, value, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (config_secret_file_unsafe(cf, k->name, path, &st))
		goto out;
	n = fread(secret, 1, sizeof(secret), fp);
	if (ferror(fp))
		config_key_error(cf, k->name, value, "%s: cannot read: %s", path, strerror(errno));
	else if (n == sizeof(secret))
		config_key_error(cf, k->name, value, "%s is larger than 4K", path);
	else if ((n -= n > 0 && secret[n - 1] == '\n') == 0 || memchr(secret, '\0', n))
		config_key_error(cf, k->name, value, "%s: the secret must be text and not empty",
		    path);
	else {
		free(*field);
		ret = (*field = strndup(secret, n)) ? 0 : config_out_of_memory(cf);
	}
out:
	explicit_bzero(secret, sizeof(secret));
	if (fp)
		fclose(fp);
	free(path);
	return ret;
}

/* A key of this table, by its field in struct async_settings. */
#define AT(cf, field) FN_AT(cf, config_async_table, async.field)

/*
 * async.max_body against request.max_body: a job's body is a request's body,
 * so it cannot be larger. The error names async.max_body's line, or the
 * section header when async.max_body is the default.
 */
static void max_body_check(struct conf_file *cf, const struct function_conf *fn)
{
	struct key_at body = AT(cf, max_body);
	char async_max[32], request_max[32];

	if (body.refused || FN_AT(cf, config_request_table, request.max_body).refused ||
	    fn->async.max_body <= fn->request.max_body)
		return;
	config_size_text(fn->async.max_body, async_max, sizeof(async_max));
	config_size_text(fn->request.max_body, request_max, sizeof(request_max));
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
	struct key_at concurrency = AT(cf, max_concurrency);

	/* The default, 0, always fits: only a line written can be at fault. */
	if (!concurrency.line || concurrency.refused ||
	    FN_AT(cf, config_pool_table, pool.max_children).refused ||
	    fn->async.max_concurrency <= fn->pool.max_children)
		return;
	config_error_at(cf->ld, cf->path, concurrency.line, "async.max_concurrency = %u: must "
	    "not be more than pm.max_children (%u)", fn->async.max_concurrency,
	    fn->pool.max_children);
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

static void async_section_end(struct conf_file *cf)
{
	static const size_t async_only[] = {
		offsetof(struct function_conf, async.queue_size),
		offsetof(struct function_conf, async.max_attempts),
		offsetof(struct function_conf, async.max_body),
		offsetof(struct function_conf, async.max_concurrency),
		offsetof(struct function_conf, async.result_max),
		offsetof(struct function_conf, async.result_ttl),
		offsetof(struct function_conf, async.results_max),
		offsetof(struct function_conf, async.results_memory),
		offsetof(struct function_conf, async.retry_delay),
		offsetof(struct function_conf, async.callback_allow),
		offsetof(struct function_conf, async.callback_secret),
	};
	const struct function_conf *fn = &cf->ld->conf->functions[cf->fn_index];
	struct key_at async = AT(cf, mode);

	if (async.refused)
		return;	/* reported: whether its keys apply is anyone's guess */
	if (fn->async.mode == ASYNC_OFF) {
		config_keys_not_applicable(cf, &config_async_table, async_only,
		    NAME_COUNT(async_only), " ", "only applies with async = on or only");
		return;
	}
	max_body_check(cf, fn);
	max_concurrency_check(cf, fn);
	async_use_add(cf, async.line);
}

static void async_load_end(struct loader *ld)
{
	/* A journal refused is reported already: "needs a journal" would only echo it. */
	bool refused = GLOBAL_AT(ld, config_journal_table, async_journal).refused;

	/* With async.backend = nats, JetStream keeps the jobs: no journal is needed. */
	bool stored = ld->conf->async_journal != NULL ||
	    ld->conf->async_backend == ASYNC_BACKEND_NATS;

	for (size_t i = 0; i < ld->async_use_count && !stored && !refused; i++) {
		const struct function_conf *fn = &ld->conf->functions[ld->async_uses[i].fn_index];
		config_error_at(ld, fn->file, ld->async_uses[i].line, "async = %s needs [global] "
		    "async.journal = PATH or async.backend = nats (accepted jobs must survive a "
		    "restart)",
		    async_words[fn->async.mode]);
	}
	free(ld->async_uses);
	ld->async_uses = NULL;
	ld->async_use_count = 0;
}
