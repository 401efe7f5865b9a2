#!/usr/bin/env bash
# Reload under load: wrk through nginx on one function while that function's
# config changes 4 times (pm.max_children 2 <-> 3, an env[] value), by
# SIGHUP 1 s apart: not one non-2xx answer, not one socket error; each
# reload starts the changed function anew and retires its old workers once
# they finish; the other functions keep theirs. Done for hello, echo, and
# php-cgi workers that also recycle themselves (PHP_FCGI_MAX_REQUESTS).
# Prints wrk's figures (informational).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

[ -x /usr/bin/php-cgi ] || skip "no /usr/bin/php-cgi"
PHP_EXE=$(readlink -f /usr/bin/php-cgi)

# write_conf HELLO_GEN ECHO_GEN PHP_GEN: a generation's config; an odd
# generation runs 3 workers, an even one 2.
write_conf() {
	gw_config <<EOF2
[hello]
exec = $FUNCTIONS/hello
pm.max_children = $((2 + $1 % 2))
env[GEN] = hello-$1

[echo]
exec = $FUNCTIONS/echo
pm.max_children = $((2 + $2 % 2))
env[GEN] = echo-$2

[php]
exec = /usr/bin/php-cgi
script = $REPO/functions/hello.php
pm.max_children = $((2 + $3 % 2))
env[PHP_FCGI_MAX_REQUESTS] = 200
env[GEN] = php-$3
EOF2
}

# gen_of PID: the GEN value in a worker's environment.
gen_of() {
	tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n 's/^GEN=//p'
}

# check_settled NAME EXE GEN: within 5 s, the old workers of NAME are gone
# (logged), and every worker of EXE runs generation GEN, as many as GEN says.
check_settled() {
	local i pids pid stale want=$((2 + $3 % 2))
	for ((i = 0; i < 100; i++)); do
		pids=$(fn_workers "$2")
		stale=""
		for pid in $pids; do
			[ "$(gen_of "$pid")" = "$1-$3" ] || stale="$stale $pid"
		done
		[ -z "$stale" ] && [ "$(echo "$pids" | grep -c .)" -eq "$want" ] && break
		sleep 0.05
	done
	[ -z "$stale" ] || fail "$1: workers of an older generation still run 5 s after the last reload:$stale"
	assert_eq "$want" "$(echo "$pids" | grep -c .)" "$1: workers after the last reload (pm.max_children = $want)"
}

# load_and_reload NAME PATH SECONDS: wrk on PATH for SECONDS while NAME's
# config changes 4 times; checks wrk's output and the log.
load_and_reload() {
	local name=$1 path=$2 secs=$3 r wrk_pid reloaded_before gone_before i
	reloaded_before=$(gw_log_count "3 functions: 1 started anew, 2 kept their workers, 1 retired")
	gone_before=$(gw_log_count "function $name: old workers gone after the reload")
	wrk -t2 -c8 -d"${secs}s" --timeout 5s "$BASE$path" >"$T/wrk.$name" 2>&1 &
	wrk_pid=$!
	bg_track "$wrk_pid"
	sleep 1
	for ((r = 1; r <= 4; r++)); do
		gen[$name]=$((gen[$name] + 1))
		write_conf "${gen[hello]}" "${gen[echo]}" "${gen[php]}"
		gw_reload || fail "reload $r of $name under load was not answered by 'reloaded' (log: '$(tail -c 300 "$GW_LOG" | _show)')"
		sleep 1
	done
	wait "$wrk_pid" || fail "wrk on $path failed: $(tail -n 3 "$T/wrk.$name")"
	cat "$T/wrk.$name"
	wrk_check "$T/wrk.$name" "wrk on $path with 4 reloads"
	assert_eq 4 $(($(gw_log_count "3 functions: 1 started anew, 2 kept their workers, 1 retired") - reloaded_before)) \
		"'reloaded ...: 3 functions: 1 started anew, 2 kept their workers, 1 retired' lines for 4 reloads of $name"
	for ((i = 0; i < 100; i++)); do
		[ $(($(gw_log_count "function $name: old workers gone after the reload") - gone_before)) -ge 4 ] && break
		sleep 0.05
	done
	assert_eq 4 $(($(gw_log_count "function $name: old workers gone after the reload") - gone_before)) \
		"'function $name: old workers gone after the reload' lines after 4 reloads"
}

declare -A gen=([hello]=0 [echo]=0 [php]=0)
write_conf 0 0 0
gw_start
nginx_up
http_get /function/hello
assert_status 200
http_get /function/php
assert_status 200
assert_body "hello, world"

load_and_reload hello /function/hello 8
check_settled hello "$FUNCTIONS/hello" "${gen[hello]}"
# echo was not touched: its first workers still run.
for pid in $(fn_workers "$FUNCTIONS/echo"); do
	assert_eq echo-0 "$(gen_of "$pid")" "GEN of echo worker $pid after reloads that changed only hello"
done

load_and_reload echo "/function/echo?show=params" 6
check_settled echo "$FUNCTIONS/echo" "${gen[echo]}"

exits_before=$(gw_log_count "function php: worker pid")
load_and_reload php /function/php 6
check_settled php "$PHP_EXE" "${gen[php]}"
echo "php workers that exited during the run: $(($(gw_log_count "function php: worker pid") - exits_before))"

assert_eq 12 "$(gw_log_count "reloaded ")" "'reloaded' lines after 12 SIGHUPs"
http_get /function/php
assert_status 200
assert_body "hello, world"
assert_gw_alive
