#!/usr/bin/env bash
# A damaged journal: 3 finished jobs, one cut mid-run and 2 queued when
# gatewayd is killed by SIGKILL. Then, on copies of that journal:
#  - torn tail: the last record (the last queued job's ACCEPTED) cut in
#    half: the log names the skipped bytes and their offset, that job is
#    gone (404: it was never whole), every other job is there and the
#    unfinished ones run;
#  - garbage: 64 random bytes spliced in between two records mid-file and
#    100 appended at the end: both runs are reported and skipped, every job
#    is there, finished ones with their results, unfinished ones run.
# In both cases new jobs work afterwards, and a restart then finds a clean
# journal with the same jobs (the damaged tail was cut off the file, and
# the start that replayed the damage compacted the journal: the garbage
# between records is gone too).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
async = on
EOF

# journal_edit MODE: rewrites $GW_JOURNAL from $T/journal.orig; prints
# "OFFSET LENGTH" per damaged run (as replay should report it).
#   torn:    the last record cut in half
#   garbage: 64 bytes in before the middle record, 100 bytes at the end
journal_edit() {
	python3 - "$1" "$T/journal.orig" "$GW_JOURNAL" <<'PY'
import os, struct, sys
mode, src, dst = sys.argv[1:4]
data = open(src, "rb").read()
assert data[:4] == b"GWJH", "no journal header"  # magic | version | secret 16
offsets, off = [], 24
while off < len(data):                      # magic u32 | length u32 | check u32 | ...
    assert data[off:off + 4] == b"GWJ1", "no record at %d" % off
    offsets.append(off)
    off += 12 + struct.unpack("<I", data[off + 4:off + 8])[0]
assert off == len(data), "journal ends mid-record"

def garbage(n):
    out = b""
    while len(out) < n:
        out += bytes(b for b in os.urandom(n) if b != ord("G"))
    return out[:n]

if mode == "torn":
    last = offsets[-1]
    keep = last + (len(data) - last) // 2
    out = data[:keep]
    print(last, keep - last)
else:
    mid = offsets[len(offsets) // 2]
    out = data[:mid] + garbage(64) + data[mid:] + garbage(100)
    print(mid, 64)
    print(len(data) + 64, 100)
open(dst, "wb").write(out)
PY
}

# result_ok ID: the job succeeded (once) and /result replays its answer.
result_ok() {
	job_get "$1"
	assert_eq succeeded "$JOB_STATE" "state of finished job $1 after the replay"
	assert_eq 1 "$JOB_ATTEMPTS" "attempts of finished job $1 after the replay"
	http_get "/_gateway/jobs/$1/result"
	assert_status 200
	assert_contains "$(cat "$BODY")" "trace: ok $1 1" "/result of job $1 after the replay"
}

# --- the journal: 3 finished, one running (S), two queued (Q1, Q2), then SIGKILL.
gw_start
nginx_up
done_ids=""
for n in 1 2 3; do
	async_submit "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
	job_wait "$JOB_ID" 10
	assert_eq succeeded "$JOB_STATE" "state of finished job $n"
	done_ids="$done_ids $JOB_ID"
done
async_submit "/function/probe?call=trace&file=$DATA/runs&ms=1500" -H 'Prefer: respond-async'
s=$JOB_ID
for ((i = 0; i < 100; i++)); do
	job_get "$s"
	[ "$JOB_STATE" = running ] && break
	sleep 0.05
done
assert_eq running "$JOB_STATE" "state of the slow job before the kill"
async_submit "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
q1=$JOB_ID
async_submit "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
q2=$JOB_ID
gw_kill9
cp "$GW_JOURNAL" "$T/journal.orig"

# start_damaged MODE JOBS TO_RUN: edits the journal, starts gatewayd and
# checks each skipped run and the replay summary in the log.
start_damaged() {
	local runs total=0 offset len before
	runs=$(journal_edit "$1") || fail "$1: cannot edit the journal"
	before=$(wc -l <"$GW_LOG")
	gw_start
	tail -n +"$((before + 1))" "$GW_LOG" >"$T/log.$1"
	while read -r offset len; do
		assert_file_contains "$T/log.$1" \
			"async: journal $GW_JOURNAL: skipped $len corrupt or torn bytes at offset $offset" "$1: log"
		total=$((total + len))
	done <<<"$runs"
	assert_file_contains "$T/log.$1" \
		"async: journal $GW_JOURNAL replayed: $2 jobs, $3 to run, $total corrupt bytes skipped" "$1: replay summary"
	grep "async: journal" "$T/log.$1"
}

# after_replay: the finished jobs kept, the unfinished ones run; a new job works.
after_replay() {
	local id
	for id in $done_ids; do
		result_ok "$id"
	done
	for id in "$@"; do
		job_wait "$id" 10
		assert_eq succeeded "$JOB_STATE" "state of unfinished job $id after the replay"
	done
	async_submit "/function/probe?call=trace&file=$DATA/runs&ms=10" -H 'Prefer: respond-async'
	job_wait "$JOB_ID" 10
	assert_eq succeeded "$JOB_STATE" "state of a new job after the replay"
	new=$JOB_ID
}

# restart_clean JOBS SKIPPED: a clean stop and start: JOBS jobs, none to
# run, SKIPPED corrupt bytes (0: the first start cut a damaged tail off the
# file and compacted away the damage between records).
restart_clean() {
	local before
	gw_stop
	before=$(wc -l <"$GW_LOG")
	gw_start
	tail -n +"$((before + 1))" "$GW_LOG" | grep -q "replayed: $1 jobs, 0 to run, $2 corrupt bytes skipped" ||
		fail "restart after the repair: expected 'replayed: $1 jobs, 0 to run, $2 corrupt bytes skipped', got '$(tail -n +"$((before + 1))" "$GW_LOG" | grep replayed | _show)'"
}

# --- torn tail: Q2's ACCEPTED record is half there: Q2 is gone, the rest is not.
start_damaged torn 5 2
after_replay "$s" "$q1"
job_get "$s"
assert_eq 2 "$JOB_ATTEMPTS" "attempts of the job cut mid-run by the kill"
http_get "/_gateway/jobs/$q2"
assert_status 404
restart_clean 6 0
result_ok "$new"
for id in $s $q1; do
	job_get "$id"
	assert_eq succeeded "$JOB_STATE" "state of job $id after a clean restart"
done
gw_stop

# --- garbage mid-file and at the end: every job is there.
start_damaged garbage 6 3
after_replay "$s" "$q1" "$q2"
restart_clean 7 0
for id in $s $q1 $q2 $new; do
	job_get "$id"
	assert_eq succeeded "$JOB_STATE" "state of job $id after a clean restart"
done
assert_gw_alive
