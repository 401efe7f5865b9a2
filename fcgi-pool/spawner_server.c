/*
 * spawner_server.c: the spawner process (see spawner.h): a poll() loop over
 * the daemon's requests, SIGCHLD (a signalfd) and the event socket while
 * exit reports wait to be sent. Single-threaded; every request is answered
 * before the next is read, so the daemon's view and ours never race.
 *
 * The daemon is the process that parses web input, so everything it sends
 * is checked: a malformed request ends the spawner (and with it every
 * worker), a request for something the configuration does not describe is
 * refused with an ERROR reply, a signal for a child we did not start or
 * already reaped is ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spawn.h"
#include "spawner.h"
#include "zygote.h"

/* Children alive or waiting to be reported at once, at most. */
#define SPAWNER_CHILDREN_MAX 65536

/* One child we started and have not reported yet. */
struct child {
	uint64_t id;
	pid_t pid;
	bool exited;		/* reaped; EXITED not sent yet */
	int status;
};

/* A zygote that dies younger than this is not replaced (its children kill it). */
#define ZYGOTE_MIN_LIFETIME_S 1

/* A CGI function's zygote (zygote.h), or the memory that it failed us. */
struct zygote_slot {
	const struct spawn_spec *spec;	/* the function, in generation */
	uint32_t generation;
	struct zygote *zygote;		/* NULL once broken: spawn directly */
	time_t started;			/* CLOCK_MONOTONIC seconds */
};

struct server {
	int req_fd, evt_fd, sig_fd;
	const struct spawner_table_ops *ops;
	void *ctx;
	struct child *children;
	size_t count, cap;
	size_t unreported;	/* children exited but not yet reported */
	uint64_t next_id;
	uint8_t *in;		/* one request datagram */
	uint8_t *out;		/* one reply datagram */
	const char **env;	/* SPAWNER_ENV_MAX: a request's variables, split */
	struct zygote_slot *zygotes;
	size_t zygote_count, zygote_cap;
};

static void server_exit(struct server *sv, enum spawner_exit status) __attribute__((noreturn));
static void server_on_request(struct server *sv);
static void server_handle(struct server *sv, const struct spawner_msg *m, const int *fds,
    size_t nfds);
static void server_spawn(struct server *sv, const struct spawner_msg *m, const int *fds,
    size_t nfds);
static int server_start_child(struct server *sv, const struct spawn_spec *spec,
    uint32_t generation, const int *fds, char **envp, pid_t *pid, int *error_fd, char *err,
    size_t err_len);
static struct zygote_slot *server_zygote(struct server *sv, const struct spawn_spec *spec,
    uint32_t generation);
static void server_zygote_start(struct zygote_slot *slot);
static void server_release(struct server *sv, uint32_t generation);
static char **server_env(struct server *sv, const struct spawn_spec *spec,
    const struct spawner_msg *m, char *err, size_t err_len);
static bool server_env_unsafe(const char *var);
static void server_signal(struct server *sv, const struct spawner_msg *m);
static void server_inspect(struct server *sv, const struct spawner_msg *m);
static size_t server_read_proc(pid_t pid, const char *name, char *out, size_t cap);
static void server_load(struct server *sv);
static void server_reply(struct server *sv, const struct spawner_msg *m, int fd);
static void server_error(struct server *sv, const char *text);
static void server_reap(struct server *sv);
static void server_report(struct server *sv);
static struct child *server_find(struct server *sv, uint64_t id);

void spawner_serve(int req_fd, int evt_fd, int sig_fd, const struct spawner_table_ops *ops,
    void *ctx)
{
	struct server sv = { .req_fd = req_fd, .evt_fd = evt_fd, .sig_fd = sig_fd, .ops = ops,
			     .ctx = ctx, .next_id = 1 };

	sv.in = malloc(SPAWNER_MSG_MAX);
	sv.out = malloc(SPAWNER_MSG_MAX);
	sv.env = calloc(SPAWNER_ENV_MAX, sizeof(*sv.env));
	if (sv.in == NULL || sv.out == NULL || sv.env == NULL)
		server_exit(&sv, SPAWNER_EXIT_SYSTEM);
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = req_fd, .events = POLLIN },
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = evt_fd, .events = sv.unreported > 0 ? POLLOUT : 0 },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			server_exit(&sv, SPAWNER_EXIT_SYSTEM);
		}
		if (p[1].revents & POLLIN)
			server_reap(&sv);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			server_on_request(&sv);
		if (sv.unreported > 0)
			server_report(&sv);
	}
}

