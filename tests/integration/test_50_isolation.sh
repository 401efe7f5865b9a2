#!/usr/bin/env bash
# Isolation, in the shipped configuration's shape: gatewayd started as root
# with [global] user = nobody, functions without a user of their own, and
# run_dir holding the listen socket, the pid file and the async journal. A
# hostile function (tests/functions/hostile.c), under the default profile
# (errno action, so each refusal shows its errno), under strict and with
# seccomp = off (the users alone must hold), attacks a victim function with
# secrets in its env_file and its callback signing key
# (async.callback_secret_file), gatewayd and the spawner. Every attempt must be
# refused, and both functions must still answer. Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

nobody=$(id -u nobody) || skip "no user nobody"
RUN=$T/run
GW_SOCK=$RUN/gw.sock
JOURNAL=$RUN/async.journal
PIDFILE=$RUN/gatewayd.pid
SECRET=victim-secret-$RANDOM$RANDOM
printf 'VICTIM_SECRET=%s\n' "$SECRET" >"$T/victim.env"
chmod 0600 "$T/victim.env"
# The key the victim's callbacks are signed with: root's 0600, read by the
# spawner and held by the daemon; no function may get at it.
printf 'callback-%s\n' "$SECRET" >"$T/callback.secret"
chmod 0600 "$T/callback.secret"

GW_GLOBAL_EXTRA="user = nobody
pid = $PIDFILE
async.journal = $JOURNAL" gw_config <<EOF2
[victim]
exec = $FUNCTIONS/sysprobe
pm.max_children = 2
env_file = $T/victim.env
async = on
async.callback_secret_file = $T/callback.secret

[hostile]
exec = $HOSTILE
pm.max_children = 1
seccomp.action = errno

[hostile_strict]
exec = $HOSTILE
pm.max_children = 1
seccomp = strict
seccomp.action = errno

[hostile_off]
exec = $HOSTILE
pm.max_children = 1
seccomp = off
EOF2
gw_start
nginx_up
spawner=$(gw_spawner) || fail "gatewayd has no spawner child"

# The job the journal will hold: a secret body and an Authorization header.
printf 'body-%s' "$SECRET" >"$T/job.body"
async_submit /function/victim?call=pid --data-binary "@$T/job.body" \
	-H 'Prefer: respond-async' -H "Authorization: Bearer $SECRET"
job_wait "$JOB_ID" 10
[ -s "$JOURNAL" ] || fail "the journal $JOURNAL is empty after an async job"

probe_pid victim
victim=$PROBE_PID
# The victim's second worker has not served yet: its socket is still there.
victim_sock=$(ls "$RUN"/victim.*.sock 2>/dev/null | head -n1)
[ -n "$victim_sock" ] || fail "no unused victim worker socket in $RUN"
victim_uid=$(status_ids "$victim" Uid | cut -d' ' -f1)

# The daemon holds nothing; the spawner is root and the only one that is.
assert_eq "$nobody $nobody $nobody $nobody" "$(status_ids "$GW_PID" Uid)" "gatewayd's uids"
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
	assert_eq 0000000000000000 "$(sed -n "s/^$set:[[:space:]]*//p" "/proc/$GW_PID/status")" \
		"gatewayd's $set"
done
assert_eq 1 "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' "/proc/$GW_PID/status")" \
	"gatewayd's NoNewPrivs"
assert_eq "0 0 0 0" "$(status_ids "$spawner" Uid)" "the spawner's uids"

