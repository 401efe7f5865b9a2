#!/usr/bin/env bash
# log = syslog:PATH: started as root with user = nobody, gatewayd's lines go
# as RFC 3164 datagrams (facility daemon, ident gatewayd, its pid, the level
# mapped: info is <30>, warn <28>) to a unix datagram socket the test binds,
# none to stderr; after the privilege drop; and after the receiver restarts
# (a new socket at the same path: gatewayd reconnects). A bad log value is
# an error with file:line. Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root
id -u nobody >/dev/null 2>&1 || skip "no user nobody"

SYSLOG=$T/log.sock
OUT=$T/syslog.out

# syslog_listen: a receiver on $SYSLOG (0666, as /dev/log) appending each
# datagram to $OUT as one line; sets RECEIVER.
syslog_listen() {
	dgram_listen "$SYSLOG" "$OUT" 0666
	RECEIVER=$DGRAM_PID
}

# wait_syslog REGEX: until a line of $OUT matches (10 s at most).
wait_syslog() {
	wait_line "$OUT" "$1" "syslog line"
}

syslog_listen
GW_GLOBAL_EXTRA="user = nobody
log = syslog:$SYSLOG" gw_config <<EOF2
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF2
gw_start
wait_syslog "^<30>[A-Z][a-z]{2} [ 0-9][0-9] [0-9:]{8} gatewayd\\[$GW_PID\\]: info: gatewayd started"
assert_eq 0 "$(gw_log_count "gatewayd started")" "lines on stderr with log = syslog"
assert_eq "$(id -u nobody)" "$(awk '/^Uid:/ {print $2}' "/proc/$GW_PID/status")" "gatewayd's uid"

# After the drop: a worker killed is logged (warn or info) by the daemon as nobody.
w=$(fn_workers "$FUNCTIONS/hello" | head -n1)
[ -n "$w" ] || fail "no hello worker"
kill -KILL "$w"
wait_syslog "gatewayd\\[$GW_PID\\]: [a-z]+: function hello: worker pid $w "

# The reader restarts: a new socket at the path; gatewayd reconnects.
kill "$RECEIVER"
wait "$RECEIVER" 2>/dev/null
syslog_listen
sleep 0.5
w2=$(fn_workers "$FUNCTIONS/hello" | head -n1)
if [ -z "$w2" ] || [ "$w2" = "$w" ]; then fail "no respawned hello worker"; fi
kill -KILL "$w2"
wait_syslog "gatewayd\\[$GW_PID\\]: [a-z]+: function hello: worker pid $w2 "
http_get /function/hello >/dev/null 2>&1 || true
assert_gw_alive

sed -i "s|^log = .*|log = journal|" "$GW_CONF"
out=$("$GATEWAYD" -t -c "$GW_CONF" 2>&1) && fail "gatewayd -t accepted log = journal"
assert_contains "$out" "gatewayd.ini:" "file:line of a bad log value"
assert_contains "$out" "must be stderr, syslog or syslog:/path/to/socket" "why"
gw_stop
