#!/usr/bin/env bash
#
# scripts/fuzz-long.sh [SECONDS [TARGET...]]: each libFuzzer target (default:
# all of `make fuzz`'s) for SECONDS (default 3600), one after the other,
# keeping its corpus in build/fuzz/corpus-TARGET between runs. Not a CI step:
# run it and report. A crash stops that target and leaves its input in
# build/fuzz/crash-TARGET-*; the others still run. Prints one line per
# target: executions, executions per second, corpus size and crashes.
# Exit status 1 when any target crashed.

set -u
SECONDS_EACH=${1:-3600}
shift || true
cd "$(dirname "$0")/.." || exit 1
TARGETS=${*:-$(sed -n 's/^FUZZ_TARGETS := //p' Makefile)}

# Builds the targets and seeds the corpora, by running make fuzz for 1 s.
FUZZ_SECONDS=1 make fuzz >/dev/null || { echo "fuzz-long: make fuzz failed" >&2; exit 1; }

status=0
printf '%-10s %8s %12s %10s %8s %8s\n' target seconds executions "exec/s" corpus crashes
for t in $TARGETS; do
	log=build/fuzz/$t.long.log
	rc=0
	build/fuzz/fuzz_"$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-artifact_prefix=build/fuzz/crash-"$t"- build/fuzz/corpus-"$t" >"$log" 2>&1 || rc=$?
	crashes=0
	[ "$rc" -ne 0 ] && { crashes=1; status=1; }
	printf '%-10s %8s %12s %10s %8s %8s\n' "$t" "$SECONDS_EACH" \
		"$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
		"$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
		"$(find build/fuzz/corpus-"$t" -type f | wc -l)" "$crashes"
	[ "$rc" -ne 0 ] && grep -m3 -E "ERROR|SUMMARY|Test unit written" "$log" | sed 's/^/    /'
done
exit "$status"
