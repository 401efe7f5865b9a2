#!/usr/bin/env bash
# Functions in three languages through nginx, each asked the same things:
# the method, the path or a query parameter, a request header and the body
# reach it; the status, a response header and the body it sets come back.
#   C on the SDK: functions/greet.c (functions/sdk/gatewayd_fn.h), which
#     also shows URL decoding and a Content-Length on a whole body;
#   a shell script, mode = cgi: tests/functions/probe-cgi.sh;
#   PHP under php-cgi with script =: tests/functions/probe.php.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[greet]
exec = $FUNCTIONS/greet
pm.max_children = 1

[probe-cgi]
exec = $REPO/tests/functions/probe-cgi.sh
mode = cgi
pm.max_children = 2

[probe-php]
exec = /usr/bin/php-cgi
script = $REPO/tests/functions/probe.php
pm.max_children = 1
EOF
gw_start
nginx_up

# assert_length: the last response's Content-Length is its body's size.
assert_length() {
	assert_header Content-Length "$(wc -c <"$BODY" | tr -d ' ')"
}

# --- C, on the SDK

# A query parameter, URL-decoded ("+" and "%HH"), among others; the path.
http_get '/function/greet?x=1&name=J%C3%BCrg+%22X%22&y'
assert_status 200
assert_body '{"greeting":"hello, Jürg \"X\"","path":"/function/greet"}'
assert_header Content-Type application/json
assert_header Vary X-Greeting
assert_length

# The path is the request's, below the function's prefix.
http_get '/function/greet/in/depth?name=Ada'
assert_status 200
assert_body '{"greeting":"hello, Ada","path":"/function/greet/in/depth"}'

# A request header, by name in any case.
http_get '/function/greet?name=Ada' -H 'x-greeting: good morning'
assert_status 200
assert_body '{"greeting":"good morning, Ada","path":"/function/greet"}'

# The body (the method decides where the name comes from).
printf 'Ada Lovelace' >"$T/name.txt"
http_post /function/greet "$T/name.txt" -H 'Content-Type: text/plain'
assert_status 200
assert_body '{"greeting":"hello, Ada Lovelace","path":"/function/greet"}'
assert_length

# Statuses the function sets, with a header of their own.
http_get /function/greet -X DELETE
assert_status 405
assert_header Allow "GET, POST"
assert_body '{"error":"method not allowed"}'
http_get /function/greet
assert_status 400
assert_body '{"error":"no name"}'
head -c 257 /dev/zero | tr '\0' a >"$T/long.txt"
http_post /function/greet "$T/long.txt"
assert_status 413
assert_body '{"error":"body above the limit"}'
# A body the function never reads, larger than the socket buffers: the SDK
# drops it before the next request, so the same worker goes on serving.
worker=$(fn_workers "$FUNCTIONS/greet")
head -c 3000000 /dev/zero >"$T/big.bin"
http_post /function/greet "$T/big.bin"
assert_status 413
http_get '/function/greet?name=again'
assert_status 200
assert_body '{"greeting":"hello, again","path":"/function/greet"}'
assert_eq "$worker" "$(fn_workers "$FUNCTIONS/greet")" "greet's worker after an unread 3 MB body"
if grep -q "function greet: worker pid [0-9]* exited" "$GW_LOG"; then
	fail "greet's worker was replaced: '$(grep -m1 "function greet: worker pid [0-9]* exited" "$GW_LOG")'"
fi

# --- a shell script (mode = cgi) and a PHP script (php-cgi): same questions

printf 'the body' >"$T/body.txt"
for who in cgi php; do
	http_post "/function/probe-$who?name=Ada&status=201" "$T/body.txt" -H 'X-Trace: t-42'
	assert_status 201
	assert_header X-Probe "$who"
	printf 'method=POST\nname=Ada\ntrace=t-42\nbody=the body\n' >"$T/expected"
	cmp -s "$T/expected" "$BODY" ||
		fail "probe-$who: body '$(_show <"$BODY")', expected '$(_show <"$T/expected")'"

	http_get "/function/probe-$who?name=Bo"
	assert_status 200
	printf 'method=GET\nname=Bo\ntrace=\nbody=\n' >"$T/expected"
	cmp -s "$T/expected" "$BODY" ||
		fail "probe-$who: body '$(_show <"$BODY")', expected '$(_show <"$T/expected")'"
done
assert_header Content-Type "text/plain;charset=UTF-8"

assert_gw_alive
