# shellcheck shell=bash
#
# tests/integration/lib.sh: the harness every test_*.sh sources.
#
# tests/integration/run.sh runs each test with bash, in a fresh temp dir ($T,
# also the working directory), with GATEWAYD, FUNCTIONS and REPO set. A test:
#
#	. "$REPO/tests/integration/lib.sh"
#	gw_config <<EOF          # [global] is written for you; add functions
#	[hello]
#	exec = $FUNCTIONS/hello
#	EOF
#	gw_start                 # gatewayd, waits until its socket answers
#	nginx_up                 # nginx on a free port in front of it ($BASE)
#	http_get /function/hello
#	assert_status 200
#	assert_body "hello, world"
#
# The first failed assertion prints what differed, records it in $T/failure
# (run.sh shows it on the FAIL line) and ends the test. An EXIT trap stops
# every process the test started (nginx, gatewayd and its workers,
# background jobs registered with bg_track), whatever happened.

set -u

: "${GATEWAYD:?run through tests/integration/run.sh}"
: "${FUNCTIONS:?run through tests/integration/run.sh}"
: "${REPO:?run through tests/integration/run.sh}"
T=${T:-$PWD}
chmod 0711 "$T"
DATA=$T/data			# where functions may write (counters, traces)
mkdir -p -m 1777 "$DATA"

GW_CONF=$T/gatewayd.ini		# the test's config, written by gw_config
GW_SOCK=$T/gw.sock		# gatewayd's listen socket
GW_LOG=$T/gatewayd.log		# gatewayd's stderr
GW_PID=""
NGINX_DIR=$T/nginx		# nginx.conf, error.log, pid, temp files
NGINX_STARTED=0
BASE=""				# http://127.0.0.1:PORT once nginx_up ran
HTTP_STATUS=""			# status of the last http_* call
BODY=$T/body			# body of the last http_* call
HEADERS=$T/headers		# headers of the last http_* call
BG_PIDS=""

# shellcheck source-path=SCRIPTDIR/../.. source=scripts/nginx.sh
. "$REPO/scripts/nginx.sh"

fcgi_client() {
	python3 "$REPO/tests/integration/fcgi_client.py" "$@"
}

# ---------------------------------------------------------------- failures

# fail MESSAGE...: records the failed assertion and ends the test.
fail() {
	printf 'assertion failed: %s\n' "$*" | tee -a "$T/failure" >&2
	exit 1
}

# Prints at most 300 bytes of its input with control bytes made visible.
_show() {
	head -c 300 | cat -v | tr '\n' '|'
}

# -------------------------------------------------------------- assertions

# assert_eq EXPECTED ACTUAL WHAT
assert_eq() {
	[ "$1" = "$2" ] ||
		fail "$3: expected '$(printf '%s' "$1" | _show)', got '$(printf '%s' "$2" | _show)'"
}

# assert_status CODE: the status of the last http_* call.
assert_status() {
	[ "$HTTP_STATUS" = "$1" ] ||
		fail "HTTP status: expected $1, got $HTTP_STATUS (body: '$(_show <"$BODY")')"
}

# assert_body TEXT: the last body is TEXT plus one newline, exactly.
assert_body() {
	printf '%s\n' "$1" >"$T/expected_body"
	cmp -s "$T/expected_body" "$BODY" ||
		fail "body: expected '$(_show <"$T/expected_body")', got '$(_show <"$BODY")'"
}

# assert_header NAME [VALUE]: the last response has header NAME (any case),
# with exactly VALUE when given.
assert_header() {
	local line
	line=$(tr -d '\r' <"$HEADERS" | grep -i -m1 "^$1:") ||
		fail "header $1: missing (headers: '$(_show <"$HEADERS")')"
	if [ $# -ge 2 ]; then
		assert_eq "$2" "$(printf '%s' "${line#*:}" | sed 's/^[ \t]*//')" "header $1"
	fi
}

# assert_contains TEXT NEEDLE WHAT: NEEDLE is a substring of TEXT.
assert_contains() {
	case $1 in
	*"$2"*) ;;
	*) fail "$3: '$(printf '%s' "$2" | _show)' not in '$(printf '%s' "$1" | _show)'" ;;
	esac
}

