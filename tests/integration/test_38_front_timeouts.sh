#!/usr/bin/env bash
# front.read_timeout closes a connection whose request stalls half-way
# (logged); front.idle_timeout closes a connection that carries no request;
# neither cuts a request that is waiting on its worker, and nginx's
# traffic goes on.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="front.read_timeout = 1s
front.idle_timeout = 1s"
gw_config <<EOF2
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1

[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF2
gw_start
nginx_up

stall() {
	python3 "$REPO/tests/integration/fcgi_stall.py" "$@"
}

# seconds_ms "closed after 1.23 s" -> 1230
seconds_ms() {
	printf '%s\n' "$1" | awk '{ printf "%d", $3 * 1000 }'
}

# A request stalled in its PARAMS.
rc=0
out=$(stall partial "$GW_SOCK" --timeout 6) || rc=$?
echo "stalled request: $out"
assert_eq 0 "$rc" "a request stalled half-way was not closed within 6 s (fcgi_stall: $out)"
ms=$(seconds_ms "$out")
[ "$ms" -ge 800 ] || fail "the stalled request was closed after $ms ms, before front.read_timeout (1 s)"
[ "$ms" -le 3000 ] || fail "the stalled request was closed only after $ms ms (front.read_timeout = 1s)"
for ((i = 0; i < 20; i++)); do
	grep -qF "did not arrive whole within front.read_timeout" "$GW_LOG" && break
	sleep 0.05
done
assert_file_contains "$GW_LOG" "did not arrive whole within front.read_timeout" "log of the stalled request"

# A connection with no request at all.
rc=0
out=$(stall idle "$GW_SOCK" --timeout 6) || rc=$?
echo "idle connection: $out"
assert_eq 0 "$rc" "an idle connection was not closed within 6 s (fcgi_stall: $out)"
ms=$(seconds_ms "$out")
[ "$ms" -ge 800 ] || fail "the idle connection was closed after $ms ms, before front.idle_timeout (1 s)"
[ "$ms" -le 3000 ] || fail "the idle connection was closed only after $ms ms (front.idle_timeout = 1s)"

# A request that waits 2.5 s on its worker outlives both timeouts.
rc=0
out=$(fcgi_client --timeout 6 request "$GW_SOCK" -p SCRIPT_NAME=/function/slow \
	-p QUERY_STRING=sleep_ms=2500 -p REQUEST_METHOD=GET 2>&1) || rc=$?
assert_eq 0 "$rc" "a request running 2.5 s with both front timeouts at 1 s (client said: $(printf '%s' "$out" | _show))"
assert_contains "$out" "end app_status=0" "end of the slow request"

# Through nginx (keepalive connections go idle, gatewayd closes them).
http_get /function/hello
assert_status 200
assert_body "hello, world"
http_get "/function/slow?sleep_ms=2500"
assert_status 200
sleep 1.5
for ((i = 0; i < 5; i++)); do
	http_get /function/hello
	assert_status 200
done
assert_gw_alive
