#!/usr/bin/env bash
# user = / group =: the worker runs with that uid and gid (real, effective,
# saved and filesystem), without root's supplementary groups. Running a
# function as root needs allow_root = yes; without it `gatewayd -t` names
# the line. Needs root to switch users.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

nobody_uid=$(id -u nobody) || skip "no user nobody"
nobody_gid=$(id -g nobody)
daemon_gid=$(getent group daemon | cut -d: -f3)
[ -n "$daemon_gid" ] || skip "no group daemon"

# ids_of PID Uid|Gid: the four ids of that /proc/PID/status line.
ids_of() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' ' '
}

# assert_no_root_group: the last whoami body lists no group 0.
assert_no_root_group() {
	case ",$(sed -n 's/^uid=.* groups=//p' "$BODY")," in
	*,0,*) fail "$1 kept root's group 0: '$(_show <"$BODY")'" ;;
	esac
}

gw_config <<EOF2
[asnobody]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
user = nobody

[withgroup]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
user = nobody
group = daemon

[asroot]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
user = root
allow_root = yes
EOF2
gw_start
nginx_up

probe_pid asnobody
u=$nobody_uid g=$nobody_gid
assert_eq "$u $u $u $u" "$(ids_of "$PROBE_PID" Uid)" "Uid line of the user = nobody worker"
assert_eq "$g $g $g $g" "$(ids_of "$PROBE_PID" Gid)" "Gid line of the user = nobody worker"
probe asnobody whoami
assert_status 200
assert_contains "$(cat "$BODY")" "uid=$u gid=$g " "whoami of the user = nobody worker"
assert_no_root_group "the user = nobody worker"
# Leaving uid 0 dropped every capability.
assert_eq "0000000000000000" "$(sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$PROBE_PID/status")" \
	"effective capabilities of the user = nobody worker"

probe_pid withgroup
assert_eq "$u $u $u $u" "$(ids_of "$PROBE_PID" Uid)" "Uid line of user = nobody, group = daemon"
d=$daemon_gid
assert_eq "$d $d $d $d" "$(ids_of "$PROBE_PID" Gid)" "Gid line of user = nobody, group = daemon"
probe withgroup whoami
assert_contains "$(cat "$BODY")" "uid=$u gid=$d " "whoami of user = nobody, group = daemon"
assert_no_root_group "the user = nobody, group = daemon worker"

probe asroot whoami
assert_status 200
assert_contains "$(cat "$BODY")" "uid=0 gid=0 " "whoami of the user = root, allow_root = yes worker"
assert_gw_alive

# user = root without allow_root: refused, naming file and line (line 6).
gw_global_conf "$T/root.ini"
printf '[fn]\nexec = %s\nuser = root\n' "$FUNCTIONS/sysprobe" >>"$T/root.ini"
gw_check "$T/root.ini" && fail "gatewayd -t accepted user = root without allow_root"
assert_file_contains "$T/root.ini.out" "root.ini:" "gatewayd -t output for user = root"
printf 'allow_root = yes\n' >>"$T/root.ini"
gw_check "$T/root.ini" ||
	fail "gatewayd -t refused user = root with allow_root = yes: '$(_show <"$T/root.ini.out")'"

# An unknown user is a configuration error too.
gw_global_conf "$T/nouser.ini"
printf '[fn]\nexec = %s\nuser = no-such-user-gw\n' "$FUNCTIONS/sysprobe" >>"$T/nouser.ini"
gw_check "$T/nouser.ini" && fail "gatewayd -t accepted user = no-such-user-gw"
assert_file_contains "$T/nouser.ini.out" "nouser.ini:7:" "gatewayd -t output for an unknown user"
