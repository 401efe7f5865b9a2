/*
 * syscall_filter.c: builds a function's system-call filter from const tables of
 * named groups and loads it in the worker right before exec.
 *
 * A policy is reduced to one verdict per system call number (allow, deny,
 * fail with ENOSYS, or "decided by argument rules"), in this order, each step
 * overriding the ones before: the profile's argument rules and ENOSYS calls,
 * the profile's listed names and groups, seccomp.allow, seccomp.deny (so deny
 * wins). The verdicts then become libseccomp rules over the profile's default
 * action: allow for "default", the policy's deny action for the allowlists.
 */
#include "syscall_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#define VERDICTS_MAX	1024	/* distinct system calls one policy may name */
#define NAME_MAX_LEN	64	/* longest syscall or group name, with the NUL */
#define GROUP_DEPTH_MAX	4	/* groups including groups including groups... */
#define FILE_LINE_MAX	512	/* longest profile file line, with the newline */

/* What one system call ends up as. */
enum verdict {
	VERDICT_ALLOW,		/* allowed whatever its arguments */
	VERDICT_DENY,		/* the policy's action: kill or EPERM */
	VERDICT_ENOSYS,		/* fails with ENOSYS, so libc falls back to an older call */
	VERDICT_ARGS,		/* decided by the profile's argument rules */
};

/* One argument rule: `syscall` gets `action` when arg `arg` compares true. */
struct arg_rule {
	const char *syscall;
	unsigned int arg;		/* 0..5 */
	enum scmp_compare op;		/* SCMP_CMP_EQ or SCMP_CMP_MASKED_EQ */
	scmp_datum_t mask;		/* for SCMP_CMP_MASKED_EQ */
	scmp_datum_t value;		/* ignored when value_is_exec_path */
	bool value_is_exec_path;	/* compare with the policy->exec_path pointer */
	bool deny;			/* the policy's deny action, else allow */
};

struct profile {
	const char *name;
	bool allow_by_default;		/* listed names are denied, not allowed */
	const char *const *listed;	/* names and @groups; NULL for a profile file */
	const char *const *enosys;	/* calls that fail with ENOSYS unless named */
	const struct arg_rule *rules;	/* terminated by a NULL syscall */
};

/*
 * The compiled program, made once in the parent: the child loads it with
 * one seccomp(2) call, with no allocation and no libseccomp work between
 * fork and exec (libseccomp's own load recompiles the filter every time, a
 * millisecond per spawn for strict).
 */
static int filter_compile(scmp_filter_ctx ctx, struct sock_fprog *program);

struct syscall_filter {
	struct sock_fprog program;
};

/* The verdicts of one policy while it is being built. */
struct build {
	size_t n;
	struct {
		int nr;
		enum verdict verdict;
	} calls[VERDICTS_MAX];
	char *err;
	size_t err_len;
};

/* ---- the groups ---------------------------------------------------------- */

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/*
 * Names a libseccomp or an architecture does not know are skipped here
 * (mmap2, socketcall, vm86... exist on some architectures only), so the
 * tables can list every spelling; tests/check_syscall_filter.c checks that each
 * name is known to the libseccomp it is built with.
 */
