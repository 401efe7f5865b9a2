/*
 * config_sandbox.c: a function's sandbox keys (seccomp, limit.*, user /
 * group, chdir / chroot, the environment: env_file, env[NAME], clear_env,
 * network), and [global]'s identities (user, group, dynamic_users,
 * listen.owner, listen.group). The spawner applies them when it starts a
 * worker (docs/sandbox.md); here they are only read and checked, so that
 * `gatewayd -t` finds a bad one before anything runs. A change of a
 * function's needs new workers; [global]'s take effect at the next start.
 *
 * Names are resolved at load time: an unknown user or group is an error
 * naming its line, not a worker that fails to start. Syscall names are not:
 * the spawner compiles each filter when it loads the configuration (at
 * start-up and on every reload, which it then refuses), and `gatewayd -t`
 * compiles them too, so an unknown name is reported before a worker runs.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_internal.h"

#define ENV_FILE_MAX	(1 * CONFIG_SIZE_M)	/* an env_file larger than this is refused */
#define NSS_BUF_MAX	(1 * CONFIG_SIZE_M)	/* getpwnam_r() / getgrnam_r() buffer cap */
#define LIMIT_UNLIMITED	((unsigned long long)RLIM_INFINITY)

static key_parser key_seccomp, key_seccomp_action, key_limit_size, key_limit_count,
    key_limit_cpu, key_user, key_group, key_chdir, key_dir, key_env_file, key_env, key_network,
    key_listen_owner, key_listen_group, key_dynamic_users;
static void sandbox_section_end(struct conf_file *cf);
static void chdir_check(struct conf_file *cf, const struct sandbox_settings *fn);
static void identity_load_end(struct loader *ld);

#define S(field) struct function_conf, sandbox.field
#define WORKERS CONFIG_RELOAD_WORKERS
#define RESTART CONFIG_RELOAD_RESTART
/* A limit.* key: sandbox.limits[limit] of a function, within [min, max] (or unlimited). */
#define LIMIT_KEY(name, parse, limit, def, min, max) \
	{ name, parse, offsetof(struct function_conf, sandbox.limits) + \
	  (limit) * sizeof(struct conf_rlimit), sizeof(struct conf_rlimit), KIND_LIMIT, WORKERS, \
	  def, min, max, false, NULL }

static const struct key_spec sandbox_keys[] = {
	KEY("seccomp", key_seccomp, S(seccomp), KIND_STRING, WORKERS, "default"),
	KEY("seccomp.allow", config_key_text, S(seccomp_allow), KIND_STRING, WORKERS, NULL),
	KEY("seccomp.deny", config_key_text, S(seccomp_deny), KIND_STRING, WORKERS, NULL),
	KEY("seccomp.action", key_seccomp_action, S(seccomp_kill), KIND_SCALAR, WORKERS, "kill"),
	LIMIT_KEY("limit.memory", key_limit_size, CONF_LIMIT_MEMORY, NULL, CONFIG_SIZE_M, SIZE_MAX),
	LIMIT_KEY("limit.cpu", key_limit_cpu, CONF_LIMIT_CPU, NULL, 1, UINT32_MAX),
	LIMIT_KEY("limit.files", key_limit_count, CONF_LIMIT_FILES, NULL, 1, 1048576),
	LIMIT_KEY("limit.procs", key_limit_count, CONF_LIMIT_PROCS, NULL, 1, 4194304),
	/* No core dumps unless asked: a worker's memory holds secrets. */
	LIMIT_KEY("limit.core", key_limit_size, CONF_LIMIT_CORE, "0", 0, SIZE_MAX),
	LIMIT_KEY("limit.fsize", key_limit_size, CONF_LIMIT_FSIZE, NULL, 0, SIZE_MAX),
	KEY("user", key_user, S(identity), KIND_IDENTITY, WORKERS, NULL),
	KEY("group", key_group, S(identity), KIND_IDENTITY, WORKERS, NULL),
	KEY("allow_root", config_key_bool, S(allow_root), KIND_SCALAR, WORKERS, "no"),
	KEY("chdir", key_chdir, S(chdir), KIND_STRING, WORKERS, NULL),
	KEY("chroot", key_dir, S(chroot), KIND_STRING, WORKERS, NULL),
	KEY("clear_env", config_key_bool, S(clear_env), KIND_SCALAR, WORKERS, "yes"),
	KEY("env_file", key_env_file, S(env_file), KIND_STRING, WORKERS, NULL),
	{ "env[NAME]", key_env, offsetof(struct function_conf, sandbox.env),
	  sizeof(struct conf_pairs), KIND_PAIRS, WORKERS, NULL, 0, 0, true, NULL },
	KEY("network", key_network, S(network_none), KIND_SCALAR, WORKERS, "host"),
};

