#!/usr/bin/env bash
# request_slowlog_timeout: a request sleeping past it is logged once with
# its function, URI, worker pid, age and the worker's /proc syscall line;
# when request_timeout then kills it, the same entry is logged before the
# 504; the daemon stays up. Fails on the old code: the key is unknown.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
request_slowlog_timeout = 1s
request_timeout = 2500ms
EOF2
gw_start
nginx_up

probe probe sleep ms=5000
assert_status 504
slow=$(grep -F "slow request: function probe: /function/probe?call=sleep&ms=5000: running longer than request_slowlog_timeout" "$GW_LOG") ||
	fail "no slow-request entry: '$(tail -c 600 "$GW_LOG" | _show)'"
# The /proc syscall line: a number, or "unreadable" while the daemon (not the spawner) reads it.
[[ $slow =~ worker\ pid\ ([0-9]+):\ syscall\ ([0-9]+|unreadable) ]] || fail "no pid and syscall in '$slow'"
pid=${BASH_REMATCH[1]}
killed=$(grep -F "slow request: function probe: /function/probe?call=sleep&ms=5000: killed by request_timeout" "$GW_LOG") ||
	fail "no entry before the request_timeout kill"
assert_contains "$killed" "worker pid $pid:" "the killed entry names the same worker"
assert_eq 1 "$(gw_log_count "running longer than request_slowlog_timeout")" "slow entries"
assert_gw_alive
gw_stop
