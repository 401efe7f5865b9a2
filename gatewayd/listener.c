/*
 * listener.c: the sockets web servers connect to: unix and TCP listeners,
 * listen.allowed_clients, accepting (paused at max_connections and, for a
 * second, when out of descriptors), and the listener set a reload changes.
 * The admin socket (admin_listen) is one more listener of the set, its file
 * 0600 and gatewayd's own, so only gatewayd's user (and root) may connect;
 * it has its own bound on connections, so it still answers when the web
 * servers' connections fill max_connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "inet_address.h"
#include "listener.h"
#include "log.h"
#include "socket_activation.h"

/* Seconds accepting pauses when the process is out of descriptors. */
#define LISTENER_EMFILE_PAUSE 1.0
/* Connections accepted per readiness event, so one listener cannot starve the loop. */
#define LISTENER_ACCEPT_BATCH 32

struct front_listener {
	struct gateway *gw;
	char *address;		/* as configured (the current configuration's string) */
	bool is_unix;
	bool admin;		/* admin_listen's: its connections are the operator's */
	bool remove_file;	/* a unix socket file of our own, removed at close (not systemd's) */
	ev_io watcher;
	ev_timer pause_timer;	/* EMFILE: accepting resumes when it fires */
};

/* One listen.allowed_clients address. */
struct front_client {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t addr[16];
};

static struct front_client *listener_parse_clients(const struct gateway_conf *conf, char *err,
    size_t err_len);
static size_t listener_count_of(const struct gateway_conf *conf);
static const char *listener_address_of(const struct gateway_conf *conf, size_t i, bool *admin);
static int listener_open(const struct gateway *gw, const char *address, bool admin,
    const struct gateway_conf *conf, char *err, size_t err_len);
static int listener_open_unix(const char *path, uid_t owner, gid_t group, mode_t mode,
    int backlog, char *err, size_t err_len);
static int listener_open_tcp(const char *address, int backlog, char *err, size_t err_len);
static void listener_watch(struct gateway *gw, struct front_listener *l, const char *address,
    bool admin, int fd);
static bool listener_may_accept(const struct front_listener *l);
static void listener_unwatch(struct front_listener *l);
static void listener_on_accept(struct ev_loop *loop, ev_io *io, int revents);
static void listener_on_pause_expired(struct ev_loop *loop, ev_timer *timer, int revents);
static bool listener_client_allowed(const struct gateway *gw, const struct sockaddr_storage *ss);

int listener_start(struct gateway *gw, const struct listener_ops *ops, void *owner, char *err,
    size_t err_len)
{
	gw->listener_ops = ops;
	gw->listener_owner = owner;
	return listener_reload(gw, gw->conf, err, err_len);
}

/*
 * Makes the listeners those of conf: an address already listened on keeps
 * its socket (no connection is refused during a reload), a new one is
 * opened, one no longer named is closed. Nothing changes unless every new
 * address could be opened. Returns 0, or -1 with err filled.
 */
int listener_reload(struct gateway *gw, const struct gateway_conf *conf, char *err,
    size_t err_len)
{
	size_t n = listener_count_of(conf);
	struct front_listener *set = calloc(n, sizeof(*set));
	int *fds = calloc(n, sizeof(*fds));
	bool *kept = calloc(gw->listener_count + 1, sizeof(*kept));
	struct front_client *clients = NULL;

	if (set == NULL || fds == NULL || kept == NULL) {
		snprintf(err, err_len, "out of memory");
		goto err;
	}
	if (conf->allowed_clients.count > 0 &&
	    (clients = listener_parse_clients(conf, err, err_len)) == NULL)
		goto err;
	for (size_t i = 0; i < n; i++) {
		bool admin;
		const char *address = listener_address_of(conf, i, &admin);
		fds[i] = -1;
		for (size_t j = 0; j < gw->listener_count && fds[i] < 0; j++) {
			if (!kept[j] && gw->listeners[j].admin == admin &&
			    strcmp(gw->listeners[j].address, address) == 0) {
				kept[j] = true;
				fds[i] = gw->listeners[j].watcher.fd;
			}
		}
		if (fds[i] < 0 &&
		    (fds[i] = listener_open(gw, address, admin, conf, err, err_len)) < 0)
			goto err_opened;
	}
	for (size_t j = 0; j < gw->listener_count; j++) {
		listener_unwatch(&gw->listeners[j]);
		if (!kept[j]) {
			close(gw->listeners[j].watcher.fd);
			if (gw->listeners[j].remove_file)
				unlink(gw->listeners[j].address);
			log_info("no longer listening on %s", gw->listeners[j].address);
		}
	}
	free(gw->listeners);
	free(gw->allowed_clients);
	gw->listeners = set;
	gw->listener_count = n;
	gw->allowed_clients = clients;
	gw->allowed_client_count = conf->allowed_clients.count;
	for (size_t i = 0; i < n; i++) {
		bool admin;
		const char *address = listener_address_of(conf, i, &admin);
		listener_watch(gw, &set[i], address, admin, fds[i]);
	}
	free(fds);
	free(kept);
	listener_update_accepting(gw);
	return 0;

err_opened:
	for (size_t i = 0; i < n && fds[i] >= 0; i++) {
		bool reused = false;
		for (size_t j = 0; j < gw->listener_count; j++)
			reused |= gw->listeners[j].watcher.fd == fds[i];
		if (!reused)
			close(fds[i]);
	}
err:
	free(set);
	free(fds);
	free(kept);
	free(clients);
	return -1;
}