const struct key_table config_sandbox_table = {
	TABLE_SANDBOX, SECTION_FUNCTION, sandbox_keys, NAME_COUNT(sandbox_keys),
	sandbox_section_end, NULL,
};

#define G(field) struct gateway_conf, field

/* [global]'s identities: gatewayd's own user, and the uids it hands out. */
static const struct key_spec identity_keys[] = {
	KEY("user", key_user, G(identity), KIND_IDENTITY, RESTART, NULL),
	KEY("group", key_group, G(identity), KIND_IDENTITY, RESTART, NULL),
	KEY("dynamic_users", key_dynamic_users, G(dynamic_users), KIND_SCALAR, RESTART,
	    "61184-65519"),
	KEY("listen.owner", key_listen_owner, G(listen_owner), KIND_ID, RESTART, NULL),
	KEY("listen.group", key_listen_group, G(listen_group), KIND_ID, RESTART, NULL),
};

const struct key_table config_identity_table = {
	TABLE_IDENTITY, SECTION_GLOBAL, identity_keys, NAME_COUNT(identity_keys), NULL,
	identity_load_end,
};

/* seccomp: a built-in profile by name, or a profile file stored as its realpath(). */
static int key_seccomp(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct sandbox_settings *fn = &((struct function_conf *)target)->sandbox;
	char *profile;

	if (value[0] == '\0') {
		config_key_error(cf, k->name, value, "must be default, strict, off or a profile path");
		return -1;
	}
	if (strcmp(value, "default") == 0 || strcmp(value, "strict") == 0 ||
	    strcmp(value, "off") == 0) {
		if (!(profile = strdup(value)))
			return config_out_of_memory(cf);
	} else if (!(profile = config_path_resolve(cf, k, value, PATH_FILE))) {
		return -1;
	}
	free(fn->seccomp);	/* the default */
	fn->seccomp = profile;
	return 0;
}

/* seccomp.action: kill (SIGSYS, the default) or errno (the call fails with EPERM). */
static int key_seccomp_action(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct sandbox_settings *fn = &((struct function_conf *)target)->sandbox;

	if (strcmp(value, "kill") == 0 || strcmp(value, "errno") == 0) {
		fn->seccomp_kill = value[0] == 'k';
		return 0;
	}
	config_key_error(cf, k->name, value, "must be kill or errno");
	return -1;
}

/* The limit a LIMIT_KEY() entry points to. */
static struct conf_rlimit *limit_field(const struct key_spec *k, void *target)
{
	return (struct conf_rlimit *)((char *)target + k->offset);
}

/* Stores v, or RLIM_INFINITY for "unlimited" (returns true then). */
static bool limit_unlimited(const struct key_spec *k, void *target, const char *value)
{
	if (strcmp(value, "unlimited") != 0)
		return false;
	*limit_field(k, target) = (struct conf_rlimit){ .set = true, .value = LIMIT_UNLIMITED };
	return true;
}

/* limit.memory, limit.core, limit.fsize: a size of at least k->min bytes. */
static int key_limit_size(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char min[32];
	size_t v;

	if (limit_unlimited(k, target, value))
		return 0;
	if (config_parse_size(value, &v) < 0) {
		config_key_error(cf, k->name, value,
		    "must be a size (bytes, or a number with K, M or G) or unlimited");
		return -1;
	}
	if (v < k->min) {
		config_key_error(cf, k->name, value, "must be at least %s, or unlimited",
		    config_size_text(k->min, min, sizeof(min)));
		return -1;
	}
	*limit_field(k, target) = (struct conf_rlimit){ .set = true, .value = v };
	return 0;
}

/* limit.files, limit.procs: a whole number within [k->min, k->max]. */
static int key_limit_count(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	unsigned long long v;

	if (limit_unlimited(k, target, value))
		return 0;
	if (config_parse_digits(value, strlen(value), &v) < 0 || v < k->min || v > k->max) {
		config_key_error(cf, k->name, value,
		    "must be a whole number between %llu and %llu, or unlimited", k->min, k->max);
		return -1;
	}
	*limit_field(k, target) = (struct conf_rlimit){ .set = true, .value = v };
	return 0;
}

