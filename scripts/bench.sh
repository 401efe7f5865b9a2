#!/bin/bash
# scripts/bench.sh BUILD_DIR: `make bench`.
#
# Through ONE nginx (worker_processes 1) on loopback, measures with wrk the
# same hello-world function reached three ways:
#
#   direct   nginx -> spawn-fcgi, 4 processes of BUILD_DIR/functions/hello
#   gw       nginx -> BUILD_DIR/gatewayd -> static pool of 4 hello workers
#   php      nginx -> php-fpm8.2 (pm = static, 4 children) -> functions/hello.php
#
# plus, by default, reference paths that make the numbers readable:
#
#   direct-close, php-close   the same back ends with no upstream keepalive
#                             (fastcgi_keep_conn off): how a process-per-
#                             connection back end is normally deployed
#   gw-off, gw-strict         the same gatewayd, the same hello pool of 4 with
#                             seccomp = off / strict ([hello] has the default
#                             profile): what the filter costs per request
#   gw-php                    gatewayd with 4 php-cgi workers on hello.php:
#                             gatewayd vs php-fpm on equal work
#   gw-cgi, fcgiwrap          functions/hello-cgi.sh run as CGI, a process per
#                             request: gatewayd's mode = cgi (4 at most) vs
#                             nginx -> fcgiwrap -c 4 (and fcgiwrap-close: its
#                             own 4, no upstream keepalive)
#
# and a Python row: tests/bench/pyhello.py (the same bytes as hello) behind
# 4 processes each way:
#
#   gw-py      nginx -> gatewayd -> [pyhello], runtime = python3, static pool
#              of 4 (its handle()); FastCGI with upstream keepalive, as gw
#   uwsgi      nginx uwsgi_pass -> uWSGI (Debian's, python3 plugin), a master
#              and 4 workers (its WSGI application); a connection per request
#   gunicorn   nginx proxy_pass -> gunicorn (Debian's), an arbiter and 4 sync
#              workers (the same application); a connection per request
#
# Then three sections after the load:
#   cold start   BUILD_DIR/spawn_time (tests/bench/spawn_time.c, built here
#                if missing or out of date) times spawning one hello worker
#                up to its first response, under seccomp off, default, strict
#   ondemand     one curl through nginx to [hellondemand] (pm = ondemand,
#                idle timeout 1s) each time it has no worker left, next to
#                curls to the static [hello]; the same for the Python
#                handler, [pyondemand] next to [pyhello] (its cold start)
#   async        a second gatewayd with [helloasync] (async = on), restarted
#                per async.fsync policy: 10,000 jobs accepted by
#                tests/bench/async_flood.py and the time until all ran, then
#                wrk -H 'X-Async: true' for the 202s per second; the same
#                once more with async.backend = nats, on a local nats-server
#                (JetStream, nats.replicas = 1) started for it
#
# See docs/bench.md for what the numbers mean. Environment:
#   BENCH_SECONDS  seconds per measurement (8)      BENCH_ROUNDS  rounds (2)
#   BENCH_WARMUP   warm-up seconds per path (2)     BENCH_KEEP_TMP=1 keep logs
#   BENCH_CONNS    wrk connections (16)
#   BENCH_PATHS    paths to run, in order ("direct direct-close gw gw-off gw-strict
#                  gw-php php php-close gw-cgi fcgiwrap fcgiwrap-close gw-py
#                  uwsgi gunicorn"; every gw path has a -close twin too)
#   SPAWN_N        cold starts per seccomp profile (100); 0 skips the section
#   ONDEMAND_N     ondemand cold starts (20); 0 skips the section
#   ASYNC_N        jobs of the async drain (10000); 0 skips the async section
#   ASYNC_SECONDS  seconds of wrk per async.fsync policy (5)
#   ASYNC_POLICIES async.fsync policies, in order, and "nats": the NATS
#                  JetStream backend ("always batch off nats"); without
#                  "nats" no nats-server runs. A missing nats-server
#                  (NATS_SERVER, default nats-server on PATH) skips that row
#   ASYNC_CALLBACK_N jobs with an X-Callback-Url to a loopback receiver
#                  (tests/bench/callback_sink.py), fsync batch (2000); 0 skips
#
# Exit status: 0 when every path answered only 2xx without socket errors
# (whether or not the targets were met), 1 when any request failed, 2 when
# the bench could not run.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"

[ $# -eq 1 ] || bench_die "usage: scripts/bench.sh BUILD_DIR"
BUILD=$(cd "$1" 2>/dev/null && pwd) || bench_die "build directory '$1' does not exist (make all)"

DURATION=${BENCH_SECONDS:-8}	# 8, not 10, since the Python row: the default run stays under 6 minutes
ROUNDS=${BENCH_ROUNDS:-2}
WARMUP=${BENCH_WARMUP:-2}
read -r -a PATHS <<<"${BENCH_PATHS:-direct direct-close gw gw-off gw-strict gw-php php php-close gw-cgi fcgiwrap fcgiwrap-close gw-py uwsgi gunicorn}"
SPAWN_N=${SPAWN_N:-100}
ONDEMAND_N=${ONDEMAND_N:-20}
ASYNC_N=${ASYNC_N:-10000}
ASYNC_SECONDS=${ASYNC_SECONDS:-5}
ASYNC_CALLBACK_N=${ASYNC_CALLBACK_N:-2000}
read -r -a ASYNC_POLICIES <<<"${ASYNC_POLICIES:-always batch off nats}"
CONNS=${BENCH_CONNS:-16}
case $DURATION$ROUNDS$WARMUP$SPAWN_N$ONDEMAND_N$ASYNC_N$ASYNC_SECONDS in
*[!0-9]*) bench_die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP, SPAWN_N, ONDEMAND_N, ASYNC_N and ASYNC_SECONDS must be integers" ;;
esac
for p in "${ASYNC_POLICIES[@]}"; do
	case $p in always | batch | off | nats) ;; *) bench_die "unknown async.fsync policy '$p' in ASYNC_POLICIES" ;; esac
done
has_policy() {	# has_policy POLICY: POLICY is in ASYNC_POLICIES
	local p
	for p in "${ASYNC_POLICIES[@]}"; do [[ $p == "$1" ]] && return 0; done
	return 1
}
if [ "$ASYNC_N" -gt 0 ]; then
	command -v python3 >/dev/null 2>&1 || bench_die "python3 is not installed (the async section needs it; ASYNC_N=0 skips it)"
	[ "$ASYNC_SECONDS" -ge 1 ] || bench_die "ASYNC_SECONDS must be >= 1"
	if has_policy nats && ! command -v "${NATS_SERVER:-nats-server}" >/dev/null 2>&1; then
		bench_log "nats-server is not installed (scripts/deps.sh): skipping the async nats row"
		keep_pol=()
		for p in "${ASYNC_POLICIES[@]}"; do [ "$p" = nats ] || keep_pol+=("$p"); done
		ASYNC_POLICIES=("${keep_pol[@]}")
	fi
fi
if [ "$ROUNDS" -lt 1 ] || [ "$DURATION" -lt 1 ]; then bench_die "BENCH_SECONDS and BENCH_ROUNDS must be >= 1"; fi

bench_init
cd "$TMP"	# nothing below writes into the repository
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