for fn in hostile hostile_strict hostile_off; do
	echo "== $fn"
	# Signals: gatewayd, the spawner, the victim.
	attack_refused "$fn" "kill&pid=$GW_PID&sig=9" EPERM
	attack_refused "$fn" "kill&pid=$spawner&sig=9" EPERM
	attack_refused "$fn" "kill&pid=$victim&sig=9" EPERM
	# The victim's memory and secrets.
	attack_refused "$fn" "environ&pid=$victim&needle=$SECRET" 'EACCES|EPERM'
	attack_refused "$fn" "mem&pid=$victim" 'EACCES|EPERM'
	attack_refused "$fn" "ptrace&pid=$victim" EPERM
	attack_refused "$fn" "vmread&pid=$victim" EPERM
	attack_refused "$fn" "read&path=$T/victim.env" 'EACCES|EPERM'
	attack_refused "$fn" "environ&pid=$GW_PID&needle=$SECRET" 'EACCES|EPERM'
	# The callback signing key: its file, and the daemon's memory that holds it.
	attack_refused "$fn" "read&path=$T/callback.secret" 'EACCES|EPERM'
	attack_refused "$fn" "mem&pid=$GW_PID" 'EACCES|EPERM'
	attack_refused "$fn" "vmread&pid=$GW_PID" EPERM
	# gatewayd's files: the journal, the pid file, run_dir.
	attack_refused "$fn" "read&path=$JOURNAL" 'EACCES|EPERM'
	attack_refused "$fn" "write&path=$JOURNAL" 'EACCES|EPERM'
	attack_refused "$fn" "read&path=$PIDFILE" 'EACCES|EPERM'
	attack_refused "$fn" "create&dir=$RUN" 'EACCES|EPERM'
	attack_refused "$fn" "symlink&path=$RUN/planted&target=/etc/shadow" 'EACCES|EPERM'
	attack_refused "$fn" "rename&from=$PIDFILE&to=$RUN/moved" 'EACCES|EPERM'
	# The public listen socket and another worker's socket.
	attack_refused "$fn" "unlink&path=$GW_SOCK" 'EACCES|EPERM'
	attack_refused "$fn" "bind&path=$GW_SOCK" 'EACCES|EPERM'
	attack_refused "$fn" "connect&path=$GW_SOCK" 'EACCES|EPERM'
	attack_refused "$fn" "connect&path=$victim_sock" 'EACCES|EPERM'
	attack_refused "$fn" "bind&path=$victim_sock" 'EACCES|EPERM'
	# Becoming gatewayd's user or root.
	attack_refused "$fn" "setuid&uid=$nobody" EPERM
	attack_refused "$fn" "setuid&uid=0" EPERM
	# Our own socket's name gives no address away; there is no terminal.
	attack_refused "$fn" sockname
	attack_refused "$fn" tty 'ENXIO|EPERM'
	http_get "/function/$fn?attack=whoami"
	assert_status 200
	sed "s/^/    [$fn] /" "$BODY"
	uid=$(sed -n 's/^whoami: uid=\([0-9]*\) .*/\1/p' "$BODY")
	[ -n "$uid" ] && [ "$uid" != "$nobody" ] && [ "$uid" != "$victim_uid" ] && [ "$uid" != 0 ] ||
		fail "$fn runs as uid '$uid': not a user of its own (gatewayd $nobody, victim $victim_uid)"
	grep -q "^whoami: pid=\([0-9]*\) .* sid=\1 .* tty_nr=0$" "$BODY" ||
		fail "$fn is not the leader of a session of its own without a terminal: '$(grep -m1 sid= "$BODY")'"
	assert_contains "$(cat "$BODY")" "CapEff:	0000000000000000" "$fn's effective capabilities"
done

# What only a filter refuses (seccomp = off lets these through, by design).
for fn in hostile hostile_strict; do
	attack_refused "$fn" vsock 'EAFNOSUPPORT|EPERM'
	attack_refused "$fn" newsyscall 'ENOSYS|EPERM'
done
attack_refused hostile_strict exec2 EPERM

# Everyone still answers, the victim from the same worker, and still has its secret.
probe_pid victim
assert_eq "$victim" "$PROBE_PID" "the victim's worker after the attacks"
probe victim env
assert_status 200
assert_contains "$(cat "$BODY")" "VICTIM_SECRET=$SECRET" "the victim's environment"
for fn in hostile hostile_strict hostile_off; do
	http_get "/function/$fn?attack=whoami"
	assert_status 200
done
assert_gw_alive
kill -0 "$spawner" || fail "the spawner $spawner is gone"
