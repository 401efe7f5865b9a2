/*
 * check_syscall_filter.c: the seccomp profiles, tested the way systemd's
 * test-seccomp.c does it. Each test compiles a policy's filter in the
 * parent (syscall_filter_build, as the spawner does when it loads the
 * configuration), forks, and the child loads it with seccomp(2) and makes
 * one call ("probe"), then reports the call's errno (0 for success) through
 * its exit status. The parent asserts
 * the exact outcome: success, EPERM for the errno action, death by SIGSYS for
 * the kill action, ENOSYS for the calls default leaves unnamed, EAFNOSUPPORT
 * for a socket family default refuses. Real programs (sh, Python, php-cgi)
 * run under the default profile too.
 */
#include "syscall_filter.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "docker_default_allowed.h"
#include "syscall_probe.h"


/* The path the strict profile may exec once, and a copy at another address. */
static char *exec_true;
static char exec_true_copy[] = "/bin/true";

/* ---- probes: one call each, returning 0 or the errno ---------------------- */

static int result(long rc)
{
	return rc < 0 ? errno : 0;
}

static int probe_socket(int sock)
{
	(void)sock;
	return result(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
}

/* An abstract address nobody listens on: ECONNREFUSED when allowed. */
static int probe_connect(int sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "\0gatewayd-check-none" };

	return result(connect(sock, (struct sockaddr *)&sun, sizeof(sun)));
}

static int probe_ptrace(int sock)
{
	(void)sock;
	return result(ptrace(PTRACE_TRACEME, 0, NULL, NULL));
}

static int probe_mount(int sock)
{
	(void)sock;
	return result(mount("none", "/nonexistent-gatewayd", "tmpfs", 0, NULL));
}

static int probe_unshare(int sock)
{
	(void)sock;
	return result(unshare(CLONE_NEWUTS));
}

/* A null attribute pointer of size 0: EINVAL when allowed. */
static int probe_bpf(int sock)
{
	(void)sock;
	return result(syscall(SYS_bpf, BPF_MAP_CREATE, NULL, 0));
}

static int wait_child(pid_t pid)
{
	int status;

	if (pid < 0)
		return errno;
	if (pid == 0)
		_exit(0);
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? 0 : ECHILD;
}

static int probe_fork(int sock)
{
	(void)sock;
	return wait_child(fork());
}

/* glibc's vfork(), which is the vfork call: the child may only _exit(). */
static int probe_vfork(int sock)
{
	pid_t pid;

	(void)sock;
	pid = vfork();
	if (pid == 0)
		_exit(0);
	return wait_child(pid);
}

/* clone() asking for a user namespace, through the raw call (no glibc help). */
static int probe_clone_newuser(int sock)
{
	(void)sock;
	return wait_child((pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0));
}

/* A null argument struct of size 0: EINVAL when the kernel sees it. */
static int probe_clone3(int sock)
{
	(void)sock;
	return result(syscall(SYS_clone3, NULL, 0));
}

static int probe_openat2(int sock)
{
	(void)sock;
	return result(syscall(SYS_openat2, AT_FDCWD, "/dev/null", NULL, 0));
}

/* Null parameters: EFAULT when the kernel sees them. */
static int probe_io_uring_setup(int sock)
{
	(void)sock;
	return result(syscall(SYS_io_uring_setup, 1, NULL));
}

static void *thread_main(void *arg)
{
	return arg;
}

static int probe_thread(int sock)
{
	static int token;
	pthread_t t;
	void *ret;

	(void)sock;
	if (pthread_create(&t, NULL, thread_main, &token) != 0 || pthread_join(t, &ret) != 0)
		return EAGAIN;
	return ret == &token ? 0 : EINVAL;
}

static int probe_open_read(int sock)
{
	(void)sock;
	return result(open("/dev/null", O_RDONLY | O_CLOEXEC));
}

static int probe_open_write(int sock)
{
	(void)sock;
	return result(open("/dev/null", O_WRONLY | O_CLOEXEC));
}

static int probe_open_append(int sock)
{
	(void)sock;
	return result(open("/dev/null", O_RDONLY | O_APPEND | O_CLOEXEC));
}

static int probe_open_creat(int sock)
{
	static const char path[] = "/tmp/check_syscall_filter.creat";
	int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);

	(void)sock;
	if (fd < 0)
		return errno;
	unlink(path);
	return 0;
}

#ifdef SYS_open
/* The old open(2), whose flags are its second argument, not its third. */
static int probe_sys_open_rdwr(int sock)
{
	(void)sock;
	return result(syscall(SYS_open, "/dev/null", O_RDWR | O_CLOEXEC));
}
#endif

