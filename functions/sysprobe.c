/*
 * sysprobe: makes one system call a request names and reports what the
 * kernel said; the sandbox integration tests (tests/integration/test_2*.sh)
 * drive it to see a worker's seccomp filter, rlimits, identity, environment
 * and namespaces from the inside.
 *
 * Protocol: ?call=NAME performs ONE probe and answers 200 text/plain,
 * "NAME: ok\n" or "NAME: error ERRNONAME (strerror text)\n",
 * so under seccomp.action = errno a denied call shows "error EPERM", and
 * under seccomp.action = kill the worker dies by SIGSYS in the middle of the
 * request (gatewayd then answers 502). Every probe is chosen so that, when
 * the filter allows it, it either succeeds or fails with an errno OTHER than
 * EPERM, without side effects that outlive the request. Most do so as any
 * user; unshare needs root (test_22 runs its seccomp = off worker as
 * user = root for it):
 *
 *	socket   socket(AF_INET, SOCK_STREAM), closed again
 *	connect  a new AF_INET socket to 127.0.0.1:9: usually ECONNREFUSED;
 *		 when socket() itself fails, its error is reported
 *	ptrace   ptrace(PTRACE_PEEKDATA, own pid): allowed -> ESRCH (we are
 *		 not traced). Not PTRACE_TRACEME: it would make gatewayd our
 *		 tracer for good, and every later signal (SIGTERM at shutdown,
 *		 SIGPIPE) would become a ptrace stop nobody resumes.
 *	execve   execve("/nonexistent/x"): allowed -> ENOENT. A path that
 *		 exists would replace the worker and answer nothing.
 *	fork     fork(); the child _exit(0)s at once, the parent reaps it
 *	mount    mount("none", "/nonexistent-sysprobe", "tmpfs"): allowed ->
 *		 ENOENT (the target is looked up before any privilege check)
 *	unshare  unshare(CLONE_NEWUTS): only this worker's hostname namespace
 *	bpf      bpf(-1, NULL, 0): allowed -> EINVAL
 *	openw    open("/tmp/sysprobe.<pid>", O_WRONLY|O_CREAT, 0600), unlinked
 *	openr    open("/proc/self/status", O_RDONLY)
 *	vsock    socket(AF_VSOCK, SOCK_STREAM), closed again: allowed -> ok,
 *		 or EAFNOSUPPORT from a kernel without vsock
 *	netlink  socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), closed again
 *	tiocsti  ioctl(0, TIOCSTI, "x"): fd 0 is the worker's socket, not a
 *		 terminal, so allowed -> ENOTTY and nothing is typed anywhere
 *	newsyscall  futex_wake (454: the numbers from 424 on are the same on
 *		 every architecture but alpha) on a word nobody waits on:
 *		 allowed -> ok (or EINVAL); ENOSYS from a filter that does
 *		 not name it, or from a kernel older than 6.7
 *
 * and the informational calls, which answer text instead:
 *
 *	alloc    &mb=N (0..4096): malloc N MiB and touch every byte;
 *		 "alloc: ok N MiB", or 500 "alloc: out of memory"
 *	whoami   "uid=U gid=G groups=G1,G2,...\ncwd=PATH\n"
 *	env      the process environment (not the FastCGI params), one
 *		 NAME=VALUE per line
 *	net      the network interfaces this process sees, one name per line
 *		 (from /proc/net/dev: no socket needed, works under strict)
 *	pid      getpid(), as "pid=N"
 *
 * and the lifecycle calls (tests/integration/test_3*.sh), which outlive
 * the request on purpose or take time:
 *
 *	leak     &mb=N (0..4096): like alloc, but the memory is kept for the
 *		 life of the worker (pm.max_memory); "leak: ok N MiB, pid=P"
 *	sleep    &ms=N (0..60000): sleep, then "sleep: ok N ms, pid=P"
 *	stream   &ms=N (0..60000): send the headers and a first line
 *		 ("stream: started pid=P"), flush, sleep, then "stream: done";
 *		 a request_timeout that hits during the sleep cuts a response
 *		 whose headers already went out
 *
 * and the async calls (tests/integration/test_4*.sh), which answer with a
 * chosen status, fail on purpose, or leave a trace of each run:
 *
 *	status   &code=N (100..599): answers Status N, body "status: N"
 *	flaky    &file=PATH&fail=N (0..99999)[&how=crash]: adds one to the
 *		 counter in PATH (a decimal number, created at 0); while the
 *		 new count is at most N, answers 500 "flaky: fail K of N" (or,
 *		 with how=crash, kills itself by SIGKILL mid-request); then
 *		 200 "flaky: ok after K runs"
 *	crash    kills itself by SIGKILL mid-request, every time
 *	trace    &file=PATH[&ms=N][&pad=B]: appends "GATEWAY_JOB_ID
 *		 GATEWAY_JOB_ATTEMPT pid\n" (one write, O_APPEND) to PATH, sleeps
 *		 N ms, answers 200 "trace: ok ID ATTEMPT", then B bytes of 'p'
 *		 (0..SYSPROBE_MAX_PAD: a result of a chosen size)
 *
 * A missing or unknown call, or a bad mb, ms, code, fail or file, answers 400.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <fcgiapp.h>

#define SYSPROBE_MAX_MB		4096UL	/* largest alloc&mb= */
#define SYSPROBE_MAX_PAD	(1UL << 20)	/* largest trace&pad= */
#define SYSPROBE_MAX_GROUPS	64	/* supplementary groups shown by whoami */
#define SYSPROBE_MAX_MS		60000UL	/* longest sleep&ms= and stream&ms= */

