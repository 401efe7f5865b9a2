#!/bin/bash
# scripts/callgrind.sh BUILD_DIR: what one request costs inside gatewayd.
#
# 1. Instructions per request. gatewayd (with a static pool of 4 hello
#    workers) runs under valgrind --tool=callgrind --trace-children=no, so
#    only the daemon is counted, not its workers. One curl sends N sequential
#    requests over one keep-alive connection through nginx (/gw/, upstream
#    keepalive + fastcgi_keep_conn on, as in the bench). Two separate runs,
#    N1 and N2 requests, each with its own fresh nginx and gatewayd, and
#        Ir per request = (Ir(N2) - Ir(N1)) / (N2 - N1)
#    so start-up, the first request and shut-down cancel out. The same
#    difference is taken per function (callgrind_annotate, inclusive and
#    exclusive) to show where a request's instructions go.
# 2. System calls per request. gatewayd runs natively; strace -c -f -p
#    attaches to it, first for an idle period, then for a batch of
#    CALLGRIND_STRACE_N requests.
#
# Environment: CALLGRIND_N1 (200), CALLGRIND_N2 (2200), CALLGRIND_STRACE_N
# (1000), CALLGRIND_TOP (15 functions), BENCH_KEEP_TMP=1 keeps the files.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"

[ $# -eq 1 ] || bench_die "usage: scripts/callgrind.sh BUILD_DIR"
BUILD=$(cd "$1" 2>/dev/null && pwd) || bench_die "build directory '$1' does not exist (make all)"
N1=${CALLGRIND_N1:-200}
N2=${CALLGRIND_N2:-2200}
NS=${CALLGRIND_STRACE_N:-1000}
TOP=${CALLGRIND_TOP:-15}
case $N1$N2$NS$TOP in *[!0-9]*) bench_die "CALLGRIND_* must be integers" ;; esac
[ "$N2" -gt "$N1" ] || bench_die "CALLGRIND_N2 must be greater than CALLGRIND_N1"
for t in valgrind callgrind_annotate strace python3; do
	command -v "$t" >/dev/null 2>&1 || bench_die "$t is not installed"
done

bench_init
cd "$TMP"	# nothing below writes into the repository
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

GATEWAYD=$BUILD/gatewayd
HELLO=$BUILD/functions/hello
PHP_SCRIPT=$(php_script)