has_path() {
	local p
	for p in "${PATHS[@]}"; do [[ $p == "$1" ]] && return 0; done
	return 1
}
drop_path() {
	local p keep=()
	for p in "${PATHS[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
	PATHS=("${keep[@]}")
}
needs() {	# needs PREFIX: some path starts with PREFIX
	local p
	for p in "${PATHS[@]}"; do [[ $p == "$1"* ]] && return 0; done
	return 1
}
for p in "${PATHS[@]}"; do
	case $p in
	direct | direct-close | php | php-close) ;;
	gw | gw-close | gw-off | gw-off-close | gw-strict | gw-strict-close | gw-php | gw-php-close) ;;
	gw-cgi | gw-cgi-close | fcgiwrap | fcgiwrap-close) ;;
	gw-py | gw-py-close | uwsgi | gunicorn) ;;
	*) bench_die "unknown path '$p' in BENCH_PATHS" ;;
	esac
done

HELLO=$BUILD/functions/hello
PHP_SCRIPT=$(php_script)

# ---- the Python row's servers, each skipped when it is not installed ---------
PY_HOST=$BUILD/runtimes/python3/gatewayd-python3
if needs gw-py && [ ! -x "$PY_HOST" ]; then
	bench_log "gatewayd's python3 runtime is not built ($PY_HOST is missing; make all): skipping the gw-py paths"
	drop_path gw-py
	drop_path gw-py-close
fi
if has_path uwsgi && { [ ! -x "${UWSGI:-/usr/bin/uwsgi}" ] || [ ! -e /usr/lib/uwsgi/plugins/python3_plugin.so ]; }; then
	bench_log "uWSGI or its python3 plugin is not installed (apt-get install uwsgi uwsgi-plugin-python3): skipping the uwsgi path"
	drop_path uwsgi
fi
if has_path gunicorn && ! /usr/bin/python3 -c 'import gunicorn' >/dev/null 2>&1; then
	bench_log "gunicorn is not installed for /usr/bin/python3 (apt-get install gunicorn): skipping the gunicorn path"
	drop_path gunicorn
fi
[ "${#PATHS[@]}" -gt 0 ] || bench_die "no path left to run"
PY_APP=$(py_app)

# ---- the cold-start program, built before anything is measured ---------------
# Until the Makefile has a rule for it: built like the unit tests, against
# the same libgatewayd.a, when missing or older than its source or the library.
SPAWN_TIME=$BUILD/spawn_time
SPAWN_SRC=$ROOT/tests/bench/spawn_time.c
if [ "$SPAWN_N" -gt 0 ]; then
	[ -f "$BUILD/libgatewayd.a" ] || bench_die "$BUILD/libgatewayd.a is missing (make all)"
	if [ ! -x "$SPAWN_TIME" ] || [ "$SPAWN_SRC" -nt "$SPAWN_TIME" ] || [ "$BUILD/libgatewayd.a" -nt "$SPAWN_TIME" ]; then
		bench_log "building $SPAWN_TIME"
		# shellcheck disable=SC2046 # pkg-config prints several words on purpose
		"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
			-I"$ROOT/common" -I"$ROOT/fcgi-pool" $(pkg-config --cflags inih 2>/dev/null) \
			"$SPAWN_SRC" "$BUILD/libgatewayd.a" -lev -linih -lseccomp -lm \
			-o "$SPAWN_TIME" 2>"$TMP/spawn_time-build.log" ||
			{ bench_tail "$TMP/spawn_time-build.log"; bench_die "could not build $SPAWN_TIME"; }
	fi
fi

# ---- back ends --------------------------------------------------------------
has_path direct && start_direct "$HELLO" direct
has_path direct-close && start_direct "$HELLO" direct-close
has_path fcgiwrap && start_fcgiwrap fcgiwrap
has_path fcgiwrap-close && start_fcgiwrap fcgiwrap-close
CGI_SCRIPT=$(cgi_script)
if needs gw-cgi || needs fcgiwrap; then
	[ -x "$CGI_SCRIPT" ] || bench_die "$CGI_SCRIPT is missing or not executable"
fi
# [hellocgi] and [hellondemand] in gatewayd's config, when used; [pyhello]
# (and [pyondemand] with [hellondemand]) when the python3 runtime is built.
needs gw-cgi && GW_CGI_SCRIPT=$CGI_SCRIPT
[ "$ONDEMAND_N" -gt 0 ] && GW_ONDEMAND=1
if [ -x "$PY_HOST" ] && { needs gw-py || [ "$ONDEMAND_N" -gt 0 ]; }; then GW_PY_HANDLER=$PY_APP; fi
# [hellooff] and [hellostrict] in gatewayd's config, for the paths that use them.
GW_SECCOMP_VARIANTS=""
needs gw-off && GW_SECCOMP_VARIANTS+=" off"
needs gw-strict && GW_SECCOMP_VARIANTS+=" strict"
if needs gw || [ "$ONDEMAND_N" -gt 0 ]; then
	if needs gw-php; then
		GW_PHP_CGI=$(command -v php-cgi || true)
		if [ -z "$GW_PHP_CGI" ]; then
			bench_log "php-cgi is not installed: skipping the gw-php paths"
			drop_path gw-php
			drop_path gw-php-close
		fi
		GW_PHP_SCRIPT=$PHP_SCRIPT
	fi
	if ! start_gatewayd "$BUILD/gatewayd" "$HELLO"; then
		# Only the optional php-cgi function may be dropped.
		if [ -z "${GW_PHP_CGI:-}" ] || ! grep -qi "hellophp\|script" "$TMP/gatewayd.log"; then
			bench_die "gatewayd did not start"
		fi
		bench_log "retrying gatewayd without the [hellophp] php-cgi function (gw-php paths skipped)"
		GW_PHP_CGI=""
		drop_path gw-php
		drop_path gw-php-close
		start_gatewayd "$BUILD/gatewayd" "$HELLO" || bench_die "gatewayd did not start"
	fi
fi
if needs php; then
	start_phpfpm "$PHP_SCRIPT"
fi
has_path uwsgi && start_uwsgi "$PY_APP"
has_path gunicorn && start_gunicorn "$PY_APP"
start_nginx "$PHP_SCRIPT"
BASE=http://127.0.0.1:$BENCH_PORT

path_log() {
	case $1 in
	direct*) echo "$TMP/spawn-fcgi.log" ;;
	gw*) echo "$TMP/gatewayd.log" ;;
	php*) echo "$TMP/php-fpm.log" ;;
	fcgiwrap*) echo "$TMP/fcgiwrap.log" ;;
	uwsgi) echo "$TMP/uwsgi.log" ;;
	gunicorn) echo "$TMP/gunicorn.log" ;;
	esac
}

# ---- correctness first ------------------------------------------------------
for p in "${PATHS[@]}"; do
	check_path "$p" "$BASE/$p/" "$(path_log "$p")"
done
bench_log "all paths answer 200 'hello, world' (nginx on 127.0.0.1:$BENCH_PORT, files in $TMP)"

