#!/usr/bin/env bash
# Group commit under async.fsync = always: JOBS jobs accepted 32 at a time
# over one FastCGI connection (the bench's async_flood.py, which also waits
# until every job has run), with strace counting
# gatewayd's fdatasync calls and its writes. Every job is accepted, far
# fewer syncs than jobs are made (one covers every job of a loop
# iteration), and no 202 is written before a sync that follows its
# acceptance: the trace's first fdatasync comes before its first write of
# a 202. Fails on the old code, one fdatasync per
# accept (JOBS syncs). The last records (the jobs' ends, not synced on
# their own) are followed by a sync within async.fsync_interval; before,
# the sync timer skipped them under always.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

JOBS=600
command -v strace >/dev/null || skip "strace is not installed"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL
async.fsync = always" gw_config <<EOF
[quick]
exec = $FUNCTIONS/echo
pm.max_children = 2
async = on
async.queue_size = 2000
EOF
gw_start

# The daemon alone (no -f: its workers do not sync the journal).
strace -qq -p "$GW_PID" -e trace=fdatasync,write,writev,sendmsg -s 64 -o "$T/trace" &
tracer=$!
bg_track "$tracer"
for ((i = 0; i < 50; i++)); do
	grep -q "^TracerPid:[[:space:]]*[1-9]" "/proc/$GW_PID/status" && break
	sleep 0.1
done
/usr/bin/python3 "$REPO/tests/bench/async_flood.py" "$GW_SOCK" --function quick -n "$JOBS" \
	--window 32 --timeout 60 >"$T/flood" 2>&1 ||
	fail "not all $JOBS jobs accepted and run: $(cat "$T/flood")"
echo "flood: $(cat "$T/flood")"
sleep 0.3	# past async.fsync_interval (10 ms): the last FINISHED records' sync
kill "$tracer" 2>/dev/null || true
wait "$tracer" 2>/dev/null || true

syncs=$(grep -c '^fdatasync(' "$T/trace" || true)
echo "$JOBS jobs accepted with $syncs fdatasync calls"
[ "$syncs" -ge 1 ] || fail "no fdatasync traced: the test proves nothing (trace: '$(head -c 300 "$T/trace" | _show)')"
[ "$syncs" -le $((JOBS / 4)) ] ||
	fail "$syncs fdatasync calls for $JOBS accepts: no group commit (expected at most $((JOBS / 4)))"
first_sync=$(grep -n '^fdatasync(' "$T/trace" | head -1 | cut -d: -f1)
first_202=$(grep -n 'Status: 202' "$T/trace" | head -1 | cut -d: -f1)
[ -n "$first_202" ] || fail "no 202 traced (trace: '$(head -c 300 "$T/trace" | _show)')"
[ "$first_sync" -lt "$first_202" ] ||
	fail "a 202 was written (trace line $first_202) before the first fdatasync (line $first_sync)"
# The jobs' later records (started, finished: "GWJ1" records written without a
# sync of their own) ride the async.fsync_interval timer: a sync follows the last.
last_record=$(grep -n 'write([0-9]*, "GWJ1' "$T/trace" | tail -1 | cut -d: -f1)
last_sync=$(grep -n '^fdatasync(' "$T/trace" | tail -1 | cut -d: -f1)
[ "$last_sync" -gt "$last_record" ] ||
	fail "the last journal record (trace line $last_record) was never synced (last fdatasync: line $last_sync)"

gw_stop
