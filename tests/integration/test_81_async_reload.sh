#!/usr/bin/env bash
# The live async keys take effect at a reload, at once, without a restart
# and without waiting for the function's next job: async.results_max and
# async.results_memory lowered forget the oldest finished jobs beyond them,
# async.result_ttl lowered forgets the jobs already past it; a new
# async.callback_allow refuses what it no longer lists and accepts what it
# now lists; a secret rotated in async.callback_secret_file signs the next
# delivery, and a reload onto a secret file with a bad mode is refused, the
# running secret kept. Before the fix the bounds waited for the next finish
# and the old result_ttl's timer stayed armed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

printf 'first-secret\n' >"$T/secret"
chmod 0600 "$T/secret"
receiver_start "$T/r1" 0
P1=$RECEIVER_PORT
receiver_start "$T/r2" 0
P2=$RECEIVER_PORT

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[count]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.results_max = 5

[memory]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.results_memory = 1M

[hook]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.callback_allow = http://127.0.0.1:$P1/
async.callback_secret_file = $T/secret
EOF
gw_start
nginx_up

# set_key SECTION KEY VALUE: rewrites KEY's line in SECTION of $GW_CONF.
set_key() {
	sed -i "/^\\[$1\\]/,/^\\[/ s|^$2 = .*|$2 = $3|" "$GW_CONF"
	grep -q "^$2 = $3\$" "$GW_CONF" || fail "set_key: no '$2' line in [$1]"
}

# submit_all FUNCTION N [curl args...]: N finished jobs of FUNCTION, into ids.
submit_all() {
	local fn=$1 n=$2 i
	shift 2
	ids=()
	for ((i = 0; i < n; i++)); do
		async_submit "/function/$fn?n=$i" -H 'Prefer: respond-async' "$@"
		ids+=("$JOB_ID")
		job_wait "$JOB_ID" 10
	done
}

# expect_kept N KEPT: of ids[0..N), the oldest N - KEPT answer 404, the rest 200.
expect_kept() {
	local i want
	for ((i = 0; i < $1; i++)); do
		want=200
		[ "$i" -lt $(($1 - $2)) ] && want=404
		http_get "/_gateway/jobs/${ids[i]}"
		assert_eq "$want" "$HTTP_STATUS" "job $i of $1"
	done
}

# --- async.results_max 5 -> 2: the 3 oldest of 5 go at the reload.
submit_all count 5
expect_kept 5 5
set_key count async.results_max 2
gw_reload || fail "reload to results_max = 2 refused"
expect_kept 5 2
echo "results_max 5 -> 2 at a reload: jobs 0-2 answer 404 at once, 3-4 200"
count_ids=("${ids[@]}")

# --- async.results_memory 1M -> 250K: of 8 results of 100K, 2 kept.
head -c 102400 /dev/zero | tr '\0' m >"$T/payload"
submit_all memory 8 --data-binary "@$T/payload" -H 'Content-Type: application/octet-stream'
expect_kept 8 8
set_key memory async.results_memory 250K
gw_reload || fail "reload to results_memory = 250K refused"
expect_kept 8 2
echo "results_memory 1M -> 250K at a reload: 6 of 8 results of 100K forgotten at once"

# --- async.result_ttl 1h (the default) -> 1s: the kept jobs go within 1 s.
printf 'async.result_ttl = 1s\n' >>"$GW_CONF"	# [hook] is last: only it changes
sed -i "/^\\[count\\]/a async.result_ttl = 1s" "$GW_CONF"
gw_reload || fail "reload to result_ttl = 1s refused"
for ((i = 0; i < 60; i++)); do
	http_get "/_gateway/jobs/${count_ids[4]}"
	[ "$HTTP_STATUS" = 404 ] && break
	sleep 0.05
done
assert_status 404
echo "result_ttl 1h -> 1s at a reload: the finished jobs are forgotten within $((i * 50)) ms"

# --- async.callback_allow: P1 -> P2.
refused_callback() {
	http_get /function/hook -H 'Prefer: respond-async' -H "X-Callback-Url: $1" --data-binary 'x'
	assert_status 400
}
refused_callback "http://127.0.0.1:$P2/"
set_key hook async.callback_allow "http://127.0.0.1:$P2/"
gw_reload || fail "reload to a new callback_allow refused"
refused_callback "http://127.0.0.1:$P1/"
async_submit /function/hook -H 'Prefer: respond-async' -H "X-Callback-Url: http://127.0.0.1:$P2/" \
	--data-binary 'after the new allow list'
wait_deliveries "$T/r2" 1
check_signed "$T/r2" 1
assert_eq 0 "$(deliveries "$T/r1")" "deliveries to the port no longer allowed"
echo "callback_allow at a reload: the old prefix gets 400, the new one its delivery"

# --- The secret rotated in place: the next delivery is signed with it.
printf 'second-secret\n' >"$T/secret"
gw_reload || fail "reload after rotating the secret refused"
async_submit /function/hook -H 'Prefer: respond-async' -H "X-Callback-Url: http://127.0.0.1:$P2/" \
	--data-binary 'signed with the second secret'
wait_deliveries "$T/r2" 2
check_signed "$T/r2" 2
cp -p "$T/secret" "$T/secret.kept"

# A reload onto a world-readable secret file is refused; the second secret stays.
printf 'leaked-secret\n' >"$T/leaked"
chmod 0644 "$T/leaked"
set_key hook async.callback_secret_file "$T/leaked"
! gw_reload || fail "a reload onto a world-readable secret file was taken"
assert_file_contains "$GW_LOG" "is readable by everyone: chmod o-r"
async_submit /function/hook -H 'Prefer: respond-async' -H "X-Callback-Url: http://127.0.0.1:$P2/" \
	--data-binary 'still the second secret'
wait_deliveries "$T/r2" 3
check_signed "$T/r2" 3 "$T/secret.kept"
echo "callback_secret_file at a reload: a rotated secret signs the next delivery; a bad file is refused"
assert_gw_alive
