#!/usr/bin/env bash
# Upstream keepalive + fastcgi_keep_conn on: 50 sequential requests through
# nginx (one worker process) reuse one or two connections to gatewayd.
# test_03_no_keep_conn.sh is the control that shows the count can be high.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 2
EOF
gw_start
nginx_up

before=$(gw_log_count "connection accepted")
for ((i = 1; i <= 50; i++)); do
	http_get /function/hello
	assert_status 200
	assert_body "hello, world"
done
accepted=$(($(gw_log_count "connection accepted") - before))
echo "web-server connections for 50 requests: $accepted"
[ "$accepted" -ge 1 ] ||
	fail "no 'connection accepted' line in gatewayd's debug log for 50 requests"
[ "$accepted" -le 2 ] ||
	fail "50 keep-conn requests made $accepted web-server connections, expected <= 2"