# assert_file_contains FILE NEEDLE [WHAT]: a fixed-string grep.
assert_file_contains() {
	grep -qF -- "$2" "$1" ||
		fail "${3:-expected text}: '$2' not in $(basename "$1") (tail: '$(tail -c 300 "$1" | _show)')"
}

# assert_gw_alive: gatewayd is still running.
assert_gw_alive() {
	if [ -z "$GW_PID" ] || ! kill -0 "$GW_PID" 2>/dev/null; then
		fail "gatewayd (pid ${GW_PID:-none}) is not running (log tail: '$(tail -c 300 "$GW_LOG" | _show)')"
	fi
}

# ------------------------------------------------------------------ gatewayd

# gw_config: writes $GW_CONF: a [global] section for this test (debug log,
# sockets in $T; as root nginx, root too, connects whatever the mode, so the
# socket is 0660; otherwise 0666 so nginx's worker can), then stdin.
# GW_LOG_LEVEL sets log_level (default debug).
# GW_GLOBAL_EXTRA adds lines to [global].
gw_config() {
	local mode=0666
	[ "$(id -u)" -eq 0 ] && mode=0660
	{
		printf '[global]\n'
		printf 'listen = %s\n' "$GW_SOCK"
		printf 'listen.mode = %s\n' "$mode"
		printf 'run_dir = %s\n' "$T/run"
		printf 'log_level = %s\n' "${GW_LOG_LEVEL:-debug}"
		[ -n "${GW_GLOBAL_EXTRA:-}" ] && printf '%s\n' "$GW_GLOBAL_EXTRA"
		printf '\n'
		cat
	} >"$GW_CONF"
}

# gw_start: starts gatewayd on $GW_CONF, logging to $GW_LOG, and waits (10 s
# at most) until its socket exists and answers a connection.
gw_start() {
	local i rc
	"$GATEWAYD" -c "$GW_CONF" >>"$GW_LOG" 2>&1 &
	GW_PID=$!
	for ((i = 0; i < 100; i++)); do
		kill -0 "$GW_PID" 2>/dev/null ||
			fail "gatewayd exited at start (log: '$(tail -c 300 "$GW_LOG" | _show)')"
		if [ -S "$GW_SOCK" ]; then
			rc=0
			fcgi_client --timeout 1 ping "$GW_SOCK" || rc=$?
			# 0: answered FCGI_GET_VALUES; 2: accepted but silent.
			[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] && return 0
		fi
		sleep 0.1
	done
	fail "gatewayd did not answer on $GW_SOCK within 10 s"
}

# gw_stop: SIGTERM, 5 s grace, then SIGKILL for it and its workers. A
# gatewayd that exits non-zero after SIGTERM, or whose log holds a sanitizer
# report (SAN=1 builds: leaks, overflows, undefined behaviour), fails the test.
gw_stop() {
	local i workers status=0 terminated=0
	[ -n "$GW_PID" ] || return 0
	if kill -0 "$GW_PID" 2>/dev/null; then
		workers=$(gw_workers)
		kill -TERM "$GW_PID" 2>/dev/null
		terminated=1
		for ((i = 0; i < 50; i++)); do
			kill -0 "$GW_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$GW_PID" 2>/dev/null; then
			echo "gatewayd ignored SIGTERM for 5 s, killing it" >&2
			workers="$workers $(gw_workers)"
			kill -KILL "$GW_PID" 2>/dev/null
			terminated=0
		fi
		# Workers must die with gatewayd; make sure of it.
		for i in $workers; do
			kill -KILL "$i" 2>/dev/null
		done
	fi
	wait "$GW_PID" 2>/dev/null || status=$?
	GW_PID=""
	if grep -qE "Sanitizer|runtime error:" "$GW_LOG"; then
		fail "sanitizer report in gatewayd's log: '$(grep -m1 -E "Sanitizer|runtime error:" "$GW_LOG" | _show)'"
	fi
	if [ "$terminated" -eq 1 ] && [ "$status" -ne 0 ]; then
		fail "gatewayd exited with status $status after SIGTERM (log tail: '$(tail -c 300 "$GW_LOG" | _show)')"
	fi
}

