#!/usr/bin/env bash
# seccomp = strict: a worker may compute, read files and talk on its own
# socket, nothing more: no new socket, no fork, no second exec, no open for
# writing. With action errno those fail with EPERM; with action kill the
# worker dies (502), is logged and respawned. php-cgi still runs under it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[strict]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = strict
seccomp.action = errno

[strictkill]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = strict
seccomp.action = kill

[php]
; OPcache creates a lock file at start-up: strict refuses opens for writing.
exec = /usr/bin/php-cgi -d opcache.enable=0
script = $REPO/functions/hello.php
pm.max_children = 1
seccomp = strict
EOF2
gw_start
nginx_up

probe_pid strict
strict_pid=$PROBE_PID
probe_expect strict socket "socket: error EPERM"
# connect needs a socket first: sysprobe reports the socket() error.
probe_expect strict connect "connect: error EPERM"
probe_expect strict fork "fork: error EPERM"
probe_expect strict execve "execve: error EPERM"
probe_expect strict openw "openw: error EPERM"
probe_expect strict netlink "netlink: error EPERM"
probe_expect strict tiocsti "tiocsti: error EPERM"
probe_expect strict newsyscall "newsyscall: error EPERM"
ls /tmp/sysprobe.* >/dev/null 2>&1 && fail "a /tmp/sysprobe.* file exists after a denied openw"
probe_expect strict openr "openr: ok"
probe strict alloc mb=1
assert_status 200
assert_body "alloc: ok 1 MiB"
probe strict whoami
assert_status 200
probe_pid strict
assert_eq "$strict_pid" "$PROBE_PID" "pid of the strict worker after denied calls (errno action)"

probe_pid strictkill
kill_pid=$PROBE_PID
probe strictkill fork
assert_status 502
assert_gw_alive
for ((i = 0; i < 20; i++)); do
	grep -qF "function strictkill pid $kill_pid killed by seccomp" "$GW_LOG" && break
	sleep 0.1
done
assert_file_contains "$GW_LOG" "function strictkill pid $kill_pid killed by seccomp" \
	"gatewayd log after fork under strict + kill"
probe_pid strictkill
[ "$PROBE_PID" != "$kill_pid" ] || fail "strictkill still answers from pid $kill_pid"
probe strictkill openr
assert_status 200
assert_body "openr: ok"

http_get /function/php
assert_status 200
assert_body "hello, world"
http_get /function/php
assert_status 200
assert_body "hello, world"
if grep -q "function php pid [0-9]* killed by seccomp" "$GW_LOG"; then
	fail "php-cgi killed under strict: '$(grep -m1 "function php pid [0-9]* killed" "$GW_LOG")'"
fi
assert_gw_alive
