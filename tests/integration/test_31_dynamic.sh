#!/usr/bin/env bash
# pm = dynamic: pm.start_servers workers at start, up to pm.max_children
# under load, and back to at most pm.max_spare_servers idle ones afterwards,
# stopped gradually (PHP-FPM's one per second), never below
# pm.min_spare_servers.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[echo]
exec = $FUNCTIONS/echo
pm = dynamic
pm.max_children = 6
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
EOF2
gw_start
nginx_up

wait_workers -eq 2 3 || fail "workers at start: expected pm.start_servers = 2, got $WORKERS_SEEN"
sleep 1.2	# one maintenance pass: an idle pool of 2 stays 2 (min 1, max 3 spare)
assert_eq 2 "$(gw_worker_count)" "workers of an idle pool with 2 spare (min 1, max 3)"

# 6 concurrent requests sleeping 2.5 s each.
pids=""
for ((i = 0; i < 6; i++)); do
	curl -s --max-time 20 -o /dev/null -w '%{http_code}\n' \
		"$BASE/function/echo?sleep_ms=2500" >"$T/c.$i" 2>"$T/c.$i.err" &
	bg_track $!
	pids="$pids $!"
done
peak=0
for ((i = 0; i < 40 && peak < 6; i++)); do
	n=$(gw_worker_count)
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.05
done
# Over the max, never: sample a while longer.
for ((i = 0; i < 10; i++)); do
	n=$(gw_worker_count)
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.05
done
for p in $pids; do
	wait "$p"
done
for ((i = 0; i < 6; i++)); do
	assert_eq 200 "$(cat "$T/c.$i")" "status of concurrent request $i"
done
assert_eq 6 "$peak" "peak workers under 6 concurrent slow requests (pm.max_children = 6)"

# Idle again: back to at most max_spare (3), one stopped per pass.
start=$(now_ms)
timeline=""
last=$(gw_worker_count)
for ((i = 0; i < 160; i++)); do
	n=$(gw_worker_count)
	if [ "$n" != "$last" ]; then
		timeline="$timeline $n@$(($(now_ms) - start))ms"
		[ $((last - n)) -le 1 ] ||
			fail "idle workers went from $last to $n at once (expected one stopped at a time; timeline:$timeline)"
		last=$n
	fi
	[ "$n" -le 3 ] && break
	sleep 0.05
done
echo "after the load: 6 workers ->$timeline"
[ "$last" -le 3 ] || fail "still $last workers 8 s after the load (pm.max_spare_servers = 3; timeline:$timeline)"
sleep 2.2	# two more passes: no further stop below max_spare
n=$(gw_worker_count)
if [ "$n" -lt 1 ] || [ "$n" -gt 3 ]; then
	fail "idle workers settled at $n, expected between pm.min_spare_servers (1) and pm.max_spare_servers (3)"
fi
echo "settled at $n idle workers"

http_get "/function/echo?show=params"
assert_status 200
assert_gw_alive
