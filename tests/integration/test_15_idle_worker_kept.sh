#!/usr/bin/env bash
# An idle libfcgi worker is left alone: no request for 5 s must not cost it
# its life. (libfcgi drops a unix-socket connection that sends nothing within
# 2 s of accept(): os_unix.c, READABLE_UNIX_FD_DROP_DEAD_TIMEVAL. A pool that
# connects to its workers ahead of the first request must cope with that.)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
nginx_up

before=$(gw_workers | tr '\n' ' ')
sleep 5
after=$(gw_workers | tr '\n' ' ')
assert_eq "$before" "$after" "worker pids after 5 idle seconds"
assert_eq 0 "$(gw_log_count exited)" "worker exits logged while idle"

http_get /function/hello
assert_status 200
assert_body "hello, world"
