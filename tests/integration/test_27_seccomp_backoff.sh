#!/usr/bin/env bash
# A function whose every request trips its seccomp filter (strict + kill,
# call=fork): each such request fails alone (502, or 503 while the respawn
# backs off), is not replayed onto the next worker, respawns are not a hot
# loop, and another function in the same gatewayd keeps answering.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[doomed]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
seccomp = strict
seccomp.action = kill
queue.timeout = 1s

[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF2
gw_start
nginx_up

# doomed_spawns: how many doomed workers gatewayd has started so far.
doomed_spawns() {
	grep -c "function doomed: worker pid [0-9]* started" "$GW_LOG"
}

start=$(date +%s%N)
bad_gateway=0
for ((n = 0; n < 10; n++)); do
	probe doomed fork
	case $HTTP_STATUS in
	502) bad_gateway=$((bad_gateway + 1)) ;;
	503) ;;
	*) fail "request $n to a function killed by seccomp on every request: expected 502 or 503, got $HTTP_STATUS (body: '$(_show <"$BODY")')" ;;
	esac
	http_get /function/hello
	assert_status 200
	assert_body "hello, world"
done
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "10 doomed requests: $bad_gateway x 502, the rest 503, in $elapsed_ms ms"
[ "$bad_gateway" -ge 2 ] || fail "only $bad_gateway of 10 doomed requests got 502 (no respawn after a kill?)"
assert_gw_alive

sleep 1
kills=$(gw_log_count "function doomed pid")
kills_seccomp=$(grep -c "function doomed pid [0-9]* killed by seccomp" "$GW_LOG")
spawns=$(doomed_spawns)
echo "seccomp kills logged: $kills_seccomp, spawns: $spawns"
assert_eq "$kills" "$kills_seccomp" "'function doomed pid' lines that are not seccomp kills"
# Each 502 is one worker's death; a request replayed onto the next worker
# would kill that one too and show as more deaths than 502s.
assert_eq "$bad_gateway" "$kills_seccomp" "seccomp kills logged vs requests answered 502"
assert_file_contains "$GW_LOG" "killed by seccomp ($kills_seccomp so far)" "the running count of seccomp kills"
[ "$spawns" -le 15 ] || fail "respawned in a hot loop: $spawns spawns in about $((elapsed_ms / 1000 + 1)) s"
[ "$spawns" -ge "$kills_seccomp" ] || fail "fewer spawns ($spawns) than kills ($kills_seccomp): no respawn"

# Idle, the doomed function does not die, so it respawns at most once more
# (the respawn still pending after the last kill).
sleep 2
idle_spawns=$(($(doomed_spawns) - spawns))
[ "$idle_spawns" -le 1 ] || fail "doomed respawned $idle_spawns times while idle for 2 s"
http_get /function/hello
assert_status 200
assert_gw_alive