# gw_rss_kb: gatewayd's resident memory (VmRSS), in kB.
gw_rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$GW_PID/status"
}

# gw_asan: true for an AddressSanitizer build (SAN=1), whose freed buffers
# stay resident in its quarantine: its RSS says nothing about what gatewayd
# holds, and RSS bounds are checked on the plain build only.
gw_asan() {
	ldd "$GATEWAYD" | grep -q libasan
}

# gw_spawner: prints the pid of gatewayd's spawner, its one child.
gw_spawner() {
	pgrep -P "$GW_PID" -x gatewayd-spawn
}

# gw_workers: prints the pids of the spawner's children (gatewayd's workers).
gw_workers() {
	local spawner
	spawner=$(gw_spawner) || return 0
	pgrep -P "$spawner"
}

# gw_log_count TEXT: how many log lines contain TEXT.
gw_log_count() {
	grep -cF -- "$1" "$GW_LOG"
}

# --------------------------------------------------------------------- nginx

# nginx_up [SOCK...]: nginx on a free port in front of $GW_SOCK, or of an
# upstream over the gatewayd sockets SOCK...; sets $BASE. Honours
# NGINX_KEEPALIVE and NGINX_EXTRA (see scripts/nginx.sh). Retries with
# another port if one is taken between the check and the bind.
nginx_up() {
	local try port sock servers=""
	[ $# -gt 0 ] || set -- "$GW_SOCK"
	for sock in "$@"; do
		servers="${servers}		server unix:$sock;\\n"
	done
	for ((try = 0; try < 5; try++)); do
		port=$(nginx_pick_port $((18080 + RANDOM % 2000))) || continue
		nginx_write_conf "$NGINX_DIR" "$port" "$1" || fail "cannot write nginx.conf"
		if [ $# -gt 1 ]; then
			sed -i "s|^[[:space:]]*server unix:$1;\$|$servers|" "$NGINX_DIR/nginx.conf"
			[ "$(grep -c 'server unix:' "$NGINX_DIR/nginx.conf")" -eq $# ] ||
				fail "nginx.conf: the upstream does not list $# sockets"
		fi
		if nginx_start "$NGINX_DIR" 2>>"$NGINX_DIR/start.err"; then
			NGINX_STARTED=1
			BASE=http://127.0.0.1:$port
			return 0
		fi
	done
	fail "nginx did not start: '$(tail -c 300 "$NGINX_DIR/start.err" | _show)'"
}

# --------------------------------------------------------------------- HTTP

# http_get PATH [curl args...]: sets HTTP_STATUS, writes $BODY and $HEADERS.
http_get() {
	local path=$1
	shift
	HTTP_STATUS=$(curl -sS --max-time 30 -o "$BODY" -D "$HEADERS" -w '%{http_code}' \
		"$@" "$BASE$path" 2>>"$T/curl.err")
}

# http_post PATH FILE [curl args...]: POSTs FILE's bytes as the body, as
# application/octet-stream unless the args give another Content-Type.
http_post() {
	local path=$1 file=$2
	shift 2
	case "$*" in
	*[Cc]ontent-[Tt]ype:*) ;;
	*) set -- -H 'Content-Type: application/octet-stream' "$@" ;;
	esac
	http_get "$path" --data-binary "@$file" "$@"
}

# --------------------------------------------------------------- processes

# bg_track PID: a background job the cleanup must kill if still running.
bg_track() {
	BG_PIDS="$BG_PIDS $1"
}

_cleanup() {
	local pid
	for pid in $BG_PIDS; do
		kill -TERM "$pid" 2>/dev/null
	done
	[ "$NGINX_STARTED" -eq 1 ] && nginx_stop "$NGINX_DIR"
	gw_stop
}
trap _cleanup EXIT
trap 'exit 143' INT TERM

# ----------------------------------------------------------- sandbox helpers
# Used by test_2*.sh, which drive functions/sysprobe (see its header).

# skip REASON: the test cannot run here; says so and passes (exit 0).
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 0
}

# require_root: skips the test unless it runs as root.
require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (uid $(id -u))"
}

# probe FUNCTION CALL [QUERY]: GET /function/FUNCTION?call=CALL[&QUERY].
probe() {
	http_get "/function/$1?call=$2${3:+&$3}"
}