/* exec_true is the policy's exec_path: the one exec the profiles allow. */
static int probe_exec_first(int sock)
{
	char *const argv[] = { exec_true, NULL };

	(void)sock;
	execv(exec_true, argv);
	return errno;
}

/* The same path at another address: what a later exec looks like. */
static int probe_exec_copy(int sock)
{
	char *const argv[] = { exec_true_copy, NULL };

	(void)sock;
	execv(exec_true_copy, argv);
	return errno;
}

static int probe_kill(int sock)
{
	(void)sock;
	return result(kill(getppid(), 0));
}

static int probe_ioctl_fionread(int sock)
{
	int n;

	return result(ioctl(sock, FIONREAD, &n));
}

static int probe_ioctl_tcgets(int sock)
{
	struct termios t;

	return result(ioctl(sock, TCGETS, &t));
}

/* Not a terminal: ENOTTY when allowed. */
static int probe_ioctl_tiocsti(int sock)
{
	return result(ioctl(sock, TIOCSTI, "x"));
}

/* The kernel reads the request as an unsigned int: this is TIOCSTI too. */
static int probe_ioctl_tiocsti_high(int sock)
{
	return result(syscall(SYS_ioctl, sock, (1UL << 32) | TIOCSTI, "x"));
}

static int probe_ioctl_tioclinux(int sock)
{
	char subcode = 0;

	return result(ioctl(sock, TIOCLINUX, &subcode));
}

static int probe_prctl_set_name(int sock)
{
	(void)sock;
	return result(prctl(PR_SET_NAME, "probe", 0, 0, 0));
}

