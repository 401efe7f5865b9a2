/*
 * hostile: a function that attacks its neighbours. The isolation tests run
 * it beside a victim function and ask it, one request per attack, to read,
 * signal or impersonate the victim, gatewayd or its privileged spawner; the
 * answer says exactly what the kernel said to each attempt, so a test can
 * assert that every one was refused. Built by `make check` into
 * build/tests/hostile; never installed.
 *
 * Protocol: ?attack=NAME[&PARAM=VALUE...] performs the attack ONCE and
 * answers 200 text/plain, one line per attempt, each line starting with the
 * attack's name and a colon:
 *
 *	NAME: refused ERRNONAME (strerror text) WHAT	the kernel said no
 *	NAME: refused WHY				nothing could be tried
 *	NAME: SUCCEEDED WHAT				the attack worked
 *	NAME: skipped WHY				not tried here (architecture...)
 *	NAME: TEXT					informational
 *
 * WHAT names the attempt ("open /proc/42/mem O_RDWR"), so an attack that
 * tries several ways shows each. The tests fail on the word SUCCEEDED.
 *
 * The answer is built in memory and sent only when the attack is over:
 * nothing reaches gatewayd before, so a worker that its seccomp filter kills
 * (action kill) or that an attack replaced (exec2) sends no body at all, and
 * gatewayd answers 502; a test never sees half an answer with a 200.
 * Under seccomp.action = kill a denied call is such a death (502, and
 * "killed by seccomp" in gatewayd's log): a refusal a test tells from a
 * working exec2 by that log line. So run attacks one a request there.
 *
 * Parameters are percent-decoded (%XX; '+' stays a '+'), at most
 * HOSTILE_VALUE_MAX - 1 bytes, no control characters (no %00, no line
 * break that could forge a line). An unknown, repeated or malformed
 * parameter, an unknown attack or a missing parameter answers 400
 * "hostile: WHY".
 *
 *	kill &pid=P[&sig=N]	kill(P, N); N is 0..64, default 9 (0 asks "may
 *				I?" without sending anything)
 *	environ &pid=P[&needle=S]
 *				read /proc/P/environ (64 KiB at most): SUCCEEDED
 *				with the byte count and whether S occurs in it (S
 *				itself is never echoed)
 *	mem &pid=P		open /proc/P/mem O_RDWR, then O_RDONLY
 *	ptrace &pid=P		PTRACE_ATTACH, then (if attached) wait for the
 *				stop, PTRACE_DETACH and SIGCONT (which drops a
 *				SIGSTOP the attach may have left pending); then
 *				PTRACE_SEIZE, PTRACE_INTERRUPT, wait, detach
 *	vmread &pid=P		process_vm_readv of 16 bytes at the first
 *				readable mapping in /proc/P/maps (0x400000 when
 *				it cannot be read). EFAULT is SUCCEEDED too: the
 *				kernel checks the permission first, so EFAULT means
 *				access was granted and only the address was wrong
 *	read &path=X		open O_RDONLY and read up to 64 KiB: SUCCEEDED
 *				with the byte count
 *	write &path=X		open O_WRONLY|O_APPEND (no O_CREAT), write 0
 *				bytes, close: SUCCEEDED means it could write
 *	create &dir=D		create D/hostile.PID O_CREAT|O_EXCL, unlinked again
 *	unlink &path=X		unlink(X): destructive when it works
 *	bind &path=X		unlink(X) (a line of its own), then bind and
 *				listen a unix socket at X, where later connections
 *				would reach us; closed and unlinked again
 *	connect &path=X		connect a unix stream socket to X, closed again.
 *				EAGAIN (X's backlog is full) is SUCCEEDED: the
 *				permission check passed
 *	symlink &path=X&target=Y
 *				symlink(Y, X), removed again
 *	rename &from=X&to=Y	rename(X, Y), renamed back when it worked
 *	tty [&inject=1]		open /dev/tty O_RDWR|O_NOCTTY (ENXIO without a
 *				controlling terminal); if it opens, TIOCSTI of one
 *				"\n" only with inject=1, since it types into the
 *				operator's terminal; then "tty: tty_nr=N (major M
 *				minor m) sid=S" from /proc/self/stat
 *	tiocsti			TIOCSTI of "\n" on each open fd 0..1023 for which
 *				isatty() holds, a line each ("tiocsti: no tty fd
 *				among 0..1023" when none); then open each
 *				/dev/pts/N O_RDWR|O_NOCTTY (closed at once)
 *	vsock			socket(AF_VSOCK, SOCK_STREAM): the hypervisor host
 *	netlink			socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)
 *	newsyscall		x86_64 only (else "skipped"): futex_wake (454,
 *				Linux 6.7), a call newer than a filter's tables may
 *				name, on a word nobody waits on. SUCCEEDED when it
 *				reached the kernel: it returned >= 0, or failed
 *				with an errno other than ENOSYS and EPERM
 *	sockname		"sockname: PATH", fd 0's address verbatim (an
 *				abstract one with a leading '@'), then "sockname:
 *				SUCCEEDED leaks a pointer-like hex number 0x..." for
 *				each run of 8 to 16 hex digits in it, or "sockname:
 *				refused no pointer in the socket name"
 *	exec2 [&addr=0xHEX]	the second exec under the strict profile, whose
 *				filter allows execve only with the one path pointer
 *				gatewayd's child passed: for each candidate address
 *				(the hex runs in fd 0's name, then addr), map its
 *				page MAP_FIXED_NOREPLACE (a "skipped" line when
 *				that fails), copy "/bin/true" there and execve it;
 *				then execve("/bin/true") from an ordinary string,
 *				then execveat(AT_FDCWD, "/bin/true"). An exec that
 *				works replaces this worker by /bin/true, which
 *				exits: the request gets a 502 or nothing, never a
 *				200. Under a profile that allows exec (default,
 *				off) it always does.
 *	setuid &uid=U		setresuid(U, U, U). Already being U (real,
 *				effective and saved) is SUCCEEDED without a call:
 *				this worker IS that user. Irreversible when it works
 *	whoami			informational: uid, gid, groups; pid, ppid, sid,
 *				pgid, tty_nr; the CapEff, CapPrm, CapBnd,
 *				NoNewPrivs and Seccomp lines of /proc/self/status;
 *				cwd
 *	all &list=A,B,...	runs each named attack (at most 32, not all) in
 *				turn with the same parameters; every one's needs
 *				are checked before any runs
 *
 * Every side effect is bounded and undone where it can be: what is opened
 * is closed, what is created is removed, what is attached is detached. Pids
 * must be 1..4194304: never 0 or negative, which kill() would take for a
 * process group or for every process it may signal.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <fcgiapp.h>

#define HOSTILE_VALUE_MAX	PATH_MAX	/* a decoded parameter, with its NUL */
#define HOSTILE_OUT_MAX		(64 * 1024)	/* the whole answer body */
#define HOSTILE_OUT_RESERVE	64		/* kept for the truncation line */
#define HOSTILE_WHAT_MAX	(2 * PATH_MAX + 256)	/* one attempt's description */
#define HOSTILE_READ_MAX	(64 * 1024)	/* read, environ: bytes read at most */
#define HOSTILE_MAX_LIST	32		/* attacks in one all&list= */
#define HOSTILE_MAX_PID		4194304UL	/* PID_MAX_LIMIT on 64-bit Linux */
#define HOSTILE_MAX_SIG		64		/* SIGRTMAX on Linux */
#define HOSTILE_MAX_FD		1024		/* tiocsti looks at fds 0..1023 */
#define HOSTILE_MAX_PTS		256		/* /dev/pts entries tried */
#define HOSTILE_MAX_GROUPS	64		/* supplementary groups shown */
#define HOSTILE_MAX_HEX_RUNS	8		/* pointer candidates per name */
#define HOSTILE_SOCKNAME_MAX	110		/* sun_path (108), an '@' and the NUL */
#define HOSTILE_STOP_POLLS	200		/* ptrace: 200 x 10 ms for a stop */
#define HOSTILE_VMREAD_BYTES	16
#define HOSTILE_DEFAULT_ADDR	0x400000UL	/* a non-PIE program's text */
#define HOSTILE_FUTEX_WAKE	454		/* x86_64: futex_wake, Linux 6.7 */
#define HOSTILE_FUTEX2_SIZE_U32	0x02

