#!/usr/bin/env bash
# hello through nginx: 200, the exact body, text/plain.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 2
EOF
gw_start
nginx_up

http_get /function/hello
assert_status 200
assert_body "hello, world"
assert_header Content-Type text/plain
