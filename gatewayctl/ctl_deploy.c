/*
 * ctl_deploy.c: deploy and remove, what `faas-cli deploy` is to OpenFaaS
 * users. A function is one INI file, FUNCTION.ini, in the directory the
 * configuration includes (its first include = glob that such a file would
 * match). deploy writes it, has gatewayd -t check the whole configuration,
 * reloads, and waits until the function's workers are up; remove takes the
 * file away the same way. Any error puts the old file back (and reloads
 * again when gatewayd had taken the change), so nothing is left changed.
 */
#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>

#include "ctl.h"

/* Seconds a deployed function's workers must live before deploy says it is up. */
#define DEPLOY_SETTLE 1.0

/* The file a function lives in, and where the previous one is kept meanwhile. */
struct deploy_file {
	char path[PATH_MAX];		/* DIR/FUNCTION.ini */
	char saved[PATH_MAX];		/* DIR/.FUNCTION.ini.previous */
	bool had_previous;
};

static int cmd_deploy(struct ctl *ctl, int argc, char **argv);
static int cmd_remove(struct ctl *ctl, int argc, char **argv);
static int deploy_locate(const struct ctl *ctl, const char *function, struct deploy_file *f);
static int include_of(void *user, const char *section, const char *name, const char *value);
static int deploy_write(const struct deploy_file *f, const char *function, int argc, char **argv);
static int deploy_apply(struct ctl *ctl, const char *function, struct deploy_file *f,
    bool removing);
static int deploy_check(const struct ctl *ctl);
static int deploy_wait(struct ctl *ctl, const char *function, bool removing,
    json_int_t crashes_before);
static json_t *deploy_find(const json_t *status, const char *function);
static int deploy_crashes(struct ctl *ctl, const char *function, json_int_t *crashes);
static void deploy_restore(const struct deploy_file *f);
static bool function_name_valid(const char *name);

const struct ctl_command ctl_deploy_commands[] = {
	{ "deploy", "FUNCTION (--exec 'PROGRAM [ARGS]' | --runtime R --handler FILE) "
	  "[--set key=value]...",
	  "Writes FUNCTION.ini into the directory the configuration includes (its first\n"
	  "include = line), checks the whole configuration (gatewayd -t), reloads, and\n"
	  "waits until the function's workers are up. On any error the previous file is\n"
	  "put back and nothing changes. --set adds any key of docs/config.md\n"
	  "(pm.max_children=4, route=/api/v1/track, async=on...).", cmd_deploy },
	{ "remove", "FUNCTION", "Takes FUNCTION.ini out of the included directory the same "
	  "way: checked,\nreloaded, put back on any error.", cmd_remove },
	{ NULL, NULL, NULL, NULL },
};

static int cmd_deploy(struct ctl *ctl, int argc, char **argv)
{
	struct deploy_file f;
	bool has_exec = false, has_runtime = false, has_handler = false;

	if (argc < 2 || !function_name_valid(argv[1]))
		return ctl_error(CTL_USAGE, "deploy: FUNCTION first ([A-Za-z0-9_.-]+, not starting "
		    "with _ or -)");
	for (int i = 2; i < argc; i++) {
		bool known = strcmp(argv[i], "--exec") == 0 || strcmp(argv[i], "--runtime") == 0 ||
		    strcmp(argv[i], "--handler") == 0 || strcmp(argv[i], "--set") == 0;
		if (!known || i + 1 >= argc)
			return ctl_error(CTL_USAGE, "deploy: unexpected argument \"%s\"", argv[i]);
		has_exec |= strcmp(argv[i], "--exec") == 0;
		has_runtime |= strcmp(argv[i], "--runtime") == 0;
		has_handler |= strcmp(argv[i], "--handler") == 0;
		const char *value = argv[++i];
		if (strpbrk(value, "\n\r") != NULL)
			return ctl_error(CTL_USAGE, "deploy: %s: a value is one line", argv[i - 1]);
		if (strcmp(argv[i - 1], "--set") == 0 &&
		    (strchr(value, '=') == NULL || value[0] == '=' || value[0] == '['))
			return ctl_error(CTL_USAGE, "deploy: --set %s: expected key=value", value);
	}
	if (has_exec == (has_runtime || has_handler) || has_runtime != has_handler)
		return ctl_error(CTL_USAGE, "deploy: give --exec PROGRAM, or --runtime R with "
		    "--handler FILE");
	int rc = deploy_locate(ctl, argv[1], &f);
	if (rc != CTL_OK)
		return rc;
	if (f.had_previous && rename(f.path, f.saved) < 0)
		return ctl_error(CTL_FAILED, "cannot set %s aside: %s", f.path, strerror(errno));
	if (deploy_write(&f, argv[1], argc - 2, argv + 2) < 0) {
		deploy_restore(&f);
		return CTL_FAILED;
	}
	return deploy_apply(ctl, argv[1], &f, false);
}