/* listen.allowed_clients as addresses. Returns them, or NULL with err. */
static struct front_client *listener_parse_clients(const struct gateway_conf *conf, char *err,
    size_t err_len)
{
	struct front_client *clients = calloc(conf->allowed_clients.count, sizeof(*clients));

	if (clients == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < conf->allowed_clients.count; i++) {
		struct front_client *fc = &clients[i];
		const char *s = conf->allowed_clients.items[i];
		fc->family = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
		if (inet_pton(fc->family, s, fc->addr) != 1) {
			snprintf(err, err_len, "listen.allowed_clients: bad address %s", s);
			free(clients);
			return NULL;
		}
	}
	return clients;
}

/* The listeners conf names: its listen entries, then admin_listen if set. */
static size_t listener_count_of(const struct gateway_conf *conf)
{
	return conf->listen.count + (conf->admin_listen != NULL);
}

/* The address of conf's listener i (< listener_count_of()); *admin: it is admin_listen. */
static const char *listener_address_of(const struct gateway_conf *conf, size_t i, bool *admin)
{
	*admin = i == conf->listen.count;
	return *admin ? conf->admin_listen : conf->listen.items[i];
}

/*
 * Opens one listening socket: a unix path or host:port, or the admin
 * socket (0600, gatewayd's user and group, whatever listen.* say); the
 * socket systemd handed over for it when there is one (its owner and mode
 * are the .socket unit's).
 */
static int listener_open(const struct gateway *gw, const char *address, bool admin,
    const struct gateway_conf *conf, char *err, size_t err_len)
{
	uid_t owner = conf->listen_owner.set ? conf->listen_owner.id : gw->identity.daemon_uid;
	gid_t group = conf->listen_group.set ? conf->listen_group.id : gw->identity.daemon_gid;
	int fd = socket_activation_claim(admin ? SOCKET_ACTIVATION_ADMIN : SOCKET_ACTIVATION_LISTEN,
	    address);

	if (fd >= 0)
		return fd;
	if (admin)
		fd = listener_open_unix(address, gw->identity.daemon_uid, gw->identity.daemon_gid,
		    0600, conf->listen_backlog, err, err_len);
	else if (address[0] == '/')
		fd = listener_open_unix(address, owner, group, conf->listen_mode,
		    conf->listen_backlog, err, err_len);
	else
		fd = listener_open_tcp(address, conf->listen_backlog, err, err_len);
	if (fd >= 0)
		log_info("listening on %s%s", address, admin ? " (admin)" : "");
	if (admin)
		return fd;
	if (fd >= 0 && address[0] == '/' && (conf->listen_mode & 0002))
		log_warn("listen %s: listen.mode %04o lets every local user connect, the "
		    "functions' own users too, and send requests past the web server: use "
		    "listen.group and 0660", address, (unsigned)conf->listen_mode);
	return fd;
}

/*
 * A unix listener. A stale socket file left by a crash is replaced; any
 * other kind of file at the path is an error, never removed. Connecting
 * needs write permission on the file: it gets owner, group and mode (for
 * listen: listen.owner, listen.group, PHP-FPM's defaults of gatewayd's own
 * user and group, and listen.mode), so the web server's group can connect
 * and no function's user can.
 */
