/*
 * socket_activation.h: listening sockets handed over by systemd (or any
 * launcher speaking its protocol, sd_listen_fds(3)): LISTEN_PID,
 * LISTEN_FDS, LISTEN_FDNAMES, the sockets on fds 3 and up.
 */
#ifndef GATEWAYD_SOCKET_ACTIVATION_H
#define GATEWAYD_SOCKET_ACTIVATION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/*
 * The roles a socket can be named for in LISTEN_FDNAMES (a .socket unit's
 * FileDescriptorName=): a socket named for one role is offered only to the
 * addresses of that role; any other name (systemd's default is the unit's
 * name) to every address.
 */
#define SOCKET_ACTIVATION_LISTEN "listen"	/* [global] listen =: web servers */
#define SOCKET_ACTIVATION_ADMIN "admin"		/* [global] admin_listen = */

/* How many inherited sockets are taken at most; more is an error at start. */
#define SOCKET_ACTIVATION_MAX 64

/*
 * At start, before any fork: takes the sockets LISTEN_FDS names when
 * LISTEN_PID is this process (each made close-on-exec and non-blocking)
 * and removes LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES from the
 * environment either way, so no spawner or worker sees them. A malformed
 * variable is logged and nothing is taken.
 */
void socket_activation_take(void);

/*
 * Whether the socket address sa (of length len, as getsockname() gives it)
 * is the one address names: the same unix path, or the same IP and port
 * for "host:port" / "[v6]:port" (host resolved numerically as listen =
 * binds it; an empty host matches the wildcard address). Pure but for
 * getaddrinfo(); any address string gatewayd listens on.
 */
bool socket_activation_match(const char *address, const struct sockaddr *sa, socklen_t len);

/*
 * The inherited socket for address in role (SOCKET_ACTIVATION_*), now
 * claimed: its fd (the caller's from now on), or -1 when none is.
 */
int socket_activation_claim(const char *role, const char *address);

/*
 * Whether fd is a socket that was inherited (the same open socket, not
 * only the same number): its file belongs to whoever made it (systemd) and
 * gatewayd never removes it.
 */
bool socket_activation_inherited(int fd);

/*
 * Once every address was opened: -1 with err naming the first inherited
 * socket (fd, name, address) that no address claimed, or that is not a
 * listening stream socket; 0 when all were claimed.
 */
int socket_activation_check_claimed(char *err, size_t err_len);

#endif /* GATEWAYD_SOCKET_ACTIVATION_H */