/*
 * The end: the daemon is gone or broken. Our children would die with us
 * (their parent-death signal); they are killed first so that none runs on
 * for the instant between.
 */
static void server_exit(struct server *sv, enum spawner_exit status)
{
	for (size_t i = 0; i < sv->count; i++) {
		if (!sv->children[i].exited)
			kill(sv->children[i].pid, SIGKILL);
	}
	if (status == SPAWNER_EXIT_DONE && sv->ops->finish != NULL)
		sv->ops->finish(sv->ctx);
	_exit(status);
}

/*
 * Receives one request with its descriptors (close-on-exec at once, so no
 * child inherits another's). End of file: the daemon closed, we are done.
 */
static void server_on_request(struct server *sv)
{
	char control[CMSG_SPACE(sizeof(int) * SPAWNER_SPAWN_FDS)];
	struct iovec iov = { .iov_base = sv->in, .iov_len = SPAWNER_MSG_MAX };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof(control) };
	int fds[SPAWNER_SPAWN_FDS];
	size_t nfds = 0;
	struct spawner_msg m;

	ssize_t n = recvmsg(sv->req_fd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == 0)
		server_exit(sv, SPAWNER_EXIT_DONE);
	if (n < 0)
		server_exit(sv, SPAWNER_EXIT_SYSTEM);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && nfds < SPAWNER_SPAWN_FDS; i++)
			memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	bool bad = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 ||
	    spawner_msg_decode(sv->in, (size_t)n, &m) < 0;
	if (bad) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		server_exit(sv, SPAWNER_EXIT_PROTOCOL);
	}
	server_handle(sv, &m, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
}

/* One decoded request. Only SPAWN may carry descriptors. */
static void server_handle(struct server *sv, const struct spawner_msg *m, const int *fds,
    size_t nfds)
{
	if (m->type != SPAWNER_SPAWN && nfds > 0)
		server_exit(sv, SPAWNER_EXIT_PROTOCOL);
	switch (m->type) {
	case SPAWNER_LOAD:
		server_load(sv);
		return;
	case SPAWNER_RELEASE:
		server_release(sv, m->generation);
		return;
	case SPAWNER_SPAWN:
		server_spawn(sv, m, fds, nfds);
		return;
	case SPAWNER_SIGNAL:
		server_signal(sv, m);
		return;
	case SPAWNER_INSPECT:
		server_inspect(sv, m);
		return;
	default:
		server_exit(sv, SPAWNER_EXIT_PROTOCOL);	/* a reply or event type from the daemon */
	}
}

static void server_load(struct server *sv)
{
	struct buf functions = { 0 };
	char err[8192];
	uint32_t generation;

	if (sv->ops->load(sv->ctx, &generation, &functions, err, sizeof(err)) < 0) {
		server_error(sv, err);
	} else if (buf_used(&functions) > SPAWNER_MSG_MAX - SPAWNER_MSG_HEADER) {
		sv->ops->release(sv->ctx, generation);
		server_error(sv, "too many functions (or callback secrets) for one reply");
	} else {
		struct spawner_msg r = { .type = SPAWNER_LOADED, .generation = generation,
					 .data = buf_head(&functions), .data_len = buf_used(&functions) };
		server_reply(sv, &r, -1);
	}
	if (functions.data != NULL)
		explicit_bzero(functions.data, functions.cap);	/* it carried secrets */
	buf_free(&functions);
}

/*
 * Starts the child the request names, if our configuration has it, with
 * the three descriptors it brought.
 */