/*
 * limit.cpu: a duration of at least k->min seconds (500ms is refused rather
 * than silently doubled), stored in whole seconds rounded up: RLIMIT_CPU
 * counts seconds. The tolerance keeps "2000ms", computed as 2000 * 0.001,
 * from rounding up to 3.
 */
static int key_limit_cpu(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	double seconds;

	if (limit_unlimited(k, target, value))
		return 0;
	if (config_parse_duration(value, &seconds) < 0) {
		config_key_error(cf, k->name, value,
		    "must be a duration such as 30s, 2m, 1h, or unlimited");
		return -1;
	}
	if (seconds < (double)k->min - 1e-9 ||
	    (seconds = ceil(seconds - 1e-9)) > (double)k->max) {
		config_key_error(cf, k->name, value, "must be between %llus and %llus, or unlimited",
		    k->min, k->max);
		return -1;
	}
	*limit_field(k, target) = (struct conf_rlimit){ .set = true,
	    .value = (unsigned long long)seconds };
	return 0;
}

/* The user = / group = lines of the section cf is reading. */
static struct identity_lines *identity_lines_of(struct conf_file *cf)
{
	return cf->section == SECTION_GLOBAL ? &cf->ld->global_identity : &cf->fn_identity;
}

/*
 * Looks value up in the passwd database: a name, or a uid in decimal (as
 * chown(1) reads it). Returns 1 with *pw filled from its entry, 0 for a uid
 * without one (*pw untouched) or -1 with errno set (0: no such user).
 * *buf holds pw's strings; the caller frees it.
 */
static int user_lookup(const char *value, struct passwd *pw, char **buf)
{
	unsigned long long uid;
	bool numeric = config_parse_digits(value, strlen(value), &uid) == 0;
	struct passwd *found = NULL;
	size_t size = 1024;
	char *grown;
	int rc;

	for (;;) {
		if (!(grown = realloc(*buf, size)))
			return -1;
		*buf = grown;
		rc = numeric ? getpwuid_r((uid_t)uid, pw, *buf, size, &found) :
		    getpwnam_r(value, pw, *buf, size, &found);
		if (rc != ERANGE || size >= NSS_BUF_MAX)
			break;
		size *= 2;
	}
	if (rc == 0 && found)
		return 1;
	if (rc != 0 && rc != ENOENT && rc != ESRCH) {
		errno = rc;
		return -1;
	}
	errno = 0;
	return numeric ? 0 : -1;
}

/* As user_lookup(), for a group name or gid: 1 found, 0 a gid without entry, -1. */
static int group_lookup(const char *value, gid_t *gid)
{
	unsigned long long n;
	struct group gr, *found = NULL;
	size_t size = 1024;
	char *buf = NULL, *grown;
	int rc;

	if (config_parse_digits(value, strlen(value), &n) == 0) {
		*gid = (gid_t)n;
		return 0;
	}
	for (;;) {
		if (!(grown = realloc(buf, size))) {
			free(buf);
			return -1;
		}
		buf = grown;
		rc = getgrnam_r(value, &gr, buf, size, &found);
		if (rc != ERANGE || size >= NSS_BUF_MAX)
			break;
		size *= 2;
	}
	if (found)
		*gid = gr.gr_gid;
	free(buf);
	if (rc == 0 && found)
		return 1;
	errno = rc == ENOENT || rc == ESRCH ? 0 : rc;
	return -1;
}

/* A uid or gid in decimal must fit, and not be -1 ("no change" to setresuid()). */
static bool id_number_bad(const char *value)
{
	unsigned long long n;

	return config_parse_digits(value, strlen(value), &n) == 0 && n >= (uid_t)-1;
}

/* Records where key stands in cf, replacing *file; 0 / -1 out of memory. */
static int identity_line_note(struct conf_file *cf, char **file, unsigned *line)
{
	free(*file);
	*line = cf->lineno;
	return (*file = strdup(cf->path)) ? 0 : config_out_of_memory(cf);
}