static int cmd_remove(struct ctl *ctl, int argc, char **argv)
{
	struct deploy_file f;

	if (argc != 2 || !function_name_valid(argv[1]))
		return ctl_error(CTL_USAGE, "remove takes one FUNCTION");
	int rc = deploy_locate(ctl, argv[1], &f);
	if (rc != CTL_OK)
		return rc;
	if (!f.had_previous)
		return ctl_error(CTL_NOT_FOUND, "%s does not exist: remove takes away only what "
		    "deploy wrote", f.path);
	if (rename(f.path, f.saved) < 0)
		return ctl_error(CTL_FAILED, "cannot set %s aside: %s", f.path, strerror(errno));
	return deploy_apply(ctl, argv[1], &f, true);
}

/*
 * DIR/FUNCTION.ini, DIR being the directory of the configuration's first
 * include = glob, which the file's name must match.
 */
static int deploy_locate(const struct ctl *ctl, const char *function, struct deploy_file *f)
{
	char pattern[PATH_MAX] = "", config_dir[PATH_MAX], full[PATH_MAX], dir[PATH_MAX];

	if (ini_parse(ctl->config_path, include_of, pattern) < 0 || pattern[0] == '\0')
		return ctl_error(CTL_USAGE, "%s has no include = line in [global]: deploy writes a "
		    "function's file into the included directory", ctl->config_path);
	snprintf(config_dir, sizeof(config_dir), "%s", ctl->config_path);
	if (pattern[0] == '/')
		snprintf(full, sizeof(full), "%s", pattern);
	else
		snprintf(full, sizeof(full), "%s/%s", dirname(config_dir), pattern);
	snprintf(dir, sizeof(dir), "%s", full);
	const char *d = dirname(dir);
	snprintf(f->path, sizeof(f->path), "%s/%s.ini", d, function);
	snprintf(f->saved, sizeof(f->saved), "%s/.%s.ini.previous", d, function);
	if (fnmatch(full, f->path, FNM_PATHNAME) != 0)
		return ctl_error(CTL_USAGE, "include = %s would not read %s", pattern, f->path);
	f->had_previous = access(f->path, F_OK) == 0;
	return CTL_OK;
}

/* inih: the first [global] include = value, into user (PATH_MAX bytes). */
static int include_of(void *user, const char *section, const char *name, const char *value)
{
	char *pattern = user;

	if (pattern[0] == '\0' && strcmp(section, "global") == 0 && strcmp(name, "include") == 0)
		snprintf(pattern, PATH_MAX, "%s", value);
	return 1;
}

/* The function's section: what the options say, in their order. 0 / -1 (said why). */
static int deploy_write(const struct deploy_file *f, const char *function, int argc, char **argv)
{
	FILE *out = fopen(f->path, "wx");
	time_t now = time(NULL);
	char when[64];

	if (out == NULL)
		return ctl_error(-1, "cannot write %s: %s", f->path, strerror(errno));
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	fprintf(out, "; written by gatewayctl deploy, %s\n[%s]\n", when, function);
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		cwd[0] = '\0';
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *key = argv[i] + 2, *value = argv[i + 1];
		if (strcmp(argv[i], "--set") == 0)
			fprintf(out, "%.*s = %s\n", (int)strcspn(value, "="), value,
			    value + strcspn(value, "=") + 1);
		else if (strcmp(key, "runtime") != 0 && value[0] != '/')
			/* relative to where gatewayctl runs, not to the file it writes */
			fprintf(out, "%s = %s/%s\n", key, cwd, value);
		else
			fprintf(out, "%s = %s\n", key, value);
	}
	if (fclose(out) != 0) {
		unlink(f->path);
		return ctl_error(-1, "cannot write %s: %s", f->path, strerror(errno));
	}
	return 0;
}

/*
 * The new file (or its absence) is in place: check, reload, wait. On any
 * error the old state comes back; a reload that gatewayd took is undone by
 * a second one.
 */
