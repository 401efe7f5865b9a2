/*
 * identities.h: who gatewayd and each function's workers run as.
 *
 * Started as root, gatewayd separates everything: the daemon drops to its
 * [global] user, or without one to a uid of its own from dynamic_users; a
 * function's workers run as its user =, or without one as a uid (and gid of
 * the same number) of their own from the same range, which no other
 * function and never the daemon shares. A dynamic uid is derived from a
 * hash of the function's name, as systemd's DynamicUser= does, so it stays
 * the same across restarts; ids with a passwd or group entry, or taken by
 * another function, are skipped. Not started as root, gatewayd cannot
 * separate anything: every worker runs as gatewayd's own user.
 */
#ifndef GATEWAYD_IDENTITIES_H
#define GATEWAYD_IDENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/* Decided once, from the configuration gatewayd starts with. */
struct identity_policy {
	bool separate;		/* started as root: functions get users of their own */
	uid_t daemon_uid;	/* what the daemon runs as once started */
	gid_t daemon_gid;
	bool daemon_dynamic;	/* daemon_uid comes from dynamic_users */
	uid_t first, last;	/* dynamic_users */
};

/*
 * The daemon's identity for conf: [global] user; else, as root, a dynamic
 * uid; else its own. Returns 0, or -1 with err ([global] user = root, or no
 * free id in the range).
 */
int identity_policy_init(struct identity_policy *p, const struct gateway_conf *conf,
    bool as_root, char *err, size_t err_len);

/*
 * Sets runs_as for every function of conf under p. Each problem becomes one
 * "file:line: [function]: message" line in err: a user that is the
 * daemon's, a user = that gatewayd cannot take (not started as root), no
 * free id left in the range. Returns the number of problems.
 */
unsigned identities_assign(struct gateway_conf *conf, const struct identity_policy *p,
    char *err, size_t err_len);

/*
 * The id for name in [first, last]: the one its hash points to, or the next
 * one (wrapping) for which taken(ctx, id) is false. Returns (uid_t)-1 when
 * every id is taken.
 */
uid_t identity_pick(const char *name, uid_t first, uid_t last,
    bool (*taken)(void *ctx, uid_t id), void *ctx);

#endif /* GATEWAYD_IDENTITIES_H */
