/*
 * syscall_filter.c: builds a function's system-call filter from const tables of
 * named groups and loads it in the worker right before exec.
 *
 * A policy is reduced to one verdict per system call number (allow, deny,
 * fail with ENOSYS, or "decided by its arguments"), in this order, each step
 * overriding the ones before: the profile's allowed, denied and ENOSYS
 * tables, its argument rules and refusals, a profile file's names,
 * seccomp.allow, seccomp.deny (so deny wins). Every profile is an allowlist:
 * the verdicts become libseccomp rules over the profile's default action,
 * ENOSYS for "default" (so libc falls back from calls newer than the
 * tables), the policy's deny action for strict and profile files.
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
#include <sys/socket.h>
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
#define PROGRAMS_MAX	2	/* the refusals' program and the verdicts' */

/* What one system call ends up as. */
enum verdict {
	VERDICT_ALLOW,		/* allowed whatever its arguments */
	VERDICT_DENY,		/* the policy's action: kill or EPERM */
	VERDICT_ENOSYS,		/* fails with ENOSYS, so libc falls back to an older call */
	VERDICT_ARGS,		/* decided by the profile's argument rules */
	VERDICT_REFUSED,	/* allowed but for the profile's argument refusals */
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

/*
 * One argument refusal: `syscall`, otherwise allowed, fails when arg `arg`
 * compares true: with errno_ret whatever the policy's action, or, when
 * errno_ret is 0, with the policy's deny action. Refusals live in a program
 * of their own, which allows everything else (see filter_programs()).
 */
struct arg_refusal {
	const char *syscall;
	unsigned int arg;		/* 0..5 */
	enum scmp_compare op;
	scmp_datum_t mask;		/* for SCMP_CMP_MASKED_EQ */
	scmp_datum_t value;
	int errno_ret;			/* 0: the policy's deny action */
};

/* A call is named by at most one of a profile's rules and refusals tables. */
struct profile {
	const char *name;
	enum verdict unlisted;		/* what a call no table names gets: DENY or ENOSYS */
	const char *const *allowed;	/* names and @groups; NULL for a profile file's names */
	const char *const *denied;	/* names and @groups with the deny action; may be NULL */
	const char *const *enosys;	/* calls that fail with ENOSYS unless named */
	const struct arg_rule *rules;	/* terminated by a NULL syscall */
	const struct arg_refusal *refusals;	/* the same */
};

/*
 * The compiled programs, made once per load in the spawner: the child loads
 * them with one seccomp(2) call each, with no allocation and no libseccomp
 * work between fork and exec (libseccomp's own load recompiles the filter
 * every time, a millisecond per spawn for strict).
 */
static int filter_compile(scmp_filter_ctx ctx, struct sock_fprog *program);

struct syscall_filter {
	size_t count;
	struct sock_fprog programs[PROGRAMS_MAX];	/* loaded in this order */
	bool forks_and_execs;	/* allows every call of zygote_calls */
};

/*
 * What a process under the filter calls to start, per request, a child
 * that execs (zygote.c): receive the request, clone, reply, wait on a
 * futex; in the child, the descriptors, the parent-death signal, a
 * session, execve, and a write to report a failure.
 */
static const char *const zygote_calls[] = {
	"recvmsg", "sendmsg", "clone", "futex", "close", "close_range", "dup2", "dup3", "fcntl",
	"getppid", "prctl", "setsid", "execve", "write", "exit_group", NULL
};

/* One policy while it is being built: its profile, action and verdicts. */
struct build {
	const struct profile *profile;
	const struct syscall_group *groups;	/* syscall_groups, or a test's */
	uint32_t deny_action;
	uint32_t fallback;			/* the action of profile->unlisted */
	const char *exec_path;
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
 * Names this architecture lacks are skipped (mmap2, socketcall, vm86...
 * exist on some architectures only), so the tables list every spelling. A
 * name libseccomp does not know at all fails the build: it would otherwise
 * be taken for one of those; tests/check_syscall_filter.c checks that each
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
	    "@file-read", "arm_fadvise64_64", "arm_sync_file_range", "chmod", "chown", "chown32",
	    "copy_file_range", "creat", "fallocate", "fchmod", "fchmodat", "fchown", "fchown32",
	    "fchownat", "fdatasync", "flock", "fremovexattr", "fsetxattr", "fsync", "ftruncate",
	    "ftruncate64", "futimesat", "inotify_add_watch", "inotify_init", "inotify_init1",
	    "inotify_rm_watch", "lchown", "lchown32", "link", "linkat", "lremovexattr",
	    "lsetxattr", "mkdir", "mkdirat", "mknod", "mknodat", "open", "openat", "openat2",
	    "removexattr", "rename", "renameat", "renameat2", "rmdir", "setxattr", "symlink",
	    "symlinkat", "sync", "sync_file_range", "sync_file_range2", "syncfs", "truncate",
	    "truncate64", "umask", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64",
	    "utimes") },
	{ "@io-event", "wait for descriptors: poll, select, epoll, eventfd", NAMES(
	    "_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd",
	    "eventfd2", "poll", "ppoll", "ppoll_time64", "pselect6", "pselect6_time64",
	    "select") },
	{ "@ipc", "pipes, tee, vmsplice, SysV and POSIX message queues, semaphores, shared memory",
	  NAMES(
	    "ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive",
	    "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
	    "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget",
	    "semop", "semtimedop", "semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
	    "tee", "vmsplice") },
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
	{ "@aio", "Linux native asynchronous I/O (libaio): io_setup, io_submit, io_getevents", NAMES(
	    "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
	    "io_setup", "io_submit") },
	{ "@sandbox", "confine oneself further: seccomp filters, Landlock, dropping capabilities",
	  NAMES(
	    "capset", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	    "seccomp") },
	{ "@arch-specific", "one architecture's own: arm and riscv cache flushes, powerpc's swapcontext",
	  NAMES(
	    "breakpoint", "cacheflush", "riscv_flush_icache", "swapcontext") },
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
	    "acct", "fanotify_init", "quotactl", "quotactl_fd", "setdomainname", "sethostname",
	    "syslog", "userfaultfd", "vhangup") },
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

