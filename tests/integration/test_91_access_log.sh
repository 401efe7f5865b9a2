#!/usr/bin/env bash
# access_log: started as root with [global] user = nobody and the log in a
# root-owned 0755 directory (opened before the privilege drop), every
# request through nginx gets one line: a sync 200 with its worker's pid, a
# 404 for an unknown function (no worker, pid 0), a POST's body bytes, an
# async 202 with its job id, a worker's own status (400); access_log.format
# picks the fields; after logrotate's mv + create + SIGUSR1 new lines go to
# the new file and none is lost; a reopen that cannot create the file keeps
# the old one. A function's user can neither write nor read it. Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root
id -u nobody >/dev/null 2>&1 || skip "no user nobody"

LOGDIR=$T/varlog
mkdir -m 0755 "$LOGDIR"	# root's, as /var/log
ACCESS=$LOGDIR/access.log

GW_GLOBAL_EXTRA="user = nobody
access_log = $ACCESS
async.journal = $GW_JOURNAL" gw_config <<EOF2
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on

[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
EOF2
gw_start
nginx_up

# A function's user can neither write lines into the access log nor read it.
[ -f "$ACCESS" ] || fail "no access log at start"
uid=$(stat -c %u "/proc/$(fn_workers "$FUNCTIONS/echo" | head -n1)")
if [ "$uid" = 0 ] || [ "$uid" = "$(id -u nobody)" ]; then
	fail "echo's worker runs as uid $uid"
fi
if setpriv --reuid "$uid" --regid "$uid" --clear-groups sh -c "echo forged >>'$ACCESS'" 2>/dev/null ||
	setpriv --reuid "$uid" --regid "$uid" --clear-groups cat "$ACCESS" >/dev/null 2>&1; then
	fail "echo's user (uid $uid) wrote or read the access log"
fi
grep -q forged "$ACCESS" && fail "a forged line in the access log"

line_count() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
# wait_lines FILE N: the log has N lines (requests are logged as they end).
wait_lines() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(line_count "$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 has $(line_count "$1") lines, not $2: '$(_show <"$1")'"
}

http_get /function/echo
assert_status 200
wait_lines "$ACCESS" 1
l=$(sed -n 1p "$ACCESS")
wpid=$(fn_workers "$FUNCTIONS/echo" | head -n1)
[[ $l =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\ echo\ \"GET\ /function/echo\"\ 200\ [0-9]+\ ([0-9]+)\ 0\ [0-9]+\ -$ ]] ||
	fail "sync 200 line: '$l'"
assert_eq "$wpid" "${BASH_REMATCH[1]}" "worker pid in the sync line"

http_get /function/nosuch
assert_status 404
wait_lines "$ACCESS" 2
assert_contains "$(sed -n 2p "$ACCESS")" ' - "GET /function/nosuch" 404 ' "404 line (no function)"
assert_contains "$(sed -n 2p "$ACCESS")" ' 0 0 ' "404 line: no worker, no body"

printf 'hello' >"$T/five"
http_post /function/echo "$T/five"
assert_status 200
wait_lines "$ACCESS" 3
assert_contains "$(sed -n 3p "$ACCESS")" '"POST /function/echo" 200 ' "POST line"
[[ $(sed -n 3p "$ACCESS") =~ \ 5\ [0-9]+\ -$ ]] || fail "POST line: 5 bytes in: '$(sed -n 3p "$ACCESS")'"

async_submit /function/echo -H 'Prefer: respond-async'
wait_lines "$ACCESS" 4
grep -qE "\"GET /function/echo\" 202 .* $JOB_ID\$" "$ACCESS" || fail "no 202 line with job $JOB_ID: '$(_show <"$ACCESS")'"

probe probe nosuchcall
assert_status 400
wait_lines "$ACCESS" 5
grep -qF '"GET /function/probe?call=nosuchcall" 400 ' "$ACCESS" || fail "no worker 400 line: '$(_show <"$ACCESS")'"

# logrotate: mv, create (as its `create 0640 nobody root`), SIGUSR1.
before=$(line_count "$ACCESS")
mv "$ACCESS" "$ACCESS.1"
install -m 0640 -o nobody -g root /dev/null "$ACCESS"
kill -USR1 "$GW_PID"
for ((i = 0; i < 50; i++)); do
	gw_log_count "access_log $ACCESS reopened" >/dev/null && break
	sleep 0.1
done
assert_file_contains "$GW_LOG" "SIGUSR1: access_log $ACCESS reopened" "reopen logged"
for i in 1 2 3; do http_get "/function/echo?after=$i"; assert_status 200; done
wait_lines "$ACCESS" 3
assert_eq "$before" "$(line_count "$ACCESS.1")" "lines in the rotated file"
assert_contains "$(cat "$ACCESS")" "/function/echo?after=1" "first line after the reopen"

# No create: nobody cannot make the file in a root-owned directory; the old one stays.
mv "$ACCESS" "$ACCESS.2"
kill -USR1 "$GW_PID"
for ((i = 0; i < 50; i++)); do
	gw_log_count "cannot reopen access_log" >/dev/null && break
	sleep 0.1
done
assert_file_contains "$GW_LOG" "cannot reopen access_log $ACCESS: Permission denied" "failed reopen warned"
http_get /function/echo?kept=1
assert_status 200
wait_lines "$ACCESS.2" 4
assert_gw_alive

# access_log.format, live by reload.
sed -i "s|^access_log = .*|&\naccess_log.format = %s %m %n %%|" "$GW_CONF"
gw_reload
http_get /function/echo
wait_lines "$ACCESS.2" 5
assert_eq "200 GET echo %" "$(tail -n1 "$ACCESS.2")" "line in the configured format"
# access_log itself takes effect at a restart: a reload onto another file
# says so and lines go on to the running one.
sed -i "s|^access_log = .*|access_log = $T/elsewhere.log|" "$GW_CONF"
gw_reload
http_get /function/echo
wait_lines "$ACCESS.2" 6
[ -e "$T/elsewhere.log" ] && fail "a reload opened the access_log it names (restart-only)"
assert_file_contains "$GW_LOG" "reload: access_log changed" "the restart-only change reported"
sed -i "s|^access_log.format = .*|access_log.format = %x|" "$GW_CONF"
out=$("$GATEWAYD" -t -c "$GW_CONF" 2>&1) && fail "gatewayd -t accepted %x"
assert_contains "$out" "gatewayd.ini:" "file:line of a bad format"
assert_contains "$out" "unknown field %x" "why a bad format is refused"
gw_stop
