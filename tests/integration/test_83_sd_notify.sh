#!/usr/bin/env bash
# systemd's notification protocol (sd_notify(3)), seen on a socket the test
# binds as NOTIFY_SOCKET: READY=1 with a STATUS once gatewayd serves;
# RELOADING=1 with MONOTONIC_USEC at a SIGHUP, then READY=1 (also when the
# reload is refused, with a STATUS saying so); STOPPING=1 at SIGTERM.
# No worker gets NOTIFY_SOCKET, even a function with clear_env = no (its
# environment is gatewayd's otherwise), and started as root gatewayd connects before it drops
# root (the socket here is root's, in a 0700 directory). The same over an
# abstract socket (@name). Fails on the old code: nothing is sent.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

# notify_listen ADDRESS OUT: a receiver of gatewayd's notifications.
notify_listen() {
	dgram_listen "$1" "$2"
}

# wait_notified OUT REGEX: until a notification in OUT matches REGEX.
wait_notified() {
	wait_line "$1" "$2" notification
}

gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1

[inherits]
exec = $FUNCTIONS/hello
pm.max_children = 1
clear_env = no
EOF

notify_listen "$T/notify.sock" "$T/notified"
NOTIFY_SOCKET=$T/notify.sock gw_start
wait_notified "$T/notified" '^READY=1\|STATUS=serving 2 functions from '
echo "at start: $(head -n 1 "$T/notified")"

# No worker gets the socket's name, not even one that inherits gatewayd's
# environment. (/proc/PID/environ shows what a process was exec'd with:
# the workers', not the forked spawner's, which runs on the daemon's copy.)
wait_workers -eq 2 10 || fail "2 workers not up within 10 s (saw $WORKERS_SEEN)"
for pid in $(gw_workers); do
	if tr '\0' '\n' <"/proc/$pid/environ" | grep -q '^NOTIFY_SOCKET='; then
		fail "process $pid ($(cat "/proc/$pid/comm")) has NOTIFY_SOCKET in its environment"
	fi
done

gw_reload || fail "the reload was refused"
wait_notified "$T/notified" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+\|'
wait_notified "$T/notified" '^READY=1\|STATUS=reloaded: 2 functions'
printf 'bogus key line\n' >>"$GW_CONF"
! gw_reload || fail "a broken configuration was taken"
wait_notified "$T/notified" '^READY=1\|STATUS=reload refused'
sed -i '$d' "$GW_CONF"

gw_stop
wait_notified "$T/notified" '^STOPPING=1'
echo "notifications:"
sed 's/^/  /' "$T/notified"

# An abstract socket, as systemd may name one.
notify_listen "@gatewayd-test-$$" "$T/abstract"
NOTIFY_SOCKET="@gatewayd-test-$$" gw_start
wait_notified "$T/abstract" '^READY=1'
gw_stop
wait_notified "$T/abstract" '^STOPPING=1'
