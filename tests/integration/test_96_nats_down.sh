#!/usr/bin/env bash
# async.backend = nats with its one nats-server gone, then back, and
# gatewayd started while it is gone:
# - a job is accepted (202) and starts; nats-server is killed -9 while it
#   runs, and the job ends while it is down;
# - async requests then answer 503 ("unavailable") within nats.timeout + 1 s
#   each, while sync requests to the same function and to another one
#   answer 200 at once; the status says "nats": {"connected": false} and
#   the metrics gatewayd_nats_connected 0;
# - nats-server started again on the same port and store: async requests
#   are accepted again within 10 s, without restarting gatewayd, the status
#   says connected, and the job accepted before the outage succeeds;
# - gatewayd started while nats-server is down starts, answers sync
#   requests, answers async ones 503, and accepts them once it is back;
# - before all that, a reload that changes async.backend and every nats.*
#   key keeps the running ones (restart-only), logged, and jobs still run.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_nats.sh
. "$REPO/tests/integration/lib_nats.sh"
require_nats

NATS_TIMEOUT=2	# nats.timeout, seconds
RUNS=$DATA/runs
: >"$RUNS"
chmod 0666 "$RUNS"

nats_start 1
nats_wait_ready 1 10

GW_GLOBAL_EXTRA="admin_listen = $ADMIN_SOCK
async.backend = nats
nats.url = $NATS_URLS
nats.stream = $NATS_STREAM
nats.ack_wait = 2
nats.timeout = $NATS_TIMEOUT" gw_config <<EOF
[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 2
async = on

[hello]
exec = $FUNCTIONS/hello
EOF
gw_start
nginx_up

ELAPSED_MS=""	# how long the last timed_* request took

# timed_async QUERY: an async POST to probe?QUERY; sets HTTP_STATUS and
# ELAPSED_MS.
timed_async() {
	local t0
	t0=$(now_ms)
	http_get "/function/probe?$1" -H 'Prefer: respond-async' --data-binary 'job'
	ELAPSED_MS=$(($(now_ms) - t0))
}

# async_refused WHAT: three async requests, each 503 saying the queue is
# unavailable, each within nats.timeout + 1 s.
async_refused() {
	local i
	for i in 1 2 3; do
		timed_async "call=trace&file=$RUNS&n=$i"
		assert_status 503
		grep -qi unavailable "$BODY" ||
			fail "$1: the 503 does not say the queue is unavailable: '$(_show <"$BODY")'"
		[ "$ELAPSED_MS" -lt $(((NATS_TIMEOUT + 1) * 1000)) ] ||
			fail "$1: async request $i answered 503 after $ELAPSED_MS ms (nats.timeout = $NATS_TIMEOUT s)"
		echo "$1: async request $i: 503 in $ELAPSED_MS ms"
	done
}

# sync_served WHAT: sync requests to probe (the async function) and hello
# answer 200 within 2 s each.
sync_served() {
	local t0
	t0=$(now_ms)
	http_get "/function/probe?call=pid"
	assert_status 200
	assert_contains "$(cat "$BODY")" "pid=" "$1: sync probe"
	http_get /function/hello
	assert_status 200
	assert_body "hello, world"
	ELAPSED_MS=$(($(now_ms) - t0))
	[ "$ELAPSED_MS" -lt 4000 ] || fail "$1: two sync requests took $ELAPSED_MS ms"
	echo "$1: sync requests to probe and hello: 200 in $ELAPSED_MS ms"
}

# nats_state_is CONNECTED GAUGE WHAT: within 5 s, the status says
# "nats": {"connected": CONNECTED} and the metrics gatewayd_nats_connected GAUGE.
nats_state_is() {
	local i got="" gauge=""
	for ((i = 0; i < 50; i++)); do
		ctl --json status >"$T/status" 2>>"$T/ctl.err" && got=$(json_at "$T/status" nats.connected)
		ctl metrics >"$T/metrics" 2>>"$T/ctl.err" &&
			gauge=$(sed -n 's/^gatewayd_nats_connected \([0-9]*\)$/\1/p' "$T/metrics")
		[ "$got" = "$1" ] && [ "$gauge" = "$2" ] && break
		sleep 0.1
	done
	assert_eq "$1" "$got" "$3: nats.connected in the status"
	assert_eq "$2" "$gauge" "$3: gatewayd_nats_connected in the metrics"
	assert_eq nats "$(json_at "$T/status" async_backend)" "$3: async_backend in the status"
}

# accepted_within SECONDS WHAT: async requests, one after another, until
# one answers 202 (a job id in JOB_ID), within SECONDS; prints how long.
accepted_within() {
	local t0 i
	t0=$(now_ms)
	for ((i = 0; ; i++)); do
		timed_async "call=trace&file=$RUNS&ms=10&after=$i"
		[ "$HTTP_STATUS" = 202 ] && break
		[ $(($(now_ms) - t0)) -lt $(($1 * 1000)) ] ||
			fail "$2: no 202 within $1 s (last: $HTTP_STATUS '$(_show <"$BODY")')"
		sleep 0.2
	done
	JOB_ID=$(json_str id)
	[[ $JOB_ID =~ ^[0-9a-f]{32}$ ]] || fail "$2: no id in the 202 body '$(_show <"$BODY")'"
	echo "$2: async accepted again $(($(now_ms) - t0)) ms after nats-server was ready ($i refused before)"
}

# --- A reload that changes the backend and every nats key: each takes
# effect at the next start, the log says so, and the running connection,
# stream and backend go on taking and running jobs.
nats_state_is true 1 "nats up"
cp "$GW_CONF" "$T/gatewayd.ini.orig"
printf 'some-token\n' >"$T/other.token"
chmod 0600 "$T/other.token"
sed -i -e "s|^async.backend = nats\$|async.backend = journal\nasync.journal = $T/run/journal|" \
	-e "s|^nats.url = .*|nats.url = nats://127.0.0.1:1|" \
	-e "s|^nats.stream = .*|nats.stream = OTHER$$|" \
	-e "s|^nats.ack_wait = 2\$|nats.ack_wait = 7\nnats.replicas = 3\nnats.credentials = $T/other.token|" \
	-e "s|^nats.timeout = .*|nats.timeout = 9|" "$GW_CONF"
gw_reload || fail "a reload changing the nats keys was refused: '$(tail -n 3 "$GW_LOG" | _show)'"
assert_file_contains "$GW_LOG" "reload: async.journal, async.backend, nats.url, nats.credentials, nats.stream, nats.replicas, nats.ack_wait, nats.timeout changed: they take effect at the next start; the running values stay" \
	"log of a reload changing the nats keys"
nats_state_is true 1 "after a reload changing the nats keys"
async_submit "/function/probe?call=pid" -H 'Prefer: respond-async' --data-binary 'reloaded'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "a job accepted after a reload changing the nats keys"
[ -e "$T/run/journal" ] && fail "async.journal was opened by a reload"
cp "$T/gatewayd.ini.orig" "$GW_CONF"
gw_reload || fail "a reload back to the nats keys in force was refused"
echo "a reload changing every nats key: restart-only, jobs still run on the running link"

# --- Up: a job accepted, running when nats-server is killed -9.
async_submit "/function/probe?call=trace&file=$RUNS&ms=1000" -H 'Prefer: respond-async' --data-binary 'before'
before=$JOB_ID
wait_line "$RUNS" "^$before 1 " "run of the job accepted before the outage"
nats_kill 1 KILL
outage=$(now_ms)
echo "nats-server killed -9 while job $before runs (1 s)"

# --- Down: async 503 in bounded time, sync served, status and metrics say so.
async_refused "nats down"
sync_served "nats down"
nats_state_is false 0 "nats down"
assert_gw_alive

# --- Back on the same port and store: async accepted again, no restart.
# The outage lasts 2.5 s at least: the job that ran into it ends within it.
while [ $(($(now_ms) - outage)) -lt 2500 ]; do
	sleep 0.1
done
gw_pid=$GW_PID
nats_start 1
nats_wait_ready 1 10
accepted_within 10 "nats back"
assert_eq "$gw_pid" "$GW_PID" "gatewayd's pid (not restarted)"
assert_gw_alive
nats_state_is true 1 "nats back"
after=$JOB_ID
job_wait "$before" 20
assert_eq succeeded "$JOB_STATE" "the job accepted before the outage"
echo "the job accepted before the outage: $JOB_STATE after $JOB_ATTEMPTS attempt(s), $(grep -c "^$before " "$RUNS") run(s)"
job_wait "$after" 10
assert_eq succeeded "$JOB_STATE" "the job accepted after the outage"

# --- gatewayd started while nats-server is down.
gw_stop
nats_kill 1 KILL
t0=$(now_ms)
gw_start
echo "gatewayd started with nats-server down in $(($(now_ms) - t0)) ms"
sync_served "started while down"
async_refused "started while down"
nats_state_is false 0 "started while down"
nats_start 1
nats_wait_ready 1 10
accepted_within 10 "up after a start while down"
assert_gw_alive
nats_state_is true 1 "up after a start while down"
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "the job accepted once nats-server came up"
assert_gw_alive
