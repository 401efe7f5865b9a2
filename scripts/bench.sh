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
#
# Then a "cold start" section: BUILD_DIR/spawn_time (tests/bench/spawn_time.c,
# built here if missing or out of date) times spawning one hello worker up to
# its first response, under seccomp off, default and strict.
#
# See docs/bench.md for what the numbers mean. Environment:
#   BENCH_SECONDS  seconds per measurement (10)     BENCH_ROUNDS  rounds (2)
#   BENCH_WARMUP   warm-up seconds per path (2)     BENCH_KEEP_TMP=1 keep logs
#   BENCH_PATHS    paths to run, in order ("direct direct-close gw gw-off gw-strict
#                  gw-php php php-close"; every gw path has a -close twin too)
#   SPAWN_N        cold starts per seccomp profile (100); 0 skips the section
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

DURATION=${BENCH_SECONDS:-10}
ROUNDS=${BENCH_ROUNDS:-2}
WARMUP=${BENCH_WARMUP:-2}
read -r -a PATHS <<<"${BENCH_PATHS:-direct direct-close gw gw-off gw-strict gw-php php php-close}"
SPAWN_N=${SPAWN_N:-100}
CONNS=16
case $DURATION$ROUNDS$WARMUP$SPAWN_N in *[!0-9]*) bench_die "BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP and SPAWN_N must be integers" ;; esac
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
	*) bench_die "unknown path '$p' in BENCH_PATHS" ;;
	esac
done

HELLO=$BUILD/functions/hello
PHP_SCRIPT=$(php_script)

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
			-I"$ROOT/gatewayd" -I"$ROOT/fcgi-pool" $(pkg-config --cflags inih 2>/dev/null) \
			"$SPAWN_SRC" "$BUILD/libgatewayd.a" -lev -linih -lseccomp -lm \
			-o "$SPAWN_TIME" 2>"$TMP/spawn_time-build.log" ||
			{ bench_tail "$TMP/spawn_time-build.log"; bench_die "could not build $SPAWN_TIME"; }
	fi
fi

# ---- back ends --------------------------------------------------------------
has_path direct && start_direct "$HELLO" direct
has_path direct-close && start_direct "$HELLO" direct-close
# [hellooff] and [hellostrict] in gatewayd's config, for the paths that use them.
GW_SECCOMP_VARIANTS=""
needs gw-off && GW_SECCOMP_VARIANTS+=" off"
needs gw-strict && GW_SECCOMP_VARIANTS+=" strict"
if needs gw; then
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
start_nginx "$PHP_SCRIPT"
BASE=http://127.0.0.1:$BENCH_PORT

path_log() {
	case $1 in
	direct*) echo "$TMP/spawn-fcgi.log" ;;
	gw*) echo "$TMP/gatewayd.log" ;;
	php*) echo "$TMP/php-fpm.log" ;;
	esac
}

# ---- correctness first ------------------------------------------------------
for p in "${PATHS[@]}"; do
	check_path "$p" "$BASE/$p/" "$(path_log "$p")"
done
bench_log "all paths answer 200 'hello, world' (nginx on 127.0.0.1:$BENCH_PORT, files in $TMP)"

# The seccomp comparison means something only if the filters are where the
# config says: gatewayd's workers are its children; /proc/PID/status shows
# "Seccomp: 2" under a filter, 0 without (default and strict both show 2).
if [ -n "$GW_PID" ]; then
	n_filter=0 n_none=0 want_none=0
	for pid in $(pgrep -P "$GW_PID" 2>/dev/null); do
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
	for pid in $(pgrep -P "$GW_PID" 2>/dev/null); do
		tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "BENCH_POOL=$1" && echo "$pid"
	done
	return 0
}
path_pool() {	# path_pool PATH: the gatewayd function behind a gw path
	case ${1%-close} in
	gw) echo hello ;;
	gw-off) echo hellooff ;;
	gw-strict) echo hellostrict ;;
	gw-php) echo hellophp ;;
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
	local p=$1 r=$2 out="$TMP/wrk-$1-$2.txt" res c0=0 c1 w0=0 w1 wpids=() pid
	if [[ $p == gw* ]]; then
		c0=$(cpu_ticks "$GW_PID")
		read -r -a wpids <<<"$(pool_pids "$(path_pool "$p")" | tr '\n' ' ')"
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
	if [[ $p == gw* ]]; then
		c1=$(cpu_ticks "$GW_PID")
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
		measure "$p" "$r"
	done
done

# ---- report -----------------------------------------------------------------
# Per path: the round with the most requests/s, with that round's latencies;
# errors are summed over every round (warm-up excluded).
declare -A B_RPS B_P50 B_P99 T_NON T_SOCK ALL B_CPU B_WCPU
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
	printf 'CPU (user+sys) per request on %-13s gatewayd %6s us   its 4 workers %6s us\n' \
		"$p:" "${B_CPU[$p]}" "${B_WCPU[$p]:--}"
