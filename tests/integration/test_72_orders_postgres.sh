#!/usr/bin/env bash
# The orders example (functions/orders/handler.py, runtime = python3) against
# a real PostgreSQL 15 on a unix socket with password authentication, through
# nginx and gatewayd: 100 orders posted synchronously and 100 as async jobs
# all land in the table, once each (200 rows, counted with psql); each
# worker keeps one connection; the database restarted between two orders
# and again among the async ones: the next orders still succeed, on the same
# workers (they reconnect, they do not crash); jobs submitted while it is
# down get a 503, are retried and succeed once it is back; an order sent
# again with the same Idempotency-Key is stored once; a body that is not
# JSON is a 400 (an async job for it fails at once, without a retry); an
# env_file with a wrong password gives a JSON error naming the exception,
# and no password appears in any response body or in gatewayd's or nginx's
# log.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=postgres.sh
. "$REPO/tests/integration/postgres.sh"

pg_require
[ -x "$(dirname "$FUNCTIONS")/runtimes/python3/gatewayd-python3" ] ||
	skip "the python3 runtime is not built (needs python3-dev)"

# random_secret: 24 hex digits, unique enough to grep for.
random_secret() {
	head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

PG_PASSWORD=$(random_secret)
BAD_PASSWORD=$(random_secret)
pg_start
pg_create_db orders orders "$PG_PASSWORD"

# The credentials live in env_files alone (root's, 0600), as docs/config.md
# asks of secrets; the sections below carry none.
printf 'postgres_host=%s\npostgres_user=orders\npostgres_password=%s\n' \
	"$PG_SOCK_DIR" "$PG_PASSWORD" >"$T/orders.env"
printf 'postgres_host=%s\npostgres_user=orders\npostgres_password=%s\n' \
	"$PG_SOCK_DIR" "$BAD_PASSWORD" >"$T/badpw.env"
chmod 0600 "$T/orders.env" "$T/badpw.env"

# async.max_attempts = 5: a job run while the database is down gets a 503
# and is retried after 1 s, 2 s...; three attempts would already do, five
# leave room on a loaded machine.
GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[orders]
runtime = python3
handler = $REPO/functions/orders/handler.py
pm.max_children = 2
; as conf/functions.d/orders.ini.example confines it
seccomp = strict
seccomp.allow = @network-io
env_file = $T/orders.env
async = on
async.max_attempts = 5

[orders-badpw]
runtime = python3
handler = $REPO/functions/orders/handler.py
pm.max_children = 1
env_file = $T/badpw.env
EOF
gw_start
nginx_up

SUCCESS='{"status": "success", "processed": true}'

# order_file KIND N: writes order N of KIND (sync, async...) to $T/order.json.
order_file() {
	printf '{"kind": "%s", "n": %d, "item": "widget", "qty": %d}' "$1" "$2" $(($2 % 7 + 1)) >"$T/order.json"
}

# post_order KIND N [curl args...]: POSTs order N of KIND with the
# Idempotency-Key KIND-N.
post_order() {
	local kind=$1 n=$2
	shift 2
	order_file "$kind" "$n"
	http_post /function/orders "$T/order.json" -H 'Content-Type: application/json' \
		-H "Idempotency-Key: $kind-$n" "$@"
}

# sync_orders KIND FROM TO: orders FROM..TO, each answered 200 with $SUCCESS.
sync_orders() {
	local i
	for ((i = $2; i <= $3; i++)); do
		post_order "$1" "$i"
		assert_status 200
		assert_header Content-Type application/json
		assert_eq "$SUCCESS" "$(cat "$BODY")" "answer to $1 order $i"
	done
}

# field NAME [FILE]: the top-level string NAME of the JSON document in FILE
# ($BODY). The handler writes Python's json.dumps (blanks after ":"), which
# lib.sh's json_str, made for gatewayd's compact JSON, does not read.
field() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[2])).get(sys.argv[1], ""))' \
		"$1" "${2:-$BODY}" 2>/dev/null
}

# rows [WHERE]: rows of the orders table (matching WHERE).
rows() {
	pg_psql orders "SELECT count(*) FROM orders${1:+ WHERE $1}"
}

# connections: the database connections the orders workers hold now.
connections() {
	pg_psql postgres "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gatewayd-orders'"
}

# --- 50 synchronous orders; one connection per worker, kept.
sync_orders sync 1 50
assert_eq 50 "$(rows)" "rows after 50 synchronous orders"
conns=$(connections)
{ [ "$conns" -ge 1 ] && [ "$conns" -le 2 ]; } ||
	fail "connections of 2 workers after 50 orders: $conns (one per worker, kept, expected)"
workers=$(gw_workers | sort | tr '\n' ' ')

# --- the database restarts between two orders: the next 50 still succeed,
# on the same workers, which reconnected.
pg_restart
sync_orders sync 51 100
assert_eq 100 "$(rows)" "rows after 100 synchronous orders, a restart among them"
assert_eq "$workers" "$(gw_workers | sort | tr '\n' ' ')" "workers after the database restarted"
[ "$(gw_log_count "orders: reconnecting after")" -ge 1 ] ||
	fail "no worker logged a reconnection after the restart: '$(tail -c 300 "$GW_LOG" | _show)'"