static void server_spawn(struct server *sv, const struct spawner_msg *m, const int *fds,
    size_t nfds)
{
	const struct spawn_spec *spec;
	char err[512];
	char **envp = NULL;
	pid_t pid;
	int error_fd;

	if (nfds != SPAWNER_SPAWN_FDS)
		server_exit(sv, SPAWNER_EXIT_PROTOCOL);
	spec = sv->ops->find(sv->ctx, m->generation, m->name, m->name_len);
	if (spec == NULL) {
		snprintf(err, sizeof(err), "no function %.*s in configuration generation %u",
		    (int)m->name_len, m->name, m->generation);
		server_error(sv, err);
		return;
	}
	if (sv->count == SPAWNER_CHILDREN_MAX) {
		server_error(sv, "too many children running");
		return;
	}
	if (sv->count == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 64;
		struct child *grown = reallocarray(sv->children, cap, sizeof(*grown));
		if (grown == NULL) {
			server_error(sv, "out of memory");
			return;
		}
		sv->children = grown;
		sv->cap = cap;
	}
	if ((envp = server_env(sv, spec, m, err, sizeof(err))) == NULL) {
		server_error(sv, err);
		return;
	}
	int rc = server_start_child(sv, spec, m->generation, fds, envp, &pid, &error_fd, err,
	    sizeof(err));
	free(envp);
	if (rc < 0) {
		server_error(sv, err);
		return;
	}
	struct child *c = &sv->children[sv->count++];
	*c = (struct child){ .id = sv->next_id++, .pid = pid };
	struct spawner_msg r = { .type = SPAWNER_SPAWNED, .child = c->id, .pid = pid };
	server_reply(sv, &r, error_fd);
	close(error_fd);
}

/*
 * Starts spec's child: through the function's zygote where it suits
 * (zygote_suits), starting the zygote with the first request; directly
 * when there is none. A zygote that died after ZYGOTE_MIN_LIFETIME_S is
 * replaced once for this request; one that died younger or did not
 * answer is not replaced in this generation. spawn_process's contract.
 */
static int server_start_child(struct server *sv, const struct spawn_spec *spec,
    uint32_t generation, const int *fds, char **envp, pid_t *pid, int *error_fd, char *err,
    size_t err_len)
{
	struct zygote_slot *slot = zygote_suits(spec) ? server_zygote(sv, spec, generation) : NULL;

	for (int attempt = 0; slot != NULL && slot->zygote != NULL && attempt < 2; attempt++) {
		enum zygote_result result = zygote_spawn(slot->zygote, fds, envp, pid, error_fd, err,
		    err_len);
		if (result == ZYGOTE_SPAWNED)
			return 0;
		if (result == ZYGOTE_REFUSED)
			return -1;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		zygote_stop(slot->zygote);
		slot->zygote = NULL;
		if (result == ZYGOTE_GONE && now.tv_sec - slot->started >= ZYGOTE_MIN_LIFETIME_S)
			server_zygote_start(slot);
	}
	return spawn_process(fds, spec->argv, envp, spec->sandbox, pid, error_fd, err, err_len);
}

/*
 * spec's zygote slot, made (and its zygote started) on first use. NULL
 * when out of memory; a slot whose zygote could not start is kept, with
 * no zygote, so that it is not tried again for every request.
 */
static struct zygote_slot *server_zygote(struct server *sv, const struct spawn_spec *spec,
    uint32_t generation)
{
	for (size_t i = 0; i < sv->zygote_count; i++) {
		if (sv->zygotes[i].spec == spec && sv->zygotes[i].generation == generation)
			return &sv->zygotes[i];
	}
	if (sv->zygote_count == sv->zygote_cap) {
		size_t cap = sv->zygote_cap ? sv->zygote_cap * 2 : 8;
		struct zygote_slot *grown = reallocarray(sv->zygotes, cap, sizeof(*grown));
		if (grown == NULL)
			return NULL;
		sv->zygotes = grown;
		sv->zygote_cap = cap;
	}
	struct zygote_slot *slot = &sv->zygotes[sv->zygote_count++];
	*slot = (struct zygote_slot){ .spec = spec, .generation = generation };
	server_zygote_start(slot);
	return slot;
}

/*
 * Starts slot's zygote. One that cannot start leaves the error to the
 * direct spawn, which meets the same sandbox and reports the failing step.
 */
static void server_zygote_start(struct zygote_slot *slot)
{
	struct timespec now;
	char ignored[256];

	clock_gettime(CLOCK_MONOTONIC, &now);
	slot->started = now.tv_sec;
	slot->zygote = zygote_start(slot->spec, ignored, sizeof(ignored));
}

