#!/usr/bin/env bash
# request.memory_max: many connections each holding half a large body make
# gatewayd hold at most the budget (its RSS stays under the budget plus a
# stated overhead), requests past it get 503 with Retry-After: 1 (logged,
# with a count), and once those clients go away every byte is back: a
# request that needs nearly the whole budget then succeeds, and nothing is
# left held at shutdown.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

MIB=1048576
BUDGET_MIB=16
# What gatewayd may hold beyond the budget: per connection a read buffer (up
# to 128K) and its bookkeeping, the allocator's slack, the late requests.
OVERHEAD_MIB=10
HOLDERS=12
HELD=$((3 * MIB)) # per holder: 12 x 3M = 36M, more than twice the budget

GW_GLOBAL_EXTRA="request.memory_max = ${BUDGET_MIB}M"
gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 2
request.max_body = 16M
EOF
gw_start

rss_start=$(gw_rss_kb)
echo "gatewayd VmRSS at start: $rss_start KiB"

python3 "$REPO/tests/integration/fcgi_flood.py" hold "$GW_SOCK" --connections "$HOLDERS" \
	--body "$HELD" --timeout 90 >"$T/holders.out" 2>&1 &
holders=$!
bg_track "$holders"
for ((i = 0; i < 300; i++)); do
	grep -q '^held ' "$T/holders.out" && break
	kill -0 "$holders" 2>/dev/null || fail "the holders exited: '$(_show <"$T/holders.out")'"
	sleep 0.1
done
grep -q '^held ' "$T/holders.out" || fail "the holders did not send their bodies within 30 s"
sleep 0.5 # the last bytes read
rss_held=$(gw_rss_kb)
growth=$(((rss_held - rss_start) / 1024))
echo "gatewayd VmRSS with $HOLDERS x $((HELD / MIB))M bodies held: $rss_held KiB (+$growth MiB;" \
	"budget ${BUDGET_MIB}M + ${OVERHEAD_MIB}M overhead allowed)"
if gw_asan; then
	echo "AddressSanitizer build: RSS bound not checked"
elif [ "$growth" -gt $((BUDGET_MIB + OVERHEAD_MIB)) ]; then
	fail "gatewayd's RSS grew by $growth MiB holding half-sent bodies, over request.memory_max (${BUDGET_MIB}M) + ${OVERHEAD_MIB}M"
fi

# A whole request arriving now does not fit: 503, Retry-After: 1.
head -c $((2 * MIB)) /dev/zero >"$T/late.bin"
rc=0
fcgi_client --timeout 20 request "$GW_SOCK" -p SCRIPT_NAME=/function/echo -p REQUEST_METHOD=POST \
	--stdin "$T/late.bin" --out "$T/late.out" 2>"$T/late.err" || rc=$?
assert_eq 0 "$rc" "the late request got no END_REQUEST ($(_show <"$T/late.err"))"
late_head=$(head -c 400 "$T/late.out" | tr -d '\r')
echo "late request: $(printf '%s\n' "$late_head" | head -n 1)"
assert_contains "$late_head" "Status: 503" "the late request's status"
assert_contains "$late_head" "Retry-After: 1" "the late request's headers"
assert_contains "$late_head" "request.memory_max" "the late request's body"
assert_file_contains "$GW_LOG" "refused (503): request.memory_max" "log of the refusals"
assert_file_contains "$GW_LOG" "refused since the last such line" "log of the refusals"
grep -F "refused (503): request.memory_max" "$GW_LOG" | tail -n 3
echo "refusal lines in the log: $(gw_log_count "refused (503): request.memory_max")"
assert_gw_alive

# The holders go away: their bytes come back. A request needing 15 of the
# 16M only fits once (nearly) nothing else is held.
kill -TERM "$holders"
wait "$holders" 2>/dev/null
head -c $((15 * MIB)) /dev/urandom >"$T/big.bin"
for ((i = 0; i < 10; i++)); do
	rc=0
	fcgi_client --timeout 30 request "$GW_SOCK" -p SCRIPT_NAME=/function/echo \
		-p REQUEST_METHOD=POST --stdin "$T/big.bin" --out "$T/big.out" 2>"$T/big.err" || rc=$?
	[ "$rc" -eq 0 ] && ! head -c 200 "$T/big.out" | grep -q "Status: 503" && break
	sleep 0.5
done
assert_eq 0 "$rc" "the 15M request after the holders left got no END_REQUEST ($(_show <"$T/big.err"))"
if head -c 200 "$T/big.out" | grep -q "Status: 503"; then
	fail "a 15M request is still refused 10 tries after the holders left: the budget was not given back"
fi
# echo answers headers, then the body as sent.
tail -c $((15 * MIB)) "$T/big.out" | cmp -s - "$T/big.bin" ||
	fail "the 15M body did not round-trip through echo"
echo "after the holders left: a 15M request ran (the budget is free again)"

gw_stop
if grep -F "still held with every request freed" "$GW_LOG"; then
	fail "request memory was still held at shutdown"
fi