# send N: N sequential requests on one keep-alive connection (curl's URL
# globbing); every one must answer 200.
send() {
	local n=$1 codes bad
	codes=$(curl -s -m 600 -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$BENCH_PORT/gw/?i=[1-$n]") || true
	bad=$(grep -cv '^200$' <<<"$codes" || true)
	if [ "$(grep -c '^200$' <<<"$codes" || true)" -ne "$n" ] || [ "$bad" -ne 0 ]; then
		bench_tail "$TMP/gatewayd.log"
		bench_die "$bad of $n requests through gatewayd did not answer 200"
	fi
}

stop_front_and_gatewayd() {
	stop_child "$NGINX_PID" 5
	NGINX_PID=""
	stop_gatewayd
}

# callgrind_run N: one fresh nginx + gatewayd under callgrind; N requests
# after the one check request. Leaves TMP/callgrind.N.out.
callgrind_run() {
	local n=$1 f
	mkdir -p -m 0755 "$TMP/raw"
	rm -f "$TMP"/raw/callgrind.*.raw
	GW_START_SECONDS=60 start_gatewayd "$GATEWAYD" "$HELLO" \
		valgrind --tool=callgrind --trace-children=no \
		--callgrind-out-file="$TMP/raw/callgrind.%p.raw" ||
		bench_die "gatewayd did not start under valgrind"
	local pid=$GW_PID
	# valgrind made the profile as root, at start; gatewayd writes it at exit
	# as its own user.
	chmod 0666 "$TMP/raw/callgrind.$pid.raw" 2>/dev/null || true
	start_nginx "$PHP_SCRIPT"
	check_path gw "http://127.0.0.1:$BENCH_PORT/gw/" "$TMP/gatewayd.log"
	send "$n"
	# gatewayd must exit on SIGTERM for callgrind to write its profile.
	stop_child "$NGINX_PID" 5
	NGINX_PID=""
	kill -TERM "$pid" 2>/dev/null || true
	local i
	for ((i = 0; i < 600; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	pid_alive "$pid" && bench_log "gatewayd under valgrind did not exit 60 s after SIGTERM"
	stop_gatewayd
	f="$TMP/raw/callgrind.$pid.raw"
	[ -s "$f" ] || { bench_tail "$TMP/gatewayd.log"; bench_die "callgrind wrote no profile for gatewayd (PID $pid)"; }
	mv "$f" "$TMP/callgrind.$n.out"
	cp "$TMP/gatewayd.log" "$TMP/gatewayd-callgrind-$n.log"
}

total_ir() {	# the "totals:" (or "summary:") line of a callgrind profile
	awk '/^(totals|summary):/ { print $2; exit }' "$1"
}

bench_log "callgrind run with $N1 requests"
callgrind_run "$N1"
bench_log "callgrind run with $N2 requests"
callgrind_run "$N2"

IR1=$(total_ir "$TMP/callgrind.$N1.out")
IR2=$(total_ir "$TMP/callgrind.$N2.out")
if [ -z "$IR1" ] || [ -z "$IR2" ]; then bench_die "no instruction totals in the callgrind profiles"; fi

for n in "$N1" "$N2"; do
	callgrind_annotate --inclusive=yes --threshold=100 "$TMP/callgrind.$n.out" >"$TMP/annotate-incl.$n.txt" 2>/dev/null
	callgrind_annotate --inclusive=no --threshold=100 "$TMP/callgrind.$n.out" >"$TMP/annotate-excl.$n.txt" 2>/dev/null
done

echo
echo "== instructions per request inside gatewayd (callgrind, workers not counted)"
printf 'Ir with %5d requests: %15s\n' "$N1" "$IR1"
printf 'Ir with %5d requests: %15s\n' "$N2" "$IR2"
awk -v a="$IR1" -v b="$IR2" -v n1="$N1" -v n2="$N2" \
	'BEGIN { printf "Ir per request: (%.0f - %.0f) / (%d - %d) = %.0f\n", b, a, n2, n1, (b - a) / (n2 - n1) }'

# Per-function difference of two callgrind_annotate listings.
python3 - "$TMP" "$N1" "$N2" "$TOP" <<'EOF'
import re
import sys

tmp, n1, n2, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
line_re = re.compile(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(\S.*?)\s*$")


def load(path):
    costs = {}
    started = False
    for line in open(path, encoding="utf-8", errors="replace"):
        if "PROGRAM TOTALS" in line:
            started = True
            continue
        if not started:
            continue
        if line.startswith("-- ") or line.startswith("Auto-annotated"):
            break
        m = line_re.match(line)
        if not m:
            continue
        name = re.sub(r"\s*\[[^\]]*\]$", "", m.group(2))  # drop " [/path/to/object]"
        costs[name] = costs.get(name, 0) + int(m.group(1).replace(",", ""))
    return costs


def merged(path, kind):
    # One function can appear under several file names (relative and
    # absolute debug paths, inlined copies): merge them by "file:function"
    # with the directory dropped. Self costs add up; inclusive costs of the
    # same function overlap, so take the largest. Start-up frames are noise.
    out = {}
    for name, v in load(path).items():
        if kind == "incl" and re.search(r"below main|libc_start|:0x[0-9a-f]+$", name):
            continue
        key = re.sub(r"^.*/", "", name)
        out[key] = out.get(key, 0) + v if kind == "excl" else max(out.get(key, 0), v)
    return out


for kind, title in (("incl", "inclusive"), ("excl", "exclusive (self)")):
    a = merged(f"{tmp}/annotate-{kind}.{n1}.txt", kind)
    b = merged(f"{tmp}/annotate-{kind}.{n2}.txt", kind)
    per = {k: (b.get(k, 0) - a.get(k, 0)) / (n2 - n1) for k in set(a) | set(b)}
    rows = sorted(per.items(), key=lambda kv: -kv[1])[:top]
    print(f"\n== top {top} functions by {title} instructions per request")
    print(f"{'Ir/request':>12}  function")
    for name, v in rows:
        print(f"{v:12.1f}  {name}")
EOF

# ---- system calls -----------------------------------------------------------
# strace_batch SECONDS|-n N OUT: strace -c over an idle period or a batch.
strace_attach() {
	local out=$1 i
	strace -c -f -p "$GW_PID" -o "$out" 2>"$out.err" &
	STRACE_PID=$!
	BENCH_PIDS+=("$STRACE_PID")
	for ((i = 0; i < 100; i++)); do
		grep -q "attached" "$out.err" 2>/dev/null && return 0
		pid_alive "$STRACE_PID" || break
		sleep 0.1
	done
	cat "$out.err" >&2
	bench_die "strace could not attach to gatewayd (PID $GW_PID)"
}
strace_detach() {
	kill -INT "$STRACE_PID" 2>/dev/null || true
	wait "$STRACE_PID" 2>/dev/null || true
}
total_calls() {	# the "total" line of strace -c: % seconds usecs/call calls [errors] total
	awk '$NF == "total" { print $4 }' "$1"
}

start_gatewayd "$GATEWAYD" "$HELLO" || bench_die "gatewayd did not start"
start_nginx "$PHP_SCRIPT"
check_path gw "http://127.0.0.1:$BENCH_PORT/gw/" "$TMP/gatewayd.log"
send 200	# warm: every worker connected, buffers grown

strace_attach "$TMP/strace-idle.txt"
sleep 2
strace_detach
strace_attach "$TMP/strace-batch.txt"
t0=$(date +%s.%N)
send "$NS"
t1=$(date +%s.%N)
strace_detach
stop_front_and_gatewayd

idle=$(total_calls "$TMP/strace-idle.txt")
calls=$(total_calls "$TMP/strace-batch.txt")
echo
echo "== system calls made by gatewayd (strace -c -f -p, workers not counted)"
printf 'idle for 2 s: %s system calls\n' "${idle:-0}"
awk -v c="${calls:-0}" -v n="$NS" -v t0="$t0" -v t1="$t1" \
	'BEGIN { printf "%d requests (%.2f s under strace): %d system calls = %.2f per request\n", n, t1 - t0, c, c / n }'
echo
printf '%10s  %s\n' "per req" "syscall"
awk -v n="$NS" '
	/^-/ || /^% time/ || $NF == "total" || NF < 5 { next }
	{ printf "%10.3f  %s\n", $4 / n, $NF }' "$TMP/strace-batch.txt" | sort -rn
echo
if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
	echo "profiles: $TMP/callgrind.$N1.out and $TMP/callgrind.$N2.out (callgrind_annotate, kcachegrind)"
fi
