#!/usr/bin/env bash
# chroot = DIR: the worker runs inside DIR (started in its "/"), where only
# what was copied in exists: sysprobe and its libraries at the same paths
# (exec is checked outside at load and run inside), no /proc. Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

jail=$T/jail
mkdir -p "$jail$FUNCTIONS" "$jail/tmp"
chmod 1777 "$jail/tmp"
cp "$FUNCTIONS/sysprobe" "$jail$FUNCTIONS/sysprobe"
for lib in $(ldd "$FUNCTIONS/sysprobe" | grep -o '/[^ ]*'); do
	mkdir -p "$jail$(dirname "$lib")"
	cp -L "$lib" "$jail$lib"
done

gw_config <<EOF2
[jailed]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
chroot = $jail
EOF2
gw_start
nginx_up

probe jailed whoami
assert_status 200
grep -qx 'cwd=/' "$BODY" || fail "whoami of a chroot worker: no line 'cwd=/' in '$(_show <"$BODY")'"
# /proc is not in the jail: the probe that reads /proc/self/status fails.
probe_expect jailed openr "openr: error ENOENT"
probe_pid jailed
assert_eq "$jail" "$(readlink "/proc/$PROBE_PID/root")" "root directory of the chroot worker"
probe jailed net
assert_status 500
assert_body "net: cannot read /proc/net/dev"
probe_expect jailed openw "openw: ok"
assert_gw_alive

# The chroot must exist.
gw_global_conf "$T/bad.ini"
printf '[fn]\nexec = %s\nchroot = %s\nallow_root = yes\n' "$FUNCTIONS/sysprobe" "$T/no-jail" >>"$T/bad.ini"
gw_check "$T/bad.ini" && fail "gatewayd -t accepted a chroot that does not exist"
assert_file_contains "$T/bad.ini.out" "bad.ini:7:" "gatewayd -t output for a missing chroot"
