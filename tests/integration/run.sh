#!/usr/bin/env bash
#
# tests/integration/run.sh BUILD [PATTERN]: runs every
# tests/integration/test_*.sh (or those whose name contains PATTERN) against
# BUILD/gatewayd, BUILD/functions and BUILD/tests (the hostile function),
# with real nginx and curl.
#
# Each test runs with bash in a fresh temp dir (/tmp/gw.XXXXXX: unix socket
# paths must stay short), with GATEWAYD, FUNCTIONS, TEST_FUNCTIONS, REPO and T (the dir) in
# its environment, under a 120 s timeout. One PASS/FAIL line per test, the
# failed assertion on the FAIL line, then the tails of the test's output,
# gatewayd log and nginx error log. The last line is "N passed, N failed";
# the exit status is non-zero when any test failed. The temp dir of a
# passing test is removed; a failing one's is kept and named. VERBOSE=1
# also shows the output of passing tests.

set -u

BUILD=${1:-build}
PATTERN=${2:-}
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
GATEWAYD=$REPO/$BUILD/gatewayd
FUNCTIONS=$REPO/$BUILD/functions
TEST_FUNCTIONS=$REPO/$BUILD/tests
export GATEWAYD FUNCTIONS TEST_FUNCTIONS REPO

for f in "$GATEWAYD" "$FUNCTIONS/hello" "$FUNCTIONS/echo" "$TEST_FUNCTIONS/hostile"; do
	if [ ! -x "$f" ]; then
		echo "integration: $f is missing; run 'make all' first" >&2
		exit 1
	fi
done

# Prints the last lines of a log, indented, when it exists and is not empty.
show_tail() {
	[ -s "$2" ] || return 0
	echo "    --- $1 (last 20 lines of $2)"
	tail -n 20 "$2" | sed 's/^/    | /'
}

passed=0
failed=0
for test in tests/integration/test_*.sh; do
	name=$(basename "$test" .sh)
	case $name in *"$PATTERN"*) ;; *) continue ;; esac

	dir=$(mktemp -d /tmp/gw.XXXXXX) || exit 1
	start=$(date +%s%N)
	(cd "$dir" && T=$dir exec timeout 120 bash "$REPO/$test") >"$dir/test.out" 2>&1
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	secs=$((ms / 1000)).$((ms % 1000 / 100))

	if [ "$rc" -eq 0 ]; then
		echo "PASS $name (${secs}s)"
		[ -n "${VERBOSE:-}" ] && sed 's/^/    | /' "$dir/test.out"
		passed=$((passed + 1))
		rm -rf "$dir"
		continue
	fi
	failed=$((failed + 1))
	if [ -s "$dir/failure" ]; then
		why=$(head -n 1 "$dir/failure")
	elif [ "$rc" -eq 124 ]; then
		why="timed out after 120 s"
	else
		why="exited with status $rc without a failed assertion"
	fi
	echo "FAIL $name (${secs}s): $why"
	show_tail "test output" "$dir/test.out"
	show_tail "gatewayd log" "$dir/gatewayd.log"
	show_tail "nginx error log" "$dir/nginx/error.log"
	echo "    (files kept in $dir)"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