static int probe_prctl_set_dumpable(int sock)
{
	(void)sock;
	return result(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
}

static int probe_getrlimit(int sock)
{
	struct rlimit rl;

	(void)sock;
	return result(getrlimit(RLIMIT_NOFILE, &rl));
}

static int probe_setrlimit(int sock)
{
	struct rlimit rl;

	(void)sock;
	if (getrlimit(RLIMIT_CORE, &rl) != 0)
		return EINVAL;
	return result(setrlimit(RLIMIT_CORE, &rl));
}

static int probe_personality_query(int sock)
{
	(void)sock;
	return result(syscall(SYS_personality, 0xffffffffUL));
}

#ifdef __x86_64__
/* getpid through the i386 ABI (int $0x80, call 20): 0 when it returns our pid. */
static int probe_i386_getpid(int sock)
{
	long rc;

	(void)sock;
	__asm__ volatile ("int $0x80" : "=a"(rc) : "a"(20L) : "memory");
	return rc == getpid() ? 0 : EINVAL;
}

/* getpid through the x32 ABI: the x86_64 number with bit 30 set. */
static int probe_x32_getpid(int sock)
{
	(void)sock;
	return result(syscall(0x40000000L | SYS_getpid));
}
#endif

static struct syscall_policy policy_of(const char *profile)
{
	return (struct syscall_policy){ profile, NULL, NULL, SYSCALL_FILTER_KILL, exec_true };
}

/* ---- the tables ----------------------------------------------------------- */

struct probe_case {
	const char *name;
	int (*probe)(int);
	int allowed_errno;	/* what the call returns when the filter lets it through */
};

/* What every profile denies. */
static const struct probe_case always_denied[] = {
	{ "ptrace", probe_ptrace, 0 },
	{ "mount", probe_mount, ENOENT },
	{ "unshare", probe_unshare, 0 },
	{ "bpf", probe_bpf, EINVAL },
	{ "personality", probe_personality_query, 0 },
	{ "ioctl TIOCSTI", probe_ioctl_tiocsti, ENOTTY },
	{ "ioctl TIOCSTI, high bits set", probe_ioctl_tiocsti_high, ENOTTY },
	{ "ioctl TIOCLINUX", probe_ioctl_tioclinux, ENOTTY },
};

/* What strict denies and default allows. */
static const struct probe_case strict_only_denied[] = {
	{ "socket", probe_socket, 0 },
	{ "connect", probe_connect, ECONNREFUSED },
	{ "fork", probe_fork, 0 },
	{ "vfork", probe_vfork, 0 },
	{ "open O_WRONLY", probe_open_write, 0 },
	{ "open O_APPEND", probe_open_append, 0 },
	{ "open O_CREAT", probe_open_creat, 0 },
#ifdef SYS_open
	{ "SYS_open O_RDWR", probe_sys_open_rdwr, 0 },
#endif
	{ "second execve", probe_exec_copy, 0 },
	{ "kill", probe_kill, 0 },
	{ "prctl PR_SET_DUMPABLE", probe_prctl_set_dumpable, 0 },
	{ "setrlimit", probe_setrlimit, 0 },
};

/* What both profiles allow. */
static const struct probe_case always_allowed[] = {
	{ "open O_RDONLY", probe_open_read, 0 },
	{ "pthread_create", probe_thread, 0 },
	{ "first execve", probe_exec_first, 0 },
	{ "ioctl FIONREAD", probe_ioctl_fionread, 0 },
	{ "ioctl TCGETS, not a terminal", probe_ioctl_tcgets, ENOTTY },
	{ "prctl PR_SET_NAME", probe_prctl_set_name, 0 },
	{ "getrlimit", probe_getrlimit, 0 },
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/*
 * What default denies with the deny action: Docker's list of the
 * significant calls its default profile blocks, and the ones default is
 * tighter about (ptrace, process_vm_*, modify_ldt, adjtimex...).
 */
static const char *const denied_calls[] = {
	"acct", "add_key", "adjtimex", "bpf", "chroot", "clock_adjtime", "clock_settime",
	"create_module", "delete_module", "fanotify_init", "finit_module", "fsopen",
	"get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl", "kcmp",
	"kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "modify_ldt",
	"mount", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at",
	"perf_event_open", "personality", "pidfd_getfd", "pivot_root", "process_madvise",
	"process_vm_readv", "process_vm_writev", "ptrace", "query_module", "quotactl",
	"quotactl_fd", "reboot", "request_key", "set_mempolicy", "setdomainname", "sethostname",
	"setns", "settimeofday", "stime", "swapon", "swapoff", "sysfs", "_sysctl", "syslog",
	"umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vhangup", "vm86",
	"vm86old",
};

#define SWEEP_MAX 512	/* call numbers swept: past the last x86_64 call, short of x32's */

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_always_denied)
{
	const struct probe_case *c = &always_denied[_i];

	assert_denied(policy_of("default"), c->probe, c->name);
	assert_denied(policy_of("strict"), c->probe, c->name);
	/* Without a filter the call goes through (as root: mount and unshare need it). */
	if (geteuid() == 0)
		assert_result(run_filter(NULL, false, c->probe), c->allowed_errno, c->name);
}
END_TEST

START_TEST(test_strict_only_denied)
{
	const struct probe_case *c = &strict_only_denied[_i];

	assert_denied(policy_of("strict"), c->probe, c->name);
	assert_allowed(policy_of("default"), c->probe, c->allowed_errno, c->name);
}
END_TEST

START_TEST(test_always_allowed)
{
	const struct probe_case *c = &always_allowed[_i];

	assert_allowed(policy_of("strict"), c->probe, c->allowed_errno, c->name);
	assert_allowed(policy_of("default"), c->probe, c->allowed_errno, c->name);
}
END_TEST

/* The call probe_numbered makes, with zero arguments. */
static long probe_nr;

static int probe_numbered(int sock)
{
	(void)sock;
	return result(syscall(probe_nr, 0, 0, 0, 0, 0, 0));
}

/* Each call of the list gets the deny action: EPERM, or SIGSYS. */
START_TEST(test_default_denies_list)
{
	int tested = 0;

	for (int i = 0; i < COUNT(denied_calls); i++) {
		probe_nr = seccomp_syscall_resolve_name(denied_calls[i]);
		if (probe_nr < 0)
			continue;	/* not on this architecture */
		assert_denied(policy_of("default"), probe_numbered, denied_calls[i]);
		tested++;
	}
	ck_assert_int_ge(tested, 50);
}
END_TEST

static bool docker_allows(long nr)
{
	for (int i = 0; i < COUNT(docker_allowed); i++)
		if (seccomp_syscall_resolve_name(docker_allowed[i]) == nr)
			return true;
	return false;
}

/*
 * Every call number Docker does not allow is refused under default: EPERM
 * or ENOSYS with the errno action, SIGSYS or ENOSYS with kill (ENOSYS being
 * the kernel's answer too for a number it lacks). x86_64's uretprobe (335)
 * and uprobe (336) are skipped: the kernel lets them by seccomp, and they
 * kill a caller outside a probe trampoline.
 */
START_TEST(test_default_within_docker)
{
	struct syscall_policy policy = policy_of("default");
	char what[64];
	int status, tested = 0;

	for (probe_nr = 0; probe_nr < SWEEP_MAX; probe_nr++) {
#ifdef __x86_64__
		if (probe_nr == 335 || probe_nr == 336)
			continue;
#endif
		if (docker_allows(probe_nr))
			continue;
		snprintf(what, sizeof(what), "call %ld, which Docker refuses", probe_nr);
		policy.action = SYSCALL_FILTER_ERRNO;
		status = run(&policy, probe_numbered);
		ck_assert_msg(WIFEXITED(status) &&
		    (WEXITSTATUS(status) == EPERM || WEXITSTATUS(status) == ENOSYS),
		    "%s: expected EPERM or ENOSYS, got %s", what, status_text(status));
		policy.action = SYSCALL_FILTER_KILL;
		status = run(&policy, probe_numbered);
		ck_assert_msg((WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) ||
		    (WIFEXITED(status) && WEXITSTATUS(status) == ENOSYS),
		    "%s: expected SIGSYS or ENOSYS, got %s", what, status_text(status));
		tested++;
	}
	ck_assert_int_ge(tested, 100);
}
END_TEST

/* A thread asking for a namespace: strict's thread rule must not let it by. */
static int probe_clone_thread_newnet(int sock)
{
	(void)sock;
	return result(syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWNET,
	    NULL, NULL, NULL, 0));
}

