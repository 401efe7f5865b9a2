/*
 * config.h: gatewayd's INI configuration, loaded with inih and validated
 * strictly. Every unknown section key, bad value or missing required key is
 * an error that names the file and line it comes from.
 *
 * Layout: one [global] section and one section per function; `include =`
 * globs pull in more files (a functions.d directory of .ini files).
 * Directive names follow PHP-FPM where the meaning is the same. Relative
 * paths (listen sockets, run_dir, include, exec, script, seccomp profile
 * files, chdir, chroot, env_file) are taken relative to the directory of the
 * file they are written in, and stored absolute.
 */
#ifndef GATEWAYD_CONFIG_H
#define GATEWAYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "log.h"

/* How a function's pool is sized (PHP-FPM's meanings). */
enum pm_mode {
	PM_STATIC,	/* pm.max_children workers, all forked at start and kept */
	PM_DYNAMIC,	/* pm.start_servers at start, idle ones kept between min and max spare */
	PM_ONDEMAND,	/* none at start; forked per need, stopped after process_idle_timeout */
};

/* How a function's program is run. */
enum function_mode {
	FUNCTION_FASTCGI,	/* mode = fastcgi: a pool of persistent FastCGI workers */
	FUNCTION_CGI,		/* mode = cgi: one process per request (RFC 3875) */
};

/* A NAME = value pair from env[NAME] or param[NAME] lines. */
struct conf_pair {
	char *name;
	char *value;
};

/* Whether a function's requests may be queued and answered 202 (docs/async.md). */
enum async_mode {
	ASYNC_OFF,	/* async = off: always run synchronously (default) */
	ASYNC_ON,	/* async = on: queued when the request asks (Prefer: respond-async, X-Async: true) */
	ASYNC_ONLY,	/* async = only: every request is queued */
};

/* When the async journal is flushed to disk. */
enum async_fsync {
	ASYNC_FSYNC_ALWAYS,	/* before each 202: no accepted job can be lost */
	ASYNC_FSYNC_BATCH,	/* group commit every async.fsync_interval (default) */
	ASYNC_FSYNC_OFF,	/* left to the kernel */
};

/* The resource limits a function may set (setrlimit in the worker). */
enum conf_limit {
	CONF_LIMIT_MEMORY,	/* limit.memory: RLIMIT_AS, a size */
	CONF_LIMIT_CPU,		/* limit.cpu: RLIMIT_CPU, a duration in whole seconds (rounded up) */
	CONF_LIMIT_FILES,	/* limit.files: RLIMIT_NOFILE, a count */
	CONF_LIMIT_PROCS,	/* limit.procs: RLIMIT_NPROC, a count */
	CONF_LIMIT_CORE,	/* limit.core: RLIMIT_CORE, a size; set to 0 when not given */
	CONF_LIMIT_FSIZE,	/* limit.fsize: RLIMIT_FSIZE, a size */
	CONF_LIMIT_COUNT,
};

/* One limit.* value. */
struct conf_rlimit {
	bool set;			/* given (limit.core is always set) */
	unsigned long long value;	/* bytes, seconds or a count */
};

/* A user = / group = value, resolved when the configuration is loaded. */
struct conf_identity {
	bool set;			/* user = was given */
	char *user;			/* as written */
	uid_t uid;
	gid_t gid;			/* group =, else the user's primary group */
};

/*
 * Who a function's workers run as, decided once the whole configuration is
 * read (identities.c): its user =, or a uid of its own from [global]
 * dynamic_users, or gatewayd's own when gatewayd was not started as root.
 */
struct run_identity {
	uid_t uid;
	gid_t gid;
	bool dynamic;			/* allocated from dynamic_users: no passwd entry */
};

/* A listen.owner = / listen.group = value, resolved when loaded. */
struct conf_id_value {
	bool set;
	unsigned id;			/* the uid or gid */
};

