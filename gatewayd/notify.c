/*
 * notify.c: systemd's notification protocol (see notify.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct sockaddr_un notify_addr;	/* sun_family 0 until taken */
static socklen_t notify_addr_len;
static int notify_fd = -1;

void notify_take_socket(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len = path != NULL ? strlen(path) : 0;

	if (len == 0)
		return;
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(notify_addr.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not a socket path (absolute, or @ for an abstract one) "
		    "that fits: not notifying", path);
	} else {
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, len);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';	/* the abstract namespace */
		notify_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	unsetenv("NOTIFY_SOCKET");
}

void notify_connect(void)
{
	if (notify_addr.sun_family != AF_UNIX || notify_fd >= 0)
		return;
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd >= 0 &&
	    connect(notify_fd, (struct sockaddr *)&notify_addr, notify_addr_len) == 0)
		return;
	log_warn("NOTIFY_SOCKET %s%s: %s: systemd is not told when gatewayd is ready",
	    notify_addr.sun_path[0] == '\0' ? "@" : "",
	    notify_addr.sun_path + (notify_addr.sun_path[0] == '\0'), strerror(errno));
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}

void notify_send(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (notify_fd < 0)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A datagram: systemd takes it whole or not at all; a full queue drops it. */
	(void)send(notify_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1,
	    MSG_DONTWAIT | MSG_NOSIGNAL);
}