extern char **environ;

/* The query parameters; each value is kept decoded in hostile_args.value. */
enum hostile_key {
	KEY_ATTACK,	/* the attack's name */
	KEY_LIST,	/* all: the names, comma-separated */
	KEY_PID,	/* the target process */
	KEY_SIG,	/* kill: the signal */
	KEY_NEEDLE,	/* environ: the secret to look for */
	KEY_PATH,	/* the target file or socket */
	KEY_DIR,	/* create: the directory */
	KEY_TARGET,	/* symlink: what the link points to */
	KEY_FROM,	/* rename: the old name */
	KEY_TO,		/* rename: the new name */
	KEY_INJECT,	/* tty: 1 to type into a terminal that opened */
	KEY_ADDR,	/* exec2: one more candidate address */
	KEY_UID,	/* setuid: the uid to become */
	KEY_COUNT
};

static const char *const hostile_key_names[KEY_COUNT] = {
	[KEY_ATTACK] = "attack", [KEY_LIST] = "list", [KEY_PID] = "pid",
	[KEY_SIG] = "sig", [KEY_NEEDLE] = "needle", [KEY_PATH] = "path",
	[KEY_DIR] = "dir", [KEY_TARGET] = "target", [KEY_FROM] = "from",
	[KEY_TO] = "to", [KEY_INJECT] = "inject", [KEY_ADDR] = "addr",
	[KEY_UID] = "uid",
};

#define NEED(key) (1u << (key))

/* One request's parameters, decoded; the numbers are checked at parse time. */
struct hostile_args {
	unsigned present;			/* NEED(key) for each key given */
	char value[KEY_COUNT][HOSTILE_VALUE_MAX];
	pid_t pid;
	int sig;				/* SIGKILL unless sig= says */
	uid_t uid;
	uintptr_t addr;
	int inject;				/* 0 unless inject=1 */
};

/* The answer body, sent whole once every attack ran. */
struct hostile_out {
	char text[HOSTILE_OUT_MAX];
	size_t len;
	int truncated;				/* a line did not fit */
};

/* What an attack works with: its lines start with name. */
struct hostile_ctx {
	const char *name;
	const struct hostile_args *args;
	struct hostile_out *out;
};

/* An attack: the parameters it needs, and the code that tries it. */
struct hostile_attack {
	const char *name;
	unsigned needs;
	void (*run)(const struct hostile_ctx *ctx);
};