/* The daemon no longer uses generation: its zygotes end, then its table. */
static void server_release(struct server *sv, uint32_t generation)
{
	for (size_t i = 0; i < sv->zygote_count;) {
		if (sv->zygotes[i].generation == generation) {
			zygote_stop(sv->zygotes[i].zygote);
			sv->zygotes[i] = sv->zygotes[--sv->zygote_count];
		} else {
			i++;
		}
	}
	sv->ops->release(sv->ctx, generation);
}

/*
 * The child's environment: the request's variables (CGI only), less those
 * the function's own environment sets (the configuration wins) and those
 * that change how a program loads (server_env_unsafe), then the function's
 * environment. Returns a malloc'd array pointing into the request and the
 * spec, or NULL with err.
 */
static char **server_env(struct server *sv, const struct spawn_spec *spec,
    const struct spawner_msg *m, char *err, size_t err_len)
{
	const char **extra = sv->env;
	size_t own = 0, n = 0;
	ssize_t count = spawner_env_split(m->data, m->data_len, extra, SPAWNER_ENV_MAX);

	if (count < 0 || (count > 0 && !spec->takes_env)) {
		snprintf(err, err_len, "%s", count < 0 ? "malformed environment" :
		    "only a CGI program takes a request's environment");
		return NULL;
	}
	while (spec->envp[own] != NULL)
		own++;
	char **envp = calloc((size_t)count + own + 1, sizeof(*envp));
	if (envp == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	for (ssize_t i = 0; i < count; i++) {
		const char *eq = strchr(extra[i], '=');
		bool overridden = false;
		if (eq == NULL || eq == extra[i] || server_env_unsafe(extra[i]))
			continue;
		for (size_t j = 0; j < own && !overridden; j++)
			overridden = strncmp(spec->envp[j], extra[i], (size_t)(eq - extra[i] + 1)) == 0;
		if (!overridden)
			envp[n++] = (char *)extra[i];
	}
	for (size_t j = 0; j < own; j++)
		envp[n++] = spec->envp[j];
	return envp;
}

/*
 * Variables a request may not set, even for a CGI program: the ones glibc
 * drops for set-uid programs (its unsecvars.h: they choose what code the
 * dynamic loader and libc load) and GLIBC_TUNABLES. A web server never
 * sends them; a compromised daemon could, to run its code as the function.
 */
static bool server_env_unsafe(const char *var)
{
	static const char *const unsafe[] = {
		"GCONV_PATH=", "GETCONF_DIR=", "GLIBC_TUNABLES=", "HOSTALIASES=", "LOCALDOMAIN=",
		"LOCPATH=", "MALLOC_TRACE=", "NIS_PATH=", "NLSPATH=", "RESOLV_HOST_CONF=",
		"RES_OPTIONS=", "TMPDIR=", "TZDIR=",
	};

	if (strncmp(var, "LD_", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		if (strncmp(var, unsafe[i], strlen(unsafe[i])) == 0)
			return true;
	}
	return false;
}

/*
 * A signal for a child of ours not yet reaped: its pid cannot have been
 * reused, nor its process group (whose id is its pid: it called setsid()).
 */
static void server_signal(struct server *sv, const struct spawner_msg *m)
{
	struct child *c = server_find(sv, m->child);

	if (c == NULL || c->exited)
		return;
	/* ESRCH for the group: the child has not reached setsid() yet. */
	if (!m->group || kill(-c->pid, m->value) < 0)
		kill(c->pid, m->value);
}

/*
 * What a worker is doing, for the slow-request log: its /proc syscall,
 * wchan and kernel stack, which the kernel shows only to its owner or
 * root, not to the unprivileged daemon. Only for a live child of ours: the
 * daemon learns nothing of other processes.
 */
static void server_inspect(struct server *sv, const struct spawner_msg *m)
{
	char text[1024];
	size_t n = 0;
	struct child *c = NULL;

	for (size_t i = 0; i < sv->count && c == NULL; i++) {
		if (sv->children[i].pid == m->pid && !sv->children[i].exited)
			c = &sv->children[i];
	}
	if (c == NULL) {
		server_error(sv, "not a worker of gatewayd's");
		return;
	}
	n += (size_t)snprintf(text, sizeof(text), "syscall ");
	n += server_read_proc(c->pid, "syscall", text + n, sizeof(text) - n);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "; wchan ");
	n += server_read_proc(c->pid, "wchan", text + n, sizeof(text) - n);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "; stack ");
	n += server_read_proc(c->pid, "stack", text + n, sizeof(text) - n);
	struct spawner_msg r = { .type = SPAWNER_INSPECTED, .pid = c->pid,
				 .data = (const uint8_t *)text, .data_len = n };
	server_reply(sv, &r, -1);
}

