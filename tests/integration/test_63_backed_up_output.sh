#!/usr/bin/env bash
# A web server that stops reading a large answer: gatewayd stops reading
# that connection and closes it once the socket has taken nothing for
# front.read_timeout (logged), and the function's one worker serves the next
# request. One that reads slowly but steadily is never cut: each byte the
# socket takes moves the deadline.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

MIB=1048576

GW_GLOBAL_EXTRA="front.read_timeout = 2s"
gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF
gw_start
nginx_up

# Never read: the answer (4M) backs up; closed about 2 s later.
head -c $((4 * MIB)) /dev/zero >"$T/big.bin"
start=$(now_ms)
rc=0
fcgi_client --timeout 15 request "$GW_SOCK" -p SCRIPT_NAME=/function/echo -p REQUEST_METHOD=POST \
	--stdin "$T/big.bin" --read-after 8 --out "$T/unread.out" 2>"$T/unread.err" || rc=$?
echo "unread answer: $(_show <"$T/unread.err") ($(stat -c %s "$T/unread.out") bytes got)"
[ "$rc" -ne 0 ] || fail "an answer nobody read for 8 s was not cut (front.read_timeout = 2s)"
assert_file_contains "$T/unread.err" "eof=True" "the unread connection's end"
assert_file_contains "$GW_LOG" "read none of its answers for front.read_timeout" "log of the unread answer"
grep -F "read none of its answers for front.read_timeout" "$GW_LOG"
echo "took $(($(now_ms) - start)) ms"

# The worker is free for the next request.
http_get /function/echo --data-binary "after the cut" -H 'Content-Type: text/plain'
assert_status 200
assert_eq "after the cut" "$(cat "$BODY")" "echo's answer after the cut"

# Read slowly but steadily: 32K every 0.1 s, 2M in about 7 s, so the answer
# backs up again and again. gatewayd sees progress only when the socket has
# room again (a unix socket wakes its writer once 3/4 of its ~200K are
# read: every half second here), well within front.read_timeout.
rc=0
out=$(python3 "$REPO/tests/integration/fcgi_flood.py" read-slowly "$GW_SOCK" --body $((2 * MIB)) \
	--chunk 32768 --interval 0.1 --timeout 60) || rc=$?
echo "slow reader: $out"
assert_eq 0 "$rc" "a slow but steady reader was cut ($out)"
assert_gw_alive
