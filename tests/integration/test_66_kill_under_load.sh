#!/usr/bin/env bash
# kill -9 of random workers every 0.3 s while wrk sends GETs through nginx:
# no GET fails. A GET whose worker died before answering runs again, once,
# on another worker (a GET is idempotent; nginx's fastcgi_next_upstream
# does the same between upstreams). Before the retry, 20 kills cost 13 to
# 18 requests a 502. Prints wrk's figures and the kills made.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 4
EOF
gw_start
nginx_up
http_get /function/hello
assert_status 200

wrk -t2 -c16 -d8s --timeout 5s "$BASE/function/hello" >"$T/wrk.out" 2>&1 &
wrk_pid=$!
bg_track "$wrk_pid"
kills=0
sleep 0.5
for ((i = 0; i < 20; i++)); do
	mapfile -t workers < <(gw_workers)
	if [ "${#workers[@]}" -gt 0 ]; then
		victim=${workers[RANDOM % ${#workers[@]}]}
		kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	fi
	sleep 0.3
done
wait "$wrk_pid" || fail "wrk failed: $(tail -n 3 "$T/wrk.out")"
cat "$T/wrk.out"
echo "workers killed with kill -9: $kills"
[ "$kills" -ge 15 ] || fail "only $kills workers could be killed"
wrk_check "$T/wrk.out" "wrk GETs with $kills workers killed"
logged=$(gw_log_count "killed by signal 9")
[ "$logged" -ge "$kills" ] || fail "the log shows $logged kills by signal 9, $kills were made"
assert_gw_alive
