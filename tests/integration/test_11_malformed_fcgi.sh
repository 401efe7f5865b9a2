#!/usr/bin/env bash
# Malformed FastCGI straight on gatewayd's socket: that connection is closed,
# gatewayd stays up and keeps serving; FCGI_GET_VALUES is answered.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
nginx_up

# An HTTP request sent to the FastCGI socket: "GET / HTTP/1.1\r\n\r\n".
out=$(fcgi_client --timeout 3 send-raw "$GW_SOCK" 474554202f20485454502f312e310d0a0d0a)
assert_contains "$out" "closed" "connection after garbage bytes"
assert_gw_alive

# A BEGIN_REQUEST record with version 2.
out=$(fcgi_client --timeout 3 send-raw "$GW_SOCK" 02010001000800000001010000000000)
assert_contains "$out" "closed" "connection after a version-2 record"
assert_gw_alive

http_get /function/hello
assert_status 200
assert_body "hello, world"

rc=0
out=$(fcgi_client --timeout 3 get-values "$GW_SOCK") || rc=$?
assert_eq 0 "$rc" "FCGI_GET_VALUES answered with FCGI_GET_VALUES_RESULT (client said: $out)"
assert_contains "$out" "FCGI_MAX_CONNS=" "FCGI_GET_VALUES_RESULT"
assert_contains "$out" "FCGI_MAX_REQS=" "FCGI_GET_VALUES_RESULT"
assert_contains "$out" "FCGI_MPXS_CONNS=" "FCGI_GET_VALUES_RESULT"
assert_gw_alive
