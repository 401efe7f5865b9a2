/*
 * socket_activation.c: systemd's socket activation (see
 * socket_activation.h). The protocol (sd_listen_fds(3)): LISTEN_PID is the
 * pid the sockets are for, LISTEN_FDS how many there are, from fd 3 on,
 * LISTEN_FDNAMES their names, colon-separated. Without libsystemd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "inet_address.h"
#include "socket_activation.h"

/* The first inherited fd (SD_LISTEN_FDS_START). */
#define SOCKET_ACTIVATION_FIRST_FD 3

/* One inherited socket. */
struct inherited_socket {
	int fd;
	char name[256];		/* from LISTEN_FDNAMES, or "" */
	char address[128];	/* what getsockname() says, for messages */
	struct sockaddr_storage sa;
	socklen_t sa_len;
	dev_t dev;		/* the open socket's identity: a later socket on the */
	ino_t ino;		/* same fd number is not this one */
	const char *unusable;	/* why it cannot serve (not a listening stream socket), or NULL */
	bool claimed;
};

static struct inherited_socket inherited[SOCKET_ACTIVATION_MAX];
static size_t inherited_count;

static int inherited_count_parse(void);
static void inherited_names(const char *names, size_t n);
static void inherited_describe(struct inherited_socket *s);
static void address_format(const struct sockaddr *sa, socklen_t len, char *out, size_t out_len);
static bool match_inet(const char *address, const struct sockaddr *sa);