extern char **environ;

/* A probe: performs its call, returns 0 or the errno it failed with. */
struct sysprobe_call {
	const char *name;
	int (*run)(void);
};

/* Returns errno when rc is -1, else 0; closes fd first when it is >= 0. */
static int sysprobe_result(int rc, int fd)
{
	int err = rc == -1 ? errno : 0;

	if (fd >= 0)
		close(fd);
	return err;
}

static int sysprobe_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return sysprobe_result(fd, fd);
}

static int sysprobe_connect(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(9) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1)
		return errno;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sysprobe_result(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), fd);
}

static int sysprobe_ptrace(void)
{
	errno = 0;	/* PEEKDATA returns the word read: -1 may be data */
	if (ptrace(PTRACE_PEEKDATA, getpid(), NULL, NULL) == -1 && errno != 0)
		return errno;
	return 0;
}

static int sysprobe_execve(void)
{
	char *const argv[] = { "x", NULL };

	return sysprobe_result(execve("/nonexistent/x", argv, environ), -1);
}

static int sysprobe_fork(void)
{
	pid_t pid = fork();

	if (pid == -1)
		return errno;
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	return 0;
}

static int sysprobe_mount(void)
{
	return sysprobe_result(mount("none", "/nonexistent-sysprobe", "tmpfs", 0, NULL), -1);
}

static int sysprobe_unshare(void)
{
	return sysprobe_result(unshare(CLONE_NEWUTS), -1);
}

static int sysprobe_bpf(void)
{
	return sysprobe_result((int)syscall(SYS_bpf, -1, NULL, 0), -1);
}

static int sysprobe_openw(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/sysprobe.%ld", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		unlink(path);
	return sysprobe_result(fd, fd);
}

static int sysprobe_openr(void)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	return sysprobe_result(fd, fd);
}

static int sysprobe_vsock(void)
{
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return sysprobe_result(fd, fd);
}

static int sysprobe_netlink(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	return sysprobe_result(fd, fd);
}

static int sysprobe_tiocsti(void)
{
	return sysprobe_result(ioctl(0, TIOCSTI, "x"), -1);
}

#define SYSPROBE_NR_FUTEX_WAKE	454
#define SYSPROBE_FUTEX2_U32	0x82	/* FUTEX2_SIZE_U32 | FUTEX2_PRIVATE */

static int sysprobe_newsyscall(void)
{
	static unsigned int word;

	return sysprobe_result((int)syscall(SYSPROBE_NR_FUTEX_WAKE, &word, 0xffffffffUL, 1,
	    SYSPROBE_FUTEX2_U32), -1);
}

/* The probes ?call= can name, besides the informational ones. */
static const struct sysprobe_call sysprobe_calls[] = {
	{ "socket", sysprobe_socket }, { "connect", sysprobe_connect },
	{ "ptrace", sysprobe_ptrace }, { "execve", sysprobe_execve },
	{ "fork", sysprobe_fork }, { "mount", sysprobe_mount },
	{ "unshare", sysprobe_unshare }, { "bpf", sysprobe_bpf },
	{ "openw", sysprobe_openw }, { "openr", sysprobe_openr },
	{ "vsock", sysprobe_vsock }, { "netlink", sysprobe_netlink },
	{ "tiocsti", sysprobe_tiocsti }, { "newsyscall", sysprobe_newsyscall },
	{ NULL, NULL },
};

/*
 * Finds key= in a QUERY_STRING ("a=b&c=d", no percent-decoding). Returns a
 * pointer to its value and sets *len, or NULL when the key is absent.
 */
