/*
 * spawner_client.c: the daemon's side of the spawner (see spawner.h):
 * starting the spawner process, its requests, and the children it reports.
 *
 * Requests are synchronous (a blocking send, then the reply): a spawn used
 * to be a fork in the daemon's loop, and is now a fork in the spawner's,
 * which answers at once. Exit reports come on a second socket that the
 * event loop watches, so they never mix with a reply being waited for.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"
#include "spawner.h"

/* Where the spawner process keeps its two sockets. */
#define SPAWNER_REQ_FD 3
#define SPAWNER_EVT_FD 4
/* Socket buffers large enough for one SPAWNER_MSG_MAX datagram. */
#define SPAWNER_SOCKET_BUFFER (2 * SPAWNER_MSG_MAX)

struct spawner {
	pid_t pid;
	int req_fd;			/* blocking: requests and their replies */
	int evt_fd;			/* non-blocking: EXITED reports */
	struct ev_loop *loop;
	ev_io evt_watcher;
	ev_child process_watcher;
	spawner_died_fn *died;
	void *owner;
	bool dead;			/* the spawner process ended */
	struct spawner_watch *head, *tail;	/* active watches, oldest first */
	uint8_t *msg;			/* one datagram, either way */
};

static void spawner_child_main(int req_fd, int evt_fd, const struct spawner_table_ops *ops,
    void *ctx, pid_t parent) __attribute__((noreturn));
static void spawner_size_buffer(int fd);
static int spawner_request(struct spawner *s, const struct spawner_msg *m, const int *fds,
    size_t nfds, struct spawner_msg *reply, int *reply_fd, char *err, size_t err_len);
static void spawner_on_event(struct ev_loop *loop, ev_io *io, int revents);
static void spawner_on_process(struct ev_loop *loop, ev_child *child, int revents);
static void spawner_report_exit(struct spawner *s, uint64_t id, int status);

struct spawner *spawner_start(const struct spawner_table_ops *ops, void *ctx, char *err,
    size_t err_len)
{
	int req[2], evt[2] = { -1, -1 };
	struct spawner *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->msg = malloc(SPAWNER_MSG_MAX)) == NULL) {
		snprintf(err, err_len, "spawner: out of memory");
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, req) < 0) {
		snprintf(err, err_len, "spawner: socketpair: %s", strerror(errno));
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, evt) < 0) {
		snprintf(err, err_len, "spawner: socketpair: %s", strerror(errno));
		close(req[0]);
		close(req[1]);
		goto fail;
	}
	spawner_size_buffer(req[0]);
	spawner_size_buffer(req[1]);
	pid_t parent = getpid();
	s->pid = fork();
	if (s->pid == 0) {
		close(req[0]);
		close(evt[0]);
		spawner_child_main(req[1], evt[1], ops, ctx, parent);
	}
	int fork_errno = errno;
	close(req[1]);
	close(evt[1]);
	if (s->pid < 0) {
		snprintf(err, err_len, "spawner: fork: %s", strerror(fork_errno));
		close(req[0]);
		close(evt[0]);
		goto fail;
	}
	s->req_fd = req[0];
	s->evt_fd = evt[0];
	fcntl(s->evt_fd, F_SETFL, O_NONBLOCK);
	return s;

fail:
	if (s != NULL)
		free(s->msg);
	free(s);
	return NULL;
}

/* A datagram must fit the sender's buffer whole; root may go past wmem_max. */
static void spawner_size_buffer(int fd)
{
	int size = SPAWNER_SOCKET_BUFFER;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
}

/*
 * The spawner process: dies with the daemon, keeps only its sockets and
 * descriptor 2 (0 and 1 become /dev/null: root holds no terminal it does
 * not need), leaves the terminal's signals to the daemon (which stops
 * everything in order), and serves.
 */
static void spawner_child_main(int req_fd, int evt_fd, const struct spawner_table_ops *ops,
    void *ctx, pid_t parent)
{
	sigset_t chld;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(SPAWNER_EXIT_SYSTEM);
	prctl(PR_SET_NAME, SPAWNER_PROCESS_NAME);
	int null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		_exit(SPAWNER_EXIT_SYSTEM);
	int r = fcntl(req_fd, F_DUPFD_CLOEXEC, 10), e = fcntl(evt_fd, F_DUPFD_CLOEXEC, 10);
	if (r < 0 || e < 0 || dup3(r, SPAWNER_REQ_FD, O_CLOEXEC) < 0 ||
	    dup3(e, SPAWNER_EVT_FD, O_CLOEXEC) < 0)
		_exit(SPAWNER_EXIT_SYSTEM);
	close_range(SPAWNER_EVT_FD + 1, ~0U, 0);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	int sig_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig_fd < 0)
		_exit(SPAWNER_EXIT_SYSTEM);
	spawner_serve(SPAWNER_REQ_FD, SPAWNER_EVT_FD, sig_fd, ops, ctx);
}

