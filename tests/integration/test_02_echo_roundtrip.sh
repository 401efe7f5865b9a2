#!/usr/bin/env bash
# echo: a 1 MiB random binary body comes back byte for byte, and the params
# (nginx's, and gatewayd's param[] lines) reach the function.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 2
param[X_GATEWAY_TEST] = forty-two
EOF
gw_start
nginx_up

head -c 1048576 /dev/urandom >"$T/in.bin"
http_post /function/echo "$T/in.bin"
assert_status 200
cmp "$T/in.bin" "$BODY" >"$T/cmp.out" 2>&1 ||
	fail "1 MiB body did not round-trip: $(head -n 1 "$T/cmp.out"); got $(wc -c <"$BODY") bytes"
assert_header Content-Type application/octet-stream

# The request's Content-Type comes back as the response's.
printf 'some text' >"$T/small.txt"
http_post /function/echo "$T/small.txt" -H 'Content-Type: text/x-test'
assert_status 200
assert_eq "some text" "$(cat "$BODY")" "small body"
assert_header Content-Type text/x-test

http_post '/function/echo?show=params' "$T/in.bin"
assert_status 200
assert_file_contains "$BODY" "REQUEST_METHOD=POST" "echo's params"
assert_file_contains "$BODY" "CONTENT_LENGTH=1048576" "echo's params"
assert_file_contains "$BODY" "SCRIPT_FILENAME=$NGINX_DIR/www/function/echo" "echo's params"
assert_file_contains "$BODY" "X_GATEWAY_TEST=forty-two" "param[] from the config"