static int deploy_apply(struct ctl *ctl, const char *function, struct deploy_file *f,
    bool removing)
{
	json_int_t crashes = 0;
	int rc = deploy_crashes(ctl, function, &crashes);

	if (rc != CTL_OK) {	/* gatewayd unreachable: said why */
		deploy_restore(f);
		return rc;
	}
	if ((rc = deploy_check(ctl)) != CTL_OK) {
		deploy_restore(f);
		return ctl_error(rc, "the configuration does not check: nothing changed");
	}
	if ((rc = ctl_reload(ctl)) != CTL_OK) {
		deploy_restore(f);
		return ctl_error(rc, "gatewayd did not take the reload: nothing changed");
	}
	if ((rc = deploy_wait(ctl, function, removing, crashes)) != CTL_OK) {
		deploy_restore(f);
		ctl_reload(ctl);
		return ctl_error(rc, "%s: put back as it was", function);
	}
	if (f->had_previous)
		unlink(f->saved);
	if (ctl->json)
		printf("{\"%s\":\"%s\"}\n", removing ? "removed" : "deployed", function);
	else
		printf("%s %s (%s)\n", function, removing ? "removed" : "deployed", f->path);
	return CTL_OK;
}

/* gatewayd -t on the configuration, its report on our stderr. */
static int deploy_check(const struct ctl *ctl)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return ctl_error(CTL_FAILED, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl(ctl->gatewayd_path, "gatewayd", "-t", "-c", ctl->config_path, (char *)NULL);
		fprintf(stderr, "gatewayctl: cannot run %s: %s\n", ctl->gatewayd_path, strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? CTL_OK : CTL_FAILED;
}

/*
 * Until the function is up, or (removing) gone, within --timeout. Up: a
 * worker idle or busy (ondemand and cgi ones have none until asked, and
 * count once listed), and none of its workers died for DEPLOY_SETTLE
 * seconds after: a worker's socket listens before its program runs, so a
 * program that cannot start looks idle until it exits. crashes_before is
 * the function's crash count before the reload (counters outlive reloads).
 */
static int deploy_wait(struct ctl *ctl, const char *function, bool removing,
    json_int_t crashes_before)
{
	double start = admin_now(), up_since = 0;

	for (;;) {
		json_t *status;
		int rc = ctl_get_json(ctl, "/_gateway/status", NULL, &status);
		if (rc != CTL_OK)
			return rc;
		json_t *found = deploy_find(status, function);
		const char *mode = found != NULL ? json_string_value(json_object_get(found, "mode")) : "";
		bool crashed = found != NULL && ctl_num(found, "crashes") > crashes_before;
		bool up = found != NULL && (strcmp(mode, "ondemand") == 0 || strcmp(mode, "cgi") == 0 ||
		    ctl_num(found, "workers.idle") + ctl_num(found, "workers.busy") > 0);
		json_decref(status);
		double now = admin_now();
		if (removing && found == NULL)
			return CTL_OK;
		if (!removing && crashed)
			return ctl_error(CTL_FAILED, "%s's workers exit as they start (gatewayd's log "
			    "says why)", function);
		if (!removing && up && up_since == 0)
			up_since = now;
		if (!removing && up && now - up_since >= DEPLOY_SETTLE)
			return CTL_OK;
		if (now - start >= ctl->timeout)
			return ctl_error(CTL_FAILED, "%s is not %s after %.0f s", function,
			    removing ? "gone" : "up", ctl->timeout);
		poll(NULL, 0, 100);
	}
}

/* The function named function in a status answer, or NULL. */
static json_t *deploy_find(const json_t *status, const char *function)
{
	json_t *f;
	size_t i;

	json_array_foreach(json_object_get(status, "functions"), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "name")), function) == 0)
			return f;
	}
	return NULL;
}

/* function's crash count now (0 when it is not configured). */
static int deploy_crashes(struct ctl *ctl, const char *function, json_int_t *crashes)
{
	json_t *status;
	int rc = ctl_get_json(ctl, "/_gateway/status", NULL, &status);

	if (rc != CTL_OK)
		return rc;
	json_t *f = deploy_find(status, function);
	*crashes = f != NULL ? ctl_num(f, "crashes") : 0;
	json_decref(status);
	return CTL_OK;
}

/* The previous file back where it was (or the new one gone, when there was none). */
static void deploy_restore(const struct deploy_file *f)
{
	if (f->had_previous)
		rename(f->saved, f->path);
	else
		unlink(f->path);
}

static bool function_name_valid(const char *name)
{
	return name[0] != '\0' && name[0] != '_' && name[0] != '-' &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	    strlen(name);
}
