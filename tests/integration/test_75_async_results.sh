#!/usr/bin/env bash
# Finished results are bounded per function, not only by async.result_ttl:
# with async.results_max = 5, of 20 jobs the 15 oldest answer 404 (state and
# /result) and the 5 newest are readable; with async.results_memory = 1M, 150
# jobs of 200K results leave gatewayd's RSS within 12 MB of where it began
# (without the bound it keeps 30 MB of results) and the newest readable.
# Forgetting is journaled: after a restart the forgotten stay 404; a bound
# lowered while gatewayd was down is applied as the journal is replayed.
# A result reply carries Cache-Control: no-store (the function's own is
# dropped), and a truncated one (async.result_max) no Content-Length, which
# counted the bytes that were cut.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[count]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.results_max = 5

[memory]
exec = $FUNCTIONS/echo
pm.max_children = 4
async = on
async.queue_size = 200
async.results_memory = 1M

[cut]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.result_max = 100
EOF
gw_start
nginx_up

# --- async.results_max = 5: the oldest 15 of 20 forgotten.
ids=()
for ((i = 0; i < 20; i++)); do
	async_submit "/function/count?n=$i" -H 'Prefer: respond-async'
	ids+=("$JOB_ID")
	job_wait "$JOB_ID" 10
done
for ((i = 0; i < 20; i++)); do
	http_get "/_gateway/jobs/${ids[i]}"
	if [ "$i" -lt 15 ]; then
		assert_status 404
		http_get "/_gateway/jobs/${ids[i]}/result"
		assert_status 404
	else
		assert_status 200
		http_get "/_gateway/jobs/${ids[i]}/result"
		assert_status 200
	fi
done
echo "results_max = 5: jobs 0-14 answer 404, 15-19 200"

# --- async.results_memory = 1M: RSS bounded across 150 results of 200K.
head -c 204800 /dev/urandom >"$T/payload"
rss_before=$(gw_rss_kb)
big=()
for ((i = 0; i < 150; i++)); do
	async_submit /function/memory --data-binary "@$T/payload" \
		-H 'Content-Type: application/octet-stream' -H 'Prefer: respond-async'
	big+=("$JOB_ID")
done
for ((i = 145; i < 150; i++)); do
	job_wait "${big[i]}" 30
done
# The others finished before them or just after: wait for all of them.
for ((i = 0; i < 145; i++)); do
	http_get "/_gateway/jobs/${big[i]}"
	[ "$HTTP_STATUS" = 404 ] || job_wait "${big[i]}" 30
done
rss_after=$(gw_rss_kb)
echo "RSS before 150 results of 200K: $rss_before kB, after: $rss_after kB"
if gw_asan; then
	echo "AddressSanitizer build: RSS bound not checked"
elif [ $((rss_after - rss_before)) -ge 12288 ]; then
	fail "RSS grew by $((rss_after - rss_before)) kB over 150 results, more than 12 MB with results_memory = 1M"
fi
http_get "/_gateway/jobs/${big[149]}/result"
assert_status 200
cmp -s "$BODY" "$T/payload" || fail "the newest result is not the body it echoed"
forgotten=0
for ((i = 0; i < 150; i++)); do
	http_get "/_gateway/jobs/${big[i]}"
	[ "$HTTP_STATUS" = 404 ] && forgotten=$((forgotten + 1))
done
echo "results_memory = 1M: $forgotten of 150 forgotten"
[ "$forgotten" -ge 140 ] || fail "only $forgotten of 150 results of 200K forgotten with results_memory = 1M"

# --- Forgetting is journaled: after a restart the forgotten are still 404.
gw_stop
gw_start
http_get "/_gateway/jobs/${ids[0]}"
assert_status 404
http_get "/_gateway/jobs/${big[0]}"
assert_status 404
http_get "/_gateway/jobs/${ids[19]}/result"
assert_status 200

# --- A bound lowered while gatewayd was down holds from the start: of the 5
# kept, the 3 oldest are forgotten at the replay, not at the next finish.
sed -i 's/^async.results_max = 5$/async.results_max = 2/' "$GW_CONF"
gw_stop
gw_start
for ((i = 15; i < 20; i++)); do
	http_get "/_gateway/jobs/${ids[i]}"
	if [ "$i" -lt 18 ]; then
		assert_status 404
	else
		assert_status 200
	fi
done
echo "results_max lowered to 2 across a restart: jobs 15-17 answer 404, 18-19 200"

# --- Result headers: no-store; a truncated result has no Content-Length.
async_submit /function/count -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
http_get "/_gateway/jobs/$JOB_ID"
assert_header Cache-Control no-store
http_get "/_gateway/jobs/$JOB_ID/result"
assert_status 200
assert_header Cache-Control no-store

async_submit /function/cut --data-binary "@$T/payload" \
	-H 'Content-Type: application/octet-stream' -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq true "$(json_num result_truncated)" "result_truncated of the cut job"
http_get "/_gateway/jobs/$JOB_ID/result" --max-time 5
assert_status 200
assert_header Cache-Control no-store
! tr -d '\r' <"$HEADERS" | grep -qi '^Content-Length: 204800' ||
	fail "the truncated result keeps the function's Content-Length: 204800"
assert_gw_alive
