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

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$GW_PID/status"
}

# A first job warms up what any gatewayd allocates once (the worker pool,
# the journal's buffers) so that RSS at "start" is the resting figure.
async_submit /function/short -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
rss_start=$(rss_kb)

head -c 1024 /dev/zero | tr '\0' b >"$T/body1k"
for ((i = 0; i < JOBS; i++)); do
	printf 'url = "%s/function/short?sleep_ms=1&n=%d"\noutput = "/dev/null"\n' "$BASE" "$i"
done >"$T/curl.conf"
curl -sS --max-time 600 -K "$T/curl.conf" -H 'Prefer: respond-async' \
	-H 'Content-Type: application/octet-stream' --data-binary "@$T/body1k" \
	-w '%{http_code}\n' >"$T/codes" 2>>"$T/curl.err" &
flood=$!
bg_track "$flood"
rss_peak=0
journal_peak=0
while kill -0 "$flood" 2>/dev/null; do
	rss=$(rss_kb)
	size=$(journal_size)
	[ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
	[ "$size" -gt "$journal_peak" ] && journal_peak=$size
	sleep 0.2
done
wait "$flood" || fail "curl failed: '$(tail -c 300 "$T/curl.err" | _show)'"
assert_eq "$JOBS" "$(grep -c '^202$' "$T/codes")" "jobs answered 202"

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
rss_end=$(rss_kb)
echo "RSS: $rss_start kB at the start, $rss_peak kB at the peak, $rss_end kB once all $((JOBS + 2)) jobs were forgotten"
echo "journal: $journal_peak bytes at the peak, $journal_end bytes at the end (floor $FLOOR)"
[ "$journal_end" -lt "$FLOOR" ] || fail "journal still $journal_end bytes, expected under $FLOOR"
# RSS says nothing about what gatewayd holds there: the plain build checks it.
if grep -q 'libasan' "/proc/$GW_PID/maps"; then
	echo "AddressSanitizer build: RSS bound not checked"
elif [ $((rss_end - rss_start)) -ge "$RSS_SLACK_KB" ]; then
	fail "RSS grew by $((rss_end - rss_start)) kB over $JOBS forgotten jobs, more than $RSS_SLACK_KB kB"
fi
assert_gw_alive