const struct syscall_group syscall_groups[] = {
	{ "@default", "what every program does: its ids, time, futexes, thread set-up, exit", NAMES(
	    "arch_prctl", "clock_getres", "clock_getres_time64", "clock_gettime",
	    "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "exit",
	    "exit_group", "futex", "futex_time64", "futex_waitv", "get_robust_list",
	    "get_thread_area", "getcpu", "getegid", "getegid32", "geteuid", "geteuid32",
	    "getgid", "getgid32", "getgroups", "getgroups32", "getpgid", "getpgrp", "getpid",
	    "getppid", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
	    "getrlimit", "getrusage", "getsid", "gettid", "gettimeofday", "getuid", "getuid32",
	    "membarrier", "nanosleep", "pause", "restart_syscall", "rseq", "rt_sigreturn",
	    "sched_getaffinity", "sched_yield", "set_robust_list", "set_thread_area",
	    "set_tid_address", "set_tls", "sigreturn", "sysinfo", "time", "times", "ugetrlimit",
	    "uname") },
	{ "@basic-io", "read, write, seek, duplicate, control and close open descriptors", NAMES(
	    "_llseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl", "fcntl64",
	    "lseek", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
	    "readv", "sendfile", "sendfile64", "splice", "write", "writev") },
	{ "@file-read", "look at files and directories without opening or changing them", NAMES(
	    "access", "chdir", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fchdir",
	    "fgetxattr", "flistxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
	    "getcwd", "getdents", "getdents64", "getxattr", "lgetxattr", "listxattr",
	    "llistxattr", "lstat", "lstat64", "newfstatat", "readahead", "readlink",
	    "readlinkat", "stat", "stat64", "statfs", "statfs64", "statx") },
	{ "@file-system", "@file-read, open in any mode, create, change and remove files", NAMES(
	    "@file-read", "chmod", "chown", "chown32", "copy_file_range", "creat", "fallocate",
	    "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fdatasync", "flock",
	    "fremovexattr", "fsetxattr", "fsync", "ftruncate", "ftruncate64", "futimesat",
	    "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "lchown",
	    "lchown32", "link", "linkat", "lremovexattr", "lsetxattr", "mkdir", "mkdirat",
	    "mknod", "mknodat", "open", "openat", "openat2", "removexattr", "rename",
	    "renameat", "renameat2", "rmdir", "setxattr", "symlink", "symlinkat", "sync",
	    "sync_file_range", "syncfs", "truncate", "truncate64", "umask", "unlink",
	    "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes") },
	{ "@io-event", "wait for descriptors: poll, select, epoll, eventfd", NAMES(
	    "_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
	    "eventfd2", "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64",
	    "select") },
	{ "@ipc", "pipes, SysV and POSIX message queues, semaphores, shared memory", NAMES(
	    "ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
	    "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget",
	    "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget") },
	{ "@socket-io", "use sockets already open: accept, receive, send, options, shut down", NAMES(
	    "accept", "accept4", "getpeername", "getsockname", "getsockopt", "recv", "recvfrom",
	    "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto",
	    "setsockopt", "shutdown") },
	{ "@network-io", "@socket-io and making sockets: socket, connect, bind, listen", NAMES(
	    "@socket-io", "bind", "connect", "listen", "socket", "socketcall", "socketpair") },
	{ "@process", "make, run, signal and reap processes: fork, clone, execve, kill, wait", NAMES(
	    "capget", "clone", "clone3", "execve", "execveat", "fork", "kill", "pidfd_open",
	    "pidfd_send_signal", "prctl", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "setpgid",
	    "setsid", "tgkill", "tkill", "vfork", "wait4", "waitid", "waitpid") },
	{ "@resources", "resource limits, priorities, CPU affinity", NAMES(
	    "getpriority", "ioprio_get", "ioprio_set", "prlimit64", "sched_get_priority_max",
	    "sched_get_priority_min", "sched_getattr", "sched_getparam", "sched_getscheduler",
	    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
	    "sched_setattr", "sched_setparam", "sched_setscheduler", "setpriority",
	    "setrlimit") },
	{ "@signal", "handle, block and wait for signals", NAMES(
	    "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend",
	    "rt_sigtimedwait", "rt_sigtimedwait_time64", "sigaction", "sigaltstack", "signal",
	    "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigsuspend") },
	{ "@timer", "alarms, interval timers, POSIX timers, timerfd", NAMES(
	    "alarm", "getitimer", "setitimer", "timer_create", "timer_delete",
	    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
	    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	    "timerfd_settime", "timerfd_settime64") },
	{ "@memory", "map, protect, advise and release memory", NAMES(
	    "brk", "madvise", "mincore", "mmap", "mmap2", "mprotect", "mremap", "msync",
	    "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect") },
	{ "@memlock", "lock memory into RAM", NAMES(
	    "mlock", "mlock2", "mlockall", "munlock", "munlockall") },
	{ "@setuid", "change user and group ids (the worker already runs as its user)", NAMES(
	    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
	    "setgroups", "setgroups32", "setregid", "setregid32", "setresgid", "setresgid32",
	    "setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32") },
	/* The groups the default profile denies. */
	{ "@bpf", "load BPF programs and maps", NAMES("bpf") },
	{ "@clock", "set the system clock", NAMES(
	    "adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64",
	    "settimeofday", "stime") },
	{ "@cpu-emulation", "execution domains and CPU emulation: personality, vm86, modify_ldt", NAMES(
	    "modify_ldt", "personality", "subpage_prot", "switch_endian", "vm86", "vm86old") },
	{ "@debug", "trace and inspect other processes: ptrace, process_vm_*, perf, kcmp", NAMES(
	    "kcmp", "lookup_dcookie", "perf_event_open", "pidfd_getfd", "process_madvise", "process_vm_readv",
	    "process_vm_writev", "ptrace", "rtas", "s390_runtime_instr",
	    "sys_debug_setcontext") },
	{ "@file-handle", "open files by handle, around the directory permissions", NAMES(
	    "name_to_handle_at", "open_by_handle_at") },
	{ "@keyring", "the kernel's key store", NAMES("add_key", "keyctl", "request_key") },
	{ "@module", "load and unload kernel modules", NAMES(
	    "create_module", "delete_module", "finit_module", "get_kernel_syms", "init_module",
	    "query_module") },
	{ "@mount", "mount, unmount, change the root", NAMES(
	    "chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr",
	    "move_mount", "open_tree", "pivot_root", "umount", "umount2") },
	{ "@namespace", "enter or make namespaces (the profiles check clone's flags too)", NAMES(
	    "setns", "unshare") },
	{ "@numa", "NUMA memory placement", NAMES(
	    "get_mempolicy", "mbind", "migrate_pages", "move_pages", "set_mempolicy",
	    "set_mempolicy_home_node") },
	{ "@obsolete", "calls no current program needs", NAMES(
	    "_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime",
	    "get_kernel_syms", "getpmsg", "gtty", "idle", "lock", "mpx", "nfsservctl", "prof",
	    "profil", "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stime",
	    "stty", "sysfs", "tuxcall", "uselib", "ustat", "vserver") },
	{ "@privileged", "administration and exploit helpers: acct, quotas, syslog, userfaultfd", NAMES(
	    "acct", "fanotify_init", "quotactl", "setdomainname", "sethostname", "syslog",
	    "userfaultfd", "vhangup") },
	{ "@raw-io", "raw port and PCI access", NAMES(
	    "ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write",
	    "s390_pci_mmio_read", "s390_pci_mmio_write") },
	{ "@reboot", "reboot, or boot another kernel", NAMES(
	    "kexec_file_load", "kexec_load", "reboot") },
	{ "@swap", "turn swap on and off", NAMES("swapoff", "swapon") },
	{ "@io-uring", "io_uring rings: much kernel surface; fail with ENOSYS unless allowed", NAMES(
	    "io_uring_enter", "io_uring_register", "io_uring_setup") },
	{ NULL, NULL, NULL },
};

