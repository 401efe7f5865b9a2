#!/usr/bin/env bash
# [global] user = nobody: gatewayd binds its socket as root, then runs as
# nobody, while the workers of a function without a user of its own run as a
# dynamic user of their own (never gatewayd's), shown in the start-up log;
# requests, a worker's respawn and the shutdown all work. Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

u=$(id -u nobody) || skip "no user nobody"
g=$(id -g nobody)

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
w=$(ids_of "$first" Uid | cut -d' ' -f1)
[ "$w" != "$u" ] || fail "the worker runs as gatewayd's own user nobody ($u)"
[ "$w" -ge 61184 ] && [ "$w" -le 65519 ] || fail "the worker's uid $w is not from dynamic_users 61184-65519"
assert_eq "$w $w $w $w" "$(ids_of "$first" Uid)" "Uid line of a worker without user ="
assert_eq "$w $w $w $w" "$(ids_of "$first" Gid)" "Gid line of a worker without user (its own gid)"
assert_file_contains "$GW_LOG" "function inherits: pm static, up to 1 workers of $FUNCTIONS/sysprobe, as uid $w gid $w (a dynamic user of its own)" \
	"start-up log line with the worker's uid"
probe inherits whoami
assert_status 200
assert_contains "$(cat "$BODY")" "uid=$w gid=$w groups=$w" "whoami of a worker without user ="

# Respawning does not need gatewayd to be root, and keeps the uid.
kill -KILL "$first"
probe_pid inherits
[ "$PROBE_PID" != "$first" ] || fail "worker $first still answers after kill -9"
assert_eq "$w $w $w $w" "$(ids_of "$PROBE_PID" Uid)" "Uid line of the respawned worker"

# The same function gets the same uid at the next start.
gw_stop
gw_start
probe_pid inherits
assert_eq "$w $w $w $w" "$(ids_of "$PROBE_PID" Uid)" "Uid line of the worker after a restart"
assert_gw_alive