void socket_activation_take(void)
{
	int n = inherited_count_parse();
	const char *names = getenv("LISTEN_FDNAMES");

	for (int i = 0; i < n; i++) {
		struct inherited_socket *s = &inherited[i];
		s->fd = SOCKET_ACTIVATION_FIRST_FD + i;
		inherited_describe(s);
	}
	inherited_count = n > 0 ? (size_t)n : 0;
	if (names != NULL && inherited_count > 0)
		inherited_names(names, inherited_count);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/*
 * LISTEN_FDS when LISTEN_PID is us: the number of sockets, 0 when there
 * are none for us, -1 (logged) when a variable is malformed.
 */
static int inherited_count_parse(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;

	if (pid == NULL || fds == NULL)
		return 0;
	errno = 0;
	long p = strtol(pid, &end, 10);
	if (errno != 0 || end == pid || *end != '\0' || p <= 0) {
		log_warn("LISTEN_PID=%s: not a pid; no socket is taken from systemd", pid);
		return -1;
	}
	if (p != (long)getpid())
		return 0;	/* for another process: ours to drop, not to use */
	long n = strtol(fds, &end, 10);
	if (errno != 0 || end == fds || *end != '\0' || n < 0 || n > SOCKET_ACTIVATION_MAX) {
		log_warn("LISTEN_FDS=%s: not a number of sockets from 0 to %d; no socket is "
		    "taken from systemd", fds, SOCKET_ACTIVATION_MAX);
		return -1;
	}
	return (int)n;
}

/* LISTEN_FDNAMES: one name a socket, in fd order; a count that differs is ignored (logged). */
static void inherited_names(const char *names, size_t n)
{
	size_t count = 1;

	for (const char *c = names; *c != '\0'; c++)
		count += *c == ':';
	if (count != n) {
		log_warn("LISTEN_FDNAMES has %zu names for %zu sockets: the names are ignored",
		    count, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(names, ":");
		snprintf(inherited[i].name, sizeof(inherited[i].name), "%.*s", (int)len, names);
		names += len + (names[len] == ':');
	}
}

/*
 * Learns what socket s->fd is (its address and identity), and makes it
 * close-on-exec and non-blocking like a socket gatewayd opens itself.
 */
static void inherited_describe(struct inherited_socket *s)
{
	struct stat st;
	int type = 0, listening = 0;
	socklen_t len = sizeof(type);

	s->sa_len = sizeof(s->sa);
	if (fstat(s->fd, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    getsockname(s->fd, (struct sockaddr *)&s->sa, &s->sa_len) < 0) {
		snprintf(s->address, sizeof(s->address), "?");
		s->unusable = "not a socket";
		return;
	}
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	address_format((struct sockaddr *)&s->sa, s->sa_len, s->address, sizeof(s->address));
	if (getsockopt(s->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
		s->unusable = "not a stream socket";
		return;
	}
	len = sizeof(listening);
	if (getsockopt(s->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening) {
		s->unusable = "not listening";
		return;
	}
	int flags = fcntl(s->fd, F_GETFL);
	if (fcntl(s->fd, F_SETFD, FD_CLOEXEC) < 0 || flags < 0 ||
	    fcntl(s->fd, F_SETFL, flags | O_NONBLOCK) < 0)
		s->unusable = "its flags cannot be set";
}

/* sa as text: a unix path (@name when abstract), IP:port or [IPv6]:port. */
static void address_format(const struct sockaddr *sa, socklen_t len, char *out, size_t out_len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
		size_t path_len = len > offsetof(struct sockaddr_un, sun_path) ?
		    len - offsetof(struct sockaddr_un, sun_path) : 0;
		if (path_len > 0 && sun->sun_path[0] == '\0')
			snprintf(out, out_len, "@%.*s", (int)path_len - 1, sun->sun_path + 1);
		else
			snprintf(out, out_len, "%.*s", (int)strnlen(sun->sun_path, path_len),
			    sun->sun_path);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(out, out_len, "%s:%u", ip, (unsigned)ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
		snprintf(out, out_len, "[%s]:%u", ip, (unsigned)ntohs(in6->sin6_port));
	} else {
		snprintf(out, out_len, "(address family %d)", sa->sa_family);
	}
}

bool socket_activation_match(const char *address, const struct sockaddr *sa, socklen_t len)
{
	if (address[0] == '/') {
		const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		if (sa->sa_family != AF_UNIX || len <= off || sun->sun_path[0] == '\0')
			return false;
		size_t path_len = strnlen(sun->sun_path, len - off);
		return strlen(address) == path_len && memcmp(address, sun->sun_path, path_len) == 0;
	}
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return false;
	return match_inet(address, sa);
}

/* "host:port" or "[v6]:port" against an IPv4 or IPv6 sa, as listen = resolves it. */
static bool match_inet(const char *address, const struct sockaddr *sa)
{
	struct addrinfo *ai = NULL;
	const char *why;
	bool same = false;

	if (inet_address_resolve(address, sa->sa_family, &ai, &why) < 0)
		return false;
	for (const struct addrinfo *a = ai; a != NULL && !same; a = a->ai_next) {
		if (sa->sa_family == AF_INET) {
			const struct sockaddr_in *x = (const struct sockaddr_in *)sa;
			const struct sockaddr_in *y = (const struct sockaddr_in *)a->ai_addr;
			same = x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
		} else {
			const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)sa;
			const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)a->ai_addr;
			same = x->sin6_port == y->sin6_port &&
			    memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
		}
	}
	freeaddrinfo(ai);
	return same;
}

/* Whether a socket named name may serve role: named for it, or for no role at all. */
static bool role_allows(const char *name, const char *role)
{
	if (strcmp(name, SOCKET_ACTIVATION_LISTEN) != 0 && strcmp(name, SOCKET_ACTIVATION_ADMIN) != 0)
		return true;
	return strcmp(name, role) == 0;
}

int socket_activation_claim(const char *role, const char *address)
{
	for (size_t i = 0; i < inherited_count; i++) {
		struct inherited_socket *s = &inherited[i];
		if (s->claimed || s->unusable != NULL || !role_allows(s->name, role) ||
		    !socket_activation_match(address, (struct sockaddr *)&s->sa, s->sa_len))
			continue;
		s->claimed = true;
		log_info("%s %s: the socket inherited from systemd (fd %d%s%s)", role, address,
		    s->fd, s->name[0] != '\0' ? ", named " : "", s->name);
		return s->fd;
	}
	return -1;
}

bool socket_activation_inherited(int fd)
{
	struct stat st;

	if (inherited_count == 0 || fstat(fd, &st) < 0)
		return false;
	for (size_t i = 0; i < inherited_count; i++) {
		if (inherited[i].fd == fd && inherited[i].unusable == NULL &&
		    inherited[i].dev == st.st_dev && inherited[i].ino == st.st_ino)
			return true;
	}
	return false;
}

int socket_activation_check_claimed(char *err, size_t err_len)
{
	for (size_t i = 0; i < inherited_count; i++) {
		const struct inherited_socket *s = &inherited[i];
		if (s->claimed)
			continue;
		snprintf(err, err_len, "the socket inherited from systemd on fd %d (%s%s%s%s) %s",
		    s->fd, s->name[0] != '\0' ? "named " : "", s->name,
		    s->name[0] != '\0' ? ", " : "", s->address,
		    s->unusable != NULL ? s->unusable :
		    "matches no listen = address: list its address, or take it out of the "
		    "socket unit");
		return -1;
	}
	return 0;
}