# The seccomp comparison means something only if the filters are where the
# config says: gatewayd's workers are its spawner's children; /proc/PID/status shows
# "Seccomp: 2" under a filter, 0 without (default and strict both show 2).
if [ -n "$GW_PID" ]; then
	n_filter=0 n_none=0 want_none=0
	for pid in $(gw_worker_pids "$GW_PID"); do
		case $(awk '$1 == "Seccomp:" { print $2 }' "/proc/$pid/status" 2>/dev/null) in
		0) n_none=$((n_none + 1)) ;;
		2) n_filter=$((n_filter + 1)) ;;
		esac
	done
	[[ " $GW_SECCOMP_VARIANTS " == *" off "* ]] && want_none=4
	bench_log "gatewayd's workers: $n_filter under a seccomp filter, $n_none without"
	if [ "$n_none" -ne "$want_none" ] || [ "$n_filter" -lt 4 ]; then
		bench_die "expected $want_none workers without a seccomp filter (seccomp = off) and the others (at least 4) with one"
	fi
fi

# ---- measurement ------------------------------------------------------------
# parse_wrk FILE: prints "req/s p50_ms p99_ms non2xx socket_errors requests".
# wrk prints latencies as 123.45us, 1.23ms, 1.02s (and m, h); all become ms.
# Its "Non-2xx or 3xx responses" line is absent when there were none.
parse_wrk() {
	awk '
	function ms(v,  n, u) {
		n = v; sub(/[a-z]+$/, "", n)
		u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") return n / 1000
		if (u == "ms") return n + 0
		if (u == "s")  return n * 1000
		if (u == "m")  return n * 60000
		if (u == "h")  return n * 3600000
		return -1
	}
	$1 == "50%"                  { p50 = ms($2) }
	$1 == "99%"                  { p99 = ms($2) }
	/^Requests\/sec:/            { rps = $2 }
	/requests in/                { reqs = $1 }
	/Non-2xx or 3xx responses:/  { non = $NF }
	/Socket errors:/             { gsub(/,/, ""); se = $4 + $6 + $8 + $10 }
	END {
		if (rps == "" || p50 == "" || p99 == "" || p50 < 0 || p99 < 0 || reqs + 0 == 0) exit 1
		printf "%.2f %.3f %.3f %d %d %d\n", rps, p50, p99, non, se, reqs
	}' "$1"
}

# CPU seconds (user + system) used so far by PID, from /proc/PID/stat.
TICKS=$(getconf CLK_TCK)
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	stat=${stat##*) }	# fields after "(comm) "; field 3 of stat is now $1
	awk '{ print $12 + $13 }' <<<"$stat"
}

# pool_pids POOL: PIDs of gatewayd's workers of function POOL (the
# BENCH_POOL=POOL that tests/bench/lib.sh puts in their environment).
pool_pids() {
	local pid
	for pid in $(gw_worker_pids "$GW_PID"); do
		tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "BENCH_POOL=$1" && echo "$pid"
	done
	return 0
}
path_pool() {	# path_pool PATH: the gatewayd function behind a gw path (none for CGI)
	case ${1%-close} in
	gw) echo hello ;;
	gw-off) echo hellooff ;;
	gw-strict) echo hellostrict ;;
	gw-php) echo hellophp ;;
	gw-py) echo pyhello ;;
	esac
}
# path_main_pid PATH: the server process whose CPU time is counted for PATH
# (gatewayd, uWSGI's master, gunicorn's arbiter); nothing for the others.
path_main_pid() {
	case $1 in
	gw*) echo "$GW_PID" ;;
	uwsgi) echo "$UWSGI_PID" ;;
	gunicorn) echo "$GUNICORN_PID" ;;
	esac
}
path_main_name() {	# path_main_name PATH: how the CPU line calls that process
	case $1 in
	gw*) echo gatewayd ;;
	uwsgi) echo master ;;
	gunicorn) echo arbiter ;;
	esac
}
# path_worker_pids PATH: the processes that run PATH's function: the pool's
# workers in gatewayd (none for CGI), the master's or arbiter's children.
path_worker_pids() {
	case $1 in
	gw*) [ -z "$(path_pool "$1")" ] || pool_pids "$(path_pool "$1")" ;;
	uwsgi | gunicorn) pgrep -P "$(path_main_pid "$1")" 2>/dev/null || true ;;
	esac
}
pool_ticks() {	# pool_ticks PID...: their CPU ticks added up
	local pid t=0
	for pid in "$@"; do t=$((t + $(cpu_ticks "$pid"))); done
	echo "$t"
}

declare -A RPS P50 P99 NON SOCK REQS GWCPU WKCPU
FAILED=0

run_wrk() {	# run_wrk PATH SECONDS OUTFILE
	wrk -t1 -c"$CONNS" -d"$2s" --timeout 10s --latency "$BASE/$1/" >"$3" 2>&1 || true
}

measure() {	# measure PATH ROUND
	local p=$1 r=$2 out="$TMP/wrk-$1-$2.txt" res c0=0 c1 w0=0 w1 wpids=() pid main
	main=$(path_main_pid "$p")
	if [ -n "$main" ]; then
		c0=$(cpu_ticks "$main")
		# (gw-cgi has no pool: its processes live one request each.)
		read -r -a wpids <<<"$(path_worker_pids "$p" | tr '\n' ' ')"
		w0=$(pool_ticks "${wpids[@]}")
	fi
	run_wrk "$p" "$DURATION" "$out"
	if ! res=$(parse_wrk "$out"); then
		bench_log "could not parse wrk's output for $p (round $r):"
		sed 's/^/  | /' "$out" >&2
		FAILED=1
		return
	fi
	read -r "RPS[$p,$r]" "P50[$p,$r]" "P99[$p,$r]" "NON[$p,$r]" "SOCK[$p,$r]" "REQS[$p,$r]" <<<"$res"
	if [ -n "$main" ]; then
		c1=$(cpu_ticks "$main")
		GWCPU[$p,$r]=$(awk -v a="$c0" -v b="$c1" -v t="$TICKS" -v n="${REQS[$p,$r]}" \
			'BEGIN { printf "%.1f", (n > 0) ? (b - a) / t * 1e6 / n : 0 }')
		# The pool's workers, if the same ones lived through the round
		# (a worker that exited took its CPU time with it).
		w1=$(pool_ticks "${wpids[@]}")
		for pid in "${wpids[@]}"; do pid_alive "$pid" || w1=""; done
		if [ "${#wpids[@]}" -gt 0 ] && [ -n "$w1" ]; then
			WKCPU[$p,$r]=$(awk -v a="$w0" -v b="$w1" -v t="$TICKS" -v n="${REQS[$p,$r]}" \
				'BEGIN { printf "%.1f", (n > 0) ? (b - a) / t * 1e6 / n : 0 }')
		fi
	fi
	printf 'bench: round %d %-13s %10s req/s  p50 %8s ms  p99 %8s ms  non-2xx %s  socket errors %s\n' \
		"$r" "$p" "${RPS[$p,$r]}" "${P50[$p,$r]}" "${P99[$p,$r]}" "${NON[$p,$r]}" "${SOCK[$p,$r]}" >&2
}

if [ "$WARMUP" -gt 0 ]; then
	for p in "${PATHS[@]}"; do
		bench_log "warming up $p (${WARMUP}s)"
		run_wrk "$p" "$WARMUP" "$TMP/wrk-$p-warmup.txt"
	done
fi

