#!/usr/bin/env bash
# SIGTERM drains: requests in flight finish (200), no new connection is
# accepted, gatewayd exits by itself with status 0 and leaves no worker.
# SIGINT stops at once, even with a request in flight.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[slow]
exec = $FUNCTIONS/echo
pm.max_children = 4

[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF2
gw_start
nginx_up
http_get /function/hello
assert_status 200

pids=""
for ((i = 0; i < 4; i++)); do
	curl -s --max-time 20 -o "$T/c.$i.body" -w '%{http_code}' \
		"$BASE/function/slow?sleep_ms=1500" >"$T/c.$i" 2>"$T/c.$i.err" &
	bg_track $!
	pids="$pids $!"
done
sleep 0.3
workers=$(gw_workers | tr '\n' ' ')
gw=$GW_PID
kill -TERM "$gw"
sleep 0.2
assert_file_contains "$GW_LOG" "SIGTERM: finishing open requests, then stopping" "log after SIGTERM"
kill -0 "$gw" 2>/dev/null || fail "gatewayd exited at SIGTERM with 4 requests in flight"
rc=0
fcgi_client --timeout 1 ping "$GW_SOCK" || rc=$?
assert_eq 3 "$rc" "fcgi_client ping on $GW_SOCK while draining (3: connect refused; socket exists: $([ -e "$GW_SOCK" ] && echo yes || echo no))"

for p in $pids; do
	wait "$p"
done
for ((i = 0; i < 4; i++)); do
	assert_eq 200 "$(cat "$T/c.$i")" "status of in-flight request $i after SIGTERM ($(cat "$T/c.$i.err"))"
done

# It exits by itself once the requests are done.
for ((i = 0; i < 100; i++)); do
	kill -0 "$gw" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$gw" 2>/dev/null && fail "gatewayd still runs 5 s after its drained requests finished"
status=0
wait "$gw" || status=$?
GW_PID=""
assert_eq 0 "$status" "gatewayd's exit status after SIGTERM"
assert_file_contains "$GW_LOG" "gatewayd stopped" "log at the end of the drain"
for pid in $workers; do
	pid_alive "$pid" && fail "worker $pid outlived gatewayd's SIGTERM drain"
done

# SIGINT with a 10 s request in flight: out within ~3 s.
gw_start
curl -s --max-time 20 -o /dev/null -w '%{http_code}' \
	"$BASE/function/slow?sleep_ms=10000" >"$T/int.status" 2>/dev/null &
slowreq=$!
bg_track "$slowreq"
sleep 0.5
workers=$(gw_workers | tr '\n' ' ')
gw=$GW_PID
start=$(now_ms)
kill -INT "$gw"
for ((i = 0; i < 80; i++)); do
	kill -0 "$gw" 2>/dev/null || break
	sleep 0.05
done
elapsed=$(($(now_ms) - start))
kill -0 "$gw" 2>/dev/null && fail "gatewayd still runs 4 s after SIGINT"
wait "$gw"
GW_PID=""
echo "SIGINT: gatewayd gone after $elapsed ms"
[ "$elapsed" -le 3500 ] || fail "gatewayd took $elapsed ms to stop after SIGINT"
for pid in $workers; do
	pid_alive "$pid" && fail "worker $pid outlived gatewayd's SIGINT"
done
wait "$slowreq"
status=$(cat "$T/int.status")
[ "$status" != 200 ] || fail "the request in flight at SIGINT got 200 (it sleeps 10 s)"
echo "the request in flight at SIGINT got $status"
