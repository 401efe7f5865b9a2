#!/usr/bin/env bash
# Async callbacks (X-Callback-Url, docs/async.md): a receiver on loopback
# (callback_receiver.py) gets each result once, its body the job's result
# and X-Gateway-Signature the HMAC-SHA256 of it with the secret, recomputed
# here; a receiver that answers 500 twice gets it on the third delivery, as
# the job's JSON says; a delivery owed when gatewayd is killed with -9
# (receiver down) is made after the restart, and one made is not made again.
# A URL outside async.callback_allow is 400 and nothing is queued or
# journalled (another host that starts like the allowed one, userinfo, a
# path that only starts like the prefix, a dot segment, another port or
# scheme); a function without callback_allow refuses every callback;
# async.callback_secret_file with a bad mode or owner is refused by
# gatewayd -t and at start, naming the file and the fix.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

printf 'callback-secret\n' >"$T/secret"
chmod 0600 "$T/secret"

# job_json_wait ID TEXT: until the job's JSON holds TEXT (5 s at most).
job_json_wait() {
	local i
	for ((i = 0; i < 100; i++)); do
		job_get "$1"
		grep -qF -- "$2" "$BODY" && return 0
		sleep 0.05
	done
	fail "job $1: '$2' not in its JSON '$(_show <"$BODY")'"
}

receiver_start "$T/r1" 0
P1=$RECEIVER_PORT
receiver_start "$T/r2" 2
P2=$RECEIVER_PORT
# A port for the restart test, free again once this receiver is gone.
receiver_start "$T/r3" 0
P3=$RECEIVER_PORT
kill "$RECEIVER_PID"
wait "$RECEIVER_PID" 2>/dev/null

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.retry_delay = 200ms
async.callback_allow = http://127.0.0.1:9/hooks https://hooks.example/ http://127.0.0.1:$P1/ http://127.0.0.1:$P2/in
async.callback_secret_file = $T/secret

[later]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.retry_delay = 60s
async.callback_allow = http://127.0.0.1:$P3/
async.callback_secret_file = $T/secret

[closed]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
EOF
gw_start
nginx_up

# refused PATH URL: the callback URL gets 400 and the journal does not grow.
refused() {
	local before
	before=$(journal_size)
	http_get "$1" -H 'Prefer: respond-async' -H "X-Callback-Url: $2" --data-binary 'x'
	assert_status 400
	assert_contains "$(cat "$BODY")" "X-Callback-Url is not allowed" "400 body for $2"
	assert_eq "$before" "$(journal_size)" "journal bytes after the refused callback $2"
}

for url in \
	'http://127.0.0.1:9.evil/hooks' \
	'http://127.0.0.1:9@evil/hooks' \
	'http://127.0.0.1:9/hooksX' \
	'http://127.0.0.1:9/hooks/../admin' \
	'http://127.0.0.1:99/hooks' \
	'https://127.0.0.1:9/hooks' \
	'http://hooks.example/' \
	'gopher://127.0.0.1:9/hooks' \
	"http://127.0.0.1:$P2/inside" \
	'http://evil/?http://127.0.0.1:9/hooks'; do
	refused /function/echo "$url"
done
refused /function/closed "http://127.0.0.1:$P1/"

# --- Every result once, signed, to a receiver that answers 204.
ids=()
for n in 1 2 3; do
	printf 'payload %s' "$n" >"$T/payload"
	async_submit /function/echo -H 'Prefer: respond-async' \
		-H "X-Callback-Url: http://127.0.0.1:$P1/hook?n=$n" --data-binary "@$T/payload"
	ids+=("$JOB_ID")
