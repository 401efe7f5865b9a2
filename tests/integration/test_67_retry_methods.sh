#!/usr/bin/env bash
# What runs again after its worker died before answering (kill -9 while the
# request sleeps inside tests/functions/runcount, which logs a line each
# time it runs one): a GET runs again once on another worker and gets 200;
# a POST gets 502 and ran once (at-most-once is the default); a POST to a
# function with retry = yes runs again and gets 200. A GET whose retry
# dies too gets 502: one retry, not more. A reload to retry = yes applies
# at once.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

RUNCOUNT=$TEST_FUNCTIONS/runcount
[ -x "$RUNCOUNT" ] || fail "$RUNCOUNT is missing: make $(basename "$(dirname "$TEST_FUNCTIONS")")/tests/runcount"

gw_config <<EOF
[once]
exec = $RUNCOUNT
pm.max_children = 1

[again]
exec = $RUNCOUNT
pm.max_children = 1
retry = yes
EOF
gw_start
nginx_up

# runs TAG: how many times runcount ran the request tagged TAG.
runs() {
	grep -c "runcount ran [A-Z]* sleep_ms=[0-9]*&tag=$1\$" "$GW_LOG"
}

# kill_sleeping TAG N: waits (10 s at most) until the request tagged TAG
# has been logged running N times and its worker sleeps in it (glibc's
# nanosleep is x86_64 clock_nanosleep, 230, or nanosleep, 35), then kill -9s it.
kill_sleeping() {
	local i pid syscall
	for ((i = 0; i < 100; i++)); do
		if [ "$(runs "$1")" -ge "$2" ]; then
			pid=$(grep "runcount ran [A-Z]* sleep_ms=[0-9]*&tag=$1\$" "$GW_LOG" | tail -n 1 |
				sed -n 's/.*function [a-z]* pid \([0-9]*\): .*/\1/p')
			syscall=$(cut -d' ' -f1 "/proc/$pid/syscall" 2>/dev/null)
			if [ "$syscall" = 230 ] || [ "$syscall" = 35 ]; then
				kill -KILL "$pid" || fail "cannot kill worker $pid"
				return 0
			fi
		fi
		sleep 0.1
	done
	fail "the request tagged $1 was not seen sleeping in its worker (run $2)"
}

# request METHOD FUNCTION TAG: starts the request in the background; its
# status lands in $T/TAG.status, its pid in REQUEST_PID.
request() {
	local data=()
	[ "$1" = POST ] && data=(--data-binary body)
	curl -s --max-time 30 -o "$T/$3.body" -w '%{http_code}' "${data[@]}" \
		"$BASE/function/$2?sleep_ms=1500&tag=$3" >"$T/$3.status" 2>/dev/null &
	REQUEST_PID=$!
	bg_track "$REQUEST_PID"
}

request GET once get1
kill_sleeping get1 1
wait "$REQUEST_PID"
assert_eq 200 "$(cat "$T/get1.status")" "status of a GET whose worker was killed before answering"
assert_eq 2 "$(runs get1)" "runs of that GET"

request POST once post1
kill_sleeping post1 1
wait "$REQUEST_PID"
assert_eq 502 "$(cat "$T/post1.status")" "status of a POST whose worker was killed"
sleep 1	# a respawned worker would have run it again by now
assert_eq 1 "$(runs post1)" "runs of that POST (at most once)"

request POST again post2
kill_sleeping post2 1
wait "$REQUEST_PID"
assert_eq 200 "$(cat "$T/post2.status")" "status of a POST to a retry = yes function whose worker was killed"
assert_eq 2 "$(runs post2)" "runs of that POST"

request GET once get2
kill_sleeping get2 1
kill_sleeping get2 2
wait "$REQUEST_PID"
assert_eq 502 "$(cat "$T/get2.status")" "status of a GET whose worker and retry were killed"
sleep 1
assert_eq 2 "$(runs get2)" "runs of that GET (one retry only)"
assert_file_contains "$GW_LOG" "answering 502" "gatewayd log"

# retry applies at once on reload: [once] says retry = yes, its POSTs run again.
gw_config <<EOF
[once]
exec = $RUNCOUNT
pm.max_children = 1
retry = yes

[again]
exec = $RUNCOUNT
pm.max_children = 1
retry = yes
EOF
gw_reload || fail "reload to retry = yes refused (log: '$(tail -c 300 "$GW_LOG" | _show)')"
request POST once post3
kill_sleeping post3 1
wait "$REQUEST_PID"
assert_eq 200 "$(cat "$T/post3.status")" "status of a killed POST after a reload to retry = yes"
assert_eq 2 "$(runs post3)" "runs of that POST"
assert_gw_alive
