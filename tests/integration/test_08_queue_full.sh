#!/usr/bin/env bash
# Full wait queue: one worker busy, one request waiting (queue.max = 1), the
# third is refused at once with 503 and Retry-After; the other two succeed.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[slow]
exec = $FUNCTIONS/echo
pm.max_children = 1
queue.max = 1
EOF
gw_start
nginx_up

pids=""
for i in 1 2 3; do
	curl -s --max-time 20 -D "$T/h.$i" -o "$T/b.$i" -w '%{http_code}' \
		"$BASE/function/slow?sleep_ms=1500" >"$T/s.$i" 2>"$T/e.$i" &
	bg_track $!
	pids="$pids $!"
	sleep 0.2
done
for pid in $pids; do
	wait "$pid"
done

ok=0
busy=0
for i in 1 2 3; do
	case $(cat "$T/s.$i") in
	200) ok=$((ok + 1)) ;;
	503)
		busy=$((busy + 1))
		grep -qi '^Retry-After:' "$T/h.$i" ||
			fail "503 without Retry-After (headers: $(tr -d '\r' <"$T/h.$i" | tr '\n' '|'))"
		;;
	esac
done
statuses="$(cat "$T/s.1") $(cat "$T/s.2") $(cat "$T/s.3")"
assert_eq 1 "$busy" "number of 503 answers (statuses: $statuses)"
assert_eq 2 "$ok" "number of 200 answers (statuses: $statuses)"
