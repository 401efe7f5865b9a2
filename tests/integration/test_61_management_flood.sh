#!/usr/bin/env bash
# A client that sends FCGI_GET_VALUES as fast as it can (up to 20 MiB) and
# never reads the answers: gatewayd stops reading it once the answers back
# up, so its RSS stays bounded, closes it when the socket takes nothing for
# front.read_timeout (logged), and serves other requests all the while.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

MIB=1048576
RSS_MAX_MIB=8 # growth allowed; answering all 20 MiB of records took +17 MiB

GW_GLOBAL_EXTRA="front.read_timeout = 2s"
gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
nginx_up

rss_start=$(gw_rss_kb)
echo "gatewayd VmRSS at start: $rss_start KiB"

python3 "$REPO/tests/integration/fcgi_flood.py" get-values "$GW_SOCK" --bytes $((20 * MIB)) \
	--timeout 20 >"$T/flood.out" 2>&1 &
flood=$!
bg_track "$flood"

# While it floods: the daemon's RSS, and requests from others.
rss_peak=$rss_start
for ((i = 0; i < 10; i++)); do
	sleep 0.1
	rss=$(gw_rss_kb)
	[ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
done
http_get /function/hello
assert_status 200
assert_body "hello, world"

rc=0
wait "$flood" || rc=$?
out=$(cat "$T/flood.out")
echo "flood: $out"
rss=$(gw_rss_kb)
[ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
growth=$(((rss_peak - rss_start) / 1024))
echo "gatewayd VmRSS peak during the flood: $rss_peak KiB (+$growth MiB; ${RSS_MAX_MIB} MiB allowed)"
assert_eq 0 "$rc" "the flooding connection was not closed by gatewayd (fcgi_flood: $out)"
[ "$growth" -le "$RSS_MAX_MIB" ] ||
	fail "gatewayd's RSS grew by $growth MiB under a GET_VALUES flood (${RSS_MAX_MIB} MiB allowed)"
sent=$(printf '%s\n' "$out" | sed -n 's/.*, \([0-9]*\) bytes sent$/\1/p')
[ -n "$sent" ] && [ "$sent" -lt $((10 * MIB)) ] ||
	fail "gatewayd read ${sent:-?} bytes of management records it could not answer"
for ((i = 0; i < 20; i++)); do
	grep -qF "read none of its answers for front.read_timeout" "$GW_LOG" && break
	sleep 0.05
done
assert_file_contains "$GW_LOG" "read none of its answers for front.read_timeout" "log of the closed flood"
grep -F "read none of its answers for front.read_timeout" "$GW_LOG"

for ((i = 0; i < 5; i++)); do
	http_get /function/hello
	assert_status 200
done
rc=0
fcgi_client get-values "$GW_SOCK" >"$T/values.out" || rc=$?
assert_eq 0 "$rc" "FCGI_GET_VALUES after the flood ($(_show <"$T/values.out"))"
assert_gw_alive
