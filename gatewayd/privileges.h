/*
 * privileges.h: gatewayd's own identity. Started as root, it binds its
 * sockets, then becomes its [global] user, keeping only the capabilities it
 * needs to start and stop workers as their own users.
 */
#ifndef GATEWAYD_PRIVILEGES_H
#define GATEWAYD_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

/*
 * The uid gatewayd will run as once start-up is over: [global] user when it
 * starts as root, else its own.
 */
uid_t privileges_final_uid(const struct gateway_conf *conf);

/*
 * Becomes [global] user when running as root and one is configured,
 * keeping CAP_SETUID, CAP_SETGID and CAP_KILL, plus CAP_SYS_CHROOT when a
 * function uses chroot and CAP_SYS_ADMIN when one uses network = none.
 * Checks that root cannot be regained. Returns 0 (also when there is
 * nothing to do), or -1 with err filled.
 */
int privileges_drop(const struct gateway_conf *conf, char *err, size_t err_len);

#endif /* GATEWAYD_PRIVILEGES_H */
