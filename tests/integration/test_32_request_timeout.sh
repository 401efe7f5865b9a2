#!/usr/bin/env bash
# request_timeout: a request still running after it gets 504 in about that
# time, its worker is killed and replaced, the next request is served. A
# response whose headers already went out is cut instead: the client sees a
# transfer error, never a clean end.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
request_timeout = 1s

[stream]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
request_timeout = 1s
EOF2
gw_start
nginx_up

http_get "/function/slow?sleep_ms=100"
assert_status 200
before=$(fn_workers "$FUNCTIONS/echo")
assert_eq 1 "$(echo "$before" | grep -c .)" "echo workers before the timeout (pids: $before)"

start=$(now_ms)
http_get "/function/slow?sleep_ms=5000"
elapsed=$(($(now_ms) - start))
assert_status 504
echo "504 after $elapsed ms"
[ "$elapsed" -ge 900 ] || fail "504 after $elapsed ms, before request_timeout (1 s)"
[ "$elapsed" -lt 3000 ] || fail "504 only after $elapsed ms with request_timeout = 1s"
assert_file_contains "$GW_LOG" "ran past request_timeout" "log of the timed-out request"

# The worker was killed (not left sleeping) and a new one serves.
for ((i = 0; i < 40; i++)); do
	pid_alive "$before" || break
	sleep 0.05
done
pid_alive "$before" && fail "worker $before still runs 2 s after its request timed out"
http_get "/function/slow?sleep_ms=10"
assert_status 200
after=$(fn_workers "$FUNCTIONS/echo")
if [ -z "$after" ] || [ "$after" = "$before" ]; then
	fail "echo worker after the timeout: '$after' (before: $before): not replaced"
fi
assert_file_contains "$GW_LOG" "function slow: worker pid $before exited" "log of the killed worker"

# Headers and a first line out, then a sleep past request_timeout.
rc=0
start=$(now_ms)
status=$(curl -sS --max-time 10 -o "$T/stream.body" -w '%{http_code}' \
	"$BASE/function/stream?call=stream&ms=5000" 2>"$T/stream.err") || rc=$?
elapsed=$(($(now_ms) - start))
echo "cut stream: curl exit $rc, status $status, after $elapsed ms, error: $(cat "$T/stream.err")"
assert_contains "$(cat "$T/stream.body")" "stream: started" "the part of the response sent before the timeout"
if grep -q "stream: done" "$T/stream.body"; then
	fail "the stream ran to its end past request_timeout: '$(_show <"$T/stream.body")'"
fi
[ "$rc" -ne 0 ] ||
	fail "curl ended cleanly (status $status, body '$(_show <"$T/stream.body")') for a response cut by request_timeout"
[ "$elapsed" -lt 3500 ] || fail "the cut stream took $elapsed ms (request_timeout = 1s)"
spid=$(sed -n 's/^stream: started pid=\([0-9]*\)$/\1/p' "$T/stream.body")
[ -n "$spid" ] || fail "no pid in the stream's first line"
for ((i = 0; i < 40; i++)); do
	pid_alive "$spid" || break
	sleep 0.05
done
pid_alive "$spid" && fail "stream worker $spid still runs after its request was cut"
probe_pid stream
[ "$PROBE_PID" != "$spid" ] || fail "the stream worker was not replaced"

http_get "/function/slow?sleep_ms=10"
assert_status 200
assert_gw_alive
