#!/usr/bin/env bash
# request_slowlog_timeout: a request sleeping past it is logged once with
# its function, URI, worker pid, age and what the worker is doing (its
# /proc syscall line, wchan and kernel stack, which the root spawner reads:
# started as root with user = nobody, as shipped, the daemon may not);
# when request_timeout then kills it, the same entry is logged before the
# 504; the daemon stays up. Fails on the old code: the key is unknown.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

require_root
GW_GLOBAL_EXTRA="user = nobody" gw_config <<EOF2
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
# The /proc syscall line starts with the call's number; the stack is read too.
[[ $slow =~ worker\ pid\ ([0-9]+):\ syscall\ ([0-9]+)\  ]] || fail "no pid and syscall in '$slow'"
pid=${BASH_REMATCH[1]}
assert_contains "$slow" "; wchan " "the slow entry"
case $slow in
*"stack unreadable"*) fail "the worker's stack was not read: '$slow'" ;;
esac
killed=$(grep -F "slow request: function probe: /function/probe?call=sleep&ms=5000: killed by request_timeout" "$GW_LOG") ||
	fail "no entry before the request_timeout kill"
assert_contains "$killed" "worker pid $pid:" "the killed entry names the same worker"
assert_eq 1 "$(gw_log_count "running longer than request_slowlog_timeout")" "slow entries"

# Live by reload: request_slowlog_timeout = 0 logs no slow request.
sed -i 's/^request_slowlog_timeout = .*/request_slowlog_timeout = 0/' "$GW_CONF"
gw_reload
probe probe sleep ms=1500
assert_status 200
assert_eq 1 "$(gw_log_count "running longer than request_slowlog_timeout")" \
	"slow entries after request_slowlog_timeout = 0"
assert_gw_alive
gw_stop
