#!/usr/bin/env bash
# gatewayd started in a terminal, as `make run` is: its workers must not be
# able to open that terminal or push keystrokes into it (TIOCSTI). Each
# worker leads a session of its own, without a controlling terminal, and
# holds no terminal descriptor; the operator's pseudo-terminals are closed to
# its user. Checked with seccomp = off too: this is not the filter's doing.
# Needs root.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

gw_config <<EOF2
[hostile]
exec = $HOSTILE
pm.max_children = 1
seccomp.action = errno

[hostile_off]
exec = $HOSTILE
pm.max_children = 1
seccomp = off
EOF2
python3 "$REPO/tests/integration/with_tty.py" "$T/gw.pid" "$GATEWAYD" -c "$GW_CONF" \
	>>"$GW_LOG" 2>&1 &
bg_track $!
for ((i = 0; i < 100; i++)); do
	[ -s "$T/gw.pid" ] && [ -S "$GW_SOCK" ] && break
	sleep 0.1
done
GW_PID=$(cat "$T/gw.pid" 2>/dev/null) || fail "gatewayd did not start under a terminal"
for ((i = 0; i < 50; i++)); do
	fcgi_client --timeout 1 ping "$GW_SOCK" && break
	sleep 0.1
done
nginx_up

# The set-up is real: gatewayd has a controlling terminal (field 7 of stat).
gw_tty=$(sed 's/^.*) //' "/proc/$GW_PID/stat" | cut -d' ' -f5)
[ "$gw_tty" != 0 ] || fail "gatewayd has no controlling terminal: the test set-up failed"

for fn in hostile hostile_off; do
	attack_refused "$fn" tty ENXIO
	http_get "/function/$fn?attack=tiocsti"
	assert_status 200
	sed "s/^/    [$fn] /" "$BODY"
	if grep -q ': SUCCEEDED' "$BODY"; then
		fail "$fn attack=tiocsti: $(grep -m1 ': SUCCEEDED' "$BODY")"
	fi
	assert_contains "$(cat "$BODY")" "tiocsti: no tty fd among 0..1023" "$fn's descriptors"
done
assert_gw_alive
