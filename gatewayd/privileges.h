/*
 * privileges.h: the daemon gives everything up. Started as root, it binds
 * its sockets and writes its pid file, then becomes its own user (see
 * identities.h) with no capability left, an empty bounding set and
 * no_new_privs: the process that parses web-server and worker input can do
 * nothing a plain user cannot, and not even run a program or type into the
 * terminal it was started from. Starting workers as other users is the
 * spawner's job (fcgi-pool/spawner.h).
 */
#ifndef GATEWAYD_PRIVILEGES_H
#define GATEWAYD_PRIVILEGES_H

#include <stddef.h>

#include "identities.h"

/*
 * Becomes p's daemon user when p separates (started as root), dropping
 * every capability from every set first, then checks that none is left and
 * that root cannot be regained; sets no_new_privs and loads the daemon's
 * own seccomp filter (no exec, no TIOCSTI) in every case. Returns 0, or -1
 * with err filled.
 */
int privileges_drop(const struct identity_policy *p, char *err, size_t err_len);

#endif /* GATEWAYD_PRIVILEGES_H */