bench_log "measuring: wrk -t1 -c$CONNS -d${DURATION}s --timeout 10s --latency, $ROUNDS round(s) per path, interleaved"
for ((r = 1; r <= ROUNDS; r++)); do
	# Odd rounds in the given order, even rounds reversed, so that a slow
	# drift of the machine does not favour one path.
	order=("${PATHS[@]}")
	if ((r % 2 == 0)); then
		order=()
		for ((i = ${#PATHS[@]} - 1; i >= 0; i--)); do order+=("${PATHS[i]}"); done
	fi
	for p in "${order[@]}"; do
		if [[ $p == gw* ]] && ! pid_alive "$GW_PID"; then
			bench_log "gatewayd (PID $GW_PID) is gone"
			bench_tail "$TMP/gatewayd.log"
			bench_die "gatewayd died during the benchmark"
		fi
		if [[ $p == uwsgi || $p == gunicorn ]] && ! pid_alive "$(path_main_pid "$p")"; then
			bench_tail "$(path_log "$p")"
			bench_die "$p (PID $(path_main_pid "$p")) died during the benchmark"
		fi
		measure "$p" "$r"
	done
done

# ---- report -----------------------------------------------------------------
# Per path: the round with the most requests/s, with that round's latencies;
# errors are summed over every round (warm-up excluded).
declare -A B_RPS B_P50 B_P99 T_NON T_SOCK ALL B_CPU B_WCPU M_RPS
for p in "${PATHS[@]}"; do
	best=""
	T_NON[$p]=0
	T_SOCK[$p]=0
	ALL[$p]=""
	for ((r = 1; r <= ROUNDS; r++)); do
		[ -n "${RPS[$p,$r]:-}" ] || continue
		T_NON[$p]=$((T_NON[$p] + NON[$p,$r]))
		T_SOCK[$p]=$((T_SOCK[$p] + SOCK[$p,$r]))
		ALL[$p]+="${RPS[$p,$r]%.*} "
		if [ -z "$best" ] || awk -v a="${RPS[$p,$r]}" -v b="${RPS[$p,$best]}" 'BEGIN { exit !(a > b) }'; then
			best=$r
		fi
	done
	if [ -n "$best" ]; then
		B_RPS[$p]=${RPS[$p,$best]}
		B_P50[$p]=${P50[$p,$best]}
		B_P99[$p]=${P99[$p,$best]}
		B_CPU[$p]=${GWCPU[$p,$best]:-}
		B_WCPU[$p]=${WKCPU[$p,$best]:-}
	fi
	# The median of the rounds, for the comparisons that a single lucky round must not decide.
	M_RPS[$p]=$(tr ' ' '\n' <<<"${ALL[$p]}" | grep . | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	if [ "${T_NON[$p]}" -ne 0 ] || [ "${T_SOCK[$p]}" -ne 0 ]; then FAILED=1; fi
done

echo
echo "gatewayd bench: nginx (1 worker) on loopback, wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS round(s), $(nproc) CPUs"
echo "best round by requests/s (p50/p99 from that round); non-2xx and socket errors summed over all rounds"
echo
printf '%-13s %10s %9s %9s %8s %9s  %s\n' path "req/s" "p50 ms" "p99 ms" non-2xx sock-err "req/s of every round"
for p in "${PATHS[@]}"; do
	if [ -z "${B_RPS[$p]:-}" ]; then
		printf '%-13s %10s\n' "$p" "no result"
		continue
	fi
	printf '%-13s %10.0f %9.3f %9.3f %8d %9d  %s\n' "$p" "${B_RPS[$p]}" "${B_P50[$p]}" "${B_P99[$p]}" \
		"${T_NON[$p]}" "${T_SOCK[$p]}" "${ALL[$p]% }"
done
for p in "${PATHS[@]}"; do
	[ -n "${B_CPU[$p]:-}" ] || continue
	if [[ $p == gw* ]] && [ -z "$(path_pool "$p")" ]; then
		printf 'CPU (user+sys) per request on %-13s gatewayd %6s us   (CGI: forks a process per request)\n' \
			"$p:" "${B_CPU[$p]}"
		continue
	fi
	printf 'CPU (user+sys) per request on %-13s %-8s %6s us   its 4 workers %6s us\n' \
		"$p:" "$(path_main_name "$p")" "${B_CPU[$p]}" "${B_WCPU[$p]:--}"
done

ratio() {	# ratio A B: A/B, or "-" when either is missing
	if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then echo "-"; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-"; else if (a / b < 0.1) printf "%.4f", a / b; else printf "%.2f", a / b }'
}
verdict() {	# verdict VALUE OP LIMIT (OP: >=, > or <=)
	if [ "$1" = "-" ]; then echo "n/a"; return; fi
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? (v >= l) : (op == ">") ? (v > l) : (v <= l); print ok ? "PASS" : "MISS" }'
}

# judge NAME VALUE OP LIMIT: sets VERDICT (verdict VALUE OP LIMIT) and adds
# the target's line to the table printed at the end.
TARGET_ROWS=()
VERDICT=""
judge() {
	VERDICT=$(verdict "$2" "$3" "$4")
	TARGET_ROWS+=("$(printf '%-40s %9s   %-2s %-5s %s' "$1" "$2" "$3" "$4" "$VERDICT")")
}

echo
if has_path gw && { has_path direct || has_path direct-close; }; then
	# The targets are judged against the stronger direct figure of the two
	# direct paths that ran: the higher throughput and the lower p99.
	best_direct_rps="" best_direct_p99=""
	for p in direct direct-close; do
		[ -n "${B_RPS[$p]:-}" ] || continue
		if [ -z "$best_direct_rps" ] || awk -v a="${B_RPS[$p]}" -v b="$best_direct_rps" 'BEGIN { exit !(a > b) }'; then
			best_direct_rps=${B_RPS[$p]}
		fi
		if [ -z "$best_direct_p99" ] || awk -v a="${B_P99[$p]}" -v b="$best_direct_p99" 'BEGIN { exit !(a < b) }'; then
			best_direct_p99=${B_P99[$p]}
		fi
	done
	t_ratio=$(ratio "${B_RPS[gw]:-}" "$best_direct_rps")
	l_ratio=$(ratio "${B_P99[gw]:-}" "$best_direct_p99")
	printf '%-34s %9s %14s %10s\n' ratio "vs direct" "vs direct-close" "vs best"
	judge "gatewayd/direct throughput (best)" "$t_ratio" ">=" 0.95
	printf '%-34s %9s %14s %10s   target >= 0.95  %s\n' "gatewayd/direct throughput" \
		"$(ratio "${B_RPS[gw]:-}" "${B_RPS[direct]:-}")" "$(ratio "${B_RPS[gw]:-}" "${B_RPS[direct-close]:-}")" \
		"$t_ratio" "$VERDICT"
	judge "gatewayd/direct p99 latency (best)" "$l_ratio" "<=" 1.2
	printf '%-34s %9s %14s %10s   target <= 1.20  %s\n' "gatewayd/direct p99 latency" \
		"$(ratio "${B_P99[gw]:-}" "${B_P99[direct]:-}")" "$(ratio "${B_P99[gw]:-}" "${B_P99[direct-close]:-}")" \
		"$l_ratio" "$VERDICT"
fi
if has_path gw-off && { has_path gw || has_path gw-strict; }; then
	# The same pool in the same gatewayd; only the workers' filter differs.
	printf '%-34s %9s %14s %10s %12s\n' "" "req/s" "p99" "worker CPU" "median req/s"
	if has_path gw; then
		m_ratio=$(ratio "${M_RPS[gw]:-}" "${M_RPS[gw-off]:-}")
		judge "seccomp default / off (median req/s)" "$m_ratio" ">=" 0.97
		printf '%-34s %9s %14s %10s %12s   (gw / gw-off) target >= 0.97 (median)  %s\n' \
			"seccomp default vs off" \
			"$(ratio "${B_RPS[gw]:-}" "${B_RPS[gw-off]:-}")" "$(ratio "${B_P99[gw]:-}" "${B_P99[gw-off]:-}")" \
			"$(ratio "${B_WCPU[gw]:-}" "${B_WCPU[gw-off]:-}")" "$m_ratio" "$VERDICT"
	fi
	has_path gw-strict && printf '%-34s %9s %14s %10s %12s   (gw-strict / gw-off)\n' "seccomp strict vs off" \
		"$(ratio "${B_RPS[gw-strict]:-}" "${B_RPS[gw-off]:-}")" "$(ratio "${B_P99[gw-strict]:-}" "${B_P99[gw-off]:-}")" \
		"$(ratio "${B_WCPU[gw-strict]:-}" "${B_WCPU[gw-off]:-}")" \
		"$(ratio "${M_RPS[gw-strict]:-}" "${M_RPS[gw-off]:-}")"
fi
if { has_path php || has_path php-close; } && { has_path gw || has_path gw-php; }; then
	printf '%-34s %9s %14s\n' "" "vs php" "vs php-close"
	has_path gw && printf '%-34s %9s %14s   (C hello vs PHP hello: not equal work)\n' \
		"gatewayd(hello)/php-fpm throughput" \
		"$(ratio "${B_RPS[gw]:-}" "${B_RPS[php]:-}")" "$(ratio "${B_RPS[gw]:-}" "${B_RPS[php-close]:-}")"
	if has_path gw-php; then
		# Judged against the stronger php-fpm figure of the two that ran.
		best_php_rps=""
		for p in php php-close; do
			[ -n "${B_RPS[$p]:-}" ] || continue
			if [ -z "$best_php_rps" ] || awk -v a="${B_RPS[$p]}" -v b="$best_php_rps" 'BEGIN { exit !(a > b) }'; then
				best_php_rps=${B_RPS[$p]}
			fi
		done
		judge "gatewayd(php-cgi)/php-fpm (best)" "$(ratio "${B_RPS[gw-php]:-}" "$best_php_rps")" ">=" 1.1
		printf '%-34s %9s %14s   (equal work: php-cgi vs php-fpm) target >= 1.10 (best)  %s\n' \
			"gatewayd(php-cgi)/php-fpm thrpt" \
			"$(ratio "${B_RPS[gw-php]:-}" "${B_RPS[php]:-}")" "$(ratio "${B_RPS[gw-php]:-}" "${B_RPS[php-close]:-}")" \
			"$VERDICT"
	fi
fi

if { has_path gw-cgi || has_path gw-cgi-close; } && { has_path fcgiwrap || has_path fcgiwrap-close; }; then
	# The same CGI script, a process per request either way; judged, like
	# the direct paths, against the stronger fcgiwrap figure that ran.
	best_fw_rps="" best_fw_p99=""
	for p in fcgiwrap fcgiwrap-close; do
		[ -n "${B_RPS[$p]:-}" ] || continue
		if [ -z "$best_fw_rps" ] || awk -v a="${B_RPS[$p]}" -v b="$best_fw_rps" 'BEGIN { exit !(a > b) }'; then
			best_fw_rps=${B_RPS[$p]}
		fi
		if [ -z "$best_fw_p99" ] || awk -v a="${B_P99[$p]}" -v b="$best_fw_p99" 'BEGIN { exit !(a < b) }'; then
			best_fw_p99=${B_P99[$p]}
		fi
	done
	cgi_path="gw-cgi"
	has_path gw-cgi || cgi_path="gw-cgi-close"
	c_ratio=$(ratio "${B_RPS[$cgi_path]:-}" "$best_fw_rps")
	printf '%-34s %9s %14s %10s\n' "" "vs fcgiwrap" "vs fcgiwrap-cl" "vs best"
	c_p99=$(ratio "${B_P99[$cgi_path]:-}" "$best_fw_p99")
	judge "$cgi_path/fcgiwrap throughput (best)" "$c_ratio" ">=" 1.2
	printf '%-34s %9s %14s %10s   target >= 1.20  %s\n' "$cgi_path/fcgiwrap throughput" \
		"$(ratio "${B_RPS[$cgi_path]:-}" "${B_RPS[fcgiwrap]:-}")" "$(ratio "${B_RPS[$cgi_path]:-}" "${B_RPS[fcgiwrap-close]:-}")" \
		"$c_ratio" "$VERDICT"
	judge "$cgi_path/fcgiwrap p99 latency (best)" "$c_p99" "<=" 1.0
	printf '%-34s %9s %14s %10s   target <= 1.00  %s\n' "$cgi_path/fcgiwrap p99 latency" \
		"$(ratio "${B_P99[$cgi_path]:-}" "${B_P99[fcgiwrap]:-}")" "$(ratio "${B_P99[$cgi_path]:-}" "${B_P99[fcgiwrap-close]:-}")" \
		"$c_p99" "$VERDICT"
fi

if { has_path gw-py || has_path gw-py-close; } && { has_path uwsgi || has_path gunicorn; }; then
	# The same Python file behind 4 processes each way. The targets are
	# judged on the first gatewayd path that ran (gw-py, as gatewayd is
	# deployed: upstream keepalive); gw-py-close, a connection per request
	# like the two peers, is informational.
	printf '%-34s %9s %14s\n' "" "vs uwsgi" "vs gunicorn"
	py_judged=""
	for py_path in gw-py gw-py-close; do
		has_path "$py_path" || continue
		py_t_u=$(ratio "${B_RPS[$py_path]:-}" "${B_RPS[uwsgi]:-}")
		py_t_g=$(ratio "${B_RPS[$py_path]:-}" "${B_RPS[gunicorn]:-}")
		py_l_u=$(ratio "${B_P99[$py_path]:-}" "${B_P99[uwsgi]:-}")
		py_l_g=$(ratio "${B_P99[$py_path]:-}" "${B_P99[gunicorn]:-}")
		if [ -z "$py_judged" ]; then
			py_judged=$py_path
			judge "$py_path/uwsgi throughput" "$py_t_u" ">=" 1.0
			v_u=$VERDICT
			judge "$py_path/gunicorn throughput" "$py_t_g" ">" 1.0
			printf '%-34s %9s %14s   target >= 1.00 uwsgi %s, > 1.00 gunicorn %s\n' \
				"$py_path/peer throughput" "$py_t_u" "$py_t_g" "$v_u" "$VERDICT"
			judge "$py_path/uwsgi p99 latency" "$py_l_u" "<=" 1.0
			printf '%-34s %9s %14s   target <= 1.00 uwsgi %s\n' \
				"$py_path/peer p99 latency" "$py_l_u" "$py_l_g" "$VERDICT"
		else
			printf '%-34s %9s %14s   (informational)\n' "$py_path/peer throughput" "$py_t_u" "$py_t_g"
			printf '%-34s %9s %14s   (informational)\n' "$py_path/peer p99 latency" "$py_l_u" "$py_l_g"
		fi
	done
fi

# ---- cold start ---------------------------------------------------------------
# After the load, on an otherwise idle machine (nginx and gatewayd wait).
if [ "$SPAWN_N" -gt 0 ]; then
	echo
	echo "cold start: one hello worker started through the spawner (worker_socket_start()) up to its first"
	echo "response, $SPAWN_N times per seccomp profile (tests/bench/spawn_time.c)"
	if TMPDIR=$TMP SPAWN_N=$SPAWN_N "$SPAWN_TIME" "$HELLO" >"$TMP/spawn_time.txt" 2>"$TMP/spawn_time.err"; then
		grep -v '^spawn_time:' "$TMP/spawn_time.txt" || true
	else
		sed 's/^/  | /' "$TMP/spawn_time.txt" "$TMP/spawn_time.err"
		bench_log "spawn_time failed (a worker did not start or answer)"
		FAILED=1
	fi
fi

# quantiles FILE: "median p90 min max" of the numbers in FILE, one a line
# (nearest rank, as spawn_time does); "- - - -" when it is empty.
quantiles() {
	sort -n "$1" | awk '
	{ v[NR] = $1 }
	END {
		if (NR == 0) { print "- - - -"; exit }
		m = int((NR * 50 + 99) / 100); p = int((NR * 90 + 99) / 100)
		printf "%.3f %.3f %.3f %.3f\n", v[m], v[p], v[1], v[NR]
	}'
}

# timed_get NAME URL OUTFILE [CURL ARGS...]: one curl; appends its total time
# in ms to OUTFILE when it answered 200 "hello, world", else reports the
# failure and sets FAILED.
timed_get() {
	local name=$1 url=$2 out=$3 res code secs
	shift 3
	res=$(curl -s -m 10 -o "$TMP/timed-$name.body" -w '%{http_code} %{time_total}' "$@" "$url" 2>/dev/null) ||
		res="curl-failed 0"
	read -r code secs <<<"$res"
	if [ "$code" != 200 ] || [ "$(cat "$TMP/timed-$name.body" 2>/dev/null)" != "hello, world" ]; then
		bench_log "$name: $url answered HTTP $code"
		FAILED=1
		return 1
	fi
	awk -v s="$secs" 'BEGIN { printf "%.3f\n", s * 1000 }' >>"$out"
}

# ---- ondemand cold start ------------------------------------------------------
# [hellondemand] (pm = ondemand, pm.process_idle_timeout = 1s) in the same
# gatewayd: ONDEMAND_N times, wait until it has no worker left, then one curl
# through nginx (that request waits for a fork, an exec and the worker's
# start-up), one more right after it (now warm) and one to the static [hello].
# With the python3 runtime, [pyondemand] the same way in the same rounds
# (both pools go idle together, so it costs no extra waiting): a Python
# worker's start-up (the interpreter, the handler's import) to its first
# response, next to the static [pyhello].
# od_busy: some ondemand pool measured here still has a worker.
# php-fpm's [hello_ondemand], when php-fpm runs, is the peer: its children
# are the master's, named "php-fpm: pool hello_ondemand".
od_busy() {
	[ -n "$(pool_pids hellondemand)" ] || { [ -n "${GW_PY_HANDLER:-}" ] && [ -n "$(pool_pids pyondemand)" ]; } ||
		{ [ -n "${PHP_PID:-}" ] && pgrep -P "$PHP_PID" -f "pool hello_ondemand" >/dev/null; }
}
# od_report COLD_LABEL STATIC_LABEL COLD WARM STATIC: the table's rows for one
# ondemand function (COLD_LABEL, e.g. gw-ondemand) and its static twin.
od_report() {
	local c50 c90 cmin cmax w50 w90 wmin wmax s50 s90 smin smax
	read -r c50 c90 cmin cmax <<<"$(quantiles "$3")"
	read -r w50 w90 wmin wmax <<<"$(quantiles "$4")"
	read -r s50 s90 smin smax <<<"$(quantiles "$5")"
	printf '%-40s %8s %8s %8s %8s\n' "$1, no worker (cold)" "$c50" "$c90" "$cmin" "$cmax"
	printf '%-40s %8s %8s %8s %8s\n' "$1, right after (warm)" "$w50" "$w90" "$wmin" "$wmax"
	printf '%-40s %8s %8s %8s %8s\n' "$2, static pool (warm)" "$s50" "$s90" "$smin" "$smax"
	printf '%-40s %8s %8s   (cold - static: the start-up a request waited for)\n' "difference cold - static" \
		"$(awk -v a="$c50" -v b="$s50" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f", a - b }')" \
		"$(awk -v a="$c90" -v b="$s90" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f", a - b }')"
}
if [ "$ONDEMAND_N" -gt 0 ] && [ -n "$GW_PID" ]; then
	od_cold=$TMP/ondemand-cold.ms od_warm=$TMP/ondemand-warm.ms od_static=$TMP/ondemand-static.ms
	py_cold=$TMP/ondemand-py-cold.ms py_warm=$TMP/ondemand-py-warm.ms py_static=$TMP/ondemand-py-static.ms
	php_cold=$TMP/ondemand-php-cold.ms php_warm=$TMP/ondemand-php-warm.ms
	: >"$php_cold"
	: >"$php_warm"
	: >"$od_cold"
	: >"$od_warm"
	: >"$od_static"
	: >"$py_cold"
	: >"$py_warm"
	: >"$py_static"
	od_waits=0
	od_what="[hellondemand]"
	[ -n "${GW_PY_HANDLER:-}" ] && od_what="[hellondemand] and [pyondemand]"
	bench_log "ondemand: $ONDEMAND_N cold requests to $od_what, each after its last worker was stopped (1s idle)"
	for ((i = 1; i <= ONDEMAND_N; i++)); do
		# At most 10 s for the idle worker to go (1 s idle + gatewayd's 1 s tick).
		for ((w = 0; w < 200; w++)); do
			od_busy || break
			sleep 0.05
		done
		if od_busy; then
			bench_log "ondemand: $od_what still has a worker after 10 s idle (pm.process_idle_timeout = 1s); stopping the section"
			break
		fi
		od_waits=$((od_waits + w))
		timed_get gw-ondemand "$BASE/gw-ondemand/" "$od_cold" || break
		timed_get gw-ondemand "$BASE/gw-ondemand/" "$od_warm" || break
		timed_get gw "$BASE/gw/" "$od_static" || break
		if [ -n "${PHP_PID:-}" ]; then
			timed_get php-ondemand "$BASE/php-ondemand/" "$php_cold" || break
			timed_get php-ondemand "$BASE/php-ondemand/" "$php_warm" || break
		fi
		if [ -n "${GW_PY_HANDLER:-}" ]; then
			timed_get gw-py-ondemand "$BASE/gw-py-ondemand/" "$py_cold" || break
			timed_get gw-py-ondemand "$BASE/gw-py-ondemand/" "$py_warm" || break
			timed_get gw-py "$BASE/gw-py/" "$py_static" || break
		fi
	done
	echo
	echo "ondemand cold start: one curl through nginx to $od_what (pm = ondemand, idle timeout 1s)"
	echo "once it has no worker left, $(wc -l <"$od_cold") times; curl's time_total in ms"
	printf '%-40s %8s %8s %8s %8s\n' request median p90 min max
	od_report gw-ondemand gw "$od_cold" "$od_warm" "$od_static"
	read -r od_median _ <<<"$(quantiles "$od_cold")"
	php_median="-"
	if [ -s "$php_cold" ]; then
		read -r php_median php90 phpmin phpmax <<<"$(quantiles "$php_cold")"
		printf '%-40s %8s %8s %8s %8s\n' "php-ondemand (php-fpm), no child (cold)" "$php_median" "$php90" "$phpmin" "$phpmax"
		read -r w50 w90 wmin wmax <<<"$(quantiles "$php_warm")"
		printf '%-40s %8s %8s %8s %8s\n' "php-ondemand (php-fpm), right after" "$w50" "$w90" "$wmin" "$wmax"
	fi
	judge "gw-ondemand cold start, median ms" "$od_median" "<=" 1.6
	judge "gw-ondemand / php-fpm ondemand cold" "$(ratio "$od_median" "$php_median")" "<=" 0.65
	[ -n "${GW_PY_HANDLER:-}" ] && od_report gw-py-ondemand gw-py "$py_cold" "$py_warm" "$py_static"
	echo "(waited on average $(awk -v w="$od_waits" -v n="$(wc -l <"$od_cold")" 'BEGIN { printf "%.2f", n ? w * 0.05 / n : 0 }') s per cold request for the idle worker to be stopped)"
fi

# ---- async --------------------------------------------------------------------
# A second gatewayd (TMP/gwa.sock, nginx's /gw-async/) with [helloasync]:
# a static pool of 4 hello, async = on, async.queue_size = 1000000, and its
# journal in TMP/async, its run_dir. Per async.fsync policy, a fresh gatewayd and a fresh
# journal: first ASYNC_N jobs through tests/bench/async_flood.py (straight
# to the socket: accept them all, then wait until every one has run), then
# ASYNC_SECONDS of wrk with X-Async: true through nginx (202s per second).
# The "nats" policy is the same gatewayd and the same two measurements with
# async.backend = nats instead of the journal, on one nats-server started
# here for it (start_nats: JetStream, store in TMP/nats, loopback; fresh, so
# the stream and bucket are empty), stopped by bench_cleanup.
if [ "$ASYNC_N" -gt 0 ]; then
	[ -d "$TMP/async" ] || mkdir -m 0700 "$TMP/async"
	declare -A A_RPS A_P50 A_P99 A_ACC A_DRAIN A_TAIL
	for pol in "${ASYNC_POLICIES[@]}"; do
		what=$(async_what "$pol")
		store=$TMP/async/journal
		rm -f "$TMP/async/journal" "$TMP/async/journal.tmp"
		if [ "$pol" = nats ]; then
			if [ -z "$NATS_PID" ] && ! start_nats; then
				bench_log "$what: nats-server did not start (log $TMP/nats-server.log)"
				FAILED=1
				continue
			fi
			store=$NATS_URL
			bench_log "$what: nats-server (PID $NATS_PID) on $NATS_URL, JetStream store in $TMP/nats"
		fi
		if ! start_gatewayd_async "$BUILD/gatewayd" "$HELLO" "$pol" "$store"; then
			FAILED=1
			continue
		fi
		check_path gw-async "$BASE/gw-async/" "$TMP/gatewayd-async.log"
		bench_log "$what: $ASYNC_N jobs through tests/bench/async_flood.py"
		if python3 "$ROOT/tests/bench/async_flood.py" "$TMP/gwa.sock" --function helloasync \
			-n "$ASYNC_N" --timeout 120 >"$TMP/async-flood-$pol.txt" 2>&1; then
			A_ACC[$pol]=$(sed -n 's/.* accept_s=\([0-9.]*\).*/\1/p' "$TMP/async-flood-$pol.txt")
			A_DRAIN[$pol]=$(sed -n 's/.* drain_s=\([0-9.]*\).*/\1/p' "$TMP/async-flood-$pol.txt")
			A_TAIL[$pol]=$(sed -n 's/.* tail_s=\([0-9.]*\).*/\1/p' "$TMP/async-flood-$pol.txt")
		else
			bench_log "$what: not every job was accepted and run:"
			sed 's/^/  | /' "$TMP/async-flood-$pol.txt" >&2
			FAILED=1
		fi
		out=$TMP/wrk-gw-async-$pol.txt
		bench_log "$what: wrk -H 'X-Async: true' for ${ASYNC_SECONDS}s"
		wrk -t1 -c"$CONNS" -d"${ASYNC_SECONDS}s" --timeout 10s --latency -H 'X-Async: true' \
			"$BASE/gw-async/" >"$out" 2>&1 || true
		if res=$(parse_wrk "$out"); then
			read -r rps p50 p99 non sock _ <<<"$res"
			A_RPS[$pol]=$rps A_P50[$pol]=$p50 A_P99[$pol]=$p99
			if [ "$non" -ne 0 ] || [ "$sock" -ne 0 ]; then
				bench_log "$what: $non answers other than 2xx, $sock socket errors"
				FAILED=1
			fi
		else
			bench_log "could not parse wrk's output for gw-async ($pol):"
			sed 's/^/  | /' "$out" >&2
			FAILED=1
		fi
		if ! pid_alive "$GWA_PID"; then
			bench_log "the async gatewayd ($what) died"
			bench_tail "$TMP/gatewayd-async.log"
			FAILED=1
		fi
		stop_gatewayd_async
	done
	# Callback deliveries: ASYNC_CALLBACK_N jobs naming a receiver on loopback;
	# the rate is from the first request sent to the last delivery received.
	CB_RATE="" CB_SECONDS=""
	if [ "$ASYNC_CALLBACK_N" -gt 0 ]; then
		rm -f "$TMP/async/journal" "$TMP/cb.port" "$TMP/cb.out"
		printf 'bench-secret\n' >"$TMP/cb.secret"
		chmod 0600 "$TMP/cb.secret"
		python3 "$ROOT/tests/bench/callback_sink.py" --port-file "$TMP/cb.port" \
			--expect "$ASYNC_CALLBACK_N" --out "$TMP/cb.out" 2>>"$TMP/callback_sink.log" &
		BENCH_EXTRA_PIDS+=("$!")
		for ((i = 0; i < 50; i++)); do [ -s "$TMP/cb.port" ] && break; sleep 0.1; done
		cb_port=$(cat "$TMP/cb.port" 2>/dev/null || true)
		if [ -n "$cb_port" ] && start_gatewayd_async "$BUILD/gatewayd" "$HELLO" batch "$TMP/async/journal" \
			"async.callback_allow = http://127.0.0.1:$cb_port/
async.callback_secret_file = $TMP/cb.secret"; then
			bench_log "callbacks: $ASYNC_CALLBACK_N jobs delivered to 127.0.0.1:$cb_port"
			if python3 "$ROOT/tests/bench/async_flood.py" "$TMP/gwa.sock" --function helloasync \
				-n "$ASYNC_CALLBACK_N" --timeout 120 --callback "http://127.0.0.1:$cb_port/in" \
				>"$TMP/async-flood-callback.txt" 2>&1; then
				for ((i = 0; i < 600; i++)); do [ -s "$TMP/cb.out" ] && break; sleep 0.1; done
			fi
			cb_start=$(sed -n 's/.* start=\([0-9.]*\).*/\1/p' "$TMP/async-flood-callback.txt")
			cb_last=$(sed -n 's/.* last=\([0-9.]*\).*/\1/p' "$TMP/cb.out" 2>/dev/null || true)
			if [ -n "$cb_start" ] && [ -n "$cb_last" ]; then
				CB_SECONDS=$(awk -v a="$cb_start" -v b="$cb_last" 'BEGIN { printf "%.3f", b - a }')
				CB_RATE=$(awk -v n="$ASYNC_CALLBACK_N" -v s="$CB_SECONDS" 'BEGIN { if (s > 0) printf "%.0f", n / s }')
			else
				bench_log "callbacks: not every delivery arrived within 60 s:"
				sed 's/^/  | /' "$TMP/async-flood-callback.txt" >&2
				FAILED=1
			fi
			stop_gatewayd_async
		else
			bench_log "callbacks: the receiver or its gatewayd did not start"
			FAILED=1
		fi
	fi
	echo
	echo "async: [helloasync] (static pool of 4 hello, async = on) in its own gatewayd, restarted per"
	if has_policy nats; then
		echo "async.fsync policy, and for nats with async.backend = nats (a local nats-server, nats.replicas = 1);"
		echo "accepts: wrk -t1 -c$CONNS -d${ASYNC_SECONDS}s -H 'X-Async: true' through nginx (202s);"
	else
		echo "async.fsync policy; accepts: wrk -t1 -c$CONNS -d${ASYNC_SECONDS}s -H 'X-Async: true' through nginx (202s);"
	fi
	echo "flood: $ASYNC_N jobs over one kept FastCGI connection, 32 in flight (tests/bench/async_flood.py):"
	echo "accept s = until the last 202; drain s = first accept to last job finished (gatewayd's"
	echo "timestamps); tail s = last accept to last job finished; jobs/s = $ASYNC_N / drain s"
	printf '%-8s %10s %9s %9s %10s %9s %9s %9s\n' policy "accepts/s" "p50 ms" "p99 ms" "accept s" "drain s" "tail s" "jobs/s"
	for pol in "${ASYNC_POLICIES[@]}"; do
		printf '%-8s %10s %9s %9s %10s %9s %9s %9s\n' "$pol" \
			"$(awk -v v="${A_RPS[$pol]:-}" 'BEGIN { if (v == "") print "-"; else printf "%.0f", v }')" \
			"${A_P50[$pol]:--}" "${A_P99[$pol]:--}" "${A_ACC[$pol]:--}" "${A_DRAIN[$pol]:--}" "${A_TAIL[$pol]:--}" \
			"$(awk -v d="${A_DRAIN[$pol]:-}" -v n="$ASYNC_N" 'BEGIN { if (d == "" || d <= 0) print "-"; else printf "%.0f", n / d }')"
	done
	echo "the journal's file system (where fsync goes; tmpfs would make it nearly free):"
	df -T "$TMP/async" | sed 's/^/  /'
	has_policy nats && echo "  (nats-server's JetStream store, $TMP/nats, is on the same one)"
	if has_path gw; then
		printf '%-34s %9s\n' "" "vs gw"
		for pol in "${ASYNC_POLICIES[@]}"; do
			a_ratio=$(ratio "${A_RPS[$pol]:-}" "${B_RPS[gw]:-}")
			if [ "$pol" = batch ]; then
				judge "async accepts/s ($pol) / gw req/s" "$a_ratio" ">=" 1.0
				printf '%-34s %9s   target >= 1.00  %s\n' "async accepts/s ($pol) / gw req/s" "$a_ratio" "$VERDICT"
			else
				printf '%-34s %9s   (informational)\n' "async accepts/s ($pol) / gw req/s" "$a_ratio"
			fi
		done
	fi
	if [ "$ASYNC_CALLBACK_N" -gt 0 ]; then
		printf '%-34s %9s   (%s jobs, fsync batch: first request sent to last delivery received, %s s)\n' \
			"callback deliveries/s" "${CB_RATE:--}" "$ASYNC_CALLBACK_N" "${CB_SECONDS:--}"
	fi
	# Group commit: always answers each 202 after an fdatasync, but one covers
	# every job accepted in a loop iteration, so it should keep up with batch.
	if [ -n "${A_RPS[always]:-}" ] && [ -n "${A_RPS[batch]:-}" ]; then
		g_ratio=$(ratio "${A_RPS[always]}" "${A_RPS[batch]}")
		judge "async accepts/s always / batch" "$g_ratio" ">=" 0.6
		printf '%-34s %9s   target >= 0.60  %s\n' "async accepts/s always / batch" "$g_ratio" "$VERDICT"
	fi
	# Issue 14: the NATS JetStream backend (every 202 waits for JetStream's
	# acks of the job's state and of its message) accepts at least half
	# as fast as the journal's batch policy. The flood's figures beside it
	# (async_flood.py: batch's accept s and drain s over nats's) inform.
	if has_policy nats && has_policy batch; then
		n_ratio=$(ratio "${A_RPS[nats]:-}" "${A_RPS[batch]:-}")
		judge "async accepts/s nats / batch" "$n_ratio" ">=" 0.5
		printf '%-34s %9s   target >= 0.50  %s\n' "async accepts/s nats / batch" "$n_ratio" "$VERDICT"
		printf '%-34s %9s   (informational: %s jobs, batch accept s / nats accept s)\n' \
			"flood accepts/s nats / batch" "$(ratio "${A_ACC[batch]:-}" "${A_ACC[nats]:-}")" "$ASYNC_N"
		printf '%-34s %9s   (informational: batch drain s / nats drain s)\n' \
			"flood jobs/s nats / batch" "$(ratio "${A_DRAIN[batch]:-}" "${A_DRAIN[nats]:-}")"
	fi
fi

if [ -n "$GW_PID" ]; then
	if ! pid_alive "$GW_PID"; then
		bench_log "gatewayd exited during the benchmark"
		FAILED=1
	fi
	if [ -s "$TMP/gatewayd.log" ]; then
		echo
		echo "gatewayd wrote $(wc -l <"$TMP/gatewayd.log") log line(s) at log_level = warn; the last ones:"
		tail -n 5 "$TMP/gatewayd.log" | sed 's/^/  | /'
	fi
fi
if [ -s "$TMP/gatewayd-async.log" ]; then
	echo
	echo "the async gatewayd wrote $(wc -l <"$TMP/gatewayd-async.log") log line(s) at log_level = warn; the last ones:"
	tail -n 5 "$TMP/gatewayd-async.log" | sed 's/^/  | /'
fi
if [ "${#TARGET_ROWS[@]}" -gt 0 ]; then
	echo
	echo "targets, this run:"
	printf '%-40s %9s   %s\n' "" "measured" "target"
	printf '%s\n' "${TARGET_ROWS[@]}"
fi
echo
if [ "$FAILED" -ne 0 ]; then
	echo "bench: FAILED: some requests failed (non-2xx, socket errors, unreadable wrk output or a cold start); see above"
	BENCH_KEEP_TMP=1
	exit 1
fi
echo "bench: all requests succeeded (targets inform, they do not fail the bench)"
