/*
 * startup.c: bringing a gateway up (see startup.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "async.h"
#include "front.h"
#include "function_set.h"
#include "log.h"
#include "socket_activation.h"
#include "spawner_table.h"
#include "startup.h"

static int start_spawner(struct gateway *gw, char *err, size_t err_len);
static int load_generation(struct gateway *gw, char *err, size_t err_len);
static void announce_identities(const struct gateway *gw);
static int prepare_run_dir(const struct gateway *gw, char *err, size_t err_len);
static int start_functions(struct gateway *gw, char *err, size_t err_len);

int startup_spawner(struct gateway *gw, char *err, size_t err_len)
{
	if (identity_policy_init(&gw->identity, gw->conf, geteuid() == 0, err, err_len) < 0)
		return -1;
	return start_spawner(gw, err, err_len);
}

int startup_listen(struct gateway *gw, char *err, size_t err_len)
{
	if (load_generation(gw, err, err_len) < 0 || prepare_run_dir(gw, err, err_len) < 0 ||
	    front_start(gw, err, err_len) < 0)
		return -1;
	/* Read while gatewayd may still be root: libnats needs it at every reconnect. */
	if (gw->conf->async_backend == ASYNC_BACKEND_NATS && gw->conf->nats_credentials != NULL &&
	    nats_credentials_read(gw->conf->nats_credentials, &gw->nats_credentials, err,
		err_len) < 0)
		return -1;
	return socket_activation_check_claimed(err, err_len);
}

int startup_functions(struct gateway *gw, char *err, size_t err_len)
{
	if (start_functions(gw, err, err_len) < 0)
		return -1;
	return async_start(gw, err, err_len);
}

/*
 * Forks the spawner, before any input is read or any socket opened: it
 * keeps root (to start workers as their users) and the daemon will not.
 */
static int start_spawner(struct gateway *gw, char *err, size_t err_len)
{
	struct spawner_table *table = spawner_table_new(gw->config_path, &gw->identity,
	    gw->conf->pid_file, getpid());

	if (table == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	gw->spawner = spawner_start(&spawner_table_ops, table, err, err_len);
	spawner_table_free(table);	/* the spawner's copy is its own */
	return gw->spawner != NULL ? 0 : -1;
}

/* The first generation: the spawner's reading of the configuration beside ours. */
static int load_generation(struct gateway *gw, char *err, size_t err_len)
{
	struct buf loaded = { 0 };
	uint32_t id;

	if (spawner_load(gw->spawner, &id, &loaded, err, err_len) < 0)
		return -1;
	gw->generation = generation_new(gw->conf, gw->spawner, id, &loaded, err, err_len);
	buf_free(&loaded);
	if (gw->generation == NULL) {
		spawner_release(gw->spawner, id);
		return -1;
	}
	announce_identities(gw);
	return 0;
}

/* Who runs as whom, once, at start; loudly when nothing can be separated. */
static void announce_identities(const struct gateway *gw)
{
	const struct identity_policy *p = &gw->identity;

	if (!p->separate) {
		log_warn("gatewayd was not started as root: it cannot give functions users of "
		    "their own. Every worker runs as uid %u, like gatewayd itself, and can signal "
		    "it, read its journal and replace its sockets. Start gatewayd as root to "
		    "isolate functions from gatewayd and from each other (docs/sandbox.md).",
		    (unsigned)p->daemon_uid);
		return;
	}
	log_info("gatewayd runs as uid %u gid %u (%s), without capabilities; workers are "
	    "started by the spawner (pid %d)", (unsigned)p->daemon_uid, (unsigned)p->daemon_gid,
	    p->daemon_dynamic ? "a dynamic user of its own" : "[global] user",
	    (int)spawner_pid(gw->spawner));
}

/*
 * The directory for the workers' sockets: created 0700 when missing (its
 * missing parents 0755) and given to the user gatewayd will run as; it must
 * be that user's and closed to group and others, since whoever can connect
 * to a worker's socket can run requests past gatewayd.
 */
static int prepare_run_dir(const struct gateway *gw, char *err, size_t err_len)
{
	const char *path = gw->conf->run_dir;
	uid_t uid = gw->identity.daemon_uid;
	struct stat st;
	char parent[PATH_MAX];

	snprintf(parent, sizeof(parent), "%s", path);
	for (char *slash = strchr(parent + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(parent, 0755) < 0 && errno != EEXIST) {
			snprintf(err, err_len, "run_dir %s: cannot create %s: %s", path, parent,
			    strerror(errno));
			return -1;
		}
		*slash = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		snprintf(err, err_len, "run_dir %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, err_len, "run_dir %s: not a directory", path);
		return -1;
	}
	if (st.st_uid != uid && geteuid() == 0 && chown(path, uid, gw->identity.daemon_gid) == 0)
		st.st_uid = uid;
	if (st.st_uid != uid || (st.st_mode & 077) != 0) {
		snprintf(err, err_len, "run_dir %s: must be owned by uid %d with mode 0700",
		    path, (int)uid);
		return -1;
	}
	return 0;
}

static int start_functions(struct gateway *gw, char *err, size_t err_len)
{
	const struct gateway_conf *conf = gw->conf;

	gw->functions = calloc(conf->function_count, sizeof(*gw->functions));
	if (gw->functions == NULL) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < conf->function_count; i++) {
		const struct function_conf *fc = &conf->functions[i];
		const struct generation_function *gf = generation_function(gw->generation, fc);
		char why[512];
		gw->functions[i] = function_set_create(gw, gw->generation, fc, why, sizeof(why));
		if (gw->functions[i] == NULL || function_start(gw->functions[i], why, sizeof(why)) < 0) {
			snprintf(err, err_len, "%s:%u: function %s: %s", fc->file, fc->line, fc->name,
			    why);
			return -1;
		}
		log_info("function %s: %s, up to %u workers of %s, as uid %u gid %u%s", fc->name,
		    fc->pool.mode == FUNCTION_CGI ? "cgi" : fc->pool.pm == PM_DYNAMIC ? "pm dynamic"
		    : fc->pool.pm == PM_ONDEMAND ? "pm ondemand" : "pm static",
		    fc->pool.max_children, fc->pool.exec.argv[0], (unsigned)gf->uid, (unsigned)gf->gid,
		    fc->sandbox.identity.set ? "" : gw->identity.separate ? " (a dynamic user of its own)" :
		    " (gatewayd's own)");
	}
	return 0;
}

