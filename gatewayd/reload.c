/*
 * reload.c: replace the running configuration (see reload.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "function_set.h"
#include "listener.h"
#include "log.h"
#include "reload.h"

static struct conf_generation *reload_read(struct gateway *gw);
static int reload_plan(struct gateway *gw, struct conf_generation *generation,
    struct function **functions, size_t *fresh, char *err, size_t err_len);
static void reload_commit(struct gateway *gw, struct conf_generation *generation,
    struct function **functions, size_t fresh);
static void reload_log_errors(const char *err);
static struct function *reload_find(const struct gateway *gw, const char *name);

/*
 * The daemon reads the files (without secrets), then the spawner reads them
 * too, as root, and says how each function's workers would start. A
 * function whose keys that need new workers did not change, in either
 * reading, keeps its workers and takes the new live settings at once; any
 * other gets a new pool, and the old one drains.
 */
bool reload_config(struct gateway *gw)
{
	struct conf_generation *generation;
	struct function **functions;
	char err[8192];
	size_t fresh = 0;

	log_info("SIGHUP: reloading %s", gw->config_path);
	if ((generation = reload_read(gw)) == NULL)
		return false;
	size_t n = generation->conf->function_count;
	if ((functions = calloc(n + 1, sizeof(*functions))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
	} else if (reload_plan(gw, generation, functions, &fresh, err, sizeof(err)) == 0 &&
	    listener_reload(gw, generation->conf, err, sizeof(err)) == 0) {
		reload_commit(gw, generation, functions, fresh);
		return true;
	}
	for (size_t i = 0; functions != NULL && i < n; i++) {
		if (functions[i] != NULL && functions[i]->generation == generation)
			function_set_destroy(functions[i]);
	}
	free(functions);
	generation_unref(generation);
	reload_log_errors(err);
	return false;
}

/*
 * Both readings of the files, as one generation, with the restart-only
 * [global] keys given back their running values (and the operator told).
 * NULL when either reading failed (logged).
 */
static struct conf_generation *reload_read(struct gateway *gw)
{
	struct gateway_conf *conf;
	struct conf_generation *generation;
	struct buf loaded = { 0 };
	uint32_t spawn_id;
	char err[8192], kept[512];

	if (config_load_without_secrets(gw->config_path, &conf, err, sizeof(err)) < 0) {
		reload_log_errors(err);
		return NULL;
	}
	int n = config_keep_restart_only(gw->conf, conf, kept, sizeof(kept));
	if (n > 0)
		log_warn("reload: %s changed: %s effect at the next start; the running %s",
		    kept, n > 1 ? "they take" : "it takes", n > 1 ? "values stay" : "value stays");
	if (n < 0 || spawner_load(gw->spawner, &spawn_id, &loaded, err, sizeof(err)) < 0) {
		config_free(conf);
		reload_log_errors(n < 0 ? "out of memory" : err);
		return NULL;
	}
	generation = generation_new(conf, gw->spawner, spawn_id, &loaded, err, sizeof(err));
	buf_free(&loaded);
	if (generation == NULL) {
		spawner_release(gw->spawner, spawn_id);
		config_free(conf);
		reload_log_errors(err);
	}
	return generation;
}

/*
 * For each function of the new generation: the running one when only live
 * keys changed (the spawner's digest agreeing: env_file's secrets are its
 * to compare), else a new one (not started). 0, or -1 with err.
 */
static int reload_plan(struct gateway *gw, struct conf_generation *generation,
    struct function **functions, size_t *fresh, char *err, size_t err_len)
{
	const struct gateway_conf *conf = generation->conf;

	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *fc = &conf->functions[i];
		struct function *old = reload_find(gw, fc->name);
		char changed[512], why[512];
		if (old != NULL &&
		    config_function_compare(old->conf, fc, changed, sizeof(changed)) ==
		    CONFIG_RELOAD_LIVE && generation_function(old->generation, old->conf)->digest ==
		    generation_function(generation, fc)->digest) {
			functions[i] = old;
			continue;
		}
		if (old != NULL)
			log_info("function %s: new workers (%s changed)", fc->name,
			    changed[0] != '\0' ? changed : "the spawner's reading");
		functions[i] = function_set_create(gw, generation, fc, why, sizeof(why));
		if (functions[i] == NULL) {
			snprintf(err, err_len, "%s:%u: function %s: %s", fc->file, fc->line,
			    fc->name, why);
			return -1;
		}
		(*fresh)++;
	}
	return 0;
}

/*
 * Nothing below can refuse the reload: new functions start, kept ones read
 * the new settings, the others retire.
 */
static void reload_commit(struct gateway *gw, struct conf_generation *generation,
    struct function **functions, size_t fresh)
{
	struct gateway_conf *conf = generation->conf;
	size_t n = conf->function_count, retired = 0;
	char changed[512], why[512];

	for (size_t i = 0; i < n; i++) {
		const struct function_conf *fc = &conf->functions[i];
		if (functions[i]->generation == generation) {
			if (function_start(functions[i], why, sizeof(why)) < 0)
				log_error("function %s: %s (workers will be forked again)", fc->name, why);
			continue;
		}
		config_function_compare(functions[i]->conf, fc, changed, sizeof(changed));
		if (function_set_update(functions[i], generation, fc) < 0)
			log_error("function %s: out of memory: it keeps its old settings", fc->name);
		else if (changed[0] != '\0')
			log_info("function %s: kept its workers; applied at once: %s", fc->name,
			    changed);
	}
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		bool kept = false;
		for (size_t j = 0; j < n && !kept; j++)
			kept = functions[j] == gw->functions[i];
		if (!kept) {
			function_set_retire(gw, gw->functions[i]);
			retired++;
		}
	}
	free(gw->functions);
	gw->functions = functions;
	generation_unref(gw->generation);
	gw->generation = generation;
	gw->conf = conf;
	log_set_level(conf->log_level);
	log_info("reloaded %s: %zu functions: %zu started anew, %zu kept their workers, %zu retired",
	    gw->config_path, n, fresh, n - fresh, retired);
}

/* One log line per error line; the old configuration keeps running. */
static void reload_log_errors(const char *err)
{
	const char *line = err;

	while (*line != '\0') {
		size_t len = strcspn(line, "\n");
		log_error("reload refused: %.*s", (int)len, line);
		line += len + (line[len] == '\n');
	}
	log_error("reload refused: the running configuration stays in force");
}

static struct function *reload_find(const struct gateway *gw, const char *name)
{
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		if (strcmp(gw->conf->functions[i].name, name) == 0)
			return gw->functions[i];
	}
	return NULL;
}
