#!/usr/bin/env bash
# A client that gives up mid-request: nginx closes its FastCGI connection,
# gatewayd drops the request, the worker finishes it unseen and goes back to
# the pool: the next request is served by that same single worker.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF
gw_start
nginx_up
worker=$(gw_workers)

rc=0
curl -s --max-time 0.5 -o /dev/null "$BASE/function/slow?sleep_ms=1500" || rc=$?
assert_eq 28 "$rc" "curl's exit status for a request it abandoned (28 = timeout)"

http_get "/function/slow?show=params"
assert_status 200
assert_contains "$(cat "$BODY")" "GATEWAY_FUNCTION=slow" "params seen by the worker"
assert_eq "$worker" "$(gw_workers)" "the worker after an abandoned request (not respawned)"
assert_gw_alive
