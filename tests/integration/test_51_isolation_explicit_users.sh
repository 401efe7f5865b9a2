#!/usr/bin/env bash
# Explicit per-function users under [global] user = nobody, the combination
# that used to leave every worker failing at setuid: both functions start,
# each as its own user, the hostile one can neither signal nor read the
# victim or gatewayd, and kill -9 of gatewayd takes every worker with it
# (their parent-death signal survives the uid change). `gatewayd -t`
# refuses a function whose user is gatewayd's own. Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

nobody=$(id -u nobody) || skip "no user nobody"
vu=$(id -u daemon) || skip "no user daemon"
hu=$(id -u bin) || skip "no user bin"
SECRET=explicit-secret-$RANDOM$RANDOM
printf 'VICTIM_SECRET=%s\n' "$SECRET" >"$T/victim.env"
chmod 0600 "$T/victim.env"

GW_GLOBAL_EXTRA="user = nobody" gw_config <<EOF2
[victim]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
user = daemon
env_file = $T/victim.env

[hostile]
exec = $HOSTILE
pm.max_children = 1
user = bin
seccomp.action = errno
EOF2
gw_start
nginx_up
spawner=$(gw_spawner) || fail "gatewayd has no spawner child"

probe_pid victim
victim=$PROBE_PID
assert_eq "$vu $vu $vu $vu" "$(status_ids "$victim" Uid)" "the victim's uids (user = daemon)"
http_get "/function/hostile?attack=whoami"
assert_status 200
assert_contains "$(cat "$BODY")" "whoami: uid=$hu " "the hostile worker's uid (user = bin)"

attack_refused hostile "kill&pid=$GW_PID&sig=9" EPERM
attack_refused hostile "kill&pid=$spawner&sig=9" EPERM
attack_refused hostile "kill&pid=$victim&sig=9" EPERM
attack_refused hostile "environ&pid=$victim&needle=$SECRET" 'EACCES|EPERM'
attack_refused hostile "mem&pid=$victim" 'EACCES|EPERM'
attack_refused hostile "read&path=$T/victim.env" EACCES
attack_refused hostile "setuid&uid=$vu" EPERM
attack_refused hostile "setuid&uid=$nobody" EPERM
attack_refused hostile "create&dir=$T/run" EACCES
probe_pid victim
assert_eq "$victim" "$PROBE_PID" "the victim's worker after the attacks"

# kill -9 of gatewayd: the spawner dies with it, and the workers with the
# spawner, whatever user they run as.
workers=$(gw_workers | tr '\n' ' ')
[ "$(echo "$workers" | wc -w)" -eq 2 ] || fail "expected 2 workers, got '$workers'"
gw_kill9
for ((i = 0; i < 40; i++)); do
	left=""
	for pid in $spawner $workers; do
		pid_alive "$pid" && left="$left $pid"
	done
	[ -z "$left" ] && break
	sleep 0.05
done
[ -z "$left" ] || fail "still alive 2 s after kill -9 of gatewayd:$left"

# A function whose user is gatewayd's own is refused, naming its line.
gw_global_conf "$T/same.ini"
printf 'user = nobody\n\n[fn]\nexec = %s\nuser = nobody\n' "$FUNCTIONS/sysprobe" >>"$T/same.ini"
gw_check "$T/same.ini" && fail "gatewayd -t accepted a function with gatewayd's own user"
assert_file_contains "$T/same.ini.out" "same.ini:7: [fn]: user = nobody is gatewayd's own user" \
	"gatewayd -t output for user = gatewayd's user"