static const char *sysprobe_param(const char *qs, const char *key, size_t *len)
{
	size_t klen = strlen(key);

	while (qs != NULL && *qs != '\0') {
		const char *end = strchr(qs, '&');
		size_t n = end != NULL ? (size_t)(end - qs) : strlen(qs);

		if (n > klen && strncmp(qs, key, klen) == 0 && qs[klen] == '=') {
			*len = n - klen - 1;
			return qs + klen + 1;
		}
		qs = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/* Answers with a CGI Status: header and a one-line text/plain body. */
static void sysprobe_status(FCGX_Request *req, const char *status, const char *msg)
{
	FCGX_FPrintF(req->out, "Status: %s\r\nContent-Type: text/plain\r\n\r\n%s\n",
	    status, msg);
}

/* call=alloc&mb=N: allocates and touches N MiB. */
static void sysprobe_alloc(FCGX_Request *req, const char *qs)
{
	size_t len;
	const char *mb = sysprobe_param(qs, "mb", &len);
	unsigned long n = 0;
	char *p;

	if (mb == NULL || len == 0 || len > 4 || strspn(mb, "0123456789") != len ||
	    (n = strtoul(mb, NULL, 10)) > SYSPROBE_MAX_MB) {
		sysprobe_status(req, "400 Bad Request", "alloc: mb=N (0..4096) required");
		return;
	}
	p = malloc(n > 0 ? n << 20 : 1);
	if (p == NULL) {
		sysprobe_status(req, "500 Internal Server Error", "alloc: out of memory");
		return;
	}
	memset(p, 0xa5, n << 20);
	free(p);
	FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\nalloc: ok %lu MiB\n", n);
}

/*
 * Parses the value of key= in qs as 0..max (at most 5 digits). Returns 0
 * and sets *out, or -1 when it is absent or not such a number.
 */
static int sysprobe_number(const char *qs, const char *key, unsigned long max,
    unsigned long *out)
{
	size_t len;
	const char *v = sysprobe_param(qs, key, &len);

	if (v == NULL || len == 0 || len > 5 || strspn(v, "0123456789") < len)
		return -1;
	*out = strtoul(v, NULL, 10);
	return *out <= max ? 0 : -1;
}

/*
 * What call=leak allocated: each block's first word links to the previous
 * one, so the memory stays reachable and the compiler cannot drop the
 * allocation as a dead store.
 */
static void *sysprobe_leaked;

/* call=leak&mb=N: allocates, touches and keeps N MiB until the worker exits. */
static void sysprobe_leak(FCGX_Request *req, const char *qs)
{
	unsigned long n;
	char *p;

	if (sysprobe_number(qs, "mb", SYSPROBE_MAX_MB, &n) < 0) {
		sysprobe_status(req, "400 Bad Request", "leak: mb=N (0..4096) required");
		return;
	}
	p = malloc((n << 20) + sizeof(void *));
	if (p == NULL) {
		sysprobe_status(req, "500 Internal Server Error", "leak: out of memory");
		return;
	}
	memset(p, 0xa5, (n << 20) + sizeof(void *));
	/* Never freed: the point is a worker whose RSS only grows. */
	memcpy(p, &sysprobe_leaked, sizeof(void *));
	sysprobe_leaked = p;
	FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\nleak: ok %lu MiB, pid=%ld\n",
	    n, (long)getpid());
}

/* Sleeps ms milliseconds, resuming after signals. */
static void sysprobe_sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000),
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/*
 * call=sleep&ms=N, or call=stream&ms=N, which sends its headers and first
 * line before the sleep (FCGX_FFlush puts them on the wire).
 */
static void sysprobe_slow(FCGX_Request *req, const char *qs, int stream)
{
	unsigned long ms;

	if (sysprobe_number(qs, "ms", SYSPROBE_MAX_MS, &ms) < 0) {
		sysprobe_status(req, "400 Bad Request", "sleep: ms=N (0..60000) required");
		return;
	}
	if (stream) {
		FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\nstream: started pid=%ld\n",
		    (long)getpid());
		FCGX_FFlush(req->out);
		sysprobe_sleep_ms(ms);
		FCGX_PutS("stream: done\n", req->out);
		return;
	}
	sysprobe_sleep_ms(ms);
	FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\nsleep: ok %lu ms, pid=%ld\n",
	    ms, (long)getpid());
}

/*
 * call=status&code=N: answers with that status (a 1xx... 5xx the gateway
 * reads from the Status: header), so tests can see what each one does.
 */