# probe_expect FUNCTION CALL NEEDLE: the probe answers 200 and its body
# contains NEEDLE ("ptrace: error EPERM", "fork: ok"...).
probe_expect() {
	probe "$1" "$2"
	[ "$HTTP_STATUS" = 200 ] ||
		fail "$1 call=$2: expected status 200, got $HTTP_STATUS (body: '$(_show <"$BODY")')"
	assert_contains "$(cat "$BODY")" "$3" "$1 call=$2"
}

# probe_pid FUNCTION: sets PROBE_PID to the pid of the worker that answers
# call=pid (with pm.max_children = 1, the function's only worker); fails the
# test unless it answers 200 within 5 s (a worker being respawned may not).
PROBE_PID=""
probe_pid() {
	local i
	for ((i = 0; i < 50; i++)); do
		probe "$1" pid
		if [ "$HTTP_STATUS" = 200 ]; then
			PROBE_PID=$(sed -n 's/^pid=\([0-9][0-9]*\)$/\1/p' "$BODY")
			[ -n "$PROBE_PID" ] || fail "$1 call=pid: no pid in '$(_show <"$BODY")'"
			return 0
		fi
		sleep 0.1
	done
	fail "$1 call=pid: no 200 within 5 s (last status $HTTP_STATUS, body '$(_show <"$BODY")')"
}

# gw_check FILE: runs `gatewayd -t -c FILE`, output in FILE.out; returns
# gatewayd's exit status.
gw_check() {
	local rc=0
	"$GATEWAYD" -t -c "$1" >"$1.out" 2>&1 || rc=$?
	return "$rc"
}

# gw_global_conf FILE: writes the [global] section gw_config would, for a
# config that only `gatewayd -t` will read; the caller appends functions.
gw_global_conf() {
	printf '[global]\nlisten = %s\nrun_dir = %s\n\n' "$T/check.sock" "$T/run" >"$1"
}

# -------------------------------------------------------- lifecycle helpers
# Used by test_3*.sh (pools scaling, timeouts, reload, shutdown).

# now_ms: milliseconds on a monotonic-enough clock, for elapsed times.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# gw_worker_count: how many workers gatewayd has right now.
gw_worker_count() {
	local pids
	pids=$(gw_workers)
	echo "$pids" | grep -c .
}

# wait_workers OP N SECONDS: waits (bounded) until the number of gatewayd's
# workers compares to N by OP (-eq, -le, -ge...); returns 1 on timeout.
# WORKERS_SEEN holds the last count.
WORKERS_SEEN=""
wait_workers() {
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		WORKERS_SEEN=$(gw_worker_count)
		test "$WORKERS_SEEN" "$1" "$2" && return 0
		sleep 0.05
	done
	WORKERS_SEEN=$(gw_worker_count)
	test "$WORKERS_SEEN" "$1" "$2"
}

# fn_workers FUNCTION_EXEC: pids of gatewayd's workers whose program is
# FUNCTION_EXEC (by /proc/PID/exe), one a line.
fn_workers() {
	local pid
	for pid in $(gw_workers); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$1" ] && echo "$pid"
	done
}