/* user: a name or uid; gid becomes its primary group unless group = says otherwise. */
static int key_user(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct conf_identity *id = (struct conf_identity *)((char *)target + k->offset);
	struct identity_lines *lines = identity_lines_of(cf);
	struct passwd pw;
	char *buf = NULL;
	int found;

	if (identity_line_note(cf, &lines->user_file, &lines->user_line) < 0)
		return -1;
	if (value[0] == '\0' || id_number_bad(value)) {
		config_key_error(cf, k->name, value, "must be a user name or a uid below %u",
		    (unsigned)(uid_t)-1);
		return -1;
	}
	if ((found = user_lookup(value, &pw, &buf)) < 0) {
		if (errno == 0)
			config_key_error(cf, k->name, value, "no such user");
		else
			config_key_error(cf, k->name, value, "cannot look the user up: %s",
			    strerror(errno));
		free(buf);
		return -1;
	}
	lines->user_gid_known = found == 1;
	id->uid = found == 1 ? pw.pw_uid : (uid_t)strtoul(value, NULL, 10);
	if (found == 1 && !lines->group)
		id->gid = pw.pw_gid;
	free(buf);
	if (!(id->user = strdup(value)))
		return config_out_of_memory(cf);
	id->set = true;
	return 0;
}

/* group: a name or gid, which needs a user = in the same section. */
static int key_group(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct conf_identity *id = (struct conf_identity *)((char *)target + k->offset);
	struct identity_lines *lines = identity_lines_of(cf);
	gid_t gid;

	if (identity_line_note(cf, &lines->group_file, &lines->group_line) < 0)
		return -1;
	if (!(lines->group = strdup(value)))
		return config_out_of_memory(cf);
	if (value[0] == '\0' || id_number_bad(value)) {
		config_key_error(cf, k->name, value, "must be a group name or a gid below %u",
		    (unsigned)(gid_t)-1);
		return -1;
	}
	if (group_lookup(value, &gid) < 0) {
		if (errno == 0)
			config_key_error(cf, k->name, value, "no such group");
		else
			config_key_error(cf, k->name, value, "cannot look the group up: %s",
			    strerror(errno));
		return -1;
	}
	id->gid = gid;
	return 0;
}

/*
 * The checks that need a whole section's user =, group = (and, for a
 * function, allow_root =), made when it ends; then lines is emptied.
 * allow_root is NULL for [global], which may name root.
 */
static void identity_check(struct loader *ld, struct identity_lines *lines,
    const struct conf_identity *id, const bool *allow_root)
{
	if (lines->group && !lines->user_file)
		config_error_at(ld, lines->group_file, lines->group_line, "group = %s needs user =",
		    lines->group);
	else if (id->set && !lines->group && !lines->user_gid_known)
		config_error_at(ld, lines->user_file, lines->user_line, "user = %s: uid %u has no "
		    "passwd entry, so no primary group: set group =", id->user, (unsigned)id->uid);
	if (allow_root && !*allow_root && id->set && id->uid == 0)
		config_error_at(ld, lines->user_file, lines->user_line, "user = %s: function runs "
		    "as root: set user = or allow_root = yes", id->user);
	free(lines->user_file);
	free(lines->group);
	free(lines->group_file);
	*lines = (struct identity_lines){ 0 };
}

static void sandbox_section_end(struct conf_file *cf)
{
	struct sandbox_settings *fn = &cf->ld->conf->functions[cf->fn_index].sandbox;

	identity_check(cf->ld, &cf->fn_identity, &fn->identity, &fn->allow_root);
	chdir_check(cf, fn);
	cf->chdir_line = 0;
	cf->chdir_relative = false;
}

/*
 * chdir happens after chroot (a working directory outside the jail would be
 * a way out of it), so with chroot an absolute chdir is looked up inside the
 * jail, and a relative one makes no sense. Without chroot, an absolute chdir
 * is checked on the host here; a relative one was resolved and checked when
 * read.
 */
static void chdir_check(struct conf_file *cf, const struct sandbox_settings *fn)
{
	struct stat st;
	char path[PATH_MAX];

	if (fn->chdir == NULL || (fn->chroot == NULL && cf->chdir_relative))
		return;
	if (fn->chroot != NULL && cf->chdir_relative) {
		config_error_at(cf->ld, cf->path, cf->chdir_line,
		    "chdir = %s: must be absolute with chroot (it is looked up inside the jail)",
		    fn->chdir);
		return;
	}
	snprintf(path, sizeof(path), "%s%s", fn->chroot != NULL ? fn->chroot : "", fn->chdir);
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		config_error_at(cf->ld, cf->path, cf->chdir_line, "chdir = %s: %s is not a directory",
		    fn->chdir, path);
}

