/*
 * worker_spec.c: a function's workers, as the spawner starts them (see
 * worker_spec.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "worker_spec.h"

/* Random addresses tried for the exec page before taking the kernel's choice. */
#define EXEC_PAGE_TRIES 16
/* User-space addresses below this on every 64-bit architecture we build for. */
#define EXEC_PAGE_SPAN (1ULL << 46)

static int worker_spec_env(struct worker_spec *ws, const struct function_conf *conf);
static int worker_spec_exec_page(struct worker_spec *ws, const char *path);
static void worker_spec_sandbox(struct worker_spec *ws, const struct function_conf *conf);
static uint64_t worker_spec_digest(const struct worker_spec *ws, const struct function_conf *conf);

int worker_spec_build(struct worker_spec *ws, const struct function_conf *conf, char *err,
    size_t err_len)
{
	size_t argc = 0;

	memset(ws, 0, sizeof(*ws));
	while (conf->pool.exec.argv[argc] != NULL)
		argc++;
	ws->argv = calloc(argc + 1, sizeof(*ws->argv));
	if (ws->argv == NULL || worker_spec_env(ws, conf) < 0 ||
	    worker_spec_exec_page(ws, conf->pool.exec.argv[0]) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	for (size_t i = 1; i < argc; i++)
		ws->argv[i] = conf->pool.exec.argv[i];
	struct syscall_policy policy = {
		.profile = conf->sandbox.seccomp != NULL ? conf->sandbox.seccomp : "default",
		.allow = conf->sandbox.seccomp_allow,
		.deny = conf->sandbox.seccomp_deny,
		.action = conf->sandbox.seccomp_kill ? SYSCALL_FILTER_KILL : SYSCALL_FILTER_ERRNO,
		.exec_path = ws->argv[0],
	};
	if (syscall_filter_build(&policy, &ws->filter, err, err_len) < 0)
		return -1;
	worker_spec_sandbox(ws, conf);
	ws->spawn = (struct spawn_spec){ .argv = ws->argv, .envp = ws->envp,
					 .sandbox = &ws->sandbox,
					 .takes_env = conf->pool.mode == FUNCTION_CGI };
	ws->digest = worker_spec_digest(ws, conf);
	return 0;
}

/*
 * Workers start from an empty environment plus the env lines (env_file's,
 * then env[NAME]'s, merged by the configuration); with clear_env = no,
 * gatewayd's own environment comes first, less the names env sets.
 */
static int worker_spec_env(struct worker_spec *ws, const struct function_conf *conf)
{
	size_t inherited = 0, n = 0;

	if (!conf->sandbox.clear_env) {
		while (environ[inherited] != NULL)
			inherited++;
	}
	ws->envp = calloc(inherited + conf->sandbox.env.count + 1, sizeof(*ws->envp));
	if (ws->envp == NULL)
		return -1;
	for (size_t i = 0; i < inherited; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t name_len = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);
		bool overridden = false;
		for (size_t j = 0; j < conf->sandbox.env.count && !overridden; j++) {
			overridden = strlen(conf->sandbox.env.items[j].name) == name_len &&
			    memcmp(conf->sandbox.env.items[j].name, environ[i], name_len) == 0;
		}
		if (!overridden && (ws->envp[n++] = strdup(environ[i])) == NULL)
			return -1;
	}
	for (size_t i = 0; i < conf->sandbox.env.count; i++) {
		if (asprintf(&ws->envp[n], "%s=%s", conf->sandbox.env.items[i].name, conf->sandbox.env.items[i].value) < 0) {
			ws->envp[n] = NULL;
			return -1;
		}
		n++;
	}
	return 0;
}

/*
 * Maps a page of its own at a random address for the exec path, read-only
 * once written. A few random addresses are tried (one may be taken); then
 * the kernel's randomized choice is used.
 */
static int worker_spec_exec_page(struct worker_spec *ws, const char *path)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = strlen(path) + 1;
	void *p = MAP_FAILED;

	ws->exec_page_len = (len + page - 1) / page * page;
	for (int i = 0; i < EXEC_PAGE_TRIES && p == MAP_FAILED; i++) {
		uint64_t r;
		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			break;
		uintptr_t hint = (uintptr_t)((r % EXEC_PAGE_SPAN) & ~(uint64_t)(page - 1));
		if (hint < (1UL << 32))
			continue;
		p = mmap((void *)hint, ws->exec_page_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	}
	if (p == MAP_FAILED)
		p = mmap(NULL, ws->exec_page_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		ws->exec_page_len = 0;
		return -1;
	}
	memcpy(p, path, len);
	mprotect(p, ws->exec_page_len, PROT_READ);
	ws->exec_page = p;
	ws->argv[0] = p;
	return 0;
}

