#!/usr/bin/env bash
# runtime = python3 through real nginx and gatewayd, under the default
# seccomp profile (and one under strict) and gatewayd's own identity rules: both handler styles
# (body, headers, status, query, path), what a return value becomes, module
# state kept across requests (one import per worker), the environment (what
# env[...] and env_file set, nothing else), an exception (500 with a short
# JSON error, the traceback in the log and never in the body), print() to
# the log, a header with a line break refused, and a handler stuck past
# request_timeout: 504, its traceback logged, the worker replaced.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

[ -x "$(dirname "$FUNCTIONS")/runtimes/python3/gatewayd-python3" ] ||
	skip "the python3 runtime is not built (needs python3-dev)"
H=$REPO/tests/functions/pyhandlers.py

printf 'API_TOKEN=from-env-file\n' >"$T/py.env"
chmod 0600 "$T/py.env"

# section NAME FUNCTION [LINE...]: a function of pyhandlers.py, pm.max_children = 1.
section() {
	printf '[%s]\nruntime = python3\nhandler = %s\nhandler.function = %s\npm.max_children = 1\n' \
		"$1" "$H" "$2"
	shift 2
	printf '%s\n' "$@" ""
}
{
	section py handle "env_file = $T/py.env" "env[GREETING] = hi"
	section pystrict handle "seccomp = strict" "seccomp.action = kill"
	section pyraw handle "raw_body = yes"
	section pyjson as_json
	section pybytes as_bytes
	section pyenv environment "env_file = $T/py.env" "env[GREETING] = hi"
	section pyhttp http
	section pynone http_none
	section pyboom boom
	section pybadheader bad_header
	section pyprint printer
	section pyprobe probe
	section pysleepy sleepy "request_timeout = 1s"
} | gw_config
gw_start
nginx_up

# handle(req): the body as str; module state lives across requests.
printf 'first body' >"$T/req"
http_post /function/py "$T/req"
assert_status 200
assert_body_exact() {
	assert_eq "$1" "$(cat "$BODY")" "$2"
}
assert_body_exact "str:1:first body" "handle(req), first request"
assert_header Content-Type "text/plain; charset=utf-8"
printf 'second' >"$T/req"
http_post /function/py "$T/req"
assert_body_exact "str:2:second" "handle(req), second request on the same worker (one import)"

# The runtime itself stays within the strict profile (no home lookup, no
# __pycache__ written): a handler that only computes runs there.
http_post /function/pystrict "$T/req"
assert_status 200
assert_body_exact "str:1:second" "handle(req) under seccomp = strict"

# raw_body = yes: bytes.
http_post /function/pyraw "$T/req"
assert_body_exact "bytes:1:b'second'" "handle(req) with raw_body = yes"

# A dict is JSON; bytes are octet-stream.
printf '{"order": 7}' >"$T/req"
http_post /function/pyjson "$T/req"
assert_status 200
assert_header Content-Type "application/json"
assert_contains "$(cat "$BODY")" '"got": {"order": 7}' "dict body as JSON"
http_get /function/pybytes
assert_header Content-Type "application/octet-stream"
assert_eq "00ff726177" "$(od -An -tx1 <"$BODY" | tr -d ' \n')" "bytes body"

# The environment: env_file and env[...] only.
http_get /function/pyenv
assert_status 200
env_json=$(cat "$BODY")
assert_eq '{"API_TOKEN": "from-env-file", "GREETING": "hi"}' "$env_json" \
	"the worker's environment (env_file and env[...] only)"

# handle(event, context): method, body, headers in any case, query, path, status.
printf 'posted' >"$T/req"
http_post "/function/pyhttp/sub/path?status=201&name=ada&name=bob&empty=" "$T/req" \
	-H 'X-Test-Header: hello'
