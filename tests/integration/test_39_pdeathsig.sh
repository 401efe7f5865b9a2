#!/usr/bin/env bash
# kill -9 of gatewayd: its workers, idle or busy, do not outlive it
# (PR_SET_PDEATHSIG sends them SIGTERM; a busy one must still go).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 3

[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1

[php]
exec = /usr/bin/php-cgi
script = $REPO/functions/hello.php
pm.max_children = 1
EOF2
[ -x /usr/bin/php-cgi ] || sed -i '/^\[php\]/,$d' "$GW_CONF"
gw_start
nginx_up
http_get /function/hello
assert_status 200

# One worker busy in a long request.
curl -s --max-time 20 -o /dev/null "$BASE/function/slow?sleep_ms=10000" 2>/dev/null &
bg_track $!
sleep 0.5
workers=$(gw_workers | tr '\n' ' ')
busy=$(fn_workers "$FUNCTIONS/echo")
n=$(echo "$workers" | wc -w)
[ "$n" -ge 5 ] || fail "expected at least 5 workers before kill -9, got $n ($workers)"
# php-cgi forks no children here (PHP_FCGI_CHILDREN unset), so these are all.

gw=$GW_PID
kill -KILL "$gw"
wait "$gw" 2>/dev/null
GW_PID=""
start=$(now_ms)
for ((i = 0; i < 200 && $(now_ms) - start < 2000; i++)); do
	left=""
	for pid in $workers; do
		pid_alive "$pid" && left="$left $pid"
	done
	[ -z "$left" ] && break
	sleep 0.05
done
elapsed=$(($(now_ms) - start))
if [ -n "$left" ]; then
	for pid in $left; do
		kill -KILL "$pid" 2>/dev/null
	done
	idle_left=$(tr ' ' '\n' <<<"$left" | grep -vx "$busy" | grep . | tr '\n' ' ')
	[ -z "$idle_left" ] ||
		fail "idle workers still alive 2 s after kill -9 of gatewayd: $idle_left(of $workers)"
	fail "the worker busy in a request (pid $busy, echo sleeping 10 s) still alive 2 s after kill -9 of gatewayd; the idle ones are gone"
fi
echo "$n workers gone $elapsed ms after kill -9 of gatewayd"
