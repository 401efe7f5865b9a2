#!/usr/bin/env bash
# Control for test_03_keep_conn.sh: without upstream keepalive and with
# fastcgi_keep_conn off, each of 50 requests is a new connection to gatewayd.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 2
EOF
gw_start
NGINX_KEEPALIVE=0 nginx_up

before=$(gw_log_count "connection accepted")
for ((i = 1; i <= 50; i++)); do
	http_get /function/hello
	assert_status 200
	assert_body "hello, world"
done
accepted=$(($(gw_log_count "connection accepted") - before))
echo "web-server connections for 50 requests: $accepted"
[ "$accepted" -ge 45 ] ||
	fail "50 requests without keep-conn made $accepted web-server connections, expected ~50"