/* ---- the profiles -------------------------------------------------------- */

/* clone's flags are its first argument, but its second on s390. */
#if defined(__s390__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

#define OPEN_WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/*
 * The one execve() a worker makes: allowed only when its path argument is the
 * very pointer policy->exec_path. The forked child inherits gatewayd's memory,
 * so its execve(exec_path, ...) passes that value; the new image has a fresh,
 * randomized address space, and an execve of its own would have to pass that
 * exact number, which lives in gatewayd and which the image never sees, so a
 * later exec is refused. A rule on the pointer, not the path: seccomp cannot
 * read memory, and a path check would race with other threads anyway.
 */
#define EXEC_ONCE_RULE { "execve", 0, SCMP_CMP_EQ, 0, 0, true, false }

#define ALLOW_IF_EQ(call, arg, val) { call, arg, SCMP_CMP_EQ, 0, (val), false, false }

/* Allow-by-default: no new namespaces through clone's flags (unshare is in
 * @namespace). CLONE_NEWTIME is left out: in clone() that bit is part of the
 * exit signal; it exists for clone3, which fails with ENOSYS. */
static const struct arg_rule default_rules[] = {
#define DENY_FLAG(flag) { "clone", CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, (flag), (flag), false, true }
	DENY_FLAG(CLONE_NEWNS), DENY_FLAG(CLONE_NEWCGROUP), DENY_FLAG(CLONE_NEWUTS),
	DENY_FLAG(CLONE_NEWIPC), DENY_FLAG(CLONE_NEWUSER), DENY_FLAG(CLONE_NEWPID),
	DENY_FLAG(CLONE_NEWNET),
#undef DENY_FLAG
	{ NULL, 0, 0, 0, 0, false, false },
};

