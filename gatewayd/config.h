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
#include <stdint.h>
#include <sys/types.h>

#include "journal.h"
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

/* The pairs of env[NAME] or param[NAME] lines, in file order. */
struct conf_pairs {
	struct conf_pair *items;
	size_t count;
};

/* The values of a repeatable or list-valued key (listen, listen.allowed_clients). */
struct conf_strings {
	char **items;
	size_t count;
};

/*
 * The paths gatewayd answers itself (the job API): checked before any
 * route, so no route = or function_prefix may lie under them.
 */
#define GATEWAY_API_PREFIX "/_gateway/"

/* Whether a function's requests may be queued and answered 202 (docs/async.md). */
enum async_mode {
	ASYNC_OFF,	/* async = off: always run synchronously (default) */
	ASYNC_ON,	/* async = on: queued when the request asks (Prefer: respond-async, X-Async: true) */
	ASYNC_ONLY,	/* async = only: every request is queued */
};

/* Where accepted jobs are kept ([global] async.backend, docs/scaling.md). */
enum async_backend {
	ASYNC_BACKEND_JOURNAL,	/* async.journal on this machine (default) */
	ASYNC_BACKEND_NATS,	/* a NATS JetStream stream and key-value bucket, shared by nodes */
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

/* What a reload does with a key whose value changed (its row's reload class). */
enum config_reload {
	CONFIG_RELOAD_LIVE,	/* applied at once, to the running function or daemon */
	CONFIG_RELOAD_WORKERS,	/* the function gets new workers (a new pool) */
	CONFIG_RELOAD_RESTART,	/* only at the next start: the running value is kept */
};

/*
 * A function's settings, grouped by how long they live (the key table's
 * reload class, config_keys.c): what its workers are built from (a change
 * gives the function new workers), how they are confined (the same), and
 * what each request or job reads (a reload applies a change at once, to the
 * running function).
 */

/* exec = PROGRAM ARGS...: the line and its words. */
struct conf_exec {
	char *line;			/* as written */
	char **argv;			/* split on blanks, NULL-terminated; argv[0] absolute */
};

/* How the pool runs: program, scaling, timeouts. A change needs new workers. */
struct pool_settings {
	struct conf_exec exec;
	enum function_mode mode;	/* mode = fastcgi (default) | cgi */
	enum pm_mode pm;
	unsigned max_children;		/* pm.max_children, 1..4096 */
	unsigned start_servers;		/* pm.start_servers (dynamic); unset: min + (max - min) / 2 spare */
	unsigned min_spare;		/* pm.min_spare_servers (dynamic) */
	unsigned max_spare;		/* pm.max_spare_servers (dynamic) */
	double idle_timeout;		/* pm.process_idle_timeout seconds (dynamic above min spare, ondemand) */
	unsigned max_spawn_rate;	/* pm.max_spawn_rate: workers started per second at most */
	unsigned long max_requests;	/* pm.max_requests, 0 = never recycle */
	size_t max_memory;		/* pm.max_memory: recycle when a request leaves RSS above it; 0 = off */
	double request_timeout;		/* request_timeout seconds, 0 = no limit */
	double spawn_timeout;		/* spawn_timeout: fork to exec, seconds, 0 = no limit */
	unsigned crash_limit;		/* crash_loop.count: quick deaths in a row that hold the function back */
	double crash_window;		/* crash_loop.window: a death this soon after start is quick */
	unsigned queue_max;		/* queue.max: requests waiting for a worker */
	double queue_timeout;		/* queue.timeout seconds, 0 = no limit */
};

/* How each worker is confined (docs/sandbox.md). A change needs new workers. */
struct sandbox_settings {
	char *seccomp;			/* "default", "strict", "off", or an absolute profile path */
	char *seccomp_allow;		/* seccomp.allow: names and @groups, or NULL */
	char *seccomp_deny;		/* seccomp.deny: names and @groups, or NULL */
	bool seccomp_kill;		/* seccomp.action: kill (true) or errno (false) */
	struct conf_rlimit limits[CONF_LIMIT_COUNT];
	struct conf_identity identity;	/* user = / group =; unset: a dynamic user (runs_as) */
	struct run_identity runs_as;	/* what the workers run as (identities_assign) */
	bool allow_root;		/* allow_root = yes: workers may run as uid 0 */
	char *chdir;			/* chdir = absolute path, or NULL (gatewayd's, "/" with chroot) */
	char *chroot;			/* chroot = absolute path, or NULL */
	bool clear_env;			/* clear_env = no inherits gatewayd's environment */
	char *env_file;			/* env_file = path (merged into env, file lines first), or NULL */
	struct conf_pairs env;		/* env[NAME] = value (and env_file's), in file order */
	bool network_none;		/* network = none: an empty network namespace */
};

/* Which worker program of gatewayd's own runs the function's handler (functions/README.md). */
enum function_runtime {
	RUNTIME_NONE,		/* runtime = none (default): exec = names the program */
	RUNTIME_PYTHON3,	/* runtime = python3: handler = a Python module, in an embedded CPython */
};

/* runtime = and its handler: the exec line is derived from them. A change needs new workers. */
struct runtime_settings {
	enum function_runtime runtime;
	char *handler;			/* handler = a .py file or a package directory (realpath), or NULL */
	char *function;			/* handler.function: the callable's name (default handle) */
	bool raw_body;			/* raw_body = yes: handle(req) gets the body as bytes, not str */
	uint64_t handler_stamp;		/* derived: the handler's files' sizes and times, when loaded */
	int dump_signal;		/* derived: sent before a request_timeout kill (0: none) */
};

/* What gatewayd reads for each request it routes to the function: applied live. */
struct request_settings {
	char *route;			/* path prefix routed here, or NULL */
	char *script;			/* script = path, sent as SCRIPT_FILENAME (php-cgi), or NULL */
	size_t max_body;		/* request.max_body bytes */
	bool retry;			/* retry = yes: any method may run again after a worker died */
	double slowlog_timeout;		/* request_slowlog_timeout seconds, 0 = off */
	struct conf_pairs params;	/* param[NAME] = value, in file order */
};

/* Async mode (docs/async.md): read for each job. Applied live. */
struct async_settings {
	enum async_mode mode;		/* async = off | on | only */
	unsigned queue_size;		/* async.queue_size: jobs waiting */
	unsigned max_attempts;		/* async.max_attempts */
	size_t max_body;		/* async.max_body: request body bytes */
	unsigned max_concurrency;	/* async.max_concurrency: workers reserved for jobs */
	size_t result_max;		/* async.result_max: response bytes kept */
	unsigned results_max;		/* async.results_max: finished jobs kept */
	size_t results_memory;		/* async.results_memory: their response bytes */
	double result_ttl;		/* async.result_ttl: finished jobs kept, seconds */
	double retry_delay;		/* async.retry_delay: first retry delay (doubling) */
	char *callback_allow;		/* async.callback_allow: URL prefixes; NULL allows none */
	char *callback_secret;		/* async.callback_secret_file's contents: the signing key */
};

/* One [function] section. */
struct function_conf {
	char *name;			/* the section name: [A-Za-z0-9_.-]+, not starting with '_' */
	struct pool_settings pool;
	struct sandbox_settings sandbox;
	struct runtime_settings runtime;
	struct request_settings request;
	struct async_settings async;
	char *file;			/* where the section header stands */
	unsigned line;
};

/* The uids (and gids) dynamic_users hands out. */
struct conf_id_range {
	uid_t first;
	uid_t last;
};

/* The whole configuration: [global] and the functions. */
struct gateway_conf {
	struct conf_strings listen;	/* "/abs/path.sock" or "host:port" ("[::1]:9000"); >= 1 */
	struct conf_strings allowed_clients;	/* listen.allowed_clients: IP literals; none = any */
	mode_t listen_mode;		/* listen.mode for unix sockets */
	struct conf_id_value listen_owner;	/* listen.owner: unset = gatewayd's user */
	struct conf_id_value listen_group;	/* listen.group: unset = gatewayd's group */
	int listen_backlog;		/* listen.backlog */
	char *admin_listen;		/* admin_listen: the admin socket's path, or NULL */
	bool status_front;		/* status.front: /_gateway/status, metrics, ping on listen too */
	struct conf_strings status_allowed_clients;	/* status.allowed_clients (REMOTE_ADDR);
							   none = any */
	char *run_dir;			/* run_dir for worker sockets */
	char *function_prefix;		/* function_prefix: "/function/" routes /function/<name>; NULL: none */
	enum log_level log_level;	/* log_level */
	char *log_syslog;		/* log = syslog[:path]: the socket, or NULL: stderr */
	unsigned max_connections;	/* max_connections from web servers */
	size_t max_params;		/* request.max_params bytes of PARAMS */
	size_t request_memory_max;	/* request.memory_max: params and bodies all requests hold */
	struct conf_identity identity;	/* [global] user = / group =: dropped to after binding */
	struct conf_id_range dynamic_users;	/* dynamic_users: uids for functions without user = */
	double shutdown_timeout;	/* shutdown_timeout: SIGTERM drain limit, seconds */
	double read_timeout;		/* front.read_timeout: silence allowed while a request arrives, 0 = none */
	double idle_timeout;		/* front.idle_timeout: a connection with no request is closed, 0 = none */
	double front_request_timeout;	/* front.request_timeout: BEGIN_REQUEST to the end of STDIN, 0 = none */
	char *access_log;		/* access_log = path, or NULL: none */
	char *access_log_format;	/* access_log.format (checked) */
	char *pid_file;			/* pid = path written at start (gatewayd -s reload reads it), or NULL */
	char *async_journal;		/* async.journal = path; required when a function has async != off */
	enum journal_fsync async_fsync;	/* async.fsync = always | batch | off */
	double async_fsync_interval;	/* async.fsync_interval: batch window, seconds */
	enum async_backend async_backend;	/* async.backend = journal | nats */
	char *nats_url;			/* nats.url: servers, separated by commas */
	char *nats_credentials;		/* nats.credentials = path (a .creds file or a token) */
	char *nats_stream;		/* nats.stream: the stream's name, its subjects' prefix */
	unsigned nats_replicas;		/* nats.replicas: of the stream and the bucket */
	double nats_ack_wait;		/* nats.ack_wait: a job held without news, seconds */
	double nats_timeout;		/* nats.timeout: an accept's wait for JetStream, seconds */
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

/*
 * A reload's view of function a (running) read anew as b: the highest
 * reload class among the keys whose values differ (CONFIG_RELOAD_LIVE when
 * none does, or only live ones), their names in changed, comma-separated
 * ("" when none).
 */
enum config_reload config_function_compare(const struct function_conf *a,
    const struct function_conf *b, char *changed, size_t len);

/*
 * The [global] keys of conf that only take effect at a restart and differ
 * from old get old's value back; their names go to changed. Returns how many,
 * or -1 when out of memory.
 */
int config_keep_restart_only(const struct gateway_conf *old, struct gateway_conf *conf,
    char *changed, size_t len);

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