static void hostile_line(const struct hostile_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void hostile_report(const struct hostile_ctx *ctx, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* read and environ read into this; one request at a time uses it. */
static char hostile_data[HOSTILE_READ_MAX];

/* ------------------------------------------------------------- output */

/*
 * Appends "NAME: TEXT\n" to the answer. A line that does not fit is
 * dropped whole and marks the answer truncated (the marker line is sent
 * from the reserve at the end), so no line arrives cut in two.
 */
static void hostile_line(const struct hostile_ctx *ctx, const char *fmt, ...)
{
	struct hostile_out *out = ctx->out;
	size_t room = HOSTILE_OUT_MAX - HOSTILE_OUT_RESERVE - out->len;
	char *p = out->text + out->len;
	va_list ap;
	int head, body;

	head = snprintf(p, room, "%s: ", ctx->name);
	if (head < 0 || (size_t)head >= room) {
		out->truncated = 1;
		return;
	}
	va_start(ap, fmt);
	body = vsnprintf(p + head, room - (size_t)head, fmt, ap);
	va_end(ap);
	if (body < 0 || (size_t)head + (size_t)body + 1 >= room) {
		out->truncated = 1;
		return;
	}
	p[head + body] = '\n';
	out->len += (size_t)head + (size_t)body + 1;
}

/*
 * One attempt's line: "SUCCEEDED WHAT" when err is 0, else "refused
 * ERRNONAME (text) WHAT"; WHAT is formatted from fmt.
 */
static void hostile_report(const struct hostile_ctx *ctx, int err, const char *fmt, ...)
{
	char what[HOSTILE_WHAT_MAX];
	const char *errname;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (err == 0) {
		hostile_line(ctx, "SUCCEEDED %s", what);
		return;
	}
	errname = strerrorname_np(err);
	hostile_line(ctx, "refused %s (%s) %s", errname != NULL ? errname : "E?",
	    strerror(err), what);
}

/* Returns errno when rc is -1, else 0: a call's outcome for hostile_report. */
static int hostile_errno(long rc)
{
	return rc == -1 ? errno : 0;
}

/* Returns errno when fd is -1, else closes fd and returns 0. */
static int hostile_closed(int fd)
{
	if (fd == -1)
		return errno;
	close(fd);
	return 0;
}

/* Answers with a status other than 200 and a one-line body. */
static void hostile_status(FCGX_Request *req, const char *status, const char *msg)
{
	FCGX_FPrintF(req->out, "Status: %s\r\nContent-Type: text/plain\r\n\r\nhostile: %s\n",
	    status, msg);
}

/* Sends the answer built in out: 200, then the body, then the marker if cut. */
static void hostile_send(FCGX_Request *req, const struct hostile_out *out)
{
	FCGX_PutS("Content-Type: text/plain\r\n\r\n", req->out);
	FCGX_PutStr(out->text, (int)out->len, req->out);
	if (out->truncated)
		FCGX_FPrintF(req->out, "hostile: answer truncated at %zu bytes\n", out->len);
}

/* ------------------------------------------------------------ parsing */

/* Returns the value of hex digit c, or -1. */
static int hostile_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decodes the len bytes at src (RFC 3986 section 2.1: %XX; a '+'
 * is left alone) into dst, cap bytes with the NUL. Returns 0, or -1 for a
 * malformed escape, a control character (%00, a line break) or a result
 * that does not fit.
 */
static int hostile_decode(const char *src, size_t len, char *dst, size_t cap)
{
	size_t i = 0, n = 0;

	while (i < len) {
		int c = (unsigned char)src[i++];

		if (c == '%') {
			int hi = i < len ? hostile_hex_digit(src[i]) : -1;
			int lo = i + 1 < len ? hostile_hex_digit(src[i + 1]) : -1;

			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (iscntrl(c) || n + 1 >= cap)
			return -1;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

/* Parses s, 1..10 decimal digits, as 0..max. Returns 0 and sets *out, or -1. */
static int hostile_decimal(const char *s, unsigned long max, unsigned long *out)
{
	size_t len = strlen(s);

	if (len == 0 || len > 10 || strspn(s, "0123456789") != len)
		return -1;
	*out = strtoul(s, NULL, 10);
	return *out <= max ? 0 : -1;
}

/* Parses s, "0x" and 1..16 hex digits. Returns 0 and sets *out, or -1. */
static int hostile_address(const char *s, uintptr_t *out)
{
	size_t len = strlen(s);

	if (len < 3 || len > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') ||
	    strspn(s + 2, "0123456789abcdefABCDEF") != len - 2)
		return -1;
	*out = (uintptr_t)strtoull(s + 2, NULL, 16);
	return 0;
}

/*
 * Parses decimal parameter key, when present, as min..max into *out (left
 * alone when absent). Returns 0, or -1 with why filled.
 */
static int hostile_number(const struct hostile_args *a, enum hostile_key key,
    unsigned long min, unsigned long max, unsigned long *out, char *why, size_t why_len)
{
	if ((a->present & NEED(key)) == 0)
		return 0;
	if (hostile_decimal(a->value[key], max, out) == 0 && *out >= min)
		return 0;
	snprintf(why, why_len, "bad %s=: a number %lu..%lu expected", hostile_key_names[key],
	    min, max);
	return -1;
}

/*
 * Turns the numeric parameters present in a into numbers (sig defaults to
 * SIGKILL). Returns 0, or -1 with why filled.
 */
static int hostile_numbers(struct hostile_args *a, char *why, size_t why_len)
{
	unsigned long pid = 0, sig = SIGKILL, uid = 0, inject = 0;

	if (hostile_number(a, KEY_PID, 1, HOSTILE_MAX_PID, &pid, why, why_len) < 0 ||
	    hostile_number(a, KEY_SIG, 0, HOSTILE_MAX_SIG, &sig, why, why_len) < 0 ||
	    hostile_number(a, KEY_UID, 0, UINT32_MAX - 1, &uid, why, why_len) < 0 ||
	    hostile_number(a, KEY_INJECT, 0, 1, &inject, why, why_len) < 0)
		return -1;
	if ((a->present & NEED(KEY_ADDR)) != 0 && hostile_address(a->value[KEY_ADDR], &a->addr) < 0) {
		snprintf(why, why_len, "bad addr=: 0x and 1..16 hex digits expected");
		return -1;
	}
	a->pid = (pid_t)pid;
	a->sig = (int)sig;
	a->uid = (uid_t)uid;
	a->inject = (int)inject;
	return 0;
}

/* Returns the key named by the len bytes at name, or -1. */
static int hostile_key(const char *name, size_t len)
{
	for (int k = 0; k < KEY_COUNT; k++)
		if (strlen(hostile_key_names[k]) == len && strncmp(name, hostile_key_names[k], len) == 0)
			return k;
	return -1;
}

/*
 * Stores the "key=value" piece, n bytes at piece, in a. Returns 0, or -1
 * with why filled: an unknown or repeated key, no '=', a value that does
 * not decode.
 */
static int hostile_piece(const char *piece, size_t n, struct hostile_args *a, char *why,
    size_t why_len)
{
	const char *eq = memchr(piece, '=', n);
	size_t klen = eq != NULL ? (size_t)(eq - piece) : n;
	int k = eq != NULL ? hostile_key(piece, klen) : -1;

	if (k < 0 || (a->present & NEED(k)) != 0) {
		snprintf(why, why_len, "unknown or repeated parameter '%.*s'", (int)klen, piece);
		return -1;
	}
	if (hostile_decode(eq + 1, n - klen - 1, a->value[k], sizeof(a->value[k])) < 0) {
		snprintf(why, why_len, "%s=: bad escape, control character or longer than %d bytes",
		    hostile_key_names[k], HOSTILE_VALUE_MAX - 1);
		return -1;
	}
	a->present |= NEED(k);
	return 0;
}

/*
 * Splits QUERY_STRING ("k=v&k=v", empty pieces ignored) into a. Returns 0,
 * or -1 with why filled.
 */
static int hostile_parse(const char *qs, struct hostile_args *a, char *why, size_t why_len)
{
	while (qs != NULL && *qs != '\0') {
		const char *end = strchr(qs, '&');
		size_t n = end != NULL ? (size_t)(end - qs) : strlen(qs);

		if (n > 0 && hostile_piece(qs, n, a, why, why_len) < 0)
			return -1;
		qs = end != NULL ? end + 1 : NULL;
	}
	return hostile_numbers(a, why, why_len);
}

/* ---------------------------------------------------- process attacks */

/* kill&pid=P[&sig=N]: may this worker signal P? */
static void hostile_kill(const struct hostile_ctx *ctx)
{
	const struct hostile_args *a = ctx->args;

	hostile_report(ctx, hostile_errno(kill(a->pid, a->sig)), "kill(%ld, %d)", (long)a->pid,
	    a->sig);
}

/*
 * Reads path into hostile_data, HOSTILE_READ_MAX bytes at most, never
 * blocking on a FIFO or taking a terminal. Returns the byte count, or -1
 * with errno and *step naming the call that failed.
 */
static ssize_t hostile_slurp(const char *path, const char **step)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	size_t got = 0;
	ssize_t n = 0;
	int err;

	*step = "open";
	if (fd == -1)
		return -1;
	*step = "read";
	while (got < sizeof(hostile_data) &&
	    (n = read(fd, hostile_data + got, sizeof(hostile_data) - got)) > 0)
		got += (size_t)n;
	err = errno;
	close(fd);
	if (n == -1 && got == 0) {
		errno = err;
		return -1;
	}
	return (ssize_t)got;
}

/* environ&pid=P[&needle=S]: another process's environment, env_file secrets. */
static void hostile_environ(const struct hostile_ctx *ctx)
{
	const struct hostile_args *a = ctx->args;
	const char *needle = a->value[KEY_NEEDLE], *step, *verdict = "no needle given";
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)a->pid);
	n = hostile_slurp(path, &step);
	if (n < 0) {
		hostile_report(ctx, errno, "%s %s", step, path);
		return;
	}
	if ((a->present & NEED(KEY_NEEDLE)) != 0)
		verdict = memmem(hostile_data, (size_t)n, needle, strlen(needle)) != NULL ?
		    "needle found" : "needle not found";
	hostile_line(ctx, "SUCCEEDED read %zd bytes of %s, %s", n, path, verdict);
}

/* mem&pid=P: /proc/P/mem for writing, then for reading. */
static void hostile_mem(const struct hostile_ctx *ctx)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ O_RDWR, "O_RDWR" }, { O_RDONLY, "O_RDONLY" },
	};
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/mem", (long)ctx->args->pid);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		hostile_report(ctx, hostile_closed(open(path, modes[i].flags | O_CLOEXEC)),
		    "open %s %s", path, modes[i].name);
}