START_TEST(test_clone_namespaces)
{
	assert_denied(policy_of("default"), probe_clone_newuser, "clone(CLONE_NEWUSER)");
	assert_denied(policy_of("strict"), probe_clone_newuser, "clone(CLONE_NEWUSER)");
	assert_denied(policy_of("strict"), probe_clone_thread_newnet, "clone(CLONE_THREAD|CLONE_NEWNET)");
}
END_TEST

/* clone3 and openat2 hide their flags behind a pointer: ENOSYS, so glibc
 * falls back to calls the filter can inspect; io_uring, so programs fall
 * back to plain calls. */
START_TEST(test_enosys_fallbacks)
{
	assert_allowed(policy_of("default"), probe_clone3, ENOSYS, "clone3 under default");
	assert_allowed(policy_of("strict"), probe_clone3, ENOSYS, "clone3 under strict");
	assert_allowed(policy_of("strict"), probe_openat2, ENOSYS, "openat2 under strict");
	assert_allowed(policy_of("default"), probe_io_uring_setup, ENOSYS, "io_uring under default");
	assert_allowed(policy_of("strict"), probe_io_uring_setup, ENOSYS, "io_uring under strict");
	assert_result(run_filter(NULL, false, probe_clone3), EINVAL, "clone3 unfiltered");
	assert_result(run_filter(NULL, false, probe_io_uring_setup), EFAULT, "io_uring unfiltered");
}
END_TEST

/* A real program's exec of another: sh runs under strict, its exec fails. */
static char *exec_sh;

static int probe_sh_exec(int sock)
{
	char *const argv[] = { exec_sh, "-c", "exec /bin/true", NULL };

	(void)sock;
	close(STDERR_FILENO);	/* sh's "exec: Operation not permitted" */
	execv(exec_sh, argv);
	return errno;
}

START_TEST(test_strict_exec_once_real_program)
{
	struct syscall_policy policy = policy_of("strict");

	exec_sh = strdup("/bin/sh");
	policy.exec_path = exec_sh;
	policy.action = SYSCALL_FILTER_ERRNO;
	/* dash exits 126 when exec fails with anything but ENOENT/ENOTDIR... */
	assert_exit_code(run(&policy, probe_sh_exec), 126, "sh -c 'exec /bin/true' (errno)");
	policy.action = SYSCALL_FILTER_KILL;
	assert_sigsys(run(&policy, probe_sh_exec), "sh -c 'exec /bin/true' (kill)");
	/* ... and runs it under default. */
	policy.profile = "default";
	assert_exit_code(run(&policy, probe_sh_exec), 0, "sh -c 'exec /bin/true' (default)");
	free(exec_sh);
}
END_TEST

START_TEST(test_allow_and_deny)
{
	struct syscall_policy policy = policy_of("strict");

	policy.allow = "socket, getpid";
	assert_allowed(policy, probe_socket, 0, "strict + allow socket");
	policy.deny = "socket";
	assert_denied(policy, probe_socket, "strict + allow socket + deny socket");

	policy = policy_of("default");
	policy.allow = "personality";
	assert_allowed(policy, probe_personality_query, 0, "default + allow personality");
	policy.allow = "@debug";
	policy.deny = "ptrace";
	assert_denied(policy, probe_ptrace, "default + allow @debug + deny ptrace");
	policy.allow = NULL;
	policy.deny = "@network-io";
	assert_denied(policy, probe_socket, "default + deny @network-io");
	/* Naming a call that has argument rules lifts them. */
	policy = policy_of("strict");
	policy.allow = "openat open";
	assert_allowed(policy, probe_open_write, 0, "strict + allow openat");
	policy = policy_of("default");
	policy.allow = "ioctl";
	assert_allowed(policy, probe_ioctl_tiocsti, ENOTTY, "default + allow ioctl: TIOCSTI");
	policy.deny = "ioctl";
	assert_denied(policy, probe_ioctl_fionread, "default + deny ioctl: FIONREAD");
	/* Both programs load even when the second's seccomp(2) is denied. */
	policy = policy_of("default");
	policy.deny = "seccomp";
	assert_denied(policy, probe_ioctl_tiocsti, "default + deny seccomp: TIOCSTI");
}
END_TEST

