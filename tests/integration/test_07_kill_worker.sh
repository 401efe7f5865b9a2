#!/usr/bin/env bash
# kill -9 of the worker mid-request: that request, a POST (run at most
# once; a GET would run again, see test_67), gets 502, gatewayd stays up,
# respawns the worker, and the next requests succeed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF
gw_start
nginx_up

curl -s --max-time 20 -o "$T/slow.body" -w '%{http_code}' --data-binary body \
	"$BASE/function/slow?sleep_ms=3000" >"$T/slow.status" 2>"$T/slow.err" &
slow=$!
bg_track "$slow"

# Wait (10 s at most) until the request is inside the worker: echo sleeping
# in clock_nanosleep (x86_64 syscall 230; 35 is nanosleep) rather than
# waiting for a request. A fixed delay is not enough on a loaded machine.
sleep 0.5
for ((i = 0; i < 95; i++)); do
	workers=$(gw_workers | tr '\n' ' ')
	victim=${workers// /}
	syscall=$(cut -d' ' -f1 "/proc/$victim/syscall" 2>/dev/null)
	[ "$syscall" = 230 ] || [ "$syscall" = 35 ] && break
	sleep 0.1
done
assert_eq 1 "$(echo "$workers" | wc -w)" "number of workers of gatewayd (pids: $workers)"
kill -KILL "$victim" || fail "cannot kill worker $victim"

wait "$slow"
assert_eq 502 "$(cat "$T/slow.status")" "status of the request whose worker was killed"

for ((i = 0; i < 50; i++)); do
	http_get /function/slow
	[ "$HTTP_STATUS" = 200 ] && break
	sleep 0.1
done
assert_status 200
assert_gw_alive

workers=$(gw_workers | tr '\n' ' ')
assert_eq 1 "$(echo "$workers" | wc -w)" "number of workers after the respawn (pids: $workers)"
[ "${workers// /}" != "$victim" ] || fail "worker $victim is still there after kill -9"
assert_file_contains "$GW_LOG" "exited" "gatewayd log after kill -9"
