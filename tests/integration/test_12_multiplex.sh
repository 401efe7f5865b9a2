#!/usr/bin/env bash
# Two requests multiplexed on one raw FastCGI connection (ids 1 and 2, their
# records interleaved) each get their own complete response.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 2
EOF
gw_start

rc=0
fcgi_client --timeout 10 multiplex "$GW_SOCK" --path /function/echo --outdir "$T" \
	>"$T/mpx.out" 2>&1 || rc=$?
cat "$T/mpx.out"
summary=$(tr '\n' ' ' <"$T/mpx.out")
assert_eq 0 "$rc" "both multiplexed requests ended ($summary)"
assert_contains "$summary" "id=1 end=1 app_status=0 protocol_status=0" "request 1's FCGI_END_REQUEST"
assert_contains "$summary" "id=2 end=1 app_status=0 protocol_status=0" "request 2's FCGI_END_REQUEST"
if grep -q unexpected "$T/mpx.out"; then
	fail "unexpected records: $summary"
fi
assert_file_contains "$T/stdout.1" "body of request one" "request 1's FCGI_STDOUT"
assert_file_contains "$T/stdout.2" "body of request two" "request 2's FCGI_STDOUT"
assert_gw_alive