/*
 * chdir: an absolute path is kept as written and checked when the section
 * ends (inside the chroot, if there is one); a relative one is resolved
 * against the file's directory and must exist now.
 */
static int key_chdir(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct sandbox_settings *fn = &((struct function_conf *)target)->sandbox;

	cf->chdir_line = cf->lineno;
	cf->chdir_relative = value[0] != '/';
	if (cf->chdir_relative)
		return (fn->chdir = config_path_resolve(cf, k, value, PATH_DIR)) ? 0 : -1;
	if ((fn->chdir = strdup(value)) == NULL)
		return config_out_of_memory(cf);
	return 0;
}

static void identity_load_end(struct loader *ld)
{
	identity_check(ld, &ld->global_identity, &ld->conf->identity, NULL);
}

/* chroot: an existing directory, stored as its realpath(). */
static int key_dir(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	char **field = (char **)((char *)target + k->offset);

	return (*field = config_path_resolve(cf, k, value, PATH_DIR)) ? 0 : -1;
}

/*
 * One line of an env_file (path, lineno), without its line end: blank, a
 * '#' comment or KEY=VALUE, VALUE taken as written (no quotes, no escapes).
 * A bad line is reported at the env_file's own path:line. 0 / -1.
 */
static int env_file_line(struct loader *ld, const char *path, unsigned lineno,
    const char *line, size_t len, struct conf_pairs *pairs)
{
	const char *first = line + strspn(line, " \t"), *eq;
	char *value;

	if (strlen(line) != len) {
		config_error_at(ld, path, lineno, "NUL byte in line");
		return -1;
	}
	if (*first == '\0' || *first == '#')
		return 0;
	if (strncmp(line, "export", 6) == 0 && (line[6] == ' ' || line[6] == '\t')) {
		config_error_at(ld, path, lineno, "\"export\" is not supported: write KEY=VALUE");
		return -1;
	}
	if (!(eq = strchr(line, '='))) {
		config_error_at(ld, path, lineno, "expected KEY=VALUE");
		return -1;
	}
	if (!config_env_name_valid(line, (size_t)(eq - line))) {
		config_error_at(ld, path, lineno, "bad KEY \"%.*s\": use A-Z a-z 0-9 _ and do not "
		    "start with a digit", (int)(eq - line), line);
		return -1;
	}
	if (!(value = strdup(eq + 1)) ||
	    config_pair_set(pairs, line, (size_t)(eq - line), value) < 0) {
		config_error_at(ld, path, lineno, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * Reads the env_file at path (absolute), opened by cf's env_file = line,
 * into (*pairs, *count). It holds secrets, so a file everyone may read is
 * refused; the mode is checked on the descriptor that is read. Every bad
 * line is reported. 0 / -1.
 */
static int env_file_read(struct conf_file *cf, const struct key_spec *k, const char *value,
    const char *path, struct conf_pairs *pairs)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, total = 0;
	unsigned lineno = 0;
	struct stat st;
	ssize_t n;
	int ret = 0;

	if (!fp || fstat(fileno(fp), &st) < 0) {
		config_key_error(cf, k->name, value, "%s: %s", path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	if (config_secret_file_unsafe(cf, k->name, path, &st)) {
		fclose(fp);
		return -1;
	}
	while ((n = getline(&buf, &cap, fp)) >= 0) {
		if ((total += (size_t)n) > ENV_FILE_MAX) {
			config_key_error(cf, k->name, value, "%s is larger than 1M", path);
			ret = -1;
			break;
		}
		lineno++;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		if (env_file_line(cf->ld, path, lineno, buf, (size_t)n, pairs) < 0)
			ret = -1;
	}
	if (ferror(fp)) {
		config_key_error(cf, k->name, value, "%s: cannot read: %s", path, strerror(errno));
		ret = -1;
	}
	free(buf);
	fclose(fp);
	return ret;
}

/*
 * Makes pairs, read from the env_file, fn's env: the file's pairs
 * first, then the env[NAME] lines read so far over them, so that env[NAME]
 * wins wherever it stands in the section (one read later goes through
 * config_pair_set() onto this array, with the same result). 0 / -1.
 */
static int env_merge(struct sandbox_settings *fn, struct conf_pairs *pairs)
{
	int ret = 0;

	for (size_t i = 0; i < fn->env.count; i++) {
		struct conf_pair *p = &fn->env.items[i];
		if (ret == 0 && config_pair_set(pairs, p->name, strlen(p->name), p->value) < 0)
			ret = -1;	/* the value is freed; free the rest below */
		else if (ret < 0)
			free(p->value);
		free(p->name);
	}
	free(fn->env.items);
	fn->env = *pairs;
	return ret;
}

/*
 * env_file: KEY=VALUE lines merged into env, stored as the file's
 * realpath(). Read without secrets (the daemon), only its path is kept.
 */
static int key_env_file(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct sandbox_settings *fn = &((struct function_conf *)target)->sandbox;
	struct conf_pairs pairs = { 0 };
	int ret;

	if (cf->ld->without_secrets)
		return (fn->env_file = config_path_absolute(cf, value)) ? 0 : config_out_of_memory(cf);
	if (!(fn->env_file = config_path_resolve(cf, k, value, PATH_FILE)))
		return -1;
	ret = env_file_read(cf, k, value, fn->env_file, &pairs);
	if (env_merge(fn, &pairs) < 0)
		return config_out_of_memory(cf);
	return ret;
}

/* network: host (gatewayd's network) or none (an empty network namespace). */
static int key_network(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct sandbox_settings *fn = &((struct function_conf *)target)->sandbox;

	if (strcmp(value, "none") == 0 || strcmp(value, "host") == 0) {
		fn->network_none = value[0] == 'n';
		return 0;
	}
	config_key_error(cf, k->name, value, "must be none or host");
	return -1;
}

/* listen.owner: a user name or uid, for the unix listen sockets (as PHP-FPM's). */
static int key_listen_owner(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct conf_id_value *id = (struct conf_id_value *)((char *)target + k->offset);
	struct passwd pw;
	char *buf = NULL;
	int found;

	if (value[0] == '\0' || id_number_bad(value)) {
		config_key_error(cf, k->name, value, "must be a user name or a uid");
		return -1;
	}
	found = user_lookup(value, &pw, &buf);
	if (found < 0)
		config_key_error(cf, k->name, value, "%s", errno == 0 ? "no such user" :
		    strerror(errno));
	else
		*id = (struct conf_id_value){ .set = true,
		    .id = found == 1 ? pw.pw_uid : (uid_t)strtoul(value, NULL, 10) };
	free(buf);
	return found < 0 ? -1 : 0;
}

/* listen.group: a group name or gid, for the unix listen sockets. */
static int key_listen_group(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct conf_id_value *id = (struct conf_id_value *)((char *)target + k->offset);
	gid_t gid;

	if (value[0] == '\0' || id_number_bad(value)) {
		config_key_error(cf, k->name, value, "must be a group name or a gid");
		return -1;
	}
	if (group_lookup(value, &gid) < 0) {
		config_key_error(cf, k->name, value, "%s", errno == 0 ? "no such group" :
		    strerror(errno));
		return -1;
	}
	*id = (struct conf_id_value){ .set = true, .id = gid };
	return 0;
}

/*
 * dynamic_users = FIRST-LAST: the uids (each with the gid of the same
 * number) given to functions without a user of their own, and to gatewayd
 * itself without [global] user. Ids with a passwd or group entry are
 * skipped, so the range may overlap existing accounts, but not uid 0.
 */
static int key_dynamic_users(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	struct gateway_conf *conf = target;
	const char *dash = strchr(value, '-');
	unsigned long long first, last;

	if (dash == NULL || config_parse_digits(value, (size_t)(dash - value), &first) < 0 ||
	    config_parse_digits(dash + 1, strlen(dash + 1), &last) < 0 || first == 0 ||
	    first > last || last >= (uid_t)-1) {
		config_key_error(cf, k->name, value, "must be FIRST-LAST, two uids with "
		    "0 < FIRST <= LAST < %u (systemd uses 61184-65519)", (unsigned)(uid_t)-1);
		return -1;
	}
	conf->dynamic_users = (struct conf_id_range){ (uid_t)first, (uid_t)last };
	return 0;
}

/* env[NAME] = value: one variable of the workers' environment (wins over env_file's). */
static int key_env(struct conf_file *cf, const struct key_spec *k, void *target,
    const char *value)
{
	return config_pair_line(cf, k, &((struct function_conf *)target)->sandbox.env, value, true);
}
