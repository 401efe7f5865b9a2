#!/usr/bin/env bash
# A stderr line longer than 1024 bytes is logged cut, and says so: its first
# 1024 bytes and "... (line cut at 1024 bytes)", the rest skipped (not
# logged as more lines); a line of exactly 1024 bytes is not cut. The same
# bounds hold for a CGI program's stderr: its cut line says so too, and a
# burst of 300 lines is logged up to the rate (100), the rest counted in
# one "stderr lines dropped" line when the program ends.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

FLOOD=$TEST_FUNCTIONS/stderr_flood
[ -x "$FLOOD" ] || fail "$FLOOD is missing: make $(basename "$(dirname "$TEST_FUNCTIONS")")/tests/stderr_flood"

cat >"$T/cgi_burst.sh" <<'SH'
#!/bin/sh
printf 'cgi long line:%02000d\n' 0 >&2
i=1
while [ "$i" -le 300 ]; do
	echo "cgi burst line $i" >&2
	i=$((i + 1))
done
printf 'Content-Type: text/plain\r\n\r\ncgi done\n'
SH
chmod 0755 "$T/cgi_burst.sh"

gw_config <<EOF
[flood]
exec = $FLOOD
pm.max_children = 1

[cgi]
exec = $T/cgi_burst.sh
mode = cgi
EOF
gw_start
nginx_up

# logged_text PREFIX: the text of the log lines that start, after "pid N: ",
# with PREFIX, one a line.
logged_text() {
	sed -n "s/.* pid [0-9]*: \\($1.*\\)$/\\1/p" "$GW_LOG"
}

# wait_log TEXT: waits (5 s at most) for a log line containing TEXT.
wait_log() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -qF -- "$1" "$GW_LOG" && return 0
		sleep 0.1
	done
	fail "no log line with '$1' within 5 s (log tail: '$(tail -c 300 "$GW_LOG" | _show)')"
}

http_get "/function/flood?line=5000"
assert_status 200
assert_body "line=5000"
wait_log "after the long line"
cut=$(logged_text "long line:")
assert_eq 1 "$(echo "$cut" | grep -c .)" "log lines of the 5000-byte line"
assert_contains "$cut" " ... (line cut at 1024 bytes)" "the 5000-byte line in the log"
text=${cut% ... (line cut at 1024 bytes)}
assert_eq 1024 "${#text}" "bytes of the 5000-byte line that were logged"
[ "$(grep -cE ': x{20,}$' "$GW_LOG")" -eq 0 ] ||
	fail "the rest of the cut line was logged as lines of its own"

http_get "/function/flood?line=1024"
assert_status 200
assert_body "line=1024"
for ((i = 0; i < 50; i++)); do
	[ "$(gw_log_count "after the long line")" -ge 2 ] && break
	sleep 0.1
done
exact=$(logged_text "long line:" | sed -n 2p)
assert_eq 1024 "${#exact}" "a line of exactly 1024 bytes, logged whole and without a cut marker"

http_get /function/cgi
assert_status 200
assert_body "cgi done"
wait_log "function cgi: worker pid"
cgi_cut=$(logged_text "cgi long line:")
assert_contains "$cgi_cut" " ... (line cut at 1024 bytes)" "the CGI program's 2014-byte line in the log"
burst_logged=$(gw_log_count "cgi burst line")
burst_dropped=$(sed -n 's/.*function cgi: worker pid [0-9]*: \([0-9]*\) stderr lines dropped$/\1/p' "$GW_LOG")
echo "CGI burst of 300 lines (after a cut one): $burst_logged logged, ${burst_dropped:-none} counted as dropped"
[ -n "$burst_dropped" ] || fail "no 'function cgi: worker pid N: K stderr lines dropped' line"
assert_eq 300 $((burst_logged + burst_dropped)) "CGI burst lines logged + counted as dropped"
[ "$burst_logged" -le 100 ] || fail "$burst_logged of the CGI program's lines logged in well under a second (rate: 100)"
assert_gw_alive