static void sysprobe_answer_status(FCGX_Request *req, const char *qs)
{
	unsigned long code;

	if (sysprobe_number(qs, "code", 599, &code) < 0 || code < 100) {
		sysprobe_status(req, "400 Bad Request", "status: code=N (100..599) required");
		return;
	}
	FCGX_FPrintF(req->out, "Status: %lu\r\nContent-Type: text/plain\r\n\r\nstatus: %lu\n",
	    code, code);
}

/* Dies mid-request, the way a crashing worker does (never returns). */
static void sysprobe_die(FCGX_Request *req)
{
	FCGX_FFlush(req->out);
	raise(SIGKILL);
	_exit(137);	/* only if the signal could not be sent */
}

/*
 * Copies the value of key= in qs into out (cap bytes with the NUL).
 * Returns 0, or -1 when absent, empty or too long.
 */
static int sysprobe_string(const char *qs, const char *key, char *out, size_t cap)
{
	size_t len;
	const char *v = sysprobe_param(qs, key, &len);

	if (v == NULL || len == 0 || len >= cap)
		return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

/*
 * Adds one to the decimal counter in path (missing: 0). Returns the new
 * count, or -1 with errno. Not atomic across workers: tests that use it
 * run one worker.
 */
static long sysprobe_count(const char *path)
{
	char text[32];
	long count = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, text, sizeof(text) - 1);
	if (n > 0) {
		text[n] = '\0';
		count = strtol(text, NULL, 10);
	}
	count++;
	n = snprintf(text, sizeof(text), "%ld\n", count);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, (size_t)n, 0) != n) {
		close(fd);
		return -1;
	}
	close(fd);
	return count;
}

/* call=flaky&file=PATH&fail=N[&how=crash]: fails the first N runs. */
static void sysprobe_flaky(FCGX_Request *req, const char *qs)
{
	char path[PATH_MAX], how[16];
	unsigned long fail;
	long count;

	if (sysprobe_string(qs, "file", path, sizeof(path)) < 0 ||
	    sysprobe_number(qs, "fail", 99999, &fail) < 0) {
		sysprobe_status(req, "400 Bad Request", "flaky: file=PATH&fail=N required");
		return;
	}
	if (sysprobe_string(qs, "how", how, sizeof(how)) < 0)
		how[0] = '\0';
	if ((count = sysprobe_count(path)) < 0) {
		FCGX_FPrintF(req->out, "Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
		    "flaky: %s: %s\n", path, strerror(errno));
		return;
	}
	if ((unsigned long)count > fail) {
		FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\nflaky: ok after %ld runs\n",
		    count);
		return;
	}
	if (strcmp(how, "crash") == 0)
		sysprobe_die(req);
	FCGX_FPrintF(req->out, "Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
	    "\r\nflaky: fail %ld of %lu\n", count, fail);
}

/* call=trace&file=PATH[&ms=N][&pad=B]: one line per run, for counting executions. */
static void sysprobe_trace(FCGX_Request *req, const char *qs)
{
	const char *id = FCGX_GetParam("GATEWAY_JOB_ID", req->envp);
	const char *attempt = FCGX_GetParam("GATEWAY_JOB_ATTEMPT", req->envp);
	char path[PATH_MAX], line[128];
	unsigned long ms = 0, pad = 0;
	int fd, n;

	if (sysprobe_string(qs, "file", path, sizeof(path)) < 0 ||
	    (sysprobe_param(qs, "ms", &(size_t){ 0 }) != NULL &&
		sysprobe_number(qs, "ms", SYSPROBE_MAX_MS, &ms) < 0) ||
	    (sysprobe_param(qs, "pad", &(size_t){ 0 }) != NULL &&
		sysprobe_number(qs, "pad", SYSPROBE_MAX_PAD, &pad) < 0)) {
		sysprobe_status(req, "400 Bad Request", "trace: file=PATH[&ms=N] required");
		return;
	}
	id = id != NULL ? id : "-";
	attempt = attempt != NULL ? attempt : "-";
	n = snprintf(line, sizeof(line), "%.40s %.10s %ld\n", id, attempt, (long)getpid());
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, (size_t)n) != n) {
		FCGX_FPrintF(req->out, "Status: 400 Bad Request\r\nContent-Type: text/plain\r\n\r\n"
		    "trace: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	sysprobe_sleep_ms(ms);
	FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\ntrace: ok %s %s\n", id, attempt);
	for (; pad > 0; pad--)
		FCGX_PutChar('p', req->out);
}

/* call=whoami: real ids, supplementary groups and working directory. */
static void sysprobe_whoami(FCGX_Request *req)
{
	gid_t groups[SYSPROBE_MAX_GROUPS];
	char cwd[PATH_MAX];
	int n, i;

	n = getgroups(SYSPROBE_MAX_GROUPS, groups);
	FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\nuid=%ld gid=%ld groups=",
	    (long)getuid(), (long)getgid());
	for (i = 0; i < n; i++)
		FCGX_FPrintF(req->out, "%s%ld", i > 0 ? "," : "", (long)groups[i]);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "(error %s)", strerror(errno));
	FCGX_FPrintF(req->out, "\ncwd=%s\n", cwd);
}