# pid_alive PID: 0 while PID exists and is not a zombie.
pid_alive() {
	local state
	state=$(sed -n 's/^[0-9]* (.*) \([A-Za-z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# gw_reload: SIGHUP, then waits (5 s at most) for the "reloaded" or
# "reload refused" line that answers it. Returns 0 for "reloaded", 1 for
# "refused" or no answer. gw_reload_s does the same through
# `gatewayd -s reload -c $GW_CONF` (which must exit 0).
gw_reload() {
	_gw_reload_via signal
}

gw_reload_s() {
	_gw_reload_via command
}

_gw_reload_via() {
	local i ok_before bad_before
	ok_before=$(gw_log_count "reloaded ")
	bad_before=$(gw_log_count "reload refused: the running configuration stays in force")
	if [ "$1" = command ]; then
		"$GATEWAYD" -s reload -c "$GW_CONF" >>"$T/gw-s.out" 2>&1 ||
			fail "gatewayd -s reload -c $GW_CONF exited non-zero: '$(tail -c 300 "$T/gw-s.out" | _show)'"
	else
		kill -HUP "$GW_PID" || fail "cannot send SIGHUP to gatewayd $GW_PID"
	fi
	for ((i = 0; i < 100; i++)); do
		[ "$(gw_log_count "reloaded ")" -gt "$ok_before" ] && return 0
		[ "$(gw_log_count "reload refused: the running configuration stays in force")" -gt "$bad_before" ] &&
			return 1
		sleep 0.05
	done
	return 1
}

# wrk_check FILE WHAT: wrk's output in FILE shows no non-2xx answer and no
# socket error; prints its request count and requests/s; sets WRK_REQUESTS.
WRK_REQUESTS=""
wrk_check() {
	WRK_REQUESTS=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$1")
	[ -n "$WRK_REQUESTS" ] || fail "$2: no request count in wrk's output: '$(_show <"$1")'"
	if grep -q "Non-2xx" "$1"; then
		fail "$2: wrk: $(grep "Non-2xx" "$1" | sed 's/^ *//') of $WRK_REQUESTS"
	fi
	if grep -q "Socket errors" "$1"; then
		fail "$2: wrk: $(grep "Socket errors" "$1" | sed 's/^ *//') of $WRK_REQUESTS"
	fi
	echo "$2: $WRK_REQUESTS requests, $(sed -n 's/^Requests\/sec: *//p' "$1") requests/s"
}

# ------------------------------------------------------------ async helpers
# Used by test_4*.sh (async jobs: 202, the job API, the journal).

GW_JOURNAL=$T/run/async.journal	# the async tests' journal, in gatewayd's own run_dir
JOB_ID=""			# the id of the last job accepted by async_submit
JOB_STATE=""			# state of the last job_get ("" when 404)
JOB_ATTEMPTS=""			# its attempts
JOB_STATUS=""			# its status (a number, or null)

# async_flood ARGS...: tests/integration/async_flood.py (see its header).
async_flood() {
	python3 "$REPO/tests/integration/async_flood.py" "$@"
}

# json_str NAME [FILE]: the string value of "NAME":"..." in FILE ($BODY).
json_str() {
	sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p" "${2:-$BODY}"
}

# json_num NAME [FILE]: the bare value of "NAME":VALUE (number, null, bool).
json_num() {
	sed -n "s/.*\"$1\":\\([0-9a-z]*\\)[,}].*/\\1/p" "${2:-$BODY}"
}

# async_submit PATH [curl args...]: a request expected to be accepted as a
# job: asserts 202, a Location of /_gateway/jobs/<32 hex> and a JSON body
# with the same id and state "queued"; sets JOB_ID.
async_submit() {
	local location
	http_get "$@"
	assert_status 202
	JOB_ID=$(json_str id)
	[[ $JOB_ID =~ ^[0-9a-f]{32}$ ]] || fail "$1: no 32-hex id in the 202 body '$(_show <"$BODY")'"
	assert_header Location "/_gateway/jobs/$JOB_ID"
	location=$(json_str location)
	assert_eq "/_gateway/jobs/$JOB_ID" "$location" "$1: location in the 202 body"
	assert_eq queued "$(json_str state)" "$1: state in the 202 body"
}

# job_get ID: GET /_gateway/jobs/ID; sets JOB_STATE, JOB_ATTEMPTS and
# JOB_STATUS from a 200 (all empty on any other status).
# shellcheck disable=SC2034 # JOB_STATUS is for the tests that source this
job_get() {
	http_get "/_gateway/jobs/$1"
	JOB_STATE="" JOB_ATTEMPTS="" JOB_STATUS=""
	[ "$HTTP_STATUS" = 200 ] || return 0
	JOB_STATE=$(json_str state)
	JOB_ATTEMPTS=$(json_num attempts)
	JOB_STATUS=$(json_num status)
}

# job_wait ID SECONDS: polls the job (every 50 ms) until it is succeeded or
# failed; fails the test if it is not within SECONDS, or answers 404.
job_wait() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		job_get "$1"
		[ "$HTTP_STATUS" = 200 ] ||
			fail "job $1: GET answered $HTTP_STATUS while waiting for it to finish (body '$(_show <"$BODY")')"
		case $JOB_STATE in
		succeeded | failed) return 0 ;;
		esac
		sleep 0.05
	done
	fail "job $1 not finished within $2 s (state $JOB_STATE, attempts $JOB_ATTEMPTS)"
}

