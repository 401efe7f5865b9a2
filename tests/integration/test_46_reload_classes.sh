#!/usr/bin/env bash
# A reload does with each changed key what its row in the key table says:
# an async.* key (applied at once) takes effect without a restart and the
# function keeps its workers; async turned on while the only worker is busy
# and under load runs every accepted job with no later request to wake it;
# a key that needs new workers (pm.max_children) gives the function a new
# pool; a restart-only key (run_dir) is logged and the running value kept.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

echo_section() {	# echo_section ASYNC MAX_BODY MAX_CHILDREN
	printf '[echo]\nexec = %s\npm.max_children = %s\nasync = %s\n' "$FUNCTIONS/echo" "$3" "$1"
	[ "$1" != off ] && printf 'async.max_body = %s\n' "$2"
	printf '\n[hello]\nexec = %s\npm.max_children = 1\n' "$FUNCTIONS/hello"
}
GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL"
echo_section on 10 1 | gw_config
gw_start
nginx_up
head -c 100 /dev/zero | tr '\0' x >"$T/body100"

# 1. async.max_body 10 -> 1M: applied at once, workers kept.
http_post "/function/echo" "$T/body100" -H 'Prefer: respond-async'
assert_status 413
before=$(fn_workers "$FUNCTIONS/echo")
echo_section on 1M 1 | gw_config
gw_reload || fail "reload changing async.max_body refused (log: '$(tail -c 300 "$GW_LOG" | _show)')"
async_submit "/function/echo" --data-binary "@$T/body100" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "the 100-byte job after async.max_body = 1M"
assert_eq "$before" "$(fn_workers "$FUNCTIONS/echo")" "echo's workers across a live change"
assert_file_contains "$GW_LOG" "function echo: kept its workers; applied at once: async.max_body" \
	"log of a live change"

# 2. async off -> on while the only worker is busy, under load: every job runs.
echo_section off 1M 1 | gw_config
gw_reload || fail "reload turning async off refused"
wrk -t1 -c2 -d4s "$BASE/function/echo?sleep_ms=50" >"$T/wrk.out" 2>&1 &
wrk_pid=$!
bg_track "$wrk_pid"
sleep 0.5
echo_section on 1M 1 | gw_config
gw_reload || fail "reload turning async on refused"
ids=""
for ((i = 0; i < 10; i++)); do
	async_submit "/function/echo?sleep_ms=20" --data-binary "job $i" -H 'Prefer: respond-async'
	ids="$ids $JOB_ID"
done
wait "$wrk_pid"
wrk_check "$T/wrk.out" "wrk on echo while async was turned on"
# No request after this point: only the pool's own idle notice can run them.
deadline=$(($(now_ms) + 10000))
for id in $ids; do
	while :; do
		job_get "$id"
		[ "$JOB_STATE" = succeeded ] && break
		[ "$(now_ms)" -lt "$deadline" ] ||
			fail "job $id still $JOB_STATE 10 s after async was turned on (no later request woke it)"
		sleep 0.1
	done
done

# 3. pm.max_children 1 -> 2: new workers.
before=$(fn_workers "$FUNCTIONS/echo")
echo_section on 1M 2 | gw_config
gw_reload || fail "reload changing pm.max_children refused"
wait_workers -ge 3 5 || fail "echo's second worker did not start (workers: $WORKERS_SEEN)"
for pid in $before; do
	for ((i = 0; i < 100; i++)); do
		pid_alive "$pid" || break
		sleep 0.05
	done
	if pid_alive "$pid"; then
		fail "echo's old worker $pid still runs after the pool was replaced"
	fi
done
assert_file_contains "$GW_LOG" "function echo: new workers (pm.max_children changed)" \
	"log of a change that needs new workers"

# 4. run_dir changed: at the next start; the running one stays in use.
mkdir -p "$T/other"
sed -i "s#^run_dir = .*#run_dir = $T/other/run#" "$GW_CONF"
sed -i 's/^pm.max_children = 2$/pm.max_children = 1/' "$GW_CONF"
gw_reload || fail "reload changing run_dir refused"
assert_file_contains "$GW_LOG" "reload: run_dir changed: it takes effect at the next start; the running value stays" \
	"log of a restart-only change"
http_get "/function/echo?show=params"
assert_status 200
[ -e "$T/other/run" ] && fail "the new run_dir was made before a restart"
assert_gw_alive