assert_status 201
assert_header X-Echo-Method POST
assert_header Content-Type application/json
got=$(cat "$BODY")
for want in '"body": "posted"' '"type": "bytes"' '"header": "hello"' \
	'"header_any_case": "hello"' '"query": {"status": "201", "name": "ada", "empty": ""}' \
	'"path": "/function/pyhttp/sub/path"' '"method": "POST"' '"hostname": true' \
	'"param": "POST"'; do
	assert_contains "$got" "$want" "handle(event, context)"
done
http_get /function/pynone
assert_status 200
assert_eq 0 "$(wc -c <"$BODY")" "None: an empty body"

# An exception: 500, a short JSON error; the traceback in the log, tagged.
http_get /function/pyboom
assert_status 500
assert_header Content-Type application/json
case $(cat "$BODY") in
*secret-detail-42* | *Traceback*) fail "the exception reached the client: $(_show <"$BODY")" ;;
esac
assert_contains "$(cat "$BODY")" '"error"' "the 500's body"
sleep 0.3
grep -q "function pyboom pid [0-9]*: ValueError: secret-detail-42" "$GW_LOG" ||
	fail "no traceback line tagged with function and pid in the log"
assert_file_contains "$GW_LOG" 'in boom' "traceback names the handler"

# A header with a line break is not sent: 500, logged.
http_get /function/pybadheader
assert_status 500
grep -qi "set-cookie" "$HEADERS" && fail "a header with a line break was sent"
assert_file_contains "$GW_LOG" "bad header value" "the refused header in the log"

# print() goes to the log.
http_get /function/pyprint
assert_body_exact "ok" "print() did not go into the response"
sleep 0.3
assert_file_contains "$GW_LOG" "function pyprint pid" "print() in the log"
assert_file_contains "$GW_LOG" "printed-by-handler" "print() in the log"

# A hostile handler is confined like any worker: its own uid, the default
# filter, no new privileges; it cannot signal gatewayd or another function's
# worker, read another function's env_file or become root.
py_worker=$(fn_workers "$(dirname "$FUNCTIONS")/runtimes/python3/gatewayd-python3" | head -n 1)
[ -n "$py_worker" ] || fail "no Python worker found"
http_get "/function/pyprobe?daemon=$GW_PID&other=$py_worker&file=$T/py.env"
assert_status 200
got=$(cat "$BODY")
echo "probe: $got"
for want in '"seccomp": "2"' '"no_new_privs": "1"' '"kill_daemon": "EPERM"' \
	'"kill_other": "EPERM"' '"read_env_file": "EACCES"' '"setuid_root": "EPERM"'; do
	assert_contains "$got" "$want" "the hostile handler's attempts"
done
uid=$(sed -n 's/.*"uid": \([0-9]*\).*/\1/p' "$BODY")
[ "$uid" -ne 0 ] && [ "$uid" -ne "$(stat -c %u "/proc/$GW_PID")" ] ||
	fail "the Python worker runs as uid $uid (root or gatewayd's own)"
pid_alive "$py_worker" || fail "the other function's worker $py_worker died"

# Past request_timeout: 504, the running handler's traceback, a new worker.
before=$(fn_workers "$(dirname "$FUNCTIONS")/runtimes/python3/gatewayd-python3" | sort)
start=$(now_ms)
http_get /function/pysleepy
elapsed=$(($(now_ms) - start))
assert_status 504
[ "$elapsed" -lt 3000 ] || fail "504 only after $elapsed ms with request_timeout = 1s"
for ((i = 0; i < 40; i++)); do
	grep -q "function pysleepy pid [0-9]*: .*in sleepy" "$GW_LOG" && break
	sleep 0.1
done
grep -q "function pysleepy pid [0-9]*: .*in sleepy" "$GW_LOG" ||
	fail "no traceback of the stuck handler in the log before its kill"
assert_file_contains "$GW_LOG" "ran past request_timeout" "the timeout logged"
echo "504 after $elapsed ms; traceback logged:"
grep "function pysleepy pid" "$GW_LOG" | head -n 8
http_get /function/py
assert_status 200
assert_gw_alive