/*
 * Waits, HOSTILE_STOP_POLLS x 10 ms at most, for the tracee pid to stop.
 * Returns its wait status, or -1 when it did not stop (exited, or no stop
 * in time).
 */
static int hostile_wait_stop(pid_t pid)
{
	const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000L };

	for (int i = 0; i < HOSTILE_STOP_POLLS; i++) {
		int status;
		pid_t r = waitpid(pid, &status, __WALL | WNOHANG);

		if (r == pid)
			return WIFSTOPPED(status) ? status : -1;
		if (r == -1 && errno != EINTR)
			return -1;
		nanosleep(&tick, NULL);
	}
	return -1;
}

/*
 * Detaches from the stopped tracee pid (wait status, or -1 when it never
 * stopped). A signal it stopped for, other than the attach's SIGSTOP, is
 * handed back so the victim does not lose it. Returns "detached" or why not.
 */
static const char *hostile_detach(pid_t pid, int status)
{
	int sig = 0;

	if (status == -1)
		return "never stopped, so not detached";
	if ((status >> 16) == 0 && WSTOPSIG(status) != SIGSTOP)
		sig = WSTOPSIG(status);
	if (ptrace(PTRACE_DETACH, pid, NULL, (void *)(long)sig) == -1)
		return "detach failed";
	return "detached";
}

/* ptrace&pid=P: PTRACE_ATTACH, then PTRACE_SEIZE, each undone at once. */
static void hostile_ptrace(const struct hostile_ctx *ctx)
{
	pid_t pid = ctx->args->pid;
	const char *how;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == -1) {
		hostile_report(ctx, errno, "PTRACE_ATTACH %ld", (long)pid);
	} else {
		how = hostile_detach(pid, hostile_wait_stop(pid));
		/* Drops a SIGSTOP still pending from the attach (signal(7)). */
		kill(pid, SIGCONT);
		hostile_line(ctx, "SUCCEEDED PTRACE_ATTACH %ld (%s)", (long)pid, how);
	}
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) == -1) {
		hostile_report(ctx, errno, "PTRACE_SEIZE %ld", (long)pid);
		return;
	}
	how = ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == -1 ? "interrupt failed, not detached" :
	    hostile_detach(pid, hostile_wait_stop(pid));
	hostile_line(ctx, "SUCCEEDED PTRACE_SEIZE %ld (%s)", (long)pid, how);
}

/*
 * Finds the start of the first readable mapping in /proc/pid/maps. Returns
 * it, or 0 with errno (or EINVAL: no readable mapping listed).
 */
static uintptr_t hostile_first_mapping(pid_t pid)
{
	char path[64], line[512];
	uintptr_t start = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while (start == 0 && fgets(line, sizeof(line), f) != NULL) {
		/* "start-end perms offset dev inode path" (proc(5)) */
		const char *perms = strchr(line, ' ');

		if (perms != NULL && perms[1] == 'r')
			start = (uintptr_t)strtoull(line, NULL, 16);
	}
	if (start == 0)
		errno = ferror(f) ? errno : EINVAL;
	fclose(f);
	return start;
}

