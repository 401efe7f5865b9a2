#!/usr/bin/env bash
# The admin socket answers status, metrics and ping while every worker of
# every pool is busy, every wait queue is full and the web servers'
# connections fill max_connections; the counts are what the test did (by
# status and duration, once the requests are over); the
# metrics pass promtool. The socket is 0600 and gatewayd's own: a function's
# user cannot connect. On the front the pages exist only with status.front
# = on and a REMOTE_ADDR in status.allowed_clients; reload never. Fails on
# the old code: there is no admin socket.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

require_root
command -v promtool >/dev/null || skip "promtool (Debian's prometheus package) is missing"

functions() {
	cat <<EOF
[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
queue.max = 1

[busy2]
exec = $FUNCTIONS/echo
pm.max_children = 1
queue.max = 1
EOF
}
GW_GLOBAL_EXTRA="user = nobody
admin_listen = $ADMIN_SOCK
max_connections = 4" gw_config < <(functions)
gw_start
nginx_up

# The admin socket: 0600, gatewayd's user's.
assert_eq "600 nobody" "$(stat -c '%a %U' "$ADMIN_SOCK")" "admin socket mode and owner"
uid=$(ctl --json status >"$T/s0" && json_at "$T/s0" functions.name=slow.uid)
# shellcheck disable=SC2016 # $1 is python's argv
if setpriv --reuid "$uid" --regid "$uid" --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$ADMIN_SOCK" 2>"$T/connect.err"; then
	fail "slow's user (uid $uid) connected to the admin socket"
fi
assert_file_contains "$T/connect.err" "PermissionError"

# Saturate: on each function one request runs and one waits (queue.max = 1);
# a third for slow is refused at once (503, queue full). The four held
# requests are four nginx connections: max_connections.
held=""
hold() {
	curl -s --max-time 30 -o /dev/null "$BASE/function/$1?sleep_ms=4000" &
	bg_track $!
	held="$held $!"
	sleep 0.2
}
hold slow
hold slow
http_get "/function/slow?sleep_ms=10"
assert_status 503
hold busy2
hold busy2
for ((i = 0; i < 50; i++)); do
	ctl --json status >"$T/s1" || fail "status while saturated: exit $?"
	[ "$(json_at "$T/s1" functions.name=busy2.queue.depth)" = 1 ] && break
	sleep 0.1
done

for f in slow busy2; do
	assert_eq 1 "$(json_at "$T/s1" "functions.name=$f.workers.busy")" "$f busy workers"
	assert_eq 0 "$(json_at "$T/s1" "functions.name=$f.workers.idle")" "$f idle workers"
	assert_eq 1 "$(json_at "$T/s1" "functions.name=$f.queue.depth")" "$f queue depth"
	assert_eq 1 "$(json_at "$T/s1" "functions.name=$f.queue.max")" "$f queue limit"
done
assert_eq 4 "$(json_at "$T/s1" connections)" "front connections (max_connections)"
assert_eq 1 "$(json_at "$T/s1" functions.name=slow.queue_full)" "slow's refused requests"
ctl ping >"$T/ping" || fail "ping while saturated"
assert_file_contains "$T/ping" "pong"

# ?full: the busy worker, its uid, the URI it runs and for how long.
ctl --json workers slow >"$T/w"
assert_eq busy "$(json_at "$T/w" 0.state)" "slow's worker state"
assert_eq "/function/slow?sleep_ms=4000" "$(json_at "$T/w" 0.uri)" "the URI slow's worker runs"
assert_eq "$uid" "$(json_at "$T/w" 0.uid)" "slow's worker uid"
pid=$(json_at "$T/w" 0.pid)
assert_eq "$uid" "$(stat -c %u "/proc/$pid")" "the listed pid is slow's worker"
/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))[0]["request_seconds"]; sys.exit(0 if 0 < s < 30 else 1)' "$T/w" ||
	fail "request_seconds of the running request: $(_show <"$T/w")"

