/*
 * spawner_table.c: the spawner's generations of worker specs (see
 * spawner_table.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pidfile.h"
#include "spawner_table.h"
#include "worker_spec.h"

/* Generations the daemon may keep in use at once (reloads with draining pools). */
#define SPAWNER_TABLE_GENERATIONS_MAX 16

struct table_generation {
	uint32_t id;
	struct gateway_conf *conf;
	struct worker_spec *specs;	/* one per conf->functions[] */
	struct table_generation *next;
};

struct spawner_table {
	char *config_path;
	struct identity_policy policy;
	char *pid_file;
	pid_t daemon_pid;
	struct table_generation *generations;	/* newest first */
	unsigned count;
	uint32_t last_id;
};

static int table_load(void *ctx, uint32_t *generation, struct buf *functions, char *err,
    size_t err_len);
static int table_build(struct table_generation *g, const struct identity_policy *policy,
    char *err, size_t err_len);
static int table_describe(const struct table_generation *g, struct buf *functions);
static const struct spawn_spec *table_find(void *ctx, uint32_t generation, const char *name,
    size_t len);
static void table_release(void *ctx, uint32_t generation);
static void table_free_generation(struct table_generation *g);
static void table_finish(void *ctx);

const struct spawner_table_ops spawner_table_ops = {
	.load = table_load,
	.find = table_find,
	.release = table_release,
	.finish = table_finish,
};

struct spawner_table *spawner_table_new(const char *config_path,
    const struct identity_policy *policy, const char *pid_file, pid_t daemon_pid)
{
	struct spawner_table *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->config_path = strdup(config_path)) == NULL ||
	    (pid_file != NULL && (t->pid_file = strdup(pid_file)) == NULL)) {
		if (t != NULL)
			free(t->config_path);
		free(t);
		return NULL;
	}
	t->policy = *policy;
	t->daemon_pid = daemon_pid;
	return t;
}

/* LOAD: the configuration files, read anew, with the identities and filters they imply. */
static int table_load(void *ctx, uint32_t *generation, struct buf *functions, char *err,
    size_t err_len)
{
	struct spawner_table *t = ctx;
	struct table_generation *g;

	if (t->count == SPAWNER_TABLE_GENERATIONS_MAX) {
		snprintf(err, err_len, "%u configurations still in use: let the old workers "
		    "finish first", t->count);
		return -1;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (config_load(t->config_path, &g->conf, err, err_len) < 0 ||
	    table_build(g, &t->policy, err, err_len) < 0) {
		table_free_generation(g);
		return -1;
	}
	if (table_describe(g, functions) < 0) {
		snprintf(err, err_len, "out of memory");
		table_free_generation(g);
		return -1;
	}
	g->id = ++t->last_id;
	g->next = t->generations;
	t->generations = g;
	t->count++;
	*generation = g->id;
	return 0;
}

/* Identities, then one worker spec per function. 0 / -1 with err (file:line lines). */
static int table_build(struct table_generation *g, const struct identity_policy *policy,
    char *err, size_t err_len)
{
	const struct gateway_conf *conf = g->conf;

	err[0] = '\0';
	if (identities_assign(g->conf, policy, err, err_len) > 0)
		return -1;
	if ((g->specs = calloc(conf->function_count, sizeof(*g->specs))) == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *fc = &conf->functions[i];
		char why[512];
		if (worker_spec_build(&g->specs[i], fc, why, sizeof(why)) < 0) {
			snprintf(err, err_len, "%s:%u: [%s]: %s", fc->file, fc->line, fc->name, why);
			return -1;
		}
	}
	return 0;
}

/*
 * The LOADED entries: each function's name, digest and ids, and its
 * callbacks' signing key, which this reading (as root) could read and the
 * daemon's may not. 0 / -1 out of memory.
 */
static int table_describe(const struct table_generation *g, struct buf *functions)
{
	for (size_t i = 0; i < g->conf->function_count; i++) {
		const struct function_conf *fc = &g->conf->functions[i];
		const char *secret = fc->async.callback_secret;
		struct spawner_function f = { .name = fc->name, .name_len = strlen(fc->name),
					      .digest = g->specs[i].digest, .uid = fc->sandbox.runs_as.uid,
					      .gid = fc->sandbox.runs_as.gid, .secret = secret,
					      .secret_len = secret != NULL ? strlen(secret) : 0 };
		uint8_t *tail = buf_reserve(functions, spawner_function_size(&f));
		if (tail == NULL)
			return -1;
		functions->len += spawner_function_encode(&f, tail);
	}
	return 0;
}

static const struct spawn_spec *table_find(void *ctx, uint32_t generation, const char *name,
    size_t len)
{
	const struct spawner_table *t = ctx;

	for (const struct table_generation *g = t->generations; g != NULL; g = g->next) {
		if (g->id != generation)
			continue;
		for (size_t i = 0; i < g->conf->function_count; i++) {
			const char *fn = g->conf->functions[i].name;
			if (strlen(fn) == len && memcmp(fn, name, len) == 0)
				return &g->specs[i].spawn;
		}
		return NULL;
	}
	return NULL;
}

static void table_release(void *ctx, uint32_t generation)
{
	struct spawner_table *t = ctx;

	for (struct table_generation **link = &t->generations; *link != NULL;
	    link = &(*link)->next) {
		struct table_generation *g = *link;
		if (g->id == generation) {
			*link = g->next;
			t->count--;
			table_free_generation(g);
			return;
		}
	}
}

static void table_free_generation(struct table_generation *g)
{
	for (size_t i = 0; g->specs != NULL && i < g->conf->function_count; i++)
		worker_spec_free(&g->specs[i]);
	free(g->specs);
	config_free(g->conf);
	free(g);
}

static void table_finish(void *ctx)
{
	const struct spawner_table *t = ctx;

	pidfile_remove(t->pid_file, t->daemon_pid);
}

void spawner_table_free(struct spawner_table *t)
{
	if (t == NULL)
		return;
	while (t->generations != NULL) {
		struct table_generation *g = t->generations;
		t->generations = g->next;
		table_free_generation(g);
	}
	free(t->config_path);
	free(t->pid_file);
	free(t);
}
