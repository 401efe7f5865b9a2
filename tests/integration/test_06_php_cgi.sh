#!/usr/bin/env bash
# php-cgi as a worker: the script answers, and under load the workers, which
# exit after PHP_FCGI_MAX_REQUESTS (500), are respawned without a single
# failed request.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[php-hello]
exec = /usr/bin/php-cgi
script = $REPO/functions/hello.php
pm.max_children = 2
EOF
gw_start
nginx_up

http_get /function/php-hello
assert_status 200
assert_body "hello, world"
assert_header Content-Type "text/plain;charset=UTF-8"

exited_before=$(gw_log_count "exited")
wrk -t1 -c4 -d4s --timeout 5s "$BASE/function/php-hello" >"$T/wrk.out" 2>&1 ||
	fail "wrk failed: $(tail -n 3 "$T/wrk.out")"
cat "$T/wrk.out"
requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
[ -n "$requests" ] || fail "no request count in wrk's output"
if grep -q "Non-2xx" "$T/wrk.out"; then
	fail "wrk: $(grep "Non-2xx" "$T/wrk.out" | sed 's/^ *//') of $requests"
fi
if grep -q "Socket errors" "$T/wrk.out"; then
	fail "wrk: $(grep "Socket errors" "$T/wrk.out" | sed 's/^ *//') of $requests"
fi

# Two workers serve at most 1000 requests before one must exit: top up to
# 1500 with curl if wrk was slow, so a respawn is certain.
for ((i = requests; i < 1500; i++)); do
	http_get /function/php-hello
	assert_status 200
done
sleep 1
exited=$(($(gw_log_count "exited") - exited_before))
[ "$exited" -ge 1 ] ||
	fail "no worker 'exited' line after $requests+ php-cgi requests (expected respawns)"
echo "wrk requests: $requests, worker exits logged: $exited"

assert_gw_alive
http_get /function/php-hello
assert_status 200
assert_body "hello, world"
