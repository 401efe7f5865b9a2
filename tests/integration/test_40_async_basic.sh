#!/usr/bin/env bash
# Async mode through nginx: Prefer: respond-async on an async = on function
# answers 202 with Location, Preference-Applied and a JSON id; the job
# succeeds and its /result is what the synchronous call answers (body byte
# for byte; the params the same but for the job's own GATEWAY_JOB_*);
# X-Async: true works without Preference-Applied; async = off runs
# synchronously; an unknown function is 404, never 202; an unknown job is
# 404; an unfinished job's /result is 409; async = only queues without any
# header; a body above async.max_body is 413.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 2
async = on
async.max_body = 1K

[plain]
exec = $FUNCTIONS/echo
pm.max_children = 1

[only]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = only
EOF
gw_start
nginx_up

# no_header NAME: the last response has no header NAME.
no_header() {
	! tr -d '\r' <"$HEADERS" | grep -qi "^$1:" ||
		fail "header $1 present, expected none (headers: '$(_show <"$HEADERS")')"
}

# random_id: 32 hex digits no job has.
random_id() {
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

# --- Prefer: respond-async, a body: the result is the sync answer, byte for byte.
head -c 700 /dev/urandom >"$T/payload"
http_post /function/echo "$T/payload"
assert_status 200
cp "$BODY" "$T/sync.body"
sync_type=$(tr -d '\r' <"$HEADERS" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p')

async_submit /function/echo --data-binary "@$T/payload" \
	-H 'Content-Type: application/octet-stream' -H 'Prefer: respond-async'
assert_header Preference-Applied respond-async
assert_header Content-Type application/json
id=$JOB_ID
job_wait "$id" 10
assert_eq succeeded "$JOB_STATE" "state of job $id"
assert_eq 1 "$JOB_ATTEMPTS" "attempts of job $id"
assert_eq 200 "$JOB_STATUS" "status of job $id"
assert_eq "$id" "$(json_str id)" "id in the job's JSON"
assert_eq echo "$(json_str function)" "function of job $id"
assert_eq "/_gateway/jobs/$id/result" "$(json_str result)" "result link of job $id"
assert_eq false "$(json_num result_truncated)" "result_truncated of job $id"
for field in created started finished; do
	[[ $(json_str "$field") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$ ]] ||
		fail "job $id: $field is not an RFC 3339 time: '$(_show <"$BODY")'"
done

http_get "/_gateway/jobs/$id/result"
assert_status 200
cmp -s "$T/sync.body" "$BODY" ||
	fail "job $id: /result body ($(wc -c <"$BODY") bytes) differs from the sync answer ($(wc -c <"$T/sync.body") bytes)"
assert_header Content-Type "$sync_type"

# --- ?show=params: the same params as the sync call, plus the job's own.
params_of() {
	grep -Ev '^(GATEWAY_JOB_ID|GATEWAY_JOB_ATTEMPT|HTTP_PREFER|HTTP_X_ASYNC|REMOTE_PORT)=' "$1"
}
http_get "/function/echo?show=params&x=1"
assert_status 200
params_of "$BODY" >"$T/sync.params"
async_submit "/function/echo?show=params&x=1" -H 'Prefer: respond-async'
id=$JOB_ID
job_wait "$id" 10
assert_eq succeeded "$JOB_STATE" "state of the show=params job"
http_get "/_gateway/jobs/$id/result"
assert_status 200
assert_file_contains "$BODY" "GATEWAY_JOB_ID=$id" "the job's params"
assert_file_contains "$BODY" "GATEWAY_JOB_ATTEMPT=1" "the job's params"
assert_file_contains "$BODY" "HTTP_PREFER=respond-async" "the job's params"
params_of "$BODY" >"$T/async.params"
diff "$T/sync.params" "$T/async.params" >"$T/params.diff" ||
	fail "job params differ from the sync call's: '$(_show <"$T/params.diff")'"

# --- X-Async: true: accepted, but no Preference-Applied (Prefer was not used).
async_submit /function/echo -H 'X-Async: true'
no_header Preference-Applied
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "state of the X-Async job"

# --- Prefer with other preferences around it (an RFC 7240 list).
async_submit /function/echo -H 'Prefer: return=minimal, respond-async; x=1'
assert_header Preference-Applied respond-async

# --- async = off: Prefer is ignored, the answer is synchronous.
printf 'sync please' >"$T/small"
http_post /function/plain "$T/small" -H 'Prefer: respond-async'
assert_status 200
no_header Preference-Applied
no_header Location
assert_eq "sync please" "$(cat "$BODY")" "body of an async = off function asked with Prefer"

# --- an unknown function is 404 whatever the headers; never 202.
http_get /function/nosuch -H 'Prefer: respond-async'
assert_status 404
http_get /function/nosuch -H 'X-Async: true'
assert_status 404

# --- unknown and malformed job ids: 404.
http_get "/_gateway/jobs/$(random_id)"
assert_status 404
http_get "/_gateway/jobs/$(random_id)/result"
assert_status 404
http_get /_gateway/jobs/not-an-id
assert_status 404
http_get "/_gateway/jobs/${id^^}"
assert_status 404
http_get /_gateway/jobs/
assert_status 404

# --- an unfinished job's result: 409 with its state; then 200 once done.
async_submit "/function/echo?sleep_ms=1500" -H 'Prefer: respond-async'
slow=$JOB_ID
http_get "/_gateway/jobs/$slow/result"
assert_status 409
assert_header Content-Type application/json
case $(json_str state) in
queued | running) ;;
*) fail "409 body of an unfinished job: '$(_show <"$BODY")'" ;;
esac
job_get "$slow"
case $JOB_STATE in
queued | running) ;;
*) fail "job $slow with sleep_ms=1500: state '$JOB_STATE' right after the 202" ;;
esac
assert_eq null "$(json_num finished)" "finished of an unfinished job"
job_wait "$slow" 10
assert_eq succeeded "$JOB_STATE" "state of the sleep_ms=1500 job"
http_get "/_gateway/jobs/$slow/result"
assert_status 200

# --- async = only: every request is a job, no header needed.
async_submit /function/only
no_header Preference-Applied
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "state of the async = only job"
async_submit /function/only -H 'Prefer: respond-async'
assert_header Preference-Applied respond-async

# --- async.max_body = 1K: a larger body is 413 as a job, fine synchronously.
head -c 2048 /dev/urandom >"$T/big"
before=$(journal_size)
http_post /function/echo "$T/big" -H 'Prefer: respond-async'
assert_status 413
no_header Location
assert_eq "$before" "$(journal_size)" "journal size after a job refused with 413"
http_post /function/echo "$T/big"
assert_status 200
cmp -s "$T/big" "$BODY" || fail "a 2K body sent synchronously did not come back whole"

assert_gw_alive
