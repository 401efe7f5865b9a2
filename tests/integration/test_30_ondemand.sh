#!/usr/bin/env bash
# pm = ondemand: no worker at start, one forked by the first request, gone
# again after pm.process_idle_timeout (scale to zero); 20 concurrent requests
# fork up to pm.max_children and none of them fails. Prints the median
# latency of a request that finds no worker (informational).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[echo]
exec = $FUNCTIONS/echo
pm = ondemand
pm.max_children = 20
pm.process_idle_timeout = 1s

[hello]
exec = $FUNCTIONS/hello
pm = ondemand
pm.max_children = 1
pm.process_idle_timeout = 100ms
EOF2
gw_start
nginx_up

sleep 0.3
assert_eq 0 "$(gw_worker_count)" "workers of an idle ondemand gatewayd right after start"

http_get /function/echo?show=params
assert_status 200
assert_contains "$(cat "$BODY")" "GATEWAY_FUNCTION=echo" "echo's answer"
assert_eq 1 "$(gw_worker_count)" "workers after one request"

# Scale to zero: gone after process_idle_timeout (1 s, checked each second).
start=$(now_ms)
wait_workers -eq 0 5 || fail "the ondemand worker is still there 5 s after its request ($WORKERS_SEEN workers)"
elapsed=$(($(now_ms) - start))
echo "scaled to zero $elapsed ms after the request"
[ "$elapsed" -ge 800 ] || fail "the worker was stopped $elapsed ms after its request, before pm.process_idle_timeout (1 s)"
assert_file_contains "$GW_LOG" "function echo: worker pid" "log of the retired worker"

# 20 at once, each sleeping 300 ms: all 200, never a 502.
pids=""
for ((i = 0; i < 20; i++)); do
	curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' \
		"$BASE/function/echo?sleep_ms=300" >"$T/c.$i" 2>"$T/c.$i.err" &
	bg_track $!
	pids="$pids $!"
done
peak=0
for ((i = 0; i < 40; i++)); do
	n=$(gw_worker_count)
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.05
done
for p in $pids; do
	wait "$p"
done
statuses=$(cat "$T"/c.[0-9]* | sort | uniq -c | tr -s ' \n' ' ')
for ((i = 0; i < 20; i++)); do
	assert_eq 200 "$(cat "$T/c.$i")" "status of concurrent request $i (all: $statuses)"
done
echo "20 concurrent requests: all 200, peak $peak workers"
[ "$peak" -ge 2 ] || fail "20 concurrent slow requests ran on $peak worker(s): ondemand did not scale up"
[ "$peak" -le 20 ] || fail "$peak workers for a function with pm.max_children = 20"
wait_workers -eq 0 6 || fail "workers still there 6 s after the burst ($WORKERS_SEEN)"

# Cold starts: hello (idle timeout 100 ms) is asked only once it has no
# worker, 20 times.
: >"$T/cold"
for ((n = 0; n < 20; n++)); do
	wait_workers -eq 0 3 || fail "round $n: hello's worker not retired within 3 s ($WORKERS_SEEN)"
	t=$(curl -s --max-time 10 -o "$BODY" -w '%{http_code} %{time_total}' "$BASE/function/hello")
	assert_eq 200 "${t%% *}" "status of cold request $n"
	assert_body "hello, world"
	echo "${t#* }" >>"$T/cold"
done
median=$(sort -n "$T/cold" | sed -n '10p;11p' | awk '{ s += $1 } END { printf "%.1f", s / 2 * 1000 }')
echo "ondemand cold start (first request after scale to zero, through nginx): median $median ms of 20 (min $(sort -n "$T/cold" | head -1 | awk '{ printf "%.1f", $1 * 1000 }') ms, max $(sort -n "$T/cold" | tail -1 | awk '{ printf "%.1f", $1 * 1000 }') ms)"
assert_gw_alive