# curl_flood_start N PATH BODY: one curl (kept-alive connections through
# nginx) POSTs the file BODY to PATH?n=I (PATH may hold a query already),
# I = 0..N-1, each asking for async; sets FLOOD_PID. curl_flood_wait N then
# asserts that all N were answered 202.
FLOOD_PID=""
curl_flood_start() {
	local i sep='?'
	[[ $2 == *\?* ]] && sep='&'
	for ((i = 0; i < $1; i++)); do
		printf 'url = "%s%s%sn=%d"\noutput = "/dev/null"\n' "$BASE" "$2" "$sep" "$i"
	done >"$T/curl.conf"
	curl -sS --max-time 600 -K "$T/curl.conf" -H 'Prefer: respond-async' \
		-H 'Content-Type: application/octet-stream' --data-binary "@$3" \
		-w '%{http_code}\n' >"$T/codes" 2>>"$T/curl.err" &
	FLOOD_PID=$!
	bg_track "$FLOOD_PID"
}

curl_flood_wait() {
	wait "$FLOOD_PID" || fail "curl failed: '$(tail -c 300 "$T/curl.err" | _show)'"
	assert_eq "$1" "$(grep -c '^202$' "$T/codes")" "jobs answered 202"
}

# gw_kill9: kill -9 of gatewayd (the spawner dies with it, the workers with
# the spawner, by their parent-death signals); waits until it is gone. The next gw_start starts it anew.
gw_kill9() {
	[ -n "$GW_PID" ] || return 0
	kill -KILL "$GW_PID" 2>/dev/null
	wait "$GW_PID" 2>/dev/null
	GW_PID=""
}

# journal_size: bytes in $GW_JOURNAL (0 when it does not exist).
journal_size() {
	stat -c %s "$GW_JOURNAL" 2>/dev/null || echo 0
}

# ----------------------------------------------------- callback receivers
# Used by the X-Callback-Url tests: tests/integration/callback_receiver.py
# stores each POST it gets as DIR/N.body and DIR/N.headers (N from 1).

# shellcheck disable=SC2034 # RECEIVER_PORT is for the tests that source this
# receiver_start DIR FAIL [PORT]: a receiver storing into DIR (made), answering
# 500 to the first FAIL requests, on PORT (default any); sets RECEIVER_PID and
# RECEIVER_PORT once it listens.
receiver_start() {
	local i
	mkdir -p "$1"
	rm -f "$1/port"
	/usr/bin/python3 "$REPO/tests/integration/callback_receiver.py" "$1" "${3:-0}" "$2" 2>>"$T/receiver.err" &
	RECEIVER_PID=$!
	bg_track "$RECEIVER_PID"
	for ((i = 0; i < 100; i++)); do
		[ -s "$1/port" ] && { RECEIVER_PORT=$(cat "$1/port"); return 0; }
		sleep 0.05
	done
	fail "callback receiver in $1 did not listen (stderr: '$(_show <"$T/receiver.err")')"
}

# deliveries DIR: how many POSTs DIR's receiver got.
deliveries() {
	find "$1" -name '*.body' | wc -l
}

# wait_deliveries DIR N: until DIR's receiver got N POSTs (10 s at most).
wait_deliveries() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(deliveries "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "$1: $(deliveries "$1") callbacks received within 10 s, expected $2"
}

# header_of FILE NAME: the value of header NAME in a stored .headers file.
header_of() {
	sed -n "s/^$2: //Ip" "$1" | head -n 1
}