/*
 * /proc/PID/name into out (cap bytes, NUL-terminated), its lines joined by
 * " | ", or why it could not be read. Returns the length written.
 */
static size_t server_read_proc(pid_t pid, const char *name, char *out, size_t cap)
{
	char path[64], raw[512];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, raw, sizeof(raw) - 1);
	int error = errno;
	if (fd >= 0)
		close(fd);
	if (got <= 0) {
		int w = snprintf(out, cap, "unreadable (%s)", got == 0 ? "empty" : strerror(error));
		return w < 0 ? 0 : (size_t)w < cap ? (size_t)w : cap - 1;
	}
	size_t n = 0;
	for (ssize_t i = 0; i < got && n + 4 < cap; i++) {
		if (raw[i] != '\n')
			out[n++] = raw[i];
		else if (i + 1 < got)
			n += (size_t)snprintf(out + n, cap - n, " | ");
	}
	out[n] = '\0';
	return n;
}

/* Sends a reply, with one descriptor when fd >= 0. A daemon that is gone ends us. */
static void server_reply(struct server *sv, const struct spawner_msg *m, int fd)
{
	char control[CMSG_SPACE(sizeof(int))];
	size_t len = spawner_msg_encode(m, sv->out, SPAWNER_MSG_MAX);
	struct iovec iov = { .iov_base = sv->out, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (len == 0)
		server_exit(sv, SPAWNER_EXIT_SYSTEM);
	if (fd >= 0) {
		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = sizeof(control);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	ssize_t n;
	do
		n = sendmsg(sv->req_fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		server_exit(sv, errno == EPIPE ? SPAWNER_EXIT_DONE : SPAWNER_EXIT_SYSTEM);
}

static void server_error(struct server *sv, const char *text)
{
	size_t len = strlen(text);
	struct spawner_msg r = { .type = SPAWNER_ERROR, .data = (const uint8_t *)text,
				 .data_len = len < 8192 ? len : 8192 };

	server_reply(sv, &r, -1);
}

/* SIGCHLD: reaps every child that exited and marks it for reporting. */
static void server_reap(struct server *sv)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(sv->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < sv->count; i++) {
			struct child *c = &sv->children[i];
			if (c->pid == pid && !c->exited) {
				c->exited = true;
				c->status = status;
				sv->unreported++;
				break;
			}
		}
	}
}

/*
 * Sends EXITED for every reaped child, as far as the event socket takes
 * them (never blocking: the daemon reads them from its loop), and forgets
 * the children reported.
 */
static void server_report(struct server *sv)
{
	uint8_t msg[SPAWNER_MSG_HEADER];

	for (size_t i = 0; i < sv->count;) {
		struct child *c = &sv->children[i];
		if (!c->exited) {
			i++;
			continue;
		}
		struct spawner_msg e = { .type = SPAWNER_EXITED, .child = c->id, .pid = c->pid,
					 .value = c->status };
		size_t len = spawner_msg_encode(&e, msg, sizeof(msg));
		if (send(sv->evt_fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			server_exit(sv, errno == EPIPE ? SPAWNER_EXIT_DONE : SPAWNER_EXIT_SYSTEM);
		}
		sv->unreported--;
		*c = sv->children[--sv->count];
	}
}

static struct child *server_find(struct server *sv, uint64_t id)
{
	for (size_t i = 0; i < sv->count; i++) {
		if (sv->children[i].id == id)
			return &sv->children[i];
	}
	return NULL;
}