/* The family probe_socket_family asks for, with SOCK_RAW for those that have no stream. */
static unsigned long probe_family;

static int probe_socket_family(int sock)
{
	int type = probe_family == AF_NETLINK || probe_family == AF_PACKET ? SOCK_RAW : SOCK_STREAM;

	(void)sock;
	return result(syscall(SYS_socket, probe_family, type | SOCK_CLOEXEC, 0));
}

/* Every family: EAFNOSUPPORT from the filter, or the kernel's answer for unix, IPv4, IPv6. */
static int probe_socket_families(int sock)
{
	int fd;

	(void)sock;
	for (probe_family = 0; probe_family < AF_MAX + 16; probe_family++) {
		fd = socket((int)probe_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (probe_family == AF_UNIX || probe_family == AF_INET || probe_family == AF_INET6) {
			if (fd < 0)
				return 100 + (int)probe_family;
			close(fd);
		} else if (fd >= 0 || errno != EAFNOSUPPORT) {
			return 100 + (int)probe_family;
		}
	}
	return 0;
}

/* Refused under both actions with EAFNOSUPPORT, never killed. */
static void assert_family_refused(struct syscall_policy policy, unsigned long family,
    const char *what)
{
	probe_family = family;
	policy.action = SYSCALL_FILTER_ERRNO;
	assert_result(run(&policy, probe_socket_family), EAFNOSUPPORT, what);
	policy.action = SYSCALL_FILTER_KILL;
	assert_result(run(&policy, probe_socket_family), EAFNOSUPPORT, what);
}

START_TEST(test_default_socket_families)
{
	struct syscall_policy policy = policy_of("default");
	static const unsigned long allowed[] = { AF_UNIX, AF_INET, AF_INET6 };

	for (int i = 0; i < COUNT(allowed); i++) {
		probe_family = allowed[i];
		assert_allowed(policy, probe_socket_family, 0, "AF_UNIX, AF_INET, AF_INET6");
	}
	assert_family_refused(policy, AF_VSOCK, "AF_VSOCK");
	assert_family_refused(policy, AF_NETLINK, "AF_NETLINK");
	assert_family_refused(policy, AF_PACKET, "AF_PACKET");
	/* The kernel reads the family as an int: this is AF_UNIX to it. */
	assert_family_refused(policy, (1UL << 32) | AF_UNIX, "AF_UNIX with high bits set");
	assert_allowed(policy, probe_socket_families, 0, "every family but the three");
	/* The same calls succeed without a filter, and with socket named. */
	probe_family = AF_NETLINK;
	assert_result(run_filter(NULL, false, probe_socket_family), 0, "AF_NETLINK unfiltered");
	probe_family = (1UL << 32) | AF_UNIX;
	assert_result(run_filter(NULL, false, probe_socket_family), 0, "AF_UNIX, high bits, unfiltered");
	policy.allow = "socket";
	probe_family = AF_NETLINK;
	assert_allowed(policy, probe_socket_family, 0, "default + allow socket: AF_NETLINK");
}
END_TEST

#ifdef __x86_64__
/* futex_wake on a word nobody waits on: 0 where the kernel has it. */
static int probe_futex_wake(int sock)
{
	static unsigned int word;

	(void)sock;
	return result(syscall(454, &word, 0xffffffffUL, 1, 0x82 /* FUTEX2_SIZE_U32 | PRIVATE */));
}

/* lsm_list_modules with no buffer: EFAULT where the kernel has it. */
static int probe_lsm_list_modules(int sock)
{
	(void)sock;
	return result(syscall(461, NULL, NULL, 0));
}

/*
 * Calls no table names fail with ENOSYS under both actions, so that libc
 * falls back: futex_wake (454), which this libseccomp may or may not name,
 * and lsm_list_modules (461), newer than it. Skipped on kernels without them.
 */
START_TEST(test_default_enosys_unnamed)
{
	static const struct probe_case cases[] = {
		{ "futex_wake (454)", probe_futex_wake, 0 },
		{ "lsm_list_modules (461)", probe_lsm_list_modules, EFAULT },
	};
	struct syscall_policy policy = policy_of("default");

	for (int i = 0; i < COUNT(cases); i++) {
		if (WEXITSTATUS(run_filter(NULL, false, cases[i].probe)) == ENOSYS) {
			printf("%s: not in this kernel, skipped\n", cases[i].name);
			continue;
		}
		assert_result(run_filter(NULL, false, cases[i].probe), cases[i].allowed_errno,
		    cases[i].name);
		policy.action = SYSCALL_FILTER_ERRNO;
		assert_result(run(&policy, cases[i].probe), ENOSYS, cases[i].name);
		policy.action = SYSCALL_FILTER_KILL;
		assert_result(run(&policy, cases[i].probe), ENOSYS, cases[i].name);
	}
}
END_TEST
#endif

/* The program probe_program runs; its stdout goes to /dev/null. */
static const char *const *program_argv;

static int probe_program(int sock)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	(void)sock;
	if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
		return EBADF;
	execv(program_argv[0], (char *const *)program_argv);
	return errno;
}

