#!/usr/bin/env bash
# [global] user = nobody: gatewayd binds its socket as root, then runs as
# nobody, and so do the workers of functions without a user of their own;
# requests, a worker's respawn and the shutdown all work unprivileged.
# Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

u=$(id -u nobody) || skip "no user nobody"
g=$(id -g nobody)
# The test dir is root's 0700 mktemp dir; gatewayd as nobody must reach the
# run dir inside it (the listen socket itself is bound while still root).
chmod 0711 "$T"

GW_GLOBAL_EXTRA="user = nobody" gw_config <<EOF2
[inherits]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
EOF2
gw_start
nginx_up

ids_of() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' ' '
}

assert_eq "$u $u $u $u" "$(ids_of "$GW_PID" Uid)" "Uid line of gatewayd after [global] user = nobody"
assert_eq "$g $g $g $g" "$(ids_of "$GW_PID" Gid)" "Gid line of gatewayd after [global] user = nobody"

probe_pid inherits
first=$PROBE_PID
assert_eq "$u $u $u $u" "$(ids_of "$first" Uid)" "Uid line of a worker under [global] user = nobody"
probe inherits whoami
assert_status 200
assert_contains "$(cat "$BODY")" "uid=$u gid=$g " "whoami of a worker under [global] user = nobody"

# Respawning does not need root either.
kill -KILL "$first"
probe_pid inherits
[ "$PROBE_PID" != "$first" ] || fail "worker $first still answers after kill -9"
assert_eq "$u $u $u $u" "$(ids_of "$PROBE_PID" Uid)" "Uid line of the respawned worker"
assert_gw_alive