/* vmread&pid=P: process_vm_readv of a few bytes of P's memory. */
static void hostile_vmread(const struct hostile_ctx *ctx)
{
	pid_t pid = ctx->args->pid;
	uintptr_t addr = hostile_first_mapping(pid);
	char buf[HOSTILE_VMREAD_BYTES];
	struct iovec local = { .iov_base = buf, .iov_len = sizeof(buf) }, remote;
	ssize_t n;

	if (addr == 0) {
		hostile_line(ctx, "/proc/%ld/maps unreadable (%s), trying 0x%lx", (long)pid,
		    strerror(errno), HOSTILE_DEFAULT_ADDR);
		addr = HOSTILE_DEFAULT_ADDR;
	} else {
		hostile_line(ctx, "first readable mapping of %ld at 0x%lx", (long)pid,
		    (unsigned long)addr);
	}
	remote.iov_base = (void *)addr;
	remote.iov_len = sizeof(buf);
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n >= 0)
		hostile_line(ctx, "SUCCEEDED process_vm_readv read %zd bytes at 0x%lx of %ld", n,
		    (unsigned long)addr, (long)pid);
	else if (errno == EFAULT)
		hostile_line(ctx, "SUCCEEDED process_vm_readv of %ld was permitted (EFAULT: nothing "
		    "mapped at 0x%lx)", (long)pid, (unsigned long)addr);
	else
		hostile_report(ctx, errno, "process_vm_readv of %ld at 0x%lx", (long)pid,
		    (unsigned long)addr);
}

/* setuid&uid=U: become U (gatewayd's uid, root, another function's). */
static void hostile_setuid(const struct hostile_ctx *ctx)
{
	uid_t u = ctx->args->uid, r, e, s;

	if (getresuid(&r, &e, &s) == 0 && r == u && e == u && s == u) {
		hostile_line(ctx, "SUCCEEDED already uid %lu (real, effective, saved): no call "
		    "needed", (unsigned long)u);
		return;
	}
	hostile_report(ctx, hostile_errno(setresuid(u, u, u)), "setresuid(%lu, %lu, %lu)",
	    (unsigned long)u, (unsigned long)u, (unsigned long)u);
}

/* ------------------------------------------------------- file attacks */

/* read&path=X: the journal, another function's env_file, the pid file... */
static void hostile_read(const struct hostile_ctx *ctx)
{
	const char *path = ctx->args->value[KEY_PATH], *step;
	ssize_t n = hostile_slurp(path, &step);

	if (n < 0)
		hostile_report(ctx, errno, "%s %s O_RDONLY", step, path);
	else
		hostile_line(ctx, "SUCCEEDED read %zd bytes of %s%s", n, path,
		    n == HOSTILE_READ_MAX ? " (stopped there)" : "");
}

/* write&path=X: may this worker write X? Writes nothing to find out. */
static void hostile_write(const struct hostile_ctx *ctx)
{
	const char *path = ctx->args->value[KEY_PATH];
	int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int err;

	if (fd == -1) {
		hostile_report(ctx, errno, "open %s O_WRONLY|O_APPEND", path);
		return;
	}
	err = hostile_errno(write(fd, "", 0));
	close(fd);
	hostile_line(ctx, "SUCCEEDED open %s O_WRONLY|O_APPEND (write of 0 bytes: %s)", path,
	    err == 0 ? "ok" : strerror(err));
}

/* create&dir=D: a new file in D (gatewayd's run_dir), removed again. */
static void hostile_create(const struct hostile_ctx *ctx)
{
	char path[HOSTILE_VALUE_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/hostile.%ld", ctx->args->value[KEY_DIR], (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		hostile_report(ctx, errno, "create %s", path);
		return;
	}
	close(fd);
	hostile_line(ctx, "SUCCEEDED create %s (%s)", path,
	    unlink(path) == 0 ? "removed again" : "could not remove it");
}

/* unlink&path=X: remove the listen socket, a worker's socket... */
static void hostile_unlink(const struct hostile_ctx *ctx)
{
	const char *path = ctx->args->value[KEY_PATH];

	hostile_report(ctx, hostile_errno(unlink(path)), "unlink %s", path);
}

/* symlink&path=X&target=Y: plant a link where the pid file goes; removed again. */
static void hostile_symlink(const struct hostile_ctx *ctx)
{
	const char *path = ctx->args->value[KEY_PATH], *target = ctx->args->value[KEY_TARGET];

	if (symlink(target, path) == -1) {
		hostile_report(ctx, errno, "symlink %s -> %s", path, target);
		return;
	}
	hostile_line(ctx, "SUCCEEDED symlink %s -> %s (%s)", path, target,
	    unlink(path) == 0 ? "removed again" : "could not remove it");
}

/* rename&from=X&to=Y: move another function's or gatewayd's file; moved back. */
static void hostile_rename(const struct hostile_ctx *ctx)
{
	const char *from = ctx->args->value[KEY_FROM], *to = ctx->args->value[KEY_TO];

	if (rename(from, to) == -1) {
		hostile_report(ctx, errno, "rename %s -> %s", from, to);
		return;
	}
	hostile_line(ctx, "SUCCEEDED rename %s -> %s (%s)", from, to,
	    rename(to, from) == 0 ? "renamed back" : "could not rename it back");
}

/* ----------------------------------------------------- socket attacks */

/* Fills addr for path. Returns 0, or -1 when path does not fit sun_path. */
static int hostile_unix_address(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr->sun_path))
		return -1;
	memcpy(addr->sun_path, path, strlen(path) + 1);
	return 0;
}

/* bind&path=X: take over X (gatewayd's listen socket) so requests come here. */
static void hostile_bind(const struct hostile_ctx *ctx)
{
	const char *path = ctx->args->value[KEY_PATH];
	struct sockaddr_un addr;
	int fd;

	if (hostile_unix_address(path, &addr) < 0) {
		hostile_line(ctx, "skipped %s is too long for a unix socket", path);
		return;
	}
	hostile_report(ctx, hostile_errno(unlink(path)), "unlink %s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		hostile_report(ctx, errno, "socket(AF_UNIX, SOCK_STREAM)");
		return;
	}
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1 || listen(fd, 1) == -1) {
		hostile_report(ctx, errno, "bind+listen %s", path);
		close(fd);
		return;
	}
	close(fd);
	hostile_line(ctx, "SUCCEEDED bind+listen %s (%s)", path,
	    unlink(path) == 0 ? "closed and removed again" : "closed, could not remove it");
}

