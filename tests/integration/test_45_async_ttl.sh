#!/usr/bin/env bash
# async.result_ttl = 1s: a finished job answers 200 (state and /result) for
# about a second, then 404, within 3 s; a job of a function with the default
# ttl (1h) stays. After a restart (SIGTERM, and again after SIGKILL) the
# forgotten job is still 404 from the first request on (its FORGOTTEN record
# was replayed: the replay counts only the kept job), and the kept one 200.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[short]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.result_ttl = 1s

[long]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
EOF
gw_start
nginx_up

async_submit /function/long -H 'Prefer: respond-async'
kept=$JOB_ID
job_wait "$kept" 10
assert_eq succeeded "$JOB_STATE" "state of the long-ttl job"

async_submit /function/short -H 'Prefer: respond-async'
gone=$JOB_ID
job_wait "$gone" 10
seen=$(now_ms)
assert_eq succeeded "$JOB_STATE" "state of the short-ttl job"
http_get "/_gateway/jobs/$gone/result"
assert_status 200

# Forgotten after 1 s (the expiry timer is armed for it), not before.
for ((i = 0; i < 60; i++)); do
	http_get "/_gateway/jobs/$gone"
	[ "$HTTP_STATUS" = 404 ] && break
	assert_status 200
	sleep 0.05
done
after=$(($(now_ms) - seen))
assert_status 404
echo "short-ttl job forgotten about $after ms after it was seen finished"
[ "$after" -ge 900 ] || fail "job $gone forgotten $after ms after it finished, before async.result_ttl = 1s"
http_get "/_gateway/jobs/$gone/result"
assert_status 404
job_get "$kept"
assert_eq succeeded "$JOB_STATE" "state of the long-ttl job after the short one was forgotten"

# check_after_restart HOW: the forgotten job stays 404, the kept one is there.
check_after_restart() {
	local before
	before=$(wc -l <"$GW_LOG")
	gw_start
	http_get "/_gateway/jobs/$gone"
	assert_status 404
	tail -n +"$((before + 1))" "$GW_LOG" | grep -q "replayed: 1 jobs, 0 to run, 0 corrupt bytes skipped" ||
		fail "$1: expected 'replayed: 1 jobs, 0 to run, 0 corrupt bytes skipped' (the forgotten job not counted), got '$(tail -n +"$((before + 1))" "$GW_LOG" | grep replayed | _show)'"
	job_get "$kept"
	assert_eq succeeded "$JOB_STATE" "$1: state of the long-ttl job"
	http_get "/_gateway/jobs/$gone/result"
	assert_status 404
}

gw_stop
check_after_restart "restart after SIGTERM"
gw_kill9
check_after_restart "restart after SIGKILL"
assert_gw_alive