static const struct arg_rule strict_rules[] = {
	EXEC_ONCE_RULE,
	/* Read-only opens: O_RDONLY is 0, so "none of the write flags". */
	{ "open", 1, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0, false, false },
	{ "openat", 2, SCMP_CMP_MASKED_EQ, OPEN_WRITE_FLAGS, 0, false, false },
	/* Threads, not processes, and no namespaces: CLONE_THREAD set, no CLONE_NEW*. */
	{ "clone", CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_NS_FLAGS, CLONE_THREAD,
	  false, false },
	/* isatty(), terminal size, non-blocking mode, close-on-exec, bytes ready. */
	ALLOW_IF_EQ("ioctl", 1, TCGETS), ALLOW_IF_EQ("ioctl", 1, TIOCGWINSZ),
	ALLOW_IF_EQ("ioctl", 1, FIONREAD), ALLOW_IF_EQ("ioctl", 1, FIONBIO),
	ALLOW_IF_EQ("ioctl", 1, FIOCLEX), ALLOW_IF_EQ("ioctl", 1, FIONCLEX),
	/* Thread names and the names of anonymous mappings (PHP's allocator). */
	ALLOW_IF_EQ("prctl", 0, PR_SET_NAME), ALLOW_IF_EQ("prctl", 0, PR_GET_NAME),
	ALLOW_IF_EQ("prctl", 0, PR_SET_VMA),
	/* getrlimit() through prlimit64(0, resource, NULL, &old): no new limit. */
	ALLOW_IF_EQ("prlimit64", 2, 0),
	{ NULL, 0, 0, 0, 0, false, false },
};

static const struct arg_rule file_rules[] = {
	EXEC_ONCE_RULE,
	{ NULL, 0, 0, 0, 0, false, false },
};

/* clone3 and openat2 pass their flags behind a pointer seccomp cannot read;
 * with ENOSYS, glibc falls back to clone and openat, which it can. Programs
 * that try io_uring (libuv does) fall back to plain calls the same way. */
static const char *const enosys_calls[] = { "clone3", "openat2", "@io-uring", NULL };

static const struct profile profile_default = {
	"default", true, NAMES(
	    "@bpf", "@clock", "@cpu-emulation", "@debug", "@file-handle", "@keyring", "@module",
	    "@mount", "@namespace", "@numa", "@obsolete", "@privileged", "@raw-io", "@reboot",
	    "@swap"),
	NAMES("clone3", "@io-uring"), default_rules,
};

static const struct profile profile_strict = {
	"strict", false, NAMES(
	    "@default", "@basic-io", "@file-read", "@io-event", "@memory", "@signal",
	    "@socket-io", "@timer", "pipe", "pipe2"),
	enosys_calls, strict_rules,
};

/* A profile file: its names are the allowlist. */
static const struct profile profile_file = { "file", false, NULL, enosys_calls, file_rules };

/* ---- building ------------------------------------------------------------ */

