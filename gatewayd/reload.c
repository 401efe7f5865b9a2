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

static void reload_log_errors(const char *err);
static void reload_keep_restart_only(const struct gateway_conf *old, struct gateway_conf *conf);
static struct function *reload_find(const struct gateway *gw, const char *name);
static bool reload_same_function(const struct function_conf *a, const struct function_conf *b);
static bool reload_same_string(const char *a, const char *b);
static bool reload_same_pairs(const struct conf_pair *a, size_t na, const struct conf_pair *b,
    size_t nb);

/*
 * The daemon reads the files (without secrets), then the spawner reads them
 * too, as root, and says how each function's workers would start; a
 * function is kept when neither reading changed.
 */
void reload_config(struct gateway *gw)
{
	struct gateway_conf *conf;
	struct conf_generation *generation = NULL;
	struct function **functions = NULL;
	struct buf loaded = { 0 };
	uint32_t spawn_id;
	char err[8192];
	size_t n, fresh = 0;

	log_info("SIGHUP: reloading %s", gw->config_path);
	if (config_load_without_secrets(gw->config_path, &conf, err, sizeof(err)) < 0) {
		reload_log_errors(err);
		return;
	}
	reload_keep_restart_only(gw->conf, conf);
	if (spawner_load(gw->spawner, &spawn_id, &loaded, err, sizeof(err)) < 0) {
		config_free(conf);
		reload_log_errors(err);
		return;
	}
	generation = generation_new(conf, gw->spawner, spawn_id, &loaded, err, sizeof(err));
	buf_free(&loaded);
	if (generation == NULL) {
		spawner_release(gw->spawner, spawn_id);
		config_free(conf);
		reload_log_errors(err);
		return;
	}
	n = conf->function_count;
	if ((functions = calloc(n, sizeof(*functions))) == NULL) {
		snprintf(err, sizeof(err), "out of memory");
		goto refuse;
	}
	for (size_t i = 0; i < n; i++) {
		const struct function_conf *fc = &conf->functions[i];
		struct function *old = reload_find(gw, fc->name);
		char why[512];
		if (old != NULL && reload_same_function(old->conf, fc) &&
		    generation_function(old->generation, old->conf)->digest ==
		    generation_function(generation, fc)->digest) {
			functions[i] = old;
			continue;
		}
		functions[i] = function_set_create(gw, generation, fc, why, sizeof(why));
		if (functions[i] == NULL) {
			snprintf(err, sizeof(err), "%s:%u: function %s: %s", fc->file, fc->line,
			    fc->name, why);
			goto refuse;
		}
		fresh++;
	}
	if (listener_reload(gw, conf, err, sizeof(err)) < 0)
		goto refuse;

	/* Committed: nothing below can refuse the reload. */
	for (size_t i = 0; i < n; i++) {
		char why[512];
		if (functions[i]->generation == generation &&
		    function_start(functions[i], why, sizeof(why)) < 0)
			log_error("function %s: %s (workers will be forked again)", conf->functions[i].name,
			    why);
	}
	size_t retired = 0;
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
	return;

refuse:
	for (size_t i = 0; functions != NULL && i < n; i++) {
		if (functions[i] != NULL && functions[i]->generation == generation)
			function_set_destroy(functions[i]);
	}
	free(functions);
	generation_unref(generation);
	reload_log_errors(err);
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

/*
 * run_dir, user, dynamic_users and pid only change with a restart: the new
 * configuration keeps the running values (identities come from the policy
 * fixed at start), and the operator is told.
 */
static void reload_keep_restart_only(const struct gateway_conf *old, struct gateway_conf *conf)
{
	if (strcmp(old->run_dir, conf->run_dir) != 0) {
		log_warn("reload: run_dir changed: takes effect at the next start");
		char *kept = strdup(old->run_dir);
		if (kept != NULL) {
			free(conf->run_dir);
			conf->run_dir = kept;
		}
	}
	if (old->identity.set != conf->identity.set || old->identity.uid != conf->identity.uid)
		log_warn("reload: [global] user changed: takes effect at the next start");
	if (old->dynamic_first != conf->dynamic_first || old->dynamic_last != conf->dynamic_last)
		log_warn("reload: dynamic_users changed: takes effect at the next start");
	if (!reload_same_string(old->pid_file, conf->pid_file))
		log_warn("reload: pid changed: takes effect at the next start");
}

static struct function *reload_find(const struct gateway *gw, const char *name)
{
	for (size_t i = 0; i < gw->conf->function_count; i++) {
		if (strcmp(gw->conf->functions[i].name, name) == 0)
			return gw->functions[i];
	}
	return NULL;
}

/*
 * Whether a function's running workers and limits can stay as they are:
 * everything but its name, route and where it is written must be equal.
 */
static bool reload_same_function(const struct function_conf *a, const struct function_conf *b)
{
	return reload_same_string(a->exec, b->exec) && reload_same_string(a->script, b->script) &&
	    a->mode == b->mode && a->pm == b->pm && a->max_children == b->max_children &&
	    a->start_servers == b->start_servers && a->min_spare == b->min_spare &&
	    a->max_spare == b->max_spare && a->idle_timeout == b->idle_timeout &&
	    a->max_spawn_rate == b->max_spawn_rate && a->max_requests == b->max_requests &&
	    a->max_memory == b->max_memory && a->queue_max == b->queue_max &&
	    a->queue_timeout == b->queue_timeout && a->max_body == b->max_body &&
	    a->request_timeout == b->request_timeout && a->spawn_timeout == b->spawn_timeout &&
	    a->crash_limit == b->crash_limit && a->crash_window == b->crash_window &&
	    reload_same_pairs(a->env, a->env_count, b->env, b->env_count) &&
	    reload_same_pairs(a->params, a->param_count, b->params, b->param_count) &&
	    reload_same_string(a->seccomp, b->seccomp) &&
	    reload_same_string(a->seccomp_allow, b->seccomp_allow) &&
	    reload_same_string(a->seccomp_deny, b->seccomp_deny) &&
	    a->seccomp_kill == b->seccomp_kill &&
	    memcmp(a->limits, b->limits, sizeof(a->limits)) == 0 &&
	    a->identity.set == b->identity.set && a->identity.uid == b->identity.uid &&
	    a->identity.gid == b->identity.gid && a->allow_root == b->allow_root &&
	    reload_same_string(a->chdir, b->chdir) && reload_same_string(a->chroot, b->chroot) &&
	    a->clear_env == b->clear_env && a->network_none == b->network_none;
}

static bool reload_same_string(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool reload_same_pairs(const struct conf_pair *a, size_t na, const struct conf_pair *b,
    size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].value, b[i].value) != 0)
			return false;
	}
	return true;
}
