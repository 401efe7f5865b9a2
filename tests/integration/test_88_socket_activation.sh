#!/usr/bin/env bash
# Socket activation (sd_listen_fds(3)) through systemd's own launcher,
# systemd-socket-activate, started as root with [global] user = nobody like
# the shipped configuration. gatewayd serves on the socket it inherits for
# its listen = address and binds none of its own (the socket file keeps the
# launcher's inode, across a SIGHUP reload too); no worker sees LISTEN_*,
# even one with clear_env = no; at stop the socket file, systemd's, stays.
# An inherited socket that no listen = entry names stops the start with a
# message naming its fd and address. Fails on the old code: gatewayd
# replaced the socket file with its own, removed it at stop, and took the
# extra socket silently.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

require_root
command -v systemd-socket-activate >/dev/null ||
	skip "systemd-socket-activate is missing (Debian's systemd package)"

GW_GLOBAL_EXTRA="user = nobody" gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1

[inherits]
exec = $FUNCTIONS/hello
pm.max_children = 1
clear_env = no
EOF

# activate SOCKETS...: gatewayd on $GW_CONF under systemd-socket-activate,
# listening on each path (named "listen" for the first one, as the shipped
# gatewayd.socket names its socket); it execs gatewayd at the first
# connection, with its own pid, so GW_PID is gatewayd's. Waits until every
# path is bound.
activate() {
	local i args=() names=listen
	for ((i = 2; i <= $#; i++)); do names="$names:extra"; done
	for i in "$@"; do args+=(-l "$i"); done
	systemd-socket-activate "${args[@]}" --fdname="$names" \
		-E ASAN_OPTIONS -E UBSAN_OPTIONS -E LSAN_OPTIONS -E PATH \
		"$GATEWAYD" -c "$GW_CONF" >>"$GW_LOG" 2>&1 &
	GW_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$1" ] && [ -S "${!#}" ] && return 0
		sleep 0.05
	done
	fail "systemd-socket-activate did not bind $* within 5 s"
}

# serves WHAT: a request for hello through $GW_SOCK is answered.
serves() {
	local out rc=0
	out=$(fcgi_client --timeout 10 request "$GW_SOCK" -p SCRIPT_NAME=/function/hello 2>&1) ||
		rc=$?
	[ "$rc" -eq 0 ] || fail "$1: no answer through the inherited socket (rc $rc: '$(_show <<<"$out")')"
	assert_contains "$out" "hello, world" "$1"
}

activate "$GW_SOCK"
inode=$(stat -c %i "$GW_SOCK")
serves "the first request (it starts gatewayd)"
assert_eq "$inode" "$(stat -c %i "$GW_SOCK")" "the socket file's inode (gatewayd bound no socket of its own)"
assert_file_contains "$GW_LOG" "listen $GW_SOCK: the socket inherited from systemd (fd 3, named listen)" "gatewayd took the inherited socket"
assert_file_contains "$GW_LOG" "runs as uid 65534" "gatewayd runs as nobody"

wait_workers -eq 2 10 || fail "2 workers not up within 10 s (saw $WORKERS_SEEN)"
for pid in $(gw_workers); do
	if tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^LISTEN_'; then
		fail "process $pid ($(cat "/proc/$pid/comm")) has LISTEN_* in its environment"
	fi
done

gw_reload || fail "the reload was refused"
serves "after a reload"
assert_eq "$inode" "$(stat -c %i "$GW_SOCK")" "the socket file's inode after a reload"

gw_stop
[ -S "$GW_SOCK" ] || fail "gatewayd removed $GW_SOCK at stop: it is systemd's"
assert_eq "$inode" "$(stat -c %i "$GW_SOCK")" "the socket file's inode after the stop"
echo "served on the inherited socket (inode $inode), kept across a reload and the stop"

# A socket no listen = entry names: start-up fails, saying which.
rm -f "$GW_SOCK"
: >"$GW_LOG"
activate "$GW_SOCK" "$T/extra.sock"
fcgi_client --timeout 2 ping "$GW_SOCK" >/dev/null 2>&1 || true
rc=0
for ((i = 0; i < 100; i++)); do
	kill -0 "$GW_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$GW_PID" || rc=$?
GW_PID=""
assert_eq 1 "$rc" "gatewayd's exit status with a socket no listen = names"
assert_file_contains "$GW_LOG" "cannot start: the socket inherited from systemd on fd 4 (named extra, $T/extra.sock) matches no listen = address" "the start-up failure"
echo "refused: $(grep -m1 'cannot start' "$GW_LOG")"
