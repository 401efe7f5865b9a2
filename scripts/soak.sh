#!/usr/bin/env bash
#
# scripts/soak.sh [BUILD [SECONDS]]: gatewayd under everything at once, for
# SECONDS (default 600), on loopback only. Not a CI step: run it and report.
#
#  - wrk sends GETs to [hello] (a static pool of 4) through nginx the whole time;
#  - every 0.3 s one random [hello] worker is killed with SIGKILL;
#  - every 5 s the configuration is reloaded, [echo]'s pm.max_children
#    changing between 2 and 3 (new workers for echo, hello's kept);
#  - every 0.5 s a client opens a FastCGI connection, sends half a request
#    and stalls (cut by front.read_timeout; at most 20 at once);
#  - every 0.2 s an async job is submitted to [echo] (async = on) and its id
#    kept; after the load every job must finish.
#
# Prints gatewayd's RSS, open descriptors and worker count at the start and
# the end, wrk's totals, kills, reloads, and how many jobs were accepted and
# lost (nginx keeps up to 8 connections to gatewayd open, its workers one
# each once used: the start's sockets grow by those). Exit status 0 when no GET failed and no job was lost; growth is for
# the reader to judge (it prints both ends).

set -u
BUILD=${1:-build}
SECONDS_TOTAL=${2:-600}
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
GATEWAYD=$REPO/$BUILD/gatewayd
FUNCTIONS=$REPO/$BUILD/functions
TEST_FUNCTIONS=$REPO/$BUILD/tests
export GATEWAYD FUNCTIONS TEST_FUNCTIONS REPO
for f in "$GATEWAYD" "$FUNCTIONS/hello" "$FUNCTIONS/echo"; do
	[ -x "$f" ] || { echo "soak: $f is missing; run 'make all' first" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "soak: wrk is missing (scripts/deps.sh installs it)" >&2; exit 1; }

T=$(mktemp -d /tmp/gwsoak.XXXXXX)
export T
cd "$T" || exit 1
echo "soak: ${SECONDS_TOTAL} s in $T (gatewayd.log, wrk.out, jobs)"
# shellcheck source-path=SCRIPTDIR/.. source=tests/integration/lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL
front.read_timeout = 2"
GW_LOG_LEVEL=info
export GW_GLOBAL_EXTRA GW_LOG_LEVEL

# write_config ECHO_CHILDREN: the soak's functions.
write_config() {
	gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 4

[echo]
exec = $FUNCTIONS/echo
pm.max_children = $1
async = on
EOF
}

# vitals WHEN: gatewayd's RSS, descriptors and workers, one line.
vitals() {
	local links
	links=$(find "/proc/$GW_PID/fd" -mindepth 1 -printf '%l\n' 2>/dev/null)
	printf '%-6s gatewayd rss %6s kB, fds %4s (%s sockets, %s pipes), workers %3s\n' "$1" \
		"$(awk '/^VmRSS:/ {print $2}' "/proc/$GW_PID/status")" "$(grep -c . <<<"$links")" \
		"$(grep -c '^socket:' <<<"$links")" "$(grep -c '^pipe:' <<<"$links")" \
		"$(gw_worker_count)"
}

write_config 2
gw_start
nginx_up
wait_workers -ge 6 10 || fail "the workers did not start (have $WORKERS_SEEN)"
vitals start

end=$(($(date +%s) + SECONDS_TOTAL))
wrk -t2 -c16 -d"${SECONDS_TOTAL}s" "$BASE/function/hello" >"$T/wrk.out" 2>&1 &
WRK=$!
bg_track "$WRK"

kills=0 reloads=0 refused=0 stalls=0 tick=0
: >"$T/jobs"
while [ "$(date +%s)" -lt "$end" ]; do
	# every 0.1 s a tick; each chore on its own multiple of it
	if ((tick % 3 == 0)); then
		victim=$(fn_workers "$FUNCTIONS/hello" | shuf -n 1)
		[ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null && kills=$((kills + 1))
	fi
	if ((tick % 50 == 25)); then
		write_config $((2 + reloads % 2))
		if gw_reload; then reloads=$((reloads + 1)); else refused=$((refused + 1)); fi
	fi
	if ((tick % 5 == 0)) && [ "$(pgrep -fc "fcgi_stall.py partial $GW_SOCK")" -lt 20 ]; then
		python3 "$REPO/tests/integration/fcgi_stall.py" partial "$GW_SOCK" --timeout 10 \
			>/dev/null 2>&1 &
		bg_track $!
		stalls=$((stalls + 1))
	fi
	if ((tick % 2 == 0)); then
		code=$(curl -sS --max-time 10 -o "$T/job.json" -w '%{http_code}' \
			-H 'X-Async: true' --data "soak $tick" "$BASE/function/echo" 2>>"$T/curl.err")
		[ "$code" = 202 ] && json_str id "$T/job.json" >>"$T/jobs"
	fi
	tick=$((tick + 1))
	sleep 0.1
done
wait "$WRK"

# Every accepted job must finish (a few seconds for the queue to drain).
lost=0
while read -r id; do
	ok=0
	for ((i = 0; i < 200; i++)); do
		job_get "$id"
		case $JOB_STATE in succeeded | failed) ok=1; break ;; esac
		[ "$HTTP_STATUS" = 200 ] || break
		sleep 0.05
	done
	[ "$ok" -eq 1 ] || { lost=$((lost + 1)); echo "job $id: state '$JOB_STATE' ($HTTP_STATUS)"; }
done <"$T/jobs"
sleep ${SOAK_SETTLE:-3}		# the stalled clients are cut, the killed workers replaced
vitals end

requests=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
failed=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$T/wrk.out")
errors=$(sed -n 's/^ *Socket errors: *\(.*\)/\1/p' "$T/wrk.out")
echo "GETs:    ${requests:-?} requests, ${failed:-0} non-2xx, socket errors: ${errors:-none}"
echo "chores:  $kills workers killed, $reloads reloads ($refused refused), $stalls stalled clients"
echo "async:   $(grep -c . "$T/jobs") jobs accepted, $lost lost"
echo "log:     $(wc -c <"$GW_LOG") bytes; $(gw_log_count "error:") error lines"
gw_stop
[ "${failed:-0}" -eq 0 ] && [ -z "$errors" ] && [ "$lost" -eq 0 ]
