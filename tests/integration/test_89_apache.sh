#!/usr/bin/env bash
# Apache httpd (Debian's apache2, mpm_event) in front of gatewayd through
# mod_proxy_fcgi, with the shipped conf/webservers/apache-gatewayd.conf as
# it is (only the socket path replaced), its workers as www-data connecting
# with listen.group = www-data: a GET with its query string, a POST body, a
# function's own status, an unknown function, and an async job followed at
# the Location it was given. Fails without gatewayd answering what
# mod_proxy_fcgi sends.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

require_root
[ -x /usr/sbin/apache2 ] || skip "apache2 is not installed"
getent group www-data >/dev/null || skip "no www-data group"

GW_GLOBAL_EXTRA="user = nobody
listen.group = www-data
async.journal = $DATA/journal" gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
async = on

[greet]
exec = $FUNCTIONS/greet
EOF
gw_start

AP=$T/apache
mkdir -p "$AP"
port=$(nginx_pick_port $((19080 + RANDOM % 500))) || fail "no free port"
sed "s|/run/gatewayd/gatewayd.sock|$GW_SOCK|g" "$REPO/conf/webservers/apache-gatewayd.conf" \
	>"$AP/gatewayd.conf"
cat >"$AP/httpd.conf" <<EOF
ServerRoot $AP
ServerName localhost
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so
LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so
Listen 127.0.0.1:$port
PidFile $AP/httpd.pid
ErrorLog $AP/error.log
DefaultRuntimeDir $AP
Mutex file:$AP
User www-data
Group www-data
Include $AP/gatewayd.conf
EOF
/usr/sbin/apache2 -f "$AP/httpd.conf" -DFOREGROUND >"$AP/stdout" 2>&1 &
bg_track $!
BASE=http://127.0.0.1:$port
for ((i = 0; i < 50; i++)); do
	curl -s -o /dev/null "$BASE/" 2>/dev/null && break
	sleep 0.1
done

http_get "/function/echo?show=params&x=1"
assert_status 200
assert_file_contains "$BODY" "QUERY_STRING=show=params&x=1" "the params through Apache"
assert_file_contains "$BODY" "GATEWAY_FUNCTION=echo" "the params through Apache"
printf 'a posted body\n' >"$T/post"
http_post /function/echo "$T/post"
assert_status 200
cmp -s "$T/post" "$BODY" || fail "POST body through Apache came back as '$(_show <"$BODY")'"
http_get "/function/greet?name=Ada"
assert_status 200
assert_file_contains "$BODY" "Ada" "greet through Apache"
http_get /function/nope
assert_status 404
async_submit /function/echo --data-binary later -H 'Prefer: respond-async'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "the job through Apache"
http_get "/_gateway/jobs/$JOB_ID/result"
assert_status 200
assert_eq later "$(cat "$BODY")" "the job's result through Apache"
assert_gw_alive