done
wait_deliveries "$T/r1" 3
for id in "${ids[@]}"; do
	job_wait "$id" 10
	assert_eq 1 "$(grep -lx "X-Gateway-Job-Id: $id" "$T"/r1/*.headers | wc -l)" \
		"deliveries of job $id"
	f=$(grep -lx "X-Gateway-Job-Id: $id" "$T"/r1/*.headers)
	n=$(basename "$f" .headers)
	check_signed "$T/r1" "$n"
	assert_eq 200 "$(header_of "$f" X-Gateway-Status)" "X-Gateway-Status of job $id"
	assert_eq 1 "$(header_of "$f" X-Gateway-Attempts)" "X-Gateway-Attempts of job $id"
	[[ $(header_of "$f" X-Duration-Seconds) =~ ^[0-9]+\.[0-9]{3}$ ]] ||
		fail "job $id: X-Duration-Seconds '$(header_of "$f" X-Duration-Seconds)'"
	http_get "/_gateway/jobs/$id/result"
	cmp -s "$BODY" "$T/r1/$n.body" || fail "job $id: the callback's body is not its result's"
	job_json_wait "$id" '"state":"delivered","attempts":1,"last_error":null'
done
sleep 1
assert_eq 3 "$(deliveries "$T/r1")" "callbacks received by r1 a second later"

# --- 500, 500, then 204: delivered on the third attempt.
async_submit /function/echo -H 'Prefer: respond-async' \
	-H "X-Callback-Url: http://127.0.0.1:$P2/in/x" --data-binary 'retried'
id=$JOB_ID
wait_deliveries "$T/r2" 3
for n in 1 2 3; do
	check_signed "$T/r2" "$n"
	assert_eq "$id" "$(header_of "$T/r2/$n.headers" X-Gateway-Job-Id)" "job id of delivery $n"
done
job_json_wait "$id" "\"callback\":{\"url\":\"http://127.0.0.1:$P2/in/x\",\"state\":\"delivered\",\"attempts\":3"
sleep 1
assert_eq 3 "$(deliveries "$T/r2")" "callbacks received by r2 a second later"

# Without the header nothing changes.
async_submit /function/closed -H 'Prefer: respond-async' --data-binary 'w'
job_wait "$JOB_ID" 10
job_get "$JOB_ID"
[[ $(cat "$BODY") != *callback* ]] || fail "a job without X-Callback-Url shows a callback"
assert_gw_alive

# --- kill -9 between the finish and the delivery: delivered after the restart, once.
async_submit /function/later -H 'Prefer: respond-async' \
	-H "X-Callback-Url: http://127.0.0.1:$P3/" --data-binary 'owed'
owed=$JOB_ID
job_wait "$owed" 10
job_json_wait "$owed" '"state":"pending","attempts":1,"last_error":"'
sleep 0.3	# past the batch fsync interval: the FINISHED record is on disk
gw_kill9
rm -rf "${T:?}/r3"
receiver_start "$T/r3" 0 "$P3"
gw_start
wait_deliveries "$T/r3" 1
check_signed "$T/r3" 1
assert_eq "$owed" "$(header_of "$T/r3/1.headers" X-Gateway-Job-Id)" "the job delivered after the restart"
job_json_wait "$owed" '"state":"delivered","attempts":1'
sleep 0.3	# the DELIVERED record's fsync
gw_kill9
gw_start
sleep 1
assert_eq 1 "$(deliveries "$T/r3")" "deliveries of job $owed after a second restart"
job_json_wait "$owed" '"state":"delivered","attempts":1'

# --- The secret file: env_file's rules, at -t and at start.
bad_secret() {
	gw_global_conf "$T/bad.ini"
	{
		printf 'async.journal = %s\n\n[echo]\nexec = %s\nasync = on\n' "$T/bad.journal" "$FUNCTIONS/echo"
		printf 'async.callback_secret_file = %s\n' "$3"
	} >>"$T/bad.ini"
	! gw_check "$T/bad.ini" || fail "gatewayd -t accepted a secret file that is $1"
	assert_file_contains "$T/bad.ini.out" "$2" "gatewayd -t on a secret file that is $1"
}
cp -p "$T/secret" "$T/bad_secret"
chmod 0644 "$T/bad_secret"
bad_secret "readable by everyone" \
	"async.callback_secret_file $T/bad_secret is readable by everyone: chmod o-r" "$T/bad_secret"
chmod 0620 "$T/bad_secret"
bad_secret "writable by its group" "is writable by others: chmod go-w" "$T/bad_secret"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0600 "$T/bad_secret"
	chown nobody "$T/bad_secret"
	bad_secret "another user's" "belongs to uid $(id -u nobody): it must be root's or gatewayd's" \
		"$T/bad_secret"
fi
: >"$T/empty"
chmod 0600 "$T/empty"
bad_secret "empty" "the secret must be text and not empty" "$T/empty"

# At start: the daemon refuses it too, with the same words in its log.
gw_stop
chmod 0644 "$T/secret"
timeout 10 "$GATEWAYD" -c "$GW_CONF" >"$T/start.log" 2>&1 &&
	fail "gatewayd started with a world-readable secret file"
assert_file_contains "$T/start.log" "is readable by everyone: chmod o-r" "gatewayd's start"
