#!/usr/bin/env bash
# async.result_ttl is counted on the monotonic clock: with gatewayd's wall
# clock stepped 2 h forward (tests/preload/clock_step.c, LD_PRELOADed into
# gatewayd alone: this machine's clock is never touched), a job finished with
# result_ttl = 1h is still readable a second later (a sweep on the wall
# clock forgets it), and after the next job finishes and the expiry timer is
# armed again (ev_now() follows the wall clock: on it, the job is overdue).
# The JSON's finished times are the wall clock's: the second job's shows the
# step, which proves the shim took.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

shim=$TEST_FUNCTIONS/clock_step.so
[ -f "$shim" ] || fail "$shim is missing (make $shim)"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[hour]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.result_ttl = 1h
EOF
# A sanitizer runtime must come first among the libraries; the shim has none.
LD_PRELOAD=$shim CLOCK_STEP_FILE=$T/stepped CLOCK_STEP_SECONDS=7200 \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 gw_start
nginx_up

# finished_s ID: the job's "finished" time, in seconds since the epoch.
finished_s() {
	job_get "$1"
	date -u -d "$(json_str finished)" +%s
}

async_submit /function/hour -H 'Prefer: respond-async'
first=$JOB_ID
job_wait "$first" 10
first_finished=$(finished_s "$first")

touch "$T/stepped"
sleep 1.5
http_get "/_gateway/jobs/$first"
assert_status 200
echo "a second after a 2 h step of gatewayd's wall clock, the 1h-ttl job answers 200"

async_submit /function/hour -H 'Prefer: respond-async'
second=$JOB_ID
job_wait "$second" 10
step=$(($(finished_s "$second") - first_finished))
[ "$step" -ge 7000 ] || fail "the second job finished $step s after the first by the JSON: the wall clock was not stepped"
sleep 0.5
http_get "/_gateway/jobs/$first"
assert_status 200
http_get "/_gateway/jobs/$first/result"
assert_status 200
echo "after the next job finished ($step s later by the wall clock), the first still answers 200"
assert_gw_alive
