#!/usr/bin/env bash
# The command line, as gatewayd(8) documents it: -v prints "gatewayd
# VERSION" and exits 0; -h prints the usage, -v in it, and exits 0; an
# unknown option, a stray argument or an unknown -s command exits 2 with
# the usage on stderr, starting nothing. The man page itself passes
# `mandoc -Tlint` (make man, part of make check).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

out=$("$GATEWAYD" -v) || fail "gatewayd -v exited $?"
[[ $out =~ ^gatewayd\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "gatewayd -v printed '$out'"
echo "gatewayd -v: $out"

"$GATEWAYD" -h >"$T/help" || fail "gatewayd -h exited $?"
assert_file_contains "$T/help" "-v         print the version and exit"
assert_file_contains "$T/help" "gatewayd(8)"

# usage_error ARGS...: exit status 2, the usage on stderr, nothing on stdout.
usage_error() {
	local rc=0
	"$GATEWAYD" "$@" >"$T/out" 2>"$T/err" || rc=$?
	assert_eq 2 "$rc" "exit status of gatewayd $*"
	assert_file_contains "$T/err" "usage: gatewayd"
	[ ! -s "$T/out" ] || fail "gatewayd $* wrote to stdout: '$(_show <"$T/out")'"
}
usage_error -x
usage_error -c "$GW_CONF" extra
usage_error -s restart -c "$GW_CONF"
