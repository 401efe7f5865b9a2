#!/usr/bin/env bash
# FastCGI edges a web server rarely shows: FCGI_ABORT_REQUEST, params over
# request.max_params (431), and a web server that reads its answer late (the
# response backs up; gatewayd stops reading the worker, then resumes).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

GW_GLOBAL_EXTRA="request.max_params = 4K"
gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
request.max_body = 16M
EOF
gw_start

# Abort a slow request: END_REQUEST comes at once, with a non-zero app status.
start=$(date +%s%N)
fcgi_client --timeout 5 request "$GW_SOCK" --abort-after 0.2 \
	-p SCRIPT_NAME=/function/echo -p "QUERY_STRING=sleep_ms=3000" >/dev/null 2>"$T/abort.err" ||
	fail "no END_REQUEST after FCGI_ABORT_REQUEST: $(cat "$T/abort.err")"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "$(cat "$T/abort.err")" "app_status=1" "END_REQUEST after an abort"
[ "$elapsed_ms" -lt 2500 ] || fail "abort answered after $elapsed_ms ms, not at once"
# The worker finishes the aborted request unseen, then serves the next one.
fcgi_client --timeout 10 request "$GW_SOCK" -p SCRIPT_NAME=/function/echo \
	-p "QUERY_STRING=show=params" >"$T/next.out" 2>/dev/null || fail "request after an abort"
assert_file_contains "$T/next.out" "GATEWAY_FUNCTION=echo" "answer after an abort"

# Params over request.max_params: 431, and the connection still works.
big=$(head -c 5000 /dev/zero | tr '\0' x)
fcgi_client --timeout 5 request "$GW_SOCK" -p SCRIPT_NAME=/function/echo \
	-p "HTTP_X_BIG=$big" >"$T/431.out" 2>/dev/null || fail "no answer to oversized params"
assert_file_contains "$T/431.out" "Status: 431" "answer to params over request.max_params"

# 12 MiB echoed to a web server that starts reading 1 s late.
head -c $((12 * 1024 * 1024)) /dev/urandom >"$T/big.in"
fcgi_client --timeout 30 request "$GW_SOCK" --read-after 1 -p SCRIPT_NAME=/function/echo \
	-p REQUEST_METHOD=POST --stdin "$T/big.in" --out "$T/big.out" 2>/dev/null ||
	fail "no END_REQUEST for a 12 MiB answer read late"
# Drop the response headers (up to the first blank line) and compare.
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[d.index(b"\r\n\r\n")+4:])' \
	"$T/big.out" >"$T/big.body"
cmp -s "$T/big.in" "$T/big.body" || fail "12 MiB answer read late differs from what was sent"
assert_gw_alive