# check_signed DIR N [SECRET]: delivery N's signature is the HMAC-SHA256 of its
# body with the secret in the file SECRET (default $T/secret).
check_signed() {
	local want got
	want=$(/usr/bin/python3 -c 'import hmac, hashlib, sys
key = open(sys.argv[1], "rb").read().rstrip(b"\n")
print("sha256=" + hmac.new(key, open(sys.argv[2], "rb").read(), hashlib.sha256).hexdigest())' \
		"${3:-$T/secret}" "$1/$2.body")
	got=$(header_of "$1/$2.headers" X-Gateway-Signature)
	assert_eq "$want" "$got" "signature of delivery $2 in $1"
}

# --------------------------------------------------------- isolation helpers
# Used by test_5*.sh: tests/functions/hostile (see its header) attacks a
# victim function, gatewayd and the spawner, one attack a request.

HOSTILE=$TEST_FUNCTIONS/hostile

# attack_refused FUNCTION QUERY [ERRNOS]: GET /function/FUNCTION?attack=QUERY
# must answer 200 with no "SUCCEEDED" line and at least one "refused" line
# (whose errno is one of ERRNOS, an extended regex such as 'EACCES|EPERM',
# when given); the answer goes to the test's output.
attack_refused() {
	http_get "/function/$1?attack=$2"
	sed "s/^/    [$1] /" "$BODY"
	[ "$HTTP_STATUS" = 200 ] ||
		fail "$1 attack=$2: status $HTTP_STATUS (body '$(_show <"$BODY")')"
	if grep -q ': SUCCEEDED' "$BODY"; then
		fail "$1 attack=$2: $(grep -m1 ': SUCCEEDED' "$BODY")"
	fi
	grep -q ': refused' "$BODY" || fail "$1 attack=$2: nothing refused: '$(_show <"$BODY")'"
	if [ $# -ge 3 ]; then
		grep -qE ": refused ($3) " "$BODY" ||
			fail "$1 attack=$2: not refused with $3: '$(_show <"$BODY")'"
	fi
}

# status_ids PID FIELD: the four ids of /proc/PID/status's Uid or Gid line.
status_ids() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' ' '
}

# ------------------------------------------------------------ admin socket

GATEWAYCTL=$(dirname "$GATEWAYD")/gatewayctl
ADMIN_SOCK=$T/admin.sock	# admin_listen, where a test sets it

# expect_exit CODE CMD...: runs CMD, asserts its exit code; output in $T/out, $T/err.
expect_exit() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] ||
		fail "$* exited $rc, not $want (stdout '$(_show <"$T/out")', stderr '$(_show <"$T/err")')"
}

# ctl ARGS...: gatewayctl on $ADMIN_SOCK.
ctl() {
	"$GATEWAYCTL" -a "$ADMIN_SOCK" "$@"
}

# json_at FILE PATH: the value at PATH in the JSON in FILE, as Python prints
# it; PATH is dot-separated keys and list indexes, and NAME=VALUE picks the
# list item whose NAME is VALUE ("functions.name=slow.workers.busy").
json_at() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for part in sys.argv[2].split("."):
    if "=" in part:
        k, want = part.split("=", 1)
        v = next(item for item in v if str(item.get(k)) == want)
    elif isinstance(v, list):
        v = v[int(part)]
    else:
        v = v[part]
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}

# ------------------------------------------------------- datagram receivers

# dgram_listen ADDRESS OUT [MODE]: a receiver on the unix datagram socket
# ADDRESS ("@name": abstract; MODE: its file's permissions, as /dev/log's
# 0666) appending each datagram to OUT (emptied first) as one line ("\n"
# inside shown as "|"); waits until it is bound and sets DGRAM_PID.
dgram_listen() {
	local i
	rm -f "$2" "$2.bound"
	[ "${1#@}" = "$1" ] && rm -f "$1"	# a path: a restarted receiver binds it anew
	/usr/bin/python3 - "$1" "$2" "${3:-}" <<'PY' &
import os, socket, sys
addr, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
if mode:
    os.chmod(addr, int(mode, 8))
open(out + ".bound", "w").close()
while True:
    msg = s.recv(4096).decode(errors="replace").replace("\n", "|")
    with open(out, "a") as f:
        f.write(msg + "\n")
PY
	DGRAM_PID=$!
	bg_track "$DGRAM_PID"
	for ((i = 0; i < 100; i++)); do
		[ -e "$2.bound" ] && return 0
		sleep 0.05
	done
	fail "the datagram receiver did not bind $1"
}

# wait_line OUT REGEX WHAT: until a line of OUT matches REGEX (10 s at most).
wait_line() {
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "no $3 matching '$2' (got: '$(_show <"$1" 2>/dev/null)')"
}
