/*
 * inet_address.h: a listen = TCP address ("host:port", "[v6]:port",
 * ":port" for every address) resolved as gatewayd binds it; the listener
 * and socket activation (matching an inherited socket) read it alike.
 */
#ifndef GATEWAYD_INET_ADDRESS_H
#define GATEWAYD_INET_ADDRESS_H

#include <netdb.h>

/*
 * Resolves address for a passive SOCK_STREAM socket of family (AF_UNSPEC:
 * any). Returns 0 with *out (freeaddrinfo() it), or -1 with *why saying
 * what is wrong (a static string).
 */
int inet_address_resolve(const char *address, int family, struct addrinfo **out,
    const char **why);

#endif /* GATEWAYD_INET_ADDRESS_H */
