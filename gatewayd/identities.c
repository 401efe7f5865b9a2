/*
 * identities.c: gatewayd's and the workers' users (see identities.h).
 */
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "identities.h"

/* The name the daemon's dynamic uid is derived from: no function can have it
 * (function names do not start with '_'). */
#define IDENTITY_DAEMON_NAME "_gatewayd"

/* What identities_assign() needs to know whether an id is free. */
struct assign_ctx {
	const struct gateway_conf *conf;
	const struct identity_policy *policy;
};

static uint64_t identity_hash(const char *name);
static bool identity_system_taken(void *ctx, uid_t id);
static bool identity_taken(void *ctx, uid_t id);
static int identity_by_name(const void *a, const void *b);
static void identity_problem(char *err, size_t err_len, const struct function_conf *fn,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* FNV-1a, 64 bits: stable across builds and machines, which is all a uid needs. */
static uint64_t identity_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h;
}

uid_t identity_pick(const char *name, uid_t first, uid_t last,
    bool (*taken)(void *ctx, uid_t id), void *ctx)
{
	uint64_t size = (uint64_t)last - first + 1;
	uint64_t start = identity_hash(name) % size;

	for (uint64_t i = 0; i < size; i++) {
		uid_t id = (uid_t)(first + (start + i) % size);
		if (!taken(ctx, id))
			return id;
	}
	return (uid_t)-1;
}

/* An id some account already has: a passwd entry for the uid, a group for the gid. */
static bool identity_system_taken(void *ctx, uid_t id)
{
	(void)ctx;
	return getpwuid(id) != NULL || getgrgid((gid_t)id) != NULL;
}

int identity_policy_init(struct identity_policy *p, const struct gateway_conf *conf,
    bool as_root, char *err, size_t err_len)
{
	*p = (struct identity_policy){ .separate = as_root, .first = conf->dynamic_users.first,
				       .last = conf->dynamic_users.last };
	if (!as_root) {
		p->daemon_uid = geteuid();
		p->daemon_gid = getegid();
		return 0;
	}
	if (conf->identity.set) {
		if (conf->identity.uid == 0) {
			snprintf(err, err_len, "[global] user = %s: gatewayd does not run as root "
			    "once started; name an unprivileged user, or leave user out for a "
			    "dynamic one", conf->identity.user);
			return -1;
		}
		p->daemon_uid = conf->identity.uid;
		p->daemon_gid = conf->identity.gid;
		return 0;
	}
	p->daemon_uid = identity_pick(IDENTITY_DAEMON_NAME, p->first, p->last,
	    identity_system_taken, NULL);
	if (p->daemon_uid == (uid_t)-1) {
		snprintf(err, err_len, "dynamic_users %u-%u: no uid left for gatewayd itself",
		    (unsigned)p->first, (unsigned)p->last);
		return -1;
	}
	p->daemon_gid = (gid_t)p->daemon_uid;
	p->daemon_dynamic = true;
	return 0;
}

/*
 * Taken for a function: an account's, the daemon's, a function's user =
 * or group =, or a dynamic id given out already.
 */
static bool identity_taken(void *ctx, uid_t id)
{
	const struct assign_ctx *a = ctx;

	if (id == a->policy->daemon_uid || id == a->policy->daemon_gid ||
	    identity_system_taken(NULL, id))
		return true;
	for (size_t i = 0; i < a->conf->function_count; i++) {
		const struct function_conf *fn = &a->conf->functions[i];
		if ((fn->sandbox.identity.set && (fn->sandbox.identity.uid == id || fn->sandbox.identity.gid == id)) ||
		    (fn->sandbox.runs_as.dynamic && fn->sandbox.runs_as.uid == id))
			return true;
	}
	return false;
}

static int identity_by_name(const void *a, const void *b)
{
	const struct function_conf *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Appends "file:line: [name]: message\n" to err. */
static void identity_problem(char *err, size_t err_len, const struct function_conf *fn,
    const char *fmt, ...)
{
	size_t used = strnlen(err, err_len);
	va_list ap;

	if (used + 1 >= err_len)
		return;
	int n = snprintf(err + used, err_len - used, "%s:%u: [%s]: ", fn->file, fn->line,
	    fn->name);
	if (n < 0 || (size_t)n >= err_len - used)
		return;
	used += (size_t)n;
	va_start(ap, fmt);
	vsnprintf(err + used, err_len - used, fmt, ap);
	va_end(ap);
	used = strnlen(err, err_len);
	if (used + 1 < err_len) {
		err[used] = '\n';
		err[used + 1] = '\0';
	}
}

/*
 * Functions with a user = are checked; the others get dynamic ids in the
 * order of their names, so that neither the order of the files nor that of
 * the sections changes who gets which.
 */
unsigned identities_assign(struct gateway_conf *conf, const struct identity_policy *p,
    char *err, size_t err_len)
{
	struct assign_ctx ctx = { .conf = conf, .policy = p };
	const struct function_conf **order = calloc(conf->function_count + 1, sizeof(*order));
	size_t dynamic = 0;
	unsigned problems = 0;

	if (order == NULL) {
		snprintf(err, err_len, "out of memory");
		return 1;
	}
	for (size_t i = 0; i < conf->function_count; i++) {
		struct function_conf *fn = &conf->functions[i];
		fn->sandbox.runs_as = (struct run_identity){ .uid = p->daemon_uid, .gid = p->daemon_gid };
		if (!fn->sandbox.identity.set) {
			order[dynamic++] = fn;
			continue;
		}
		fn->sandbox.runs_as = (struct run_identity){ .uid = fn->sandbox.identity.uid, .gid = fn->sandbox.identity.gid };
		if (!p->separate) {
			identity_problem(err, err_len, fn, "user = %s: gatewayd was not started as "
			    "root, so it cannot start workers as another user", fn->sandbox.identity.user);
			problems++;
		} else if (fn->sandbox.identity.uid == p->daemon_uid) {
			identity_problem(err, err_len, fn, "user = %s is gatewayd's own user: a "
			    "worker would be able to signal gatewayd and read its files; give the "
			    "function a user of its own, or leave user out for a dynamic one",
			    fn->sandbox.identity.user);
			problems++;
		}
	}
	qsort(order, dynamic, sizeof(*order), identity_by_name);
	for (size_t i = 0; i < dynamic && p->separate; i++) {
		struct function_conf *fn = (struct function_conf *)order[i];
		uid_t id = identity_pick(fn->name, p->first, p->last, identity_taken, &ctx);
		if (id == (uid_t)-1) {
			identity_problem(err, err_len, fn, "dynamic_users %u-%u: no uid left",
			    (unsigned)p->first, (unsigned)p->last);
			problems++;
			continue;
		}
		fn->sandbox.runs_as = (struct run_identity){ .uid = id, .gid = (gid_t)id, .dynamic = true };
	}
	free(order);
	return problems;
}
