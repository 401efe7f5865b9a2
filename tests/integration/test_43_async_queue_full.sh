#!/usr/bin/env bash
# A full async queue: async.queue_size = 3, one worker busy with a slow job;
# 3 more jobs are accepted (queued), the next is refused with 503 and
# Retry-After, and the journal does not grow for it (nothing recorded, no
# id to follow); the 4 accepted jobs all succeed afterwards, in order, and
# the queue takes jobs again.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
async = on
async.queue_size = 3
EOF
gw_start
nginx_up

# The slow job takes the only worker.
async_submit "/function/probe?call=trace&file=$DATA/runs&ms=2000" -H 'Prefer: respond-async'
ids=$JOB_ID
for ((i = 0; i < 100; i++)); do
	job_get "$JOB_ID"
	[ "$JOB_STATE" = running ] && break
	sleep 0.05
done
assert_eq running "$JOB_STATE" "state of the slow job (it must hold the only worker)"

# Three fill the queue.
for n in 1 2 3; do
	async_submit "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
	job_get "$JOB_ID"
	assert_eq queued "$JOB_STATE" "state of queued job $n"
	ids="$ids $JOB_ID"
done

# The fourth is refused, with Retry-After, and leaves no trace in the journal.
before=$(journal_size)
[ "$before" -gt 0 ] || fail "the journal $GW_JOURNAL is empty after 4 accepted jobs"
http_get "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
assert_status 503
assert_header Retry-After
if tr -d '\r' <"$HEADERS" | grep -qi '^Location:'; then
	fail "a refused job has a Location: '$(_show <"$HEADERS")'"
fi
http_get "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'X-Async: true'
assert_status 503
assert_header Retry-After
assert_eq "$before" "$(journal_size)" "journal size after two refused jobs"
assert_file_contains "$GW_LOG" "function probe: async queue full (async.queue_size 3), answering 503" "log of the refusal"

# All four accepted jobs succeed, each once, in the order they came.
for id in $ids; do
	job_wait "$id" 10
	assert_eq succeeded "$JOB_STATE" "state of job $id"
	assert_eq 1 "$JOB_ATTEMPTS" "attempts of job $id"
done
assert_eq "$(echo "$ids" | tr ' ' '\n')" "$(cut -d' ' -f1 "$DATA/runs")" "the order the jobs ran in (trace file)"

# Room again: a new job is accepted and runs.
async_submit "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "state of a job accepted once the queue drained"
assert_gw_alive
