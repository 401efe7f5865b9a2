#!/usr/bin/env bash
# front.request_timeout: a client that trickles its request a byte a second
# is never silent for front.read_timeout (2 s), yet is cut once the request
# has taken front.request_timeout (3 s) since its BEGIN_REQUEST (logged);
# whole requests, and one that waits on its worker longer than that, are
# served.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="front.read_timeout = 2s
front.request_timeout = 3s"
gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1

[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF
gw_start
nginx_up

rc=0
out=$(python3 "$REPO/tests/integration/fcgi_stall.py" trickle "$GW_SOCK" --interval 1 \
	--timeout 8) || rc=$?
echo "trickling request: $out"
assert_eq 0 "$rc" "a request trickling a byte a second was still open after 8 s (fcgi_stall: $out)"
ms=$(printf '%s\n' "$out" | awk '{ printf "%d", $3 * 1000 }')
[ "$ms" -ge 2500 ] || fail "the trickling request was cut after $ms ms, before front.request_timeout (3 s)"
[ "$ms" -le 6000 ] || fail "the trickling request was cut only after $ms ms (front.request_timeout = 3s)"
for ((i = 0; i < 20; i++)); do
	grep -qF "did not arrive whole within front.request_timeout" "$GW_LOG" && break
	sleep 0.05
done
assert_file_contains "$GW_LOG" "a request did not arrive whole within front.request_timeout" \
	"log of the cut request"
if grep -qF "did not arrive whole within front.read_timeout" "$GW_LOG"; then
	fail "the trickling request was cut by front.read_timeout, though never silent for 2 s"
fi

# Whole requests are served; front.request_timeout ends when the body is in,
# so a request running 4 s on its worker is not cut.
http_get /function/hello
assert_status 200
assert_body "hello, world"
rc=0
out=$(fcgi_client --timeout 10 request "$GW_SOCK" -p SCRIPT_NAME=/function/slow \
	-p QUERY_STRING=sleep_ms=4000 -p REQUEST_METHOD=GET 2>&1) || rc=$?
assert_eq 0 "$rc" "a request running 4 s on its worker (client said: $(printf '%s' "$out" | _show))"
assert_contains "$out" "end app_status=0" "end of the slow request"
assert_gw_alive
