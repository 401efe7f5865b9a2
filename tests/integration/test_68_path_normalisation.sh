#!/usr/bin/env bash
# Routing reads the path in normal form only (docs/config.md, Routing): the
# same tricks (dot segments, "//", %2e, %2F, %00, bad escapes, climbing
# above the root) sent three ways. Through nginx, which normalises
# DOCUMENT_URI itself (curl --path-as-is keeps the tricks on the wire);
# through an nginx location that passes the raw $request_uri as
# DOCUMENT_URI (a misconfigured web server); and over raw FastCGI with only
# REQUEST_URI set, as written. /function/admin/../hello is hello's, never
# admin's; what cannot be made safe is 400, written by gatewayd.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1

[admin]
exec = $FUNCTIONS/echo
pm.max_children = 1

[track]
exec = $FUNCTIONS/echo
route = /api/v1/track
pm.max_children = 1
EOF
gw_start
# /function/ with the header X-Raw-Document-Uri: DOCUMENT_URI is the raw
# $request_uri (listed before fastcgi_params' own, so it is the first, the
# one gatewayd reads).
NGINX_EXTRA="
		location /function/ {
			set \$doc_uri \$document_uri;
			if (\$http_x_raw_document_uri) {
				set \$doc_uri \$request_uri;
			}
			fastcgi_param DOCUMENT_URI \$doc_uri;
			include $NGINX_DIR/gatewayd_fastcgi.conf;
		}" nginx_up

# expect_answer WHAT STATUS WHO BODY_FILE: WHO is hello, admin or track (by
# their bodies), or - for a status of gatewayd's own.
expect_answer() {
	local what=$1 status=$2 who=$3 body=$4 got=$5
	[ "$got" = "$status" ] ||
		fail "$what: status $got, expected $status (body: '$(_show <"$body")')"
	case $who in
	hello) grep -qx "hello, world" "$body" || fail "$what: not hello's answer: '$(_show <"$body")'" ;;
	admin | track)
		grep -qx "GATEWAY_FUNCTION=$who" "$body" ||
			fail "$what: not $who's answer: '$(_show <"$body")'"
		;;
	esac
}

# via_nginx PATH STATUS WHO [curl args]: GET PATH?show=params, as written.
via_nginx() {
	local path=$1 status=$2 who=$3
	shift 3
	http_get "$path?show=params" --path-as-is "$@"
	expect_answer "nginx $* $path" "$status" "$who" "$BODY" "$HTTP_STATUS"
}

# via_fcgi URI STATUS WHO: a raw FastCGI request whose only path is REQUEST_URI=URI.
via_fcgi() {
	local out=$T/fcgi.out status
	fcgi_client request "$GW_SOCK" -p "REQUEST_URI=$1" -p REQUEST_METHOD=GET \
		-p QUERY_STRING=show=params --out "$out" 2>"$T/fcgi.err" ||
		fail "REQUEST_URI $1: no answer ($(_show <"$T/fcgi.err"))"
	status=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$out" | head -n 1)
	expect_answer "REQUEST_URI $1" "$2" "$3" "$out" "${status:-200}"
}

# 1. Through nginx: DOCUMENT_URI is already normal; what nginx refuses never arrives.
via_nginx /function/hello 200 hello
via_nginx /function/admin/../hello 200 hello
via_nginx /function/hello/./x 200 hello
via_nginx //function//hello 200 hello
via_nginx /function/hello/ 200 hello
via_nginx /function/hello/.. 404 -
via_nginx /function/%2e%2e/admin 404 -
via_nginx /function/admin/%2e%2e/hello 200 hello
via_nginx /function/hello%2fadmin 200 hello	# nginx decodes %2F into a '/'
via_nginx /function/hello%00 400 -
via_nginx /function/%zz 400 -
via_nginx /../function/hello 400 -
via_nginx /api/v1/track/x/../y 200 track
via_nginx /api/v1/trackx 404 -
via_nginx /api/v1/trackx/../track 200 track
http_get '/function/hello?x=/../admin' --path-as-is
assert_status 200
assert_body "hello, world"

# 2. A web server that passes the raw path as DOCUMENT_URI: still normalised.
raw=(-H 'X-Raw-Document-Uri: 1')
http_get /function/admin/../hello --path-as-is "${raw[@]}"
assert_status 200
assert_body "hello, world"
http_get //function//hello --path-as-is "${raw[@]}"
assert_status 200
assert_body "hello, world"
http_get /function/hello/.. --path-as-is "${raw[@]}"
assert_status 404
http_get /function/hello/../admin --path-as-is "${raw[@]}"
assert_status 200
[ ! -s "$BODY" ] || fail "/function/hello/../admin: not admin's (echo's) empty answer: '$(_show <"$BODY")'"

# 3. Raw FastCGI, REQUEST_URI alone: decoded, normalised, or refused.
via_fcgi /function/hello 200 hello
via_fcgi /function/admin/../hello 200 hello
via_fcgi /function/hello/../admin 200 admin
via_fcgi /function/hello/./x 200 hello
via_fcgi //function//hello 200 hello
via_fcgi /function/hello/ 200 hello
via_fcgi /function/hello/.. 404 -
via_fcgi /function/%2e%2e/admin 404 -
via_fcgi /function/admin/%2e%2e/hello 200 hello
via_fcgi /function/%68ello 200 hello
via_fcgi '/function/hello?x=/../admin' 200 hello
via_fcgi /function/hello%2fadmin 400 -
assert_file_contains "$T/fcgi.out" "REQUEST_URI: the path has an encoded '/' (%2F)" "the 400's reason"
via_fcgi /function/hello%00 400 -
assert_file_contains "$T/fcgi.out" "NUL byte" "the 400's reason"
via_fcgi /function/%zz 400 -
assert_file_contains "$T/fcgi.out" "invalid percent-escape" "the 400's reason"
via_fcgi /../function/hello 400 -
assert_file_contains "$T/fcgi.out" "climbs above the root" "the 400's reason"
via_fcgi /function/hello/../../.. 400 -
via_fcgi function/hello 400 -
assert_file_contains "$T/fcgi.out" "does not start with '/'" "the 400's reason"
via_fcgi /api/v1/track 200 track
via_fcgi /api/v1/track/x/../y 200 track
via_fcgi /api/v1//track 200 track
via_fcgi /api/v1/trackx 404 -
via_fcgi /api/v1/trackx/../track 200 track
via_fcgi /api/v1/track/../trackx 404 -
# gatewayd's own paths: the normal path lands there, a rewritten one is refused.
via_fcgi /_gateway/../function/hello 200 hello
via_fcgi /function/../_gateway/jobs/0123456789abcdef0123456789abcdef 400 -
assert_file_contains "$T/fcgi.out" "normal form only" "the 400's reason"

# The bad requests cost nothing else: the workers are still there, gatewayd answers.
assert_gw_alive
via_nginx /function/hello 200 hello
via_fcgi /function/hello 200 hello