pid_t spawner_pid(const struct spawner *s)
{
	return s->pid;
}

void spawner_attach(struct spawner *s, struct ev_loop *loop, spawner_died_fn *died,
    void *owner)
{
	s->loop = loop;
	s->died = died;
	s->owner = owner;
	ev_io_init(&s->evt_watcher, spawner_on_event, s->evt_fd, EV_READ);
	s->evt_watcher.data = s;
	ev_io_start(loop, &s->evt_watcher);
	ev_child_init(&s->process_watcher, spawner_on_process, s->pid, 0);
	s->process_watcher.data = s;
	ev_child_start(loop, &s->process_watcher);
}

/*
 * Sends m with nfds descriptors; when reply is not NULL, waits for the
 * answer and decodes it (pointers into s->msg), taking the descriptor it
 * carries into *reply_fd (-1 if none). An ERROR reply is returned as -1 with
 * its text in err. 0 / -1.
 */
static int spawner_request(struct spawner *s, const struct spawner_msg *m, const int *fds,
    size_t nfds, struct spawner_msg *reply, int *reply_fd, char *err, size_t err_len)
{
	char control[CMSG_SPACE(sizeof(int) * SPAWNER_SPAWN_FDS)];
	struct iovec iov = { .iov_base = s->msg };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (s->dead) {
		snprintf(err, err_len, "the spawner is gone");
		return -1;
	}
	iov.iov_len = spawner_msg_encode(m, s->msg, SPAWNER_MSG_MAX);
	if (iov.iov_len == 0) {
		snprintf(err, err_len, "request larger than %d bytes", SPAWNER_MSG_MAX);
		return -1;
	}
	if (nfds > 0) {
		memset(control, 0, sizeof(control));
		mh.msg_control = control;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(s->req_fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(err, err_len, "spawner: send: %s", strerror(errno));
		return -1;
	}
	if (reply == NULL)
		return 0;

	iov.iov_len = SPAWNER_MSG_MAX;
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	do
		n = recvmsg(s->req_fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	*reply_fd = -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n > 0 && c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(reply_fd, CMSG_DATA(c), sizeof(int));
	}
	if (n <= 0 || spawner_msg_decode(s->msg, (size_t)n, reply) < 0) {
		snprintf(err, err_len, "spawner: %s", n == 0 ? "gone" : n < 0 ? strerror(errno) :
		    "malformed reply");
	} else if (reply->type == SPAWNER_ERROR) {
		snprintf(err, err_len, "%.*s", (int)reply->data_len, (const char *)reply->data);
	} else {
		return 0;
	}
	if (*reply_fd >= 0)
		close(*reply_fd);
	*reply_fd = -1;
	return -1;
}

int spawner_load(struct spawner *s, uint32_t *generation, struct buf *functions, char *err,
    size_t err_len)
{
	struct spawner_msg m = { .type = SPAWNER_LOAD }, reply;
	int fd;

	if (spawner_request(s, &m, NULL, 0, &reply, &fd, err, err_len) < 0)
		return -1;
	if (fd >= 0)
		close(fd);
	if (reply.type != SPAWNER_LOADED) {
		snprintf(err, err_len, "spawner: unexpected reply %d to LOAD", (int)reply.type);
		return -1;
	}
	if (buf_append(functions, reply.data, reply.data_len) < 0) {
		spawner_release(s, reply.generation);
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	*generation = reply.generation;
	return 0;
}

void spawner_release(struct spawner *s, uint32_t generation)
{
	struct spawner_msg m = { .type = SPAWNER_RELEASE, .generation = generation };
	char err[128];

	spawner_request(s, &m, NULL, 0, NULL, NULL, err, sizeof(err));
}

int spawner_spawn(struct spawner *s, uint32_t generation, const char *function,
    const int fds[3], char *const *env, struct spawner_child *child, int *exec_error_fd,
    char *err, size_t err_len)
{
	struct spawner_msg m = { .type = SPAWNER_SPAWN, .generation = generation,
				 .name = function, .name_len = strlen(function) }, reply;
	struct buf data = { 0 };
	int fd, rc = -1;

	for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
		if (i == SPAWNER_ENV_MAX || buf_append(&data, env[i], strlen(env[i]) + 1) < 0) {
			snprintf(err, err_len, "environment too large");
			goto out;
		}
	}
	m.data = buf_head(&data);
	m.data_len = buf_used(&data);
	if (spawner_request(s, &m, fds, SPAWNER_SPAWN_FDS, &reply, &fd, err, err_len) < 0)
		goto out;
	if (reply.type != SPAWNER_SPAWNED || fd < 0) {
		snprintf(err, err_len, "spawner: unexpected reply %d to SPAWN", (int)reply.type);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	child->id = reply.child;
	child->pid = reply.pid;
	*exec_error_fd = fd;
	rc = 0;
out:
	buf_free(&data);
	return rc;
}

void spawner_watch(struct spawner *s, struct spawner_watch *watch, uint64_t id,
    void (*exited)(struct spawner_watch *watch, int status))
{
	spawner_unwatch(s, watch);
	watch->id = id;
	watch->exited = exited;
	watch->active = true;
	watch->next = NULL;
	watch->prev = s->tail;
	if (s->tail != NULL)
		s->tail->next = watch;
	else
		s->head = watch;
	s->tail = watch;
}

void spawner_unwatch(struct spawner *s, struct spawner_watch *watch)
{
	if (!watch->active)
		return;
	if (watch->prev != NULL)
		watch->prev->next = watch->next;
	else
		s->head = watch->next;
	if (watch->next != NULL)
		watch->next->prev = watch->prev;
	else
		s->tail = watch->prev;
	watch->prev = watch->next = NULL;
	watch->active = false;
}

void spawner_signal(struct spawner *s, uint64_t id, int sig, bool group)
{
	struct spawner_msg m = { .type = SPAWNER_SIGNAL, .child = id, .value = sig,
				 .group = group };
	char err[128];

	if (id != 0)
		spawner_request(s, &m, NULL, 0, NULL, NULL, err, sizeof(err));
}

int spawner_inspect(struct spawner *s, pid_t pid, char *out, size_t len)
{
	struct spawner_msg m = { .type = SPAWNER_INSPECT, .pid = pid }, reply;
	int fd;

	if (spawner_request(s, &m, NULL, 0, &reply, &fd, out, len) < 0)
		return -1;
	if (fd >= 0)
		close(fd);
	if (reply.type != SPAWNER_INSPECTED) {
		snprintf(out, len, "unexpected spawner reply");
		return -1;
	}
	snprintf(out, len, "%.*s", (int)reply.data_len, (const char *)reply.data);
	return 0;
}

int spawner_exec_error(int fd, const char *program, char *msg, size_t len)
{
	struct spawn_error e;
	ssize_t n = read(fd, &e, sizeof(e));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n != (ssize_t)sizeof(e))
		return 0;
	if (e.step == SANDBOX_STEP_EXEC)
		snprintf(msg, len, "cannot exec %s: %s", program, strerror(e.error));
	else
		snprintf(msg, len, "sandbox: %s failed: %s",
		    sandbox_step_name((enum sandbox_step)e.step), strerror(e.error));
	return 1;
}

/* The watch of child id, if any, is told and dropped before its callback runs. */
static void spawner_report_exit(struct spawner *s, uint64_t id, int status)
{
	for (struct spawner_watch *w = s->head; w != NULL; w = w->next) {
		if (w->id == id) {
			spawner_unwatch(s, w);
			w->exited(w, status);
			return;
		}
	}
}

/* EXITED reports, as many as are there. */
static void spawner_on_event(struct ev_loop *loop, ev_io *io, int revents)
{
	struct spawner *s = io->data;
	struct spawner_msg m;
	ssize_t n;
	(void)revents;

	while ((n = recv(s->evt_fd, s->msg, SPAWNER_MSG_MAX, MSG_DONTWAIT)) > 0) {
		if (spawner_msg_decode(s->msg, (size_t)n, &m) == 0 && m.type == SPAWNER_EXITED)
			spawner_report_exit(s, m.child, m.value);
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		ev_io_stop(loop, io);	/* the spawner is going: its reaping says the rest */
}

/*
 * The spawner process ended: its children were killed with it (their
 * parent-death signal), so every watched child is reported killed, then the
 * owner is told.
 */
static void spawner_on_process(struct ev_loop *loop, ev_child *child, int revents)
{
	struct spawner *s = child->data;
	(void)revents;

	ev_child_stop(loop, child);
	ev_io_stop(loop, &s->evt_watcher);
	s->dead = true;
	spawner_on_event(loop, &s->evt_watcher, EV_READ);	/* reports already sent */
	while (s->head != NULL) {
		struct spawner_watch *w = s->head;
		spawner_unwatch(s, w);
		w->exited(w, SIGKILL);	/* as waitpid() reports a death by SIGKILL */
	}
	if (s->died != NULL)
		s->died(s->owner, child->rstatus);
}

void spawner_close(struct spawner *s)
{
	int status;

	if (s == NULL)
		return;
	if (s->loop != NULL) {
		ev_io_stop(s->loop, &s->evt_watcher);
		ev_child_stop(s->loop, &s->process_watcher);
	}
	close(s->req_fd);
	close(s->evt_fd);
	if (!s->dead) {
		while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	free(s->msg);
	free(s);
}
