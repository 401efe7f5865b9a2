#!/usr/bin/env bash
# seccomp = off installs no filter at all; seccomp.deny adds calls to a
# profile, seccomp.allow takes them out of it (names and @groups; naming
# socket lifts default's family check); an unknown name is a configuration
# error.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

# The "Seccomp:" line of /proc/PID/status: 0 none, 2 filter.
seccomp_mode() {
	sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$1/status"
}

# The off worker runs as root (when the test does), so that unshare shows
# the kernel's own answer, not the refusal of an unprivileged user.
off_user=""
unshare_answer="unshare: error EPERM"
if [ "$(id -u)" -eq 0 ]; then
	off_user=$'user = root\nallow_root = yes'
	unshare_answer="unshare: ok"
fi

gw_config <<EOF2
[off]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = off
$off_user

[deny]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = default
seccomp.action = errno
seccomp.deny = socket

[allow]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = default
seccomp.action = errno
seccomp.allow = @debug socket

[plain]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp.action = errno
EOF2
gw_start
nginx_up

# off: no filter in the worker, and the calls default denies get the
# kernel's own answers (sysprobe's header lists them).
probe_pid off
assert_eq 0 "$(seccomp_mode "$PROBE_PID")" "Seccomp mode of the seccomp = off worker"
probe_expect off ptrace "ptrace: error ESRCH"
probe_expect off mount "mount: error ENOENT"
probe_expect off bpf "bpf: error EINVAL"
probe_expect off unshare "$unshare_answer"
probe_expect off netlink "netlink: ok"
probe_expect off tiocsti "tiocsti: error ENOTTY"
# futex_wake, the new call sysprobe makes, exists from Linux 6.7 on.
IFS=.- read -r major minor _ <<<"$(uname -r)"
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 7 ]; }; then
	probe_expect off newsyscall "newsyscall: ok"
fi

# No seccomp key at all means the default profile.
probe_pid plain
assert_eq 2 "$(seccomp_mode "$PROBE_PID")" "Seccomp mode of a worker without a seccomp key"
probe_expect plain ptrace "ptrace: error EPERM"
probe_expect plain socket "socket: ok"
probe_expect plain netlink "netlink: error EAFNOSUPPORT"

# deny adds to the profile, which stays in force.
probe_expect deny socket "socket: error EPERM"
probe_expect deny connect "connect: error EPERM"
probe_expect deny mount "mount: error EPERM"
probe_expect deny fork "fork: ok"

# allow = @debug takes ptrace out of the default profile, only ptrace;
# socket lifts the family check.
probe_expect allow ptrace "ptrace: error ESRCH"
probe_expect allow netlink "netlink: ok"
probe_expect allow mount "mount: error EPERM"
probe_expect allow bpf "bpf: error EPERM"
assert_gw_alive

# An unknown system call or group is a configuration error: gatewayd does
# not start, and `gatewayd -t` says so too.
for bad in "seccomp.deny = no_such_syscall" "seccomp.allow = @no-such-group"; do
	gw_global_conf "$T/bad.ini"
	printf '[fn]\nexec = %s\n%s\nallow_root = yes\n' "$FUNCTIONS/sysprobe" "$bad" >>"$T/bad.ini"
	rc=0
	timeout 5 "$GATEWAYD" -c "$T/bad.ini" >"$T/bad.start" 2>&1 || rc=$?
	case $rc in
	0 | 124) fail "gatewayd started with '$bad' (exit status $rc)" ;;
	esac
	assert_file_contains "$T/bad.start" "${bad##* }" "gatewayd's start-up error for '$bad'"
	gw_check "$T/bad.ini" && fail "gatewayd -t accepted '$bad' (gatewayd itself refuses to start)"
	assert_file_contains "$T/bad.ini.out" "${bad##* }" "gatewayd -t output for '$bad'"
done