/* The socket refusals below partition the family values around these three. */
_Static_assert(AF_UNIX == 1 && AF_INET == 2 && AF_INET6 == 10, "address family numbers");

/* No new namespaces through clone's flags (unshare and setns are in
 * @namespace): allowed without a CLONE_NEW* flag, denied with any.
 * CLONE_NEWTIME is left out: in clone() that bit is part of the exit signal;
 * it exists for clone3, which fails with ENOSYS. */
static const struct arg_rule default_rules[] = {
	{ "clone", CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0, false, false },
#define DENY_FLAG(flag) { "clone", CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, (flag), (flag), false, true }
	DENY_FLAG(CLONE_NEWNS), DENY_FLAG(CLONE_NEWCGROUP), DENY_FLAG(CLONE_NEWUTS),
	DENY_FLAG(CLONE_NEWIPC), DENY_FLAG(CLONE_NEWUSER), DENY_FLAG(CLONE_NEWPID),
	DENY_FLAG(CLONE_NEWNET),
#undef DENY_FLAG
	{ NULL, 0, 0, 0, 0, false, false },
};

/*
 * What default refuses by the arguments of calls it allows. A refusal
 * program allows whatever its rows do not match, which an allowlist cannot
 * say of ioctl ("all but two requests"): libseccomp compares each argument
 * once per rule, and how it orders overlapping rules is not defined.
 */