# --- the same order again, same Idempotency-Key: answered success, stored once.
post_order sync 7
assert_status 200
assert_eq "$SUCCESS" "$(cat "$BODY")" "answer to order sync-7 sent again"
assert_eq 100 "$(rows)" "rows after order sync-7 was sent again"

# --- 100 orders as async jobs: the database restarted after the 50th, and
# down while the last 10 are submitted. Those get 503s, and are retried
# until the database is back: every job succeeds, each order is stored once.
ids=()
for ((i = 1; i <= 100; i++)); do
	[ "$i" -eq 91 ] && pg_stop
	order_file async "$i"
	async_submit /function/orders --data-binary "@$T/order.json" \
		-H 'Content-Type: application/json' -H 'Prefer: respond-async' \
		-H "Idempotency-Key: async-$i"
	ids+=("$JOB_ID")
	[ "$i" -eq 50 ] && pg_restart
done
# The last job's first attempt failed (a 503) and it waits for its retry.
for ((i = 0; i < 200; i++)); do
	job_get "${ids[99]}"
	[ "$JOB_STATE" = queued ] && [ "${JOB_ATTEMPTS:-0}" -ge 1 ] && break
	[ "$JOB_STATE" = failed ] && fail "job ${ids[99]} failed while the database was down: '$(_show <"$BODY")'"
	sleep 0.05
done
{ [ "$JOB_STATE" = queued ] && [ "${JOB_ATTEMPTS:-0}" -ge 1 ]; } ||
	fail "job ${ids[99]}: no failed attempt while the database was down (state $JOB_STATE, attempts $JOB_ATTEMPTS)"
pg_start
for id in "${ids[@]}"; do
	job_wait "$id" 60
	assert_eq succeeded "$JOB_STATE" "state of job $id"
	assert_eq 200 "$JOB_STATUS" "status of job $id"
done
job_get "${ids[99]}"
[ "$JOB_ATTEMPTS" -ge 2 ] || fail "job ${ids[99]} succeeded in $JOB_ATTEMPTS attempt(s), the database down at the first"
[ "$(gw_log_count "(orders): attempt 1 failed")" -ge 10 ] ||
	fail "fewer than 10 jobs logged a failed first attempt while the database was down"
http_get "/_gateway/jobs/${ids[99]}/result"
assert_status 200
assert_eq "$SUCCESS" "$(cat "$BODY")" "result of the last job"

assert_eq 200 "$(rows)" "rows after 100 synchronous and 100 async orders"
assert_eq 100 "$(rows "body->>'kind' = 'sync'")" "synchronous orders in the table"
assert_eq 100 "$(rows "body->>'kind' = 'async'")" "async orders in the table"
assert_eq 200 "$(pg_psql orders "SELECT count(DISTINCT idempotency_key) FROM orders")" \
	"distinct Idempotency-Keys in the table"
assert_eq 1 "$(rows "body = '{\"kind\": \"async\", \"n\": 42, \"item\": \"widget\", \"qty\": 1}'::jsonb")" \
	"rows equal to async order 42 as it was sent"

# --- not JSON: 400 with a JSON error; as a job: failed at once, no retry.
printf 'not json' >"$T/bad.json"
http_post /function/orders "$T/bad.json" -H 'Content-Type: application/json'
assert_status 400
assert_header Content-Type application/json
assert_eq bad_request "$(field error)" "error of a body that is not JSON"
async_submit /function/orders --data-binary "@$T/bad.json" -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq failed "$JOB_STATE" "state of a job whose body is not JSON"
assert_eq 1 "$JOB_ATTEMPTS" "attempts of a job whose body is not JSON (a 4xx is final)"
assert_eq 200 "$(rows)" "rows after bodies that are not JSON"

# --- a wrong password: a JSON error that names the exception, no password.
order_file badpw 1
http_post /function/orders-badpw "$T/order.json" -H 'Content-Type: application/json'
assert_status 503
assert_header Content-Type application/json
cp "$BODY" "$T/badpw.body"
assert_eq error "$(field status "$T/badpw.body")" "status in the wrong password's answer"
assert_eq OperationalError "$(field error "$T/badpw.body")" "error in the wrong password's answer"
assert_file_contains "$T/badpw.body" "password authentication failed" "the wrong password's answer"
assert_eq 200 "$(rows)" "rows after an order with a wrong password"

# The worker's stderr line reaches gatewayd's log (so the grep below means
# something); then no password anywhere a client or an operator looks.
for ((i = 0; i < 50; i++)); do
	[ "$(gw_log_count "orders: OperationalError")" -ge 1 ] && break
	sleep 0.1
done
assert_file_contains "$GW_LOG" "password authentication failed" "gatewayd's log after a wrong password"
for secret in "$BAD_PASSWORD" "$PG_PASSWORD" "$PG_SUPER_PASSWORD"; do
	for file in "$T/badpw.body" "$BODY" "$GW_LOG" "$NGINX_DIR/error.log"; do
		[ -f "$file" ] || continue
		if grep -qF -- "$secret" "$file"; then
			fail "a password is in $(basename "$file"): '$(grep -m1 -F -- "$secret" "$file" | _show)'"
		fi
	done
done
assert_gw_alive