done

ratio() {	# ratio A B: A/B, or "-" when either is missing
	if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then echo "-"; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-"; else if (a / b < 0.1) printf "%.4f", a / b; else printf "%.2f", a / b }'
}
verdict() {	# verdict VALUE OP LIMIT
	if [ "$1" = "-" ]; then echo "n/a"; return; fi
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? (v >= l) : (v <= l); print ok ? "PASS" : "MISS" }'
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
	printf '%-34s %9s %14s %10s   target >= 0.90  %s\n' "gatewayd/direct throughput" \
		"$(ratio "${B_RPS[gw]:-}" "${B_RPS[direct]:-}")" "$(ratio "${B_RPS[gw]:-}" "${B_RPS[direct-close]:-}")" \
		"$t_ratio" "$(verdict "$t_ratio" ">=" 0.9)"
	printf '%-34s %9s %14s %10s   target <= 1.50  %s\n' "gatewayd/direct p99 latency" \
		"$(ratio "${B_P99[gw]:-}" "${B_P99[direct]:-}")" "$(ratio "${B_P99[gw]:-}" "${B_P99[direct-close]:-}")" \
		"$l_ratio" "$(verdict "$l_ratio" "<=" 1.5)"
fi
if has_path gw-off && { has_path gw || has_path gw-strict; }; then
	# The same pool in the same gatewayd; only the workers' filter differs.
	printf '%-34s %9s %14s %10s\n' "" "req/s" "p99" "worker CPU"
	has_path gw && printf '%-34s %9s %14s %10s   (gw / gw-off)\n' "seccomp default vs off" \
		"$(ratio "${B_RPS[gw]:-}" "${B_RPS[gw-off]:-}")" "$(ratio "${B_P99[gw]:-}" "${B_P99[gw-off]:-}")" \
		"$(ratio "${B_WCPU[gw]:-}" "${B_WCPU[gw-off]:-}")"
	has_path gw-strict && printf '%-34s %9s %14s %10s   (gw-strict / gw-off)\n' "seccomp strict vs off" \
		"$(ratio "${B_RPS[gw-strict]:-}" "${B_RPS[gw-off]:-}")" "$(ratio "${B_P99[gw-strict]:-}" "${B_P99[gw-off]:-}")" \
		"$(ratio "${B_WCPU[gw-strict]:-}" "${B_WCPU[gw-off]:-}")"
fi
if { has_path php || has_path php-close; } && { has_path gw || has_path gw-php; }; then
	printf '%-34s %9s %14s\n' "" "vs php" "vs php-close"
	has_path gw && printf '%-34s %9s %14s   (C hello vs PHP hello: not equal work)\n' \
		"gatewayd(hello)/php-fpm throughput" \
		"$(ratio "${B_RPS[gw]:-}" "${B_RPS[php]:-}")" "$(ratio "${B_RPS[gw]:-}" "${B_RPS[php-close]:-}")"
	has_path gw-php && printf '%-34s %9s %14s   (equal work: php-cgi vs php-fpm)\n' \
		"gatewayd(php-cgi)/php-fpm thrpt" \
		"$(ratio "${B_RPS[gw-php]:-}" "${B_RPS[php]:-}")" "$(ratio "${B_RPS[gw-php]:-}" "${B_RPS[php-close]:-}")"
fi

# ---- cold start ---------------------------------------------------------------
# After the load, on an otherwise idle machine (nginx and gatewayd wait).
if [ "$SPAWN_N" -gt 0 ]; then
	echo
	echo "cold start: one hello worker spawned by fcgi-pool's spawn_worker() up to its first"
	echo "response, $SPAWN_N times per seccomp profile (tests/bench/spawn_time.c)"
	if TMPDIR=$TMP SPAWN_N=$SPAWN_N "$SPAWN_TIME" "$HELLO" >"$TMP/spawn_time.txt" 2>"$TMP/spawn_time.err"; then
		grep -v '^spawn_time:' "$TMP/spawn_time.txt" || true
	else
		sed 's/^/  | /' "$TMP/spawn_time.txt" "$TMP/spawn_time.err"
		bench_log "spawn_time failed (a worker did not start or answer)"
		FAILED=1
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
echo
if [ "$FAILED" -ne 0 ]; then
	echo "bench: FAILED: some requests failed (non-2xx, socket errors, unreadable wrk output or a cold start); see above"
	BENCH_KEEP_TMP=1
	exit 1
fi
echo "bench: all requests succeeded (targets inform, they do not fail the bench)"
