#!/usr/bin/env bash
# Fifty thousand jobs leave nothing behind. JOBS jobs (1 KiB bodies) go
# through nginx to a function with async.result_ttl = 1s; once the last is
# forgotten (its id answers 404) the journal is back under its 4 MiB
# compaction floor and gatewayd's RSS is back near where it began (within
# RSS_SLACK_KB). Prints the figures: RSS at the start, at its peak and at the
# end; the journal at its peak and at the end.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

JOBS=${JOBS:-50000}
FLOOR=$((4 << 20))
RSS_SLACK_KB=${RSS_SLACK_KB:-8192}

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

# A first job warms up what any gatewayd allocates once (the worker pool,
# the journal's buffers) so that RSS at "start" is the resting figure.
async_submit /function/short -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
rss_start=$(gw_rss_kb)

# Each job sleeps 1 ms on one of 2 workers: they queue up faster than they
# run, so tens of thousands are live at the peak.
head -c 1024 /dev/zero | tr '\0' b >"$T/body1k"
curl_flood_start "$JOBS" "/function/short?sleep_ms=1" "$T/body1k"
rss_peak=0
journal_peak=0
while kill -0 "$FLOOD_PID" 2>/dev/null; do
	rss=$(gw_rss_kb)
	size=$(journal_size)
	[ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
	[ "$size" -gt "$journal_peak" ] && journal_peak=$size
	sleep 0.2
done
curl_flood_wait "$JOBS"

# The last job submitted is the last forgotten: when it answers 404, all are.
http_get "/function/short" -H 'Prefer: respond-async'
assert_status 202
last=$(json_str id)
for ((i = 0; i < 600; i++)); do
	http_get "/_gateway/jobs/$last"
	[ "$HTTP_STATUS" = 404 ] && break
	sleep 0.1
done
assert_status 404
for ((i = 0; i < 100; i++)); do
	[ "$(journal_size)" -lt "$FLOOR" ] && break
	sleep 0.1
done
journal_end=$(journal_size)
rss_end=$(gw_rss_kb)
echo "RSS: $rss_start kB at the start, $rss_peak kB at the peak, $rss_end kB once all $((JOBS + 2)) jobs were forgotten"
echo "journal: $journal_peak bytes at the peak, $journal_end bytes at the end (floor $FLOOR)"
[ "$journal_end" -lt "$FLOOR" ] || fail "journal still $journal_end bytes, expected under $FLOOR"
if gw_asan; then
	echo "AddressSanitizer build: RSS bound not checked"
elif [ $((rss_end - rss_start)) -ge "$RSS_SLACK_KB" ]; then
	fail "RSS grew by $((rss_end - rss_start)) kB over $JOBS forgotten jobs, more than $RSS_SLACK_KB kB"
fi
assert_gw_alive
