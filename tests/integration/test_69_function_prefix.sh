#!/usr/bin/env bash
# [global] function_prefix: empty means no prefix route at all, so a
# function with a route is reachable at its route (and by GATEWAY_FUNCTION)
# and nowhere else; another prefix moves every function's path; a reload
# applies it at once, the workers kept. gatewayd -t refuses a prefix (or a
# route) that no normal path could match.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

functions_conf() {
	cat <<EOF
[hello]
exec = $FUNCTIONS/hello
route = /hi
pm.max_children = 1

[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
EOF
}

functions_conf | GW_GLOBAL_EXTRA="function_prefix =" gw_config
gw_start
NGINX_EXTRA="
		location /forced/ {
			include $NGINX_DIR/gatewayd_fastcgi.conf;
			fastcgi_param GATEWAY_FUNCTION echo;
		}" nginx_up

# 1. No prefix route: only routes and GATEWAY_FUNCTION reach a function.
http_get /function/hello
assert_status 404
http_get /function/echo
assert_status 404
http_get /hi
assert_status 200
assert_body "hello, world"
http_get /hi/there
assert_status 200
assert_body "hello, world"
http_get '/forced/x?show=params'
assert_status 200
assert_file_contains "$BODY" "GATEWAY_FUNCTION=echo" "echo by GATEWAY_FUNCTION"
# Raw FastCGI, REQUEST_URI alone: the same.
fcgi_client request "$GW_SOCK" -p REQUEST_URI=/function/hello -p REQUEST_METHOD=GET \
	--out "$T/fcgi.out" 2>"$T/fcgi.err" || fail "raw /function/hello: no answer"
assert_file_contains "$T/fcgi.out" "Status: 404" "raw /function/hello without a prefix route"

# 2. function_prefix = /fn/, by reload: applied at once, the workers kept.
workers=$(gw_workers | sort)
functions_conf | GW_GLOBAL_EXTRA="function_prefix = /fn/" gw_config
gw_reload || fail "reload to function_prefix = /fn/ refused (log: '$(tail -c 300 "$GW_LOG" | _show)')"
http_get /fn/hello
assert_status 200
assert_body "hello, world"
http_get '/fn/echo?show=params'
assert_status 200
assert_file_contains "$BODY" "GATEWAY_FUNCTION=echo" "echo at /fn/echo"
http_get /function/echo
assert_status 404
http_get /fnx/echo
assert_status 404
assert_eq "$workers" "$(gw_workers | sort)" "workers after a function_prefix reload"

# 3. The key removed: the default, /function/, again.
functions_conf | gw_config
gw_reload || fail "reload to the default function_prefix refused"
http_get /function/echo
assert_status 200
http_get /fn/echo
assert_status 404
http_get /hi
assert_status 200
assert_body "hello, world"
assert_gw_alive

# 4. gatewayd -t: what no normal path can match is refused, naming the line.
check_refused() {	# check_refused KEY_LINE WHAT [SECTION_LINE]
	gw_global_conf "$T/bad.ini"
	if [ $# -ge 3 ]; then
		printf '[hello]\nexec = %s\n%s\n' "$FUNCTIONS/hello" "$1" >>"$T/bad.ini"
	else
		sed -i "2a $1" "$T/bad.ini"
	fi
	gw_check "$T/bad.ini" && fail "gatewayd -t accepted $1"
	assert_file_contains "$T/bad.ini.out" "$2" "gatewayd -t on '$1'"
}
check_refused "function_prefix = /function" "function_prefix"
check_refused "function_prefix = function/" "function_prefix"
check_refused "function_prefix = /a//b/" "function_prefix"
check_refused "function_prefix = /a/../b/" "function_prefix"
check_refused "function_prefix = /./" "function_prefix"
check_refused "route = /api//x" "route" fn
check_refused "route = /api/./x" "route" fn
check_refused "route = /api/.." "route" fn
# gatewayd's own paths come before any route: nothing may lie under them
check_refused "function_prefix = /_gateway/" "lies under /_gateway/"
check_refused "function_prefix = /_gateway/fn/" "lies under /_gateway/"
check_refused "route = /_gateway" "lies under /_gateway/" fn
check_refused "route = /_gateway/jobs/x" "lies under /_gateway/" fn
gw_global_conf "$T/good.ini"
sed -i "2a function_prefix = /" "$T/good.ini"
printf '[hello]\nexec = %s\nroute = /api/v1/.well-known\n' "$FUNCTIONS/hello" >>"$T/good.ini"
gw_check "$T/good.ini" || fail "gatewayd -t refused function_prefix = / ($(_show <"$T/good.ini.out"))"
