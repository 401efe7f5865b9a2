#!/usr/bin/env bash
# Routing: a `route =` prefix matches whole path segments, /function/<name>
# still works, and GATEWAY_FUNCTION set by nginx wins over the path.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
route = /api/v1/hello
pm.max_children = 1

[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF
gw_start
NGINX_EXTRA="
		location /forced/ {
			include $NGINX_DIR/gatewayd_fastcgi.conf;
			fastcgi_param GATEWAY_FUNCTION echo;
		}" nginx_up

http_get /api/v1/hello
assert_status 200
assert_body "hello, world"

http_get /api/v1/hello/x
assert_status 200
assert_body "hello, world"

http_get /api/v1/hellox
assert_status 404

http_get /function/hello
assert_status 200
assert_body "hello, world"

# The path names hello, but nginx's GATEWAY_FUNCTION says echo.
http_get '/forced/function/hello?show=params'
assert_status 200
assert_file_contains "$BODY" "GATEWAY_FUNCTION=echo" "echo's params under /forced/"
assert_file_contains "$BODY" "DOCUMENT_URI=/forced/function/hello" "echo's params under /forced/"