# Metrics, while saturated: valid exposition, the same numbers.
ctl metrics >"$T/metrics" || fail "metrics while saturated"
promtool check metrics <"$T/metrics" 2>"$T/promtool" || fail "promtool: $(_show <"$T/promtool")"
assert_file_contains "$T/metrics" 'gatewayd_workers{function="slow",state="busy"} 1'
assert_file_contains "$T/metrics" 'gatewayd_queue_depth{function="busy2"} 1'
assert_file_contains "$T/metrics" 'gatewayd_queue_full_total{function="slow"} 1'
assert_file_contains "$T/metrics" 'gatewayd_worker_spawns_total{function="slow"} 1'

for pid in $held; do
	wait "$pid"
done

# Once they are over: every request counted by its status, and its duration.
ctl metrics >"$T/metrics2"
promtool check metrics <"$T/metrics2" 2>"$T/promtool" || fail "promtool: $(_show <"$T/promtool")"
assert_file_contains "$T/metrics2" 'gatewayd_requests_total{function="slow",code="200"} 2'
assert_file_contains "$T/metrics2" 'gatewayd_requests_total{function="slow",code="503"} 1'
assert_file_contains "$T/metrics2" 'gatewayd_requests_total{function="busy2",code="200"} 2'
assert_file_contains "$T/metrics2" 'gatewayd_request_duration_seconds_count{function="slow"} 3'
# The second request waited for the first: both over 4 s, none over 30.
assert_file_contains "$T/metrics2" 'gatewayd_request_duration_seconds_bucket{function="busy2",le="2.5"} 0'
assert_file_contains "$T/metrics2" 'gatewayd_request_duration_seconds_bucket{function="busy2",le="30"} 2'
ctl --json status >"$T/s2"
assert_eq 3 "$(json_at "$T/s2" functions.name=slow.requests)" "slow's requests in the status"

# The front: nothing under /_gateway/ but jobs, unless status.front says so.
http_get /_gateway/status
assert_status 404
GW_GLOBAL_EXTRA="user = nobody
admin_listen = $ADMIN_SOCK
status.front = on
status.allowed_clients = 127.0.0.2" gw_config < <(functions)
ctl reload >/dev/null || fail "gatewayctl reload: exit $?"
http_get /_gateway/status
assert_status 404
GW_GLOBAL_EXTRA="user = nobody
admin_listen = $ADMIN_SOCK
status.front = on
status.allowed_clients = 127.0.0.1, ::1" gw_config < <(functions)
ctl reload >/dev/null || fail "gatewayctl reload: exit $?"
http_get /_gateway/status
assert_status 200
assert_eq 2 "$(json_at "$BODY" reloads)" "reloads counted"
http_get /_gateway/ping
assert_status 200
http_get /_gateway/metrics
assert_status 200
http_get /_gateway/reload -X POST
assert_status 404
http_get /_gateway/jobs	# listing jobs would hand out their ids: admin socket only
assert_status 404

# admin_listen moved by a reload. gatewayd, as nobody now, cannot bind in
# root's $T: refused, the old socket serves on; in a directory it may write
# in: the new socket answers, 0600 and its own, and the old one is closed.
GW_GLOBAL_EXTRA="user = nobody
admin_listen = $T/admin2.sock" gw_config < <(functions)
expect_exit 1 ctl reload
assert_file_contains "$T/err" "Its log says why"
ctl ping >/dev/null || fail "the admin socket after a refused move"
GW_GLOBAL_EXTRA="user = nobody
admin_listen = $DATA/admin2.sock" gw_config < <(functions)
gw_reload	# SIGHUP: gatewayctl would ask on the socket the file no longer names
"$GATEWAYCTL" -a "$DATA/admin2.sock" ping >/dev/null || fail "no answer on the moved admin socket"
assert_eq "600 nobody" "$(stat -c '%a %U' "$DATA/admin2.sock")" "moved admin socket mode and owner"
# The old one no longer answers (its file stays: nobody cannot unlink in root's $T).
expect_exit 3 ctl ping
assert_gw_alive
