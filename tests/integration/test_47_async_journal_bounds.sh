#!/usr/bin/env bash
# The journal stays bounded. JOBS jobs (each with a 1 KiB query string, so
# the journal passes its 4 MiB compaction floor several times) through
# gatewayd's socket with async.result_ttl = 1s: once every job has been
# forgotten the journal is back under the floor (compaction happened while
# it ran: its peak stays well under what it would be without); RSS is
# printed. Then a few jobs leave history under the floor,
# and a restart compacts it away: 0 bytes with 0 live jobs. Prints the figures.
# JOBS is 20,000 rather than the issue's 50,000 so the test fits in about a
# minute on a shared 2-core CI machine.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

JOBS=${JOBS:-20000}
FLOOR=$((4 << 20))

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[short]
exec = $FUNCTIONS/echo
pm.max_children = 2
async = on
async.queue_size = 100000
async.result_ttl = 1s
EOF
gw_start
nginx_up

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$GW_PID/status"
}

# wait_journal_below BYTES SECONDS: polls until the journal is under BYTES.
wait_journal_below() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(journal_size)" -lt "$1" ] && return 0
		sleep 0.1
	done
	fail "journal still $(journal_size) bytes after $2 s, expected under $1"
}

rss_start=$(rss_kb)
query="pad=$(head -c 1024 /dev/zero | tr '\0' x)"
ids=$T/ids
peak=0
async_flood submit "$GW_SOCK" --function short --query "$query" -n "$JOBS" --out "$ids" \
	--timeout 30 >"$T/flood" &
flood=$!
while kill -0 "$flood" 2>/dev/null; do
	size=$(journal_size)
	[ "$size" -gt "$peak" ] && peak=$size
	sleep 0.2
done
wait "$flood" || fail "flood: $(cat "$T/flood")"
echo "flood: $(cat "$T/flood")"
rss_peak=$(rss_kb)
# The last job accepted is the last forgotten (give or take a second).
last=$(tail -n 1 "$ids")
for ((i = 0; i < 600; i++)); do
	http_get "/_gateway/jobs/$last"
	[ "$HTTP_STATUS" = 404 ] && break
	sleep 0.1
done
assert_status 404
sleep 2
wait_journal_below "$FLOOR" 10
echo "journal: peak seen $peak bytes, now $(journal_size) bytes after $JOBS jobs of ~1.1 KiB (floor $FLOOR)"
# Without compaction the journal would hold every record: > JOBS KiB.
[ "$peak" -lt $((JOBS * 1024 / 2)) ] ||
	fail "journal peaked at $peak bytes: compaction did not keep it near the live jobs"
assert_file_contains "$GW_LOG" "compacted from"
rss_end=$(rss_kb)
echo "RSS: start $rss_start kB, after the flood $rss_peak kB, after expiry $rss_end kB"
# RSS is printed, not asserted: freed job memory is not reliably handed
# back to the kernel by malloc (measured: 35 to 67 MB of a 70 to 80 MB
# peak stays), so a bound here would fail at random; see docs/async.md.

# History under the floor: no compaction while running, one at restart.
async_submit /function/short -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
for ((i = 0; i < 50; i++)); do
	http_get "/_gateway/jobs/$JOB_ID"
	[ "$HTTP_STATUS" = 404 ] && break
	sleep 0.1
done
assert_status 404
before=$(journal_size)
[ "$before" -gt 0 ] || fail "the journal is empty before the restart: nothing to test"
gw_stop
gw_start
after=$(journal_size)
echo "restart: journal $before bytes before, $after bytes after (0 live jobs)"
assert_eq 0 "$after" "journal bytes after a restart with no live job"
assert_gw_alive