static const struct arg_refusal default_refusals[] = {
	/* Sockets of the unix, IPv4 and IPv6 families only: not AF_VSOCK (the
	 * hypervisor's host), AF_NETLINK (the kernel's own configuration),
	 * AF_PACKET... The rows cover every value but 1, 2 and 10, high bits
	 * included. EAFNOSUPPORT whatever the action: glibc's getaddrinfo()
	 * opens a netlink socket to sort its answers and must fall back, not
	 * die. Where socketcall(2) exists, libseccomp turns these rows into a
	 * refusal of socketcall(SYS_SOCKET), whose family it cannot see. */
#define REFUSE_FAMILY(op, mask, value) { "socket", 0, (op), (mask), (value), EAFNOSUPPORT }
	REFUSE_FAMILY(SCMP_CMP_EQ, 0, AF_UNSPEC),
	REFUSE_FAMILY(SCMP_CMP_EQ, 0, AF_AX25),					/* 3 */
	REFUSE_FAMILY(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)3, AF_IPX),		/* 4..7 */
	REFUSE_FAMILY(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)1, AF_ATMPVC),	/* 8, 9 */
	REFUSE_FAMILY(SCMP_CMP_GE, 0, AF_INET6 + 1),
#undef REFUSE_FAMILY
	/* Typing into a terminal's input queue (TIOCSTI) and the console's
	 * selection paste (TIOCLINUX). The kernel reads the request as an
	 * unsigned int, so only its low 32 bits are compared. */
	{ "ioctl", 1, SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCSTI, 0 },
	{ "ioctl", 1, SCMP_CMP_MASKED_EQ, 0xffffffffU, TIOCLINUX, 0 },
	{ NULL, 0, 0, 0, 0, 0 },
};

static const struct arg_refusal no_refusals[] = { { NULL, 0, 0, 0, 0, 0 } };

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

/*
 * At most what Docker's default profile allows a container without
 * capabilities (moby's profiles/seccomp/default.json), less the groups
 * denied here, which get the policy's action; clone, socket and ioctl are
 * checked by their arguments; every other call fails with ENOSYS.
 */
static const struct profile profile_default = {
	"default", VERDICT_ENOSYS,
	NAMES("@default", "@basic-io", "@file-system", "@io-event", "@ipc", "@network-io",
	    "@process", "@resources", "@signal", "@timer", "@memory", "@memlock", "@setuid",
	    "@aio", "@sandbox", "@arch-specific"),
	NAMES("@bpf", "@clock", "@cpu-emulation", "@debug", "@file-handle", "@keyring",
	    "@module", "@mount", "@namespace", "@numa", "@obsolete", "@privileged", "@raw-io",
	    "@reboot", "@swap"),
	/* The pre-rt signal calls of 32-bit ABIs are in @signal for strict, but
	 * Docker does not allow them; libc uses the rt_ forms. */
	NAMES("clone3", "@io-uring", "sigaction", "signal", "sigpending", "sigsuspend"),
	default_rules, default_refusals,
};

static const struct profile profile_strict = {
	"strict", VERDICT_DENY, NAMES(
	    "@default", "@basic-io", "@file-read", "@io-event", "@memory", "@signal",
	    "@socket-io", "@timer", "pipe", "pipe2"),
	NULL, enosys_calls, strict_rules, no_refusals,
};

/* A profile file: its names are the allowlist. */
static const struct profile profile_file = {
	"file", VERDICT_DENY, NULL, NULL, enosys_calls, file_rules, no_refusals,
};

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

