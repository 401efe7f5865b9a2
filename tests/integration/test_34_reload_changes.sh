#!/usr/bin/env bash
# What a reload changes: a new function answers, a removed one is 404 and
# its workers stop, a config with an error is refused whole (file:line in
# the log) while the old one keeps serving, `gatewayd -s reload` signals
# through the pid file and refuses a config with errors without signalling,
# a new `listen =` serves after the reload, and the unix listener answers
# all along.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

port=$(nginx_pick_port $((23000 + RANDOM % 2000))) || fail "no free port"
GW_GLOBAL_EXTRA="pid = $T/gw.pid"

HELLO="[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
"
ECHO="[echo]
exec = $FUNCTIONS/echo
pm.max_children = 2
"
ADDED="[added]
exec = $FUNCTIONS/hello
pm.max_children = 1
"

printf '%s\n%s\n' "$HELLO" "$ECHO" | gw_config
gw_start
nginx_up
assert_eq "$GW_PID" "$(cat "$T/gw.pid" 2>/dev/null)" "pid file $T/gw.pid"
http_get /function/echo?show=params
assert_status 200
http_get /function/added
assert_status 404

# Throughout: hello through nginx every 50 ms, until $T/stop exists.
(
	for ((i = 0; i < 600; i++)); do
		[ -e "$T/stop" ] && break
		curl -s --max-time 10 -o /dev/null -w '%{http_code}\n' "$BASE/function/hello" >>"$T/loop.status"
		sleep 0.05
	done
) &
loop=$!
bg_track "$loop"

# 1. A new function, through `gatewayd -s reload`.
printf '%s\n%s\n%s\n' "$HELLO" "$ECHO" "$ADDED" | gw_config
gw_reload_s || fail "gatewayd -s reload: no 'reloaded' line (log: '$(tail -c 300 "$GW_LOG" | _show)')"
assert_file_contains "$GW_LOG" "reloaded $GW_CONF: 3 functions: 1 started anew, 2 kept their workers, 0 retired" \
	"reload that adds a function"
http_get /function/added
assert_status 200
assert_body "hello, world"

# 2. A function removed (SIGHUP): 404, and its workers stop.
echo_pids=$(fn_workers "$FUNCTIONS/echo")
assert_eq 2 "$(echo "$echo_pids" | grep -c .)" "echo workers before its removal ($echo_pids)"
printf '%s\n%s\n' "$HELLO" "$ADDED" | gw_config
gw_reload || fail "SIGHUP: no 'reloaded' line (log: '$(tail -c 300 "$GW_LOG" | _show)')"
assert_file_contains "$GW_LOG" "reloaded $GW_CONF: 2 functions: 0 started anew, 2 kept their workers, 1 retired" \
	"reload that removes a function"
http_get /function/echo?show=params
assert_status 404
for ((i = 0; i < 100; i++)); do
	left=""
	for pid in $echo_pids; do
		pid_alive "$pid" && left="$left $pid"
	done
	[ -z "$left" ] && break
	sleep 0.05
done
[ -z "$left" ] || fail "workers of the removed function still run 5 s after the reload:$left"
assert_file_contains "$GW_LOG" "function echo: old workers gone after the reload" "log of the removed function"

# 3. An unknown key: refused whole, file:line logged, the old config serves.
printf '%s\n%s\nbogus.key = 1\n\n%s\n' "$HELLO" "$ADDED" "$ECHO" | gw_config
line=$(grep -n '^bogus.key' "$GW_CONF" | cut -d: -f1)
hups=$(gw_log_count "SIGHUP: reloading")
rc=0
"$GATEWAYD" -s reload -c "$GW_CONF" >"$T/bad-s.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gatewayd -s reload on a config with an unknown key exited 0"
assert_file_contains "$T/bad-s.out" "$GW_CONF:$line:" "gatewayd -s reload's message about the bad config"
sleep 0.5
assert_eq "$hups" "$(gw_log_count "SIGHUP: reloading")" "'SIGHUP: reloading' lines after -s reload of a bad config (it must not signal)"
if gw_reload; then
	fail "a config with an unknown key (line $line) was reloaded"
fi
assert_file_contains "$GW_LOG" "reload refused: $GW_CONF:$line:" "log of the refused reload"
http_get /function/added
assert_status 200
http_get /function/echo?show=params
assert_status 404

# 4. A second listener, TCP.
GW_GLOBAL_EXTRA="pid = $T/gw.pid
listen = 127.0.0.1:$port"
printf '%s\n%s\n' "$HELLO" "$ADDED" | gw_config
gw_reload || fail "reload adding a listener: no 'reloaded' line (log: '$(tail -c 300 "$GW_LOG" | _show)')"
rc=0
out=$(fcgi_client --timeout 3 request "127.0.0.1:$port" -p SCRIPT_NAME=/function/added 2>&1) || rc=$?
assert_eq 0 "$rc" "request on the listener added by the reload (client said: $(printf '%s' "$out" | _show))"
assert_contains "$out" "hello, world" "answer on the added listener"

touch "$T/stop"
wait "$loop"
total=$(grep -c . "$T/loop.status")
bad=$(grep -vc '^200$' "$T/loop.status")
echo "requests through nginx during the reloads: $total, not 200: $bad"
[ "$total" -ge 10 ] || fail "only $total requests through the unix listener during the reloads"
assert_eq 0 "$bad" "requests through the unix listener not answered 200 during the reloads ($(sort "$T/loop.status" | uniq -c | tr -s ' \n' ' '))"
http_get /function/hello
assert_status 200
assert_gw_alive
