#!/usr/bin/env bash
# A worker flooding its FastCGI stderr (FCGI_STDERR records, which nginx
# writes to its error log, a line each) cannot fill the web server's disk:
# a request's first 64 KiB of them reach nginx, the rest is dropped and
# counted in one gatewayd log line; its STDOUT is whole. Before the bound,
# 20 MiB of records grew nginx's error log by 39 MB; now by 120 KB. Prints
# the log growth.
#
# And stderr never costs the response: nginx reads the header into one
# 4 KiB buffer that stderr fills, and answered 502 "upstream sent too big
# header" when stderr and the header's start arrived in one read of it
# (CI met it on this test's second request; ?straddle= makes it happen
# every time).
# gatewayd holds stderr until the header block has gone.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

FLOOD=$TEST_FUNCTIONS/stderr_flood
[ -x "$FLOOD" ] || fail "$FLOOD is missing: make $(basename "$(dirname "$TEST_FUNCTIONS")")/tests/stderr_flood"

gw_config <<EOF
[flood]
exec = $FLOOD
pm.max_children = 1
EOF
gw_start
# nginx's default on 4 KiB pages, said so that ?straddle= aims right.
NGINX_EXTRA='fastcgi_buffer_size 4k;'
nginx_up

sent=$((20 * 1024 * 1024))
relayed=$((64 * 1024))
before=$(stat -c %s "$NGINX_DIR/error.log")
http_get "/function/flood?records=$sent"
assert_status 200
assert_body "records=$sent"
after=$(stat -c %s "$NGINX_DIR/error.log")
growth=$((after - before))
echo "nginx error.log grew $growth bytes for $sent bytes of FastCGI stderr"
# nginx logs each 1 KiB record with the request's details: about 1.9 KiB a line.
[ "$growth" -ge "$relayed" ] || fail "nginx's error log grew $growth bytes: the first $relayed bytes were not relayed"
[ "$growth" -lt $((relayed * 4)) ] || fail "nginx's error log grew $growth bytes for $sent bytes of FastCGI stderr"
assert_file_contains "$GW_LOG" "$((sent - relayed)) bytes of a request's FastCGI stderr not relayed" "gatewayd log"

# The bound is a request's: the next one gets its own first 64 KiB.
http_get "/function/flood?records=$relayed"
assert_status 200
again=$(stat -c %s "$NGINX_DIR/error.log")
[ $((again - after)) -ge "$relayed" ] || fail "the next request's stderr was not relayed ($((again - after)) bytes)"
assert_eq 1 "$(gw_log_count "FastCGI stderr not relayed")" "requests with stderr dropped"

# Stderr first, then the header across the end of nginx's header buffer.
for ((i = 0; i < 10; i++)); do
	http_get "/function/flood?straddle=4096"
	assert_status 200
	assert_body "straddle=4096"
done
assert_file_contains "$NGINX_DIR/error.log" 'FastCGI sent in stderr: "eeee' "nginx error log"

# Tiny records cost nginx most (its own ~200 bytes a line): 1,024 of them
# a request at most. Before that bound, 65,536 one-byte records grew the
# log by 16.6 MB; now by 260 KB.
before=$(stat -c %s "$NGINX_DIR/error.log")
http_get "/function/flood?tiny=65536"
assert_status 200
assert_body "tiny=65536"
growth=$(($(stat -c %s "$NGINX_DIR/error.log") - before))
echo "nginx error.log grew $growth bytes for 65536 one-byte FastCGI stderr records"
[ "$growth" -lt $((1024 * 400)) ] || fail "nginx's error log grew $growth bytes for 65536 records"
assert_file_contains "$GW_LOG" "$((65536 - 1024)) bytes of a request's FastCGI stderr not relayed" "gatewayd log"