/* The rest of the worker's confinement, from the configuration. */
static void worker_spec_sandbox(struct worker_spec *ws, const struct function_conf *conf)
{
	static const int resources[CONF_LIMIT_COUNT] = {
		[CONF_LIMIT_MEMORY] = RLIMIT_AS, [CONF_LIMIT_CPU] = RLIMIT_CPU,
		[CONF_LIMIT_FILES] = RLIMIT_NOFILE, [CONF_LIMIT_PROCS] = RLIMIT_NPROC,
		[CONF_LIMIT_CORE] = RLIMIT_CORE, [CONF_LIMIT_FSIZE] = RLIMIT_FSIZE,
	};
	struct sandbox_spec *sb = &ws->sandbox;

	sb->filter = ws->filter;
	sb->new_network = conf->sandbox.network_none;
	sb->chroot = conf->sandbox.chroot;
	sb->chdir = conf->sandbox.chdir;
	for (int i = 0; i < CONF_LIMIT_COUNT; i++) {
		if (conf->sandbox.limits[i].set)
			sb->limits[sb->limit_count++] = (struct sandbox_limit){
				.resource = resources[i], .value = (rlim_t)conf->sandbox.limits[i].value };
	}
	/* Not separating (gatewayd is not root): the workers stay gatewayd's user. */
	sb->set_identity = geteuid() == 0 || conf->sandbox.runs_as.uid != geteuid() ||
	    conf->sandbox.runs_as.gid != getegid();
	sb->uid = conf->sandbox.runs_as.uid;
	sb->gid = conf->sandbox.runs_as.gid;
}

/* FNV-1a over a byte string, its length first (so "ab","c" differs from "a","bc"). */
static uint64_t digest_add(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t n = len;

	for (size_t i = 0; i < sizeof(n); i++)
		h = (h ^ (unsigned char)(n >> (8 * i))) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

/* A string, or NULL (told apart from "" by a leading mark). */
static uint64_t digest_str(uint64_t h, const char *s)
{
	if (s == NULL)
		return digest_add(h, "-", 1);
	return digest_add(digest_add(h, "+", 1), s, strlen(s));
}

/*
 * What tells one start from another: a reload keeps a function's workers
 * only when this and the daemon's own comparison both say nothing changed
 * (the daemon cannot see env_file's contents, nor a runtime's handler code:
 * its stamp is here).
 */
static uint64_t worker_spec_digest(const struct worker_spec *ws, const struct function_conf *conf)
{
	const struct sandbox_spec *sb = &ws->sandbox;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; conf->pool.exec.argv[i] != NULL; i++)
		h = digest_str(h, conf->pool.exec.argv[i]);
	for (size_t i = 0; ws->envp[i] != NULL; i++)
		h = digest_str(h, ws->envp[i]);
	h = digest_str(h, conf->sandbox.seccomp);
	h = digest_str(h, conf->sandbox.seccomp_allow);
	h = digest_str(h, conf->sandbox.seccomp_deny);
	h = digest_str(h, sb->chroot);
	h = digest_str(h, sb->chdir);
	unsigned long long fields[] = { conf->sandbox.seccomp_kill, sb->new_network, sb->set_identity,
					sb->uid, sb->gid, ws->spawn.takes_env, sb->limit_count,
					conf->runtime.handler_stamp };
	h = digest_add(h, fields, sizeof(fields));
	for (size_t i = 0; i < sb->limit_count; i++) {
		unsigned long long limit[] = { (unsigned long long)sb->limits[i].resource,
					       (unsigned long long)sb->limits[i].value };
		h = digest_add(h, limit, sizeof(limit));
	}
	return h;
}

void worker_spec_free(struct worker_spec *ws)
{
	if (ws->envp != NULL) {
		for (size_t i = 0; ws->envp[i] != NULL; i++)
			free(ws->envp[i]);
	}
	free(ws->envp);
	free(ws->argv);
	if (ws->exec_page != NULL)
		munmap(ws->exec_page, ws->exec_page_len);
	syscall_filter_free(ws->filter);
	memset(ws, 0, sizeof(*ws));
}