static int set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct syscall_group *group_find(const char *name)
{
	for (const struct syscall_group *g = syscall_groups; g->name != NULL; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

/* Returns the index of system call nr in b->calls, or b->n when it has no verdict. */
static size_t verdict_find(const struct build *b, int nr)
{
	size_t i;

	for (i = 0; i < b->n && b->calls[i].nr != nr; i++)
		;
	return i;
}

/* Sets the verdict of system call nr, adding it if new. Returns 0 or -1. */
static int verdict_set(struct build *b, int nr, enum verdict verdict)
{
	size_t i = verdict_find(b, nr);

	if (i == b->n) {
		if (b->n == VERDICTS_MAX)
			return set_err(b->err, b->err_len, "more than %d system calls named",
			    VERDICTS_MAX);
		b->calls[b->n++].nr = nr;
	}
	b->calls[i].verdict = verdict;
	return 0;
}

/* Reports a bad name as "where: what 'name'", or "where:line: ..." in a file. */
static int name_err(struct build *b, const char *where, unsigned int line, const char *what,
    const char *name)
{
	if (line == 0)
		return set_err(b->err, b->err_len, "%s: %s '%s'", where, what, name);
	return set_err(b->err, b->err_len, "%s:%u: %s '%s'", where, line, what, name);
}

/*
 * Gives name (a system call or an @group, expanded) the verdict. A name
 * libseccomp does not know is an error when the user wrote it (where says
 * where: "seccomp.allow", a file name; line is its line or 0) and skipped in
 * the built-in tables; a call this architecture lacks is skipped either way.
 */
static int name_apply(struct build *b, const char *name, enum verdict verdict, bool builtin,
    const char *where, unsigned int line, int depth)
{
	const struct syscall_group *g;
	int nr;

	if (name[0] == '@') {
		g = group_find(name);
		if (g == NULL)
			return name_err(b, where, line, "unknown group", name);
		if (depth == GROUP_DEPTH_MAX)
			return set_err(b->err, b->err_len, "group '%s' nested too deep", name);
		for (const char *const *s = g->syscalls; *s != NULL; s++)
			if (name_apply(b, *s, verdict, true, where, line, depth + 1) != 0)
				return -1;
		return 0;
	}
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR && !builtin)
		return name_err(b, where, line, "unknown system call", name);
	if (nr < 0)
		return 0;
	return verdict_set(b, nr, verdict);
}

/*
 * Applies every name in list (separated by blanks and commas) with the
 * verdict, adding the number of names to *count. Returns 0 or -1.
 */
static int list_apply(struct build *b, const char *list, enum verdict verdict,
    const char *where, unsigned int line, size_t *count)
{
	static const char separators[] = " \t\r\n,";
	char name[NAME_MAX_LEN];
	size_t len;

	for (list += strspn(list, separators); *list != '\0'; list += strspn(list, separators)) {
		len = strcspn(list, separators);
		memcpy(name, list, len < sizeof(name) ? len : sizeof(name) - 1);
		name[len < sizeof(name) ? len : sizeof(name) - 1] = '\0';
		if (len >= sizeof(name))
			return name_err(b, where, line, "name too long", name);
		if (name_apply(b, name, verdict, false, where, line, 0) != 0)
			return -1;
		(*count)++;
		list += len;
	}
	return 0;
}

/*
 * Applies a profile file: names and @groups separated by blanks, commas and
 * newlines, `#` starting a comment. Errors name the file and line; a file
 * that names nothing is an error too (it would kill the worker at once).
 */
static int file_apply(struct build *b, const char *path, enum verdict verdict)
{
	char line[FILE_LINE_MAX];
	unsigned int lineno = 0;
	size_t count = 0;
	int rc = -1;
	FILE *f;

	f = fopen(path, "re");
	if (f == NULL)
		return set_err(b->err, b->err_len, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			set_err(b->err, b->err_len, "%s:%u: line longer than %d characters",
			    path, lineno, FILE_LINE_MAX - 2);
			goto out;
		}
		line[strcspn(line, "#")] = '\0';
		if (list_apply(b, line, verdict, path, lineno, &count) != 0)
			goto out;
	}
	if (ferror(f))
		set_err(b->err, b->err_len, "%s: read error", path);
	else if (count == 0)
		set_err(b->err, b->err_len, "%s: names no system call", path);
	else
		rc = 0;
out:
	fclose(f);
	return rc;
}