/*
 * What the default profile must keep running: sh (fork, pipes, exec),
 * functions/hello-cgi.sh, functions/python-runtime.py (threads, sockets,
 * getaddrinfo, ssl, subprocess) and php-cgi with OPcache, each under the
 * kill action, so that any call it refuses shows. A missing interpreter
 * is skipped.
 */
START_TEST(test_default_runs_programs)
{
	static const char *const sh[] = { "/bin/sh", "-c",
	    "x=$(echo hi | /bin/cat) && [ \"$x\" = hi ] && (exit 0) && /bin/true", NULL };
	static const char *const cgi[] = { "/bin/sh", "functions/hello-cgi.sh", NULL };
	static const char *const python[] = { "/usr/bin/python3", "functions/python-runtime.py",
	    NULL };
	static const char *const php[] = { "/usr/bin/php-cgi", "-q", "-d", "opcache.enable=1",
	    "functions/hello.php", NULL };
	static const char *const *const programs[] = { sh, cgi, python, php };
	struct syscall_policy policy = policy_of("default");

	for (int i = 0; i < COUNT(programs); i++) {
		program_argv = programs[i];
		if (access(program_argv[0], X_OK) != 0) {
			printf("%s: not installed, skipped\n", program_argv[0]);
			continue;
		}
		assert_exit_code(run(&policy, probe_program), 0, program_argv[0]);
	}
}
END_TEST