/* connect&path=X: talk to another worker, or to gatewayd as if nginx. */
static void hostile_connect(const struct hostile_ctx *ctx)
{
	const char *path = ctx->args->value[KEY_PATH];
	struct sockaddr_un addr;
	int fd, err;

	if (hostile_unix_address(path, &addr) < 0) {
		hostile_line(ctx, "skipped %s is too long for a unix socket", path);
		return;
	}
	/* Non-blocking: a full backlog must not hang the request. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		hostile_report(ctx, errno, "socket(AF_UNIX, SOCK_STREAM)");
		return;
	}
	err = hostile_errno(connect(fd, (struct sockaddr *)&addr, sizeof(addr)));
	close(fd);
	if (err == EAGAIN)
		hostile_line(ctx, "SUCCEEDED connect %s was permitted (EAGAIN: its backlog is full)",
		    path);
	else
		hostile_report(ctx, err, "connect %s", path);
}

/* vsock: a socket towards the hypervisor host's services. */
static void hostile_vsock(const struct hostile_ctx *ctx)
{
	hostile_report(ctx, hostile_closed(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0)),
	    "socket(AF_VSOCK, SOCK_STREAM)");
}

/* netlink: a routing socket (interfaces, addresses, routes of this host). */
static void hostile_netlink(const struct hostile_ctx *ctx)
{
	hostile_report(ctx,
	    hostile_closed(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)),
	    "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)");
}

/*
 * Writes fd 0's unix socket path into path (cap bytes), an abstract name
 * with a leading '@'. Returns 0, or an errno (EAFNOSUPPORT: not AF_UNIX).
 */
static int hostile_own_sockname(char *path, size_t cap)
{
	struct sockaddr_un addr;
	socklen_t len = sizeof(addr);
	size_t n;

	memset(&addr, 0, sizeof(addr));
	if (getsockname(0, (struct sockaddr *)&addr, &len) == -1)
		return errno;
	if (addr.sun_family != AF_UNIX)
		return EAFNOSUPPORT;
	n = len > offsetof(struct sockaddr_un, sun_path) ?
	    len - offsetof(struct sockaddr_un, sun_path) : 0;
	if (n > 0 && addr.sun_path[0] == '\0')
		snprintf(path, cap, "@%.*s", (int)(n - 1), addr.sun_path + 1);
	else
		snprintf(path, cap, "%.*s", (int)strnlen(addr.sun_path, n), addr.sun_path);
	return 0;
}

/*
 * Finds the runs of 8 to 16 hex digits in s (an address printed with %lx
 * has up to 16; longer runs cannot be one). Stores up to max of them in
 * runs, as text in text[i] (17 bytes each) and as numbers. Returns how many.
 */
static size_t hostile_hex_runs(const char *s, uintptr_t *runs, char (*text)[17], size_t max)
{
	size_t count = 0;

	while (*s != '\0' && count < max) {
		size_t n = strspn(s, "0123456789abcdefABCDEF");

		if (n >= 8 && n <= 16) {
			memcpy(text[count], s, n);
			text[count][n] = '\0';
			runs[count] = (uintptr_t)strtoull(text[count], NULL, 16);
			count++;
		}
		s += n > 0 ? n : 1;
	}
	return count;
}

/* sockname: does fd 0's name tell this worker about gatewayd's memory? */
static void hostile_sockname(const struct hostile_ctx *ctx)
{
	uintptr_t runs[HOSTILE_MAX_HEX_RUNS];
	char path[HOSTILE_SOCKNAME_MAX];
	char text[HOSTILE_MAX_HEX_RUNS][17];
	size_t n;
	int err = hostile_own_sockname(path, sizeof(path));

	if (err != 0) {
		hostile_report(ctx, err, "getsockname(0) of a unix socket");
		return;
	}
	hostile_line(ctx, "%s", path);
	n = hostile_hex_runs(path, runs, text, HOSTILE_MAX_HEX_RUNS);
	for (size_t i = 0; i < n; i++)
		hostile_line(ctx, "SUCCEEDED leaks a pointer-like hex number 0x%s", text[i]);
	if (n == 0)
		hostile_line(ctx, "refused no pointer in the socket name");
}

/* ------------------------------------------------- sandbox bypasses */

/*
 * Maps the page(s) holding addr (MAP_FIXED_NOREPLACE: never over our own
 * memory), copies "/bin/true" to addr and execs it from there, the exact
 * pointer value the strict filter allows. Returns 1 when execve was tried
 * (and returned: its line is written), 0 when the page could not be mapped.
 */
static int hostile_exec_at(const struct hostile_ctx *ctx, uintptr_t addr, const char *source)
{
	static const char prog[] = "/bin/true";
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t base = addr & ~(page - 1);
	size_t len = (size_t)(((addr - base) + sizeof(prog) + page - 1) & ~(page - 1));
	char *argv[] = { (char *)"/bin/true", NULL };
	void *m;
	int err;

	m = mmap((void *)base, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED || m != (void *)base) {
		err = m == MAP_FAILED ? errno : EEXIST;
		if (m != MAP_FAILED)	/* a kernel that ignores the flag */
			munmap(m, len);
		hostile_line(ctx, "skipped 0x%lx (%s): cannot map its page: %s",
		    (unsigned long)addr, source, strerror(err));
		return 0;
	}
	memcpy((void *)addr, prog, sizeof(prog));
	err = hostile_errno(execve((const char *)addr, argv, environ));
	munmap(m, len);
	hostile_report(ctx, err, "execve of \"/bin/true\" at 0x%lx (%s)", (unsigned long)addr,
	    source);
	return 1;
}

/*
 * exec2[&addr=0xHEX]: a second exec under strict, from every address that
 * could be the pointer its filter allows, then the ordinary ways.
 */
