#!/usr/bin/env bash
# A function whose program dies at once: its stderr reaches gatewayd's log
# tagged with function and pid, its requests fail with 502 or 503, respawns
# back off instead of looping hot, and other functions are not disturbed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

cat >"$T/broken.sh" <<'SH'
#!/bin/sh
echo "broken function cannot start" >&2
exit 3
SH
chmod +x "$T/broken.sh"

gw_config <<EOF
[broken]
exec = $T/broken.sh
pm.max_children = 1
queue.timeout = 1s

[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
nginx_up

http_get /function/broken
case $HTTP_STATUS in
502 | 503) ;;
*) fail "status of a request to a function that cannot start: expected 502 or 503, got $HTTP_STATUS" ;;
esac

http_get /function/hello
assert_status 200
assert_body "hello, world"

sleep 2
spawns=$(gw_log_count "function broken: worker pid")
exits=$(gw_log_count "exited with status 3")
[ "$exits" -ge 2 ] || fail "the broken worker was not respawned (exits logged: $exits)"
# Backoff 0.1, 0.2, 0.4, 0.8, 1.6 s...: about 5 exits in the first 3 s, not hundreds.
[ "$exits" -le 8 ] || fail "respawned in a hot loop: $exits exits in about 3 s"
assert_file_contains "$GW_LOG" "function broken pid" "stderr line tagged with function and pid"
assert_file_contains "$GW_LOG" "broken function cannot start" "the worker's stderr in the log"
[ "$spawns" -ge "$exits" ] || fail "spawns ($spawns) fewer than exits ($exits)"
assert_gw_alive