/* One [function] section. */
struct function_conf {
	char *name;			/* the section name: [A-Za-z0-9_.-]+, not starting with '_' */
	char *exec;			/* the exec line as written */
	char **argv;			/* exec split on blanks, NULL-terminated; argv[0] absolute */
	char *script;			/* script = path, sent as SCRIPT_FILENAME (php-cgi), or NULL */
	char *route;			/* path prefix routed here, or NULL */
	enum function_mode mode;	/* mode = fastcgi (default) | cgi */
	enum pm_mode pm;
	unsigned max_children;		/* pm.max_children, 1..4096, default 4 */
	unsigned start_servers;		/* pm.start_servers (dynamic), default min + (max - min) / 2 spare */
	unsigned min_spare;		/* pm.min_spare_servers (dynamic), default 1 */
	unsigned max_spare;		/* pm.max_spare_servers (dynamic), default 3 */
	double idle_timeout;		/* pm.process_idle_timeout seconds (dynamic above min spare, ondemand), default 10 */
	unsigned max_spawn_rate;	/* pm.max_spawn_rate: workers started per second at most, default 32 */
	unsigned long max_requests;	/* pm.max_requests, 0 = never recycle, default 0 */
	size_t max_memory;		/* pm.max_memory: recycle when a request leaves RSS above it; 0 = off */
	double request_timeout;		/* request_timeout seconds, 0 = no limit, default 60 */
	double spawn_timeout;		/* spawn_timeout: fork to exec, seconds, 0 = no limit, default 10 */
	unsigned crash_limit;		/* crash_loop.count: quick deaths in a row that hold the function back, default 5 */
	double crash_window;		/* crash_loop.window: a death this soon after start is quick, default 10 s */
	unsigned queue_max;		/* queue.max: requests waiting for a worker, default 512 */
	double queue_timeout;		/* queue.timeout seconds, 0 = no limit, default 30 */
	size_t max_body;		/* request.max_body bytes, default 8M */
	struct conf_pair *env;		/* env[NAME] = value, in file order */
	size_t env_count;
	struct conf_pair *params;	/* param[NAME] = value, in file order */
	size_t param_count;
	/* Sandbox (docs/sandbox.md). */
	char *seccomp;			/* "default" (default), "strict", "off", or an absolute profile path */
	char *seccomp_allow;		/* seccomp.allow: names and @groups, or NULL */
	char *seccomp_deny;		/* seccomp.deny: names and @groups, or NULL */
	bool seccomp_kill;		/* seccomp.action: kill (default, true) or errno (false) */
	struct conf_rlimit limits[CONF_LIMIT_COUNT];
	struct conf_identity identity;	/* user = / group =; unset: a dynamic user (runs_as) */
	struct run_identity runs_as;	/* what the workers run as (identities_assign) */
	bool allow_root;		/* allow_root = yes: workers may run as uid 0 */
	char *chdir;			/* chdir = absolute path, or NULL (gatewayd's, "/" with chroot) */
	char *chroot;			/* chroot = absolute path, or NULL */
	bool clear_env;			/* clear_env = no inherits gatewayd's environment; default yes */
	char *env_file;			/* env_file = path (merged into env, file lines first), or NULL */
	bool network_none;		/* network = none: an empty network namespace */
	/* Async mode (docs/async.md). */
	enum async_mode async;		/* async = off (default) | on | only */
	unsigned async_queue_size;	/* async.queue_size: jobs waiting, 1..1000000, default 1000 */
	unsigned async_max_attempts;	/* async.max_attempts: 1..100, default 3 */
	size_t async_max_body;		/* async.max_body: request body bytes, default 1M */
	unsigned async_max_concurrency;	/* async.max_concurrency: workers reserved for jobs, default 0 */
	size_t async_result_max;	/* async.result_max: response bytes kept, default 1M */
	double async_result_ttl;	/* async.result_ttl: finished jobs kept, seconds, default 3600 */
	double async_retry_delay;	/* async.retry_delay: first retry delay (doubling), default 1 s */
	char *file;			/* where the section header stands */
	unsigned line;
};

/* The whole configuration. */
struct gateway_conf {
	char **listen;			/* "/abs/path.sock" or "host:port" ("[::1]:9000"); >= 1 */
	size_t listen_count;
	char **allowed_clients;		/* listen.allowed_clients: IP literals; none = any */
	size_t allowed_client_count;
	mode_t listen_mode;		/* listen.mode for unix sockets, default 0660 */
	struct conf_id_value listen_owner;	/* listen.owner: unset = gatewayd's user */
	struct conf_id_value listen_group;	/* listen.group: unset = gatewayd's group */
	int listen_backlog;		/* listen.backlog, default 511 */
	char *run_dir;			/* run_dir for worker sockets, default /run/gatewayd */
	enum log_level log_level;	/* log_level, default info */
	unsigned max_connections;	/* max_connections from web servers, default 1024 */
	size_t max_params;		/* request.max_params bytes of PARAMS, default 64K */
	struct conf_identity identity;	/* [global] user = / group =: dropped to after binding */
	uid_t dynamic_first;		/* dynamic_users: uids (and gids) allocated to functions */
	uid_t dynamic_last;		/* without user =, default 61184-65519 (systemd's) */
	double shutdown_timeout;	/* shutdown_timeout: SIGTERM drain limit, seconds, default 30 */
	double read_timeout;		/* front.read_timeout: silence allowed while a request arrives, default 60 s, 0 = none */
	double idle_timeout;		/* front.idle_timeout: a connection with no request is closed, default 300 s, 0 = none */
	char *pid_file;			/* pid = path written at start (gatewayd -s reload reads it), or NULL */
	char *async_journal;		/* async.journal = path; required when a function has async != off */
	enum async_fsync async_fsync;	/* async.fsync = always | batch (default) | off */
	double async_fsync_interval;	/* async.fsync_interval: batch window, seconds, default 0.01 */
	struct function_conf *functions;
	size_t function_count;
};

/*
 * Loads and validates path and everything it includes. Returns 0 and sets
 * *out, or -1 and writes every error found ("file:line: message", one per
 * line) into err.
 */
int config_load(const char *path, struct gateway_conf **out, char *err, size_t err_len);

/*
 * As config_load(), but the daemon's reading: env_file = paths are taken as
 * written and not read. The daemon never holds a function's secrets (the
 * spawner does) and, running as its own unprivileged user, could not read
 * them anyway.
 */
int config_load_without_secrets(const char *path, struct gateway_conf **out, char *err,
    size_t err_len);

/* Frees a configuration from config_load(). NULL is allowed. */
void config_free(struct gateway_conf *conf);

/* Returns the function named by (name, len), or NULL. */
const struct function_conf *config_find_function(const struct gateway_conf *conf,
    const char *name, size_t len);

/* Parses "30s", "500ms", "2m", "1h" or a bare number of seconds. 0 / -1. */
int config_parse_duration(const char *s, double *seconds);

/* Parses "512", "64K", "8M", "1G" (powers of 1024). 0 / -1. */
int config_parse_size(const char *s, size_t *bytes);

#endif /* GATEWAYD_CONFIG_H */