static void hostile_exec2(const struct hostile_ctx *ctx)
{
	uintptr_t runs[HOSTILE_MAX_HEX_RUNS];
	char path[HOSTILE_SOCKNAME_MAX];
	char text[HOSTILE_MAX_HEX_RUNS][17];
	char *argv[] = { (char *)"/bin/true", NULL };
	size_t n = 0;
	int tried = 0;

	if (hostile_own_sockname(path, sizeof(path)) == 0)
		n = hostile_hex_runs(path, runs, text, HOSTILE_MAX_HEX_RUNS);
	for (size_t i = 0; i < n; i++)
		tried += hostile_exec_at(ctx, runs[i], "from the socket name");
	if ((ctx->args->present & NEED(KEY_ADDR)) != 0)
		tried += hostile_exec_at(ctx, ctx->args->addr, "from addr=");
	if (tried == 0)
		hostile_line(ctx, "refused no candidate address could be tried (%zu in the socket "
		    "name%s)", n, (ctx->args->present & NEED(KEY_ADDR)) != 0 ? ", plus addr=" : "");
	hostile_report(ctx, hostile_errno(execve("/bin/true", argv, environ)),
	    "execve(\"/bin/true\") from an ordinary string");
	hostile_report(ctx, hostile_errno(execveat(AT_FDCWD, "/bin/true", argv, environ, 0)),
	    "execveat(AT_FDCWD, \"/bin/true\")");
}

/* newsyscall: a call younger than the filter's library (see the header). */
static void hostile_newsyscall(const struct hostile_ctx *ctx)
{
#if defined(__x86_64__)
	uint32_t word = 0;
	/* futex_wake(uaddr, mask, nr, flags): wake at most 1 waiter, any bit. */
	long rc = syscall(HOSTILE_FUTEX_WAKE, &word, 0xffffffffUL, 1, HOSTILE_FUTEX2_SIZE_U32);
	int err = rc == -1 ? errno : 0;

	if (err == 0 || err == ENOSYS || err == EPERM)
		hostile_report(ctx, err, "futex_wake (%d) returned %ld", HOSTILE_FUTEX_WAKE, rc);
	else
		hostile_line(ctx, "SUCCEEDED futex_wake (%d) reached the kernel (%s)",
		    HOSTILE_FUTEX_WAKE, strerror(err));
#else
	hostile_line(ctx, "skipped futex_wake's number is only checked on x86_64");
#endif
}

/* ------------------------------------------------------ terminal attacks */

/* The fields of /proc/self/stat whoami and tty show. */
struct hostile_stat {
	long ppid, pgid, sid;
	int tty_nr;				/* 0: no controlling terminal */
};

/*
 * Reads /proc/self/stat fields 4..7 (proc(5)); they follow the last ')',
 * since the command name may hold spaces and parentheses. Returns 0 or -1.
 */
static int hostile_read_stat(struct hostile_stat *st)
{
	char line[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	int ok;

	if (f == NULL)
		return -1;
	ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	if (!ok || (p = strrchr(line, ')')) == NULL)
		return -1;
	return sscanf(p + 1, " %*c %ld %ld %ld %d", &st->ppid, &st->pgid, &st->sid,
	    &st->tty_nr) == 4 ? 0 : -1;
}

/* tty[&inject=1]: the controlling terminal, if gatewayd left us one. */
static void hostile_tty(const struct hostile_ctx *ctx)
{
	struct hostile_stat st;
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd == -1) {
		hostile_report(ctx, errno, "open /dev/tty O_RDWR|O_NOCTTY");
	} else if (ctx->args->inject) {
		hostile_report(ctx, hostile_errno(ioctl(fd, TIOCSTI, "\n")),
		    "TIOCSTI of \"\\n\" into /dev/tty (the controlling terminal)");
	} else {
		hostile_line(ctx, "SUCCEEDED open /dev/tty O_RDWR|O_NOCTTY (TIOCSTI not tried "
		    "without inject=1)");
	}
	if (fd != -1)
		close(fd);
	if (hostile_read_stat(&st) < 0)
		hostile_line(ctx, "cannot read /proc/self/stat");
	else
		hostile_line(ctx, "tty_nr=%d (major %d minor %d) sid=%ld", st.tty_nr,
		    (st.tty_nr >> 8) & 0xfff, (st.tty_nr & 0xff) | ((st.tty_nr >> 12) & 0xfff00),
		    st.sid);
}