/* Gives every call in the profile's tables, then the policy's lists, its verdict. */
static int verdicts_fill(struct build *b, const struct profile *p,
    const struct syscall_policy *policy)
{
	enum verdict listed = p->allow_by_default ? VERDICT_DENY : VERDICT_ALLOW;
	size_t count = 0;

	for (const struct arg_rule *r = p->rules; r->syscall != NULL; r++)
		if (name_apply(b, r->syscall, VERDICT_ARGS, true, p->name, 0, 0) != 0)
			return -1;
	for (const char *const *s = p->enosys; *s != NULL; s++)
		if (name_apply(b, *s, VERDICT_ENOSYS, true, p->name, 0, 0) != 0)
			return -1;
	if (p->listed != NULL) {
		for (const char *const *s = p->listed; *s != NULL; s++)
			if (name_apply(b, *s, listed, true, p->name, 0, 0) != 0)
				return -1;
	} else if (file_apply(b, policy->profile, listed) != 0) {
		return -1;
	}
	if (policy->allow != NULL &&
	    list_apply(b, policy->allow, VERDICT_ALLOW, "seccomp.allow", 0, &count) != 0)
		return -1;
	if (policy->deny != NULL &&
	    list_apply(b, policy->deny, VERDICT_DENY, "seccomp.deny", 0, &count) != 0)
		return -1;
	return 0;
}

/* Adds one argument rule, for the system call nr. Returns 0 or a negative errno. */
static int arg_rule_add(scmp_filter_ctx ctx, const struct arg_rule *r, int nr,
    uint32_t deny_action, const char *exec_path)
{
	struct scmp_arg_cmp cmp = { .arg = r->arg, .op = r->op };
	scmp_datum_t value = r->value_is_exec_path ? (scmp_datum_t)(uintptr_t)exec_path : r->value;

	if (r->op == SCMP_CMP_MASKED_EQ) {
		cmp.datum_a = r->mask;
		cmp.datum_b = value;
	} else {
		cmp.datum_a = value;
	}
	return seccomp_rule_add_array(ctx, r->deny ? deny_action : SCMP_ACT_ALLOW, nr, 1, &cmp);
}

/*
 * Turns the verdicts into rules. A verdict equal to the default action needs
 * no rule (and libseccomp refuses one); argument rules are added only for
 * calls that the allow and deny lists left to them.
 */
static int rules_add(scmp_filter_ctx ctx, const struct build *b, const struct profile *p,
    uint32_t deny_action, const char *exec_path)
{
	size_t i;
	int nr, rc = 0;

	for (i = 0; i < b->n && rc == 0; i++) {
		switch (b->calls[i].verdict) {
		case VERDICT_ALLOW:
			if (!p->allow_by_default)
				rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, b->calls[i].nr, 0);
			break;
		case VERDICT_DENY:
			if (p->allow_by_default)
				rc = seccomp_rule_add(ctx, deny_action, b->calls[i].nr, 0);
			break;
		case VERDICT_ENOSYS:
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), b->calls[i].nr, 0);
			break;
		case VERDICT_ARGS:
			break;
		default:
			rc = -EINVAL;
			break;
		}
	}
	for (const struct arg_rule *r = p->rules; r->syscall != NULL && rc == 0; r++) {
		nr = seccomp_syscall_resolve_name(r->syscall);
		if (nr >= 0 && (i = verdict_find(b, nr)) < b->n && b->calls[i].verdict == VERDICT_ARGS)
			rc = arg_rule_add(ctx, r, nr, deny_action, exec_path);
	}
	return rc;
}

static const struct profile *profile_find(const char *name)
{
	if (name[0] == '/')
		return &profile_file;
	if (strcmp(name, "default") == 0)
		return &profile_default;
	if (strcmp(name, "strict") == 0)
		return &profile_strict;
	return NULL;
}

/*
 * Makes the libseccomp filter from the verdicts: only the native
 * architecture (a call through another ABI hits SCMP_FLTATR_ACT_BADARCH and
 * kills the process), kernel errors passed back as they are (not as
 * ECANCELED), and compiled once here so that the child's load can fail only
 * in the kernel. Returns the context or NULL with err set.
 */
