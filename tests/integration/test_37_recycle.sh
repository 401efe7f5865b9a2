#!/usr/bin/env bash
# Recycling: pm.max_requests = 3 replaces the worker after every third
# request; pm.max_memory replaces a worker whose RSS grew past it after the
# request (which itself succeeds), and leaves a small worker alone.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF2
[rec]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
pm.max_requests = 3

[mem]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
pm.max_memory = 20M
EOF2
gw_start
nginx_up

# 9 requests: pids in runs of 3, three distinct ones.
seq=""
for ((n = 0; n < 9; n++)); do
	probe rec pid
	assert_status 200
	pid=$(sed -n 's/^pid=\([0-9][0-9]*\)$/\1/p' "$BODY")
	[ -n "$pid" ] || fail "request $n: no pid in '$(_show <"$BODY")'"
	seq="$seq $pid"
done
echo "pids of 9 requests:$seq"
read -r -a p <<<"$seq"
for ((n = 0; n < 9; n += 3)); do
	if [ "${p[n]}" != "${p[n + 1]}" ] || [ "${p[n]}" != "${p[n + 2]}" ]; then
		fail "requests $n..$((n + 2)) ran on different workers:$seq (expected 3 per worker)"
	fi
done
if [ "${p[0]}" = "${p[3]}" ] || [ "${p[3]}" = "${p[6]}" ] || [ "${p[0]}" = "${p[6]}" ]; then
	fail "the worker was not replaced after 3 requests:$seq"
fi
for ((n = 0; n < 40; n++)); do
	[ "$(grep -c "function rec: worker pid [0-9]* exited.* after 3 requests" "$GW_LOG")" -ge 3 ] && break
	sleep 0.05
done
assert_eq 3 "$(grep -c "function rec: worker pid [0-9]* exited.* after 3 requests" "$GW_LOG")" \
	"'function rec: worker pid N exited ... after 3 requests' lines"
if grep -q "function rec: worker pid [0-9]* exited: killed" "$GW_LOG"; then
	echo "note: recycled rec workers were killed: $(grep -m1 "function rec: worker pid [0-9]* exited: killed" "$GW_LOG")"
fi
probe rec pid
assert_status 200

# pm.max_memory: small requests keep the worker; a 32 MiB leak replaces it.
probe_pid mem
first=$PROBE_PID
probe_pid mem
assert_eq "$first" "$PROBE_PID" "mem worker after a small request (pm.max_memory = 20M must not recycle it)"
probe mem leak mb=32
assert_status 200
assert_body "leak: ok 32 MiB, pid=$first"
for ((n = 0; n < 40; n++)); do
	pid_alive "$first" || break
	sleep 0.05
done
pid_alive "$first" && fail "worker $first with 32 MiB leaked (pm.max_memory = 20M) still runs 2 s later"
probe_pid mem
[ "$PROBE_PID" != "$first" ] || fail "the leaking worker $first was not replaced"
assert_file_contains "$GW_LOG" "function mem: worker pid $first exited" "log of the recycled worker"
second=$PROBE_PID
probe mem pid
assert_status 200
assert_body "pid=$second"
assert_gw_alive
