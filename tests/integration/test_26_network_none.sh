#!/usr/bin/env bash
# network = none: the worker lives in a network namespace of its own that
# holds only the loopback interface; network = host (the default) sees the
# machine's interfaces. chdir = sets the worker's working directory. Needs
# root for the namespace.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

gw_config <<EOF2
[isolated]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
network = none
chdir = /tmp

[hostnet]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
network = host
EOF2
gw_start
nginx_up

probe isolated net
assert_status 200
assert_body "lo"
probe_pid isolated
isolated_ns=$(readlink "/proc/$PROBE_PID/ns/net")

probe hostnet net
assert_status 200
host_ifaces=$(sort "$BODY" | tr '\n' ' ')
expected=$(sed -n 's/^ *\([^:]*\):.*/\1/p' /proc/net/dev | sort | tr '\n' ' ')
assert_eq "$expected" "$host_ifaces" "interfaces a network = host worker sees"
probe_pid hostnet
host_ns=$(readlink "/proc/$PROBE_PID/ns/net")
assert_eq "$(readlink /proc/self/ns/net)" "$host_ns" "network namespace of a network = host worker"
[ "$isolated_ns" != "$host_ns" ] || fail "network = none worker shares the host namespace ($host_ns)"

probe isolated whoami
assert_status 200
grep -qx 'cwd=/tmp' "$BODY" || fail "whoami of a chdir = /tmp worker: no line 'cwd=/tmp' in '$(_show <"$BODY")'"
probe hostnet whoami
assert_status 200
grep -qx "cwd=$T" "$BODY" || fail "whoami of a worker without chdir: no line 'cwd=$T' (gatewayd's) in '$(_show <"$BODY")'"

# chdir must be an absolute path.
gw_global_conf "$T/bad.ini"
printf '[fn]\nexec = %s\nchdir = relative/dir\nallow_root = yes\n' "$FUNCTIONS/sysprobe" >>"$T/bad.ini"
gw_check "$T/bad.ini" && fail "gatewayd -t accepted chdir = relative/dir"
assert_file_contains "$T/bad.ini.out" "bad.ini:7:" "gatewayd -t output for chdir = relative/dir"
assert_gw_alive