static const struct syscall_group *group_find(const struct build *b, const char *name)
{
	for (const struct syscall_group *g = b->groups; g->name != NULL; g++)
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

/* Whether system call name resolves here and has the verdict. */
static bool verdict_is(const struct build *b, const char *name, enum verdict verdict)
{
	int nr = seccomp_syscall_resolve_name(name);
	size_t i;

	if (nr < 0)
		return false;
	i = verdict_find(b, nr);
	return i < b->n && b->calls[i].verdict == verdict;
}

/*
 * Whether the verdicts allow every call of zygote_calls as zygote.c makes
 * it: allowed whatever the arguments, or by the argument rules that allow
 * it: default's clone without a namespace flag, the one execve of exec_path.
 */
static bool verdicts_allow_zygote(const struct build *b)
{
	for (const char *const *name = zygote_calls; *name != NULL; name++) {
		bool by_rule = (strcmp(*name, "clone") == 0 && b->profile == &profile_default) ||
		    strcmp(*name, "execve") == 0;
		if (!verdict_is(b, *name, VERDICT_ALLOW) &&
		    !(by_rule && verdict_is(b, *name, VERDICT_ARGS)))
			return false;
	}
	return true;
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
 * Gives name (a system call or an @group, expanded) the verdict; group is
 * the group that lists it, NULL for a name the user or a profile table
 * wrote (where says where: "seccomp.allow", a file name, a profile; line is
 * its line or 0). A call this architecture lacks is skipped; a name
 * libseccomp does not know at all is an error, in a group too, where it
 * means the tables name a call newer than this libseccomp.
 */
static int name_apply(struct build *b, const char *name, enum verdict verdict,
    const char *where, unsigned int line, const char *group, int depth)
{
	const struct scmp_version *v;
	const struct syscall_group *g;
	int nr;

	if (name[0] == '@') {
		g = group_find(b, name);
		if (g == NULL)
			return name_err(b, where, line, "unknown group", name);
		if (depth == GROUP_DEPTH_MAX)
			return set_err(b->err, b->err_len, "group '%s' nested too deep", name);
		for (const char *const *s = g->syscalls; *s != NULL; s++)
			if (name_apply(b, *s, verdict, where, line, g->name, depth + 1) != 0)
				return -1;
		return 0;
	}
	nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR && group == NULL)
		return name_err(b, where, line, "unknown system call", name);
	if (nr == __NR_SCMP_ERROR) {
		v = seccomp_version();
		return set_err(b->err, b->err_len, "group %s names '%s', a system call that "
		    "libseccomp %u.%u.%u does not know", group, name, v->major, v->minor, v->micro);
	}
	if (nr < 0)
		return 0;
	return verdict_set(b, nr, verdict);
}

/* Applies a profile's NULL-terminated table (NULL: none) with the verdict. */
static int table_apply(struct build *b, const char *const *names, enum verdict verdict)
{
	for (; names != NULL && *names != NULL; names++)
		if (name_apply(b, *names, verdict, b->profile->name, 0, NULL, 0) != 0)
			return -1;
	return 0;
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
		if (name_apply(b, name, verdict, where, line, NULL, 0) != 0)
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

/*
 * Gives every call in the profile's tables, then the profile file's names,
 * then the policy's lists, its verdict. The argument rules and refusals
 * come after the profile's name tables, so that @process, say, does not
 * lift the check on clone; a file's names and the policy's lists come after
 * them, so that naming a call lifts its check.
 */
static int verdicts_fill(struct build *b, const struct syscall_policy *policy)
{
	const struct profile *p = b->profile;
	size_t count = 0;

	if (table_apply(b, p->allowed, VERDICT_ALLOW) != 0 ||
	    table_apply(b, p->denied, VERDICT_DENY) != 0 ||
	    table_apply(b, p->enosys, VERDICT_ENOSYS) != 0)
		return -1;
	for (const struct arg_rule *r = p->rules; r->syscall != NULL; r++)
		if (name_apply(b, r->syscall, VERDICT_ARGS, p->name, 0, NULL, 0) != 0)
			return -1;
	for (const struct arg_refusal *r = p->refusals; r->syscall != NULL; r++)
		if (name_apply(b, r->syscall, VERDICT_REFUSED, p->name, 0, NULL, 0) != 0)
			return -1;
	if (p->allowed == NULL && file_apply(b, policy->profile, VERDICT_ALLOW) != 0)
		return -1;
	if (policy->allow != NULL &&
	    list_apply(b, policy->allow, VERDICT_ALLOW, "seccomp.allow", 0, &count) != 0)
		return -1;
	if (policy->deny != NULL &&
	    list_apply(b, policy->deny, VERDICT_DENY, "seccomp.deny", 0, &count) != 0)
		return -1;
	return 0;
}

/*
 * The action of a verdict in the verdicts' program: a call with refusals is
 * allowed there (the refusals' program checks its arguments). Returns 0 and
 * sets *action, 1 for VERDICT_ARGS (its rules decide), or -EINVAL.
 */
static int verdict_action(const struct build *b, enum verdict verdict, uint32_t *action)
{
	switch (verdict) {
	case VERDICT_ALLOW:
	case VERDICT_REFUSED:
		*action = SCMP_ACT_ALLOW;
		return 0;
	case VERDICT_DENY:
		*action = b->deny_action;
		return 0;
	case VERDICT_ENOSYS:
		*action = SCMP_ACT_ERRNO(ENOSYS);
		return 0;
	case VERDICT_ARGS:
		return 1;
	default:
		return -EINVAL;
	}
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
 * The verdicts' program: one rule per call whose verdict is not the
 * profile's default action (libseccomp refuses those), plain for every call
 * that needs no argument check (so the kernel's action cache lets it through
 * without running the program), then the argument rules of the calls that
 * the lists left to them. Returns 0 or a negative errno.
 */
static int verdicts_add(scmp_filter_ctx ctx, const struct build *b)
{
	uint32_t action;
	int rc = 0;

	for (size_t i = 0; i < b->n && rc == 0; i++) {
		rc = verdict_action(b, b->calls[i].verdict, &action);
		if (rc == 1)
			rc = 0;		/* VERDICT_ARGS: its rules, below */
		else if (rc == 0 && action != b->fallback)
			rc = seccomp_rule_add(ctx, action, b->calls[i].nr, 0);
	}
	for (const struct arg_rule *r = b->profile->rules; r->syscall != NULL && rc == 0; r++)
		if (verdict_is(b, r->syscall, VERDICT_ARGS))
			rc = arg_rule_add(ctx, r, seccomp_syscall_resolve_name(r->syscall),
			    b->deny_action, b->exec_path);
	return rc;
}

/*
 * The refusals' program, over an allow-all default: the refusals of the
 * calls the lists left to them. seccomp_rule_add, not the _exact form, so
 * that libseccomp maps them onto socketcall(2) where it exists. Returns 0
 * or a negative errno.
 */
static int refusals_add(scmp_filter_ctx ctx, const struct build *b)
{
	struct scmp_arg_cmp cmp;
	uint32_t action;
	int rc = 0;

	for (const struct arg_refusal *r = b->profile->refusals; r->syscall != NULL && rc == 0;
	    r++) {
		if (!verdict_is(b, r->syscall, VERDICT_REFUSED))
			continue;
		cmp = (struct scmp_arg_cmp){ .arg = r->arg, .op = r->op };
		cmp.datum_a = r->op == SCMP_CMP_MASKED_EQ ? r->mask : r->value;
		cmp.datum_b = r->op == SCMP_CMP_MASKED_EQ ? r->value : 0;
		action = r->errno_ret != 0 ? SCMP_ACT_ERRNO((uint32_t)r->errno_ret) : b->deny_action;
		rc = seccomp_rule_add_array(ctx, action, seccomp_syscall_resolve_name(r->syscall),
		    1, &cmp);
	}
	return rc;
}

/* Whether any refusal applies: some call with refusals kept its verdict. */
static bool refusals_apply(const struct build *b)
{
	for (const struct arg_refusal *r = b->profile->refusals; r->syscall != NULL; r++)
		if (verdict_is(b, r->syscall, VERDICT_REFUSED))
			return true;
	return false;
}

/*
 * Makes one program: a libseccomp context over the default action
 * fallback, filled by add() and compiled into *program. Only the native
 * architecture (a call through another ABI hits SCMP_FLTATR_ACT_BADARCH and
 * kills the process), kernel errors passed back as they are (not as
 * ECANCELED), the calls sorted into a binary tree, so that a call costs a
 * few comparisons, not one per listed call, and compiled here, once, so that
 * the child's load can fail only in the kernel. Returns 0, or -1 with err set.
 */
static int program_make(const struct build *b, uint32_t fallback,
    int (*add)(scmp_filter_ctx, const struct build *), struct sock_fprog *program)
{
	const char *step = "setting attributes";
	scmp_filter_ctx ctx;
	int rc;

	ctx = seccomp_init(fallback);
	if (ctx == NULL)
		return set_err(b->err, b->err_len, "libseccomp: seccomp_init failed");
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc == 0) {
		step = "adding rules";
		rc = add(ctx, b);
	}
	if (rc == 0) {
		step = "compiling";
		rc = filter_compile(ctx, program);
	}
	seccomp_release(ctx);
	if (rc != 0)
		return set_err(b->err, b->err_len, "libseccomp: %s: %s", step, strerror(-rc));
	return 0;
}

/*
 * Makes the filter's programs from the verdicts: the refusals' program when
 * a refusal applies, then the verdicts'. The kernel runs both on a call and
 * keeps the most restrictive answer, so a refusal wins over the allow the
 * verdicts give the same call. Returns 0, or -1 with err set.
 */
static int filter_programs(const struct build *b, struct syscall_filter *f)
{
	if (refusals_apply(b) &&
	    program_make(b, SCMP_ACT_ALLOW, refusals_add, &f->programs[f->count++]) != 0)
		return -1;
	return program_make(b, b->fallback, verdicts_add, &f->programs[f->count++]);
}

/* Whether a profile's rules compare with the exec path (the exec-once rule). */
static bool profile_needs_exec_path(const struct profile *p)
{
	for (const struct arg_rule *r = p->rules; r->syscall != NULL; r++)
		if (r->value_is_exec_path)
			return true;
	return false;
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

int syscall_filter_build(const struct syscall_policy *policy, struct syscall_filter **out,
    char *err, size_t err_len)
{
	return syscall_filter_build_groups(policy, syscall_groups, out, err, err_len);
}

int syscall_filter_build_groups(const struct syscall_policy *policy,
    const struct syscall_group *groups, struct syscall_filter **out, char *err, size_t err_len)
{
	const struct profile *p;
	struct build *b;
	uint32_t deny_action;
	int rc;

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
	if (profile_needs_exec_path(p) && policy->exec_path == NULL)
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
	*out = calloc(1, sizeof(**out));
	if (b == NULL || *out == NULL) {
		rc = set_err(err, err_len, "out of memory");
	} else {
		*b = (struct build){ .profile = p, .groups = groups, .deny_action = deny_action,
		    .fallback = p->unlisted == VERDICT_ENOSYS ? SCMP_ACT_ERRNO(ENOSYS) : deny_action,
		    .exec_path = policy->exec_path, .err = err, .err_len = err_len };
		rc = verdicts_fill(b, policy);
		if (rc == 0)
			rc = filter_programs(b, *out);
		if (rc == 0)
			(*out)->forks_and_execs = verdicts_allow_zygote(b);
	}
	free(b);
	if (rc != 0) {
		syscall_filter_free(*out);
		*out = NULL;
	}
	return rc;
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
 * Runs in the spawner's forked child, which is single-threaded. NO_NEW_PRIVS
 * first: the kernel refuses an unprivileged filter without it, and it keeps
 * set-uid programs from gaining privileges. A NULL filter ("off") only sets
 * NO_NEW_PRIVS. The refusals' program goes first: it allows seccomp(2)
 * whatever the policy says of it, so the second load gets through.
 */
int syscall_filter_load(const struct syscall_filter *filter)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -errno;
	if (filter == NULL)
		return 0;
	for (size_t i = 0; i < filter->count; i++)
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &filter->programs[i]) < 0)
			return -errno;
	return 0;
}

bool syscall_filter_forks_and_execs(const struct syscall_filter *filter)
{
	return filter == NULL || filter->forks_and_execs;
}

void syscall_filter_free(struct syscall_filter *filter)
{
	if (filter == NULL)
		return;
	for (size_t i = 0; i < filter->count; i++)
		free(filter->programs[i].filter);
	free(filter);
}
