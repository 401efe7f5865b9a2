#!/usr/bin/env bash
# The strangler fig through nginx, with the shipped
# conf/webservers/nginx-strangler.conf as it is (only its three addresses
# replaced): / and /about still come from the legacy site (a Python HTTP
# server here), /api/v1/track from the function track-package, with its
# query string and a POST body; the upstream keepalive holds: many requests,
# at most two connections to gatewayd. Fails when a location goes astray or
# nginx opens a connection per request.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

gw_config <<EOF
[track-package]
exec = $FUNCTIONS/echo
EOF
gw_start

# The legacy site.
mkdir -p "$T/legacy"
echo "legacy home" >"$T/legacy/index.html"
echo "legacy about" >"$T/legacy/about"
legacy_port=$(nginx_pick_port $((19600 + RANDOM % 200))) || fail "no free port"
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$T/legacy" "$legacy_port" \
	>"$T/legacy.log" 2>&1 &
bg_track $!
for ((i = 0; i < 100; i++)); do
	curl -s -o /dev/null "http://127.0.0.1:$legacy_port/" && break
	sleep 0.1
done

port=$(nginx_pick_port $((19850 + RANDOM % 100))) || fail "no free port"
mkdir -p "$NGINX_DIR/tmp"
cp /etc/nginx/fastcgi_params "$NGINX_DIR/"	# "include fastcgi_params" is relative to the prefix
sed -e "s|unix:/run/gatewayd/gatewayd.sock|unix:$GW_SOCK|" \
	-e "s|127.0.0.1:8081|127.0.0.1:$legacy_port|" \
	-e "s|listen 80;|listen 127.0.0.1:$port;|" \
	"$REPO/conf/webservers/nginx-strangler.conf" >"$NGINX_DIR/site.conf"
user=""
[ "$(id -u)" -eq 0 ] && user="user root;"
cat >"$NGINX_DIR/nginx.conf" <<EOF
$user
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log info;
events { worker_connections 256; }
http {
	access_log $NGINX_DIR/access.log;
	client_body_temp_path $NGINX_DIR/tmp/body;
	fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
	proxy_temp_path $NGINX_DIR/tmp/proxy;
	uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
	scgi_temp_path $NGINX_DIR/tmp/scgi;
	include $NGINX_DIR/site.conf;
}
EOF
nginx_start "$NGINX_DIR" 2>"$NGINX_DIR/start.err" || fail "nginx: $(_show <"$NGINX_DIR/start.err")"
NGINX_STARTED=1
BASE=http://127.0.0.1:$port
for ((i = 0; i < 50; i++)); do
	curl -s -o /dev/null "$BASE/" && break
	sleep 0.1
done

http_get /
assert_status 200
assert_eq "legacy home" "$(cat "$BODY")" "/ from the legacy site"
http_get /about
assert_eq "legacy about" "$(cat "$BODY")" "/about from the legacy site"

accepted_before=$(grep -c "connection accepted" "$GW_LOG")
for ((i = 0; i < 20; i++)); do
	http_get "/api/v1/track?show=params&id=$i"
	assert_status 200
	assert_file_contains "$BODY" "GATEWAY_FUNCTION=track-package" "/api/v1/track routed to the function"
	assert_file_contains "$BODY" "QUERY_STRING=show=params&id=$i" "the query string"
done
printf '{"id": 42}' >"$T/post"
http_post /api/v1/track "$T/post"
assert_status 200
assert_eq '{"id": 42}' "$(cat "$BODY")" "POST body through the strangler location"
accepted=$(($(grep -c "connection accepted" "$GW_LOG") - accepted_before))
[ "$accepted" -le 2 ] || fail "21 requests opened $accepted connections to gatewayd: no keepalive"
http_get /api/v2/other
assert_eq 404 "$HTTP_STATUS" "a path the legacy site does not have (from legacy, not gatewayd)"
grep -q "GET /api/v2/other" "$T/legacy.log" || fail "/api/v2/other did not reach the legacy site"
assert_gw_alive
