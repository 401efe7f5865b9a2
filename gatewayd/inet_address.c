/*
 * inet_address.c: listen = TCP addresses resolved (see inet_address.h).
 */
#include <string.h>
#include <sys/socket.h>

#include "inet_address.h"

int inet_address_resolve(const char *address, int family, struct addrinfo **out,
    const char **why)
{
	const struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM,
					.ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	const char *colon = strrchr(address, ':');
	char host[256];

	if (colon == NULL || (size_t)(colon - address) >= sizeof(host)) {
		*why = "expected host:port";
		return -1;
	}
	const char *h = address;
	size_t hlen = (size_t)(colon - address);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	int rc = getaddrinfo(hlen > 0 ? host : NULL, colon + 1, &hints, out);
	if (rc != 0) {
		*why = gai_strerror(rc);
		return -1;
	}
	return 0;
}
