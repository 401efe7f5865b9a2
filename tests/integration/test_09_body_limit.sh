#!/usr/bin/env bash
# request.max_body: a 4 KiB body to a 1K function gets 413 from gatewayd, and
# the next request (on the same kept connection) is fine.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
request.max_body = 1K
EOF
gw_start
nginx_up

head -c 4096 /dev/urandom >"$T/big.bin"
head -c 512 /dev/urandom >"$T/small.bin"

http_post /function/echo "$T/big.bin"
assert_status 413

http_post /function/echo "$T/small.bin"
assert_status 200
cmp -s "$T/small.bin" "$BODY" || fail "512-byte body did not round-trip after the 413"
assert_gw_alive
