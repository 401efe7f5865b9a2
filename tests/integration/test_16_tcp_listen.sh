#!/usr/bin/env bash
# A TCP listener with listen.allowed_clients: a listed client is served, an
# unlisted one is refused (nginx answers 502) and gatewayd logs why.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

port=$(nginx_pick_port $((21000 + RANDOM % 2000))) || fail "no free port"

# Allowed: 127.0.0.1 among the listed clients.
GW_GLOBAL_EXTRA="listen = 127.0.0.1:$port
listen.allowed_clients = 10.9.9.9, 127.0.0.1"
gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
rc=0
out=$(fcgi_client --timeout 3 request "127.0.0.1:$port" -p SCRIPT_NAME=/function/hello 2>&1) || rc=$?
assert_eq 0 "$rc" "request over TCP from an allowed client (client said: $out)"
assert_contains "$out" "hello, world" "answer over TCP"
gw_stop

# Refused: only 10.9.9.9 may connect.
GW_GLOBAL_EXTRA="listen = 127.0.0.1:$port
listen.allowed_clients = 10.9.9.9"
gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF
gw_start
rc=0
out=$(fcgi_client --timeout 3 request "127.0.0.1:$port" -p SCRIPT_NAME=/function/hello 2>&1) || rc=$?
assert_eq 1 "$rc" "request over TCP from a client not in listen.allowed_clients (client said: $out)"
assert_file_contains "$GW_LOG" "client not in listen.allowed_clients" "log of the refused connection"
# The unix listener is not subject to the list.
rc=0
fcgi_client --timeout 3 request "$GW_SOCK" -p SCRIPT_NAME=/function/hello >/dev/null 2>&1 || rc=$?
assert_eq 0 "$rc" "request on the unix listener"
assert_gw_alive