static void assert_build_error(const struct syscall_policy *policy, const char *needle)
{
	struct syscall_filter *filter = (struct syscall_filter *)&filter;
	char err[256] = "";

	ck_assert_int_eq(syscall_filter_build(policy, &filter, err, sizeof(err)), -1);
	ck_assert_ptr_null(filter);
	ck_assert_msg(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
}

START_TEST(test_unknown_names)
{
	struct syscall_policy policy = policy_of("default");

	policy.allow = "read nosuchcall";
	assert_build_error(&policy, "seccomp.allow: unknown system call 'nosuchcall'");
	policy.allow = NULL;
	policy.deny = "ptrace,@nosuchgroup";
	assert_build_error(&policy, "seccomp.deny: unknown group '@nosuchgroup'");
	policy.deny = "a_name_far_longer_than_any_system_call_could_ever_be_named_really";
	assert_build_error(&policy, "name too long");
	policy.deny = NULL;
	policy.profile = "lenient";
	assert_build_error(&policy, "unknown seccomp profile 'lenient'");
	policy.profile = "profiles/relative";
	assert_build_error(&policy, "unknown seccomp profile");
	policy.profile = "strict";
	policy.exec_path = NULL;
	assert_build_error(&policy, "needs the exec path");
}
END_TEST

START_TEST(test_off)
{
	struct syscall_policy policy = policy_of("off");
	struct syscall_filter *filter = (struct syscall_filter *)&filter;
	char err[256] = "";

	policy.allow = NULL;
	ck_assert_int_eq(syscall_filter_build(&policy, &filter, err, sizeof(err)), 0);
	ck_assert_ptr_null(filter);
	assert_result(run_filter(NULL, true, probe_ptrace), 0, "ptrace under off");
	policy.deny = "ptrace";
	assert_build_error(&policy, "need a profile");
}
END_TEST

/* Writes text to a new temporary file and returns its path (static). */
static const char *profile_file(const char *text)
{
	static char path[] = "/tmp/check_seccomp.XXXXXX";
	int fd;

	strcpy(path + strlen(path) - 6, "XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_profile_file)
{
	struct syscall_policy policy = policy_of("");
	const char *path;

	path = profile_file("# what /bin/true needs\n"
	    "@default @basic-io, @file-read\n"
	    "@memory,@signal   # and a comment\n"
	    "openat prlimit64\n");
	policy.profile = path;
	assert_allowed(policy, probe_exec_first, 0, "file: first execve");
	assert_denied(policy, probe_exec_copy, "file: second execve");
	assert_denied(policy, probe_socket, "file: socket");
	unlink(path);
}
END_TEST

START_TEST(test_profile_file_errors)
{
	struct syscall_policy policy = policy_of("");
	char needle[128], *path, line[600];

	path = strdup(profile_file("read write\n\n  close nosuchcall # ok\n"));
	policy.profile = path;
	snprintf(needle, sizeof(needle), "%s:3: unknown system call 'nosuchcall'", path);
	assert_build_error(&policy, needle);
	unlink(path);
	free(path);

	path = strdup(profile_file("read\n@nosuchgroup\n"));
	policy.profile = path;
	snprintf(needle, sizeof(needle), "%s:2: unknown group '@nosuchgroup'", path);
	assert_build_error(&policy, needle);
	unlink(path);
	free(path);

	path = strdup(profile_file("# nothing but comments\n\n"));
	policy.profile = path;
	assert_build_error(&policy, "names no system call");
	unlink(path);
	free(path);

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	path = strdup(profile_file(line));
	policy.profile = path;
	snprintf(needle, sizeof(needle), "%s:1: line longer than", path);
	assert_build_error(&policy, needle);
	unlink(path);
	free(path);

	policy.profile = "/nonexistent/gatewayd.seccomp";
	assert_build_error(&policy, "/nonexistent/gatewayd.seccomp: No such file or directory");
}
END_TEST

#ifdef __x86_64__
/* Another ABI is refused whatever the action, even for a call default allows. */
START_TEST(test_foreign_abi)
{
	struct syscall_policy policy = policy_of("default");

	assert_result(run_filter(NULL, false, probe_i386_getpid), 0, "i386 getpid unfiltered");
	policy.action = SYSCALL_FILTER_ERRNO;
	assert_sigsys(run(&policy, probe_i386_getpid), "i386 getpid under default");
	assert_sigsys(run(&policy, probe_x32_getpid), "x32 getpid under default");
	policy.profile = "strict";
	assert_sigsys(run(&policy, probe_i386_getpid), "i386 getpid under strict");
	assert_sigsys(run(&policy, probe_x32_getpid), "x32 getpid under strict");
}
END_TEST
#endif

static const struct syscall_group *group_find(const char *name)
{
	for (const struct syscall_group *g = syscall_groups; g->name != NULL; g++)
		if (strcmp(g->name, name) == 0)
			return g;
	return NULL;
}

/* Every name in the tables is a group or a call this libseccomp knows:
 * a typo would otherwise be skipped as "not on this architecture". */
START_TEST(test_group_table)
{
	int groups = 0;

	for (const struct syscall_group *g = syscall_groups; g->name != NULL; g++, groups++) {
		ck_assert_msg(g->name[0] == '@' && g->help != NULL && g->help[0] != '\0',
		    "group %s: name or help", g->name);
		ck_assert_msg(group_find(g->name) == g, "group %s defined twice", g->name);
		for (const char *const *s = g->syscalls; *s != NULL; s++) {
			if ((*s)[0] == '@')
				ck_assert_msg(group_find(*s) != NULL, "%s: unknown group %s", g->name, *s);
			else
				ck_assert_msg(seccomp_syscall_resolve_name(*s) != __NR_SCMP_ERROR,
				    "%s: libseccomp does not know %s", g->name, *s);
		}
	}
	ck_assert_int_ge(groups, 20);
}
END_TEST

/* A copy of syscall_groups whose @timer lists calls instead of its own. */
static struct syscall_group *groups_with_timer(const char *const *calls)
{
	static struct syscall_group groups[64];
	int n = 0;

	for (const struct syscall_group *g = syscall_groups; g->name != NULL; g++) {
		ck_assert_int_lt(n, COUNT(groups) - 1);
		groups[n] = *g;
		if (strcmp(g->name, "@timer") == 0)
			groups[n].syscalls = calls;
		n++;
	}
	groups[n] = (struct syscall_group){ NULL, NULL, NULL };
	return groups;
}

/*
 * A name in a built-in group that this libseccomp cannot resolve fails the
 * build with an error that says so (it would otherwise pass for a call of
 * another architecture); a name it knows but this architecture lacks is
 * accepted and ignored.
 */
START_TEST(test_group_name_unknown_to_libseccomp)
{
	static const char *const unknown[] = { "alarm", "gatewayd_no_such_call", NULL };
	static const char *const foreign[] = { "alarm", "mmap2", "vm86", "cacheflush", NULL };
	struct syscall_policy policy = policy_of("default");
	struct syscall_filter *filter = (struct syscall_filter *)&filter;
	char err[256] = "";

	ck_assert_int_eq(syscall_filter_build_groups(&policy, groups_with_timer(unknown), &filter,
	    err, sizeof(err)), -1);
	ck_assert_ptr_null(filter);
	ck_assert_msg(strstr(err, "group @timer names 'gatewayd_no_such_call'") != NULL &&
	    strstr(err, "libseccomp") != NULL, "error '%s'", err);
	policy.profile = "strict";
	ck_assert_int_eq(syscall_filter_build_groups(&policy, groups_with_timer(unknown), &filter,
	    err, sizeof(err)), -1);

	for (const char *const *s = foreign + 1; *s != NULL; s++)
		if (seccomp_syscall_resolve_name(*s) >= 0)
			return;		/* an architecture that has them */
	ck_assert_int_eq(syscall_filter_build_groups(&policy, groups_with_timer(foreign), &filter,
	    err, sizeof(err)), 0);
	syscall_filter_free(filter);
}
END_TEST
/* Builds policy and says whether its filter lets a zygote start programs. */
static bool forks_and_execs(const struct syscall_policy *policy)
{
	struct syscall_filter *filter = NULL;
	char err[256] = "";

	ck_assert_msg(syscall_filter_build(policy, &filter, err, sizeof(err)) == 0, "%s", err);
	bool yes = syscall_filter_forks_and_execs(filter);
	syscall_filter_free(filter);
	return yes;
}

/* Which filters a CGI function's zygote (fcgi-pool/zygote.c) may work under. */
START_TEST(test_forks_and_execs)
{
	struct syscall_policy policy = policy_of("default");

	ck_assert(forks_and_execs(&policy));
	policy.deny = "setsid";
	ck_assert(!forks_and_execs(&policy));
	policy.deny = "@process";
	ck_assert(!forks_and_execs(&policy));
	policy.deny = "ptrace";
	ck_assert(forks_and_execs(&policy));
	policy = policy_of("strict");
	ck_assert(!forks_and_execs(&policy));
	policy.allow = "setsid prctl";	/* clone still by strict's thread-only rule */
	ck_assert(!forks_and_execs(&policy));
	policy.allow = "clone setsid prctl";	/* seccomp.allow overrides that rule */
	ck_assert(forks_and_execs(&policy));
	ck_assert(syscall_filter_forks_and_execs(NULL));	/* seccomp = off */

	policy = policy_of("");
	policy.profile = profile_file("@default @basic-io @memory @signal @process @socket-io\n");
	ck_assert(forks_and_execs(&policy));
	unlink(policy.profile);
	policy.profile = profile_file("@default @basic-io @memory @signal @socket-io execve\n");
	ck_assert(!forks_and_execs(&policy));
	unlink(policy.profile);
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("profiles");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_always_denied, 0, COUNT(always_denied));
	tcase_add_loop_test(tc, test_strict_only_denied, 0, COUNT(strict_only_denied));
	tcase_add_loop_test(tc, test_always_allowed, 0, COUNT(always_allowed));
	tcase_add_test(tc, test_default_denies_list);
	tcase_add_test(tc, test_default_within_docker);
	tcase_add_test(tc, test_clone_namespaces);
	tcase_add_test(tc, test_enosys_fallbacks);
	tcase_add_test(tc, test_strict_exec_once_real_program);
	tcase_add_test(tc, test_allow_and_deny);
	tcase_add_test(tc, test_default_socket_families);
	tcase_add_test(tc, test_default_runs_programs);
#ifdef __x86_64__
	tcase_add_test(tc, test_default_enosys_unnamed);
	tcase_add_test(tc, test_foreign_abi);
#endif
	suite_add_tcase(s, tc);

	tc = tcase_create("building");
	tcase_add_test(tc, test_unknown_names);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_profile_file);
	tcase_add_test(tc, test_profile_file_errors);
	tcase_add_test(tc, test_group_table);
	tcase_add_test(tc, test_group_name_unknown_to_libseccomp);
	tcase_add_test(tc, test_forks_and_execs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(seccomp_suite());
	int failed;

	exec_true = strdup(exec_true_copy);
	if (exec_true == NULL)
		return 1;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(exec_true);
	return failed == 0 ? 0 : 1;
}
