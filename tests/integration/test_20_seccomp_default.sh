#!/usr/bin/env bash
# seccomp = default: the calls a normal program never needs (ptrace, mount,
# bpf, unshare, ioctl TIOCSTI) are denied, sockets and fork are not. With
# action errno the denied call fails with EPERM and the worker lives on; with
# action kill the worker dies by SIGSYS, its request gets 502, gatewayd says
# so in its log, stays up and respawns the worker. Whatever the action, a
# socket of another family than unix, IPv4, IPv6 fails with EAFNOSUPPORT and
# a call the profile does not name (futex_wake) with ENOSYS: refused, not
# killed. functions/hello-cgi.sh and functions/python-runtime.py (what a
# Python worker does) run as CGI under default and kill: a call default
# refused with SIGSYS would show as a 502.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[cgi]
exec = $REPO/functions/hello-cgi.sh
mode = cgi
seccomp = default
seccomp.action = kill

[python]
exec = $REPO/functions/python-runtime.py
mode = cgi
seccomp = default
seccomp.action = kill

[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = default
seccomp.action = errno

[probekill]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = default
seccomp.action = kill
EOF2
gw_start
nginx_up

probe_pid probe
errno_pid=$PROBE_PID
probe_expect probe ptrace "ptrace: error EPERM"
probe_expect probe mount "mount: error EPERM"
probe_expect probe bpf "bpf: error EPERM"
probe_expect probe unshare "unshare: error EPERM"
probe_expect probe tiocsti "tiocsti: error EPERM"
probe_expect probe vsock "vsock: error EAFNOSUPPORT"
probe_expect probe netlink "netlink: error EAFNOSUPPORT"
probe_expect probe newsyscall "newsyscall: error ENOSYS"
probe_expect probe socket "socket: ok"
probe_expect probe fork "fork: ok"
probe_expect probe openw "openw: ok"
# Allowed, the probes report something else than EPERM (sysprobe's header).
probe_expect probe execve "execve: error ENOENT"
# The errno action left the worker alone: the same pid answered throughout.
probe_pid probe
assert_eq "$errno_pid" "$PROBE_PID" "pid of the probe worker after denied calls (errno action)"

probe_pid probekill
kill_pid=$PROBE_PID
probe_expect probekill socket "socket: ok"
probe_expect probekill vsock "vsock: error EAFNOSUPPORT"
probe_expect probekill netlink "netlink: error EAFNOSUPPORT"
probe_expect probekill newsyscall "newsyscall: error ENOSYS"
probe_pid probekill
assert_eq "$kill_pid" "$PROBE_PID" "pid of the probekill worker after refused families and calls"
probe probekill ptrace
assert_status 502
assert_gw_alive
# The death is reported when the child is reaped: give the log a moment.
for ((i = 0; i < 20; i++)); do
	grep -qF "function probekill pid $kill_pid killed by seccomp" "$GW_LOG" && break
	sleep 0.1
done
assert_file_contains "$GW_LOG" "function probekill pid $kill_pid killed by seccomp" \
	"gatewayd log after a seccomp kill"
[ "$(gw_log_count "function probe pid")" -eq 0 ] ||
	fail "the errno-action function was logged as killed: '$(grep -m1 -F "function probe pid" "$GW_LOG")'"

probe_pid probekill
[ "$PROBE_PID" != "$kill_pid" ] ||
	fail "probekill still answers from pid $kill_pid, killed by seccomp"
kill -0 "$kill_pid" 2>/dev/null && fail "worker $kill_pid is still running after SIGSYS"
probe_expect probekill fork "fork: ok"

http_get /function/cgi
assert_status 200
assert_body "hello, world"
if command -v python3 >/dev/null 2>&1; then
	http_get /function/python
	assert_status 200
	assert_body "python: ok"
fi

# The other function was not disturbed.
probe_pid probe
assert_eq "$errno_pid" "$PROBE_PID" "pid of the probe worker after probekill's death"
assert_gw_alive