static scmp_filter_ctx filter_make(const struct build *b, const struct profile *p,
    uint32_t deny_action, const char *exec_path, char *err, size_t err_len)
{
	scmp_filter_ctx ctx;
	const char *step;
	int rc;

	ctx = seccomp_init(p->allow_by_default ? SCMP_ACT_ALLOW : deny_action);
	if (ctx == NULL) {
		set_err(err, err_len, "libseccomp: seccomp_init failed");
		return NULL;
	}
	step = "setting attributes";
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (rc == 0) {
		step = "adding rules";
		rc = rules_add(ctx, b, p, deny_action, exec_path);
	}

	if (rc != 0) {
		set_err(err, err_len, "libseccomp: %s: %s", step, strerror(-rc));
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

int syscall_filter_build(const struct syscall_policy *policy, struct syscall_filter **out,
    char *err, size_t err_len)
{
	const struct profile *p;
	struct build *b;
	uint32_t deny_action;
	scmp_filter_ctx ctx;

	*out = NULL;
	if (policy->profile == NULL)
		return set_err(err, err_len, "no seccomp profile");
	if (strcmp(policy->profile, "off") == 0) {
		if (policy->allow != NULL || policy->deny != NULL)
			return set_err(err, err_len, "seccomp.allow and seccomp.deny need a profile, not off");
		return 0;
	}
	p = profile_find(policy->profile);
	if (p == NULL)
		return set_err(err, err_len, "unknown seccomp profile '%s' "
		    "(default, strict, off or an absolute file path)", policy->profile);
	if (!p->allow_by_default && policy->exec_path == NULL)
		return set_err(err, err_len, "seccomp profile '%s' needs the exec path", p->name);
	switch (policy->action) {
	case SYSCALL_FILTER_KILL:
		deny_action = SCMP_ACT_KILL_PROCESS;
		break;
	case SYSCALL_FILTER_ERRNO:
		deny_action = SCMP_ACT_ERRNO(EPERM);
		break;
	default:
		return set_err(err, err_len, "unknown seccomp action %d", (int)policy->action);
	}

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return set_err(err, err_len, "out of memory");
	b->err = err;
	b->err_len = err_len;
	ctx = NULL;
	if (verdicts_fill(b, p, policy) == 0)
		ctx = filter_make(b, p, deny_action, policy->exec_path, err, err_len);
	free(b);
	if (ctx == NULL)
		return -1;
	*out = calloc(1, sizeof(**out));
	int rc = *out == NULL ? -ENOMEM : filter_compile(ctx, &(*out)->program);
	seccomp_release(ctx);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		return set_err(err, err_len, "libseccomp: compiling: %s", strerror(-rc));
	}
	return 0;
}

/*
 * Exports ctx's BPF program into memory (through a memfd: libseccomp only
 * writes to descriptors). Returns 0, or a negative errno.
 */
static int filter_compile(scmp_filter_ctx ctx, struct sock_fprog *program)
{
	struct stat st;
	int rc, fd = memfd_create("gatewayd-seccomp", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	rc = seccomp_export_bpf(ctx, fd);
	if (rc == 0 && fstat(fd, &st) < 0)
		rc = -errno;
	if (rc == 0 && (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS))
		rc = -EINVAL;
	if (rc == 0 && (program->filter = malloc((size_t)st.st_size)) == NULL)
		rc = -ENOMEM;
	if (rc == 0 && pread(fd, program->filter, (size_t)st.st_size, 0) != st.st_size)
		rc = -EIO;
	if (rc == 0)
		program->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	close(fd);
	return rc;
}

/*
 * Runs in the forked child of the single-threaded gatewayd, so the malloc()
 * inside seccomp_load() is safe. NO_NEW_PRIVS first: the kernel refuses an
 * unprivileged filter without it, and it keeps set-uid programs from gaining
 * privileges. A NULL filter ("off") only sets NO_NEW_PRIVS.
 */
int syscall_filter_load(const struct syscall_filter *filter)
{
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (filter == NULL)
		return 0;
	rc = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter->program);
	return rc < 0 ? -errno : 0;
}

void syscall_filter_free(struct syscall_filter *filter)
{
	if (filter == NULL)
		return;
	free(filter->program.filter);
	free(filter);
}
