#!/usr/bin/env bash
# DELETE /_gateway/jobs/<id>: a queued job is canceled (200, state
# "canceled", /result 409) and never runs; a running one answers 409 and
# runs on; a job queued across a SIGKILL restart is canceled after it and
# does not run again after another (the cancel is journaled: it replays as
# failed); a finished job is forgotten (204, then 404); an unknown id is
# 404; other methods are 405 with Allow. runcount logs every run it makes.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[slow]
exec = $TEST_FUNCTIONS/runcount
pm.max_children = 1
async = on
EOF
gw_start
nginx_up

# runs TAG: how many times runcount ran the job tagged TAG.
runs() {
	grep -c "runcount ran [A-Z]* sleep_ms=[0-9]*&tag=$1\$" "$GW_LOG"
}

# wait_running ID: polls until the job is running (5 s at most).
wait_running() {
	local i
	for ((i = 0; i < 100; i++)); do
		job_get "$1"
		[ "$JOB_STATE" = running ] && return 0
		sleep 0.05
	done
	fail "job $1 not running within 5 s (state $JOB_STATE)"
}

# --- A runs for 2 s on the only worker; B waits behind it and is canceled.
async_submit '/function/slow?sleep_ms=2000&tag=A' -H 'Prefer: respond-async'
a=$JOB_ID
wait_running "$a"
async_submit '/function/slow?sleep_ms=0&tag=B' -H 'Prefer: respond-async'
b=$JOB_ID
http_get "/_gateway/jobs/$b" -X DELETE
assert_status 200
assert_eq canceled "$(json_str state)" "state of B in the DELETE answer"
assert_header Cache-Control no-store
job_get "$b"
assert_eq canceled "$JOB_STATE" "state of B after its DELETE"
http_get "/_gateway/jobs/$b/result"
assert_status 409

# --- Running: 409, and it runs on to success.
http_get "/_gateway/jobs/$a" -X DELETE
assert_status 409
assert_eq running "$(json_str state)" "state of A in the 409"
job_wait "$a" 10
assert_eq succeeded "$JOB_STATE" "state of A after a refused DELETE"

# --- Finished: DELETE forgets it.
http_get "/_gateway/jobs/$a" -X DELETE
assert_status 204
http_get "/_gateway/jobs/$a"
assert_status 404

# --- Unknown id, other methods.
http_get "/_gateway/jobs/0123456789abcdef0123456789abcdef" -X DELETE
assert_status 404
http_get "/_gateway/jobs/$b" -X POST -d x
assert_status 405
assert_header Allow "GET, HEAD, DELETE"
http_get "/_gateway/jobs/$b/result" -X DELETE
assert_status 405
assert_header Allow "GET, HEAD"
job_get "$b"
assert_eq canceled "$JOB_STATE" "state of B after refused methods"

# --- Across restarts: C and D are queued when gatewayd is killed; after the
# restart one of them runs (replayed jobs come back in no set order) and the
# other, still queued, is canceled; after another kill it replays as failed,
# and never runs again.
async_submit '/function/slow?sleep_ms=2000&tag=D' -H 'Prefer: respond-async'
d=$JOB_ID
wait_running "$d"
async_submit '/function/slow?sleep_ms=2000&tag=C' -H 'Prefer: respond-async'
c=$JOB_ID
gw_kill9
gw_start
for ((i = 0; i < 100; i++)); do
	job_get "$d"
	[ "$JOB_STATE" = running ] && { run=$d kept=$c tag=C; break; }
	job_get "$c"
	[ "$JOB_STATE" = running ] && { run=$c kept=$d tag=D; break; }
	sleep 0.05
done
[ -n "${run:-}" ] || fail "neither C nor D running within 5 s of the restart"
job_get "$kept"
assert_eq queued "$JOB_STATE" "state of $tag after the restart"
http_get "/_gateway/jobs/$kept" -X DELETE
assert_status 200
assert_eq canceled "$(json_str state)" "state of $tag in the DELETE answer after a restart"
runs_at_cancel=$(runs "$tag")
sleep 0.2	# the batch fsync (10 ms) makes the cancel durable
gw_kill9
gw_start
job_wait "$run" 10
job_get "$kept"
assert_eq failed "$JOB_STATE" "state of the canceled $tag replayed"
async_submit '/function/slow?sleep_ms=0&tag=E' -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
echo "runs: A=$(runs A) B=$(runs B) C=$(runs C) D=$(runs D) E=$(runs E); $tag canceled after $runs_at_cancel"
assert_eq 0 "$(runs B)" "runs of the canceled B"
assert_eq "$runs_at_cancel" "$(runs "$tag")" "runs of the canceled $tag since its cancel"
assert_eq 1 "$(runs E)" "runs of E, queued after the canceled $tag"
assert_gw_alive
