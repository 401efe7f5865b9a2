#!/usr/bin/env bash
# Unknown function and unrouted path: 404 written by gatewayd, naming the
# function; gatewayd keeps serving.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
nginx_up

http_get /function/nope
assert_status 404
assert_file_contains "$BODY" "nope" "404 body"

http_get /no/such/route
assert_status 404

assert_gw_alive
http_get /function/hello
assert_status 200
assert_body "hello, world"
