#!/usr/bin/env bash
# What gatewayd holds and the files it trusts. Started as root without
# [global] user, it still drops to a (dynamic) user of its own, with no
# capability and a filter of its own (no exec, no TIOCSTI); the unix listen socket gets listen.owner, listen.group and
# listen.mode; a symlink where the pid file or the journal goes is refused,
# never followed; an existing journal is made 0600; `gatewayd -s` signals
# only a gatewayd; an env_file must be root's and written by nobody else;
# started as another user, gatewayd says loudly that it cannot isolate.
# Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

www=$(getent group www-data | cut -d: -f3) || skip "no group www-data"
GW_GLOBAL_EXTRA="pid = $T/run/gatewayd.pid
listen.group = www-data
async.journal = $GW_JOURNAL" gw_config <<EOF2
[fn]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
async = on
EOF2
gw_start

# A dynamic user of its own, not root, not the worker's.
d=$(status_ids "$GW_PID" Uid | cut -d' ' -f1)
[ "$d" -ge 61184 ] && [ "$d" -le 65519 ] || fail "gatewayd runs as uid $d, not a dynamic one"
assert_eq "$d $d $d $d" "$(status_ids "$GW_PID" Uid)" "gatewayd's uids"
assert_file_contains "$GW_LOG" "gatewayd runs as uid $d gid $d (a dynamic user of its own), without capabilities" \
	"start-up log line for gatewayd's own user"
for set in CapPrm CapEff CapBnd; do
	assert_eq 0000000000000000 "$(sed -n "s/^$set:[[:space:]]*//p" "/proc/$GW_PID/status")" \
		"gatewayd's $set"
done
# Its own filter: it never runs a program nor types into a terminal.
assert_eq 2 "$(sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$GW_PID/status")" "gatewayd's seccomp mode"
w=$(gw_workers | head -n1)
[ "$(status_ids "$w" Uid | cut -d' ' -f1)" != "$d" ] || fail "the worker runs as gatewayd's uid $d"

# listen.owner defaults to gatewayd's user; listen.group and listen.mode as set.
assert_eq "$d $www 660" "$(stat -c '%u %g %a' "$GW_SOCK")" "owner, group and mode of the listen socket"
assert_eq "$d 600" "$(stat -c '%u %a' "$GW_JOURNAL")" "owner and mode of the journal"

# gatewayd -s signals only a gatewayd: not a process the pid file was made to name.
sleep 30 &
decoy=$!
bg_track "$decoy"
cp "$T/run/gatewayd.pid" "$T/real.pid"
echo "$decoy" >"$T/run/gatewayd.pid"
rc=0
"$GATEWAYD" -s stop -c "$GW_CONF" >"$T/s.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gatewayd -s stop accepted a pid file naming pid $decoy (sleep)"
assert_file_contains "$T/s.out" "pid $decoy (from $T/run/gatewayd.pid) is not a gatewayd" "gatewayd -s output"
pid_alive "$decoy" || fail "gatewayd -s stop signalled $decoy, which is not a gatewayd"
echo "$(gw_spawner)" >"$T/run/gatewayd.pid"
"$GATEWAYD" -s stop -c "$GW_CONF" >"$T/s.out" 2>&1 && fail "gatewayd -s stop signalled the spawner"
cp "$T/real.pid" "$T/run/gatewayd.pid"
gw_stop
[ -e "$T/run/gatewayd.pid" ] && fail "the pid file is left after a clean stop"

# The journal is made 0600 at start; a symlink where it or the pid file goes is refused.
chmod 0644 "$GW_JOURNAL"
gw_start
assert_eq 600 "$(stat -c '%a' "$GW_JOURNAL")" "mode of a journal found 0644"
gw_stop
echo keep >"$T/target"
for what in "$GW_JOURNAL" "$T/run/gatewayd.pid"; do
	mv "$GW_JOURNAL" "$T/journal.saved" 2>/dev/null
	ln -sf "$T/target" "$what"
	rc=0
	timeout 10 "$GATEWAYD" -c "$GW_CONF" >"$T/symlink.out" 2>&1 || rc=$?
	case $rc in 0 | 124) fail "gatewayd started with a symlink at $what (status $rc)" ;; esac
	assert_file_contains "$T/symlink.out" "$what: is a symbolic link" "start-up error for a symlink at $what"
	assert_eq keep "$(cat "$T/target")" "the symlink's target after the refused start"
	rm -f "$what"
done

# An env_file must be root's (or gatewayd's) and writable by nobody else.
printf 'SECRET=x\n' >"$T/other.env"
chmod 0600 "$T/other.env"
chown nobody "$T/other.env"
printf 'SECRET=x\n' >"$T/groupw.env"
chmod 0620 "$T/groupw.env"
for env in other groupw; do
	gw_global_conf "$T/$env.ini"
	printf '[fn]\nexec = %s\nenv_file = %s\n' "$FUNCTIONS/sysprobe" "$T/$env.env" >>"$T/$env.ini"
	gw_check "$T/$env.ini" && fail "gatewayd -t accepted the env_file $env.env"
	assert_file_contains "$T/$env.ini.out" "$env.ini:7: env_file $T/$env.env" "gatewayd -t output for $env.env"
done

# Started as a plain user, gatewayd cannot separate anything, and says so.
mkdir -m 0777 "$T/plain"
gw_global_conf "$T/plain/gw.ini"
sed -i "s#run_dir = .*#run_dir = $T/plain/run#; s#listen = .*#listen = $T/plain/gw.sock#" "$T/plain/gw.ini"
printf '[fn]\nexec = %s\n' "$FUNCTIONS/hello" >>"$T/plain/gw.ini"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$GATEWAYD" -c "$T/plain/gw.ini" \
	>"$T/plain/log" 2>&1 &
plain=$!
bg_track "$plain"
for ((i = 0; i < 50; i++)); do
	grep -q "gatewayd started" "$T/plain/log" && break
	sleep 0.1
done
assert_file_contains "$T/plain/log" "gatewayd was not started as root: it cannot give functions users of their own" \
	"the warning of a gatewayd started as nobody"
kill -TERM "$plain"
wait "$plain" || fail "gatewayd started as nobody exited with status $? after SIGTERM"