/* call=env: the environment the worker was exec'd with. */
static void sysprobe_env(FCGX_Request *req)
{
	char **e;

	FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
	for (e = environ; e != NULL && *e != NULL; e++)
		FCGX_FPrintF(req->out, "%s\n", *e);
}

/* call=net: interface names from /proc/net/dev (two header lines first). */
static void sysprobe_net(FCGX_Request *req)
{
	char line[512];
	FILE *f = fopen("/proc/net/dev", "re");
	int n = 0;

	if (f == NULL) {
		sysprobe_status(req, "500 Internal Server Error", "net: cannot read /proc/net/dev");
		return;
	}
	FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':'), *name = line;

		if (++n <= 2 || colon == NULL)
			continue;
		*colon = '\0';
		name += strspn(name, " ");
		FCGX_FPrintF(req->out, "%s\n", name);
	}
	fclose(f);
}

/* Runs the probe named by the len bytes at name and reports its outcome. */
static void sysprobe_run(FCGX_Request *req, const char *name, size_t len)
{
	const struct sysprobe_call *c;
	const char *errname;
	int err;

	for (c = sysprobe_calls; c->name != NULL; c++)
		if (strlen(c->name) == len && strncmp(name, c->name, len) == 0)
			break;
	if (c->name == NULL) {
		sysprobe_status(req, "400 Bad Request", "sysprobe: unknown call");
		return;
	}
	err = c->run();
	FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
	if (err == 0) {
		FCGX_FPrintF(req->out, "%s: ok\n", c->name);
		return;
	}
	errname = strerrorname_np(err);
	FCGX_FPrintF(req->out, "%s: error %s (%s)\n", c->name,
	    errname != NULL ? errname : "E?", strerror(err));
}

/* Handles one request: finds the probe named by call= and runs it. */
static void sysprobe_handle(FCGX_Request *req)
{
	const char *qs = FCGX_GetParam("QUERY_STRING", req->envp);
	const char *name;
	size_t len;

	name = sysprobe_param(qs, "call", &len);
	if (name == NULL) {
		sysprobe_status(req, "400 Bad Request", "sysprobe: call=NAME required");
		return;
	}
	if (len == 5 && strncmp(name, "alloc", 5) == 0) {
		sysprobe_alloc(req, qs);
	} else if (len == 4 && strncmp(name, "leak", 4) == 0) {
		sysprobe_leak(req, qs);
	} else if (len == 5 && strncmp(name, "sleep", 5) == 0) {
		sysprobe_slow(req, qs, 0);
	} else if (len == 6 && strncmp(name, "stream", 6) == 0) {
		sysprobe_slow(req, qs, 1);
	} else if (len == 6 && strncmp(name, "whoami", 6) == 0) {
		sysprobe_whoami(req);
	} else if (len == 3 && strncmp(name, "env", 3) == 0) {
		sysprobe_env(req);
	} else if (len == 3 && strncmp(name, "net", 3) == 0) {
		sysprobe_net(req);
	} else if (len == 6 && strncmp(name, "status", 6) == 0) {
		sysprobe_answer_status(req, qs);
	} else if (len == 5 && strncmp(name, "flaky", 5) == 0) {
		sysprobe_flaky(req, qs);
	} else if (len == 5 && strncmp(name, "crash", 5) == 0) {
		sysprobe_die(req);
	} else if (len == 5 && strncmp(name, "trace", 5) == 0) {
		sysprobe_trace(req, qs);
	} else if (len == 3 && strncmp(name, "pid", 3) == 0) {
		FCGX_FPrintF(req->out, "Content-Type: text/plain\r\n\r\npid=%ld\n", (long)getpid());
	} else {
		sysprobe_run(req, name, len);
	}
}

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;

	/* FCGX_Accept_r() returns < 0 when the listening socket is closed. */
	while (FCGX_Accept_r(&req) >= 0)
		sysprobe_handle(&req);

	FCGX_Free(&req, 1);
	return 0;
}
