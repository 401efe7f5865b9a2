#!/usr/bin/env bash
# The journal stays bounded. JOBS jobs with an 8 KiB body each, POSTed
# through nginx (one curl, kept-alive connections) to a function with
# async.result_ttl = 1s, take the journal past its 4 MiB compaction floor
# (2,000 x 8 KiB = 16 MiB of requests). Once every job has been forgotten
# (its id answers 404, then the next expiry tick) the journal is back under
# the floor (the peak, all jobs live at once, is printed). Then a
# job leaves history under the floor, and a restart with nothing live
# compacts it away: a journal of its file header alone. Prints the figures.
# Before the fix live_bytes only grew: the journal kept every record (about
# 17 MB here) and a restart did not shrink it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

JOBS=${JOBS:-2000}
FLOOR=$((4 << 20))
SMALL=4096			# "a small journal": the header and a few records at most

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

# wait_journal_below BYTES SECONDS: polls until the journal is under BYTES.
wait_journal_below() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(journal_size)" -lt "$1" ] && return 0
		sleep 0.1
	done
	fail "journal still $(journal_size) bytes after $2 s, expected under $1"
}

head -c 8192 /dev/zero | tr '\0' b >"$T/body8k"
curl_flood_start "$JOBS" /function/short "$T/body8k"
peak=0
while kill -0 "$FLOOD_PID" 2>/dev/null; do
	size=$(journal_size)
	[ "$size" -gt "$peak" ] && peak=$size
	sleep 0.1
done
curl_flood_wait "$JOBS"
size=$(journal_size)
[ "$size" -gt "$peak" ] && peak=$size

# Every job finishes, then is forgotten a second later; the expiry tick
# that forgets the last ones compacts.
http_get "/function/short" -H 'Prefer: respond-async'
assert_status 202
last=$(json_str id)
for ((i = 0; i < 300; i++)); do
	http_get "/_gateway/jobs/$last"
	[ "$HTTP_STATUS" = 404 ] && break
	sleep 0.1
done
assert_status 404
wait_journal_below "$FLOOR" 10
after=$(journal_size)
echo "journal: peak seen $peak bytes, $after bytes once all $((JOBS + 1)) jobs were forgotten (floor $FLOOR)"
assert_file_contains "$GW_LOG" "compacted from"

# History under the floor is left while running; a restart compacts it.
async_submit /function/short -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
for ((i = 0; i < 50; i++)); do
	http_get "/_gateway/jobs/$JOB_ID"
	[ "$HTTP_STATUS" = 404 ] && break
	sleep 0.1
done
assert_status 404
before=$(journal_size)
gw_stop
gw_start
restarted=$(journal_size)
echo "restart: journal $before bytes before, $restarted bytes after (0 live jobs)"
grep "async: journal" "$GW_LOG" | tail -n 3
[ "$restarted" -lt "$SMALL" ] || fail "journal is $restarted bytes after a restart with no live job"
[ "$restarted" -lt "$before" ] || fail "a restart did not shrink the journal ($before -> $restarted bytes)"
assert_gw_alive
