#!/usr/bin/env bash
# Retries: a job that fails twice (500) then succeeds ends succeeded with
# attempts 3, no sooner than the doubling retry delays allow; one that
# always answers 500 fails after async.max_attempts = 2 with its last
# response kept (/result replays the 500); a 404 is final (failed, attempts
# 1, no retry); a 3xx is a success; a worker that dies mid-job (SIGKILL) is
# retried, and a job whose worker always dies fails with no response; a job
# cut by request_timeout is retried. gatewayd stays up throughout.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
async = on
async.max_attempts = 3
async.retry_delay = 100ms

[twice]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
async = on
async.max_attempts = 2
async.retry_delay = 100ms

[slow]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
request_timeout = 1s
async = on
async.max_attempts = 2
async.retry_delay = 100ms
EOF
gw_start
nginx_up

# result_is STATUS TEXT WHAT: /result of $JOB_ID replays STATUS and body TEXT.
result_is() {
	http_get "/_gateway/jobs/$JOB_ID/result"
	[ "$HTTP_STATUS" = "$1" ] ||
		fail "$3: /result status: expected $1, got $HTTP_STATUS (body '$(_show <"$BODY")')"
	assert_body "$2"
}

# --- fails twice with 500, then succeeds: attempts 3, after 100 + 200 ms of delays.
start=$(now_ms)
async_submit "/function/probe?call=flaky&file=$DATA/flaky.count&fail=2" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 15
elapsed=$(($(now_ms) - start))
assert_eq succeeded "$JOB_STATE" "flaky fail=2: state"
assert_eq 3 "$JOB_ATTEMPTS" "flaky fail=2: attempts"
assert_eq 200 "$JOB_STATUS" "flaky fail=2: status"
[ "$elapsed" -ge 300 ] ||
	fail "flaky fail=2 succeeded after $elapsed ms: retry delays 100 ms then 200 ms were not waited"
echo "flaky fail=2: succeeded after 3 attempts in $elapsed ms"
result_is 200 "flaky: ok after 3 runs" "flaky fail=2"
assert_eq 3 "$(tr -d '\n' <"$DATA/flaky.count")" "runs of the flaky job (its counter file)"
[ "$(gw_log_count "async job $JOB_ID (probe): attempt 2 failed: the function answered 5xx")" -eq 1 ] ||
	fail "no 'attempt 2 failed' log line for job $JOB_ID"

# --- always 500: failed after max_attempts = 2, the last 500 kept.
async_submit "/function/twice?call=status&code=500" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq failed "$JOB_STATE" "always 500: state"
assert_eq 2 "$JOB_ATTEMPTS" "always 500: attempts (async.max_attempts = 2)"
assert_eq 500 "$JOB_STATUS" "always 500: status"
result_is 500 "status: 500" "always 500"

# --- 404 is the function's final word: failed, attempts 1, never retried.
async_submit "/function/probe?call=status&code=404" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq failed "$JOB_STATE" "404: state"
assert_eq 1 "$JOB_ATTEMPTS" "404: attempts"
assert_eq 404 "$JOB_STATUS" "404: status"
sleep 0.5
job_get "$JOB_ID"
assert_eq 1 "$JOB_ATTEMPTS" "404: attempts 500 ms after it failed (a retry would have run by now)"
result_is 404 "status: 404" "404"

# --- a 3xx is a success.
async_submit "/function/probe?call=status&code=302" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "302: state"
assert_eq 1 "$JOB_ATTEMPTS" "302: attempts"
assert_eq 302 "$JOB_STATUS" "302: status"

# --- the worker dies by SIGKILL on the first run: retried, then succeeds.
async_submit "/function/probe?call=flaky&file=$DATA/crash.count&fail=1&how=crash" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 15
assert_eq succeeded "$JOB_STATE" "crash once: state"
assert_eq 2 "$JOB_ATTEMPTS" "crash once: attempts"
result_is 200 "flaky: ok after 2 runs" "crash once"
assert_file_contains "$GW_LOG" "async job $JOB_ID (probe): attempt 1 failed: the worker died" "log of the crashed job"

# --- the worker always dies: failed after 2 attempts, no response to replay.
async_submit "/function/twice?call=crash" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 15
assert_eq failed "$JOB_STATE" "always crash: state"
assert_eq 2 "$JOB_ATTEMPTS" "always crash: attempts"
assert_eq null "$JOB_STATUS" "always crash: status (the function gave none)"
http_get "/_gateway/jobs/$JOB_ID/result"
assert_status 502
assert_header Content-Type application/json

# --- request_timeout cuts each attempt: retried, then failed.
async_submit "/function/slow?call=sleep&ms=3000" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 15
assert_eq failed "$JOB_STATE" "timeout: state"
assert_eq 2 "$JOB_ATTEMPTS" "timeout: attempts"
assert_file_contains "$GW_LOG" "async job $JOB_ID (slow): attempt 1 failed: request_timeout passed" "log of the timed-out job"

# The functions still answer synchronously after all that.
http_get "/function/probe?call=pid"
assert_status 200
assert_gw_alive