static int listener_open_unix(const char *path, uid_t owner, gid_t group, mode_t mode,
    int backlog, char *err, size_t err_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_len, "listen %s: path too long", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_len, "listen %s: exists and is not a socket", path);
			return -1;
		}
		unlink(path);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chown(path, owner, group) < 0 || chmod(path, mode) < 0 || listen(fd, backlog) < 0) {
		snprintf(err, err_len, "listen %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* A TCP listener on "host:port" or "[v6]:port". */
static int listener_open_tcp(const char *address, int backlog, char *err, size_t err_len)
{
	struct addrinfo *ai = NULL;
	const char *why;

	if (inet_address_resolve(address, AF_UNSPEC, &ai, &why) < 0) {
		snprintf(err, err_len, "listen %s: %s", address, why);
		return -1;
	}
	int one = 1;
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
		snprintf(err, err_len, "listen %s: %s", address, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* Starts accepting on fd for address. */
static void listener_watch(struct gateway *gw, struct front_listener *l, const char *address,
    bool admin, int fd)
{
	l->gw = gw;
	l->address = (char *)address;
	l->is_unix = address[0] == '/';
	l->admin = admin;
	l->remove_file = l->is_unix && !socket_activation_inherited(fd);
	ev_io_init(&l->watcher, listener_on_accept, fd, EV_READ);
	l->watcher.data = l;
	ev_init(&l->pause_timer, listener_on_pause_expired);
	l->pause_timer.data = l;
}

static void listener_unwatch(struct front_listener *l)
{
	ev_io_stop(l->gw->loop, &l->watcher);
	ev_timer_stop(l->gw->loop, &l->pause_timer);
}

/*
 * Accepts a batch of connections. Out of descriptors, accepting pauses for
 * a second instead of spinning on a listener that stays readable.
 */
static void listener_on_accept(struct ev_loop *loop, ev_io *io, int revents)
{
	struct front_listener *l = io->data;
	struct gateway *gw = l->gw;
	(void)revents;

	for (int i = 0; i < LISTENER_ACCEPT_BATCH && listener_may_accept(l); i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &sslen, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_error("accept on %s: %s; pausing for %.0f s", l->address,
				    strerror(errno), LISTENER_EMFILE_PAUSE);
				ev_io_stop(loop, io);
				ev_timer_set(&l->pause_timer, LISTENER_EMFILE_PAUSE, 0.);
				ev_timer_start(loop, &l->pause_timer);
			}
			return;
		}
		if (!l->is_unix && !listener_client_allowed(gw, &ss)) {
			log_warn("connection on %s refused: client not in listen.allowed_clients",
			    l->address);
			close(fd);
			continue;
		}
		gw->listener_ops->accepted(gw->listener_owner, fd, &ss, l->admin);
	}
	listener_update_accepting(gw);
}

static void listener_on_pause_expired(struct ev_loop *loop, ev_timer *timer, int revents)
{
	struct front_listener *l = timer->data;
	(void)revents;

	if (!l->gw->stopping)
		ev_io_start(loop, &l->watcher);
}

static bool listener_client_allowed(const struct gateway *gw, const struct sockaddr_storage *ss)
{
	const uint8_t *addr;
	int family = ss->ss_family;

	if (gw->allowed_client_count == 0)
		return true;
	if (family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
	} else {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		addr = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			addr += 12;
		}
	}
	for (size_t i = 0; i < gw->allowed_client_count; i++) {
		const struct front_client *fc = &gw->allowed_clients[i];
		if (fc->family == family &&
		    memcmp(fc->addr, addr, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
}

/*
 * Below its bound: the web servers' connections under max_connections, the
 * admin socket's under LISTENER_ADMIN_MAX.
 */
static bool listener_may_accept(const struct front_listener *l)
{
	const struct gateway *gw = l->gw;

	if (gw->stopping)
		return false;
	if (l->admin)
		return gw->admin_conn_count < LISTENER_ADMIN_MAX;
	return gw->conn_count - gw->admin_conn_count < gw->conf->max_connections;
}

/* Pauses every listener at its bound and resumes them below it. */
void listener_update_accepting(struct gateway *gw)
{
	for (size_t i = 0; i < gw->listener_count; i++) {
		struct front_listener *l = &gw->listeners[i];
		bool accept = listener_may_accept(l);
		if (accept && !ev_is_active(&l->pause_timer))
			ev_io_start(gw->loop, &l->watcher);
		else if (!accept)
			ev_io_stop(gw->loop, &l->watcher);
	}
}

void listener_close_all(struct gateway *gw)
{
	for (size_t i = 0; i < gw->listener_count; i++) {
		struct front_listener *l = &gw->listeners[i];
		ev_io_stop(gw->loop, &l->watcher);
		ev_timer_stop(gw->loop, &l->pause_timer);
		close(l->watcher.fd);
		if (l->remove_file)
			unlink(l->address);
	}
	gw->listener_count = 0;
	free(gw->listeners);
	free(gw->allowed_clients);
	gw->listeners = NULL;
	gw->allowed_clients = NULL;
	gw->allowed_client_count = 0;
}