/* Opens every /dev/pts/N O_RDWR|O_NOCTTY (another user's terminal), closed at once. */
static void hostile_open_pts(const struct hostile_ctx *ctx)
{
	DIR *d = opendir("/dev/pts");
	struct dirent *e;
	int tried = 0;

	if (d == NULL) {
		hostile_line(ctx, "cannot list /dev/pts: %s", strerror(errno));
		return;
	}
	while (tried < HOSTILE_MAX_PTS && (e = readdir(d)) != NULL) {
		char path[300];

		if (e->d_name[0] == '\0' || strspn(e->d_name, "0123456789") != strlen(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/dev/pts/%s", e->d_name);
		hostile_report(ctx, hostile_closed(open(path, O_RDWR | O_NOCTTY | O_NONBLOCK |
		    O_CLOEXEC)), "open %s O_RDWR|O_NOCTTY", path);
		tried++;
	}
	closedir(d);
	if (tried == 0)
		hostile_line(ctx, "no /dev/pts/N to open");
}

/* tiocsti: push "\n" into every terminal among our descriptors. */
static void hostile_tiocsti(const struct hostile_ctx *ctx)
{
	const char c = '\n';
	int ttys = 0;

	for (int fd = 0; fd < HOSTILE_MAX_FD; fd++) {
		if (fcntl(fd, F_GETFD) == -1 || !isatty(fd))
			continue;
		hostile_report(ctx, hostile_errno(ioctl(fd, TIOCSTI, &c)),
		    "TIOCSTI of \"\\n\" into fd %d", fd);
		ttys++;
	}
	if (ttys == 0)
		hostile_line(ctx, "no tty fd among 0..%d", HOSTILE_MAX_FD - 1);
	hostile_open_pts(ctx);
}

/* --------------------------------------------------------- information */

/* Writes the lines of /proc/self/status whoami shows. */
static void hostile_status_lines(const struct hostile_ctx *ctx)
{
	static const char *const wanted[] = {
		"CapEff:", "CapPrm:", "CapBnd:", "NoNewPrivs:", "Seccomp:",
	};
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];

	if (f == NULL) {
		hostile_line(ctx, "cannot read /proc/self/status: %s", strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
			if (strncmp(line, wanted[i], strlen(wanted[i])) == 0)
				hostile_line(ctx, "%s", line);
	}
	fclose(f);
}

/* whoami: who this worker is, to read next to the attacks' outcomes. */
static void hostile_whoami(const struct hostile_ctx *ctx)
{
	gid_t groups[HOSTILE_MAX_GROUPS];
	char list[HOSTILE_MAX_GROUPS * 12] = "", cwd[PATH_MAX];
	struct hostile_stat st = { .ppid = -1, .pgid = -1, .sid = -1, .tty_nr = -1 };
	int n = getgroups(HOSTILE_MAX_GROUPS, groups);
	size_t used = 0;

	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%ld", i > 0 ? "," : "",
		    (long)groups[i]);
	hostile_line(ctx, "uid=%ld gid=%ld groups=%s", (long)getuid(), (long)getgid(), list);
	hostile_read_stat(&st);
	hostile_line(ctx, "pid=%ld ppid=%ld sid=%ld pgid=%ld tty_nr=%d", (long)getpid(),
	    (long)getppid(), (long)getsid(0), (long)getpgrp(), st.tty_nr);
	hostile_status_lines(ctx);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		snprintf(cwd, sizeof(cwd), "(error %s)", strerror(errno));
	hostile_line(ctx, "cwd=%s", cwd);
}

/* ------------------------------------------------------------ dispatch */

#define PID NEED(KEY_PID)
#define PATH NEED(KEY_PATH)

/* The attacks ?attack= can name, but all (which runs a list of them). */
static const struct hostile_attack hostile_attacks[] = {
	{ "kill", PID, hostile_kill },
	{ "environ", PID, hostile_environ },
	{ "mem", PID, hostile_mem },
	{ "ptrace", PID, hostile_ptrace },
	{ "vmread", PID, hostile_vmread },
	{ "read", PATH, hostile_read },
	{ "write", PATH, hostile_write },
	{ "create", NEED(KEY_DIR), hostile_create },
	{ "unlink", PATH, hostile_unlink },
	{ "bind", PATH, hostile_bind },
	{ "connect", PATH, hostile_connect },
	{ "symlink", PATH | NEED(KEY_TARGET), hostile_symlink },
	{ "rename", NEED(KEY_FROM) | NEED(KEY_TO), hostile_rename },
	{ "tty", 0, hostile_tty },
	{ "tiocsti", 0, hostile_tiocsti },
	{ "vsock", 0, hostile_vsock },
	{ "netlink", 0, hostile_netlink },
	{ "newsyscall", 0, hostile_newsyscall },
	{ "sockname", 0, hostile_sockname },
	{ "exec2", 0, hostile_exec2 },
	{ "setuid", NEED(KEY_UID), hostile_setuid },
	{ "whoami", 0, hostile_whoami },
	{ NULL, 0, NULL },
};

#undef PID
#undef PATH

/* Returns the attack named by the len bytes at name, or NULL. */
static const struct hostile_attack *hostile_find(const char *name, size_t len)
{
	for (const struct hostile_attack *a = hostile_attacks; a->name != NULL; a++)
		if (strlen(a->name) == len && strncmp(name, a->name, len) == 0)
			return a;
	return NULL;
}

/*
 * Checks that attack has every parameter it needs. Returns 0, or -1 with
 * the first missing one named in why.
 */
static int hostile_check_needs(const struct hostile_attack *attack, unsigned present,
    char *why, size_t why_len)
{
	unsigned missing = attack->needs & ~present;

	for (int k = 0; k < KEY_COUNT; k++) {
		if ((missing & NEED(k)) != 0) {
			snprintf(why, why_len, "%s needs %s=", attack->name, hostile_key_names[k]);
			return -1;
		}
	}
	return 0;
}

/*
 * Fills plan with the attacks the request names: attack=NAME, or for
 * attack=all each name of list= in turn. Returns how many (1 or more), or
 * 0 with why filled: an unknown name, too many, a parameter one needs.
 */
static size_t hostile_plan(const struct hostile_args *a, const struct hostile_attack **plan,
    char *why, size_t why_len)
{
	const char *names = a->value[KEY_ATTACK];
	size_t count = 0;

	if ((a->present & NEED(KEY_ATTACK)) == 0) {
		snprintf(why, why_len, "attack=NAME required");
		return 0;
	}
	if (strcmp(names, "all") == 0) {
		names = a->value[KEY_LIST];
		if ((a->present & NEED(KEY_LIST)) == 0 || *names == '\0') {
			snprintf(why, why_len, "attack=all needs list=A,B,...");
			return 0;
		}
	}
	while (names != NULL) {
		const char *comma = strchr(names, ',');
		size_t len = comma != NULL ? (size_t)(comma - names) : strlen(names);
		const struct hostile_attack *attack = hostile_find(names, len);

		if (attack == NULL) {
			snprintf(why, why_len, "unknown attack '%.*s'", (int)len, names);
			return 0;
		}
		if (count == HOSTILE_MAX_LIST) {
			snprintf(why, why_len, "more than %d attacks in list=", HOSTILE_MAX_LIST);
			return 0;
		}
		if (hostile_check_needs(attack, a->present, why, why_len) < 0)
			return 0;
		plan[count++] = attack;
		names = comma != NULL ? comma + 1 : NULL;
	}
	return count;
}

/* Handles one request: parses it, runs its attacks, sends what they found. */
static void hostile_handle(FCGX_Request *req)
{
	static struct hostile_args args;
	static struct hostile_out out;
	const struct hostile_attack *plan[HOSTILE_MAX_LIST];
	const char *qs = FCGX_GetParam("QUERY_STRING", req->envp);
	char why[HOSTILE_VALUE_MAX + 128];
	size_t n;

	memset(&args, 0, sizeof(args));
	out.len = 0;
	out.truncated = 0;
	if (hostile_parse(qs, &args, why, sizeof(why)) < 0 ||
	    (n = hostile_plan(&args, plan, why, sizeof(why))) == 0) {
		hostile_status(req, "400 Bad Request", why);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct hostile_ctx ctx = { plan[i]->name, &args, &out };

		plan[i]->run(&ctx);
	}
	hostile_send(req, &out);
}

int main(void)
{
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;

	/* FCGX_Accept_r() returns < 0 when the listening socket is closed. */
	while (FCGX_Accept_r(&req) >= 0)
		hostile_handle(&req);

	FCGX_Free(&req, 1);
	return 0;
}
